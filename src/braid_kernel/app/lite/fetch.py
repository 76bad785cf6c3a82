"""Downloads for a JupyterLite site: Pyodide from an npm registry, wheels from a package index.

No ``npm`` and no ``pip`` are needed: both registries speak JSON over HTTP(S).

* **npm**: the abbreviated package document (``GET {registry}/pyodide``) lists each version's
  tarball and its ``integrity`` (SHA-512); the tarball is checked and unpacked (its ``package/``
  folder) into a folder of its own.
* **index**: the JSON form of the simple repository API (PEP 691, ``GET {index}/{name}/`` with
  ``Accept: application/vnd.pypi.simple.v1+json``; PyPI, devpi and most mirrors answer it) lists a
  project's files with their SHA-256 and ``requires-python``; :meth:`Index.files` returns them and
  :meth:`Index.download` checks what it saves.

The base URLs are arguments, so a mirror (or a test's server on loopback) stands in for the public
registries.  Every failure is a :class:`~braid_kernel.errors.ConfigError` naming the URL.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from braid_kernel.errors import ConfigError

if TYPE_CHECKING:  # packaging comes with the lite extra: imported where it is used
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

NPM_REGISTRY = "https://registry.npmjs.org/"
PYPI_INDEX = "https://pypi.org/simple/"
_TIMEOUT = 60.0
_USER_AGENT = "braid-kernel-lite"


def _get(url: str, accept: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            data: bytes = response.read()
            return data
    except (urllib.error.URLError, OSError) as exc:
        raise ConfigError(f"cannot fetch {url}: {exc}") from exc


def _json(url: str, accept: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(_get(url, accept))
    except ValueError as exc:
        raise ConfigError(f"{url} did not answer JSON ({accept})") from exc
    return data


def _base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


# ---------------------------------------------------------------------------- npm
def fetch_npm_package(registry: str, name: str, wanted: SpecifierSet, into: Path) -> Path:
    """Unpack the newest release of ``name`` in ``wanted`` into ``into/<version>``; returns it.

    The tarball must match the registry's ``integrity``.  A version already unpacked there is
    not fetched again (but the registry is asked which version is the newest)."""
    from packaging.version import InvalidVersion, Version

    url = _base(registry) + urllib.parse.quote(name, safe="@")
    document = _json(url, "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8")
    releases: dict[Version, dict[str, Any]] = {}
    for text, release in (document.get("versions") or {}).items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if version in wanted:
            releases[version] = release
    if not releases:
        raise ConfigError(f"{url} offers no release of {name} in {wanted}")
    version = max(releases)
    folder = into / str(version)
    if (folder / "package.json").exists():
        return folder
    dist = releases[version].get("dist") or {}
    data = _get(dist["tarball"], "application/octet-stream")
    _check_integrity(data, str(dist.get("integrity", "")), dist["tarball"])
    into.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".unpack-", dir=into))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            archive.extractall(scratch, filter="data")
        shutil.rmtree(folder, ignore_errors=True)
        (scratch / "package").rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def _check_integrity(data: bytes, integrity: str, url: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm not in {"sha512", "sha384", "sha256"}:
        raise ConfigError(f"{url}: the registry gives no usable integrity ({integrity!r})")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")
    if actual != expected:
        raise ConfigError(f"{url}: the tarball does not match its integrity {integrity}")


# ---------------------------------------------------------------------------- package index
@dataclass(frozen=True)
class IndexFile:
    """One file a package index lists for a project."""

    filename: str
    url: str
    sha256: str
    requires_python: str
    yanked: bool


class Index:
    """A package index's JSON simple API (PEP 691) at ``url`` (e.g. ``https://pypi.org/simple/``)."""

    def __init__(self, url: str = PYPI_INDEX) -> None:
        self.url = _base(url)

    def files(self, project: str) -> list[IndexFile]:
        page = self.url + urllib.parse.quote(project) + "/"
        document = _json(page, "application/vnd.pypi.simple.v1+json")
        if "files" not in document:
            raise ConfigError(f"{page} is not a JSON simple index page (PEP 691)")
        found: list[IndexFile] = []
        for item in document["files"]:
            found.append(
                IndexFile(
                    filename=str(item["filename"]),
                    url=urllib.parse.urljoin(page, str(item["url"])),
                    sha256=str((item.get("hashes") or {}).get("sha256", "")),
                    requires_python=str(item.get("requires-python") or ""),
                    yanked=bool(item.get("yanked")),
                )
            )
        return found

    def download(self, file: IndexFile, folder: Path) -> Path:
        """Save ``file`` in ``folder`` (checked against its SHA-256 when the index gives one)."""
        data = _get(file.url, "application/octet-stream")
        if file.sha256 and hashlib.sha256(data).hexdigest() != file.sha256:
            raise ConfigError(f"{file.url} does not match its sha256 {file.sha256}")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / file.filename
        fd, scratch = tempfile.mkstemp(prefix=".download-", dir=folder)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(scratch, target)
        return target
