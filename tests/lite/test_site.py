"""``braid-kernel lite build``: a static JupyterLite site whose default kernel is braid.

The site itself runs in Chromium in tests/e2e/test_lite.py; here, what the command writes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from braid_kernel.app.cli import main
from braid_kernel.app.lite.site import PLUGIN_ID
from lite import deps

pytestmark = [pytest.mark.timeout(600)]


def test_without_a_deps_folder_it_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lite", "build", str(tmp_path / "site"), "--deps", str(tmp_path / "nothing")]) == 2
    assert "python3 dev.py lite-deps" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_the_site_runs_braid_from_the_wheels_it_ships(tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js with npm is not installed (apt-get install nodejs npm): no Pyodide to ship")
    deps.ensure(deps.DEFAULT_CACHE)
    contents = tmp_path / "contents"
    contents.mkdir()
    (contents / "hello.py").write_text("print('hi')\n", encoding="utf-8")
    site = tmp_path / "site"
    argv = ["lite", "build", str(site), "--deps", str(deps.DEFAULT_CACHE), "--contents", str(contents)]
    assert main([*argv, "--modes", "react"]) == 0
    config = json.loads((site / "jupyter-lite.json").read_text(encoding="utf-8"))["jupyter-config-data"]
    assert config["defaultKernelName"] == "braid"
    settings = config["litePluginSettings"][PLUGIN_ID]
    assert settings["modes"] == "react"
    for url in (settings["workerUrl"], settings["pyodideUrl"], *settings["wheels"]):
        assert (site / url).is_file(), url
    assert Path(settings["wheels"][0]).name.startswith("braid_kernel-")
    extensions = {ext["name"] for ext in config["federated_extensions"]}
    assert extensions == {"braid-kernel-lite", "@jupyter-widgets/jupyterlab-manager"}
    assert (site / "files" / "hello.py").is_file()
