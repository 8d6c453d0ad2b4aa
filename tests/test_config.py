"""workshop_config.json: save, load, environment overrides, and broken files (missing, corrupted, partial)."""

from __future__ import annotations

import json

import pytest

from utils import config
from utils.validation import InvalidAccountId, InvalidInput, InvalidModelId, InvalidPrefix, InvalidRegion

GOOD = {"target": "sandbox", "region": "us-east-1", "account_id": "012345678901",
        "model_id": "us.amazon.nova-micro-v1:0", "prefix": "", "lang": "en"}


@pytest.fixture
def cfg_path(tmp_path, monkeypatch):
    path = tmp_path / "workshop_config.json"
    monkeypatch.setenv("WORKSHOP_CONFIG", str(path))
    for var in config.ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    return path


def test_default_path_is_the_repo_root(monkeypatch):
    monkeypatch.delenv("WORKSHOP_CONFIG", raising=False)
    assert config.config_path() == config.repo_root() / "workshop_config.json"


def test_config_file_is_gitignored():
    assert "workshop_config.json" in (config.repo_root() / ".gitignore").read_text().split()


def test_save_then_load_round_trip(cfg_path):
    written = config.save(GOOD)
    assert written == cfg_path
    assert json.loads(cfg_path.read_text()) == GOOD  # leading zero kept, as a string
    loaded = config.load()
    assert loaded.to_dict() == GOOD
    assert loaded.stack_name == "Bedrock-GenAI-Stack"
    assert loaded.vpc_name == "Bedrock-GenAI-Project-vpc"
    assert loaded.endpoint_name == "bedrock-vpce"
    assert loaded.participant == "default"


def test_save_normalises_the_console_account_format(cfg_path):
    config.save({**GOOD, "account_id": "0123-4567-8901"})
    assert json.loads(cfg_path.read_text())["account_id"] == "012345678901"


def test_prefix_derives_names_and_tags(cfg_path):
    config.save({**GOOD, "prefix": "alice"})
    cfg = config.load()
    assert cfg.stack_name == "alice-Bedrock-GenAI-Stack"
    assert cfg.vpc_name == "alice-Bedrock-GenAI-Project-vpc"
    assert cfg.endpoint_name == "alice-bedrock-vpce"
    assert {"Key": "participant", "Value": "alice"} in cfg.tags
    assert {"Key": "workshop", "Value": "bedrock-privatelink"} in cfg.tags
    assert {"Name": "tag:participant", "Values": ["alice"]} in cfg.tag_filters


@pytest.mark.parametrize(("field", "value", "error"), [
    ("account_id", "12345", InvalidAccountId),
    ("region", "ap-east-1", InvalidRegion),
    ("model_id", "anthropic.claude-instant-v1", InvalidModelId),
    ("prefix", "Bad_Prefix", InvalidPrefix),
])
def test_invalid_save_writes_nothing(cfg_path, field, value, error):
    with pytest.raises(error):
        config.save({**GOOD, field: value})
    assert not cfg_path.exists()
    assert list(cfg_path.parent.iterdir()) == []  # no temporary file left either


def test_invalid_save_keeps_the_previous_file(cfg_path):
    config.save(GOOD)
    before = cfg_path.read_text()
    with pytest.raises(InvalidInput):
        config.save({**GOOD, "region": "mars-north-1"})
    assert cfg_path.read_text() == before


def test_environment_overrides_the_file(cfg_path, monkeypatch):
    config.save(GOOD)
    monkeypatch.setenv("WORKSHOP_REGION", "eu-central-1")
    monkeypatch.setenv("WORKSHOP_MODEL_ID", "eu.amazon.nova-micro-v1:0")
    monkeypatch.setenv("WORKSHOP_PREFIX", "bob")
    monkeypatch.setenv("WORKSHOP_TARGET", "aws")
    monkeypatch.setenv("WORKSHOP_ACCOUNT_ID", "1111-2222-3333")
    cfg = config.load()
    assert (cfg.region, cfg.model_id, cfg.prefix, cfg.target, cfg.account_id) == (
        "eu-central-1", "eu.amazon.nova-micro-v1:0", "bob", "aws", "111122223333")
    assert json.loads(cfg_path.read_text()) == GOOD  # the file is not changed by overrides


def test_environment_alone_is_enough(cfg_path, monkeypatch):
    for key, var in config.ENV_VARS.items():
        monkeypatch.setenv(var, GOOD[key])
    assert config.load().to_dict() == GOOD
    assert not cfg_path.exists()


def test_bad_environment_value_names_its_source(cfg_path, monkeypatch):
    config.save(GOOD)
    monkeypatch.setenv("WORKSHOP_ACCOUNT_ID", "12345")
    with pytest.raises(InvalidAccountId, match="environment variable"):
        config.load()


def test_missing_file(cfg_path):
    with pytest.raises(config.ConfigMissing, match="Run notebook 00"):
        config.load()
    assert not cfg_path.exists()


@pytest.mark.parametrize("text", ['{"region": "us-east-1",', "not json at all", "", "\x00\x01"])
def test_corrupted_file(cfg_path, text):
    cfg_path.write_text(text)
    with pytest.raises(config.ConfigCorrupt, match="not valid JSON") as info:
        config.load()
    assert "re-run notebook 00" in str(info.value)
    assert cfg_path.read_text() == text  # left for the learner to inspect


@pytest.mark.parametrize("text", ["[]", '"sandbox"', "42"])
def test_file_with_the_wrong_shape(cfg_path, text):
    cfg_path.write_text(text)
    with pytest.raises(config.ConfigCorrupt, match="JSON object"):
        config.load()


def test_partial_file_names_what_is_missing(cfg_path):
    cfg_path.write_text(json.dumps({"region": "us-east-1", "target": "sandbox"}))
    with pytest.raises(config.ConfigIncomplete) as info:
        config.load()
    assert "account_id" in str(info.value) and "model_id" in str(info.value)
    assert "WORKSHOP_ACCOUNT_ID" in str(info.value)


def test_unknown_keys_are_refused(cfg_path):
    cfg_path.write_text(json.dumps({**GOOD, "regoin": "us-east-1"}))
    with pytest.raises(config.ConfigCorrupt, match="regoin"):
        config.load()


def test_config_errors_are_value_errors():
    for cls in (config.ConfigMissing, config.ConfigCorrupt, config.ConfigIncomplete):
        assert issubclass(cls, ValueError)


def test_errors_lists_every_problem():
    problems = config.errors({"target": "moon", "region": "us-east-1a", "account_id": "1",
                              "model_id": "anthropic.claude-v2", "prefix": "X Y"})
    assert set(problems) == {"target", "region", "account_id", "model_id", "prefix"}
    assert config.errors(GOOD) == {}


def test_resolve_precedence(cfg_path, monkeypatch):
    assert config.resolve()["region"] == config.DEFAULT_REGION  # no file: default
    config.save({**GOOD, "region": "us-west-2"})
    assert config.resolve()["region"] == "us-west-2"  # the file
    monkeypatch.setenv("WORKSHOP_REGION", "eu-west-1")
    assert config.resolve()["region"] == "eu-west-1"  # env over the file
    assert config.resolve(region="ap-northeast-1")["region"] == "ap-northeast-1"  # explicit over env
    assert config.resolve(prefix="")["prefix"] == ""


def test_resolve_lets_a_saved_default_follow_a_new_region_but_keeps_a_chosen_model(cfg_path, monkeypatch):
    config.save(GOOD)  # us-east-1 with its default, us.amazon.nova-micro-v1:0
    monkeypatch.setenv("WORKSHOP_REGION", " eu-west-1 ")
    assert config.resolve()["region"] == "eu-west-1"  # trimmed
    assert config.resolve()["model_id"] is None  # the form then picks eu-west-1's default
    config.save({**GOOD, "model_id": "us.amazon.nova-lite-v1:0"})  # a model the learner chose
    assert config.resolve()["model_id"] == "us.amazon.nova-lite-v1:0"  # kept, and refused with its reason in 00
    monkeypatch.setenv("WORKSHOP_MODEL_ID", "us.amazon.nova-micro-v1:0")
    assert config.resolve()["model_id"] == "us.amazon.nova-micro-v1:0"  # explicit: never dropped
