"""The global condition keys of a request context, built in one place for every authorization in the sandbox.

AWS puts the global condition keys into the request context of every request it authorizes, whichever policy
type then reads them: identity-based policies, permissions boundaries, service control policies, VPC endpoint
policies and trust policies ("AWS global condition context keys", IAM User Guide; each key's **Availability**
line says when it is present). The sandbox's call sites (Amazon Bedrock's calls in sandbox/authz.py, Lambda's
check of an execution role's EC2 permissions when a function joins a VPC, AssumeRole's trust and identity
checks, the SCPs evaluated with each of them) all take their context from `request_keys` or `role_keys`.

The keys set here, and when (the page's Availability):

- aws:CurrentTime, aws:EpochTime, aws:RequestedRegion, aws:SecureTransport, aws:PrincipalArn,
  aws:PrincipalAccount, aws:PrincipalType, aws:PrincipalIsAWSService, aws:ViaAWSService: always.
- aws:userid always; aws:username for IAM users only. aws:userid is "role-id:caller-specified-role-name" for
  an assumed role (the role's unique ID, AROA...), the user's unique ID (AIDA...) for an IAM user.
- aws:PrincipalOrgID and aws:PrincipalOrgPaths: when the principal's account is a member of an organization.
- aws:MultiFactorAuthPresent: with temporary credentials (false: the sandbox's sessions never use MFA).
- aws:SourceVpce, aws:SourceVpc, aws:VpcSourceIp: only through an interface VPC endpoint; then no aws:SourceIp.
- aws:SourceIp: every request that does not come through a VPC endpoint.

Not set: keys the sandbox has no value for (aws:TokenIssueTime, aws:PrincipalTag/*, aws:SourceIdentity,
aws:CalledVia*, aws:Referer, aws:UserAgent).
"""

from __future__ import annotations

from datetime import UTC, datetime

from . import backends, organizations
from .identity import Principal


def _org_keys(account: str) -> dict:
    backend = organizations.management_backend(account)
    if backend is None or backend.org is None:
        return {}
    org_id = backend.org.id
    chain = organizations.parent_chain(backend, account)
    if account != backend.org.master_account_id and not chain:
        return {}  # not (or no longer) a member
    return {"aws:PrincipalOrgID": org_id, "aws:PrincipalOrgPaths": ["/".join([org_id, *chain]) + "/"]}


def _unique_id(principal: Principal) -> str | None:
    iam = backends.iam(principal.account)
    try:
        if principal.kind == "assumed-role":
            return f"{iam.get_role(principal.role_name).id}:{principal.session}"
        if principal.kind == "user":
            return iam.get_user(principal.user_name).id
    except Exception:  # noqa: BLE001 - a deleted role or user: AWS would refuse the credentials; the key is left out
        return None
    return None


def principal_keys(principal: Principal) -> dict:
    """aws:Principal*, aws:userid, aws:username (and MFA) for `principal`."""
    keys = {
        "aws:PrincipalArn": principal.principal_arn,
        "aws:PrincipalAccount": principal.account,
        "aws:PrincipalIsAWSService": False,
    }
    if principal.kind == "assumed-role":
        keys["aws:PrincipalType"] = "AssumedRole"
        keys["aws:MultiFactorAuthPresent"] = False
    elif principal.kind == "user":
        keys["aws:PrincipalType"] = "User"
        keys["aws:username"] = principal.user_name
    else:  # the sandbox's administrator, moto's default identity arn:aws:sts::<account>:user/moto
        keys["aws:PrincipalType"] = "User"
        keys["aws:username"] = principal.arn.rsplit("/", 1)[-1]
    userid = _unique_id(principal)
    if userid:
        keys["aws:userid"] = userid
    keys.update(_org_keys(principal.account))
    return keys


def request_keys(principal: Principal, region: str, *, via: dict | None = None, source_ip: str | None = None,
                 now: datetime | None = None) -> dict:
    """The global keys of a request `principal` makes in `region`.

    `via` is the network path of a call from code in the sandbox's Lambda runtime (sandbox.network.via): through an
    interface endpoint ({"kind": "vpce", ...}) or not. `source_ip` is the caller's address for a direct call.
    """
    now = now or datetime.now(UTC)
    ctx = {
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:RequestedRegion": region,
        "aws:SecureTransport": True,
        "aws:ViaAWSService": False,
        **principal_keys(principal),
    }
    if via and via.get("kind") == "vpce":
        # Through an interface endpoint AWS sets these, and no aws:SourceIp.
        ctx["aws:SourceVpce"] = via["vpce_id"]
        ctx["aws:SourceVpc"] = via["vpc_id"]
        if via.get("source_ip"):
            ctx["aws:VpcSourceIp"] = via["source_ip"]
    else:
        ip = (via or {}).get("source_ip") or source_ip
        if ip:
            ctx["aws:SourceIp"] = ip
    return ctx


def role_principal(role_arn: str, session: str) -> Principal:
    """A session of the role `role_arn` (as a service acting with the role's credentials holds it)."""
    account = role_arn.split(":")[4] or backends.ACCOUNT_ID
    name = role_arn.split("/")[-1]
    return Principal(arn=f"arn:aws:sts::{account}:assumed-role/{name}/{session}", account=account,
                     kind="assumed-role", role_arn=role_arn, role_name=name, session=session)


def role_keys(role_arn: str, region: str, session: str) -> dict:
    """The global keys of a request made with a session of `role_arn` in `region`, e.g. Lambda's check of a
    function's execution role in the function's Region."""
    return request_keys(role_principal(role_arn, session), region)
