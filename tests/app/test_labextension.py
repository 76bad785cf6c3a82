"""The prebuilt JupyterLab extension the wheel ships (labextension/prebuilt, committed; rebuilt
with ``python3 dev.py labextension``) is complete and is the one pyproject.toml installs."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "labextension"
PREBUILT = SOURCE / "prebuilt"


def test_prebuilt_extension_matches_its_source_package() -> None:
    source = json.loads((SOURCE / "package.json").read_text(encoding="utf-8"))
    built = json.loads((PREBUILT / "package.json").read_text(encoding="utf-8"))
    assert built["name"] == source["name"] and built["version"] == source["version"]
    assert built["dependencies"] == source["dependencies"]
    # The entry point JupyterLab loads exists and exposes the plugin and its style.
    build = built["jupyterlab"]["_build"]
    entry = (PREBUILT / build["load"]).read_text(encoding="utf-8")
    assert build["extension"] == "./extension" and build["style"] == "./style"
    assert '"./extension"' in entry and '"./style"' in entry


def test_wheel_installs_the_prebuilt_extension_under_its_name() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shared = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    name = json.loads((SOURCE / "package.json").read_text(encoding="utf-8"))["name"]
    assert shared["labextension/prebuilt"] == f"share/jupyter/labextensions/{name}"
    assert shared["labextension/install.json"] == f"share/jupyter/labextensions/{name}/install.json"


def test_prebuilt_bundle_does_not_depend_on_where_it_was_built() -> None:
    # Module ids named by relative path (labextension/rspack.config.js): the default ids hash the
    # container entry's absolute paths, and a rebuild in another checkout would differ.
    built = json.loads((PREBUILT / "package.json").read_text(encoding="utf-8"))
    entry = (PREBUILT / built["jupyterlab"]["_build"]["load"]).read_text(encoding="utf-8")
    assert f'"webpack/container/entry/{built["name"]}"' in entry
    for chunk in (PREBUILT / "static").glob("*.js"):
        assert str(SOURCE) not in chunk.read_text(encoding="utf-8"), chunk.name
