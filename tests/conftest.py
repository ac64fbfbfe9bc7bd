"""What every test shares: no developer keys or endpoints, the loopback server, and the kernel marker's guard.

The helpers themselves live in tests/harness/ (kernels, the live view's traffic, the stand-in tab);
benchmarks use them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from k2nb.engines.server import ChatServer
from tests.harness import kernel
from tests.harness.server import start_scripted

BROWSER_TESTS = Path(__file__).parent / "browser"


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/browser drives Chromium: marked `browser` by where it lives."""
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that starts a kernel must say so (``make test-fast`` skips the `kernel` and `browser` ones)."""
    marked = item.get_closest_marker("kernel") or item.get_closest_marker("browser")
    kernel.forbid_kernels(None if marked else item.nodeid)


@pytest.fixture(autouse=True)
def clean_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs never see the developer's real keys or endpoints; the toy engine answers at once.
    (Kernels get the same from tests.harness.kernel.kernel_env.)"""
    for name in kernel.PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("K2NB_TOY_SPEED", "0")  # the default (60 tokens/s) is for people watching


@pytest.fixture
def scripted_server() -> Iterator[Callable[..., ChatServer]]:
    """``scripted_server(script, **ChatServer options)``: a started loopback server, stopped after the test."""
    servers: list[ChatServer] = []

    def start(script: str, **kwargs: Any) -> ChatServer:
        servers.append(start_scripted(script, **kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
