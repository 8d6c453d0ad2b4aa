"""Bad input: every value a learner can type goes through utils.validation, used by both the widgets and the config.

Each bad value raises a ValueError subclass whose message says what was wrong and how to fix it.
"""

from __future__ import annotations

import pytest

from utils import validation
from utils.validation import (
    InvalidAccountId,
    InvalidEndpointId,
    InvalidInput,
    InvalidModelId,
    InvalidPrefix,
    InvalidRegion,
    InvalidTarget,
)

# (check, value, kwargs, error class, words the message must contain)
BAD_INPUTS = [
    # account IDs
    (validation.account_id, "12345678901", {}, InvalidAccountId, "11 digits"),
    (validation.account_id, "1234567890123", {}, InvalidAccountId, "13 digits"),
    (validation.account_id, "12345678901a", {}, InvalidAccountId, "other than digits"),
    (validation.account_id, "abcdefghijkl", {}, InvalidAccountId, "other than digits"),
    (validation.account_id, "", {}, InvalidAccountId, "empty"),
    (validation.account_id, "   ", {}, InvalidAccountId, "empty"),
    (validation.account_id, 123456789012, {}, InvalidAccountId, "leading zeros"),
    (validation.account_id, None, {}, InvalidAccountId, "must be text"),
    (validation.account_id, "1234-5678-901", {}, InvalidAccountId, "11 digits"),
    (validation.account_id, "12-3456-789012", {}, InvalidAccountId, "1234-5678-9012"),
    (validation.account_id, "1234_5678_9012", {}, InvalidAccountId, "other than digits"),
    (validation.account_id, "１２３４５６７８９０１２", {}, InvalidAccountId, "other than digits"),  # full-width digits
    # regions
    (validation.region, "us-east-9", {}, InvalidRegion, "not an AWS region"),
    (validation.region, "mars-north-1", {}, InvalidRegion, "not a region code"),
    (validation.region, "us-east-1a", {}, InvalidRegion, "availability zone"),
    (validation.region, "N. Virginia", {}, InvalidRegion, "display name"),
    (validation.region, "US-EAST-1", {}, InvalidRegion, "lower case"),
    (validation.region, "", {}, InvalidRegion, "empty"),
    (validation.region, "ap-east-1", {}, InvalidRegion, "not offered"),
    (validation.region, "cn-north-1", {}, InvalidRegion, "partition"),
    # models
    (validation.model_id, "anthropic.claude-instant-v1", {"region_code": "us-east-1"}, InvalidModelId, "end of life"),
    (validation.model_id, "anthropic.claude-v2", {"region_code": "us-east-1"}, InvalidModelId, "end of life"),
    (validation.model_id, "eu.amazon.nova-micro-v1:0", {"region_code": "us-east-1"}, InvalidModelId, "geography"),
    (validation.model_id, "us.amazon.nova-micro-v1:0", {"region_code": "eu-west-1"}, InvalidModelId,
     "eu.amazon.nova-micro-v1:0"),
    (validation.model_id, "apac.amazon.nova-micro-v1:0", {"region_code": "us-west-2"}, InvalidModelId, "geography"),
    (validation.model_id, "nova micro", {}, InvalidModelId, "does not look like"),
    (validation.model_id, "", {}, InvalidModelId, "empty"),
    (validation.model_id, "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0", {}, InvalidModelId,
     "is an ARN"),
    (validation.model_id, "amazon.nova-giga-v9:0", {"region_code": "us-east-1",
                                                    "offered": ["us.amazon.nova-micro-v1:0"]},
     InvalidModelId, "not offered"),
    # prefixes
    (validation.prefix, "a-very-long-participant-name", {}, InvalidPrefix, "at most 12"),
    (validation.prefix, "Alice", {}, InvalidPrefix, "'alice'"),
    (validation.prefix, "al ice", {}, InvalidPrefix, "do not accept"),
    (validation.prefix, "alice_1", {}, InvalidPrefix, "do not accept"),
    (validation.prefix, "-alice", {}, InvalidPrefix, "starting with a letter"),
    (validation.prefix, "alice-", {}, InvalidPrefix, "do not accept"),
    (validation.prefix, "al--ice", {}, InvalidPrefix, "single hyphens"),
    (validation.prefix, "1team", {}, InvalidPrefix, "starting with a letter"),
    (validation.prefix, "équipe", {}, InvalidPrefix, "do not accept"),
    # endpoint IDs
    (validation.endpoint_id, "vpce-123", {}, InvalidEndpointId, "17"),
    (validation.endpoint_id, "vpc-0123456789abcdef0", {}, InvalidEndpointId, "not a VPC endpoint ID"),
    (validation.endpoint_id, "vpce-0123456789ABCDEF0", {}, InvalidEndpointId, "lower-case hex"),
    (validation.endpoint_id, "vpce-svc-0123456789abcdef0", {}, InvalidEndpointId, "endpoint service ID"),
    (validation.endpoint_id, "", {}, InvalidEndpointId, "empty"),
    (validation.endpoint_id, "vpce-<bedrock-runtime-vpce>", {}, InvalidEndpointId, "not a VPC endpoint ID"),
    # targets
    (validation.target, "local", {}, InvalidTarget, "'sandbox'"),
    (validation.target, "", {}, InvalidTarget, "unknown"),
]


def test_there_are_at_least_25_bad_input_cases():
    assert len(BAD_INPUTS) >= 25


@pytest.mark.parametrize(("check", "value", "kwargs", "error", "words"), BAD_INPUTS,
                         ids=[f"{c.__name__}:{v!r}" for c, v, *_ in BAD_INPUTS])
def test_bad_input_is_refused_with_a_clear_message(check, value, kwargs, error, words):
    with pytest.raises(error) as info:
        check(value, **kwargs)
    exc = info.value
    assert isinstance(exc, ValueError) and isinstance(exc, InvalidInput)
    assert words in str(exc), str(exc)
    # Every message says what was wrong AND what to do.
    assert exc.problem and exc.fix and exc.fix != exc.problem


@pytest.mark.parametrize(("value", "expected"), [
    ("123456789012", "123456789012"),
    ("012345678901", "012345678901"),  # leading zeros kept
    ("000000000001", "000000000001"),
    ("1234-5678-9012", "123456789012"),  # as the console shows it
    ("0123-4567-8901", "012345678901"),
    ("1234 5678 9012", "123456789012"),
    ("  123456789012  ", "123456789012"),  # surrounding blanks from a paste
    ("\t1234-5678-9012\n", "123456789012"),
])
def test_good_account_ids_are_normalised(value, expected):
    assert validation.account_id(value) == expected


@pytest.mark.parametrize(("region", "model"), [
    ("us-east-1", "us.amazon.nova-micro-v1:0"),
    ("us-west-2", "us.amazon.nova-micro-v1:0"),
    ("us-east-1", "amazon.nova-micro-v1:0"),
    ("eu-central-1", "eu.amazon.nova-micro-v1:0"),
    ("ap-northeast-1", "apac.amazon.nova-micro-v1:0"),
    ("ap-northeast-1", "jp.amazon.nova-micro-v1:0"),
    ("eu-west-1", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
    ("us-east-1", "us.anthropic.claude-haiku-4-5-20251001-v1:0"),
])
def test_good_models(region, model):
    assert validation.model_id(model, region) == model


def test_good_regions_prefixes_and_endpoints():
    assert validation.region(" us-east-1 ") == "us-east-1"
    assert "us-east-1" in validation.bedrock_regions()
    assert "ap-east-1" not in validation.bedrock_regions()
    assert validation.prefix(None) == "" and validation.prefix("") == "" and validation.prefix("  ") == ""
    assert validation.prefix("team-3") == "team-3"
    assert validation.prefix("a" * validation.PREFIX_MAX) == "a" * validation.PREFIX_MAX
    assert validation.endpoint_id("vpce-0123456789abcdef0") == "vpce-0123456789abcdef0"
    assert validation.endpoint_id("vpce-1a2b3c4d") == "vpce-1a2b3c4d"
    assert validation.target(" AWS ") == "aws"


def test_prefix_limit_matches_the_template():
    """The template's ParticipantPrefix accepts at most PREFIX_MAX characters, so the two agree."""
    from utils.config import repo_root

    template = (repo_root() / "cfn" / "bedrock-privatelink.yaml").read_text()
    assert f"{{0,{validation.PREFIX_MAX}}}" in template


def test_split_model_id():
    assert validation.split_model_id("us.amazon.nova-micro-v1:0") == ("us", "amazon.nova-micro-v1:0")
    assert validation.split_model_id("amazon.nova-micro-v1:0") == (None, "amazon.nova-micro-v1:0")
    assert validation.split_model_id("apac.amazon.nova-micro-v1:0") == ("apac", "amazon.nova-micro-v1:0")


def test_a_region_the_sandbox_does_not_model_is_refused_there_only():
    """Every Region where botocore knows Amazon Bedrock is accepted for AWS; the sandbox serves the Regions of its
    catalogue (awsfacts.bedrock.REGIONS) and names its own limit for the others, never "not offered"."""
    from awsfacts import bedrock as awsbedrock

    beyond = sorted(set(validation.bedrock_regions()) - set(awsbedrock.REGIONS))
    assert beyond, "botocore lists no Bedrock Region beyond the sandbox's catalogue: drop this test's premise"
    for region in beyond:
        assert validation.region(region, "aws") == region
        with pytest.raises(validation.InvalidRegion) as info:
            validation.region(region, "sandbox")
        assert "sandbox models Amazon Bedrock" in str(info.value) and "not offered" not in str(info.value)
    for region in awsbedrock.REGIONS:
        assert validation.region(region, "sandbox") == region
