"""Amazon Bedrock's AWS PrivateLink services: one interface endpoint per API surface.

Data only. Sources (the surfaces and hosts checked on 2026-11-30):
- Amazon Bedrock User Guide, "Use interface VPC endpoints (AWS PrivateLink) to create a private connection between
  your VPC and Amazon Bedrock": the endpoint suffixes bedrock (control plane), bedrock-runtime (runtime),
  bedrock-mantle (Mantle), bedrock-agent (Agents build-time) and bedrock-agent-runtime (Agents runtime); service
  names com.amazonaws.<region>.<suffix>.
- Amazon Bedrock User Guide, "Endpoints supported by Amazon Bedrock" and "Responses API": bedrock-runtime serves
  InvokeModel, Converse and, under /openai/v1, the OpenAI-compatible Chat Completions and Responses APIs and the
  Anthropic Messages API; bedrock-mantle.<region>.api.aws serves the OpenAI-compatible Responses and Chat Completions
  APIs and the Anthropic Messages API.
- Amazon Bedrock User Guide, "Making inference requests": the IAM actions of each surface (bedrock:InvokeModel on
  bedrock-runtime, bedrock-mantle:CreateInference on bedrock-mantle); AWS Managed Policy Reference,
  AmazonBedrockMantleInferenceAccess (bedrock-mantle:CallWithBearerToken for Amazon Bedrock API keys).
- Regions of bedrock-mantle: Amazon Bedrock User Guide, "Regional availability by endpoints"
  (https://docs.aws.amazon.com/bedrock/latest/userguide/endpoints-region-availability.html), checked on 2026-12-07
  with the docs search corpus: "The bedrock-runtime endpoint is available in every AWS Region where Amazon Bedrock is
  offered. The bedrock-mantle endpoint is available in a subset of those Regions." The excerpts read show the
  United States, Canada, Europe tables and the first four Asia Pacific rows (MANTLE_REGIONS and
  MANTLE_NOT_OFFERED below); the rows from ap-south-1 on (the rest of Asia Pacific, Middle East, South America,
  Africa) were not in any excerpt, so those Regions are in neither list and the sandbox offers no Mantle service
  there (unconfirmed is not offered). botocore ships no endpoints data for bedrock-mantle (its endpoints.json has no
  such service, and there is no bedrock-mantle service model), so no package can check this list.
- Endpoint policies: "endpoint_policy" is True where a source shows a VPC endpoint policy on that service (the AWS
  Machine Learning Blog post this workshop follows, "Use AWS PrivateLink to set up private access to Amazon Bedrock",
  attaches one to bedrock-runtime; not re-read on 2026-12-07), None where no source was found. For bedrock-mantle none
  was found on 2026-12-07 (docs corpus: the PrivateLink page's endpoint table and "Making inference requests" name the
  service and its IAM actions but say nothing of endpoint policies), so the sandbox does not claim that
  DescribeVpcEndpoint Services reports VpcEndpointPolicySupported for it. bedrock, bedrock-agent and
  bedrock-agent-runtime keep the value the sandbox has always served (True), not re-checked on 2026-12-07.
Amazon Bedrock AgentCore has PrivateLink services of its own (its developer guide's page of the same title); it is
a separate service and is not listed here.
"""

from __future__ import annotations

# suffix -> what it carries. "host" is the public hostname, which private DNS maps to the endpoint's IPs.
BEDROCK_PRIVATELINK_SERVICES = {
    "bedrock": {
        "host": "bedrock.{region}.amazonaws.com",
        "apis": "control plane: ListFoundationModels, GetInferenceProfile, model customization, guardrails, ...",
        "actions": "bedrock:*  (for example bedrock:ListFoundationModels)",
        "endpoint_policy": True,
    },
    "bedrock-runtime": {
        "host": "bedrock-runtime.{region}.amazonaws.com",
        "apis": "InvokeModel, Converse (AWS SDKs); OpenAI-compatible Chat Completions and Responses under "
                "/openai/v1; the Anthropic Messages API",
        "actions": "bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream",
        "endpoint_policy": True,
    },
    "bedrock-mantle": {
        "host": "bedrock-mantle.{region}.api.aws",
        "apis": "OpenAI-compatible Responses and Chat Completions, Anthropic Messages API",
        "actions": "bedrock-mantle:CreateInference (bedrock-mantle:CallWithBearerToken with an API key)",
        "endpoint_policy": None,
    },
    "bedrock-agent": {
        "host": "bedrock-agent.{region}.amazonaws.com",
        "apis": "Agents and Knowledge Bases, build time: CreateAgent, CreateKnowledgeBase, ...",
        "actions": "bedrock:*  (for example bedrock:CreateAgent)",
        "endpoint_policy": True,
    },
    "bedrock-agent-runtime": {
        "host": "bedrock-agent-runtime.{region}.amazonaws.com",
        "apis": "Agents and Knowledge Bases, run time: InvokeAgent, Retrieve, RetrieveAndGenerate, ...",
        "actions": "bedrock:*  (for example bedrock:InvokeAgent, bedrock:Retrieve)",
        "endpoint_policy": True,
    },
}

# "Regional availability by endpoints" (see above): Regions whose bedrock-mantle column says supported, and those
# whose column says not supported. A Region in neither list was not confirmed and is treated as not offered.
MANTLE_REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1",
                  "eu-west-2", "ap-northeast-1")
MANTLE_NOT_OFFERED = ("us-west-1", "ca-central-1", "ca-west-1", "eu-central-2", "eu-south-2", "eu-west-3",
                      "ap-east-2", "ap-northeast-2", "ap-northeast-3")


def offered(suffix: str, region: str) -> bool:
    """Whether the PrivateLink service `suffix` is offered in `region` (bedrock-mantle: only where confirmed)."""
    if suffix == "bedrock-mantle":
        return region in MANTLE_REGIONS
    return suffix in BEDROCK_PRIVATELINK_SERVICES


def private_dns_name(suffix: str, region: str) -> str:
    """The hostname that private DNS resolves to the endpoint: bedrock-mantle.us-east-1.api.aws, ..."""
    return BEDROCK_PRIVATELINK_SERVICES[suffix]["host"].format(region=region)
