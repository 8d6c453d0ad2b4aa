"""One language per learner (issue 18): notebook 00 saves the language it runs in; every helper speaks it afterwards,
wherever it runs; WORKSHOP_LANG and the kernel's folder still override it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from utils import config, lang, validation
from utils.config import repo_root


def _cli_env(cfg_path, **changes) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
    env.update({"WORKSHOP_CONFIG": str(cfg_path), "WORKSHOP_REQUIRE_SANDBOX": "1", "PYTHONPATH": str(repo_root())})
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _cli(args: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "utils", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=str(repo_root()))  # a terminal at the repository root


def test_notebook_00_from_notebooks_ja_makes_the_doctor_speak_japanese_at_the_repository_root(sandbox, tmp_path):
    """The issue's done-when, through the learner's path: 00 runs in notebooks/ja/ (as `python -m utils run --lang
    ja` runs it), then `python -m utils doctor` in a terminal at the repository root, without WORKSHOP_LANG, speaks
    Japanese; WORKSHOP_LANG=en still overrides the saved choice; the runner without --lang runs the saved language."""
    cfg_path = tmp_path / "workshop_config.json"
    env = _cli_env(cfg_path, AWS_ENDPOINT_URL=sandbox.url, WORKSHOP_TARGET="sandbox")
    run = _cli(["run", "--lang", "ja", "--only", "00", "--out", str(tmp_path / "runs")], env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(cfg_path.read_text())["lang"] == "ja"
    # The runner speaks the language it runs, from its first line to its last.
    assert "1 個のノートブックを sandbox" in run.stdout.splitlines()[0], run.stdout
    assert "1 個中 1 個のノートブックが成功しました" in run.stdout, run.stdout

    doctor_env = _cli_env(cfg_path, AWS_ENDPOINT_URL=sandbox.url)
    assert "WORKSHOP_LANG" not in doctor_env
    doctor = _cli(["doctor", "--no-path"], doctor_env, timeout=120)
    printed = doctor.stdout + doctor.stderr
    assert "Traceback" not in printed, printed
    assert "スタック: Bedrock-GenAI-Stack は存在しません" in printed, printed  # nothing is deployed yet
    assert "すべてのチェックに合格しました。" in printed and "every check passed" not in printed, printed

    english = _cli(["doctor", "--no-path"], {**doctor_env, "WORKSHOP_LANG": "en"}, timeout=120)
    assert "Healthy: every check passed." in english.stdout and "スタック" not in english.stdout, english.stdout

    shown = _cli(["config"], doctor_env, timeout=60)
    assert "lang: 'ja'" in shown.stdout, shown.stdout + shown.stderr


def test_the_runner_without_lang_runs_the_saved_language(sandbox, tmp_path):
    cfg_path = tmp_path / "workshop_config.json"
    cfg_path.write_text(json.dumps({"target": "sandbox", "region": "us-east-1", "account_id": "123456789012",
                                    "model_id": "us.amazon.nova-micro-v1:0", "prefix": "", "lang": "ja"}))
    env = _cli_env(cfg_path, AWS_ENDPOINT_URL=sandbox.url, WORKSHOP_TARGET="sandbox")
    run = _cli(["run", "--only", "00", "--out", str(tmp_path / "runs")], env)
    assert run.returncode == 0, run.stdout + run.stderr
    executed = next((tmp_path / "runs").rglob("00_prerequisites.ipynb")).read_text(encoding="utf-8")
    assert "前提条件" in executed  # the Japanese notebook (notebooks/ja/) ran
    assert json.loads(cfg_path.read_text())["lang"] == "ja"


def test_the_form_saves_the_language_of_the_folder_it_runs_in(tmp_path, monkeypatch):
    from utils.widgets import ConfigForm

    monkeypatch.delenv("WORKSHOP_LANG", raising=False)
    path = tmp_path / "workshop_config.json"
    monkeypatch.setenv("WORKSHOP_CONFIG", str(path))
    initial = {"target": "sandbox", "account_id": "123456789012", "region": "us-east-1",
               "model_id": "us.amazon.nova-micro-v1:0"}
    for folder, expected in ((repo_root() / "notebooks" / "ja", "ja"), (repo_root() / "notebooks", "en")):
        monkeypatch.chdir(folder)
        start = config.resolve()
        assert start["lang"] == expected
        ConfigForm({**initial, "lang": start["lang"]}, regions=["us-east-1"]).save()
        assert json.loads(path.read_text())["lang"] == expected
        assert config.load().lang == expected


def test_precedence_environment_then_folder_then_saved_then_english(tmp_path, monkeypatch):
    path = tmp_path / "workshop_config.json"
    monkeypatch.setenv("WORKSHOP_CONFIG", str(path))
    monkeypatch.delenv("WORKSHOP_LANG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert lang.source() == ("en", lang.FROM_DEFAULT)
    config.save({"target": "sandbox", "region": "us-east-1", "account_id": "123456789012",
                 "model_id": "us.amazon.nova-micro-v1:0", "lang": "ja"})
    assert lang.source() == ("ja", lang.FROM_CONFIG)
    assert lang._("Save") == "保存"
    monkeypatch.chdir(repo_root() / "notebooks")  # an English notebook speaks English, whatever was saved
    assert lang.source() == ("en", lang.FROM_FOLDER)
    monkeypatch.setenv("WORKSHOP_LANG", "en")
    monkeypatch.chdir(tmp_path)
    assert lang.source() == ("en", lang.FROM_ENV)
    monkeypatch.delenv("WORKSHOP_LANG")
    # The saved choice changes when 00 saves again (the cache follows the file).
    config.save({**config.load().to_dict(), "lang": "en"})
    assert lang.current() == "en"


def test_a_bad_saved_language_is_a_clear_error_and_reads_english_meanwhile(tmp_path, monkeypatch):
    path = tmp_path / "workshop_config.json"
    monkeypatch.setenv("WORKSHOP_CONFIG", str(path))
    monkeypatch.delenv("WORKSHOP_LANG", raising=False)
    monkeypatch.chdir(tmp_path)
    path.write_text(json.dumps({"target": "sandbox", "region": "us-east-1", "account_id": "123456789012",
                                "model_id": "us.amazon.nova-micro-v1:0", "lang": "fr"}))
    assert lang.current() == "en"
    with pytest.raises(validation.InvalidLanguage, match=r"In .*workshop_config.json: The language 'fr'"):
        config.load()
    shown = _cli(["config"], _cli_env(path), timeout=60)
    assert shown.returncode == 1 and "The language 'fr' is not one the workshop speaks" in shown.stderr, shown
    assert "Traceback" not in shown.stderr
    with pytest.raises(validation.InvalidLanguage):
        config.save({"target": "sandbox", "region": "us-east-1", "account_id": "123456789012",
                     "model_id": "us.amazon.nova-micro-v1:0", "lang": "klingon"})
    assert json.loads(path.read_text())["lang"] == "fr"  # bad input changes nothing
    assert validation.language("ja_JP.UTF-8") == "ja" and validation.language(None) == "en"


def test_lang_does_not_import_config():
    """utils.lang finds the locales and the saved language through utils.paths, a leaf: config imports validation,
    which imports lang, so lang importing config would be a cycle."""
    code = ("import sys; import utils.lang; "
            "bad = [m for m in sys.modules if m.startswith('utils.') and m not in ('utils.lang', 'utils.paths')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(repo_root())}, cwd=str(repo_root()))
    assert done.returncode == 0, done.stdout + done.stderr
    assert lang.LOCALES == repo_root() / "locales"


def test_the_evidence_table_speaks_japanese_and_the_rows_stay_data(monkeypatch):
    from utils import evidence

    called = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    want = {"allow": called, "deny": called + timedelta(minutes=1)}
    found = {"allow": {"eventName": "Converse", "vpcEndpointId": "vpce-0123456789abcdef0"}}
    rows = evidence.rows("vpce-0123456789abcdef0", want, found, now=called + timedelta(minutes=2))
    late = evidence.rows("vpce-0123456789abcdef0", {"deny": called}, {}, now=called + timedelta(minutes=20))
    assert [r["status"] for r in rows] == ["arrived", "on its way (typically by 01:06 UTC on AWS)"]  # notebooks test
    assert late[0]["status"] == "late: past 15 minutes"
    monkeypatch.setenv("WORKSHOP_LANG", "ja")
    table = evidence.table(rows + late)
    assert list(table.columns[:3]) == ["証拠", "状態", "呼び出し (UTC)"]
    assert list(table.columns[3:]) == ["eventName", "errorCode", "vpcEndpointId", "sourceIPAddress",
                                       "userIdentity.arn"]  # CloudTrail's field names, as AWS writes them
    assert list(table["状態"]) == ["到着済み", "配信待ち (AWS では通常 01:06 UTC までに届きます)",
                                 "遅延: 15 分を超えています"]
    assert list(table["証拠"]) == ["許可 (Allow)", "拒否 (Deny)", "拒否 (Deny)"]
    monkeypatch.setenv("WORKSHOP_LANG", "en")
    assert list(evidence.table(rows)["status"]) == ["arrived", "on its way (typically by 01:06 UTC on AWS)"]


def test_speaking_sets_the_language_for_a_block_and_restores_it(monkeypatch):
    monkeypatch.delenv("WORKSHOP_LANG", raising=False)
    with lang.speaking("ja"):
        assert lang.source() == ("ja", lang.FROM_ENV) and lang._("Save") == "保存"
    assert "WORKSHOP_LANG" not in os.environ
    monkeypatch.setenv("WORKSHOP_LANG", "en")
    with lang.speaking("ja"):
        assert lang.current() == "ja"
    assert os.environ["WORKSHOP_LANG"] == "en"
