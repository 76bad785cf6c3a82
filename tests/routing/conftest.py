"""Fixtures for the routing tests: a fresh rig per test (both anyio backends: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.routing.rig import Rig


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig()
    yield r
    r.close()
