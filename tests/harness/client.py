"""A scripted model client for the agent loop: ChatClient's interface, streaming real provider chunk dialects."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from k2nb.edge.provider import iter_sse_data
from k2nb.engines.wire import Dialect, Turn, turn_to_chunks
from tests.harness.stream import MODEL

PROMPT_TOKENS = 100


@dataclass
class Cut:
    """Stream the first ``chunks`` chunks of ``turn`` and end without [DONE]."""

    turn: Turn
    chunks: int


@dataclass
class SseLines:
    """Stream these raw SSE lines through the real SSE parser (as ChatClient does)."""

    lines: list[str]


@dataclass
class StopAfter:
    """Stream ``turn`` but set ``event`` after ``chunks`` payloads (the user clicks Stop)."""

    turn: Turn
    chunks: int
    event: threading.Event


Reply = Turn | Cut | SseLines | StopAfter | BaseException


class ScriptedClient:
    """Implements ``stream(body)`` like ChatClient: a context manager over SSE data strings."""

    def __init__(self, replies: list[Reply], dialect: Dialect = "moonshot") -> None:
        self.replies = list(replies)
        self.dialect = dialect
        self.bodies: list[dict[str, Any]] = []
        self.calls_so_far = 0  # Moonshot numbers tool-call ids across the conversation

    def _payloads(self, turn: Turn) -> list[str]:
        chunks = turn_to_chunks(
            turn,
            dialect=self.dialect,
            model=MODEL,
            prompt_tokens=PROMPT_TOKENS,
            call_index_start=self.calls_so_far,
            fragment_chars=5,
        )
        return [json.dumps(c) for c in chunks]

    @contextmanager
    def stream(self, body: dict[str, Any]) -> Iterator[Iterator[str]]:
        self.bodies.append(deepcopy(body))
        assert self.replies, "the agent asked for more model turns than scripted"
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, SseLines):
            yield iter_sse_data(reply.lines)
        elif isinstance(reply, Cut):
            yield iter(self._payloads(reply.turn)[: reply.chunks])
        elif isinstance(reply, StopAfter):
            yield self._stop_after(reply)
        else:
            payloads = [*self._payloads(reply), "[DONE]"]
            self.calls_so_far += len(reply.tool_calls)
            yield iter(payloads)

    def _stop_after(self, reply: StopAfter) -> Iterator[str]:
        for n, payload in enumerate([*self._payloads(reply.turn), "[DONE]"], start=1):
            yield payload
            if n == reply.chunks:
                reply.event.set()
