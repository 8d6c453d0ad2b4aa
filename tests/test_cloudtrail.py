"""CloudTrail LookupEvents over the Bedrock calls the sandbox served, its delivery delay, and the workshop with
AWS-like delays: CloudTrail off the critical path (issue 12; the one long test, about 2 minutes)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import set_settings
from tests.test_reliability import (
    NOTEBOOKS,
    remaining,
    workshop,  # noqa: F401 - the fixture, used by name
)

ACCOUNT = "123456789012"
US_NOVA_MICRO = "us.amazon.nova-micro-v1:0"
PROFILE_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{US_NOVA_MICRO}"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _ask(text: str = "hello") -> list[dict]:
    return [{"role": "user", "content": [{"text": text}]}]


def _lookup(ct, key: str | None = None, value: str | None = None, **kwargs) -> list[dict]:
    if key:
        kwargs["LookupAttributes"] = [{"AttributeKey": key, "AttributeValue": value}]
    return ct.lookup_events(**kwargs)["Events"]


def test_converse_is_recorded_as_aws_writes_it(aws):
    aws("bedrock-runtime").converse(modelId=US_NOVA_MICRO, messages=_ask())
    events = _lookup(aws("cloudtrail"), "EventName", "Converse")
    assert len(events) == 1
    ev = events[0]
    assert ev["EventSource"] == "bedrock.amazonaws.com" and ev["ReadOnly"] == "true"
    assert {"ResourceType": "AWS::Bedrock::InferenceProfile", "ResourceName": PROFILE_ARN} in ev["Resources"]
    record = json.loads(ev["CloudTrailEvent"])
    assert record["eventName"] == "Converse" and record["eventSource"] == "bedrock.amazonaws.com"
    assert record["awsRegion"] == "us-east-1" and record["eventType"] == "AwsApiCall"
    assert record["requestParameters"] == {"modelId": US_NOVA_MICRO}
    assert record["responseElements"] is None
    assert record["readOnly"] is True and record["managementEvent"] is True
    assert record["eventCategory"] == "Management" and record["recipientAccountId"] == ACCOUNT
    assert record["additionalEventData"] == {"inferenceRegion": "us-east-1"}
    assert record["tlsDetails"]["clientProvidedHostHeader"] == "bedrock-runtime.us-east-1.amazonaws.com"
    assert record["userAgent"].startswith("Boto3/")
    assert "errorCode" not in record and "vpcEndpointId" not in record
    assert record["eventID"] == ev["EventId"]


def test_events_newest_first_filters_and_paging(aws):
    rt = aws("bedrock-runtime")
    rt.converse(modelId=US_NOVA_MICRO, messages=_ask("one"))
    rt.invoke_model(modelId=US_NOVA_MICRO, body=json.dumps({"messages": _ask("two")}))
    aws("bedrock").list_foundation_models()
    ct = aws("cloudtrail")
    names = [e["EventName"] for e in _lookup(ct, "EventSource", "bedrock.amazonaws.com")]
    assert names == ["ListFoundationModels", "InvokeModel", "Converse"]
    assert [e["EventName"] for e in _lookup(ct, "ResourceName", PROFILE_ARN)] == ["InvokeModel", "Converse"]
    assert _lookup(ct, "EventName", "InvokeModel")[0]["Username"] == "moto"
    first = ct.lookup_events(MaxResults=2)
    assert [e["EventName"] for e in first["Events"]] == ["ListFoundationModels", "InvokeModel"]
    rest = ct.lookup_events(MaxResults=2, NextToken=first["NextToken"])
    assert [e["EventName"] for e in rest["Events"]] == ["Converse"] and "NextToken" not in rest
    future = datetime.now(UTC) + timedelta(hours=1)
    assert _lookup(ct, StartTime=future) == []
    assert len(_lookup(ct, EndTime=future, StartTime=future - timedelta(hours=2))) == 3
    # Events are regional: us-west-2 has none of them.
    assert _lookup(aws("cloudtrail", region="us-west-2")) == []


def test_denied_call_recorded_with_access_denied(aws):
    iam = aws("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
    role = iam.create_role(RoleName="no-bedrock", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    creds = aws("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="lambda-fn")["Credentials"]
    rt = aws("bedrock-runtime", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
             aws_session_token=creds["SessionToken"], config=NO_RETRY)
    with pytest.raises(ClientError) as exc:
        rt.converse(modelId=US_NOVA_MICRO, messages=_ask())
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    ct = aws("cloudtrail")
    events = _lookup(ct, "Username", "lambda-fn")
    assert len(events) == 1 and events[0]["AccessKeyId"] == creds["AccessKeyId"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["errorCode"] == "AccessDenied"
    assert record["errorMessage"] == exc.value.response["Error"]["Message"]
    ident = record["userIdentity"]
    assert ident["type"] == "AssumedRole"
    assert ident["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/no-bedrock/lambda-fn"
    assert ident["principalId"] == f"{role['RoleId']}:lambda-fn"
    issuer = ident["sessionContext"]["sessionIssuer"]
    assert issuer == {"type": "Role", "principalId": role["RoleId"], "arn": role["Arn"], "accountId": ACCOUNT,
                      "userName": "no-bedrock"}


def test_failed_calls_carry_their_error_code(aws):
    with pytest.raises(ClientError):
        aws("bedrock-runtime", config=NO_RETRY).converse(modelId="anthropic.claude-instant-v1", messages=_ask())
    record = json.loads(_lookup(aws("cloudtrail"), "EventName", "Converse")[0]["CloudTrailEvent"])
    assert record["errorCode"] == "ResourceNotFoundException"
    assert record["errorMessage"].startswith("This model version has reached the end of its life.")


def test_call_through_endpoint_carries_vpce_and_private_ip(aws, monkeypatch):
    from sandbox import network

    facts = {"kind": "vpce", "vpce_id": "vpce-0abc1234def567890", "vpc_id": "vpc-0123456789abcdef0",
             "source_ip": "10.0.1.25", "function": "bedrock-fn"}
    monkeypatch.setattr(network, "via", lambda req: facts if req.headers.get("X-Sandbox-Route") == "r-1" else None)
    rt = aws("bedrock-runtime")
    rt.meta.events.register("before-sign.bedrock-runtime.*",
                            lambda request, **_: request.headers.__setitem__("X-Sandbox-Route", "r-1"))
    rt.converse(modelId=US_NOVA_MICRO, messages=_ask())
    record = json.loads(_lookup(aws("cloudtrail"), "EventName", "Converse")[0]["CloudTrailEvent"])
    assert record["vpcEndpointId"] == "vpce-0abc1234def567890"
    assert record["vpcEndpointAccountId"] == ACCOUNT
    assert record["sourceIPAddress"] == "10.0.1.25"


@pytest.mark.parametrize("kwargs, code", [
    ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "Converse"},
                           {"AttributeKey": "Username", "AttributeValue": "x"}]}, "InvalidLookupAttributesException"),
    ({"MaxResults": 51}, "InvalidMaxResultsException"),
    ({"NextToken": "bm90LWEtdG9rZW4="}, "InvalidNextTokenException"),
    ({"StartTime": datetime(2026, 1, 2, tzinfo=UTC), "EndTime": datetime(2026, 1, 1, tzinfo=UTC)},
     "InvalidTimeRangeException"),
])
def test_lookup_events_rejects_bad_requests(aws, kwargs, code):
    with pytest.raises(ClientError) as exc:
        aws("cloudtrail").lookup_events(**kwargs)
    assert exc.value.response["Error"]["Code"] == code


def test_reset_clears_history(aws, sandbox):
    aws("bedrock").list_foundation_models()
    assert _lookup(aws("cloudtrail"))
    from tests.conftest import reset_sandbox

    reset_sandbox(sandbox.url)
    assert _lookup(aws("cloudtrail")) == []


# ---------------------------------------------------------------- delivery delay, denials, failures (issue 12)


def _through_endpoint(rt, monkeypatch, facts: dict) -> None:
    """Make `rt`'s calls look as if they came from a function through an interface endpoint."""
    from sandbox import network

    monkeypatch.setattr(network, "via", lambda req: facts if req.headers.get("X-Sandbox-Route") == "r-1" else None)
    rt.meta.events.register("before-sign.bedrock-runtime.*",
                            lambda request, **_: request.headers.__setitem__("X-Sandbox-Route", "r-1"))


VPCE = {"kind": "vpce", "vpce_id": "vpce-0abc1234def567890", "vpc_id": "vpc-0123456789abcdef0",
        "source_ip": "10.0.1.25", "function": "bedrock-fn"}


def test_events_reach_lookup_only_after_the_delivery_delay(aws, sandbox):
    from sandbox import cloudtrail
    from tests.conftest import set_settings, wait_for

    assert set_settings(sandbox.url, {"cloudtrail_delivery_seconds": 1.5})["cloudtrail_delivery_seconds"] == 1.5
    try:
        aws("bedrock-runtime").converse(modelId=US_NOVA_MICRO, messages=_ask())
        ct = aws("cloudtrail")
        assert _lookup(ct, "EventName", "Converse") == [], "delivered at once despite the delay"
        assert [e["eventName"] for e in cloudtrail.events()] == ["Converse"], "recorded at the call"
        assert cloudtrail.events(delivered_only=True) == []
        events = wait_for(lambda: _lookup(ct, "EventName", "Converse"), "the event to be delivered", 10)
        record = json.loads(events[0]["CloudTrailEvent"])
        # eventTime is the time of the call, not of the delivery.
        called = datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert datetime.now(UTC) - called >= timedelta(seconds=1)
    finally:
        set_settings(sandbox.url, {"cloudtrail_delivery_seconds": 0})


def test_delivery_delay_follows_the_timing_scale_and_adds_seconds():
    from sandbox.settings import AWS_DELAYS, Settings

    assert AWS_DELAYS["cloudtrail_delivery"] == 300.0  # about 5 minutes at timing scale 1, as AWS documents
    s = Settings()
    assert s.delay("cloudtrail_delivery") == 0
    s.update({"timing_scale": 0.1})
    assert s.delay("cloudtrail_delivery") == 30.0
    s.update({"cloudtrail_delivery_seconds": 60})
    assert s.delay("cloudtrail_delivery") == 90.0 and s.delay("policy_propagation") == 3.0


@pytest.mark.parametrize("value", [-1, "soon", None, True, float("inf")])
def test_bad_delivery_seconds_are_refused_and_change_nothing(sandbox, value):
    import urllib.error

    from tests.conftest import set_settings

    with pytest.raises(urllib.error.HTTPError) as exc:
        set_settings(sandbox.url, {"cloudtrail_delivery_seconds": value})
    assert exc.value.code == 400
    assert "cloudtrail_delivery_seconds" in json.loads(exc.value.read())["error"]
    assert set_settings(sandbox.url, {})["cloudtrail_delivery_seconds"] == 0


def test_delivery_seconds_from_the_environment_at_start_up(monkeypatch):
    from sandbox import settings

    monkeypatch.setenv("SANDBOX_CLOUDTRAIL_DELIVERY_SECONDS", "60")
    assert settings._from_env().delay("cloudtrail_delivery") == 60.0
    monkeypatch.setenv("SANDBOX_CLOUDTRAIL_DELIVERY_SECONDS", "a minute")
    with pytest.raises(SystemExit, match="SANDBOX_CLOUDTRAIL_DELIVERY_SECONDS: cloudtrail_delivery_seconds must be"):
        settings._from_env()


def test_a_deny_through_the_endpoint_is_recorded_with_the_endpoint(aws, monkeypatch):
    """The Deny of notebook 05: AccessDenied, its message, and the endpoint it came through."""
    iam = aws("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
    role = iam.create_role(RoleName="no-bedrock", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    creds = aws("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="fn")["Credentials"]
    rt = aws("bedrock-runtime", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
             aws_session_token=creds["SessionToken"], config=NO_RETRY)
    _through_endpoint(rt, monkeypatch, VPCE)
    with pytest.raises(ClientError) as exc:
        rt.converse(modelId=US_NOVA_MICRO, messages=_ask())
    record = json.loads(_lookup(aws("cloudtrail"), "EventName", "Converse")[0]["CloudTrailEvent"])
    assert record["errorCode"] == "AccessDenied"
    assert record["errorMessage"] == exc.value.response["Error"]["Message"]
    assert record["vpcEndpointId"] == VPCE["vpce_id"] and record["sourceIPAddress"] == "10.0.1.25"


def test_a_failure_of_the_network_model_is_an_error_not_a_missing_field(aws, monkeypatch):
    from sandbox import cloudtrail, network

    def broken(req):
        raise RuntimeError("route table lost")

    monkeypatch.setattr(network, "via", broken)
    with pytest.raises(ClientError) as exc:
        aws("bedrock-runtime", config=NO_RETRY).converse(modelId=US_NOVA_MICRO, messages=_ask())
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] >= 500
    assert [e for e in cloudtrail.events() if "vpcEndpointId" not in e and e["eventName"] == "Converse"] == [], \
        "no record without its network facts"


def test_the_history_is_kept_per_account(aws):
    from sandbox import backends, cloudtrail

    aws("bedrock").list_foundation_models()
    assert [e["eventName"] for e in cloudtrail.events(backends.ACCOUNT_ID)] == ["ListFoundationModels"]
    assert cloudtrail.events("210987654321") == []
    # A state file saved when the history was one list still loads, into the sandbox's account.
    saved = list(cloudtrail._EVENTS[backends.ACCOUNT_ID])
    cloudtrail._EVENTS.clear()
    cloudtrail._EVENTS.update(saved)
    assert _lookup(aws("cloudtrail"))[0]["EventName"] == "ListFoundationModels"


def test_evidence_noted_on_the_endpoint_and_collected(aws, sandbox):
    """utils.evidence: 04/05 tag the endpoint with each call; the board and 07's collection find the events."""
    from utils import evidence

    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3",
                                   VpcEndpointType="Gateway")["VpcEndpoint"]["VpcEndpointId"]
    ct = aws("cloudtrail")
    board = evidence.Board(ec2, ct, vpce)
    assert board.refresh() == [] and not board.complete
    called = datetime.now(UTC)
    evidence.note(ec2, vpce, "allow", called)
    with pytest.raises(ValueError, match="kind must be one of"):
        evidence.note(ec2, vpce, "maybe", called)
    [row] = board.refresh()
    assert row["evidence"] == "allow" and row["status"].startswith("on its way")
    from sandbox import cloudtrail

    class Req:  # a Converse call through the endpoint, as sandbox/bedrock.py records one
        region, headers, access_key, environ = "us-east-1", {}, None, {}

    cloudtrail.record("Converse", "bedrock.amazonaws.com", Req(), _Admin(), [])
    cloudtrail._store()[-1]["event"]["vpcEndpointId"] = vpce
    [row] = board.refresh()
    assert row["status"] == "arrived" and row["vpcEndpointId"] == vpce and board.complete
    endpoint = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    evidence.note(ec2, vpce, "deny", datetime.now(UTC))
    endpoint = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    rows = evidence.collect(ec2, ct, [endpoint], timeout=0.5)  # the Deny's event never comes: reported, no error
    assert [(r["evidence"], r["status"]) for r in rows][0] == ("allow", "arrived")
    assert rows[1]["evidence"] == "deny" and rows[1]["status"].startswith("on its way")
    assert evidence.collect(ec2, ct, []) == []


class _Admin:
    kind, account, arn, user_name = "admin", ACCOUNT, f"arn:aws:sts::{ACCOUNT}:user/moto", "moto"


# ---------------------------------------------------------------- the workshop with AWS-like delays (issue 12)

@pytest.mark.slow
def test_aws_like_delays_and_cloudtrail_off_the_critical_path(workshop, sandbox):  # noqa: F811
    """The one long test (about 2 minutes): AWS-like delays, scaled down, and CloudTrail delivering a minute late.

    timing_scale 0.05 (stack 1 s, endpoint 3 s, Lambda updates 0.5 s, ENI release 60 s, CloudTrail 15 s) plus a
    1 s policy propagation delay and 45 s more of CloudTrail delivery (60 s in all, as
    SANDBOX_CLOUDTRAIL_DELIVERY_SECONDS=60 gives at scale 0). Every wait polls; 04 looks for its event for 15 s
    and moves on; 05 shows the evidence without waiting; 07 collects both events (the Allow and the Deny, with
    the endpoint's vpcEndpointId) before it deletes the endpoint, while Lambda releases the function's ENIs.
    """
    set_settings(sandbox.url, {"timing_scale": 0.05, "policy_propagation_seconds": 1.0,
                               "cloudtrail_delivery_seconds": 45.0})
    try:
        report = workshop.run(list(NOTEBOOKS), record=False)
    finally:
        set_settings(sandbox.url, {"timing_scale": 0, "policy_propagation_seconds": 0,
                                   "cloudtrail_delivery_seconds": 0})
    assert report.ok, workshop.summary(report)
    texts = {n: workshop.text(n) for n in NOTEBOOKS}
    seconds = {r.notebook[:2]: round(r.seconds, 1) for r in report.results}
    print(f"\nper-notebook seconds: {seconds}; total {report.seconds:.1f} s")

    # Every wait polled and said what it awaited.
    assert "... endpoint vpce-" in texts["02"] and "to be available: pending" in texts["02"]
    polled = r"OK: the Deny policy to take effect: AccessDeniedException after [0-9.]+ s \(([2-9]|\d\d+) checks"
    assert re.search(polled, texts["05"]), "the Deny test should have polled through the propagation delay"
    assert "to be released" in texts["07"]

    # 04: a reply, then a short look at CloudTrail that moved on, saying where the event is shown later.
    endpoint_id = re.search(r"the Converse event through (vpce-[0-9a-f]+) in CloudTrail", texts["04"]).group(1)
    assert "Reply (us.amazon.nova-micro-v1:0)" in texts["04"]
    assert "Not in CloudTrail yet (15 s after the call" in texts["04"]
    assert "Notebook 05 shows it as it arrives, and notebook 07 collects it" in texts["04"]
    # 05: the evidence table, without waiting for CloudTrail.
    assert "on its way (typically by" in texts["05"] and "Deny blocked the call; Allow restored it." in texts["05"]
    assert "CloudTrail to deliver" not in texts["05"]
    # 06: both events, with the endpoint's ID, before the endpoint is deleted.
    allow = f"CloudTrail: the Allow event came through {endpoint_id}."
    deny = f"CloudTrail: the Deny event came through {endpoint_id} with errorCode AccessDenied."
    deleted = f"OK: endpoint(s) {endpoint_id} to be deleted"
    cleanup = texts["07"]
    assert allow in cleanup and deny in cleanup, cleanup[-3000:]
    assert cleanup.index(allow) < cleanup.index(deleted) and cleanup.index(deny) < cleanup.index(deleted)
    assert "left the VPC; Lambda now releases its network interfaces" in cleanup
    assert cleanup.index("left the VPC") < cleanup.index("CloudTrail to deliver"), "the ENI release starts first"
    assert "Nothing of the workshop remains." in cleanup
    assert remaining() == []
