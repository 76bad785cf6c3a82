// braid-kernel in JupyterLite: registers the kernel "Python (braid)" and any other braid kernels the
// site's settings list (e.g. "Python (braid: react, lazy)"), each with its modes.
//
// Each kernel is a module web worker (worker.js, shipped by braid's site builder) that runs
// Pyodide with braid installed from wheels the site serves, and braid's LiteBridge on Pyodide's
// loop.  This side relays raw protocol messages: JupyterLite's kernel service hands each client
// message to handleMessage, the worker sends back every message the kernel publishes (replies
// carry the client's session, which JupyterLite routes by).  JupyterLite's interrupt only clears
// its own queue, so the extension also sends the kernel an interrupt_request.
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { PageConfig } from '@jupyterlab/coreutils';
import { KernelMessage } from '@jupyterlab/services';
import { IServiceWorkerManager } from '@jupyterlite/apputils';
import { IKernel, IKernelClient, IKernelSpecs } from '@jupyterlite/services';
import { PromiseDelegate, UUID } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

const PLUGIN_ID = 'braid-kernel-lite:kernel';

/** One kernel the site offers: its kernelspec name, display name and braid modes ("react-lazy"). */
interface IKernelSettings {
  name: string;
  display_name: string;
  modes: string;
}

/** What the site's jupyter-lite.json gives the plugin (litePluginSettings), URLs relative to it. */
interface ISettings {
  workerUrl: string;
  pyodideUrl: string;
  wheels: string[];
  kernels: IKernelSettings[];
}

class BraidKernel implements IKernel {
  constructor(
    options: IKernel.IOptions,
    settings: ISettings,
    modes: string,
    browsingContextId: string | undefined
  ) {
    this.id = options.id;
    this.name = options.name;
    this.location = options.location;
    this._sendMessage = options.sendMessage;
    const base = PageConfig.getBaseUrl();
    const absolute = (url: string) => new URL(url, new URL(base, location.href)).href;
    this._worker = new Worker(absolute(settings.workerUrl), { type: 'module' });
    this._worker.onmessage = (event: MessageEvent) => this._onWorkerMessage(event.data);
    this._worker.postMessage({
      type: 'start',
      options: {
        pyodideUrl: absolute(settings.pyodideUrl),
        wheels: settings.wheels.map(absolute),
        modes,
        baseUrl: absolute('./'),
        browsingContextId,
        location: ''
      }
    });
  }

  readonly id: string;
  readonly name: string;
  readonly location: string;

  get ready(): Promise<void> {
    return this._ready.promise;
  }

  get disposed(): ISignal<this, void> {
    return this._disposed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  async handleMessage(msg: KernelMessage.IMessage): Promise<void> {
    await this._ready.promise;
    if (msg.header.session) {
      this._session = msg.header.session;
    }
    this._post(msg);
  }

  /** Deliver an interrupt_request to the kernel (JupyterLite only clears its own queue). */
  interrupt(): void {
    const msg = KernelMessage.createMessage({
      channel: 'control',
      msgType: 'interrupt_request',
      session: this._session || UUID.uuid4(),
      content: {}
    });
    this._post(msg);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._worker.terminate();
    this._ready.reject(new Error(`kernel ${this.id} was disposed`));
    this._ready.promise.catch(() => undefined);
    this._disposed.emit();
    Signal.clearData(this);
  }

  private _post(msg: KernelMessage.IMessage): void {
    const { buffers, ...rest } = msg;
    const views = (buffers ?? []).map((b) =>
      b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
    );
    this._worker.postMessage({ type: 'message', text: JSON.stringify(rest), buffers: views });
  }

  private _onWorkerMessage(data: { type: string; text?: string; buffers?: Uint8Array[]; error?: string }): void {
    switch (data.type) {
      case 'ready':
        this._ready.resolve();
        break;
      case 'failed':
        console.error(`braid: the kernel did not start\n${data.error}`);
        this._ready.reject(new Error(data.error));
        break;
      case 'message': {
        const msg = JSON.parse(data.text ?? '{}') as KernelMessage.IMessage;
        msg.buffers = (data.buffers ?? []).map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength));
        this._sendMessage(msg);
        break;
      }
    }
  }

  private _worker: Worker;
  private _sendMessage: IKernel.SendMessage;
  private _ready = new PromiseDelegate<void>();
  private _disposed = new Signal<this, void>(this);
  private _isDisposed = false;
  private _session = '';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The braid kernel ("Python (braid)"): braid-kernel on Pyodide in a web worker.',
  autoStart: true,
  requires: [IKernelSpecs],
  optional: [IServiceWorkerManager, IKernelClient],
  activate: (
    app: JupyterFrontEnd,
    kernelspecs: IKernelSpecs,
    serviceWorker: IServiceWorkerManager | null,
    kernelClient: IKernelClient | null
  ) => {
    const settings: ISettings | undefined = JSON.parse(PageConfig.getOption('litePluginSettings') || '{}')[
      PLUGIN_ID
    ];
    if (!settings) {
      console.warn(`braid: no ${PLUGIN_ID} settings in jupyter-lite.json: build the site with braid-kernel lite build`);
      return;
    }
    const kernels = new Map<string, BraidKernel>();
    for (const spec of settings.kernels ?? []) {
      kernelspecs.register({
        spec: {
          name: spec.name,
          display_name: spec.display_name,
          language: 'python',
          argv: [],
          resources: {}
        },
        create: async (options: IKernel.IOptions): Promise<IKernel> => {
          const kernel = new BraidKernel(options, settings, spec.modes, serviceWorker?.browsingContextId);
          kernels.set(kernel.id, kernel);
          kernel.disposed.connect(() => kernels.delete(kernel.id));
          return kernel;
        }
      });
    }
    if (kernelClient) {
      const clearQueue = kernelClient.interrupt.bind(kernelClient);
      kernelClient.interrupt = async (id: string): Promise<void> => {
        kernels.get(id)?.interrupt();
        await clearQueue(id);
      };
    }
  }
};

export default plugin;
