"""Lambda in the sandbox: moto keeps the configuration; this module adds what moto lacks.

- `Invoke` runs the deployed handler in a warm execution environment (`sandbox.lambda_runtime`), for
  functions created by the API and by CloudFormation (`Code.ZipFile`, stored by moto as a zip with index.py).
- Function states as on Lambda: CreateFunction answers State Pending (StateReason "The function is being
  created.", StateReasonCode "Creating"), then Active; UpdateFunctionCode/UpdateFunctionConfiguration answer
  LastUpdateStatus InProgress, then Successful. A state lasts `SETTINGS.delay("lambda_update")` (computed lazily
  from timestamps) and at least until the next read of the function (GetFunction, GetFunctionConfiguration), so
  at timing scale 0 it advances on that read and nothing waits. While it lasts, further updates fail with 409
  ResourceConflictException as on AWS, and invocations fail while the function is Pending; during an update
  invocations run the previous code and configuration for the update's delay. Functions created by
  CloudFormation are Active when the stack reports them created.
- Answers as AWS records them (tests/parity/cases/lambda.json): RevisionId, LoggingConfig, RuntimeVersionConfig,
  Environment when given, VpcConfig.Ipv6AllowedForDualStack; function names read as Lambda reads them (ARNs of
  another Region, a qualifier in the name and another in Qualifier, "Function not found" texts); a ZipFile that
  is no .zip archive is refused.
- `VpcConfig` as on Lambda: the execution role must allow the EC2 actions of the Lambda Developer Guide's
  "Required IAM permissions" (awsfacts.awslambda.VPC_ACCESS_ACTIONS); subnets and security groups must exist and
  be in one VPC; Lambda's hyperplane ENIs (one per subnet and security-group set, shared by the functions that
  use the same pair) appear in the subnets and hold them until released after `SETTINGS.delay("eni_release")`
  once no function uses them. `VpcConfig.VpcId` is the subnets' VPC (moto hard-codes it).

moto's model methods are wrapped (not its HTTP handlers), so CloudFormation gets the same behaviour. The one
exception is the read that lets a state advance: it wraps moto's GetFunction and GetFunctionConfiguration
responses (a caller's read, not moto's internal lookups), so the server and moto in-process
(`sandbox.moto_fixes.apply_all()`, moto's own tests) share one mechanism.

Public functions for other modules: `vpc_attachment(region, function_name)`, `release_due_enis()`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import unquote

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.core.exceptions import JsonRESTError
from moto.ec2.exceptions import InvalidNetworkInterfaceIdError, InvalidSubnetIdError
from werkzeug.wrappers import Response

from awsfacts import awslambda as lambda_facts
from awsfacts.awslambda import VPC_ACCESS_ACTIONS

from . import authz, backends, lambda_runtime, network
from .errors import AwsError
from .moto_fixes.ec2 import RELEASE_HOOKS
from .server import RESET_HOOKS, SHUTDOWN_HOOKS, route
from .settings import SETTINGS

log = logging.getLogger("sandbox.lambda")

# Checked in this order; the first one the role lacks is named in AWS's InvalidParameterValueException text.
ENI_ACTIONS = VPC_ACCESS_ACTIONS


class InvalidParameterValue(LambdaClientError):
    def __init__(self, message: str):
        super().__init__("InvalidParameterValueException", message)


class ResourceConflict(LambdaClientError):
    code = 409

    def __init__(self, message: str):
        super().__init__("ResourceConflictException", message)


# ---------------------------------------------------------------- per-function state


@dataclass
class FunctionState:
    pending_until: float = 0.0  # State Pending until then (creation)
    update_until: float = 0.0  # LastUpdateStatus InProgress until then
    # Lambda reports Pending (after CreateFunction) and InProgress (after an update) in that call's own answer,
    # whatever the timing: the state holds until the next read of the function (GetFunction,
    # GetFunctionConfiguration), so that at timing scale 0 it advances on that read and nothing waits. Calls
    # between the change and that read see it as AWS would: a second update fails with 409.
    create_hold: bool = False
    update_hold: bool = False
    revision_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # new at every change, as on Lambda
    has_environment: bool = False  # Environment given (even empty): Lambda then lists it
    logging_config: dict | None = None
    prev_spec: lambda_runtime.Spec | None = None  # what invocations run while an update is in progress
    prev_attachment: dict | None = None
    attachment: dict | None = None  # the configured VPC attachment (with its ENIs)
    vpc_ids: dict = field(default_factory=dict)  # subnet id -> VPC id, remembered for VpcConfig.VpcId

    def pending(self, now: float | None = None) -> bool:
        return self.create_hold or (now or time.time()) < self.pending_until

    def updating(self, now: float | None = None) -> bool:
        return self.update_hold or (now or time.time()) < self.update_until

    def applying(self, now: float | None = None) -> bool:
        """Whether Lambda is still applying the last update, so that invocations run the previous code and
        network: only while the update's delay lasts (the hold above only concerns what Lambda reports)."""
        return (now or time.time()) < self.update_until


_STATES: dict[tuple[str, str, str], FunctionState] = {}  # (account, region, function name)
_LOCK = threading.RLock()


def _key(region: str, name: str, account: str | None = None) -> tuple[str, str, str]:
    """Functions are per account and Region: the caller's account unless given (sandbox/backends.py)."""
    return (account or backends.current_account(), region, name)


def _state(region: str, name: str, account: str | None = None) -> FunctionState:
    with _LOCK:
        return _STATES.setdefault(_key(region, name, account), FunctionState())


def _runtime_version_arn(region: str, runtime: str) -> str:
    """RuntimeVersionConfig.RuntimeVersionArn: `arn:aws:lambda:<region>::runtime:<64 hex>` (Lambda Developer
    Guide, "Understanding how Lambda manages runtime version updates"); the hash here stands for the version
    that the sandbox's runtime emulates, one per runtime and Region."""
    import hashlib

    digest = hashlib.sha256(f"sandbox:{runtime}".encode()).hexdigest()
    return f"arn:aws:lambda:{region}::runtime:{digest}"


def _overlay(config: dict, state: FunctionState | None, on_create: bool = False) -> dict:
    """Set State and LastUpdateStatus in a configuration as Lambda reports them now, and the fields that
    GetFunctionConfiguration has on Lambda and moto 5.2.1 lacks or adds (as recorded from AWS, see
    tests/parity/cases/lambda.json)."""
    if not config.get("Layers"):
        config.pop("Layers", None)
    for key in ("SigningProfileVersionArn", "SigningJobArn"):
        if config.get(key) is None:
            config.pop(key, None)
    if config.get("VpcConfig") is not None:
        config["VpcConfig"].setdefault("Ipv6AllowedForDualStack", False)
    name = config.get("FunctionName") or ""
    arn_parts = (config.get("FunctionArn") or "").split(":")
    region = arn_parts[3] if len(arn_parts) > 3 else "us-east-1"
    if config.get("PackageType", "Zip") == "Zip" and config.get("Runtime"):
        config.setdefault("RuntimeVersionConfig", {"RuntimeVersionArn": _runtime_version_arn(region,
                                                                                             config["Runtime"])})
    if state is None:
        config.setdefault("LoggingConfig", {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"})
        return config
    config["RevisionId"] = state.revision_id
    config["LoggingConfig"] = dict(state.logging_config or {"LogFormat": "Text"})
    config["LoggingConfig"].setdefault("LogFormat", "Text")
    config["LoggingConfig"].setdefault("LogGroup", f"/aws/lambda/{name}")
    if state.has_environment and "Environment" not in config:
        config["Environment"] = {"Variables": {}}
    now = time.time()
    if state.pending(now):
        config["State"] = "Pending"
        config["StateReason"] = "The function is being created."
        config["StateReasonCode"] = "Creating"
    else:
        config["State"] = "Active"
        for key in ("StateReason", "StateReasonCode"):
            config.pop(key, None)
    if not on_create:
        if state.pending(now) or state.updating(now):
            config["LastUpdateStatus"] = "InProgress"
            config["LastUpdateStatusReason"] = "The function is being created."
            config["LastUpdateStatusReasonCode"] = "Creating"
        else:
            config["LastUpdateStatus"] = "Successful"
            for key in ("LastUpdateStatusReason", "LastUpdateStatusReasonCode"):
                config.pop(key, None)
    return config


def _vpc_key(attachment: dict | None) -> str:
    if not attachment:
        return ""
    return json.dumps([attachment["vpc_id"], sorted(attachment["subnet_ids"]),
                       sorted(attachment["security_group_ids"])])


def current_spec(fn) -> lambda_runtime.Spec:
    state = _STATES.get(_key(fn.region, fn.function_name, fn.account_id))
    return lambda_runtime.spec_from_function(fn, vpc=_vpc_key(state.attachment if state else None))


# ---------------------------------------------------------------- IAM check for VPC access


def _role_allows(role_arn: str, action: str, region: str) -> bool:
    """Whether the execution role may call `action` in the function's Region (identity policies, boundary and SCPs,
    with the global keys of a request in that Region: sandbox.context_keys)."""
    return authz.role_allows(role_arn, action, resource="*", region=region)


# ---------------------------------------------------------------- runtimes


def _check_runtime(runtime: str | None, creating: bool) -> None:
    """Lambda's own check of the runtime, after the request validation (sandbox/request_validation.py leaves the
    Runtime of CreateFunction and UpdateFunctionConfiguration to it): a runtime it does not know is refused with
    InvalidParameterValueException listing the runtimes it accepts today (awsfacts.awslambda.UNKNOWN_RUNTIME_MESSAGE);
    a deprecated one after its block dates (AWS Lambda Developer Guide, "Lambda runtimes": block function create,
    then block function update), with BLOCKED_RUNTIME_MESSAGE. The dates are cfn-lint's runtime lifecycle data
    (awsfacts.awslambda.runtime_lifecycle). A runtime ARN (the "or be a valid ARN" of AWS's message) is not
    emulated: it is refused as an unknown runtime."""
    today = time.strftime("%Y-%m-%d", time.gmtime())
    if runtime is not None and runtime not in lambda_facts.known_runtimes():
        raise InvalidParameterValue(lambda_facts.UNKNOWN_RUNTIME_MESSAGE.format(
            runtime=runtime, runtimes=", ".join(lambda_facts.accepted_runtimes(today))))
    if lambda_facts.blocked(runtime, creating, today):
        raise InvalidParameterValue(lambda_facts.BLOCKED_RUNTIME_MESSAGE.format(runtime=runtime))


# Read at start-up: without the lifecycle data the sandbox would accept every runtime, so it does not start.
lambda_facts.runtime_lifecycle()


# ---------------------------------------------------------------- VPC configuration and ENIs


@dataclass
class _Eni:
    region: str
    eni_id: str
    subnet_id: str
    users: set = field(default_factory=set)  # function names using it
    release_at: float | None = None
    account: str | None = None  # the account of the ENI (and of its functions)


_ENIS: dict[tuple, _Eni] = {}  # (region, subnet id, sorted SG ids) -> Lambda's ENI


def _plan_vpc(region: str, role_arn: str, vpc_config: dict) -> dict | None:
    """Validate a VpcConfig as Lambda does. None means "not attached"."""
    subnets = list(dict.fromkeys(vpc_config.get("SubnetIds") or []))
    groups = list(dict.fromkeys(vpc_config.get("SecurityGroupIds") or []))
    if not subnets and not groups:
        return None
    if not subnets or not groups:
        raise InvalidParameterValue("SubnetIds and SecurityIds must coexist or be both empty list.")
    for action in ENI_ACTIONS:
        if not _role_allows(role_arn, action, region):
            raise InvalidParameterValue(
                f"The provided execution role does not have permissions to call {action.split(':')[1]} on EC2"
            )
    ec2 = backends.ec2(region)
    vpc_ids: dict[str, str] = {}
    for subnet_id in subnets:
        try:
            vpc_ids[subnet_id] = ec2.get_subnet(subnet_id).vpc_id
        except InvalidSubnetIdError:
            raise InvalidParameterValue(
                "Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. "
                f"EC2 Error Message: The subnet ID '{subnet_id}' does not exist"
            ) from None
    if len(set(vpc_ids.values())) > 1:
        raise InvalidParameterValue("Subnets are required to be in the same VPC.")
    vpc_id = next(iter(vpc_ids.values()))
    for group_id in groups:
        group = ec2.get_security_group_from_id(group_id)
        if group is None:
            raise InvalidParameterValue(
                "Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. "
                f"EC2 Error Message: The security group '{group_id}' does not exist"
            )
        if group.vpc_id != vpc_id:
            raise InvalidParameterValue("Security Groups are required to be in the same VPC.")
    return {"vpc_id": vpc_id, "subnet_ids": subnets, "security_group_ids": groups}


def _free_ip(ec2, subnet) -> str:
    """An unused private IP in the subnet (backends.free_ip), also avoiding every ENI's addresses."""
    used = set()
    for eni in list(ec2.enis.values()):
        for address in eni.private_ip_addresses or []:
            used.add(address.get("PrivateIpAddress") if isinstance(address, dict) else address)
        used.add(eni.private_ip_address)
    ip = backends.free_ip(subnet, used, random_tries=64)
    if ip is not None:
        return ip
    raise InvalidParameterValue(
        f"Lambda was unable to create an ENI: the subnet {subnet.id} has no free IP addresses."
    )


def _eni_exists(region: str, eni_id: str) -> bool:
    return eni_id in backends.ec2(region).enis


def _attach(region: str, function_name: str, plan: dict) -> dict:
    ec2 = backends.ec2(region)
    groups = tuple(sorted(plan["security_group_ids"]))
    eni_ids = {}
    with _LOCK:
        for subnet_id in plan["subnet_ids"]:
            key = (region, subnet_id, groups)
            record = _ENIS.get(key)
            if record is not None and not _eni_exists(region, record.eni_id):
                _ENIS.pop(key)
                record = None
            if record is None:
                subnet = ec2.get_subnet(subnet_id)
                eni = ec2.create_network_interface(
                    subnet, _free_ip(ec2, subnet), group_ids=list(plan["security_group_ids"]),
                    description=f"AWS Lambda VPC ENI-{function_name}-{uuid.uuid4()}",
                )
                eni.interface_type = "lambda"
                eni.requester_managed = True
                eni.status = "in-use"
                record = _ENIS[key] = _Eni(region, eni.id, subnet_id, account=ec2.account_id)
            record.users.add(function_name)
            record.release_at = None
            eni_ids[subnet_id] = record.eni_id
    return {**plan, "eni_ids": eni_ids, "keys": [(region, s, groups) for s in plan["subnet_ids"]]}


def _detach(function_name: str, attachment: dict | None, keep: dict | None = None,
            not_before: float = 0.0) -> None:
    """Stop using an attachment's ENIs; unused ones go after the ENI release delay."""
    if not attachment:
        return
    kept = set(keep["keys"]) if keep else set()
    release_at = max(time.time() + SETTINGS.delay("eni_release"), not_before)
    with _LOCK:
        for key in attachment["keys"]:
            if key in kept:
                continue
            record = _ENIS.get(key)
            if record is None:
                continue
            record.users.discard(function_name)
            if not record.users:
                record.release_at = release_at
    release_due_enis()


def release_due_enis() -> int:
    """Delete Lambda ENIs whose release time has come. Cheap; call before looking at ENIs/subnets/SGs."""
    now = time.time()
    with _LOCK:
        due = [key for key, r in _ENIS.items() if not r.users and r.release_at is not None and r.release_at <= now]
        records = [_ENIS.pop(key) for key in due]
    for record in records:
        try:
            backends.ec2(record.region, record.account).delete_network_interface(record.eni_id)
        except InvalidNetworkInterfaceIdError:
            pass  # already gone
    return len(records)


def lambda_enis() -> list[dict]:
    """Lambda's ENIs with their users (for the network model and diagnostics)."""
    with _LOCK:
        return [{"region": r.region, "eni_id": r.eni_id, "subnet_id": r.subnet_id, "functions": sorted(r.users),
                 "release_at": r.release_at} for r in _ENIS.values()]


def vpc_attachment(region: str, function_name: str) -> dict | None:
    """The VPC attachment the function's code runs with now, or None when it runs outside any VPC.

    While an update is in progress the function still runs with its previous configuration, so a first
    attachment counts only once LastUpdateStatus is Successful.
    """
    release_due_enis()
    with _LOCK:
        state = _STATES.get(_key(region, function_name))
        if state is None:
            return None
        now = time.time()
        attachment = state.prev_attachment if state.applying(now) else state.attachment
        if now < state.pending_until or not attachment:
            return None
        return {
            "vpc_id": attachment["vpc_id"],
            "subnet_ids": list(attachment["subnet_ids"]),
            "security_group_ids": list(attachment["security_group_ids"]),
            "eni_ids": dict(attachment["eni_ids"]),
        }


# ---------------------------------------------------------------- wrapping moto's Lambda model

_orig_get_configuration = LambdaFunction.get_configuration
_orig_create_function = LambdaBackend.create_function
_orig_update_configuration = LambdaBackend.update_function_configuration
_orig_update_code = LambdaBackend.update_function_code
_orig_delete_function = LambdaBackend.delete_function
_orig_publish_version = LambdaBackend.publish_version


def _get_configuration(self, on_create: bool = False) -> dict:
    config = _orig_get_configuration(self, on_create)
    return _overlay(config, _STATES.get(_key(self.region, self.function_name, self.account_id)), on_create)


def _vpc_config(self) -> dict | None:
    raw = self._vpc_config
    if not raw:
        return None
    subnets = list(raw.get("SubnetIds") or [])
    config = {"SubnetIds": subnets, "SecurityGroupIds": list(raw.get("SecurityGroupIds") or []), "VpcId": ""}
    if subnets:
        state = _STATES.get(_key(self.region, self.function_name, self.account_id))
        vpc_id = state.vpc_ids.get(subnets[0]) if state else None
        if vpc_id is None:
            try:
                vpc_id = backends.ec2(self.region).get_subnet(subnets[0]).vpc_id
            except InvalidSubnetIdError:  # the subnet was deleted since: Lambda reports no VPC ID then
                vpc_id = ""
        config["VpcId"] = vpc_id
    if "Ipv6AllowedForDualStack" in raw:
        config["Ipv6AllowedForDualStack"] = bool(raw["Ipv6AllowedForDualStack"])
    return config


def _check_not_updating(fn) -> FunctionState:
    state = _state(fn.region, fn.function_name, fn.account_id)
    now = time.time()
    if state.pending(now):
        raise ResourceConflict("The operation cannot be performed at this time. The function is currently in the "
                               "following state: Pending")
    if state.updating(now):
        arn = fn.function_arn
        raise ResourceConflict(
            f"The operation cannot be performed at this time. An update is in progress for resource: {arn}"
        )
    state.prev_spec = None
    state.prev_attachment = None
    return state


def _start_update(fn, state: FunctionState, prev_spec, prev_attachment) -> None:
    state.update_hold = True
    state.revision_id = str(uuid.uuid4())
    delay = SETTINGS.delay("lambda_update")
    if delay > 0:
        state.update_until = time.time() + delay
        state.prev_spec = prev_spec
        state.prev_attachment = prev_attachment
    else:
        state.update_until = 0.0
        lambda_runtime.retire(fn.region, fn.function_name, current_spec(fn).key, fn.account_id)


def _check_content_first(backend, spec: dict) -> None:
    """moto checks a new function's layers, then its code's S3 location, as it builds the function
    (ResourceNotFoundException, then InvalidParameterValueException "... NoSuchBucket ..."); the VPC checks
    of this module come after them, as moto's order has it."""
    from moto.awslambda.exceptions import UnknownLayerVersionException
    from moto.awslambda.models import _validate_s3_bucket_and_key

    layers = spec.get("Layers") or []
    if not all(backend.layers_versions_by_arn(arn) for arn in layers):
        raise UnknownLayerVersionException(layers)
    code = spec.get("Code") or {}
    if "S3Bucket" in code and "S3Key" in code:
        _validate_s3_bucket_and_key(backend.account_id, backend.partition, code)


def _check_zip(code: dict | None) -> None:
    """A ZipFile that is not a .zip archive: InvalidParameterValueException "Could not unzip uploaded file.
    Please check your file, then try to upload again." (recorded from AWS for CreateFunction; UpdateFunctionCode
    takes the same ZipFile member). moto 5.2.1 stores it."""
    import base64
    import binascii
    import io
    import zipfile

    data = (code or {}).get("ZipFile")
    if not data:
        return
    # base64 text from the API's JSON, base64 bytes from moto's CloudFormation code
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise InvalidParameterValue("Could not unzip uploaded file. Please check your file, then try to upload "
                                    "again.")


def _create_function(self, spec: dict):
    name = str(spec.get("FunctionName") or "")
    if ":" not in name and len(name) > 64:  # Lambda API Reference, CreateFunction: FunctionName
        # (stacks named by StackSets, `StackSet-<name>-<uuid>`, meet this through ${AWS::StackName} in names)
        from moto.awslambda.exceptions import ValidationException

        raise ValidationException(name, "functionName", "Member must have length less than or equal to 64")
    _check_runtime(spec.get("Runtime"), creating=True)
    _check_zip(spec.get("Code"))
    if (spec.get("VpcConfig") or {}).get("SubnetIds"):
        _check_content_first(self, spec)
    plan = _plan_vpc(self.region_name, spec.get("Role") or "", spec.get("VpcConfig") or {})
    fn = _orig_create_function(self, spec)
    name = fn.function_name
    lambda_runtime.prepare()  # a spare environment process, so that the first invocation starts quickly
    with _LOCK:
        state = _STATES[_key(self.region_name, name, self.account_id)] = FunctionState(
            create_hold=True, has_environment="Environment" in spec, logging_config=spec.get("LoggingConfig"))
        delay = SETTINGS.delay("lambda_update")
        state.pending_until = time.time() + (delay if plan else delay / 10)
        if plan:
            state.vpc_ids = {s: plan["vpc_id"] for s in plan["subnet_ids"]}
            state.attachment = _attach(self.region_name, name, plan)
    return fn


_UNCHANGED = object()


def _update_function_configuration(self, function_name: str, qualifier, body: dict):
    fn = self.get_function(function_name, qualifier)
    state = _check_not_updating(fn)
    _check_runtime(body.get("Runtime") or fn.run_time, creating=False)
    plan = _UNCHANGED
    if "VpcConfig" in body:
        plan = _plan_vpc(fn.region, body.get("Role") or fn.role, body.get("VpcConfig") or {})
    prev_spec = current_spec(fn)
    prev_attachment = state.attachment
    _orig_update_configuration(self, function_name, qualifier, body)
    with _LOCK:
        if "Environment" in body:
            state.has_environment = True
        if body.get("LoggingConfig"):
            state.logging_config = {**(state.logging_config or {}), **body["LoggingConfig"]}
        if plan is not _UNCHANGED:
            new_attachment = _attach(fn.region, fn.function_name, plan) if plan else None
            if plan:
                state.vpc_ids.update({s: plan["vpc_id"] for s in plan["subnet_ids"]})
            state.attachment = new_attachment
            delay = SETTINGS.delay("lambda_update")
            _detach(fn.function_name, prev_attachment, keep=new_attachment, not_before=time.time() + delay)
        _start_update(fn, state, prev_spec, prev_attachment)
    return fn.get_configuration()


def _update_function_code(self, function_name: str, qualifier, body: dict):
    fn = self.get_function(function_name, qualifier)
    if body.get("DryRun"):
        return _orig_update_code(self, function_name, qualifier, body)
    state = _check_not_updating(fn)
    _check_runtime(fn.run_time, creating=False)
    _check_zip(body)
    prev_spec = current_spec(fn)
    result = _orig_update_code(self, function_name, qualifier, body)
    with _LOCK:
        _start_update(fn, state, prev_spec, state.attachment)
    return _overlay(result, state) if isinstance(result, dict) else result


def _publish_version(self, name_or_arn: str, description: str = ""):
    try:
        fn = self._lambdas.get_function_by_name_or_arn_forbid_qualifier(name_or_arn)
    except JsonRESTError:
        fn = None
    if fn is not None:
        _check_not_updating(fn)
    return _orig_publish_version(self, name_or_arn, description)


def _delete_function(self, function_name: str, qualifier=None) -> None:
    fn = self.get_function(function_name, qualifier)
    _orig_delete_function(self, function_name, qualifier)
    name = fn.function_name
    if name in self._lambdas._functions:
        return  # only a version was deleted
    with _LOCK:
        state = _STATES.pop(_key(self.region_name, name, self.account_id), None)
        if state is not None:
            _detach(name, state.attachment)
            if state.prev_attachment is not state.attachment:
                _detach(name, state.prev_attachment)
    lambda_runtime.stop_function(self.region_name, name, self.account_id)


LambdaFunction.get_configuration = _get_configuration
LambdaFunction.vpc_config = property(_vpc_config)
LambdaBackend.create_function = _create_function
LambdaBackend.update_function_configuration = _update_function_configuration
LambdaBackend.update_function_code = _update_function_code
LambdaBackend.publish_version = _publish_version
LambdaBackend.delete_function = _delete_function


_ARN_REGION = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):")


@route(service="lambda", path=r"^/2015-03-31/functions/(?P<name>[^/]+)(?:/[^/]*)?/?$")
def _other_region_arn(req, name: str) -> None:
    """A function ARN of another Region: Lambda answers 404 ResourceNotFoundException "Functions from '<region>'
    are not reachable in this region ('<region>')" (recorded from AWS for GetFunction, GetFunctionConfiguration,
    DeleteFunction and Invoke; tests/parity/cases/lambda.json). moto has no route for such an ARN."""
    m = _ARN_REGION.match(name)
    if m and m.group(1) != req.region:
        raise AwsError("ResourceNotFoundException",
                       f"Functions from '{m.group(1)}' are not reachable in this region ('{req.region}')", 404)
    return None


# FunctionName as Lambda reads it (the pattern of the Lambda API model, which request validation has checked):
# [arn:aws:lambda:][region:][account:][function:]name[:qualifier]
_FUNCTION_NAME = re.compile(r"^(?:arn:aws[a-zA-Z-]*:lambda:)?(?:[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d:)?(?:\d{12}:)?"
                            r"(?:function:)?(?P<name>[a-zA-Z0-9-_.]+)(?::(?P<qualifier>[^:]+))?$")


@route(service="lambda", method="GET", path=r"^/2015-03-31/functions/(?P<name>[^/]+)(?:/configuration)?/?$")
@route(service="lambda", method="DELETE", path=r"^/2015-03-31/functions/(?P<name>[^/]+)/?$")
@route(service="lambda", method="POST", path=r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
def _function_name_checks(req, name: str) -> None:
    """GetFunction, GetFunctionConfiguration, DeleteFunction, Invoke: as recorded from AWS
    (tests/parity/cases/lambda.json),
    - a qualifier in the name and another in Qualifier: 400 InvalidParameterValueException "The derived qualifier
      from the function name does not match the specified qualifier.";
    - no such function: 404 "Function not found: <unqualified ARN>[:<qualifier>]", where Invoke names $LATEST
      when no qualifier is given; a full ARN's last part before any qualifier is the name
      ("arn:aws:lambda:us-east-1:123456789012:function" names the function "function").
    Otherwise moto answers."""
    m = _FUNCTION_NAME.match(name)
    if m is None:
        return None
    qualifier = req.query.get("Qualifier")
    derived = m.group("qualifier")
    if derived and qualifier and derived != qualifier:
        raise AwsError("InvalidParameterValueException",
                       "The derived qualifier from the function name does not match the specified qualifier.", 400)
    fname = m.group("name")
    backend = backends.awslambda(req.region)
    if fname in backend._lambdas._functions:
        return None
    qualifier = derived or qualifier
    if not qualifier and req.method == "POST":
        qualifier = "$LATEST"
    arn = f"arn:aws:lambda:{req.region}:{backend.account_id}:function:{fname}"
    raise AwsError("ResourceNotFoundException", f"Function not found: {arn}{':' + qualifier if qualifier else ''}",
                   404)


@route(service="lambda", method="POST", path=r"^/2017-03-31/tags/(?P<arn>.+?)/?$")
def _tag_resource_checks(req, arn: str) -> None:
    """TagResource as recorded from AWS (tests/parity/cases/lambda.json): a function ARN with a version or alias
    is 400 InvalidParameterValueException "Tags on function aliases and versions are not supported. Please
    specify a function ARN."; no tags at all is 400 InvalidParameterValueException "An error occurred and the
    request cannot be processed.". Otherwise moto answers."""
    parts = arn.split(":")
    if len(parts) > 7 and parts[2] == "lambda" and parts[5] == "function":
        raise AwsError("InvalidParameterValueException",
                       "Tags on function aliases and versions are not supported. Please specify a function ARN.", 400)
    try:
        tags = req.json().get("Tags")
    except ValueError:
        return None
    if tags == {}:
        raise AwsError("InvalidParameterValueException", "An error occurred and the request cannot be processed.", 400)
    return None


def settle(fn) -> None:
    """The function's state as after a read: CloudFormation reports a function CREATE_COMPLETE only once it is
    Active ("AWS::Lambda::Function": the resource waits for the function to stabilize)."""
    state = _STATES.get(_key(fn.region, fn.function_name, fn.account_id))
    if state is not None:
        state.create_hold = state.update_hold = False


_orig_response_get_function = LambdaResponse.get_function
_orig_response_get_function_configuration = LambdaResponse.get_function_configuration


def _read_advances_state(self) -> None:
    """GetFunction and GetFunctionConfiguration: a read lets a Pending or InProgress state advance (see
    FunctionState). A patch of moto's read path, so that the server and moto in-process
    (sandbox.moto_fixes.apply_all()) share it; the answer shows the state after the read."""
    parts = unquote(self.path).rstrip("/").split("/")
    name = parts[-2] if parts[-1] == "configuration" else parts[-1]
    try:
        fn = self.backend.get_function(name, self._get_param("Qualifier", None))
    except (JsonRESTError, ValueError, KeyError):
        return  # moto answers with its error
    if fn is not None:
        settle(fn)


def _response_get_function(self) -> str:
    _read_advances_state(self)
    return _orig_response_get_function(self)


def _response_get_function_configuration(self) -> str:
    _read_advances_state(self)
    return _orig_response_get_function_configuration(self)


LambdaResponse.get_function = _response_get_function
LambdaResponse.get_function_configuration = _response_get_function_configuration


# ---------------------------------------------------------------- Invoke

_PARTIAL_ARN = re.compile(r"^\d{12}:function:")


def _invoked_arn(fn, name: str, qualifier: str | None) -> str:
    """The ARN the caller invoked: unqualified, or with the version or alias it named."""
    tail = name.split(":function:")[-1]
    if ":" in tail:
        qualifier = tail.split(":")[-1]
    base = f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}"
    return f"{base}:{qualifier}" if qualifier else base


@route(service="lambda", method="POST", path=r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
def _invoke(req, name: str) -> Response:
    if _PARTIAL_ARN.match(name):
        name = name.split(":", 2)[2]
    qualifier = req.query.get("Qualifier")
    backend = backends.awslambda(req.region)
    try:
        fn = backend.get_function(name, qualifier)
    except JsonRESTError as exc:
        raise AwsError(exc.error_type, exc.message, exc.code) from None
    if fn is None:
        raise AwsError("ResourceNotFoundException", f"Function not found: {name}", 404)
    invocation_type = req.headers.get("X-Amz-Invocation-Type", "RequestResponse")
    if invocation_type not in ("RequestResponse", "Event", "DryRun"):
        raise AwsError("InvalidParameterValueException", f"Unsupported invocation type: {invocation_type}")
    state = _STATES.get(_key(fn.region, fn.function_name, fn.account_id))
    now = time.time()
    if state is not None and state.pending(now):
        raise AwsError("ResourceConflictException",
                       "The operation cannot be performed at this time. The function is currently in the "
                       "following state: Pending", 409)
    if fn.package_type != "Zip" or not (fn.run_time or "").startswith("python"):
        raise AwsError("InvalidRuntimeException",
                       f"The runtime {fn.run_time or fn.package_type} is not supported by the sandbox: its Lambda "
                       "runtime runs Python functions deployed as .zip archives.", 502)
    body = req.body or b""
    if body.strip():
        try:
            json.loads(body)
        except ValueError as exc:
            raise AwsError("InvalidRequestContentException",
                           f"Could not parse request body into json: Could not parse payload into json: {exc}",
                           400) from None
    else:
        body = b"{}"
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    if invocation_type == "DryRun":
        return Response(b"", status=204, headers=headers)
    if str(fn.version) == "$LATEST" and state is not None and state.applying(now) and state.prev_spec:
        spec = state.prev_spec  # an update is in progress: the previous code and configuration run
    else:
        spec = current_spec(fn)
    invoked_arn = _invoked_arn(fn, name, qualifier)
    if invocation_type == "Event":
        def run() -> None:
            try:
                lambda_runtime.invoke(spec, body, request_id, invoked_arn)
            except Exception:
                log.exception("asynchronous invocation of %s failed", fn.function_name)

        threading.Thread(target=run, daemon=True, name=f"lambda-event-{fn.function_name}").start()
        return Response(b"", status=202, headers=headers)
    try:
        result = lambda_runtime.invoke(spec, body, request_id, invoked_arn)
    except lambda_runtime.TooManyRequests:
        raise AwsError("TooManyRequestsException", "Rate Exceeded.", 429) from None
    headers["X-Amz-Executed-Version"] = result.executed_version
    if result.function_error:
        headers["X-Amz-Function-Error"] = result.function_error
    if req.headers.get("X-Amz-Log-Type") == "Tail":
        headers["X-Amz-Log-Result"] = result.log_tail_b64
    return Response(result.payload, status=200, headers=headers, content_type="application/json")


# ---------------------------------------------------------------- EC2 hook, reset, shutdown


@route(service="ec2", method="POST", observe=True)
def _release_before_ec2(req) -> None:
    """Lazy ENI release: due Lambda ENIs go before any EC2 call looks at ENIs, subnets or groups."""
    if _ENIS:
        release_due_enis()
    return None


def _reset() -> None:
    lambda_runtime.stop_all()
    with _LOCK:
        _STATES.clear()
        _ENIS.clear()


RESET_HOOKS.append(_reset)
# Lambda's ENIs whose release time has passed go before a dependency check (DeleteSubnet, DeleteVpc, ...).
RELEASE_HOOKS.append(lambda backend: release_due_enis())
SHUTDOWN_HOOKS.append(lambda_runtime.shutdown)
network.register_attachment_lookup(vpc_attachment)
