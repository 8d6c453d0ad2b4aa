"""Finding the workshop's VPC endpoints and their network interfaces.

The notebooks call create_vpc_endpoint / modify_vpc_endpoint / delete_vpc_endpoints
themselves; these helpers find what exists (by VPC, service and Name tag) and wait.
"""

from __future__ import annotations

import ipaddress

from .lang import _
from .waiting import wait_until

GONE_STATES = {"deleted", "deleting", "failed", "rejected", "expired"}


class EndpointMissing(LookupError):
    """No usable endpoint; the message says which notebook creates it."""


def service_name(region: str, service: str = "bedrock-runtime") -> str:
    """com.amazonaws.<region>.bedrock-runtime (data plane) or .bedrock (control plane)."""
    return f"com.amazonaws.{region}.{service}"


def find(ec2, vpc_id: str, service: str, name: str | None = None) -> dict | None:
    """The live endpoint for `service` in `vpc_id` (optionally with Name tag `name`), or None."""
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "service-name", "Values": [service]}]
    if name:
        filters.append({"Name": "tag:Name", "Values": [name]})
    endpoints = ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]
    live = [e for e in endpoints if e["State"].lower() not in GONE_STATES]
    live.sort(key=lambda e: e.get("CreationTimestamp") or 0)
    return live[0] if live else None


def find_all(ec2, vpc_ids: list[str] | None = None, tag_filters: list[dict] | None = None) -> list[dict]:
    """Every live endpoint in these VPCs and/or with these tags."""
    found: dict[str, dict] = {}
    if vpc_ids:
        for e in ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": list(vpc_ids)}])["VpcEndpoints"]:
            found[e["VpcEndpointId"]] = e
    if tag_filters:
        for e in ec2.describe_vpc_endpoints(Filters=tag_filters)["VpcEndpoints"]:
            found[e["VpcEndpointId"]] = e
    return [e for e in found.values() if e["State"].lower() not in GONE_STATES]


def require(ec2, vpc_id: str, region: str, name: str) -> dict:
    """The bedrock-runtime endpoint created by notebook 02, or EndpointMissing."""
    ep = find(ec2, vpc_id, service_name(region), name)
    if ep is None:
        raise EndpointMissing(_("No bedrock-runtime endpoint named {name} in {vpc}. "
                                "Run notebook 02_vpc_endpoint.").format(name=name, vpc=vpc_id))
    return ep


def describe_one(ec2, endpoint_id: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        eps = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    except ClientError as exc:
        if "NotFound" in exc.response["Error"]["Code"]:
            return None
        raise
    return eps[0] if eps else None


def wait_available(ec2, endpoint_id: str, timeout: float = 600) -> dict:
    """Wait for State 'available' (typically one to two minutes on AWS)."""

    def check():
        ep = describe_one(ec2, endpoint_id)
        if ep is None:
            raise EndpointMissing(_("{endpoint} disappeared while waiting for it").format(endpoint=endpoint_id))
        if ep["State"].lower() in ("failed", "rejected"):
            reason = (ep.get("LastError") or {}).get("Message", _("no reason given"))
            raise RuntimeError(_("The endpoint {endpoint} is {state}: {reason}. "
                                 "Run notebook 07, then 02 again.").format(
                endpoint=endpoint_id, state=ep["State"], reason=reason))
        return ep

    return wait_until(check, what=_("endpoint {endpoint} to be available").format(endpoint=endpoint_id),
                      timeout=timeout,
                      until=lambda ep: ep["State"].lower() == "available", status=lambda ep: ep["State"],
                      hint=_("Check the endpoint in the VPC console; notebook 02's troubleshooting lists causes."))


def wait_deleted(ec2, endpoint_ids: list[str], timeout: float = 600) -> None:
    if not endpoint_ids:
        return

    def check():
        left = [describe_one(ec2, i) for i in endpoint_ids]  # one at a time: a vanished ID is NotFound
        return [e for e in left if e is not None and e["State"].lower() != "deleted"]

    wait_until(check, what=_("endpoint(s) {endpoints} to be deleted").format(endpoints=", ".join(endpoint_ids)),
               timeout=timeout,
               until=lambda left: not left,
               status=lambda left: ", ".join(f"{e['VpcEndpointId']}={e['State']}" for e in left) or _("gone"))


def interfaces(ec2, endpoint: dict) -> list[dict]:
    """The endpoint's ENIs (one per subnet), from DescribeNetworkInterfaces."""
    ids = endpoint.get("NetworkInterfaceIds") or []
    if not ids:
        return []
    return ec2.describe_network_interfaces(NetworkInterfaceIds=ids)["NetworkInterfaces"]


def private_ips(enis: list[dict]) -> list[str]:
    return sorted({a["PrivateIpAddress"] for n in enis for a in n.get("PrivateIpAddresses", [])
                   if a.get("PrivateIpAddress")} | {n["PrivateIpAddress"] for n in enis if n.get("PrivateIpAddress")})


def in_cidr(addresses: list[str], cidr: str) -> bool:
    net = ipaddress.ip_network(cidr)
    return bool(addresses) and all(ipaddress.ip_address(a) in net for a in addresses)
