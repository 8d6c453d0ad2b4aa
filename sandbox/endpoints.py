"""Interface VPC endpoints as AWS PrivateLink has them (issue 2, section 5).

moto 5.2.1 gives an interface endpoint ENIs with random IPs outside the subnet, no
validation, one made-up DNS name and no life cycle. This module patches moto's EC2 backend
in-process so that, through the ordinary EC2 API (and CloudFormation):

- CreateVpcEndpoint (Interface) checks the service exists (DescribeVpcEndpointServices), the
  subnets (in the VPC, one per Availability Zone, in an AZ the service supports) and the security
  groups (in the VPC), and the private DNS rules (VPC enableDnsSupport + enableDnsHostnames, only
  one endpoint with private DNS per service name per VPC). Error codes and texts are AWS's.
- One ENI per subnet, with a private IP inside the subnet CIDR, Description
  "VPC Endpoint Interface vpce-...", InterfaceType vpc_endpoint, RequesterManaged, the endpoint's
  security groups, status in-use.
- DnsEntries as AWS lists them: the regional name, one name per AZ, then the private DNS name.
- State pending -> available after SETTINGS.delay("endpoint_pending"); DeleteVpcEndpoints ->
  deleting -> gone after SETTINGS.delay("endpoint_deleting"), then the ENIs are released. Both are
  computed from timestamps when read (no threads).
- ModifyVpcEndpoint: PolicyDocument (validated), ResetPolicy, PrivateDnsEnabled, add/remove
  subnets and security groups.
- DescribeVpcEndpointServices lists every Bedrock PrivateLink service of the Amazon Bedrock User Guide's
  page "Use interface VPC endpoints (AWS PrivateLink) ...": bedrock, bedrock-runtime, bedrock-mantle,
  bedrock-agent and bedrock-agent-runtime (awsfacts.bedrock_endpoints; bedrock-mantle only in the Regions
  awsfacts.bedrock_endpoints.MANTLE_REGIONS lists), with their AZs and private DNS
  names: <suffix>.<region>.amazonaws.com, and bedrock-mantle.<region>.api.aws for Mantle, whose public
  hostname is on api.aws. In us-east-1, bedrock-runtime is offered in every AZ but us-east-1e (use1-az3,
  the constrained zone that many newer services skip), so the workshop's AZ choice matters: an endpoint
  subnet in us-east-1e gets AWS's InvalidParameter error.

Helpers for the network model: `for_vpc`, `state`, `eni_ips`, `private_dns_name`, `service_short_name`.
Fault injection: SETTINGS.faults["endpoint_create_failure"] (a count, or {"count", "code", "message"}).
"""

from __future__ import annotations

import json
import random
import string
from datetime import timedelta
from typing import Any

from awsfacts.bedrock_endpoints import BEDROCK_PRIVATELINK_SERVICES
from awsfacts.bedrock_endpoints import offered as _offered
from awsfacts.bedrock_endpoints import private_dns_name as _service_dns_name
from iampolicy import evaluator as policy

from . import backends, transit
from .moto_fixes.ec2 import RELEASE_HOOKS
from .settings import LOCK, SETTINGS

DEFAULT_POLICY = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
BEDROCK_SERVICES = tuple(BEDROCK_PRIVATELINK_SERVICES)
# (region, service short name) -> AZ names the service is NOT offered in (see module docstring).
UNSUPPORTED_AZS = {("us-east-1", "bedrock-runtime"): {"us-east-1e"}}
# Route 53 hosted zone of the regional *.vpce.amazonaws.com names (public AWS values).
VPCE_HOSTED_ZONES = {"us-east-1": "Z7HUB22UULQXV", "us-east-2": "ZC8PG0KIFKBRI", "us-west-2": "Z1YSA3EXCYUU9Z",
                     "eu-west-1": "Z38GZ743OKFT7T", "ap-northeast-1": "Z2E726K9Y6RL4W"}
ENDPOINT_ENI_REQUESTER = "727180483921"  # AWS-owned principal that manages endpoint ENIs (as shown by AWS)


def _now():
    from moto.core.utils import utcnow

    return utcnow()


def _err(code: str, message: str):
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(code, message)


def _rand(n: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    return "".join(random.choice(alphabet) for _ in range(n))


# ------------------------------------------------------------------------------------------ services


def _adjust_services(region: str, services: list[dict]) -> list[dict]:
    """Make the Bedrock services complete and realistic (idempotent; moto caches the list)."""
    names = {s["ServiceName"]: s for s in services}
    zones = sorted({z for s in services for z in s.get("AvailabilityZones", [])}) or [f"{region}a", f"{region}b"]
    for short in BEDROCK_SERVICES:
        name = f"com.amazonaws.{region}.{short}"
        svc = names.get(name)
        if not _offered(short, region):  # bedrock-mantle only in the Regions AWS lists for it
            if svc is not None:
                services.remove(svc)
            continue
        if svc is None:
            from moto.core.base_backend import BaseBackend

            svc = BaseBackend.default_vpc_endpoint_service_factory(region, zones, short)[0]
            services.append(svc)
        skip = UNSUPPORTED_AZS.get((region, short), set())
        svc["AvailabilityZones"] = [z for z in zones if z not in skip]
        svc["ServiceType"] = [{"ServiceType": "Interface"}]
        svc["PrivateDnsName"] = _service_dns_name(short, region)
        svc["PrivateDnsNames"] = [{"PrivateDnsName": svc["PrivateDnsName"]}]
        svc["PrivateDnsNameVerificationState"] = "verified"
        svc["BaseEndpointDnsNames"] = [f"{short}.{region}.vpce.amazonaws.com"]
        svc["VpcEndpointPolicySupported"] = BEDROCK_PRIVATELINK_SERVICES[short]["endpoint_policy"] is True
        svc["AcceptanceRequired"] = False
        svc["ManagesVpcEndpoints"] = False
        svc["Owner"] = "amazon"
        svc.setdefault("SupportedIpAddressTypes", ["ipv4"])
    return services


def service_details(backend, service_name: str) -> dict | None:
    """The DescribeVpcEndpointServices entry for a service name, or None."""
    for svc in backend._collect_default_endpoint_services(backend.account_id, backend.region_name):
        if svc["ServiceName"] == service_name:
            return svc
    for config in backend.configurations.values():
        svc = config.to_dict()
        if svc.get("ServiceName") == service_name:
            return svc
    return None


def service_short_name(ep_or_name: Any, region: str | None = None) -> str:
    """"bedrock-runtime" for com.amazonaws.us-east-1.bedrock-runtime."""
    name = ep_or_name if isinstance(ep_or_name, str) else ep_or_name.service_name
    parts = name.split(".")
    if region and f".{region}." in f".{name}.":
        return name.split(f".{region}.", 1)[1]
    return ".".join(parts[3:]) if len(parts) > 3 else parts[-1]


# ------------------------------------------------------------------------------------------ policy


def validate_policy(document: str | None) -> str | None:
    """The endpoint policy as stored, or None for the default; InvalidPolicyDocument if malformed."""
    if document is None or document == "":
        return None
    try:
        parsed = json.loads(document)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        raise _err("InvalidPolicyDocument",
                   f"The Policy Document is not valid. Syntax error at position ({line},{col})") from exc
    if not isinstance(parsed, dict):
        raise _err("InvalidPolicyDocument", "The Policy Document is not valid. Syntax error at position (1,1)")
    try:
        policy.parse_policy(parsed, kind="resource")
    except policy.PolicyError as exc:
        detail = f" {exc.detail}" if exc.detail else ""
        raise _err("InvalidPolicyDocument", f"The Policy Document is not valid. {exc.message}{detail}") from exc
    return document


# ------------------------------------------------------------------------------------------ ENIs and DNS


def _create_eni(backend, ep, subnet_id: str):
    subnet = backend.get_subnet(subnet_id)
    ip = transit.free_ip(subnet, random_tries=200)
    eni = backend.create_network_interface(subnet, ip, group_ids=list(ep.security_group_ids),
                                           description=f"VPC Endpoint Interface {ep.id}")
    subnet.request_ip(ip, eni)
    eni.interface_type = "vpc_endpoint"
    eni.requester_managed = True
    eni.requester_id = ENDPOINT_ENI_REQUESTER
    eni.status = "in-use"
    eni.vpc_endpoint_id = ep.id
    return eni


def _release_eni(backend, eni_id: str) -> None:
    eni = backend.enis.pop(eni_id, None)
    if eni is None:
        return
    for address in eni.private_ip_addresses:
        try:
            eni.subnet.del_subnet_ip(address["PrivateIpAddress"])
        except Exception:  # noqa: BLE001 - not registered
            pass


def _sync_enis(backend, ep) -> None:
    by_subnet: dict[str, str] = ep.__dict__.setdefault("_eni_by_subnet", {})
    for subnet_id in ep.subnet_ids:
        if subnet_id not in by_subnet:
            by_subnet[subnet_id] = _create_eni(backend, ep, subnet_id).id
    for subnet_id in list(by_subnet):
        if subnet_id not in ep.subnet_ids:
            _release_eni(backend, by_subnet.pop(subnet_id))
    ep.network_interface_ids = [by_subnet[s] for s in ep.subnet_ids]
    groups = [g for g in (backend.get_security_group_from_id(i) for i in ep.security_group_ids) if g]
    for eni_id in ep.network_interface_ids:
        if eni_id in backend.enis:
            backend.enis[eni_id]._group_set = list(groups)


def _set_dns(backend, ep) -> None:
    region = backend.region_name
    short = service_short_name(ep, region)
    suffix = ep.__dict__.setdefault("_dns_suffix", _rand(8))
    zone = VPCE_HOSTED_ZONES.get(region) or ep.__dict__.setdefault("_vpce_zone", "Z" + _rand(12, string.ascii_uppercase
                                                                                               + string.digits))
    base = f"{short}.{region}.vpce.amazonaws.com"
    entries = [{"DnsName": f"{ep.id}-{suffix}.{base}", "HostedZoneId": zone}]
    for subnet_id in ep.subnet_ids:
        az = backend.get_subnet(subnet_id).availability_zone
        entries.append({"DnsName": f"{ep.id}-{suffix}-{az}.{base}", "HostedZoneId": zone})
    name = private_dns_name(ep)
    if name:
        private_zone = ep.__dict__.setdefault("_private_zone", "Z" + _rand(20, string.ascii_uppercase + string.digits))
        entries.append({"DnsName": name, "HostedZoneId": private_zone})
        dualstack = _dualstack_hostname(short, region)
        if dualstack and dualstack != name:
            # A service with a dual-stack hostname has it in a second private hosted zone: AWS lists five
            # DnsEntries for a two-subnet CloudWatch Logs endpoint with private DNS (regional, two zonal, two
            # private; tests/parity/cases/ec2.json). The hostname comes from botocore's endpoint data.
            zone2 = ep.__dict__.setdefault("_private_zone_2", "Z" + _rand(20, string.ascii_uppercase + string.digits))
            entries.append({"DnsName": dualstack, "HostedZoneId": zone2})
    ep.dns_entries = entries


def _dualstack_hostname(short: str, region: str) -> str | None:
    """The service's dual-stack hostname in the region (logs.us-east-1.api.aws) if botocore's endpoint data
    lists one for it, else None."""
    import botocore.loaders

    global _ENDPOINT_DATA
    if _ENDPOINT_DATA is None:
        _ENDPOINT_DATA = botocore.loaders.create_loader().load_data("endpoints")
    for partition in _ENDPOINT_DATA.get("partitions", []):
        endpoint = partition.get("services", {}).get(short, {}).get("endpoints", {}).get(region)
        for variant in (endpoint or {}).get("variants", []):
            if variant.get("tags") == ["dualstack"] and variant.get("hostname"):
                return variant["hostname"]
    return None


_ENDPOINT_DATA: dict | None = None


# ------------------------------------------------------------------------------------------ validation


def _check_subnets(backend, ep_vpc_id: str, service: dict, subnet_ids: list[str], existing: list[str]) -> None:
    zones = {backend.get_subnet(s).availability_zone: s for s in existing}
    for subnet_id in subnet_ids:
        subnet = backend.get_subnet(subnet_id)
        if subnet.vpc_id != ep_vpc_id:
            raise _err("InvalidParameter", f"The subnet ID '{subnet_id}' does not belong to the VPC '{ep_vpc_id}'.")
        if subnet.availability_zone not in service.get("AvailabilityZones", []):
            raise _err("InvalidParameter", f"The VPC endpoint service {service['ServiceName']} does not support the "
                                           f"availability zone of the subnet: {subnet_id}.")
        if subnet.availability_zone in zones and zones[subnet.availability_zone] != subnet_id:
            raise _err("DuplicateSubnetsInSameZone",
                       f"Found another VPC endpoint subnet in the availability zone of {subnet_id}. VPC endpoint "
                       "subnets should be in different availability zones supported by the VPC endpoint service.")
        zones[subnet.availability_zone] = subnet_id


def _check_groups(backend, vpc_id: str, group_ids: list[str], subnet_ids: list[str]) -> None:
    for group_id in group_ids:
        group = backend.get_security_group_from_id(group_id)
        if group is None:
            raise _err("InvalidGroup.NotFound", f"The security group '{group_id}' does not exist")
        if group.vpc_id != vpc_id:
            subnet = subnet_ids[0] if subnet_ids else vpc_id
            raise _err("InvalidParameter", f"Security group {group_id} and subnet {subnet} belong to different "
                                           "networks.")


def _check_private_dns(backend, vpc_id: str, service: dict, exclude_id: str | None = None) -> None:
    name = service.get("PrivateDnsName")
    if not name:
        raise _err("InvalidParameter", f"Private DNS can't be enabled because the service {service['ServiceName']} "
                                       "does not provide a private DNS name.")
    vpc = backend.get_vpc(vpc_id)
    if not (_truthy(vpc.enable_dns_support) and _truthy(vpc.enable_dns_hostnames)):
        raise _err("InvalidParameter", "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames "
                                       f"VPC attributes set to true for {vpc_id}")
    purge(backend)
    for other in backend.vpc_end_points.values():
        if other.id != exclude_id and other.vpc_id == vpc_id and other.service_name == service["ServiceName"] \
                and _truthy(other.private_dns_enabled) and other.state != "deleted":
            raise _err("InvalidParameter", f"private-dns-enabled cannot be set because there is already a conflicting "
                                           f"DNS domain for {name} in the VPC {vpc_id}")


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _take_fault() -> None:
    with LOCK:
        value = SETTINGS.faults.get("endpoint_create_failure")
        if not value:
            return
        spec = value if isinstance(value, dict) else {"count": int(value)}
        count = int(spec.get("count", 1))
        if count <= 1:
            SETTINGS.faults.pop("endpoint_create_failure", None)
        else:
            SETTINGS.faults["endpoint_create_failure"] = dict(spec, count=count - 1) if isinstance(value, dict) \
                else count - 1
    raise _err(spec.get("code", "VpcEndpointLimitExceeded"),
               spec.get("message", "The maximum number of VPC endpoints has been reached."))


# ------------------------------------------------------------------------------------------ life cycle


def state(ep) -> str:
    """pending / available / deleting / deleted, computed from timestamps."""
    return ep.state


def purge(backend) -> None:
    """Remove interface endpoints whose deletion delay has passed, releasing their ENIs."""
    now = _now()
    for ep_id, ep in list(backend.vpc_end_points.items()):
        gone_at = ep.__dict__.get("_gone_at")
        if gone_at is not None and gone_at <= now:
            for eni_id in list(ep.__dict__.get("_eni_by_subnet", {}).values()) + list(ep.network_interface_ids or []):
                _release_eni(backend, eni_id)
            backend.vpc_end_points.pop(ep_id, None)


def for_vpc(region: str, vpc_id: str) -> list:
    """The VPC's endpoints that still exist (any state but gone)."""
    backend = backends.ec2(region)
    purge(backend)
    return [ep for ep in list(backend.vpc_end_points.values()) if ep.vpc_id == vpc_id and ep.state != "deleted"]


def eni_ips(region: str, ep) -> list[str]:
    """Private IPs of the endpoint's ENIs, in subnet order."""
    backend = backends.ec2(region)
    return [backend.enis[i].private_ip_address for i in ep.network_interface_ids or [] if i in backend.enis]


def private_dns_name(ep) -> str | None:
    """The service's hostname (bedrock-runtime.us-east-1.amazonaws.com) when private DNS is on, else None."""
    if (ep.vpc_endpoint_type or "").lower() != "interface" or not _truthy(ep.private_dns_enabled):
        return None
    svc = service_details(ep.ec2_backend, ep.service_name)
    return (svc or {}).get("PrivateDnsName")


def _patch() -> None:
    from moto.ec2.models.vpcs import VPCBackend, VPCEndPoint

    def get_state(self):
        raw = self.__dict__.get("_raw_state", "available")
        if raw == "deleted":
            return raw
        if self.__dict__.get("_gone_at") is not None:
            return "deleting"
        available_at = self.__dict__.get("_available_at")
        if available_at is not None and _now() < available_at:
            return "pending"
        return raw

    def set_state(self, value):
        self.__dict__["_raw_state"] = value

    VPCEndPoint.state = property(get_state, set_state)

    collect = VPCBackend._collect_default_endpoint_services

    def collect_services(account_id: str, region: str):
        return _adjust_services(region, collect(account_id, region))

    VPCBackend._collect_default_endpoint_services = staticmethod(collect_services)

    filter_services = VPCBackend._filter_endpoint_services

    def filter_endpoint_services(service_names_filters, filters, services):
        """moto 5.2.1 reads a filter's values from "Value" (a KeyError, so HTTP 500, for botocore's "Values") and
        compares service names exactly. EC2 filter values take the wildcards * and ? (Amazon EC2 API Reference,
        "Filter"), e.g. service-name = com.amazonaws.us-east-1.bedrock*. Shaped to be proposed upstream."""
        import fnmatch

        names = [f for f in filters or [] if f.get("Name") == "service-name"]
        others = [f for f in filters or [] if f.get("Name") != "service-name"]
        kept = filter_services(service_names_filters, [dict(f, Value=f.get("Values") or f.get("Value") or [])
                                                       for f in others], services)
        for item in names:
            patterns = item.get("Values") or item.get("Value") or []
            kept = [svc for svc in kept if any(fnmatch.fnmatchcase(svc["ServiceName"], p) for p in patterns)]
        return kept

    VPCBackend._filter_endpoint_services = staticmethod(filter_endpoint_services)

    create = VPCBackend.create_vpc_endpoint

    def create_vpc_endpoint(self, vpc_id, service_name, endpoint_type, policy_document, route_table_ids,
                            subnet_ids=None, network_interface_ids=None, dns_entries=None, client_token=None,
                            security_group_ids=None, tags=None, private_dns_enabled=None):
        """CreateVpcEndpoint with AWS's checks; see the module docstring."""
        if client_token:
            for ep in self.vpc_end_points.values():
                if ep.client_token == client_token and ep.state != "deleted":
                    return ep  # idempotent retry, as AWS
        _take_fault()
        self.get_vpc(vpc_id)
        service = service_details(self, service_name)
        if service is None:
            from moto.ec2.exceptions import InvalidServiceName

            raise InvalidServiceName(service_name)
        policy = validate_policy(policy_document)
        kind = (endpoint_type or "Gateway").lower()
        if kind != "interface":
            ep = create(self, vpc_id, service_name, endpoint_type, policy, route_table_ids or [], subnet_ids,
                        network_interface_ids, dns_entries, client_token, security_group_ids, tags, False)
            ep.private_dns_enabled = False
            return ep
        subnet_ids = list(dict.fromkeys(subnet_ids or []))
        security_group_ids = list(dict.fromkeys(security_group_ids or []))
        _check_subnets(self, vpc_id, service, subnet_ids, [])
        _check_groups(self, vpc_id, security_group_ids, subnet_ids)
        if not security_group_ids:
            default = self.get_security_group_by_name_or_id("default", vpc_id=vpc_id)
            security_group_ids = [default.id] if default else []
        # The EC2 API defaults PrivateDnsEnabled to true (moto passes True); CloudFormation to false (None).
        private_dns = _truthy(private_dns_enabled)
        if private_dns:
            _check_private_dns(self, vpc_id, service)
        # An interface endpoint's default policy has no Version (as AWS lists it; moto's default, that of
        # gateway endpoints, has "2008-10-17").
        ep = create(self, vpc_id, service_name, "Interface", policy or json.dumps(DEFAULT_POLICY), [], [], None,
                    None, client_token, security_group_ids, tags, private_dns)
        ep.subnet_ids = subnet_ids
        ep.private_dns_enabled = private_dns
        ep.requester_managed = False
        ep.ip_address_type = "ipv4"
        ep.dns_options = {"DnsRecordIpType": "ipv4"}
        _sync_enis(self, ep)
        _set_dns(self, ep)
        delay = SETTINGS.delay("endpoint_pending")
        if delay > 0:
            ep.__dict__["_available_at"] = _now() + timedelta(seconds=delay)
        return ep

    VPCBackend.create_vpc_endpoint = create_vpc_endpoint
    # DescribeVpcEndpoints lists the service's Region (ServiceRegion, recorded from AWS in 2025); moto 5.2.1
    # does not. The sandbox's endpoint services are all in the endpoint's own Region.
    if not hasattr(VPCEndPoint, "service_region"):
        VPCEndPoint.service_region = property(lambda ep: ep.ec2_backend.region_name)

    delete = VPCBackend.delete_vpc_endpoints

    def delete_vpc_endpoints(self, vpce_ids=None):
        """Interface endpoints go deleting -> gone after SETTINGS.delay("endpoint_deleting")."""
        purge(self)
        now = _now()
        gateway = []
        for vpce_id in vpce_ids or []:
            ep = self.vpc_end_points.get(vpce_id)
            if ep is None or ep.__dict__.get("_gone_at") is not None:
                continue
            if (ep.vpc_endpoint_type or "").lower() == "interface":
                ep.__dict__["_gone_at"] = now + timedelta(seconds=SETTINGS.delay("endpoint_deleting"))
            else:
                gateway.append(vpce_id)
        if gateway:
            delete(self, gateway)
        purge(self)

    VPCBackend.delete_vpc_endpoints = delete_vpc_endpoints

    describe = VPCBackend.describe_vpc_endpoints

    def describe_vpc_endpoints(self, vpc_end_point_ids, filters=None):
        purge(self)
        return describe(self, vpc_end_point_ids, filters)

    VPCBackend.describe_vpc_endpoints = describe_vpc_endpoints


def modify(backend, endpoint_id: str, *, policy_document: str | None = None, reset_policy: bool = False,
           private_dns_enabled: bool | None = None, add_subnets=(), remove_subnets=(), add_groups=(),
           remove_groups=(), add_route_tables=(), remove_route_tables=()) -> None:
    """ModifyVpcEndpoint, validated as AWS does; nothing changes when a check fails."""
    from moto.ec2.models.vpcs import VPCEndPoint

    purge(backend)
    ep = backend.get_vpc_end_point(endpoint_id)
    if ep.state in ("deleting", "deleted"):
        raise _err("IncorrectState", f"The endpoint '{endpoint_id}' is not in a state that allows this operation.")
    default = DEFAULT_POLICY if (ep.vpc_endpoint_type or "").lower() == "interface" else VPCEndPoint.DEFAULT_POLICY
    new_policy = json.dumps(default) if reset_policy else validate_policy(policy_document)
    interface = (ep.vpc_endpoint_type or "").lower() == "interface"
    if not interface:
        ep.modify(new_policy, None, None, list(add_route_tables), list(remove_route_tables), None, None)
        return
    service = service_details(backend, ep.service_name) or {"ServiceName": ep.service_name, "AvailabilityZones": []}
    subnets = [s for s in ep.subnet_ids if s not in remove_subnets]
    additions = [s for s in dict.fromkeys(add_subnets) if s not in subnets]
    _check_subnets(backend, ep.vpc_id, service, additions, subnets)
    groups = [g for g in ep.security_group_ids if g not in remove_groups]
    group_additions = [g for g in dict.fromkeys(add_groups) if g not in groups]
    _check_groups(backend, ep.vpc_id, group_additions, subnets + additions)
    if private_dns_enabled is True and not _truthy(ep.private_dns_enabled):
        _check_private_dns(backend, ep.vpc_id, service, exclude_id=ep.id)
    # every check passed: apply
    if new_policy:
        ep.policy_document = new_policy
    ep.subnet_ids = subnets + additions
    ep.security_group_ids = groups + group_additions
    if private_dns_enabled is not None:
        ep.private_dns_enabled = bool(private_dns_enabled)
    _sync_enis(backend, ep)
    _set_dns(backend, ep)


def _patch_responses() -> None:
    """moto's ModifyVpcEndpoint response ignores ResetPolicy and PrivateDnsEnabled and validates
    nothing; its DeleteVpcEndpoints answers an empty Unsuccessful list even for unknown ids (AWS lists
    each with InvalidVpcEndpoint.NotFound). Patched at moto's response layer so that the sandbox's
    routes (authz snapshots the old policy, cloudtrail) still see these requests."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses.vpcs import VPCs

    def modify_vpc_endpoint(self):
        modify(
            self.ec2_backend, self._get_param("VpcEndpointId"),
            policy_document=self._get_param("PolicyDocument"),
            reset_policy=bool(self._get_bool_param("ResetPolicy", False)),
            private_dns_enabled=self._get_bool_param("PrivateDnsEnabled"),
            add_subnets=self._get_param("AddSubnetIds", []), remove_subnets=self._get_param("RemoveSubnetIds", []),
            add_groups=self._get_param("AddSecurityGroupIds", []),
            remove_groups=self._get_param("RemoveSecurityGroupIds", []),
            add_route_tables=self._get_param("AddRouteTableIds", []),
            remove_route_tables=self._get_param("RemoveRouteTableIds", []),
        )
        return ActionResult({"Return": True})

    def delete_vpc_endpoints(self):
        ids = self._get_param("VpcEndpointIds", [])
        purge(self.ec2_backend)
        unknown = [i for i in ids if i not in self.ec2_backend.vpc_end_points]
        self.ec2_backend.delete_vpc_endpoints(vpce_ids=[i for i in ids if i not in unknown])
        return ActionResult({"Unsuccessful": [
            {"Error": {"Code": "InvalidVpcEndpoint.NotFound", "Message": f"The VpcEndpoint Id '{i}' does not exist"},
             "ResourceId": i} for i in unknown]})

    VPCs.modify_vpc_endpoint = modify_vpc_endpoint
    VPCs.delete_vpc_endpoints = delete_vpc_endpoints


_patch()
_patch_responses()
RELEASE_HOOKS.append(purge)  # deleted endpoints release their ENIs before a dependency check
