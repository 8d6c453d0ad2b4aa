"""Preflight (notebook 00): can this caller run the workshop in this region, before anything is created?

- the caller's permissions for the workshop's actions, via IAM `SimulatePrincipalPolicy` (an assumed-role
  session is simulated as its role: the session ARN is not a policy source);
- Amazon Bedrock answers in the region;
- the bedrock-runtime endpoint service is offered in at least two Availability Zones available to the account
  (notebook 01 puts the subnets there);
- headroom under the VPCs-per-Region quota (Service Quotas `L-F678F1CE`; 5 by default, assumed when the quota
  cannot be read);
- the model's lifecycle is ACTIVE.

Read-only. Each check is a `utils.doctor.Check`: pass/fail, what was found, and the fix. A check whose own
read fails (credentials, throttling, AccessDenied, no answer) is a failed check with its fix, classified as the
doctor classifies its reads (`utils.diagnosis.classify`), never a traceback in notebook 00.
"""

from __future__ import annotations

from .doctor import Report
from .lang import N_, _

# The actions the notebooks call as the learner (not the function's role), one resource "*" each.
WORKSHOP_ACTIONS = [
    "sts:GetCallerIdentity",
    "bedrock:ListFoundationModels", "bedrock:GetFoundationModel", "bedrock:ListInferenceProfiles",
    "bedrock:GetInferenceProfile",
    "cloudformation:CreateStack", "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
    "cloudformation:DeleteStack",
    "ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
    "ec2:DescribeVpcEndpointServices", "ec2:DescribeAvailabilityZones", "ec2:CreateVpcEndpoint",
    "ec2:ModifyVpcEndpoint", "ec2:DescribeVpcEndpoints", "ec2:DeleteVpcEndpoints", "ec2:DescribeNetworkInterfaces",
    "ec2:CreateTags",  # tags on create (02), and the CloudTrail evidence tags on the endpoint (04, 05)
    "iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PassRole", "iam:DeleteRole",
    "lambda:CreateFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
    "lambda:GetFunctionConfiguration", "lambda:InvokeFunction", "lambda:DeleteFunction",
    "cloudtrail:LookupEvents",
    "access-analyzer:ValidatePolicy",  # 02 and 03 validate each policy before applying it
]
# The actions notebook 06 (optional) and notebook 07's removal of it call as the learner, beyond WORKSHOP_ACTIONS
# (the instructor's participant role grants them, cfn/participant-role.yaml; tests keep the two in step). Notebook
# 00 does not check them: a learner may skip 06.
BEYOND_ACTIONS = [
    "cloudformation:CreateStack", "cloudformation:DeleteStack",  # the corporate stack
    "ec2:CreateTransitGateway", "ec2:DeleteTransitGateway", "ec2:DescribeTransitGateways",
    "ec2:CreateTransitGatewayVpcAttachment", "ec2:DeleteTransitGatewayVpcAttachment",
    "ec2:DescribeTransitGatewayVpcAttachments", "ec2:CreateTransitGatewayRoute", "ec2:SearchTransitGatewayRoutes",
    "ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute",
    "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:ModifyVpcEndpoint",
    "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",  # the Resolver endpoints' addresses
    "route53resolver:CreateResolverEndpoint", "route53resolver:DeleteResolverEndpoint",
    "route53resolver:GetResolverEndpoint", "route53resolver:ListResolverEndpoints",
    "route53resolver:ListResolverEndpointIpAddresses", "route53resolver:CreateResolverRule",
    "route53resolver:DeleteResolverRule", "route53resolver:ListResolverRules",
    "route53resolver:AssociateResolverRule", "route53resolver:DisassociateResolverRule",
    "route53resolver:ListResolverRuleAssociations", "route53resolver:ListTagsForResource",
    "route53:CreateHostedZone", "route53:DeleteHostedZone", "route53:GetHostedZone", "route53:ListHostedZones",
    "route53:ListHostedZonesByName", "route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets",
    "route53:ChangeTagsForResource",
    "iam:PutRolePolicy", "iam:DeleteRolePolicy",  # the client's policy
    "lambda:GetFunctionConfiguration", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
    "lambda:InvokeFunction",  # the corporate client
]
VPC_QUOTA_CODE = "L-F678F1CE"  # Amazon VPC: "VPCs per Region"
DEFAULT_VPC_QUOTA = 5
MIN_AZS = 2


def policy_source_arn(caller_arn: str, iam=None) -> str:
    """The ARN to simulate: a role for an assumed-role session (with its path, when IAM tells it), else the caller."""
    if ":assumed-role/" not in caller_arn:
        return caller_arn
    account = caller_arn.split(":")[4]
    role = caller_arn.split(":assumed-role/")[1].split("/")[0]
    if iam is not None:
        try:
            return iam.get_role(RoleName=role)["Role"]["Arn"]
        except Exception:  # no iam:GetRole: the path-less ARN works for roles without a path
            pass
    return f"arn:aws:iam::{account}:role/{role}"


def workshop_resources(cfg, account: str) -> dict[str, str]:
    """action -> the ARN of the workshop's own resource it acts on (representative IDs for resources that do not
    exist yet). A caller whose permissions are scoped to the workshop's resources, such as an instructor's
    WorkshopParticipant role, is denied on Resource "*" but allowed here, so denied actions are simulated again on
    these before they are reported."""
    region, stack_name = cfg.region, cfg.stack_name
    ec2 = f"arn:aws:ec2:{region}:{account}:"
    endpoint = ec2 + "vpc-endpoint/vpce-0123456789abcdef0"
    stack = f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/00000000-0000-0000-0000-000000000000"
    role = f"arn:aws:iam::{account}:role/{stack_name}-FunctionRole"
    function = f"arn:aws:lambda:{region}:{account}:function:{stack_name}-BedrockTestLambdaFunction"
    by_action = {"ec2:CreateVpc": ec2 + "vpc/vpc-0123456789abcdef0",
                 "ec2:CreateSubnet": ec2 + "subnet/subnet-0123456789abcdef0",
                 "ec2:CreateSecurityGroup": ec2 + "security-group/sg-0123456789abcdef0",
                 "ec2:AuthorizeSecurityGroupIngress": ec2 + "security-group/sg-0123456789abcdef0",
                 "ec2:CreateVpcEndpoint": endpoint, "ec2:ModifyVpcEndpoint": endpoint,
                 "ec2:DeleteVpcEndpoints": endpoint, "ec2:CreateTags": endpoint}
    by_service = {"cloudformation": stack, "iam": role, "lambda": function}
    return {a: by_action.get(a) or by_service[a.split(":")[0]] for a in WORKSHOP_ACTIONS
            if a in by_action or a.split(":")[0] in by_service}


def beyond_resources(cfg, account: str) -> dict[str, str]:
    """BEYOND_ACTIONS -> the ARN of notebook 06's resource each acts on (representative IDs), or "*" for the
    actions that have no resource type. Tag conditions are the caller's to supply (the resources carry
    workshop=bedrock-privatelink and participant=<cfg.participant>)."""
    region = cfg.region
    ec2 = f"arn:aws:ec2:{region}:{account}:"
    resolver = f"arn:aws:route53resolver:{region}:{account}:"
    zone = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
    by_action = {
        "cloudformation:CreateStack": f"arn:aws:cloudformation:{region}:{account}:stack/{cfg.corporate_stack_name}/"
                                      "00000000-0000-0000-0000-000000000000",
        "ec2:CreateTransitGateway": ec2 + "transit-gateway/tgw-0123456789abcdef0",
        "ec2:DeleteTransitGateway": ec2 + "transit-gateway/tgw-0123456789abcdef0",
        "ec2:CreateTransitGatewayVpcAttachment": ec2 + "transit-gateway-attachment/tgw-attach-0123456789abcdef0",
        "ec2:DeleteTransitGatewayVpcAttachment": ec2 + "transit-gateway-attachment/tgw-attach-0123456789abcdef0",
        "ec2:CreateTransitGatewayRoute": ec2 + "transit-gateway-route-table/tgw-rtb-0123456789abcdef0",
        "ec2:SearchTransitGatewayRoutes": ec2 + "transit-gateway-route-table/tgw-rtb-0123456789abcdef0",
        "ec2:CreateRoute": ec2 + "route-table/rtb-0123456789abcdef0",
        "ec2:ReplaceRoute": ec2 + "route-table/rtb-0123456789abcdef0",
        "ec2:DeleteRoute": ec2 + "route-table/rtb-0123456789abcdef0",
        "ec2:AuthorizeSecurityGroupIngress": ec2 + "security-group/sg-0123456789abcdef0",
        "ec2:RevokeSecurityGroupIngress": ec2 + "security-group/sg-0123456789abcdef0",
        "ec2:ModifyVpcEndpoint": ec2 + "vpc-endpoint/vpce-0123456789abcdef0",
        "ec2:CreateNetworkInterface": ec2 + "network-interface/eni-0123456789abcdef0",
        "ec2:DeleteNetworkInterface": ec2 + "network-interface/eni-0123456789abcdef0",
        "iam:PutRolePolicy": f"arn:aws:iam::{account}:role/{cfg.corporate_stack_name}-ClientRole-ABCDEFGHIJKL",
        "iam:DeleteRolePolicy": f"arn:aws:iam::{account}:role/{cfg.corporate_stack_name}-ClientRole-ABCDEFGHIJKL",
    }
    by_action["cloudformation:DeleteStack"] = by_action["cloudformation:CreateStack"]
    for action in BEYOND_ACTIONS:
        service, name = action.split(":")
        if service == "route53resolver" and name not in ("ListResolverEndpoints", "ListResolverRules",
                                                         "ListResolverRuleAssociations"):
            by_action[action] = resolver + ("resolver-rule/rslvr-rr-0123456789abcdef0" if "Rule" in name
                                            else "resolver-endpoint/rslvr-in-0123456789abcdef0")
        elif service == "route53" and name not in ("CreateHostedZone", "ListHostedZones", "ListHostedZonesByName"):
            by_action[action] = zone
        elif service == "lambda":
            by_action[action] = f"arn:aws:lambda:{region}:{account}:function:" + (
                f"{cfg.prefix}-Bedrock-Corporate-Client" if cfg.prefix else "Bedrock-Corporate-Client")
    return {a: by_action.get(a, "*") for a in BEYOND_ACTIONS}


def check_permissions(report: Report, iam, caller_arn: str, actions: list[str] | None = None,
                      resources: dict[str, str] | None = None) -> dict:
    """Simulate the workshop's actions for the caller; returns {action: decision}.

    Each action is simulated on Resource "*" first; one denied there is simulated again on the workshop's own
    resource (`resources`, see `workshop_resources`), where a scoped role allows it.
    """
    from botocore.exceptions import ClientError

    actions = list(actions or WORKSHOP_ACTIONS)
    source = policy_source_arn(caller_arn, iam)
    decisions: dict[str, str] = {}
    try:
        paginator = iam.get_paginator("simulate_principal_policy")
        for page in paginator.paginate(PolicySourceArn=source, ActionNames=actions):
            for r in page["EvaluationResults"]:
                decisions[r["EvalActionName"]] = r["EvalDecision"]
        for action in [a for a, d in decisions.items() if d != "allowed" and (resources or {}).get(a)]:
            for page in paginator.paginate(PolicySourceArn=source, ActionNames=[action],
                                           ResourceArns=[resources[action]]):
                for r in page["EvaluationResults"]:
                    decisions[action] = r["EvalDecision"]
    except ClientError as exc:
        err = exc.response["Error"]
        report.add("preflight", N_("caller permissions"), False,
                   _("could not simulate {source}: {code}: {message}").format(
                       source=source, code=err.get('Code'), message=err.get('Message', '')),
                   _("Ask for iam:SimulatePrincipalPolicy on your own identity, or compare your permissions with the "
                     "list in docs/learner.md, \"Against real AWS\", by hand."))
        return decisions
    denied = sorted(a for a, d in decisions.items() if d != "allowed")
    report.add("preflight", N_("caller permissions"), not denied,
               _("{source}: all {count} workshop actions allowed").format(
                   source=source, count=len(decisions)) if not denied else
               _("{source}: not allowed: {actions}").format(
                   source=source, actions=', '.join(f'{a} ({decisions[a]})' for a in denied)),
               _("Ask your administrator for these actions (docs/learner.md, 'Against real AWS') or use the sandbox."))
    return decisions


def check_bedrock(report: Report, bedrock, region: str) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    from . import validation

    try:
        count = len(bedrock.list_foundation_models(byOutputModality="TEXT")["modelSummaries"])
        ok, detail = count > 0, _("Amazon Bedrock answers in {region}: {count} text models").format(
                                    region=region, count=count)
    except (ClientError, BotoCoreError) as exc:
        ok, detail = False, _("Amazon Bedrock did not answer in {region}: {exc}").format(region=region, exc=exc)
    report.add("preflight", N_("Amazon Bedrock in the region"), ok, detail,
               _("Choose a region that offers Amazon Bedrock, e.g. {regions}.").format(
                   regions=', '.join(validation.bedrock_regions()[:3])))
    return ok


def check_zones(report: Report, ec2, region: str) -> list[str]:
    """The zones both offered by the bedrock-runtime endpoint service and available here (what 01 chooses from)."""
    from .endpoint import service_name

    service = service_name(region)
    details = ec2.describe_vpc_endpoint_services(ServiceNames=[service])["ServiceDetails"]
    offered = details[0]["AvailabilityZones"] if details else []
    zones = ec2.describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]}, {"Name": "zone-type", "Values": ["availability-zone"]}]
    )["AvailabilityZones"]
    usable = sorted(z["ZoneName"] for z in zones if z["ZoneName"] in offered)
    report.add("preflight", N_("endpoint service AZs match the subnets"), len(usable) >= MIN_AZS,
               _("{service} offered in {offered}; usable here {usable}; notebook 01 will use {chosen}").format(
                   service=service, offered=offered, usable=usable, chosen=usable[:MIN_AZS]),
               _("Choose another region (notebook 00): the workshop needs two zones that the service supports."))
    return usable


def vpc_quota(quotas) -> tuple[float, str]:
    """(VPCs per Region quota, where it came from)."""
    if quotas is None:
        return DEFAULT_VPC_QUOTA, _("assumed default {quota}").format(quota=DEFAULT_VPC_QUOTA)
    try:
        value = quotas.get_service_quota(ServiceCode="vpc", QuotaCode=VPC_QUOTA_CODE)["Quota"]["Value"]
        return value, "Service Quotas"
    except Exception:  # not readable (permissions, or not offered): AWS's documented default
        try:
            value = quotas.get_aws_default_service_quota(ServiceCode="vpc", QuotaCode=VPC_QUOTA_CODE)["Quota"]["Value"]
            return value, _("Service Quotas default")
        except Exception:
            return DEFAULT_VPC_QUOTA, _("assumed default {quota} (Service Quotas not readable)").format(
                                          quota=DEFAULT_VPC_QUOTA)


def check_vpc_quota(report: Report, ec2, quotas, stack_exists: bool = False) -> int:
    count = len(ec2.describe_vpcs()["Vpcs"])
    quota, source = vpc_quota(quotas)
    headroom = int(quota) - count
    ok = headroom >= 1 or stack_exists
    report.add("preflight", N_("VPC quota headroom"), ok,
               _("{count} VPC(s) in the region, quota {quota} ({source}): room for {room} more").format(
                   count=count, quota=int(quota), source=source, room=max(headroom, 0)),
               _("Delete an unused VPC, or request a higher 'VPCs per Region' quota in Service Quotas."))
    return headroom


def check_model(report: Report, bedrock, model_id: str, region: str) -> str:
    from .diagnosis import model_facts

    facts = model_facts(bedrock, model_id, region)
    report.add("preflight", N_("model lifecycle ACTIVE"), facts["status"] == "ACTIVE",
               f"{model_id} ({facts['base']}): {facts['status']}" + (f" ({facts['error']})" if facts["error"] else ""),
               _("Choose a current model, e.g. {current}.").format(
                   current=', '.join(facts['current'][:3])) if facts["current"] else
               _("Choose a current model in the form above."))
    return facts["status"]


def _guarded(report: Report, cfg, what: str, action: str, check, *args, service: str = ""):
    """Run one check; a failed read becomes a failed check (with its fix) instead of an exception."""
    from .diagnosis import classify

    try:
        return check(report, *args)
    except Exception as exc:  # classified and reported: the learner sees what failed and what to do
        problem = classify(exc, what, action, cfg, service)
        report.add("preflight", problem.name, False, problem.detail, problem.fix)
        return None


def run(cfg, client, caller_arn: str) -> Report:
    """Every preflight check for this configuration. `client(service, region)` builds boto3 clients."""
    report = Report()
    region = cfg.region
    account = caller_arn.split(":")[4] if caller_arn.count(":") >= 5 else (cfg.account_id or "")
    _guarded(report, cfg, _("simulate your permissions"), "iam:SimulatePrincipalPolicy", check_permissions,
             client("iam", region), caller_arn, None, workshop_resources(cfg, account))
    bedrock = client("bedrock", region)
    check_bedrock(report, bedrock, region)
    ec2 = client("ec2", region)
    _guarded(report, cfg, _("list the endpoint service's Availability Zones"),
             "ec2:DescribeVpcEndpointServices and ec2:DescribeAvailabilityZones", check_zones, ec2, region)
    try:
        quotas = client("service-quotas", region)
    except Exception:  # no client for it: the documented default is assumed (and said)
        quotas = None
    from . import stack

    cfn = client("cloudformation", region)
    exists = _guarded(report, cfg, _("describe the stack {stack_name}").format(
                                       stack_name=cfg.stack_name), "cloudformation:DescribeStacks",
                      lambda _report: stack.describe(cfn, cfg.stack_name) is not None)
    _guarded(report, cfg, _("count the VPCs"), "ec2:DescribeVpcs", check_vpc_quota, ec2, quotas, bool(exists))
    _guarded(report, cfg, _("read the model {model_id}").format(
                              model_id=cfg.model_id), "bedrock:GetFoundationModel", check_model, bedrock,
             cfg.model_id, region, service="bedrock")
    return report
