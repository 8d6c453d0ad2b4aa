"""Where each participant is: one row per participant, read from their account through WorkshopParticipant.

Fields (also the keys of `status --json`):

- participant (account ID or prefix), account_id, prefix;
- stack, stack_status, adopted (an instructor's stack set instance);
- endpoint_id, endpoint_state, private_dns, policy_effect ("Allow", "Deny" or "none");
- function_in_vpc: "yes" when the function's subnets are the stack's two private subnets, "no", or
  "other subnets";
- last_allow, last_deny: the newest Amazon Bedrock call through the participant's endpoint in CloudTrail's event
  history, answered or refused ({"time", "endpoint", "event"}); on AWS events arrive minutes after the call;
- leftovers: what the notebooks create outside the stack and that still exists (endpoints, inline policies, the
  VPC attachment): what notebook 07 or the instructor's cleanup removes;
- endpoint_hours, endpoint_usd: hours since each live endpoint's creation and what they cost (utils.cost), and
  estimate_usd, utils.cost's estimate of a whole session for one participant;
- step: the last notebook whose result is visible in AWS ("01" ... "07"), "" before 01; "06" (optional) when,
  after 05, the corporate stack is complete and a Transit Gateway connects it with two available attachments;
- step_times: when each step reached was first seen in AWS ({"01": ISO time, ...}): 01 the stack's last update
  (or creation), 02 the endpoint's creation, 03 the function's last change (its VPC attachment), 04 and 05 the
  oldest Allow and Deny in the CloudTrail window read; 07 leaves nothing to date;
- last_progress: the newest of those times or of any Bedrock call seen (None before 01), and
  since_progress_s, the seconds since then: who is stuck;
- error: why the row could not be read (e.g. the role cannot be assumed);
- problem: "" when the row is fine, "unreadable" (see error) or "failed" (a stack, endpoint or stack set
  instance in a failed state; see problem_detail). `status` exits 1 when any row has a problem.

Participants are read in parallel, at most `WORKSHOP_STATUS_WORKERS` (default 8) at a time.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from .. import cost, endpoint, inventory, lambda_fn, policies, stack
from ..display import pad, width_of
from ..lang import N_, _
from . import PARTICIPANT_ROLE, aws, room

FIELDS = ["participant", "account_id", "prefix", "step", "stack", "stack_status", "adopted", "endpoint_id",
          "endpoint_state", "private_dns", "policy_effect", "function_in_vpc", "last_allow", "last_deny",
          "leftovers", "endpoint_hours", "endpoint_usd", "estimate_usd", "step_times", "last_progress",
          "since_progress_s", "error", "problem", "problem_detail"]
STEPS = ["01", "02", "03", "04", "05", "06", "07"]
# English in --json and in the data; shown in the language in force (_(STEP_NAMES[s])) by text() and the dashboard.
STEP_NAMES = {"01": N_("stack"), "02": N_("endpoint"), "03": N_("function in VPC"), "04": N_("Allow seen"),
              "05": N_("Deny seen"), "06": N_("corporate network connected"), "07": N_("cleaned up")}
DENIED = {"AccessDenied", "AccessDeniedException"}
FAILED_STACK = {"ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED"}  # creation failed; or *_FAILED
FAILED_ENDPOINT = {"failed", "rejected", "expired"}  # EC2 VpcEndpoint State values that will not recover
# A stack set instance needs the instructor when its Status is INOPERABLE or its DetailedStatus says the last
# operation did not deploy it (API Reference, StackInstanceComprehensiveStatus); OUTDATED with PENDING or RUNNING is
# an operation still at work, not a failure.
FAILED_INSTANCE = {"FAILED", "FAILED_IMPORT", "INOPERABLE", "CANCELLED", "SKIPPED_SUSPENDED_ACCOUNT"}
CLOUDTRAIL_HOURS = 24  # how far back the event history is read
CLOUDTRAIL_PAGES = 3


def workers() -> int:
    return max(1, int(os.environ.get("WORKSHOP_STATUS_WORKERS", 8)))


def policy_effect(ep: dict | None) -> str:
    """"Deny" when any statement denies, "Allow" when statements only allow, "none" without an endpoint."""
    if not ep:
        return "none"
    doc = ep.get("PolicyDocument")
    try:
        doc = json.loads(doc) if isinstance(doc, str) else (doc or {})
    except ValueError:
        return "unreadable"
    statements = doc.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    effects = {s.get("Effect") for s in statements}
    return "Deny" if "Deny" in effects else ("Allow" if "Allow" in effects else "none")


def bedrock_calls(cloudtrail, endpoint_ids: set[str], role_name: str | None, now: datetime) -> list[dict]:
    """Bedrock calls of this participant, newest first: through one of their endpoints, or by their function's
    role. Each {"time", "endpoint", "event", "denied", "error"}."""
    found = []
    kwargs = {"LookupAttributes": [{"AttributeKey": "EventSource", "AttributeValue": "bedrock.amazonaws.com"}],
              "StartTime": now - timedelta(hours=CLOUDTRAIL_HOURS), "EndTime": now + timedelta(minutes=5)}
    pages = cloudtrail.get_paginator("lookup_events").paginate(**kwargs, PaginationConfig={"MaxItems": 50 *
                                                                                        CLOUDTRAIL_PAGES})
    for page in pages:
        for item in page["Events"]:
            try:
                record = json.loads(item["CloudTrailEvent"])
            except (KeyError, ValueError):
                continue
            vpce = record.get("vpcEndpointId")
            arn = (record.get("userIdentity") or {}).get("arn", "")
            if not vpce or not (vpce in endpoint_ids or (role_name and f"/{role_name}/" in arn)):
                continue
            code = record.get("errorCode") or ""
            found.append({"time": record.get("eventTime"), "endpoint": vpce, "event": record.get("eventName"),
                          "denied": code in DENIED or "AccessDenied" in code, "error": code})
    found.sort(key=lambda e: e["time"] or "", reverse=True)
    return found


def participant_row(r: room.Room, p: room.Participant, code_sha: str | None = None,
                    now: datetime | None = None) -> dict:
    """The status of one participant; never raises (a problem goes into "error")."""
    now = now or datetime.now(UTC)
    row = {k: None for k in FIELDS}
    row.update(participant=p.id, account_id=p.account_id, prefix=p.prefix, step="", leftovers=[], adopted=False,
               policy_effect="none", endpoint_hours=0.0, endpoint_usd=0.0, step_times={}, error="", problem="",
               problem_detail="")
    try:
        make = r.clients(p, None if r.mode == "shared" else PARTICIPANT_ROLE)
        _fill(row, r, p, make, code_sha, now)
    except Exception as exc:  # the row says what went wrong; the other participants still show
        row["error"] = f"{aws.error_code(exc)}: {exc}"
    mark_problem(row, r)
    return row


def mark_problem(row: dict, r: room.Room | None = None) -> dict:
    """Set "problem" and "problem_detail": unreadable rows, failed stacks, endpoints and stack set instances."""
    failed = []
    status = row.get("stack_status") or ""
    if status.endswith("_FAILED") or status in FAILED_STACK:
        failed.append(f"stack {row.get('stack')} {status}")
    if (row.get("endpoint_state") or "").lower() in FAILED_ENDPOINT:
        failed.append(f"endpoint {row.get('endpoint_id')} {row['endpoint_state']}")
    for name, summaries in (r.instances if r is not None else {}).items():
        for s in summaries:
            detail = (s.get("StackInstanceStatus") or {}).get("DetailedStatus") or ""
            if s.get("Account") == row.get("account_id") and (s.get("Status") == "INOPERABLE"
                                                              or detail in FAILED_INSTANCE):
                failed.append(f"stack set instance of {name} {s['Status']} {detail}: {s.get('StatusReason', '')}"
                              .rstrip(": "))
    row["problem"] = "unreadable" if row.get("error") else ("failed" if failed else "")
    row["problem_detail"] = "; ".join(failed)
    return row


def _fill(row: dict, r: room.Room, p: room.Participant, make, code_sha: str | None, now: datetime) -> None:
    cfg = p.config(r)
    cfn, ec2, lam, iam = make("cloudformation"), make("ec2"), make("lambda"), make("iam")
    desc = stack.describe(cfn, cfg.stack_name)
    out = stack.outputs_of(desc) if desc else {}
    row.update(stack=desc and desc["StackName"], stack_status=desc["StackStatus"] if desc else "none",
               adopted=stack.is_adopted(desc))
    vpc_ids = [out["VpcId"]] if out.get("VpcId") else []
    live = endpoint.find_all(ec2, vpc_ids, cfg.tag_filters)
    runtime = endpoint.find(ec2, vpc_ids[0], endpoint.service_name(r.region)) if vpc_ids else None
    runtime = runtime or next((e for e in live if e.get("ServiceName", "").endswith(".bedrock-runtime")), None)
    if runtime:
        row.update(endpoint_id=runtime["VpcEndpointId"], endpoint_state=runtime["State"],
                   private_dns=bool(runtime.get("PrivateDnsEnabled")), policy_effect=policy_effect(runtime))
    ran = [cost.endpoint_runtime(e, now) for e in live]
    row["endpoint_hours"] = round(sum(x["hours"] for x in ran), 3)
    row["endpoint_usd"] = round(sum(x["usd"] for x in ran), 4)
    leftovers = [f"endpoint {e['VpcEndpointId']}" for e in live]

    function = out.get("FunctionName")
    fn = None
    if function:
        try:
            fn = lam.get_function_configuration(FunctionName=function)
        except lam.exceptions.ResourceNotFoundException:
            fn = None
    if fn is not None:
        subnets = set((fn.get("VpcConfig") or {}).get("SubnetIds") or [])
        wanted = {out.get("PrivateSubnet1Id"), out.get("PrivateSubnet2Id")}
        row["function_in_vpc"] = "yes" if subnets and subnets == wanted else ("other subnets" if subnets else "no")
        if lambda_fn.in_vpc(fn):
            leftovers.append("VPC attachment")
    role = out.get("FunctionRoleName")
    inline = []
    if role:
        try:
            names = iam.list_role_policies(RoleName=role)["PolicyNames"]
            inline = [n for n in names if n in policies.INLINE_POLICY_NAMES]
        except iam.exceptions.NoSuchEntityException:
            inline = []
    leftovers += [f"inline policy {n}" for n in inline]
    # Notebook 06 (optional): the corporate stack and the network around it, found as notebook 07 finds them.
    corporate = stack.describe(cfn, cfg.corporate_stack_name)
    network = inventory.find_network(cfg, lambda service, region=None: make(service))
    if corporate is not None:
        leftovers.append(f"stack {corporate['StackName']}")
    leftovers += [f"{row_['type']} {row_['id']}" for row_ in inventory.network_rows(network)]
    row["leftovers"] = leftovers

    calls = bedrock_calls(make("cloudtrail"), {e["VpcEndpointId"] for e in live}, role, now)
    allow = next((c for c in calls if not c["denied"] and not c["error"]), None)
    deny = next((c for c in calls if c["denied"]), None)
    row["last_allow"] = allow and {k: allow[k] for k in ("time", "endpoint", "event")}
    row["last_deny"] = deny and {k: deny[k] for k in ("time", "endpoint", "event")}

    step = ""
    if desc and desc["StackStatus"] in stack.STABLE and (code_sha is None or (fn or {}).get("CodeSha256") == code_sha):
        step = "01"
    if step and runtime and runtime["State"].lower() == "available":
        step = "02"
    if step == "02" and row["function_in_vpc"] == "yes" and len(inline) == len(policies.INLINE_POLICY_NAMES):
        step = "03"
    if step == "03" and allow:
        step = "04"
    if step == "04" and deny:
        step = "05"
    attachments = [a for a in network["attachments"] if a["State"] == "available"]
    if (step == "05" and corporate is not None and corporate["StackStatus"] in stack.STABLE and len(attachments) >= 2
            and any(g["State"] == "available" for g in network["transit_gateways"])):
        step = "06"
    if (allow or deny) and not leftovers and (desc is None or row["adopted"]):
        step = "07"
    row["step"] = step
    times = {"01": _iso((desc or {}).get("LastUpdatedTime") or (desc or {}).get("CreationTime")),
             "02": _iso((runtime or {}).get("CreationTimestamp")), "03": _iso((fn or {}).get("LastModified")),
             "04": _oldest(c for c in calls if not c["denied"] and not c["error"]),
             "05": _oldest(c for c in calls if c["denied"]),
             "06": _iso(max((a["CreationTime"] for a in attachments if a.get("CreationTime")), default=None))}
    row["step_times"] = {s: times[s] for s in STEPS if step and s <= step and times.get(s)}
    seen = [t for t in [*row["step_times"].values(), *(c["time"] for c in calls[:1])] if t]
    row["last_progress"] = max(seen, key=_parse) if seen else None
    row["since_progress_s"] = (round((now - _parse(row["last_progress"])).total_seconds())
                               if row["last_progress"] else None)


def _parse(value) -> datetime:
    """A time from the SDK (datetime) or from a CloudTrail record / Lambda (ISO 8601 text), in UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):  # Lambda's LastModified: 2026-12-07T01:02:03.000+0000
        text = text[:-2] + ":" + text[-2:]
    found = datetime.fromisoformat(text)
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _iso(value) -> str | None:
    if not value:
        return None
    try:
        return _parse(value).isoformat(timespec="seconds")
    except ValueError:
        return None


def _oldest(calls) -> str | None:
    times = [c["time"] for c in calls if c.get("time")]
    return _iso(min(times, key=_parse)) if times else None


def step_durations(row: dict) -> dict[str, float]:
    """Seconds each step took: from the previous step's time (or the first one seen) to this one's."""
    times = [(s, _parse(t)) for s, t in sorted((row.get("step_times") or {}).items())]
    return {s: max(0.0, (t - prev).total_seconds()) for (_, prev), (s, t) in zip(times, times[1:], strict=False)}


def collect(r: room.Room, max_workers: int | None = None) -> list[dict]:
    """Every participant's row, read in parallel by a bounded pool, in the room's order."""
    code_sha = stack.code_sha256(stack.lambda_zip())
    now = datetime.now(UTC)
    estimate = _estimate(r)
    pool = ThreadPoolExecutor(max_workers=max_workers or workers(), thread_name_prefix="status")
    try:
        rows = list(pool.map(lambda p: participant_row(r, p, code_sha, now), r.participants))
    except BaseException:  # Ctrl-C: the rows not started yet are not read
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    for row in rows:
        row["estimate_usd"] = estimate
    return rows


def _estimate(r: room.Room) -> float:
    from .. import target

    return round(cost.estimate(r.model_id, hours=r.hours, region=r.region,
                               target="sandbox" if target.active().is_sandbox else "aws").total, 4)


def reached(rows: list[dict]) -> dict[str, int]:
    """How many participants reached each step (at least that far). 06 is optional: a participant counts for it
    only when it was seen (a step time), not for having gone on to 07."""
    return {s: sum(1 for row in rows if row["step"] and row["step"] >= s
                   and (s != "06" or row["step"] == "06" or "06" in (row.get("step_times") or {}))) for s in STEPS}


def totals(rows: list[dict]) -> dict:
    return {"participants": len(rows), "endpoint_hours": round(sum(r["endpoint_hours"] or 0 for r in rows), 3),
            "endpoint_usd": round(sum(r["endpoint_usd"] or 0 for r in rows), 4),
            "estimate_usd": round(sum(r["estimate_usd"] or 0 for r in rows), 4),
            "errors": sum(1 for r in rows if r["error"]),
            "failed": sum(1 for r in rows if r.get("problem") == "failed")}


def text(rows: list[dict]) -> str:
    """A plain table for the terminal, in the language in force (`--json` keeps the English field names and values:
    it is for programs)."""
    def cells(r: dict) -> list[str]:
        return [r["participant"], r["step"] or "-", word(r["stack_status"])[:20],
                f"{r['endpoint_id'] or '-'} {r['endpoint_state'] or ''}".strip()[:32], yes_no(r["private_dns"]),
                word(r["policy_effect"]), in_vpc(r["function_in_vpc"]), _when(r["last_allow"]),
                _when(r["last_deny"]), f"{r['endpoint_hours']:.2f}", f"{r['endpoint_usd']:.2f}"]

    def last(r: dict) -> str:
        if r["error"]:
            return _("ERROR {error}").format(error=r["error"])
        if r.get("problem") == "failed":
            return _("FAILED {detail}").format(detail=r["problem_detail"])
        return ", ".join(r["leftovers"])

    heads = [_(HEADERS[name]) for name in COLUMNS]
    table = [cells(r) for r in rows]
    widths = [max([width, width_of(h)] + [width_of(row[i]) for row in table])
              for i, (h, width) in enumerate(zip(heads, WIDTHS, strict=True))]
    right = {len(COLUMNS) - 2, len(COLUMNS) - 1}  # hours and usd: figures, right-aligned

    def line(values: list[str]) -> str:
        return " ".join(pad(v, w, right=i in right) for i, (v, w) in enumerate(zip(values, widths, strict=True)))

    head = line(heads) + "  " + _(HEADERS["leftovers / error"])
    lines = [head, "-" * width_of(head)]
    lines += [line(values) + "  " + last(r) for values, r in zip(table, rows, strict=True)]
    t = totals(rows)
    lines.append(_("{n} participant(s); endpoint hours {hours}, cost so far ${usd}; estimate for the planned "
                   "session ${estimate}").format(n=t["participants"], hours=f"{t['endpoint_hours']:.2f}",
                                                 usd=f"{t['endpoint_usd']:.2f}", estimate=f"{t['estimate_usd']:.2f}")
                 + (_("; {n} row(s) unreadable").format(n=t["errors"]) if t["errors"] else "")
                 + (_("; {n} participant(s) failed").format(n=t["failed"]) if t["failed"] else ""))
    steps = reached(rows)
    lines.append(_("reached: {steps}").format(steps=", ".join(f"{s} {_(STEP_NAMES[s])}: {n}"
                                                               for s, n in steps.items())))
    return "\n".join(lines)


# The columns of text() and their least widths; their headers are shown in the language in force.
COLUMNS = ["participant", "step", "stack", "endpoint", "dns", "policy", "in VPC", "last Allow", "last Deny", "hours",
           "usd"]
WIDTHS = [14, 4, 20, 32, 5, 6, 6, 20, 20, 6, 6]
HEADERS = {"participant": N_("participant"), "step": N_("step"), "stack": N_("stack"), "endpoint": N_("endpoint"),
           "dns": N_("dns"), "policy": N_("policy"), "in VPC": N_("in VPC"), "last Allow": N_("last Allow"),
           "last Deny": N_("last Deny"), "hours": N_("hours"), "usd": N_("usd"),
           "leftovers / error": N_("leftovers / error")}
# The values of function_in_vpc ("yes", "no", "other subnets" in the data and --json), as text() shows them.
IN_VPC = {"yes": N_("yes"), "no": N_("no"), "other subnets": N_("other subnets")}


def yes_no(value) -> str:
    """True/False/None as the tables show it: yes, no (in the language in force), "-"."""
    return "-" if value is None else _(IN_VPC["yes"] if value else IN_VPC["no"])


def in_vpc(value) -> str:
    return _(IN_VPC[value]) if value in IN_VPC else (value or "-")


# The workshop's own words among the values (stack_status and policy_effect "none", policy_effect "unreadable"), as
# the tables show them; AWS's values (CREATE_COMPLETE, Allow, Deny) stay as AWS writes them.
WORDS = {"none": N_("none"), "unreadable": N_("unreadable")}


def word(value) -> str:
    return _(WORDS[value]) if value in WORDS else (value or "-")


def _when(event) -> str:
    return (event or {}).get("time") or "-"
