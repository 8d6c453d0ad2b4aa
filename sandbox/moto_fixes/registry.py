"""The fix registry: which fixes exist, which have been applied, and moto's own methods they replace.

A fix is a function that installs one or more replacements on moto's classes. `@fix` registers one that
is applied when `sandbox.moto_fixes` is imported; `@fix(lazy=True)` one that needs moto's CloudFormation
code, which takes about a second to import, so that the sandbox applies it at the first CloudFormation
request instead (moto itself loads each service's code at its first request). `apply_all()` applies both.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

FIXES: list[str] = []  # names of the fixes applied so far, in order
EAGER: list[Callable[[], None]] = []
LAZY: list[Callable[[], None]] = []
_LOCK = threading.RLock()
_MOTO: dict[tuple[type, str], Any] = {}


def fix(fn: Callable[[], None] | None = None, *, lazy: bool = False):
    """Register a fix (`@fix`, or `@fix(lazy=True)` for one that imports moto's CloudFormation code)."""

    def register(f: Callable[[], None]) -> Callable[[], None]:
        (LAZY if lazy else EAGER).append(f)
        return f

    return register(fn) if fn is not None else register


def replace(owner: type, name: str, new: Callable, *, kind: str = "method") -> None:
    """Install `new` as `owner.<name>` (kind "method" or "classmethod"); moto's own stays reachable
    through `original(owner, name)`. Replacing twice keeps the first original, so a fix can be re-applied."""
    if (owner, name) not in _MOTO:
        raw = owner.__dict__[name] if name in owner.__dict__ else getattr(owner, name, None)  # None: moto has none
        _MOTO[(owner, name)] = raw.__func__ if isinstance(raw, classmethod) or inspect.ismethod(raw) else raw
    setattr(owner, name, classmethod(new) if kind == "classmethod" else new)


def original(owner: type, name: str) -> Callable:
    """moto's own `owner.<name>` (the plain function of a classmethod), as it was before any fix."""
    return _MOTO[(owner, name)]


def _apply(fixes: list[Callable[[], None]]) -> None:
    with _LOCK:
        for f in fixes:
            if f.__name__ not in FIXES:
                f()
                FIXES.append(f.__name__)


def apply_eager() -> None:
    """Apply the fixes that do not need moto's CloudFormation code (idempotent)."""
    _apply(EAGER)


def apply_lazy() -> None:
    """Apply the fixes that need moto's CloudFormation code (idempotent, thread-safe)."""
    _apply(LAZY)
