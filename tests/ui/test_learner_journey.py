"""The learner's journey in a real browser: JupyterLab 4 in Chromium, against a sandbox.

1. Open 00 and run it down to the form. Type an invalid account ID: the message shows and Save is disabled.
   Type a valid one with dashes: it is normalised. Pick the region and a model, click Save: the file is written.
   Run the rest of 00.
2. Run 01-03 headless (`python -m utils run --only 01,02,03`, the learner's command) on the same sandbox.
3. Open 04 and run it: the model's reply, the private-path evidence and a green path view. The architecture
   diagram (Mermaid) renders.
4. Open 05 and run it, with a policy propagation delay in the sandbox so that the wait shows its progress bar:
   the Deny explanation, the path view red at the endpoint, then green again.

Screenshots go to runs/screenshots/ (WORKSHOP_SCREENSHOTS overrides). Every wait is bounded; the fixtures
stop Chromium, JupyterLab (and its kernels) and the sandbox even when the test fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.ui.conftest import REPO, SCREENSHOTS
from tests.ui.lab import Notebook

pytestmark = pytest.mark.timeout(300)

MODEL = "us.amazon.nova-lite-v1:0"  # not the default: the reply in 04 proves the saved choice travelled


def _widget(area, label: str, kind: str = "input"):
    """The input of the ipywidget whose description is `label`, inside `area`."""
    return area.locator(".widget-inline-hbox", has=area.page.locator("label", has_text=label)).locator(kind).first


def _set_sandbox(url: str, values: dict) -> None:
    req = urllib.request.Request(f"{url}/_sandbox/settings", method="POST", data=json.dumps(values).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


def test_learner_journey(lab, page, ui_sandbox, kernel_env, workshop_config, tmp_path, notebooks_untouched):
    from playwright.sync_api import expect

    t0 = time.monotonic()
    timings: dict[str, float] = {}
    shots: list[str] = []

    def shot(nb: Notebook, name: str):
        shots.append(nb.screenshot(name).name)

    # ------------------------------------------------------------ 00: the form
    nb00 = Notebook(page, lab, "notebooks/00_prerequisites.ipynb", SCREENSHOTS).open()
    form_cell = nb00.index_of("ConfigForm(initial")
    nb00.run("notebook:run-all-above", "the cells above the form", 120, index=form_cell)
    nb00.run("notebook:run-cell", "the form cell", 60, index=form_cell)
    area = nb00.cell(form_cell).locator(".jp-OutputArea")
    account = _widget(area, "Account ID")
    save = area.locator("button.jupyter-button", has_text="Save")
    feedback = area.locator(".widget-html", has_text="account_id")
    expect(account).to_be_visible(timeout=30_000)  # the widget front end rendered the form
    assert not workshop_config.exists()
    timings["00 to the form"] = time.monotonic() - t0

    account.fill("1234-5678-901")  # 11 digits
    account.press("Enter")  # continuous_update=False: the value reaches the kernel on Enter
    expect(feedback).to_contain_text("has 11 digits, not 12", timeout=15_000)
    expect(save).to_be_disabled()
    nb00.scroll_to(form_cell)
    shot(nb00, "01-widget-validation")

    account.fill("1234-5678-9012")
    account.press("Enter")
    expect(account).to_have_value("123456789012", timeout=15_000)  # normalised in the field
    expect(area.locator(".widget-html", has_text="All values are valid")).to_be_visible(timeout=15_000)
    region = _widget(area, "Region", "select")
    region.select_option("us-east-1")
    model = _widget(area, "Model")
    model.fill(MODEL)
    model.press("Enter")
    expect(area.locator(".widget-html", has_text="All values are valid")).to_be_visible(timeout=15_000)
    expect(save).to_be_enabled()
    save.click()
    expect(area.locator(".widget-html", has_text="Saved to")).to_be_visible(timeout=15_000)
    saved = json.loads(workshop_config.read_text())
    # The form also saves the language the notebook runs in (English here), so every helper speaks it afterwards.
    assert saved == {"target": "sandbox", "region": "us-east-1", "account_id": "123456789012", "model_id": MODEL,
                     "prefix": "", "lang": "en"}, saved
    shot(nb00, "02-config-saved")

    nb00.run("notebook:run-all-below", "the rest of 00", 90, index=form_cell + 1)
    assert "All prerequisites are met." in nb00.text()
    nb00.close()
    timings["00"] = time.monotonic() - t0

    # ------------------------------------------------------------ 01-03 headless, the learner's command
    run = subprocess.run([sys.executable, "-m", "utils", "run", "--only", "01,02,03", "--out", str(tmp_path / "runs")],
                         cwd=REPO, env=kernel_env, capture_output=True, text=True, timeout=150)
    assert run.returncode == 0, run.stdout + run.stderr
    timings["01-03 headless"] = time.monotonic() - t0

    # ------------------------------------------------------------ 04: the Allow test
    nb04 = Notebook(page, lab, "notebooks/04_allow_test.ipynb", SCREENSHOTS).open()
    diagram = nb04.cell(nb04.index_of("```mermaid")).locator(".jp-RenderedMermaid img")
    expect(diagram).to_be_visible(timeout=60_000)  # JupyterLab's built-in Mermaid renderer drew the architecture
    nb04.scroll_to(nb04.index_of("```mermaid"))
    shot(nb04, "03-architecture-diagram")
    nb04.run("notebook:run-all-cells", "notebook 04", 150)
    text = nb04.text()
    assert f"Reply ({MODEL})" in text
    assert "resolved to the endpoint's network interfaces" in text
    assert "CloudTrail confirms: the call came through vpce-" in text
    assert "every hop green" in text
    reply_cell = nb04.index_of("response = lam.invoke(")
    nb04.scroll_to(reply_cell, output=True)  # the reply, then the DNS evidence below it
    expect(nb04.cell(reply_cell).locator(".jp-OutputArea")).to_contain_text("Reply (")
    shot(nb04, "04-allow-reply-and-evidence")
    path_cell = nb04.index_of("pathview.show(cfg)")
    boxes = nb04.cell(path_cell).locator(".workshop-hop-ok")
    expect(boxes).to_have_count(3, timeout=15_000)
    expect(nb04.cell(path_cell).locator(".jp-RenderedMermaid img")).to_be_visible(timeout=30_000)
    nb04.scroll_to(path_cell)
    shot(nb04, "05-path-view-green")
    nb04.close()
    timings["04"] = time.monotonic() - t0

    # ------------------------------------------------------------ 05: the Deny test, with a visible wait
    _set_sandbox(ui_sandbox, {"policy_propagation_seconds": 8.0})
    nb05 = Notebook(page, lab, "notebooks/05_deny_test.ipynb", SCREENSHOTS).open()
    nb05.command("notebook:run-all-cells")
    bar = page.locator(".jp-OutputArea .widget-hprogress").first  # tqdm.auto's bar: an ipywidgets progress bar
    expect(bar).to_be_visible(timeout=60_000)
    bar.scroll_into_view_if_needed()
    shot(nb05, "06-progress-bar")
    wait_cell = nb05.index_of('waiting.Retry(say.text("wait_deny")')
    label = nb05.cell(wait_cell).locator(".jp-OutputArea", has_text="waiting for the Deny policy")
    expect(label.first).to_be_visible(timeout=5_000)  # what is awaited, next to the bar
    state = _wait_idle(nb05)
    assert not any(c["errors"] for c in state["cells"]), [c["errors"] for c in state["cells"] if c["errors"]]
    text = nb05.text()
    assert "with an explicit deny in a VPC endpoint policy" in text
    assert "Denied by the VPC endpoint policy (explicit Deny)" in text
    assert "Deny blocked the call; Allow restored it." in text
    assert "OK: the Deny policy to take effect" in text  # the one-line summary after the bar
    # A wait that succeeded leaves no bar behind, least of all a red one (tqdm paints a short bar "danger").
    expect(page.locator(".jp-OutputArea .widget-hprogress")).to_have_count(0)
    expect(page.locator(".jp-OutputArea .progress-bar-danger")).to_have_count(0)
    explain_cell = nb05.index_of("explanation = explain.explain(denied")
    nb05.scroll_to(explain_cell, output=True)  # the explanation, then the path view, red at the endpoint
    shot(nb05, "07-deny-explanation")
    deny_path = nb05.index_of('endpoint_hop = next(')
    expect(nb05.cell(deny_path).locator(".workshop-hop-bad")).to_have_count(1)
    expect(nb05.cell(deny_path).locator(".workshop-hop-bad")).to_contain_text("explicit Deny")
    nb05.scroll_to(deny_path)
    shot(nb05, "08-path-view-deny-red")
    allow_path = nb05.index_of("hops = pathview.show(cfg)", last=True)
    assert allow_path > deny_path
    expect(nb05.cell(allow_path).locator(".workshop-hop-ok")).to_have_count(3)
    nb05.close()
    timings["05"] = time.monotonic() - t0

    print(f"\nbrowser journey: {', '.join(f'{k} at {v:.0f} s' for k, v in timings.items())}; "
          f"screenshots in {SCREENSHOTS}: {', '.join(shots)}")


def _wait_idle(nb: Notebook, timeout: float = 150) -> dict:
    from tests.ui.lab import bounded_wait

    def done():
        s = nb.state()
        if s is None or s["busy"] or s["kernel"] != "idle":
            return None
        code = [c for c in s["cells"] if c["type"] == "code"]
        if any(c["errors"] for c in code):
            return s
        return s if all(c["count"] for c in code) else None

    return bounded_wait(done, f"{nb.relpath} to finish running", timeout, interval=0.25)
