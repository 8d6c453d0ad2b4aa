"""ValidatePolicy's answer: the findings of `iampolicy.validation` for a policy document, paginated.

What is emulated (IAM Access Analyzer API Reference, "ValidatePolicy"; IAM User Guide, "IAM policy validation
check reference"): the request's policyType (IDENTITY_POLICY, RESOURCE_POLICY, SERVICE_CONTROL_POLICY,
RESOURCE_CONTROL_POLICY) and validatePolicyResourceType enums; "For resource types not supported as valid values,
IAM Access Analyzer runs policy checks that apply to all resource policies" (a VPC endpoint policy is validated
as RESOURCE_POLICY with no resource type); findings with findingType, issueCode, learnMoreLink, findingDetails and
locations (path and span). What is not: Access Analyzer runs many more checks than iampolicy.validation.CHECKS,
and localizes findings (`locale`); the sandbox answers in English with the checks it knows.
"""

from __future__ import annotations

from iampolicy import validation

# botocore's accessanalyzer service model (ValidatePolicyResourceType), which the API Reference lists.
RESOURCE_TYPES = ("AWS::S3::Bucket", "AWS::S3::AccessPoint", "AWS::S3::MultiRegionAccessPoint",
                  "AWS::S3ObjectLambda::AccessPoint", "AWS::IAM::AssumeRolePolicyDocument", "AWS::DynamoDB::Table")
LOCALES = ("DE", "EN", "ES", "FR", "IT", "JA", "KO", "PT_BR", "ZH_CN", "ZH_TW")


def validate(policy_document: str, policy_type: str, resource_type: str | None = None) -> list[dict]:
    """Every finding for the document, in Access Analyzer's order (as found, statement by statement)."""
    return validation.findings(policy_document, policy_type)


def page(findings: list[dict], max_results: int | None, next_token: str | None) -> tuple[list[dict], str | None]:
    start = int(next_token) if next_token and next_token.isdigit() else 0
    end = len(findings) if not max_results else start + max_results
    return findings[start:end], (str(end) if end < len(findings) else None)
