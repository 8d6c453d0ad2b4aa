"""CloudFormation StackSets: stack sets, stack instances and operations, run as AWS runs them.

moto 5.2.1 keeps stack sets but runs every operation inside the request, marks it SUCCEEDED,
creates SERVICE_MANAGED instances as hidden stacks, names them `StackSet:<name>`, checks no
role, no capability, and never deploys automatically. This engine replaces moto's stack set
model (its backend's `stacksets` dict still holds them, so moto's reset and persistence see
them). What it follows (AWS CloudFormation User Guide, "StackSets concepts", "Stack set
operation options", "Grant self-managed permissions", "Activate trusted access for stack sets
with AWS Organizations", "Enable or disable automatic deployments"; API Reference,
CreateStackSet, CreateStackInstances, DeleteStackSet, StackInstanceSummary,
StackSetOperationResultSummary):

- An operation is RUNNING, then SUCCEEDED or FAILED; its instances go PENDING -> RUNNING ->
  SUCCEEDED / FAILED / CANCELLED. Operation preferences are honoured: Regions one after another
  (SEQUENTIAL, the default) or together (PARALLEL), at most MaxConcurrentCount/Percentage
  accounts at a time per Region (default 1; with ConcurrencyMode STRICT_FAILURE_TOLERANCE, the
  default, at most FailureToleranceCount + 1), and at most FailureToleranceCount/Percentage
  failures per Region (default 0) before the rest in that Region are cancelled and the
  operation fails.
- One operation at a time per stack set: another request while one runs raises
  OperationInProgressException. Automatic deployments wait for the running operation.
- Each instance is a real stack in the target account and Region, named
  `StackSet-<stack set name>-<uuid>`, created with the stack set's template, parameters (with
  the instance's overrides) and tags, on the sandbox's stack life cycle (timing scale).
- SELF_MANAGED: the administration role (AWSCloudFormationStackSetAdministrationRole by
  default) must exist in the administrator account and trust cloudformation.amazonaws.com;
  the execution role (AWSCloudFormationStackSetExecutionRole by default) must exist in each
  target account and trust the administration role (or its account). Otherwise the
  instance fails with AWS's message.
- SERVICE_MANAGED: only from the organization's management account with trusted access
  activated; targets are OUs, including the OUs nested in them, never the management account.
  With automatic deployment, an account that joins a target OU gets instances in the stack
  set's Regions, and one that leaves loses them (or keeps its stack, with
  RetainStacksOnAccountRemoval).
- Capabilities: a template with IAM resources needs CAPABILITY_IAM, or CAPABILITY_NAMED_IAM
  when they have custom names (InsufficientCapabilitiesException).

Timing is lazy, as in the rest of the sandbox: an operation's batches run when a request
arrives after their due time (`advance_all`, called before every request is handled).
"""

from __future__ import annotations

import math
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from .. import backends
from ..settings import SETTINGS
from .exceptions import (
    InsufficientCapabilitiesException,
    NameAlreadyExistsException,
    OperationIdAlreadyExistsException,
    OperationInProgressException,
    OperationNotFoundException,
    StackSetNotEmptyException,
    StackSetNotFoundException,
    StackSetValidationError,
)

LOCK = threading.RLock()
TRUSTED_ACCESS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
ADMIN_ROLE = "AWSCloudFormationStackSetAdministrationRole"
EXECUTION_ROLE = "AWSCloudFormationStackSetExecutionRole"
CANCELLED_REASON = "Cancelled since failure tolerance has exceeded"

IAM_TYPES = {
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::UserToGroupAddition": None,
}


def now() -> datetime:
    from moto.core.utils import utcnow

    return utcnow()


# ---------------------------------------------------------------- template checks


def parse_template(body: str) -> dict:
    """The template, checked as CreateStack checks it (sandbox/moto_fixes/cloudformation.py, check_template)."""
    from ..moto_fixes.cloudformation import TemplateFormatError, check_template

    try:
        return check_template(body)
    except TemplateFormatError as exc:
        raise StackSetValidationError(str(exc)) from None


def required_capabilities(template: dict) -> list[str]:
    """CAPABILITY_IAM for IAM resources, CAPABILITY_NAMED_IAM if any has a custom name ("Acknowledging
    IAM resources in CloudFormation templates", AWS CloudFormation User Guide)."""
    needed: list[str] = []
    for resource in template.get("Resources", {}).values():
        if not isinstance(resource, dict) or resource.get("Type") not in IAM_TYPES:
            continue
        name_key = IAM_TYPES[resource["Type"]]
        if name_key and name_key in (resource.get("Properties") or {}):
            return ["CAPABILITY_NAMED_IAM"]
        needed = ["CAPABILITY_IAM"]
    return needed


def check_capabilities(template: dict, capabilities: list[str]) -> None:
    needed = required_capabilities(template)
    if not needed:
        return
    have = set(capabilities or [])
    if "CAPABILITY_NAMED_IAM" in have or (needed == ["CAPABILITY_IAM"] and "CAPABILITY_IAM" in have):
        return
    raise InsufficientCapabilitiesException(f"Requires capabilities : [{needed[0]}]")


# ---------------------------------------------------------------- model


class Timeline:
    """Values that take effect at given times (lazy timing): [(time, value)], the latest due wins."""

    def __init__(self, at: datetime, value: Any):
        self.entries: list[tuple[datetime, Any]] = [(at, value)]

    def add(self, at: datetime, value: Any) -> None:
        self.entries.append((at, value))
        self.entries.sort(key=lambda e: e[0])

    def get(self, when: datetime | None = None) -> Any:
        when = when or now()
        current = [v for t, v in self.entries if t <= when]
        return current[-1] if current else self.entries[0][1]

    @property
    def last_time(self) -> datetime:
        return self.entries[-1][0]


class StackInstance:
    def __init__(self, stack_set: StackSet, account: str, region: str, ou_id: str | None, overrides: list[dict],
                 at: datetime | None = None):
        self.stack_set_id = stack_set.id
        self.account = account
        self.region = region
        self.ou_id = ou_id
        self.overrides = overrides
        self.stack_id: str | None = None
        self.stack_name: str | None = None
        self.last_operation_id: str | None = None
        # (Status, DetailedStatus, StatusReason)
        self.state = Timeline(at or now(), ("OUTDATED", "PENDING", None))
        self.removed_at: datetime | None = None

    def present(self, when: datetime | None = None) -> bool:
        return self.removed_at is None or (when or now()) < self.removed_at

    def summary(self) -> dict:
        status, detailed, reason = self.state.get()
        out = {
            "StackSetId": self.stack_set_id, "Region": self.region, "Account": self.account,
            "Status": status, "StackInstanceStatus": {"DetailedStatus": detailed},
            "DriftStatus": "NOT_CHECKED",
        }
        if self.stack_id:
            out["StackId"] = self.stack_id
        if reason:
            out["StatusReason"] = reason
        if self.ou_id:
            out["OrganizationalUnitId"] = self.ou_id
        if self.last_operation_id:
            out["LastOperationId"] = self.last_operation_id
        return out

    def describe(self) -> dict:
        out = self.summary()
        out["ParameterOverrides"] = self.overrides
        return out


class Operation:
    def __init__(self, stack_set: StackSet, op_id: str, action: str, targets: list[tuple[str, str, str | None]],
                 preferences: dict, deployment_targets: dict | None = None, retain_stacks: bool | None = None,
                 start: datetime | None = None):
        self.id = op_id
        self.stack_set_id = stack_set.id
        self.action = action
        self.targets = targets
        self.preferences = preferences or {}
        self.deployment_targets = deployment_targets
        self.retain_stacks = retain_stacks
        self.created = now()
        self.start = start or self.created
        self.admin_role = stack_set.administration_role_arn
        self.execution_role = stack_set.execution_role_name
        self.status = Timeline(self.created, ("QUEUED" if self.start > self.created else "RUNNING", None))
        if self.start > self.created:
            self.status.add(self.start, ("RUNNING", None))
        self.end: datetime | None = None
        self.results: dict[tuple[str, str], Timeline] = {}
        self.result_ou: dict[tuple[str, str], str | None] = {}
        for account, region, ou in targets:
            self.results[(account, region)] = Timeline(self.created, ("PENDING", None))
            self.result_ou[(account, region)] = ou
        self.batches = _batches(targets, self.preferences)
        self.next_batch = 0
        self.next_due = self.start + timedelta(seconds=SETTINGS.delay("stack_set_operation"))
        self.failures: dict[str, int] = {}
        self.finished = False

    def running(self, when: datetime | None = None) -> bool:
        return self.status.get(when)[0] in ("RUNNING", "QUEUED")

    def failure_tolerance(self, region: str) -> int:
        p = self.preferences
        if p.get("FailureToleranceCount") is not None:
            return int(p["FailureToleranceCount"])
        if p.get("FailureTolerancePercentage") is not None:
            count = sum(1 for _, r, _ in self.targets if r == region)
            return int(math.floor(count * int(p["FailureTolerancePercentage"]) / 100))
        return 0

    def summary(self) -> dict:
        status, reason = self.status.get()
        out = {"OperationId": self.id, "Action": self.action, "Status": status, "CreationTimestamp": self.created,
               "OperationPreferences": _preferences_out(self.preferences)}
        if status not in ("RUNNING", "QUEUED") and self.end is not None:
            out["EndTimestamp"] = self.end
        if reason:
            out["StatusReason"] = reason
        failed = sum(1 for t in self.results.values() if t.get()[0] == "FAILED")
        if status == "FAILED":
            out["StatusDetails"] = {"FailedStackInstancesCount": failed}
        return out

    def describe(self) -> dict:
        out = self.summary()
        out.update({"StackSetId": self.stack_set_id, "AdministrationRoleARN": self.admin_role,
                    "ExecutionRoleName": self.execution_role})
        if self.retain_stacks is not None:
            out["RetainStacks"] = self.retain_stacks
        if self.deployment_targets:
            out["DeploymentTargets"] = self.deployment_targets
        return out

    def result_summaries(self) -> list[dict]:
        out = []
        for (account, region), timeline in self.results.items():
            status, reason = timeline.get()
            gate = f"arn:{_partition(region)}:lambda:{region}:{account}:function:AWSCloudFormationStackSetAccountGate"
            item = {"Account": account, "Region": region, "Status": status,
                    "AccountGateResult": {"Status": "SKIPPED", "StatusReason": f"Function not found: {gate}"}}
            if reason:
                item["StatusReason"] = reason
            if self.result_ou.get((account, region)):
                item["OrganizationalUnitId"] = self.result_ou[(account, region)]
            out.append(item)
        return out


def _preferences_out(p: dict) -> dict:
    out = {"RegionConcurrencyType": p.get("RegionConcurrencyType") or "SEQUENTIAL"}
    for key in ("RegionOrder", "FailureToleranceCount", "FailureTolerancePercentage", "MaxConcurrentCount",
                "MaxConcurrentPercentage", "ConcurrencyMode"):
        if p.get(key) is not None:
            out[key] = p[key]
    return out


def _batches(targets: list[tuple[str, str, str | None]], p: dict) -> list[list[tuple[str, str, str | None]]]:
    """Groups of targets that run together: per Region at most MaxConcurrent accounts; Regions in order
    (SEQUENTIAL) or side by side (PARALLEL)."""
    regions: list[str] = []
    for _, region, _ in targets:
        if region not in regions:
            regions.append(region)
    order = [r for r in (p.get("RegionOrder") or []) if r in regions]
    regions = order + [r for r in regions if r not in order]
    per_region: dict[str, list[list]] = {}
    for region in regions:
        items = [t for t in targets if t[1] == region]
        if p.get("MaxConcurrentCount") is not None:
            size = int(p["MaxConcurrentCount"])
        elif p.get("MaxConcurrentPercentage") is not None:
            size = int(math.floor(len(items) * int(p["MaxConcurrentPercentage"]) / 100))
        else:
            size = 1
        if (p.get("ConcurrencyMode") or "STRICT_FAILURE_TOLERANCE") == "STRICT_FAILURE_TOLERANCE":
            # "The initial actual concurrency is set to the lower of either the value of the MaxConcurrentCount,
            # or the value of FailureToleranceCount +1" (API Reference, StackSetOperationPreferences).
            if p.get("FailureToleranceCount") is not None:
                tolerance = int(p["FailureToleranceCount"])
            else:
                tolerance = int(math.floor(len(items) * int(p.get("FailureTolerancePercentage") or 0) / 100))
            size = min(size, tolerance + 1)
        size = max(1, size)
        per_region[region] = [items[i:i + size] for i in range(0, len(items), size)]
    if (p.get("RegionConcurrencyType") or "SEQUENTIAL") == "PARALLEL":
        depth = max((len(b) for b in per_region.values()), default=0)
        return [[t for r in regions if i < len(per_region[r]) for t in per_region[r][i]] for i in range(depth)]
    return [batch for r in regions for batch in per_region[r]]


def _partition(region: str) -> str:
    """aws, aws-cn, aws-us-gov: the partition of a Region's ARNs."""
    from moto.utilities.utils import get_partition

    return get_partition(region)


class StackSet:
    def __init__(self, backend, name: str, template: str, parameters: list[dict], capabilities: list[str],
                 tags: list[dict], description: str | None, permission_model: str, admin_role: str | None,
                 execution_role: str | None, auto_deployment: dict | None, managed_execution: dict | None):
        self.id = f"{name}:{uuid.uuid4()}"
        self.name = name
        self.admin_account = backend.account_id
        self.region = backend.region_name
        partition = _partition(self.region)
        self.arn = f"arn:{partition}:cloudformation:{self.region}:{self.admin_account}:stackset/{self.id}"
        self.template = template
        self.parameters = parameters
        self.capabilities = capabilities
        self.tags = tags
        self.description = description
        self.permission_model = permission_model
        self_managed = permission_model == "SELF_MANAGED"
        self.administration_role_arn = (admin_role if self_managed else None) or (
            f"arn:{partition}:iam::{self.admin_account}:role/{ADMIN_ROLE}" if self_managed else None)
        self.execution_role_name = (execution_role or EXECUTION_ROLE) if permission_model == "SELF_MANAGED" else None
        self.auto_deployment = auto_deployment
        self.managed_execution = managed_execution or {"Active": False}
        self.status = "ACTIVE"
        self.instances: list[StackInstance] = []
        self.operations: list[Operation] = []
        self.ou_ids: list[str] = []

    # -- views
    def live_instances(self) -> list[StackInstance]:
        when = now()
        return [i for i in self.instances if i.present(when)]

    def regions(self) -> list[str]:
        out: list[str] = []
        for i in self.live_instances():
            if i.region not in out:
                out.append(i.region)
        return out

    def describe(self) -> dict:
        out = {
            "StackSetName": self.name, "StackSetId": self.id, "Status": self.status, "TemplateBody": self.template,
            # moto's CloudFormation responses turn these two from {key: value} into AWS's lists
            "Parameters": {p["ParameterKey"]: p.get("ParameterValue") for p in self.parameters},
            "Tags": {t["Key"]: t["Value"] for t in self.tags}, "Capabilities": self.capabilities,
            "StackSetARN": self.arn, "PermissionModel": self.permission_model,
            "ManagedExecution": self.managed_execution, "Regions": self.regions(),
        }
        if self.description is not None:
            out["Description"] = self.description
        if self.administration_role_arn:
            out["AdministrationRoleARN"] = self.administration_role_arn
        if self.execution_role_name:
            out["ExecutionRoleName"] = self.execution_role_name
        if self.auto_deployment is not None:
            out["AutoDeployment"] = self.auto_deployment
        if self.ou_ids:
            out["OrganizationalUnitIds"] = self.ou_ids
        return out

    def summary(self) -> dict:
        out = {"StackSetName": self.name, "StackSetId": self.id, "Status": self.status,
               "PermissionModel": self.permission_model, "ManagedExecution": self.managed_execution,
               "DriftStatus": "NOT_CHECKED"}
        if self.description is not None:
            out["Description"] = self.description
        if self.auto_deployment is not None:
            out["AutoDeployment"] = self.auto_deployment
        return out

    def instance(self, account: str, region: str) -> StackInstance | None:
        when = now()
        return next((i for i in self.instances if i.account == account and i.region == region and i.present(when)),
                    None)

    def operation(self, op_id: str) -> Operation:
        op = next((o for o in self.operations if o.id == op_id), None)
        if op is None:
            raise OperationNotFoundException(f"Operation {op_id} not found")
        return op

    def running_operation(self) -> Operation | None:
        return next((o for o in self.operations if not o.finished or o.running()), None)

    # -- starting operations
    def start(self, action: str, targets: list[tuple[str, str, str | None]], preferences: dict,
              op_id: str | None = None, deployment_targets: dict | None = None, retain_stacks: bool | None = None,
              queue: bool = False) -> Operation:
        if op_id and any(o.id == op_id for o in self.operations):
            raise OperationIdAlreadyExistsException(f"Operation with id {op_id} already exists")
        busy = self.running_operation()
        start = None
        if busy is not None:
            if not queue:
                raise OperationInProgressException(f"Another Operation on StackSet {self.arn} is in progress")
            start = max(o.end or o.next_due for o in self.operations if not o.finished or o.running())
            start = max(start, now())
        op = Operation(self, op_id or str(uuid.uuid4()), action, targets, preferences, deployment_targets,
                       retain_stacks, start)
        self.operations.append(op)
        for account, region, ou in targets:
            inst = self.instance(account, region)
            if action == "CREATE" and inst is None:
                inst = StackInstance(self, account, region, ou, [], at=op.created)
                self.instances.append(inst)
            if inst is not None:
                inst.last_operation_id = op.id
                status = inst.state.get(op.created)
                inst.state.add(op.created, ("OUTDATED" if action != "DELETE" else status[0], "PENDING", None))
        _PENDING.add((self.admin_account, self.region, self.id))
        advance(self)
        return op


# ---------------------------------------------------------------- execution


def _trust_allows(role, principal: dict, region: str | None = None) -> bool:
    """Whether the role's trust policy allows sts:AssumeRole to the principal described by `principal`
    ({"Service": ...} or {"AWS": arn, "account": id})."""
    from iampolicy import evaluator as policy

    from ..accounts import _trust_document

    doc = _trust_document(role)
    if "Service" in principal:
        # The evaluator matches AWS principals; a service principal is matched here, statement by statement.
        statements = doc.get("Statement", []) if isinstance(doc, dict) else []
        statements = [statements] if isinstance(statements, dict) else statements
        allowed = False
        for st in statements:
            services = (st.get("Principal") or {}).get("Service", []) if isinstance(st.get("Principal"), dict) else []
            services = [services] if isinstance(services, str) else services
            actions = st.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if principal["Service"] in services and any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
                if st.get("Effect") == "Deny":
                    return False
                allowed = allowed or st.get("Effect") == "Allow"
        return allowed
    from ..context_keys import role_keys

    rc = policy.RequestContext(action="sts:AssumeRole", resource=role.arn, principal_arn=principal["AWS"],
                               principal_account=principal["account"], role_arn=principal["AWS"],
                               context=role_keys(principal["AWS"], region, "stacksets") if region else {})
    try:
        return policy.evaluate_policy(doc, rc, name="trust policy", kind="resource").decision == "Allow"
    except policy.PolicyError:
        return False


def _role(account: str, name_or_arn: str):
    name = name_or_arn.split("/")[-1]
    try:
        return backends.iam(account).get_role(name)
    except Exception:  # noqa: BLE001 - moto's NoSuchEntity
        return None


def _permission_problem(ss: StackSet, op: Operation, account: str) -> str | None:
    """AWS's StatusReason when a SELF_MANAGED instance cannot be reached ("Grant self-managed permissions";
    re:Post "IAM best practices for stack set")."""
    if ss.permission_model != "SELF_MANAGED":
        return None
    admin_arn = op.admin_role
    parts = admin_arn.split(":")
    admin_account = parts[4] if len(parts) > 5 and parts[4] else ss.admin_account  # a malformed ARN names no role
    admin = _role(admin_account, admin_arn)
    admin_name = admin_arn.split("/")[-1]
    if admin is None or not _trust_allows(admin, {"Service": "cloudformation.amazonaws.com"}):
        return (f"Account {admin_account} should have '{admin_name}' role with trust relationship to "
                "CloudFormation service.")
    execution = _role(account, op.execution_role)
    if execution is None or not _trust_allows(execution, {"AWS": admin.arn, "account": admin_account}, ss.region):
        return (f"Account {account} should have '{op.execution_role}' role with trust relationship to Role "
                f"'{admin_name}'.")
    return None


def _failure_reason(stack) -> str:
    failed = next((e for e in stack.events if str(e.resource_status).endswith("_FAILED")
                   and e.resource_type != "AWS::CloudFormation::Stack"), None)
    if failed is None:
        failed = next((e for e in stack.events if str(e.resource_status).endswith(("_FAILED", "ROLLBACK_IN_PROGRESS"))),
                      None)
        return (failed.resource_status_reason if failed is not None else None) or "Stack operation failed"
    return (f"ResourceLogicalId:{failed.logical_resource_id}, ResourceType:{failed.resource_type}, "
            f"ResourceStatusReason:{failed.resource_status_reason}.")


def _parameters(ss: StackSet, inst: StackInstance) -> dict[str, str]:
    params = {p["ParameterKey"]: p.get("ParameterValue") for p in ss.parameters if "ParameterKey" in p}
    for p in inst.overrides:
        if p.get("UsePreviousValue"):
            continue
        params[p["ParameterKey"]] = p.get("ParameterValue")
    return {k: v for k, v in params.items() if v is not None}


def _apply_cloudformation_fixes() -> None:
    """Stacks that an operation creates get the sandbox's CloudFormation fixes, as requested stacks do."""
    from ..moto_fixes import apply_cloudformation

    apply_cloudformation()


def _execute(ss: StackSet, op: Operation, account: str, region: str, at: datetime) -> tuple[datetime, bool, str | None]:
    """Run one target of `op`; (when it is done, succeeded, reason)."""
    inst = ss.instance(account, region)
    problem = _permission_problem(ss, op, account)
    if problem:
        return at, False, problem
    _apply_cloudformation_fixes()
    with backends.acting_as(account):
        cfn = backends.cloudformation(region, account)
        if op.action == "CREATE":
            if inst is None:
                return at, True, None
            if inst.stack_id and inst.stack_id in cfn.stacks and \
                    cfn.stacks[inst.stack_id].status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
                return at, True, None  # already deployed
            name = f"StackSet-{ss.name}-{uuid.uuid4()}"
            tags = {t["Key"]: t["Value"] for t in ss.tags}
            try:
                stack = cfn.create_stack(name=name, template=ss.template, parameters=_parameters(ss, inst), tags=tags)
            except Exception as exc:  # noqa: BLE001 - a template or parameter error fails this instance, as on AWS
                return at, False, getattr(exc, "message", None) or str(exc)
            inst.stack_id, inst.stack_name = stack.stack_id, stack.name
            final = stack.__dict__.get("_status_raw") or stack.status
            done = max(at, stack.events[-1].timestamp if stack.events else at)
            if final != "CREATE_COMPLETE":
                return done, False, _failure_reason(stack)
            return done, True, None
        if op.action == "UPDATE":
            if inst is None or not inst.stack_id:
                return at, False, "Stack instance has no stack"
            try:
                cfn.update_stack(name=inst.stack_id, template=ss.template, role_arn=None,
                                 parameters=[{"ParameterKey": k, "ParameterValue": v}
                                             for k, v in _parameters(ss, inst).items()],
                                 tags={t["Key"]: t["Value"] for t in ss.tags})
            except Exception as exc:  # noqa: BLE001
                return at, False, getattr(exc, "message", None) or str(exc)
            return at + timedelta(seconds=SETTINGS.delay("stack_operation")), True, None
        # DELETE
        if inst is None:
            return at, True, None
        if op.retain_stacks or not inst.stack_id:
            return at, True, None
        stack = cfn.stacks.get(inst.stack_id)
        if stack is None:
            return at, True, None
        cfn.delete_stack(inst.stack_id)
        stack = cfn.stacks.get(inst.stack_id) or cfn.deleted_stacks.get(inst.stack_id) or stack
        final = stack.__dict__.get("_status_raw") or stack.status
        done = max(at, stack.events[-1].timestamp if stack.events else at)
        if final == "DELETE_FAILED":
            return done, False, _failure_reason(stack)
        return done, True, None


def _run_batch(ss: StackSet, op: Operation) -> None:
    batch = op.batches[op.next_batch]
    at = op.next_due
    batch_end = at
    failed_before = dict(op.failures)  # the accounts of one batch run side by side
    for account, region, _ou in batch:
        timeline = op.results[(account, region)]
        inst = ss.instance(account, region)
        if failed_before.get(region, 0) > op.failure_tolerance(region):
            timeline.add(at, ("CANCELLED", CANCELLED_REASON))
            if inst is not None:
                inst.state.add(at, ("OUTDATED", "CANCELLED", CANCELLED_REASON))
            continue
        timeline.add(at, ("RUNNING", None))
        if inst is not None:
            inst.state.add(at, (inst.state.get(at)[0], "RUNNING", None))
        done, ok, reason = _execute(ss, op, account, region, at)
        timeline.add(done, ("SUCCEEDED", None) if ok else ("FAILED", reason))
        batch_end = max(batch_end, done)
        if not ok:
            op.failures[region] = op.failures.get(region, 0) + 1
        if inst is None:
            continue
        if ok and op.action == "DELETE":
            inst.removed_at = done
        elif ok:
            inst.state.add(done, ("CURRENT", "SUCCEEDED", None))
        else:
            inst.state.add(done, ("OUTDATED", "FAILED", reason))
    op.next_batch += 1
    op.next_due = batch_end


def _finish(ss: StackSet, op: Operation) -> None:
    end = op.next_due + timedelta(seconds=SETTINGS.delay("stack_set_operation"))
    for key, timeline in op.results.items():  # targets never reached (failure tolerance exceeded earlier)
        if timeline.get(end)[0] == "PENDING":
            timeline.add(end, ("CANCELLED", CANCELLED_REASON))
            inst = ss.instance(*key)
            if inst is not None:
                inst.state.add(end, ("OUTDATED", "CANCELLED", CANCELLED_REASON))
    failed = any(n > op.failure_tolerance(r) for r, n in op.failures.items())
    op.end = end
    op.status.add(end, ("FAILED", None) if failed else ("SUCCEEDED", None))
    op.finished = True


def advance(ss: StackSet) -> None:
    """Run what is due of the stack set's operations, in order."""
    with LOCK:
        previous_end = None
        for op in ss.operations:
            if not op.finished and op.next_batch == 0 and previous_end is not None and op.next_due < previous_end:
                op.next_due = previous_end  # a queued operation starts when the one before it ends
            while not op.finished and op.next_due <= now():
                if op.next_batch < len(op.batches):
                    _run_batch(ss, op)
                else:
                    _finish(ss, op)
            if not op.finished:
                return  # later operations wait for this one
            previous_end = op.end
        _PENDING.discard((ss.admin_account, ss.region, ss.id))


# (admin account, region, stack set id) of stack sets with unfinished operations
_PENDING: set[tuple[str, str, str]] = set()


def advance_all() -> None:
    if not _PENDING:
        return
    with LOCK:
        for account, region, ss_id in list(_PENDING):
            ss = backends.cloudformation(region, account).stacksets.get(ss_id)
            if ss is None or not isinstance(ss, StackSet):
                _PENDING.discard((account, region, ss_id))
                continue
            advance(ss)


def reset() -> None:
    with LOCK:
        _PENDING.clear()


# ---------------------------------------------------------------- backend operations


def find(backend, name: str) -> StackSet:
    for ss in backend.stacksets.values():
        if isinstance(ss, StackSet) and ss.status == "ACTIVE" and (ss.name == name or ss.id == name or ss.arn == name):
            advance(ss)
            return ss
    raise StackSetNotFoundException(f"StackSet {name} not found")


def org_backend_for_management(account: str):
    from ..organizations import management_backend

    backend = management_backend(account)
    if backend is None or backend.org.master_account_id != account:
        return None
    return backend


def trusted_access_enabled(org_backend) -> bool:
    return any(s.get("ServicePrincipal") == TRUSTED_ACCESS_PRINCIPAL for s in org_backend.services)


def check_service_managed(account: str):
    org = org_backend_for_management(account)
    if org is None:
        raise StackSetValidationError(
            "You must be the master or delegated admin account of an organization before operating a "
            "SERVICE_MANAGED stack set")
    if not trusted_access_enabled(org):
        raise StackSetValidationError("You must enable organizations access to operate a service managed stack set")
    return org


def create_stack_set(backend, *, name: str, template: str, parameters: list[dict], capabilities: list[str],
                     tags: list[dict], description: str | None, permission_model: str | None,
                     admin_role: str | None, execution_role: str | None, auto_deployment: dict | None,
                     managed_execution: dict | None) -> StackSet:
    with LOCK:
        permission_model = permission_model or "SELF_MANAGED"
        if any(isinstance(s, StackSet) and s.status == "ACTIVE" and s.name == name for s in backend.stacksets.values()):
            raise NameAlreadyExistsException(f"StackSet {name} already exists")
        doc = parse_template(template)
        check_capabilities(doc, capabilities)
        if permission_model == "SERVICE_MANAGED":
            check_service_managed(backend.account_id)
            if not auto_deployment or "Enabled" not in auto_deployment:
                raise StackSetValidationError(
                    "AutoDeployment must be specified for StackSets with SERVICE_MANAGED permission model")
            auto_deployment = {"Enabled": bool(auto_deployment["Enabled"]),
                               "RetainStacksOnAccountRemoval": bool(auto_deployment.get("RetainStacksOnAccountRemoval",
                                                                                         False))}
            if auto_deployment["Enabled"] and "RetainStacksOnAccountRemoval" not in (auto_deployment or {}):
                auto_deployment["RetainStacksOnAccountRemoval"] = False
        elif auto_deployment:
            raise StackSetValidationError("AutoDeployment is only supported for SERVICE_MANAGED permission model")
        ss = StackSet(backend, name, template, parameters, capabilities, tags, description, permission_model,
                      admin_role, execution_role, auto_deployment, managed_execution)
        backend.stacksets[ss.id] = ss
        return ss


def resolve_targets(ss: StackSet, accounts: list[str], regions: list[str], deployment_targets: dict | None,
                    for_delete: bool = False) -> list[tuple[str, str, str | None]]:
    if not regions:
        raise StackSetValidationError("Regions should not be empty")
    targets: list[tuple[str, str, str | None]] = []
    if ss.permission_model == "SERVICE_MANAGED":
        ou_ids = (deployment_targets or {}).get("OrganizationalUnitIds") or []
        if accounts or not ou_ids:
            raise StackSetValidationError(
                "StackSets with SERVICE_MANAGED permission model can only have OrganizationalUnit as target")
        org = check_service_managed(ss.admin_account)
        from ..organizations import accounts_under

        known = {ou.id for ou in org.ou}
        for ou_id in ou_ids:
            if ou_id not in known:
                raise StackSetValidationError(f"OrganizationalUnit {ou_id} is not found")
        filter_type = (deployment_targets or {}).get("AccountFilterType") or "NONE"
        listed = set((deployment_targets or {}).get("Accounts") or [])
        for region in regions:
            for ou_id in ou_ids:
                members = accounts_under(org, ou_id)
                if for_delete:
                    members += [i.account for i in ss.live_instances() if i.ou_id == ou_id and i.account not in members]
                for account in members:
                    if account == org.org.master_account_id:
                        continue  # StackSets never deploy to the management account
                    if filter_type == "INTERSECTION" and account not in listed:
                        continue
                    if filter_type == "DIFFERENCE" and account in listed:
                        continue
                    if not any(t[0] == account and t[1] == region for t in targets):
                        targets.append((account, region, ou_id))
    else:
        accounts = accounts or list((deployment_targets or {}).get("Accounts") or [])
        if (deployment_targets or {}).get("OrganizationalUnitIds"):
            raise StackSetValidationError(
                "StackSets with SELF_MANAGED permission model can only have accounts as target")
        if not accounts:
            raise StackSetValidationError("Accounts should not be empty")
        for region in regions:
            for account in accounts:
                if not any(t[0] == account and t[1] == region for t in targets):
                    targets.append((account, region, None))
    return targets


def create_stack_instances(ss: StackSet, accounts, regions, deployment_targets, overrides, preferences,
                           op_id) -> Operation:
    with LOCK:
        targets = resolve_targets(ss, accounts, regions, deployment_targets)
        op = ss.start("CREATE", targets, preferences, op_id, deployment_targets)
        for account, region, _ in targets:
            inst = ss.instance(account, region)
            if inst is not None and overrides:
                inst.overrides = overrides
        for ou_id in (deployment_targets or {}).get("OrganizationalUnitIds") or []:
            if ou_id not in ss.ou_ids:
                ss.ou_ids.append(ou_id)
        advance(ss)
        return op


def delete_stack_instances(ss: StackSet, accounts, regions, deployment_targets, retain, preferences,
                           op_id) -> Operation:
    with LOCK:
        targets = resolve_targets(ss, accounts, regions, deployment_targets, for_delete=True)
        targets = [t for t in targets if ss.instance(t[0], t[1]) is not None]
        op = ss.start("DELETE", targets, preferences, op_id, deployment_targets, retain_stacks=retain)
        advance(ss)
        if ss.permission_model == "SERVICE_MANAGED":  # the OUs are no longer targets of automatic deployment
            removed = set((deployment_targets or {}).get("OrganizationalUnitIds") or [])
            ss.ou_ids = [o for o in ss.ou_ids if o not in removed]
        return op


def update_stack_set(ss: StackSet, *, template, parameters, capabilities, tags, description, admin_role,
                     execution_role, auto_deployment, accounts, regions, deployment_targets, preferences,
                     op_id, use_previous_template) -> Operation:
    with LOCK:
        busy = ss.running_operation()
        if busy is not None:
            raise OperationInProgressException(f"Another Operation on StackSet {ss.arn} is in progress")
        new_template = ss.template if (use_previous_template or not template) else template
        check_capabilities(parse_template(new_template), capabilities)
        ss.template = new_template
        if parameters is not None:
            previous = {p["ParameterKey"]: p.get("ParameterValue") for p in ss.parameters}
            values = [(p["ParameterKey"], previous.get(p["ParameterKey"]) if p.get("UsePreviousValue")
                       else p.get("ParameterValue")) for p in parameters]
            ss.parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in values if v is not None]
        ss.capabilities = capabilities
        if tags is not None:
            ss.tags = tags
        if description is not None:
            ss.description = description
        if ss.permission_model == "SELF_MANAGED":
            ss.administration_role_arn = admin_role or ss.administration_role_arn
            ss.execution_role_name = execution_role or ss.execution_role_name
        if auto_deployment is not None and ss.permission_model == "SERVICE_MANAGED":
            ss.auto_deployment = {"Enabled": bool(auto_deployment.get("Enabled")),
                                  "RetainStacksOnAccountRemoval": bool(auto_deployment.get(
                                      "RetainStacksOnAccountRemoval", False))}
        if accounts or (deployment_targets or {}).get("OrganizationalUnitIds") or (deployment_targets or {}).get(
                "Accounts"):
            targets = resolve_targets(ss, accounts, regions or ss.regions(), deployment_targets)
            targets = [t for t in targets if ss.instance(t[0], t[1]) is not None]
        else:
            targets = [(i.account, i.region, i.ou_id) for i in ss.live_instances()
                       if not regions or i.region in regions]
        return ss.start("UPDATE", targets, preferences, op_id, deployment_targets)


def delete_stack_set(backend, name: str) -> None:
    with LOCK:
        ss = find(backend, name)
        if ss.running_operation() is not None:
            raise OperationInProgressException(f"Another Operation on StackSet {ss.arn} is in progress")
        if ss.live_instances():
            raise StackSetNotEmptyException("StackSet is not empty")  # AWS's text, as the CLI prints it
        ss.status = "DELETED"


# ---------------------------------------------------------------- automatic deployment


def on_membership_change(management: str, account: str, old_parent: str | None, new_parent: str | None) -> None:
    """Organizations listener: deploy to an account that joins a target OU (or an OU nested in one), remove from
    one that leaves ("Enable or disable automatic deployments", AWS CloudFormation User Guide)."""
    from moto.cloudformation.models import cloudformation_backends

    from ..organizations import management_backend, parent_chain

    org = management_backend(management)
    if org is None or account == org.org.master_account_id:
        return
    new_chain = (parent_chain(org, new_parent) + [new_parent]) if new_parent else []
    old_chain = (parent_chain(org, old_parent) + [old_parent]) if old_parent else []
    with LOCK:
        regions_backends = dict.get(cloudformation_backends, management) or {}
        for cfn in list(dict.values(regions_backends)):
            for ss in list(cfn.stacksets.values()):
                if not isinstance(ss, StackSet) or ss.status != "ACTIVE" or ss.permission_model != "SERVICE_MANAGED":
                    continue
                if not (ss.auto_deployment or {}).get("Enabled"):
                    continue
                advance(ss)
                joined = next((o for o in ss.ou_ids if o in new_chain), None)
                was_in = next((o for o in ss.ou_ids if o in old_chain), None)
                regions = ss.regions() or _deployed_regions(ss)
                if joined and not was_in and regions:
                    targets = [(account, r, joined) for r in regions if ss.instance(account, r) is None]
                    if targets:
                        ss.start("CREATE", targets, {"RegionConcurrencyType": "PARALLEL"}, queue=True)
                elif was_in and not joined:
                    targets = [(account, i.region, i.ou_id) for i in ss.live_instances() if i.account == account]
                    if targets:
                        retain = bool((ss.auto_deployment or {}).get("RetainStacksOnAccountRemoval"))
                        ss.start("DELETE", targets, {"RegionConcurrencyType": "PARALLEL"}, retain_stacks=retain,
                                 queue=True)


def _deployed_regions(ss: StackSet) -> list[str]:
    """Regions the stack set was deployed to, from its CREATE operations (when no instance is left)."""
    out: list[str] = []
    for op in ss.operations:
        if op.action == "CREATE":
            for _, region, _ in op.targets:
                if region not in out:
                    out.append(region)
    return out
