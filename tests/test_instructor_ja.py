"""Instructors in Japanese (issue 18, item 5): the instructor notebooks come from the same catalogues and the same
check as the learner's (notebooks/ja/instructor/ from locales/ja/LC_MESSAGES/instructor_*.po), the instructor CLI
speaks the language in force (WORKSHOP_LANG, the kernel's folder, the saved `lang`) with the same exit codes, and a
Japanese instructor notebook runs headless on the sandbox from its own folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import polib
import pytest

from utils import i18n, lang
from utils.instructor import cli

ROOT = Path(__file__).resolve().parents[1]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


# ---------------------------------------------------------------------------------------------- notebooks
def test_the_instructor_notebooks_have_a_complete_current_japanese_build():
    notebooks = i18n.instructor_notebooks()
    assert [p.name for p in notebooks] == ["01_provision.ipynb", "02_dashboard.ipynb", "03_cleanup.ipynb"]
    for source in notebooks:
        po_path = i18n.catalog_path("ja", source)
        assert po_path.name == f"instructor_{source.stem}.po"
        out = i18n.output_path("ja", source)
        assert out == ROOT / "notebooks" / "ja" / "instructor" / source.name
        po = polib.pofile(str(po_path))
        en = nbformat.read(source, as_version=4)
        ja = nbformat.read(out, as_version=4)
        markdown = [c for c in en.cells if c.cell_type == "markdown" and c.source.strip()]
        assert {e.msgctxt for e in po if not e.obsolete} == {c["id"] for c in markdown}
        assert all(e.msgstr and "fuzzy" not in e.flags for e in po if not e.obsolete)
        assert [c["id"] for c in ja.cells] == [c["id"] for c in en.cells]
        for a, b in zip(en.cells, ja.cells, strict=True):
            if a.cell_type == "code":
                assert b.source == a.source  # byte for byte: both languages run the same code
            else:
                assert b.source != a.source and JAPANESE.search(b.source)
    # The same check as the learner's notebooks covers them (and the messages of utils/instructor/).
    assert [p for p in i18n.check("ja") if "instructor" in p] == []
    assert any(path.parts[-2:] == ("instructor", "cli.py") for path in i18n.message_sources())


def test_the_instructor_folders_speak_their_trees_language(monkeypatch, tmp_path):
    monkeypatch.delenv("WORKSHOP_LANG", raising=False)
    folders = (("notebooks/ja/instructor", "ja"), ("notebooks/instructor", "en"), ("notebooks/ja", "ja"),
               ("notebooks", "en"))
    for folder, _expected in folders:
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    for folder, expected in folders:
        monkeypatch.chdir(tmp_path / folder)
        assert lang.source() == (expected, lang.FROM_FOLDER), folder


# ---------------------------------------------------------------------------------------------- the CLI
def instructor(*args: str, language: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "WORKSHOP_LANG"}
    if language:
        env["WORKSHOP_LANG"] = language
    return subprocess.run([sys.executable, "-m", "utils", "instructor", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


MISTAKES = [
    (["provision", "--shared", "2", "--hours", "three"], "は時間数ではありません"),
    (["provision", "--ou", "ou-123"], "は OU ID ではありません"),
    (["provision", "--shared", "2", "--guardrail"], "--guardrail には --ou が必要です"),
    (["status", "--room", "Bad_Room"], "は有効な会場の名前ではありません"),
    (["fast-forward", "p01", "--to", "08"], "ノートブックの番号を 00〜07 で指定してください"),
    (["rehearse", "--accounts", "0"], "1 以上を指定してください"),
]


@pytest.mark.parametrize(("argv", "japanese"), MISTAKES, ids=[" ".join(m[0]) for m in MISTAKES])
def test_cli_mistakes_in_japanese_keep_their_exit_codes(argv, japanese):
    en = instructor(*argv, language=None)
    ja = instructor(*argv, language="ja")
    assert en.returncode == ja.returncode == cli.USAGE
    assert "Traceback" not in ja.stderr and ja.stderr.strip().count("\n") == 0, ja.stderr
    assert japanese in ja.stderr and ja.stderr.startswith("エラー: "), ja.stderr
    assert not JAPANESE.search(en.stderr) and en.stderr.startswith("error: "), en.stderr


def test_a_stopped_sandbox_in_japanese_is_exit_1_and_keeps_the_error_name():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    env = {**os.environ, "AWS_ENDPOINT_URL": url, "WORKSHOP_TARGET": "sandbox", "WORKSHOP_LANG": "ja"}
    run = subprocess.run([sys.executable, "-m", "utils", "instructor", "status"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=env)
    assert run.returncode == cli.FAILED, run.stderr
    assert "Traceback" not in run.stderr and JAPANESE.search(run.stderr), run.stderr


@pytest.fixture
def instructor_env(instructor_env, monkeypatch):
    """tests/conftest.py's, with no WORKSHOP_LANG from the caller's shell: each test sets the language it means."""
    monkeypatch.delenv("WORKSHOP_LANG", raising=False)
    return instructor_env


def test_no_room_and_an_unknown_participant_in_japanese(instructor_env, aws, capsys, monkeypatch):
    """The state (no room: exit 1) and the command line (a participant the room lacks: exit 2), as in English;
    AWS's and the room's names stay as they are."""
    monkeypatch.setenv("WORKSHOP_LANG", "ja")
    assert cli.main(["status"]) == cli.FAILED
    err = capsys.readouterr().err
    assert "エラー: us-east-1 に会場 'bedrock-workshop' がありません" in err, err
    assert "python -m utils instructor provision" in err
    assert cli.main(["provision", "--shared", "2"]) == cli.OK
    capsys.readouterr()
    assert cli.main(["env", "p09"]) == cli.USAGE
    err = capsys.readouterr().err
    assert "'p09' は会場 bedrock-workshop の参加者ではありません。参加者: p01, p02。" in err, err
    assert cli.main(["status"]) == cli.OK
    out = capsys.readouterr().out
    assert "参加者 2 人。" in out and "到達: 01 stack: 0" in out, out
    # The participant's sheet is written in the instructor's language and points to the Japanese notebooks.
    assert cli.main(["handout", "--out", str(instructor_dir() / "handout")]) == cli.OK
    assert "参加者 2 人分の配布資料を" in capsys.readouterr().out
    sheet = (instructor_dir() / "handout" / "p01.md").read_text(encoding="utf-8")
    assert "## ターミナルで" in sheet and "notebooks/ja/00_prerequisites.ipynb" in sheet, sheet
    monkeypatch.delenv("WORKSHOP_LANG")
    assert cli.main(["env", "p09"]) == cli.USAGE
    assert "'p09' is not a participant of the room bedrock-workshop" in capsys.readouterr().err


def instructor_dir() -> Path:
    return Path(os.environ["WORKSHOP_INSTRUCTOR_DIR"])


# ---------------------------------------------------------------------------------------------- headless
@pytest.mark.slow
def test_the_japanese_instructor_notebooks_run_headless_from_their_folder(instructor_env, aws, monkeypatch):
    """01 (provision) and 02 (dashboard) from notebooks/ja/instructor/, with no WORKSHOP_LANG: the kernel's folder
    makes the helpers speak Japanese; the code is the English notebooks' own."""
    from nbclient import NotebookClient

    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    monkeypatch.setenv("ROOM_SHARED", "2")
    texts = {}
    for source in i18n.instructor_notebooks()[:2]:
        path = i18n.output_path("ja", source)
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        texts[path.name[:2]] = "\n".join("".join(o.get("text", "")) + str(o.get("data", {}).get("text/html", ""))
                                         for c in nb.cells for o in c.get("outputs", []))
    assert "The room: 2 participant(s)" in texts["01"]
    assert "参加者 2 人。" in texts["02"] and "到達: 01 stack: 0" in texts["02"], texts["02"]
    assert "各ステップに到達した参加者" in texts["02"]
    from utils.instructor import cleanup

    assert cleanup.cleanup("us-east-1", "bedrock-workshop")["verified_empty"]
