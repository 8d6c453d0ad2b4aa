"""Benchmark the sandbox with a room: an organization, N participant accounts in an OU, and a
SERVICE_MANAGED stack set of the workshop's template with automatic deployment (issue 9).

    python -m benchmarks.bench_room_sandbox [--accounts 30] [--template cfn/bedrock-privatelink.yaml]

Measures, at timing scale 0, on a background sandbox (`python -m sandbox start`, persistence off):
the sandbox's memory (resident set size) before and after, the time to create the accounts, the time of
the CreateStackInstances operation until SUCCEEDED, and the time of one ListStackInstances call.
Prints one line per measurement and a JSON summary. A measurement, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import boto3

from utils.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=30)
    parser.add_argument("--template", default=str(ROOT / "cfn" / "bedrock-privatelink.yaml"))
    args = parser.parse_args()
    from sandbox import control

    result: dict = {"accounts": args.accounts}
    with tempfile.TemporaryDirectory() as state_dir:
        os.environ["SANDBOX_STATE_DIR"] = state_dir
        os.environ["SANDBOX_PERSIST"] = "0"
        info = control.start(port=None)
        try:
            kw = {"endpoint_url": info["url"], "region_name": "us-east-1", "aws_access_key_id": "bench",
                  "aws_secret_access_key": "bench"}
            org, cfn = boto3.client("organizations", **kw), boto3.client("cloudformation", **kw)
            cfn.list_stacks()  # load moto's CloudFormation code before the first measurement
            result["rss_start_mb"] = round(rss_mb(info["pid"]), 1)
            org.create_organization(FeatureSet="ALL")
            root = org.list_roots()["Roots"][0]["Id"]
            ou = org.create_organizational_unit(ParentId=root, Name="room")["OrganizationalUnit"]["Id"]
            t0 = time.perf_counter()
            for i in range(args.accounts):
                account = org.create_account(AccountName=f"participant-{i:02d}", Email=f"p{i:02d}@example.com")[
                    "CreateAccountStatus"]["AccountId"]
                org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
            result["create_accounts_s"] = round(time.perf_counter() - t0, 2)
            result["rss_accounts_mb"] = round(rss_mb(info["pid"]), 1)
            cfn.activate_organizations_access()
            cfn.create_stack_set(
                StackSetName="room", TemplateBody=Path(args.template).read_text(), PermissionModel="SERVICE_MANAGED",
                Capabilities=["CAPABILITY_IAM"],
                AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
                Parameters=[{"ParameterKey": "AvailabilityZone1", "ParameterValue": "us-east-1a"},
                            {"ParameterKey": "AvailabilityZone2", "ParameterValue": "us-east-1b"}])
            t0 = time.perf_counter()
            op_id = cfn.create_stack_instances(
                StackSetName="room", DeploymentTargets={"OrganizationalUnitIds": [ou]}, Regions=["us-east-1"],
                OperationPreferences={"RegionConcurrencyType": "PARALLEL", "MaxConcurrentPercentage": 100,
                                      "FailureTolerancePercentage": 10})["OperationId"]

            def finished():
                op = cfn.describe_stack_set_operation(StackSetName="room", OperationId=op_id)["StackSetOperation"]
                return op if op["Status"] not in ("RUNNING", "QUEUED") else None

            op = wait_until(finished, what="the stack set operation", timeout=300, interval=0.05, max_interval=1.0,
                            backoff=1.5, quiet=True)
            result["stack_instances_s"] = round(time.perf_counter() - t0, 2)
            result["operation_status"] = op["Status"]
            t0 = time.perf_counter()
            instances = cfn.list_stack_instances(StackSetName="room")["Summaries"]
            result["list_stack_instances_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            result["instances_succeeded"] = sum(
                1 for i in instances if i["StackInstanceStatus"]["DetailedStatus"] == "SUCCEEDED")
            failed = [i.get("StatusReason") for i in instances
                      if i["StackInstanceStatus"]["DetailedStatus"] != "SUCCEEDED"]
            if failed:
                result["first_failure"] = failed[0]
            result["rss_room_mb"] = round(rss_mb(info["pid"]), 1)
        finally:
            control.stop()
    print(f"sandbox memory: {result['rss_start_mb']} MB at start, {result['rss_accounts_mb']} MB with "
          f"{args.accounts} accounts, {result['rss_room_mb']} MB with the stack set deployed")
    print(f"{args.accounts} accounts created and moved into the OU in {result['create_accounts_s']} s")
    print(f"CreateStackInstances to {result['operation_status']}: {result['stack_instances_s']} s "
          f"({result['instances_succeeded']} of {len(instances)} instances SUCCEEDED)")
    print(f"ListStackInstances: {result['list_stack_instances_ms']} ms")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
