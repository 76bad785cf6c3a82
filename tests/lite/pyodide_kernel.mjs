// braid under Pyodide in Node: the npm package's Pyodide runs the built braid wheel (no stand-ins),
// installed with its dependencies from the wheels `python3 dev.py lite-deps` fetched, and is driven
// through LiteBridge (what the JupyterLite worker uses) with raw protocol messages as JSON.
//
//   node pyodide_kernel.mjs CACHE      prints one JSON line: {"transcripts": {...}, ...}
//
// tests/lite/test_pyodide.py runs it and asserts on what each request got back.  Waiting is
// event-driven: each wait resolves when the message that proves the state arrives (60 s cap).
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const cache = process.argv[2];
const manifest = JSON.parse(fs.readFileSync(path.join(cache, "manifest.json"), "utf8"));
const { loadPyodide } = await import(pathToFileURL(path.join(cache, manifest.pyodide, "pyodide.mjs")).href);

const started = Date.now();
const py = await loadPyodide();
for (const wheel of manifest.wheels) {
  py.unpackArchive(new Uint8Array(fs.readFileSync(path.join(cache, wheel))), "wheel");
}
const result = { pyodide: manifest.pyodide_version, loadMs: Date.now() - started, kernels: {} };
const LiteBridge = py.pyimport("braid_kernel.app.lite").LiteBridge;

class Client {
  constructor(modes) {
    this.modes = modes;
    this.received = [];
    this.waiters = [];
    this.inputs = [];
    this.count = 0;
    const send = (text, buffers) => {
      buffers.destroy?.();
      this.received.push(JSON.parse(text));
      this.waiters = this.waiters.filter((w) => !w.check());
    };
    const ask = (text) => {
      const request = JSON.parse(text);
      this.inputs.push(request);
      return `typed at ${request.content.prompt}`;
    };
    this.bridge = LiteBridge.callKwargs(send, ask, { modes });
  }

  async start() {
    await this.bridge.start();
  }

  send(channel, msgType, content, { session = "client-1", metadata = {} } = {}) {
    const msgId = `${msgType}-${++this.count}`;
    const header = {
      msg_id: msgId,
      msg_type: msgType,
      session,
      username: "node",
      date: new Date().toISOString(),
      version: "5.5",
    };
    const msg = { channel, header, parent_header: {}, metadata, content };
    this.bridge.handle(JSON.stringify(msg));
    return msgId;
  }

  of(msgId) {
    return this.received.filter((m) => m.parent_header && m.parent_header.msg_id === msgId);
  }

  until(what, check) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 60000);
      const waiter = {
        check: () => {
          if (!check()) return false;
          clearTimeout(timer);
          resolve();
          return true;
        },
      };
      if (!waiter.check()) this.waiters.push(waiter);
    });
  }

  // the request's messages once its reply and its idle status arrived
  async done(msgId) {
    await this.until(`the reply and idle of ${msgId}`, () => {
      const got = this.of(msgId);
      const replied = got.some((m) => m.msg_type.endsWith("_reply"));
      const idle = got.some((m) => m.msg_type === "status" && m.content.execution_state === "idle");
      return replied && idle;
    });
    return this.of(msgId);
  }

  async execute(code, { metadata = {}, allowStdin = false, session } = {}) {
    const content = { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: allowStdin };
    return this.done(this.send("shell", "execute_request", content, { metadata, session }));
  }

  async stop() {
    await this.bridge.stop();
    this.bridge.destroy();
  }
}

async function plain(t) {
  const k = new Client("");
  await k.start();
  t.kernel_info = await k.done(k.send("shell", "kernel_info_request", {}));
  t.await_cell = await k.execute("import asyncio\nprint(1 + 1)\nawait asyncio.sleep(0.1)\n42");
  t.display = await k.execute("from IPython.display import display, HTML\ndisplay(HTML('<b>hi</b>'))");
  t.error = await k.execute("1 / 0");
  t.complete = await k.done(k.send("shell", "complete_request", { code: "import asy", cursor_pos: 10 }));
  t.incomplete = await k.done(k.send("shell", "is_complete_request", { code: "for i in range(3):" }));
  t.complete_code = await k.done(k.send("shell", "is_complete_request", { code: "x = 1" }));
  t.input = await k.execute("name = input('who? ')\nprint('hello', name)", { allowStdin: true });
  t.inputs = k.inputs;
  t.other_session = await k.execute("import sys\nsys.platform", { session: "client-2" });
  t.encoder = await k.execute("from braid_kernel.wire import jsonutil\njsonutil.ENCODER");
  t.subshell = await k.done(k.send("control", "create_subshell_request", {}));
  t.shell_command = await k.execute("!echo hi");
  // interrupt: the cell awaits 30 s; interrupt_request arrives once it runs
  const sleeper = k.send("shell", "execute_request", {
    code: "await asyncio.sleep(30)",
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
  });
  await k.until("the sleeping cell's execute_input", () => k.of(sleeper).some((m) => m.msg_type === "execute_input"));
  const interruptAt = Date.now();
  t.interrupt = await k.done(k.send("control", "interrupt_request", {}));
  t.interrupted = await k.done(sleeper);
  t.interruptMs = Date.now() - interruptAt;
  t.after_interrupt = await k.execute("'still here'");
  t.gui = await k.execute("%gui tk");
  t.debug = await k.done(k.send("control", "debug_request", { seq: 1, type: "request", command: "initialize", arguments: {} }));
  t.cache_where = await k.execute("import platformdirs\nplatformdirs.user_cache_dir('braid-kernel')");
  await k.stop();
}

async function concurrent(t) {
  const k = new Client("concurrent");
  await k.start();
  const order = [];
  const slow = k.send("shell", "execute_request", {
    code: "import asyncio\nawait asyncio.sleep(0.5)\nprint('slow')",
    silent: false, store_history: true, user_expressions: {}, allow_stdin: false,
  });
  const quick = k.send("shell", "execute_request", {
    code: "print('quick')", silent: false, store_history: true, user_expressions: {}, allow_stdin: false,
  });
  await k.until("both replies", () => {
    for (const id of [slow, quick]) {
      if (!order.includes(id) && k.of(id).some((m) => m.msg_type === "execute_reply")) order.push(id);
    }
    return order.length === 2;
  });
  t.order = order.map((id) => (id === slow ? "slow" : "quick"));
  await k.stop();
}

function multi(t) {
  try {
    new Client("multi");
    t.refused = null;
  } catch (error) {
    t.refused = String(error.message || error);
  }
}

async function react(t) {
  const k = new Client("react");
  await k.start();
  t.top = await k.execute("x = 1", { metadata: { cellId: "top" } });
  t.below = await k.execute("y = x * 10\nprint('y is', y)", { metadata: { cellId: "below" } });
  t.rerun = await k.execute("x = 2", { metadata: { cellId: "top" } });
  await k.stop();
}

async function cached(t) {
  const k = new Client("cache");
  await k.start();
  const code = "import time\ntotal = sum(range(10))\nprint('computed', total)\ntotal";
  t.first = await k.execute(code);
  t.reset = await k.execute("total = None");
  t.again = await k.execute(code);
  t.value = await k.execute("total");
  await k.stop();
}

try {
  // each transcript is recorded as it arrives: a failure leaves the ones before it to look at
  const scenarios = [["plain", plain], ["react", react], ["cache", cached], ["concurrent", concurrent], ["multi", multi]];
  for (const [name, scenario] of scenarios) {
    result.kernels[name] = {};
    await scenario(result.kernels[name]);
  }
} catch (error) {
  result.error = String(error && error.stack ? error.stack : error);
}
console.log(JSON.stringify(result));
process.exit(0);
