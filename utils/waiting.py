"""Waiting for AWS: poll with exponential backoff, show progress, never wait blind.

`wait_until` checks at once, then again after 0.25 s, 0.4 s, 0.64 s ... (at most 5 s apart), until
the condition holds or the time bound passes. While it waits it shows what it awaits,
the elapsed time and the bound: a tqdm bar in a notebook, plain lines in a headless
run (`WORKSHOP_HEADLESS=1`, set by `python -m utils run`). It ends with a one-line
summary, or raises `WaitTimeout` (a TimeoutError) that names what it was waiting for.

`Retry` is the same policy as a loop whose body the notebook writes itself, so that the call being taught
stays on its own line in the cell:

    retry = waiting.Retry("a reply from the model", timeout=180)
    while retry.again():
        response = lam.invoke(FunctionName=name, Payload=payload)
        reply = lambda_fn.payload(response)
        retry.until(reply.get("ok"), "reply" if reply.get("ok") else reply["error"]["code"])
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from .lang import _, ngettext

_abandoned = threading.Event()


class WaitAbandoned(Exception):
    """A wait in a worker thread stopped because the main thread was interrupted (Ctrl-C)."""


def _ok_line(what: str, status: str, elapsed: float, checks: int, bound: float) -> str:
    """The line a finished wait prints: what was awaited, what was seen last, how long, how many checks, the bound."""
    return ngettext("OK: {what}: {status} after {elapsed:.1f} s ({checks} check, bound {bound:.0f} s)",
                    "OK: {what}: {status} after {elapsed:.1f} s ({checks} checks, bound {bound:.0f} s)",
                    checks).format(what=what, status=status, elapsed=elapsed, checks=checks, bound=bound)


def parallel_map(fn: Callable[[Any], Any], items, *, workers: int, name: str) -> list:
    """`[fn(item) for item in items]` on a bounded thread pool, in order.

    On Ctrl-C (or any error) in the calling thread, the items not started are cancelled and every `wait_until` still
    polling in a worker stops at its next check, so the caller can say at once what still runs in AWS instead of
    waiting for each worker's wait to run out; AWS carries on with what it was asked to do."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=name)
    try:
        return list(pool.map(fn, items))
    except BaseException:
        _abandoned.set()
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        finally:
            _abandoned.clear()
        raise
    finally:
        pool.shutdown()


class WaitTimeout(TimeoutError):
    def __init__(self, what: str, timeout: float, elapsed: float, last_status: str, hint: str = ""):
        self.what = what
        self.timeout = timeout
        self.elapsed = elapsed
        self.last_status = last_status
        text = (_("Gave up waiting for {what} after {elapsed:.1f} s (bound {timeout:.0f} s); last seen: "
                  "{last_status}.").format(what=what, elapsed=elapsed, timeout=timeout, last_status=last_status))
        if hint:
            text += f" {hint}"
        super().__init__(text)


def headless() -> bool:
    """True when nobody watches a notebook front end (runner, tests, plain Python)."""
    if os.environ.get("WORKSHOP_HEADLESS", "") not in ("", "0"):
        return True
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return True
    try:
        shell = ipython.get_ipython()
    except AttributeError:
        return True
    return shell is None or type(shell).__name__ != "ZMQInteractiveShell"


class _Lines:
    """Progress as plain lines: on every change of status, and at least every 5 s."""

    def __init__(self, what: str, timeout: float):
        self.what, self.timeout = what, timeout
        self.last_status: str | None = None
        self.last_print = 0.0

    def update(self, elapsed: float, status: str) -> None:
        if status != self.last_status or elapsed - self.last_print >= 5.0:
            print(_("  ... {what}: {status} ({elapsed:.1f} s of at most {timeout:.0f} s)").format(
                      what=self.what, status=status, elapsed=elapsed, timeout=self.timeout), flush=True)
            self.last_status, self.last_print = status, elapsed

    def close(self, ok: bool = False) -> None:
        pass


class _Bar:
    """Progress as a tqdm bar (tqdm.auto: a widget in JupyterLab) over the time bound.

    The bar counts seconds up to the bound. A wait that succeeds early would leave it short of its total, which
    tqdm's notebook bar paints red ("danger") on close, as if the wait had failed: so on success the bar is
    completed first, then removed (the one-line summary says how it went). A timeout leaves it red, on purpose.
    """

    def __init__(self, what: str, timeout: float):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=round(timeout, 1), desc=_("waiting for {what}").format(what=what), unit="s",
                        bar_format="{desc}: {bar} {n:.1f}/{total:.0f} s {postfix}", leave=False)

    def update(self, elapsed: float, status: str) -> None:
        self.bar.n = round(min(elapsed, self.bar.total), 1)
        self.bar.set_postfix_str(status, refresh=False)
        self.bar.refresh()

    def close(self, ok: bool = False) -> None:
        if ok:
            self.bar.total = self.bar.n
        self.bar.close()


def wait_until(
    check: Callable[[], Any],
    *,
    what: str,
    timeout: float,
    until: Callable[[Any], bool] = bool,
    status: Callable[[Any], str] | None = None,
    retry_on: tuple[type[BaseException], ...] = (),
    interval: float = 0.25,
    max_interval: float = 5.0,
    backoff: float = 1.6,
    hint: str = "",
    quiet: bool = False,
) -> Any:
    """Call `check()` until `until(result)` is true; return that result.

    - `what`: what is awaited, in words ("endpoint vpce-... to be available").
    - `timeout`: the bound in seconds; `WaitTimeout` is raised past it.
    - `status(result)`: a short text for progress (default: the result itself).
    - `retry_on`: exception types that mean "not yet" (shown as status, then retried).
    - `hint`: appended to the timeout message (what to check next).
    """
    start = time.monotonic()
    deadline = start + timeout
    delay = interval
    checks = 0
    progress = None
    last_status = _("not checked yet")
    try:
        while True:
            checks += 1
            try:
                result = check()
                done = until(result)
                last_status = status(result) if status else _short(result)
            except retry_on as exc:
                result, done = None, False
                last_status = f"{type(exc).__name__}: {_short(exc)}"
            now = time.monotonic()
            elapsed = now - start
            if done:
                if progress is not None:
                    progress.close(ok=True)  # before the summary line, so that it reads below the bar
                    progress = None
                if not quiet:
                    print(_ok_line(what, last_status, elapsed, checks, timeout), flush=True)
                return result
            if now >= deadline:
                raise WaitTimeout(what, timeout, elapsed, last_status, hint)
            if progress is None and not quiet:
                progress = _Lines(what, timeout) if headless() else _Bar(what, timeout)
            if progress is not None:
                progress.update(elapsed, last_status)
            pause = min(delay, max(0.0, deadline - now))
            if threading.current_thread() is threading.main_thread():
                time.sleep(pause)  # Ctrl-C interrupts the main thread's sleep itself
            elif _abandoned.wait(pause):  # a worker of parallel_map whose caller was interrupted
                raise WaitAbandoned(what)
            delay = min(delay * backoff, max_interval)
    finally:
        if progress is not None:
            progress.close()


class Retry:
    """A visible retry loop: `while retry.again(): <the call>; retry.until(done, status)`.

    `again()` is true for the first try; after a try that was not done it pauses (0.25 s, 0.4 s, ... growing
    by `backoff`, at most `max_interval`) and is true again, until `timeout` seconds have passed. It is false
    once a try was done (printing the one-line summary) or when the bound is reached (printing what it gave up
    on, with `hint`); the cell then checks the last result itself. Progress as in `wait_until`.
    """

    def __init__(self, what: str, *, timeout: float, interval: float = 0.25, max_interval: float = 5.0,
                 backoff: float = 1.6, hint: str = ""):
        self.what, self.timeout, self.hint = what, timeout, hint
        self.interval, self.max_interval, self.backoff = interval, max_interval, backoff
        self.tries = 0
        self.done = False
        self.gave_up = False
        self.last_status = _("not tried yet")
        self._start: float | None = None
        self._delay = interval
        self._progress = None

    def again(self) -> bool:
        now = time.monotonic()
        if self._start is None:
            self._start = now
        elif self.done or self.gave_up:
            return False
        elif self.tries > 0:
            elapsed = now - self._start
            if elapsed >= self.timeout:
                self._close()
                self.gave_up = True
                text = (_("Gave up waiting for {what} after {elapsed:.1f} s (bound {timeout:.0f} s); last seen: "
                          "{last_status}.").format(
                            what=self.what, elapsed=elapsed, timeout=self.timeout, last_status=self.last_status))
                print(f"{text} {self.hint}".rstrip(), flush=True)
                return False
            if self._progress is None:
                self._progress = _Lines(self.what, self.timeout) if headless() else _Bar(self.what, self.timeout)
            self._progress.update(elapsed, self.last_status)
            time.sleep(min(self._delay, max(0.0, self._start + self.timeout - now)))
            self._delay = min(self._delay * self.backoff, self.max_interval)
        self.tries += 1
        return True

    def until(self, done: Any, status: str = "") -> bool:
        """Say whether this try is the one awaited (and what it saw); returns `done` as a bool."""
        self.last_status = status or (_("done") if done else _("not yet"))
        if done and not self.done:
            self.done = True
            elapsed = time.monotonic() - (self._start or time.monotonic())
            self._close(ok=True)
            print(_ok_line(self.what, self.last_status, elapsed, self.tries, self.timeout), flush=True)
        return bool(done)

    def _close(self, ok: bool = False) -> None:
        if self._progress is not None:
            self._progress.close(ok=ok)
            self._progress = None


def _short(value: Any, limit: int = 120) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
