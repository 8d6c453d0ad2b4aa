"""The room at a glance, in a notebook: a table coloured by state and a chart of how far participants got.

Same data as `python -m utils instructor status --json` (utils.instructor.status.collect). The table is a pandas
Styler; the chart is a pandas bar (plain CSS, no plotting library). `Dashboard` refreshes both on a button, or
on a timer (ipywidgets; the timer runs in a background thread and stops with `stop()` or the kernel).
"""

from __future__ import annotations

import threading
import time

from . import status

COLOURS = {"done": "#bbf7d0", "progress": "#fef08a", "idle": "#e5e7eb", "bad": "#fecaca", "deny": "#fed7aa"}
COLUMNS = ["participant", "step", "stack_status", "endpoint_state", "private_dns", "policy_effect",
           "function_in_vpc", "last_allow", "last_deny", "leftovers", "endpoint_hours", "endpoint_usd", "error"]


def frame(rows: list[dict]):
    import pandas as pd

    shown = []
    for r in rows:
        shown.append({**{k: r.get(k) for k in COLUMNS},
                      "last_allow": (r.get("last_allow") or {}).get("time") or "",
                      "last_deny": (r.get("last_deny") or {}).get("time") or "",
                      "leftovers": ", ".join(r.get("leftovers") or []),
                      "private_dns": "" if r.get("private_dns") is None else ("yes" if r["private_dns"] else "no")})
    return pd.DataFrame(shown, columns=COLUMNS)


def state_of(row) -> str:
    """The colour class of a row: failed/unreadable, a Deny in force, done, in progress, not started."""
    if row.get("error") or "FAILED" in str(row.get("stack_status")) or "ROLLBACK" in str(row.get("stack_status")):
        return "bad"
    if row.get("policy_effect") == "Deny":
        return "deny"
    if row.get("step") in ("04", "05", "07"):
        return "done"
    return "progress" if row.get("step") else "idle"


def styled(rows: list[dict]):
    """The status table, each row coloured by its state."""
    df = frame(rows)
    states = [state_of(r) for r in rows]

    def colour(row):
        return [f"background-color: {COLOURS[states[row.name]]}"] * len(row)

    return (df.style.apply(colour, axis=1).format({"endpoint_hours": "{:.2f}", "endpoint_usd": "${:.2f}"})
            .set_caption(caption(rows)).hide(axis="index"))


def caption(rows: list[dict]) -> str:
    t = status.totals(rows)
    return (f"{t['participants']} participants; endpoint hours {t['endpoint_hours']:.2f}, cost so far "
            f"${t['endpoint_usd']:.2f}; estimate for the planned session ${t['estimate_usd']:.2f}"
            + (f"; {t['errors']} unreadable" if t["errors"] else "")
            + ". Green: reached 04+; yellow: in progress; orange: Deny in force; red: failed or unreadable.")


def chart(rows: list[dict]):
    """How many participants reached each step (at least that far), as bars."""
    import pandas as pd

    counts = status.reached(rows)
    df = pd.DataFrame([{"step": f"{s} {status.STEP_NAMES[s]}", "participants": n} for s, n in counts.items()])
    return (df.style.bar(subset=["participants"], vmin=0, vmax=max(1, len(rows)), color="#60a5fa")
            .hide(axis="index").set_caption("Participants who reached each step"))


class Dashboard:
    """`Dashboard(room).show()`: the table, the chart, a Refresh button and an auto-refresh toggle."""

    def __init__(self, r, interval: float = 30.0):
        import ipywidgets as w

        self.room, self.interval = r, interval
        self.rows: list[dict] = []
        self.seconds = 0.0
        self.out = w.Output()
        self.note = w.HTML()
        self.button = w.Button(description="Refresh", icon="refresh")
        self.auto = w.ToggleButton(description=f"Every {interval:g} s", value=False)
        self.button.on_click(lambda _: self.refresh())
        self.auto.observe(self._toggle, names="value")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.box = w.VBox([w.HBox([self.button, self.auto, self.note]), self.out])

    def refresh(self) -> list[dict]:
        from IPython.display import display

        t0 = time.monotonic()
        self.rows = status.collect(self.room)
        self.seconds = time.monotonic() - t0
        self.out.clear_output(wait=True)
        with self.out:
            display(styled(self.rows))
            display(chart(self.rows))
        self.note.value = f"&nbsp;read {len(self.rows)} participants in {self.seconds:.1f} s at {time.strftime('%X')}"
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
                self.note.value = f"&nbsp;refresh failed: {type(exc).__name__}: {exc}"
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()

    def show(self):
        self.refresh()
        return self.box
