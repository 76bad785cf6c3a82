"""Features: a mode or optional capability in one folder, across the layers.

Each feature package holds its engine half and its IPython half side by side:

* ``engine`` (a module or a package) runs without IPython, like the core ``engine/`` layer;
* ``shell`` (a module or a package) is the part that needs IPython or the Jupyter libraries.

import-linter checks, in ``pyproject.toml``, that the core layers never import a feature, that a
feature's ``shell`` half may import its ``engine`` half and never the reverse, and that an
``engine`` half reaches no IPython.  The kernel (``app/``) builds the features its configuration
asks for.  Reading or deleting a mode is one folder here and its lines in ``app/``.

* :mod:`.multi` — multi mode: one kernel process, an isolated session per client connection.
"""
