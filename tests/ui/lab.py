"""Plumbing for the browser tests: a JupyterLab server, a sandbox and Chromium, each bounded and cleaned up.

- `JupyterLab`: `python -m jupyterlab` on 127.0.0.1 (free port, a token), with temporary config, runtime,
  settings and workspace folders. Its settings turn autosave off (the committed notebooks must never get
  outputs), turn the news prompt off and render every cell (no windowing), and it exposes the front end's
  application object (`window.jupyterapp`) so that the test can run JupyterLab commands.
- `Notebook`: one open notebook in the page: run cells, wait until the kernel is idle (bounded), read the
  outputs from the notebook model, scroll, take screenshots.
- `stop_process_tree`: ends a process and every process it started (kernels run in sessions of their own),
  by pid, collected from /proc.

Every wait has a bound and says what it waited for when it gives up.
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

CHROMIUM = os.environ.get("WORKSHOP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# JupyterLab user settings for the test: never save the notebooks, no news prompt, every cell in the DOM.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bounded_wait(check, what: str, timeout: float, interval: float = 0.1, max_interval: float = 1.0):
    """Call check() until it returns something truthy; raise TimeoutError naming `what` past `timeout`."""
    deadline = time.monotonic() + timeout
    delay = interval
    last = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, max_interval)


# ---------------------------------------------------------------- processes

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop_process_tree(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process (it shuts its kernels down), then SIGKILL whatever of its tree is left."""
    if proc.poll() is not None:
        return
    tree = descendants(proc.pid)
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    for pid in tree:
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def stop_strays(marker: str) -> list[int]:
    """Kill (by pid) the processes of this user whose command line mentions `marker` (a temp folder of the test)."""
    killed = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and _alive(int(entry.name)):
            try:
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
            except ProcessLookupError:
                pass
    return killed


# ---------------------------------------------------------------- JupyterLab

class JupyterLab:
    def __init__(self, root: Path, workdir: Path, env: dict, start_timeout: float = 90):
        self.root, self.workdir, self.env = root, workdir, dict(env)
        self.port = free_port()
        self.token = "uitest" + os.urandom(8).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.log = workdir / "jupyterlab.log"

    def start(self) -> JupyterLab:
        settings = self.workdir / "lab-settings"
        for rel, value in LAB_SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        env = dict(self.env)
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
            path = self.workdir / name.lower()
            path.mkdir(exist_ok=True)
            env[name] = str(path)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}"]
        self.proc = subprocess.Popen(cmd, cwd=str(self.root), env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited at start-up (status {self.proc.returncode}):\n"
                                   + self.log.read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False

        bounded_wait(up, f"jupyter lab to answer on {self.url}", self.start_timeout, interval=0.2)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process_tree(self.proc)

    def notebook_url(self, relpath: str) -> str:
        return f"{self.url}/lab/tree/{relpath}?token={self.token}&reset"


# ---------------------------------------------------------------- a notebook in the page

_STATE_JS = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) { return null; }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  for (const cell of panel.content.widgets) {
    const m = cell.model;
    const item = {type: m.type, count: m.type === 'code' ? m.executionCount : null,
                  state: m.type === 'code' ? m.executionState : null, source: m.sharedModel.getSource(),
                  errors: [], text: ''};
    if (m.type === 'code') {
      for (let i = 0; i < m.outputs.length; i++) {
        const o = m.outputs.get(i).toJSON();
        if (o.output_type === 'error') { item.errors.push(o.ename + ': ' + o.evalue); }
        if (o.text) { item.text += Array.isArray(o.text) ? o.text.join('') : o.text; }
        if (o.data) {
          for (const key of ['text/plain', 'text/markdown', 'text/html']) {
            const v = o.data[key];
            if (v) { item.text += (Array.isArray(v) ? v.join('') : v) + '\\n'; }
          }
        }
      }
    }
    cells.push(item);
  }
  return {path: panel.context.path, kernel: kernel ? kernel.status : 'none',
          busy: cells.some(c => c.state === 'running'), cells: cells};
}"""


class NotebookError(AssertionError):
    pass


class Notebook:
    """The notebook open in the page's current tab."""

    def __init__(self, page, lab: JupyterLab, relpath: str, shots: Path):
        self.page, self.lab, self.relpath, self.shots = page, lab, relpath, shots

    def open(self, timeout: float = 90) -> Notebook:
        self.page.goto(self.lab.notebook_url(self.relpath), timeout=timeout * 1000)
        bounded_wait(lambda: (s := self.state()) and s["path"] == self.relpath and s["kernel"] == "idle",
                     f"{self.relpath} to open with an idle python3 kernel", timeout, interval=0.25)
        self.page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # the notebook gets the whole width
        return self

    def state(self) -> dict | None:
        return self.page.evaluate(_STATE_JS)

    def index_of(self, needle: str, last: bool = False) -> int:
        """Index of the first (or last) cell whose source contains `needle`."""
        cells = list(enumerate(self.state()["cells"]))
        for i, cell in reversed(cells) if last else cells:
            if needle in cell["source"]:
                return i
        raise NotebookError(f"no cell of {self.relpath} contains {needle!r}")

    def command(self, name: str, args: dict | None = None) -> None:
        """Start a JupyterLab command without awaiting it (run commands resolve only when every cell is done)."""
        self.page.evaluate("([n, a]) => { window.jupyterapp.commands.execute(n, a || {}); }", [name, args])

    def select(self, index: int) -> None:
        self.page.evaluate("(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", index)

    def run(self, command: str, what: str, timeout: float, index: int | None = None) -> dict:
        """Run a notebook command (e.g. notebook:run-all-cells), then wait until no cell runs and the kernel is idle.

        Raises NotebookError with the cell's error when a cell failed.
        """
        if index is not None:
            self.select(index)
        before = {i: c["count"] for i, c in enumerate(self.state()["cells"])}
        self.command(command)
        started = time.monotonic()

        def done():
            s = self.state()
            if s is None or s["busy"] or s["kernel"] != "idle":
                return None
            changed = any(c["count"] != before.get(i) for i, c in enumerate(s["cells"]) if c["type"] == "code")
            # Idle with nothing executed yet: the command may not have reached the kernel; give it a moment.
            if not changed and time.monotonic() - started < 3:
                return None
            return s

        state = bounded_wait(done, f"{what} in {self.relpath}", timeout, interval=0.25)
        for i, cell in enumerate(state["cells"]):
            if cell["errors"]:
                self.screenshot(f"error-{Path(self.relpath).stem}")
                raise NotebookError(f"{self.relpath} cell {i} failed: {cell['errors'][0]}\n{cell['text'][-2000:]}")
        return state

    def text(self) -> str:
        return "\n".join(c["text"] for c in self.state()["cells"])

    def cell(self, index: int):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def scroll_to(self, index: int, output: bool = False) -> None:
        """Put cell `index` (or, with output=True, its output) at the top of the notebook's viewport."""
        self.page.evaluate("""([i, output]) => {
          const panel = window.jupyterapp.shell.currentWidget;
          panel.content.activeCellIndex = i;
          const cell = panel.content.widgets[i].node;
          const node = (output && cell.querySelector('.jp-Cell-outputWrapper')) || cell;
          node.scrollIntoView({block: 'start'});
        }""", [index, output])
        # Smooth scrolling and late renderers (Mermaid, widgets) may still move the cell: wait until it stays put.
        last: list = [None]

        def settled():
            top = self.page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.widgets[i]"
                                     ".node.getBoundingClientRect().top", index)
            steady, last[0] = top == last[0], top
            return steady

        bounded_wait(settled, f"cell {index} of {self.relpath} to scroll into view", 10, interval=0.1)

    def screenshot(self, name: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        """Shut the kernel down and close the tab without saving (the committed notebook stays as it is)."""
        self.page.evaluate("""async () => {
          const panel = window.jupyterapp.shell.currentWidget;
          if (panel && panel.sessionContext) { await panel.sessionContext.shutdown(); }
          if (panel) { panel.dispose(); }
        }""")


def browser_missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install -r requirements-dev.txt)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; .ci/run does it). "
                "Never `playwright install`: the tests use the system browser.")
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        return "jupyterlab is not installed (pip install -r requirements.txt)"
    return None
