"""A room on an OU with the guardrail SCP (`instructor provision --ou OU --guardrail`), on the sandbox.

The SCP denies every non-global action whose `aws:RequestedRegion` is not the workshop's Region. On AWS every
request carries that key ("AWS global condition context keys", IAM User Guide: aws:RequestedRegion "is always
included in the request context"), so a participant's calls in the workshop's Region pass the SCP, including
the permission check Lambda makes of the execution role when it attaches a function to a VPC. A participant of
the guardrailed OU runs the unchanged notebooks 00-05 through `instructor env`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest

from benchmarks.bench_room import make_org_room
from utils.config import repo_root
from utils.instructor import cli


@pytest.fixture
def room_env(workshop_env, sandbox, monkeypatch):
    from utils.instructor import aws as instructor_aws

    instructor_aws.forget_credentials()
    monkeypatch.setenv("WORKSHOP_INSTRUCTOR_DIR", str(workshop_env / "participants"))
    yield workshop_env
    instructor_aws.forget_credentials()


def _env_of(participant: str, capsys) -> dict:
    """The environment that `python -m utils instructor env PARTICIPANT` prints, as a shell would take it."""
    assert cli.main(["env", participant]) == 0
    env = dict(os.environ)
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("export "):
            for word in shlex.split(line[len("export "):]):
                key, _, value = word.partition("=")
                env[key] = value
    assert env["AWS_SESSION_TOKEN"] and env["WORKSHOP_ACCOUNT_ID"] == participant
    return env


@pytest.mark.slow
def test_a_participant_of_a_guardrailed_room_runs_00_to_05(room_env, aws, capsys, tmp_path):
    ou, (account,) = make_org_room(aws("organizations"), 1)
    assert cli.main(["provision", "--ou", ou, "--guardrail"]) == 0
    assert f"Attached bedrock-workshop-guardrail to {ou}" in capsys.readouterr().out

    env = _env_of(account, capsys)
    proc = subprocess.run([sys.executable, "-m", "utils", "run", "--only", "00,01,02,03,04,05",
                           "--out", str(tmp_path / "runs")],
                          env=env, cwd=repo_root(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "6 of 6 notebooks passed" in proc.stdout, proc.stdout

    executed = {p.name[:2]: p.read_text() for p in (tmp_path / "runs").rglob("0*.ipynb")}
    assert "with an explicit deny in a service control policy" not in executed["03"]
    assert "with an explicit deny in a VPC endpoint policy" in executed["05"]  # the lesson's Deny, not the SCP's

    # The guardrail still bites: the same participant, another Region, is refused by the SCP.
    kw = {k: env[v] for k, v in (("aws_access_key_id", "AWS_ACCESS_KEY_ID"),
                                 ("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"),
                                 ("aws_session_token", "AWS_SESSION_TOKEN"))}
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as err:
        aws("bedrock", region="eu-west-1", **kw).list_foundation_models()
    assert "with an explicit deny in a service control policy" in err.value.response["Error"]["Message"]
    assert cli.main(["cleanup"]) == 0
