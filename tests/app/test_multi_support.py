"""Multi mode's startup checks."""

from __future__ import annotations

import pytest

from braid_kernel.app.config import KernelConfig
from braid_kernel.app.support import check_supported
from braid_kernel.engine.modes import Mode
from braid_kernel.errors import ConfigError


def test_multi_mode_starts() -> None:
    check_supported(KernelConfig(modes=Mode.MULTI | Mode.CONCURRENT, session_idle_timeout=60))


def test_idle_timeout_without_multi_mode_fails_at_startup_saying_what_to_do() -> None:
    with pytest.raises(ConfigError, match="braid-kernel install multi --session-idle-timeout"):
        check_supported(KernelConfig(session_idle_timeout=60))
