"""Scenario suite: the sandbox driven through boto3 as a learner would.

Each scenario builds a VPC, subnets, security groups, an endpoint, a role and a function,
invokes the function and reads the outcome. Together they cover the network paths, the
policy elements and operators, the error texts, inference profiles, the end-of-life model,
and DependencyViolation with cleanup order.
"""

from __future__ import annotations

import io
import ipaddress
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from awsfacts.awslambda import VPC_ACCESS_ACTIONS
from tests.conftest import set_settings

PROBE = (Path(__file__).parent / "scenario_functions" / "probe.py").read_text()
PROFILE = "us.amazon.nova-micro-v1:0"
ACCOUNT = "123456789012"
REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
ENI_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "eniperms", "Effect": "Allow",
        "Action": list(VPC_ACCESS_ACTIONS),
        "Resource": "*",
    }],
}
DENIED_NO_IDENTITY = "because no identity-based policy allows the bedrock:InvokeModel action"
DENIED_IDENTITY = "with an explicit deny in an identity-based policy"
DENIED_NO_ENDPOINT = "because no VPC endpoint policy allows the bedrock:InvokeModel action"
DENIED_ENDPOINT = "with an explicit deny in a VPC endpoint policy"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def zip_code(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("probe.py", source)
    return buf.getvalue()


class World:
    """A small workshop-like setup, built step by step through boto3."""

    def __init__(self, aws):
        self.aws = aws
        self.ec2 = aws("ec2")
        self.iam = aws("iam")
        self.lam = aws("lambda")
        self.bedrock = aws("bedrock")
        self.vpc_id = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.ec2.modify_vpc_attribute(VpcId=self.vpc_id, EnableDnsSupport={"Value": True})
        self.ec2.modify_vpc_attribute(VpcId=self.vpc_id, EnableDnsHostnames={"Value": True})
        azs = self.endpoint_azs()
        self.subnets = [
            self.ec2.create_subnet(VpcId=self.vpc_id, CidrBlock=f"10.0.{i + 1}.0/24", AvailabilityZone=az)["Subnet"]
            for i, az in enumerate(azs[:2])
        ]
        self.subnet_ids = [s["SubnetId"] for s in self.subnets]
        self.rt_id = self.ec2.create_route_table(VpcId=self.vpc_id)["RouteTable"]["RouteTableId"]
        for sid in self.subnet_ids:
            self.ec2.associate_route_table(RouteTableId=self.rt_id, SubnetId=sid)
        self.lambda_sg = self.ec2.create_security_group(
            GroupName="lambda-sg", Description="Lambda", VpcId=self.vpc_id)["GroupId"]
        self.endpoint_sg = self.ec2.create_security_group(
            GroupName="endpoint-sg", Description="Allow TLS for VPC Endpoint", VpcId=self.vpc_id)["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=self.endpoint_sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "UserIdGroupPairs": [{"GroupId": self.lambda_sg}]}])
        self.role_name = "probe-role"
        self.role_arn = self.iam.create_role(
            RoleName=self.role_name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        self.function = "probe"
        self.lam.create_function(
            FunctionName=self.function, Runtime="python3.12", Role=self.role_arn, Handler="probe.handler",
            Code={"ZipFile": zip_code(PROBE)}, Timeout=30)
        self.wait_function()
        self.vpce_id = None
        profile = self.bedrock.get_inference_profile(inferenceProfileIdentifier=PROFILE)
        self.profile_arn = profile["inferenceProfileArn"]
        self.model_arns = [m["modelArn"] for m in profile["models"]]
        self.all_arns = [self.profile_arn, *self.model_arns]

    def endpoint_azs(self) -> list[str]:
        services = self.ec2.describe_vpc_endpoint_services(
            ServiceNames=[f"com.amazonaws.{REGION}.bedrock-runtime"])["ServiceDetails"]
        return services[0]["AvailabilityZones"]

    # -- steps
    def identity(self, name: str, policy: str):
        self.iam.put_role_policy(RoleName=self.role_name, PolicyName=name, PolicyDocument=policy)

    def allow_bedrock(self, condition: dict | None = None, resources=None):
        stmt = {"Effect": "Allow", "Action": ["bedrock:InvokeModel"], "Resource": resources or "*"}
        if condition:
            stmt["Condition"] = condition
        self.identity("bedrock", doc(stmt))

    def allow_bedrock_via_endpoint(self):
        self.allow_bedrock({"StringEquals": {"aws:sourceVpce": self.vpce_id}})

    def endpoint(self, private_dns=True, policy: str | None = None, service="bedrock-runtime", wait=True):
        kwargs = {}
        if policy:
            kwargs["PolicyDocument"] = policy
        self.vpce_id = self.ec2.create_vpc_endpoint(
            VpcEndpointType="Interface", VpcId=self.vpc_id, ServiceName=f"com.amazonaws.{REGION}.{service}",
            SubnetIds=self.subnet_ids, SecurityGroupIds=[self.endpoint_sg], PrivateDnsEnabled=private_dns,
            **kwargs)["VpcEndpoint"]["VpcEndpointId"]
        if wait:
            self.wait_endpoint()
        return self.vpce_id

    def wait_endpoint(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ep = self.ec2.describe_vpc_endpoints(VpcEndpointIds=[self.vpce_id])["VpcEndpoints"][0]
            if ep["State"].lower() == "available":
                return ep
            time.sleep(0.05)
        raise AssertionError("endpoint never became available")

    def endpoint_policy(self, *statements):
        self.ec2.modify_vpc_endpoint(VpcEndpointId=self.vpce_id, PolicyDocument=doc(*statements))

    def endpoint_statement(self, effect="Allow", principal=None, resources=None, **extra):
        stmt = {"Effect": effect, "Principal": {"AWS": principal or self.role_arn},
                "Action": ["bedrock:InvokeModel"], "Resource": resources or self.all_arns}
        stmt.update(extra)
        return stmt

    def attach(self):
        self.identity("enivpce-policy", json.dumps(ENI_POLICY))
        self.lam.update_function_configuration(
            FunctionName=self.function, VpcConfig={"SubnetIds": self.subnet_ids, "SecurityGroupIds": [self.lambda_sg]})
        self.wait_function()

    def detach(self):
        self.lam.update_function_configuration(
            FunctionName=self.function, VpcConfig={"SubnetIds": [], "SecurityGroupIds": []})
        self.wait_function()

    def wait_function(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cfg = self.lam.get_function_configuration(FunctionName=self.function)
            if cfg.get("State", "Active") == "Active" and cfg.get("LastUpdateStatus", "Successful") == "Successful":
                return cfg
            time.sleep(0.05)
        raise AssertionError("function update never finished")

    def invoke(self, **event) -> dict:
        event.setdefault("model", PROFILE)
        r = self.lam.invoke(FunctionName=self.function, Payload=json.dumps(event))
        payload = json.loads(r["Payload"].read())
        assert "FunctionError" not in r, payload
        return payload

    def endpoint_ips(self) -> set[str]:
        ep = self.ec2.describe_vpc_endpoints(VpcEndpointIds=[self.vpce_id])["VpcEndpoints"][0]
        enis = self.ec2.describe_network_interfaces(NetworkInterfaceIds=ep["NetworkInterfaceIds"])
        return {e["PrivateIpAddress"] for e in enis["NetworkInterfaces"]}


@pytest.fixture
def world(aws):
    return World(aws)


@pytest.fixture
def ready(world):
    """The workshop's happy path: endpoint with private DNS, function in the VPC, the article's policies."""
    world.endpoint()
    world.endpoint_policy(world.endpoint_statement())
    world.allow_bedrock_via_endpoint()
    world.attach()
    return world


def in_vpc(addresses) -> bool:
    return all(ipaddress.ip_address(a) in ipaddress.ip_network("10.0.0.0/16") for a in addresses)


# ------------------------------------------------------------------ network paths


def test_function_outside_vpc_reaches_public_endpoint(world):
    world.allow_bedrock()
    out = world.invoke()
    assert out["ok"], out
    assert not in_vpc(out["addresses"])


def test_private_dns_endpoint_resolves_to_endpoint_enis(ready):
    out = ready.invoke()
    assert out["ok"], out
    assert set(out["addresses"]) == ready.endpoint_ips()
    assert in_vpc(out["addresses"])


def test_vpc_without_endpoint_or_nat_times_out(world):
    world.allow_bedrock()
    world.attach()
    out = world.invoke()
    assert out["code"] == "ConnectTimeout", out
    assert not in_vpc(out["addresses"])


def test_private_dns_off_resolves_public_and_times_out(world):
    world.endpoint(private_dns=False)
    world.allow_bedrock()
    world.attach()
    out = world.invoke()
    assert out["code"] == "ConnectTimeout", out
    assert not in_vpc(out["addresses"])


def test_vpc_dns_hostnames_off_disables_private_dns(ready):
    ready.ec2.modify_vpc_attribute(VpcId=ready.vpc_id, EnableDnsHostnames={"Value": False})
    out = ready.invoke()
    assert out["code"] == "ConnectTimeout", out


def test_vpc_dns_support_off_breaks_resolution(ready):
    ready.ec2.modify_vpc_attribute(VpcId=ready.vpc_id, EnableDnsSupport={"Value": False})
    out = ready.invoke()
    assert not out.get("ok")
    assert "dns_error" in out


def test_endpoint_sg_without_443_from_lambda_times_out(ready):
    ready.ec2.revoke_security_group_ingress(GroupId=ready.endpoint_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": ready.lambda_sg}]}])
    out = ready.invoke()
    assert out["code"] == "ConnectTimeout", out
    assert in_vpc(out["addresses"]), "the name still resolves privately; only the connection fails"


def test_endpoint_sg_allowing_vpc_cidr_is_enough(ready):
    ready.ec2.revoke_security_group_ingress(GroupId=ready.endpoint_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": ready.lambda_sg}]}])
    ready.ec2.authorize_security_group_ingress(GroupId=ready.endpoint_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    assert ready.invoke()["ok"]


def test_endpoint_sg_allowing_another_port_is_not_enough(ready):
    ready.ec2.revoke_security_group_ingress(GroupId=ready.endpoint_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": ready.lambda_sg}]}])
    ready.ec2.authorize_security_group_ingress(GroupId=ready.endpoint_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": ready.lambda_sg}]}])
    assert ready.invoke()["code"] == "ConnectTimeout"


def test_lambda_sg_without_egress_times_out(ready):
    ready.ec2.revoke_security_group_egress(GroupId=ready.lambda_sg, IpPermissions=[{
        "IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert ready.invoke()["code"] == "ConnectTimeout"


def test_internet_gateway_route_does_not_help_lambda(world):
    igw = world.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    world.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=world.vpc_id)
    world.ec2.create_route(RouteTableId=world.rt_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    world.allow_bedrock()
    world.attach()
    assert world.invoke()["code"] == "ConnectTimeout"


def test_nat_route_reaches_public_endpoint_without_source_vpce(world):
    public = world.ec2.create_subnet(VpcId=world.vpc_id, CidrBlock="10.0.100.0/24")["Subnet"]["SubnetId"]
    eip = world.ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = world.ec2.create_nat_gateway(SubnetId=public, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    world.ec2.create_route(RouteTableId=world.rt_id, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    world.allow_bedrock({"StringEquals": {"aws:sourceVpce": "vpce-0123456789abcdef0"}})
    world.attach()
    out = world.invoke()
    assert out["code"] == "AccessDeniedException", out
    assert DENIED_NO_IDENTITY in out["message"]
    world.allow_bedrock()
    assert world.invoke()["ok"]


def test_pending_endpoint_is_not_used_until_available(world):
    world.allow_bedrock({"StringLike": {"aws:SourceVpce": "vpce-*"}})
    world.attach()
    world.invoke()  # warm the function up, so the next call happens while the endpoint is still pending
    set_settings(_url(world), {"timing_scale": 0.1})
    world.endpoint(wait=False)
    state = world.ec2.describe_vpc_endpoints(VpcEndpointIds=[world.vpce_id])["VpcEndpoints"][0]["State"]
    assert state.lower() == "pending"
    assert world.invoke()["code"] == "ConnectTimeout"
    world.wait_endpoint()
    deadline = time.monotonic() + 10  # the identity policy change propagates too
    while not (out := world.invoke()).get("ok") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert out["ok"], out


def test_endpoint_specific_dns_name_works_without_private_dns(world):
    world.endpoint(private_dns=False)
    world.allow_bedrock_via_endpoint()
    world.attach()
    ep = world.ec2.describe_vpc_endpoints(VpcEndpointIds=[world.vpce_id])["VpcEndpoints"][0]
    regional = ep["DnsEntries"][0]["DnsName"]
    out = world.invoke(host=regional, endpoint_url=f"https://{regional}")
    assert out["ok"], out
    assert set(out["addresses"]) <= world.endpoint_ips()


def test_control_plane_needs_its_own_bedrock_endpoint(ready):
    ready.identity("list", doc({"Effect": "Allow", "Action": "bedrock:ListFoundationModels", "Resource": "*"}))
    out = ready.invoke(service="bedrock")
    assert out["code"] == "ConnectTimeout", "bedrock-runtime's endpoint does not serve the bedrock control plane"
    runtime_vpce = ready.vpce_id
    ready.endpoint(service="bedrock")
    assert ready.invoke(service="bedrock")["ok"]
    ready.vpce_id = runtime_vpce


def _url(world) -> str:
    return world.lam.meta.endpoint_url


# ------------------------------------------------------------------ endpoint policy


def test_default_endpoint_policy_is_full_access(world):
    world.endpoint()
    world.allow_bedrock_via_endpoint()
    world.attach()
    assert world.invoke()["ok"]


def test_endpoint_policy_deny_gives_explicit_deny_message(ready):
    ready.endpoint_policy(ready.endpoint_statement("Deny"))
    out = ready.invoke()
    assert out["code"] == "AccessDeniedException"
    assert out["message"].startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{ready.role_name}/{ready.function} "
                                     "is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:")
    assert out["message"].endswith(DENIED_ENDPOINT)


def test_endpoint_policy_for_another_principal_gives_no_allow(ready):
    ready.endpoint_policy(ready.endpoint_statement(principal=f"arn:aws:iam::{ACCOUNT}:role/someone-else"))
    out = ready.invoke()
    assert out["message"].endswith(DENIED_NO_ENDPOINT), out


def test_endpoint_policy_missing_foundation_model_arn(ready):
    ready.endpoint_policy(ready.endpoint_statement(resources=[ready.profile_arn]))
    out = ready.invoke()
    assert out["message"].endswith(DENIED_NO_ENDPOINT), out
    assert "foundation-model/" in out["message"]


def test_endpoint_policy_missing_profile_arn(ready):
    ready.endpoint_policy(ready.endpoint_statement(resources=ready.model_arns))
    out = ready.invoke()
    assert out["message"].endswith(DENIED_NO_ENDPOINT), out
    assert f"on resource: {ready.profile_arn} " in out["message"]


def test_endpoint_policy_wildcard_region_foundation_models(ready):
    fm = ready.model_arns[0].split("foundation-model/")[1]
    ready.endpoint_policy(ready.endpoint_statement(
        resources=[ready.profile_arn, f"arn:aws:bedrock:*::foundation-model/{fm}"]))
    assert ready.invoke()["ok"]


def test_endpoint_policy_principal_account_id(ready):
    ready.endpoint_policy(ready.endpoint_statement(principal=ACCOUNT))
    assert ready.invoke()["ok"]


def test_endpoint_policy_principal_star_with_principal_arn_condition(ready):
    stmt = ready.endpoint_statement(Condition={"ArnEquals": {"aws:PrincipalArn": ready.role_arn}})
    stmt["Principal"] = "*"
    ready.endpoint_policy(stmt)
    assert ready.invoke()["ok"]
    stmt["Condition"] = {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/other"}}
    ready.endpoint_policy(stmt)
    assert ready.invoke()["message"].endswith(DENIED_NO_ENDPOINT)


def test_endpoint_policy_session_arn_principal(ready):
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ready.role_name}/{ready.function}"
    ready.endpoint_policy(ready.endpoint_statement(principal=session))
    assert ready.invoke()["ok"]


def test_endpoint_policy_not_action(ready):
    stmt = ready.endpoint_statement()
    del stmt["Action"]
    stmt["NotAction"] = ["bedrock:InvokeModel"]
    ready.endpoint_policy(stmt)
    assert ready.invoke()["message"].endswith(DENIED_NO_ENDPOINT)


def test_endpoint_policy_reset_restores_full_access(ready):
    ready.endpoint_policy(ready.endpoint_statement("Deny"))
    ready.ec2.modify_vpc_endpoint(VpcEndpointId=ready.vpce_id, ResetPolicy=True)
    assert ready.invoke()["ok"]


def test_malformed_endpoint_policy_is_rejected_and_changes_nothing(ready):
    with pytest.raises(ClientError) as err:
        ready.ec2.modify_vpc_endpoint(VpcEndpointId=ready.vpce_id, PolicyDocument='{"Statement": [')
    assert err.value.response["Error"]["Code"] in {"InvalidPolicyDocument", "MalformedPolicyDocument",
                                                   "InvalidParameter"}
    assert ready.invoke()["ok"]


def test_invoke_model_authorizes_as_invoke_model(ready):
    assert ready.invoke(api="invoke_model")["ok"]
    ready.endpoint_policy(ready.endpoint_statement("Deny"))
    assert ready.invoke(api="invoke_model")["message"].endswith(DENIED_ENDPOINT)


def test_policy_change_propagates_after_delay(ready):
    assert ready.invoke()["ok"]  # warm the function up, so the next call is quick
    set_settings(_url(ready), {"policy_propagation_seconds": 3.0})
    ready.endpoint_policy(ready.endpoint_statement("Deny"))
    assert ready.invoke()["ok"], "the old policy is still in force while the change propagates"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        out = ready.invoke()
        if not out.get("ok"):
            break
        time.sleep(0.1)
    assert out["message"].endswith(DENIED_ENDPOINT)


# ------------------------------------------------------------------ identity policy


def test_source_vpce_condition_denies_outside_the_vpc(world):
    world.endpoint()
    world.allow_bedrock_via_endpoint()
    out = world.invoke()
    assert out["code"] == "AccessDeniedException"
    assert out["message"].endswith(DENIED_NO_IDENTITY)


def test_wrong_vpce_in_identity_condition(ready):
    ready.allow_bedrock({"StringEquals": {"aws:sourceVpce": "vpce-0aaaaaaaaaaaaaaaa"}})
    assert ready.invoke()["message"].endswith(DENIED_NO_IDENTITY)


def test_identity_explicit_deny(ready):
    ready.identity("deny", doc({"Effect": "Deny", "Action": "bedrock:*", "Resource": "*"}))
    assert ready.invoke()["message"].endswith(DENIED_IDENTITY)


def test_no_identity_policy_at_all(world):
    world.endpoint()
    world.attach()
    assert world.invoke()["message"].endswith(DENIED_NO_IDENTITY)


def test_identity_not_resource(ready):
    ready.identity("bedrock", doc({"Effect": "Allow", "Action": "bedrock:InvokeModel",
                                   "NotResource": "arn:aws:bedrock:*::foundation-model/anthropic.*"}))
    assert ready.invoke()["ok"]
    ready.identity("bedrock", doc({"Effect": "Allow", "Action": "bedrock:InvokeModel",
                                   "NotResource": "arn:aws:bedrock:*::foundation-model/amazon.*"}))
    assert ready.invoke()["message"].endswith(DENIED_NO_IDENTITY)


def test_identity_case_insensitive_action_and_key(ready):
    ready.identity("bedrock", doc({"Effect": "Allow", "Action": "Bedrock:invokemodel", "Resource": "*",
                                   "Condition": {"StringEquals": {"AWS:SOURCEVPCE": ready.vpce_id}}}))
    assert ready.invoke()["ok"]


def test_identity_string_like_wildcard_vpce(ready):
    ready.allow_bedrock({"StringLike": {"aws:SourceVpce": "vpce-*"}})
    assert ready.invoke()["ok"]


def test_identity_null_condition_requires_endpoint(world):
    world.allow_bedrock({"Null": {"aws:SourceVpce": "false"}})
    assert world.invoke()["message"].endswith(DENIED_NO_IDENTITY)


def test_identity_source_vpc_condition(ready):
    ready.allow_bedrock({"StringEquals": {"aws:SourceVpc": ready.vpc_id}})
    assert ready.invoke()["ok"]


def test_identity_vpc_source_ip_condition(ready):
    ready.allow_bedrock({"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/16"}})
    assert ready.invoke()["ok"]
    ready.allow_bedrock({"IpAddress": {"aws:VpcSourceIp": "192.168.0.0/16"}})
    assert ready.invoke()["message"].endswith(DENIED_NO_IDENTITY)


def test_identity_secure_transport_bool(ready):
    ready.allow_bedrock({"Bool": {"aws:SecureTransport": "true"}})
    assert ready.invoke()["ok"]


def test_identity_date_condition(ready):
    ready.allow_bedrock({"DateLessThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}})
    assert ready.invoke()["ok"]
    ready.allow_bedrock({"DateLessThan": {"aws:CurrentTime": "2001-01-01T00:00:00Z"}})
    assert ready.invoke()["message"].endswith(DENIED_NO_IDENTITY)


def test_identity_numeric_condition(ready):
    ready.allow_bedrock({"NumericGreaterThan": {"aws:EpochTime": "1000"}})
    assert ready.invoke()["ok"]


def test_identity_requested_region(ready):
    ready.allow_bedrock({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    assert ready.invoke()["message"].endswith(DENIED_NO_IDENTITY)


def test_identity_if_exists_on_absent_key(world):
    world.allow_bedrock({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-0aaaaaaaaaaaaaaaa"}})
    assert world.invoke()["ok"], "outside a VPC the key is absent, so ...IfExists matches"


def test_identity_for_all_values_on_absent_key(world):
    world.allow_bedrock({"ForAllValues:StringEquals": {"aws:SourceVpce": ["vpce-0aaaaaaaaaaaaaaaa"]}})
    assert world.invoke()["ok"], "ForAllValues with an absent key evaluates to true"


def test_identity_resource_limited_to_model_arns(ready):
    ready.allow_bedrock({"StringEquals": {"aws:SourceVpce": ready.vpce_id}}, resources=ready.all_arns)
    assert ready.invoke()["ok"]
    ready.allow_bedrock({"StringEquals": {"aws:SourceVpce": ready.vpce_id}}, resources=[ready.profile_arn])
    assert ready.invoke()["message"].endswith(DENIED_NO_IDENTITY)


def test_customer_managed_policy_attached(world):
    arn = world.iam.create_policy(PolicyName="bedrock-invoke", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}))["Policy"]["Arn"]
    world.iam.attach_role_policy(RoleName=world.role_name, PolicyArn=arn)
    assert world.invoke()["ok"]
    world.iam.detach_role_policy(RoleName=world.role_name, PolicyArn=arn)
    assert world.invoke()["message"].endswith(DENIED_NO_IDENTITY)


def test_unsupported_condition_operator_never_allows(world):
    try:
        world.allow_bedrock({"StringFuzzyMatch": {"aws:SourceVpce": "vpce-*"}})
    except ClientError as err:
        assert err.response["Error"]["Code"] == "MalformedPolicyDocument"
        return
    out = world.invoke()
    assert not out.get("ok"), out


# ------------------------------------------------------------------ models


def test_end_of_life_model(ready):
    out = ready.invoke(model="anthropic.claude-instant-v1")
    assert out["code"] == "ResourceNotFoundException"
    assert "end of its life" in out["message"]


def test_unknown_model_is_a_validation_error(world):
    world.allow_bedrock()
    out = world.invoke(model="amazon.not-a-model-v9:0")
    assert out["code"] == "ValidationException", out


def test_direct_caller_gets_a_reply(aws):
    reply = aws("bedrock-runtime").converse(modelId=PROFILE, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    assert reply["usage"]["inputTokens"] > 0
    assert reply["output"]["message"]["content"][0]["text"]


# ------------------------------------------------------------------ Lambda VPC rules, dependencies, cleanup


def test_vpc_attach_needs_eni_permissions(world):
    with pytest.raises(ClientError) as err:
        world.lam.update_function_configuration(
            FunctionName=world.function,
            VpcConfig={"SubnetIds": world.subnet_ids, "SecurityGroupIds": [world.lambda_sg]})
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "CreateNetworkInterface" in err.value.response["Error"]["Message"]


def test_lambda_enis_appear_and_hold_subnets(ready):
    enis = ready.ec2.describe_network_interfaces(
        Filters=[{"Name": "description", "Values": [f"AWS Lambda VPC ENI-{ready.function}*"]}])["NetworkInterfaces"]
    assert enis and {e["SubnetId"] for e in enis} <= set(ready.subnet_ids)
    with pytest.raises(ClientError) as err:
        ready.ec2.delete_security_group(GroupId=ready.lambda_sg)
    assert err.value.response["Error"]["Code"] == "DependencyViolation"


def test_cleanup_in_order_leaves_nothing(ready):
    ready.ec2.delete_vpc_endpoints(VpcEndpointIds=[ready.vpce_id])
    ready.detach()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        left = ready.ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [ready.vpc_id]}])
        if not left["NetworkInterfaces"]:
            break
        time.sleep(0.05)
    assert not left["NetworkInterfaces"]
    ready.lam.delete_function(FunctionName=ready.function)
    for sg in (ready.endpoint_sg, ready.lambda_sg):
        ready.ec2.delete_security_group(GroupId=sg)
    for sid in ready.subnet_ids:  # deleting a subnet also removes its route table association
        ready.ec2.delete_subnet(SubnetId=sid)
    ready.ec2.delete_route_table(RouteTableId=ready.rt_id)
    ready.ec2.delete_vpc(VpcId=ready.vpc_id)


def test_vpc_with_endpoint_cannot_be_deleted(ready):
    with pytest.raises(ClientError) as err:
        ready.ec2.delete_vpc(VpcId=ready.vpc_id)
    assert err.value.response["Error"]["Code"] == "DependencyViolation"


# ------------------------------------------------------------------ evidence


def test_cloudtrail_event_carries_vpc_endpoint_id(ready):
    assert ready.invoke()["ok"]
    events = ready.aws("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Converse"}])["Events"]
    detail = json.loads(events[0]["CloudTrailEvent"])
    assert detail["vpcEndpointId"] == ready.vpce_id
    assert in_vpc([detail["sourceIPAddress"]])


def test_aws_cli_describes_endpoints(ready):
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", _url(ready), "--region", REGION, "--output", "json",
         "ec2", "describe-vpc-endpoints"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert ready.vpce_id in out.stdout


# ------------------------------------------------------------------ permissions boundary on the function's role
# IAM User Guide, "Permissions boundaries for IAM entities": the role's effective permissions are the
# intersection of its identity-based policies and its boundary. "Troubleshoot access denied error messages"
# gives the two denials below. SimulatePrincipalPolicy reports the boundary's part in
# EvaluationResults[].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary (IAM API reference).

DENIED_NO_BOUNDARY = "because no permissions boundary allows the bedrock:InvokeModel action"
DENIED_BOUNDARY = "with an explicit deny in a permissions boundary"


def _boundary(world, name: str, *statements) -> str:
    arn = world.iam.create_policy(PolicyName=name, PolicyDocument=doc(*statements))["Policy"]["Arn"]
    world.iam.put_role_permissions_boundary(RoleName=world.role_name, PermissionsBoundary=arn)
    return arn


def _simulated(world, vpce: str | None) -> dict:
    entries = ([{"ContextKeyName": "aws:SourceVpce", "ContextKeyValues": [vpce], "ContextKeyType": "string"},
                {"ContextKeyName": "aws:SourceVpc", "ContextKeyValues": [world.vpc_id], "ContextKeyType": "string"}]
               if vpce else [])
    result = world.iam.simulate_principal_policy(
        PolicySourceArn=world.role_arn, ActionNames=["bedrock:InvokeModel"], ResourceArns=[world.profile_arn],
        ContextEntries=entries)
    return result["EvaluationResults"][0]


ENI_ACTIONS = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface"]


def test_boundary_without_bedrock_denies_the_functions_call(ready):
    _boundary(ready, "NoBedrockBoundary", {"Effect": "Allow", "Action": ["logs:*", *ENI_ACTIONS], "Resource": "*"})
    out = ready.invoke()
    assert out["code"] == "AccessDeniedException"
    assert out["message"] == (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{ready.role_name}/{ready.function} is not "
                              f"authorized to perform: bedrock:InvokeModel on resource: {ready.profile_arn} "
                              + DENIED_NO_BOUNDARY)
    sim = _simulated(ready, ready.vpce_id)
    assert sim["EvalDecision"] == "implicitDeny"
    assert sim["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_boundary_with_explicit_deny_denies_the_functions_call(ready):
    _boundary(ready, "DenyInvokeBoundary", {"Effect": "Allow", "Action": "*", "Resource": "*"},
              {"Effect": "Deny", "Action": "bedrock:InvokeModel", "Resource": "*"})
    out = ready.invoke()
    assert out["code"] == "AccessDeniedException"
    assert out["message"].endswith(f"on resource: {ready.profile_arn} {DENIED_BOUNDARY}"), out
    sim = _simulated(ready, ready.vpce_id)
    assert sim["EvalDecision"] == "explicitDeny"
    assert sim["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_boundary_that_allows_bedrock_changes_nothing_and_can_be_removed(ready):
    _boundary(ready, "BedrockBoundary", {"Effect": "Allow", "Action": ["bedrock:*", *ENI_ACTIONS], "Resource": "*"})
    assert ready.invoke()["ok"]
    sim = _simulated(ready, ready.vpce_id)
    assert sim["EvalDecision"] == "allowed"
    assert sim["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    # Outside the endpoint the identity policy's aws:sourceVpce condition still decides: the boundary grants nothing.
    assert _simulated(ready, None)["EvalDecision"] == "implicitDeny"
    _boundary(ready, "NoBedrockBoundary", {"Effect": "Allow", "Action": "logs:*", "Resource": "*"})
    assert ready.invoke()["message"].endswith(DENIED_NO_BOUNDARY)
    ready.iam.delete_role_permissions_boundary(RoleName=ready.role_name)
    assert ready.invoke()["ok"]
    assert "PermissionsBoundaryDecisionDetail" not in _simulated(ready, ready.vpce_id)


def test_boundary_without_eni_permissions_blocks_the_vpc_attachment(world):
    _boundary(world, "NoEniBoundary", {"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"})
    with pytest.raises(ClientError) as info:
        world.attach()
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "does not have permissions to call CreateNetworkInterface on EC2" in info.value.response["Error"]["Message"]
