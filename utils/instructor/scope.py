"""The scope of a room: every place where its resources can be, found from AWS, not from its current size.

A room named `<room>` can exist in two forms, and both are looked for: one account per participant (the stack
sets `<room>-participant` and `<room>-stack`) and a shared account (the stack `<room>-participant`, whose tag
`workshop-room-prefixes` lists the prefixes). Its scope is:

- one account per participant: the accounts of the stack sets' instances, every account their operations ever
  reached (an account that left the OU keeps what its participant created outside the stacks), plus, for
  SERVICE_MANAGED, every active account of the OUs they target (automatic deployment seats one that joins later);
- shared account: the prefixes of the tag, plus the participant of every stack tagged `workshop-room=<room>` (a
  pre-deployed prefix stack), in the instructor's account; and, when the room stack itself is gone, a room made of
  those tagged stacks alone, so that a half-cleaned room is still found.

`check_provision` keeps the scope from shrinking: a provision that would leave a prefix or an account out of its
room (where status and cleanup no longer look), or reuse the room's name in the other form, is refused before
anything changes.
"""

from __future__ import annotations

from .. import config, stack
from ..lang import _, ngettext
from . import PARTICIPANT_ROLE, ROOM_TAG, aws, room, stacksets
from .errors import Usage


class RoomConflict(Usage):
    """Provisioning would orphan part of an existing room (exit 2, the command line must change); the message says
    what and what to do instead."""


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


def live_stacks(cfn) -> list[dict]:
    out = []
    for page in cfn.get_paginator("describe_stacks").paginate():
        out.extend(s for s in page["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE")
    return out


def room_tagged_stacks(stacks: list[dict], name: str) -> list[dict]:
    """Stacks tagged workshop-room=<name>, except the room's own role stack."""
    return [s for s in stacks if room.tags_of(s.get("Tags")).get(ROOM_TAG) == name
            and s["StackName"] != room.shared_stack(name)]


def participant_of(desc: dict) -> str:
    return room.tags_of(desc.get("Tags")).get("participant", "default")


def rooms(region: str, name: str, echo=print) -> tuple[list[room.Room], list[dict]]:
    """(every form of the room, with its whole scope; the instructor account's live stacks)."""
    cfn = aws.client("cloudformation", region)
    me = aws.caller(region)["Account"]
    stacks = live_stacks(cfn)
    found = []
    accounts = room.find_accounts(cfn, region, name, me)
    if accounts is not None:
        _widen_accounts(accounts, region, echo)
        found.append(accounts)
    shared = room.find_shared(cfn, region, name, me)
    tagged = room_tagged_stacks(stacks, name)
    extra = [participant_of(s) for s in tagged if participant_of(s) != "default"]
    if shared is None and extra:
        model = room.tags_of(tagged[0].get("Tags")).get("workshop-model", config.DEFAULT_MODEL_ID)
        shared = room.Room(name, "shared", region, model, me)
        echo(_("The room stack {stack} is gone, but {n} stack(s) tagged {tag}={name} remain: cleaning them as the "
               "shared room {name}.").format(stack=room.shared_stack(name), n=len(tagged), tag=ROOM_TAG, name=name))
    if shared is not None:
        known = [p.id for p in shared.participants]
        for prefix in extra:
            if prefix not in known:
                known.append(prefix)
                shared.participants.append(room.Participant(prefix, me, prefix))
        found.append(shared)
    return found, stacks


def operation_accounts(cfn, name: str) -> set[str]:
    """Every account that an operation of the stack set ever reached (ListStackSetOperations, then
    ListStackSetOperationResults): an account whose instance is gone (it left the OU, or its instance was
    deleted) is still one the room had."""
    found: set[str] = set()
    for page in cfn.get_paginator("list_stack_set_operations").paginate(StackSetName=name):
        for op in page["Summaries"]:
            for results in cfn.get_paginator("list_stack_set_operation_results").paginate(
                    StackSetName=name, OperationId=op["OperationId"]):
                found.update(res["Account"] for res in results["Summaries"] if res.get("Account"))
    return found


def _widen_accounts(r: room.Room, region: str, echo) -> None:
    """Add the accounts the room ever had without a stack instance now: those its stack sets' operations reached,
    and the active accounts of its OUs (SERVICE_MANAGED)."""
    known = {p.id for p in r.participants}
    cfn = aws.client("cloudformation", region)
    for name in r.instances:
        for account in sorted(operation_accounts(cfn, name) - known):
            if account != r.instructor_account:
                known.add(account)
                r.participants.append(room.Participant(account, account))
                echo(_("Account {account} had a stack instance of {name} and has none now: checked too.").format(
                    account=account, name=name))
    if r.permission_model != "SERVICE_MANAGED" or not r.ou_ids:
        return
    org = aws.client("organizations", region)
    for ou in r.ou_ids:
        try:
            members = ou_accounts(org, ou)
        except Exception as exc:  # not allowed to list the OU: say what is not covered
            r.uncovered.append(_("the accounts of {ou} without a stack instance (ListAccountsForParent: "
                                 "{code})").format(ou=ou, code=aws.error_code(exc)))
            echo(_("Could not list the accounts of the OU {ou} ({code}): only the accounts of the stack instances "
                   "are checked.").format(ou=ou, code=aws.error_code(exc)))
            continue
        for account in members:
            if account["Id"] not in known and account["Id"] != r.instructor_account:
                known.add(account["Id"])
                r.participants.append(room.Participant(account["Id"], account["Id"]))
                echo(_("Account {account} is in the room's OU {ou} without a stack instance: checked too.").format(
                    account=account["Id"], ou=ou))


def outside(stacks: list[dict], scope: list[room.Room]) -> list[str]:
    """Workshop stacks in the instructor's account that belong to no participant of the room (left alone)."""
    mine = {p.prefix for r in scope if r.mode == "shared" for p in r.participants}
    out = []
    for s in stacks:
        tags = room.tags_of(s.get("Tags"))
        if tags.get(config.WORKSHOP_TAG[0]) != config.WORKSHOP_TAG[1] or "FunctionName" not in stack.outputs_of(s) \
                and s["StackStatus"] in stack.STABLE:
            continue
        if participant_of(s) not in mine and not stack.is_adopted(s):
            out.append(f"stack {s['StackName']} (participant {participant_of(s)}, {s['StackStatus']})")
    return out


def role_left(iam, name: str) -> str | None:
    """'iam role WorkshopParticipant' when the role of this room still exists in this account."""
    try:
        found = iam.get_role(RoleName=PARTICIPANT_ROLE)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return None
    tags = room.tags_of(found.get("Tags"))
    if tags and tags.get(ROOM_TAG) not in (None, name):
        return None  # another room's role
    return f"iam role {PARTICIPANT_ROLE}"


# ------------------------------------------------------------------------------------------------ provision

def check_provision(plan, region: str, me: str) -> room.Room | None:
    """Refuse (RoomConflict) a provision that would orphan part of the room; return the room as it is, or None."""
    cfn = aws.client("cloudformation", region)
    accounts = room.find_accounts(cfn, region, plan.room, me)
    shared = room.find_shared(cfn, region, plan.room, me)
    keep = _("Nothing was changed. Clean the room up first (python -m utils instructor cleanup --room {room}), "
             "or choose another --room name.").format(room=plan.room)
    if plan.mode == "shared" and accounts is not None:
        raise RoomConflict(_(
            "The room {room} exists as one account per participant (stack set {stack_set}, {n} account(s)); a "
            "shared room of the same name would be a second room that status, env and cleanup cannot tell apart. "
            "{keep}").format(room=plan.room, stack_set=room.role_stack_set(plan.room), n=len(accounts.participants),
                             keep=keep))
    if plan.mode != "shared" and shared is not None:
        raise RoomConflict(_(
            "The room {room} exists in a shared account (stack {stack}, prefixes {prefixes}); a room of one account "
            "per participant with the same name would be a second room that status, env and cleanup cannot tell "
            "apart. {keep}").format(room=plan.room, stack=room.shared_stack(plan.room),
                                    prefixes=" ".join(p.id for p in shared.participants), keep=keep))
    if accounts is not None:
        wanted = "SERVICE_MANAGED" if plan.mode == "ou" else "SELF_MANAGED"
        if accounts.permission_model != wanted:
            raise RoomConflict(_("The room {room} uses {model} stack sets ({option}); {wanted_option} would need "
                                 "{wanted}. {keep}").format(
                room=plan.room, model=accounts.permission_model,
                option="--ou" if accounts.permission_model == "SERVICE_MANAGED" else "--accounts",
                wanted_option="--ou" if plan.mode == "ou" else "--accounts", wanted=wanted, keep=keep))
        if plan.mode == "accounts":
            dropped = sorted({p.id for p in accounts.participants} - set(plan.accounts))
            if dropped:
                raise RoomConflict(_(
                    "The room {room} has stack instances in {n} account(s) that --accounts leaves out: {accounts}. A "
                    "room only grows: give every account of the room again (plus new ones). {keep}").format(
                    room=plan.room, n=len(dropped),
                    accounts=", ".join(dropped[:10]) + (" ..." if len(dropped) > 10 else ""), keep=keep))
        return accounts
    if shared is not None:
        stacks = room_tagged_stacks(live_stacks(cfn), plan.room)
        had = [p.id for p in shared.participants] + [participant_of(s) for s in stacks]
        dropped = sorted(set(had) - set(plan.prefixes) - {"default"})
        if dropped:
            raise RoomConflict(ngettext(
                "The room {room} has the prefixes {had}; this provision ({prefixes}) would leave {dropped} out of the "
                "room, with whatever it created (stack, endpoint, function's network interfaces), where status and "
                "cleanup no longer look. A room only grows: ask for at least {least} prefixes with the same "
                "--prefix-base. {keep}",
                "The room {room} has the prefixes {had}; this provision ({prefixes}) would leave {dropped} out of the "
                "room, with whatever they created (stack, endpoint, function's network interfaces), where status and "
                "cleanup no longer look. A room only grows: ask for at least {least} prefixes with the same "
                "--prefix-base. {keep}", len(dropped)).format(
                room=plan.room, had=" ".join(sorted(set(had) - {"default"})), prefixes=" ".join(plan.prefixes),
                dropped=" ".join(dropped), least=len(set(had) - {"default"}), keep=keep))
        return shared
    return None


def stack_set_names(name: str) -> list[str]:
    return [room.workshop_stack_set(name), room.role_stack_set(name)]


def live_stack_sets(cfn, name: str) -> list[str]:
    return [n for n in stack_set_names(name) if stacksets.describe(cfn, n) is not None]

