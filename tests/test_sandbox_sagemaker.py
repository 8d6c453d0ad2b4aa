"""SageMaker Studio calls in the sandbox (issue 9, section 5): the API and CloudFormation resources."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from tests.conftest import set_settings, wait_for

SCRIPT = base64.b64encode(b"#!/bin/bash\ngit clone https://example.com/workshop.git\n").decode()


def _domain(sm, ec2):
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
    return sm.create_domain(DomainName="room", AuthMode="IAM", VpcId=vpc, SubnetIds=[subnet],
                            DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/studio"})


def test_studio_api_life_cycle(aws, sandbox):
    sm = aws("sagemaker")
    created = _domain(sm, aws("ec2"))
    domain_id = created["DomainId"]
    assert len(domain_id) == 14 and domain_id.startswith("d-")
    assert created["Url"] == f"https://{domain_id}.studio.us-east-1.sagemaker.aws"
    assert sm.describe_domain(DomainId=domain_id)["Status"] == "InService"
    lcc = sm.create_studio_lifecycle_config(StudioLifecycleConfigName="clone-workshop",
                                            StudioLifecycleConfigContent=SCRIPT,
                                            StudioLifecycleConfigAppType="JupyterLab")
    assert lcc["StudioLifecycleConfigArn"].endswith(":studio-lifecycle-config/clone-workshop")
    assert sm.describe_studio_lifecycle_config(StudioLifecycleConfigName="clone-workshop")[
        "StudioLifecycleConfigContent"] == SCRIPT
    arn = sm.create_user_profile(DomainId=domain_id, UserProfileName="p01")["UserProfileArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:user-profile/{domain_id}/p01"
    with pytest.raises(ClientError) as err:
        sm.create_user_profile(DomainId=domain_id, UserProfileName="p01")
    assert err.value.response["Error"]["Code"] == "ResourceInUse"
    assert [p["UserProfileName"] for p in sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]] == ["p01"]
    url = sm.create_presigned_domain_url(DomainId=domain_id, UserProfileName="p01")["AuthorizedUrl"]
    assert url.startswith(f"https://{domain_id}.studio.us-east-1.sagemaker.aws/auth?token=")
    sm.create_space(DomainId=domain_id, SpaceName="p01-space", OwnershipSettings={"OwnerUserProfileName": "p01"},
                    SpaceSharingSettings={"SharingType": "Private"})
    sm.create_app(DomainId=domain_id, SpaceName="p01-space", AppType="JupyterLab", AppName="default")
    apps = sm.list_apps(DomainIdEquals=domain_id)["Apps"]
    assert [(a["AppName"], a["Status"]) for a in apps] == [("default", "InService")]
    with pytest.raises(ClientError) as err:
        sm.delete_space(DomainId=domain_id, SpaceName="p01-space")
    assert err.value.response["Error"]["Code"] == "ResourceInUse"
    sm.delete_app(DomainId=domain_id, SpaceName="p01-space", AppType="JupyterLab", AppName="default")
    assert sm.list_apps(DomainIdEquals=domain_id)["Apps"][0]["Status"] == "Deleted"
    sm.delete_space(DomainId=domain_id, SpaceName="p01-space")
    with pytest.raises(ClientError) as err:
        sm.delete_domain(DomainId=domain_id)
    assert err.value.response["Error"]["Code"] == "ResourceInUse"
    sm.delete_user_profile(DomainId=domain_id, UserProfileName="p01")
    with pytest.raises(ClientError) as err:
        sm.describe_user_profile(DomainId=domain_id, UserProfileName="p01")
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"
    sm.delete_studio_lifecycle_config(StudioLifecycleConfigName="clone-workshop")
    sm.delete_domain(DomainId=domain_id)
    assert sm.list_domains()["Domains"] == []


def test_user_profile_is_pending_first(aws, sandbox):
    sm = aws("sagemaker")
    domain_id = _domain(sm, aws("ec2"))["DomainId"]
    set_settings(sandbox.url, {"timing_scale": 0.02})  # 30 s at scale 1 -> 0.6 s
    sm.create_user_profile(DomainId=domain_id, UserProfileName="late")
    assert sm.describe_user_profile(DomainId=domain_id, UserProfileName="late")["Status"] == "Pending"
    with pytest.raises(ClientError):
        sm.create_presigned_domain_url(DomainId=domain_id, UserProfileName="late")
    wait_for(lambda: sm.describe_user_profile(DomainId=domain_id, UserProfileName="late")["Status"] == "InService",
             "user profile InService", 10)


def test_cloudformation_creates_studio_resources(aws):
    ec2 = aws("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
    template = {
        "Resources": {
            "Lcc": {"Type": "AWS::SageMaker::StudioLifecycleConfig", "Properties": {
                "StudioLifecycleConfigName": "clone-workshop", "StudioLifecycleConfigAppType": "JupyterLab",
                "StudioLifecycleConfigContent": SCRIPT}},
            "Domain": {"Type": "AWS::SageMaker::Domain", "Properties": {
                "DomainName": "room", "AuthMode": "IAM", "VpcId": vpc, "SubnetIds": [subnet],
                "DefaultUserSettings": {"ExecutionRole": "arn:aws:iam::123456789012:role/studio",
                                        "JupyterLabAppSettings": {"LifecycleConfigArns": [
                                            {"Fn::GetAtt": ["Lcc", "StudioLifecycleConfigArn"]}]}}}},
            "Profile": {"Type": "AWS::SageMaker::UserProfile", "Properties": {
                "DomainId": {"Fn::GetAtt": ["Domain", "DomainId"]}, "UserProfileName": "p01"}},
        },
        "Outputs": {"DomainId": {"Value": {"Ref": "Domain"}}, "Url": {"Value": {"Fn::GetAtt": ["Domain", "Url"]}},
                    "ProfileArn": {"Value": {"Fn::GetAtt": ["Profile", "UserProfileArn"]}}},
    }
    cfn = aws("cloudformation")
    cfn.create_stack(StackName="studio", TemplateBody=json.dumps(template))
    stack = cfn.describe_stacks(StackName="studio")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    sm = aws("sagemaker")
    assert sm.describe_domain(DomainId=out["DomainId"])["Url"] == out["Url"]
    assert sm.describe_user_profile(DomainId=out["DomainId"], UserProfileName="p01")["UserProfileArn"] == out[
        "ProfileArn"]
    cfn.delete_stack(StackName="studio")
    assert sm.list_domains()["Domains"] == []
    assert sm.list_studio_lifecycle_configs()["StudioLifecycleConfigs"] == []


def test_studio_survives_a_sandbox_restart(aws, sandbox):
    from sandbox import persistence
    from tests.conftest import reset_sandbox

    sm = aws("sagemaker")
    domain_id = _domain(sm, aws("ec2"))["DomainId"]
    sm.create_user_profile(DomainId=domain_id, UserProfileName="p01")
    blob = persistence.snapshot()
    reset_sandbox(sandbox.url)
    assert sm.list_domains()["Domains"] == []
    persistence.restore(blob)
    assert sm.describe_user_profile(DomainId=domain_id, UserProfileName="p01")["Status"] == "InService"
