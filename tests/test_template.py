"""The CloudFormation template: cfn-lint, our security checks, the workshop contract, and a deployment in the sandbox.

`policy_problems(document)` is the least-privilege check used here; tests of the policies that the notebooks
write can import it (`from tests.test_template import policy_problems`).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from awsfacts.awslambda import NEWEST_PYTHON_RUNTIME, VPC_ACCESS_ACTIONS, runtime_lifecycle

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PATH = ROOT / "cfn" / "bedrock-privatelink.yaml"
TAG = {"Key": "workshop", "Value": "bedrock-privatelink"}
CONTRACT_OUTPUTS = {
    "VpcId", "VpcCidr", "PrivateSubnet1Id", "PrivateSubnet2Id", "PrivateRouteTableIds",
    "LambdaSecurityGroupId", "EndpointSecurityGroupId", "FunctionName", "FunctionArn",
    "FunctionRoleName", "FunctionRoleArn",
}
# The EC2 actions of a function in a VPC, granted on "Resource": "*" as the Lambda Developer Guide and the managed
# policy AWSLambdaVPCAccessExecutionRole grant them (the Describe actions support no resource-level permissions).
ENI_ACTIONS = {a.lower() for a in VPC_ACCESS_ACTIONS}
PUBLIC_ROUTE_TYPES = {
    "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::NatGateway",
    "AWS::EC2::EgressOnlyInternetGateway", "AWS::EC2::EIP", "AWS::EC2::TransitGatewayAttachment",
}


# ---------------------------------------------------------------------------------------------- helpers
@functools.lru_cache(maxsize=1)
def _template_json() -> str:
    from cfnlint.decode import decode

    template, matches = decode(str(TEMPLATE_PATH))
    assert not matches, [str(m) for m in matches]
    return json.dumps(template)


def load_template() -> dict:
    """The template with intrinsic functions in their long form ({"Ref": ...}, {"Fn::GetAtt": [...]})."""
    return json.loads(_template_json())


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def policy_problems(document: dict, where: str = "policy") -> list[str]:
    """Least-privilege problems of one IAM policy document (identity, trust or endpoint policy)."""
    problems = []
    for i, stmt in enumerate(as_list(document.get("Statement", []))):
        label = f"{where} statement {stmt.get('Sid', i)}"
        actions = [a.lower() for a in as_list(stmt.get("Action", []))]
        if "*" in actions or stmt.get("NotAction"):
            problems.append(f"{label}: Action '*' (or NotAction) grants every action")
        principal = stmt.get("Principal")
        principals = [principal] if isinstance(principal, str) else [
            p for v in (principal or {}).values() for p in as_list(v)]
        if "*" in principals and not stmt.get("Condition"):
            problems.append(f"{label}: Principal '*' without a Condition")
        if stmt.get("Effect") == "Allow" and "*" in as_list(stmt.get("Resource", [])):
            others = sorted(set(actions) - ENI_ACTIONS)
            if others:
                problems.append(f"{label}: Resource '*' for actions that support resource-level scoping: {others}")
    return problems


def iam_documents(template: dict) -> list[tuple[str, dict]]:
    docs = []
    for name, res in template["Resources"].items():
        props = res.get("Properties", {})
        if "AssumeRolePolicyDocument" in props:
            docs.append((f"{name} trust policy", props["AssumeRolePolicyDocument"]))
        for pol in props.get("Policies", []):
            docs.append((f"{name} {pol['PolicyName']}", pol["PolicyDocument"]))
        if "PolicyDocument" in props:
            docs.append((name, props["PolicyDocument"]))
    return docs


def tag_map(tags) -> dict:
    return {t["Key"]: t["Value"] for t in tags or []}


# ---------------------------------------------------------------------------------------------- static checks
def test_cfn_lint_passes():
    """cfn-lint with its default rules (errors and warnings), run in-process as the cfn-lint command runs it."""
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(TEMPLATE_PATH, config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


def test_cfn_lint_reports_a_broken_template(tmp_path):
    from cfnlint.api import ManualArgs, lint_file

    broken = tmp_path / "broken.yaml"
    text = TEMPLATE_PATH.read_text()
    assert f"Runtime: {NEWEST_PYTHON_RUNTIME}" in text
    broken.write_text(text.replace(f"Runtime: {NEWEST_PYTHON_RUNTIME}", "Runtime: python2.7"))
    assert lint_file(broken, config=ManualArgs(regions=["us-east-1"]))


def test_policy_checker_catches_bad_policies():
    bad = {"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::x"},
        {"Effect": "Allow", "Principal": "*", "Action": "bedrock:InvokeModel", "Resource": "arn:aws:bedrock:x"},
        {"Effect": "Allow", "Action": ["ec2:CreateNetworkInterface", "logs:PutLogEvents"], "Resource": "*"},
    ]}
    assert len(policy_problems(bad)) == 3
    ok = {"Statement": [
        {"Effect": "Allow", "Action": ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces"], "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "bedrock:InvokeModel", "Resource": "arn:x",
         "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}},
    ]}
    assert policy_problems(ok) == []


def test_iam_policies_are_least_privilege():
    template = load_template()
    docs = iam_documents(template)
    assert docs, "the template declares no IAM policy at all"
    problems = [p for where, doc in docs for p in policy_problems(doc, where)]
    assert problems == []
    role = template["Resources"]["BedrockTestLambdaFunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role, "logging rights are inline, scoped to the function's own log group"
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]
    (logs,) = role["Policies"]
    (stmt,) = logs["PolicyDocument"]["Statement"]
    assert sorted(stmt["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert stmt["Resource"] == {"Fn::GetAtt": ["BedrockTestLambdaFunctionLogGroup", "Arn"]}


def test_no_internet_path():
    template = load_template()
    types = {res["Type"] for res in template["Resources"].values()}
    assert not types & PUBLIC_ROUTE_TYPES
    for name, res in template["Resources"].items():
        if res["Type"] == "AWS::EC2::Route":
            props = res["Properties"]
            assert props.get("DestinationCidrBlock") != "0.0.0.0/0", name
            assert props.get("DestinationIpv6CidrBlock") != "::/0", name
        if res["Type"] == "AWS::EC2::Subnet":
            assert res["Properties"].get("MapPublicIpOnLaunch") is False, name


def test_vpc_and_subnets_follow_the_contract():
    res = load_template()["Resources"]
    vpc = res["Vpc"]["Properties"]
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    assert vpc["EnableDnsSupport"] is True and vpc["EnableDnsHostnames"] is True
    name = tag_map(vpc["Tags"])["Name"]
    assert name == {"Fn::If": ["HasPrefix", {"Fn::Sub": "${ParticipantPrefix}-Bedrock-GenAI-Project-vpc"},
                               "Bedrock-GenAI-Project-vpc"]}
    subnets = {k: v["Properties"] for k, v in res.items() if v["Type"] == "AWS::EC2::Subnet"}
    assert {s["CidrBlock"] for s in subnets.values()} == {"10.0.1.0/24", "10.0.2.0/24"}
    assert {json.dumps(s["AvailabilityZone"]) for s in subnets.values()} == {
        json.dumps({"Ref": "AvailabilityZone1"}), json.dumps({"Ref": "AvailabilityZone2"})}


def test_security_groups_are_tight():
    res = load_template()["Resources"]
    lam = res["LambdaSecurityGroup"]["Properties"]
    vpce = res["VPCEndpointSecurityGroup"]["Properties"]
    assert not lam.get("SecurityGroupIngress"), "nothing connects to the function over the network"
    egress = [{k: v for k, v in r.items() if k != "Description"} for r in lam["SecurityGroupEgress"]]
    assert egress == [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                       "CidrIp": {"Fn::GetAtt": ["Vpc", "CidrBlock"]}}]
    assert vpce["GroupDescription"] == "Allow TLS for VPC Endpoint"
    ingress = [{k: v for k, v in r.items() if k != "Description"} for r in vpce["SecurityGroupIngress"]]
    assert ingress == [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                        "SourceSecurityGroupId": {"Fn::GetAtt": ["LambdaSecurityGroup", "GroupId"]}}]
    # The endpoint opens no connections: its only egress rule is the loopback placeholder that keeps
    # CloudFormation's default allow-all rule away.
    assert [(r["IpProtocol"], r["CidrIp"]) for r in vpce["SecurityGroupEgress"]] == [("-1", "127.0.0.1/32")]
    for name, r in res.items():
        if r["Type"] in {"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"}:
            pytest.fail(f"{name}: standalone rules would escape these checks")


def test_security_group_descriptions_use_characters_ec2_accepts():
    """EC2 rejects other characters (an apostrophe, say) in group and rule descriptions; cfn-lint does not check."""
    allowed = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}$")
    for name, r in load_template()["Resources"].items():
        if r["Type"] != "AWS::EC2::SecurityGroup":
            continue
        props = r["Properties"]
        texts = [props["GroupDescription"]] + [rule["Description"] for key in (
            "SecurityGroupIngress", "SecurityGroupEgress") for rule in props.get(key, []) if "Description" in rule]
        for text in texts:
            assert allowed.match(text), f"{name}: {text!r}"


def test_runtime_is_the_newest_python_runtime_lambda_offers():
    """The template's runtime is awsfacts' newest Python runtime, and the maintained data agrees it is the newest.

    cfn-lint's runtime lifecycle data names it as the successor of every older Python runtime and names none for it;
    the Python runtimes botocore's Lambda model lists beyond it are the preview runtimes awsfacts names with their
    source. When either package learns of a newer runtime, tests/test_awsfacts_sources.py says so by name.
    """
    assert load_template()["Resources"]["BedrockTestLambdaFunction"]["Properties"]["Runtime"] == NEWEST_PYTHON_RUNTIME
    lifecycle = runtime_lifecycle()
    assert lifecycle[NEWEST_PYTHON_RUNTIME]["successor"] is None
    assert {v["successor"] for k, v in lifecycle.items() if k.startswith("python")} == {NEWEST_PYTHON_RUNTIME, None}


def test_function_follows_the_contract():
    template = load_template()
    fn = template["Resources"]["BedrockTestLambdaFunction"]["Properties"]
    assert fn["Runtime"] == NEWEST_PYTHON_RUNTIME
    assert fn["Handler"] == "app.handler"
    assert fn["Timeout"] == 60 and fn["MemorySize"] == 256
    assert fn["Environment"]["Variables"] == {"MODEL_ID": {"Ref": "ModelId"}}
    assert "VpcConfig" not in fn, "notebook 03 attaches the function to the VPC, as the blog post does"
    assert 'raise RuntimeError("code not deployed yet: run notebook 01")' in fn["Code"]["ZipFile"]
    params = template["Parameters"]
    assert set(params) == {"ParticipantPrefix", "AvailabilityZone1", "AvailabilityZone2", "ModelId"}
    assert params["ParticipantPrefix"]["Default"] == ""
    assert params["ParticipantPrefix"]["AllowedPattern"] == "^[a-z0-9-]{0,12}$"
    assert params["ParticipantPrefix"]["ConstraintDescription"]
    assert params["ModelId"]["Default"] == "us.amazon.nova-micro-v1:0"


def test_every_taggable_resource_is_tagged():
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    participant = {"Fn::If": ["HasPrefix", {"Ref": "ParticipantPrefix"}, "default"]}
    for name, res in load_template()["Resources"].items():
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", res["Type"]).schema
        if "Tags" not in schema.get("properties", {}):
            continue
        tags = tag_map(res["Properties"].get("Tags"))
        assert tags.get("workshop") == "bedrock-privatelink", name
        assert tags.get("participant") == participant, name


def test_outputs_follow_the_contract():
    outputs = load_template()["Outputs"]
    assert set(outputs) == CONTRACT_OUTPUTS
    assert outputs["PrivateRouteTableIds"]["Value"] == {
        "Fn::Join": [",", [{"Ref": "PrivateRouteTable1"}, {"Ref": "PrivateRouteTable2"}]]}


# ---------------------------------------------------------------------------------------------- sandbox
def stack_name(prefix: str = "") -> str:
    return f"{prefix}-Bedrock-GenAI-Stack" if prefix else "Bedrock-GenAI-Stack"


def endpoint_azs(ec2, region: str = "us-east-1") -> list[str]:
    """Two AZs that offer the bedrock-runtime endpoint service, as notebook 01 chooses them."""
    service = f"com.amazonaws.{region}.bedrock-runtime"
    details = ec2.describe_vpc_endpoint_services(ServiceNames=[service])["ServiceDetails"]
    azs = sorted(details[0]["AvailabilityZones"]) if details else []
    assert len(azs) >= 2, f"{service} offered in {azs}"
    return azs[:2]


def deploy_stack(aws, prefix: str = "") -> dict:
    """Create the workshop stack in the sandbox, wait for CREATE_COMPLETE, and return its outputs."""
    cfn = aws("cloudformation")
    az1, az2 = endpoint_azs(aws("ec2"))
    cfn.create_stack(
        StackName=stack_name(prefix),
        TemplateBody=TEMPLATE_PATH.read_text(),
        Parameters=[
            {"ParameterKey": "ParticipantPrefix", "ParameterValue": prefix},
            {"ParameterKey": "AvailabilityZone1", "ParameterValue": az1},
            {"ParameterKey": "AvailabilityZone2", "ParameterValue": az2},
        ],
        Capabilities=["CAPABILITY_IAM"],
        Tags=[TAG, {"Key": "participant", "Value": prefix or "default"}],
    )
    cfn.get_waiter("stack_create_complete").wait(
        StackName=stack_name(prefix), WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    stack = cfn.describe_stacks(StackName=stack_name(prefix))["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def delete_stack(aws, prefix: str = "") -> None:
    cfn = aws("cloudformation")
    cfn.delete_stack(StackName=stack_name(prefix))
    cfn.get_waiter("stack_delete_complete").wait(
        StackName=stack_name(prefix), WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def test_stack_deploys_and_deletes_in_sandbox(aws):
    out = deploy_stack(aws)
    assert set(out) == CONTRACT_OUTPUTS
    assert out["VpcCidr"] == "10.0.0.0/16"
    assert out["FunctionName"] == "Bedrock-GenAI-Stack-BedrockTestLambdaFunction"
    ec2, lam, iam, logs = aws("ec2"), aws("lambda"), aws("iam"), aws("logs")

    vpc = ec2.describe_vpcs(VpcIds=[out["VpcId"]])["Vpcs"][0]
    assert tag_map(vpc["Tags"])["Name"] == "Bedrock-GenAI-Project-vpc"
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        assert ec2.describe_vpc_attribute(VpcId=out["VpcId"], Attribute=attribute)[key]["Value"] is True

    vpc_filter = [{"Name": "vpc-id", "Values": [out["VpcId"]]}]
    subnets = ec2.describe_subnets(SubnetIds=[out["PrivateSubnet1Id"], out["PrivateSubnet2Id"]])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    assert all(not s["MapPublicIpOnLaunch"] for s in subnets)
    route_tables = ec2.describe_route_tables(RouteTableIds=out["PrivateRouteTableIds"].split(","))["RouteTables"]
    associated = {a.get("SubnetId") for rt in route_tables for a in rt["Associations"]}
    assert {out["PrivateSubnet1Id"], out["PrivateSubnet2Id"]} <= associated
    routes = [r for rt in route_tables for r in rt["Routes"]]
    assert {r.get("GatewayId") for r in routes} == {"local"}
    assert not ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [out["VpcId"]]}])["InternetGateways"]
    assert not ec2.describe_nat_gateways(Filters=vpc_filter)["NatGateways"]

    cfg = lam.get_function_configuration(FunctionName=out["FunctionName"])
    assert (cfg["Runtime"], cfg["Handler"], cfg["Timeout"], cfg["MemorySize"]) == (
        NEWEST_PYTHON_RUNTIME, "app.handler", 60, 256)
    assert cfg["Environment"]["Variables"] == {"MODEL_ID": "us.amazon.nova-micro-v1:0"}
    assert not (cfg.get("VpcConfig") or {}).get("SubnetIds")
    assert cfg["Role"] == out["FunctionRoleArn"]
    assert lam.list_tags(Resource=out["FunctionArn"])["Tags"]["workshop"] == "bedrock-privatelink"

    role = iam.get_role(RoleName=out["FunctionRoleName"])["Role"]
    assert role["Arn"] == out["FunctionRoleArn"]
    assert tag_map(role.get("Tags"))["workshop"] == "bedrock-privatelink"
    assert iam.list_attached_role_policies(RoleName=out["FunctionRoleName"])["AttachedPolicies"] == []
    assert iam.list_role_policies(RoleName=out["FunctionRoleName"])["PolicyNames"] == ["write-own-logs"]
    log_group = f"/aws/lambda/{out['FunctionName']}"
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]] == [
        log_group]

    resources = aws("cloudformation").describe_stack_resources(StackName=stack_name())["StackResources"]
    ec2_types = {"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::RouteTable", "AWS::EC2::SecurityGroup"}
    ec2_ids = {r["PhysicalResourceId"] for r in resources if r["ResourceType"] in ec2_types}
    assert len(ec2_ids) == 7
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": sorted(ec2_ids)},
                                      {"Name": "key", "Values": ["workshop", "participant"]}])["Tags"]
    for key, value in (("workshop", "bedrock-privatelink"), ("participant", "default")):
        assert {t["ResourceId"] for t in tags if (t["Key"], t["Value"]) == (key, value)} == ec2_ids, key
    group_arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{log_group}"
    assert logs.list_tags_for_resource(resourceArn=group_arn)["tags"]["workshop"] == "bedrock-privatelink"

    delete_stack(aws)
    assert not ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [out["VpcId"]]}])["Vpcs"]
    with pytest.raises(ClientError):
        lam.get_function(FunctionName=out["FunctionName"])
    with pytest.raises(ClientError):
        iam.get_role(RoleName=out["FunctionRoleName"])
    assert not logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]


def test_deployed_security_groups_match_the_template(aws):
    out = deploy_stack(aws)
    ec2 = aws("ec2")
    groups = {g["GroupId"]: g for g in ec2.describe_security_groups(
        GroupIds=[out["LambdaSecurityGroupId"], out["EndpointSecurityGroupId"]])["SecurityGroups"]}
    lam, vpce = groups[out["LambdaSecurityGroupId"]], groups[out["EndpointSecurityGroupId"]]

    assert lam["IpPermissions"] == []
    assert [(p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), [r["CidrIp"] for r in p["IpRanges"]])
            for p in lam["IpPermissionsEgress"]] == [("tcp", 443, 443, ["10.0.0.0/16"])]

    assert vpce["Description"] == "Allow TLS for VPC Endpoint"
    assert [(p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), [g["GroupId"] for g in p["UserIdGroupPairs"]],
             p["IpRanges"]) for p in vpce["IpPermissions"]] == [("tcp", 443, 443, [out["LambdaSecurityGroupId"]], [])]
    egress_cidrs = [r["CidrIp"] for p in vpce["IpPermissionsEgress"] for r in p["IpRanges"]]
    assert egress_cidrs == ["127.0.0.1/32"], "CloudFormation adds no allow-all rule when egress is declared"
    delete_stack(aws)


def test_prefixed_stack_is_named_and_tagged_for_its_participant(aws):
    out = deploy_stack(aws, prefix="team-07")
    vpc = aws("ec2").describe_vpcs(VpcIds=[out["VpcId"]])["Vpcs"][0]
    tags = tag_map(vpc["Tags"])
    assert tags["Name"] == "team-07-Bedrock-GenAI-Project-vpc"
    assert tags["participant"] == "team-07" and tags["workshop"] == "bedrock-privatelink"
    assert out["FunctionName"] == "team-07-Bedrock-GenAI-Stack-BedrockTestLambdaFunction"
    delete_stack(aws, prefix="team-07")


def test_bad_prefix_is_rejected_and_creates_nothing(aws):
    cfn, ec2 = aws("cloudformation"), aws("ec2")
    az1, az2 = endpoint_azs(ec2)
    vpcs_before = len(ec2.describe_vpcs()["Vpcs"])
    with pytest.raises(ClientError) as err:
        cfn.create_stack(
            StackName="Bad-Bedrock-GenAI-Stack", TemplateBody=TEMPLATE_PATH.read_text(),
            Parameters=[
                {"ParameterKey": "ParticipantPrefix", "ParameterValue": "Team_07"},
                {"ParameterKey": "AvailabilityZone1", "ParameterValue": az1},
                {"ParameterKey": "AvailabilityZone2", "ParameterValue": az2},
            ],
            Capabilities=["CAPABILITY_IAM"])
    error = err.value.response["Error"]
    assert error["Code"] == "ValidationError"
    # AWS: "Parameter ParticipantPrefix failed to satisfy constraint: <ConstraintDescription>"
    assert re.search(r"Parameter '?ParticipantPrefix'? failed to satisfy constraint", error["Message"]), error
    assert "lowercase letters, digits and hyphens" in error["Message"]
    assert len(ec2.describe_vpcs()["Vpcs"]) == vpcs_before
    stacks = cfn.list_stacks()["StackSummaries"]
    assert not [s for s in stacks if s["StackName"] == "Bad-Bedrock-GenAI-Stack"]
