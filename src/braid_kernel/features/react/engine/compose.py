"""One mimebundle for all the outputs of one run of a reactive cell.

A reactive cell's outputs live in a single display (see :mod:`braid_kernel.features.react.engine.slot`),
so they must fit in one ``data``/``metadata`` pair.  One output keeps its own bundle untouched
(every renderer works: plots, HTML, widgets, JSON).  Several outputs become ``text/html`` (each
part's HTML, or its image inlined as a data URI, or its text in ``<pre>``) plus ``text/plain``
(the parts' plain text joined), which every frontend renders.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from braid_kernel.wire.message import JsonDict

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_IMAGES = ("image/png", "image/jpeg", "image/gif")


@dataclass(slots=True)
class Part:
    """One output of the run: stream text (``name`` set), a rich bundle, or an error."""

    data: JsonDict
    metadata: JsonDict
    stream: str | None = None  # "stdout"/"stderr" for stream text
    error: bool = False

    @property
    def plain(self) -> str:
        text = self.data.get("text/plain", "")
        return text if isinstance(text, str) else str(text)


def stream_part(name: str, text: str) -> Part:
    return Part({"text/plain": text}, {}, stream=name)


def error_part(content: JsonDict) -> Part:
    traceback = content.get("traceback") or [f"{content.get('ename')}: {content.get('evalue')}"]
    return Part({"text/plain": "\n".join(str(line) for line in traceback)}, {}, error=True)


def compose(parts: list[Part]) -> tuple[JsonDict, JsonDict]:
    """The ``(data, metadata)`` showing ``parts`` in order."""
    if not parts:
        return {"text/plain": ""}, {}
    if len(parts) == 1:
        return dict(parts[0].data), dict(parts[0].metadata)
    plain = "\n".join(part.plain.rstrip("\n") for part in parts)
    body = "".join(_html(part) for part in parts)
    return {"text/plain": plain, "text/html": f'<div class="braid-react-output">{body}</div>'}, {}


def _html(part: Part) -> str:
    if part.stream is not None or part.error:
        style = "background:#fdd;" if part.stream == "stderr" or part.error else ""
        text = html.escape(_ANSI.sub("", part.plain))
        return f'<pre style="margin:0;{style}">{text}</pre>'
    data = part.data
    rich = data.get("text/html")
    if isinstance(rich, str):
        return f"<div>{rich}</div>"
    for mime in _IMAGES:
        image = data.get(mime)
        if isinstance(image, str):
            return f'<div><img src="data:{mime};base64,{image.strip()}"/></div>'
    svg = data.get("image/svg+xml")
    if isinstance(svg, str):
        return f"<div>{svg}</div>"
    return f'<pre style="margin:0">{html.escape(part.plain)}</pre>'
