"""Policy checks before a policy is applied: which global condition keys are single-valued, the set operators
misused on them, and the IAM Access Analyzer findings we know how to produce, in ValidatePolicy's shape.

Sources:

- "Single-valued vs. multivalued context keys" (IAM User Guide): a single-valued key has at most one value in the
  request context (the page's example: "a request can originate from at most one VPC endpoint, so aws:SourceVpce
  is a single-valued context key"); "Do not use condition set operators ForAllValues or ForAnyValue with
  single-valued context keys. Using condition set operators with single-valued context keys can lead to overly
  permissive policies." aws:PrincipalTag/, aws:RequestTag/ and aws:ResourceTag/<tag-key> are single-valued;
  aws:TagKeys is multivalued.
- "AWS global condition context keys" (IAM User Guide): each key's "Value type" line (Single-valued or
  Multivalued). SINGLE_VALUED_GLOBAL_KEYS and MULTIVALUED_GLOBAL_KEYS copy those lines for the keys listed.
- "IAM policy validation check reference" (IAM User Guide, the Access Analyzer policy check reference): the
  findings below, with their issue codes, finding types and findingDetails texts. The page documents
  "Security Warning – ForAllValues with single valued key" (FORALLVALUES_WITH_SINGLE_VALUED_KEY); the version of
  that page we could read (awsdocs/iam-user-guide, May 2023) documents no check for ForAnyValue with a
  single-valued key, so `findings` reports none for it. The workshop's own check (`set_operator_misuse`, used by
  utils.policies) refuses both qualifiers, as the IAM User Guide says.

Pure: imports neither `sandbox` nor `utils`.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring

__all__ = [
    "SINGLE_VALUED_GLOBAL_KEYS",
    "MULTIVALUED_GLOBAL_KEYS",
    "value_type",
    "set_operator_misuse",
    "findings",
    "POLICY_TYPES",
]

SOURCE_SINGLE_VS_MULTI = "IAM User Guide, \"Single-valued vs. multivalued context keys\""

# "Value type – Single-valued" in "AWS global condition context keys" (lower case: key names are case-insensitive).
SINGLE_VALUED_GLOBAL_KEYS = frozenset(k.lower() for k in (
    # properties of the principal
    "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName", "aws:PrincipalType", "aws:userid", "aws:username", "aws:AssumedRoot",
    # properties of a role session
    "aws:FederatedProvider", "aws:TokenIssueTime", "aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent",
    "aws:Ec2InstanceSourceVpc", "aws:Ec2InstanceSourcePrivateIPv4", "aws:SourceIdentity",
    # properties of the network
    "aws:SourceIp", "aws:SourceVpc", "aws:SourceVpcArn", "aws:SourceVpce", "aws:VpcSourceIp",
    "aws:VpceAccount", "aws:VpceOrgID",
    # properties of the resource
    "aws:ResourceAccount", "aws:ResourceOrgID",
    # properties of the request
    "aws:CalledViaFirst", "aws:CalledViaLast", "aws:ViaAWSService", "aws:CurrentTime", "aws:EpochTime",
    "aws:referer", "aws:RequestedRegion", "aws:SecureTransport", "aws:SourceAccount", "aws:SourceArn",
    "aws:SourceOrgID", "aws:UserAgent",
))
# The tag keys with a tag name: one value per tag key.
SINGLE_VALUED_PREFIXES = ("aws:principaltag/", "aws:requesttag/", "aws:resourcetag/")
# "Value type – Multivalued".
MULTIVALUED_GLOBAL_KEYS = frozenset(k.lower() for k in (
    "aws:PrincipalOrgPaths", "aws:PrincipalServiceNamesList", "aws:CalledVia", "aws:TagKeys",
    "aws:SourceOrgPaths", "aws:ResourceOrgPaths", "aws:VpceOrgPaths",
))

SET_QUALIFIERS = ("forallvalues", "foranyvalue")


def value_type(key: str) -> str | None:
    """"single" or "multi" for a global condition key the table knows, else None (service keys, unknown keys)."""
    k = key.lower()
    if k in SINGLE_VALUED_GLOBAL_KEYS or k.startswith(SINGLE_VALUED_PREFIXES):
        return "single"
    if k in MULTIVALUED_GLOBAL_KEYS:
        return "multi"
    return None


def _statements(doc: dict) -> list:
    st = doc.get("Statement", [])
    return [st] if isinstance(st, dict) else st if isinstance(st, list) else []


def set_operator_misuse(document: dict | str) -> list[dict]:
    """Every condition that puts ForAllValues or ForAnyValue on a single-valued key:
    [{"statement": index, "sid": ..., "operator": "ForAnyValue:StringEquals", "key": "aws:sourceVpce",
      "qualifier": "ForAnyValue", "message": ...}]."""
    doc = json.loads(document) if isinstance(document, str) else document
    found = []
    for i, st in enumerate(_statements(doc)):
        cond = st.get("Condition") if isinstance(st, dict) else None
        if not isinstance(cond, dict):
            continue
        for operator, block in cond.items():
            qualifier, _, _ = str(operator).partition(":")
            if qualifier.lower() not in SET_QUALIFIERS or not isinstance(block, dict):
                continue
            for key in block:
                if value_type(key) == "single":
                    found.append({
                        "statement": i, "sid": st.get("Sid"), "operator": operator, "key": key,
                        "qualifier": qualifier,
                        "message": (f"statement {st.get('Sid') or i}: {operator} on {key}, a single-valued key; "
                                    f"write {operator.split(':', 1)[1]}. Set operators on single-valued keys "
                                    f"\"can lead to overly permissive policies\" ({SOURCE_SINGLE_VS_MULTI})."),
                    })
    return found


# ---------------------------------------------------------------- Access Analyzer's findings (ValidatePolicy)

POLICY_TYPES = ("IDENTITY_POLICY", "RESOURCE_POLICY", "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
_LINK = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#"

# issueCode -> (findingType, anchor, findingDetails) from the policy check reference.
CHECKS = {
    "JSON_SYNTAX_ERROR": ("ERROR", "access-analyzer-reference-policy-checks-error-json-syntax-error",
                          "Fix the JSON syntax error at index {index} line {line} column {column}."),
    "MISSING_EFFECT": ("ERROR", "access-analyzer-reference-policy-checks-error-missing-effect",
                       "Add an Effect element to the policy statement with a value of Allow or Deny."),
    "INVALID_EFFECT": ("ERROR", "access-analyzer-reference-policy-checks-error-invalid-effect",
                       "The effect {effect} is not valid. Use Allow or Deny."),
    "MISSING_ACTION": ("ERROR", "access-analyzer-reference-policy-checks-error-missing-action",
                       "Add an Action or NotAction element to the policy statement."),
    "MISSING_RESOURCE": ("ERROR", "access-analyzer-reference-policy-checks-error-missing-resource",
                         "Add a Resource or NotResource element to the policy statement."),
    "MISSING_PRINCIPAL": ("ERROR", "access-analyzer-reference-policy-checks-error-missing-principal",
                          "Add a Principal element to the policy statement."),
    "FORALLVALUES_WITH_SINGLE_VALUED_KEY": (
        "SECURITY_WARNING",
        "access-analyzer-reference-policy-checks-security-warning-forallvalues-with-single-valued-key",
        "Using ForAllValues qualifier with the single-valued condition key {key} can be overly permissive. "
        "We recommend that you remove ForAllValues:."),
    "MISSING_VERSION": ("WARNING", "access-analyzer-reference-policy-checks-general-warning-missing-version",
                        "We recommend that you specify the Version element to help you with debugging permission "
                        "issues."),
}


class _Located:
    """JSON text parsed with the (start, end) offsets of every value and object key, by path."""

    _WS = re.compile(r"[ \t\n\r]*")
    _NUM = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")

    def __init__(self, text: str):
        self.text = text
        self.spans: dict[tuple, tuple[int, int]] = {}  # path -> span of the value; path + ("#key",) -> the key

    def parse(self):
        value, end = self._value(self._ws(0), ())
        if self._ws(end) != len(self.text):
            raise json.JSONDecodeError("Extra data", self.text, self._ws(end))
        return value

    def _ws(self, i: int) -> int:
        return self._WS.match(self.text, i).end()

    def _value(self, i: int, path: tuple):
        t = self.text
        if i >= len(t):
            raise json.JSONDecodeError("Expecting value", t, i)
        c = t[i]
        start = i
        if c == "{":
            obj, i = {}, self._ws(i + 1)
            if t.startswith("}", i):
                self.spans[path] = (start, i + 1)
                return obj, i + 1
            while True:
                if not t.startswith('"', i):
                    raise json.JSONDecodeError("Expecting property name enclosed in double quotes", t, i)
                key, kend = scanstring(t, i + 1)
                self.spans[(*path, key, "#key")] = (i, kend)
                i = self._ws(kend)
                if not t.startswith(":", i):
                    raise json.JSONDecodeError("Expecting ':' delimiter", t, i)
                obj[key], i = self._value(self._ws(i + 1), (*path, key))
                i = self._ws(i)
                if t.startswith(",", i):
                    i = self._ws(i + 1)
                    continue
                if t.startswith("}", i):
                    self.spans[path] = (start, i + 1)
                    return obj, i + 1
                raise json.JSONDecodeError("Expecting ',' delimiter", t, i)
        if c == "[":
            arr, i = [], self._ws(i + 1)
            if t.startswith("]", i):
                self.spans[path] = (start, i + 1)
                return arr, i + 1
            while True:
                v, i = self._value(i, (*path, len(arr)))
                arr.append(v)
                i = self._ws(i)
                if t.startswith(",", i):
                    i = self._ws(i + 1)
                    continue
                if t.startswith("]", i):
                    self.spans[path] = (start, i + 1)
                    return arr, i + 1
                raise json.JSONDecodeError("Expecting ',' delimiter", t, i)
        if c == '"':
            s, end = scanstring(t, i + 1)
            self.spans[path] = (start, end)
            return s, end
        for lit, val in (("true", True), ("false", False), ("null", None)):
            if t.startswith(lit, i):
                self.spans[path] = (start, i + len(lit))
                return val, i + len(lit)
        m = self._NUM.match(t, i)
        if m:
            self.spans[path] = (start, m.end())
            return json.loads(m.group()), m.end()
        raise json.JSONDecodeError("Expecting value", t, i)

    def position(self, offset: int) -> dict:
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1)
        return {"line": line, "column": column, "offset": offset}

    def span(self, path: tuple, key: bool = False) -> dict:
        at = self.spans.get((*path, "#key") if key else path) or self.spans.get(path) or (0, len(self.text))
        return {"start": self.position(at[0]), "end": self.position(at[1])}


def _finding(code: str, located: _Located | None, path: tuple, at_key: bool = False, **values) -> dict:
    kind, anchor, details = CHECKS[code]
    aa_path = [{"index": p} if isinstance(p, int) else {"value": p} for p in path]
    location = {"path": aa_path}
    if located is not None:
        location["span"] = located.span(path, key=at_key)
    return {"findingDetails": details.format(**values), "findingType": kind, "issueCode": code,
            "learnMoreLink": _LINK + anchor, "locations": [location]}


def findings(policy_document: str, policy_type: str) -> list[dict]:
    """The Access Analyzer findings (ValidatePolicy's `findings`) that these checks know for the document.

    Only the checks in CHECKS are made; Access Analyzer makes many more (an empty list here is not "Access Analyzer
    would find nothing").
    """
    located = _Located(policy_document)
    try:
        doc = located.parse()
    except json.JSONDecodeError as exc:
        pos = {"line": exc.lineno, "column": exc.colno - 1, "offset": exc.pos}
        kind, anchor, details = CHECKS["JSON_SYNTAX_ERROR"]
        return [{"findingDetails": details.format(index=exc.pos, line=exc.lineno, column=exc.colno - 1),
                 "findingType": kind, "issueCode": "JSON_SYNTAX_ERROR", "learnMoreLink": _LINK + anchor,
                 "locations": [{"path": [], "span": {"start": pos, "end": pos}}]}]
    if not isinstance(doc, dict):
        return [_finding("JSON_SYNTAX_ERROR", None, (), index=0, line=1, column=0)]
    out = []
    if "Version" not in doc:
        out.append(_finding("MISSING_VERSION", located, ()))
    statements = doc.get("Statement", [])
    listed = isinstance(statements, list)
    for i, st in enumerate(statements if listed else [statements]):
        path = ("Statement", i) if listed else ("Statement",)
        if not isinstance(st, dict):
            continue
        if "Effect" not in st:
            out.append(_finding("MISSING_EFFECT", located, path))
        elif st["Effect"] not in ("Allow", "Deny"):
            out.append(_finding("INVALID_EFFECT", located, (*path, "Effect"), effect=st["Effect"]))
        if "Action" not in st and "NotAction" not in st:
            out.append(_finding("MISSING_ACTION", located, path))
        if "Resource" not in st and "NotResource" not in st:
            out.append(_finding("MISSING_RESOURCE", located, path))
        if policy_type == "RESOURCE_POLICY" and "Principal" not in st and "NotPrincipal" not in st:
            out.append(_finding("MISSING_PRINCIPAL", located, path))
        cond = st.get("Condition")
        if isinstance(cond, dict):
            for operator, block in cond.items():
                if not isinstance(block, dict) or str(operator).partition(":")[0].lower() != "forallvalues":
                    continue
                for key in block:
                    if value_type(key) == "single":
                        out.append(_finding("FORALLVALUES_WITH_SINGLE_VALUED_KEY", located,
                                            (*path, "Condition", operator, key), at_key=True, key=key))
    return out
