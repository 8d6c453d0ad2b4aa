"""The sandbox's Route 53 Resolver against AWS's recorded answers (issue 17).

Oracle: LocalStack's AWS-validated snapshot tests/aws/services/route53resolver/test_route53resolver.snapshot.json
(repository localstack/localstack; recorded against AWS on 2023-09-08). Each case quotes the recorded value it checks.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import set_settings

SNAPSHOT = "localstack/localstack tests/aws/services/route53resolver/test_route53resolver.snapshot.json"


def _network(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")[
        "Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    sg = ec2.create_security_group(GroupName="r", Description="r", VpcId=vpc)["GroupId"]
    return vpc, subnets, sg


def _endpoint(rr, direction, subnets, sg, name):
    return rr.create_resolver_endpoint(CreatorRequestId=name, Name=name, Direction=direction, SecurityGroupIds=[sg],
                                       IpAddresses=[{"SubnetId": s} for s in subnets])["ResolverEndpoint"]


def test_endpoint_life_cycle_as_recorded(aws, sandbox):
    """test_create_resolver_endpoint[INBOUND-5]: "Status": "CREATING", "IpAddressCount": 2;
    test_delete_resolver_endpoint: the DeleteResolverEndpoint answer has "Status": "DELETING"."""
    ec2, rr = aws("ec2"), aws("route53resolver")
    _vpc, subnets, sg = _network(ec2)
    set_settings(sandbox.url, {"timing_scale": 0.01})
    try:
        created = _endpoint(rr, "INBOUND", subnets, sg, "in")
        assert created["Status"] == "CREATING" and created["IpAddressCount"] == 2
        deleted = rr.delete_resolver_endpoint(ResolverEndpointId=created["Id"])["ResolverEndpoint"]
        assert deleted["Status"] == "DELETING"
    finally:
        set_settings(sandbox.url, {"timing_scale": 0})


def test_rules_as_recorded(aws):
    """test_create_resolver_rule: "DomainName": "www.example1.com.", "RuleType": "FORWARD", "Status": "COMPLETE";
    its DeleteResolverRule answer "Status": "DELETING"; test_associate_and_disassociate_resolver_rule: association
    "Status": "COMPLETE", disassociation "Status": "DELETING"; test_create_resolver_rule_with_invalid_direction:
    InvalidRequestException "[RSLVR-00700] Resolver rules can only be associated to OUTBOUND resolver endpoints."."""
    ec2, rr = aws("ec2"), aws("route53resolver")
    vpc, subnets, sg = _network(ec2)
    outbound = _endpoint(rr, "OUTBOUND", subnets, sg, "out")
    inbound = _endpoint(rr, "INBOUND", subnets, sg, "in")
    with pytest.raises(ClientError) as err:
        rr.create_resolver_rule(CreatorRequestId="bad", RuleType="FORWARD", DomainName="www.example1.com",
                                TargetIps=[{"Ip": "10.0.1.200", "Port": 123}], ResolverEndpointId=inbound["Id"])
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    assert err.value.response["Error"]["Message"] == (
        "[RSLVR-00700] Resolver rules can only be associated to OUTBOUND resolver endpoints.")
    rule = rr.create_resolver_rule(CreatorRequestId="ok", RuleType="FORWARD", DomainName="www.example1.com",
                                   TargetIps=[{"Ip": "10.0.1.200", "Port": 123}],
                                   ResolverEndpointId=outbound["Id"])["ResolverRule"]
    assert (rule["DomainName"], rule["RuleType"], rule["Status"]) == ("www.example1.com.", "FORWARD", "COMPLETE")
    association = rr.associate_resolver_rule(ResolverRuleId=rule["Id"], VPCId=vpc,
                                             Name="test-associate-resolver-rule")["ResolverRuleAssociation"]
    assert association["Status"] == "COMPLETE"
    gone = rr.disassociate_resolver_rule(ResolverRuleId=rule["Id"], VPCId=vpc)["ResolverRuleAssociation"]
    assert gone["Status"] == "DELETING"
    assert rr.delete_resolver_rule(ResolverRuleId=rule["Id"])["ResolverRule"]["Status"] == "DELETING"


def test_missing_rule_as_recorded(aws):
    """test_delete_non_existent_resolver_rule: ResourceNotFoundException
    "[RSLVR-00703] Resolver rule with ID \\"id-123\\" does not exist."."""
    with pytest.raises(ClientError) as err:
        aws("route53resolver").delete_resolver_rule(ResolverRuleId="id-123")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["Error"]["Message"] == '[RSLVR-00703] Resolver rule with ID "id-123" does not exist.'


def test_missing_rule_get_keeps_moto_message(aws):
    """GetResolverRule of an unknown rule: no AWS recording or page gives AWS's wording, so the sandbox leaves moto's
    answer (ResourceNotFoundException) and does not borrow DeleteResolverRule's recorded "[RSLVR-00703] ..." text."""
    with pytest.raises(ClientError) as err:
        aws("route53resolver").get_resolver_rule(ResolverRuleId="rslvr-rr-0123456789abcdef0")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert not err.value.response["Error"]["Message"].startswith("[RSLVR-")
