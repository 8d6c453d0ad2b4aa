"""Everything of this participant's workshop that still exists, found by tags and names.

Tagged `workshop=bedrock-privatelink` and `participant=<prefix or "default">`: the
stack, VPCs, subnets, route tables, security groups, endpoints, network interfaces
(in those VPCs, plus Lambda's), functions and IAM roles; and notebook 06's transit gateways and
their attachments, Route 53 Resolver endpoints and rules, and private hosted zones. Notebook 07
prints it and expects it empty; the tests use it the same way.
"""

from __future__ import annotations

from .config import WORKSHOP_TAG, WorkshopConfig


def _tags(items) -> dict:
    return {t["Key"]: t["Value"] for t in items or []}


def _ours(tags: dict, cfg: WorkshopConfig) -> bool:
    return tags.get(WORKSHOP_TAG[0]) == WORKSHOP_TAG[1] and tags.get("participant", "default") == cfg.participant


def collect(cfg: WorkshopConfig, client, *, include_adopted: bool = False) -> list[dict]:
    """Rows {"type", "id", "name", "state"}; `client(name)` builds boto3 clients (utils.target.client).

    The stacks of an instructor's room (stack set instances, e.g. a pre-deployed stack that notebook 01 adopted;
    see `stack.is_instructors`) and their resources are the instructor's to remove: they are left out unless
    `include_adopted` (the instructor's own check).
    """
    rows = _collect(cfg, client)
    stacks = {r["id"] for r in rows if r["type"] == "cloudformation stack"}
    if include_adopted or not stacks:
        return rows
    from . import stack

    cfn = client("cloudformation", cfg.region)
    theirs: set[str] = set()
    for name in stacks:
        desc = stack.describe(cfn, name)
        if desc is None or not stack.is_instructors(desc):
            continue
        theirs.add(name)
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=desc["StackId"]):
            theirs.update(r["PhysicalResourceId"] for r in page["StackResourceSummaries"]
                          if r.get("PhysicalResourceId"))
    return [r for r in rows if r["id"] not in theirs]


def _collect(cfg: WorkshopConfig, client) -> list[dict]:
    rows: list[dict] = []
    region = cfg.region
    ec2 = client("ec2", region)
    cfn = client("cloudformation", region)
    lam = client("lambda", region)
    iam = client("iam", region)

    # CloudFormation: the stack by name, plus any live stack carrying our tags.
    paginator = cfn.get_paginator("describe_stacks")
    for page in paginator.paginate():
        for s in page["Stacks"]:
            if s["StackStatus"] == "DELETE_COMPLETE":
                continue
            if s["StackName"] == cfg.stack_name or _ours(_tags(s.get("Tags")), cfg):
                rows.append({"type": "cloudformation stack", "id": s["StackName"], "name": s["StackName"],
                             "state": s["StackStatus"]})

    filters = cfg.tag_filters
    vpcs = ec2.describe_vpcs(Filters=filters)["Vpcs"]
    vpc_ids = [v["VpcId"] for v in vpcs]
    for v in vpcs:
        rows.append({"type": "vpc", "id": v["VpcId"], "name": _tags(v.get("Tags")).get("Name", ""),
                     "state": v.get("State", "")})
    in_vpcs = [{"Name": "vpc-id", "Values": vpc_ids}] if vpc_ids else None

    def tagged_or_in_vpc(describe, key, id_key, state=lambda r: ""):
        found = {}
        for r in describe(Filters=filters)[key]:
            found[r[id_key]] = r
        if in_vpcs:
            for r in describe(Filters=in_vpcs)[key]:
                found[r[id_key]] = r
        return found.values()

    for s in tagged_or_in_vpc(ec2.describe_subnets, "Subnets", "SubnetId"):
        rows.append({"type": "subnet", "id": s["SubnetId"], "name": _tags(s.get("Tags")).get("Name", ""),
                     "state": s.get("State", "")})
    for rt in tagged_or_in_vpc(ec2.describe_route_tables, "RouteTables", "RouteTableId"):
        if any(a.get("Main") for a in rt.get("Associations", [])):
            continue  # the VPC's main route table goes with the VPC
        rows.append({"type": "route table", "id": rt["RouteTableId"], "name": _tags(rt.get("Tags")).get("Name", ""),
                     "state": ""})
    for sg in tagged_or_in_vpc(ec2.describe_security_groups, "SecurityGroups", "GroupId"):
        if sg.get("GroupName") == "default":
            continue  # every VPC has one; it goes with the VPC
        rows.append({"type": "security group", "id": sg["GroupId"], "name": sg.get("GroupName", ""), "state": ""})
    endpoints = {}
    for e in ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]:
        endpoints[e["VpcEndpointId"]] = e
    if in_vpcs:
        for e in ec2.describe_vpc_endpoints(Filters=in_vpcs)["VpcEndpoints"]:
            endpoints[e["VpcEndpointId"]] = e
    for e in endpoints.values():
        if e["State"].lower() == "deleted":
            continue
        rows.append({"type": "vpc endpoint", "id": e["VpcEndpointId"], "name": _tags(e.get("Tags")).get("Name", ""),
                     "state": e["State"]})

    # Functions and roles: tagged by the stack; found by listing, then reading their tags.
    function_names = []
    for page in lam.get_paginator("list_functions").paginate():
        for f in page["Functions"]:
            tags = lam.list_tags(Resource=f["FunctionArn"]).get("Tags", {})
            if _ours(tags, cfg):
                function_names.append(f["FunctionName"])
                rows.append({"type": "lambda function", "id": f["FunctionName"], "name": f["FunctionName"],
                             "state": f.get("State", "")})
    enis = {}
    if vpc_ids:
        for n in ec2.describe_network_interfaces(Filters=in_vpcs)["NetworkInterfaces"]:
            enis[n["NetworkInterfaceId"]] = n
    for name in function_names:
        for n in ec2.describe_network_interfaces(
                Filters=[{"Name": "description", "Values": [f"AWS Lambda VPC ENI-{name}*"]}])["NetworkInterfaces"]:
            enis[n["NetworkInterfaceId"]] = n
    for n in enis.values():
        rows.append({"type": "network interface", "id": n["NetworkInterfaceId"], "name": n.get("Description", ""),
                     "state": n.get("Status", "")})

    for page in iam.get_paginator("list_roles").paginate():
        for r in page["Roles"]:
            lowered = r["RoleName"].lower()
            # Only roles whose name points at this workshop are opened (an account can hold many roles).
            if not ("bedrock" in lowered or "genai" in lowered or cfg.stack_name.lower() in lowered):
                continue
            tags = _tags(iam.list_role_tags(RoleName=r["RoleName"]).get("Tags"))
            if _ours(tags, cfg):
                rows.append({"type": "iam role", "id": r["RoleName"], "name": r["Arn"].split(":role/")[-1],
                             "state": ""})
    rows += inventory_rows(cfg, client)
    return rows


# ---------------------------------------------------------------- finding what notebook 06 created (07, inventory)


def find_network(cfg, client) -> dict:
    """Notebook 06's resources of this participant that still exist, found by their workshop tags:
    {"transit_gateways", "attachments", "resolver_endpoints", "resolver_rules", "rule_associations", "zones"}."""
    ec2 = client("ec2", cfg.region)
    resolver = client("route53resolver", cfg.region)
    r53 = client("route53", cfg.region)
    found: dict = {}
    found["transit_gateways"] = [g for g in ec2.describe_transit_gateways(Filters=cfg.tag_filters)["TransitGateways"]
                                 if g["State"] != "deleted"]
    tgw_ids = [g["TransitGatewayId"] for g in found["transit_gateways"]]
    found["attachments"] = [a for a in ec2.describe_transit_gateway_vpc_attachments(
        Filters=[{"Name": "transit-gateway-id", "Values": tgw_ids}])["TransitGatewayVpcAttachments"]
        if a["State"] not in ("deleted", "failed", "rejected")] if tgw_ids else []

    def tagged(arn: str) -> bool:
        try:
            found_tags = resolver.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
        except resolver.exceptions.ResourceNotFoundException:
            return False  # deleted between the list and this read (an endpoint or rule that was DELETING)
        return _ours({t["Key"]: t["Value"] for t in found_tags}, cfg)

    found["resolver_endpoints"] = [e for e in resolver.list_resolver_endpoints()["ResolverEndpoints"]
                                   if tagged(e["Arn"])]
    found["resolver_rules"] = [r for r in resolver.list_resolver_rules()["ResolverRules"]
                               if r.get("OwnerId") != "Route 53 Resolver" and tagged(r["Arn"])]
    rule_ids = {r["Id"] for r in found["resolver_rules"]}
    found["rule_associations"] = [a for a in resolver.list_resolver_rule_associations()["ResolverRuleAssociations"]
                                  if a["ResolverRuleId"] in rule_ids]
    # The zone carries the workshop's tags too, but it is found by the caller reference notebook 06 gives it
    # (<corporate stack name>-<VPC ID>), which needs no route53:ListTagsForResource (scoped to no account).
    found["zones"] = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Config"].get("PrivateZone")
                      and z.get("CallerReference", "").startswith(cfg.corporate_stack_name + "-vpc-")]
    return found


def inventory_rows(cfg, client) -> list[dict]:
    """Rows for utils.inventory: {"type", "id", "name", "state"}."""
    return network_rows(find_network(cfg, client))


def network_rows(found: dict) -> list[dict]:
    """find_network's answer as inventory rows (the instructor's status lists them as leftovers)."""
    def name_of(item) -> str:
        return {t["Key"]: t["Value"] for t in item.get("Tags", [])}.get("Name", "")

    rows = [{"type": "transit gateway", "id": g["TransitGatewayId"], "name": name_of(g), "state": g["State"]}
            for g in found["transit_gateways"]]
    rows += [{"type": "transit gateway attachment", "id": a["TransitGatewayAttachmentId"], "name": name_of(a),
              "state": a["State"]} for a in found["attachments"]]
    rows += [{"type": "resolver endpoint", "id": e["Id"], "name": e.get("Name", ""), "state": e["Status"]}
             for e in found["resolver_endpoints"]]
    rows += [{"type": "resolver rule", "id": r["Id"], "name": r.get("Name", ""), "state": r.get("Status", "")}
             for r in found["resolver_rules"]]
    rows += [{"type": "private hosted zone", "id": z["Id"].split("/")[-1], "name": z["Name"], "state": ""}
             for z in found["zones"]]
    return rows
