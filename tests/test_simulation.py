"""SimulatePrincipalPolicy in the sandbox agrees with the sandbox's own authorization for the workshop's actions.

Two ways of checking the same role: real calls made with the role's credentials (AssumeRole), and the
authorizer itself (`sandbox.authz.decide`, which every Bedrock call goes through) for requests that arrive
through an interface endpoint. For each, `iam.simulate_principal_policy` must give the same decision.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox import authz, identity
from utils import policies, preflight

REGION = "us-east-1"
MODEL = "amazon.nova-micro-v1:0"
FM_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/{MODEL}"
PROFILE = "us.amazon.nova-micro-v1:0"
VPCE = "vpce-0a1b2c3d4e5f60718"
OTHER_VPCE = "vpce-0fedcba9876543210"


@pytest.fixture
def role(aws):
    """A role with the workshop's inline policies, plus a Deny, and a session of it (boto3 kwargs)."""
    iam = aws("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName="SimRole", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    profile_arn = f"arn:aws:bedrock:{REGION}:123456789012:inference-profile/{PROFILE}"
    arns = [profile_arn] + [f"arn:aws:bedrock:{r}::foundation-model/{MODEL}" for r in
                            ("us-east-1", "us-east-2", "us-west-2")]
    iam.put_role_policy(RoleName="SimRole", PolicyName=policies.ENI_POLICY_NAME,
                        PolicyDocument=json.dumps(policies.eni_policy()))
    iam.put_role_policy(RoleName="SimRole", PolicyName=policies.SOURCEVPCE_POLICY_NAME,
                        PolicyDocument=json.dumps(policies.sourcevpce_policy(arns, VPCE)))
    iam.put_role_policy(RoleName="SimRole", PolicyName="extra", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["bedrock:ListFoundationModels", "bedrock:GetFoundationModel"],
             "Resource": "*"},
            {"Effect": "Deny", "Action": "bedrock:GetFoundationModel", "Resource": f"arn:aws:bedrock:{REGION}::"
             "foundation-model/anthropic.*"}]}))
    creds = aws("sts").assume_role(RoleArn=arn, RoleSessionName="sim")["Credentials"]
    kwargs = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
              "aws_session_token": creds["SessionToken"]}
    return {"arn": arn, "creds": kwargs, "iam": iam, "arns": arns}


def _simulate(iam, arn, action, resource, context=None) -> str:
    entries = [{"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"}
               for k, v in (context or {}).items()]
    result = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=[action], ResourceArns=[resource],
                                           ContextEntries=entries)
    return result["EvaluationResults"][0]["EvalDecision"]


def _as_role(sandbox, service, creds):
    return boto3.client(service, region_name=REGION, endpoint_url=sandbox.url, **creds)


def _outcome(call) -> str:
    try:
        call()
        return "allowed"
    except ClientError as exc:
        msg = exc.response["Error"].get("Message", "")
        assert exc.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied"), exc.response
        return "explicitDeny" if "explicit deny" in msg else "implicitDeny"


def test_real_calls_and_simulation_agree(sandbox, role):
    runtime = _as_role(sandbox, "bedrock-runtime", role["creds"])
    bedrock = _as_role(sandbox, "bedrock", role["creds"])
    cases = [
        # (what AWS checks, the real call with the role's credentials): over the public endpoint, no sourceVpce
        (("bedrock:InvokeModel", FM_ARN), lambda: runtime.converse(
            modelId=MODEL, messages=[{"role": "user", "content": [{"text": "hi"}]}])),
        (("bedrock:ListFoundationModels", "*"), lambda: bedrock.list_foundation_models()),
        (("bedrock:GetFoundationModel", FM_ARN), lambda: bedrock.get_foundation_model(modelIdentifier=MODEL)),
        (("bedrock:GetFoundationModel", f"arn:aws:bedrock:{REGION}::foundation-model/"
                                        "anthropic.claude-haiku-4-5-20251001-v1:0"),
         lambda: bedrock.get_foundation_model(modelIdentifier="anthropic.claude-haiku-4-5-20251001-v1:0")),
    ]
    seen = set()
    for (action, resource), call in cases:
        real = _outcome(call)
        simulated = _simulate(role["iam"], role["arn"], action, resource)
        assert real == simulated, f"{action} on {resource}: real {real}, simulated {simulated}"
        seen.add(real)
    assert seen == {"allowed", "implicitDeny", "explicitDeny"}


@pytest.mark.parametrize("vpce", [VPCE, OTHER_VPCE, None], ids=["own-endpoint", "other-endpoint", "public"])
def test_authorizer_and_simulation_agree_through_endpoints(sandbox, role, vpce):
    principal = identity.principal_for(role["creds"]["aws_access_key_id"])
    via = {"kind": "vpce", "vpce_id": vpce, "vpc_id": "vpc-0123456789abcdef0"} if vpce else None
    ctx = {"aws:SourceVpce": vpce, "aws:SourceVpc": "vpc-0123456789abcdef0"} if vpce else {}
    for resource in role["arns"] + [f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-pro-v1:0"]:
        decision = authz.decide(principal, "bedrock:InvokeModel", resource, dict(ctx), via, REGION)
        own = "allowed" if decision.allowed else ("explicitDeny" if decision.reason.startswith("explicit")
                                                  else "implicitDeny")
        simulated = _simulate(role["iam"], role["arn"], "bedrock:InvokeModel", resource, ctx)
        assert own == simulated, f"{resource} via {vpce}: authorizer {own}, simulation {simulated}"
        expected = "allowed" if vpce == VPCE and "nova-pro" not in resource else "implicitDeny"
        assert own == expected


def test_eni_permissions_agree_with_lambdas_vpc_check(role):
    for action in policies.LAMBDA_ENI_ACTIONS + ["ec2:CreateVpcEndpoint"]:
        own = authz.role_allows(role["arn"], action, region="us-east-1")
        simulated = _simulate(role["iam"], role["arn"], action, "*")
        assert own == (simulated == "allowed"), action
        assert own == (action != "ec2:CreateVpcEndpoint")


def test_preflight_simulates_an_assumed_role_session_as_its_role(role):
    from utils.doctor import Report

    session = "arn:aws:sts::123456789012:assumed-role/SimRole/someone"
    assert preflight.policy_source_arn(session, role["iam"]) == role["arn"]
    report = Report()
    decisions = preflight.check_permissions(report, role["iam"], session, ["bedrock:ListFoundationModels",
                                                                          "cloudformation:CreateStack"])
    assert decisions == {"bedrock:ListFoundationModels": "allowed", "cloudformation:CreateStack": "implicitDeny"}
    assert not report.ok and "cloudformation:CreateStack (implicitDeny)" in report.checks[0].detail


# ---------------------------------------------------------------- nothing fails open


def test_a_failure_inside_authorization_denies_and_logs(sandbox, aws, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("policy store unavailable")

    monkeypatch.setattr(authz, "decide", broken)
    runtime = aws("bedrock-runtime")
    with caplog.at_level("ERROR", logger="sandbox.authz"), pytest.raises(ClientError) as info:
        runtime.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    error = info.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "the sandbox failed while authorizing the call: RuntimeError('policy store unavailable')" in error["Message"]
    assert any("denying" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_boundary_that_cannot_be_read_denies(sandbox, role):
    iam = role["iam"]
    arn = iam.create_policy(PolicyName="GoneBoundary", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName="SimRole", PermissionsBoundary=arn)
    from sandbox import backends

    del backends.iam().managed_policies[arn]  # a state AWS does not allow; the sandbox must still deny
    bedrock = _as_role(sandbox, "bedrock", role["creds"])
    with pytest.raises(ClientError) as info:
        bedrock.list_foundation_models()
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"the permissions boundary {arn} of role SimRole does not exist" in info.value.response["Error"]["Message"]
    assert not authz.role_allows(role["arn"], "bedrock:ListFoundationModels", region="us-east-1")


def test_simulation_with_a_boundary_input_replaces_the_roles_boundary(role):
    """PermissionsBoundaryPolicyInputList: "the new permissions boundary policy is used for the simulation"."""
    iam = role["iam"]
    boundary = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    result = iam.simulate_principal_policy(PolicySourceArn=role["arn"], ActionNames=["bedrock:ListFoundationModels"],
                                           PermissionsBoundaryPolicyInputList=[json.dumps(boundary)])
    [evaluation] = result["EvaluationResults"]
    assert evaluation["EvalDecision"] == "implicitDeny"
    assert evaluation["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    plain = iam.simulate_principal_policy(PolicySourceArn=role["arn"], ActionNames=["bedrock:ListFoundationModels"])
    assert plain["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert "PermissionsBoundaryDecisionDetail" not in plain["EvaluationResults"][0]


def test_simulation_answers_in_the_shape_aws_records(aws):
    """LocalStack's test_iam.snapshot.json, test_simulate_principle_policy[role] (recorded 2025-04-21): the statement
    of a one-line policy is located at Line 1, Columns 41 to 113; ResourceSpecificResults repeats the decision per
    resource; EvalDecisionDetails is empty. utils.diagnosis.simulate reads that shape."""
    from sandbox.iam_simulation import statement_spans
    from utils import diagnosis

    iam = aws("iam")
    doc = json.dumps({"Version": "2012-10-17", "Statement": {"Sid": "", "Effect": "Allow", "Action": "s3:PutObject",
                                                             "Resource": "*"}})
    arn = iam.create_policy(PolicyName="p", PolicyDocument=doc)["Policy"]["Arn"]
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                                               "Action": "sts:AssumeRole"}}))["Role"]["Arn"]
    iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    result = iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=["s3:PutObject"],
                                           ResourceArns=["arn:aws:s3:::bucket"])["EvaluationResults"][0]
    matched = [{"SourcePolicyId": "p", "SourcePolicyType": "IAM Policy", "StartPosition": {"Line": 1, "Column": 41},
                "EndPosition": {"Line": 1, "Column": 113}}]
    assert result["MatchedStatements"] == matched
    assert result["EvalDecisionDetails"] == {}
    assert result["ResourceSpecificResults"] == [{"EvalResourceName": "arn:aws:s3:::bucket",
                                                  "EvalResourceDecision": "allowed", "MatchedStatements": matched,
                                                  "MissingContextValues": []}]
    assert "OrganizationsDecisionDetail" not in result  # the account is in no organization
    iam.put_role_policy(RoleName="r", PolicyName="invoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": diagnosis.ACTION, "Resource": FM_ARN}]}))
    seen = diagnosis.simulate(iam, role, FM_ARN, {})
    assert (seen["decision"], seen["matched"], seen["organizations_allowed"]) == ("allowed", ["invoke"], None)
    # several statements, over several lines
    text = '{\n  "Statement": [\n    {"Effect": "Allow"},\n    {"Effect": "Deny"}\n  ]\n}'
    assert [(text[a], text[b]) for a, b in statement_spans(text)] == [("{", "}"), ("{", "}")]
