"""Start, stop and find the background sandbox. State lives in a local folder.

The folder is `$SANDBOX_STATE_DIR`, or `.sandbox/` at the top of this checkout.
It holds `server.json` (URL and pid) and the server's log.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DEFAULT_PORT = 4599


def preferred_port() -> int:
    """The port a new sandbox tries first: $SANDBOX_PORT when set (0: any free port), else 4599."""
    value = os.environ.get("SANDBOX_PORT", "").strip()
    return int(value) if value else DEFAULT_PORT
START_TIMEOUT = 60.0  # a busy 2-core machine can take long to import moto
STOP_TIMEOUT = 30.0


def state_dir() -> Path:
    d = Path(os.environ.get("SANDBOX_STATE_DIR") or Path(__file__).resolve().parent.parent / ".sandbox")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _info_file() -> Path:
    return state_dir() / "server.json"


def healthy(url: str, timeout: float = 1.0, patience: float = 0.0) -> bool:
    """Whether a sandbox answers at `url`. A refused connection (nothing listens) is a no at once; a probe that
    times out (a server busy on a loaded machine) is tried again with backoff for up to `patience` seconds."""
    deadline = time.monotonic() + patience
    delay = 0.2
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_sandbox/health", timeout=timeout) as r:
                return json.load(r).get("status") == "running"
        except ValueError:
            return False
        except OSError as exc:
            reason = getattr(exc, "reason", exc)
            busy = isinstance(reason, (TimeoutError, socket.timeout)) or isinstance(exc, (TimeoutError, socket.timeout))
            if not busy or time.monotonic() + delay > deadline:
                return False
        time.sleep(delay)  # backoff between probes of a busy server, bounded by `patience`
        delay = min(delay * 2, 2.0)


def status() -> dict | None:
    """The running background sandbox's {url, pid}, or None."""
    try:
        info = json.loads(_info_file().read_text())
    except (OSError, ValueError):
        return None
    if healthy(info["url"]):
        return info
    return None


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int | None = None) -> dict:
    """Start the sandbox in the background unless it already runs; return {url, pid}."""
    info = status()
    if info is not None:
        return info
    if port is None:
        preferred = preferred_port()
        port = preferred if preferred and _port_free(preferred) else _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(state_dir() / "server.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", str(port)],
        cwd=str(Path(__file__).resolve().parent.parent),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + START_TIMEOUT
    delay = 0.05
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the sandbox exited at start-up; see {state_dir() / 'server.log'}")
        if healthy(url, timeout=0.5):
            info = {"url": url, "pid": proc.pid, "port": port, "started": time.time()}
            _info_file().write_text(json.dumps(info))
            return info
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)  # a refused loopback connection is cheap: keep probing closely
    proc.kill()
    raise RuntimeError(f"the sandbox did not answer within {START_TIMEOUT:.0f} s; see {state_dir() / 'server.log'}")


def stop() -> str:
    try:
        info = json.loads(_info_file().read_text())
    except (OSError, ValueError):
        return "sandbox is not running"
    pid = info.get("pid")
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError, TypeError):
        pass
    # Wait for the process itself to end: it saves its state on the way out.
    deadline = time.monotonic() + STOP_TIMEOUT
    delay = 0.05
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
        _info_file().unlink(missing_ok=True)
        return f"sandbox did not stop within {STOP_TIMEOUT:.0f} s and was killed (pid {pid}); its state was not saved"
    _info_file().unlink(missing_ok=True)
    return f"sandbox stopped (pid {pid})"


def _alive(pid) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, TypeError):
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited; only its parent has not collected it yet
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def reset(url: str) -> None:
    req = urllib.request.Request(f"{url}/_sandbox/reset", method="POST", data=b"{}")
    urllib.request.urlopen(req, timeout=10).read()
