"""`python -m utils doctor`: inspect the live workshop and print a checklist, with the fix for every failure.

It reads the configuration (workshop_config.json, WORKSHOP_* variables) and the live state in AWS (or the
sandbox): the stack, the VPC's DNS attributes, the bedrock-runtime endpoint (state, policy, private DNS, security
groups, subnets), the function (VPC configuration, state, code, MODEL_ID), its role's policies (including whether
their aws:sourceVpce equals the endpoint), the model's lifecycle, and, once the stack is gone, what is left over.
Read-only: it never changes anything.

Policies are evaluated with the sandbox's pure evaluator (`iampolicy`, no moto import), which follows the
IAM evaluation rules, so the same check works on real AWS policies.

Exit status: 0 when every check passes (or the workshop is cleanly removed), 1 when a check fails.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

SECTIONS = ("config", "stack", "network", "endpoint", "function", "role", "model", "leftovers")


@dataclass
class Check:
    section: str
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "PASS" if self.ok else "FAIL"
        text = f"[{mark}] {self.section:<9} {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f"\n                 fix: {self.fix}"
        return text


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    state: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(self, section: str, name: str, ok: bool, detail: str, fix: str = "") -> Check:
        check = Check(section, name, bool(ok), detail, fix)
        self.checks.append(check)
        return check

    def text(self) -> str:
        lines = [c.line() for c in self.checks]
        failed = len(self.failures)
        lines.append("")
        lines.append("Healthy: every check passed." if not failed else
                     f"{failed} problem(s) found; each FAIL line says how to fix it.")
        return "\n".join(lines)

    def table(self):
        from .display import table

        return table([{"section": c.section, "check": c.name, "result": "pass" if c.ok else "FAIL",
                       "detail": c.detail, "fix": "" if c.ok else c.fix} for c in self.checks],
                     ["section", "check", "result", "detail", "fix"])

    def _repr_markdown_(self) -> str:
        rows = ["| | section | check | detail | fix |", "|---|---|---|---|---|"]
        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", " ")

        for c in self.checks:
            rows.append(f"| {'✅' if c.ok else '❌'} | {c.section} | {cell(c.name)} | {cell(c.detail)} | "
                        f"{'' if c.ok else cell(c.fix)} |")
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.text()


# ---------------------------------------------------------------- live state


def _tags(items) -> dict:
    return {t["Key"]: t["Value"] for t in items or []}


def _policy_doc(value) -> dict | str:
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def role_policies(iam, role_name: str) -> list[tuple[str, dict]]:
    """The role's inline policies and attached managed policies (default version), as (name, document)."""
    docs: list[tuple[str, dict]] = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        docs.append((name, _policy_doc(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])))
    for att in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        try:
            pol = iam.get_policy(PolicyArn=att["PolicyArn"])["Policy"]
            ver = iam.get_policy_version(PolicyArn=att["PolicyArn"], VersionId=pol["DefaultVersionId"])
            docs.append((att["PolicyName"], _policy_doc(ver["PolicyVersion"]["Document"])))
        except Exception:  # an AWS-managed policy we may not read: skip it, say nothing false
            continue
    return docs


def gather(cfg, client) -> dict:
    """The live state the checks and the explainer need. `client(service, region)` builds boto3 clients."""
    from botocore.exceptions import ClientError

    from . import endpoint as ep_mod
    from . import lambda_fn, stack

    s: dict = {"cfg": cfg, "errors": {}}
    region = cfg.region
    cfn = client("cloudformation", region)
    ec2 = client("ec2", region)
    s["stack"] = desc = stack.describe(cfn, cfg.stack_name)
    s["outputs"] = out = stack.outputs_of(desc) if desc else {}
    if not out.get("VpcId"):
        return s
    vpc_id = out["VpcId"]
    s["dns"] = {a: ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=a)[a[0].upper() + a[1:]]["Value"]
                for a in ("enableDnsSupport", "enableDnsHostnames")}
    subnet_ids = [x for x in (out.get("PrivateSubnet1Id"), out.get("PrivateSubnet2Id")) if x]
    s["subnets"] = {sn["SubnetId"]: sn for sn in ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]} \
        if subnet_ids else {}
    s["route_tables"] = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    s["endpoint"] = ep = ep_mod.find(ec2, vpc_id, ep_mod.service_name(region), cfg.endpoint_name) or \
        ep_mod.find(ec2, vpc_id, ep_mod.service_name(region))
    service = ec2.describe_vpc_endpoint_services(ServiceNames=[ep_mod.service_name(region)])["ServiceDetails"]
    s["service_azs"] = service[0]["AvailabilityZones"] if service else []
    group_ids = {g for g in (out.get("EndpointSecurityGroupId"), out.get("LambdaSecurityGroupId")) if g}
    if ep:
        s["endpoint_ips"] = ep_mod.private_ips(ep_mod.interfaces(ec2, ep))
        group_ids |= {g["GroupId"] for g in ep.get("Groups", [])}
        ep_subnets = [x for x in ep.get("SubnetIds", []) if x not in s["subnets"]]
        if ep_subnets:
            for sn in ec2.describe_subnets(SubnetIds=ep_subnets)["Subnets"]:
                s["subnets"][sn["SubnetId"]] = sn
    lam = client("lambda", region)
    try:
        s["function"] = fn = lam.get_function_configuration(FunctionName=out["FunctionName"])
    except ClientError as exc:
        s["function"] = fn = None
        s["errors"]["function"] = exc.response["Error"].get("Message", str(exc))
    if fn:
        group_ids |= set((fn.get("VpcConfig") or {}).get("SecurityGroupIds") or [])
        missing = [x for x in (fn.get("VpcConfig") or {}).get("SubnetIds") or [] if x not in s["subnets"]]
        if missing:
            for sn in ec2.describe_subnets(SubnetIds=missing)["Subnets"]:
                s["subnets"][sn["SubnetId"]] = sn
        s["function_enis"] = lambda_fn.function_enis(ec2, fn["FunctionName"], vpc_id) if lambda_fn.in_vpc(fn) else []
        s["code_current"] = fn.get("CodeSha256") == stack.code_sha256(stack.lambda_zip())
    groups = ec2.describe_security_groups(GroupIds=sorted(group_ids))["SecurityGroups"] if group_ids else []
    s["groups"] = {g["GroupId"]: g for g in groups}
    iam = client("iam", region)
    if out.get("FunctionRoleName"):
        try:
            s["role_policies"] = role_policies(iam, out["FunctionRoleName"])
        except ClientError as exc:
            s["role_policies"] = []
            s["errors"]["role"] = exc.response["Error"].get("Message", str(exc))
    s["model"] = model_facts(client("bedrock", region), cfg.model_id, region)
    fn_model = ((fn or {}).get("Environment") or {}).get("Variables", {}).get("MODEL_ID")
    s["function_model"] = fn_model
    if fn_model and fn_model != cfg.model_id:
        s["function_model_facts"] = model_facts(client("bedrock", region), fn_model, region)
    return s


def model_facts(bedrock, model_id: str, region: str) -> dict:
    """{"model_id", "base", "status" (ACTIVE/LEGACY/END_OF_LIFE/UNKNOWN), "arns", "error", "current": [...]}."""
    from botocore.exceptions import ClientError

    from . import models, validation

    _, base = validation.split_model_id(model_id)
    facts = {"model_id": model_id, "base": base, "status": "UNKNOWN", "arns": [], "error": None, "current": []}
    try:
        details = bedrock.get_foundation_model(modelIdentifier=base)["modelDetails"]
        facts["status"] = (details.get("modelLifecycle") or {}).get("status", "UNKNOWN")
        facts["arns"] = models.resource_arns(bedrock, model_id, region)
    except ClientError as exc:
        facts["error"] = f"{exc.response['Error']['Code']}: {exc.response['Error'].get('Message', '')}"
        if "end of its life" in facts["error"] or exc.response["Error"]["Code"] in (
                "ResourceNotFoundException", "ValidationException"):
            # GetFoundationModel answers "Could not resolve the foundation model" for a retired model too.
            facts["status"] = "END_OF_LIFE" if "end of its life" in facts["error"] else \
                "NOT FOUND (end of life, or not offered in this region)"
    if facts["status"] != "ACTIVE":
        facts["current"] = current_models(bedrock, region)
    return facts


def current_models(bedrock, region: str, limit: int = 5) -> list[str]:
    """Active models and profiles the region offers, the low-cost default first."""
    from . import models

    try:
        offered = models.offered_ids(models.catalog(bedrock))
    except Exception:  # the list itself failed: fall back to the default
        offered = []
    default = models.default_model_id(region, offered)
    return [default] + [m for m in offered if m != default][: limit - 1]


# ---------------------------------------------------------------- policy evaluation (pure)


def session_arn(role_arn: str, session: str) -> str:
    """arn:aws:iam::A:role/path/R -> arn:aws:sts::A:assumed-role/R/session (what AWS reports for a role session)."""
    account = role_arn.split(":")[4]
    return f"arn:aws:sts::{account}:assumed-role/{role_arn.split('/')[-1]}/{session}"


def request(action: str, resource: str, role_arn: str, session: str, context: dict | None = None):
    import iampolicy as policy

    return policy.RequestContext(action=action, resource=resource, principal_arn=session_arn(role_arn, session),
                                 principal_account=role_arn.split(":")[4], role_arn=role_arn,
                                 context=dict(context or {}))


def evaluate_endpoint(doc, rc) -> tuple[str, str, str]:
    """(decision "Allow"/"Deny"/"NotApplicable", what decided, fix) for an endpoint policy and one request."""
    import iampolicy as policy

    try:
        result = policy.evaluate_policy(doc, rc, name="endpoint policy", kind="resource")
    except policy.PolicyError as exc:
        return "NotApplicable", f"the endpoint policy cannot be evaluated: {exc}", \
            "Rebuild it with utils.policies.endpoint_policy and apply it with ec2.modify_vpc_endpoint (notebook 02)."
    if result.decision == "Deny":
        m = result.deny
        return "Deny", f"{m.describe()} matches {rc.action} on {rc.resource}", \
            "Set the statement's Effect back to Allow: re-run notebook 02 (or the restore step of notebook 05)."
    if result.decision == "Allow":
        return "Allow", f"{result.allow.describe()} allows {rc.action} on {rc.resource}", ""
    return "NotApplicable", _why_no_allow(result, rc, "endpoint"), _fix_no_allow(result, "endpoint")


def evaluate_identity(docs: list[tuple[str, dict]], rc) -> tuple[str, str, str]:
    """(decision, what decided, fix) for the role's policies and one request (no endpoint policy involved)."""
    import iampolicy as policy

    results = []
    for name, doc in docs:
        try:
            results.append(policy.evaluate_policy(doc, rc, name=f"identity policy {name}", kind="identity"))
        except policy.PolicyError as exc:
            return "NotApplicable", f"identity policy {name} cannot be evaluated: {exc}", \
                "Rebuild it with utils.policies (notebook 03)."
    deny = next((r.deny for r in results if r.deny), None)
    if deny:
        return "Deny", f"{deny.describe()} matches {rc.action} on {rc.resource}", \
            f"Remove the Deny statement from {deny.policy_name.removeprefix('identity policy ')}."
    allow = next((r.allow for r in results if r.allow), None)
    if allow:
        return "Allow", f"{allow.describe()} allows {rc.action} on {rc.resource}", ""
    merged = policy.PolicyResult("NotApplicable")
    for r in results:
        merged.near_misses.extend(r.near_misses)
        merged.partial_matches.extend(r.partial_matches)
    return "NotApplicable", _why_no_allow(merged, rc, "identity"), _fix_no_allow(merged, "identity")


def _src_vpce(rc) -> str | None:
    return next((v for k, v in rc.context.items() if k.lower() == "aws:sourcevpce"), None)


def _why_no_allow(result, rc, kind: str) -> str:
    where = "the endpoint policy" if kind == "endpoint" else "the role's identity policies"
    for miss in result.near_misses:
        allow = miss["effect"] == "Allow"
        for f in miss["failures"]:
            if f["key"].lower() == "aws:sourcevpce" and allow:
                wanted = f["expected"][0] if len(f["expected"]) == 1 else f["expected"]
                came = _src_vpce(rc)
                how = f"the call came through {came}" if came else \
                    "the call did not come through a VPC endpoint (no aws:sourceVpce in the request)"
                return (f"{miss['policy_name']} statement {miss['index']} allows {rc.action} only when "
                        f"aws:sourceVpce = {wanted}, but {how}")
        if allow:
            return f"{miss['policy_name']} statement {miss['index']} would allow it, but its Condition is false: " \
                   f"{miss['message']}"
    for miss in result.partial_matches:
        if miss["effect"] != "Allow":
            continue
        if miss["element"] == "Principal":
            return (f"{miss['policy_name']} statement {miss['index']} allows {rc.action} only for Principal "
                    f"{', '.join(miss['expected'])}, not the caller {rc.role_arn or rc.principal_arn}")
        if miss["element"] == "Resource":
            return (f"{miss['policy_name']} statement {miss['index']} allows {rc.action}, but its Resource does not "
                    f"list {rc.resource}")
        return f"{miss['policy_name']} statement {miss['index']}: {miss['message']}"
    return f"no statement in {where} allows {rc.action} on {rc.resource}"


def _fix_no_allow(result, kind: str) -> str:
    for miss in result.near_misses:
        if any(f["key"].lower() == "aws:sourcevpce" for f in miss["failures"]):
            return ("Make the condition's aws:sourceVpce the bedrock-runtime endpoint's ID and make the call go "
                    "through it: re-run notebook 03 (it rebuilds lambda-bedrock-sourcevpce-access-only with the "
                    "current endpoint ID and attaches the function to the VPC).")
    for miss in result.partial_matches:
        if miss["element"] == "Principal":
            return ("Set the endpoint policy's Principal to the function's role ARN (stack output FunctionRoleArn): "
                    "re-run notebook 02, which rebuilds the policy with utils.policies.endpoint_policy.")
        if miss["element"] == "Resource":
            what = "the endpoint policy" if kind == "endpoint" else "the role's inline policy"
            nb = "02" if kind == "endpoint" else "03"
            return (f"Add the missing ARN to {what}'s Resource: an inference profile needs the profile ARN and the "
                    f"foundation-model ARN of every destination Region (utils.models.resource_arns). Re-run "
                    f"notebook {nb}.")
    if kind == "endpoint":
        return "Re-run notebook 02: it rebuilds the endpoint policy for the function's role and the model's ARNs."
    return "Re-run notebook 03: it puts the two inline policies on the function's role."


# ---------------------------------------------------------------- the network path


def path_links(s: dict) -> list[dict]:
    """The links from the function to bedrock-runtime, in order: [{"name", "ok", "detail", "fix"}].

    The first link that is not ok is where a call times out.
    """
    out, fn, ep = s.get("outputs") or {}, s.get("function"), s.get("endpoint")
    links: list[dict] = []

    def link(name, ok, detail, fix=""):
        links.append({"name": name, "ok": bool(ok), "detail": detail, "fix": "" if ok else fix})

    if not out:
        link("stack", False, "the stack does not exist, so there is no VPC and no function",
             "Run notebooks 01 to 03.")
        return links
    vpc = (fn or {}).get("VpcConfig") or {}
    in_vpc = bool(vpc.get("VpcId")) and bool(vpc.get("SubnetIds"))
    link("function in the VPC", in_vpc and vpc.get("VpcId") == out["VpcId"],
         f"{out.get('FunctionName')} is attached to {vpc.get('VpcId')} subnets {vpc.get('SubnetIds')}" if in_vpc
         else f"{out.get('FunctionName')} is not attached to a VPC: it calls the public bedrock-runtime endpoint, "
              "so its requests carry no aws:sourceVpce",
         "Attach it to the private subnets and the Lambda security group: notebook 03, step 3 "
         "(lam.update_function_configuration(VpcConfig=...)).")
    dns = s.get("dns") or {}
    link("VPC DNS support", dns.get("enableDnsSupport", False),
         f"enableDnsSupport is {'on' if dns.get('enableDnsSupport') else 'off'} in {out['VpcId']}",
         f"ec2.modify_vpc_attribute(VpcId='{out['VpcId']}', EnableDnsSupport={{'Value': True}})")
    link("endpoint exists", ep is not None,
         f"{ep['VpcEndpointId']} for bedrock-runtime in {out['VpcId']}" if ep else
         f"no bedrock-runtime interface endpoint in {out['VpcId']}", "Run notebook 02.")
    if ep is None:
        return links
    state = ep["State"].lower()
    link("endpoint available", state == "available", f"{ep['VpcEndpointId']} is {ep['State']}",
         "Wait for it (notebook 02 waits); if it is failed, run 06 and start again from 01.")
    link("endpoint private DNS", ep.get("PrivateDnsEnabled"),
         f"private DNS is {'on' if ep.get('PrivateDnsEnabled') else 'off'} for {ep['VpcEndpointId']}"
         + ("" if ep.get("PrivateDnsEnabled") else
            ": bedrock-runtime.<region>.amazonaws.com resolves to public addresses, unreachable without a NAT"),
         f"ec2.modify_vpc_endpoint(VpcEndpointId='{ep['VpcEndpointId']}', PrivateDnsEnabled=True)")
    link("VPC DNS hostnames", dns.get("enableDnsHostnames", False),
         f"enableDnsHostnames is {'on' if dns.get('enableDnsHostnames') else 'off'} in {out['VpcId']}"
         + ("" if dns.get("enableDnsHostnames") else ": the endpoint's private DNS name does not apply"),
         f"ec2.modify_vpc_attribute(VpcId='{out['VpcId']}', EnableDnsHostnames={{'Value': True}})")
    subnets = s.get("subnets") or {}
    ep_azs = {subnets[x]["AvailabilityZone"] for x in ep.get("SubnetIds", []) if x in subnets}
    fn_azs = {subnets[x]["AvailabilityZone"] for x in vpc.get("SubnetIds") or [] if x in subnets}
    uncovered = sorted(fn_azs - ep_azs)
    link("endpoint serves the function's AZs", not uncovered,
         f"endpoint subnets in {sorted(ep_azs)}; function subnets in {sorted(fn_azs) or 'none'}"
         + (f"; {uncovered} not served" if uncovered else ""),
         f"Add a subnet in {uncovered} to the endpoint (ec2.modify_vpc_endpoint(AddSubnetIds=[...])), choosing AZs "
         f"the service offers ({s.get('service_azs')}).")
    groups = s.get("groups") or {}
    fn_groups = set(vpc.get("SecurityGroupIds") or [out.get("LambdaSecurityGroupId")])
    ep_groups = [g["GroupId"] for g in ep.get("Groups", [])]
    ingress = _sg_allows(groups, ep_groups, "IpPermissions", fn_groups, _fn_ips(s))
    link("endpoint SG allows 443 from the function", ingress,
         f"endpoint group(s) {ep_groups} {'allow' if ingress else 'allow no'} TCP 443 from {sorted(fn_groups)}",
         f"ec2.authorize_security_group_ingress(GroupId='{ep_groups[0] if ep_groups else '?'}', IpPermissions=[{{"
         f"'IpProtocol': 'tcp', 'FromPort': 443, 'ToPort': 443, 'UserIdGroupPairs': [{{'GroupId': "
         f"'{sorted(fn_groups)[0]}'}}]}}])")
    egress = _sg_allows(groups, sorted(fn_groups), "IpPermissionsEgress", set(ep_groups), _endpoint_ips(s))
    link("function SG allows 443 out", egress,
         f"function group(s) {sorted(fn_groups)} {'allow' if egress else 'allow no'} TCP 443 egress to the endpoint",
         "Add an egress rule TCP 443 to the VPC CIDR to the Lambda security group (the template has one).")
    return links


def _fn_ips(s: dict) -> list[str]:
    return [n.get("PrivateIpAddress") for n in s.get("function_enis") or [] if n.get("PrivateIpAddress")]


def _endpoint_ips(s: dict) -> list[str]:
    return list(s.get("endpoint_ips") or [])


def _sg_allows(groups: dict, group_ids, key: str, peer_groups: set, peer_ips: list[str]) -> bool:
    import ipaddress

    for gid in group_ids:
        for perm in (groups.get(gid) or {}).get(key, []):
            proto = str(perm.get("IpProtocol", "")).lower()
            if proto not in ("-1", "tcp", "6"):
                continue
            if proto != "-1" and perm.get("FromPort") is not None and not (
                    perm["FromPort"] <= 443 <= perm.get("ToPort", perm["FromPort"])):
                continue
            if any(p.get("GroupId") in peer_groups for p in perm.get("UserIdGroupPairs", [])):
                return True
            for r in perm.get("IpRanges", []):
                net = ipaddress.ip_network(r["CidrIp"], strict=False)
                if net.prefixlen == 0 or (peer_ips and all(ipaddress.ip_address(ip) in net for ip in peer_ips)):
                    return True
                if not peer_ips and key == "IpPermissionsEgress" and net.prefixlen <= 16:
                    return True  # egress to the VPC CIDR (the endpoint's IPs are unknown here)
    return False


def first_broken_link(s: dict) -> dict | None:
    return next((link for link in path_links(s) if not link["ok"]), None)


# ---------------------------------------------------------------- the checklist


def diagnose(cfg, client) -> Report:
    """Gather the live state and run every check."""
    s = gather(cfg, client)
    report = Report(state=s)
    check_all(report, s, client)
    return report


def check_all(report: Report, s: dict, client) -> None:
    cfg = s["cfg"]
    out, desc = s.get("outputs") or {}, s.get("stack")
    report.add("config", "configuration", True,
               f"target {cfg.target}, region {cfg.region}, model {cfg.model_id}, stack {cfg.stack_name}")
    if desc is None:
        _leftovers(report, cfg, client)
        return
    from . import stack as stack_mod

    stable = desc["StackStatus"] in stack_mod.STABLE
    report.add("stack", "stack status", stable, f"{cfg.stack_name} is {desc['StackStatus']}",
               "Re-run notebook 01 (it waits for, or recreates, a failed stack); read its FAILED events.")
    missing = [k for k in stack_mod.OUTPUT_KEYS if k not in out]
    report.add("stack", "stack outputs", not missing,
               "all outputs present" if not missing else f"missing outputs {missing}",
               "The stack was not made from cfn/bedrock-privatelink.yaml: run 06, then 01.")
    if missing:
        return
    public = [rt["RouteTableId"] for rt in s.get("route_tables", []) for r in rt.get("Routes", [])
              if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    report.add("network", "subnets are private", not public,
               "no route to the internet" if not public else f"route tables with a default route: {public}",
               "Remove the 0.0.0.0/0 routes: the workshop's subnets must have no internet path.")
    links = path_links(s)
    for link in links:
        section = "function" if link["name"] == "function in the VPC" else (
            "network" if link["name"].startswith("VPC") else "endpoint")
        report.add(section, link["name"], link["ok"], link["detail"], link["fix"])
    _endpoint_policy_checks(report, s)
    _function_checks(report, s)
    _role_checks(report, s)
    _model_checks(report, s)


def _session(s: dict) -> str:
    return (s.get("outputs") or {}).get("FunctionName") or "session"


def _endpoint_policy_checks(report: Report, s: dict) -> None:
    ep, out, model = s.get("endpoint"), s["outputs"], s.get("model") or {}
    if ep is None:
        return
    if not model.get("arns"):
        report.add("endpoint", "endpoint policy", False, "the model's ARNs are unknown (see the model check)",
                   "Choose a current model in notebook 00, then re-run 02.")
        return
    doc = ep.get("PolicyDocument") or ""
    problems, fixes = [], []
    for arn in model["arns"]:
        context = {"aws:SourceVpce": ep["VpcEndpointId"], "aws:SourceVpc": out["VpcId"]}
        if ":foundation-model/" in arn and model["arns"][0] != arn:
            context["bedrock:InferenceProfileArn"] = model["arns"][0]
        rc = request("bedrock:InvokeModel", arn, out["FunctionRoleArn"], _session(s), context)
        decision, why, fix = evaluate_endpoint(doc, rc)
        if decision != "Allow":
            problems.append(why)
            fixes.append(fix)
    report.add("endpoint", "endpoint policy allows the function's role on every model ARN", not problems,
               "; ".join(problems) if problems else
               f"Allow for {out['FunctionRoleArn'].split('/')[-1]} on {len(model['arns'])} ARN(s)",
               fixes[0] if fixes else "")


def _function_checks(report: Report, s: dict) -> None:
    fn, out = s.get("function"), s["outputs"]
    if fn is None:
        report.add("function", "function exists", False,
                   f"{out.get('FunctionName')}: {s['errors'].get('function', 'not found')}",
                   "Re-run notebook 01 (the stack creates the function).")
        return
    ready = fn.get("State", "Active") == "Active" and fn.get("LastUpdateStatus", "Successful") == "Successful"
    report.add("function", "function state", ready,
               f"State {fn.get('State')}, LastUpdateStatus {fn.get('LastUpdateStatus')}"
               + (f" ({fn.get('StateReason') or fn.get('LastUpdateStatusReason')})" if not ready else ""),
               "Wait for the update to finish (utils.lambda_fn.wait_updated); if it Failed, read the reason and "
               "re-run notebook 03.")
    report.add("function", "function code deployed", s.get("code_current", False),
               "runs the code in lambda/" if s.get("code_current") else
               "the deployed code differs from lambda/ (still the placeholder?)", "Re-run notebook 01, step 4.")
    cfg = s["cfg"]
    model = s.get("function_model")
    report.add("function", "function MODEL_ID", model == cfg.model_id,
               f"MODEL_ID={model} (configured: {cfg.model_id})",
               "Re-run notebook 01 (it sets MODEL_ID to the configured model), then 02 and 03 for the policies.")


def _role_checks(report: Report, s: dict) -> None:
    from . import policies

    out, ep, model = s["outputs"], s.get("endpoint"), s.get("model") or {}
    docs = s.get("role_policies") or []
    names = {n for n, _ in docs}
    missing = [n for n in policies.INLINE_POLICY_NAMES if n not in names]
    report.add("role", "inline policies", not missing,
               f"{out['FunctionRoleName']} has {sorted(names)}" if not missing else
               f"{out['FunctionRoleName']} lacks {missing}", "Re-run notebook 03, step 1.")
    source = dict(docs).get(policies.SOURCEVPCE_POLICY_NAME)
    if source is not None and ep is not None:
        ids = _sourcevpce_values(source)
        report.add("role", "aws:sourceVpce matches the endpoint", ep["VpcEndpointId"] in ids,
                   f"the condition names {sorted(ids) or 'no endpoint'}; the endpoint is {ep['VpcEndpointId']}",
                   "Re-run notebook 03: it rebuilds lambda-bedrock-sourcevpce-access-only with the current "
                   "endpoint ID.")
    if ep is None or not model.get("arns") or not docs:
        return
    problems, fixes = [], []
    for arn in model["arns"]:
        context = {"aws:SourceVpce": ep["VpcEndpointId"], "aws:SourceVpc": out["VpcId"]}
        rc = request("bedrock:InvokeModel", arn, out["FunctionRoleArn"], _session(s), context)
        decision, why, fix = evaluate_identity(docs, rc)
        if decision != "Allow":
            problems.append(why)
            fixes.append(fix)
    report.add("role", "role allows bedrock:InvokeModel through the endpoint", not problems,
               "; ".join(problems) if problems else f"allowed on {len(model['arns'])} ARN(s) via {ep['VpcEndpointId']}",
               fixes[0] if fixes else "")


def _sourcevpce_values(doc) -> set[str]:
    found: set[str] = set()
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    for st in statements if isinstance(statements, list) else [statements]:
        if st.get("Effect") != "Allow" or "bedrock:InvokeModel" not in str(st.get("Action")):
            continue
        for values in (st.get("Condition") or {}).values():
            for key, v in values.items():
                if key.lower() == "aws:sourcevpce":
                    found |= set(v if isinstance(v, list) else [v])
    return found


def _model_checks(report: Report, s: dict) -> None:
    for facts in [s.get("model"), s.get("function_model_facts")]:
        if not facts:
            continue
        ok = facts["status"] == "ACTIVE"
        detail = f"{facts['model_id']} ({facts['base']}): {facts['status']}"
        if facts.get("error"):
            detail += f" ({facts['error']})"
        report.add("model", f"model lifecycle of {facts['model_id']}", ok, detail,
                   f"Choose a current model, e.g. {', '.join(facts['current'][:3])}: re-run notebook 00, then 01-03."
                   if facts.get("current") else "Choose a current model in notebook 00, then re-run 01-03.")


def _leftovers(report: Report, cfg, client) -> None:
    from . import inventory

    rows = inventory.collect(cfg, client)
    report.add("stack", "stack", True, f"{cfg.stack_name} does not exist (not deployed yet, or cleaned up)")
    report.add("leftovers", "nothing left after cleanup", not rows,
               "no resource of the workshop remains" if not rows else
               "still there: " + ", ".join(f"{r['type']} {r['id']}" for r in rows),
               "Run notebook 06 again (it removes endpoints, ENIs, policies and the stack from any state); "
               "`python -m utils inventory` lists what remains.")


# ---------------------------------------------------------------- command line


def live_path_view(cfg) -> str | None:
    """The issue-6 live path view (utils.pathview), when that module is present."""
    try:
        from . import pathview
    except ImportError:
        return None
    try:
        return pathview.render_text(pathview.path_hops(cfg))
    except Exception as exc:  # the view is a bonus; the checklist stands on its own
        return f"(path view unavailable: {exc})"


def main(argv: list[str] | None = None) -> int:
    from . import config, target

    argv = list(argv or [])
    try:
        cfg = config.load()
    except ValueError as exc:
        print(f"[FAIL] config    configuration: {exc}\n                 fix: run notebook 00 and save.")
        return 1
    target.activate(cfg.target)
    report = diagnose(cfg, target.client)
    print(f"Workshop doctor: {cfg.target} {cfg.region}, participant {cfg.participant}\n")
    print(report.text())
    if "--no-path" not in argv and report.state.get("outputs"):
        view = live_path_view(cfg)
        if view:
            print("\nLive path:\n" + view)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
