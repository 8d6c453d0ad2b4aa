"""Amazon Bedrock in the sandbox: catalog, control plane, runtime, errors, faults and authorization."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox import bedrock_catalog as catalog
from tests.conftest import set_settings

ACCOUNT = "123456789012"
NOVA_MICRO = "amazon.nova-micro-v1:0"
US_NOVA_MICRO = "us.amazon.nova-micro-v1:0"
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
US_HAIKU_45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
EOL_MESSAGE = (
    "This model version has reached the end of its life. Please refer to the AWS documentation for more details."
)
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _error(exc_info) -> tuple[str, str, int]:
    err = exc_info.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def _ask(text: str = "What is AWS PrivateLink?") -> list[dict]:
    return [{"role": "user", "content": [{"text": text}]}]


# ---------------------------------------------------------------- catalog module (no server)


def test_catalog_regions_and_models_without_moto():
    assert "us-east-1" in catalog.regions() and "eu-west-1" in catalog.regions()
    ids = {m["modelId"] for m in catalog.models("us-east-1")}
    assert {NOVA_MICRO, "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0", HAIKU_45,
            "anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-opus-4-1-20250805-v1:0"} <= ids
    assert "anthropic.claude-instant-v1" not in ids  # end of life: no longer listed
    assert catalog.price_per_1k(US_NOVA_MICRO) == catalog.price_per_1k(NOVA_MICRO)


def test_catalog_resolve_profile_lists_every_destination():
    kind, ids, arns = catalog.resolve("us-east-1", US_NOVA_MICRO, ACCOUNT)
    assert kind == "inference-profile" and ids["model_id"] == NOVA_MICRO
    assert arns == [f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{US_NOVA_MICRO}"] + [
        f"arn:aws:bedrock:{r}::foundation-model/{NOVA_MICRO}" for r in ("us-east-1", "us-east-2", "us-west-2")]


def test_catalog_resolve_global_profile_uses_regionless_arn():
    _, ids, arns = catalog.resolve("us-west-2", f"global.{HAIKU_45}", ACCOUNT)
    assert ids["global"] is True
    assert arns[1:] == [f"arn:aws:bedrock:us-west-2::foundation-model/{HAIKU_45}",
                        f"arn:aws:bedrock:::foundation-model/{HAIKU_45}"]


@pytest.mark.parametrize("region, ident, code, text", [
    ("us-east-1", "anthropic.claude-instant-v1", "ResourceNotFoundException", "end of its life"),
    ("us-east-1", "us.anthropic.claude-3-5-haiku-20241022-v1:0", "ResourceNotFoundException", "end of its life"),
    ("us-east-1", "amazon.nova-nano-v9:0", "ValidationException", "The provided model identifier is invalid."),
    ("us-east-1", "eu.amazon.nova-micro-v1:0", "ValidationException", "The provided model identifier is invalid."),
    ("us-east-2", NOVA_MICRO, "ValidationException", "on-demand throughput isn\u2019t supported"),
    ("us-east-1", HAIKU_45, "ValidationException", f"Invocation of model ID {HAIKU_45} with on-demand"),
    ("mars-north-1", US_NOVA_MICRO, "ValidationException", "The provided model identifier is invalid."),
])
def test_catalog_resolve_errors(region, ident, code, text):
    with pytest.raises(catalog.CatalogError) as exc:
        catalog.resolve(region, ident)
    assert exc.value.code == code and text in exc.value.message


# ---------------------------------------------------------------- control plane


def test_list_foundation_models_and_filters(aws):
    br = aws("bedrock")
    summaries = br.list_foundation_models()["modelSummaries"]
    by_id = {m["modelId"]: m for m in summaries}
    assert by_id[NOVA_MICRO]["inferenceTypesSupported"] == ["ON_DEMAND"]
    assert by_id[HAIKU_45]["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
    assert by_id[NOVA_MICRO]["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_MICRO}"
    amazon = br.list_foundation_models(byProvider="amazon")["modelSummaries"]
    assert amazon and all(m["providerName"] == "Amazon" for m in amazon)
    on_demand = br.list_foundation_models(byInferenceType="ON_DEMAND")["modelSummaries"]
    assert {m["modelId"] for m in on_demand} == {NOVA_MICRO, "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0",
                                                 "amazon.titan-embed-text-v2:0"}
    embeddings = br.list_foundation_models(byOutputModality="EMBEDDING")["modelSummaries"]
    assert [m["modelId"] for m in embeddings] == ["amazon.titan-embed-text-v2:0"]
    assert br.list_foundation_models(byOutputModality="IMAGE")["modelSummaries"] == []
    tunable = br.list_foundation_models(byCustomizationType="FINE_TUNING")["modelSummaries"]
    assert all("FINE_TUNING" in m["customizationsSupported"] for m in tunable) and tunable
    # In us-east-2 Nova Micro is listed but reachable only through a profile.
    east2 = {m["modelId"]: m for m in aws("bedrock", region="us-east-2").list_foundation_models()["modelSummaries"]}
    assert east2[NOVA_MICRO]["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]


def test_list_foundation_models_rejects_bad_filter(aws):
    with pytest.raises(ClientError) as exc:
        aws("bedrock").list_foundation_models(byInferenceType="SOMETIMES")
    code, message, status = _error(exc)
    assert (code, status) == ("ValidationException", 400) and "byInferenceType" in message


def test_get_foundation_model_lifecycle(aws):
    br = aws("bedrock")
    micro = br.get_foundation_model(modelIdentifier=NOVA_MICRO)["modelDetails"]
    assert micro["modelLifecycle"]["status"] == "ACTIVE" and micro["providerName"] == "Amazon"
    assert micro["inputModalities"] == ["TEXT"]
    opus = br.get_foundation_model(modelIdentifier="anthropic.claude-opus-4-1-20250805-v1:0")["modelDetails"]
    assert opus["modelLifecycle"]["status"] == "LEGACY" and "endOfLifeTime" in opus["modelLifecycle"]
    by_arn = br.get_foundation_model(modelIdentifier=micro["modelArn"])["modelDetails"]
    assert by_arn["modelId"] == NOVA_MICRO


@pytest.mark.parametrize("ident", ["amazon.nova-nano-v9:0", "anthropic.claude-instant-v1"])
def test_get_foundation_model_unknown(aws, ident):
    with pytest.raises(ClientError) as exc:
        aws("bedrock").get_foundation_model(modelIdentifier=ident)
    assert _error(exc) == ("ResourceNotFoundException", catalog.MSG_FM_NOT_FOUND, 404)


def test_inference_profiles_list_get_and_paging(aws):
    br = aws("bedrock")
    profiles = br.list_inference_profiles()["inferenceProfileSummaries"]
    ids = [p["inferenceProfileId"] for p in profiles]
    assert US_NOVA_MICRO in ids and US_HAIKU_45 in ids and f"global.{HAIKU_45}" in ids
    assert not any(i.startswith("eu.") for i in ids)  # eu.* profiles are callable from EU Regions only
    assert all(p["type"] == "SYSTEM_DEFINED" and p["status"] == "ACTIVE" for p in profiles)
    assert br.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"] == []
    seen, token = [], None
    while True:
        page = br.list_inference_profiles(maxResults=2, **({"nextToken": token} if token else {}))
        assert len(page["inferenceProfileSummaries"]) <= 2
        seen += [p["inferenceProfileId"] for p in page["inferenceProfileSummaries"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == ids
    prof = br.get_inference_profile(inferenceProfileIdentifier=US_NOVA_MICRO)
    assert prof["inferenceProfileArn"] == f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{US_NOVA_MICRO}"
    assert [m["modelArn"] for m in prof["models"]] == [
        f"arn:aws:bedrock:{r}::foundation-model/{NOVA_MICRO}" for r in ("us-east-1", "us-east-2", "us-west-2")]
    assert br.get_inference_profile(inferenceProfileIdentifier=prof["inferenceProfileArn"])["inferenceProfileId"] \
        == US_NOVA_MICRO
    eu = aws("bedrock", region="eu-west-1").get_inference_profile(inferenceProfileIdentifier="eu.amazon.nova-lite-v1:0")
    assert {m["modelArn"].split(":")[3] for m in eu["models"]} >= {"eu-west-1", "eu-central-1"}


def test_get_inference_profile_unknown(aws):
    with pytest.raises(ClientError) as exc:
        aws("bedrock").get_inference_profile(inferenceProfileIdentifier="eu.amazon.nova-micro-v1:0")
    code, _, status = _error(exc)
    assert (code, status) == ("ResourceNotFoundException", 404)


# ---------------------------------------------------------------- runtime


def test_converse_with_profile(aws):
    rt = aws("bedrock-runtime")
    out = rt.converse(modelId=US_NOVA_MICRO, messages=_ask("How do interface endpoints keep traffic private?"),
                      system=[{"text": "You are a concise assistant."}], inferenceConfig={"maxTokens": 300})
    text = out["output"]["message"]["content"][0]["text"]
    assert out["output"]["message"]["role"] == "assistant"
    assert "sandbox" in text.lower() and "How do interface endpoints keep traffic private?" in text
    assert US_NOVA_MICRO in text
    assert out["stopReason"] == "end_turn"
    usage = out["usage"]
    assert usage["inputTokens"] >= 10 and usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert out["metrics"]["latencyMs"] > 0
    again = rt.converse(modelId=US_NOVA_MICRO, messages=_ask("How do interface endpoints keep traffic private?"),
                        system=[{"text": "You are a concise assistant."}], inferenceConfig={"maxTokens": 300})
    assert again["output"] == out["output"]  # deterministic


def test_converse_by_model_id_and_profile_arn(aws):
    rt = aws("bedrock-runtime")
    assert rt.converse(modelId=NOVA_MICRO, messages=_ask())["stopReason"] == "end_turn"
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{US_HAIKU_45}"
    out = rt.converse(modelId=arn, messages=_ask())
    assert US_HAIKU_45 in out["output"]["message"]["content"][0]["text"]


def test_converse_max_tokens_truncates(aws):
    out = aws("bedrock-runtime").converse(modelId=US_NOVA_MICRO, messages=_ask(), inferenceConfig={"maxTokens": 5})
    assert out["stopReason"] == "max_tokens" and out["usage"]["outputTokens"] == 5


@pytest.mark.parametrize("messages, fragment", [
    ([{"role": "assistant", "content": [{"text": "hi"}]}], "must start with a user message"),
    (_ask() + _ask(), "must alternate between user and assistant roles"),
    ([{"role": "user", "content": [{"text": "   "}]}], "messages.0.content.0 is blank"),
    ([{"role": "user", "content": []}], "at messages.0 is empty"),
])
def test_converse_rejects_bad_conversations(aws, messages, fragment):
    with pytest.raises(ClientError) as exc:
        aws("bedrock-runtime").converse(modelId=US_NOVA_MICRO, messages=messages)
    code, message, status = _error(exc)
    assert (code, status) == ("ValidationException", 400) and fragment in message


def test_invoke_model_nova_body(aws):
    body = {"schemaVersion": "messages-v1", "messages": _ask("Name one AWS Region."),
            "inferenceConfig": {"maxTokens": 200, "temperature": 0.2}}
    resp = aws("bedrock-runtime").invoke_model(modelId=US_NOVA_MICRO, body=json.dumps(body),
                                               contentType="application/json", accept="application/json")
    out = json.loads(resp["body"].read())
    assert resp["contentType"] == "application/json"
    assert "Name one AWS Region." in out["output"]["message"]["content"][0]["text"]
    assert out["stopReason"] == "end_turn" and out["usage"]["totalTokens"] > 0
    headers = resp["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-output-token-count"]) == out["usage"]["outputTokens"]


def test_invoke_model_anthropic_body(aws):
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200, "system": "Be brief.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Explain VPC endpoints."}]}]}
    resp = aws("bedrock-runtime").invoke_model(modelId=US_HAIKU_45, body=json.dumps(body))
    out = json.loads(resp["body"].read())
    assert out["type"] == "message" and out["role"] == "assistant" and out["stop_reason"] == "end_turn"
    assert out["content"][0]["type"] == "text" and "Explain VPC endpoints." in out["content"][0]["text"]
    assert out["usage"]["input_tokens"] > 0 and out["usage"]["output_tokens"] > 0
    # A plain string content is accepted too.
    body["messages"] = [{"role": "user", "content": "Hello"}]
    assert json.loads(aws("bedrock-runtime").invoke_model(modelId=US_HAIKU_45, body=json.dumps(body))["body"].read())


@pytest.mark.parametrize("model, body, fragment", [
    (US_NOVA_MICRO, "not json", "Malformed input request, please reformat your input and try again."),
    (US_NOVA_MICRO, {"inputText": "hi"}, "#: required key [messages] not found"),
    (US_NOVA_MICRO, {"messages": _ask(), "inferenceConfig": {"maxTokenCount": 5}},
     "#/inferenceConfig: extraneous key [maxTokenCount] is not permitted"),
    (US_NOVA_MICRO, {"messages": "hi"}, "#/messages: expected type: JSONArray, found: String"),
    (US_HAIKU_45, {"max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]},
     "#: required key [anthropic_version] not found"),
    (US_HAIKU_45, {"anthropic_version": "bedrock-2023-05-31", "messages": [{"role": "user", "content": "hi"}]},
     "#: required key [max_tokens] not found"),
    (US_HAIKU_45, {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "model": "claude",
                   "messages": [{"role": "user", "content": "hi"}]}, "#: extraneous key [model] is not permitted"),
])
def test_invoke_model_malformed_bodies(aws, model, body, fragment):
    raw = body if isinstance(body, str) else json.dumps(body)
    with pytest.raises(ClientError) as exc:
        aws("bedrock-runtime").invoke_model(modelId=model, body=raw)
    code, message, status = _error(exc)
    assert (code, status) == ("ValidationException", 400)
    assert fragment in message and message.startswith("Malformed input request")


def test_end_of_life_model(aws):
    rt = aws("bedrock-runtime")
    for call in (lambda: rt.converse(modelId="anthropic.claude-instant-v1", messages=_ask()),
                 lambda: rt.invoke_model(modelId="anthropic.claude-instant-v1", body=json.dumps({"prompt": "x"}))):
        with pytest.raises(ClientError) as exc:
            call()
        assert _error(exc) == ("ResourceNotFoundException", EOL_MESSAGE, 404)


def test_invalid_identifier_and_on_demand_not_supported(aws):
    rt = aws("bedrock-runtime")
    with pytest.raises(ClientError) as exc:
        rt.converse(modelId="amazon.nova-nano-v9:0", messages=_ask())
    assert _error(exc) == ("ValidationException", "The provided model identifier is invalid.", 400)
    with pytest.raises(ClientError) as exc:  # an EU profile called from us-east-1
        rt.converse(modelId="eu.amazon.nova-micro-v1:0", messages=_ask())
    assert _error(exc)[1] == "The provided model identifier is invalid."
    with pytest.raises(ClientError) as exc:
        rt.converse(modelId=HAIKU_45, messages=_ask())
    assert _error(exc) == ("ValidationException", catalog.msg_on_demand_unsupported(HAIKU_45), 400)


def test_converse_stream_matches_converse(aws):
    rt = aws("bedrock-runtime")
    whole = rt.converse(modelId=US_NOVA_MICRO, messages=_ask("Stream me an answer."))
    events = list(rt.converse_stream(modelId=US_NOVA_MICRO, messages=_ask("Stream me an answer."))["stream"])
    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart" and kinds[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == whole["output"]["message"]["content"][0]["text"]
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"
    assert events[-1]["metadata"]["usage"] == whole["usage"]


def test_invoke_model_with_response_stream_both_formats(aws):
    rt = aws("bedrock-runtime")
    nova = rt.invoke_model_with_response_stream(modelId=US_NOVA_MICRO, body=json.dumps({"messages": _ask("Hi")}))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in nova["body"]]
    assert chunks[0] == {"messageStart": {"role": "assistant"}}
    assert "Hi" in "".join(c["contentBlockDelta"]["delta"]["text"] for c in chunks if "contentBlockDelta" in c)
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] > 0
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
            "messages": [{"role": "user", "content": "Hi"}]}
    claude = rt.invoke_model_with_response_stream(modelId=US_HAIKU_45, body=json.dumps(body))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in claude["body"]]
    assert [c["type"] for c in chunks[:2]] == ["message_start", "content_block_start"]
    assert chunks[-2]["delta"]["stop_reason"] == "end_turn" and chunks[-1]["type"] == "message_stop"
    with pytest.raises(ClientError) as exc:  # errors before the stream starts are plain errors
        rt.converse_stream(modelId="anthropic.claude-instant-v1", messages=_ask())
    assert _error(exc)[0] == "ResourceNotFoundException"


# ---------------------------------------------------------------- injected faults


def test_throttling_fault_retried_by_standard_mode(aws, sandbox):
    set_settings(sandbox.url, {"faults": {"bedrock_throttle": 2}})
    rt = aws("bedrock-runtime", config=Config(retries={"mode": "standard"}))  # 3 attempts in all
    out = rt.converse(modelId=US_NOVA_MICRO, messages=_ask())
    assert out["stopReason"] == "end_turn"
    assert out["ResponseMetadata"]["RetryAttempts"] == 2
    assert "bedrock_throttle" not in set_settings(sandbox.url, {})["faults"]


def test_throttling_fault_without_retries(aws, sandbox):
    set_settings(sandbox.url, {"faults": {"bedrock_throttle": 1}})
    with pytest.raises(ClientError) as exc:
        aws("bedrock-runtime", config=NO_RETRY).converse(modelId=US_NOVA_MICRO, messages=_ask())
    assert _error(exc) == ("ThrottlingException", "Too many requests, please wait before trying again.", 429)
    assert aws("bedrock-runtime", config=NO_RETRY).converse(modelId=US_NOVA_MICRO, messages=_ask())


def test_service_unavailable_fault(aws, sandbox):
    set_settings(sandbox.url, {"faults": {"bedrock_unavailable": 1}})
    with pytest.raises(ClientError) as exc:
        aws("bedrock-runtime", config=NO_RETRY).converse(modelId=US_NOVA_MICRO, messages=_ask())
    code, _, status = _error(exc)
    assert (code, status) == ("ServiceUnavailableException", 503)


# ---------------------------------------------------------------- authorization (sandbox.authz)


def _role_client(aws, policy: dict, name: str = "bedrock-caller", service: str = "bedrock-runtime"):
    iam = aws("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="invoke", PolicyDocument=json.dumps(policy))
    creds = aws("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="tester")["Credentials"]
    return aws(service, aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
               aws_session_token=creds["SessionToken"], config=NO_RETRY)


def _allow(resources: list[str]) -> dict:
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": resources}]}


def test_profile_needs_profile_and_every_destination_model(aws):
    _, _, arns = catalog.resolve("us-east-1", US_NOVA_MICRO, ACCOUNT)
    ok = _role_client(aws, _allow(arns), name="full")
    assert ok.converse(modelId=US_NOVA_MICRO, messages=_ask())["stopReason"] == "end_turn"
    partial = _role_client(aws, _allow(arns[:2]), name="partial")  # profile + us-east-1 model only
    with pytest.raises(ClientError) as exc:
        partial.converse(modelId=US_NOVA_MICRO, messages=_ask())
    code, message, status = _error(exc)
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/partial/tester is not authorized to perform: "
                       f"bedrock:InvokeModel on resource: {arns[2]} because no identity-based policy allows the "
                       "bedrock:InvokeModel action")


def test_invoke_model_denied_without_policy_for_profile_arn(aws):
    client = _role_client(aws, _allow([f"arn:aws:bedrock:*::foundation-model/{NOVA_MICRO}"]), name="models-only")
    with pytest.raises(ClientError) as exc:
        client.invoke_model(modelId=US_NOVA_MICRO, body=json.dumps({"messages": _ask()}))
    assert f"on resource: arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/{US_NOVA_MICRO}" in _error(exc)[1]


def test_control_plane_is_authorized(aws):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "bedrock:ListFoundationModels", "Resource": "*"}]}
    br = _role_client(aws, policy, name="lister", service="bedrock")
    assert br.list_foundation_models()["modelSummaries"]
    with pytest.raises(ClientError) as exc:
        br.get_foundation_model(modelIdentifier=NOVA_MICRO)
    code, message, _ = _error(exc)
    assert code == "AccessDeniedException"
    assert f"bedrock:GetFoundationModel on resource: arn:aws:bedrock:us-east-1::foundation-model/{NOVA_MICRO}" \
        in message
