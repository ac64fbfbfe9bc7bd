"""k2nb/core/context_window.py: near the model's window, what is left out of a request, in which order."""

from __future__ import annotations

import json
from typing import Any

from k2nb.core import loop as agent
from k2nb.core.context_window import (
    DROPPED_REASONING,
    IMAGES_LEFT_OUT,
    SHORTENED_MARK,
    SHORTENED_TOOL_CHARS,
    chain_start,
    estimate_tokens,
    fit_context,
)
from k2nb.core.events import Event, Notice
from k2nb.core.loop import AgentSettings
from k2nb.core.toolbox import ToolBox, ToolContext, ToolOutcome, ToolSpec
from k2nb.engines.server import check_history
from k2nb.engines.wire import ToolCallSpec, Turn
from tests.harness.client import ScriptedClient


def tool_round(n: int, *, reasoning: str, output: str, field: str = "reasoning_content") -> list[dict[str, Any]]:
    call_id = f"code_interpreter:{n}"
    return [
        {
            "role": "assistant",
            field: reasoning,
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "code_interpreter", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "name": "code_interpreter", "content": output},
    ]


def conversation(earlier_rounds: int, chain_rounds: int, *, reasoning: int, output: int) -> list[dict[str, Any]]:
    """An earlier run (user, tool rounds, answer) and the current chain (user, tool rounds)."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "first"}]
    n = 0
    for _ in range(earlier_rounds):
        messages += tool_round(n, reasoning=f"old thought {n} " + "r" * reasoning, output=f"out {n} " + "o" * output)
        n += 1
    messages.append({"role": "assistant", "reasoning_content": "r" * reasoning, "content": "earlier answer"})
    messages.append({"role": "user", "content": "second"})
    for _ in range(chain_rounds):
        messages += tool_round(n, reasoning=f"chain thought {n} " + "r" * reasoning, output=f"out {n} " + "o" * output)
        n += 1
    return messages


def total(messages: list[dict[str, Any]]) -> int:
    return sum(estimate_tokens(m) for m in messages)


def test_under_budget_nothing_changes_and_no_note() -> None:
    messages = conversation(3, 2, reasoning=100, output=100)
    fitted = fit_context(messages, 1_000_000)
    assert fitted.messages == messages and fitted.note is None and not fitted.changed


def test_older_reasoning_goes_first_and_the_current_chain_keeps_all_of_it() -> None:
    messages = conversation(5, 3, reasoning=4_000, output=100)
    budget = total(messages) - 3_000  # dropping the old reasoning (5 × 1k tokens + answer) is enough
    fitted = fit_context(messages, budget)
    start = chain_start(messages)
    assert fitted.dropped_reasoning == 6 and fitted.shortened_outputs == 0
    assert fitted.tokens <= budget and not fitted.over_budget
    for message in fitted.messages[:start]:
        if message.get("tool_calls"):  # Moonshot rejects a tool-call turn without reasoning
            assert message["reasoning_content"] == DROPPED_REASONING
        elif message["role"] == "assistant":
            assert "reasoning_content" not in message and message["content"] == "earlier answer"
    assert fitted.messages[start:] == messages[start:]  # the current chain untouched
    assert check_history(fitted.messages, strict_reasoning=True) is None
    assert messages[2]["reasoning_content"].startswith("old thought")  # the history itself is not mutated
    assert fitted.note is not None and "reasoning of 6 earlier turn(s)" in fitted.note


def test_then_large_old_tool_outputs_are_shortened_oldest_first_never_the_latest_round() -> None:
    messages = conversation(2, 6, reasoning=200, output=20_000)
    budget = total(messages) - 12_000  # needs about three outputs shortened after the reasoning
    fitted = fit_context(messages, budget)
    assert fitted.tokens <= budget
    tool_messages = [m for m in fitted.messages if m["role"] == "tool"]
    shortened = [m for m in tool_messages if m["content"].endswith(SHORTENED_MARK)]
    assert len(shortened) == fitted.shortened_outputs >= 2
    assert tool_messages[: len(shortened)] == shortened  # oldest first
    assert not tool_messages[-1]["content"].endswith(SHORTENED_MARK)  # the model is about to read it
    for message in shortened:
        assert len(message["content"]) < SHORTENED_TOOL_CHARS + 200
        assert "characters" in message["content"] and "cut from the middle" in message["content"]
    start = chain_start(messages)
    chain_reasoning = [m["reasoning_content"] for m in fitted.messages[start:] if m["role"] == "assistant"]
    assert all(r.startswith("chain thought") for r in chain_reasoning)
    assert fitted.note is not None and "shortened" in fitted.note
    assert check_history(fitted.messages, strict_reasoning=True) is None


def test_the_same_history_is_fitted_the_same_way_so_the_prompt_cache_keeps_hitting() -> None:
    messages = conversation(4, 6, reasoning=3_000, output=20_000)
    budget = total(messages) // 2
    first = fit_context(messages, budget)
    grown = messages + tool_round(99, reasoning="one more", output="o" * 20_000)
    second = fit_context(grown, budget)
    assert first.shortened_outputs and first.dropped_reasoning
    last_cut = max(i for i, m in enumerate(first.messages) if str(m.get("content")).endswith(SHORTENED_MARK))
    assert second.messages[: last_cut + 1] == first.messages[: last_cut + 1]


def test_when_nothing_more_may_go_the_note_says_start_fresh() -> None:
    messages = conversation(0, 3, reasoning=40_000, output=100)  # all in the current chain
    fitted = fit_context(messages, 1_000)
    start = chain_start(messages)
    assert fitted.over_budget and fitted.messages[start:] == messages[start:]
    assert fitted.note is not None and "%k2 new" in fitted.note


def test_openrouter_reasoning_details_are_dropped_too() -> None:
    messages = tool_round(0, reasoning="x" * 8_000, output="fine", field="reasoning")
    messages[0]["reasoning_details"] = [{"type": "reasoning.text", "text": "x" * 8_000}]
    messages = [
        {"role": "user", "content": "a"},
        *messages,
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "b"},
    ]
    fitted = fit_context(messages, 500)
    slim = fitted.messages[1]
    assert "reasoning_details" not in slim and slim["reasoning"] == DROPPED_REASONING


def test_with_preserved_thinking_old_outputs_are_shortened_before_any_reasoning_goes() -> None:
    messages = conversation(3, 3, reasoning=2_000, output=20_000)
    budget = total(messages) - 12_000  # shortening three old outputs is enough
    kept = fit_context(messages, budget, keep="opt-in")
    assert kept.dropped_reasoning == 0 and kept.shortened_outputs >= 2 and kept.tokens <= budget
    reasoning = [m.get("reasoning_content") for m in kept.messages if m["role"] == "assistant"]
    assert reasoning == [m.get("reasoning_content") for m in messages if m["role"] == "assistant"]
    without = fit_context(messages, budget)  # the default order drops the reasoning first
    assert without.dropped_reasoning == 4


def test_opt_in_keeps_reasoning_until_nothing_else_can_go_required_never_drops_it() -> None:
    messages = conversation(3, 1, reasoning=20_000, output=100)  # the old reasoning is what is large
    opt_in = fit_context(messages, total(messages) - 10_000, keep="opt-in")
    assert opt_in.dropped_reasoning == 4 and not opt_in.over_budget  # the last resort, said in the note
    assert opt_in.note is not None and "reasoning of 4 earlier turn(s)" in opt_in.note
    required = fit_context(messages, total(messages) - 10_000, keep="required")
    assert required.dropped_reasoning == 0 and required.over_budget
    assert required.messages == messages
    assert required.note is not None
    assert "every earlier turn's reasoning is kept" in required.note and "%k2 new" in required.note


def test_images_count_as_images_and_old_ones_go_before_their_text() -> None:
    picture = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 400_000}}
    with_image = {"type": "text", "text": "[figure 1 is attached below as an image (640×480)]"}
    messages = conversation(1, 2, reasoning=10, output=10)
    messages[3] = {**messages[3], "content": [with_image, picture]}  # the old round's tool result
    assert estimate_tokens(messages[3]) < 2_000  # an image, not 400k characters of base64
    fitted = fit_context(messages, total(messages) - 1_000, keep="required")
    assert fitted.messages[3]["content"] == with_image["text"] + IMAGES_LEFT_OUT
    assert fitted.shortened_outputs == 1 and not fitted.over_budget


def _echo(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    return ToolOutcome("ok", "x" * 30_000)


def test_the_loop_sends_fitted_requests_and_tells_the_user_once_per_change() -> None:
    calls = [
        Turn(reasoning=f"thinking {i} " + "t" * 2_000, tool_calls=(ToolCallSpec("echo", json.dumps({"i": i})),))
        for i in range(8)
    ]
    client = ScriptedClient([*calls, Turn(reasoning="done", content="All done.")])
    events: list[Event] = []
    history = conversation(3, 0, reasoning=8_000, output=100)[:-1]  # an earlier run's history
    result = agent.run(
        client=client,
        history=history,
        prompt="go",
        settings=AgentSettings(model="kimi-k2-thinking", context_budget=30_000),
        tools=ToolBox([ToolSpec("echo", "echo", {"type": "object", "properties": {}}, _echo)]),
        emit=events.append,
    )
    assert result.status == "done"
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert 1 <= len(notices) <= 3, notices
    assert "reasoning of" in notices[0] and any("shortened" in n for n in notices)
    for body in client.bodies:
        assert total(body["messages"]) <= 30_000 + 10_000  # the latest round is never cut
        assert check_history(body["messages"], strict_reasoning=True) is None
        chain = body["messages"][chain_start(body["messages"]) :]
        assert all(m["reasoning_content"].startswith("thinking") for m in chain if m["role"] == "assistant")
    # the committed history keeps every output in full
    assert all(len(m["content"]) == 30_000 for m in result.messages if m["role"] == "tool" and "x" in m["content"])
