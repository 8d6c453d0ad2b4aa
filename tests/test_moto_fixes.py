"""One test per fix in sandbox/moto_fixes/, each driven through boto3 against the sandbox, and regression tests
for what moto's own tests found (python -m benchmarks.moto_upstream)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import set_settings, wait_for

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
LOGS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "*"}]}


def _network_template(extra: dict | None = None, outputs: dict | None = None) -> str:
    resources = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {
            "CidrBlock": "10.0.0.0/16", "EnableDnsSupport": True, "EnableDnsHostnames": True,
            "Tags": [{"Key": "workshop", "Value": "bedrock-privatelink"}]}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a"}},
        "RouteTable": {"Type": "AWS::EC2::RouteTable", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "Tags": [{"Key": "workshop", "Value": "bedrock-privatelink"}]}},
        "Association": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
            "SubnetId": {"Ref": "Subnet"}, "RouteTableId": {"Ref": "RouteTable"}}},
    }
    resources.update(extra or {})
    body = {"Resources": resources, "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}},
                                                "SubnetId": {"Value": {"Ref": "Subnet"}},
                                                "RouteTableId": {"Value": {"Ref": "RouteTable"}}}}
    body["Outputs"].update(outputs or {})
    return json.dumps(body)


def _outputs(cfn, name: str) -> dict:
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def _status(cfn, name: str) -> str:
    return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def _events(cfn, name: str) -> list[tuple[str, str]]:
    """(logical id, status), oldest first."""
    return [(e["LogicalResourceId"], e["ResourceStatus"])
            for e in reversed(cfn.describe_stack_events(StackName=name)["StackEvents"])]


# ------------------------------------------------------------------------------------ the package


def test_apply_all_applies_every_fix_once():
    from moto.cloudformation.parsing import ResourceMap
    from moto.ec2.models.subnets import SubnetBackend

    from sandbox import moto_fixes

    moto_fixes.apply_all()
    applied = list(moto_fixes.FIXES)
    assert sorted(applied) == sorted(f.__name__ for f in moto_fixes.EAGER + moto_fixes.LAZY)
    assert "fix_stack_lifecycle" in applied and "fix_delete_subnet_dependencies" in applied
    methods = (SubnetBackend.delete_subnet, ResourceMap.load_parameters)
    moto_fixes.apply_all()  # idempotent: nothing is wrapped twice
    assert moto_fixes.FIXES == applied
    assert (SubnetBackend.delete_subnet, ResourceMap.load_parameters) == methods


def test_apply_all_applies_every_patch_the_server_applies():
    """Not only this package's fixes: the sandbox's models of what moto lacks patch moto too, and moto's own tests
    run against all of them (benchmarks/moto_upstream.py)."""
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda.responses import LambdaResponse
    from moto.cloudformation.models import Stack
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.ec2.models.vpcs import VPCBackend
    from moto.organizations.models import OrganizationsBackend
    from moto.sagemaker.responses import SageMakerResponse
    from moto.servicequotas.models import ServiceQuotasBackend

    from sandbox import moto_fixes, server

    moto_fixes.apply_all()
    assert VPCBackend.create_vpc_endpoint.__module__ == "sandbox.endpoints"
    assert VPCBackend.create_vpc.__module__ == "sandbox.servicequotas"
    assert ServiceQuotasBackend.get_service_quota.__module__ == "sandbox.servicequotas"
    assert LambdaBackend.create_function.__module__ == "sandbox.lambda_service"
    # a read lets a Pending or InProgress function state advance, in-process as behind the server
    assert LambdaResponse.get_function.__module__ == "sandbox.lambda_service"
    assert LambdaResponse.get_function_configuration.__module__ == "sandbox.lambda_service"
    # the patches a module defers to its service's first request
    assert Stack._create_resource_map.__module__ == "sandbox.language_extensions"
    assert CloudFormationResponse.create_stack_instances.__module__ == "sandbox.stacksets.responses"
    assert OrganizationsBackend.close_account.__module__ == "sandbox.organizations"
    assert SageMakerResponse.create_domain.__module__ == "sandbox.sagemaker.responses"
    patched = (VPCBackend.create_vpc_endpoint, LambdaBackend.create_function, Stack._create_resource_map)
    moto_fixes.apply_all()  # idempotent
    assert (VPCBackend.create_vpc_endpoint, LambdaBackend.create_function, Stack._create_resource_map) == patched
    assert len(server.DEFERRED_PATCHES) == len(set(server.DEFERRED_PATCHES))


def test_expected_upstream_failures_list_is_well_formed():
    from benchmarks import moto_upstream

    listed = moto_upstream.read_list()
    assert moto_upstream.list_problems(listed) == []
    for node, text in listed.expected.items():  # each names the AWS page, or AWS's recording, that shows moto departs
        assert "docs.aws.amazon.com" in text or "AWS-recorded response: localstack/localstack" in text, node


def test_moto_upstream_gives_the_lambda_role_helper_a_json_trust_policy(monkeypatch):
    """moto's Lambda tests get their role from tests/test_awslambda/utilities.py get_role_name(), whose trust
    policy "some policy" IAM refuses; the run gives it Lambda's trust policy (and nothing else of moto's tests)."""
    import sys
    import types

    from moto import mock_aws

    from benchmarks import moto_upstream

    package, utilities = types.ModuleType("tests.test_awslambda"), types.ModuleType("tests.test_awslambda.utilities")
    utilities._lambda_region = "us-west-2"
    utilities.get_role_name = lambda region=None: "moto's helper"
    package.utilities = utilities
    monkeypatch.setitem(sys.modules, "tests.test_awslambda", package)
    monkeypatch.setitem(sys.modules, "tests.test_awslambda.utilities", utilities)
    moto_upstream.adapt_lambda_role_helper()
    with mock_aws():
        arn = utilities.get_role_name()
        assert arn == utilities.get_role_name()  # the second call reads the role back
        role = boto3.client("iam", region_name="us-west-2").get_role(RoleName="my-role")["Role"]
    assert arn.endswith(":role/my-path/my-role")
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert json.loads(moto_upstream.LAMBDA_TRUST_POLICY)["Statement"][0]["Action"] == "sts:AssumeRole"


# ------------------------------------------------------------------------------------ IAM


def test_fix_aws_managed_policies(aws):
    iam = aws("iam")
    policy = iam.get_policy(PolicyArn=BASIC_EXECUTION)["Policy"]
    assert policy["PolicyName"] == "AWSLambdaBasicExecutionRole"
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="r", PolicyArn=BASIC_EXECUTION)
    version = iam.get_policy_version(PolicyArn=BASIC_EXECUTION, VersionId=policy["DefaultVersionId"])
    actions = json.dumps(version["PolicyVersion"]["Document"])
    assert "logs:PutLogEvents" in actions


def test_fix_role_inline_policies_json(aws):
    cfn, iam = aws("cloudformation"), aws("iam")
    template = {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": TRUST, "Policies": [{"PolicyName": "logs", "PolicyDocument": LOGS}]}}},
        "Outputs": {"Name": {"Value": {"Ref": "Role"}}}}
    cfn.create_stack(StackName="s", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    role = _outputs(cfn, "s")["Name"]
    document = iam.get_role_policy(RoleName=role, PolicyName="logs")["PolicyDocument"]
    assert document == LOGS  # boto3 decodes a JSON document into a dict; a Python repr stays a str


def test_fix_role_managed_policy_arns(aws):
    cfn, iam = aws("cloudformation"), aws("iam")
    template = {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": TRUST, "ManagedPolicyArns": [BASIC_EXECUTION]}}},
        "Outputs": {"Name": {"Value": {"Ref": "Role"}}}}
    cfn.create_stack(StackName="s", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    role = _outputs(cfn, "s")["Name"]
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [BASIC_EXECUTION]
    cfn.delete_stack(StackName="s")  # detaches, then deletes the role
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=role)
    assert exc.value.response["Error"]["Code"] == "NoSuchEntity"


# ------------------------------------------------------------------------------------ EC2 via CloudFormation


def test_fix_vpc_dns_attributes_from_template(aws):
    cfn, ec2 = aws("cloudformation"), aws("ec2")
    cfn.create_stack(StackName="s", TemplateBody=_network_template())
    vpc = _outputs(cfn, "s")["VpcId"]
    assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
    assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"]


def test_fix_subnet_route_table_association(aws):
    cfn, ec2 = aws("cloudformation"), aws("ec2")
    cfn.create_stack(StackName="s", TemplateBody=_network_template())
    out = _outputs(cfn, "s")
    table = ec2.describe_route_tables(RouteTableIds=[out["RouteTableId"]])["RouteTables"][0]
    associations = [a for a in table["Associations"] if not a["Main"]]
    assert [a["SubnetId"] for a in associations] == [out["SubnetId"]]
    resource = cfn.describe_stack_resource(StackName="s", LogicalResourceId="Association")
    assert resource["StackResourceDetail"]["PhysicalResourceId"] == associations[0]["RouteTableAssociationId"]
    assert resource["StackResourceDetail"]["PhysicalResourceId"].startswith("rtbassoc-")


def test_fix_vpc_endpoint_get_att(aws):
    cfn = aws("cloudformation")
    endpoint = {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "Allow TLS for VPC Endpoint", "VpcId": {"Ref": "Vpc"}}},
        "Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "ServiceName": "com.amazonaws.us-east-1.bedrock-runtime",
            "VpcEndpointType": "Interface", "PrivateDnsEnabled": True, "SubnetIds": [{"Ref": "Subnet"}],
            "SecurityGroupIds": [{"Ref": "Sg"}]}}}
    outputs = {"Dns": {"Value": {"Fn::Join": [",", {"Fn::GetAtt": ["Endpoint", "DnsEntries"]}]}},
               "Enis": {"Value": {"Fn::Join": [",", {"Fn::GetAtt": ["Endpoint", "NetworkInterfaceIds"]}]}},
               "EndpointId": {"Value": {"Ref": "Endpoint"}}}
    cfn.create_stack(StackName="s", TemplateBody=_network_template(endpoint, outputs))
    out = _outputs(cfn, "s")
    assert {"VpcId", "SubnetId", "RouteTableId", "Dns", "Enis", "EndpointId"} <= set(out)
    entries = out["Dns"].split(",")
    zone, name = entries[0].split(":")
    assert zone and name.startswith(out["EndpointId"]) and name.endswith(".vpce.amazonaws.com")
    assert entries[-1].split(":")[1] == "bedrock-runtime.us-east-1.amazonaws.com"
    assert out["Enis"].startswith("eni-")


def test_fix_security_group_egress_from_template(aws):
    cfn, ec2 = aws("cloudformation"), aws("ec2")
    extra = {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "lambda", "VpcId": {"Ref": "Vpc"},
        "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                 "CidrIp": {"Fn::GetAtt": ["Vpc", "CidrBlock"]}}]}}}
    cfn.create_stack(StackName="s", TemplateBody=_network_template(extra, {"Sg": {"Value": {"Ref": "Sg"}}}))
    group = ec2.describe_security_groups(GroupIds=[_outputs(cfn, "s")["Sg"]])["SecurityGroups"][0]
    assert [(r["IpProtocol"], r.get("FromPort"), [x["CidrIp"] for x in r["IpRanges"]])
            for r in group["IpPermissionsEgress"]] == [("tcp", 443, ["10.0.0.0/16"])]


def test_fix_route_table_tags_from_template(aws):
    cfn, ec2 = aws("cloudformation"), aws("ec2")
    cfn.create_stack(StackName="s", TemplateBody=_network_template())
    tables = ec2.describe_route_tables(Filters=[{"Name": "tag:workshop", "Values": ["bedrock-privatelink"]}])
    assert [t["RouteTableId"] for t in tables["RouteTables"]] == [_outputs(cfn, "s")["RouteTableId"]]


def test_fix_lambda_tags_from_template(aws):
    cfn, lam = aws("cloudformation"), aws("lambda")
    template = {"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler", "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"},
            "Tags": [{"Key": "workshop", "Value": "bedrock-privatelink"}]}}},
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}}}}
    cfn.create_stack(StackName="s", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    arn = _outputs(cfn, "s")["Arn"]
    assert lam.list_tags(Resource=arn)["Tags"].get("workshop") == "bedrock-privatelink"
    found = aws("resourcegroupstaggingapi").get_resources(
        TagFilters=[{"Key": "workshop", "Values": ["bedrock-privatelink"]}], ResourceTypeFilters=["lambda:function"])
    assert [r["ResourceARN"] for r in found["ResourceTagMappingList"]] == [arn]


def test_fix_tagging_api_vpc_endpoints(aws):
    ec2, tagging = aws("ec2"), aws("resourcegroupstaggingapi")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    tags = [{"Key": "workshop", "Value": "bedrock-privatelink"}, {"Key": "Name", "Value": "bedrock-vpce"}]
    ep = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.bedrock-runtime",
                                 VpcEndpointType="Interface", PrivateDnsEnabled=False,
                                 TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": tags}])["VpcEndpoint"]
    found = tagging.get_resources(TagFilters=[{"Key": "workshop", "Values": ["bedrock-privatelink"]}],
                                  ResourceTypeFilters=["ec2:vpc-endpoint"])["ResourceTagMappingList"]
    assert [r["ResourceARN"] for r in found] == [
        f"arn:aws:ec2:us-east-1:123456789012:vpc-endpoint/{ep['VpcEndpointId']}"]
    assert tagging.get_resources(TagFilters=[{"Key": "workshop", "Values": ["other"]}],
                                 ResourceTypeFilters=["ec2:vpc-endpoint"])["ResourceTagMappingList"] == []


# ------------------------------------------------------------------------------------ EC2 dependencies


def _vpc_with_subnet(ec2) -> tuple[str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    return vpc, subnet


def test_fix_delete_subnet_dependencies(aws, monkeypatch):
    ec2 = aws("ec2")
    vpc, subnet = _vpc_with_subnet(ec2)
    eni = ec2.create_network_interface(SubnetId=subnet, Description="AWS Lambda VPC ENI-x")["NetworkInterface"]
    with pytest.raises(ClientError) as exc:
        ec2.delete_subnet(SubnetId=subnet)
    assert exc.value.response["Error"]["Code"] == "DependencyViolation"
    assert exc.value.response["Error"]["Message"] == f"The subnet '{subnet}' has dependencies and cannot be deleted."
    assert ec2.describe_subnets(SubnetIds=[subnet])["Subnets"]

    # ENIs whose release time has passed are released first (sandbox.lambda_service.release_due_enis)
    import sandbox.lambda_service as lambda_service
    from sandbox import backends

    def release_due_enis():
        backends.ec2("us-east-1").enis.pop(eni["NetworkInterfaceId"], None)

    monkeypatch.setattr(lambda_service, "release_due_enis", release_due_enis, raising=False)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_route_table(RouteTableId=table)  # the subnet took its association with it


def test_fix_delete_security_group_dependencies(aws):
    ec2 = aws("ec2")
    vpc, subnet = _vpc_with_subnet(ec2)
    used = ec2.create_security_group(VpcId=vpc, GroupName="used", Description="used")["GroupId"]
    source = ec2.create_security_group(VpcId=vpc, GroupName="source", Description="source")["GroupId"]
    target = ec2.create_security_group(VpcId=vpc, GroupName="target", Description="target")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=target, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": source}]}])
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[used])["NetworkInterface"]["NetworkInterfaceId"]
    for group in (used, source):  # used by an ENI; referenced by another group's rule
        with pytest.raises(ClientError) as exc:
            ec2.delete_security_group(GroupId=group)
        assert exc.value.response["Error"]["Code"] == "DependencyViolation"
        assert exc.value.response["Error"]["Message"] == f"resource {group} has a dependent object"
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_security_group(GroupId=used)
    ec2.delete_security_group(GroupId=target)
    ec2.delete_security_group(GroupId=source)


def test_fix_delete_vpc_dependencies(aws):
    ec2 = aws("ec2")
    vpc, subnet = _vpc_with_subnet(ec2)
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    ep = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.bedrock-runtime",
                                 VpcEndpointType="Interface", SubnetIds=[subnet])["VpcEndpoint"]["VpcEndpointId"]
    ec2.modify_vpc_endpoint(VpcEndpointId=ep, RemoveSubnetIds=[subnet])  # no ENI left, only the endpoint
    ec2.delete_subnet(SubnetId=subnet)
    with pytest.raises(ClientError) as exc:
        ec2.delete_vpc(VpcId=vpc)
    assert exc.value.response["Error"]["Code"] == "DependencyViolation"
    assert exc.value.response["Error"]["Message"] == f"The vpc '{vpc}' has dependencies and cannot be deleted."
    ec2.delete_vpc_endpoints(VpcEndpointIds=[ep])
    ec2.delete_vpc(VpcId=vpc)


# ------------------------------------------------------------------------------------ stack life cycle


def test_fix_stack_lifecycle_events_in_order(aws):
    cfn = aws("cloudformation")
    cfn.create_stack(StackName="s", TemplateBody=_network_template())
    events = _events(cfn, "s")
    assert events[0] == ("s", "CREATE_IN_PROGRESS") and events[-1] == ("s", "CREATE_COMPLETE")
    done = [logical for logical, status in events if status == "CREATE_COMPLETE" and logical != "s"]
    assert set(done) == {"Vpc", "Subnet", "RouteTable", "Association"}
    assert done.index("Vpc") < done.index("Subnet") < done.index("Association")
    assert done.index("RouteTable") < done.index("Association")
    for logical in done:  # each resource: IN_PROGRESS before COMPLETE
        statuses = [s for name, s in events if name == logical]
        assert statuses[0] == "CREATE_IN_PROGRESS" and statuses[-1] == "CREATE_COMPLETE"
    resources = cfn.describe_stack_resources(StackName="s")["StackResources"]
    assert {r["ResourceStatus"] for r in resources} == {"CREATE_COMPLETE"}


def test_fix_stack_lifecycle_in_progress_until_delay(aws, sandbox):
    cfn = aws("cloudformation")
    set_settings(sandbox.url, {"timing_scale": 0.05})  # stack_operation: 20 s * 0.05 = 1 s
    cfn.create_stack(StackName="s", TemplateBody=_network_template())
    assert _status(cfn, "s") == "CREATE_IN_PROGRESS"
    assert "Outputs" not in cfn.describe_stacks(StackName="s")["Stacks"][0]
    seen: list[int] = []

    def complete():
        seen.append(len(_events(cfn, "s")))
        return _status(cfn, "s") == "CREATE_COMPLETE"

    wait_for(complete, "the stack to reach CREATE_COMPLETE", 20.0)
    assert seen[0] < seen[-1]  # events appeared progressively
    assert set(_outputs(cfn, "s")) == {"VpcId", "SubnetId", "RouteTableId"}
    # the waiter works as on AWS
    cfn.get_waiter("stack_create_complete").wait(StackName="s", WaiterConfig={"Delay": 1, "MaxAttempts": 5})


def test_fix_stack_lifecycle_create_failure_rolls_back(aws, sandbox):
    cfn, ec2 = aws("cloudformation"), aws("ec2")
    set_settings(sandbox.url, {"faults": {"stack_create_failure": "Association"}})
    cfn.create_stack(StackName="s", TemplateBody=_network_template())
    stack = cfn.describe_stacks(StackName="s")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"].startswith("The following resource(s) failed to create: [Association].")
    assert "Outputs" not in stack
    events = _events(cfn, "s")
    failed = events.index(("Association", "CREATE_FAILED"))
    assert events[failed + 1] == ("s", "ROLLBACK_IN_PROGRESS")
    deleted = [logical for logical, status in events[failed:] if status == "DELETE_COMPLETE"]
    assert deleted.index("Subnet") < deleted.index("Vpc") and deleted.index("RouteTable") < deleted.index("Vpc")
    assert events[-1] == ("s", "ROLLBACK_COMPLETE")
    assert [v for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    cfn.delete_stack(StackName="s")
    with pytest.raises(ClientError):
        cfn.describe_stacks(StackName="s")
    # a count fails the next stack once, on its last resource
    set_settings(sandbox.url, {"faults": {"stack_create_failure": 1}})
    cfn.create_stack(StackName="t", TemplateBody=_network_template())
    assert _status(cfn, "t") == "ROLLBACK_COMPLETE"
    cfn.create_stack(StackName="u", TemplateBody=_network_template())
    assert _status(cfn, "u") == "CREATE_COMPLETE"


def test_fix_stack_lifecycle_delete_failed_then_retry(aws):
    cfn, ec2 = aws("cloudformation"), aws("ec2")
    cfn.create_stack(StackName="s", TemplateBody=_network_template())
    out = _outputs(cfn, "s")
    stack_id = cfn.describe_stacks(StackName="s")["Stacks"][0]["StackId"]
    eni = ec2.create_network_interface(SubnetId=out["SubnetId"], Description="AWS Lambda VPC ENI-fn")[
        "NetworkInterface"]["NetworkInterfaceId"]
    cfn.delete_stack(StackName="s")  # 200, no DependencyViolation from DeleteStack itself
    stack = cfn.describe_stacks(StackName="s")["Stacks"][0]
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to delete: [Subnet]. "
    events = cfn.describe_stack_events(StackName="s")["StackEvents"]
    subnet_failure = next(e for e in events if e["LogicalResourceId"] == "Subnet" and e["ResourceStatus"]
                          == "DELETE_FAILED")
    assert f"The subnet '{out['SubnetId']}' has dependencies and cannot be deleted." in \
        subnet_failure["ResourceStatusReason"]
    remaining = {r["LogicalResourceId"]: r["ResourceStatus"]
                 for r in cfn.describe_stack_resources(StackName="s")["StackResources"]}
    assert remaining == {"Vpc": "CREATE_COMPLETE", "Subnet": "DELETE_FAILED"}  # assoc + table went first
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    cfn.delete_stack(StackName="s")
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        cfn.describe_stacks(StackName="s")
    assert [v for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []


def test_fix_stack_lifecycle_delete_in_progress_until_delay(aws, sandbox):
    cfn = aws("cloudformation")
    cfn.create_stack(StackName="s", TemplateBody=_network_template())
    set_settings(sandbox.url, {"timing_scale": 0.05})
    cfn.delete_stack(StackName="s")
    assert _status(cfn, "s") == "DELETE_IN_PROGRESS"
    cfn.delete_stack(StackName="s")  # deleting again while in progress: accepted, no-op
    cfn.delete_stack(StackName="no-such-stack")  # AWS answers 200 for an unknown stack too

    def gone():
        try:
            cfn.describe_stacks(StackName="s")
        except ClientError:
            return True
        return False

    wait_for(gone, "the stack to be deleted", 20.0)


def test_fix_stack_lifecycle_update_adds_resources(aws):
    cfn, ec2 = aws("cloudformation"), aws("ec2")
    cfn.create_stack(StackName="s", TemplateBody=_network_template())
    extra = {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "added by an update", "VpcId": {"Ref": "Vpc"}}}}
    cfn.update_stack(StackName="s", TemplateBody=_network_template(extra, {"Sg": {"Value": {"Ref": "Sg"}}}))
    assert _status(cfn, "s") == "UPDATE_COMPLETE"
    group = _outputs(cfn, "s")["Sg"]
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["Description"] == "added by an update"


def test_fix_stack_lifecycle_deletes_endpoint_before_its_subnet(aws, sandbox):
    cfn, ec2 = aws("cloudformation"), aws("ec2")
    endpoint = {"Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
        "VpcId": {"Ref": "Vpc"}, "ServiceName": "com.amazonaws.us-east-1.bedrock-runtime",
        "VpcEndpointType": "Interface", "SubnetIds": [{"Ref": "Subnet"}]}}}
    cfn.create_stack(StackName="s", TemplateBody=_network_template(endpoint))
    stack_id = cfn.describe_stacks(StackName="s")["Stacks"][0]["StackId"]
    set_settings(sandbox.url, {"timing_scale": 0.01})  # the endpoint takes a while to go: CloudFormation waits
    cfn.delete_stack(StackName="s")
    wait_for(lambda: cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE",
          "the stack to be deleted", 20.0)
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []
    assert [v for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []


def test_fix_template_parameter_constraints(aws):
    cfn, ec2 = aws("cloudformation"), aws("ec2")
    template = json.loads(_network_template())
    template["Parameters"] = {
        "Prefix": {"Type": "String", "Default": "", "AllowedPattern": "^[a-z0-9-]{0,12}$",
                   "ConstraintDescription": "lowercase letters, digits and hyphens"},
        "Zone": {"Type": "AWS::EC2::AvailabilityZone::Name"}}
    template["Resources"]["Subnet"]["Properties"]["AvailabilityZone"] = {"Ref": "Zone"}
    body = json.dumps(template)
    with pytest.raises(ClientError) as exc:
        cfn.create_stack(StackName="s", TemplateBody=body, Parameters=[
            {"ParameterKey": "Prefix", "ParameterValue": "Team_07"},
            {"ParameterKey": "Zone", "ParameterValue": "us-east-1a"}])
    assert exc.value.response["Error"]["Code"] == "ValidationError"
    assert exc.value.response["Error"]["Message"] == \
        "Parameter 'Prefix' failed to satisfy constraint: lowercase letters, digits and hyphens"
    with pytest.raises(ClientError) as exc:
        cfn.create_stack(StackName="s", TemplateBody=body, Parameters=[
            {"ParameterKey": "Zone", "ParameterValue": "us-east-1z"}])
    assert "parameter value us-east-1z for parameter name Zone does not exist" in exc.value.response["Error"]["Message"]
    assert [v for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    assert cfn.list_stacks()["StackSummaries"] == []
    cfn.create_stack(StackName="s", TemplateBody=body, Parameters=[
        {"ParameterKey": "Prefix", "ParameterValue": "team-07"},
        {"ParameterKey": "Zone", "ParameterValue": "us-east-1a"}])
    assert _status(cfn, "s") == "CREATE_COMPLETE"


def test_fix_vpc_endpoint_filters(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for attr in ("EnableDnsSupport", "EnableDnsHostnames"):
        ec2.modify_vpc_attribute(VpcId=vpc, **{attr: {"Value": True}})
    zone = ec2.describe_vpc_endpoint_services(ServiceNames=["com.amazonaws.us-east-1.bedrock-runtime"])[
        "ServiceDetails"][0]["AvailabilityZones"][0]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    ep = ec2.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=vpc, SubnetIds=[subnet],
                                 ServiceName="com.amazonaws.us-east-1.bedrock-runtime")["VpcEndpoint"]["VpcEndpointId"]
    for name, value in (("vpc-endpoint-id", ep), ("service-name", "com.amazonaws.us-east-1.bedrock-runtime"),
                        ("vpc-id", vpc)):
        found = ec2.describe_vpc_endpoints(Filters=[{"Name": name, "Values": [value]}])["VpcEndpoints"]
        assert [e["VpcEndpointId"] for e in found] == [ep], name
    assert not ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-endpoint-id", "Values": ["vpce-0"]}])["VpcEndpoints"]


# ------------------------------------------------------------------------------------ regressions found by moto's tests
# (python -m benchmarks.moto_upstream: moto's own tests with these fixes applied)


def test_yaml_boolean_allowed_values_accept_true(aws):
    cfn = aws("cloudformation")
    template = """
Parameters:
  Flag:
    Type: String
    AllowedValues: [true, false]
    Default: false
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
"""
    cfn.create_stack(StackName="s", TemplateBody=template,
                     Parameters=[{"ParameterKey": "Flag", "ParameterValue": "true"}])
    assert _status(cfn, "s") == "CREATE_COMPLETE"
    with pytest.raises(ClientError) as exc:
        cfn.create_stack(StackName="t", TemplateBody=template,
                         Parameters=[{"ParameterKey": "Flag", "ParameterValue": "yes"}])
    assert exc.value.response["Error"]["Message"] == "Parameter 'Flag' must be one of AllowedValues"


def test_yaml_unquoted_policy_version_is_a_string(aws):
    cfn, iam = aws("cloudformation"), aws("iam")
    template = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: logs
          PolicyDocument:
            Version: 2012-10-17
            Statement:
              - Effect: Allow
                Action: logs:CreateLogGroup
                Resource: "*"
Outputs:
  Name:
    Value: !Ref Role
"""
    cfn.create_stack(StackName="s", TemplateBody=template, Capabilities=["CAPABILITY_IAM"])
    assert _status(cfn, "s") == "CREATE_COMPLETE"
    document = iam.get_role_policy(RoleName=_outputs(cfn, "s")["Name"], PolicyName="logs")["PolicyDocument"]
    assert document == LOGS


def test_stack_events_reach_notification_arns(aws):
    cfn, sns, sqs = aws("cloudformation"), aws("sns"), aws("sqs")
    queue = sqs.create_queue(QueueName="events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="stack-events")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    cfn.create_stack(StackName="s", TemplateBody=_network_template(), NotificationARNs=[topic])
    statuses = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        for m in messages:
            body = json.loads(m["Body"])
            assert body["Subject"] == "AWS CloudFormation Notification"
            statuses.append(body["Message"].split("ResourceStatus='")[1].split("'")[0])
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    assert statuses == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]


def test_custom_resource_keeps_the_stack_in_progress_until_it_responds(aws):
    from moto.cloudformation import cloudformation_backends

    cfn = aws("cloudformation")
    template = {"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler", "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"ZipFile": "def handler(event, context):\n    return None\n"}}},
        "Info": {"Type": "Custom::Info", "Properties": {"ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}}}},
        "Outputs": {"Value": {"Value": {"Fn::GetAtt": ["Info", "Value"]}}}}
    stack_id = cfn.create_stack(StackName="s", TemplateBody=json.dumps(template),
                                Capabilities=["CAPABILITY_IAM"])["StackId"]
    stack = cfn.describe_stacks(StackName="s")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_IN_PROGRESS" and "Outputs" not in stack
    assert ("Info", "CREATE_COMPLETE") not in _events(cfn, "s")
    # The provider's response, as moto's CloudFormationResponse.process_cfn_response handles it (the sandbox
    # runs in this process during tests).
    backend_stack = cloudformation_backends["123456789012"]["us-east-1"].get_stack(stack_id)
    backend_stack.get_custom_resource("Info").set_data({"Value": "from the provider"})
    backend_stack.verify_readiness()
    assert _status(cfn, "s") == "CREATE_COMPLETE"
    assert _outputs(cfn, "s") == {"Value": "from the provider"}
    events = _events(cfn, "s")
    assert events.index(("Info", "CREATE_COMPLETE")) < events.index(("s", "CREATE_COMPLETE"))


def test_terminated_instance_does_not_block_delete_security_group(aws):
    ec2 = aws("ec2")
    vpc, subnet = _vpc_with_subnet(ec2)
    group = ec2.create_security_group(VpcId=vpc, GroupName="web", Description="web")["GroupId"]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet,  # moto's own AMI
                                 SecurityGroupIds=[group])["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as exc:
        ec2.delete_security_group(GroupId=group)
    assert exc.value.response["Error"]["Code"] == "DependencyViolation"
    ec2.terminate_instances(InstanceIds=[instance])
    ec2.delete_security_group(GroupId=group)  # the instance's primary ENI went with it
    ec2.delete_subnet(SubnetId=subnet)


def test_aws_managed_policies_in_every_partition(aws):
    iam = aws("iam", region="cn-north-1")
    arn = "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Arn"] == arn


def test_resource_failure_names_its_service(aws):
    cfn = aws("cloudformation")
    template = {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": TRUST, "ManagedPolicyArns": ["arn:aws:iam::aws:policy/NoSuchPolicy"]}}}}
    cfn.create_stack(StackName="s", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    assert _status(cfn, "s") == "ROLLBACK_COMPLETE"
    failed = [e for e in cfn.describe_stack_events(StackName="s")["StackEvents"]
              if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Role"]
    reason = failed[0]["ResourceStatusReason"]
    assert reason.startswith('Resource handler returned message: "')
    assert "(Service: Iam, Status Code: 404, Request ID: " in reason
    assert reason.endswith("HandlerErrorCode: NotFound)")


def test_missing_export_fails_create_stack(aws):
    cfn = aws("cloudformation")
    template = {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {
        "CidrBlock": {"Fn::ImportValue": "NetworkCidr"}}}}}
    with pytest.raises(ClientError) as exc:
        cfn.create_stack(StackName="s", TemplateBody=json.dumps(template))
    assert exc.value.response["Error"]["Code"] == "ValidationError"
    assert exc.value.response["Error"]["Message"] == "No export named NetworkCidr found."
    assert cfn.list_stacks()["StackSummaries"] == []
