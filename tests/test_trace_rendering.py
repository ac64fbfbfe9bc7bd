"""What the saved trace shows: discarded attempts stay visible; text/plain is a digest of thinking."""

from __future__ import annotations

from k2nb.core.events import ModelTurnDone, ReasoningDelta, Retrying, RunFinished, RunStarted, StepStarted
from k2nb.core.transcript import Transcript
from k2nb.core.turn import AssistantTurn, Usage
from k2nb.ui.static import render_html, render_plain


def _run(events: list[object]) -> Transcript:
    t = Transcript()
    for event in events:
        t.apply(event)  # type: ignore[arg-type]
    return t


def test_a_retried_attempts_partial_text_stays_visible_and_marked() -> None:
    t = _run(
        [
            RunStarted("r1", "kimi-k2-thinking", "custom", 50, "hi", 0.0),
            StepStarted(1),
            ReasoningDelta(1, "first try, cut off mid-sen"),
            Retrying(1, 1, "the stream ended before [DONE]", 0.5),
            StepStarted(1, attempt=2),
            ReasoningDelta(1, "second try"),
            ModelTurnDone(1, AssistantTurn(reasoning="second try", content="Answer."), 1.0, 0.5),
            RunFinished("done", "Answer.", Usage(), 1.0, 1),
        ]
    )
    html = render_html(t)
    assert "discarded attempt (retried): the stream ended before [DONE]" in html
    assert "first try, cut off mid-sen" in html
    assert "second try" in html and "Answer." in html
    assert t.steps[0].reasoning == "second try"  # the kept turn is only the successful attempt


def test_plain_text_keeps_a_digest_of_long_thinking_and_the_whole_answer() -> None:
    thought = " ".join(f"w{i}" for i in range(5000))
    t = _run(
        [
            RunStarted("r1", "kimi-k2-thinking", "custom", 50, "hi", 0.0),
            StepStarted(1),
            ModelTurnDone(1, AssistantTurn(reasoning=thought, content="The answer is 42."), 1.0, 0.5),
            RunFinished("done", "The answer is 42.", Usage(), 1.0, 1),
        ]
    )
    plain = render_plain(t)
    assert "w0 " in plain and "w4999" in plain and "cut from the middle" in plain
    assert len(plain) < 1000
    assert "The answer is 42." in plain
    assert thought in render_html(t)  # the HTML beside it keeps every word
