"""Prints the parity summary: how many replayed cases matched AWS's recording (outcomes of test_case)."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter):
    matched, differ, failed = 0, 0, 0
    for status in ("passed", "xfailed", "failed"):
        for rep in terminalreporter.stats.get(status, []):
            if "tests/parity/test_parity.py::test_case[" not in rep.nodeid:
                continue
            if rep.when != "call" and status != "xfailed":
                continue
            if status == "passed":
                matched += 1
            elif status == "xfailed":
                differ += 1
            else:
                failed += 1
    total = matched + differ + failed
    if total:
        terminalreporter.write_line(
            f"parity: {matched}/{total} replayed cases match AWS's recordings ({100 * matched / total:.1f}%); "
            f"{differ} known differences, {failed} unexpected")
