"""Everything braid needs to run under Pyodide, fetched once into a cache folder.

    python3 dev.py lite-deps [CACHE]     (default: .lite-cache, gitignored)

* **Pyodide** from the npm registry (``npm install pyodide@314.0``: the core runtime only, no
  micropip and no packages) in ``CACHE/npm/node_modules/pyodide``;
* **Pyodide's marker environment** (``sys_platform == "emscripten"``, Python 3.14, …), asked of
  that Pyodide itself through Node, in ``CACHE/pyodide-env.json``;
* **the braid wheel**, built from this checkout (rebuilt when ``src/``, ``pyproject.toml`` or the
  README change);
* **its dependencies as wheels Pyodide can install** (pure-Python, or built for Pyodide's ABI):
  ``pip download --platform pyemscripten_… --platform any --python-version 3.14`` resolves
  environment markers against the Python running pip, not the target (pypa/pip#6117: IPython ≥
  9.14 requires ``psutil; sys_platform != "emscripten"``, so pip would refuse every recent
  IPython), so this module resolves by itself, breadth first: each round downloads the newest
  wheel of each name still missing with ``--no-deps``, reads its ``Requires-Dist`` and keeps the
  requirements whose markers hold in Pyodide's environment; a version that an added specifier
  excludes is downloaded again.  ``CACHE/manifest.json`` lists the wheels to install, in order.

Runs in the dev venv (it needs ``packaging``); a rerun with nothing changed does no network
request.  The Node test (tests/lite) and ``braid-kernel lite build`` read the manifest.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / ".lite-cache"
PYODIDE_NPM = "pyodide@~314.0.0"
PLATFORM = "pyemscripten_2026_0_wasm32"  # Pyodide 314's ABI (pyodide-lock.json: abi_version 2026_0)
EXTRA_ROOTS = ("ipywidgets>=8.1",)  # what the site offers beyond braid's own dependencies
MAX_ROUNDS = 20

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


@dataclass(frozen=True)
class Manifest:
    """What ``CACHE/manifest.json`` records."""

    pyodide: Path  # the npm package's folder (pyodide.mjs, pyodide.asm.wasm, python_stdlib.zip)
    pyodide_version: str
    wheels: tuple[Path, ...]  # braid's wheel first, then its dependencies

    @classmethod
    def read(cls, cache: Path) -> Manifest:
        data = json.loads((cache / "manifest.json").read_text(encoding="utf-8"))
        return cls(
            cache / data["pyodide"], data["pyodide_version"], tuple(cache / name for name in data["wheels"])
        )


def say(text: str) -> None:
    print(f"[lite-deps] {text}", flush=True)


def _run(cmd: Sequence[str | Path], **kwargs: object) -> str:
    proc = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False, **kwargs
    )  # type: ignore[call-overload]
    if proc.returncode:
        raise SystemExit(f"lite-deps: {' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}")
    out: str = proc.stdout
    return out


def _digest(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------------------- Pyodide from npm
def fetch_pyodide(cache: Path) -> tuple[Path, str]:
    folder = cache / "npm" / "node_modules" / "pyodide"
    if not (folder / "package.json").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("lite-deps: npm not found (apt-get install nodejs npm)")
        say(f"npm install {PYODIDE_NPM}")
        (cache / "npm").mkdir(parents=True, exist_ok=True)
        _run([npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", cache / "npm", PYODIDE_NPM])
    version = json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"]
    return folder, str(version)


def marker_environment(cache: Path, pyodide: Path) -> dict[str, str]:
    path = cache / "pyodide-env.json"
    if not path.exists():
        node = shutil.which("node")
        if node is None:
            raise SystemExit("lite-deps: node not found (apt-get install nodejs)")
        script = (
            f"const {{ loadPyodide }} = await import({json.dumps((pyodide / 'pyodide.mjs').as_uri())});"
            "const py = await loadPyodide();"
            f"console.log(py.runPython({json.dumps(_ENV_SCRIPT)}));"
        )
        say("asking Pyodide for its marker environment")
        path.write_text(_run([node, "--input-type=module", "-e", script]).strip().splitlines()[-1], "utf-8")
    env: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return env


# ---------------------------------------------------------------------------- the braid wheel
def build_braid_wheel(cache: Path) -> Path:
    package = [p for p in ROOT.joinpath("src").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    sources = [*package, ROOT / "pyproject.toml", ROOT / "README.md"]
    stamp = _digest(sources)
    folder = cache / "braid" / stamp
    wheels = sorted(folder.glob("braid_kernel-*.whl"))
    if wheels:
        return wheels[0]
    shutil.rmtree(cache / "braid", ignore_errors=True)
    folder.mkdir(parents=True)
    say("building the braid wheel")
    isolation = ["--no-build-isolation"] if _importable("hatchling") else []
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *isolation, "-w", folder, ROOT])
    return sorted(folder.glob("braid_kernel-*.whl"))[0]


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# ---------------------------------------------------------------------------- the resolver
def requirements_of(wheel: Path, env: dict[str, str], extras: Sequence[str] = ()) -> list[Requirement]:
    """The ``Requires-Dist`` of ``wheel`` whose markers hold in ``env`` (with ``extras``)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
    wanted: list[Requirement] = []
    for line in metadata.get_all("Requires-Dist") or []:
        req = Requirement(line)
        if applies(req, env, extras):
            wanted.append(req)
    return wanted


def applies(req: Requirement, env: dict[str, str], extras: Sequence[str] = ()) -> bool:
    """Whether ``req``'s marker holds in ``env`` for one of ``extras`` (or for none)."""
    if req.marker is None:
        return True
    marker: Marker = req.marker
    return any(marker.evaluate({**env, "extra": extra}) for extra in ("", *extras))


def _download(specs: Sequence[str], folder: Path, env: dict[str, str]) -> None:
    say("pip download " + " ".join(specs))
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            PLATFORM,
            "--platform",
            "any",
            "--python-version",
            env["python_version"],
            "--implementation",
            "cp",
            "-q",
            "-d",
            folder,
            *specs,
        ]
    )


def _newest(folder: Path, name: str, spec: SpecifierSet) -> Path | None:
    found: list[tuple[Version, Path]] = []
    for wheel in folder.glob("*.whl"):
        dist, version, _, _ = parse_wheel_filename(wheel.name)
        if dist == name and spec.contains(version, prereleases=True):
            found.append((version, wheel))
    return max(found)[1] if found else None


def resolve(roots: Sequence[Requirement], folder: Path, env: dict[str, str]) -> list[Path]:
    """Wheels for ``roots`` and everything they require in ``env``, downloaded into ``folder``;
    breadth first (see the module docstring), each name once, in the order first required."""
    specs: dict[str, SpecifierSet] = {}
    extras: dict[str, set[str]] = {}
    chosen: dict[str, Path] = {}
    pending = list(roots)
    for _ in range(MAX_ROUNDS):
        for req in pending:
            name = canonicalize_name(req.name)
            specs[name] = specs.get(name, SpecifierSet()) & req.specifier
            extras.setdefault(name, set()).update(req.extras)
        stale = [n for n in specs if n not in chosen or not _fits(chosen[n], specs[n])]
        if not stale:
            return list(chosen.values())
        missing = [n for n in stale if _newest(folder, n, specs[n]) is None]
        if missing:
            _download([f"{n}{specs[n]}" for n in missing], folder, env)
        pending = []
        for dist in stale:
            wheel = _newest(folder, dist, specs[dist])
            if wheel is None:
                raise SystemExit(f"lite-deps: no wheel of {dist}{specs[dist]} for Pyodide")
            chosen[dist] = wheel
            pending.extend(requirements_of(wheel, env, sorted(extras[dist])))
    raise SystemExit(f"lite-deps: the resolution did not settle in {MAX_ROUNDS} rounds")


def _fits(wheel: Path, spec: SpecifierSet) -> bool:
    return spec.contains(parse_wheel_filename(wheel.name)[1], prereleases=True)


# ---------------------------------------------------------------------------- all of it
def ensure(cache: Path = DEFAULT_CACHE) -> Manifest:
    """Fetch what is missing into ``cache`` and write its manifest; returns it.  Processes that
    call it at once (pytest workers) take turns."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure(cache)


def _ensure(cache: Path) -> Manifest:
    pyodide, version = fetch_pyodide(cache)
    env = marker_environment(cache, pyodide)
    braid = build_braid_wheel(cache)
    roots = [*requirements_of(braid, env), *map(Requirement, EXTRA_ROOTS)]
    key = hashlib.sha256(json.dumps([version, env, sorted(map(str, roots))]).encode()).hexdigest()[:16]
    resolved = cache / "wheels" / f"resolved-{key}.json"
    if resolved.exists():
        wheels = [cache / "wheels" / name for name in json.loads(resolved.read_text(encoding="utf-8"))]
    else:
        wheels = resolve(roots, cache / "wheels", env)
        resolved.write_text(json.dumps([w.name for w in wheels]), encoding="utf-8")
    manifest = {
        "pyodide": os.path.relpath(pyodide, cache),
        "pyodide_version": version,
        "wheels": [os.path.relpath(w, cache) for w in (braid, *wheels)],
    }
    (cache / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    say(f"Pyodide {version} and {len(wheels) + 1} wheels in {cache}")
    return Manifest.read(cache)


def main(argv: Sequence[str]) -> int:
    if len(argv) > 1:
        raise SystemExit("usage: python3 dev.py lite-deps [CACHE]")
    ensure(Path(argv[0]).resolve() if argv else DEFAULT_CACHE)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
