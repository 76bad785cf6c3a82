"""A package index and an npm registry on loopback, serving what a warm ``.lite-cache`` holds.

``braid-kernel lite build`` without ``--deps`` fetches Pyodide from an npm registry and wheels from
a PEP 691 index; tests point it at this server instead of the network.  The index lists each
cached wheel under its project (with its SHA-256), plus a newer wheel that no Pyodide can install
(a ``manylinux`` build) and a yanked one, which the resolver must skip; the npm registry offers
the cached Pyodide as a tarball packed here (with its ``integrity``) and a newer major version
outside braid's range.  ``requests`` records every path asked for.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename


@dataclass
class Registries:
    url: str
    requests: list[str] = field(default_factory=list)

    @property
    def index_url(self) -> str:
        return self.url + "simple/"


def _tarball(pyodide: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
        archive.add(pyodide, arcname="package")
    return buffer.getvalue()


@contextmanager
def serve(pyodide: Path, version: str, wheels: list[Path]) -> Iterator[Registries]:
    tarball = _tarball(pyodide)
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    files: dict[str, bytes] = {f"/files/{w.name}": w.read_bytes() for w in wheels}
    projects: dict[str, list[dict[str, object]]] = {}
    for wheel in wheels:
        name, found, _, _ = parse_wheel_filename(wheel.name)
        digest = hashlib.sha256(files[f"/files/{wheel.name}"]).hexdigest()
        url = f"../../files/{wheel.name}"
        entry: dict[str, object] = {"filename": wheel.name, "url": url, "hashes": {"sha256": digest}}
        newer = f"{str(name).replace('-', '_')}-{found.major + 1}.0-cp314-cp314-manylinux_2_17_x86_64.whl"
        yanked = f"{str(name).replace('-', '_')}-{found.major + 2}.0-py3-none-any.whl"
        projects[canonicalize_name(name)] = [
            entry,
            {"filename": newer, "url": f"../../files/{newer}", "hashes": {}},
            {"filename": yanked, "url": f"../../files/{yanked}", "hashes": {}, "yanked": "broken"},
        ]
    server_url = ""

    def packument() -> bytes:
        tgz = f"{server_url}pyodide/-/pyodide-{version}.tgz"
        versions = {
            version: {"dist": {"tarball": tgz, "integrity": integrity}},
            "999.0.0": {"dist": {"tarball": f"{server_url}nothing.tgz", "integrity": "sha512-x"}},
        }
        return json.dumps({"name": "pyodide", "versions": versions}).encode()

    registries = Registries("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            registries.requests.append(self.path)
            body: bytes | None = None
            kind = "application/octet-stream"
            if self.path == "/pyodide":
                body, kind = packument(), "application/vnd.npm.install-v1+json"
            elif self.path == f"/pyodide/-/pyodide-{version}.tgz":
                body = tarball
            elif self.path.startswith("/simple/"):
                project = projects.get(self.path.removeprefix("/simple/").strip("/"))
                if project is not None:
                    body = json.dumps({"meta": {"api-version": "1.1"}, "files": project}).encode()
                    kind = "application/vnd.pypi.simple.v1+json"
            else:
                body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_url = f"http://127.0.0.1:{server.server_address[1]}/"
    registries.url = server_url
    thread = threading.Thread(target=server.serve_forever, name="fake-registries", daemon=True)
    thread.start()
    try:
        yield registries
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
