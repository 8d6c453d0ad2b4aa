"""IAM SimulatePrincipalPolicy, answered by the same evaluator that authorizes calls.

So a preflight check (`iam.simulate_principal_policy`) and the sandbox's own
authorization never disagree about the workshop's actions.

As the IAM API reference documents it ("SimulatePrincipalPolicy", "EvaluationResult",
"PermissionsBoundaryDecisionDetail", "OrganizationsDecisionDetail"):
- the entity's identity-based policies, plus any `PolicyInputList` documents;
- the entity's permissions boundary, or the one given in `PermissionsBoundaryPolicyInputList`,
  which replaces it for the simulation; each result then carries
  `PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary`;
- the SCPs of the entity's account when it is in an organization (`authz.scps_for`), with
  `OrganizationsDecisionDetail.AllowedByOrganizations`;
- `ContextEntries` (aws:SourceVpce, aws:SourceVpc, ...) as the request context.
"""

from __future__ import annotations

import uuid
from xml.sax.saxutils import escape

from moto.iam.exceptions import IAMException
from werkzeug.wrappers import Response

from iampolicy import evaluator as policy

from . import authz, backends
from .errors import AwsError
from .server import AwsRequest, route


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
    """(identity policies or None for the unrestricted administrator, permissions boundary or None)."""
    if ":role/" in source_arn:
        name = source_arn.split("/")[-1]
        try:
            backends.iam().get_role(name)
        except IAMException:
            raise AwsError("NoSuchEntity", f"The role with name {name} cannot be found.", 404) from None
        try:
            boundary = authz.role_boundary(name)
        except authz.BoundaryNotFound as exc:
            raise AwsError("NoSuchEntity", f"{exc}.", 404) from None
        return authz.role_policies(name), boundary
    if ":user/" in source_arn and ":sts::" not in source_arn:
        name = source_arn.split("/")[-1]
        try:
            backends.iam().get_user(name)
        except IAMException:
            raise AwsError("NoSuchEntity", f"The user with name {name} cannot be found.", 404) from None
        return authz.current_user_policies(name), None
    return None, None


def _eval_decision(allowed: bool, explicit: bool) -> str:
    return "allowed" if allowed else ("explicitDeny" if explicit else "implicitDeny")


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
    identity, boundary = _source_policies(source)
    extra = [(f"PolicyInputList.{i + 1}", p) for i, p in enumerate(_members(form, "PolicyInputList"))]
    boundary_input = _members(form, "PermissionsBoundaryPolicyInputList")
    if len(boundary_input) > 1:
        raise AwsError("ValidationError", "1 validation error detected: Value at "
                       "'permissionsBoundaryPolicyInputList' failed to satisfy constraint: Member must have length "
                       "less than or equal to 1")
    if boundary_input:  # "the new permissions boundary policy is used for the simulation"
        boundary = ("PermissionsBoundaryPolicyInputList.1", boundary_input[0])
    account = source.split(":")[4] or backends.ACCOUNT_ID
    scps = authz.scps_for(account) if identity is not None else None
    results = []
    for action in actions:
        for resource in resources:
            if identity is None and not extra:
                results.append((action, resource, "allowed", [], None, None))
                continue
            rc = policy.RequestContext(
                action=action, resource=resource, principal_arn=source,
                principal_account=account,
                role_arn=source if ":role/" in source else None, context=dict(context),
            )
            try:
                d = policy.evaluate(rc, list(identity or []) + extra, None, permissions_boundary=boundary,
                                    scps=scps)
            except policy.PolicyError as exc:
                raise AwsError("MalformedPolicyDocument", str(exc)) from exc
            decision = _eval_decision(d.allowed, d.reason.startswith("explicit_deny"))
            by_boundary = None if d.boundary is None else d.boundary.decision == "Allow"
            by_orgs = None if d.scp is None else d.scp.decision == "Allow"
            results.append((action, resource, decision, d.identity.matches, by_boundary, by_orgs))
    members = []
    for action, resource, decision, matched, by_boundary, by_orgs in results:
        statements = "".join(
            f"<member><SourcePolicyId>{escape(m.policy_name)}</SourcePolicyId>"
            f"<SourcePolicyType>{'IAM Policy' if m.policy_name.startswith('arn:') else 'role'}</SourcePolicyType>"
            f"</member>"
            for m in matched
        )
        details = ""
        if by_boundary is not None:
            details += ("<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>"
                        f"{'true' if by_boundary else 'false'}</AllowedByPermissionsBoundary>"
                        "</PermissionsBoundaryDecisionDetail>")
        if by_orgs is not None:
            details += ("<OrganizationsDecisionDetail><AllowedByOrganizations>"
                        f"{'true' if by_orgs else 'false'}</AllowedByOrganizations></OrganizationsDecisionDetail>")
        members.append(
            f"<member><EvalActionName>{escape(action)}</EvalActionName>"
            f"<EvalResourceName>{escape(resource)}</EvalResourceName>"
            f"<EvalDecision>{decision}</EvalDecision>"
            f"<MatchedStatements>{statements}</MatchedStatements><MissingContextValues/>{details}</member>"
        )
    xml = (
        '<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        "<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>"
        f"<EvaluationResults>{''.join(members)}</EvaluationResults></SimulatePrincipalPolicyResult>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</SimulatePrincipalPolicyResponse>"
    )
    return Response(xml, status=200, mimetype="text/xml")
