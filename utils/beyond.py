"""Notebook 06 (beyond one VPC): the corporate client's path, read from the live state.

Plumbing only: the AWS calls the lesson is about stay in the notebook's cells. This module finds the pieces
(the corporate stack, the Transit Gateway and its attachments, the Resolver endpoints and rule, the private hosted
zone), checks each link of the path

    corporate client -> (DNS) -> Transit Gateway -> endpoint (security group, policy) -> Amazon Bedrock

and names the first broken one. `corporate_hops(cfg)` gives the hops in the shape of `utils.pathview` (so the same
renderers draw them); `findings(cfg)` gives doctor checks; `explain(reply, cfg=cfg)` explains a failed call of the
corporate client from its error and the live state.
"""

from __future__ import annotations

import ipaddress
import json

from .inventory import find_network  # noqa: F401  (notebook 07 finds notebook 06's resources with it)
from .lang import _

HOPS = ("corporate client", "Transit Gateway", "endpoint", "Amazon Bedrock")
CLIENT_POLICY_NAME = "corporate-bedrock-sourcevpce-access-only"


def _check(name: str, ok: bool, detail: str, fix: str = "") -> dict:
    return {"name": name, "ok": bool(ok), "status": "pass" if ok else "fail", "detail": detail,
            "fix": "" if ok else fix, "source": ""}


def _hop(name: str, checks: list[dict]) -> dict:
    from .diagnosis import _hop as hop

    return hop(name, checks)


def _in(ip: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def _covers(cidr: str, inner: str) -> bool:
    try:
        return ipaddress.ip_network(inner, strict=False).subnet_of(ipaddress.ip_network(cidr, strict=False))
    except (ValueError, TypeError):
        return False


def gather(cfg, client) -> dict:
    """What the corporate path consists of now; a missing piece is None. Reads only."""
    from . import endpoint, stack

    cfn, ec2 = client("cloudformation", cfg.region), client("ec2", cfg.region)
    s: dict = {"workshop": None, "corporate": None}
    found = stack.describe(cfn, cfg.stack_name)
    corp = stack.describe(cfn, cfg.corporate_stack_name)
    s["workshop"] = stack.outputs_of(found) if found else None
    s["corporate"] = stack.outputs_of(corp) if corp else None
    if not s["workshop"] or not s["corporate"]:
        return s
    out, c = s["workshop"], s["corporate"]
    s["endpoint"] = endpoint.find(ec2, out["VpcId"], endpoint.service_name(cfg.region), cfg.endpoint_name)
    gateways = [g for g in ec2.describe_transit_gateways(Filters=cfg.tag_filters)["TransitGateways"]
                if g["State"] not in ("deleted", "deleting")]
    s["tgw"] = gateways[0] if gateways else None
    s["attachments"] = {}
    if s["tgw"]:
        for a in ec2.describe_transit_gateway_vpc_attachments(
                Filters=[{"Name": "transit-gateway-id", "Values": [s["tgw"]["TransitGatewayId"]]}]
        )["TransitGatewayVpcAttachments"]:
            if a["State"] not in ("deleted", "deleting"):
                s["attachments"][a["VpcId"]] = a
        table = s["tgw"]["Options"].get("AssociationDefaultRouteTableId")
        active = [{"Name": "state", "Values": ["active"]}]
        s["tgw_routes"] = ec2.search_transit_gateway_routes(
            TransitGatewayRouteTableId=table, Filters=active)["Routes"] if table else []
        s["tgw_route_table"] = table
    ids = [c["CorporateRouteTableId"], *out["PrivateRouteTableIds"].split(",")]
    s["route_tables"] = {t["RouteTableId"]: t for t in ec2.describe_route_tables(RouteTableIds=ids)["RouteTables"]}
    s["endpoint_sg"] = ec2.describe_security_groups(GroupIds=[out["EndpointSecurityGroupId"]])["SecurityGroups"][0]
    s["inbound_sg"] = ec2.describe_security_groups(
        GroupIds=[c["InboundResolverSecurityGroupId"]])["SecurityGroups"][0]
    return s


def _sg_admits(group: dict, cidr: str, port: int, protocols=("tcp",)) -> bool:
    for p in group.get("IpPermissions", []):
        proto = p.get("IpProtocol")
        if proto != "-1" and (proto not in protocols or not (p.get("FromPort", 0) <= port <= p.get("ToPort", 65535))):
            continue
        if any(_covers(r["CidrIp"], cidr) for r in p.get("IpRanges", [])):
            return True
    return False


def _tgw_route_to(s: dict, cidr: str, attachment: dict | None) -> bool:
    for r in s.get("tgw_routes") or []:
        if not _covers(r.get("DestinationCidrBlock", ""), cidr):
            continue
        targets = [a.get("TransitGatewayAttachmentId") for a in r.get("TransitGatewayAttachments", [])]
        if attachment and attachment["TransitGatewayAttachmentId"] in targets:
            return True
    return False


def _vpc_route_to(table: dict, cidr: str, tgw_id: str) -> bool:
    return any(r.get("TransitGatewayId") == tgw_id and _covers(r.get("DestinationCidrBlock", ""), cidr)
               for r in table.get("Routes", []))


def corporate_hops(cfg=None, client=None, state: dict | None = None) -> list[dict]:
    """The corporate path's hops, green or red, each with its checks (the shape of utils.pathview)."""
    from . import config, target

    cfg = cfg or config.load()
    client = client or target.client
    s = state if state is not None else gather(cfg, client)
    if not s.get("workshop") or not s.get("corporate"):
        missing = _("the workshop stack (notebook 01)") if not s.get("workshop") else _(
            "the corporate stack (notebook 06, Step 1)")
        check = _check(_("stacks deployed"), False, _("{what} is missing").format(what=missing),
                       _("Run notebook 06 from the top."))
        return [_hop(HOPS[0], [check])]
    out, c = s["workshop"], s["corporate"]
    tgw = s.get("tgw")
    tgw_id = tgw["TransitGatewayId"] if tgw else "-"
    corp_cidr, work_cidr = c["CorporateVpcCidr"], out["VpcCidr"]
    corp_att = (s.get("attachments") or {}).get(c["CorporateVpcId"])
    work_att = (s.get("attachments") or {}).get(out["VpcId"])
    corp_table = s["route_tables"].get(c["CorporateRouteTableId"], {})
    client_hop = _hop(HOPS[0], [
        _check(_("route to the workshop VPC"), bool(tgw) and _vpc_route_to(corp_table, work_cidr, tgw_id),
               _("route table {table}: {cidr} -> {tgw}").format(table=c["CorporateRouteTableId"], cidr=work_cidr,
                                                                tgw=tgw_id),
               _("Add the route {cidr} -> the Transit Gateway to {table} (notebook 06, Step 2).").format(
                   cidr=work_cidr, table=c["CorporateRouteTableId"])),
    ])
    checks = [_check(_("Transit Gateway available"), bool(tgw) and tgw["State"] == "available",
                     _("{tgw} is {state}").format(tgw=tgw_id, state=tgw["State"] if tgw else _("missing")),
                     _("Run notebook 06, Step 2."))]
    for name, att in ((_("corporate attachment"), corp_att), (_("workshop attachment"), work_att)):
        checks.append(_check(_("{name} available").format(name=name), bool(att) and att["State"] == "available",
                             att["TransitGatewayAttachmentId"] + " " + att["State"] if att else _("missing"),
                             _("Run notebook 06, Step 2.")))
    checks.append(_check(_("Transit Gateway routes both ways"),
                         _tgw_route_to(s, work_cidr, work_att) and _tgw_route_to(s, corp_cidr, corp_att),
                         _("{table}: {work} -> workshop attachment, {corp} -> corporate attachment").format(
                             table=s.get("tgw_route_table") or "-", work=work_cidr, corp=corp_cidr),
                         _("Add the missing static route to {table} (notebook 06, Step 2).").format(
                             table=s.get("tgw_route_table") or "-")))
    missing_back = [t for t in out["PrivateRouteTableIds"].split(",")
                    if not (tgw and _vpc_route_to(s["route_tables"].get(t, {}), corp_cidr, tgw_id))]
    checks.append(_check(_("route back from the workshop VPC"), not missing_back,
                         _("every workshop route table sends {cidr} to {tgw}").format(cidr=corp_cidr, tgw=tgw_id)
                         if not missing_back else _("no route {cidr} -> {tgw} in {tables}").format(
                             cidr=corp_cidr, tgw=tgw_id, tables=", ".join(missing_back)),
                         _("Add the route {cidr} -> the Transit Gateway to {tables} (notebook 06, Step 2).").format(
                             cidr=corp_cidr, tables=", ".join(missing_back))))
    tgw_hop = _hop(HOPS[1], checks)
    ep = s.get("endpoint")
    endpoint_hop = _hop(HOPS[2], [
        _check(_("endpoint available"), bool(ep) and ep["State"] == "available",
               (ep["VpcEndpointId"] + " " + ep["State"]) if ep else _("missing"), _("Run notebook 02.")),
        _check(_("endpoint SG admits 443 from the corporate range"), _sg_admits(s["endpoint_sg"], corp_cidr, 443),
               _("{sg} and {cidr}").format(sg=out["EndpointSecurityGroupId"], cidr=corp_cidr),
               _("Allow TCP 443 from {cidr} in {sg} (notebook 06, Step 3).").format(
                   cidr=corp_cidr, sg=out["EndpointSecurityGroupId"])),
    ])
    policy = json.loads(ep["PolicyDocument"]) if ep and ep.get("PolicyDocument") else {}
    principals = [p for st in policy.get("Statement", []) if st.get("Effect") == "Allow"
                  for p in (lambda v: v if isinstance(v, list) else [v])((st.get("Principal") or {}).get("AWS", []))]
    bedrock_hop = _hop(HOPS[3], [
        _check(_("endpoint policy names the client's role"), c["ClientRoleArn"] in principals,
               c["ClientRoleArn"], _("Add the client's role to the endpoint policy (notebook 06, Step 3).")),
    ])
    return [client_hop, tgw_hop, endpoint_hop, bedrock_hop]


def dns_findings(cfg, client, state: dict) -> list[dict]:
    """The DNS links of path 2 and 3: the rule's association or the zone's, and the inbound endpoint's SG."""
    c = state["corporate"]
    resolver, r53 = client("route53resolver", cfg.region), client("route53", cfg.region)
    host = f"bedrock-runtime.{cfg.region}.amazonaws.com"
    associated = [a for a in resolver.list_resolver_rule_associations(
        Filters=[{"Name": "VPCId", "Values": [c["CorporateVpcId"]]}])["ResolverRuleAssociations"]
        if a.get("Status") in ("COMPLETE", "CREATING", None)]
    rules = {r["Id"]: r for r in resolver.list_resolver_rules()["ResolverRules"]}
    forwarding = [a for a in associated if rules.get(a["ResolverRuleId"], {}).get("DomainName", "").rstrip(".")
                  in (host, f"{cfg.region}.amazonaws.com", "amazonaws.com")]
    zones = [z for z in r53.list_hosted_zones_by_name(DNSName=host + ".")["HostedZones"]
             if z["Name"] == host + "." and z["Config"].get("PrivateZone")
             and any(v["VPCId"] == c["CorporateVpcId"] for v in r53.get_hosted_zone(Id=z["Id"]).get("VPCs", []))]
    endpoint_url = ""
    try:
        variables = client("lambda", cfg.region).get_function_configuration(
            FunctionName=c["ClientFunctionName"]).get("Environment", {}).get("Variables", {})
        endpoint_url = variables.get("BEDROCK_ENDPOINT_URL", "")
    except Exception:  # noqa: BLE001 - no function: the DNS checks below still say what is missing
        endpoint_url = ""
    if endpoint_url:  # path 1: the client names the endpoint; the default hostname is not used
        return [_check(_("the client names the endpoint (path 1)"), ".vpce.amazonaws.com" in endpoint_url,
                       endpoint_url, _("Set BEDROCK_ENDPOINT_URL to the endpoint-specific DNS name (notebook 06, "
                                       "Step 4)."))]
    checks = [_check(_("the corporate VPC resolves the default hostname privately"), bool(forwarding or zones),
                     _("forwarding rule association: {rule}; private hosted zone: {zone}").format(
                         rule=forwarding[0]["ResolverRuleId"] if forwarding else _("none"),
                         zone=zones[0]["Id"] if zones else _("none")),
                     _("Associate the forwarding rule with {vpc} (path 2) or a private hosted zone {host} (path 3), "
                       "or set the client's endpoint_url to the endpoint-specific name (path 1).").format(
                         vpc=c["CorporateVpcId"], host=host))]
    if zones and not forwarding:  # the zone answers only with a record for the name (else NXDOMAIN)
        records = r53.list_resource_record_sets(HostedZoneId=zones[0]["Id"])["ResourceRecordSets"]
        has_record = any(r["Name"].rstrip(".") == host and r["Type"] == "A" for r in records)
        checks.append(_check(_("the private hosted zone has a record for the default hostname"), has_record,
                             zones[0]["Id"], _("Add the alias A record {host} -> the endpoint's DNS name (notebook 06, "
                                               "Step 6).").format(host=host)))
    if forwarding:
        checks.append(_check(_("inbound endpoint SG admits DNS from the corporate range"),
                             _sg_admits(state["inbound_sg"], c["CorporateVpcCidr"], 53, ("udp", "tcp")),
                             _("{sg} and {cidr}").format(sg=c["InboundResolverSecurityGroupId"],
                                                         cidr=c["CorporateVpcCidr"]),
                             _("Allow UDP and TCP 53 from {cidr} in {sg}.").format(
                                 cidr=c["CorporateVpcCidr"], sg=c["InboundResolverSecurityGroupId"])))
    return checks


def explain(reply, *, cfg, client=None):
    """An Explanation of the corporate client's failed call: the error, then the first broken link of its path."""
    from . import explain as ex
    from . import target

    error = reply.get("error") if isinstance(reply, dict) and "error" in reply else reply
    base = ex.explain(error)
    network = reply.get("network", {}) if isinstance(reply, dict) else {}
    client = client or target.client
    try:
        state = gather(cfg, client)
        hops = corporate_hops(cfg, client, state)
        dns = dns_findings(cfg, client, state) if state.get("corporate") and state.get("workshop") else []
    except Exception as exc:  # the explanation from the message still stands
        base.facts["live state"] = _("could not read the live state: {name}: {exc}").format(
            name=type(exc).__name__, exc=exc)
        return base
    addresses = network.get("addresses") or []
    ep_cidr = (state.get("workshop") or {}).get("VpcCidr", "")
    broken = [c for c in dns if not c["ok"]] if addresses and not all(_in(a, ep_cidr) for a in addresses) else []
    broken += [c for hop in hops for c in hop["checks"] if not c["ok"]]
    if not addresses:
        broken = [c for c in dns if not c["ok"]] + broken
    if broken:
        first = broken[0]
        return ex.Explanation(
            _("The corporate client's path is broken: {name}").format(name=first["name"]),
            first["detail"] + "\n\n" + base.meaning,
            [first["fix"], *[c["fix"] for c in broken[1:3] if c["fix"]]],
            {**base.facts, "host": network.get("host", "-"), "addresses": ", ".join(addresses) or "-"},
        )
    return base


def dns_table(ec2, network: dict, runtime_endpoint: dict):
    """The DNS answer inside the client, each address matched to the endpoint's network interfaces."""
    from . import display, endpoint

    enis = endpoint.interfaces(ec2, runtime_endpoint)
    by_ip = {n["PrivateIpAddress"]: n["NetworkInterfaceId"] for n in enis}
    print(_("{host} resolved, inside the corporate client, to:").format(host=network.get("host")))
    return display.table([{"address": a, "endpoint ENI": by_ip.get(a, "-")} for a in network.get("addresses") or []]
                         or [{"address": network.get("resolve_error", "-"), "endpoint ENI": "-"}])


def assert_endpoint_ips(ec2, network: dict, runtime_endpoint: dict) -> None:
    from . import endpoint

    ips = set(endpoint.private_ips(endpoint.interfaces(ec2, runtime_endpoint)))
    got = set(network.get("addresses") or [])
    assert got and got == ips, _("The DNS answer {got} is not the endpoint's IPs {ips}").format(
        got=sorted(got), ips=sorted(ips))
    print(_("The DNS answer equals the endpoint's network-interface IPs: {ips}").format(ips=", ".join(sorted(ips))))


def doctor_checks(cfg, client) -> list[dict]:
    """The doctor's checks of the corporate path (section "beyond"); none when notebook 06 has not run."""
    state = gather(cfg, client)
    if not state.get("corporate") or not state.get("workshop"):
        return []
    checks = [c for hop in corporate_hops(cfg, client, state) for c in hop["checks"]]
    return checks + dns_findings(cfg, client, state)


def remove_zone_records(r53, zones: list[dict]) -> list[str]:
    """Delete the records (all but SOA and NS) of private hosted zones; the zones' names. Notebook 06 uses it on a
    re-run, so that the zone an earlier run left does not answer during Step 5's broken-on-purpose call."""
    emptied = []
    for zone in zones:
        records = r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        changes = [{"Action": "DELETE", "ResourceRecordSet": r} for r in records if r["Type"] not in ("SOA", "NS")]
        if changes:
            r53.change_resource_record_sets(HostedZoneId=zone["Id"], ChangeBatch={"Changes": changes})
            emptied.append(zone["Name"])
    return emptied
