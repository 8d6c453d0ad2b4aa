"""The command lines of `python -m utils` (run, doctor, instructor): argparse in the learner's language.

`Parser` is argparse whose mistakes are one paragraph (the mistake, and where the help is) in the language in
force, exit code 2; build and parse it inside `lang.argparse_speaking()`, so that argparse's own words (usage,
options, "the following arguments are required") come from locales/<lang>/LC_MESSAGES/argparse.po too.
"""

from __future__ import annotations

import argparse

from .lang import _

USAGE_ERROR = 2  # a mistake on the command line, as argparse and every `python -m utils` command exit


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one paragraph (the mistake, and where the help is), not the whole usage."""

    def error(self, message: str):
        self.exit(USAGE_ERROR, _("error: {prog}: {message}. See {prog} --help.").format(prog=self.prog,
                                                                                         message=message) + "\n")
