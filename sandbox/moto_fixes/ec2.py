"""EC2 fixes (moto.ec2): dependency checks, DescribeVpcEndpoints filters, and EC2 resources from CloudFormation.

Each replacement has the signature of the moto method it replaces, so that it could be proposed upstream.
`RELEASE_HOOKS` lets the sandbox's time-based releases (Lambda's ENIs, deleted endpoints) happen before a
dependency check; the modules that own those releases register themselves (sandbox.lambda_service,
sandbox.endpoints), so this module imports neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.models.route_tables import RouteTable
from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupBackend
from moto.ec2.models.subnets import Subnet, SubnetBackend, SubnetRouteTableAssociation
from moto.ec2.models.vpcs import VPC, VPCBackend, VPCEndPoint

from .registry import fix, original, replace

# Called with the EC2 backend before a dependency check (DeleteSubnet, DeleteSecurityGroup, DeleteVpc).
RELEASE_HOOKS: list[Callable[[Any], None]] = []


def release_due(backend: Any) -> None:
    """Let time-based releases happen before a dependency check (lazy timing): see RELEASE_HOOKS."""
    for hook in list(RELEASE_HOOKS):
        hook(backend)


def _dependency_violation(message: str) -> EC2ClientError:
    return EC2ClientError("DependencyViolation", message)


def _counts_as_dependency(eni: NetworkInterface) -> bool:
    """Whether a network interface still holds its subnet and security groups.

    On termination AWS deletes an instance's primary network interface and every one marked
    DeleteOnTermination (Amazon EC2 User Guide, "Network interface attributes" / "Terminate Amazon EC2
    instances"). moto keeps the primary interface, attached to the terminated instance, because it creates
    it with DeleteOnTermination false; it no longer holds anything."""
    instance = eni.instance
    if instance is not None and getattr(instance, "state", None) == "terminated":
        return not (eni.device_index == 0 or eni.delete_on_termination)
    return True


def _enis(backend: Any) -> list[NetworkInterface]:
    return [eni for eni in list(backend.enis.values()) if _counts_as_dependency(eni)]


# ------------------------------------------------------------------------------------------- dependencies


def delete_subnet(self: SubnetBackend, subnet_id: str) -> Subnet:
    """DeleteSubnet (Amazon EC2 API Reference, "DeleteSubnet"): a subnet that instances or network interfaces
    still use cannot be deleted; the error is DependencyViolation, "The subnet 'subnet-x' has dependencies and
    cannot be deleted.". A deleted subnet takes its route table association with it.

    moto 5.2.1 deletes a subnet that network interfaces still use, and leaves its route table association
    behind, so the route table cannot be deleted afterwards."""
    release_due(self)
    self.get_subnet(subnet_id)
    if any(getattr(eni.subnet, "id", None) == subnet_id for eni in _enis(self)):
        raise _dependency_violation(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    subnet = original(SubnetBackend, "delete_subnet")(self, subnet_id)
    for table in list(self.route_tables.values()):
        for association_id, target in list(table._associations.items()):
            if target == subnet_id:
                table._associations.pop(association_id, None)
    return subnet


@fix
def fix_delete_subnet_dependencies() -> None:
    replace(SubnetBackend, "delete_subnet", delete_subnet)


def delete_security_group(self: SecurityGroupBackend, name: str | None = None, group_id: str | None = None) -> None:
    """DeleteSecurityGroup (Amazon EC2 API Reference, "DeleteSecurityGroup"): a group that an instance or a
    network interface uses, or that another group's rules reference, cannot be deleted (DependencyViolation,
    "resource sg-x has a dependent object").

    moto 5.2.1 deletes a group that network interfaces still use, or that another group's rules reference."""
    release_due(self)
    group = None
    if group_id:
        group = self.get_security_group_from_id(group_id)
    elif name:
        group = self.get_security_group_by_name_or_id(name)
    if group is not None:
        gid = group.id
        in_use = any(gid in [g.id for g in eni.group_set] for eni in _enis(self))
        referenced = any(
            (getattr(rule, "source_group", None) or {}).get("GroupId") == gid
            for groups in list(self.groups.values())
            for other in list(groups.values())
            if other.id != gid
            for rule in list(getattr(other, "ingress_rules", [])) + list(getattr(other, "egress_rules", []))
        )
        if in_use or referenced:
            raise _dependency_violation(f"resource {gid} has a dependent object")
    return original(SecurityGroupBackend, "delete_security_group")(self, name=name, group_id=group_id)


@fix
def fix_delete_security_group_dependencies() -> None:
    replace(SecurityGroupBackend, "delete_security_group", delete_security_group)


def delete_vpc(self: VPCBackend, vpc_id: str) -> VPC:
    """DeleteVpc (Amazon EC2 API Reference, "DeleteVpc"): every gateway and resource associated with the VPC
    (subnets, non-default security groups, network interfaces, non-main route tables, endpoints) must be
    detached or deleted first; otherwise DependencyViolation "The vpc 'vpc-x' has dependencies and cannot be
    deleted.".

    moto 5.2.1 checks subnets (and a few gateway types) only: it deletes a VPC that still has endpoints,
    network interfaces, non-default security groups, non-main route tables or an internet gateway."""
    release_due(self)
    self.get_vpc(vpc_id)
    endpoints = [e for e in self.vpc_end_points.values() if e.vpc_id == vpc_id and e.state != "deleted"]
    enis = [e for e in _enis(self) if getattr(e.subnet, "vpc_id", None) == vpc_id]
    groups = [g for g in self.groups.get(vpc_id, {}).values() if g.name != "default"]
    gateways = [g for g in getattr(self, "internet_gateways", {}).values()
                if getattr(getattr(g, "vpc", None), "id", None) == vpc_id]
    route_tables = [r for r in self.route_tables.values() if r.vpc_id == vpc_id and r.main_association_id is None]
    subnets = self.describe_subnets(filters={"vpc-id": vpc_id})
    if endpoints or enis or groups or gateways or route_tables or subnets:
        raise _dependency_violation(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    return original(VPCBackend, "delete_vpc")(self, vpc_id)


@fix
def fix_delete_vpc_dependencies() -> None:
    replace(VPCBackend, "delete_vpc", delete_vpc)


# ------------------------------------------------------------------------------------------- VPC endpoints


_ENDPOINT_FILTERS: dict[str, Callable[[VPCEndPoint], Any]] = {
    "vpc-endpoint-id": lambda ep: ep.id,
    "service-name": lambda ep: ep.service_name,
    "vpc-id": lambda ep: ep.vpc_id,
    "ip-address-type": lambda ep: getattr(ep, "ip_address_type", None) or "ipv4",
}


def vpc_endpoint_get_filter_value(self: VPCEndPoint, filter_name: str, method_name: str | None = None) -> Any:
    """DescribeVpcEndpoints filters (Amazon EC2 API Reference, "DescribeVpcEndpoints": ip-address-type,
    service-name, vpc-id, vpc-endpoint-id, vpc-endpoint-state, vpc-endpoint-type, tag:<key>, tag-key).

    moto 5.2.1 answers vpc-endpoint-id, service-name and ip-address-type with FilterNotImplementedError
    (a 500), and vpc-id with the VPC-level lookup of DescribeVpcs."""
    if filter_name in _ENDPOINT_FILTERS:
        return _ENDPOINT_FILTERS[filter_name](self)
    return original(VPCEndPoint, "get_filter_value")(self, filter_name, method_name)


@fix
def fix_vpc_endpoint_filters() -> None:
    replace(VPCEndPoint, "get_filter_value", vpc_endpoint_get_filter_value)


_ENDPOINT_ATTRIBUTES = ("Id", "CreationTimestamp", "DnsEntries", "NetworkInterfaceIds")


def vpc_endpoint_has_cfn_attr(cls: type[VPCEndPoint], attr: str) -> bool:
    """`AWS::EC2::VPCEndpoint` return values (CloudFormation User Guide, "AWS::EC2::VPCEndpoint", Fn::GetAtt:
    CreationTimestamp, DnsEntries, Id, NetworkInterfaceIds).

    moto 5.2.1 declares none, and raises NotImplementedError, so the stack loses all its Outputs."""
    return attr in _ENDPOINT_ATTRIBUTES


def vpc_endpoint_get_cfn_attribute(self: VPCEndPoint, attribute_name: str) -> Any:
    """See vpc_endpoint_has_cfn_attr. DnsEntries is a list of "hostedzoneid:dnsname" strings."""
    if attribute_name == "Id":
        return self.id
    if attribute_name == "CreationTimestamp":
        return self.creation_timestamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if attribute_name == "DnsEntries":
        return [f"{e.get('HostedZoneId', e.get('hosted_zone_id'))}:{e.get('DnsName', e.get('dns_name'))}"
                for e in self.dns_entries or []]
    if attribute_name == "NetworkInterfaceIds":
        return list(self.network_interface_ids or [])
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException  # loads moto's CloudFormation

    raise UnformattedGetAttTemplateException()


@fix
def fix_vpc_endpoint_get_att() -> None:
    replace(VPCEndPoint, "has_cfn_attr", vpc_endpoint_has_cfn_attr, kind="classmethod")
    replace(VPCEndPoint, "get_cfn_attribute", vpc_endpoint_get_cfn_attribute)


# ------------------------------------------------------------------------------------------- from templates


def vpc_create_from_cloudformation_json(cls: type[VPC], resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> VPC:
    """`AWS::EC2::VPC` EnableDnsSupport and EnableDnsHostnames (CloudFormation User Guide, "AWS::EC2::VPC").

    moto 5.2.1 ignores both (hostnames stay false), which breaks private DNS for interface endpoints."""
    vpc = original(VPC, "create_from_cloudformation_json")(cls, resource_name, cloudformation_json, account_id,
                                                       region_name, **kwargs)
    properties = cloudformation_json.get("Properties") or {}
    for prop, attr in (("EnableDnsSupport", "enable_dns_support"), ("EnableDnsHostnames", "enable_dns_hostnames")):
        if prop in properties:
            setattr(vpc, attr, str(properties[prop]).lower() == "true")
    return vpc


@fix
def fix_vpc_dns_attributes_from_template() -> None:
    replace(VPC, "create_from_cloudformation_json", vpc_create_from_cloudformation_json, kind="classmethod")


class RouteTableAssociation:
    """What `AWS::EC2::SubnetRouteTableAssociation` creates: an association whose physical id is rtbassoc-..."""

    def __init__(self, backend: Any, association_id: str, route_table_id: str, subnet_id: str):
        self.backend = backend
        self.id = association_id
        self.route_table_id = route_table_id
        self.subnet_id = subnet_id

    @property
    def physical_resource_id(self) -> str:
        return self.id

    def is_created(self) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Id":
            return self.id
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    def delete(self, account_id: str = "", region_name: str = "") -> None:
        try:
            self.backend.disassociate_route_table(self.id)
        except EC2ClientError as exc:
            if "InvalidAssociationID" not in str(getattr(exc, "code", exc)):
                raise


def subnet_route_table_association_create_from_cloudformation_json(
        cls: type[SubnetRouteTableAssociation], resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str, **kwargs: Any) -> RouteTableAssociation:
    """`AWS::EC2::SubnetRouteTableAssociation` (CloudFormation User Guide: Ref returns the association ID,
    rtbassoc-...): the subnet is associated with the table, and disassociated when the resource is deleted.

    moto 5.2.1 never associates: its physical id is the route table's id and DescribeRouteTables shows no
    association."""
    properties = cloudformation_json["Properties"]
    backend = ec2_backends[account_id][region_name]
    association_id = backend.associate_route_table(properties["RouteTableId"], subnet_id=properties["SubnetId"])
    return RouteTableAssociation(backend, association_id, properties["RouteTableId"], properties["SubnetId"])


@fix
def fix_subnet_route_table_association() -> None:
    replace(SubnetRouteTableAssociation, "create_from_cloudformation_json",
            subnet_route_table_association_create_from_cloudformation_json, kind="classmethod")


def security_group_create_from_cloudformation_json(
        cls: type[SecurityGroup], resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str, **kwargs: Any) -> SecurityGroup:
    """`AWS::EC2::SecurityGroup` SecurityGroupEgress (CloudFormation User Guide, "AWS::EC2::SecurityGroup"):
    listed egress rules replace the default rule that allows all outbound traffic.

    moto 5.2.1 ignores SecurityGroupEgress and keeps the default allow-all egress rule."""
    group = original(SecurityGroup, "create_from_cloudformation_json")(cls, resource_name, cloudformation_json,
                                                                   account_id, region_name, **kwargs)
    rules = (cloudformation_json.get("Properties") or {}).get("SecurityGroupEgress")
    if rules is None:
        return group
    backend = ec2_backends[account_id][region_name]
    group.egress_rules = []
    for rule in rules:
        ip_ranges = []
        if rule.get("CidrIp"):
            ip_ranges.append({"CidrIp": rule["CidrIp"], **({"Description": rule["Description"]}
                                                           if rule.get("Description") else {})})
        if rule.get("CidrIpv6"):
            ip_ranges.append({"CidrIpv6": rule["CidrIpv6"]})
        destination = rule.get("DestinationSecurityGroupId")
        backend.authorize_security_group_egress(
            group_name_or_id=group.id, ip_protocol=str(rule["IpProtocol"]),
            from_port=rule.get("FromPort"), to_port=rule.get("ToPort"), ip_ranges=ip_ranges,
            source_groups=[{"GroupId": destination}] if destination else [], vpc_id=group.vpc_id)
    return group


@fix
def fix_security_group_egress_from_template() -> None:
    replace(SecurityGroup, "create_from_cloudformation_json", security_group_create_from_cloudformation_json,
            kind="classmethod")


def route_table_create_from_cloudformation_json(
        cls: type[RouteTable], resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str, **kwargs: Any) -> RouteTable:
    """`AWS::EC2::RouteTable` Tags (CloudFormation User Guide, "AWS::EC2::RouteTable").

    moto 5.2.1 ignores them."""
    table = original(RouteTable, "create_from_cloudformation_json")(cls, resource_name, cloudformation_json,
                                                                account_id, region_name, **kwargs)
    for tag in (cloudformation_json.get("Properties") or {}).get("Tags") or []:
        table.add_tag(tag["Key"], tag["Value"])
    return table


@fix
def fix_route_table_tags_from_template() -> None:
    replace(RouteTable, "create_from_cloudformation_json", route_table_create_from_cloudformation_json,
            kind="classmethod")


# ---------------------------------------------------------------- answers as AWS records them
# (tests/parity/cases/ec2.json replays LocalStack's AWS-validated recordings of these calls)


def vpc_backend_create_vpc(self: VPCBackend, *args: Any, **kwargs: Any) -> VPC:
    """CreateVpc answers State "pending" (recorded from AWS); the VPC is "available" from the next
    DescribeVpcs on. moto 5.2.1 answers "available" at once."""
    vpc = original(VPCBackend, "create_vpc")(self, *args, **kwargs)
    vpc.state = "pending"
    return vpc


def vpc_backend_describe_vpcs(self: VPCBackend, *args: Any, **kwargs: Any) -> list[VPC]:
    """A read lets a new VPC's state advance: pending -> available (see vpc_backend_create_vpc)."""
    for vpc in self.vpcs.values():
        if vpc.state == "pending":
            vpc.state = "available"
    return original(VPCBackend, "describe_vpcs")(self, *args, **kwargs)


@fix
def fix_vpc_pending_on_create() -> None:
    replace(VPCBackend, "create_vpc", vpc_backend_create_vpc)
    replace(VPCBackend, "describe_vpcs", vpc_backend_describe_vpcs)


def _region_description(region: str) -> str | None:
    """"US East (N. Virginia)" for us-east-1, from botocore's endpoint data."""
    import botocore.loaders

    for partition in botocore.loaders.create_loader().load_data("endpoints").get("partitions", []):
        described = partition.get("regions", {}).get(region)
        if described:
            return described.get("description")
    return None


def _zone_group_name(zone: Any) -> str:
    return f"{zone.region_name}-zg-1"


def _zone_group_long_name(zone: Any) -> str | None:
    description = _region_description(zone.region_name)
    return f"{description} 1" if description else None


def _zone_opt_in_status(zone: Any) -> str:
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

    return ("opt-in-not-required" if zone.region_name in RegionsAndZonesBackend.regions_opt_in_not_required
            else "opted-in")


@fix
def fix_availability_zone_groups() -> None:
    """DescribeAvailabilityZones lists, for an Availability Zone, GroupName "<region>-zg-1", GroupLongName
    "<Region description> 1", NetworkBorderGroup "<region>" and OptInStatus (recorded from AWS in us-east-1);
    moto 5.2.1 lists none of them."""
    from moto.ec2.models.availability_zones_and_regions import Zone

    Zone.group_name = property(_zone_group_name)
    Zone.group_long_name = property(_zone_group_long_name)
    Zone.network_border_group = property(lambda zone: zone.region_name)
    Zone.opt_in_status = property(_zone_opt_in_status)


@fix
def fix_route_table_propagating_vgws() -> None:
    """DescribeRouteTables lists PropagatingVgws (empty without a virtual private gateway; recorded from AWS);
    moto 5.2.1 leaves it out."""
    if not hasattr(RouteTable, "propagating_vgws"):
        RouteTable.propagating_vgws = property(lambda table: [])
