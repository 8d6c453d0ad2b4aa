"""CloudFormation fixes (moto.cloudformation): template parameter constraints, the stack life cycle, template
format errors (check_template, run before moto for every action with a TemplateBody), and answers as recorded
from AWS (DescribeStacks members, NoEcho, "No updates are to be performed.", error texts).

These need moto's CloudFormation code, which takes about a second to import, so they are registered with
`@fix(lazy=True)`: the sandbox applies them at its first CloudFormation request, and `apply_all()` at once.

The parameter constraints are a plain moto bug, shaped as an upstream patch. The stack life cycle is the
sandbox's own model of CloudFormation's asynchronous operations (events per resource, in dependency order,
spread over SETTINGS.delay("stack_operation"), rollback, DELETE_FAILED), built on moto's Stack.
"""

from __future__ import annotations

import functools
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from ..settings import LOCK, SETTINGS
from .ec2 import release_due
from .registry import fix, original, replace

STACK_TYPE = "AWS::CloudFormation::Stack"


def _now():
    from moto.core.utils import utcnow

    return utcnow()


# ------------------------------------------------------------------------------------------- parameters


def _as_parameter_text(value: Any) -> str:
    """A template value as CloudFormation compares it with a parameter value: text. YAML reads the unquoted
    `true`, `false`, `2012-10-17` and `10` as other types; CloudFormation sees the text written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _parameter_problem(name: str, spec: dict, value: Any, region: str) -> str | None:
    """What is wrong with a parameter's value, as AWS words it, or None."""
    described = spec.get("ConstraintDescription")

    def fail(default: str) -> str:
        return f"Parameter '{name}' failed to satisfy constraint: {described}" if described else default

    kind = spec.get("Type", "String")
    if value is None or isinstance(value, list):
        return None  # no value (moto reports a missing one), or a list type
    if kind == "AWS::EC2::AvailabilityZone::Name":
        from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

        zones = {z.name for z in RegionsAndZonesBackend.zones.get(region, [])}
        if value not in zones:
            return (f"Parameter validation failed: parameter value {value} for parameter name {name} does not "
                    "exist. Rollback requested by user.")
        return None
    if "AllowedValues" in spec and _as_parameter_text(value) not in [_as_parameter_text(v)
                                                                     for v in spec["AllowedValues"]]:
        return fail(f"Parameter '{name}' must be one of AllowedValues")
    if kind == "Number":
        if "MinValue" in spec and float(value) < float(spec["MinValue"]):
            return fail(f"Parameter '{name}' must be a number not less than {spec['MinValue']}")
        if "MaxValue" in spec and float(value) > float(spec["MaxValue"]):
            return fail(f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}")
        return None
    text = _as_parameter_text(value)
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], text):
        return fail(f"Parameter '{name}' must match pattern {spec['AllowedPattern']}")
    if "MinLength" in spec and len(text) < int(spec["MinLength"]):
        return fail(f"Parameter '{name}' must contain at least {spec['MinLength']} characters")
    if "MaxLength" in spec and len(text) > int(spec["MaxLength"]):
        return fail(f"Parameter '{name}' must contain at most {spec['MaxLength']} characters")
    return None


def load_parameters(self) -> None:
    """Parameter constraints (CloudFormation User Guide, "Parameters section syntax reference for CloudFormation
    templates": AllowedPattern, AllowedValues, MinLength, MaxLength, MinValue, MaxValue, and the AWS-specific
    type AWS::EC2::AvailabilityZone::Name). A value that breaks one makes CreateStack fail with ValidationError
    ("Parameter 'X' failed to satisfy constraint: <ConstraintDescription>"), and nothing is created.

    moto 5.2.1 (ResourceMap.load_parameters) checks none of them, so a bad value creates resources."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.parsing import ResourceMap

    original(ResourceMap, "load_parameters")(self)
    for name, spec in (self._template.get("Parameters") or {}).items():
        problem = _parameter_problem(name, spec, self.resolved_parameters.get(name), self._region_name)
        if problem:
            raise ValidationError(message=problem)


@fix(lazy=True)
def fix_template_parameter_constraints() -> None:
    from moto.cloudformation.parsing import ResourceMap

    replace(ResourceMap, "load_parameters", load_parameters)


# ------------------------------------------------------------------------------------------- stack life cycle

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


def _service_name(resource_type: str) -> str:
    """The service a resource handler names in its messages: AWS::EC2::VPC -> Ec2, AWS::IAM::Role -> Iam,
    AWS::Lambda::Function -> Lambda (the SDK's service name, as AWS prints it)."""
    parts = resource_type.split("::")
    name = parts[1] if len(parts) > 2 else "CloudFormation"
    return name.capitalize() if name.isupper() else name


def _handler_error_code(aws_code: str) -> str:
    """The handler error code for a service's error code (CloudFormation CLI, "Handler error codes")."""
    if aws_code.endswith(("NotFound", "NoSuchEntity")) or aws_code.startswith("NoSuch"):
        return "NotFound"
    if "AlreadyExists" in aws_code or aws_code.endswith("Duplicate") or ".Duplicate" in aws_code:
        return "AlreadyExists"
    if aws_code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        return "AccessDenied"
    if "Throttl" in aws_code or aws_code == "RequestLimitExceeded":
        return "Throttling"
    if "LimitExceeded" in aws_code:
        return "ServiceLimitExceeded"
    if aws_code.startswith(("Invalid", "Validation", "DependencyViolation", "MalformedPolicyDocument")):
        return "InvalidRequest"
    return "GeneralServiceException"


@functools.lru_cache(maxsize=64)
def _http_status(service: str, aws_code: str) -> int:
    """The HTTP status AWS answers `aws_code` with, from the service's botocore model (400 if unknown)."""
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # noqa: BLE001 - not a botocore service name: the common case
        return 400
    for shape in model.error_shapes:
        error = shape.metadata.get("error") or {}
        if aws_code in (shape.name, error.get("code")):
            return int(error.get("httpStatusCode", 400))
    return 400


def _error_reason(exc: Exception, resource_type: str) -> str:
    """A resource's failure as CloudFormation reports it: 'Resource handler returned message: "<message>
    (Service: <service>, Status Code: <status>, Request ID: <id>)" (RequestToken: <token>, HandlerErrorCode:
    <code>)'. moto's older errors (RESTError) carry the AWS error code in error_type and the HTTP status in
    code; its newer ones (ServiceException) carry the AWS error code in code."""
    if isinstance(exc, _ResourceFailed):
        return exc.reason
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        aws_code, status = str(getattr(exc, "error_type", None) or type(exc).__name__), code
    else:
        aws_code = str(code or type(exc).__name__)
        status = _http_status(_service_name(resource_type).lower(), aws_code)
    message = getattr(exc, "message", None) or str(exc)
    return (f'Resource handler returned message: "{message} (Service: {_service_name(resource_type)}, '
            f'Status Code: {status}, Request ID: {uuid.uuid4()})" (RequestToken: {uuid.uuid4()}, '
            f'HandlerErrorCode: {_handler_error_code(aws_code)})')


def _add_event(stack, logical: str, physical: str, rtype: str, status: str, reason: str | None = None) -> None:
    from moto.cloudformation.models import Event

    event = Event(stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical,
                  physical_resource_id=physical, resource_type=rtype, resource_status=status,
                  resource_status_reason=reason, resource_properties=None)
    if rtype == STACK_TYPE:  # as moto's Stack._add_stack_event: the stack's own events go to NotificationARNs
        event.sendToSns(stack.account_id, stack.region_name, stack.notification_arns or [])
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


def _is_template_error(exc: Exception) -> bool:
    """A template error (a missing export, a bad parameter, an unknown attribute): CreateStack itself fails with
    ValidationError and no stack is created (CloudFormation API Reference, "CreateStack"; e.g. "No export named
    X found." for an Fn::ImportValue whose export does not exist), unlike a resource that fails to create."""
    from moto.cloudformation.exceptions import CloudFormationError

    return isinstance(exc, CloudFormationError) and getattr(exc, "code", None) == "ValidationError"


def _parse_and_create_resource(original):
    def create(logical_id, resource_json, resources_map, account_id, region_name):
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
        except Exception as exc:  # noqa: BLE001 - any resource error fails the stack, as on AWS
            if _is_template_error(exc):
                raise
            reason = _error_reason(exc, rtype)
            _add_event(stack, logical_id, "", rtype, "CREATE_FAILED", reason)
            raise _ResourceFailed(logical_id, reason) from exc
        physical = str(getattr(resource, "physical_resource_id", "") or "")
        _add_event(stack, logical_id, physical, rtype, "CREATE_IN_PROGRESS", "Resource creation Initiated")
        if hasattr(resource, "is_created") and not resource.is_created():
            # A custom resource: complete when its provider responds (Stack.mark_creation_complete).
            stack.__dict__.setdefault("_pending", {})[logical_id] = (physical, rtype)
        else:
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
    """The stack's resources that exist, in template order (as moto lists them), never created lazily here."""
    rm = self.resource_map
    parsed = rm._parsed_resources
    return [parsed[k] for k in rm._resource_json_map
            if parsed.get(k) is not None and not isinstance(parsed[k], (str, dict, list))]


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
                reason = _error_reason(exc, rtype)
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


@fix(lazy=True)
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
    - A custom resource (CloudFormation User Guide, "Create custom provisioning logic with custom
      resources") stays CREATE_IN_PROGRESS, and so does the stack, until its provider responds.
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
        first_new = len(self.events)
        order = [r for r in creation_order(self.template_dict.get("Resources") or {})]
        self.__dict__["_fail_on"] = _take_stack_fault(order)
        self.__dict__["_created"] = []
        _ACTIVE[self.stack_id] = self
        try:
            all_ready = self.resource_map.create(self.template_dict)
            self.description = self.template_dict.get("Description")
            if all_ready and not self.__dict__.get("_pending"):
                list(self.output_map.values())  # evaluate Outputs now, while every resource exists
                _add_event(self, self.name, self.stack_id, STACK_TYPE, "CREATE_COMPLETE")
                final = "CREATE_COMPLETE"
            else:  # a custom resource has not responded yet: mark_creation_complete() finishes the stack
                final = "CREATE_IN_PROGRESS"
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
        # The operation's time starts when CreateStack returns, however long the emulation took to get there.
        _spread(self, self.events[first_new - 1 if first_new else 0:], _now())

    Stack.create_resources = create_resources

    def mark_creation_complete(self) -> None:
        """The last custom resource has responded (moto: CloudFormationResponse.process_cfn_response)."""
        for logical, (physical, rtype) in self.__dict__.pop("_pending", {}).items():
            _add_event(self, logical, physical, rtype, "CREATE_COMPLETE")
        self.status = "CREATE_COMPLETE"
        _add_event(self, self.name, self.stack_id, STACK_TYPE, "CREATE_COMPLETE")

    Stack.mark_creation_complete = mark_creation_complete

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
        _settle(self)
        before = set(self.stacks)
        try:
            return original_create_stack(self, name, template, parameters, *args, **kwargs)
        except Exception as exc:
            if not _is_template_error(exc):
                raise
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




# ---------------------------------------------------------------- template format errors

PSEUDO_PARAMETERS = {"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
                     "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"}
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")


class TemplateFormatError(Exception):
    """A template CloudFormation cannot read: ValidationError "Template format error: ..." (or, for a few
    checks, the bare message AWS sends), and nothing is created."""


@functools.cache
def _resource_attributes() -> frozenset[str]:
    """The members a resource may have (Type, Properties, DependsOn, ...), from cfn-lint's maintained schema."""
    import json
    from importlib import resources

    schema = json.loads(resources.files("cfnlint").joinpath(
        "data/schemas/other/resources/configuration.json").read_text())
    return frozenset(schema["definitions"]["ResourceConfiguration"]["properties"])


def _yaml_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def any_tag(loader, suffix, node):  # !Ref, !GetAtt, !Sub, ... (short forms of intrinsic functions)
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {name: value}

    Loader.add_multi_constructor("!", any_tag)
    return Loader


def parse_template_body(body: str) -> Any:
    """The template as CloudFormation reads it: JSON when it starts with "{", else YAML.

    Errors, as recorded from AWS (LocalStack's test_templates.snapshot.json): "JSON not well-formed. (line 1,
    column 25)" for '{"this is invalid JSON"="bobbins"}' (the column after the offending character), and
    "YAML not well-formed. (line L, column C)"."""
    import json

    import yaml

    if body.lstrip().startswith("{"):
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            raise TemplateFormatError(
                f"Template format error: JSON not well-formed. (line {exc.lineno}, column {exc.colno + 1})") from None
    try:
        return yaml.load(body, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise TemplateFormatError(f"Template format error: YAML not well-formed.{where}") from None


def _refs(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref" and isinstance(value, str):
                out.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) and value else (
                    value.split(".", 1)[0] if isinstance(value, str) else None)
                if isinstance(target, str):
                    out.add(target)
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)
    return out


def check_template(body: str) -> dict:
    """The parsed template, or TemplateFormatError with AWS's message. The checks and their words are AWS's,
    as recorded in LocalStack's snapshots (api/test_templates, api/test_validations, api/test_stacks,
    api/test_changesets, engine/test_references):
    - not JSON/YAML: "JSON not well-formed. (...)" / "YAML not well-formed. (...)";
    - not a mapping: "unsupported structure.";
    - "Resources" missing or empty: "At least one Resources member must be defined."; not a mapping:
      "Any Resources member must be an object."; a resource without Type: "[/Resources/A] Every Resources
      object must contain a Type member."; a member outside the resource attributes: "Invalid template
      resource property 'Invalid'" (no prefix); a name not alphanumeric: "Resource name X is non alphanumeric.";
    - an output without Value: "Every Outputs member must contain a Value object"; a null one:
      "[/Outputs/O/Value] 'null' values are not allowed in templates" (no prefix);
    - a Ref, Fn::GetAtt or DependsOn to no parameter or resource: "Unresolved resource dependencies [X] in the Resources
      block of the template".
    A template with a Transform is checked only for its format (its macros may add what it lacks)."""
    prefix = "Template format error: "
    template = parse_template_body(body)
    if not isinstance(template, dict):
        raise TemplateFormatError(prefix + "unsupported structure.")
    resources = template.get("Resources")
    if resources is not None and not isinstance(resources, dict):
        raise TemplateFormatError(prefix + "Any Resources member must be an object.")
    if template.get("Transform"):
        return template
    if not resources:
        raise TemplateFormatError(prefix + "At least one Resources member must be defined.")
    for name, resource in resources.items():
        if not _ALPHANUMERIC.fullmatch(str(name)):
            raise TemplateFormatError(prefix + f"Resource name {name} is non alphanumeric.")
        if not isinstance(resource, dict):
            raise TemplateFormatError(prefix + "Any Resources member must be an object.")
        if "Type" not in resource:
            raise TemplateFormatError(prefix + f"[/Resources/{name}] Every Resources object must contain a Type "
                                      "member.")
        for key in resource:
            if key not in _resource_attributes():
                raise TemplateFormatError(f"Invalid template resource property '{key}'")
    parameters = template.get("Parameters") or {}
    for name in parameters if isinstance(parameters, dict) else []:
        if not _ALPHANUMERIC.fullmatch(str(name)):
            raise TemplateFormatError(prefix + f"Parameter name {name} is non alphanumeric.")
    outputs = template.get("Outputs") or {}
    for name, output in outputs.items() if isinstance(outputs, dict) else []:
        if not isinstance(output, dict) or "Value" not in output:
            raise TemplateFormatError(prefix + "Every Outputs member must contain a Value object")
        if output["Value"] is None:
            raise TemplateFormatError(f"[/Outputs/{name}/Value] 'null' values are not allowed in templates")
    known = set(resources) | set(parameters if isinstance(parameters, dict) else ()) | PSEUDO_PARAMETERS
    wanted = _refs(resources, set())
    for resource in resources.values():
        depends = resource.get("DependsOn") or []
        wanted.update([depends] if isinstance(depends, str) else [d for d in depends if isinstance(d, str)])
    missing = sorted(wanted - known)
    if missing:
        raise TemplateFormatError(prefix + f"Unresolved resource dependencies [{', '.join(missing)}] in the "
                                  "Resources block of the template")
    return template


def _template_format_route(req) -> None:
    """Every action that takes a TemplateBody checks its format first (CloudFormation API Reference,
    "ValidateTemplate", "CreateStack": ValidationError); moto 5.2.1 answers a template it cannot parse with an
    HTTP 500 page."""
    body = req.form.get("TemplateBody")
    if body is None:
        if req.action == "UpdateStack" and not req.form.get("TemplateURL") and \
                req.form.get("UsePreviousTemplate", "").lower() != "true":
            from ..errors import AwsError

            # recorded: test_update_stack.snapshot.json, test_no_template_error
            raise AwsError("ValidationError", "Either Template URL or Template Body must be specified.")
        return None
    try:
        check_template(body)
    except TemplateFormatError as exc:
        from ..errors import AwsError

        raise AwsError("ValidationError", str(exc)) from None
    return None


def _register_routes() -> None:
    from ..server import route

    for action in ("CreateStack", "UpdateStack", "ValidateTemplate", "CreateChangeSet", "CreateStackSet",
                   "UpdateStackSet", "GetTemplateSummary"):
        route(service="cloudformation", action=action)(_template_format_route)


_register_routes()


# ---------------------------------------------------------------- answers in AWS's words
# Recorded from AWS in LocalStack's tests/aws/services/cloudformation/api/test_stacks.snapshot.json and
# test_update_stack.snapshot.json.

class _StackView:
    """A stack as DescribeStacks shows it: DriftInformation {"StackDriftStatus": "NOT_CHECKED"} until drift is
    detected, RollbackConfiguration {}, no Parameters member when the stack has none (recorded
    "describe_stack", test_stack_description_special_chars). moto 5.2.1 sends no DriftInformation and no
    RollbackConfiguration, and an empty Parameters list."""

    _EMPTY_PARAMETERS = {"Parameters", "parameters", "parameter_list"}  # the last: moto's alias (Stack.Meta)

    def __init__(self, stack: Any) -> None:
        self.__dict__["_stack"] = stack

    def __getattr__(self, name: str) -> Any:
        stack = self._stack
        if name in ("DriftInformation", "drift_information"):
            return getattr(stack, "drift_information", None) or {"StackDriftStatus": "NOT_CHECKED"}
        if name in ("RollbackConfiguration", "rollback_configuration"):
            return getattr(stack, "rollback_configuration", None) or {}
        if name in self._EMPTY_PARAMETERS and not stack.parameters:
            raise AttributeError(name)
        if name in ("Outputs", "outputs") and stack.__dict__.get("_outputs_stale") and \
                str(stack.status).endswith("_COMPLETE"):
            stack.output_map = stack._create_output_map()  # the resources exist now (Fn::GetAtt resolves)
            stack.__dict__["_outputs_stale"] = False
        extra = stack.__dict__.get("_describe") or {}
        for key, value in extra.items():
            if name in (key, _snake(key)):
                return value
        return getattr(stack, name)


def _snake(name: str) -> str:
    from botocore import xform_name

    return xform_name(name)


def _note(stack: Any, **members: Any) -> None:
    """Members that DescribeStacks shows and moto's Stack does not keep (Capabilities, ChangeSetId,
    LastUpdatedTime, Description)."""
    stack.__dict__.setdefault("_describe", {}).update({k: v for k, v in members.items() if v is not None})


@fix(lazy=True)
def fix_stack_answers() -> None:
    from moto.cloudformation import models, responses
    from moto.cloudformation.exceptions import ValidationError

    Backend = models.CloudFormationBackend
    Response = responses.CloudFormationResponse

    def describe_stacks(self):
        result = original(Response, "describe_stacks")(self)
        result.result["Stacks"] = [_StackView(s) for s in result.result["Stacks"]]
        return result

    replace(Response, "describe_stacks", describe_stacks)

    def _validate_different_update(self, incoming_params, stack_body, old_stack) -> None:
        """UpdateStack with the stack's template, parameters and tags: ValidationError "No updates are to be
        performed." (recorded "no_change_exception"). moto 5.2.1 checks only when the request has parameters."""
        if self._get_action() != "UpdateStack":  # a change set without changes is created FAILED (moto does so)
            return original(Response, "_validate_different_update")(self, incoming_params, stack_body, old_stack)
        self._validate_status(old_stack)  # a stack that cannot be updated says so first
        if not stack_body or old_stack.template != stack_body:
            return
        new_params = self._get_param_values(incoming_params or [], old_stack.stack_parameters)
        tags = {t["Key"]: t["Value"] for t in self._get_param("Tags", []) or []}
        if old_stack.stack_parameters == new_params and (not tags or tags == old_stack.tags):
            raise ValidationError(old_stack.name, message="No updates are to be performed.")

    replace(Response, "_validate_different_update", _validate_different_update)

    def create_change_set(self):
        """An UPDATE change set for a deleted stack: ValidationError "Stack:<stack id> is in DELETE_COMPLETE
        state and can not be updated." (recorded, test_update_stack.snapshot.json, test_update_deleted_stack)."""
        if self._get_param("ChangeSetType") == "UPDATE":
            name = self._get_param("StackName")
            backend = self.cloudformation_backend
            stack = dict(backend.deleted_stacks, **backend.stacks).get(name)
            if stack is not None and stack.status == "DELETE_COMPLETE":
                raise ValidationError(name, message=f"Stack:{stack.stack_id} is in DELETE_COMPLETE state and can "
                                                    "not be updated.")
        return original(Response, "create_change_set")(self)

    replace(Response, "create_change_set", create_change_set)

    def _capabilities(self) -> list[str] | None:
        caps = self._get_param("Capabilities", [])
        return sorted(caps) if caps else None

    def create_stack(self):
        """DescribeStacks shows the Capabilities the stack was created with (recorded "describe_stack")."""
        result = original(Response, "create_stack")(self)
        stack = self.cloudformation_backend.stacks.get(result.result["StackId"])
        if stack is not None:
            _note(stack, Capabilities=_capabilities(self))
        return result

    replace(Response, "create_stack", create_stack)

    def create_change_set_noting(self):
        result = create_change_set(self)
        if self._get_param("ChangeSetType") == "CREATE":
            stack = self.cloudformation_backend.stacks.get(result.result.get("StackId"))
            if stack is not None:
                _note(stack, Capabilities=_capabilities(self))
        return result

    replace(Response, "create_change_set", create_change_set_noting)

    def execute_change_set(self):
        """A stack created by a change set shows its ChangeSetId, LastUpdatedTime (the execution) and its
        template's Description (recorded "describe_stack", test_stack_description_special_chars)."""
        backend = self.cloudformation_backend
        name = self._get_param("ChangeSetName")
        change_set = backend.change_sets.get(name) or next(
            (c for c in backend.change_sets.values() if c.change_set_name == name), None)
        result = original(Response, "execute_change_set")(self)
        if change_set is not None:
            stack = backend.stacks.get(change_set.stack_id)
            if stack is not None:
                template = getattr(change_set, "template_dict", None)
                template = template if isinstance(template, dict) else {}
                if change_set.change_set_type == "CREATE" and template:
                    # the stack's template and Outputs are the change set's (moto 5.2.1 keeps the empty
                    # template of REVIEW_IN_PROGRESS, so DescribeStacks shows no Outputs)
                    stack.template, stack.template_dict = change_set.template, template
                    stack.__dict__["_outputs_stale"] = True  # built at the next DescribeStacks (_StackView)
                _note(stack, ChangeSetId=change_set.change_set_id, LastUpdatedTime=_now(),
                      Description=template.get("Description"))
        return result

    replace(Response, "execute_change_set", execute_change_set)

    def parameter_list(self) -> list[dict[str, Any]]:
        """A NoEcho parameter's value shows as "****" (CloudFormation User Guide, "Parameters": NoEcho; recorded
        "describe_stacks", test_no_echo_parameter). moto 5.2.1 compares the parameter's value, not its key, with
        the NoEcho keys, and so shows the secret."""
        declared = (self.template_dict or {}).get("Parameters") or {}
        hidden = set(self.resource_map.no_echo_parameter_keys) | {
            k for k, spec in declared.items() if isinstance(spec, dict) and str(spec.get("NoEcho")).lower() == "true"}
        return [{"ParameterKey": k, "ParameterValue": "****" if k in hidden else v}
                for k, v in self.resource_map.resolved_parameters.items()]

    models.Stack.parameter_list = property(parameter_list)

    events = Backend.describe_stack_events  # the sandbox's own (fix_stack_lifecycle) or moto's

    def describe_stack_events(self, stack_name: str):
        """An unknown stack: ValidationError "Stack [X] does not exist" (recorded
        "describe_stack_events_stack_not_found"; DescribeStacks says "Stack with id X does not exist")."""
        try:
            return events(self, stack_name)
        except ValidationError:
            raise ValidationError(stack_name, message=f"Stack [{stack_name}] does not exist") from None

    if not getattr(events, "_sandbox_events_message", False):
        describe_stack_events._sandbox_events_message = True
        Backend.describe_stack_events = describe_stack_events


@fix(lazy=True)
def fix_ssm_parameter_generated_name() -> None:
    """`AWS::SSM::Parameter` without Name: "If you don't specify a name, AWS CloudFormation generates a unique
    physical ID for the parameter name" (CloudFormation User Guide, AWS::SSM::Parameter, Name). moto 5.2.1
    fails with an AttributeError (HTTP 500); the name is now the physical ID moto generated for the resource."""
    from moto.ssm.models import Parameter

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                        **kwargs):
        properties = dict(cloudformation_json.get("Properties") or {})
        properties.setdefault("Name", resource_name)
        return original(Parameter, "create_from_cloudformation_json")(
            cls, resource_name, dict(cloudformation_json, Properties=properties), account_id, region_name, **kwargs)

    replace(Parameter, "create_from_cloudformation_json", create_from_cloudformation_json, kind="classmethod")


@fix(lazy=True)
def fix_sns_topic_arn_attribute() -> None:
    """`Fn::GetAtt` on `AWS::SNS::Topic` returns TopicArn and TopicName (CloudFormation User Guide,
    AWS::SNS::Topic, "Return values"). moto 5.2.1 knows TopicName only, and an output that reads TopicArn fails
    the request with HTTP 500."""
    from moto.sns.models import Topic

    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("TopicArn", "TopicName")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "TopicArn":
            return self.arn
        return original(Topic, "get_cfn_attribute")(self, attribute_name)

    replace(Topic, "has_cfn_attr", has_cfn_attr, kind="classmethod")
    replace(Topic, "get_cfn_attribute", get_cfn_attribute)


@fix(lazy=True)
def fix_list_parameter_values() -> None:
    """DescribeStacks returns a `CommaDelimitedList` or `List<...>` parameter as it was given: one comma-separated
    string (CloudFormation API Reference, "Parameter": ParameterValue is a String).

    moto 5.2.1 returns the Python repr of the list it split the value into ("['a', 'b']"), so a client that
    compares a stack's parameters with the values it would pass sees a difference where there is none."""
    from moto.cloudformation.models import Stack

    def parameter_list(self) -> list[dict[str, Any]]:
        return [dict(p, ParameterValue=",".join(map(str, p["ParameterValue"])))
                if isinstance(p.get("ParameterValue"), list) else p
                for p in original(Stack, "parameter_list").fget(self)]

    replace(Stack, "parameter_list", property(parameter_list), kind="method")


@fix(lazy=True)
def fix_get_template_without_a_stack() -> None:
    """GetTemplate with neither StackName nor ChangeSetName: ValidationError "StackName is required if
    ChangeSetName is not specified." (recorded from AWS: tests/parity/cases/cloudformation.json,
    cloudformation.get_template.no_arguments); moto 5.2.1 looks up a stack named None and answers "Stack with id
    None does not exist"."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.responses import CloudFormationResponse

    def get_template(self) -> Any:
        if not self._get_param("StackName") and not self._get_param("ChangeSetName"):
            raise ValidationError(message="StackName is required if ChangeSetName is not specified.")
        return original(CloudFormationResponse, "get_template")(self)

    replace(CloudFormationResponse, "get_template", get_template)
