"""Lambda fixes (moto.awslambda): functions created and updated by CloudFormation.

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
    _remember_inline_source(function, cloudformation_json)
    from .. import lambda_service  # imports this package: imported here, at the first stack operation

    lambda_service.settle(function)  # CREATE_COMPLETE once the function is Active (no Pending left to read)
    return function


@fix
def fix_lambda_tags_from_template() -> None:
    replace(LambdaFunction, "create_from_cloudformation_json", function_create_from_cloudformation_json,
            kind="classmethod")


def function_update_from_cloudformation_json(
        cls: type[LambdaFunction], original_resource: LambdaFunction, new_resource_name: str,
        cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> LambdaFunction:
    """`AWS::Lambda::Function` updates (CloudFormation User Guide, "AWS::Lambda::Function": Environment, Code and
    the other properties update with "No interruption").

    moto 5.2.1 passes the template's inline `Code.ZipFile` (source text) to UpdateFunctionCode as if it were a
    base64 ZIP, so the update fails with "Incorrect padding", and it updates the code even when `Code` did not
    change. Here the configuration follows the template, and inline code is zipped as at creation and updated
    only when its text changed (CloudFormation updates only the properties that changed)."""
    import base64

    properties = cloudformation_json.get("Properties") or {}
    original_resource.update_configuration(properties)
    code = properties.get("Code") or {}
    if "ZipFile" in code:
        if code["ZipFile"] != original_resource.__dict__.get("_sandbox_inline_source"):
            zipped = base64.b64encode(cls._create_zipfile_from_plaintext_code(code["ZipFile"])).decode()
            original_resource.update_function_code({"ZipFile": zipped})
            original_resource.__dict__["_sandbox_inline_source"] = code["ZipFile"]
    elif code:
        original_resource.update_function_code(code)
    return original_resource


def _remember_inline_source(function: LambdaFunction, cloudformation_json: dict[str, Any]) -> None:
    code = (cloudformation_json.get("Properties") or {}).get("Code") or {}
    if "ZipFile" in code:
        function.__dict__["_sandbox_inline_source"] = code["ZipFile"]


@fix
def fix_lambda_update_from_template() -> None:
    replace(LambdaFunction, "update_from_cloudformation_json", function_update_from_cloudformation_json,
            kind="classmethod")
