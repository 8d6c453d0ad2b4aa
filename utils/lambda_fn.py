"""Helpers around the workshop's AWS Lambda function: waiting for updates, reading replies, its ENIs.

The notebooks call update_function_code / update_function_configuration / invoke
themselves; these helpers wait for the result and decode it.
"""

from __future__ import annotations

import json

from .lang import _
from .waiting import wait_until

LAMBDA_ENI_PREFIX = "AWS Lambda VPC ENI"


def wait_updated(lam, function_name: str, timeout: float = 600) -> dict:
    """Wait until the function's last update is Successful and it is Active; return its configuration.

    Raises RuntimeError with Lambda's reason when the update Failed.
    """

    def check():
        cfg = lam.get_function_configuration(FunctionName=function_name)
        if cfg.get("LastUpdateStatus") == "Failed" or cfg.get("State") == "Failed":
            reason = cfg.get("LastUpdateStatusReason") or cfg.get("StateReason") or _("no reason given")
            raise RuntimeError(_("The update of {function} failed: {reason}").format(function=function_name,
                                                                                     reason=reason))
        return cfg

    return wait_until(
        check, what=_("function {function} to finish its update").format(function=function_name), timeout=timeout,
        until=lambda c: (c.get("LastUpdateStatus", "Successful") == "Successful"
                         and c.get("State", "Active") == "Active"),
        status=lambda c: f"State={c.get('State')}, LastUpdateStatus={c.get('LastUpdateStatus')}",
    )


def payload(response: dict) -> dict:
    """The function's JSON reply from an Invoke response (FunctionError replies included)."""
    body = response["Payload"].read()
    try:
        data = json.loads(body or b"null")
    except ValueError:
        data = {"raw": body.decode(errors="replace")}
    if response.get("FunctionError"):
        message = data.get("errorMessage", str(data)) if isinstance(data, dict) else str(data)
        error_type = data.get("errorType", response["FunctionError"]) if isinstance(data, dict) else "Unhandled"
        return {"ok": False, "error": {"code": error_type, "message": message}, "function_error": True}
    return data if isinstance(data, dict) else {"ok": False, "error": {"code": "BadReply", "message": str(data)}}


def in_vpc(cfg: dict) -> bool:
    vpc = cfg.get("VpcConfig") or {}
    return bool(vpc.get("VpcId") and vpc.get("SubnetIds"))


def function_enis(ec2, function_name: str, vpc_id: str | None = None) -> list[dict]:
    """The ENIs Lambda created for this function ("AWS Lambda VPC ENI-<name>-..."), in any state."""
    filters = [{"Name": "description", "Values": [f"{LAMBDA_ENI_PREFIX}-{function_name}*"]}]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    return ec2.describe_network_interfaces(Filters=filters)["NetworkInterfaces"]


def wait_enis_gone(ec2, function_name: str, vpc_id: str | None, timeout: float = 2700) -> None:
    """Wait until Lambda has deleted the function's ENIs.

    On AWS this takes long after the function leaves the VPC: up to 20 minutes under normal operation (AWS
    Support's tool for stuck Lambda ENIs), 20 to 40 minutes in users' reports; Terraform's AWS provider waits up
    to 45 minutes, a bound agreed with the Lambda team. The default bound is those 45 minutes.
    """
    wait_until(
        lambda: function_enis(ec2, function_name, vpc_id),
        what=_("the ENIs of {function} to be released").format(function=function_name), timeout=timeout,
        until=lambda enis: not enis,
        status=lambda enis: _("{count} left ({states})").format(
            count=len(enis), states=", ".join(e["Status"] for e in enis)) if enis else _("none left"),
        max_interval=15.0,
        hint=_("Lambda deletes them itself after the function leaves the VPC; they block deleting the subnets. "
               "Run notebook 07 again later (it carries on from here); `python -m utils inventory` shows what is "
               "left."),
    )
