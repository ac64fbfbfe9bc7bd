"""k2nb/ui/trace_style.py: the saved trace's ``<style>`` holds only the rules its markup can match, and
every element of the saved trace gets exactly the rules the whole trace.css would give it.

The rule matching is checked by a real CSS selector engine (soupsieve, over BeautifulSoup) and the
file's shape by a real CSS parser (tinycss2)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import tinycss2
from bs4 import BeautifulSoup, Tag

from k2nb.core.events import (
    ApprovalDecided,
    ApprovalNeeded,
    CellChange,
    ContentDelta,
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
from k2nb.ui.cell_change import change_html
from k2nb.ui.cells_link import cells_bundle
from k2nb.ui.static import render_html
from k2nb.ui.trace_style import rules, style_for, trace_css
from tests.harness.runs import TRACEBACK, long_run, transcript_of
from tests.harness.workload import make_trace

# Set on the notebook by the labextension (hidden thinking), which loads the whole trace.css itself.
SET_BY_THE_LABEXTENSION = {"k2nb-hide-thinking"}
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def _transcript(events: Iterable[object]) -> Transcript:
    t = Transcript()
    for event in events:
        t.apply(event)  # type: ignore[arg-type]
    return t


def thinking_and_answer() -> Transcript:
    trace = make_trace(300, 40)
    turn = AssistantTurn(reasoning=trace.reasoning, content=trace.content, usage=Usage(10, 5))
    return _transcript(
        [
            RunStarted("r1", "kimi-k2-thinking", "custom", 10, "hi", 0.0),
            StepStarted(1),
            ReasoningDelta(1, trace.reasoning),
            ContentDelta(1, trace.content),
            ModelTurnDone(1, turn, 1.0, 0.5),
            RunFinished("done", trace.content, Usage(10, 5), 1.0, 1),
        ]
    )


def everything() -> Transcript:
    """Thinking, edited and highlighted code, stdout, a coloured traceback, a figure, an answer."""
    code = "import math\ntotal = sum(range(10))  # add\nprint('total', total / 0)"
    call = ToolCall("c1", "code_interpreter", json.dumps({"code": code}))
    outputs = (
        {"output_type": "stream", "name": "stdout", "text": "total 45\n"},
        {"output_type": "display_data", "data": {"image/png": PIXEL}},
        {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": TRACEBACK},
    )
    return _transcript(
        [
            RunStarted("r2", "kimi-k2-thinking", "custom", 10, "hi", 0.0),
            StepStarted(1),
            ReasoningDelta(1, "I add them."),
            ModelTurnDone(1, AssistantTurn(reasoning="I add them.", content="Run it.", tool_calls=(call,)), 1, 0),
            ToolStarted(1, "c1", "code_interpreter", {"code": code}, code),
            ApprovalNeeded(1, "c1", code, tool="code_interpreter"),
            ApprovalDecided(1, "c1", "edit", code + "\n", tool="code_interpreter"),
            ToolFinished(1, "c1", "code_interpreter", "error", "ZeroDivisionError", outputs, 0.1, code + "\n"),
            StepStarted(2),
            ReasoningDelta(2, "Done."),
            ModelTurnDone(2, AssistantTurn(reasoning="Done.", content="**45**, see `total`"), 1, 0),
            RunFinished("done", "**45**, see `total`", Usage(), 2.0, 2),
        ]
    )


def _applied(markup: str, css: str) -> list[tuple[str, set[str]]]:
    """The rules (by body) that apply to each element of ``markup``, in document order, as a browser's
    selector engine sees it (pseudo-elements dropped: they style the element they hang off)."""
    soup = BeautifulSoup(markup, "html.parser")
    elements = [tag for tag in soup.find_all(True) if isinstance(tag, Tag)]
    applied: dict[int, set[str]] = {id(tag): set() for tag in elements}
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        assert rule.type == "qualified-rule", rule
        body = tinycss2.serialize(rule.content)
        selector = re.sub(r"::?(after|before)\b", "", tinycss2.serialize(rule.prelude)).strip()
        for tag in soup.select(selector):
            applied[id(tag)].add(body)
    return [(f"{tag.name}.{'.'.join(tag.get('class') or [])}", applied[id(tag)]) for tag in elements]


def _style_css(html: str) -> tuple[str, str]:
    style, body = html.split("</style>", 1)
    return style.removeprefix("<style>\n").removesuffix("\n"), body


def test_trace_css_is_flat_so_its_rules_split_at_braces() -> None:
    parsed = tinycss2.parse_stylesheet(trace_css(), skip_comments=True, skip_whitespace=True)
    assert all(rule.type == "qualified-rule" for rule in parsed)  # no at-rules, nothing nested
    assert len(rules()) == len(parsed) > 40
    for ours, theirs in zip(rules(), parsed, strict=True):
        assert ",".join(s.text for s in ours.selectors) == tinycss2.serialize(theirs.prelude).strip()
        assert ours.body == "{" + tinycss2.serialize(theirs.content) + "}"


def test_every_element_of_a_saved_trace_gets_the_rules_the_whole_file_gives_it() -> None:
    for transcript in (everything(), thinking_and_answer(), transcript_of(long_run(60))):
        saved = render_html(transcript)
        css, body = _style_css(saved)
        assert _applied(body, css) == _applied(body, trace_css())
    # a presented run: trace.css and presenter mode's present.css, each pruned
    presented = thinking_and_answer()
    presented.present = True
    css, body = _style_css(render_html(presented))
    assert "div.k2nb-trace.k2nb-present{" in css
    assert _applied(body, css) == _applied(body, trace_css() + trace_css("present.css"))
    # and the runs that carry no trace (--cells: a status line and a link)
    css, body = _style_css(cells_bundle(everything())["text/html"])
    assert _applied(body, css) == _applied(body, trace_css())
    # and a notebook change's diff and links (the notebook tools)
    change = CellChange("edit", "c1", "cell 2 · In [1]", before="x = 1\ny = 2", after="x = 1\ny = 3", applied=True)
    tool = f'<details class="k2nb-tool" open>{change_html(change, "c1")}</details>'
    body = f'<div class="k2nb-static k2nb-trace">{tool}</div>'
    assert "k2nb-diff" in body
    assert _applied(body, _style_css(style_for(body) + body)[0]) == _applied(body, trace_css())


def test_the_saved_style_keeps_only_what_the_run_needs() -> None:
    full = len(trace_css())
    small, _ = _style_css(render_html(thinking_and_answer()))
    rich, _ = _style_css(render_html(everything()))
    # a run without code carries no token colours, no ANSI palette, no tool icon
    assert len(small) < 1_700 < full / 3, len(small)
    assert ".ansi-" not in small and ".k2nb-code" not in small and "k2nb-icon-tool" not in small
    # a run with code and a traceback carries what they use, and still not the live view's rules
    assert ".ansi-red-intense-fg" in rich and ".kn" in rich and "k2nb-icon-tool" in rich
    assert "k2nb-kind-" not in rich and "k2nb-hide-thinking" not in rich and len(rich) < full


def test_rules_for_classes_the_labextension_sets_stay_with_the_labextension() -> None:
    hidden = [r for r in rules() if any("k2nb-hide-thinking" in s.text for s in r.selectors)]
    assert hidden  # trace.css has them (the labextension loads the whole file) ...
    saved = render_html(everything())
    assert "k2nb-hide-thinking" not in saved  # ... and no saved trace needs them
    soup = BeautifulSoup(saved, "html.parser")
    assert not {c for tag in soup.find_all(True) for c in tag.get("class") or []} & SET_BY_THE_LABEXTENSION


def test_markup_without_classes_gets_no_style_element() -> None:
    assert style_for("<p>plain</p>") == ""
