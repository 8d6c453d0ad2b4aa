"""What gets committed: clean notebooks, no account IDs or keys, the learner's config ignored, the README commands.

"Committed" means the files git tracks plus the untracked files it does not ignore (they are about to be
committed). Git is only read here.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN_COMMAND = "pip install -r requirements.txt && python -m utils run"
TEST_COMMAND = "pip install -r requirements-dev.txt && pytest"

# Accounts that are not anyone's own: AWS-owned service accounts that AWS shows in API answers.
AWS_OWNED_ACCOUNT_IDS = {
    "727180483921",  # requester of interface endpoint ENIs (sandbox/endpoints.py)
}
ACCOUNT_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])")
# Access key IDs of long-term (AK..) and temporary (AS..) credentials; spelled in two parts so this file
# does not match itself.
ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:" + "AK" + "IA|" + "AS" + r"IA)[A-Z0-9]{16}(?![A-Z0-9])")
SECRET_KEY = re.compile(r"(?i)aws_secret_access_key\W{1,4}([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def committed_files() -> list[Path]:
    names = set(git("ls-files", "-z").split("\0")) | set(git("ls-files", "-z", "--others", "--exclude-standard")
                                                         .split("\0"))
    return sorted(ROOT / n for n in names if n and (ROOT / n).is_file())


def is_placeholder(account_id: str) -> bool:
    """Obviously made-up IDs: the sandbox's 123456789012, the AWS docs' 111122223333, 210987654321, 000000000001..."""
    ascending, descending = "0123456789" * 3, "9876543210" * 3
    blocks = [account_id[i:i + 4] for i in range(0, 12, 4)]
    head = account_id.rstrip("0")  # 123400000000, a malformed-ARN input in a LocalStack recording
    return (account_id in ascending or account_id in descending or len(set(account_id)) == 1
            or all(len(set(b)) == 1 for b in blocks) or sum(c != "0" for c in account_id) <= 2
            or (len(head) <= 4 and head in ascending))


def text_of(path: Path) -> str | None:
    if path.stat().st_size > 5_000_000:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


NOTEBOOKS = [p for p in committed_files() if p.suffix == ".ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", "kernelspec must be python3"
    assert "widgets" not in nb["metadata"], "widget state is saved: run nbstripout"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {i} has outputs: run nbstripout"
            assert cell.get("execution_count") is None, f"cell {i} has an execution count: run nbstripout"


def test_no_account_ids_or_keys_in_committed_files():
    findings = []
    for path in committed_files():
        text = text_of(path)
        if text is None:
            continue
        rel = path.relative_to(ROOT)
        for m in ACCOUNT_ID.finditer(text):
            if not is_placeholder(m.group()) and m.group() not in AWS_OWNED_ACCOUNT_IDS:
                findings.append(f"{rel}: account-like ID {m.group()}")
        for m in ACCESS_KEY_ID.finditer(text):
            if not m.group().endswith("EXAMPLE"):
                findings.append(f"{rel}: access key ID {m.group()[:8]}...")
        for m in SECRET_KEY.finditer(text):
            if "EXAMPLEKEY" not in m.group(1):
                findings.append(f"{rel}: secret access key")
    assert findings == []


def test_scanner_finds_what_it_should():
    real_looking = "4938" + "17265014"
    text = f"arn:aws:iam::{real_looking}:role/x 1234567890123 a123456789012 ::210987654321:"
    assert ACCOUNT_ID.findall(text) == [real_looking, "210987654321"]
    assert [is_placeholder(a) for a in ("123456789012", "111122223333", "012345678901", "000000000001",
                                        real_looking)] == [True, True, True, True, False]
    key = "AK" + "IA" + "Q" * 16
    assert ACCESS_KEY_ID.findall(f"id={key} ") == [key]
    assert SECRET_KEY.search("aws_secret_access_key = " + "a" * 40)


def test_learner_config_and_local_state_are_ignored():
    # The egg-info folder is what `pip install -r requirements.txt` (its `-e .`) writes into the checkout.
    for name in ("workshop_config.json", ".sandbox/state.json", "runs/20260101-000000/00.ipynb",
                 "bedrock_privatelink_workshop.egg-info/PKG-INFO"):
        result = subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT)
        assert result.returncode == 0, f"{name} is not gitignored"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_command():
    for name in ("README.md", "README.ja.md"):  # both front doors, verbatim
        readme = (ROOT / name).read_text(encoding="utf-8")
        assert RUN_COMMAND in readme and TEST_COMMAND in readme, name
        assert ".ci/run" in readme, f"{name} no longer says that .ci/run runs the test command"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in ci
    assert TEST_COMMAND in ci


def test_function_code_has_one_copy():
    """lambda/ is exactly what gets deployed: no other committed file duplicates it."""
    originals = {name: (ROOT / "lambda" / name).read_bytes() for name in ("app.py", "products.json")}
    for path in committed_files():
        if path.parent == ROOT / "lambda":
            continue
        if path.name in originals:
            assert path.read_bytes() != originals[path.name], f"{path.relative_to(ROOT)} copies lambda/{path.name}"


def test_the_readmes_are_front_doors():
    """README.md and README.ja.md stay short (issue 18): what this is, the two commands, the notebooks, where to run
    them, and links; everything else lives in docs/, one page per reader."""
    for name in ("README.md", "README.ja.md"):
        lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
        assert len(lines) <= 200, f"{name} has {len(lines)} lines: move the detail to a page in docs/"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("learner", "instructor", "sandbox", "benchmarks", "reliability", "live-check", "changes-since-2023"):
        assert f"(docs/{page}.md)" in readme, f"README.md does not link docs/{page}.md"
        assert (ROOT / "docs" / f"{page}.md").exists()
