"""Run-time settings of the sandbox: timing and injected faults.

By default everything is ready at once. `timing_scale` multiplies AWS-like
delays (1.0 is roughly what AWS takes; 0.05 keeps tests quick but still makes
waiting code poll). Two delays can also be given in seconds, added to the scaled
delay: `policy_propagation_seconds` and `cloudtrail_delivery_seconds`.
Settings come from environment variables at start-up (SANDBOX_TIMING_SCALE,
SANDBOX_POLICY_PROPAGATION_SECONDS, SANDBOX_CLOUDTRAIL_DELIVERY_SECONDS) and can
be changed while running through `POST /_sandbox/settings`.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import asdict, dataclass, field

# Roughly what AWS takes, in seconds, at timing_scale 1.0.
AWS_DELAYS = {
    "endpoint_pending": 60.0,  # CreateVpcEndpoint: pending -> available
    "endpoint_deleting": 30.0,  # DeleteVpcEndpoints: deleting -> gone
    "lambda_update": 10.0,  # UpdateFunctionConfiguration: InProgress -> Successful
    "policy_propagation": 30.0,  # a policy change takes effect
    # Lambda deletes a function's ENIs after the function leaves the VPC (or is deleted). The AWS Support tool
    # for stuck Lambda ENIs (awslabs/aws-support-tools, PR 174, "ENIs may take up to 20 minutes to be deleted
    # under normal operations"); Terraform's AWS provider waits at least 45 minutes for them, a bound set with
    # the Lambda team (hashicorp/terraform-provider-aws PR 10347, issue 10329); users report 20 to 40 minutes
    # (serverless-plugin-vpc-eni-cleanup: "usually around 40 minutes"). CloudFormation waits for Lambda to
    # delete them before it deletes the VPC's resources ("AWS::Lambda::Function VpcConfig", template reference).
    # 20 minutes here: the normal case, not the worst.
    "eni_release": 1200.0,
    "stack_operation": 20.0,  # CloudFormation CREATE/DELETE_IN_PROGRESS
    "stack_set_operation": 10.0,  # StackSets: an operation's start-up and wrap-up, around its stack operations
    # An API call reaches CloudTrail's event history (LookupEvents) some minutes later: "CloudTrail typically
    # delivers logs within an average of about 5 minutes of an API call. This time is not guaranteed."
    # (CloudTrail User Guide, "Getting and viewing your CloudTrail log files").
    "cloudtrail_delivery": 300.0,
    "sagemaker_resource": 30.0,  # SageMaker Studio domain, user profile, space, app: Pending -> InService
    # Notebook 06 (beyond one VPC). AWS documents no figure for these; they are estimates of typical times, not
    # bounds (Terraform's AWS provider waits up to 10 minutes for each: its default create/delete timeouts of
    # aws_ec2_transit_gateway, aws_ec2_transit_gateway_vpc_attachment and aws_route53_resolver_endpoint).
    "transit_gateway_pending": 180.0,  # CreateTransitGateway: pending -> available
    "tgw_attachment_pending": 60.0,  # CreateTransitGatewayVpcAttachment: pending -> available
    "tgw_attachment_deleting": 120.0,  # DeleteTransitGatewayVpcAttachment: deleting -> deleted (ENIs released)
    "resolver_endpoint_creating": 120.0,  # CreateResolverEndpoint: CREATING -> OPERATIONAL
    "resolver_endpoint_deleting": 60.0,  # DeleteResolverEndpoint: DELETING -> gone (ENIs released)
}


@dataclass
class Settings:
    timing_scale: float = 0.0
    # Extra propagation delay for policy changes, in seconds, on top of timing_scale.
    policy_propagation_seconds: float = 0.0
    # Extra CloudTrail delivery delay, in seconds, on top of timing_scale (sandbox/cloudtrail.py).
    cloudtrail_delivery_seconds: float = 0.0
    # Fault name -> remaining count (or parameters): bedrock_throttle, bedrock_unavailable (sandbox/bedrock.py),
    # stack_create_failure (sandbox/moto_fixes.py), endpoint_create_failure (sandbox/endpoints.py),
    # slow_eni_release (seconds; delay() below).
    faults: dict = field(default_factory=dict)

    def delay(self, name: str) -> float:
        """Seconds the named AWS-like delay lasts under the current settings."""
        seconds = AWS_DELAYS[name] * self.timing_scale
        # Injected fault "slow_eni_release" (issue 5): Lambda takes this many seconds to release a function's
        # ENIs after it leaves the VPC, whatever timing_scale says. Stays set until cleared (or a reset).
        slow = self.faults.get("slow_eni_release")
        if name == "eni_release" and isinstance(slow, (int, float)) and not isinstance(slow, bool) and slow > 0:
            return float(slow)
        if name == "policy_propagation":
            seconds += self.policy_propagation_seconds
        if name == "cloudtrail_delivery":
            seconds += self.cloudtrail_delivery_seconds
        return seconds

    def to_dict(self) -> dict:
        return asdict(self)

    def update(self, values: dict) -> None:
        for key, value in values.items():
            if key not in SECONDS and key != "faults":
                raise ValueError(f"unknown setting {key!r}")
            if key == "faults":
                # {} clears every fault; otherwise the given faults are set (a falsy value clears that one).
                self.faults = {} if not value else {k: v for k, v in {**self.faults, **value}.items() if v}
            else:
                setattr(self, key, _seconds(key, value))


# The numeric settings and the environment variable that sets each at start-up.
SECONDS = {
    "timing_scale": "SANDBOX_TIMING_SCALE",
    "policy_propagation_seconds": "SANDBOX_POLICY_PROPAGATION_SECONDS",
    "cloudtrail_delivery_seconds": "SANDBOX_CLOUDTRAIL_DELIVERY_SECONDS",
}


def _seconds(key: str, value) -> float:
    """A numeric setting: a finite number, zero or more; anything else is refused with the key's name."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number of seconds (or a scale), not {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise ValueError(f"{key} must be a finite number, zero or more, not {value!r}")
    return number


def _from_env() -> Settings:
    s = Settings()
    for key, var in SECONDS.items():
        if os.environ.get(var, "").strip():
            try:
                setattr(s, key, _seconds(key, os.environ[var].strip()))
            except ValueError as exc:
                raise SystemExit(f"{var}: {exc}") from None
    return s


SETTINGS = _from_env()
LOCK = threading.RLock()
