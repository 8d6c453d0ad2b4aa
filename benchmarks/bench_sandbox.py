"""Benchmark the sandbox: start-up, Lambda invoke round trip, policy evaluation rate.

    python -m benchmarks.bench_sandbox [--invokes 50] [--evaluations 20000]    (from the repository root)

Targets on a 2-core machine (issue "Sandbox"): start-up <= 3 s, invoke round trip
<= 300 ms median. Prints one line per measurement and a JSON summary.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile

import boto3

HANDLER = "def handler(event, context):\n    return {'echo': event}\n"


def measure_startup(state_dir: str) -> tuple[float, str]:
    from sandbox import control

    os.environ["SANDBOX_STATE_DIR"] = state_dir
    t0 = time.perf_counter()
    info = control.start(port=None)
    return time.perf_counter() - t0, info["url"]


def measure_invokes(url: str, n: int) -> dict:
    kw = {"endpoint_url": url, "region_name": "us-east-1", "aws_access_key_id": "bench",
          "aws_secret_access_key": "bench"}
    iam, lam = boto3.client("iam", **kw), boto3.client("lambda", **kw)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bench.py", HANDLER)
    lam.create_function(FunctionName="bench", Runtime="python3.12", Role=role, Handler="bench.handler",
                        Code={"ZipFile": buf.getvalue()})
    lam.get_waiter("function_active_v2").wait(FunctionName="bench")  # Pending until Lambda has created it
    t0 = time.perf_counter()
    lam.invoke(FunctionName="bench", Payload=b'{"cold": true}')
    cold = time.perf_counter() - t0
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        r = lam.invoke(FunctionName="bench", Payload=json.dumps({"i": i}).encode())
        r["Payload"].read()
        times.append(time.perf_counter() - t0)
    return {"cold_s": cold, "median_ms": statistics.median(times) * 1000,
            "p90_ms": sorted(times)[int(0.9 * len(times)) - 1] * 1000, "n": n}


def measure_evaluations(n: int) -> float:
    import iampolicy as policy

    endpoint = ("vpce", {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/r"}, "Action": ["bedrock:InvokeModel"],
        "Resource": ["arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-micro-v1:0",
                     "arn:aws:bedrock:*::foundation-model/amazon.nova-micro-v1:0"]}]})
    identity = [("lambda-bedrock-sourcevpce-access-only", {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["bedrock:ListFoundationModels", "bedrock:InvokeModel"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:sourceVpce": "vpce-0123456789abcdef0"}}}]})]
    rc = policy.RequestContext(
        action="bedrock:InvokeModel", resource="arn:aws:bedrock:us-east-2::foundation-model/amazon.nova-micro-v1:0",
        principal_arn="arn:aws:sts::123456789012:assumed-role/r/f", principal_account="123456789012",
        role_arn="arn:aws:iam::123456789012:role/r", context={"aws:SourceVpce": "vpce-0123456789abcdef0"})
    t0 = time.perf_counter()
    for _ in range(n):
        assert policy.evaluate(rc, identity, endpoint).allowed
    return n / (time.perf_counter() - t0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invokes", type=int, default=50)
    parser.add_argument("--evaluations", type=int, default=20000)
    args = parser.parse_args()
    from sandbox import control

    with tempfile.TemporaryDirectory() as state_dir:
        startup, url = measure_startup(state_dir)
        try:
            print(f"start-up: {startup:.2f} s (target <= 3 s)")
            inv = measure_invokes(url, args.invokes)
            print(f"invoke: cold {inv['cold_s'] * 1000:.0f} ms, warm median {inv['median_ms']:.1f} ms "
                  f"(p90 {inv['p90_ms']:.1f} ms, n={inv['n']}; target <= 300 ms median)")
        finally:
            control.stop()
    rate = measure_evaluations(args.evaluations)
    print(f"policy evaluation: {rate:,.0f} decisions/s (identity + endpoint policy, one resource)")
    print(json.dumps({"startup_s": round(startup, 3), "invoke": inv, "evaluations_per_s": round(rate)}))
    ok = startup <= 3 and inv["median_ms"] <= 300
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
