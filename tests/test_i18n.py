"""The Japanese notebooks come from the English ones through gettext catalogs (utils/i18n.py, utils/lang.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import polib
import pytest

from utils import i18n, lang
from utils.config import repo_root


def _po(*entries: polib.POEntry) -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    for e in entries:
        po.append(e)
    return po


def test_merge_adds_new_cells_untranslated():
    po = _po()
    summary = i18n.merge(po, [("c1", "# Title"), ("c2", "Text")])
    assert summary.added == ["c1", "c2"]
    assert [(e.msgctxt, e.msgid, e.msgstr) for e in po] == [("c1", "# Title", ""), ("c2", "Text", "")]


def test_a_changed_cell_becomes_fuzzy_and_keeps_the_previous_english(tmp_path):
    po = _po(polib.POEntry(msgctxt="c1", msgid="Old text", msgstr="古いテキスト"))
    summary = i18n.merge(po, [("c1", "New text")])
    assert summary.changed == ["c1"]
    entry = po[0]
    assert "fuzzy" in entry.flags and entry.previous_msgid == "Old text" and entry.msgstr == "古いテキスト"
    # The previous English survives a save and a load as `#| msgid`, multi-line whole-cell text included.
    po[0].previous_msgid = "Old\ntext over\ntwo lines"
    po.save(str(tmp_path / "x.po"))
    assert '#| msgid ""' in (tmp_path / "x.po").read_text()
    again = polib.pofile(str(tmp_path / "x.po"))
    assert again[0].previous_msgid == "Old\ntext over\ntwo lines" and "fuzzy" in again[0].flags


def test_a_deleted_cell_becomes_obsolete_and_a_restored_one_comes_back():
    po = _po(polib.POEntry(msgctxt="c1", msgid="A", msgstr="エー"),
             polib.POEntry(msgctxt="c2", msgid="B", msgstr="ビー"))
    assert i18n.merge(po, [("c1", "A")]).obsoleted == ["c2"]
    assert [e.msgctxt for e in po if e.obsolete] == ["c2"]
    i18n.merge(po, [("c1", "A"), ("c2", "B")])
    assert not any(e.obsolete for e in po)


@pytest.mark.parametrize("english, japanese, problem", [
    ("Create the endpoint.", "Create the endpoint.", "no Japanese text"),
    ("Call `create_vpc_endpoint`.", "`create_vpc_endpoints` を呼び出します。", "inline code spans differ"),
    ("See [the guide](https://docs.aws.amazon.com/a).", "[ガイド](https://docs.aws.amazon.com/b) を参照。",
     "link targets differ"),
    ("## Step\n### Check", "## 手順\n#### 確認", "heading sequence differs"),
    ("```mermaid\nflowchart LR\n  fn[\"Function\"] --> vpce[\"Endpoint\"]\n```",
     "```mermaid\nflowchart LR\n  関数[\"関数\"] --> vpce[\"エンドポイント\"]\n```", "Mermaid node IDs differ"),
    ("```mermaid\nflowchart LR\n  a --> b\n  class a current\n```",
     "```mermaid\nflowchart LR\n  a --> b\n  class b current\n```", "`class` lines differ"),
    ("An interface endpoint.", "インターフェースエンドポイントです。", "インターフェイス"),
    ("In two Availability Zones.", "2 つの利用可能ゾーンに。", "アベイラビリティーゾーン"),
    ("The foundation model.", "基礎モデル。", "基盤モデル"),
    ("The principal.", "主体。", "プリンシパル"),
])
def test_check_refuses_a_broken_translation(english, japanese, problem):
    found = i18n.problems_of(english, japanese, i18n.glossary_variants("ja"))
    assert any(problem in p for p in found), found


def test_a_faithful_translation_passes_and_labels_inside_mermaid_may_change():
    english = ("## Where this step sits\n\n```mermaid\nflowchart LR\n  fn[\"Lambda function\"] -- \"HTTPS 443\" --> "
               "vpce[\"Interface endpoint\"]\n  class vpce current\n```\n\nRun `python -m utils doctor`; see "
               "[the guide](https://docs.aws.amazon.com/bedrock/latest/userguide/vpc-interface-endpoints.html).")
    japanese = ("## このステップの位置\n\n```mermaid\nflowchart LR\n  fn[\"Lambda 関数\"] -- \"HTTPS 443\" --> "
                "vpce[\"インターフェイスエンドポイント\"]\n  class vpce current\n```\n\n"
                "`python -m utils doctor` を実行します。"
                "[ガイド](https://docs.aws.amazon.com/bedrock/latest/userguide/vpc-interface-endpoints.html)"
                " を参照してください。")
    assert i18n.problems_of(english, japanese, i18n.glossary_variants("ja")) == []


def test_quoting_a_variant_that_the_english_itself_uses_is_allowed():
    assert i18n.problems_of('The article says "PublicLink".', '記事の "PublicLink" は誤りです。',
                            i18n.glossary_variants("ja")) == []


def test_the_glossary_lists_the_seed_variants_to_avoid():
    variants = i18n.glossary_variants("ja")
    for seed_variant in ("インターフェース", "利用可能ゾーン", "基礎モデル", "主体", "ジェネラティブAI"):
        assert seed_variant in variants


@pytest.fixture
def repo_copy(tmp_path, monkeypatch):
    """A copy of the notebooks, catalogs and glossary, which i18n then treats as the repository."""
    root = repo_root()
    for part in ("notebooks", "locales", "docs"):
        if (root / part).exists():
            shutil.copytree(root / part, tmp_path / part, ignore=shutil.ignore_patterns("instructor", "*.png"))
    monkeypatch.setattr(i18n, "repo_root", lambda: tmp_path)
    return tmp_path


def _translate_everything(root: Path) -> None:
    """Give every entry a stand-in translation that passes the structural checks."""
    for path in (root / "locales" / "ja" / "LC_MESSAGES").glob("*.po"):
        po = polib.pofile(str(path))
        for e in po:
            e.msgstr = e.msgid + "\n\n（翻訳）"
            if "fuzzy" in e.flags:
                e.flags.remove("fuzzy")
            e.previous_msgid = None
        po.save(str(path))


def test_build_keeps_code_ids_order_and_metadata_and_drops_outputs(repo_copy):
    i18n.update("ja")
    _translate_everything(repo_copy)
    i18n.build("ja")
    for source in i18n.notebooks():
        en = nbformat.read(source, as_version=4)
        ja = nbformat.read(i18n.output_path("ja", source), as_version=4)
        assert ja.metadata == en.metadata
        assert [c["id"] for c in ja.cells] == [c["id"] for c in en.cells]
        assert [c.cell_type for c in ja.cells] == [c.cell_type for c in en.cells]
        for a, b in zip(en.cells, ja.cells, strict=True):
            if a.cell_type == "code":
                assert b.source == a.source and b.outputs == [] and b.execution_count is None
            elif a.source.strip():
                assert b.source == a.source + "\n\n（翻訳）"
    assert i18n.check("ja") == []


def test_check_fails_when_one_english_markdown_cell_changes(repo_copy):
    i18n.update("ja")
    _translate_everything(repo_copy)
    i18n.build("ja")
    assert i18n.check("ja") == []
    source = i18n.notebooks()[2]
    nb = nbformat.read(source, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and c.source.strip())
    cell.source += "\n\nOne more English sentence."
    nbformat.write(nb, source)
    problems = i18n.check("ja")
    assert any(cell["id"] in p and "not in the catalog as it is now" in p for p in problems), problems
    i18n.update("ja")
    problems = i18n.check("ja")
    assert any(cell["id"] in p and "fuzzy" in p for p in problems), problems


def test_check_fails_when_a_generated_notebook_is_edited_by_hand(repo_copy):
    i18n.update("ja")
    _translate_everything(repo_copy)
    i18n.build("ja")
    out = i18n.output_path("ja", i18n.notebooks()[0])
    out.write_text(out.read_text(encoding="utf-8").replace("（翻訳）", "（手で直した）", 1), encoding="utf-8")
    assert any("differs from a fresh build" in p for p in i18n.check("ja"))


def test_language_comes_from_the_environment_or_the_kernel_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_LANG", "ja_JP.UTF-8")
    assert lang.current() == "ja"
    monkeypatch.setenv("WORKSHOP_LANG", "fr")
    assert lang.current() == "en"
    monkeypatch.delenv("WORKSHOP_LANG")
    folder = tmp_path / "notebooks" / "ja"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    assert lang.current() == "ja"
    monkeypatch.chdir(tmp_path)
    assert lang.current() == "en"


def test_untranslated_messages_stay_english(monkeypatch):
    monkeypatch.setenv("WORKSHOP_LANG", "ja")
    assert lang._("A message nobody translated {name}") == "A message nobody translated {name}"


def test_run_refuses_an_unknown_language():
    from utils import runner

    with pytest.raises(SystemExit, match="no notebooks in language 'fr'"):
        runner.discover(None, "fr")


def test_the_japanese_translation_is_complete_and_current():
    """Any English Markdown cell changed without its translation fails the suite (and the pre-commit hook).

    Fix: `python -m utils i18n update`, translate the new or fuzzy entries in locales/ja/LC_MESSAGES/, then
    `python -m utils i18n build`.
    """
    problems = i18n.check("ja")
    assert not problems, "\n".join(problems)
