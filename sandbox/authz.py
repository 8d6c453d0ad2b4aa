"""Authorization of Amazon Bedrock calls, as AWS evaluates them.

For each request the sandbox builds the request context as AWS does (the global condition keys,
from sandbox.context_keys: principal, organization, region, time, transport, and — only for calls that
arrive through an interface endpoint — the endpoint and VPC), gathers the policies that apply (the
caller's identity policies, the role's permissions boundary when it has one, the service control policies of its account
when it is in an organization, and the endpoint's policy when the call came through one)
and evaluates them with the pure evaluator in `iampolicy`. A denial is an
AccessDeniedException worded as AWS words it ("Troubleshoot access denied error messages",
IAM User Guide).

Nothing fails open: a policy the evaluator cannot read, or any other failure while
authorizing, denies the call and is logged with its cause.

Policy changes take effect at once by default. With a propagation delay set
(`policy_propagation_seconds`, or `timing_scale`), a change that arrives through the API
is only seen after the delay: until then the previous documents stay in force.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from urllib.parse import unquote

from moto.iam.exceptions import IAMException

from iampolicy import evaluator as policy

from . import backends, context_keys, network, organizations
from .errors import AwsError
from .identity import Principal, principal_for
from .server import RESET_HOOKS, AwsRequest, route
from .settings import SETTINGS

log = logging.getLogger("sandbox.authz")

# ---------------------------------------------------------------- policy documents in force


def _doc(text) -> dict | str:
    if isinstance(text, dict):
        return text
    text = unquote(text) if isinstance(text, str) and text.startswith("%7B") else text
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text  # let the evaluator report it


def _managed_document(managed) -> str:
    for version in managed.versions:
        if version.is_default or version.version_id == managed.default_version_id:
            return version.document
    return managed.versions[-1].document


def current_role_policies(role_name: str) -> list[tuple[str, dict]]:
    """The role's inline and attached managed policies, as (name, document). A role that does not exist
    has none (every request it makes is implicitly denied)."""
    iam = backends.iam()
    try:
        role = iam.get_role(role_name)
    except IAMException:
        return []
    docs = [(name, _doc(text)) for name, text in role.policies.items()]
    docs += [(arn, _doc(_managed_document(mp))) for arn, mp in role.managed_policies.items()]
    return docs


class BoundaryNotFound(LookupError):
    """The managed policy set as a permissions boundary does not exist: authorization must deny."""


def current_role_boundary(role_name: str) -> tuple[str, dict] | None:
    """The role's permissions boundary as (policy ARN, document), or None when it has none.

    A boundary is a managed policy ("Permissions boundaries for IAM entities", IAM User Guide); moto
    keeps only its ARN on the role, so the document is the policy's default version. (moto's users
    have no boundary, so only roles have one in the sandbox.)
    """
    iam = backends.iam()
    try:
        role = iam.get_role(role_name)
    except IAMException:
        return None
    arn = role.permissions_boundary_arn
    if not arn:
        return None
    try:
        managed = iam.get_policy(arn)
    except IAMException:
        raise BoundaryNotFound(f"the permissions boundary {arn} of role {role_name} does not exist") from None
    return (arn, _doc(_managed_document(managed)))


def scps_for(account: str) -> list[list[tuple[str, dict]]] | None:
    """The service control policies that govern `account`, root level first, each level a list of
    (name, document); None when the account is not in an organization or is its management account
    (which SCPs do not affect).

    The organization's structure is read from AWS Organizations in the sandbox (sandbox/organizations.py).
    """
    return organizations.scps_for(account)


def current_user_policies(user_name: str) -> list[tuple[str, dict]]:
    iam = backends.iam()
    try:
        user = iam.get_user(user_name)
    except IAMException:
        return []
    docs = [(name, _doc(text)) for name, text in user.policies.items()]
    docs += [(arn, _doc(_managed_document(mp))) for arn, mp in user.managed_policies.items()]
    for group in iam.get_groups_for_user(user_name):
        docs += [(name, _doc(text)) for name, text in group.policies.items()]
        docs += [(arn, _doc(_managed_document(mp))) for arn, mp in group.managed_policies.items()]
    return docs


def current_endpoint_policy(region: str, vpce_id: str) -> tuple[str, dict] | None:
    ep = backends.ec2(region).vpc_end_points.get(vpce_id)
    if ep is None:
        return None
    return (vpce_id, _doc(ep.policy_document))


# Snapshots of documents that a change replaced, kept while the change propagates:
# key (account, "role", name) or (account, "endpoint", region, vpce_id) -> (expires_at, documents)
_snapshots: dict[tuple, tuple[float, object]] = {}
_snap_lock = threading.Lock()


def _reset() -> None:
    with _snap_lock:
        _snapshots.clear()


RESET_HOOKS.append(_reset)


def _in_force(key: tuple, current):
    key = (backends.current_account(), *key)  # names are per account: a room has the same role in every one
    with _snap_lock:
        snap = _snapshots.get(key)
        if snap is None:
            return current
        expires, docs = snap
        if time.monotonic() >= expires:
            del _snapshots[key]
            return current
        return docs


def _snapshot(key: tuple, documents) -> None:
    key = (backends.current_account(), *key)
    delay = SETTINGS.delay("policy_propagation")
    if delay <= 0:
        return
    with _snap_lock:
        existing = _snapshots.get(key)
        if existing is not None and time.monotonic() < existing[0]:
            _snapshots[key] = (time.monotonic() + delay, existing[1])  # the oldest version stays in force
        else:
            _snapshots[key] = (time.monotonic() + delay, documents)


def role_policies(role_name: str):
    return _in_force(("role", role_name), current_role_policies(role_name))


def role_boundary(role_name: str):
    return _in_force(("boundary", role_name), current_role_boundary(role_name))


def endpoint_policy(region: str, vpce_id: str):
    return _in_force(("endpoint", region, vpce_id), current_endpoint_policy(region, vpce_id))


@route(service="iam", action="PutRolePolicy", observe=True)
@route(service="iam", action="DeleteRolePolicy", observe=True)
@route(service="iam", action="AttachRolePolicy", observe=True)
@route(service="iam", action="DetachRolePolicy", observe=True)
def _role_policy_change(req: AwsRequest):
    name = req.form.get("RoleName")
    if name:
        _snapshot(("role", name), current_role_policies(name))
    return None  # moto applies the change


@route(service="iam", action="PutRolePermissionsBoundary", observe=True)
@route(service="iam", action="DeleteRolePermissionsBoundary", observe=True)
def _role_boundary_change(req: AwsRequest):
    name = req.form.get("RoleName")
    if name:
        try:
            current = current_role_boundary(name)
        except BoundaryNotFound:
            current = None
        _snapshot(("boundary", name), current)
    return None


@route(service="ec2", action="ModifyVpcEndpoint", observe=True)
def _endpoint_policy_change(req: AwsRequest):
    vpce_id = req.form.get("VpcEndpointId")
    if vpce_id and ("PolicyDocument" in req.form or "ResetPolicy" in req.form):
        _snapshot(("endpoint", req.region, vpce_id), current_endpoint_policy(req.region, vpce_id))
    return None


# ---------------------------------------------------------------- evaluation


def request_context(req: AwsRequest, principal: Principal, via: dict | None) -> dict:
    """The request context of an API call: the global condition keys (sandbox.context_keys, the one builder)."""
    return context_keys.request_keys(principal, req.region, via=via, source_ip=req.environ.get("REMOTE_ADDR"))


def identity_policies(principal: Principal):
    if principal.kind == "assumed-role":
        return role_policies(principal.role_name)
    if principal.kind == "user":
        return _in_force(("user", principal.user_name), current_user_policies(principal.user_name))
    return None  # the sandbox's administrator: not limited by IAM


def boundary_for(principal: Principal) -> tuple[str, dict] | None:
    if principal.kind == "assumed-role":
        return role_boundary(principal.role_name)
    return None


_ADMIN_ALLOW = [("sandbox-administrator", {"Version": "2012-10-17",
                                           "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})]


def decide(principal: Principal, action: str, resource: str, ctx: dict, via: dict | None,
           region: str) -> policy.Decision | None:
    """The evaluator's decision for one resource, or None when the caller is not limited by IAM
    and no endpoint policy applies."""
    identity = identity_policies(principal)
    endpoint = endpoint_policy(region, via["vpce_id"]) if via and via.get("kind") == "vpce" else None
    if identity is None and endpoint is None:
        return None
    rc = policy.RequestContext(
        action=action, resource=resource, principal_arn=principal.arn, principal_account=principal.account,
        role_arn=principal.role_arn, context=ctx,
    )
    if identity is None:  # the administrator through an endpoint: only the endpoint policy limits it
        return policy.evaluate(rc, _ADMIN_ALLOW, endpoint)
    return policy.evaluate(rc, identity, endpoint, permissions_boundary=boundary_for(principal),
                           scps=scps_for(principal.account))


def _not_authorized(principal: Principal, action: str, resource: str, why: str) -> AwsError:
    return AwsError("AccessDeniedException",
                    f"User: {principal.arn} is not authorized to perform: {action} on resource: {resource} ({why})",
                    403)


def authorize(req: AwsRequest, action: str, resources: list[str], context: dict | None = None) -> Principal:
    """Authorize `action` on every resource, or raise AccessDeniedException as AWS words it.

    Fails closed: if the policies cannot be evaluated, for whatever reason, the call is denied and the
    cause is logged.
    """
    principal = principal_for(req.access_key)
    via = network.via(req)
    ctx = request_context(req, principal, via)
    if context:
        ctx.update(context)
    for resource in resources:
        try:
            decision = decide(principal, action, resource, ctx, via, req.region)
        except (policy.PolicyError, BoundaryNotFound) as exc:  # a stored policy the evaluator cannot use
            log.warning("denied %s on %s for %s: %s", action, resource, principal.arn, exc)
            raise _not_authorized(principal, action, resource, f"the sandbox cannot evaluate a policy: {exc}") \
                from exc
        except Exception as exc:  # noqa: BLE001 - any failure of authorization denies, never allows
            log.exception("authorization of %s on %s for %s failed; denying", action, resource, principal.arn)
            raise _not_authorized(principal, action, resource,
                                  f"the sandbox failed while authorizing the call: {exc!r}") from exc
        if decision is not None and not decision.allowed:
            message = policy.denial_message(principal.arn, action, resource, decision.reason)
            raise AwsError("AccessDeniedException", message, 403)
    return principal


def role_allows(role_arn: str, action: str, resource: str = "*", context: dict | None = None, *,
                region: str, session: str = "sandbox-check") -> bool:
    """Whether a session of the role, in `region`, may call `action` outside any endpoint: its identity policies,
    its permissions boundary and its account's SCPs, with the global keys of such a request
    (sandbox.context_keys) plus `context`. A policy that cannot be evaluated means no (logged)."""
    role_name = role_arn.split("/")[-1]
    account = role_arn.split(":")[4] or backends.ACCOUNT_ID
    ctx = context_keys.role_keys(role_arn, region, session)
    ctx.update(context or {})
    rc = policy.RequestContext(
        action=action, resource=resource, principal_arn=role_arn, principal_account=account,
        role_arn=role_arn, context=ctx,
    )
    try:
        return policy.evaluate(rc, role_policies(role_name), None, permissions_boundary=role_boundary(role_name),
                               scps=scps_for(account)).allowed
    except (policy.PolicyError, BoundaryNotFound) as exc:
        log.warning("%s is not allowed %s: %s", role_arn, action, exc)
        return False
