"""The language of the words a learner must act on: the doctor's checklist, explanations, form messages, waits.

One language per learner. Notebook 00 saves the language it runs in (`lang` in workshop_config.json); from then
on every helper speaks it, wherever it runs: the doctor and the instructor CLI in a terminal at the repository
root, `explain()` in any notebook, `python -m utils run`. The language in force is, first that applies:

1. `WORKSHOP_LANG` (`ja` or `en`), which `python -m utils run --lang ja` sets for its kernels; it overrides
   everything, the saved choice too;
2. the folder the kernel runs in: JupyterLab and SageMaker Studio start a kernel in the notebook's folder, so a
   notebook opened from notebooks/ja/ (or notebooks/ja/instructor/) speaks Japanese and one opened from notebooks/
   (or notebooks/instructor/) speaks English, whatever was saved (the helpers speak the language of the notebook
   on the screen);
3. the language saved in workshop_config.json by notebook 00;
4. otherwise English.

Translations are the standard library's gettext, with the compiled catalog
locales/<lang>/LC_MESSAGES/utils.mo (from utils.po, built by `python -m utils i18n build`). Messages are written
in English in the code and wrapped in `_()`; a message without a translation stays English. AWS's own error
texts are never translated: they are quoted in English next to the explanation, so that learners can search
for them.

This module imports only `utils.paths` (a leaf): `utils.validation` and `utils.config` import it.
"""

from __future__ import annotations

import gettext
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from .paths import config_path, repo_root

SUPPORTED = ("en", "ja")
LOCALES = repo_root() / "locales"
DOMAIN = "utils"
CONFIG_KEY = "lang"  # the key of workshop_config.json (utils.config.WorkshopConfig.lang)

# Where the language in force comes from (source()).
FROM_ENV, FROM_FOLDER, FROM_CONFIG, FROM_DEFAULT = "WORKSHOP_LANG", "folder", "workshop_config.json", "default"


def normalise(value) -> str | None:
    """'ja', 'JA', 'ja_JP.UTF-8' -> 'ja'; None for anything that is not a supported language."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().split("_")[0].split(".")[0].split("-")[0]
    return text if text in SUPPORTED else None


SUBFOLDERS = ("instructor",)  # notebooks/instructor/ and its translation notebooks/<lang>/instructor/ (utils.i18n)


def _folder_language() -> str | None:
    """notebooks/ja/ and notebooks/ja/instructor/ -> 'ja'; notebooks/ and notebooks/instructor/ -> 'en' (the kernel's
    working directory); None elsewhere."""
    try:
        cwd = Path.cwd()
    except OSError:
        return None
    if cwd.name in SUBFOLDERS:
        cwd = cwd.parent  # the instructor's notebooks speak the language of the tree they are in
    if cwd.name in SUPPORTED and cwd.parent.name == "notebooks":
        return cwd.name
    if cwd.name == "notebooks" and any((cwd / other).is_dir() for other in SUPPORTED if other != "en"):
        return "en"  # the English source folder (it holds the translated folders)
    return None


_saved_cache: dict[tuple, str | None] = {}


def saved() -> str | None:
    """The language saved in workshop_config.json by notebook 00, or None (no file, no `lang`, or unreadable:
    `utils.config` reports a broken file; the language falls back to English meanwhile)."""
    path = config_path()
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _saved_cache:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        _saved_cache.clear()
        _saved_cache[key] = normalise(data.get(CONFIG_KEY)) if isinstance(data, dict) else None
    return _saved_cache[key]


def source() -> tuple[str, str]:
    """(the language in force, where it comes from: FROM_ENV, FROM_FOLDER, FROM_CONFIG or FROM_DEFAULT)."""
    value = os.environ.get("WORKSHOP_LANG") or ""
    if value.strip():
        return normalise(value) or "en", FROM_ENV  # an unknown language reads English (the source)
    folder = _folder_language()
    if folder:
        return folder, FROM_FOLDER
    chosen = saved()
    if chosen:
        return chosen, FROM_CONFIG
    return "en", FROM_DEFAULT


def current() -> str:
    """The language in force: WORKSHOP_LANG, else the kernel's folder, else the saved choice, else English."""
    return source()[0]


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Within the block, messages are in `language` (as under WORKSHOP_LANG); the environment is restored after."""
    before = os.environ.get("WORKSHOP_LANG")
    os.environ["WORKSHOP_LANG"] = language
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("WORKSHOP_LANG", None)
        else:
            os.environ["WORKSHOP_LANG"] = before


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


# ------------------------------------------------------------------------------------------------ argparse's words
# argparse writes its own words ("usage: ", "options", "the following arguments are required: %s", ...) through
# gettext (Python's Doc/howto/argparse.rst, "How to translate the argparse output"). Our catalogue of them is
# locales/<lang>/LC_MESSAGES/argparse.po (compiled to argparse.mo by `python -m utils i18n build`, checked by
# `i18n check`), and it holds only the msgids below: those `python -m utils instructor` can show.
ARGPARSE_DOMAIN = "argparse"
ARGPARSE_MESSAGES = (
    "usage: ",  # --help, and the usage line of a mistake
    "positional arguments",  # --help: the group titles
    "options",
    "show this help message and exit",  # -h, --help
    "argument %(argument_name)s: %(message)s",  # any mistake in one argument (ArgumentError)
    "invalid choice: %(value)r (choose from %(choices)s)",  # an unknown command
    "the following arguments are required: %s",  # e.g. fast-forward without --to
    "one of the arguments %s is required",  # provision without --ou, --accounts or --shared
    "not allowed with argument %s",  # provision --ou ... --shared ...
    "unrecognized arguments: %s",
    "expected one argument",  # --to with no value
    "ignored explicit argument %r",  # --yes=1
    "ambiguous option: %(option)s could match %(matches)s",  # --p (--prefix-base or --predeploy)
)


@contextmanager
def argparse_speaking() -> Iterator[None]:
    """Within the block, argparse's own words are in the language in force (current(), not the OS locale).

    The one global touched: the module attributes `argparse._` and `argparse.ngettext`. argparse binds them at
    import (`from gettext import gettext as _, ngettext`) and looks them up when a parser is built ("options",
    "show this help message and exit") and when it formats help or a mistake; gettext.gettext itself would read the
    process's default domain and the OS locale (LANGUAGE, LANG). They are set for this block only and restored
    after, so argparse elsewhere in the process (pytest, Jupyter) keeps its English. Build and parse inside the
    block. Not for concurrent threads building other parsers at the same moment.
    """
    import argparse

    language = current()
    if language == "en":
        yield
        return
    words = gettext.translation(ARGPARSE_DOMAIN, localedir=str(LOCALES), languages=[language], fallback=True)
    before = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = words.gettext, words.ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = before
