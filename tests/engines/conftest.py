"""The toy engine's tests share one loopback server per module, and inputs drawn per test."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from k2nb.engines import ChatServer, ToyEngine


@pytest.fixture(scope="module")
def server() -> Iterator[ChatServer]:
    """The toy engine on loopback (test_server.py defines its own)."""
    with ChatServer(ToyEngine()) as srv:
        yield srv


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    return random.Random(request.node.name)  # varied inputs, reproducible per test
