"""k2nb/engines/wire.py: the chunks each dialect streams for a turn: reassembly, ids, usage placement,
fragments, leaks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from k2nb.core.tokens import text_tokens as count_tokens  # the one estimate the toy's usage uses
from k2nb.engines.wire import (
    DIALECTS,
    Dialect,
    ToolCallSpec,
    Turn,
    split_text,
    turn_to_chunks,
    turn_to_completion,
    within,
)

ARGS_A = json.dumps({"code": "import math\nprint(f'RESULT value={math.factorial(30)}')\n" * 3})
ARGS_B = json.dumps({"code": "print('second call, also long enough to be split many times')"})
TURN = Turn(
    reasoning="Let me think about this step by step. First the factorial, then a check.",
    content="I'll run two snippets.",
    tool_calls=(ToolCallSpec("code_interpreter", ARGS_A), ToolCallSpec("code_interpreter", ARGS_B)),
)
REASONING_FIELD = {"moonshot": "reasoning_content", "vllm": "reasoning", "openrouter": "reasoning"}


def reassemble(chunks: list[dict[str, Any]], dialect: Dialect) -> dict[str, Any]:
    """What a client rebuilds by plain concatenation."""
    out: dict[str, Any] = {"reasoning": "", "details": "", "content": "", "calls": {}, "finish": None, "usage": None}
    for chunk in chunks:
        if chunk.get("usage"):
            out["usage"] = chunk["usage"]
        for choice in chunk["choices"]:
            delta = choice["delta"]
            out["reasoning"] += delta.get(REASONING_FIELD[dialect], "")
            out["details"] += "".join(d["text"] for d in delta.get("reasoning_details", []))
            out["content"] += delta.get("content") or ""
            for frag in delta.get("tool_calls", []):
                call = out["calls"].setdefault(frag["index"], {"id": None, "name": None, "arguments": ""})
                if "id" in frag:
                    call["id"] = frag["id"]
                    call["name"] = frag["function"]["name"]
                call["arguments"] += frag["function"].get("arguments", "")
            if choice.get("usage"):
                out["usage"] = choice["usage"]
            if choice["finish_reason"]:
                out["finish"] = choice["finish_reason"]
    return out


@pytest.mark.parametrize("dialect", DIALECTS)
def test_chunks_reassemble_exactly(dialect: Dialect) -> None:
    chunks = turn_to_chunks(TURN, dialect=dialect, model="m", prompt_tokens=100)
    got = reassemble(chunks, dialect)
    assert got["reasoning"] == TURN.reasoning
    assert got["content"] == TURN.content
    assert [got["calls"][i]["arguments"] for i in (0, 1)] == [ARGS_A, ARGS_B]
    assert [got["calls"][i]["name"] for i in (0, 1)] == ["code_interpreter"] * 2
    assert got["finish"] == "tool_calls"
    if dialect == "openrouter":
        assert got["details"] == TURN.reasoning  # both fields carry the full text


@pytest.mark.parametrize("dialect", DIALECTS)
def test_chunk_envelope_and_order(dialect: Dialect) -> None:
    chunks = turn_to_chunks(TURN, dialect=dialect, model="kimi", prompt_tokens=5, created=123)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["id"].startswith("chatcmpl-")
    for chunk in chunks:
        assert chunk["object"] == "chat.completion.chunk"
        assert chunk["created"] == 123
        assert chunk["model"] == "kimi"
        for choice in chunk["choices"]:
            assert choice["index"] == 0
    kinds: list[str] = []
    for chunk in chunks[1:]:
        delta = chunk["choices"][0]["delta"] if chunk["choices"] else {}
        kind = (
            "reasoning"
            if REASONING_FIELD[dialect] in delta
            else "content"
            if "content" in delta
            else "tools"
            if "tool_calls" in delta
            else "end"
        )
        if not kinds or kinds[-1] != kind:
            kinds.append(kind)
    assert kinds == ["reasoning", "content", "tools", "end"]
    # Several reasoning deltas of about fragment_chars each.
    pieces = [
        c["choices"][0]["delta"][REASONING_FIELD[dialect]]
        for c in chunks
        if c["choices"] and REASONING_FIELD[dialect] in c["choices"][0]["delta"]
    ]
    assert len(pieces) >= 5
    assert all(len(p) <= 12 for p in pieces)


def test_moonshot_ids_count_from_call_index_start() -> None:
    chunks = turn_to_chunks(TURN, dialect="moonshot", model="m", prompt_tokens=1, call_index_start=3)
    calls = reassemble(chunks, "moonshot")["calls"]
    assert [calls[0]["id"], calls[1]["id"]] == ["code_interpreter:3", "code_interpreter:4"]


def test_openrouter_ids_are_raw_k2() -> None:
    chunks = turn_to_chunks(TURN, dialect="openrouter", model="m", prompt_tokens=1, call_index_start=1)
    calls = reassemble(chunks, "openrouter")["calls"]
    assert [calls[0]["id"], calls[1]["id"]] == ["functions.code_interpreter:1", "functions.code_interpreter:2"]


def test_vllm_ids_are_raw_k2_like_its_kimi_k2_tool_parser_returns() -> None:
    chunks = turn_to_chunks(TURN, dialect="vllm", model="m", prompt_tokens=1, call_index_start=2)
    calls = reassemble(chunks, "vllm")["calls"]
    assert [calls[0]["id"], calls[1]["id"]] == ["functions.code_interpreter:2", "functions.code_interpreter:3"]


def test_explicit_id_is_kept() -> None:
    turn = Turn(reasoning="r", tool_calls=(ToolCallSpec("f_x", "{}", id="my-id"),))
    for dialect in DIALECTS:
        assert (
            reassemble(turn_to_chunks(turn, dialect=dialect, model="m", prompt_tokens=1), dialect)["calls"][0]["id"]
            == "my-id"
        )


def _fragments(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for c in chunks if c["choices"] for f in c["choices"][0]["delta"].get("tool_calls", [])]


def test_the_calls_of_a_turn_stream_one_after_another_as_real_hosts_send_them() -> None:
    frags = _fragments(turn_to_chunks(TURN, dialect="moonshot", model="m", prompt_tokens=1))
    heads = [f for f in frags if "id" in f]
    assert all(h["type"] == "function" and h["function"]["arguments"] == "" for h in heads)
    assert sum(1 for f in frags if f["index"] == 0) > 10  # arguments arrive in many pieces
    order = [f["index"] for f in frags]
    assert order == sorted(order)  # every fragment of call 0 before call 1's header


def test_interleaving_is_a_fault_mode() -> None:
    chunks = turn_to_chunks(TURN, dialect="moonshot", model="m", prompt_tokens=1, interleave_calls=True)
    order = [f["index"] for f in _fragments(chunks)]
    assert 0 in order[order.index(1) + 1 :]  # index 0 continues after index 1 started
    assert all(
        len(c["choices"][0]["delta"]["tool_calls"]) == 1
        for c in chunks
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    )
    assert (
        reassemble(chunks, "moonshot")["calls"]
        == reassemble(turn_to_chunks(TURN, dialect="moonshot", model="m", prompt_tokens=1), "moonshot")["calls"]
    )  # the same calls, read by index


def test_the_output_budget_ends_a_turn_with_length() -> None:
    long = Turn(reasoning="r" * 400, content="c" * 400, tool_calls=TURN.tool_calls)
    assert within(long, None) is long and within(long, 10_000) is long
    cut = within(long, 50)  # 200 characters: the reasoning only
    assert (cut.reasoning, cut.content, cut.tool_calls, cut.finish_reason) == ("r" * 200, "", (), "length")
    partway = within(long, 150)  # the reasoning, the answer, not a whole call
    assert (len(partway.reasoning), len(partway.content), partway.tool_calls) == (400, 200, ())
    chunks = turn_to_chunks(cut, dialect="vllm", model="m", prompt_tokens=1)
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["usage"]["completion_tokens"] == 50


def test_usage_placement_moonshot() -> None:
    chunks = turn_to_chunks(TURN, dialect="moonshot", model="m", prompt_tokens=100, cached_tokens=40)
    final = chunks[-1]
    assert final["choices"][0]["finish_reason"] == "tool_calls"
    usage = final["choices"][0]["usage"]
    assert usage["prompt_tokens"] == 100 and usage["cached_tokens"] == 40
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert all("usage" not in c for c in chunks)


@pytest.mark.parametrize("dialect", ["vllm", "openrouter"])
def test_usage_placement_separate_chunk(dialect: Dialect) -> None:
    chunks = turn_to_chunks(TURN, dialect=dialect, model="m", prompt_tokens=100, cached_tokens=40)
    last = chunks[-1]
    assert last["choices"] == []
    assert last["usage"]["prompt_tokens_details"] == {"cached_tokens": 40}
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert all("usage" not in ch for c in chunks for ch in c["choices"])
    reasoning_tokens = last["usage"].get("completion_tokens_details", {}).get("reasoning_tokens")
    assert (reasoning_tokens == count_tokens(TURN.reasoning)) == (dialect == "openrouter")
    without = turn_to_chunks(TURN, dialect=dialect, model="m", prompt_tokens=1, include_usage=False)
    assert all(c["choices"] for c in without)


def test_native_leak_format() -> None:
    turn = Turn(
        reasoning="Need code.",
        tool_calls=(
            ToolCallSpec("code_interpreter", '{"code": "print(1)"}'),
            ToolCallSpec("code_interpreter", '{"code": "print(2)"}'),
        ),
        leak_native_tool_tokens=True,
    )
    chunks = turn_to_chunks(turn, dialect="vllm", model="m", prompt_tokens=1, call_index_start=2)
    got = reassemble(chunks, "vllm")
    assert got["calls"] == {}
    assert got["finish"] == "stop"  # the server never parsed them
    assert got["reasoning"] == (
        "Need code.<|tool_calls_section_begin|>"
        "<|tool_call_begin|>functions.code_interpreter:2<|tool_call_argument_begin|>"
        '{"code": "print(1)"}<|tool_call_end|>'
        "<|tool_call_begin|>functions.code_interpreter:3<|tool_call_argument_begin|>"
        '{"code": "print(2)"}<|tool_call_end|><|tool_calls_section_end|>'
    )
    pieces = [
        c["choices"][0]["delta"]["reasoning"]
        for c in chunks
        if c["choices"] and "reasoning" in c["choices"][0]["delta"]
    ]
    assert "<|tool_call_begin|>" in pieces  # special tokens arrive whole, like real tokens


def test_split_text_keeps_tokens_whole() -> None:
    text = "abcdefghij<|tool_call_end|>xyz"
    assert split_text(text, 4) == ["abcd", "efgh", "ij", "<|tool_call_end|>", "xyz"]
    assert "".join(split_text("x" * 100, 7)) == "x" * 100


def test_finish_reason_override_and_empty_turn() -> None:
    chunks = turn_to_chunks(
        Turn(reasoning="long...", finish_reason="length"), dialect="moonshot", model="m", prompt_tokens=1
    )
    assert reassemble(chunks, "moonshot")["finish"] == "length"
    empty = turn_to_chunks(Turn(), dialect="vllm", model="m", prompt_tokens=1)
    assert reassemble(empty, "vllm")["finish"] == "stop"


def test_count_tokens_is_crude_and_deterministic() -> None:
    assert count_tokens("") == 0
    assert count_tokens("abcd") == 1
    assert count_tokens("a" * 401) == 101
    assert count_tokens("hello world") == count_tokens("hello world")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_completion_object(dialect: Dialect) -> None:
    done = turn_to_completion(TURN, dialect=dialect, model="m", prompt_tokens=10, call_index_start=1)
    message = done["choices"][0]["message"]
    assert done["object"] == "chat.completion"
    assert message[REASONING_FIELD[dialect]] == TURN.reasoning
    assert message["content"] == TURN.content
    assert [c["function"]["arguments"] for c in message["tool_calls"]] == [ARGS_A, ARGS_B]
    assert done["choices"][0]["finish_reason"] == "tool_calls"
    assert done["usage"]["prompt_tokens"] == 10
    if dialect == "moonshot":
        assert message["tool_calls"][0]["id"] == "code_interpreter:1"
    if dialect == "openrouter":
        assert message["reasoning_details"][0]["text"] == TURN.reasoning
