"""Amazon Bedrock's HTTP handlers in the sandbox: the control plane (models, inference profiles) and the runtime.

Both `bedrock` and `bedrock-runtime` clients sign with the service name "bedrock"; the URL path tells
them apart (botocore service-2.json):

| API | method and path |
| --- | --- |
| ListFoundationModels | GET /foundation-models |
| GetFoundationModel | GET /foundation-models/{modelIdentifier} |
| ListInferenceProfiles | GET /inference-profiles |
| GetInferenceProfile | GET /inference-profiles/{inferenceProfileIdentifier} |
| InvokeModel | POST /model/{modelId}/invoke |
| Converse | POST /model/{modelId}/converse |
| InvokeModelWithResponseStream | POST /model/{modelId}/invoke-with-response-stream (event stream) |
| ConverseStream | POST /model/{modelId}/converse-stream (event stream) |

Every call is authorized with `sandbox.authz` before anything runs (Converse and InvokeModel as
bedrock:InvokeModel; a profile on its ARN and on the foundation-model ARN of each destination Region)
and recorded in CloudTrail, denied calls included. Replies are deterministic, derived from the prompt,
and say that they come from the sandbox. Request validation lives in `validation`, the typed errors in
`exceptions`, the stand-in model in `models`, and the catalog in `sandbox.bedrock_catalog`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import struct
import uuid
import zlib

from werkzeug.wrappers import Response

from .. import authz, backends, cloudtrail, identity
from .. import bedrock_catalog as catalog
from ..errors import AwsError
from ..server import RESET_HOOKS, route
from ..settings import LOCK, SETTINGS
from . import validation
from .exceptions import ResourceNotFoundException, ServiceUnavailableException, ThrottlingException, ValidationException
from .models import Generation

EVENT_SOURCE = "bedrock.amazonaws.com"

MSG_THROTTLED = "Too many requests, please wait before trying again."
MSG_UNAVAILABLE = "Bedrock is unable to process your request."

log = logging.getLogger("sandbox.bedrock")


def _route(method: str, path: str):
    return route(service="bedrock", method=method, path=path)


# ---------------------------------------------------------------- plumbing


def _account() -> str:
    return backends.ACCOUNT_ID


def _principal(req):
    return identity.principal_for(req.access_key)


def _authorize(req, action: str, resources: list[str], context: dict | None = None):
    return authz.authorize(req, action, resources, context)


def _json(data: dict, status: int = 200, headers: dict | None = None) -> Response:
    h = {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())}
    h.update(headers or {})
    return Response(json.dumps(data), status=status, headers=h)


def _host(runtime: bool, region: str) -> str:
    return f"bedrock-runtime.{region}.amazonaws.com" if runtime else f"bedrock.{region}.amazonaws.com"


class _Audit:
    """Records the call in CloudTrail when the handler ends, with the error if it raised one."""

    def __init__(self, req, event_name: str, runtime: bool, params: dict | None):
        self.req, self.event_name, self.runtime, self.params = req, event_name, runtime, params
        self.resources: list[str] = []
        self.additional: dict | None = None

    def __enter__(self) -> _Audit:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            principal = _principal(self.req)
        except Exception:  # noqa: BLE001 - the call's own error goes first; say why the record is missing
            log.exception("%s: no CloudTrail record, the caller could not be identified", self.event_name)
            return False
        code = message = None
        if isinstance(exc, AwsError):
            code, message = exc.code, exc.message
        elif exc is not None:
            code, message = "InternalServerException", "The sandbox failed to handle the request."
        cloudtrail.record(self.event_name, EVENT_SOURCE, self.req, principal, self.resources, code, message,
                          request_parameters=self.params, read_only=True,
                          host=_host(self.runtime, self.req.region), additional_event_data=self.additional)
        return False


def _catalog_call(fn, *args):
    try:
        return fn(*args)
    except catalog.CatalogError as err:
        raise AwsError(err.code, err.message, err.status) from None


def _inject_faults() -> None:
    """Injected faults (issue 5): bedrock_throttle / bedrock_unavailable = how many calls fail next."""
    with LOCK:
        for name, error, message in (
            ("bedrock_throttle", ThrottlingException, MSG_THROTTLED),
            ("bedrock_unavailable", ServiceUnavailableException, MSG_UNAVAILABLE),
        ):
            left = SETTINGS.faults.get(name, 0)
            if isinstance(left, (int, float)) and left > 0:
                left -= 1
                if left > 0:
                    SETTINGS.faults[name] = left
                else:
                    SETTINGS.faults.pop(name, None)
                raise error(message)


FAULTS = ("bedrock_throttle", "bedrock_unavailable")


def _reset_faults() -> None:
    # POST /_sandbox/reset starts clean: a fault left over from an earlier run must not hit the next one.
    with LOCK:
        for name in FAULTS:
            SETTINGS.faults.pop(name, None)


RESET_HOOKS.append(_reset_faults)


# ---------------------------------------------------------------- control plane

@_route("GET", r"^/foundation-models/?$")
def list_foundation_models(req) -> Response:
    params = {k: req.query[k] for k in validation.FOUNDATION_MODEL_FILTERS if k in req.query}
    with _Audit(req, "ListFoundationModels", False, params or None) as audit:
        audit.resources = ["*"]
        _authorize(req, "bedrock:ListFoundationModels", ["*"])
        validation.foundation_model_filters(params)
        out = []
        for m in catalog.models(req.region):
            if "byProvider" in params and m["providerName"].lower() != params["byProvider"].lower():
                continue
            if "byOutputModality" in params and params["byOutputModality"] not in m["outputModalities"]:
                continue
            if "byInferenceType" in params and params["byInferenceType"] not in m["inferenceTypesSupported"]:
                continue
            if "byCustomizationType" in params and params["byCustomizationType"] not in m["customizationsSupported"]:
                continue
            out.append(m)
        return _json({"modelSummaries": out})


@_route("GET", r"^/foundation-models/(?P<model_id>.+)$")
def get_foundation_model(req, model_id: str) -> Response:
    with _Audit(req, "GetFoundationModel", False, {"modelIdentifier": model_id}) as audit:
        details = catalog.model(req.region, model_id)
        audit.resources = [details["modelArn"] if details else _fm_arn_guess(req.region, model_id)]
        _authorize(req, "bedrock:GetFoundationModel", audit.resources)
        if details is None:
            raise ResourceNotFoundException(catalog.MSG_FM_NOT_FOUND)
        return _json({"modelDetails": details})


def _fm_arn_guess(region: str, ident: str) -> str:
    return ident if ident.startswith("arn:") else catalog.model_arn(region, ident)


@_route("GET", r"^/inference-profiles/?$")
def list_inference_profiles(req) -> Response:
    params = {k: req.query[k] for k in ("maxResults", "nextToken", "type") if k in req.query}
    with _Audit(req, "ListInferenceProfiles", False, params or None) as audit:
        audit.resources = ["*"]
        _authorize(req, "bedrock:ListInferenceProfiles", ["*"])
        kind, max_results = validation.inference_profile_listing(params)
        items = catalog.profiles(req.region, _account()) if kind in (None, "SYSTEM_DEFINED") else []
        start = 0
        if "nextToken" in params:
            start = next((i for i, p in enumerate(items) if _page_token(p) == params["nextToken"]), -1)
            if start < 0:
                raise ValidationException("The provided pagination token is invalid.")
        page = items[start:start + max_results]
        result: dict = {"inferenceProfileSummaries": page}
        if start + max_results < len(items):
            result["nextToken"] = _page_token(items[start + max_results])
        return _json(result)


def _page_token(prof: dict) -> str:
    return hashlib.sha256(prof["inferenceProfileId"].encode()).hexdigest()[:32]


@_route("GET", r"^/inference-profiles/(?P<profile_id>.+)$")
def get_inference_profile(req, profile_id: str) -> Response:
    with _Audit(req, "GetInferenceProfile", False, {"inferenceProfileIdentifier": profile_id}) as audit:
        found = catalog.profile(req.region, profile_id, _account())
        arn = found["inferenceProfileArn"] if found else (
            profile_id if profile_id.startswith("arn:") else catalog.profile_arn(req.region, profile_id, _account()))
        audit.resources = [arn]
        _authorize(req, "bedrock:GetInferenceProfile", [arn])
        if found is None:
            # Wording assumed: AWS's text for an unknown system-defined profile is not in the documents we have.
            raise ResourceNotFoundException(f"Inference profile {profile_id} not found.")
        return _json(found)


# ---------------------------------------------------------------- runtime: model resolution and authorization


def _resolve_and_authorize(req, model_id: str, audit: _Audit) -> dict:
    """Resolve the model ID, then authorize bedrock:InvokeModel on every resource the call reaches."""
    audit.resources = [_fm_arn_guess(req.region, model_id)]
    kind, ids, arns = _catalog_call(catalog.resolve, req.region, model_id, _account())
    audit.resources = list(arns)
    if kind == "inference-profile":
        dests = ids["destinations"] or [req.region]
        audit.additional = {"inferenceRegion": _pick_region(dests, req)}
        _authorize(req, "bedrock:InvokeModel", [ids["profile_arn"]])
        context = {"bedrock:InferenceProfileArn": ids["profile_arn"]}
        regional = [a for a in arns[1:] if not a.startswith("arn:aws:bedrock:::")]
        _authorize(req, "bedrock:InvokeModel", regional, context)
        regionless = [a for a in arns[1:] if a.startswith("arn:aws:bedrock:::")]
        if regionless:  # a global profile: AWS authorizes the Region-less ARN with aws:RequestedRegion "unspecified"
            _authorize(req, "bedrock:InvokeModel", regionless, dict(context, **{"aws:RequestedRegion": "unspecified"}))
    else:
        _authorize(req, "bedrock:InvokeModel", arns)
    return ids


def _pick_region(dests: list[str], req) -> str:
    # Deterministic "routing": the source Region when it is a destination, else the first destination.
    return req.region if req.region in dests else dests[0]


# ---------------------------------------------------------------- runtime handlers


def _invoke_generation(req, model_id: str, audit: _Audit) -> Generation:
    ids = _resolve_and_authorize(req, model_id, audit)
    _inject_faults()
    validation.accept_header(req.headers.get("Accept", "application/json"))
    body = validation.invoke_body(req.body)
    texts = validation.anthropic_texts(body) if ids["format"] == "anthropic" else validation.nova_texts(body)
    return Generation(ids, *texts)


def _converse_generation(req, model_id: str, audit: _Audit) -> Generation:
    ids = _resolve_and_authorize(req, model_id, audit)
    _inject_faults()
    body = validation.converse_body(req.body)
    text_only = "IMAGE" not in catalog.MODELS[ids["model_id"]]["inputModalities"]
    return Generation(ids, *validation.converse_texts(body, text_only))


def _anthropic_model_name(model_id: str) -> str:
    return model_id.split(".", 1)[1].rsplit("-v", 1)[0]


def _message_id(gen: Generation) -> str:
    return "msg_bdrk_" + hashlib.sha256(gen.text.encode()).hexdigest()[:24]


@_route("POST", r"^/model/(?P<model_id>.+)/invoke$")
def invoke_model(req, model_id: str) -> Response:
    with _Audit(req, "InvokeModel", True, {"modelId": model_id}) as audit:
        gen = _invoke_generation(req, model_id, audit)
        if gen.ids["format"] == "anthropic":
            payload = {
                "id": _message_id(gen),
                "type": "message",
                "role": "assistant",
                "model": _anthropic_model_name(gen.ids["model_id"]),
                "content": [{"type": "text", "text": gen.text}],
                "stop_reason": gen.stop,
                "stop_sequence": None,
                "usage": {"input_tokens": gen.in_tokens, "output_tokens": gen.out_tokens},
            }
        else:
            payload = {
                "output": {"message": {"content": [{"text": gen.text}], "role": "assistant"}},
                "stopReason": gen.stop,
                "usage": {"inputTokens": gen.in_tokens, "outputTokens": gen.out_tokens,
                          "totalTokens": gen.in_tokens + gen.out_tokens,
                          "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0},
            }
        return _json(payload, headers={
            "X-Amzn-Bedrock-Input-Token-Count": str(gen.in_tokens),
            "X-Amzn-Bedrock-Output-Token-Count": str(gen.out_tokens),
            "X-Amzn-Bedrock-Invocation-Latency": str(gen.latency),
        })


@_route("POST", r"^/model/(?P<model_id>.+)/converse$")
def converse(req, model_id: str) -> Response:
    with _Audit(req, "Converse", True, {"modelId": model_id}) as audit:
        gen = _converse_generation(req, model_id, audit)
        return _json({
            "output": {"message": {"role": "assistant", "content": [{"text": gen.text}]}},
            "stopReason": gen.stop,
            "usage": {"inputTokens": gen.in_tokens, "outputTokens": gen.out_tokens,
                      "totalTokens": gen.in_tokens + gen.out_tokens},
            "metrics": {"latencyMs": gen.latency},
        })


# ---------------------------------------------------------------- streaming (application/vnd.amazon.eventstream)


def _event_message(event_type: str, payload: dict) -> bytes:
    """One message of the AWS event-stream encoding: prelude, prelude CRC, headers, payload, message CRC."""
    headers = b""
    for name, value in ((":event-type", event_type), (":content-type", "application/json"),
                        (":message-type", "event")):
        raw_name, raw_value = name.encode(), value.encode()
        headers += struct.pack(">B", len(raw_name)) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + headers + body
    return message + struct.pack(">I", zlib.crc32(message) & 0xFFFFFFFF)


def _stream_response(events: list[tuple[str, dict]], headers: dict | None = None) -> Response:
    h = {"Content-Type": "application/vnd.amazon.eventstream", "x-amzn-RequestId": str(uuid.uuid4())}
    h.update(headers or {})
    return Response(b"".join(_event_message(t, p) for t, p in events), status=200, headers=h)


def _chunk(data: dict) -> tuple[str, dict]:
    return "chunk", {"bytes": base64.b64encode(json.dumps(data).encode()).decode()}


@_route("POST", r"^/model/(?P<model_id>.+)/invoke-with-response-stream$")
def invoke_model_stream(req, model_id: str) -> Response:
    with _Audit(req, "InvokeModelWithResponseStream", True, {"modelId": model_id}) as audit:
        gen = _invoke_generation(req, model_id, audit)
        pieces = gen.chunks()
        if gen.ids["format"] == "anthropic":
            events = [_chunk({"type": "message_start", "message": {
                "id": _message_id(gen), "type": "message", "role": "assistant",
                "model": _anthropic_model_name(gen.ids["model_id"]), "content": [], "stop_reason": None,
                "stop_sequence": None, "usage": {"input_tokens": gen.in_tokens, "output_tokens": 1}}}),
                _chunk({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})]
            events += [_chunk({"type": "content_block_delta", "index": 0,
                               "delta": {"type": "text_delta", "text": piece}}) for piece in pieces]
            events += [_chunk({"type": "content_block_stop", "index": 0}),
                       _chunk({"type": "message_delta", "delta": {"stop_reason": gen.stop, "stop_sequence": None},
                               "usage": {"output_tokens": gen.out_tokens}}),
                       _chunk({"type": "message_stop", "amazon-bedrock-invocationMetrics": gen.invocation_metrics()})]
        else:
            events = [_chunk({"messageStart": {"role": "assistant"}})]
            events += [_chunk({"contentBlockDelta": {"delta": {"text": piece}, "contentBlockIndex": 0}})
                       for piece in pieces]
            events += [_chunk({"contentBlockStop": {"contentBlockIndex": 0}}),
                       _chunk({"messageStop": {"stopReason": gen.stop}}),
                       _chunk({"metadata": {"usage": {"inputTokens": gen.in_tokens, "outputTokens": gen.out_tokens},
                                            "metrics": {}, "trace": {}},
                               "amazon-bedrock-invocationMetrics": gen.invocation_metrics()})]
        return _stream_response(events, {"X-Amzn-Bedrock-Content-Type": "application/json"})


@_route("POST", r"^/model/(?P<model_id>.+)/converse-stream$")
def converse_stream(req, model_id: str) -> Response:
    with _Audit(req, "ConverseStream", True, {"modelId": model_id}) as audit:
        gen = _converse_generation(req, model_id, audit)
        events = [("messageStart", {"role": "assistant"})]
        events += [("contentBlockDelta", {"delta": {"text": piece}, "contentBlockIndex": 0})
                   for piece in gen.chunks()]
        events += [("contentBlockStop", {"contentBlockIndex": 0}),
                   ("messageStop", {"stopReason": gen.stop}),
                   ("metadata", {"usage": {"inputTokens": gen.in_tokens, "outputTokens": gen.out_tokens,
                                           "totalTokens": gen.in_tokens + gen.out_tokens},
                                 "metrics": {"latencyMs": gen.latency}})]
        return _stream_response(events)
