"""A live view of the private path: function -> endpoint -> Amazon Bedrock, green or red, with the reason.

`path_hops(cfg)` reads the current state from AWS (or the sandbox) and returns three hops:

- **function**: the AWS Lambda function exists, is Active with its last update Successful, and runs in the
  stack's VPC, in private subnets, with the function's security group.
- **endpoint**: the bedrock-runtime interface endpoint is available in that VPC, with private DNS on; the VPC
  has DNS support and DNS hostnames on; the endpoint's security group allows TCP 443 from the function's; and
  the endpoint policy lets the function's role call `bedrock:InvokeModel` on every ARN the model needs.
- **Amazon Bedrock**: the role's own policies allow that call when it arrives through this endpoint
  (`aws:sourceVpce`), so Amazon Bedrock accepts it.

Each hop is {"name", "ok", "detail", "fix", "checks": [{"name", "ok", "detail", "fix"}]}. Policies are
evaluated with the sandbox's pure IAM evaluator (`iampolicy`, no moto, no network), which follows AWS's
documented evaluation logic: an explicit Deny wins; otherwise both the identity-based policies and the
endpoint policy must allow.

`render(hops)` gives the notebook view (coloured boxes with the reasons, plus a Mermaid flowchart that
JupyterLab 4 renders); `render_text(hops)` gives plain lines for a terminal or a headless run.
"""

from __future__ import annotations

import html
import ipaddress
import json
import urllib.parse

HOPS = ("function", "endpoint", "Amazon Bedrock")
TITLES = {"function": "AWS Lambda function", "endpoint": "VPC endpoint (AWS PrivateLink)",
          "Amazon Bedrock": "Amazon Bedrock runtime"}
ACTION = "bedrock:InvokeModel"


def _check(name: str, ok: bool, detail: str, fix: str = "") -> dict:
    return {"name": name, "ok": bool(ok), "detail": detail, "fix": "" if ok else fix}


def _hop(name: str, checks: list[dict]) -> dict:
    failed = [c for c in checks if not c["ok"]]
    if failed:
        detail = "; ".join(f"{c['name']}: {c['detail']}" for c in failed)
        fix = failed[0]["fix"]
    else:
        detail = "; ".join(c["detail"] for c in checks)
        fix = ""
    return {"name": name, "ok": not failed and bool(checks), "detail": detail, "fix": fix, "checks": checks}


def _error_text(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        return f"{response['Error'].get('Code')}: {response['Error'].get('Message')}"
    return f"{type(exc).__name__}: {exc}"


def _policy_doc(doc) -> dict:
    if isinstance(doc, str):
        return json.loads(urllib.parse.unquote(doc) if doc.lstrip().startswith("%") else doc)
    return doc


def _allows_443(permissions: list[dict], peer_groups: set[str], cidr: str) -> bool:
    """Whether security-group rules allow TCP 443 from/to one of `peer_groups`, or from/to a range covering `cidr`."""
    net = ipaddress.ip_network(cidr)
    for p in permissions:
        proto = str(p.get("IpProtocol"))
        if proto not in ("tcp", "6", "-1"):
            continue
        if proto != "-1" and not (int(p.get("FromPort", 0)) <= 443 <= int(p.get("ToPort", 65535))):
            continue
        if any(g.get("GroupId") in peer_groups for g in p.get("UserIdGroupPairs", [])):
            return True
        for r in p.get("IpRanges", []):
            try:
                if net.subnet_of(ipaddress.ip_network(r["CidrIp"])):
                    return True
            except (KeyError, ValueError, TypeError):
                continue
    return False


# ---------------------------------------------------------------- state -> hops

def path_hops(cfg=None, client=None) -> list[dict]:
    """The three hops of the path, computed from the current state. Never raises for a missing piece."""
    from . import config, endpoint, models, stack, target

    cfg = cfg or config.load()
    client = client or target.client
    region = cfg.region
    cfn = client("cloudformation", region)
    try:
        out = stack.outputs(cfn, cfg.stack_name)
    except stack.StackMissing as exc:
        missing = _check("stack", False, str(exc), "Run notebook 01_stack.")
        return [_hop(name, [missing]) for name in HOPS]

    ec2 = client("ec2", region)
    lam = client("lambda", region)
    iam = client("iam", region)
    role_arn, role_name = out["FunctionRoleArn"], out["FunctionRoleName"]
    account = role_arn.split(":")[4]
    session_arn = f"arn:aws:sts::{account}:assumed-role/{role_name}/{out['FunctionName']}"

    # ---- function
    fn_checks: list[dict] = []
    function_sgs: set[str] = {out["LambdaSecurityGroupId"]}
    try:
        fn = lam.get_function_configuration(FunctionName=out["FunctionName"])
        state, update = fn.get("State", "Active"), fn.get("LastUpdateStatus", "Successful")
        fn_checks.append(_check("state", state == "Active" and update == "Successful",
                                f"{out['FunctionName']} is {state}, last update {update}",
                                "Wait for the update to finish (notebook 03 waits for it), then look again."))
        vpc = fn.get("VpcConfig") or {}
        subnets, groups = vpc.get("SubnetIds") or [], set(vpc.get("SecurityGroupIds") or [])
        function_sgs |= groups
        private = {out["PrivateSubnet1Id"], out["PrivateSubnet2Id"]}
        in_vpc = vpc.get("VpcId") == out["VpcId"] and bool(subnets) and set(subnets) <= private
        fn_checks.append(_check(
            "VPC", in_vpc and out["LambdaSecurityGroupId"] in groups,
            (f"in {out['VpcId']}, subnets {', '.join(sorted(subnets))}, security group "
             f"{', '.join(sorted(groups))}") if subnets else "not attached to a VPC (it would use the public endpoint)",
            "Run notebook 03: it attaches the function to the private subnets and its security group."))
    except Exception as exc:  # the function is gone, or we may not read it
        fn_checks.append(_check("function", False, _error_text(exc), "Run notebook 01 (it creates the function)."))

    # ---- endpoint: network, DNS, security groups, endpoint policy
    ep_checks: list[dict] = []
    ep = None
    try:
        ep = endpoint.find(ec2, out["VpcId"], endpoint.service_name(region), cfg.endpoint_name)
    except Exception as exc:
        ep_checks.append(_check("endpoint", False, _error_text(exc), "Check your permissions for ec2:Describe*."))
    if ep is None and not ep_checks:
        ep_checks.append(_check("endpoint", False, f"no bedrock-runtime endpoint named {cfg.endpoint_name} in "
                                f"{out['VpcId']}", "Run notebook 02_vpc_endpoint."))
    model_arns: list[str] = []
    if ep is not None:
        ep_id = ep["VpcEndpointId"]
        ep_checks.append(_check("state", ep["State"].lower() == "available", f"{ep_id} is {ep['State']}",
                                "Wait until it is available (notebook 02 waits), or recreate it with 02."))
        ep_checks.append(_check("private DNS", bool(ep.get("PrivateDnsEnabled")),
                                "private DNS on" if ep.get("PrivateDnsEnabled") else "private DNS off",
                                "Turn private DNS on: ec2.modify_vpc_endpoint(VpcEndpointId=..., "
                                "PrivateDnsEnabled=True); without it the SDK's hostname resolves to public IPs."))
        try:
            attrs = {name: ec2.describe_vpc_attribute(VpcId=out["VpcId"], Attribute=name)
                     [name[0].upper() + name[1:]]["Value"] for name in ("enableDnsSupport", "enableDnsHostnames")}
            ep_checks.append(_check("VPC DNS", all(attrs.values()),
                                    ", ".join(f"{k} {'on' if v else 'off'}" for k, v in attrs.items()),
                                    "Turn both on: ec2.modify_vpc_attribute(VpcId=..., EnableDnsSupport={'Value': "
                                    "True}) and the same for EnableDnsHostnames (the template sets them)."))
        except Exception as exc:
            ep_checks.append(_check("VPC DNS", False, _error_text(exc), "Check ec2:DescribeVpcAttribute."))
        ep_groups = [g["GroupId"] for g in ep.get("Groups", [])]
        try:
            sgs = ec2.describe_security_groups(GroupIds=ep_groups)["SecurityGroups"] if ep_groups else []
            ingress_ok = any(_allows_443(sg.get("IpPermissions", []), function_sgs, out["VpcCidr"]) for sg in sgs)
            ep_checks.append(_check("security group", ingress_ok,
                                    f"{', '.join(ep_groups) or 'no group'} "
                                    f"{'allows' if ingress_ok else 'does not allow'} TCP 443 from the function",
                                    "Add an inbound rule TCP 443 from the function's security group "
                                    f"({out['LambdaSecurityGroupId']}) to the endpoint's group."))
        except Exception as exc:
            ep_checks.append(_check("security group", False, _error_text(exc), "Check ec2:DescribeSecurityGroups."))
        try:
            model_arns = models.resource_arns(client("bedrock", region), cfg.model_id, region)
        except Exception as exc:
            ep_checks.append(_check("model ARNs", False, _error_text(exc), "Check the model ID saved by notebook 00."))

    # ---- policies: the endpoint policy (endpoint hop) and the role's own (Amazon Bedrock hop)
    br_checks: list[dict] = []
    if ep is not None and model_arns:
        identity_docs = _role_policies(iam, role_name, br_checks)
        ep_checks.append(_endpoint_policy_check(ep, model_arns, session_arn, role_arn, account, role_name))
        br_checks.append(_identity_check(ep, model_arns, session_arn, role_arn, account, role_name, identity_docs))
    elif not br_checks:
        br_checks.append(_check("policies", False, "not checked: the endpoint is missing",
                                "Fix the endpoint first (notebook 02), then notebook 03's policies."))
    return [_hop("function", fn_checks), _hop("endpoint", ep_checks), _hop("Amazon Bedrock", br_checks)]


def _role_policies(iam, role_name: str, problems: list[dict]) -> list[tuple[str, dict]]:
    docs: list[tuple[str, dict]] = []
    try:
        for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
            docs.append((name, _policy_doc(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])))
        for att in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
            pol = iam.get_policy(PolicyArn=att["PolicyArn"])["Policy"]
            version = iam.get_policy_version(PolicyArn=att["PolicyArn"], VersionId=pol["DefaultVersionId"])
            docs.append((att["PolicyName"], _policy_doc(version["PolicyVersion"]["Document"])))
    except Exception as exc:
        problems.append(_check("role policies", False, _error_text(exc), "Check iam:GetRolePolicy and "
                               "iam:ListRolePolicies for your identity."))
    return docs


def _request(arn: str, session_arn: str, role_arn: str, account: str, ep: dict):
    from iampolicy import RequestContext

    return RequestContext(action=ACTION, resource=arn, principal_arn=session_arn, principal_account=account,
                          role_arn=role_arn,
                          context={"aws:sourceVpce": ep["VpcEndpointId"], "aws:sourceVpc": ep["VpcId"]})


def _endpoint_policy_check(ep, model_arns, session_arn, role_arn, account, role_name) -> dict:
    from iampolicy import PolicyError, evaluate_policy

    doc = ep.get("PolicyDocument") or '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", ' \
                                      '"Resource": "*"}]}'
    denied, unallowed = [], []
    try:
        for arn in model_arns:
            result = evaluate_policy(_policy_doc(doc), _request(arn, session_arn, role_arn, account, ep),
                                     name="endpoint policy", kind="resource")
            if result.decision == "Deny":
                denied.append((arn, result.deny))
            elif result.decision != "Allow":
                unallowed.append(arn)
    except (PolicyError, ValueError) as exc:
        return _check("endpoint policy", False, f"cannot be read: {exc}", "Rebuild it with notebook 02.")
    if denied:
        arn, match = denied[0]
        return _check("endpoint policy", False,
                      f"explicit Deny for {role_name} on {len(denied)} of {len(model_arns)} model ARNs "
                      f"({match.describe() if match else 'a Deny statement'}), e.g. {arn}",
                      "Restore the Allow policy: run notebook 05 to its end (its last step restores Allow), or "
                      "notebook 02.")
    if unallowed:
        return _check("endpoint policy", False,
                      f"no statement allows {role_name} to call {ACTION} on {', '.join(unallowed)}",
                      "The Principal must be the function's role and the Resource list every ARN the model needs; "
                      "notebook 02 rebuilds the policy.")
    return _check("endpoint policy", True, f"allows {role_name} {ACTION} on the {len(model_arns)} model ARNs")


def _identity_check(ep, model_arns, session_arn, role_arn, account, role_name, docs) -> dict:
    from iampolicy import PolicyError, evaluate

    ep_id = ep["VpcEndpointId"]
    try:
        for arn in model_arns:
            decision = evaluate(_request(arn, session_arn, role_arn, account, ep), docs)
            if decision.reason == "explicit_deny_identity":
                return _check("role policies", False, f"an explicit Deny in {decision.deciding.describe()}",
                              "Remove the Deny statement from the role's policies.")
            if not decision.allowed:
                near = decision.identity.near_misses
                why = f" ({near[0]['policy_name']}: {near[0]['message']})" if near else ""
                return _check("role policies", False,
                              f"no policy of {role_name} allows {ACTION} on {arn} through {ep_id}{why}",
                              "Run notebook 03: its policy lambda-bedrock-sourcevpce-access-only allows the call "
                              "when aws:sourceVpce is this endpoint.")
    except (PolicyError, ValueError) as exc:
        return _check("role policies", False, f"cannot be read: {exc}", "Re-run notebook 03.")
    return _check("role policies", True, f"{role_name} may call {ACTION} through {ep_id} (aws:sourceVpce)")


# ---------------------------------------------------------------- views

GREEN = ("#dcfce7", "#16a34a", "#14532d")
RED = ("#fee2e2", "#dc2626", "#7f1d1d")


def mermaid(hops: list[dict]) -> str:
    """Mermaid flowchart of the hops: each node green or red, with its first problem as the label."""
    lines = ["flowchart LR"]
    for i, hop in enumerate(hops):
        failed = next((c for c in hop.get("checks", []) if not c["ok"]), None)
        note = f"✗ {failed['name']}" if failed else "✓ ok"
        label = f"{TITLES.get(hop['name'], hop['name'])}<br/>{note}".replace('"', "#quot;")
        lines.append(f'  h{i}["{label}"]')
    for i in range(len(hops) - 1):
        lines.append(f"  h{i} --> h{i + 1}")
    lines.append(f"  classDef ok fill:{GREEN[0]},stroke:{GREEN[1]},stroke-width:3px,color:{GREEN[2]}")
    lines.append(f"  classDef bad fill:{RED[0]},stroke:{RED[1]},stroke-width:3px,color:{RED[2]}")
    for i, hop in enumerate(hops):
        lines.append(f"  class h{i} {'ok' if hop['ok'] else 'bad'}")
    for i in range(len(hops) - 1):
        color = GREEN[1] if hops[i]["ok"] and hops[i + 1]["ok"] else RED[1]
        lines.append(f"  linkStyle {i} stroke:{color},stroke-width:3px")
    return "\n".join(lines)


def _box(hop: dict) -> str:
    fill, stroke, ink = GREEN if hop["ok"] else RED
    rows = []
    for c in hop.get("checks", []):
        mark = "✓" if c["ok"] else "✗"
        rows.append(f"<li><b>{mark} {html.escape(c['name'])}</b>: {html.escape(c['detail'])}</li>")
    fix = f"<div style='margin-top:6px'><b>Fix:</b> {html.escape(hop['fix'])}</div>" if hop.get("fix") else ""
    status = "OK" if hop["ok"] else "BROKEN"
    return (f"<div class='workshop-hop workshop-hop-{'ok' if hop['ok'] else 'bad'}' style='flex:1;min-width:220px;"
            f"background:{fill};border:3px solid {stroke};color:{ink};border-radius:8px;padding:8px 10px'>"
            f"<div style='font-weight:bold'>{html.escape(TITLES.get(hop['name'], hop['name']))}: {status}</div>"
            f"<ul style='margin:4px 0 0 0;padding-left:18px'>{''.join(rows)}</ul>{fix}</div>")


def to_html(hops: list[dict]) -> str:
    arrow = "<div style='align-self:center;font-size:28px;padding:0 6px'>&#8594;</div>"
    ok = all(h["ok"] for h in hops)
    head = ("The private path is complete: every hop is green." if ok else
            "The path is broken at: " + ", ".join(h["name"] for h in hops if not h["ok"]) + ".")
    return (f"<div class='workshop-pathview'><div style='font-weight:bold;margin-bottom:6px'>{html.escape(head)}"
            f"</div><div style='display:flex;gap:4px;align-items:stretch'>{arrow.join(_box(h) for h in hops)}"
            "</div></div>")


def render_text(hops: list[dict]) -> str:
    """Plain lines: one per hop, then its failing checks and the fix."""
    lines = []
    for hop in hops:
        lines.append(f"[{' OK ' if hop['ok'] else 'FAIL'}] {hop['name']}: {hop['detail']}")
        if not hop["ok"] and hop.get("fix"):
            lines.append(f"       fix: {hop['fix']}")
    ok = all(h["ok"] for h in hops)
    lines.append("The private path is complete." if ok else
                 "The path is broken at: " + ", ".join(h["name"] for h in hops if not h["ok"]) + ".")
    return "\n".join(lines)


def render(hops: list[dict]):
    """The notebook view: an IPython HTML object (the boxes) that also displays the Mermaid flowchart."""
    from IPython.display import HTML

    class PathView(HTML):
        def __init__(self, data: str, diagram: str, text: str):
            super().__init__(data)
            self.diagram, self.text = diagram, text

        def __repr__(self) -> str:
            return self.text

        def _ipython_display_(self):
            from IPython.display import Markdown, display

            display({"text/html": self.data, "text/plain": self.text}, raw=True)
            display(Markdown(f"```mermaid\n{self.diagram}\n```"))

    return PathView(to_html(hops), mermaid(hops), render_text(hops))


def show(cfg=None, client=None) -> list[dict]:
    """Compute the hops and display them (notebook) or print them (headless); return the hops."""
    from .waiting import headless

    hops = path_hops(cfg, client)
    if headless():
        print(render_text(hops))
    else:
        from IPython.display import display

        display(render(hops))
    return hops
