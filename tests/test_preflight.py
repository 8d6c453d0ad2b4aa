"""Preflight (notebook 00) on the sandbox: permissions, Bedrock in the region, zones, VPC quota, model lifecycle."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from utils import preflight
from utils.config import WorkshopConfig
from utils.doctor import Report


def _cfg(model="us.amazon.nova-micro-v1:0", region="us-east-1"):
    return WorkshopConfig(target="sandbox", region=region, account_id="123456789012", model_id=model)


@pytest.fixture
def client(aws):
    return lambda service, region="us-east-1": aws(service, region)


def _by_name(report: Report) -> dict:
    return {c.name: c for c in report.checks}


def test_all_checks_pass_for_the_sandbox_administrator(client):
    caller = client("sts").get_caller_identity()["Arn"]
    report = preflight.run(_cfg(), client, caller)
    assert report.ok, report.text()
    checks = _by_name(report)
    assert set(checks) == {"caller permissions", "Amazon Bedrock in the region",
                           "endpoint service AZs match the subnets", "VPC quota headroom", "model lifecycle ACTIVE"}
    assert f"all {len(preflight.WORKSHOP_ACTIONS)} workshop actions allowed" in checks["caller permissions"].detail
    zones = checks["endpoint service AZs match the subnets"]
    assert "notebook 01 will use ['us-east-1a', 'us-east-1b']" in zones.detail


def test_vpc_quota_without_headroom_fails_with_the_fix(client):
    ec2 = client("ec2")
    quota, _ = preflight.vpc_quota(client("service-quotas"))
    while len(ec2.describe_vpcs()["Vpcs"]) < quota:
        ec2.create_vpc(CidrBlock="10.20.0.0/16")
    report = Report()
    assert preflight.check_vpc_quota(report, ec2, client("service-quotas")) <= 0
    check = report.checks[0]
    assert not check.ok and "room for 0 more" in check.detail and "Service Quotas" in check.fix
    ok_again = Report()
    preflight.check_vpc_quota(ok_again, ec2, None, stack_exists=True)  # the stack's VPC already counts
    assert ok_again.ok


def test_vpc_quota_defaults_to_five_when_service_quotas_is_unreadable():
    class Denied:
        def get_service_quota(self, **kw):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetServiceQuota")

        get_aws_default_service_quota = get_service_quota

    assert preflight.vpc_quota(Denied())[0] == 5
    assert preflight.vpc_quota(None) == (5, "assumed default 5")


def test_end_of_life_model_fails_with_current_models(client):
    report = Report()
    status = preflight.check_model(report, client("bedrock"), "anthropic.claude-3-haiku-20240307-v1:0", "us-east-1")
    assert status != "ACTIVE" and not report.ok
    assert "us.amazon.nova-micro-v1:0" in report.checks[0].fix


def test_legacy_model_is_not_active(client):
    report = Report()
    assert preflight.check_model(report, client("bedrock"), "us.anthropic.claude-opus-4-1-20250805-v1:0",
                                 "us-east-1") == "LEGACY"
    assert not report.ok


def test_simulation_that_is_not_allowed_says_so():
    class NoSimulate:
        def get_role(self, **kw):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetRole")

        def get_paginator(self, name):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "User is not authorized to perform: "
                                         "iam:SimulatePrincipalPolicy"}}, "SimulatePrincipalPolicy")

    report = Report()
    preflight.check_permissions(report, NoSimulate(), "arn:aws:sts::123456789012:assumed-role/Studio/me")
    check = report.checks[0]
    assert not check.ok and "could not simulate arn:aws:iam::123456789012:role/Studio" in check.detail
    assert "iam:SimulatePrincipalPolicy" in check.fix


def test_policy_source_of_users_and_sessions():
    assert preflight.policy_source_arn("arn:aws:iam::123456789012:user/alice") == "arn:aws:iam::123456789012:user/alice"
    assert preflight.policy_source_arn("arn:aws:sts::123456789012:assumed-role/R/s") == \
        "arn:aws:iam::123456789012:role/R"


def test_a_read_that_fails_is_a_failed_check_not_a_traceback(client):
    """AccessDenied on one of preflight's own reads (here ec2:DescribeVpcs) is a FAIL line with its fix."""

    def denying(service, region="us-east-1"):
        real = client(service, region)
        if service != "ec2":
            return real

        class Ec2:
            def __getattr__(self, name):
                return getattr(real, name)

            def describe_vpcs(self, **kw):
                raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "You are not authorized "
                                             "to perform this operation."}}, "DescribeVpcs")

        return Ec2()

    caller = client("sts").get_caller_identity()["Arn"]
    report = preflight.run(_cfg(), denying, caller)
    failed = {c.name: c for c in report.failures}
    assert set(failed) == {"permission ec2:DescribeVpcs"}, report.text()
    assert "UnauthorizedOperation" in failed["permission ec2:DescribeVpcs"].detail
    assert "ec2:DescribeVpcs" in failed["permission ec2:DescribeVpcs"].fix


def test_a_role_scoped_to_the_workshops_resources_passes_the_permission_check(aws):
    """An instructor's WorkshopParticipant role allows the workshop's actions on the workshop's resources only:
    simulated on Resource "*" those actions are denied, so preflight simulates them again on the workshop's own
    ARNs, and reports what the role really cannot do."""
    import json

    from utils import preflight
    from utils.config import WorkshopConfig
    from utils.doctor import Report

    cfg = WorkshopConfig(target="sandbox", region="us-east-1", account_id="123456789012",
                         model_id="us.amazon.nova-micro-v1:0", prefix="p01")
    iam = aws("iam")
    scoped = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [a for a in preflight.WORKSHOP_ACTIONS
                                       if a.split(":")[0] not in ("cloudformation", "iam", "lambda", "ec2")]
         + ["ec2:Describe*"], "Resource": "*"},
        {"Effect": "Allow", "Action": "cloudformation:*",
         "Resource": "arn:aws:cloudformation:us-east-1:123456789012:stack/*Bedrock-GenAI-Stack/*"},
        {"Effect": "Allow", "Action": ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
                                       "iam:PassRole", "iam:DeleteRole"],
         "Resource": "arn:aws:iam::123456789012:role/*Bedrock*"},
        {"Effect": "Allow", "Action": "lambda:*",
         "Resource": "arn:aws:lambda:us-east-1:123456789012:function:*BedrockTestLambdaFunction*"},
        {"Effect": "Allow", "Action": ["ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateSecurityGroup",
                                       "ec2:AuthorizeSecurityGroupIngress"],
         "Resource": ["arn:aws:ec2:us-east-1:123456789012:vpc/*", "arn:aws:ec2:us-east-1:123456789012:subnet/*",
                      "arn:aws:ec2:us-east-1:123456789012:security-group/*"]},
        {"Effect": "Allow", "Action": ["ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints",
                                       "ec2:CreateTags"],
         "Resource": "arn:aws:ec2:us-east-1:123456789012:vpc-endpoint/*"},
    ]}
    iam.create_role(RoleName="WorkshopParticipant", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"},
                                                "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="WorkshopParticipant", PolicyName="scoped", PolicyDocument=json.dumps(scoped))
    session = "arn:aws:sts::123456789012:assumed-role/WorkshopParticipant/p01"

    on_star = preflight.check_permissions(Report(), iam, session)
    assert on_star["lambda:InvokeFunction"] != "allowed" and on_star["cloudformation:CreateStack"] != "allowed"

    report = Report()
    decisions = preflight.check_permissions(report, iam, session,
                                            resources=preflight.workshop_resources(cfg, "123456789012"))
    assert all(d == "allowed" for d in decisions.values()), {a: d for a, d in decisions.items() if d != "allowed"}
    assert report.ok, report.checks[0].detail

    iam.delete_role_policy(RoleName="WorkshopParticipant", PolicyName="scoped")
    scoped["Statement"] = [st for st in scoped["Statement"] if st["Action"] != "lambda:*"]
    iam.put_role_policy(RoleName="WorkshopParticipant", PolicyName="scoped", PolicyDocument=json.dumps(scoped))
    report = Report()
    decisions = preflight.check_permissions(report, iam, session,
                                            resources=preflight.workshop_resources(cfg, "123456789012"))
    assert decisions["lambda:InvokeFunction"] == "implicitDeny" and not report.ok
    assert "lambda:InvokeFunction (implicitDeny)" in report.checks[0].detail
