"""The Amazon Bedrock catalog the sandbox serves: foundation models and cross-Region inference profiles.

Behaviour only: the views that ListFoundationModels, GetFoundationModel, ListInferenceProfiles and
GetInferenceProfile return, what a runtime call with a model or profile ID resolves to, and Bedrock's errors.
The facts themselves (Regions, models, lifecycle, profiles, end-of-life list, prices) live in
`awsfacts.bedrock`, with their sources, so that `utils` reads the same facts without importing the sandbox.
"""

from __future__ import annotations

import calendar
import time
from urllib.parse import unquote

from awsfacts import bedrock as awsbedrock

DEFAULT_ACCOUNT = "123456789012"  # moto's default account; the sandbox passes its own

REGIONS = awsbedrock.REGIONS
MODELS = awsbedrock.MODELS
END_OF_LIFE = awsbedrock.END_OF_LIFE
END_OF_LIFE_PROFILES = awsbedrock.END_OF_LIFE_PROFILES
PROFILES = awsbedrock.PROFILES
_GEO_NAMES = awsbedrock.GEO_NAMES


def _ts(day: str) -> int:
    """Epoch seconds of a YYYY-MM-DD date (timestamps in rest-json are epoch seconds)."""
    return calendar.timegm(time.strptime(day, "%Y-%m-%d"))


PROFILES_CREATED_AT = _ts(awsbedrock.PROFILES_CREATED_AT)


def _lifecycle_view(lifecycle: dict) -> dict:
    """FoundationModelLifecycle as the API returns it: status plus the dates we know, as epoch seconds."""
    out = {"status": lifecycle["status"]}
    if lifecycle.get("startOfLife"):
        out["startOfLifeTime"] = _ts(lifecycle["startOfLife"])
    if lifecycle.get("endOfLife"):
        out["endOfLifeTime"] = _ts(lifecycle["endOfLife"])
    return out


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
        "modelLifecycle": _lifecycle_view(facts["lifecycle"]),
    }


def price_per_1k(model_id: str) -> dict | None:
    """{"input": USD, "output": USD} per 1,000 tokens for a model or profile ID, for cost estimates."""
    if model_id not in MODELS:
        prof = next((p for p in PROFILES if p["id"] == model_id), None)
        model_id = prof["model"] if prof else model_id
    price = awsbedrock.TOKEN_PRICES_PER_1K.get(model_id)
    return dict(price) if price else None


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
    return prefix in awsbedrock.PROFILE_GEOGRAPHIES and ident.count(".") >= 2
