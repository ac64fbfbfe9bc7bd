"""Turn one assistant response into the ``chat.completion.chunk`` dicts a provider would stream.

Pure: no I/O. Each dialect reproduces the quirks of a real K2 host (see shared/k2-protocol.md):
where reasoning goes, how tool-call ids look, and where usage is placed. The server streams
these dicts as SSE; tests reassemble them by plain concatenation.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from ..core.tokens import CHARS_PER_TOKEN, text_tokens  # the one estimate: the toy's usage counts as the budget does

Dialect = Literal["moonshot", "vllm", "openrouter"]
DIALECTS: tuple[Dialect, ...] = get_args(Dialect)

# K2's native tool-call tokens, as leaked by servers whose tool parser is off or broken.
SECTION_BEGIN = "<|tool_calls_section_begin|>"
SECTION_END = "<|tool_calls_section_end|>"
CALL_BEGIN = "<|tool_call_begin|>"
ARGUMENT_BEGIN = "<|tool_call_argument_begin|>"
CALL_END = "<|tool_call_end|>"
_SPECIAL_TOKEN = re.compile(r"<\|[a-z_]+\|>")


@dataclass(frozen=True)
class ToolCallSpec:
    """One tool call the model makes."""

    name: str
    arguments: str  # the exact JSON text the model emits (may be deliberately invalid)
    id: str | None = None  # None: generated in the dialect's style


@dataclass(frozen=True)
class Turn:
    """One assistant response."""

    reasoning: str = ""
    content: str = ""
    tool_calls: tuple[ToolCallSpec, ...] = ()
    leak_native_tool_tokens: bool = False
    finish_reason: str | None = None  # None: "tool_calls" if structured calls are sent, else "stop"
    empty_reasoning: bool = False  # with reasoning "": send the field as an empty string rather than leave it out


@dataclass(frozen=True)
class ResolvedCall:
    """A tool call with its final id and its position in the turn."""

    index: int
    id: str
    name: str
    arguments: str


def call_id(name: str, idx: int, dialect: Dialect) -> str:
    """The id a dialect gives the call at conversation-wide position ``idx``: Moonshot's ``NAME:IDX``, and the
    raw K2 ``functions.NAME:IDX`` that vLLM's kimi_k2 tool parser and OpenRouter pass through."""
    if dialect == "moonshot":
        return f"{name}:{idx}"
    return f"functions.{name}:{idx}"


def resolve_calls(turn: Turn, dialect: Dialect, call_index_start: int = 0) -> list[ResolvedCall]:
    """Fix the ids once, so streaming and non-streaming replies of one turn agree."""
    return [
        ResolvedCall(
            i,
            spec.id or call_id(spec.name, call_index_start + i, dialect),
            spec.name,
            spec.arguments,
        )
        for i, spec in enumerate(turn.tool_calls)
    ]


def native_tool_text(turn: Turn, call_index_start: int = 0) -> str:
    """The tool calls written in K2's own token syntax (what a leaking server emits)."""
    if not turn.tool_calls:
        return ""
    calls = "".join(
        f"{CALL_BEGIN}{spec.id or f'functions.{spec.name}:{call_index_start + i}'}"
        f"{ARGUMENT_BEGIN}{spec.arguments}{CALL_END}"
        for i, spec in enumerate(turn.tool_calls)
    )
    return f"{SECTION_BEGIN}{calls}{SECTION_END}"


def streamed_reasoning(turn: Turn, call_index_start: int = 0) -> str:
    """The full reasoning text as streamed, including leaked tool tokens."""
    if turn.leak_native_tool_tokens:
        return turn.reasoning + native_tool_text(turn, call_index_start)
    return turn.reasoning


def within(turn: Turn, max_tokens: int | None) -> Turn:
    """The turn as a host ends it at ``max_tokens`` completion tokens: reasoning first, then the answer,
    then whole tool calls; cut short, it finishes with ``"length"``."""
    if not max_tokens or turn.leak_native_tool_tokens:
        return turn
    left = max_tokens
    reasoning = turn.reasoning[: left * CHARS_PER_TOKEN]
    left -= text_tokens(reasoning)
    content = turn.content[: max(left, 0) * CHARS_PER_TOKEN]
    left -= text_tokens(content)
    calls = []
    for call in turn.tool_calls:
        cost = text_tokens(call.name) + text_tokens(call.arguments)
        if cost > left:
            break
        calls.append(call)
        left -= cost
    if (reasoning, content, len(calls)) == (turn.reasoning, turn.content, len(turn.tool_calls)):
        return turn
    return replace(turn, reasoning=reasoning, content=content, tool_calls=tuple(calls), finish_reason="length")


def finish_reason(turn: Turn) -> str:
    if turn.finish_reason is not None:
        return turn.finish_reason
    # A leaking server never parsed the calls, so it reports a plain stop.
    structured = turn.tool_calls and not turn.leak_native_tool_tokens
    return "tool_calls" if structured else "stop"


def split_text(text: str, size: int) -> list[str]:
    """Pieces of about ``size`` characters; special tokens stay whole, as a tokenizer emits them."""
    size = max(1, size)
    pieces: list[str] = []
    pos = 0
    for match in _SPECIAL_TOKEN.finditer(text):
        pieces += _slices(text[pos : match.start()], size)
        pieces.append(match.group())
        pos = match.end()
    pieces += _slices(text[pos:], size)
    return pieces


def _slices(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def usage(
    turn: Turn,
    *,
    dialect: Dialect,
    prompt_tokens: int,
    cached_tokens: int = 0,
    call_index_start: int = 0,
    image_tokens: int = 0,
) -> dict[str, Any]:
    """The usage object in the dialect's shape (``prompt_tokens`` includes cached and image ones)."""
    reasoning_tokens = text_tokens(streamed_reasoning(turn, call_index_start))
    completion = reasoning_tokens + text_tokens(turn.content)
    if not turn.leak_native_tool_tokens:
        completion += sum(text_tokens(c.name) + text_tokens(c.arguments) for c in turn.tool_calls)
    out: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
    }
    if dialect == "moonshot":
        out["cached_tokens"] = cached_tokens
    else:
        out["prompt_tokens_details"] = {"cached_tokens": cached_tokens}
    if dialect == "openrouter":
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    if image_tokens:
        out.setdefault("prompt_tokens_details", {})["image_tokens"] = image_tokens
    return out


def reasoning_delta(piece: str, dialect: Dialect) -> dict[str, Any]:
    if dialect == "moonshot":
        return {"reasoning_content": piece}
    if dialect == "vllm":
        return {"reasoning": piece}
    detail = {"type": "reasoning.text", "text": piece, "format": "unknown", "index": 0}
    return {"reasoning": piece, "reasoning_details": [detail]}


def _call_fragments(call: ResolvedCall, size: int) -> list[dict[str, Any]]:
    head = {
        "index": call.index,
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": ""},
    }
    rest = [{"index": call.index, "function": {"arguments": piece}} for piece in _slices(call.arguments, size)]
    return [head, *rest]


def _interleave(streams: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    # A fault mode: round-robin, every call's header goes out before the earlier calls' argument pieces,
    # so a fragment of index 0 arrives after index 1 started. No known K2 host does this; a client that
    # reads fragments by `index` copes, one that appends to the latest call (kosong) mixes them up.
    out: list[dict[str, Any]] = []
    for step in range(max((len(s) for s in streams), default=0)):
        out += [s[step] for s in streams if step < len(s)]
    return out


def turn_to_chunks(
    turn: Turn,
    *,
    dialect: Dialect,
    model: str,
    prompt_tokens: int,
    cached_tokens: int = 0,
    call_index_start: int = 0,
    fragment_chars: int = 12,
    created: int | None = None,
    include_usage: bool = True,
    calls: list[ResolvedCall] | None = None,
    interleave_calls: bool = False,
    image_tokens: int = 0,
) -> list[dict[str, Any]]:
    """The chunks a ``dialect`` host streams for ``turn``, in order: the calls of a turn one after another,
    as every known K2 host streams them (``interleave_calls``: the fault mode).

    ``include_usage=False`` drops the separate usage chunk (vLLM/OpenRouter without
    ``stream_options.include_usage``); Moonshot always reports usage in its final chunk.
    ``calls`` lets a caller pass ids it already resolved (streaming and non-streaming replies agree).
    """
    completion_id = f"chatcmpl-{secrets.token_hex(12)}"
    stamp = int(time.time()) if created is None else created

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": stamp,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    reasoning = streamed_reasoning(turn, call_index_start)
    pieces = split_text(reasoning, fragment_chars) or ([""] if turn.empty_reasoning else [])
    chunks += [chunk(reasoning_delta(p, dialect)) for p in pieces]
    chunks += [chunk({"content": p}) for p in _slices(turn.content, fragment_chars)]
    if not turn.leak_native_tool_tokens:
        resolved = calls if calls is not None else resolve_calls(turn, dialect, call_index_start)
        streams = [_call_fragments(c, fragment_chars) for c in resolved]
        fragments = _interleave(streams) if interleave_calls else [f for stream in streams for f in stream]
        chunks += [chunk({"tool_calls": [f]}) for f in fragments]
    final = chunk({}, finish_reason(turn))
    chunks.append(final)
    used = usage(
        turn,
        dialect=dialect,
        prompt_tokens=prompt_tokens,
        cached_tokens=cached_tokens,
        call_index_start=call_index_start,
        image_tokens=image_tokens,
    )
    if dialect == "moonshot":
        final["choices"][0]["usage"] = used
    elif include_usage:
        tail = chunk({})
        tail["choices"] = []
        tail["usage"] = used
        chunks.append(tail)
    return chunks


def turn_to_completion(
    turn: Turn,
    *,
    dialect: Dialect,
    model: str,
    prompt_tokens: int,
    cached_tokens: int = 0,
    call_index_start: int = 0,
    created: int | None = None,
    calls: list[ResolvedCall] | None = None,
    image_tokens: int = 0,
) -> dict[str, Any]:
    """The non-streaming ``chat.completion`` object for ``turn``."""
    message: dict[str, Any] = {"role": "assistant", "content": turn.content}
    reasoning = streamed_reasoning(turn, call_index_start)
    if dialect == "moonshot":
        message["reasoning_content"] = reasoning
    else:
        message["reasoning"] = reasoning
    if dialect == "openrouter" and reasoning:
        message["reasoning_details"] = [{"type": "reasoning.text", "text": reasoning, "format": "unknown", "index": 0}]
    if turn.tool_calls and not turn.leak_native_tool_tokens:
        resolved = calls if calls is not None else resolve_calls(turn, dialect, call_index_start)
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in resolved
        ]
    return {
        "id": f"chatcmpl-{secrets.token_hex(12)}",
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(turn)}],
        "usage": usage(
            turn,
            dialect=dialect,
            prompt_tokens=prompt_tokens,
            cached_tokens=cached_tokens,
            call_index_start=call_index_start,
            image_tokens=image_tokens,
        ),
    }
