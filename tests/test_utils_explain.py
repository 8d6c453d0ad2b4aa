"""The error explainer reads AWS's messages: which policy type decided, and whether it was no-Allow or a Deny."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError

from utils import explain

WHO = "User: arn:aws:sts::123456789012:assumed-role/R/F is not authorized to perform: bedrock:InvokeModel"
RES = " on resource: arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-micro-v1:0"


@pytest.mark.parametrize(("tail", "policy_type", "kind"), [
    (" because no identity-based policy allows the bedrock:InvokeModel action", "identity", "no-allow"),
    (" with an explicit deny in a VPC endpoint policy", "vpc-endpoint", "explicit-deny"),
    (" because no VPC endpoint policy allows the bedrock:InvokeModel action", "vpc-endpoint", "no-allow"),
    (" with an explicit deny in an identity-based policy", "identity", "explicit-deny"),
    (" with an explicit deny in a service control policy", "scp", "explicit-deny"),
    (" because no resource-based policy allows the bedrock:InvokeModel action", "resource", "no-allow"),
    (" with an explicit deny in a permissions boundary", "boundary", "explicit-deny"),
])
def test_parse_access_denied(tail, policy_type, kind):
    d = explain.parse_access_denied(WHO + RES + tail)
    assert d is not None
    assert d.action == "bedrock:InvokeModel"
    assert d.principal.endswith("assumed-role/R/F")
    assert d.resource.endswith("inference-profile/us.amazon.nova-micro-v1:0")
    assert (d.policy_type, d.kind) == (policy_type, kind)


def test_parse_without_resource_and_reason():
    d = explain.parse_access_denied(WHO)
    assert d is not None and d.resource is None and d.kind == "unknown"
    assert explain.parse_access_denied("Something else entirely") is None


def test_explains_the_negative_control():
    e = explain.explain({"ok": False, "error": {"code": "AccessDeniedException", "message": WHO + RES +
                         " because no identity-based policy allows the bedrock:InvokeModel action"}})
    assert "no identity-based policy" in e.title
    assert "aws:sourceVpce" in e.meaning
    assert "_repr_markdown_" in dir(e) and "What to do" in str(e)


def test_explains_the_deny_test():
    err = ClientError({"Error": {"Code": "AccessDeniedException",
                                 "Message": WHO + RES + " with an explicit deny in a VPC endpoint policy"}}, "Converse")
    e = explain.explain(err, endpoint_id="vpce-0123456789abcdef0")
    assert "explicit Deny" in e.title and "endpoint policy" in e.title
    assert e.facts["endpoint"] == "vpce-0123456789abcdef0"
    assert any("Allow" in step for step in e.fix)


def test_explains_missing_endpoint_allow():
    e = explain.explain({"code": "AccessDeniedException", "message": WHO + RES +
                         " because no VPC endpoint policy allows the bedrock:InvokeModel action"})
    assert "no statement allows" in e.title
    assert any("foundation-model ARN" in step for step in e.fix)


def test_explains_timeouts():
    e = explain.explain(ConnectTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com"))
    assert "timed out" in e.title
    assert any("private DNS" in step for step in e.fix) and any("443" in step for step in e.fix)
    e2 = explain.explain({"code": "ConnectTimeout", "message": "Connect timeout on endpoint URL"})
    assert "timed out" in e2.title


def test_explains_end_of_life_models():
    e = explain.explain({"code": "ResourceNotFoundException",
                         "message": "This model version has reached the end of its life. Please refer to the AWS "
                                    "documentation for more details."}, model_id="anthropic.claude-instant-v1")
    assert "end of life" in e.title
    assert any("nova-micro" in step for step in e.fix)


def test_explains_throttling_and_unknown():
    assert "slow down" in explain.explain({"code": "ThrottlingException", "message": "Too many requests"}).title
    other = explain.explain({"code": "Weird", "message": "odd"})
    assert other.title == "Weird" and "doctor" in other.fix[0]


def test_denials_keep_the_message_and_stay_offline_without_a_config():
    message = WHO + RES + " because no identity-based policy allows the bedrock:InvokeModel action"
    e = explain.explain({"code": "AccessDeniedException", "message": message})
    assert e.facts["message"] == message
    assert "decided by" not in e.facts and "live check" not in e.facts


def test_model_access_and_marketplace_errors_are_not_policy_denials():
    access = explain.explain(ClientError({"Error": {"Code": "AccessDeniedException", "Message": "You don't have "
                                          "access to the model with the specified model ID."}}, "Converse"))
    assert "no access to this model" in access.title and any("Model access" in f for f in access.fix)
    market = explain.explain({"code": "AccessDeniedException", "message": (
        "Model access is denied due to User: arn:aws:sts::123456789012:assumed-role/R/F is not authorized to perform: "
        "aws-marketplace:ViewSubscriptions on resource: * because no identity-based policy allows the "
        "aws-marketplace:ViewSubscriptions action. Your AWS Marketplace subscription for this model cannot be "
        "completed at this time. If you recently fixed this issue, try again after 15 minutes.")},
        cfg=object())  # a config would make a policy denial read live state; this one needs none
    assert "AWS Marketplace subscription" in market.title
    assert any("nova-micro" in f for f in market.fix) and "decided by" not in market.facts
