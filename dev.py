#!/usr/bin/env python3
"""Set up a development environment and run the project's two jobs.

    python3 dev.py tour            execute examples/tour.ipynb through the kernel, print its outputs
    python3 dev.py test [ARGS...]  ruff, ruff format, mypy, import-linter, pytest, conformance suite,
                                   then, when no ARGS are given, the user install (below) and
                                   the browser tests (tests/e2e)
    python3 dev.py diff [ARGS...]  the differential test against ipykernel: ../shared/differential's
                                   corpus plus differential/h*.py, report in .diffout/report.md
    python3 dev.py install-check   install the built wheel as a user would, into a new venv, and
                                   run examples/tour.ipynb with that venv's kernel
    python3 dev.py e2e [ARGS...]   only the browser tests: JupyterLab in headless Chromium
    python3 dev.py screenshots [DIR]  run the browser tests, saving one PNG per scenario in DIR
                                   (default docs/screenshots)
    python3 dev.py lite-deps [CACHE]  fetch what braid needs under Pyodide (JupyterLite) into CACHE
                                   (default .lite-cache): Pyodide from npm, the braid wheel, its
                                   dependencies' wheels (braid_kernel/app/lite/deps.py, as
                                   `braid-kernel lite build` does); reused when unchanged
    python3 dev.py lite-extension  rebuild the JupyterLite extension (lite/extension) into
                                   src/braid_kernel/app/lite/labextension: npm ci, tsc, build
    python3 dev.py labextension    rebuild the JupyterLab extension (labextension/src) into
                                   labextension/prebuilt: npm ci, tsc, jupyter labextension build

Both commands first make sure ``.venv`` is ready: created if missing or broken,
``pip install -e '.[dev]'`` re-run whenever pyproject.toml changed (a stamp file
in .venv records what was installed), and the ``braid`` and ``braid-concurrent``
kernelspecs installed into it.  ARGS after ``test`` go to the pytest run over
tests/ (the conformance suite always runs whole).

This file needs nothing but the standard library, so it runs on a machine with
only Python >= 3.11.  The work that needs the project's dependencies runs in
the venv's interpreter (the private ``_show-notebook`` command).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".dev-stamp"
TOUR = ROOT / "examples" / "tour.ipynb"
LABEXTENSION = ROOT / "labextension"
CONFORMANCE = ROOT.parent / "shared" / "conformance"
KERNEL = "braid"
KERNELSPECS = ((), ("concurrent",))  # `braid-kernel install [MODES] --sys-prefix` for each
MIN_PYTHON = (3, 11)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# A line that sums up a tool's run ("Found 3 errors.", "12 passed in 3s", "Contracts: 2 kept, ...").
SUMMARY = re.compile(r"\b(passed|failed|Found \d+|errors? in|reformatted|Contracts:|All checks passed)")


def say(text: str) -> None:
    print(f"[dev] {text}", flush=True)


def venv_bin(name: str) -> Path:
    if sys.platform == "win32":
        return VENV / "Scripts" / f"{name}.exe"
    return VENV / "bin" / name


def script(name: str) -> str:
    """The file name of a venv's console script or interpreter ``name``."""
    return f"{name}.exe" if sys.platform == "win32" else name


def child_env(**extra: str) -> dict[str, str]:
    """The environment of every child: the venv first on PATH, its kernelspecs preferred."""
    env = dict(os.environ)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = os.pathsep.join([str(venv_bin("python").parent), env.get("PATH", "")])
    env.pop("PYTHONHOME", None)
    # A `braid` kernelspec in the user's own Jupyter dir must not shadow the one just installed.
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if sys.stdout.isatty():  # children write into a pipe; keep their colours for a terminal
        env.update(FORCE_COLOR="1", PY_COLORS="1", MYPY_FORCE_COLOR="1")
    env.update(extra)
    return env


def run(cmd: Sequence[str | Path], **kwargs: Any) -> int:
    """Run a command from the repo root without stdin; its exit code."""
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, stdin=subprocess.DEVNULL, **kwargs)


# ---------------------------------------------------------------------------- setup
def venv_python_version() -> str | None:
    """``major.minor`` of the venv's interpreter, None if it is missing or broken."""
    python = venv_bin("python")
    if not python.exists():
        return None
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def wanted_stamp(python_version: str) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return f"pyproject.toml sha256 {digest}\npython {python_version}\n"


def ensure_venv() -> None:
    """Create .venv, (re)install the project into it when stale, install the kernelspecs."""
    version = venv_python_version()
    if version is None or tuple(int(p) for p in version.split(".")) < MIN_PYTHON:
        say(f"creating {VENV.name} with {sys.executable}")
        if run([sys.executable, "-m", "venv", "--clear", VENV]) != 0:
            sys.exit("dev.py: could not create the venv (on Debian/Ubuntu: apt install python3-venv)")
        version = venv_python_version()
        if version is None:
            sys.exit(f"dev.py: {venv_bin('python')} does not run after creating the venv")
    stamp = wanted_stamp(version)
    if not STAMP.exists() or STAMP.read_text(encoding="utf-8") != stamp:
        say("installing braid-kernel[dev] into .venv (pyproject.toml changed or first run)")
        pip_install = ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", ".[dev]"]
        if run([venv_bin("python"), *pip_install], env=child_env()) != 0:
            sys.exit("dev.py: pip install -e '.[dev]' failed (see above)")
        STAMP.write_text(stamp, encoding="utf-8")
    for modes in KERNELSPECS:
        cmd = [venv_bin("braid-kernel"), "install", *modes, "--sys-prefix"]
        result = subprocess.run(
            [str(c) for c in cmd],
            cwd=ROOT,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            env=child_env(),
            check=False,
        )
        if result.returncode != 0:
            sys.exit(f"dev.py: {' '.join(map(str, cmd))} failed:\n{result.stdout}{result.stderr}")
    # Byte-compile the sources, as `pip install` does for a regular install: with the editable
    # install, a PYTHONDONTWRITEBYTECODE environment would otherwise make every kernel start
    # compile the package from source (about 40 ms).
    run(
        [venv_bin("python"), "-m", "compileall", "-q", ROOT / "src"],
        env=child_env(),
        stdout=subprocess.DEVNULL,
    )
    say("environment ready: .venv with kernelspecs braid, braid-concurrent")


# Programs some tests need from the system: (command, Debian package, what needs it).
SYSTEM_TOOLS = (
    ("Xvfb", "xvfb", "the Tk GUI-loop tests (a virtual X display)"),
    ("chromium", "chromium", "the browser tests (tests/e2e)"),
    ("node", "nodejs", "the Pyodide tests (tests/lite) and the JupyterLite site"),
    ("npm", "npm", "building the JupyterLab and JupyterLite extensions (labextension, lite-extension)"),
)
CHROMIUM = Path("/usr/bin/chromium")  # Playwright drives Debian's build; it never downloads one
SCREENSHOTS = ROOT / "docs" / "screenshots"


def ensure_system_tools() -> None:
    """Install missing SYSTEM_TOOLS with apt-get when running as root on Debian; otherwise say
    which tests will be skipped."""
    missing = [(cmd, pkg, why) for cmd, pkg, why in SYSTEM_TOOLS if shutil.which(cmd) is None]
    if not missing:
        return
    packages = [pkg for _, pkg, _ in missing]
    can_apt = (
        sys.platform.startswith("linux")
        and os.geteuid() == 0
        and Path("/etc/debian_version").exists()
        and shutil.which("apt-get") is not None
    )
    if can_apt:
        say(f"installing {' '.join(packages)} with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        quiet = {"stdout": subprocess.DEVNULL, "env": env}
        if run(["apt-get", "update", "-qq"], **quiet) == 0:
            run(["apt-get", "install", "-y", "-qq", *packages], **quiet)
    for cmd, pkg, why in missing:
        if shutil.which(cmd) is None:
            say(f"{cmd} not found (Debian package {pkg}): {why} will be skipped")


# ---------------------------------------------------------------------------- tour
def cmd_tour(args: Sequence[str]) -> int:
    if args:
        sys.exit("dev.py: tour takes no arguments")
    ensure_venv()
    say(f"executing {TOUR.relative_to(ROOT)} with kernel {KERNEL!r}")
    return run([venv_bin("python"), __file__, "_show-notebook", TOUR, KERNEL], env=child_env())


def show_notebook(path: Path, kernel: str) -> int:
    """Execute a notebook with nbclient, printing each code cell and its outputs (venv only)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]  # nbformat is not annotated
    shown = 0

    def on_cell_executed(cell: Any, cell_index: int, **_: Any) -> None:
        nonlocal shown
        for earlier in nb.cells[shown:cell_index]:  # headings of the markdown in between
            if earlier.cell_type == "markdown" and earlier.source.startswith("#"):
                print(f"\n{earlier.source.splitlines()[0]}")
        shown = cell_index + 1
        print_cell(cell, color=sys.stdout.isatty())

    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=120,
        startup_timeout=60,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=on_cell_executed,
    )
    started = time.monotonic()
    try:
        client.execute()
    except CellExecutionError as exc:
        sys.stdout.flush()
        print(f"\nFAILED: a cell of {path.name} raised {exc.ename}: {exc.evalue}", file=sys.stderr)
        return 1
    cells = sum(c.cell_type == "code" for c in nb.cells)
    print(f"\nOK: {cells} code cells of {path.name} ran in {time.monotonic() - started:.1f} s")
    return 0


def print_cell(cell: Any, color: bool) -> None:
    count = cell.get("execution_count") or " "
    lines = cell.source.splitlines() or [""]
    prompt = f"In [{count}]: "
    print(f"\n{prompt}{lines[0]}")
    for line in lines[1:]:
        print(" " * len(prompt) + line if line else "")
    for output in merge_streams(cell.outputs):
        for text in render_output(output):
            print(text if color else ANSI.sub("", text))


def merge_streams(outputs: list[Any]) -> list[Any]:
    """Join consecutive stream outputs of one stream (a ``print`` may arrive in pieces)."""
    merged: list[Any] = []
    for output in outputs:
        last = merged[-1] if merged else None
        if output["output_type"] == "stream" and last is not None and last.get("name") == output["name"]:
            merged[-1] = {**last, "text": last["text"] + output["text"]}
        else:
            merged.append(output)
    return merged


def render_output(output: Any) -> list[str]:
    """An output as terminal text: streams, text/plain, errors, and one line per other mime type."""
    kind = output["output_type"]
    if kind == "stream":
        return [output["text"].rstrip("\n")]
    if kind == "error":
        return [*output["traceback"]] or [f"{output['ename']}: {output['evalue']}"]
    texts: list[str] = []
    data = output.get("data", {})
    plain = data.get("text/plain")
    if plain is not None:
        prefix = f"Out[{output['execution_count']}]: " if kind == "execute_result" else ""
        texts.append(prefix + plain)
    for mime, value in data.items():
        if mime == "text/plain":
            continue
        if mime.startswith("image/") and mime != "image/svg+xml":
            texts.append(f"[{mime} {len(base64.b64decode(value))} bytes]")
        else:
            texts.append(f"[{mime} {len(value if isinstance(value, str) else str(value))} chars]")
    return texts


# ---------------------------------------------------------------------------- test
@dataclass
class Step:
    name: str
    cmd: list[str | Path]
    env: dict[str, str]
    skip: str = ""  # why the step does not run, if it does not


@dataclass
class Outcome:
    step: Step
    code: int
    seconds: float
    last_line: str

    @property
    def verdict(self) -> str:
        if self.step.skip:
            return "SKIP"
        return "PASS" if self.code == 0 else "FAIL"


def test_ipython_dir() -> str:
    """A fresh IPython directory for one test run: kernels started by the tests record their
    history there, not in the user's profile (whose history would also leak into history searches
    the conformance tests expect to find only their own cells in)."""
    path = tempfile.mkdtemp(prefix="braid-test-ipython-")
    atexit.register(shutil.rmtree, path, True)
    return path


def test_steps(pytest_args: Sequence[str]) -> list[Step]:
    ipython_dir = test_ipython_dir()
    python, env = venv_bin("python"), child_env(IPYTHONDIR=ipython_dir)
    conformance_env = child_env(KERNEL_NAME=KERNEL, IPYTHONDIR=ipython_dir)
    no_conformance = "" if CONFORMANCE.is_dir() else f"{CONFORMANCE} not found"
    return [
        Step("ruff check", [venv_bin("ruff"), "check", "."], env),
        Step("ruff format", [venv_bin("ruff"), "format", "--check", "."], env),
        Step("mypy", [python, "-m", "mypy"], env),
        Step("import-linter", [venv_bin("lint-imports")], env),
        Step("pytest", [python, "-m", "pytest", "-n", "2", *pytest_args], env),
        Step(
            "conformance", [python, "-m", "pytest", "-n", "2", CONFORMANCE], conformance_env, no_conformance
        ),
        install_step("pytest arguments given (`python3 dev.py install-check` runs it)" * bool(pytest_args)),
        e2e_step(
            [],
            "pytest arguments given (`python3 dev.py e2e` runs them)" * bool(pytest_args),
            IPYTHONDIR=ipython_dir,
        ),
    ]


def e2e_step(pytest_args: Sequence[str], skip: str = "", **extra_env: str) -> Step:
    """The browser tests: their own marker, one process (one JupyterLab and one Chromium)."""
    if not skip and not CHROMIUM.exists():
        skip = f"{CHROMIUM} not found (apt-get install chromium, as root on Debian dev.py does it)"
    cmd: list[str | Path] = [venv_bin("python"), "-m", "pytest", "-m", "e2e", "tests/e2e", *pytest_args]
    return Step("e2e", cmd, child_env(**extra_env), skip)


# ---------------------------------------------------------------------------- install as a user
# What examples/tour.ipynb imports beyond braid-kernel's own dependencies (its plot cell).
TOUR_NEEDS = ("matplotlib",)


def install_step(skip: str = "") -> Step:
    """The user install, run by this file in its own process (stdlib only, like a user's shell)."""
    return Step("user install", [sys.executable, Path(__file__), "_install-check"], child_env(), skip)


def cmd_install_check(args: Sequence[str]) -> int:
    if args:
        sys.exit("dev.py: install-check takes no arguments")
    ensure_venv()
    outcome = run_step(install_step())
    say(f"user install {outcome.verdict} in {outcome.seconds:.0f}s: {outcome.last_line}")
    return 1 if outcome.verdict == "FAIL" else 0


def install_check() -> int:
    """Build the wheel, install it alone into a new venv (pip takes its dependencies from the
    index; its download cache makes a rerun quick), ``pip check``, install the kernelspec with
    that venv's ``braid-kernel``, run a cell with that kernel, then add what the tour itself needs
    and run the tour.  nbclient runs from the dev venv and finds the new kernelspec through
    ``JUPYTER_PATH``; the first cell checks that the kernel runs in the new venv."""
    with tempfile.TemporaryDirectory(prefix="braid-user-install-") as tmp:
        dist, user = Path(tmp) / "dist", Path(tmp) / "venv"
        python = user_bin(user) / script("python")
        # -qq: errors only (a machine's index configuration can make pip warn on every package)
        pip: list[str | Path] = [python, "-m", "pip", "--disable-pip-version-check"]
        steps: list[tuple[str, list[str | Path]]] = [
            (
                "build the wheel",
                [venv_bin("python"), "-m", "pip", "wheel", "-qq", "--no-deps", "-w", dist, ROOT],
            ),
            ("create a new venv", [sys.executable, "-m", "venv", user]),
        ]
        for what, cmd in steps:
            if not user_command(what, cmd):
                return 1
        wheels = sorted(dist.glob("braid_kernel-*.whl"))
        if len(wheels) != 1:
            print(f"FAILED: expected one braid_kernel wheel in {dist}, found {wheels}")
            return 1
        env = user_env(user)
        steps = [
            (f"pip install {wheels[0].name} (alone)", [*pip, "install", "-qq", wheels[0]]),
            ("pip check", [*pip, "check"]),
            (
                "braid-kernel install --sys-prefix",
                [user_bin(user) / script("braid-kernel"), "install", "--sys-prefix"],
            ),
        ]
        for what, cmd in steps:
            if not user_command(what, cmd, env):
                return 1
        first = Path(tmp) / "first-cell.ipynb"
        first.write_text(json.dumps(one_cell_notebook(user)), encoding="utf-8")
        notebook: list[str | Path] = [venv_bin("python"), Path(__file__), "_show-notebook"]
        steps = [
            ("a cell on the new venv's kernel", [*notebook, first, KERNEL]),
            (f"pip install {' '.join(TOUR_NEEDS)} (the tour's plot)", [*pip, "install", "-qq", *TOUR_NEEDS]),
            (f"run {TOUR.relative_to(ROOT)}", [*notebook, TOUR, KERNEL]),
        ]
        for what, cmd in steps:
            if not user_command(what, cmd, env):
                return 1
    print("OK: the wheel installs alone, passes pip check and runs the tour")
    return 0


def user_bin(user: Path) -> Path:
    """The scripts folder of venv ``user``."""
    return user / ("Scripts" if sys.platform == "win32" else "bin")


def user_env(user: Path) -> dict[str, str]:
    """A shell with the new venv activated; jupyter_client (in the dev venv, running nbclient)
    finds kernelspecs in the new venv first."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH")}
    env.update(
        VIRTUAL_ENV=str(user),
        PATH=os.pathsep.join([str(user_bin(user)), env.get("PATH", "")]),
        JUPYTER_PATH=str(user / "share" / "jupyter"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    return env


def user_command(what: str, cmd: Sequence[str | Path], env: dict[str, str] | None = None) -> bool:
    print(f"--- {what}", flush=True)
    started = time.monotonic()
    try:
        code = run(cmd, env=env, timeout=600)
    except subprocess.TimeoutExpired:
        code = -1
    if code != 0:
        print(f"FAILED: {what} (exit {code})", flush=True)
        return False
    print(f"    {time.monotonic() - started:.1f} s", flush=True)
    return True


def one_cell_notebook(user: Path) -> dict[str, Any]:
    """A notebook whose cell fails unless the kernel runs the interpreter of venv ``user``."""
    code = (
        "import os, sys, braid_kernel\n"
        f"expected = {str(user.resolve())!r}\n"
        "assert os.path.realpath(sys.prefix) == expected, (sys.prefix, expected)\n"
        "print('kernel from', sys.prefix)"
    )
    cell: dict[str, Any] = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": []}
    cell["source"] = code
    return {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}


def cmd_e2e(pytest_args: Sequence[str]) -> int:
    ensure_venv()
    ensure_system_tools()
    outcome = run_step(e2e_step(pytest_args))
    say(f"e2e {outcome.verdict} in {outcome.seconds:.0f}s: {outcome.last_line}")
    return 1 if outcome.verdict == "FAIL" else 0


def cmd_screenshots(args: Sequence[str]) -> int:
    if len(args) > 1:
        sys.exit("dev.py: screenshots takes at most one argument, the folder")
    folder = Path(args[0]).resolve() if args else SCREENSHOTS
    ensure_venv()
    ensure_system_tools()
    outcome = run_step(e2e_step([], BRAID_E2E_SCREENSHOTS=str(folder)))
    if outcome.verdict == "SKIP":
        return 1
    names = ", ".join(sorted(path.name for path in folder.glob("*.png")))
    say(f"screenshots in {os.path.relpath(folder, ROOT)}: {names}")
    return 1 if outcome.verdict == "FAIL" else 0


def run_step(step: Step) -> Outcome:
    """Run one step, echoing its output live; keep its summing-up line for the summary."""
    if step.skip:
        say(f"skipping {step.name}: {step.skip}")
        return Outcome(step, 0, 0.0, step.skip)
    say(f"{step.name}: {' '.join(os.path.relpath(c, ROOT) if isinstance(c, Path) else c for c in step.cmd)}")
    started, last, summary = time.monotonic(), "", ""
    with subprocess.Popen(
        [str(c) for c in step.cmd],
        cwd=ROOT,
        env=step.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            plain = ANSI.sub("", line).strip(" =\n")
            if plain:
                last = plain
                if SUMMARY.search(plain):
                    summary = plain
    return Outcome(step, proc.returncode, time.monotonic() - started, summary or last)


def cmd_test(pytest_args: Sequence[str]) -> int:
    ensure_venv()
    ensure_system_tools()
    started = time.monotonic()
    outcomes = [run_step(step) for step in test_steps(pytest_args)]
    print("\n" + "=" * 30 + " dev.py test summary " + "=" * 30)
    for o in outcomes:
        status = "" if o.code == 0 or o.step.skip else f" (exit {o.code})"
        print(f"{o.verdict}  {o.step.name:<14} {o.seconds:6.1f}s  {o.last_line[:100]}{status}")
    failed = [o.step.name for o in outcomes if o.verdict == "FAIL"]
    total = time.monotonic() - started
    print(f"{'FAILED: ' + ', '.join(failed) if failed else 'all steps passed'} ({total:.0f}s)")
    return 1 if failed else 0


def cmd_labextension(args: Sequence[str]) -> int:
    """Rebuild labextension/prebuilt from labextension/src (committed, so that neither users nor
    CI need Node.js).  ``npm ci`` installs exactly package-lock.json's versions from the npm
    registry; the build is reproducible: rebuilding unchanged sources gives the same bytes, so
    ``git status`` afterwards shows only what the source change caused."""
    if args:
        sys.exit("dev.py: labextension takes no arguments")
    ensure_venv()
    npm, npx = shutil.which("npm"), shutil.which("npx")
    if npm is None or npx is None:
        sys.exit("dev.py: the extension's build needs Node.js >= 18 with npm (apt-get install nodejs npm)")
    env = child_env()
    steps: list[list[str | Path]] = [
        [npm, "ci", "--no-audit", "--no-fund"],
        [npx, "tsc", "--build", "--force"],
        [venv_bin("jupyter"), "labextension", "build", "."],
    ]
    for cmd in steps:
        say(" ".join(Path(c).name if isinstance(c, Path) or c in (npm, npx) else c for c in cmd))
        if subprocess.call([str(c) for c in cmd], cwd=LABEXTENSION, env=env, stdin=subprocess.DEVNULL):
            return 1
    say(f"built {os.path.relpath(LABEXTENSION / 'prebuilt', ROOT)} (commit it with the sources)")
    return 0


def cmd_lite_extension(args: Sequence[str]) -> int:
    """Rebuild braid's JupyterLite extension (lite/extension) into
    src/braid_kernel/app/lite/labextension (committed): npm ci, tsc, the @jupyter/builder build."""
    if args:
        sys.exit("dev.py: lite-extension takes no arguments")
    ensure_venv()
    npm, npx = shutil.which("npm"), shutil.which("npx")
    if npm is None or npx is None:
        sys.exit("dev.py: the extension's build needs Node.js >= 18 with npm (apt-get install nodejs npm)")
    folder = ROOT / "lite" / "extension"
    steps: list[list[str | Path]] = [
        [npm, "ci", "--no-audit", "--no-fund"],
        [npx, "tsc", "--build", "--force"],
        [venv_bin("jupyter"), "labextension", "build", "."],
    ]
    for cmd in steps:
        if subprocess.call([str(c) for c in cmd], cwd=folder, env=child_env(), stdin=subprocess.DEVNULL):
            return 1
    say("built src/braid_kernel/app/lite/labextension (commit it with the sources)")
    return 0


def cmd_lite_deps(args: Sequence[str]) -> int:
    """lite/deps.py in the venv: braid_kernel.app.lite.deps.ensure with the checkout's cache."""
    ensure_venv()
    return run([venv_bin("python"), ROOT / "lite" / "deps.py", *args], env=child_env())


# ---------------------------------------------------------------------------- main
def cmd_diff(args: Sequence[str]) -> int:
    """Run the shared differential runner with this project's sequences and verdicts added."""
    shared = ROOT.parent / "shared" / "differential"
    if not shared.is_dir():
        sys.exit(f"dev.py: {shared} not found")
    ensure_venv()
    extras = ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", ".[dev,differential]"]
    if run([venv_bin("python"), *extras], env=child_env()) != 0:
        sys.exit("dev.py: pip install -e '.[dev,differential]' failed (see above)")
    out = ROOT / ".diffout"
    with tempfile.TemporaryDirectory(prefix="braid-diff-") as tmp:
        runner = Path(tmp) / "differential"
        shutil.copytree(shared, runner, copy_function=shutil.copyfile)
        for path in [runner, *runner.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)  # the shared copy is read-only
        for corpus in sorted((ROOT / "differential").glob("h*.py")):
            shutil.copyfile(corpus, runner / "corpus" / corpus.name)
        shutil.copyfile(ROOT / "differential" / "judgements_braid.py", runner / "judgements_braid.py")
        with open(runner / "judgements.py", "a", encoding="utf-8") as verdicts:
            verdicts.write(
                "\nfrom judgements_braid import JUDGEMENTS as _BRAID\n\nJUDGEMENTS.update(_BRAID)\n"
            )
        cmd: list[str | Path] = [
            venv_bin("python"),
            runner / "run_diff.py",
            "--out",
            out,
            "--report",
            out / "report.md",
            *args,
        ]
        code = run(cmd, env=child_env())
    say(f"differential report: {os.path.relpath(out / 'report.md', ROOT)}")
    return code


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "tour": cmd_tour,
    "test": cmd_test,
    "install-check": cmd_install_check,
    "diff": cmd_diff,
    "e2e": cmd_e2e,
    "screenshots": cmd_screenshots,
    "labextension": cmd_labextension,
    "lite-deps": cmd_lite_deps,
    "lite-extension": cmd_lite_extension,
}


def main(argv: Sequence[str]) -> int:
    if sys.version_info < MIN_PYTHON:
        wanted = ".".join(map(str, MIN_PYTHON))
        sys.exit(f"dev.py: Python >= {wanted} is required, this is {sys.version.split()[0]}")
    if argv[:1] == ["_show-notebook"] and len(argv) == 3:
        return show_notebook(Path(argv[1]), argv[2])
    if argv == ["_install-check"]:
        return install_check()
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
