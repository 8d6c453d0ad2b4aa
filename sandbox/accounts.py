"""Several accounts: AssumeRole checks the role's trust policy, as AWS STS does.

moto's AssumeRole hands out credentials for any role ARN, existing or not, in any account.
AWS ("AssumeRole", AWS STS API Reference; "How to use trust policies with IAM roles", AWS
Security Blog; "Troubleshoot IAM roles", IAM User Guide) requires:

- the role exists, and its trust policy (a resource-based policy) allows the caller to
  perform sts:AssumeRole, with no explicit Deny;
- the caller's own identity-based policies allow sts:AssumeRole on the role, unless the
  trust policy names the caller itself (role trust policies are an exception to the
  same-account rule only when they name the principal, not the account).

Otherwise AWS answers AccessDenied, "User: <caller ARN> is not authorized to perform:
sts:AssumeRole on resource: <role ARN>", without telling a missing role from a refusal.
The trust policy is evaluated with the `iampolicy` evaluator.

The request's account (backends.current_account) is set by the server from the access key.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from iampolicy import evaluator as policy

from . import backends, context_keys
from .errors import AwsError
from .identity import Principal, principal_for
from .server import AwsRequest, query_members, route

_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)$")


def _denied(principal: Principal, role_arn: str, action: str = "sts:AssumeRole") -> AwsError:
    return AwsError("AccessDenied", f"User: {principal.arn} is not authorized to perform: {action} on "
                                    f"resource: {role_arn}", 403)


def _trust_document(role) -> dict | str:
    """The role's trust policy, each statement scoped to the role itself.

    A trust policy has no Resource element: the resource is the role it is attached to ("IAM
    JSON policy elements: Resource"). The evaluator wants one, so the role's ARN is added.
    """
    text = role.assume_role_policy_document
    if isinstance(text, str) and text.startswith("%7B"):
        text = unquote(text)
    try:
        doc = json.loads(text) if isinstance(text, str) else json.loads(json.dumps(text))
    except (TypeError, ValueError):
        return text  # the evaluator reports it; the caller is refused
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    for st in [statements] if isinstance(statements, dict) else statements or []:
        if isinstance(st, dict) and "Resource" not in st and "NotResource" not in st:
            st["Resource"] = role.arn
    return doc


def _names_caller(statement: dict, principal: Principal) -> bool:
    """Whether an Allow statement's Principal names the caller itself (not only its account)."""
    values = (statement.get("Principal") or {})
    values = values.get("AWS", []) if isinstance(values, dict) else values
    values = [values] if isinstance(values, str) else values
    return any(v in (principal.arn, principal.role_arn) for v in values if v)


_ALLOW_ALL = [("(the trust policy's Allow)", {"Version": "2012-10-17",
                                              "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})]


def check_assume_role(principal: Principal, role_arn: str, context: dict | None = None,
                      tags: dict[str, str] | None = None) -> None:
    """Raise AccessDenied unless `principal` may assume `role_arn` (and pass the session tags `tags`)."""
    m = _ROLE_ARN.match(role_arn or "")
    if not m:
        raise AwsError("ValidationError", f"{role_arn} is invalid", 400)
    account, name = m.group(1), m.group(2)
    try:
        role = backends.iam(account).get_role(name)
    except Exception:  # moto raises its own NoSuchEntity: AWS does not say the role is missing
        raise _denied(principal, role_arn) from None
    if role.arn != role_arn:  # the same name under another path is another role
        raise _denied(principal, role_arn)
    rc = policy.RequestContext(action="sts:AssumeRole", resource=role_arn, principal_arn=principal.arn,
                               principal_account=principal.account, role_arn=principal.role_arn,
                               context=dict(context or {}))
    try:
        trust = policy.evaluate_policy(_trust_document(role), rc, name="trust policy", kind="resource")
    except policy.PolicyError:
        raise _denied(principal, role_arn) from None
    if trust.decision != "Allow":
        raise _denied(principal, role_arn)
    if tags:
        # "Permissions required to add session tags" (IAM User Guide, "Pass session tags in AWS STS"): the role's
        # trust policy must also allow sts:TagSession, with the request's tags as aws:RequestTag/<key> and
        # aws:TagKeys; otherwise AssumeRole is refused.
        tag_rc = policy.RequestContext(
            action="sts:TagSession", resource=role_arn, principal_arn=principal.arn,
            principal_account=principal.account, role_arn=principal.role_arn,
            context={**(context or {}), "aws:TagKeys": list(tags),
                     **{f"aws:RequestTag/{k}": v for k, v in tags.items()}})
        try:
            tagging = policy.evaluate_policy(_trust_document(role), tag_rc, name="trust policy", kind="resource")
        except policy.PolicyError:
            raise _denied(principal, role_arn) from None
        if tagging.decision != "Allow":
            raise _denied(principal, role_arn, "sts:TagSession")
    if principal.kind == "admin":
        return  # the sandbox's administrator is not limited by IAM
    from . import authz

    if principal.account == account and any(_names_caller(m.statement, principal) for m in trust.matches
                                             if m.effect == "Allow"):
        # The trust policy names the caller: no identity-based Allow is needed, but the SCPs of the caller's
        # account still limit it (SCPs limit the IAM users and roles of member accounts: "Service control
        # policies (SCPs)", AWS Organizations User Guide).
        scps = authz.scps_for(principal.account)
        if scps is None:
            return
        try:
            scp_only = policy.evaluate(rc, _ALLOW_ALL, None, scps=scps)
        except policy.PolicyError:
            raise _denied(principal, role_arn) from None
        if not scp_only.allowed:
            raise _denied(principal, role_arn)
        return

    identity = authz.identity_policies(principal)
    if identity is None:
        return
    try:  # the caller's own permission: identity policies, its boundary and its account's SCPs, as for any action
        decision = policy.evaluate(rc, identity, None, permissions_boundary=authz.boundary_for(principal),
                                   scps=authz.scps_for(principal.account))
    except (policy.PolicyError, authz.BoundaryNotFound):
        raise _denied(principal, role_arn) from None
    if not decision.allowed:
        raise _denied(principal, role_arn)


def check_role_arn(role_arn: str) -> None:
    """A RoleArn that is not an ARN (arn:partition:service:region:account:resource, with partition, service and
    resource present): ValidationError "<value> is invalid", before any authorization (recorded from AWS:
    LocalStack test_sts.snapshot.json, test_sts_invalid_parameters, 2025-07-21)."""
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
        raise AwsError("ValidationError", f"{role_arn} is invalid")


def check_session_tags(form: dict) -> None:
    """Session tags (AssumeRole "Tags", "TransitiveTagKeys"): InvalidParameterValue for keys that repeat, case
    ignored, and for a transitive key that is not one of the tags (recorded from AWS: LocalStack
    test_sts.snapshot.json, test_assume_role_tag_validation, 2025-04-10)."""
    keys, i = [], 1
    while f"Tags.member.{i}.Key" in form:
        keys.append(form[f"Tags.member.{i}.Key"])
        i += 1
    lowered = [k.lower() for k in keys]
    if len(set(lowered)) != len(lowered):
        raise AwsError("InvalidParameterValue",
                       "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    if any(t.lower() not in lowered for t in query_members(form, "TransitiveTagKeys")):
        raise AwsError("InvalidParameterValue",
                       "The specified transitive tag key must be included in the requested tags.")


@route(service="sts", action="AssumeRole")
def _assume_role(req: AwsRequest):
    check_role_arn(req.form.get("RoleArn", ""))
    check_session_tags(req.form)
    principal = principal_for(req.access_key)
    context = context_keys.request_keys(principal, req.region, source_ip=req.environ.get("REMOTE_ADDR"))
    tags, i = {}, 1
    while f"Tags.member.{i}.Key" in req.form:
        tags[req.form[f"Tags.member.{i}.Key"]] = req.form.get(f"Tags.member.{i}.Value", "")
        i += 1
    check_assume_role(principal, req.form.get("RoleArn", ""), context, tags)
    return None  # moto mints the credentials in the role's account


def _assume_role_answer(self):
    """PackedPolicySize only when the request passes session policies or tags, whose packed size it reports
    (AWS STS API Reference, "AssumeRole"; recorded without them: test_sts.snapshot.json "assume-role").
    moto 5.2.1 always answers 6."""
    result = _MOTO_ASSUME_ROLE(self)
    if not self._get_param("Policy") and not any(k.startswith(("PolicyArns.", "Tags.")) for k in self.querystring):
        result.result.pop("PackedPolicySize", None)
    return result


def _patch_moto_sts() -> None:
    global _MOTO_ASSUME_ROLE
    from moto.sts.responses import TokenResponse

    if TokenResponse.assume_role is not _assume_role_answer:
        _MOTO_ASSUME_ROLE = TokenResponse.assume_role
        TokenResponse.assume_role = _assume_role_answer


_MOTO_ASSUME_ROLE = None
_patch_moto_sts()
