"""IAM fixes (moto.iam): AWS managed policies, and roles and policies created by CloudFormation.

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
