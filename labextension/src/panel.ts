/**
 * The side panel drawing the current notebook's dataflow graph as SVG: cells as boxes labelled
 * with their number in the notebook and the names they define, arrows labelled with the names
 * passed, stale cells marked, and the cells the kernel runs now (or that wait for their turn)
 * outlined.  It is drawn again whenever the graph or a cell's state changes.  Clicking a box
 * scrolls the notebook to that cell.
 */

import { NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { BraidConnection } from './connection';
import { IGraphCell, layout } from './graph';

const SVG_NS = 'http://www.w3.org/2000/svg';

export class GraphPanel extends Widget {
  constructor() {
    super();
    this.id = 'braid-dataflow-panel';
    this.addClass('braid-GraphPanel');
    this.title.caption = 'Dataflow graph (braid)';
    this._header = document.createElement('div');
    this._header.className = 'braid-GraphPanel-header';
    this._body = document.createElement('div');
    this._body.className = 'braid-GraphPanel-body';
    this.node.append(this._header, this._body);
    this.render();
  }

  /** Show the graph of `connection` (null: no notebook). */
  follow(connection: BraidConnection | null): void {
    if (connection === this._connection) {
      return;
    }
    this._connection?.changed.disconnect(this._changed, this);
    this._connection = connection;
    connection?.changed.connect(this._changed, this);
    this.render();
  }

  /** Draw again once per animation frame at most: a change can bring a message per cell. */
  private _changed(): void {
    this.update();
  }

  protected onUpdateRequest(msg: Parameters<Widget['processMessage']>[0]): void {
    super.onUpdateRequest(msg);
    this.render();
  }

  render(): void {
    const connection = this._connection;
    this._body.replaceChildren();
    if (!connection) {
      this._header.textContent = 'No notebook';
      return;
    }
    if (!connection.isBraid) {
      this._header.textContent = 'The kernel of this notebook is not braid';
      return;
    }
    const graph = connection.graph;
    if (!graph || graph.cells.length === 0) {
      this._header.textContent = 'No reactive cells yet (run cells in react mode)';
      return;
    }
    const mode = graph.lazy ? 'lazy' : 'eager';
    const stale = graph.stale.length ? `, ${graph.stale.length} not up to date` : '';
    this._header.textContent = `${graph.cells.length} cells, ${graph.edges.length} edges (${mode}${stale})`;
    this._body.append(this._draw(connection));
  }

  private _draw(connection: BraidConnection): SVGSVGElement {
    const panel = connection.panel;
    const graph = connection.graph!;
    const indexOf = new Map<string, number>();
    panel.content.widgets.forEach((cell, index) => indexOf.set(cell.model.id, index));
    const labelOf = (cell: IGraphCell): string => {
      const index = indexOf.get(cell.id);
      const number = index === undefined ? '?' : `#${index + 1}`;
      const names = cell.defines.length ? cell.defines.join(', ') : cell.mutates.join(', ');
      return names ? `${number} ${names}` : number;
    };
    const orderOf = (cell: IGraphCell): number => indexOf.get(cell.id) ?? 1e6 + cell.position;
    const placed = layout(graph, labelOf, orderOf);

    const svg = element('svg', { width: placed.width, height: placed.height, class: 'braid-Graph' });
    const defs = element('defs', {});
    const marker = element('marker', {
      id: 'braid-arrowhead',
      markerWidth: 8,
      markerHeight: 8,
      refX: 8,
      refY: 4,
      orient: 'auto'
    });
    marker.append(element('path', { d: 'M0,0 L8,4 L0,8 z', class: 'braid-Graph-arrowhead' }));
    defs.append(marker);
    svg.append(defs);
    for (const edge of placed.edges) {
      const group = element('g', { class: 'braid-Graph-edge', 'data-source': edge.source, 'data-target': edge.target });
      group.append(element('path', { d: edge.path, 'marker-end': 'url(#braid-arrowhead)' }));
      const label = element('text', { x: edge.labelX, y: edge.labelY, class: 'braid-Graph-edgeLabel' });
      label.textContent = edge.label;
      group.append(label);
      svg.append(group);
    }
    for (const node of placed.nodes) {
      const run = connection.runState(node.id);
      const group = element('g', {
        class: `braid-Graph-node braid-Graph-node-${node.state}`,
        'data-cell-id': node.id,
        'data-state': node.state,
        ...(run ? { 'data-run': run } : {})
      });
      const title = element('title', {});
      const status = [node.state === 'ok' ? '' : node.state, run ?? ''].filter(Boolean).join(', ');
      title.textContent = status ? `${node.label} (${status})` : node.label;
      group.append(title);
      group.append(element('rect', { x: node.x, y: node.y, width: node.width, height: node.height, rx: 6 }));
      const text = element('text', { x: node.x + node.width / 2, y: node.y + node.height / 2 + 4 });
      text.textContent = node.label;
      group.append(text);
      group.addEventListener('click', () => void scrollToCell(panel, node.id));
      svg.append(group);
    }
    return svg;
  }

  private _connection: BraidConnection | null = null;
  private _header: HTMLDivElement;
  private _body: HTMLDivElement;
}

function element<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, String(value));
  }
  return node;
}

/** Make the cell with id `cellId` the active cell and scroll it into view. */
export async function scrollToCell(panel: NotebookPanel, cellId: string): Promise<void> {
  const notebook = panel.content;
  const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
  if (index < 0) {
    return;
  }
  notebook.activeCellIndex = index;
  await notebook.scrollToCell(notebook.widgets[index], 'center');
}
