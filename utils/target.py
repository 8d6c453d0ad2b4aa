"""Where the workshop's AWS calls go: the local sandbox or a real AWS account.

boto3 reads the standard `AWS_ENDPOINT_URL` environment variable: when it is set,
every client talks to that URL. The workshop uses it to select the sandbox, so the
notebooks' code is the same for both targets.

- `AWS_ENDPOINT_URL` set: a sandbox is already running there; use it.
- target "sandbox" and none running: start one (`python -m sandbox start`) and set
  `AWS_ENDPOINT_URL` for this kernel.
- no target chosen: "aws" when AWS credentials are found, else "sandbox".
- `WORKSHOP_REQUIRE_SANDBOX=1` (tests): refuse anything but a loopback endpoint.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
from dataclasses import dataclass

from . import validation
from .lang import N_, _

DEFAULT_REGION = "us-east-1"
SANDBOX_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox"}


class TargetError(RuntimeError):
    """The chosen target cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class Target:
    name: str  # "sandbox" or "aws"
    endpoint_url: str | None
    reason: str
    started_sandbox: bool = False

    @property
    def is_sandbox(self) -> bool:
        return self.name == "sandbox"

    def __str__(self) -> str:
        if self.endpoint_url:
            return _("target: {name} at {url} ({reason})").format(name=self.name, url=self.endpoint_url,
                                                                  reason=_(self.reason))
        return _("target: {name} ({reason})").format(name=self.name, reason=_(self.reason))


_active: Target | None = None


def is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _require_sandbox() -> bool:
    return os.environ.get("WORKSHOP_REQUIRE_SANDBOX", "") not in ("", "0", "false", "no")


def credentials_found() -> bool:
    """Whether boto3 finds AWS credentials (environment, profile, container or instance role)."""
    if os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"):
        return True
    import boto3

    os.environ.setdefault("AWS_METADATA_SERVICE_TIMEOUT", "1")
    os.environ.setdefault("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1")
    try:
        return boto3.session.Session().get_credentials() is not None
    except Exception:  # a broken profile counts as "no usable credentials"
        return False


def detect() -> tuple[str, str]:
    """(target, reason) when nobody chose one."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return "sandbox", N_("AWS_ENDPOINT_URL is set")
    if credentials_found():
        return "aws", N_("AWS credentials found")
    return "sandbox", N_("no AWS credentials found")


def choose(name: str | None = None) -> tuple[str, str]:
    """(target, reason): the argument, else WORKSHOP_TARGET, else the config file, else detection."""
    if name:
        return validation.target(name), N_("chosen explicitly")
    if os.environ.get("WORKSHOP_TARGET"):
        return validation.target(os.environ["WORKSHOP_TARGET"]), "WORKSHOP_TARGET"
    from . import config

    try:
        saved = config.read_file().get("target")
    except config.ConfigError:
        saved = None
    if saved:
        return validation.target(saved), f"saved in {config.config_path().name}"
    return detect()


def _sandbox_healthy(url: str) -> bool:
    from sandbox import control

    # A busy sandbox (a loaded machine, a room's worth of requests) may take seconds to answer: keep asking for up to
    # 20 s while probes time out; a refused connection means nothing listens there and fails at once.
    return control.healthy(url, timeout=2.0, patience=20.0)


def activate(name: str | None = None) -> Target:
    """Select the target for this kernel (idempotent) and return it."""
    global _active
    chosen, reason = choose(name)
    url = os.environ.get("AWS_ENDPOINT_URL") or None
    if _require_sandbox():
        if chosen != "sandbox":
            raise TargetError("WORKSHOP_REQUIRE_SANDBOX=1 is set (tests), but the target is 'aws'. "
                              "Set WORKSHOP_TARGET=sandbox.")
        if url and not is_loopback(url):
            raise TargetError(f"WORKSHOP_REQUIRE_SANDBOX=1 is set, but AWS_ENDPOINT_URL={url} is not a loopback "
                              "address: refusing to send requests anywhere but the local sandbox.")
    started = False
    if chosen == "sandbox":
        if url:
            if not _sandbox_healthy(url):
                raise TargetError(
                    _("AWS_ENDPOINT_URL={url}, but no sandbox answers there. Start one with "
                      "`python -m sandbox start`, or unset AWS_ENDPOINT_URL (the workshop then starts one).").format(
                          url=url)
                )
        else:
            from sandbox import control

            info = control.status()
            if info is None:
                info = control.start()
                started = True
            url = info["url"]
            os.environ["AWS_ENDPOINT_URL"] = url
        if not (os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY")):
            # The sandbox accepts any credentials; botocore still needs some to sign.
            for key, value in SANDBOX_CREDENTIALS.items():
                os.environ[key] = value
            os.environ.pop("AWS_SESSION_TOKEN", None)
            os.environ.pop("AWS_PROFILE", None)
            _session_holder.clear()  # a session resolves credentials once; let the next one see these
    else:
        if url and is_loopback(url):
            raise TargetError(
                _("The target is 'aws', but AWS_ENDPOINT_URL={url} points at a local sandbox. "
                  "Unset AWS_ENDPOINT_URL to reach AWS, or choose the sandbox target.").format(url=url)
            )
        if url:
            reason += f"; note AWS_ENDPOINT_URL={url} redirects every client"
    _active = Target(chosen, url, reason, started)
    _client_cache.clear()
    return _active


def active() -> Target:
    return _active if _active is not None else activate()


_client_cache: dict = {}


_session_holder: list = []


def session():
    """The kernel's boto3 session (one: the SDK's data files are loaded once; clients name their region)."""
    import boto3

    if not _session_holder:
        _session_holder.append(boto3.session.Session())
    return _session_holder[0]


def _default_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def client(service: str, region: str | None = None, **config_kwargs):
    """A boto3 client for `region` with standard retries and parameter validation on.

    Clients are cached per (service, region, options) for this kernel.
    """
    region = region or _default_region()
    key = (service, region, tuple(sorted(config_kwargs.items())))
    cached = _client_cache.get(key)
    if cached is not None:
        return cached
    if _active is None:
        activate()
    url = os.environ.get("AWS_ENDPOINT_URL")
    if _require_sandbox() and (not url or not is_loopback(url)):
        raise TargetError(f"WORKSHOP_REQUIRE_SANDBOX=1: refusing to build a {service} client for {url or 'AWS'}.")
    from botocore.config import Config

    retries = config_kwargs.pop("retries", {"mode": "standard", "max_attempts": 5})
    cfg = Config(retries=retries, parameter_validation=True, **config_kwargs)
    made = session().client(service, region_name=region, config=cfg)
    _client_cache[key] = made
    return made


def warm_up(services=("sts", "ec2", "cloudformation", "lambda", "iam", "bedrock", "cloudtrail")) -> None:
    """Load the SDK's service data ahead of use (the headless runner does this while the previous notebook runs).

    The throwaway clients carry explicit placeholder credentials, so nothing is resolved or cached for real use.
    """
    core = session()._session
    for name in services:
        core.create_client(name, region_name=DEFAULT_REGION, aws_access_key_id="warm-up",
                           aws_secret_access_key="warm-up")
