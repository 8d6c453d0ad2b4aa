"""Clean a whole room, then prove it: nothing of the workshop left in any participant's account (or prefix).

Order, and why:

1. In every account, what the notebooks created outside the stacks: the interface endpoints, the function's VPC
   attachment (then its network interfaces, which Lambda releases), the inline policies on the function's role.
   A stack a participant created themselves (notebook 01, not pre-deployed) is deleted here too.
2. The stack instances (DeleteStackInstances, one operation, waited for), then the stack sets; in a shared
   account, the prefix stacks and the room's role stack.
3. Verification, in every account, through the instructor's administrative role there
   (OrganizationAccountAccessRole for an OU, AWSCloudFormationStackSetExecutionRole for a list of accounts):
   no workshop stack, no workshop resource (utils.inventory), no WorkshopParticipant role, no stack set.

Step 1 comes first because the endpoints' network interfaces sit in the stack's subnets and use its security
group: deleting the stacks first fails (DELETE_FAILED on the subnets and groups), which leaves the stack set's
instances failed; and DeleteStackSet refuses a stack set that still has instances (StackSetNotEmptyException).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from .. import config, endpoint, inventory, lambda_fn, policies, stack
from ..waiting import wait_until
from . import PARTICIPANT_ROLE, aws, room, stacksets
from .status import workers


def eni_timeout() -> float:
    return float(os.environ.get("WORKSHOP_ENI_TIMEOUT", 2700))


def stack_timeout() -> float:
    return float(os.environ.get("WORKSHOP_STACK_TIMEOUT", 3600))


def workshop_stacks(cfn, participants: set[str] | None = None) -> list[dict]:
    """Live stacks tagged workshop=bedrock-privatelink (optionally only these participants')."""
    found = []
    for page in cfn.get_paginator("describe_stacks").paginate():
        for s in page["Stacks"]:
            tags = room.tags_of(s.get("Tags"))
            if s["StackStatus"] == "DELETE_COMPLETE" or tags.get(config.WORKSHOP_TAG[0]) != config.WORKSHOP_TAG[1]:
                continue
            if "FunctionName" not in stack.outputs_of(s) and s["StackStatus"] in stack.STABLE:
                continue  # not a workshop stack (e.g. the room's role stack)
            if participants is None or tags.get("participant", "default") in participants:
                found.append(s)
    return found


def clean_stack_leftovers(make, desc: dict, cfg: config.WorkshopConfig, delete_stack: bool) -> list[str]:
    """Undo notebooks 02 and 03 around one workshop stack; delete the stack unless it is a stack set's."""
    removed: list[str] = []
    cfn, ec2, lam, iam = make("cloudformation"), make("ec2"), make("lambda"), make("iam")
    out = stack.outputs_of(desc)
    vpc_ids = [out["VpcId"]] if out.get("VpcId") else []
    ids = sorted(e["VpcEndpointId"] for e in endpoint.find_all(ec2, vpc_ids, cfg.tag_filters))
    if ids:
        result = ec2.delete_vpc_endpoints(VpcEndpointIds=ids)
        if result.get("Unsuccessful"):
            raise RuntimeError(f"DeleteVpcEndpoints refused {result['Unsuccessful']}")
        _quiet_wait_endpoints(ec2, ids)
        removed += [f"endpoint {i}" for i in ids]
    function = out.get("FunctionName")
    if function:
        try:
            fn = _settled(lam, function)
        except lam.exceptions.ResourceNotFoundException:
            fn = None
        if fn is not None and lambda_fn.in_vpc(fn):
            lam.update_function_configuration(FunctionName=function, VpcConfig={"SubnetIds": [],
                                                                               "SecurityGroupIds": []})
            _settled(lam, function)
            removed.append(f"VPC attachment of {function}")
        for vpc_id in vpc_ids:
            wait_until(lambda vpc_id=vpc_id: lambda_fn.function_enis(ec2, function, vpc_id), quiet=True,
                       what=f"the ENIs of {function} to be released", timeout=eni_timeout(), until=lambda e: not e,
                       max_interval=15.0)
    role = out.get("FunctionRoleName")
    if role:
        for name in policies.INLINE_POLICY_NAMES:
            try:
                iam.delete_role_policy(RoleName=role, PolicyName=name)
                removed.append(f"inline policy {name} of {role}")
            except iam.exceptions.NoSuchEntityException:
                pass
    if delete_stack:
        cfn.delete_stack(StackName=desc["StackId"])
        final = wait_until(lambda: cfn.describe_stacks(StackName=desc["StackId"])["Stacks"][0], quiet=True,
                           what=f"{desc['StackName']} to be deleted", timeout=stack_timeout(),
                           until=lambda s: not s["StackStatus"].endswith("_IN_PROGRESS"), max_interval=10.0)
        if final["StackStatus"] != "DELETE_COMPLETE":
            raise RuntimeError(f"{desc['StackName']} ended {final['StackStatus']}: {final.get('StackStatusReason')}")
        removed.append(f"stack {desc['StackName']}")
    return removed


def _settled(lam, function: str) -> dict:
    """The function's configuration once no update is in progress (quietly: many accounts are cleaned at once)."""
    def check():
        fn = lam.get_function_configuration(FunctionName=function)
        if fn.get("LastUpdateStatus") == "Failed":
            raise RuntimeError(f"The update of {function} failed: {fn.get('LastUpdateStatusReason')}")
        return fn

    return wait_until(check, what=f"{function} to finish its update", timeout=600, quiet=True,
                      until=lambda fn: fn.get("LastUpdateStatus", "Successful") == "Successful"
                      and fn.get("State", "Active") == "Active")


def _quiet_wait_endpoints(ec2, ids: list[str]) -> None:
    def left():
        return [e for e in (endpoint.describe_one(ec2, i) for i in ids)
                if e is not None and e["State"].lower() != "deleted"]

    wait_until(left, what=f"endpoint(s) {', '.join(ids)} to be deleted", timeout=600, until=lambda x: not x,
               quiet=True)


def clean_participant(r: room.Room, p: room.Participant, make) -> dict:
    """Step 1 for one participant; never raises (a problem goes into "error")."""
    result = {"participant": p.id, "removed": [], "error": ""}
    try:
        cfg = p.config(r)
        wanted = {cfg.participant} if r.mode == "shared" else None
        for desc in workshop_stacks(make("cloudformation"), wanted):
            tags = room.tags_of(desc.get("Tags"))
            stack_cfg = config.WorkshopConfig(cfg.target, cfg.region, cfg.account_id, cfg.model_id,
                                              "" if tags.get("participant", "default") == "default"
                                              else tags["participant"])
            result["removed"] += clean_stack_leftovers(make, desc, stack_cfg, delete_stack=not stack.is_adopted(desc))
    except Exception as exc:
        result["error"] = f"{aws.error_code(exc)}: {exc}"
    return result


def verify_participant(r: room.Room, p: room.Participant, make) -> dict:
    """What is left of the workshop for this participant: {"participant", "left": [...], "error"}."""
    result = {"participant": p.id, "left": [], "error": ""}
    try:
        cfg = p.config(r)
        cfn = make("cloudformation")
        for desc in workshop_stacks(cfn, {cfg.participant} if r.mode == "shared" else None):
            result["left"].append(f"stack {desc['StackName']} {desc['StackStatus']}")
        for row in inventory.collect(cfg, lambda service, region=None: make(service), include_adopted=True):
            if row["type"] != "cloudformation stack":
                result["left"].append(f"{row['type']} {row['id']} {row['state']}".strip())
        iam = make("iam")
        if r.mode == "accounts":
            try:
                iam.get_role(RoleName=PARTICIPANT_ROLE)
                result["left"].append(f"iam role {PARTICIPANT_ROLE}")
            except iam.exceptions.NoSuchEntityException:
                pass
    except Exception as exc:
        result["error"] = f"{aws.error_code(exc)}: {exc}"
    return result


def _delete_stack_set(cfn, r: room.Room, name: str, echo) -> list[str]:
    if stacksets.describe(cfn, name) is None:
        return []
    summaries = stacksets.instances(cfn, name)
    removed = []
    if summaries:
        if r.permission_model == "SERVICE_MANAGED":
            ous = sorted({s["OrganizationalUnitId"] for s in summaries if s.get("OrganizationalUnitId")}) or r.ou_ids
            targets = {"OrganizationalUnitIds": ous}
        else:
            targets = {"Accounts": sorted({s["Account"] for s in summaries})}
        regions = sorted({s["Region"] for s in summaries})

        def start():
            return cfn.delete_stack_instances(StackSetName=name, DeploymentTargets=targets, Regions=regions,
                                              RetainStacks=False, OperationPreferences=stacksets.OPERATION_PREFERENCES)

        stacksets.run(cfn, name, start, what=f"the stack instances of {name} to be deleted")
        removed.append(f"{len(summaries)} stack instance(s) of {name}")
        echo(f"Deleted {len(summaries)} stack instance(s) of {name}.")
    stacksets.wait_idle(cfn, name)
    cfn.delete_stack_set(StackSetName=name)
    echo(f"Deleted the stack set {name}.")
    return [*removed, f"stack set {name}"]


def cleanup(region: str, room_name: str = room.DEFAULT_ROOM, admin_role: str | None = None, echo=print) -> dict:
    """Steps 1 to 3. Returns {"removed", "left", "errors", "verified_empty"}."""
    r = room.find(region, room_name)
    if r is None:
        echo(f"No room {room_name!r} in {region}: no stack set and no room stack. Nothing to clean.")
        return {"removed": {}, "left": {}, "errors": {}, "verified_empty": True, "participants": 0}
    role = admin_role or r.admin_role
    cfn = aws.client("cloudformation", region)
    echo(f"Room {r.name}: {len(r.participants)} participant(s) ({r.mode}); cleaning as "
         + (f"{role} in each account." if r.mode == "accounts" else "the instructor in the shared account."))

    def each_participant(action, key: str, prefix: str) -> list[dict]:
        """`action(r, p, make)` for every participant, in parallel; a participant whose clients cannot be made
        (AssumeRole refused, ...) gets {key: [], "error": ...} instead."""
        def one(p):
            try:
                make = r.clients(p, role) if r.mode == "accounts" else r.clients(p, None)
            except Exception as exc:
                return {"participant": p.id, key: [], "error": f"{aws.error_code(exc)}: {exc}"}
            return action(r, p, make)

        with ThreadPoolExecutor(max_workers=workers(), thread_name_prefix=prefix) as pool:
            return list(pool.map(one, r.participants))

    cleaned = each_participant(clean_participant, "removed", "cleanup")
    removed = {c["participant"]: c["removed"] for c in cleaned if c["removed"]}
    errors = {c["participant"]: c["error"] for c in cleaned if c["error"]}
    echo(f"Step 1: removed what the notebooks created outside the stacks in {len(r.participants)} participant(s)"
         + (f"; {len(errors)} error(s)" if errors else "") + ".")

    instructor: list[str] = []
    if not errors:
        if r.mode == "accounts":
            instructor += _delete_stack_set(cfn, r, room.workshop_stack_set(r.name), echo)
            instructor += _delete_stack_set(cfn, r, room.role_stack_set(r.name), echo)
            if r.permission_model == "SERVICE_MANAGED":
                from . import guardrail

                instructor += guardrail.remove(region, r.name, echo)
        else:
            desc = stack.describe(cfn, room.shared_stack(r.name))
            if desc is not None:
                cfn.delete_stack(StackName=desc["StackId"])
                stack.follow(cfn, desc["StackName"], stack_id=desc["StackId"],
                             what=f"{desc['StackName']} to be deleted", timeout=stack_timeout())
                instructor.append(f"stack {desc['StackName']} (role {PARTICIPANT_ROLE})")
    else:
        echo("The stack sets stay until step 1 succeeds in every account (their deletion would fail on the "
             "endpoints' network interfaces). Fix the errors below and run cleanup again.")
    if instructor:
        removed["instructor"] = instructor

    checked = each_participant(verify_participant, "left", "verify")
    left = {c["participant"]: c["left"] for c in checked if c["left"]}
    for c in checked:
        if c["error"]:
            errors[c["participant"]] = c["error"]
    for name in (room.workshop_stack_set(r.name), room.role_stack_set(r.name)):
        if r.mode == "accounts" and stacksets.describe(cfn, name) is not None:
            left.setdefault("instructor", []).append(f"stack set {name}")
    if r.mode == "shared" and stack.describe(cfn, room.shared_stack(r.name)) is not None:
        left.setdefault("instructor", []).append(f"stack {room.shared_stack(r.name)}")
    verified = not left and not errors
    return {"removed": removed, "left": left, "errors": errors, "verified_empty": verified,
            "participants": len(r.participants)}


def report(result: dict) -> str:
    lines = []
    for who, items in result["removed"].items():
        lines.append(f"removed in {who}: " + "; ".join(items))
    for who, items in result["left"].items():
        lines.append(f"LEFT in {who}: " + "; ".join(items))
    for who, err in result["errors"].items():
        lines.append(f"ERROR in {who}: {err}")
    n = result["participants"]
    lines.append(f"Verified: nothing of the workshop remains in any of the {n} participant(s)." if
                 result["verified_empty"] else
                 f"NOT verified empty: {len(result['left'])} place(s) with leftovers, {len(result['errors'])} "
                 "error(s). Run cleanup again; it continues from where it stopped.")
    return "\n".join(lines)
