"""A private JupyterLab server for the end-to-end tests: started, probed, shut down, checked for leaks.

:func:`start_lab` runs ``python -m jupyterlab`` on a free loopback port with a random token and a
world of its own under one temp dir: config, data, runtime, settings and workspaces dirs, a notebook
root, and the ``braid``, ``braid-concurrent``, ``braid-react``, ``braid-react-lazy``, ``braid-cache``,
``braid-cache-react``, ``braid-concurrent-react`` and ``braid-multi`` kernelspecs installed (with the
project's own CLI) into a prefix that ``JUPYTER_PATH`` puts first, next to a link to the
repository's prebuilt JupyterLab extension (labextension/prebuilt, so the tests load the committed
build whatever the venv holds); the cache kernelspecs keep their store in the temp dir's ``cache``
folder (``--cache-dir``).  Nothing
it starts reaches the network: news, update checks and the PyPI extension manager are turned off
in the server's config, and the announcements plugin is disabled in the page config.

:meth:`JupyterLab.stop` asks the server to shut down through its REST API (which shuts down every
kernel it started), waits for it, and returns the processes that survived it: the server's
descendants, and anything whose command line names the private runtime dir (a kernel's connection
file lives there).  Survivors are killed; the caller fails the session if there were any.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

# `braid-kernel install [MODES] [OPTIONS]`
KERNELSPECS = (
    (),
    ("concurrent",),
    ("react",),
    ("react", "--lazy"),
    ("cache",),
    ("cache-react",),
    ("concurrent-react",),
    ("multi",),
)
EXTENSION = Path(__file__).resolve().parents[2] / "labextension" / "prebuilt"
STARTUP_TIMEOUT = 180.0  # a cold JupyterLab start on a busy 2-core machine can take a while
SHUTDOWN_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _install_kernelspecs(prefix: Path, cache_dir: Path) -> None:
    for modes in KERNELSPECS:
        cmd = [sys.executable, "-m", "braid_kernel", "install", *modes, "--prefix", str(prefix)]
        if any("cache" in mode for mode in modes):
            cmd += ["--cache-dir", str(cache_dir)]  # never the user's ~/.cache
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)


def _link_extension(prefix: Path) -> None:
    name = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))["name"]
    link = prefix / "share" / "jupyter" / "labextensions" / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(EXTENSION, target_is_directory=True)


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _server_config(port: int, token: str, root: Path) -> dict[str, object]:
    return {
        "ServerApp": {
            "ip": "127.0.0.1",
            "port": port,
            "port_retries": 0,
            "open_browser": False,
            "root_dir": str(root),
            "allow_remote_access": False,
            "allow_root": hasattr(os, "geteuid") and os.geteuid() == 0,  # CI containers run as root
            "terminals_enabled": False,
        },
        "IdentityProvider": {"token": token},
        "LabApp": {
            "news_url": None,
            "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
            "extension_manager": "readonly",
        },
    }


@dataclass
class JupyterLab:
    """A running ``jupyter lab`` and where its files live."""

    base: Path
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path
    descendants: set[int] = field(default_factory=set)  # every pid seen under the server

    @property
    def root(self) -> Path:
        """The notebook root: a notebook written here opens at ``url(name)``."""
        return self.base / "notebooks"

    @property
    def cache_dir(self) -> Path:
        """Where the ``braid-cache`` kernelspec keeps its store."""
        return self.base / "cache"

    @property
    def runtime_dir(self) -> Path:
        return self.base / "runtime"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, notebook: str, workspace: str) -> str:
        """The address that opens ``notebook`` alone, in a workspace of its own."""
        return f"{self.origin}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET", body: object = None, timeout: float = 10.0) -> object:
        """Call the server's REST API (``path`` under the origin, e.g. ``api/status``)."""
        data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None)
        request = urllib.request.Request(
            f"{self.origin}/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
            data=data,
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read()
        return json.loads(answer) if answer else None

    def set_settings(self, plugin: str, values: dict[str, object]) -> None:
        """Store user settings of a JupyterLab plugin; pages opened afterwards use them."""
        self.api(f"lab/api/settings/{plugin}", method="PUT", body={"raw": json.dumps(values)})

    def shutdown_kernels(self) -> None:
        """Shut down every kernel of the server (between tests: one test's kernels stop with it)."""
        self.note_descendants()
        sessions = self.api("api/sessions")
        assert isinstance(sessions, list)
        for session in sessions:
            self._delete(f"api/sessions/{session['id']}")
        kernels = self.api("api/kernels")
        assert isinstance(kernels, list)
        for kernel in kernels:
            self._delete(f"api/kernels/{kernel['id']}")

    def _delete(self, path: str) -> None:
        """DELETE ``path``; already gone is fine (sessions sharing a kernel end with its first)."""
        try:
            self.api(path, method="DELETE", timeout=30)
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise

    def log_tail(self, chars: int = 6000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    def note_descendants(self) -> None:
        """Remember the server's child processes (kernels), so a leak is found after it exits."""
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return
        self.descendants.update(child.pid for child in children)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("api/status", timeout=5)
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.25)
        raise RuntimeError(f"jupyter lab not ready after {STARTUP_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def stop(self) -> list[psutil.Process]:
        """Shut the server and its kernels down; kill and return what survived."""
        self.note_descendants()
        try:
            self.api("api/shutdown", method="POST", timeout=SHUTDOWN_TIMEOUT)
        except (OSError, urllib.error.URLError):
            self.process.terminate()  # the API is gone: SIGTERM also shuts its kernels down
        try:
            self.process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self._kill_survivors()

    def _kill_survivors(self) -> list[psutil.Process]:
        deadline = time.monotonic() + 10
        while (found := self._survivors()) and time.monotonic() < deadline:
            time.sleep(0.2)
        for proc in found:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        return found

    def _survivors(self) -> list[psutil.Process]:
        """Live processes that are ours: recorded under the server, or naming our runtime dir."""
        found = []
        marker = str(self.runtime_dir)
        for proc in psutil.process_iter(["pid", "cmdline", "create_time"]):
            try:
                if proc.pid == os.getpid() or proc.status() == psutil.STATUS_ZOMBIE:
                    continue
                cmdline = " ".join(proc.info["cmdline"] or [])
                if marker in cmdline or (proc.pid in self.descendants and "braid_kernel" in cmdline):
                    found.append(proc)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return found


def start_lab(base: Path) -> JupyterLab:
    """Start JupyterLab with everything under ``base``; return once its REST API answers."""
    dirs = {name: base / name for name in ("config", "data", "runtime", "settings", "workspaces", "ipython")}
    for path in dirs.values():
        path.mkdir(parents=True)
    (base / "notebooks").mkdir()
    prefix = base / "prefix"
    _install_kernelspecs(prefix, base / "cache")
    _link_extension(prefix)
    port, token = free_port(), secrets.token_hex(16)
    _write_json(
        dirs["config"] / "jupyter_server_config.json", _server_config(port, token, base / "notebooks")
    )
    # The frontend's announcements plugin asks to fetch news and checks for updates: turn it off.
    page_config = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
    _write_json(dirs["config"] / "labconfig" / "page_config.json", page_config)
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTER_PATH=str(prefix / "share" / "jupyter"),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
        IPYTHONDIR=str(dirs["ipython"]),
        JUPYTER_PREFER_ENV_PATH="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    env.pop("MPLBACKEND", None)  # the kernel picks matplotlib's inline backend itself
    log_path = base / "jupyter-lab.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser"],
            cwd=base / "notebooks",
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    lab = JupyterLab(base=base, port=port, token=token, process=process, log_path=log_path)
    try:
        lab.wait_ready()
    except BaseException:
        lab.stop()
        raise
    return lab
