"""AWS Organizations in the sandbox: moto's organizations backend, completed where the workshop needs it.

moto 5.2.1 already models the organization, roots, OUs, accounts, policies and trusted
access. It creates `OrganizationAccountAccessRole` in a new account, trusting the
management account, but with no permissions. This module adds what AWS does besides:

- CreateAccount: the role (or the `RoleName` given) has administrator permissions in the
  new account ("CreateAccount", AWS Organizations API Reference: "The role has administrator
  permissions in the new member account"): the AWS managed policy AdministratorAccess.
- CreateOrganizationalUnit: when service control policies are enabled, AWS attaches
  FullAWSAccess to every new OU ("Service control policies", AWS Organizations User Guide).
- Membership changes (CreateAccount, MoveAccount, RemoveAccountFromOrganization, CloseAccount)
  are announced to listeners, so StackSets' automatic deployment can act (sandbox/stacksets).
- `scps_for(account)`: the SCPs in force for an account, level by level (root, each OU down
  to the account's parent, the account), for Bedrock authorization (sandbox/authz.py).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from . import backends
from .errors import AwsError
from .server import DEFERRED_PATCHES, AwsRequest, route

ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
SCP = "SERVICE_CONTROL_POLICY"

# Called as listener(management_account, member_account, old_parent_id, new_parent_id) after an account joins
# (old None), moves, or leaves (new None) an organization.
MEMBERSHIP_LISTENERS: list[Callable[[str, str, str | None, str | None], None]] = []

_applied = False
_lock = threading.Lock()


def _notify(management: str, account: str, old: str | None, new: str | None) -> None:
    for listener in list(MEMBERSHIP_LISTENERS):
        listener(management, account, old, new)


def apply() -> None:
    """Patch moto's organizations backend once (idempotent, thread-safe)."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.organizations import models

        backend_cls = models.OrganizationsBackend
        original_create_account = backend_cls.create_account
        original_create_ou = backend_cls.create_organizational_unit
        original_move = backend_cls.move_account
        original_remove = backend_cls.remove_account_from_organization
        original_close = backend_cls.close_account
        original_enable_policy_type = backend_cls.enable_policy_type

        def create_account(self, **kwargs):
            status = original_create_account(self, **kwargs)
            account_id = status["CreateAccountStatus"]["AccountId"]
            role_name = kwargs.get("RoleName") or "OrganizationAccountAccessRole"
            iam = backends.iam(account_id)
            try:
                iam.attach_role_policy(ADMIN_POLICY_ARN, role_name)
            except Exception:  # noqa: BLE001 - the managed policy set is not loaded: grant the same inline
                iam.put_role_policy(role_name, "AdministratorAccess", json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
            _notify(self.account_id, account_id, None, self.org.root_id)
            return status

        def create_organizational_unit(self, **kwargs):
            result = original_create_ou(self, **kwargs)
            root = next((ou for ou in self.ou if isinstance(ou, models.FakeRoot)), None)
            if root is not None and any(t["Type"] == SCP for t in root.policy_types):
                self.attach_policy(PolicyId=models.utils.DEFAULT_SCP_POLICY_ID,
                                   TargetId=result["OrganizationalUnit"]["Id"])
            return result

        # Each wrapper lets moto's method check the request first (AWSOrganizationsNotInUseException before
        # AccountNotFoundException, ...), then tells the listeners where the account was.
        def parent_of(self, account_id: str) -> str | None:
            return next((a.parent_id for a in self.accounts if a.id == account_id), None)

        def move_account(self, **kwargs):
            old = parent_of(self, kwargs["AccountId"])
            original_move(self, **kwargs)
            new = parent_of(self, kwargs["AccountId"])
            if new != old:
                _notify(self.account_id, kwargs["AccountId"], old, new)

        def remove_account_from_organization(self, **kwargs):
            old = parent_of(self, kwargs["AccountId"])
            original_remove(self, **kwargs)
            _notify(self.account_id, kwargs["AccountId"], old, None)

        def close_account(self, **kwargs):
            old = parent_of(self, kwargs["AccountId"])
            original_close(self, **kwargs)
            _notify(self.account_id, kwargs["AccountId"], old, None)

        def enable_policy_type(self, **kwargs):
            result = original_enable_policy_type(self, **kwargs)
            if kwargs.get("PolicyType") == SCP:  # FullAWSAccess on every OU too, as on AWS
                for ou in self.ou:
                    self.attach_policy(PolicyId=models.utils.DEFAULT_SCP_POLICY_ID, TargetId=ou.id)
            return result

        backend_cls.create_account = create_account
        backend_cls.enable_policy_type = enable_policy_type
        backend_cls.create_organizational_unit = create_organizational_unit
        backend_cls.move_account = move_account
        backend_cls.remove_account_from_organization = remove_account_from_organization
        backend_cls.close_account = close_account
        _applied = True


DEFERRED_PATCHES.append(apply)


@route(service="organizations", observe=True)
def _patch_first(req: AwsRequest):
    apply()
    return None  # moto answers, now patched


@route(service="organizations", target="AWSOrganizationsV20161128.AttachPolicy")
def _attach_policy(req: AwsRequest):
    """AttachPolicy of an SCP needs the policy type enabled in the root (PolicyTypeNotEnabledException)."""
    backend = backends.organizations()
    if backend.org is None:
        return None  # moto answers AWSOrganizationsNotInUseException
    policy = next((p for p in backend.policies if p.id == req.json().get("PolicyId")), None)
    if policy is not None and policy.type == SCP and not scps_enabled(backend):
        raise AwsError("PolicyTypeNotEnabledException",
                       "This operation can be performed only for enabled policy types.")
    return None


# ---------------------------------------------------------------- reading the organization


def management_backend(account: str):
    """The organizations backend of the organization `account` belongs to, or None."""
    from moto.organizations.models import organizations_backends

    own = dict.get(organizations_backends, account)
    own = dict.get(own, "aws") if own is not None else None
    if own is not None and own.org is not None:
        return own
    master = organizations_backends.master_accounts.get(account)
    if master is None:
        return None
    backend = organizations_backends[master[0]]["aws"]
    return backend if backend.org is not None else None


def parent_chain(backend, target_id: str) -> list[str]:
    """IDs from the root down to the direct parent of `target_id` (an account or OU ID)."""
    parents = {ou.id: ou.parent_id for ou in backend.ou}
    parent = next((a.parent_id for a in backend.accounts if a.id == target_id), None)
    if parent is None:
        parent = parents.get(target_id)
    chain: list[str] = []
    while parent:
        chain.append(parent)
        parent = parents.get(parent)
    return list(reversed(chain))


def accounts_under(backend, ou_id: str) -> list[str]:
    """Active accounts in `ou_id` and in every OU nested under it."""
    ous = {ou_id}
    changed = True
    while changed:
        changed = False
        for ou in backend.ou:
            if ou.parent_id in ous and ou.id not in ous:
                ous.add(ou.id)
                changed = True
    return [a.id for a in backend.accounts if a.parent_id in ous and a.status == "ACTIVE"]


def scps_enabled(backend) -> bool:
    root = next((ou for ou in backend.ou if ou.id == backend.org.root_id), None)
    return root is not None and any(t.get("Type") == SCP and t.get("Status") == "ENABLED"
                                    for t in getattr(root, "policy_types", []))


def scps_for(account: str) -> list[list[tuple[str, dict | str]]] | None:
    """The service control policies that apply to `account`, one list per level (root, OUs, account).

    None when the account is in no organization, is the management account (SCPs never
    affect it: "Service control policies", AWS Organizations User Guide), or SCPs are not
    enabled in the root. Each level's policies are (name, document); AWS allows a request only
    if every level allows it, and denies it if any policy denies it.
    """
    backend = management_backend(account)
    if backend is None or account == backend.org.master_account_id or not scps_enabled(backend):
        return None
    levels: list[list[tuple[str, dict | str]]] = []
    targets = {ou.id: ou for ou in backend.ou}
    member = next((a for a in backend.accounts if a.id == account), None)
    if member is None:
        return None
    for target in [targets[t] for t in parent_chain(backend, account) if t in targets] + [member]:
        docs = []
        for p in target.attached_policies:
            if p.type != SCP:
                continue
            try:
                docs.append((p.name, json.loads(p.content)))
            except (TypeError, ValueError):
                docs.append((p.name, p.content))  # the evaluator reports it and the request is denied
        levels.append(docs)
    return levels
