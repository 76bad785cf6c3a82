"""Multi mode: one kernel process serves many notebooks, each in a session of its own.

* :mod:`.engine` — the bookkeeping without IPython: the session table, activity, the main-thread
  sampler, memory estimates;
* :mod:`.shell.sessions` — :class:`~.shell.sessions.SessionManager`: a session per client
  connection (isolated namespace, engine, comms), request routing, idle reaping;
* :mod:`.shell.commands` — ``%braid sessions`` and ``%braid session name|attach|reset``.
"""
