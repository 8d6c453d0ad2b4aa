"""Injected faults with the workshop (issue 5): the notebooks retry, wait or stop with a clear message, and 07 cleans.

The sandbox's fault switches (POST /_sandbox/settings {"faults": {...}}; cleared by a reset):

- `bedrock_throttle: N`: the next N authorized InvokeModel/Converse calls answer ThrottlingException (429);
  `bedrock_unavailable: N`: ServiceUnavailableException (503) (sandbox/bedrock.py);
- `stack_create_failure: N or "LogicalId"`: the next stack creation fails that resource and rolls back
  (sandbox/moto_fixes.py);
- `endpoint_create_failure: N or {count, code, message}`: CreateVpcEndpoint fails, by default with
  VpcEndpointLimitExceeded (sandbox/endpoints.py);
- `slow_eni_release: seconds`: Lambda releases a function's ENIs that long after it leaves the VPC
  (sandbox/settings.py);
- the setting `policy_propagation_seconds`: policy changes take effect that much later (sandbox/authz.py).

The workshop runs headless (fresh kernels) through tests/test_reliability.py's `Workshop`, which changes the
settings between notebooks.
"""

from __future__ import annotations

import json
import re

import pytest

from sandbox.settings import Settings
from tests.conftest import set_settings
from tests.test_reliability import (
    remaining,
    sandbox_client,
    workshop,  # noqa: F401 - the fixture, used by name
)
from utils import explain, lambda_fn, stack


def test_every_fault_switch_is_set_through_the_admin_endpoint_and_cleared_by_a_reset(aws, sandbox):
    from tests.conftest import reset_sandbox

    values = {"bedrock_throttle": 2, "bedrock_unavailable": 1, "stack_create_failure": "Vpc",
              "endpoint_create_failure": {"count": 1, "code": "InsufficientCapacity"}, "slow_eni_release": 3}
    assert set_settings(sandbox.url, {"faults": values})["faults"] == values
    assert set_settings(sandbox.url, {"faults": {"slow_eni_release": 0}})["faults"] == {
        k: v for k, v in values.items() if k != "slow_eni_release"}, "a falsy value clears one fault"
    reset_sandbox(sandbox.url)
    assert set_settings(sandbox.url, {})["faults"] == {}


def test_slow_eni_release_overrides_only_the_eni_delay():
    s = Settings()
    assert s.delay("eni_release") == 0
    s.update({"faults": {"slow_eni_release": 4}})
    assert s.delay("eni_release") == 4.0 and s.delay("endpoint_deleting") == 0
    s.update({"timing_scale": 1.0})
    assert s.delay("eni_release") == 4.0, "the fault wins over timing_scale, both ways"
    s.update({"faults": {}})
    assert s.delay("eni_release") == 1200.0  # 20 minutes at timing scale 1: see AWS_DELAYS


@pytest.mark.slow
def test_the_workshop_through_every_injected_fault(workshop, sandbox, monkeypatch):  # noqa: F811
    monkeypatch.setenv("WORKSHOP_POLICY_TIMEOUT", "60")  # 05's bound on the propagation wait

    def faults() -> dict:
        return set_settings(sandbox.url, {})["faults"]

    # 1. Stack creation fails and rolls back: 01 stops with a clear message; 07 cleans the ROLLBACK_COMPLETE stack.
    set_settings(sandbox.url, {"faults": {"stack_create_failure": 1}})
    report = workshop.run(["00", "01", "07"])
    assert [r.status for r in report.results] == ["ok", "failed", "ok"], workshop.summary(report)
    error = report.results[1].error
    assert "The stack ended as ROLLBACK_COMPLETE" in error
    assert "Run notebook 07 to clean up, then this notebook again" in error
    text = workshop.text("01")
    assert "CREATE_FAILED" in text and "Injected fault" in text and "ROLLBACK_COMPLETE" in text
    assert workshop.last("01")["state"]["resources"] == [("cloudformation stack", "Bedrock-GenAI-Stack")]
    assert "Bedrock-GenAI-Stack is deleted." in workshop.text("07")
    assert remaining() == []

    # 2. It fails again, and this time the learner simply re-runs 01: it deletes the failed stack and creates it.
    #    Then the endpoint creation fails: 02 stops with AWS's message; 07 cleans the stack and the function.
    set_settings(sandbox.url, {"faults": {"stack_create_failure": 1}})
    report = workshop.run(["01"])
    assert not report.ok
    set_settings(sandbox.url, {"faults": {"endpoint_create_failure": 1}})
    report = workshop.run(["01", "02", "07"])
    assert [r.status for r in report.results] == ["ok", "failed", "ok"], workshop.summary(report)
    assert "is ROLLBACK_COMPLETE: deleting it before creating it again" in workshop.text("01")
    assert "VpcEndpointLimitExceeded" in report.results[1].error, report.results[1].error
    assert "The maximum number of VPC endpoints has been reached." in report.results[1].error
    assert faults() == {}
    assert remaining() == []

    # 3. The whole workshop with transient Bedrock errors, a policy propagation delay and a slow ENI release.
    seen: dict = {"04": []}

    def before_04(_state):
        set_settings(sandbox.url, {"faults": {"bedrock_throttle": 3}})  # max_attempts 3: 3 retries after the call

    def after_04(_state):
        seen["04"].append(faults())
        if len(seen["04"]) == 1:
            # More throttling than the function's retries absorb: a clear error, explained; nothing breaks.
            set_settings(sandbox.url, {"faults": {"bedrock_throttle": 4}})
            lam = sandbox_client("lambda")
            name = stack.outputs(sandbox_client("cloudformation"), "Bedrock-GenAI-Stack")["FunctionName"]
            seen["exhausted"] = lambda_fn.payload(lam.invoke(FunctionName=name, Payload=json.dumps({"prompt": "hi"})))
            set_settings(sandbox.url, {"faults": {"bedrock_unavailable": 3}})  # for the second run of 04
        else:
            set_settings(sandbox.url, {"policy_propagation_seconds": 2})

    def after_05(_state):
        set_settings(sandbox.url, {"faults": {"slow_eni_release": 2}, "policy_propagation_seconds": 0})

    report = workshop.run(["01", "02", "03", "04", "04", "05", "07"],
                          after={"03": before_04, "04": after_04, "05": after_05})
    assert report.ok, workshop.summary(report)

    # 04 with Throttling 3 times, 04 again with ServiceUnavailable 3 times: the function's botocore client
    # (standard retry mode) absorbed both, and the notebook showed the reply.
    assert seen["04"] == [{}, {}]
    assert "Reply (us.amazon.nova-micro-v1:0)" in workshop.text("04")
    pages = sandbox_client("cloudtrail").get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Converse"}])
    trail = [e for page in pages for e in page["Events"]]
    codes = [json.loads(e["CloudTrailEvent"]).get("errorCode") for e in trail]
    assert codes.count("ThrottlingException") == 3 + 4 and codes.count("ServiceUnavailableException") == 3, codes
    exhausted = seen["exhausted"]
    assert exhausted["ok"] is False and exhausted["error"]["code"] == "ThrottlingException", exhausted
    assert "slow down" in explain.explain(exhausted).title

    # Policy propagation: 05 polled until the Deny took effect, within its bound.
    deny = workshop.text("05")
    m = re.search(r"OK: the Deny policy to take effect: AccessDeniedException after ([0-9.]+) s \((\d+) checks?", deny)
    assert m, deny[-3000:]
    assert 2.0 <= float(m.group(1)) <= 60 and int(m.group(2)) >= 2
    assert "Deny blocked the call; Allow restored it." in deny

    # Slow ENI release: 07 waited for the interfaces, then deleted the stack; nothing remains.
    cleanup = workshop.text("07")
    m = re.search(r"OK: the ENIs of \S+ to be released: none left after ([0-9.]+) s \((\d+) checks", cleanup)
    assert m, cleanup[-3000:]
    assert float(m.group(1)) >= 1.0 and int(m.group(2)) >= 2, "07 should have waited for the slow release"
    assert "Nothing of the workshop remains." in cleanup
    assert remaining() == []
