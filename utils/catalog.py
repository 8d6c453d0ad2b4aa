"""`python -m utils catalog check`: are the offline Amazon Bedrock facts (awsfacts/bedrock.py) still true?

Compares, Region by Region, what the offline catalogue says with what the target's control plane answers:

- a model is listed in the Region, its lifecycle state, on-demand or profile-only, its output modalities:
  ListFoundationModels, then GetFoundationModel for the lifecycle;
- the end-of-life list: ListFoundationModels must not list the model, and GetFoundationModel must not call it
  ACTIVE or LEGACY;
- which inference profiles of the catalogue's models are callable from the Region: ListInferenceProfiles
  (SYSTEM_DEFINED);
- each profile's destination Regions: GetInferenceProfile `models` (a global profile: the Region-less ARN);
- token prices: not compared. Bedrock's own APIs do not return them, and the AWS Price List (service code
  AmazonBedrock) names models by display name and usage type rather than model ID, and has been reported
  incomplete (aws/aws-sdk-go-v2#3397, aws/aws-cli#9567, boto/boto3#4595), so a join would report false
  differences. The check prints the offline prices with their source, and a maintainer compares them with
  aws.amazon.com/bedrock/pricing (docs/live-check.md).

Every difference is printed; the exit code is 1 when there is any, 0 when none. Models AWS lists that the
catalogue does not describe are printed as notes, not differences: the catalogue is a chosen subset.

The target is chosen as everywhere in utils (WORKSHOP_TARGET, else the config file, else detection): on the
sandbox, which serves the same facts, the check passes; on AWS it needs bedrock:ListFoundationModels,
bedrock:GetFoundationModel, bedrock:ListInferenceProfiles and bedrock:GetInferenceProfile.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

from awsfacts import bedrock as awsbedrock

from .models import paginate

# An opt-in Region the account has not enabled answers with one of these: skipped with a note, not a difference.
_REGION_NOT_ENABLED = {"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure"}
_NOT_FOUND = {"ResourceNotFoundException", "ValidationException"}
_TRACKED_PROVIDERS = {"Amazon", "Anthropic"}


@dataclass
class Report:
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def differ(self, region: str, text: str) -> None:
        self.differences.append(f"{region}: {text}")

    def note(self, region: str, text: str) -> None:
        self.notes.append(f"{region}: {text}")

    @property
    def ok(self) -> bool:
        return not self.differences

    def text(self) -> str:
        lines = [f"Checked {len(self.checked)} Region(s): {', '.join(self.checked) or 'none'}"]
        lines += [f"DIFFERENT  {d}" for d in self.differences]
        lines += [f"note       {n}" for n in self.notes]
        prices = ", ".join(f"{m} {_decimal(p['input'])}/{_decimal(p['output'])}"
                           for m, p in awsbedrock.TOKEN_PRICES_PER_1K.items())
        lines.append(f"not compared (no Bedrock API): token prices, USD per 1,000 input/output tokens: {prices} "
                     f"[{awsbedrock.TOKEN_PRICES_SOURCE}]")
        lines.append(f"{len(self.differences)} difference(s) between awsfacts/bedrock.py and the live catalogue"
                     if self.differences else "The offline catalogue matches the live one.")
        return "\n".join(lines)


def _decimal(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".") or "0"


def _code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


def _expected_profiles(region: str) -> dict[str, dict]:
    return {p["id"]: p for p in awsbedrock.PROFILES if region in p["sources"]}


def check_region(bedrock, region: str, report: Report) -> None:
    """Compare one Region. `bedrock` is a client of the `bedrock` control plane in `region`."""
    live_models = {m["modelId"]: m for m in bedrock.list_foundation_models().get("modelSummaries", [])}
    for mid, facts in awsbedrock.MODELS.items():
        listed_offline = region in facts["on_demand"] or region in facts["profile_only"]
        live = live_models.get(mid)
        if live is None:
            if listed_offline:
                report.differ(region, f"{mid} is listed offline but ListFoundationModels does not list it")
            continue
        if not listed_offline:
            report.differ(region, f"{mid} is listed live but not offline (add {region} to its Regions)")
            continue
        kind = "ON_DEMAND" if region in facts["on_demand"] else "INFERENCE_PROFILE"
        live_kinds = live.get("inferenceTypesSupported") or []
        if kind not in live_kinds:
            report.differ(region, f"{mid}: offline {kind}, live inferenceTypesSupported {live_kinds}")
        if sorted(live.get("outputModalities") or []) != sorted(facts["outputModalities"]):
            report.differ(region, f"{mid}: offline outputs {facts['outputModalities']}, live "
                          f"{live.get('outputModalities')}")
        details = bedrock.get_foundation_model(modelIdentifier=mid)["modelDetails"]
        status = (details.get("modelLifecycle") or {}).get("status")
        if status != facts["lifecycle"]["status"]:
            report.differ(region, f"{mid}: offline lifecycle {facts['lifecycle']['status']}, "
                          f"GetFoundationModel says {status}")
    for mid, facts in awsbedrock.END_OF_LIFE.items():
        if mid in live_models:
            status = (live_models[mid].get("modelLifecycle") or {}).get("status")
            report.differ(region, f"{mid} is on the end-of-life list ({facts['endOfLife'] or 'no date'}) but "
                          f"ListFoundationModels lists it as {status}")
            continue
        try:
            details = bedrock.get_foundation_model(modelIdentifier=mid)["modelDetails"]
        except Exception as exc:  # noqa: BLE001 - the API's refusal is the expected answer
            if _code(exc) not in _NOT_FOUND:
                raise
            continue
        status = (details.get("modelLifecycle") or {}).get("status")
        if status in ("ACTIVE", "LEGACY"):
            report.differ(region, f"{mid} is on the end-of-life list but GetFoundationModel says {status}")
    unknown = sorted(m for m, s in live_models.items()
                     if m not in awsbedrock.MODELS and m not in awsbedrock.END_OF_LIFE
                     and s.get("providerName") in _TRACKED_PROVIDERS and "TEXT" in (s.get("outputModalities") or []))
    if unknown:
        report.note(region, f"{len(unknown)} Amazon/Anthropic text model(s) not in the offline catalogue: "
                    + ", ".join(unknown))

    expected = _expected_profiles(region)
    live_profiles = {p["inferenceProfileId"]: p for p in
                     paginate(bedrock.list_inference_profiles, "inferenceProfileSummaries",
                               typeEquals="SYSTEM_DEFINED")}
    for pid, prof in expected.items():
        if pid not in live_profiles:
            report.differ(region, f"profile {pid} is callable offline but ListInferenceProfiles does not list it")
            continue
        described = bedrock.get_inference_profile(inferenceProfileIdentifier=pid)
        arns = [m["modelArn"] for m in described.get("models", [])]
        if prof["destinations"] is None:
            if not any(_region_of(a) == "" for a in arns):
                report.differ(region, f"global profile {pid}: no Region-less model ARN in {arns}")
            continue
        live_dest = sorted({_region_of(a) for a in arns})
        if live_dest != sorted(prof["destinations"][region]):
            report.differ(region, f"profile {pid}: offline destinations {sorted(prof['destinations'][region])}, "
                          f"GetInferenceProfile {live_dest}")
    for pid, live in live_profiles.items():
        if pid in expected or pid in awsbedrock.END_OF_LIFE_PROFILES:
            continue
        behind = next((m["modelArn"].split("foundation-model/", 1)[1] for m in live.get("models", [])
                       if "foundation-model/" in m.get("modelArn", "")), None)
        if behind in awsbedrock.MODELS:
            report.differ(region, f"profile {pid} (of {behind}) is listed live but not offline")
        elif behind in awsbedrock.END_OF_LIFE:
            report.differ(region, f"profile {pid} is listed live, but {behind} is on the end-of-life list")


def check(regions: list[str], client) -> Report:
    """Compare each Region through `client(service, region)` (utils.target.client)."""
    report = Report()
    for region in regions:
        try:
            check_region(client("bedrock", region), region, report)
        except Exception as exc:  # noqa: BLE001 - reported, never a traceback
            code = _code(exc)
            if code in _REGION_NOT_ENABLED:
                report.note(region, f"not checked: {code} (an opt-in Region this account has not enabled?)")
                continue
            report.differ(region, f"could not compare: {code}: {exc}")
        report.checked.append(region)
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils catalog",
                                     description="Compare the offline Amazon Bedrock catalogue with the target's.")
    parser.add_argument("action", choices=["check"])
    parser.add_argument("--region", action="append", default=[],
                        help="a Region to check (repeatable; default: the workshop's Region, else us-east-1)")
    parser.add_argument("--all-regions", action="store_true",
                        help="check every Region of the offline catalogue (awsfacts.bedrock.REGIONS)")
    args = parser.parse_args(argv)
    from . import config, target, validation

    try:
        chosen = target.activate()
    except (target.TargetError, validation.InvalidInput) as exc:
        print(f"catalog check: {exc}", file=sys.stderr)
        return 1
    if args.all_regions:
        regions = list(awsbedrock.REGIONS)
    elif args.region:
        try:
            regions = [validation.region(r) for r in args.region]
        except validation.InvalidInput as exc:
            print(f"catalog check: {exc}", file=sys.stderr)
            return 2
    else:
        regions = [config.resolve()["region"] or config.DEFAULT_REGION]
    print(f"catalog check against {chosen}")
    try:
        report = check(regions, target.client)
    finally:
        if chosen.started_sandbox:
            from sandbox import control

            control.stop()
    print(report.text())
    return 0 if report.ok else 1
