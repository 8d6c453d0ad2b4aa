"""Where the repository and the learner's configuration file are. A leaf module: it imports nothing of `utils`,
so that `utils.lang` (imported by `utils.validation`, itself imported by `utils.config`) can find the locales and
the saved language without importing `utils.config`."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def config_path() -> Path:
    """workshop_config.json: WORKSHOP_CONFIG when set, else at the repository root."""
    override = os.environ.get("WORKSHOP_CONFIG")
    return Path(override).expanduser() if override else repo_root() / "workshop_config.json"
