"""Amazon Bedrock in the sandbox: the control plane (models, inference profiles) and the runtime.

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
and say that they come from the sandbox. The catalog lives in `bedrock_catalog`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
import uuid
import zlib

from werkzeug.wrappers import Response

from . import authz, backends, cloudtrail, identity
from . import bedrock_catalog as catalog
from .errors import AwsError
from .server import RESET_HOOKS, route
from .settings import LOCK, SETTINGS

EVENT_SOURCE = "bedrock.amazonaws.com"
ANTHROPIC_VERSION = "bedrock-2023-05-31"
DEFAULT_MAX_TOKENS = 512  # what the sandbox assumes when a Converse/Nova call gives no maxTokens

MSG_THROTTLED = "Too many requests, please wait before trying again."
MSG_UNAVAILABLE = "Bedrock is unable to process your request."
MSG_START_WITH_USER = ("A conversation must start with a user message. Try again with a conversation that starts "
                       "with a user message.")
MSG_ALTERNATE = ("A conversation must alternate between user and assistant roles. Make sure the conversation "
                 "alternates between user and assistant roles and try again.")


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
        except Exception:  # never lose the original error because of the audit trail
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
        for name, code, message, status in (
            ("bedrock_throttle", "ThrottlingException", MSG_THROTTLED, 429),
            ("bedrock_unavailable", "ServiceUnavailableException", MSG_UNAVAILABLE, 503),
        ):
            left = SETTINGS.faults.get(name, 0)
            if isinstance(left, (int, float)) and left > 0:
                left -= 1
                if left > 0:
                    SETTINGS.faults[name] = left
                else:
                    SETTINGS.faults.pop(name, None)
                raise AwsError(code, message, status, sender=(status < 500))


FAULTS = ("bedrock_throttle", "bedrock_unavailable")


def _reset_faults() -> None:
    # POST /_sandbox/reset starts clean: a fault left over from an earlier run must not hit the next one.
    with LOCK:
        for name in FAULTS:
            SETTINGS.faults.pop(name, None)


RESET_HOOKS.append(_reset_faults)


# ---------------------------------------------------------------- control plane

_PROVIDER_RE = re.compile(r"^[A-Za-z0-9- ]{1,63}$")
_ENUMS = {
    "byCustomizationType": {"FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"},
    "byOutputModality": {"TEXT", "IMAGE", "EMBEDDING"},
    "byInferenceType": {"ON_DEMAND", "PROVISIONED"},
}


@_route("GET", r"^/foundation-models/?$")
def list_foundation_models(req) -> Response:
    params = {k: req.query[k] for k in ("byProvider", "byCustomizationType", "byOutputModality", "byInferenceType")
              if k in req.query}
    with _Audit(req, "ListFoundationModels", False, params or None) as audit:
        audit.resources = ["*"]
        _authorize(req, "bedrock:ListFoundationModels", ["*"])
        for key, allowed in _ENUMS.items():
            if key in params and params[key] not in allowed:
                raise AwsError("ValidationException", f"1 validation error detected: Value '{params[key]}' at "
                               f"'{key}' failed to satisfy constraint: Member must satisfy enum value set: "
                               f"[{', '.join(sorted(allowed))}]")
        if "byProvider" in params and not _PROVIDER_RE.match(params["byProvider"]):
            raise AwsError("ValidationException", f"1 validation error detected: Value '{params['byProvider']}' at "
                           "'byProvider' failed to satisfy constraint: Member must satisfy regular expression "
                           "pattern: [A-Za-z0-9- ]{1,63}")
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
            raise AwsError("ResourceNotFoundException", catalog.MSG_FM_NOT_FOUND, 404)
        return _json({"modelDetails": details})


def _fm_arn_guess(region: str, ident: str) -> str:
    return ident if ident.startswith("arn:") else catalog.model_arn(region, ident)


@_route("GET", r"^/inference-profiles/?$")
def list_inference_profiles(req) -> Response:
    params = {k: req.query[k] for k in ("maxResults", "nextToken", "type") if k in req.query}
    with _Audit(req, "ListInferenceProfiles", False, params or None) as audit:
        audit.resources = ["*"]
        _authorize(req, "bedrock:ListInferenceProfiles", ["*"])
        kind = params.get("type")
        if kind is not None and kind not in {"SYSTEM_DEFINED", "APPLICATION"}:
            raise AwsError("ValidationException", f"1 validation error detected: Value '{kind}' at 'typeEquals' "
                           "failed to satisfy constraint: Member must satisfy enum value set: "
                           "[SYSTEM_DEFINED, APPLICATION]")
        try:
            max_results = int(params.get("maxResults", 1000))
        except ValueError:
            raise AwsError("ValidationException", "maxResults must be an integer.") from None
        if not 1 <= max_results <= 1000:
            raise AwsError("ValidationException", f"1 validation error detected: Value '{max_results}' at "
                           "'maxResults' failed to satisfy constraint: Member must have value less than or equal "
                           "to 1000 and greater than or equal to 1")
        items = catalog.profiles(req.region, _account()) if kind in (None, "SYSTEM_DEFINED") else []
        start = 0
        if "nextToken" in params:
            start = next((i for i, p in enumerate(items) if _page_token(p) == params["nextToken"]), -1)
            if start < 0:
                raise AwsError("ValidationException", "The provided pagination token is invalid.")
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
            raise AwsError("ResourceNotFoundException", f"Inference profile {profile_id} not found.", 404)
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


# ---------------------------------------------------------------- runtime: the sandbox's "model"


def _tokens(text: str) -> int:
    words = len(text.split())
    return max(1, math.ceil(words * 1.3)) if words else 0


def _reply(model_label: str, prompt: str, system: str, max_tokens: int) -> tuple[str, int, str]:
    """(text, output tokens, stop reason) of the sandbox's deterministic answer."""
    question = " ".join(prompt.split())
    quoted = question if len(question) <= 80 else question[:77].rstrip() + "..."
    digest = hashlib.sha256((model_label + "\n" + system + "\n" + question).encode()).hexdigest()[:8]
    text = (f"[Sandbox reply from {model_label}, not a real model] You asked: \"{quoted}\". "
            f"In the sandbox every answer is generated locally from your prompt (ref {digest}); "
            "run the workshop on AWS to get a real answer.")
    out_tokens = _tokens(text)
    if out_tokens > max_tokens:
        words = text.split()
        keep = max(1, int(max_tokens / 1.3))
        text = " ".join(words[:keep])
        return text, max_tokens, "max_tokens"
    return text, out_tokens, "end_turn"


def _latency_ms(in_tokens: int, out_tokens: int) -> int:
    return 180 + in_tokens // 10 + out_tokens * 6


def _validation(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def _malformed(detail: str | None = None) -> AwsError:
    if detail is None:
        return _validation("Malformed input request, please reformat your input and try again.")
    return _validation(f"Malformed input request: {detail}, please reformat your input and try again.")


def _jtype(value) -> str:
    return {dict: "JSONObject", list: "JSONArray", str: "String", bool: "Boolean", type(None): "Null",
            int: "Integer", float: "Number"}.get(type(value), "Object")


def _expect(value, kind: type, path: str) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        want = {dict: "JSONObject", list: "JSONArray", str: "String", int: "Integer", float: "Number"}[kind]
        raise _malformed(f"{path}: expected type: {want}, found: {_jtype(value)}")


def _parse_body(req) -> dict:
    try:
        body = json.loads(req.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise _malformed() from None
    if not isinstance(body, dict):
        raise _malformed(f"#: expected type: JSONObject, found: {_jtype(body)}")
    return body


def _check_keys(obj: dict, allowed: set[str], required: list[str], path: str) -> None:
    for key in required:
        if key not in obj:
            raise _malformed(f"{path}: required key [{key}] not found")
    for key in obj:
        if key not in allowed:
            raise _malformed(f"{path}: extraneous key [{key}] is not permitted")


def _roles_alternate(roles: list[str]) -> None:
    if not roles or roles[0] != "user":
        raise _validation(MSG_START_WITH_USER)
    for a, b in zip(roles, roles[1:], strict=False):
        if a == b:
            raise _validation(MSG_ALTERNATE)


def _nova_texts(body: dict) -> tuple[str, str, int, str]:
    """Validate an Amazon Nova InvokeModel body; return (last user text, system, max tokens, all text)."""
    _check_keys(body, {"schemaVersion", "system", "messages", "inferenceConfig", "toolConfig",
                       "additionalModelRequestFields"}, ["messages"], "#")
    _expect(body["messages"], list, "#/messages")
    roles, last_user, all_text = [], "", []
    for i, msg in enumerate(body["messages"]):
        _expect(msg, dict, f"#/messages/{i}")
        _check_keys(msg, {"role", "content"}, ["role", "content"], f"#/messages/{i}")
        if msg["role"] not in ("user", "assistant"):
            raise _malformed(f"#/messages/{i}/role: {msg['role']} is not a valid enum value")
        _expect(msg["content"], list, f"#/messages/{i}/content")
        texts = []
        for j, block in enumerate(msg["content"]):
            _expect(block, dict, f"#/messages/{i}/content/{j}")
            if "text" in block:
                _expect(block["text"], str, f"#/messages/{i}/content/{j}/text")
                texts.append(block["text"])
        roles.append(msg["role"])
        all_text.extend(texts)
        if msg["role"] == "user":
            last_user = " ".join(texts)
    _roles_alternate(roles)
    system = ""
    if "system" in body:
        _expect(body["system"], list, "#/system")
        system = " ".join(b.get("text", "") for b in body["system"] if isinstance(b, dict))
    max_tokens = DEFAULT_MAX_TOKENS
    cfg = body.get("inferenceConfig")
    if cfg is not None:
        _expect(cfg, dict, "#/inferenceConfig")
        _check_keys(cfg, {"max_new_tokens", "maxTokens", "temperature", "top_p", "topP", "top_k", "topK",
                          "stopSequences", "reasoningConfig"}, [], "#/inferenceConfig")
        for key in ("max_new_tokens", "maxTokens"):
            if key in cfg:
                _expect(cfg[key], int, f"#/inferenceConfig/{key}")
                if cfg[key] < 1:
                    raise _malformed(f"#/inferenceConfig/{key}: {cfg[key]} is not greater or equal to 1")
                max_tokens = cfg[key]
    return last_user, system, max_tokens, " ".join(all_text)


def _anthropic_texts(body: dict) -> tuple[str, str, int, str]:
    """Validate an Anthropic messages-API InvokeModel body; return (last user text, system, max tokens, all)."""
    _check_keys(body, {"anthropic_version", "anthropic_beta", "max_tokens", "messages", "system", "temperature",
                       "top_p", "top_k", "stop_sequences", "tools", "tool_choice", "thinking", "metadata"},
                ["anthropic_version", "max_tokens", "messages"], "#")
    if body["anthropic_version"] != ANTHROPIC_VERSION:
        raise _malformed(f"#/anthropic_version: {body['anthropic_version']} is not a valid enum value")
    _expect(body["max_tokens"], int, "#/max_tokens")
    if body["max_tokens"] < 1:
        raise _malformed(f"#/max_tokens: {body['max_tokens']} is not greater or equal to 1")
    _expect(body["messages"], list, "#/messages")
    roles, last_user, all_text = [], "", []
    for i, msg in enumerate(body["messages"]):
        _expect(msg, dict, f"#/messages/{i}")
        _check_keys(msg, {"role", "content"}, ["role", "content"], f"#/messages/{i}")
        if msg["role"] not in ("user", "assistant"):
            raise _malformed(f"#/messages/{i}/role: {msg['role']} is not a valid enum value")
        content = msg["content"]
        if isinstance(content, str):
            texts = [content]
        else:
            _expect(content, list, f"#/messages/{i}/content")
            texts = []
            for j, block in enumerate(content):
                _expect(block, dict, f"#/messages/{i}/content/{j}")
                if "type" not in block:
                    raise _malformed(f"#/messages/{i}/content/{j}: required key [type] not found")
                if block["type"] == "text":
                    _expect(block.get("text"), str, f"#/messages/{i}/content/{j}/text")
                    texts.append(block["text"])
        roles.append(msg["role"])
        all_text.extend(texts)
        if msg["role"] == "user":
            last_user = " ".join(texts)
    _roles_alternate(roles)
    system = body.get("system", "")
    if isinstance(system, list):
        system = " ".join(b.get("text", "") for b in system if isinstance(b, dict))
    elif not isinstance(system, str):
        raise _malformed(f"#/system: expected type: String, found: {_jtype(system)}")
    return last_user, system, body["max_tokens"], " ".join(all_text)


# ---------------------------------------------------------------- runtime handlers


def _model_label(ids: dict) -> str:
    return ids["profile_id"] or ids["model_id"]


def _converse_texts(body: dict, ids: dict) -> tuple[str, str, int, str]:
    messages = body.get("messages") or []
    roles, last_user, all_text = [], "", []
    text_only = "IMAGE" not in (catalog.MODELS[ids["model_id"]]["inputModalities"])
    for i, msg in enumerate(messages):
        content = msg.get("content") or []
        if not content:
            raise _validation(f"The content field in the Message object at messages.{i} is empty. Add a "
                              "ContentBlock object to the content field and try again.")
        texts = []
        for j, block in enumerate(content):
            if not isinstance(block, dict):
                raise _validation(f"The ContentBlock object at messages.{i}.content.{j} is malformed.")
            if "text" in block:
                if not isinstance(block["text"], str) or not block["text"].strip():
                    raise _validation(f"The text field in the ContentBlock object at messages.{i}.content.{j} is "
                                      "blank. Add text to the text field, and try again.")
                texts.append(block["text"])
            elif ("image" in block or "video" in block or "document" in block) and text_only:
                kind = next(k for k in ("image", "video", "document") if k in block)
                # Wording assumed.
                raise _validation(f"This model doesn't support the {kind} content block that you provided. Try "
                                  "again with a supported content block.")
        roles.append(msg.get("role"))
        all_text.extend(texts)
        if msg.get("role") == "user":
            last_user = " ".join(texts)
    _roles_alternate(roles)
    system = " ".join(b.get("text", "") for b in body.get("system") or [] if "text" in b)
    cfg = body.get("inferenceConfig") or {}
    max_tokens = cfg.get("maxTokens", DEFAULT_MAX_TOKENS)
    for key in ("temperature", "topP"):
        if key in cfg and not 0 <= cfg[key] <= 1:
            raise _validation(f"The value at inferenceConfig.{key} must be between 0 and 1. Try again with a "
                              "valid value.")  # wording assumed
    return last_user, system, max_tokens, " ".join(all_text)


class _Generation:
    """One run of the sandbox's model: the reply and its usage."""

    def __init__(self, ids: dict, prompt: str, system: str, max_tokens: int, all_text: str):
        self.ids = ids
        self.in_tokens = _tokens(system + " " + all_text)
        self.text, self.out_tokens, self.stop = _reply(_model_label(ids), prompt, system, max_tokens)
        self.latency = _latency_ms(self.in_tokens, self.out_tokens)

    def chunks(self, words_per_chunk: int = 6) -> list[str]:
        words = self.text.split(" ")
        return [" ".join(words[i:i + words_per_chunk]) + (" " if i + words_per_chunk < len(words) else "")
                for i in range(0, len(words), words_per_chunk)]

    def invocation_metrics(self) -> dict:
        return {"inputTokenCount": self.in_tokens, "outputTokenCount": self.out_tokens,
                "invocationLatency": self.latency, "firstByteLatency": min(self.latency, 120)}


def _invoke_generation(req, model_id: str, audit: _Audit) -> _Generation:
    ids = _resolve_and_authorize(req, model_id, audit)
    _inject_faults()
    accept = req.headers.get("Accept", "application/json")
    if accept not in ("application/json", "*/*", ""):
        raise _validation(f"The provided Accept Type is invalid or not supported for this model: {accept}")
    body = _parse_body(req)
    texts = _anthropic_texts(body) if ids["format"] == "anthropic" else _nova_texts(body)
    return _Generation(ids, *texts)


def _converse_generation(req, model_id: str, audit: _Audit) -> _Generation:
    ids = _resolve_and_authorize(req, model_id, audit)
    _inject_faults()
    try:
        body = req.json()
    except ValueError:
        raise AwsError("SerializationException", "Unable to parse the request body as JSON.") from None
    if not isinstance(body, dict):
        raise AwsError("SerializationException", "Unable to parse the request body as JSON.")
    return _Generation(ids, *_converse_texts(body, ids))


def _anthropic_model_name(model_id: str) -> str:
    return model_id.split(".", 1)[1].rsplit("-v", 1)[0]


def _message_id(gen: _Generation) -> str:
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
