"""`python -m utils`, `run` and `doctor` on the command line, as a learner types them: help and mistakes in the
language in force (issue 18), a mistake exits 2 with one paragraph and changes nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.test_ja_coverage import english_prose


def _utils(*args: str, lang: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WORKSHOP_LANG": lang, "WORKSHOP_CONFIG": str(tmp_path / "workshop_config.json")}
    return subprocess.run([sys.executable, "-m", "utils", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def _prose(text: str) -> list[str]:
    """English prose in `text` once the commands and their usage ([-h] [--only ONLY]) are taken out."""
    return [line for line in text.splitlines()
            if english_prose(re.sub(r"python -m utils(?: [a-z0-9-]+)*|\[[^\]]*\]|--[a-z-]+(?: [A-Z]+)?", " ", line))]


HELP = [("--help",), ("run", "--help"), ("doctor", "--help")]
MISTAKES = [("run", "--lang", "fr"), ("run", "--only"), ("doctor", "--nopath")]


@pytest.mark.parametrize("args", HELP, ids=" ".join)
def test_help_speaks_japanese(args, tmp_path):
    done = _utils(*args, lang="ja", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("使い方: python -m utils"), done.stdout
    assert not _prose(done.stdout), _prose(done.stdout)


@pytest.mark.parametrize("args", HELP, ids=" ".join)
def test_help_in_english_is_unchanged(args, tmp_path):
    done = _utils(*args, lang="en", tmp_path=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("usage: python -m utils"), done.stdout


@pytest.mark.parametrize("args", MISTAKES, ids=" ".join)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_mistake_is_one_paragraph_and_exit_2(args, lang, tmp_path):
    done = _utils(*args, lang=lang, tmp_path=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert f"python -m utils {args[0]} --help" in done.stderr, done.stderr
    if lang == "ja":
        assert done.stderr.startswith("エラー: ") and not _prose(done.stderr), done.stderr
    else:
        assert done.stderr.startswith("error: "), done.stderr
    assert not (tmp_path / "workshop_config.json").exists()  # nothing changed: no config written, no run folder
    assert not (tmp_path / "runs").exists()
