"""The sandbox's Lambda runtime: warm execution environments that run deployed Python handlers.

Each execution environment is a worker process (`sandbox/lambda_bootstrap.py`) that imports the handler once
and then serves invocations over a pipe, as a Lambda execution environment serves invocations after its init
phase. Workers are keyed by the exact code and configuration they run (`Spec.key`): a code or configuration
change makes the next invocation start a new environment, and environments of an older key are stopped.

Concurrency: one invocation at a time per environment, as on Lambda. Concurrent invocations of one function
start more environments, up to `MAX_ENVIRONMENTS` per function; beyond that an invocation waits for a free
environment (bounded by the function timeout, then TooManyRequestsException).

Environments stop when their function is deleted, on sandbox reset, on shutdown, after `IDLE_SECONDS` idle,
and when the sandbox process itself goes away (each worker watches its parent).

Credentials for the handler are minted for the function's execution role with moto STS, so the sandbox sees
its calls as `arn:aws:sts::<acct>:assumed-role/<role>/<function>`.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import importlib.util
import io
import json
import logging
import math
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import backends, network, runtime_info

log = logging.getLogger("sandbox.lambda")


def _bootstrap_path() -> str:
    """The worker script, found through the import system so that a missing file stops start-up."""
    spec = importlib.util.find_spec("sandbox.lambda_bootstrap")
    if spec is None or not spec.origin:
        raise ImportError("sandbox.lambda_bootstrap (the Lambda worker script) is missing",
                          name="sandbox.lambda_bootstrap")
    return spec.origin


BOOTSTRAP = _bootstrap_path()
MAX_ENVIRONMENTS = 4  # per function version and configuration
IDLE_SECONDS = 900.0  # an idle environment is stopped after this (checked lazily on each invocation)
MAX_AGE_SECONDS = 3000.0  # environments are replaced before their role credentials (1 h) expire
INIT_TIMEOUT = 10.0  # Lambda's init phase limit for on-demand functions
LOG_TAIL_BYTES = 4096
MAX_RESPONSE_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class Spec:
    """What an execution environment runs: a snapshot of a function version's code and configuration."""

    region: str
    function_name: str
    version: str
    function_arn: str
    handler: str
    runtime: str
    role: str
    timeout: int
    memory: int
    env: tuple
    code_sha: str
    code: bytes = field(repr=False, compare=False, hash=False)
    vpc: str = ""  # "" when not attached; else a stable description of the attachment

    @property
    def key(self) -> str:
        parts = [self.region, self.function_name, self.version, self.handler, self.runtime, self.role,
                 str(self.timeout), str(self.memory), json.dumps(self.env), self.code_sha, self.vpc]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def spec_from_function(fn, vpc: str = "") -> Spec:
    """A Spec from a moto LambdaFunction (its current code and configuration)."""
    # moto sets no code_bytes for an image, and takes Code.ImageUri without PackageType "Image" as well
    code = (getattr(fn, "code_bytes", None) or b"") if fn.package_type == "Zip" else b""
    return Spec(
        region=fn.region,
        function_name=fn.function_name,
        version=str(fn.version),
        function_arn=fn.function_arn,
        handler=fn.handler or "",
        runtime=fn.run_time or "",
        role=fn.role,
        timeout=int(fn.timeout or 3),
        memory=int(fn.memory_size or 128),
        env=tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items())),
        code_sha=hashlib.sha256(code).hexdigest(),
        code=code,
        vpc=vpc,
    )


@dataclass
class Result:
    request_id: str
    payload: bytes
    function_error: str | None  # "Unhandled" or None
    log_text: str
    executed_version: str

    @property
    def log_tail_b64(self) -> str:
        data = self.log_text.encode("utf-8")[-LOG_TAIL_BYTES:]
        return base64.b64encode(data).decode()


# ---------------------------------------------------------------- state folder

_STATE_DIR: str | None = None
_STATE_LOCK = threading.Lock()


def state_dir() -> str:
    """This process's folder for function code and environment logs (removed at shutdown)."""
    global _STATE_DIR
    with _STATE_LOCK:
        if _STATE_DIR is None or not os.path.isdir(_STATE_DIR):
            _remove_stale_state_dirs()
            _STATE_DIR = tempfile.mkdtemp(prefix=f"sandbox-lambda-{os.getpid()}-")
        return _STATE_DIR


def _remove_stale_state_dirs() -> None:
    """Folders left by sandboxes that were killed before their shutdown hooks ran."""
    root = tempfile.gettempdir()
    for name in os.listdir(root):
        parts = name.split("-")
        if len(parts) < 4 or parts[:2] != ["sandbox", "lambda"] or not parts[2].isdigit():
            continue
        try:
            os.kill(int(parts[2]), 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
        except OSError:
            pass


def code_dir(spec: Spec) -> str:
    """The function's code, extracted once per code hash (read-only use, like /var/task)."""
    target = os.path.join(state_dir(), "code", spec.code_sha)
    if os.path.isdir(target):
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    staging = tempfile.mkdtemp(dir=os.path.dirname(target), prefix=".extract-")
    try:
        with zipfile.ZipFile(io.BytesIO(spec.code)) as archive:
            archive.extractall(staging)  # extractall drops absolute paths and ".." parts
        try:
            os.rename(staging, target)
        except OSError:  # another thread extracted the same code first
            shutil.rmtree(staging, ignore_errors=True)
    except zipfile.BadZipFile:
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(target, exist_ok=True)
    return target


# ---------------------------------------------------------------- credentials, environment, logs


def _credentials(spec: Spec) -> dict:
    role = backends.sts().assume_role(
        spec.region, role_session_name=spec.function_name, role_arn=spec.role, policy=None, duration=3600,
        external_id=None,
    )
    return {
        "AWS_ACCESS_KEY_ID": role.access_key_id,
        "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
        "AWS_SESSION_TOKEN": role.session_token,
    }


def _environment(spec: Spec, task_root: str, log_stream: str, workdir: str) -> dict:
    """The handler's environment: Lambda's reserved variables plus the function's own."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": workdir,
        "TMPDIR": workdir,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
    }
    env.update(dict(spec.env))
    # Reserved variables win over the function's own, as on Lambda (which refuses to set them).
    env.update({
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": os.path.dirname(BOOTSTRAP),
        "_HANDLER": spec.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        # No shared config or credentials files: nothing on this machine may redirect the handler's clients.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


_LOGS_LOCK = threading.Lock()

# ---------------------------------------------------------------- processes and spare environments

SPARES = 1  # processes started ahead of need, with the SDK imported, so that a cold start is short
_SPARE_POOL: list[subprocess.Popen] = []
_SPARE_LOCK = threading.Lock()
# Packages the runtime preloads; a function that bundles its own copy gets a process without preloading,
# so that its copy wins, as on Lambda where the function's folder comes first on sys.path.
_PRELOADED = ("boto3", "botocore", "s3transfer", "urllib3", "jmespath", "dateutil")


def _bundles_sdk(task_root: str) -> bool:
    return any(os.path.exists(os.path.join(task_root, name)) for name in _PRELOADED)


def _spawn(preload: bool = True) -> subprocess.Popen:
    """A blank execution environment process: it learns its function from the init message."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "HOME": state_dir()}
    args = [sys.executable, BOOTSTRAP] + ([] if preload else ["--no-preload"])
    return subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=state_dir(), env=env, close_fds=True, start_new_session=True)


def _take_spare() -> subprocess.Popen | None:
    with _SPARE_LOCK:
        while _SPARE_POOL:
            proc = _SPARE_POOL.pop(0)
            if proc.poll() is None:
                return proc
            _reap(proc)
    return None


def _refill_spares() -> None:
    with _SPARE_LOCK:
        while len(_SPARE_POOL) < SPARES:
            _SPARE_POOL.append(_spawn())


def _reap(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
        proc.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        pass
    for stream in (proc.stdin, proc.stdout):
        try:
            if stream:
                stream.close()
        except OSError:
            pass


def prepare() -> None:
    """Make sure a spare environment process is starting (cheap; called when a function is created)."""
    try:
        _refill_spares()
    except OSError:
        log.exception("could not start a spare Lambda environment")


def _stop_spares() -> None:
    with _SPARE_LOCK:
        spares = list(_SPARE_POOL)
        _SPARE_POOL.clear()
    for proc in spares:
        _reap(proc)


def _to_cloudwatch(spec: Spec, stream: str, lines: list[tuple[int, str]]) -> None:
    """Append an invocation's log lines to /aws/lambda/<name> (the group is created if missing)."""
    if not lines:
        return
    group = f"/aws/lambda/{spec.function_name}"
    try:
        with _LOGS_LOCK:
            logs = backends.logs(spec.region, spec.function_arn.split(":")[4])  # the function's account
            logs.ensure_log_group(group)
            logs.ensure_log_stream(group, stream)
            logs.put_log_events(group, stream, [{"timestamp": ts, "message": msg} for ts, msg in lines])
    except Exception:  # logging must never fail an invocation
        log.exception("could not write Lambda logs to CloudWatch Logs")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


_SIGNAL_NAMES = {  # as the Lambda service words a runtime killed by a signal
    signal.SIGSEGV: "segmentation fault",
    signal.SIGKILL: "killed",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGILL: "illegal instruction",
}


def _exit_text(returncode: int | None) -> str:
    if returncode is None:
        return "exit status 1"
    if returncode < 0:
        sig = -returncode
        try:
            name = _SIGNAL_NAMES.get(signal.Signals(sig)) or signal.strsignal(sig).lower()
        except ValueError:
            name = f"signal {sig}"
        return f"signal: {name}"
    return f"exit status {returncode}"


# ---------------------------------------------------------------- execution environments


class Worker:
    """One execution environment: a long-lived worker process for one Spec."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.id = uuid.uuid4().hex
        self.token = secrets.token_urlsafe(24)
        self.busy = True  # reserved by whoever created it
        self.last_used = self.created = time.monotonic()
        self.proc: subprocess.Popen | None = None
        self.init_ms: float | None = None  # reported on the first invocation only
        self._lines: queue.Queue = queue.Queue()
        self._log_offset = 0
        self._dead = False
        now = datetime.now(UTC)
        self.log_stream = f"{now:%Y/%m/%d}/[{spec.version}]{self.id}"
        self.workdir = os.path.join(state_dir(), "workers", self.id)
        self.log_path = os.path.join(self.workdir, "output.log")

    # -- life cycle

    def start(self) -> dict | None:
        """Start the process and run the init phase. Returns an init error (Lambda's shape) or None."""
        started = time.monotonic()
        os.makedirs(self.workdir, exist_ok=True)
        task_root = code_dir(self.spec)
        env = _environment(self.spec, task_root, self.log_stream, self.workdir)
        env.update(_credentials(self.spec))
        _register(self.token, self.spec)
        open(self.log_path, "wb").close()
        self.proc = _take_spare() if not _bundles_sdk(task_root) else None
        if self.proc is None:
            self.proc = _spawn(preload=not _bundles_sdk(task_root))
        _refill_spares()
        _LIVE[self.id] = self
        if self._dead:  # stopped (function deleted, sandbox reset) while it was starting
            _LIVE.pop(self.id, None)
            _reap(self.proc)
            raise RuntimeError("the execution environment was stopped while it started")
        threading.Thread(target=self._read, daemon=True, name=f"lambda-{self.spec.function_name}").start()
        self._send({"sandbox": runtime_info.url(), "token": self.token, "handler": self.spec.handler,
                    "task_root": task_root, "env": env, "log_path": self.log_path})
        # Lambda gives the init phase 10 s, then retries it inside the invocation under the function timeout.
        try:
            message = self._lines.get(timeout=INIT_TIMEOUT + self.spec.timeout)
        except queue.Empty:
            message = {"type": "init_error", "error": {
                "errorMessage": f"Error: Task timed out after {self.spec.timeout:.2f} seconds",
                "errorType": "Sandbox.Timedout"}}
        self.init_ms = (time.monotonic() - started) * 1000
        if message is None:
            self.proc.wait()
            return {"errorType": "Runtime.ExitError", "requestId": "", "stackTrace": [],
                    "errorMessage": f"Error: Runtime exited with error: {_exit_text(self.proc.returncode)}"}
        if message.get("type") != "ready":
            return message.get("error") or {"errorType": "Runtime.Unknown", "errorMessage": "init failed"}
        return None

    def _read(self) -> None:
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        try:
            for line in proc.stdout:
                try:
                    self._lines.put(json.loads(line))
                except ValueError:
                    continue
        except (OSError, ValueError):
            pass
        finally:
            self._lines.put(None)  # EOF: the process is gone
            try:
                proc.stdout.close()
            except OSError:
                pass

    def _send(self, message: dict) -> bool:
        try:
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(message).encode() + b"\n")
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    @property
    def alive(self) -> bool:
        return not self._dead and self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Stop the process (and anything it started) and forget it. Idempotent."""
        if self._dead:
            return
        self._dead = True
        proc = self.proc
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.kill()
            except OSError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.error("Lambda worker %s did not exit after SIGKILL", proc.pid)
            try:
                if proc.stdin:
                    proc.stdin.close()
            except OSError:
                pass
        _unregister(self.token)
        _LIVE.pop(self.id, None)
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- invocations

    def _new_output(self) -> list[str]:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._log_offset)
                data = fh.read()
        except OSError:
            return []
        self._log_offset += len(data)
        text = data.decode("utf-8", errors="replace")
        return text.splitlines()

    def _max_memory_mb(self) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return max(1, int(line.split()[1]) // 1024)
        except (OSError, ValueError, AttributeError):
            pass
        return 0

    def invoke(self, event: bytes, request_id: str, invoked_arn: str, init_error: dict | None = None) -> Result:
        spec = self.spec
        lines: list[tuple[int, str]] = []

        def emit(text: str) -> None:
            lines.append((_now_ms(), text))

        if self.init_ms is not None:  # cold start: the init phase's lines come first
            version = re.sub(r"^([a-z]+)(\d)", r"\1:\2", spec.runtime or "python3")
            emit(f"INIT_START Runtime Version: {version}.sandbox")
        for text in self._new_output():
            emit(text)
        emit(f"START RequestId: {request_id} Version: {spec.version}")
        started = time.monotonic()
        deadline = time.time() + spec.timeout
        status_suffix = ""
        function_error = None
        if init_error is not None:
            error = dict(init_error)
            if error.get("errorType") in ("Runtime.ExitError", "Sandbox.Timedout"):
                error["errorMessage"] = f"RequestId: {request_id} {error['errorMessage']}"
            payload = json.dumps(error).encode()
            function_error = "Unhandled"
            status_suffix = f"\tStatus: error\tError Type: {error.get('errorType')}"
        else:
            sent = self._send({"type": "invoke", "id": request_id, "event": event.decode("utf-8"),
                               "deadline_ms": int(deadline * 1000), "invoked_arn": invoked_arn})
            try:
                message = self._lines.get(timeout=spec.timeout) if sent else None
            except queue.Empty:
                message = "timeout"
            if message == "timeout":
                memory = self._max_memory_mb()
                for text in self._new_output():
                    emit(text)
                self.kill()
                seconds = f"{spec.timeout:.2f}"
                emit(f"{_iso_now()} {request_id} Task timed out after {seconds} seconds")
                payload = json.dumps({
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: Task timed out after {seconds} seconds",
                }).encode()
                function_error = "Unhandled"
                status_suffix = "\tStatus: timeout"
                return self._finish(request_id, lines, started, payload, function_error, status_suffix, memory)
            if message is None:  # the runtime process exited (sys.exit, os._exit, a signal, ...)
                memory = self._max_memory_mb()
                if self.proc is not None:
                    try:
                        self.proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        pass
                exit_text = _exit_text(self.proc.returncode if self.proc else None)
                for text in self._new_output():
                    emit(text)
                self.kill()
                emit(f"RequestId: {request_id} Error: Runtime exited with error: {exit_text}")
                emit("Runtime.ExitError")
                payload = json.dumps({
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {exit_text}",
                }).encode()
                function_error = "Unhandled"
                status_suffix = "\tStatus: error\tError Type: Runtime.ExitError"
                return self._finish(request_id, lines, started, payload, function_error, status_suffix, memory)
            for text in self._new_output():
                emit(text)
            if "error" in message:
                payload = json.dumps(message["error"]).encode()
                function_error = "Unhandled"
            else:
                payload = message.get("payload", "null").encode("utf-8")
                if len(payload) > MAX_RESPONSE_BYTES:
                    payload = json.dumps({
                        "errorMessage": f"Response payload size ({len(payload)} bytes) exceeded maximum allowed "
                                        f"payload size ({MAX_RESPONSE_BYTES} bytes).",
                        "errorType": "Function.ResponseSizeTooLarge",
                    }).encode()
                    function_error = "Unhandled"
        return self._finish(request_id, lines, started, payload, function_error, status_suffix,
                            self._max_memory_mb())

    def _finish(self, request_id, lines, started, payload, function_error, status_suffix, memory) -> Result:
        spec = self.spec
        duration = (time.monotonic() - started) * 1000
        lines.append((_now_ms(), f"END RequestId: {request_id}"))
        report = (f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
                  f"Billed Duration: {max(1, math.ceil(duration))} ms\tMemory Size: {spec.memory} MB\t"
                  f"Max Memory Used: {memory} MB")
        if self.init_ms is not None:
            report += f"\tInit Duration: {self.init_ms:.2f} ms"
            self.init_ms = None
        lines.append((_now_ms(), report + status_suffix))
        _to_cloudwatch(spec, self.log_stream, lines)
        text = "\n".join(message for _, message in lines) + "\n"
        return Result(request_id, payload, function_error, text, spec.version)


# ---------------------------------------------------------------- pools


_LIVE: dict[str, Worker] = {}  # every worker process this runtime started and has not stopped
_POOLS: dict[tuple[str, str, str], list[Worker]] = {}  # (account, region, function name) -> environments
_COND = threading.Condition()


class TooManyRequests(Exception):
    pass


def _pool(spec: Spec) -> tuple[str, str, str]:
    """Environments belong to one function of one account: (account, region, name)."""
    return (spec.function_arn.split(":")[4], spec.region, spec.function_name)


def _pool_of(region: str, function_name: str, account: str | None) -> tuple[str, str, str]:
    return (account or backends.current_account(), region, function_name)


def _register(token: str, spec: Spec) -> None:
    network.register_invocation(token, spec.region, spec.function_name, spec.function_arn.split(":")[4])


def _unregister(token: str) -> None:
    network.unregister_invocation(token)


def _acquire(spec: Spec, deadline: float) -> tuple[Worker, bool]:
    """A free environment for `spec` (warm when possible). Returns (worker, is_new)."""
    stale: list[Worker] = []
    try:
        with _COND:
            while True:
                pool = _POOLS.setdefault(_pool(spec), [])
                now = time.monotonic()
                for w in list(pool):
                    if not w.busy and (w.spec.version == spec.version and w.spec.key != spec.key
                                       or not w.alive or now - w.last_used > IDLE_SECONDS
                                       or now - w.created > MAX_AGE_SECONDS):
                        pool.remove(w)
                        stale.append(w)
                for w in pool:
                    if not w.busy and w.spec.key == spec.key:
                        w.busy = True
                        return w, False
                if sum(1 for w in pool if w.spec.key == spec.key) < MAX_ENVIRONMENTS:
                    worker = Worker(spec)
                    pool.append(worker)
                    return worker, True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TooManyRequests()
                _COND.wait(min(remaining, 1.0))
    finally:
        for w in stale:
            w.kill()


def _release(worker: Worker) -> None:
    with _COND:
        worker.busy = False
        worker.last_used = time.monotonic()
        if not worker.alive:
            pool = _POOLS.get(_pool(worker.spec), [])
            if worker in pool:
                pool.remove(worker)
        _COND.notify_all()


def invoke(spec: Spec, event: bytes, request_id: str, invoked_arn: str) -> Result:
    """Run one invocation of `spec` in a warm (or new) execution environment."""
    worker, new = _acquire(spec, time.monotonic() + max(spec.timeout, 1))
    try:
        init_error = None
        if new:
            try:
                init_error = worker.start()
            except Exception as exc:
                log.exception("could not start a Lambda execution environment")
                init_error = {"errorType": "Runtime.Unknown", "requestId": "", "stackTrace": [],
                              "errorMessage": f"The sandbox could not start the runtime: {exc}"}
        result = worker.invoke(event, request_id, invoked_arn, init_error)
        if init_error is not None:
            worker.kill()  # the next invocation runs the init phase again, as on Lambda
        return result
    finally:
        _release(worker)


def stop_function(region: str, function_name: str, account: str | None = None) -> None:
    """Stop every environment of a function (deleted, or all its versions changed)."""
    with _COND:
        workers = _POOLS.pop(_pool_of(region, function_name, account), [])
        _COND.notify_all()
    for w in workers:
        w.kill()


def retire(region: str, function_name: str, keep_key: str | None, account: str | None = None) -> None:
    """Stop idle environments of a function that no longer match its current code/configuration."""
    stale = []
    key = _pool_of(region, function_name, account)
    with _COND:
        for w in list(_POOLS.get(key, [])):
            if not w.busy and w.spec.key != keep_key:
                _POOLS[key].remove(w)
                stale.append(w)
    for w in stale:
        w.kill()


def stop_all() -> None:
    """Stop every environment (sandbox reset and shutdown): no worker process survives."""
    with _COND:
        _POOLS.clear()
        workers = list(_LIVE.values())
        _COND.notify_all()
    for w in workers:
        w.kill()


def live_pids() -> list[int]:
    """Process ids of the running execution environments (for tests and status); spares not included."""
    return [w.proc.pid for w in list(_LIVE.values()) if w.proc is not None]


def spare_pids() -> list[int]:
    with _SPARE_LOCK:
        return [p.pid for p in _SPARE_POOL]


def environments(region: str, function_name: str, account: str | None = None) -> list[dict]:
    with _COND:
        return [{"id": w.id, "pid": w.proc.pid if w.proc else None, "busy": w.busy, "key": w.spec.key,
                 "log_stream": w.log_stream} for w in _POOLS.get(_pool_of(region, function_name, account), [])]


def shutdown() -> None:
    global _STATE_DIR
    stop_all()
    _stop_spares()
    with _STATE_LOCK:
        if _STATE_DIR:
            shutil.rmtree(_STATE_DIR, ignore_errors=True)
            _STATE_DIR = None


atexit.register(shutdown)
