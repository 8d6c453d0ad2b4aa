"""The instructor's command line as an instructor meets it: each mistake of issue 16 is one paragraph with what to
do next and a documented exit code (2: the command line; 1: AWS or the room's state; 130: Ctrl-C, with what
still runs in AWS), never a traceback; `status` exits 1 when a row is unreadable or a participant failed;
`env` asks for the role's maximum session and prints the expiry; `handout`/`refresh`; `rehearse`; the dashboard.

Mistakes are run as `python -m utils instructor ...` in a subprocess where that is what shows a traceback or
not (usage, a stopped sandbox, Ctrl-C), and through `cli.main` otherwise.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import set_settings
from utils.instructor import cli

ROOT = Path(__file__).resolve().parents[1]


def dead_url() -> str:
    """A loopback URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def instructor(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "utils", "instructor", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def one_paragraph(err: str) -> str:
    assert "Traceback" not in err, err
    text = err.strip()
    assert text and "\n\n" not in text and text.count("\n") == 0, err
    return text



def shared_room(capsys, n: int = 2) -> None:
    assert cli.main(["provision", "--shared", str(n)]) == 0
    capsys.readouterr()


# ---------------------------------------------------------------------------------------------- exit 2: usage
USAGE = [
    (["provision", "--ou", "ou-123"], "is not an OU ID"),
    (["provision", "--ou", "ou-123", "--dry-run"], "is not an OU ID"),
    (["provision", "--shared", "2", "--hours", "-1"], "more than 0 and at most 168"),
    (["provision", "--shared", "2", "--hours", "inf"], "more than 0 and at most 168"),
    (["provision", "--shared", "2", "--hours", "nan"], "more than 0 and at most 168"),
    (["provision", "--shared", "2", "--hours", "three"], "is not a number of hours"),
    (["provision", "--shared", "0"], "give at least 1"),
    (["provision"], "one of the arguments --ou --accounts --shared is required"),
    (["fast-forward", "p01", "--to", "abc"], "from 00 to 07"),
    (["fast-forward", "p01", "--to", "08"], "from 00 to 07"),
    (["env", "p01", "--duration", "60"], "900 to 43200"),
    (["rehearse", "--accounts", "0"], "give at least 1"),
    (["status", "--room", "Room!"], "is not a valid room name"),
    (["bogus"], "invalid choice"),
]


@pytest.mark.parametrize("argv, words", USAGE, ids=[" ".join(a) for a, _ in USAGE])
def test_a_mistake_on_the_command_line_is_one_paragraph_and_exit_2(argv, words):
    # A sandbox URL where nothing answers: any AWS call would end in exit 1, so exit 2 shows that none was made.
    run = instructor(*argv, env={"AWS_ENDPOINT_URL": dead_url()})
    assert run.returncode == 2, run.stderr
    assert words in one_paragraph(run.stderr)
    assert run.stdout == ""


# ---------------------------------------------------------------------------------------------- exit 1: state
STOPPED = [["status"], ["status", "--json"], ["env", "p01"], ["cleanup"], ["handout"], ["provision", "--shared", "2"],
           ["provision", "--ou", "ou-zzzz-zzzzzzzz", "--dry-run"]]


@pytest.mark.parametrize("argv", STOPPED, ids=" ".join)
def test_a_stopped_sandbox_is_one_paragraph_and_exit_1(argv):
    url = dead_url()
    run = instructor(*argv, env={"AWS_ENDPOINT_URL": url, "WORKSHOP_TARGET": "sandbox"})
    assert run.returncode == 1
    text = one_paragraph(run.stderr)
    assert f"AWS_ENDPOINT_URL={url}, but no sandbox answers there" in text and "python -m sandbox start" in text


@pytest.mark.parametrize("dry_run", [False, True], ids=["provision", "dry-run"])
def test_an_ou_that_does_not_exist_is_one_paragraph_and_exit_1(instructor_env, aws, dry_run):
    from utils.instructor import rehearse

    rehearse.make_room(aws("organizations"), 1, echo=lambda *_: None)
    run = instructor("provision", "--ou", "ou-zzzz-zzzzzzzz", *(["--dry-run"] if dry_run else []))
    assert run.returncode == 1
    text = one_paragraph(run.stderr)
    assert "the OU ou-zzzz-zzzzzzzz does not exist in this organization" in text
    assert "ParentNotFoundException" in text and "Nothing was created." in text
    assert "list-organizational-units-for-parent" in text
    assert aws("cloudformation").list_stack_sets()["Summaries"] == []


def test_no_room_and_an_unknown_participant(instructor_env, aws, capsys):
    assert cli.main(["status"]) == 1
    assert "No room 'bedrock-workshop' in us-east-1" in one_paragraph(capsys.readouterr().err)
    shared_room(capsys)
    assert cli.main(["env", "p09"]) == 2
    assert "'p09' is not a participant of the room bedrock-workshop. Participants: p01, p02." in \
        one_paragraph(capsys.readouterr().err)
    assert cli.main(["fast-forward", "p09", "--to", "03"]) == 2


def test_a_quota_that_does_not_fit_is_state_exit_1(instructor_env, aws, capsys):
    assert cli.main(["provision", "--shared", "5"]) == 1
    assert "so 2 participant(s) fit" in capsys.readouterr().err  # 2 VPCs each (notebook 06)


# ---------------------------------------------------------------------------------------------- status
def test_status_exits_1_and_marks_a_failed_participant(instructor_env, aws, capsys):
    shared_room(capsys)
    cfn = aws("cloudformation")
    broken = {"Resources": {"Subnet": {"Type": "AWS::EC2::Subnet",
                                       "Properties": {"VpcId": "vpc-0000000000000000f", "CidrBlock": "10.0.0.0/24"}}}}
    cfn.create_stack(StackName="p02-Bedrock-GenAI-Stack", TemplateBody=json.dumps(broken),
                     Tags=[{"Key": "workshop", "Value": "bedrock-privatelink"}, {"Key": "participant", "Value": "p02"}])
    from tests.conftest import wait_for

    wait_for(lambda: not cfn.describe_stacks(StackName="p02-Bedrock-GenAI-Stack")["Stacks"][0]["StackStatus"]
             .endswith("_IN_PROGRESS"), "the stack to fail", 60)
    assert cli.main(["status", "--json"]) == 1
    captured = capsys.readouterr()
    rows = {r["participant"]: r for r in json.loads(captured.out)}
    assert rows["p01"]["problem"] == "" and rows["p01"]["error"] == ""
    assert rows["p02"]["problem"] == "failed"
    assert rows["p02"]["problem_detail"] == "stack p02-Bedrock-GenAI-Stack ROLLBACK_COMPLETE"
    assert "1 of 2 participant(s) unreadable or failed (exit 1)" in one_paragraph(captured.err)
    assert cli.main(["status"]) == 1
    assert "FAILED stack p02-Bedrock-GenAI-Stack ROLLBACK_COMPLETE" in capsys.readouterr().out


@pytest.mark.slow
def test_status_exits_1_when_the_sandbox_stops_mid_status(instructor_env, aws, capsys, monkeypatch):
    """The room is found, then every participant's reads fail to connect: each row says so, the exit code too."""
    from utils import target
    from utils.instructor import aws as instructor_aws
    from utils.instructor import status

    shared_room(capsys)
    collect = status.collect

    def sandbox_stops(r, *a, **k):
        monkeypatch.setenv("AWS_ENDPOINT_URL", dead_url())
        instructor_aws.forget_credentials()
        target._client_cache.clear()
        return collect(r, *a, **k)

    monkeypatch.setattr(status, "collect", sandbox_stops)
    assert cli.main(["status", "--json"]) == 1
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [r["problem"] for r in rows] == ["unreadable", "unreadable"]
    assert all(r["error"].startswith("EndpointConnectionError") for r in rows)
    text = one_paragraph(captured.err)
    assert "2 of 2 participant(s) unreadable or failed (exit 1); 2 could not reach the sandbox at" in text
    assert "python -m sandbox start" in text


# ---------------------------------------------------------------------------------------------- Ctrl-C
@pytest.mark.slow
def test_ctrl_c_during_provision_says_what_runs_on_in_aws_and_how_to_resume(instructor_env, aws, capsys):
    from utils.instructor import rehearse

    ou, _ = rehearse.make_room(aws("organizations"), 1, echo=lambda *_: None)
    set_settings(instructor_env.url, {"timing_scale": 1})  # a stack set operation takes seconds, as on AWS
    proc = subprocess.Popen([sys.executable, "-m", "utils", "instructor", "provision", "--ou", ou], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "the stack instances of bedrock-workshop-participant: RUNNING" in line:  # the operation started
            break
    assert seen and "RUNNING" in seen[-1], "".join(seen)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    text = one_paragraph(err)
    assert text.startswith("Interrupted (Ctrl-C). Still running in AWS (CloudFormation carries on without this "
                           "command): stack set bedrock-workshop-participant: operation ")
    assert "(CREATE RUNNING)" in text
    assert f"To resume, run the same command again (python -m utils instructor provision --ou {ou})" in text
    assert "python -m utils instructor cleanup --room bedrock-workshop" in text

    set_settings(instructor_env.url, {"timing_scale": 0})
    assert cli.main(["provision", "--ou", ou]) == 0  # the same command resumes: waits, then deploys what is missing
    assert "bedrock-workshop-participant: 1 of 1 stack instance(s) CURRENT." in capsys.readouterr().out
    assert cli.main(["cleanup"]) == 0


def test_ctrl_c_during_cleanup_says_to_run_it_again(instructor_env, aws, capsys, monkeypatch):
    from utils.instructor import cleanup

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(cleanup, "cleanup", interrupted)
    assert cli.main(["cleanup"]) == 130
    text = one_paragraph(capsys.readouterr().err)
    assert "No CloudFormation operation of the room is running in AWS now." in text
    assert "Run cleanup again" in text and "it continues from where it stopped" in text


# ---------------------------------------------------------------------------------------------- env
def _until(first_line: str) -> datetime:
    found = re.search(r"valid until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", first_line)
    assert found, first_line
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def test_env_gives_the_roles_maximum_session_and_prints_the_expiry(instructor_env, aws, capsys):
    shared_room(capsys)
    assert cli.main(["env", "p01"]) == 0
    captured = capsys.readouterr()
    first = captured.out.splitlines()[0]
    assert first.startswith("# credentials of WorkshopParticipant in 123456789012, valid until ")
    left = _until(first) - datetime.now(UTC)
    assert timedelta(hours=3, minutes=58) < left <= timedelta(hours=4)  # MaxSessionDuration 14400 in the template
    assert "14400 s, the role's maximum session duration" in one_paragraph(captured.err)

    assert cli.main(["env", "p01", "--duration", "900"]) == 0
    captured = capsys.readouterr()
    assert timedelta(minutes=13) < _until(captured.out.splitlines()[0]) - datetime.now(UTC) <= timedelta(minutes=15)
    assert "900 s, as asked with --duration" in captured.err


# What AWS STS answers when a role session asks for more than an hour (AWS re:Post Knowledge Center,
# "iam-role-chaining-limit": "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by
# role chaining."). The sandbox does not model role chaining, so the answer is given here.
CHAINED = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."


def _chained(monkeypatch):
    from utils.instructor import aws as instructor_aws

    assume = instructor_aws.assume

    def chained(*a, seconds=3600, **k):
        if seconds > 3600:
            raise ClientError({"Error": {"Code": "ValidationError", "Message": CHAINED}}, "AssumeRole")
        return assume(*a, seconds=seconds, **k)

    monkeypatch.setattr(instructor_aws, "assume", chained)


def test_env_under_role_chaining_takes_one_hour_and_says_why(instructor_env, aws, capsys, monkeypatch):
    shared_room(capsys)
    _chained(monkeypatch)
    assert cli.main(["env", "p01"]) == 0
    captured = capsys.readouterr()
    assert timedelta(minutes=58) < _until(captured.out.splitlines()[0]) - datetime.now(UTC) <= timedelta(hours=1)
    assert "one hour, not 14400 s" in captured.err and "role chaining" in captured.err


def test_an_explicit_duration_is_never_shortened(instructor_env, aws, capsys, monkeypatch):
    shared_room(capsys)
    _chained(monkeypatch)
    assert cli.main(["env", "p01", "--duration", "7200"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    text = one_paragraph(captured.err)
    assert f"AssumeRole answered ValidationError: {CHAINED.rstrip('.')}" in text and "--duration" in text


# ---------------------------------------------------------------------------------------------- handout
def test_handout_and_refresh(instructor_env, aws, capsys, tmp_path):
    shared_room(capsys)
    ec2, sm = aws("ec2"), aws("sagemaker")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    domain = sm.create_domain(DomainName="bedrock-workshop-studio", AuthMode="IAM", VpcId=vpc, SubnetIds=subnets[:2],
                              DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/"
                                                                    "WorkshopParticipant"})["DomainArn"].split("/")[-1]
    sm.create_user_profile(DomainId=domain, UserProfileName="p01")  # p02 has no Studio profile

    out = tmp_path / "handout"
    assert cli.main(["handout", "--out", str(out)]) == 0
    assert f"Wrote the handout of 2 participant(s) to {out}" in capsys.readouterr().out
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    names = sorted(p.name for p in out.iterdir())
    assert names == ["p01.env", "p01.md", "p02.env", "p02.md", "room.csv", "room.md"]
    assert all(stat.S_IMODE((out / n).stat().st_mode) == 0o600 for n in names)
    rows = {r["participant"]: r for r in csv.DictReader((out / "room.csv").open())}
    p01, p02 = rows["p01"], rows["p02"]
    assert p01["console"] == ("https://signin.aws.amazon.com/switchrole?account=123456789012&roleName="
                              "WorkshopParticipant&displayName=bedrock-workshop+p01")
    assert p01["studio"].startswith("https://") and p01["studio_expires"]
    assert p02["studio"] == "" and "no Studio link" in p02["note"]
    left = datetime.fromisoformat(p01["expires"]) - datetime.now(UTC)
    assert timedelta(hours=3, minutes=58) < left <= timedelta(hours=4)
    env_file = (out / "p01.env").read_text()
    assert "AWS_SESSION_TOKEN=" in env_file and "WORKSHOP_PREFIX=p01" in env_file
    assert "WORKSHOP_CONFIG" not in env_file  # a participant keeps their own config file
    sheet = (out / "p01.md").read_text()
    assert "source p01.env" in sheet and p01["console"] in sheet and "[Open Studio](" in sheet
    assert "secret" not in (out / "room.md").read_text().lower()

    # p02's credentials expired; p01's are still good: refresh re-issues p02's only (and p02's missing Studio link).
    rows["p02"]["expires"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    with (out / "room.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(p01))
        writer.writeheader()
        writer.writerows(rows.values())
    before = (out / "p01.env").read_text()
    assert cli.main(["refresh", "--out", str(out)]) == 0
    assert "Re-issued for 1 of 2 participant(s): p02 (credentials, Studio link)." in capsys.readouterr().out
    assert (out / "p01.env").read_text() == before
    again = {r["participant"]: r for r in csv.DictReader((out / "room.csv").open())}
    assert datetime.fromisoformat(again["p02"]["expires"]) > datetime.now(UTC) + timedelta(hours=3)


def test_refresh_without_a_handout_and_a_folder_that_cannot_be_written(instructor_env, aws, capsys, tmp_path):
    shared_room(capsys)
    assert cli.main(["refresh", "--out", str(tmp_path / "none")]) == 1
    assert "No handout in" in one_paragraph(capsys.readouterr().err)
    assert cli.main(["handout", "--out", "/proc/handout"]) == 1
    assert "Choose another folder (--out)" in one_paragraph(capsys.readouterr().err)


# ---------------------------------------------------------------------------------------------- rehearse
def test_rehearse_makes_an_ou_of_accounts_then_adds_only_the_missing(instructor_env, aws, capsys):
    assert cli.main(["rehearse", "--accounts", "2"]) == 0
    out = capsys.readouterr().out
    ou = re.search(r"OU (ou-[0-9a-z]+-[0-9a-z]+) \(workshop-room\) holds 2 account\(s\); created 2 now", out).group(1)
    assert f"python -m utils instructor provision --ou {ou} --predeploy" in out
    assert cli.main(["rehearse", "--accounts", "3"]) == 0
    assert f"OU {ou} (workshop-room) holds 3 account(s); created 1 now." in capsys.readouterr().out
    org = aws("organizations")
    assert len(org.list_accounts_for_parent(ParentId=ou)["Accounts"]) == 3


def test_rehearse_refuses_real_aws_before_any_call(capsys, monkeypatch):
    from utils import target
    from utils.instructor import aws

    monkeypatch.setattr(target, "activate", lambda *a, **k: target.Target("aws", None, "AWS credentials found"))
    monkeypatch.setattr(aws, "client", lambda *a, **k: pytest.fail("no AWS call"))
    assert cli.main(["rehearse", "--accounts", "3"]) == 2
    text = one_paragraph(capsys.readouterr().err)
    assert "rehearse runs only on the sandbox" in text and "CreateAccount makes real, billed accounts" in text


# ---------------------------------------------------------------------------------------------- dashboard
def _row(participant, step="", since=None, times=None, **extra):
    row = {"participant": participant, "step": step, "since_progress_s": since, "step_times": times or {},
           "stack_status": None, "endpoint_state": None, "private_dns": None, "policy_effect": "none",
           "function_in_vpc": None, "last_allow": None, "last_deny": None, "leftovers": [], "endpoint_hours": 0.0,
           "endpoint_usd": 0.0, "estimate_usd": 0.06, "error": "", "problem": ""}
    row.update(extra)
    return row


def test_the_dashboard_puts_the_stuck_first_and_shows_dashes_not_nan():
    from utils.instructor import dashboard

    rows = [_row("done", "05", 30), _row("quick", "02", 60, {"01": "2026-12-07T01:00:00+00:00",
                                                           "02": "2026-12-07T01:04:30+00:00"}),
            _row("idle"), _row("slow", "01", 1500), _row("broken", error="AccessDenied: no", problem="unreadable")]
    df = dashboard.frame(rows)
    assert list(df["participant"]) == ["broken", "idle", "slow", "quick", "done"]
    assert list(df["since progress"]) == ["-", "-", "25 min", "1 min", "30 s"]
    assert df.loc[df["participant"] == "quick", "per step"].item() == "02 4 min"
    html = dashboard.styled(rows).to_html()
    assert "nan" not in html.lower() and "None" not in html
    assert dashboard.duration(3900) == "1 h 05 min"


@pytest.mark.slow
def test_the_saved_dashboard_notebook_keeps_the_table(instructor_env, aws, capsys, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    shared_room(capsys)
    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    path = ROOT / "notebooks" / "instructor" / "02_dashboard.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    html = [o["data"]["text/html"] for c in nb.cells for o in c.get("outputs", [])
            if "text/html" in o.get("data", {})]
    assert len(html) == 2  # the table and the chart, as outputs of their own (not widget state)
    assert ">p01</td>" in html[0] and ">p02</td>" in html[0] and "since progress" in html[0]
    assert "nan" not in html[0].lower()


def test_a_failed_stack_set_instance_is_a_problem_and_a_running_one_is_not():
    from utils.instructor import room, status

    r = room.Room("bedrock-workshop", "accounts", "us-east-1", "us.amazon.nova-micro-v1:0", "123456789012")

    def problem(state, detailed, reason=""):
        r.instances = {"bedrock-workshop-participant": [{"Account": "111122223333", "Status": state,
                                                         "StackInstanceStatus": {"DetailedStatus": detailed},
                                                         "StatusReason": reason}]}
        row = status.mark_problem({"account_id": "111122223333", "error": "", "stack_status": "none"}, r)
        return row["problem"], row["problem_detail"]

    assert problem("CURRENT", "SUCCEEDED") == ("", "")
    assert problem("OUTDATED", "RUNNING") == ("", "")  # an operation at work
    assert problem("OUTDATED", "PENDING") == ("", "")
    assert problem("OUTDATED", "FAILED", "ResourceLogicalId:Role, Role already exists") == (
        "failed", "stack set instance of bedrock-workshop-participant OUTDATED FAILED: ResourceLogicalId:Role, "
                  "Role already exists")
    assert problem("INOPERABLE", "INOPERABLE")[0] == "failed"
    assert problem("OUTDATED", "CANCELLED")[0] == "failed"


def test_a_refusal_midway_never_claims_that_nothing_was_created(instructor_env, aws, capsys, monkeypatch):
    from utils.instructor import provision

    def refused(plan, echo=print, **kwargs):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "User is not authorized"}}, "CreateStackSet")

    monkeypatch.setattr(provision, "provision", refused)
    assert cli.main(["provision", "--shared", "2"]) == 1
    text = one_paragraph(capsys.readouterr().err)
    assert "CreateStackSet answered AccessDenied: User is not authorized" in text
    assert "may not call CreateStackSet" in text and "provision deploys what is missing" in text
    assert "Nothing was created" not in text
