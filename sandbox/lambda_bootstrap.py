"""One Lambda execution environment of the sandbox: the worker process's main.

`sandbox.lambda_runtime` starts this file as a script (`python lambda_bootstrap.py`), one process per warm
execution environment. It imports nothing from the sandbox package, so the handler sees a plain Python
process whose `sys.path[0]` is the function's code directory, as `/var/task` is on Lambda.

Protocol (JSON lines):
- server -> worker on stdin: first an init message `{"sandbox", "token", "handler", "task_root", "env",
  "log_path"}`, then
  `{"type": "invoke", "id", "event", "deadline_ms", "invoked_arn"}` per invocation.
- worker -> server on the original stdout: `{"type": "ready"}` or `{"type": "init_error", "error"}` once,
  then `{"type": "result", "payload"}` or `{"type": "result", "error"}` per invocation.
The handler's own stdout and stderr go to the worker's log file (fd 1 and 2), which the server reads.

Network: boto3 inside the handler is built the plain way (no endpoint_url). Requests to
`https://<service>.<region>.amazonaws.com/...` are routed by the sandbox's network model: the worker asks
`GET {sandbox}/_sandbox/network/route?token=T&host=H` and, when the host is reachable from where the function
runs, sends the same request to the sandbox with `X-Sandbox-Route: <route_id>`. When it is not reachable the
client waits `connect_wait` seconds and sees a connect timeout, as on AWS. Name lookups of `*.amazonaws.com`
return the addresses the model gives, and sockets may only connect to loopback addresses: code in the sandbox
never reaches the internet.
"""

from __future__ import annotations

import http.client
import importlib
import ipaddress
import json
import logging
import os
import socket
import sys
import threading
import time
import traceback
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

# No caching: a network or policy change applies to the very next call (loopback look-ups take ~1 ms).
ROUTE_CACHE_SECONDS = 0.0
_OWN_FILE = os.path.abspath(__file__)

_original_getaddrinfo = socket.getaddrinfo
_original_gethostbyname = socket.gethostbyname
_original_gethostbyname_ex = socket.gethostbyname_ex
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


# ---------------------------------------------------------------- network model client


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.split("%")[0])
        return True
    except ValueError:
        return False


def _is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


class NetworkModel:
    """Asks the sandbox where a host name leads from this function, with a short cache."""

    def __init__(self, sandbox_url: str, token: str):
        parts = urlsplit(sandbox_url)
        self.base = sandbox_url.rstrip("/")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.token = token
        self._cache: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def route(self, host: str) -> dict:
        host = host.lower().rstrip(".")
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(host)
            if hit and hit[0] > now:
                return hit[1]
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("GET", "/_sandbox/network/route?" + urlencode({"token": self.token, "host": host}))
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if resp.status != 200:
            raise RuntimeError(
                f"the sandbox's network model could not route {host!r}: HTTP {resp.status} {data[:300]!r}"
            )
        answer = json.loads(data)
        with self._lock:
            self._cache[host] = (time.monotonic() + ROUTE_CACHE_SECONDS, answer)
        return answer

    def wait_for(self, host: str, cap: float | None) -> float:
        """Seconds a client waits before its connection attempt to `host` times out."""
        try:
            wait = float(self.route(host).get("connect_wait") or 0.0)
        except Exception:
            wait = 1.0
        if cap is not None:
            wait = min(wait, cap)
        return max(wait, 0.0)


_NET: NetworkModel | None = None


def _service_name(host: str) -> bool:
    return host.lower().rstrip(".").endswith(".amazonaws.com")


def _resolve(host: str) -> list[str]:
    """The IPv4 addresses a name resolves to inside the function."""
    if _NET is None or not _service_name(host):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    addresses = list(_NET.route(host).get("addresses") or [])
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return addresses


_PROTO = {socket.SOCK_STREAM: socket.IPPROTO_TCP, socket.SOCK_DGRAM: socket.IPPROTO_UDP, socket.SOCK_RAW: 0}


def _getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 (socket's own names)
    name = host.decode() if isinstance(host, bytes) else host
    if name is None or _is_ip(name) or _is_loopback(name):
        return _original_getaddrinfo(host, port, family, type, proto, flags)
    addresses = _resolve(name)
    if family not in (0, socket.AF_INET):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    if port is None:
        number = 0
    elif isinstance(port, int):
        number = port
    elif str(port).isdigit():
        number = int(port)
    else:
        number = socket.getservbyname(port.decode() if isinstance(port, bytes) else port, "tcp")
    kinds = [type] if type else [socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW]
    return [(socket.AF_INET, kind, proto or _PROTO.get(kind, 0), "", (address, number))
            for address in addresses for kind in kinds]


def _gethostbyname(host):
    if _is_ip(host) or _is_loopback(host):
        return _original_gethostbyname(host)
    return _resolve(host)[0]


def _gethostbyname_ex(host):
    if _is_ip(host) or _is_loopback(host):
        return _original_gethostbyname_ex(host)
    return host, [], _resolve(host)


def _refused(sock: socket.socket, address) -> tuple[bool, float]:
    """(True, seconds to wait) when this connection must not leave the machine."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return False, 0.0
    host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
    if _is_loopback(host):
        return False, 0.0
    if not _is_ip(host):
        ip = _resolve(host)[0]  # raises gaierror for names the model does not know
        if _is_loopback(ip):
            return False, 0.0
        host = ip
    wait = _NET.wait_for(host, sock.gettimeout()) if _NET is not None else 0.0
    return True, wait


def _connect(self, address):
    refused, wait = _refused(self, address)
    if refused:
        time.sleep(wait)  # what a client waits for a connection nobody answers
        raise TimeoutError("timed out")
    return _original_connect(self, address)


def _connect_ex(self, address):
    refused, wait = _refused(self, address)
    if refused:
        time.sleep(wait)
        import errno

        return errno.ETIMEDOUT
    return _original_connect_ex(self, address)


def _patch_botocore() -> None:
    try:
        import botocore.httpsession
        from botocore.awsrequest import AWSPreparedRequest
        from botocore.exceptions import ConnectTimeoutError
    except ImportError:  # no botocore: nothing to route
        return
    session_class = botocore.httpsession.URLLib3Session
    original_send = session_class.send

    def send(self, request):
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        if _NET is None or _is_loopback(host):
            return original_send(self, request)
        answer = _NET.route(host)
        if not answer.get("reachable"):
            wait = float(answer.get("connect_wait") or 0.0)
            timeout = getattr(self, "_timeout", None)
            connect_timeout = timeout[0] if isinstance(timeout, tuple) else timeout
            if isinstance(connect_timeout, (int, float)):
                wait = min(wait, float(connect_timeout))
            time.sleep(max(wait, 0.0))  # the client's connect attempt goes unanswered
            raise ConnectTimeoutError(endpoint_url=request.url)
        url = _NET.base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = request.headers.copy()
        if answer.get("route_id"):
            headers["X-Sandbox-Route"] = str(answer["route_id"])
        routed = AWSPreparedRequest(request.method, url, headers, request.body, request.stream_output)
        return original_send(self, routed)

    session_class.send = send


def install_network(sandbox_url: str, token: str) -> None:
    global _NET
    _NET = NetworkModel(sandbox_url, token)
    socket.getaddrinfo = _getaddrinfo
    socket.gethostbyname = _gethostbyname
    socket.gethostbyname_ex = _gethostbyname_ex
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex
    _patch_botocore()


# ---------------------------------------------------------------- the Lambda programming model


class CognitoIdentity:
    cognito_identity_id = None
    cognito_identity_pool_id = None


class LambdaContext:
    """The `context` object of the Python runtime."""

    def __init__(self, request_id: str, deadline_ms: int, invoked_arn: str):
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.invoked_function_arn = invoked_arn
        self.identity = CognitoIdentity()
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(int(self._deadline_ms - time.time() * 1000), 0)

    def log(self, message: str) -> None:
        sys.stdout.write(str(message))
        sys.stdout.flush()

    def __repr__(self) -> str:
        return (f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
                f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
                f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
                f"invoked_function_arn={self.invoked_function_arn},client_context=None,"
                f"identity=CognitoIdentity([cognito_identity_id=None,cognito_identity_pool_id=None])])")


_REQUEST_ID = {"id": ""}


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _REQUEST_ID["id"]
        return True


def _setup_logging() -> None:
    """The root logger as the Python runtime sets it up: one handler, request id in every line."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        root.setLevel(level.upper())


def _stack(tb) -> list[str]:
    frames = [f for f in traceback.extract_tb(tb) if os.path.abspath(f.filename) != _OWN_FILE]
    return traceback.format_list(frames)


def _log_error(error: dict) -> None:
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in error["stackTrace"])
    sys.stdout.write("\r".join(lines) + "\n")
    sys.stdout.flush()


def _error(exc: BaseException, request_id: str, with_stack: bool = True) -> dict:
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": _stack(exc.__traceback__) if with_stack else [],
    }


def _load_handler(spec: str):
    """Import the handler as the Python runtime does, with its error types and messages."""
    try:
        module_path, function_name = spec.rsplit(".", 1)
    except ValueError as exc:
        return None, {"errorMessage": f"Bad handler '{spec}': {exc}", "errorType": "Runtime.MalformedHandlerName",
                      "requestId": "", "stackTrace": []}
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return None, {"errorMessage": f"Unable to import module '{module_name}': {exc}",
                      "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}
    except SyntaxError as exc:
        return None, {"errorMessage": f"Syntax error in module '{module_name}': {exc}",
                      "errorType": "Runtime.UserCodeSyntaxError", "requestId": "",
                      "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__))[-1:]}
    except Exception as exc:  # an exception in the module's init code
        return None, _error(exc, "")
    handler = getattr(module, function_name, None)
    if handler is None:
        return None, {"errorMessage": f"Handler '{function_name}' missing on module '{module_name}'",
                      "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []}
    return handler, None


def _json_default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _run(handler, message: dict) -> dict:
    request_id = message["id"]
    _REQUEST_ID["id"] = request_id
    context = LambdaContext(request_id, int(message["deadline_ms"]), message.get("invoked_arn", ""))
    try:
        event = json.loads(message.get("event") or "{}")
        result = handler(event, context)
    except Exception as exc:
        error = _error(exc, request_id)
        _log_error(error)
        return {"type": "result", "error": error}
    try:
        payload = json.dumps(result, default=_json_default)
    except (TypeError, ValueError) as exc:
        error = {"errorMessage": f"Unable to marshal response: {exc}", "errorType": "Runtime.MarshalError",
                 "requestId": request_id, "stackTrace": []}
        _log_error(error)
        return {"type": "result", "error": error}
    return {"type": "result", "payload": payload}


def _watch_parent(parent: int) -> None:
    """Exit when the sandbox that started this environment is gone: no process outlives it."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


PRELOAD = ("boto3", "botocore.httpsession", "botocore.awsrequest", "botocore.exceptions")


def main() -> None:
    # The sandbox may start this process before it knows which function it will run (a spare environment,
    # to make cold starts short): the function's environment variables, log file, code folder and network
    # token all come in the init message.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(_OWN_FILE):
        sys.path.pop(0)  # the sandbox's own folder is never on the handler's path
    # The protocol keeps private copies of stdin/stdout; the handler's stdin is empty.
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)

    def reply(message: dict) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        replies.write(json.dumps(message).encode() + b"\n")
        replies.flush()

    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    if "--no-preload" not in sys.argv:
        for name in PRELOAD:  # what the Python runtime has loaded before the function's code
            try:
                importlib.import_module(name)
            except ImportError:
                pass
    line = requests.readline()
    if not line:
        return
    init = json.loads(line)
    os.environ.clear()
    os.environ.update(init["env"])
    time.tzset()
    log_fd = os.open(init["log_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log_fd, 1)  # the handler's stdout and stderr go to the environment's log
    os.dup2(log_fd, 2)
    os.close(log_fd)
    task_root = init["task_root"]
    sys.path.insert(0, task_root)
    os.chdir(task_root)
    install_network(init["sandbox"], init["token"])
    _setup_logging()
    handler, error = _load_handler(init["handler"])
    if error is not None:
        _log_error(error)
        reply({"type": "init_error", "error": error})
        return
    reply({"type": "ready"})
    for line in requests:
        message = json.loads(line)
        if message.get("type") == "invoke":
            reply(_run(handler, message))
        _REQUEST_ID["id"] = ""


if __name__ == "__main__":
    main()
