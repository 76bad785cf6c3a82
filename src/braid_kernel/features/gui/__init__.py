"""GUI event loops: a Tk or Qt main loop hosting the kernel, and what ``%gui``/``%matplotlib`` may use.

* :mod:`.engine` — the hosts (``--loop tk|qt``: the toolkit's main loop on the main thread, the
  async backend as its guest) and the startup checks (no IPython);
* :mod:`.shell` — ``%gui`` and the checks the IPython shell runs before ``%gui`` /
  ``%matplotlib`` switch loops (the kernel's loop is fixed at startup).
"""
