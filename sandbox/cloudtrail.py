"""CloudTrail event history for the calls the sandbox serves itself (Amazon Bedrock).

`record(...)` writes one event as CloudTrail writes it for a management event; `LookupEvents`
(JSON 1.1, X-Amz-Target ...CloudTrail_20131101.LookupEvents) reads them back, newest first, with
AWS's filters and paging. moto keeps answering every other CloudTrail call.

As documented by AWS: Bedrock runtime calls (InvokeModel, Converse, ...) are management events with
eventSource "bedrock.amazonaws.com", readOnly true, requestParameters {"modelId"}, responseElements null
and, for a cross-Region inference profile, additionalEventData.inferenceRegion. A call that came
through an interface VPC endpoint carries `vpcEndpointId` (and `vpcEndpointAccountId`) and the
caller's private source IP. A call that failed, an AccessDenied included, is recorded too, with `errorCode` and
`errorMessage` ("CloudTrail record contents for management, data, and network activity events").

Delivery is not immediate: "CloudTrail typically delivers logs within an average of about 5 minutes of an API
call. This time is not guaranteed." (CloudTrail User Guide, "Getting and viewing your CloudTrail log files").
An event reaches LookupEvents only once `SETTINGS.delay("cloudtrail_delivery")` has passed since the call
(300 s at timing_scale 1, plus `cloudtrail_delivery_seconds`; 0 by default: at once).

Events belong to an account: `_store()` is the one place that holds them (a list per account, today the
sandbox's one account), so that a multi-account sandbox keys them by the caller's account and nothing else
changes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from datetime import UTC, datetime

from moto.iam.exceptions import NotFoundException
from werkzeug.wrappers import Response

from . import backends, identity, network
from .errors import AwsError
from .server import RESET_HOOKS, route
from .settings import SETTINGS

EVENT_VERSION = "1.11"
MAX_EVENTS = 10_000  # the sandbox's event history keeps the most recent calls
LOOKUP_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
LOOKUP_KEYS = {"EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
               "AccessKeyId"}

class _History(dict):
    """account -> events. `update` also takes the single list that state files saved before accounts existed
    (sandbox/persistence.py restores records in place with clear() and update())."""

    def update(self, other=(), **kwargs):
        if isinstance(other, list):
            other = {backends.ACCOUNT_ID: other}
        super().update(other, **kwargs)


# account ID -> events, oldest first; each {"event": <CloudTrail record>, "summary": <LookupEvents fields>,
# "region": ..., "delivered_at": <epoch seconds when LookupEvents starts to show it>}.
_EVENTS: _History = _History()
_LOCK = threading.Lock()


def _store(account: str | None = None) -> list[dict]:
    """The event history of one account (the caller's; by default the sandbox's account). Call under _LOCK."""
    return _EVENTS.setdefault(account or backends.ACCOUNT_ID, [])


def _reset() -> None:
    with _LOCK:
        _EVENTS.clear()


RESET_HOOKS.append(_reset)


def events(account: str | None = None, *, delivered_only: bool = False) -> list[dict]:
    """A copy of the recorded CloudTrail records, oldest first (for tests and admin views)."""
    now = time.time()
    with _LOCK:
        return [dict(e["event"]) for e in _store(account)
                if not delivered_only or e.get("delivered_at", 0) <= now]


# ---------------------------------------------------------------- recording


def _via(req) -> dict | None:
    """The network facts of the request (None: not from a sandbox function). A failure of the network model is
    an error of the request, never a record without its `vpcEndpointId`."""
    return network.via(req)


def _fake_id(prefix: str, seed: str, length: int = 17) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest().upper()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return prefix + "".join(alphabet[int(digest[i:i + 2], 16) % 32] for i in range(0, length * 2, 2))


def _role_id(role_name: str | None) -> str:
    if role_name:
        try:
            return backends.iam().get_role(role_name).id
        except NotFoundException:  # the role was deleted since the session began
            pass
    return _fake_id("AROA", role_name or "role")


def _user_identity(principal, access_key: str | None) -> dict:
    kind = getattr(principal, "kind", "admin")
    account = getattr(principal, "account", None)
    if kind == "assumed-role":
        role_id = _role_id(principal.role_name)
        return {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{principal.session}",
            "arn": principal.arn,
            "accountId": account,
            "accessKeyId": access_key,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": principal.role_arn,
                    "accountId": account,
                    "userName": principal.role_name,
                },
                "attributes": {"creationDate": _iso(time.time()), "mfaAuthenticated": "false"},
            },
        }
    name = getattr(principal, "user_name", None) or principal.arn.rsplit("/", 1)[-1]
    return {
        "type": "IAMUser",
        "principalId": _fake_id("AIDA", principal.arn),
        "arn": principal.arn,
        "accountId": account,
        "accessKeyId": access_key,
        "userName": name,
    }


def _username(principal) -> str:
    if getattr(principal, "kind", None) == "assumed-role":
        return principal.session or principal.role_name or ""
    return getattr(principal, "user_name", None) or principal.arn.rsplit("/", 1)[-1]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _resource_type(arn: str) -> str:
    if ":inference-profile/" in arn:
        return "AWS::Bedrock::InferenceProfile"
    if ":foundation-model/" in arn:
        return "AWS::Bedrock::FoundationModel"
    return "AWS::Bedrock::Resource"


_ERROR_CODES = {"AccessDeniedException": "AccessDenied"}


def record(event_name: str, event_source: str, req, principal, resources: list[str] | None,
           error_code: str | None = None, error_message: str | None = None, *,
           request_parameters: dict | None = None, read_only: bool = True, host: str | None = None,
           additional_event_data: dict | None = None) -> dict:
    """Record one API call as a CloudTrail management event and return the record.

    `resources` are the ARNs the call acted on (shown by LookupEvents and matched by ResourceName).
    `error_code`: the API error (AccessDeniedException is written "AccessDenied", as CloudTrail does).
    """
    now = time.time()
    region = getattr(req, "region", None) or "us-east-1"
    headers = getattr(req, "headers", None) or {}
    access_key = getattr(req, "access_key", None)
    via = _via(req)
    environ = getattr(req, "environ", None) or {}
    source_ip = environ.get("REMOTE_ADDR") or "127.0.0.1"
    if via and via.get("source_ip"):
        source_ip = via["source_ip"]
    account = getattr(principal, "account", None)
    event: dict = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": _user_identity(principal, access_key),
        "eventTime": _iso(now),
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": headers.get("User-Agent", ""),
    }
    if error_code:
        event["errorCode"] = _ERROR_CODES.get(error_code, error_code)
        event["errorMessage"] = error_message or ""
    event["requestParameters"] = request_parameters
    event["responseElements"] = None
    if additional_event_data:
        event["additionalEventData"] = additional_event_data
    event.update({
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
    })
    if via and via.get("kind") == "vpce" and via.get("vpce_id"):
        event["vpcEndpointId"] = via["vpce_id"]
        event["vpcEndpointAccountId"] = account
    event["eventCategory"] = "Management"
    if host:
        event["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                               "clientProvidedHostHeader": host}
    summary = {
        "EventId": event["eventID"],
        "EventName": event_name,
        "ReadOnly": "true" if read_only else "false",
        "AccessKeyId": access_key,
        "EventTime": now,
        "EventSource": event_source,
        "Username": _username(principal),
        "Resources": [{"ResourceType": _resource_type(a), "ResourceName": a} for a in (resources or [])
                      if a and a != "*"],
    }
    item = {"event": event, "summary": summary, "region": region,
            "delivered_at": now + SETTINGS.delay("cloudtrail_delivery")}
    with _LOCK:
        store = _store(account)
        store.append(item)
        del store[:-MAX_EVENTS]
    return event


# ---------------------------------------------------------------- LookupEvents


def _caller_account(req) -> str:
    """The account whose event history the caller reads."""
    return identity.principal_for(req.access_key).account or backends.ACCOUNT_ID


def _matches(item: dict, key: str, value: str) -> bool:
    s = item["summary"]
    if key in {"EventId", "EventName", "ReadOnly", "Username", "EventSource", "AccessKeyId"}:
        return (s.get(key) or "") == value
    if key == "ResourceType":
        return any(r["ResourceType"] == value for r in s["Resources"])
    if key == "ResourceName":
        return any(r["ResourceName"] == value for r in s["Resources"])
    return False


def _epoch(value, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise AwsError("InvalidTimeRangeException", f"{name} is not a valid timestamp.") from None


def _token(event_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"next": event_id}).encode()).decode()


def _untoken(token: str) -> str:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))["next"]
    except Exception:
        raise AwsError("InvalidNextTokenException", "Invalid NextToken.") from None


@route(service="cloudtrail", method="POST", target=LOOKUP_TARGET)
def lookup_events(req) -> Response:
    try:
        body = req.json()
    except ValueError:
        raise AwsError("SerializationException", "Start of structure or map found where not expected.") from None
    attrs = body.get("LookupAttributes") or []
    if len(attrs) > 1:
        raise AwsError("InvalidLookupAttributesException",
                       "You can only specify one lookup attribute per request.")
    for a in attrs:
        if a.get("AttributeKey") not in LOOKUP_KEYS:
            raise AwsError("InvalidLookupAttributesException",
                           f"Invalid lookup attribute key: {a.get('AttributeKey')}.")
    if body.get("EventCategory") not in (None, "insight"):
        raise AwsError("InvalidEventCategoryException", "Invalid EventCategory.")
    start = _epoch(body.get("StartTime"), "StartTime")
    end = _epoch(body.get("EndTime"), "EndTime")
    if start is not None and end is not None and start > end:
        raise AwsError("InvalidTimeRangeException", "Start time must be before end time.")
    max_results = body.get("MaxResults", 50)
    if not isinstance(max_results, int) or not 1 <= max_results <= 50:
        raise AwsError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    now = time.time()
    with _LOCK:
        # Only what has been delivered; events from a state saved before delivery times existed count as delivered.
        items = [e for e in reversed(_store(_caller_account(req)))
                 if e["region"] == req.region and e.get("delivered_at", 0) <= now]
    if body.get("EventCategory") == "insight":
        items = []  # the sandbox records no Insights events
    for a in attrs:
        items = [e for e in items if _matches(e, a["AttributeKey"], a.get("AttributeValue", ""))]
    if start is not None:
        items = [e for e in items if e["summary"]["EventTime"] >= start]
    if end is not None:
        items = [e for e in items if e["summary"]["EventTime"] <= end]
    offset = 0
    if body.get("NextToken"):
        wanted = _untoken(body["NextToken"])
        offset = next((i for i, e in enumerate(items) if e["event"]["eventID"] == wanted), None)
        if offset is None:
            raise AwsError("InvalidNextTokenException", "Invalid NextToken.")
    page = items[offset:offset + max_results]
    out = []
    for e in page:
        s = dict(e["summary"])
        s["CloudTrailEvent"] = json.dumps(e["event"])
        if not s.get("AccessKeyId"):
            s.pop("AccessKeyId", None)
        out.append(s)
    result: dict = {"Events": out}
    if offset + max_results < len(items):
        result["NextToken"] = _token(items[offset + max_results]["event"]["eventID"])
    return Response(json.dumps(result), status=200,
                    headers={"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": str(uuid.uuid4())})
