"""A probe function for the sandbox scenarios: resolves the Bedrock host, calls it, reports what happened."""

import json
import os
import socket

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError


def handler(event, context):
    region = os.environ["AWS_REGION"]
    service = event.get("service", "bedrock-runtime")
    host = event.get("host") or f"{service}.{region}.amazonaws.com"
    out = {"host": host}
    try:
        out["addresses"] = sorted({info[4][0] for info in socket.getaddrinfo(host, 443)})
    except OSError as exc:
        out["dns_error"] = str(exc)
    kwargs = {"config": Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1})}
    if event.get("endpoint_url"):
        kwargs["endpoint_url"] = event["endpoint_url"]
    client = boto3.client(service, **kwargs)
    try:
        if service == "bedrock":
            client.list_foundation_models()
        elif event.get("api") == "invoke_model":
            body = {"messages": [{"role": "user", "content": [{"text": event.get("prompt", "hello")}]}],
                    "inferenceConfig": {"maxTokens": 50}}
            response = client.invoke_model(modelId=event["model"], body=json.dumps(body))
            out["reply"] = json.loads(response["body"].read())["output"]["message"]["content"][0]["text"]
        else:
            response = client.converse(
                modelId=event["model"], messages=[{"role": "user", "content": [{"text": event.get("prompt", "hello")}]}]
            )
            out["reply"] = response["output"]["message"]["content"][0]["text"]
        out["ok"] = True
    except ClientError as exc:
        out.update(ok=False, code=exc.response["Error"]["Code"], message=exc.response["Error"]["Message"])
    except (ConnectTimeoutError, EndpointConnectionError) as exc:
        out.update(ok=False, code="ConnectTimeout", message=str(exc))
    return out
