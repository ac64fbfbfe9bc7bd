"""k2nb/ui/live.py: the live view's ops — batched text at a bounded rate, structural ops at once, retried
attempts marked, HTML sanitized, and the status line (its clock, approvals off after Always)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

from k2nb.core.events import (
    ContentDelta,
    Event,
    ModelTurnDone,
    ReasoningDelta,
    Retrying,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolStarted,
)
from k2nb.core.transcript import ALWAYS, Transcript
from k2nb.core.turn import AssistantTurn, ToolCall, Usage
from k2nb.ui.live import Cadence, LiveOps, Op
from k2nb.ui.static import status_line
from tests.harness.hostile import assert_inert, evil_run
from tests.harness.runs import MCP_CALL, Clock, live_ops, mcp_run, tool_run, transcript_of


def test_the_status_line_says_approvals_are_off_in_later_runs() -> None:
    later = tool_run(waited=0.0, total=0.1, decision="auto", approve=ALWAYS)
    ops, _ = live_ops(later)
    statuses = [op for op in ops if op["op"] == "status"]
    assert statuses and all("approve: auto (Always)" in op["text"] for op in statuses)
    assert all(op.get("approvals") == "off" for op in statuses)  # the view offers "ask again"
    t = transcript_of(later)
    assert "approve: auto (Always)" in status_line(t) and "%k2 approve ask" in status_line(t)
    # the run where the user clicks Always says so from that click on
    clicked, _ = live_ops(tool_run(waited=1.0, total=1.1, decision="always"))
    after = [op for op in clicked if op["op"] == "status"]
    assert "approve" not in after[0]["text"] and "approve: auto (Always)" in after[-1]["text"]
    # a run that asks says nothing about approvals
    asking, _ = live_ops(tool_run(waited=1.0, total=1.1))
    assert not any("approve:" in op["text"] or "approvals" in op for op in asking if op["op"] == "status")
    assert "approve:" not in status_line(transcript_of(tool_run(waited=1.0, total=1.1)))


def test_each_status_op_locates_its_clock_for_the_view_to_advance() -> None:
    ops, _ = live_ops(tool_run(waited=0.0, total=0.1, decision="auto", approve="auto"))
    statuses = [op for op in ops if op["op"] == "status"]
    assert len(statuses) >= 3
    for op in statuses:
        start, end = op["clock"]
        assert op["text"][start:end] == f"{op['elapsed']:.1f} s"
    assert [op["elapsed"] for op in statuses] == sorted(op["elapsed"] for op in statuses)
    assert statuses[-1]["elapsed"] > statuses[0]["elapsed"]


class LiveProbe:
    """The live view: sends go to a list; the transcript applies every event first."""

    def __init__(self, clock: Callable[[], float], cadence: Cadence | None = None) -> None:
        self.sends: list[list[Op]] = []
        self.transcript = Transcript()
        self.live = LiveOps(self.sends.append, cadence=cadence or Cadence(), clock=clock)

    def __call__(self, event: Event) -> None:
        self.transcript.apply(event)
        self.live(event, self.transcript)

    def ops(self) -> list[Op]:
        return [op for batch in self.sends for op in batch]

    def appended(self, block: str) -> str:
        ops = self.ops()
        return "".join(op["text"] for op in ops if op["op"] == "append" and op["id"] == block)


def _stream_run(rec: LiveProbe, clock: Clock, reasoning: list[str], content: list[str], tick: float) -> AssistantTurn:
    turn = AssistantTurn(reasoning="".join(reasoning), content="".join(content), usage=Usage(100, 50))
    rec(RunStarted("r", "kimi-k2-thinking", "moonshot", 10, "p", 0.0))
    rec(StepStarted(1))
    for piece in reasoning:
        clock.now += tick
        rec(ReasoningDelta(1, piece))
    for piece in content:
        clock.now += tick
        rec(ContentDelta(1, piece))
    rec(ModelTurnDone(1, turn, 1.0, 0.5))
    rec(RunFinished("done", turn.content, Usage(100, 50), 2.0, 1))
    return turn


def test_many_deltas_become_few_sends_with_every_character_once() -> None:
    clock = Clock()
    rec = LiveProbe(clock, Cadence(min_interval=0.1))
    reasoning = [f"r{i:04d} " for i in range(2000)]
    content = [f"c{i:04d} " for i in range(1000)]
    turn = _stream_run(rec, clock, reasoning, content, tick=0.001)  # 1000 deltas (6,000 chars) a second

    # 3 s of streaming: a batch whenever 2,048 characters are waiting (every 0.34 s), plus urgent ones
    assert 8 <= len(rec.sends) <= 16
    assert rec.appended("s1a1-think") == turn.reasoning
    assert rec.appended("s1a1-text") == turn.content
    for batch in rec.sends:  # consecutive appends to one block are merged
        for a, b in itertools.pairwise(batch):
            assert not (a["op"] == b["op"] == "append" and a["id"] == b["id"])
    # no message re-sends accumulated text: bytes stay linear in the text
    sent = sum(len(json.dumps(batch, ensure_ascii=False)) for batch in rec.sends)
    text = len(turn.reasoning) + len(turn.content)
    assert sent < 2 * text + 20_000
    # the final answer is not re-sent as HTML: the static trace replaces the view when the run ends
    assert not [op for op in rec.ops() if op["op"] == "html" and op["id"] == "s1a1-text"]


def test_without_time_passing_deltas_wait_for_one_send() -> None:
    clock = Clock()
    rec = LiveProbe(clock)
    reasoning = ["a"] * 500
    _stream_run(rec, clock, reasoning, ["b"] * 300, tick=0.0)
    appends = [op for op in rec.ops() if op["op"] == "append"]
    assert [(op["id"], op["text"]) for op in appends] == [
        ("s1a1-think", "a" * 500),
        ("s1a1-text", "b" * 300),
    ]
    assert len(rec.sends) <= 3


def test_a_slow_stream_sends_a_batch_a_second_and_a_pause_strands_nothing() -> None:
    clock = Clock()
    timers: list[tuple[float, Callable[[], None]]] = []
    sends: list[tuple[float, list[Op]]] = []
    transcript = Transcript()
    live = LiveOps(
        lambda ops: sends.append((clock.now, ops)),
        clock=clock,
        schedule=lambda delay, fn: timers.append((clock.now + delay, fn)),
    )

    def feed(event: Event) -> None:
        transcript.apply(event)
        live(event, transcript)

    def advance(to: float) -> None:
        while timers and min(t for t, _ in timers) <= to:
            due = min(timers, key=lambda item: item[0])
            timers.remove(due)
            clock.now = due[0]
            due[1]()
        clock.now = to

    feed(RunStarted("r", "kimi-k2-thinking", "moonshot", 10, "p", 0.0))
    feed(StepStarted(1))
    for i in range(100):  # 10 s at 10 chars per 0.1 s (~25 tokens/s): far below a batch's worth
        advance(clock.now + 0.1)
        feed(ReasoningDelta(1, f"word{i:05d} "))
    text_sends = [t for t, ops in sends if any(op["op"] == "append" for op in ops)]
    assert text_sends[0] <= 0.35  # the lane's first words go out at once ...
    assert 5 <= len(text_sends) <= 7  # ... then a batch every 2 s, never more often than an envelope is worth
    assert all(b - a >= 1.9 for a, b in itertools.pairwise(text_sends[1:]))
    advance(clock.now + 2.0)  # the stream pauses: the timer flushes what is left within max_delay
    sent = "".join(op["text"] for _, ops in sends for op in ops if op["op"] == "append")
    assert sent == transcript.steps[0].reasoning


def test_structural_ops_go_out_at_once() -> None:
    clock = Clock()
    rec = LiveProbe(clock)
    rec(RunStarted("r", "kimi-k2-thinking", "moonshot", 10, "p", 0.0))
    rec(StepStarted(1))
    rec(ReasoningDelta(1, "thinking about it"))
    before = len(rec.sends)
    call = ToolCall("c1", "code_interpreter", "{}")
    turn = AssistantTurn(reasoning="thinking about it", content="", tool_calls=(call,))
    rec(ModelTurnDone(1, turn, 1.0, 0.5))
    rec(ToolStarted(1, "c1", "code_interpreter", {}, None))
    # no clock advance: the tool went at once, and the fold and pending text in the same message
    assert len(rec.sends) == before + 1
    assert [op["op"] for op in rec.sends[-1]][-4:] == ["append", "title", "block", "status"]
    assert rec.appended("s1a1-think") == "thinking about it"


def test_the_last_turn_and_the_end_of_the_run_share_one_message() -> None:
    clock = Clock()
    rec = LiveProbe(clock)
    rec(RunStarted("r", "kimi-k2-thinking", "moonshot", 10, "p", 0.0))
    rec(StepStarted(1))
    rec(ReasoningDelta(1, "so"))
    clock.now += 1.0
    before = len(rec.sends)
    rec(ContentDelta(1, "the answer"))
    rec(ModelTurnDone(1, AssistantTurn(reasoning="so", content="the answer"), 1.0, 0.5))
    assert len(rec.sends) == before + 1  # the answer's first words went at once
    rec(RunFinished("done", "the answer", Usage(), 1.0, 1))
    assert len(rec.sends) == before + 2  # the fold and the final status: one message, not two
    assert rec.sends[-1][-1]["final"] is True


def test_a_retried_attempt_is_marked_and_the_next_one_gets_fresh_blocks() -> None:
    clock = Clock()
    rec = LiveProbe(clock)
    rec(RunStarted("r", "kimi-k2-thinking", "moonshot", 10, "p", 0.0))
    rec(StepStarted(1))
    rec(ReasoningDelta(1, "first try"))
    rec(Retrying(1, 1, "the stream ended before [DONE]", 2.0))
    rec(StepStarted(1, attempt=2))
    rec(ReasoningDelta(1, "second try"))
    rec.live.flush()
    titles = [op for op in rec.ops() if op["op"] == "title" and op["id"] == "s1a1-think"]
    assert titles == [
        {
            "op": "title",
            "id": "s1a1-think",
            "open": False,
            "kind": "retried",
            "title": "↻ discarded attempt: the stream ended before [DONE]",
        }
    ]
    assert rec.appended("s1a1-think") == "first try"
    assert rec.appended("s1a2-think") == "second try"
    status = [op["text"] for op in rec.ops() if op["op"] == "status"]
    assert any(s.startswith("retrying in 2.0 s") for s in status)
    assert rec.transcript.steps[0].reasoning == "second try"
    assert rec.transcript.steps[0].retried == ["the stream ended before [DONE]"]


def test_live_html_ops_are_sanitized() -> None:
    clock = Clock()
    rec = LiveProbe(clock)
    for event in evil_run():
        clock.now += 1.0
        rec(event)
    html_ops = [op for op in rec.ops() if op["op"] == "html"]
    assert len(html_ops) >= 4
    for op in html_ops:
        assert_inert(op["html"])


def test_a_tool_call_that_is_not_code_is_shown_before_its_approval_and_when_it_ran_unasked() -> None:
    from k2nb.ui.static import code_html

    for asked in (True, False):
        ops, _ = live_ops(mcp_run(asked=asked))
        mine = [op for op in ops if op.get("id") == "tool-add:0-1" and op["op"] in ("html", "approval")]
        shown = [i for i, op in enumerate(mine) if op["op"] == "html" and op["html"] == code_html(MCP_CALL)]
        assert len(shown) == 1, mine  # the call as Python under its server's comment, once
        later = [op["op"] for op in mine[shown[0] + 1 :]]
        assert later == (["approval", "html"] if asked else ["html"])  # then the question (if any), then the result
        phases = [op["phase"] for op in ops if op["op"] == "status"]
        assert "calling a tool" in phases and "running code" not in phases  # an MCP call is no code
        assert "5" in mine[-1]["html"] and mine[-1]["mode"] == "append"


def test_the_status_line_prices_the_run_with_the_users_prices() -> None:
    """`%config K2Magics.prices` reaches the live status line, not only the final cost (it used the table's)."""
    from k2nb.api import Agent

    agent = Agent(provider="toy", approve="auto", prices={"kimi-k2-thinking": (0.0, 0.0, 1_000_000.0)})
    events = list(agent.events("What is 6 times 7?", toy_speed=0))
    agent.close()
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.usage.completion_tokens > 0
    ops, _ = live_ops(events)
    last = [op for op in ops if op["op"] == "status"][-1]["text"]
    # $1 per output token: the status line's cost is the output tokens, as RunFinished says.
    assert f"${finished.usage.completion_tokens:.4f} simulated" in last
    assert finished.cost == finished.usage.completion_tokens


def test_a_call_that_runs_without_asking_shows_while_it_runs() -> None:
    """A user tool (or MCP tool) under `--approve auto` shows its call when it starts, not when it ends."""
    from k2nb.api import Agent
    from k2nb.core.events import ToolFinished, ToolStarted
    from k2nb.ui.live import code_html

    seen: list[str] = []

    def double(x: int) -> int:
        """Twice x.

        Args:
            x: a whole number
        """
        seen.append("ran")
        return 2 * x

    agent = Agent(provider="toy", approve="auto", tools=[double])
    events = list(agent.events("Use `double` with x 21", toy_speed=0))
    agent.close()
    assert seen == ["ran"]
    started = next(e for e in events if isinstance(e, ToolStarted) and e.name == "double")
    assert started.call == "double(x=21)"
    # The view's ops for each event, in order: the call's code is there before the call finished.
    sends: list[list[Op]] = []
    run = Transcript()
    live = LiveOps(sends.append, clock=Clock(0.0))
    shown_at = finished_at = -1
    for i, event in enumerate(events):
        run.apply(event)
        live(event, run)
        live.flush()
        ops = [op for batch in sends for op in batch]
        if shown_at < 0 and any(op["op"] == "html" and op["html"] == code_html("double(x=21)") for op in ops):
            shown_at = i
        if isinstance(event, ToolFinished):
            finished_at = i
    assert 0 <= shown_at < finished_at
