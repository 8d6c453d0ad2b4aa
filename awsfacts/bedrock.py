"""Amazon Bedrock facts the workshop keeps offline: Regions, models, lifecycle, inference profiles, prices.

Plain data. The sandbox serves it as Bedrock's control plane would (sandbox/bedrock_catalog.py); `utils` reads it
to validate a choice before any call, to pick a default and to estimate cost. On AWS the live answers of
ListFoundationModels / GetFoundationModel / GetInferenceProfile take precedence over these facts, and
`python -m utils catalog check` (scheduled in .github/workflows/aws-live.yml) reports every difference.

Sources (checked with the docs/issues/pages search corpora; "assumed" marks what no source confirmed):
- Lifecycle states and what they mean: Amazon Bedrock User Guide, "Model lifecycle" and "Model lifecycle
  (Legacy)" (models launched before 2026-09-07 follow the Legacy page). The live state is the
  `modelLifecycle` field of GetFoundationModel / ListFoundationModels.
- Model IDs and modalities: Amazon Bedrock User Guide, "Model cards" and the Amazon Nova model pages.
- Regions of Amazon Nova Micro/Lite/Pro: "Supported Regions and models for batch inference" and "... for model
  copy" (single-Region: us-east-1; profiles: the US/EU/APAC sets below). Not confirmed in 2026-11: whether the
  APAC profiles now also take ap-northeast-3 and the other newer APAC Regions as sources.
- Inference profiles: "Supported Regions and models for inference profiles" (source and destination Regions,
  ARN `arn:aws:bedrock:<region>:<account>:inference-profile/<id>`); "Global cross-Region inference" (a global
  profile's `models` holds the source-Region model ARN and `arn:aws:bedrock:::foundation-model/<model>`).
- End of life, confirmed: Claude 3 Haiku 2026-09-10; Claude Sonnet 4 2026-10-14 (Legacy since 2026-04-14,
  awslabs/threat-composer#290 quoting the lifecycle page); Claude 3.5 Haiku 2026-06-19 (invoking it answers
  ResourceNotFoundException "This model version has reached the end of its life...",
  aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws#708, 2026-08); Claude 3.7
  Sonnet 2026-04-28 (Bits Lovers, "Amazon Bedrock Model Lifecycle"); Claude Instant, v1, v2, v2.1 (aws/aws-cdk#33058
  and the lifecycle page). The older Titan, Jurassic-2, Command and Llama 2 text models: lifecycle page (no date
  kept here).
- Legacy, confirmed: Claude Opus 4.1 (EOL 2027-01-08, awslabs/startups#304 quoting the lifecycle page); Amazon Nova
  Premier (accounts that have not used it in 30 days are refused, issue #708 above; its EOL date was not found).
- Not confirmed, so not modelled: the Claude models launched in 2026 (Sonnet 4.6, Opus 4.5 to 4.8, Sonnet 5) and
  Amazon Nova 2; on AWS they appear in the live lists, and the catalogue check names them.
- Prices: Amazon Bedrock on-demand pricing, standard tier, us-east-1, USD per 1,000 tokens: Nova Micro 0.000035 /
  0.00014 (docs/learner.md, "Cost on AWS", Nov. 2026), the others as listed in May 2026; Nova Premier and Titan
  Text Embeddings V2 assumed from the same page. Not modelled: geographic profiles (us./eu./jp.) of the Claude 4.5
  models cost 10% more than their global profiles (archestra-ai/archestra#6912, 2026-07). No API returns these
  prices in a form a check can join to model IDs: the AWS Price List (service code AmazonBedrock) names models
  by display name and usage type, not by model ID, and has been reported incomplete (aws/aws-sdk-go-v2#3397,
  aws/aws-cli#9567, boto/boto3#4595). They are compared by hand with aws.amazon.com/bedrock/pricing.
"""

from __future__ import annotations

# Commercial Regions that offer Amazon Bedrock (AWS General Reference, "Amazon Bedrock endpoints and quotas").
# GovCloud and China are other partitions and are not served by the sandbox. Each is a Region where botocore's
# endpoints data has a Bedrock endpoint (tests/test_awsfacts_sources.py; botocore 1.44.18 lists ten more, such as
# ca-west-1, ap-east-2 and me-central-1, which this list does not serve yet: on the sandbox, utils.validation.region
# refuses them, naming the sandbox as the limit).
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
    "eu-west-3", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
]

US = ["us-east-1", "us-east-2", "us-west-2"]
US4 = ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]
EU = ["eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"]
APAC = ["ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2"]
JP = ["ap-northeast-1", "ap-northeast-3"]
NOVA_REGIONS = US + EU + APAC
# Regions from which the Claude 4.5 global profiles can be called (assumed: every Region listing the model).
CLAUDE45_REGIONS = US4 + EU + JP
# Regions where Titan Text Embeddings V2 answers on demand (assumed from the model card's list; a subset).
TITAN_EMBED_REGIONS = US + ["ca-central-1", "eu-central-1", "eu-west-2", "ap-northeast-1", "ap-southeast-2"]

# The workshop's default model: low cost, text in and out, no AWS Marketplace subscription.
DEFAULT_MODEL = "amazon.nova-micro-v1:0"

# Geography prefixes of cross-Region inference profiles, and the starts of the source Regions that may call them
# ("Supported Regions and models for inference profiles"). "global" profiles are callable from any listed Region.
PROFILE_GEOGRAPHIES = {
    "us": ("us-",),
    "us-gov": ("us-gov-",),
    "eu": ("eu-",),
    "apac": ("ap-",),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-",),
    "global": ("",),
}
GEO_NAMES = {"us": "US", "eu": "EU", "apac": "APAC", "jp": "JP", "au": "AU", "ca": "CA", "global": "Global"}

# modelId -> facts.
# - lifecycle: {"status": ACTIVE | LEGACY, "startOfLife": date, "endOfLife": date (LEGACY only)};
# - on_demand: Regions where the model answers on-demand calls by its own ID;
# - profile_only: Regions where it is listed but reachable only through an inference profile;
# - format: the InvokeModel body format ("nova", "anthropic", "titan-embed").
MODELS: dict[str, dict] = {
    "amazon.nova-micro-v1:0": {
        "providerName": "Amazon", "modelName": "Nova Micro",
        "inputModalities": ["TEXT"], "outputModalities": ["TEXT"], "responseStreamingSupported": True,
        "customizationsSupported": ["FINE_TUNING", "DISTILLATION"],
        "lifecycle": {"status": "ACTIVE", "startOfLife": "2024-12-03"},
        "on_demand": ["us-east-1"], "profile_only": [r for r in NOVA_REGIONS if r != "us-east-1"],
        "format": "nova",
    },
    "amazon.nova-lite-v1:0": {
        "providerName": "Amazon", "modelName": "Nova Lite",
        "inputModalities": ["TEXT", "IMAGE", "VIDEO"], "outputModalities": ["TEXT"],
        "responseStreamingSupported": True, "customizationsSupported": ["FINE_TUNING", "DISTILLATION"],
        "lifecycle": {"status": "ACTIVE", "startOfLife": "2024-12-03"},
        "on_demand": ["us-east-1"], "profile_only": [r for r in NOVA_REGIONS if r != "us-east-1"],
        "format": "nova",
    },
    "amazon.nova-pro-v1:0": {
        "providerName": "Amazon", "modelName": "Nova Pro",
        "inputModalities": ["TEXT", "IMAGE", "VIDEO"], "outputModalities": ["TEXT"],
        "responseStreamingSupported": True, "customizationsSupported": ["FINE_TUNING", "DISTILLATION"],
        "lifecycle": {"status": "ACTIVE", "startOfLife": "2024-12-03"},
        "on_demand": ["us-east-1"], "profile_only": [r for r in NOVA_REGIONS if r != "us-east-1"],
        "format": "nova",
    },
    # LEGACY: listed and callable by accounts that use it; new users are refused (issue #708 above).
    "amazon.nova-premier-v1:0": {
        "providerName": "Amazon", "modelName": "Nova Premier",
        "inputModalities": ["TEXT", "IMAGE", "VIDEO"], "outputModalities": ["TEXT"],
        "responseStreamingSupported": True, "customizationsSupported": ["DISTILLATION"],
        "lifecycle": {"status": "LEGACY", "startOfLife": "2025-04-30", "endOfLife": None},
        "on_demand": [], "profile_only": US,
        "format": "nova",
    },
    "amazon.titan-embed-text-v2:0": {
        "providerName": "Amazon", "modelName": "Titan Text Embeddings V2",
        "inputModalities": ["TEXT"], "outputModalities": ["EMBEDDING"], "responseStreamingSupported": False,
        "customizationsSupported": [],
        "lifecycle": {"status": "ACTIVE", "startOfLife": "2024-04-30"},
        "on_demand": TITAN_EMBED_REGIONS, "profile_only": [],
        "format": "titan-embed",
    },
    "anthropic.claude-haiku-4-5-20251001-v1:0": {
        "providerName": "Anthropic", "modelName": "Claude Haiku 4.5",
        "inputModalities": ["TEXT", "IMAGE"], "outputModalities": ["TEXT"], "responseStreamingSupported": True,
        "customizationsSupported": [],
        "lifecycle": {"status": "ACTIVE", "startOfLife": "2025-10-15"},
        "on_demand": [], "profile_only": CLAUDE45_REGIONS,
        "format": "anthropic",
    },
    "anthropic.claude-sonnet-4-5-20250929-v1:0": {
        "providerName": "Anthropic", "modelName": "Claude Sonnet 4.5",
        "inputModalities": ["TEXT", "IMAGE"], "outputModalities": ["TEXT"], "responseStreamingSupported": True,
        "customizationsSupported": [],
        "lifecycle": {"status": "ACTIVE", "startOfLife": "2025-09-29"},
        "on_demand": [], "profile_only": CLAUDE45_REGIONS,
        "format": "anthropic",
    },
    # LEGACY: still callable, EOL 2027-01-08 per the AWS lifecycle page.
    "anthropic.claude-opus-4-1-20250805-v1:0": {
        "providerName": "Anthropic", "modelName": "Claude Opus 4.1",
        "inputModalities": ["TEXT", "IMAGE"], "outputModalities": ["TEXT"], "responseStreamingSupported": True,
        "customizationsSupported": [],
        "lifecycle": {"status": "LEGACY", "startOfLife": "2025-08-05", "endOfLife": "2027-01-08"},
        "on_demand": [], "profile_only": US,
        "format": "anthropic",
    },
}

# Models past their end of life: no longer listed; invoking them (or their profiles) answers
# ResourceNotFoundException. `endOfLife` None: retired, date not kept here. `replacement`: what to choose instead.
# `profiles`: the geographies whose profiles of the model existed and now answer the end-of-life error too.
END_OF_LIFE: dict[str, dict] = {
    "anthropic.claude-instant-v1": {"modelName": "Claude Instant", "endOfLife": "2025-07-21",
                                    "replacement": "us.amazon.nova-micro-v1:0", "profiles": []},
    "anthropic.claude-v1": {"modelName": "Claude 1.3", "endOfLife": "2024-02-28",
                            "replacement": "us.amazon.nova-lite-v1:0", "profiles": []},
    "anthropic.claude-v2": {"modelName": "Claude 2", "endOfLife": "2025-07-21",
                            "replacement": "us.amazon.nova-lite-v1:0", "profiles": []},
    "anthropic.claude-v2:1": {"modelName": "Claude 2.1", "endOfLife": "2025-07-21",
                              "replacement": "us.amazon.nova-lite-v1:0", "profiles": []},
    "anthropic.claude-3-5-haiku-20241022-v1:0": {
        "modelName": "Claude 3.5 Haiku", "endOfLife": "2026-06-19",
        "replacement": "us.anthropic.claude-haiku-4-5-20251001-v1:0", "profiles": ["us", "eu", "apac", "global"]},
    "anthropic.claude-3-haiku-20240307-v1:0": {
        "modelName": "Claude 3 Haiku", "endOfLife": "2026-09-10",
        "replacement": "us.amazon.nova-micro-v1:0", "profiles": ["us", "eu", "apac"]},
    "anthropic.claude-3-7-sonnet-20250219-v1:0": {
        "modelName": "Claude 3.7 Sonnet", "endOfLife": "2026-04-28",
        "replacement": "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "profiles": ["us", "eu", "apac"]},
    "anthropic.claude-sonnet-4-20250514-v1:0": {
        "modelName": "Claude Sonnet 4", "endOfLife": "2026-10-14",
        "replacement": "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "profiles": ["us", "eu", "apac", "global"]},
    "ai21.j2-mid-v1": {"modelName": "Jurassic-2 Mid", "endOfLife": None,
                       "replacement": "us.amazon.nova-micro-v1:0", "profiles": []},
    "ai21.j2-ultra-v1": {"modelName": "Jurassic-2 Ultra", "endOfLife": None,
                         "replacement": "us.amazon.nova-lite-v1:0", "profiles": []},
    "cohere.command-text-v14": {"modelName": "Command", "endOfLife": None,
                                "replacement": "us.amazon.nova-micro-v1:0", "profiles": []},
    "cohere.command-light-text-v14": {"modelName": "Command Light", "endOfLife": None,
                                      "replacement": "us.amazon.nova-micro-v1:0", "profiles": []},
    "meta.llama2-13b-chat-v1": {"modelName": "Llama 2 Chat 13B", "endOfLife": None,
                                "replacement": "us.amazon.nova-micro-v1:0", "profiles": []},
    "meta.llama2-70b-chat-v1": {"modelName": "Llama 2 Chat 70B", "endOfLife": None,
                                "replacement": "us.amazon.nova-lite-v1:0", "profiles": []},
    "amazon.titan-text-lite-v1": {"modelName": "Titan Text G1 - Lite", "endOfLife": None,
                                  "replacement": "us.amazon.nova-micro-v1:0", "profiles": []},
    "amazon.titan-text-express-v1": {"modelName": "Titan Text G1 - Express", "endOfLife": None,
                                     "replacement": "us.amazon.nova-micro-v1:0", "profiles": []},
}


def _geo(prefix: str, model_id: str, regions: list[str]) -> dict:
    # A geographic profile: callable from each of `regions`, routes to all of them (assumed symmetric; AWS
    # documents a few profiles whose destinations depend on the source Region).
    return {"id": f"{prefix}.{model_id}", "model": model_id, "geo": prefix,
            "sources": list(regions), "destinations": {r: list(regions) for r in regions}}


def _global(model_id: str, sources: list[str]) -> dict:
    # A global profile routes to any commercial Region; `destinations` None means "Region-less".
    return {"id": f"global.{model_id}", "model": model_id, "geo": "global",
            "sources": list(sources), "destinations": None}


# System-defined cross-Region inference profiles: id, model, geography, source Regions, and for each source
# Region its destination Regions (what GetInferenceProfile's `models` lists).
PROFILES: list[dict] = [
    _geo("us", "amazon.nova-micro-v1:0", US),
    _geo("eu", "amazon.nova-micro-v1:0", EU),
    _geo("apac", "amazon.nova-micro-v1:0", APAC),
    _geo("us", "amazon.nova-lite-v1:0", US),
    _geo("eu", "amazon.nova-lite-v1:0", EU),
    _geo("apac", "amazon.nova-lite-v1:0", APAC),
    _geo("us", "amazon.nova-pro-v1:0", US),
    _geo("eu", "amazon.nova-pro-v1:0", EU),
    _geo("apac", "amazon.nova-pro-v1:0", APAC),
    _geo("us", "amazon.nova-premier-v1:0", US),
    _geo("us", "anthropic.claude-haiku-4-5-20251001-v1:0", US4),
    _geo("eu", "anthropic.claude-haiku-4-5-20251001-v1:0", EU),
    _geo("jp", "anthropic.claude-haiku-4-5-20251001-v1:0", JP),
    _global("anthropic.claude-haiku-4-5-20251001-v1:0", CLAUDE45_REGIONS),
    _geo("us", "anthropic.claude-sonnet-4-5-20250929-v1:0", US4),
    _geo("eu", "anthropic.claude-sonnet-4-5-20250929-v1:0", EU),
    _geo("jp", "anthropic.claude-sonnet-4-5-20250929-v1:0", JP),
    _global("anthropic.claude-sonnet-4-5-20250929-v1:0", CLAUDE45_REGIONS),
    _geo("us", "anthropic.claude-opus-4-1-20250805-v1:0", US),
]

# Profiles of end-of-life models: they answer the end-of-life error too.
END_OF_LIFE_PROFILES = {f"{geo}.{mid}" for mid, facts in END_OF_LIFE.items() for geo in facts["profiles"]}

PROFILES_CREATED_AT = "2024-08-27"  # assumed: system-defined profiles predate the workshop

# On-demand token prices, standard tier, us-east-1, USD per 1,000 tokens. A cross-Region profile is billed at the
# price of the Region you call from.
TOKEN_PRICES_PER_1K: dict[str, dict] = {
    "amazon.nova-micro-v1:0": {"input": 0.000035, "output": 0.00014},
    "amazon.nova-lite-v1:0": {"input": 0.00006, "output": 0.00024},
    "amazon.nova-pro-v1:0": {"input": 0.0008, "output": 0.0032},
    "amazon.nova-premier-v1:0": {"input": 0.0025, "output": 0.0125},
    "amazon.titan-embed-text-v2:0": {"input": 0.00002, "output": 0.0},
    "anthropic.claude-haiku-4-5-20251001-v1:0": {"input": 0.001, "output": 0.005},
    "anthropic.claude-sonnet-4-5-20250929-v1:0": {"input": 0.003, "output": 0.015},
    "anthropic.claude-opus-4-1-20250805-v1:0": {"input": 0.015, "output": 0.075},
}
TOKEN_PRICES_SOURCE = "Amazon Bedrock on-demand pricing, us-east-1 (November 2026 for Nova Micro, May 2026 others)"
