"""AWS Lambda facts the workshop relies on: the permissions a function needs to join a VPC, and the runtimes.

Data only. `utils` (the `enivpce-policy` check, the template test) and `sandbox` (Lambda's attach check, runtime
validation) read them from here. The runtime lifecycle is not copied here: it is read from cfn-lint's data.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

# The EC2 actions the execution role of a function in a VPC needs: Lambda creates, describes and deletes the
# function's network interfaces with them. AWS Lambda Developer Guide, "Giving Lambda functions access to resources
# in an Amazon VPC" (Required IAM permissions): the list is the one of the AWS managed policy
# AWSLambdaVPCAccessExecutionRole (AWS Managed Policy Reference, policy version v3, edited 2024-01-05), which
# added ec2:DescribeSubnets to the five earlier actions. Every one of them is granted on "Resource": "*" there;
# the Describe actions support no resource-level permissions at all. Checked on 2026-12-07 (docs search corpus: the
# Managed Policy Reference page of AWSLambdaVPCAccessExecutionRole, v3, edited 2024-01-05, lists these six ec2
# actions and the three logs actions). No installed package ships managed policy documents to test this against.
VPC_ACCESS_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)

# Runtime lifecycle: not kept here. cfn-lint, a maintained package the sandbox already installs (moto[server] brings
# it), ships Lambda's runtime lifecycle as data: cfnlint/data/AdditionalSpecs/LmbdRuntimeLifecycle.json, runtime ->
# {"deprecated", "create-block", "update-block", "successor"}, the dates of the AWS Lambda Developer Guide's "Lambda
# runtimes" page (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html). The installed cfn-lint is the
# one requirements-lock.txt pins for CI; the weekly dependency check (.github/workflows/dependency-check.yml) runs
# the tests against the newest one. After "create-block" Lambda refuses the runtime in CreateFunction, after
# "update-block" also in UpdateFunctionConfiguration and UpdateFunctionCode.
LIFECYCLE_SOURCE = "cfnlint/data/AdditionalSpecs/LmbdRuntimeLifecycle.json (cfn-lint)"

# The newest Python runtime Lambda offers generally (not in preview): the template's function uses it. It is the
# successor that cfn-lint's lifecycle data names for every older Python runtime (tests/test_awsfacts_sources.py).
# Checked on 2026-12-07 with cfn-lint 1.58.0: python3.14.
NEWEST_PYTHON_RUNTIME = "python3.14"

# Runtimes that botocore's Lambda model (the Runtime enum) lists but that are not generally available: Lambda
# accepts them for testing, without the Lambda SLA, and the workshop does not deploy them. Each with its source:
# - python3.15 and nodejs26.x: public preview since 2026-07-24 (aws/aws-lambda-python-runtime-interface-client#216,
#   "[FEEDBACK REQUEST] Python 3.15 preview", by the Lambda team: "Public preview - not for production use ... not
#   covered by AWS Technical Support and are not eligible for the Lambda SLA"; aws/aws-lambda-roadmap#55, comment of
#   2026-08-25: "Python 3.15 is available as a managed runtime in public preview", linking the AWS Compute Blog post
#   "Introducing public preview runtimes on AWS Lambda, starting with Node.js 26 and Python 3.15"). Checked on
#   2026-12-07 with the issues search corpus; cfn-lint 1.58.0's lifecycle data has neither runtime.
PREVIEW_RUNTIMES = ("python3.15", "nodejs26.x")

# AWS's answer to CreateFunction (and to an update) with a runtime past its block date: InvalidParameterValueException
# with this message. Source: LocalStack's AWS-validated snapshot
# tests/aws/services/lambda_/test_lambda_api.snapshot.json,
# TestRuntimeValidation::test_create_deprecated_function_runtime_with_validation_enabled[python3.7] (and java8, go1.x,
# provided, ruby2.7, nodejs14.x, dotnetcore3.1, nodejs12.x; recorded against AWS on 2026-01-12), read on 2026-12-07.
BLOCKED_RUNTIME_MESSAGE = ("The runtime parameter of {runtime} is no longer supported for creating or updating AWS "
                           "Lambda functions. We recommend you use a supported runtime while creating or updating "
                           "functions.")

# AWS's answer to CreateFunction or UpdateFunctionConfiguration with a runtime Lambda does not know (a typo, a
# wrong case): InvalidParameterValueException with this message, not the "N validation error(s) detected" of the
# request validation, listing the runtimes Lambda accepts that day in an order of its own. Source: LocalStack's
# AWS-validated snapshot tests/aws/services/lambda_/test_lambda_api.snapshot.json,
# TestLambdaFunction::test_create_lambda_exceptions and ::test_update_lambda_exceptions, entries
# "invalid_runtime_exc" ("non-existent-runtime") and "uppercase_runtime_exc" ("PYTHON3.9"), recorded against AWS on
# 2026-01-12, read on 2026-12-07. The set is `accepted_runtimes(today)`.
UNKNOWN_RUNTIME_MESSAGE = ("Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value "
                           "set: [{runtimes}] or be a valid ARN")

_lifecycle: dict[str, dict] | None = None


def lifecycle_file() -> Path:
    """cfn-lint's runtime lifecycle data, found without importing cfn-lint (whose import takes a third of a second)."""
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("cfn-lint is not installed, and it holds Lambda's runtime lifecycle: "
                           "pip install -r requirements.txt (moto[server] brings cfn-lint)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "AdditionalSpecs" / "LmbdRuntimeLifecycle.json"


def runtime_lifecycle() -> dict[str, dict]:
    """runtime -> {"deprecated", "create-block", "update-block": ISO dates, "successor": runtime or None}."""
    global _lifecycle
    if _lifecycle is None:
        data = json.loads(lifecycle_file().read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(v, dict) and "create-block" in v and "update-block" in v
                                                 for v in data.values()):
            raise RuntimeError(f"{lifecycle_file()}: not the runtime lifecycle this code reads")
        _lifecycle = data
    return _lifecycle


def blocked(runtime: str | None, creating: bool, today: str) -> bool:
    """Whether Lambda refuses `runtime` on `today` (ISO date): in CreateFunction from its create-block date, in an
    update from its update-block date. A runtime the data does not list (current, in preview, or unknown) is not
    refused here."""
    dates = runtime_lifecycle().get(runtime or "")
    if dates is None:
        return False
    return today >= dates["create-block" if creating else "update-block"]


def known_runtimes() -> tuple[str, ...]:
    """Every runtime identifier botocore's Lambda model names (its Runtime enum, in the model's order)."""
    import botocore.session

    return tuple(botocore.session.get_session().get_service_model("lambda").shape_for("Runtime").enum)


def accepted_runtimes(today: str) -> tuple[str, ...]:
    """The runtimes Lambda lists as accepted on `today` (ISO date): botocore's Runtime enum minus those past their
    create-block date in cfn-lint's lifecycle data. Preview runtimes (PREVIEW_RUNTIMES) are accepted, as Lambda
    accepts them for testing."""
    return tuple(r for r in known_runtimes() if not blocked(r, creating=True, today=today))
