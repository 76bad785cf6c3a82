"""Everything braid needs under Pyodide, fetched once into a cache folder and reused offline.

:func:`ensure` (``braid-kernel lite build`` without ``--deps``; ``python3 dev.py lite-deps``)
fills the cache (default: the user's cache folder, ``~/.cache/braid-kernel/lite`` on Linux) with

* **Pyodide** ``~314.0`` from the npm registry (the core runtime, no micropip and no packages),
  unpacked into ``pyodide/<version>/`` (:mod:`.fetch`: its tarball over HTTPS, no npm needed);
* **braid's wheel**, packed from the installed package (:mod:`.ownwheel`: no build, no network);
* **its dependencies as wheels Pyodide can install** (pure Python, or built for Pyodide's ABI)
  from a package index, resolved for **Pyodide's own marker environment**, which
  :func:`marker_environment` derives from the ``pyodide-lock.json`` Pyodide ships
  (``sys_platform == "emscripten"``, its Python version, …).  Resolving on the host instead would
  evaluate markers against the host (pypa/pip#6117: IPython ≥ 9.14 requires
  ``psutil; sys_platform != "emscripten"``, which has no Pyodide wheel).  The resolution is breadth
  first: each round picks the newest compatible wheel of each name still missing, reads its
  ``Requires-Dist`` and keeps the requirements whose markers hold; a choice that a later
  specifier excludes is replaced.

``manifest.json`` lists Pyodide's folder and the wheels to install, braid's first.  Once the
cache holds a Pyodide and a resolution for the same requirements, nothing is fetched: a site builds
offline (``--refresh`` asks the registries again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path
from typing import TYPE_CHECKING

from braid_kernel.app.lite.fetch import NPM_REGISTRY, PYPI_INDEX, Index, IndexFile, fetch_npm_package
from braid_kernel.app.lite.ownwheel import own_wheel
from braid_kernel.errors import ConfigError

# packaging comes with the lite extra (as jupyterlite-core): imported where it is used.
if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.tags import Tag
    from packaging.version import Version

PYODIDE = "pyodide"
PYODIDE_RANGE = ">=314.0.0,<314.1"  # the 314.0 line: one ABI (pyemscripten_2026_0)
EXTRA_ROOTS = ("ipywidgets>=8.1",)  # what the site offers beyond braid's own dependencies
MAX_ROUNDS = 20


def default_cache() -> Path:
    """``braid-kernel/lite`` in the user's cache folder (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("braid-kernel", appauthor=False)) / "lite"


@dataclass(frozen=True)
class Sources:
    """Where to fetch from: an npm registry (Pyodide) and a package index (wheels)."""

    npm_registry: str = NPM_REGISTRY
    index_url: str = PYPI_INDEX


@dataclass(frozen=True)
class Manifest:
    """What a cache's ``manifest.json`` records."""

    pyodide: Path  # the npm package's folder (pyodide.mjs, pyodide.asm.wasm, python_stdlib.zip)
    pyodide_version: str
    wheels: tuple[Path, ...]  # braid's wheel first, then its dependencies

    @classmethod
    def read(cls, cache: Path) -> Manifest:
        """The manifest of ``cache``; :class:`ConfigError` when it has none."""
        try:
            data = json.loads((cache / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"{cache} has no readable manifest.json (leave out --deps to fetch what is needed)"
            ) from exc
        wheels = tuple(cache / name for name in data["wheels"])
        return cls(cache / data["pyodide"], str(data["pyodide_version"]), wheels)


# ---------------------------------------------------------------------------- Pyodide
def marker_environment(pyodide: Path) -> dict[str, str]:
    """Pyodide's PEP 508 marker environment, from the ``info`` of its ``pyodide-lock.json``."""
    try:
        info = json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))["info"]
        python = str(info["python"])
        release = str(info["platform"]).removeprefix("emscripten_").replace("_", ".")
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{pyodide} has no usable pyodide-lock.json") from exc
    return {
        "implementation_name": "cpython",
        "implementation_version": python,
        "os_name": "posix",
        "platform_machine": str(info.get("arch", "wasm32")),
        "platform_release": release,
        "platform_system": "Emscripten",
        "platform_version": "#1",
        "python_full_version": python,
        "platform_python_implementation": "CPython",
        "python_version": ".".join(python.split(".")[:2]),
        "sys_platform": "emscripten",
    }


def wheel_tags(pyodide: Path, env: dict[str, str]) -> list[Tag]:
    """The wheel tags Pyodide installs, most specific first."""
    from packaging.tags import compatible_tags, cpython_tags

    info = json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))["info"]
    platform = f"pyemscripten_{info['abi_version']}_{info.get('arch', 'wasm32')}"
    major, minor = (int(part) for part in env["python_version"].split("."))
    return [
        *cpython_tags((major, minor), platforms=[platform]),
        *compatible_tags((major, minor), f"cp{major}{minor}", platforms=[platform]),
    ]


def _pyodide(cache: Path, sources: Sources, refresh: bool) -> Path:
    folder = cache / "pyodide"
    present = [v for v in _versions(folder) if (folder / str(v) / "pyodide.mjs").exists()]
    if present and not refresh:
        return folder / str(max(present))
    from packaging.specifiers import SpecifierSet

    return fetch_npm_package(sources.npm_registry, PYODIDE, SpecifierSet(PYODIDE_RANGE), folder)


def _versions(folder: Path) -> list[Version]:
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    wanted = SpecifierSet(PYODIDE_RANGE)
    found: list[Version] = []
    for child in folder.glob("*") if folder.is_dir() else ():
        with contextlib.suppress(InvalidVersion):
            if Version(child.name) in wanted:
                found.append(Version(child.name))
    return found


# ---------------------------------------------------------------------------- the resolver
def requirements_of(wheel: Path, env: dict[str, str], extras: Sequence[str] = ()) -> list[Requirement]:
    """The ``Requires-Dist`` of ``wheel`` whose markers hold in ``env`` (with ``extras``)."""
    from packaging.requirements import Requirement

    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
    requirements = [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]
    return [req for req in requirements if applies(req, env, extras)]


def applies(req: Requirement, env: dict[str, str], extras: Sequence[str] = ()) -> bool:
    """Whether ``req``'s marker holds in ``env`` for one of ``extras`` (or for none)."""
    if req.marker is None:
        return True
    return any(req.marker.evaluate({**env, "extra": extra}) for extra in ("", *extras))


class Resolver:
    """Picks, downloads and caches wheels for Pyodide from one index (see the module docstring)."""

    def __init__(self, index: Index, folder: Path, env: dict[str, str], tags: Sequence[Tag]) -> None:
        self._index = index
        self._folder = folder
        self._env = env
        self._rank = {tag: rank for rank, tag in enumerate(tags)}

    def resolve(self, roots: Sequence[Requirement]) -> list[Path]:
        """Wheels for ``roots`` and everything they require, each name once, in the order first
        required."""
        from packaging.specifiers import SpecifierSet
        from packaging.utils import canonicalize_name

        specs: dict[str, SpecifierSet] = {}
        extras: dict[str, set[str]] = {}
        chosen: dict[str, Path] = {}
        pending = list(roots)
        for _ in range(MAX_ROUNDS):
            for req in pending:
                name = canonicalize_name(req.name)
                specs[name] = specs.get(name, SpecifierSet()) & req.specifier
                extras.setdefault(name, set()).update(req.extras)
            stale = [n for n in specs if n not in chosen or not specs[n].contains(_version(chosen[n]), True)]
            if not stale:
                return list(chosen.values())
            pending = []
            for stale_name in stale:
                chosen[stale_name] = self._wheel(stale_name, specs[stale_name])
                pending.extend(requirements_of(chosen[stale_name], self._env, sorted(extras[stale_name])))
        raise ConfigError(f"the resolution of braid's dependencies did not settle in {MAX_ROUNDS} rounds")

    def _wheel(self, name: str, spec: SpecifierSet) -> Path:
        best = self._best(name, spec)
        target = self._folder / best.filename
        return target if target.is_file() else self._index.download(best, self._folder)

    def _best(self, name: str, spec: SpecifierSet) -> IndexFile:
        from packaging.specifiers import SpecifierSet
        from packaging.utils import parse_wheel_filename
        from packaging.version import Version

        python = Version(self._env["python_full_version"])
        candidates: list[tuple[Version, int, IndexFile]] = []
        for file in self._index.files(name):
            if file.yanked or not file.filename.endswith(".whl"):
                continue
            if file.requires_python and python not in SpecifierSet(file.requires_python):
                continue
            try:
                _, version, _, tags = parse_wheel_filename(file.filename)
            except ValueError:
                continue
            ranks = [self._rank[tag] for tag in tags if tag in self._rank]
            if ranks and spec.contains(version):
                candidates.append((version, -min(ranks), file))
        if not candidates:
            raise ConfigError(f"no wheel of {name}{spec} installs under Pyodide ({self._index.url})")
        return max(candidates, key=lambda c: (c[0], c[1]))[2]


def _version(wheel: Path) -> Version:
    from packaging.utils import parse_wheel_filename

    return parse_wheel_filename(wheel.name)[1]


# ---------------------------------------------------------------------------- all of it
@contextlib.contextmanager
def _locked(cache: Path) -> Iterator[None]:
    """Processes filling one cache at once (pytest workers, two builds) take turns."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("w") as lock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            yield
            return
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure(cache: Path | None = None, sources: Sources = Sources(), *, refresh: bool = False) -> Manifest:
    """Fetch what is missing into ``cache`` (default :func:`default_cache`), write its manifest
    and return it.  With a warm cache nothing is fetched unless ``refresh``."""
    from packaging.requirements import Requirement

    cache = (cache or default_cache()).resolve()
    with _locked(cache):
        pyodide = _pyodide(cache, sources, refresh)
        env = marker_environment(pyodide)
        braid = own_wheel(cache / "braid")
        roots = [*requirements_of(braid, env), *map(Requirement, EXTRA_ROOTS)]
        key = hashlib.sha256(json.dumps([pyodide.name, env, sorted(map(str, roots))]).encode()).hexdigest()
        resolved = cache / "wheels" / f"resolved-{key[:16]}.json"
        names: list[str] = []
        if resolved.exists() and not refresh:
            names = json.loads(resolved.read_text(encoding="utf-8"))
        wheels = [cache / "wheels" / name for name in names]
        if not names or not all(w.is_file() for w in wheels):
            resolver = Resolver(Index(sources.index_url), cache / "wheels", env, wheel_tags(pyodide, env))
            wheels = resolver.resolve(roots)
            resolved.write_text(json.dumps([w.name for w in wheels]), encoding="utf-8")
        manifest = {
            "pyodide": os.path.relpath(pyodide, cache),
            "pyodide_version": pyodide.name,
            "wheels": [os.path.relpath(w, cache) for w in (braid, *wheels)],
        }
        (cache / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        return Manifest.read(cache)
