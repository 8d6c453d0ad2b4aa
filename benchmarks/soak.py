"""Soak the sandbox: 500 Lambda invokes and 2,000 API calls, 4 at a time (not run in CI).

    python -m benchmarks.soak [--invokes 500] [--calls 2000] [--workers 4]

It starts its own background sandbox in a temporary state folder, drives it, then checks:
no errors; after a reset, no execution environment left (only the runtime's blank spare
process(es), kept warm by design: sandbox.lambda_runtime.SPARES); after `stop`, no process
at all of those the sandbox started; and bounded memory growth of the server process
(resident set size, from /proc). Prints the figures and a JSON line.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

HANDLER = "def handler(event, context):\n    return {'n': event['n'] * 2}\n"


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return out


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, already exited, does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invokes", type=int, default=500)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    from sandbox import control
    from sandbox.lambda_runtime import SPARES

    with tempfile.TemporaryDirectory() as state:
        os.environ["SANDBOX_STATE_DIR"] = state
        info = control.start(port=None)
        url, pid = info["url"], info["pid"]
        try:
            cfg = Config(retries={"mode": "standard"}, max_pool_connections=args.workers * 2)
            kw = {"endpoint_url": url, "region_name": "us-east-1", "aws_access_key_id": "soak",
                  "aws_secret_access_key": "soak", "config": cfg}
            iam, lam, ec2 = boto3.client("iam", **kw), boto3.client("lambda", **kw), boto3.client("ec2", **kw)
            brt = boto3.client("bedrock-runtime", **kw)
            trust = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            role = iam.create_role(RoleName="soak", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("soak.py", HANDLER)
            lam.create_function(FunctionName="soak", Runtime="python3.12", Role=role, Handler="soak.handler",
                                Code={"ZipFile": buf.getvalue()})
            lam.get_waiter("function_active_v2").wait(FunctionName="soak")  # Pending until Lambda has created it
            lam.invoke(FunctionName="soak", Payload=b'{"n": 0}')  # cold start outside the measurement
            rss_start = rss_kib(pid)
            errors: list[str] = []

            def invoke(n: int) -> None:
                r = lam.invoke(FunctionName="soak", Payload=json.dumps({"n": n}).encode())
                body = json.loads(r["Payload"].read())
                if r.get("FunctionError") or body != {"n": n * 2}:
                    errors.append(f"invoke {n}: {body}")

            calls = [
                lambda: ec2.describe_vpcs(),
                lambda: iam.get_role(RoleName="soak"),
                lambda: lam.get_function_configuration(FunctionName="soak"),
                lambda: brt.converse(modelId="us.amazon.nova-micro-v1:0",
                                     messages=[{"role": "user", "content": [{"text": "soak"}]}]),
            ]

            def call(i: int) -> None:
                try:
                    calls[i % len(calls)]()
                except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                    errors.append(f"call {i}: {exc!r}")

            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.workers) as pool:
                list(pool.map(invoke, range(args.invokes)))
            t_invokes = time.perf_counter() - t0
            rss_invokes = rss_kib(pid)
            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.workers) as pool:
                # Two halves: the first pays one-time costs (moto and botocore load each service's code and
                # models on first use); the second shows whether memory keeps growing with the load.
                half = args.calls // 2
                list(pool.map(call, range(half)))
                rss_half = rss_kib(pid)
                list(pool.map(call, range(half, args.calls)))
            t_calls = time.perf_counter() - t0
            rss_end = rss_kib(pid)
            seen = set(children(pid))
            workers_before = len(seen)
            urllib.request.urlopen(urllib.request.Request(f"{url}/_sandbox/reset", method="POST", data=b"{}")).read()
            deadline = time.monotonic() + 10
            while children(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            after_reset = children(pid)
            seen |= set(after_reset)
        finally:
            control.stop()
        # Whatever the sandbox started must end with it.
        deadline = time.monotonic() + 10
        while [p for p in seen if alive(p)] and time.monotonic() < deadline:
            time.sleep(0.1)
        leftover = [p for p in seen if alive(p)]
    result = {
        "invokes": args.invokes, "invoke_seconds": round(t_invokes, 2),
        "api_calls": args.calls, "api_seconds": round(t_calls, 2), "workers": args.workers,
        "errors": len(errors), "rss_start_mib": round(rss_start / 1024, 1), "rss_end_mib": round(rss_end / 1024, 1),
        "rss_after_invokes_mib": round(rss_invokes / 1024, 1), "rss_after_half_calls_mib": round(rss_half / 1024, 1),
        "lambda_processes_during": workers_before, "processes_after_reset": len(after_reset),
        "spares_allowed": SPARES, "leftover_processes_after_stop": len(leftover),
    }
    for e in errors[:10]:
        print("error:", e)
    print(f"{args.invokes} invokes in {t_invokes:.1f} s, {args.calls} API calls in {t_calls:.1f} s, "
          f"{len(errors)} errors; server RSS {result['rss_start_mib']} -> {result['rss_after_invokes_mib']} -> "
          f"{result['rss_after_half_calls_mib']} -> {result['rss_end_mib']} MiB; "
          f"{len(after_reset)} process(es) after reset (spares allowed: {SPARES}), "
          f"{len(leftover)} left after stop")
    print(json.dumps(result))
    growth = rss_end - rss_start
    # Bounded: under 200 MiB in all, and the second half of the calls adds under 25 MiB.
    ok = (not errors and not leftover and len(after_reset) <= SPARES and growth < 200 * 1024
          and rss_end - rss_half < 25 * 1024)
    print("soak passed" if ok else "SOAK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
