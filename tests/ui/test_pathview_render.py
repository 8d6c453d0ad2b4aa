"""The live path view without a browser: the judgements it draws (from utils.diagnosis), the colours, the text and
Mermaid forms.

(The browser test runs the real thing in notebooks 04 and 05; these pin the pieces it is built from.)
"""

from __future__ import annotations

from utils import diagnosis, pathview, policies

ACCOUNT = "123456789012"
ROLE = "fn-role"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/fn"
ARNS = [f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.amazon.nova-micro-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0",
        "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-micro-v1:0"]
EP = {"VpcEndpointId": "vpce-0123456789abcdef0", "VpcId": "vpc-1"}


def _ep(effect="Allow", arns=ARNS):
    return policies.to_json(policies.endpoint_policy(ROLE_ARN, arns, effect=effect))


def _rc(arn, vpce=EP["VpcEndpointId"]):
    return diagnosis.request("bedrock:InvokeModel", arn, ROLE_ARN, "fn",
                             {"aws:SourceVpce": vpce, "aws:SourceVpc": EP["VpcId"]})


def test_endpoint_policy_allow_deny_and_missing_arn():
    assert diagnosis.evaluate_endpoint(_ep(), _rc(ARNS[2]))[0] == "Allow"
    decision, why, fix = diagnosis.evaluate_endpoint(_ep("Deny"), _rc(ARNS[0]))
    assert decision == "Deny" and "(Effect Deny)" in why and "05" in fix
    decision, why, _ = diagnosis.evaluate_endpoint(_ep(arns=ARNS[:1]), _rc(ARNS[2]))
    assert decision == "NotApplicable" and f"does not list {ARNS[2]}" in why


def test_identity_policy_needs_this_endpoint():
    good = [("lambda-bedrock-sourcevpce-access-only", policies.sourcevpce_policy(ARNS, EP["VpcEndpointId"]))]
    assert diagnosis.evaluate_identity(good, _rc(ARNS[0]))[0] == "Allow"
    other = [("lambda-bedrock-sourcevpce-access-only", policies.sourcevpce_policy(ARNS, "vpce-0fedcba9876543210"))]
    decision, why, fix = diagnosis.evaluate_identity(other, _rc(ARNS[0]))
    assert decision != "Allow" and "aws:sourcevpce" in why.lower() and "03" in fix
    assert diagnosis.evaluate_identity([], _rc(ARNS[0]))[0] != "Allow"


def test_security_group_rule_for_443():
    import ipaddress

    subnets = {"a": ipaddress.ip_network("10.0.1.0/24"), "b": ipaddress.ip_network("10.0.2.0/24")}

    def admits(perms, peers=frozenset()):
        return diagnosis.sg_admits({"sg-ep": {"IpPermissions": perms}}, ["sg-ep"], "IpPermissions", set(peers),
                                   subnets)[0]

    by_group = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": "sg-fn"}]}]
    assert admits(by_group, {"sg-fn"})
    assert not admits(by_group, {"sg-other"})
    assert admits([{"IpProtocol": "tcp", "FromPort": 0, "ToPort": 1000, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    assert admits([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                    "IpRanges": [{"CidrIp": "10.0.1.0/24"}, {"CidrIp": "10.0.2.0/24"}]}])
    assert not admits([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.1.0/24"}]}])
    wrong_port = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": "sg-fn"}]}]
    assert not admits(wrong_port, {"sg-fn"})
    assert admits([{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-fn"}]}], {"sg-fn"})


def _hops(endpoint_ok: bool):
    checks = [pathview._check("endpoint policy", endpoint_ok, "explicit Deny for fn-role", "Restore Allow.")]
    return [pathview._hop("function", [pathview._check("VPC", True, "in vpc-1")]),
            pathview._hop("endpoint", checks),
            pathview._hop("Amazon Bedrock", [pathview._check("role policies", True, "allowed")])]


def test_views_show_green_and_red_with_the_reason():
    red = _hops(False)
    assert [h["ok"] for h in red] == [True, False, True]
    assert red[1]["fix"] == "Restore Allow." and "endpoint policy" in red[1]["detail"]
    text = pathview.render_text(red)
    assert "[FAIL] endpoint: endpoint policy: explicit Deny" in text and "fix: Restore Allow." in text
    assert text.endswith("The path is broken at: endpoint.")
    diagram = pathview.mermaid(red)
    assert diagram.startswith("flowchart LR") and "class h1 bad" in diagram and "class h0 ok" in diagram
    assert "✗ endpoint policy" in diagram
    html = pathview.to_html(red)
    assert html.count("workshop-hop-ok") == 2 and html.count("workshop-hop-bad") == 1
    green = _hops(True)
    assert pathview.render_text(green).endswith("The private path is complete.")
    diagram = pathview.mermaid(green)
    assert "class h1 ok" in diagram and " bad" not in diagram.split("classDef bad")[1].split("\n", 1)[1]
    assert "linkStyle 0 stroke:#16a34a" in diagram and "linkStyle 1 stroke:#16a34a" in diagram


def test_render_is_ipython_html_that_also_shows_the_diagram():
    from IPython.display import HTML

    view = pathview.render(_hops(False))
    assert isinstance(view, HTML) and "workshop-pathview" in view.data
    assert "flowchart LR" in view.diagram and "[FAIL]" in repr(view)
