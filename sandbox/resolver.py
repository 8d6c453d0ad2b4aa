"""Name resolution inside a VPC as Amazon Route 53 Resolver does it (issue 17, notebook 06).

A query from a VPC is answered by the VPC's Resolver (the Amazon-provided DNS server) in this order, as the Route 53
Developer Guide and the AWS Knowledge Center describe it:

1. The most specific domain name wins among the Resolver rules associated with the VPC and the private hosted
   zones associated with it ("If the domain name in a query matches the domain name in more than one rule (such
   as example.com and www.example.com), Resolver routes outbound DNS queries using the rule that contains the most
   specific domain name", "How Resolver determines whether the domain name in a query matches any rules"). A rule
   matches its domain name and every subdomain of it.
2. At the same domain name a Resolver rule comes before a private hosted zone: "The Amazon-provided DNS resolver
   evaluates the 'most specific domain name' rule in the following priority order: Resolver rules ... Rules for
   private hosted zones ... Auto-defined rules" (AWS Knowledge Center, "How can I use and override reverse DNS
   rules with Route 53 Resolver?").
3. The private DNS of an interface endpoint is an AWS-managed private hosted zone associated with the endpoint's
   VPC only ("The managed PHZ only works within the VPC that has the interface endpoint", whitepaper "Building a
   Scalable and Secure Multi-VPC AWS Network Infrastructure", "Centralized access to VPC private endpoints").
   Private hosted zones need enableDnsSupport and enableDnsHostnames on the VPC.
4. A FORWARD rule sends the query from its outbound endpoint to the rule's target IPs (Route 53 Developer Guide,
   "How Resolver determines where to forward DNS queries"). Here a target is an inbound endpoint (the sandbox has no
   other DNS servers): the query needs a network path from an outbound endpoint address to the target (routes and
   the transit gateway, sandbox.transit), the outbound endpoint's security group must allow DNS (port 53) out to
   it and the inbound endpoint's group DNS in from it; the inbound endpoint answers as its VPC's Resolver does.
   A query no target answers fails (the client sees a lookup failure, not an address).
5. With no match, the name is resolved publicly. An endpoint-specific name (vpce-...vpce.amazonaws.com) resolves
   publicly to the endpoint's private IPs ("The Regional and zonal DNS names of an interface endpoint ... resolve to
   the private IP addresses of the endpoint network interfaces", AWS PrivateLink Guide); a private hosted zone name
   with no matching record answers NXDOMAIN ("If there's a matching private hosted zone but there's no record that
   matches ... Resolver ... returns NXDOMAIN", Route 53 Developer Guide, private hosted zone considerations).

Route 53 Resolver endpoints also get a life cycle here: CREATING for SETTINGS.delay("resolver_endpoint_creating"),
then OPERATIONAL; DeleteResolverEndpoint makes them DELETING for SETTINGS.delay("resolver_endpoint_deleting") before
they and their network interfaces are gone (moto 5.2.1 makes both instant).
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from . import backends, endpoints, transit
from .moto_fixes.ec2 import RELEASE_HOOKS
from .settings import SETTINGS

DNS_PORT = 53


def _now() -> datetime:
    return datetime.now(UTC)


def resolver_backend(region: str, account: str | None = None):
    from moto.route53resolver.models import route53resolver_backends

    return route53resolver_backends[account or backends.current_account()][region]


def route53_backend(account: str | None = None):
    from moto.route53.models import route53_backends

    return route53_backends[account or backends.current_account()]["aws"]


# ------------------------------------------------------------------------------------------ life cycle


def _status(self) -> str:
    raw = self.__dict__.get("_raw_status", "OPERATIONAL")
    if self.__dict__.get("_gone_at") is not None:
        return "DELETING"
    available_at = self.__dict__.get("_available_at")
    if raw == "OPERATIONAL" and available_at is not None and _now() < available_at:
        return "CREATING"
    return raw


def _set_status(self, value) -> None:
    self.__dict__["_raw_status"] = value


def purge_region(backend) -> None:
    """Forget Resolver endpoints whose deletion delay has passed, and delete their network interfaces."""
    for endpoint_id, endpoint in list(backend.resolver_endpoints.items()):
        gone_at = endpoint.__dict__.get("_gone_at")
        if gone_at is not None and _now() >= gone_at:
            backend.resolver_endpoints.pop(endpoint_id, None)
            for eni_id in endpoint.eni_ids:
                eni = endpoint.ec2_backend.enis.pop(eni_id, None)
                if eni is not None and eni.subnet is not None:
                    eni.subnet._subnet_ips.pop(eni.private_ip_address, None)


def _purge_for_ec2(ec2_backend) -> None:
    from moto.route53resolver.models import route53resolver_backends

    account = getattr(ec2_backend, "account_id", None)
    region = getattr(ec2_backend, "region_name", None)
    if account and region and account in route53resolver_backends:
        purge_region(route53resolver_backends[account][region])


def _patch() -> None:
    from moto.route53resolver.exceptions import InvalidRequestException
    from moto.route53resolver.models import ResolverEndpoint, Route53ResolverBackend

    if getattr(ResolverEndpoint, "_sandbox_patched", False):
        return
    ResolverEndpoint.status = property(_status, _set_status)
    ResolverEndpoint._sandbox_patched = True

    create = Route53ResolverBackend.create_resolver_endpoint

    def create_resolver_endpoint(self, region, creator_request_id, name, security_group_ids, direction,
                                 ip_addresses, tags):
        purge_region(self)
        ec2 = backends.ec2(region, self.account_id)
        for entry in ip_addresses or []:  # AWS picks a free address; moto 5.2.1 picks the reserved .1
            if not entry.get("Ip") and entry.get("SubnetId"):
                subnet = ec2.get_subnet(entry["SubnetId"])
                taken = {e.get("Ip") for e in ip_addresses}
                entry["Ip"] = transit.free_ip(subnet, also_taken=taken)
        endpoint = create(self, region, creator_request_id, name, security_group_ids, direction, ip_addresses, tags)
        endpoint.__dict__["_available_at"] = _now() + timedelta(seconds=SETTINGS.delay("resolver_endpoint_creating"))
        for eni_id in endpoint.eni_ids:
            eni = endpoint.ec2_backend.enis.get(eni_id)
            if eni is not None:
                eni.requester_managed = True
                eni.status = "in-use"
        return endpoint

    def delete_resolver_endpoint(self, resolver_endpoint_id):
        purge_region(self)
        self._validate_resolver_endpoint_id(resolver_endpoint_id)
        rules = [x.id for x in self.resolver_rules.values() if x.resolver_endpoint_id == resolver_endpoint_id]
        if rules:
            raise InvalidRequestException(
                f"Cannot delete resolver endpoint unless its related resolver rules are deleted.  The following "
                f"rules still exist for this resolver endpoint:  {','.join(rules)}")
        endpoint = self.resolver_endpoints[resolver_endpoint_id]
        if endpoint.__dict__.get("_gone_at") is None:
            endpoint.__dict__["_gone_at"] = _now() + timedelta(seconds=SETTINGS.delay("resolver_endpoint_deleting"))
            endpoint.status_message = endpoint.status_message.replace("Successfully created", "Deleting")
        return endpoint

    Route53ResolverBackend.create_resolver_endpoint = create_resolver_endpoint

    # AWS's text, as recorded for DeleteResolverRule and DisassociateResolverRule (LocalStack's AWS-validated snapshot
    # tests/aws/services/route53resolver/test_route53resolver.snapshot.json: test_delete_non_existent_resolver_rule,
    # recorded 2023-09-08, and test_disassociate_non_existent_association, recorded 2025-03-12; tests/parity/cases/
    # route53resolver.json replays both). GetResolverRule (and AssociateResolverRule) keep moto's message: no AWS
    # recording or page gives AWS's wording for them, and the sandbox does not invent it.
    from moto.route53resolver.exceptions import ResourceNotFoundException
    from moto.route53resolver.validations import validate_args

    def _recorded_rule_not_found(self, resolver_rule_id):
        if resolver_rule_id not in self.resolver_rules:
            raise ResourceNotFoundException(f'[RSLVR-00703] Resolver rule with ID "{resolver_rule_id}" does not exist.')

    delete_rule = Route53ResolverBackend.delete_resolver_rule

    def delete_resolver_rule(self, resolver_rule_id):
        validate_args([("resolverRuleId", resolver_rule_id)])
        _recorded_rule_not_found(self, resolver_rule_id)
        return delete_rule(self, resolver_rule_id)

    Route53ResolverBackend.delete_resolver_rule = delete_resolver_rule

    disassociate = Route53ResolverBackend.disassociate_resolver_rule

    def disassociate_resolver_rule(self, resolver_rule_id, vpc_id):
        validate_args([("resolverRuleId", resolver_rule_id), ("vPCId", vpc_id)])
        _recorded_rule_not_found(self, resolver_rule_id)
        return disassociate(self, resolver_rule_id, vpc_id)

    Route53ResolverBackend.disassociate_resolver_rule = disassociate_resolver_rule

    create_rule = Route53ResolverBackend.create_resolver_rule

    def create_resolver_rule(self, region, creator_request_id, name, rule_type, domain_name, target_ips,
                             resolver_endpoint_id, tags):
        endpoint = self.resolver_endpoints.get(resolver_endpoint_id or "")
        if endpoint is not None and endpoint.direction != "OUTBOUND":
            raise InvalidRequestException(
                "[RSLVR-00700] Resolver rules can only be associated to OUTBOUND resolver endpoints.")
        return create_rule(self, region, creator_request_id, name, rule_type, domain_name, target_ips,
                           resolver_endpoint_id, tags)

    Route53ResolverBackend.create_resolver_rule = create_resolver_rule
    Route53ResolverBackend.delete_resolver_endpoint = delete_resolver_endpoint

    for name in ("get_resolver_endpoint", "list_resolver_endpoints", "list_resolver_endpoint_ip_addresses"):
        original = getattr(Route53ResolverBackend, name)

        def purged(self, *args, _original=original, **kwargs):
            purge_region(self)
            return _original(self, *args, **kwargs)

        setattr(Route53ResolverBackend, name, purged)


_patch()
RELEASE_HOOKS.append(_purge_for_ec2)


# ------------------------------------------------------------------------------------------ matching


def _labels(name: str) -> list[str]:
    return [label for label in name.lower().rstrip(".").split(".") if label]


def _matches(domain: str, host: str) -> bool:
    d, h = _labels(domain), _labels(host)
    return d == h[-len(d):] if d else True  # "." matches everything


def _specificity(domain: str) -> int:
    return len(_labels(domain))


def _rules_for(region: str, vpc_id: str) -> list:
    backend = resolver_backend(region)
    rules = []
    for association in list(backend.resolver_rule_associations.values()):
        if association.vpc_id != vpc_id or getattr(association, "status", "COMPLETE") not in ("COMPLETE", None):
            continue
        rule = backend.resolver_rules.get(association.resolver_rule_id)
        if rule is not None:
            rules.append(rule)
    return rules


def _zones_for(vpc_id: str) -> list:
    zones = []
    for zone in list(route53_backend().zones.values()):
        if zone.private_zone and any(v.get("vpc_id") == vpc_id for v in zone.vpcs):
            zones.append(zone)
    return zones


def candidates(region: str, vpc) -> list[dict]:
    """Everything that may answer a query from `vpc`: rules, private hosted zones, endpoints' managed zones."""
    found = [{"kind": "rule", "domain": rule.domain_name, "rank": 0, "rule": rule}
             for rule in _rules_for(region, vpc.id)]
    if vpc.enable_dns_support and vpc.enable_dns_hostnames:
        found += [{"kind": "zone", "domain": zone.name, "rank": 1, "zone": zone} for zone in _zones_for(vpc.id)]
        for ep in endpoints.for_vpc(region, vpc.id):
            name = endpoints.private_dns_name(ep)
            if name and ep.state == "available":
                found.append({"kind": "endpoint-private-dns", "domain": name, "rank": 1, "endpoint": ep})
    return found


def _choose(found: list[dict], host: str, skip_rules: bool = False) -> dict | None:
    matching = [c for c in found if _matches(c["domain"], host) and not (skip_rules and c["kind"] == "rule")]
    if not matching:
        return None
    return max(matching, key=lambda c: (_specificity(c["domain"]), -c["rank"]))


# ------------------------------------------------------------------------------------------ answers


def vpce_public(region: str, host: str):
    """The endpoint whose Regional or zonal DNS name is `host` (resolved publicly), or None."""
    host = host.lower().rstrip(".")
    ec2 = backends.ec2(region)
    endpoints.purge(ec2)
    for ep in list(ec2.vpc_end_points.values()):
        names = [(e.get("dns_name") or e.get("DnsName") or "").lower() for e in (ep.dns_entries or [])
                 if isinstance(e, dict)]
        if host in names and ep.state == "available" and "vpce.amazonaws.com" in host:
            return ep
    return None


def _sg_allows_dns(ec2, group_ids, *, egress: bool, peer_ip: str) -> bool:
    for gid in group_ids:
        sg = ec2.get_security_group_from_id(gid)
        if sg is None:
            continue
        for rule in sg.egress_rules if egress else sg.ingress_rules:
            proto = (rule.ip_protocol or "").lower()
            if proto not in ("-1", "all", "udp", "17", "tcp", "6"):
                continue
            if proto not in ("-1", "all") and rule.from_port is not None and not (
                    int(rule.from_port) <= DNS_PORT <= int(rule.to_port)):
                continue
            cidr = (rule.ip_range or {}).get("CidrIp")
            if cidr and ipaddress.ip_address(peer_ip) in ipaddress.ip_network(cidr, strict=False):
                return True
    return False


def _endpoint_addresses(ec2, endpoint) -> list[tuple[str, object]]:
    """(ip, subnet) of a Resolver endpoint's network interfaces."""
    pairs = []
    for eni_id in endpoint.eni_ids:
        eni = ec2.enis.get(eni_id)
        if eni is not None:
            pairs.append((eni.private_ip_address, eni.subnet))
    return pairs


def _forward(region: str, rule, host: str, depth: int) -> dict:
    backend = resolver_backend(region)
    purge_region(backend)
    ec2 = backends.ec2(region)
    outbound = backend.resolver_endpoints.get(rule.resolver_endpoint_id or "")
    base = {"kind": "forwarded", "rule": rule.id, "domain": rule.domain_name, "addresses": [], "endpoint": None}
    if outbound is None or outbound.status != "OPERATIONAL":
        state = outbound.status if outbound is not None else "missing"
        return {**base, "reason": f"the rule {rule.id} forwards {host} from outbound endpoint "
                                  f"{rule.resolver_endpoint_id} which is {state}; the query times out",
                "failure": {"missing": "outbound-endpoint", "rule": rule.id}}
    problems: list[tuple[str, dict]] = []

    def add(reason: str, facts: dict) -> None:
        problems.append((reason, facts))

    for target in rule.target_ips or []:
        target_ip = target.get("Ip")
        for source_ip, subnet in _endpoint_addresses(ec2, outbound):
            if not _sg_allows_dns(ec2, outbound.security_group_ids, egress=True, peer_ip=target_ip):
                add(f"the outbound endpoint's security group(s) {', '.join(outbound.security_group_ids)} "
                    f"allow no DNS (port 53) to {target_ip}", {"missing": "outbound-sg", "endpoint": outbound.id})
                continue
            route = transit.path(region, subnet, source_ip, target_ip)
            if not route["ok"]:
                add(f"no route from the outbound endpoint ({source_ip}) to {target_ip}: {route['reason']}",
                    route["missing"])
                continue
            # The inbound endpoint at that address in the VPC the route leads to (another VPC may use the same
            # range and addresses behind another transit gateway).
            inbound = next((e for e in backend.resolver_endpoints.values()
                            if e.direction == "INBOUND" and e.host_vpc_id == route["dst_vpc_id"]
                            and target_ip in [ip for ip, _ in _endpoint_addresses(ec2, e)]), None)
            if inbound is None:
                add(f"no DNS server answers at {target_ip}", {"missing": "target"})
                continue
            if inbound.status != "OPERATIONAL":
                add(f"the inbound endpoint {inbound.id} at {target_ip} is {inbound.status}",
                    {"missing": "inbound-endpoint", "endpoint": inbound.id})
                continue
            if not _sg_allows_dns(ec2, inbound.security_group_ids, egress=False, peer_ip=source_ip):
                add(f"the inbound endpoint {inbound.id}'s security group(s) "
                    f"{', '.join(inbound.security_group_ids)} admit no DNS (port 53) from {source_ip}",
                    {"missing": "inbound-sg", "endpoint": inbound.id,
                     "security_groups": list(inbound.security_group_ids)})
                continue
            inner = lookup(region, ec2.get_vpc(inbound.host_vpc_id), host, depth=depth + 1)
            return {**inner, "kind": "forwarded", "rule": rule.id, "domain": rule.domain_name,
                    "via": f"rule {rule.id} -> outbound {outbound.id} -> inbound {inbound.id} ({target_ip}) -> "
                           f"{inbound.host_vpc_id}: {inner['reason']}",
                    "reason": f"{host} is forwarded by rule {rule.id} ({rule.domain_name}) through outbound endpoint "
                              f"{outbound.id} to inbound endpoint {inbound.id} in {inbound.host_vpc_id}, where "
                              f"{inner['reason']}"}
    reason, failure = problems[0] if problems else (f"the rule {rule.id} has no target", {"missing": "target"})
    return {**base, "reason": f"{host} matches rule {rule.id} ({rule.domain_name}), but the forwarded query times "
                              f"out: {reason}", "failure": failure}


def _zone_answer(region: str, zone, host: str) -> dict:
    fqdn = host.lower().rstrip(".") + "."
    base = {"kind": "zone", "zone": zone.id, "domain": zone.name, "addresses": [], "endpoint": None, "failure": None}
    for record in zone.rrsets:
        if (record.name or "").lower().rstrip(".") + "." != fqdn or record.type not in ("A", None):
            continue
        alias = record.alias_target or {}
        if alias.get("DNSName"):
            ep = vpce_public(region, alias["DNSName"])
            if ep is None:
                return {**base, "reason": f"the private hosted zone {zone.name} aliases {host} to "
                                          f"{alias['DNSName']}, which names no available endpoint",
                        "failure": {"missing": "alias-target", "zone": zone.id}}
            ips = endpoints.eni_ips(region, ep)
            return {**base, "addresses": ips, "endpoint": ep,
                    "reason": f"the private hosted zone {zone.name} answers {host} with an alias to endpoint {ep.id} "
                              f"({', '.join(ips)})"}
        ips = [r if isinstance(r, str) else r.get("Value") for r in record.records or []]
        return {**base, "addresses": [ip for ip in ips if ip], "reason": f"the private hosted zone {zone.name} "
                                                                          f"answers {host} with {', '.join(ips)}"}
    return {**base, "reason": f"the private hosted zone {zone.name} has no record for {host} (NXDOMAIN)",
            "failure": {"missing": "record", "zone": zone.id}}


def lookup(region: str, vpc, host: str, depth: int = 0) -> dict:
    """What `host` resolves to from inside `vpc`: {"kind", "addresses", "endpoint", "reason", "failure", ...}.

    kind: "forwarded", "zone", "endpoint-private-dns", "vpce-public", "public", "none"."""
    host = host.lower().rstrip(".")
    if not vpc.enable_dns_support:
        return {"kind": "none", "addresses": [], "endpoint": None, "failure": {"missing": "dns-support"},
                "reason": f"DNS resolution is off in {vpc.id} (enableDnsSupport false)"}
    found = candidates(region, vpc)
    chosen = _choose(found, host)
    if chosen is not None and chosen["kind"] == "rule" and (chosen["rule"].rule_type == "SYSTEM" or depth > 2):
        chosen = _choose(found, host, skip_rules=True)
    if chosen is not None and chosen["kind"] == "rule":
        return _forward(region, chosen["rule"], host, depth)
    if chosen is not None and chosen["kind"] == "zone":
        return _zone_answer(region, chosen["zone"], host)
    if chosen is not None:
        ep = chosen["endpoint"]
        ips = endpoints.eni_ips(region, ep)
        return {"kind": "endpoint-private-dns", "addresses": ips, "endpoint": ep, "failure": None,
                "domain": chosen["domain"],
                "reason": f"{host} resolves to the private IPs of {ep.id} ({', '.join(ips)}) through its private DNS "
                          f"in {vpc.id}"}
    ep = vpce_public(region, host)
    if ep is not None:
        ips = endpoints.eni_ips(region, ep)
        return {"kind": "vpce-public", "addresses": ips, "endpoint": ep, "failure": None,
                "reason": f"the endpoint-specific name {host} resolves publicly to the private IPs of {ep.id} "
                          f"({', '.join(ips)})"}
    return {"kind": "public", "addresses": [], "endpoint": None, "failure": None,
            "reason": f"no rule or private hosted zone of {vpc.id} matches {host}, so it resolves publicly"}
