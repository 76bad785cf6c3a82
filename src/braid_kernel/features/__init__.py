"""Features: a mode or optional capability in one folder, across the layers.

Each feature package holds its engine half and its IPython half side by side:

* ``engine`` (a module or a package) runs without IPython, like the core ``engine/`` layer;
* ``shell`` (a module or a package) is the part that needs IPython or the Jupyter libraries.

import-linter checks, in ``pyproject.toml``, that the core layers never import a feature, that a
feature's ``shell`` half may import its ``engine`` half and never the reverse, and that an
``engine`` half reaches no IPython.  Each ``<name>/feature.py`` builds a :class:`.base.Feature`,
the one record through which a feature adds to the kernel; the root (``app/root.py``) builds them
in order and merges them in one loop.

* :mod:`.concurrent` — ``%braid mode``/``cancel``, the chain switch names;
* :mod:`.react` — reactive mode; :mod:`.cache` — cache mode;
* :mod:`.multi` — multi mode: one kernel process, an isolated session per client connection;
* :mod:`.foreign` — ``run_on`` and ``%trio``/``%asyncio``;
* :mod:`.debugger` — JupyterLab's debugger over debugpy;
* :mod:`.subshells` — what each JEP 91 subshell serves.
"""
