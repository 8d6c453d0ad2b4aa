"""Amazon SageMaker Studio detection: the execution role and region this kernel runs with.

Order: the `sagemaker` package when it is importable (its `get_execution_role`, which
version 3 moved out of the top-level package), else Studio's metadata file, else STS.
Nothing here installs `sagemaker`; Studio images already ship it.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
from pathlib import Path

METADATA_FILE = Path("/opt/ml/metadata/resource-metadata.json")

# Where get_execution_role lives: sagemaker 2.x, then the 3.x locations.
_GET_ROLE_PATHS = (
    ("sagemaker", "get_execution_role"),
    ("sagemaker.core.helper.session_helper", "get_execution_role"),
    ("sagemaker.core.session_helper", "get_execution_role"),
    ("sagemaker.session", "get_execution_role"),
)


def _metadata_file() -> Path:
    return Path(os.environ.get("WORKSHOP_STUDIO_METADATA", METADATA_FILE))


def _role_from_sagemaker() -> str | None:
    if importlib.util.find_spec("sagemaker") is None:
        return None
    for module_name, attr in _GET_ROLE_PATHS:
        try:
            fn = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError):
            continue
        try:
            return fn()
        except Exception:  # outside SageMaker it raises ValueError; any failure means "not known here"
            return None
    return None


def detect(sts=None) -> dict:
    """{"in_studio", "source", "role_arn", "region", "domain_id", "user_profile"}.

    `sts` (a boto3 STS client) is used only as the last resort, for the caller's ARN.
    """
    info = {"in_studio": False, "source": None, "role_arn": None, "region": None, "domain_id": None,
            "user_profile": None}
    meta_path = _metadata_file()
    meta = {}
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            meta = {}
    if meta:
        info["in_studio"] = True
        info["domain_id"] = meta.get("DomainId")
        info["user_profile"] = meta.get("UserProfileName") or meta.get("SpaceName")
        arn = meta.get("ResourceArn", "")
        if arn.count(":") >= 5:
            info["region"] = arn.split(":")[3]
    if info["in_studio"] or importlib.util.find_spec("sagemaker") is not None:
        role = _role_from_sagemaker()
        if role:
            info.update(source="sagemaker", role_arn=role)
            return info
    if meta.get("ExecutionRoleArn"):
        info.update(source="metadata", role_arn=meta["ExecutionRoleArn"])
        return info
    if info["in_studio"]:
        info["source"] = "metadata"
    if sts is not None and not info["role_arn"]:
        identity = sts.get_caller_identity()
        info["role_arn"] = identity["Arn"]
        info["source"] = info["source"] or "sts"
    return info
