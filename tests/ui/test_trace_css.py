"""k2nb/ui/trace.css: one stylesheet for the saved trace, the live widget and the labextension; icons and
text labels, no emoji (ANSI colours: tests/ui/test_ansi.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from k2nb.core.events import (
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
from k2nb.ui.sanitize import sanitize_html
from k2nb.ui.static import render_html, render_plain
from k2nb.ui.trace_style import trace_css
from k2nb.ui.widget import TraceWidget
from tests.harness.runs import TRACEBACK

ROOT = Path(__file__).resolve().parents[2]
TRACE_CSS = ROOT / "k2nb" / "ui" / "trace.css"
PICTOGRAPH = re.compile("[\U0001f300-\U0001faff\u23f0-\u23fa\u2600-\u26ff]")


def _run() -> tuple[Transcript, list[dict[str, object]]]:
    t = Transcript()
    ops: list[dict[str, object]] = []
    live = LiveOps(ops.extend)
    code = "total = sum(range(10))\nprint('total is', total)"
    events: list[object] = [
        RunStarted("r1", "kimi-k2-thinking", "custom", 50, "hi", 0.0),
        StepStarted(1),
        ReasoningDelta(1, "I add them."),
        ModelTurnDone(
            1,
            AssistantTurn(
                reasoning="I add them.", tool_calls=(ToolCall("c1", "code_interpreter", json.dumps({"code": code})),)
            ),
            1.0,
            0.5,
        ),
        ToolStarted(1, "c1", "code_interpreter", {"code": code}, code),
        ToolFinished(
            1,
            "c1",
            "code_interpreter",
            "error",
            "ZeroDivisionError",
            (
                {"output_type": "stream", "name": "stdout", "text": "total is 45\n"},
                {
                    "output_type": "error",
                    "ename": "ZeroDivisionError",
                    "evalue": "division by zero",
                    "traceback": TRACEBACK,
                },
            ),
            0.2,
            code,
        ),
        StepStarted(2),
        ReasoningDelta(2, "Done."),
        ModelTurnDone(2, AssistantTurn(reasoning="Done.", content="**45**"), 1.0, 0.5),
        RunFinished("done", "**45**", Usage(), 2.0, 2),
    ]
    for event in events:
        t.apply(event)  # type: ignore[arg-type]
        live(event, t)  # type: ignore[arg-type]
    live.flush()
    return t, ops


def test_the_live_view_carries_trace_css_minified() -> None:
    source = re.sub(r"/\*.*?\*/", "", TRACE_CSS.read_text(), flags=re.S)
    rules = [rule.split("{")[0].strip() for rule in source.split("}") if "{" in rule]
    assert len(rules) > 40
    css = trace_css()
    for selector in rules:
        assert re.sub(r"([:,])\s+", r"\1", selector) + "{" in css, selector
    assert "/*" not in css and "<" not in css and len(css) < 7000  # the first run of each page carries it
    assert TraceWidget._css.startswith(css)  # the saved trace's <style> is a part of it (test_trace_style.py)


def test_the_labextension_and_the_live_widget_load_the_same_file() -> None:
    index = (ROOT / "labextension" / "style" / "index.css").read_text()
    imported = re.search(r"@import url\('([^']+)'\)", index)
    assert imported and (ROOT / "labextension" / "style" / imported.group(1)).resolve() == TRACE_CSS
    assert ".k2nb-icon-thinking" in TraceWidget._css and "div.k2nb-trace pre.k2nb-code" in TraceWidget._css


def test_the_static_trace_has_icons_and_text_labels_and_no_emoji() -> None:
    t, _ = _run()
    html = render_html(t)
    body = html.split("</style>", 1)[1]
    assert not PICTOGRAPH.findall(body)
    assert body.startswith('<div class="k2nb-static k2nb-trace">')
    # the label is an element of its own, so hidden thinking can swap it for its note
    assert (
        '<summary><span class="k2nb-icon k2nb-icon-thinking" aria-hidden="true"></span>'
        '<span class="k2nb-label">Thought for'
    ) in body
    assert (
        '<span class="k2nb-icon k2nb-icon-tool" aria-hidden="true"></span><span class="k2nb-label">code_interpreter'
    ) in body
    assert '<pre class="k2nb-out k2nb-error"><span class="ansi-red-intense-fg">' in body
    assert '<span class="kn">' in body or '<span class="nb">sum</span>' in body  # highlighted
    # what JupyterLab keeps of untrusted HTML is close to our own allow-list: classes survive it
    assert 'class="k2nb-icon k2nb-icon-thinking"' in sanitize_html(body)
    assert 'class="ansi-red-intense-fg"' in sanitize_html(body)


def test_plain_text_keeps_its_markers() -> None:
    t, _ = _run()
    plain = render_plain(t)
    assert "💭 Thought for" in plain and "🔧 code_interpreter · ✗ error" in plain


def test_live_titles_are_text_the_view_adds_the_icons() -> None:
    _, ops = _run()
    titles = [str(op.get("title", "")) for op in ops if op["op"] in ("block", "title")]
    assert "Thinking…" in titles and any(title.startswith("Thought for") for title in titles)
    assert any(title.startswith("code_interpreter · ") for title in titles)
    assert not PICTOGRAPH.findall("".join(titles))
