/**
 * One notebook's link to a braid kernel: the `braid.dataflow` comm, and what each cell shows.
 *
 * When the notebook's kernel is idle and its kernel_info says `braid-kernel`, a comm with
 * target `braid.dataflow` is opened; the kernel answers with the graph and sends it again after
 * every reactive run.  Other kernels get no comm and no marks.  Besides the graph:
 *
 * - the comm's progress messages (`{progress: {cellId: step}, change}`) say, for every cell the
 *   kernel runs reactively (the cell sent, the cells a change re-runs, the stale cells run by
 *   "Run stale"), when it waits (`queued`), runs, and how it ended: re-ran by the change
 *   (`reran`), restored from the cache (`cached`), or otherwise (`ran`, `error`, ...); `stale`
 *   in lazy mode.  `change` starts a new change: the labels of the previous one go;
 * - a cell restored from the cache outside reactive mode says so in its reply
 *   (`metadata.braid.cache == "hit"`);
 * - whether a cell sent from this page is still waiting for its turn or running: the request is
 *   sent (waiting), the kernel publishes `execute_input` when the cell starts (running), the
 *   reply ends it.  JupyterLab shows `[*]` for both.
 *
 * Each cell's state is written to its node as `data-braid-state` and `data-braid-run`
 * attributes, which the style sheet turns into a label under the prompt.
 */

import { ISessionContext } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { IGraph, isGraph } from './graph';

export const TARGET = 'braid.dataflow';
const IMPLEMENTATION = 'braid-kernel';

/** The per-cell marks, by cell id. */
export type RunState = 'waiting' | 'running';

/** What a cell shows after the last change (unless the graph says it is stale, failed...). */
export type Label = 'reran' | 'cached' | 'stale';

/** A progress message of the dataflow comm. */
interface IProgress {
  progress: Record<string, string>;
  change: boolean;
}

function isProgress(data: unknown): data is IProgress {
  const message = data as IProgress;
  return typeof message === 'object' && message !== null && typeof message.progress === 'object';
}

export class BraidConnection {
  constructor(readonly panel: NotebookPanel) {
    const context = panel.sessionContext;
    context.kernelChanged.connect(this._onKernelChanged, this);
    context.statusChanged.connect(this._onStatus, this);
    panel.content.model?.cells.changed.connect(() => this.apply(), this);
    this._watch(context.session?.kernel ?? null);
    void context.ready.then(() => this._onStatus(context, context.session?.kernel?.status ?? 'unknown'));
  }

  /** Whether the notebook's kernel is braid (known once its kernel_info arrived). */
  get isBraid(): boolean {
    return this._isBraid;
  }

  get graph(): IGraph | null {
    return this._graph;
  }

  /** Whether `cellId` waits or runs now (known from this page's requests and the kernel). */
  runState(cellId: string): RunState | undefined {
    return this._run.get(cellId);
  }

  /** Emitted when the graph, a cell's mark or the kernel's kind changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Ask the kernel to run every stale cell (in dependency order). */
  runStale(): boolean {
    if (!this._comm || this._comm.isDisposed) {
      return false;
    }
    this._comm.send({ request: 'run_stale' });
    return true;
  }

  dispose(): void {
    Signal.clearData(this);
    this._comm = null;
  }

  /** Write every cell's marks onto its node. */
  apply(): void {
    const cellStates = new Map<string, string>();
    for (const cell of this._graph?.cells ?? []) {
      if (cell.state !== 'ok') {
        cellStates.set(cell.id, cell.state);
      }
    }
    for (const [id, label] of this._labels) {
      if (!cellStates.has(id)) {
        cellStates.set(id, label);
      }
    }
    for (const cell of this.panel.content.widgets) {
      const node = cell.node;
      const state = cellStates.get(cell.model.id);
      const run = this._run.get(cell.model.id);
      setData(node, 'braidState', state);
      setData(node, 'braidRun', run);
    }
  }

  private _onKernelChanged(context: ISessionContext, change: { newValue: Kernel.IKernelConnection | null }): void {
    this._watch(change.newValue);
  }

  private _watch(kernel: Kernel.IKernelConnection | null): void {
    if (kernel === this._kernel) {
      return;
    }
    this._kernel?.anyMessage.disconnect(this._onMessage, this);
    this._kernel = kernel;
    this._kernelSession = '';
    this._comm = null;
    this._isBraid = false;
    this._graph = null;
    this._requests.clear();
    this._run.clear();
    this._labels.clear();
    kernel?.anyMessage.connect(this._onMessage, this);
    this._changed.emit();
    this.apply();
  }

  private _onStatus(context: ISessionContext, status: string): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this._forget();
      return;
    }
    if (status === 'idle' && !this._comm && !this._opening) {
      void this._open();
    }
  }

  /** The kernel process is gone (restarted): its comm and graph with it. */
  private _forget(): void {
    this._comm = null;
    this._graph = null;
    this._requests.clear();
    this._run.clear();
    this._labels.clear();
    this.apply();
    this._changed.emit();
  }

  private async _open(): Promise<void> {
    const kernel = this._kernel;
    if (!kernel) {
      return;
    }
    this._opening = true;
    try {
      const info = await kernel.info;
      if (kernel !== this._kernel || info?.implementation !== IMPLEMENTATION) {
        return;
      }
      this._isBraid = true;
      const comm = kernel.createComm(TARGET);
      comm.onMsg = msg => this._onComm(msg);
      comm.onClose = () => {
        if (this._comm === comm) {
          this._comm = null;
        }
      };
      this._comm = comm;
      comm.open({});
      this._changed.emit();
    } catch (error) {
      console.warn('braid: no dataflow comm', error);
    } finally {
      this._opening = false;
    }
  }

  private _onComm(msg: KernelMessage.ICommMsgMsg): void {
    const data = msg.content.data as unknown;
    if (isGraph(data)) {
      this._graph = data;
      this.apply();
      this._changed.emit();
    } else if (isProgress(data)) {
      this._onProgress(data);
    }
  }

  /** The kernel's steps for the cells it runs reactively (see the top of this file). */
  private _onProgress(data: IProgress): void {
    if (data.change) {
      this._labels.clear();
    }
    const sent = new Set(this._requests.values());
    for (const [id, step] of Object.entries(data.progress)) {
      if (step === 'queued') {
        this._run.set(id, 'waiting');
      } else if (step === 'running') {
        this._run.set(id, 'running');
      } else if (!sent.has(id)) {
        this._run.delete(id); // a cell this page sent keeps its mark until its reply
      }
      if (step === 'reran' || step === 'cached' || step === 'stale') {
        this._labels.set(id, step);
      } else if (step !== 'queued' && step !== 'running') {
        this._labels.delete(id);
      }
    }
    this.apply();
    this._changed.emit();
  }

  private _onMessage(_: Kernel.IKernelConnection, args: Kernel.IAnyMessageArgs): void {
    const msg = args.msg;
    const type = msg.header.msg_type;
    if (args.direction === 'recv' && msg.channel === 'iopub') {
      // A restart this page did not ask for (another page, the REST API) shows only as a new
      // kernel session in the messages: open a comm on the new kernel.
      const session = msg.header.session;
      if (this._kernelSession && session && session !== this._kernelSession) {
        this._forget();
        if (!this._opening) {
          void this._open();
        }
      }
      this._kernelSession = session || this._kernelSession;
    }
    if (args.direction === 'send' && type === 'execute_request') {
      const cellId = (msg.metadata as { cellId?: string }).cellId;
      if (typeof cellId === 'string') {
        this._requests.set(msg.header.msg_id, cellId);
        this._run.set(cellId, 'waiting');
        this.apply();
      }
      return;
    }
    const parent = (msg.parent_header as { msg_id?: string }).msg_id;
    const cellId = parent === undefined ? undefined : this._requests.get(parent);
    if (cellId === undefined) {
      return;
    }
    if (type === 'execute_input') {
      this._run.set(cellId, 'running');
      this.apply();
    } else if (type === 'execute_reply') {
      this._requests.delete(parent!);
      if (this._run.get(cellId) !== undefined && ![...this._requests.values()].includes(cellId)) {
        this._run.delete(cellId);
      }
      const braid = (msg.metadata as { braid?: { cache?: unknown } }).braid;
      if (braid?.cache === 'hit') {
        this._labels.set(cellId, 'cached');
      } else if (this._labels.get(cellId) === 'cached') {
        this._labels.delete(cellId);
      }
      this.apply();
      this._changed.emit();
    }
  }

  private _kernel: Kernel.IKernelConnection | null = null;
  private _kernelSession = '';
  private _comm: Kernel.IComm | null = null;
  private _opening = false;
  private _isBraid = false;
  private _graph: IGraph | null = null;
  private _requests = new Map<string, string>(); // execute_request msg_id -> cell id
  private _run = new Map<string, RunState>();
  private _labels = new Map<string, Label>();
  private _changed = new Signal<this, void>(this);
}

function setData(node: HTMLElement, key: string, value: string | undefined): void {
  if (value === undefined) {
    delete node.dataset[key];
  } else if (node.dataset[key] !== value) {
    node.dataset[key] = value;
  }
}
