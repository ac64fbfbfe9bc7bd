"""k2nb/core/accumulator.py: the pure K2 stream accumulator, item by item of k2-protocol.md (the SSE decoder:
tests/edge/test_provider.py; the history echo: tests/core/test_turn.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from k2nb.core.accumulator import StreamAccumulator
from k2nb.core.events import ContentDelta, Event, ReasoningDelta, ToolCallDelta
from k2nb.core.turn import ToolCall, Usage
from k2nb.engines.wire import (
    CALL_BEGIN,
    CALL_END,
    SECTION_BEGIN,
    SECTION_END,
    Dialect,
    ToolCallSpec,
    Turn,
    turn_to_chunks,
)
from k2nb.errors import IncompleteStream, TransientError
from tests.harness.stream import MODEL, accumulate, text_of, wire


# -- helpers ------------------------------------------------------------------------------
def chunk(
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    *,
    choice_usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    if choice_usage is not None:
        choice["usage"] = choice_usage
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [choice]}


def usage_chunk(usage: dict[str, Any]) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [], "usage": usage}


def arguments_by_index(events: list[Event]) -> dict[int, str]:
    out: dict[int, str] = {}
    for e in events:
        if isinstance(e, ToolCallDelta):
            out[e.index] = out.get(e.index, "") + e.arguments
    return out


def native(*calls: tuple[str, str]) -> str:
    """A leaked tool-call section in K2's own token syntax."""
    body = "".join(f"{CALL_BEGIN}{cid}<|tool_call_argument_begin|>{args}{CALL_END}" for cid, args in calls)
    return f"{SECTION_BEGIN}{body}{SECTION_END}"


# -- reasoning dialects -------------------------------------------------------------------
REASONING = "The user wants 2+2.\nThat is 4; no tool needed. <b>not html</b>"
ANSWER = "The answer is **4**."


@pytest.mark.parametrize(
    ("dialect", "field"),
    [("moonshot", "reasoning_content"), ("vllm", "reasoning"), ("openrouter", "reasoning")],
)
def test_each_reasoning_dialect_is_read_in_full(dialect: Dialect, field: str) -> None:
    turn, events = accumulate(wire(Turn(reasoning=REASONING, content=ANSWER), dialect))

    assert turn.reasoning == REASONING
    assert turn.content == ANSWER
    assert turn.reasoning_field == field
    assert text_of(events, ReasoningDelta) == REASONING
    assert text_of(events, ContentDelta) == ANSWER
    assert turn.finish_reason == "stop"
    # reasoning streams before content, as the server sent it
    kinds = [type(e) for e in events]
    assert kinds.index(ContentDelta) > max(i for i, k in enumerate(kinds) if k is ReasoningDelta)


def test_openrouter_reasoning_plus_details_does_not_duplicate_text() -> None:
    """OpenRouter sends the same piece in `reasoning` and `reasoning_details[]`."""
    turn, events = accumulate(wire(Turn(reasoning=REASONING, content=ANSWER), "openrouter"))

    assert turn.reasoning == REASONING  # not REASONING twice
    assert text_of(events, ReasoningDelta) == REASONING
    assert turn.reasoning_details == ({"type": "reasoning.text", "text": REASONING, "format": "unknown", "index": 0},)


def test_reasoning_details_alone_supply_the_text_and_are_merged_per_index_and_type() -> None:
    chunks = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"reasoning_details": [{"type": "reasoning.text", "text": "Let me ", "index": 0}]}),
        chunk({"reasoning_details": [{"type": "reasoning.text", "text": "think.", "index": 0, "signature": "sig-1"}]}),
        chunk({"reasoning_details": [{"type": "reasoning.summary", "summary": "S", "index": 1}]}),
        chunk({"content": "Done."}),
        chunk({}, "stop"),
    ]
    turn, events = accumulate(chunks)

    assert turn.reasoning == "Let me think.S"
    assert text_of(events, ReasoningDelta) == "Let me think.S"
    assert turn.reasoning_field is None
    assert turn.reasoning_details == (
        {"type": "reasoning.text", "index": 0, "text": "Let me think.", "signature": "sig-1"},
        {"type": "reasoning.summary", "index": 1, "summary": "S"},
    )


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_empty_string_reasoning_is_echoed_as_an_empty_string(field: str) -> None:
    """`"reasoning_content": ""` is not the same as no reasoning field: it says where to echo, and "" stays ""
    (kosong echoes it so; preserved-thinking servers want the field on every assistant turn)."""
    chunks = [
        chunk({"role": "assistant", "content": "", field: ""}),
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "c1", "type": "function", "function": {"name": "echo", "arguments": "{}"}}
                ]
            }
        ),
        chunk({}, "tool_calls"),
    ]
    turn, events = accumulate(chunks)

    assert turn.reasoning == ""
    assert turn.reasoning_field == field
    assert not [e for e in events if isinstance(e, ReasoningDelta)]  # nothing empty is emitted
    message = turn.to_message()
    assert message[field] == ""
    other = {"reasoning_content", "reasoning"} - {field}
    assert not other & message.keys()


def test_absent_reasoning_leaves_the_dialect_unknown() -> None:
    turn, _ = accumulate([chunk({"role": "assistant", "content": "hi"}), chunk({}, "stop")])
    assert turn.reasoning_field is None
    assert turn.to_message() == {"role": "assistant", "content": "hi"}


def test_null_reasoning_content_next_to_reasoning_picks_the_string_field() -> None:
    """vLLM versions in transition send both keys, one of them null."""
    chunks = [
        chunk({"reasoning_content": None, "reasoning": "abc"}),
        chunk({"reasoning_content": None, "reasoning": "def"}),
        chunk({"content": "x"}, "stop"),
    ]
    turn, _ = accumulate(chunks)
    assert (turn.reasoning, turn.reasoning_field) == ("abcdef", "reasoning")


def test_events_carry_the_step_number() -> None:
    _, events = accumulate(wire(Turn(reasoning="r", content="c"), "moonshot"), step=7)
    assert events
    assert {e.step for e in events if isinstance(e, ReasoningDelta | ContentDelta)} == {7}


# -- tool-call fragments ------------------------------------------------------------------
TRICKY_ARGS = '{"code": "print(\\"héllo\\")\\nx = {1: [2, 3]}",  "n" : 1.50 }'


def test_interleaved_tool_call_fragments_are_accumulated_by_index() -> None:
    calls = (
        ToolCallSpec("code_interpreter", TRICKY_ARGS, id="functions.code_interpreter:0"),
        ToolCallSpec("echo", '{"text": "second call"}', id="functions.echo:1"),
    )
    chunks = wire(Turn(reasoning="two calls", tool_calls=calls), "openrouter", fragment_chars=4, interleave_calls=True)
    order = [f["index"] for c in chunks for ch in c["choices"] for f in ch["delta"].get("tool_calls") or ()]
    # the fault mode really interleaves: an index-0 fragment arrives after index 1 started
    assert order.index(1) < len(order) - 1 - order[::-1].index(0)

    turn, events = accumulate(chunks)

    assert turn.tool_calls == (
        ToolCall("functions.code_interpreter:0", "code_interpreter", TRICKY_ARGS, 0),
        ToolCall("functions.echo:1", "echo", '{"text": "second call"}', 1),
    )
    assert arguments_by_index(events) == {0: TRICKY_ARGS, 1: '{"text": "second call"}'}
    named = [(e.index, e.name) for e in events if isinstance(e, ToolCallDelta) and e.name]
    assert named == [(0, "code_interpreter"), (1, "echo")]  # the name once per call


def test_arguments_split_one_character_per_fragment_are_byte_identical() -> None:
    call = ToolCallSpec("code_interpreter", TRICKY_ARGS, id="code_interpreter:0")
    turn, events = accumulate(wire(Turn(tool_calls=(call,)), "moonshot", fragment_chars=1))
    assert turn.tool_calls[0].arguments == TRICKY_ARGS
    assert turn.tool_calls[0].id == "code_interpreter:0"
    assert sum(isinstance(e, ToolCallDelta) for e in events) == len(TRICKY_ARGS) + 1


def test_fragments_of_an_earlier_index_after_a_later_one_started() -> None:
    def frag(index: int, **rest: Any) -> dict[str, Any]:
        return chunk({"tool_calls": [{"index": index, **rest}]})

    chunks = [
        frag(1, id="b", type="function", function={"name": "echo", "arguments": '{"te'}),
        frag(0, id="a", type="function", function={"name": "echo", "arguments": '{"text"'}),
        frag(1, function={"arguments": 'xt": "B"}'}),
        frag(0, function={"arguments": ': "A"}'}),
        chunk({}, "tool_calls"),
    ]
    turn, _ = accumulate(chunks)
    assert [(c.index, c.id, c.arguments) for c in turn.tool_calls] == [
        (0, "a", '{"text": "A"}'),
        (1, "b", '{"text": "B"}'),
    ]


def test_whole_calls_without_index_become_separate_calls_in_order() -> None:
    def whole(call_id: str, args: str) -> dict[str, Any]:
        return {"id": call_id, "type": "function", "function": {"name": "echo", "arguments": args}}

    chunks = [
        chunk({"tool_calls": [whole("x1", '{"text": "a"}')]}),
        chunk({"tool_calls": [whole("x2", '{"text": "b"}')]}),
        chunk({}, "tool_calls"),
    ]
    turn, _ = accumulate(chunks)
    assert [(c.id, c.arguments) for c in turn.tool_calls] == [
        ("x1", '{"text": "a"}'),
        ("x2", '{"text": "b"}'),
    ]


def test_fragments_without_index_are_matched_by_id() -> None:
    chunks = [
        chunk(
            {"tool_calls": [{"id": "x1", "type": "function", "function": {"name": "echo", "arguments": '{"text": '}}]}
        ),
        chunk({"tool_calls": [{"id": "x1", "function": {"arguments": '"a"}'}}]}),
        chunk({}, "tool_calls"),
    ]
    turn, _ = accumulate(chunks)
    assert turn.tool_calls == (ToolCall("x1", "echo", '{"text": "a"}', 0),)


def test_continuation_fragments_without_index_or_id_extend_the_current_call() -> None:
    chunks = [
        chunk({"tool_calls": [{"id": "x1", "type": "function", "function": {"name": "echo", "arguments": ""}}]}),
        chunk({"tool_calls": [{"function": {"arguments": '{"text":'}}]}),
        chunk({"tool_calls": [{"function": {"arguments": ' "hi"}'}}]}),
        chunk({}, "tool_calls"),
    ]
    turn, _ = accumulate(chunks)
    assert turn.tool_calls == (ToolCall("x1", "echo", '{"text": "hi"}', 0),)


def test_tool_turn_is_decided_by_calls_not_finish_reason() -> None:
    """Engines differ: some say `stop` on a tool turn."""
    call = ToolCallSpec("echo", '{"text": "a"}', id="echo:0")
    turn, _ = accumulate(wire(Turn(tool_calls=(call,), finish_reason="stop"), "moonshot"))
    assert turn.finish_reason == "stop"
    assert turn.tool_calls and not turn.is_empty


def test_reasoning_only_turn_is_empty() -> None:
    turn, _ = accumulate(wire(Turn(reasoning="hmm", finish_reason="length"), "moonshot"))
    assert turn.is_empty
    assert turn.finish_reason == "length"
    assert not accumulate(wire(Turn(content=" ok "), "moonshot"))[0].is_empty


# -- usage ----------------------------------------------------------------------------------
def test_usage_in_chunk_and_in_the_final_choice_read_the_same() -> None:
    payload = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150, "cached_tokens": 100}
    top, _ = accumulate([chunk({"content": "a"}, "stop"), usage_chunk(payload)])
    inner, _ = accumulate([chunk({"content": "a"}, "stop", choice_usage=payload)])
    assert top.usage == inner.usage == Usage(120, 30, 100, 0)


@pytest.mark.parametrize(
    "payload",
    [
        {"prompt_tokens": 1000, "completion_tokens": 50, "cached_tokens": 768},
        {"prompt_tokens": 1000, "completion_tokens": 50, "prompt_tokens_details": {"cached_tokens": 768}},
    ],
    ids=["moonshot-cached_tokens", "openai-prompt_tokens_details"],
)
def test_cached_tokens_in_both_spellings(payload: dict[str, Any]) -> None:
    turn, _ = accumulate([chunk({"content": "a"}, "stop"), usage_chunk(payload)])
    assert turn.usage == Usage(prompt_tokens=1000, completion_tokens=50, cached_tokens=768)


def test_reasoning_tokens_from_completion_tokens_details() -> None:
    payload = {"prompt_tokens": 10, "completion_tokens": 90, "completion_tokens_details": {"reasoning_tokens": 80}}
    turn, _ = accumulate([chunk({"content": "a"}, "stop"), usage_chunk(payload)])
    assert turn.usage is not None
    assert turn.usage.reasoning_tokens == 80


@pytest.mark.parametrize("dialect", ["moonshot", "vllm", "openrouter"])
def test_usage_of_each_dialect(dialect: Dialect) -> None:
    turn, _ = accumulate(
        turn_to_chunks(
            Turn(reasoning="abcdefgh", content="abcd"),
            dialect=dialect,
            model=MODEL,
            prompt_tokens=500,
            cached_tokens=256,
        )
    )
    assert turn.usage is not None
    assert (turn.usage.prompt_tokens, turn.usage.cached_tokens) == (500, 256)
    assert turn.usage.completion_tokens == 3  # 8 chars reasoning + 4 chars answer, ~4 per token
    assert turn.usage.reasoning_tokens == (2 if dialect == "openrouter" else 0)


def test_usage_sums() -> None:
    assert Usage(1, 2, 3, 4) + Usage(10, 20, 30, 40) == Usage(11, 22, 33, 44)


# -- [DONE] ----------------------------------------------------------------------------------
def test_a_stream_without_done_is_incomplete_whatever_finish_reason_said() -> None:
    acc = StreamAccumulator()
    for c in wire(Turn(reasoning="r", content="complete-looking answer"), "vllm"):
        acc.feed_data(json.dumps(c))
    with pytest.raises(IncompleteStream) as info:
        acc.finish()
    assert isinstance(info.value, TransientError)  # the agent retries it
    assert "[DONE]" in str(info.value)


def test_a_cut_stream_brings_no_usage() -> None:
    acc = StreamAccumulator()
    for c in wire(Turn(reasoning="r", content="answer"), "vllm")[:3]:
        acc.feed_data(json.dumps(c))
    turn, _ = acc.finish(require_done=False)
    assert turn.usage is None


def test_done_is_recognised_with_surrounding_whitespace() -> None:
    acc = StreamAccumulator()
    assert acc.feed_data(" [DONE]\n") == []
    assert acc.done


# -- leaked native tool-call tokens ----------------------------------------------------------
LEAK_ARGS = '{"code": "print(1 < 2)"}'
LEAKED = native(("functions.code_interpreter:0", LEAK_ARGS))


@pytest.mark.parametrize("where", ["reasoning_content", "content"])
def test_leaked_tool_tokens_split_at_every_point_are_parsed_and_never_shown(where: str) -> None:
    before, after = "Let me check <this>. ", " Then answer."
    full = before + LEAKED + after
    expected_call = ToolCall("functions.code_interpreter:0", "code_interpreter", LEAK_ARGS, 0)
    for cut in range(len(full) + 1):
        chunks = [chunk({where: full[:cut]}), chunk({where: full[cut:]}), chunk({}, "stop")]
        turn, events = accumulate(chunks)
        shown = text_of(events, ReasoningDelta if where == "reasoning_content" else ContentDelta)
        visible = turn.reasoning if where == "reasoning_content" else turn.content
        assert shown == visible == before + after, f"split at {cut}"
        assert turn.tool_calls == (expected_call,), f"split at {cut}"


def test_leaked_tool_tokens_fed_one_character_at_a_time() -> None:
    full = "ok " + native(("functions.echo:0", '{"text": "a"}'), ("functions.echo:1", "{}")) + "!"
    chunks = [chunk({"content": ch}) for ch in full] + [chunk({}, "stop")]
    turn, events = accumulate(chunks)
    assert text_of(events, ContentDelta) == turn.content == "ok !"
    assert [(c.id, c.name, c.arguments, c.index) for c in turn.tool_calls] == [
        ("functions.echo:0", "echo", '{"text": "a"}', 0),
        ("functions.echo:1", "echo", "{}", 1),
    ]


def test_leak_from_the_wire_engine_in_reasoning() -> None:
    turn_in = Turn(
        reasoning="I will run code.",
        tool_calls=(ToolCallSpec("code_interpreter", LEAK_ARGS),),
        leak_native_tool_tokens=True,
    )
    turn, events = accumulate(wire(turn_in, "vllm", call_index_start=3))
    assert turn.reasoning == text_of(events, ReasoningDelta) == "I will run code."
    assert turn.tool_calls == (ToolCall("functions.code_interpreter:3", "code_interpreter", LEAK_ARGS, 0),)
    assert "<|" not in json.dumps(turn.to_message())


def test_moonshot_style_leaked_id_gives_the_name() -> None:
    turn, _ = accumulate([chunk({"content": native(("echo:4", "{}"))}), chunk({}, "stop")])
    assert turn.tool_calls == (ToolCall("echo:4", "echo", "{}", 0),)


def test_leaked_calls_are_numbered_after_structured_ones() -> None:
    chunks = [
        chunk({"reasoning_content": "r" + native(("functions.echo:1", '{"text": "n"}'))}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "echo:0",
                        "type": "function",
                        "function": {"name": "echo", "arguments": '{"text": "s"}'},
                    }
                ]
            }
        ),
        chunk({}, "tool_calls"),
    ]
    turn, _ = accumulate(chunks)
    assert [(c.index, c.id) for c in turn.tool_calls] == [(0, "echo:0"), (1, "functions.echo:1")]


def test_unterminated_leaked_section_is_still_parsed_and_hidden() -> None:
    text = "go " + SECTION_BEGIN + CALL_BEGIN + "functions.echo:0<|tool_call_argument_begin|>{}"
    text += CALL_END
    turn, events = accumulate([chunk({"content": text}), chunk({}, "stop")])
    assert text_of(events, ContentDelta) == turn.content == "go "
    assert turn.tool_calls == (ToolCall("functions.echo:0", "echo", "{}", 0),)


@pytest.mark.parametrize("text", ["if a < b:", "x <", "x <|", "<|tool_calls_sect", "a <| b |> c"])
def test_text_that_only_looks_like_a_marker_is_shown_exactly(text: str) -> None:
    for cut in range(len(text) + 1):
        chunks = [chunk({"content": text[:cut]}), chunk({"content": text[cut:]}), chunk({}, "stop")]
        turn, events = accumulate(chunks)
        assert text_of(events, ContentDelta) == turn.content == text, f"split at {cut}"
        assert turn.tool_calls == ()


def test_a_stray_special_token_is_not_shown() -> None:
    turn, events = accumulate([chunk({"content": "a <|tool_call_end|> b"}), chunk({}, "stop")])
    assert text_of(events, ContentDelta) == turn.content == "a  b"


def test_a_stray_special_token_split_across_deltas_is_not_shown() -> None:
    text = "a <|tool_call_end|> b"
    for cut in range(len(text) + 1):
        chunks = [chunk({"content": text[:cut]}), chunk({"content": text[cut:]}), chunk({}, "stop")]
        turn, events = accumulate(chunks)
        assert text_of(events, ContentDelta) == turn.content == "a  b", f"split at {cut}"
