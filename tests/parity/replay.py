"""Replay AWS's recorded answers against the sandbox (issue 15).

A *case* (tests/parity/cases/<service>.json, schema in tests/parity/README.md) names one recorded AWS answer from
LocalStack's AWS-validated snapshot files, the setup calls that lead to it, the call itself, and the recorded
answer copied from the snapshot (never from the sandbox). `run_case` makes the calls against a sandbox and returns
the list of differences (empty = the sandbox matched AWS's recording).

Comparison rules:
- errors: Code, HTTP status, and Message (exact after `{name}` substitution; `<...>` placeholders in the recorded
  message match any non-empty text);
- responses: no missing keys, no extra keys (ResponseMetadata is ignored except its HTTPStatusCode); with
  `"compare": "values"` (default) every scalar must be equal, except that a `<...>` placeholder matches any
  non-empty string or number and the same placeholder binds to the same value within a case; `"compare": "keys"`
  checks the key structure only (and list lengths).
- an enum value set in a message ("Member must satisfy enum value set: [a, b, c]") is compared as a set: AWS
  lists the values in an order of its own that changes between recordings; a set that differs is reported with
  the values only the recording has and those only the sandbox has.
- LocalStack's snapshot transformers write the test account as 111111111111 and dates as "<datetime>",
  "datetime" or "date"; these stand for the sandbox's account and any date or timestamp.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from botocore.response import StreamingBody

CASES_DIR = Path(__file__).parent / "cases"
RECORDED_ACCOUNT = "111111111111"
DATE_MARKERS = {"<datetime>", "datetime", "date", "<date>", "<timestamp>", "timestamp"}
_PLACEHOLDER = re.compile(r"<[^<>\s]+>")
_SAVED = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_IGNORED_TOP_LEVEL = {"ResponseMetadata"}


# ---------------------------------------------------------------------------------------------------- loading
def load_cases(cases_dir: Path = CASES_DIR) -> list[dict]:
    """Every case of every cases/*.json file, each with `_file` set to its file name."""
    out = []
    for path in sorted(cases_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for case in data.get("cases", []):
            out.append({**case, "_file": path.name})
    ids = [c["id"] for c in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate case ids: {dupes}")
    return out


def check_case_shape(case: dict) -> list[str]:
    """Problems with a case's own shape (not with the sandbox)."""
    problems = []
    for key in ("id", "source", "service", "call", "expect"):
        if key not in case:
            problems.append(f"missing {key!r}")
    src = case.get("source") or {}
    for key in ("repo", "file", "key", "entry", "commit"):
        if not src.get(key):
            problems.append(f"source lacks {key!r}")
    if src.get("commit") and not re.fullmatch(r"[0-9a-f]{40}", src["commit"]):
        problems.append("source.commit is not 40 hex digits")
    expect = case.get("expect") or {}
    if ("error" in expect) == ("response" in expect):
        problems.append("expect needs exactly one of 'error' or 'response'")
    if case.get("compare", "values") not in ("values", "keys"):
        problems.append("compare must be 'values' or 'keys'")
    return problems


# ---------------------------------------------------------------------------------------------------- running
@dataclass
class Context:
    """What a setup step or fixture function sees: a client factory, the case's region and saved values."""

    client_factory: Callable[..., Any]
    region: str
    saved: dict = field(default_factory=dict)

    def client(self, service: str, region: str | None = None):
        return self.client_factory(service, region or self.region)


def _lookup(value: Any, path: str) -> Any:
    """`Vpc.VpcId`, `Subnets.0.SubnetId` or `Subnets[0].SubnetId` in a response."""
    for part in re.findall(r"[^.\[\]]+", path):
        if isinstance(value, list):
            value = value[int(part)]
        else:
            value = value[part]
    return value


def substitute(value: Any, saved: dict) -> Any:
    """Replace `{name}` with saved values in strings, recursively. A string that is exactly `{name}` becomes
    the saved value itself (any type); unknown names are left as they are."""
    if isinstance(value, str):
        whole = _SAVED.fullmatch(value)
        if whole and whole.group(1) in saved:
            return saved[whole.group(1)]
        return _SAVED.sub(lambda m: str(saved[m.group(1)]) if m.group(1) in saved else m.group(0), value)
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    return value


def _call(ctx: Context, step: dict) -> Any:
    from . import fixtures

    params = substitute(step.get("params") or {}, ctx.saved)
    if "fn" in step:
        fn = fixtures.FUNCTIONS.get(step["fn"])
        if fn is None:
            raise KeyError(f"no fixture function {step['fn']!r} in tests/parity/fixtures.py")
        return fn(ctx, **params)
    client = ctx.client(step.get("service") or ctx.saved["service"], step.get("region"))
    if "waiter" in step:
        client.get_waiter(step["waiter"]).wait(**params, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        return None
    return getattr(client, step["op"])(**params)


def _save(ctx: Context, step: dict, result: Any) -> None:
    for name, path in (step.get("save") or {}).items():
        ctx.saved[name] = result if path in ("", ".") else _lookup(result, path)


def _plain(value: Any) -> Any:
    """A boto3 answer as plain data: streaming bodies read (JSON decoded when it parses), bytes decoded."""
    if isinstance(value, StreamingBody):
        value = value.read()
    if isinstance(value, bytes):
        # as LocalStack records payloads: a JSON object or array decoded, anything else as its text
        text = value.decode("utf-8", "replace")
        try:
            decoded = json.loads(text)
        except ValueError:
            return text
        return decoded if isinstance(decoded, (dict, list)) else text
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def run_case(case: dict, client_factory: Callable[..., Any],
             apply_settings: Callable[[dict], Any] | None = None) -> list[str]:
    """Run one case on a freshly reset sandbox; return its differences from the recording (empty = match).
    A case's `settings` (e.g. {"timing_scale": 1}) go to `apply_settings` (POST /_sandbox/settings) first."""
    region = case.get("region", "us-east-1")
    if case.get("settings"):
        if apply_settings is None:
            raise ValueError(f"{case['id']} needs sandbox settings {case['settings']}")
        apply_settings(case["settings"])
    ctx = Context(client_factory, region, {"service": case["service"], "region": region,
                                           "uid": uuid.uuid4().hex[:8]})
    if "{account}" in json.dumps(case):
        _account(ctx)
    for i, step in enumerate(case.get("setup") or []):
        try:
            result = _call(ctx, step)
        except ClientError as e:
            if step.get("allow_error"):
                result = e.response
            else:
                return [f"setup step {i} ({step.get('op') or step.get('fn') or step.get('waiter')}) failed: {e}"]
        except Exception as e:  # noqa: BLE001 - a sandbox fault is a difference, reported as such
            return [f"setup step {i} ({step.get('op') or step.get('fn') or step.get('waiter')}) raised "
                    f"{type(e).__name__}: {str(e)[:300]}"]
        _save(ctx, step, result)
    call = case["call"]
    expect = case["expect"]
    try:
        actual = _plain(_call(ctx, call))
        error = None
    except ClientError as e:
        actual, error = None, e.response
    except Exception as e:  # noqa: BLE001 - e.g. a 500 that botocore cannot parse
        return [f"the call raised {type(e).__name__}: {str(e)[:300]}"]
    matcher = Matcher(account=_account(ctx))
    if "error" in expect:
        want = expect["error"]
        if error is None:
            status = (actual.get("ResponseMetadata") or {}).get("HTTPStatusCode")
            return [f"expected error {want.get('Code')}, got a {status}"
                    f" answer: {json.dumps(_strip(actual), default=str)[:400]}"]
        got = {"Code": error.get("Error", {}).get("Code"), "Message": error.get("Error", {}).get("Message"),
               "HTTPStatusCode": error.get("ResponseMetadata", {}).get("HTTPStatusCode")}
        diffs = []
        for key in ("Code", "HTTPStatusCode", "Message"):
            if key not in want:
                continue
            expected = substitute(want[key], ctx.saved)
            if key == "Message" and isinstance(expected, str) and isinstance(got[key], str):
                # the text around the enum value sets, then each set as a set
                if not matcher.scalar(_without_enum_sets(expected), _without_enum_sets(got[key])):
                    diffs.append(f"error {key}: expected {want[key]!r}, got {got[key]!r}")
                else:
                    diffs.extend(f"error {key}: {d}" for d in enum_set_differences(expected, got[key]))
                continue
            if not matcher.scalar(expected, got[key]):
                diffs.append(f"error {key}: expected {want[key]!r}, got {got[key]!r}")
        return diffs
    if error is not None:
        return [f"expected a response, got error {error.get('Error', {}).get('Code')}: "
                f"{error.get('Error', {}).get('Message')} ({error.get('ResponseMetadata', {}).get('HTTPStatusCode')})"]
    want = substitute(expect["response"], ctx.saved)
    diffs = []
    if isinstance(want, dict):
        want_status = (want.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        got_status = (actual.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        if want_status is not None and want_status != got_status:
            diffs.append(f"HTTPStatusCode: expected {want_status}, got {got_status}")
    for path, key in (case.get("sort") or {}).items():
        items = _lookup(actual, path)
        items.sort(key=lambda item, _key=key: str(_lookup(item, _key)))
    for path in case.get("added_since_recording") or []:
        parent, _, key = path.rpartition(".")
        container = _lookup(actual, parent) if parent else actual
        if isinstance(container, dict):
            container.pop(key, None)
    for path, count in (case.get("truncate") or {}).items():
        del _lookup(actual, path)[count:]
    if case.get("select"):
        try:
            actual = _lookup(actual, case["select"])
        except (KeyError, IndexError, TypeError):
            return [f"the answer has no {case['select']}: {json.dumps(_strip(actual), default=str)[:400]}"]
    want, got = (_strip(want), _strip(actual)) if isinstance(want, dict) else (want, actual)
    mode = case.get("compare", "values")
    if mode == "values":
        matcher.bind(want, got)
    matcher.compare(want, got, "", mode, diffs)
    return diffs


_ENUM_SET = re.compile(r"(enum value set: \[)([^\[\]]*)(\])")


def _enum_items(inner: str) -> list[str]:
    return [item.strip() for item in inner.split(",") if item.strip()]


def _without_enum_sets(text: str) -> str:
    return _ENUM_SET.sub(lambda m: m.group(1) + "..." + m.group(3), text)


def enum_set_differences(expected: str, actual: str) -> list[str]:
    """For each "enum value set: [...]" of the recorded message whose set differs from the same-placed one of the
    actual message: which values only the recording lists and which only the sandbox lists."""
    want_sets = [set(_enum_items(m.group(2))) for m in _ENUM_SET.finditer(expected)]
    got_sets = [set(_enum_items(m.group(2))) for m in _ENUM_SET.finditer(actual)]
    if len(want_sets) != len(got_sets):
        return []  # the messages differ in shape; the text comparison reports it
    out = []
    for i, (w, g) in enumerate(zip(want_sets, got_sets, strict=True)):
        if w != g:
            out.append(f"enum value set {i + 1} differs: only recorded {sorted(w - g)}, only in the sandbox "
                       f"{sorted(g - w)}")
    return out


def _strip(response: dict | None) -> dict:
    return {k: v for k, v in (response or {}).items() if k not in _IGNORED_TOP_LEVEL}


def _account(ctx: Context) -> str:
    """The sandbox account the case runs in (the recorded 111111111111 stands for it)."""
    if "account" not in ctx.saved:
        ctx.saved["account"] = ctx.client("sts").get_caller_identity()["Account"]
    return ctx.saved["account"]


# ---------------------------------------------------------------------------------------------------- matching
class Matcher:
    """Compares recorded values (with placeholders) to actual ones, binding each placeholder once per case."""

    def __init__(self, account: str):
        self.account = account
        self.bound: dict[str, str] = {}

    def _expected_text(self, text: str) -> str:
        return text.replace(RECORDED_ACCOUNT, self.account)

    def bind(self, want: Any, got: Any) -> None:
        """First pass: bind placeholders that stand for a whole value, so that composite strings
        ("arn:...:function:<function-name:1>") are checked against the value they were recorded with."""
        got = _json_text(want, got)
        if isinstance(want, dict) and isinstance(got, dict):
            for k, v in want.items():
                if k in got:
                    self.bind(v, got[k])
        elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
            for w, g in zip(want, got, strict=True):
                self.bind(w, g)
        elif isinstance(want, str) and _PLACEHOLDER.fullmatch(want) and want not in DATE_MARKERS:
            if isinstance(got, (str, int, float)) and not isinstance(got, bool) and got != "":
                self.bound.setdefault(want, str(got))

    def scalar(self, want: Any, got: Any) -> bool:
        if isinstance(got, (_dt.datetime, _dt.date)):
            return isinstance(want, str) and (want in DATE_MARKERS or bool(_PLACEHOLDER.fullmatch(want)))
        if not isinstance(want, str):
            return want == got and type(want) is type(got)
        if want in DATE_MARKERS and isinstance(got, str) and _looks_like_date(got):
            return True
        if want in DATE_MARKERS and isinstance(got, int) and not isinstance(got, bool) and got > 10**9:
            return True  # epoch seconds or milliseconds (CloudWatch Logs' creationTime)
        text = self._expected_text(want)
        if not _PLACEHOLDER.search(text):
            return text == got
        if isinstance(got, bool) or got is None or isinstance(got, (dict, list)):
            return False
        got_text = str(got)
        pattern, names = "", []
        pos = 0
        for m in _PLACEHOLDER.finditer(text):
            pattern += re.escape(text[pos:m.start()])
            name = m.group(0)
            if name in self.bound:
                pattern += re.escape(self.bound[name])
            elif name in DATE_MARKERS:
                pattern += r".+?"
            elif name in names:
                pattern += f"(?P=p{names.index(name)})"
            else:
                pattern += f"(?P<p{len(names)}>.+?)"
                names.append(name)
            pos = m.end()
        pattern += re.escape(text[pos:])
        m = re.fullmatch(pattern, got_text, re.S)
        if not m:
            return False
        for i, name in enumerate(names):
            self.bound[name] = m.group(f"p{i}")
        return True

    def compare(self, want: Any, got: Any, path: str, mode: str, diffs: list[str]) -> None:
        where = path or "(response)"
        got = _json_text(want, got)
        if isinstance(want, dict):
            if not isinstance(got, dict):
                diffs.append(f"{where}: expected an object, got {_short(got)}")
                return
            for k in want:
                if k not in got:
                    diffs.append(f"{path}.{k}: missing (expected {_short(want[k])})".lstrip("."))
            for k in got:
                if k not in want:
                    diffs.append(f"{path}.{k}: extra key (got {_short(got[k])})".lstrip("."))
            for k in want:
                if k in got:
                    self.compare(want[k], got[k], f"{path}.{k}" if path else k, mode, diffs)
            return
        if isinstance(want, list):
            if not isinstance(got, list):
                diffs.append(f"{where}: expected a list, got {_short(got)}")
                return
            if len(want) != len(got):
                diffs.append(f"{where}: expected {len(want)} items, got {len(got)}: {_short(got)}")
                return
            for i, (w, g) in enumerate(zip(want, got, strict=True)):
                self.compare(w, g, f"{path}[{i}]", mode, diffs)
            return
        if isinstance(got, (dict, list)):
            diffs.append(f"{where}: expected {_short(want)}, got {_short(got)}")
            return
        if mode == "values" and not self.scalar(want, got):
            diffs.append(f"{where}: expected {want!r}, got {_short(got)}")


def _json_text(want: Any, got: Any) -> Any:
    """LocalStack's snapshots record a JSON document held in a string (a policy) as the parsed document."""
    if isinstance(want, (dict, list)) and isinstance(got, str):
        try:
            return json.loads(got)
        except ValueError:
            return got
    return got


def _looks_like_date(text: str) -> bool:
    return bool(re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text)) or text.isdigit()


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= 200 else text[:197] + "..."


# ---------------------------------------------------------------------------------------------------- CLI
def main() -> int:
    """`python -m tests.parity.replay [ID-SUBSTRING...]`: run the cases against an in-process sandbox and print
    each case's result and the match ratio."""
    import os
    import sys
    import urllib.request

    import boto3

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    from sandbox.server import ServerThread

    server = ServerThread().start()
    only = sys.argv[1:]
    cases = [c for c in load_cases() if not only or any(s in c["id"] for s in only)]
    matched = 0
    for case in cases:
        urllib.request.urlopen(urllib.request.Request(f"{server.url}/_sandbox/reset", method="POST", data=b"{}"))
        urllib.request.urlopen(urllib.request.Request(
            f"{server.url}/_sandbox/settings", method="POST",
            data=json.dumps({"timing_scale": 0, "policy_propagation_seconds": 0, "faults": {}}).encode(),
            headers={"Content-Type": "application/json"}))

        def factory(service, region, _url=server.url):
            return boto3.client(service, region_name=region, endpoint_url=_url)

        def settings(values, _url=server.url):
            urllib.request.urlopen(urllib.request.Request(
                f"{_url}/_sandbox/settings", method="POST", data=json.dumps(values).encode(),
                headers={"Content-Type": "application/json"}))

        diffs = run_case(case, factory, settings)
        matched += not diffs
        flag = "match" if not diffs else ("KNOWN" if case.get("known_difference") else "DIFF ")
        print(f"{flag} {case['id']}")
        for d in diffs:
            print(f"    - {d}")
    print(f"parity: {matched}/{len(cases)} cases match ({100 * matched / max(len(cases), 1):.1f}%)")
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
