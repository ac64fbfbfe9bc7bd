"""Markup a model could write to attack the page, and the check that rendered HTML is inert."""

from __future__ import annotations

from html.parser import HTMLParser

from k2nb.core.events import (
    ContentDelta,
    Event,
    ModelTurnDone,
    Notice,
    ReasoningDelta,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from k2nb.core.turn import AssistantTurn, ToolCall, Usage

SCRIPT = "<script>alert(1)</script>"


IMG = "<img src=x onerror=alert(1)>"


JS_LINK = "[click me](javascript:alert(1))"


EVIL = f"{SCRIPT} {IMG} {JS_LINK} <a href='javascript:alert(2)'>a</a> <svg onload=alert(3)>"


class Elements(HTMLParser):
    """Every element and attribute in an HTML string, as a browser's parser would see them."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))


def assert_inert(markup: str) -> None:
    for tag, attrs in Elements(markup).elements:
        assert tag not in ("script", "iframe", "object", "embed", "svg", "math", "form"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            url = value.strip().lower()
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                assert not url.startswith(("javascript:", "vbscript:", "data:text")), (tag, value)


def evil_run() -> list[Event]:
    answer = f"Final {EVIL}"
    tool_turn = AssistantTurn(
        reasoning=EVIL, content=f"Let me run {EVIL}", tool_calls=(ToolCall("c:0", "code_interpreter", "{}"),)
    )
    return [
        RunStarted("r1", "kimi-k2-thinking", "moonshot", 5, f"prompt {EVIL}", 0.0),
        StepStarted(1),
        ReasoningDelta(1, EVIL),
        ContentDelta(1, f"Let me run {EVIL}"),
        ModelTurnDone(1, tool_turn, 1.0, 0.5),
        ToolStarted(1, "c:0", "code_interpreter", {"code": SCRIPT}, code=SCRIPT),
        ToolFinished(
            1,
            "c:0",
            "code_interpreter",
            "ok",
            "ignored",
            outputs=(
                {"output_type": "stream", "name": "stdout", "text": SCRIPT},
                {"output_type": "display_data", "data": {"text/html": EVIL.replace(JS_LINK, ""), "text/plain": "x"}},
                {"output_type": "display_data", "data": {"text/markdown": EVIL}},
                {"output_type": "error", "ename": "E", "evalue": "v", "traceback": [IMG]},
            ),
        ),
        ToolStarted(1, "c:1", f"bad{IMG}", {"x": SCRIPT}),
        ToolFinished(1, "c:1", f"bad{IMG}", "invalid", f"Error: {SCRIPT}"),
        StepStarted(2),
        ContentDelta(2, answer),
        ModelTurnDone(2, AssistantTurn(content=answer), 1.0, 0.0),
        Notice("error", f"k2nb: {SCRIPT}"),
        RunFinished("done", answer, Usage(10, 5), 2.0, 2),
    ]
