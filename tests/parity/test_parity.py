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


def test_enum_value_sets_compare_as_sets():
    """An enum value set in an error message matches in any order; a differing set names the values."""
    from .replay import _without_enum_sets, enum_set_differences

    recorded = "Value x at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [b, a, c] or x"
    assert _without_enum_sets(recorded) == _without_enum_sets(recorded.replace("[b, a, c]", "[c, b, a]"))
    assert enum_set_differences(recorded, recorded.replace("[b, a, c]", "[a, c, b]")) == []
    assert enum_set_differences(recorded, recorded.replace("[b, a, c]", "[a, b, d]")) == [
        "enum value set 1 differs: only recorded ['c'], only in the sandbox ['d']"]


def test_runtime_set_differences_are_named():
    """A case whose recorded runtime list differs from the runtimes Lambda accepts today (awsfacts.awslambda) is a
    known difference. Runtimes added since the recording are named in its reason. Runtimes the recording lists and
    today's list lacks must be exactly those that cfn-lint's lifecycle data blocks for creation between the
    recording's date and today: that is derived from the maintained data, so the passing of a block date never turns
    this test red by itself, while a runtime that vanished for any other reason still does."""
    import re
    import time

    from awsfacts.awslambda import accepted_runtimes, blocked, known_runtimes

    today = time.strftime("%Y-%m-%d", time.gmtime())
    accepted = set(accepted_runtimes(today))
    checked = 0
    for case in CASES:
        message = (case["expect"].get("error") or {}).get("Message") or ""
        m = re.search(r"at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: \[([^\]]*)\]",
                      message)
        if not m:
            continue
        checked += 1
        recorded = {r.strip() for r in m.group(1).split(",")}
        recorded_on = (case["source"].get("recorded") or "")[:10]
        assert recorded_on, f"{case['id']}: its source gives no recording date"
        added, gone = accepted - recorded, recorded - accepted
        blocked_since = {r for r in recorded if blocked(r, creating=True, today=today)
                         and not blocked(r, creating=True, today=recorded_on)}
        assert gone == blocked_since, (f"{case['id']}: the recording lists {sorted(gone)} that Lambda no longer "
                                       f"accepts, but cfn-lint's data blocks only {sorted(blocked_since)} since "
                                       f"{recorded_on}")
        reason = case.get("known_difference") or ""
        named = {r for r in set(known_runtimes()) | added if re.search(rf"(?<![\w.]){re.escape(r)}(?![\w.])", reason)}
        assert named >= added, (f"{case['id']}: the runtimes added since the recording are {sorted(added)}; its "
                                f"known_difference names {sorted(named)}")
        assert bool(reason) == bool(added or gone), (f"{case['id']}: known_difference set without a difference, "
                                                     "or missing")
    assert checked >= 4
