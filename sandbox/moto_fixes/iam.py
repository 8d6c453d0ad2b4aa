"""IAM fixes (moto.iam): AWS managed policies, roles and policies created by CloudFormation, and IAM's answers
in AWS's words (errors and members as recorded from AWS in LocalStack's snapshots: trust policies that are not
JSON, NoSuchEntity texts, ARN checks, permissions boundaries, CreateRole/CreatePolicyVersion members), plus one
message fix for every query-protocol error of IAM, STS and CloudFormation (Message once).

Each replacement has the signature of the moto method it replaces, so that it could be proposed upstream.
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam import models as iam_models
from moto.iam.models import AWSManagedPolicy, IAMBackend, InlinePolicy, ManagedPolicy, Role, iam_backends
from moto.utilities.utils import get_partition

from .registry import fix, original, replace

_MANAGED_POLICY_DATA: dict[str, Any] = {}  # moto's bundled copy, parsed once per process


def _init_aws_policies(self: IAMBackend) -> None:
    """The AWS managed policies exist in every account and partition (IAM User Guide, "AWS managed policies":
    AWS creates and maintains them), so they are always loaded; lazily, at the backend's first use of
    `aws_managed_policies` or `managed_policies` (building the ~1,500 objects takes about 0.15 s).

    moto 5.2.1 loads them only when MOTO_IAM_LOAD_MANAGED_POLICIES=true, so that
    `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole` is NoSuchEntity and cannot be attached;
    and with the setting on, every backend pays for them when it is created or reset."""
    return None  # built by _aws_managed_policies when first read


def _init_managed_policies(self: IAMBackend) -> dict[str, ManagedPolicy]:
    """See _init_aws_policies: the customer managed policies; the AWS ones join at the first read."""
    self.__dict__["_aws_policies_pending"] = True
    return {}


def _build_aws_policies(self: IAMBackend) -> list[AWSManagedPolicy]:
    if not _MANAGED_POLICY_DATA:
        _MANAGED_POLICY_DATA.update(json.loads(iam_models.aws_managed_policies_data))
    return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in _MANAGED_POLICY_DATA.items()]


def _load_pending(self: IAMBackend) -> None:
    state = self.__dict__
    for old, new in (("managed_policies", "_managed_policies"), ("aws_managed_policies", "_aws_policies")):
        if old in state:  # a backend pickled before this fix (sandbox state saved by an older version)
            state[new] = state.pop(old)
    if state.pop("_aws_policies_pending", False):
        aws = _build_aws_policies(self)
        state["_aws_policies"] = aws
        merged = {p.arn: p for p in aws}  # AWS's first, as moto orders them when it loads them
        merged.update(state.get("_managed_policies") or {})
        state["_managed_policies"] = merged


def _get_aws_managed_policies(self: IAMBackend) -> list[AWSManagedPolicy]:
    _load_pending(self)
    return self.__dict__.get("_aws_policies") or []


def _set_aws_managed_policies(self: IAMBackend, value: list[AWSManagedPolicy] | None) -> None:
    if value is not None:
        self.__dict__["_aws_policies"] = value


def _get_managed_policies(self: IAMBackend) -> dict[str, ManagedPolicy]:
    _load_pending(self)
    return self.__dict__.setdefault("_managed_policies", {})


def _set_managed_policies(self: IAMBackend, value: dict[str, ManagedPolicy]) -> None:
    self.__dict__["_managed_policies"] = value


@fix
def fix_aws_managed_policies() -> None:
    replace(IAMBackend, "_init_aws_policies", _init_aws_policies)
    replace(IAMBackend, "_init_managed_policies", _init_managed_policies)
    IAMBackend.aws_managed_policies = property(_get_aws_managed_policies, _set_aws_managed_policies)
    IAMBackend.managed_policies = property(_get_managed_policies, _set_managed_policies)
    for account in list(iam_backends.keys()):  # backends that exist already were built without them
        for backend in list(iam_backends[account].values()):
            if "_managed_policies" not in backend.__dict__:
                backend.reset()


def _json_document(document: Any) -> Any:
    """A policy document as IAM stores it: JSON text. YAML's unquoted `Version: 2012-10-17` is a date."""
    if isinstance(document, (dict, list)):
        return json.dumps(document, default=iam_models._serialize_version_datetime)
    return document


def role_create_from_cloudformation_json(cls: type[Role], resource_name: str, cloudformation_json: dict[str, Any],
                                         account_id: str, region_name: str, **kwargs: Any) -> Role:
    """`AWS::IAM::Role` (CloudFormation User Guide, "AWS::IAM::Role"): the role's inline `Policies` are stored
    as JSON documents, and each of `ManagedPolicyArns` is attached.

    moto 5.2.1 stores each inline PolicyDocument as a Python repr ("{'Version': ...}"), so GetRolePolicy
    returns text that is not JSON, and ignores ManagedPolicyArns (the role has no attached policies)."""
    properties = dict(cloudformation_json.get("Properties") or {})
    properties["Policies"] = [dict(p, PolicyDocument=_json_document(p.get("PolicyDocument")))
                              for p in properties.get("Policies") or []]
    role = original(Role, "create_from_cloudformation_json")(
        cls, resource_name, dict(cloudformation_json, Properties=properties), account_id, region_name, **kwargs)
    backend = iam_backends[account_id][get_partition(region_name)]
    for arn in properties.get("ManagedPolicyArns") or []:
        backend.attach_role_policy(arn, role.name)
    return role


def role_delete_from_cloudformation_json(cls: type[Role], resource_name: str, cloudformation_json: dict[str, Any],
                                         account_id: str, region_name: str) -> None:
    """Deleting an `AWS::IAM::Role` detaches its managed policies first (IAM API Reference, "DeleteRole":
    a role with attached managed policies cannot be deleted; CloudFormation detaches the ones it attached).

    moto 5.2.1 deletes the role and leaves the policies' attachment counts behind."""
    backend = iam_backends[account_id][get_partition(region_name)]
    for role in list(backend.roles.values()):
        if role.name == resource_name:
            for arn in list(role.managed_policies):
                backend.detach_role_policy(arn, role.name)
    return original(Role, "delete_from_cloudformation_json")(cls, resource_name, cloudformation_json, account_id,
                                                         region_name)


def inline_policy_create_from_cloudformation_json(cls: type[InlinePolicy], resource_name: str,
                                                  cloudformation_json: dict[str, Any], account_id: str,
                                                  region_name: str, **kwargs: Any) -> InlinePolicy:
    """`AWS::IAM::Policy` (CloudFormation User Guide, "AWS::IAM::Policy"): the document is stored as JSON.

    moto 5.2.1 stores a Python repr of the template's dict."""
    properties = dict(cloudformation_json.get("Properties") or {})
    properties["PolicyDocument"] = _json_document(properties.get("PolicyDocument"))
    return original(InlinePolicy, "create_from_cloudformation_json")(
        cls, resource_name, dict(cloudformation_json, Properties=properties), account_id, region_name, **kwargs)


@fix
def fix_role_inline_policies_json() -> None:
    replace(Role, "create_from_cloudformation_json", role_create_from_cloudformation_json, kind="classmethod")
    replace(InlinePolicy, "create_from_cloudformation_json", inline_policy_create_from_cloudformation_json,
            kind="classmethod")


@fix
def fix_role_managed_policy_arns() -> None:
    # Attaching is part of role_create_from_cloudformation_json (installed by fix_role_inline_policies_json).
    replace(Role, "delete_from_cloudformation_json", role_delete_from_cloudformation_json, kind="classmethod")


def _check_trust_policy_json(document: str) -> None:
    """A trust policy that is not JSON: MalformedPolicyDocument "This policy contains invalid Json" (recorded
    from AWS: LocalStack test_iam.snapshot.json, test_create_role_with_malformed_assume_role_policy_document,
    2025-03-06)."""
    from moto.iam.exceptions import MalformedPolicyDocument

    try:
        json.loads(document)
    except (TypeError, ValueError):
        raise MalformedPolicyDocument("This policy contains invalid Json") from None


def create_role(self: IAMBackend, role_name: str, assume_role_policy_document: str, *args: Any,
                **kwargs: Any) -> Role:
    """CreateRole refuses a trust policy that is not JSON (IAM API Reference, "CreateRole", Errors:
    MalformedPolicyDocument). moto 5.2.1 stores it as it is."""
    _check_trust_policy_json(assume_role_policy_document)
    return original(IAMBackend, "create_role")(self, role_name, assume_role_policy_document, *args, **kwargs)


def update_assume_role_policy(self: IAMBackend, role_name: str, policy_document: str) -> None:
    """UpdateAssumeRolePolicy: the same check as CreateRole before moto's ("Syntax errors in policy.")."""
    self.get_role(role_name)  # NoSuchEntity first
    _check_trust_policy_json(policy_document)
    return original(IAMBackend, "update_assume_role_policy")(self, role_name, policy_document)


@fix
def fix_trust_policy_invalid_json() -> None:
    replace(IAMBackend, "create_role", create_role)
    replace(IAMBackend, "update_assume_role_policy", update_assume_role_policy)
    # fix_iam_messages installs create_role_aws and update_assume_role_policy_aws, which include these checks


def query_error_metadata(self: Any, serialized: Any, error: Exception, shape: Any) -> None:
    """An IAM, STS or CloudFormation error carries its message once, as <Message>: what AWS sends, as recorded
    in LocalStack's snapshots (each error there has Code, Message and Type only, e.g. test_iam.snapshot.json
    "invalid-json"). moto 5.2.1 also serializes the error shape's `message` member, as <message>, so boto3
    reports Error["message"] besides Error["Message"]."""
    from moto.core.serialize import BaseXMLSerializer

    original(BaseXMLSerializer, "_serialize_error_metadata")(self, serialized, error, shape)
    if (self.operation_model.service_model.service_name in {"iam", "sts", "cloudformation"}
            and "message" in serialized and serialized.get("Message") == serialized["message"]):
        del serialized["message"]


@fix
def fix_query_error_message_once() -> None:
    from moto.core.serialize import BaseXMLSerializer

    replace(BaseXMLSerializer, "_serialize_error_metadata", query_error_metadata)


# ---------------------------------------------------------------- errors and answers in AWS's words
# Each message below is recorded from AWS in LocalStack's test_iam_roles.snapshot.json and
# test_iam_policies.snapshot.json (validated 2026-02-11; repo localstack/localstack, commit b15ee85).

def _not_found(message: str):
    from moto.iam.exceptions import NotFoundException

    return NotFoundException(message)


def get_role(self: IAMBackend, role_name: str) -> Role:
    """NoSuchEntity "The role with name X cannot be found." (moto: "Role X not found")."""
    for role in self.get_roles():
        if role.name == role_name:
            return role
    raise _not_found(f"The role with name {role_name} cannot be found.")


def get_role_policy(self: IAMBackend, role_name: str, policy_name: str) -> tuple[str, str]:
    """NoSuchEntity "The role policy with name X cannot be found." (moto: "Policy Document X not attached to
    role R")."""
    role = self.get_role(role_name)
    if policy_name not in role.policies:
        raise _not_found(f"The role policy with name {policy_name} cannot be found.")
    return policy_name, role.policies[policy_name]


def _policy_arn_ok(self: IAMBackend, arn: str) -> bool:
    return bool(self.policy_arn_regex.match(arn or ""))


def attach_role_policy(self: IAMBackend, policy_arn: str, role_name: str) -> None:
    """A PolicyArn that is not a policy ARN: ValidationError "ARN X is not valid." (moto: NoSuchEntity)."""
    from moto.iam.exceptions import IAMException as RESTError

    if not _policy_arn_ok(self, policy_arn):
        raise RESTError("ValidationError", f"ARN {policy_arn} is not valid.")
    return original(IAMBackend, "attach_role_policy")(self, policy_arn, role_name)


def _check_boundary(self: IAMBackend, boundary: str | None) -> None:
    """PermissionsBoundary: InvalidInput "ARN X is not valid." for a malformed ARN, NoSuchEntity "Scope ARN: X
    does not exist or is not attachable." for a policy that does not exist (moto: InvalidParameterValue, and
    no check of existence)."""
    from moto.iam.exceptions import IAMException as RESTError

    if not boundary:
        return
    if not _policy_arn_ok(self, boundary):
        raise RESTError("InvalidInput", f"ARN {boundary} is not valid.")
    if boundary not in self.managed_policies:
        raise _not_found(f"Scope ARN: {boundary} does not exist or is not attachable.")


def put_role_permissions_boundary(self: IAMBackend, role_name: str, permissions_boundary: str) -> None:
    _check_boundary(self, permissions_boundary)
    role = self.get_role(role_name)
    role.permissions_boundary_arn = permissions_boundary


def get_policy_version(self: IAMBackend, policy_arn: str, version_id: str):
    """NoSuchEntity "Policy P version V does not exist or is not attachable." for a missing policy or version
    (moto: "Policy not found", "Policy version not found")."""
    message = f"Policy {policy_arn} version {version_id} does not exist or is not attachable."
    policy = self.managed_policies.get(policy_arn)
    if policy is None:
        raise _not_found(message)
    for version in policy.versions:
        if version.version_id == version_id:
            return version
    raise _not_found(message)


_TRUST_MESSAGES = {
    # moto's words -> AWS's (test_iam_roles.snapshot.json, test_update_assume_role_policy_errors)
    "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and "
    "sts:AssumeRoleWithWebIdentity": "AssumeRole policy may only specify STS AssumeRole actions.",
    "Has prohibited field Resource.": "Has prohibited field Resource",
}


def update_assume_role_policy_aws(self: IAMBackend, role_name: str, policy_document: str) -> None:
    from moto.iam.exceptions import MalformedPolicyDocument

    try:
        return update_assume_role_policy(self, role_name, policy_document)
    except MalformedPolicyDocument as exc:
        if exc.message in _TRUST_MESSAGES:
            raise MalformedPolicyDocument(_TRUST_MESSAGES[exc.message]) from None
        raise


def create_role_aws(self: IAMBackend, role_name: str, assume_role_policy_document: str, path: str,
                    permissions_boundary: str | None, *args: Any, **kwargs: Any) -> Role:
    _check_trust_policy_json(assume_role_policy_document)
    _check_boundary(self, permissions_boundary)
    return original(IAMBackend, "create_role")(self, role_name, assume_role_policy_document, path,
                                               permissions_boundary, *args, **kwargs)


class _View:
    """An object as moto's serializer sees it, without some of its attributes (both spellings the serializer
    tries: "MaxSessionDuration" and "max_session_duration")."""

    def __init__(self, obj: Any, hidden: set[str]) -> None:
        self.__dict__["_obj"], self.__dict__["_hidden"] = obj, hidden

    def __getattr__(self, name: str) -> Any:
        if name in self._hidden:
            raise AttributeError(name)
        return getattr(self._obj, name)


def _hide(*names: str) -> set[str]:
    from botocore import xform_name

    return {n for name in names for n in (name, xform_name(name))}


def response_create_role(self: Any) -> Any:
    """CreateRole's Role has no MaxSessionDuration and no RoleLastUsed (GetRole's has both): recorded
    "create-role-response" and "get-role-response", test_create_role_defaults."""
    from moto.iam.responses import IamResponse

    result = original(IamResponse, "create_role")(self)
    result.result["Role"] = _View(result.result["Role"], _hide("MaxSessionDuration", "RoleLastUsed"))
    return result


def response_create_policy_version(self: Any) -> Any:
    """CreatePolicyVersion's PolicyVersion has no Document (recorded "create-version-v2")."""
    from moto.iam.responses import IamResponse

    result = original(IamResponse, "create_policy_version")(self)
    result.result["PolicyVersion"] = _View(result.result["PolicyVersion"], _hide("Document"))
    return result


def _boundary_usage_count(self: ManagedPolicy) -> int:
    """PermissionsBoundaryUsageCount: the roles and users that have this policy as permissions boundary
    (recorded in every Policy of CreatePolicy and GetPolicy; moto 5.2.1 leaves it out)."""
    backend = self.backend
    entities = list(backend.roles.values()) + list(backend.users.values())
    return sum(1 for e in entities if getattr(e, "permissions_boundary_arn", None) == self.arn
               or getattr(e, "permissions_boundary", None) == self.arn)


@fix
def fix_iam_messages() -> None:
    from moto.iam.responses import IamResponse

    replace(IAMBackend, "get_role", get_role)
    replace(IAMBackend, "get_role_policy", get_role_policy)
    replace(IAMBackend, "attach_role_policy", attach_role_policy)
    replace(IAMBackend, "put_role_permissions_boundary", put_role_permissions_boundary)
    replace(IAMBackend, "get_policy_version", get_policy_version)
    replace(IAMBackend, "update_assume_role_policy", update_assume_role_policy_aws)
    replace(IAMBackend, "create_role", create_role_aws)
    replace(IamResponse, "create_role", response_create_role)
    replace(IamResponse, "create_policy_version", response_create_policy_version)
    ManagedPolicy.permissions_boundary_usage_count = property(_boundary_usage_count)


def role_update_from_cloudformation_json(cls: type[Role], original_resource: Role, new_resource_name: str,
                                         cloudformation_json: dict[str, Any], account_id: str,
                                         region_name: str) -> Role:
    """`AWS::IAM::Role` updates (CloudFormation User Guide, "AWS::IAM::Role": `Policies`,
    `AssumeRolePolicyDocument` and `ManagedPolicyArns` update with "No interruption").

    moto 5.2.1 updates only the description and the maximum session duration: a stack update that changes an
    inline policy (for example the model ARNs a role may invoke) leaves the old policy in force."""
    role = original(Role, "update_from_cloudformation_json")(cls, original_resource, new_resource_name,
                                                             cloudformation_json, account_id, region_name)
    backend = iam_backends[account_id][get_partition(region_name)]
    properties = cloudformation_json.get("Properties") or {}
    wanted = {p["PolicyName"]: _json_document(p.get("PolicyDocument")) for p in properties.get("Policies") or []}
    for name in list(role.policies):
        if name not in wanted:
            backend.delete_role_policy(role.name, name)
    for name, document in wanted.items():
        backend.put_role_policy(role.name, name, document)
    if properties.get("AssumeRolePolicyDocument"):
        backend.update_assume_role_policy(role.name, _json_document(properties["AssumeRolePolicyDocument"]))
    arns = set(properties.get("ManagedPolicyArns") or [])
    for arn in set(role.managed_policies) - arns:
        backend.detach_role_policy(arn, role.name)
    for arn in arns - set(role.managed_policies):
        backend.attach_role_policy(arn, role.name)
    return role


@fix
def fix_role_update_from_template() -> None:
    replace(Role, "update_from_cloudformation_json", role_update_from_cloudformation_json, kind="classmethod")
