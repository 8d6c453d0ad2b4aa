"""Amazon Bedrock's errors, as typed exceptions (moto's layout: one class per error code).

Each is an `AwsError`, so the server renders it in the REST-JSON protocol (`x-amzn-ErrorType`, `message`).
Codes and statuses are those of the Amazon Bedrock API reference ("Common errors" and each operation's
"Errors" section); the messages are quoted where noted in the modules that raise them.
"""

from __future__ import annotations

from ..errors import AwsError


class BedrockError(AwsError):
    code = ""
    status = 400
    sender = True

    def __init__(self, message: str):
        super().__init__(self.code, message, self.status, sender=self.sender)


class ValidationException(BedrockError):
    code = "ValidationException"


class MalformedInputRequest(ValidationException):
    """InvokeModel's body does not match the model's request schema."""

    def __init__(self, detail: str | None = None):
        if detail is None:
            super().__init__("Malformed input request, please reformat your input and try again.")
        else:
            super().__init__(f"Malformed input request: {detail}, please reformat your input and try again.")


class SerializationException(BedrockError):
    code = "SerializationException"


class ResourceNotFoundException(BedrockError):
    code = "ResourceNotFoundException"
    status = 404


class ThrottlingException(BedrockError):
    code = "ThrottlingException"
    status = 429


class ServiceUnavailableException(BedrockError):
    code = "ServiceUnavailableException"
    status = 503
    sender = False
