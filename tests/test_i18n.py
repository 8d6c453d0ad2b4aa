"""The Japanese notebooks come from the English ones through gettext catalogs (utils/i18n.py, utils/lang.py)."""

from __future__ import annotations

import re
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
    """A copy of the notebooks, catalogs, glossary and documentation pages, which i18n then treats as the
    repository."""
    root = repo_root()
    for part in ("notebooks", "locales", "docs", "utils", ".github"):
        if (root / part).exists():
            shutil.copytree(root / part, tmp_path / part,
                            ignore=shutil.ignore_patterns("__pycache__"))
    for page in [*root.glob("README*.md"), root / "LICENSE"]:  # the documentation pages and what they link to
        shutil.copy(page, tmp_path / page.name)
    monkeypatch.setattr(i18n, "repo_root", lambda: tmp_path)
    return tmp_path


def _translate_everything(root: Path) -> None:
    """Give every entry a stand-in translation that passes the structural checks (a screen label in bold is shown
    as the Japanese runtime shows it, as the label check wants)."""
    labels = i18n.runtime_labels("ja")
    for path in (root / "locales" / "ja" / "LC_MESSAGES").glob("*.po"):
        if path.stem in (i18n.RUNTIME_DOMAIN, lang.ARGPARSE_DOMAIN):
            continue  # utils' and argparse's messages keep their real translations (the labels come from utils')
        po = polib.pofile(str(path))
        for e in po:
            e.msgstr = e.msgid + "\n\n（翻訳）"
            for label in i18n._bold_spans(e.msgid):
                spelled = r"\*\*" + r"\s+".join(map(re.escape, label.split())) + r"\*\*"  # it may wrap a line
                e.msgstr = re.sub(spelled, lambda _m, label=label: f"**{labels.get(label, label)}**", e.msgstr)
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
                assert b.source.endswith("\n\n（翻訳）") and b.source != a.source
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


# ---------------------------------------------------------------- the messages of utils (utils.po)


def test_update_extracts_the_messages_of_utils_with_their_occurrences(repo_copy):
    extra = repo_copy / "utils" / "extra.py"
    extra.write_text('from .lang import N_, _, ngettext\n\nLABEL = N_("a marked label")\n\n\n'
                     'def f(name, n):\n    return _("Hello {name}").format(name=name) + '
                     'ngettext("{n} ENI", "{n} ENIs", n)\n', encoding="utf-8")
    i18n.update("ja")
    po = polib.pofile(str(i18n.runtime_catalog("ja")))
    entries = {e.msgid: e for e in po if not e.obsolete}
    assert entries["Hello {name}"].msgstr == "" and entries["Hello {name}"].occurrences == [("utils/extra.py", "7")]
    assert entries["a marked label"].occurrences == [("utils/extra.py", "3")]
    assert entries["{n} ENI"].msgid_plural == "{n} ENIs"
    # A message of the real code, with where it is used.
    healthy = entries["Healthy: every check passed."]
    assert healthy.msgstr and any(path == "utils/doctor.py" for path, _line in healthy.occurrences)
    problems = i18n.check("ja")
    assert any("'Hello {name}'" in p and "utils/extra.py" not in p and "untranslated" in p for p in problems)
    # A message removed from the code becomes obsolete, and check says so.
    extra.write_text('from .lang import _\n\n\ndef f():\n    return _("Hello")\n', encoding="utf-8")
    i18n.update("ja")
    po = polib.pofile(str(i18n.runtime_catalog("ja")))
    assert {e.msgid for e in po if e.obsolete} == {"a marked label", "Hello {name}", "{n} ENI"}
    assert any("obsolete entry 'Hello {name}'" in p for p in i18n.check("ja"))


def test_check_refuses_an_f_string_inside_underscore(repo_copy):
    bad = repo_copy / "utils" / "bad.py"
    bad.write_text('from .lang import _\n\n\ndef f(name):\n    return _(f"Hello {name}")\n', encoding="utf-8")
    problems = i18n.check("ja")
    assert any(p.startswith("utils/bad.py:5: an f-string inside _() cannot be translated") and
               '_("... {name} ...").format(name=...)' in p for p in problems), problems
    with pytest.raises(SystemExit, match="utils/bad.py:5: an f-string inside _"):
        i18n.update("ja")


def test_a_message_missing_from_the_catalog_fails_check(repo_copy):
    (repo_copy / "utils" / "extra.py").write_text('from .lang import _\n\nX = _("A brand new message")\n',
                                                  encoding="utf-8")
    problems = i18n.check("ja")
    assert any("'A brand new message' (utils/extra.py:3) is not in the catalog" in p for p in problems), problems


def test_every_utils_translation_keeps_its_placeholders_and_uses_the_glossary():
    found = i18n.check_messages("ja")
    assert not found, "\n".join(found)
    po = polib.pofile(str(i18n.runtime_catalog("ja")))
    assert len([e for e in po if not e.obsolete]) > 300


def test_the_words_a_learner_acts_on_are_japanese_under_workshop_lang_ja(monkeypatch):
    from utils import doctor, pathview

    monkeypatch.setenv("WORKSHOP_LANG", "ja")
    report = doctor.Report()
    report.add("endpoint", "endpoint exists", False, "x", lang._("Run notebook 02."))  # names are English data
    # The section too, padded to the widest section in terminal columns (エンドポイント: 14), the fix under it.
    assert ("[FAIL] エンドポイント エンドポイントが存在する: x\n"
            + " " * 22 + "修正: ノートブック 02 を実行してください。") in report.text()
    assert "1 件の問題が見つかりました。" in report.text()
    hops = [{"name": "function", "ok": True, "detail": "ok", "fix": "", "checks": []},
            {"name": "endpoint", "ok": False, "detail": "d", "fix": "f", "checks": [
                {"name": "endpoint SG allows 443 from the function", "ok": False, "status": "fail",
                 "detail": "d", "fix": "f", "source": ""}]}]
    text = pathview.render_text(hops)
    assert "[FAIL] エンドポイント: d" in text and "修正: f" in text and "経路が壊れている箇所: エンドポイント。" in text
    diagram = pathview.mermaid(hops)
    assert "VPC エンドポイント (AWS PrivateLink)<br/>✗ エンドポイントのセキュリティグループ" in diagram
    assert "エンドポイントの SG が関数からの 443 を許可" in pathview.to_html(hops)
    from utils.diagnosis import label

    assert label("model lifecycle of us.amazon.nova-micro-v1:0") == "us.amazon.nova-micro-v1:0 のモデルのライフサイクル"
    monkeypatch.setenv("WORKSHOP_LANG", "en")
    assert "endpoint exists" in lang._("endpoint exists")


DENY_MESSAGE = ("User: arn:aws:sts::123456789012:assumed-role/Bedrock-GenAI-Stack-Role/fn is not authorized to "
                "perform: bedrock:InvokeModel on resource: "
                "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0 "
                "with an explicit deny in a VPC endpoint policy")


def _japanese_explanations():
    from utils import explain

    denied = str(explain.explain({"code": "AccessDeniedException", "message": DENY_MESSAGE}))
    timeout = str(explain.explain({"code": "ConnectTimeout", "message": "Connect timeout on endpoint URL"}))
    return denied, timeout


def test_explain_speaks_japanese_and_quotes_aws_in_english(monkeypatch):
    monkeypatch.setenv("WORKSHOP_LANG", "ja")
    denied, timeout = _japanese_explanations()
    assert denied.startswith("VPC エンドポイントポリシーによる拒否 (明示的な拒否)")
    assert "明示的な拒否はあらゆる Allow に優先します" in denied and "対処方法:" in denied
    assert f"メッセージ: {DENY_MESSAGE}" in denied  # AWS's message, verbatim and in English
    assert timeout.startswith("Amazon Bedrock への呼び出しがタイムアウトしたか、接続できませんでした")
    assert "コード: ConnectTimeout" in timeout


def test_explain_speaks_japanese_in_a_kernel_started_in_notebooks_ja(monkeypatch):
    monkeypatch.delenv("WORKSHOP_LANG", raising=False)
    monkeypatch.chdir(repo_root() / "notebooks" / "ja")
    denied, _timeout = _japanese_explanations()
    assert denied.startswith("VPC エンドポイントポリシーによる拒否") and DENY_MESSAGE in denied
    monkeypatch.chdir(repo_root() / "notebooks")
    denied, _timeout = _japanese_explanations()
    assert denied.startswith("Denied by the VPC endpoint policy (explicit Deny)")


# ---------------------------------------------------------------- links to AWS's Japanese documentation, screen labels


def test_a_link_may_point_to_the_japanese_edition_of_the_same_aws_page_and_nothing_else():
    en = "See [the guide](https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html)."
    ok = "[ガイド](https://docs.aws.amazon.com/ja_jp/vpc/latest/privatelink/vpc-endpoints-access.html) を参照。"
    same = "[ガイド](https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html) を参照。"
    assert i18n.problems_of(en, ok) == [] and i18n.problems_of(en, same) == []
    for bad in ("https://docs.aws.amazon.com/ja_jp/vpc/latest/privatelink/other-page.html",
                "https://docs.aws.amazon.com/ko_kr/vpc/latest/privatelink/vpc-endpoints-access.html",
                "https://aws.amazon.com/jp/vpc/latest/privatelink/vpc-endpoints-access.html",
                "https://docs.aws.amazon.com/ja_jp/"):
        found = i18n.problems_of(en, f"[ガイド]({bad}) を参照してください。")
        assert any("link targets differ" in p for p in found), (bad, found)
    # Another site's link never changes.
    assert i18n.problems_of("[post](https://aws.amazon.com/blogs/x/)", "[記事](https://aws.amazon.com/jp/blogs/x/)")


def test_a_screen_label_is_quoted_as_the_japanese_runtime_shows_it():
    labels = i18n.runtime_labels("ja")
    assert labels["Save"] == "保存" and labels["caller permissions"] == "呼び出し元のアクセス許可"
    en = "Click **Save**; a **caller permissions** FAIL lists the actions."
    assert i18n.problems_of(en, "**保存** を選択します。**呼び出し元のアクセス許可** の FAIL は…", labels=labels) == []
    found = i18n.problems_of(en, "**Save** を選択します。**呼び出し元のアクセス許可** の FAIL は…", labels=labels)
    assert found == ["the label **Save** is quoted as the Japanese runtime shows it: **保存** (utils.po)",
                     "the label **Save** is English; the Japanese runtime shows **保存** (utils.po)"]
    found = i18n.problems_of(en, "「保存」を選択します。**呼び出し元のアクセス許可** の FAIL は…", labels=labels)
    assert found == ["the label **Save** is quoted as the Japanese runtime shows it: **保存** (utils.po)"]
    # A label quoted as code cannot be translated (code spans stay as they are): the English must use bold.
    found = i18n.problems_of("A `VPC quota headroom` FAIL.", "`VPC quota headroom` が FAIL。", labels=labels)
    assert found == ["`VPC quota headroom` is a label the screen shows (a message of utils): quote it in bold, "
                     "**VPC quota headroom**, so that the translation can show **VPC のクォータの余裕**"]
    # A one-word code span (`status`, a message of utils too) is code, not a label.
    assert "status" in labels and i18n.problems_of("Read `status`.", "`status` を読みます。", labels=labels) == []
    # Bold that is not a message of utils is emphasis, not a label.
    assert i18n.problems_of("**Objectives**", "**目的**", labels=labels) == []


def test_the_style_table_applies_to_the_revised_catalogues_and_the_terms_table_to_all():
    terms, style, enforced = i18n._glossary("ja")
    for variant in ("あなた", "否定的対照", "陰性対照", "ドクター", "エクスプレイナー", "手順 4", "運ぶ", "API の面"):
        assert variant in style, variant
    assert {"00_prerequisites", "04_allow_test", "05_deny_test", "utils"} <= enforced
    existing = {p.stem for p in i18n.locale_dir("ja").glob("*.po")}
    assert enforced <= existing, f"the glossary's 適用済み line names no catalogue {sorted(enforced - existing)}"
    assert "あなた" in i18n.glossary_variants("ja", "04_allow_test")
    not_yet = next(iter(existing - enforced), None)
    if not_yet:
        assert "あなた" not in i18n.glossary_variants("ja", not_yet)
        assert "インターフェース" in i18n.glossary_variants("ja", not_yet)  # AWS's terms apply everywhere
    found = i18n.problems_of("You run it.", "あなたが実行します。", i18n.glossary_variants("ja", "04_allow_test"))
    assert any("uses 'あなた'" in p for p in found), found
    # Mermaid labels are read too.
    english = "```mermaid\nflowchart LR\n  you[\"You\"]\n```"
    found = i18n.problems_of(english, "```mermaid\nflowchart LR\n  you[\"あなた\"]\n```",
                             i18n.glossary_variants("ja", "04_allow_test"))
    assert any("uses 'あなた'" in p for p in found), found


# ---------------------------------------------------------------- the documentation pages (README, docs/)


def test_every_section_of_the_english_pages_has_its_japanese_counterpart_and_every_link_resolves():
    """README.md <-> README.ja.md and docs/<page>.md <-> docs/ja/<page>.md: the same `## ` sections in the same
    order (docs/style-ja.md, "ドキュメントのページ"); every relative link and #anchor of every page exists."""
    problems = i18n.check_docs("ja")
    assert not problems, "\n".join(problems)


def test_the_translated_pages_are_the_learners_and_the_instructors():
    pairs = {(en.relative_to(repo_root()).as_posix(), ja.relative_to(repo_root()).as_posix())
             for en, ja in i18n.doc_pairs("ja")}
    assert pairs == {("README.md", "README.ja.md"), ("docs/instructor.md", "docs/ja/instructor.md"),
                     ("docs/learner.md", "docs/ja/learner.md")}


@pytest.mark.parametrize(("heading", "anchor"), [
    ("Amazon Bedrock's endpoints", "amazon-bedrocks-endpoints"),
    ("Re-running `provision`", "re-running-provision"),
    ("Exit codes, and what a mistake prints", "exit-codes-and-what-a-mistake-prints"),
    ("実際の AWS で実行する", "実際の-aws-で実行する"),
    ("日本国内に閉じた推論 (`jp.` 推論プロファイル)", "日本国内に閉じた推論-jp-推論プロファイル"),
    ("終了コードと、間違えたときの表示", "終了コードと間違えたときの表示"),
])
def test_anchors_are_made_as_github_makes_them(heading, anchor):
    assert i18n.anchor(heading) == anchor


def test_a_section_added_to_an_english_page_alone_fails_check(repo_copy):
    assert i18n.check_docs("ja") == []
    learner = repo_copy / "docs" / "learner.md"
    learner.write_text(learner.read_text(encoding="utf-8") + "\n## A new section\n\nText.\n", encoding="utf-8")
    readme = repo_copy / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n## Another section\n\nText.\n", encoding="utf-8")
    problems = i18n.check_docs("ja")
    assert any(p.startswith("docs/ja/learner.md: 8 sections") and "docs/learner.md has 9" in p
               for p in problems), problems
    assert any(p.startswith("README.ja.md: ") and "every section needs its counterpart" in p
               for p in problems), problems
    assert any("docs/ja/learner.md" in p for p in i18n.check("ja"))  # and `python -m utils i18n check` fails


def test_two_sections_swapped_in_a_translation_fail_check(repo_copy):
    page = repo_copy / "docs" / "ja" / "instructor.md"
    text = page.read_text(encoding="utf-8")
    text = text.replace("## `provision` を再実行する", "## @@").replace("## コマンド", "## `provision` を再実行する")
    page.write_text(text.replace("## @@", "## コマンド"), encoding="utf-8")
    problems = i18n.check_docs("ja")
    assert any("is not the counterpart of docs/instructor.md's 'Re-running `provision`'" in p for p in problems), \
        problems


def test_a_translated_page_without_its_english_page_fails_check(repo_copy):
    (repo_copy / "docs" / "ja" / "sandbox-extra.md").write_text("# サンドボックス\n\n## 節\n\n説明です。\n",
                                                              encoding="utf-8")
    problems = i18n.check_docs("ja")
    assert any(p.startswith("docs/ja/sandbox-extra.md: docs/sandbox-extra.md does not exist") for p in problems), \
        problems


def test_a_link_to_a_heading_that_was_renamed_fails_check(repo_copy):
    learner = repo_copy / "docs" / "learner.md"
    learner.write_text(learner.read_text(encoding="utf-8").replace("## Against real AWS", "## On real AWS"),
                       encoding="utf-8")
    problems = i18n.check_docs("ja")
    assert "README.md: link to docs/learner.md#against-real-aws: docs/learner.md has no heading with the anchor " \
           "#against-real-aws" in problems, problems
    assert any(p.startswith("docs/live-check.md: link to learner.md#against-real-aws") for p in problems), problems
    (repo_copy / "LICENSE").unlink()
    assert "README.md: link to LICENSE: no such file" in i18n.check_docs("ja")
