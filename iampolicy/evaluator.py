"""A pure IAM policy evaluator: parse, validate and evaluate policy documents as AWS does.

No moto, no network: a policy document and a request go in, a decision with its reasons comes out.
The rules follow the AWS IAM User Guide; each rule below names the page it comes from:

- Grammar and validation: "IAM JSON policy grammar", "IAM JSON policy elements" (Version, Id,
  Statement, Sid, Effect, Principal, Action/NotAction, Resource/NotResource, Condition). Error texts
  are the ones IAM returns as MalformedPolicyDocument ("Syntax errors in policy.", "Policy statement
  must contain actions.", "Policy document should not specify a principal.", ...). A PolicyError
  carries that AWS text in `.message` and our precise explanation in `.detail`.
- Wildcards: `*` and `?` in Action (case-insensitive) and Resource (case-sensitive, matched one ARN
  segment at a time: "IAM JSON policy elements: Resource").
- Principal ("AWS JSON policy elements: Principal"): "*", {"AWS": "*"}, an account ID or
  arn:aws:iam::<acct>:root (any principal of that account), a role ARN (every session of the role),
  an assumed-role session ARN, a user ARN. No partial wildcards.
- Conditions ("IAM JSON policy elements: Condition operators", "Conditions with multiple context
  keys or values", "Single-valued vs. multivalued context keys"): operators ANDed, keys ANDed,
  values ORed, negated operators NOR; a key absent from the request makes positive operators false
  and negated ones true; `...IfExists` makes an absent key true; `Null` tests presence;
  ForAllValues is true for an absent key or empty set, ForAnyValue is false. A set operator on a
  single-valued key (aws:SourceVpce, ...) is evaluated as AWS does, the request's one value as a set of
  one, so ForAllValues on an absent single-valued key is true: why AWS says not to write it (the checks
  in `iampolicy.validation` refuse it; AWS accepts such a policy, and so does the evaluator).
- Policy variables ("IAM policy elements: Variables and tags"): `${key}`, `${key, 'default'}`,
  `${*}`, `${?}`, `${$}` in Resource and in String/Arn/Bool condition values, for Version
  2012-10-17 only (2008-10-17 and a missing Version take them literally). A variable with no value
  makes the element not match (negated operators then match).
- Evaluation ("Policy evaluation logic"; "How AWS enforcement code logic evaluates requests"):
  an explicit Deny in any policy wins; otherwise, when the account is in an organization, every
  level of service control policies (root, each OU, the account) must Allow ("SCP evaluation",
  AWS Organizations User Guide); the identity-based policies must Allow; a permissions boundary,
  when the principal has one, must Allow too ("Permissions boundaries for IAM entities": the
  effective permissions are the intersection of the identity-based policies and the boundary);
  and, when the call came through a VPC endpoint, the endpoint policy must Allow ("Control access
  to VPC endpoints using endpoint policies", AWS PrivateLink Guide).

Which denial is reported when several apply: the IAM guide ("Troubleshoot access denied error
messages") says only that "if multiple policy types deny an authorization request, AWS includes
only one of those policy types in the error message". We report, in this fixed order:

  1. explicit_deny_scp       "with an explicit deny in a service control policy"
  2. explicit_deny_identity  "with an explicit deny in an identity-based policy"
  3. explicit_deny_boundary  "with an explicit deny in a permissions boundary"
  4. explicit_deny_endpoint  "with an explicit deny in a VPC endpoint policy"
  5. no_allow_scp            "because no service control policy allows the <action> action"
  6. no_allow_identity       "because no identity-based policy allows the <action> action"
  7. no_allow_boundary       "because no permissions boundary allows the <action> action"
  8. no_allow_endpoint       "because no VPC endpoint policy allows the <action> action"

Explicit denies come first because deny evaluation covers every policy before any allow is
considered. Within each group the order is that of the evaluation flow chart in "Policy
evaluation logic" (SCPs, then identity-based policies, then permissions boundaries); the VPC
endpoint policy, which that chart does not place, stays after the IAM policy types, as it was
before boundaries and SCPs were added (identity-based before endpoint is our choice; AWS does
not say). The phrases are the ones the "Troubleshoot access denied error messages" page gives
for each policy type.
"""

from __future__ import annotations

import base64
import binascii
import copy
import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

__all__ = [
    "PolicyError",
    "UnsupportedOperator",
    "RequestContext",
    "StatementMatch",
    "PolicyResult",
    "Decision",
    "parse_policy",
    "evaluate_policy",
    "evaluate",
    "denial_phrase",
    "denial_message",
    "REASONS",
    "SUPPORTED_OPERATORS",
]

VERSIONS = ("2012-10-17", "2008-10-17")
TOP_ELEMENTS = {"Version", "Id", "Statement"}
STATEMENT_ELEMENTS = {
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
}
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
PARTITIONS = {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

# AWS's own MalformedPolicyDocument texts.
SYNTAX = "Syntax errors in policy."
INVALID_JSON = "This policy contains invalid Json"
LEGACY = "The policy failed legacy parsing"
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
NO_PRINCIPAL_ALLOWED = "Policy document should not specify a principal."
PRINCIPAL_REQUIRED = "Missing required field Principal"
INVALID_PRINCIPAL = "Invalid principal in policy"
DUPLICATE_SID = "Statement IDs (SID) in a single policy must be unique."
VENDOR_PREFIX = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."


class PolicyError(ValueError):
    """A malformed policy document. `.message` is AWS's wording, `.detail` says exactly what and where."""

    def __init__(self, message: str, detail: str | None = None, path: str | None = None):
        self.message = message
        self.detail = detail
        self.path = path
        text = message
        if detail:
            text = f"{message} ({path + ': ' if path else ''}{detail})"
        super().__init__(text)


class UnsupportedOperator(PolicyError):
    """A condition operator that IAM does not define (or this evaluator does not implement).

    Never evaluated as anything: the policy is rejected, so it can never cause a silent allow.
    """

    def __init__(self, operator: str, path: str | None = None):
        self.operator = operator
        super().__init__(SYNTAX, f"unsupported condition operator {operator!r}", path)


@dataclass
class RequestContext:
    action: str
    resource: str
    principal_arn: str
    principal_account: str
    role_arn: str | None = None
    context: dict = field(default_factory=dict)


@dataclass
class StatementMatch:
    policy_name: str
    index: int  # 1-based position of the statement in its policy
    sid: str | None
    effect: str
    statement: dict

    def describe(self) -> str:
        sid = f" ({self.sid})" if self.sid else ""
        return f"{self.policy_name} statement {self.index}{sid} (Effect {self.effect})"


@dataclass
class PolicyResult:
    decision: str  # "Allow" | "Deny" | "NotApplicable"
    matches: list[StatementMatch] = field(default_factory=list)
    # Statements whose Action, Resource (and Principal) matched but whose Condition was false:
    # {"policy_name", "index", "sid", "effect", "statement", "failures": [{"operator", "key",
    #  "expected", "actual", "present", "reason"}], "message"}
    near_misses: list[dict] = field(default_factory=list)
    # Statements whose Action matched but whose Principal or Resource did not:
    # {"policy_name", "index", "sid", "effect", "statement", "element", "expected", "actual", "message"}
    partial_matches: list[dict] = field(default_factory=list)

    @property
    def deny(self) -> StatementMatch | None:
        return next((m for m in self.matches if m.effect == "Deny"), None)

    @property
    def allow(self) -> StatementMatch | None:
        return next((m for m in self.matches if m.effect == "Allow"), None)


REASONS = (
    "allowed",
    "explicit_deny_scp", "explicit_deny_identity", "explicit_deny_boundary", "explicit_deny_endpoint",
    "no_allow_scp", "no_allow_identity", "no_allow_boundary", "no_allow_endpoint",
)


@dataclass
class Decision:
    allowed: bool
    reason: str  # one of REASONS, reported in that order when several apply (see the module docstring)
    deciding: StatementMatch | None  # the Deny statement for explicit_deny_*, else None
    identity: PolicyResult
    endpoint: PolicyResult | None = None  # None: the call did not come through a VPC endpoint
    boundary: PolicyResult | None = None  # None: the principal has no permissions boundary
    scp: PolicyResult | None = None  # None: the account is not governed by SCPs (or is the management account)


# AWS's wording, one place for the whole repository ("Troubleshoot access denied error messages",
# IAM User Guide: "with an explicit deny in a <type> policy" / "because no <type> policy allows the
# <action> action"; for boundaries the page's examples say "permissions boundary" without "policy").
_PHRASES = {
    "explicit_deny_scp": "with an explicit deny in a service control policy",
    "explicit_deny_identity": "with an explicit deny in an identity-based policy",
    "explicit_deny_boundary": "with an explicit deny in a permissions boundary",
    "explicit_deny_endpoint": "with an explicit deny in a VPC endpoint policy",
    "no_allow_scp": "because no service control policy allows the {action} action",
    "no_allow_identity": "because no identity-based policy allows the {action} action",
    "no_allow_boundary": "because no permissions boundary allows the {action} action",
    "no_allow_endpoint": "because no VPC endpoint policy allows the {action} action",
}


def denial_phrase(reason: str, action: str) -> str:
    """The ending AWS puts on an AccessDenied message for `reason` ("" for "allowed")."""
    if reason == "allowed":
        return ""
    return _PHRASES[reason].format(action=action)


def denial_message(principal_arn: str, action: str, resource: str, reason: str) -> str:
    """The whole AccessDenied message as AWS words it for an authorization that `reason` denied."""
    return (f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource} "
            + denial_phrase(reason, action))


# ---------------------------------------------------------------------------------------------
# Patterns: wildcard strings with policy variables, as token tuples.
# A token is one literal character, or STAR / QMARK for a wildcard written in the policy.
STAR = "\x00*"
QMARK = "\x00?"
_VAR = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s]+)\s*,\s*'((?:[^']|'')*)'\s*$")


def _lookup(ctx: dict, key: str) -> Any:
    return ctx.get(key.lower())


def _scalar_for_variable(value: Any) -> str | None:
    """A context value usable as a policy variable: present and single-valued."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        if len(items) != 1:
            return None
        value = items[0]
    return _to_str(value)


def _tokens(text: str, ctx: dict | None, variables: bool, wildcards: bool) -> tuple | None:
    """Tokenise `text`; substitute variables from `ctx`. None when a variable has no value."""
    out: list[str] = []

    def literal(s: str) -> None:
        for ch in s:
            if wildcards and ch == "*":
                out.append(STAR)
            elif wildcards and ch == "?":
                out.append(QMARK)
            else:
                out.append(ch)

    pos = 0
    if variables:
        for m in _VAR.finditer(text):
            literal(text[pos:m.start()])
            pos = m.end()
            inner = m.group(1)
            if inner in ("*", "?", "$"):
                out.append(inner)  # ${*} is a literal asterisk, ${?} a literal question mark
                continue
            d = _DEFAULT.match(inner)
            name, default = (d.group(1), d.group(2).replace("''", "'")) if d else (inner.strip(), None)
            value = _scalar_for_variable(_lookup(ctx or {}, name)) if name else None
            if value is None:
                value = default
            if value is None:
                return None
            out.extend(value)  # substituted text is literal, never a wildcard
    literal(text[pos:])
    return tuple(out)


def _plain(tokens: tuple) -> str:
    return "".join("*" if t == STAR else "?" if t == QMARK else t for t in tokens)


@lru_cache(maxsize=4096)
def _regex(tokens: tuple, ignore_case: bool) -> re.Pattern:
    parts = [".*" if t == STAR else "." if t == QMARK else re.escape(t) for t in tokens]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _glob(tokens: tuple, value: str, ignore_case: bool = False) -> bool:
    return _regex(tokens, ignore_case).fullmatch(value) is not None


def _arn_like(tokens: tuple, value: str) -> bool:
    """Match an ARN one colon-delimited segment at a time (ArnLike; Resource element).

    A pattern of six segments is matched against the value's six segments (the sixth, the
    resource, may itself hold colons). A shorter pattern lets its last segment cover the rest.
    """
    segments: list[tuple] = []
    current: list[str] = []
    for t in tokens:
        if t == ":" and len(segments) < 5:
            segments.append(tuple(current))
            current = []
        else:
            current.append(t)
    segments.append(tuple(current))
    parts = value.split(":", len(segments) - 1)
    if len(parts) != len(segments):
        return False
    return all(_glob(seg, part) for seg, part in zip(segments, parts, strict=True))


# ---------------------------------------------------------------------------------------------
# Values
def _to_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def _to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


_ISO = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"([Zz]|[+-]\d{2}:?\d{2})?)?)?)?$"
)


def _to_datetime(value: Any) -> datetime | None:
    """W3C ISO 8601 profile (YYYY, YYYY-MM, YYYY-MM-DD, ...Thh:mm[:ss[.s]]TZD) or epoch seconds."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text) and not re.fullmatch(r"\d{4}", text):
        return _to_datetime(float(text))
    m = _ISO.match(text)
    if not m:
        return None
    year, month, day, hh, mm, ss, frac, tz = m.groups()
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        dt = datetime(int(year), int(month or 1), int(day or 1), int(hh or 0), int(mm or 0), int(ss or 0), micro)
    except ValueError:
        return None
    if tz and tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        return dt.replace(tzinfo=timezone(timedelta(minutes=offset)))
    return dt.replace(tzinfo=UTC)


def _to_network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return None


def _to_ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        return None


def _to_bytes(value: Any) -> bytes | None:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Condition operators: base name -> (family, comparison, negated)
_BASE_OPERATORS: dict[str, tuple[str, str, bool]] = {
    "StringEquals": ("string", "eq", False),
    "StringNotEquals": ("string", "eq", True),
    "StringEqualsIgnoreCase": ("string", "eqi", False),
    "StringNotEqualsIgnoreCase": ("string", "eqi", True),
    "StringLike": ("string", "like", False),
    "StringNotLike": ("string", "like", True),
    "NumericEquals": ("numeric", "eq", False),
    "NumericNotEquals": ("numeric", "eq", True),
    "NumericLessThan": ("numeric", "lt", False),
    "NumericLessThanEquals": ("numeric", "le", False),
    "NumericGreaterThan": ("numeric", "gt", False),
    "NumericGreaterThanEquals": ("numeric", "ge", False),
    "DateEquals": ("date", "eq", False),
    "DateNotEquals": ("date", "eq", True),
    "DateLessThan": ("date", "lt", False),
    "DateLessThanEquals": ("date", "le", False),
    "DateGreaterThan": ("date", "gt", False),
    "DateGreaterThanEquals": ("date", "ge", False),
    "Bool": ("bool", "eq", False),
    "BinaryEquals": ("binary", "eq", False),
    "IpAddress": ("ip", "in", False),
    "NotIpAddress": ("ip", "in", True),
    "ArnEquals": ("arn", "like", False),
    "ArnLike": ("arn", "like", False),
    "ArnNotEquals": ("arn", "like", True),
    "ArnNotLike": ("arn", "like", True),
    "Null": ("null", "null", False),
}
_BASE_BY_LOWER = {name.lower(): name for name in _BASE_OPERATORS}
SUPPORTED_OPERATORS = tuple(_BASE_OPERATORS)
_VARIABLE_FAMILIES = {"string", "arn", "bool"}  # the operators that accept policy variables
_ORDER = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class _Operator:
    text: str  # as written in the policy
    qualifier: str | None  # "ForAnyValue" | "ForAllValues" | None
    base: str  # canonical base name, e.g. "StringEquals"
    if_exists: bool
    family: str
    comparison: str
    negated: bool


def _parse_operator(text: str, path: str) -> _Operator:
    rest = text
    qualifier = None
    for q in ("ForAnyValue", "ForAllValues"):
        if rest.lower().startswith(q.lower() + ":"):
            qualifier, rest = q, rest[len(q) + 1:]
            break
    if_exists = False
    base = _BASE_BY_LOWER.get(rest.lower())
    if base is None and rest.lower().endswith("ifexists"):
        base = _BASE_BY_LOWER.get(rest[: -len("IfExists")].lower())
        if_exists = True
    if base is None or (base == "Null" and if_exists):
        raise UnsupportedOperator(text, path)
    family, comparison, negated = _BASE_OPERATORS[base]
    return _Operator(text, qualifier, base, if_exists, family, comparison, negated)


@dataclass(frozen=True)
class _Condition:
    op: _Operator
    key: str  # as written
    values: tuple  # raw policy values (strings)
    parsed: tuple | None  # pre-parsed values for families without variables


@dataclass(frozen=True)
class _Statement:
    index: int
    sid: str | None
    effect: str
    raw: dict
    actions: tuple | None
    not_actions: tuple | None
    resources: tuple | None
    not_resources: tuple | None
    principal: dict | None  # type -> tuple of values; "*" as {"*": ("*",)}
    not_principal: dict | None
    conditions: tuple


@dataclass(frozen=True)
class _Policy:
    version: str | None
    variables: bool
    statements: tuple
    document: dict


# ---------------------------------------------------------------------------------------------
# Parsing and validation
def _fail(message: str, detail: str, path: str) -> None:
    raise PolicyError(message, detail, path)


def _strings(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    _fail(SYNTAX, "must be a string or a list of strings", path)
    return []


def _validate_action(action: str, path: str) -> None:
    if action == "*":
        return
    parts = action.split(":")
    if len(parts) == 1:
        _fail(VENDOR_PREFIX, f"action {action!r} has no service prefix", path)
    if len(parts) > 2:
        _fail(ONE_COLON, f"action {action!r}", path)
    if re.search(r"[^a-zA-Z0-9\-.*?]", parts[0]) or not parts[0]:
        _fail(f"Vendor {parts[0]} is not valid", f"action {action!r}", path)


def _validate_resource(resource: str, path: str) -> None:
    if resource == "*":
        return
    if ":" not in resource:
        _fail(f'Resource {resource} must be in ARN format or "*".', "not an ARN", path)
    parts = resource.split(":")
    if parts[0] != "arn" and not any(c in parts[0] for c in "*?"):
        _fail(f'Resource {resource} must be in ARN format or "*".', "an ARN starts with 'arn:'", path)
    if len(parts) < 3:
        _fail("Resource vendor must be fully qualified and cannot contain regexes.", f"resource {resource!r}", path)
    partition = parts[1]
    if not any(c in partition for c in "*?") and partition not in PARTITIONS:
        _fail(f'Partition "{partition}" is not valid for resource "{resource}".', "unknown partition", path)


def _parse_principal(value: Any, path: str) -> dict:
    if value == "*":
        return {"*": ("*",)}
    if not isinstance(value, dict) or not value:
        _fail(INVALID_PRINCIPAL, 'Principal must be "*" or an object such as {"AWS": [...]}', path)
    out: dict[str, tuple] = {}
    for ptype, raw in value.items():
        if ptype not in PRINCIPAL_TYPES:
            _fail(INVALID_PRINCIPAL, f"unknown principal type {ptype!r} (use one of {', '.join(PRINCIPAL_TYPES)})",
                  path)
        items = _strings(raw, f"{path}.{ptype}")
        if not items:
            _fail(INVALID_PRINCIPAL, f"{ptype} lists no principal", path)
        for item in items:
            if not item.strip():
                _fail(INVALID_PRINCIPAL, f"empty {ptype} principal", path)
            if item != "*" and any(c in item for c in "*?"):
                _fail(INVALID_PRINCIPAL, f"{item!r}: a wildcard cannot match part of a principal name or ARN", path)
        out[ptype] = tuple(items)
    return out


def _condition_values(value: Any, path: str) -> tuple:
    items = value if isinstance(value, list) else [value]
    if not items:
        _fail(SYNTAX, "a condition key needs at least one value", path)
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (int, float, str)):
            out.append(item if isinstance(item, str) else str(item))
        else:
            _fail(SYNTAX, "condition values must be strings, numbers, booleans or a list of them", path)
    return tuple(out)


def _preparse(op: _Operator, values: tuple, variables: bool, path: str) -> tuple | None:
    family = op.family
    if family in _VARIABLE_FAMILIES:
        if variables and any("${" in v for v in values):
            return None  # resolved per request
        if family in ("string", "arn"):
            wild = op.comparison == "like"
            return tuple(_tokens(v, None, False, wild) for v in values)
        return tuple(v.lower() for v in values)
    parsed = []
    for v in values:
        if family == "numeric":
            p = _to_decimal(v)
            if p is None:
                _fail(SYNTAX, f"{op.text} needs numbers, got {v!r}", path)
        elif family == "date":
            p = _to_datetime(v)
            if p is None:
                _fail(LEGACY, f"{op.text} needs an ISO 8601 date or epoch seconds, got {v!r}", path)
        elif family == "ip":
            p = _to_network(v)
            if p is None:
                _fail(SYNTAX, f"{op.text} needs an IP address or CIDR, got {v!r}", path)
        elif family == "binary":
            p = _to_bytes(v)
            if p is None:
                _fail(SYNTAX, f"{op.text} needs base-64 values, got {v!r}", path)
        else:  # null
            if v.lower() not in ("true", "false"):
                _fail(SYNTAX, f"Null takes true or false, got {v!r}", path)
            p = v.lower() == "true"
        parsed.append(p)
    return tuple(parsed)


def _parse_statement(st: Any, index: int, variables: bool) -> _Statement:
    path = f"Statement[{index}]"
    if not isinstance(st, dict):
        _fail(SYNTAX, "each statement must be a JSON object", path)
    for key in st:
        if key not in STATEMENT_ELEMENTS:
            _fail(SYNTAX, f"unknown element {key!r} (elements are case-sensitive)", path)
    if "Action" in st and "NotAction" in st:
        _fail(SYNTAX, "a statement cannot have both Action and NotAction", path)
    if "Resource" in st and "NotResource" in st:
        _fail(SYNTAX, "a statement cannot have both Resource and NotResource", path)
    if "Principal" in st and "NotPrincipal" in st:
        _fail(SYNTAX, "a statement cannot have both Principal and NotPrincipal", path)
    effect = st.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        _fail(SYNTAX, f"Effect must be \"Allow\" or \"Deny\", got {effect!r}", f"{path}.Effect")
    if effect not in ("Allow", "Deny"):
        _fail(LEGACY, f"Effect is case-sensitive: write {effect.capitalize()!r}, not {effect!r}", f"{path}.Effect")
    sid = st.get("Sid")
    if sid is not None and not isinstance(sid, str):
        _fail(SYNTAX, "Sid must be a string", f"{path}.Sid")
    elements: dict[str, tuple | None] = {}
    for name in ("Action", "NotAction", "Resource", "NotResource"):
        elements[name] = tuple(_strings(st[name], f"{path}.{name}")) if name in st else None
    condition = st.get("Condition", {})
    if not isinstance(condition, dict):
        _fail(SYNTAX, "Condition must be an object of operator -> {key: value(s)}", f"{path}.Condition")
    conditions = []
    for op_text, block in condition.items():
        cpath = f"{path}.Condition.{op_text}"
        if not isinstance(block, dict):
            _fail(SYNTAX, "each condition operator needs an object of key -> value(s)", cpath)
        op = _parse_operator(op_text, cpath)
        for key, raw in block.items():
            kpath = f"{cpath}.{key}"
            if ":" not in key:
                _fail(VENDOR_PREFIX, f"condition key {key!r} has no prefix such as aws:", kpath)
            values = _condition_values(raw, kpath)
            conditions.append(_Condition(op, key, values, _preparse(op, values, variables, kpath)))
    principal = not_principal = None
    if "Principal" in st:
        principal = _parse_principal(st["Principal"], f"{path}.Principal")
    if "NotPrincipal" in st:
        not_principal = _parse_principal(st["NotPrincipal"], f"{path}.NotPrincipal")
    return _Statement(
        index=index, sid=sid, effect=effect, raw=st,
        actions=elements["Action"], not_actions=elements["NotAction"],
        resources=elements["Resource"], not_resources=elements["NotResource"],
        principal=principal, not_principal=not_principal, conditions=tuple(conditions),
    )


def _compile(doc: dict, kind: str) -> _Policy:
    if kind not in ("identity", "resource"):
        raise ValueError(f"kind must be 'identity' or 'resource', not {kind!r}")
    if not isinstance(doc, dict):
        _fail(SYNTAX, "a policy document is a JSON object", "")
    for key in doc:
        if key not in TOP_ELEMENTS:
            _fail(SYNTAX, f"unknown top-level element {key!r} (allowed: Version, Id, Statement)", "")
    version = doc.get("Version")
    if version is not None and version not in VERSIONS:
        _fail(SYNTAX, f"Version must be \"2012-10-17\" or \"2008-10-17\", got {version!r}", "Version")
    if "Id" in doc and not isinstance(doc["Id"], str):
        _fail(SYNTAX, "Id must be a string", "Id")
    if "Statement" not in doc:
        _fail(SYNTAX, "the policy has no Statement", "")
    raw_statements = doc["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        _fail(SYNTAX, "Statement must be an object or a non-empty list of objects", "Statement")
    variables = version == "2012-10-17"
    statements = [_parse_statement(st, i, variables) for i, st in enumerate(raw_statements, 1)]

    seen: set[str] = set()
    for st in statements:
        if st.sid:
            if st.sid in seen:
                _fail(DUPLICATE_SID, f"Sid {st.sid!r} is used twice", f"Statement[{st.index}].Sid")
            seen.add(st.sid)
    for st in statements:
        acts = st.actions if st.actions is not None else st.not_actions
        if not acts:
            _fail(NO_ACTIONS, "add Action (or NotAction) with at least one action", f"Statement[{st.index}]")
    for st in statements:
        res = st.resources if st.resources is not None else st.not_resources
        if not res:
            _fail(NO_RESOURCES, "add Resource (or NotResource) with at least one ARN or \"*\"",
                  f"Statement[{st.index}]")
        for r in res:
            _validate_resource(r, f"Statement[{st.index}].{'Resource' if st.resources is not None else 'NotResource'}")
    for st in statements:
        for a in st.actions if st.actions is not None else st.not_actions:
            _validate_action(a, f"Statement[{st.index}].{'Action' if st.actions is not None else 'NotAction'}")
    for st in statements:
        has_principal = st.principal is not None or st.not_principal is not None
        if kind == "identity" and has_principal:
            _fail(NO_PRINCIPAL_ALLOWED, "identity-based policies apply to the identity they are attached to",
                  f"Statement[{st.index}]")
        if kind == "resource" and not has_principal:
            _fail(PRINCIPAL_REQUIRED, "resource-based and VPC endpoint policies must name a Principal",
                  f"Statement[{st.index}]")
    normal = {k: copy.deepcopy(doc[k]) for k in ("Version", "Id") if k in doc}
    normal["Statement"] = [copy.deepcopy(st.raw) for st in statements]
    return _Policy(version, variables, tuple(statements), normal)


@lru_cache(maxsize=512)
def _compile_text(text: str, kind: str) -> _Policy:
    try:
        doc = json.loads(text)
    except (ValueError, TypeError) as e:
        raise PolicyError(INVALID_JSON, str(e), "") from None
    return _compile(doc, kind)


_KIND_ALIASES = {"endpoint": "resource", "vpc-endpoint": "resource", "resource-based": "resource"}


def _compiled(doc: str | dict, kind: str) -> _Policy:
    kind = _KIND_ALIASES.get(kind, kind)
    if isinstance(doc, _Policy):
        return doc
    if isinstance(doc, (bytes, bytearray)):
        doc = doc.decode("utf-8")
    if isinstance(doc, str):
        return _compile_text(doc, kind)
    if isinstance(doc, dict):
        try:
            text = json.dumps(doc)
        except (TypeError, ValueError):
            return _compile(doc, kind)
        return _compile_text(text, kind)
    raise PolicyError(SYNTAX, f"a policy document is JSON text or a dict, not {type(doc).__name__}", "")


def parse_policy(doc: str | dict, kind: str = "identity") -> dict:
    """Validate a policy document and return it as a dict (Statement always a list).

    kind "identity": no Principal allowed. kind "resource" (resource-based or VPC endpoint policy;
    "endpoint" is accepted as an alias): every statement needs Principal or NotPrincipal.
    Raises PolicyError / UnsupportedOperator.
    """
    return copy.deepcopy(_compiled(doc, kind).document)


# ---------------------------------------------------------------------------------------------
# Evaluation
_ROOT = re.compile(r"^arn:[^:]+:iam::(\d{12}):root$")


def _principal_matches(principal: dict, req: RequestContext) -> bool:
    for ptype, values in principal.items():
        for v in values:
            if v == "*" and ptype in ("*", "AWS"):
                return True
            if ptype == "AWS":
                if re.fullmatch(r"\d{12}", v):
                    if v == req.principal_account:
                        return True
                    continue
                root = _ROOT.match(v)
                if root:
                    if root.group(1) == req.principal_account:
                        return True
                    continue
                if v == req.principal_arn or (req.role_arn is not None and v == req.role_arn):
                    return True
            elif v == req.principal_arn:
                return True
    return False


@lru_cache(maxsize=4096)
def _static_tokens(text: str) -> tuple:
    return _tokens(text, None, False, True)


def _action_matches(patterns: tuple, action: str) -> bool:
    return any(p == "*" or _glob(_static_tokens(p), action, ignore_case=True) for p in patterns)


def _resource_matches(patterns: tuple, resource: str, ctx: dict, variables: bool) -> bool:
    for p in patterns:
        if p == "*":
            return True
        tokens = _tokens(p, ctx, variables, True)
        if tokens is not None and _arn_like(tokens, resource):
            return True
    return False


def _context_values(ctx: dict, key: str) -> list | None:
    """The request's values for a key: None when absent (or null, or an empty set)."""
    value = _lookup(ctx, key)
    if value is None:
        return None
    items = [v for v in _as_list(value) if v is not None]
    return items or None


def _policy_values(cond: _Condition, ctx: dict, variables: bool) -> tuple:
    if cond.parsed is not None:
        return cond.parsed
    fam = cond.op.family
    if fam in ("string", "arn"):
        wild = cond.op.comparison == "like"
        return tuple(_tokens(v, ctx, variables, wild) for v in cond.values)
    resolved = [_tokens(v, ctx, variables, False) for v in cond.values]  # bool
    return tuple(None if t is None else _plain(t).lower() for t in resolved)


def _positive(cond: _Condition, policy_values: tuple, actual: Any) -> bool:
    """Does one request value match any policy value (the operator without its negation)?"""
    op = cond.op
    fam = op.family
    if fam == "string":
        text = _to_str(actual)
        for pv in policy_values:
            if pv is None:
                continue  # a variable with no value matches nothing
            if op.comparison == "eq" and _plain(pv) == text:
                return True
            if op.comparison == "eqi" and _plain(pv).casefold() == text.casefold():
                return True
            if op.comparison == "like" and _glob(pv, text):
                return True
        return False
    if fam == "arn":
        text = _to_str(actual)
        return any(pv is not None and _arn_like(pv, text) for pv in policy_values)
    if fam == "bool":
        text = _to_str(actual).lower()
        return any(pv is not None and pv == text for pv in policy_values)
    if fam == "numeric":
        num = _to_decimal(actual)
        return num is not None and any(_ORDER[op.comparison](num, pv) for pv in policy_values)
    if fam == "date":
        when = _to_datetime(actual)
        return when is not None and any(_ORDER[op.comparison](when, pv) for pv in policy_values)
    if fam == "ip":
        ip = _to_ip(actual)
        return ip is not None and any(ip.version == net.version and ip in net for net in policy_values)
    if fam == "binary":
        data = _to_bytes(actual)
        if data is None and isinstance(actual, str):
            data = actual.encode()
        return data is not None and any(data == pv for pv in policy_values)
    raise AssertionError(fam)  # pragma: no cover


def _evaluate_condition(cond: _Condition, ctx: dict, variables: bool) -> tuple[bool, str]:
    """(result, reason) for one operator/key pair."""
    op = cond.op
    actual = _context_values(ctx, cond.key)
    if op.family == "null":
        absent = actual is None
        ok = any(want == absent for want in cond.parsed)
        return ok, ("the key is absent" if absent else "the key is present")
    if actual is None:
        if op.qualifier == "ForAllValues":
            return True, "ForAllValues is true when the key is absent"
        if op.qualifier == "ForAnyValue":
            return False, "ForAnyValue is false when the key is absent from the request"
        if op.if_exists:
            return True, "IfExists is true when the key is absent"
        if op.negated:
            return True, "a negated operator is true when the key is absent"
        return False, "the key is absent from the request"
    policy_values = _policy_values(cond, ctx, variables)

    def one(value: Any) -> bool:
        hit = _positive(cond, policy_values, value)
        return not hit if op.negated else hit

    if op.qualifier == "ForAllValues":
        ok = all(one(v) for v in actual)
        return ok, "every request value must match" if not ok else "every request value matches"
    if op.qualifier == "ForAnyValue":
        ok = any(one(v) for v in actual)
        return ok, "no request value matches" if not ok else "a request value matches"
    # Plain operator. For a multivalued key: positive if any value matches; negated if none does.
    hit = any(_positive(cond, policy_values, v) for v in actual)
    ok = not hit if op.negated else hit
    if ok:
        return True, "matches"
    return False, "the value matches a listed value" if op.negated else "the value matches no listed value"


def _shown(values: list | None) -> Any:
    if values is None:
        return None
    shown = [_to_str(v) for v in values]
    return shown[0] if len(shown) == 1 else shown


def _expected(cond: _Condition, ctx: dict, variables: bool) -> list[str]:
    if cond.op.family in _VARIABLE_FAMILIES and variables:
        out = []
        for v in cond.values:
            t = _tokens(v, ctx, True, False)
            out.append(v if t is None else _plain(t))
        return out
    return list(cond.values)


def _failure_message(f: dict) -> str:
    expected = f["expected"][0] if len(f["expected"]) == 1 else f["expected"]
    if not f["present"]:
        return f"{f['key']} is absent from the request; {f['operator']} {expected} is false ({f['reason']})"
    return f"{f['key']} is {f['actual']}; {f['operator']} requires {expected}"


def _entry(name: str, st: _Statement) -> dict:
    return {"policy_name": name, "index": st.index, "sid": st.sid, "effect": st.effect,
            "statement": copy.deepcopy(st.raw)}


def _context(request: RequestContext) -> dict:
    ctx = {str(k).lower(): v for k, v in (request.context or {}).items()}
    # Always present on AWS for an authenticated caller ("AWS global condition context keys").
    ctx.setdefault("aws:principalarn", request.role_arn or request.principal_arn)
    ctx.setdefault("aws:principalaccount", request.principal_account)
    return ctx


def evaluate_policy(doc: str | dict, request: RequestContext, *, name: str = "policy",
                    kind: str = "identity") -> PolicyResult:
    """Evaluate one policy document against a request. Raises PolicyError if it is malformed."""
    policy = _compiled(doc, kind)
    ctx = _context(request)
    result = PolicyResult(decision="NotApplicable")
    for st in policy.statements:
        if st.actions is not None:
            action_ok = _action_matches(st.actions, request.action)
        else:
            action_ok = not _action_matches(st.not_actions, request.action)
        if not action_ok:
            continue
        if st.principal is not None and not _principal_matches(st.principal, request):
            miss = _entry(name, st)
            miss.update(element="Principal", expected=[v for vs in st.principal.values() for v in vs],
                        actual=request.principal_arn,
                        message=f"{request.principal_arn} is not a Principal of this statement")
            result.partial_matches.append(miss)
            continue
        if st.not_principal is not None and _principal_matches(st.not_principal, request):
            miss = _entry(name, st)
            miss.update(element="NotPrincipal", expected=[v for vs in st.not_principal.values() for v in vs],
                        actual=request.principal_arn,
                        message=f"{request.principal_arn} is excluded by NotPrincipal")
            result.partial_matches.append(miss)
            continue
        if st.resources is not None:
            resource_ok = _resource_matches(st.resources, request.resource, ctx, policy.variables)
        else:
            resource_ok = not _resource_matches(st.not_resources, request.resource, ctx, policy.variables)
        if not resource_ok:
            miss = _entry(name, st)
            element = "Resource" if st.resources is not None else "NotResource"
            listed = st.resources if st.resources is not None else st.not_resources
            miss.update(element=element, expected=list(listed), actual=request.resource,
                        message=(f"{request.resource} is not in Resource" if element == "Resource"
                                 else f"{request.resource} is excluded by NotResource"))
            result.partial_matches.append(miss)
            continue
        failures = []
        for cond in st.conditions:
            ok, reason = _evaluate_condition(cond, ctx, policy.variables)
            if not ok:
                values = _context_values(ctx, cond.key)
                f = {"operator": cond.op.text, "key": cond.key, "expected": _expected(cond, ctx, policy.variables),
                     "actual": _shown(values), "present": values is not None, "reason": reason}
                f["message"] = _failure_message(f)
                failures.append(f)
        if failures:
            miss = _entry(name, st)
            miss.update(failures=failures, message="; ".join(f["message"] for f in failures))
            result.near_misses.append(miss)
            continue
        result.matches.append(StatementMatch(name, st.index, st.sid, st.effect, copy.deepcopy(st.raw)))
    if any(m.effect == "Deny" for m in result.matches):
        result.decision = "Deny"
    elif result.matches:
        result.decision = "Allow"
    return result


def _combine(results: list[PolicyResult]) -> PolicyResult:
    out = PolicyResult(decision="NotApplicable")
    for r in results:
        out.matches.extend(r.matches)
        out.near_misses.extend(r.near_misses)
        out.partial_matches.extend(r.partial_matches)
    if any(m.effect == "Deny" for m in out.matches):
        out.decision = "Deny"
    elif out.matches:
        out.decision = "Allow"
    return out


def _scp_result(request: RequestContext, levels: list[list[tuple[str, str | dict]]]) -> PolicyResult:
    """SCPs as AWS Organizations evaluates them: a Deny at any level denies; every level must Allow.

    `levels` runs from the root down to the account; each level lists the SCPs attached there.
    A level with no SCP that allows the action denies it (implicitly), whatever the other levels say
    ("SCP evaluation", AWS Organizations User Guide).
    """
    per_level = [_combine([evaluate_policy(doc, request, name=name, kind="identity") for name, doc in level])
                 for level in levels]
    out = _combine(per_level)
    if out.decision != "Deny":
        out.decision = "Allow" if all(r.decision == "Allow" for r in per_level) else "NotApplicable"
    return out


def evaluate(request: RequestContext, identity_policies: list[tuple[str, str | dict]],
             endpoint_policy: tuple[str, str | dict] | None = None, *,
             permissions_boundary: tuple[str, str | dict] | None = None,
             scps: list[list[tuple[str, str | dict]]] | None = None) -> Decision:
    """AWS's decision for a request.

    identity_policies: the principal's identity-based policies, as (name, document).
    endpoint_policy: (name, document) of the VPC endpoint the call came through, or None.
    permissions_boundary: (name, document) of the principal's permissions boundary, or None.
    scps: None when the account is not in an organization (or is its management account, which
      SCPs do not affect); otherwise the SCP levels, root first, each a list of (name, document).

    Explicit deny anywhere wins; then every SCP level, the identity-based policies, the boundary
    and the endpoint policy must each allow. See the module docstring for the order of reasons.
    """
    identity = _combine([evaluate_policy(doc, request, name=name, kind="identity") for name, doc in identity_policies])
    endpoint = None
    if endpoint_policy is not None:
        ep_name, ep_doc = endpoint_policy
        endpoint = evaluate_policy(ep_doc, request, name=ep_name, kind="resource")
    boundary = None
    if permissions_boundary is not None:
        pb_name, pb_doc = permissions_boundary
        boundary = evaluate_policy(pb_doc, request, name=pb_name, kind="identity")
    scp = _scp_result(request, scps) if scps is not None else None

    def decision(allowed: bool, reason: str, deciding: StatementMatch | None = None) -> Decision:
        return Decision(allowed, reason, deciding, identity, endpoint, boundary, scp)

    if scp is not None and scp.decision == "Deny":
        return decision(False, "explicit_deny_scp", scp.deny)
    if identity.decision == "Deny":
        return decision(False, "explicit_deny_identity", identity.deny)
    if boundary is not None and boundary.decision == "Deny":
        return decision(False, "explicit_deny_boundary", boundary.deny)
    if endpoint is not None and endpoint.decision == "Deny":
        return decision(False, "explicit_deny_endpoint", endpoint.deny)
    if scp is not None and scp.decision != "Allow":
        return decision(False, "no_allow_scp")
    if identity.decision != "Allow":
        return decision(False, "no_allow_identity")
    if boundary is not None and boundary.decision != "Allow":
        return decision(False, "no_allow_boundary")
    if endpoint is not None and endpoint.decision != "Allow":
        return decision(False, "no_allow_endpoint")
    return decision(True, "allowed")
