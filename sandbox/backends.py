"""Typed accessors for the moto backends that live in this process, in the caller's account.

The sandbox runs moto in-process, so our layer reads and updates moto's state
directly instead of calling itself over HTTP.

Several accounts: moto keeps one backend per account and maps each request's access key
to an account (keys minted by STS AssumeRole belong to the role's account). The sandbox's
own layer follows the same rule: the server sets the request's account in a context
variable (`acting_as`), and every accessor below uses it unless given `account=`. Code
that runs outside a request (a background thread, a Lambda worker) names the account or
enters `acting_as(...)` itself. Outside any request the account is moto's default account,
the single learner's account. MOTO_ACCOUNT_ID is never used: it would override every
credential.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from moto.core import DEFAULT_ACCOUNT_ID

DEFAULT_ACCOUNT = DEFAULT_ACCOUNT_ID

_current: ContextVar[str] = ContextVar("sandbox_account", default=DEFAULT_ACCOUNT_ID)


def current_account() -> str:
    """The account the current request acts in (moto's default account outside a request)."""
    return _current.get()


def __getattr__(name: str):
    # `backends.ACCOUNT_ID` is the caller's account: modules written for one account read it per call.
    if name == "ACCOUNT_ID":
        return _current.get()
    raise AttributeError(name)


def set_account(account: str):
    """Make `account` current for the rest of this context; returns a token for `reset_account`."""
    return _current.set(account)


def reset_account(token) -> None:
    _current.reset(token)


@contextmanager
def acting_as(account: str) -> Iterator[str]:
    token = _current.set(account)
    try:
        yield account
    finally:
        _current.reset(token)


def account_for_access_key(access_key: str | None) -> str:
    """The account an access key belongs to, as moto decides it (IAM user keys and STS keys
    live in their account's IAM backend); unknown keys belong to the default account."""
    if not access_key:
        return DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    for account_id, account in list(iam_backends.items()):
        backend = dict.get(account, "aws")
        if backend is not None and access_key in backend.access_keys:
            return account_id
    return DEFAULT_ACCOUNT_ID


def known_accounts() -> list[str]:
    """Accounts that have an IAM backend (every account anything was done in)."""
    from moto.iam.models import iam_backends

    return list(iam_backends.keys())


def _acct(account: str | None) -> str:
    return account or _current.get()


def route_table_for(ec2, subnet) -> object | None:
    """The route table a subnet uses: its explicit association, else its VPC's main table."""
    main = None
    for rt in ec2.route_tables.values():
        if rt.vpc_id != subnet.vpc_id:
            continue
        if subnet.id in rt._associations.values():
            return rt
        if rt.main_association_id is not None:
            main = rt
    return main


def free_ip(subnet, also_taken=(), random_tries: int = 0) -> str | None:
    """A free private address of a moto subnet, or None when it has none. AWS reserves the first four addresses
    and the last one. `random_tries` picks at random first (AWS does not hand out addresses in order), then the
    first free one in order; `also_taken` adds addresses the subnet's own list does not hold."""
    net = ipaddress.ip_network(subnet.cidr_block, strict=False)
    used = set(subnet._subnet_ips) | set(also_taken)
    first, last = 4, net.num_addresses - 2
    for _ in range(random_tries):
        ip = str(net.network_address + random.randint(first, last))
        if ip not in used:
            return ip
    for offset in range(first, last + 1):
        ip = str(net.network_address + offset)
        if ip not in used:
            return ip
    return None


def ec2(region: str, account: str | None = None):
    from moto.ec2.models import ec2_backends

    return ec2_backends[_acct(account)][region]


def iam(account: str | None = None):
    from moto.iam.models import iam_backends

    return iam_backends[_acct(account)]["aws"]


def sts(account: str | None = None):
    from moto.sts.models import sts_backends

    return sts_backends[_acct(account)]["aws"]


def awslambda(region: str, account: str | None = None):
    from moto.awslambda.models import lambda_backends

    return lambda_backends[_acct(account)][region]


def logs(region: str, account: str | None = None):
    from moto.logs.models import logs_backends

    return logs_backends[_acct(account)][region]


def cloudformation(region: str, account: str | None = None):
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[_acct(account)][region]


def organizations(account: str | None = None):
    from moto.organizations.models import organizations_backends

    return organizations_backends[_acct(account)]["aws"]


def sagemaker(region: str, account: str | None = None):
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[_acct(account)][region]
