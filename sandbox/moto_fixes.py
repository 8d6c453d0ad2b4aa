"""Fixes for gaps in moto 5.2.1 that the workshop walks into (issue 2, "Gaps in moto 5.2.1").

Each fix is a small named function that monkeypatches a moto model or backend method in
this process, so moto's own responses stay consistent. Every fix is applied once: at
import (see `apply()`), or, for those that need moto's CloudFormation code, at the first
CloudFormation request (`apply_cloudformation()`); `FIXES` lists the names applied. The docstring of each fix
says what moto does and what AWS does; tests/test_moto_fixes.py drives each through boto3.

Interface VPC endpoints are modelled in sandbox/endpoints.py, not here.
"""

from __future__ import annotations

import importlib
import json
import re
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from .server import AwsRequest, route
from .settings import LOCK, SETTINGS

FIXES: list[str] = []
_REGISTRY: list[Callable[[], None]] = []
STACK_TYPE = "AWS::CloudFormation::Stack"


def _fix(fn: Callable[[], None]) -> Callable[[], None]:
    _REGISTRY.append(fn)
    return fn


# Fixes that import moto's CloudFormation code, which takes about a second to import: they are applied at the
# first CloudFormation request (moto itself loads each service's code at its first request), which keeps the
# sandbox's start-up short. Every stack operation arrives as a CloudFormation request, so none runs unpatched.
_CFN_REGISTRY: list[Callable[[], None]] = []
_CFN_LOCK = threading.Lock()


def _fix_cloudformation(fn: Callable[[], None]) -> Callable[[], None]:
    _CFN_REGISTRY.append(fn)
    return fn


def apply_cloudformation() -> None:
    """Apply the CloudFormation fixes once (idempotent, thread-safe)."""
    with _CFN_LOCK:
        for fn in _CFN_REGISTRY:
            if fn.__name__ not in FIXES:
                fn()
                FIXES.append(fn.__name__)


@route(service="cloudformation")
def _cloudformation_fixes_first(req: AwsRequest):
    apply_cloudformation()
    return None  # moto answers, now patched


def _now():
    from moto.core.utils import utcnow

    return utcnow()


def _optional(module: str):
    """A sibling sandbox module if it is importable (written by another helper), else None."""
    try:
        return importlib.import_module(module)
    except Exception:  # noqa: BLE001 - absent or still a placeholder
        return None


def release_due(backend=None) -> None:
    """Let time-based releases happen before a dependency check (lazy timing).

    Lambda ENIs whose release delay has passed (sandbox.lambda_service.release_due_enis)
    and endpoints whose deletion delay has passed (sandbox.endpoints.purge) are removed.
    """
    lam = _optional("sandbox.lambda_service")
    fn = getattr(lam, "release_due_enis", None)
    if callable(fn):
        fn()
    eps = _optional("sandbox.endpoints")
    purge = getattr(eps, "purge", None)
    if callable(purge) and backend is not None:
        purge(backend)


# =============================================================================== IAM


@_fix
def fix_aws_managed_policies() -> None:
    """moto loads AWS managed policies only when MOTO_IAM_LOAD_MANAGED_POLICIES=true, so
    `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole` is NoSuchEntity and
    cannot be attached. AWS always has them. Load moto's bundled copy (about 1,500 policies) in
    the `aws` partition (the JSON is parsed once; building the objects takes ~0.15 s per reset).
    Other partitions keep moto's default (none), so a reset does not pay six times."""
    from moto.iam import models as iam_models

    parsed: dict = {}

    def _init_aws_policies(self):
        if self.region_name not in ("aws", "global"):
            return []
        if not parsed:
            parsed.update(json.loads(iam_models.aws_managed_policies_data))
        return [iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, d)
                for name, d in parsed.items()]

    iam_models.IAMBackend._init_aws_policies = _init_aws_policies
    # Backends that already exist were built without them.
    for account in list(iam_models.iam_backends.keys()):
        for backend in list(iam_models.iam_backends[account].values()):
            if not backend.aws_managed_policies:
                backend.reset()


def _policy_json(document: Any) -> Any:
    if isinstance(document, (dict, list)):
        return json.dumps(document)
    return document


@_fix
def fix_role_inline_policies_json() -> None:
    """CloudFormation `AWS::IAM::Role` `Policies` (and `AWS::IAM::Policy`): moto stores the
    PolicyDocument as a Python repr ("{'Version': ...}"), so GetRolePolicy returns text that
    is not JSON. AWS stores the JSON document."""
    from moto.iam import models as iam_models

    def wrap(cls, key):
        original = cls.create_from_cloudformation_json.__func__

        def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            cfn = dict(cloudformation_json)
            props = dict(cfn.get("Properties") or {})
            if key == "Policies":
                props["Policies"] = [dict(p, PolicyDocument=_policy_json(p.get("PolicyDocument")))
                                     for p in props.get("Policies") or []]
            else:
                props["PolicyDocument"] = _policy_json(props.get("PolicyDocument"))
            cfn["Properties"] = props
            return original(klass, resource_name, cfn, account_id, region_name, **kwargs)

        cls.create_from_cloudformation_json = classmethod(create)

    wrap(iam_models.Role, "Policies")
    wrap(iam_models.InlinePolicy, "PolicyDocument")


@_fix
def fix_role_managed_policy_arns() -> None:
    """CloudFormation `AWS::IAM::Role` `ManagedPolicyArns`: moto ignores them (the role has no
    attached policies). AWS attaches each one, and detaches them when the stack deletes the role."""
    from moto.iam import models as iam_models
    from moto.utilities.utils import get_partition

    create = iam_models.Role.create_from_cloudformation_json.__func__
    delete = iam_models.Role.delete_from_cloudformation_json.__func__

    def create_with_managed(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        role = create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        backend = iam_models.iam_backends[account_id][get_partition(region_name)]
        for arn in (cloudformation_json.get("Properties") or {}).get("ManagedPolicyArns") or []:
            backend.attach_role_policy(arn, role.name)
        return role

    def delete_with_managed(klass, resource_name, cloudformation_json, account_id, region_name):
        backend = iam_models.iam_backends[account_id][get_partition(region_name)]
        for role in list(backend.roles.values()):
            if role.name == resource_name:
                for arn in list(role.managed_policies):
                    backend.detach_role_policy(arn, role.name)
        return delete(klass, resource_name, cloudformation_json, account_id, region_name)

    iam_models.Role.create_from_cloudformation_json = classmethod(create_with_managed)
    iam_models.Role.delete_from_cloudformation_json = classmethod(delete_with_managed)


# =============================================================================== EC2 via CloudFormation


@_fix
def fix_vpc_dns_attributes_from_template() -> None:
    """CloudFormation `AWS::EC2::VPC` `EnableDnsSupport` / `EnableDnsHostnames`: moto ignores
    them (hostnames stay false), which breaks private DNS for interface endpoints. AWS applies them."""
    from moto.ec2.models.vpcs import VPC

    original = VPC.create_from_cloudformation_json.__func__

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        vpc = original(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        props = cloudformation_json.get("Properties") or {}
        for prop, attr in (("EnableDnsSupport", "enable_dns_support"), ("EnableDnsHostnames", "enable_dns_hostnames")):
            if prop in props:
                setattr(vpc, attr, str(props[prop]).lower() == "true")
        return vpc

    VPC.create_from_cloudformation_json = classmethod(create)


class RouteTableAssociation:
    """What `AWS::EC2::SubnetRouteTableAssociation` creates: physical id rtbassoc-..."""

    def __init__(self, backend, association_id: str, route_table_id: str, subnet_id: str):
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
        except Exception as exc:  # already gone
            if "InvalidAssociationID" not in str(getattr(exc, "code", exc)):
                raise


@_fix
def fix_subnet_route_table_association() -> None:
    """CloudFormation `AWS::EC2::SubnetRouteTableAssociation`: moto never associates (its
    physical id is the route table id and describe_route_tables shows no association). AWS
    associates the subnet (physical id rtbassoc-...) and disassociates on delete."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.subnets import SubnetRouteTableAssociation

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = ec2_backends[account_id][region_name]
        association_id = backend.associate_route_table(props["RouteTableId"], subnet_id=props["SubnetId"])
        return RouteTableAssociation(backend, association_id, props["RouteTableId"], props["SubnetId"])

    SubnetRouteTableAssociation.create_from_cloudformation_json = classmethod(create)


@_fix_cloudformation
def fix_vpc_endpoint_get_att() -> None:
    """`Fn::GetAtt` on `AWS::EC2::VPCEndpoint`: moto raises NotImplementedError for every
    attribute and the stack loses all its Outputs. AWS documents Id, CreationTimestamp,
    DnsEntries (a list of "hostedzoneid:dnsname" strings) and NetworkInterfaceIds."""
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.ec2.models.vpcs import VPCEndPoint

    attributes = ("Id", "CreationTimestamp", "DnsEntries", "NetworkInterfaceIds")

    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in attributes

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Id":
            return self.id
        if attribute_name == "CreationTimestamp":
            return self.creation_timestamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if attribute_name == "DnsEntries":
            return [f"{e.get('HostedZoneId', e.get('hosted_zone_id'))}:{e.get('DnsName', e.get('dns_name'))}"
                    for e in self.dns_entries or []]
        if attribute_name == "NetworkInterfaceIds":
            return list(self.network_interface_ids or [])
        raise UnformattedGetAttTemplateException()

    VPCEndPoint.has_cfn_attr = classmethod(has_cfn_attr)
    VPCEndPoint.get_cfn_attribute = get_cfn_attribute


@_fix
def fix_security_group_egress_from_template() -> None:
    """CloudFormation `AWS::EC2::SecurityGroup` `SecurityGroupEgress`: moto ignores it and the group
    keeps the default allow-all egress rule. AWS replaces the default rule with the listed rules
    (CidrIp or DestinationSecurityGroupId)."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.security_groups import SecurityGroup

    original = SecurityGroup.create_from_cloudformation_json.__func__

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        group = original(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)
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

    SecurityGroup.create_from_cloudformation_json = classmethod(create)


@_fix
def fix_route_table_tags_from_template() -> None:
    """CloudFormation `AWS::EC2::RouteTable` `Tags`: moto ignores them. AWS tags the table."""
    from moto.ec2.models.route_tables import RouteTable

    original = RouteTable.create_from_cloudformation_json.__func__

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        table = original(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        for tag in (cloudformation_json.get("Properties") or {}).get("Tags") or []:
            table.add_tag(tag["Key"], tag["Value"])
        return table

    RouteTable.create_from_cloudformation_json = classmethod(create)


@_fix
def fix_lambda_tags_from_template() -> None:
    """CloudFormation `AWS::Lambda::Function` `Tags`: moto ignores them (ListTags is empty, the
    Resource Groups Tagging API cannot find the function). AWS tags the function."""
    from moto.awslambda.models import LambdaFunction, lambda_backends

    original = LambdaFunction.create_from_cloudformation_json.__func__

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        fn = original(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        tags = {t["Key"]: t["Value"] for t in (cloudformation_json.get("Properties") or {}).get("Tags") or []}
        if tags:
            lambda_backends[account_id][region_name].tag_resource(fn.function_arn, tags)
        return fn

    LambdaFunction.create_from_cloudformation_json = classmethod(create)


@_fix
def fix_vpc_endpoint_filters() -> None:
    """DescribeVpcEndpoints: moto answers the documented filters vpc-endpoint-id, service-name, vpc-id and
    ip-address-type with a 500 (FilterNotImplementedError) or the VPC's own value. AWS filters on the endpoint's."""
    from moto.ec2.models.vpcs import VPCEndPoint

    original = VPCEndPoint.get_filter_value
    own = {
        "vpc-endpoint-id": lambda ep: ep.id,
        "service-name": lambda ep: ep.service_name,
        "vpc-id": lambda ep: ep.vpc_id,
        "ip-address-type": lambda ep: "ipv4",
    }

    def get_filter_value(self, filter_name, method_name=None):
        if filter_name in own:
            return own[filter_name](self)
        return original(self, filter_name, method_name)

    VPCEndPoint.get_filter_value = get_filter_value


@_fix
def fix_tagging_api_vpc_endpoints() -> None:
    """Resource Groups Tagging API GetResources: moto never lists VPC endpoints (resource type
    ec2:vpc-endpoint), so a cleanup that finds workshop resources by tag misses the endpoint.
    AWS lists them as arn:aws:ec2:<region>:<account>:vpc-endpoint/vpce-..."""
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend

    original = ResourceGroupsTaggingAPIBackend._get_resources_generator

    def matches(tags: dict, tag_filters) -> bool:
        for f in tag_filters or []:
            values = f.get("Values") or []
            if f["Key"] not in tags or (values and tags[f["Key"]] not in values):
                return False
        return True

    def generator(self, tag_filters=None, resource_type_filters=None):
        yield from original(self, tag_filters=tag_filters, resource_type_filters=resource_type_filters)
        if resource_type_filters and not {"ec2", "ec2:vpc-endpoint"} & set(resource_type_filters):
            return
        backend = self.ec2_backend
        for ep in list(backend.vpc_end_points.values()):
            tags = backend.tags.get(ep.id, {})
            if tags and ep.state != "deleted" and matches(tags, tag_filters):
                yield {"ResourceARN": f"arn:{self.partition}:ec2:{self.region_name}:{self.account_id}:vpc-endpoint/"
                                      f"{ep.id}", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}

    ResourceGroupsTaggingAPIBackend._get_resources_generator = generator


def _parameter_problem(name: str, spec: dict, value: Any, region: str) -> str | None:
    described = spec.get("ConstraintDescription")

    def fail(default: str) -> str:
        return f"Parameter '{name}' failed to satisfy constraint: {described}" if described else default

    kind = spec.get("Type", "String")
    if kind == "AWS::EC2::AvailabilityZone::Name":
        from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

        zones = {z.name for z in RegionsAndZonesBackend.zones.get(region, [])}
        if value not in zones:
            return (f"Parameter validation failed: parameter value {value} for parameter name {name} does not "
                    "exist. Rollback requested by user.")
        return None
    if kind == "Number":
        if "MinValue" in spec and float(value) < float(spec["MinValue"]):
            return fail(f"Parameter '{name}' must be a number not less than {spec['MinValue']}")
        if "MaxValue" in spec and float(value) > float(spec["MaxValue"]):
            return fail(f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}")
        return None
    if not isinstance(value, str):
        return None
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        return fail(f"Parameter '{name}' must be one of AllowedValues")
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        return fail(f"Parameter '{name}' must match pattern {spec['AllowedPattern']}")
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        return fail(f"Parameter '{name}' must contain at least {spec['MinLength']} characters")
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        return fail(f"Parameter '{name}' must contain at most {spec['MaxLength']} characters")
    return None


@_fix_cloudformation
def fix_template_parameter_constraints() -> None:
    """CloudFormation parameters: moto ignores AllowedPattern, AllowedValues, Min/MaxLength,
    Min/MaxValue and the AWS::EC2::AvailabilityZone::Name type, so a bad ParticipantPrefix creates
    resources. AWS rejects CreateStack with ValidationError ("Parameter 'X' failed to satisfy
    constraint: <ConstraintDescription>") and creates nothing."""
    from moto.cloudformation import parsing
    from moto.cloudformation.exceptions import ValidationError

    original = parsing.ResourceMap.load_parameters

    def load_parameters(self) -> None:
        original(self)
        for name, spec in (self._template.get("Parameters") or {}).items():
            problem = _parameter_problem(name, spec, self.resolved_parameters.get(name), self._region_name)
            if problem:
                raise ValidationError(message=problem)

    parsing.ResourceMap.load_parameters = load_parameters


# =============================================================================== EC2 dependencies


def _ec2_error(code: str, message: str):
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(code, message)


@_fix
def fix_delete_subnet_dependencies() -> None:
    """DeleteSubnet: moto deletes a subnet that network interfaces (Lambda's, an endpoint's)
    still use, and leaves its route table association behind (so the table cannot be deleted).
    AWS: DependencyViolation "The subnet 'subnet-x' has dependencies and cannot be deleted."; a
    subnet that can go takes its route table association with it."""
    from moto.ec2.models.subnets import SubnetBackend

    original = SubnetBackend.delete_subnet

    def delete_subnet(self, subnet_id: str):
        release_due(self)
        self.get_subnet(subnet_id)
        if any(getattr(eni.subnet, "id", None) == subnet_id for eni in list(self.enis.values())):
            raise _ec2_error("DependencyViolation", f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        subnet = original(self, subnet_id)
        for table in list(self.route_tables.values()):
            for association_id, target in list(table._associations.items()):
                if target == subnet_id:
                    table._associations.pop(association_id, None)
        return subnet

    SubnetBackend.delete_subnet = delete_subnet


@_fix
def fix_delete_security_group_dependencies() -> None:
    """DeleteSecurityGroup: moto deletes a group that network interfaces still use, or that
    another group's rules reference. AWS: DependencyViolation "resource sg-x has a dependent object"."""
    from moto.ec2.models.security_groups import SecurityGroupBackend

    original = SecurityGroupBackend.delete_security_group

    def delete_security_group(self, name=None, group_id=None):
        release_due(self)
        group = None
        if group_id:
            group = self.get_security_group_from_id(group_id)
        elif name:
            group = self.get_security_group_by_name_or_id(name)
        if group is not None:
            gid = group.id
            in_use = any(gid in [g.id for g in eni.group_set] for eni in list(self.enis.values()))
            referenced = any(
                (getattr(rule, "source_group", None) or {}).get("GroupId") == gid
                for groups in list(self.groups.values())
                for other in list(groups.values())
                if other.id != gid
                for rule in list(getattr(other, "ingress_rules", [])) + list(getattr(other, "egress_rules", []))
            )
            if in_use or referenced:
                raise _ec2_error("DependencyViolation", f"resource {gid} has a dependent object")
        return original(self, name=name, group_id=group_id)

    SecurityGroupBackend.delete_security_group = delete_security_group


@_fix
def fix_delete_vpc_dependencies() -> None:
    """DeleteVpc: moto ignores endpoints, network interfaces, non-default security groups and
    attached internet gateways. AWS: DependencyViolation "The vpc 'vpc-x' has dependencies and
    cannot be deleted." while any of them (or a subnet, or a non-main route table) remains."""
    from moto.ec2.models.vpcs import VPCBackend

    original = VPCBackend.delete_vpc

    def delete_vpc(self, vpc_id: str):
        release_due(self)
        self.get_vpc(vpc_id)
        message = f"The vpc '{vpc_id}' has dependencies and cannot be deleted."
        endpoints = [e for e in self.vpc_end_points.values() if e.vpc_id == vpc_id and e.state != "deleted"]
        enis = [e for e in self.enis.values() if getattr(e.subnet, "vpc_id", None) == vpc_id]
        groups = [g for g in self.groups.get(vpc_id, {}).values() if g.name != "default"]
        gateways = [g for g in getattr(self, "internet_gateways", {}).values()
                    if getattr(getattr(g, "vpc", None), "id", None) == vpc_id]
        route_tables = [r for r in self.route_tables.values() if r.vpc_id == vpc_id and r.main_association_id is None]
        subnets = self.describe_subnets(filters={"vpc-id": vpc_id})
        if endpoints or enis or groups or gateways or route_tables or subnets:
            raise _ec2_error("DependencyViolation", message)
        return original(self, vpc_id)

    VPCBackend.delete_vpc = delete_vpc


# =============================================================================== CloudFormation stacks

_ACTIVE: dict[str, Any] = {}  # stack_id -> Stack being created (events are recorded on it)


class _ResourceFailed(Exception):
    def __init__(self, logical_id: str, reason: str):
        super().__init__(reason)
        self.logical_id = logical_id
        self.reason = reason


def _references(node: Any, names: set[str]) -> set[str]:
    """Logical ids a template fragment refers to (Ref, Fn::GetAtt, Fn::Sub)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str) and value in names:
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) and value else str(value).split(".")[0]
                if target in names:
                    found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                for var in re.findall(r"\$\{([^!}][^}]*)\}", text if isinstance(text, str) else ""):
                    if var.split(".")[0] in names:
                        found.add(var.split(".")[0])
                if isinstance(value, list) and len(value) > 1:
                    found |= _references(value[1], names)
            else:
                found |= _references(value, names)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item, names)
    return found


def dependencies(resources: dict[str, Any]) -> dict[str, set[str]]:
    """For each logical id, the logical ids it depends on (references and DependsOn)."""
    names = set(resources)
    deps: dict[str, set[str]] = {}
    for logical, body in resources.items():
        found = _references(body.get("Properties", {}), names)
        depends_on = body.get("DependsOn") or []
        found |= {d for d in ([depends_on] if isinstance(depends_on, str) else depends_on) if d in names}
        found.discard(logical)
        deps[logical] = found
    return deps


def creation_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids with every resource after the ones it depends on (template order otherwise)."""
    deps = dependencies(resources)
    order: list[str] = []
    done: set[str] = set()
    pending = list(resources)
    while pending:
        ready = [r for r in pending if deps[r] <= done] or pending[:1]  # a cycle: keep going in template order
        for r in ready:
            order.append(r)
            done.add(r)
            pending.remove(r)
    return order


def _error_reason(exc: Exception) -> str:
    code = getattr(exc, "code", None) or getattr(exc, "error_type", None) or type(exc).__name__
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, _ResourceFailed):
        return exc.reason
    return (f'Resource handler returned message: "{message} (Service: Ec2, Status Code: 400, '
            f'Request ID: {uuid.uuid4()})" (RequestToken: {uuid.uuid4()}, HandlerErrorCode: {code})')


def _add_event(stack, logical: str, physical: str, rtype: str, status: str, reason: str | None = None) -> None:
    from moto.cloudformation.models import Event

    event = Event(stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical,
                  physical_resource_id=physical, resource_type=rtype, resource_status=status,
                  resource_status_reason=reason, resource_properties=None)
    stack.events.append(event)
    if rtype != STACK_TYPE:
        stack.__dict__.setdefault("_resource_status", {})[logical] = (status, reason)


def _spread(stack, events: list, start) -> None:
    """Give `events` timestamps spread over the stack_operation delay, from `start` (lazy timing)."""
    delay = SETTINGS.delay("stack_operation")
    n = len(events)
    for i, event in enumerate(events):
        offset = delay * (i / (n - 1)) if n > 1 else delay
        event.timestamp = start + timedelta(seconds=offset, microseconds=i)
    stack.__dict__["_timeline"] = [(e.timestamp, e.resource_status, e.resource_status_reason)
                                   for e in stack.events if e.resource_type == STACK_TYPE]


def _take_stack_fault(resource_names: list[str]) -> str | None:
    """Consume the stack_create_failure fault: a count fails the last resource, a name that one."""
    with LOCK:
        value = SETTINGS.faults.get("stack_create_failure")
        if not value:
            return None
        if isinstance(value, str):
            SETTINGS.faults.pop("stack_create_failure", None)
            return value if value in resource_names else None
        if isinstance(value, dict):
            count = int(value.get("count", 1))
            target = value.get("resource") or (resource_names[-1] if resource_names else None)
        else:
            count, target = int(value), (resource_names[-1] if resource_names else None)
        if count <= 1:
            SETTINGS.faults.pop("stack_create_failure", None)
        elif isinstance(value, dict):
            SETTINGS.faults["stack_create_failure"] = dict(value, count=count - 1)
        else:
            SETTINGS.faults["stack_create_failure"] = count - 1
        return target


def _frozen_getitem(original):
    def __getitem__(self, key):
        if getattr(self, "_sandbox_frozen", False) and key in self._resource_json_map \
                and key not in self._parsed_resources:
            return None  # deleted (or never created): never re-create it lazily
        return original(self, key)

    return __getitem__


def _resource_map_create(self, template: dict) -> bool:
    """moto's ResourceMap.create, but in dependency order so that no resource is created lazily
    from inside another (which is what makes per-resource events ordered as on AWS)."""
    from moto.cloudformation import parsing
    from moto.ec2.models.core import TaggedEC2Resource

    self._template = template
    self._resource_json_map = template["Resources"]
    self.tags.update({"aws:cloudformation:stack-name": self["AWS::StackName"],
                      "aws:cloudformation:stack-id": self["AWS::StackId"]})
    all_ready = True
    for logical in creation_order(self._resource_json_map):
        instance = self[logical]
        if isinstance(instance, TaggedEC2Resource):
            self.tags["aws:cloudformation:logical-id"] = logical
            backend = parsing.ec2_models.ec2_backends[self._account_id][self._region_name]
            backend.create_tags([instance.physical_resource_id], self.tags)
        if instance is not None and hasattr(instance, "is_created") and not instance.is_created():
            all_ready = False
    return all_ready


def _parse_and_create_resource(original):
    def create(logical_id, resource_json, resources_map, account_id, region_name):
        from moto.cloudformation.exceptions import ValidationError
        from moto.cloudformation.parsing import resource_class_from_type

        stack = _ACTIVE.get(resources_map.stack_id)
        condition = resource_json.get("Condition")
        skipped = (condition and not resources_map.lazy_condition_map[condition]) \
            or not resource_class_from_type(resource_json["Type"])
        if stack is None or skipped:
            return original(logical_id, resource_json, resources_map, account_id, region_name)
        rtype = resource_json["Type"]
        _add_event(stack, logical_id, "", rtype, "CREATE_IN_PROGRESS")
        try:
            if stack.__dict__.get("_fail_on") == logical_id:
                raise _ResourceFailed(logical_id, (
                    'Resource handler returned message: "Injected fault: the sandbox fails this resource on purpose '
                    f'(fault stack_create_failure)" (RequestToken: {uuid.uuid4()}, '
                    'HandlerErrorCode: GeneralServiceException)'))
            resource = original(logical_id, resource_json, resources_map, account_id, region_name)
        except ValidationError:
            raise
        except Exception as exc:  # noqa: BLE001 - any resource error fails the stack, as on AWS
            reason = _error_reason(exc)
            _add_event(stack, logical_id, "", rtype, "CREATE_FAILED", reason)
            raise _ResourceFailed(logical_id, reason) from exc
        physical = str(getattr(resource, "physical_resource_id", "") or "")
        _add_event(stack, logical_id, physical, rtype, "CREATE_IN_PROGRESS", "Resource creation Initiated")
        _add_event(stack, logical_id, physical, rtype, "CREATE_COMPLETE")
        stack.__dict__.setdefault("_created", []).append(logical_id)
        return resource

    return create


def _delete_resource(resource_map, logical: str, instance: Any) -> None:
    """Delete one stack resource, with deleters for the types moto cannot delete."""
    from moto.ec2.models import ec2_backends

    body = resource_map._resource_json_map.get(logical) or {}
    rtype = body.get("Type", "")
    backend = ec2_backends[resource_map._account_id][resource_map._region_name]
    if rtype == "AWS::EC2::RouteTable":
        if instance.id in backend.route_tables:
            backend.delete_route_table(instance.id)
    elif rtype == "AWS::EC2::VPCEndpoint":
        if instance.id in backend.vpc_end_points:
            backend.delete_vpc_endpoints([instance.id])
            endpoint = backend.vpc_end_points.get(instance.id)
            if endpoint is not None and endpoint.__dict__.get("_gone_at") is not None:
                endpoint.__dict__["_gone_at"] = _now()  # CloudFormation waits until the endpoint is gone
                release_due(backend)
    elif rtype == "AWS::EC2::Route":
        try:
            backend.delete_route(instance.route_table.id, instance.destination_cidr_block)
        except Exception as exc:  # noqa: BLE001 - already gone with its table
            if "NotFound" not in str(getattr(exc, "code", "")):
                raise
    elif rtype == "AWS::EC2::InternetGateway":
        if instance.id in getattr(backend, "internet_gateways", {}):
            backend.delete_internet_gateway(instance.id)
    elif rtype == "AWS::EC2::VPCGatewayAttachment":
        gateway_id = getattr(instance, "gateway_id", None)
        vpc_id = getattr(instance, "vpc_id", None)
        if gateway_id and gateway_id.startswith("igw-") and vpc_id:
            backend.detach_internet_gateway(gateway_id, vpc_id)
    elif rtype in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress", "AWS::Lambda::Permission"):
        return  # the rule or permission goes with its group or function
    elif rtype == "AWS::IAM::ManagedPolicy":
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        iam = iam_backends[resource_map._account_id][get_partition(resource_map._region_name)]
        for role in list(iam.roles.values()):
            if instance.arn in role.managed_policies:
                iam.detach_role_policy(instance.arn, role.name)
        iam.delete_policy(instance.arn)
    else:
        resource_map._delete_resource(instance, body)


def _stack_resources(self):
    rm = self.resource_map
    return [v for k, v in rm._parsed_resources.items()
            if k in rm._resource_json_map and v is not None and not isinstance(v, (str, dict, list))]


def _settle(backend) -> None:
    """Move stacks whose lazy DELETE_COMPLETE time has come into deleted_stacks."""
    now = _now()
    for stack_id, stack in list(backend.stacks.items()):
        done_at = stack.__dict__.get("_removed_at")
        if done_at is not None and done_at <= now:
            backend.stacks.pop(stack_id, None)
            backend.deleted_stacks[stack_id] = stack
            for export in stack.exports:
                backend.exports.pop(export.name, None)


def _delete_stack_resources(stack) -> list[tuple[str, str]]:
    """Delete the stack's remaining resources in reverse dependency order; (logical, reason) failures."""
    rm = stack.resource_map
    resources = rm._resource_json_map
    deps = dependencies(resources)
    remaining = {k for k in resources if k in rm._parsed_resources and rm._parsed_resources[k] is not None}
    failed: list[tuple[str, str]] = []
    failed_names: set[str] = set()
    for logical in sorted(remaining, key=list(resources).index):
        if resources[logical].get("DeletionPolicy") == "Retain":
            physical = str(getattr(rm._parsed_resources[logical], "physical_resource_id", "") or "")
            _add_event(stack, logical, physical, resources[logical]["Type"], "DELETE_SKIPPED")
            remaining.discard(logical)
            rm._parsed_resources.pop(logical, None)
    progress = True
    while progress and remaining:
        progress = False
        for logical in reversed(creation_order(resources)):
            if logical not in remaining:
                continue
            blocked = [r for r in remaining | failed_names if r != logical and logical in deps.get(r, set())]
            if blocked:
                continue
            instance = rm._parsed_resources[logical]
            physical = str(getattr(instance, "physical_resource_id", "") or "")
            rtype = resources[logical]["Type"]
            _add_event(stack, logical, physical, rtype, "DELETE_IN_PROGRESS")
            try:
                _delete_resource(rm, logical, instance)
            except Exception as exc:  # noqa: BLE001 - recorded as DELETE_FAILED, as on AWS
                reason = _error_reason(exc)
                _add_event(stack, logical, physical, rtype, "DELETE_FAILED", reason)
                failed.append((logical, reason))
                failed_names.add(logical)
                remaining.discard(logical)
                continue
            _add_event(stack, logical, physical, rtype, "DELETE_COMPLETE")
            rm._parsed_resources.pop(logical, None)
            remaining.discard(logical)
            progress = True
    return failed


@_fix_cloudformation
def fix_stack_lifecycle() -> None:
    """CloudFormation stack life cycle. moto creates every resource inside CreateStack with no
    per-resource events, raises a resource error straight from CreateStack, deletes inside
    DeleteStack and raises DependencyViolation from it (the stack record vanishes), and cannot
    delete RouteTable, VPCEndpoint and other types. AWS:
    - CreateStack returns at once; the stack is CREATE_IN_PROGRESS, with CREATE_IN_PROGRESS /
      CREATE_COMPLETE events per resource in dependency order, then CREATE_COMPLETE. Here the
      events are spread over SETTINGS.delay("stack_operation") and shown when their time comes.
    - A resource that fails: CREATE_FAILED, stack ROLLBACK_IN_PROGRESS ("The following
      resource(s) failed to create: [X]. Rollback requested by user."), created resources
      deleted in reverse order, ROLLBACK_COMPLETE (fault "stack_create_failure" forces this).
    - DeleteStack returns 200; DELETE_IN_PROGRESS, resources deleted in reverse dependency
      order, then DELETE_COMPLETE, or DELETE_FAILED with a StatusReason naming the resources
      that failed; the stack stays describable and can be deleted again.
    """
    from moto.cloudformation import models as cfn_models
    from moto.cloudformation import parsing, responses

    Stack = cfn_models.Stack
    Backend = cfn_models.CloudFormationBackend

    parsing.parse_and_create_resource = _parse_and_create_resource(parsing.parse_and_create_resource)
    parsing.ResourceMap.create = _resource_map_create
    parsing.ResourceMap.__getitem__ = _frozen_getitem(parsing.ResourceMap.__getitem__)

    def get_status(self):
        timeline = self.__dict__.get("_timeline")
        if timeline:
            now = _now()
            current = [entry for entry in timeline if entry[0] <= now] or timeline[:1]
            return current[-1][1]
        return self.__dict__.get("_status_raw")

    def set_status(self, value):
        self.__dict__["_status_raw"] = value
        self.__dict__.pop("_timeline", None)

    def get_reason(self):
        timeline = self.__dict__.get("_timeline")
        if timeline:
            now = _now()
            current = [entry for entry in timeline if entry[0] <= now] or timeline[:1]
            status, reason = current[-1][1], current[-1][2]
            if status == "ROLLBACK_COMPLETE":  # AWS keeps the reason the rollback started for
                reason = next((r for _, s, r in reversed(current) if s == "ROLLBACK_IN_PROGRESS"), None)
            return reason if status.endswith(("FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE")) else None
        return None

    Stack.status = property(get_status, set_status)
    Stack.status_reason = property(get_reason)
    Stack.stack_resources = property(_stack_resources)

    original_outputs = Stack.outputs

    def outputs(self):
        if self.status in ("CREATE_IN_PROGRESS", "CREATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE",
                           "ROLLBACK_FAILED", "DELETE_COMPLETE"):
            return None
        return original_outputs.fget(self)

    Stack.outputs = property(outputs)

    def create_resources(self):
        start = self.events[0].timestamp if self.events else _now()
        first_new = len(self.events)
        order = [r for r in creation_order(self.template_dict.get("Resources") or {})]
        self.__dict__["_fail_on"] = _take_stack_fault(order)
        self.__dict__["_created"] = []
        _ACTIVE[self.stack_id] = self
        try:
            self.resource_map.create(self.template_dict)
            self.description = self.template_dict.get("Description")
            list(self.output_map.values())  # evaluate Outputs now, while every resource exists
            _add_event(self, self.name, self.stack_id, STACK_TYPE, "CREATE_COMPLETE")
            final = "CREATE_COMPLETE"
        except _ResourceFailed as failure:
            reason = f"The following resource(s) failed to create: [{failure.logical_id}]. "
            if self.disable_rollback:
                _add_event(self, self.name, self.stack_id, STACK_TYPE, "CREATE_FAILED", reason)
                final = "CREATE_FAILED"
            else:
                _add_event(self, self.name, self.stack_id, STACK_TYPE, "ROLLBACK_IN_PROGRESS",
                           reason + "Rollback requested by user.")
                rtype = self.template_dict["Resources"][failure.logical_id]["Type"]
                _add_event(self, failure.logical_id, "", rtype, "DELETE_COMPLETE")
                failed = _delete_stack_resources(self)
                final = "ROLLBACK_FAILED" if failed else "ROLLBACK_COMPLETE"
                fail_reason = None
                if failed:
                    fail_reason = f"The following resource(s) failed to delete: [{', '.join(n for n, _ in failed)}]. "
                _add_event(self, self.name, self.stack_id, STACK_TYPE, final, fail_reason)
        finally:
            _ACTIVE.pop(self.stack_id, None)
            self.resource_map._sandbox_frozen = True
        self.__dict__["_status_raw"] = final
        _spread(self, self.events[first_new - 1 if first_new else 0:], start)

    Stack.create_resources = create_resources

    original_update = Stack.update

    def update(self, *args, **kwargs):
        self.resource_map._sandbox_frozen = False  # UpdateStack may add resources
        try:
            return original_update(self, *args, **kwargs)
        finally:
            self.resource_map._sandbox_frozen = True

    Stack.update = update

    original_create_stack = Backend.create_stack

    def create_stack(self, name, template, parameters, *args, **kwargs):
        from moto.cloudformation.exceptions import ValidationError

        _settle(self)
        before = set(self.stacks)
        try:
            return original_create_stack(self, name, template, parameters, *args, **kwargs)
        except ValidationError:
            for stack_id in set(self.stacks) - before:  # a template error: no stack, as on AWS
                self.stacks.pop(stack_id, None)
            raise

    Backend.create_stack = create_stack

    def delete_stack(self, name_or_stack_id: str) -> None:
        _settle(self)
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None)
        if stack is None or stack.status in ("DELETE_IN_PROGRESS", "DELETE_COMPLETE"):
            return  # AWS answers 200 for an unknown or already-deleting stack
        start = _now()
        first_new = len(stack.events)
        stack.resource_map._sandbox_frozen = True
        _add_event(stack, stack.name, stack.stack_id, STACK_TYPE, "DELETE_IN_PROGRESS", "User Initiated")
        failed = _delete_stack_resources(stack)
        if failed:
            names = ", ".join(name for name, _ in failed)
            _add_event(stack, stack.name, stack.stack_id, STACK_TYPE, "DELETE_FAILED",
                       f"The following resource(s) failed to delete: [{names}]. ")
            final = "DELETE_FAILED"
        else:
            _add_event(stack, stack.name, stack.stack_id, STACK_TYPE, "DELETE_COMPLETE")
            final = "DELETE_COMPLETE"
        stack.__dict__["_status_raw"] = final
        _spread(stack, stack.events[first_new:], start)
        if final == "DELETE_COMPLETE":
            stack.__dict__["_removed_at"] = stack.events[-1].timestamp
            _settle(self)

    Backend.delete_stack = delete_stack

    for method in ("get_stack", "describe_stacks", "list_stacks"):
        original = getattr(Backend, method)

        def settled(self, *args, _orig=original, **kwargs):
            _settle(self)
            return _orig(self, *args, **kwargs)

        setattr(Backend, method, settled)

    def describe_stack_events(self, stack_name: str):
        now = _now()
        return [e for e in self.get_stack(stack_name).events if e.timestamp <= now]

    Backend.describe_stack_events = describe_stack_events

    original_dto = responses.StackResourceDTO.__init__

    def dto_init(self, stack, resource):
        original_dto(self, stack, resource)
        status = stack.__dict__.get("_resource_status", {}).get(self.logical_resource_id)
        if status:
            self.resource_status, self.resource_status_reason = status
        self.timestamp = stack.creation_time

    responses.StackResourceDTO.__init__ = dto_init


# =============================================================================== apply


def apply() -> None:
    """Apply every fix once (idempotent)."""
    for fn in _REGISTRY:
        if fn.__name__ not in FIXES:
            fn()
            FIXES.append(fn.__name__)


apply()
