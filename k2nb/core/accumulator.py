"""Pure K2 stream accumulator: ``chat.completion.chunk`` dicts in, typed events out.

No network, no kernel: :class:`StreamAccumulator` is fed parsed chunks (from any provider
dialect) and produces delta events as they arrive and one :class:`AssistantTurn` at the end.
It handles the points most K2 clients get wrong: reasoning in three spellings, tool-call
fragments keyed by index (possibly interleaved), usage in either place, ``[DONE]`` as the only
proof of a complete response, and native tool-call tokens leaked into text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import IncompleteStream
from .events import ContentDelta, Event, ReasoningDelta, ToolCallDelta
from .turn import AssistantTurn, ToolCall, Usage

SSE_DONE = "[DONE]"  # the stream's last data payload

SECTION_BEGIN = "<|tool_calls_section_begin|>"
SECTION_END = "<|tool_calls_section_end|>"
_NATIVE_CALL = re.compile(
    r"<\|tool_call_begin\|>\s*(?P<id>.+?)\s*<\|tool_call_argument_begin\|>(?P<args>.*?)<\|tool_call_end\|>",
    re.DOTALL,
)
# Any special token: stripped from what the user sees, wherever it appears.
_SPECIAL_TOKEN = re.compile(r"<\|tool_call[a-z_]*\|>")


# An event without its closing blank line was cut off: per the SSE spec it is discarded.


class _NativeTokenFilter:
    """Hides a leaked ``<|tool_calls_section_begin|> … <|tool_calls_section_end|>`` block.

    Streaming text passes through, except a trailing piece that could be the start of the
    section marker (held back until the next delta decides) and everything inside a section
    (kept for parsing into tool calls).
    """

    def __init__(self) -> None:
        self._pending = ""
        self._in_section = False
        self.sections: list[str] = []

    def feed(self, text: str) -> str:
        self._pending += text
        shown: list[str] = []
        while self._pending:
            if self._in_section:
                end = self._pending.find(SECTION_END)
                if end < 0:
                    return _SPECIAL_TOKEN.sub("", "".join(shown))
                self.sections[-1] += self._pending[:end]
                self._pending = self._pending[end + len(SECTION_END) :]
                self._in_section = False
                continue
            begin = self._pending.find(SECTION_BEGIN)
            if begin >= 0:
                shown.append(self._pending[:begin])
                self._pending = self._pending[begin + len(SECTION_BEGIN) :]
                self.sections.append("")
                self._in_section = True
                continue
            keep = _partial_special_suffix(self._pending)
            cut = len(self._pending) - keep
            shown.append(self._pending[:cut])
            self._pending = self._pending[cut:]
            break
        return _SPECIAL_TOKEN.sub("", "".join(shown))

    def flush(self) -> str:
        """At stream end: an unterminated section is still parsed; a held-back prefix is text."""
        rest, self._pending = self._pending, ""
        if self._in_section:
            self.sections[-1] += rest
            self._in_section = False
            return ""
        return _SPECIAL_TOKEN.sub("", rest)


_SPECIAL_TOKENS = (
    SECTION_BEGIN,
    SECTION_END,
    "<|tool_call_begin|>",
    "<|tool_call_argument_begin|>",
    "<|tool_call_end|>",
)
_LONGEST_TOKEN = max(map(len, _SPECIAL_TOKENS))


def _partial_special_suffix(text: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of a special token."""
    for size in range(min(_LONGEST_TOKEN - 1, len(text)), 0, -1):
        tail = text[-size:]
        if any(token.startswith(tail) for token in _SPECIAL_TOKENS):
            return size
    return 0


def parse_native_tool_calls(section: str, first_index: int) -> list[ToolCall]:
    calls = []
    for offset, match in enumerate(_NATIVE_CALL.finditer(section)):
        call_id = match.group("id").strip()
        # "functions.NAME:IDX" -> NAME
        name = call_id.split(".", 1)[-1].rsplit(":", 1)[0]
        calls.append(
            ToolCall(
                id=call_id,
                name=name,
                arguments=match.group("args").strip(),
                index=first_index + offset,
            )
        )
    return calls


@dataclass
class _CallParts:
    index: int
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class StreamAccumulator:
    """Turns one response's chunks into events, and finally into an :class:`AssistantTurn`."""

    def __init__(self, step: int = 1) -> None:
        self.step = step
        self.done = False
        self._reasoning: list[str] = []
        self._reasoning_field: str | None = None
        self._details: dict[tuple[int, str], dict[str, Any]] = {}
        self._content: list[str] = []
        self._calls: dict[int, _CallParts] = {}
        self._usage: Usage | None = None
        self._finish_reason: str | None = None
        self._reasoning_filter = _NativeTokenFilter()
        self._content_filter = _NativeTokenFilter()
        self.chunks = 0

    # -- feeding -------------------------------------------------------------------------
    def feed_data(self, data: str) -> list[Event]:
        """Feed one SSE ``data`` payload (JSON text or ``[DONE]``)."""
        if data.strip() == SSE_DONE:
            self.done = True
            return []
        try:
            chunk = json.loads(data)
        except ValueError:
            raise IncompleteStream("the stream broke off mid-event (malformed JSON); retrying the step") from None
        return self.feed(chunk)

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        self.chunks += 1
        events: list[Event] = []
        usage = chunk.get("usage")
        if usage:
            self._usage = Usage.from_payload(usage)
        for choice in chunk.get("choices") or ():
            if choice.get("usage"):  # Moonshot puts usage inside the final choice
                self._usage = Usage.from_payload(choice["usage"])
            if choice.get("finish_reason"):
                self._finish_reason = choice["finish_reason"]
            delta = choice.get("delta") or {}
            self._feed_reasoning(delta, events)
            text = delta.get("content")
            if text:
                shown = self._content_filter.feed(text)
                self._content.append(shown)
                if shown:
                    events.append(ContentDelta(self.step, shown))
            for fragment in delta.get("tool_calls") or ():
                self._feed_tool_fragment(fragment, events)
        return events

    def _feed_reasoning(self, delta: dict[str, Any], events: list[Event]) -> None:
        text: str | None = None
        for name in ("reasoning_content", "reasoning"):
            value = delta.get(name)
            if isinstance(value, str):
                # Remember the dialect even from an empty string: it is where the echo goes.
                self._reasoning_field = self._reasoning_field or name
                if text is None:
                    text = value
        details = delta.get("reasoning_details")
        if isinstance(details, list) and details:
            detail_text = self._merge_details(details)
            if text is None:
                text = detail_text
        if text:
            shown = self._reasoning_filter.feed(text)
            self._reasoning.append(shown)
            if shown:
                events.append(ReasoningDelta(self.step, shown))

    def _merge_details(self, details: list[Any]) -> str:
        texts = []
        for detail in details:
            if not isinstance(detail, dict):
                continue
            key = (int(detail.get("index") or 0), str(detail.get("type") or "reasoning.text"))
            merged = self._details.setdefault(key, {k: v for k, v in detail.items() if k not in ("text", "summary")})
            for part in ("text", "summary"):
                piece = detail.get(part)
                if isinstance(piece, str):
                    merged[part] = merged.get(part, "") + piece
                    texts.append(piece)
            for k, v in detail.items():  # signatures and ids usually arrive on the last fragment
                if k not in ("text", "summary") and v is not None:
                    merged[k] = v
        return "".join(texts)

    def _feed_tool_fragment(self, fragment: dict[str, Any], events: list[Event]) -> None:
        index = fragment.get("index")
        if index is None:  # a few servers omit it: match by id; no id continues the last call
            if fragment.get("id"):
                index = next((i for i, c in self._calls.items() if c.id == fragment["id"]), len(self._calls))
            else:
                index = max(self._calls, default=0)
        parts = self._calls.get(index)
        first = parts is None
        if parts is None:
            parts = self._calls[index] = _CallParts(index=index)
        if fragment.get("id") and not parts.id:
            parts.id = fragment["id"]
        function = fragment.get("function") or {}
        if function.get("name") and not parts.name:
            parts.name = function["name"]
        arguments = function.get("arguments") or ""
        if arguments:
            parts.arguments.append(arguments)
        if first or arguments:
            events.append(ToolCallDelta(self.step, index, arguments, name=parts.name if first else None))

    # -- finishing -----------------------------------------------------------------------
    def finish(self, *, require_done: bool = True) -> tuple[AssistantTurn, list[Event]]:
        """The complete turn, plus events for any text held back by the token filter."""
        if require_done and not self.done:
            raise IncompleteStream("the stream ended before [DONE] (connection cut or server error); retrying the step")
        events: list[Event] = []
        tail = self._reasoning_filter.flush()
        if tail:
            self._reasoning.append(tail)
            events.append(ReasoningDelta(self.step, tail))
        tail = self._content_filter.flush()
        if tail:
            self._content.append(tail)
            events.append(ContentDelta(self.step, tail))

        calls = [
            ToolCall(
                id=p.id or f"call_{p.index}",
                name=p.name,
                arguments="".join(p.arguments),
                index=p.index,
            )
            for p in sorted(self._calls.values(), key=lambda p: p.index)
        ]
        next_index = (calls[-1].index + 1) if calls else 0
        for section in self._reasoning_filter.sections + self._content_filter.sections:
            leaked = parse_native_tool_calls(section, next_index)
            calls.extend(leaked)
            next_index += len(leaked)

        details = tuple(self._details[k] for k in sorted(self._details)) or None
        turn = AssistantTurn(
            reasoning="".join(self._reasoning),
            reasoning_field=self._reasoning_field,
            reasoning_details=details,
            content="".join(self._content),
            tool_calls=tuple(calls),
            usage=self._usage,
            finish_reason=self._finish_reason,
        )
        return turn, events
