"""Headless run of the workshop: every notebook in order, each in a fresh python3 kernel.

    python -m utils run [--only 00,01,...]

- Target: WORKSHOP_TARGET, else the config file's, else the sandbox.
- Sandbox: uses AWS_ENDPOINT_URL when it is set (starting nothing); otherwise starts
  one (sandbox.control.start()), passes its URL to the kernels, and stops it at the end.
- Kernels start with the notebooks/ folder as working directory (as in JupyterLab) and
  the repository root on PYTHONPATH, so `import utils` works without an install.
- Executed notebooks go to runs/<timestamp>/, with timing.json (seconds per notebook and
  in total). Each notebook's status and seconds are printed; the exit status is non-zero
  when any notebook fails. After a failure the remaining notebooks are skipped, except 06
  (cleanup), which still runs.
- Speed (target: the whole run in 30 s on 2 cores): the sandbox starts while the first
  kernel does; each next kernel starts, and loads what its notebook imports, while the
  current notebook runs; the sandbox gets one read-only call per service while 00 runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .config import config_path, read_file, repo_root

CLEANUP = "06"
CELL_TIMEOUT = 1800  # seconds per cell: real AWS waits (endpoint, ENIs, stack) are bounded inside the cells


@dataclass
class Result:
    notebook: str
    status: str  # "ok", "failed", "skipped"
    seconds: float = 0.0
    error: str = ""
    output: Path | None = None


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    out_dir: Path | None = None
    target: str = "sandbox"
    endpoint_url: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.status == "ok" for r in self.results)


def notebooks_dir() -> Path:
    return repo_root() / "notebooks"


def discover(only: list[str] | None = None) -> list[Path]:
    books = sorted(p for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = {o.strip().zfill(2) for o in only if o.strip()}
        unknown = wanted - {p.name[:2] for p in books}
        if unknown:
            raise SystemExit(f"no notebook numbered {', '.join(sorted(unknown))} in {notebooks_dir()}")
        books = [p for p in books if p.name[:2] in wanted]
    return books


def choose_target() -> str:
    from . import validation

    if os.environ.get("WORKSHOP_TARGET"):
        return validation.target(os.environ["WORKSHOP_TARGET"])
    try:
        saved = read_file().get("target")
    except Exception:
        saved = None
    return validation.target(saved) if saved else "sandbox"


def kernel_env(target: str, endpoint_url: str | None) -> dict:
    env = dict(os.environ)
    root = str(repo_root())
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["WORKSHOP_TARGET"] = target
    env["WORKSHOP_HEADLESS"] = "1"
    env["WORKSHOP_CONFIG"] = str(config_path())
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if endpoint_url:
        env["AWS_ENDPOINT_URL"] = endpoint_url
    return env


def _error_of(nb) -> str:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename')}: {out.get('evalue')}"
    return ""


# Run silently in each kernel before its notebook: the imports and SDK data the notebook needs, loaded while
# the previous notebook still runs. It defines nothing in the notebook's namespace and prints nothing.
WARM_UP = """
def _workshop_warm_up():
    from utils import config, endpoint, explain, lambda_fn, models, policies, stack, target, validation, waiting  # noqa
{extra}
    validation.bedrock_regions()
    target.warm_up({services!r})
_workshop_warm_up()
del _workshop_warm_up
"""


def warm_up_code(source: str) -> str:
    """The warm-up for a notebook: pandas only if it shows tables, ipywidgets only if it shows the form."""
    extra = ""
    if "show." in source:
        extra += "    import pandas  # noqa: F401\n"
    if "ConfigForm" in source:
        extra += "    import ipywidgets  # noqa: F401\n"
    services = tuple(sorted(set(re.findall(r"""client\(\s*["']([a-z0-9-]+)["']""", source))))
    return WARM_UP.format(extra=extra, services=services)


async def _start_kernel(env: dict, warm_up: str):
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name="python3")
    # The kernel listens on loopback only; its "running over TCP without encryption" notice is not for learners.
    await km.start_kernel(cwd=str(notebooks_dir()), env=env, extra_arguments=["--IPKernelApp.log_level=ERROR"])
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=120)
        msg_id = kc.execute(warm_up, silent=True, store_history=False)
        while True:
            reply = await kc.get_shell_msg(timeout=300)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
    finally:
        kc.stop_channels()
    return km


def _skip_slow_optional_imports() -> None:
    """Keep jsonschema (imported by nbformat) from loading the optional rfc3987_syntax package.

    That package compiles a grammar at import, about 3 s of CPU, for an "iri" format check that notebook
    validation never uses; jsonschema skips it when the import fails. Only done if jsonschema is not loaded yet.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


async def _run_all(books: list[Path], out_dir: Path, env: dict, report: Report, echo, sandbox_ready=None) -> None:
    _skip_slow_optional_imports()
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebooks = [nbformat.read(path, as_version=4) for path in books]
    sources = ["\n".join(c.source for c in nb.cells if c.cell_type == "code") for nb in notebooks]

    def start(i: int):
        return asyncio.ensure_future(_start_kernel(env, warm_up_code(sources[i])))

    failed = False
    pending = start(0) if books else None
    if sandbox_ready is not None:
        try:
            await sandbox_ready  # the sandbox starts while the first kernel does
        except BaseException:
            if pending is not None:
                await (await pending).shutdown_kernel(now=True)
            raise
    for i, (path, nb) in enumerate(zip(books, notebooks, strict=True)):
        name = path.stem
        if failed and not name.startswith(CLEANUP):
            report.results.append(Result(name, "skipped"))
            echo(f"  {name:<24} skipped (an earlier notebook failed)")
            continue
        t0 = time.monotonic()
        if pending is None:  # the kernel for this notebook was not started ahead (after a failure)
            pending = start(i)
        km = await pending
        waited = time.monotonic() - t0
        later = [j for j in range(i + 1, len(books)) if not failed or books[j].stem.startswith(CLEANUP)]
        pending = start(later[0]) if later else None
        client = NotebookClient(nb, km=km, kernel_name="python3", timeout=CELL_TIMEOUT, allow_errors=False,
                                shutdown_kernel="immediate", resources={"metadata": {"path": str(notebooks_dir())}})
        status, error = "ok", ""
        try:
            await client.async_execute(cleanup_kc=True)
        except CellExecutionError as exc:
            status, error = "failed", _error_of(nb) or str(exc).strip().splitlines()[-1]
        except Exception as exc:  # kernel died, timeout, ...
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            try:
                await km.shutdown_kernel(now=True)
            except Exception:
                pass
        seconds = time.monotonic() - t0
        out = out_dir / path.name
        nbformat.write(nb, out)
        report.results.append(Result(name, status, seconds, error, out))
        detail = f" (kernel ready after {waited:.1f} s)" if os.environ.get("WORKSHOP_RUN_TIMING") else ""
        echo(f"  {name:<24} {status:<7} {seconds:6.1f} s{detail}" + (f"   {error}" if error else ""))
        if status != "ok" and not failed:
            failed = True
            if pending is not None and not books[later[0]].stem.startswith(CLEANUP):
                km_next = await pending  # started for a notebook that is now skipped
                await km_next.shutdown_kernel(now=True)
                pending = None
    if pending is not None:
        km = await pending
        await km.shutdown_kernel(now=True)


def warm_sandbox(url: str, region: str = "us-east-1") -> None:
    """Send the sandbox one read-only call per service, so that its first real answers come warm.

    The sandbox loads each service's code on first use; doing that while the first kernel starts takes it off
    the notebooks' path. Nothing is created. Only ever called with a loopback sandbox URL.
    """
    from . import target

    if not target.is_loopback(url):
        return
    import botocore.session
    from botocore.config import Config

    core = botocore.session.get_session()
    # Services notebook 00 does not call come first: 00 warms its own while this runs beside it.
    calls = [("cloudformation", "describe_stacks", {}), ("lambda", "list_functions", {}),
             ("iam", "list_roles", {}), ("cloudtrail", "lookup_events", {"MaxResults": 1}),
             ("ec2", "describe_vpcs", {}), ("sts", "get_caller_identity", {}),
             ("ec2", "describe_vpc_endpoint_services", {"ServiceNames": [f"com.amazonaws.{region}.bedrock-runtime"]}),
             ("bedrock", "list_foundation_models", {})]
    for service, operation, kwargs in calls:
        client = core.create_client(service, region_name=region, endpoint_url=url, aws_access_key_id="warm-up",
                                    aws_secret_access_key="warm-up", config=Config(retries={"max_attempts": 1}))
        try:
            getattr(client, operation)(**kwargs)
        except Exception:  # a warm-up only: the notebooks report real problems
            pass


def stop_sandbox(info: dict) -> None:
    """Stop the sandbox this run started: that process (by its pid), not whichever one the state folder names."""
    import signal

    from sandbox import control

    registered = control.status()
    if registered is not None and registered.get("pid") == info["pid"]:
        control.stop()
        return
    try:
        os.killpg(info["pid"], signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    from .waiting import WaitTimeout, wait_until

    try:
        wait_until(lambda: not control.healthy(info["url"], timeout=0.3), what="the sandbox to stop", timeout=10,
                   quiet=True)
    except WaitTimeout:
        os.killpg(info["pid"], signal.SIGKILL)


def _free_port(preferred: int) -> int:
    import socket

    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free loopback port for the sandbox")


def run(only: list[str] | None = None, out_root: Path | None = None, echo=print, keep_sandbox: bool = False) -> Report:
    t0 = time.monotonic()
    books = discover(only)
    target = choose_target()
    report = Report(target=target)
    endpoint_url = os.environ.get("AWS_ENDPOINT_URL") or None
    if target == "aws" and endpoint_url:
        raise SystemExit(f"WORKSHOP_TARGET is aws but AWS_ENDPOINT_URL={endpoint_url} is set: unset one of them.")
    start_sandbox = None
    if target == "sandbox" and not endpoint_url:
        from sandbox import control

        info = control.status()
        if info is not None:
            endpoint_url = info["url"]
        else:
            port = _free_port(control.DEFAULT_PORT)
            endpoint_url = f"http://127.0.0.1:{port}"
            start_sandbox = port
    report.endpoint_url = endpoint_url
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = (out_root or repo_root() / "runs") / stamp
    n = 1
    while out_dir.exists():
        n += 1
        out_dir = out_dir.with_name(f"{stamp}-{n}")
    out_dir.mkdir(parents=True)
    report.out_dir = out_dir
    where = f" at {endpoint_url}" if endpoint_url else ""
    started = f" (starting it: python -m sandbox start --port {start_sandbox})" if start_sandbox else ""
    echo(f"Running {len(books)} notebook(s) on {target}{where}{started}; executed copies in {out_dir}")

    started: list[dict] = []  # the sandbox this run starts: {url, pid, ...}

    async def main_task():
        ready = warming = None
        if start_sandbox is not None:
            from sandbox import control

            ready = asyncio.ensure_future(asyncio.to_thread(control.start, start_sandbox))
            ready.add_done_callback(lambda f: started.append(f.result()) if not f.exception() else None)

        async def started_then_warm():
            if ready is not None:
                await ready
            nonlocal warming
            if target == "sandbox":  # in the background, while notebook 00 runs
                warming = asyncio.ensure_future(asyncio.to_thread(warm_sandbox, endpoint_url))

        try:
            await _run_all(books, out_dir, kernel_env(target, endpoint_url), report, echo,
                           asyncio.ensure_future(started_then_warm()))
        finally:
            if warming is not None:
                await warming

    try:
        asyncio.run(main_task())
    finally:
        for info in started:
            if keep_sandbox:
                echo(f"The sandbox keeps running at {endpoint_url} (stop it with: python -m sandbox stop)")
            else:
                stop_sandbox(info)
    report.seconds = time.monotonic() - t0
    (out_dir / "timing.json").write_text(json.dumps({
        "target": target, "total_seconds": round(report.seconds, 2), "cpus": os.cpu_count(),
        "sandbox_started_by_run": start_sandbox is not None,
        "notebooks": [{"notebook": r.notebook, "status": r.status, "seconds": round(r.seconds, 2)}
                      for r in report.results],
    }, indent=2) + "\n")
    ok = sum(r.status == "ok" for r in report.results)
    echo(f"{ok} of {len(report.results)} notebooks passed in {report.seconds:.1f} s"
         + ("" if report.ok else " - see the failing notebook in " + str(out_dir)))
    return report


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m utils run", description="Run the workshop notebooks headless.")
    parser.add_argument("--only", default="", help="comma-separated notebook numbers, e.g. 00,01,02")
    parser.add_argument("--out", default=None, help="folder for the runs (default: runs/)")
    parser.add_argument("--keep-sandbox", action="store_true",
                        help="leave a sandbox that this run started running afterwards")
    args = parser.parse_args(argv)
    only = [o for o in args.only.split(",") if o.strip()] or None
    report = run(only, Path(args.out) if args.out else None, keep_sandbox=args.keep_sandbox)
    sys.stdout.flush()
    return 0 if report.ok else 1
