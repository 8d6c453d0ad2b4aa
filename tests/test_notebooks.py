"""The workshop end to end: every notebook, in order, headless, on the sandbox; then again, straight after.

Also the notebooks' hygiene: no outputs, kernelspec python3, the sections every notebook has, a diagram,
no placeholders or account IDs, and ruff-clean code (notebooks and utils).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from utils import config, inventory, runner, target

NOTEBOOKS = sorted(runner.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def _text(nb) -> str:
    return "\n".join(
        "".join(o.get("text", "")) + json.dumps(o.get("data", {}))
        for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )


def _remaining() -> list[dict]:
    cfg = config.load()
    target.activate("sandbox")
    return inventory.collect(cfg, target.client)


@pytest.mark.slow
def test_workshop_runs_end_to_end_twice(workshop_env, capsys):
    lines: list[str] = []
    report = runner.run(out_root=workshop_env / "runs", echo=lines.append)
    summary = "\n".join(lines) + "\n" + "\n".join(f"{r.notebook}: {r.error}" for r in report.results if r.error)
    assert report.ok, summary
    assert [r.notebook for r in report.results] == [p.stem for p in NOTEBOOKS]
    assert report.endpoint_url and target.is_loopback(report.endpoint_url)

    executed = {r.notebook[:2]: nbformat.read(r.output, as_version=4) for r in report.results}
    # 03: the negative control, denied by the aws:sourceVpce condition.
    assert "because no identity-based policy allows the bedrock:InvokeModel action" in _text(executed["03"])
    # 04: a reply from the model, the private-path evidence, and the CloudTrail event.
    allow = _text(executed["04"])
    assert "Reply (us.amazon.nova-micro-v1:0)" in allow
    assert "resolved to the endpoint's network interfaces" in allow
    assert "CloudTrail confirms: the call came through vpce-" in allow
    # 05: the exact Deny message, then Allow restored.
    deny = _text(executed["05"])
    assert "with an explicit deny in a VPC endpoint policy" in deny
    assert "Deny blocked the call; Allow restored it." in deny
    # 06: nothing of the workshop left.
    assert "Nothing of the workshop remains." in _text(executed["07"])
    assert _remaining() == []

    # A second run, straight after, passes too and again leaves nothing.
    lines.clear()
    again = runner.run(out_root=workshop_env / "runs", echo=lines.append)
    assert again.ok, "\n".join(lines) + "\n" + "\n".join(f"{r.notebook}: {r.error}" for r in again.results)
    assert _remaining() == []
    with capsys.disabled():
        print("\nper-notebook seconds (run 1 / run 2):",
              ", ".join(f"{a.notebook[:2]} {a.seconds:.1f}/{b.seconds:.1f}" for a, b in
                        zip(report.results, again.results, strict=True)),
              f"; total {report.seconds:.1f} s / {again.seconds:.1f} s")


@pytest.mark.slow
def test_cleanup_alone_on_an_empty_sandbox(workshop_env):
    """07 from the state "only 00 ran": nothing to delete, and it says so."""
    report = runner.run(only=["00", "07"], out_root=workshop_env / "runs", echo=lambda _line: None)
    assert report.ok, [(r.notebook, r.error) for r in report.results]
    text = _text(nbformat.read(report.results[-1].output, as_version=4))
    assert "No endpoint to delete." in text and "No stack to delete." in text
    assert _remaining() == []


@pytest.mark.slow
@pytest.mark.parametrize("done", [["00", "01"], ["00", "01", "02"], ["00", "01", "02", "03"]],
                         ids=["after-01", "after-02", "after-03"])
def test_cleanup_from_a_partial_state(workshop_env, done):
    """07 after a prefix of the workshop: stack only; stack + endpoint; + policies and the function in the VPC."""
    report = runner.run(only=[*done, "07"], out_root=workshop_env / "runs", echo=lambda _line: None)
    assert report.ok, [(r.notebook, r.error) for r in report.results]
    assert _remaining() == []


def test_runner_rejects_unknown_notebook_numbers():
    with pytest.raises(SystemExit, match="no notebook numbered 42"):
        runner.discover(["42"])
    assert [p.name[:2] for p in runner.discover(["0", "07"])] == ["00", "07"]


def test_runner_warm_up_matches_the_notebook():
    assert "pandas" in runner.warm_up_code("show.outputs_table(out)")
    assert "pandas" not in runner.warm_up_code("print(1)")
    assert "ipywidgets" in runner.warm_up_code("form = ConfigForm(initial)")
    assert "target.warm_up(('ec2', 'lambda'))" in runner.warm_up_code(
        'ec2 = target.client("ec2", cfg.region)\nlam = target.client("lambda", cfg.region, read_timeout=120)')


# ---------------------------------------------------------------- hygiene

def test_eight_notebooks_with_the_fixed_numbering():
    assert [p.name[:2] for p in NOTEBOOKS] == ["00", "01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_hygiene(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has committed outputs"
    text = "\n".join(c.source for c in nb.cells)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "<YOUR_VALUE_HERE>" not in text and "YOUR_" not in text
    assert not re.search(r"(?<![\d.-])\d{12}(?![\d.-])", text), f"{path.name} contains something like an account ID"
    assert "%cd" not in text and "sys.path" not in text, "no path hacks: utils is importable from notebooks/"
    assert "sleep(" not in text
    assert nb.cells[0].source.startswith(f"# {path.name[:2]} ")  # a title
    for heading in ("**Objectives**", "**Time**", "**Cost**", "**Prerequisites**", "```mermaid",
                    "## Troubleshooting", "## What you learned"):
        assert heading in markdown, f"{path.name} lacks {heading}"
    assert "You should see" in markdown or "you should see" in markdown
    assert "class " in markdown and "current" in markdown  # the diagram highlights this notebook's step
    if path.name[:2] != "07":
        assert "**Next:**" in markdown
    assert "assert " in text  # "you should see" checks that fail with a message


def test_the_notebooks_show_the_api_calls_they_teach():
    sources = {p.name[:2]: "\n".join(c.source for c in nbformat.read(p, as_version=4).cells) for p in NOTEBOOKS}
    expected = {
        "00": ["sts.get_caller_identity(", "bedrock.list_foundation_models(", "bedrock.get_foundation_model(",
               "ec2.describe_vpc_endpoint_services("],
        "01": ["cfn.create_stack(", "lam.update_function_code(", "ec2.describe_availability_zones("],
        "02": ["ec2.create_vpc_endpoint(", "bedrock.get_inference_profile(", "ec2.describe_network_interfaces("],
        "03": ["iam.put_role_policy(", "lam.invoke(", "lam.update_function_configuration("],
        "04": ["lam.invoke(", "cloudtrail.lookup_events(", "ec2.describe_vpc_endpoints("],
        "05": ["ec2.modify_vpc_endpoint(", "lam.invoke("],
        "06": ["cfn.create_stack(", "ec2.create_transit_gateway(", "ec2.create_transit_gateway_vpc_attachment(",
               "ec2.create_transit_gateway_route(", "ec2.create_route(", "ec2.authorize_security_group_ingress(",
               "ec2.modify_vpc_endpoint(", "iam.put_role_policy(", "resolver.create_resolver_endpoint(",
               "resolver.create_resolver_rule(", "resolver.associate_resolver_rule(", "r53.create_hosted_zone(",
               "r53.change_resource_record_sets(", "lam.invoke("],
        "07": ["ec2.delete_vpc_endpoints(", "lam.update_function_configuration(", "iam.delete_role_policy(",
               "cfn.delete_stack(", "ec2.delete_transit_gateway_vpc_attachment(", "ec2.delete_transit_gateway(",
               "resolver.delete_resolver_rule(", "resolver.delete_resolver_endpoint(", "r53.delete_hosted_zone("],
    }
    for number, calls in expected.items():
        for call in calls:
            assert call in sources[number], f"notebook {number} should show {call}"


@pytest.mark.skipif(shutil.which("ruff") is None and subprocess.run(
    [sys.executable, "-m", "ruff", "--version"], capture_output=True).returncode != 0, reason="ruff not installed")
def test_ruff_on_utils_and_notebooks():
    root = config.repo_root()
    files = ["utils", *[str(p.relative_to(root)) for p in NOTEBOOKS]]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", *files], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
