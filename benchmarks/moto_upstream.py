"""Run moto's own tests for the services we patch, with our patches applied in-process (not in CI: ~15 min).

    python -m benchmarks.moto_upstream [--services ec2,iam,...] [--workers 2] [--work DIR] [--baseline]

moto's sdist on PyPI ships its `tests/`. This script downloads the sdist of the installed moto version with
pip (`pip download --no-deps --no-binary :all: moto==<version>`) unless it is already unpacked, and unpacks
its `tests/` into a folder outside the repository (default: <tmp>/moto-upstream-<version>). It then runs each
service's test folder with pytest, in a subprocess, with this module as a plugin (`-p benchmarks.moto_upstream`):
its `pytest_configure` calls `sandbox.moto_fixes.apply_all()` before any test runs, which applies every patch
the server applies to moto (sandbox.moto_fixes, and the models of sandbox/endpoints.py, sandbox/lambda_service.py,
sandbox/servicequotas.py, sandbox/organizations.py, sandbox/stacksets/, sandbox/sagemaker/ and
sandbox/language_extensions.py). The installed moto is the one tested (the unpacked folder holds tests only).
One helper of moto's tests is adapted: the Lambda tests' `get_role_name()` creates its role with a trust policy
that IAM refuses ("some policy"), so the run gives it Lambda's trust policy (`adapt_lambda_role_helper`).

Tests marked `network` or `requires_docker`, and the unmarked ones listed as deselected in
sandbox/moto_fixes/EXPECTED_UPSTREAM_FAILURES.md (they run Lambda functions in Docker containers), do not
run; each is deselected with its reason. Every other failure must be on that file's list of expected
failures, each with the AWS documentation page showing that moto's expectation, not our fix, departs from
AWS, and the quoted sentence of that page that settles it, or else AWS's recorded response (a LocalStack snapshot
that tests/parity/cases copies) and the recorded words quoted (a failure whose reason can be quoted from neither is
a bug in our fixes). The script prints the figures and a JSON line, and exits 1 on any failure not on the list (a listed
test that now passes is reported too, so that the list can shrink). `--baseline` runs the same tests on
plain moto, without our fixes, to tell our failures from moto's own.

Requires pytest-xdist for `--workers` above 1, pytest-timeout, and freezegun (moto's tests import it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIST_FILE = REPO / "sandbox" / "moto_fixes" / "EXPECTED_UPSTREAM_FAILURES.md"
# The services whose moto code the sandbox patches (sandbox.moto_fixes.apply_all()), as moto names their test folders.
SERVICES = ("sts", "resourcegroupstaggingapi", "awslambda", "awslambda_simple", "iam", "cloudformation", "ec2",
            "servicequotas", "organizations", "sagemaker", "route53resolver")
NODE_ID = re.compile(r"^tests/test_[a-z0-9_]+/[A-Za-z0-9_]+\.py::[^\s|]+$")
ROW = re.compile(r"^\|\s*`(?P<node>[^`]+)`\s*\|(?P<rest>.*)\|\s*$")
URL = re.compile(r"https://docs\.aws\.amazon\.com/\S+")
# The sentence of the AWS page that settles an entry: a double-quoted passage of at least a few words.
QUOTE = re.compile(r'"[^"]{25,}"')
# Or an AWS-recorded response: LocalStack's AWS-validated snapshot (the repository, its file, the snapshot key, the
# entry in it, and the date of the last AWS run from the *.validation.json beside it). The quoted cell is the
# recorded message verbatim.
RECORDING = re.compile(r"AWS-recorded response: (?P<repo>localstack/localstack) "
                       r"(?P<file>tests/aws/\S+\.snapshot\.json), key `(?P<key>[^`]+)`, "
                       r"entry `(?P<entry>[^`]+)`, recorded (?P<date>\d{4}-\d{2}-\d{2})")
# The whole cell: the recorded error message, or a passage of the recorded response (LocalStack's snapshots sort a
# response's keys, so a passage shows also which keys AWS's answer does not hold between the quoted ones).
RECORDED_QUOTE = re.compile(r'^"(?P<message>.+)"$')
# Our copy of the recorded responses (tests/parity runs the sandbox against each): a recording row must be one of them.
PARITY_CASES = REPO / "tests" / "parity" / "cases"


# ----------------------------------------------------------------------------------------------- the plugin


def pytest_configure(config) -> None:  # noqa: ARG001 - pytest hook
    """Apply every fix the sandbox applies, before moto's tests are collected."""
    if os.environ.get("MOTO_UPSTREAM_BASELINE") == "1":
        return
    from sandbox import moto_fixes

    moto_fixes.apply_all()
    adapt_lambda_role_helper()


# Lambda's trust policy (Lambda Developer Guide, "Defining Lambda function permissions with an execution role").
LAMBDA_TRUST_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def adapt_lambda_role_helper() -> None:
    """The one change to moto's tests: the helper that gives moto's Lambda tests their function role,
    tests/test_awslambda/utilities.py `get_role_name()`, creates it with the trust policy "some policy" and
    retries on any ClientError forever. IAM refuses a trust policy that is not JSON (IAM API Reference,
    "CreateRole", AssumeRolePolicyDocument: "In IAM, you must provide a JSON policy that has been converted to a
    string."), and so does the sandbox, so each of those tests would loop until its timeout without testing
    Lambda. The run gives the helper Lambda's trust policy instead; it still retries when another thread created
    the role first, and lets any other refusal fail the test. Tests that
    create a role with a trust policy that is not JSON themselves are not changed (they are on the list)."""
    try:
        from tests.test_awslambda import utilities
    except ModuleNotFoundError:  # not run from an unpacked moto tests/ folder
        return
    if not hasattr(utilities, "get_role_name"):
        raise RuntimeError("moto's tests/test_awslambda/utilities.py has no get_role_name() to adapt")
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    def get_role_name(region=None):
        with mock_aws():
            iam = boto3.client("iam", region_name=region or utilities._lambda_region)
            while True:  # as moto's helper: tests in threads race to create the role
                try:
                    return iam.get_role(RoleName="my-role")["Role"]["Arn"]
                except ClientError:
                    try:
                        return iam.create_role(RoleName="my-role", AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY,
                                               Path="/my-path/")["Role"]["Arn"]
                    except ClientError as exc:
                        if exc.response["Error"]["Code"] != "EntityAlreadyExists":
                            raise

    utilities.get_role_name = get_role_name


# ----------------------------------------------------------------------------------------------- the list


@dataclass
class Listed:
    expected: dict[str, str] = field(default_factory=dict)  # node id -> AWS page and explanation
    deselected: dict[str, str] = field(default_factory=dict)  # node id -> reason


def read_list(path: Path = LIST_FILE) -> Listed:
    """The committed list: rows `| \\`node id\\` | ... |` under "## Expected failures" or "## Deselected"."""
    listed = Listed()
    section = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            title = line[3:].strip().lower()
            section = "expected" if title.startswith("expected") else "deselected" if title.startswith(
                "deselected") else None
            continue
        match = ROW.match(line)
        if match and section:
            target = listed.expected if section == "expected" else listed.deselected
            target[match["node"]] = match["rest"].strip()
    return listed


def recorded_responses(cases: Path = PARITY_CASES) -> dict[tuple[str, str, str], dict]:
    """The AWS-recorded responses that tests/parity/cases copy from LocalStack's snapshots, by (file, key, entry):
    the recording's date, the recorded error message if any, and the recorded response as JSON if any."""
    recorded: dict[tuple[str, str, str], dict] = {}
    for path in sorted(cases.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")).get("cases", []):
            source = case.get("source") or {}
            if source.get("repo") != "localstack/localstack":
                continue
            expect = case.get("expect") or {}
            response = expect.get("response")
            recorded[(source.get("file"), source.get("key"), source.get("entry"))] = {
                "case": case.get("id"), "recorded": str(source.get("recorded", ""))[:10],
                "message": (expect.get("error") or {}).get("Message"),
                "response": json.dumps(response, ensure_ascii=False) if response is not None else None}
    return recorded


def list_problems(listed: Listed, cases: Path = PARITY_CASES) -> list[str]:
    """What is wrong with the list's format (empty when it is right).

    An expected failure rests either on an AWS page (its URL, and the quoted sentence that settles it) or on an
    AWS-recorded response (LocalStack's snapshot file, key, entry and recording date, and the recorded error message,
    or a passage of the recorded response, quoted verbatim). A recording must be one that tests/parity/cases holds,
    with the same date, and the quote must be in it, so that the quote is AWS's answer (never the sandbox's) and
    tests/parity checks that the sandbox gives it."""
    problems = []
    recorded = None
    for node in {**listed.expected, **listed.deselected}:
        if not NODE_ID.match(node):
            problems.append(f"{node}: not a pytest node id of moto's tests (tests/test_<service>/<file>.py::<test>)")
    for node, text in listed.expected.items():
        cells = [c.strip() for c in text.split("|") if c.strip()]
        recording = RECORDING.search(cells[0]) if cells else None
        if recording:
            if len(cells) != 3:
                problems.append(f"{node}: needs the AWS recording, the recorded message quoted and what moto expects")
                continue
            quote = RECORDED_QUOTE.match(cells[1])
            if not quote:
                problems.append(f"{node}: the recording's cell must be the recorded message quoted (\"...\")")
                continue
            if recorded is None:
                recorded = recorded_responses(cases)
            found = recorded.get((recording["file"], recording["key"], recording["entry"]))
            if found is None:
                problems.append(f"{node}: the recording {recording['file']} {recording['key']} {recording['entry']} "
                                f"is not one that tests/parity/cases holds")
            elif found["recorded"] != recording["date"]:
                problems.append(f"{node}: the recording is dated {found['recorded']} in tests/parity/cases "
                                f"({found['case']}), not {recording['date']}")
            elif not (quote["message"] == found["message"]
                      or (found["response"] and quote["message"] in found["response"])):
                problems.append(f"{node}: the quote is neither the recorded message nor a passage of the recorded "
                                f"response ({found['case']})")
            continue
        if not URL.search(cells[0] if cells else ""):
            problems.append(f"{node}: no AWS documentation page (https://docs.aws.amazon.com/...) "
                            f"nor AWS-recorded response (\"AWS-recorded response: localstack/localstack ...\")")
        if len(cells) != 3:
            problems.append(f"{node}: needs the AWS page, the quoted sentence that settles it and what moto expects")
        elif not QUOTE.search(cells[1]):
            problems.append(f"{node}: no quoted sentence of the AWS page (\"...\") that settles the claim")
    for node, text in listed.deselected.items():
        if not text:
            problems.append(f"{node}: deselected without a reason")
    both = set(listed.expected) & set(listed.deselected)
    problems += [f"{node}: both expected to fail and deselected" for node in sorted(both)]
    return problems


# ----------------------------------------------------------------------------------------------- the run


def moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def unpack(work: Path, version: str) -> Path:
    """`work` with moto's tests/ unpacked from the sdist (downloaded with pip if needed)."""
    if (work / "tests" / "conftest.py").exists():
        return work
    download = work.parent / f"moto-sdist-{version}"
    sdist = download / f"moto-{version}.tar.gz"
    if not sdist.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                        f"moto=={version}", "-d", str(download)], check=True)
    work.mkdir(parents=True, exist_ok=True)
    prefix = f"moto-{version}/"
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(prefix + "tests/")
                   or m.name in (prefix + "pyproject.toml", prefix + "setup.cfg")]
        for m in members:
            m.name = m.name[len(prefix):]
        tar.extractall(work, members=members, filter="data")
    return work


def node_id(case: ET.Element, work: Path) -> str:
    """A junit test case's pytest node id (classname is dotted: module, then any test class)."""
    parts = case.get("classname", "").split(".")
    for i in range(len(parts), 0, -1):
        if (work / Path(*parts[:i])).with_suffix(".py").exists():
            return "::".join(["/".join(parts[:i]) + ".py", *parts[i:], case.get("name", "")])
    return "/".join(parts) + "::" + case.get("name", "")


def run_service(service: str, work: Path, listed: Listed, workers: int, timeout: int, baseline: bool) -> dict:
    report = work / f"report-{service}{'-baseline' if baseline else ''}.xml"
    report.unlink(missing_ok=True)
    folder = f"tests/test_{service}"
    command = [sys.executable, "-m", "pytest", folder, "-q", "-p", "no:cacheprovider", "-p", "benchmarks.moto_upstream",
               "--timeout", str(timeout), "-m", "not network and not requires_docker", f"--junitxml={report}",
               "-o", "junit_family=xunit1"]
    if workers > 1:
        command += ["-n", str(workers)]
    command += [f"--deselect={node}" for node in listed.deselected if node.startswith(folder + "/")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               MOTO_UPSTREAM_BASELINE="1" if baseline else "0", TESTS_SKIP_REQUIRES_DOCKER="true")
    started = time.monotonic()
    subprocess.run(command, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    seconds = time.monotonic() - started
    if not report.exists():
        return {"service": service, "error": "pytest wrote no report", "seconds": seconds}
    counts = {"tests": 0, "passed": 0, "failed": 0, "skipped": 0}
    failed: dict[str, str] = {}
    for case in ET.parse(report).iter("testcase"):
        counts["tests"] += 1
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            counts["failed"] += 1
            failed[node_id(case, work)] = (problem.get("message") or "").splitlines()[0][:200] if problem.get(
                "message") else ""
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return {"service": service, **counts, "seconds": round(seconds, 1), "failures": failed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", default=",".join(SERVICES), help="comma-separated moto test folders")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers per service (default 2)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per test (pytest-timeout)")
    parser.add_argument("--work", type=Path, help="where moto's tests are unpacked (outside the repository)")
    parser.add_argument("--baseline", action="store_true", help="plain moto, without our fixes")
    args = parser.parse_args(argv)

    listed = read_list()
    problems = list_problems(listed)
    if problems:
        print("The list of expected failures is malformed:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    version = moto_version()
    work = (args.work or Path(tempfile.gettempdir()) / f"moto-upstream-{version}").resolve()
    if REPO in work.parents or work == REPO:
        print(f"--work must be outside the repository: {work}", file=sys.stderr)
        return 2
    unpack(work, version)

    results = []
    for service in [s.strip() for s in args.services.split(",") if s.strip()]:
        result = run_service(service, work, listed, args.workers, args.timeout, args.baseline)
        results.append(result)
        print(f"{service:28} {result.get('tests', 0):5} tests {result.get('passed', 0):5} passed "
              f"{result.get('failed', 0):4} failed {result.get('skipped', 0):4} skipped  {result['seconds']:7.1f} s"
              + (f"  ERROR: {result['error']}" if "error" in result else ""), flush=True)

    failures = {node: why for r in results for node, why in r.get("failures", {}).items()}
    ran = {r["service"] for r in results}
    listed_here = {n for n in listed.expected if n.split("/")[1][len("test_"):] in ran}
    unexpected = sorted(set(failures) - set(listed.expected))
    now_pass = sorted(listed_here - set(failures))
    totals = {k: sum(r.get(k, 0) for r in results) for k in ("tests", "passed", "failed", "skipped")}
    print(f"{'total':28} {totals['tests']:5} tests {totals['passed']:5} passed {totals['failed']:4} failed "
          f"{totals['skipped']:4} skipped; {len(listed.deselected)} deselected by the list; "
          f"{len(set(failures) & set(listed.expected))} failures on the list")
    if args.baseline:
        print("Baseline (plain moto) failures:\n  " + "\n  ".join(f"{n}  {w}" for n, w in sorted(failures.items())))
    else:
        if unexpected:
            print("Failures NOT on the list (regressions, or list them with the AWS page or recording that settles):")
            for node in unexpected:
                print(f"  {node}  {failures[node]}")
        if now_pass:
            print("On the list but passing now (remove them from the list):\n  " + "\n  ".join(now_pass))
    print(json.dumps({"moto": version, "baseline": args.baseline, **totals, "deselected": len(listed.deselected),
                      "expected_failures": len(set(failures) & set(listed.expected)), "unexpected": unexpected,
                      "now_pass": now_pass, "errors": [r["service"] for r in results if "error" in r]}))
    if any("error" in r for r in results):
        return 1
    return 0 if args.baseline or not unexpected else 1


if __name__ == "__main__":
    sys.exit(main())
