"""IAM SimulatePrincipalPolicy, answered by the same evaluator that authorizes calls.

So a preflight check (`iam.simulate_principal_policy`) and the sandbox's own
authorization never disagree about the workshop's actions.
"""

from __future__ import annotations

import uuid
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from iampolicy import evaluator as policy

from . import authz, backends
from .errors import AwsError
from .server import AwsRequest, route

_DECISIONS = {True: "allowed"}


def _members(form: dict, prefix: str) -> list[str]:
    out, i = [], 1
    while f"{prefix}.member.{i}" in form:
        out.append(form[f"{prefix}.member.{i}"])
        i += 1
    return out


def _context_entries(form: dict) -> dict:
    ctx, i = {}, 1
    while f"ContextEntries.member.{i}.ContextKeyName" in form:
        base = f"ContextEntries.member.{i}"
        values = _members(form, f"{base}.ContextKeyValues")
        kind = form.get(f"{base}.ContextKeyType", "string")
        if kind == "boolean":
            parsed = [v.lower() == "true" for v in values]
        else:
            parsed = values
        ctx[form[f"{base}.ContextKeyName"]] = parsed if kind.endswith("List") or len(parsed) != 1 else parsed[0]
        i += 1
    return ctx


def _source_policies(source_arn: str):
    """(principal facts, identity policies or None for the unrestricted administrator)."""
    if ":role/" in source_arn:
        name = source_arn.split("/")[-1]
        try:
            backends.iam().get_role(name)
        except Exception:  # moto raises its own IAMNotFoundException
            raise AwsError("NoSuchEntity", f"The role with name {name} cannot be found.", 404) from None
        return authz.role_policies(name)
    if ":user/" in source_arn and ":sts::" not in source_arn:
        name = source_arn.split("/")[-1]
        try:
            backends.iam().get_user(name)
        except Exception:  # moto raises its own IAMNotFoundException
            raise AwsError("NoSuchEntity", f"The user with name {name} cannot be found.", 404) from None
        return authz.current_user_policies(name)
    return None


@route(service="iam", action="SimulatePrincipalPolicy")
def simulate_principal_policy(req: AwsRequest):
    form = req.form
    source = form.get("PolicySourceArn")
    if not source:
        raise AwsError("ValidationError", "1 validation error detected: Value null at 'policySourceArn' failed to "
                       "satisfy constraint: Member must not be null")
    actions = _members(form, "ActionNames")
    resources = _members(form, "ResourceArns") or ["*"]
    context = _context_entries(form)
    identity = _source_policies(source)
    extra = [(f"PolicyInputList.{i + 1}", p) for i, p in enumerate(_members(form, "PolicyInputList"))]
    results = []
    for action in actions:
        for resource in resources:
            if identity is None and not extra:
                decision, matched = "allowed", []
            else:
                rc = policy.RequestContext(
                    action=action, resource=resource, principal_arn=source,
                    principal_account=backends.ACCOUNT_ID,
                    role_arn=source if ":role/" in source else None, context=dict(context),
                )
                try:
                    d = policy.evaluate(rc, list(identity or []) + extra, None)
                except policy.PolicyError as exc:
                    raise AwsError("MalformedPolicyDocument", str(exc)) from exc
                if d.allowed:
                    decision = "allowed"
                elif d.reason.startswith("explicit_deny"):
                    decision = "explicitDeny"
                else:
                    decision = "implicitDeny"
                matched = d.identity.matches if d.identity else []
            results.append((action, resource, decision, matched))
    members = []
    for action, resource, decision, matched in results:
        statements = "".join(
            f"<member><SourcePolicyId>{escape(m.policy_name)}</SourcePolicyId>"
            f"<SourcePolicyType>{'IAM Policy' if m.policy_name.startswith('arn:') else 'role'}</SourcePolicyType>"
            f"</member>"
            for m in matched
        )
        members.append(
            f"<member><EvalActionName>{escape(action)}</EvalActionName>"
            f"<EvalResourceName>{escape(resource)}</EvalResourceName>"
            f"<EvalDecision>{decision}</EvalDecision>"
            f"<MatchedStatements>{statements}</MatchedStatements><MissingContextValues/></member>"
        )
    xml = (
        '<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        "<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>"
        f"<EvaluationResults>{''.join(members)}</EvaluationResults></SimulatePrincipalPolicyResult>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</SimulatePrincipalPolicyResponse>"
    )
    return Response(xml, status=200, mimetype="text/xml")
