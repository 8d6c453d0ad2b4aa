"""Lambda fixes (moto.awslambda): functions created by CloudFormation.

Each replacement has the signature of the moto method it replaces, so that it could be proposed upstream.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaFunction, lambda_backends

from .registry import fix, original, replace


def function_create_from_cloudformation_json(
        cls: type[LambdaFunction], resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
        region_name: str, **kwargs: Any) -> LambdaFunction:
    """`AWS::Lambda::Function` Tags (CloudFormation User Guide, "AWS::Lambda::Function").

    moto 5.2.1 ignores them: ListTags is empty and the Resource Groups Tagging API cannot find the function."""
    function = original(LambdaFunction, "create_from_cloudformation_json")(cls, resource_name, cloudformation_json,
                                                                       account_id, region_name, **kwargs)
    tags = {t["Key"]: t["Value"] for t in (cloudformation_json.get("Properties") or {}).get("Tags") or []}
    if tags:
        lambda_backends[account_id][region_name].tag_resource(function.function_arn, tags)
    from .. import lambda_service  # imports this package: imported here, at the first stack operation

    lambda_service.settle(function)  # CREATE_COMPLETE once the function is Active (no Pending left to read)
    return function


@fix
def fix_lambda_tags_from_template() -> None:
    replace(LambdaFunction, "create_from_cloudformation_json", function_create_from_cloudformation_json,
            kind="classmethod")
