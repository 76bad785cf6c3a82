"""Remote kernels: braid launched by Enterprise Gateway or gateway_provisioners.

:mod:`~braid_kernel.app.remote.args` reads the kernel-launcher contract's arguments,
:mod:`~braid_kernel.app.remote.launcher` starts the kernel and answers the server
(:mod:`~braid_kernel.app.remote.payload` encrypts the answer, :mod:`~braid_kernel.app.remote.ports`
picks ports in the server's range, :mod:`~braid_kernel.app.remote.comm` serves the comm port), and
:mod:`~braid_kernel.app.remote.kernelspec` writes the kernelspecs those servers launch.  Importing
this package imports none of them: the command line loads what a command needs.
"""

__all__ = ()
