"""IAM Access Analyzer in the sandbox: ValidatePolicy, the "validate before you apply" step of notebooks 02 and 03.

moto 5.2.1 has no Access Analyzer. The findings come from `iampolicy.validation`, the checks the workshop knows,
in Access Analyzer's shape (models.py); the HTTP handler is in responses.py, the typed errors in exceptions.py.
"""

from __future__ import annotations

from . import responses

__all__ = ["responses"]
