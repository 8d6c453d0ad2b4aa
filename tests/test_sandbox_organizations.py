"""AWS Organizations in the sandbox (issue 9): SCPs in Bedrock authorization, with AWS's messages."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

MODEL = "us.amazon.nova-micro-v1:0"


def _in(sandbox, account: str, service: str, region: str = "us-east-1"):
    sts = boto3.client("sts", region_name=region, endpoint_url=sandbox.url)
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                        RoleSessionName="participant")["Credentials"]
    return boto3.client(service, region_name=region, endpoint_url=sandbox.url, aws_access_key_id=c["AccessKeyId"],
                        aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])


def _ask(client):
    return client.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "hello"}]}])


@pytest.fixture
def room(aws):
    org = aws("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="room")["OrganizationalUnit"]["Id"]
    account = org.create_account(AccountName="p1", Email="p1@example.com")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    return org, root, ou, account


def _scp(org, name: str, statements: list) -> str:
    return org.create_policy(Name=name, Description=name, Type="SERVICE_CONTROL_POLICY",
                             Content=json.dumps({"Version": "2012-10-17", "Statement": statements}))["Policy"][
        "PolicySummary"]["Id"]


def test_attaching_an_scp_needs_the_policy_type_enabled(room):
    org, root, ou, _ = room
    pid = _scp(org, "deny-all", [{"Effect": "Deny", "Action": "*", "Resource": "*"}])
    with pytest.raises(ClientError) as err:
        org.attach_policy(PolicyId=pid, TargetId=ou)
    assert err.value.response["Error"]["Code"] == "PolicyTypeNotEnabledException"


def test_explicit_deny_in_an_scp_on_the_ou(aws, sandbox, room):
    org, root, ou, account = room
    runtime = _in(sandbox, account, "bedrock-runtime")
    _ask(runtime)  # no SCPs enabled: the role's AdministratorAccess is enough
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    _ask(runtime)  # FullAWSAccess at every level
    pid = _scp(org, "workshop-region-only", [
        {"Effect": "Deny", "Action": "bedrock:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-west-2"}}}])
    org.attach_policy(PolicyId=pid, TargetId=ou)
    with pytest.raises(ClientError) as err:
        _ask(runtime)
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    message = err.value.response["Error"]["Message"]
    assert message.startswith(f"User: arn:aws:sts::{account}:assumed-role/OrganizationAccountAccessRole/participant "
                              "is not authorized to perform: bedrock:InvokeModel")
    assert message.endswith("with an explicit deny in a service control policy")
    # The management account is never affected by SCPs.
    _ask(aws("bedrock-runtime"))


def test_no_allow_at_one_level(aws, sandbox, room):
    """Allow-list SCPs: every level (root, OU, account) must allow the action."""
    org, root, ou, account = room
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    pid = _scp(org, "only-ec2", [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}])
    org.attach_policy(PolicyId=pid, TargetId=ou)
    org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou)
    with pytest.raises(ClientError) as err:
        _ask(_in(sandbox, account, "bedrock-runtime"))
    assert err.value.response["Error"]["Message"].endswith(
        "because no service control policy allows the bedrock:InvokeModel action")
