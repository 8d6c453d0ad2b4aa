"""One diagnosis of the live workshop: gather the state once, judge every link, hand the verdicts to two views.

`python -m utils doctor` prints the verdicts as a checklist with fixes (`utils.doctor`); `utils.pathview` draws the
same verdicts as the path function -> endpoint -> Amazon Bedrock. Both read `diagnose(cfg, client)`, so they cannot
disagree. `utils.explain` reads the same state to explain one failed call.

What is judged, and by whom (claim only what is known):

- **Network links** (function in the VPC, DNS, endpoint state and private DNS, Availability Zones, security groups):
  from what EC2 and Lambda describe. Security groups are judged as AWS judges them: the rules of all the groups
  of an ENI add up; a rule admits the function if it references the function's security group, or if the CIDRs
  of the rules together contain every address the function can send from (its subnets' CIDRs). AWS documents this
  in "Control traffic to your AWS resources using security groups" (Amazon VPC User Guide: "Security group
  rules": a source is a CIDR, a prefix list or a security group ID).
- **Identity side** (the role's identity policies, its permissions boundary and, where the account is in AWS
  Organizations, service control policies): from IAM `SimulatePrincipalPolicy` with `ContextEntries`
  (`aws:SourceVpce`, `aws:SourceVpc`, `aws:PrincipalArn`, ...), on AWS and on the sandbox alike (IAM API
  Reference: "SimulatePrincipalPolicy", "EvaluationResult": `PermissionsBoundaryDecisionDetail`,
  `OrganizationsDecisionDetail`). When AWS denies, the role's policies and boundary are also evaluated locally
  with `iampolicy` to name the statement that decided. A denial that neither explains is reported as
  **unexplained**, never as a pass.
- **Endpoint policy**: AWS offers no simulator for VPC endpoint policies, so it is evaluated locally with
  `iampolicy` and labelled "evaluated locally".

Every read is guarded: missing or expired credentials, an unreachable sandbox or Region, throttling and
AccessDenied on the doctor's own reads become failed findings with their fix, and whatever depends on an unread
fact is reported as not checked (never as a pass).

Read-only: nothing here changes anything.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import urllib.parse
from dataclasses import dataclass, field, replace

from .lang import N_, _

HOPS = ("function", "endpoint", "Amazon Bedrock")
ACTION = "bedrock:InvokeModel"
LOCAL = N_("evaluated locally")
SIMULATED = N_("IAM policy simulator")

# A check's name is English data (notebooks and tests match it); `label(name)` shows it in the current language.
# The names that carry a value are matched against these templates.
NAME_TEMPLATES = (N_("model lifecycle of {model_id}"), N_("{action} not throttled"), N_("permission {action}"),
                  N_("read: {what}"))


def label(name: str) -> str:
    """A check name in the current language (unchanged in English or without a translation)."""
    text = _(name)
    if text != name:
        return text
    for template in NAME_TEMPLATES:
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+)", re.escape(template)) + "$"
        match = re.match(pattern, name, re.S)
        if match:
            return _(template).format(**match.groupdict())
    return name


SECTIONS = ("config", "access", "stack", "network", "endpoint", "function", "role", "model", "leftovers")
# The sections as the doctor's lines show them (the keys stay English: --json, tests); "beyond" is notebook 06's.
SECTION_LABELS = {"config": N_("config"), "access": N_("access"), "stack": N_("stack"), "network": N_("network"),
                  "endpoint": N_("endpoint"), "function": N_("function"), "role": N_("role"), "model": N_("model"),
                  "leftovers": N_("leftovers"), "beyond": N_("beyond")}


def section_label(section: str) -> str:
    """A section of the doctor's report, in the learner's language, padded to the widest one (terminal columns)."""
    from .display import pad, width_of

    return pad(_(SECTION_LABELS.get(section, section)), max(width_of(_(s)) for s in SECTION_LABELS.values()))


# ---------------------------------------------------------------- findings


@dataclass
class Finding:
    """One verdict. `status`: pass, fail, unexplained (AWS denies and nothing read explains it), unknown (not
    checked: a fact it needs could not be read). Only "pass" is ok."""

    section: str
    name: str
    status: str
    detail: str
    fix: str = ""
    hop: str | None = None  # the path view's hop, or None (checklist only)
    source: str = ""  # who judged: "" (AWS's description of the resource), SIMULATED or LOCAL
    network: bool = False  # a link of the network path: the first broken one is where a call times out

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def as_link(self) -> dict:
        return {"name": self.name, "ok": self.ok, "status": self.status, "detail": self.detail,
                "fix": "" if self.ok else self.fix, "source": self.source}


@dataclass
class Diagnosis:
    state: dict
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def hops(self) -> list[dict]:
        """The path view's three hops, each {"name", "ok", "detail", "fix", "checks": [...]}, from the findings."""
        by_hop: dict[str, list[dict]] = {h: [] for h in HOPS}
        for f in self.findings:
            if f.hop in by_hop:
                by_hop[f.hop].append(f.as_link())
        blocking = [f for f in self.findings if f.hop is None and not f.ok and f.section in ("access", "stack")]
        if not blocking and not (self.state.get("outputs") or {}):
            link = _no_stack_link()
            blocking = [Finding("stack", link["name"], "fail", link["detail"], link["fix"])]
        if blocking and not any(by_hop.values()):
            # Nothing of the path could be read (no credentials, no stack, ...): every hop shows why.
            return [_hop(h, [blocking[0].as_link()]) for h in HOPS]
        for h in HOPS:
            if not by_hop[h]:
                cause = blocking[0] if blocking else None
                by_hop[h].append({"name": N_("not checked"), "ok": False, "status": "unknown",
                                  "detail": _("not checked: {detail}").format(
                                                detail=cause.detail) if cause else _("not checked"),
                                  "fix": cause.fix if cause else _("Run `python -m utils doctor`."), "source": ""})
        return [_hop(h, by_hop[h]) for h in HOPS]


def _hop(name: str, checks: list[dict]) -> dict:
    failed = [c for c in checks if not c["ok"]]
    if failed:
        detail = "; ".join(f"{label(c['name'])}: {c['detail']}" for c in failed)
        fix = failed[0]["fix"]
    else:
        detail = "; ".join(c["detail"] for c in checks)
        fix = ""
    return {"name": name, "ok": not failed and bool(checks), "detail": detail, "fix": fix, "checks": checks}


# ---------------------------------------------------------------- policy documents


def policy_document(value) -> dict | str:
    """A policy document as a dict, from a dict, JSON text, or the URL-encoded JSON that IAM's API returns.

    (IAM API Reference, "GetRolePolicy": the document is URL-encoded per RFC 3986; boto3 decodes it for IAM, the
    raw API and some other clients do not.) Text that is not JSON is returned as it is, for the evaluator to reject.
    """
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("%"):
        text = urllib.parse.unquote(text)
    try:
        return json.loads(text)
    except ValueError:
        return value


# ---------------------------------------------------------------- reading, with every failure classified

CREDENTIAL_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId",
                    "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId", "AuthFailure",
                    "InvalidToken", "TokenRefreshRequired", "MissingAuthenticationToken"}
THROTTLING_CODES = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
                    "ThrottledException", "SlowDown", "RequestThrottled", "RequestThrottledException",
                    "ServiceUnavailable", "ServiceUnavailableException"}
DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
                "Forbidden", "UnauthorizedException"}


def _target_name(cfg) -> str:
    return getattr(cfg, "target", "") or ("sandbox" if os.environ.get("AWS_ENDPOINT_URL") else "aws")


def classify(exc: BaseException, what: str, action: str, cfg, service: str = "") -> Finding:
    """A failed read as a finding with its fix: credentials, reachability, throttling, AccessDenied, or other."""
    from botocore import exceptions as bx

    region = getattr(cfg, "region", "")
    url = os.environ.get("AWS_ENDPOINT_URL", "")
    sandbox = _target_name(cfg) == "sandbox"
    name = type(exc).__name__
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return Finding("access", N_("AWS credentials"), "fail",
                       _("no AWS credentials were found, so the doctor could not {what} ({name})").format(
                           what=what, name=name),
                       _("Configure credentials for the account you use (`aws configure`, `aws sso login --profile "
                         "NAME` then `export AWS_PROFILE=NAME`, or your SageMaker Studio role), or choose the sandbox "
                         "target (WORKSHOP_TARGET=sandbox)."))
    token_errors = tuple(getattr(bx, n) for n in ("TokenRetrievalError", "SSOTokenLoadError",
                                                  "UnauthorizedSSOTokenError", "CredentialRetrievalError",
                                                  "RefreshWithMFAUnsupportedError") if hasattr(bx, n))
    code, message = "", str(exc)
    if isinstance(exc, bx.ClientError):
        code = exc.response.get("Error", {}).get("Code", "") or ""
        message = exc.response.get("Error", {}).get("Message", "") or ""
    if (token_errors and isinstance(exc, token_errors)) or code in CREDENTIAL_CODES:
        return Finding("access", N_("AWS credentials"), "fail",
                       _("AWS rejected the credentials when the doctor tried to {what}: {code}: {message}").format(
                           what=what, code=code or name, message=message),
                       _("Your credentials are expired or invalid: refresh them (`aws sso login`, new temporary keys, "
                         "or restart the SageMaker Studio space), check AWS_PROFILE, then run the doctor again."))
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError,
                        bx.ConnectionClosedError)) or name == "TargetError":
        if name == "TargetError":
            return Finding("access", N_("target reachable"), "fail", str(exc),
                           _("Start the sandbox with `python -m sandbox start` (use the URL it prints as "
                             "AWS_ENDPOINT_URL), or unset AWS_ENDPOINT_URL."))
        if service == "bedrock":  # the target answered the reads before this one: it is the Region
            from . import validation

            return Finding("model", N_("Amazon Bedrock in the region"), "fail",
                           _("Amazon Bedrock does not answer in {region} ({name}: {exc})").format(
                               region=region, name=name, exc=exc),
                           _("Choose a Region that offers Amazon Bedrock in notebook 00, e.g. {regions}, then "
                             "re-run 01-03.").format(regions=', '.join(validation.bedrock_regions()[:4])))
        if sandbox:
            return Finding("access", N_("target reachable"), "fail",
                           _("no sandbox answers at {url} ({name}), so the doctor could not {what}").format(
                               url=url or _('the sandbox URL'), name=name,
                               what=what), _("Start it with `python -m sandbox start` and use the URL it prints as "
                             "AWS_ENDPOINT_URL, or unset AWS_ENDPOINT_URL (the workshop then starts one)."))
        return Finding("access", N_("AWS reachable"), "fail", _("could not {what}: {name}: {exc}").format(
                                                              what=what, name=name, exc=exc),
                       _("Check your network connection (or proxy settings) to AWS in {region}, then run "
                         "again.").format(region=region))
    if code in THROTTLING_CODES:
        return Finding("access", N_("{action} not throttled").format(action=action), "fail",
                       _("AWS throttled the doctor's request to {what}, also after retries: {code}: {message}").format(
                           what=what, code=code, message=message),
                       _("Wait a minute and run the doctor again; in a shared account (a workshop room), run it "
                         "less often."))
    if code in DENIED_CODES:
        return Finding("access", N_("permission {action}").format(action=action), "fail",
                       _("the doctor may not {what}: {code}: {message}").format(what=what, code=code, message=message),
                       _("Run the doctor as the identity that ran the notebooks, or ask for the read-only permission "
                         "{action}.").format(action=action))
    return Finding("access", f"read: {what}", "fail", _("could not {what}: {code}: {message}").format(
                                                          what=what, code=code or name, message=message),
                   _("Run the doctor again; if it persists, read the message above."))


class _Reader:
    """Runs each read; a failure is recorded in state["unread"][key] as a Finding and the read returns None."""

    def __init__(self, s: dict, cfg, client):
        self.s, self.cfg, self.client = s, cfg, client
        s.setdefault("unread", {})

    def __call__(self, key: str, what: str, action: str, fn, service: str = ""):
        try:
            return fn()
        except Exception as exc:  # every failure is classified and reported, never swallowed
            self.s["unread"][key] = classify(exc, what, action, self.cfg, service)
            return None


# ---------------------------------------------------------------- gathering the live state


def gather(cfg, client) -> dict:
    """The live state, read once. `client(service, region)` builds boto3 clients. Never raises for a failed read."""
    from . import endpoint as ep_mod
    from . import lambda_fn, stack

    s: dict = {"cfg": cfg, "errors": {}, "unread": {}}
    read = _Reader(s, cfg, client)
    region = cfg.region
    ident = read("caller", _("call sts:GetCallerIdentity"), "sts:GetCallerIdentity",
                 lambda: client("sts", region).get_caller_identity())
    if ident is None:
        s["blocked"] = True
        return s
    s["caller"] = ident.get("Arn")
    cfn = client("cloudformation", region)
    desc = read("stack", _("describe the stack {stack_name}").format(
                             stack_name=cfg.stack_name), "cloudformation:DescribeStacks",
                lambda: stack.describe(cfn, cfg.stack_name))
    if "stack" in s["unread"]:
        return s
    s["stack"] = desc
    s["outputs"] = out = stack.outputs_of(desc) if desc else {}
    if not out.get("VpcId"):
        if desc is None:
            from . import inventory

            s["leftovers"] = read("leftovers", _("list the workshop's tagged resources"), "ec2:Describe* and "
                                  "tag:GetResources", lambda: inventory.collect(cfg, client))
        return s
    vpc_id = out["VpcId"]
    ec2 = client("ec2", region)
    s["dns"] = read("dns", _("read the DNS attributes of {vpc_id}").format(
                               vpc_id=vpc_id), "ec2:DescribeVpcAttribute", lambda: {
        a: ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=a)[a[0].upper() + a[1:]]["Value"]
        for a in ("enableDnsSupport", "enableDnsHostnames")})
    s["subnets"] = {}
    s["route_tables"] = read("route_tables", _("describe the route tables of {vpc_id}").format(
                                                 vpc_id=vpc_id), "ec2:DescribeRouteTables",
                             lambda: ec2.describe_route_tables(
                                 Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"])
    service = ep_mod.service_name(region)
    ep = read("endpoint", _("describe the VPC endpoints of {vpc_id}").format(
                              vpc_id=vpc_id), "ec2:DescribeVpcEndpoints",
              lambda: ep_mod.find(ec2, vpc_id, service, cfg.endpoint_name) or ep_mod.find(ec2, vpc_id, service))
    s["endpoint"] = ep
    details = read("service_azs", _("describe the endpoint service {service}").format(
                                      service=service), "ec2:DescribeVpcEndpointServices",
                   lambda: ec2.describe_vpc_endpoint_services(ServiceNames=[service])["ServiceDetails"])
    s["service_azs"] = details[0]["AvailabilityZones"] if details else []
    group_ids = {g for g in (out.get("EndpointSecurityGroupId"), out.get("LambdaSecurityGroupId")) if g}
    subnet_ids = {x for x in (out.get("PrivateSubnet1Id"), out.get("PrivateSubnet2Id")) if x}
    if ep:
        s["endpoint_ips"] = read("endpoint_ips", _("describe the network interfaces of {vpc_endpoint_id}").format(
                                                     vpc_endpoint_id=ep['VpcEndpointId']),
                                 "ec2:DescribeNetworkInterfaces",
                                 lambda: ep_mod.private_ips(ep_mod.interfaces(ec2, ep)))
        group_ids |= {g["GroupId"] for g in ep.get("Groups", [])}
        subnet_ids |= set(ep.get("SubnetIds", []))
    lam = client("lambda", region)
    fn = None
    if out.get("FunctionName"):
        from botocore.exceptions import ClientError

        def get_function():
            try:
                return lam.get_function_configuration(FunctionName=out["FunctionName"])
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                s["errors"]["function"] = exc.response["Error"].get("Message", str(exc))
                return None

        fn = read("function", _("read the configuration of {function_name}").format(
                                  function_name=out['FunctionName']), "lambda:GetFunctionConfiguration",
                  get_function)
    s["function"] = fn
    if fn:
        vpc = fn.get("VpcConfig") or {}
        group_ids |= set(vpc.get("SecurityGroupIds") or [])
        subnet_ids |= set(vpc.get("SubnetIds") or [])
        s["function_enis"] = (read("function_enis", _("describe the network interfaces of {function_name}").format(
                                                        function_name=fn['FunctionName']),
                                   "ec2:DescribeNetworkInterfaces",
                                   lambda: lambda_fn.function_enis(ec2, fn["FunctionName"], vpc_id))
                              if lambda_fn.in_vpc(fn) else [])
        s["code_current"] = fn.get("CodeSha256") == stack.code_sha256(stack.lambda_zip())
    if subnet_ids:
        found = read("subnets", _("describe the workshop's subnets"), "ec2:DescribeSubnets",
                     lambda: ec2.describe_subnets(SubnetIds=sorted(subnet_ids))["Subnets"])
        s["subnets"] = {sn["SubnetId"]: sn for sn in found or []}
    groups = read("groups", _("describe the security groups"), "ec2:DescribeSecurityGroups",
                  lambda: ec2.describe_security_groups(GroupIds=sorted(group_ids))["SecurityGroups"]
                  if group_ids else [])
    s["groups"] = None if groups is None else {g["GroupId"]: g for g in groups}
    if out.get("FunctionRoleName"):
        _gather_role(s, read, client("iam", region), out)
    bedrock = client("bedrock", region)
    s["model"] = read("model", _("read the model {model_id} from Amazon Bedrock").format(
                                   model_id=cfg.model_id), "bedrock:GetFoundationModel",
                      lambda: model_facts(bedrock, cfg.model_id, region), service="bedrock")
    fn_model = ((fn or {}).get("Environment") or {}).get("Variables", {}).get("MODEL_ID")
    s["function_model"] = fn_model
    if fn_model and fn_model != cfg.model_id:
        s["function_model_facts"] = read("function_model", _("read the model {fn_model}").format(
                                                               fn_model=fn_model), "bedrock:GetFoundationModel",
                                         lambda: model_facts(bedrock, fn_model, region), service="bedrock")
    if ep and out.get("FunctionRoleArn") and (s.get("model") or {}).get("arns"):
        s["simulation"] = _simulate_all(s, read, client("iam", region))
    return s


def _gather_role(s: dict, read, iam, out: dict) -> None:
    """The role's inline and attached policies, and its permissions boundary, as (name, document) pairs."""
    role = out["FunctionRoleName"]
    s["role_policies"] = read("role_policies", _("read the policies of the role {role}").format(role=role),
                              "iam:ListRolePolicies, iam:GetRolePolicy and iam:ListAttachedRolePolicies",
                              lambda: role_policies(iam, role))
    if s["role_policies"] is None:
        s["errors"]["role"] = s["unread"]["role_policies"].detail
    info = read("role", _("read the role {role}").format(
                            role=role), "iam:GetRole", lambda: iam.get_role(RoleName=role)["Role"])
    if info is None:
        s["boundary"] = None
        return
    pb = info.get("PermissionsBoundary") or {}
    s["boundary_arn"] = arn = pb.get("PermissionsBoundaryArn")
    s["boundary"] = ("none", None) if not arn else read(
        "boundary", _("read the permissions boundary {arn}").format(arn=arn), "iam:GetPolicy and iam:GetPolicyVersion",
        lambda: (arn.split("/")[-1], managed_policy_document(iam, arn)))


def managed_policy_document(iam, arn: str) -> dict | str:
    pol = iam.get_policy(PolicyArn=arn)["Policy"]
    ver = iam.get_policy_version(PolicyArn=arn, VersionId=pol["DefaultVersionId"])
    return policy_document(ver["PolicyVersion"]["Document"])


def role_policies(iam, role_name: str) -> list[tuple[str, dict]]:
    """The role's inline policies and attached managed policies (default version), as (name, document)."""
    docs: list[tuple[str, dict]] = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        docs.append((name, policy_document(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])))
    for att in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        docs.append((att["PolicyName"], managed_policy_document(iam, att["PolicyArn"])))
    return docs


def model_facts(bedrock, model_id: str, region: str) -> dict:
    """{"model_id", "base", "status" (ACTIVE/LEGACY/END_OF_LIFE/...), "arns", "error", "current": [...]}.

    A model that AWS describes as retired or unknown is a fact (status); an unanswered request raises.
    """
    from botocore.exceptions import ClientError

    from . import models, validation

    base = validation.split_model_id(model_id)[1]
    facts = {"model_id": model_id, "base": base, "status": "UNKNOWN", "arns": [], "error": None, "current": []}
    try:
        details = bedrock.get_foundation_model(modelIdentifier=base)["modelDetails"]
        facts["status"] = (details.get("modelLifecycle") or {}).get("status", "UNKNOWN")
        facts["arns"] = models.resource_arns(bedrock, model_id, region)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code not in ("ResourceNotFoundException", "ValidationException"):
            raise
        facts["error"] = f"{code}: {exc.response['Error'].get('Message', '')}"
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
    except Exception:  # the list itself failed: the default alone is still a correct suggestion
        offered = []
    default = models.default_model_id(region, offered)
    return [default] + [m for m in offered if m != default][: limit - 1]


# ---------------------------------------------------------------- the identity side: IAM's simulator


def simulation_context(s: dict, arn: str) -> dict:
    """The request context of the function's call to `arn` through the endpoint, as AWS would see it."""
    out, ep = s.get("outputs") or {}, s.get("endpoint") or {}
    role_arn = out.get("FunctionRoleArn", "")
    cfg = s.get("cfg")
    # aws:RequestedRegion is in every request's context (IAM User Guide, "AWS global condition context keys"); the
    # simulator sees only the keys it is given, and an SCP that denies other Regions reads this one.
    context = {"aws:SourceVpce": ep.get("VpcEndpointId"), "aws:SourceVpc": out.get("VpcId"),
               "aws:PrincipalArn": role_arn, "aws:PrincipalAccount": role_arn.split(":")[4] if role_arn else None,
               "aws:RequestedRegion": getattr(cfg, "region", None)}
    arns = (s.get("model") or {}).get("arns") or []
    if ":foundation-model/" in arn and arns and ":inference-profile/" in arns[0]:
        context["bedrock:InferenceProfileArn"] = arns[0]
    return {k: v for k, v in context.items() if v}


def simulate(iam, role_arn: str, resource: str, context: dict) -> dict:
    """IAM SimulatePrincipalPolicy for the role, one action and one resource, with the request's context.

    Returns {"decision": allowed|explicitDeny|implicitDeny, "boundary_allowed": bool|None,
    "organizations_allowed": bool|None, "matched": [policy ids], "missing": [context keys]}.
    """
    entries = [{"ContextKeyName": k, "ContextKeyValues": [str(v)], "ContextKeyType": "string"}
               for k, v in context.items()]
    result = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=[ACTION], ResourceArns=[resource],
                                           ContextEntries=entries)["EvaluationResults"][0]
    # The simulator may aggregate resources; with one resource the top level is that resource's decision.
    specific = next((r for r in result.get("ResourceSpecificResults") or []
                     if r.get("EvalResourceName") == resource), None)
    decision = (specific or {}).get("EvalResourceDecision") or result["EvalDecision"]
    boundary = ((specific or {}).get("PermissionsBoundaryDecisionDetail")
                or result.get("PermissionsBoundaryDecisionDetail") or {})
    org = result.get("OrganizationsDecisionDetail") or {}
    return {"decision": decision, "boundary_allowed": boundary.get("AllowedByPermissionsBoundary"),
            "organizations_allowed": org.get("AllowedByOrganizations"),
            "matched": [m.get("SourcePolicyId") for m in result.get("MatchedStatements") or []],
            "missing": list(result.get("MissingContextValues") or [])}


def _simulate_all(s: dict, read, iam) -> dict | None:
    role_arn = s["outputs"]["FunctionRoleArn"]
    results = {}
    for arn in s["model"]["arns"]:
        r = read("simulation", _("simulate the role's policies (SimulatePrincipalPolicy on {role_arn})").format(
                                   role_arn=role_arn),
                 "iam:SimulatePrincipalPolicy",
                 lambda arn=arn: simulate(iam, role_arn, arn, simulation_context(s, arn)))
        if r is None:
            return None
        results[arn] = r
    return results


# ---------------------------------------------------------------- local evaluation (iampolicy)


def session_arn(role_arn: str, session: str) -> str:
    """arn:aws:iam::A:role/path/R -> arn:aws:sts::A:assumed-role/R/session (what AWS reports for a role session)."""
    account = role_arn.split(":")[4]
    return f"arn:aws:sts::{account}:assumed-role/{role_arn.split('/')[-1]}/{session}"


def request(action: str, resource: str, role_arn: str, session: str, context: dict | None = None):
    import iampolicy

    return iampolicy.RequestContext(action=action, resource=resource, principal_arn=session_arn(role_arn, session),
                                    principal_account=role_arn.split(":")[4], role_arn=role_arn,
                                    context=dict(context or {}))


def evaluate_endpoint(doc, rc) -> tuple[str, str, str]:
    """(decision "Allow"/"Deny"/"NotApplicable", what decided, fix) for an endpoint policy and one request."""
    import iampolicy

    try:
        result = iampolicy.evaluate_policy(policy_document(doc), rc, name="endpoint policy", kind="resource")
    except iampolicy.PolicyError as exc:
        return "NotApplicable", _("the endpoint policy cannot be evaluated: {exc}").format(exc=exc), \
            _("Rebuild it with utils.policies.endpoint_policy and apply it with ec2.modify_vpc_endpoint (notebook 02).")
    if result.decision == "Deny":
        return "Deny", _("{statement} matches {action} on {resource}").format(
            statement=statement_label(result.deny), action=rc.action, resource=rc.resource), \
            _("Set the statement's Effect back to Allow: re-run notebook 02 (or the restore step of notebook 05).")
    if result.decision == "Allow":
        return "Allow", _("{statement} allows {action} on {resource}").format(
            statement=statement_label(result.allow), action=rc.action, resource=rc.resource), ""
    return "NotApplicable", _why_no_allow(result, rc, "endpoint"), _fix_no_allow(result, "endpoint")


def boundary_name(name: str) -> str:
    return f"permissions boundary {name}"


# The names evaluate_endpoint/evaluate_identity give the evaluator (iampolicy, which speaks English only: it imports
# nothing of utils), shown in the learner's language.
_POLICY_KINDS = (("identity policy ", N_("identity policy {name}")),
                 ("permissions boundary ", N_("permissions boundary {name}")))


def policy_label(policy_name: str) -> str:
    """The evaluator's policy name ("endpoint policy", "identity policy X", ...) in the learner's language."""
    if policy_name == "endpoint policy":
        return _("endpoint policy")
    for prefix, msgid in _POLICY_KINDS:
        if policy_name.startswith(prefix):
            return _(msgid).format(name=policy_name.removeprefix(prefix))
    return policy_name


def statement_label(match) -> str:
    """A deciding statement (iampolicy.StatementMatch), as StatementMatch.describe() says it, in the learner's
    language: "endpoint policy statement 1 (Sid) (Effect Deny)"."""
    text = _("{policy} statement {index} (Effect {effect})") if not match.sid else \
        _("{policy} statement {index} ({sid}) (Effect {effect})")
    text = text.format(policy=policy_label(match.policy_name), index=match.index, sid=match.sid, effect=match.effect)
    # Japanese puts a space only between Latin and Japanese text (docs/style-ja.md): "エンドポイントポリシーの...".
    return re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text)


def evaluate_identity(docs: list[tuple[str, dict]], rc, boundary: tuple[str, dict] | None = None,
                      role_name: str = "") -> tuple[str, str, str]:
    """(decision, what decided, fix) for the role's identity policies and permissions boundary, one request."""
    import iampolicy

    named = [(f"identity policy {n}", policy_document(d)) for n, d in docs]
    kwargs = {}
    if boundary is not None and boundary[1] is not None:
        kwargs["permissions_boundary"] = (boundary_name(boundary[0]), policy_document(boundary[1]))
    try:
        decision = iampolicy.evaluate(rc, named, None, **kwargs)
    except iampolicy.PolicyError as exc:
        return "NotApplicable", _("a policy of the role cannot be evaluated: {exc}").format(exc=exc), \
            _("Rebuild it with utils.policies (notebook 03).")
    reason = decision.reason
    phrase = iampolicy.denial_phrase(reason, rc.action)
    if reason == "allowed":
        allow = decision.identity.allow
        return "Allow", _("{statement} allows {action} on {resource}").format(
            statement=statement_label(allow) if allow else _("an identity policy"), action=rc.action,
            resource=rc.resource), ""
    if reason == "explicit_deny_identity":
        deny = decision.deciding
        return "Deny", _("{statement} matches {action} on {resource}").format(
            statement=statement_label(deny), action=rc.action, resource=rc.resource), \
            _("Remove the Deny statement from {policy}.").format(
                policy=deny.policy_name.removeprefix('identity policy '))
    if reason == "no_allow_identity":
        return "NotApplicable", _why_no_allow(decision.identity, rc, "identity"), \
            _fix_no_allow(decision.identity, "identity")
    role = role_name or (rc.role_arn or "").split("/")[-1]
    bname = boundary[0] if boundary else "?"
    fix_boundary = (_("The permissions boundary {bname} on {role} caps what its policies may grant. Ask whoever set "
                      "it (usually an administrator) to allow {action} on the model's ARNs in it (a new policy "
                      "version: iam.create_policy_version(..., SetAsDefault=True)), or remove it from the role if "
                      "that is allowed: iam.delete_role_permissions_boundary(RoleName='{role}').").format(
                        bname=bname, role=role, action=rc.action))
    if reason == "explicit_deny_boundary":
        deny = decision.deciding
        what = statement_label(deny) if deny else _("a Deny statement in {boundary_name}").format(
                                                boundary_name=_("permissions boundary {name}").format(name=bname))
        return "Deny", _("{statement} matches {action} on {resource} (AWS: \"{phrase}\")").format(
            statement=what, action=rc.action, resource=rc.resource, phrase=phrase), fix_boundary
    if reason == "no_allow_boundary":
        result = getattr(decision, "boundary", None)
        why = _why_no_allow(result, rc, "boundary", bname) if result is not None else \
            _("no statement in {boundary_name} allows {action} on {resource}").format(
                boundary_name=_("permissions boundary {name}").format(name=bname), action=rc.action,
                resource=rc.resource)
        return "NotApplicable", f"{why} (AWS: \"{phrase}\")", fix_boundary
    return "NotApplicable", _("denied: {reason}").format(reason=reason) + (f" (AWS: \"{phrase}\")" if phrase else ""), \
        _("Ask your administrator: a policy outside the workshop denies the call.")


def _label(miss: dict) -> str:
    return policy_label(miss["policy_name"])


def _src_vpce(rc) -> str | None:
    return next((v for k, v in rc.context.items() if k.lower() == "aws:sourcevpce"), None)


def _why_no_allow(result, rc, kind: str, name: str = "") -> str:
    where = {"endpoint": _("the endpoint policy"), "identity": _("the role's identity policies"),
             "boundary": _("permissions boundary {name}").format(name=name)}[kind]
    for miss in result.near_misses:
        allow = miss["effect"] == "Allow"
        for f in miss["failures"]:
            if f["key"].lower() == "aws:sourcevpce" and allow:
                wanted = f["expected"][0] if len(f["expected"]) == 1 else f["expected"]
                came = _src_vpce(rc)
                how = _("the call came through {came}").format(came=came) if came else \
                    _("the call did not come through a VPC endpoint (no aws:sourceVpce in the request)")
                return (_("{policy_name} statement {index} allows {action} only when aws:sourceVpce = {wanted}, but "
                          "{how}").format(
                            policy_name=_label(miss), index=miss['index'], action=rc.action, wanted=wanted,
                            how=how))
        if allow:
            return _("{policy_name} statement {index} would allow it, but its Condition is false: {message}").format(
                       policy_name=_label(miss), index=miss['index'], message=miss['message'])
    for miss in result.partial_matches:
        if miss["effect"] != "Allow":
            continue
        if miss["element"] == "Principal":
            return (_("{policy_name} statement {index} allows {action} only for Principal {expected}, not the caller "
                      "{role_arn}").format(
                        policy_name=_label(miss), index=miss['index'], action=rc.action,
                        expected=', '.join(miss['expected']), role_arn=rc.role_arn or rc.principal_arn))
        if miss["element"] == "Resource":
            return (_("{policy_name} statement {index} allows {action}, but its Resource does not list "
                      "{resource}").format(policy_name=_label(miss), index=miss['index'], action=rc.action,
                                           resource=rc.resource))
        return _("{policy_name} statement {index}: {message}").format(policy_name=_label(miss),
                                                                     index=miss['index'], message=miss['message'])
    return _("no statement in {where} allows {action} on {resource}").format(
               where=where, action=rc.action, resource=rc.resource)


def _fix_no_allow(result, kind: str) -> str:
    for miss in result.near_misses:
        if any(f["key"].lower() == "aws:sourcevpce" for f in miss["failures"]):
            return (_("Make the condition's aws:sourceVpce the bedrock-runtime endpoint's ID and make the call go "
                      "through it: re-run notebook 03 (it rebuilds lambda-bedrock-sourcevpce-access-only with the "
                      "current endpoint ID and attaches the function to the VPC)."))
    for miss in result.partial_matches:
        if miss["element"] == "Principal":
            return (_("Set the endpoint policy's Principal to the function's role ARN (stack output FunctionRoleArn): "
                      "re-run notebook 02, which rebuilds the policy with utils.policies.endpoint_policy."))
        if miss["element"] == "Resource":
            what = _("the endpoint policy") if kind == "endpoint" else _("the role's inline policy")
            nb = "02" if kind == "endpoint" else "03"
            return (_("Add the missing ARN to {what}'s Resource: an inference profile needs the profile ARN and the "
                      "foundation-model ARN of every destination Region (utils.models.resource_arns). Re-run "
                      "notebook {nb}.").format(what=what, nb=nb))
    if kind == "endpoint":
        return _("Re-run notebook 02: it rebuilds the endpoint policy for the function's role and the model's ARNs.")
    return _("Re-run notebook 03: it puts the two inline policies on the function's role.")


# ---------------------------------------------------------------- security groups, as AWS judges them


def _port_ok(perm: dict, port: int = 443) -> bool:
    proto = str(perm.get("IpProtocol", "")).lower()
    if proto == "-1":
        return True
    if proto not in ("tcp", "6"):
        return False
    low, high = perm.get("FromPort"), perm.get("ToPort")
    if low is None:
        return True
    high = low if high is None else high
    return (low == -1) or low <= port <= high


def _uncovered(targets: list, nets: list) -> list:
    """The parts of `targets` (networks) that no network in `nets` contains."""
    remaining = list(targets)
    for net in nets:
        nxt = []
        for r in remaining:
            if r.version != net.version:
                nxt.append(r)
            elif r.subnet_of(net):
                continue
            elif net.subnet_of(r):
                nxt.extend(r.address_exclude(net))
            else:
                nxt.append(r)
        remaining = nxt
    return remaining


def sg_admits(groups: dict, group_ids, key: str, peer_groups: set, sources: dict) -> tuple[bool, list[str], list]:
    """Whether the rules `key` ("IpPermissions" or "IpPermissionsEgress") of `group_ids` admit TCP 443 to or from
    the peer: a rule referencing one of `peer_groups`, or CIDRs that together contain every network in `sources`
    ({label: network}). Returns (ok, the CIDRs that allow 443, the labels of sources left uncovered)."""
    nets, cidrs = [], []
    for gid in group_ids:
        for perm in (groups.get(gid) or {}).get(key, []):
            if not _port_ok(perm):
                continue
            if any(p.get("GroupId") in peer_groups for p in perm.get("UserIdGroupPairs", [])):
                return True, [], []
            for r in perm.get("IpRanges", []):
                try:
                    nets.append(ipaddress.ip_network(r["CidrIp"], strict=False))
                    cidrs.append(r["CidrIp"])
                except (KeyError, ValueError):
                    continue
            for r in perm.get("Ipv6Ranges", []):
                try:
                    nets.append(ipaddress.ip_network(r["CidrIpv6"], strict=False))
                    cidrs.append(r["CidrIpv6"])
                except (KeyError, ValueError):
                    continue
    if not sources:
        return False, cidrs, []
    left = [label for label, net in sources.items() if _uncovered([net], nets)]
    return not left, cidrs, left


# ---------------------------------------------------------------- judging


def diagnose(cfg, client) -> Diagnosis:
    """Gather the live state once and judge every link."""
    s = gather(cfg, client)
    return Diagnosis(s, judge(s))


def judge(s: dict) -> list[Finding]:
    """Every verdict for a gathered state (pure: no AWS call)."""
    cfg = s.get("cfg")
    findings: list[Finding] = []
    add = findings.append
    if cfg is not None:
        add(Finding("config", N_("configuration"), "pass",
                    _("target {target}, region {region}, model {model}, stack {stack}").format(
                        target=cfg.target, region=cfg.region, model=cfg.model_id, stack=cfg.stack_name)))
    unread = s.get("unread") or {}
    if s.get("blocked") or "stack" in unread:
        add(unread.get("caller") or unread["stack"])
        return findings
    out, desc = s.get("outputs") or {}, s.get("stack")
    # Reads that failed: each is a failed finding of its own (the root cause, with its fix); the verdicts that
    # needed the fact say "not checked". A Region without Amazon Bedrock is the model's verdict itself.
    seen: set[str] = set()
    for problem in unread.values():
        if problem.section != "model" and problem.name not in seen:  # e.g. credentials that expired: said once
            seen.add(problem.name)
            add(problem)
    if desc is None and not out:
        _judge_leftovers(findings, s)
        return findings
    from . import stack as stack_mod

    if desc is not None:
        stable = desc["StackStatus"] in stack_mod.STABLE
        add(Finding("stack", N_("stack status"), "pass" if stable else "fail",
                    _("{stack} is {status}").format(stack=desc.get('StackName', cfg.stack_name if cfg else ''),
                                                     status=desc['StackStatus']),
                    _("Re-run notebook 01 (it waits for, or recreates, a failed stack); read its FAILED events.")))
        missing = [k for k in stack_mod.OUTPUT_KEYS if k not in out]
        add(Finding("stack", N_("stack outputs"), "pass" if not missing else "fail",
                    _("all outputs present") if not missing else _("missing outputs {missing}").format(missing=missing),
                    _("The stack was not made from cfn/bedrock-privatelink.yaml: run 07, then 01.")))
        if missing:
            return findings
    if "route_tables" in s:
        if s["route_tables"] is None:
            add(_unknown("network", N_("subnets are private"), unread.get("route_tables")))
        else:
            public = [rt["RouteTableId"] for rt in s["route_tables"] for r in rt.get("Routes", [])
                      if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
            add(Finding("network", N_("subnets are private"), "pass" if not public else "fail",
                        _("no route to the internet") if not public else
                        _("route tables with a default route: {public}").format(public=public),
                        _("Remove the 0.0.0.0/0 routes: the workshop's subnets must have no internet path.")))
    findings.extend(_function_findings(s))
    findings.extend(_network_findings(s))
    findings.extend(_endpoint_policy_findings(s))
    findings.extend(_role_findings(s))
    findings.extend(_model_findings(s))
    return findings


def _unknown(section: str, name: str, problem: Finding | None, hop: str | None = None, network: bool = False,
             source: str = "") -> Finding:
    if problem is None:
        return Finding(section, name, "unknown", _("not checked"), _("Run the doctor again."), hop, source, network)
    return Finding(section, name, "unknown", _("not checked: {detail}").format(
                                                 detail=problem.detail), problem.fix, hop, source, network)


def _no_stack_link() -> dict:
    return {"name": "stack", "ok": False, "detail": _("the stack does not exist, so there is no VPC and no function"),
            "fix": _("Run notebooks 01 to 03.")}


def _judge_leftovers(findings: list[Finding], s: dict) -> None:
    cfg = s.get("cfg")
    name = cfg.stack_name if cfg else _("the stack")
    findings.append(Finding("stack", N_("stack"), "pass",
                            _("{name} does not exist (not deployed yet, or cleaned up)").format(name=name)))
    unread = s.get("unread") or {}
    if "leftovers" in unread:
        findings.append(_unknown("leftovers", N_("nothing left after cleanup"), unread["leftovers"]))
        return
    rows = s.get("leftovers") or []
    findings.append(Finding("leftovers", N_("nothing left after cleanup"), "pass" if not rows else "fail",
                            _("no resource of the workshop remains") if not rows else
                            _("still there: ") + ", ".join(f"{r['type']} {r['id']}" for r in rows),
                            _("Run notebook 07 again (it removes endpoints, ENIs, policies and the stack from any "
                              "state); `python -m utils inventory` lists what remains.")))


def _function_findings(s: dict) -> list[Finding]:
    fn, out, unread, cfg = s.get("function"), s.get("outputs") or {}, s.get("unread") or {}, s.get("cfg")
    found: list[Finding] = []
    if "function" in unread:
        return [_unknown("function", N_("function exists"), unread["function"], hop="function")]
    if fn is None:
        return [Finding("function", N_("function exists"), "fail",
                        f"{out.get('FunctionName')}: {s['errors'].get('function', _('not found'))}",
                        _("Re-run notebook 01 (the stack creates the function)."), hop="function")]
    ready = fn.get("State", "Active") == "Active" and fn.get("LastUpdateStatus", "Successful") == "Successful"
    found.append(Finding("function", N_("function state"), "pass" if ready else "fail",
                         _("{function_name} is {state}, last update {last_update_status}").format(
                             function_name=fn.get('FunctionName'), state=fn.get('State', 'Active'),
                             last_update_status=fn.get('LastUpdateStatus', 'Successful'))
                         + (f" ({fn.get('StateReason') or fn.get('LastUpdateStatusReason')})" if not ready else ""),
                         _("Wait for the update to finish (utils.lambda_fn.wait_updated); if it Failed, read the "
                           "reason and re-run notebook 03."), hop="function"))
    if "code_current" in s:
        found.append(Finding("function", N_("function code deployed"), "pass" if s["code_current"] else "fail",
                             _("runs the code in lambda/") if s["code_current"] else
                             _("the deployed code differs from lambda/ (still the placeholder?)"),
                             _("Re-run notebook 01, step 4.")))
    if cfg is not None:
        model = s.get("function_model")
        found.append(Finding("function", N_("function MODEL_ID"), "pass" if model == cfg.model_id else "fail",
                             _("MODEL_ID={model} (configured: {configured})").format(model=model,
                                                                                    configured=cfg.model_id),
                             _("Re-run notebook 01 (it sets MODEL_ID to the configured model), then 02 and 03 for "
                               "the policies.")))
    return found


def path_links(s: dict) -> list[dict]:
    """The network links from the function to bedrock-runtime, in order: [{"name", "ok", "detail", "fix"}].

    The first link that is not ok is where a call times out.
    """
    if not (s.get("outputs") or {}):
        return [_no_stack_link()]
    return [f.as_link() for f in _network_findings(s)]


def first_broken_link(s: dict) -> dict | None:
    return next((link for link in path_links(s) if not link["ok"]), None)


def _network_findings(s: dict) -> list[Finding]:
    out, fn, ep, unread = s.get("outputs") or {}, s.get("function"), s.get("endpoint"), s.get("unread") or {}
    links: list[Finding] = []

    def link(section, name, ok, detail, fix="", hop="endpoint"):
        links.append(Finding(section, name, "pass" if ok else "fail", detail, "" if ok else fix, hop, "", True))

    def unknown(section, name, key, hop="endpoint"):
        links.append(_unknown(section, name, unread.get(key), hop=hop, network=True))

    vpc = (fn or {}).get("VpcConfig") or {}
    if "function" in unread:
        unknown("function", N_("function in the VPC"), "function", hop="function")
    elif fn is not None:  # (a missing function is its own verdict: "function exists")
        in_vpc = bool(vpc.get("VpcId")) and bool(vpc.get("SubnetIds"))
        link("function", N_("function in the VPC"), in_vpc and vpc.get("VpcId") == out["VpcId"],
             _("{function_name} is attached to {vpc_id} subnets {subnet_ids}, security group(s) "
               "{security_group_ids}").format(
                 function_name=out.get('FunctionName'), vpc_id=vpc.get('VpcId'), subnet_ids=vpc.get('SubnetIds'),
                 security_group_ids=vpc.get('SecurityGroupIds')) if in_vpc
             else _("{function_name} is not attached to a VPC: it calls the public bedrock-runtime endpoint, so its "
                    "requests carry no aws:sourceVpce").format(function_name=out.get('FunctionName')),
             _("Attach it to the private subnets and the Lambda security group: notebook 03, step 3 "
               "(lam.update_function_configuration(VpcConfig=...))."), hop="function")
    dns = s.get("dns")
    if dns is None and "dns" in unread:
        unknown("network", N_("VPC DNS support"), "dns")
    else:
        dns = dns or {}
        link("network", N_("VPC DNS support"), dns.get("enableDnsSupport", False),
             _("enableDnsSupport is {state} in {vpc_id}").format(
                 state=_('on') if dns.get('enableDnsSupport') else _('off'), vpc_id=out['VpcId']),
             f"ec2.modify_vpc_attribute(VpcId='{out['VpcId']}', EnableDnsSupport={{'Value': True}})")
    if "endpoint" in unread:
        unknown("endpoint", N_("endpoint exists"), "endpoint")
        return links
    link("endpoint", N_("endpoint exists"), ep is not None,
         _("{vpc_endpoint_id} for bedrock-runtime in {vpc_id}").format(
             vpc_endpoint_id=ep['VpcEndpointId'], vpc_id=out['VpcId']) if ep else
         _("no bedrock-runtime interface endpoint in {vpc_id}").format(vpc_id=out['VpcId']), _("Run notebook 02."))
    if ep is None:
        return links
    state = ep["State"].lower()
    link("endpoint", N_("endpoint available"), state == "available",
         _("{endpoint} is {state}").format(endpoint=ep['VpcEndpointId'], state=ep['State']),
         _("Wait for it (notebook 02 waits); if it is failed, run 07 and start again from 01."))
    link("endpoint", N_("endpoint private DNS"), ep.get("PrivateDnsEnabled"),
         _("private DNS is {state} for {vpc_endpoint_id}").format(
             state=_('on') if ep.get('PrivateDnsEnabled') else _('off'), vpc_endpoint_id=ep['VpcEndpointId'])
         + ("" if ep.get("PrivateDnsEnabled") else
            _(": bedrock-runtime.<region>.amazonaws.com resolves to public addresses, unreachable without a NAT")),
         f"ec2.modify_vpc_endpoint(VpcEndpointId='{ep['VpcEndpointId']}', PrivateDnsEnabled=True)")
    if dns is None:
        unknown("network", N_("VPC DNS hostnames"), "dns")
    else:
        link("network", N_("VPC DNS hostnames"), dns.get("enableDnsHostnames", False),
             _("enableDnsHostnames is {state} in {vpc_id}").format(
                 state=_('on') if dns.get('enableDnsHostnames') else _('off'), vpc_id=out['VpcId'])
             + ("" if dns.get("enableDnsHostnames") else _(": the endpoint's private DNS name does not apply")),
             f"ec2.modify_vpc_attribute(VpcId='{out['VpcId']}', EnableDnsHostnames={{'Value': True}})")
    subnets = s.get("subnets") or {}
    fn_subnets = list(vpc.get("SubnetIds") or [])
    if "subnets" in unread:
        unknown("endpoint", N_("endpoint serves the function's AZs"), "subnets")
    else:
        ep_azs = {subnets[x]["AvailabilityZone"] for x in ep.get("SubnetIds", []) if x in subnets}
        fn_azs = {subnets[x]["AvailabilityZone"] for x in fn_subnets if x in subnets}
        uncovered = sorted(fn_azs - ep_azs)
        link("endpoint", N_("endpoint serves the function's AZs"), not uncovered,
             _("endpoint subnets in {ep_azs}; function subnets in {fn_azs}").format(
                 ep_azs=sorted(ep_azs), fn_azs=sorted(fn_azs) or _('none'))
             + (_("; {uncovered} not served").format(uncovered=uncovered) if uncovered else ""),
             _("Add a subnet in {uncovered} to the endpoint (ec2.modify_vpc_endpoint(AddSubnetIds=[...])), choosing "
               "AZs the service offers ({service_azs}).").format(
                 uncovered=uncovered, service_azs=s.get('service_azs')))
    groups = s.get("groups")
    fn_groups = set(vpc.get("SecurityGroupIds") or [out.get("LambdaSecurityGroupId")]) - {None}
    ep_groups = [g["GroupId"] for g in ep.get("Groups", [])]
    if groups is None or "subnets" in unread:
        unknown("endpoint", N_("endpoint SG allows 443 from the function"), "groups" if groups is None else "subnets")
        unknown("endpoint", N_("function SG allows 443 out"), "groups" if groups is None else "subnets")
        return links
    links.append(_ingress_finding(s, groups, ep, ep_groups, fn_groups, fn_subnets or
                                  [x for x in (out.get("PrivateSubnet1Id"), out.get("PrivateSubnet2Id")) if x]))
    links.append(_egress_finding(s, groups, ep, ep_groups, fn_groups))
    return links


def _subnet_label(subnets: dict, sid: str) -> str:
    sn = subnets.get(sid) or {}
    return f"{sn.get('CidrBlock', '?')} ({sid}, {sn.get('AvailabilityZone', '?')})"


def _ingress_finding(s, groups, ep, ep_groups, fn_groups, fn_subnets) -> Finding:
    subnets = s.get("subnets") or {}
    sources = {}
    for sid in fn_subnets:
        cidr = (subnets.get(sid) or {}).get("CidrBlock")
        if cidr:
            sources[_subnet_label(subnets, sid)] = ipaddress.ip_network(cidr, strict=False)
    ok, cidrs, left = sg_admits(groups, ep_groups, "IpPermissions", fn_groups, sources)
    fn_sg = sorted(fn_groups)[0] if fn_groups else "?"
    fix = (f"ec2.authorize_security_group_ingress(GroupId='{ep_groups[0] if ep_groups else '?'}', IpPermissions=[{{"
           f"'IpProtocol': 'tcp', 'FromPort': 443, 'ToPort': 443, 'UserIdGroupPairs': [{{'GroupId': '{fn_sg}'}}]}}])"
           + _(" (a rule that references the function's security group admits every subnet it uses)"))
    if ok:
        how = (_("from the function's security group {fn_groups}").format(
                   fn_groups=', '.join(sorted(fn_groups))) if not cidrs else
               _("from {cidrs}, which together contain every subnet the function sends from ({sources})").format(
                   cidrs=', '.join(cidrs), sources=', '.join(sources)))
        detail = _("endpoint group(s) {ep_groups} allow TCP 443 {how}").format(ep_groups=ep_groups, how=how)
    elif cidrs and len(left) < len(sources):
        covered = [label for label in sources if label not in left]
        detail = (_("endpoint group(s) {ep_groups} allow TCP 443 only from {cidrs}: that covers {covered} but not "
                    "{left}, where the function also sends from").format(
                      ep_groups=ep_groups, cidrs=', '.join(cidrs), covered=', '.join(covered), left=', '.join(left)))
        fix += _("; or add the missing range(s) {ranges}").format(
                   ranges=', '.join(label.split(' ')[0] for label in left))
    else:
        detail = (_("endpoint group(s) {ep_groups} allow no TCP 443 from the function's security group(s) "
                    "{fn_groups} or its subnets {sources}").format(
                      ep_groups=ep_groups, fn_groups=sorted(fn_groups), sources=', '.join(sources) or '(unknown)'))
    return Finding("endpoint", N_("endpoint SG allows 443 from the function"), "pass" if ok else "fail", detail,
                   "" if ok else fix, "endpoint", "", True)


def _egress_finding(s, groups, ep, ep_groups, fn_groups) -> Finding:
    ips = list(s.get("endpoint_ips") or [])
    subnets = s.get("subnets") or {}
    if ips:
        sources = {ip: ipaddress.ip_network(ip) for ip in ips}
    else:  # the endpoint's addresses are unknown: its subnets' ranges
        sources = {_subnet_label(subnets, sid): ipaddress.ip_network(subnets[sid]["CidrBlock"], strict=False)
                   for sid in ep.get("SubnetIds", []) if (subnets.get(sid) or {}).get("CidrBlock")}
    ok, cidrs, left = sg_admits(groups, sorted(fn_groups), "IpPermissionsEgress", set(ep_groups), sources)
    if ok:
        detail = _("function group(s) {fn_groups} allow TCP 443 egress to the endpoint").format(
                     fn_groups=sorted(fn_groups))
    elif cidrs and len(left) < len(sources):
        detail = (_("function group(s) {fn_groups} allow TCP 443 egress only to {cidrs}, not to {left} of the "
                    "endpoint").format(fn_groups=sorted(fn_groups), cidrs=', '.join(cidrs), left=', '.join(left)))
    else:
        detail = _("function group(s) {fn_groups} allow no TCP 443 egress to the endpoint").format(
                     fn_groups=sorted(fn_groups))
    return Finding("endpoint", N_("function SG allows 443 out"), "pass" if ok else "fail", detail,
                   "" if ok else _("Add an egress rule TCP 443 to the VPC CIDR to the Lambda security group (the "
                     "template has one)."), "endpoint", "", True)


def _session(s: dict) -> str:
    return (s.get("outputs") or {}).get("FunctionName") or "session"


def _endpoint_policy_findings(s: dict) -> list[Finding]:
    ep, out, model, unread = s.get("endpoint"), s.get("outputs") or {}, s.get("model"), s.get("unread") or {}
    name = N_("endpoint policy allows the function's role on every model ARN")
    if ep is None:
        return []
    if model is None:
        return [_unknown("endpoint", name, unread.get("model"), hop="endpoint", source=LOCAL)]
    if not model.get("arns"):
        return [Finding("endpoint", name, "fail", _("the model's ARNs are unknown (see the model check)"),
                        _("Choose a current model in notebook 00, then re-run 02."), "endpoint", LOCAL)]
    doc = ep.get("PolicyDocument") or ""
    denies, problems, fixes, arns = [], [], [], []
    for arn in model["arns"]:
        context = {"aws:SourceVpce": ep["VpcEndpointId"], "aws:SourceVpc": out["VpcId"]}
        if ":foundation-model/" in arn and model["arns"][0] != arn:
            context["bedrock:InferenceProfileArn"] = model["arns"][0]
        rc = request(ACTION, arn, out["FunctionRoleArn"], _session(s), context)
        decision, why, fix = evaluate_endpoint(doc, rc)
        if decision == "Deny":
            denies.append(why)
        if decision != "Allow":
            problems.append(why)
            fixes.append(fix)
            arns.append(arn)
    more = ((_("; also denied on {arns}") if denies else _("; also not allowed on {arns}")).format(
        arns=', '.join(arns[1:])) if len(arns) > 1 else "")
    if denies:
        detail = _("explicit Deny: {why}").format(why=problems[0]) + more
    elif problems:
        detail = f"{problems[0]}{more}"
    else:
        detail = _("Allow for {function_role_arn} on {count} ARN(s)").format(
                     function_role_arn=out['FunctionRoleArn'].split('/')[-1], count=len(model['arns']))
    return [Finding("endpoint", name, "pass" if not problems else "fail",
                    _("{detail} ({local}: AWS has no simulator for endpoint policies)").format(
                        detail=detail, local=_(LOCAL)), fixes[0] if fixes else "",
                    "endpoint", LOCAL)]


def _sourcevpce_values(doc) -> set[str]:
    found: set[str] = set()
    doc = policy_document(doc)
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    for st in statements if isinstance(statements, list) else [statements]:
        if st.get("Effect") != "Allow" or ACTION not in str(st.get("Action")):
            continue
        for values in (st.get("Condition") or {}).values():
            for key, v in values.items():
                if key.lower() == "aws:sourcevpce":
                    found |= set(v if isinstance(v, list) else [v])
    return found


def _role_findings(s: dict) -> list[Finding]:
    from . import policies

    out, ep, model, unread = s.get("outputs") or {}, s.get("endpoint"), s.get("model") or {}, s.get("unread") or {}
    found: list[Finding] = []
    docs = s.get("role_policies")
    role = out.get("FunctionRoleName")
    if docs is None:
        found.append(_unknown("role", N_("inline policies"), unread.get("role_policies")))
    else:
        names = {n for n, _doc in docs}
        missing = [n for n in policies.INLINE_POLICY_NAMES if n not in names]
        found.append(Finding("role", N_("inline policies"), "pass" if not missing else "fail",
                             _("{role} has {names}").format(role=role, names=sorted(names)) if not missing else
                             _("{role} lacks {missing}").format(role=role, missing=missing),
                             _("Re-run notebook 03, step 1.")))
        source = dict(docs).get(policies.SOURCEVPCE_POLICY_NAME)
        if source is not None and ep is not None:
            ids = _sourcevpce_values(source)
            found.append(Finding("role", N_("aws:sourceVpce matches the endpoint"),
                                 "pass" if ep["VpcEndpointId"] in ids else "fail",
                                 _("the condition names {ids}; the endpoint is {vpc_endpoint_id}").format(
                                     ids=sorted(ids) or _('no endpoint'),
                                     vpc_endpoint_id=ep['VpcEndpointId']), _("Re-run notebook 03: it rebuilds "
                                   "lambda-bedrock-sourcevpce-access-only with the current endpoint ID.")))
    if ep is not None and model.get("arns"):
        found.append(_identity_finding(s))
    return found


IDENTITY_CHECK = N_("role allows bedrock:InvokeModel through the endpoint")


def _identity_finding(s: dict) -> Finding:
    """AWS's simulator decides; the local evaluation names the statement; disagreement is 'unexplained'."""
    import iampolicy

    out, ep, model, unread = s["outputs"], s["endpoint"], s["model"], s.get("unread") or {}
    docs, boundary = s.get("role_policies"), s.get("boundary")
    boundary = None if boundary is None or boundary == ("none", None) else boundary
    role = out["FunctionRoleName"]
    sims = s.get("simulation")
    readable = docs is not None and not ("role" in unread or "boundary" in unread)
    local = {}
    if readable:
        for arn in model["arns"]:
            rc = request(ACTION, arn, out["FunctionRoleArn"], _session(s), simulation_context(s, arn))
            local[arn] = evaluate_identity(docs, rc, boundary, role)
    via = _("via {endpoint}").format(endpoint=ep['VpcEndpointId'])
    if sims is None:
        problem = unread.get("simulation")
        if not readable:
            return _unknown("role", IDENTITY_CHECK, problem or unread.get("role_policies") or unread.get("role")
                            or unread.get("boundary"), hop="Amazon Bedrock")
        why = _("SimulatePrincipalPolicy unavailable ({problem}); identity policies and permissions boundary only, "
                "service control policies not included").format(problem=problem.detail if problem else _('not run'))
        denied = [(arn, r) for arn, r in local.items() if r[0] != "Allow"]
        if denied:
            arn, (decision, detail, fix) = denied[0]
            return Finding("role", IDENTITY_CHECK, "fail", f"{detail} ({_(LOCAL)}: {why})", fix, "Amazon Bedrock",
                           LOCAL)
        return Finding("role", IDENTITY_CHECK, "pass", _("allowed on {count} ARN(s) {via} ({local}: {why})").format(
                                                           count=len(local), via=via, local=_(LOCAL), why=why),
                       "", "Amazon Bedrock", LOCAL)
    denied = [(arn, r) for arn, r in sims.items() if r["decision"] != "allowed"]
    bsuffix = _(", within the permissions boundary {boundary}").format(boundary=boundary[0]) if boundary else ""
    if not denied:
        return Finding("role", IDENTITY_CHECK, "pass",
                       _("allowed on {count} ARN(s) {via}{bsuffix} ({simulated})").format(
                           count=len(sims), via=via, bsuffix=bsuffix,
                           simulated=_(SIMULATED)), "", "Amazon Bedrock", SIMULATED)
    arn, sim = denied[0]
    head = _("SimulatePrincipalPolicy: {decision} for {action} on {arn} {via}").format(
        decision=sim['decision'], action=ACTION, arn=arn, via=via)
    mine = local.get(arn)
    if sim.get("organizations_allowed") is False:
        return Finding("role", IDENTITY_CHECK, "fail",
                       _("{head}: a service control policy of your organization denies it (AllowedByOrganizations is "
                         "false; AWS's message ends \"{phrase_deny}\" or \"{phrase_no_allow}\") ({simulated})").format(
                           head=head, phrase_deny=iampolicy.denial_phrase('explicit_deny_scp', ACTION),
                           phrase_no_allow=iampolicy.denial_phrase('no_allow_scp', ACTION), simulated=_(SIMULATED)),
                       _("Service control policies are set in AWS Organizations by your administrator: ask them to "
                         "allow {action} for this account, or use another account or the sandbox.").format(
                           action=ACTION),
                       "Amazon Bedrock", SIMULATED)
    if mine is not None and mine[0] != "Allow":
        why, fix = mine[1:]
        return Finding("role", IDENTITY_CHECK, "fail", _("{head}: {why} ({simulated}; the statement named by the "
                                                         "role's policies, {local})").format(
                                                           head=head, why=why, simulated=_(SIMULATED),
                                                           local=_(LOCAL)), fix, "Amazon Bedrock", SIMULATED)
    if sim.get("boundary_allowed") is False:
        name = boundary[0] if boundary else s.get("boundary_arn") or "of the role"
        return Finding("role", IDENTITY_CHECK, "fail",
                       _("{head}: the permissions boundary {name} does not allow it (AllowedByPermissionsBoundary is "
                         "false; AWS: \"{phrase}\") ({simulated})").format(
                           head=head, name=name, phrase=iampolicy.denial_phrase('no_allow_boundary', ACTION),
                           simulated=_(SIMULATED)),
                       _("Ask whoever set the permissions boundary on {role} to allow {action} on the model's ARNs, "
                         "or remove it: iam.delete_role_permissions_boundary(RoleName='{role}').").format(
                           role=role, action=ACTION),
                       "Amazon Bedrock", SIMULATED)
    missing = _("; the simulator lacked the context keys {missing}").format(
                  missing=sim['missing']) if sim.get("missing") else ""
    return Finding("role", IDENTITY_CHECK, "unexplained",
                   _("unexplained: {head}, but the role's policies and permissions boundary, as the doctor read "
                     "them, allow it (a resource control policy, a policy the doctor cannot read, or a change not "
                     "yet propagated?){missing} ({simulated})").format(
                       head=head, missing=missing, simulated=_(SIMULATED)),
                   _("Open the IAM policy simulator for {role} with these context keys ({simulation_context}), or "
                     "ask your administrator which policy denies it.").format(
                       role=role, simulation_context=', '.join(simulation_context(s, arn))),
                   "Amazon Bedrock", SIMULATED)


def _model_findings(s: dict) -> list[Finding]:
    unread = s.get("unread") or {}
    found: list[Finding] = []
    for key, facts in (("model", s.get("model")), ("function_model", s.get("function_model_facts"))):
        if facts is None:
            if key in unread:
                problem = unread[key]
                hop = "Amazon Bedrock" if key == "model" else None
                if problem.section == "model":  # Amazon Bedrock does not answer in the Region: the verdict itself
                    found.append(replace(problem, hop=hop))
                else:
                    found.append(_unknown("model", N_("model lifecycle"), problem, hop=hop))
            continue
        ok = facts["status"] == "ACTIVE"
        detail = f"{facts['model_id']} ({facts['base']}): {facts['status']}"
        if facts.get("error"):
            detail += f" ({facts['error']})"
        found.append(Finding("model", N_("model lifecycle of {model_id}").format(
                                          model_id=facts['model_id']), "pass" if ok else "fail", detail,
                             _("Choose a current model, e.g. {current}: re-run notebook 00, then 01-03.").format(
                                 current=', '.join(facts['current'][:3])) if facts.get("current") else
                             _("Choose a current model in notebook 00, then re-run 01-03."),
                             "Amazon Bedrock" if key == "model" else None))
    return found
