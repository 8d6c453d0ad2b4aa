"""The language of the words a learner must act on: the doctor's checklist, explanations, form messages, waits.

The code cells are the same in every language, so the language never comes from a cell. It comes from:

1. `WORKSHOP_LANG` (`ja` or `en`), which `python -m utils run --lang ja` sets for its kernels;
2. otherwise the folder the kernel runs in: JupyterLab and SageMaker Studio start a kernel in the notebook's
   folder, so a notebook opened from notebooks/ja/ speaks Japanese;
3. otherwise English.

Translations are the standard library's gettext, with the compiled catalog
locales/<lang>/LC_MESSAGES/utils.mo (from utils.po, built by `python -m utils i18n build`). Messages are written
in English in the code and wrapped in `_()`; a message without a translation stays English. AWS's own error
texts are never translated: they are quoted in English next to the explanation, so that learners can search
for them.
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

SUPPORTED = ("en", "ja")
# The repository's locales/ (as utils.config.repo_root(), which this module cannot import: config and validation
# import this module).
LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "utils"


def current() -> str:
    """The language in force: WORKSHOP_LANG, else the kernel's folder, else English."""
    value = (os.environ.get("WORKSHOP_LANG") or "").strip().lower()
    if value:
        value = value.split("_")[0].split(".")[0]  # ja_JP.UTF-8 -> ja
        return value if value in SUPPORTED else "en"
    try:
        cwd = Path.cwd()
    except OSError:
        return "en"
    if cwd.name in SUPPORTED and cwd.parent.name == "notebooks":
        return cwd.name
    return "en"


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=str(LOCALES), languages=[lang], fallback=True)


def _(message: str) -> str:
    """`message` in the current language (unchanged when English, or when no translation exists)."""
    lang = current()
    if lang == "en":
        return message
    return _translations(lang).gettext(message)


def N_(message: str) -> str:
    """Marks `message` for extraction (`python -m utils i18n update`) where it is defined, e.g. a constant; it is
    translated where it is shown, with `_()`."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    lang = current()
    if lang == "en":
        return singular if n == 1 else plural
    return _translations(lang).ngettext(singular, plural, n)
