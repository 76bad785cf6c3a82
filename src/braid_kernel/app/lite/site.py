"""``braid-kernel lite build``: a static JupyterLite site whose default kernel is braid.

The site runs without a server and, by default, without the network: everything the kernel
loads is in it.  :func:`build_site` runs jupyterlite-core's ``jupyter lite build`` (offline: its
app ships in its wheel) with braid's JupyterLite extension (``labextension/`` beside this module,
built from ``lite/extension``), braid's JupyterLab extension ``braid-kernel-lab`` (cell states,
Run stale, the dataflow graph: installed with the package in ``share/jupyter/labextensions``) and
the federated extensions of the given wheels (the widget manager of ``jupyterlab_widgets``), then
adds under ``static/``:

* ``pyodide/`` — the npm package's Pyodide (``npm install pyodide``: the core runtime, copied as
  is; ``jupyter lite build --pyodide`` expects a release tarball's layout instead);
* ``braid/worker.js`` — the kernel's web worker (``worker.js`` beside this module);
* ``braid/wheels/`` — braid's wheel and its dependencies' (pure Python, or built for Pyodide),
  which the worker installs at start, in the order given.

``jupyter-lite.json`` gives the extension those URLs and the kernels to offer (``litePluginSettings``):
each is named as its kernelspec would be (``braid``, ``braid-react-lazy``: a notebook saved with a
braid kernelspec opens on the same modes) and runs its own modes; the first is the default kernel.
:mod:`.deps` fetches Pyodide and the wheels.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from braid_kernel.app.config import display_name, kernelspec_name
from braid_kernel.engine.modes import Mode, format_modes, parse_modes
from braid_kernel.errors import ConfigError

PLUGIN_ID = "braid-kernel-lite:kernel"
HERE = Path(__file__).resolve().parent
EXTENSION = HERE / "labextension"
WORKER = HERE / "worker.js"
LAB_EXTENSION = "braid-kernel-lab"
_LABEXTENSIONS = "share/jupyter/labextensions/"


Kernel = dict[str, str]
"""One kernel a site offers: ``name`` (its kernelspec name), ``display_name`` and ``modes``."""


def build_site(
    output: Path,
    pyodide: Path,
    wheels: Sequence[Path],
    contents: Sequence[Path] = (),
    kernels: Sequence[Kernel] = (),
) -> Path:
    """Build the site into ``output`` (replaced if it exists) and return it.

    ``pyodide``: the npm package's folder (with ``pyodide.mjs``); ``wheels``: braid's wheel and
    its dependencies'; ``contents``: files or folders the site offers in its file browser;
    ``kernels``: what :func:`offered_kernels` gives, the default kernel first (default: one plain
    ``braid`` kernel).
    Raises :class:`~braid_kernel.errors.ConfigError` naming what is missing.
    """
    _check(pyodide, wheels)
    offered = list(kernels) or offered_kernels([""])
    output = output.resolve()
    with tempfile.TemporaryDirectory(prefix="braid-lite-") as scratch:
        lite_dir = Path(scratch)
        names = [wheel.name for wheel in wheels]
        config = {
            "jupyter-config-data": {
                "appName": "braid in JupyterLite",
                "defaultKernelName": offered[0]["name"],
                "litePluginSettings": {
                    PLUGIN_ID: {
                        "workerUrl": "./static/braid/worker.js",
                        "pyodideUrl": "./static/pyodide/pyodide.mjs",
                        "wheels": [f"./static/braid/wheels/{name}" for name in names],
                        "kernels": offered,
                    }
                },
            }
        }
        (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
        # (the JupyterLab extension braid's wheel carries is taken from where it is installed)
        widgets = [
            str(w.resolve())
            for w in wheels
            if not w.name.startswith("braid_kernel-") and _has_labextension(w)
        ]
        build_config = {
            "LiteBuildConfig": {
                "ignore_sys_prefix": True,  # only the extensions named here, not the environment's
                "federated_extensions": [str(EXTENSION), str(lab_extension()), *widgets],
                "contents": [str(Path(item).resolve()) for item in contents],
                "no_sourcemaps": True,
            }
        }
        (lite_dir / "jupyter_lite_config.json").write_text(json.dumps(build_config), encoding="utf-8")
        command = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(lite_dir)]
        command += ["--output-dir", str(output)]
        proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=lite_dir)
        if proc.returncode:
            raise ConfigError(f"jupyter lite build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    static = output / "static"
    shutil.rmtree(static / "pyodide", ignore_errors=True)
    shutil.copytree(pyodide, static / "pyodide")
    (static / "braid" / "wheels").mkdir(parents=True, exist_ok=True)
    shutil.copy2(WORKER, static / "braid" / "worker.js")
    # Browsers ask for /favicon.ico whatever the page says; jupyterlite-core puts one in each app.
    if (output / "lab" / "favicon.ico").is_file():
        shutil.copy2(output / "lab" / "favicon.ico", output / "favicon.ico")
    for wheel in wheels:
        shutil.copy2(wheel, static / "braid" / "wheels" / wheel.name)
    return output


def offered_kernels(choices: Sequence[str]) -> list[Kernel]:
    """The kernels a site offers, one per distinct choice of modes (``""``, ``"react-lazy"``), in
    the order given; :class:`~braid_kernel.errors.ConfigError` for multi mode or a lone ``lazy``."""
    offered: dict[str, Kernel] = {}
    for choice in choices:
        names = [name for name in choice.lower().split("-") if name]
        lazy = "lazy" in names
        mode = parse_modes("-".join(name for name in names if name != "lazy"))
        if Mode.MULTI in mode:
            raise ConfigError("multi mode cannot run in JupyterLite: each notebook has a kernel of its own")
        if lazy and Mode.REACT not in mode:
            raise ConfigError(f"lazy applies to react mode: {choice!r}")
        name = kernelspec_name(mode, lazy=lazy)
        display = display_name(mode, lazy=lazy).replace("Python 3 (", "Python (", 1)
        text = "-".join(filter(None, [format_modes(mode), "lazy" if lazy else ""]))
        offered.setdefault(name, {"name": name, "display_name": display, "modes": text})
    return list(offered.values())


def _check(pyodide: Path, wheels: Sequence[Path]) -> None:
    if importlib.util.find_spec("jupyterlite_core") is None:
        raise ConfigError("building a site needs jupyterlite-core: pip install 'braid-kernel[lite]'")
    if not (pyodide / "pyodide.mjs").exists():
        raise ConfigError(f"{pyodide} is not the npm package's Pyodide (no pyodide.mjs): npm install pyodide")
    if not any(w.name.startswith("braid_kernel-") for w in wheels):
        raise ConfigError("no braid_kernel wheel among the wheels: the kernel would have nothing to run")
    if not (EXTENSION / "package.json").exists():
        raise ConfigError(
            f"braid's JupyterLite extension is missing ({EXTENSION}): python3 dev.py lite-extension"
        )
    missing = [str(w) for w in wheels if not w.is_file()]
    if missing:
        raise ConfigError(f"wheels not found: {', '.join(missing)}")


def _has_labextension(wheel: Path) -> bool:
    """Whether ``wheel`` installs a JupyterLab extension (jupyterlab_widgets' widget manager)."""
    with zipfile.ZipFile(wheel) as archive:
        return any(_LABEXTENSIONS in name and name.endswith("/package.json") for name in archive.namelist())


def lab_extension() -> Path:
    """The folder of braid's JupyterLab extension ``braid-kernel-lab``: a checkout's
    ``labextension/prebuilt`` (source layout), else where ``pip install`` put it."""
    from jupyter_core.paths import jupyter_path

    checkout = HERE.parents[3] / "labextension" / "prebuilt"
    candidates = [checkout, *(Path(p) / LAB_EXTENSION for p in jupyter_path("labextensions"))]
    for folder in candidates:
        if (folder / "package.json").is_file():
            return folder
    raise ConfigError(f"braid's JupyterLab extension {LAB_EXTENSION} is missing: pip install braid-kernel")
