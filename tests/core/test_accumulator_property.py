"""k2nb/core/accumulator.py, a property: however a valid stream is cut into deltas and fragments, the
result is the same.

The same logical response is streamed once with every text whole, and once with reasoning and
content cut at random points and tool-call fragments split and randomly interleaved across
indices (per-index order kept, as servers do). Both must give an identical AssistantTurn and
identical concatenated event text.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from k2nb.core.accumulator import SECTION_BEGIN, SECTION_END, StreamAccumulator
from k2nb.core.events import ContentDelta, Event, ReasoningDelta, ToolCallDelta
from k2nb.core.turn import AssistantTurn

# No '_' in the alphabet: random text can hold '<', '|', '>' (marker look-alikes) but can never
# spell a real special token, so only the leaked sections we insert are K2 syntax.
TEXT = st.text(alphabet=st.sampled_from(list('ab <|>{}"\\\nxé:.')), max_size=30)
ARGS = st.text(alphabet=st.sampled_from(list('{}[]":, 0123abc\\\n')), max_size=25)
DIALECTS = ("moonshot", "vllm", "openrouter", "details_only")


def reasoning_delta(piece: str, dialect: str) -> dict[str, Any]:
    detail = {"type": "reasoning.text", "text": piece, "format": "unknown", "index": 0}
    if dialect == "moonshot":
        return {"reasoning_content": piece}
    if dialect == "vllm":
        return {"reasoning": piece}
    if dialect == "openrouter":
        return {"reasoning": piece, "reasoning_details": [detail]}
    return {"reasoning_details": [detail]}


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def leaked_section(calls: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<|tool_call_begin|>functions.{name}:{i}<|tool_call_argument_begin|>{args}<|tool_call_end|>"
        for i, (name, args) in enumerate(calls)
    )
    return SECTION_BEGIN + body + SECTION_END


@st.composite
def responses(draw: st.DrawFn) -> dict[str, Any]:
    dialect = draw(st.sampled_from(DIALECTS))
    reasoning = draw(TEXT)
    content = draw(TEXT)
    leak_into = draw(st.sampled_from([None, "reasoning", "content"]))
    if leak_into:
        leaked = draw(st.lists(st.tuples(st.sampled_from(["echo", "run_code"]), ARGS), min_size=1, max_size=2))
        text = reasoning if leak_into == "reasoning" else content
        at = draw(st.integers(0, len(text)))
        text = text[:at] + leaked_section(leaked) + text[at:]
        if leak_into == "reasoning":
            reasoning = text
        else:
            content = text
    calls = draw(
        st.lists(
            st.tuples(st.sampled_from(["echo", "code_interpreter", "lookup"]), ARGS),
            max_size=3,
        )
    )
    return {
        "dialect": dialect,
        "reasoning": reasoning,
        "content": content,
        "calls": [(f"{name}:{i}", name, args) for i, (name, args) in enumerate(calls)],
        "usage": draw(st.sampled_from(["chunk", "choice", None])),
        "finish": "tool_calls" if calls else draw(st.sampled_from(["stop", "length"])),
    }


def cut(draw: st.DrawFn, text: str) -> list[str]:
    """Random pieces (possibly empty) that concatenate to ``text``."""
    points = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    bounds = [0, *points, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def header(index: int, call_id: str, name: str, args: str) -> dict[str, Any]:
    return {"index": index, "id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def tail(response: dict[str, Any]) -> list[dict[str, Any]]:
    usage = {
        "prompt_tokens": 50,
        "completion_tokens": 20,
        "cached_tokens": 10,
        "completion_tokens_details": {"reasoning_tokens": 7},
    }
    final = chunk({}, response["finish"])
    if response["usage"] == "choice":
        final["choices"][0]["usage"] = usage
    chunks = [final]
    if response["usage"] == "chunk":
        chunks.append({"choices": [], "usage": usage})
    return chunks


def whole_stream(response: dict[str, Any]) -> list[dict[str, Any]]:
    chunks = [chunk({"role": "assistant", "content": ""})]
    if response["reasoning"]:
        chunks.append(chunk(reasoning_delta(response["reasoning"], response["dialect"])))
    if response["content"]:
        chunks.append(chunk({"content": response["content"]}))
    chunks += [
        chunk({"tool_calls": [header(i, cid, name, args)]}) for i, (cid, name, args) in enumerate(response["calls"])
    ]
    return chunks + tail(response)


def split_stream(draw: st.DrawFn, response: dict[str, Any]) -> list[dict[str, Any]]:
    chunks = [chunk({"role": "assistant", "content": ""})]
    if response["reasoning"]:
        chunks += [chunk(reasoning_delta(p, response["dialect"])) for p in cut(draw, response["reasoning"])]
    if response["content"]:
        chunks += [chunk({"content": p}) for p in cut(draw, response["content"])]
    # Per call: a header (maybe with a first piece of arguments), then argument pieces.
    queues: list[list[dict[str, Any]]] = []
    for i, (cid, name, args) in enumerate(response["calls"]):
        pieces = cut(draw, args)
        queue = [header(i, cid, name, pieces[0])]
        queue += [{"index": i, "function": {"arguments": p}} for p in pieces[1:]]
        queues.append(queue)
    # A random interleaving of the queues that keeps each call's own order.
    fragments: list[dict[str, Any]] = []
    while any(queues):
        live = [q for q in queues if q]
        fragments.append(draw(st.sampled_from(live)).pop(0))
    # Several fragments may share one chunk.
    while fragments:
        size = draw(st.integers(1, 3))
        chunks.append(chunk({"tool_calls": fragments[:size]}))
        fragments = fragments[size:]
    return chunks + tail(response)


def run(chunks: list[dict[str, Any]]) -> tuple[AssistantTurn, dict[str, Any]]:
    acc = StreamAccumulator()
    events: list[Event] = []
    for c in chunks:
        events += acc.feed_data(json.dumps(c))
    events += acc.feed_data("[DONE]")
    turn, rest = acc.finish()
    events += rest
    args: dict[int, str] = {}
    names: dict[int, str] = {}
    for e in events:
        if isinstance(e, ToolCallDelta):
            args[e.index] = args.get(e.index, "") + e.arguments
            if e.name:
                names[e.index] = e.name
    seen = {
        "reasoning": "".join(e.text for e in events if isinstance(e, ReasoningDelta)),
        "content": "".join(e.text for e in events if isinstance(e, ContentDelta)),
        "arguments": args,
        "names": names,
    }
    return turn, seen


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_random_splits_give_the_same_turn_and_the_same_event_text(data: st.DataObject) -> None:
    response = data.draw(responses())
    whole_turn, whole_seen = run(whole_stream(response))
    split_turn, split_seen = run(data.draw(st.composite(lambda d: split_stream(d, response))()))

    assert split_turn == whole_turn
    assert split_seen == whole_seen
    # and what the user saw is what will be echoed, with no K2 special token in it
    assert split_seen["reasoning"] == split_turn.reasoning
    assert split_seen["content"] == split_turn.content
    assert "<|tool_call" not in split_turn.reasoning + split_turn.content
    first = split_turn.tool_calls[: len(response["calls"])]
    structured = [(c.id, c.name, c.arguments) for c in first]
    assert structured == response["calls"]
    assert split_turn.to_message() == whole_turn.to_message()
