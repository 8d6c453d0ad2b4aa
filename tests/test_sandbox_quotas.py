"""Service Quotas in the sandbox (issue 9): VPCs per Region is 5, and CreateVpc enforces it."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def test_vpcs_per_region_quota(aws):
    quota = aws("service-quotas").get_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]
    assert quota["QuotaName"] == "VPCs per Region"
    assert quota["Value"] == 5.0
    assert quota["QuotaArn"] == "arn:aws:servicequotas:us-east-1:123456789012:vpc/L-F678F1CE"


def test_sixth_vpc_is_refused_counting_the_default_vpc(aws):
    ec2 = aws("ec2")
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1  # the default VPC
    for i in range(4):
        ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")
    with pytest.raises(ClientError) as err:
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
    assert err.value.response["Error"]["Code"] == "VpcLimitExceeded"
    assert err.value.response["Error"]["Message"] == "The maximum number of VPCs has been reached."
    # Another Region has its own quota.
    aws("ec2", region="us-west-2").create_vpc(CidrBlock="10.9.0.0/16")


def test_quota_fails_a_stack_with_the_vpc_resource_reason(aws):
    ec2 = aws("ec2")
    for i in range(4):
        ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")
    cfn = aws("cloudformation")
    cfn.create_stack(StackName="one-too-many", TemplateBody=json.dumps(
        {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.8.0.0/16"}}}}))
    events = cfn.describe_stack_events(StackName="one-too-many")["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed and "The maximum number of VPCs has been reached." in failed[0]["ResourceStatusReason"]
    assert cfn.describe_stacks(StackName="one-too-many")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
