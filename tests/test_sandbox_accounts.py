"""Several accounts in the sandbox (issue 9): credentials map to accounts, AssumeRole checks trust."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import wait_for

DEFAULT = "123456789012"


def _as(sandbox, creds: dict, service: str, region: str = "us-east-1"):
    return boto3.client(service, region_name=region, endpoint_url=sandbox.url,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def _trust(principal: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def member(aws):
    """A member account created by Organizations, and credentials in it through OrganizationAccountAccessRole."""
    org = aws("organizations")
    org.create_organization(FeatureSet="ALL")
    account = org.create_account(AccountName="p1", Email="p1@example.com")["CreateAccountStatus"]["AccountId"]
    creds = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                   RoleSessionName="instructor")["Credentials"]
    return account, creds


def test_assumed_role_keys_act_in_the_roles_account(aws, sandbox, member):
    account, creds = member
    ident = _as(sandbox, creds, "sts").get_caller_identity()
    assert ident["Account"] == account
    assert ident["Arn"] == f"arn:aws:sts::{account}:assumed-role/OrganizationAccountAccessRole/instructor"
    # Resources created with those keys live in the member account, not in the default one.
    vpc = _as(sandbox, creds, "ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]
    assert vpc["OwnerId"] == account
    default_vpcs = {v["VpcId"] for v in aws("ec2").describe_vpcs()["Vpcs"]}
    assert vpc["VpcId"] not in default_vpcs


def test_sandbox_layer_follows_the_callers_account(aws, sandbox, member):
    """The sandbox's own modules (here the interface endpoint model) act in the caller's account."""
    account, creds = member
    ec2 = _as(sandbox, creds, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    ep = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.bedrock-runtime",
                                 VpcEndpointType="Interface", SubnetIds=[subnet])["VpcEndpoint"]
    assert ep["OwnerId"] == account
    ids = [e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]]
    assert ep["VpcEndpointId"] in ids
    assert ep["VpcEndpointId"] not in [e["VpcEndpointId"] for e in aws("ec2").describe_vpc_endpoints()["VpcEndpoints"]]


def test_organization_account_access_role_is_administrator(aws, sandbox, member):
    account, creds = member
    iam = _as(sandbox, creds, "iam")
    attached = iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    trust = iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{DEFAULT}:root"}


def test_assume_role_into_a_missing_role_is_access_denied(aws, member):
    account, _ = member
    with pytest.raises(ClientError) as err:
        aws("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/Nope", RoleSessionName="s1")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert err.value.response["Error"]["Message"] == (
        f"User: arn:aws:sts::{DEFAULT}:user/moto is not authorized to perform: sts:AssumeRole on resource: "
        f"arn:aws:iam::{account}:role/Nope")


def test_assume_role_refused_by_trust_policy(aws, sandbox, member):
    account, creds = member
    aws("iam").create_role(RoleName="LambdaOnly", AssumeRolePolicyDocument=_trust({"Service": "lambda.amazonaws.com"}))
    with pytest.raises(ClientError) as err:
        _as(sandbox, creds, "sts").assume_role(RoleArn=f"arn:aws:iam::{DEFAULT}:role/LambdaOnly", RoleSessionName="s1")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert err.value.response["Error"]["Message"].startswith(
        f"User: arn:aws:sts::{account}:assumed-role/OrganizationAccountAccessRole/instructor is not authorized")


def test_cross_account_needs_trust_and_identity_permission(aws, sandbox, member):
    """The member's role trusts the default account; a role in the default account may assume it only if its
    own identity policy allows sts:AssumeRole (cross-account), and then acts in the member account."""
    account, creds = member
    member_iam = _as(sandbox, creds, "iam")
    member_iam.create_role(RoleName="WorkshopParticipant", AssumeRolePolicyDocument=_trust({"AWS": DEFAULT}))
    iam = aws("iam")
    iam.create_role(RoleName="Instructor", AssumeRolePolicyDocument=_trust({"AWS": f"arn:aws:iam::{DEFAULT}:root"}))
    inst = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{DEFAULT}:role/Instructor", RoleSessionName="teach")
    inst_sts = _as(sandbox, inst["Credentials"], "sts")
    target = f"arn:aws:iam::{account}:role/WorkshopParticipant"
    with pytest.raises(ClientError) as err:
        inst_sts.assume_role(RoleArn=target, RoleSessionName="p1")
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    iam.put_role_policy(RoleName="Instructor", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target}]}))
    creds2 = inst_sts.assume_role(RoleArn=target, RoleSessionName="p1")["Credentials"]
    assert _as(sandbox, creds2, "sts").get_caller_identity()["Account"] == account


def test_explicit_deny_in_trust_policy_wins(aws, sandbox):
    iam = aws("iam")
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": DEFAULT}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="Locked", AssumeRolePolicyDocument=json.dumps(doc))
    with pytest.raises(ClientError) as err:
        aws("sts").assume_role(RoleArn=f"arn:aws:iam::{DEFAULT}:role/Locked", RoleSessionName="s1")
    assert err.value.response["Error"]["Code"] == "AccessDenied"


def test_cloudtrail_event_history_is_per_account(aws, sandbox, member):
    account, creds = member
    _as(sandbox, creds, "bedrock-runtime").converse(
        modelId="us.amazon.nova-micro-v1:0", messages=[{"role": "user", "content": [{"text": "hello"}]}])

    def converse_events(client):
        events = client.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Converse"}])
        return events["Events"]

    mine = converse_events(_as(sandbox, creds, "cloudtrail"))
    assert len(mine) == 1
    assert json.loads(mine[0]["CloudTrailEvent"])["recipientAccountId"] == account
    assert converse_events(aws("cloudtrail")) == []


def test_function_in_a_member_account_reaches_its_endpoint(aws, sandbox, member):
    """Lambda runtime, network model and endpoints act in the function's account: the function, attached to a
    member account's VPC, resolves bedrock-runtime to that account's interface endpoint."""
    from tests.test_lambda_runtime import call, deploy, make_role

    _, creds = member

    def maws(service: str, region: str = "us-east-1", **kwargs):
        return _as(sandbox, creds, service, region)

    ec2 = maws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.bedrock-runtime",
                            VpcEndpointType="Interface", SubnetIds=[subnet], SecurityGroupIds=[sg],
                            PrivateDnsEnabled=True)
    deploy(maws, role=make_role(maws, eni_policy=True), VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [sg]})
    out = wait_for(lambda: (lambda r: r if r.get("addresses") else None)(
        call(maws, event={"action": "resolve", "host": "bedrock-runtime.us-east-1.amazonaws.com"})[1]),
        "the function's DNS answer", 30)
    assert all(a.startswith("10.0.1.") for a in out["addresses"]), out
    # ... and the account's default VPC and functions are untouched
    assert aws("lambda").list_functions()["Functions"] == []


def test_same_function_name_in_two_accounts_keeps_separate_environments(aws, sandbox, member):
    """A room has the same function name in every account: each keeps its warm environment, and deleting one
    account's function leaves the other's running."""
    from tests.test_lambda_runtime import call, deploy

    account, creds = member

    def maws(service: str, region: str = "us-east-1", **kwargs):
        return _as(sandbox, creds, service, region)

    deploy(aws)
    deploy(maws)
    mine, theirs = call(aws)[1], call(maws)[1]
    assert f":{account}:" in theirs["context"]["invoked_function_arn"]
    assert f":{DEFAULT}:" in mine["context"]["invoked_function_arn"]
    assert call(aws)[1]["pid"] == mine["pid"] and call(maws)[1]["pid"] == theirs["pid"]  # both stay warm
    aws("lambda").delete_function(FunctionName="probe")
    assert call(maws)[1]["pid"] == theirs["pid"]


def test_policy_propagation_is_per_account(aws, sandbox, member):
    """While a policy change propagates, the previous documents stay in force for that role only: the
    same-named role of another account keeps its own."""
    from tests.conftest import set_settings

    account, creds = member
    allow = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}]})
    member_iam = _as(sandbox, creds, "iam")
    member_iam.create_role(RoleName="WorkshopParticipant", AssumeRolePolicyDocument=_trust({"AWS": DEFAULT}))
    member_iam.put_role_policy(RoleName="WorkshopParticipant", PolicyName="bedrock", PolicyDocument=allow)
    aws("iam").create_role(RoleName="WorkshopParticipant", AssumeRolePolicyDocument=_trust({"AWS": DEFAULT}))
    session = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/WorkshopParticipant",
                                     RoleSessionName="p1")["Credentials"]
    set_settings(sandbox.url, {"policy_propagation_seconds": 60})
    # A change to the default account's role of the same name starts propagating there...
    aws("iam").put_role_policy(RoleName="WorkshopParticipant", PolicyName="bedrock", PolicyDocument=allow)
    # ... and the member account's role still answers with its own, unchanged, policy.
    _as(sandbox, session, "bedrock-runtime").converse(
        modelId="us.amazon.nova-micro-v1:0", messages=[{"role": "user", "content": [{"text": "hello"}]}])
