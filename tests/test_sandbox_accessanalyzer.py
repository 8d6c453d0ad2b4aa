"""IAM Access Analyzer's ValidatePolicy in the sandbox (sandbox/accessanalyzer): the request's enums, the findings'
shape and pagination, and authorization as access-analyzer:ValidatePolicy (IAM Access Analyzer API Reference,
"ValidatePolicy"; IAM User Guide, "IAM policy validation check reference")."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

ASSUMABLE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}
SINGLE_VALUED_MISUSE = json.dumps({"Statement": [{  # no Version: MISSING_VERSION; ForAllValues on a single-valued key
    "Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*",
    "Condition": {"ForAllValues:StringEquals": {"aws:sourceVpce": ["vpce-0123456789abcdef0"]}}}]}, indent=2)


def _session(aws, role_name: str, policy: dict | None) -> dict:
    iam = aws("iam")
    arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(ASSUMABLE))["Role"]["Arn"]
    if policy:
        iam.put_role_policy(RoleName=role_name, PolicyName="p", PolicyDocument=json.dumps(policy))
    creds = aws("sts").assume_role(RoleArn=arn, RoleSessionName="validate")["Credentials"]
    return {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"]}


def test_findings_have_access_analyzers_shape_and_paginate(aws):
    analyzer = aws("accessanalyzer")
    findings = analyzer.validate_policy(policyDocument=SINGLE_VALUED_MISUSE, policyType="IDENTITY_POLICY")["findings"]
    assert [(f["findingType"], f["issueCode"]) for f in findings] == [
        ("WARNING", "MISSING_VERSION"), ("SECURITY_WARNING", "FORALLVALUES_WITH_SINGLE_VALUED_KEY")]
    for f in findings:
        assert set(f) == {"findingDetails", "findingType", "issueCode", "learnMoreLink", "locations"}
        assert f["learnMoreLink"].startswith(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#")
        for loc in f["locations"]:
            assert set(loc["span"]) == {"start", "end"} and set(loc["span"]["start"]) == {"line", "column", "offset"}
    first = analyzer.validate_policy(policyDocument=SINGLE_VALUED_MISUSE, policyType="IDENTITY_POLICY", maxResults=1)
    assert len(first["findings"]) == 1 and first["nextToken"]
    pages = analyzer.get_paginator("validate_policy").paginate(
        policyDocument=SINGLE_VALUED_MISUSE, policyType="IDENTITY_POLICY", PaginationConfig={"PageSize": 1})
    assert [f for p in pages for f in p["findings"]] == findings


def test_an_endpoint_policy_is_a_resource_policy_without_resource_type(aws):
    analyzer = aws("accessanalyzer")
    endpoint_policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/r"},
        "Action": ["bedrock:InvokeModel"], "Resource": ["arn:aws:bedrock:us-east-1::foundation-model/m"]}]})
    assert analyzer.validate_policy(policyDocument=endpoint_policy, policyType="RESOURCE_POLICY")["findings"] == []
    # validatePolicyResourceType has no VPC endpoint type (botocore's enum, the API Reference's valid values).
    with pytest.raises(ClientError) as err:
        analyzer.validate_policy(policyDocument=endpoint_policy, policyType="RESOURCE_POLICY",
                                 validatePolicyResourceType="AWS::EC2::VPCEndpoint")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "Value 'AWS::EC2::VPCEndpoint' at 'validatePolicyResourceType' failed to satisfy constraint" in \
        err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        analyzer.validate_policy(policyDocument=endpoint_policy, policyType="ENDPOINT_POLICY")
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_validate_policy_is_authorized_like_any_call(aws):
    denied = aws("accessanalyzer", **_session(aws, "NoAnalyzer", None))
    with pytest.raises(ClientError) as err:
        denied.validate_policy(policyDocument="{}", policyType="IDENTITY_POLICY")
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "access-analyzer:ValidatePolicy" in err.value.response["Error"]["Message"]
    allowed = aws("accessanalyzer", **_session(aws, "Analyzer", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "access-analyzer:ValidatePolicy", "Resource": "*"}]}))
    assert allowed.validate_policy(policyDocument="{", policyType="IDENTITY_POLICY")["findings"][0]["issueCode"] == \
        "JSON_SYNTAX_ERROR"


def test_the_roles_the_workshop_documents_allow_validate_policy():
    from utils.config import repo_root
    from utils.preflight import WORKSHOP_ACTIONS

    root = repo_root()
    live = json.loads((root / ".github/aws-live/permissions-policy.json").read_text())
    assert any("access-analyzer:ValidatePolicy" in st["Action"] and st["Resource"] == "*" for st in live["Statement"])
    assert "access-analyzer:ValidatePolicy" in WORKSHOP_ACTIONS
    assert "- access-analyzer:ValidatePolicy" in (root / "cfn/participant-role.yaml").read_text()
