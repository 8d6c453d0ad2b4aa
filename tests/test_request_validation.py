"""sandbox/request_validation.py: AWS's model validation, in AWS's words, before anything acts.

Expected messages are AWS's as recorded in LocalStack's AWS-validated snapshots (cited per test); the parity
suite (tests/parity/cases/*.json) replays more of them.
"""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox import request_validation as rv

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
RAW = Config(parameter_validation=False)  # what a client without boto3's own checks sends


def _error(call) -> dict:
    with pytest.raises(ClientError) as exc:
        call()
    return {"Code": exc.value.response["Error"]["Code"], "Message": exc.value.response["Error"]["Message"],
            "Status": exc.value.response["ResponseMetadata"]["HTTPStatusCode"]}


def test_messages_follow_the_model_in_each_services_style():
    # Lambda prints the value (test_lambda_api.snapshot.json, "architectures")
    assert rv.violations("lambda", "CreateFunction", {
        "FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": {},
        "Architectures": ["x86_64", "arm64"]}) == [
        "Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must have length less "
        "than or equal to 1"]
    # IAM leaves the value out (test_iam_roles.snapshot.json, "create-role-tag-key-too-long")
    assert rv.violations("iam", "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": TRUST,
                                               "Tags": [{"Key": "k" * 129, "Value": "v"}]}) == [
        "Value at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal "
        "to 128"]
    assert rv.violations("iam", "GetRole", {}) == [
        "Value null at 'roleName' failed to satisfy constraint: Member must not be null"]
    assert rv.message(["a", "b"]) == "2 validation errors detected: a; b"


def test_a_recorded_constraint_that_botocore_lacks_is_checked():
    # test_stacks.snapshot.json, test_stack_name_creation; test_template_engine.snapshot.json (51200)
    found = rv.violations("cloudformation", "CreateStack", {"StackName": "*@x_$", "TemplateBody": "x" * 51201})
    assert found[0].endswith("Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:"
                             "[-a-zA-Z0-9:/._+]*")
    assert found[1].endswith("Member must have length less than or equal to 51200")


def test_validation_comes_before_existence_and_changes_nothing(aws):
    iam = aws("iam")
    tags = [{"Key": str(i), "Value": str(i)} for i in range(51)]
    # test_iam_roles.snapshot.json "tag-role-too-many-tags": on a role that does not exist
    assert _error(lambda: iam.tag_role(RoleName="no-such-role", Tags=tags)) == {
        "Code": "ValidationError", "Status": 400,
        "Message": "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have "
                   "length less than or equal to 50"}
    assert _error(lambda: iam.create_role(RoleName="r1", AssumeRolePolicyDocument=TRUST, Tags=tags))["Code"] == \
        "ValidationError"
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []


def test_query_and_rest_requests_are_read_from_the_wire(aws):
    # test_sts.snapshot.json "invalid-session-name": the session name is checked before the ARN
    sts = aws("sts", config=RAW)
    assert _error(lambda: sts.assume_role(RoleArn="arn:a:b:::something/test-role", RoleSessionName="Session1:2")) == {
        "Code": "ValidationError", "Status": 400,
        "Message": "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy "
                   "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"}
    lam = aws("lambda", config=RAW)
    err = _error(lambda: lam.get_function(FunctionName="invalid:function:name"))
    assert err["Code"] == "ValidationException" and err["Status"] == 400
    assert err["Message"].startswith("1 validation error detected: Value 'invalid:function:name' at 'functionName' "
                                     "failed to satisfy constraint: Member must satisfy regular expression pattern: ")


def test_an_unknown_request_is_left_to_the_service():
    class Req:
        service, action, method, path, query = "ec2", "DescribeVpcs", "POST", "/", {}

    assert rv.operation_for(Req()) is None
