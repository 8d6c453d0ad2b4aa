"""Every message a Japanese learner acts on is in Japanese (issue 18, items 2 and 4).

Two checks:

1. The source of `utils` (utils/**/*.py; utils/instructor/ has its own test, tests/test_instructor*.py): a sentence
   that reaches the learner is a string literal or f-string passed to `print(...)` or to `raise SomeError(...)`.
   Each must go through `_()` / `ngettext()` (so it is extracted into locales/ja/LC_MESSAGES/utils.po), or be on
   ALLOWED_SOURCE with the reason it is not a sentence for the learner (a table row of AWS data, a maintainer's
   tool, a programmer's misuse). Every `_()`, `N_()` and `ngettext()` literal must have a Japanese msgstr.
2. A headless Japanese run (`python -m utils run --lang ja`, the runner in-process on the test sandbox): every line
   of every executed notebook's outputs is scanned for English prose, that is three or more consecutive English
   words once AWS's own texts are taken out (ARNs, URLs, quoted strings, JSON, AWS's names and field names, stack
   events, the lines that quote AWS's error message). A line that matches is allowed only by ALLOWED_OUTPUT (with
   its reason) or PENDING_OUTPUT (not yet translated; every entry must still match something, so the list only shrinks).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
UTILS_PO = ROOT / "locales" / "ja" / "LC_MESSAGES" / "utils.po"

# (path, the start of the argument's source text) -> why this string is not a sentence for the learner.
ALLOWED_SOURCE: dict[tuple[str, str], str] = {
    ("utils/__main__.py", "f'file: {config.config_path()}'"): "a key/value row of the configuration (data)",
    ("utils/__main__.py", 'f"{\'in force\':>10}: {in_force!r}'): "a key/value row of the configuration (data)",
    ("utils/catalog.py", "f'catalog check"): "`catalog check` is a maintainer's tool (awsfacts upkeep), English",
    ("utils/cost.py", "'hours, endpoints and invocations must be"): "argument validation for programmers",
    ("utils/evidence.py", "f'kind must be one of"): "argument validation for programmers",
    ("utils/lambda_fn.py", "f\"State={c.get('State')}"): "a wait's status made of AWS's own fields and values "
                                                             "(GetFunctionConfiguration)",
    ("utils/policies.py", "'No model ARNs were given."): "argument validation for programmers",
    ("utils/policies.py", "f\"effect must be 'Allow' or 'Deny'"): "argument validation for programmers",
    ("utils/policies.py", "f'{role_arn!r} is not an IAM role ARN"): "argument validation for programmers",
    ("utils/policies.py", "f'{arn!r} is not"): "argument validation for programmers",
    ("utils/runner.py", "'no free loopback port for the sandbox'"): "the machine has no free port: an OS condition "
                                                                     "for whoever maintains the machine",
    ("utils/target.py", "f\"WORKSHOP_REQUIRE_SANDBOX=1"): "only the test suite sets WORKSHOP_REQUIRE_SANDBOX",
    ("utils/target.py", "\"WORKSHOP_REQUIRE_SANDBOX=1"): "only the test suite sets WORKSHOP_REQUIRE_SANDBOX",
    ("utils/target.py", "f'WORKSHOP_REQUIRE_SANDBOX=1"): "only the test suite sets WORKSHOP_REQUIRE_SANDBOX",
}
# Whole files that are not for the learner.
ALLOWED_FILES = {
    "utils/i18n.py": "the translators' tool (`python -m utils i18n`): its readers maintain the catalogues",
}
TRANSLATING = {"_", "N_", "ngettext"}


def _source_files() -> list[Path]:
    return sorted(p for p in (ROOT / "utils").rglob("*.py") if "instructor" not in p.relative_to(ROOT).parts)


def _is_text(node: ast.AST) -> bool:
    """A string literal, an f-string, or a concatenation with one: text written in the code."""
    if isinstance(node, ast.JoinedStr):  # only its literal parts are words; `f"{key}: {value}"` writes none
        return any(isinstance(v, ast.Constant) and re.search(r"[A-Za-z]{2}", v.value) for v in node.values)
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(re.search(r"[A-Za-z]{2}", node.value))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_text(node.left) or _is_text(node.right)
    return False


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _leaves(node: ast.AST) -> list[ast.AST]:
    """The values an expression can take: both branches of `a if c else b`, each operand of `a or b`, a lambda's
    body."""
    if isinstance(node, ast.Lambda):
        return _leaves(node.body)
    if isinstance(node, ast.IfExp):
        return _leaves(node.body) + _leaves(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [leaf for v in node.values for leaf in _leaves(v)]
    return [node]


SHOWN_KEYWORDS = {"status", "hint"}  # utils.waiting: a wait's status line and its timeout advice


def _texts_in(tree: ast.AST, *, asserts: bool = False) -> list[tuple[int, str]]:
    """(line, source) of every text written in the code that reaches the reader: the argument of print(...) or
    raise X(...), a status=/hint= of a wait, and (for a notebook's cells) the message of an assert."""
    found = []
    for node in ast.walk(tree):
        args = []
        if isinstance(node, ast.Call) and _call_name(node.func) == "print" and node.args:
            args = [node.args[0]]
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            args = [node.exc.args[0]]
        elif asserts and isinstance(node, ast.Assert) and node.msg is not None:
            args = [node.msg]
        if isinstance(node, ast.Call):
            args += [leaf for k in node.keywords if k.arg in SHOWN_KEYWORDS for leaf in _leaves(k.value)]
        found += [(node.lineno, ast.unparse(arg)) for arg in args if _is_text(arg)]
    return found


def _texts_shown() -> list[tuple[str, int, str]]:
    """(path, line, source of the argument) of every print/raise/status/hint whose argument is text in the code."""
    found = []
    for path in _source_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED_FILES:
            continue
        found += [(rel, line, text) for line, text in _texts_in(ast.parse(path.read_text(encoding="utf-8")))]
    return found


def test_notebook_cells_say_nothing_in_english():
    """The learner notebooks' code cells run unchanged in both languages, so a sentence they show (a print, an assert's
    fix-it, a wait's status or hint) goes through utils.say; AWS's calls, policy documents and data stay."""
    found = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "\n".join(line for line in "".join(cell["source"]).splitlines()
                               if not line.lstrip().startswith(("%", "!")))
            found += [f"{path.name} [{cell['id']}]:{line}: {text[:100]}"
                      for line, text in _texts_in(ast.parse(source), asserts=True)]
    assert not found, ("English sentences written in the notebooks' code cells (a Japanese run would show them in "
                       "English): put each in utils/say.py's MESSAGES and use say.line/say.require/say.text:\n"
                       + "\n".join(found))


def _allowed(rel: str, text: str) -> tuple[str, str] | None:
    return next(((f, start) for f, start in ALLOWED_SOURCE if rel == f and text.startswith(start)), None)


def test_utils_messages_go_through_gettext():
    found = [(rel, line, text[:100]) for rel, line, text in _texts_shown() if _allowed(rel, text) is None]
    assert not found, (
        "Messages of utils that a learner reads but `_()` does not translate (wrap them in `_()` and translate them "
        "in utils.po, or add them to ALLOWED_SOURCE with the reason they are not for the learner):\n"
        + "\n".join(f"  {f}:{line}: {text}" for f, line, text in found))


def test_allowed_source_entries_are_all_needed():
    used = {_allowed(rel, text) for rel, _line, text in _texts_shown()}
    stale = [k for k in ALLOWED_SOURCE if k not in used]
    assert not stale, f"ALLOWED_SOURCE entries that match nothing any more (remove them): {stale}"


def test_every_gettext_literal_has_a_japanese_msgstr():
    po = polib.pofile(str(UTILS_PO))
    translated = {(e.msgid, e.msgid_plural or None) for e in po
                  if not e.obsolete and "fuzzy" not in e.flags
                  and all((e.msgstr_plural or {0: e.msgstr}).values())}
    missing = []
    for path in _source_files():
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and _call_name(node.func) in TRANSLATING and node.args):
                continue
            lits = [a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if not lits:
                continue
            key = (lits[0], lits[1] if _call_name(node.func) == "ngettext" and len(lits) > 1 else None)
            if key not in translated:
                missing.append(f"{rel}:{node.lineno}: {lits[0][:80]!r}")
    assert not missing, "Messages without a Japanese msgstr in utils.po (run `python -m utils i18n update`, " \
                        "then translate):\n" + "\n".join(missing)


# ---- the outputs of a Japanese run ----------------------------------------------------------------------------

WORD = r"[A-Za-z][A-Za-z'’-]*"
PROSE = re.compile(rf"\b{WORD}(?:[ ,;:]+{WORD}){{2,}}\b")  # three words (two would flag AWS's names)
# AWS's own texts and identifiers, taken out of a line before it is judged.
AWS_TEXT = [
    re.compile(r"arn:aws[\w:/.*+=,@-]*"),
    re.compile(r"https?://\S+"),
    re.compile(r"\"[^\"]*\""),
    re.compile(r"'[^']*'"),
    re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)+\b"),  # IDs and names: vpce-0ab..., us-east-1, Bedrock-GenAI-Stack
    re.compile(r"\b[A-Z][A-Za-z0-9]+(?:-[A-Za-z0-9]+)+\b"),
    re.compile(r"\b(?:AWS|Amazon|IAM)(?: [A-Z][A-Za-z0-9]*)+"),  # AWS's names: IAM Access Analyzer, Amazon Nova Micro
    re.compile(r"\b(?:Transit Gateway|Route 53 Resolver|Route 53)\b"),
    re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b"),  # AWS's field names as column headers: NetworkInterfaceId
    re.compile(r"\b(?:com\.amazonaws|[a-z0-9-]+\.[a-z0-9.-]+\.(?:com|aws))\S*"),
]
# (pattern, reason): English that stays English in a Japanese run.
ALLOWED_OUTPUT: list[tuple[str, str]] = [
    (r"メッセージ: ", "explain() and say's aws_error quote AWS's error message verbatim (docs/style-ja.md: AWS's "
                   "English errors stay)"),
    (r"^\s*[\[{\]}\"]", "a JSON document: the policy or the function's reply, as sent to or returned by AWS"),
    (r"^\s*\d+\s", "a row of a table of AWS's data (pandas prints the index first)"),
    (r"^\[Sandbox reply from ", "the model's reply (on the sandbox its stand-in): the learner's prompt, not ours"),
    (r"^\s+\d\d:\d\d:\d\d  ", "a stack event: its time, logical ID, and CloudFormation's status and status reason"),
    (r"^Traceback|^\s+File \"", "a Python traceback"),
    (r"^VBox\(", "the repr of notebook 00's widget form (ipywidgets), which a headless run prints instead of the form"),
    (r"^\s*(?:Transit Gateway|Route 53|VPC) [^:]*: .*(?:->|\$)", "a route or a price line: AWS names and figures"),
    (r"^\s*\(us-east-1 list prices read on ", "the source of notebook 06's prices, a fact with its date (README)"),
    (r"us-east-1 list prices, November 2026", "PRICES_SOURCE: the price list's name and date, a fact (README)"),
]
# Not translated yet: each entry must match at least one line of the run, so that a fixed one is taken off the list.
# Empty since the cost table's labels and iampolicy's statement descriptions went through _() (issue 18).
PENDING_OUTPUT: list[tuple[str, str]] = []

# The single English words a Japanese run keeps, once AWS's texts and identifiers are taken out: names the glossary
# keeps in English (docs/glossary-ja.md: product names, API and field names stay as AWS writes them) and values
# the learner types. Any other English word, even alone or in pairs ("OK: ... gone"), is a sentence not yet
# translated (the three-word check cannot see those).
KEPT_ENGLISH: dict[str, str] = {
    **dict.fromkeys(("AWS", "Lambda", "Resolver", "Studio", "SDK"), "part of an AWS product's name"),
    **dict.fromkeys(("VPC", "DNS", "ENI", "TCP", "UTC", "GB", "ID", "AZ", "IP", "ARN", "CIDR", "URL", "JSON", "SCP"),
                    "an acronym AWS's Japanese documentation keeps"),
    **dict.fromkeys(("Effect", "Allow", "Deny", "Principal", "Resource", "Action", "Condition", "Sid"),
                    "a policy element or its value, as written in the policy document"),
    "OK": "the status marker of a wait's summary line (utils.waiting), the same in every language",
    **dict.fromkeys(("sandbox", "aws", "TARGET"), "the target's value and the variable a learner sets (notebook 00)"),
    "default": "the participant ID when none is set (workshop_config.json)",
    "sts": "where the caller's identity came from: AWS STS, by its endpoint prefix (utils.studio)",
    "sleep": "Python's time.sleep, named in the advice not to use it",
    **dict.fromkeys(("Converse", "InvokeModel"), "an API name, as CloudTrail's eventName and IAM's action spell it"),
    **dict.fromkeys(("True", "False"), "a boolean as AWS returns it (PrivateDnsEnabled)"),
    **dict.fromkeys(("Description", "vpcEndpointId", "userIdentity", "eventName", "errorCode", "sourceIPAddress",
                     "eventTime", "eventSource", "requestParameters", "modelId", "arn"),
                    "an AWS field name as a column header (EC2, CloudTrail)"),
    **dict.fromkeys(("available", "pending", "deleting", "deleted", "associated", "disassociated", "modifying"),
                    "a resource state as AWS returns it"),
}
# Identifiers with dots or slashes (model IDs, host names, file names, paths), the multiplication sign of prices, and
# the product names of the function's catalogue (lambda/products.json: the prompt names a product as it is spelled).
IDENTIFIERS = [
    re.compile(r"\b[a-z0-9-]+:[A-Za-z*]+\b"),  # IAM actions and condition keys: bedrock:InvokeModel, aws:sourceVpce
    re.compile(r"\b[A-Za-z]+=[A-Za-z0-9_-]+"),  # AWS's field=value pairs: State=Active
    re.compile(r"(?<![A-Za-z0-9_/])/[A-Za-z0-9_./-]+"),
    re.compile(r"\b[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_:-]+)+\.?"),
    re.compile(r"(?<=\d) x (?=\d|\$)"),
    re.compile("|".join(re.escape(p["name"]) for p in json.loads(
        (ROOT / "lambda" / "products.json").read_text(encoding="utf-8")))),
]
ENUM_VALUE = re.compile(r"\b[A-Z][A-Z0-9_]{2,}\b")  # AWS's enum values and acronyms: OPERATIONAL, INBOUND, ACTIVE
ENGLISH_WORD = re.compile(r"\b[A-Za-z][A-Za-z'’]+\b")


def _output_lines(nb: dict):
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text = "".join(out.get("text", ""))
            elif out.get("output_type") == "error":
                text = f"{out.get('ename')}: {out.get('evalue')}"
            else:
                data = out.get("data", {})
                text = "".join(data.get("text/plain", ""))
            for line in text.splitlines():
                yield cell.get("id"), line


def _without_names(line: str, *extra: re.Pattern) -> str:
    """`line` with AWS's texts and the identifiers taken out (ARNs and URLs first, then dotted IDs, then the rest)."""
    for pattern in [*AWS_TEXT[:2], *IDENTIFIERS, *AWS_TEXT[2:], *extra]:
        line = pattern.sub(" ", line)
    return line


def english_prose(line: str) -> str | None:
    """The English prose (three words or more) left in `line` once AWS's texts and identifiers are taken out."""
    m = PROSE.search(_without_names(line))
    return m.group(0) if m else None


def english_words(line: str) -> list[str]:
    """The English words left in `line` once AWS's texts, identifiers and KEPT_ENGLISH are taken out."""
    return [w for w in ENGLISH_WORD.findall(_without_names(line, ENUM_VALUE)) if w not in KEPT_ENGLISH]


def _judge(executed: dict[str, dict]) -> tuple[list[str], list[str]]:
    unexplained, used = [], set()
    for name, nb in sorted(executed.items()):
        for cell_id, line in _output_lines(nb):
            if english_prose(line) is None and not english_words(line):
                continue
            if any(re.search(p, line) for p, _why in ALLOWED_OUTPUT):
                continue
            pending = [p for p, _why in PENDING_OUTPUT if re.search(p, line)]
            if pending:
                used.update(pending)
                continue
            unexplained.append(f"{name} [{cell_id}]: {line[:160]}")
    stale = [p for p, _why in PENDING_OUTPUT if p not in used]
    return unexplained, stale


def test_the_heuristic_finds_english_and_spares_aws_texts():
    assert english_prose("OK: function X to finish its update: Successful after 0.1 s")
    assert english_prose("関数はすでにこのコードを実行しています。") is None
    assert english_prose("  メッセージ: User: arn:aws:sts::123456789012:assumed-role/R/F is not authorized") is not None
    assert english_prose("OK: vpce-0ab12 が利用可能になる: available (0.0 秒後、確認 1 回、上限 600 秒)") is None
    assert english_prose("Endpoint vpce-0ab12; model resources: 4")  # three words
    assert english_prose("Chosen: us-east-1a and us-east-1b") is None  # two words: english_words sees them
    assert english_prose("endpoint policy: IAM Access Analyzer reports no findings.")
    assert english_prose("エンドポイントポリシー: IAM Access Analyzer の検出結果はありません。") is None
    assert english_prose("  NetworkInterfaceId  SubnetId AvailabilityZone") is None
    assert english_prose('ノートブックは "is not authorized to perform this action" を返しました') is None
    # Fewer than three words: the word check sees them, and spares what a Japanese run keeps in English.
    assert english_words("OK: Resolver エンドポイントが削除される: 0 left (0.0 秒後)") == ["left"]
    assert english_words("OK: Lambda が VPC の設定を受け付ける: 受け付け済み (0.0 秒後、確認 1 回)") == []
    assert english_words("vpce-0ab12 を作成しました (available)") == []
    assert english_words("プロンプト: Pulse Running Watch のバッテリーはどのくらい持ちますか？") == []
    assert english_words("/work/main/workshop_config.json に保存しました: モデル us.amazon.nova-micro-v1:0") == []
    assert english_words("Chosen: us-east-1a and us-east-1b") == ["Chosen", "and"]


@pytest.mark.slow
def test_japanese_run_has_no_english_sentences(workshop_env):
    from utils import runner

    report = runner.run(out_root=workshop_env / "runs", echo=lambda _line: None, lang="ja")
    assert report.ok, "\n".join(f"{r.notebook}: {r.error}" for r in report.results if r.error)
    executed = {r.notebook[:2]: json.loads(Path(r.output).read_text(encoding="utf-8")) for r in report.results}
    assert len(executed) == 8
    unexplained, stale = _judge(executed)
    assert not unexplained, (
        "English sentences in the outputs of a Japanese run (put the sentence behind `_()` in utils, e.g. "
        "utils/say.py for a cell's status line or check, or add a reason to ALLOWED_OUTPUT):\n"
        + "\n".join(unexplained))
    assert not stale, f"PENDING_OUTPUT entries that match nothing any more (remove them): {stale}"
