/**
 * braid-kernel in JupyterLab 4 and Notebook 7.
 *
 * For every notebook whose kernel is braid (kernel_info `implementation: braid-kernel`):
 * each cell's reactive state under its prompt (stale, re-ran, cached, missing input, failed,
 * skipped) and whether a submitted cell waits for its turn or runs; a "Run stale" toolbar
 * button and the `braid:run-stale` command; the `braid:show-graph` command and a side panel
 * drawing the dataflow graph.  With any other kernel nothing is shown.
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, ToolbarButton } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

import { BraidConnection } from './connection';
import { GraphPanel } from './panel';

const PLUGIN_ID = 'braid-kernel-lab:plugin';

const graphIcon = new LabIcon({
  name: 'braid-kernel-lab:graph',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<rect x="9" y="2" width="6" height="5" rx="1"/><rect x="2" y="17" width="6" height="5" rx="1"/>' +
    '<rect x="16" y="17" width="6" height="5" rx="1"/>' +
    '<path d="M11.5 7h1v4h6v6h-1v-5h-11v5h-1v-6h6z"/></g></svg>'
});

namespace CommandIDs {
  export const runStale = 'braid:run-stale';
  export const showGraph = 'braid:show-graph';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Reactive cell states, run stale cells and the dataflow graph for braid kernels.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, palette: ICommandPalette | null) => {
    const connections = new WeakMap<NotebookPanel, BraidConnection>();
    const graphPanel = new GraphPanel();
    graphPanel.title.icon = graphIcon;
    app.shell.add(graphPanel, 'right', { rank: 900 });

    const current = (): BraidConnection | null => {
      const panel = tracker.currentWidget;
      return panel ? connections.get(panel) ?? null : null;
    };

    app.commands.addCommand(CommandIDs.runStale, {
      label: 'Run stale cells',
      caption: 'Run every cell a change made stale, in dependency order (braid lazy reactive mode)',
      isEnabled: () => current()?.isBraid ?? false,
      execute: () => {
        current()?.runStale();
      }
    });
    app.commands.addCommand(CommandIDs.showGraph, {
      label: 'Show dataflow graph',
      caption: 'Show the dataflow graph of the reactive cells (braid)',
      execute: () => {
        app.shell.activateById(graphPanel.id);
      }
    });
    if (palette) {
      palette.addItem({ command: CommandIDs.runStale, category: 'braid' });
      palette.addItem({ command: CommandIDs.showGraph, category: 'braid' });
    }

    tracker.widgetAdded.connect((_, panel) => {
      const connection = new BraidConnection(panel);
      connections.set(panel, connection);
      const runStale = new ToolbarButton({
        className: 'braid-RunStaleButton',
        label: 'Run stale',
        tooltip: 'Run stale cells (braid)',
        onClick: () => void app.commands.execute(CommandIDs.runStale)
      });
      const showGraph = new ToolbarButton({
        className: 'braid-ShowGraphButton',
        icon: graphIcon,
        tooltip: 'Show the dataflow graph (braid)',
        onClick: () => void app.commands.execute(CommandIDs.showGraph)
      });
      panel.toolbar.addItem('braid-run-stale', runStale);
      panel.toolbar.addItem('braid-show-graph', showGraph);
      const update = (): void => {
        // Run stale only matters in lazy reactive mode; the graph for any braid kernel.
        const graph = connection.graph;
        const lazy = graph !== null && (graph.lazy || graph.cells.some(cell => cell.state === 'stale'));
        runStale.setHidden(!connection.isBraid || !lazy);
        showGraph.setHidden(!connection.isBraid);
        app.commands.notifyCommandChanged(CommandIDs.runStale);
      };
      connection.changed.connect(update);
      update();
      panel.disposed.connect(() => connection.dispose());
      if (tracker.currentWidget === panel) {
        graphPanel.follow(connection);
      }
    });
    tracker.currentChanged.connect((_, panel) => {
      graphPanel.follow(panel ? connections.get(panel) ?? null : null);
    });
  }
};

export default plugin;
