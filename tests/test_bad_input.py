"""Bad input beyond tests/test_utils_validation.py (45 cases) and tests/test_config.py (files): the same checks
reached through the WORKSHOP_* environment variables that headless runs use, and through the notebooks themselves.

Each bad value gets a message that names its source and the fix, and creates nothing: the config file keeps its
bytes, and a notebook that receives it stops in its first cell with the sandbox still empty.
"""

from __future__ import annotations

import json

import pytest

from tests.test_reliability import Workshop, sandbox_client
from utils import config, target
from utils.validation import InvalidInput

GOOD = {"target": "sandbox", "region": "us-east-1", "account_id": "012345678901",
        "model_id": "us.amazon.nova-micro-v1:0", "prefix": ""}

# (environment variable, bad value, words the message must contain)
ENV_CASES = [
    ("WORKSHOP_ACCOUNT_ID", "12345678901", "11 digits"),
    ("WORKSHOP_ACCOUNT_ID", "1234567890123", "13 digits"),
    ("WORKSHOP_ACCOUNT_ID", "12345678901O", "other than digits"),  # a letter O for a zero
    ("WORKSHOP_ACCOUNT_ID", "1234-5678-901", "11 digits"),
    ("WORKSHOP_REGION", "us-east-7", "not an AWS region"),
    ("WORKSHOP_REGION", "ap-east-1", "not offered"),  # a region without Amazon Bedrock
    ("WORKSHOP_MODEL_ID", "anthropic.claude-v2", "end of life"),
    ("WORKSHOP_MODEL_ID", "eu.amazon.nova-micro-v1:0", "geography"),  # a profile of another geography
    ("WORKSHOP_MODEL_ID", "nova-micro", "does not look like"),
    ("WORKSHOP_PREFIX", "workshop-team-42", "at most 12"),  # too long for the names the workshop derives
    ("WORKSHOP_PREFIX", "team_42", "do not accept"),
    ("WORKSHOP_TARGET", "localstack", "'sandbox'"),
]


@pytest.fixture
def cfg_file(tmp_path, monkeypatch):
    path = tmp_path / "workshop_config.json"
    monkeypatch.setenv("WORKSHOP_CONFIG", str(path))
    for var in config.ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    config.save(GOOD)
    return path


def test_there_are_more_bad_inputs_here():
    assert len(ENV_CASES) >= 10


@pytest.mark.parametrize(("var", "value", "words"), ENV_CASES, ids=[f"{v}={x}" for v, x, _ in ENV_CASES])
def test_bad_environment_values_are_refused_and_change_nothing(cfg_file, monkeypatch, var, value, words):
    before = cfg_file.read_bytes()
    monkeypatch.setenv(var, value)
    with pytest.raises(InvalidInput) as info:
        config.load()
    message = str(info.value)
    assert message.startswith("In an environment variable:"), message
    assert words in message and info.value.fix, message
    assert cfg_file.read_bytes() == before


@pytest.mark.parametrize(("value", "saved"), [(" 1234-5678-9012 ", "123456789012"), ("012345678901", "012345678901"),
                                              ("0123 4567 8901", "012345678901")])
def test_account_ids_from_the_environment_are_normalised_and_keep_leading_zeros(cfg_file, monkeypatch, value, saved):
    monkeypatch.setenv("WORKSHOP_ACCOUNT_ID", value)
    assert config.load().account_id == saved


def _nothing_in(sandbox_url: str) -> bool:
    cfn, ec2 = sandbox_client("cloudformation"), sandbox_client("ec2")
    return not cfn.describe_stacks()["Stacks"] and not [v for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]]


@pytest.mark.slow
@pytest.mark.parametrize("case", ["corrupted file", "partial file", "bad account in the environment"])
def test_a_notebook_given_bad_configuration_stops_at_once_and_creates_nothing(aws, sandbox, tmp_path, monkeypatch,
                                                                              case):
    path = tmp_path / "workshop_config.json"
    for var in config.ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WORKSHOP_CONFIG", str(path))
    monkeypatch.setenv("WORKSHOP_TARGET", "sandbox")
    monkeypatch.setenv("WORKSHOP_REQUIRE_SANDBOX", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.url)
    target._active = None
    target._client_cache.clear()
    if case == "corrupted file":
        path.write_text('{"region": "us-east-1", "account_id": "0123')
        expected = ["ConfigCorrupt", "not valid JSON", "re-run notebook 00"]
    elif case == "partial file":
        path.write_text(json.dumps({"target": "sandbox", "region": "us-east-1"}))
        expected = ["ConfigIncomplete", "lacks account_id, model_id", "Re-run notebook 00"]
    else:
        config.save(GOOD)
        monkeypatch.setenv("WORKSHOP_ACCOUNT_ID", "1234-5678-901")
        expected = ["InvalidAccountId", "In an environment variable", "11 digits"]
    before = path.read_bytes()
    workshop = Workshop(tmp_path)
    report = workshop.run(["01"], record=False)
    (result,) = report.results
    assert result.status == "failed"
    for words in expected:
        assert words in result.error, result.error
    assert path.read_bytes() == before
    assert _nothing_in(sandbox.url)
    target._active = None
    target._client_cache.clear()
