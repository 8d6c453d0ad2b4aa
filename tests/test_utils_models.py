"""Models and profiles from the sandbox's Amazon Bedrock control plane, and the ARNs a policy needs."""

from __future__ import annotations

from utils import models


def test_default_model_by_region():
    assert models.default_model_id("us-east-1") == "us.amazon.nova-micro-v1:0"
    assert models.default_model_id("eu-west-3") == "eu.amazon.nova-micro-v1:0"
    assert models.default_model_id("ap-south-1") == "apac.amazon.nova-micro-v1:0"
    assert models.default_model_id("sa-east-1") == "amazon.nova-micro-v1:0"
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
