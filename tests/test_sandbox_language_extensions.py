"""The AWS::LanguageExtensions transform in the sandbox (Fn::ForEach), as the Studio template for events uses it."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from sandbox.language_extensions import expand

TEMPLATE = {
    "Transform": "AWS::LanguageExtensions",
    "Parameters": {"Names": {"Type": "CommaDelimitedList"}},
    "Resources": {
        "Fn::ForEach::Vpcs": ["Name", {"Ref": "Names"}, {
            "Vpc${Name}": {"Type": "AWS::EC2::VPC", "Properties": {
                "CidrBlock": "10.0.0.0/16",
                "Tags": [{"Key": "Name", "Value": {"Fn::Sub": "vpc-${Name}"}},
                         {"Key": "Raw", "Value": {"Ref": "Name"}}]}},
        }],
    },
    "Outputs": {"Count": {"Value": {"Fn::Length": {"Ref": "Names"}}}},
}


def test_expand_for_each():
    out = expand(TEMPLATE, {"Names": "a-1,b"})
    assert "Transform" not in out
    assert sorted(out["Resources"]) == ["Vpca-1", "Vpcb"]
    tags = out["Resources"]["Vpca-1"]["Properties"]["Tags"]
    assert tags == [{"Key": "Name", "Value": {"Fn::Sub": "vpc-a-1"}}, {"Key": "Raw", "Value": "a-1"}]
    assert out["Outputs"]["Count"]["Value"] == "2"  # an output is a string


def test_stack_with_the_transform(aws):
    cfn = aws("cloudformation")
    body = json.dumps(TEMPLATE)
    params = [{"ParameterKey": "Names", "ParameterValue": "a,b"}]
    with pytest.raises(ClientError) as err:
        cfn.create_stack(StackName="loops", TemplateBody=body, Parameters=params)
    assert err.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"
    assert err.value.response["Error"]["Message"] == "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"
    cfn.create_stack(StackName="loops", TemplateBody=body, Parameters=params, Capabilities=["CAPABILITY_AUTO_EXPAND"])
    stack = cfn.describe_stacks(StackName="loops")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"][0]["OutputValue"] == "2"
    resources = cfn.describe_stack_resources(StackName="loops")["StackResources"]
    assert sorted(r["LogicalResourceId"] for r in resources) == ["Vpca", "Vpcb"]
