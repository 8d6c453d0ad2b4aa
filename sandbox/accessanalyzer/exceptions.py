"""IAM Access Analyzer's errors, as typed exceptions (moto's layout: one class per error code).

Codes and statuses are ValidatePolicy's "Errors" section in the IAM Access Analyzer API Reference
(ValidationException 400, AccessDeniedException 403). Rendered in the REST-JSON protocol by sandbox.errors.
"""

from __future__ import annotations

from ..errors import AwsError


class AccessAnalyzerError(AwsError):
    code = ""
    status = 400

    def __init__(self, message: str):
        super().__init__(self.code, message, self.status)


class ValidationException(AccessAnalyzerError):
    """The input fails to satisfy the constraints specified by an AWS service."""

    code = "ValidationException"

    @classmethod
    def enum(cls, value: str, field: str, allowed) -> ValidationException:
        return cls(f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
                   f"Member must satisfy enum value set: [{', '.join(allowed)}]")

    @classmethod
    def required(cls, field: str) -> ValidationException:
        return cls(f"1 validation error detected: Value null at '{field}' failed to satisfy constraint: "
                   "Member must not be null")
