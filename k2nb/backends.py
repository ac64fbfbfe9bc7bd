"""Where requests go: cached SDK clients per endpoint, and the toy engine's loopback server.

The toy engine is served over real loopback HTTP so it takes exactly the path a real provider
takes (openai SDK, SSE, the accumulator): no special case in the agent.
"""

from __future__ import annotations

import os
from typing import Any

from .config import ProviderSettings
from .provider import ChatClient


class Backends:
    """Owned by one kernel's magics (or one Agent): nothing here is module-global."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str, str], ChatClient] = {}
        self._toy: Any = None
        self.toy_speed: float | None = None

    def toy_base_url(self) -> str:
        if self._toy is None:
            from .engines.server import ChatServer
            from .engines.toy import ToyEngine

            speed = self.toy_speed
            if speed is None and os.environ.get("K2NB_TOY_SPEED"):
                speed = float(os.environ["K2NB_TOY_SPEED"])
            self._toy = ChatServer(ToyEngine(), dialect="moonshot", tokens_per_second=speed or None)
            self._toy.start()
        return str(self._toy.base_url)

    def client(self, settings: ProviderSettings) -> ChatClient:
        if settings.is_toy:
            settings = settings.with_base_url(self.toy_base_url())
        assert settings.base_url is not None
        key = (settings.base_url, settings.api_key or "", settings.model)
        if key not in self._clients:
            self._clients[key] = ChatClient(settings)
        client = self._clients[key]
        client.settings = settings
        return client

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        if self._toy is not None:
            self._toy.stop()
            self._toy = None
