"""``braid-kernel lite build``: a static JupyterLite site whose default kernel is braid.

The site itself runs in Chromium in tests/e2e/test_lite.py; here, what the command writes, and
how it gets Pyodide and the wheels without ``--deps``: from an npm registry and a package index
(here a server on loopback with what ``python3 dev.py lite-deps`` cached: no test reaches the
network), into a cache it then builds from offline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from braid_kernel.app.cli import main
from braid_kernel.app.lite import deps as lite_deps
from braid_kernel.app.lite.site import PLUGIN_ID
from lite import deps
from tests.lite.registries import serve

pytestmark = [pytest.mark.timeout(600)]

# Pyodide's marker environment, asked of Pyodide itself (the names of PEP 508).
_ENV_SCRIPT = """
import os, platform, sys, json
impl = sys.implementation
v = impl.version
iver = f"{v.major}.{v.minor}.{v.micro}"
if v.releaselevel != "final":
    iver += v.releaselevel[0] + str(v.serial)
json.dumps({
    "implementation_name": impl.name, "implementation_version": iver, "os_name": os.name,
    "platform_machine": platform.machine(), "platform_release": platform.release(),
    "platform_system": platform.system(), "platform_version": platform.version(),
    "python_full_version": platform.python_version(), "platform_python_implementation":
    platform.python_implementation(), "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
})
"""


def test_with_an_empty_deps_folder_it_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lite", "build", str(tmp_path / "site"), "--deps", str(tmp_path / "nothing")]) == 2
    assert "no readable manifest.json" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_lazy_needs_react(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lite", "build", str(tmp_path / "site"), "--lazy"]) == 2
    assert "--lazy needs the react mode" in capsys.readouterr().err


@pytest.fixture(scope="module")
def warm() -> lite_deps.Manifest:
    """What ``python3 dev.py lite-deps`` caches in ``.lite-cache`` (fetched once per checkout)."""
    return deps.ensure(deps.DEFAULT_CACHE)


def test_the_marker_environment_is_the_one_pyodide_reports(warm: lite_deps.Manifest) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (apt-get install nodejs): no Pyodide to ask")
    script = (
        f"const {{ loadPyodide }} = await import({json.dumps((warm.pyodide / 'pyodide.mjs').as_uri())});"
        "const py = await loadPyodide();"
        f"console.log(py.runPython({json.dumps(_ENV_SCRIPT)}));"
    )
    proc = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=300, check=True
    )
    assert lite_deps.marker_environment(warm.pyodide) == json.loads(proc.stdout.strip().splitlines()[-1])


def test_without_deps_it_fetches_once_then_builds_offline(warm: lite_deps.Manifest, tmp_path: Path) -> None:
    contents = tmp_path / "contents"
    contents.mkdir()
    (contents / "hello.py").write_text("print('hi')\n", encoding="utf-8")
    cache, site = tmp_path / "cache", tmp_path / "site"
    argv = ["lite", "build", str(site), "--cache-dir", str(cache), "--contents", str(contents)]
    with serve(warm.pyodide, warm.pyodide_version, list(warm.wheels[1:])) as registries:
        sources = ["--npm-registry", registries.url, "--index-url", registries.index_url]
        assert main([*argv, *sources, "--modes", "react", "--lazy"]) == 0
        assert f"/pyodide/-/pyodide-{warm.pyodide_version}.tgz" in registries.requests
        assert "/simple/ipython/" in registries.requests
    config = json.loads((site / "jupyter-lite.json").read_text(encoding="utf-8"))["jupyter-config-data"]
    settings = config["litePluginSettings"][PLUGIN_ID]
    assert settings["kernels"] == [
        {"name": "braid-react-lazy", "display_name": "Python (braid: react, lazy)", "modes": "react-lazy"}
    ]
    assert config["defaultKernelName"] == "braid-react-lazy"
    for url in (settings["workerUrl"], settings["pyodideUrl"], *settings["wheels"]):
        assert (site / url).is_file(), url
    shipped = [Path(url).name for url in settings["wheels"]]
    assert shipped[0].startswith("braid_kernel-")
    # the same wheels the warm cache resolved (none of the fake newer or yanked ones)
    assert shipped[1:] == [w.name for w in warm.wheels[1:]]
    extensions = {ext["name"] for ext in config["federated_extensions"]}
    assert extensions == {"braid-kernel-lite", "braid-kernel-lab", "@jupyter-widgets/jupyterlab-manager"}
    assert (site / "files" / "hello.py").is_file()
    assert (site / "favicon.ico").is_file()  # what browsers ask for at the root

    # The registries are gone: a second build uses the cache only.
    shutil.rmtree(site)
    more = ["--kernel", "cache", "--kernel", "react-concurrent"]
    assert main([*argv, "--npm-registry", registries.url, "--index-url", registries.index_url, *more]) == 0
    assert (site / "static" / "braid" / "wheels" / shipped[0]).is_file()
    config = json.loads((site / "jupyter-lite.json").read_text(encoding="utf-8"))["jupyter-config-data"]
    assert config["defaultKernelName"] == "braid"
    kernels = config["litePluginSettings"][PLUGIN_ID]["kernels"]
    assert [(k["name"], k["display_name"], k["modes"]) for k in kernels] == [
        ("braid", "Python (braid)", ""),
        ("braid-cache", "Python (braid: cache)", "cache"),
        ("braid-concurrent-react", "Python (braid: concurrent, react)", "concurrent-react"),
    ]

    # --refresh asks the registries again (here the same answers).
    with serve(warm.pyodide, warm.pyodide_version, list(warm.wheels[1:])) as registries:
        sources = ["--npm-registry", registries.url, "--index-url", registries.index_url]
        assert main([*argv, *sources, "--refresh"]) == 0
        assert "/pyodide" in registries.requests and "/simple/ipython/" in registries.requests


def test_multi_mode_is_refused_before_anything_is_fetched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["lite", "build", str(tmp_path / "site"), "--cache-dir", str(tmp_path / "cache")]
    assert main([*argv, "--kernel", "multi", "--index-url", "http://127.0.0.1:9/"]) == 2
    assert "multi mode cannot run in JupyterLite" in capsys.readouterr().err
    assert not (tmp_path / "cache").exists()


def test_the_braid_wheel_is_the_installed_package(tmp_path: Path) -> None:
    import zipfile

    import braid_kernel
    from braid_kernel.app.lite.ownwheel import own_wheel

    wheel = own_wheel(tmp_path)
    assert own_wheel(tmp_path) == wheel  # unchanged install: the same file
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        init = archive.read("braid_kernel/__init__.py")
        record = archive.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
    assert init == Path(braid_kernel.__file__).read_bytes()
    assert not any("__pycache__" in name for name in names)
    assert all(line.split(",")[0] in names for line in record.splitlines())
