"""One thinking-step title: the live view, the static trace, the terminal, the cells and the export say the same."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

from k2nb.api import Agent, View
from k2nb.core.step_title import LIVE_TITLE, thinking_title
from k2nb.core.transcript import Transcript
from k2nb.notebook.cells import DEFAULT_HEADING, CellMaterializer
from k2nb.ui.cells_export import transcript_cells
from k2nb.ui.export import transcript_markdown
from k2nb.ui.live import LiveOps
from k2nb.ui.static import render_html, render_plain
from k2nb.ui.terminal import TerminalPrinter

# Step 1 thinks ~1,250 tokens (the openrouter dialect reports reasoning tokens), step 2 a few words.
SCRIPT = "\n".join(
    [
        "think: " + "sieve " * 800,
        "tool: code_interpreter " + json.dumps({"code": "print(2 + 2)"}),
        "---",
        "think: It printed 4.",
        "text: **4**",
    ]
)


def _cell_titles(ops: list[dict[str, Any]]) -> list[str]:
    """The first line of each thinking cell, as the tab ends up with it."""
    sources: dict[str, str] = {}
    for op in ops:
        if op["op"] == "cell-insert" and op["cell"]["metadata"]["k2nb"]["role"] == "thinking":
            sources[op["cell"]["id"]] = op["cell"]["source"]
        elif op["op"] == "cell-update" and op["id"] in sources and "source" in op:
            sources[op["id"]] = op["source"]
    return [source.split("\n")[0] for source in sources.values()]


def test_every_view_titles_a_step_alike(scripted_server: Any) -> None:
    server = scripted_server(SCRIPT, dialect="openrouter")
    live: list[dict[str, Any]] = []
    cell_ops: list[dict[str, Any]] = []
    terminal = io.StringIO()
    agent = Agent(base_url=server.base_url, api_key="sk-test", approve="auto")
    try:
        views: list[View] = [LiveOps(live.extend), CellMaterializer(cell_ops.append, "k2"), TerminalPrinter(terminal)]
        transcript = agent.run("What is 2 + 2?", views=views)
    finally:
        agent.close()

    titles = [thinking_title(step, DEFAULT_HEADING, transcript.status) for step in transcript.steps]
    assert re.fullmatch(r"Thought for \d+ s · 1\.2k tokens", titles[0]), titles
    assert re.fullmatch(r"Thought for \d+ s · \d+ tokens", titles[1]), titles

    folded = [op["title"] for op in live if op["op"] == "title" and op["id"].endswith("-think")]
    assert folded == titles  # the live view folds each lane to it
    assert [op["title"] for op in live if op["op"] == "block" and op["kind"] == "thinking"] == [LIVE_TITLE] * 2
    static = re.findall(r'k2nb-thinking-block"><summary>.*?k2nb-label">(.*?)</span>', render_html(transcript))
    assert [html.unescape(title) for title in static] == titles
    assert re.findall(r"^💭 (.*)$", render_plain(transcript), re.M) == titles
    assert re.findall(r"^   \((.*)\)$", terminal.getvalue(), re.M) == titles
    assert _cell_titles(cell_ops) == titles
    exported = transcript_cells(transcript, "k2")
    assert [c.source.split("\n")[0] for c in exported if c.metadata["k2nb"]["role"] == "thinking"] == titles
    assert re.findall(r"<summary>💭 (.*?)</summary>", transcript_markdown(transcript)) == titles


def test_a_step_cut_short_says_how_its_run_ended() -> None:
    from k2nb.core.events import ReasoningDelta, RunFinished, RunStarted, StepStarted
    from k2nb.core.turn import Usage

    t = Transcript()
    for event in (RunStarted("r", "m", "toy", 5, "p", 0.0), StepStarted(1), ReasoningDelta(1, "half a thou")):
        t.apply(event)
    assert thinking_title(t.steps[0], DEFAULT_HEADING, t.status) == "Thinking…"
    t.apply(RunFinished("stopped", "", Usage(), 1.0, 1))
    title = "Thinking (stopped)"
    assert thinking_title(t.steps[0], DEFAULT_HEADING, t.status) == title
    assert f'<span class="k2nb-label">{title}</span>' in render_html(t)
    assert f"💭 {title}" in render_plain(t) and f"<summary>💭 {title}</summary>" in transcript_markdown(t)
    assert transcript_cells(t, "k2")[0].source == f"{title}\n\nhalf a thou"
