"""The instructor's tooling, fast parts: the participant role template, bad input, stack set operations one at a
time, the shared-account mode on the sandbox (quota refusal, provision, status, cleanup), notebook hygiene.

The room of 30 accounts (StackSets on an OU, participants through `instructor env`, fast-forward, verified
cleanup) is in tests/test_instructor_room.py.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from botocore.exceptions import ClientError

from utils.instructor import cli, stacksets, status

ROOT = Path(__file__).resolve().parents[1]
ROLE_TEMPLATE = ROOT / "cfn" / "participant-role.yaml"
INSTRUCTOR_NOTEBOOKS = sorted((ROOT / "notebooks" / "instructor").glob("*.ipynb"))
# Read-only actions that AWS does not scope to a resource: "*" is what AWS requires for them.
UNSCOPED_READS = re.compile(r"^(ec2:Describe\w+|cloudformation:(DescribeStacks|ListStacks|ValidateTemplate)|"
                            r"lambda:ListFunctions|iam:ListRoles|bedrock:(List|Get)\w+|cloudtrail:LookupEvents|"
                            r"servicequotas:Get\w+|route53:ListHostedZones(ByName)?|"
                            r"route53resolver:List(ResolverEndpoints|ResolverRules|ResolverRuleAssociations)|"
                            r"access-analyzer:ValidatePolicy)$")  # reads the document it is sent; no resource type


def _role_template() -> dict:
    from cfnlint.decode import decode

    template, matches = decode(str(ROLE_TEMPLATE))
    assert not matches
    return json.loads(json.dumps(template))


# ---------------------------------------------------------------------------------------------- the role
@pytest.mark.parametrize("name", ["participant-role.yaml", "studio-domain.yaml"])
def test_instructor_templates_pass_cfn_lint(name):
    from cfnlint.api import ManualArgs, lint_file

    assert [str(m) for m in lint_file(ROOT / "cfn" / name, config=ManualArgs(regions=["us-east-1"]))] == []


def test_studio_template_gives_each_participant_a_profile_and_the_setup():
    text = (ROOT / "cfn" / "studio-domain.yaml").read_text()
    assert "Fn::ForEach::Participants:" in text and "AWS::SageMaker::UserProfile" in text
    assert "git clone --depth 1" in text and "pip install --quiet -r requirements.txt" in text
    assert "role/WorkshopParticipant" in text  # the execution role: the notebooks' permissions, no more


def test_participant_role_is_least_privilege():
    role = _role_template()["Resources"]["WorkshopParticipantRole"]["Properties"]
    assert role["RoleName"] == "WorkshopParticipant"
    condition, with_studio, without = role["AssumeRolePolicyDocument"]["Fn::If"]
    assert condition == "StudioTrust"  # sagemaker.amazonaws.com only with AllowSageMakerStudio=true
    assert with_studio["Statement"][2]["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    trust, tagging = without["Statement"]
    assert with_studio["Statement"][:2] == [trust, tagging]
    # The instructor's AssumeRole may pass the session tag participant, and only that key (notebook 06's ABAC).
    assert tagging["Action"] == "sts:TagSession" and tagging["Principal"] == trust["Principal"]
    assert tagging["Condition"] == {"ForAllValues:StringEquals": {"aws:TagKeys": ["participant"]}}
    assert trust["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${InstructorAccountId}:root"}}
    assert trust["Action"] == "sts:AssumeRole"
    (policy,) = role["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    granted = set()
    for st in statements:
        assert "NotAction" not in st and "NotResource" not in st, st.get("Sid")
        # One Deny: no re-tagging of another participant's Transit Gateway or attachment (notebook 06's ABAC).
        assert st["Effect"] == "Allow" or st["Sid"] == "NoRetaggingOfOthersGateways", st.get("Sid")
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        assert all("*" not in a for a in actions), f"{st['Sid']}: wildcard action"
        if st["Effect"] == "Allow":
            granted.update(actions)
        if st["Resource"] == "*":
            # route53:CreateHostedZone has no resource type (Service Authorization Reference, Amazon Route 53).
            assert all(UNSCOPED_READS.match(a) or a == "route53:CreateHostedZone" for a in actions), \
                f"{st['Sid']}: Resource '*' for {actions}"
        else:
            text = json.dumps(st["Resource"])
            # A hosted zone's ARN names no account (arn:aws:route53:::hostedzone/ID): IAM applies it to this one.
            assert "${AWS::AccountId}" in text or st["Resource"] == {"Ref": "ModelArns"} \
                or text == json.dumps({"Fn::Sub": "arn:${AWS::Partition}:route53:::hostedzone/*"}), st["Sid"]
    # Everything the notebooks call as the learner (utils.preflight's lists, notebook 06's included), and no IAM or
    # STS administration.
    from utils.preflight import BEYOND_ACTIONS, WORKSHOP_ACTIONS

    missing = sorted(set(WORKSHOP_ACTIONS + BEYOND_ACTIONS) - granted - {"sts:GetCallerIdentity"})
    assert missing == []
    assert not {a for a in granted if re.match(r"iam:(Attach|Create(User|Policy|AccessKey)|PutUserPolicy)", a)}
    endpoint = next(s for s in statements if s["Sid"] == "CreateEndpointToAwsServicesOnly")
    assert endpoint["Condition"] == {"StringEquals": {"ec2:VpceServiceOwner": "amazon"}}
    passrole = next(s for s in statements if s["Action"] == "iam:PassRole")
    assert passrole["Condition"] == {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    # The instructor's pre-deployed stack can be read, never deleted by the participant.
    deletable = next(s for s in statements if "cloudformation:DeleteStack" in s["Action"])
    assert "StackSet-" not in json.dumps(deletable["Resource"])


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("argv, message", [
    (["provision", "--shared", "0"], "give at least 1"),
    (["provision", "--ou", "r-abcd"], "is not an OU ID"),
    (["provision", "--accounts", "1234,5678"], "has 4 digits, not 12"),
    (["provision", "--accounts", "123456789012,123456789012"], "distinct"),
    (["provision", "--shared", "2", "--prefix-base", "Bad_Name"], "characters that AWS resource names"),
    (["provision", "--shared", "2", "--prefix-base", "much-too-long"], "at most"),
    (["provision", "--shared", "2", "--guardrail"], "--guardrail needs --ou"),
    (["provision", "--shared", "2", "--region", "mars-1"], "mars-1"),
    (["status", "--room", "Room!"], "is not a valid room name"),
])
def test_bad_input_is_refused_before_any_call(argv, message, capsys, monkeypatch):
    from utils import target

    monkeypatch.setattr(target, "activate", lambda *a, **k: pytest.fail("no AWS call for bad input"))
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- one operation at a time
class _FakeCfn:
    """A stack set with one RUNNING operation, then ours; AWS refuses a second one while the first runs."""

    class exceptions:  # noqa: N801 - boto3's shape
        class OperationInProgressException(Exception):
            pass

        class StackSetNotFoundException(Exception):
            pass

    def __init__(self):
        self.ops = {"op-old": ["RUNNING", "RUNNING", "SUCCEEDED"]}
        self.started = []

    def get_paginator(self, name):
        fake = self

        class P:
            def paginate(self, **kwargs):
                if name == "list_stack_set_operations":
                    yield {"Summaries": [{"OperationId": k, "Status": v[0]} for k, v in fake.ops.items()]}
                else:
                    yield {"Summaries": [{"Account": "111122223333", "Region": "us-east-1", "Status": "FAILED",
                                          "StatusReason": "boom"}]}
        return P()

    def describe_stack_set_operation(self, StackSetName, OperationId):  # noqa: N803
        states = self.ops[OperationId]
        state = states.pop(0) if len(states) > 1 else states[0]
        return {"StackSetOperation": {"OperationId": OperationId, "Status": state}}

    def start(self, result="SUCCEEDED"):
        if any(v[0] in stacksets.ACTIVE_OPERATION for v in self.ops.values()):
            raise self.exceptions.OperationInProgressException()
        self.ops["op-new"] = ["RUNNING", result]
        self.started.append("op-new")
        return {"OperationId": "op-new"}


def test_an_operation_waits_for_the_running_one_then_for_itself():
    cfn = _FakeCfn()
    op = stacksets.run(cfn, "room-participant", cfn.start, what="instances", quiet=True)
    assert op["Status"] == "SUCCEEDED" and cfn.started == ["op-new"]
    assert cfn.ops["op-old"] == ["SUCCEEDED"]  # it was waited for before ours started


def test_a_failed_operation_names_each_failed_account():
    cfn = _FakeCfn()
    cfn.ops.clear()
    with pytest.raises(stacksets.OperationFailed, match=r"1 account\(s\) FAILED \(111122223333 us-east-1\): boom"):
        stacksets.run(cfn, "room-stack", lambda: cfn.start("FAILED"), what="instances", quiet=True)


def test_operation_preferences_are_stated():
    prefs = stacksets.OPERATION_PREFERENCES
    assert prefs["RegionConcurrencyType"] == "PARALLEL"
    assert prefs["MaxConcurrentPercentage"] == 100 and prefs["FailureTolerancePercentage"] == 10


def test_model_arns_fit_every_account_of_the_room():
    from utils.instructor.provision import room_model_arns

    assert room_model_arns(["arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-micro-v1:0",
                            "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-micro-v1:0"]) == [
        "arn:aws:bedrock:us-east-1:*:inference-profile/us.amazon.nova-micro-v1:0",
        "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-micro-v1:0"]


def test_policy_effect_of_an_endpoint():
    allow = {"PolicyDocument": json.dumps({"Statement": [{"Effect": "Allow"}]})}
    deny = {"PolicyDocument": json.dumps({"Statement": [{"Effect": "Allow"}, {"Effect": "Deny"}]})}
    assert [status.policy_effect(e) for e in (allow, deny, None)] == ["Allow", "Deny", "none"]


# ---------------------------------------------------------------------------------------------- shared account

def test_shared_account_refuses_a_room_beyond_the_vpc_quota(instructor_env, aws, capsys):
    ec2 = aws("ec2")
    before = ec2.describe_vpcs()["Vpcs"]
    assert cli.main(["provision", "--shared", "5"]) == 1  # the account's state, not the command line
    err = capsys.readouterr().err
    assert "'VPCs per Region' (L-F678F1CE) is 5" in err and "so 2 participant(s) fit" in err  # 2 VPCs each
    assert "request-service-quota-increase --service-code vpc --quota-code L-F678F1CE" in err
    assert ec2.describe_vpcs()["Vpcs"] == before
    assert aws("cloudformation").describe_stacks()["Stacks"] == []


def instructor_env_tmp(env: dict) -> Path:
    return Path(env["WORKSHOP_CONFIG"]).parent


def test_shared_account_room_provision_status_cleanup(instructor_env, aws, capsys):
    assert cli.main(["provision", "--shared", "2", "--predeploy", "--hours", "2"]) == 0
    out = capsys.readouterr().out
    assert "the room fits" in out and "Estimated cost of the room for 2 h" in out
    ec2 = aws("ec2")
    assert len(ec2.describe_vpcs()["Vpcs"]) == 3  # the default VPC and one per participant
    # Notebook 06 adds a corporate stand-in VPC per participant (provision counts 2 each); then the quota holds: a
    # sixth VPC is refused by EC2 itself, as on AWS.
    stand_ins = [ec2.create_vpc(CidrBlock=f"172.{16 + i}.0.0/16")["Vpc"]["VpcId"] for i in range(2)]
    with pytest.raises(ClientError) as err:
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
    assert err.value.response["Error"]["Code"] == "VpcLimitExceeded"
    for vpc_id in stand_ins:
        ec2.delete_vpc(VpcId=vpc_id)

    # p01 runs 00 to 05 through `instructor env` (WorkshopParticipant, prefix p01): Allow, then Deny, then Allow.
    assert cli.main(["env", "p01"]) == 0
    lines = capsys.readouterr().out
    assert "WORKSHOP_PREFIX=p01" in lines and "export AWS_ACCESS_KEY_ID=" in lines and "AWS_SESSION_TOKEN=" in lines
    env = dict(os.environ)
    for line in lines.splitlines():
        if line.startswith("export "):
            env.update(word.split("=", 1) for word in shlex.split(line[len("export "):]))
    run = subprocess.run([sys.executable, "-m", "utils", "run", "--only", "00,01,02,03,04,05", "--out",
                          str(instructor_env_tmp(env) / "runs")], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=400)
    assert run.returncode == 0, run.stdout + run.stderr

    assert cli.main(["status", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["participant"] for r in rows] == ["p01", "p02"]
    assert all(r["stack_status"] == "CREATE_COMPLETE" and not r["adopted"] and r["error"] == "" for r in rows)
    p01, others = rows[0], rows[1:]
    assert p01["step"] == "05" and p01["policy_effect"] == "Allow" and p01["private_dns"] is True
    assert p01["last_allow"]["endpoint"] == p01["endpoint_id"] == p01["last_deny"]["endpoint"]
    assert p01["last_allow"]["time"] >= p01["last_deny"]["time"]  # 05 restores Allow and calls again
    assert p01["function_in_vpc"] == "yes" and p01["endpoint_usd"] == 0.02
    assert all(r["step"] == "" and r["endpoint_id"] is None and r["policy_effect"] == "none" for r in others)

    assert cli.main(["cleanup"]) == 0
    out = capsys.readouterr().out
    assert f"removed in p01: endpoint {p01['endpoint_id']}; VPC attachment of " in out
    assert "inline policy lambda-bedrock-sourcevpce-access-only" in out and "stack p01-Bedrock-GenAI-Stack" in out
    assert "Verified: nothing of the workshop remains in any of the 2 participant(s)." in out
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1
    assert aws("cloudformation").describe_stacks()["Stacks"] == []


# ---------------------------------------------------------------------------------------------- notebooks
@pytest.mark.parametrize("path", INSTRUCTOR_NOTEBOOKS, ids=lambda p: p.name)
def test_instructor_notebook_hygiene(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("**Objectives**", "**Time**", "**Cost**", "**Prerequisites**", "## Troubleshooting",
                    "## What you learned", "You should see"):
        assert heading in markdown, f"{path.name} lacks {heading}"
    text = "\n".join(c.source for c in nb.cells)
    assert "YOUR_" not in text and "sleep(" not in text
    assert not re.search(r"(?<![\d.-])\d{12}(?![\d.-])", text)


def test_three_instructor_notebooks():
    assert [p.name for p in INSTRUCTOR_NOTEBOOKS] == ["01_provision.ipynb", "02_dashboard.ipynb",
                                                     "03_cleanup.ipynb"]
    cleanup = "\n".join(c.source for c in nbformat.read(INSTRUCTOR_NOTEBOOKS[2], as_version=4).cells)
    assert "StackSetNotEmptyException" in cleanup and "ENIs" in cleanup


@pytest.mark.slow
def test_instructor_notebooks_run_a_shared_room(instructor_env, aws, monkeypatch):
    """01 provisions 3 prefixes (pre-deployed), 02 shows the dashboard, 03 cleans up and asserts it verified."""
    from nbclient import NotebookClient

    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    monkeypatch.setenv("ROOM_SHARED", "2")  # 2 VPCs each (notebook 06): 2 fit in the default quota of 5
    texts = {}
    for path in INSTRUCTOR_NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        texts[path.name[:2]] = "\n".join("".join(o.get("text", "")) for c in nb.cells for o in c.get("outputs", []))
    assert "2 participant(s) fit" in texts["01"] and "The room: 2 participant(s)" in texts["01"]
    assert "Read 2 participant(s) in" in texts["02"] and "reached: 01 stack: 0" in texts["02"]
    assert "Verified: nothing of the workshop remains in any of the 2 participant(s)." in texts["03"]
    assert aws("cloudformation").describe_stacks()["Stacks"] == []


def test_the_guardrail_scp_refuses_another_model_with_awss_message(instructor_env, aws, capsys):
    from benchmarks.bench_room import make_org_room
    from utils.instructor import room

    ou, (account,) = make_org_room(aws("organizations"), 1)
    assert cli.main(["provision", "--ou", ou, "--guardrail"]) == 0
    assert f"Attached bedrock-workshop-guardrail to {ou}" in capsys.readouterr().out
    r = room.require("us-east-1")
    runtime = r.clients(r.find(account))("bedrock-runtime")  # as WorkshopParticipant in the participant's account
    ask = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    with pytest.raises(ClientError) as err:
        runtime.converse(modelId="amazon.nova-pro-v1:0", **ask)
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "with an explicit deny in a service control policy" in err.value.response["Error"]["Message"]
    runtime.converse(modelId="us.amazon.nova-micro-v1:0", **ask)  # the workshop's model stays allowed
    assert cli.main(["cleanup"]) == 0
    assert "SCP bedrock-workshop-guardrail" in capsys.readouterr().out
    policies = aws("organizations").list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert [p["Name"] for p in policies if p["Name"] == "bedrock-workshop-guardrail"] == []


def test_the_studio_template_gives_each_participant_a_profile_on_the_sandbox(sandbox, aws):
    import base64

    ec2, cfn, sm = aws("ec2"), aws("cloudformation"), aws("sagemaker")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    params = {"ParticipantNames": "p01,p02,p03", "RepositoryUrl": "https://github.com/example/workshop.git",
              "VpcId": vpc, "SubnetIds": ",".join(subnets[:2])}
    cfn.create_stack(StackName="room-studio", TemplateBody=(ROOT / "cfn" / "studio-domain.yaml").read_text(),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
                     Capabilities=["CAPABILITY_AUTO_EXPAND"])  # the AWS::LanguageExtensions transform
    from tests.conftest import wait_for

    final = wait_for(lambda: next((s for s in cfn.describe_stacks(StackName="room-studio")["Stacks"]
                                   if not s["StackStatus"].endswith("_IN_PROGRESS")), None), "the stack", 60)
    assert final["StackStatus"] == "CREATE_COMPLETE", final.get("StackStatusReason")
    domain_id = next(o["OutputValue"] for o in final["Outputs"] if o["OutputKey"] == "DomainId")
    profiles = sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]
    assert sorted(p["UserProfileName"] for p in profiles) == ["p01", "p02", "p03"]
    settings = sm.describe_domain(DomainId=domain_id)["DefaultUserSettings"]
    assert settings["ExecutionRole"].endswith(":role/WorkshopParticipant")
    (lcc_arn,) = settings["JupyterLabAppSettings"]["LifecycleConfigArns"]
    lcc = sm.describe_studio_lifecycle_config(StudioLifecycleConfigName=lcc_arn.split("/")[-1])
    script = base64.b64decode(lcc["StudioLifecycleConfigContent"]).decode()
    assert 'git clone --depth 1 "https://github.com/example/workshop.git"' in script
    assert "pip install --quiet -r requirements.txt" in script


def test_self_managed_room_on_a_list_of_accounts(instructor_env, aws, capsys):
    """SELF_MANAGED: refused with the roles to create while they are missing; then provision, status, cleanup."""
    from benchmarks.bench_room import make_org_room

    _, accounts = make_org_room(aws("organizations"), 2)
    assert cli.main(["provision", "--accounts", ",".join(accounts)]) == 1  # the roles are missing: state
    assert "AWSCloudFormationStackSetAdministrationRole" in capsys.readouterr().err
    assert aws("cloudformation").list_stack_sets()["Summaries"] == []

    # The two roles of AWS's "Grant self-managed permissions" templates.
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "cloudformation.amazonaws.com"}}]}
    execution = "arn:*:iam::*:role/AWSCloudFormationStackSetExecutionRole"
    admin = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": execution}]}
    iam = aws("iam")
    iam.create_role(RoleName="AWSCloudFormationStackSetAdministrationRole", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="AWSCloudFormationStackSetAdministrationRole", PolicyName="AssumeExecution",
                        PolicyDocument=json.dumps(admin))
    sts = aws("sts")
    for account in accounts:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                RoleSessionName="setup")["Credentials"]
        member = aws("iam", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                     aws_session_token=creds["SessionToken"])
        admin_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                               "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
        member.create_role(RoleName="AWSCloudFormationStackSetExecutionRole",
                           AssumeRolePolicyDocument=json.dumps(admin_trust))
        member.attach_role_policy(RoleName="AWSCloudFormationStackSetExecutionRole",
                                  PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")

    assert cli.main(["provision", "--accounts", ",".join(accounts), "--predeploy"]) == 0
    out = capsys.readouterr().out
    assert "Created the stack set bedrock-workshop-participant (SELF_MANAGED)." in out
    assert "bedrock-workshop-stack: 2 of 2 stack instance(s) CURRENT." in out
    assert cli.main(["status", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["participant"] for r in rows) == sorted(accounts)
    assert all(r["adopted"] and r["stack_status"] == "CREATE_COMPLETE" and not r["error"] for r in rows)
    assert cli.main(["cleanup"]) == 0
    assert "Verified: nothing of the workshop remains in any of the 2 participant(s)." in capsys.readouterr().out
