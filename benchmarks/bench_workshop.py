"""Benchmark the full headless workshop run: `python -m utils run`, as a learner types it.

    python -m benchmarks.bench_workshop [--runs 3]    (from the repository root)

Each run is a fresh process that starts its own sandbox (AWS_ENDPOINT_URL is removed from
its environment), executes notebooks 00-06 and stops the sandbox. Target (issue "The
workshop"): the whole run <= 30 s on a 2-core machine. Prints per-notebook seconds from
each run's timing.json, the wall time of each run, and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 30.0


def one_run(root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    with tempfile.TemporaryDirectory() as tmp:
        env.update(SANDBOX_STATE_DIR=f"{tmp}/sandbox", WORKSHOP_CONFIG=f"{tmp}/workshop_config.json",
                   WORKSHOP_TARGET="sandbox")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "utils", "run"], cwd=root, env=env, capture_output=True,
                              text=True, timeout=600, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"the run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        timings = sorted((root / "runs").glob("*/timing.json"), key=lambda p: p.stat().st_mtime)
        timing = json.loads(timings[-1].read_text()) if timings else {}
    return {"wall_s": wall, "timing": timing}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    walls, per_nb = [], {}
    for i in range(args.runs):
        result = one_run(root)
        walls.append(result["wall_s"])
        nbs = {r["notebook"]: r["seconds"] for r in result["timing"].get("notebooks", [])}
        for name, seconds in nbs.items():
            per_nb.setdefault(name, []).append(seconds)
        print(f"run {i + 1}: {result['wall_s']:.1f} s wall; "
              + ", ".join(f"{n[:2]} {s:.1f}" for n, s in nbs.items()))
    summary = {"runs": args.runs, "wall_median_s": round(statistics.median(walls), 1),
               "wall_max_s": round(max(walls), 1),
               "per_notebook_median_s": {n: round(statistics.median(v), 1) for n, v in per_nb.items()}}
    print(json.dumps(summary))
    ok = summary["wall_median_s"] <= TARGET_SECONDS
    print(f"median {summary['wall_median_s']} s: " + ("target met" if ok else f"TARGET MISSED (> {TARGET_SECONDS} s)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
