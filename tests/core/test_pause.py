"""k2nb/core/pause.py: presenter mode's pause before each step, in the agent loop (nothing is sent while it waits)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from k2nb.core import loop as agent
from k2nb.core.events import Event, Notice, RunFinished, RunStarted, StepPaused, StepResumed, StepStarted
from k2nb.core.loop import STOPPED_TOOL_TEXT, AgentSettings
from k2nb.core.pause import NOBODY_TO_PRESS, PauseRequest, StepGate
from k2nb.core.toolbox import ToolBox, ToolContext, ToolOutcome, ToolSpec
from k2nb.core.transcript import Transcript
from k2nb.engines.server import check_history
from k2nb.engines.wire import ToolCallSpec, Turn
from k2nb.errors import RunStopped
from tests.harness.client import ScriptedClient
from tests.harness.stream import MODEL

SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}


def echo(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
    return ToolOutcome("ok", f"echo: {args['text']}")


def turns(tool_rounds: int) -> list[Turn]:
    calls = [
        Turn(reasoning=f"round {n}", tool_calls=(ToolCallSpec("echo", json.dumps({"text": str(n)})),))
        for n in range(tool_rounds)
    ]
    return [*calls, Turn(reasoning="done", content="All done.")]


class CountingPacer:
    """Says next at once, noting how many requests the client had sent when each pause began."""

    channel = "buttons"

    def __init__(self, client: ScriptedClient, *, answer: bool = True, stop_at: int | None = None) -> None:
        self.client, self.answer, self.stop_at = client, answer, stop_at
        self.sent_when_paused: list[int] = []

    def __call__(self, request: PauseRequest) -> bool:
        self.sent_when_paused.append(len(self.client.bodies))
        if request.step == self.stop_at:
            raise RunStopped("stopped by the user")
        return self.answer


def run(client: ScriptedClient, pacer: Any) -> tuple[agent.RunResult, list[Event]]:
    events: list[Event] = []
    result = agent.run(
        client=client,
        history=[],
        prompt="echo three times",
        tools=ToolBox([ToolSpec("echo", "Echo the text back.", SCHEMA, echo)]),
        settings=AgentSettings(model=MODEL, provider="moonshot"),
        emit=events.append,
        gate=StepGate(pacer, clock=iter(range(100)).__next__),
        run_id="r1",
    )
    return result, events


def test_each_request_waits_for_next_and_the_pause_comes_before_the_step() -> None:
    client = ScriptedClient(turns(2))
    pacer = CountingPacer(client)
    result, events = run(client, pacer)

    assert result.status == "done" and result.answer == "All done."
    assert pacer.sent_when_paused == [0, 1, 2]  # step n's request goes only after its pause
    assert isinstance(events[0], RunStarted) and events[0].present  # the views take the large layout
    kinds = [type(e) for e in events if isinstance(e, StepPaused | StepResumed | StepStarted)]
    assert kinds == [StepPaused, StepResumed, StepStarted] * 3
    paused = [e for e in events if isinstance(e, StepPaused)]
    assert [(p.step, p.pause_id, p.channel) for p in paused] == [(n, f"r1:{n}", "buttons") for n in (1, 2, 3)]
    assert [e.waited for e in events if isinstance(e, StepResumed)] == [1, 1, 1]  # from the injected clock


def test_without_a_gate_nothing_pauses() -> None:
    events: list[Event] = []
    agent.run(
        client=ScriptedClient(turns(1)),
        history=[],
        prompt="p",
        tools=ToolBox([ToolSpec("echo", "Echo.", SCHEMA, echo)]),
        settings=AgentSettings(model=MODEL),
        emit=events.append,
    )
    assert not [e for e in events if isinstance(e, StepPaused)]
    assert isinstance(events[0], RunStarted) and events[0].present is False


@pytest.mark.parametrize("stop", [RunStopped("stopped by the user"), KeyboardInterrupt()])
def test_stop_while_paused_sends_nothing_more_and_keeps_a_valid_history(stop: BaseException) -> None:
    client = ScriptedClient(turns(2))

    def pacer(request: PauseRequest) -> bool:
        if request.step == 2:
            raise stop
        return True

    pacer.channel = "buttons"  # type: ignore[attr-defined]
    result, events = run(client, pacer)

    assert result.status == "stopped" and result.steps == 1
    assert len(client.bodies) == 1  # step 2 was never requested
    assert [m["role"] for m in result.messages] == ["user", "assistant", "tool"]
    assert result.messages[-1]["content"] == "echo: 0"  # the call that ran keeps its result
    assert STOPPED_TOOL_TEXT not in json.dumps(result.messages)
    assert check_history(result.messages, strict_reasoning=True) is None
    # The pause ends in the views too (no Next button left), then the run says it stopped.
    tail = [type(e) for e in events[-3:]]
    assert tail == [StepResumed, Notice, RunFinished]
    transcript = Transcript()
    for event in events:
        transcript.apply(event)
    assert transcript.present and transcript.status == "stopped" and len(transcript.steps) == 1


def test_a_stop_set_before_the_pause_ends_the_run_without_pausing() -> None:
    client = ScriptedClient(turns(1))
    stop = threading.Event()
    pauses: list[int] = []

    def echo_then_stop(args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
        stop.set()  # the user pressed Stop while the last call of the step ran
        return echo(args, ctx)

    def pacer(request: PauseRequest) -> bool:
        pauses.append(request.step)
        return True

    pacer.channel = "buttons"  # type: ignore[attr-defined]
    result = agent.run(
        client=client,
        history=[],
        prompt="p",
        tools=ToolBox([ToolSpec("echo", "Echo.", SCHEMA, echo_then_stop)]),
        settings=AgentSettings(model=MODEL),
        emit=lambda _e: None,
        stop=stop,
        gate=StepGate(pacer),
    )
    assert result.status == "stopped" and pauses == [1] and len(client.bodies) == 1


def test_where_nobody_can_press_next_the_run_says_so_once_and_goes_on() -> None:
    client = ScriptedClient(turns(2))
    pacer = CountingPacer(client, answer=False)
    result, events = run(client, pacer)

    assert result.status == "done"
    assert pacer.sent_when_paused == [0]  # asked once; later steps do not pause at all
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert notices == [NOBODY_TO_PRESS]
    assert [type(e) for e in events if isinstance(e, StepPaused | StepResumed)] == [StepPaused, StepResumed]
