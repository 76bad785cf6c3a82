"""Verdicts merged into the shared ``judgements.py`` by ``python3 dev.py diff``: on the divergences
of braid's own sequences (``h50_braid.py``), and, for the shared corpus, on divergences the shared
file has no verdict for or a stale one (its divergence changed since it was written): the shared
file is read-only here, so its current verdict lives in ``SHARED_RECHECKED`` below, stamped with
the fingerprint it was written for (a later change to the divergence shows it stale again).

Same form as the shared file: ``"<sequence>/<cell index>": (verdict, reason[, fingerprint])``.
"""

W, D, B = "worse", "different", "better"

JUDGEMENTS: dict[str, tuple[str, ...]] = {
    "braid-unencodable-output/7": (
        B,
        "When %xmode Docs' formatter fails, both fall back to Python's plain traceback; braid sends it as "
        "the cell's error output without IPython's own frames, ipykernel as stdout+stderr streams that "
        "also show the formatter's failure",
    ),
    "braid-unencodable-output/9": (
        D,
        "display() of data JSON cannot hold: ipykernel raises at the call (error reply); braid encodes on "
        "its I/O thread after the call returned, so the cell is ok and gets a stderr line naming the "
        "dropped message (issue 23's contract: the message alone is lost, the cell is told)",
    ),
    "braid-run-cell-records/1": (
        B,
        "Unclosed bracket: Python's \"'(' was never closed\" pointing at the bracket; ipykernel says "
        "'incomplete input' (as syntax-errors/2)",
        "3f99b678",
    ),
    "braid-run-cell-records/3": (
        D,
        "Both record each failing cell's exception under its execution count (history_manager.exceptions); "
        "only the SyntaxError's wording differs, as in cell 1",
        "3185e27b",
    ),
    "braid-stream-order/0": (
        B,
        "stdout and stderr arrive in the order written (b, e, c); ipykernel sends its buffered stdout "
        "(b, c) before stderr (as stream-interleave/0)",
        "2a804cf6",
    ),
    "braid-patched-functions/3": (
        B,
        "braid's input() passes for builtins.input (name 'input', the builtin's positional-only "
        "signature); ipykernel's is its own method raw_input with another signature",
    ),
}


# Shared-corpus cells re-judged after the 2026-12-06 run (issue 16): the shared verdicts were
# written against older braid behaviour (see the report's "judgement stale" marks).
SHARED_RECHECKED: dict[str, tuple[str, ...]] = {
    "contextvars/4": (
        B,
        "A ContextVar set after an await in a cell lasts into the next cell in braid, as one set without "
        "an await does in both kernels; ipykernel loses it (its async cells run in a copied context)",
        "a60176b1",
    ),
    "contextvars/5": (D, "Only the kernels' own internal ContextVars differ", "cc1e5e92"),
    "contextvars/6": (
        B,
        "A thread started by a cell sees the cell's ContextVar values (braid copies the context into "
        "threads, the same value the cell reads); under ipykernel the thread sees the default",
        "a8199719",
    ),
    "main-module/4": (
        D,
        "sys.argv names braid's launcher (braid_kernel/__main__.py) where ipykernel's names "
        "ipykernel_launcher.py; same shape ([launcher, '-f', connection file])",
        "6ec6857c",
    ),
    "main-module/7": (
        D,
        "braid's documented extra names __task__/__chain_execution__/__unchain_execution__; __session__ "
        "is set in both",
        "43685031",
    ),
    "main-module/11": (
        D,
        "'ipykernel' is not in sys.modules: braid does not import ipykernel; __session__ (the notebook "
        "path) is set as in ipykernel",
        "8a8ba420",
    ),
    "kernel-magics/4": (
        D,
        "%connect_info is the same; kernel_name is the kernelspec's name ('braid' in this run, "
        "'python3' when braid is installed under that name)",
        "129fdf1a",
    ),
    "kernel-magics/7": (
        D,
        "%lsmagic lists every magic ipykernel has, plus braid's own (%braid, %asyncio, %trio, %%trio)",
        "11717707",
    ),
    "pager-help/8": (
        B,
        "Inspection names the stdlib source file (<STDLIB>/posixpath.py, braid's kernelspec has "
        "-Xfrozen_modules=off); ipykernel's run names '<cwd>/<frozen posixpath>', which does not exist",
        "6cdf4073",
    ),
    "complete-inspect/19": (
        B,
        "Inspection names the stdlib source file (<STDLIB>/posixpath.py); ipykernel's run names "
        "'<cwd>/<frozen posixpath>', which does not exist",
        "ebaf4bc8",
    ),
    "tracebacks/5": (
        B,
        "The exception group's whole tree (sub-exceptions included) is the cell's error output, without "
        "IPython's run_code frame; ipykernel prints it as stderr text only (no ANSI colours in either)",
        "39873518",
    ),
    "tracebacks/6": (
        D,
        "RecursionError's traceback is a few frames shorter (the kernel's stack under the cell is deeper)",
        "d0ef4ee1",
    ),
    "tracebacks/7": (
        D,
        "Usable recursion depth 967 vs 973 (a deeper kernel stack under the cell)",
        "303382c5",
    ),
    "exit-sys-exit/0": (
        D,
        "Same short report ('An exception has occurred, use %tb...', SystemExit: 3); braid leaves out "
        "IPython's 'To exit: use exit, quit, or Ctrl-D' warning, which names keys a notebook lacks "
        "(README, Differences from ipykernel)",
        "b2419ae2",
    ),
    "subprocess-os-system/3": (
        B,
        "The child's stderr line arrives before the cell's Out[] value, in the order it happened; "
        "ipykernel shows it after the value (fd-level output order is racy in both)",
        "05bd9cc6",
    ),
    "stdin/5": (
        B,
        "Same ename, evalue and cell frame; braid shows no kernel-internal frame (ipykernel adds "
        "kernelbase.py's raw_input source)",
        "7fc5ada7",
    ),
    "shell-api/3": (
        D,
        "get_ipython().kernel offers what libraries use (session, iopub_socket, shell, io_loop, "
        "parent_header, ...); shell_streams, do_one_iteration and control_thread are refused with an "
        "AttributeError naming braid's alternative (issue 16 item 9)",
        "d3702c28",
    ),
    "debugger/6": (
        B,
        "breakpoint() stops in IPython's debugger with stdin prompts; under ipykernel 7 it returns "
        "without stopping",
        "f14e087f",
    ),
    "threads-late-output/2": (
        D,
        "Timing only: a thread prints while its cell ends, so in both kernels part of its text comes "
        "after idle (in the cell either way); where the cut falls is a race (here inside print's "
        "'bg', ' ', '0' writes; other runs match ipykernel)",
        "1e40096e",
    ),
    "threads-late-output/5": (
        D,
        "Timing only: a thread raises as its cell ends; threading.excepthook's traceback reaches the cell "
        "that started the thread (the shared verdict's 'kernel's terminal' no longer holds), here with "
        "its tail after idle; where the cut falls is a race, as in cell 2",
        "",  # no fingerprint (never stale): each run cuts the text elsewhere, some not at all
    ),
    "subprocess-os-system/2": (
        B,
        "os.system's output comes before the cell's result, in the order it was written; ipykernel's fd "
        "forwarding sent it after the execute_result in this run",
        "f7bdbdbb",
    ),
    "dask-distributed/0": (
        D,
        "Environment only: port 8787 was taken by another process when ipykernel's Client started (a "
        "shared machine), so distributed warned there; nothing the kernel does",
        "ca78a36f",
    ),
}

JUDGEMENTS.update(SHARED_RECHECKED)
