"""Which Amazon Bedrock models and inference profiles to offer, and the ARNs a policy needs.

The lists come from Amazon Bedrock's control plane in the chosen region:
ListFoundationModels and ListInferenceProfiles (the sandbox implements both).
"""

from __future__ import annotations

from . import validation

DEFAULT_BASE_MODEL = "amazon.nova-micro-v1:0"


def default_model_id(region: str, offered: list[str] | None = None) -> str:
    """The low-cost default: Amazon Nova Micro through the region's geography profile.

    `us.amazon.nova-micro-v1:0` in US regions, `eu.` / `apac.` elsewhere; the plain
    model ID where no geography profile applies. When the region's offer is known,
    the choice comes from it.
    """
    candidates = [f"{geo}.{DEFAULT_BASE_MODEL}" for geo in validation.geographies_for(region)]
    candidates.append(DEFAULT_BASE_MODEL)
    if offered:
        for candidate in candidates:
            if candidate in offered:
                return candidate
        nova = [m for m in offered if "nova-micro" in m]
        if nova:
            return nova[0]
    return candidates[0]


def _paginate(call, key: str, **kwargs) -> list[dict]:
    items: list[dict] = []
    token = None
    while True:
        page = call(**kwargs, **({"nextToken": token} if token else {}))
        items.extend(page.get(key, []))
        token = page.get("nextToken")
        if not token:
            return items


def catalog(bedrock) -> dict:
    """The region's text models and system-defined inference profiles.

    Returns {"models": [modelSummary...], "profiles": [inferenceProfileSummary...]}.
    """
    models = bedrock.list_foundation_models(byOutputModality="TEXT").get("modelSummaries", [])
    profiles = _paginate(bedrock.list_inference_profiles, "inferenceProfileSummaries", typeEquals="SYSTEM_DEFINED")
    return {"models": models, "profiles": profiles}


def offered_ids(cat: dict) -> list[str]:
    """IDs a learner can choose: active on-demand text models, then active profiles."""
    ids = []
    for m in cat["models"]:
        status = (m.get("modelLifecycle") or {}).get("status", "ACTIVE")
        if status == "ACTIVE" and "ON_DEMAND" in (m.get("inferenceTypesSupported") or []):
            ids.append(m["modelId"])
    for p in cat["profiles"]:
        if p.get("status", "ACTIVE") == "ACTIVE":
            ids.append(p["inferenceProfileId"])
    return ids


def choices(cat: dict, region: str) -> list[tuple[str, str]]:
    """(label, id) pairs for a dropdown, the default first, then profiles, then models."""
    names = {m["modelId"]: f"{m.get('providerName', '')} {m.get('modelName', m['modelId'])}".strip()
             for m in cat["models"]}
    offered = offered_ids(cat)
    default = default_model_id(region, offered)
    profiles = {p["inferenceProfileId"]: p.get("inferenceProfileName", p["inferenceProfileId"])
                for p in cat["profiles"]}
    out = []
    for model_id in sorted(offered, key=lambda i: (i != default, i not in profiles, i)):
        label = profiles.get(model_id) or names.get(model_id, model_id)
        kind = "inference profile" if model_id in profiles else "model"
        suffix = ", default" if model_id == default else ""
        out.append((f"{model_id}  ({label}; {kind}{suffix})", model_id))
    return out


def is_profile(model_id: str) -> bool:
    geo, _ = validation.split_model_id(model_id)
    return geo is not None


def foundation_model_arn(region: str, model_id: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def resource_arns(bedrock, model_id: str, region: str) -> list[str]:
    """The ARNs that IAM evaluates for bedrock:InvokeModel / Converse on `model_id`.

    For an inference profile: the profile's ARN plus the foundation-model ARN in every
    destination region (from GetInferenceProfile `models`). For a model: its ARN.
    """
    if not is_profile(model_id):
        return [foundation_model_arn(region, model_id)]
    profile = bedrock.get_inference_profile(inferenceProfileIdentifier=model_id)
    arns = [profile["inferenceProfileArn"]] + [m["modelArn"] for m in profile.get("models", [])]
    return sorted(set(arns), key=arns.index)


def lifecycle(bedrock, model_id: str) -> dict:
    """{foundation model ID: lifecycle status} for the model (or the profile's model)."""
    _, base = validation.split_model_id(model_id)
    details = bedrock.get_foundation_model(modelIdentifier=base)["modelDetails"]
    return {details["modelId"]: (details.get("modelLifecycle") or {}).get("status", "UNKNOWN")}
