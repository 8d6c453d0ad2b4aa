"""`python -m utils catalog check`: the offline Bedrock catalogue against the live one (here: the sandbox)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import types

import pytest

from awsfacts import bedrock as awsbedrock
from utils import catalog, config


@pytest.fixture
def client(aws):
    return lambda service, region: aws(service, region)


def test_the_sandbox_serves_exactly_the_offline_catalogue(client):
    report = catalog.check(list(awsbedrock.REGIONS), client)
    assert report.ok, report.text()
    assert report.checked == list(awsbedrock.REGIONS)
    assert "prices" in report.text() and "not compared" in report.text()


def _changed(monkeypatch, change) -> None:
    """Give utils.catalog a changed copy of the facts; the sandbox keeps serving the real ones."""
    facts = types.SimpleNamespace(**{k: copy.deepcopy(v) for k, v in vars(awsbedrock).items()
                                     if k.isupper()})
    change(facts)
    monkeypatch.setattr(catalog, "awsbedrock", facts)


@pytest.mark.parametrize(("change", "words"), [
    (lambda f: f.MODELS["amazon.nova-micro-v1:0"]["lifecycle"].update(status="LEGACY"),
     "offline lifecycle LEGACY, GetFoundationModel says ACTIVE"),
    (lambda f: f.END_OF_LIFE.update({"amazon.nova-pro-v1:0": {"modelName": "Nova Pro", "endOfLife": "2026-01-01",
                                                               "replacement": "x", "profiles": []}}),
     "amazon.nova-pro-v1:0 is on the end-of-life list"),
    (lambda f: f.PROFILES[0]["destinations"].update({"us-east-1": ["us-east-1", "us-west-2"]}),
     "profile us.amazon.nova-micro-v1:0: offline destinations ['us-east-1', 'us-west-2']"),
    (lambda f: f.MODELS["amazon.nova-micro-v1:0"].update(on_demand=[], profile_only=list(awsbedrock.NOVA_REGIONS)),
     "offline INFERENCE_PROFILE, live inferenceTypesSupported ['ON_DEMAND']"),
    (lambda f: f.MODELS["amazon.nova-lite-v1:0"].update(profile_only=[]),
     "amazon.nova-lite-v1:0 is listed live but not offline"),
    (lambda f: f.PROFILES.pop(0), "profile us.amazon.nova-micro-v1:0 (of amazon.nova-micro-v1:0) is listed live"),
])
def test_each_kind_of_difference_is_named(client, monkeypatch, change, words):
    _changed(monkeypatch, change)
    report = catalog.check(["us-east-2" if "nova-lite" in words else "us-east-1"], client)
    assert not report.ok
    assert any(words in d for d in report.differences), report.text()


def test_the_command_exits_0_on_the_sandbox(sandbox, tmp_path):
    from tests.conftest import reset_sandbox

    reset_sandbox(sandbox.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
    env.update({"AWS_ENDPOINT_URL": sandbox.url, "WORKSHOP_TARGET": "sandbox", "WORKSHOP_REQUIRE_SANDBOX": "1",
                "WORKSHOP_CONFIG": str(tmp_path / "none.json"), "WORKSHOP_REGION": "eu-west-1"})
    env["PYTHONPATH"] = str(config.repo_root()) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([sys.executable, "-m", "utils", "catalog", "check", "--region", "us-east-1",
                           "--region", "ap-northeast-3"], cwd=config.repo_root(), env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Checked 2 Region(s): us-east-1, ap-northeast-3" in proc.stdout
    assert "matches the live one" in proc.stdout
