"""Fixtures of the browser tests: a sandbox process, JupyterLab against it, and Chromium.

Missing pieces (Chromium, playwright, jupyterlab) skip the tests on a workstation with the reason shown, and
FAIL them in CI (CI=true): a browser test that silently does not run proves nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ui.lab import CHROMIUM, CHROMIUM_ARGS, JupyterLab, browser_missing, free_port, stop_strays

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("WORKSHOP_SCREENSHOTS") or REPO / "runs" / "screenshots")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture
def requirements():
    reason = browser_missing()
    if reason:
        if _in_ci():
            pytest.fail(f"browser test cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def ui_sandbox(requirements, tmp_path, monkeypatch):
    """A sandbox in its own process (python -m sandbox serve), with its state in a temporary folder."""
    from sandbox import control

    monkeypatch.setenv("SANDBOX_STATE_DIR", str(tmp_path / "sandbox-state"))
    info = control.start(free_port())  # not 4599: a learner's own sandbox may use it
    try:
        yield info["url"]
    finally:
        control.stop()


@pytest.fixture
def workshop_config(tmp_path) -> Path:
    return tmp_path / "workshop_config.json"


@pytest.fixture
def kernel_env(ui_sandbox, workshop_config) -> dict:
    """The environment of JupyterLab and so of its kernels: the sandbox, dummy credentials, a private config."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WORKSHOP_", "AWS_", "JUPYTER_", "SANDBOX_")) and k not in ("PYTEST_CURRENT_TEST",)}
    env.update({
        "AWS_ENDPOINT_URL": ui_sandbox,
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "WORKSHOP_CONFIG": str(workshop_config),
        "WORKSHOP_REQUIRE_SANDBOX": "1",  # the kernels refuse anything but the loopback sandbox
        "PYTHONPATH": str(REPO) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else ""),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    return env


@pytest.fixture
def lab(kernel_env, tmp_path):
    server = JupyterLab(REPO, tmp_path, kernel_env)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(requirements, tmp_path):
    from playwright.sync_api import sync_playwright

    home = tmp_path / "chromium-home"  # Chromium's crash-report database goes under $XDG_CONFIG_HOME, not ~/.config
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")}
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                viewport={"width": 1400, "height": 1100}, timeout=60_000, env=env)
            try:
                context.set_default_timeout(30_000)
                yield context.pages[0] if context.pages else context.new_page()
            finally:
                context.close()
    finally:
        stop_strays(str(tmp_path / "chromium-"))  # e.g. chrome_crashpad_handler, which detaches from the browser


@pytest.fixture
def notebooks_untouched():
    """The committed notebooks must come out of the browser test byte for byte as they went in."""
    before = {p: p.read_bytes() for p in (REPO / "notebooks").rglob("*.ipynb")}
    yield
    changed = [p.name for p, data in before.items() if p.read_bytes() != data]
    for p in changed:  # undo what the test did, then fail
        p.write_bytes(before[p])
    assert not changed, f"the browser test changed committed notebooks: {changed} (restored)"
