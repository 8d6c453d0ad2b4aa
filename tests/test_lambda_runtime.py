"""The sandbox's Lambda runtime: deployed Python handlers run as Lambda runs them.

Functions are deployed through boto3 (zip archives and CloudFormation `ZipFile`) and invoked through the
Lambda API; every outcome is read as a learner would read it (payload, FunctionError, log tail, CloudWatch).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import threading
import time
import zipfile

import pytest
from botocore.exceptions import ClientError

from awsfacts.awslambda import VPC_ACCESS_ACTIONS
from sandbox import lambda_runtime
from tests.conftest import set_settings

REGION = "us-east-1"
ACCOUNT = "123456789012"
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})
# The article's enivpce-policy.
ENIVPCE_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "eniperms", "Effect": "Allow",
        "Action": list(VPC_ACCESS_ACTIONS),  # what the Lambda Developer Guide requires for VPC access
        "Resource": "*",
    }],
})

PROBE = '''
import json, os, socket, time
import boto3

COUNT = {"n": 0}

def handler(event, context):
    COUNT["n"] += 1
    action = event.get("action")
    if action == "sleep":
        print("sleeping", event["seconds"])
        time.sleep(event["seconds"])
    if action == "raise":
        raise ValueError("boom: " + event.get("why", ""))
    if action == "set":
        return {1, 2}
    if action == "exit":
        import sys
        sys.exit(event.get("code", 1))
    if action == "segfault":
        import signal
        os.kill(os.getpid(), signal.SIGSEGV)
    if action == "whoami":
        if "attempts" in event:
            from botocore.config import Config
            client = boto3.client("sts", config=Config(retries={"max_attempts": event["attempts"]}))
        else:
            client = boto3.client("sts")
        return client.get_caller_identity()["Arn"]
    if action == "resolve":
        out = {}
        try:
            out["addresses"] = sorted({i[4][0] for i in socket.getaddrinfo(event["host"], 443)})
        except OSError as exc:
            out["dns_error"] = type(exc).__name__
        return out
    if action == "connect":
        try:
            socket.create_connection((event["ip"], 443), timeout=2)
            return "connected"
        except OSError as exc:
            return type(exc).__name__
    print("event", json.dumps(event))
    return {
        "pid": os.getpid(),
        "count": COUNT["n"],
        "env": {k: v for k, v in os.environ.items()
                if k.startswith(("AWS_", "LAMBDA_", "MY_", "_HANDLER")) and "SECRET" not in k and "TOKEN" not in k},
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
        },
        "version": "v1",
        "cwd": os.getcwd(),
    }
'''


def zip_of(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buf.getvalue()


def make_role(aws, name: str = "fn-role", eni_policy: bool = False) -> str:
    iam = aws("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    if eni_policy:
        iam.put_role_policy(RoleName=name, PolicyName="enivpce-policy", PolicyDocument=ENIVPCE_POLICY)
    return arn


def deploy(aws, name: str = "probe", code: str = PROBE, handler: str = "app.handler", timeout: int = 10,
           env: dict | None = None, role: str | None = None, wait: bool = True, **extra) -> dict:
    """CreateFunction, then (unless `wait` is false) the function_active_v2 waiter: a new function is Pending
    until Lambda has created it, and refuses invocations and updates until then, as on AWS."""
    role = role or make_role(aws)
    created = aws("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler=handler, Timeout=timeout,
        Code={"ZipFile": zip_of({"app.py": code})}, Environment={"Variables": env or {"MY_SETTING": "42"}},
        **extra,
    )
    if wait:
        aws("lambda").get_waiter("function_active_v2").wait(FunctionName=name,
                                                            WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return created


def call(aws, name: str = "probe", event: dict | None = None, **kwargs) -> tuple[dict, object]:
    response = aws("lambda").invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), **kwargs)
    return response, json.loads(response["Payload"].read() or b"null")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


# ---------------------------------------------------------------- running handlers


def test_zip_handler_runs_with_env_and_context(aws):
    deploy(aws, env={"MY_SETTING": "42"})
    response, out = call(aws, event={"hello": "world"})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    env = out["env"]
    assert env["MY_SETTING"] == "42"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "probe"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/probe"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["_HANDLER"] == "app.handler"
    assert "AWS_ENDPOINT_URL" not in env  # clients inside reach the sandbox through the network model
    ctx = out["context"]
    assert ctx["function_name"] == "probe"
    assert ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:probe"
    assert ctx["memory_limit_in_mb"] == "128"
    assert ctx["aws_request_id"] == response["ResponseMetadata"]["RequestId"]
    assert ctx["log_group_name"] == "/aws/lambda/probe"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", ctx["log_stream_name"])
    assert 0 < ctx["remaining"] <= 10_000
    assert out["cwd"] == env["LAMBDA_TASK_ROOT"]


def test_cloudformation_zipfile_function_runs(aws):
    role = make_role(aws)
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "cfn-inline",
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": role,
                    "Environment": {"Variables": {"MODEL_ID": "us.amazon.nova-micro-v1:0"}},
                    "Code": {"ZipFile": "import os\n"
                                        "def handler(event, context):\n"
                                        "    return {'model': os.environ['MODEL_ID'], 'echo': event}\n"},
                },
            }
        }
    }
    aws("cloudformation").create_stack(StackName="inline", TemplateBody=json.dumps(template))
    response, out = call(aws, "cfn-inline", {"x": 1})
    assert "FunctionError" not in response
    assert out == {"model": "us.amazon.nova-micro-v1:0", "echo": {"x": 1}}


def test_handler_credentials_are_the_execution_role(aws):
    deploy(aws, role=make_role(aws, "workshop-fn-role"))
    response, out = call(aws, event={"action": "whoami"})
    assert "FunctionError" not in response, out
    assert out == f"arn:aws:sts::{ACCOUNT}:assumed-role/workshop-fn-role/probe"


def test_unhandled_exception_shape_and_log(aws):
    deploy(aws)
    response, out = call(aws, event={"action": "raise", "why": "bad input"}, LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert out["errorType"] == "ValueError"
    assert out["errorMessage"] == "boom: bad input"
    assert out["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert any('app.py", line' in frame and "in handler" in frame for frame in out["stackTrace"])
    assert not any("lambda_bootstrap" in frame for frame in out["stackTrace"])
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "[ERROR] ValueError: boom: bad input" in tail


def test_non_json_return_is_a_marshal_error(aws):
    deploy(aws)
    response, out = call(aws, event={"action": "set"})
    assert response["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.MarshalError"
    assert out["errorMessage"] == "Unable to marshal response: Object of type set is not JSON serializable"


def test_timeout_is_enforced_with_lambdas_words(aws):
    deploy(aws, timeout=1)
    started = time.monotonic()
    response, out = call(aws, event={"action": "sleep", "seconds": 30}, LogType="Tail")
    assert time.monotonic() - started < 10
    assert response["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Sandbox.Timedout"
    assert out["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    assert response["ResponseMetadata"]["RequestId"] in out["errorMessage"]
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "sleeping 30" in tail
    assert re.search(r"\d{4}-\d\d-\d\dT[\d:.]+Z \S+ Task timed out after 1.00 seconds", tail)
    assert "Status: timeout" in tail
    assert lambda_runtime.live_pids() == []  # the environment was stopped
    response, out = call(aws)  # and the next invocation starts a fresh one
    assert "FunctionError" not in response and out["count"] == 1


@pytest.mark.parametrize("action,words", [
    ("exit", "Runtime exited with error: exit status 3"),
    ("segfault", "Runtime exited with error: signal: segmentation fault"),
])
def test_runtime_exit_is_an_exit_error(aws, action, words):
    deploy(aws)
    response, out = call(aws, event={"action": action, "code": 3})
    assert response["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ExitError"
    assert out["errorMessage"] == f"RequestId: {response['ResponseMetadata']['RequestId']} Error: {words}"
    response, out = call(aws)
    assert "FunctionError" not in response


@pytest.mark.parametrize("code,handler,error_type,message", [
    ("import not_a_module\n", "app.handler", "Runtime.ImportModuleError",
     "Unable to import module 'app': No module named 'not_a_module'"),
    ("def other(event, context):\n    return 1\n", "app.handler", "Runtime.HandlerNotFound",
     "Handler 'handler' missing on module 'app'"),
    ("def handler(event, context) return 1\n", "app.handler", "Runtime.UserCodeSyntaxError",
     "Syntax error in module 'app'"),
])
def test_init_errors(aws, code, handler, error_type, message):
    deploy(aws, code=code, handler=handler)
    response, out = call(aws)
    assert response["FunctionError"] == "Unhandled"
    assert out["errorType"] == error_type
    assert out["errorMessage"].startswith(message)


def test_log_tail_and_cloudwatch_logs(aws):
    deploy(aws)
    response, out = call(aws, event={"marker": "hello-logs"}, LogType="Tail")
    request_id = response["ResponseMetadata"]["RequestId"]
    tail = base64.b64decode(response["LogResult"]).decode()
    assert f"START RequestId: {request_id} Version: $LATEST" in tail
    assert 'event {"marker": "hello-logs"}' in tail
    assert f"END RequestId: {request_id}" in tail
    assert re.search(rf"REPORT RequestId: {request_id}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
                     r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms", tail)
    response, _ = call(aws)
    assert "LogResult" not in response  # only with LogType=Tail
    logs = aws("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/probe")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [out["context"]["log_stream_name"]]
    messages = [e["message"] for e in logs.get_log_events(
        logGroupName="/aws/lambda/probe", logStreamName=streams[0]["logStreamName"])["events"]]
    assert messages[0] == "INIT_START Runtime Version: python:3.12.sandbox"  # cold start
    assert messages[1] == f"START RequestId: {request_id} Version: $LATEST"
    assert 'event {"marker": "hello-logs"}' in messages
    assert sum(m.startswith("REPORT RequestId:") for m in messages) == 2


def test_log_tail_is_the_last_4_kb(aws):
    deploy(aws, code="def handler(event, context):\n    print('x' * 10000)\n    return 1\n")
    response, _ = call(aws, LogType="Tail")
    tail = base64.b64decode(response["LogResult"])
    assert len(tail) == 4096
    assert tail.decode().rstrip().splitlines()[-1].startswith("REPORT RequestId:")


def test_invocation_types_event_and_dry_run(aws):
    deploy(aws)
    lam = aws("lambda")
    dry = lam.invoke(FunctionName="probe", InvocationType="DryRun")
    assert dry["StatusCode"] == 204
    assert lambda_runtime.live_pids() == []  # nothing ran
    event = lam.invoke(FunctionName="probe", InvocationType="Event", Payload=b'{"marker": "async"}')
    assert event["StatusCode"] == 202
    assert event["Payload"].read() == b""
    logs = aws("logs")
    deadline = time.monotonic() + 15
    found = False
    while time.monotonic() < deadline and not found:  # the asynchronous invocation runs in the background
        try:
            found = any('"marker": "async"' in e["message"] for e in logs.filter_log_events(
                logGroupName="/aws/lambda/probe")["events"])
        except ClientError:
            pass
        time.sleep(0.1)
    assert found


def test_bad_payload_and_unknown_function(aws):
    deploy(aws)
    lam = aws("lambda")
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="probe", Payload=b"{not json")
    assert err.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert "Could not parse request body into json" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="nope", Payload=b"{}")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_qualified_names_and_arns(aws):
    deploy(aws)
    lam = aws("lambda")
    version = lam.publish_version(FunctionName="probe")["Version"]
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:probe"
    for kwargs, executed, invoked in [
        ({"FunctionName": "probe", "Qualifier": version}, version, f"{arn}:{version}"),
        ({"FunctionName": f"{arn}:{version}"}, version, f"{arn}:{version}"),
        ({"FunctionName": f"probe:{version}"}, version, f"{arn}:{version}"),
        ({"FunctionName": arn}, "$LATEST", arn),
        ({"FunctionName": f"{ACCOUNT}:function:probe"}, "$LATEST", arn),
    ]:
        response = lam.invoke(Payload=b"{}", **kwargs)
        out = json.loads(response["Payload"].read())
        assert response["ExecutedVersion"] == executed, kwargs
        assert out["context"]["invoked_function_arn"] == invoked, kwargs
        assert out["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == executed


# ---------------------------------------------------------------- execution environments


def test_warm_environment_is_reused(aws):
    deploy(aws)
    first = call(aws)[1]
    second = call(aws)[1]
    assert first["pid"] == second["pid"]
    assert (first["count"], second["count"]) == (1, 2)
    assert first["context"]["log_stream_name"] == second["context"]["log_stream_name"]


def test_code_update_recycles_the_environment(aws):
    deploy(aws)
    old = call(aws)[1]
    aws("lambda").update_function_code(FunctionName="probe", ZipFile=zip_of({"app.py": PROBE.replace(
        '"version": "v1"', '"version": "v2"')}))
    new = call(aws)[1]
    assert new["version"] == "v2"
    assert new["pid"] != old["pid"] and new["count"] == 1
    assert not alive(old["pid"])


def test_configuration_update_recycles_the_environment(aws):
    deploy(aws)
    old = call(aws)[1]
    aws("lambda").update_function_configuration(FunctionName="probe", Environment={"Variables": {"MY_SETTING": "7"}})
    new = call(aws)[1]
    assert new["env"]["MY_SETTING"] == "7"
    assert new["pid"] != old["pid"]
    assert not alive(old["pid"])


def test_concurrent_invocations_get_their_own_environments(aws):
    deploy(aws)
    call(aws)  # warm one environment
    results = []

    def worker():
        results.append(call(aws, event={"action": "sleep", "seconds": 0.5})[0]["StatusCode"])

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [200, 200, 200]
    assert len(lambda_runtime.live_pids()) == 3


def test_delete_and_reset_leave_no_processes(aws, sandbox):
    deploy(aws, "one")
    deploy(aws, "two", role=make_role(aws, "role-two"))
    pid_one = call(aws, "one")[1]["pid"]
    pid_two = call(aws, "two")[1]["pid"]
    aws("lambda").delete_function(FunctionName="one")
    assert not alive(pid_one)
    assert alive(pid_two)
    from tests.conftest import reset_sandbox

    reset_sandbox(sandbox.url)
    assert not alive(pid_two)
    assert lambda_runtime.live_pids() == []


# ---------------------------------------------------------------- function states


def test_update_in_progress_keeps_previous_code_and_refuses_more_updates(aws, sandbox):
    deploy(aws)
    call(aws)
    set_settings(sandbox.url, {"timing_scale": 0.1})  # lambda_update lasts 1 s
    lam = aws("lambda")
    updated = lam.update_function_code(FunctionName="probe", ZipFile=zip_of({"app.py": PROBE.replace(
        '"version": "v1"', '"version": "v2"')}))
    assert updated["LastUpdateStatus"] == "InProgress"
    assert lam.get_function(FunctionName="probe")["Configuration"]["LastUpdateStatus"] == "InProgress"
    with pytest.raises(ClientError) as err:
        lam.update_function_configuration(FunctionName="probe", Timeout=20)
    assert err.value.response["Error"]["Code"] == "ResourceConflictException"
    assert err.value.response["Error"]["Message"] == (
        "The operation cannot be performed at this time. An update is in progress for resource: "
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:probe")
    assert call(aws)[1]["version"] == "v1"  # invocations run the previous code until the update completes
    lam.get_waiter("function_updated_v2").wait(FunctionName="probe", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    assert lam.get_function(FunctionName="probe")["Configuration"]["LastUpdateStatus"] == "Successful"
    assert call(aws)[1]["version"] == "v2"


def test_pending_function_cannot_be_invoked(aws, sandbox):
    set_settings(sandbox.url, {"timing_scale": 0.1})
    created = deploy(aws, wait=False)
    assert created["State"] == "Pending"
    assert created["StateReasonCode"] == "Creating"
    with pytest.raises(ClientError) as err:
        call(aws)
    assert err.value.response["Error"]["Code"] == "ResourceConflictException"
    assert err.value.response["Error"]["Message"] == (
        "The operation cannot be performed at this time. The function is currently in the following state: Pending")
    aws("lambda").get_waiter("function_active_v2").wait(FunctionName="probe", WaiterConfig={"Delay": 1,
                                                                                             "MaxAttempts": 10})
    assert "FunctionError" not in call(aws)[0]


# ---------------------------------------------------------------- network inside the function


def test_function_outside_vpc_resolves_public_names_and_never_reaches_the_internet(aws):
    deploy(aws)
    out = call(aws, event={"action": "resolve", "host": f"bedrock-runtime.{REGION}.amazonaws.com"})[1]
    assert out["addresses"] and not any(a.startswith("10.") for a in out["addresses"])
    assert call(aws, event={"action": "resolve", "host": "example.com"})[1] == {"dns_error": "gaierror"}
    assert call(aws, event={"action": "connect", "ip": "8.8.8.8"})[1] == "TimeoutError"


def test_bundled_sdk_wins_over_the_runtime_copy(aws):
    files = {
        "app.py": "import boto3\ndef handler(event, context):\n    return getattr(boto3, 'BUNDLED', 'runtime copy')\n",
        "boto3/__init__.py": "BUNDLED = 'bundled copy'\n",
    }
    aws("lambda").create_function(FunctionName="bundled", Runtime="python3.12", Role=make_role(aws),
                                  Handler="app.handler", Code={"ZipFile": zip_of(files)})
    aws("lambda").get_waiter("function_active_v2").wait(FunctionName="bundled")
    assert call(aws, "bundled")[1] == "bundled copy"


@pytest.mark.slow
def test_environments_end_with_a_killed_sandbox(tmp_path):
    """Even when the sandbox dies without its shutdown hooks (SIGTERM), no worker process outlives it."""
    import signal
    import socket
    import subprocess
    import sys
    import urllib.request

    import boto3

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, SANDBOX_STATE_DIR=str(tmp_path))  # never the checkout's own saved state
    server = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", str(port)], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline, delay = time.monotonic() + 120, 0.1
        while True:  # the sandbox's start-up
            try:
                urllib.request.urlopen(url + "/_sandbox/health", timeout=1).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the sandbox did not start within 120 s"
                time.sleep(delay)
                delay = min(delay * 1.5, 1.0)
        kw = {"region_name": REGION, "endpoint_url": url}
        role = boto3.client("iam", **kw).create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        lam = boto3.client("lambda", **kw)
        lam.create_function(FunctionName="probe", Runtime="python3.12", Role=role, Handler="app.handler",
                            Code={"ZipFile": zip_of({"app.py": PROBE})})
        lam.get_waiter("function_active_v2").wait(FunctionName="probe")
        pid = json.loads(lam.invoke(FunctionName="probe", Payload=b"{}")["Payload"].read())["pid"]
        children = [int(p) for p in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                                   text=True).stdout.split()]
        assert pid in children
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    deadline = time.monotonic() + 10
    while any(alive(p) for p in children) and time.monotonic() < deadline:  # each worker watches its parent
        time.sleep(0.1)
    assert not any(alive(p) for p in children)
