"""Checks a replay against its recording: each tool result as the model read it, and the answer.

Listens to the replayed run's events; a difference becomes a notice naming the step and the first
differing text (times, ids and addresses that vary between identical runs are ignored).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from ..core.events import Event, Notice, RunStarted, ToolFinished
from ..edge.recording import Recording

_VOLATILE = (
    (re.compile(r"\n?\[kernel state\][^\n]*"), ""),  # depends on what the kernel held before
    (re.compile(r"\n?\(kernel state:[^\n]*\)"), ""),
    (re.compile(r"\bIn\s?\[\d+\]"), "In[_]"),  # execution counters in tracebacks
    (re.compile(r"0x[0-9a-fA-F]{6,}"), "0x_"),  # object addresses
    (re.compile(r"[ \t]+$", re.M), ""),
)


def normalize_output(text: str) -> str:
    """Tool output with what legitimately varies between identical runs taken out."""
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text.strip()


def first_difference(recorded: str, now: str, width: int = 120) -> tuple[str, str]:
    """The first differing line of two outputs (shortened), as (recorded, now)."""
    old, new = recorded.splitlines(), now.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            a = "\n".join(old[i1:i2]) or "(nothing)"
            b = "\n".join(new[j1:j2]) or "(nothing)"
            return _short(a, width), _short(b, width)
    return "", ""


def _short(text: str, width: int) -> str:
    text = " ⏎ ".join(line.strip() for line in text.splitlines() if line.strip())
    return text if len(text) <= width else text[: width - 1] + "…"


class ReplayChecker:
    """Watches a replayed run's events and reports, in the trace, where the kernel disagrees."""

    def __init__(self, recording: Recording, *, speed: float = 1.0) -> None:
        self.recording = recording
        self.speed = speed
        self.differences: list[str] = []

    def __call__(self, event: Event) -> Sequence[Event]:
        if isinstance(event, RunStarted):
            return self._started(event)
        if isinstance(event, ToolFinished):
            return self._compare(event)
        return ()

    def _started(self, event: RunStarted) -> list[Event]:
        r = self.recording
        pace = "instantly" if self.speed <= 0 else f"at {self.speed:g}× the recorded pace"
        when = r.header.get("created", "?")
        notices: list[Event] = [
            Notice(
                "info",
                f"replay: {r.source} ({len(r.exchanges)} recorded response(s) from {when}, "
                f"{r.header.get('provider', '?')}) {pace}; the code is re-executed in this kernel "
                "and its output compared with the recording.",
            )
        ]
        if r.prompt and event.prompt.strip() != r.prompt.strip():
            notices.append(
                Notice(
                    "warning",
                    f"replay: this cell's prompt differs from the recorded one ({_short(r.prompt, 80)!r}); "
                    "the recorded responses are replayed anyway.",
                )
            )
        return notices

    def _compare(self, event: ToolFinished) -> list[Event]:
        recorded = self.recording.tool(event.step, event.call_id)
        if recorded is None:
            text = f"replay: step {event.step} ran a tool call ({event.call_id}) that the recording does not have."
            self.differences.append(text)
            return [Notice("warning", text)]
        old, new = normalize_output(str(recorded.get("model_text") or "")), normalize_output(event.model_text)
        if old == new and recorded.get("status") == event.status:
            return []
        if recorded.get("status") != event.status:
            detail = f"it ended {event.status!r}, the recording {recorded.get('status')!r}"
        else:
            was, now = first_difference(old, new)
            detail = f"recorded: {was!r} · now: {now!r}"
        text = (
            f"replay: step {event.step}'s output differs from the recording ({detail}). The kernel's state "
            "is not what it was when this was recorded, so the replayed reasoning and answer may not "
            "match these results."
        )
        self.differences.append(text)
        return [Notice("warning", text)]
