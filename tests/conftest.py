"""Shared fixtures. Every AWS call a test makes goes to a local sandbox, or fails loudly."""

from __future__ import annotations

import ipaddress
import json
import os
import tempfile
import time
import urllib.parse
import urllib.request

import boto3
import botocore.httpsession
import pytest

# No real credentials, no real AWS: set before anything builds a client.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        # utils.target refuses any endpoint but a loopback sandbox; notebook kernels and CLIs inherit this.
        "WORKSHOP_REQUIRE_SANDBOX": "1",
    }
)
for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(var, None)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
# Tests never read or write the learner's workshop_config.json (its saved language would change every message):
# a test that needs a file sets WORKSHOP_CONFIG to its own.
os.environ["WORKSHOP_CONFIG"] = os.path.join(tempfile.mkdtemp(prefix="workshop-config-tests-"), "workshop_config.json")
# Background sandboxes started by tests keep their pid, log and saved state here, never in the checkout.
os.environ.setdefault("SANDBOX_STATE_DIR", tempfile.mkdtemp(prefix="sandbox-tests-"))
# Sandboxes that tests start take any free port, never the learner's 4599: test processes run in parallel
# (pytest-xdist), and two of them must not race for one port.
os.environ["SANDBOX_PORT"] = "0"


class RealAwsCallError(AssertionError):
    pass


_original_send = botocore.httpsession.URLLib3Session.send


def _loopback_only_send(self, request):
    host = urllib.parse.urlsplit(request.url).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        raise RealAwsCallError(
            f"a test tried to reach {request.url}: every AWS client in tests must point at the local sandbox"
        )
    return _original_send(self, request)


botocore.httpsession.URLLib3Session.send = _loopback_only_send


@pytest.fixture(scope="session")
def sandbox():
    """A sandbox server in this process, on a free loopback port."""
    from sandbox.server import ServerThread

    server = ServerThread().start()
    os.environ["AWS_ENDPOINT_URL"] = server.url
    yield server
    server.stop()
    from sandbox.server import SHUTDOWN_HOOKS

    for hook in SHUTDOWN_HOOKS:
        hook()


def reset_sandbox(url: str) -> None:
    req = urllib.request.Request(f"{url}/_sandbox/reset", method="POST", data=b"{}")
    urllib.request.urlopen(req, timeout=30).read()
    set_settings(url, {"timing_scale": 0, "policy_propagation_seconds": 0, "faults": {}})


def set_settings(url: str, values: dict) -> dict:
    req = urllib.request.Request(
        f"{url}/_sandbox/settings", method="POST", data=json.dumps(values).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


@pytest.fixture
def aws(sandbox):
    """A factory of boto3 clients on a freshly reset sandbox: aws("ec2")."""
    reset_sandbox(sandbox.url)

    def client(service: str, region: str = "us-east-1", **kwargs):
        return boto3.client(service, region_name=region, endpoint_url=sandbox.url, **kwargs)

    return client


@pytest.fixture
def workshop_env(aws, sandbox, tmp_path, monkeypatch):
    """For notebook runs: a reset sandbox, a private config file, no WORKSHOP_* overrides from the caller's
    shell, and the loopback-only guard that the kernels inherit."""
    from utils import config, target

    for var in config.ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WORKSHOP_CONFIG", str(tmp_path / "workshop_config.json"))
    monkeypatch.setenv("WORKSHOP_TARGET", "sandbox")
    monkeypatch.setenv("WORKSHOP_REQUIRE_SANDBOX", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.url)
    target._active = None
    target._client_cache.clear()
    yield tmp_path
    target._active = None
    target._client_cache.clear()


def wait_for(predicate, what: str, timeout: float):
    """Poll `predicate` with backoff until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def instructor_env(workshop_env, sandbox, monkeypatch):
    """For the instructor tooling: a reset sandbox, fresh credentials, and participants' files in the test's folder."""
    from utils.instructor import aws

    aws.forget_credentials()
    monkeypatch.setenv("WORKSHOP_STATUS_WORKERS", "4")
    monkeypatch.setenv("WORKSHOP_INSTRUCTOR_DIR", str(workshop_env / "participants"))
    yield sandbox
    aws.forget_credentials()
