"""Seat a room: one account per participant (stack sets) or N prefixes in one shared account.

Everything is checked before anything is created: the room's size (the OU's accounts, the account list, or the
VPC quota of a shared account), the cost for the planned duration, and the roles stack sets need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import config, cost, models, preflight, stack, validation
from ..config import repo_root
from . import (
    ADMINISTRATION_ROLE,
    EXECUTION_ROLE,
    HOURS_TAG,
    MODEL_TAG,
    PARTICIPANT_ROLE,
    PREFIXES_TAG,
    ROLE_TEMPLATE,
    ROOM_TAG,
    aws,
    room,
    stacksets,
)

QUOTA_CODE = preflight.VPC_QUOTA_CODE  # Amazon VPC "VPCs per Region"
VPCS_PER_PARTICIPANT = 2  # the workshop VPC and notebook 06's corporate stand-in (cfn/corporate-network.yaml)


class RoomDoesNotFit(SystemExit):
    """The shared account's VPC quota cannot seat the room; the message says how many fit and what to do."""


@dataclass
class Plan:
    mode: str  # "ou", "accounts" or "shared"
    region: str
    model_id: str
    room: str = room.DEFAULT_ROOM
    ou_id: str = ""
    accounts: tuple[str, ...] = ()
    shared: int = 0
    prefix_base: str = "p"
    predeploy: bool = False
    hours: float = 3.0
    guardrail: bool = False

    @property
    def prefixes(self) -> list[str]:
        return [validation.prefix(f"{self.prefix_base}{i:02d}") for i in range(1, self.shared + 1)]


# ------------------------------------------------------------------------------------------------ room size

def ou_accounts(org, ou_id: str) -> list[dict]:
    """Every ACTIVE account in the OU and its child OUs (a SERVICE_MANAGED stack set deploys to all of them)."""
    found, todo = [], [ou_id]
    while todo:
        parent = todo.pop()
        for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent):
            found.extend(a for a in page["Accounts"] if a.get("Status", "ACTIVE") == "ACTIVE")
        for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent):
            todo.extend(ou["Id"] for ou in page["OrganizationalUnits"])
    return found


def vpc_room(ec2, quotas) -> dict:
    """{"quota", "source", "vpcs"}: the "VPCs per Region" quota (GetServiceQuota, else GetAWSDefaultServiceQuota)
    and the VPCs that exist."""
    quota, source = preflight.vpc_quota(quotas)
    vpcs = []
    for page in ec2.get_paginator("describe_vpcs").paginate():
        vpcs.extend(page["Vpcs"])
    return {"quota": int(quota), "source": source, "vpcs": vpcs}


def check_shared_fits(plan: Plan, ec2, quotas) -> dict:
    """Refuse (RoomDoesNotFit) unless every prefix can have a VPC of its own; returns the figures."""
    facts = vpc_room(ec2, quotas)
    mine = {p for p in plan.prefixes}
    # VPCs that already belong to this room's prefixes (a re-run) are already counted among the existing ones.
    held: dict = {}  # participant -> VPCs of the workshop it already has (a re-run)
    for v in facts["vpcs"]:
        tags = room.tags_of(v.get("Tags"))
        if tags.get("workshop") == "bedrock-privatelink" and tags.get("participant") in mine:
            held[tags["participant"]] = held.get(tags["participant"], 0) + 1
    mine_held = sum(min(n, VPCS_PER_PARTICIPANT) for n in held.values())
    needed = len(mine) * VPCS_PER_PARTICIPANT - mine_held  # VPCs still to create
    free = facts["quota"] - len(facts["vpcs"])
    fits = (max(free, 0) + mine_held) // VPCS_PER_PARTICIPANT
    facts.update(needed=needed, free=free, fits=fits)
    if needed > free:
        raise RoomDoesNotFit(
            f"The room does not fit in this account: {plan.shared} participants need {VPCS_PER_PARTICIPANT} VPCs "
            "each (the workshop VPC, as private DNS allows one bedrock-runtime endpoint per VPC, and notebook 06's "
            f"corporate stand-in), but the quota 'VPCs per Region' ({QUOTA_CODE}) is "
            f"{facts['quota']} in {plan.region} ({facts['source']}) and {len(facts['vpcs'])} VPC(s) exist already, "
            f"so {fits} participant(s) fit. Nothing was created. Seat at most {fits} here, use one account per "
            "participant (--ou or --accounts), or request a higher quota: in the Service Quotas console "
            "(Amazon Virtual Private Cloud (Amazon VPC) > VPCs per Region > Request increase at account level), or "
            f"aws service-quotas request-service-quota-increase --service-code vpc --quota-code {QUOTA_CODE} "
            f"--desired-value {len(facts['vpcs']) - mine_held + plan.shared * VPCS_PER_PARTICIPANT} "
            f"--region {plan.region}")
    return facts


def room_model_arns(arns: list[str]) -> list[str]:
    """The model's ARNs for every account of the room: an inference profile's ARN names the account it is called
    from (arn:aws:bedrock:<region>:<account>:inference-profile/<id>), so the account becomes "*"; foundation-model
    ARNs name none."""
    out = []
    for arn in arns:
        parts = arn.split(":", 5)
        if len(parts) == 6 and parts[5].startswith("inference-profile/"):
            parts[4] = "*"
        out.append(":".join(parts))
    return out


# ------------------------------------------------------------------------------------------------ cost

def room_estimate(plan: Plan, participants: int) -> dict:
    """The room's estimated cost for the planned hours: one participant's `utils.cost.estimate`, times N."""
    target_name = "sandbox" if _on_sandbox() else "aws"
    one = cost.estimate(plan.model_id, hours=plan.hours, target=target_name)
    return {"participants": participants, "hours": plan.hours, "per_participant_usd": round(one.total, 4),
            "total_usd": round(one.total * participants, 4), "estimate": one,
            "note": f"{participants} x one participant's estimate for {plan.hours:g} h "
                    f"(endpoint billed per started hour: {math.ceil(plan.hours)} h x 2 AZs)"}


def _on_sandbox() -> bool:
    from .. import target

    return target.active().is_sandbox


# ------------------------------------------------------------------------------------------------ templates

def role_template() -> str:
    return (repo_root() / ROLE_TEMPLATE).read_text(encoding="utf-8")


def role_parameters(plan: Plan, instructor: str, model_arns: list[str]) -> list[dict]:
    return [{"ParameterKey": "InstructorAccountId", "ParameterValue": instructor},
            {"ParameterKey": "RoomName", "ParameterValue": plan.room},
            {"ParameterKey": "ModelArns", "ParameterValue": ",".join(model_arns)}]


def workshop_parameters(plan: Plan, az1: str, az2: str, prefix: str = "") -> list[dict]:
    return [{"ParameterKey": "ParticipantPrefix", "ParameterValue": prefix},
            {"ParameterKey": "AvailabilityZone1", "ParameterValue": az1},
            {"ParameterKey": "AvailabilityZone2", "ParameterValue": az2},
            {"ParameterKey": "ModelId", "ParameterValue": plan.model_id}]


def room_tags(plan: Plan, participant: str | None = "default") -> list[dict]:
    tags = [{"Key": config.WORKSHOP_TAG[0], "Value": config.WORKSHOP_TAG[1]}, {"Key": ROOM_TAG, "Value": plan.room},
            {"Key": MODEL_TAG, "Value": plan.model_id}, {"Key": HOURS_TAG, "Value": f"{plan.hours:g}"}]
    if participant is not None:
        tags.insert(1, {"Key": "participant", "Value": participant})
    return tags


def zones(ec2, region: str) -> tuple[str, str]:
    """Two zones the bedrock-runtime endpoint service offers, as notebook 01 picks them.

    Zone *names* map to different physical zones in each account; the endpoint service is offered in most zones
    of the Regions the workshop uses, and a zone it does not offer in some account shows up as that account's
    failed instance, with CloudFormation's reason.
    """
    from ..doctor import Report
    from ..preflight import check_zones

    usable = check_zones(Report(), ec2, region)
    if len(usable) < 2:
        raise SystemExit(f"The bedrock-runtime endpoint service is offered in fewer than two zones of {region}.")
    return usable[0], usable[1]


# ------------------------------------------------------------------------------------------------ provisioning

def provision(plan: Plan, echo=print) -> dict:
    """Seat the room. Returns a summary; raises SystemExit with a clear message when it cannot."""
    region = plan.region
    cfn = aws.client("cloudformation", region)
    ec2 = aws.client("ec2", region)
    me = aws.caller(region)["Account"]
    model_arns = room_model_arns(models.resource_arns(aws.client("bedrock", region), plan.model_id, region))

    if plan.mode == "shared":
        facts = check_shared_fits(plan, ec2, _quotas(region))
        echo(f"Shared account {me}: quota 'VPCs per Region' {facts['quota']} ({facts['source']}), "
             f"{len(facts['vpcs'])} VPC(s) exist, {facts['needed']} more needed: the room fits.")
        size = plan.shared
    elif plan.mode == "ou":
        org = aws.client("organizations", region)
        members = ou_accounts(org, plan.ou_id)
        if not members:
            raise SystemExit(f"The OU {plan.ou_id} holds no active account: move the participants' accounts into it "
                             "(or create them with Organizations CreateAccount) first.")
        size = len(members)
        echo(f"OU {plan.ou_id}: {size} active account(s), one per participant.")
    else:
        size = len(plan.accounts)
        _require_self_managed_roles(me, region)
        echo(f"{size} account(s), one per participant (SELF_MANAGED).")

    estimate = room_estimate(plan, size)
    echo(f"Estimated cost of the room for {plan.hours:g} h: ${estimate['total_usd']:.2f} "
         f"(${estimate['per_participant_usd']:.4f} per participant; {estimate['note']}).")

    summary = {"room": plan.room, "mode": plan.mode, "region": region, "participants": size,
               "estimate_usd": estimate["total_usd"], "instructor_account": me}
    if plan.mode == "shared":
        summary.update(_provision_shared(plan, cfn, ec2, me, model_arns, echo))
    else:
        summary.update(_provision_stack_sets(plan, cfn, ec2, me, model_arns, echo))
    if plan.guardrail:
        from . import guardrail

        summary["guardrail"] = guardrail.attach(plan, model_arns, echo)
    return summary


def _quotas(region: str):
    try:
        return aws.client("service-quotas", region)
    except Exception:  # no Service Quotas client: preflight.vpc_quota assumes AWS's default and says so
        return None


def _require_self_managed_roles(me: str, region: str) -> None:
    iam = aws.client("iam", region)
    try:
        iam.get_role(RoleName=ADMINISTRATION_ROLE)
    except iam.exceptions.NoSuchEntityException:
        raise SystemExit(
            f"SELF_MANAGED stack sets need the role {ADMINISTRATION_ROLE} in this account ({me}) and "
            f"{EXECUTION_ROLE} in every participant account, trusting this account. Create them from AWS's "
            "templates (AWS CloudFormation User Guide, 'Grant self-managed permissions'), or use --ou with "
            "AWS Organizations (SERVICE_MANAGED), which needs neither.") from None


def _ensure_org_access(cfn, echo) -> None:
    """SERVICE_MANAGED stack sets need trusted access between StackSets and Organizations."""
    try:
        status = cfn.describe_organizations_access()["Status"]
    except Exception as exc:  # e.g. not the management account: AWS says so in the next call
        status, why = "UNKNOWN", f"{aws.error_code(exc)}"
        echo(f"Could not read StackSets' trusted access with Organizations ({why}); activating it.")
    if status != "ENABLED":
        cfn.activate_organizations_access()
        echo("Activated trusted access between CloudFormation StackSets and AWS Organizations.")


def _provision_stack_sets(plan: Plan, cfn, ec2, me: str, model_arns: list[str], echo) -> dict:
    service = plan.mode == "ou"
    if service:
        _ensure_org_access(cfn, echo)
        targets = {"OrganizationalUnitIds": [plan.ou_id]}
    else:
        targets = {"Accounts": list(plan.accounts)}
    sets = [(room.role_stack_set(plan.room), role_template(), role_parameters(plan, me, model_arns),
             ["CAPABILITY_NAMED_IAM"], room_tags(plan, None))]
    if plan.predeploy:
        az1, az2 = zones(ec2, plan.region)
        sets.append((room.workshop_stack_set(plan.room), stack.template_body(), workshop_parameters(plan, az1, az2),
                     ["CAPABILITY_IAM"], room_tags(plan, "default")))
    done = {}
    for name, body, params, caps, tags in sets:
        if stacksets.describe(cfn, name) is None:
            kwargs = {"StackSetName": name, "TemplateBody": body, "Parameters": params, "Capabilities": caps,
                      "Tags": tags,
                      "Description": f"Bedrock PrivateLink workshop, room {plan.room} (python -m utils instructor)"}
            if service:
                kwargs.update(PermissionModel="SERVICE_MANAGED",
                              AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False})
            else:
                kwargs.update(PermissionModel="SELF_MANAGED",
                              AdministrationRoleARN=aws.role_arn(me, ADMINISTRATION_ROLE),
                              ExecutionRoleName=EXECUTION_ROLE)
            cfn.create_stack_set(**kwargs)
            echo(f"Created the stack set {name} ({kwargs['PermissionModel']}).")
        else:
            echo(f"The stack set {name} exists: deploying any missing instances.")

        def start(name=name):
            return cfn.create_stack_instances(StackSetName=name, DeploymentTargets=targets, Regions=[plan.region],
                                              OperationPreferences=stacksets.OPERATION_PREFERENCES)

        stacksets.run(cfn, name, start, what=f"the stack instances of {name}")
        summaries = [s for s in stacksets.instances(cfn, name) if s.get("Region") == plan.region]
        bad = [s for s in summaries if s.get("Status") != "CURRENT"]
        echo(f"{name}: {len(summaries) - len(bad)} of {len(summaries)} stack instance(s) CURRENT.")
        if bad:
            raise SystemExit("Some stack instances are not CURRENT: " + "; ".join(
                f"{s['Account']}: {s.get('Status')} {s.get('StatusReason', '')}".strip() for s in bad))
        done[name] = len(summaries)
    return {"stack_sets": done}


def _provision_shared(plan: Plan, cfn, ec2, me: str, model_arns: list[str], echo) -> dict:
    name = room.shared_stack(plan.room)
    tags = [*room_tags(plan, None), {"Key": PREFIXES_TAG, "Value": " ".join(plan.prefixes)}]
    existing = stack.describe(cfn, name)
    if existing is None:
        resp = cfn.create_stack(StackName=name, TemplateBody=role_template(),
                                Parameters=role_parameters(plan, me, model_arns),
                                Capabilities=["CAPABILITY_NAMED_IAM"], Tags=tags)
        final = wait_stack(cfn, resp["StackId"], f"{name} to be created")
        if final["StackStatus"] not in stack.STABLE:
            raise SystemExit(f"{name} ended {final['StackStatus']} ({final.get('StackStatusReason')}).")
    else:
        echo(f"{name} exists ({existing['StackStatus']}); the room's prefixes: {' '.join(plan.prefixes)}")
        if _tags_differ(existing, tags):  # a different room size: the roster (a stack tag) follows
            resp = cfn.update_stack(StackName=name, UsePreviousTemplate=True, Tags=tags,
                                    Parameters=[{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
                                                for p in role_parameters(plan, me, model_arns)],
                                    Capabilities=["CAPABILITY_NAMED_IAM"])
            wait_stack(cfn, resp["StackId"], f"{name} to be updated")
    created = []
    if plan.predeploy:
        az1, az2 = zones(ec2, plan.region)
        started = {}
        for prefix in plan.prefixes:
            cfg = config.WorkshopConfig("aws", plan.region, me, plan.model_id, prefix)
            if stack.describe(cfn, cfg.stack_name) is not None:
                continue
            resp = cfn.create_stack(StackName=cfg.stack_name, TemplateBody=stack.template_body(),
                                    Parameters=workshop_parameters(plan, az1, az2, prefix),
                                    Capabilities=["CAPABILITY_IAM"], Tags=room_tags(plan, prefix), OnFailure="ROLLBACK")
            started[cfg.stack_name] = resp["StackId"]
        for stack_name, stack_id in started.items():  # CloudFormation creates them side by side
            final = wait_stack(cfn, stack_id, f"{stack_name} to be created")
            if final["StackStatus"] not in stack.STABLE:
                raise SystemExit(f"{stack_name} ended {final['StackStatus']} ({final.get('StackStatusReason')}): "
                                 "see its events in the CloudFormation console.")
            created.append(stack_name)
    echo(f"Shared room {plan.room}: prefixes {' '.join(plan.prefixes)}; role {PARTICIPANT_ROLE} in {me}"
         + (f"; pre-deployed {len(created)} stack(s)" if plan.predeploy else ""))
    return {"prefixes": plan.prefixes, "stacks": created}


def wait_stack(cfn, stack_id: str, what: str) -> dict:
    """Wait (polling with backoff, bounded) until the stack leaves *_IN_PROGRESS; one line when done."""
    from ..waiting import wait_until

    return wait_until(lambda: cfn.describe_stacks(StackName=stack_id)["Stacks"][0], what=what,
                      timeout=stacksets.operation_timeout(), status=lambda s: s["StackStatus"],
                      until=lambda s: not s["StackStatus"].endswith("_IN_PROGRESS"), max_interval=10.0)


def _tags_differ(existing: dict, tags: list[dict]) -> bool:
    return room.tags_of(existing.get("Tags")) != room.tags_of(tags)
