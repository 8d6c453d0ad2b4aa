"""The network as code in a Lambda function sees it: name resolution and reachability.

The Lambda runtime (sandbox/lambda_bootstrap.py) asks `GET /_sandbox/network/route?token=T&host=H`
before every connection its code makes, and for every hostname lookup. The answer follows
how AWS documents the path from a function to a service endpoint:

- A function that is not attached to a VPC reaches public service endpoints.
- A function in a VPC resolves `<service>.<region>.amazonaws.com` to the private IPs of an
  interface endpoint when the endpoint is available, has private DNS enabled, and the VPC
  has both DNS support and DNS hostnames on. The connection then needs the endpoint's
  security group to allow TCP 443 from the function (its security group or its address),
  and the function's security group to allow that egress.
- Otherwise the name resolves to public addresses, which a function in a VPC reaches only
  through a NAT gateway: Lambda's network interfaces never get public IPs, so an internet
  gateway route is not enough.
- An endpoint-specific name (`vpce-...vpce.amazonaws.com`) resolves to that endpoint's IPs
  whatever its private DNS setting.

An unreachable target gives the client a connect timeout, never an AccessDenied.
Requests that did reach the sandbox carry `X-Sandbox-Route`, which `via(req)` turns back
into the network facts the authorizer and CloudTrail use (aws:SourceVpce and friends).
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
import uuid
from collections.abc import Callable

from . import backends, beyond, endpoints
from .server import RESET_HOOKS, AwsRequest, admin_route, json_response
from .settings import SETTINGS

_lock = threading.Lock()
_invocations: dict[str, tuple[str, str, str]] = {}  # token -> (region, function name, account)
_routes: dict[str, dict] = {}  # route id -> via facts
_MAX_ROUTES = 5000

# Connect timeout the client waits before it gives up, at timing_scale 1.0 (the workshop's function uses 5 s).
CONNECT_TIMEOUT = 5.0


# Who tells the network model where a function's code runs: `sandbox.lambda_service` registers
# `vpc_attachment(region, function_name) -> dict | None` at import (as modules register reset hooks), so this
# module never imports the Lambda service and the dependency points one way: lambda_service -> network.
_attachment_lookup: Callable[[str, str], dict | None] | None = None


def register_attachment_lookup(lookup: Callable[[str, str], dict | None]) -> None:
    global _attachment_lookup
    _attachment_lookup = lookup


def _attachment(region: str, function_name: str) -> dict | None:
    if _attachment_lookup is None:  # never guess "not in a VPC": that would route around the endpoint
        raise RuntimeError("no Lambda VPC attachment lookup is registered with sandbox.network "
                           "(sandbox.lambda_service registers it when it is imported)")
    return _attachment_lookup(region, function_name)


def register_invocation(token: str, region: str, function_name: str, account: str | None = None) -> None:
    """`account`: the function's account (the caller's by default), in which its DNS answers are looked up."""
    with _lock:
        _invocations[token] = (region, function_name, account or backends.current_account())


def unregister_invocation(token: str) -> None:
    with _lock:
        _invocations.pop(token, None)


def _reset() -> None:
    with _lock:
        _routes.clear()


RESET_HOOKS.append(_reset)


def via(req: AwsRequest) -> dict | None:
    """Network facts of a request that came from code in the sandbox's Lambda runtime, else None."""
    route_id = req.headers.get("X-Sandbox-Route")
    if not route_id:
        return None
    with _lock:
        return _routes.get(route_id)


def public_addresses(host: str) -> list[str]:
    """Stable stand-in public addresses for a service hostname (never connected to)."""
    digest = hashlib.sha256(host.encode()).digest()
    return [f"52.{94 + i}.{digest[2 * i]}.{digest[2 * i + 1] or 1}" for i in range(2)]


def _parse_service_host(host: str) -> tuple[str, str] | None:
    """`bedrock-runtime.us-east-1.amazonaws.com` -> ("bedrock-runtime", "us-east-1")."""
    host = host.lower().rstrip(".")
    if host.endswith(".vpce.amazonaws.com"):  # vpce-<id>-<suffix>[-<az>].<service>.<region>.vpce.amazonaws.com
        labels = host[: -len(".vpce.amazonaws.com")].split(".")
        return (labels[-2], labels[-1]) if len(labels) >= 3 else None
    if not host.endswith(".amazonaws.com"):
        return None
    labels = host[: -len(".amazonaws.com")].split(".")
    if len(labels) == 2:
        return labels[0], labels[1]
    if len(labels) == 1:  # global endpoints such as sts.amazonaws.com, iam.amazonaws.com
        return labels[0], "us-east-1"
    return None


def _eni_ips(ec2, ep) -> list[str]:
    ips = []
    for eni_id in ep.network_interface_ids or []:
        eni = ec2.enis.get(eni_id)
        if eni is not None:
            ips.append(eni.private_ip_address)
    return ips


def _dns_names(ep) -> list[str]:
    return [e.get("dns_name") or e.get("DnsName") for e in (ep.dns_entries or []) if isinstance(e, dict)]


def _port_rule_allows(rule, port: int) -> bool:
    proto = (rule.ip_protocol or "").lower()
    if proto in ("-1", "all"):
        return True
    if proto not in ("tcp", "6"):
        return False
    if rule.from_port is None:
        return True
    return int(rule.from_port) <= port <= int(rule.to_port)


def _rule_peer_matches(rule, peer_ip: str, peer_groups: set[str]) -> bool:
    if rule.source_group and rule.source_group.get("GroupId") in peer_groups:
        return True
    cidr = (rule.ip_range or {}).get("CidrIp")
    if cidr:
        try:
            return ipaddress.ip_address(peer_ip) in ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return False
    return False


def _sg_allows(ec2, group_ids, *, egress: bool, peer_ip: str, peer_groups: set[str], port: int = 443) -> bool:
    for gid in group_ids:
        sg = ec2.get_security_group_from_id(gid)
        if sg is None:
            continue
        rules = sg.egress_rules if egress else sg.ingress_rules
        for rule in rules:
            if _port_rule_allows(rule, port) and _rule_peer_matches(rule, peer_ip, peer_groups):
                return True
    return False


def _has_nat_route(ec2, subnet) -> bool:
    rt = backends.route_table_for(ec2, subnet)
    if rt is None:
        return False
    return any(r.destination_cidr_block == "0.0.0.0/0" and r.nat_gateway is not None for r in rt.routes)


def _has_igw_route(ec2, subnet) -> bool:
    rt = backends.route_table_for(ec2, subnet)
    if rt is None:
        return False
    return any(r.destination_cidr_block == "0.0.0.0/0" and r.gateway is not None for r in rt.routes)


def _new_route(facts: dict) -> str:
    route_id = "rt-" + uuid.uuid4().hex[:16]
    with _lock:
        if len(_routes) >= _MAX_ROUTES:
            for key in list(_routes)[: _MAX_ROUTES // 2]:
                del _routes[key]
        _routes[route_id] = facts
    return route_id


def resolve(region: str, function_name: str, host: str) -> dict:
    """Where `host` resolves and whether the function can reach it. See the module docstring."""
    host = host.lower().rstrip(".")
    answer = {"host": host, "addresses": [], "reachable": False, "reason": "", "route_id": None,
              "connect_wait": CONNECT_TIMEOUT * SETTINGS.timing_scale}
    parsed = _parse_service_host(host)
    if parsed is None:
        answer["reason"] = f"{host} is not an AWS service hostname; the sandbox has no internet"
        return answer
    service, _ = parsed
    attachment = _attachment(region, function_name)
    if attachment is None:
        answer.update(addresses=public_addresses(host), reachable=True,
                      reason=f"the function is not attached to a VPC, so it reaches the public {host}")
        answer["route_id"] = _new_route({"kind": "public", "vpce_id": None, "vpc_id": None,
                                         "source_ip": public_addresses("lambda." + region)[0],
                                         "function": function_name})
        return answer

    ec2 = backends.ec2(region)
    vpc = ec2.get_vpc(attachment["vpc_id"])
    subnet_id = attachment["subnet_ids"][0]
    subnet = ec2.get_subnet(subnet_id)
    eni = ec2.enis.get(attachment["eni_ids"].get(subnet_id, ""))
    source_ip = eni.private_ip_address if eni is not None else None
    fn_groups = set(attachment["security_group_ids"])

    if not vpc.enable_dns_support:
        answer["reason"] = (f"DNS resolution is off in {vpc.id} (enableDnsSupport false), "
                            f"so {host} does not resolve")
        return answer

    # Beyond one VPC (notebook 06): Resolver rules, private hosted zones, endpoints in other VPCs (sandbox/beyond.py).
    crossing = beyond.resolve(region, vpc, subnet, source_ip, fn_groups, host, sg_allows=_sg_allows)
    if crossing is not None:
        facts = crossing.pop("route", None)
        answer.update(crossing)
        if facts is not None:
            answer["route_id"] = _new_route({**facts, "function": function_name})
        return answer

    # Which interface endpoint, if any, answers for this name?
    service_name = f"com.amazonaws.{region}.{service}"
    chosen, why_not = None, []
    for ep in ec2.vpc_end_points.values():
        if ep.vpc_id != vpc.id or (ep.vpc_endpoint_type or "").lower() != "interface":
            continue
        state = endpoints.state(ep)
        if host.endswith(".vpce.amazonaws.com"):
            if host in _dns_names(ep) and state == "available":
                chosen = ep
                break
            continue
        if ep.service_name != service_name:
            continue
        if state != "available":
            why_not.append(f"endpoint {ep.id} is {state}")
        elif not ep.private_dns_enabled:
            why_not.append(f"endpoint {ep.id} has private DNS disabled")
        elif not vpc.enable_dns_hostnames:
            why_not.append(f"{vpc.id} has DNS hostnames off (enableDnsHostnames false), "
                           f"so the private DNS of endpoint {ep.id} does not apply")
        else:
            chosen = ep

    if chosen is not None:
        ips = _eni_ips(ec2, chosen)
        answer["addresses"] = ips
        ingress_ok = _sg_allows(ec2, chosen.security_group_ids, egress=False,
                                peer_ip=source_ip or "", peer_groups=fn_groups)
        egress_ok = any(
            _sg_allows(ec2, fn_groups, egress=True, peer_ip=ip, peer_groups=set(chosen.security_group_ids))
            for ip in ips
        )
        if not ingress_ok:
            answer["reason"] = (f"{host} resolves to endpoint {chosen.id} ({', '.join(ips)}), but its security "
                                f"group(s) {', '.join(chosen.security_group_ids)} allow no TCP 443 from the "
                                f"function's security group(s) {', '.join(sorted(fn_groups))} or {source_ip}")
            return answer
        if not egress_ok:
            answer["reason"] = (f"the function's security group(s) {', '.join(sorted(fn_groups))} allow no "
                                f"TCP 443 egress to endpoint {chosen.id} ({', '.join(ips)})")
            return answer
        answer.update(reachable=True, reason=f"{host} resolves to the private IPs of {chosen.id} in {vpc.id}")
        answer["route_id"] = _new_route({"kind": "vpce", "vpce_id": chosen.id, "vpc_id": vpc.id,
                                         "source_ip": source_ip, "function": function_name})
        return answer

    if host.endswith(".vpce.amazonaws.com"):
        answer["reason"] = f"no available endpoint in {vpc.id} has the DNS name {host}"
        return answer
    answer["addresses"] = public_addresses(host)
    prefix = (f"no interface endpoint for {service_name} with private DNS serves {vpc.id}"
              + (f" ({'; '.join(why_not)})" if why_not else "")
              + f", so {host} resolves to public addresses")
    if _has_nat_route(ec2, subnet):
        answer.update(reachable=True, reason=prefix + f", reached through the NAT gateway of {subnet.id}")
        answer["route_id"] = _new_route({"kind": "public", "vpce_id": None, "vpc_id": vpc.id,
                                         "source_ip": public_addresses("nat." + subnet.id)[0],
                                         "function": function_name})
    elif _has_igw_route(ec2, subnet):
        answer["reason"] = (prefix + f"; {subnet.id} routes to an internet gateway, but Lambda network "
                            "interfaces have no public IP, so only a NAT gateway gives internet access")
    else:
        answer["reason"] = prefix + f"; {subnet.id} has no route to the internet"
    return answer


@admin_route("/_sandbox/network/route")
def _route(req: AwsRequest):
    token, host = req.query.get("token", ""), req.query.get("host", "")
    with _lock:
        invocation = _invocations.get(token)
    if invocation is None:
        return json_response({"error": "unknown invocation token"}, 404)
    region, function_name, account = invocation
    with backends.acting_as(account):  # admin requests carry no credentials: act in the function's account
        return json_response(resolve(region, function_name, host))
