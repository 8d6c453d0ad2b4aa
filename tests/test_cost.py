"""Cost estimates (notebooks 00 and 02) and the endpoint's real running time (07)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from utils import cost


def test_two_hour_session_is_mostly_endpoint_hours():
    est = cost.estimate("us.amazon.nova-micro-v1:0", hours=2, azs=2, invocations=10)
    lines = {line["item"]: line["usd"] for line in est.lines}
    assert lines["interface endpoint (1 x 2 AZs)"] == pytest.approx(0.04)
    assert est.total == pytest.approx(0.04, abs=0.001)
    assert lines["us.amazon.nova-micro-v1:0 input tokens"] == pytest.approx(1500 / 1000 * 0.000035)
    assert lines["us.amazon.nova-micro-v1:0 output tokens"] == pytest.approx(1000 / 1000 * 0.00014)
    assert "November 2026" in str(est)


def test_partial_hours_bill_as_full_hours_and_endpoints_multiply():
    est = cost.estimate("amazon.nova-micro-v1:0", hours=0.1, azs=2, endpoints=2)
    assert est.lines[0]["usd"] == pytest.approx(2 * 2 * 1 * 0.01)


def test_usage_counts_from_a_reply_replace_the_typical_call():
    est = cost.estimate("us.amazon.nova-micro-v1:0", invocations=1, usage={"inputTokens": 1000, "outputTokens": 1000})
    lines = {line["item"]: line["usd"] for line in est.lines}
    assert lines["us.amazon.nova-micro-v1:0 output tokens"] == pytest.approx(0.00014)
    assert not any("assumed" in n for n in est.notes)


def test_prices_live_in_one_place_that_the_sandbox_serves_too():
    from awsfacts import bedrock as awsbedrock
    from sandbox import bedrock_catalog

    assert cost.TOKEN_PRICES_PER_1K is awsbedrock.TOKEN_PRICES_PER_1K
    for model_id, price in awsbedrock.TOKEN_PRICES_PER_1K.items():
        for target in ("sandbox", "aws"):
            assert cost.token_prices(model_id, target=target) == (price, awsbedrock.TOKEN_PRICES_SOURCE)
        assert bedrock_catalog.price_per_1k(model_id) == price
    assert cost.token_prices("eu.amazon.nova-micro-v1:0")[0] == awsbedrock.TOKEN_PRICES_PER_1K["amazon.nova-micro-v1:0"]


def test_utils_reads_prices_without_the_sandbox():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(cost))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("sandbox") for m in imported), imported


def test_unknown_model_has_no_token_line_but_says_why():
    est = cost.estimate("example.unknown-model-v1:0")
    assert not any("tokens" in line["item"] for line in est.lines)
    assert any("no price known" in n for n in est.notes)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        cost.estimate("amazon.nova-micro-v1:0", azs=0)


def test_endpoint_runtime_from_creation_timestamp():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    ep = {"VpcEndpointId": "vpce-1", "CreationTimestamp": now - timedelta(hours=2, minutes=5),
          "SubnetIds": ["subnet-a", "subnet-b"]}
    row = cost.endpoint_runtime(ep, now=now)
    assert row["billed_hours"] == 3 and row["azs"] == 2 and row["usd"] == pytest.approx(0.06)
    assert row["hours"] == pytest.approx(2 + 5 / 60, abs=1e-3)
    text = cost.describe_runtime([row])
    assert "billed 3 hour(s) x 2 AZs" in text and "$0.06" in text
    assert "no endpoint hours" in cost.describe_runtime([])


def test_endpoint_runtime_accepts_iso_text():
    row = cost.endpoint_runtime({"VpcEndpointId": "vpce-2", "CreationTimestamp": "2026-11-25T10:00:00Z",
                                 "SubnetIds": ["s"]}, now=datetime(2026, 11, 25, 10, 30, tzinfo=UTC))
    assert row["billed_hours"] == 1 and row["usd"] == pytest.approx(0.01)


def test_estimate_table_is_a_dataframe():
    frame = cost.estimate("us.amazon.nova-micro-v1:0").table()
    assert list(frame.columns) == ["item", "quantity", "unit price", "usd"]
    assert frame.iloc[-1]["item"] == "total"


def test_a_geographic_claude_profile_says_its_tokens_cost_more_than_shown():
    est = cost.estimate("us.anthropic.claude-haiku-4-5-20251001-v1:0")
    assert any("10% above" in n for n in est.notes)
    assert not any("10% above" in n for n in cost.estimate("global.anthropic.claude-haiku-4-5-20251001-v1:0").notes)
    assert not any("10% above" in n for n in cost.estimate("us.amazon.nova-micro-v1:0").notes)
    assert not any("10% above" in n for n in cost.estimate("anthropic.claude-haiku-4-5-20251001-v1:0").notes)


def test_the_lambda_memory_priced_is_the_memory_the_template_deploys():
    """One fact in one place: the estimate reads MemorySize from the template; cfn-lint's parser reads it here."""
    from cfnlint.decode import decode

    from utils.paths import repo_root

    template, _errors = decode(str(repo_root() / "cfn" / "bedrock-privatelink.yaml"))
    assert cost.LAMBDA_MEMORY_MB == template["Resources"]["BedrockTestLambdaFunction"]["Properties"]["MemorySize"]


def test_an_estimate_for_another_region_says_whose_prices_it_shows():
    """The prices are us-east-1's; in another Region the estimate, the runtime bill and notebook 06's estimate say
    so and where that Region's prices are, rather than showing a figure that looks local."""
    assert cost.region_note("us-east-1") is None and cost.region_note(None) is None
    note = cost.region_note("ap-northeast-1")
    assert "us-east-1" in note and "ap-northeast-1" in note and "aws.amazon.com/privatelink/pricing" in note
    assert note in cost.estimate("apac.amazon.nova-micro-v1:0", region="ap-northeast-1").notes
    assert note not in cost.estimate("us.amazon.nova-micro-v1:0", region="us-east-1").notes
    ran = [cost.endpoint_runtime({"VpcEndpointId": "vpce-1", "CreationTimestamp": datetime.now(UTC) - timedelta(
        minutes=30), "SubnetIds": ["subnet-a", "subnet-b"]})]
    assert note in cost.describe_runtime(ran, region="ap-northeast-1")
    assert note not in cost.describe_runtime(ran, region="us-east-1")
    assert note in cost.describe_beyond_estimate(region="ap-northeast-1")
