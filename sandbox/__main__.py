"""Command line: python -m sandbox {serve,start,stop,status,reset}."""

from __future__ import annotations

import argparse
import sys

from . import control


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="A local AWS for the workshop.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run in the foreground on 127.0.0.1")
    p.add_argument("--port", type=int, default=control.DEFAULT_PORT)
    p.add_argument("--host", default="127.0.0.1")
    p = sub.add_parser("start", help="run in the background (idempotent); prints the URL")
    p.add_argument("--port", type=int, default=None, help=f"default {control.DEFAULT_PORT}, or a free port if taken")
    sub.add_parser("stop", help="stop the background sandbox")
    sub.add_parser("status", help="report on the background sandbox")
    sub.add_parser("reset", help="forget every resource in the running sandbox")
    args = parser.parse_args(argv)

    if args.command == "serve":
        from .server import serve

        if args.host not in ("127.0.0.1", "localhost", "::1"):
            parser.error("the sandbox only listens on the loopback interface")
        serve(args.host, args.port)
        return 0
    if args.command == "start":
        info = control.start(port=args.port)
        print(f"sandbox running at {info['url']} (pid {info['pid']})")
        print(f"use it with: export AWS_ENDPOINT_URL={info['url']}")
        return 0
    if args.command == "stop":
        print(control.stop())
        return 0
    if args.command == "status":
        info = control.status()
        if info is None:
            print("sandbox is not running")
            return 1
        print(f"sandbox running at {info['url']} (pid {info['pid']})")
        return 0
    if args.command == "reset":
        info = control.status()
        if info is None:
            print("sandbox is not running")
            return 1
        control.reset(info["url"])
        print("sandbox reset")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
