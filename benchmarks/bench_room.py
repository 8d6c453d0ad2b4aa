"""Benchmark an instructor's room on the sandbox (a benchmark, not a timed test).

    python -m benchmarks.bench_room [--participants 30] [--no-predeploy] [--refreshes 3]
                                    [--timing-scale S | --eni-release SECONDS] [--attach N]

Starts a background sandbox (state in a temporary folder), creates an organization with an OU of N accounts
(Organizations CreateAccount), then measures, through `python -m utils instructor`'s code:

- provisioning: `provision --ou OU --predeploy` (two SERVICE_MANAGED stack sets, deployed side by side);
- a status refresh of every participant (target: at most 5 s), as the dashboard does;
- a verified cleanup, after `--attach N` participants have what notebooks 02-03 leave (an interface endpoint, the
  function in the VPC with its network interfaces, the ENI policy): their endpoints and Lambda's ENI release are
  then the waits the cleanup must share;
- the sandbox server's resident memory with the N accounts provisioned (and before, and after cleanup).

With a timing scale (or `--eni-release`, which picks the scale that makes Lambda's ENI release last that long;
sandbox/settings.py AWS_DELAYS), the sandbox models AWS's waits, and each figure is set against the wait AWS
imposes: the stack set operations' own durations (DescribeStackSetOperation CreationTimestamp to EndTimestamp, as
the sandbox models them) and, for cleanup, one ENI release. Targets (issue 16): cleanup of a room of 30 within
1.2x one ENI release; provision and cleanup of 100 within 1.2x the modelled waits; status at most 5 s.

Prints one line per measurement and a JSON summary. The figures go in docs/benchmarks.md ("A room of
participants").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request

ROOT_EMAIL_DOMAIN = "example.com"


def make_org_room(org, n: int, ou_name: str = "workshop-room", prefix: str = "participant") -> tuple[str, list[str]]:
    """An organization (if none) with an OU holding `n` new accounts. Returns (OU ID, account IDs).

    CreateAccount is asynchronous: each request is polled (DescribeCreateAccountStatus) until it SUCCEEDS.
    """
    try:
        org.describe_organization()
    except org.exceptions.AWSOrganizationsNotInUseException:
        org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name=ou_name)["OrganizationalUnit"]["Id"]
    requests = [org.create_account(Email=f"{prefix}{i:02d}@{ROOT_EMAIL_DOMAIN}", AccountName=f"{prefix}{i:02d}")
                ["CreateAccountStatus"]["Id"] for i in range(1, n + 1)]
    accounts = []
    for request_id in requests:
        delay = 0.05
        deadline = time.monotonic() + 120
        while True:
            st = org.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]
            if st["State"] == "SUCCEEDED":
                break
            if st["State"] == "FAILED" or time.monotonic() > deadline:
                raise RuntimeError(f"CreateAccount {request_id}: {st}")
            time.sleep(delay)
            delay = min(delay * 1.6, 2.0)
        org.move_account(AccountId=st["AccountId"], SourceParentId=root, DestinationParentId=ou)
        accounts.append(st["AccountId"])
    return ou, accounts


def rss_mib(pid: int) -> float:
    """Resident memory of the sandbox process and its children (Lambda workers), in MiB, from /proc."""
    total = 0
    pids = [pid]
    try:
        children = open(f"/proc/{pid}/task/{pid}/children").read().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _settings(url: str, values: dict) -> None:
    req = urllib.request.Request(f"{url}/_sandbox/settings", method="POST", data=json.dumps(values).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


def _op_seconds(cfn, name: str) -> list[float]:
    """Durations of the stack set's operations as the sandbox models them (EndTimestamp - CreationTimestamp)."""
    out = []
    for page in cfn.get_paginator("list_stack_set_operations").paginate(StackSetName=name):
        for op in page["Summaries"]:
            if op.get("EndTimestamp"):
                out.append((op["EndTimestamp"] - op["CreationTimestamp"]).total_seconds())
    return out


def attach(account: str, region: str = "us-east-1") -> None:
    """In the participant's account (OrganizationAccountAccessRole): what notebooks 02-03 leave behind."""
    import boto3

    from utils.policies import ENI_POLICY_NAME, eni_policy

    sts = boto3.client("sts", region_name=region)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                            RoleSessionName="bench")["Credentials"]
    kw = {"region_name": region, "aws_access_key_id": creds["AccessKeyId"],
          "aws_secret_access_key": creds["SecretAccessKey"], "aws_session_token": creds["SessionToken"]}
    cfn, ec2, lam, iam = (boto3.client(s, **kw) for s in ("cloudformation", "ec2", "lambda", "iam"))
    (desc,) = [s for s in cfn.describe_stacks()["Stacks"] if s["StackName"].startswith("StackSet-")
               and any(o["OutputKey"] == "FunctionName" for o in s.get("Outputs", []))]
    out = {o["OutputKey"]: o["OutputValue"] for o in desc["Outputs"]}
    subnets = [out["PrivateSubnet1Id"], out["PrivateSubnet2Id"]]
    ec2.create_vpc_endpoint(VpcId=out["VpcId"], ServiceName=f"com.amazonaws.{region}.bedrock-runtime",
                            VpcEndpointType="Interface", SubnetIds=subnets, PrivateDnsEnabled=True,
                            SecurityGroupIds=[out["EndpointSecurityGroupId"]],
                            TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": [
                                {"Key": "workshop", "Value": "bedrock-privatelink"},
                                {"Key": "participant", "Value": "default"}]}])
    iam.put_role_policy(RoleName=out["FunctionRoleName"], PolicyName=ENI_POLICY_NAME,
                        PolicyDocument=json.dumps(eni_policy()))
    lam.update_function_configuration(FunctionName=out["FunctionName"], VpcConfig={
        "SubnetIds": subnets, "SecurityGroupIds": [out["LambdaSecurityGroupId"]]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_room")
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--no-predeploy", action="store_true")
    parser.add_argument("--refreshes", type=int, default=3)
    parser.add_argument("--timing-scale", type=float, default=0.0, help="sandbox timing scale for provision and "
                        "cleanup (0: no modelled waits)")
    parser.add_argument("--eni-release", type=float, default=None,
                        help="seconds one Lambda ENI release lasts (sets the timing scale accordingly)")
    parser.add_argument("--attach", type=int, default=0, help="participants given an endpoint and a function in "
                        "the VPC before cleanup")
    args = parser.parse_args(argv)

    os.environ.setdefault("SANDBOX_STATE_DIR", tempfile.mkdtemp(prefix="bench-room-"))
    os.environ["SANDBOX_PERSIST"] = "0"
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION":
                       "us-east-1", "WORKSHOP_TARGET": "sandbox", "WORKSHOP_REQUIRE_SANDBOX": "1",
                       "WORKSHOP_CONFIG": os.path.join(os.environ["SANDBOX_STATE_DIR"], "cfg.json")}.items():
        os.environ[key] = value
    os.environ.pop("AWS_SESSION_TOKEN", None)
    from sandbox import control
    from sandbox.settings import AWS_DELAYS

    scale = args.eni_release / AWS_DELAYS["eni_release"] if args.eni_release else args.timing_scale
    info = control.start(port=None)
    url, pid = info["url"], info["pid"]
    os.environ["AWS_ENDPOINT_URL"] = url
    summary: dict = {"participants": args.participants, "cpus": os.cpu_count(), "timing_scale": scale,
                     "eni_release_s": round(AWS_DELAYS["eni_release"] * scale, 2), "attached": args.attach,
                     "load_average": [round(x, 1) for x in os.getloadavg()]}
    try:
        _settings(url, {"timing_scale": 0})
        from concurrent.futures import ThreadPoolExecutor

        import boto3

        from utils import target
        from utils.instructor import cleanup, room, status
        from utils.instructor.provision import Plan, provision

        target.activate("sandbox")
        summary["rss_idle_mib"] = round(rss_mib(pid), 1)
        org = boto3.client("organizations", region_name="us-east-1")
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        t0 = time.perf_counter()
        ou, accounts = make_org_room(org, args.participants)
        summary["create_accounts_s"] = round(time.perf_counter() - t0, 2)
        print(f"created {len(accounts)} accounts in {ou}: {summary['create_accounts_s']} s", flush=True)

        _settings(url, {"timing_scale": scale})
        plan = Plan("ou", "us-east-1", "us.amazon.nova-micro-v1:0", ou_id=ou, predeploy=not args.no_predeploy)
        t0 = time.perf_counter()
        provision(plan, echo=lambda *_: None)
        summary["provision_s"] = round(time.perf_counter() - t0, 2)
        sets = 1 if args.no_predeploy else 2
        # AWS's waits as the sandbox models them (sandbox/settings.py AWS_DELAYS): an operation's start-up and
        # wrap-up around the stacks' creation; the two stack sets' operations run side by side.
        modelled = (2 * AWS_DELAYS["stack_set_operation"] + AWS_DELAYS["stack_operation"]) * scale
        ops = max(sum(_op_seconds(cfn, n)) for n in ("bedrock-workshop-participant", "bedrock-workshop-stack")[:sets])
        summary["provision_modelled_s"] = round(modelled, 2)
        summary["provision_operations_s"] = round(ops, 2)
        print(f"provision: {summary['provision_s']} s; modelled AWS waits {modelled:.2f} s; the operations as the "
              f"sandbox ran them (the modelled waits plus its own work of creating the stacks) {ops:.2f} s",
              flush=True)
        summary["rss_provisioned_mib"] = round(rss_mib(pid), 1)
        print(f"sandbox memory with {len(accounts)} accounts: {summary['rss_provisioned_mib']} MiB", flush=True)

        r = room.require("us-east-1")
        times = []
        for _ in range(args.refreshes):
            t0 = time.perf_counter()
            rows = status.collect(r)
            times.append(time.perf_counter() - t0)
        assert len(rows) == args.participants and not any(row["error"] for row in rows), rows[:2]
        summary["status_refresh_s"] = [round(t, 2) for t in times]
        print(f"status refresh of {len(rows)} (target <= 5 s): first {times[0]:.2f} s, then "
              f"{', '.join(f'{t:.2f}' for t in times[1:])} s", flush=True)

        if args.attach:
            _settings(url, {"timing_scale": 0})
            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(attach, accounts[:args.attach]))
            print(f"attached an endpoint and the function to the VPC in {args.attach} account(s): "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
            _settings(url, {"timing_scale": scale})

        t0 = time.perf_counter()
        result = cleanup.cleanup("us-east-1", echo=lambda *_: None)
        took = time.perf_counter() - t0
        summary["cleanup_verified_s"] = round(took, 2)
        summary["cleanup_phases_s"] = {k: round(v, 2) for k, v in cleanup.PHASE_SECONDS.items()}
        summary["verified_empty"] = result["verified_empty"]
        # The modelled waits the cleanup cannot avoid: one ENI release (when any participant had one), then one
        # DeleteStackInstances operation (both stack sets at once): its start-up and wrap-up around the stacks'
        # deletion, as the sandbox models it (sandbox/stacksets/models.py).
        eni = AWS_DELAYS["eni_release"] * scale if args.attach else 0.0
        delete_op = (2 * AWS_DELAYS["stack_set_operation"] + AWS_DELAYS["stack_operation"]) * scale
        summary["cleanup_modelled_s"] = round(eni + delete_op, 2)
        if eni:
            summary["cleanup_over_one_eni_release"] = round(took / eni, 2)
        print(f"verified cleanup: {took:.2f} s, verified empty: {result['verified_empty']}; modelled waits "
              f"{summary['cleanup_modelled_s']:.1f} s"
              + (f"; one ENI release is {eni:.1f} s: {took / eni:.2f}x (target <= 1.2x)" if eni else ""), flush=True)
        summary["rss_after_cleanup_mib"] = round(rss_mib(pid), 1)
        summary["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        control.stop()
    print(json.dumps(summary, indent=2))
    return 0 if summary.get("verified_empty") else 1


if __name__ == "__main__":
    sys.exit(main())
