"""Lambda VpcConfig in the sandbox: Lambda's permission check, validation, states and hyperplane ENIs."""

from __future__ import annotations

import ipaddress
import time

import pytest
from botocore.exceptions import ClientError

from sandbox import lambda_service
from tests.conftest import set_settings
from tests.test_lambda_runtime import ENIVPCE_POLICY, PROBE, REGION, call, deploy, make_role  # noqa: F401

DENIED = "The provided execution role does not have permissions to call CreateNetworkInterface on EC2"


@pytest.fixture
def net(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    azs = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i + 1}.0/24", AvailabilityZone=az)["Subnet"]
               for i, az in enumerate(azs)]
    sg = ec2.create_security_group(GroupName="lambda-sg", Description="Lambda", VpcId=vpc)["GroupId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    other_sg = ec2.create_security_group(GroupName="other", Description="other", VpcId=other_vpc)["GroupId"]
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    return {"ec2": ec2, "vpc": vpc, "subnets": subnets, "subnet_ids": [s["SubnetId"] for s in subnets], "sg": sg,
            "other_vpc": other_vpc, "other_sg": other_sg, "other_subnet": other_subnet}


def lambda_enis(ec2) -> list[dict]:
    return [e for e in ec2.describe_network_interfaces()["NetworkInterfaces"]
            if e.get("Description", "").startswith("AWS Lambda VPC ENI-")]


def attach(aws, net, name: str = "probe", subnets=None, groups=None):
    return aws("lambda").update_function_configuration(FunctionName=name, VpcConfig={
        "SubnetIds": net["subnet_ids"] if subnets is None else subnets,
        "SecurityGroupIds": [net["sg"]] if groups is None else groups,
    })


def wait_until(predicate, what: str, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    delay = 0.1
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def test_attach_denied_without_eni_permissions(aws, net):
    deploy(aws)
    with pytest.raises(ClientError) as err:
        attach(aws, net)
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == DENIED
    config = aws("lambda").get_function_configuration(FunctionName="probe")
    assert not config.get("VpcConfig", {}).get("SubnetIds")  # nothing changed
    assert config["LastUpdateStatus"] == "Successful"
    assert lambda_enis(net["ec2"]) == []


def test_create_in_vpc_denied_without_eni_permissions(aws, net):
    with pytest.raises(ClientError) as err:
        deploy(aws, VpcConfig={"SubnetIds": net["subnet_ids"], "SecurityGroupIds": [net["sg"]]})
    assert err.value.response["Error"]["Message"] == DENIED
    with pytest.raises(ClientError) as err:
        aws("lambda").get_function(FunctionName="probe")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_attach_with_enivpce_policy_creates_lambda_enis(aws, net):
    role = make_role(aws, eni_policy=True)
    deploy(aws, role=role)
    config = attach(aws, net)
    assert config["VpcConfig"]["VpcId"] == net["vpc"]
    assert sorted(config["VpcConfig"]["SubnetIds"]) == sorted(net["subnet_ids"])
    assert config["VpcConfig"]["SecurityGroupIds"] == [net["sg"]]
    enis = lambda_enis(net["ec2"])
    assert len(enis) == 2
    cidrs = {s["SubnetId"]: s["CidrBlock"] for s in net["subnets"]}
    for eni in enis:
        assert eni["Description"].startswith("AWS Lambda VPC ENI-probe-")
        assert eni["InterfaceType"] == "lambda"
        assert eni["RequesterManaged"] is True
        assert eni["Status"] == "in-use"
        assert eni["VpcId"] == net["vpc"]
        assert [g["GroupId"] for g in eni["Groups"]] == [net["sg"]]
        network = ipaddress.ip_network(cidrs[eni["SubnetId"]])
        address = ipaddress.ip_address(eni["PrivateIpAddress"])
        assert address in network and int(address) - int(network.network_address) >= 4
    attachment = lambda_service.vpc_attachment(REGION, "probe")
    assert attachment == {
        "vpc_id": net["vpc"], "subnet_ids": net["subnet_ids"], "security_group_ids": [net["sg"]],
        "eni_ids": {e["SubnetId"]: e["NetworkInterfaceId"] for e in enis},
    }
    # The update's own answer says InProgress, as on AWS; at timing_scale 0 the next read says Successful.
    assert config["LastUpdateStatus"] == "InProgress"
    assert aws("lambda").get_function_configuration(FunctionName="probe")["LastUpdateStatus"] == "Successful"


def test_enis_hold_subnets_and_groups_until_detached(aws, net):
    deploy(aws, role=make_role(aws, eni_policy=True))
    attach(aws, net)
    ec2 = net["ec2"]
    with pytest.raises(ClientError) as err:
        ec2.delete_subnet(SubnetId=net["subnet_ids"][0])
    assert err.value.response["Error"]["Code"] == "DependencyViolation"
    aws("lambda").get_waiter("function_updated_v2").wait(FunctionName="probe")  # one update at a time, as on AWS
    config = attach(aws, net, subnets=[], groups=[])
    assert config["VpcConfig"]["SubnetIds"] == [] and config["VpcConfig"]["VpcId"] == ""
    assert lambda_service.vpc_attachment(REGION, "probe") is None
    assert lambda_enis(ec2) == []
    ec2.delete_subnet(SubnetId=net["subnet_ids"][0])
    ec2.delete_security_group(GroupId=net["sg"])


def test_enis_are_released_after_the_release_delay(aws, net, sandbox):
    deploy(aws, role=make_role(aws, eni_policy=True))
    # lambda_update 1 s; the ENI release (20 minutes at scale 1) set to 3 s
    set_settings(sandbox.url, {"timing_scale": 0.1, "faults": {"slow_eni_release": 3}})
    config = attach(aws, net)
    assert config["LastUpdateStatus"] == "InProgress"
    assert lambda_service.vpc_attachment(REGION, "probe") is None  # still the old (no VPC) configuration
    lam = aws("lambda")
    lam.get_waiter("function_updated_v2").wait(FunctionName="probe", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    assert lambda_service.vpc_attachment(REGION, "probe")["vpc_id"] == net["vpc"]
    lam.delete_function(FunctionName="probe")
    ec2 = net["ec2"]
    assert len(lambda_enis(ec2)) == 2  # AWS keeps them for a while after the function is gone
    wait_until(lambda: lambda_enis(ec2) == [], "Lambda ENIs to be released")
    ec2.delete_subnet(SubnetId=net["subnet_ids"][0])


def test_functions_share_enis_per_subnet_and_group_set(aws, net):
    role = make_role(aws, eni_policy=True)
    deploy(aws, "one", role=role)
    deploy(aws, "two", role=role)
    attach(aws, net, "one")
    attach(aws, net, "two")
    assert len(lambda_enis(net["ec2"])) == 2
    aws("lambda").delete_function(FunctionName="one")
    assert len(lambda_enis(net["ec2"])) == 2  # still used by "two"
    aws("lambda").delete_function(FunctionName="two")
    assert lambda_enis(net["ec2"]) == []


def test_create_with_vpc_goes_pending_then_active(aws, net, sandbox):
    role = make_role(aws, eni_policy=True)
    set_settings(sandbox.url, {"timing_scale": 0.1})
    created = deploy(aws, role=role, VpcConfig={"SubnetIds": net["subnet_ids"], "SecurityGroupIds": [net["sg"]]})
    assert created["State"] == "Pending"
    assert created["VpcConfig"]["VpcId"] == net["vpc"]
    assert len(lambda_enis(net["ec2"])) == 2
    lam = aws("lambda")
    lam.get_waiter("function_active_v2").wait(FunctionName="probe", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    assert lam.get_function(FunctionName="probe")["Configuration"]["State"] == "Active"


@pytest.mark.parametrize("vpc_config,message", [
    ({"SubnetIds": ["subnet-0000000000000000f"], "SecurityGroupIds": ["SG"]},
     "Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. EC2 Error Message: "
     "The subnet ID 'subnet-0000000000000000f' does not exist"),
    ({"SubnetIds": ["SUBNET"], "SecurityGroupIds": ["sg-0000000000000000f"]},
     "Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. EC2 Error Message: "
     "The security group 'sg-0000000000000000f' does not exist"),
    ({"SubnetIds": ["SUBNET"], "SecurityGroupIds": ["OTHER_SG"]},
     "Security Groups are required to be in the same VPC."),
    ({"SubnetIds": ["SUBNET", "OTHER_SUBNET"], "SecurityGroupIds": ["SG"]},
     "Subnets are required to be in the same VPC."),
    ({"SubnetIds": ["SUBNET"], "SecurityGroupIds": []},
     "SubnetIds and SecurityIds must coexist or be both empty list."),
])
def test_vpc_config_validation(aws, net, vpc_config, message):
    deploy(aws, role=make_role(aws, eni_policy=True))
    names = {"SUBNET": net["subnet_ids"][0], "OTHER_SUBNET": net["other_subnet"], "SG": net["sg"],
             "OTHER_SG": net["other_sg"]}
    config = {k: [names.get(v, v) for v in values] for k, values in vpc_config.items()}
    with pytest.raises(ClientError) as err:
        aws("lambda").update_function_configuration(FunctionName="probe", VpcConfig=config)
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == message
    assert lambda_enis(net["ec2"]) == []


def test_function_in_vpc_without_endpoint_or_nat_times_out(aws, net):
    deploy(aws, role=make_role(aws, eni_policy=True))
    attach(aws, net)
    response, out = call(aws, event={"action": "whoami", "attempts": 1})
    assert response["FunctionError"] == "Unhandled"
    assert out["errorType"] == "ConnectTimeoutError"
    out = call(aws, event={"action": "resolve", "host": f"sts.{REGION}.amazonaws.com"})[1]
    assert out["addresses"]  # the name resolves (to public addresses); the connection is what fails


def test_attach_needs_every_action_of_the_developer_guide(aws, net):
    """Lambda's check asks for each EC2 action of awsfacts.awslambda.VPC_ACCESS_ACTIONS and names the one missing.

    The article's enivpce-policy (three ENI actions and ec2:*VpcEndpoint*) lacks ec2:DescribeSubnets and the two
    IP-address actions: the check names the first of them, and the wildcard on endpoint actions does not help.
    """
    import json

    from awsfacts.awslambda import VPC_ACCESS_ACTIONS

    iam = aws("iam")
    role = make_role(aws)
    deploy(aws, role=role)
    for missing in VPC_ACCESS_ACTIONS:
        granted = [a for a in VPC_ACCESS_ACTIONS if a != missing]
        iam.put_role_policy(RoleName="fn-role", PolicyName="enivpce-policy", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": granted, "Resource": "*"}]}))
        with pytest.raises(ClientError) as err:
            attach(aws, net)
        assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert err.value.response["Error"]["Message"] == (
            f"The provided execution role does not have permissions to call {missing.split(':')[1]} on EC2")
    article = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
               "ec2:*VpcEndpoint*"]
    iam.put_role_policy(RoleName="fn-role", PolicyName="enivpce-policy", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": article, "Resource": "*"}]}))
    with pytest.raises(ClientError) as err:
        attach(aws, net)
    assert err.value.response["Error"]["Message"].endswith("to call DescribeSubnets on EC2")
    assert lambda_enis(net["ec2"]) == []
    assert lambda_service.ENI_ACTIONS == VPC_ACCESS_ACTIONS
