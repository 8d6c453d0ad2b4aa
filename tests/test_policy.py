"""Unit table for iampolicy: each case names the AWS IAM documentation rule it checks.

Doc pages (AWS IAM User Guide unless noted):
  [ops]   IAM JSON policy elements: Condition operators
  [multi] Conditions with multiple context keys or values / Single-valued vs. multivalued context keys
  [vars]  IAM policy elements: Variables and tags
  [act]   IAM JSON policy elements: Action / NotAction
  [res]   IAM JSON policy elements: Resource / NotResource
  [prin]  AWS JSON policy elements: Principal / NotPrincipal
  [ver]   IAM JSON policy elements: Version / Statement
  [eval]  Policy evaluation logic; How AWS enforcement code logic evaluates requests
  [vpce]  AWS PrivateLink Guide: Control access to VPC endpoints using endpoint policies
  [deny]  Troubleshoot access denied error messages
  [gram]  IAM JSON policy grammar; MalformedPolicyDocument texts returned by IAM
  [pb]    Permissions boundaries for IAM entities
  [scp]   AWS Organizations User Guide: SCP evaluation (every level from the root to the account must Allow)
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from iampolicy import (
    REASONS,
    PolicyError,
    RequestContext,
    UnsupportedOperator,
    denial_message,
    denial_phrase,
    evaluate,
    evaluate_policy,
    parse_policy,
)

ACCT = "123456789012"
OTHER = "210987654321"
ROLE = f"arn:aws:iam::{ACCT}:role/Bedrock-GenAI-Stack-FunctionRole"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/Bedrock-GenAI-Stack-FunctionRole/bedrock-fn"
USER = f"arn:aws:iam::{ACCT}:user/alice"
PROFILE = f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/us.amazon.nova-micro-v1:0"


def fm(region: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/amazon.nova-micro-v1:0"


PROFILE_RESOURCES = [PROFILE, fm("us-east-1"), fm("us-east-2"), fm("us-west-2")]
VPCE = "vpce-0a1b2c3d4e5f60718"


def req(action="bedrock:InvokeModel", resource=PROFILE, context=None, principal=SESSION, account=ACCT, role=ROLE):
    return RequestContext(action=action, resource=resource, principal_arn=principal, principal_account=account,
                          role_arn=role, context=dict(context or {}))


def stmt(effect="Allow", action="bedrock:InvokeModel", resource="*", **extra):
    st = {"Effect": effect}
    if action is not None:
        st["Action"] = action
    if resource is not None:
        st["Resource"] = resource
    st.update(extra)
    return st


def doc(*statements, version="2012-10-17"):
    d = {"Statement": list(statements)}
    if version is not None:
        d = {"Version": version, **d}
    return d


def endpoint_policy(effect="Allow", principal=ROLE, resources=PROFILE_RESOURCES):
    """The workshop's endpoint policy (notebook 02): the Lambda role, InvokeModel, the profile's ARNs."""
    return doc(stmt(effect, "bedrock:InvokeModel", list(resources), Principal={"AWS": principal}))


def sourcevpce_policy(vpce=VPCE):
    """The article's `lambda-bedrock-sourcevpce-access-only` inline policy, verbatim apart from the ID."""
    return {
        "Id": "lambda-bedrock-sourcevpce-access-only",
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["bedrock:ListFoundationModels", "bedrock:InvokeModel"],
            "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:sourceVpce": [vpce]}},
        }],
    }


# ---------------------------------------------------------------------------------------------
# Condition operators: an Allow statement with this Condition; True = the statement applies.
NOW = "2026-11-25T21:00:00Z"
CONDITIONS = [
    # String operators
    ("[ops] StringEquals: exact match", {"StringEquals": {"aws:SourceVpce": VPCE}}, {"aws:SourceVpce": VPCE}, True),
    ("[ops] StringEquals: case-sensitive", {"StringEquals": {"aws:SourceVpce": VPCE.upper()}},
     {"aws:SourceVpce": VPCE}, False),
    ("[multi] several values for one key are ORed", {"StringEquals": {"aws:SourceVpce": ["vpce-x", VPCE]}},
     {"aws:SourceVpce": VPCE}, True),
    ("[ops] key absent from the request: positive operator is false", {"StringEquals": {"aws:SourceVpce": VPCE}},
     {}, False),
    ("[ops] StringNotEquals: different value matches", {"StringNotEquals": {"aws:SourceVpce": "vpce-x"}},
     {"aws:SourceVpce": VPCE}, True),
    ("[multi] negated operator with several values is a NOR", {"StringNotEquals": {"aws:SourceVpce": ["vpce-x", VPCE]}},
     {"aws:SourceVpce": VPCE}, False),
    ("[ops] key absent: negated operator is true", {"StringNotEquals": {"aws:SourceVpce": VPCE}}, {}, True),
    ("[ops] StringEqualsIgnoreCase", {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "ML"}},
     {"aws:PrincipalTag/team": "ml"}, True),
    ("[ops] StringNotEqualsIgnoreCase: case-only difference is equal",
     {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "ML"}}, {"aws:PrincipalTag/team": "ml"}, False),
    ("[ops] StringLike: * matches many characters", {"StringLike": {"s3:prefix": "home/*"}},
     {"s3:prefix": "home/alice/x"}, True),
    ("[ops] StringLike: ? matches exactly one character", {"StringLike": {"aws:SourceVpce": "vpce-?"}},
     {"aws:SourceVpce": "vpce-ab"}, False),
    ("[ops] StringLike: is case-sensitive", {"StringLike": {"s3:prefix": "Home/*"}}, {"s3:prefix": "home/x"}, False),
    ("[ops] StringNotLike: matching value is false", {"StringNotLike": {"s3:prefix": "home/*"}},
     {"s3:prefix": "home/a"}, False),
    ("[ops] StringNotLike: key absent is true", {"StringNotLike": {"s3:prefix": "home/*"}}, {}, True),
    ("[ops] condition keys are case-insensitive", {"StringEquals": {"AWS:SOURCEVPCE": VPCE}},
     {"aws:SourceVpce": VPCE}, True),
    ("[multi] several keys under one operator are ANDed",
     {"StringEquals": {"aws:SourceVpce": VPCE, "aws:SourceVpc": "vpc-1"}},
     {"aws:SourceVpce": VPCE, "aws:SourceVpc": "vpc-2"}, False),
    ("[multi] several operators are ANDed",
     {"StringEquals": {"aws:SourceVpce": VPCE}, "Bool": {"aws:SecureTransport": "true"}},
     {"aws:SourceVpce": VPCE, "aws:SecureTransport": False}, False),
    ("[ops] ...IfExists: absent key is true", {"StringEqualsIfExists": {"aws:SourceVpce": VPCE}}, {}, True),
    ("[ops] ...IfExists: present key is checked", {"StringEqualsIfExists": {"aws:SourceVpce": VPCE}},
     {"aws:SourceVpce": "vpce-x"}, False),
    ("[ops] StringNotEqualsIfExists: absent key is true (a Deny still applies)",
     {"StringNotEqualsIfExists": {"aws:SourceVpce": VPCE}}, {}, True),
    # Numeric
    ("[ops] NumericLessThanEquals: 5 <= 10", {"NumericLessThanEquals": {"s3:max-keys": "10"}},
     {"s3:max-keys": "5"}, True),
    ("[ops] NumericLessThanEquals: 11 > 10", {"NumericLessThanEquals": {"s3:max-keys": "10"}},
     {"s3:max-keys": 11}, False),
    ("[ops] NumericEquals compares numbers, not text", {"NumericEquals": {"s3:max-keys": 10}},
     {"s3:max-keys": "10.0"}, True),
    ("[ops] NumericNotEquals: absent key is true", {"NumericNotEquals": {"s3:max-keys": "10"}}, {}, True),
    ("[ops] NumericLessThan", {"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": 10}, False),
    ("[ops] NumericGreaterThan", {"NumericGreaterThan": {"s3:max-keys": "10"}}, {"s3:max-keys": 11}, True),
    ("[ops] NumericGreaterThanEquals", {"NumericGreaterThanEquals": {"s3:max-keys": "10"}},
     {"s3:max-keys": 10}, True),
    ("[ops] Numeric: a non-numeric request value does not match", {"NumericEquals": {"s3:max-keys": "10"}},
     {"s3:max-keys": "ten"}, False),
    # Date
    ("[ops] DateGreaterThan with ISO 8601", {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:01Z"}},
     {"aws:CurrentTime": NOW}, True),
    ("[ops] DateLessThan with epoch seconds", {"DateLessThan": {"aws:CurrentTime": "1577836800"}},
     {"aws:CurrentTime": NOW}, False),
    ("[ops] DateEquals compares instants across time zones",
     {"DateEquals": {"aws:TokenIssueTime": "2026-11-26T06:00:00+09:00"}}, {"aws:TokenIssueTime": NOW}, True),
    ("[ops] DateNotEquals: absent key is true", {"DateNotEquals": {"aws:TokenIssueTime": NOW}}, {}, True),
    ("[ops] DateLessThanEquals with a datetime in the request",
     {"DateLessThanEquals": {"aws:CurrentTime": "2026-12-31"}},
     {"aws:CurrentTime": datetime(2026, 12, 31, tzinfo=UTC)}, True),
    ("[ops] DateGreaterThanEquals with a W3C date (YYYY-MM)", {"DateGreaterThanEquals": {"aws:CurrentTime": "2027-01"}},
     {"aws:CurrentTime": NOW}, False),
    # Bool
    ("[ops] Bool true", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": True}, True),
    ("[ops] Bool false does not match true", {"Bool": {"aws:SecureTransport": "false"}},
     {"aws:SecureTransport": "true"}, False),
    ("[ops] Bool: absent key is false", {"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {}, False),
    ("[ops] BoolIfExists: absent key is true", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, {}, True),
    ("[gram] condition value may be a JSON boolean", {"Bool": {"aws:SecureTransport": True}},
     {"aws:SecureTransport": "TRUE"}, True),
    # Binary
    ("[ops] BinaryEquals compares base-64 bytes", {"BinaryEquals": {"test:blob": base64.b64encode(b"abc").decode()}},
     {"test:blob": b"abc"}, True),
    # IP
    ("[ops] IpAddress: address inside the CIDR", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
     {"aws:SourceIp": "203.0.113.7"}, True),
    ("[ops] IpAddress: address without prefix means /32", {"IpAddress": {"aws:SourceIp": "203.0.113.7"}},
     {"aws:SourceIp": "203.0.113.8"}, False),
    ("[ops] NotIpAddress: address inside is false", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/16"}},
     {"aws:SourceIp": "10.0.1.5"}, False),
    ("[ops] NotIpAddress: address outside is true", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/16"}},
     {"aws:SourceIp": "192.0.2.1"}, True),
    ("[ops] IpAddress: IPv6 range", {"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}},
     {"aws:SourceIp": "2001:db8:1234:5678::9"}, True),
    ("[ops] IpAddress: absent aws:SourceIp (call through a VPC endpoint) is false",
     {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {}, False),
    # ARN
    ("[ops] ArnLike: wildcard in one segment", {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic"}},
     {"aws:SourceArn": "arn:aws:sns:us-east-2:123456789012:topic"}, True),
    ("[ops] ArnLike: * does not cross ARN segments (doc example)",
     {"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
     {"aws:SourceArn": "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"},
     False),
    ("[ops] StringLike matches where ArnLike does not (doc example)",
     {"StringLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}},
     {"aws:SourceArn": "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"},
     True),
    ("[ops] ArnEquals behaves like ArnLike", {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:role/Bedrock-*"}},
     {"aws:PrincipalArn": ROLE}, True),
    ("[ops] ArnNotEquals: absent key is true", {"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:*:*:t"}}, {}, True),
    ("[ops] ArnNotLike: matching ARN is false", {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}},
     {"aws:PrincipalArn": ROLE}, False),
    # Null
    ("[ops] Null true: key absent", {"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    ("[ops] Null true: key present", {"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": NOW}, False),
    ("[ops] Null false: key present", {"Null": {"aws:TokenIssueTime": False}}, {"aws:TokenIssueTime": NOW}, True),
    # Set operators
    ("[multi] ForAnyValue: one request value matches", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}},
     {"aws:TagKeys": ["z", "b"]}, True),
    ("[multi] ForAnyValue: absent key is false", {"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}}, {}, False),
    ("[multi] ForAllValues: absent key is true", {"ForAllValues:StringEquals": {"aws:TagKeys": "a"}}, {}, True),
    ("[multi] ForAllValues: every request value is listed", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
     {"aws:TagKeys": ["b", "a"]}, True),
    ("[multi] ForAllValues: one request value not listed", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
     {"aws:TagKeys": ["a", "c"]}, False),
    ("[multi] ForAllValues: empty set is true", {"ForAllValues:StringEquals": {"aws:TagKeys": "a"}},
     {"aws:TagKeys": []}, True),
    ("[multi] ForAnyValue: empty set is false", {"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}},
     {"aws:TagKeys": []}, False),
    ("[multi] ForAllValues:StringNotLike: all values lack the prefix (doc example)",
     {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}, {"aws:TagKeys": ["key2:audit"]}, True),
    ("[multi] ForAllValues:StringNotLike: a value has the prefix (doc example)",
     {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}, {"aws:TagKeys": ["key1:hr", "key2:x"]}, False),
    ("[multi] ForAnyValue:StringNotEquals: one value differs",
     {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["a", "b"]}, True),
    ("[multi] ForAnyValue with IfExists is still false for an absent key",
     {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "team"}}, {}, False),
    ("[multi] ForAllValues:StringLike with wildcards", {"ForAllValues:StringLike": {"aws:TagKeys": "cost-*"}},
     {"aws:TagKeys": ["cost-center", "cost-owner"]}, True),
    ("[multi] plain operator on a multivalued key: any value may match",
     {"StringEquals": {"aws:TagKeys": "b"}}, {"aws:TagKeys": ["a", "b"]}, True),
    # Set operators on a single-valued key ("Single-valued vs. multivalued context keys": AWS evaluates the one value
    # as a set of one; an absent key makes ForAllValues true and ForAnyValue false, which is why AWS says not to).
    ("[single] ForAnyValue on aws:SourceVpce: the request's one value matches",
     {"ForAnyValue:StringEquals": {"aws:sourceVpce": [VPCE]}}, {"aws:SourceVpce": VPCE}, True),
    ("[single] ForAnyValue on aws:SourceVpce: another endpoint does not match",
     {"ForAnyValue:StringEquals": {"aws:sourceVpce": [VPCE]}}, {"aws:SourceVpce": "vpce-0ffffffffffffffff"}, False),
    ("[single] ForAnyValue on aws:SourceVpce: a request from outside any endpoint is false",
     {"ForAnyValue:StringEquals": {"aws:sourceVpce": [VPCE]}}, {}, False),
    ("[single] ForAllValues on aws:SourceVpce: a request from outside any endpoint is TRUE (overly permissive)",
     {"ForAllValues:StringEquals": {"aws:sourceVpce": [VPCE]}}, {}, True),
    ("[single] ForAllValues on aws:SourceVpce: another endpoint does not match",
     {"ForAllValues:StringEquals": {"aws:sourceVpce": [VPCE]}}, {"aws:SourceVpce": "vpce-0ffffffffffffffff"}, False),
    ("[single] StringEquals on aws:SourceVpce: a request from outside any endpoint is false",
     {"StringEquals": {"aws:sourceVpce": [VPCE]}}, {}, False),
    # Policy variables in condition values
    ("[vars] ${aws:username} in a condition value", {"StringEquals": {"s3:prefix": "home/${aws:username}"}},
     {"aws:username": "alice", "s3:prefix": "home/alice"}, True),
    ("[vars] variable with no value: StringEquals does not match",
     {"StringEquals": {"s3:prefix": "home/${aws:username}"}}, {"s3:prefix": "home/"}, False),
    ("[vars] variable with no value: StringNotEquals matches",
     {"StringNotEquals": {"s3:prefix": "home/${aws:username}"}}, {"s3:prefix": "home/alice"}, True),
    ("[vars] default value ${key, 'default'}", {"StringEquals": {"s3:prefix": "${aws:username, 'nobody'}"}},
     {"s3:prefix": "nobody"}, True),
    ("[vars] ${*} is a literal asterisk, not a wildcard", {"StringLike": {"s3:prefix": "a${*}b"}},
     {"s3:prefix": "axb"}, False),
    ("[vars] a multivalued key cannot be a variable", {"StringEquals": {"s3:prefix": "${aws:TagKeys}"}},
     {"aws:TagKeys": ["a", "b"], "s3:prefix": "a"}, False),
]


@pytest.mark.parametrize("rule,condition,context,applies", CONDITIONS, ids=[c[0] for c in CONDITIONS])
def test_condition_operators(rule, condition, context, applies):
    result = evaluate_policy(doc(stmt(Condition=condition)), req(context=context))
    assert result.decision == ("Allow" if applies else "NotApplicable"), rule
    assert bool(result.near_misses) is not applies


# ---------------------------------------------------------------------------------------------
# Policy elements: (rule, policy, kind, request, expected decision)
def _principal_doc(principal, effect="Allow", element="Principal"):
    return doc(stmt(effect, "bedrock:InvokeModel", "*", **{element: principal}))


ELEMENTS = [
    ("[act] Action exact match", doc(stmt()), "identity", req(), "Allow"),
    ("[act] Action names are case-insensitive", doc(stmt(action="Bedrock:invokemodel")), "identity", req(), "Allow"),
    ("[act] * wildcard in the action name", doc(stmt(action="bedrock:Invoke*")), "identity", req(), "Allow"),
    ("[act] ? wildcard matches one character", doc(stmt(action="bedrock:InvokeMode?")), "identity", req(), "Allow"),
    ("[act] service:* ", doc(stmt(action="bedrock:*")), "identity", req(), "Allow"),
    ("[act] Action * matches every action", doc(stmt(action="*")), "identity", req(action="ec2:RunInstances"),
     "Allow"),
    ("[act] other service does not match", doc(stmt(action="bedrock-runtime:InvokeModel")), "identity", req(),
     "NotApplicable"),
    ("[act] list of actions", doc(stmt(action=["bedrock:ListFoundationModels", "bedrock:InvokeModel"])), "identity",
     req(), "Allow"),
    ("[act] NotAction: listed action is excluded", doc(stmt(action=None, NotAction="bedrock:Invoke*")), "identity",
     req(), "NotApplicable"),
    ("[act] NotAction: any other action matches", doc(stmt(action=None, NotAction="iam:*")), "identity", req(),
     "Allow"),
    ("[res] exact ARN", doc(stmt(resource=PROFILE)), "identity", req(), "Allow"),
    ("[res] Resource matching is case-sensitive", doc(stmt(resource=PROFILE.replace("nova", "Nova"))), "identity",
     req(), "NotApplicable"),
    ("[res] wildcard region in a foundation-model ARN (the article's policy)",
     doc(stmt(resource="arn:aws:bedrock:*::foundation-model/amazon.nova-micro-v1:0")), "identity",
     req(resource=fm("us-west-2")), "Allow"),
    ("[res] wildcard account segment", doc(stmt(resource="arn:aws:bedrock:us-east-1:*:inference-profile/*")),
     "identity", req(), "Allow"),
    ("[res] * stays inside its ARN segment", doc(stmt(resource="arn:aws:bedrock:*:inference-profile/*")),
     "identity", req(), "NotApplicable"),
    ("[res] account segment must match (foundation models have none)",
     doc(stmt(resource=f"arn:aws:bedrock:*:{ACCT}:*")), "identity", req(resource=fm("us-east-1")), "NotApplicable"),
    ("[res] NotResource: other resources match", doc(stmt(resource=None, NotResource=fm("us-east-1"))), "identity",
     req(), "Allow"),
    ("[res] NotResource: the listed resource is excluded", doc(stmt(resource=None, NotResource=PROFILE)), "identity",
     req(), "NotApplicable"),
    ("[vars] ${aws:username} in Resource", doc(stmt(resource="arn:aws:s3:::bucket/home/${aws:username}/*")),
     "identity", req(resource="arn:aws:s3:::bucket/home/alice/f", context={"aws:username": "alice"}), "Allow"),
    ("[vars] Resource variable with no value matches nothing",
     doc(stmt(resource="arn:aws:s3:::bucket/home/${aws:username}/*")), "identity",
     req(resource="arn:aws:s3:::bucket/home/alice/f"), "NotApplicable"),
    ("[vars] Version 2008-10-17 takes ${...} literally",
     doc(stmt(resource="arn:aws:s3:::bucket/${aws:username}"), version="2008-10-17"), "identity",
     req(resource="arn:aws:s3:::bucket/${aws:username}", context={"aws:username": "alice"}), "Allow"),
    ("[ver] no Version: variables are literal (2008-10-17 rules)",
     doc(stmt(resource="arn:aws:s3:::bucket/${aws:username}"), version=None), "identity",
     req(resource="arn:aws:s3:::bucket/alice", context={"aws:username": "alice"}), "NotApplicable"),
    ("[ver] Statement may be a single object", {"Version": "2012-10-17", "Statement": stmt()}, "identity", req(),
     "Allow"),
    ("[eval] Deny statement gives Deny", doc(stmt("Deny")), "identity", req(), "Deny"),
    ("[eval] explicit Deny overrides Allow in the same policy", doc(stmt(), stmt("Deny")), "identity", req(), "Deny"),
    ("[eval] no matching statement: implicit deny", doc(stmt(action="s3:GetObject")), "identity", req(),
     "NotApplicable"),
    ("[prin] Principal \"*\"", _principal_doc("*"), "resource", req(), "Allow"),
    ("[prin] Principal {\"AWS\": \"*\"}", _principal_doc({"AWS": "*"}), "resource", req(), "Allow"),
    ("[prin] account ID means every principal of the account", _principal_doc({"AWS": ACCT}), "resource", req(),
     "Allow"),
    ("[prin] arn:aws:iam::acct:root is the account, not only the root user",
     _principal_doc({"AWS": f"arn:aws:iam::{ACCT}:root"}), "resource", req(), "Allow"),
    ("[prin] another account does not match", _principal_doc({"AWS": OTHER}), "resource", req(), "NotApplicable"),
    ("[prin] role ARN matches the role's sessions", _principal_doc({"AWS": ROLE}), "resource", req(), "Allow"),
    ("[prin] assumed-role session ARN", _principal_doc({"AWS": SESSION}), "resource", req(), "Allow"),
    ("[prin] another session of the role does not match a session principal",
     _principal_doc({"AWS": SESSION.replace("bedrock-fn", "other")}), "resource", req(), "NotApplicable"),
    ("[prin] another role does not match", _principal_doc({"AWS": f"arn:aws:iam::{ACCT}:role/Other"}), "resource",
     req(), "NotApplicable"),
    ("[prin] IAM user ARN", _principal_doc({"AWS": USER}), "resource", req(principal=USER, role=None), "Allow"),
    ("[prin] a list of principals is ORed", _principal_doc({"AWS": [OTHER, ROLE]}), "resource", req(), "Allow"),
    ("[prin] NotPrincipal excludes the named principal",
     _principal_doc({"AWS": ROLE}, effect="Deny", element="NotPrincipal"), "resource", req(), "NotApplicable"),
    ("[prin] NotPrincipal applies to everyone else",
     _principal_doc({"AWS": f"arn:aws:iam::{ACCT}:role/Other"}, effect="Deny", element="NotPrincipal"), "resource",
     req(), "Deny"),
    ("[vpce] default endpoint policy allows everything",
     {"Statement": [{"Action": "*", "Effect": "Allow", "Principal": "*", "Resource": "*"}]}, "resource", req(),
     "Allow"),
]


@pytest.mark.parametrize("rule,policy,kind,request_,expected", ELEMENTS, ids=[c[0] for c in ELEMENTS])
def test_policy_elements(rule, policy, kind, request_, expected):
    assert evaluate_policy(policy, request_, kind=kind).decision == expected, rule


# ---------------------------------------------------------------------------------------------
# Decisions across identity-based and VPC endpoint policies: (rule, identity, endpoint, request, reason)
ALLOW_ALL = doc(stmt(action="bedrock:*"))
DENY_ALL = doc(stmt("Deny", action="bedrock:*"))
NOTHING = doc(stmt(action="s3:GetObject"))
VIA_VPCE = {"aws:SourceVpce": VPCE, "aws:SourceVpc": "vpc-1"}

DECISIONS = [
    ("[eval] identity Allow, no endpoint: allowed", [("p", ALLOW_ALL)], None, req(), "allowed"),
    ("[eval] no identity-based Allow: implicit deny", [("p", NOTHING)], None, req(), "no_allow_identity"),
    ("[eval] no identity-based policy at all: implicit deny", [], None, req(), "no_allow_identity"),
    ("[eval] identity Deny beats identity Allow in another policy", [("a", ALLOW_ALL), ("d", DENY_ALL)], None, req(),
     "explicit_deny_identity"),
    ("[vpce] both allow: allowed", [("p", ALLOW_ALL)], ("e", endpoint_policy()), req(context=VIA_VPCE), "allowed"),
    ("[vpce] endpoint Deny beats identity Allow", [("p", ALLOW_ALL)], ("e", endpoint_policy("Deny")),
     req(context=VIA_VPCE), "explicit_deny_endpoint"),
    ("[vpce] endpoint must also allow", [("p", ALLOW_ALL)], ("e", doc(stmt(action="s3:*", Principal="*"))),
     req(context=VIA_VPCE), "no_allow_endpoint"),
    ("[vpce] endpoint Allow does not replace the identity Allow", [("p", NOTHING)], ("e", endpoint_policy()),
     req(context=VIA_VPCE), "no_allow_identity"),
    ("[deny] both explicitly deny: identity-based reported (our documented order)", [("p", DENY_ALL)],
     ("e", endpoint_policy("Deny")), req(context=VIA_VPCE), "explicit_deny_identity"),
    ("[eval] explicit deny in the endpoint before a missing identity Allow", [("p", NOTHING)],
     ("e", endpoint_policy("Deny")), req(context=VIA_VPCE), "explicit_deny_endpoint"),
    ("[deny] neither allows: identity-based reported (our documented order)", [("p", NOTHING)],
     ("e", doc(stmt(action="s3:*", Principal="*"))), req(context=VIA_VPCE), "no_allow_identity"),
    # The workshop's own policies
    ("[vpce] workshop: endpoint policy allows the inference-profile ARN",
     [("lambda-bedrock-sourcevpce-access-only", sourcevpce_policy())], ("bedrock-vpce", endpoint_policy()),
     req(context=VIA_VPCE), "allowed"),
    ("[vpce] workshop: endpoint policy allows a destination-region foundation-model ARN",
     [("lambda-bedrock-sourcevpce-access-only", sourcevpce_policy())], ("bedrock-vpce", endpoint_policy()),
     req(resource=fm("us-west-2"), context=VIA_VPCE), "allowed"),
    ("[vpce] workshop: foundation-model ARN missing from the endpoint policy",
     [("lambda-bedrock-sourcevpce-access-only", sourcevpce_policy())],
     ("bedrock-vpce", endpoint_policy(resources=[PROFILE])), req(resource=fm("us-east-2"), context=VIA_VPCE),
     "no_allow_endpoint"),
    ("[vpce] workshop: endpoint policy flipped to Deny (notebook 05)",
     [("lambda-bedrock-sourcevpce-access-only", sourcevpce_policy())], ("bedrock-vpce", endpoint_policy("Deny")),
     req(context=VIA_VPCE), "explicit_deny_endpoint"),
    ("[vpce] workshop: wrong principal in the endpoint policy",
     [("lambda-bedrock-sourcevpce-access-only", sourcevpce_policy())],
     ("bedrock-vpce", endpoint_policy(principal=f"arn:aws:iam::{ACCT}:role/GenAIStack-Bedrock")),
     req(context=VIA_VPCE), "no_allow_endpoint"),
    ("[multi] workshop: aws:sourceVpce present and equal", [("lambda-bedrock-sourcevpce-access-only",
                                                             sourcevpce_policy())], None, req(context=VIA_VPCE),
     "allowed"),
    ("[multi] workshop: aws:sourceVpce present and different (wrong vpce ID)",
     [("lambda-bedrock-sourcevpce-access-only", sourcevpce_policy("vpce-0ffffffffffffffff"))],
     ("bedrock-vpce", endpoint_policy()), req(context=VIA_VPCE), "no_allow_identity"),
    ("[multi] workshop: aws:sourceVpce absent (function not in the VPC yet)",
     [("lambda-bedrock-sourcevpce-access-only", sourcevpce_policy())], None, req(), "no_allow_identity"),
    ("[act] workshop: the sourcevpce policy also covers ListFoundationModels",
     [("lambda-bedrock-sourcevpce-access-only", sourcevpce_policy())], None,
     req(action="bedrock:ListFoundationModels", resource="*", context=VIA_VPCE), "allowed"),
]


@pytest.mark.parametrize("rule,identity,endpoint,request_,reason", DECISIONS, ids=[c[0] for c in DECISIONS])
def test_decisions(rule, identity, endpoint, request_, reason):
    decision = evaluate(request_, identity, endpoint)
    assert decision.reason == reason, rule
    assert decision.allowed is (reason == "allowed")
    if reason.startswith("explicit_deny"):
        assert decision.deciding is not None and decision.deciding.effect == "Deny"
    else:
        assert decision.deciding is None


# ---------------------------------------------------------------------------------------------
# Permissions boundaries and service control policies:
# (rule, identity, endpoint, boundary, scps, request, reason)
BOUNDARY_NO_BEDROCK = ("WorkshopBoundary", doc(stmt(action=["logs:*", "ec2:CreateNetworkInterface"])))
BOUNDARY_ALLOW = ("WorkshopBoundary", doc(stmt(action=["bedrock:*", "logs:*"])))
BOUNDARY_DENY = ("WorkshopBoundary", doc(stmt(action="*"), stmt("Deny", action="bedrock:InvokeModel")))
FULL_ACCESS = ("FullAWSAccess", doc(stmt(action="*")))
SCP_DENY_BEDROCK = ("DenyBedrock", doc(stmt("Deny", action="bedrock:*")))
SCP_ONLY_S3 = ("OnlyS3", doc(stmt(action="s3:*")))
WORKSHOP_IDENTITY = [("lambda-bedrock-sourcevpce-access-only", sourcevpce_policy())]

GUARDRAILS = [
    ("[pb] identity and boundary both allow: allowed", [("p", ALLOW_ALL)], None, BOUNDARY_ALLOW, None, req(),
     "allowed"),
    ("[pb] a boundary without the action: implicit deny despite the identity Allow", [("p", ALLOW_ALL)], None,
     BOUNDARY_NO_BEDROCK, None, req(), "no_allow_boundary"),
    ("[pb] a boundary grants nothing by itself", [("p", NOTHING)], None, BOUNDARY_ALLOW, None, req(),
     "no_allow_identity"),
    ("[pb] an explicit Deny in the boundary beats the identity Allow", [("p", ALLOW_ALL)], None, BOUNDARY_DENY,
     None, req(), "explicit_deny_boundary"),
    ("[deny] boundary Deny reported before a missing identity Allow", [("p", NOTHING)], None, BOUNDARY_DENY, None,
     req(), "explicit_deny_boundary"),
    ("[deny] identity Deny reported before boundary Deny (our documented order)", [("p", DENY_ALL)], None,
     BOUNDARY_DENY, None, req(), "explicit_deny_identity"),
    ("[deny] boundary Deny reported before endpoint Deny (our documented order)", WORKSHOP_IDENTITY,
     ("bedrock-vpce", endpoint_policy("Deny")), BOUNDARY_DENY, None, req(context=VIA_VPCE),
     "explicit_deny_boundary"),
    ("[deny] endpoint Deny reported before a missing boundary Allow", WORKSHOP_IDENTITY,
     ("bedrock-vpce", endpoint_policy("Deny")), BOUNDARY_NO_BEDROCK, None, req(context=VIA_VPCE),
     "explicit_deny_endpoint"),
    ("[pb] workshop: boundary without Bedrock on the function's role, through the endpoint", WORKSHOP_IDENTITY,
     ("bedrock-vpce", endpoint_policy()), BOUNDARY_NO_BEDROCK, None, req(context=VIA_VPCE), "no_allow_boundary"),
    ("[pb] workshop: boundary explicitly denies InvokeModel, through the endpoint", WORKSHOP_IDENTITY,
     ("bedrock-vpce", endpoint_policy()), BOUNDARY_DENY, None, req(context=VIA_VPCE), "explicit_deny_boundary"),
    ("[deny] missing boundary Allow reported before missing endpoint Allow", WORKSHOP_IDENTITY,
     ("bedrock-vpce", endpoint_policy(resources=[PROFILE])), BOUNDARY_NO_BEDROCK, None,
     req(resource=fm("us-east-2"), context=VIA_VPCE), "no_allow_boundary"),
    ("[pb] boundary conditions are evaluated like any identity policy", [("p", ALLOW_ALL)], None,
     ("b", sourcevpce_policy()), None, req(), "no_allow_boundary"),
    ("[scp] FullAWSAccess at every level: allowed", [("p", ALLOW_ALL)], None, None, [[FULL_ACCESS], [FULL_ACCESS]],
     req(), "allowed"),
    ("[scp] a Deny at any level wins", [("p", ALLOW_ALL)], None, None, [[FULL_ACCESS], [FULL_ACCESS, SCP_DENY_BEDROCK]],
     req(), "explicit_deny_scp"),
    ("[scp] an Allow at the root does not replace an Allow at the account", [("p", ALLOW_ALL)], None, None,
     [[FULL_ACCESS], [SCP_ONLY_S3]], req(), "no_allow_scp"),
    ("[scp] a level with no SCP allows nothing", [("p", ALLOW_ALL)], None, None, [[FULL_ACCESS], []], req(),
     "no_allow_scp"),
    ("[scp] SCPs grant nothing by themselves", [("p", NOTHING)], None, None, [[FULL_ACCESS]], req(),
     "no_allow_identity"),
    ("[deny] SCP Deny reported before every other denial", [("p", DENY_ALL)], ("e", endpoint_policy("Deny")),
     BOUNDARY_DENY, [[SCP_DENY_BEDROCK]], req(context=VIA_VPCE), "explicit_deny_scp"),
    ("[deny] any explicit Deny reported before a missing SCP Allow", [("p", ALLOW_ALL)], None, BOUNDARY_DENY,
     [[SCP_ONLY_S3]], req(), "explicit_deny_boundary"),
    ("[deny] missing SCP Allow reported before missing identity Allow", [("p", NOTHING)], None, None,
     [[SCP_ONLY_S3]], req(), "no_allow_scp"),
    ("[scp] None: not in an organization (or the management account)", [("p", ALLOW_ALL)], None, None, None, req(),
     "allowed"),
]


@pytest.mark.parametrize("rule,identity,endpoint,boundary,scps,request_,reason", GUARDRAILS,
                         ids=[c[0] for c in GUARDRAILS])
def test_boundaries_and_scps(rule, identity, endpoint, boundary, scps, request_, reason):
    decision = evaluate(request_, identity, endpoint, permissions_boundary=boundary, scps=scps)
    assert decision.reason == reason, rule
    assert decision.allowed is (reason == "allowed")
    assert (decision.boundary is None) is (boundary is None)
    assert (decision.scp is None) is (scps is None)
    if reason.startswith("explicit_deny"):
        assert decision.deciding is not None and decision.deciding.effect == "Deny"
    else:
        assert decision.deciding is None


def test_boundary_result_names_the_deciding_statement():
    decision = evaluate(req(), [("p", ALLOW_ALL)], permissions_boundary=BOUNDARY_DENY)
    assert decision.deciding.describe() == "WorkshopBoundary statement 2 (Effect Deny)"
    assert decision.boundary.decision == "Deny"
    assert decision.identity.decision == "Allow"


def test_scp_result_keeps_every_level_match():
    decision = evaluate(req(), [("p", ALLOW_ALL)], scps=[[FULL_ACCESS], [SCP_ONLY_S3]])
    assert [m.policy_name for m in decision.scp.matches] == ["FullAWSAccess"]
    assert decision.scp.decision == "NotApplicable"


@pytest.mark.parametrize("reason,phrase", [
    ("explicit_deny_scp", "with an explicit deny in a service control policy"),
    ("explicit_deny_identity", "with an explicit deny in an identity-based policy"),
    ("explicit_deny_boundary", "with an explicit deny in a permissions boundary"),
    ("explicit_deny_endpoint", "with an explicit deny in a VPC endpoint policy"),
    ("no_allow_scp", "because no service control policy allows the bedrock:InvokeModel action"),
    ("no_allow_identity", "because no identity-based policy allows the bedrock:InvokeModel action"),
    ("no_allow_boundary", "because no permissions boundary allows the bedrock:InvokeModel action"),
    ("no_allow_endpoint", "because no VPC endpoint policy allows the bedrock:InvokeModel action"),
])
def test_denial_phrases_are_aws_wording(reason, phrase):
    """[deny] The phrases of "Troubleshoot access denied error messages", one per policy type."""
    assert reason in REASONS
    assert denial_phrase(reason, "bedrock:InvokeModel") == phrase
    assert denial_message(SESSION, "bedrock:InvokeModel", PROFILE, reason) == (
        f"User: {SESSION} is not authorized to perform: bedrock:InvokeModel on resource: {PROFILE} {phrase}")


def test_unknown_reason_has_no_phrase():
    with pytest.raises(KeyError):
        denial_phrase("because_i_said_so", "bedrock:InvokeModel")


def test_malformed_boundary_is_refused_never_ignored():
    with pytest.raises(PolicyError):
        evaluate(req(), [("p", ALLOW_ALL)], permissions_boundary=("b", doc(stmt(Principal="*"))))
    with pytest.raises(PolicyError):
        evaluate(req(), [("p", ALLOW_ALL)], scps=[[("s", '{"Version": ')]])


# ---------------------------------------------------------------------------------------------
# Malformed policies: (rule, policy, kind, AWS message, exception class)
def _cond(condition):
    return doc(stmt(Condition=condition))


MALFORMED = [
    ("[gram] not JSON", '{"Version": "2012-10-17", "Statement": [', "identity", "This policy contains invalid Json",
     PolicyError),
    ("[gram] unknown top-level element", {"Version": "2012-10-17", "Statement": [stmt()], "Extra": 1}, "identity",
     "Syntax errors in policy.", PolicyError),
    ("[ver] Statement is required", {"Version": "2012-10-17"}, "identity", "Syntax errors in policy.", PolicyError),
    ("[ver] Statement may not be empty", doc(), "identity", "Syntax errors in policy.", PolicyError),
    ("[ver] only 2012-10-17 and 2008-10-17 are versions", doc(stmt(), version="2020-01-01"), "identity",
     "Syntax errors in policy.", PolicyError),
    ("[gram] Effect must be Allow or Deny", doc(stmt("Permit")), "identity", "Syntax errors in policy.", PolicyError),
    ("[gram] Effect is case-sensitive", doc(stmt("allow")), "identity", "The policy failed legacy parsing",
     PolicyError),
    ("[gram] element names are case-sensitive", doc({"Effect": "Allow", "action": "s3:*", "Resource": "*"}),
     "identity", "Syntax errors in policy.", PolicyError),
    ("[gram] Action and NotAction together", doc(stmt(NotAction="s3:*")), "identity", "Syntax errors in policy.",
     PolicyError),
    ("[act] a statement needs Action or NotAction", doc(stmt(action=None)), "identity",
     "Policy statement must contain actions.", PolicyError),
    ("[act] an empty Action list has no actions", doc(stmt(action=[])), "identity",
     "Policy statement must contain actions.", PolicyError),
    ("[res] a statement needs Resource or NotResource", doc(stmt(resource=None)), "identity",
     "Policy statement must contain resources.", PolicyError),
    ("[act] actions need a service prefix", doc(stmt(action="InvokeModel")), "identity",
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.", PolicyError),
    ("[act] an action has one colon", doc(stmt(action="bedrock:Invoke:Model")), "identity",
     "Actions/Condition can contain only one colon.", PolicyError),
    ("[res] Resource must be an ARN or *", doc(stmt(resource="my-bucket")), "identity",
     'Resource my-bucket must be in ARN format or "*".', PolicyError),
    ("[gram] Sids must be unique", doc(stmt(Sid="A"), stmt(Sid="A")), "identity",
     "Statement IDs (SID) in a single policy must be unique.", PolicyError),
    ("[prin] identity-based policies cannot name a Principal", doc(stmt(Principal="*")), "identity",
     "Policy document should not specify a principal.", PolicyError),
    ("[vpce] endpoint policies must name a Principal", doc(stmt()), "resource", "Missing required field Principal",
     PolicyError),
    ("[prin] no partial wildcard in a principal ARN", _principal_doc({"AWS": f"arn:aws:iam::{ACCT}:role/*"}),
     "resource", "Invalid principal in policy", PolicyError),
    ("[prin] a bare string principal must be *", _principal_doc(ROLE), "resource", "Invalid principal in policy",
     PolicyError),
    ("[prin] unknown principal type", _principal_doc({"IAM": ROLE}), "resource", "Invalid principal in policy",
     PolicyError),
    ("[gram] Condition is an object", _cond(["StringEquals"]), "identity", "Syntax errors in policy.", PolicyError),
    ("[gram] condition keys need a prefix", _cond({"StringEquals": {"sourceVpce": VPCE}}), "identity",
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.", PolicyError),
    ("[ops] date values must be ISO 8601 or epoch", _cond({"DateLessThan": {"aws:CurrentTime": "tomorrow"}}),
     "identity", "The policy failed legacy parsing", PolicyError),
    ("[ops] numeric values must be numbers", _cond({"NumericEquals": {"s3:max-keys": "ten"}}), "identity",
     "Syntax errors in policy.", PolicyError),
    ("[ops] IP values must be addresses or CIDRs", _cond({"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}), "identity",
     "Syntax errors in policy.", PolicyError),
    ("[ops] unknown operator", _cond({"StringEqualz": {"aws:SourceVpce": VPCE}}), "identity",
     "Syntax errors in policy.", UnsupportedOperator),
    ("[ops] Null has no IfExists form", _cond({"NullIfExists": {"aws:SourceVpce": "true"}}), "identity",
     "Syntax errors in policy.", UnsupportedOperator),
    ("[multi] only ForAnyValue/ForAllValues are set operators",
     _cond({"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}}), "identity", "Syntax errors in policy.",
     UnsupportedOperator),
    ("[multi] a set operator needs a known operator", _cond({"ForAnyValue:StringMatch": {"aws:TagKeys": "a"}}),
     "identity", "Syntax errors in policy.", UnsupportedOperator),
]


@pytest.mark.parametrize("rule,policy,kind,message,exc", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed(rule, policy, kind, message, exc):
    with pytest.raises(exc) as info:
        parse_policy(policy, kind)
    assert info.value.message == message, rule
    assert info.value.detail  # our own explanation of what is wrong
    with pytest.raises(exc):  # evaluation refuses it too: never a silent allow
        evaluate_policy(policy, req(), kind=kind)


# ---------------------------------------------------------------------------------------------
# Explanations and API details
def test_unsupported_operator_never_allows_through_evaluate():
    bad = _cond({"StringEqualsMaybe": {"aws:SourceVpce": VPCE}})
    with pytest.raises(UnsupportedOperator) as info:
        evaluate(req(context=VIA_VPCE), [("p", bad)], ("e", endpoint_policy()))
    assert info.value.operator == "StringEqualsMaybe"
    assert "Statement[1].Condition.StringEqualsMaybe" in str(info.value)


def test_near_miss_names_key_operator_expected_and_actual():
    wrong = "vpce-0ffffffffffffffff"
    decision = evaluate(req(context={"aws:SourceVpce": wrong}), [("lambda-bedrock-sourcevpce-access-only",
                                                                  sourcevpce_policy())])
    [miss] = decision.identity.near_misses
    assert (miss["policy_name"], miss["index"], miss["effect"]) == ("lambda-bedrock-sourcevpce-access-only", 1, "Allow")
    [f] = miss["failures"]
    assert f["operator"] == "ForAnyValue:StringEquals" and f["key"] == "aws:sourceVpce"
    assert f["expected"] == [VPCE] and f["actual"] == wrong and f["present"] is True
    assert wrong in miss["message"] and VPCE in miss["message"]


def test_near_miss_for_absent_key_says_absent():
    decision = evaluate(req(), [("lambda-bedrock-sourcevpce-access-only", sourcevpce_policy())])
    [f] = decision.identity.near_misses[0]["failures"]
    assert f["present"] is False and f["actual"] is None
    assert "absent" in f["message"]


def test_partial_match_shows_missing_resource():
    result = evaluate_policy(endpoint_policy(resources=[PROFILE]), req(resource=fm("us-east-2")), name="bedrock-vpce",
                             kind="resource")
    assert result.decision == "NotApplicable" and not result.near_misses
    [miss] = result.partial_matches
    assert miss["element"] == "Resource" and miss["actual"] == fm("us-east-2") and miss["expected"] == [PROFILE]


def test_deciding_statement_and_aws_phrases():
    decision = evaluate(req(context=VIA_VPCE), [("p", ALLOW_ALL)], ("bedrock-vpce", endpoint_policy("Deny")))
    assert decision.deciding.describe() == "bedrock-vpce statement 1 (Effect Deny)"
    assert decision.deciding.statement["Effect"] == "Deny"
    assert denial_phrase(decision.reason, "bedrock:InvokeModel") == "with an explicit deny in a VPC endpoint policy"
    assert (denial_phrase("no_allow_identity", "bedrock:InvokeModel")
            == "because no identity-based policy allows the bedrock:InvokeModel action")
    assert denial_phrase("allowed", "bedrock:InvokeModel") == ""


def test_matches_lists_every_matching_statement_with_sid_and_index():
    policy = doc(stmt(Sid="First"), stmt(action="bedrock:*", Sid="Second"), stmt(action="s3:*"))
    result = evaluate_policy(policy, req(), name="inline")
    found = [(m.index, m.sid, m.policy_name) for m in result.matches]
    assert found == [(1, "First", "inline"), (2, "Second", "inline")]


def test_parse_policy_normalises_and_accepts_text():
    text = '{"Id": "x", "Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'
    parsed = parse_policy(text)
    assert parsed["Statement"] == [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    parsed["Statement"].clear()  # a copy: the cache is not affected
    assert parse_policy(text)["Statement"]


def test_aws_principal_arn_defaults_to_the_role():
    # aws:PrincipalArn is the role ARN for a role session ("AWS global condition context keys").
    result = evaluate_policy(_cond({"ArnEquals": {"aws:PrincipalArn": ROLE}}), req())
    assert result.decision == "Allow"


def test_endpoint_kind_alias():
    assert evaluate_policy(endpoint_policy(), req(), kind="endpoint").decision == "Allow"
    with pytest.raises(PolicyError):
        parse_policy(doc(stmt()), kind="endpoint")
    with pytest.raises(ValueError):
        parse_policy(doc(stmt()), kind="bucket")


# ---------------------------------------------------------------------------------------------
# Checks before a policy is applied (iampolicy.validation): single-valued keys and Access Analyzer's findings
def test_the_single_valued_key_table_follows_the_iam_user_guide():
    from iampolicy import validation

    # The page's own examples: aws:SourceVpce single-valued, aws:PrincipalServiceNamesList and aws:TagKeys
    # multivalued, the tag keys with a tag name single-valued. Key names are case-insensitive.
    assert validation.value_type("aws:SourceVpce") == validation.value_type("aws:sourcevpce") == "single"
    assert validation.value_type("aws:PrincipalServiceNamesList") == "multi"
    assert validation.value_type("aws:TagKeys") == "multi"
    assert validation.value_type("aws:ResourceTag/team") == validation.value_type("aws:PrincipalTag/x") == "single"
    for key in ("aws:RequestedRegion", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:SourceIp", "aws:SourceVpc",
                "aws:VpcSourceIp", "aws:userid", "aws:username", "aws:PrincipalType", "aws:SecureTransport"):
        assert validation.value_type(key) == "single", key
    assert validation.value_type("aws:PrincipalOrgPaths") == "multi"
    assert validation.value_type("s3:prefix") is None  # service keys: not in the table, never flagged
    assert not validation.SINGLE_VALUED_GLOBAL_KEYS & validation.MULTIVALUED_GLOBAL_KEYS


def test_set_operators_on_single_valued_keys_are_found_both_qualifiers():
    from iampolicy import validation

    found = validation.set_operator_misuse(sourcevpce_policy())  # the article's ForAnyValue:StringEquals
    [f] = found
    assert (f["statement"], f["qualifier"], f["key"]) == (0, "ForAnyValue", "aws:sourceVpce")
    assert "can lead to overly permissive policies" in f["message"] and "StringEquals" in f["message"]
    all_values = _cond({"ForAllValues:StringLike": {"aws:SourceVpce": "vpce-*"}})
    assert [m["qualifier"] for m in validation.set_operator_misuse(all_values)] == ["ForAllValues"]
    fine = _cond({"StringEquals": {"aws:SourceVpce": VPCE}, "ForAnyValue:StringEquals": {"aws:TagKeys": "a"}})
    assert validation.set_operator_misuse(fine) == []


def test_access_analyzer_findings_in_validatepolicys_shape():
    import json as _json

    from iampolicy import validation

    text = _json.dumps(_cond({"ForAllValues:StringEquals": {"aws:sourceVpce": [VPCE]}}), indent=2)
    [f] = validation.findings(text, "IDENTITY_POLICY")
    # The policy check reference: "Security Warning – ForAllValues with single valued key".
    assert f["findingType"] == "SECURITY_WARNING" and f["issueCode"] == "FORALLVALUES_WITH_SINGLE_VALUED_KEY"
    assert f["findingDetails"] == ("Using ForAllValues qualifier with the single-valued condition key aws:sourceVpce "
                                   "can be overly permissive. We recommend that you remove ForAllValues:.")
    assert f["learnMoreLink"].endswith("#access-analyzer-reference-policy-checks-security-warning-forallvalues-"
                                       "with-single-valued-key")
    [loc] = f["locations"]
    assert loc["path"] == [{"value": "Statement"}, {"index": 0}, {"value": "Condition"},
                           {"value": "ForAllValues:StringEquals"}, {"value": "aws:sourceVpce"}]
    start, end = loc["span"]["start"]["offset"], loc["span"]["end"]["offset"]
    assert text[start:end] == '"aws:sourceVpce"'
    assert loc["span"]["start"]["line"] == text[:start].count("\n") + 1
    # ForAnyValue: the reference we could read documents no check, so no finding is made up.
    any_value = _json.dumps(_cond({"ForAnyValue:StringEquals": {"aws:sourceVpce": [VPCE]}}))
    assert validation.findings(any_value, "IDENTITY_POLICY") == []
    # A resource policy needs a Principal; a document without Version gets the general warning.
    codes = [x["issueCode"] for x in validation.findings(_json.dumps({"Statement": [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}]}), "RESOURCE_POLICY")]
    assert codes == ["MISSING_VERSION", "MISSING_PRINCIPAL"]
    [bad] = validation.findings('{"Version": "2012-10-17", ', "IDENTITY_POLICY")
    assert bad["issueCode"] == "JSON_SYNTAX_ERROR" and bad["findingType"] == "ERROR"
