"""k2nb/core/loop.py: the agent loop against a scripted in-process client that streams real provider chunk dialects."""

from __future__ import annotations

import json
import threading
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import pytest

from k2nb.config import MAX_TOKENS, ProviderSettings
from k2nb.core import loop as agent
from k2nb.core.events import (
    ContentDelta,
    Event,
    ModelTurnDone,
    Notice,
    Retrying,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from k2nb.core.loop import STOPPED_TOOL_TEXT, AgentSettings, RunResult
from k2nb.core.toolbox import ToolBox, ToolContext, ToolOutcome, ToolSpec
from k2nb.core.transcript import Transcript
from k2nb.core.turn import REASONING_PLACEHOLDER
from k2nb.edge.provider import status_error
from k2nb.engines.server import check_history
from k2nb.engines.wire import Dialect, ToolCallSpec, Turn
from k2nb.errors import ProviderError, TransientError
from tests.harness.client import PROMPT_TOKENS, Cut, Reply, ScriptedClient, SseLines, StopAfter
from tests.harness.stream import MODEL

# -- tools -------------------------------------------------------------------------------------
TEXT_SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
}


def echo(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    return ToolOutcome("ok", f"echo: {args['text']}")


def boom(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    raise ValueError("disk on fire")


def interrupt(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    raise KeyboardInterrupt


NO_ARGS: dict[str, Any] = {"type": "object", "properties": {}}


def toolbox(*extra: ToolSpec) -> ToolBox:
    return ToolBox([ToolSpec("echo", "Echo the text back.", TEXT_SCHEMA, echo), *extra])


def call(text: str, call_id: str | None = None, name: str = "echo") -> ToolCallSpec:
    return ToolCallSpec(name, json.dumps({"text": text}), id=call_id)


def tool_turn(*calls: ToolCallSpec, reasoning: str = "I should call a tool.") -> Turn:
    return Turn(reasoning=reasoning, tool_calls=calls)


def answer(text: str = "All done.", reasoning: str = "Now I can answer.") -> Turn:
    return Turn(reasoning=reasoning, content=text)


@dataclass
class Outcome:
    result: RunResult
    events: list[Event]
    delays: list[float]
    client: ScriptedClient

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def run(
    replies: list[Reply],
    *,
    tools: ToolBox | None = None,
    dialect: Dialect = "moonshot",
    history: list[dict[str, Any]] | None = None,
    stop: threading.Event | None = None,
    **settings: Any,
) -> Outcome:
    client = ScriptedClient(replies, dialect)
    events: list[Event] = []
    delays: list[float] = []
    result = agent.run(
        client=client,
        history=list(history or []),
        prompt="What is 2+2?",
        tools=tools or toolbox(),
        settings=AgentSettings(provider="moonshot", **{"model": MODEL, **settings}),
        emit=events.append,
        stop=stop,
        sleep=delays.append,
    )
    return Outcome(result, events, delays, client)


def assert_valid_history(messages: list[dict[str, Any]]) -> None:
    """What a strict K2 host accepts: every call answered, in order, right after its turn."""
    assert check_history(messages, strict_reasoning=True) is None
    for i, message in enumerate(messages):
        calls = message.get("tool_calls") or []
        if message["role"] != "assistant" or not calls:
            continue
        answers = messages[i + 1 : i + 1 + len(calls)]
        assert [(m["role"], m["tool_call_id"], m["name"]) for m in answers] == [
            ("tool", c["id"], c["function"]["name"]) for c in calls
        ]
        assert all(isinstance(m["content"], str) and m["content"] for m in answers)
        after = messages[i + 1 + len(calls) : i + 2 + len(calls)]
        assert not after or after[0]["role"] != "tool"
    json.dumps(messages)


# -- answers and the tool loop -----------------------------------------------------------------
def test_answer_without_tools() -> None:
    out = run([answer("4", reasoning="2+2 is 4.")])

    assert out.result.status == "done"
    assert out.result.answer == "4"
    assert out.result.steps == 1
    assert out.result.messages == [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4", "reasoning_content": "2+2 is 4."},
    ]
    assert out.result.usage.prompt_tokens == PROMPT_TOKENS
    assert "".join(e.text for e in out.of(ContentDelta)) == "4"
    finished = out.of(RunFinished)
    assert len(finished) == 1
    assert (finished[0].status, finished[0].answer) == ("done", "4")
    assert isinstance(out.events[0], RunStarted)
    assert out.events[-1] is finished[0]


def test_request_body_follows_the_protocol() -> None:
    out = run([tool_turn(call("a")), answer()], system_prompt="Be brief.")
    assert len(out.client.bodies) == 2
    for body in out.client.bodies:
        assert body["stream"] is True
        assert body["stream_options"] == {"include_usage": True}
        assert body["max_completion_tokens"] == MAX_TOKENS.default == 32768  # Moonshot's name for it
        assert body["temperature"] == 1.0  # kimi-k2-thinking's recommended value
        assert body["tool_choice"] == "auto"
        assert [t["function"]["name"] for t in body["tools"]] == ["echo"]  # on every request
    assert out.client.bodies[0]["messages"][0] == {"role": "system", "content": "Be brief."}


@pytest.mark.parametrize("dialect", ["moonshot", "vllm", "openrouter"])
def test_multi_step_tool_loop_echoes_turns_exactly(dialect: Dialect) -> None:
    first = tool_turn(call("a"), call("b"), reasoning="Two lookups first.")
    second = tool_turn(call("c"), reasoning="One more.")
    out = run([first, second, answer("Done: a b c")], dialect=dialect)

    assert out.result.status == "done"
    assert out.result.answer == "Done: a b c"
    assert out.result.steps == 3
    messages = out.result.messages
    assert [m["role"] for m in messages] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    assert_valid_history(messages)

    # the echoed assistant turns carry the streamed ids, argument strings and reasoning
    done = [e.turn for e in out.of(ModelTurnDone)]
    assert [messages[1], messages[4], messages[6]] == [t.to_message() for t in done]
    for message, reasoning, texts in (
        (messages[1], "Two lookups first.", ["a", "b"]),
        (messages[4], "One more.", ["c"]),
    ):
        assert "content" not in message
        assert [c["function"]["arguments"] for c in message["tool_calls"]] == [json.dumps({"text": t}) for t in texts]
        if dialect == "openrouter":
            assert message["reasoning_details"][0]["text"] == reasoning
        else:
            field = "reasoning_content" if dialect == "moonshot" else "reasoning"
            assert message[field] == reasoning
    if dialect == "moonshot":
        ids = [c["id"] for m in (messages[1], messages[4]) for c in m["tool_calls"]]
        assert ids == ["echo:0", "echo:1", "echo:2"]
    assert [m["content"] for m in messages if m["role"] == "tool"] == [
        "echo: a",
        "echo: b",
        "echo: c",
    ]
    # each request sends exactly the history built so far
    assert out.client.bodies[1]["messages"] == messages[:4]
    assert out.client.bodies[2]["messages"] == messages[:6]
    assert out.result.usage.prompt_tokens == 3 * PROMPT_TOKENS


def test_ids_repeated_across_turns_are_answered_per_turn() -> None:
    """Ids are opaque and not globally unique (raw K2 restarts numbering)."""
    out = run(
        [
            tool_turn(call("first", "functions.echo:0")),
            tool_turn(call("second", "functions.echo:0")),
            answer(),
        ]
    )
    tools = [m for m in out.result.messages if m["role"] == "tool"]
    assert [(m["tool_call_id"], m["content"]) for m in tools] == [
        ("functions.echo:0", "echo: first"),
        ("functions.echo:0", "echo: second"),
    ]
    assert_valid_history(out.result.messages)


def test_tool_events_for_each_call() -> None:
    out = run([tool_turn(call("a", "echo:0"), call("b", "echo:1")), answer()])
    assert [(e.call_id, e.arguments) for e in out.of(ToolStarted)] == [
        ("echo:0", {"text": "a"}),
        ("echo:1", {"text": "b"}),
    ]
    assert [(e.call_id, e.status, e.model_text) for e in out.of(ToolFinished)] == [
        ("echo:0", "ok", "echo: a"),
        ("echo:1", "ok", "echo: b"),
    ]


def test_each_call_shows_as_the_user_sees_it_when_it_starts() -> None:
    """Code shows as code; a read-only tool as a call; a tool with its own way (an MCP tool) that way;
    a tool that shows a change (a notebook edit) nothing before its change."""
    looks = ToolSpec("looks", "Look.", TEXT_SCHEMA, echo, read_only=True)
    custom = ToolSpec("custom", "Custom.", TEXT_SCHEMA, echo, shown=lambda a: f"# server x\ncustom({a['text']!r})")
    out = run(
        [tool_turn(call("a", "e:0"), call("b", "l:0", "looks"), call("c", "c:0", "custom")), answer()],
        tools=toolbox(looks, custom),
    )
    assert [(e.name, e.call) for e in out.of(ToolStarted)] == [
        ("echo", None),  # needs approval and has no way of its own: its approval shows it
        ("looks", "looks(text='b')"),
        ("custom", "# server x\ncustom('c')"),
    ]


def test_history_is_continued_not_mutated() -> None:
    earlier = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello", "reasoning_content": "greet"},
    ]
    snapshot = deepcopy(earlier)
    out = run([answer("4")], history=earlier)
    assert earlier == snapshot
    assert out.result.messages[:2] == earlier
    assert out.result.messages[2] == {"role": "user", "content": "What is 2+2?"}


def test_max_steps_stops_with_a_valid_history() -> None:
    out = run([tool_turn(call("1")), tool_turn(call("2")), answer()], max_steps=2)

    assert out.result.status == "max_steps"
    assert out.result.steps == 2
    assert len(out.client.bodies) == 2  # no third request
    assert out.result.messages[-1]["role"] == "tool"
    assert_valid_history(out.result.messages)
    assert any("--max-steps" in n.text for n in out.of(Notice))
    assert out.of(RunFinished)[0].status == "max_steps"


# -- retries -----------------------------------------------------------------------------------
def test_transient_errors_are_retried_with_exponential_backoff() -> None:
    err = TransientError("server error 502")
    out = run([err, err, err, answer("ok")], backoff=1.0, max_backoff=30.0, retries=4)

    assert out.result.status == "done"
    assert out.result.answer == "ok"
    assert len(out.delays) == 3
    for delay, base in zip(out.delays, (1.0, 2.0, 4.0), strict=True):
        assert base <= delay <= base * 1.25  # doubling, with up to 25 % jitter
    assert [(e.attempt, e.delay) for e in out.of(Retrying)] == list(zip((1, 2, 3), out.delays, strict=True))
    assert [e.attempt for e in out.of(StepStarted)] == [1, 2, 3, 4]
    assert out.result.messages == [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "ok", "reasoning_content": "Now I can answer."},
    ]


def test_backoff_is_capped() -> None:
    err = TransientError("overloaded")
    out = run([err, err, err, answer()], backoff=10.0, max_backoff=15.0)
    assert out.delays[0] <= 12.5
    assert out.delays[1:] == [15.0, 15.0]


def test_retry_after_is_honoured() -> None:
    overloaded = status_error(
        429,
        {"error": {"type": "engine_overloaded_error", "message": "The engine is overloaded"}},
        {"retry-after": "7"},
        ProviderSettings("moonshot", "https://api.moonshot.ai/v1", MODEL, "sk"),
    )
    assert isinstance(overloaded, TransientError)
    out = run([overloaded, answer()], backoff=1.0)
    assert out.delays == [7.0]
    assert out.result.status == "done"


def test_gives_up_after_the_configured_retries() -> None:
    out = run([TransientError("server error 503 from host") for _ in range(3)], retries=2)

    assert out.result.status == "failed"
    assert "server error 503 from host" in out.result.error
    assert len(out.delays) == 2
    assert len(out.client.bodies) == 3
    assert out.result.messages == [{"role": "user", "content": "What is 2+2?"}]
    assert out.of(Notice)[-1].level == "error"


def test_a_stream_cut_before_done_is_retried_and_dropped_from_history() -> None:
    partial = Turn(reasoning="partial thoughts", content="partial answer that was cut")
    out = run([Cut(partial, chunks=8), answer("complete")])

    assert out.result.status == "done"
    assert out.result.answer == "complete"
    assert [m for m in out.result.messages if m["role"] == "assistant"] == [
        {"role": "assistant", "content": "complete", "reasoning_content": "Now I can answer."}
    ]
    # the partial attempt was shown to the user, then marked as retried
    retry = out.of(Retrying)
    assert len(retry) == 1
    assert "[DONE]" in retry[0].reason
    streamed = [e.text for e in out.of(ContentDelta)]
    assert streamed[0].startswith("parti")
    transcript = Transcript()
    for event in out.events:
        transcript.apply(event)
    assert transcript.steps[0].content == "complete"
    assert transcript.steps[0].retried == [retry[0].reason]


def test_a_stream_cut_mid_line_is_retried() -> None:
    first = json.dumps({"choices": [{"index": 0, "delta": {"content": "par"}}]})
    lines = [f"data: {first}", "", 'data: {"choices": [{"index": 0, "delta": {"cont']
    out = run([SseLines(lines), answer("ok")])
    assert out.result.status == "done"
    assert out.result.answer == "ok"


def test_provider_error_fails_without_retry() -> None:
    refused = status_error(
        401,
        {"error": {"message": "Invalid Authentication", "type": "invalid_authentication_error"}},
        {},
        ProviderSettings("moonshot", "https://api.moonshot.ai/v1", MODEL, "sk"),
    )
    assert isinstance(refused, ProviderError)
    out = run([refused])

    assert out.result.status == "failed"
    assert out.result.error == str(refused)
    assert "rejected the API key" in out.result.error
    assert out.delays == []
    assert len(out.client.bodies) == 1
    assert out.result.messages == [{"role": "user", "content": "What is 2+2?"}]
    assert out.of(Notice)[-1].text == str(refused)
    assert out.of(RunFinished)[0].error == str(refused)


# -- empty (reasoning-only) turns --------------------------------------------------------------
def test_reasoning_only_turn_is_retried_once_with_more_tokens_on_length() -> None:
    out = run([Turn(reasoning="thinking and thinking", finish_reason="length"), answer("4")])

    assert out.result.status == "done"
    assert out.result.answer == "4"
    assert [b["max_completion_tokens"] for b in out.client.bodies] == [32768, 65536]
    assert [m["role"] for m in out.result.messages] == ["user", "assistant"]
    assert len(out.of(Retrying)) == 1
    assert out.delays == []  # an empty turn is retried at once


def test_reasoning_only_turn_with_stop_keeps_max_tokens() -> None:
    out = run([Turn(reasoning="hmm", finish_reason="stop"), answer("4")], max_tokens=1000)
    assert [b["max_completion_tokens"] for b in out.client.bodies] == [1000, 1000]
    assert out.result.status == "done"


def test_two_empty_turns_fail_with_a_hint() -> None:
    empty = Turn(reasoning="still thinking", finish_reason="length")
    out = run([empty, empty, answer("never reached")])

    assert out.result.status == "failed"
    assert "no answer twice" in out.result.error
    assert "--max-tokens" in out.result.error
    assert len(out.client.bodies) == 2
    assert out.result.messages == [{"role": "user", "content": "What is 2+2?"}]


def test_usage_counts_the_discarded_empty_attempt() -> None:
    empty = Turn(reasoning="x" * 400, finish_reason="length")  # 100 completion tokens
    out = run([empty, answer("4", reasoning="ok")])
    assert out.result.usage.prompt_tokens == 2 * PROMPT_TOKENS
    assert out.result.usage.completion_tokens == 100 + 2


# -- tool failures become results ----------------------------------------------------------------
def test_unusable_tool_calls_become_results_the_model_reads() -> None:
    calls = (
        ToolCallSpec("echo", '{"text": "unterminated', id="echo:0"),
        ToolCallSpec("no_such_tool", "{}", id="no_such_tool:1"),
        ToolCallSpec("echo", '{"text": 5}', id="echo:2"),
        ToolCallSpec("echo", "{}", id="echo:3"),
    )
    out = run([tool_turn(*calls), answer("recovered")])

    assert out.result.status == "done"
    assert out.result.answer == "recovered"
    assert [e.status for e in out.of(ToolFinished)] == ["invalid"] * 4
    results = [m["content"] for m in out.result.messages if m["role"] == "tool"]
    assert "not valid JSON" in results[0]
    assert "no tool named 'no_such_tool'" in results[1]
    assert "Available tools: echo" in results[1]
    assert "'text' must be of type string, got int" in results[2]
    assert "missing required argument(s): text" in results[3]
    assert all(r.startswith("Error:") for r in results)
    assert_valid_history(out.result.messages)
    # the model got to read them on the next request
    assert out.client.bodies[1]["messages"][-4:] == out.result.messages[2:6]


def test_arguments_with_raw_control_characters_are_accepted() -> None:
    """Self-hosted stacks emit literal newlines inside JSON strings: parse with strict=False."""
    out = run([tool_turn(ToolCallSpec("echo", '{"text": "a\nb"}', id="echo:0")), answer()])
    assert out.of(ToolFinished)[0].status == "ok"
    assert out.result.messages[2]["content"] == "echo: a\nb"


def test_a_tool_that_raises_gives_an_error_result() -> None:
    tools = toolbox(ToolSpec("boom", "Fails.", {"type": "object", "properties": {}}, boom))
    out = run([tool_turn(ToolCallSpec("boom", "{}", id="boom:0"), call("after")), answer()], tools=tools)

    assert out.result.status == "done"
    assert [e.status for e in out.of(ToolFinished)] == ["error", "ok"]
    assert out.result.messages[2]["content"] == "Error: tool boom failed: ValueError: disk on fire"
    assert out.result.messages[3]["content"] == "echo: after"


# -- stopping ------------------------------------------------------------------------------------
def test_keyboard_interrupt_in_a_tool_stops_and_answers_every_call() -> None:
    tools = toolbox(ToolSpec("halt", "Interrupts.", NO_ARGS, interrupt))
    calls = (call("first", "echo:0"), ToolCallSpec("halt", "{}", id="halt:1"), call("x", "echo:2"))
    out = run([tool_turn(*calls), answer("never")], tools=tools)

    assert out.result.status == "stopped"
    assert len(out.client.bodies) == 1
    messages = out.result.messages
    assert_valid_history(messages)
    assert [(m["tool_call_id"], m["content"]) for m in messages if m["role"] == "tool"] == [
        ("echo:0", "echo: first"),
        ("halt:1", STOPPED_TOOL_TEXT),
        ("echo:2", STOPPED_TOOL_TEXT),
    ]
    assert out.of(RunFinished)[0].status == "stopped"
    assert any("stopped by the user" in n.text for n in out.of(Notice))


def test_an_interrupted_tool_is_marked_stopped_in_the_transcript() -> None:
    tools = toolbox(ToolSpec("halt", "Interrupts.", NO_ARGS, interrupt))
    out = run([tool_turn(ToolCallSpec("halt", "{}", id="halt:0"))], tools=tools)
    transcript = Transcript()
    for event in out.events:
        transcript.apply(event)
    assert [t.status for t in transcript.steps[0].tools] == ["stopped"]


def test_stop_event_between_tool_calls() -> None:
    stop = threading.Event()

    def stopping_echo(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
        stop.set()  # the user clicks Stop while this tool runs
        return echo(args, ctx)

    tools = ToolBox([ToolSpec("echo", "Echo.", TEXT_SCHEMA, stopping_echo)])
    out = run([tool_turn(call("a", "echo:0"), call("b", "echo:1")), answer()], tools=tools, stop=stop)

    assert out.result.status == "stopped"
    assert len(out.client.bodies) == 1
    assert [(m["tool_call_id"], m["content"]) for m in out.result.messages[2:]] == [
        ("echo:0", "echo: a"),
        ("echo:1", STOPPED_TOOL_TEXT),
    ]
    assert len(out.of(ToolStarted)) == 1  # the second call never ran
    assert_valid_history(out.result.messages)


def test_stop_event_while_streaming_drops_the_partial_turn() -> None:
    stop = threading.Event()
    first = tool_turn(call("a", "echo:0"))
    partial = Turn(reasoning="a long thought " * 10, content="never finished")
    out = run([first, StopAfter(partial, chunks=3, event=stop), answer()], stop=stop)

    assert out.result.status == "stopped"
    assert out.result.steps == 2
    assert len(out.client.bodies) == 2
    assert [m["role"] for m in out.result.messages] == ["user", "assistant", "tool"]
    assert_valid_history(out.result.messages)
    assert out.of(Retrying) == []  # a stop is not retried


def test_max_cost_stops_after_the_tool_round_that_reached_it() -> None:
    prices = {MODEL: (0.0, 10_000.0, 0.0)}  # $0.01 per prompt token: 100 tokens = $1
    out = run(
        [tool_turn(call("a")), tool_turn(call("b")), answer()],
        prices=prices,
        max_cost=1.5,
    )

    assert out.result.status == "max_cost"
    assert len(out.client.bodies) == 2
    assert_valid_history(out.result.messages)
    assert out.result.messages[-1]["role"] == "tool"
    finished = out.of(RunFinished)[0]
    assert finished.cost == pytest.approx(2.0)
    assert any("--max-cost" in n.text for n in out.of(Notice))


def test_cost_is_reported_with_default_prices() -> None:
    out = run([answer("4")])
    cost = out.of(RunFinished)[0].cost
    usage = out.result.usage
    assert cost == pytest.approx((usage.prompt_tokens * 0.60 + usage.completion_tokens * 2.50) / 1e6)


def test_imported_tool_turn_without_reasoning_gets_the_placeholder_on_the_wire() -> None:
    out = run([tool_turn(call("a", "echo:0"), reasoning=""), answer()])
    sent = out.client.bodies[1]["messages"][1]
    assert sent["reasoning_content"] == REASONING_PLACEHOLDER
    assert check_history(out.client.bodies[1]["messages"], strict_reasoning=True) is None


# -- the model table in the loop ---------------------------------------------------------------------
def _not_found(model: str, offered: list[str]) -> ProviderError:
    error = status_error(
        404,
        {"error": {"message": f"Not found the model {model} or Permission denied"}},
        {},
        ProviderSettings("moonshot", "https://api.moonshot.ai/v1", model, "sk"),
        list_models=lambda: offered,
    )
    assert isinstance(error, ProviderError)
    return error


OFFERED = ["kimi-k2.5", "kimi-k2.6", "kimi-k2.7-code", "moonshot-v1-8k"]


def test_a_default_model_the_server_lacks_falls_back_to_the_newest_it_offers() -> None:
    out = run([_not_found(MODEL, OFFERED), tool_turn(call("a")), answer()], model_is_default=True)

    assert out.result.status == "done"
    assert out.result.model == "kimi-k2.6"
    assert [b["model"] for b in out.client.bodies] == [MODEL, "kimi-k2.6", "kimi-k2.6"]
    notices = [n.text for n in out.of(Notice)]
    assert notices == ["kimi-k2-thinking is not offered by this server; using kimi-k2.6 — set --model to choose."]
    # the replacement's rules apply from its first request: no temperature, thinking enabled
    assert "temperature" not in out.client.bodies[1] and out.client.bodies[1]["thinking"] == {"type": "enabled"}
    assert out.of(RunFinished)[0].model == "kimi-k2.6"
    assert out.of(RunFinished)[0].cost == pytest.approx(
        (out.result.usage.prompt_tokens * 0.95 + out.result.usage.completion_tokens * 4.00) / 1e6
    )


def test_a_model_the_user_named_is_never_replaced() -> None:
    out = run([_not_found(MODEL, OFFERED)])
    assert out.result.status == "failed"
    assert len(out.client.bodies) == 1
    assert "The server offers: kimi-k2.5, kimi-k2.6, kimi-k2.7-code, moonshot-v1-8k" in out.result.error
    assert "--model NAME" in out.result.error


def test_no_k2_model_on_the_list_means_no_fallback() -> None:
    out = run([_not_found(MODEL, ["moonshot-v1-8k"])], model_is_default=True)
    assert out.result.status == "failed"
    assert "moonshot-v1-8k" in out.result.error


def test_a_refused_sampling_value_says_how_to_fix_it_in_one_line() -> None:
    refused = status_error(
        400,
        {"error": {"message": "invalid temperature: only 1 is allowed for this model"}},
        {},
        ProviderSettings("moonshot", "https://api.moonshot.ai/v1", "kimi-k2.6", "sk"),
    )
    assert isinstance(refused, ProviderError)
    out = run([refused], model="kimi-k2.6", temperature=0.2)
    assert out.client.bodies[0]["temperature"] == 0.2  # the user's value was sent
    assert out.result.status == "failed"
    assert "only 1 is allowed" in out.result.error
    assert "`%config K2Magics.temperature = None`" in out.result.error
    assert "\n" not in out.result.error


def test_notes_on_what_is_not_sent_come_first() -> None:
    out = run([answer()], model="kimi-k2.6", effort="low")
    assert out.of(Notice)[0].text == "kimi-k2.6 has no effort levels: --effort low is not sent."
    assert "reasoning_effort" not in out.client.bodies[0]


def test_keep_thinking_sends_every_earlier_turn_back_exactly_across_runs() -> None:
    first = run([Turn(reasoning="", content="Hi!", empty_reasoning=True)], model="kimi-k2.6", keep_thinking=True)
    assert first.result.messages[1] == {"role": "assistant", "content": "Hi!", "reasoning_content": ""}  # "" stays ""
    second = run(
        [tool_turn(call("a"), reasoning="Looked it up."), answer()],
        history=first.result.messages,
        model="kimi-k2.6",
        keep_thinking=True,
    )
    body = second.client.bodies[1]
    assert body["thinking"] == {"type": "enabled", "keep": "all"}
    assert [m.get("reasoning_content") for m in body["messages"] if m["role"] == "assistant"] == ["", "Looked it up."]


# -- figures to vision models (core/images.py) ---------------------------------------------------------
def _plotting_toolbox() -> ToolBox:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (31, 119, 180)).save(buffer, format="PNG")
    figure = {"output_type": "display_data", "data": {"image/png": base64.b64encode(buffer.getvalue()).decode()}}

    def plot(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
        return ToolOutcome("ok", "[figure 64×48 shown to the user]", outputs=(figure,))

    return ToolBox([ToolSpec("plot", "Plot.", TEXT_SCHEMA, plot)])


def _tool_message(out: Outcome) -> dict[str, Any]:
    return next(m for m in out.client.bodies[1]["messages"] if m["role"] == "tool")


def test_a_vision_model_gets_the_figure_with_the_tool_result() -> None:
    out = run([tool_turn(call("x", name="plot")), answer()], tools=_plotting_toolbox(), model="kimi-k2.6")
    content = _tool_message(out)["content"]
    assert [p["type"] for p in content] == ["text", "image_url"]
    assert content[0]["text"].startswith("[figure 64×48 shown to the user]\n[figure 1 is attached below")
    assert out.result.messages[2]["content"] == content  # the history keeps what the model saw


@pytest.mark.parametrize(("model", "images"), [("kimi-k2-thinking", "on"), ("kimi-k3", "off"), ("served-k2", "on")])
def test_text_only_models_and_images_off_keep_the_note(model: str, images: str) -> None:
    out = run([tool_turn(call("x", name="plot")), answer()], tools=_plotting_toolbox(), model=model, images=images)
    assert _tool_message(out)["content"] == "[figure 64×48 shown to the user]"
