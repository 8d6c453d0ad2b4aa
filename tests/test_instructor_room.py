"""A room of 30 participant accounts on the sandbox, as an instructor runs it, at timing scale 0.

Provision 30 accounts of an OU with two SERVICE_MANAGED stack sets (the role, and the pre-deployed workshop stack);
run the unchanged learner notebooks 00-04 as three participants through `instructor env` (side by side, with
`python -m utils run --only ...`); check that `status --json` shows each one's true state;
fast-forward a late joiner; run notebook 07 as one participant (it leaves the adopted stack); then `cleanup`,
and check every one of the 30 accounts through OrganizationAccountAccessRole.

Notebook 05 as a participant (the Deny seen in CloudTrail) runs in tests/test_instructor.py, in a shared account.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest

from benchmarks.bench_room import make_org_room
from utils.config import repo_root
from utils.instructor import cli

ROOM_SIZE = 30


def _env_of(participant: str, capsys) -> dict:
    """The environment that `python -m utils instructor env PARTICIPANT` prints, as a shell would take it."""
    assert cli.main(["env", participant]) == 0
    out = capsys.readouterr().out
    env = dict(os.environ)
    for line in out.splitlines():
        if line.startswith("export "):
            for word in shlex.split(line[len("export "):]):
                key, _, value = word.partition("=")
                env[key] = value
    assert env["AWS_SESSION_TOKEN"] and env["WORKSHOP_ACCOUNT_ID"] == participant and env["WORKSHOP_PREFIX"] == ""
    return env


def _run_as(env: dict, only: str, tmp_path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "utils", "run", "--only", only, "--out", str(tmp_path / "runs")],
                            env=env, cwd=repo_root(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen, who: str) -> str:
    out, _ = proc.communicate(timeout=400)
    assert proc.returncode == 0, f"{who}:\n{out}"
    return out


@pytest.mark.slow
def test_a_room_of_30_accounts(workshop_env, sandbox, aws, capsys, tmp_path, monkeypatch):
    from utils.instructor import aws as instructor_aws

    instructor_aws.forget_credentials()
    monkeypatch.setenv("WORKSHOP_INSTRUCTOR_DIR", str(tmp_path / "participants"))
    org = aws("organizations")
    ou, accounts = make_org_room(org, ROOM_SIZE)

    # ---- provision: both stack sets, every instance CURRENT
    assert cli.main(["provision", "--ou", ou, "--predeploy", "--hours", "3"]) == 0
    out = capsys.readouterr().out
    assert f"OU {ou}: {ROOM_SIZE} active account(s)" in out and "Estimated cost of the room for 3 h" in out
    assert "bedrock-workshop-participant: 30 of 30 stack instance(s) CURRENT." in out
    assert "bedrock-workshop-stack: 30 of 30 stack instance(s) CURRENT." in out

    # ---- three participants through `instructor env`, each as far as needed, side by side
    a, b, c, late = accounts[0], accounts[1], accounts[2], accounts[3]
    runs = {who: _run_as(_env_of(who, capsys), only, tmp_path / who)
            for who, only in ((a, "00,01,02,03,04"), (b, "00,01,02,03,04"), (c, "00,01,02,03,04"))}
    outputs = {who: _finish(proc, who) for who, proc in runs.items()}
    assert all("notebooks passed" in o for o in outputs.values())
    executed = tmp_path / a / "runs"
    book01 = next(executed.rglob("01_stack.ipynb")).read_text()
    assert "Adopted StackSet-bedrock-workshop-stack-" in book01  # 01 adopted the pre-deployed stack

    # ---- fast-forward a late joiner to 01
    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    assert cli.main(["fast-forward", late, "--to", "01"]) == 0
    capsys.readouterr()

    # ---- status --json: each participant's true state
    assert cli.main(["status", "--json"]) == 0
    rows = {r["participant"]: r for r in json.loads(capsys.readouterr().out)}
    assert sorted(rows) == sorted(accounts) and not [r for r in rows.values() if r["error"]]
    ra, rb, rc, rl = rows[a], rows[b], rows[c], rows[late]
    assert ra["step"] == "04" and ra["adopted"] and ra["stack"].startswith("StackSet-bedrock-workshop-stack-")
    assert ra["endpoint_state"] == "available" and ra["private_dns"] is True and ra["policy_effect"] == "Allow"
    assert ra["function_in_vpc"] == "yes" and ra["last_allow"]["endpoint"] == ra["endpoint_id"]
    assert ra["last_deny"] is None
    assert set(ra["leftovers"]) == {f"endpoint {ra['endpoint_id']}", "VPC attachment", "inline policy enivpce-policy",
                                    "inline policy lambda-bedrock-sourcevpce-access-only"}
    assert ra["endpoint_hours"] > 0 and ra["endpoint_usd"] == 0.02  # one started hour x 2 AZs
    for r in (rb, rc):  # the same step, but each participant's own stack, endpoint and CloudTrail event
        assert r["step"] == "04" and r["function_in_vpc"] == "yes" and r["policy_effect"] == "Allow"
        assert r["last_allow"]["endpoint"] == r["endpoint_id"] and r["endpoint_id"] not in (None, ra["endpoint_id"])
    assert len({ra["endpoint_id"], rb["endpoint_id"], rc["endpoint_id"]}) == 3
    assert rl["step"] == "01" and rl["endpoint_id"] is None and rl["leftovers"] == []
    idle = [r for who, r in rows.items() if who not in (a, b, c, late)]
    assert len(idle) == ROOM_SIZE - 4
    assert all(r["step"] == "" and r["stack_status"] == "CREATE_COMPLETE" and r["adopted"] for r in idle)

    # ---- notebook 07 as participant a: everything of theirs goes, the instructor's stack stays
    proc = _run_as(_env_of(a, capsys), "07", tmp_path / f"{a}-06")
    out = _finish(proc, f"{a} 07")
    book07 = next((tmp_path / f"{a}-06" / "runs").rglob("07_cleanup.ipynb")).read_text()
    assert "is your instructor's (a stack set's stack): it stays" in book07
    assert cli.main(["status", "--json"]) == 0
    after = {r["participant"]: r for r in json.loads(capsys.readouterr().out)}
    assert after[a]["step"] == "07" and after[a]["leftovers"] == []
    assert after[a]["stack_status"] == "CREATE_COMPLETE"  # the instructor's stack stays
    assert after[a]["endpoint_id"] is None and after[a]["function_in_vpc"] == "no"

    # ---- cleanup, verified; then checked again from outside, account by account
    assert cli.main(["cleanup"]) == 0
    out = capsys.readouterr().out
    assert f"Verified: nothing of the workshop remains in any of the {ROOM_SIZE} participant(s)." in out
    assert f"endpoint {rb['endpoint_id']}" in out and "stack instance(s) of bedrock-workshop-stack" in out
    cfn = aws("cloudformation")
    assert [s["StackSetName"] for s in cfn.list_stack_sets()["Summaries"] if s["Status"] != "DELETED"] == []
    sts = aws("sts")
    for account in accounts:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                RoleSessionName="check")["Credentials"]
        kw = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
              "aws_session_token": creds["SessionToken"]}
        ec2, cf, iam = aws("ec2", **kw), aws("cloudformation", **kw), aws("iam", **kw)
        live = [s["StackName"] for s in cf.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"]
        assert live == [], (account, live)
        tagged = [{"Name": "tag:workshop", "Values": ["bedrock-privatelink"]}]
        assert ec2.describe_vpcs(Filters=tagged)["Vpcs"] == [], account
        assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == [], account
        assert "WorkshopParticipant" not in [r["RoleName"] for r in iam.list_roles()["Roles"]], account
