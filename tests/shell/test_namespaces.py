"""IsolatedNamespace: a subshell's own variables and history, and the shell following it."""

from __future__ import annotations

import atexit
import contextvars
import sys
import threading
from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from braid_kernel.shell.ipshell import ZMQInteractiveShell
from braid_kernel.shell.namespaces import IsolatedNamespace, active_namespace


@pytest.fixture(scope="module")
def shell() -> Iterator[ZMQInteractiveShell]:
    """The process's IPython shell (a singleton), with an in-memory history; released afterwards
    so that other tests (in-process kernels) can build their own."""
    if InteractiveShell.initialized():
        pytest.skip("this process already has an IPython shell")
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    main_module = sys.modules["__main__"]
    made = ZMQInteractiveShell.instance(config=config)
    try:
        yield made
    finally:
        atexit.unregister(made.atexit_operations)
        made.history_manager.end_session()
        made.atexit_operations()
        ZMQInteractiveShell.clear_instance()
        sys.modules["__main__"] = main_module  # IPython installs its own


def test_fresh_namespace_is_seeded_like_ipythons(shell: ZMQInteractiveShell) -> None:
    ns = IsolatedNamespace(shell).user_ns
    assert ns["__name__"] == "__main__"
    assert ns["get_ipython"]() is shell
    assert ns["In"] == [""] and ns["Out"] == {}
    assert ns["_ih"] is ns["In"] and ns["_oh"] is ns["Out"]


def test_shell_namespaces_follow_the_active_namespace_only_in_its_context(shell: ZMQInteractiveShell) -> None:
    main = shell.user_ns
    isolated = IsolatedNamespace(shell)
    seen: dict[str, object] = {}
    with isolated.activated():
        assert shell.user_ns is isolated.user_ns
        assert shell.user_global_ns is isolated.user_ns
        assert shell.user_ns_hidden is isolated.hidden
        shell.push({"only_isolated": 1})

        def other_thread() -> None:  # code outside the activated context (e.g. a kernel thread)
            seen["ns"] = shell.user_ns

        # An empty context explicitly: once a kernel ran in this process, threads inherit the
        # starter's context (engine.threads), so a plain Thread would see the isolated namespace.
        thread = threading.Thread(target=contextvars.Context().run, args=(other_thread,))
        thread.start()
        thread.join()
    assert seen["ns"] is main
    assert shell.user_ns is main and "only_isolated" not in main
    assert isolated.user_ns["only_isolated"] == 1
    assert active_namespace.get() is None


def test_record_input_sets_in_and_the_underscore_names(shell: ZMQInteractiveShell) -> None:
    isolated = IsolatedNamespace(shell)
    isolated.record_input(1, "a = 1\n", "a = 1")
    isolated.record_input(2, "b = 2\n", "b = 2")
    ns = isolated.user_ns
    assert ns["In"] == ["", "a = 1\n", "b = 2\n"]
    assert (ns["_i"], ns["_i1"], ns["_i2"]) == ("a = 1", "a = 1", "b = 2")
    assert "_i1" in isolated.hidden


def _filled(shell: ZMQInteractiveShell) -> IsolatedNamespace:
    isolated = IsolatedNamespace(shell, session=7)
    for count, raw in enumerate(["x = 1", "print(x)", "y = 2", "print(x)"], start=1):
        isolated.record_input(count, raw + "\n", raw)
    isolated.record_output(3, "2")
    return isolated


def test_history_tail_range_and_search(shell: ZMQInteractiveShell) -> None:
    isolated = _filled(shell)
    assert isolated.history("tail", {"n": 2}) == [(7, 3, "y = 2"), (7, 4, "print(x)")]
    assert isolated.history("range", {"session": 0, "start": 2, "stop": 4}) == [
        (7, 2, "print(x)"),
        (7, 3, "y = 2"),
    ]
    assert isolated.history("range", {"session": 3}) == []
    assert [e[1] for e in isolated.history("search", {"pattern": "print*"})] == [2, 4]
    assert [e[1] for e in isolated.history("search", {"pattern": "print*", "unique": True})] == [4]
    assert isolated.history("tail", {"n": 2, "output": True, "raw": False})[0] == (7, 3, ("y = 2\n", "2"))


def test_history_rejects_unknown_access_type(shell: ZMQInteractiveShell) -> None:
    with pytest.raises(ValueError, match="tail, range or search"):
        IsolatedNamespace(shell).history("everything", {})


def test_reset_empties_only_the_isolated_namespace(shell: ZMQInteractiveShell) -> None:
    main_inputs = shell.history_manager.input_hist_parsed
    shell.user_ns["main_survivor"] = 1
    isolated = IsolatedNamespace(shell)
    isolated.push({"__task__": print})
    isolated.record_input(1, "gone = 1\n", "gone = 1")
    isolated.user_ns["gone"] = 1
    with isolated.activated():
        shell.run_line_magic("reset", "-f")
    assert "gone" not in isolated.user_ns and isolated.user_ns["In"] == [""]
    assert isolated.user_ns["__task__"] is print and isolated.user_ns["get_ipython"]() is shell
    assert isolated.history("tail", {}) == []
    assert shell.user_ns["main_survivor"] == 1
    assert shell.history_manager.input_hist_parsed is main_inputs


def test_reset_keeps_every_name_the_kernel_puts_in_a_namespace(shell: ZMQInteractiveShell) -> None:
    """``%reset`` in an isolated subshell keeps every name pushed by the kernel (the features'
    ``run_on``, ``__task__``, the chain switch: it used to delete ``run_on``), and only those."""
    names = {"__task__": print, "__chain_execution__": len, "run_on": repr, "a_new_feature_name": min}
    isolated = IsolatedNamespace(shell)
    isolated.push(names)
    with isolated.activated():
        shell.run_line_magic("reset", "-f")
    isolated.user_ns["user_value"] = 1
    with isolated.activated():
        shell.run_line_magic("reset", "-f")
    assert {name: isolated.user_ns.get(name) for name in names} == names
    assert "user_value" not in isolated.user_ns
