"""Static analysis of cells: defined, read, mutated and deleted names."""

from __future__ import annotations

import textwrap

import pytest

from braid_kernel.engine.analysis import CellNames, analyse


def names(source: str) -> CellNames:
    return analyse(textwrap.dedent(source))


# --- definitions ---------------------------------------------------------------------------------


def test_assignments_of_every_kind_define_names() -> None:
    cell = names(
        """
        a = 1
        b, (c, *d) = 1, (2, 3)
        e: int = 4
        f += 1
        g = h = 5
        """
    )
    assert cell.defines == {"a", "b", "c", "d", "e", "f", "g", "h"}
    assert cell.reads == {"f"}


def test_annotation_without_value_binds_nothing_but_reads_the_annotation() -> None:
    cell = names("x: MyType")
    assert cell.defines == frozenset()
    assert cell.reads == {"MyType"}


def test_imports_define_their_bound_names() -> None:
    cell = names(
        """
        import os
        import os.path
        import numpy as np
        import xml.etree.ElementTree as ET
        from collections import OrderedDict, deque as dq
        """
    )
    assert cell.defines == {"os", "np", "ET", "OrderedDict", "dq"}
    assert cell.reads == frozenset()
    assert not cell.star_import


def test_star_import_is_flagged() -> None:
    cell = names("from math import *\nprint(pi)")
    assert cell.star_import
    assert cell.reads == {"pi"}


def test_def_class_for_with_except_targets_define_names() -> None:
    cell = names(
        """
        def f(): pass
        async def g(): pass
        class C: pass
        for i, j in pairs: pass
        with open(p) as fh, lock: pass
        try:
            pass
        except ValueError as err:
            pass
        """
    )
    assert cell.defines == {"f", "g", "C", "i", "j", "fh", "err"}
    assert cell.reads == {"pairs", "p", "lock"}


def test_walrus_binds_at_top_level_even_inside_a_comprehension() -> None:
    cell = names(
        """
        if (n := compute()) > 1:
            pass
        total = [last := v for v in values]
        """
    )
    assert cell.defines == {"n", "total", "last"}
    assert cell.reads == {"compute", "values"}


def test_match_captures_define_names_and_class_patterns_read() -> None:
    cell = names(
        """
        match command:
            case Point(x=px, y=0) if px > limit:
                pass
            case [first, *rest]:
                pass
            case {"k": kv, **others}:
                pass
            case Colour.RED | None as whole:
                pass
        """
    )
    assert cell.defines == {"px", "first", "rest", "kv", "others", "whole"}
    assert cell.reads == {"command", "Point", "limit", "Colour"}


def test_del_of_a_name_defines_deletes_and_reads_it() -> None:
    cell = names("del x, y")
    assert cell.defines == {"x", "y"}
    assert cell.deletes == {"x", "y"}
    assert cell.reads == {"x", "y"}


def test_del_of_a_name_bound_in_the_cell_is_no_read() -> None:
    cell = names("tmp = 1\ndel tmp")
    assert cell.deletes == {"tmp"}
    assert cell.reads == frozenset()


# --- reads ---------------------------------------------------------------------------------------


def test_reads_are_names_used_before_the_cell_binds_them() -> None:
    cell = names(
        """
        y = x + 1
        x = 2
        z = x + y
        """
    )
    assert cell.reads == {"x"}
    assert cell.immediate_reads == {"x"}
    assert cell.defines == {"x", "y", "z"}


def test_self_referencing_assignment_reads_the_old_value() -> None:
    cell = names("df = df.dropna()")
    assert cell.reads == {"df"}
    assert cell.defines == {"df"}
    assert cell.mutates == frozenset()


def test_builtins_are_not_reads() -> None:
    assert names("print(len(range(3)), ValueError)").reads == frozenset()


def test_a_shadowed_builtin_defined_in_the_cell_is_not_read() -> None:
    cell = names("list = [1]\nlist.append(2)")
    assert cell.reads == frozenset()
    assert cell.defines == {"list"}


def test_top_level_await_and_async_statements_parse() -> None:
    cell = names(
        """
        r = await fetch(url)
        async for item in stream: pass
        async with session as s: pass
        """
    )
    assert cell.defines == {"r", "item", "s"}
    assert cell.reads == {"fetch", "url", "stream", "session"}


def test_transformed_magic_reads_only_get_ipython() -> None:
    cell = names("get_ipython().run_line_magic('time', 'x = 1')\n")
    assert cell.reads == {"get_ipython"}
    assert cell.defines == frozenset()


def test_invalid_code_raises_syntax_error() -> None:
    with pytest.raises(SyntaxError):
        analyse("x = = 1")


# --- functions and classes -----------------------------------------------------------------------


def test_function_body_globals_are_reads_but_not_immediate() -> None:
    cell = names(
        """
        def area(r):
            local = r * r
            return PI * local * scale()
        """
    )
    assert cell.defines == {"area"}
    assert cell.reads == {"PI", "scale"}
    assert cell.immediate_reads == frozenset()
    assert cell.functions == {"area": {"PI", "scale"}}


def test_defaults_decorators_and_annotations_are_immediate_reads() -> None:
    cell = names(
        """
        @register(registry)
        def f(a: Kind = DEFAULT, *, b=other) -> Result:
            return a
        """
    )
    assert cell.immediate_reads == {"register", "registry", "Kind", "DEFAULT", "other", "Result"}
    assert cell.functions == {"f": frozenset()}


def test_names_the_cell_defines_are_not_reads_of_its_functions() -> None:
    cell = names(
        """
        def f():
            return g() + later
        def g():
            return 1
        later = 2
        """
    )
    assert cell.reads == frozenset()
    assert cell.functions["f"] == {"g", "later"}


def test_closures_resolve_in_the_enclosing_function() -> None:
    cell = names(
        """
        def outer(a):
            b = 1
            def inner():
                return a + b + c
            return inner
        """
    )
    assert cell.reads == {"c"}


def test_nonlocal_names_belong_to_the_enclosing_function() -> None:
    cell = names(
        """
        def counter():
            n = 0
            def bump():
                nonlocal n
                n += 1
                return n
            return bump
        """
    )
    assert cell.reads == frozenset()
    assert cell.global_writes == frozenset()


def test_global_declarations_make_reads_and_global_writes() -> None:
    cell = names(
        """
        def bump():
            global count, label
            count += step
            label = "x"
        """
    )
    assert cell.reads == {"count", "step"}
    assert cell.global_writes == {"count", "label"}
    assert cell.defines == {"bump"}


def test_global_in_a_nested_function_skips_the_enclosing_local() -> None:
    cell = names(
        """
        def outer():
            x = 1
            def inner():
                global x
                return x
            return inner
        """
    )
    assert cell.reads == {"x"}


def test_lambda_body_is_a_deferred_read() -> None:
    cell = names("f = lambda a, b=default: a + offset")
    assert cell.reads == {"default", "offset"}
    assert cell.immediate_reads == {"default"}


def test_class_body_runs_at_once_and_its_names_stay_in_the_class() -> None:
    cell = names(
        """
        class Model(Base, metaclass=Meta):
            size = DEFAULT_SIZE
            double = size * 2
            def method(self):
                return size + helper(self.double)
        """
    )
    assert cell.defines == {"Model"}
    # The method does not see the class attribute ``size``: it reads the global one.
    assert cell.reads == {"Base", "Meta", "DEFAULT_SIZE", "size", "helper"}
    assert cell.immediate_reads == {"Base", "Meta", "DEFAULT_SIZE"}
    assert cell.functions["Model"] == {"DEFAULT_SIZE", "size", "helper"}


def test_class_body_reading_a_name_before_binding_it_reads_the_global() -> None:
    cell = names(
        """
        class C:
            x = x
        """
    )
    assert cell.immediate_reads == {"x"}


# --- comprehensions ------------------------------------------------------------------------------


def test_comprehension_targets_are_local() -> None:
    cell = names("squares = [i * i for i in numbers if i > threshold]")
    assert cell.defines == {"squares"}
    assert cell.reads == {"numbers", "threshold"}


def test_nested_comprehension_scopes() -> None:
    cell = names(
        """
        pairs = {a: [b for b in row if b != a] for a, row in table.items()}
        flat = (x for xs in nested for x in xs)
        """
    )
    assert cell.reads == {"table", "nested"}
    assert cell.defines == {"pairs", "flat"}


def test_comprehension_does_not_leak_or_hide_a_top_level_name() -> None:
    cell = names("x = [x for x in x]")
    # The iterable ``x`` is read from outside; the loop variable is local.
    assert cell.reads == {"x"}


def test_comprehension_in_a_class_body_skips_class_names_except_the_first_iterable() -> None:
    cell = names(
        """
        class C:
            items = [1, 2]
            factor = 3
            scaled = [i * factor for i in items]
        """
    )
    assert cell.reads == {"factor"}


def test_comprehension_walrus_in_a_function_is_local_to_the_function() -> None:
    cell = names(
        """
        def f(values):
            [seen := v for v in values]
            return seen
        """
    )
    assert cell.reads == frozenset()
    assert cell.defines == {"f"}


# --- in-place mutation ---------------------------------------------------------------------------


def test_in_place_changes_are_a_read_and_a_write() -> None:
    cell = names(
        """
        items.append(1)
        table[key] = value
        obj.attr = 2
        del cache[old]
        counts["a"] += 1
        config.section.option = True
        grid[0][1] = 5
        """
    )
    assert cell.mutates == {"items", "table", "obj", "cache", "counts", "config", "grid"}
    assert cell.reads == {
        "items",
        "table",
        "key",
        "value",
        "obj",
        "cache",
        "old",
        "counts",
        "config",
        "grid",
    }
    assert cell.defines == frozenset()
    assert cell.writes == cell.mutates


def test_inplace_keyword_counts_as_mutation() -> None:
    cell = names("df.dropna(inplace=True)\ndf2.dropna()")
    assert cell.mutates == {"df"}
    assert cell.reads == {"df", "df2"}


def test_ordinary_method_calls_are_reads_only() -> None:
    cell = names("df.head()\nnp.zeros(3)")
    assert cell.mutates == frozenset()
    assert cell.reads == {"df", "np"}


def test_mutating_a_name_bound_earlier_in_the_cell_is_no_read() -> None:
    cell = names("acc = []\nacc.append(1)")
    assert cell.mutates == {"acc"}
    assert cell.reads == frozenset()
    assert cell.writes == {"acc"}


def test_mutation_inside_a_function_is_a_deferred_read_only() -> None:
    cell = names(
        """
        def remember(k, v):
            memo[k] = v
        """
    )
    assert cell.mutates == frozenset()
    assert cell.reads == {"memo"}


def test_result_is_frozen_and_comparable() -> None:
    first = analyse("a = b")
    assert first == analyse("a = b")
    with pytest.raises(AttributeError):
        first.defines = frozenset()  # type: ignore[misc]
