/**
 * The dataflow graph as the kernel's `braid.dataflow` comm sends it, and a layered layout of it.
 *
 * The layout is deliberately simple: each cell goes in the row of its depth (the longest chain
 * of providers above it), rows are ordered by notebook position and then by one barycentre pass
 * (a cell sits under the mean of its providers), and edges are drawn as curves from the bottom of
 * the provider to the top of the reader, labelled with the names passed.
 */

/** One cell of the graph (see integrations/dataflow.py). */
export interface IGraphCell {
  id: string;
  position: number;
  defines: string[];
  reads: string[];
  mutates: string[];
  /** ok, stale, waiting, error or skipped */
  state: string;
}

export interface IGraphEdge {
  source: string;
  target: string;
  names: string[];
}

export interface IGraph {
  cells: IGraphCell[];
  edges: IGraphEdge[];
  stale: string[];
  lazy?: boolean;
}

export interface IPlacedNode {
  id: string;
  label: string;
  state: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface IPlacedEdge {
  source: string;
  target: string;
  label: string;
  path: string;
  labelX: number;
  labelY: number;
}

export interface ILayout {
  nodes: IPlacedNode[];
  edges: IPlacedEdge[];
  width: number;
  height: number;
}

const NODE_HEIGHT = 34;
const ROW_GAP = 56;
const COLUMN_GAP = 24;
const MARGIN = 16;
const CHAR_WIDTH = 7;
const MAX_LABEL = 28;

/** Whether `data` (a comm message's data) is a graph. */
export function isGraph(data: unknown): data is IGraph {
  const graph = data as IGraph;
  return (
    typeof graph === 'object' &&
    graph !== null &&
    Array.isArray(graph.cells) &&
    Array.isArray(graph.edges) &&
    Array.isArray(graph.stale)
  );
}

function shorten(text: string): string {
  return text.length <= MAX_LABEL ? text : text.slice(0, MAX_LABEL - 1) + '…';
}

/**
 * The depth of each cell: 0 for cells reading from no other cell, else one more than the
 * deepest provider.  Cells on a cycle (the kernel refuses them, but a graph may still hold one
 * while being edited) keep the depth they had when the cycle was found.
 */
export function depths(graph: IGraph): Map<string, number> {
  const ids = new Set(graph.cells.map(c => c.id));
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const id of ids) {
    preds.set(id, []);
    succs.set(id, []);
  }
  for (const edge of graph.edges) {
    if (edge.source === edge.target || !ids.has(edge.source) || !ids.has(edge.target)) {
      continue;
    }
    preds.get(edge.target)!.push(edge.source);
    succs.get(edge.source)!.push(edge.target);
  }
  const depth = new Map<string, number>();
  const waiting = new Map<string, number>();
  const ready: string[] = [];
  for (const id of ids) {
    waiting.set(id, preds.get(id)!.length);
    if (preds.get(id)!.length === 0) {
      ready.push(id);
      depth.set(id, 0);
    }
  }
  while (ready.length) {
    const id = ready.shift()!;
    for (const next of succs.get(id)!) {
      depth.set(next, Math.max(depth.get(next) ?? 0, depth.get(id)! + 1));
      waiting.set(next, waiting.get(next)! - 1);
      if (waiting.get(next) === 0) {
        ready.push(next);
      }
    }
  }
  for (const id of ids) {
    if (!depth.has(id)) {
      depth.set(id, 0);
    }
  }
  return depth;
}

/**
 * Place the cells of `graph` in rows by depth.  `labelOf` names a cell (e.g. its notebook
 * number and the names it defines); `orderOf` gives its place in the notebook (cells the
 * notebook no longer shows sort by the kernel's position).
 */
export function layout(
  graph: IGraph,
  labelOf: (cell: IGraphCell) => string,
  orderOf: (cell: IGraphCell) => number
): ILayout {
  const depth = depths(graph);
  const byId = new Map(graph.cells.map(c => [c.id, c]));
  const rows: IGraphCell[][] = [];
  for (const cell of [...graph.cells].sort((a, b) => orderOf(a) - orderOf(b))) {
    const row = depth.get(cell.id)!;
    (rows[row] = rows[row] ?? []).push(cell);
  }
  const preds = new Map<string, string[]>();
  for (const edge of graph.edges) {
    if (edge.source !== edge.target && byId.has(edge.source) && byId.has(edge.target)) {
      (preds.get(edge.target) ?? preds.set(edge.target, []).get(edge.target)!).push(edge.source);
    }
  }
  // One barycentre pass: each row ordered by the mean column of the cells it reads from.
  const column = new Map<string, number>();
  rows.forEach((row, index) => {
    if (index > 0) {
      const weight = (cell: IGraphCell): number => {
        const above = (preds.get(cell.id) ?? []).filter(p => column.has(p));
        return above.length
          ? above.reduce((sum, p) => sum + column.get(p)!, 0) / above.length
          : Number.MAX_SAFE_INTEGER;
      };
      row.sort((a, b) => weight(a) - weight(b) || orderOf(a) - orderOf(b));
    }
    row.forEach((cell, i) => column.set(cell.id, i));
  });

  const placed = new Map<string, IPlacedNode>();
  const rowWidths = rows.map(row =>
    row.reduce((sum, cell) => sum + nodeWidth(labelOf(cell)), 0) + COLUMN_GAP * Math.max(0, row.length - 1)
  );
  const width = Math.max(120, ...rowWidths) + 2 * MARGIN;
  rows.forEach((row, index) => {
    let x = MARGIN + (width - 2 * MARGIN - rowWidths[index]) / 2;
    const y = MARGIN + index * (NODE_HEIGHT + ROW_GAP);
    for (const cell of row) {
      const label = shorten(labelOf(cell));
      const w = nodeWidth(label);
      placed.set(cell.id, { id: cell.id, label, state: cell.state, x, y, width: w, height: NODE_HEIGHT });
      x += w + COLUMN_GAP;
    }
  });
  const edges: IPlacedEdge[] = [];
  const top = (id: string): number[] => [placed.get(id)?.y ?? 0, placed.get(id)?.x ?? 0];
  const sorted = [...graph.edges].sort((a, b) => {
    const [ay, ax, by, bx] = [...top(a.source), ...top(b.source)];
    const [cy, cx, dy, dx] = [...top(a.target), ...top(b.target)];
    return ay - by || ax - bx || cy - dy || cx - dx;
  });
  for (const edge of sorted) {
    const from = placed.get(edge.source);
    const to = placed.get(edge.target);
    if (!from || !to || from === to) {
      continue;
    }
    const x1 = from.x + from.width / 2;
    const y1 = from.y + from.height;
    const x2 = to.x + to.width / 2;
    const y2 = to.y;
    const bend = Math.max(20, (y2 - y1) / 2);
    edges.push({
      source: edge.source,
      target: edge.target,
      label: edge.names.join(', '),
      path: `M ${x1} ${y1} C ${x1} ${y1 + bend}, ${x2} ${y2 - bend}, ${x2} ${y2}`,
      labelX: (x1 + x2) / 2 + 4,
      labelY: (y1 + y2) / 2
    });
  }
  const height = MARGIN * 2 + Math.max(1, rows.length) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP;
  return { nodes: [...placed.values()], edges, width, height };
}

function nodeWidth(label: string): number {
  return Math.max(70, Math.min(label.length, MAX_LABEL) * CHAR_WIDTH + 20);
}
