"""The policies the workshop writes: shape, least privilege, and the article's names."""

from __future__ import annotations

import json

import pytest

from awsfacts.awslambda import VPC_ACCESS_ACTIONS
from utils import policies
from utils.validation import InvalidEndpointId

ROLE = "arn:aws:iam::123456789012:role/Bedrock-GenAI-Stack-BedrockTestLambdaFunctionRole-ABC"
ARNS = [
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-micro-v1:0",
    "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0",
    "arn:aws:bedrock:us-east-2::foundation-model/amazon.nova-micro-v1:0",
    "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-micro-v1:0",
]
VPCE = "vpce-0123456789abcdef0"


def statements(doc):
    return doc["Statement"]


def test_endpoint_policy_allow():
    doc = policies.endpoint_policy(ROLE, ARNS)
    [st] = statements(doc)
    assert st["Effect"] == "Allow"
    assert st["Principal"] == {"AWS": ROLE}
    assert st["Action"] == ["bedrock:InvokeModel"]
    assert sorted(st["Resource"]) == sorted(ARNS)
    assert "Condition" not in st
    json.loads(policies.to_json(doc))


def test_deny_differs_from_allow_only_in_effect():
    allow = policies.endpoint_policy(ROLE, ARNS, "Allow")
    deny = policies.endpoint_policy(ROLE, ARNS, "Deny")
    assert policies.effect_of(deny) == {"Deny"} and policies.effect_of(allow) == {"Allow"}
    deny["Statement"][0]["Effect"] = "Allow"
    assert deny == allow


@pytest.mark.parametrize("bad", [[], ["*"], ["arn:aws:bedrock:*::foundation-model/*"], ["arn:aws:s3:::bucket"]])
def test_endpoint_policy_refuses_vague_resources(bad):
    with pytest.raises(ValueError):
        policies.endpoint_policy(ROLE, bad)


@pytest.mark.parametrize("bad_role", ["*", "arn:aws:iam::123456789012:user/bob", ""])
def test_endpoint_policy_needs_a_role(bad_role):
    with pytest.raises(ValueError):
        policies.endpoint_policy(bad_role, ARNS)


def test_endpoint_policy_effect_is_checked():
    with pytest.raises(ValueError):
        policies.endpoint_policy(ROLE, ARNS, "allow")


def test_eni_policy_is_the_articles_without_the_endpoint_wildcard():
    doc = policies.eni_policy()
    [st] = statements(doc)
    assert st["Sid"] == "eniperms" and st["Effect"] == "Allow" and st["Resource"] == "*"
    assert st["Action"] == list(VPC_ACCESS_ACTIONS)  # the Lambda Developer Guide's list, kept once in awsfacts
    assert "ec2:DescribeSubnets" in st["Action"]  # AWSLambdaVPCAccessExecutionRole v3 added it
    assert not any("VpcEndpoint" in a or "*" in a for a in st["Action"])
    article = policies.article_eni_policy()
    assert "ec2:*VpcEndpoint*" in article["Statement"][0]["Action"]


def test_sourcevpce_policy():
    doc = policies.sourcevpce_policy(ARNS, VPCE)
    assert doc["Id"] == policies.SOURCEVPCE_POLICY_NAME == "lambda-bedrock-sourcevpce-access-only"
    [st] = statements(doc)
    assert st["Action"] == ["bedrock:InvokeModel"]
    assert sorted(st["Resource"]) == sorted(ARNS)
    assert st["Condition"] == {"StringEquals": {"aws:sourceVpce": [VPCE]}}


def test_sourcevpce_policy_lists_models_only_through_a_control_endpoint():
    control = "vpce-0fedcba9876543210"
    doc = policies.sourcevpce_policy(ARNS, VPCE, control_endpoint_id=control)
    listing = [s for s in doc["Statement"] if s["Action"] == ["bedrock:ListFoundationModels"]]
    assert len(listing) == 1
    assert listing[0]["Condition"]["StringEquals"]["aws:sourceVpce"] == [control]
    assert "bedrock:ListFoundationModels" not in json.dumps(policies.sourcevpce_policy(ARNS, VPCE))


def test_sourcevpce_policy_refuses_a_malformed_endpoint_id():
    with pytest.raises(InvalidEndpointId):
        policies.sourcevpce_policy(ARNS, "vpce-<bedrock-runtime-vpce>")


def test_control_endpoint_policy():
    [st] = policies.control_endpoint_policy(ROLE)["Statement"]
    assert st["Action"] == ["bedrock:ListFoundationModels"] and st["Principal"] == {"AWS": ROLE}


def test_no_policy_has_star_action_or_unconditioned_star_principal():
    docs = [policies.endpoint_policy(ROLE, ARNS), policies.endpoint_policy(ROLE, ARNS, "Deny"), policies.eni_policy(),
            policies.sourcevpce_policy(ARNS, VPCE, "vpce-0fedcba9876543210"), policies.control_endpoint_policy(ROLE)]
    for doc in docs:
        for st in doc["Statement"]:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            assert "*" not in actions and not any(a.endswith(":*") for a in actions)
            if st.get("Principal") in ("*", {"AWS": "*"}):
                assert st.get("Condition")
            if st.get("Resource") == "*":
                assert all(a.startswith("ec2:") for a in actions) or actions == ["bedrock:ListFoundationModels"]


def test_same_policy_ignores_order_and_formatting():
    a = policies.endpoint_policy(ROLE, ARNS)
    b = json.loads(json.dumps(a))
    b["Statement"][0]["Resource"] = list(reversed(b["Statement"][0]["Resource"]))
    assert policies.same_policy(a, json.dumps(b, indent=4))
    assert not policies.same_policy(a, policies.endpoint_policy(ROLE, ARNS, "Deny"))
