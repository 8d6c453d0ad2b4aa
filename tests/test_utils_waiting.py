"""wait_until: polls with backoff, says what it waits for, bounds the wait, never sleeps blind."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from utils import waiting


def test_returns_at_once_when_ready(capsys):
    t0 = time.monotonic()
    assert waiting.wait_until(lambda: "done", what="a thing", timeout=5) == "done"
    assert time.monotonic() - t0 < 0.2
    out = capsys.readouterr().out
    assert "OK: a thing" in out and "1 check," in out and "bound 5 s" in out


def test_polls_until_the_condition_holds(capsys, monkeypatch):
    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    states = iter(["pending", "pending", "available"])
    result = waiting.wait_until(lambda: next(states), what="endpoint to be available", timeout=10,
                                until=lambda s: s == "available", interval=0.01)
    assert result == "available"
    out = capsys.readouterr().out
    assert "... endpoint to be available: pending" in out  # headless progress line: what, status, elapsed, bound
    assert "of at most 10 s" in out
    assert "OK: endpoint to be available: available" in out and "3 checks" in out


def test_backoff_grows_and_is_capped(monkeypatch):
    sleeps = []
    monkeypatch.setattr(waiting.time, "sleep", lambda s: sleeps.append(s))
    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    n = iter(range(8))
    waiting.wait_until(lambda: next(n), what="x", timeout=100, until=lambda i: i == 7, interval=0.25,
                       backoff=2.0, max_interval=1.0, quiet=True)
    assert sleeps == [0.25, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0]


def test_timeout_names_what_was_awaited():
    with pytest.raises(TimeoutError) as info:
        waiting.wait_until(lambda: "pending", what="stack X to be created", timeout=0.3,
                           until=lambda s: s == "done", interval=0.05, quiet=True, hint="Check the console.")
    exc = info.value
    assert isinstance(exc, waiting.WaitTimeout)
    assert "stack X to be created" in str(exc) and "pending" in str(exc) and "Check the console." in str(exc)
    assert exc.timeout == 0.3 and exc.what == "stack X to be created" and exc.last_status == "pending"


def test_retry_on_treats_errors_as_not_yet():
    calls = {"n": 0}

    def flaky():
        calls["n"] += 1
        if calls["n"] < 3:
            raise ConnectionError("not yet")
        return "ok"

    assert waiting.wait_until(flaky, what="x", timeout=5, retry_on=(ConnectionError,), interval=0.01,
                              quiet=True) == "ok"


def test_other_errors_propagate():
    def broken():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        waiting.wait_until(broken, what="x", timeout=5, retry_on=(ConnectionError,), quiet=True)


def test_no_fixed_sleeps_in_utils_or_notebooks():
    """Only waiting.py may call time.sleep (between polls); notebooks never sleep."""
    root = Path(__file__).resolve().parent.parent
    for path in (root / "utils").glob("*.py"):
        if path.name == "waiting.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "sleep":
                pytest.fail(f"{path.name} calls sleep: use utils.waiting.wait_until")
    for path in (root / "notebooks").glob("*.ipynb"):
        assert "sleep(" not in path.read_text(), f"{path.name} sleeps"


def test_retry_is_a_visible_loop_that_stops_when_done(capsys):
    retry = waiting.Retry("a reply", timeout=5, interval=0.01)
    replies = iter(["AccessDenied", "AccessDenied", "reply", "never asked"])
    tries = []
    while retry.again():
        tries.append(next(replies))
        retry.until(tries[-1] == "reply", tries[-1])
    assert tries == ["AccessDenied", "AccessDenied", "reply"] and retry.done and not retry.gave_up
    assert "OK: a reply: reply after" in capsys.readouterr().out and retry.tries == 3


def test_retry_gives_up_at_its_bound_and_says_so(capsys):
    retry = waiting.Retry("the Deny to take effect", timeout=0.05, interval=0.01, hint="Check the policy.")
    tries = 0
    while retry.again():
        tries += 1
        retry.until(False, "still allowed")
    assert tries >= 2 and retry.gave_up and not retry.done
    out = capsys.readouterr().out
    assert "Gave up waiting for the Deny to take effect after" in out
    assert "last seen: still allowed. Check the policy." in out


def test_retry_lets_errors_of_the_call_through():
    retry = waiting.Retry("x", timeout=5)
    with pytest.raises(KeyError):
        while retry.again():
            raise KeyError("boom")


def test_parallel_map_stops_the_workers_waits_when_the_caller_is_interrupted():
    """Ctrl-C while a room's waits run in worker threads: every wait stops at its next check (WaitAbandoned), so the
    CLI can say at once what still runs in AWS; the next parallel_map waits normally again."""
    ended = []
    started = __import__("threading").Event()

    def work(i):
        if i == 0:
            started.wait(30)
            raise KeyboardInterrupt
        started.set()
        try:
            waiting.wait_until(lambda: False, what=f"item {i}", timeout=600, interval=0.05, max_interval=0.2,
                               quiet=True)
        except waiting.WaitAbandoned as exc:
            ended.append(str(exc))
            raise

    with pytest.raises(KeyboardInterrupt):
        waiting.parallel_map(work, [0, 1], workers=2, name="t")
    assert ended == ["item 1"]
    assert waiting.parallel_map(lambda i: waiting.wait_until(lambda: i, what="x", timeout=5, quiet=True), [1, 2],
                                workers=2, name="t") == [1, 2]
