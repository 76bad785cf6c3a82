"""IPython's caching compiler, naming cells the way the debugger expects."""

from __future__ import annotations

from IPython.core.compilerop import CachingCompiler

from braid_kernel.engine.cellfiles import CellFiles


class CellCompiler(CachingCompiler):  # type: ignore[misc]
    """Caches each cell under ``CellFiles.filename(raw_code)``.

    IPython's traceback formatter then shows ``Cell In[N]`` for these files,
    and JupyterLab's debugger computes the same names to set breakpoints.
    """

    def __init__(self, cell_files: CellFiles) -> None:
        super().__init__()
        self.cell_files = cell_files

    def get_code_name(self, raw_code: str, transformed_code: str, number: int) -> str:
        del transformed_code, number
        return self.cell_files.filename(raw_code)
