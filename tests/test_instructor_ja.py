"""Instructors in Japanese (issue 18, item 5): the instructor notebooks come from the same catalogues and the same
check as the learner's (notebooks/ja/instructor/ from locales/ja/LC_MESSAGES/instructor_*.po), the instructor CLI
speaks the language in force (WORKSHOP_LANG, the kernel's folder, the saved `lang`) with the same exit codes, and a
Japanese instructor notebook runs headless on the sandbox from its own folder.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import polib
import pytest

from tests.test_ja_coverage import ALLOWED_OUTPUT, PENDING_OUTPUT, _output_lines, english_prose
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


# argparse's own words (usage:, options, its mistakes), from locales/ja/LC_MESSAGES/argparse.po. Each case is a command
# line and the Japanese it must show; together they show every msgid of lang.ARGPARSE_MESSAGES.
ARGPARSE_CASES = [
    (["--help"], ["使い方: python -m utils instructor", "位置引数:", "オプション:", "このヘルプを表示して終了します"]),
    (["provision", "--help"], ["使い方: python -m utils instructor provision", "オプション:"]),
    (["fast-forward", "p01"], ["次の引数が必要です: --to"]),
    (["bogus"], ["引数 command: 'bogus' は選択肢にありません ('provision', 'status', 'env', 'handout', 'refresh', "
                 "'fast-forward', 'cleanup', 'rehearse' から選択してください)"]),
    (["provision"], ["引数 --ou --accounts --shared のいずれか 1 つが必要です"]),
    (["status", "--bogus"], ["認識できない引数です: --bogus"]),
    (["provision", "--shared", "2", "--ou", "ou-ab12-cd34ef56"], ["引数 --ou: 引数 --shared と同時には指定できません"]),
    (["provision", "--shared", "2", "--yes=1"], ["引数 --yes: 値を取らないオプションに値 '1' が指定されました"]),
    (["provision", "--shared", "2", "--p", "x"],
     ["オプション --p があいまいです (--prefix-base, --predeploy のどれとも一致します)"]),
    (["fast-forward", "p01", "--to"], ["引数 --to: 値を 1 つ指定してください"]),
]
# The command's own names, which stay as typed: the program, the commands, options and metavars in the usage.
COMMAND = re.compile(r"python -m utils instructor(?: [a-z-]+)?|\{[a-z,-]+\}|--?[a-z][a-z-]*|\[[^\]]*\]")


@pytest.mark.parametrize(("argv", "japanese"), ARGPARSE_CASES, ids=[" ".join(c[0]) for c in ARGPARSE_CASES])
def test_argparses_own_words_in_japanese_through_the_cli(argv, japanese):
    """`python -m utils instructor` with WORKSHOP_LANG=ja: help and argparse's mistakes in Japanese, nothing of them in
    English; with en, argparse's English unchanged; the same exit code (0 for help, 2 for a mistake) in both."""
    en, ja = instructor(*argv, language="en"), instructor(*argv, language="ja")
    assert en.returncode == ja.returncode == (cli.OK if "--help" in argv else cli.USAGE), (en.stderr, ja.stderr)
    shown_ja, shown_en = ja.stdout + ja.stderr, en.stdout + en.stderr
    for text in japanese:
        assert text in shown_ja, shown_ja
    for line in shown_ja.splitlines():
        assert english_prose(COMMAND.sub(" ", line)) is None, line
    english = [m.replace("%(prog)s", "").split("%")[0].strip() for m in lang.ARGPARSE_MESSAGES]
    assert not [w for w in english if w and w in shown_ja], shown_ja
    assert not JAPANESE.search(shown_en), shown_en
    if "--help" in argv:
        assert shown_en.startswith("usage: python -m utils instructor") and "options:" in shown_en
        assert "show this help message and exit" in shown_en
    else:
        assert shown_en.startswith("error: python -m utils instructor") and "Traceback" not in shown_en


def test_the_argparse_catalogue_holds_exactly_what_the_cli_shows():
    """Every msgid of lang.ARGPARSE_MESSAGES is one argparse (this Python's) writes, each is shown by a case above,
    and the catalogue is current (i18n check: no extra msgid, every one translated, .mo built)."""
    import argparse
    import inspect

    source = inspect.getsource(argparse)
    assert [m for m in lang.ARGPARSE_MESSAGES if repr(m) not in source and f'"{m}"' not in source] == []
    po = polib.pofile(str(ROOT / "locales" / "ja" / "LC_MESSAGES" / "argparse.po"))
    shown = {text for _argv, texts in ARGPARSE_CASES for text in texts}
    unshown = [e.msgid for e in po if not any(_pattern(e.msgstr).search(t) for t in shown)]
    assert unshown == [], f"argparse.po entries no case shows: {unshown}"
    assert i18n.check_argparse("ja") == []


def _pattern(msgstr: str) -> re.Pattern:
    """A translation's fixed words, its %-placeholders matching anything."""
    parts = re.split(r"%(?:\(\w+\))?[sdr]", msgstr.strip())
    return re.compile(".*".join(re.escape(p) for p in parts))


def test_argparses_language_is_ours_not_the_os_locale(tmp_path):
    """The language comes from utils.lang: the `lang` saved in workshop_config.json makes `--help` Japanese with no
    WORKSHOP_LANG; WORKSHOP_LANG=en over a Japanese OS locale (LANG, LANGUAGE) keeps argparse English."""
    config = tmp_path / "workshop_config.json"
    config.write_text('{"lang": "ja"}', encoding="utf-8")
    base = {k: v for k, v in os.environ.items() if k not in ("WORKSHOP_LANG", "LANGUAGE", "LC_ALL", "LANG")}
    run = subprocess.run([sys.executable, "-m", "utils", "instructor", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**base, "WORKSHOP_CONFIG": str(config)})
    assert run.returncode == cli.OK and run.stdout.startswith("使い方: "), run.stdout
    run = subprocess.run([sys.executable, "-m", "utils", "instructor", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120,
                         env={**base, "WORKSHOP_LANG": "en", "LANGUAGE": "ja", "LANG": "ja_JP.UTF-8"})
    assert run.returncode == cli.OK and run.stdout.startswith("usage: ") and not JAPANESE.search(run.stdout)


def test_argparse_speaking_leaves_argparse_as_it_was(monkeypatch, capsys):
    """The translation is installed for the parser's lifetime only: after a Japanese `--help` in this process,
    argparse (and gettext) are what they were, and a parser built elsewhere speaks English."""
    import argparse
    import gettext

    before = argparse._, argparse.ngettext, gettext.gettext
    monkeypatch.setenv("WORKSHOP_LANG", "ja")
    assert cli.main(["--help"]) == cli.OK
    assert "使い方: " in capsys.readouterr().out
    assert (argparse._, argparse.ngettext, gettext.gettext) == before
    assert argparse.ArgumentParser(prog="x").format_help().startswith("usage: x")


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
    assert "参加者 2 人。" in out and "到達: 01 スタック: 0" in out, out
    # The participant's sheet is written in the instructor's language and points to the Japanese notebooks.
    assert cli.main(["handout", "--out", str(instructor_dir() / "handout")]) == cli.OK
    assert "参加者 2 人分の配布資料を" in capsys.readouterr().out
    sheet = (instructor_dir() / "handout" / "p01.md").read_text(encoding="utf-8")
    assert "## ターミナルで" in sheet and "notebooks/ja/00_prerequisites.ipynb" in sheet, sheet
    monkeypatch.delenv("WORKSHOP_LANG")
    assert cli.main(["env", "p09"]) == cli.USAGE
    assert "'p09' is not a participant of the room bedrock-workshop" in capsys.readouterr().err
    # The cleanup report in Japanese: its markers too; the exit code (0: verified empty) as in English.
    monkeypatch.setenv("WORKSHOP_LANG", "ja")
    assert cli.main(["cleanup"]) == cli.OK
    out = capsys.readouterr().out
    assert "削除 (instructor): " in out and "検証済み: 参加者 2 人のいずれにも" in out, out
    assert "Verified" not in out and "removed in" not in out


def instructor_dir() -> Path:
    return Path(os.environ["WORKSHOP_INSTRUCTOR_DIR"])


# ---------------------------------------------------------------------------------------------- the source
# tests/test_ja_coverage.py checks the source of utils/ but leaves utils/instructor/ to this file: the same checks,
# its own helpers run over utils/instructor/*.py, with this list of exceptions (path, start of the text) -> reason.
INSTRUCTOR_ALLOWED_SOURCE: dict[tuple[str, str], str] = {
    ("utils/instructor/aws.py", "f\"WORKSHOP_REQUIRE_SANDBOX=1"): "only the test suite sets WORKSHOP_REQUIRE_SANDBOX",
}
ECHOES = {"echo", "done"}  # the instructor's progress lines: echo(...) (print by default) and a cleanup phase's done()


@pytest.fixture
def instructor_source(monkeypatch):
    """test_ja_coverage's source checks, pointed at utils/instructor/*.py and INSTRUCTOR_ALLOWED_SOURCE."""
    from tests import test_ja_coverage

    monkeypatch.setattr(test_ja_coverage, "_source_files",
                        lambda: sorted((ROOT / "utils" / "instructor").glob("*.py")))
    monkeypatch.setattr(test_ja_coverage, "ALLOWED_SOURCE", INSTRUCTOR_ALLOWED_SOURCE)
    return test_ja_coverage


def test_instructor_prints_and_raises_go_through_gettext(instructor_source):
    assert len(instructor_source._source_files()) > 10
    instructor_source.test_utils_messages_go_through_gettext()
    instructor_source.test_allowed_source_entries_are_all_needed()


def test_instructor_progress_lines_go_through_gettext(instructor_source):
    """echo(...) and a phase's done(...): what provision, cleanup, handout and fast-forward print as they go."""
    found = []
    for path in instructor_source._source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and instructor_source._call_name(node.func) in ECHOES and node.args
                    and instructor_source._is_text(node.args[0])):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node.args[0])[:100]}")
    assert not found, "progress lines not through `_()`:\n" + "\n".join(found)


def test_every_instructor_gettext_literal_has_a_japanese_msgstr(instructor_source):
    instructor_source.test_every_gettext_literal_has_a_japanese_msgstr()


# ---------------------------------------------------------------------------------------------- headless
# English that stays English in a Japanese instructor run, beyond test_ja_coverage.ALLOWED_OUTPUT (AWS's texts and
# data), each with its reason.
INSTRUCTOR_ALLOWED: list[tuple[str, str]] = [
    (r"^VPCs per Region: \d", "Service Quotas' QuotaName of L-F678F1CE and its value, as AWS returns them"),
    (r"^Plan\(mode=", "print(plan): the dataclass's repr, the plan's fields as the code names them (data)"),
    (r"^OperationPreferences: ", "the StackSets OperationPreferences sent to AWS, as JSON"),
    (r"^(?:unset AWS_PROFILE|export AWS_|export WORKSHOP_)", "shell lines to paste: variable names and values"),
    (r"^HBox\(children=", "the text form of the dashboard's buttons (the page shows the widgets themselves)"),
]


def _shown_lines(nb):
    """(cell ID, line) of every output: test_ja_coverage's text outputs, and the text of HTML tables (the dashboard's
    table and chart are pandas Stylers, HTML only)."""
    import html

    yield from _output_lines(nb)
    for cell in nb["cells"]:
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            page = (out.get("data") or {}).get("text/html", "")
            page = re.sub(r"(?s)<style.*?</style>", "", "".join(page))
            for line in html.unescape(re.sub(r"<[^>]+>", "\n", page)).splitlines():
                if line.strip():
                    yield cell.get("id"), line.strip()


@pytest.mark.slow
def test_the_japanese_instructor_notebooks_run_headless_in_japanese(instructor_env, aws, monkeypatch):
    """01, 02 and 03 from notebooks/ja/instructor/, with no WORKSHOP_LANG (the kernel's folder makes the helpers
    speak Japanese; the code is the English notebooks' own), on a shared room of 2 with a late joiner fast-forwarded:
    no English prose in any output (test_ja_coverage.english_prose), apart from AWS's own texts and data
    (test_ja_coverage.ALLOWED_OUTPUT, INSTRUCTOR_ALLOWED above)."""
    from nbclient import NotebookClient

    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    monkeypatch.setenv("ROOM_SHARED", "2")
    monkeypatch.setenv("ROOM_LATE_JOINER", "p01")
    monkeypatch.setenv("ROOM_FAST_FORWARD_TO", "00")
    executed, texts = {}, {}
    for source in i18n.instructor_notebooks():
        path = i18n.output_path("ja", source)
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        executed[path.name[:2]] = nb
        texts[path.name[:2]] = "\n".join(line for _cell, line in _shown_lines(nb))
    allowed = ALLOWED_OUTPUT + PENDING_OUTPUT + INSTRUCTOR_ALLOWED
    english = [f"{name} [{cell}]: {line[:160]}" for name, nb in executed.items() for cell, line in _shown_lines(nb)
               if english_prose(line) and not any(re.search(p, line) for p, _why in allowed)]
    assert not english, "English sentences in a Japanese instructor run (put them behind `_()`):\n" + "\n".join(english)
    assert "収容できる参加者は 2 人" in texts["01"] and "会場全体: 参加者 2 人" in texts["01"], texts["01"]
    assert "参加者 2 人の状態を" in texts["02"] and "到達: 01 スタック: 0" in texts["02"], texts["02"]
    assert "各ステップに到達した参加者" in texts["02"] and "最後の進捗から" in texts["02"]
    assert "早送り (fast-forward) の終了コード: 0" in texts["02"], texts["02"]
    # A Japanese room fast-forwards its participants through notebooks/ja/: notebook 00 saved their language.
    saved = list(Path(os.environ["WORKSHOP_INSTRUCTOR_DIR"]).rglob("p01/workshop_config.json"))
    assert saved and '"lang": "ja"' in saved[0].read_text(encoding="utf-8"), saved
    assert "検証済み: 参加者 2 人のいずれにも" in texts["03"], texts["03"]
    assert "会場には何も残っていません。" in texts["03"], texts["03"]
    assert aws("cloudformation").describe_stacks()["Stacks"] == []
