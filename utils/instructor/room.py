"""A room, found again from AWS: its stack sets (one account per participant) or its stack (shared account).

Per-account room `<room>`: stack set `<room>-participant` (the role) and, when pre-deployed, `<room>-stack` (the
workshop). The participants are the accounts of their stack instances (ListStackInstances). Shared room: the
stack `<room>-participant` in the instructor's account; the participants are the prefixes in its tag
`workshop-room-prefixes`. The model is in the tag `workshop-model` of either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import config
from ..lang import _
from . import (
    DEFAULT_ROOM,
    EXECUTION_ROLE,
    HOURS_TAG,
    MODEL_TAG,
    ORG_ACCESS_ROLE,
    PARTICIPANT_ROLE,
    PREFIXES_TAG,
    ROOM_TAG,
    aws,
    stacksets,
)


def role_stack_set(room: str) -> str:
    return f"{room}-participant"


def workshop_stack_set(room: str) -> str:
    return f"{room}-stack"


def shared_stack(room: str) -> str:
    return f"{room}-participant"


def tags_of(items) -> dict:
    return {t["Key"]: t["Value"] for t in items or []}


@dataclass(frozen=True)
class Participant:
    id: str  # the account ID (one account per participant) or the prefix (shared account)
    account_id: str
    prefix: str = ""

    def config(self, room: Room) -> config.WorkshopConfig:
        from .. import target

        return config.WorkshopConfig(target=target.active().name, region=room.region, account_id=self.account_id,
                                     model_id=room.model_id, prefix=self.prefix)


@dataclass
class Room:
    name: str
    mode: str  # "accounts" or "shared"
    region: str
    model_id: str
    instructor_account: str
    permission_model: str = ""  # SERVICE_MANAGED or SELF_MANAGED (accounts mode)
    participants: list[Participant] = field(default_factory=list)
    ou_ids: list[str] = field(default_factory=list)
    predeployed: bool = False
    hours: float = 2.0  # planned duration (tag workshop-hours), for the cost estimate
    instances: dict = field(default_factory=dict)  # stack set name -> ListStackInstances summaries
    uncovered: list[str] = field(default_factory=list)  # parts of the room's scope that could not be listed

    @property
    def admin_role(self) -> str:
        """The role the instructor's cleanup and checks use in each participant account."""
        return ORG_ACCESS_ROLE if self.permission_model == "SERVICE_MANAGED" else EXECUTION_ROLE

    def find(self, who: str) -> Participant:
        text = str(who).strip().replace("-", "") if self.mode == "accounts" else str(who).strip()
        for p in self.participants:
            if p.id == text:
                return p
        known = ", ".join(p.id for p in self.participants[:10]) + (" ..." if len(self.participants) > 10 else "")
        raise SystemExit(_("{who} is not a participant of the room {room}. Participants: {known}. Give an account ID "
                           "(one account per participant) or a prefix (shared account).").format(
            who=repr(who), room=self.name, known=known or _("none")))

    def clients(self, p: Participant, role: str | None = PARTICIPANT_ROLE):
        """A client factory for this participant: the role in their account, or the instructor's own identity
        in a shared room when `role` is None."""
        if self.mode == "shared" and role is None:
            return aws.factory(self.region)
        creds = aws.assume(p.account_id, role, self.region, session_name=f"instructor-{p.id}"[:64])
        return aws.factory(self.region, creds)


def _hours(tags: dict) -> float:
    try:
        return max(0.0, float(tags.get(HOURS_TAG, 2)))
    except ValueError:
        return 2.0


def find(region: str, room: str = DEFAULT_ROOM) -> Room | None:
    """The room as AWS knows it, or None when it has no stack set and no stack."""
    cfn = aws.client("cloudformation", region)
    me = aws.caller(region)["Account"]
    return find_accounts(cfn, region, room, me) or find_shared(cfn, region, room, me)


def find_accounts(cfn, region: str, room: str, me: str) -> Room | None:
    """The room's one-account-per-participant form (its stack sets), or None."""
    role_set = stacksets.describe(cfn, role_stack_set(room))
    if role_set is not None:
        tags = tags_of(role_set.get("Tags"))
        found = Room(room, "accounts", region, tags.get(MODEL_TAG, config.DEFAULT_MODEL_ID), me,
                     permission_model=role_set.get("PermissionModel", "SELF_MANAGED"), hours=_hours(tags))
        accounts: dict[str, None] = {}
        ous: dict[str, None] = {}
        for name in (role_stack_set(room), workshop_stack_set(room)):
            if name != role_stack_set(room) and stacksets.describe(cfn, name) is None:
                continue
            found.predeployed |= name == workshop_stack_set(room)
            summaries = [s for s in stacksets.instances(cfn, name) if s.get("Region") == region]
            found.instances[name] = summaries
            for s in summaries:
                accounts.setdefault(s["Account"])
                if s.get("OrganizationalUnitId"):
                    ous.setdefault(s["OrganizationalUnitId"])
        found.participants = [Participant(a, a) for a in sorted(accounts)]
        found.ou_ids = list(ous)
        return found
    return None


def find_shared(cfn, region: str, room: str, me: str) -> Room | None:
    """The room's shared-account form (its stack `<room>-participant`), or None."""
    from .. import stack

    shared = stack.describe(cfn, shared_stack(room))
    if shared is not None:
        tags = tags_of(shared.get("Tags"))
        if tags.get(ROOM_TAG) != room:
            return None
        prefixes = tags.get(PREFIXES_TAG, "").split()
        found = Room(room, "shared", region, tags.get(MODEL_TAG, config.DEFAULT_MODEL_ID), me,
                     participants=[Participant(p, me, p) for p in prefixes], hours=_hours(tags))
        found.predeployed = any(stack.describe(cfn, f"{p}-{stack.STACK_BASE_NAME}") is not None for p in prefixes[:1])
        return found
    return None


def require(region: str, room: str = DEFAULT_ROOM) -> Room:
    found = find(region, room)
    if found is None:
        raise SystemExit(_("No room {room} in {region}: no stack set {stack_set} and no stack {stack}. Provision it "
                           "first: python -m utils instructor provision ...").format(
            room=repr(room), region=region, stack_set=role_stack_set(room), stack=shared_stack(room)))
    return found
