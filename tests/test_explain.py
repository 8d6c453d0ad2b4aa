"""The explainer and the one diagnosis with live state: policies that decided, the network path, security groups.

Pure: the live state is a hand-built `utils.diagnosis.gather` result (no AWS, no sandbox), so every statement and
link the explainer, the doctor and the path view name can be checked exactly. The same cases run against the
sandbox in tests/test_doctor.py.
"""

from __future__ import annotations

import copy
import json

import pytest

from utils import diagnosis, doctor, explain, pathview, policies

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
    subnets = {"subnet-a": {"SubnetId": "subnet-a", "AvailabilityZone": "us-east-1a", "CidrBlock": "10.0.1.0/24"},
               "subnet-b": {"SubnetId": "subnet-b", "AvailabilityZone": "us-east-1b", "CidrBlock": "10.0.2.0/24"}}
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
        "model": {"model_id": "us.amazon.nova-micro-v1:0", "base": "amazon.nova-micro-v1:0", "arns": ARNS,
                  "status": "ACTIVE"},
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

    monkeypatch.setattr(diagnosis, "gather", boom)
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


# ---------------------------------------------------------------- one diagnosis, two views

SG_NAME = "endpoint SG allows 443 from the function"
IDENTITY = diagnosis.IDENTITY_CHECK


def _by_cidr(*cidrs) -> list[dict]:
    return [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": c} for c in cidrs]}]


def _views(s: dict) -> tuple[dict, dict]:
    """The doctor's check and the path view's endpoint-hop check of the same name, from one diagnosis."""
    diag = diagnosis.Diagnosis(s, diagnosis.judge(s))
    report = doctor.report_of(diag)
    hops = {h["name"]: h for h in diag.hops()}
    return report, hops


def _check(report, name):
    return next(c for c in report.checks if c.name == name)


def _hop_check(hops, hop, name):
    return next(c for c in hops[hop]["checks"] if c["name"] == name)


@pytest.mark.parametrize("rules", [
    _by_cidr("10.0.1.0/24", "10.0.2.0/24"),  # one rule, two ranges: both subnets
    _by_cidr("10.0.1.0/24") + _by_cidr("10.0.2.0/24"),  # two rules add up
    _by_cidr("10.0.0.0/16"),
    _by_cidr("10.0.1.0/25", "10.0.1.128/25", "10.0.2.0/24"),  # halves that together cover a subnet
])
def test_sg_cidrs_that_contain_every_function_subnet_pass_in_both_views(rules):
    s = healthy()
    s["groups"][EP_SG]["IpPermissions"] = rules
    report, hops = _views(s)
    assert _check(report, SG_NAME).ok, _check(report, SG_NAME).detail
    assert _hop_check(hops, "endpoint", SG_NAME)["ok"] and hops["endpoint"]["ok"]
    assert "together contain every subnet the function sends from" in _check(report, SG_NAME).detail
    assert diagnosis.first_broken_link(s) is None


def test_sg_rule_covering_one_of_two_subnets_fails_in_both_views_with_the_fix():
    s = healthy()
    s["groups"][EP_SG]["IpPermissions"] = _by_cidr("10.0.2.0/24")
    report, hops = _views(s)
    doc, view = _check(report, SG_NAME), _hop_check(hops, "endpoint", SG_NAME)
    assert not doc.ok and not view["ok"] and not hops["endpoint"]["ok"]
    assert doc.detail == view["detail"]
    assert ("allow TCP 443 only from 10.0.2.0/24: that covers 10.0.2.0/24 (subnet-b, us-east-1b) but not "
            "10.0.1.0/24 (subnet-a, us-east-1a), where the function also sends from") in doc.detail
    assert f"'UserIdGroupPairs': [{{'GroupId': '{FN_SG}'}}]" in doc.fix and "10.0.1.0/24" in doc.fix
    assert hops["endpoint"]["fix"] == doc.fix
    e = explain.explain({"code": "ConnectTimeout", "message": "Connect timeout on endpoint URL"}, state=s)
    assert e.facts["broken link"] == SG_NAME and "not 10.0.1.0/24" in e.meaning
    assert "authorize_security_group_ingress" in e.fix[0]


def test_sg_rule_for_another_port_or_group_fails():
    s = healthy()
    s["groups"][EP_SG]["IpPermissions"] = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                                            "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
                                            "UserIdGroupPairs": [{"GroupId": FN_SG}]}]
    assert diagnosis.first_broken_link(s)["name"] == SG_NAME
    s["groups"][EP_SG]["IpPermissions"] = [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": FN_SG}]}]
    assert diagnosis.first_broken_link(s) is None


def test_healthy_state_is_green_in_both_views_with_its_sources_labelled():
    s = healthy()
    s["simulation"] = {arn: {"decision": "allowed", "boundary_allowed": None, "organizations_allowed": None}
                       for arn in ARNS}
    report, hops = _views(s)
    assert report.ok, report.text()
    assert [h["name"] for h in hops.values()] == ["function", "endpoint", "Amazon Bedrock"]
    assert all(h["ok"] for h in hops.values())
    ep_policy = _check(report, "endpoint policy allows the function's role on every model ARN")
    assert "evaluated locally" in ep_policy.detail and ep_policy.source == diagnosis.LOCAL
    assert "IAM policy simulator" in _check(report, IDENTITY).detail
    assert "(evaluated locally: AWS has no simulator for endpoint policies)" in \
        pathview.render_text(list(hops.values()))


def _sim(decision="implicitDeny", boundary=None, org=None):
    return {arn: {"decision": decision, "boundary_allowed": boundary, "organizations_allowed": org,
                  "matched": [], "missing": []} for arn in ARNS}


NO_BEDROCK = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["logs:*", "ec2:*"],
                                                        "Resource": "*"}]}
DENY_BEDROCK = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Sid": "NoModels", "Effect": "Deny", "Action": "bedrock:*", "Resource": "*"}]}


def test_boundary_without_bedrock_is_named_by_doctor_view_and_explainer():
    s = healthy()
    s["boundary"] = ("WorkshopBoundary", NO_BEDROCK)
    s["simulation"] = _sim(boundary=False)
    report, hops = _views(s)
    check = _check(report, IDENTITY)
    assert not check.ok and check.status == "fail"
    assert "no statement in permissions boundary WorkshopBoundary allows bedrock:InvokeModel" in check.detail
    assert "because no permissions boundary allows the bedrock:InvokeModel action" in check.detail
    assert "delete_role_permissions_boundary" in check.fix
    assert not hops["Amazon Bedrock"]["ok"] and hops["endpoint"]["ok"]
    e = explain.explain(denied(PROFILE_ARN, "because no permissions boundary allows the bedrock:InvokeModel action"),
                        state=s)
    assert "permissions boundary does not allow" in e.title
    assert "permissions boundary WorkshopBoundary" in e.facts["decided by"]
    assert "WorkshopBoundary" in e.fix[0]


def test_explicit_deny_in_a_boundary_is_named_by_doctor_and_explainer():
    s = healthy()
    s["boundary"] = ("WorkshopBoundary", DENY_BEDROCK)
    s["simulation"] = _sim("explicitDeny", boundary=False)
    report, _ = _views(s)
    check = _check(report, IDENTITY)
    assert "permissions boundary WorkshopBoundary statement 2 (NoModels) (Effect Deny) matches" in check.detail
    assert "with an explicit deny in a permissions boundary" in check.detail
    e = explain.explain(denied(PROFILE_ARN, "with an explicit deny in a permissions boundary"), state=s)
    assert "explicit Deny in the role's permissions boundary" in e.title
    assert "statement 2 (NoModels)" in e.facts["decided by"]


def test_a_denial_nothing_explains_is_unexplained_never_green():
    s = healthy()
    s["simulation"] = _sim()  # AWS denies, yet the policies read allow
    report, hops = _views(s)
    check = _check(report, IDENTITY)
    assert not check.ok and check.status == "unexplained" and check.detail.startswith("unexplained:")
    assert "[FAIL]" in check.line() and "unexplained" in report.text()
    assert not hops["Amazon Bedrock"]["ok"]
    assert "? " + IDENTITY in pathview.to_html(list(hops.values()))


def test_an_scp_denial_reported_by_the_simulator():
    s = healthy()
    s["simulation"] = _sim("explicitDeny", org=False)
    check = _check(_views(s)[0], IDENTITY)
    assert "service control policy" in check.detail and "AllowedByOrganizations" in check.detail
    assert "administrator" in check.fix
    e = explain.explain(denied(PROFILE_ARN, "with an explicit deny in a service control policy"), state=s)
    assert "service control policy" in e.title
    assert "allowed by the organization: False" in e.facts["IAM policy simulator"]


def test_without_the_simulator_the_identity_side_is_labelled_evaluated_locally():
    s = healthy()
    s["unread"] = {"simulation": diagnosis.Finding("access", "permission iam:SimulatePrincipalPolicy", "fail",
                                                   "the doctor may not simulate: AccessDenied", "Ask for it.")}
    report, _ = _views(s)
    check = _check(report, IDENTITY)
    assert check.ok and "evaluated locally" in check.detail and "service control policies not included" in check.detail
    assert not _check(report, "permission iam:SimulatePrincipalPolicy").ok  # the refusal itself is still a FAIL


def test_unread_facts_are_not_checked_never_green():
    s = healthy()
    s["groups"] = None
    s["unread"] = {"groups": diagnosis.Finding("access", "permission ec2:DescribeSecurityGroups", "fail",
                                               "the doctor may not describe the security groups: AccessDenied",
                                               "Ask for ec2:DescribeSecurityGroups.")}
    report, hops = _views(s)
    sg = _check(report, SG_NAME)
    assert not sg.ok and sg.status == "unknown" and sg.detail.startswith("not checked:")
    assert not hops["endpoint"]["ok"]


def test_policy_documents_are_decoded_in_one_place():
    import urllib.parse

    doc = {"Version": "2012-10-17", "Statement": []}
    text = json.dumps(doc)
    assert diagnosis.policy_document(doc) is doc
    assert diagnosis.policy_document(text) == doc
    assert diagnosis.policy_document(urllib.parse.quote(text)) == doc
    assert diagnosis.policy_document("not json") == "not json"


def test_without_a_stack_every_hop_says_so():
    s = {"cfg": None, "errors": {}, "unread": {}, "stack": None, "outputs": {}}
    hops = diagnosis.Diagnosis(s, diagnosis.judge(s)).hops()
    assert [h["ok"] for h in hops] == [False, False, False]
    assert all("the stack does not exist" in h["detail"] and "01" in h["fix"] for h in hops)


def test_a_missing_function_is_named_once():
    s = healthy()
    s["function"] = None
    s["errors"]["function"] = "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn"
    report, hops = _views(s)
    assert [c.name for c in report.failures] == ["function exists"]
    assert not hops["function"]["ok"] and "Re-run notebook 01" in hops["function"]["fix"]


class _Cfg:
    target, region = "aws", "us-east-1"


def _client_error(code: str, message: str = "m"):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}}, "Op")


@pytest.mark.parametrize(("exc", "service", "name", "fix"), [
    ("no-credentials", "", "AWS credentials", "aws sso login"),
    ("ExpiredToken", "", "AWS credentials", "refresh them"),
    ("InvalidClientTokenId", "", "AWS credentials", "refresh them"),
    ("sso-token", "", "AWS credentials", "refresh them"),
    ("ThrottlingException", "", "ec2:DescribeSubnets not throttled", "Wait a minute"),
    ("UnauthorizedOperation", "", "permission ec2:DescribeSubnets", "ec2:DescribeSubnets"),
    ("AccessDeniedException", "", "permission ec2:DescribeSubnets", "ec2:DescribeSubnets"),
    ("connect", "bedrock", "Amazon Bedrock in the region", "Choose a Region that offers Amazon Bedrock"),
    ("connect", "ec2", "AWS reachable", "network connection"),
    ("InternalError", "", "read: describe the subnets", "run the doctor again".capitalize()),
])
def test_failed_reads_are_classified_with_their_fix(exc, service, name, fix):
    from botocore import exceptions as bx

    made = {"no-credentials": bx.NoCredentialsError(),
            "sso-token": bx.TokenRetrievalError(provider="sso", error_msg="expired"),
            "connect": bx.EndpointConnectionError(endpoint_url="https://x.us-east-1.amazonaws.com/")}.get(exc) \
        or _client_error(exc)
    found = diagnosis.classify(made, "describe the subnets", "ec2:DescribeSubnets", _Cfg(), service)
    assert found.name == name and not found.ok and fix in found.fix, found


def test_notebook_05s_deny_reads_explicit_deny_on_the_endpoint_hop():
    s = healthy()
    s["endpoint"]["PolicyDocument"] = json.dumps(policies.endpoint_policy(ROLE_ARN, ARNS, effect="Deny"))
    hops = diagnosis.Diagnosis(s, diagnosis.judge(s)).hops()
    endpoint_hop = next(hop for hop in hops if hop["name"] == "endpoint")  # as notebook 05 finds it
    assert not endpoint_hop["ok"] and "explicit Deny" in endpoint_hop["detail"]
    assert [h["ok"] for h in hops] == [True, False, True]
    assert "✗ endpoint policy" in pathview.mermaid(hops) and "(evaluated locally" in endpoint_hop["detail"]
