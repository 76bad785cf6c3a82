"""Every feature is one folder with a ``feature.py`` whose ``build`` the root calls."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
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


def _feature_imports(path: Path) -> list[str]:
    """The ``braid_kernel.features...`` modules ``path`` imports (type-only and lazy imports too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            found += [name for name in names if name.startswith("braid_kernel.features.")]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("braid_kernel.features.")]
    return found


def test_the_app_reaches_the_features_only_through_the_root() -> None:
    """Engines, shells and the main loop's host are built from what the features give
    (features/base.py): deleting a feature is deleting its folder and its line in app/root.py."""
    app = Path(root.__file__).parent
    for path in sorted(app.rglob("*.py")):
        if path.name == "root.py" and path.parent == app:
            continue
        named = [m for m in _feature_imports(path) if not m.startswith("braid_kernel.features.base")]
        assert not named, f"{path.relative_to(app.parent)} imports {named}"


def test_the_root_names_each_feature_on_one_line() -> None:
    source = Path(root.__file__).read_text(encoding="utf-8")
    imports = _feature_imports(Path(root.__file__))
    assert sorted(m for m in imports if not m.startswith("braid_kernel.features.base")) == [
        f"braid_kernel.features.{name}.feature" for name in FEATURES
    ]
    for name in FEATURES:
        uses = [line for line in source.splitlines() if f"{name}_feature" in line and "import" not in line]
        assert len(uses) == 1, f"app/root.py names features/{name} on {len(uses)} lines: {uses}"


def test_a_kernel_without_multi_mode_does_not_import_the_sessions() -> None:
    done = _build_default_kernel(
        "assert 'braid_kernel.features.multi.shell.sessions' not in sys.modules\n"
        "assert parts.shells.sessions is None\n"
        "print('ok')\n"
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_a_kernel_in_the_default_mode_does_not_import_the_feature_engines() -> None:
    """The reactive and cache engines, the GUI hosts and the other backend's loop are imported
    when first used (see tests/protocol/test_lazy_features.py for their first use)."""
    engines = (
        "braid_kernel.engine.analysis",
        "braid_kernel.features.react.engine.runner",
        "braid_kernel.features.react.engine.graph",
        "braid_kernel.features.react.engine.picture",
        "braid_kernel.features.cache.engine.cache",
        "braid_kernel.features.cache.engine.runner",
        "braid_kernel.features.cache.engine.store",
        "braid_kernel.features.gui.engine",
        "braid_kernel.features.foreign.engine.loop",
        "braid_kernel.features.distributed.engine.work",
    )
    done = _build_default_kernel(f"print(sorted(set({list(engines)!r}) & sys.modules.keys()))\n")
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def _build_default_kernel(then: str) -> subprocess.CompletedProcess[str]:
    """Run ``then`` in a fresh interpreter after ``parts = build_kernel(...)`` in the default mode."""
    code = (
        "import sys\n"
        "from braid_kernel.app.config import KernelConfig\n"
        "from braid_kernel.app.root import build_kernel\n"
        "from braid_kernel.app.shutdown import Shutdown\n"
        "from braid_kernel.transport.outbox import Outbox\n"
        "parts = build_kernel(KernelConfig(), Outbox(), shutdown=Shutdown())\n"
    ) + then
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
