"""Lambda runtimes in the sandbox: the newest Python runtime runs; a runtime past its block dates is refused.

The dates and the newest runtime are facts in awsfacts.awslambda (AWS Lambda Developer Guide, "Lambda runtimes").
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from awsfacts.awslambda import NEWEST_PYTHON_RUNTIME
from tests.test_lambda_runtime import PROBE, make_role, zip_of

REFUSED = ("The runtime parameter of {} is no longer supported for creating or updating AWS Lambda functions. "
           f"We recommend you use the new runtime ({NEWEST_PYTHON_RUNTIME}) while creating or updating functions.")


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


def test_a_runtime_past_its_create_block_is_refused(aws):
    with pytest.raises(ClientError) as err:
        _create(aws, "python3.9")  # function create blocked since 2026-02-03
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert err.value.response["Error"]["Message"] == REFUSED.format("python3.9")
    assert aws("lambda").list_functions()["Functions"] == []


def test_changing_to_a_runtime_past_its_update_block_is_refused(aws):
    _create(aws, NEWEST_PYTHON_RUNTIME)
    lam = aws("lambda")
    lam.get_waiter("function_active_v2").wait(FunctionName="probe", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    with pytest.raises(ClientError) as err:
        lam.update_function_configuration(FunctionName="probe", Runtime="python3.10")  # update blocked 2026-08-31
    assert err.value.response["Error"]["Message"] == REFUSED.format("python3.10")
    assert lam.get_function_configuration(FunctionName="probe")["Runtime"] == NEWEST_PYTHON_RUNTIME
