"""Turn an AWS error into words a learner can act on: which link broke, and how to fix it.

First version: it reads the error itself (code and message). AccessDenied messages
say which policy type decided and whether it was a missing Allow or an explicit
Deny; timeouts point at the network path; end-of-life models get a current
alternative. (`python -m utils doctor`, later, inspects live state as well.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
            lines += [f"  {k}: {v}" for k, v in self.facts.items()]
        if self.fix:
            lines += ["", "What to do:"] + [f"  - {step}" for step in self.fix]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        parts = [f"**{self.title}**", "", self.meaning]
        if self.facts:
            parts += ["", *[f"- {k}: `{v}`" for k, v in self.facts.items()]]
        if self.fix:
            parts += ["", "**What to do**", "", *[f"1. {step}" for step in self.fix]]
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
            model_id: str | None = None) -> Explanation:
    """An `Explanation` for a ClientError, an exception, the function's {"code", "message"}, or a message."""
    code, message = _code_and_message(error)
    if "AccessDenied" in code or "is not authorized to perform" in message:
        return _explain_denied(code, message, endpoint_id=endpoint_id, role_arn=role_arn)
    lowered = message.lower()
    if code in TIMEOUT_CODES or "timed out" in lowered or "timeout" in code.lower() or "could not connect" in lowered:
        return _explain_timeout(code, message, endpoint_id)
    if "end of its life" in lowered or "end-of-life" in lowered or "legacy" in lowered or (
            code in ("ResourceNotFoundException", "ValidationException") and "model" in lowered):
        return _explain_model(code, message, model_id)
    if "subscription" in lowered or "don't have access to the model" in lowered or "access to the model" in lowered:
        return Explanation(
            "The account has no access to this model yet",
            "Amazon Bedrock answered that the model is not enabled for this account (model access or an AWS "
            "Marketplace subscription is missing).",
            ["Open the Amazon Bedrock console, Model access, and enable the model; or choose Amazon Nova Micro "
             "(the default), which needs no Marketplace subscription.", "Re-run notebook 00 to save the choice."],
            {"code": code, "message": message},
        )
    if code in ("ThrottlingException", "ServiceUnavailableException", "TooManyRequestsException"):
        return Explanation(
            "Amazon Bedrock asked the caller to slow down",
            "The request was throttled or the service was briefly unavailable. botocore's standard retry mode "
            "already retried it with backoff.",
            ["Run the cell again in a minute.", "If it keeps happening, check the model's quotas in Service Quotas."],
            {"code": code, "message": message},
        )
    return Explanation(f"{code or 'Error'}", message or "No message was returned.",
                       ["Read the message above; `python -m utils doctor` checks every link of the workshop."],
                       {"code": code})


def _explain_denied(code: str, message: str, *, endpoint_id: str | None, role_arn: str | None) -> Explanation:
    d = parse_access_denied(message)
    facts = {"code": code or "AccessDeniedException", "message": message}
    if d is None:
        return Explanation("Access denied", "AWS refused the call, but the message does not say which policy "
                           "decided.", ["Check the role's policies and the endpoint policy."], facts)
    facts = {"caller": d.principal, "action": d.action}
    if d.resource:
        facts["resource"] = d.resource
    if endpoint_id:
        facts["endpoint"] = endpoint_id
    if d.policy_type == "vpc-endpoint" and d.kind == "explicit-deny":
        return Explanation(
            "Denied by the VPC endpoint policy (explicit Deny)",
            "The request reached Amazon Bedrock through the interface endpoint, and a statement in the endpoint's "
            "policy with Effect Deny matches this caller, action and resource. An explicit Deny wins over any "
            "Allow, in every policy type. This is what the Deny test expects.",
            ["To allow the call again, set the endpoint policy's Effect back to Allow "
             "(ec2.modify_vpc_endpoint(..., PolicyDocument=...)); notebook 05 does this in its last step.",
             "Policy changes take a short while to apply: poll, don't sleep."],
            facts,
        )
    if d.policy_type == "vpc-endpoint":
        return Explanation(
            "Denied by the VPC endpoint policy (no statement allows it)",
            "The request came through the interface endpoint, but no statement in the endpoint policy allows this "
            "caller to perform this action on this resource. Endpoint policies allow nothing by default.",
            ["Check the endpoint policy's Principal: it must be the function's role ARN (FunctionRoleArn).",
             "Check the Resource list: an inference profile needs the profile ARN and the foundation-model ARN in "
             "every destination region (utils.models.resource_arns).",
             "Rebuild it with utils.policies.endpoint_policy and apply it with ec2.modify_vpc_endpoint."],
            facts,
        )
    if d.policy_type == "identity" and d.kind == "no-allow":
        return Explanation(
            "Denied: no identity-based policy allows the call",
            "The role's policies contain no statement that allows this action on this resource in this request's "
            "context. In this workshop the Allow for bedrock:InvokeModel has the condition aws:sourceVpce = the "
            "bedrock-runtime endpoint's ID: a request that does not arrive through that endpoint (for example from "
            "a function outside the VPC, over the public endpoint) does not match it, so nothing allows it.",
            ["If the function is not attached to the VPC yet, this is the expected negative control (notebook 03).",
             "Otherwise check that the condition's endpoint ID equals the endpoint you created (notebook 02), and "
             "that the Resource list holds the model's ARNs.",
             "Check that the endpoint has private DNS on, so the SDK's default hostname resolves to it."],
            facts,
        )
    if d.policy_type == "identity":
        return Explanation(
            "Denied by an explicit Deny in an identity-based policy",
            "A policy attached to the caller's role (or user) has a Deny statement matching this request.",
            ["List the role's inline and attached policies and look for Effect Deny on this action."], facts)
    what = d.policy_type_text or "a policy"
    return Explanation(
        f"Denied by {what}",
        f"AWS names {what} as the deciding policy ({'explicit Deny' if d.kind == 'explicit-deny' else 'no Allow'}). "
        "The workshop does not create this kind of policy; it comes from your account or organisation.",
        ["Ask your account administrator, or use the sandbox target."], facts)


def _explain_timeout(code: str, message: str, endpoint_id: str | None) -> Explanation:
    return Explanation(
        "The call to Amazon Bedrock timed out or could not connect",
        "A function in private subnets has no internet route, so it reaches bedrock-runtime only through the "
        "interface endpoint. A timeout means one link of that path is missing.",
        [
            "The bedrock-runtime endpoint exists in the function's VPC and is 'available' (notebook 02).",
            "The endpoint has private DNS enabled, and the VPC has DNS support and DNS hostnames on.",
            "The endpoint's security group allows TCP 443 from the function's security group.",
            "The endpoint has a subnet in each AZ the function uses.",
            "A control-plane call such as ListFoundationModels needs a separate `bedrock` endpoint (notebook 02).",
        ],
        {"code": code, "message": message, **({"endpoint": endpoint_id} if endpoint_id else {})},
    )


def _explain_model(code: str, message: str, model_id: str | None) -> Explanation:
    from .models import DEFAULT_BASE_MODEL

    return Explanation(
        "The model cannot be used (end of life, legacy, or not offered here)",
        "Amazon Bedrock retires model versions on a published schedule; calls to a retired model fail. The article "
        "this workshop follows used Claude Instant, which has reached end of life.",
        [f"Choose a current model: the default is us.{DEFAULT_BASE_MODEL} (eu./apac. outside the US).",
         "Re-run notebook 00 (it lists the region's active models and profiles) and then 02 and 03, which rebuild "
         "the policies for the new model's ARNs."],
        {"code": code, "message": message, **({"model": model_id} if model_id else {})},
    )
