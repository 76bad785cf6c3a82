"""``braid-kernel lite build``: a static JupyterLite site whose default kernel is braid.

The site runs without a server and, by default, without the network: everything the kernel
loads is in it.  :func:`build_site` runs jupyterlite-core's ``jupyter lite build`` (offline: its
app ships in its wheel) with braid's JupyterLite extension (``labextension/`` beside this module,
built from ``lite/extension``) and the federated extensions of the given wheels (the widget
manager of ``jupyterlab_widgets``), then adds under ``static/``:

* ``pyodide/`` — the npm package's Pyodide (``npm install pyodide``: the core runtime, copied as
  is; ``jupyter lite build --pyodide`` expects a release tarball's layout instead);
* ``braid/worker.js`` — the kernel's web worker (``worker.js`` beside this module);
* ``braid/wheels/`` — braid's wheel and its dependencies' (pure Python, or built for Pyodide),
  which the worker installs at start, in the order given.

``jupyter-lite.json`` names braid the default kernel and gives the extension those URLs
(``litePluginSettings``).  ``python3 dev.py lite-deps`` fetches Pyodide and the wheels.
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

from braid_kernel.errors import ConfigError

PLUGIN_ID = "braid-kernel-lite:kernel"
HERE = Path(__file__).resolve().parent
EXTENSION = HERE / "labextension"
WORKER = HERE / "worker.js"
_LABEXTENSIONS = "share/jupyter/labextensions/"


def build_site(
    output: Path,
    pyodide: Path,
    wheels: Sequence[Path],
    contents: Sequence[Path] = (),
    modes: str = "",
) -> Path:
    """Build the site into ``output`` (replaced if it exists) and return it.

    ``pyodide``: the npm package's folder (with ``pyodide.mjs``); ``wheels``: braid's wheel and
    its dependencies'; ``contents``: files or folders the site offers in its file browser.
    Raises :class:`~braid_kernel.errors.ConfigError` naming what is missing.
    """
    _check(pyodide, wheels)
    output = output.resolve()
    with tempfile.TemporaryDirectory(prefix="braid-lite-") as scratch:
        lite_dir = Path(scratch)
        names = [wheel.name for wheel in wheels]
        config = {
            "jupyter-config-data": {
                "appName": "braid in JupyterLite",
                "defaultKernelName": "braid",
                "litePluginSettings": {
                    PLUGIN_ID: {
                        "workerUrl": "./static/braid/worker.js",
                        "pyodideUrl": "./static/pyodide/pyodide.mjs",
                        "wheels": [f"./static/braid/wheels/{name}" for name in names],
                        "modes": modes,
                    }
                },
            }
        }
        (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
        # (braid's own wheel also carries its JupyterLab extension, untested in JupyterLite: left out)
        widgets = [
            str(w.resolve())
            for w in wheels
            if not w.name.startswith("braid_kernel-") and _has_labextension(w)
        ]
        build_config = {
            "LiteBuildConfig": {
                "ignore_sys_prefix": True,  # only the extensions named here, not the environment's
                "federated_extensions": [str(EXTENSION), *widgets],
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
    for wheel in wheels:
        shutil.copy2(wheel, static / "braid" / "wheels" / wheel.name)
    return output


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


def read_deps(folder: Path) -> tuple[Path, list[Path]]:
    """Pyodide's folder and the wheels from the ``manifest.json`` of a ``dev.py lite-deps``
    folder; :class:`~braid_kernel.errors.ConfigError` when there is none."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{folder} has no readable manifest.json: python3 dev.py lite-deps {folder}"
        ) from exc
    return folder / manifest["pyodide"], [folder / name for name in manifest["wheels"]]
