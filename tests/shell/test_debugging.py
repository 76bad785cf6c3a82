"""The kernel's debugger class: made once, on first use, from IPython's interruptible debugger.

(Not instantiated here: without a shell, IPython's debugger makes a terminal shell, the process's
one.  tests/protocol/test_interrupt_intent.py checks that it leaves SIGINT to the kernel.)"""

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
