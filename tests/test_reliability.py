"""Reliability of the workshop (issue 5): re-runs, fresh kernels, restarts and resets of the sandbox, cleanup.

Every notebook runs headless through `utils.runner` (the code behind `python -m utils run`), each in a fresh
python3 kernel, as a learner who restarts the kernel would run it. Between notebooks the runner calls its `echo`
callback synchronously (the next notebook does not start until it returns); the `Workshop` helper below uses
that moment to record the sandbox's state, to copy the executed notebook, and to change the sandbox's settings
(faults, delays) for the next notebook. tests/test_faults.py reuses it.

Cleanup from every prefix of the workshop, where each is proved:
- 00 -> 07, 00-01 -> 07, 00-02 -> 07, 00-03 -> 06: tests/test_notebooks.py (test_cleanup_*);
- 00-04 -> 06: test_cleanup_after_the_allow_test below;
- 00-05 -> 06: every full run (tests/test_notebooks.py, test_every_notebook_twice_in_a_row below,
  tests/test_faults.py);
- a stack in ROLLBACK_COMPLETE, a failed endpoint creation, a reset sandbox: tests/test_faults.py and
  test_a_reset_sandbox_is_detected below.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.conftest import reset_sandbox, set_settings
from utils import config, endpoint, inventory, runner, stack, target

NOTEBOOKS = {p.name[:2]: p for p in runner.discover()}
STATUS_LINE = re.compile(r"^\s+(\d\d_\w+)\s+(ok|failed)\s")


def text_of(path: Path) -> str:
    """Everything a notebook printed or displayed (outputs of its code cells)."""
    nb = nbformat.read(path, as_version=4)
    return "\n".join(
        "".join(o.get("text", "")) + json.dumps(o.get("data", {})) + (o.get("evalue") or "")
        for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )


def sandbox_client(service: str, region: str = "us-east-1"):
    """A client of the test process for the sandbox that AWS_ENDPOINT_URL names (the same as the kernels use)."""
    if target._active is None:
        target.activate("sandbox")
    return target.client(service, region)


def workshop_state(cfg: config.WorkshopConfig) -> dict:
    """What exists of the workshop: the inventory, the role's inline policies, endpoint policies, the function."""
    rows = inventory.collect(cfg, sandbox_client)
    state = {"resources": sorted((r["type"], r["id"]) for r in rows), "inline_policies": {},
             "endpoint_policies": {}, "function": None}
    desc = stack.describe(sandbox_client("cloudformation", cfg.region), cfg.stack_name)
    out = stack.outputs_of(desc) if desc else {}
    if "FunctionRoleName" in out:
        iam, lam = sandbox_client("iam", cfg.region), sandbox_client("lambda", cfg.region)
        role = out["FunctionRoleName"]
        state["inline_policies"] = {
            name: iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            for name in iam.list_role_policies(RoleName=role)["PolicyNames"]}
        fn = lam.get_function_configuration(FunctionName=out["FunctionName"])
        state["function"] = {"code": fn["CodeSha256"], "env": fn["Environment"]["Variables"],
                             "subnets": sorted((fn.get("VpcConfig") or {}).get("SubnetIds") or [])}
    ec2 = sandbox_client("ec2", cfg.region)
    for ep in endpoint.find_all(ec2, None, cfg.tag_filters):
        state["endpoint_policies"][ep["VpcEndpointId"]] = json.loads(ep["PolicyDocument"])
    return state


class Workshop:
    """Headless runs of the workshop's notebooks that record what each one left behind.

    `run(["00", "01"], after={"00": callback})`: `callback(state)` runs after notebook 00 and before the next
    one starts. `self.runs` lists (notebook, status, state, copy of the executed notebook) in run order.
    """

    def __init__(self, root: Path):
        self.root = root
        self.runs: list[dict] = []
        self.lines: list[str] = []
        self.count = 0

    def config(self) -> config.WorkshopConfig | None:
        try:
            return config.load()
        except config.ConfigError:
            return None

    def state(self) -> dict | None:
        cfg = self.config()
        return workshop_state(cfg) if cfg else None

    def run(self, books: list[str], after: dict | None = None, *, record: bool = True) -> runner.Report:
        self.count += 1
        out_root = self.root / f"runs-{self.count}"
        paths = [NOTEBOOKS[b] for b in books]
        after = after or {}

        def echo(line: str) -> None:
            self.lines.append(line)
            m = STATUS_LINE.match(line)
            if not m:
                return
            name, status = m.groups()
            executed = next(out_root.glob(f"*/{name}.ipynb"))
            keep = self.root / "executed" / f"{len(self.runs):02d}-{name}.ipynb"
            keep.parent.mkdir(exist_ok=True)
            shutil.copy(executed, keep)
            state = self.state() if record else None
            self.runs.append({"notebook": name[:2], "status": status, "state": state, "output": keep})
            if name[:2] in after:
                after[name[:2]](state)

        original = runner.discover
        runner.discover = lambda only=None, lang="en": paths  # the given order, repeats included
        try:
            return runner.run(out_root=out_root, echo=echo)
        finally:
            runner.discover = original

    def last(self, number: str) -> dict:
        return [r for r in self.runs if r["notebook"] == number][-1]

    def text(self, number: str) -> str:
        return text_of(self.last(number)["output"])

    def summary(self, report: runner.Report) -> str:
        return "\n".join(self.lines) + "\n" + "\n".join(f"{r.notebook}: {r.error}" for r in report.results
                                                          if r.error)


def remaining() -> list[dict]:
    cfg = config.load()
    return inventory.collect(cfg, sandbox_client)


@pytest.fixture
def workshop(workshop_env, sandbox):
    """The shared notebook-run environment (tests/conftest.py) and a `Workshop` over it."""
    yield Workshop(workshop_env)
    set_settings(sandbox.url, {"timing_scale": 0, "policy_propagation_seconds": 0, "faults": {}})


# ---------------------------------------------------------------------------------------------- re-runs

@pytest.mark.slow
def test_every_notebook_twice_in_a_row(workshop):
    """00 00 01 01 ... 07 07, each in a fresh kernel: the second run of each passes and changes nothing."""
    books = [n for n in NOTEBOOKS for _ in range(2)]
    report = workshop.run(books)
    assert report.ok, workshop.summary(report)
    runs = workshop.runs
    assert [r["notebook"] for r in runs] == books
    for first, second in zip(runs[0::2], runs[1::2], strict=True):
        assert second["state"] == first["state"], f"running {first['notebook']} again changed the workshop"

    states = {r["notebook"]: r["state"] for r in runs}
    kinds = {n: [t for t, _ in s["resources"]] for n, s in states.items()}
    assert kinds["00"] == []
    for n in ("01", "02", "03", "04", "05"):
        assert kinds[n].count("cloudformation stack") == 1 and kinds[n].count("lambda function") == 1, n
    for n in ("02", "03", "04", "05"):
        assert kinds[n].count("vpc endpoint") == 1 and len(states[n]["endpoint_policies"]) == 1, n
    for n in ("03", "04", "05"):
        assert set(states[n]["inline_policies"]) == {"write-own-logs", "enivpce-policy",
                                                     "lambda-bedrock-sourcevpce-access-only"}, n
        assert len(states[n]["function"]["subnets"]) == 2, n
    assert states["07"]["resources"] == []
    assert remaining() == []

    # What the second, fresh kernel found (state from the config file and AWS, nothing from an earlier kernel).
    second = {r["notebook"]: text_of(r["output"]) for r in runs[1::2]}
    assert "already exists: CREATE_COMPLETE" in second["01"] and "already runs this code" in second["01"]
    assert re.search(r"Found vpce-[0-9a-f]+ \(available\)", second["02"])
    assert "is already in the VPC (this notebook ran before)" in second["03"]
    assert "is already attached to" in second["03"]
    assert "CloudTrail confirms: the call came through vpce-" in second["04"]
    assert "Deny blocked the call; Allow restored it." in second["05"]
    assert "No endpoint to delete." in second["07"] and "No stack to delete." in second["07"]

    # Least privilege of what the notebooks really wrote (the same checks as tests/test_security.py).
    from tests.test_security import workshop_policy_problems

    for where, doc in [*states["05"]["inline_policies"].items(), *states["05"]["endpoint_policies"].items()]:
        assert workshop_policy_problems(doc, where) == []


# ---------------------------------------------------------------------------------------------- cleanup

@pytest.mark.slow
def test_cleanup_after_the_allow_test(workshop):
    """07 after 00-04 (the one prefix tests/test_notebooks.py does not run): nothing remains."""
    report = workshop.run(["00", "01", "02", "03", "04", "07"])
    assert report.ok, workshop.summary(report)
    assert workshop.last("04")["state"]["resources"], "04 left the workshop in place"
    text = workshop.text("07")
    assert re.search(r"Deleted enivpce-policy", text) and "left the VPC" in text and "is deleted" in text
    assert "Nothing of the workshop remains." in text
    assert remaining() == []


# ---------------------------------------------------------------------------------------------- restarts, resets

def _error(report: runner.Report, number: str) -> str:
    return next(r.error for r in report.results if r.notebook.startswith(number))


@pytest.mark.slow
def test_a_reset_sandbox_is_detected(workshop, sandbox, monkeypatch):
    """After a reset (or a lost endpoint) each notebook stops at its first check and names the notebook to re-run."""
    report = workshop.run(["00", "01", "02"])
    assert report.ok, workshop.summary(report)

    # Someone deleted the endpoint (console, another notebook): 03 says to run 02.
    ec2 = sandbox_client("ec2")
    ids = list(workshop.last("02")["state"]["endpoint_policies"])
    ec2.delete_vpc_endpoints(VpcEndpointIds=ids)
    report = workshop.run(["03"])
    assert not report.ok
    assert "Run notebook 02_vpc_endpoint" in _error(report, "03"), workshop.summary(report)

    # The sandbox is reset (python -m sandbox reset): the stack is gone; every later notebook says to run 01.
    reset_sandbox(sandbox.url)
    for number in ("02", "03", "04", "05"):
        report = workshop.run([number], record=False)
        assert [r.status for r in report.results] == ["failed"], workshop.summary(report)
        error = _error(report, number)
        assert "StackMissing" in error and "Run notebook 01_stack first" in error, error
        assert "restarted or reset, start again from 00" in error, error
    report = workshop.run(["07"])
    assert report.ok, workshop.summary(report)
    assert "No stack to delete." in workshop.text("07")

    # The sandbox is not running at all: the first cell says how to start it.
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead)
    report = workshop.run(["03"], record=False)
    error = _error(report, "03")
    assert "TargetError" in error and "no sandbox answers there" in error and "python -m sandbox start" in error


@pytest.mark.slow
def test_sandbox_state_survives_stop_and_start(workshop, tmp_path, monkeypatch):
    """00-02, `python -m sandbox stop`, `start`, then 03-06 continue on the same stack and endpoint."""
    from sandbox import control

    state_dir = tmp_path / "sandbox-state"
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(state_dir))
    monkeypatch.delenv("SANDBOX_PERSIST", raising=False)
    port = runner._free_port(0)
    info = control.start(port)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", info["url"])
        target._active = None
        report = workshop.run(["00", "01", "02"])
        assert report.ok, workshop.summary(report)
        before = workshop.last("02")["state"]
        (endpoint_id,) = before["endpoint_policies"]

        assert "sandbox stopped" in control.stop()
        assert (state_dir / "state.pickle").exists()
        assert not control.healthy(info["url"])
        info = control.start(port)
        target._active = None
        target._client_cache.clear()
        assert workshop.state() == before, "the restarted sandbox lost or changed the workshop's resources"

        report = workshop.run(["03", "04", "05", "07"])
        assert report.ok, workshop.summary(report)
        assert f"Endpoint {endpoint_id}" in workshop.text("03")
        assert "CloudTrail confirms: the call came through " + endpoint_id in workshop.text("04")
        assert "Nothing of the workshop remains." in workshop.text("07")
        assert remaining() == []
    finally:
        control.stop()
        target._active = None
        target._client_cache.clear()



@pytest.mark.parametrize("number", ["04", "05"])
def test_the_invoke_being_taught_stands_on_its_own_line(number):
    """Issue 11: `response = lam.invoke(...)` on its own line in the cell, inside a visible retry loop at most;
    never inside a function passed to a helper."""
    import ast

    nb = nbformat.read(NOTEBOOKS[number], as_version=4)
    found = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or "lam.invoke(" not in cell.source:
            continue
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.Lambda)):
                assert "lam.invoke(" not in ast.unparse(node), f"{number} hides lam.invoke in a function"
        calls = [line.strip() for line in cell.source.splitlines() if "lam.invoke(" in line]
        assert all(line.startswith("response = lam.invoke(") for line in calls), calls
        found += len(calls)
    assert found >= 1
