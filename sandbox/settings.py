"""Run-time settings of the sandbox: timing and injected faults.

By default everything is ready at once. `timing_scale` multiplies AWS-like
delays (1.0 is roughly what AWS takes; 0.05 keeps tests quick but still makes
waiting code poll). Settings come from environment variables at start-up and can
be changed while running through `POST /_sandbox/settings`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass, field

# Roughly what AWS takes, in seconds, at timing_scale 1.0.
AWS_DELAYS = {
    "endpoint_pending": 60.0,  # CreateVpcEndpoint: pending -> available
    "endpoint_deleting": 30.0,  # DeleteVpcEndpoints: deleting -> gone
    "lambda_update": 10.0,  # UpdateFunctionConfiguration: InProgress -> Successful
    "policy_propagation": 30.0,  # a policy change takes effect
    "eni_release": 30.0,  # Lambda ENIs go after the function leaves the VPC
    "stack_operation": 20.0,  # CloudFormation CREATE/DELETE_IN_PROGRESS
    "stack_set_operation": 10.0,  # StackSets: an operation's start-up and wrap-up, around its stack operations
}


@dataclass
class Settings:
    timing_scale: float = 0.0
    # Extra propagation delay for policy changes, in seconds, on top of timing_scale.
    policy_propagation_seconds: float = 0.0
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
        return seconds

    def to_dict(self) -> dict:
        return asdict(self)

    def update(self, values: dict) -> None:
        for key, value in values.items():
            if key not in {"timing_scale", "policy_propagation_seconds", "faults"}:
                raise ValueError(f"unknown setting {key!r}")
            if key == "faults":
                # {} clears every fault; otherwise the given faults are set (a falsy value clears that one).
                self.faults = {} if not value else {k: v for k, v in {**self.faults, **value}.items() if v}
            else:
                setattr(self, key, float(value))


def _from_env() -> Settings:
    s = Settings()
    if os.environ.get("SANDBOX_TIMING_SCALE"):
        s.timing_scale = float(os.environ["SANDBOX_TIMING_SCALE"])
    if os.environ.get("SANDBOX_POLICY_PROPAGATION_SECONDS"):
        s.policy_propagation_seconds = float(os.environ["SANDBOX_POLICY_PROPAGATION_SECONDS"])
    return s


SETTINGS = _from_env()
LOCK = threading.RLock()
