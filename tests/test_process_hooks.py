"""Every function the kernel replaces process-wide passes for the one it replaces, and
uninstalling the kernel's process hooks puts every original back.

For each replacement, installed as the kernel installs it: the same ``__module__``, ``__name__``
and ``__doc__``; the same signature for ``inspect``; ``pickle`` and ``cloudpickle`` save it by
reference, so that a *fresh* interpreter loading the pickle gets its own original (what
``ProcessPoolExecutor``, ``multiprocessing`` and Dask do); ``unittest.mock.patch`` replaces it
and puts the kernel's version back.  The protocol-level counterpart (a cell pickling
``time.sleep``, a process pool running it) is tests/protocol/test_process_hooks.py.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import json
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast
from unittest import mock

import cloudpickle  # type: ignore[import-untyped]
import pytest
from IPython.core.display_trap import DisplayTrap

from braid_kernel.engine.cellfiles import CellFiles
from braid_kernel.engine.fdcapture import FdCapture, RunningCells
from braid_kernel.engine.interrupt import Interrupter
from braid_kernel.engine.standin import stand_in
from braid_kernel.engine.stdin import CellInput
from braid_kernel.engine.streams import OutStream
from braid_kernel.engine.threadinterrupt import ThreadInterrupts
from braid_kernel.features.base import ProcessPatch
from braid_kernel.features.distributed import feature as distributed_feature
from braid_kernel.integrations.comms import CommService
from braid_kernel.process_hooks import (
    CapturedFds,
    OnImport,
    Preserved,
    ProcessHooks,
    Replace,
    WakeupFd,
    kernel_hooks,
)
from braid_kernel.routing.context import Request
from braid_kernel.routing.publisher import Publisher
from braid_kernel.shell.debugging import kernel_pdb, set_trace
from braid_kernel.transport.outbox import Outbox
from tests.process_state import PRESERVED, process_wide, restored

# Where each replacement is installed: (module, attribute path).
PATCHED = (
    ("time", "sleep"),
    ("threading", "Thread.start"),
    ("concurrent.futures", "ThreadPoolExecutor.submit"),
    ("builtins", "input"),
    ("getpass", "getpass"),
    ("comm", "create_comm"),
    ("comm", "get_comm_manager"),
)
IDS = [f"{module}.{path}" for module, path in PATCHED]


def resolve(module: str, path: str) -> Any:
    value: Any = importlib.import_module(module)
    for part in path.split("."):
        value = getattr(value, part)
    return value


class _Source:
    def ask(self, prompt: str, password: bool, request: Request) -> str:
        return f"answer to {prompt}"


class _BuiltinTrap:
    """What IPython's BuiltinTrap does to the builtins, without a shell."""

    def activate(self) -> None:
        builtins.get_ipython = lambda: None  # type: ignore[attr-defined]

    def deactivate(self) -> None:
        del builtins.get_ipython  # type: ignore[attr-defined]


untraced_threads: list[threading.Thread] = []  # the kernel's own (the fd capture's reader)


def _kernel_hooks(patches: Sequence[ProcessPatch] = (), *, capture_fds: bool = False) -> ProcessHooks:
    """Every hook of a kernel process, made as :mod:`braid_kernel.app.root` makes them
    (``patches``: the features', left out where the distributed feature's import hook would blur
    what is checked; ``capture_fds``: with the capture of fds 1 and 2, left out where the tests'
    own output would go to its pipes)."""
    outbox = Outbox()
    captured = None
    if capture_fds:
        capture = FdCapture(outbox, RunningCells(), print)
        captured = CapturedFds(capture, capture.originals()[1], untraced_threads.append)
    return kernel_hooks(
        streams=(OutStream("stdout", outbox), OutStream("stderr", outbox)),
        cell_input=CellInput(_Source()),
        comms=CommService(cast(Publisher, object())),
        display_trap=DisplayTrap(hook=lambda value: None),
        builtin_trap=_BuiltinTrap(),
        debugger=(kernel_pdb, set_trace),
        patches=patches,
        interrupter=Interrupter(CellFiles()),
        thread_interrupts=ThreadInterrupts(),
        switch_interval=0.001,
        preserved=Preserved(("BRAID_TEST_PRESERVED",)),
        captured_fds=captured,
    )


@pytest.fixture(scope="module")
def installed() -> Iterator[None]:
    """The kernel's replacements, installed as a kernel process installs them."""
    hooks = _kernel_hooks()
    hooks.install()
    yield
    hooks.uninstall()


def test_uninstall_restores_every_original_and_install_changes_each() -> None:
    """Each hook of a kernel process (and the event loop's wake-up fd, installed by the loop's
    runner) changes what it patches, and uninstalling puts back every original, down to the file
    descriptors 1 and 2 and the kernel's log handlers' stream."""
    log_handler = logging.StreamHandler(sys.__stderr__)  # as a kernel process's log (launch)
    logging.getLogger("braid_kernel").addHandler(log_handler)
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    try:
        before = process_wide()
        hooks = ProcessHooks([*_kernel_hooks(capture_fds=True).hooks, WakeupFd(writer.fileno())])
        hooks.install()
        try:
            during = process_wide()
            assert [t.name for t in untraced_threads[-1:]] == ["braid-fdcapture"]  # kernel machinery
            os.environ[PRESERVED] = "set by the kernel's construction"
        finally:
            hooks.uninstall()
        after = process_wide()
    finally:
        logging.getLogger("braid_kernel").removeHandler(log_handler)
        reader.close()
        writer.close()
    changed = {name for name, old in before.items() if during[name] != old}
    # __main__ and the environment are only preserved; the shell, not a hook, sets the children's
    unchanged_by_design = {"__main__", "preserved variable", "child environment"}
    if "ipykernel.zmqshell" in sys.modules:
        unchanged_by_design.add("sys.meta_path")  # no import hook needed: tqdm.auto sees ipykernel already
    assert set(before) - unchanged_by_design == changed
    assert restored(before, after) == []


def test_the_distributed_works_future_hook_is_a_process_hook() -> None:
    """Dask's ``Future.__init__`` stand-in (distributed cancellation) comes and goes with the
    kernel's process hooks (an in-process kernel leaves no stand-in behind)."""
    future_class = pytest.importorskip("distributed.client").Future
    original = vars(future_class)["__init__"]
    hooks = _kernel_hooks(distributed_feature.build(dict).patches)
    hooks.install()
    try:
        assert vars(future_class)["__init__"] is not original
    finally:
        hooks.uninstall()
    assert vars(future_class)["__init__"] is original


def test_a_hook_that_fails_to_install_undoes_the_ones_before_it() -> None:
    class Failing:
        def install(self) -> None:
            raise RuntimeError("cannot")

        def uninstall(self) -> None:
            raise AssertionError("never installed")

    original = time.sleep
    hooks = ProcessHooks([Replace(time, "sleep", print), Failing()])
    with pytest.raises(RuntimeError, match="cannot"):
        hooks.install()
    assert time.sleep is original


def _original(replacement: Any) -> Any:
    original = getattr(replacement, "__wrapped__", None)
    assert original is not None, f"{replacement!r} is not a stand-in (no __wrapped__)"
    return original


@pytest.mark.parametrize(("module", "path"), PATCHED, ids=IDS)
def test_the_replacement_keeps_the_originals_name_module_and_doc(
    installed: None, module: str, path: str
) -> None:
    replacement = resolve(module, path)
    original = _original(replacement)
    assert replacement is not original
    for attribute in ("__module__", "__name__", "__doc__"):
        assert getattr(replacement, attribute) == getattr(original, attribute), attribute
    assert replacement.__qualname__ in (original.__qualname__, path)  # path: see getpass, comm


@pytest.mark.parametrize(("module", "path"), PATCHED, ids=IDS)
def test_inspect_sees_the_originals_signature(installed: None, module: str, path: str) -> None:
    replacement = resolve(module, path)
    original = _original(replacement)
    try:
        expected: object = inspect.signature(original)
    except ValueError as exc:  # time.sleep: a builtin without a text signature
        expected = type(exc)
    try:
        seen: object = inspect.signature(replacement)
    except ValueError as exc:
        seen = type(exc)
    assert seen == expected
    assert inspect.isroutine(replacement)
    assert inspect.unwrap(replacement) is inspect.unwrap(original)


@pytest.mark.parametrize(("module", "path"), PATCHED, ids=IDS)
def test_pickle_round_trips_to_the_installed_function(installed: None, module: str, path: str) -> None:
    replacement = resolve(module, path)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(replacement, protocol)) is replacement
    assert cloudpickle.loads(cloudpickle.dumps(replacement)) is replacement


_LOAD_IN_FRESH_INTERPRETER = """
import importlib, json, pickle, sys
results = []
for module, path, data in json.loads(sys.stdin.read()):
    value = importlib.import_module(module)
    for part in path.split("."):
        value = getattr(value, part)
    results.append(pickle.loads(bytes.fromhex(data)) is value)
print(json.dumps(results))
"""


def test_a_fresh_interpreter_loads_each_pickle_as_its_own_original(installed: None) -> None:
    # what a process pool worker, a spawned multiprocessing child or a Dask worker does
    pickles = []
    for module, path in PATCHED:
        replacement = resolve(module, path)
        pickles.append((module, path, pickle.dumps(replacement).hex()))
        pickles.append((module, path, cloudpickle.dumps(replacement).hex()))
    loaded = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_FRESH_INTERPRETER],
        input=json.dumps(pickles),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(loaded.stdout) == [True] * len(pickles)


@pytest.mark.parametrize(("module", "path"), PATCHED, ids=IDS)
def test_mock_patch_replaces_it_and_restores_the_kernels_version(
    installed: None, module: str, path: str
) -> None:
    replacement = resolve(module, path)
    target = f"{module}.{path}"
    with mock.patch(target) as fake:
        assert resolve(module, path) is fake
    assert resolve(module, path) is replacement
    with mock.patch(target, autospec=True) as fake:
        assert resolve(module, path) is fake
    assert resolve(module, path) is replacement


def test_autospec_checks_calls_against_the_originals_signature(installed: None) -> None:
    with mock.patch("builtins.input", autospec=True) as fake:
        fake.return_value = "typed"
        assert input("name? ") == "typed"
        with pytest.raises(TypeError):
            input("a", "b")  # type: ignore[call-arg]
    with mock.patch("time.sleep", autospec=True) as fake:
        time.sleep(3)
        fake.assert_called_once_with(3)


def test_the_replacements_still_do_the_kernels_work(installed: None) -> None:
    # the stand-ins delegate: input reaches the kernel's source (here: refused, no request)
    with pytest.raises(Exception, match="does not support input requests"):
        input("name? ")
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(pow, 2, 5).result() == 32
    done = threading.Event()
    threading.Thread(target=done.set).start()
    assert done.wait(10)
    time.sleep(0)


def test_stand_in_with_a_qualname_pickles_under_that_name() -> None:
    # getpass.getpass is getpass.unix_getpass: installed under "getpass", it must be found there
    def original(x: int) -> int:
        return x

    @stand_in(original, qualname="installed_here")
    def replacement(x: int) -> int:
        return x + 1

    assert replacement.__name__ == "original"
    assert replacement.__qualname__ == "installed_here"
    assert replacement.__module__ == __name__
    globals()["installed_here"] = replacement
    try:
        assert pickle.loads(pickle.dumps(replacement)) is replacement
    finally:
        del globals()["installed_here"]


# ------------------------------------------------------------ hooks on a module imported later
def _write_modules(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, **sources: str) -> None:
    for name, source in sources.items():
        (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in sources:
        monkeypatch.delitem(sys.modules, name, raising=False)  # and removed again afterwards


def test_on_import_replaces_right_after_the_modules_first_import(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing happens until the module is imported; its importer already gets the replacement;
    uninstalling puts the original back."""
    _write_modules(
        tmp_path,
        monkeypatch,
        braid_lazy_target="def value():\n    return 'original'\n",
        braid_lazy_importer="import braid_lazy_target\nSEEN = braid_lazy_target.value()\n",
    )
    hook = OnImport("braid_lazy_target", lambda module: [Replace(module, "value", lambda: "kernel's")])
    meta_path = list(sys.meta_path)
    hook.install()
    try:
        assert "braid_lazy_target" not in sys.modules
        importer = importlib.import_module("braid_lazy_importer")
        assert importer.SEEN == "kernel's"
        assert sys.meta_path == meta_path  # the watch left once it fired
    finally:
        hook.uninstall()
    assert sys.modules["braid_lazy_target"].value() == "original"


def test_on_import_of_a_module_never_imported_leaves_no_trace(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_modules(tmp_path, monkeypatch, braid_lazy_never="def value():\n    return 'original'\n")
    made: list[object] = []

    def hooks(module: Any) -> list[Replace]:
        made.append(module)
        return []

    hook = OnImport("braid_lazy_never", hooks)
    meta_path = list(sys.meta_path)
    hook.install()
    assert sys.meta_path != meta_path
    hook.uninstall()
    assert sys.meta_path == meta_path
    assert importlib.import_module("braid_lazy_never").value() == "original" and made == []


def test_on_import_waits_for_an_after_module_that_imports_the_module(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hooks need ``after`` complete (a class derived from one there): when ``after``'s code
    imports the module, it sees the original and the hooks come once it has run; when the module
    is imported first, making the hooks imports ``after`` (which sees the original too)."""
    _write_modules(
        tmp_path,
        monkeypatch,
        braid_lazy_base="class Base:\n    pass\n",
        braid_lazy_derived="import braid_lazy_base\nclass Derived(braid_lazy_base.Base):\n    pass\n",
    )

    def hooks(module: Any) -> list[Replace]:
        derived = importlib.import_module("braid_lazy_derived")
        return [Replace(module, "Base", derived.Derived)]

    for first in ("braid_lazy_derived", "braid_lazy_base"):
        sys.modules.pop("braid_lazy_base", None)
        sys.modules.pop("braid_lazy_derived", None)
        hook = OnImport("braid_lazy_base", hooks, after=("braid_lazy_derived",))
        hook.install()
        try:
            importlib.import_module(first)
            base, derived = sys.modules["braid_lazy_base"], sys.modules["braid_lazy_derived"]
            assert base.Base is derived.Derived, first
            original = derived.Derived.__bases__[0]
            assert original.__module__ == "braid_lazy_base" and original is not derived.Derived
        finally:
            hook.uninstall()
        assert base.Base is original, first


def test_on_import_installed_again_watches_again(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_modules(tmp_path, monkeypatch, braid_lazy_again="VALUE = 'original'\n")
    hook = OnImport("braid_lazy_again", lambda module: [Replace(module, "VALUE", "kernel's")])
    hook.install()
    module = importlib.import_module("braid_lazy_again")
    hook.uninstall()
    assert module.VALUE == "original"
    hook.install()  # the module is imported now: at once
    try:
        assert module.VALUE == "kernel's"
    finally:
        hook.uninstall()
    assert module.VALUE == "original"


PDB_LATER = """
import importlib, sys
from IPython.core.display_trap import DisplayTrap
from braid_kernel.engine.stdin import CellInput
from braid_kernel.engine.streams import OutStream
from braid_kernel.integrations.comms import CommService
from braid_kernel.process_hooks import kernel_hooks
from braid_kernel.shell.debugging import kernel_pdb, set_trace
from braid_kernel.transport.outbox import Outbox

class Trap:
    def activate(self): pass
    def deactivate(self): pass

DEBUGGER = {"pdb", "bdb", "cmd", "IPython.core.debugger"}
outbox = Outbox()
hooks = kernel_hooks(
    streams=(OutStream("stdout", outbox), OutStream("stderr", outbox)),
    cell_input=CellInput(None),
    comms=CommService(None),
    display_trap=DisplayTrap(hook=lambda value: None),
    builtin_trap=Trap(),
    debugger=(kernel_pdb, set_trace),
)
meta_path = list(sys.meta_path)
hooks.install()
try:
    assert not DEBUGGER & set(sys.modules), DEBUGGER & set(sys.modules)
    if FIRST:
        importlib.import_module(FIRST)
        import pdb
        assert pdb.Pdb is kernel_pdb() and pdb.set_trace is set_trace, (pdb.Pdb, pdb.set_trace)
        original = [c for c in kernel_pdb().__mro__ if c.__module__ == "pdb"]
        assert len(original) == 1, original
finally:
    hooks.uninstall()  # sys.stderr back: a failure shows
assert sys.meta_path == meta_path
if FIRST:
    assert pdb.Pdb is original[0] and pdb.set_trace.__module__ == "pdb", (pdb.Pdb, pdb.set_trace)
else:
    assert not DEBUGGER & set(sys.modules)
print("ok")
"""


@pytest.mark.parametrize("first", ["pdb", "IPython.core.debugger", None])
def test_pdb_imported_after_install_is_replaced_and_restored(first: str | None) -> None:
    """In a fresh interpreter: installing imports no debugger; pdb imported later (by a cell, or by
    IPython's debugger: ``%debug``) is the kernel's, with IPython's debugger derived from pdb's own
    class; uninstalling restores pdb's functions, or, pdb never imported, removes the watch."""
    script = f"FIRST = {first!r}\n" + PDB_LATER
    done = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
