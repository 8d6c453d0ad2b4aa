"""The instructor's cleanup of notebook 06 (the corporate network), for one participant, from any partial state.

What notebook 06 creates, and the order AWS requires to remove it (the order of notebook 07's cells):

- the corporate client function leaves its VPC first (Lambda's release of its network interfaces is the long
  wait; the corporate stack's subnets and security group cannot go before);
- the forwarding rule is disassociated from every VPC before it is deleted (Route 53 Resolver refuses to delete a
  rule that is still associated: ResourceInUseException), and the rule goes before the outbound endpoint it uses;
- the Transit Gateway's VPC attachments are deleted, and the gateway only when none is left (DeleteTransitGateway
  refuses a gateway with attachments: IncorrectState); the attachments' network interfaces sit in both VPCs'
  subnets;
- the private hosted zone is emptied (all but SOA and NS) before DeleteHostedZone (HostedZoneNotEmpty);
- the client's inline policy goes before its role (CloudFormation deletes a role only without inline policies it
  does not know);
- then the corporate stack, before the workshop stack: the inbound endpoint's security group of the corporate
  stack lives in the workshop VPC.

Everything is found as notebook 07 finds it: `utils.inventory.find_network` (the workshop's tags and the zone's
caller reference), `utils.beyond.remove_zone_records`, `utils.beyond.CLIENT_POLICY_NAME`. The notebook shows these
calls in its cells, one participant at a time; here `start` makes the ones that need nothing before them, and
`advance` is called in every round of the room's shared wait (utils.instructor.cleanup.wait_all) and makes each
next call once what it waits for is gone, so that all participants wait together, with backoff and a bound.
A call that AWS refuses because of a state that passes (a gateway still `pending`, an association still being
created) is made again in a later round; its error is kept and shown if the bound is reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import beyond, inventory, lambda_fn, stack
from ..lang import _
from . import aws

# Refusals that mean "not yet" (the resource is in a state that passes): made again in the next round.
TRANSIENT = {"IncorrectState", "InvalidRequestException", "ResourceInUseException", "ThrottlingException",
             "Throttling", "PriorRequestNotComplete", "RequestLimitExceeded"}
GONE = {"ResourceNotFoundException", "NoSuchHostedZone", "InvalidTransitGatewayID.NotFound",
        "InvalidTransitGatewayAttachmentID.NotFound", "NoSuchEntity", "NoSuchEntityException"}


@dataclass
class Corporate:
    """One participant's notebook-06 state during the instructor's cleanup."""

    cfg: object
    make: object
    stack: dict | None = None  # the corporate stack's description, when it exists
    outputs: dict = field(default_factory=dict)
    removed: list = field(default_factory=list)
    waiting_for: str = ""  # what the last round still waited for (shown when the bound is reached)
    last_refusal: str = ""

    def client(self, service: str, region: str | None = None):
        return self.make(service)


def _call(state: Corporate, what: str, fn, **kwargs) -> bool:
    """Make one deletion call; True when it was made (or the thing is already gone), False when AWS refused it for
    a passing state (tried again next round). Any other error raises."""
    try:
        fn(**kwargs)
    except Exception as exc:  # botocore's ClientError: the code decides
        code = aws.error_code(exc)
        if code in GONE:
            return True
        if code in TRANSIENT:
            state.last_refusal = f"{what}: {code}: {exc}"
            return False
        raise
    return True


def find(cfg, make) -> Corporate | None:
    """The participant's notebook-06 state, or None when notebook 06 left nothing (no corporate stack and nothing
    that find_network finds)."""
    state = Corporate(cfg, make)
    state.stack = stack.describe(make("cloudformation"), cfg.corporate_stack_name)
    state.outputs = stack.outputs_of(state.stack) if state.stack else {}
    if state.stack is None and not any(inventory.find_network(cfg, state.client).values()):
        return None
    return state


def detach_client(state: Corporate, functions: list) -> None:
    """Phase 1, first pass: take the corporate client out of its VPC (Lambda starts releasing its network
    interfaces) and have phase 2 wait for them: appends (function, [VPC]) to `functions`."""
    function, vpc_id = state.outputs.get("ClientFunctionName"), state.outputs.get("CorporateVpcId")
    if not function:
        return
    lam = state.make("lambda")
    try:
        fn = lam.get_function_configuration(FunctionName=function)
        if fn.get("LastUpdateStatus") == "InProgress" or fn.get("State") == "Pending":
            fn = lambda_fn.wait_updated(lam, function)
    except lam.exceptions.ResourceNotFoundException:
        fn = None
    if fn is not None and lambda_fn.in_vpc(fn):
        lam.update_function_configuration(FunctionName=function, VpcConfig={"SubnetIds": [], "SecurityGroupIds": []})
        state.removed.append(_("VPC attachment of {function}").format(function=function))
    if vpc_id:
        functions.append((function, [vpc_id]))


def start(state: Corporate) -> None:
    """Phase 1, second pass: what needs nothing before it. The Transit Gateway attachments and the rule
    associations start being deleted (minutes on AWS), the private hosted zones go (emptied, then deleted), and
    the client's inline policy goes."""
    network = inventory.find_network(state.cfg, state.client)
    ec2, resolver, r53 = state.make("ec2"), state.make("route53resolver"), state.make("route53")
    for a in network["attachments"]:
        if a["State"] not in ("deleting", "pending", "modifying") and _call(
                state, a["TransitGatewayAttachmentId"], ec2.delete_transit_gateway_vpc_attachment,
                TransitGatewayAttachmentId=a["TransitGatewayAttachmentId"]):
            state.removed.append(_("transit gateway attachment {id}").format(id=a["TransitGatewayAttachmentId"]))
    for a in network["rule_associations"]:
        if a.get("Status") not in ("DELETING", "CREATING") and _call(
                state, a["ResolverRuleId"], resolver.disassociate_resolver_rule, ResolverRuleId=a["ResolverRuleId"],
                VPCId=a["VPCId"]):
            state.removed.append(_("resolver rule association {rule} with {vpc}").format(rule=a["ResolverRuleId"],
                                                                                         vpc=a["VPCId"]))
    beyond.remove_zone_records(r53, network["zones"])
    for zone in network["zones"]:
        if _call(state, zone["Id"], r53.delete_hosted_zone, Id=zone["Id"]):
            state.removed.append(_("private hosted zone {name} {id}").format(name=zone["Name"],
                                                                           id=zone["Id"].split("/")[-1]))
    role = state.outputs.get("ClientRoleName")
    if role:
        iam = state.make("iam")
        try:
            iam.delete_role_policy(RoleName=role, PolicyName=beyond.CLIENT_POLICY_NAME)
            state.removed.append(_("inline policy {policy} of {role}").format(policy=beyond.CLIENT_POLICY_NAME,
                                                                              role=role))
        except iam.exceptions.NoSuchEntityException:
            pass


def advance(state: Corporate) -> bool:
    """One round of phase 2: make each next deletion whose prerequisites are gone; True when nothing of notebook
    06 but the corporate stack is left (the stack goes in phase 3)."""
    network = inventory.find_network(state.cfg, state.client)
    ec2, resolver, r53 = state.make("ec2"), state.make("route53resolver"), state.make("route53")
    waiting = []
    # Resolver: associations, then rules, then endpoints.
    for a in network["rule_associations"]:
        waiting.append(f"resolver rule association {a['ResolverRuleId']} ({a.get('Status', '')})")
        if a.get("Status") not in ("DELETING", "CREATING"):
            _call(state, a["ResolverRuleId"], resolver.disassociate_resolver_rule, ResolverRuleId=a["ResolverRuleId"],
                  VPCId=a["VPCId"])
    if not network["rule_associations"]:
        for rule in network["resolver_rules"]:
            if _call(state, rule["Id"], resolver.delete_resolver_rule, ResolverRuleId=rule["Id"]):
                state.removed.append(_("resolver rule {id}").format(id=rule["Id"]))
            else:
                waiting.append(f"resolver rule {rule['Id']}")
        rules_left = [r for r in network["resolver_rules"] if f"resolver rule {r['Id']}" in waiting]
    else:
        rules_left = network["resolver_rules"]
        waiting += [f"resolver rule {r['Id']}" for r in rules_left]
    for e in network["resolver_endpoints"]:
        waiting.append(f"resolver endpoint {e['Id']} ({e['Status']})")
        if not rules_left and e["Status"] not in ("DELETING", "CREATING", "UPDATING"):
            if _call(state, e["Id"], resolver.delete_resolver_endpoint, ResolverEndpointId=e["Id"]):
                state.removed.append(_("resolver endpoint {id} ({direction})").format(id=e["Id"],
                                                                                  direction=e.get("Direction", "")))
    # Transit Gateway: attachments, then the gateway.
    for a in network["attachments"]:
        waiting.append(f"transit gateway attachment {a['TransitGatewayAttachmentId']} ({a['State']})")
        if a["State"] not in ("deleting", "pending", "modifying") and _call(
                state, a["TransitGatewayAttachmentId"], ec2.delete_transit_gateway_vpc_attachment,
                TransitGatewayAttachmentId=a["TransitGatewayAttachmentId"]):
            state.removed.append(_("transit gateway attachment {id}").format(id=a["TransitGatewayAttachmentId"]))
    for g in network["transit_gateways"]:
        waiting.append(f"transit gateway {g['TransitGatewayId']} ({g['State']})")
        if not network["attachments"] and g["State"] not in ("deleting", "pending", "modifying") and _call(
                state, g["TransitGatewayId"], ec2.delete_transit_gateway, TransitGatewayId=g["TransitGatewayId"]):
            state.removed.append(f"Transit Gateway {g['TransitGatewayId']}")  # AWS's name and the ID, either language
    # Zones created after phase 1 (a participant still running 06) go the same way.
    if network["zones"]:
        beyond.remove_zone_records(r53, network["zones"])
        for zone in network["zones"]:
            waiting.append(f"private hosted zone {zone['Id'].split('/')[-1]}")
            if _call(state, zone["Id"], r53.delete_hosted_zone, Id=zone["Id"]):
                state.removed.append(_("private hosted zone {name} {id}").format(name=zone["Name"],
                                                                           id=zone["Id"].split("/")[-1]))
    state.waiting_for = ", ".join(waiting)
    return not waiting


def still_waiting(state: Corporate) -> str:
    """What the last round waited for, and AWS's last refusal, for the message when the bound is reached."""
    text = _("waiting for {what}").format(what=state.waiting_for) if state.waiting_for else ""
    if state.last_refusal:
        text += ("; " if text else "") + _("last refusal: {refusal}").format(refusal=state.last_refusal)
    return text
