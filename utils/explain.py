"""Turn an AWS error into words a learner can act on: which link broke, and how to fix it.

It reads the error itself (code and message): AccessDenied messages say which policy
type decided and whether it was a missing Allow or an explicit Deny; timeouts point at
the network path; end-of-life models get a current alternative.

Given the workshop's configuration (`explain(error, cfg=cfg)`), it also looks at the live
state, as `python -m utils doctor` does (read-only):

- AccessDenied: it fetches the policy that decided (the role's inline and managed
  policies and its permissions boundary, or the endpoint policy), evaluates it for the
  denied request with the pure evaluator `iampolicy`, and names the statement and element
  that decided, e.g.
  "endpoint policy statement 1 (Effect Deny) matches bedrock:InvokeModel on arn:..." or
  "... allows bedrock:InvokeModel only when aws:sourceVpce = vpce-A, but the call came
  through vpce-B", or "no statement in permissions boundary B allows bedrock:InvokeModel".
  For a service control policy (which a member account cannot read) it reports what IAM's
  policy simulator says (AllowedByOrganizations).
- Timeouts: it walks the network path (function in the VPC, DNS, endpoint state, private
  DNS, AZs, security groups) and names the first broken link.
- End-of-life models: it lists the region's current models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lang import N_, _

_DENIED = re.compile(
    r"User: (?P<principal>\S+) is not authorized to perform: (?P<action>[\w:*-]+)"
    r"(?: on resource: (?P<resource>\S+))?"
    r"(?: (?:because no (?P<noallow>[\w\s-]+?) allows the [\w:*-]+ action"
    r"|with an explicit deny in (?:a|an) (?P<deny>[\w\s-]+?)))?\s*\.?\s*$",
    re.S,
)

POLICY_TYPES = {
    "identity-based policy": "identity",
    "VPC endpoint policy": "vpc-endpoint",
    "resource-based policy": "resource",
    "service control policy": "scp",
    "resource control policy": "rcp",
    "permissions boundary": "boundary",
    "session policy": "session",
}

# The labels of Explanation.facts: the keys stay English (callers read them), the display translates them.
FACT_LABELS = (N_("code"), N_("message"), N_("model"), N_("caller"), N_("action"), N_("resource"), N_("endpoint"),
               N_("live check"), N_("IAM policy simulator"), N_("decided by"), N_("now"), N_("network path"),
               N_("broken link"), N_("current models"), N_("host"), N_("addresses"))

TIMEOUT_CODES = {"ReadTimeoutError", "ConnectTimeoutError", "EndpointConnectionError", "ConnectTimeout",
                 "ReadTimeout", "ConnectionError", "TimeoutError", "Timeout", "Sandbox.Timedout"}


@dataclass(repr=False)
class Explanation:
    title: str
    meaning: str
    fix: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [self.title, "", self.meaning]
        if self.facts:
            lines.append("")
            lines += [f"  {_(k)}: {v}" for k, v in self.facts.items()]
        if self.fix:
            lines += ["", _("What to do:")] + [f"  - {step}" for step in self.fix]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        parts = [f"**{self.title}**", "", self.meaning]
        if self.facts:
            parts += ["", *[f"- {_(k)}: `{v}`" for k, v in self.facts.items()]]
        if self.fix:
            parts += ["", _("**What to do**"), "", *[f"1. {step}" for step in self.fix]]
        return "\n".join(parts)


@dataclass
class Denial:
    principal: str
    action: str
    resource: str | None
    policy_type: str | None  # key of POLICY_TYPES values: "identity", "vpc-endpoint", ...
    policy_type_text: str | None
    kind: str  # "no-allow", "explicit-deny" or "unknown"


def parse_access_denied(message: str) -> Denial | None:
    """The parts of an AWS AccessDenied message, or None when it has another shape."""
    m = _DENIED.search(message or "")
    if not m:
        return None
    text = m.group("noallow") or m.group("deny")
    kind = "no-allow" if m.group("noallow") else "explicit-deny" if m.group("deny") else "unknown"
    return Denial(m.group("principal"), m.group("action"), m.group("resource"),
                  POLICY_TYPES.get(text or "", "other" if text else None), text, kind)


def _code_and_message(error) -> tuple[str, str]:
    if isinstance(error, dict):
        inner = error.get("error", error)
        return str(inner.get("code") or inner.get("errorType") or ""), str(
            inner.get("message") or inner.get("errorMessage") or "")
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        return str(response["Error"].get("Code", "")), str(response["Error"].get("Message", ""))
    if isinstance(error, BaseException):
        return type(error).__name__, str(error)
    return "", str(error)


def explain(error, *, endpoint_id: str | None = None, role_arn: str | None = None,
            model_id: str | None = None, cfg=None, client=None, state: dict | None = None) -> Explanation:
    """An `Explanation` for a ClientError, an exception, the function's {"code", "message"}, or a message.

    With `cfg` (a WorkshopConfig) the live state is read too (`client(service, region)` builds the clients,
    default `utils.target.client`); `state` may pass an already gathered `utils.diagnosis.gather` result.
    """
    code, message = _code_and_message(error)
    live = _Live(cfg, client, state)
    access = _explain_model_access(code, message, model_id)
    if access is not None:  # Bedrock answers these with AccessDeniedException too, but no policy decided them
        return access
    if "AccessDenied" in code or "is not authorized to perform" in message:
        base = _explain_denied(code, message, endpoint_id=endpoint_id, role_arn=role_arn)
        return _deepen_denied(base, message, live, endpoint_id)
    lowered = message.lower()
    if code in TIMEOUT_CODES or "timed out" in lowered or "timeout" in code.lower() or "could not connect" in lowered:
        return _deepen_timeout(_explain_timeout(code, message, endpoint_id), live)
    if "end of its life" in lowered or "end-of-life" in lowered or "legacy" in lowered or (
            code in ("ResourceNotFoundException", "ValidationException") and "model" in lowered):
        return _deepen_model(_explain_model(code, message, model_id), live, model_id)
    if code in ("ThrottlingException", "ServiceUnavailableException", "TooManyRequestsException"):
        return Explanation(
            _("Amazon Bedrock asked the caller to slow down"),
            _("The request was throttled or the service was briefly unavailable. botocore's standard retry mode "
              "already retried it with backoff."),
            [_("Run the cell again in a minute."),
             _("If it keeps happening, check the model's quotas in Service Quotas.")],
            {"code": code, "message": message},
        )
    return Explanation(f"{code or 'Error'}", message or _("No message was returned."),
                       [_("Read the message above; `python -m utils doctor` checks every link of the workshop.")],
                       {"code": code})


def _explain_model_access(code: str, message: str, model_id: str | None) -> Explanation | None:
    """Model access and AWS Marketplace subscription errors (AccessDeniedException from Amazon Bedrock)."""
    lowered = message.lower()
    facts = {"code": code, "message": message, **({"model": model_id} if model_id else {})}
    if "aws-marketplace" in lowered or "marketplace subscription" in lowered or "model access is denied" in lowered:
        return Explanation(
            _("The model needs an AWS Marketplace subscription that this account does not have yet"),
            _("Some models in Amazon Bedrock (for example Anthropic's) are AWS Marketplace offerings. The first use in "
              "an account subscribes to it, which needs aws-marketplace:ViewSubscriptions and "
              "aws-marketplace:Subscribe for the caller. No IAM or endpoint policy of this workshop decided this; the "
              "subscription is missing."),
            [_("Have an administrator enable the model once for the account (Amazon Bedrock console, Model access), "
               "rather than giving the function's role aws-marketplace:Subscribe."),
             _("Or choose Amazon Nova Micro (the default, us.amazon.nova-micro-v1:0), which needs no Marketplace "
               "subscription: re-run notebook 00, then 01 to 03."),
             _("After a fix, AWS says to retry after a few minutes (the subscription takes effect with a delay).")],
            facts,
        )
    if "don't have access to the model" in lowered or "do not have access to the model" in lowered or (
            "subscription" in lowered and "model" in lowered):
        return Explanation(
            _("The account has no access to this model in this region"),
            _("Amazon Bedrock answered that the model is not enabled for this account here: model access was not "
              "granted, or the model is not offered in this region (check the region the client uses)."),
            [_("Open the Amazon Bedrock console in this region, Model access, and enable the model; or choose Amazon "
               "Nova Micro (the default)."), _("Check the region: notebook 00 lists only the region's models."),
             _("Re-run notebook 00 to save the choice.")],
            facts,
        )
    return None


def _explain_denied(code: str, message: str, *, endpoint_id: str | None, role_arn: str | None) -> Explanation:
    d = parse_access_denied(message)
    facts = {"code": code or "AccessDeniedException", "message": message}
    if d is None:
        return Explanation(_("Access denied"), _("AWS refused the call, but the message does not say which policy "
                             "decided."), [_("Check the role's policies and the endpoint policy.")], facts)
    facts = {"caller": d.principal, "action": d.action}
    if d.resource:
        facts["resource"] = d.resource
    if endpoint_id:
        facts["endpoint"] = endpoint_id
    facts["message"] = message
    if d.policy_type == "vpc-endpoint" and d.kind == "explicit-deny":
        return Explanation(
            _("Denied by the VPC endpoint policy (explicit Deny)"),
            _("The request reached Amazon Bedrock through the interface endpoint, and a statement in the endpoint's "
              "policy with Effect Deny matches this caller, action and resource. An explicit Deny wins over any "
              "Allow, in every policy type. This is what the Deny test expects."),
            [_("To allow the call again, set the endpoint policy's Effect back to Allow "
               "(ec2.modify_vpc_endpoint(..., PolicyDocument=...)); notebook 05 does this in its last step."),
             _("Policy changes take a short while to apply: poll, don't sleep.")],
            facts,
        )
    if d.policy_type == "vpc-endpoint":
        return Explanation(
            _("Denied by the VPC endpoint policy (no statement allows it)"),
            _("The request came through the interface endpoint, but no statement in the endpoint policy allows this "
              "caller to perform this action on this resource. Endpoint policies allow nothing by default."),
            [_("Check the endpoint policy's Principal: it must be the function's role ARN (FunctionRoleArn)."),
             _("Check the Resource list: an inference profile needs the profile ARN and the foundation-model ARN in "
               "every destination region (utils.models.resource_arns)."),
             _("Rebuild it with utils.policies.endpoint_policy and apply it with ec2.modify_vpc_endpoint.")],
            facts,
        )
    if d.policy_type == "identity" and d.kind == "no-allow":
        return Explanation(
            _("Denied: no identity-based policy allows the call"),
            _("The role's policies contain no statement that allows this action on this resource in this request's "
              "context. In this workshop the Allow for bedrock:InvokeModel has the condition aws:sourceVpce = the "
              "bedrock-runtime endpoint's ID: a request that does not arrive through that endpoint (for example from "
              "a function outside the VPC, over the public endpoint) does not match it, so nothing allows it."),
            [_("If the function is not attached to the VPC yet, this is the expected negative control (notebook 03)."),
             _("Otherwise check that the condition's endpoint ID equals the endpoint you created (notebook 02), and "
               "that the Resource list holds the model's ARNs."),
             _("Check that the endpoint has private DNS on, so the SDK's default hostname resolves to it.")],
            facts,
        )
    if d.policy_type == "identity":
        return Explanation(
            _("Denied by an explicit Deny in an identity-based policy"),
            _("A policy attached to the caller's role (or user) has a Deny statement matching this request."),
            [_("List the role's inline and attached policies and look for Effect Deny on this action.")], facts)
    if d.policy_type == "boundary" and d.kind == "explicit-deny":
        return Explanation(
            _("Denied by an explicit Deny in the role's permissions boundary"),
            _("The role has a permissions boundary: a managed policy that sets the most the role's own policies can "
              "grant. A Deny statement in it matches this request, and an explicit Deny wins over every Allow, so "
              "the workshop's lambda-bedrock-sourcevpce-access-only cannot help."),
            [_("Ask whoever set the boundary (usually an administrator) to remove the Deny for this action and the "
               "model's ARNs, or to take the boundary off the role (iam.delete_role_permissions_boundary)."),
             _("`python -m utils doctor` names the boundary and checks the role with IAM's policy simulator.")],
            facts)
    if d.policy_type == "boundary":
        # IAM User Guide, "Permissions boundaries for IAM entities": the effective permissions are the intersection
        # of the identity-based policies and the boundary.
        return Explanation(
            _("Denied: the role's permissions boundary does not allow the call"),
            _("The role has a permissions boundary: a managed policy that sets the most the role's own policies can "
              "grant. AWS allows a call only when an identity-based policy AND the boundary allow it. The workshop's "
              "lambda-bedrock-sourcevpce-access-only allows it, but no statement of the boundary does."),
            [_("Ask whoever set the boundary (usually an administrator) to allow bedrock:InvokeModel on the model's "
               "ARNs in it (a new default version of the boundary policy), or to take the boundary off the role "
               "(iam.delete_role_permissions_boundary)."),
             _("`python -m utils doctor` names the boundary and checks the role with IAM's policy simulator.")],
            facts)
    if d.policy_type == "scp":
        return Explanation(
            _("Denied by a service control policy of your organization")
            + (_(" (explicit Deny)") if d.kind == "explicit-deny" else ""),
            _("Service control policies (SCPs) are set in AWS Organizations and cap what every principal of the "
              "account may do, whatever its own policies say. A member account cannot change or usually even read "
              "them."),
            [_("Ask your organization's administrator to allow this action for the account (or the Region), or use "
               "another account, or the sandbox target."),
             _("`python -m utils doctor` asks IAM's policy simulator, which reports whether the organization "
               "allows it.")],
            facts)
    what = d.policy_type_text or "a policy"
    return Explanation(
        _("Denied by {what}").format(what=what),
        _("AWS names {what} as the deciding policy ({kind}). The workshop does not create this kind of policy; it "
          "comes from your account or organisation.").format(
            what=what, kind=_('explicit Deny') if d.kind == 'explicit-deny' else _('no Allow')),
        [_("Ask your account administrator, or use the sandbox target.")], facts)


def _explain_timeout(code: str, message: str, endpoint_id: str | None) -> Explanation:
    return Explanation(
        _("The call to Amazon Bedrock timed out or could not connect"),
        _("A function in private subnets has no internet route, so it reaches bedrock-runtime only through the "
          "interface endpoint. A timeout means one link of that path is missing."),
        [
            _("The bedrock-runtime endpoint exists in the function's VPC and is 'available' (notebook 02)."),
            _("The endpoint has private DNS enabled, and the VPC has DNS support and DNS hostnames on."),
            _("The endpoint's security group allows TCP 443 from the function's security group."),
            _("The endpoint has a subnet in each AZ the function uses."),
            _("A control-plane call such as ListFoundationModels needs a separate `bedrock` endpoint (notebook 02)."),
        ],
        {"code": code, "message": message, **({"endpoint": endpoint_id} if endpoint_id else {})},
    )


def _explain_model(code: str, message: str, model_id: str | None) -> Explanation:
    from .models import DEFAULT_BASE_MODEL

    return Explanation(
        _("The model cannot be used (end of life, legacy, or not offered here)"),
        _("Amazon Bedrock retires model versions on a published schedule; calls to a retired model fail. The article "
          "this workshop follows used Claude Instant, which has reached end of life."),
        [_("Choose a current model: the default is us.{default_base_model} (eu./apac. outside the US).").format(
             default_base_model=DEFAULT_BASE_MODEL),
         _("Re-run notebook 00 (it lists the region's active models and profiles) and then 02 and 03, which rebuild "
           "the policies for the new model's ARNs.")],
        {"code": code, "message": message, **({"model": model_id} if model_id else {})},
    )


# ---------------------------------------------------------------- live state (read-only)


class _Live:
    """Lazy access to the live workshop state for the explainer; every failure to read degrades to None."""

    def __init__(self, cfg, client, state):
        self.cfg, self._client, self._state, self.problem = cfg, client, state, None

    @property
    def enabled(self) -> bool:
        return self.cfg is not None or self._state is not None

    def client(self, service: str):
        if self._client is None:
            from . import target

            self._client = target.client
        return self._client(service, self.cfg.region)

    def state(self) -> dict | None:
        if self._state is None and self.cfg is not None and self.problem is None:
            from . import diagnosis

            try:
                self._state = diagnosis.gather(self.cfg, self._client or self._default_client())
            except Exception as exc:  # the explanation from the message still stands
                self.problem = _("could not read the live state: {name}: {exc}").format(
                                   name=type(exc).__name__, exc=exc)
        return self._state

    def _default_client(self):
        from . import target

        self._client = target.client
        return self._client


def _add_live_fact(expl: Explanation, live: _Live) -> Explanation:
    if live.problem:
        expl.facts["live check"] = live.problem
    return expl


def _role_arn_for(principal: str, s: dict, live: _Live) -> str | None:
    """The IAM role ARN behind an assumed-role session ARN (from the stack outputs, else iam.get_role)."""
    if ":assumed-role/" not in principal:
        return principal if ":role/" in principal else None
    name = principal.split(":assumed-role/")[1].split("/")[0]
    out = s.get("outputs") or {}
    if out.get("FunctionRoleName") == name:
        return out.get("FunctionRoleArn")
    try:
        return live.client("iam").get_role(RoleName=name)["Role"]["Arn"]
    except Exception:
        return f"arn:aws:iam::{principal.split(':')[4]}:role/{name}"


def _deepen_denied(base: Explanation, message: str, live: _Live, endpoint_id: str | None) -> Explanation:
    try:
        return _deepen_denied_live(base, message, live, endpoint_id)
    except Exception as exc:  # e.g. no permission to read the role's policies: the message-based text stands
        live.problem = _("could not read or evaluate the policies: {name}: {exc}").format(
                           name=type(exc).__name__, exc=exc)
        return _add_live_fact(base, live)


def _deepen_denied_live(base: Explanation, message: str, live: _Live, endpoint_id: str | None) -> Explanation:
    d = parse_access_denied(message)
    if d is None or not live.enabled or not d.resource or d.policy_type not in ("vpc-endpoint", "identity",
                                                                                 "boundary", "scp"):
        return base
    s = live.state()
    if s is None:
        return _add_live_fact(base, live)
    if s.get("blocked"):
        problem = (s.get("unread") or {}).get("caller")
        live.problem = _("could not read the live state: {detail}").format(
                           detail=problem.detail) if problem else _("could not read it")
        return _add_live_fact(base, live)
    from . import diagnosis

    role_arn = _role_arn_for(d.principal, s, live)
    if role_arn is None:
        return base
    out, ep = s.get("outputs") or {}, s.get("endpoint")
    is_function = role_arn == out.get("FunctionRoleArn")
    session = d.principal.split("/")[-1] if ":assumed-role/" in d.principal else "session"
    # Which path did the call take? Through an endpoint when AWS says an endpoint policy decided; for the
    # function, through the endpoint exactly when its network path is whole; otherwise over the public endpoint.
    broken = diagnosis.first_broken_link(s) if is_function else None
    through = None
    if d.policy_type == "vpc-endpoint" or (is_function and broken is None):
        through = (ep or {}).get("VpcEndpointId") or endpoint_id
    context = {}
    if through:
        context["aws:SourceVpce"] = through
        if out.get("VpcId"):
            context["aws:SourceVpc"] = out["VpcId"]
    arns = (s.get("model") or {}).get("arns") or []
    if ":foundation-model/" in d.resource and arns and ":inference-profile/" in arns[0]:
        context["bedrock:InferenceProfileArn"] = arns[0]
    rc = diagnosis.request(d.action, d.resource, role_arn, session, context)
    if d.policy_type == "scp":
        sim = (s.get("simulation") or {}).get(d.resource) if is_function else None
        if sim is not None:
            base.facts["IAM policy simulator"] = (_("{decision} for {action} on {resource}; allowed by the "
                                                    "organization: {organizations_allowed}").format(
                                                      decision=sim['decision'], action=d.action, resource=d.resource,
                                                      organizations_allowed=sim['organizations_allowed']))
        return base
    if d.policy_type == "vpc-endpoint":
        if ep is None:
            return _add_live_fact(base, live)
        decision, why, fix = diagnosis.evaluate_endpoint(ep.get("PolicyDocument") or "", rc)
        where = _("the endpoint policy of {vpc_endpoint_id} ({local})").format(
                    vpc_endpoint_id=ep['VpcEndpointId'], local=_(diagnosis.LOCAL))
    else:
        iam = None if is_function else live.client("iam")
        docs = s.get("role_policies") if is_function else diagnosis.role_policies(iam, role_arn.split("/")[-1])
        boundary = s.get("boundary") if is_function else _boundary_of(iam, role_arn.split("/")[-1])
        if boundary == ("none", None):
            boundary = None
        decision, why, fix = diagnosis.evaluate_identity(docs or [], rc, boundary, role_arn.split("/")[-1])
        where = _("the identity policies of {role}").format(role=role_arn.split('/')[-1]) + (
            _(" and its permissions boundary {boundary}").format(boundary=boundary[0]) if boundary else "")
        if d.policy_type == "boundary" and boundary is None:
            base.facts["decided by"] = (_("AWS names a permissions boundary, but the role has none now (or it could "
                                          "not be read): it changed since the call, or is propagating"))
            return _add_live_fact(base, live)
        if broken is not None and decision != "Allow" and d.policy_type == "identity":
            fix = f"{broken['fix']} ({diagnosis.label(broken['name'])}: {broken['detail']})"
    if decision == "Allow":  # the live policy allows it now: it changed since the call, or has not propagated
        base.facts["now"] = _("{where} allows this request now ({why}); it changed since the call or is "
                              "propagating").format(where=where, why=why)
        base.fix.insert(0, _("Run the call again: policy changes take a short while to apply everywhere."))
        return base
    base.facts["decided by"] = why
    base.meaning += _("\n\nIn the live state, {where}: {why}.").format(where=where, why=why)
    if fix and d.policy_type == "boundary" and base.fix:
        base.fix[0] = fix  # the same advice as the message-only text, now with the boundary's and role's names
    elif fix:
        base.fix.insert(0, fix)
    return base


def _boundary_of(iam, role_name: str):
    pb = (iam.get_role(RoleName=role_name)["Role"].get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if not pb:
        return None
    from . import diagnosis

    return pb.split("/")[-1], diagnosis.managed_policy_document(iam, pb)


def _deepen_timeout(base: Explanation, live: _Live) -> Explanation:
    if not live.enabled:
        return base
    s = live.state()
    if s is None:
        return _add_live_fact(base, live)
    if s.get("blocked"):
        problem = (s.get("unread") or {}).get("caller")
        live.problem = _("could not read the live state: {detail}").format(
                           detail=problem.detail) if problem else _("could not read it")
        return _add_live_fact(base, live)
    from . import diagnosis

    broken = diagnosis.first_broken_link(s)
    if broken is None:
        base.facts["network path"] = _("every link checks out now (function in the VPC, DNS, endpoint, SGs)")
        return base
    base.title = _("The call timed out: broken link \"{name}\"").format(name=diagnosis.label(broken['name']))
    base.meaning = (_("{detail}. A function in private subnets reaches bedrock-runtime only through the interface "
                      "endpoint; this is the first link of that path that is broken.").format(detail=broken['detail']))
    base.facts["broken link"] = broken["name"]
    base.fix.insert(0, broken["fix"])
    return base


def _deepen_model(base: Explanation, live: _Live, model_id: str | None) -> Explanation:
    if not live.enabled or live.cfg is None:
        return base
    from . import diagnosis

    try:
        current = diagnosis.current_models(live.client("bedrock"), live.cfg.region)
    except Exception as exc:
        live.problem = _("could not list the current models: {exc}").format(exc=exc)
        return _add_live_fact(base, live)
    if current:
        base.facts["current models"] = ", ".join(current)
        base.fix.insert(0, _("Current models in {region}: {current} (the first is the low-cost default).").format(
                               region=live.cfg.region, current=', '.join(current)))
    return base
