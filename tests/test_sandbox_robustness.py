"""Bad requests get AWS-style errors and never crash the sandbox."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError, ParamValidationError

SIGV4 = ("AWS4-HMAC-SHA256 Credential=testing/20261125/us-east-1/{service}/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=0")


def raw(url: str, path: str, body: bytes, service: str, method: str = "POST", **headers) -> tuple[int, bytes]:
    req = urllib.request.Request(url + path, data=body, method=method, headers={
        "Authorization": SIGV4.format(service=service), "X-Amz-Date": "20261125T000000Z", **headers})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def healthy(url: str) -> bool:
    with urllib.request.urlopen(url + "/_sandbox/health", timeout=10) as r:
        return json.load(r)["status"] == "running"


GARBAGE = [
    ("/model/us.amazon.nova-micro-v1%3A0/converse", b"{not json", "bedrock", {"Content-Type": "application/json"}),
    ("/model/us.amazon.nova-micro-v1%3A0/invoke", b"\x00\xff\xfe", "bedrock", {"Content-Type": "application/json"}),
    ("/model/%ZZ/converse", b"{}", "bedrock", {"Content-Type": "application/json"}),
    ("/2015-03-31/functions/nope/invocations", b"{", "lambda", {}),
    ("/2015-03-31/functions/nope/configuration", b"{\"VpcConfig\": 7}", "lambda", {"Content-Type": "application/json"}),
    ("/", b"Action=ModifyVpcEndpoint&VpcEndpointId=vpce-x&PolicyDocument=%7B", "ec2",
     {"Content-Type": "application/x-www-form-urlencoded"}),
    ("/", b"Action=PutRolePolicy&RoleName=x&PolicyName=y&PolicyDocument=%7B%7B", "iam",
     {"Content-Type": "application/x-www-form-urlencoded"}),
    ("/", b"Action=SimulatePrincipalPolicy&ActionNames.member.1=bedrock%3AInvokeModel", "iam",
     {"Content-Type": "application/x-www-form-urlencoded"}),
    ("/", b"{\"LookupAttributes\": 5}", "cloudtrail",
     {"Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"}),
]


@pytest.mark.parametrize(("path", "body", "service", "headers"), GARBAGE, ids=[g[0] + " " + g[2] for g in GARBAGE])
def test_garbage_gets_an_error_and_the_server_lives(aws, sandbox, path, body, service, headers):
    status, _ = raw(sandbox.url, path, body, service, **headers)
    assert 400 <= status < 600
    assert healthy(sandbox.url)


def test_unknown_admin_path_is_a_404(sandbox):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(sandbox.url + "/_sandbox/nothing-here", timeout=10)
    assert err.value.code == 404


def test_malformed_identity_policy_is_rejected_as_aws_does(aws):
    iam = aws("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    with pytest.raises(ClientError) as err:
        iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument='{"Version": "2012-10-17", "Statement": [')
    assert err.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert iam.list_role_policies(RoleName="r")["PolicyNames"] == []


def test_botocore_validation_stays_on_in_workshop_clients(sandbox):
    from utils import target

    with pytest.raises(ParamValidationError):
        target.client("ec2", "us-east-1").describe_vpcs(MaxResults="many")
