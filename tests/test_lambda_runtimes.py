"""Lambda runtimes in the sandbox, through boto3: the runtimes AWS accepts today run; one past its block date is refused
with AWS's message.

The block dates are cfn-lint's runtime lifecycle data (awsfacts.awslambda.runtime_lifecycle, the dates of the AWS
Lambda Developer Guide's "Lambda runtimes" page); AWS's message is the one of LocalStack's AWS-validated snapshot
(awsfacts.awslambda.BLOCKED_RUNTIME_MESSAGE). The dates below are the ones of cfn-lint 1.58.0, the version
requirements-lock.txt pins; the tests assert them first, so a newer cfn-lint that moves them fails here by name.
"""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from awsfacts.awslambda import NEWEST_PYTHON_RUNTIME, accepted_runtimes, runtime_lifecycle
from tests.test_lambda_runtime import PROBE, make_role, zip_of

# AWS's text, written out here (not read from awsfacts) so that the test checks the sandbox against the source:
# LocalStack, tests/aws/services/lambda_/test_lambda_api.snapshot.json, TestRuntimeValidation::
# test_create_deprecated_function_runtime_with_validation_enabled[python3.7], recorded against AWS on 2026-01-12.
# LocalStack, test_lambda_api.snapshot.json, TestLambdaFunction::test_create_lambda_exceptions "invalid_runtime_exc"
# (recorded 2026-01-12): the runtime list is the one of the day, compared as a set.
UNKNOWN = ("Value {} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [{}] "
           "or be a valid ARN")
REFUSED = ("The runtime parameter of {} is no longer supported for creating or updating AWS Lambda functions. "
           "We recommend you use a supported runtime while creating or updating functions.")


def _today() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())


def _create(aws, runtime: str, name: str = "probe"):
    created = aws("lambda").create_function(FunctionName=name, Runtime=runtime, Role=make_role(aws, f"{name}-role"),
                                            Handler="app.handler", Code={"ZipFile": zip_of({"app.py": PROBE})})
    aws("lambda").get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return created


def test_the_newest_python_runtime_runs(aws):
    assert _create(aws, NEWEST_PYTHON_RUNTIME)["Runtime"] == NEWEST_PYTHON_RUNTIME
    response = aws("lambda").invoke(FunctionName="probe", Payload=b"{}")
    out = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, out
    assert out["env"]["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{NEWEST_PYTHON_RUNTIME}"


def test_python311_is_accepted_until_its_create_block_in_july_2027(aws):
    """AWS extended the Python 3.9-3.11 dates in 2026; python3.11's function create is blocked from 2027-07-31."""
    dates = runtime_lifecycle()["python3.11"]
    assert (dates["deprecated"], dates["create-block"], dates["update-block"]) == (
        "2027-06-30", "2027-07-31", "2027-08-31")
    if _today() >= dates["create-block"]:
        pytest.skip("python3.11 is past its create-block date")
    assert _create(aws, "python3.11")["Runtime"] == "python3.11"
    lam = aws("lambda")
    lam.get_waiter("function_active_v2").wait(FunctionName="probe", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    lam.update_function_configuration(FunctionName="probe", Timeout=10)
    assert lam.get_function_configuration(FunctionName="probe")["Runtime"] == "python3.11"


def test_python37_is_refused_with_aws_message(aws):
    """python3.7: function create blocked since 2024-01-09; CreateFunction answers AWS's message and creates nothing."""
    assert runtime_lifecycle()["python3.7"]["create-block"] == "2024-01-09"
    with pytest.raises(ClientError) as err:
        _create(aws, "python3.7")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == REFUSED.format("python3.7")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert aws("lambda").list_functions()["Functions"] == []


def test_changing_to_a_runtime_past_its_update_block_is_refused(aws):
    """python3.6: function update blocked since 2022-08-29."""
    assert runtime_lifecycle()["python3.6"]["update-block"] == "2022-08-29"
    _create(aws, NEWEST_PYTHON_RUNTIME)
    lam = aws("lambda")
    lam.get_waiter("function_active_v2").wait(FunctionName="probe", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    with pytest.raises(ClientError) as err:
        lam.update_function_configuration(FunctionName="probe", Runtime="python3.6")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == REFUSED.format("python3.6")
    assert lam.get_function_configuration(FunctionName="probe")["Runtime"] == NEWEST_PYTHON_RUNTIME


def test_accepted_runtimes_leave_out_those_past_their_create_block():
    accepted = accepted_runtimes(_today())
    assert NEWEST_PYTHON_RUNTIME in accepted and "python3.11" in accepted
    assert "python3.7" not in accepted and "go1.x" not in accepted  # create blocked 2024-01-09 and 2024-02-08


@pytest.mark.parametrize("runtime", ["non-existent-runtime", "PYTHON3.9"])
def test_an_unknown_runtime_is_refused_with_the_runtimes_lambda_accepts(aws, runtime):
    """CreateFunction and UpdateFunctionConfiguration answer InvalidParameterValueException (not the request
    validation's ValidationException), listing the runtimes accepted today; nothing is created or changed."""
    lam = aws("lambda")
    with pytest.raises(ClientError) as err:
        _create(aws, runtime, name="refused")
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.value.response["Error"]["Message"] == UNKNOWN.format(runtime, ", ".join(accepted_runtimes(_today())))
    assert lam.list_functions()["Functions"] == []
    _create(aws, NEWEST_PYTHON_RUNTIME)
    with pytest.raises(ClientError) as err:
        lam.update_function_configuration(FunctionName="probe", Runtime=runtime)
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == UNKNOWN.format(runtime, ", ".join(accepted_runtimes(_today())))
    assert lam.get_function_configuration(FunctionName="probe")["Runtime"] == NEWEST_PYTHON_RUNTIME
