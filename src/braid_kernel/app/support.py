"""What this kernel can run, decided from the configuration before anything starts."""

from __future__ import annotations

from braid_kernel.app.config import KernelConfig
from braid_kernel.app.loops import check_loop
from braid_kernel.engine.modes import Mode
from braid_kernel.errors import ConfigError

SUPPORTED_MODES = Mode.CONCURRENT | Mode.CACHE | Mode.REACT | Mode.MULTI


def check_supported(config: KernelConfig) -> None:
    """Refuse, before anything starts, what this kernel cannot run here."""
    unsupported = config.modes & ~SUPPORTED_MODES
    if unsupported:
        raise ConfigError(
            f"mode {'-'.join(unsupported.names)} is not available in this version of "
            "braid-kernel: install a kernelspec without it (braid-kernel install)"
        )
    if config.session_idle_timeout is not None and Mode.MULTI not in config.modes:
        raise ConfigError(
            "--session-idle-timeout frees the sessions of a multi-mode kernel: add the multi mode "
            "(braid-kernel install multi --session-idle-timeout SECONDS) or drop the option"
        )
    check_loop(config)
