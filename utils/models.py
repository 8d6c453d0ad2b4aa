"""Which Amazon Bedrock models and inference profiles to offer, and the ARNs a policy needs.

The lists come from Amazon Bedrock's control plane in the chosen region:
ListFoundationModels and ListInferenceProfiles (the sandbox implements both).
"""

from __future__ import annotations

from awsfacts import bedrock as awsbedrock

from . import validation
from .lang import N_, _

DEFAULT_BASE_MODEL = awsbedrock.DEFAULT_MODEL


def paginate(call, key: str, **kwargs) -> list[dict]:
    items: list[dict] = []
    token = None
    while True:
        page = call(**kwargs, **({"nextToken": token} if token else {}))
        items.extend(page.get(key, []))
        token = page.get("nextToken")
        if not token:
            return items


def catalog(bedrock) -> dict:
    """The Region's foundation models (every modality) and system-defined inference profiles, live.

    Returns {"models": [modelSummary...], "profiles": [inferenceProfileSummary...]}.
    """
    models = bedrock.list_foundation_models().get("modelSummaries", [])
    profiles = paginate(bedrock.list_inference_profiles, "inferenceProfileSummaries", typeEquals="SYSTEM_DEFINED")
    return {"models": models, "profiles": profiles}


def offline_catalog(region: str) -> dict:
    """The same shape as `catalog`, built from the offline facts (awsfacts.bedrock), for when AWS is not asked."""
    models = []
    for mid, facts in awsbedrock.MODELS.items():
        if region in facts["on_demand"] or region in facts["profile_only"]:
            models.append({"modelId": mid, "modelName": facts["modelName"], "providerName": facts["providerName"],
                           "outputModalities": list(facts["outputModalities"]),
                           "inferenceTypesSupported": ["ON_DEMAND"] if region in facts["on_demand"]
                           else ["INFERENCE_PROFILE"],
                           "modelLifecycle": {"status": facts["lifecycle"]["status"]}})
    profiles = [{"inferenceProfileId": p["id"], "status": "ACTIVE", "type": "SYSTEM_DEFINED",
                 "inferenceProfileName": f"{awsbedrock.GEO_NAMES[p['geo']]} "
                                         f"{awsbedrock.MODELS[p['model']]['modelName']}",
                 "models": [{"modelArn": foundation_model_arn(region, p["model"])}]}
                for p in awsbedrock.PROFILES if region in p["sources"]]
    return {"models": models, "profiles": profiles}


def _status(summary: dict) -> str:
    return (summary.get("modelLifecycle") or {}).get("status", "ACTIVE")


def _is_text(summary: dict) -> bool:
    return "TEXT" in (summary.get("outputModalities") or ["TEXT"])


def _profile_model(profile: dict) -> str | None:
    """The foundation model ID behind a profile summary (from its `models` ARNs, else from its ID)."""
    for m in profile.get("models") or []:
        arn = m.get("modelArn", "")
        if "foundation-model/" in arn:
            return arn.split("foundation-model/", 1)[1]
    return validation.split_model_id(profile.get("inferenceProfileId", ""))[1] or None


class Offer(list):
    """The IDs a learner can choose in a Region (a list, in the order of `offered_ids`), which can also say why
    another ID cannot be chosen: `reason(id)` -> (kind, problem, fix) or None when the ID is offered.

    kind: "lifecycle" (LEGACY or another non-ACTIVE state), "not-text" (no TEXT output), "profile-only" (the
    model answers only through an inference profile here), "profile-model" (a profile of such a model), or
    "unknown" (the Region lists no such model or profile). Built from live lists, so on AWS the live lifecycle
    wins over the offline facts.
    """

    def __init__(self, cat: dict, region: str):
        super().__init__(offered_ids(cat))
        self.region = region
        self.models = {m["modelId"]: m for m in cat["models"]}
        self.profiles = {p["inferenceProfileId"]: p for p in cat["profiles"]}

    def alternatives(self, base: str | None = None, limit: int = 4) -> list[str]:
        default = default_model_id(self.region, list(self))
        first = [default] if default in self else []
        same = [i for i in self if base and validation.split_model_id(i)[1] == base]
        out = []
        for i in first + same + list(self):
            if i not in out:
                out.append(i)
        return out[:limit]

    def _fix(self, base: str | None = None, lead: str = N_("Choose one the Region offers")) -> str:
        alts = self.alternatives(base)
        if not alts:
            return (_("{region} offers no model this workshop can use (active, text output): choose another Region, "
                      "such as us-east-1.").format(region=self.region))
        return f"{_(lead)}: {', '.join(alts)}."

    def _why_model(self, text: str, summary: dict, as_profile_of: str | None = None) -> tuple[str, str, str]:
        mid = summary["modelId"]
        name = f"{summary.get('providerName', '')} {summary.get('modelName', mid)}".strip()
        subject = _("The inference profile {as_profile_of} leads to {mid} ({name}), which").format(
                      as_profile_of=as_profile_of, mid=mid, name=name) if as_profile_of \
            else f"{mid} ({name})"
        status = _status(summary)
        if status != "ACTIVE":
            end = (summary.get("modelLifecycle") or {}).get("endOfLifeTime")
            when = _(", end of life {end}").format(
                       end=str(end)[:10]) if end and not isinstance(end, int | float) else ""
            return ("lifecycle", _("{subject} is in lifecycle state {status} in {region}{when}: new users are "
                                   "refused and it will reach end of life.").format(
                                     subject=subject, status=status, region=self.region,
                                     when=when), self._fix(lead=N_("Choose an ACTIVE model")))
        if not _is_text(summary):
            outputs = ", ".join(summary.get("outputModalities") or [])
            return ("not-text", _("{subject} is not a text model (it outputs {outputs}); the workshop's function "
                                  "asks a question and expects text back.").format(
                                    subject=subject, outputs=outputs), self._fix(lead=N_("Choose a text model")))
        if as_profile_of is None and "ON_DEMAND" not in (summary.get("inferenceTypesSupported") or []):
            profiles = [i for i in self if i in self.profiles and _profile_model(self.profiles[i]) == mid]
            fix = (_("Use its inference profile: {profiles}.").format(profiles=', '.join(profiles)) if profiles
                   else self._fix())
            return ("profile-only", _("{mid} ({name}) is offered in {region} only through inference profiles "
                                      "(on-demand calls by the model ID are refused).").format(
                                        mid=mid, name=name, region=self.region), fix)
        return ("unknown", _("{text} is not offered in {region}.").format(
                               text=text, region=self.region), self._fix(mid))

    def reason(self, model_id: str) -> tuple[str, str, str] | None:
        text = (model_id or "").strip()
        if text in self:
            return None
        if text in self.models:
            return self._why_model(text, self.models[text])
        if text in self.profiles:
            base = _profile_model(self.profiles[text])
            if base in self.models:
                return self._why_model(text, self.models[base], as_profile_of=text)
            status = self.profiles[text].get("status", "ACTIVE")
            return ("lifecycle", _("The inference profile {text} is {status} in {region}.").format(
                                     text=text, status=status, region=self.region), self._fix(base))
        base = validation.split_model_id(text)[1]
        return ("unknown", _("{text} is not offered in {region} (neither ListFoundationModels nor "
                             "ListInferenceProfiles lists it there).").format(
                               text=text, region=self.region), self._fix(base))


def offer(cat: dict, region: str) -> Offer:
    return Offer(cat, region)


def offered_ids(cat: dict) -> list[str]:
    """IDs a learner can choose: ACTIVE on-demand text models, then ACTIVE profiles of ACTIVE text models."""
    models = {m["modelId"]: m for m in cat["models"]}
    ids = []
    for m in cat["models"]:
        if _status(m) == "ACTIVE" and _is_text(m) and "ON_DEMAND" in (m.get("inferenceTypesSupported") or []):
            ids.append(m["modelId"])
    for p in cat["profiles"]:
        if p.get("status", "ACTIVE") != "ACTIVE":
            continue
        behind = models.get(_profile_model(p) or "")
        if behind is not None and (_status(behind) != "ACTIVE" or not _is_text(behind)):
            continue
        ids.append(p["inferenceProfileId"])
    return ids


def _price(model_id: str) -> float:
    base = validation.split_model_id(model_id)[1]
    price = awsbedrock.TOKEN_PRICES_PER_1K.get(base)
    return price["input"] + price["output"] if price else float("inf")


def default_model_id(region: str, offered: list[str] | None = None) -> str:
    """The low-cost default, always one the Region offers when it offers any.

    Amazon Nova Micro through the Region's geography profile (`us.`, `eu.`, `apac.`), else Nova Micro by its own
    ID, else any offered Nova Micro, else the offered text model with the lowest token price. Without `offered`,
    the Region's offer comes from the offline facts (awsfacts.bedrock); in a Region that offers nothing the
    workshop can use, the geography's Nova Micro profile is returned, and validation says it is not offered.
    """
    if offered is None:
        offered = offered_ids(offline_catalog(region))
    candidates = [f"{geo}.{DEFAULT_BASE_MODEL}" for geo in validation.geographies_for(region)]
    candidates.append(DEFAULT_BASE_MODEL)
    for candidate in candidates:
        if candidate in offered:
            return candidate
    nova = [m for m in offered if DEFAULT_BASE_MODEL in m]
    if nova:
        return nova[0]
    if offered:
        return min(offered, key=lambda i: (_price(i), i.startswith("global."), i))
    return candidates[0]


class Choices(list):
    """(label, id) pairs for a dropdown; `offer` is the Region's Offer, which explains any other ID."""

    offer: Offer | None = None


def choices(cat: dict, region: str) -> list[tuple[str, str]]:
    """(label, id) pairs for a dropdown, the default first, then profiles, then models (a `Choices`)."""
    names = {m["modelId"]: f"{m.get('providerName', '')} {m.get('modelName', m['modelId'])}".strip()
             for m in cat["models"]}
    offered = offered_ids(cat)
    default = default_model_id(region, offered)
    profiles = {p["inferenceProfileId"]: p.get("inferenceProfileName", p["inferenceProfileId"])
                for p in cat["profiles"]}
    out = Choices()
    out.offer = Offer(cat, region)
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
