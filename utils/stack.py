"""Finding the workshop's CloudFormation stack and following its progress.

The notebooks call `create_stack` / `delete_stack` themselves; these helpers look the
stack up by name, print its events as they arrive, and read its outputs.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

from .config import repo_root
from .lang import _
from .waiting import wait_until

TEMPLATE = "cfn/bedrock-privatelink.yaml"
LAMBDA_DIR = "lambda"
OUTPUT_KEYS = ("VpcId", "VpcCidr", "PrivateSubnet1Id", "PrivateSubnet2Id", "PrivateRouteTableIds",
               "LambdaSecurityGroupId", "EndpointSecurityGroupId", "FunctionName", "FunctionArn",
               "FunctionRoleName", "FunctionRoleArn")
STABLE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}
FAILED = {"CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED", "UPDATE_ROLLBACK_FAILED",
          "UPDATE_FAILED", "IMPORT_ROLLBACK_COMPLETE", "IMPORT_ROLLBACK_FAILED"}


class StackMissing(LookupError):
    """The stack is not there (or not usable); the message says which notebook to run."""


CORPORATE_TEMPLATE = "cfn/corporate-network.yaml"  # notebook 06's corporate stand-in


def template_body(path: str = TEMPLATE) -> str:
    """A template of cfn/ as text (the workshop stack's by default)."""
    return (repo_root() / path).read_text(encoding="utf-8")


def describe(cfn, name: str) -> dict | None:
    """The stack, or None when it does not exist (or is fully deleted).

    When no stack has the workshop's name (`Bedrock-GenAI-Stack`, `<prefix>-Bedrock-GenAI-Stack`), an instructor's
    pre-deployed stack for that participant takes its place (see `find_adopted`), so that every notebook adopts it.
    """
    from botocore.exceptions import ClientError

    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in exc.response["Error"].get("Message", ""):
            return find_adopted(cfn, _participant_of(name)) if name.endswith(STACK_BASE_NAME) else None
        raise
    live = [s for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"]
    return live[0] if live else None


STACK_BASE_NAME = "Bedrock-GenAI-Stack"
STACK_SET_PREFIX = "StackSet-"  # CloudFormation names a stack set's stacks StackSet-<stack set name>-<id>
ROOM_TAG = "workshop-room"


def _participant_of(name: str) -> str:
    return name[: -len(STACK_BASE_NAME) - 1] if name != STACK_BASE_NAME else "default"


def is_adopted(stack_desc: dict | None) -> bool:
    """Whether the stack is an instructor's stack set instance (to adopt, never to delete directly)."""
    return bool(stack_desc) and stack_desc["StackName"].startswith(STACK_SET_PREFIX)


def is_instructors(stack_desc: dict) -> bool:
    """Whether a stack belongs to an instructor's room rather than to the learner: a stack set's stack of the room
    (the workshop stack it pre-deployed, or the participant role's), or the room's role stack in a shared account."""
    tags = {t["Key"]: t["Value"] for t in stack_desc.get("Tags") or []}
    return ROOM_TAG in tags and (stack_desc["StackName"].startswith(STACK_SET_PREFIX)
                                 or "FunctionName" not in outputs_of(stack_desc))


def find_adopted(cfn, participant: str = "default") -> dict | None:
    """The workshop stack an instructor pre-deployed for this participant with a stack set, or None.

    Found by what AWS keeps, not by a name we choose: a live stack named `StackSet-<name>-<id>`, tagged
    `workshop=bedrock-privatelink`, `participant=<participant>` and `workshop-room`, whose outputs are the workshop
    template's. A stack set propagates its tags to its stacks.
    """
    for page in cfn.get_paginator("describe_stacks").paginate():
        for s in page["Stacks"]:
            if s["StackStatus"] == "DELETE_COMPLETE" or not s["StackName"].startswith(STACK_SET_PREFIX):
                continue
            tags = {t["Key"]: t["Value"] for t in s.get("Tags") or []}
            if (tags.get("workshop") == "bedrock-privatelink" and tags.get("participant", "default") == participant
                    and ROOM_TAG in tags
                    and (s["StackStatus"].endswith("_IN_PROGRESS") or {"VpcId", "FunctionName"} <= set(outputs_of(s)))):
                return s
    return None


def outputs_of(stack_desc: dict) -> dict:
    return {o["OutputKey"]: o["OutputValue"] for o in stack_desc.get("Outputs", [])}


def outputs(cfn, name: str) -> dict:
    """The stack's outputs; raises StackMissing (with the notebook to run) when it is not ready."""
    desc = describe(cfn, name)
    if desc is None:
        raise StackMissing(_("The stack {name} does not exist. Run notebook 01_stack first "
                             "(if the sandbox was restarted or reset, start again from 00).").format(name=name))
    if desc["StackStatus"] not in STABLE:
        raise StackMissing(_("The stack {name} is {status}, not ready. Re-run notebook 01_stack; "
                             "it waits for the stack or recreates a failed one.").format(
                                 name=name, status=desc["StackStatus"]))
    out = outputs_of(desc)
    missing = [k for k in OUTPUT_KEYS if k not in out]
    if missing:
        raise StackMissing(_("The stack {name} lacks the outputs {missing}; it was not made from {template}. "
                             "Run notebook 07 to remove it, then 01 again.").format(
                                 name=name, missing=missing, template=TEMPLATE))
    return out


def follow(cfn, name: str, *, what: str, timeout: float, stack_id: str | None = None,
           seen: set | None = None) -> dict | None:
    """Wait until the stack leaves its *_IN_PROGRESS state, printing each new stack event.

    Returns the final stack description (None once a deletion has completed).
    """
    seen = set() if seen is None else seen
    ident = stack_id or name
    first = [True]

    def check():
        events = []
        try:
            events = cfn.describe_stack_events(StackName=ident)["StackEvents"]
        except Exception:  # the stack may be gone (deleted): the describe below says so
            events = []
        if first[0]:
            first[0] = False
            _skip_earlier_operations(events, seen)
        for ev in reversed(events):
            if ev["EventId"] in seen:
                continue
            seen.add(ev["EventId"])
            reason = f"  {ev['ResourceStatusReason']}" if ev.get("ResourceStatusReason") else ""
            print(f"    {ev['Timestamp']:%H:%M:%S}  {ev['LogicalResourceId']:<32} {ev['ResourceStatus']}{reason}")
        try:
            stacks = cfn.describe_stacks(StackName=ident)["Stacks"]
        except Exception as exc:
            if "does not exist" in str(exc):
                return {"StackStatus": "DELETE_COMPLETE", "gone": True}
            raise
        return stacks[0]

    final = wait_until(check, what=what, timeout=timeout,
                       until=lambda s: not s["StackStatus"].endswith("_IN_PROGRESS"),
                       status=lambda s: s["StackStatus"], max_interval=5.0)
    return None if final.get("gone") or final["StackStatus"] == "DELETE_COMPLETE" else final


def _skip_earlier_operations(events: list[dict], seen: set) -> None:
    """Mark events of earlier operations as seen: show only those since the newest "User Initiated" stack event."""
    for i, ev in enumerate(events):  # newest first
        stack_event = ev.get("ResourceType") == "AWS::CloudFormation::Stack"
        if stack_event and ev.get("ResourceStatusReason") == "User Initiated":
            seen.update(e["EventId"] for e in events[i + 1:])
            return


def lambda_zip() -> bytes:
    """The deployment package: every file of lambda/ in a zip with fixed timestamps (same bytes each time)."""
    src = repo_root() / LAMBDA_DIR
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            rel = path.relative_to(src)
            if "__pycache__" in rel.parts or path.suffix == ".pyc":
                continue
            info = zipfile.ZipInfo(rel.as_posix(), date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def code_sha256(data: bytes) -> str:
    """The CodeSha256 that Lambda reports for a package: base64 of its SHA-256."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def lambda_files() -> list[Path]:
    src = repo_root() / LAMBDA_DIR
    return sorted(p.relative_to(src) for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
