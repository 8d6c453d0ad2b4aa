"""`instructor rehearse --accounts N`: on the sandbox only, an organization with an OU of N member accounts, so an
instructor rehearses `provision --ou`, `status`, `handout`, the dashboard and `cleanup` with no AWS account.

What it calls is what an instructor does on AWS by hand (AWS Organizations): CreateOrganization (all features)
when there is none, CreateOrganizationalUnit under the root (or the OU of that name that exists), CreateAccount for
each missing account (asynchronous: DescribeCreateAccountStatus is polled with backoff until SUCCEEDED, bound 120 s
each), and MoveAccount into the OU. Re-running it adds only the accounts the OU lacks.

It refuses any target but a sandbox on a loopback address: on AWS, CreateAccount makes real accounts that are
billed and take 90 days to close for good.
"""

from __future__ import annotations

from .. import target
from ..lang import _
from ..waiting import wait_until
from . import aws

EMAIL_DOMAIN = "example.com"  # reserved for documentation (RFC 2606): no mail ever goes anywhere
CREATE_TIMEOUT = 120.0


def refuse_unless_sandbox() -> None:
    from .errors import Usage

    tgt = target.activate()
    if not (tgt.is_sandbox and tgt.endpoint_url and target.is_loopback(tgt.endpoint_url)):
        raise Usage(_("rehearse runs only on the sandbox, and the {target}. On AWS, CreateAccount makes real, billed "
                      "accounts. Start the sandbox (python -m sandbox start; export AWS_ENDPOINT_URL=...) and run it "
                      "again; on AWS, create the OU and its accounts in the Organizations console.").format(target=tgt))


def organization(org) -> str:
    """The organization's root ID; the organization is created (all features) when there is none."""
    try:
        org.describe_organization()
    except org.exceptions.AWSOrganizationsNotInUseException:
        org.create_organization(FeatureSet="ALL")
    return org.list_roots()["Roots"][0]["Id"]


def ou_named(org, root: str, name: str) -> str:
    for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=root):
        for ou in page["OrganizationalUnits"]:
            if ou["Name"] == name:
                return ou["Id"]
    return org.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]


def accounts_in(org, ou: str) -> list[str]:
    found = []
    for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=ou):
        found += [a["Id"] for a in page["Accounts"] if a.get("Status", "ACTIVE") == "ACTIVE"]
    return found


def make_room(org, n: int, ou_name: str = "workshop-room", echo=print) -> tuple[str, list[str]]:
    """(OU ID, its active account IDs): an OU of `n` accounts, creating only those missing."""
    root = organization(org)
    ou = ou_named(org, root, ou_name)
    have = accounts_in(org, ou)
    missing = max(0, n - len(have))
    names = [f"{ou_name}-{i:03d}" for i in range(len(have) + 1, len(have) + missing + 1)]
    requests = [org.create_account(Email=f"{name}@{EMAIL_DOMAIN}", AccountName=name)["CreateAccountStatus"]["Id"]
                for name in names]
    for request_id in requests:
        st = wait_until(
            lambda request_id=request_id: org.describe_create_account_status(
                CreateAccountRequestId=request_id)["CreateAccountStatus"],
            what=f"CreateAccount {request_id}", timeout=CREATE_TIMEOUT, until=lambda s: s["State"] != "IN_PROGRESS",
            status=lambda s: s["State"], quiet=True, max_interval=2.0)
        if st["State"] != "SUCCEEDED":
            from .errors import Failed

            raise Failed(_("CreateAccount {request} ended {state}: {reason}. The OU {ou} holds {n} account(s) so far; "
                           "run rehearse again to add the missing ones.").format(
                request=request_id, state=st["State"], reason=st.get("FailureReason"), ou=ou, n=len(have)))
        org.move_account(AccountId=st["AccountId"], SourceParentId=root, DestinationParentId=ou)
        have.append(st["AccountId"])
    echo(_("OU {ou} ({name}) holds {n} account(s); created {missing} now.").format(
        ou=ou, name=ou_name, n=len(have), missing=missing))
    return ou, have


def main(args, echo=print) -> int:
    refuse_unless_sandbox()
    org = aws.client("organizations", args.region)
    ou, accounts = make_room(org, args.accounts, args.ou_name, echo)
    command = f"python -m utils instructor provision --ou {ou} --predeploy" + (
        f" --room {args.room}" if args.room != "bedrock-workshop" else "")
    echo(_("Rehearse with: {command}; then status, handout, the notebooks in notebooks/instructor/, and "
           "cleanup.").format(command=command))
    return 0
