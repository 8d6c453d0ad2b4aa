"""Benchmark the instructor's cleanup of a shared room whose participants ran notebook 06 (a benchmark, not a test).

    python -m benchmarks.bench_room_beyond [--timing-scale 0]

On a sandbox in this process (state reset, "VPCs per Region" raised to 10), through `python -m utils instructor`'s
code: `provision --shared 3`; p01 runs notebooks 00 to 06 as WorkshopParticipant (`fast-forward --to 06`); p02 runs
00 to 04, then notebook 06 up to its Resolver endpoints (a partial 06: Transit Gateway, attachments, path 1's call,
Resolver endpoints); p03 runs nothing. Then `cleanup`, timed, with its phases
(utils.instructor.cleanup.PHASE_SECONDS), and whether it printed "Verified".

With a timing scale the sandbox models AWS's waits (sandbox/settings.py AWS_DELAYS, scaled: Lambda's release of a
function's network interfaces 1,200 s, a Transit Gateway attachment's deletion 120 s, a Resolver endpoint's 60 s,
a stack operation 20 s). The modelled wait of this cleanup is one ENI release (the client functions' and the
workshop functions' are released together, and notebook 06's deletions run in the same rounds) plus two stack
operations in a row (the corporate stack, then the workshop stack). Prints one line per measurement and a JSON
summary. The figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NB06 = ROOT / "notebooks" / "06_beyond_the_vpc.ipynb"


def _settings(url: str, values: dict) -> None:
    import urllib.request

    req = urllib.request.Request(f"{url}/_sandbox/settings", method="POST", data=json.dumps(values).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


@contextlib.contextmanager
def _as(env: dict):
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("AWS_", "WORKSHOP_"))})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _env_of(cli, participant: str) -> dict:
    import shlex

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert cli.main(["env", participant]) == 0
    env = dict(os.environ)
    for line in buf.getvalue().splitlines():
        if line.startswith("export "):
            env.update(word.split("=", 1) for word in shlex.split(line[len("export "):]))
    return env


def _run_06_until(cell_id: str, skip: tuple[str, ...]) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NB06, as_version=4)
    ids = [c.get("id") for c in nb.cells]
    nb.cells = [c for c in nb.cells[: ids.index(cell_id) + 1] if c.get("id") not in skip]
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NB06.parent)}}).execute()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timing-scale", type=float, default=0.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update({"SANDBOX_STATE_DIR": tmp, "SANDBOX_PERSIST": "0", "WORKSHOP_TARGET": "sandbox",
                           "WORKSHOP_REQUIRE_SANDBOX": "1", "WORKSHOP_HEADLESS": "1",
                           "WORKSHOP_CONFIG": f"{tmp}/workshop_config.json",
                           "WORKSHOP_INSTRUCTOR_DIR": f"{tmp}/participants",
                           "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
        for var in ("WORKSHOP_PREFIX", "WORKSHOP_REGION", "WORKSHOP_MODEL_ID", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(var, None)
        from sandbox import ACCOUNT_ID, servicequotas
        from sandbox.server import ServerThread

        server = ServerThread().start()
        os.environ["AWS_ENDPOINT_URL"] = server.url
        try:
            from utils import runner
            from utils.instructor import cleanup, cli

            servicequotas.set_applied_quota(ACCOUNT_ID, "us-east-1", 10)
            result: dict = {"timing_scale": args.timing_scale, "load_start": os.getloadavg()[0]}
            quiet = io.StringIO()
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                assert cli.main(["provision", "--shared", "3"]) == 0
                assert cli.main(["fast-forward", "p01", "--to", "06"]) == 0
                with _as(_env_of(cli, "p02")):
                    report = runner.run(only=["00", "01", "02", "03", "04"], out_root=Path(tmp) / "p02",
                                        echo=lambda _line: None)
                    assert report.ok, [(r.notebook, r.error) for r in report.results]
                    _run_06_until("06-18", skip=())
            result["setup_s"] = round(time.perf_counter() - t0, 1)
            print(f"provision, p01 00-06, p02 00-04 and a partial 06: {result['setup_s']} s (timing scale 0)")

            _settings(server.url, {"timing_scale": args.timing_scale})
            out = io.StringIO()
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                code = cli.main(["cleanup"])
            result["cleanup_s"] = round(time.perf_counter() - t0, 1)
            result["exit"] = code
            result["verified"] = "Verified: nothing of the workshop remains in any of the 3" in out.getvalue()
            result["phases_s"] = {k: round(v, 1) for k, v in sorted(cleanup.PHASE_SECONDS.items())}
            result["modelled_wait_s"] = round(args.timing_scale * (1200 + 2 * 20), 1)
            result["load_end"] = os.getloadavg()[0]
            print(f"cleanup of 3 participants with notebook 06: {result['cleanup_s']} s, exit {code}, "
                  f"verified {result['verified']}; modelled wait {result['modelled_wait_s']} s; "
                  f"phases {result['phases_s']}")
            if code != 0 or not result["verified"]:
                print(out.getvalue())
            print(json.dumps(result))
            return 0 if code == 0 and result["verified"] else 1
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
