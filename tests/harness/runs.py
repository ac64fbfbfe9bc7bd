"""Small runs as the loop emits them (events), and the views fed from them: the renderers' tests build on these."""

from __future__ import annotations

from dataclasses import dataclass

from k2nb.core.events import (
    ApprovalDecided,
    ApprovalNeeded,
    Event,
    ModelTurnDone,
    ReasoningDelta,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from k2nb.core.transcript import Transcript
from k2nb.core.turn import AssistantTurn, ToolCall, Usage
from k2nb.ui.live import LiveOps
from k2nb.ui.live_codec import Op

CALL = "code_interpreter:0"
# IPython 9's colours for `1/0` (bright red, cyan, green, reset to default) plus a 256-colour code
TRACEBACK = [
    "\x1b[91m---------------------------------------------------------------------------\x1b[39m",
    "\x1b[91mZeroDivisionError\x1b[39m                         Traceback (most recent call last)",
    "\x1b[96mCell \x1b[39m\x1b[32mIn[3], line 1\x1b[39m",
    "\x1b[38;5;241m----> 1\x1b[0m total / 0 < 1",
    "\x1b[91mZeroDivisionError\x1b[39m: division by zero",
]


@dataclass
class Clock:
    """A clock the test moves by hand (``clock.now += 1.0``)."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def tool_run(*, waited: float, total: float, decision: str = "run", approve: str = "ask") -> list[Event]:
    """One code_interpreter call: asked (when ``waited``), decided, finished after ``total`` seconds."""
    events: list[Event] = [
        RunStarted("r1", "kimi-k2-thinking", "toy", 5, "p", 0.0, approve=approve),
        StepStarted(1),
        ToolStarted(1, CALL, "code_interpreter", {"code": "x = 1"}, code="x = 1"),
    ]
    if waited:
        events.append(ApprovalNeeded(1, CALL, "x = 1", channel="buttons"))
    events += [
        ApprovalDecided(1, CALL, decision, "x = 1", waited=waited),  # type: ignore[arg-type]
        ToolFinished(1, CALL, "code_interpreter", "ok", "", seconds=total, code="x = 1"),
    ]
    return events


MCP_CALL = "# MCP server 'demo' · the server marks this tool read-only (its hint; your approval decides)\nadd(a=2, b=3)"


def mcp_run(*, asked: bool) -> list[Event]:
    """One call of a tool that is not code (an MCP tool): its call text comes with the approval or the result."""
    events: list[Event] = [
        RunStarted("r1", "kimi-k2-thinking", "toy", 5, "p", 0.0, approve="ask" if asked else "auto"),
        StepStarted(1),
        ToolStarted(1, "add:0", "add", {"a": 2, "b": 3}, call=MCP_CALL),
    ]
    if asked:
        events.append(ApprovalNeeded(1, "add:0", MCP_CALL, channel="stdin", tool="add"))
    events += [
        ApprovalDecided(1, "add:0", "run" if asked else "auto", MCP_CALL, waited=1.0 if asked else 0.0, tool="add"),
        ToolFinished(
            1,
            "add:0",
            "add",
            "ok",
            "5",
            ({"output_type": "stream", "name": "stdout", "text": "5\n"},),
            seconds=1.2,
            code=MCP_CALL,
        ),
    ]
    return events


def long_run(steps: int) -> list[Event]:
    """``steps`` steps, each a thought and one code_interpreter call, then an answer (a long run's shape)."""
    events: list[Event] = [RunStarted("r", "kimi-k2-thinking", "custom", steps + 5, "add up", 0.0)]
    for i in range(1, steps + 1):
        code = f"total = {i}"
        turn = AssistantTurn(reasoning=f"step {i}", tool_calls=(ToolCall(f"c{i}", "code_interpreter", "{}"),))
        events += [
            StepStarted(i),
            ReasoningDelta(i, f"step {i}"),
            ModelTurnDone(i, turn, 0.1, 0.1),
            ToolStarted(i, f"c{i}", "code_interpreter", {"code": code}, code),
            ToolFinished(i, f"c{i}", "code_interpreter", "ok", "", (), 0.0, code),
        ]
    events += [
        StepStarted(steps + 1),
        ModelTurnDone(steps + 1, AssistantTurn(content="done"), 0.1, 0.0),
        RunFinished("done", "done", Usage(), 1.0, steps + 1),
    ]
    return events


def transcript_of(events: list[Event]) -> Transcript:
    t = Transcript()
    for event in events:
        t.apply(event)
    return t


def live_ops(events: list[Event], *, cells: bool = False) -> tuple[list[Op], Clock]:
    """The live view's ops for ``events``, 1.25 s apart; and the clock they read."""
    clock = Clock(100.0)
    sends: list[list[Op]] = []
    transcript = Transcript()
    live = LiveOps(sends.append, clock=clock, cells=cells)
    for event in events:
        clock.now += 1.25
        transcript.apply(event)
        live(event, transcript)
    live.flush()
    return [op for batch in sends for op in batch], clock
