"""Workshop function: answer a product question with Amazon Bedrock, and report the network path it used.

Event:   {"prompt": "How long does the Pulse Running Watch battery last?", "product_id": "p-600" (optional)}
Returns: {"ok": true, "reply": ..., "model_id": ..., "usage": {...}, "network": {...}}
     or  {"ok": false, "error": {"code": ..., "message": ...}, "model_id": ..., "network": {...}}

products.json stands in for the company database of the blog post (Amazon RDS there): the function looks the
product up and gives it to the model as context.

The "network" part is the evidence the workshop looks at. Inside the VPC, with the interface endpoint and its
private DNS, the public name bedrock-runtime.<region>.amazonaws.com resolves to the endpoint's private IPs.
"""

import json
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

MODEL_ID = os.environ.get("MODEL_ID", "us.amazon.nova-micro-v1:0")
PRODUCTS = json.loads(Path(__file__).with_name("products.json").read_text(encoding="utf-8"))

# A plain client: no endpoint_url. Which network path it takes is decided by the VPC (DNS + routes), not the code.
# One exception (notebook 06, path 1): a client outside the endpoint's VPC may name the endpoint itself, with its
# endpoint-specific DNS name in BEDROCK_ENDPOINT_URL (https://vpce-...bedrock-runtime.<region>.vpce.amazonaws.com).
# Short connect timeout: without a path to Bedrock, the call fails in seconds rather than at the Lambda timeout.
ENDPOINT_URL = os.environ.get("BEDROCK_ENDPOINT_URL") or None
bedrock = boto3.client(
    "bedrock-runtime",
    endpoint_url=ENDPOINT_URL,
    config=Config(connect_timeout=5, read_timeout=50, retries={"mode": "standard", "max_attempts": 3}),
)


def find_product(prompt, product_id=None):
    """The product named by product_id, else the first one whose name appears in the prompt, else None."""
    if product_id:
        return next((p for p in PRODUCTS if p["id"] == product_id), None)
    text = prompt.lower()
    return next((p for p in PRODUCTS if p["name"].lower() in text), None)


def network_evidence():
    """Which host the client talks to, and which addresses that name resolves to from here."""
    region = bedrock.meta.region_name
    host = urlsplit(bedrock.meta.endpoint_url).hostname or f"bedrock-runtime.{region}.amazonaws.com"
    evidence = {"host": host, "addresses": [], "region": region, "endpoint_url": bedrock.meta.endpoint_url}
    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
        evidence["addresses"] = sorted({info[4][0] for info in infos})
    except OSError as err:  # socket.gaierror: the name does not resolve here
        evidence["resolve_error"] = str(err)
    return evidence


def failure(code, message, network):
    return {"ok": False, "error": {"code": code, "message": message}, "model_id": MODEL_ID, "network": network}


def handler(event, context):
    network = network_evidence()
    prompt = event.get("prompt") if isinstance(event, dict) else None
    product_id = event.get("product_id") if isinstance(event, dict) else None
    if not isinstance(prompt, str) or not prompt.strip():
        return failure("InvalidInput", 'The event needs a non-empty "prompt" string, e.g. {"prompt": "Hello"}.',
                       network)
    if product_id is not None and not isinstance(product_id, str):
        return failure("InvalidInput", '"product_id" must be a string such as "p-100".', network)

    product = find_product(prompt, product_id)
    if product_id and product is None:
        known = ", ".join(p["id"] for p in PRODUCTS)
        return failure("UnknownProduct", f"No product has id {product_id!r}. Known ids: {known}.", network)

    system = "You are a concise shop assistant. Answer in at most three sentences."
    if product:
        system += " Use this product record from the catalogue: " + json.dumps(product)

    try:
        # Converse is authorized as bedrock:InvokeModel, the action named in the workshop's policies.
        response = bedrock.converse(
            modelId=MODEL_ID,
            system=[{"text": system}],
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            inferenceConfig={"maxTokens": 300, "temperature": 0.2},
        )
    except ClientError as err:  # AWS answered with an error, e.g. AccessDeniedException
        error = err.response.get("Error", {})
        result = failure(error.get("Code", "ClientError"), error.get("Message", str(err)), network)
    except (ConnectTimeoutError, EndpointConnectionError) as err:  # no network path to the endpoint
        result = failure("ConnectTimeout", str(err), network)
    except ReadTimeoutError as err:  # connected, but no answer in time
        result = failure("ReadTimeout", str(err), network)
    else:
        result = {
            "ok": True,
            "reply": response["output"]["message"]["content"][0]["text"],
            "model_id": MODEL_ID,
            "product_id": product["id"] if product else None,
            "usage": response["usage"],
            "network": network,
        }
    print(json.dumps({"ok": result["ok"], "error": result.get("error"), "network": network}))  # to CloudWatch Logs
    return result
