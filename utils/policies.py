"""The IAM policies the workshop writes, built from the stack's outputs and the chosen model.

Notebooks 02 and 03 write these documents as literal dicts in their cells, so that a learner sees (and can
copy) the policy being taught; tests/test_security.py proves that each literal equals what the builder here
returns for the same inputs and passes the least-privilege checks. The builders serve the code that needs the
same documents: notebook 05 (the Deny variant of the endpoint policy), the doctor, the explainer and the tests.
Each returns a policy document (a dict); `to_json` gives the text that the AWS APIs take.

Where the workshop departs from the article, the docstring says why:

- `eni_policy` (article name `enivpce-policy`): the article also grants `ec2:*VpcEndpoint*`.
  The function never calls the endpoint APIs; it only sends traffic through the
  endpoint. That wildcard would let the function's code create, modify or delete VPC
  endpoints, including rewriting the endpoint policy that is meant to restrict it. We
  drop it and keep only the EC2 actions that the AWS Lambda Developer Guide lists for
  functions in a VPC (awsfacts.awslambda.VPC_ACCESS_ACTIONS, the actions of the managed
  policy AWSLambdaVPCAccessExecutionRole v3). These actions take `Resource: "*"`
  (the Describe actions do not support resource-level permissions).
- `sourcevpce_policy` (article name `lambda-bedrock-sourcevpce-access-only`): the
  article allows `bedrock:ListFoundationModels` and `bedrock:InvokeModel` on `*`. We
  scope `bedrock:InvokeModel` to the chosen model's ARNs. `ListFoundationModels` is a
  control-plane call: it goes to the `bedrock` endpoint, not `bedrock-runtime`, so a
  condition on the bedrock-runtime endpoint's ID can never match it; the function does
  not call it either. We include it only when a `bedrock` control-plane endpoint exists
  (notebook 02's option), conditioned on that endpoint's ID, on `Resource: "*"` because
  the action supports no resource-level permissions. The article's condition is
  `ForAnyValue:StringEquals` on `aws:sourceVpce`; we write `StringEquals`. aws:SourceVpce is a
  single-valued key, and the IAM User Guide ("Single-valued vs. multivalued context keys") says not to
  use ForAllValues or ForAnyValue with single-valued keys, which "can lead to overly permissive
  policies". `problems` (below) refuses set operators on single-valued keys.

Validate before you apply: notebooks 02 and 03 send each document to IAM Access Analyzer's ValidatePolicy in a
visible cell; `show_findings` displays the findings and `blocking` picks those that must stop the notebook.
"""

from __future__ import annotations

import json

from awsfacts.awslambda import VPC_ACCESS_ACTIONS
from iampolicy import validation

from .lang import N_, _

ENI_POLICY_NAME = "enivpce-policy"
SOURCEVPCE_POLICY_NAME = "lambda-bedrock-sourcevpce-access-only"
INLINE_POLICY_NAMES = (ENI_POLICY_NAME, SOURCEVPCE_POLICY_NAME)

# The EC2 actions a function needs to join a VPC: one list, in awsfacts (the sandbox's attach check reads it too).
LAMBDA_ENI_ACTIONS = list(VPC_ACCESS_ACTIONS)
ARTICLE_ENI_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:*VpcEndpoint*",
]


def _check_arns(resource_arns: list[str]) -> list[str]:
    arns = sorted(set(resource_arns))
    if not arns:
        raise ValueError("No model ARNs were given. Resolve them with utils.models.resource_arns() first.")
    for arn in arns:
        if not arn.startswith("arn:aws:bedrock:") or "*" in arn:
            raise ValueError(f"{arn!r} is not a specific Amazon Bedrock model or inference-profile ARN.")
    return arns


def endpoint_policy(role_arn: str, resource_arns: list[str], effect: str = "Allow") -> dict:
    """The bedrock-runtime endpoint policy: only the function's role may invoke only these models.

    `effect="Deny"` gives the article's deny test: the same statement with Effect Deny.
    """
    if effect not in ("Allow", "Deny"):
        raise ValueError(f"effect must be 'Allow' or 'Deny', not {effect!r}")
    if not role_arn.startswith("arn:aws:iam::") or ":role/" not in role_arn:
        raise ValueError(f"{role_arn!r} is not an IAM role ARN (the stack output FunctionRoleArn).")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FunctionRoleInvokesChosenModel",
                "Effect": effect,
                "Principal": {"AWS": role_arn},
                "Action": ["bedrock:InvokeModel"],
                "Resource": _check_arns(resource_arns),
            }
        ],
    }


def corporate_endpoint_policy(role_arns: list[str], resource_arns: list[str]) -> dict:
    """Notebook 06: the bedrock-runtime endpoint policy naming the function's role and the corporate client's role."""
    for arn in role_arns:
        if not arn.startswith("arn:aws:iam::") or ":role/" not in arn:
            raise ValueError(f"{arn!r} is not an IAM role ARN.")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WorkshopAndCorporateClientsInvokeChosenModel",
                "Effect": "Allow",
                "Principal": {"AWS": list(role_arns)},
                "Action": ["bedrock:InvokeModel"],
                "Resource": _check_arns(resource_arns),
            }
        ],
    }


def corporate_client_policy(resource_arns: list[str], runtime_endpoint_id: str) -> dict:
    """Notebook 06: the corporate client's inline policy, bedrock:InvokeModel only through the workshop's endpoint
    (aws:sourceVpce, StringEquals)."""
    from . import validation

    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeOnlyThroughTheWorkshopEndpoint",
                "Effect": "Allow",
                "Action": ["bedrock:InvokeModel"],
                "Resource": _check_arns(resource_arns),
                "Condition": {"StringEquals": {"aws:sourceVpce": validation.endpoint_id(runtime_endpoint_id)}},
            }
        ],
    }


def control_endpoint_policy(role_arn: str) -> dict:
    """Policy of the optional `bedrock` control-plane endpoint: the function's role may list models, nothing else.

    `bedrock:ListFoundationModels` supports no resource-level permissions, hence `Resource: "*"`.
    """
    if not role_arn.startswith("arn:aws:iam::") or ":role/" not in role_arn:
        raise ValueError(f"{role_arn!r} is not an IAM role ARN (the stack output FunctionRoleArn).")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FunctionRoleListsModels",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": ["bedrock:ListFoundationModels"],
                "Resource": "*",
            }
        ],
    }


def eni_policy() -> dict:
    """The `enivpce-policy` inline policy: the network-interface actions for a function in a VPC."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "eniperms",
                "Effect": "Allow",
                "Action": list(LAMBDA_ENI_ACTIONS),
                "Resource": "*",
            }
        ],
    }


def sourcevpce_policy(resource_arns: list[str], runtime_endpoint_id: str,
                      control_endpoint_id: str | None = None) -> dict:
    """The `lambda-bedrock-sourcevpce-access-only` inline policy.

    Allows `bedrock:InvokeModel` on the model's ARNs only when the request arrives
    through the given bedrock-runtime endpoint (`aws:sourceVpce`).
    """
    from . import validation as checks

    runtime_endpoint_id = checks.endpoint_id(runtime_endpoint_id)
    statements = [
        {
            "Sid": "InvokeOnlyThroughRuntimeEndpoint",
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel"],
            "Resource": _check_arns(resource_arns),
            "Condition": {"StringEquals": {"aws:sourceVpce": [runtime_endpoint_id]}},
        }
    ]
    if control_endpoint_id:
        statements.append(
            {
                "Sid": "ListModelsOnlyThroughControlEndpoint",
                "Effect": "Allow",
                "Action": ["bedrock:ListFoundationModels"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:sourceVpce": [checks.endpoint_id(control_endpoint_id)]}},
            }
        )
    return {"Id": SOURCEVPCE_POLICY_NAME, "Version": "2012-10-17", "Statement": statements}


def article_eni_policy() -> dict:
    """The article's original `enivpce-policy`, for comparison only (the workshop does not apply it)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "eniperms", "Effect": "Allow", "Action": list(ARTICLE_ENI_ACTIONS), "Resource": "*"}],
    }


def effect_of(policy: dict | str) -> set[str]:
    """The set of Effects in a policy document (e.g. {"Allow"}), to check which state an endpoint is in."""
    doc = json.loads(policy) if isinstance(policy, str) else policy
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return {s.get("Effect") for s in statements}


def same_policy(a: dict | str, b: dict | str) -> bool:
    """Whether two policy documents are equal, ignoring formatting and the order of list values."""
    return _canonical(json.loads(a) if isinstance(a, str) else a) == _canonical(
        json.loads(b) if isinstance(b, str) else b)


def _canonical(value):
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def to_json(policy: dict) -> str:
    return json.dumps(policy, indent=2)


# ---------------------------------------------------------------- checks before a policy is applied


def problems(policy: dict | str) -> list[str]:
    """The workshop's own checks of a policy document: a list of problems, empty when it passes.

    A condition set operator (ForAllValues, ForAnyValue) on a single-valued key is refused, as the IAM User Guide
    says ("Single-valued vs. multivalued context keys"); the table of single-valued global keys, with its source,
    is iampolicy.validation.
    """
    return [m["message"] for m in validation.set_operator_misuse(policy)]


def check(policy: dict | str) -> dict | str:
    """`policy` unchanged if it passes `problems`, else ValueError naming each problem."""
    found = problems(policy)
    if found:
        raise ValueError("; ".join(found))
    return policy


BLOCKING_FINDINGS = ("ERROR", "SECURITY_WARNING")


def blocking(findings: list[dict]) -> list[dict]:
    """The Access Analyzer findings that must stop a notebook before it applies the policy."""
    return [f for f in findings if f.get("findingType") in BLOCKING_FINDINGS]


def _where(finding: dict) -> str:
    parts = []
    for loc in finding.get("locations") or []:
        path = "".join(f"[{p['index']}]" if "index" in p else f".{p.get('value', p.get('key', ''))}"
                       for p in loc.get("path") or [])
        start = (loc.get("span") or {}).get("start") or {}
        parts.append(path.lstrip(".") + (f" (line {start['line']})" if "line" in start else ""))
    return "; ".join(p for p in parts if p) or "-"


# The documents' names as notebook 02 passes them, shown in the learner's language. Other names (03's policy names
# `enivpce-policy`, ...) are AWS resource names and are shown as they are.
DOCUMENT_NAMES = (N_("endpoint policy"), N_("control-plane endpoint policy"))


def show_findings(findings: list[dict], name: str) -> list[dict]:
    """Print IAM Access Analyzer's ValidatePolicy findings for the document `name`; return the blocking ones."""
    name = _(name) if name in DOCUMENT_NAMES else name
    if not findings:
        print(_("{name}: IAM Access Analyzer reports no findings.").format(name=name))
        return []
    print(_("{name}: IAM Access Analyzer reports {count} finding(s):").format(name=name, count=len(findings)))
    for f in findings:
        print(_("- {finding_type} {issue_code} at {where}: {details}").format(
            finding_type=f.get("findingType"), issue_code=f.get("issueCode"), where=_where(f),
            details=f.get("findingDetails")))
        if f.get("learnMoreLink"):
            print(f"  {f['learnMoreLink']}")
    return blocking(findings)
