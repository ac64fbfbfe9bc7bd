"""Presenter mode in every renderer: the live view's present / pause / resume ops, the large layout of the saved
trace, and notices where they were said (a replay's drift note above the answer it concerns) in HTML, text and
Markdown; a transcript saved before notices had places shows them after its last step."""

from __future__ import annotations

import json
from pathlib import Path

from k2nb.core.events import (
    ContentDelta,
    Event,
    ModelTurnDone,
    Notice,
    ReasoningDelta,
    RunFinished,
    RunStarted,
    StepPaused,
    StepResumed,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from k2nb.core.turn import AssistantTurn, ToolCall, Usage
from k2nb.ui.export import to_markdown, transcript_from_dict
from k2nb.ui.static import render_html, render_plain
from k2nb.ui.trace_style import trace_css
from k2nb.ui.widget import TraceWidget
from tests.harness.runs import CALL, live_ops, transcript_of

ROOT = Path(__file__).resolve().parents[2]
DRIFT = "replay: step 1's output differs from the recording (recorded: 'n=8' · now: 'n=9')."
ANSWER = "There were **8** rows."


def presented_replay() -> list[Event]:
    """A presented replay: a pause before each of two steps; the checker's note after step 1's tool."""
    call = AssistantTurn("count them", "reasoning_content", None, "", (ToolCall(CALL, "code_interpreter", "{}"),))
    answer = AssistantTurn("it printed n=9", "reasoning_content", None, ANSWER)
    return [
        RunStarted("r1", "kimi-k2-thinking", "replay", 50, "How many rows?", 0.0, present=True),
        Notice("info", "replay: lesson.jsonl (2 recorded response(s)); the code is re-executed."),
        StepPaused(1, "r1:1", "buttons"),
        StepResumed(1, "r1:1", 2.0),
        StepStarted(1),
        ReasoningDelta(1, "count them"),
        ModelTurnDone(1, call, 1.0, 0.5),
        ToolStarted(1, CALL, "code_interpreter", {"code": "print('n=9')"}, "print('n=9')"),
        ToolFinished(1, CALL, "code_interpreter", "ok", "n=9", code="print('n=9')"),
        Notice("warning", DRIFT),
        StepPaused(2, "r1:2", "buttons"),
        StepResumed(2, "r1:2", 3.0),
        StepStarted(2),
        ReasoningDelta(2, "it printed n=9"),
        ContentDelta(2, ANSWER),
        ModelTurnDone(2, answer, 1.0, 0.5),
        RunFinished("done", ANSWER, Usage(10, 5, 0), 9.0, 2),
    ]


def test_the_live_view_gets_the_layout_then_a_pause_before_each_step() -> None:
    ops, _ = live_ops(presented_replay())
    kinds = [op["op"] for op in ops if op["op"] in ("present", "pause", "resume", "block")]
    assert kinds[0] == "present"
    pauses = [op for op in ops if op["op"] in ("pause", "resume")]
    assert pauses == [
        {"op": "pause", "id": "pause-r1:1", "pause_id": "r1:1", "step": 1, "channel": "buttons"},
        {"op": "resume", "id": "pause-r1:1"},
        {"op": "pause", "id": "pause-r1:2", "pause_id": "r1:2", "step": 2, "channel": "buttons"},
        {"op": "resume", "id": "pause-r1:2"},
    ]
    paused = [op for op in ops if op["op"] == "status" and op["phase"] == "paused"]
    assert [op["text"].split(" · ")[1] for op in paused] == ["step 1/50", "step 2/50"]
    # The pause comes after step 1's tool block and the drift note, and before step 2's thinking.
    order = [op["id"] for op in ops if op["op"] in ("block", "pause")]
    assert order.index("pause-r1:2") > order.index(f"tool-{CALL}-1")
    assert order.index("pause-r1:2") < order.index("s2a1-think")
    # Step 1's thinking stays open while the class looks at the pause; it folds as step 2 starts.
    folds = [(i, op.get("open")) for i, op in enumerate(ops) if op["op"] == "title" and op["id"] == "s1a1-think"]
    assert [open_ for _, open_ in folds] == [True, False]
    assert folds[1][0] > ops.index({"op": "resume", "id": "pause-r1:2"})
    plain_run, _ = live_ops([RunStarted("r2", "m", "toy", 5, "p", 0.0), StepStarted(1)])
    assert not [op for op in plain_run if op["op"] in ("present", "pause")]


def test_the_saved_trace_keeps_the_large_layout_and_the_drift_note_above_the_answer() -> None:
    t = transcript_of(presented_replay())
    assert t.present and t.notice_at == [0, 1]
    html = render_html(t)
    assert 'class="k2nb-static k2nb-trace k2nb-present"' in html
    assert html.index("re-executed") < html.index("count them")  # the replay's first line first
    assert html.index("count them") < html.index("differs from the recording") < html.index("it printed n=9")
    assert html.index("differs from the recording") < html.index("<strong>8</strong>")
    plain = render_plain(t)
    assert plain.index("differs from the recording") < plain.index(ANSWER)
    markdown = to_markdown([t])
    assert markdown.index("differs from the recording") < markdown.index(ANSWER)
    assert "div.k2nb-trace.k2nb-present{" in html  # presenter mode's look travels with presented runs only
    unpresented = render_html(
        transcript_of([RunStarted("r2", "m", "toy", 5, "p", 0.0), RunFinished("done", "ok", Usage(), 0, 0)])
    )
    assert 'class="k2nb-static k2nb-trace">' in unpresented and "k2nb-present" not in unpresented


def test_the_live_widget_and_the_labextension_load_presenter_mode_s_look() -> None:
    index = (ROOT / "labextension" / "style" / "index.css").read_text()
    assert "@import url('../../k2nb/ui/present.css');" in index
    assert (
        ROOT / "labextension" / "style" / "../../k2nb/ui/present.css"
    ).resolve() == ROOT / "k2nb" / "ui" / "present.css"
    presented = "div.k2nb-trace.k2nb-present{"
    assert presented in TraceWidget._css and presented in trace_css("present.css")


def test_a_saved_transcript_keeps_the_places_and_an_older_one_shows_its_notices_after_the_last_step() -> None:
    t = transcript_of(presented_replay())
    saved = json.loads(json.dumps(t.to_dict()))
    again = transcript_from_dict(saved)
    assert (again.notices, again.notice_at, again.present) == (t.notices, t.notice_at, True)
    assert render_html(again) == render_html(t)
    del saved["notice_at"]  # a transcript saved before notices had places: they follow the last step
    older = transcript_from_dict(saved)
    html = render_html(older)
    assert html.index("it printed n=9") < html.index("re-executed") < html.index("differs from the recording")
    assert html.index("differs from the recording") < html.index("<strong>8</strong>")
