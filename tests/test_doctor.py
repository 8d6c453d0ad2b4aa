"""`python -m utils doctor` and the live error explainer, on the sandbox, after notebooks 00-04.

The healthy workshop passes every check (exit 0). Then each failure that workshop users meet is injected, one
at a time: the function is invoked and fails as it would on AWS, and BOTH the doctor (exit 1) and the explainer
(given the configuration) name the cause and the fix. Each test restores what it broke, and the doctor is
healthy again afterwards. Among them, the three scenarios of issue 11 with AWS's messages: a permissions boundary
without Amazon Bedrock on the function's role, an explicit Deny in a boundary, and an endpoint security-group rule
that covers only one of the function's two subnets.

Then the doctor's own failures, each through `python -m utils doctor` as a subprocess: no credentials, an
unreachable sandbox, expired credentials, throttling, AccessDenied on its reads, and a Region where Amazon Bedrock
does not answer. Each is a FAIL line with its fix and exit status 1, never a traceback.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import reset_sandbox
from utils import config, doctor, explain, lambda_fn, policies, runner, target

pytestmark = pytest.mark.slow  # runs notebooks 00-04 once (about 20 s), then injects twelve failures

OTHER_ROLE = "SomeoneElsesRole"
WRONG_VPCE = "vpce-0123456789abcdef0"
EOL_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.fixture(scope="module")
def workshop(sandbox, tmp_path_factory):
    """A sandbox with notebooks 00-04 run headless; yields a context dict with clients and stack outputs."""
    mp = pytest.MonkeyPatch()
    for var in config.ENV_VARS.values():
        mp.delenv(var, raising=False)
    tmp = tmp_path_factory.mktemp("doctor")
    mp.setenv("WORKSHOP_CONFIG", str(tmp / "workshop_config.json"))
    mp.setenv("WORKSHOP_TARGET", "sandbox")
    mp.setenv("WORKSHOP_REQUIRE_SANDBOX", "1")
    mp.setenv("AWS_ENDPOINT_URL", sandbox.url)
    reset_sandbox(sandbox.url)
    target._active = None
    target._client_cache.clear()
    report = runner.run(only=["00", "01", "02", "03", "04"], out_root=tmp / "runs", echo=lambda _line: None)
    assert report.ok, [(r.notebook, r.error) for r in report.results]
    cfg = config.load()
    target.activate("sandbox")
    c = target.client
    cfn, ec2, iam = c("cloudformation", cfg.region), c("ec2", cfg.region), c("iam", cfg.region)
    described = cfn.describe_stacks(StackName=cfg.stack_name)["Stacks"][0]
    out = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    ep = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [out["VpcId"]]}])["VpcEndpoints"][0]
    iam.create_role(RoleName=OTHER_ROLE, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    ctx = {"cfg": cfg, "out": out, "ep": ep, "ec2": ec2, "iam": iam,
           "lam": c("lambda", cfg.region, read_timeout=120), "bedrock": c("bedrock", cfg.region)}
    yield ctx
    mp.undo()
    target._active = None
    target._client_cache.clear()


def _invoke(ctx) -> dict:
    reply = lambda_fn.payload(ctx["lam"].invoke(FunctionName=ctx["out"]["FunctionName"],
                                                Payload=json.dumps({"prompt": "Say hello"})))
    return reply


def _doctor(ctx) -> doctor.Report:
    return doctor.diagnose(ctx["cfg"], target.client)


def _explain(ctx, reply) -> explain.Explanation:
    assert not reply.get("ok"), reply
    return explain.explain(reply, cfg=ctx["cfg"], model_id=ctx["cfg"].model_id)


def _model_arns(ctx) -> list[str]:
    from utils import models

    return models.resource_arns(ctx["bedrock"], ctx["cfg"].model_id, ctx["cfg"].region)


def _set_endpoint_policy(ctx, doc) -> None:
    ctx["ec2"].modify_vpc_endpoint(VpcEndpointId=ctx["ep"]["VpcEndpointId"], PolicyDocument=json.dumps(doc))


def _allow(ctx) -> dict:
    return policies.endpoint_policy(ctx["out"]["FunctionRoleArn"], _model_arns(ctx))


def _ingress(ctx) -> list[dict]:
    return [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "UserIdGroupPairs": [{"GroupId": ctx["out"]["LambdaSecurityGroupId"]}]}]


def _set_vpc(ctx, attach: bool) -> None:
    out = ctx["out"]
    vpc = {"SubnetIds": sorted([out["PrivateSubnet1Id"], out["PrivateSubnet2Id"]]),
           "SecurityGroupIds": [out["LambdaSecurityGroupId"]]} if attach else {"SubnetIds": [], "SecurityGroupIds": []}
    ctx["lam"].update_function_configuration(FunctionName=out["FunctionName"], VpcConfig=vpc)
    lambda_fn.wait_updated(ctx["lam"], out["FunctionName"], timeout=60)


def _set_model(ctx, model_id: str) -> None:
    out = ctx["out"]
    ctx["lam"].update_function_configuration(FunctionName=out["FunctionName"],
                                             Environment={"Variables": {"MODEL_ID": model_id}})
    lambda_fn.wait_updated(ctx["lam"], out["FunctionName"], timeout=60)


def _sourcevpce_doc(ctx, vpce_id: str) -> dict:
    return policies.sourcevpce_policy(_model_arns(ctx), vpce_id)


def _put_sourcevpce(ctx, doc) -> None:
    ctx["iam"].put_role_policy(RoleName=ctx["out"]["FunctionRoleName"], PolicyName=policies.SOURCEVPCE_POLICY_NAME,
                               PolicyDocument=json.dumps(doc))


def _function_subnets(ctx) -> list[tuple[str, str]]:
    """(subnet ID, CIDR) of the function's subnets, in its VpcConfig order."""
    ids = ctx["lam"].get_function_configuration(FunctionName=ctx["out"]["FunctionName"])["VpcConfig"]["SubnetIds"]
    cidrs = {s["SubnetId"]: s["CidrBlock"] for s in ctx["ec2"].describe_subnets(SubnetIds=ids)["Subnets"]}
    return [(i, cidrs[i]) for i in ids]


def _only_one_subnet_rule(ctx) -> list[dict]:
    # The function sends from its first subnet; the rule admits only the other one.
    return [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "IpRanges": [{"CidrIp": _function_subnets(ctx)[1][1]}]}]


def _sg_covers_one_subnet(ctx) -> None:
    ctx["partial_rule"] = _only_one_subnet_rule(ctx)
    ctx["ec2"].revoke_security_group_ingress(GroupId=ctx["out"]["EndpointSecurityGroupId"], IpPermissions=_ingress(ctx))
    ctx["ec2"].authorize_security_group_ingress(GroupId=ctx["out"]["EndpointSecurityGroupId"],
                                                IpPermissions=ctx["partial_rule"])


def _sg_restore(ctx) -> None:
    ctx["ec2"].revoke_security_group_ingress(GroupId=ctx["out"]["EndpointSecurityGroupId"],
                                             IpPermissions=ctx.pop("partial_rule"))
    ctx["ec2"].authorize_security_group_ingress(GroupId=ctx["out"]["EndpointSecurityGroupId"],
                                                IpPermissions=_ingress(ctx))


BOUNDARY = "WorkshopBoundary"
# A boundary as a landing zone might set one: logs and the VPC's network interfaces, nothing of Amazon Bedrock.
BOUNDARY_WITHOUT_BEDROCK = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:*", "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces",
                                   "ec2:DeleteNetworkInterface"], "Resource": "*"}]}
BOUNDARY_DENYING_BEDROCK = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Sid": "NoGenerativeAI", "Effect": "Deny", "Action": "bedrock:*", "Resource": "*"}]}


def _set_boundary(ctx, doc) -> None:
    iam, role = ctx["iam"], ctx["out"]["FunctionRoleName"]
    arn = iam.create_policy(PolicyName=BOUNDARY, PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    ctx["boundary_arn"] = arn
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=arn)


def _remove_boundary(ctx) -> None:
    iam = ctx["iam"]
    iam.delete_role_permissions_boundary(RoleName=ctx["out"]["FunctionRoleName"])
    iam.delete_policy(PolicyArn=ctx.pop("boundary_arn"))


def _subnet_words(ctx, index: int) -> str:
    return _function_subnets(ctx)[index][1]


# Each case: (inject, restore, doctor check that must fail, words the doctor's detail+fix must hold,
#             words the explainer's text must hold)
CASES = {
    "private-dns-off": (
        lambda x: x["ec2"].modify_vpc_endpoint(VpcEndpointId=x["ep"]["VpcEndpointId"], PrivateDnsEnabled=False),
        lambda x: x["ec2"].modify_vpc_endpoint(VpcEndpointId=x["ep"]["VpcEndpointId"], PrivateDnsEnabled=True),
        "endpoint private DNS", ["private DNS is off", "PrivateDnsEnabled=True"],
        ["timed out", "endpoint private DNS", "private DNS is off", "PrivateDnsEnabled=True"],
    ),
    "vpc-dns-hostnames-off": (
        lambda x: x["ec2"].modify_vpc_attribute(VpcId=x["out"]["VpcId"], EnableDnsHostnames={"Value": False}),
        lambda x: x["ec2"].modify_vpc_attribute(VpcId=x["out"]["VpcId"], EnableDnsHostnames={"Value": True}),
        "VPC DNS hostnames", ["enableDnsHostnames is off", "EnableDnsHostnames={'Value': True}"],
        ["timed out", "VPC DNS hostnames", "enableDnsHostnames is off", "EnableDnsHostnames"],
    ),
    "endpoint-sg-rule-removed": (
        lambda x: x["ec2"].revoke_security_group_ingress(GroupId=x["out"]["EndpointSecurityGroupId"],
                                                         IpPermissions=_ingress(x)),
        lambda x: x["ec2"].authorize_security_group_ingress(GroupId=x["out"]["EndpointSecurityGroupId"],
                                                            IpPermissions=_ingress(x)),
        "endpoint SG allows 443 from the function", ["allow no TCP 443", "authorize_security_group_ingress"],
        ["timed out", "endpoint SG allows 443", "authorize_security_group_ingress"],
    ),
    "function-detached": (
        lambda x: _set_vpc(x, False),
        lambda x: _set_vpc(x, True),
        "function in the VPC", ["is not attached to a VPC", "update_function_configuration(VpcConfig"],
        ["no identity-based policy", "aws:sourceVpce = vpce-", "did not come through a VPC endpoint",
         "Attach it to the private subnets"],
    ),
    "wrong-vpce-in-identity-condition": (
        lambda x: _put_sourcevpce(x, _sourcevpce_doc(x, WRONG_VPCE)),
        lambda x: _put_sourcevpce(x, _sourcevpce_doc(x, x["ep"]["VpcEndpointId"])),
        "aws:sourceVpce matches the endpoint", [WRONG_VPCE, "Re-run notebook 03"],
        [f"aws:sourceVpce = {WRONG_VPCE}, but the call came through vpce-", "statement 1", "notebook 03"],
    ),
    "wrong-principal-in-endpoint-policy": (
        lambda x: _set_endpoint_policy(x, policies.endpoint_policy(
            x["out"]["FunctionRoleArn"].rsplit("/", 1)[0] + "/" + OTHER_ROLE, _model_arns(x))),
        lambda x: _set_endpoint_policy(x, _allow(x)),
        "endpoint policy allows the function's role on every model ARN", ["Principal arn:aws:iam::", OTHER_ROLE,
                                                                         "Principal to the function's role ARN"],
        ["no VPC endpoint policy allows", "only for Principal", OTHER_ROLE, "not the caller",
         "Principal to the function's role ARN"],
    ),
    "endpoint-policy-missing-foundation-model-arn": (
        lambda x: _set_endpoint_policy(x, policies.endpoint_policy(
            x["out"]["FunctionRoleArn"], [a for a in _model_arns(x) if ":inference-profile/" in a])),
        lambda x: _set_endpoint_policy(x, _allow(x)),
        "endpoint policy allows the function's role on every model ARN",
        ["Resource does not list arn:aws:bedrock:", "foundation-model/amazon.nova-micro-v1:0",
         "foundation-model ARN of every destination Region"],
        ["no VPC endpoint policy allows", "Resource does not list arn:aws:bedrock:us-east-1::foundation-model/",
         "foundation-model ARN of every destination Region"],
    ),
    "end-of-life-model": (
        lambda x: _set_model(x, EOL_MODEL),
        lambda x: _set_model(x, x["cfg"].model_id),
        f"model lifecycle of {EOL_MODEL}", ["end of life", "Choose a current model, e.g. us.amazon.nova-micro-v1:0"],
        ["end of life", "Current models in us-east-1: us.amazon.nova-micro-v1:0"],
    ),
    "endpoint-policy-flipped-to-deny": (
        lambda x: _set_endpoint_policy(x, policies.endpoint_policy(x["out"]["FunctionRoleArn"], _model_arns(x),
                                                                   effect="Deny")),
        lambda x: _set_endpoint_policy(x, _allow(x)),
        "endpoint policy allows the function's role on every model ARN",
        ["endpoint policy statement 1 (FunctionRoleInvokesChosenModel) (Effect Deny) matches bedrock:InvokeModel on "
         "arn:aws:bedrock:", "Effect back to Allow"],
        ["explicit deny in a VPC endpoint policy",
         "endpoint policy statement 1 (FunctionRoleInvokesChosenModel) (Effect Deny) matches bedrock:InvokeModel on "
         "arn:aws:bedrock:us-east-1:", "Effect back to Allow"],
    ),
    # The three scenarios of issue 11, with AWS's messages.
    "permissions-boundary-without-bedrock": (
        lambda x: _set_boundary(x, BOUNDARY_WITHOUT_BEDROCK),
        _remove_boundary,
        doctor.IDENTITY_CHECK,
        ["SimulatePrincipalPolicy: implicitDeny", f"no statement in permissions boundary {BOUNDARY} allows "
         "bedrock:InvokeModel", "because no permissions boundary allows the bedrock:InvokeModel action",
         "delete_role_permissions_boundary"],
        ["because no permissions boundary allows the bedrock:InvokeModel action",
         "Denied: the role's permissions boundary does not allow the call",
         f"no statement in permissions boundary {BOUNDARY} allows bedrock:InvokeModel", BOUNDARY],
    ),
    "permissions-boundary-explicit-deny": (
        lambda x: _set_boundary(x, BOUNDARY_DENYING_BEDROCK),
        _remove_boundary,
        doctor.IDENTITY_CHECK,
        ["SimulatePrincipalPolicy: explicitDeny", f"permissions boundary {BOUNDARY} statement 2 (NoGenerativeAI) "
         "(Effect Deny) matches bedrock:InvokeModel", "with an explicit deny in a permissions boundary"],
        ["with an explicit deny in a permissions boundary",
         "Denied by an explicit Deny in the role's permissions boundary",
         f"permissions boundary {BOUNDARY} statement 2 (NoGenerativeAI) (Effect Deny) matches"],
    ),
    "sg-rule-covers-one-of-two-subnets": (
        _sg_covers_one_subnet,
        _sg_restore,
        "endpoint SG allows 443 from the function",
        ["allow TCP 443 only from 10.0.", "but not 10.0.", "where the function also sends from",
         "'UserIdGroupPairs'", "or add the missing range(s) 10.0."],
        ["timed out", "broken link \"endpoint SG allows 443 from the function\"", "only from 10.0.", "but not 10.0.",
         "authorize_security_group_ingress"],
    ),
}


def test_doctor_is_healthy_after_notebooks_00_to_04(workshop, capsys):
    report = _doctor(workshop)
    assert report.ok, report.text()
    assert len(report.checks) >= 20
    assert doctor.main([]) == 0
    printed = capsys.readouterr().out
    assert "Healthy: every check passed." in printed and "[FAIL]" not in printed
    from utils.__main__ import main as cli

    assert cli(["doctor", "--no-path"]) == 0  # python -m utils doctor
    assert cli(["config"]) == 0 and cli(["--help"]) == 0
    assert "doctor [--no-path]" in capsys.readouterr().out


def test_the_function_works_when_healthy(workshop):
    reply = _invoke(workshop)
    assert reply.get("ok"), reply


@pytest.mark.parametrize("case", list(CASES))
def test_injected_failure_is_named_by_doctor_and_explainer(workshop, case, capsys):
    inject, restore, check_name, doctor_words, explain_words = CASES[case]
    inject(workshop)
    try:
        report = _doctor(workshop)
        failed = {c.name: c for c in report.failures}
        assert check_name in failed, f"{case}: doctor did not flag {check_name!r}:\n{report.text()}"
        text = failed[check_name].detail + " | " + failed[check_name].fix
        for words in doctor_words:
            assert words in text, f"{case}: doctor's {check_name!r} lacks {words!r}: {text}"
        assert doctor.main(["--no-path"]) == 1
        assert "[FAIL] " in capsys.readouterr().out

        reply = _invoke(workshop)
        explained = str(_explain(workshop, reply))
        for words in explain_words:
            assert words in explained, f"{case}: the explainer lacks {words!r}:\n{explained}\n{reply}"
    finally:
        restore(workshop)
    after = _doctor(workshop)
    assert after.ok, f"{case} was not restored:\n{after.text()}"


# ---------------------------------------------------------------- never a traceback: `python -m utils doctor`
# Each case runs the real command as a subprocess. No AWS is ever reached: no credentials exist, every endpoint is
# a loopback address, and HTTP(S)_PROXY points at a closed loopback port in case anything tried to leave.

FAKE_IDENTITY = ('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
                 "<Arn>arn:aws:iam::123456789012:user/learner</Arn><UserId>AIDAEXAMPLE</UserId>"
                 "<Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId>"
                 "</ResponseMetadata></GetCallerIdentityResponse>")


def _error_xml(code: str, message: str) -> str:
    return (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>1</RequestId></ErrorResponse>")


@pytest.fixture
def fake_aws():
    """A loopback server that answers like AWS with canned replies per service (from the request's signature),
    and like a healthy sandbox to the health probe. Yields (url, replies dict, served service names)."""
    import http.server
    import re
    import threading

    replies: dict[str, tuple[int, str]] = {}
    served: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, body: str, kind: str = "text/xml"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._send(200, '{"status": "running"}', "application/json")

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", self.headers.get("Authorization", ""))
            service = m.group(1) if m else "?"
            served.append(service)
            if service in replies:
                self._send(*replies[service])
            elif service == "sts":
                self._send(200, FAKE_IDENTITY)
            else:
                self._send(400, _error_xml("InternalFailure", f"the fake has no reply for {service}"))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", replies, served
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_doctor(tmp_path, **env_changes) -> tuple[int, str]:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "WORKSHOP_"))}
    env.update({"WORKSHOP_CONFIG": str(tmp_path / "none.json"), "WORKSHOP_TARGET": "sandbox",
                "WORKSHOP_REGION": "us-east-1", "WORKSHOP_ACCOUNT_ID": "123456789012",
                "WORKSHOP_MODEL_ID": "us.amazon.nova-micro-v1:0", "WORKSHOP_REQUIRE_SANDBOX": "1",
                "HTTPS_PROXY": f"http://127.0.0.1:{_closed_port()}", "HTTP_PROXY": f"http://127.0.0.1:{_closed_port()}",
                "NO_PROXY": "127.0.0.1,localhost", "AWS_EC2_METADATA_DISABLED": "true"})
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    run = subprocess.run([sys.executable, "-m", "utils", "doctor"], env=env, capture_output=True, text=True,
                         timeout=120, cwd=str(config.repo_root()))
    return run.returncode, run.stdout + run.stderr


def _assert_failed_check(rc: int, printed: str, *words: str) -> None:
    assert rc == 1, printed
    assert "Traceback" not in printed, printed
    assert "[FAIL]" in printed and "fix:" in printed, printed
    for w in words:
        assert w in printed, f"{w!r} not in:\n{printed}"


def test_no_credentials_on_aws_is_a_failed_check(tmp_path):
    rc, printed = _run_doctor(tmp_path, WORKSHOP_TARGET="aws", WORKSHOP_REQUIRE_SANDBOX=None,
                              AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_SESSION_TOKEN=None,
                              AWS_PROFILE=None, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=None,
                              AWS_CONTAINER_CREDENTIALS_FULL_URI=None, AWS_WEB_IDENTITY_TOKEN_FILE=None)
    _assert_failed_check(rc, printed, "AWS credentials: no AWS credentials were found", "aws sso login")
    assert len(printed.splitlines()) < 12, printed


def test_an_unreachable_sandbox_is_a_failed_check(tmp_path):
    rc, printed = _run_doctor(tmp_path, AWS_ENDPOINT_URL=f"http://127.0.0.1:{_closed_port()}")
    _assert_failed_check(rc, printed, "target reachable", "no sandbox answers there", "python -m sandbox start")


@pytest.mark.parametrize(("service", "status", "code", "message", "words"), [
    ("sts", 403, "ExpiredToken", "The security token included in the request is expired",
     ["AWS credentials: AWS rejected the credentials", "ExpiredToken", "refresh them"]),
    ("sts", 400, "Throttling", "Rate exceeded",
     ["sts:GetCallerIdentity not throttled", "also after retries", "Wait a minute"]),
    ("cloudformation", 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/learner is not authorized to "
     "perform: cloudformation:DescribeStacks",
     ["permission cloudformation:DescribeStacks", "the doctor may not describe the stack",
      "ask for the read-only permission cloudformation:DescribeStacks"]),
])
def test_failed_reads_are_failed_checks(tmp_path, fake_aws, service, status, code, message, words):
    url, replies, served = fake_aws
    replies[service] = (status, _error_xml(code, message))
    rc, printed = _run_doctor(tmp_path, AWS_ENDPOINT_URL=url)
    _assert_failed_check(rc, printed, *words)
    assert served and set(served) <= {"sts", "cloudformation"}, served


def test_a_region_without_bedrock_is_a_failed_check(workshop, tmp_path):
    import os

    rc, printed = _run_doctor(tmp_path, AWS_ENDPOINT_URL=os.environ["AWS_ENDPOINT_URL"],
                              WORKSHOP_CONFIG=os.environ["WORKSHOP_CONFIG"],
                              AWS_ENDPOINT_URL_BEDROCK=f"http://127.0.0.1:{_closed_port()}")
    _assert_failed_check(rc, printed, "[FAIL] model     Amazon Bedrock in the region: Amazon Bedrock does not answer "
                         "in us-east-1", "Choose a Region that offers Amazon Bedrock")
    assert "endpoint policy allows the function's role on every model ARN: not checked" in printed, printed
    assert "[PASS] endpoint  endpoint exists" in printed  # the rest of the diagnosis still stands


def test_the_doctor_explains_a_broken_workshop_in_japanese(workshop, tmp_path):
    """Issue 10: under WORKSHOP_LANG=ja, `python -m utils doctor` explains a broken workshop in Japanese; AWS's own
    wording (here the end of the AccessDenied message a permissions boundary causes) stays quoted in English."""
    import os

    _set_endpoint_policy(workshop, policies.endpoint_policy(workshop["out"]["FunctionRoleArn"], _model_arns(workshop),
                                                            effect="Deny"))
    _set_boundary(workshop, BOUNDARY_WITHOUT_BEDROCK)
    try:
        rc, printed = _run_doctor(tmp_path, AWS_ENDPOINT_URL=os.environ["AWS_ENDPOINT_URL"],
                                  WORKSHOP_CONFIG=os.environ["WORKSHOP_CONFIG"], WORKSHOP_LANG="ja")
    finally:
        _set_endpoint_policy(workshop, _allow(workshop))
        _remove_boundary(workshop)
    assert rc == 1 and "Traceback" not in printed, printed
    for words in ("ワークショップの診断: sandbox",
                  "[FAIL] エンドポイント エンドポイントポリシーが関数のロールにすべてのモデル ARN を許可: "
                  "明示的な拒否 (explicit Deny): "
                  "エンドポイントポリシーのステートメント 1 (FunctionRoleInvokesChosenModel、Effect Deny) が",
                  "修正: ステートメントの Effect を Allow に戻してください。",
                  "[FAIL] ロール         ロールがエンドポイント経由の bedrock:InvokeModel を許可",
                  "アクセス許可の境界 WorkshopBoundary: arn:aws:bedrock:",
                  'AWS: "because no permissions boundary allows the bedrock:InvokeModel action"',
                  "件の問題が見つかりました。"):
        assert words in printed, f"{words!r} not in:\n{printed}"
    assert "fix:" not in printed and "problem(s) found" not in printed, printed


def test_doctor_after_cleanup_checks_leftovers(sandbox, tmp_path, monkeypatch):
    """(Last: it resets the sandbox that the workshop fixture built.)

    No stack and nothing left: healthy. A leftover endpoint-less VPC tagged for the workshop: named, exit 1."""
    for var in config.ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WORKSHOP_CONFIG", str(tmp_path / "workshop_config.json"))
    monkeypatch.setenv("WORKSHOP_REQUIRE_SANDBOX", "1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.url)
    reset_sandbox(sandbox.url)
    target._active = None
    target._client_cache.clear()
    cfg = config.save({"target": "sandbox", "region": "us-east-1", "account_id": "123456789012",
                       "model_id": "us.amazon.nova-micro-v1:0", "prefix": ""})
    cfg = config.load()
    target.activate("sandbox")
    clean = doctor.diagnose(cfg, target.client)
    assert clean.ok, clean.text()
    assert "does not exist" in clean.text()
    ec2 = target.client("ec2", cfg.region)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": cfg.tags}])["Vpc"]
    left = doctor.diagnose(cfg, target.client)
    assert not left.ok
    bad = {c.name: c for c in left.failures}["nothing left after cleanup"]
    assert vpc["VpcId"] in bad.detail and "notebook 07" in bad.fix
    target._active = None
    target._client_cache.clear()
