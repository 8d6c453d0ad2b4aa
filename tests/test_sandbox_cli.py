"""The sandbox's command line and background life cycle: start, status, stop, persistence, AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


@pytest.fixture
def background(tmp_path):
    env = dict(os.environ, SANDBOX_STATE_DIR=str(tmp_path))
    env.pop("AWS_ENDPOINT_URL", None)
    yield env
    cli("stop", env=env, check=False)


def url_of(env: dict) -> str:
    return json.loads((Path(env["SANDBOX_STATE_DIR"]) / "server.json").read_text())["url"]


def test_start_is_idempotent_and_status_reports(background):
    first = cli("start", env=background).stdout
    second = cli("start", env=background).stdout
    assert first.splitlines()[0] == second.splitlines()[0], "a second start reuses the running sandbox"
    assert "sandbox running at http://127.0.0.1:" in cli("status", env=background).stdout
    assert "sandbox stopped" in cli("stop", env=background).stdout
    assert cli("status", env=background, check=False).returncode == 1


def test_state_survives_stop_and_start(background):
    cli("start", env=background)
    ec2 = boto3.client("ec2", endpoint_url=url_of(background), region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=[{
        "ResourceType": "vpc", "Tags": [{"Key": "workshop", "Value": "persist"}]}])["Vpc"]["VpcId"]
    cli("stop", env=background)
    assert (Path(background["SANDBOX_STATE_DIR"]) / "state.pickle").exists()
    cli("start", env=background)
    ec2 = boto3.client("ec2", endpoint_url=url_of(background), region_name="us-east-1")
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:workshop", "Values": ["persist"]}])["Vpcs"]
    assert [v["VpcId"] for v in found] == [vpc]


def test_reset_forgets_everything(background):
    cli("start", env=background)
    ec2 = boto3.client("ec2", endpoint_url=url_of(background), region_name="us-east-1")
    ec2.create_vpc(CidrBlock="10.8.0.0/16", TagSpecifications=[{
        "ResourceType": "vpc", "Tags": [{"Key": "workshop", "Value": "reset"}]}])
    cli("reset", env=background)
    assert not ec2.describe_vpcs(Filters=[{"Name": "tag:workshop", "Values": ["reset"]}])["Vpcs"]


def test_serve_refuses_a_non_loopback_address(background):
    out = cli("serve", "--host", "0.0.0.0", env=background, check=False)
    assert out.returncode != 0
    assert "loopback" in out.stderr


def test_aws_cli_works_against_the_sandbox(sandbox, aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", sandbox.url, "--region", "us-east-1", "--output", "json",
         "ec2", "describe-vpcs", "--vpc-ids", vpc], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Vpcs"][0]["VpcId"] == vpc
