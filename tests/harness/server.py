"""The loopback K2-shaped server the tests talk to, playing a script (k2nb/engines/script.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from k2nb.engines.script import ScriptedEngine
from k2nb.engines.server import ChatServer

SECRET_KEY = "sk-k2nb-test-SECRET-0123456789"  # the key the kernels use; it must show up nowhere


def start_scripted(script: str, **kwargs: Any) -> ChatServer:
    """A started server answering each request with the script's next turn; the caller stops it."""
    return ChatServer(ScriptedEngine.from_text(script), **kwargs).start()


@contextmanager
def scripted(script: str, **kwargs: Any) -> Iterator[ChatServer]:
    server = start_scripted(script, **kwargs)
    try:
        yield server
    finally:
        server.stop()


def provider_env(server: ChatServer, api_key: str = SECRET_KEY) -> dict[str, str]:
    """What a kernel needs to send its %%k2 cells to ``server``."""
    return {"K2NB_BASE_URL": server.base_url, "K2NB_API_KEY": api_key}


# One code_interpreter call, then the answer: what the --cells tests turn into notebook cells.
SIX_TIMES_SEVEN = "\n".join(
    [
        "think: I'll compute it in the kernel.",
        'tool: code_interpreter {"code": "answer = 6 * 7\\nprint(\'the answer is\', answer)"}',
        "---",
        "think: It printed 42.",
        "text: The answer is **42**.",
    ]
)
