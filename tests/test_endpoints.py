"""Interface VPC endpoints (sandbox/endpoints.py), driven through boto3 as a user would."""

from __future__ import annotations

import ipaddress
import json

import pytest
from botocore.exceptions import ClientError

from tests.conftest import set_settings, wait_for

REGION = "us-east-1"
RUNTIME = f"com.amazonaws.{REGION}.bedrock-runtime"
FULL_ACCESS = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


def _network(ec2, dns: bool = True, cidr: str = "10.0.0.0/16") -> dict:
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    if dns:
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    base = cidr.split(".")[0] + "." + cidr.split(".")[1]
    subnets = {az: ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
               for i, az in enumerate(["us-east-1a", "us-east-1b", "us-east-1e"], start=1)}
    sg = ec2.create_security_group(VpcId=vpc, GroupName="vpce", Description="Allow TLS for VPC Endpoint")["GroupId"]
    return {"vpc": vpc, "a": subnets["us-east-1a"], "b": subnets["us-east-1b"], "e": subnets["us-east-1e"], "sg": sg}


def _endpoint(ec2, net: dict, **kwargs) -> dict:
    args = {"VpcId": net["vpc"], "ServiceName": RUNTIME, "VpcEndpointType": "Interface",
            "SubnetIds": [net["a"], net["b"]], "SecurityGroupIds": [net["sg"]]}
    args.update(kwargs)
    return ec2.create_vpc_endpoint(**args)["VpcEndpoint"]


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def _message(excinfo) -> str:
    return excinfo.value.response["Error"]["Message"]


def test_services_list_bedrock_with_their_zones(aws):
    """Every Bedrock PrivateLink service of the Bedrock User Guide, Mantle's private DNS name on api.aws."""
    ec2 = aws("ec2")
    names = [f"com.amazonaws.{REGION}.{s}" for s in ("bedrock", "bedrock-runtime", "bedrock-mantle", "bedrock-agent",
                                                      "bedrock-agent-runtime")]
    details = {d["ServiceName"]: d for d in ec2.describe_vpc_endpoint_services(ServiceNames=names)["ServiceDetails"]}
    assert set(details) == set(names)
    assert details[f"com.amazonaws.{REGION}.bedrock-mantle"]["PrivateDnsName"] == f"bedrock-mantle.{REGION}.api.aws"
    for name, d in details.items():
        assert d["ServiceType"] == [{"ServiceType": "Interface"}]
        suffix = name.split(f"{REGION}.")[1]
        domain = "api.aws" if suffix == "bedrock-mantle" else "amazonaws.com"
        assert d["PrivateDnsName"] == f"{suffix}.{REGION}.{domain}"
        # bedrock-mantle: no AWS page found that says it supports endpoint policies (awsfacts.bedrock_endpoints)
        assert d["VpcEndpointPolicySupported"] is (suffix != "bedrock-mantle")
        assert d["AcceptanceRequired"] is False and d["ManagesVpcEndpoints"] is False
    assert "us-east-1e" not in details[RUNTIME]["AvailabilityZones"]
    assert "us-east-1e" in details[f"com.amazonaws.{REGION}.bedrock"]["AvailabilityZones"]
    assert len(details[RUNTIME]["AvailabilityZones"]) >= 2
    # moto's other services stay listed
    all_names = ec2.describe_vpc_endpoint_services()["ServiceNames"]
    assert f"com.amazonaws.{REGION}.s3" in all_names


def test_bedrock_services_are_found_by_a_service_name_filter(aws):
    """Notebook 02 lists Bedrock's PrivateLink services with this call; on AWS it answers the same way."""
    ec2 = aws("ec2")
    found = ec2.describe_vpc_endpoint_services(
        Filters=[{"Name": "service-name", "Values": [f"com.amazonaws.{REGION}.bedrock*"]}])["ServiceDetails"]
    assert {d["ServiceName"].rsplit(".", 1)[1] for d in found} == {
        "bedrock", "bedrock-runtime", "bedrock-mantle", "bedrock-agent", "bedrock-agent-runtime"}


def test_mantle_endpoint_with_private_dns_on_api_aws(aws):
    """CreateVpcEndpoint for bedrock-mantle behaves as for bedrock-runtime; private DNS adds the api.aws name."""
    ec2 = aws("ec2")
    net = _network(ec2)
    runtime = _endpoint(ec2, net)
    mantle = _endpoint(ec2, net, ServiceName=f"com.amazonaws.{REGION}.bedrock-mantle")
    assert mantle["State"] == "available" and mantle["PrivateDnsEnabled"] is True
    names = [e["DnsName"] for e in mantle["DnsEntries"]]
    assert names[0].endswith(f".bedrock-mantle.{REGION}.vpce.amazonaws.com")
    assert names[-1] == f"bedrock-mantle.{REGION}.api.aws"
    assert f"bedrock-runtime.{REGION}.amazonaws.com" in [e["DnsName"] for e in runtime["DnsEntries"]]
    with pytest.raises(ClientError) as exc:  # one private-DNS endpoint per service and VPC, as for any service
        _endpoint(ec2, net, ServiceName=f"com.amazonaws.{REGION}.bedrock-mantle")
    assert _code(exc) == "InvalidParameter" and f"bedrock-mantle.{REGION}.api.aws" in _message(exc)


def test_interface_endpoint_enis_inside_subnets(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    ep = _endpoint(ec2, net)
    assert ep["VpcEndpointType"] == "Interface" and ep["State"] == "available"
    assert len(ep["NetworkInterfaceIds"]) == 2
    enis = ec2.describe_network_interfaces(NetworkInterfaceIds=ep["NetworkInterfaceIds"])["NetworkInterfaces"]
    cidrs = {s["SubnetId"]: s["CidrBlock"] for s in ec2.describe_subnets(SubnetIds=[net["a"], net["b"]])["Subnets"]}
    assert {e["SubnetId"] for e in enis} == {net["a"], net["b"]}
    for eni in enis:
        assert ipaddress.ip_address(eni["PrivateIpAddress"]) in ipaddress.ip_network(cidrs[eni["SubnetId"]])
        assert eni["Description"] == f"VPC Endpoint Interface {ep['VpcEndpointId']}"
        assert eni["InterfaceType"] == "vpc_endpoint"
        assert eni["RequesterManaged"] is True
        assert eni["Status"] == "in-use"
        assert [g["GroupId"] for g in eni["Groups"]] == [net["sg"]]


def test_dns_entries_regional_zonal_and_private(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    ep = _endpoint(ec2, net)  # PrivateDnsEnabled defaults to true in the EC2 API
    assert ep["PrivateDnsEnabled"] is True
    names = [e["DnsName"] for e in ep["DnsEntries"]]
    vpce = ep["VpcEndpointId"]
    assert names[0].startswith(f"{vpce}-") and names[0].endswith(f".bedrock-runtime.{REGION}.vpce.amazonaws.com")
    suffix = names[0].split(".")[0]
    assert names[1] == f"{suffix}-us-east-1a.bedrock-runtime.{REGION}.vpce.amazonaws.com"
    assert names[2] == f"{suffix}-us-east-1b.bedrock-runtime.{REGION}.vpce.amazonaws.com"
    assert names[3] == f"bedrock-runtime.{REGION}.amazonaws.com"
    assert all(e["HostedZoneId"] for e in ep["DnsEntries"])
    assert ep["DnsOptions"] == {"DnsRecordIpType": "ipv4"}


def test_unknown_service_is_rejected(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    with pytest.raises(ClientError) as exc:
        _endpoint(ec2, net, ServiceName=f"com.amazonaws.{REGION}.no-such-service")
    assert _code(exc) == "InvalidServiceName"
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []


def test_subnet_of_another_vpc_is_rejected(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    other = _network(ec2, cidr="10.1.0.0/16")
    with pytest.raises(ClientError) as exc:
        _endpoint(ec2, net, SubnetIds=[net["a"], other["b"]])
    assert _code(exc) == "InvalidParameter"
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []


def test_two_subnets_in_one_zone_are_rejected(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    extra = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.9.0/24", AvailabilityZone="us-east-1a")
    with pytest.raises(ClientError) as exc:
        _endpoint(ec2, net, SubnetIds=[net["a"], extra["Subnet"]["SubnetId"]])
    assert _code(exc) == "DuplicateSubnetsInSameZone"
    assert "Found another VPC endpoint subnet in the availability zone of" in _message(exc)


def test_zone_the_service_does_not_offer_is_rejected(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    with pytest.raises(ClientError) as exc:
        _endpoint(ec2, net, SubnetIds=[net["a"], net["e"]])
    assert _code(exc) == "InvalidParameter"
    assert _message(exc) == (f"The VPC endpoint service {RUNTIME} does not support the availability zone of the "
                             f"subnet: {net['e']}.")
    # the bedrock control-plane service is offered there
    ep = _endpoint(ec2, net, ServiceName=f"com.amazonaws.{REGION}.bedrock", SubnetIds=[net["e"]])
    assert ep["SubnetIds"] == [net["e"]]


def test_security_group_of_another_vpc_is_rejected(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    other = _network(ec2, cidr="10.1.0.0/16")
    with pytest.raises(ClientError) as exc:
        _endpoint(ec2, net, SecurityGroupIds=[other["sg"]])
    assert _code(exc) == "InvalidParameter"
    assert "belong to different networks" in _message(exc)


def test_private_dns_needs_vpc_dns_attributes(aws):
    ec2 = aws("ec2")
    net = _network(ec2, dns=False)
    with pytest.raises(ClientError) as exc:
        _endpoint(ec2, net)
    assert _code(exc) == "InvalidParameter"
    assert _message(exc) == ("Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC "
                             f"attributes set to true for {net['vpc']}")
    ep = _endpoint(ec2, net, PrivateDnsEnabled=False)
    assert ep["PrivateDnsEnabled"] is False
    assert all("vpce.amazonaws.com" in e["DnsName"] for e in ep["DnsEntries"])


def test_one_private_dns_endpoint_per_service_per_vpc(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    _endpoint(ec2, net)
    with pytest.raises(ClientError) as exc:
        _endpoint(ec2, net)
    assert _code(exc) == "InvalidParameter"
    assert _message(exc) == ("private-dns-enabled cannot be set because there is already a conflicting DNS domain "
                             f"for bedrock-runtime.{REGION}.amazonaws.com in the VPC {net['vpc']}")
    second = _endpoint(ec2, net, PrivateDnsEnabled=False)
    assert second["PrivateDnsEnabled"] is False


def test_pending_then_available_after_delay(aws, sandbox):
    ec2 = aws("ec2")
    net = _network(ec2)
    set_settings(sandbox.url, {"timing_scale": 0.02})  # endpoint_pending: 60 s * 0.02 = 1.2 s
    ep = _endpoint(ec2, net)
    assert ep["State"] == "pending"

    def available():
        state = ec2.describe_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])["VpcEndpoints"][0]["State"]
        return state == "available"

    wait_for(available, "the endpoint to become available", 15.0)


def test_delete_goes_deleting_then_gone_and_releases_enis(aws, sandbox):
    ec2 = aws("ec2")
    net = _network(ec2)
    ep = _endpoint(ec2, net)
    set_settings(sandbox.url, {"timing_scale": 0.04})  # endpoint_deleting: 30 s * 0.04 = 1.2 s
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])["Unsuccessful"] == []
    eps = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    assert [e["State"] for e in eps] == ["deleting"]
    with pytest.raises(ClientError) as exc:  # its ENIs still hold the subnet
        ec2.delete_subnet(SubnetId=net["a"])
    assert _code(exc) == "DependencyViolation"
    wait_for(lambda: ec2.describe_vpc_endpoints()["VpcEndpoints"] == [], "the endpoint to be gone", 15.0)
    assert ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])[
        "NetworkInterfaces"] == []
    ec2.delete_subnet(SubnetId=net["a"])


def test_delete_unknown_endpoint_is_unsuccessful(aws):
    ec2 = aws("ec2")
    result = ec2.delete_vpc_endpoints(VpcEndpointIds=["vpce-0123456789abcdef0"])
    assert result["Unsuccessful"][0]["Error"]["Code"] == "InvalidVpcEndpoint.NotFound"
    assert result["Unsuccessful"][0]["ResourceId"] == "vpce-0123456789abcdef0"


def test_modify_policy_replace_reset_and_malformed(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    ep = _endpoint(ec2, net)
    vpce = ep["VpcEndpointId"]
    assert json.loads(ep["PolicyDocument"])["Statement"] == FULL_ACCESS["Statement"]
    narrow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                      "Action": "bedrock:InvokeModel", "Resource": "*"}]}
    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, PolicyDocument=json.dumps(narrow))
    current = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert json.loads(current["PolicyDocument"]) == narrow

    with pytest.raises(ClientError) as exc:
        ec2.modify_vpc_endpoint(VpcEndpointId=vpce, PolicyDocument='{"Statement": [')
    assert _code(exc) == "InvalidPolicyDocument"
    assert _message(exc).startswith("The Policy Document is not valid.")
    with pytest.raises(ClientError) as exc:  # valid JSON, bad grammar: an endpoint policy needs a Principal
        ec2.modify_vpc_endpoint(VpcEndpointId=vpce, PolicyDocument=json.dumps(
            {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    assert _code(exc) == "InvalidPolicyDocument"
    current = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert json.loads(current["PolicyDocument"]) == narrow  # unchanged

    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, ResetPolicy=True)
    current = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert json.loads(current["PolicyDocument"])["Statement"] == FULL_ACCESS["Statement"]


def test_malformed_policy_on_create(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    with pytest.raises(ClientError) as exc:
        _endpoint(ec2, net, PolicyDocument="not json")
    assert _code(exc) == "InvalidPolicyDocument"
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []


def test_modify_private_dns(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    vpce = _endpoint(ec2, net)["VpcEndpointId"]
    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, PrivateDnsEnabled=False)
    ep = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert ep["PrivateDnsEnabled"] is False
    assert f"bedrock-runtime.{REGION}.amazonaws.com" not in [e["DnsName"] for e in ep["DnsEntries"]]
    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, PrivateDnsEnabled=True)
    ep = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert ep["PrivateDnsEnabled"] is True
    assert ep["DnsEntries"][-1]["DnsName"] == f"bedrock-runtime.{REGION}.amazonaws.com"


def test_modify_subnets_and_security_groups(aws):
    ec2 = aws("ec2")
    net = _network(ec2)
    ep = _endpoint(ec2, net, SubnetIds=[net["a"]])
    vpce = ep["VpcEndpointId"]
    extra_sg = ec2.create_security_group(VpcId=net["vpc"], GroupName="extra", Description="extra")["GroupId"]
    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, AddSubnetIds=[net["b"]], AddSecurityGroupIds=[extra_sg],
                            RemoveSecurityGroupIds=[net["sg"]])
    ep = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert ep["SubnetIds"] == [net["a"], net["b"]]
    assert [g["GroupId"] for g in ep["Groups"]] == [extra_sg]
    enis = ec2.describe_network_interfaces(NetworkInterfaceIds=ep["NetworkInterfaceIds"])["NetworkInterfaces"]
    assert {e["SubnetId"] for e in enis} == {net["a"], net["b"]}
    assert all([g["GroupId"] for g in e["Groups"]] == [extra_sg] for e in enis)
    assert any("-us-east-1b." in e["DnsName"] for e in ep["DnsEntries"])

    with pytest.raises(ClientError) as exc:  # a zone the service does not offer
        ec2.modify_vpc_endpoint(VpcEndpointId=vpce, AddSubnetIds=[net["e"]])
    assert _code(exc) == "InvalidParameter"

    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, RemoveSubnetIds=[net["a"]])
    ep = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert ep["SubnetIds"] == [net["b"]] and len(ep["NetworkInterfaceIds"]) == 1
    ec2.delete_subnet(SubnetId=net["a"])  # its ENI was released


def test_endpoint_create_failure_fault(aws, sandbox):
    ec2 = aws("ec2")
    net = _network(ec2)
    set_settings(sandbox.url, {"faults": {"endpoint_create_failure": 1}})
    with pytest.raises(ClientError) as exc:
        _endpoint(ec2, net)
    assert _code(exc) == "VpcEndpointLimitExceeded"
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []
    ep = _endpoint(ec2, net)  # the fault was used up
    assert ep["State"] == "available"


def test_helpers_for_the_network_model(aws):
    from sandbox import endpoints

    ec2 = aws("ec2")
    net = _network(ec2)
    ep_id = _endpoint(ec2, net)["VpcEndpointId"]
    found = endpoints.for_vpc(REGION, net["vpc"])
    assert [ep.id for ep in found] == [ep_id]
    ep = found[0]
    assert endpoints.state(ep) == "available"
    assert endpoints.private_dns_name(ep) == f"bedrock-runtime.{REGION}.amazonaws.com"
    ips = endpoints.eni_ips(REGION, ep)
    assert len(ips) == 2 and all(ipaddress.ip_address(ip) in ipaddress.ip_network("10.0.0.0/16") for ip in ips)
    assert endpoints.for_vpc(REGION, "vpc-00000000000000000") == []


def test_cloudformation_endpoint_private_dns_defaults_to_false(aws):
    cfn, ec2 = aws("cloudformation"), aws("ec2")
    net = _network(ec2)
    template = {"Resources": {"Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
        "VpcId": net["vpc"], "ServiceName": RUNTIME, "VpcEndpointType": "Interface",
        "SubnetIds": [net["a"]], "SecurityGroupIds": [net["sg"]]}}}}
    cfn.create_stack(StackName="ep", TemplateBody=json.dumps(template))
    assert cfn.describe_stacks(StackName="ep")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    ep = ec2.describe_vpc_endpoints()["VpcEndpoints"][0]
    assert ep["PrivateDnsEnabled"] is False
