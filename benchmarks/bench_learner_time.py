"""Benchmark the learner's time on AWS: the whole workshop on the sandbox with AWS-like delays.

    python -m benchmarks.bench_learner_time [--scale 1.0]    (from the repository root)

One fresh `python -m utils run` (00 to 07) on its own sandbox, started with SANDBOX_TIMING_SCALE=<scale>: every
AWS-like delay of sandbox/settings.py (AWS_DELAYS) lasts `scale` times what AWS takes, CloudTrail's delivery
included (300 s at scale 1). For each notebook it compares the learner's wall time (the notebook's run time, as
the runner measures it) with the floor: the sum of the readiness waits that no notebook can avoid on its critical
path, each one `AWS_DELAYS[...] * scale`:

- 01: the stack's creation (stack_operation), then the function's code update (lambda_update);
- 02: the endpoint from pending to available (endpoint_pending);
- 03: the new inline policy reaching Lambda's permission check (policy_propagation), then the VPC attachment
  (lambda_update);
- 04: nothing (the IAM change of 03 has propagated meanwhile; CloudTrail is not on the path by design);
- 05: the Deny taking effect, then the Allow again (2 x policy_propagation);
- 06: the corporate stack's creation (stack_operation) and its client's code update (lambda_update); the Transit
  Gateway (transit_gateway_pending), then its two attachments, created together (tgw_attachment_pending); the new
  endpoint and identity policies reaching the client's call (policy_propagation), which covers the client's
  BEDROCK_ENDPOINT_URL update made meanwhile; the two Resolver endpoints, created together
  (resolver_endpoint_creating); the client's update back to the default hostname (lambda_update);
- 07: the corporate client leaving its VPC, then the function leaving the VPC (2 x lambda_update), Lambda's release
  of their ENIs (eni_release, both at once), then the corporate stack's and the workshop stack's deletions
  (2 x stack_operation). The Transit Gateway attachments' and the Resolver endpoints' deletions, the endpoint's
  deletion and the CloudTrail evidence run during the ENI release.

ratio = wall / floor, per notebook and in total; goal: total ratio <= 1.10. With --scale below 1 the figures are
also extrapolated to scale 1, assuming the time above the floor (kernels, imports, API calls, the 15 s CloudTrail
look of 04, polling overshoot) stays what it measured; polling overshoot grows with the wait up to each poll's cap
(10 to 15 s), so a run at scale 1 is the real measure. Prints a Markdown table and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sandbox.settings import AWS_DELAYS

GOAL = 1.10
FLOOR = {
    "00": [],
    "01": ["stack_operation", "lambda_update"],
    "02": ["endpoint_pending"],
    "03": ["policy_propagation", "lambda_update"],
    "04": [],
    "05": ["policy_propagation", "policy_propagation"],
    "06": ["stack_operation", "lambda_update", "transit_gateway_pending", "tgw_attachment_pending",
           "policy_propagation", "resolver_endpoint_creating", "lambda_update"],
    "07": ["lambda_update", "lambda_update", "eni_release", "stack_operation", "stack_operation"],
}


def floor(number: str, scale: float) -> float:
    return sum(AWS_DELAYS[name] for name in FLOOR[number]) * scale


def run(root: Path, scale: float) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL" and not k.startswith("SANDBOX_")}
    with tempfile.TemporaryDirectory() as tmp:
        env.update(SANDBOX_STATE_DIR=f"{tmp}/sandbox", SANDBOX_PERSIST="0", SANDBOX_TIMING_SCALE=str(scale),
                   WORKSHOP_CONFIG=f"{tmp}/workshop_config.json", WORKSHOP_TARGET="sandbox")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "utils", "run"], cwd=root, env=env, capture_output=True,
                              text=True, timeout=7200, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"the run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        out_dir = next(line.split("executed copies in ", 1)[1].strip() for line in proc.stdout.splitlines()
                       if "executed copies in " in line)
        timing = json.loads((Path(out_dir) / "timing.json").read_text())
    return {"wall_s": wall, "timing": timing, "runs_dir": out_dir}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="SANDBOX_TIMING_SCALE (1.0: AWS-like)")
    args = parser.parse_args()
    if not 0 < args.scale <= 1:
        raise SystemExit("--scale must be more than 0 and at most 1")
    root = Path(__file__).resolve().parent.parent
    result = run(root, args.scale)
    rows = []
    for nb in result["timing"]["notebooks"]:
        number = nb["notebook"][:2]
        f = floor(number, args.scale)
        f1 = floor(number, 1.0)
        rows.append({"notebook": nb["notebook"], "wall_s": nb["seconds"], "floor_s": round(f, 1),
                     "waits": " + ".join(FLOOR[number]) or "-",
                     "ratio": round(nb["seconds"] / f, 2) if f else None,
                     "wall_at_1_s": round(nb["seconds"] - f + f1, 1), "floor_at_1_s": round(f1, 1)})
    wall = sum(r["wall_s"] for r in rows)
    total_floor = sum(r["floor_s"] for r in rows)
    wall1 = sum(r["wall_at_1_s"] for r in rows)
    floor1 = sum(r["floor_at_1_s"] for r in rows)
    summary = {"scale": args.scale, "notebooks_wall_s": round(wall, 1), "floor_s": round(total_floor, 1),
               "ratio": round(wall / total_floor, 3), "run_wall_s": round(result["wall_s"], 1),
               "extrapolated_to_scale_1": {"wall_s": round(wall1, 1), "floor_s": round(floor1, 1),
                                           "ratio": round(wall1 / floor1, 3)},
               "cloudtrail_delivery_s": AWS_DELAYS["cloudtrail_delivery"] * args.scale, "rows": rows}
    print("| Notebook | unavoidable waits | floor (s) | learner's wall time (s) | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        ratio = f"{r['ratio']:.2f}" if r["ratio"] else "-"
        print(f"| {r['notebook']} | {r['waits']} | {r['floor_s']:.1f} | {r['wall_s']:.1f} | {ratio} |")
    print(f"| **total** | | **{total_floor:.1f}** | **{wall:.1f}** | **{wall / total_floor:.3f}** |")
    print(json.dumps(summary))
    ratio = wall / total_floor if args.scale == 1 else wall1 / floor1
    print(f"ratio {ratio:.3f} at scale 1{' (extrapolated)' if args.scale != 1 else ''}: "
          + ("goal met" if ratio <= GOAL else f"GOAL MISSED (> {GOAL})"))
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
