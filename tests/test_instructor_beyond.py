"""Notebook 06 in an instructor's room: the participant role allows it on the participant's own resources only, and
`python -m utils instructor cleanup` removes it for every participant, from any partial state.

What the sandbox enforces and what it does not: the sandbox authorizes Amazon Bedrock's calls, AssumeRole (its trust
policy, sts:TagSession for session tags included) and Lambda's check of an execution role; it does not authorize
EC2, Route 53, Route 53 Resolver or CloudFormation calls. So the role's statements for notebook 06 are checked here
through IAM's policy simulator (SimulatePrincipalPolicy, answered by the same evaluator, iampolicy), with the
request's tags and the session's tag as context entries, as an instructor would check them on AWS; the room test
runs notebook 06 as the participant role end to end, which exercises the trust policy and the session tag, not the
EC2/Route 53 statements.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path

import pytest

from utils import config, inventory, preflight
from utils.instructor import cli

ROOT = Path(__file__).resolve().parents[1]
NB06 = ROOT / "notebooks" / "06_beyond_the_vpc.ipynb"
REGION = "us-east-1"
HOST = f"bedrock-runtime.{REGION}.amazonaws.com"
# The actions whose statements compare the participant's tag (aws:RequestTag / aws:ResourceTag against the session's
# aws:PrincipalTag/participant): another participant's resource, or a request tagged for another, is refused.
SEPARATED = {
    "ec2:CreateTransitGateway", "ec2:DeleteTransitGateway", "ec2:CreateTransitGatewayVpcAttachment",
    "ec2:DeleteTransitGatewayVpcAttachment", "ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute",
    "route53resolver:CreateResolverEndpoint", "route53resolver:DeleteResolverEndpoint",
    "route53resolver:CreateResolverRule", "route53resolver:DeleteResolverRule",
    "route53resolver:AssociateResolverRule", "route53resolver:DisassociateResolverRule",
}


@pytest.fixture
def instructor_env(instructor_env):
    """tests/conftest.py's, with the "VPCs per Region" quota raised to 10 (a shared room needs 2 VPCs per
    participant with notebook 06; AWS's default is 5), as an instructor would through Service Quotas."""
    from sandbox import ACCOUNT_ID, servicequotas

    servicequotas.set_applied_quota(ACCOUNT_ID, REGION, 10)
    return instructor_env


def _entries(values: dict) -> list[dict]:
    return [{"ContextKeyName": k, "ContextKeyValues": v if isinstance(v, list) else [v],
             "ContextKeyType": "stringList" if isinstance(v, list) else "string"} for k, v in values.items()]


def _simulate(iam, role_arn: str, action: str, resource: str, *, session: str | None, owner: str) -> str:
    """The simulator's decision for `action` on `resource` by a session tagged participant=<session> (None: no
    session tag), the resource and the request tagged as `owner`'s."""
    context = {"aws:RequestedRegion": REGION,
               "aws:RequestTag/workshop": "bedrock-privatelink", "aws:RequestTag/participant": owner,
               "aws:TagKeys": ["workshop", "participant"],
               "aws:ResourceTag/workshop": "bedrock-privatelink", "aws:ResourceTag/participant": owner,
               "route53:ChangeResourceRecordSetsNormalizedRecordNames": [HOST]}
    if action in ("ec2:CreateTransitGateway", "ec2:CreateTransitGatewayVpcAttachment") and "attachment" in resource \
            or action == "ec2:CreateTransitGateway" or action.startswith(("route53resolver:Create",)):
        context.pop("aws:ResourceTag/participant")  # a resource being created has no tags yet
        context.pop("aws:ResourceTag/workshop")
    if session is not None:
        context["aws:PrincipalTag/participant"] = session
    result = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=[action], ResourceArns=[resource],
                                           ContextEntries=_entries(context))
    return result["EvaluationResults"][0]["EvalDecision"]


def test_the_participant_role_allows_notebook_06_on_the_participants_own_resources_only(instructor_env, aws,
                                                                                         capsys):
    assert cli.main(["provision", "--shared", "2"]) == 0
    capsys.readouterr()
    iam = aws("iam")
    role_arn = iam.get_role(RoleName="WorkshopParticipant")["Role"]["Arn"]
    account = role_arn.split(":")[4]
    cfg = config.WorkshopConfig("sandbox", REGION, account, config.DEFAULT_MODEL_ID, "p01")
    resources = preflight.beyond_resources(cfg, account)
    assert set(resources) == set(preflight.BEYOND_ACTIONS)

    # Its own: every action notebooks 06 and 07 call.
    denied = {a: d for a, r in resources.items()
              if (d := _simulate(iam, role_arn, a, r, session="p01", owner="p01")) != "allowed"}
    assert denied == {}

    # Another participant's (p02's tags on the resource, or on the request): refused, every separated action.
    allowed = {a for a, r in resources.items() if a in SEPARATED
               and _simulate(iam, role_arn, a, r, session="p01", owner="p02") == "allowed"}
    assert allowed == set()
    assert SEPARATED <= set(resources)

    # Re-tagging another participant's gateway to take it over: an explicit Deny; its own: allowed.
    tgw = f"arn:aws:ec2:{REGION}:{account}:transit-gateway/tgw-0123456789abcdef0"
    assert _simulate(iam, role_arn, "ec2:CreateTags", tgw, session="p01", owner="p02") == "explicitDeny"
    assert _simulate(iam, role_arn, "ec2:CreateTags", tgw, session="p01", owner="p01") == "allowed"

    # A session without the tag (SageMaker Studio) counts as "default": the value of a room of one account each.
    assert _simulate(iam, role_arn, "ec2:DeleteTransitGateway", tgw, session=None, owner="default") == "allowed"
    assert _simulate(iam, role_arn, "ec2:DeleteTransitGateway", tgw, session=None, owner="p01") == "implicitDeny"

    # A hosted zone's records: only the default hostname of Bedrock's runtime.
    zone = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
    other = iam.simulate_principal_policy(
        PolicySourceArn=role_arn, ActionNames=["route53:ChangeResourceRecordSets"], ResourceArns=[zone],
        ContextEntries=_entries({"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["www.example.com"]}))
    assert other["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"


def test_assume_role_with_a_session_tag_needs_sts_tag_session_in_the_trust_policy(sandbox, aws):
    """IAM User Guide, "Pass session tags in AWS STS", permissions required: the trust policy must allow
    sts:TagSession; without it AssumeRole with Tags is refused, and without Tags it is not."""
    from botocore.exceptions import ClientError

    iam, sts = aws("iam"), aws("sts")
    me = sts.get_caller_identity()["Account"]
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{me}:root"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName="NoTagSession", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    sts.assume_role(RoleArn=arn, RoleSessionName="plain")
    with pytest.raises(ClientError) as err:
        sts.assume_role(RoleArn=arn, RoleSessionName="tagged", Tags=[{"Key": "participant", "Value": "p01"}])
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert "sts:TagSession" in err.value.response["Error"]["Message"]


def test_a_role_provisioned_before_the_session_tag_says_to_provision_again(instructor_env, aws, capsys):
    """A room whose WorkshopParticipant predates the session tag (its trust policy lacks sts:TagSession): `env`
    exits 1 with what happened and the fix (provision again), not a bare AccessDenied. (The trust policy is edited
    here; in a real room the role stack's older template differs from role_template(), so provision updates it.)"""
    assert cli.main(["provision", "--shared", "1"]) == 0
    capsys.readouterr()
    iam = aws("iam")
    trust = json.loads(json.dumps(iam.get_role(RoleName="WorkshopParticipant")["Role"]["AssumeRolePolicyDocument"]))
    trust["Statement"] = [st for st in trust["Statement"] if "sts:TagSession" not in json.dumps(st.get("Action"))]
    assert trust["Statement"], "the trust policy had only sts:TagSession statements"
    iam.update_assume_role_policy(RoleName="WorkshopParticipant", PolicyDocument=json.dumps(trust))

    assert cli.main(["env", "p01"]) == 1
    said = capsys.readouterr()
    assert "does not accept the session tag participant" in said.err + said.out, said
    assert "python -m utils instructor provision" in said.err + said.out and "Traceback" not in said.err


# ---------------------------------------------------------------------------------------------- the room


def _env_of(participant: str, capsys) -> dict:
    assert cli.main(["env", participant]) == 0
    lines = capsys.readouterr().out
    env = dict(os.environ)
    for line in lines.splitlines():
        if line.startswith("export "):
            env.update(word.split("=", 1) for word in shlex.split(line[len("export "):]))
    return env


def _run_06_until(cell_id: str, env: dict, skip: tuple[str, ...] = ()) -> None:
    """Notebook 06 up to and including `cell_id`, without the cells `skip`, as the participant whose environment
    `env` is (a kernel inherits this process's environment)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NB06, as_version=4)
    ids = [c.get("id") for c in nb.cells]
    nb.cells = [c for c in nb.cells[: ids.index(cell_id) + 1] if c.get("id") not in skip]
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("AWS_", "WORKSHOP_"))})
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(NB06.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _network(aws) -> dict:
    """Notebook 06's resources in the account of the client factory `aws`, seen from outside the tooling."""
    ec2, resolver, r53 = aws("ec2"), aws("route53resolver"), aws("route53")
    return {
        "transit gateways": [g["TransitGatewayId"] for g in ec2.describe_transit_gateways()["TransitGateways"]
                             if g["State"] != "deleted"],
        "attachments": [a["TransitGatewayAttachmentId"] for a in ec2.describe_transit_gateway_vpc_attachments()[
            "TransitGatewayVpcAttachments"] if a["State"] != "deleted"],
        "resolver endpoints": [e["Id"] for e in resolver.list_resolver_endpoints()["ResolverEndpoints"]],
        "resolver rules": [r["Id"] for r in resolver.list_resolver_rules()["ResolverRules"]
                           if r.get("OwnerId") != "Route 53 Resolver"],
        "private hosted zones": [z["Id"] for z in r53.list_hosted_zones()["HostedZones"]
                                 if z["Config"].get("PrivateZone")],
        "stacks": [s["StackName"] for s in aws("cloudformation").describe_stacks()["Stacks"]
                   if s["StackStatus"] != "DELETE_COMPLETE"],
    }


@pytest.mark.slow
def test_a_shared_room_with_notebook_06_is_cleaned_from_any_partial_state(instructor_env, aws, capsys, monkeypatch,
                                                                          tmp_path):
    """A shared room of 3: p01 fast-forwards to 06 as WorkshopParticipant (session tag participant=p01), p02 stops
    in 06 after its Resolver endpoints (Transit Gateway, attachments, endpoints, no rule or zone yet), p03 did not
    start. Cleanup exits 0 with "Verified", and nothing of notebook 06 is left for anyone."""
    from utils import runner

    t0 = time.monotonic()
    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    assert cli.main(["provision", "--shared", "3"]) == 0
    capsys.readouterr()

    assert cli.main(["fast-forward", "p01", "--to", "06"]) == 0
    out = capsys.readouterr().out
    assert "Running notebooks 00,01,02,03,04,05,06 as p01" in out

    p02 = _env_of("p02", capsys)
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in p02.items() if k.startswith(("AWS_", "WORKSHOP_"))})
    try:
        report = runner.run(only=["00", "01", "02", "03", "04"], out_root=tmp_path / "p02", echo=lambda _l: None)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert report.ok, [(r.notebook, r.error) for r in report.results]
    # Stopped after the Resolver endpoints (no forwarding rule, no zone yet). Path 1 (06-16) works for p02 too,
    # although its VPCs use the same ranges as p01's: each Transit Gateway routes to its own attachments.
    _run_06_until("06-18", p02)

    before = _network(aws)
    assert len(before["transit gateways"]) == 2 and len(before["attachments"]) == 4
    assert len(before["resolver endpoints"]) == 4 and len(before["resolver rules"]) == 1
    assert len(before["private hosted zones"]) == 1
    assert {"p01-Bedrock-Corporate-Stack", "p02-Bedrock-Corporate-Stack"} <= set(before["stacks"])

    assert cli.main(["status", "--json"]) == 0
    rows = {r["participant"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["p01"]["step"] == "06"
    assert any(item.startswith("transit gateway ") for item in rows["p02"]["leftovers"])
    assert rows["p03"]["step"] == ""

    t_cleanup = time.monotonic()
    assert cli.main(["cleanup"]) == 0
    cleanup_s = time.monotonic() - t_cleanup
    out = capsys.readouterr().out
    assert "Verified: nothing of the workshop remains in any of the 3 participant(s)." in out
    for who in ("p01", "p02"):
        line = next(ln for ln in out.splitlines() if ln.startswith(f"removed in {who}: "))
        assert "Transit Gateway tgw-" in line and "resolver endpoint rslvr-" in line, line
        assert f"stack {who}-Bedrock-Corporate-Stack" in line and f"stack {who}-Bedrock-GenAI-Stack" in line, line
    assert "resolver rule rslvr-rr-" in out and "private hosted zone" in out

    assert _network(aws) == {"transit gateways": [], "attachments": [], "resolver endpoints": [],
                             "resolver rules": [], "private hosted zones": [], "stacks": []}
    me = aws("sts").get_caller_identity()["Account"]
    for prefix in ("p01", "p02", "p03"):
        cfg = config.WorkshopConfig("sandbox", REGION, me, config.DEFAULT_MODEL_ID, prefix)
        assert inventory.collect(cfg, lambda service, region=REGION: aws(service, region),
                                 include_adopted=True) == [], prefix
    # Measured, not asserted (docs/benchmarks.md): the whole test, and the cleanup of the room of 3.
    print(f"\nroom test {time.monotonic() - t0:.1f} s, cleanup of 3 participants with notebook 06: {cleanup_s:.1f} s")


@pytest.mark.slow
def test_a_guardrailed_ou_room_with_notebook_06_is_cleaned_and_verified(instructor_env, aws, capsys, monkeypatch,
                                                                        tmp_path):
    """A room on an OU with the guardrail SCP and pre-deployed stacks, of 2 accounts: the first fast-forwards to 06
    as WorkshopParticipant (its corporate client's Bedrock calls pass the SCP), the second stops in 06 after the
    Transit Gateway's attachments. The SCP allows every action of notebooks 06 and 07 (IAM's simulator, which
    evaluates the account's SCPs). Cleanup deletes the corporate stacks before the stack instances, and verifies."""
    from benchmarks.bench_room import make_org_room
    from utils import runner

    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    ou, (first, second) = make_org_room(aws("organizations"), 2)
    assert cli.main(["provision", "--ou", ou, "--predeploy", "--guardrail"]) == 0
    capsys.readouterr()

    assert cli.main(["fast-forward", first, "--to", "06"]) == 0
    capsys.readouterr()

    env = _env_of(second, capsys)
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("AWS_", "WORKSHOP_"))})
    try:
        report = runner.run(only=["00", "01", "02", "03", "04"], out_root=tmp_path / "second", echo=lambda _l: None)
        assert report.ok, [(r.notebook, r.error) for r in report.results]
        # The SCP of the OU allows every action of 06 and 07 in the workshop's Region, on the role's own resources.
        kw = {"aws_access_key_id": env["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
              "aws_session_token": env["AWS_SESSION_TOKEN"]}
        iam = aws("iam", **kw)
        role_arn = iam.get_role(RoleName="WorkshopParticipant")["Role"]["Arn"]
        cfg = config.WorkshopConfig("sandbox", REGION, second, config.DEFAULT_MODEL_ID, "")
        decisions = {a: _simulate(aws("iam", **_admin_of(aws, second)), role_arn, a, r, session="default",
                                  owner="default")
                     for a, r in preflight.beyond_resources(cfg, second).items()}
        assert {a: d for a, d in decisions.items() if d != "allowed"} == {}
    finally:
        os.environ.clear()
        os.environ.update(saved)
    _run_06_until("06-10", env)  # the corporate stack, the Transit Gateway and its attachments

    assert cli.main(["cleanup"]) == 0
    out = capsys.readouterr().out
    assert "Verified: nothing of the workshop remains in any of the 2 participant(s)." in out
    assert "stack Bedrock-Corporate-Stack" in out and "Transit Gateway tgw-" in out
    for account in (first, second):
        make = lambda service, region=REGION, a=account: aws(service, region, **_admin_of(aws, a))  # noqa: E731
        cfg = config.WorkshopConfig("sandbox", REGION, account, config.DEFAULT_MODEL_ID, "")
        assert inventory.collect(cfg, make, include_adopted=True) == [], account
        assert _network(make) == {"transit gateways": [], "attachments": [], "resolver endpoints": [],
                                  "resolver rules": [], "private hosted zones": [], "stacks": []}


def _admin_of(aws, account: str) -> dict:
    """Credentials of OrganizationAccountAccessRole in `account` (the instructor's administrative role there)."""
    creds = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                   RoleSessionName="test-check")["Credentials"]
    return {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"]}
