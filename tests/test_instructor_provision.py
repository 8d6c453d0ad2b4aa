"""`python -m utils instructor provision` converges, on the sandbox, through the CLI (issue 16).

- the model goes through notebook 00's checks (offered in the Region, lifecycle, geography, profile-only);
- a new --model reaches the participant role (shared account and stack sets);
- a re-run replaces a stack whose creation failed and retries failed stack instances; it exits 0 only when every
  participant is ready;
- --dry-run runs every check of the real run;
- on AWS a paid room needs a confirmation (--yes), the sandbox none.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import set_settings
from utils.instructor import cli


@pytest.fixture
def instructor_env(instructor_env):
    """tests/conftest.py's, with room for these shared rooms of 3: a shared room needs 2 VPCs per participant
    (notebook 06's corporate stand-in), so the "VPCs per Region" quota is raised, as an instructor would through
    Service Quotas (AWS's default is 5)."""
    from sandbox import ACCOUNT_ID, servicequotas

    servicequotas.set_applied_quota(ACCOUNT_ID, "us-east-1", 10)
    return instructor_env


def _role_models(iam) -> str:
    """The participant role's inline policy, as text (its Resource lists the model ARNs)."""
    (name,) = iam.list_role_policies(RoleName="WorkshopParticipant")["PolicyNames"]
    return json.dumps(iam.get_role_policy(RoleName="WorkshopParticipant", PolicyName=name)["PolicyDocument"])


def _stack_names(cfn) -> list[str]:
    return sorted(s["StackName"] for s in cfn.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE")


# ---------------------------------------------------------------------------------------------- the model
@pytest.mark.parametrize("model, message", [
    ("foo.bar", "foo.bar is not offered in us-east-1"),
    ("eu.amazon.nova-micro-v1:0", "within the 'eu' geography"),
    ("anthropic.claude-haiku-4-5-20251001-v1:0", "inference profile"),  # offered only through a profile
])
@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_a_model_the_region_cannot_serve_is_refused_before_anything_is_created(instructor_env, aws, capsys, model,
                                                                              message, dry_run):
    argv = ["provision", "--shared", "2", "--model", model] + (["--dry-run"] if dry_run else [])
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert model in err and message in err  # refused offline (geography) or against the Region's catalog
    assert _stack_names(aws("cloudformation")) == []


def test_a_new_model_reaches_the_role_of_a_shared_room(instructor_env, aws, capsys):
    assert cli.main(["provision", "--shared", "2"]) == 0
    iam = aws("iam")
    assert "foundation-model/amazon.nova-micro-v1:0" in _role_models(iam)
    capsys.readouterr()
    assert cli.main(["provision", "--shared", "2", "--model", "us.amazon.nova-lite-v1:0"]) == 0
    out = capsys.readouterr().out
    assert "model us.amazon.nova-lite-v1:0" in out
    policy = _role_models(iam)
    assert "foundation-model/amazon.nova-lite-v1:0" in policy and "nova-micro" not in policy
    desc = aws("cloudformation").describe_stacks(StackName="bedrock-workshop-participant")["Stacks"][0]
    tags = {t["Key"]: t["Value"] for t in desc["Tags"]}
    assert tags["workshop-model"] == "us.amazon.nova-lite-v1:0"
    # A CommaDelimitedList parameter reads back as the comma-separated string it was given (API Reference,
    # "Parameter"), so that a re-run with the same model sees nothing to update.
    arns = {p["ParameterKey"]: p["ParameterValue"] for p in desc["Parameters"]}["ModelArns"]
    assert arns.startswith("arn:aws:bedrock:us-east-1:*:inference-profile/us.amazon.nova-lite-v1:0,arn:aws:")
    assert cli.main(["provision", "--shared", "2", "--model", "us.amazon.nova-lite-v1:0"]) == 0
    assert "exists (UPDATE_COMPLETE) with prefixes p01 p02." in capsys.readouterr().out


def test_a_new_model_reaches_the_stack_sets_of_an_ou_room(instructor_env, aws, capsys):
    from benchmarks.bench_room import make_org_room
    from utils.instructor import room

    ou, (account,) = make_org_room(aws("organizations"), 1)
    assert cli.main(["provision", "--ou", ou, "--predeploy"]) == 0
    capsys.readouterr()
    assert cli.main(["provision", "--ou", ou, "--predeploy", "--model", "us.amazon.nova-lite-v1:0"]) == 0
    out = capsys.readouterr().out
    assert "Updated the stack set bedrock-workshop-participant and its instances" in out
    assert "Updated the stack set bedrock-workshop-stack and its instances" in out
    cfn = aws("cloudformation")
    params = {p["ParameterKey"]: p["ParameterValue"] for p in cfn.describe_stack_set(
        StackSetName="bedrock-workshop-stack")["StackSet"]["Parameters"]}
    assert params["ModelId"] == "us.amazon.nova-lite-v1:0"
    role_params = {p["ParameterKey"]: p["ParameterValue"] for p in cfn.describe_stack_set(
        StackSetName="bedrock-workshop-participant")["StackSet"]["Parameters"]}
    assert "amazon.nova-lite-v1:0" in role_params["ModelArns"] and "nova-micro" not in role_params["ModelArns"]
    r = room.require("us-east-1")
    assert r.model_id == "us.amazon.nova-lite-v1:0"
    make = r.clients(r.find(account), "OrganizationAccountAccessRole")
    policy = _role_models(make("iam"))  # the role in the account follows
    assert "foundation-model/amazon.nova-lite-v1:0" in policy and "nova-micro" not in policy
    functions = make("lambda").list_functions()["Functions"]  # and the pre-deployed function's MODEL_ID
    assert [f["Environment"]["Variables"]["MODEL_ID"] for f in functions] == ["us.amazon.nova-lite-v1:0"]
    assert cli.main(["cleanup"]) == 0


# ---------------------------------------------------------------------------------------------- convergence
def test_a_rerun_replaces_a_stack_whose_creation_failed(instructor_env, aws, capsys):
    assert cli.main(["provision", "--shared", "2"]) == 0  # the role stack
    set_settings(instructor_env.url, {"faults": {"stack_create_failure": {"resource": "BedrockTestLambdaFunction",
                                                                          "count": 1}}})
    capsys.readouterr()
    assert cli.main(["provision", "--shared", "2", "--predeploy"]) == 1  # state: exit 1
    captured = capsys.readouterr()
    assert "Not every participant is ready: p01-Bedrock-GenAI-Stack ROLLBACK_COMPLETE" in captured.err
    assert "1 of 2 pre-deployed stack(s) ready" in captured.out
    cfn = aws("cloudformation")
    assert cfn.describe_stacks(StackName="p01-Bedrock-GenAI-Stack")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"

    assert cli.main(["provision", "--shared", "2", "--predeploy"]) == 0
    out = capsys.readouterr().out
    assert "p01-Bedrock-GenAI-Stack is ROLLBACK_COMPLETE" in out and "deleting it to create it again" in out
    assert "2 of 2 pre-deployed stack(s) ready (1 replaced, 1 unchanged)" in out
    assert {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]} == {
        "bedrock-workshop-participant": "CREATE_COMPLETE", "p01-Bedrock-GenAI-Stack": "CREATE_COMPLETE",
        "p02-Bedrock-GenAI-Stack": "CREATE_COMPLETE"}
    assert cli.main(["cleanup"]) == 0


def test_a_rerun_retries_failed_stack_instances(instructor_env, aws, capsys):
    from benchmarks.bench_room import make_org_room

    ou, accounts = make_org_room(aws("organizations"), 2)
    assert cli.main(["provision", "--ou", ou]) == 0  # the role stack set
    set_settings(instructor_env.url, {"faults": {"stack_create_failure": {"resource": "BedrockTestLambdaFunction",
                                                                          "count": 1}}})
    capsys.readouterr()
    assert cli.main(["provision", "--ou", ou, "--predeploy"]) == 1  # state: exit 1
    err = capsys.readouterr().err
    assert "Not every participant is ready" in err and "bedrock-workshop-stack" in err
    cfn = aws("cloudformation")
    bad = [s for s in cfn.list_stack_instances(StackSetName="bedrock-workshop-stack")["Summaries"]
           if s["Status"] != "CURRENT"]
    assert len(bad) == 1 and bad[0]["Account"] in accounts

    assert cli.main(["provision", "--ou", ou, "--predeploy"]) == 0
    out = capsys.readouterr().out
    assert "bedrock-workshop-stack: 2 of 2 stack instance(s) CURRENT." in out
    assert all(s["Status"] == "CURRENT" for s in cfn.list_stack_instances(StackSetName="bedrock-workshop-stack")[
        "Summaries"])
    assert cli.main(["cleanup"]) == 0


# ---------------------------------------------------------------------------------------------- dry run, confirmation
def test_dry_run_checks_what_the_real_run_checks(instructor_env, aws, capsys):
    from benchmarks.bench_room import make_org_room

    _, accounts = make_org_room(aws("organizations"), 2)
    assert cli.main(["provision", "--accounts", ",".join(accounts), "--dry-run"]) == 1  # a missing role: state
    assert "AWSCloudFormationStackSetAdministrationRole" in capsys.readouterr().err
    assert cli.main(["provision", "--shared", "3", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "the room fits" in out and "Dry run: every check of the real run passed; nothing was created." in out
    assert _stack_names(aws("cloudformation")) == []
    assert cli.main(["provision", "--shared", "3"]) == 0
    capsys.readouterr()
    assert cli.main(["provision", "--shared", "2", "--dry-run"]) == 2  # shrinking is refused in a dry run too
    assert "would leave p03 out of the room" in capsys.readouterr().err
    assert cli.main(["cleanup"]) == 0


def test_a_paid_room_needs_a_confirmation_on_aws(instructor_env, aws, capsys, monkeypatch):
    from utils.instructor import provision

    monkeypatch.setattr(provision, "_on_sandbox", lambda: False)  # as if on AWS; the calls still go to the sandbox
    monkeypatch.setattr("sys.stdin", open("/dev/null"))  # nobody to answer
    assert cli.main(["provision", "--shared", "1"]) == 2
    captured = capsys.readouterr()
    assert "Estimated cost of the room" in captured.out and "run it again with --yes" in captured.err
    assert _stack_names(aws("cloudformation")) == []
    assert cli.main(["provision", "--shared", "1", "--yes"]) == 0
    assert _stack_names(aws("cloudformation")) == ["bedrock-workshop-participant"]
    assert cli.main(["cleanup"]) == 0
