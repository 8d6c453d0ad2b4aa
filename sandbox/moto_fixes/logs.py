"""CloudWatch Logs fixes (moto.logs): error texts and DescribeLogGroups fields as AWS records them.

The workshop's stack creates a log group for its function (cfn/bedrock-privatelink.yaml) and the sandbox's Lambda
runtime writes its log streams; tests/parity/cases/logs.json replays AWS's recorded answers (LocalStack's
AWS-validated snapshots) for these calls. Each replacement has the signature of the moto method it replaces.
"""

from __future__ import annotations

from typing import Any

from moto.logs.exceptions import InvalidParameterException, LogsClientError, ResourceNotFoundException
from moto.logs.models import LogGroup, LogsBackend

from .registry import fix, original, replace


def logs_backend_create_log_group(self: LogsBackend, log_group_name: str, tags: dict[str, str],
                                  **kwargs: Any) -> LogGroup:
    """A name longer than 512 characters: AWS answers InvalidParameterException "Invalid LogGroup or LogStream,
    both must have length less than or equal to 512." (moto 5.2.1: a "1 validation error detected" text)."""
    if len(log_group_name) > 512:
        raise InvalidParameterException(
            msg="Invalid LogGroup or LogStream, both must have length less than or equal to 512.")
    return original(LogsBackend, "create_log_group")(self, log_group_name, tags, **kwargs)


def log_group_create_log_stream(self: LogGroup, log_stream_name: str) -> None:
    """A stream that exists: "The specified log stream already exists" (moto 5.2.1 says "log group")."""
    if log_stream_name in self.streams:
        raise LogsClientError("ResourceAlreadyExistsException", "The specified log stream already exists")
    return original(LogGroup, "create_log_stream")(self, log_stream_name)


def log_group_get_log_events(self: LogGroup, log_stream_name: str, *args: Any, **kwargs: Any) -> Any:
    """GetLogEvents on a missing stream: "The specified log stream does not exist." (moto 5.2.1 says "log
    group")."""
    if log_stream_name not in self.streams:
        raise ResourceNotFoundException("The specified log stream does not exist.")
    return original(LogGroup, "get_log_events")(self, log_stream_name, *args, **kwargs)


def log_group_to_describe_dict(self: LogGroup) -> dict[str, Any]:
    """DescribeLogGroups lists logGroupClass (STANDARD unless chosen) and deletionProtectionEnabled (false
    unless set), as recorded from AWS; moto 5.2.1 lists neither."""
    described = original(LogGroup, "to_describe_dict")(self)
    described.setdefault("logGroupClass", getattr(self, "log_group_class", None) or "STANDARD")
    described.setdefault("deletionProtectionEnabled", bool(getattr(self, "deletion_protection_enabled", False)))
    return described


@fix
def fix_logs_messages_and_fields() -> None:
    replace(LogsBackend, "create_log_group", logs_backend_create_log_group)
    replace(LogGroup, "create_log_stream", log_group_create_log_stream)
    replace(LogGroup, "get_log_events", log_group_get_log_events)
    replace(LogGroup, "to_describe_dict", log_group_to_describe_dict)
