"""Fixes for gaps in moto 5.2.1 that the workshop walks into (issue 2, "Gaps in moto 5.2.1"), one module per
moto service, as moto lays out its own: `ec2`, `iam`, `awslambda`, `logs`, `resourcegroupstaggingapi`,
`route53`, `cloudformation`.

Each fix replaces or wraps a moto model or backend method in this process, so that moto's own responses
(and CloudFormation, which calls the same models) stay consistent. Where a fix corrects a plain moto bug,
the replacement has the signature of moto's method and a docstring naming the AWS documentation page and
the moto behaviour it corrects, so that it could be proposed upstream.

- Importing this package applies every fix that does not need moto's CloudFormation code; the sandbox
  applies the CloudFormation ones at its first CloudFormation request (moto's CloudFormation code takes
  about a second to import, and every stack operation arrives as a CloudFormation request).
- `apply_all()` applies, at once and in-process, every patch that the server applies to moto: this package's
  fixes, and the patches of the sandbox modules that model what moto lacks (sandbox/endpoints.py: interface
  VPC endpoints; sandbox/lambda_service.py: Lambda in a VPC, states, runtimes; sandbox/servicequotas.py,
  sandbox/organizations.py, sandbox/stacksets/, sandbox/sagemaker/, sandbox/language_extensions.py). It is
  what `python -m benchmarks.moto_upstream` does before it runs moto's own tests. `apply_fixes()` applies
  this package's fixes only.
- `FIXES` lists the names of the fixes applied so far.

tests/test_moto_fixes.py drives each fix through boto3 against the sandbox. Interface VPC endpoints are
modelled in sandbox/endpoints.py, not here.

Patches that the server makes in its routes (answers to requests, such as Lambda's Invoke or IAM's
SimulatePrincipalPolicy) are not patches to moto's models, and only run behind the server's HTTP front.
"""

from __future__ import annotations

from .. import server
from ..server import DEFERRED_PATCHES, AwsRequest, route
from . import awslambda, cloudformation, ec2, iam, logs, resourcegroupstaggingapi, route53  # noqa: F401 - each registers fixes
from .registry import EAGER, FIXES, LAZY, apply_eager, apply_lazy

__all__ = ["EAGER", "FIXES", "LAZY", "apply_all", "apply_cloudformation", "apply_eager", "apply_fixes"]


def apply_cloudformation() -> None:
    """Apply the fixes that need moto's CloudFormation code (idempotent, thread-safe)."""
    apply_lazy()


def apply_fixes() -> None:
    """Apply this package's fixes, the CloudFormation ones included, in this process (idempotent)."""
    apply_eager()
    apply_lazy()


def apply_all() -> None:
    """Apply in this process every patch that the server applies to moto (idempotent), without serving:
    this package's fixes and those of the sandbox's other modules (see the module docstring)."""
    apply_fixes()
    server.apply_patches()


DEFERRED_PATCHES.append(apply_lazy)


@route(service="cloudformation")
def _cloudformation_fixes_first(req: AwsRequest):
    apply_lazy()
    return None  # moto answers, now patched


apply_eager()
