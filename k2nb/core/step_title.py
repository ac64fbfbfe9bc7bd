"""The one title of a thinking step, wherever a step is shown: live view, static trace, cells, export.

A finished step reads "Thought for 12 s · 1.2k tokens" (from a format with ``{seconds}`` and
``{tokens}``: the labextension lets the user choose it for cells); a step still streaming reads
"Thinking…", and one whose run ended first says how it ended: "Thinking (stopped)".
"""

from __future__ import annotations

from .transcript import StepRecord

LIVE_TITLE = "Thinking…"
RUNNING = "running"  # the run status while a run goes on (Transcript.status)


def title_values(step: StepRecord) -> dict[str, str]:
    """What a title format can say: ``seconds`` ("12 s") and ``tokens`` ("1.2k tokens", or words)."""
    seconds = step.reasoning_seconds or step.seconds
    tokens = step.usage.reasoning_tokens if step.usage else 0
    if tokens >= 1000:
        size = f"{tokens / 1000:.1f}k tokens"
    elif tokens:
        size = _count(tokens, "token")
    else:
        size = _count(len(step.reasoning.split()), "word")  # providers that do not count reasoning tokens
    return {"seconds": f"{seconds:.0f} s", "tokens": size}


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def format_works(fmt: str) -> bool:
    """Whether ``fmt`` is a usable title format (a user setting may name a field that does not exist)."""
    try:
        fmt.format(seconds="", tokens="")
    except (KeyError, IndexError, ValueError, AttributeError):
        return False
    return bool(fmt.strip())


def thinking_title(step: StepRecord, fmt: str, run_status: str = RUNNING) -> str:
    """The step's title; ``fmt`` must pass :func:`format_works`, ``run_status`` is the run's status."""
    if step.done:
        return fmt.format(**title_values(step))
    return LIVE_TITLE if run_status == RUNNING else f"Thinking ({run_status})"
