"""Route 53 fixes (moto.route53): hosted zones as AWS records them (notebook 06's private hosted zone, path 3).

tests/parity/cases/route53.json replays AWS's recorded answers (LocalStack's AWS-validated snapshots). Each
replacement has the signature of the moto method it replaces.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends
from moto.route53.exceptions import Route53ClientError
from moto.route53.responses import Route53

from .registry import fix, original, replace


class InvalidVPCId(Route53ClientError):
    """AWS's answer to a CreateHostedZone whose VPC does not exist in the caller's account (recorded:
    InvalidVPCId "The VPC ID is invalid.", HTTP 400); moto 5.2.1 creates the zone."""

    def __init__(self) -> None:
        super().__init__("InvalidVPCId", "The VPC ID is invalid.")


def route53_create_hosted_zone(self: Route53) -> Any:
    """A VPC in the request must exist in the caller's account and its Region ("When you create a private hosted
    zone ... the VPC that you specify must have been created by using the same account": Route 53 Developer Guide,
    "Creating a private hosted zone"). moto 5.2.1 reads the VPC only with PrivateZone true and never checks it."""
    vpc_id = self._get_param("VPC.VPCId")
    if vpc_id:
        region = self._get_param("VPC.VPCRegion") or self.region
        if vpc_id not in ec2_backends[self.current_account][region].vpcs:
            raise InvalidVPCId()
    return original(Route53, "create_hosted_zone")(self)


def route53_list_hosted_zones_by_vpc(self: Route53) -> Any:
    """ListHostedZonesByVPC answers MaxItems too (the request's, else "100", as recorded from AWS); moto 5.2.1
    leaves it out."""
    result = original(Route53, "list_hosted_zones_by_vpc")(self)
    result.result.setdefault("MaxItems", self._get_param("MaxItems") or "100")
    return result


@fix
def fix_route53_hosted_zones() -> None:
    replace(Route53, "create_hosted_zone", route53_create_hosted_zone)
    replace(Route53, "list_hosted_zones_by_vpc", route53_list_hosted_zones_by_vpc)
