"""Service Quotas in the sandbox, and the one quota the workshop meets: VPCs per Region.

moto 5.2.1 answers GetServiceQuota for the `vpc` service from its table of defaults ("VPCs per
Region", L-F678F1CE, 5), with a QuotaArn that names eu-west-1 and no account, and never enforces
the quota. AWS ("Amazon VPC quotas", Amazon VPC User Guide; "GetServiceQuota", Service Quotas API
Reference):

- the QuotaArn is arn:aws:servicequotas:<region>:<account>:vpc/L-F678F1CE;
- the quota counts every VPC in the Region, the default VPC included;
- CreateVpc beyond it fails with VpcLimitExceeded, "The maximum number of VPCs has been reached."
  (Amazon EC2 API Reference, "Error codes"). Through CloudFormation this becomes the VPC
  resource's CREATE_FAILED reason.

`applied_quota(account, region)` is the one place the value is read; `set_applied_quota` stands in
for an approved quota increase (tests and rehearsals of a larger shared account).
"""

from __future__ import annotations

import copy

from .server import RESET_HOOKS

VPC_QUOTA_CODE = "L-F678F1CE"
VPC_DEFAULT = 5.0

_applied: dict[tuple[str, str, str], float] = {}  # (account, region, quota code) -> value after an increase


def applied_quota(account: str, region: str, code: str = VPC_QUOTA_CODE) -> float:
    return _applied.get((account, region, code), VPC_DEFAULT if code == VPC_QUOTA_CODE else 0.0)


def set_applied_quota(account: str, region: str, value: float, code: str = VPC_QUOTA_CODE) -> None:
    _applied[(account, region, code)] = float(value)


RESET_HOOKS.append(_applied.clear)


def _patch() -> None:
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.vpcs import VPCBackend
    from moto.servicequotas.models import ServiceQuotasBackend

    original_create_vpc = VPCBackend.create_vpc

    def create_vpc(self, *args, **kwargs):
        limit = applied_quota(self.account_id, self.region_name)
        if len(self.vpcs) >= limit:
            raise EC2ClientError("VpcLimitExceeded", "The maximum number of VPCs has been reached.")
        return original_create_vpc(self, *args, **kwargs)

    VPCBackend.create_vpc = create_vpc

    original_get = ServiceQuotasBackend.get_service_quota

    def get_service_quota(self, service_code: str, quota_code: str):
        quota = copy.deepcopy(original_get(self, service_code, quota_code))
        quota["QuotaArn"] = f"arn:aws:servicequotas:{self.region_name}:{self.account_id}:{service_code}/{quota_code}"
        if (self.account_id, self.region_name, quota_code) in _applied:
            quota["Value"] = _applied[(self.account_id, self.region_name, quota_code)]
        return quota

    ServiceQuotasBackend.get_service_quota = get_service_quota


_patch()
