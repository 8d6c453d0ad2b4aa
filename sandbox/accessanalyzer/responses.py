"""IAM Access Analyzer's HTTP handlers in the sandbox (REST-JSON, signing name "access-analyzer").

| API | method and path |
| --- | --- |
| ValidatePolicy | POST /policy/validation?maxResults=&nextToken= |

The call is authorized as access-analyzer:ValidatePolicy on "*" (the Service Authorization Reference lists no
resource type for it) with sandbox.authz, like every other call the sandbox authorizes.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from .. import authz
from ..server import AwsRequest, route
from . import models
from .exceptions import ValidationException

SERVICE = "access-analyzer"


def _json(data: dict) -> Response:
    return Response(json.dumps(data), status=200, headers={"Content-Type": "application/json"})


@route(service=SERVICE, method="POST", path=r"^/policy/validation/?$")
def validate_policy(req: AwsRequest) -> Response:
    authz.authorize(req, "access-analyzer:ValidatePolicy", ["*"])
    try:
        body = req.json()
    except ValueError:
        raise ValidationException("Request body is not valid JSON.") from None
    document = body.get("policyDocument")
    policy_type = body.get("policyType")
    resource_type = body.get("validatePolicyResourceType")
    locale = body.get("locale")
    if document is None:
        raise ValidationException.required("policyDocument")
    if policy_type is None:
        raise ValidationException.required("policyType")
    if policy_type not in models.validation.POLICY_TYPES:
        raise ValidationException.enum(policy_type, "policyType", models.validation.POLICY_TYPES)
    if resource_type is not None and resource_type not in models.RESOURCE_TYPES:
        raise ValidationException.enum(resource_type, "validatePolicyResourceType", models.RESOURCE_TYPES)
    if locale is not None and locale not in models.LOCALES:
        raise ValidationException.enum(locale, "locale", models.LOCALES)
    max_results = req.query.get("maxResults")
    found = models.validate(document, policy_type, resource_type)
    shown, token = models.page(found, int(max_results) if max_results and max_results.isdigit() else None,
                               req.query.get("nextToken"))
    out = {"findings": shown}
    if token:
        out["nextToken"] = token
    return _json(out)
