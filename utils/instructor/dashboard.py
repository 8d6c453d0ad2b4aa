"""The room at a glance, in a notebook: a table coloured by state and a chart of how far participants got.

Same data as `python -m utils instructor status --json` (utils.instructor.status.collect). The table is a pandas
Styler; the chart is a pandas bar (plain CSS, no plotting library). `Dashboard` refreshes both on a button, or
on a timer (ipywidgets; the timer runs in a background thread and stops with `stop()` or the kernel).

Who is stuck comes first: rows that could not be read or failed, then participants who have not finished, the
longest without progress first (never started before those in progress), then those who finished (05, 06 or 07).
"since progress" is the time since the participant's last step or Bedrock call seen in AWS; "per step" is how long
each step took (from the previous step's time). An empty value shows as "-".

The table and the chart are display outputs (IPython display handles, updated in place on each refresh), not
widget state: a notebook saved after a headless run (nbclient, `python -m utils run`) keeps them as HTML.
"""

from __future__ import annotations

import threading
import time

from ..lang import N_, _
from . import status

COLOURS = {"done": "#bbf7d0", "progress": "#fef08a", "idle": "#e5e7eb", "bad": "#fecaca", "deny": "#fed7aa"}
COLUMNS = ["participant", "step", "since progress", "per step", "stack_status", "endpoint_state", "private_dns",
           "policy_effect", "function_in_vpc", "last_allow", "last_deny", "leftovers", "endpoint_hours",
           "endpoint_usd", "error"]
# The columns' headers as the table shows them, in the language in force (frame() keeps the keys above).
LABELS = {"participant": N_("participant"), "step": N_("step"), "since progress": N_("since progress"),
          "per step": N_("per step"), "stack_status": N_("stack_status"), "endpoint_state": N_("endpoint_state"),
          "private_dns": N_("private_dns"), "policy_effect": N_("policy_effect"),
          "function_in_vpc": N_("function_in_vpc"), "last_allow": N_("last_allow"), "last_deny": N_("last_deny"),
          "leftovers": N_("leftovers"), "endpoint_hours": N_("endpoint_hours"), "endpoint_usd": N_("endpoint_usd"),
          "error": N_("error")}
DONE_STEPS = ("05", "06", "07")
EMPTY = "-"


def duration(seconds) -> str:
    """"45 s", "12 min", "1 h 05 min"; "-" for None."""
    if seconds is None:
        return EMPTY
    seconds = int(seconds)
    if seconds < 60:
        return _("{seconds} s").format(seconds=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    return _("{hours} h {minutes} min").format(hours=minutes // 60, minutes=f"{minutes % 60:02d}")


def per_step(row: dict) -> str:
    took = status.step_durations(row)
    return ", ".join(f"{s} {duration(t)}" for s, t in took.items()) or EMPTY


def stuck_first(rows: list[dict]) -> list[dict]:
    """Problems first; then unfinished participants, never started and then the longest without progress; the
    finished ones last."""
    def key(row):
        if row.get("problem") or row.get("error"):
            return (0, 0, row["participant"])
        if row.get("step") in DONE_STEPS:
            return (3, 0, row["participant"])
        since = row.get("since_progress_s")
        return (1, 0, row["participant"]) if since is None else (2, -since, row["participant"])
    return sorted(rows, key=key)


def _cell(value):
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, float) and value != value:  # NaN
        return EMPTY
    return value


def frame(rows: list[dict]):
    """The table's rows, stuck first, every empty value shown as "-"."""
    import pandas as pd

    shown = []
    for r in stuck_first(rows):
        values = {**{k: r.get(k) for k in COLUMNS},
                  "since progress": duration(r.get("since_progress_s")), "per step": per_step(r),
                  "last_allow": (r.get("last_allow") or {}).get("time"),
                  "last_deny": (r.get("last_deny") or {}).get("time"),
                  "leftovers": ", ".join(r.get("leftovers") or []),
                  "private_dns": None if r.get("private_dns") is None else status.yes_no(r["private_dns"]),
                  "function_in_vpc": r.get("function_in_vpc") and status.in_vpc(r["function_in_vpc"]),
                  "stack_status": r.get("stack_status") and status.word(r["stack_status"]),
                  "policy_effect": r.get("policy_effect") and status.word(r["policy_effect"]),
                  "error": r.get("error") or (_("FAILED {detail}").format(detail=r["problem_detail"])
                                              if r.get("problem") == "failed" else None)}
        shown.append({k: (v if k in ("endpoint_hours", "endpoint_usd") else _cell(v)) for k, v in values.items()})
    return pd.DataFrame(shown, columns=COLUMNS).astype({c: object for c in COLUMNS
                                                        if c not in ("endpoint_hours", "endpoint_usd")})


def state_of(row) -> str:
    """The colour class of a row: failed/unreadable, a Deny in force, done, in progress, not started."""
    if (row.get("error") or row.get("problem") or "FAILED" in str(row.get("stack_status"))
            or "ROLLBACK" in str(row.get("stack_status"))):
        return "bad"
    if row.get("policy_effect") == "Deny":
        return "deny"
    if row.get("step") in ("04", *DONE_STEPS):
        return "done"
    return "progress" if row.get("step") else "idle"


def styled(rows: list[dict]):
    """The status table, stuck first, each row coloured by its state."""
    df = frame(rows)
    states = [state_of(r) for r in stuck_first(rows)]

    def colour(row):
        return [f"background-color: {COLOURS[states[row.name]]}"] * len(row)

    df = df.rename(columns=lambda c: _(LABELS[c]))
    return (df.style.apply(colour, axis=1)
            .format({_(LABELS["endpoint_hours"]): "{:.2f}", _(LABELS["endpoint_usd"]): "${:.2f}"}, na_rep=EMPTY)
            .set_caption(caption(rows)).hide(axis="index"))


def caption(rows: list[dict]) -> str:
    t = status.totals(rows)
    return (_("{n} participants; endpoint hours {hours}, cost so far ${usd}; estimate for the planned session "
              "${estimate}").format(n=t["participants"], hours=f"{t['endpoint_hours']:.2f}",
                                    usd=f"{t['endpoint_usd']:.2f}", estimate=f"{t['estimate_usd']:.2f}")
            + (_("; {n} unreadable").format(n=t["errors"]) if t["errors"] else "")
            + (_("; {n} failed").format(n=t["failed"]) if t.get("failed") else "")
            + _(". Stuck first. Green: reached 04+; yellow: in progress; orange: Deny in force; red: failed or "
                "unreadable."))


def chart(rows: list[dict]):
    """How many participants reached each step (at least that far), as bars."""
    import pandas as pd

    counts = status.reached(rows)
    step, participants = _(LABELS["step"]), _("participants")
    df = pd.DataFrame([{step: f"{s} {_(status.STEP_NAMES[s])}", participants: n} for s, n in counts.items()])
    return (df.style.bar(subset=[participants], vmin=0, vmax=max(1, len(rows)), color="#60a5fa")
            .hide(axis="index").set_caption(_("Participants who reached each step")))


class Dashboard:
    """`Dashboard(room).show()`: the table, the chart, a Refresh button and an auto-refresh toggle."""

    def __init__(self, r, interval: float = 30.0):
        import ipywidgets as w

        self.room, self.interval = r, interval
        self.rows: list[dict] = []
        self.seconds = 0.0
        self.handles: list = []  # the table's and the chart's display handles, once shown
        self.note = w.HTML()
        self.button = w.Button(description=_("Refresh"), icon="refresh")
        self.auto = w.ToggleButton(description=_("Every {seconds} s").format(seconds=f"{interval:g}"), value=False)
        self.button.on_click(lambda _: self.refresh())
        self.auto.observe(self._toggle, names="value")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.box = w.HBox([self.button, self.auto, self.note])

    def refresh(self) -> list[dict]:
        t0 = time.monotonic()
        self.rows = status.collect(self.room)
        self.seconds = time.monotonic() - t0
        for handle, shown in zip(self.handles, (styled(self.rows), chart(self.rows)), strict=False):
            handle.update(shown)
        self.note.value = "&nbsp;" + _("read {n} participants in {seconds} s at {time}").format(
            n=len(self.rows), seconds=f"{self.seconds:.1f}", time=time.strftime("%X"))
        return self.rows

    def _toggle(self, change) -> None:
        if change["new"]:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, daemon=True, name="dashboard")
            self._thread.start()
        else:
            self.stop()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception as exc:  # shown, and the timer keeps going
                self.note.value = "&nbsp;" + _("refresh failed: {error}").format(error=f"{type(exc).__name__}: {exc}")
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()

    def show(self) -> None:
        """The buttons, then the table and the chart as display outputs (kept in a saved notebook)."""
        from IPython.display import display

        self.refresh()
        display(self.box)
        self.handles = [display(styled(self.rows), display_id=True), display(chart(self.rows), display_id=True)]
