"""The explainer with live state: it evaluates the policy that decided and walks the network path.

Pure: the live state is a hand-built `utils.doctor.gather` result (no AWS, no sandbox), so every statement and
link the explainer names can be checked exactly. The same cases run against the sandbox in tests/test_doctor.py.
"""

from __future__ import annotations

import copy
import json

import pytest

from utils import doctor, explain, policies

ACCT = "123456789012"
ROLE = "Bedrock-GenAI-Stack-FnRole-ABC"
ROLE_ARN = f"arn:aws:iam::{ACCT}:role/{ROLE}"
FUNCTION = "Bedrock-GenAI-Stack-Fn"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/{ROLE}/{FUNCTION}"
PROFILE_ARN = f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/us.amazon.nova-micro-v1:0"
FM = "arn:aws:bedrock:{}::foundation-model/amazon.nova-micro-v1:0"
ARNS = [PROFILE_ARN] + [FM.format(r) for r in ("us-east-1", "us-east-2", "us-west-2")]
VPCE = "vpce-0aaaaaaaaaaaaaaa1"
OTHER = "vpce-0bbbbbbbbbbbbbbb2"
VPC = "vpc-0ccccccccccccccc3"
FN_SG, EP_SG = "sg-0fn", "sg-0ep"


def healthy() -> dict:
    subnets = {"subnet-a": {"SubnetId": "subnet-a", "AvailabilityZone": "us-east-1a"},
               "subnet-b": {"SubnetId": "subnet-b", "AvailabilityZone": "us-east-1b"}}
    return {
        "cfg": None, "errors": {},
        "outputs": {"VpcId": VPC, "FunctionName": FUNCTION, "FunctionRoleName": ROLE, "FunctionRoleArn": ROLE_ARN,
                    "LambdaSecurityGroupId": FN_SG, "EndpointSecurityGroupId": EP_SG},
        "dns": {"enableDnsSupport": True, "enableDnsHostnames": True},
        "subnets": subnets,
        "endpoint": {"VpcEndpointId": VPCE, "State": "available", "PrivateDnsEnabled": True,
                     "SubnetIds": ["subnet-a", "subnet-b"], "Groups": [{"GroupId": EP_SG}],
                     "PolicyDocument": json.dumps(policies.endpoint_policy(ROLE_ARN, ARNS))},
        "endpoint_ips": ["10.0.1.10", "10.0.2.10"],
        "function": {"FunctionName": FUNCTION, "VpcConfig": {"VpcId": VPC, "SubnetIds": ["subnet-a", "subnet-b"],
                                                             "SecurityGroupIds": [FN_SG]}},
        "function_enis": [{"PrivateIpAddress": "10.0.1.20"}],
        "groups": {
            EP_SG: {"GroupId": EP_SG, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                         "UserIdGroupPairs": [{"GroupId": FN_SG}]}]},
            FN_SG: {"GroupId": FN_SG, "IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                               "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]},
        },
        "role_policies": [(policies.ENI_POLICY_NAME, policies.eni_policy()),
                          (policies.SOURCEVPCE_POLICY_NAME, policies.sourcevpce_policy(ARNS, VPCE))],
        "model": {"model_id": "us.amazon.nova-micro-v1:0", "arns": ARNS, "status": "ACTIVE"},
    }


def denied(resource: str, tail: str) -> dict:
    return {"ok": False, "error": {"code": "AccessDeniedException", "message":
            f"User: {SESSION} is not authorized to perform: bedrock:InvokeModel on resource: {resource} {tail}"}}


NO_ID = "because no identity-based policy allows the bedrock:InvokeModel action"
NO_EP = "because no VPC endpoint policy allows the bedrock:InvokeModel action"
DENY_EP = "with an explicit deny in a VPC endpoint policy"


def test_the_healthy_state_has_no_broken_link():
    assert doctor.first_broken_link(healthy()) is None


def test_endpoint_policy_flipped_to_deny_names_the_statement():
    s = healthy()
    s["endpoint"]["PolicyDocument"] = json.dumps(policies.endpoint_policy(ROLE_ARN, ARNS, effect="Deny"))
    e = explain.explain(denied(PROFILE_ARN, DENY_EP), state=s)
    assert e.facts["decided by"] == ("endpoint policy statement 1 (FunctionRoleInvokesChosenModel) (Effect Deny) "
                                     f"matches bedrock:InvokeModel on {PROFILE_ARN}")
    assert "Effect back to Allow" in e.fix[0]


def test_wrong_vpce_in_the_identity_condition():
    s = healthy()
    s["role_policies"][1] = (policies.SOURCEVPCE_POLICY_NAME, policies.sourcevpce_policy(ARNS, OTHER))
    e = explain.explain(denied(PROFILE_ARN, NO_ID), state=s)
    assert (f"allows bedrock:InvokeModel only when aws:sourceVpce = {OTHER}, but the call came through {VPCE}"
            in e.facts["decided by"])
    assert "lambda-bedrock-sourcevpce-access-only statement 1" in e.facts["decided by"]
    assert "notebook 03" in e.fix[0]


def test_function_outside_the_vpc_has_no_source_vpce():
    s = healthy()
    s["function"]["VpcConfig"] = {}
    e = explain.explain(denied(PROFILE_ARN, NO_ID), state=s)
    assert "did not come through a VPC endpoint" in e.facts["decided by"]
    assert e.fix[0].startswith("Attach it to the private subnets")


def test_wrong_principal_in_the_endpoint_policy():
    s = healthy()
    other_role = f"arn:aws:iam::{ACCT}:role/Someone"
    s["endpoint"]["PolicyDocument"] = json.dumps(policies.endpoint_policy(other_role, ARNS))
    e = explain.explain(denied(PROFILE_ARN, NO_EP), state=s)
    assert f"only for Principal {other_role}, not the caller {ROLE_ARN}" in e.facts["decided by"]
    assert "Principal to the function's role ARN" in e.fix[0]


def test_endpoint_policy_without_the_foundation_model_arns():
    s = healthy()
    s["endpoint"]["PolicyDocument"] = json.dumps(policies.endpoint_policy(ROLE_ARN, [PROFILE_ARN]))
    e = explain.explain(denied(FM.format("us-east-1"), NO_EP), state=s)
    assert f"its Resource does not list {FM.format('us-east-1')}" in e.facts["decided by"]
    assert "foundation-model ARN of every destination Region" in e.fix[0]


def test_identity_policy_without_a_destination_region_arn():
    s = healthy()
    s["role_policies"][1] = (policies.SOURCEVPCE_POLICY_NAME, policies.sourcevpce_policy(ARNS[:2], VPCE))
    e = explain.explain(denied(FM.format("us-west-2"), NO_ID), state=s)
    assert f"does not list {FM.format('us-west-2')}" in e.facts["decided by"]
    assert "role's inline policy" in e.fix[0] and "notebook 03" in e.fix[0]


def test_a_policy_that_allows_now_says_it_changed():
    e = explain.explain(denied(PROFILE_ARN, DENY_EP), state=healthy())
    assert "allows this request now" in e.facts["now"]
    assert "Run the call again" in e.fix[0]


@pytest.mark.parametrize(("change", "link", "fix"), [
    (lambda s: s["function"].update(VpcConfig={}), "function in the VPC", "Attach it"),
    (lambda s: s["dns"].update(enableDnsSupport=False), "VPC DNS support", "EnableDnsSupport"),
    (lambda s: s.update(endpoint=None), "endpoint exists", "notebook 02"),
    (lambda s: s["endpoint"].update(State="pending"), "endpoint available", "Wait for it"),
    (lambda s: s["endpoint"].update(PrivateDnsEnabled=False), "endpoint private DNS", "PrivateDnsEnabled=True"),
    (lambda s: s["dns"].update(enableDnsHostnames=False), "VPC DNS hostnames", "EnableDnsHostnames"),
    (lambda s: s["endpoint"].update(SubnetIds=["subnet-a"]), "endpoint serves the function's AZs", "us-east-1b"),
    (lambda s: s["groups"][EP_SG].update(IpPermissions=[]), "endpoint SG allows 443 from the function",
     "authorize_security_group_ingress"),
    (lambda s: s["groups"][FN_SG].update(IpPermissionsEgress=[]), "function SG allows 443 out", "egress"),
])
def test_timeouts_name_the_first_broken_link(change, link, fix):
    s = copy.deepcopy(healthy())
    change(s)
    e = explain.explain({"code": "ConnectTimeout", "message": "Connect timeout on endpoint URL: "
                         "\"https://bedrock-runtime.us-east-1.amazonaws.com/model/x/converse\""}, state=s)
    assert e.facts["broken link"] == link
    assert link in e.title and fix in e.fix[0]


def test_sg_rule_by_cidr_counts():
    s = healthy()
    s["groups"][EP_SG]["IpPermissions"] = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                            "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]
    assert doctor.first_broken_link(s) is None
    s["groups"][EP_SG]["IpPermissions"][0]["FromPort"] = s["groups"][EP_SG]["IpPermissions"][0]["ToPort"] = 80
    assert doctor.first_broken_link(s)["name"] == "endpoint SG allows 443 from the function"


def test_without_live_state_the_message_alone_is_explained():
    e = explain.explain(denied(PROFILE_ARN, DENY_EP))
    assert "decided by" not in e.facts and "explicit Deny" in e.title


def test_a_live_state_that_cannot_be_read_is_reported(monkeypatch):
    class Cfg:
        region = "us-east-1"

    def boom(cfg, client):
        raise RuntimeError("no route")

    monkeypatch.setattr(doctor, "gather", boom)
    e = explain.explain(denied(PROFILE_ARN, NO_ID), cfg=Cfg(), client=lambda *a: None)
    assert "no route" in e.facts["live check"] and "no identity-based policy" in e.title


def test_model_errors_list_current_models():
    class Cfg:
        region = "us-east-1"

    class Bedrock:
        def list_foundation_models(self, **kw):
            return {"modelSummaries": [{"modelId": "amazon.nova-lite-v1:0", "inferenceTypesSupported": ["ON_DEMAND"],
                                        "modelLifecycle": {"status": "ACTIVE"}}]}

        def list_inference_profiles(self, **kw):
            return {"inferenceProfileSummaries": [{"inferenceProfileId": "us.amazon.nova-micro-v1:0",
                                                   "status": "ACTIVE"}]}

    e = explain.explain({"code": "ResourceNotFoundException", "message": "This model version has reached the end "
                         "of its life. Please refer to the AWS documentation for more details."},
                        cfg=Cfg(), client=lambda service, region: Bedrock())
    assert e.facts["current models"] == "us.amazon.nova-micro-v1:0, amazon.nova-lite-v1:0"
    assert e.fix[0].startswith("Current models in us-east-1: us.amazon.nova-micro-v1:0")


def test_unreadable_policies_of_another_role_degrade_to_the_message():
    class Iam:
        def get_role(self, **kw):
            raise RuntimeError("AccessDenied: iam:GetRole")

        def list_role_policies(self, **kw):
            raise RuntimeError("AccessDenied: iam:ListRolePolicies")

    class Cfg:
        region = "us-east-1"

    other = f"arn:aws:sts::{ACCT}:assumed-role/StudioRole/me"
    err = {"code": "AccessDeniedException", "message": f"User: {other} is not authorized to perform: "
           f"bedrock:ListFoundationModels on resource: * {NO_ID.replace('InvokeModel', 'ListFoundationModels')}"}
    e = explain.explain(err, cfg=Cfg(), state=healthy(), client=lambda service, region: Iam())
    assert "no identity-based policy" in e.title
    assert "ListRolePolicies" in e.facts["live check"]
