"""awsfacts against the maintained data that ships the same facts: cfn-lint's Lambda runtime lifecycle, botocore's
Lambda model (the Runtime enum) and botocore's endpoints data (Regions of each service).

These tests fail when awsfacts disagrees with the installed packages. CI installs the versions requirements-lock.txt
pins, so a new fact in a new release reaches CI only through a deliberate lock update; the weekly dependency check
(.github/workflows/dependency-check.yml) runs these tests against the newest releases and opens an issue when one fails.
"""

from __future__ import annotations

import json
import os

import botocore
import botocore.session
import pytest
from botocore.exceptions import ClientError

from awsfacts import awslambda, bedrock, bedrock_endpoints


def _version(runtime: str) -> tuple[int, ...]:
    return tuple(int(p) for p in runtime.removeprefix("python").split("."))


def _lambda_runtime_enum() -> list[str]:
    return botocore.session.get_session().get_service_model("lambda").shape_for("Runtime").enum


def _endpoints() -> dict:
    path = os.path.join(os.path.dirname(botocore.__file__), "data", "endpoints.json")
    with open(path, encoding="utf-8") as f:
        return next(p for p in json.load(f)["partitions"] if p["partition"] == "aws")


# ---------------------------------------------------------------------------------------- Lambda runtimes


def test_the_lifecycle_is_read_from_cfn_lint():
    """awsfacts keeps no copy of the dates: it reads the installed cfn-lint's data file."""
    import cfnlint

    assert awslambda.lifecycle_file().is_file()
    assert str(awslambda.lifecycle_file()).startswith(os.path.dirname(cfnlint.__file__))
    assert not hasattr(awslambda, "PYTHON_RUNTIMES"), "a copied date table would go stale again"


def test_newest_python_runtime_is_the_one_cfn_lint_names_as_every_successor():
    lifecycle = awslambda.runtime_lifecycle()
    python = {k: v for k, v in lifecycle.items() if k.startswith("python")}
    newest = [k for k, v in python.items() if v["successor"] is None]
    assert newest == [awslambda.NEWEST_PYTHON_RUNTIME], (
        f"cfn-lint's lifecycle data names {newest} as the newest Python runtime: update "
        "awsfacts.awslambda.NEWEST_PYTHON_RUNTIME, cfn/bedrock-privatelink.yaml and notebook 01")
    assert {v["successor"] for k, v in python.items() if v["successor"]} == {awslambda.NEWEST_PYTHON_RUNTIME}


def test_botocore_lists_the_newest_runtime_and_only_known_previews_beyond_it():
    """botocore's Runtime enum is the set of values the API takes; newer Python runtimes must be named previews."""
    enum = _lambda_runtime_enum()
    assert awslambda.NEWEST_PYTHON_RUNTIME in enum
    newer = {r for r in enum if r.startswith("python3.") and _version(r) > _version(awslambda.NEWEST_PYTHON_RUNTIME)}
    unknown = newer - set(awslambda.PREVIEW_RUNTIMES)
    assert not unknown, (f"botocore lists Python runtimes {sorted(unknown)} beyond {awslambda.NEWEST_PYTHON_RUNTIME}: "
                         "check AWS's Lambda runtimes page; GA -> update NEWEST_PYTHON_RUNTIME and the template, "
                         "preview -> add to awsfacts.awslambda.PREVIEW_RUNTIMES with its source")
    for runtime in awslambda.PREVIEW_RUNTIMES:
        assert runtime in enum, f"{runtime}: botocore no longer lists it; remove it from PREVIEW_RUNTIMES"
        assert runtime not in awslambda.runtime_lifecycle(), (
            f"cfn-lint's lifecycle data now dates {runtime}: it is generally available, so it is no preview")


def test_every_python_runtime_of_the_lifecycle_is_one_botocore_knows():
    # (Not every runtime: dotnet9 is offered for container images only, so the Runtime enum has no dotnet9.)
    python = {r for r in awslambda.runtime_lifecycle() if r.startswith("python")}
    assert python <= set(_lambda_runtime_enum())


def test_blocked_follows_the_dates():
    dates = awslambda.runtime_lifecycle()["python3.11"]
    assert not awslambda.blocked("python3.11", creating=True, today="2026-12-07")
    assert awslambda.blocked("python3.11", creating=True, today=dates["create-block"])
    assert not awslambda.blocked("python3.11", creating=False, today=dates["create-block"])
    assert awslambda.blocked("python3.11", creating=False, today=dates["update-block"])
    assert not awslambda.blocked("python3.15", creating=True, today="2026-12-07")  # preview: accepted
    assert awslambda.blocked("python3.7", creating=True, today="2026-12-07")


def test_the_template_runtime_is_accepted_today():
    import time

    assert not awslambda.blocked(awslambda.NEWEST_PYTHON_RUNTIME, creating=True,
                                 today=time.strftime("%Y-%m-%d", time.gmtime()))


# ---------------------------------------------------------------------------------------- Regions and endpoints


def test_bedrock_regions_are_regions_where_botocore_has_a_bedrock_endpoint():
    endpoints = _endpoints()
    bedrock_regions = set(endpoints["services"]["bedrock"]["endpoints"])
    missing = sorted(set(bedrock.REGIONS) - bedrock_regions)
    assert not missing, f"awsfacts.bedrock.REGIONS names Regions without a Bedrock endpoint in botocore: {missing}"
    assert set(bedrock.REGIONS) <= set(endpoints["regions"])


def test_mantle_regions_are_bedrock_regions_of_botocore_and_the_lists_do_not_overlap():
    endpoints = _endpoints()
    bedrock_regions = set(endpoints["services"]["bedrock"]["endpoints"])
    assert set(bedrock_endpoints.MANTLE_REGIONS) <= bedrock_regions
    assert set(bedrock_endpoints.MANTLE_NOT_OFFERED) <= bedrock_regions
    assert not set(bedrock_endpoints.MANTLE_REGIONS) & set(bedrock_endpoints.MANTLE_NOT_OFFERED)
    # The examples, from the AWS page: none of these Regions offers Mantle.
    for region in ("us-west-1", "ca-central-1", "eu-west-3", "ap-northeast-2", "ap-northeast-3"):
        assert region in bedrock_endpoints.MANTLE_NOT_OFFERED


@pytest.mark.parametrize("region,offered", [("us-east-1", True), ("us-west-1", False), ("ap-northeast-3", False)])
def test_the_sandbox_offers_mantle_only_where_aws_lists_it(aws, region, offered):
    """DescribeVpcEndpointServices and CreateVpcEndpoint, through boto3, in a Region with and without Mantle."""
    ec2 = aws("ec2", region)
    mantle = f"com.amazonaws.{region}.bedrock-mantle"
    names = ec2.describe_vpc_endpoint_services()["ServiceNames"]
    assert (mantle in names) is offered
    assert f"com.amazonaws.{region}.bedrock-runtime" in names
    if offered:
        return
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as err:
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=mantle, VpcEndpointType="Interface", SubnetIds=[subnet])
    assert err.value.response["Error"]["Code"] == "InvalidServiceName"
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []


# ---------------------------------------------------------------------------------------- expected failures


def test_an_expected_failure_without_the_quoted_sentence_is_refused():
    from benchmarks.moto_upstream import Listed, list_problems

    node = "tests/test_ec2/test_vpcs.py::test_x"
    page = '"Gateway endpoints", AWS PrivateLink Guide (https://docs.aws.amazon.com/vpc/latest/privatelink/x.html)'
    unquoted = Listed(expected={node: f"{page} | moto expects one thing, AWS does another"})
    assert any("quoted sentence" in p for p in list_problems(unquoted))
    quoted = Listed(expected={node: f'{page} | "A gateway endpoint is available only in the Region where you '
                                    f'created it." | moto expects one thing, AWS does another'})
    assert list_problems(quoted) == []


def test_an_expected_failure_may_quote_an_aws_recording_that_tests_parity_holds():
    """A row may rest on AWS's recorded response instead of a page: the recording is cited (LocalStack file, snapshot
    key, entry, date of the AWS run) and must be one that tests/parity/cases copies, with the quote in it, so the
    quote is AWS's answer and never the sandbox's."""
    from benchmarks.moto_upstream import Listed, list_problems

    node = "tests/test_iam/test_iam.py::test_x"
    cited = ("AWS-recorded response: localstack/localstack tests/aws/services/iam/test_iam_roles.snapshot.json, key "
             "`tests/aws/services/iam/test_iam_roles.py::TestRoleLifecycle::test_role_errors`, entry `get-role-error`, "
             "recorded {date}")
    recorded = '"The role with name test-nonexistent-role cannot be found."'
    why = "moto expects one wording, AWS answers another"

    def problems(citation: str, quote: str) -> list[str]:
        return list_problems(Listed(expected={node: f"{citation} | {quote} | {why}"}))

    assert problems(cited.format(date="2026-02-11"), recorded) == []
    # a wording that is not the recorded one (say, the sandbox's or moto's own) is refused
    assert any("neither the recorded message" in p
               for p in problems(cited.format(date="2026-02-11"), '"Role test-nonexistent-role not found"'))
    # the date must be the recording's
    assert any("dated 2026-02-11" in p for p in problems(cited.format(date="2026-03-01"), recorded))
    # a recording our parity cases do not hold cannot be checked, so it is refused
    other = cited.replace("`get-role-error`", "`no-such-entry`").format(date="2026-02-11")
    assert any("not one that tests/parity/cases holds" in p for p in problems(other, recorded))
    # unquoted
    assert problems(cited.format(date="2026-02-11"), "The role with name test-nonexistent-role cannot be found.")
    # a passage of a recorded response (not an error) is accepted when it is verbatim in the recording
    response = ("AWS-recorded response: localstack/localstack "
                "tests/aws/services/lambda_/test_lambda_api.snapshot.json, "
                "key `tests/aws/services/lambda_/test_lambda_api.py::TestLambdaFunction::test_function_lifecycle`, "
                "entry `create_response`, recorded 2025-11-25")
    assert problems(response, '"State": "Pending", "StateReason": "The function is being created."') == []
    assert problems(response, '"State": "Active"')


def test_no_expected_failure_blames_aws_for_a_runtime_the_sandbox_refuses():
    """The 28 runtime entries were our regression (stale dates): none may come back."""
    from benchmarks.moto_upstream import read_list

    listed = read_list()
    assert not [n for n, text in listed.expected.items() if "lambda-runtimes" in text]
