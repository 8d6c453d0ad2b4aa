"""Amazon Bedrock's AWS PrivateLink services: one interface endpoint per API surface.

Data only. Sources (checked on 2026-11-30):
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
    },
    "bedrock-runtime": {
        "host": "bedrock-runtime.{region}.amazonaws.com",
        "apis": "InvokeModel, Converse (AWS SDKs); OpenAI-compatible Chat Completions and Responses under "
                "/openai/v1; the Anthropic Messages API",
        "actions": "bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream",
    },
    "bedrock-mantle": {
        "host": "bedrock-mantle.{region}.api.aws",
        "apis": "OpenAI-compatible Responses and Chat Completions, Anthropic Messages API",
        "actions": "bedrock-mantle:CreateInference (bedrock-mantle:CallWithBearerToken with an API key)",
    },
    "bedrock-agent": {
        "host": "bedrock-agent.{region}.amazonaws.com",
        "apis": "Agents and Knowledge Bases, build time: CreateAgent, CreateKnowledgeBase, ...",
        "actions": "bedrock:*  (for example bedrock:CreateAgent)",
    },
    "bedrock-agent-runtime": {
        "host": "bedrock-agent-runtime.{region}.amazonaws.com",
        "apis": "Agents and Knowledge Bases, run time: InvokeAgent, Retrieve, RetrieveAndGenerate, ...",
        "actions": "bedrock:*  (for example bedrock:InvokeAgent, bedrock:Retrieve)",
    },
}


def private_dns_name(suffix: str, region: str) -> str:
    """The hostname that private DNS resolves to the endpoint: bedrock-mantle.us-east-1.api.aws, ..."""
    return BEDROCK_PRIVATELINK_SERVICES[suffix]["host"].format(region=region)
