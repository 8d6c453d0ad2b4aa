"""Target selection: the sandbox or AWS, AWS_ENDPOINT_URL, dummy credentials, the tests' loopback-only guard."""

from __future__ import annotations

import pytest

from utils import target


@pytest.fixture(autouse=True)
def clean_state(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CONFIG", str(tmp_path / "none.json"))
    monkeypatch.delenv("WORKSHOP_TARGET", raising=False)
    monkeypatch.delenv("WORKSHOP_REQUIRE_SANDBOX", raising=False)
    yield
    target._active = None
    target._client_cache.clear()
    target._session_holder.clear()


def test_is_loopback():
    assert target.is_loopback("http://127.0.0.1:4599")
    assert target.is_loopback("http://localhost:1")
    assert target.is_loopback("http://[::1]:8080")
    assert not target.is_loopback("https://bedrock-runtime.us-east-1.amazonaws.com")
    assert not target.is_loopback("http://10.0.0.5:4599")


def test_detect(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert target.detect() == ("sandbox", "AWS_ENDPOINT_URL is set")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert target.detect()[0] == "aws"  # conftest sets (fake) credentials in the environment
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert target.detect() == ("sandbox", "no AWS credentials found")


def test_choose_precedence(monkeypatch, tmp_path):
    assert target.choose("aws") == ("aws", "chosen explicitly")
    monkeypatch.setenv("WORKSHOP_TARGET", "sandbox")
    assert target.choose() == ("sandbox", "WORKSHOP_TARGET")


def test_require_sandbox_refuses_aws(monkeypatch):
    monkeypatch.setenv("WORKSHOP_REQUIRE_SANDBOX", "1")
    with pytest.raises(target.TargetError, match="WORKSHOP_REQUIRE_SANDBOX"):
        target.activate("aws")


def test_require_sandbox_refuses_a_remote_endpoint(monkeypatch):
    monkeypatch.setenv("WORKSHOP_REQUIRE_SANDBOX", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://example.com")
    with pytest.raises(target.TargetError, match="not a loopback"):
        target.activate("sandbox")


def test_aws_target_with_a_sandbox_url_is_refused(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4599")
    with pytest.raises(target.TargetError, match="points at a local sandbox"):
        target.activate("aws")


def test_dead_sandbox_url_is_reported(monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(target.TargetError, match="no sandbox answers"):
        target.activate("sandbox")


def test_sandbox_target_uses_the_running_sandbox_and_sets_dummy_credentials(sandbox, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.url)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    tgt = target.activate("sandbox")
    assert tgt.is_sandbox and tgt.endpoint_url == sandbox.url and not tgt.started_sandbox
    import os

    assert os.environ["AWS_ACCESS_KEY_ID"] == "sandbox"
    sts = target.client("sts", "us-east-1")
    assert sts.get_caller_identity()["Account"] == "123456789012"


def test_clients_use_standard_retries_and_validation(sandbox, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.url)
    target.activate("sandbox")
    ec2 = target.client("ec2", "eu-west-1")
    assert ec2.meta.region_name == "eu-west-1"
    assert ec2.meta.config.retries["mode"] == "standard"
    assert ec2.meta.config.parameter_validation is True
    assert target.client("ec2", "eu-west-1") is ec2  # cached per kernel
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        ec2.describe_vpcs(VpcIds="not-a-list")


def test_require_sandbox_guards_client_creation(monkeypatch, sandbox):
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.url)
    target.activate("sandbox")
    monkeypatch.setenv("WORKSHOP_REQUIRE_SANDBOX", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://example.com")
    with pytest.raises(target.TargetError):
        target.client("iam", "us-east-1")
