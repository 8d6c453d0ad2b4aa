"""Optional guardrail for a room on an OU: a service control policy (SCP) that allows only the workshop's Region
and model.

An SCP grants nothing; it sets the most that identities in the OU's accounts may do. This one denies:

- any action outside the workshop's Region, except global services (the pattern of AWS Organizations User Guide,
  "Example SCPs: deny access to AWS based on the requested AWS Region"), and Amazon Bedrock outside the Regions
  its inference profile routes to (a cross-Region profile serves a call from one of several Regions);
- Amazon Bedrock invocation of any model but the workshop's (its profile ARN and foundation-model ARNs).

A refused call says "... with an explicit deny in a service control policy".
"""

from __future__ import annotations

import json

from ..lang import _
from . import ROOM_TAG, aws

# Global services and those that IAM, Organizations and billing need from any Region (AWS's example list, trimmed
# to what an account may call during a workshop).
GLOBAL_ACTIONS = ["iam:*", "organizations:*", "sts:*", "support:*", "health:*", "budgets:*", "ce:*",
                  "cloudfront:*", "route53:*", "trustedadvisor:*", "account:*", "pricing:*", "servicequotas:*",
                  "bedrock:*"]
INVOKE_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]


def policy_name(room: str) -> str:
    return f"{room}-guardrail"


def document(region: str, model_arns: list[str]) -> dict:
    """The SCP: the Region, Bedrock's Regions (those of the model ARNs) and the model."""
    bedrock_regions = sorted({region} | {a.split(":")[3] for a in model_arns if a.split(":")[3]})
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyOutsideWorkshopRegion", "Effect": "Deny", "NotAction": GLOBAL_ACTIONS, "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": [region]}}},
            {"Sid": "DenyBedrockOutsideModelRegions", "Effect": "Deny", "Action": "bedrock:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": bedrock_regions}}},
            {"Sid": "DenyOtherModels", "Effect": "Deny", "Action": INVOKE_ACTIONS, "NotResource": sorted(model_arns)},
        ],
    }


def _find(org, name: str) -> dict | None:
    for page in org.get_paginator("list_policies").paginate(Filter="SERVICE_CONTROL_POLICY"):
        for p in page["Policies"]:
            if p["Name"] == name:
                return p
    return None


def _enable_scps(org, echo) -> None:
    root = org.list_roots()["Roots"][0]
    enabled = {t["Type"] for t in root.get("PolicyTypes", []) if t.get("Status") == "ENABLED"}
    if "SERVICE_CONTROL_POLICY" not in enabled:
        org.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
        echo(_("Enabled service control policies in the organization (every account keeps FullAWSAccess)."))


def attach(plan, model_arns: list[str], echo=print) -> dict:
    """Create (or update) the room's SCP and attach it to the OU. Returns {"policy_id", "ou"}."""
    org = aws.client("organizations", plan.region)
    _enable_scps(org, echo)
    name = policy_name(plan.room)
    content = json.dumps(document(plan.region, model_arns))
    found = _find(org, name)
    if found is None:
        policy = org.create_policy(
            Name=name, Type="SERVICE_CONTROL_POLICY", Content=content,
            Description=f"Workshop room {plan.room}: only {plan.region} and {plan.model_id}",
            Tags=[{"Key": ROOM_TAG, "Value": plan.room}])["Policy"]["PolicySummary"]
        echo(_("Created the SCP {name} ({id}).").format(name=name, id=policy["Id"]))
    else:
        policy = found
        org.update_policy(PolicyId=policy["Id"], Content=content)
    targets = {t["TargetId"] for page in org.get_paginator("list_targets_for_policy").paginate(PolicyId=policy["Id"])
               for t in page["Targets"]}
    if plan.ou_id not in targets:
        org.attach_policy(PolicyId=policy["Id"], TargetId=plan.ou_id)
        echo(_("Attached {name} to {ou}: the room may use only {region} and {model}.").format(
            name=name, ou=plan.ou_id, region=plan.region, model=plan.model_id))
    return {"policy_id": policy["Id"], "ou": plan.ou_id}


def remove(region: str, room: str, echo=print) -> list[str]:
    """Detach the room's SCP from every target and delete it (cleanup)."""
    org = aws.client("organizations", region)
    try:
        found = _find(org, policy_name(room))
    except Exception as exc:  # no organization: nothing of ours to remove
        if aws.error_code(exc) in ("AWSOrganizationsNotInUseException", "AccessDeniedException"):
            return []
        raise
    if found is None:
        return []
    for page in org.get_paginator("list_targets_for_policy").paginate(PolicyId=found["Id"]):
        for t in page["Targets"]:
            org.detach_policy(PolicyId=found["Id"], TargetId=t["TargetId"])
    org.delete_policy(PolicyId=found["Id"])
    echo(_("Deleted the SCP {name}.").format(name=found["Name"]))
    return [_("SCP {name}").format(name=found["Name"])]
