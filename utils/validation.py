"""Checks for every value a learner types: account ID, region, model, prefix, endpoint ID.

The widgets in notebook 00 and the config file loader call the same functions, so a
value that one accepts the other accepts too. Each check returns the normalised value
or raises a subclass of `InvalidInput` (a `ValueError`) whose message says what was
wrong and how to fix it. The checks never call AWS and never create anything.
"""

from __future__ import annotations

import re
from functools import lru_cache

from awsfacts import bedrock as awsbedrock

from .lang import _


class InvalidInput(ValueError):
    """A value the workshop cannot use. The message says what was wrong and how to fix it."""

    field = "value"

    def __init__(self, problem: str, fix: str):
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} {fix}")


class InvalidAccountId(InvalidInput):
    field = "account_id"


class InvalidRegion(InvalidInput):
    field = "region"


class InvalidModelId(InvalidInput):
    field = "model_id"


class InvalidPrefix(InvalidInput):
    field = "prefix"


class InvalidEndpointId(InvalidInput):
    field = "endpoint_id"


class InvalidTarget(InvalidInput):
    field = "target"


class InvalidLanguage(InvalidInput):
    field = "lang"


TARGETS = ("sandbox", "aws")

# ---------------------------------------------------------------- account ID

_ACCOUNT_GROUPED = re.compile(r"^(\d{4})[- ](\d{4})[- ](\d{4})$")


def account_id(value) -> str:
    """A 12-digit AWS account ID, as a string (leading zeros kept).

    Accepts the console's grouped form `1234-5678-9012` (dashes or spaces between the
    groups of four) and surrounding blanks, and returns the plain 12 digits.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        raise InvalidAccountId(
            _("The account ID was given as a number, which loses leading zeros."),
            _("Give it as text with all 12 digits, for example in quotes: \"012345678901\"."),
        )
    if not isinstance(value, str):
        raise InvalidAccountId(_("The account ID must be text, not {name}.").format(name=type(value).__name__),
                               _("Give the 12 digits as a string."))
    text = value.strip()
    if not text:
        raise InvalidAccountId(_("The account ID is empty."),
                               _("Paste the 12-digit ID shown at the top right of the AWS console, or leave "
                                 "the prefilled value from STS."))
    grouped = _ACCOUNT_GROUPED.match(text)
    if grouped:
        text = "".join(grouped.groups())
    compact = re.sub(r"[-\s]", "", text)
    if compact != text and compact.isascii() and compact.isdigit():
        if len(compact) != 12:
            raise InvalidAccountId(
                _("The account ID {value!r} has {count} digits, not 12.").format(value=value, count=len(compact)),
                _("Copy it again from the console (account menu, top right); leading zeros count."),
            )
        raise InvalidAccountId(
            _("The account ID {value!r} is grouped in an unusual way.").format(value=value),
            _("Give the 12 digits as 123456789012, or grouped in fours as the console shows them: 1234-5678-9012."),
        )
    if not text.isascii() or not text.isdigit():
        bad = sorted({c for c in text if not (c.isascii() and c.isdigit())})
        shown = " ".join(repr(c) for c in bad[:5])
        raise InvalidAccountId(
            _("The account ID {value!r} contains characters other than digits ({shown}).").format(
                value=value, shown=shown),
            _("An AWS account ID is exactly 12 digits; dashes are allowed only as 1234-5678-9012."),
        )
    if len(text) != 12:
        raise InvalidAccountId(
            _("The account ID {value!r} has {count} digits, not 12.").format(value=value, count=len(text)),
            _("Copy it again from the console (account menu, top right) or from "
              "`aws sts get-caller-identity`; leading zeros count."),
        )
    return text


# ---------------------------------------------------------------- region

_REGION_SHAPE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")


@lru_cache(maxsize=1)
def _partition_regions() -> tuple[frozenset, frozenset]:
    """(every commercial AWS region, the regions with an Amazon Bedrock endpoint), from botocore's data."""
    import botocore.session

    session = botocore.session.get_session()
    all_regions = frozenset(session.get_available_regions("ec2"))
    bedrock = frozenset(session.get_available_regions("bedrock"))
    return all_regions, bedrock


def all_regions() -> list[str]:
    return sorted(_partition_regions()[0])


def bedrock_regions() -> list[str]:
    """Regions where the SDK knows an Amazon Bedrock endpoint (botocore's endpoint data)."""
    return sorted(_partition_regions()[1])


def region(value, target: str | None = None) -> str:
    """A commercial AWS region code that offers Amazon Bedrock, such as `us-east-1`; on the sandbox (`target`
    "sandbox"), one of the Regions whose Amazon Bedrock it models (awsfacts.bedrock.REGIONS)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRegion(_("The region is empty."), _("Choose one, for example us-east-1 (the workshop's default)."))
    text = value.strip()
    if text != text.lower() and text.lower() in _partition_regions()[0]:
        raise InvalidRegion(_("The region {value!r} is not in lower case.").format(
                                value=value), f"Use {text.lower()!r}.")
    if not _REGION_SHAPE.match(text):
        raise InvalidRegion(
            _("{value!r} is not a region code.").format(value=value),
            _("Use a code such as us-east-1 or eu-central-1, not a display name like 'N. Virginia' "
              "or an availability zone like us-east-1a."),
        )
    known, with_bedrock = _partition_regions()
    if text not in known:
        if text.startswith(("cn-", "us-gov-")) or "-iso" in text:
            raise InvalidRegion(
                _("{text} belongs to a separate AWS partition (China, GovCloud or ISO).").format(text=text),
                _("The workshop runs in the commercial partition; choose a region such as us-east-1."),
            )
        raise InvalidRegion(_("{text} is not an AWS region that this SDK knows.").format(text=text),
                            _("Check the spelling, for example us-east-1 or eu-west-1."))
    if text not in with_bedrock:
        raise InvalidRegion(
            _("Amazon Bedrock is not offered in {text}.").format(text=text),
            _("Choose a region that offers it, for example us-east-1, us-west-2, eu-central-1 or ap-northeast-1."),
        )
    if target == "sandbox" and text not in awsbedrock.REGIONS:
        # Not AWS's answer but the sandbox's limit: it has no model catalogue for the Regions botocore added since.
        raise InvalidRegion(
            _("The sandbox models Amazon Bedrock in {count} Regions, and {text} is not one of them (on AWS, Amazon "
              "Bedrock is offered there).").format(count=len(awsbedrock.REGIONS), text=text),
            _("To rehearse on the sandbox, choose one of {regions}; or choose the target aws.").format(
                regions=", ".join(awsbedrock.REGIONS)),
        )
    return text


# ---------------------------------------------------------------- model

# Geography prefixes of cross-Region inference profiles and the source Regions that may call them, and the models
# that AWS has retired: both kept once, in awsfacts.bedrock. On AWS, the live lists (ListFoundationModels,
# ListInferenceProfiles, passed here as `offered`) take precedence: a model they offer is accepted.
PROFILE_GEOGRAPHIES = awsbedrock.PROFILE_GEOGRAPHIES
END_OF_LIFE_MODELS = {mid: facts["replacement"] for mid, facts in awsbedrock.END_OF_LIFE.items()}

_MODEL_ID = re.compile(r"^(?:(?P<geo>[a-z]{2,6}(?:-gov)?)\.)?(?P<base>[a-z0-9-]+\.[a-z0-9][a-z0-9.:_-]*)$")
_FM_ARN = re.compile(r"^arn:aws:bedrock:[a-z0-9-]*::foundation-model/(?P<id>[A-Za-z0-9.:_-]+)$")
_PROFILE_ARN = re.compile(
    r"^arn:aws:bedrock:(?P<region>[a-z0-9-]+):(?P<acct>\d{12}):(?:application-)?inference-profile/(?P<id>[A-Za-z0-9.:_/-]+)$"
)


def split_model_id(model_id: str) -> tuple[str | None, str]:
    """(geography prefix or None, foundation model ID) of a model or profile ID."""
    m = _MODEL_ID.match(model_id)
    if not m:
        return None, model_id
    geo = m.group("geo")
    base = m.group("base")
    if geo and geo not in PROFILE_GEOGRAPHIES:
        # "amazon.nova-micro-v1:0" parses as geo "amazon": not a geography, so no prefix.
        return None, model_id
    return geo, base


def geographies_for(region_code: str) -> list[str]:
    return [geo for geo, starts in PROFILE_GEOGRAPHIES.items()
            if any(region_code.startswith(s) for s in starts) and geo != "global"]


def _end_of_life(base: str) -> InvalidModelId:
    facts = awsbedrock.END_OF_LIFE[base]
    when = _(" on {date}").format(date=facts['endOfLife']) if facts.get("endOfLife") else ""
    return InvalidModelId(
        _("{base} ({model_name}) reached end of life on Amazon Bedrock{when}; calls to it fail (lifecycle state: end "
          "of life).").format(base=base, model_name=facts['modelName'], when=when),
        _("Choose a current model, for example {replacement}.").format(replacement=facts['replacement']),
    )


def model_id(value, region_code: str | None = None, offered: list[str] | None = None) -> str:
    """A current model ID or inference-profile ID usable from `region_code`.

    `offered` is what the Region offers (from ListFoundationModels and ListInferenceProfiles; see
    utils.models.offer). When given, the value must be in it, and it takes precedence over the offline facts: a
    model it lists is accepted. When it also explains a refusal (`offered.reason(id)`, as utils.models.Offer
    does), the message names the reason: lifecycle state, geography, profile-only or not a text model, and the
    alternatives the Region offers.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidModelId(_("The model ID is empty."),
                             _("Use the default us.amazon.nova-micro-v1:0 (or eu./apac. outside the US)."))
    text = value.strip()
    arn = _FM_ARN.match(text) or _PROFILE_ARN.match(text)
    if arn:
        raise InvalidModelId(_("{text!r} is an ARN.").format(text=text),
                             _("Give the ID only, here {arn!r}; the workshop builds the ARNs itself.").format(
                                 arn=arn.group('id')))
    if " " in text or not _MODEL_ID.match(text):
        raise InvalidModelId(
            _("{value!r} does not look like an Amazon Bedrock model ID.").format(value=value),
            _("IDs look like amazon.nova-micro-v1:0 (a model) or us.amazon.nova-micro-v1:0 (an inference profile)."),
        )
    if offered is not None and text in offered:
        return text  # live data first
    geo, base = split_model_id(text)
    explain = getattr(offered, "reason", None)
    live = explain(text) if explain else None
    if live is not None and live[0] != "unknown":
        raise InvalidModelId(live[1], live[2])
    if base in awsbedrock.END_OF_LIFE:
        error = _end_of_life(base)
        alternatives = getattr(offered, "alternatives", None)
        if alternatives is not None:  # what this Region offers, rather than the offline replacement
            replacement = split_model_id(awsbedrock.END_OF_LIFE[base]["replacement"])[1]
            alts = alternatives(replacement)
            error = InvalidModelId(error.problem, _("Choose a current model that {region_code} offers: {alts}.").format(
                                                      region_code=region_code or _('the Region'),
                                                      alts=', '.join(alts)) if alts else error.fix)
        raise error
    if region_code and geo and geo != "global":
        allowed = geographies_for(region_code)
        if geo not in allowed:
            hint = (_("use {profile}").format(profile=f"{allowed[0]}.{base}") if allowed else
                    _("use the in-Region model {base}, if offered").format(base=base))
            alternatives = getattr(offered, "alternatives", None)
            if alternatives is not None and f"{allowed[0] if allowed else ''}.{base}".lstrip(".") not in offered:
                alts = alternatives(base)
                hint = (_("{region_code} offers {alts}").format(region_code=region_code, alts=', '.join(alts))
                        if alts else hint)
            raise InvalidModelId(
                _("The inference profile {text} routes requests within the '{geo}' geography, and cannot be called "
                  "from {region_code}.").format(text=text, geo=geo, region_code=region_code),
                _("Pick a profile of this Region's geography: {hint}.").format(hint=hint),
            )
    if live is not None:
        raise InvalidModelId(live[1], live[2])
    if offered is not None:
        near = [m for m in offered if m.endswith(base)][:3] or sorted(offered)[:3]
        raise InvalidModelId(
            _("{text} is not offered in {region_code}.").format(text=text, region_code=region_code or _('this Region')),
            _("Choose one of the listed models, for example {near}.").format(near=', '.join(near)) if near
            else _("Check the model catalog in the Amazon Bedrock console."),
        )
    return text


# ---------------------------------------------------------------- prefix

# The longest name derived from the prefix is the function name
# "<prefix>-Bedrock-GenAI-Stack-BedrockTestLambdaFunction" (Lambda allows 64 characters);
# the template's ParticipantPrefix parameter accepts at most 12 characters.
PREFIX_MAX = 12
_PREFIX = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")


def prefix(value) -> str:
    """The participant prefix: empty, or lower-case letters, digits and single hyphens."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidPrefix(_("The prefix must be text, not {name}.").format(
                                name=type(value).__name__), "Use e.g. 'alice' or ''.")
    text = value.strip()
    if not text:
        return ""
    if len(text) > PREFIX_MAX:
        raise InvalidPrefix(
            _("The prefix {text!r} has {count} characters; at most {prefix_max} fit the names derived from it (the "
              "function name <prefix>-Bedrock-GenAI-Stack-BedrockTestLambdaFunction must fit in 64).").format(
                text=text, count=len(text), prefix_max=PREFIX_MAX),
            _("Use a short handle such as your initials or 'team3'."),
        )
    if not _PREFIX.match(text) or "--" in text:
        if text.lower() != text and _PREFIX.match(text.lower()):
            fix = _("Use lower case: {text!r}.").format(text=text.lower())
        else:
            fix = _("Use lower-case letters, digits and single hyphens, starting with a letter (e.g. 'alice-1').")
        raise InvalidPrefix(_("The prefix {text!r} contains characters that AWS resource names do not accept.").format(
                                text=text), fix)
    return text


# ---------------------------------------------------------------- endpoint ID

_VPCE = re.compile(r"^vpce-([0-9a-f]{8}|[0-9a-f]{17})$")


def endpoint_id(value) -> str:
    """A VPC endpoint ID such as vpce-0123456789abcdef0."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidEndpointId(_("The VPC endpoint ID is empty."),
                                _("Run notebook 02, which creates the endpoint and records its ID."))
    text = value.strip()
    if text.startswith("vpce-svc-"):
        raise InvalidEndpointId(_("{text} is an endpoint service ID, not an endpoint ID.").format(text=text),
                                _("Use the ID from the Endpoints page (vpce- followed by 17 hex digits)."))
    if not _VPCE.match(text):
        raise InvalidEndpointId(
            _("{value!r} is not a VPC endpoint ID.").format(value=value),
            _("Endpoint IDs are 'vpce-' followed by 17 (or, for old endpoints, 8) lower-case hex digits."),
        )
    return text


def target(value) -> str:
    text = (value or "").strip().lower() if isinstance(value, str) else value
    if text not in TARGETS:
        raise InvalidTarget(_("The target {value!r} is unknown.").format(value=value),
                            _("Use 'sandbox' (local, offline) or 'aws' (your AWS account)."))
    return text


def language(value) -> str:
    """The learner's language: 'en' or 'ja' ('ja_JP.UTF-8' reads 'ja'); empty or None reads 'en' (a file saved
    before the language was recorded)."""
    from .lang import SUPPORTED, normalise

    if value is None or (isinstance(value, str) and not value.strip()):
        return "en"
    found = normalise(value)
    if found is None:
        raise InvalidLanguage(_("The language {value!r} is not one the workshop speaks.").format(value=value),
                              _("Use one of {languages} (notebook 00 saves the language of the folder it runs "
                                "in: notebooks/ or notebooks/ja/).").format(languages=", ".join(SUPPORTED)))
    return found
