"""braid's own wheel for Pyodide, packed from the installed package (no build, no network).

What Pyodide needs of braid is pure Python: the files of the importable ``braid_kernel`` package
and the distribution's metadata (``Requires-Dist`` with its ``sys_platform != 'emscripten'``
markers).  :func:`own_wheel` packs exactly these into ``braid_kernel-<version>-py3-none-any.whl``,
so the wheel is the code that runs here: from a regular install, or an editable one (a checkout's
``src/``).  The archive is reproducible (sorted entries, fixed dates) and named after a digest of
its contents, so an unchanged install reuses the cached file.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import tempfile
import zipfile
from pathlib import Path

import braid_kernel

DISTRIBUTION = "braid-kernel"
_DATE = (1980, 1, 1, 0, 0, 0)
_WHEEL = "Wheel-Version: 1.0\nGenerator: braid-kernel lite\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files() -> list[tuple[str, bytes]]:
    root = Path(braid_kernel.__file__).resolve().parent
    files: list[tuple[str, bytes]] = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}:
            files.append((f"braid_kernel/{path.relative_to(root).as_posix()}", path.read_bytes()))
    return files


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{name},sha256={digest},{len(data)}"


def own_wheel(folder: Path) -> Path:
    """braid's wheel under ``folder/<digest>/`` (packed when missing); returns its path."""
    dist = importlib.metadata.distribution(DISTRIBUTION)
    metadata = (dist.read_text("METADATA") or "").encode("utf-8")
    version = dist.version
    info = f"braid_kernel-{version}.dist-info"
    entries = [*_package_files(), (f"{info}/METADATA", metadata), (f"{info}/WHEEL", _WHEEL.encode())]
    digest = hashlib.sha256()
    for name, data in entries:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    target = folder / digest.hexdigest()[:16] / f"braid_kernel-{version}-py3-none-any.whl"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    record = "\n".join([*(_record_line(n, d) for n, d in entries), f"{info}/RECORD,,"]) + "\n"
    fd, scratch = tempfile.mkstemp(prefix=".wheel-", dir=target.parent)
    os.close(fd)
    with zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [*entries, (f"{info}/RECORD", record.encode())]:
            entry = zipfile.ZipInfo(name, _DATE)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    os.replace(scratch, target)
    return target
