"""Fixtures for the engine tests: a scheduler on a fake shell (both anyio backends: tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.engine.fakes import Rig


@pytest.fixture
def rig() -> Rig:
    return Rig()
