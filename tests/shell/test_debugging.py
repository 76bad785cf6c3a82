"""The kernel's debugger class: made once, on first use, from IPython's interruptible debugger."""

from __future__ import annotations

import pickle

from IPython.core.debugger import InterruptiblePdb

from braid_kernel.shell import debugging
from braid_kernel.shell.debugging import kernel_pdb


def test_one_class_per_process_found_by_its_name() -> None:
    cls = kernel_pdb()
    assert cls is kernel_pdb() and issubclass(cls, InterruptiblePdb)
    assert debugging.KernelPdb is cls  # the module attribute, made on first access
    assert pickle.loads(pickle.dumps(cls)) is cls
    assert f"{cls.__module__}.{cls.__qualname__}" == "braid_kernel.shell.debugging.KernelPdb"


def test_it_leaves_sigint_to_the_kernel() -> None:
    assert kernel_pdb()().nosigint is True
    assert kernel_pdb()(nosigint=False).nosigint is False
