"""Streams as the K2 hosts send them (k2nb/engines/wire.py), read back through the accumulator."""

from __future__ import annotations

import json
from typing import Any

from k2nb.core.accumulator import StreamAccumulator
from k2nb.core.events import ContentDelta, Event, ReasoningDelta
from k2nb.core.turn import AssistantTurn
from k2nb.engines.wire import Dialect, Turn, turn_to_chunks

MODEL = "kimi-k2-thinking"


def accumulate(chunks: list[dict[str, Any]], step: int = 1) -> tuple[AssistantTurn, list[Event]]:
    """Feed chunks as SSE data (JSON text), then [DONE]; all events including the finish tail."""
    acc = StreamAccumulator(step)
    events: list[Event] = []
    for c in chunks:
        events += acc.feed_data(json.dumps(c))
    events += acc.feed_data("[DONE]")
    turn, tail = acc.finish()
    return turn, events + tail


def wire(turn: Turn, dialect: Dialect, **kwargs: Any) -> list[dict[str, Any]]:
    return turn_to_chunks(turn, dialect=dialect, model=MODEL, prompt_tokens=100, **kwargs)


def text_of(events: list[Event], kind: type[ReasoningDelta] | type[ContentDelta]) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))
