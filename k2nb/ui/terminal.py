"""Plain-text live output for terminal IPython (no widgets): deltas printed as they come."""

from __future__ import annotations

import sys
from typing import TextIO

from ..core.events import (
    ApprovalNeeded,
    ContentDelta,
    Event,
    ModelTurnDone,
    Notice,
    ReasoningDelta,
    Retrying,
    RunFinished,
    ToolFinished,
    ToolStarted,
)
from ..core.transcript import Transcript
from .static import status_line, step_title, tool_title


class TerminalPrinter:
    """A view of a run for terminal IPython: takes each event with the run's state after it."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._lane: str | None = None
        self._shown: set[tuple[int, str]] = set()  # (step, call id): calls whose code is printed

    def _lane_to(self, lane: str, header: str) -> None:
        if self._lane != lane:
            self._out.write(("\n" if self._lane else "") + header)
            self._lane = lane

    def __call__(self, event: Event, run: Transcript) -> None:
        w = self._out.write
        if isinstance(event, ReasoningDelta):
            self._lane_to(f"think{event.step}", "💭 ")
            w(event.text)
        elif isinstance(event, ContentDelta):
            self._lane_to(f"text{event.step}", "\n")
            w(event.text)
        elif isinstance(event, ModelTurnDone):
            step = run.find_step(event.step)
            if event.turn.reasoning and step is not None:
                w(f"\n   ({step_title(step, run.status)})")
            self._lane = None
            w("\n")
        elif isinstance(event, ToolStarted):
            w(f"🔧 {event.name}\n")
            self._code(event.step, event.call_id, event.code if event.code is not None else event.call)
        elif isinstance(event, ApprovalNeeded):
            self._code(event.step, event.call_id, event.code)  # what the stdin prompt below asks about
        elif isinstance(event, ToolFinished):
            self._code(event.step, event.call_id, event.code)
            tool = run.find_tool(event.step, event.call_id)
            if tool is not None:
                w(f"  {tool_title(tool)}\n")
            for line in event.model_text.strip().splitlines()[:40]:
                w(f"  → {line}\n")
        elif isinstance(event, Retrying):
            w(f"\n↻ retrying in {event.delay:.1f} s: {event.reason}\n")
        elif isinstance(event, Notice):
            w(f"\nk2nb: {event.text}\n")
        elif isinstance(event, RunFinished):
            w(f"\n{status_line(run)}\n")
        self._out.flush()

    def _code(self, step: int, call_id: str, code: str | None) -> None:
        """A call's code, or a tool call as Python, printed once (before its approval prompt, if any)."""
        if code is not None and (step, call_id) not in self._shown:
            self._shown.add((step, call_id))
            for line in code.splitlines():
                self._out.write(f"  ▌ {line}\n")
