"""JupyterLab's visual debugger: ``debug_request`` relayed to pydevd (debugpy's debugger).

* :mod:`.engine` — the DAP relay (framing, the pydevd connection, sessions, stopped threads,
  variables) and :func:`~.engine.untraced` for the kernel's own threads; no IPython, imported on
  first use.  The kernel (``app/``) builds a :class:`~.engine.Debugger` on the first
  ``debug_request`` and answers it on the control thread.
"""
