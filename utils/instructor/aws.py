"""Clients for the instructor's account and for each participant's account (AWS STS AssumeRole).

Plumbing only. One boto3 session is shared (the SDK's data files load once); a client for another account gets
that account's temporary credentials explicitly. Creating clients from one session is not thread-safe, so it
happens under a lock; using a client from several threads is (boto3: "Low-level clients are thread safe").
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from botocore.exceptions import ClientError

from .. import target
from ..lang import _
from .errors import Failed

_LOCK = threading.Lock()
SESSION_SECONDS = 3600  # AssumeRole's default; a role chain cannot exceed one hour anyway


def _config(**extra):
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 5}, parameter_validation=True,
                  max_pool_connections=20, **extra)


def client(service: str, region: str, credentials: dict | None = None):
    """A client in the instructor's account (`credentials` None) or with these temporary credentials."""
    if credentials is None:
        return target.client(service, region)
    if target._require_sandbox():
        url = os.environ.get("AWS_ENDPOINT_URL")
        if not url or not target.is_loopback(url):
            raise target.TargetError(f"WORKSHOP_REQUIRE_SANDBOX=1: refusing a {service} client for {url or 'AWS'}.")
    with _LOCK:
        return target.session().client(
            service, region_name=region, config=_config(),
            aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"])


def role_arn(account_id: str, role_name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{role_name}"


_CREDENTIALS: dict = {}  # (endpoint, account, role, session) -> credentials, reused until 5 minutes before expiry


def assume(account_id: str, role_name: str, region: str, session_name: str = "workshop-instructor",
           seconds: int = SESSION_SECONDS, fresh: bool = False, tags: dict[str, str] | None = None) -> dict:
    """Temporary credentials for `role_name` in `account_id` (AssumeRole from the instructor's identity), with
    session tags `tags` (the role's trust policy must allow sts:TagSession for them).

    Kept for reuse while valid (a dashboard refreshes often); `fresh` asks STS again.
    """
    from datetime import UTC, datetime, timedelta

    key = (os.environ.get("AWS_ENDPOINT_URL"), account_id, role_name, session_name, tuple(sorted((tags or {}).items())))
    cached = _CREDENTIALS.get(key)
    if cached and not fresh and cached["Expiration"] - timedelta(minutes=5) > datetime.now(UTC):
        return cached
    sts = target.client("sts", region)
    extra = {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}
    try:
        creds = sts.assume_role(RoleArn=role_arn(account_id, role_name), RoleSessionName=session_name,
                                DurationSeconds=seconds, **extra)["Credentials"]
    except ClientError as exc:
        # A role from before its trust policy allowed the session tag (notebook 06 in rooms) refuses a tagged
        # AssumeRole with AccessDenied on sts:TagSession: say so and how to update it, not just "access denied".
        if tags and "sts:TagSession" in exc.response.get("Error", {}).get("Message", ""):
            raise Failed(_("{role} in {account} does not accept the session tag {keys}: its trust policy predates "
                           "it (the role of a room provisioned before notebook 06 could run in rooms). Run "
                           "`python -m utils instructor provision` again with the room's options: it updates the "
                           "role, then try again. AWS said: {message}").format(
                             role=role_name, account=account_id, keys=", ".join(sorted(tags)),
                             message=exc.response["Error"].get("Message", ""))) from exc
        raise
    expiration = creds["Expiration"]
    if isinstance(expiration, datetime) and expiration.tzinfo is None:
        creds = {**creds, "Expiration": expiration.replace(tzinfo=UTC)}
    _CREDENTIALS[key] = creds
    return creds


def forget_credentials() -> None:
    _CREDENTIALS.clear()
    _FACTORIES.clear()


_FACTORIES: dict = {}


def factory(region: str, credentials: dict | None = None) -> Callable:
    """`make(service, region=None)`: clients with these credentials, cached per service and region."""
    key = (os.environ.get("AWS_ENDPOINT_URL"), region, credentials and credentials["AccessKeyId"])
    if key in _FACTORIES:
        return _FACTORIES[key]
    cache: dict = {}

    def make(service: str, region_name: str | None = None):
        key = (service, region_name or region)
        if key not in cache:
            cache[key] = client(service, key[1], credentials)
        return cache[key]

    _FACTORIES[key] = make
    return make


def caller(region: str) -> dict:
    return target.client("sts", region).get_caller_identity()


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code", type(exc).__name__)
