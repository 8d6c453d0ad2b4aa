"""The shape of the code: who may import whom, and a start-up that never runs with a part missing.

1. The import scan reads every `import` and `from ... import` statement of our packages with `ast`, at module
   level and inside functions alike (a deferred import is still a dependency), and checks:
   - no import cycle among our modules (sandbox, utils, iampolicy, awsfacts);
   - `utils` takes nothing from `sandbox` but `sandbox.control` (start and stop), and `sandbox.control`
     takes nothing from the rest of the sandbox, so a notebook kernel never loads the emulator;
   - `iampolicy` and `awsfacts` import neither `sandbox` nor `utils`: both sides use them.
   The sandbox's plug-in point, `server.EXTENSIONS` (imported by name in `build_app()`), is registration,
   not an import statement; the start-up test below covers it.
2. Removing any sandbox module breaks start-up loudly: with the module hidden (`sys.modules[name] = None`),
   `server.build_app()` raises ImportError instead of starting without it.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sandbox", "utils", "iampolicy", "awsfacts")

# utils modules that still import the sandbox, each with the helper of issue 11 that removes the import.
# strict=True: when the import goes, the xfail turns into a failure, and the marker must go with it.
PENDING_UTILS: dict[str, str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _our_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[_module_name(path)] = path
    return modules


MODULES = _our_modules()


def _is_ours(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def _imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import statement in the file, wherever it stands."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield (candidate if candidate in MODULES else base), node.lineno


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _line in _imports(name, path):
            if _is_ours(target) and target != name:
                graph[name].add(target)
    return graph


GRAPH = _graph()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_scan_sees_deferred_imports():
    """Sanity check of the scanner itself: a function-level import is an edge like any other."""
    tree = {name: {t for t, _ in _imports(name, path)} for name, path in MODULES.items()}
    assert "sandbox.server" in tree["sandbox.authz"]
    assert "sandbox.control" in tree["sandbox.server"]  # `from . import control` inside serve()
    assert "iampolicy.evaluator" in tree["sandbox.authz"]


def test_no_import_cycles():
    cycles = _cycles(GRAPH)
    details = []
    for component in cycles:
        members = set(component)
        edges = [f"{a} -> {b}" for a in component for b in sorted(GRAPH[a]) if b in members]
        details.append("; ".join(edges))
    assert not cycles, "import cycles:\n" + "\n".join(details)


def _utils_params():
    for name in sorted(n for n in MODULES if n.split(".")[0] == "utils"):
        marks = [pytest.mark.xfail(strict=True, reason=PENDING_UTILS[name])] if name in PENDING_UTILS else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_utils_params()))
def test_utils_takes_only_control_from_the_sandbox(name):
    bad = [f"line {line}: {target}" for target, line in _imports(name, MODULES[name])
           if target.split(".")[0] == "sandbox" and target != "sandbox.control"]
    assert not bad, f"{name} imports the sandbox beyond sandbox.control: {bad}"


def test_sandbox_control_stands_alone():
    """What utils may import must not pull in the emulator behind it."""
    ours = [t for t, _ in _imports("sandbox.control", MODULES["sandbox.control"]) if _is_ours(t)]
    assert ours == [], ours


@pytest.mark.parametrize("package", ["iampolicy", "awsfacts"])
def test_shared_packages_import_neither_sandbox_nor_utils(package):
    bad = []
    for name, path in MODULES.items():
        if name.split(".")[0] != package:
            continue
        bad += [f"{name} line {line}: {target}" for target, line in _imports(name, path)
                if target.split(".")[0] in ("sandbox", "utils")]
    assert not bad, bad


# ---------------------------------------------------------------------------------------------
# Start-up with a module missing

# Not part of the running server: the command line and the start/stop helper that utils uses.
NOT_STARTUP = {"sandbox.control", "sandbox.__main__"}


def _sandbox_modules() -> list[str]:
    """Every module of the sandbox, in subpackages too (sandbox.bedrock.validation, ...)."""
    return sorted(n for n in MODULES if n.startswith("sandbox.") and n not in NOT_STARTUP)


# One child process imports the heavy third-party modules once, then forks a child per hidden module:
# each child hides one module, calls build_app() and reports how it ended. Forking keeps this to seconds.
_PROBE = r"""
import importlib, json, os, sys
import moto.backends, moto.moto_server.werkzeug_app, werkzeug  # shared, not ours: imported once
sys.modules.setdefault("rfc3987_syntax", None)  # as the server does (sandbox/server.py build_app)
for name in json.loads(sys.argv[2]):  # every third-party module the sandbox imports, so each child only
    try:                              # imports our own modules
        importlib.import_module(name)
    except Exception:
        pass
hidden_all = json.loads(sys.argv[1])
results = {}
for hidden in hidden_all:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        sys.modules[hidden] = None
        try:
            from sandbox import server
            server.build_app()
            outcome = "started"
        except ImportError as exc:
            outcome = "ImportError: " + str(exc)
        except BaseException as exc:
            outcome = type(exc).__name__ + ": " + str(exc)
        os.write(write, outcome.encode()[:4000])
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        results[hidden] = f.read().decode()
    os.waitpid(pid, 0)
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def startup_without():
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    import json

    modules = _sandbox_modules()
    third_party = sorted({target for name in modules for target, _line in _imports(name, MODULES[name])
                          if not _is_ours(target) and target.startswith(("moto", "werkzeug", "botocore", "yaml"))})
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(modules), json.dumps(third_party)],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_startup_probe_covers_every_sandbox_module(startup_without):
    assert set(startup_without) == set(_sandbox_modules())
    assert {"sandbox.authz", "sandbox.network", "sandbox.lambda_service", "sandbox.bedrock",
            "sandbox.bedrock.validation"} <= set(startup_without)


@pytest.mark.parametrize("hidden", _sandbox_modules())
def test_removing_a_sandbox_module_breaks_startup_loudly(startup_without, hidden):
    outcome = startup_without[hidden]
    assert outcome.startswith("ImportError"), f"with {hidden} missing, start-up gave: {outcome}"
