"""What the workshop costs on AWS: an estimate before (notebooks 00 and 02), and the real endpoint hours after (07).

Prices: us-east-1, USD, as listed in docs/learner.md, "Cost on AWS" (looked up November 2026). The per-model token
prices live in one place, `awsfacts.bedrock.TOKEN_PRICES_PER_1K`, which the sandbox serves too; the endpoint and
Lambda prices below are kept only here. Everything here is arithmetic: no AWS call is made, so the estimate is free
and fast.

- Interface endpoint: USD 0.01 per endpoint per Availability Zone per hour, a partial hour billed as a full hour;
  USD 0.01 per GB of data processed.
- AWS Lambda: USD 0.20 per million requests, USD 0.0000166667 per GB-second (x86).
- Amazon Bedrock tokens: per 1,000 input / output tokens, per model (a cross-Region profile is billed at the
  price of the Region you call from).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from awsfacts import bedrock as awsbedrock

from .display import pad
from .lang import N_, _, ngettext
from .paths import repo_root

PRICES_SOURCE = "us-east-1 list prices, November 2026 (docs/learner.md, 'Cost on AWS')"
PRICES_REGION = "us-east-1"  # every price below is this Region's; no per-Region table is kept (see region_note)
ENDPOINT_AZ_HOUR = 0.01
ENDPOINT_PER_GB = 0.01
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
# Notebook 06 (beyond one VPC), us-east-1 list prices, read on 2026-12-07:
# - Transit Gateway: USD 0.05 per attachment-hour, USD 0.02 per GB processed. AWS's pricing page
#   (aws.amazon.com/transit-gateway/pricing) was not reachable from here; the figures are as quoted from it by
#   third-party summaries (awsnegotiations.com, c3x.dev) and match the structure of AWS's China pricing page
#   (amazonaws.cn/en/transit-gateway/pricing: per attachment-hour, per GB; partial hours billed as full hours).
# - Route 53 Resolver endpoints: USD 0.125 per IP address (ENI) per hour (AWS Knowledge Center,
#   "How do I optimize costs for Route 53 Resolver endpoints?",
#   repost.aws/knowledge-center/route-53-resolver-endpoint-costs).
# - Route 53 hosted zone: USD 0.50 per zone per month for the first 25 (quoted from aws.amazon.com/route53/pricing by
#   third-party summaries); "We don't bill you if you delete a hosted zone within 12 hours after you create it"
#   (Route 53 Developer Guide, "I was billed twice for the same hosted zone").
BEYOND_PRICES_SOURCE = ("us-east-1 list prices read on 2026-12-07: Transit Gateway (attachment-hour, GB), Route 53 "
                        "Resolver (IP address-hour, AWS Knowledge Center), Route 53 hosted zone (month)")
TGW_ATTACHMENT_HOUR = 0.05
TGW_PER_GB = 0.02
RESOLVER_IP_HOUR = 0.125
HOSTED_ZONE_MONTH = 0.50
BEYOND_ATTACHMENTS = 2  # the workshop VPC and the corporate stand-in
BEYOND_RESOLVER_IPS = 4  # an inbound and an outbound endpoint, two IP addresses each (the minimum)
LAMBDA_PER_GB_SECOND = 0.0000166667

# USD per 1,000 tokens (on demand, standard tier, us-east-1): the offline facts, with their source.
TOKEN_PRICES_PER_1K = awsbedrock.TOKEN_PRICES_PER_1K
TOKEN_PRICES_SOURCE = awsbedrock.TOKEN_PRICES_SOURCE

# What one workshop call looks like (measured on the sandbox; docs/learner.md): tokens and Lambda duration.
TYPICAL_CALL = {"inputTokens": 150, "outputTokens": 100}
TYPICAL_INVOCATIONS = 10


def _function_memory_mb() -> int:
    """The function's MemorySize, as the template deploys it (cfn/bedrock-privatelink.yaml: the one place)."""
    text = (repo_root() / "cfn" / "bedrock-privatelink.yaml").read_text(encoding="utf-8")
    function = text.split("\n  BedrockTestLambdaFunction:\n", 1)[1]
    return int(re.search(r"^      MemorySize: (\d+)$", function, re.M).group(1))


LAMBDA_MEMORY_MB = _function_memory_mb()
LAMBDA_SECONDS = 2.0
BYTES_PER_CALL = 8_000


def _usd(value: float) -> str:
    return "$" + (f"{value:.10f}".rstrip("0").rstrip(".") or "0")


def base_model(model_id: str) -> str:
    """The foundation model behind a model or inference-profile ID (us.amazon.nova-micro-v1:0 -> amazon...)."""
    head = model_id.split(".", 1)[0]
    if head in awsbedrock.PROFILE_GEOGRAPHIES and model_id.count(".") >= 2:
        return model_id.split(".", 1)[1]
    return model_id


def token_prices(model_id: str, target: str = "aws") -> tuple[dict | None, str]:
    """({"input", "output"} USD per 1,000 tokens, source) for a model or profile; (None, reason) if unknown.

    The same table on both targets (the sandbox bills nothing; the estimate shows what AWS would charge).
    """
    found = TOKEN_PRICES_PER_1K.get(base_model(model_id))
    if found:
        return dict(found), TOKEN_PRICES_SOURCE
    return None, f"no price known for {model_id}: see aws.amazon.com/bedrock/pricing"


# The estimate's column headers, shown in the learner's language (the keys of Estimate.lines stay English).
COLUMNS = (N_("item"), N_("quantity"), N_("unit price"), N_("usd"))


@dataclass
class Estimate:
    lines: list[dict] = field(default_factory=list)  # {"item", "quantity", "unit price", "usd"}
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(line["usd"] for line in self.lines)

    def add(self, item: str, quantity: str, unit: str, usd: float) -> None:
        self.lines.append({"item": item, "quantity": quantity, "unit price": unit, "usd": round(usd, 10)})

    def table(self):
        import pandas as pd

        rows = [*self.lines, {"item": _("total"), "quantity": "", "unit price": "", "usd": self.total}]
        rows = [{**row, "usd": f"${row['usd']:.6f}"} for row in rows]  # as __str__ shows it, never 6.0e-02
        return pd.DataFrame(rows, columns=list(COLUMNS)).rename(columns=lambda c: _(c))

    def __str__(self) -> str:
        out = [f"{pad(line['item'], 40)} {pad(line['quantity'], 28)} {pad(line['unit price'], 30)} ${line['usd']:.6f}"
               for line in self.lines]
        out.append(f"{pad(_('total'), 100)} ${self.total:.6f}")
        out += [_("note: {note}").format(note=n) for n in self.notes]
        return "\n".join(out)


def region_note(region: str | None) -> str | None:
    """What to know when the workshop runs in another Region than the one the prices are for, or None.

    Every price here is PRICES_REGION's (PRICES_SOURCE); no other Region's prices were read, so the note says only
    that another Region's can differ and where to look. No AWS API answers these prices by model ID
    (see awsfacts.bedrock), so the estimate keeps one Region's and says so, rather than a figure that looks local.
    """
    if not region or region == PRICES_REGION:
        return None
    return _("These are {priced}'s prices; {region} has its own, which can differ: check the endpoint hour and the "
             "tokens for {region} on aws.amazon.com/privatelink/pricing and aws.amazon.com/bedrock/pricing.").format(
                 priced=PRICES_REGION, region=region)


def estimate(model_id: str, *, hours: float = 2.0, azs: int = 2, endpoints: int = 1,
             invocations: int = TYPICAL_INVOCATIONS, usage: dict | None = None, target: str = "aws",
             memory_mb: int = LAMBDA_MEMORY_MB, seconds_per_call: float = LAMBDA_SECONDS,
             region: str | None = None) -> Estimate:
    """The cost of running the workshop for `hours` on AWS.

    `usage` is a Converse `usage` dict ({"inputTokens", "outputTokens"}) of one call, e.g. from notebook 04's
    reply; without it a typical call is assumed. Endpoint hours are rounded up (partial hours bill as full).
    """
    if hours < 0 or azs < 1 or endpoints < 0 or invocations < 0:
        raise ValueError("hours, endpoints and invocations must be >= 0, and azs >= 1")
    est = Estimate()
    billed_hours = math.ceil(hours) if hours > 0 else 0
    est.add(ngettext("interface endpoint ({endpoints} x {azs} AZs)", "interface endpoints ({endpoints} x {azs} AZs)",
                     endpoints).format(endpoints=endpoints, azs=azs),
            _("{count} AZ-hours").format(count=endpoints * azs * billed_hours),
            _("{price}/AZ-hour").format(price=_usd(ENDPOINT_AZ_HOUR)),
            endpoints * azs * billed_hours * ENDPOINT_AZ_HOUR)
    gb = invocations * BYTES_PER_CALL / 1e9
    est.add(_("endpoint data processed"), f"{gb:.6f} GB", f"{_usd(ENDPOINT_PER_GB)}/GB", gb * ENDPOINT_PER_GB)
    gb_seconds = invocations * seconds_per_call * memory_mb / 1024
    est.add(_("AWS Lambda requests"), ngettext("{count} request", "{count} requests", invocations).format(
                count=invocations),
            _("{price}/million").format(price="$0.20"), invocations * LAMBDA_PER_REQUEST)
    est.add(_("AWS Lambda duration"), f"{gb_seconds:.2f} GB-s", f"{_usd(LAMBDA_PER_GB_SECOND)}/GB-s",
            gb_seconds * LAMBDA_PER_GB_SECOND)
    call = usage or TYPICAL_CALL
    prices, source = token_prices(model_id, target)
    tokens_in = int(call.get("inputTokens", 0)) * invocations
    tokens_out = int(call.get("outputTokens", 0)) * invocations
    if prices:
        est.add(_("{model} input tokens").format(model=model_id), _("{count} tokens").format(count=tokens_in),
                f"{_usd(prices['input'])}/1k", tokens_in / 1000 * prices["input"])
        est.add(_("{model} output tokens").format(model=model_id), _("{count} tokens").format(count=tokens_out),
                f"{_usd(prices['output'])}/1k", tokens_out / 1000 * prices["output"])
    est.notes.append(_("prices: {prices}; tokens: {tokens}").format(prices=PRICES_SOURCE, tokens=source))
    head = model_id.split(".", 1)[0]
    if prices and base_model(model_id) != model_id and head != "global" and model_id.split(".")[1] == "anthropic":
        est.notes.append(_("{head}. profiles of Anthropic models are priced about 10% above the global profile's "
                           "tokens shown here (aws.amazon.com/bedrock/pricing)").format(head=head))
    if not usage:
        est.notes.append(_("tokens per call assumed {call} (notebook 04 prints the real usage)").format(
            call=TYPICAL_CALL))
    est.notes.append(_("Lambda and endpoint data usually fall inside the free tier / round to zero; "
                       "the endpoint hours are the cost that keeps running until notebook 07."))
    if note := region_note(region):
        est.notes.append(note)
    if target == "sandbox":
        est.notes.append(_("On the sandbox nothing is billed: this is what the same steps would cost on AWS."))
    return est


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def endpoint_runtime(endpoint: dict, now: datetime | None = None) -> dict:
    """How long an endpoint (a DescribeVpcEndpoints item) has existed and what that cost: CreationTimestamp to now.

    Returns {"endpoint", "created", "hours", "billed_hours", "azs", "usd"}.
    """
    created = _as_datetime(endpoint["CreationTimestamp"])
    now = now or datetime.now(UTC)
    hours = max(0.0, (now - created).total_seconds() / 3600)
    azs = max(1, len(endpoint.get("SubnetIds") or []))
    billed = math.ceil(hours) if hours > 0 else 0
    return {"endpoint": endpoint.get("VpcEndpointId"), "created": created.isoformat(timespec="seconds"),
            "hours": round(hours, 4), "billed_hours": billed, "azs": azs,
            "usd": round(billed * azs * ENDPOINT_AZ_HOUR, 4)}


def describe_runtime(rows: list[dict], region: str | None = None) -> str:
    if not rows:
        return _("No endpoint was running: no endpoint hours to pay for.")
    lines = [_("{endpoint}: created {created}, ran {minutes:.1f} min -> billed {hours} hour(s) x {azs} AZs x "
               "{price} = {usd}").format(endpoint=r["endpoint"], created=r["created"], minutes=r["hours"] * 60,
                                         hours=r["billed_hours"], azs=r["azs"], price=f"${ENDPOINT_AZ_HOUR}",
                                         usd=f"${r['usd']:.2f}") for r in rows]
    lines.append(_("Total endpoint cost: {usd} (prices: {source}).").format(
        usd=f"${sum(r['usd'] for r in rows):.2f}", source=PRICES_SOURCE))
    if note := region_note(region):
        lines.append(note)
    return "\n".join(lines)


def beyond_estimate(hours: float = 1.0) -> Estimate:
    """What notebook 06's network costs on AWS while it exists (`hours`, each started hour billed in full)."""
    billed = max(1, math.ceil(hours))
    est = Estimate()
    est.add(_("Transit Gateway attachments"), f"{BEYOND_ATTACHMENTS} x {billed} h", _usd(TGW_ATTACHMENT_HOUR) + "/h",
            BEYOND_ATTACHMENTS * billed * TGW_ATTACHMENT_HOUR)
    est.add(_("Transit Gateway data processed"), "< 1 MB", _usd(TGW_PER_GB) + "/GB", TGW_PER_GB * 0.001)
    est.add(_("Route 53 Resolver endpoint IP addresses"), f"{BEYOND_RESOLVER_IPS} x {billed} h",
            _usd(RESOLVER_IP_HOUR) + "/h", BEYOND_RESOLVER_IPS * billed * RESOLVER_IP_HOUR)
    est.add(_("Route 53 private hosted zone"), _("1 (if kept over 12 h)"),
            _("{price}/month").format(price=_usd(HOSTED_ZONE_MONTH)), 0.0)
    est.notes.append(BEYOND_PRICES_SOURCE)
    return est


def describe_beyond_estimate(hours: float = 1.0, region: str | None = None) -> str:
    est = beyond_estimate(hours)
    lines = [_("Estimated cost of notebook 06's network on AWS for {hours:g} hour(s) "
               "(on the sandbox: nothing):").format(hours=hours)]
    lines += [f"  {line['item']}: {line['quantity']} x {line['unit price']} = {_usd(round(line['usd'], 6))}"
              for line in est.lines]
    lines.append("  " + _("total: about {usd} per hour; notebook 07 removes it all.").format(
        usd=_usd(round(est.total, 2))))
    lines.append(f"  ({BEYOND_PRICES_SOURCE})")
    if note := region_note(region):
        lines.append("  " + note)
    return "\n".join(lines)
