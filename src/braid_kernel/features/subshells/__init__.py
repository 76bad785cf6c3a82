"""Subshells (JEP 91): several shells in one kernel, each able to run while the others are busy.

The protocol side is core routing (:mod:`braid_kernel.routing.subshells`: a thread and an inbox
per subshell, requests routed by ``subshell_id``).  This feature is what each subshell serves:

* :mod:`.shell` — :class:`~.shell.Subshells`: a shell per subshell, built like the main one,
  sharing the main namespace or isolated; interrupts and deletion;
* :mod:`.comm_forward` — a shared subshell's comm messages handled on the main loop;
* :mod:`.feature` — the create/delete/list requests and kernel_info's ``"kernel subshells"``.
"""
