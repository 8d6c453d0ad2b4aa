"""Helper functions that parity cases call from a setup step: `{"fn": "<name>", "params": {...}, "save": {...}}`.

Each takes the case's `Context` (client factory, region, saved values) and the step's params (after `{name}`
substitution) and returns a value that the step's `save` paths read. Register with `@function`.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

FUNCTIONS: dict[str, Callable] = {}

LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def function(fn: Callable) -> Callable:
    FUNCTIONS[fn.__name__] = fn
    return fn


@function
def python_zip(ctx, source: str = "def handler(event, context):\n    return event\n",
               filename: str = "handler.py") -> dict:
    """A deployment package with one Python file; returns {"ZipFile": bytes}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(filename, source)
    return {"ZipFile": buf.getvalue()}


@function
def lambda_role(ctx, name: str = "parity-lambda-role", vpc: bool = True) -> dict:
    """An IAM role that Lambda can assume (with AWSLambdaVPCAccessExecutionRole when `vpc`); returns the role.
    Idempotent: an existing role of that name is returned."""
    iam = ctx.client("iam")
    try:
        return iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        pass
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY))["Role"]
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    if vpc:
        iam.attach_role_policy(
            RoleName=name, PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
    return role


ECHO = "def handler(event, context):\n    return event\n"


@function
def lambda_function(ctx, FunctionName: str, Runtime: str = "python3.12", Handler: str = "handler.handler",
                    source: str = ECHO, wait: bool = True, **params) -> dict:
    """CreateFunction with a one-file Python package and the parity role, then (unless `wait` is false) the
    function_active_v2 waiter, as LocalStack's create_lambda_function fixture does; returns CreateFunction's
    answer. Extra params go to CreateFunction as they are."""
    role = lambda_role(ctx)["Arn"]
    module = Handler.rsplit(".", 1)[0]
    code = python_zip(ctx, source=source, filename=f"{module}.py")
    lam = ctx.client("lambda")
    created = lam.create_function(FunctionName=FunctionName, Runtime=Runtime, Handler=Handler, Role=role,
                                  Code=code, **params)
    if wait:
        lam.get_waiter("function_active_v2").wait(FunctionName=FunctionName,
                                                  WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return created


@function
def timestamps(ctx) -> dict:
    """Now and two days ago, in milliseconds since the epoch (CloudWatch Logs event timestamps)."""
    import time

    now = int(time.time() * 1000)
    return {"now": now, "two_days_ago": now - 2 * 86_400_000}


@function
def json_dumps(ctx, value) -> str:
    """`value` (after `{name}` substitution) as JSON text, e.g. a policy document naming the sandbox's account;
    returns the text (save it with ".")."""
    return json.dumps(value)


@function
def deploy_cfn_template(ctx, template, stack_name: str, parameters: dict | None = None,
                        is_update: bool = False) -> dict:
    """A stack deployed as LocalStack's `deploy_cfn_template` fixture deploys the stacks of its recordings: a
    change set with all three capabilities (CAPABILITY_AUTO_EXPAND, CAPABILITY_IAM, CAPABILITY_NAMED_IAM),
    executed, then the stack waiter. `template` is text or a dict (sent as JSON). Returns
    {"StackId", "StackName", "ChangeSetId"}."""
    cfn = ctx.client("cloudformation")
    body = template if isinstance(template, str) else json.dumps(template)
    created = cfn.create_change_set(
        StackName=stack_name, ChangeSetName=f"change-set-{ctx.saved['uid']}", TemplateBody=body,
        Capabilities=["CAPABILITY_AUTO_EXPAND", "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        ChangeSetType="UPDATE" if is_update else "CREATE",
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()])
    wait = {"Delay": 1, "MaxAttempts": 60}
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=created["Id"], WaiterConfig=wait)
    cfn.execute_change_set(ChangeSetName=created["Id"])
    cfn.get_waiter("stack_update_complete" if is_update else "stack_create_complete").wait(
        StackName=created["StackId"], WaiterConfig=wait)
    return {"StackId": created["StackId"], "StackName": stack_name, "ChangeSetId": created["Id"]}


@function
def stack_set_roles(ctx) -> dict:
    """The self-managed StackSets roles in the caller's account, as "Grant self-managed permissions"
    (CloudFormation User Guide) sets them up: AWSCloudFormationStackSetAdministrationRole, trusted by
    cloudformation.amazonaws.com and allowed to assume AWSCloudFormationStackSetExecutionRole, which trusts the
    administrator account. Returns {"AdministrationRoleARN", "Account"}."""
    iam = ctx.client("iam")
    account = ctx.client("sts").get_caller_identity()["Account"]
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    admin = iam.create_role(RoleName="AWSCloudFormationStackSetAdministrationRole",
                            AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName=admin["RoleName"], PolicyName="AssumeRole-AWSCloudFormationStackSetExecutionRole",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Action": "sts:AssumeRole",
                            "Resource": "arn:*:iam::*:role/AWSCloudFormationStackSetExecutionRole"}]}))
    iam.create_role(RoleName="AWSCloudFormationStackSetExecutionRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                                                "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="AWSCloudFormationStackSetExecutionRole",
                           PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    return {"AdministrationRoleARN": admin["Arn"], "Account": account}
