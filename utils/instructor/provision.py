"""Seat a room: one account per participant (stack sets) or N prefixes in one shared account.

Everything is checked before anything is created (`check`, which `--dry-run` runs alone): the model (the same
checks as notebook 00: offered in the Region, lifecycle, geography, profile-only), the room as it already is (a
provision never leaves a prefix or an account out of its room, nor reuses its name in the other form), the room's
size (the OU's accounts, the account list, or the VPC quota of a shared account), the roles stack sets need, the
zones, and the cost for the planned duration.

Provisioning converges: a re-run creates what is missing, replaces a stack whose creation failed
(ROLLBACK_COMPLETE), retries failed stack instances, brings the role and the stacks to the current model, and
exits 0 only when every participant's stacks are ready.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import config, cost, models, preflight, stack, validation
from ..config import repo_root
from ..lang import N_, _
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
    scope,
    stacksets,
)
from .errors import Usage

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

ou_accounts = scope.ou_accounts


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
        raise RoomDoesNotFit(_(
            "The room does not fit in this account: {n} participants need {per} VPCs each (the workshop VPC, as "
            "private DNS allows one bedrock-runtime endpoint per VPC, and notebook 06's corporate stand-in), but the "
            "quota 'VPCs per Region' ({code}) is {quota} in {region} ({source}) and {vpcs} VPC(s) exist already, "
            "so {fits} participant(s) fit. Nothing was created. Seat at most {fits} here, use one account per "
            "participant (--ou or --accounts), or request a higher quota: in the Service Quotas console "
            "(Amazon Virtual Private Cloud (Amazon VPC) > VPCs per Region > Request increase at account level), or "
            "aws service-quotas request-service-quota-increase --service-code vpc --quota-code {code} "
            "--desired-value {desired} --region {region}").format(
            n=plan.shared, per=VPCS_PER_PARTICIPANT, code=QUOTA_CODE, quota=facts["quota"], region=plan.region,
            source=facts["source"], vpcs=len(facts["vpcs"]), fits=fits,
            desired=len(facts["vpcs"]) - mine_held + plan.shared * VPCS_PER_PARTICIPANT))
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
    one = cost.estimate(plan.model_id, hours=plan.hours, target=target_name, region=plan.region)
    return {"participants": participants, "hours": plan.hours, "per_participant_usd": round(one.total, 4),
            "total_usd": round(one.total * participants, 4), "estimate": one,
            "note": _("{n} x one participant's estimate for {hours} h (endpoint billed per started hour: {billed} h "
                      "x 2 AZs)").format(n=participants, hours=f"{plan.hours:g}", billed=math.ceil(plan.hours))}


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
        raise SystemExit(_("The bedrock-runtime endpoint service is offered in fewer than two zones of "
                           "{region}.").format(region=region))
    return usable[0], usable[1]


# ------------------------------------------------------------------------------------------------ checks

@dataclass
class Checked:
    """What `check` found: everything `apply` needs, read before anything is created."""

    me: str
    size: int
    model_arns: list[str]
    existing: room.Room | None
    estimate: dict
    zones: tuple[str, str] | None = None
    facts: dict | None = None


def check_model(plan: Plan, bedrock) -> None:
    """The model passes notebook 00's checks (utils.validation.model_id against what the Region offers:
    ListFoundationModels and ListInferenceProfiles, lifecycle, geography, profile-only), else SystemExit."""
    offered = models.offer(models.catalog(bedrock), plan.region)
    try:
        validation.model_id(plan.model_id, plan.region, offered)
    except validation.InvalidInput as exc:
        raise Usage(_("--model {model}: {problem} Nothing was created.").format(model=plan.model_id, problem=exc)) \
            from None


def check(plan: Plan, echo=print) -> Checked:
    """Every check of a provision, read-only; SystemExit with the reason when one fails. `--dry-run` is this."""
    region = plan.region
    ec2 = aws.client("ec2", region)
    me = aws.caller(region)["Account"]
    bedrock = aws.client("bedrock", region)
    check_model(plan, bedrock)
    model_arns = room_model_arns(models.resource_arns(bedrock, plan.model_id, region))
    existing = scope.check_provision(plan, region, me)
    if existing is not None:
        echo(_("The room {room} exists ({mode}, {n} participant(s), model {model}): provisioning again brings it "
               "to this plan.").format(room=plan.room, mode=existing.mode, n=len(existing.participants),
                                       model=existing.model_id))
    facts = None
    if plan.mode == "shared":
        facts = check_shared_fits(plan, ec2, _quotas(region))
        echo(_("Shared account {me}: quota 'VPCs per Region' {quota} ({source}), {vpcs} VPC(s) exist, {needed} "
               "more needed: the room fits.").format(me=me, quota=facts["quota"], source=facts["source"],
                                                     vpcs=len(facts["vpcs"]), needed=facts["needed"]))
        size = plan.shared
    elif plan.mode == "ou":
        org = aws.client("organizations", region)
        members = ou_accounts(org, plan.ou_id)
        if not members:
            raise SystemExit(_("The OU {ou} holds no active account: move the participants' accounts into it (or "
                               "create them with Organizations CreateAccount) first.").format(ou=plan.ou_id))
        size = len(members)
        echo(_("OU {ou}: {n} active account(s), one per participant.").format(ou=plan.ou_id, n=size))
        try:
            access = aws.client("cloudformation", region).describe_organizations_access()["Status"]
        except Exception as exc:  # e.g. not the management account: the real run's activation will say why
            access = _("unreadable ({code})").format(code=aws.error_code(exc))
        if access != "ENABLED":
            echo(_("Trusted access between StackSets and Organizations is {access}: provisioning activates it "
                   "(ActivateOrganizationsAccess, from the management account or a delegated "
                   "administrator).").format(access=access))
    else:
        size = len(plan.accounts)
        _require_self_managed_roles(me, plan.accounts, region)
        echo(_("{n} account(s), one per participant (SELF_MANAGED): {admin} here and {execution} in each account "
               "can be used.").format(n=size, admin=ADMINISTRATION_ROLE, execution=EXECUTION_ROLE))
    pair = zones(ec2, region) if plan.predeploy else None
    estimate = room_estimate(plan, size)
    echo(_("Estimated cost of the room for {hours} h: ${total} (${each} per participant; {note}).").format(
        hours=f"{plan.hours:g}", total=f"{estimate['total_usd']:.2f}", each=f"{estimate['per_participant_usd']:.4f}",
        note=estimate["note"]))
    return Checked(me, size, model_arns, existing, estimate, pair, facts)


def _quotas(region: str):
    try:
        return aws.client("service-quotas", region)
    except Exception:  # no Service Quotas client: preflight.vpc_quota assumes AWS's default and says so
        return None


def _require_self_managed_roles(me: str, accounts, region: str) -> None:
    """SELF_MANAGED stack sets need AWSCloudFormationStackSetAdministrationRole here and
    AWSCloudFormationStackSetExecutionRole in every account, which cleanup uses too: AssumeRole proves it."""
    iam = aws.client("iam", region)
    how = _("Create them from AWS's templates (AWS CloudFormation User Guide, 'Grant self-managed permissions'), "
            "or use --ou with AWS Organizations (SERVICE_MANAGED), which needs neither.")
    try:
        iam.get_role(RoleName=ADMINISTRATION_ROLE)
    except iam.exceptions.NoSuchEntityException:
        raise SystemExit(_(
            "SELF_MANAGED stack sets need the role {admin} in this account ({me}) and {execution} in every "
            "participant account, trusting this account. {how}").format(
            admin=ADMINISTRATION_ROLE, me=me, execution=EXECUTION_ROLE, how=how)) from None
    from concurrent.futures import ThreadPoolExecutor

    def refused(account):
        try:
            aws.assume(account, EXECUTION_ROLE, region, session_name="workshop-provision-check")
            return None
        except Exception as exc:
            return f"{account} ({aws.error_code(exc)})"

    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="check") as pool:
        bad = [b for b in pool.map(refused, accounts) if b]
    if bad:
        raise SystemExit(_("{execution} cannot be assumed from this account in {n} account(s): {accounts}. Nothing "
                           "was created. {how}").format(execution=EXECUTION_ROLE, n=len(bad),
                                                         accounts=", ".join(bad[:10]), how=how))


def confirm_cost(plan: Plan, checked: Checked, yes: bool, ask=input) -> None:
    """On AWS, the instructor confirms the estimate before anything is created (`--yes` answers for them)."""
    if yes or _on_sandbox():
        return
    import sys

    question = _("Provision {n} participant(s) in {region} for about ${total} over {hours} h? [y/N] ").format(
        n=checked.size, region=plan.region, total=f"{checked.estimate['total_usd']:.2f}", hours=f"{plan.hours:g}")
    if not sys.stdin or not sys.stdin.isatty():
        raise Usage(_("Provisioning on AWS costs money and nobody can answer the confirmation here: run it "
                      "again with --yes to confirm the estimate above. Nothing was created."))
    if ask(question).strip().lower() not in ("y", "yes"):
        raise SystemExit(_("Not confirmed. Nothing was created."))


# ------------------------------------------------------------------------------------------------ provisioning

def provision(plan: Plan, echo=print, yes: bool = True) -> dict:
    """Check, confirm (on AWS, unless `yes`), then seat the room. Returns a summary; raises SystemExit with a
    clear message when it cannot, or when some participant is not ready at the end."""
    checked = check(plan, echo)
    confirm_cost(plan, checked, yes)
    region = plan.region
    cfn = aws.client("cloudformation", region)
    summary = {"room": plan.room, "mode": plan.mode, "region": region, "participants": checked.size,
               "estimate_usd": checked.estimate["total_usd"], "instructor_account": checked.me}
    try:
        if plan.mode == "shared":
            summary.update(_provision_shared(plan, cfn, checked, echo))
        else:
            summary.update(_provision_stack_sets(plan, cfn, checked, echo))
    except stacksets.OperationFailed as exc:
        raise SystemExit(str(exc)) from None
    if plan.guardrail:
        from . import guardrail

        summary["guardrail"] = guardrail.attach(plan, checked.model_arns, echo)
    return summary


def _ensure_org_access(cfn, echo) -> None:
    """SERVICE_MANAGED stack sets need trusted access between StackSets and Organizations."""
    try:
        status = cfn.describe_organizations_access()["Status"]
    except Exception as exc:  # e.g. not the management account: AWS says so in the next call
        status, why = "UNKNOWN", f"{aws.error_code(exc)}"
        echo(_("Could not read StackSets' trusted access with Organizations ({why}); activating it.").format(
            why=why))
    if status != "ENABLED":
        cfn.activate_organizations_access()
        echo(_("Activated trusted access between CloudFormation StackSets and AWS Organizations."))


def _differs(current: list[dict] | None, wanted: list[dict], key: str, value: str) -> bool:
    have = {p[key]: p.get(value) for p in current or []}
    return any(have.get(p[key]) != p[value] for p in wanted)


def _provision_stack_sets(plan: Plan, cfn, checked: Checked, echo) -> dict:
    service = plan.mode == "ou"
    me = checked.me
    if service:
        _ensure_org_access(cfn, echo)
        targets = {"OrganizationalUnitIds": [plan.ou_id]}
    else:
        targets = {"Accounts": list(plan.accounts)}
    sets = [(room.role_stack_set(plan.room), role_template(), role_parameters(plan, me, checked.model_arns),
             ["CAPABILITY_NAMED_IAM"], room_tags(plan, None))]
    if plan.predeploy:
        az1, az2 = checked.zones
        sets.append((room.workshop_stack_set(plan.room), stack.template_body(), workshop_parameters(plan, az1, az2),
                     ["CAPABILITY_IAM"], room_tags(plan, "default")))

    def deploy(name, body, params, caps, tags):
        """One stack set: created or updated, its instances deployed; (name, CURRENT count, problems)."""
        not_ready: list[str] = []
        found = stacksets.describe(cfn, name)
        if found is None:
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
            echo(_("Created the stack set {name} ({model}).").format(name=name, model=kwargs["PermissionModel"]))
        elif _differs(found.get("Parameters"), params, "ParameterKey", "ParameterValue") or \
                _differs(found.get("Tags"), tags, "Key", "Value") or found.get("TemplateBody", body) != body:
            # A new model (the role's ARNs, the stack's ModelId) or template: every instance follows.
            def update(name=name, body=body, params=params, caps=caps, tags=tags):
                return cfn.update_stack_set(StackSetName=name, TemplateBody=body, Parameters=params,
                                            Capabilities=caps, Tags=tags,
                                            OperationPreferences=stacksets.OPERATION_PREFERENCES)

            stacksets.run(cfn, name, update, what=_("{name} to be updated (model {model})").format(
                name=name, model=plan.model_id))
            echo(_("Updated the stack set {name} and its instances (model {model}).").format(
                name=name, model=plan.model_id))
        else:
            echo(_("The stack set {name} exists: deploying any missing instances.").format(name=name))

        def start(name=name):
            return cfn.create_stack_instances(StackSetName=name, DeploymentTargets=targets, Regions=[plan.region],
                                              OperationPreferences=stacksets.OPERATION_PREFERENCES)

        have = {s["Account"] for s in stacksets.instances(cfn, name) if s.get("Region") == plan.region}
        failed_op = None
        if service or set(plan.accounts) - have:
            if not service:
                missing = sorted(set(plan.accounts) - have)

                def start(name=name, missing=missing):  # noqa: F811 - only the accounts without an instance
                    return cfn.create_stack_instances(
                        StackSetName=name, Accounts=missing, Regions=[plan.region],
                        OperationPreferences=stacksets.OPERATION_PREFERENCES)
            try:
                stacksets.run(cfn, name, start, what=_("the stack instances of {name}").format(name=name))
            except stacksets.OperationFailed as exc:
                failed_op = str(exc)
        bad = _not_current(cfn, name, plan.region)
        if bad and failed_op is None:  # from an earlier run: retry them (UpdateStackInstances redeploys them)
            echo(_("{name}: {n} stack instance(s) not CURRENT from an earlier run: deploying them again.").format(
                name=name, n=len(bad)))
            accounts = sorted({s["Account"] for s in bad})
            retry = ({"DeploymentTargets": {"OrganizationalUnitIds": sorted({s["OrganizationalUnitId"] for s in bad
                                                                            if s.get("OrganizationalUnitId")}),
                                            "Accounts": accounts, "AccountFilterType": "INTERSECTION"}}
                     if service else {"Accounts": accounts})
            try:
                stacksets.run(cfn, name, lambda name=name, retry=retry: cfn.update_stack_instances(
                    StackSetName=name, Regions=[plan.region], OperationPreferences=stacksets.OPERATION_PREFERENCES,
                    **retry), what=_("the failed stack instances of {name} to be deployed again").format(name=name))
            except stacksets.OperationFailed as exc:
                failed_op = str(exc)
            bad = _not_current(cfn, name, plan.region)
        summaries = [s for s in stacksets.instances(cfn, name) if s.get("Region") == plan.region]
        echo(_("{name}: {current} of {total} stack instance(s) CURRENT.").format(
            name=name, current=len(summaries) - len(bad), total=len(summaries)))
        not_ready += [f"{s['Account']} {name}: {s.get('Status')} {s.get('StatusReason', '')}".strip() for s in bad]
        if failed_op and not bad:
            not_ready.append(failed_op)
        return name, len(summaries) - len(bad), not_ready

    # The two stack sets are independent (the role, the workshop stack): their operations run side by side.
    from ..waiting import parallel_map

    done, not_ready = {}, []
    for name, count, problems in parallel_map(lambda args: deploy(*args), sets, workers=len(sets), name="stack-set"):
        done[name] = count
        not_ready += problems
    if not_ready:
        raise SystemExit(_("Not every participant is ready ({n} problem(s)): {problems}. Fix the cause (the reason "
                           "names it) and run the same command again: it deploys the failed instances again.").format(
            n=len(not_ready), problems="; ".join(not_ready[:10])))
    return {"stack_sets": done}


def _not_current(cfn, name: str, region: str) -> list[dict]:
    return [s for s in stacksets.instances(cfn, name) if s.get("Region") == region and s.get("Status") != "CURRENT"]


# A stack in one of these states cannot be updated: only deleted (CloudFormation User Guide, "Stack status codes":
# ROLLBACK_COMPLETE "... can only be deleted").
REPLACE = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED"}


def _provision_shared(plan: Plan, cfn, checked: Checked, echo) -> dict:
    me, name = checked.me, room.shared_stack(plan.room)
    tags = [*room_tags(plan, None), {"Key": PREFIXES_TAG, "Value": " ".join(plan.prefixes)}]
    params = role_parameters(plan, me, checked.model_arns)
    existing = stack.describe(cfn, name)
    if existing is not None and existing["StackStatus"] in REPLACE:
        echo(_("{name} is {status} (its creation failed): deleting it to create it again.").format(
            name=name, status=existing["StackStatus"]))
        _delete_and_wait(cfn, existing)
        existing = None
    if existing is None:
        resp = cfn.create_stack(StackName=name, TemplateBody=role_template(), Parameters=params,
                                Capabilities=["CAPABILITY_NAMED_IAM"], Tags=tags)
        final = wait_stack(cfn, resp["StackId"], _("{name} to be created").format(name=name))
        if final["StackStatus"] not in stack.STABLE:
            raise SystemExit(_("{name} ended {status} ({reason}). Run the same command again: it replaces "
                               "it.").format(name=name, status=final["StackStatus"],
                                             reason=final.get("StackStatusReason")))
    elif _tags_differ(existing, tags) or _differs(existing.get("Parameters"), params, "ParameterKey",
                                                  "ParameterValue") or \
            cfn.get_template(StackName=existing["StackId"])["TemplateBody"] != role_template():
        # A bigger room (the roster is a stack tag), a new model (the role's ARNs) or a newer role template (e.g.
        # the trust policy's sts:TagSession): the stack follows.
        echo(_("{name} exists ({status}): updating it to prefixes {prefixes}, model {model}.").format(
            name=name, status=existing["StackStatus"], prefixes=" ".join(plan.prefixes), model=plan.model_id))
        resp = cfn.update_stack(StackName=name, TemplateBody=role_template(), Tags=tags, Parameters=params,
                                Capabilities=["CAPABILITY_NAMED_IAM"])
        final = wait_stack(cfn, resp["StackId"], _("{name} to be updated").format(name=name))
        if final["StackStatus"] not in stack.STABLE - {"UPDATE_ROLLBACK_COMPLETE"}:
            raise SystemExit(_("{name} ended {status} ({reason}).").format(
                name=name, status=final["StackStatus"], reason=final.get("StackStatusReason")))
    else:
        echo(_("{name} exists ({status}) with prefixes {prefixes}.").format(
            name=name, status=existing["StackStatus"], prefixes=" ".join(plan.prefixes)))
    counts = {"created": [], "replaced": [], "updated": [], "unchanged": []}
    not_ready = []
    if plan.predeploy:
        az1, az2 = checked.zones
        names = {p: config.WorkshopConfig("aws", plan.region, me, plan.model_id, p).stack_name for p in plan.prefixes}
        found = {p: stack.describe(cfn, n) for p, n in names.items()}
        broken = {p: d for p, d in found.items() if d is not None and d["StackStatus"] in REPLACE}
        for d in broken.values():
            echo(_("{name} is {status} ({reason}): deleting it to create it again.").format(
                name=d["StackName"], status=d["StackStatus"], reason=d.get("StackStatusReason") or _("no reason")))
            cfn.delete_stack(StackName=d["StackId"])
        for p, d in broken.items():
            _wait_deleted(cfn, d)
            found[p] = None
        started = {}
        for p, stack_name in names.items():
            d = found[p]
            wanted = workshop_parameters(plan, az1, az2, p)
            if d is None:
                resp = cfn.create_stack(StackName=stack_name, TemplateBody=stack.template_body(), Parameters=wanted,
                                        Capabilities=["CAPABILITY_IAM"], Tags=room_tags(plan, p),
                                        OnFailure="ROLLBACK")
                started[p] = (resp["StackId"], "replaced" if p in broken else "created")
            elif stack.is_adopted(d) or d["StackStatus"].endswith("_IN_PROGRESS"):
                started[p] = (d["StackId"], "unchanged")
            elif _differs(d.get("Parameters"), [w for w in wanted if w["ParameterKey"] == "ModelId"],
                          "ParameterKey", "ParameterValue"):
                resp = cfn.update_stack(StackName=d["StackId"], UsePreviousTemplate=True, Tags=room_tags(plan, p),
                                        Parameters=[{"ParameterKey": w["ParameterKey"], "UsePreviousValue": True}
                                                    if w["ParameterKey"] != "ModelId" else w for w in wanted],
                                        Capabilities=["CAPABILITY_IAM"])
                started[p] = (resp["StackId"], "updated")
            else:
                started[p] = (d["StackId"], "unchanged")
        for p, (stack_id, how) in started.items():  # CloudFormation creates them side by side
            final = wait_stack(cfn, stack_id, (_("{name} to be updated") if how == "updated" else
                                                  _("{name} to be created")).format(name=names[p]))
            if final["StackStatus"] not in stack.STABLE:
                why = final.get("StackStatusReason") or _("see its events in the CloudFormation console")
                not_ready.append(f"{names[p]} {final['StackStatus']} ({why})")
            else:
                counts[how].append(names[p])
    ready = sum(len(v) for v in counts.values())
    line = _("Shared room {room}: prefixes {prefixes}; role {role} in {me}").format(
        room=plan.room, prefixes=" ".join(plan.prefixes), role=PARTICIPANT_ROLE, me=me)
    if plan.predeploy:  # the counts' keys (created, replaced, updated, unchanged) are data; shown translated
        shown = {"created": N_("{n} created"), "replaced": N_("{n} replaced"), "updated": N_("{n} updated"),
                 "unchanged": N_("{n} unchanged")}
        line += _("; {ready} of {total} pre-deployed stack(s) ready ({counts})").format(
            ready=ready, total=len(plan.prefixes),
            counts=", ".join(_(shown[k]).format(n=len(v)) for k, v in counts.items() if v))
    echo(line)
    if not_ready:
        raise SystemExit(_("Not every participant is ready: {problems}. Fix the cause and run the same command "
                           "again: it replaces a stack whose creation failed.").format(problems="; ".join(not_ready)))
    return {"prefixes": plan.prefixes, "stacks": {k: v for k, v in counts.items() if v}}


def _delete_and_wait(cfn, desc: dict) -> None:
    cfn.delete_stack(StackName=desc["StackId"])
    _wait_deleted(cfn, desc)


def _wait_deleted(cfn, desc: dict) -> None:
    final = wait_stack(cfn, desc["StackId"], _("{name} to be deleted").format(name=desc["StackName"]))
    if final["StackStatus"] != "DELETE_COMPLETE":
        raise SystemExit(_("{name} could not be deleted: {status} ({reason}). See its events in the CloudFormation "
                           "console.").format(name=desc["StackName"], status=final["StackStatus"],
                                              reason=final.get("StackStatusReason")))


def wait_stack(cfn, stack_id: str, what: str) -> dict:
    """Wait (polling with backoff, bounded) until the stack leaves *_IN_PROGRESS; one line when done."""
    from ..waiting import wait_until

    return wait_until(lambda: cfn.describe_stacks(StackName=stack_id)["Stacks"][0], what=what,
                      timeout=stacksets.operation_timeout(), status=lambda s: s["StackStatus"],
                      until=lambda s: not s["StackStatus"].endswith("_IN_PROGRESS"), max_interval=10.0)


def _tags_differ(existing: dict, tags: list[dict]) -> bool:
    return room.tags_of(existing.get("Tags")) != room.tags_of(tags)


def dry_run(plan: Plan, echo=print) -> int:
    """`provision --dry-run`: every check of the real run, and the cost; nothing is created."""
    checked = check(plan, echo)
    est = checked.estimate
    echo(_("{n} participant(s) in {region}; estimated cost for {hours} h: ${total} (${each} each). One "
           "participant's estimate:").format(n=checked.size, region=plan.region, hours=f"{plan.hours:g}",
                                             total=f"{est['total_usd']:.2f}",
                                             each=f"{est['per_participant_usd']:.4f}") + f"\n{est['estimate']}")
    echo(_("Dry run: every check of the real run passed; nothing was created."))
    return 0
