// The web worker of braid's JupyterLite kernel (a module worker, started by the lite/ extension).
//
// It loads Pyodide from the site, installs braid and its dependencies from the wheels the site
// ships (no network beyond the site), starts braid_kernel.app.lite.LiteBridge on Pyodide's event
// loop and relays raw protocol messages: {type: "message", text, buffers} both ways, `text` being
// the message as JSON.  input() is a synchronous request to JupyterLite's service worker
// (/api/stdin/kernel), which answers with the page's input_reply.
let bridge = null;
let settings = null;

function send(text, buffers) {
  const list = buffers.toJs();
  buffers.destroy();
  postMessage({ type: "message", text, buffers: list }, list.map((b) => b.buffer));
}

function ask(text) {
  if (!settings.browsingContextId) {
    throw new Error("input() needs JupyterLite's service worker, which this page does not have");
  }
  const request = new XMLHttpRequest();
  request.open("POST", new URL("api/stdin/kernel", settings.baseUrl).href, false);
  request.send(JSON.stringify({ browsingContextId: settings.browsingContextId, data: JSON.parse(text) }));
  const reply = JSON.parse(request.responseText);
  if ("error" in reply) {
    throw new Error(reply.error);
  }
  return reply.content.value;
}

async function start(options) {
  settings = options;
  const { loadPyodide } = await import(options.pyodideUrl);
  const pyodide = await loadPyodide({ indexURL: new URL(".", options.pyodideUrl).href });
  for (const url of options.wheels) {
    const response = await fetch(url);
    if (!response.ok) {
      throw new Error(`cannot fetch ${url}: ${response.status}`);
    }
    pyodide.unpackArchive(new Uint8Array(await response.arrayBuffer()), "wheel");
  }
  if (options.location) {
    pyodide.FS.mkdirTree(options.location);
    pyodide.FS.chdir(options.location);
  }
  const LiteBridge = pyodide.pyimport("braid_kernel.app.lite").LiteBridge;
  bridge = LiteBridge.callKwargs(send, ask, { modes: options.modes || "" });
  await bridge.start();
}

onmessage = async (event) => {
  const data = event.data;
  if (data.type === "start") {
    try {
      await start(data.options);
      postMessage({ type: "ready" });
    } catch (error) {
      postMessage({ type: "failed", error: String(error && error.stack ? error.stack : error) });
    }
  } else if (data.type === "message" && bridge !== null) {
    try {
      bridge.handle(data.text, data.buffers || []);
    } catch (error) {
      console.error("braid: a message the kernel could not take", error);
    }
  }
};
