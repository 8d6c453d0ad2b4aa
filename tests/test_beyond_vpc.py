"""Issue 17, notebook 06 (beyond one VPC): the sandbox's Transit Gateway and Route 53 Resolver models, the corporate
template, the cost figures, and notebook 07 from partial states of 06."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml
from botocore.exceptions import ClientError

from tests.conftest import set_settings

ROOT = Path(__file__).resolve().parents[1]
NB06 = ROOT / "notebooks" / "06_beyond_the_vpc.ipynb"


# ---------------------------------------------------------------- two VPCs, a Transit Gateway


def _two_vpcs(ec2):
    """Workshop-like 10.0.0.0/16 and corporate-like 172.16.0.0/16, one subnet each in us-east-1a, own route tables."""
    made = {}
    for name, cidr, sub in (("work", "10.0.0.0/16", "10.0.1.0/24"), ("corp", "172.16.0.0/16", "172.16.1.0/24")):
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=sub, AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        made[name] = {"vpc": vpc, "subnet": subnet, "table": table, "cidr": cidr}
    return made


def _connect(ec2, made):
    tgw = ec2.create_transit_gateway(Options={"DefaultRouteTablePropagation": "disable"})["TransitGateway"]
    table = tgw["Options"]["AssociationDefaultRouteTableId"]
    atts = {k: ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw["TransitGatewayId"], VpcId=v["vpc"], SubnetIds=[v["subnet"]]
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"] for k, v in made.items()}
    return tgw["TransitGatewayId"], table, atts


def _path(aws_region, made, src, dst_ip):
    from sandbox import backends, transit

    ec2 = backends.ec2(aws_region)
    subnet = ec2.get_subnet(made[src]["subnet"])
    return transit.path(aws_region, subnet, "172.16.1.10" if src == "corp" else "10.0.1.10", dst_ip)


def test_traffic_between_vpcs_needs_every_route_both_ways(aws):
    ec2 = aws("ec2")
    made = _two_vpcs(ec2)
    tgw, table, atts = _connect(ec2, made)
    assert not _path("us-east-1", made, "corp", "10.0.1.50")["ok"]  # no VPC route yet
    ec2.create_route(RouteTableId=made["corp"]["table"], DestinationCidrBlock="10.0.0.0/16", TransitGatewayId=tgw)
    result = _path("us-east-1", made, "corp", "10.0.1.50")
    assert not result["ok"] and result["missing"]["missing"] == "tgw-route"
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=table, DestinationCidrBlock="10.0.0.0/16",
                                     TransitGatewayAttachmentId=atts["work"])
    result = _path("us-east-1", made, "corp", "10.0.1.50")
    assert not result["ok"] and "reply cannot return" in result["reason"]  # no way back yet
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=table, DestinationCidrBlock="172.16.0.0/16",
                                     TransitGatewayAttachmentId=atts["corp"])
    assert not _path("us-east-1", made, "corp", "10.0.1.50")["ok"]  # the workshop side has no route back
    ec2.create_route(RouteTableId=made["work"]["table"], DestinationCidrBlock="172.16.0.0/16", TransitGatewayId=tgw)
    result = _path("us-east-1", made, "corp", "10.0.1.50")
    assert result["ok"] and result["transit_gateway"] == tgw, result
    # SearchTransitGatewayRoutes lists each route's attachment, as AWS does.
    routes = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=table,
                                               Filters=[{"Name": "state", "Values": ["active"]}])["Routes"]
    assert {r["DestinationCidrBlock"]: r["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"]
            for r in routes} == {"10.0.0.0/16": atts["work"], "172.16.0.0/16": atts["corp"]}


def test_the_same_ranges_behind_two_gateways_route_each_to_its_own(aws):
    """A shared room: every participant's workshop VPC is 10.0.0.0/16 and corporate VPC 172.16.0.0/16, each pair
    behind its own Transit Gateway. A packet goes where its gateway's routes lead, not to the first VPC whose range
    holds the address (Transit Gateway Guide: a route table's routes name attachments)."""
    ec2 = aws("ec2")
    pairs = [_two_vpcs(ec2), _two_vpcs(ec2)]
    for made in pairs:
        tgw, table, atts = _connect(ec2, made)
        for side, other in (("work", "corp"), ("corp", "work")):
            ec2.create_route(RouteTableId=made[side]["table"], DestinationCidrBlock=made[other]["cidr"],
                             TransitGatewayId=tgw)
            ec2.create_transit_gateway_route(TransitGatewayRouteTableId=table,
                                             DestinationCidrBlock=made[side]["cidr"],
                                             TransitGatewayAttachmentId=atts[side])
        made["tgw"] = tgw
    for made in pairs:
        result = _path("us-east-1", made, "corp", "10.0.1.50")
        assert result["ok"] and result["transit_gateway"] == made["tgw"], result
        assert result["dst_vpc_id"] == made["work"]["vpc"]
        assert _path("us-east-1", made, "work", "10.0.1.60")["dst_vpc_id"] == made["work"]["vpc"]  # local route


def test_propagation_when_the_gateway_propagates_by_default(aws):
    ec2 = aws("ec2")
    made = _two_vpcs(ec2)
    tgw = ec2.create_transit_gateway()["TransitGateway"]  # DefaultRouteTablePropagation enable
    table = tgw["Options"]["PropagationDefaultRouteTableId"]
    for v in made.values():
        ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw["TransitGatewayId"], VpcId=v["vpc"],
                                                  SubnetIds=[v["subnet"]])
    routes = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=table,
                                               Filters=[{"Name": "state", "Values": ["active"]}])["Routes"]
    assert {(r["DestinationCidrBlock"], r["Type"]) for r in routes} == {("10.0.0.0/16", "propagated"),
                                                                         ("172.16.0.0/16", "propagated")}


def test_attachments_take_time_hold_their_subnets_and_block_the_gateway(aws, sandbox):
    ec2 = aws("ec2")
    made = _two_vpcs(ec2)
    set_settings(sandbox.url, {"timing_scale": 0.01})  # attachment pending 0.6 s, deleting 1.2 s, gateway 1.8 s
    try:
        tgw = ec2.create_transit_gateway()["TransitGateway"]
        assert tgw["State"] == "pending"
        with pytest.raises(ClientError) as err:
            ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw["TransitGatewayId"],
                                                      VpcId=made["work"]["vpc"], SubnetIds=[made["work"]["subnet"]])
        assert err.value.response["Error"]["Code"] == "IncorrectState"
        from tests.conftest import wait_for

        wait_for(lambda: ec2.describe_transit_gateways(TransitGatewayIds=[tgw["TransitGatewayId"]])[
            "TransitGateways"][0]["State"] == "available", "the gateway", 30)
        att = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw["TransitGatewayId"], VpcId=made["work"]["vpc"], SubnetIds=[made["work"]["subnet"]]
        )["TransitGatewayVpcAttachment"]
        assert att["State"] == "pending"
        enis = ec2.describe_network_interfaces(
            Filters=[{"Name": "subnet-id", "Values": [made["work"]["subnet"]]}])["NetworkInterfaces"]
        assert [n["Description"] for n in enis] == [
            f"Network Interface for Transit Gateway Attachment {att['TransitGatewayAttachmentId']}"]
        with pytest.raises(ClientError) as err:
            ec2.delete_subnet(SubnetId=made["work"]["subnet"])
        assert err.value.response["Error"]["Code"] == "DependencyViolation"
        with pytest.raises(ClientError) as err:
            ec2.delete_transit_gateway(TransitGatewayId=tgw["TransitGatewayId"])
        assert err.value.response["Error"]["Code"] == "IncorrectState"
        ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att["TransitGatewayAttachmentId"])
        state = ec2.describe_transit_gateway_vpc_attachments(
            TransitGatewayAttachmentIds=[att["TransitGatewayAttachmentId"]])["TransitGatewayVpcAttachments"]
        assert [a["State"] for a in state] == ["deleting"]
        wait_for(lambda: not [a for a in ec2.describe_transit_gateway_vpc_attachments()[
            "TransitGatewayVpcAttachments"] if a["State"] != "deleted"], "the attachment to go", 30)
        ec2.delete_subnet(SubnetId=made["work"]["subnet"])  # its interface is gone with it
        ec2.delete_transit_gateway(TransitGatewayId=tgw["TransitGatewayId"])
    finally:
        set_settings(sandbox.url, {"timing_scale": 0})


# ---------------------------------------------------------------- Route 53 Resolver: which answer wins


def test_the_most_specific_name_wins_and_a_rule_before_a_zone_at_the_same_name():
    from sandbox import resolver

    found = [{"kind": "zone", "domain": "bedrock-runtime.us-east-1.amazonaws.com.", "rank": 1},
             {"kind": "rule", "domain": "amazonaws.com.", "rank": 0}]
    host = "bedrock-runtime.us-east-1.amazonaws.com"
    assert resolver._choose(found, host)["kind"] == "zone"  # more specific than the rule
    found.append({"kind": "rule", "domain": "bedrock-runtime.us-east-1.amazonaws.com.", "rank": 0})
    assert resolver._choose(found, host)["kind"] == "rule"  # same name: the Resolver rule first
    assert resolver._choose(found, "runtime.us-east-1.amazonaws.com")["domain"] == "amazonaws.com."
    assert resolver._choose(found, "example.com") is None
    assert resolver._matches("acme.example.com", "zenith.acme.example.com")
    assert not resolver._matches("acme.example.com", "nadir.example.com")


def test_forwarding_through_resolver_endpoints_and_a_private_hosted_zone(aws):
    """The DNS answer inside a VPC: a FORWARD rule to an inbound endpoint of a VPC whose endpoint has private DNS;
    without the rule the public answer; a private hosted zone with an alias to the endpoint; NXDOMAIN."""
    from sandbox import backends, resolver

    ec2, r53, rr = aws("ec2"), aws("route53"), aws("route53resolver")
    made = _two_vpcs(ec2)
    for v in made.values():
        for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
            ec2.modify_vpc_attribute(VpcId=v["vpc"], **{attribute: {"Value": True}})
    work_sub2 = ec2.create_subnet(VpcId=made["work"]["vpc"], CidrBlock="10.0.2.0/24",
                                  AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    corp_sub2 = ec2.create_subnet(VpcId=made["corp"]["vpc"], CidrBlock="172.16.2.0/24",
                                  AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    for v, sub2 in ((made["work"], work_sub2), (made["corp"], corp_sub2)):
        ec2.associate_route_table(RouteTableId=v["table"], SubnetId=sub2)
    tgw, table, atts = _connect(ec2, made)
    for name, other in (("work", "corp"), ("corp", "work")):
        ec2.create_route(RouteTableId=made[name]["table"], DestinationCidrBlock=made[other]["cidr"],
                         TransitGatewayId=tgw)
        ec2.create_transit_gateway_route(TransitGatewayRouteTableId=table, DestinationCidrBlock=made[name]["cidr"],
                                         TransitGatewayAttachmentId=atts[name])
    sg_ep = ec2.create_security_group(GroupName="ep", Description="ep", VpcId=made["work"]["vpc"])["GroupId"]
    endpoint = ec2.create_vpc_endpoint(VpcId=made["work"]["vpc"], VpcEndpointType="Interface",
                                       ServiceName="com.amazonaws.us-east-1.bedrock-runtime",
                                       SubnetIds=[made["work"]["subnet"], work_sub2], SecurityGroupIds=[sg_ep],
                                       PrivateDnsEnabled=True)["VpcEndpoint"]
    sg_in = ec2.create_security_group(GroupName="in", Description="in", VpcId=made["work"]["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg_in, IpPermissions=[
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "172.16.0.0/16"}]}])
    sg_out = ec2.create_security_group(GroupName="out", Description="out", VpcId=made["corp"]["vpc"])["GroupId"]
    ec2.revoke_security_group_egress(GroupId=sg_out, IpPermissions=[  # the default allow-all egress rule
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    inbound = rr.create_resolver_endpoint(CreatorRequestId="in", Name="in", Direction="INBOUND",
                                          SecurityGroupIds=[sg_in], IpAddresses=[
                                              {"SubnetId": made["work"]["subnet"]}, {"SubnetId": work_sub2}]
                                          )["ResolverEndpoint"]
    outbound = rr.create_resolver_endpoint(CreatorRequestId="out", Name="out", Direction="OUTBOUND",
                                           SecurityGroupIds=[sg_out], IpAddresses=[
                                               {"SubnetId": made["corp"]["subnet"]}, {"SubnetId": corp_sub2}]
                                           )["ResolverEndpoint"]
    ips = [a["Ip"] for a in rr.list_resolver_endpoint_ip_addresses(ResolverEndpointId=inbound["Id"])["IpAddresses"]]
    assert all(ip.startswith("10.0.") and not ip.endswith(".1") for ip in ips)  # free addresses, not reserved ones
    host = "bedrock-runtime.us-east-1.amazonaws.com"
    rule = rr.create_resolver_rule(CreatorRequestId="r", Name="r", RuleType="FORWARD", DomainName=host,
                                   TargetIps=[{"Ip": ip, "Port": 53} for ip in ips],
                                   ResolverEndpointId=outbound["Id"])["ResolverRule"]
    ec2_backend = backends.ec2("us-east-1")
    corp_vpc = ec2_backend.get_vpc(made["corp"]["vpc"])
    endpoint_ips = sorted(n["PrivateIpAddress"] for n in ec2.describe_network_interfaces(
        NetworkInterfaceIds=endpoint["NetworkInterfaceIds"])["NetworkInterfaces"])

    assert resolver.lookup("us-east-1", corp_vpc, host)["kind"] == "public"  # no rule associated yet
    rr.associate_resolver_rule(ResolverRuleId=rule["Id"], VPCId=made["corp"]["vpc"])
    blocked = resolver.lookup("us-east-1", corp_vpc, host)  # the outbound group allows no DNS out
    assert blocked["failure"]["missing"] == "outbound-sg" and not blocked["addresses"]
    ec2.authorize_security_group_egress(GroupId=sg_out, IpPermissions=[
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    answer = resolver.lookup("us-east-1", corp_vpc, host)
    assert answer["kind"] == "forwarded" and sorted(answer["addresses"]) == endpoint_ips, answer
    ec2.revoke_security_group_ingress(GroupId=sg_in, IpPermissions=[
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "172.16.0.0/16"}]}])
    assert resolver.lookup("us-east-1", corp_vpc, host)["failure"]["missing"] == "inbound-sg"

    zone = r53.create_hosted_zone(Name=host, CallerReference="z", HostedZoneConfig={"PrivateZone": True},
                                  VPC={"VPCRegion": "us-east-1", "VPCId": made["corp"]["vpc"]})["HostedZone"]
    assert resolver.lookup("us-east-1", corp_vpc, host)["kind"] == "forwarded"  # the rule still wins
    rr.disassociate_resolver_rule(ResolverRuleId=rule["Id"], VPCId=made["corp"]["vpc"])
    nx = resolver.lookup("us-east-1", corp_vpc, host)
    assert nx["kind"] == "zone" and nx["failure"]["missing"] == "record"  # NXDOMAIN: no record yet
    r53.change_resource_record_sets(HostedZoneId=zone["Id"], ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {"Name": host, "Type": "A", "AliasTarget": {
            "HostedZoneId": endpoint["DnsEntries"][0]["HostedZoneId"], "DNSName": endpoint["DnsEntries"][0]["DnsName"],
            "EvaluateTargetHealth": False}}}]})
    answer = resolver.lookup("us-east-1", corp_vpc, host)
    assert answer["kind"] == "zone" and sorted(answer["addresses"]) == endpoint_ips
    # The endpoint-specific name resolves publicly to the same private IPs, from any VPC.
    public = resolver.lookup("us-east-1", corp_vpc, endpoint["DnsEntries"][0]["DnsName"])
    assert public["kind"] == "vpce-public" and sorted(public["addresses"]) == endpoint_ips


# ---------------------------------------------------------------- template, cost


def _template() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader, suffix, node):
        return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else (
            loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode) else loader.construct_mapping(node))

    Loader.add_multi_constructor("!", tagged)
    return yaml.load((ROOT / "cfn" / "corporate-network.yaml").read_text(), Loader=Loader)  # noqa: S506


def test_corporate_template_grants_lambdas_vpc_actions_and_tags_everything():
    from awsfacts.awslambda import VPC_ACCESS_ACTIONS

    doc = _template()
    role = doc["Resources"]["ClientRole"]["Properties"]
    vpc_policy = next(p for p in role["Policies"] if p["PolicyName"] == "vpc-network-interfaces")
    assert tuple(vpc_policy["PolicyDocument"]["Statement"][0]["Action"]) == VPC_ACCESS_ACTIONS
    for name, resource in doc["Resources"].items():
        props = resource.get("Properties", {})
        if "Tags" in props:
            keys = {t["Key"] for t in props["Tags"]}
            assert {"workshop", "participant"} <= keys, name
    untagged = {n for n, r in doc["Resources"].items() if "Tags" not in r.get("Properties", {})}
    assert untagged == {"CorporateSubnet1RouteTableAssociation", "CorporateSubnet2RouteTableAssociation"}
    assert doc["Resources"]["CorporateVpc"]["Properties"]["CidrBlock"] == "172.16.0.0/16"


def test_beyond_estimate_uses_the_documented_prices():
    from utils import cost

    est = cost.beyond_estimate(1.5)  # two started hours
    lines = {line["item"]: line["usd"] for line in est.lines}
    assert lines["Transit Gateway attachments"] == pytest.approx(2 * 2 * 0.05)
    assert lines["Route 53 Resolver endpoint IP addresses"] == pytest.approx(4 * 2 * 0.125)
    assert "2026-12-07" in cost.BEYOND_PRICES_SOURCE
    assert "0.6" in cost.describe_beyond_estimate()


# ---------------------------------------------------------------- 07 from partial states of 06


def _run_06_until(cell_id: str) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(NB06, as_version=4)
    ids = [c.get("id") for c in nb.cells]
    nb.cells = nb.cells[: ids.index(cell_id) + 1]
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NB06.parent)}}).execute()


@pytest.mark.slow
@pytest.mark.parametrize("cut", ["06-06", "06-10", "06-14", "06-18", "06-24", "06-28"])
def test_cleanup_after_a_partial_06(workshop_env, monkeypatch, cut):
    """06 stopped after the corporate stack; after the attachments; after the guard rails; after the Resolver
    endpoints; after path 3; complete: 07 removes everything, and the inventory is empty."""
    from utils import runner

    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    report = runner.run(only=["00", "01", "02", "03", "04"], out_root=workshop_env / "runs", echo=lambda _l: None)
    assert report.ok, [(r.notebook, r.error) for r in report.results]
    _run_06_until(cut)
    report = runner.run(only=["07"], out_root=workshop_env / "runs", echo=lambda _l: None)
    assert report.ok, [(r.notebook, r.error) for r in report.results]
    text = json.dumps(nbformat.read(report.results[0].output, as_version=4))
    assert "Nothing of the workshop remains." in text


# ---------------------------------------------------------------- the doctor names each break of the corporate path


@pytest.mark.slow
def test_the_doctor_names_each_break_of_the_corporate_path(workshop_env, monkeypatch, capsys):
    from utils import config, doctor, runner, stack, target

    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    report = runner.run(only=["00", "01", "02", "03", "04", "06"], out_root=workshop_env / "runs",
                        echo=lambda _l: None)
    assert report.ok, [(r.notebook, r.error) for r in report.results]
    cfg = config.load()
    ec2, rr = target.client("ec2", cfg.region), target.client("route53resolver", cfg.region)
    r53 = target.client("route53", cfg.region)
    cfn = target.client("cloudformation", cfg.region)
    out, corp = stack.outputs(cfn, cfg.stack_name), stack.outputs_of(stack.describe(cfn, cfg.corporate_stack_name))

    def doctor_says() -> str:
        capsys.readouterr()
        doctor.main(["--no-path"])
        return capsys.readouterr().out

    text = doctor_says()
    assert "[FAIL] beyond" not in text and "[PASS] beyond" in text, text

    tgw_id = ec2.describe_transit_gateways(Filters=cfg.tag_filters)["TransitGateways"][0]["TransitGatewayId"]
    # 1. A missing route on the corporate side, then on the workshop side.
    ec2.delete_route(RouteTableId=corp["CorporateRouteTableId"], DestinationCidrBlock=out["VpcCidr"])
    assert "[FAIL] beyond    route to the workshop VPC" in doctor_says()
    ec2.create_route(RouteTableId=corp["CorporateRouteTableId"], DestinationCidrBlock=out["VpcCidr"],
                     TransitGatewayId=tgw_id)
    table = out["PrivateRouteTableIds"].split(",")[1]
    ec2.delete_route(RouteTableId=table, DestinationCidrBlock=corp["CorporateVpcCidr"])
    text = doctor_says()
    assert "[FAIL] beyond    route back from the workshop VPC" in text and table in text
    ec2.create_route(RouteTableId=table, DestinationCidrBlock=corp["CorporateVpcCidr"], TransitGatewayId=tgw_id)
    # 2. The endpoint's security group without the corporate range.
    rule = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": corp["CorporateVpcCidr"]}]}
    ec2.revoke_security_group_ingress(GroupId=out["EndpointSecurityGroupId"], IpPermissions=[rule])
    assert "[FAIL] beyond    endpoint SG admits 443 from the corporate range" in doctor_says()
    ec2.authorize_security_group_ingress(GroupId=out["EndpointSecurityGroupId"], IpPermissions=[rule])
    # 3. No rule association and no zone: the default hostname resolves publicly in the corporate VPC.
    zone = next(z for z in r53.list_hosted_zones()["HostedZones"] if z["Config"].get("PrivateZone"))
    records = [r for r in r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
               if r["Type"] not in ("SOA", "NS")]
    r53.change_resource_record_sets(HostedZoneId=zone["Id"], ChangeBatch={"Changes": [
        {"Action": "DELETE", "ResourceRecordSet": r} for r in records]})
    r53.delete_hosted_zone(Id=zone["Id"])
    assert "[FAIL] beyond    the corporate VPC resolves the default hostname privately" in doctor_says()
    # 4. The rule associated again, but the inbound endpoint's group without DNS from the corporate range.
    rule_id = rr.list_resolver_rules(Filters=[{"Name": "Type", "Values": ["FORWARD"]}])["ResolverRules"][0]["Id"]
    rr.associate_resolver_rule(ResolverRuleId=rule_id, VPCId=corp["CorporateVpcId"])
    assert "[FAIL] beyond" not in doctor_says()
    ec2.revoke_security_group_ingress(GroupId=corp["InboundResolverSecurityGroupId"], IpPermissions=[
        {"IpProtocol": proto, "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": corp["CorporateVpcCidr"]}]}
        for proto in ("udp", "tcp")])
    assert "[FAIL] beyond    inbound endpoint SG admits DNS from the corporate range" in doctor_says()
    report = runner.run(only=["07"], out_root=workshop_env / "runs", echo=lambda _l: None)
    assert report.ok, [(r.notebook, r.error) for r in report.results]
