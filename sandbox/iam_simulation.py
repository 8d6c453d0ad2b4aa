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

The answer has the shape AWS sends, as recorded (LocalStack's test_iam.snapshot.json,
"test_simulate_principle_policy[role|group|user]", 2025-04-21): each EvaluationResult has
EvalActionName, EvalResourceName, EvalDecision, EvalDecisionDetails (empty: it is "populated for only
cross-account simulations"), MatchedStatements, MissingContextValues, OrganizationsDecisionDetail when the
account is in an organization, PermissionsBoundaryDecisionDetail when a boundary applies, and
ResourceSpecificResults (EvalResourceName, EvalResourceDecision, MatchedStatements, MissingContextValues).
Each matched statement is located in its policy's text: SourcePolicyId (the policy's name),
SourcePolicyType ("IAM Policy" for a managed policy, as recorded; the entity type, "role", "user" or
"group", for an inline one), StartPosition and EndPosition {Line, Column}. The recorded positions of a
one-line policy (statement "{" at column 40 and "}" at column 112, counted from 1) are Column 41 and
Column 113: each one column past the brace. This module counts the same way; the recording has no
multi-line policy, so how AWS counts lines and columns there is not verified. Each (action, resource) pair is one
EvaluationResult, with that one resource in ResourceSpecificResults.
"""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

from moto.iam.exceptions import IAMException
from werkzeug.wrappers import Response

from iampolicy import evaluator as policy

from . import authz, backends, organizations
from .errors import AwsError
from .server import AwsRequest, query_members, route


def _context_entries(form: dict) -> dict:
    ctx, i = {}, 1
    while f"ContextEntries.member.{i}.ContextKeyName" in form:
        base = f"ContextEntries.member.{i}"
        values = query_members(form, f"{base}.ContextKeyValues")
        kind = form.get(f"{base}.ContextKeyType", "string")
        if kind == "boolean":
            parsed = [v.lower() == "true" for v in values]
        else:
            parsed = values
        ctx[form[f"{base}.ContextKeyName"]] = parsed if kind.endswith("List") or len(parsed) != 1 else parsed[0]
        i += 1
    return ctx


def _entity(get, kind: str, name: str):
    """The IAM role, user or group `name`, or IAM's NoSuchEntity for it."""
    try:
        return get(name)
    except IAMException:
        raise AwsError("NoSuchEntity", f"The {kind} with name {name} cannot be found.", 404) from None


def _source_policies(source_arn: str):
    """(identity policies or None for the unrestricted administrator, permissions boundary or None,
    {policy name: (SourcePolicyId, SourcePolicyType, text)})."""
    iam = backends.iam()
    if ":role/" in source_arn:
        name = source_arn.split("/")[-1]
        role = _entity(iam.get_role, "role", name)
        try:
            boundary = authz.role_boundary(name)
        except authz.BoundaryNotFound as exc:
            raise AwsError("NoSuchEntity", f"{exc}.", 404) from None
        return authz.role_policies(name), boundary, _texts(role, "role")
    if ":user/" in source_arn and ":sts::" not in source_arn:
        name = source_arn.split("/")[-1]
        user = _entity(iam.get_user, "user", name)
        texts = _texts(user, "user")
        for group in iam.get_groups_for_user(name):
            texts.update(_texts(group, "group"))
        return authz.current_user_policies(name), None, texts
    if ":group/" in source_arn:
        name = source_arn.split("/")[-1]
        group = _entity(iam.get_group, "group", name)
        texts = _texts(group, "group")
        docs = [(n, json.loads(t)) for n, (_, _, t) in texts.items()]
        return docs, None, texts
    return None, None, {}


def _texts(entity, kind: str) -> dict[str, tuple[str, str, str]]:
    """{name the evaluator reports: (SourcePolicyId, SourcePolicyType, policy text)} of an IAM entity."""

    out = {name: (name, kind, _text(text)) for name, text in entity.policies.items()}
    for arn, managed in entity.managed_policies.items():
        out[arn] = (managed.name, "IAM Policy", _text(authz._managed_document(managed)))
    return out


def _text(document) -> str:
    from urllib.parse import unquote

    if isinstance(document, (dict, list)):
        return json.dumps(document)
    text = str(document)
    return unquote(text) if text.lstrip().startswith("%7B") else text


def statement_spans(text: str) -> list[tuple[int, int]]:
    """(offset of "{", offset of "}") of each statement of a JSON policy text, in order; [] when it is not
    a JSON object."""
    decoder = json.JSONDecoder()
    ws = " \t\r\n"

    def skip(i: int) -> int:
        while i < len(text) and text[i] in ws:
            i += 1
        return i

    try:
        i = skip(0)
        if text[i] != "{":
            return []
        i = skip(i + 1)
        while i < len(text) and text[i] != "}":
            key, i = decoder.raw_decode(text, i)
            i = skip(skip(i) + 1)  # past ":"
            if key == "Statement" and text[i] == "[":
                spans, j = [], skip(i + 1)
                while text[j] != "]":
                    value, end = decoder.raw_decode(text, j)
                    if isinstance(value, dict):
                        spans.append((j, end - 1))
                    j = skip(end)
                    if text[j] == ",":
                        j = skip(j + 1)
                return spans
            value, end = decoder.raw_decode(text, i)
            if key == "Statement":
                return [(i, end - 1)] if isinstance(value, dict) else []
            i = skip(end)
            if text[i] == ",":
                i = skip(i + 1)
    except (ValueError, IndexError):
        return []
    return []


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """(line, column) of `offset`, both counted from 1."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _matched_xml(matches, texts: dict) -> str:
    out = ""
    for m in matches:
        source_id, kind, text = texts.get(m.policy_name, (m.policy_name, "IAM Policy", json.dumps(m.statement)))
        spans = statement_spans(text)
        if 1 <= m.index <= len(spans):
            start, end = spans[m.index - 1]
        else:  # the text in force no longer holds the statement (a change still propagating)
            text = json.dumps(m.statement)
            start, end = 0, len(text) - 1
        (start_line, start_col), (end_line, end_col) = _line_column(text, start), _line_column(text, end)
        out += (f"<member><SourcePolicyId>{escape(source_id)}</SourcePolicyId>"
                f"<SourcePolicyType>{escape(kind)}</SourcePolicyType>"
                f"<StartPosition><Line>{start_line}</Line><Column>{start_col + 1}</Column></StartPosition>"
                f"<EndPosition><Line>{end_line}</Line><Column>{end_col + 1}</Column></EndPosition></member>")
    return out


def _eval_decision(allowed: bool, explicit: bool) -> str:
    return "allowed" if allowed else ("explicitDeny" if explicit else "implicitDeny")


@route(service="iam", action="SimulatePrincipalPolicy")
def simulate_principal_policy(req: AwsRequest):
    form = req.form
    source = form.get("PolicySourceArn")
    if not source:
        raise AwsError("ValidationError", "1 validation error detected: Value null at 'policySourceArn' failed to "
                       "satisfy constraint: Member must not be null")
    actions = query_members(form, "ActionNames")
    resources = query_members(form, "ResourceArns") or ["*"]
    context = _context_entries(form)
    identity, boundary, texts = _source_policies(source)
    inputs = query_members(form, "PolicyInputList")
    extra = [(f"PolicyInputList.{i + 1}", p) for i, p in enumerate(inputs)]
    texts.update({f"PolicyInputList.{i + 1}": (f"PolicyInputList.{i + 1}", "IAM Policy", p)
                  for i, p in enumerate(inputs)})
    boundary_input = query_members(form, "PermissionsBoundaryPolicyInputList")
    if len(boundary_input) > 1:
        raise AwsError("ValidationError", "1 validation error detected: Value at "
                       "'permissionsBoundaryPolicyInputList' failed to satisfy constraint: Member must have length "
                       "less than or equal to 1")
    if boundary_input:  # "the new permissions boundary policy is used for the simulation"
        boundary = ("PermissionsBoundaryPolicyInputList.1", boundary_input[0])
    account = source.split(":")[4] or backends.ACCOUNT_ID
    scps = authz.scps_for(account) if identity is not None else None
    # "Only applies if the simulated user's account is part of an organization" (OrganizationsDecisionDetail)
    in_organization = identity is not None and organizations.management_backend(account) is not None
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
            by_orgs = (d.scp.decision == "Allow") if d.scp is not None else (True if in_organization else None)
            results.append((action, resource, decision, d.identity.matches, by_boundary, by_orgs))
    members = []
    for action, resource, decision, matched, by_boundary, by_orgs in results:
        statements = _matched_xml(matched, texts)
        boundary_xml = "" if by_boundary is None else (
            "<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>"
            f"{'true' if by_boundary else 'false'}</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>")
        orgs_xml = "" if by_orgs is None else (
            "<OrganizationsDecisionDetail><AllowedByOrganizations>"
            f"{'true' if by_orgs else 'false'}</AllowedByOrganizations></OrganizationsDecisionDetail>")
        specific = (f"<member><EvalResourceName>{escape(resource)}</EvalResourceName>"
                    f"<EvalResourceDecision>{decision}</EvalResourceDecision>"
                    f"<MatchedStatements>{statements}</MatchedStatements><MissingContextValues/>"
                    f"{boundary_xml}</member>")
        members.append(
            f"<member><EvalActionName>{escape(action)}</EvalActionName>"
            f"<EvalResourceName>{escape(resource)}</EvalResourceName>"
            f"<EvalDecision>{decision}</EvalDecision>"
            f"<MatchedStatements>{statements}</MatchedStatements><MissingContextValues/>"
            f"{orgs_xml}{boundary_xml}<EvalDecisionDetails/>"
            f"<ResourceSpecificResults>{specific}</ResourceSpecificResults></member>"
        )
    xml = (
        '<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        "<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>"
        f"<EvaluationResults>{''.join(members)}</EvaluationResults></SimulatePrincipalPolicyResult>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</SimulatePrincipalPolicyResponse>"
    )
    return Response(xml, status=200, mimetype="text/xml")
