"""The dependency graph as data (for the ``braid.dataflow`` comm) and as an SVG picture.

The picture puts each cell in a row by its depth (the longest chain of providers above it),
labels it with its key and the names it defines, and labels each arrow with the names passed.
Stale cells (waiting for a name, failed, skipped) are drawn in red.
"""

from __future__ import annotations

import contextlib
import html

from braid_kernel.errors import DataflowError
from braid_kernel.features.react.engine.graph import DataflowGraph
from braid_kernel.wire.message import JsonDict

SVG_NS = "http://www.w3.org/2000/svg"
BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 180, 44, 30, 60, 20


def graph_data(graph: DataflowGraph, states: dict[str, str]) -> JsonDict:
    """Cells, edges and stale cells (in dependency order), as the ``braid.dataflow`` comm
    sends them."""
    cells = [
        {
            "id": node.key,
            "position": node.position,
            "defines": sorted(node.names.defines),
            "reads": sorted(node.names.reads),
            "mutates": sorted(node.names.mutates),
            "state": states.get(node.key, "ok"),
        }
        for node in sorted(graph.nodes.values(), key=lambda n: n.position)
    ]
    edges = [
        {"source": e.source, "target": e.target, "names": sorted(e.names)}
        for e in sorted(graph.edges(), key=lambda e: (e.source, e.target))
    ]
    stale = [k for k, state in states.items() if state != "ok" and k in graph.nodes]
    try:
        stale = graph.order(stale)
    except DataflowError:
        stale.sort(key=lambda k: graph.nodes[k].position)
    return {"cells": cells, "edges": edges, "stale": stale}


def _depths(graph: DataflowGraph) -> dict[str, int]:
    order = sorted(graph.nodes, key=lambda k: graph.nodes[k].position)
    with contextlib.suppress(DataflowError):  # else draw what there is, in position order
        order = graph.order(order)
    depth: dict[str, int] = {}
    for key in order:
        above = [depth[p] for p in graph.providers_of(key) if p in depth and p != key]
        depth[key] = max(above, default=-1) + 1
    return depth


def graph_svg(graph: DataflowGraph, states: dict[str, str]) -> str:
    """An SVG picture of the graph (an empty note when there are no cells)."""
    if not graph.nodes:
        return f'<svg xmlns="{SVG_NS}" width="200" height="30"><text x="5" y="20">no cells yet</text></svg>'
    depth = _depths(graph)
    rows: dict[int, list[str]] = {}
    for key in sorted(depth, key=lambda k: graph.nodes[k].position):
        rows.setdefault(depth[key], []).append(key)
    place: dict[str, tuple[int, int]] = {}
    for row, keys in rows.items():
        for column, key in enumerate(keys):
            place[key] = (MARGIN + column * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y))
    width = MARGIN * 2 + max(len(keys) for keys in rows.values()) * (BOX_W + GAP_X)
    height = MARGIN * 2 + len(rows) * (BOX_H + GAP_Y)
    out = [
        f'<svg xmlns="{SVG_NS}" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
        '<defs><marker id="braid-arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>',
    ]
    for edge in graph.edges():
        if edge.source == edge.target or edge.source not in place or edge.target not in place:
            continue
        (x1, y1), (x2, y2) = place[edge.source], place[edge.target]
        ax, ay, bx, by = x1 + BOX_W // 2, y1 + BOX_H, x2 + BOX_W // 2, y2
        label = html.escape(", ".join(sorted(edge.names)))
        out.append(
            f'<line x1="{ax}" y1="{ay}" x2="{bx}" y2="{by}" stroke="#555" marker-end="url(#braid-arrow)"/>'
            f'<text x="{(ax + bx) // 2 + 4}" y="{(ay + by) // 2}" fill="#333">{label}</text>'
        )
    for key, (x, y) in place.items():
        stale = states.get(key, "ok") != "ok"
        fill, stroke = ("#fde2e2", "#c00") if stale else ("#eef4ff", "#357")
        defines = ", ".join(sorted(graph.nodes[key].names.defines)) or "(defines nothing)"
        out.append(
            f"<g><title>{html.escape(key)}</title>"
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" stroke="{stroke}"/>'
            f'<text x="{x + 8}" y="{y + 17}" font-weight="bold">{html.escape(_short(key))}</text>'
            f'<text x="{x + 8}" y="{y + 34}">{html.escape(_short(defines, 28))}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def graph_text(graph: DataflowGraph, states: dict[str, str]) -> str:
    """A plain-text listing of the graph (the picture's text/plain fallback)."""
    data = graph_data(graph, states)
    lines = [f"{len(data['cells'])} cells, {len(data['edges'])} edges"]
    for cell in data["cells"]:
        state = "" if cell["state"] == "ok" else f" [{cell['state']}]"
        lines.append(f"  {cell['id']}: defines {', '.join(cell['defines']) or '-'}{state}")
    for edge in data["edges"]:
        lines.append(f"  {edge['source']} -> {edge['target']}: {', '.join(edge['names'])}")
    return "\n".join(lines)
