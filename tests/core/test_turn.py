"""k2nb/core/turn.py: the assistant turn echoed into the history exactly as each dialect needs it."""

from __future__ import annotations

import json

from k2nb.core.turn import REASONING_PLACEHOLDER, AssistantTurn, ToolCall
from k2nb.engines.wire import Dialect, ToolCallSpec, Turn
from tests.harness.stream import accumulate, wire

REASONING = "The user wants 2+2.\nThat is 4; no tool needed. <b>not html</b>"
ANSWER = "The answer is **4**."
ODD_ARGS = '{ "text" :  "a\\u00e9",\n "n": 1.0 }'


def _tool_turn(dialect: Dialect, reasoning: str, content: str = "") -> AssistantTurn:
    calls = (
        ToolCallSpec("echo", ODD_ARGS, id="echo:7"),
        ToolCallSpec("echo", "{}", id="functions.echo:8"),
    )
    turn, _ = accumulate(wire(Turn(reasoning=reasoning, content=content, tool_calls=calls), dialect))
    return turn


EXPECTED_CALLS = [
    {"id": "echo:7", "type": "function", "function": {"name": "echo", "arguments": ODD_ARGS}},
    {"id": "functions.echo:8", "type": "function", "function": {"name": "echo", "arguments": "{}"}},
]


def test_moonshot_echo_is_exact() -> None:
    message = _tool_turn("moonshot", REASONING).to_message()
    assert message == {
        "role": "assistant",
        "reasoning_content": REASONING,
        "tool_calls": EXPECTED_CALLS,
    }
    assert "content" not in message  # omitted when empty with tool calls


def test_vllm_echo_uses_the_field_the_reasoning_came_in() -> None:
    message = _tool_turn("vllm", REASONING).to_message()
    assert message == {"role": "assistant", "reasoning": REASONING, "tool_calls": EXPECTED_CALLS}


def test_openrouter_echo_sends_reasoning_details_as_an_array() -> None:
    message = _tool_turn("openrouter", REASONING).to_message()
    assert message["reasoning_details"] == [
        {"type": "reasoning.text", "text": REASONING, "format": "unknown", "index": 0}
    ]
    assert message["tool_calls"] == EXPECTED_CALLS
    assert "content" not in message
    json.dumps(message)  # serializable as sent


def test_echo_keeps_content_next_to_tool_calls() -> None:
    message = _tool_turn("moonshot", "r", content="Let me check.").to_message()
    assert message["content"] == "Let me check."
    assert message["tool_calls"] == EXPECTED_CALLS


def test_tool_call_turn_without_reasoning_gets_a_non_empty_placeholder() -> None:
    turn = AssistantTurn(tool_calls=(ToolCall("echo:0", "echo", "{}"),))
    message = turn.to_message()
    assert message["reasoning_content"] == REASONING_PLACEHOLDER
    assert REASONING_PLACEHOLDER.strip()


def test_answer_turn_echo_keeps_reasoning_and_content() -> None:
    turn, _ = accumulate(wire(Turn(reasoning=REASONING, content=ANSWER), "moonshot"))
    assert turn.to_message() == {
        "role": "assistant",
        "content": ANSWER,
        "reasoning_content": REASONING,
    }


def test_answer_turn_with_empty_content_still_has_a_content_string() -> None:
    assert AssistantTurn().to_message() == {"role": "assistant", "content": ""}
