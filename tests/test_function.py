"""The workshop function, lambda/app.py.

Unit tests run the handler in this process with botocore's Stubber (no network, no sandbox).
The last test deploys the same code to the sandbox and walks the workshop's path: it needs the sandbox's Lambda
runtime, its network model and its Bedrock (issue 2), and fails until those are in place.
"""

from __future__ import annotations

import importlib.util
import io
import ipaddress
import json
import socket
import time
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError
from botocore.stub import ANY, Stubber

from awsfacts.awslambda import VPC_ACCESS_ACTIONS
from tests.test_template import delete_stack, deploy_stack

LAMBDA_DIR = Path(__file__).resolve().parents[1] / "lambda"
HOST = "bedrock-runtime.us-east-1.amazonaws.com"
PROFILE = "us.amazon.nova-micro-v1:0"


def load_app(monkeypatch, model_id: str | None = None):
    """Import lambda/app.py as a fresh module, as Lambda would, with a plain client (no endpoint override)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    if model_id:
        monkeypatch.setenv("MODEL_ID", model_id)
    else:
        monkeypatch.delenv("MODEL_ID", raising=False)
    spec = importlib.util.spec_from_file_location("workshop_function_app", LAMBDA_DIR / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def app(monkeypatch):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        assert (host, port) == (HOST, 443)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 443)) for ip in ("10.0.2.9", "10.0.1.7", "10.0.1.7")]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    return load_app(monkeypatch)


def converse_response(text="The battery lasts 14 days."):
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 61, "outputTokens": 9, "totalTokens": 70},
        "metrics": {"latencyMs": 120},
    }


def failing_client(exc: Exception):
    """A real bedrock-runtime client whose HTTP send raises `exc` (one attempt, so no retry back-off)."""
    client = boto3.client("bedrock-runtime", region_name="us-east-1",
                          config=Config(retries={"mode": "standard", "total_max_attempts": 1}))

    def raise_exc(**kwargs):
        raise exc

    client.meta.events.register("before-send.bedrock-runtime.Converse", raise_exc)
    return client


# ---------------------------------------------------------------------------------------------- data
def test_products_dataset_is_small_and_well_formed(app):
    products = json.loads((LAMBDA_DIR / "products.json").read_text())
    assert 4 <= len(products) <= 10
    assert len({p["id"] for p in products}) == len(products)
    for p in products:
        assert set(p) == {"id", "name", "description", "price"}
        assert isinstance(p["price"], (int, float)) and p["price"] > 0
    assert app.PRODUCTS == products


def test_find_product_by_id_then_by_name(app):
    assert app.find_product("anything", "p-600")["name"] == "Pulse Running Watch"
    assert app.find_product("Is the harbor desk lamp dimmable?")["id"] == "p-300"
    assert app.find_product("Tell me a joke") is None
    assert app.find_product("Tell me about the Harbor Desk Lamp", "p-999") is None


# ---------------------------------------------------------------------------------------------- handler
def test_reply_with_product_context_and_network_evidence(app):
    with Stubber(app.bedrock) as stub:
        stub.add_response("converse", converse_response(), {
            "modelId": PROFILE,
            "system": ANY,
            "messages": [{"role": "user", "content": [{"text": "How long does the battery last?"}]}],
            "inferenceConfig": ANY,
        })
        result = app.handler({"prompt": "How long does the battery last?", "product_id": "p-600"}, None)
        stub.assert_no_pending_responses()
    assert result["ok"] is True
    assert result["reply"] == "The battery lasts 14 days."
    assert result["model_id"] == PROFILE and result["product_id"] == "p-600"
    assert result["usage"] == {"inputTokens": 61, "outputTokens": 9, "totalTokens": 70}
    assert result["network"] == {
        "host": HOST, "addresses": ["10.0.1.7", "10.0.2.9"], "region": "us-east-1",
        "endpoint_url": f"https://{HOST}",
    }
    json.dumps(result)  # Lambda must be able to serialise what the handler returns


def test_system_prompt_carries_the_product_record(app):
    sent = {}

    def capture(params, **kwargs):
        sent.update(params)

    app.bedrock.meta.events.register("provide-client-params.bedrock-runtime.Converse", capture)
    with Stubber(app.bedrock) as stub:
        stub.add_response("converse", converse_response())
        app.handler({"prompt": "What does the Summit Insulated Bottle keep cold?"}, None)
    system = sent["system"][0]["text"]
    assert '"id": "p-400"' in system and "Summit Insulated Bottle" in system


def test_model_id_comes_from_the_environment(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [])
    app = load_app(monkeypatch, model_id="amazon.nova-lite-v1:0")
    with Stubber(app.bedrock) as stub:
        stub.add_response("converse", converse_response(), {
            "modelId": "amazon.nova-lite-v1:0", "system": ANY, "messages": ANY, "inferenceConfig": ANY})
        assert app.handler({"prompt": "hi"}, None)["model_id"] == "amazon.nova-lite-v1:0"


def test_access_denied_is_returned_with_aws_message(app):
    message = ("User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: bedrock:InvokeModel "
               "on resource: arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-micro-v1:0 "
               "with an explicit deny in a VPC endpoint policy")
    with Stubber(app.bedrock) as stub:
        stub.add_client_error("converse", service_error_code="AccessDeniedException", service_message=message,
                              http_status_code=403)
        result = app.handler({"prompt": "hello"}, None)
    assert result["ok"] is False
    assert result["error"] == {"code": "AccessDeniedException", "message": message}
    assert result["network"]["host"] == HOST


@pytest.mark.parametrize("exc", [
    ConnectTimeoutError(endpoint_url=f"https://{HOST}/model/x/converse"),
    EndpointConnectionError(endpoint_url=f"https://{HOST}/model/x/converse"),
])
def test_no_network_path_is_a_connect_timeout(app, monkeypatch, exc):
    monkeypatch.setattr(app, "bedrock", failing_client(exc))
    result = app.handler({"prompt": "hello"}, None)
    assert result["ok"] is False
    assert result["error"]["code"] == "ConnectTimeout"
    assert result["error"]["message"] == str(exc) and HOST in result["error"]["message"]


@pytest.mark.parametrize("event, code", [
    ({}, "InvalidInput"),
    ({"prompt": "   "}, "InvalidInput"),
    ({"prompt": 42}, "InvalidInput"),
    ({"prompt": "hi", "product_id": 7}, "InvalidInput"),
    ({"prompt": "hi", "product_id": "p-999"}, "UnknownProduct"),
    ("not an object", "InvalidInput"),
])
def test_bad_events_get_a_clear_error_and_no_model_call(app, event, code):
    with Stubber(app.bedrock) as stub:  # no response queued: a model call would raise
        result = app.handler(event, None)
        stub.assert_no_pending_responses()
    assert result["ok"] is False and result["error"]["code"] == code
    assert result["error"]["message"]


def test_unresolvable_host_is_reported(monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    app = load_app(monkeypatch)
    with Stubber(app.bedrock) as stub:
        stub.add_response("converse", converse_response())
        result = app.handler({"prompt": "hi"}, None)
    assert result["ok"] is True
    assert result["network"]["addresses"] == []
    assert "Name or service not known" in result["network"]["resolve_error"]


# ---------------------------------------------------------------------------------------------- sandbox
def lambda_zip() -> bytes:
    """The deployment package, built the way notebook 01 builds it: every file of lambda/ at the zip root."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(LAMBDA_DIR.iterdir()):
            if path.is_file() and path.suffix in {".py", ".json"}:
                zf.write(path, path.name)
    return buf.getvalue()


def poll(check, what: str, timeout: float = 30.0):
    deadline, delay = time.monotonic() + timeout, 0.05
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def function_ready(lam, name):
    cfg = lam.get_function_configuration(FunctionName=name)
    return cfg.get("State") == "Active" and cfg.get("LastUpdateStatus") in (None, "Successful")


def invoke(lam, name, event) -> dict:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    payload = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, payload
    return payload


def test_placeholder_fails_until_notebook_01_deploys_the_code(aws):
    """CloudFormation stores inline code as index.py; with Handler app.handler the import fails, as on AWS."""
    out = deploy_stack(aws)
    response = aws("lambda").invoke(FunctionName=out["FunctionName"], Payload=b"{}")
    payload = json.loads(response["Payload"].read())
    assert response.get("FunctionError") == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert "No module named 'app'" in payload["errorMessage"]
    delete_stack(aws)


@pytest.mark.slow
def test_function_deployed_to_sandbox_answers_through_the_endpoint(aws):
    """Needs the sandbox's Lambda runtime, network model and Bedrock (issue 2)."""
    ec2, lam, iam, bedrock = aws("ec2"), aws("lambda"), aws("iam"), aws("bedrock")
    out = deploy_stack(aws)
    name, role_name, role_arn = out["FunctionName"], out["FunctionRoleName"], out["FunctionRoleArn"]
    subnets = [out["PrivateSubnet1Id"], out["PrivateSubnet2Id"]]

    lam.update_function_code(FunctionName=name, ZipFile=lambda_zip())
    poll(lambda: function_ready(lam, name), "the code update")

    profile = bedrock.get_inference_profile(inferenceProfileIdentifier=PROFILE)
    arns = [profile["inferenceProfileArn"], *[m["modelArn"] for m in profile["models"]]]
    endpoint_policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": ["bedrock:InvokeModel"], "Resource": arns}]}
    vpce_id = ec2.create_vpc_endpoint(
        VpcEndpointType="Interface", VpcId=out["VpcId"], ServiceName="com.amazonaws.us-east-1.bedrock-runtime",
        SubnetIds=subnets, SecurityGroupIds=[out["EndpointSecurityGroupId"]], PrivateDnsEnabled=True,
        PolicyDocument=json.dumps(endpoint_policy),
        TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": [
            {"Key": "Name", "Value": "bedrock-vpce"}, {"Key": "workshop", "Value": "bedrock-privatelink"}]}],
    )["VpcEndpoint"]["VpcEndpointId"]
    endpoint = poll(lambda: next((e for e in ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce_id])["VpcEndpoints"]
                                  if e["State"].lower() == "available"), None), "the endpoint to be available")
    eni_ips = {e["PrivateIpAddress"] for e in ec2.describe_network_interfaces(
        NetworkInterfaceIds=endpoint["NetworkInterfaceIds"])["NetworkInterfaces"]}

    iam.put_role_policy(RoleName=role_name, PolicyName="enivpce-policy", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Sid": "eniperms", "Effect": "Allow",
                                               "Action": list(VPC_ACCESS_ACTIONS), "Resource": "*"}]}))
    iam.put_role_policy(RoleName=role_name, PolicyName="lambda-bedrock-sourcevpce-access-only",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Action": ["bedrock:InvokeModel"], "Resource": arns,
                            "Condition": {"StringEquals": {"aws:sourceVpce": vpce_id}}}]}))

    # Outside the VPC the call does not come through the endpoint: the aws:sourceVpce condition denies it.
    before = invoke(lam, name, {"prompt": "How long does the Pulse Running Watch battery last?"})
    assert before["ok"] is False and before["error"]["code"] == "AccessDeniedException", before

    lam.update_function_configuration(
        FunctionName=name, VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": [out["LambdaSecurityGroupId"]]})
    poll(lambda: function_ready(lam, name), "the VPC attachment")

    after = invoke(lam, name, {"prompt": "How long does the Pulse Running Watch battery last?"})
    assert after["ok"] is True, after
    assert after["reply"] and after["product_id"] == "p-600" and after["model_id"] == PROFILE
    assert after["usage"]["inputTokens"] > 0
    assert after["network"]["host"] == HOST
    assert set(after["network"]["addresses"]) <= eni_ips
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network(out["VpcCidr"]) for a in after["network"]["addresses"])

    # Clean up in the order notebook 07 uses.
    ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce_id])
    lam.update_function_configuration(FunctionName=name, VpcConfig={"SubnetIds": [], "SecurityGroupIds": []})
    poll(lambda: function_ready(lam, name), "the VPC detachment")
    for policy in ("enivpce-policy", "lambda-bedrock-sourcevpce-access-only"):
        iam.delete_role_policy(RoleName=role_name, PolicyName=policy)
    delete_stack(aws)
