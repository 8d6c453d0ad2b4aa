"""The StackSets API on moto's CloudFormation responses: moto parses the request and serializes the answer,
sandbox/stacksets/models.py does the work. Also ActivateOrganizationsAccess, DeactivateOrganizationsAccess
and DescribeOrganizationsAccess, which moto 5.2.1 lacks ("Activate trusted access for stack sets with AWS
Organizations", AWS CloudFormation User Guide)."""

from __future__ import annotations

import threading

from moto.core.responses import ActionResult, EmptyResult

from . import models
from .exceptions import StackInstanceNotFoundException, StackSetValidationError

_applied = False
_lock = threading.Lock()


def _list(value) -> list:
    if value is None:
        return []
    if isinstance(value, dict):  # a query-protocol list that came through as {"member": [...]}
        value = value.get("member", list(value.values()))
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _bool(value) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value).lower() == "true"


def _backend(self):
    return self.cloudformation_backend


def _template(self) -> str | None:
    body = self._get_param("TemplateBody")
    url = self._get_param("TemplateURL")
    if url and not body:
        body = self._get_stack_from_s3_url(url)
    return body


def _prefs(self) -> dict:
    prefs = self._get_param("OperationPreferences") or {}
    prefs = dict(prefs)
    if "RegionOrder" in prefs:
        prefs["RegionOrder"] = _list(prefs["RegionOrder"])
    for key in ("FailureToleranceCount", "FailureTolerancePercentage", "MaxConcurrentCount",
                "MaxConcurrentPercentage"):
        if prefs.get(key) is not None:
            prefs[key] = int(prefs[key])
    return prefs


def _targets(self) -> dict | None:
    targets = self._get_param("DeploymentTargets")
    if not targets:
        return None
    targets = dict(targets)
    for key in ("Accounts", "OrganizationalUnitIds"):
        if key in targets:
            targets[key] = _list(targets[key])
    return targets


def _tags(self) -> list[dict]:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in _list(self._get_param("Tags"))]


def _parameters(self, name: str = "Parameters") -> list[dict]:
    return [dict(p) for p in _list(self._get_param(name))]


def create_stack_set(self):
    name = self._get_param("StackSetName")
    import re

    if not name or not re.match(r"^[a-zA-Z][-a-zA-Z0-9]*$", name) or len(name) > 128:
        raise StackSetValidationError(
            f"1 validation error detected: Value '{name}' at 'stackSetName' failed to satisfy constraint: Member "
            "must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*")
    template = _template(self)
    if not template:
        raise StackSetValidationError("Either TemplateBody or TemplateURL must be specified")
    ss = models.create_stack_set(
        _backend(self), name=name, template=template, parameters=_parameters(self),
        capabilities=_list(self._get_param("Capabilities")), tags=_tags(self),
        description=self._get_param("Description"), permission_model=self._get_param("PermissionModel"),
        admin_role=self._get_param("AdministrationRoleARN"), execution_role=self._get_param("ExecutionRoleName"),
        auto_deployment=self._get_param("AutoDeployment"), managed_execution=self._get_param("ManagedExecution"))
    return ActionResult({"StackSetId": ss.id})


def describe_stack_set(self):
    ss = models.find(_backend(self), self._get_param("StackSetName"))
    return ActionResult({"StackSet": ss.describe()})


def list_stack_sets(self):
    models.advance_all()
    status = self._get_param("Status")
    items = [ss.summary() for ss in _backend(self).stacksets.values()
             if isinstance(ss, models.StackSet) and (not status or ss.status == status)]
    return ActionResult({"Summaries": items})


def update_stack_set(self):
    ss = models.find(_backend(self), self._get_param("StackSetName"))
    params = self._get_param("Parameters")
    tags = self._get_param("Tags")
    op = models.update_stack_set(
        ss, template=_template(self), parameters=_parameters(self) if params is not None else None,
        capabilities=_list(self._get_param("Capabilities")), tags=_tags(self) if tags is not None else None,
        description=self._get_param("Description"), admin_role=self._get_param("AdministrationRoleARN"),
        execution_role=self._get_param("ExecutionRoleName"), auto_deployment=self._get_param("AutoDeployment"),
        accounts=_list(self._get_param("Accounts")), regions=_list(self._get_param("Regions")),
        deployment_targets=_targets(self), preferences=_prefs(self), op_id=self._get_param("OperationId"),
        use_previous_template=_bool(self._get_param("UsePreviousTemplate")))
    return ActionResult({"OperationId": op.id})


def delete_stack_set(self):
    models.delete_stack_set(_backend(self), self._get_param("StackSetName"))
    return EmptyResult()


def create_stack_instances(self):
    ss = models.find(_backend(self), self._get_param("StackSetName"))
    op = models.create_stack_instances(
        ss, _list(self._get_param("Accounts")), _list(self._get_param("Regions")), _targets(self),
        _parameters(self, "ParameterOverrides"), _prefs(self), self._get_param("OperationId"))
    return ActionResult({"OperationId": op.id})


def update_stack_instances(self):
    ss = models.find(_backend(self), self._get_param("StackSetName"))
    regions = _list(self._get_param("Regions"))
    targets = models.resolve_targets(ss, _list(self._get_param("Accounts")), regions, _targets(self))
    targets = [t for t in targets if ss.instance(t[0], t[1]) is not None]
    overrides = _parameters(self, "ParameterOverrides")
    with models.LOCK:
        op = ss.start("UPDATE", targets, _prefs(self), self._get_param("OperationId"), _targets(self))
        for account, region, _ in targets:
            inst = ss.instance(account, region)
            if inst is not None:
                inst.overrides = overrides
        models.advance(ss)
    return ActionResult({"OperationId": op.id})


def delete_stack_instances(self):
    ss = models.find(_backend(self), self._get_param("StackSetName"))
    retain = _bool(self._get_param("RetainStacks"))
    if retain is None:
        raise StackSetValidationError("RetainStacks must be specified")
    op = models.delete_stack_instances(
        ss, _list(self._get_param("Accounts")), _list(self._get_param("Regions")), _targets(self), retain,
        _prefs(self), self._get_param("OperationId"))
    return ActionResult({"OperationId": op.id})


def describe_stack_instance(self):
    ss = models.find(_backend(self), self._get_param("StackSetName"))
    account, region = self._get_param("StackInstanceAccount"), self._get_param("StackInstanceRegion")
    inst = ss.instance(account, region)
    if inst is None:
        raise StackInstanceNotFoundException(
            f"Stack instance with account {account} and region {region} was not found in stack set {ss.name}")
    return ActionResult({"StackInstance": inst.describe()})


def _page(self, items: list) -> tuple[list, str | None]:
    start = int(self._get_param("NextToken") or 0)
    size = int(self._get_param("MaxResults") or 100)
    page = items[start:start + size]
    return page, (str(start + size) if start + size < len(items) else None)


def list_stack_instances(self):
    ss = models.find(_backend(self), self._get_param("StackSetName"))
    account, region = self._get_param("StackInstanceAccount"), self._get_param("StackInstanceRegion")
    filters = {f.get("Name"): f.get("Values") for f in _list(self._get_param("Filters"))}
    items = []
    for inst in ss.live_instances():
        if (account and inst.account != account) or (region and inst.region != region):
            continue
        summary = inst.summary()
        if "DETAILED_STATUS" in filters and summary["StackInstanceStatus"]["DetailedStatus"] != \
                filters["DETAILED_STATUS"]:
            continue
        if "LAST_OPERATION_ID" in filters and summary.get("LastOperationId") != filters["LAST_OPERATION_ID"]:
            continue
        items.append(summary)
    page, token = _page(self, items)
    result = {"Summaries": page}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def list_stack_set_operations(self):
    ss = models.find(_backend(self), self._get_param("StackSetName"))
    items = [op.summary() for op in reversed(ss.operations)]
    page, token = _page(self, items)
    result = {"Summaries": page}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def describe_stack_set_operation(self):
    ss = models.find(_backend(self), self._get_param("StackSetName"))
    return ActionResult({"StackSetOperation": ss.operation(self._get_param("OperationId")).describe()})


def list_stack_set_operation_results(self):
    ss = models.find(_backend(self), self._get_param("StackSetName"))
    items = ss.operation(self._get_param("OperationId")).result_summaries()
    page, token = _page(self, items)
    result = {"Summaries": page}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def stop_stack_set_operation(self):
    ss = models.find(_backend(self), self._get_param("StackSetName"))
    op = ss.operation(self._get_param("OperationId"))
    with models.LOCK:
        if not op.finished:
            # Instances not yet started are cancelled; those running finish (AWS lets them complete).
            at = models.now()
            for timeline in op.results.values():
                if timeline.get(at)[0] == "PENDING":
                    timeline.add(at, ("CANCELLED", "Operation stopped by user"))
            op.batches = op.batches[:op.next_batch]
            op.end = max(at, op.next_due)
            op.status.add(op.end, ("STOPPED", None))
            op.finished = True
    return EmptyResult()


# -- trusted access (CloudFormation's side of Organizations' EnableAWSServiceAccess)


def _org(self):
    backend = models.org_backend_for_management(self.current_account)
    if backend is None:
        raise StackSetValidationError(
            "You must be the master or delegated admin account of an organization before operating a "
            "SERVICE_MANAGED stack set")
    return backend


def activate_organizations_access(self):
    org = _org(self)
    if not models.trusted_access_enabled(org):
        org.enable_aws_service_access(ServicePrincipal=models.TRUSTED_ACCESS_PRINCIPAL)
    return EmptyResult()


def deactivate_organizations_access(self):
    org = _org(self)
    if models.trusted_access_enabled(org):
        org.disable_aws_service_access(ServicePrincipal=models.TRUSTED_ACCESS_PRINCIPAL)
    return EmptyResult()


def describe_organizations_access(self):
    org = _org(self)
    return ActionResult({"Status": "ENABLED" if models.trusted_access_enabled(org) else "DISABLED"})


HANDLERS = [
    create_stack_set, describe_stack_set, list_stack_sets, update_stack_set, delete_stack_set,
    create_stack_instances, update_stack_instances, delete_stack_instances, describe_stack_instance,
    list_stack_instances, list_stack_set_operations, describe_stack_set_operation,
    list_stack_set_operation_results, stop_stack_set_operation, activate_organizations_access,
    deactivate_organizations_access, describe_organizations_access,
]


def apply() -> None:
    """Install the handlers on moto's CloudFormationResponse once (idempotent, thread-safe)."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.cloudformation.responses import CloudFormationResponse

        for fn in HANDLERS:
            setattr(CloudFormationResponse, fn.__name__, fn)
        _fit_generated_names()
        _applied = True


# Resource types whose names CloudFormation generates within 64 characters (IAM User Guide, "IAM object quotas";
# Lambda API Reference, CreateFunction). Stack instances' long names (`StackSet-<name>-<uuid>`) make moto's
# `<stack>-<logical id>-<suffix>` exceed them; CloudFormation shortens the stack and logical ID parts instead.
NAME_LIMITS = {"AWS::IAM::Role": 64, "AWS::Lambda::Function": 64}


def _fit_generated_names() -> None:
    from moto.cloudformation import parsing

    original = parsing.generate_resource_name

    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        name = original(resource_type, stack_name, logical_id)
        limit = NAME_LIMITS.get(resource_type)
        if limit is None or len(name) <= limit:
            return name
        suffix = name.rsplit("-", 1)[-1]
        prefix = f"{stack_name}-{logical_id}"[:limit - len(suffix) - 1].rstrip("-")
        return f"{prefix}-{suffix}"

    parsing.generate_resource_name = generate_resource_name
