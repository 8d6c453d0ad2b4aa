"""The notebooks in other languages, from one English source: gettext catalogs kept with polib.

    python -m utils i18n update [--lang ja]   English notebooks -> locales/<lang>/LC_MESSAGES/<catalogue>.po
    python -m utils i18n build  [--lang ja]   catalogs -> notebooks/<lang>/[instructor/]<notebook>.ipynb (and .mo)
    python -m utils i18n check  [--lang ja]   fails on anything stale, missing or broken (exit 1)

The English notebooks in notebooks/ (the learner's NN_*.ipynb) and notebooks/instructor/ (the instructor's) are
the only source. A learner's notebook has the catalogue <notebook>.po and is built to notebooks/<lang>/; an
instructor's has instructor_<notebook>.po and is built to notebooks/<lang>/instructor/ (the translated tree mirrors
the English one, so a kernel started in either translated folder speaks <lang>: utils.lang). Each Markdown cell
is one catalog entry, whole (so tables, lists and Mermaid diagrams stay intact and their labels are translated
too), with `msgctxt` set to the cell's ID. Code cells are never translated: the generated notebooks carry them
byte for byte, so both languages run the same code.

- update: a new cell becomes an untranslated entry; a changed cell becomes `fuzzy` and keeps the previous English
  as `#| msgid` (polib writes it); a deleted cell becomes obsolete (`#~`).
- build: writes notebooks/<lang>/NN_*.ipynb with the English file's name, cell IDs, cell order and metadata, and
  no outputs; compiles every catalog of locales/<lang>/LC_MESSAGES/ to its .mo file for the standard library's
  gettext (utils.lang). An untranslated or fuzzy cell keeps its English text (check fails on it).
- update also extracts the messages of `utils` (every `_("...")`, `N_("...")` and `ngettext("...", "...", n)` in
  utils/*.py and utils/instructor/*.py, the instructor CLI, found with `ast`) into
  locales/<lang>/LC_MESSAGES/utils.po, with the same rules: a new message is untranslated, a message no longer
  in the code becomes obsolete, and `#:` names where each is used ("utils/doctor.py:123"). A message is a plain
  string literal: `_("... {name} ...").format(name=...)`, never an f-string inside `_()` (check refuses one: its
  text would differ at every call, so no translation matches).
- argparse.po: argparse's own words that `python -m utils instructor` can show (usage:, options, its mistakes; the
  msgids of utils.lang.ARGPARSE_MESSAGES, as Python's argparse writes them). update adds and obsoletes, build
  compiles argparse.mo, check refuses a msgid that is not on that list, an untranslated one, changed %-placeholders
  or a stale .mo; utils.lang.argparse_speaking() installs it for the CLI's parser only.
- check: every entry translated, none fuzzy or obsolete; every translation has Japanese text; inline code spans,
  link targets, the heading sequence, Mermaid node IDs and `class ... current` lines are unchanged; no term from
  the glossary's list of variants to avoid (docs/glossary-ja.md: its terms table everywhere, its style table in
  the catalogues that have had their style pass, docs/style-ja.md), in prose and Mermaid labels alike;
  generated files equal a fresh build.
  One change of link target is allowed: an AWS documentation page may point to its Japanese edition,
  https://docs.aws.amazon.com/<path> -> https://docs.aws.amazon.com/ja_jp/<path> (nothing else).
- labels: a word the screen shows (a button, a field, a check's name) is quoted in **bold**, exactly as the
  runtime shows it. In an English cell, a bold span that is a message of utils (a msgid of utils.po) is such a
  label; its translation must quote the label as the Japanese runtime shows it (**its msgstr**), never the
  English. A label quoted as `code` in the English is refused (code spans stay unchanged in the translation, so
  the Japanese could not show the Japanese label). See docs/style-ja.md.

- docs: check also reads the documentation pages. README.md and each docs/<page>.md that has a translation
  (README.<lang>.md, docs/<lang>/<page>.md) must have the same `## ` sections in the same order, each pair quoting
  the same inline code; every relative link and #anchor of README*.md and docs/**/*.md must exist
  (docs/style-ja.md, "ドキュメントのページ").

No maintained package translates .ipynb to and from gettext, so this module is the small hand-written part:
extract, merge and build on top of nbformat and polib.
"""

from __future__ import annotations

import ast
import copy
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .config import repo_root

LANGUAGES = ("ja",)
DEFAULT_LANG = "ja"
RUNTIME_DOMAIN = "utils"  # the catalog of messages printed by utils (doctor, explain, widgets, waits)


def source_dir() -> Path:
    return repo_root() / "notebooks"


INSTRUCTOR = "instructor"  # the instructor's notebooks: notebooks/instructor/, catalogues instructor_NN_*.po


def notebooks() -> list[Path]:
    """The English learner notebooks, in order."""
    return sorted(source_dir().glob("[0-9][0-9]_*.ipynb"))


def instructor_notebooks() -> list[Path]:
    """The English instructor notebooks (notebooks/instructor/), in order."""
    return sorted((source_dir() / INSTRUCTOR).glob("[0-9][0-9]_*.ipynb"))


def all_notebooks() -> list[Path]:
    """Every English notebook that has a translation: the learner's, then the instructor's."""
    return notebooks() + instructor_notebooks()


def catalogue_name(notebook: Path) -> str:
    """01_stack for a learner's notebook, instructor_01_provision for notebooks/instructor/01_provision.ipynb."""
    folder = notebook.parent.relative_to(source_dir()).parts
    return "_".join((*folder, notebook.stem))


def locale_dir(lang: str) -> Path:
    return repo_root() / "locales" / lang / "LC_MESSAGES"


def catalog_path(lang: str, notebook: Path) -> Path:
    return locale_dir(lang) / f"{catalogue_name(notebook)}.po"


def runtime_catalog(lang: str) -> Path:
    return locale_dir(lang) / f"{RUNTIME_DOMAIN}.po"


def output_path(lang: str, notebook: Path) -> Path:
    """notebooks/<lang>/ mirrors notebooks/: notebooks/instructor/01_provision.ipynb -> notebooks/ja/instructor/..."""
    return source_dir() / lang / notebook.relative_to(source_dir())


def _read(path: Path):
    from .runner import _skip_slow_optional_imports

    _skip_slow_optional_imports()  # nbformat's jsonschema would otherwise build an IRI grammar for seconds
    import nbformat

    return nbformat.read(path, as_version=4)


def _markdown_cells(nb) -> list[tuple[str, str]]:
    """(cell ID, source) of every non-empty Markdown cell."""
    return [(cell["id"], cell["source"]) for cell in nb.cells
            if cell.cell_type == "markdown" and cell["source"].strip()]


def _empty_catalog(lang: str, **extra: str):
    import polib

    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": "bedrock-privatelink-workshop",
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        **extra,
    }
    return po


def _new_catalog(lang: str, notebook: Path):
    return _empty_catalog(lang, **{"X-Source-Notebook": f"notebooks/{notebook.relative_to(source_dir()).as_posix()}"})


def _load_catalog(path: Path):
    import polib

    return polib.pofile(str(path), wrapwidth=0)


# ------------------------------------------------------------------------------------------------ update


@dataclass
class UpdateSummary:
    catalog: Path
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    obsoleted: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [f"{len(self.added)} new", f"{len(self.changed)} changed (now fuzzy)",
                 f"{len(self.obsoleted)} obsolete"]
        return f"{self.catalog.relative_to(repo_root())}: " + ", ".join(parts)


def merge(po, cells: list[tuple[str, str]]) -> UpdateSummary:
    """Merge the English cells into catalog `po` in place (see the module docstring for the rules)."""
    import polib

    summary = UpdateSummary(Path(po.fpath) if po.fpath else Path("."))
    by_context = {e.msgctxt: e for e in po}
    wanted = set()
    for cell_id, source in cells:
        wanted.add(cell_id)
        entry = by_context.get(cell_id)
        if entry is None:
            po.append(polib.POEntry(msgctxt=cell_id, msgid=source, msgstr=""))
            summary.added.append(cell_id)
            continue
        if entry.obsolete:
            entry.obsolete = False
        if entry.msgid != source:
            if entry.msgstr and "fuzzy" not in entry.flags:
                entry.previous_msgid = entry.msgid
                entry.flags.append("fuzzy")
            elif entry.msgstr and entry.previous_msgid is None:
                entry.previous_msgid = entry.msgid
            entry.msgid = source
            summary.changed.append(cell_id)
    for entry in po:
        if entry.msgctxt not in wanted and not entry.obsolete:
            entry.obsolete = True
            summary.obsoleted.append(entry.msgctxt)
    # Catalog order follows the notebook's cell order; obsolete entries go last, as gettext tools keep them.
    order = {cell_id: i for i, (cell_id, _) in enumerate(cells)}
    po.sort(key=lambda e: (e.obsolete, order.get(e.msgctxt, len(order))))
    return summary


def update(lang: str = DEFAULT_LANG) -> list[UpdateSummary]:
    locale_dir(lang).mkdir(parents=True, exist_ok=True)
    summaries = []
    for notebook in all_notebooks():
        path = catalog_path(lang, notebook)
        po = _load_catalog(path) if path.exists() else _new_catalog(lang, notebook)
        po.fpath = str(path)
        summary = merge(po, _markdown_cells(_read(notebook)))
        summary.catalog = path
        if summary.added or summary.changed or summary.obsoleted or not path.exists():
            po.save(str(path))  # an unchanged catalog keeps its bytes (and its translator's line breaks)
        summaries.append(summary)
    summaries.append(update_messages(lang))
    summaries.append(update_argparse(lang))
    return summaries


# ------------------------------------------------------------------------------------------------ utils' messages

MESSAGE_FUNCTIONS = ("_", "N_")  # _(message) translates; N_(message) only marks a constant, translated where shown
PLURAL_FUNCTIONS = ("ngettext",)


@dataclass
class Message:
    msgid: str
    plural: str | None = None
    occurrences: list[tuple[str, str]] = field(default_factory=list)


MESSAGE_PACKAGES = ("utils", "utils/instructor")  # the helpers' modules whose messages a user reads


def message_sources() -> list[Path]:
    return [path for package in MESSAGE_PACKAGES for path in sorted((repo_root() / package).glob("*.py"))]


def _called(node) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "lang":
        return func.attr  # lang._("...")
    return ""


def scan_messages(paths: list[Path] | None = None) -> tuple[list[Message], list[str]]:
    """(the messages of `utils`, in order of first use; problems: an f-string or other non-literal text in `_()`)."""
    found: dict[tuple[str, str | None], Message] = {}
    problems = []
    for path in paths if paths is not None else message_sources():
        try:
            rel = path.relative_to(repo_root()).as_posix()
        except ValueError:
            rel = path.as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = _called(node)
            if name not in MESSAGE_FUNCTIONS + PLURAL_FUNCTIONS:
                continue
            texts = node.args[:2] if name in PLURAL_FUNCTIONS else node.args[:1]
            if any(isinstance(t, ast.JoinedStr) for t in texts):
                problems.append(f"{rel}:{node.lineno}: an f-string inside {name}() cannot be translated (its text "
                                f"differs at every call): write {name}(\"... {{name}} ...\").format(name=...)")
                continue
            if not all(isinstance(t, ast.Constant) and isinstance(t.value, str) for t in texts):
                continue  # _(variable): a message marked with N_() where it is defined
            msgid = texts[0].value
            plural = texts[1].value if name in PLURAL_FUNCTIONS and len(texts) > 1 else None
            message = found.setdefault((msgid, plural), Message(msgid, plural))
            message.occurrences.append((rel, str(node.lineno)))
    for message in found.values():
        message.occurrences.sort(key=lambda o: (o[0], int(o[1])))
    ordered = sorted(found.values(), key=lambda m: (m.occurrences[0][0], int(m.occurrences[0][1])))
    return ordered, problems


def _new_runtime_catalog(lang: str):
    plural = "nplurals=1; plural=0;" if lang == "ja" else "nplurals=2; plural=(n != 1);"
    return _empty_catalog(lang, **{"Plural-Forms": plural, "X-Source": "utils/*.py utils/instructor/*.py"})


def merge_messages(po, messages: list[Message]) -> UpdateSummary:
    """Merge the messages of `utils` into catalog `po` in place: new ones untranslated, gone ones obsolete."""
    import polib

    summary = UpdateSummary(Path(po.fpath) if po.fpath else Path("."))
    by_id = {(e.msgid, e.msgid_plural or None): e for e in po}
    wanted = set()
    for m in messages:
        key = (m.msgid, m.plural)
        wanted.add(key)
        entry = by_id.get(key)
        if entry is None:
            entry = polib.POEntry(msgid=m.msgid, msgstr="")
            if m.plural is not None:
                entry.msgid_plural = m.plural
                entry.msgstr_plural = {0: ""}
                entry.msgstr = ""
            if "{" in m.msgid:
                entry.flags.append("python-brace-format")
            po.append(entry)
            summary.added.append(m.msgid)
        elif entry.obsolete:
            entry.obsolete = False
        entry.occurrences = list(m.occurrences)
    for entry in po:
        if (entry.msgid, entry.msgid_plural or None) not in wanted and not entry.obsolete:
            entry.obsolete = True
            entry.occurrences = []
            summary.obsoleted.append(entry.msgid)
    order = {(m.msgid, m.plural): i for i, m in enumerate(messages)}
    po.sort(key=lambda e: (e.obsolete, order.get((e.msgid, e.msgid_plural or None), len(order))))
    return summary


def update_messages(lang: str = DEFAULT_LANG) -> UpdateSummary:
    messages, problems = scan_messages()
    if problems:
        raise SystemExit("\n".join(problems))
    path = runtime_catalog(lang)
    po = _load_catalog(path) if path.exists() else _new_runtime_catalog(lang)
    po.fpath = str(path)
    summary = merge_messages(po, messages)
    summary.catalog = path
    po.save(str(path))
    return summary


def _translated(e) -> bool:
    if e.msgid_plural:
        return bool(e.msgstr_plural) and all(e.msgstr_plural.values())
    return bool(e.msgstr)


def _texts(e) -> list[str]:
    return list(e.msgstr_plural.values()) if e.msgid_plural else [e.msgstr]


def check_messages(lang: str = DEFAULT_LANG) -> list[str]:
    """The problems of utils.po: out of step with the code, untranslated, fuzzy, obsolete, placeholders changed."""
    problems = []
    messages, refused = scan_messages()
    problems += refused
    po_path = runtime_catalog(lang)
    rel = po_path.relative_to(repo_root())
    if not po_path.exists():
        if messages:
            problems.append(f"{rel}: missing; run `python -m utils i18n update` and translate it")
        return problems
    po = _load_catalog(po_path)
    present = {(e.msgid, e.msgid_plural or None) for e in po if not e.obsolete}
    for m in messages:
        if (m.msgid, m.plural) not in present:
            where = ":".join(m.occurrences[0])
            problems.append(f"{rel}: {m.msgid[:60]!r} ({where}) is not in the catalog; run "
                            "`python -m utils i18n update` and translate it")
    variants = glossary_variants(lang, RUNTIME_DOMAIN)
    for e in po:
        if e.obsolete:
            problems.append(f"{rel}: obsolete entry {e.msgid[:40]!r} (no longer in the code); delete it")
            continue
        if not _translated(e) or "fuzzy" in e.flags:
            problems.append(f"{rel}: untranslated or fuzzy {e.msgid[:60]!r}")
            continue
        for text in _texts(e):
            if not _JAPANESE.search(text):
                problems.append(f"{rel}: no Japanese text in {text[:60]!r}")
            elif set(re.findall(r"\{[^{}]*\}", e.msgid)) != set(re.findall(r"\{[^{}]*\}", text)):
                problems.append(f"{rel}: the placeholders of {e.msgid[:60]!r} differ in its translation")
            for variant, term in variants.items():
                if variant in text and variant not in e.msgid:
                    problems.append(f"{rel}: {e.msgid[:40]!r} uses {variant!r}: write {term!r} "
                                    "(docs/glossary-ja.md, docs/style-ja.md)")
    mo = po_path.with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != _mo_bytes(po_path):
        problems.append(f"{mo.relative_to(repo_root())}: stale or missing; run `python -m utils i18n build`")
    return problems


# ------------------------------------------------------------------------------------------------ argparse's words
# locales/<lang>/LC_MESSAGES/argparse.po: argparse's own words that `python -m utils instructor` can show (the msgids
# of utils.lang.ARGPARSE_MESSAGES, as Python's Lib/argparse.py writes them), read at run time by
# utils.lang.argparse_speaking(). Kept like utils.po: update adds and obsoletes, build compiles, check checks.

_PERCENT = re.compile(r"%(?:\(\w+\))?[sdr]")


def argparse_catalog(lang: str) -> Path:
    from .lang import ARGPARSE_DOMAIN

    return locale_dir(lang) / f"{ARGPARSE_DOMAIN}.po"


def update_argparse(lang: str = DEFAULT_LANG) -> UpdateSummary:
    from .lang import ARGPARSE_MESSAGES

    path = argparse_catalog(lang)
    po = _load_catalog(path) if path.exists() else _empty_catalog(
        lang, **{"Plural-Forms": "nplurals=1; plural=0;" if lang == "ja" else "nplurals=2; plural=(n != 1);",
                 "X-Source": "Python's Lib/argparse.py: the msgids of utils.lang.ARGPARSE_MESSAGES"})
    po.fpath = str(path)
    summary = merge_messages(po, [Message(m, None) for m in ARGPARSE_MESSAGES])
    for entry in po:
        if entry.msgid in summary.added and "python-format" not in entry.flags:
            entry.flags.append("python-format")
    summary.catalog = path
    if summary.added or summary.obsoleted or not path.exists():
        po.save(str(path))
    return summary


def check_argparse(lang: str = DEFAULT_LANG) -> list[str]:
    """The problems of argparse.po: a msgid missing or extra, untranslated, fuzzy, placeholders changed, stale .mo."""
    from .lang import ARGPARSE_MESSAGES

    path = argparse_catalog(lang)
    rel = path.relative_to(repo_root())
    if not path.exists():
        return [f"{rel}: missing; run `python -m utils i18n update` and translate it"]
    po = _load_catalog(path)
    problems = []
    present = {e.msgid for e in po if not e.obsolete}
    problems += [f"{rel}: {m!r} is not in the catalog; run `python -m utils i18n update` and translate it"
                 for m in ARGPARSE_MESSAGES if m not in present]
    for e in po:
        if e.obsolete or e.msgid not in ARGPARSE_MESSAGES:
            problems.append(f"{rel}: {e.msgid[:40]!r} is not one of utils.lang.ARGPARSE_MESSAGES; delete it")
        elif not e.msgstr or "fuzzy" in e.flags:
            problems.append(f"{rel}: untranslated or fuzzy {e.msgid[:60]!r}")
        elif not _JAPANESE.search(e.msgstr):
            problems.append(f"{rel}: no Japanese text in {e.msgstr[:60]!r}")
        elif sorted(_PERCENT.findall(e.msgid)) != sorted(_PERCENT.findall(e.msgstr)):
            problems.append(f"{rel}: the placeholders of {e.msgid[:60]!r} differ in its translation")
        elif e.msgid.endswith(" ") != e.msgstr.endswith(" "):
            problems.append(f"{rel}: {e.msgid!r} and its translation differ in their trailing space")
    mo = path.with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != _mo_bytes(path):
        problems.append(f"{mo.relative_to(repo_root())}: stale or missing; run `python -m utils i18n build`")
    return problems


# ------------------------------------------------------------------------------------------------ build


def translations(po) -> dict[str, str]:
    """cell ID -> translated text, for entries that are translated and not fuzzy."""
    return {e.msgctxt: e.msgstr for e in po if not e.obsolete and e.msgstr and "fuzzy" not in e.flags}


def render(notebook: Path, po) -> str:
    """The translated notebook's file text: the English notebook with its Markdown cells replaced."""
    import nbformat

    nb = copy.deepcopy(_read(notebook))
    done = translations(po) if po is not None else {}
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell["id"] in done and cell["source"].strip():
            entry = next(e for e in po if e.msgctxt == cell["id"] and not e.obsolete)
            if entry.msgid == cell["source"]:
                cell["source"] = done[cell["id"]]
        elif cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.metadata.pop("widgets", None)
    return nbformat.writes(nb) + "\n"


def _mo_bytes(po_path: Path) -> bytes:
    import tempfile

    po = _load_catalog(po_path)
    with tempfile.NamedTemporaryFile(suffix=".mo") as tmp:
        po.save_as_mofile(tmp.name)
        return Path(tmp.name).read_bytes()


def build(lang: str = DEFAULT_LANG) -> list[Path]:
    written = []
    for notebook in all_notebooks():
        path = catalog_path(lang, notebook)
        po = _load_catalog(path) if path.exists() else None
        out = output_path(lang, notebook)
        out.parent.mkdir(parents=True, exist_ok=True)
        text = render(notebook, po)
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            out.write_text(text, encoding="utf-8")
        written.append(out)
    for runtime in (runtime_catalog(lang), argparse_catalog(lang)):  # the catalogues read through gettext at run time
        if runtime.exists():
            mo = runtime.with_suffix(".mo")
            data = _mo_bytes(runtime)
            if not mo.exists() or mo.read_bytes() != data:
                mo.write_bytes(data)
            written.append(mo)
    return written


# ------------------------------------------------------------------------------------------------ check

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_FENCE = re.compile(r"^(```|~~~)(.*)$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)  # a code span may run over a line break
_LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S)
_HEADING = re.compile(r"^(#{1,6})\s")
_MERMAID_LABELS = [
    re.compile(r'"[^"]*"'), re.compile(r"\[[^\]]*\]"), re.compile(r"\([^)]*\)"), re.compile(r"\{[^}]*\}"),
    re.compile(r"\|[^|]*\|"), re.compile(r"--\s[^->]*?\s-->"), re.compile(r"%%.*$"),
]
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _split(text: str) -> tuple[list[str], list[list[str]]]:
    """(prose lines outside fences, [lines of each mermaid block])."""
    prose, mermaid, block, fence = [], [], None, None
    for line in text.splitlines():
        m = _FENCE.match(line.strip())
        if fence is None and m:
            fence = m.group(1)
            block = [] if m.group(2).strip().lower() == "mermaid" else None
            continue
        if fence is not None and line.strip().startswith(fence):
            if block is not None:
                mermaid.append(block)
            fence, block = None, None
            continue
        if fence is None:
            prose.append(line)
        elif block is not None:
            block.append(line)
    return prose, mermaid


def code_spans(text: str) -> set[str]:
    prose, _ = _split(text)
    return {" ".join(m.group(2).split()) for m in _CODE_SPAN.finditer("\n".join(prose))}


def link_targets(text: str) -> list[str]:
    prose, _ = _split(text)
    return sorted(m.group(1) for line in prose for m in _LINK.finditer(line))


AWS_DOCS = "https://docs.aws.amazon.com/"
LOCALISED_DOCS = {"ja": AWS_DOCS + "ja_jp/"}  # AWS's documentation in each language (same path after the prefix)


def source_link(target: str, lang: str = DEFAULT_LANG) -> str:
    """The English link a translated link stands for: an AWS documentation page in `lang`'s edition
    (docs.aws.amazon.com/ja_jp/<path>) stands for docs.aws.amazon.com/<path>; any other target for itself."""
    localised = LOCALISED_DOCS.get(lang)
    if localised and target.startswith(localised) and len(target) > len(localised):
        return AWS_DOCS + target[len(localised):]
    return target


def _bold_spans(text: str) -> list[str]:
    prose, _ = _split(text)
    joined = _CODE_SPAN.sub(" ", "\n".join(prose))  # a `**` inside code is code
    return [" ".join(m.group(1).split()) for m in _BOLD.finditer(joined)]


def runtime_labels(lang: str = DEFAULT_LANG) -> dict[str, str]:
    """English message of utils -> its translation, for every translated, non-plural message whose translation
    differs: the words the runtime shows, which a cell may quote as labels."""
    path = runtime_catalog(lang)
    if not path.exists():
        return {}
    return {e.msgid: e.msgstr for e in _load_catalog(path)
            if not e.obsolete and not e.msgid_plural and e.msgstr and "fuzzy" not in e.flags
            and e.msgstr != e.msgid}


def label_problems(msgid: str, msgstr: str, labels: dict[str, str]) -> list[str]:
    """The screen labels of an English cell (bold spans that are messages of utils) must appear in the translation
    as the translated runtime shows them, in bold; a label quoted as code cannot be translated."""
    found = []
    english_bold, translated_bold = _bold_spans(msgid), set(_bold_spans(msgstr))
    for label in english_bold:
        if label in labels and labels[label] not in translated_bold:
            found.append(f"the label **{label}** is quoted as the Japanese runtime shows it: **{labels[label]}** "
                         "(utils.po)")
    for label in translated_bold:
        if label in labels:
            found.append(f"the label **{label}** is English; the Japanese runtime shows **{labels[label]}** "
                         "(utils.po)")
    for span in sorted(code_spans(msgid)):
        # Only words, several of them (`caller permissions`): a one-word span such as `status` is code.
        if span in labels and " " in span and re.fullmatch(r"[A-Za-z][A-Za-z0-9 .'-]*", span):
            found.append(f"`{span}` is a label the screen shows (a message of utils): quote it in bold, "
                         f"**{span}**, so that the translation can show **{labels[span]}**")
    return found


def headings(text: str) -> list[int]:
    prose, _ = _split(text)
    return [len(m.group(1)) for line in prose if (m := _HEADING.match(line))]


def mermaid_ids(text: str) -> list[set[str]]:
    """The identifiers of each Mermaid block once every label is removed: node IDs, subgraph IDs, keywords."""
    _, blocks = _split(text)
    result = []
    for block in blocks:
        ids = set()
        for line in block:
            for pattern in _MERMAID_LABELS:
                line = pattern.sub(" ", line)
            ids.update(_IDENT.findall(line))
        result.append(ids)
    return result


def class_lines(text: str) -> list[str]:
    _, blocks = _split(text)
    return [line.strip() for block in blocks for line in block if re.match(r"\s*class\s", line)]


STYLE_HEADING = "## 文体と言い回し"  # the glossary's second table: wording and style (docs/style-ja.md)
STYLE_ENFORCED = "適用済み"  # the line under it that names the catalogues where that table is enforced


def _glossary(lang: str) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """(variants of the terms table, variants of the style table, the catalogues where the style table applies)."""
    path = repo_root() / "docs" / f"glossary-{lang}.md"
    if not path.exists():
        return {}, {}, set()
    terms: dict[str, str] = {}
    style: dict[str, str] = {}
    enforced: set[str] = set()
    table = terms
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            table = style if line.startswith(STYLE_HEADING) else terms
            continue
        if line.startswith(STYLE_ENFORCED):
            enforced.update(re.findall(r"`([^`]+)`", line))
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not line.lstrip().startswith("|") or set(cells[0]) <= set("-: "):
            continue
        term, avoid = cells[1], cells[-1]
        for variant in re.split(r"[、,]\s*", avoid):
            variant = variant.strip().strip("`")
            if variant and variant not in ("—", "-", "avoid", "避ける表記"):
                table[variant] = term
    return terms, style, enforced


def glossary_variants(lang: str = DEFAULT_LANG, catalogue: str | None = None) -> dict[str, str]:
    """variant to avoid -> the term to write instead, from the glossary's tables (docs/glossary-<lang>.md).

    The terms table (AWS's Japanese documentation) applies to every catalogue. The style table applies to the
    catalogues its 適用済み line names (those whose style pass is done: a catalogue joins the list when it is
    revised); `catalogue=None` gives both tables (the strictest reading)."""
    terms, style, enforced = _glossary(lang)
    if catalogue is None or catalogue in enforced:
        return {**terms, **style}
    return terms


def problems_of(msgid: str, msgstr: str, variants: dict[str, str] | None = None,
                labels: dict[str, str] | None = None, lang: str = DEFAULT_LANG) -> list[str]:
    """What is wrong with one translation of a Markdown cell (empty when nothing is)."""
    found = []
    if not _JAPANESE.search(msgstr):
        found.append("the translation has no Japanese text")
    missing, extra = code_spans(msgid) - code_spans(msgstr), code_spans(msgstr) - code_spans(msgid)
    if missing or extra:
        found.append(f"inline code spans differ: missing {sorted(missing)}, added {sorted(extra)}")
    translated_links = sorted(source_link(t, lang) for t in link_targets(msgstr))
    if link_targets(msgid) != translated_links:
        found.append(f"link targets differ: {link_targets(msgid)} != {link_targets(msgstr)} (only "
                     f"{AWS_DOCS}<path> -> {LOCALISED_DOCS.get(lang, AWS_DOCS)}<path> may change)")
    if headings(msgid) != headings(msgstr):
        found.append(f"heading sequence differs: {headings(msgid)} != {headings(msgstr)}")
    if mermaid_ids(msgid) != mermaid_ids(msgstr):
        en, ja = mermaid_ids(msgid), mermaid_ids(msgstr)
        if len(en) != len(ja):
            found.append(f"Mermaid blocks differ: {len(en)} in English, {len(ja)} translated")
        else:
            for a, b in zip(en, ja, strict=True):
                if a != b:
                    found.append(f"Mermaid node IDs differ: missing {sorted(a - b)}, added {sorted(b - a)}")
    if class_lines(msgid) != class_lines(msgstr):
        found.append(f"Mermaid `class` lines differ: {class_lines(msgid)} != {class_lines(msgstr)}")
    prose, blocks = _split(msgstr)
    prose_text = "\n".join(prose + [line for block in blocks for line in block])  # Mermaid labels are read too
    english = "\n".join(_split(msgid)[0] + [line for block in _split(msgid)[1] for line in block])
    for variant, term in (variants or {}).items():
        if variant in prose_text and variant not in english:  # quoting the English source's own word is fine
            found.append(f"uses {variant!r}: write {term!r} (docs/glossary-ja.md, docs/style-ja.md)")
    found += label_problems(msgid, msgstr, labels or {})
    return found


def check(lang: str = DEFAULT_LANG) -> list[str]:
    """Every problem found, as lines naming the file and the cell. Empty when everything is in order."""
    problems = []
    labels = runtime_labels(lang)
    for notebook in all_notebooks():
        variants = glossary_variants(lang, catalogue_name(notebook))
        path = catalog_path(lang, notebook)
        rel = path.relative_to(repo_root())
        if not path.exists():
            problems.append(f"{rel}: missing; run `python -m utils i18n update` and translate it")
            continue
        po = _load_catalog(path)
        cells = dict(_markdown_cells(_read(notebook)))
        entries = {e.msgctxt: e for e in po if not e.obsolete}
        for e in po:
            if e.obsolete:
                problems.append(f"{rel} [{e.msgctxt}]: obsolete entry (the cell is gone); delete it")
        for cell_id, source in cells.items():
            e = entries.get(cell_id)
            if e is None or e.msgid != source:
                problems.append(f"{rel} [{cell_id}]: the English cell is not in the catalog as it is now; "
                                "run `python -m utils i18n update`")
                continue
            if "fuzzy" in e.flags:
                problems.append(f"{rel} [{cell_id}]: fuzzy: the English changed; review the translation against "
                                "the previous English (#| msgid) and remove the fuzzy flag")
                continue
            if not e.msgstr:
                problems.append(f"{rel} [{cell_id}]: untranslated")
                continue
            problems += [f"{rel} [{cell_id}]: {p}" for p in problems_of(e.msgid, e.msgstr, variants, labels, lang)]
        out = output_path(lang, notebook)
        if not out.exists() or out.read_text(encoding="utf-8") != render(notebook, po):
            problems.append(f"{out.relative_to(repo_root())}: differs from a fresh build; run "
                            "`python -m utils i18n build`")
    problems += check_messages(lang)
    problems += check_argparse(lang)
    problems += check_docs(lang)
    return problems


# ------------------------------------------------------------------------------------------------ documentation
# The Markdown pages a reader opens: README.md and docs/*.md, with their translations README.<lang>.md and
# docs/<lang>/<page>.md. A page and its translation are counterparts section by section: the same number of
# `## ` headings, in the same order (the i-th heading of one is the counterpart of the i-th of the other), and each
# pair quotes the same inline code (`jp.`, `provision`), which catches two sections swapped. docs/style-ja.md
# says so for translators.

_SECTION = re.compile(r"^##\s+(.*?)\s*#*\s*$")
_ANY_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def doc_pairs(lang: str = DEFAULT_LANG) -> list[tuple[Path, Path]]:
    """(English page, its translation): README.md with README.<lang>.md, and docs/<page>.md with every
    docs/<lang>/<page>.md that exists (a translation without its English page is paired with the missing path)."""
    root = repo_root()
    pairs = [(root / "README.md", root / f"README.{lang}.md")]
    pairs += [(root / "docs" / page.name, page) for page in sorted((root / "docs" / lang).glob("*.md"))]
    return pairs


def _prose_lines(text: str) -> list[str]:
    lines, fence = [], None
    for line in text.splitlines():
        m = _FENCE.match(line.strip())
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:
            lines.append(line)
    return lines


def sections(text: str) -> list[str]:
    """The `## ` headings of a Markdown page, in order (fenced code is skipped)."""
    return [m.group(1) for line in _prose_lines(text) if (m := _SECTION.match(line))]


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: its text without Markdown, lower case, punctuation dropped (letters of any
    script, digits, `_`, `-` kept), spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    found, seen = set(), {}
    for line in _prose_lines(text):
        if m := _ANY_HEADING.match(line):
            base = anchor(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def doc_pages() -> list[Path]:
    root = repo_root()
    return sorted(root.glob("README*.md")) + sorted((root / "docs").rglob("*.md"))


def link_problems(page: Path) -> list[str]:
    """Relative links of a page whose file or #anchor does not exist."""
    root = repo_root()
    text = page.read_text(encoding="utf-8")
    found = []
    for target in _LINK.findall("\n".join(_prose_lines(text))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path_part, _, frag = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if not dest.exists():
            found.append(f"{page.relative_to(root)}: link to {target}: no such file")
        elif frag and dest.suffix == ".md" and frag not in anchors(dest.read_text(encoding="utf-8")):
            found.append(f"{page.relative_to(root)}: link to {target}: {dest.relative_to(root)} has no heading "
                         f"with the anchor #{frag}")
    return found


def check_docs(lang: str = DEFAULT_LANG) -> list[str]:
    """Each translated page has a counterpart for every section of its English page, and no page links to a file
    or anchor that does not exist."""
    root = repo_root()
    problems = []
    variants = glossary_variants(lang, None)
    for english, translated in doc_pairs(lang):
        en_rel, tr_rel = english.relative_to(root), translated.relative_to(root)
        if not english.exists() or not translated.exists():
            problems.append(f"{tr_rel}: {en_rel if not english.exists() else tr_rel} does not exist; a translated "
                            "page and its English page come in pairs")
            continue
        en_text, tr_text = english.read_text(encoding="utf-8"), translated.read_text(encoding="utf-8")
        en, tr = sections(en_text), sections(tr_text)
        if len(en) != len(tr):
            problems.append(f"{tr_rel}: {len(tr)} sections (## headings), {en_rel} has {len(en)}: every section needs "
                            f"its counterpart, in the same order ({en_rel}: {en}; {tr_rel}: {tr})")
        for i, (a, b) in enumerate(zip(en, tr, strict=False), start=1):
            if code_spans(a) != code_spans(b):
                problems.append(f"{tr_rel}: section {i} {b!r} is not the counterpart of {en_rel}'s {a!r} (their "
                                "inline code differs): the sections are in another order, or one is missing")
        if not _JAPANESE.search(tr_text):
            problems.append(f"{tr_rel}: has no Japanese text")
        prose = "\n".join(_prose_lines(tr_text))
        for variant, term in variants.items():
            if variant in prose and variant not in en_text:
                problems.append(f"{tr_rel}: uses {variant!r}: write {term!r} (docs/glossary-ja.md, docs/style-ja.md)")
    for page in doc_pages():
        problems += link_problems(page)
    return problems


# ------------------------------------------------------------------------------------------------ command line


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m utils i18n", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("update", "build", "check"))
    parser.add_argument("--lang", default=DEFAULT_LANG, choices=LANGUAGES)
    args = parser.parse_args(argv)
    if args.action == "update":
        for summary in update(args.lang):
            print(summary)
        return 0
    if args.action == "build":
        for path in build(args.lang):
            print(f"built {path.relative_to(repo_root())}")
        return 0
    problems = check(args.lang)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"i18n check: {len(problems)} problem(s) in the {args.lang} translation", file=sys.stderr)
        return 1
    print(f"i18n check: the {args.lang} notebooks, catalogs and documentation pages are complete and current")
    return 0
