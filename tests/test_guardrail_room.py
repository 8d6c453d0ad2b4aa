"""A room on an OU with the guardrail SCP (`instructor provision --ou OU --guardrail`), on the sandbox.

The SCP denies every non-global action whose `aws:RequestedRegion` is not the workshop's Region. On AWS every
request carries that key ("AWS global condition context keys", IAM User Guide: aws:RequestedRegion "is always
included in the request context"), so a participant's calls in the workshop's Region pass the SCP, including
the permission check Lambda makes of the execution role when it attaches a function to a VPC. A participant of
the guardrailed OU runs the unchanged notebooks 00-05 through `instructor env`.
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


GLOBAL_KEYS = ["aws:RequestedRegion", "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID",
               "aws:PrincipalType", "aws:userid", "aws:CurrentTime", "aws:EpochTime", "aws:SecureTransport",
               "aws:PrincipalIsAWSService", "aws:ViaAWSService"]


def test_every_authorization_sees_the_global_keys_aws_sets(sandbox, aws):
    """An SCP that denies any request whose context lacks one of the global keys AWS always sets (or, for a direct
    call, aws:SourceIp) leaves the calls allowed: a Bedrock call, Lambda's check of an execution role's EC2
    permissions, AssumeRole. The keys' values are those the IAM User Guide describes."""
    from sandbox import authz, backends, context_keys

    org = aws("organizations")
    ou, (account,) = make_org_room(org, 1)
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    statements = [{"Sid": f"Needs{k.split(':')[1]}", "Effect": "Deny", "Action": "*", "Resource": "*",
                   "Condition": {"Null": {k: "true"}}} for k in GLOBAL_KEYS]
    statements.append({"Sid": "DirectCallsNeedSourceIp", "Effect": "Deny", "Action": "bedrock:*", "Resource": "*",
                       "Condition": {"Null": {"aws:SourceIp": "true"}}})
    scp = org.create_policy(Name="needs-global-keys", Type="SERVICE_CONTROL_POLICY", Description="test",
                            Content=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    org.attach_policy(PolicyId=scp["Policy"]["PolicySummary"]["Id"], TargetId=ou)

    admin = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                   RoleSessionName="setup")["Credentials"]
    as_admin = {"aws_access_key_id": admin["AccessKeyId"], "aws_secret_access_key": admin["SecretAccessKey"],
                "aws_session_token": admin["SessionToken"]}
    iam = aws("iam", **as_admin)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": account},
                                                     "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="KeysRole", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="KeysRole", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ec2:CreateNetworkInterface", "bedrock:ListFoundationModels"],
             "Resource": "*"}]}))
    iam.put_role_policy(RoleName="OrganizationAccountAccessRole", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))

    # AssumeRole from inside the member account (identity and SCP checked with the global keys).
    session = aws("sts", **as_admin).assume_role(RoleArn=role["Arn"], RoleSessionName="keys")["Credentials"]
    as_role = {"aws_access_key_id": session["AccessKeyId"], "aws_secret_access_key": session["SecretAccessKey"],
               "aws_session_token": session["SessionToken"]}
    aws("bedrock", **as_role).list_foundation_models()  # a Bedrock call, through sandbox.authz
    with backends.acting_as(account):  # Lambda's check of the execution role, in the function's Region
        assert authz.role_allows(role["Arn"], "ec2:CreateNetworkInterface", region="us-east-1")
        ctx = context_keys.role_keys(role["Arn"], "eu-west-1", "check")
    assert ctx["aws:RequestedRegion"] == "eu-west-1" and ctx["aws:PrincipalArn"] == role["Arn"]
    assert ctx["aws:PrincipalAccount"] == account and ctx["aws:PrincipalType"] == "AssumedRole"
    assert ctx["aws:userid"] == f"{role['RoleId']}:check"  # "role-id:caller-specified-role-name"
    org_id = org.describe_organization()["Organization"]["Id"]
    assert ctx["aws:PrincipalOrgID"] == org_id and ctx["aws:PrincipalOrgPaths"] == [f"{org_id}/{root}/{ou}/"]
    assert "aws:SourceIp" not in ctx and "aws:SourceVpce" not in ctx

    # The guardrail's region condition bites with the same context: another Region is refused by the SCP.
    deny_other_regions = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "ec2:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}}]}
    other = org.create_policy(Name="region", Type="SERVICE_CONTROL_POLICY", Description="test",
                              Content=json.dumps(deny_other_regions))
    org.attach_policy(PolicyId=other["Policy"]["PolicySummary"]["Id"], TargetId=ou)
    with backends.acting_as(account):
        assert authz.role_allows(role["Arn"], "ec2:CreateNetworkInterface", region="us-east-1")
        assert not authz.role_allows(role["Arn"], "ec2:CreateNetworkInterface", region="eu-west-1")


def test_an_scp_limits_assume_role_even_when_the_trust_policy_names_the_caller(sandbox, aws):
    from botocore.exceptions import ClientError

    org = aws("organizations")
    ou, (account,) = make_org_room(org, 1)
    org.enable_policy_type(RootId=org.list_roots()["Roots"][0]["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    admin = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                   RoleSessionName="setup")["Credentials"]
    as_admin = {"aws_access_key_id": admin["AccessKeyId"], "aws_secret_access_key": admin["SecretAccessKey"],
                "aws_session_token": admin["SessionToken"]}
    caller = f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": caller},
                                                     "Action": "sts:AssumeRole"}]}
    target = aws("iam", **as_admin).create_role(RoleName="Named", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    aws("sts", **as_admin).assume_role(RoleArn=target["Arn"], RoleSessionName="before")  # the trust names the caller
    scp = org.create_policy(Name="no-assume", Type="SERVICE_CONTROL_POLICY", Description="test", Content=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    org.attach_policy(PolicyId=scp["Policy"]["PolicySummary"]["Id"], TargetId=ou)
    with pytest.raises(ClientError) as err:
        aws("sts", **as_admin).assume_role(RoleArn=target["Arn"], RoleSessionName="after")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
