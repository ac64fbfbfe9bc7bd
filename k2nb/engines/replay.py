"""The replay engine: a responder that answers each request with the next recorded response.

Served by :class:`~k2nb.engines.server.ChatServer` like the toy engine, so a replay goes through
the same loopback HTTP / SSE / openai SDK / accumulator path as a live run. The payloads are sent
verbatim (whatever dialect they were recorded in) at the recorded pace divided by ``speed``
(``0``: no waiting). Recorded failures come back as they happened: an HTTP error with the same
status and body, a stream that broke off, a stream without ``[DONE]``.
"""

from __future__ import annotations

import threading
from typing import Any

from ..edge.recording import Exchange, Recording
from .server import HttpError, RawStream, Reply


class ReplayEngine:
    """Hands out the recorded responses in order (thread-safe).

    A request that starts a new user turn when the recording expects a tool-result continuation
    (or when the recording is used up) starts the recording over: ``k2nb serve --engine
    replay:FILE`` can replay it to one client after another.
    """

    def __init__(self, recording: Recording, *, speed: float = 1.0) -> None:
        self.recording = recording
        self.speed = speed
        self.served = 0  # responses handed out
        self._next = 0
        self._lock = threading.Lock()

    def __call__(self, request: dict[str, Any]) -> Reply:
        exchanges = self.recording.exchanges
        messages = request.get("messages") or []
        fresh_turn = bool(messages) and isinstance(messages[-1], dict) and messages[-1].get("role") == "user"
        with self._lock:
            index = self._next
            if fresh_turn and index > 0 and (index >= len(exchanges) or exchanges[index].last_role != "user"):
                index = 0
            self._next = index + 1
            self.served += 1
        if index >= len(exchanges):
            return Reply(
                error=HttpError(
                    400,
                    f"replay: the recording {self.recording.source or ''} has {len(exchanges)} response(s) "
                    f"and this run asked for a response #{index + 1}: the conversation left the recorded path.",
                    "replay_exhausted",
                )
            )
        return self.reply(exchanges[index])

    def reply(self, exchange: Exchange) -> Reply:
        end = exchange.end
        error = end.get("error")
        if isinstance(error, dict):
            if "status" in error:
                body = error.get("body") or {}
                retry_after = error.get("retry_after")
                return Reply(
                    error=HttpError(
                        int(error["status"]),
                        str(body.get("message") or ""),
                        str(body.get("type") or "invalid_request_error"),
                        body.get("code"),
                        float(retry_after) if retry_after not in (None, "") else None,
                    )
                )
            if error.get("transient"):  # a connection failure: reset it again
                return Reply(raw=RawStream((), reset=True))
            return Reply(error=HttpError(400, str(error.get("message") or "recorded failure")))
        return Reply(raw=RawStream(self.paced(exchange.chunks), reset="broken" in end))

    def paced(self, chunks: list[tuple[float, str]]) -> tuple[tuple[float, str], ...]:
        """(delay before each payload, payload): the recorded gaps divided by ``speed``."""
        out = []
        previous = 0.0
        for dt, data in chunks:
            gap = max(dt - previous, 0.0)
            previous = max(previous, dt)
            out.append((gap / self.speed if self.speed > 0 else 0.0, data))
        return tuple(out)
