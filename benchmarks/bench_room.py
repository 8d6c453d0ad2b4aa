"""Benchmark an instructor's room of 30 participant accounts on the sandbox (a benchmark, not a timed test).

    python -m benchmarks.bench_room [--participants 30] [--predeploy/--no-predeploy] [--refreshes 3]

Starts a background sandbox (timing scale 0, state in a temporary folder), creates an organization with an OU
of N accounts (Organizations CreateAccount), then measures, through `python -m utils instructor`'s code:

- provisioning: `provision --ou OU --predeploy` (two SERVICE_MANAGED stack sets; target: at most 2 minutes);
- a status refresh of every participant (target: at most 5 s), as the dashboard does;
- a verified cleanup (target: at most 3 minutes);
- the sandbox server's resident memory with the N accounts provisioned (and before, and after cleanup).

Prints one line per measurement and a JSON summary. The figures go in the README ("Running the workshop for a
room").
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_room")
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--no-predeploy", action="store_true")
    parser.add_argument("--refreshes", type=int, default=3)
    args = parser.parse_args(argv)

    os.environ.setdefault("SANDBOX_STATE_DIR", tempfile.mkdtemp(prefix="bench-room-"))
    os.environ["SANDBOX_PERSIST"] = "0"
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION":
                       "us-east-1", "WORKSHOP_TARGET": "sandbox", "WORKSHOP_REQUIRE_SANDBOX": "1",
                       "WORKSHOP_CONFIG": os.path.join(os.environ["SANDBOX_STATE_DIR"], "cfg.json")}.items():
        os.environ[key] = value
    os.environ.pop("AWS_SESSION_TOKEN", None)
    from sandbox import control

    info = control.start(port=None)
    url, pid = info["url"], info["pid"]
    os.environ["AWS_ENDPOINT_URL"] = url
    summary: dict = {"participants": args.participants, "cpus": os.cpu_count()}
    try:
        _settings(url, {"timing_scale": 0})
        import boto3

        from utils import target
        from utils.instructor import cleanup, room, status
        from utils.instructor.provision import Plan, provision

        target.activate("sandbox")
        summary["rss_idle_mib"] = round(rss_mib(pid), 1)
        org = boto3.client("organizations", region_name="us-east-1")
        t0 = time.perf_counter()
        ou, accounts = make_org_room(org, args.participants)
        summary["create_accounts_s"] = round(time.perf_counter() - t0, 2)
        print(f"created {len(accounts)} accounts in {ou}: {summary['create_accounts_s']} s", flush=True)

        plan = Plan("ou", "us-east-1", "us.amazon.nova-micro-v1:0", ou_id=ou, predeploy=not args.no_predeploy)
        t0 = time.perf_counter()
        provision(plan, echo=lambda *_: None)
        summary["provision_s"] = round(time.perf_counter() - t0, 2)
        print(f"provision (target <= 120 s): {summary['provision_s']} s", flush=True)
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

        t0 = time.perf_counter()
        result = cleanup.cleanup("us-east-1", echo=lambda *_: None)
        summary["cleanup_verified_s"] = round(time.perf_counter() - t0, 2)
        summary["verified_empty"] = result["verified_empty"]
        print(f"verified cleanup (target <= 180 s): {summary['cleanup_verified_s']} s, "
              f"verified empty: {result['verified_empty']}", flush=True)
        summary["rss_after_cleanup_mib"] = round(rss_mib(pid), 1)
    finally:
        control.stop()
    print(json.dumps(summary, indent=2))
    return 0 if summary.get("verified_empty") else 1


if __name__ == "__main__":
    sys.exit(main())
