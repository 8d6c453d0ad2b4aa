"""Beyond one VPC (issue 17, notebook 06): where a function's hostname lookup and connection go when the answer
comes from Route 53 Resolver rules, private hosted zones or an endpoint in another VPC.

`sandbox.network.resolve` asks `resolve(...)` first. It returns None when the answer is the one-VPC case that
network.py already models (the function's own VPC endpoint with private DNS, an endpoint-specific name of an
endpoint in the same VPC, or a public name), and otherwise the answer: the addresses from `sandbox.resolver`, and
whether the function reaches them, which needs the routes and transit gateway of `sandbox.transit` both ways, the
endpoint's security group to admit TCP 443 from the function's address (across VPCs only a CIDR rule can match),
and the function's security group to allow that egress.
"""

from __future__ import annotations

from collections.abc import Callable

from . import resolver, transit


def resolve(region: str, vpc, subnet, source_ip: str | None, fn_groups: set[str], host: str,
            sg_allows: Callable[..., bool]) -> dict | None:
    dns = resolver.lookup(region, vpc, host)
    ep = dns.get("endpoint")
    if dns["kind"] == "public":
        return None
    if dns["kind"] in ("endpoint-private-dns", "vpce-public") and ep is not None and ep.vpc_id == vpc.id:
        return None
    answer = {"addresses": list(dns["addresses"]), "reachable": False, "dns": {k: v for k, v in dns.items()
                                                                             if k not in ("endpoint",)}}
    if dns.get("failure") or not dns["addresses"]:
        answer["reason"] = dns["reason"]
        answer["failure"] = dns.get("failure") or {"missing": "address"}
        return answer
    if ep is None:
        answer["reason"] = (f"{dns['reason']}; nothing at {', '.join(dns['addresses'])} is reachable from "
                            f"{vpc.id} in the sandbox")
        answer["failure"] = {"missing": "service"}
        return answer
    from . import backends

    ec2 = backends.ec2(region)
    ips = list(dns["addresses"])
    route = transit.path(region, subnet, source_ip or "", ips[0])
    if route["ok"] and route["dst_vpc_id"] != ep.vpc_id:  # the same range in another VPC, behind another gateway
        route = {**route, "ok": False, "reason": f"{ips[0]} is routed to {route['dst_vpc_id']}, not to {ep.vpc_id}",
                 "missing": {"missing": "tgw-route", "destination": ips[0]}}
    if not route["ok"]:
        answer["reason"] = f"{dns['reason']}, but there is no route: {route['reason']}"
        answer["failure"] = route["missing"]
        return answer
    if not sg_allows(ec2, ep.security_group_ids, egress=False, peer_ip=source_ip or "", peer_groups=set()):
        answer["reason"] = (f"{dns['reason']}, but the endpoint's security group(s) "
                            f"{', '.join(ep.security_group_ids)} admit no TCP 443 from {source_ip} "
                            f"({subnet.vpc_id})")
        answer["failure"] = {"missing": "endpoint-sg", "security_groups": list(ep.security_group_ids),
                             "source_ip": source_ip}
        return answer
    if not any(sg_allows(ec2, fn_groups, egress=True, peer_ip=ip, peer_groups=set()) for ip in ips):
        answer["reason"] = (f"{dns['reason']}, but the function's security group(s) {', '.join(sorted(fn_groups))} "
                            f"allow no TCP 443 egress to {', '.join(ips)}")
        answer["failure"] = {"missing": "client-sg"}
        return answer
    answer.update(reachable=True, reason=f"{dns['reason']}; reached {ep.id} through {route['reason']}")
    answer["route"] = {"kind": "vpce", "vpce_id": ep.id, "vpc_id": ep.vpc_id, "source_ip": source_ip,
                       "source_vpc_id": vpc.id, "transit_gateway": route.get("transit_gateway")}
    return answer
