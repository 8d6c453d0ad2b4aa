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


# ---------------------------------------------------------------- validate before you apply (issue 15)


@pytest.mark.parametrize("operator", ["ForAnyValue:StringEquals", "ForAllValues:StringEquals",
                                      "forallvalues:StringLike"])
def test_problems_refuse_set_operators_on_aws_sourcevpce(operator):
    doc = policies.sourcevpce_policy(ARNS, VPCE)
    doc["Statement"][0]["Condition"] = {operator: {"aws:sourceVpce": [VPCE]}}
    [problem] = policies.problems(doc)
    assert "aws:sourceVpce, a single-valued key" in problem and "can lead to overly permissive policies" in problem
    with pytest.raises(ValueError, match="single-valued"):
        policies.check(json.dumps(doc))


def test_the_workshops_policies_pass_the_checks():
    for doc in (policies.endpoint_policy(ROLE, ARNS), policies.eni_policy(), policies.control_endpoint_policy(ROLE),
                policies.sourcevpce_policy(ARNS, VPCE, "vpce-0fedcba9876543210")):
        assert policies.problems(doc) == [] and policies.check(doc) is doc
    # A set operator on a multivalued key is what set operators are for.
    tags = {"Statement": [{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
                           "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["workshop"]}}}]}
    assert policies.problems(tags) == []


def test_show_findings_prints_each_finding_and_returns_the_blocking_ones(capsys):
    warning = {"findingType": "SECURITY_WARNING", "issueCode": "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
               "findingDetails": "Using ForAllValues qualifier ...", "learnMoreLink": "https://docs.aws.amazon.com/x",
               "locations": [{"path": [{"value": "Statement"}, {"index": 0}, {"value": "Condition"}],
                              "span": {"start": {"line": 9, "column": 10, "offset": 182}}}]}
    suggestion = {"findingType": "SUGGESTION", "issueCode": "EMPTY_SID_VALUE", "findingDetails": "...",
                  "locations": []}
    assert policies.show_findings([warning, suggestion], "p") == [warning]
    out = capsys.readouterr().out
    assert "p: IAM Access Analyzer reports 2 finding(s):" in out
    assert "SECURITY_WARNING FORALLVALUES_WITH_SINGLE_VALUED_KEY at Statement[0].Condition (line 9)" in out
    assert policies.show_findings([], "p") == [] and "reports no findings" in capsys.readouterr().out


def _run_validation_cell(aws, sourcevpce_policy):
    """Notebook 03's validation cell (03-09b), as the kernel runs it, against the sandbox's Access Analyzer."""
    import nbformat

    from utils.config import repo_root

    cells = {c.id: c for c in nbformat.read(repo_root() / "notebooks" / "03_lambda_in_vpc.ipynb", as_version=4).cells}

    class _Target:
        @staticmethod
        def client(service, region):
            return aws(service, region)

    from utils import say  # imported by the notebook's setup cell

    namespace = {"json": json, "target": _Target, "cfg": type("Cfg", (), {"region": "us-east-1"}),
                 "eni_policy": policies.eni_policy(), "sourcevpce_policy": sourcevpce_policy, "say": say}
    exec(compile(cells["03-09b"].source, "03_lambda_in_vpc:03-09b", "exec"), namespace)  # noqa: S102


def test_notebook_03_stops_on_a_set_operator_on_aws_sourcevpce_before_writing_it(aws, capsys):
    _run_validation_cell(aws, policies.sourcevpce_policy(ARNS, VPCE))  # the workshop's policy passes
    assert "lambda-bedrock-sourcevpce-access-only: IAM Access Analyzer reports no findings." in capsys.readouterr().out

    article = policies.sourcevpce_policy(ARNS, VPCE)
    article["Statement"][0]["Condition"] = {"ForAnyValue:StringEquals": {"aws:sourceVpce": [VPCE]}}
    with pytest.raises(AssertionError, match="aws:sourceVpce, a single-valued key"):  # the workshop's own check
        _run_validation_cell(aws, article)

    article["Statement"][0]["Condition"] = {"ForAllValues:StringEquals": {"aws:sourceVpce": [VPCE]}}
    with pytest.raises(AssertionError, match="error or a security warning in lambda-bedrock-sourcevpce-access-only"):
        _run_validation_cell(aws, article)  # Access Analyzer's security warning stops it first
    assert "SECURITY_WARNING FORALLVALUES_WITH_SINGLE_VALUED_KEY" in capsys.readouterr().out
