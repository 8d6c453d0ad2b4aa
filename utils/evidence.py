"""CloudTrail evidence of the calls through the endpoint, kept off the critical path.

CloudTrail delivers an event to its event history minutes after the call: "CloudTrail typically delivers logs
within an average of about 5 minutes of an API call. This time is not guaranteed." (CloudTrail User Guide,
"Getting and viewing your CloudTrail log files"). No lesson waits for that:

- notebook 04 looks for its Converse event for a few seconds, then moves on;
- 04 and 05 note each call they expect CloudTrail to show, as a tag on the endpoint
  (`workshop:cloudtrail:allow` / `workshop:cloudtrail:deny` = the call's UTC time), so that the
  expectation lives in AWS, with the endpoint, and survives a kernel restart;
- 05 shows what has arrived so far (and, in JupyterLab, keeps the table up to date in the background);
- 07 collects what is still missing, within a bound, before it deletes the endpoint.

The events: Bedrock runtime calls are management events, `eventSource` bedrock.amazonaws.com, `eventName`
Converse. A call through an interface endpoint carries `vpcEndpointId`; a refused call carries `errorCode`
("AccessDenied") and `errorMessage` ("CloudTrail record contents for management, data, and network activity
events").
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from .lang import N_, _
from .waiting import WaitTimeout, headless, wait_until

TAG_PREFIX = "workshop:cloudtrail:"
EVENT_NAME = "Converse"
TYPICAL_DELAY = timedelta(minutes=5)  # CloudTrail's documented average
LATEST_DELAY = timedelta(minutes=15)  # what to allow before calling an event late
# What each kind of evidence is, and which notebook made the call.
KINDS = {
    "allow": "the Allow test's Converse call (notebook 04): a reply",
    "deny": "the Deny test's Converse call (notebook 05): AccessDenied",
}
# A row's status is English data (notebooks 05 and 06 test `row["status"] == ARRIVED`); `table()` shows it, and
# the column headers, in the learner's language. The CloudTrail field names (eventName, ...) stay as AWS writes them.
ARRIVED = N_("arrived")
ON_ITS_WAY = N_("on its way (typically by {time} UTC on AWS)")
LATE = N_("late: past 15 minutes")
COLUMNS = ("evidence", "status", "call (UTC)", "eventName", "errorCode", "vpcEndpointId", "sourceIPAddress",
           "userIdentity.arn")
HEADERS = {"evidence": N_("evidence"), "status": N_("status"), "call (UTC)": N_("call (UTC)")}
KIND_LABELS = {"allow": N_("allow"), "deny": N_("deny")}


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def note(ec2, endpoint_id: str, kind: str, called_at: datetime) -> None:
    """Remember, on the endpoint, that a call of `kind` went through it at `called_at` (UTC)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
    ec2.create_tags(Resources=[endpoint_id], Tags=[{"Key": TAG_PREFIX + kind, "Value": _iso(called_at)}])


def expected(endpoint: dict) -> dict[str, datetime]:
    """kind -> call time, from an endpoint (as DescribeVpcEndpoints returns it)."""
    out = {}
    for tag in endpoint.get("Tags") or []:
        kind = tag["Key"][len(TAG_PREFIX):] if tag["Key"].startswith(TAG_PREFIX) else None
        when = _parse(tag.get("Value", ""))
        if kind in KINDS and when is not None:
            out[kind] = when
    return out


def _matches(record: dict, endpoint_id: str, kind: str) -> bool:
    if record.get("vpcEndpointId") != endpoint_id or record.get("eventName") != EVENT_NAME:
        return False
    if kind == "deny":
        return record.get("errorCode") == "AccessDenied"
    return not record.get("errorCode")


def lookup(cloudtrail, endpoint_id: str, want: dict[str, datetime]) -> dict[str, dict]:
    """kind -> the first CloudTrail record found for each wanted call (events at or after its time)."""
    if not want:
        return {}
    since = min(want.values()) - timedelta(seconds=5)  # clocks: the event's time comes from AWS's host
    found: dict[str, dict] = {}
    pages = cloudtrail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": EVENT_NAME}], StartTime=since)
    for page in pages:
        for item in page["Events"]:
            record = json.loads(item["CloudTrailEvent"])
            when = _parse(record.get("eventTime", ""))
            for kind, called in want.items():
                if (kind not in found and when is not None and when >= called - timedelta(seconds=5)
                        and _matches(record, endpoint_id, kind)):
                    found[kind] = record
        if len(found) == len(want):
            break
    return found


def rows(endpoint_id: str, want: dict[str, datetime], found: dict[str, dict], now: datetime | None = None) -> list:
    """One row per expected event: arrived (with its fields) or still on its way (with when to expect it)."""
    now = now or datetime.now(UTC)
    out = []
    for kind, called in sorted(want.items(), key=lambda kv: kv[1]):
        record = found.get(kind)
        row = {"evidence": kind, "call (UTC)": _iso(called)}
        if record:
            row.update({"status": ARRIVED, "eventName": record["eventName"],
                        "errorCode": record.get("errorCode", "-"), "vpcEndpointId": record.get("vpcEndpointId"),
                        "sourceIPAddress": record.get("sourceIPAddress"),
                        "userIdentity.arn": (record.get("userIdentity") or {}).get("arn")})
        else:
            typical = called + TYPICAL_DELAY
            late = now > called + LATEST_DELAY
            row.update({"status": LATE if late else ON_ITS_WAY.format(time=typical.strftime("%H:%M")),
                        "typically by (UTC)": "" if late else typical.strftime("%H:%M"),
                        "eventName": EVENT_NAME, "errorCode": "", "vpcEndpointId": endpoint_id,
                        "sourceIPAddress": "", "userIdentity.arn": ""})
        out.append(row)
    return out


def status_text(row: dict) -> str:
    """A row's status in the learner's language (the row itself keeps the English data)."""
    status = row.get("status", "")
    if status == ARRIVED:
        return _(ARRIVED)
    if status == LATE:
        return _(LATE)
    if row.get("typically by (UTC)"):
        return _(ON_ITS_WAY).format(time=row["typically by (UTC)"])
    return status


def _table(table_rows: list[dict]):
    from .display import table

    shown = []
    for row in table_rows:
        view = {column: row.get(column) for column in COLUMNS}
        view["status"] = status_text(row)
        kind = row.get("evidence")
        view["evidence"] = _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind
        shown.append({(_(HEADERS[c]) if c in HEADERS else c): v for c, v in view.items()})
    return table(shown, [_(HEADERS[c]) if c in HEADERS else c for c in COLUMNS])


class Board:
    """The CloudTrail evidence of one endpoint, as a table that refreshes itself in JupyterLab.

    `show()` looks once and displays the table. In a notebook front end it then keeps looking in the background
    (every 20 s, for up to `watch` seconds, or until every expected event has arrived), updating the same table
    in place, so that the lesson goes on while CloudTrail delivers. In a headless run it looks once.
    """

    def __init__(self, ec2, cloudtrail, endpoint_id: str, *, watch: float = 900.0, every: float = 20.0):
        self.ec2, self.cloudtrail, self.endpoint_id = ec2, cloudtrail, endpoint_id
        self.watch, self.every = watch, every
        self.found: dict[str, dict] = {}
        self.want: dict[str, datetime] = {}
        self._handle = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> list[dict]:
        endpoint = self.ec2.describe_vpc_endpoints(VpcEndpointIds=[self.endpoint_id])["VpcEndpoints"][0]
        self.want = expected(endpoint)
        missing = {k: v for k, v in self.want.items() if k not in self.found}
        self.found.update(lookup(self.cloudtrail, self.endpoint_id, missing))
        return rows(self.endpoint_id, self.want, self.found)

    @property
    def complete(self) -> bool:
        return bool(self.want) and all(k in self.found for k in self.want)

    def show(self) -> list[dict]:
        from IPython.display import display

        current = self.refresh()
        if not current:
            print(_("No call through {endpoint_id} is waiting for its CloudTrail event.").format(
                endpoint_id=self.endpoint_id))
            return current
        self._handle = display(_table(current), display_id=True)
        if not self.complete and not headless() and self.watch > 0:
            self._thread = threading.Thread(target=self._follow, name="cloudtrail-evidence", daemon=True)
            self._thread.start()
            print(_("This table updates itself every {every} s while CloudTrail delivers (for up to {minutes} "
                    "minutes); carry on meanwhile.").format(every=f"{self.every:.0f}",
                                                            minutes=f"{self.watch / 60:.0f}"))
        return current

    def _follow(self) -> None:
        deadline = datetime.now(UTC) + timedelta(seconds=self.watch)
        while not self._stop.wait(self.every) and datetime.now(UTC) < deadline:
            try:
                current = self.refresh()
            except Exception as exc:  # noqa: BLE001 - a background view must not crash the kernel; say why
                print(_("(stopped following CloudTrail: {error})").format(error=f"{type(exc).__name__}: {exc}"))
                return
            if self._handle is not None:
                self._handle.update(_table(current))
            if self.complete:
                return

    def stop(self) -> None:
        self._stop.set()


def collect(ec2, cloudtrail, endpoints: list[dict], *, timeout: float | None = None) -> list[dict]:
    """Wait for the CloudTrail events still missing for these endpoints; return the rows (arrived or not).

    The bound is 15 minutes after the latest call (CloudTrail's usual worst case), or `timeout` seconds from
    now when given. A missing event is reported, never an error: cleanup goes on.
    """
    want = {e["VpcEndpointId"]: expected(e) for e in endpoints}
    want = {k: v for k, v in want.items() if v}
    if not want:
        print(_("No call through the endpoint is waiting for its CloudTrail event (04 and 05 note theirs)."))
        return []
    found: dict[str, dict] = {vpce: {} for vpce in want}

    def check():
        for vpce, calls in want.items():
            missing = {k: v for k, v in calls.items() if k not in found[vpce]}
            found[vpce].update(lookup(cloudtrail, vpce, missing))
        return [(vpce, k) for vpce, calls in want.items() for k in calls if k not in found[vpce]]

    latest = max(t for calls in want.values() for t in calls.values())
    bound = timeout if timeout is not None else max(0.0, (latest + LATEST_DELAY - datetime.now(UTC)).total_seconds())
    kinds = sorted({k for calls in want.values() for k in calls})
    names = {("allow",): N_("the Allow event"), ("deny",): N_("the Deny event")}.get(
        tuple(kinds), N_("the Allow and Deny events"))
    try:
        wait_until(check, what=_("CloudTrail to deliver {events} (calls through {endpoints})").format(
                       events=_(names), endpoints=", ".join(want)),
                   timeout=bound, until=lambda missing: not missing, interval=1.0, max_interval=15.0,
                   status=lambda missing: (_("all arrived") if not missing else
                                           _("missing: {kinds}").format(kinds=", ".join(k for _v, k in missing))))
    except WaitTimeout as exc:
        print(str(exc) + "\n" + _("The missing event is not needed for cleanup; it stays in the CloudTrail event "
                                  "history for 90 days (console: CloudTrail > Event history, event name Converse)."))
    out = []
    for vpce, calls in want.items():
        out.extend(rows(vpce, calls, found[vpce]))
    return out


def table(evidence_rows: list[dict]):
    """The rows of `collect` or `Board.refresh` as a table."""
    return _table(evidence_rows)
