"""Cache keys: normalised code, input names and value fingerprints, stable across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

from braid_kernel.errors import BraidError, CacheError, StaleReference, Unhashable, Unpicklable
from braid_kernel.features.cache.engine.fingerprint import Fingerprinter
from braid_kernel.features.cache.engine.key import cell_key, input_names, read_cell


def _namespace(code: str = "") -> dict[str, Any]:
    ns: dict[str, Any] = {"__name__": "__main__"}
    exec(code, ns)
    return ns


def _key(code: str, ns: dict[str, Any]) -> str:
    cell = read_cell(code)
    names = input_names(cell, ns)
    return cell_key(cell, Fingerprinter().names(ns, names))


def test_comments_and_formatting_do_not_change_the_key() -> None:
    ns = _namespace("a = 1")
    assert _key("b = a + 1", ns) == _key("# comment\nb   =  a+1   # trailing\n\n", ns)
    assert _key("b = a + 1", ns) != _key("b = a + 2", ns)


def test_input_values_are_part_of_the_key() -> None:
    assert _key("n = n + 1", _namespace("n = 1")) != _key("n = n + 1", _namespace("n = 2"))
    assert _key("n = n + 1", _namespace("n = 1")) == _key("n = n + 1", _namespace("n = 1"))


def test_names_the_cell_binds_first_are_not_inputs() -> None:
    cell = read_cell("x = 1\ny = x + z")
    assert input_names(cell, _namespace("x = 5\nz = 3")) == ["z"]


def test_redefining_a_called_function_changes_the_key() -> None:
    before = _namespace("def f(x):\n    return x + 1")
    same = _namespace("def f(x):\n    # a comment\n    return x + 1")
    after = _namespace("def f(x):\n    return x + 2")
    assert _key("y = f(1)", before) == _key("y = f(1)", same)
    assert _key("y = f(1)", before) != _key("y = f(1)", after)


def test_the_globals_a_called_function_reads_are_inputs_transitively() -> None:
    ns = _namespace("k = 2\ndef helper():\n    return k\ndef f():\n    return helper()")
    assert input_names(read_cell("y = f()"), ns) == ["f", "helper", "k"]
    changed = dict(ns, k=3)
    assert _key("y = f()", ns) != _key("y = f()", changed)


def test_shadowed_builtins_are_inputs() -> None:
    assert input_names(read_cell("y = len([1])"), _namespace()) == []
    assert input_names(read_cell("y = len([1])"), _namespace("def len(x):\n    return 0")) == ["len"]


def test_functions_inside_containers_are_fingerprinted_by_code() -> None:
    one = _namespace("handlers = {'a': lambda x: x + 1}")
    two = _namespace("handlers = {'a': lambda x: x + 2}")
    fp = Fingerprinter()
    assert fp.value(one["handlers"]) != Fingerprinter().value(two["handlers"])


def test_instances_of_a_redefined_class_differ() -> None:
    one = _namespace("class P:\n    def area(self):\n        return 1\np = P()")
    two = _namespace("class P:\n    def area(self):\n        return 2\np = P()")
    assert Fingerprinter().value(one["p"]) != Fingerprinter().value(two["p"])


def test_recursive_functions_can_be_fingerprinted() -> None:
    ns = _namespace("def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)")
    assert Fingerprinter().value(ns["fact"]) == Fingerprinter().value(ns["fact"])


def test_modules_are_fingerprinted_by_name_and_version() -> None:
    fp = Fingerprinter()
    assert fp.value(np) == Fingerprinter().value(np)
    assert fp.value(np) != fp.value(pytest)


def test_large_arrays_are_hashed_by_content() -> None:
    a = np.arange(1_000_000)
    b = a.copy()
    assert Fingerprinter().value(a) == Fingerprinter().value(b)
    b[-1] = 0
    assert Fingerprinter().value(a) != Fingerprinter().value(b)


def test_a_value_that_cannot_be_pickled_is_unhashable_with_its_name() -> None:
    import threading

    ns = _namespace()
    ns["lock"] = threading.Lock()
    with pytest.raises(Unhashable, match="`lock`"):
        Fingerprinter().names(ns, ["lock"])


def test_cache_errors_are_braid_errors() -> None:
    """One exception tree: what cache mode raises is a ``CacheError``, hence a ``BraidError``."""
    for error in (Unhashable, Unpicklable, StaleReference):
        assert issubclass(error, CacheError) and issubclass(error, BraidError)


_KEY_SCRIPT = textwrap.dedent(
    """
    from braid_kernel.features.cache.engine.fingerprint import Fingerprinter
    from braid_kernel.features.cache.engine.key import cell_key, input_names, read_cell
    ns = {"__name__": "__main__"}
    exec('''
    import math
    table = {"a": 1, "b": [1.5, None, ("x", b"y")]}
    class Point:
        def __init__(self, x):
            self.x = x
        def norm(self):
            return abs(self.x) * scale
    scale = 2
    def f(p):
        return p.norm() + len(table) + math.pi if "red" in {"red", "blue"} else 0
    origin = Point(3)
    ''', ns)
    code = read_cell("result = f(origin)")
    print(cell_key(code, Fingerprinter().names(ns, input_names(code, ns))))
    """
)


def test_keys_are_the_same_in_every_process() -> None:
    # Hash randomisation differs per seed; a function's set constants must not depend on it.
    # (A set *value* of strings may pickle in another order in another process: only a miss.)
    keys = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run(
            [sys.executable, "-c", _KEY_SCRIPT],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        keys.add(done.stdout.strip())
    assert len(keys) == 1, keys
