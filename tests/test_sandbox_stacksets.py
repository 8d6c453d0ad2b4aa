"""CloudFormation StackSets in the sandbox (issue 9): operations, roles, capabilities, automatic deployment."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import set_settings, wait_for

DEFAULT = "123456789012"
VPC_TEMPLATE = json.dumps({
    "Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}},
    "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}}},
})
ROLE_TEMPLATE = json.dumps({"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
    "RoleName": "WorkshopParticipant",
    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": DEFAULT}, "Action": "sts:AssumeRole"}]}}}}})


def _trust(principal: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def _in(sandbox, account: str, service: str, region: str = "us-east-1"):
    sts = boto3.client("sts", region_name=region, endpoint_url=sandbox.url)
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                        RoleSessionName="check")["Credentials"]
    return boto3.client(service, region_name=region, endpoint_url=sandbox.url, aws_access_key_id=c["AccessKeyId"],
                        aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])


def _op_done(cfn, name, op_id, timeout=30.0) -> dict:
    def done():
        op = cfn.describe_stack_set_operation(StackSetName=name, OperationId=op_id)["StackSetOperation"]
        return op if op["Status"] not in ("RUNNING", "QUEUED") else None

    return wait_for(done, f"stack set operation {op_id}", timeout)


@pytest.fixture
def org(aws):
    o = aws("organizations")
    o.create_organization(FeatureSet="ALL")
    root = o.list_roots()["Roots"][0]["Id"]
    return o, root


def _account(o, root, ou, name):
    account = o.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
    o.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    return account


def test_service_managed_needs_trusted_access(aws, org):
    cfn = aws("cloudformation")
    with pytest.raises(ClientError) as err:
        cfn.create_stack_set(StackSetName="room", TemplateBody=VPC_TEMPLATE, PermissionModel="SERVICE_MANAGED",
                             AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False})
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert err.value.response["Error"]["Message"] == (
        "You must enable organizations access to operate a service managed stack set")
    assert cfn.describe_organizations_access()["Status"] == "DISABLED"
    cfn.activate_organizations_access()
    assert cfn.describe_organizations_access()["Status"] == "ENABLED"
    services = aws("organizations").list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert "member.org.stacksets.cloudformation.amazonaws.com" in [s["ServicePrincipal"] for s in services]


def test_thirty_accounts_in_nested_ous_with_automatic_deployment(aws, sandbox, org):
    o, root = org
    room = o.create_organizational_unit(ParentId=root, Name="room")["OrganizationalUnit"]["Id"]
    late_ou = o.create_organizational_unit(ParentId=room, Name="late")["OrganizationalUnit"]["Id"]
    cfn = aws("cloudformation")
    cfn.activate_organizations_access()
    cfn.create_stack_set(StackSetName="room", TemplateBody=VPC_TEMPLATE, PermissionModel="SERVICE_MANAGED",
                         AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
                         Tags=[{"Key": "workshop", "Value": "bedrock-privatelink"}])
    accounts = [_account(o, root, room, f"p{i:02d}") for i in range(29)]
    op_id = cfn.create_stack_instances(
        StackSetName="room", DeploymentTargets={"OrganizationalUnitIds": [room]}, Regions=["us-east-1"],
        OperationPreferences={"RegionConcurrencyType": "PARALLEL", "MaxConcurrentCount": 10,
                              "FailureToleranceCount": 2})["OperationId"]
    assert _op_done(cfn, "room", op_id)["Status"] == "SUCCEEDED"
    # A late joiner lands in a nested OU: automatic deployment gives it an instance too.
    late = _account(o, root, late_ou, "late")
    instances = wait_for(lambda: [i for i in cfn.list_stack_instances(StackSetName="room")["Summaries"]
                                  if i["StackInstanceStatus"]["DetailedStatus"] == "SUCCEEDED"] if len(
        cfn.list_stack_instances(StackSetName="room")["Summaries"]) == 30 else None, "30 instances", 30)
    assert len(instances) == 30
    assert {i["Account"] for i in instances} == set(accounts) | {late}
    assert all(i["Status"] == "CURRENT" for i in instances)
    assert DEFAULT not in {i["Account"] for i in instances}  # never the management account
    ops = cfn.list_stack_set_operations(StackSetName="room")["Summaries"]
    assert [(op["Action"], op["Status"]) for op in ops] == [("CREATE", "SUCCEEDED"), ("CREATE", "SUCCEEDED")]
    results = cfn.list_stack_set_operation_results(StackSetName="room", OperationId=op_id)["Summaries"]
    assert len(results) == 29 and {r["Status"] for r in results} == {"SUCCEEDED"}
    # Each instance is a real stack in its account, named as AWS names it, with the stack set's tags.
    inst = next(i for i in instances if i["Account"] == late)
    stack = _in(sandbox, late, "cloudformation").describe_stacks()["Stacks"][0]
    assert stack["StackId"] == inst["StackId"]
    assert stack["StackName"].startswith("StackSet-room-") and stack["StackStatus"] == "CREATE_COMPLETE"
    assert {"Key": "workshop", "Value": "bedrock-privatelink"} in stack["Tags"]
    vpc_id = stack["Outputs"][0]["OutputValue"]
    assert vpc_id in [v["VpcId"] for v in _in(sandbox, late, "ec2").describe_vpcs()["Vpcs"]]
    # Not empty: DeleteStackSet refuses.
    with pytest.raises(ClientError) as err:
        cfn.delete_stack_set(StackSetName="room")
    assert err.value.response["Error"]["Code"] == "StackSetNotEmptyException"
    # An account that leaves the OU loses its instance (RetainStacksOnAccountRemoval false).
    o.move_account(AccountId=late, SourceParentId=late_ou, DestinationParentId=root)
    wait_for(lambda: len(cfn.list_stack_instances(StackSetName="room")["Summaries"]) == 29, "29 instances", 30)
    op_id = cfn.delete_stack_instances(StackSetName="room", DeploymentTargets={"OrganizationalUnitIds": [room]},
                                       Regions=["us-east-1"], RetainStacks=False,
                                       OperationPreferences={"MaxConcurrentPercentage": 100})["OperationId"]
    assert _op_done(cfn, "room", op_id)["Status"] == "SUCCEEDED"
    assert cfn.list_stack_instances(StackSetName="room")["Summaries"] == []
    assert _in(sandbox, accounts[0], "cloudformation").describe_stacks()["Stacks"] == []
    assert "OrganizationalUnitIds" not in cfn.describe_stack_set(StackSetName="room")["StackSet"]  # no longer a target
    cfn.delete_stack_set(StackSetName="room")


def test_one_operation_at_a_time(aws, sandbox, org):
    o, root = org
    room = o.create_organizational_unit(ParentId=root, Name="room")["OrganizationalUnit"]["Id"]
    accounts = [_account(o, root, room, f"p{i}") for i in range(2)]
    cfn = aws("cloudformation")
    cfn.activate_organizations_access()
    cfn.create_stack_set(StackSetName="room", TemplateBody=VPC_TEMPLATE, PermissionModel="SERVICE_MANAGED",
                         AutoDeployment={"Enabled": False})
    set_settings(sandbox.url, {"timing_scale": 0.02})  # an operation takes a moment
    op_id = cfn.create_stack_instances(StackSetName="room", DeploymentTargets={"OrganizationalUnitIds": [room]},
                                       Regions=["us-east-1"])["OperationId"]
    op = cfn.describe_stack_set_operation(StackSetName="room", OperationId=op_id)["StackSetOperation"]
    assert op["Status"] == "RUNNING"
    statuses = {i["StackInstanceStatus"]["DetailedStatus"] for i in
                cfn.list_stack_instances(StackSetName="room")["Summaries"]}
    assert statuses <= {"PENDING", "RUNNING"}
    with pytest.raises(ClientError) as err:
        cfn.create_stack_instances(StackSetName="room", DeploymentTargets={"OrganizationalUnitIds": [room]},
                                   Regions=["us-west-2"])
    assert err.value.response["Error"]["Code"] == "OperationInProgressException"
    assert _op_done(cfn, "room", op_id)["Status"] == "SUCCEEDED"
    assert {i["Account"] for i in cfn.list_stack_instances(StackSetName="room")["Summaries"]} == set(accounts)


def test_capabilities_are_checked(aws):
    cfn = aws("cloudformation")
    with pytest.raises(ClientError) as err:
        cfn.create_stack_set(StackSetName="roles", TemplateBody=ROLE_TEMPLATE)
    assert err.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"
    assert err.value.response["Error"]["Message"] == "Requires capabilities : [CAPABILITY_NAMED_IAM]"
    with pytest.raises(ClientError):
        cfn.create_stack_set(StackSetName="roles", TemplateBody=ROLE_TEMPLATE, Capabilities=["CAPABILITY_IAM"])
    cfn.create_stack_set(StackSetName="roles", TemplateBody=ROLE_TEMPLATE, Capabilities=["CAPABILITY_NAMED_IAM"])


def test_self_managed_checks_the_roles(aws, sandbox, org):
    o, root = org
    target = o.create_account(AccountName="t", Email="t@example.com")["CreateAccountStatus"]["AccountId"]
    cfn = aws("cloudformation")
    cfn.create_stack_set(StackSetName="self", TemplateBody=VPC_TEMPLATE)
    op_id = cfn.create_stack_instances(StackSetName="self", Accounts=[target], Regions=["us-east-1"])["OperationId"]
    op = _op_done(cfn, "self", op_id)
    assert op["Status"] == "FAILED"
    result = cfn.list_stack_set_operation_results(StackSetName="self", OperationId=op_id)["Summaries"][0]
    assert result["Status"] == "FAILED"
    assert result["StatusReason"] == (f"Account {DEFAULT} should have 'AWSCloudFormationStackSetAdministrationRole' "
                                      "role with trust relationship to CloudFormation service.")
    iam = aws("iam")
    iam.create_role(RoleName="AWSCloudFormationStackSetAdministrationRole",
                    AssumeRolePolicyDocument=_trust({"Service": "cloudformation.amazonaws.com"}))
    op_id = cfn.create_stack_instances(StackSetName="self", Accounts=[target], Regions=["us-east-1"])["OperationId"]
    assert _op_done(cfn, "self", op_id)["Status"] == "FAILED"
    inst = cfn.describe_stack_instance(StackSetName="self", StackInstanceAccount=target,
                                       StackInstanceRegion="us-east-1")["StackInstance"]
    assert inst["Status"] == "OUTDATED" and inst["StackInstanceStatus"]["DetailedStatus"] == "FAILED"
    assert inst["StatusReason"] == (
        f"Account {target} should have 'AWSCloudFormationStackSetExecutionRole' role with trust relationship to "
        "Role 'AWSCloudFormationStackSetAdministrationRole'.")
    admin_arn = f"arn:aws:iam::{DEFAULT}:role/AWSCloudFormationStackSetAdministrationRole"
    _in(sandbox, target, "iam").create_role(RoleName="AWSCloudFormationStackSetExecutionRole",
                                            AssumeRolePolicyDocument=_trust({"AWS": admin_arn}))
    op_id = cfn.create_stack_instances(StackSetName="self", Accounts=[target], Regions=["us-east-1"])["OperationId"]
    assert _op_done(cfn, "self", op_id)["Status"] == "SUCCEEDED"
    inst = cfn.describe_stack_instance(StackSetName="self", StackInstanceAccount=target,
                                       StackInstanceRegion="us-east-1")["StackInstance"]
    assert (inst["Status"], inst["StackInstanceStatus"]["DetailedStatus"]) == ("CURRENT", "SUCCEEDED")


def test_failure_tolerance_cancels_the_rest(aws, sandbox, org):
    """A template error fails the first account; with tolerance 0 the others are cancelled."""
    o, root = org
    room = o.create_organizational_unit(ParentId=root, Name="room")["OrganizationalUnit"]["Id"]
    for i in range(3):
        _account(o, root, room, f"p{i}")
    bad = json.dumps({"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/8"}}}})
    cfn = aws("cloudformation")
    cfn.activate_organizations_access()
    cfn.create_stack_set(StackSetName="bad", TemplateBody=bad, PermissionModel="SERVICE_MANAGED",
                         AutoDeployment={"Enabled": False})
    op_id = cfn.create_stack_instances(StackSetName="bad", DeploymentTargets={"OrganizationalUnitIds": [room]},
                                       Regions=["us-east-1"])["OperationId"]
    op = _op_done(cfn, "bad", op_id)
    assert op["Status"] == "FAILED"
    statuses = sorted(r["Status"] for r in
                      cfn.list_stack_set_operation_results(StackSetName="bad", OperationId=op_id)["Summaries"])
    assert statuses == ["CANCELLED", "CANCELLED", "FAILED"]
    failed = cfn.list_stack_instances(StackSetName="bad", Filters=[{"Name": "DETAILED_STATUS", "Values": "FAILED"}])
    assert failed["Summaries"][0]["StatusReason"].startswith("ResourceLogicalId:Vpc, ResourceType:AWS::EC2::VPC, ")


def test_update_stack_set_updates_every_instance(aws, sandbox, org):
    o, root = org
    room = o.create_organizational_unit(ParentId=root, Name="room")["OrganizationalUnit"]["Id"]
    accounts = [_account(o, root, room, f"p{i}") for i in range(2)]
    template = {"Parameters": {"Cidr": {"Type": "String", "Default": "10.0.0.0/16"}},
                "Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Ref": "Cidr"}}}},
                "Outputs": {"Cidr": {"Value": {"Ref": "Cidr"}}}}
    cfn = aws("cloudformation")
    cfn.activate_organizations_access()
    cfn.create_stack_set(StackSetName="room", TemplateBody=json.dumps(template), PermissionModel="SERVICE_MANAGED",
                         AutoDeployment={"Enabled": False},
                         Parameters=[{"ParameterKey": "Cidr", "ParameterValue": "10.0.0.0/16"}])
    op_id = cfn.create_stack_instances(StackSetName="room", DeploymentTargets={"OrganizationalUnitIds": [room]},
                                       Regions=["us-east-1"])["OperationId"]
    assert _op_done(cfn, "room", op_id)["Status"] == "SUCCEEDED"
    template["Outputs"]["Marker"] = {"Value": "v2"}
    op_id = cfn.update_stack_set(StackSetName="room", TemplateBody=json.dumps(template),
                                 Parameters=[{"ParameterKey": "Cidr", "UsePreviousValue": True}])["OperationId"]
    op = _op_done(cfn, "room", op_id)
    assert (op["Action"], op["Status"]) == ("UPDATE", "SUCCEEDED")
    for account in accounts:
        stack = _in(sandbox, account, "cloudformation").describe_stacks()["Stacks"][0]
        assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == {"Cidr": "10.0.0.0/16", "Marker": "v2"}
    described = cfn.describe_stack_set(StackSetName="room")["StackSet"]
    assert described["Parameters"] == [{"ParameterKey": "Cidr", "ParameterValue": "10.0.0.0/16"}]
    assert described["OrganizationalUnitIds"] == [room] and described["Regions"] == ["us-east-1"]
    assert described["AutoDeployment"] == {"Enabled": False, "RetainStacksOnAccountRemoval": False}
    summaries = cfn.list_stack_sets(Status="ACTIVE")["Summaries"]
    assert [(s["StackSetName"], s["PermissionModel"]) for s in summaries] == [("room", "SERVICE_MANAGED")]


def test_room_survives_a_sandbox_restart(aws, sandbox, org):
    """Persistence keeps every account, the organization and the stack set (sandbox/persistence.py)."""
    from sandbox import persistence
    from tests.conftest import reset_sandbox

    o, root = org
    room = o.create_organizational_unit(ParentId=root, Name="room")["OrganizationalUnit"]["Id"]
    account = _account(o, root, room, "p1")
    cfn = aws("cloudformation")
    cfn.activate_organizations_access()
    cfn.create_stack_set(StackSetName="room", TemplateBody=VPC_TEMPLATE, PermissionModel="SERVICE_MANAGED",
                         AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False})
    op_id = cfn.create_stack_instances(StackSetName="room", DeploymentTargets={"OrganizationalUnitIds": [room]},
                                       Regions=["us-east-1"])["OperationId"]
    assert _op_done(cfn, "room", op_id)["Status"] == "SUCCEEDED"
    blob = persistence.snapshot()
    reset_sandbox(sandbox.url)
    assert aws("cloudformation").list_stack_sets()["Summaries"] == []
    persistence.restore(blob)
    assert [i["Account"] for i in cfn.list_stack_instances(StackSetName="room")["Summaries"]] == [account]
    assert _in(sandbox, account, "cloudformation").describe_stacks()["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert o.describe_account(AccountId=account)["Account"]["Name"] == "p1"
    late = _account(o, root, room, "late")  # automatic deployment still works after the restart
    wait_for(lambda: len(cfn.list_stack_instances(StackSetName="room")["Summaries"]) == 2, "2 instances", 30)
    assert late in {i["Account"] for i in cfn.list_stack_instances(StackSetName="room")["Summaries"]}


def test_operation_preferences_make_the_batches():
    """Concurrency per Region: MaxConcurrent, capped at FailureTolerance + 1 in STRICT_FAILURE_TOLERANCE mode
    (the default); Regions one after another unless PARALLEL."""
    from sandbox.stacksets.models import _batches

    targets = [(f"{i:012d}", region, None) for region in ("us-east-1", "us-west-2") for i in range(6)]

    def sizes(prefs):
        return [len(b) for b in _batches(targets, prefs)]

    assert sizes({}) == [1] * 12
    assert sizes({"MaxConcurrentCount": 10, "FailureToleranceCount": 2}) == [3, 3, 3, 3]
    assert sizes({"MaxConcurrentCount": 10, "FailureToleranceCount": 2,
                  "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE"}) == [6, 6]
    assert sizes({"MaxConcurrentPercentage": 100, "FailureTolerancePercentage": 100}) == [6, 6]
    assert sizes({"MaxConcurrentPercentage": 100, "FailureTolerancePercentage": 100,
                  "RegionConcurrencyType": "PARALLEL"}) == [12]
    batches = _batches(targets, {"RegionOrder": ["us-west-2", "us-east-1"], "MaxConcurrentCount": 6,
                                 "FailureToleranceCount": 5})
    assert [b[0][1] for b in batches] == ["us-west-2", "us-east-1"]
