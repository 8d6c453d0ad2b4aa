"""Models and profiles from the sandbox's Amazon Bedrock control plane, and the ARNs a policy needs."""

from __future__ import annotations

from utils import models


def test_default_model_by_region():
    assert models.default_model_id("us-east-1") == "us.amazon.nova-micro-v1:0"
    assert models.default_model_id("eu-west-3") == "eu.amazon.nova-micro-v1:0"
    assert models.default_model_id("ap-south-1") == "apac.amazon.nova-micro-v1:0"
    assert models.default_model_id("ap-northeast-3") == "jp.anthropic.claude-haiku-4-5-20251001-v1:0"
    assert models.default_model_id("eu-west-3", ["amazon.nova-micro-v1:0"]) == "amazon.nova-micro-v1:0"


def test_catalog_and_choices(aws):
    cat = models.catalog(aws("bedrock"))
    offered = models.offered_ids(cat)
    assert "us.amazon.nova-micro-v1:0" in offered
    assert "anthropic.claude-instant-v1" not in offered
    choices = models.choices(cat, "us-east-1")
    assert choices[0][1] == "us.amazon.nova-micro-v1:0" and "default" in choices[0][0]


def test_resource_arns_of_a_profile(aws):
    arns = models.resource_arns(aws("bedrock"), "us.amazon.nova-micro-v1:0", "us-east-1")
    assert arns[0] == "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-micro-v1:0"
    regions = sorted(a.split(":")[3] for a in arns[1:])
    assert all(":foundation-model/amazon.nova-micro-v1:0" in a for a in arns[1:])
    assert "us-east-1" in regions and len(regions) >= 2


def test_resource_arns_of_a_model(aws):
    assert models.resource_arns(aws("bedrock"), "amazon.nova-micro-v1:0", "us-east-1") == [
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0"]


def test_lifecycle(aws):
    assert models.lifecycle(aws("bedrock"), "us.amazon.nova-micro-v1:0") == {"amazon.nova-micro-v1:0": "ACTIVE"}


def test_the_default_is_always_a_model_the_region_offers():
    from awsfacts import bedrock as awsbedrock

    for region in awsbedrock.REGIONS:
        offered = models.offered_ids(models.offline_catalog(region))
        if offered:
            assert models.default_model_id(region) in offered, region
        assert models.default_model_id(region, offered) == models.default_model_id(region)


def test_the_sandbox_serves_the_offline_facts(aws):
    for region in ("us-east-1", "eu-west-1", "ap-northeast-3"):
        live = models.offered_ids(models.catalog(aws("bedrock", region)))
        assert sorted(live) == sorted(models.offered_ids(models.offline_catalog(region))), region


def test_offer_explains_every_refusal(aws):
    offer = models.offer(models.catalog(aws("bedrock")), "us-east-1")
    assert offer.reason("us.amazon.nova-micro-v1:0") is None
    assert offer.reason("amazon.titan-embed-text-v2:0")[0] == "not-text"
    assert offer.reason("anthropic.claude-haiku-4-5-20251001-v1:0")[0] == "profile-only"
    assert offer.reason("us.anthropic.claude-opus-4-1-20250805-v1:0")[0] == "lifecycle"
    assert offer.reason("amazon.nova-premier-v1:0")[0] == "lifecycle"
    kind, problem, fix = offer.reason("example.unknown-v1:0")
    assert kind == "unknown" and "not offered in us-east-1" in problem and "us.amazon.nova-micro-v1:0" in fix
    assert offer.alternatives()[0] == "us.amazon.nova-micro-v1:0"


def test_live_data_takes_precedence_over_the_offline_end_of_life_list():
    from utils import validation

    retired = "anthropic.claude-3-haiku-20240307-v1:0"
    assert validation.model_id(retired, "us-east-1", offered=[retired]) == retired  # AWS still lists it: accepted
    try:
        validation.model_id(retired, "us-east-1")
    except validation.InvalidModelId as exc:
        assert "end of life" in str(exc) and "2026-09-10" in str(exc)
    else:
        raise AssertionError("the offline list no longer refuses Claude 3 Haiku")


def test_utils_reads_the_facts_from_awsfacts():
    from awsfacts import bedrock as awsbedrock
    from utils import validation

    assert validation.PROFILE_GEOGRAPHIES is awsbedrock.PROFILE_GEOGRAPHIES
    assert set(validation.END_OF_LIFE_MODELS) == set(awsbedrock.END_OF_LIFE)
    assert models.DEFAULT_BASE_MODEL == awsbedrock.DEFAULT_MODEL


def test_a_foreign_profile_in_a_region_without_its_geography_profile_names_what_is_offered():
    from utils import validation

    offer = models.offer(models.offline_catalog("ap-northeast-3"), "ap-northeast-3")
    try:
        validation.model_id("us.amazon.nova-micro-v1:0", "ap-northeast-3", offer)
    except validation.InvalidModelId as exc:
        assert "'us' geography" in str(exc) and "ap-northeast-3 offers jp.anthropic.claude-haiku" in str(exc)
        assert "apac.amazon.nova-micro" not in str(exc)  # not offered there: never suggested
    else:
        raise AssertionError("a US profile was accepted in ap-northeast-3")
