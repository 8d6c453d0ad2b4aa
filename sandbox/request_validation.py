"""Request validation from botocore's service models, answered as AWS answers it.

AWS checks every request against the operation's model before it acts: required members, enum values,
lengths (strings, lists, maps, blobs), numeric ranges and regular expression patterns. One failed
check or several make one error, in the wording AWS services built on the same framework share
(recorded in LocalStack's AWS-validated snapshots, e.g. `tests/aws/services/lambda_/`,
`tests/aws/services/cloudformation/api/test_stacks.snapshot.json`, `tests/aws/services/sts/`):

    1 validation error detected: Value 'x' at 'functionName' failed to satisfy constraint:
    Member must have length less than or equal to 64

    2 validation errors detected: Value ... ; Value ...

The member path is the member name with a lower-case first letter, nested members joined with "."
('vpcConfig.subnetIds'), list items of the query protocol as 'tags.1.member.key'. A value is printed
as Java prints it: 'text', null, [a, b], {k=v}.

API:
    SERVICES                             signing name -> (botocore service name, error code, HTTP status)
    violations(service, operation, params) -> list[str]   the messages' parts, in the model's member order
    check(service, operation, params)    raises AwsError(code, "N validation error(s) detected: ...")
    check_request(req)                   the same for an `AwsRequest` of an enabled service; wired into
                                         sandbox/server.py before any route or moto sees the request
    operation_for(req) -> (service model name, operation name) | None

Enabled per service only where AWS's recorded responses show the check (each entry cites one):
- iam: ValidationError, 400 (test_iam.snapshot.json "update-wrong-id": "Value at 'serviceSpecificCredentialId'
  ... regular expression pattern: [\\w]+"; IAM prints no value and enum violations without the set,
  "update-invalid-status"; test_iam_roles.snapshot.json: tag key/value lengths, 'tags' at most 50).
- sts: ValidationError, 400 (test_sts.snapshot.json "invalid-session-name": 'roleSessionName' pattern).
- cloudformation: ValidationError, 400 (test_stacks.snapshot.json: 'stackName' pattern; test_template_engine:
  'templateBody' length 51200).
- lambda: ValidationException, 400 (lambda_ snapshots: 'functionName' length 64/140, 'qualifier' pattern, ...).
EC2 answers with its own codes (MissingParameter, InvalidParameterValue) and is not validated here.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import parse_qs

from .errors import AwsError

# signing name -> (botocore service name, error code, HTTP status)
SERVICES: dict[str, tuple[str, str, int]] = {
    "iam": ("iam", "ValidationError", 400),
    "sts": ("sts", "ValidationError", 400),
    "cloudformation": ("cloudformation", "ValidationError", 400),
    "lambda": ("lambda", "ValidationException", 400),
}

# Constraints AWS enforces that botocore's model of the operation lacks: (service, operation, member) ->
# metadata to add. Each one is recorded (LocalStack snapshot) or documented:
_OVERLAY: dict[tuple[str, str, str], dict] = {
    # test_stacks.snapshot.json "test_stack_name_creation" (CreateStack, recorded 2023-04-19)
    # and as AWS prints it for CreateChangeSet, whose botocore pattern reads differently (the recording's call:
    # LocalStack's deploy_cfn_template fixture creates a change set)
    **{("cloudformation", op, "StackName"): {"pattern": "[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"}
       for op in ("CreateStack", "CreateChangeSet")},
    # test_template_engine.snapshot.json "error_response" ('templateBody' length 51200); CloudFormation User
    # Guide, "CloudFormation quotas": "Template body size in a request: 51,200 bytes"
    **{("cloudformation", op, "TemplateBody"): {"max": 51200}
       for op in ("CreateStack", "UpdateStack", "ValidateTemplate", "CreateChangeSet", "CreateStackSet",
                  "UpdateStackSet", "GetTemplateSummary")},
}

# Members the service checks itself, after this validation and in its own words: (service, operation, member).
# Lambda answers an unknown Runtime with InvalidParameterValueException "Value X at 'runtime' ... or be a valid
# ARN", not with the "1 validation error detected" of this validation (test_lambda_api.snapshot.json,
# test_create_lambda_exceptions/test_update_lambda_exceptions "invalid_runtime_exc"); sandbox/lambda_service.py
# (_check_runtime) answers it.
_SERVICE_CHECKED = {("lambda", "CreateFunction", "Runtime"), ("lambda", "UpdateFunctionConfiguration", "Runtime")}

# Services whose messages print an enum violation without the value set (recorded: IAM "update-invalid-status").
_ENUM_WITHOUT_SET = {"iam"}
# Services whose messages leave the value out ("Value at 'tags.1.member.key' failed ..."; recorded:
# test_iam_roles.snapshot.json "create-role-tag-key-too-long", test_iam.snapshot.json "update-wrong-id"), and end
# the constraints of a list's members with "Member must not be null" ("untag-role-key-too-long").
_VALUE_HIDDEN = {"iam"}


@functools.cache
def _model(service: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@functools.lru_cache(maxsize=4096)
def _pattern(text: str):
    """A model pattern (Java syntax, matched against the whole value), compiled with `regex` (installed with
    cfn-lint, which moto[server] requires), which reads Java's Unicode classes (\\p{L}, ...) as well; None for a
    pattern neither `regex` nor `re` can read (not checked)."""
    import regex

    try:
        return regex.compile(text)
    except regex.error:
        pass
    try:
        return re.compile(text)
    except re.error:
        return None


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def java_str(value: Any) -> str:
    """A value as AWS's messages print it (Java's toString)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_str(k)}={java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _quoted(value: Any) -> str:
    return "null" if value is None else f"'{java_str(value)}'"


def _size(shape, value) -> int | None:
    if shape.type_name == "string" and isinstance(value, str):
        return len(value)
    if shape.type_name == "blob" and isinstance(value, (bytes, str)):
        return len(value.encode() if isinstance(value, str) else value)
    if shape.type_name in ("list", "map") and isinstance(value, (list, dict)):
        return len(value)
    return None


def _constraints(shape, value, service: str, extra: dict | None = None) -> list[str]:
    """The failed constraints of one value of `shape` (not null), in AWS's order: length, range, enum, pattern."""
    meta, out = dict(shape.metadata, **(extra or {})), []
    size = _size(shape, value)
    if size is not None:
        if "max" in meta and size > meta["max"]:
            out.append(f"Member must have length less than or equal to {meta['max']}")
        if "min" in meta and size < meta["min"]:
            out.append(f"Member must have length greater than or equal to {meta['min']}")
    if shape.type_name in ("integer", "long", "float", "double"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = None
        if number is not None:
            if "max" in meta and number > meta["max"]:
                out.append(f"Member must have value less than or equal to {meta['max']}")
            if "min" in meta and number < meta["min"]:
                out.append(f"Member must have value greater than or equal to {meta['min']}")
    if shape.type_name == "string" and isinstance(value, str):
        enum = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            out.append("Member must satisfy enum value set" if service in _ENUM_WITHOUT_SET
                       else f"Member must satisfy enum value set: [{', '.join(enum)}]")
        pattern = _pattern(meta["pattern"]) if "pattern" in meta else None
        if pattern is not None and not pattern.fullmatch(value):
            out.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    return out


def _all_constraints(shape, service: str) -> list[str]:
    """Every constraint of `shape`, as AWS lists them for a member of a list or map that failed one."""
    meta, out = shape.metadata, []
    word = "length" if shape.type_name in ("string", "blob", "list", "map") else "value"
    if "max" in meta:
        out.append(f"Member must have {word} less than or equal to {meta['max']}")
    if "min" in meta:
        out.append(f"Member must have {word} greater than or equal to {meta['min']}")
    enum = getattr(shape, "enum", None) or []
    if enum:
        out.append("Member must satisfy enum value set" if service in _ENUM_WITHOUT_SET
                   else f"Member must satisfy enum value set: [{', '.join(enum)}]")
    if "pattern" in meta:
        out.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    # Recorded: IAM ends every list member's constraints with it ('tagKeys', "untag-role-key-too-long"); Lambda
    # ends an enum member's with it ('architectures': "[Member must satisfy enum value set: [x86_64, arm64],
    # Member must not be null]") and a pattern member's without it ('layers', 'vpcConfig.subnetIds').
    if service in _VALUE_HIDDEN or enum:
        out.append("Member must not be null")
    return out


def _value(value: Any, service: str) -> str:
    return "Value" if service in _VALUE_HIDDEN and value is not None else f"Value {_quoted(value)}"


def _walk(shape, value, path: str, service: str, query: bool, out: list[str], extra: dict | None = None) -> None:
    for failed in _constraints(shape, value, service, extra):
        out.append(f"{_value(value, service)} at '{path}' failed to satisfy constraint: {failed}")
    if shape.type_name == "structure" and isinstance(value, dict):
        _structure(shape, value, path, service, query, out)
    elif shape.type_name == "list" and isinstance(value, list):
        member = shape.member
        if member.type_name == "structure":
            for i, item in enumerate(value, 1):
                if isinstance(item, dict):
                    _structure(member, item, f"{path}.{i}.member", service,
                               query, out)
        elif any(_constraints(member, item, service) for item in value if item is not None):
            out.append(f"{_value(value, service)} at '{path}' failed to satisfy constraint: Member must satisfy "
                       f"constraint: [{', '.join(_all_constraints(member, service))}]")
    elif shape.type_name == "map" and isinstance(value, dict):
        if any(_constraints(shape.key, k, service) for k in value):
            out.append(f"{_value(value, service)} at '{path}' failed to satisfy constraint: Map keys must satisfy "
                       f"constraint: [{', '.join(_all_constraints(shape.key, service))}]")
        if shape.value.type_name not in ("structure", "list", "map") and any(
                _constraints(shape.value, v, service) for v in value.values() if v is not None):
            out.append(f"{_value(value, service)} at '{path}' failed to satisfy constraint: Map value must satisfy "
                       f"constraint: [{', '.join(_all_constraints(shape.value, service))}]")


def _structure(shape, value: dict, prefix: str, service: str, query: bool, out: list[str],
               operation: str | None = None) -> None:
    required = set(shape.required_members)
    for name, member in shape.members.items():
        path = f"{prefix}.{_lower_first(name)}" if prefix else _lower_first(name)
        if value.get(name) is None:
            if name in required:
                out.append(f"Value null at '{path}' failed to satisfy constraint: Member must not be null")
            continue
        if operation and (service, operation, name) in _SERVICE_CHECKED:
            continue
        extra = _OVERLAY.get((service, operation, name)) if operation else None
        _walk(member, value[name], path, service, query, out, extra)


def violations(service: str, operation: str, params: dict) -> list[str]:
    """Each failed constraint of the request `params` (boto3's parameter names) of `operation`."""
    model = _model(service)
    op = model.operation_model(operation)
    out: list[str] = []
    if op.input_shape is not None:
        _structure(op.input_shape, params, "", service, model.protocol == "query", out, operation)
    return out


def message(found: list[str]) -> str:
    count = len(found)
    return f"{count} validation error{'s' if count != 1 else ''} detected: " + "; ".join(found)


def check(signing_name: str, operation: str, params: dict) -> None:
    """Raise the AwsError AWS answers when `params` break the model of `operation`; None when they do not."""
    service, code, status = SERVICES[signing_name]
    found = violations(service, operation, params)
    if found:
        raise AwsError(code, message(found), status)


# ---------------------------------------------------------------- requests on the wire -> parameters


def _scalar(shape, text: str) -> Any:
    if shape.type_name in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            return text
    if shape.type_name in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            return text
    if shape.type_name == "boolean":
        return text.lower() == "true"
    return text


def _from_form(shape, form: dict, prefix: str) -> Any:
    """Query-protocol parameters (Name.member.1, Name.entry.1.key, Struct.Member) -> a botocore-shaped value."""
    if shape.type_name == "structure":
        out = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            full = f"{prefix}.{key}" if prefix else key
            if full in form or any(k.startswith(full + ".") for k in form):
                out[name] = _from_form(member, form, full)
        return out
    if shape.type_name == "list":
        flattened = shape.serialization.get("flattened")
        item_prefix = prefix if flattened else f"{prefix}.member"
        items, i = [], 1
        if prefix in form and form[prefix] == "":  # an empty list is sent as "Name="
            return []
        while f"{item_prefix}.{i}" in form or any(k.startswith(f"{item_prefix}.{i}.") for k in form):
            items.append(_from_form(shape.member, form, f"{item_prefix}.{i}"))
            i += 1
        return items
    if shape.type_name == "map":
        out, i = {}, 1
        while f"{prefix}.entry.{i}.key" in form:
            out[form[f"{prefix}.entry.{i}.key"]] = _from_form(shape.value, form, f"{prefix}.entry.{i}.value")
            i += 1
        return out
    return _scalar(shape, form.get(prefix, ""))


@functools.cache
def _rest_routes(service: str) -> list[tuple[int, str, re.Pattern, dict, str]]:
    """(specificity, method, path regex, required query, operation) for each operation of a REST service."""
    model = _model(service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri, _, query = http["requestUri"].partition("?")
        regex, literal = "", 0
        for part in re.split(r"(\{[^}]+\})", uri):
            if part.startswith("{"):
                label = part[1:-1]
                greedy = label.endswith("+")
                label = label.rstrip("+")
                regex += f"(?P<{label}>.+)" if greedy else f"(?P<{label}>[^/]+)"
            else:
                regex += re.escape(part)
                literal += len(part)
        required = {k: (v[0] if v else None) for k, v in parse_qs(query, keep_blank_values=True).items()}
        for key in query.split("&") if query and "=" not in query else []:
            required[key] = None
        routes.append((literal + len(required), http["method"], re.compile(regex + "/?$"), required, name))
    routes.sort(key=lambda r: -r[0])
    return routes


def operation_for(req) -> tuple[str, str] | None:
    """(botocore service name, operation name) of a request to an enabled service, or None."""
    entry = SERVICES.get(req.service or "")
    if entry is None:
        return None
    service = entry[0]
    model = _model(service)
    if model.protocol == "query":
        action = req.action
        return (service, action) if action in model.operation_names else None
    if model.protocol.startswith("rest"):
        from urllib.parse import unquote

        for _, method, regex, required, name in _rest_routes(service):
            if method != req.method:
                continue
            m = regex.match(unquote(req.path))
            if not m:
                continue
            if all(k in req.query and (v is None or req.query[k] == v) for k, v in required.items()):
                return service, name
    return None


def _rest_params(service: str, operation: str, req) -> dict:
    from urllib.parse import unquote

    op = _model(service).operation_model(operation)
    shape = op.input_shape
    if shape is None:
        return {}
    routes = {r[4]: r for r in _rest_routes(service)}
    m = routes[operation][2].match(unquote(req.path))
    labels = m.groupdict() if m else {}
    params: dict = {}
    payload = shape.serialization.get("payload")
    body: Any = None
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        key = member.serialization.get("name", name)
        if location == "uri":
            if key in labels:
                params[name] = _scalar(member, labels[key])
        elif location == "querystring":
            if member.type_name == "list":
                values = parse_qs(req.environ.get("QUERY_STRING", "")).get(key)
                if values:
                    params[name] = values
            elif key in req.query:
                params[name] = _scalar(member, req.query[key])
        elif location == "header":
            if key in req.headers:
                params[name] = _scalar(member, req.headers[key])
        elif name == payload:
            if member.type_name in ("blob", "string"):
                params[name] = req.body
            else:
                body = body if body is not None else _json_body(req)
                if body is not None:
                    params[name] = body
        elif payload is None:
            body = body if body is not None else _json_body(req)
            if isinstance(body, dict) and name in body:
                params[name] = body[name]
    return params


def _json_body(req) -> Any:
    try:
        return json.loads(req.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None


def params_for(req, service: str, operation: str) -> dict:
    model = _model(service)
    if model.protocol == "query":
        shape = model.operation_model(operation).input_shape
        return _from_form(shape, req.form, "") if shape is not None else {}
    return _rest_params(service, operation, req)


def check_request(req) -> None:
    """Validate a request of an enabled service against its operation's model (raises AwsError)."""
    found = operation_for(req)
    if found is None:
        return
    service, operation = found
    check(req.service, operation, params_for(req, service, operation))
