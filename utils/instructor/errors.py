"""The instructor CLI's two kinds of refusal (utils/instructor/cli.py maps them to exit codes)."""

from __future__ import annotations


class Usage(Exception):
    """The command line is wrong (exit 2): one paragraph, what to do instead."""


class Failed(Exception):
    """AWS or the room's state refused or failed (exit 1): one paragraph, what to do next."""
