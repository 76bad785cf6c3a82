"""Fixtures for the routing tests: both anyio backends, and a fresh rig per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.routing.rig import Rig


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every ``pytest.mark.anyio`` test here on both anyio backends."""
    backend: str = request.param
    return backend


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig()
    yield r
    r.close()
