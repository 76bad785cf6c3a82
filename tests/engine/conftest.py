"""Fixtures for the engine tests: both anyio backends, and a scheduler on a fake shell."""

from __future__ import annotations

import pytest

from tests.engine.fakes import Rig


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every ``pytest.mark.anyio`` test here on both anyio backends."""
    backend: str = request.param
    return backend


@pytest.fixture
def rig() -> Rig:
    return Rig()
