"""Fixes for gaps in moto 5.2.1 that the workshop walks into (issue 2, "Gaps in moto 5.2.1"), one module per
moto service, as moto lays out its own: `ec2`, `iam`, `awslambda`, `resourcegroupstaggingapi`, `cloudformation`.

Each fix replaces or wraps a moto model or backend method in this process, so that moto's own responses
(and CloudFormation, which calls the same models) stay consistent. Where a fix corrects a plain moto bug,
the replacement has the signature of moto's method and a docstring naming the AWS documentation page and
the moto behaviour it corrects, so that it could be proposed upstream.

- Importing this package applies every fix that does not need moto's CloudFormation code; the sandbox
  applies the CloudFormation ones at its first CloudFormation request (moto's CloudFormation code takes
  about a second to import, and every stack operation arrives as a CloudFormation request).
- `apply_all()` applies every fix at once, in-process: what `python -m benchmarks.moto_upstream` does
  before it runs moto's own tests against the fixes.
- `FIXES` lists the names of the fixes applied so far.

tests/test_moto_fixes.py drives each fix through boto3 against the sandbox. Interface VPC endpoints are
modelled in sandbox/endpoints.py, not here.
"""

from __future__ import annotations

from ..server import AwsRequest, route
from . import awslambda, cloudformation, ec2, iam, resourcegroupstaggingapi  # noqa: F401 - each registers fixes
from .registry import EAGER, FIXES, LAZY, apply_eager, apply_lazy

__all__ = ["EAGER", "FIXES", "LAZY", "apply_all", "apply_cloudformation", "apply_eager"]


def apply_cloudformation() -> None:
    """Apply the fixes that need moto's CloudFormation code (idempotent, thread-safe)."""
    apply_lazy()


def apply_all() -> None:
    """Apply every fix, including the CloudFormation ones, in this process (idempotent)."""
    apply_eager()
    apply_lazy()


@route(service="cloudformation")
def _cloudformation_fixes_first(req: AwsRequest):
    apply_lazy()
    return None  # moto answers, now patched


apply_eager()
