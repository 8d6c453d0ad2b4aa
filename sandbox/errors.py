"""AWS errors, rendered in each service's wire protocol."""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

# Signing names whose APIs use the REST-JSON protocol.
REST_JSON = {"bedrock", "lambda", "access-analyzer"}
# Services that use JSON 1.1 with X-Amz-Target.
JSON_TARGET = {"cloudtrail", "logs", "organizations", "servicequotas", "sagemaker"}
# Query protocol with <ErrorResponse> (IAM, STS, CloudFormation); EC2 uses <Response><Errors>.
QUERY_ERROR_RESPONSE = {"iam", "sts", "cloudformation"}


class AwsError(Exception):
    """An error that the sandbox returns to the client as AWS would."""

    def __init__(self, code: str, message: str, status: int = 400, sender: bool = True):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender

    def response(self, service: str | None) -> Response:
        request_id = str(uuid.uuid4())
        if service in REST_JSON:
            body = {"message": self.message}
            if service == "lambda":
                body["Type"] = "User" if self.sender else "Service"
            return Response(
                json.dumps(body),
                status=self.status,
                headers={
                    "Content-Type": "application/json",
                    "x-amzn-ErrorType": self.code,
                    "x-amzn-RequestId": request_id,
                },
            )
        if service in JSON_TARGET:
            return Response(
                json.dumps({"__type": self.code, "message": self.message}),
                status=self.status,
                headers={"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id},
            )
        code, message = escape(self.code), escape(self.message)
        if service in QUERY_ERROR_RESPONSE:
            kind = "Sender" if self.sender else "Receiver"
            xml = (
                f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message>"
                f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        else:  # EC2
            xml = (
                f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
            )
        return Response(xml, status=self.status, headers={"Content-Type": "text/xml"})


def access_denied(message: str, service: str = "bedrock") -> AwsError:
    return AwsError("AccessDeniedException", message, 403)
