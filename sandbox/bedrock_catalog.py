"""The Amazon Bedrock catalog the sandbox serves: foundation models and cross-Region inference profiles.

Data, not behaviour. Plain Python with no moto or werkzeug import, so `utils/` may use it (in sandbox
mode only) to validate a model ID before any call is made.

Sources (checked 2026-11-25 with the docs/issues search corpora):
- Model IDs, modalities, lifecycle: Amazon Bedrock User Guide "Model cards" (model-card-anthropic-claude-haiku-4-5,
  model-card-anthropic-claude-3-5-haiku), "Model lifecycle" / "Model lifecycle (Legacy)", and the Amazon Nova
  model pages.
- Regions of Amazon Nova Micro/Lite/Pro: "Supported Regions and models for batch inference" and "... for model
  copy" (single-Region: us-east-1; cross-Region profile support: the us/eu/apac sets below).
- Inference profiles: "Supported Regions and models for inference profiles" (source/destination Regions,
  profile ARN `arn:aws:bedrock:<region>:<account>:inference-profile/<id>`, GetInferenceProfile `models`), and
  "Global cross-Region inference" (a global profile's `models` holds the source-Region model ARN and the
  Region-less ARN `arn:aws:bedrock:::foundation-model/<model>`).
- End of life: Claude 3.5 Haiku EOL 2026-06-19 (model card; invoking it, or `us.` profile, answers
  ResourceNotFoundException "This model version has reached the end of its life..." as reported in
  aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws#708, 2026-08);
  Claude 3 Haiku EOL 2026-09-10 and Claude Sonnet 4 EOL 2026-10-14, Claude Opus 4.1 Legacy until 2027-01-08
  (awslabs/startups#304 review quoting the AWS lifecycle page, 2026-09); claude-instant-v1 removed in 2025
  (weaviate/weaviate#9184).
- Prices: Amazon Bedrock on-demand pricing, standard tier, us-east-1, USD per 1,000 tokens, as published in
  May 2026 (Nova Micro 0.035/0.14, Lite 0.06/0.24, Pro 0.80/3.20 per million; Claude Haiku 4.5 1/5,
  Sonnet 4.5 3/15, Opus 4.1 15/75 per million). For cost estimates only.

Where the documents were silent the choice is marked "assumed" below.
"""

from __future__ import annotations

import calendar
import time
from urllib.parse import unquote

DEFAULT_ACCOUNT = "123456789012"  # moto's default account; the sandbox passes its own

# Commercial Regions that offer Amazon Bedrock (AWS General Reference, "Amazon Bedrock endpoints and quotas").
# GovCloud and China are other partitions and are not served by the sandbox.
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
    "eu-west-3", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
]

_US = ["us-east-1", "us-east-2", "us-west-2"]
_US4 = ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]
_EU = ["eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"]
_APAC = ["ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2"]
_JP = ["ap-northeast-1", "ap-northeast-3"]
_NOVA_REGIONS = _US + _EU + _APAC
# Regions from which the Claude 4.5 global profiles can be called (assumed: every Region listing the model).
_CLAUDE45_REGIONS = _US4 + _EU + _JP


def _ts(day: str) -> int:
    """Epoch seconds of a YYYY-MM-DD date (timestamps in rest-json are epoch seconds)."""
    return calendar.timegm(time.strptime(day, "%Y-%m-%d"))


# modelId -> facts. `on_demand`: Regions where the model answers on-demand calls by its own ID.
# `profile_only`: Regions where it is listed but reachable only through an inference profile.
# `format`: the InvokeModel body format ("nova" or "anthropic").
MODELS: dict[str, dict] = {
    "amazon.nova-micro-v1:0": {
        "providerName": "Amazon",
        "modelName": "Nova Micro",
        "inputModalities": ["TEXT"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": ["FINE_TUNING", "DISTILLATION"],
        "modelLifecycle": {"status": "ACTIVE", "startOfLifeTime": _ts("2024-12-03")},
        "on_demand": ["us-east-1"],
        "profile_only": [r for r in _NOVA_REGIONS if r != "us-east-1"],
        "price_per_1k": {"input": 0.000035, "output": 0.00014},
        "format": "nova",
    },
    "amazon.nova-lite-v1:0": {
        "providerName": "Amazon",
        "modelName": "Nova Lite",
        "inputModalities": ["TEXT", "IMAGE", "VIDEO"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": ["FINE_TUNING", "DISTILLATION"],
        "modelLifecycle": {"status": "ACTIVE", "startOfLifeTime": _ts("2024-12-03")},
        "on_demand": ["us-east-1"],
        "profile_only": [r for r in _NOVA_REGIONS if r != "us-east-1"],
        "price_per_1k": {"input": 0.00006, "output": 0.00024},
        "format": "nova",
    },
    "amazon.nova-pro-v1:0": {
        "providerName": "Amazon",
        "modelName": "Nova Pro",
        "inputModalities": ["TEXT", "IMAGE", "VIDEO"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": ["FINE_TUNING", "DISTILLATION"],
        "modelLifecycle": {"status": "ACTIVE", "startOfLifeTime": _ts("2024-12-03")},
        "on_demand": ["us-east-1"],
        "profile_only": [r for r in _NOVA_REGIONS if r != "us-east-1"],
        "price_per_1k": {"input": 0.0008, "output": 0.0032},
        "format": "nova",
    },
    "anthropic.claude-haiku-4-5-20251001-v1:0": {
        "providerName": "Anthropic",
        "modelName": "Claude Haiku 4.5",
        "inputModalities": ["TEXT", "IMAGE"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": [],
        "modelLifecycle": {"status": "ACTIVE", "startOfLifeTime": _ts("2025-10-15")},
        "on_demand": [],
        "profile_only": _CLAUDE45_REGIONS,
        "price_per_1k": {"input": 0.001, "output": 0.005},
        "format": "anthropic",
    },
    "anthropic.claude-sonnet-4-5-20250929-v1:0": {
        "providerName": "Anthropic",
        "modelName": "Claude Sonnet 4.5",
        "inputModalities": ["TEXT", "IMAGE"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": [],
        "modelLifecycle": {"status": "ACTIVE", "startOfLifeTime": _ts("2025-09-29")},
        "on_demand": [],
        "profile_only": _CLAUDE45_REGIONS,
        "price_per_1k": {"input": 0.003, "output": 0.015},
        "format": "anthropic",
    },
    # LEGACY: still callable, shown with status LEGACY (EOL 2027-01-08 per the AWS lifecycle page).
    "anthropic.claude-opus-4-1-20250805-v1:0": {
        "providerName": "Anthropic",
        "modelName": "Claude Opus 4.1",
        "inputModalities": ["TEXT", "IMAGE"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": [],
        "modelLifecycle": {
            "status": "LEGACY",
            "startOfLifeTime": _ts("2025-08-05"),
            "endOfLifeTime": _ts("2027-01-08"),
        },
        "on_demand": [],
        "profile_only": _US,
        "price_per_1k": {"input": 0.015, "output": 0.075},
        "format": "anthropic",
    },
}

# Models past their end of life: no longer listed; invoking them answers ResourceNotFoundException.
END_OF_LIFE: dict[str, dict] = {
    "anthropic.claude-instant-v1": {"modelName": "Claude Instant", "endOfLifeTime": _ts("2025-07-21")},
    "anthropic.claude-3-5-haiku-20241022-v1:0": {"modelName": "Claude 3.5 Haiku", "endOfLifeTime": _ts("2026-06-19")},
    "anthropic.claude-3-haiku-20240307-v1:0": {"modelName": "Claude 3 Haiku", "endOfLifeTime": _ts("2026-09-10")},
    "anthropic.claude-sonnet-4-20250514-v1:0": {"modelName": "Claude Sonnet 4", "endOfLifeTime": _ts("2026-10-14")},
}

_GEO_NAMES = {"us": "US", "eu": "EU", "apac": "APAC", "jp": "JP", "global": "Global"}


def _geo(prefix: str, model_id: str, regions: list[str]) -> dict:
    # A geographic profile: callable from each of `regions`, routes to all of them (assumed symmetric; AWS
    # documents a few profiles whose destinations depend on the source Region).
    return {"id": f"{prefix}.{model_id}", "model": model_id, "geo": prefix,
            "sources": list(regions), "destinations": {r: list(regions) for r in regions}}


def _global(model_id: str, sources: list[str]) -> dict:
    # A global profile routes to any commercial Region; `destinations` None means "Region-less".
    return {"id": f"global.{model_id}", "model": model_id, "geo": "global",
            "sources": list(sources), "destinations": None}


PROFILES: list[dict] = [
    _geo("us", "amazon.nova-micro-v1:0", _US),
    _geo("eu", "amazon.nova-micro-v1:0", _EU),
    _geo("apac", "amazon.nova-micro-v1:0", _APAC),
    _geo("us", "amazon.nova-lite-v1:0", _US),
    _geo("eu", "amazon.nova-lite-v1:0", _EU),
    _geo("apac", "amazon.nova-lite-v1:0", _APAC),
    _geo("us", "amazon.nova-pro-v1:0", _US),
    _geo("eu", "amazon.nova-pro-v1:0", _EU),
    _geo("apac", "amazon.nova-pro-v1:0", _APAC),
    _geo("us", "anthropic.claude-haiku-4-5-20251001-v1:0", _US4),
    _geo("eu", "anthropic.claude-haiku-4-5-20251001-v1:0", _EU),
    _geo("jp", "anthropic.claude-haiku-4-5-20251001-v1:0", _JP),
    _global("anthropic.claude-haiku-4-5-20251001-v1:0", _CLAUDE45_REGIONS),
    _geo("us", "anthropic.claude-sonnet-4-5-20250929-v1:0", _US4),
    _geo("eu", "anthropic.claude-sonnet-4-5-20250929-v1:0", _EU),
    _geo("jp", "anthropic.claude-sonnet-4-5-20250929-v1:0", _JP),
    _global("anthropic.claude-sonnet-4-5-20250929-v1:0", _CLAUDE45_REGIONS),
    _geo("us", "anthropic.claude-opus-4-1-20250805-v1:0", _US),
]

# Profiles of end-of-life models: they answer the end-of-life error too.
END_OF_LIFE_PROFILES = {
    f"{geo}.anthropic.claude-3-5-haiku-20241022-v1:0" for geo in ("us", "eu", "apac", "global")
} | {f"{geo}.anthropic.claude-3-haiku-20240307-v1:0" for geo in ("us", "eu", "apac")} | {
    f"{geo}.anthropic.claude-sonnet-4-20250514-v1:0" for geo in ("us", "eu", "apac", "global")
}

PROFILES_CREATED_AT = _ts("2024-08-27")  # assumed: system-defined profiles predate the workshop

# ---------------------------------------------------------------- errors, as Bedrock words them

MSG_INVALID_ID = "The provided model identifier is invalid."
MSG_END_OF_LIFE = (
    "This model version has reached the end of its life. Please refer to the AWS documentation for more details."
)
MSG_FM_NOT_FOUND = "Could not resolve the foundation model from the provided model identifier."


def msg_on_demand_unsupported(model_id: str) -> str:
    # AWS uses a typographic apostrophe in "isn’t".
    return (f"Invocation of model ID {model_id} with on-demand throughput isn\u2019t supported. Retry your request "
            "with the ID or ARN of an inference profile that contains this model.")


class CatalogError(Exception):
    """A lookup that Bedrock answers with an error: code, message and HTTP status as AWS returns them."""

    def __init__(self, code: str, message: str, status: int):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


def _invalid() -> CatalogError:
    return CatalogError("ValidationException", MSG_INVALID_ID, 400)


def _eol() -> CatalogError:
    return CatalogError("ResourceNotFoundException", MSG_END_OF_LIFE, 404)


# ---------------------------------------------------------------- ARNs


def model_arn(region: str, model_id: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def profile_arn(region: str, profile_id: str, account: str = DEFAULT_ACCOUNT) -> str:
    return f"arn:aws:bedrock:{region}:{account}:inference-profile/{profile_id}"


REGIONLESS_MODEL_ARN = "arn:aws:bedrock:::foundation-model/{}"

# ---------------------------------------------------------------- lookups


def regions() -> list[str]:
    """Regions where Bedrock is offered."""
    return list(REGIONS)


def _listed_in(region: str, facts: dict) -> bool:
    return region in facts["on_demand"] or region in facts["profile_only"]


def models(region: str) -> list[dict]:
    """FoundationModelSummary dicts of the models listed in `region` (end-of-life ones are not listed)."""
    return [model(region, mid) for mid, facts in MODELS.items() if _listed_in(region, facts)]


def model(region: str, model_id: str) -> dict | None:
    """The FoundationModelDetails of `model_id` in `region` (ID or ARN), or None when not listed there."""
    model_id = _strip_model_arn(region, model_id)
    facts = MODELS.get(model_id or "")
    if facts is None or not _listed_in(region, facts):
        return None
    return {
        "modelArn": model_arn(region, model_id),
        "modelId": model_id,
        "modelName": facts["modelName"],
        "providerName": facts["providerName"],
        "inputModalities": list(facts["inputModalities"]),
        "outputModalities": list(facts["outputModalities"]),
        "responseStreamingSupported": facts["responseStreamingSupported"],
        "customizationsSupported": list(facts["customizationsSupported"]),
        "inferenceTypesSupported": ["ON_DEMAND"] if region in facts["on_demand"] else ["INFERENCE_PROFILE"],
        "modelLifecycle": dict(facts["modelLifecycle"]),
    }


def price_per_1k(model_id: str) -> dict | None:
    """{"input": USD, "output": USD} per 1,000 tokens for a model or profile ID, for cost estimates."""
    facts = MODELS.get(model_id)
    if facts is None:
        prof = next((p for p in PROFILES if p["id"] == model_id), None)
        facts = MODELS.get(prof["model"]) if prof else None
    return dict(facts["price_per_1k"]) if facts else None


def _profile_models(region: str, prof: dict) -> list[dict]:
    if prof["destinations"] is None:
        return [{"modelArn": model_arn(region, prof["model"])},
                {"modelArn": REGIONLESS_MODEL_ARN.format(prof["model"])}]
    return [{"modelArn": model_arn(r, prof["model"])} for r in prof["destinations"][region]]


def _profile_view(region: str, prof: dict, account: str) -> dict:
    facts = MODELS[prof["model"]]
    geo = _GEO_NAMES[prof["geo"]]
    if prof["destinations"] is None:
        where = "any commercial AWS Region"
    else:
        where = ", ".join(prof["destinations"][region])
    return {
        "inferenceProfileName": f"{geo} {facts['providerName']} {facts['modelName']}",
        "description": f"Routes requests to {facts['providerName']} {facts['modelName']} in {where}.",
        "createdAt": PROFILES_CREATED_AT,
        "updatedAt": PROFILES_CREATED_AT,
        "inferenceProfileArn": profile_arn(region, prof["id"], account),
        "models": _profile_models(region, prof),
        "inferenceProfileId": prof["id"],
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    }


def profiles(region: str, account: str = DEFAULT_ACCOUNT) -> list[dict]:
    """InferenceProfileSummary dicts of the system-defined profiles callable from `region`."""
    return [_profile_view(region, p, account) for p in PROFILES if region in p["sources"]]


def profile(region: str, profile_id: str, account: str = DEFAULT_ACCOUNT) -> dict | None:
    """One profile (ID or ARN) as GetInferenceProfile describes it from `region`, or None."""
    profile_id = _strip_profile_arn(region, profile_id)
    prof = next((p for p in PROFILES if p["id"] == profile_id), None)
    if prof is None or region not in prof["sources"]:
        return None
    return _profile_view(region, prof, account)


# ---------------------------------------------------------------- identifiers


def _strip_model_arn(region: str, ident: str) -> str | None:
    """A model ID from an ID or a foundation-model ARN of `region`; None for an ARN of another kind or Region."""
    ident = unquote(ident)
    if not ident.startswith("arn:"):
        return ident
    parts = ident.split(":", 5)
    if len(parts) == 6 and parts[2] == "bedrock" and parts[3] == region and parts[4] == "" \
            and parts[5].startswith("foundation-model/"):
        return parts[5][len("foundation-model/"):]
    return None


def _strip_profile_arn(region: str, ident: str) -> str | None:
    ident = unquote(ident)
    if not ident.startswith("arn:"):
        return ident
    parts = ident.split(":", 5)
    if len(parts) == 6 and parts[2] == "bedrock" and parts[3] == region and parts[5].startswith("inference-profile/"):
        return parts[5][len("inference-profile/"):]
    return None


def resolve(region: str, model_or_profile_id: str, account: str = DEFAULT_ACCOUNT) -> tuple[str, dict, list[str]]:
    """What a runtime call (InvokeModel, Converse) with this model ID reaches from `region`.

    Returns (kind, ids, resource_arns):
    - kind: "foundation-model" or "inference-profile";
    - ids: {"model_id", "profile_id" (or None), "profile_arn" (or None), "model_arn", "destinations",
      "global", "format"};
    - resource_arns: what bedrock:InvokeModel is authorized on, in AWS's order: the profile ARN, then the
      foundation-model ARN in each destination Region (for a global profile: the source-Region model ARN
      and the Region-less one).
    Raises CatalogError as Bedrock answers: end of life, invalid identifier, or on-demand not supported.
    """
    if region not in REGIONS:
        raise _invalid()
    raw = unquote(model_or_profile_id or "")
    is_profile_arn = raw.startswith("arn:") and ":inference-profile/" in raw
    if is_profile_arn or (not raw.startswith("arn:") and _looks_like_profile(raw)):
        pid = _strip_profile_arn(region, raw)
        if pid in END_OF_LIFE_PROFILES:
            raise _eol()
        prof = next((p for p in PROFILES if p["id"] == pid), None)
        if prof is None or region not in prof["sources"]:
            raise _invalid()
        parn = profile_arn(region, prof["id"], account)
        mid = prof["model"]
        if prof["destinations"] is None:
            dests = None
            model_arns = [model_arn(region, mid), REGIONLESS_MODEL_ARN.format(mid)]
        else:
            dests = list(prof["destinations"][region])
            model_arns = [model_arn(r, mid) for r in dests]
        ids = {"model_id": mid, "profile_id": prof["id"], "profile_arn": parn, "model_arn": model_arn(region, mid),
               "destinations": dests, "global": dests is None, "format": MODELS[mid]["format"]}
        return "inference-profile", ids, [parn] + model_arns
    mid = _strip_model_arn(region, raw)
    if mid is None:
        raise _invalid()
    if mid in END_OF_LIFE:
        raise _eol()
    facts = MODELS.get(mid)
    if facts is None or not _listed_in(region, facts):
        raise _invalid()
    if region not in facts["on_demand"]:
        raise CatalogError("ValidationException", msg_on_demand_unsupported(mid), 400)
    arn = model_arn(region, mid)
    ids = {"model_id": mid, "profile_id": None, "profile_arn": None, "model_arn": arn,
           "destinations": [region], "global": False, "format": facts["format"]}
    return "foundation-model", ids, [arn]


def _looks_like_profile(ident: str) -> bool:
    prefix = ident.split(".", 1)[0]
    return prefix in {"us", "eu", "apac", "jp", "au", "ca", "us-gov", "global"} and ident.count(".") >= 2
