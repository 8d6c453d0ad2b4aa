"""AWS CloudFormation StackSets: one operation at a time, waited for with backoff and a stated bound.

AWS runs one operation per stack set at a time (a second one is refused with OperationInProgressException,
unless managed execution queues it; we do not turn that on, so the order stays the one we choose). Every
operation here is therefore: wait for any operation still running, start ours, wait for it to finish
(DescribeStackSetOperation until SUCCEEDED, FAILED or STOPPED), and on failure report each failed account with
its reason (ListStackSetOperationResults).

Operation preferences (AWS CloudFormation API Reference, "StackSetOperationPreferences"):

- RegionConcurrencyType PARALLEL: a room uses one Region, and any further Region need not wait for the first.
- MaxConcurrentPercentage 100: participants' accounts are independent and identical; deploying them all at
  once is what keeps a room's provisioning within minutes.
- FailureTolerancePercentage 10: up to 10 % of the accounts (3 of 30) may fail before CloudFormation stops the
  operation in the Region; the failures are reported per account, and re-running `provision` retries them.
- ConcurrencyMode SOFT_FAILURE_TOLERANCE: failures do not lower the concurrency of the rest of the room.
"""

from __future__ import annotations

import os

from ..lang import _
from ..waiting import wait_until

OPERATION_PREFERENCES = {
    "RegionConcurrencyType": "PARALLEL",
    "MaxConcurrentPercentage": 100,
    "FailureTolerancePercentage": 10,
    "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
}
ACTIVE_OPERATION = {"RUNNING", "QUEUED", "STOPPING"}
DONE_OPERATION = {"SUCCEEDED", "FAILED", "STOPPED"}


def operation_timeout() -> float:
    """Seconds to wait for one operation (default 3600: 30 accounts usually take 2 to 10 minutes on AWS)."""
    return float(os.environ.get("WORKSHOP_STACKSET_TIMEOUT", 3600))


class OperationFailed(RuntimeError):
    """A stack set operation ended FAILED or STOPPED; the message lists the failed accounts and why."""


def describe(cfn, name: str) -> dict | None:
    """The stack set, or None when there is none (or it is DELETED)."""
    from botocore.parsers import ResponseParserError

    try:
        found = cfn.describe_stack_set(StackSetName=name)["StackSet"]
    except cfn.exceptions.StackSetNotFoundException:
        return None
    except ResponseParserError:
        # Not an AWS answer: the sandbox's DescribeStackSet fails (HTTP 500) on a stack set with parameters or
        # tags. Its ListStackSets summary has the name, status and permission model (not the tags).
        found = next((s for page in cfn.get_paginator("list_stack_sets").paginate(Status="ACTIVE")
                      for s in page["Summaries"] if s["StackSetName"] == name), None)
        if found is None:
            return None
    return None if found.get("Status") == "DELETED" else found


def instances(cfn, name: str) -> list[dict]:
    """ListStackInstances summaries (Account, Region, StackId, Status, StackInstanceStatus, ...)."""
    out: list[dict] = []
    for page in cfn.get_paginator("list_stack_instances").paginate(StackSetName=name):
        out.extend(page["Summaries"])
    return out


def wait_operation(cfn, name: str, operation_id: str, *, what: str, quiet: bool = False) -> dict:
    """Wait until the operation leaves RUNNING/QUEUED/STOPPING; return its description."""
    timeout = operation_timeout()
    return wait_until(
        lambda: cfn.describe_stack_set_operation(StackSetName=name, OperationId=operation_id)["StackSetOperation"],
        what=what, timeout=timeout, until=lambda op: op["Status"] in DONE_OPERATION,
        status=lambda op: op["Status"], backoff=1.2, max_interval=15.0, quiet=quiet,
        hint=_("See the operation {id} of {name} in the CloudFormation console (StackSets).").format(
            id=operation_id, name=name))


def wait_idle(cfn, name: str, quiet: bool = False) -> None:
    """Wait for every operation of the stack set that is still running (AWS runs one at a time)."""
    for page in cfn.get_paginator("list_stack_set_operations").paginate(StackSetName=name):
        for op in page["Summaries"]:
            if op["Status"] in ACTIVE_OPERATION:
                wait_operation(cfn, name, op["OperationId"], quiet=quiet,
                               what=_("the running operation on {name}").format(name=name))


def failures(cfn, name: str, operation_id: str) -> list[dict]:
    out = []
    for page in cfn.get_paginator("list_stack_set_operation_results").paginate(
            StackSetName=name, OperationId=operation_id):
        out.extend(r for r in page["Summaries"] if r.get("Status") not in ("SUCCEEDED", None))
    return out


def run(cfn, name: str, start, *, what: str, quiet: bool = False) -> dict:
    """Run one operation: `start()` calls the API and returns its response (with OperationId).

    Waits for the stack set to be idle first, and once more if AWS still answers OperationInProgressException
    (another client started one meanwhile). Raises OperationFailed when it ends FAILED or STOPPED.
    """
    wait_idle(cfn, name, quiet=quiet)
    for attempt in range(3):
        try:
            response = start()
            break
        except cfn.exceptions.OperationInProgressException:
            if attempt == 2:
                raise
            wait_idle(cfn, name, quiet=quiet)
    op_id = response["OperationId"]
    op = wait_operation(cfn, name, op_id, what=what, quiet=quiet)
    if op["Status"] != "SUCCEEDED":
        detail = summarize(failures(cfn, name, op_id)) or (op.get("StatusReason") or _("no reason given"))
        raise OperationFailed(_("{what}: the operation {id} on {name} ended {status}: {detail}. Fix the cause (the "
                                "reason names it) and run the same command again: it retries what failed.").format(
            what=what, id=op_id, name=name, status=op["Status"], detail=detail))
    return op


def summarize(failed: list[dict], shown: int = 5) -> str:
    """Failed results grouped by reason: "<n> account(s) <status> (a, b, ...): <reason>"."""
    groups: dict[tuple, list[str]] = {}
    for r in failed:
        groups.setdefault((r.get("Status"), r.get("StatusReason", "")), []).append(f"{r.get('Account')} "
                                                                                 f"{r.get('Region')}")
    parts = []
    for (state, reason), where in groups.items():
        more = _(", and {n} more").format(n=len(where) - shown) if len(where) > shown else ""
        parts.append(_("{n} account(s) {state} ({where}{more}): {reason}").format(
            n=len(where), state=state, where=", ".join(where[:shown]), more=more, reason=reason).rstrip(": "))
    return "; ".join(parts)
