"""The sandbox's HTTP front: one URL for every service, as moto's server mode.

Each request is parsed once into an `AwsRequest`. Routes registered with
`@route(...)` by the sandbox's own modules see it first; a handler returns a
response, or None to let moto answer. Handlers can also call
`req.passthrough()` to get moto's answer and adjust it. Observers
(`@route(..., observe=True)`, e.g. the authorizer noting a policy change before it
applies) only look and return None; they all run before any handler that answers,
whatever order the modules were imported in.

Admin endpoints live under `/_sandbox/` (health, reset, settings, network).
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import re
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from . import persistence, request_validation, runtime_info
from .errors import AwsError
from .settings import LOCK, SETTINGS

# Modules that register routes or patch moto; build_app() imports them all. Their order does not matter:
# observers run before answering routes (see `route`), and modules import what they use.
EXTENSIONS = [
    "sandbox.authz",
    "sandbox.moto_fixes",
    "sandbox.endpoints",
    "sandbox.network",
    "sandbox.transit",
    "sandbox.resolver",
    "sandbox.lambda_service",
    "sandbox.bedrock",
    "sandbox.cloudtrail",
    "sandbox.iam_simulation",
    # Several accounts, Organizations, StackSets, Service Quotas (issue 9)
    "sandbox.accounts",
    "sandbox.organizations",
    "sandbox.stacksets",
    "sandbox.servicequotas",
    "sandbox.sagemaker",
    "sandbox.language_extensions",
    "sandbox.accessanalyzer",  # ValidatePolicy (issue 15)
]

# Patches to moto that a module defers to its service's first request (moto's CloudFormation code alone takes
# about a second to import); each is idempotent. `apply_patches()` applies them at once.
DEFERRED_PATCHES: list[Callable[[], None]] = []

_AUTH_RE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class AwsRequest:
    environ: dict
    method: str
    path: str
    query: dict
    headers: Headers
    body: bytes
    service: str | None = None  # SigV4 signing name, lower case ("ec2", "bedrock", "lambda", ...)
    region: str = "us-east-1"
    access_key: str | None = None
    target: str | None = None  # X-Amz-Target for JSON-protocol services
    form: dict = field(default_factory=dict)  # query-protocol parameters (first value of each)

    @property
    def action(self) -> str | None:
        return self.form.get("Action") or self.query.get("Action")

    def json(self) -> dict:
        return json.loads(self.body or b"{}")

    def passthrough(self) -> tuple[int, dict, bytes]:
        """Moto's answer to this request: (status, headers, body)."""
        environ = dict(self.environ)
        environ["wsgi.input"] = io.BytesIO(self.body)
        environ["CONTENT_LENGTH"] = str(len(self.body))
        captured: dict = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            captured["headers"] = dict(headers)

        chunks = moto_app()(environ, start_response)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return captured["status"], captured["headers"], body


@dataclass
class Route:
    handler: Callable
    service: str | None = None
    method: str | None = None
    path: re.Pattern | None = None
    action: str | None = None
    target: str | None = None
    observe: bool = False

    def match(self, req: AwsRequest) -> dict | None:
        if self.service and req.service != self.service:
            return None
        if self.method and req.method != self.method:
            return None
        if self.action and req.action != self.action:
            return None
        if self.target and req.target != self.target:
            return None
        if self.path:
            m = self.path.match(req.path)
            if not m:
                return None
            return m.groupdict()
        return {}


ROUTES: list[Route] = []


def route(*, service: str | None = None, method: str | None = None, path: str | None = None,
          action: str | None = None, target: str | None = None, observe: bool = False):
    """Register a handler for requests that match every given field.

    `path` is a regular expression matched against the URL path; its named groups
    are passed to the handler as keyword arguments (URL-decoded). An observer
    (`observe=True`) must return None; observers run before every answering route.
    """

    def register(fn):
        entry = Route(fn, service, method, re.compile(path) if path else None, action, target, observe)
        if observe:
            ROUTES.insert(sum(1 for r in ROUTES if r.observe), entry)
        else:
            ROUTES.append(entry)
        return fn

    return register


_moto_app = None


def moto_app():
    global _moto_app
    if _moto_app is None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        _moto_app = DomainDispatcherApplication(create_backend_app)
    return _moto_app


def query_members(form: dict, prefix: str) -> list[str]:
    """A list member of a query-protocol request (IAM, STS, CloudFormation): `Prefix.member.1`, `.2`, ... in order."""
    out, i = [], 1
    while f"{prefix}.member.{i}" in form:
        out.append(form[f"{prefix}.member.{i}"])
        i += 1
    return out


def parse(environ: dict) -> AwsRequest:
    request = Request(environ)
    body = request.get_data(cache=True)
    headers = request.headers
    req = AwsRequest(
        environ=environ,
        method=request.method,
        path=request.path,
        query={k: v for k, v in request.args.items()},
        headers=headers,
        body=body,
        target=headers.get("X-Amz-Target"),
    )
    m = _AUTH_RE.search(headers.get("Authorization", ""))
    if m:
        req.access_key, req.region, req.service = m.group(1), m.group(2), m.group(3).lower()
    if body and headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        req.form = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    return req


class SandboxApp:
    """The WSGI application: our routes first, then moto."""

    def __call__(self, environ, start_response):
        try:
            req = parse(environ)
        except Exception as exc:  # a request we cannot even parse
            return Response(f"bad request: {exc}", status=400)(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(req.body)
        environ["CONTENT_LENGTH"] = str(len(req.body))
        if req.path.startswith("/_sandbox/"):
            return admin(req)(environ, start_response)
        from . import backends  # the request acts in its access key's account (sandbox/backends.py)

        token = backends.set_account(backends.account_for_access_key(req.access_key))
        try:
            return self._dispatch(req, environ, start_response)
        finally:
            backends.reset_account(token)

    def _dispatch(self, req: AwsRequest, environ, start_response):
        try:
            # AWS checks a request against its operation's model before anything acts on it (IAM, STS,
            # CloudFormation, Lambda; sandbox/request_validation.py says which recordings show it).
            request_validation.check_request(req)
            for r in ROUTES:
                groups = r.match(req)
                if groups is None:
                    continue
                from urllib.parse import unquote

                response = r.handler(req, **{k: unquote(v) for k, v in groups.items()})
                if response is not None and r.observe:
                    raise TypeError(f"observer {r.handler.__qualname__} answered a request")
                if response is not None:
                    return response(environ, start_response)
        except AwsError as err:
            return err.response(req.service)(environ, start_response)
        except Exception as exc:  # never crash the server; answer as AWS does for internal faults
            logging.getLogger("sandbox").exception("internal error in sandbox handler")
            return AwsError("InternalFailure", f"The sandbox failed to handle the request: {exc!r}", 500,
                            sender=False).response(req.service)(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(req.body)
        return moto_app()(environ, start_response)


# ---------------------------------------------------------------- admin endpoints

ADMIN: dict[str, Callable[[AwsRequest], Response]] = {}


def admin_route(path: str):
    def register(fn):
        ADMIN[path] = fn
        return fn

    return register


def json_response(data, status: int = 200) -> Response:
    return Response(json.dumps(data, default=str), status=status, mimetype="application/json")


def admin(req: AwsRequest) -> Response:
    handler = ADMIN.get(req.path)
    if handler is None:
        return json_response({"error": f"no admin endpoint {req.path}"}, 404)
    try:
        return handler(req)
    except (ValueError, KeyError) as exc:
        return json_response({"error": str(exc)}, 400)


@admin_route("/_sandbox/health")
def _health(req: AwsRequest) -> Response:
    return json_response({"status": "running", "settings": SETTINGS.to_dict()})


@admin_route("/_sandbox/settings")
def _settings(req: AwsRequest) -> Response:
    if req.method == "POST":
        with LOCK:
            SETTINGS.update(req.json())
    return json_response(SETTINGS.to_dict())


RESET_HOOKS: list[Callable[[], None]] = []


@admin_route("/_sandbox/reset")
def _reset(req: AwsRequest) -> Response:
    from moto.moto_api import _internal

    _internal.moto_api_backend.reset()
    with LOCK:
        SETTINGS.faults = {}
    for hook in RESET_HOOKS:
        hook()
    return json_response({"status": "reset"})


# ---------------------------------------------------------------- app and serving

_built = False


def import_extensions() -> None:
    """Import every module of EXTENSIONS: each registers its routes and applies its import-time patches."""
    for name in EXTENSIONS:
        importlib.import_module(name)


def apply_patches() -> None:
    """Apply in this process every patch the server applies to moto, the deferred ones included, without
    serving anything (idempotent). moto's own tests run against this (benchmarks/moto_upstream.py)."""
    import_extensions()
    for patch in DEFERRED_PATCHES:
        patch()


def build_app() -> SandboxApp:
    global _built
    if not _built:
        # jsonschema (pulled in by moto's API Gateway models) imports rfc3987_syntax when it is installed, as
        # JupyterLab's dependencies do; building its grammar costs seconds at start-up and no sandbox API needs
        # IRI format checks. Hide it from this process unless something already loaded it.
        sys.modules.setdefault("rfc3987_syntax", None)
        import_extensions()
        _built = True
    return SandboxApp()


class ServerThread:
    """The sandbox in a background thread of this process (used by tests)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server = make_server(host, port, build_app(), threaded=True)
        self.port = self.server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="sandbox")

    def start(self) -> ServerThread:
        runtime_info.set_url(self.url)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(5)


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt


def serve(host: str, port: int) -> None:
    from werkzeug.serving import make_server

    from . import control

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = build_app()
    state_file = control.state_dir() / "state.pickle"
    if persistence.enabled() and persistence.load(state_file):
        print(f"sandbox state loaded from {state_file}", flush=True)
    server = make_server(host, port, app, threaded=True)
    runtime_info.set_url(f"http://{host}:{server.server_port}")
    # `python -m sandbox stop` sends SIGTERM: leave through the shutdown hooks (Lambda workers, persistence).
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"sandbox listening on http://{host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if persistence.enabled():
            try:
                persistence.save(state_file)
            except Exception as exc:  # noqa: BLE001 - report and still run the other shutdown hooks
                print(f"sandbox state NOT saved: {exc!r}", flush=True)
        for hook in SHUTDOWN_HOOKS:
            hook()


SHUTDOWN_HOOKS: list[Callable[[], None]] = []
