"""braid's own differential sequences, run beside ../shared/differential's corpus by
``python3 dev.py diff``: behaviours this project changed, compared with ipykernel cell by cell.

Loaded by the shared runner as a corpus module (it imports ``dsl`` from the shared corpus).
"""

from dsl import Exec, Seq

SEQUENCES = [
    Seq(
        "braid-unencodable-output",
        [
            "S = b'caf\\xe9'.decode('utf-8', 'surrogateescape')",
            "print(S)",
            "import sys\nprint(S, file=sys.stderr)",
            "display({'text/plain': S}, raw=True)",
            "class Named:\n    def __repr__(self):\n        return S\nNamed()",
            "raise ValueError(S)",
            "%xmode Docs",
            "try:\n    1/0\nexcept Exception as e:\n    raise ValueError('outer') from e",
            "%xmode Context",
            "display({'application/json': {'a': object()}}, raw=True)",
            "print('still alive')",
        ],
    ),
    Seq(
        "braid-patched-functions",
        [
            "import pickle, time, inspect, threading, getpass\n"
            "pickle.loads(pickle.dumps(time.sleep)) is time.sleep",
            "from concurrent.futures import ProcessPoolExecutor\n"
            "with ProcessPoolExecutor(1) as ex:\n    print(ex.submit(time.sleep, 0).result())",
            "import multiprocessing\n"
            "with multiprocessing.get_context('spawn').Pool(1) as p:\n    print(p.map(time.sleep, [0, 0]))",
            "(time.sleep.__name__, input.__name__, threading.Thread.start.__qualname__,\n"
            " str(inspect.signature(input)))",
            "from unittest import mock\nwith mock.patch('time.sleep') as m:\n    time.sleep(3)\nm.call_args",
            "time.sleep.__module__, time.sleep.__qualname__",
        ],
    ),
    Seq(
        "braid-fork-order",
        [
            "import multiprocessing as mp\nctx = mp.get_context('fork')",
            "for i in range(3):\n    print('before', i)\n"
            "    p = ctx.Process(target=print, args=('child', i))\n"
            "    p.start(); p.join()\n    print('after', i)",
            "from concurrent.futures import ProcessPoolExecutor\n"
            "def noisy(v):\n    print('worker', v)\n    return v",
            "with ProcessPoolExecutor(1, mp_context=ctx) as ex:\n"
            "    print('result', ex.submit(noisy, 1).result())",
            "with ProcessPoolExecutor(1, mp_context=mp.get_context('spawn')) as ex:\n"
            "    ex.submit(print, 'spawned worker').result()",
            Exec(
                "import threading\nt = threading.Thread(target=lambda: 1/0, name='joined-failing')\n"
                "t.start(); t.join()",
                settle=1.0,
            ),
            "print('next cell')",
        ],
    ),
    Seq(
        "braid-sigint-handler-lifetime",
        [
            "import signal\nh = lambda s, f: print('mine')\nsignal.signal(signal.SIGINT, h)\n"
            "signal.getsignal(signal.SIGINT) is h",
            "signal.getsignal(signal.SIGINT) is h",
        ],
    ),
    Seq(
        "braid-run-cell-records",
        [
            "def boom():\n    raise ValueError('boom')\nboom()",
            "x = (",
            "1 + 1",
            "h = get_ipython().history_manager\n[(k, h.exceptions[k]['ename'], h.exceptions[k]['evalue']) "
            "for k in sorted(h.exceptions)]",
        ],
    ),
    Seq(
        "braid-stream-order",
        [
            "import sys, time\nfrom IPython.display import display\n"
            "print('a', end='')\nsys.stdout.flush()\ndisplay('shown')\nprint('b')\n"
            "print('e', file=sys.stderr)\nprint('c')",
            "for i in range(5):\n    print(i)\n    time.sleep(0.1)",
            Exec("print('x', end='')\nprint('y')\ninput('prompt> ')", stdin=["typed"]),
        ],
    ),
    Seq(
        "braid-dask-async-client",
        [
            Exec(
                "from dask.distributed import Client, LocalCluster\n"
                "cluster = await LocalCluster(processes=False, n_workers=1, threads_per_worker=1,\n"
                "                             dashboard_address=None, asynchronous=True)\n"
                "client = await Client(cluster, asynchronous=True)\nclient.status",
                timeout=60,
            ),
            "await client.submit(lambda v: v + 1, 1)",
            "fut = client.submit(lambda v: v * 2, 21)\nawait fut",
            Exec("await client.close(); await cluster.close(); 'closed'", timeout=30),
        ],
        requires=["distributed"],
    ),
    Seq(
        "braid-debugger-after-debug-magic",
        [
            "def boom():\n    x = 41\n    return x / 0",
            "boom()",
            Exec("%debug", stdin=["p x", "q"], stdin_default="q"),
            Exec("import pdb\nz = 7\npdb.set_trace()\nz * 2", stdin=["p z", "c"], stdin_default="c"),
        ],
    ),
    Seq(
        "braid-interrupt-long-sleep",
        [
            Exec("import time\ntime.sleep(30)", interrupt_after=1.0, allow_stdin=False),
            "1 / 0",
            Exec("time.sleep(30)", interrupt_after=1.0, allow_stdin=False),
        ],
    ),
    Seq(
        "braid-history-first-use",
        [
            "first = 1",
            "second = first + 1",
            "%history -n -l 2",
            "h = get_ipython().history_manager\nh.session_number > 0, h.get_session_info()[3], len(_ih)",
            "%rerun 2",
            "second",
            "[line for _, line, _ in h.get_range(0, 1, 3)]",
            "_i1, In[2]",
        ],
    ),
    Seq(
        "braid-collector-and-display-burst",
        [
            "import gc\ngc.isenabled(), gc.get_freeze_count(), gc.get_threshold()",
            "x = [1]\nany(r is globals() for r in gc.get_referrers(x))",
            "class Node:\n    pass\nn = Node(); n.me = n\nimport weakref\nw = weakref.ref(n)\ndel n\n"
            "gc.collect() > 0, w() is None",
            "from IPython.display import display\nfor i in range(300):\n    display(i)\nprint('shown')",
            "get_ipython().display_pub.publish({'text/plain': 'direct'})\n'after'",
        ],
    ),
]
