"""Replays AWS's recorded answers (cases/*.json) against a freshly reset sandbox; see README.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import set_settings
from .replay import check_case_shape, load_cases, run_case

CASES = load_cases()
TARGET_RATIO = 0.90


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, aws, sandbox):
    problems = check_case_shape(case)
    assert not problems, f"{case['_file']}: {case.get('id')}: {problems}"
    diffs = run_case(case, aws, lambda values: set_settings(sandbox.url, values))
    known = case.get("known_difference")
    if known:
        # A known difference that now matches must be removed, or the ratio would understate the sandbox.
        assert diffs, f"{case['id']} now matches AWS's recording: remove its known_difference ({known})"
        pytest.xfail(f"{known} | {'; '.join(diffs)[:300]}")
    assert not diffs, f"{case['id']} differs from AWS's recording:\n  " + "\n  ".join(diffs)


def test_match_ratio():
    """At least 90% of all replayed cases match. A case counts as matching unless it is marked
    known_difference; test_case fails for any other case that does not match, and for any known difference
    that has started to match, so this count is the measured one whenever test_case passes."""
    assert CASES, "no parity cases"
    known = [c for c in CASES if c.get("known_difference")]
    matched = len(CASES) - len(known)
    ratio = matched / len(CASES)
    by_service: dict[str, list[int]] = {}
    for c in CASES:
        entry = by_service.setdefault(c["service"], [0, 0])
        entry[1] += 1
        entry[0] += not c.get("known_difference")
    summary = ", ".join(f"{s} {m}/{t}" for s, (m, t) in sorted(by_service.items()))
    print(f"parity: {matched}/{len(CASES)} cases match ({ratio:.1%}): {summary}")
    assert ratio >= TARGET_RATIO, (
        f"only {matched}/{len(CASES)} ({ratio:.1%}) replayed cases match; known differences:\n"
        + "\n".join(f"  {c['id']}: {c['known_difference']}" for c in known))


def test_cases_cite_their_recording():
    """Every case names the snapshot file, key and entry it was copied from, at a commit."""
    problems = {c["id"]: p for c in CASES if (p := check_case_shape(c))}
    assert not problems, problems


def test_known_differences_are_listed():
    """README.md lists every known difference (by case id) with its reason."""
    readme = (Path(__file__).parent / "README.md").read_text(encoding="utf-8")
    missing = [c["id"] for c in CASES if c.get("known_difference") and f"`{c['id']}`" not in readme]
    assert not missing, f"tests/parity/README.md does not list these known differences: {missing}"
