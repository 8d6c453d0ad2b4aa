"""Validation of Amazon Bedrock requests, apart from the handlers that answer them (moto's layout).

Each function checks one request shape as Bedrock does and raises the typed error of
`sandbox.bedrock.exceptions` with Bedrock's wording, or returns the values the handler needs:

- list parameters of ListFoundationModels and ListInferenceProfiles (enums, patterns, ranges);
- InvokeModel bodies: Amazon Nova's messages schema and Anthropic's Messages API
  ("Malformed input request: #/...: ..., please reformat your input and try again.");
- Converse bodies (Amazon Bedrock API reference, Converse: "ValidationException").
"""

from __future__ import annotations

import json
import re

from .exceptions import MalformedInputRequest, SerializationException, ValidationException

ANTHROPIC_VERSION = "bedrock-2023-05-31"
DEFAULT_MAX_TOKENS = 512  # what the sandbox assumes when a Converse/Nova call gives no maxTokens

MSG_START_WITH_USER = ("A conversation must start with a user message. Try again with a conversation that starts "
                       "with a user message.")
MSG_ALTERNATE = ("A conversation must alternate between user and assistant roles. Make sure the conversation "
                 "alternates between user and assistant roles and try again.")

# ---------------------------------------------------------------- control plane: list parameters

_PROVIDER_RE = re.compile(r"^[A-Za-z0-9- ]{1,63}$")
_ENUMS = {
    "byCustomizationType": {"FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"},
    "byOutputModality": {"TEXT", "IMAGE", "EMBEDDING"},
    "byInferenceType": {"ON_DEMAND", "PROVISIONED"},
}
FOUNDATION_MODEL_FILTERS = ("byProvider", "byCustomizationType", "byOutputModality", "byInferenceType")


def foundation_model_filters(params: dict) -> None:
    """ListFoundationModels: the filters' enum values and the provider pattern."""
    for key, allowed in _ENUMS.items():
        if key in params and params[key] not in allowed:
            raise ValidationException(f"1 validation error detected: Value '{params[key]}' at "
                                      f"'{key}' failed to satisfy constraint: Member must satisfy enum value set: "
                                      f"[{', '.join(sorted(allowed))}]")
    if "byProvider" in params and not _PROVIDER_RE.match(params["byProvider"]):
        raise ValidationException(f"1 validation error detected: Value '{params['byProvider']}' at "
                                  "'byProvider' failed to satisfy constraint: Member must satisfy regular expression "
                                  "pattern: [A-Za-z0-9- ]{1,63}")


def inference_profile_listing(params: dict) -> tuple[str | None, int]:
    """ListInferenceProfiles: (type filter or None, maxResults)."""
    kind = params.get("type")
    if kind is not None and kind not in {"SYSTEM_DEFINED", "APPLICATION"}:
        raise ValidationException(f"1 validation error detected: Value '{kind}' at 'typeEquals' "
                                  "failed to satisfy constraint: Member must satisfy enum value set: "
                                  "[SYSTEM_DEFINED, APPLICATION]")
    try:
        max_results = int(params.get("maxResults", 1000))
    except ValueError:
        raise ValidationException("maxResults must be an integer.") from None
    if not 1 <= max_results <= 1000:
        raise ValidationException(f"1 validation error detected: Value '{max_results}' at "
                                  "'maxResults' failed to satisfy constraint: Member must have value less than or "
                                  "equal to 1000 and greater than or equal to 1")
    return kind, max_results


# ---------------------------------------------------------------- runtime: InvokeModel


def accept_header(accept: str) -> None:
    if accept not in ("application/json", "*/*", ""):
        raise ValidationException(f"The provided Accept Type is invalid or not supported for this model: {accept}")


def _jtype(value) -> str:
    return {dict: "JSONObject", list: "JSONArray", str: "String", bool: "Boolean", type(None): "Null",
            int: "Integer", float: "Number"}.get(type(value), "Object")


def _expect(value, kind: type, path: str) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        want = {dict: "JSONObject", list: "JSONArray", str: "String", int: "Integer", float: "Number"}[kind]
        raise MalformedInputRequest(f"{path}: expected type: {want}, found: {_jtype(value)}")


def invoke_body(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        raise MalformedInputRequest() from None
    if not isinstance(body, dict):
        raise MalformedInputRequest(f"#: expected type: JSONObject, found: {_jtype(body)}")
    return body


def _check_keys(obj: dict, allowed: set[str], required: list[str], path: str) -> None:
    for key in required:
        if key not in obj:
            raise MalformedInputRequest(f"{path}: required key [{key}] not found")
    for key in obj:
        if key not in allowed:
            raise MalformedInputRequest(f"{path}: extraneous key [{key}] is not permitted")


def _roles_alternate(roles: list[str]) -> None:
    if not roles or roles[0] != "user":
        raise ValidationException(MSG_START_WITH_USER)
    for a, b in zip(roles, roles[1:], strict=False):
        if a == b:
            raise ValidationException(MSG_ALTERNATE)


def nova_texts(body: dict) -> tuple[str, str, int, str]:
    """Validate an Amazon Nova InvokeModel body; return (last user text, system, max tokens, all text)."""
    _check_keys(body, {"schemaVersion", "system", "messages", "inferenceConfig", "toolConfig",
                       "additionalModelRequestFields"}, ["messages"], "#")
    _expect(body["messages"], list, "#/messages")
    roles, last_user, all_text = [], "", []
    for i, msg in enumerate(body["messages"]):
        _expect(msg, dict, f"#/messages/{i}")
        _check_keys(msg, {"role", "content"}, ["role", "content"], f"#/messages/{i}")
        if msg["role"] not in ("user", "assistant"):
            raise MalformedInputRequest(f"#/messages/{i}/role: {msg['role']} is not a valid enum value")
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
                    raise MalformedInputRequest(f"#/inferenceConfig/{key}: {cfg[key]} is not greater or equal to 1")
                max_tokens = cfg[key]
    return last_user, system, max_tokens, " ".join(all_text)


def anthropic_texts(body: dict) -> tuple[str, str, int, str]:
    """Validate an Anthropic messages-API InvokeModel body; return (last user text, system, max tokens, all)."""
    _check_keys(body, {"anthropic_version", "anthropic_beta", "max_tokens", "messages", "system", "temperature",
                       "top_p", "top_k", "stop_sequences", "tools", "tool_choice", "thinking", "metadata"},
                ["anthropic_version", "max_tokens", "messages"], "#")
    if body["anthropic_version"] != ANTHROPIC_VERSION:
        raise MalformedInputRequest(f"#/anthropic_version: {body['anthropic_version']} is not a valid enum value")
    _expect(body["max_tokens"], int, "#/max_tokens")
    if body["max_tokens"] < 1:
        raise MalformedInputRequest(f"#/max_tokens: {body['max_tokens']} is not greater or equal to 1")
    _expect(body["messages"], list, "#/messages")
    roles, last_user, all_text = [], "", []
    for i, msg in enumerate(body["messages"]):
        _expect(msg, dict, f"#/messages/{i}")
        _check_keys(msg, {"role", "content"}, ["role", "content"], f"#/messages/{i}")
        if msg["role"] not in ("user", "assistant"):
            raise MalformedInputRequest(f"#/messages/{i}/role: {msg['role']} is not a valid enum value")
        content = msg["content"]
        if isinstance(content, str):
            texts = [content]
        else:
            _expect(content, list, f"#/messages/{i}/content")
            texts = []
            for j, block in enumerate(content):
                _expect(block, dict, f"#/messages/{i}/content/{j}")
                if "type" not in block:
                    raise MalformedInputRequest(f"#/messages/{i}/content/{j}: required key [type] not found")
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
        raise MalformedInputRequest(f"#/system: expected type: String, found: {_jtype(system)}")
    return last_user, system, body["max_tokens"], " ".join(all_text)


# ---------------------------------------------------------------- runtime: Converse


def converse_body(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise SerializationException("Unable to parse the request body as JSON.") from None
    if not isinstance(body, dict):
        raise SerializationException("Unable to parse the request body as JSON.")
    return body


def converse_texts(body: dict, text_only: bool) -> tuple[str, str, int, str]:
    """Validate a Converse body; return (last user text, system, max tokens, all text).

    `text_only`: the model takes no image input, so image, video and document blocks are refused.
    """
    messages = body.get("messages") or []
    roles, last_user, all_text = [], "", []
    for i, msg in enumerate(messages):
        content = msg.get("content") or []
        if not content:
            raise ValidationException(f"The content field in the Message object at messages.{i} is empty. Add a "
                                      "ContentBlock object to the content field and try again.")
        texts = []
        for j, block in enumerate(content):
            if not isinstance(block, dict):
                raise ValidationException(f"The ContentBlock object at messages.{i}.content.{j} is malformed.")
            if "text" in block:
                if not isinstance(block["text"], str) or not block["text"].strip():
                    raise ValidationException(f"The text field in the ContentBlock object at messages.{i}.content.{j} "
                                              "is blank. Add text to the text field, and try again.")
                texts.append(block["text"])
            elif ("image" in block or "video" in block or "document" in block) and text_only:
                kind = next(k for k in ("image", "video", "document") if k in block)
                # Wording assumed.
                raise ValidationException(f"This model doesn't support the {kind} content block that you provided. "
                                          "Try again with a supported content block.")
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
            raise ValidationException(f"The value at inferenceConfig.{key} must be between 0 and 1. Try again "
                                      "with a valid value.")  # wording assumed
    return last_user, system, max_tokens, " ".join(all_text)
