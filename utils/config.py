"""The workshop's configuration: `workshop_config.json` at the repository root.

Order of precedence for each setting: environment variable, then the file, then
detection (defaults). Notebook 00 writes the file; every later notebook reads it.

The file also keeps the learner's language (`lang`, saved by notebook 00: the language of the folder it ran
in, or WORKSHOP_LANG); utils.lang reads it so that every helper speaks that language wherever it runs
(WORKSHOP_LANG and the kernel's folder override it; see utils.lang).

    WORKSHOP_CONFIG      path of the file (default: <repo>/workshop_config.json)
    WORKSHOP_TARGET      sandbox | aws
    WORKSHOP_REGION      e.g. us-east-1
    WORKSHOP_ACCOUNT_ID  12 digits
    WORKSHOP_MODEL_ID    model or inference-profile ID
    WORKSHOP_PREFIX      participant prefix ("" by default)
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from awsfacts import bedrock as awsbedrock

from . import validation
from .lang import _
from .paths import config_path, repo_root  # noqa: F401 - re-exported: utils.config.repo_root() is used widely
from .validation import InvalidInput

DEFAULT_REGION = "us-east-1"
DEFAULT_MODEL_ID = f"us.{awsbedrock.DEFAULT_MODEL}"  # in DEFAULT_REGION; elsewhere utils.models.default_model_id
WORKSHOP_TAG = ("workshop", "bedrock-privatelink")
REQUIRED_KEYS = ("target", "region", "account_id", "model_id")
ENV_VARS = {
    "target": "WORKSHOP_TARGET",
    "region": "WORKSHOP_REGION",
    "account_id": "WORKSHOP_ACCOUNT_ID",
    "model_id": "WORKSHOP_MODEL_ID",
    "prefix": "WORKSHOP_PREFIX",
}


class ConfigError(ValueError):
    """The configuration file cannot be used. The message says why and what to do."""


class ConfigMissing(ConfigError):
    pass


class ConfigCorrupt(ConfigError):
    pass


class ConfigIncomplete(ConfigError):
    pass


@dataclass(frozen=True)
class WorkshopConfig:
    target: str
    region: str
    account_id: str
    model_id: str
    prefix: str = ""
    lang: str = "en"  # the learner's language (utils.lang): saved by notebook 00

    # ---- names derived from the prefix (the workshop contract)
    @property
    def participant(self) -> str:
        return self.prefix or "default"

    @property
    def stack_name(self) -> str:
        return f"{self.prefix}-Bedrock-GenAI-Stack" if self.prefix else "Bedrock-GenAI-Stack"

    @property
    def vpc_name(self) -> str:
        return f"{self.prefix}-Bedrock-GenAI-Project-vpc" if self.prefix else "Bedrock-GenAI-Project-vpc"

    @property
    def corporate_stack_name(self) -> str:
        """The corporate stand-in of notebook 06 (cfn/corporate-network.yaml)."""
        return f"{self.prefix}-Bedrock-Corporate-Stack" if self.prefix else "Bedrock-Corporate-Stack"

    @property
    def endpoint_name(self) -> str:
        return f"{self.prefix}-bedrock-vpce" if self.prefix else "bedrock-vpce"

    @property
    def control_endpoint_name(self) -> str:
        return f"{self.prefix}-bedrock-control-vpce" if self.prefix else "bedrock-control-vpce"

    @property
    def tags(self) -> list[dict]:
        """The tags on everything the workshop creates, in the EC2/CloudFormation shape."""
        return [{"Key": WORKSHOP_TAG[0], "Value": WORKSHOP_TAG[1]}, {"Key": "participant", "Value": self.participant}]

    @property
    def tag_filters(self) -> list[dict]:
        """EC2 Describe* filters that select this participant's workshop resources."""
        return [{"Name": f"tag:{WORKSHOP_TAG[0]}", "Values": [WORKSHOP_TAG[1]]},
                {"Name": "tag:participant", "Values": [self.participant]}]

    def to_dict(self) -> dict:
        return asdict(self)


def validate(values: dict, offered_models: list[str] | None = None) -> WorkshopConfig:
    """A `WorkshopConfig` from raw values, each put through the same checks as the widgets.

    Raises the first `InvalidInput` found (a ValueError whose message names the fix).
    """
    target = validation.target(values.get("target"))
    region = validation.region(values.get("region"), target)
    return WorkshopConfig(
        target=target,
        region=region,
        account_id=validation.account_id(values.get("account_id")),
        model_id=validation.model_id(values.get("model_id"), region, offered_models),
        prefix=validation.prefix(values.get("prefix", "")),
        lang=validation.language(values.get("lang")),
    )


def errors(values: dict, offered_models: list[str] | None = None) -> dict[str, str]:
    """Every problem in `values`, as {field: message}; empty when all is valid (used by the widgets)."""
    problems: dict[str, str] = {}
    checks = {
        "target": lambda: validation.target(values.get("target")),
        "region": lambda: validation.region(values.get("region"), values.get("target")),
        "account_id": lambda: validation.account_id(values.get("account_id")),
        "prefix": lambda: validation.prefix(values.get("prefix", "")),
    }
    for name, check in checks.items():
        try:
            check()
        except InvalidInput as exc:
            problems[name] = str(exc)
    try:
        region = validation.region(values.get("region"))
    except InvalidInput:
        region = None
    try:
        validation.model_id(values.get("model_id"), region, offered_models)
    except InvalidInput as exc:
        problems["model_id"] = str(exc)
    return problems


def read_file(path: Path | None = None) -> dict:
    """The raw contents of the config file. Raises ConfigMissing / ConfigCorrupt."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigMissing(
            _("No configuration file at {path}. Run notebook 00_prerequisites (or set WORKSHOP_REGION, "
              "WORKSHOP_ACCOUNT_ID, WORKSHOP_MODEL_ID and WORKSHOP_TARGET) first.").format(path=path)
        ) from None
    except OSError as exc:
        raise ConfigMissing(_("Cannot read {path}: {error}. Check the file's permissions.").format(
            path=path, error=exc.strerror)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigCorrupt(
            _("{path} is not valid JSON (line {line}, column {column}: {error}). "
              "Delete it and re-run notebook 00, which writes it again.").format(
                path=path, line=exc.lineno, column=exc.colno, error=exc.msg)
        ) from None
    if not isinstance(data, dict):
        raise ConfigCorrupt(_("{path} must hold a JSON object, not {kind}. Delete it and re-run notebook 00.").format(
            path=path, kind=type(data).__name__))
    unknown = sorted(set(data) - {f.name for f in fields(WorkshopConfig)})
    if unknown:
        raise ConfigCorrupt(_("{path} has unknown settings {unknown}. Remove them, or delete the file and re-run "
                              "notebook 00.").format(path=path, unknown=unknown))
    return data


def env_overrides() -> dict:
    """Settings given by WORKSHOP_* environment variables (only those set and non-empty)."""
    out = {}
    for key, var in ENV_VARS.items():
        value = os.environ.get(var)
        if value is not None and (value.strip() or key == "prefix"):
            out[key] = value
    return out


def load(path: Path | None = None, *, use_env: bool = True) -> WorkshopConfig:
    """The configuration: environment variables over the file. Raises ConfigError or InvalidInput."""
    path = path or config_path()
    env = env_overrides() if use_env else {}
    try:
        data = read_file(path)
    except ConfigMissing:
        if all(k in env for k in REQUIRED_KEYS):
            data = {}
        else:
            raise
    merged = {**data, **env}
    missing = [k for k in REQUIRED_KEYS if not merged.get(k)]
    if missing:
        raise ConfigIncomplete(
            _("{path} lacks {missing}. Re-run notebook 00 and save, or set {variables}.").format(
                path=path, missing=", ".join(missing), variables=", ".join(ENV_VARS[k] for k in missing))
        )
    try:
        return validate(merged)
    except InvalidInput as exc:
        source = _("an environment variable") if exc.field in env else str(path)
        raise type(exc)(_("In {source}: {problem}").format(source=source, problem=exc.problem), exc.fix) from None


def save(cfg: WorkshopConfig | dict, path: Path | None = None) -> Path:
    """Validate, then write the file atomically. Invalid values raise and leave the file untouched."""
    if isinstance(cfg, dict):
        cfg = validate(cfg)
    else:
        cfg = validate(cfg.to_dict())
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".workshop_config.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(cfg.to_dict(), f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def resolve(target: str | None = None, region: str | None = None, account_id: str | None = None,
            model_id: str | None = None, prefix: str | None = None) -> dict:
    """Starting values for notebook 00: explicit arguments, then env vars, then the file, then defaults.

    Returns raw (unvalidated) values: the widgets show them and flag what is wrong. Values
    that need AWS (target detection, the account from STS) stay None when unknown.
    """
    try:
        data = read_file()
    except ConfigError:
        data = {}
    merged = {"target": None, "region": DEFAULT_REGION, "account_id": None, "model_id": None, "prefix": ""}
    merged.update({k: v for k, v in data.items() if v is not None})
    merged.update(env_overrides())
    explicit = {"target": target, "region": region, "account_id": account_id, "model_id": model_id,
                "prefix": prefix}
    merged.update({k: v for k, v in explicit.items() if v is not None})
    chosen_model = explicit["model_id"] is not None or "model_id" in env_overrides()
    if not chosen_model and data.get("model_id") and str(merged.get("region") or "").strip() != data.get("region"):
        # The file's model was the default of the file's Region, and the Region changes: it was not the learner's
        # choice, so the new Region's default applies. A model the learner chose is kept (and checked) instead.
        from .models import default_model_id

        if data.get("region") and data["model_id"] == default_model_id(data["region"]):
            merged["model_id"] = None
    # The language is the one this run speaks (WORKSHOP_LANG, else the notebook's folder, else the saved one):
    # notebook 00 saves it, so that every helper speaks it afterwards, wherever it runs.
    from .lang import current

    merged["lang"] = current()
    # Blanks around a pasted value are not part of it (" us-east-1 " is us-east-1), as validation also holds.
    return {k: v.strip() if isinstance(v, str) else v for k, v in merged.items()}


def with_changes(cfg: WorkshopConfig, **changes) -> WorkshopConfig:
    return validate(replace(cfg, **changes).to_dict())
