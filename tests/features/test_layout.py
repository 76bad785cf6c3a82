"""Every feature is one folder with a ``feature.py`` whose ``build`` the root calls."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import braid_kernel.features
from braid_kernel.app import root

FEATURES = sorted(info.name for info in pkgutil.iter_modules(braid_kernel.features.__path__) if info.ispkg)


def test_each_feature_has_a_build_function_returning_a_feature() -> None:
    for name in FEATURES:
        module = importlib.import_module(f"braid_kernel.features.{name}.feature")
        build = getattr(module, "build", None)
        assert callable(build), f"features/{name}/feature.py has no build()"
        assert "Feature" in str(inspect.signature(build).return_annotation), name


def test_the_root_builds_every_feature() -> None:
    source = Path(root.__file__).read_text(encoding="utf-8")
    for name in FEATURES:
        assert f"{name}_feature.build(" in source, f"app/root.py does not build features/{name}"
