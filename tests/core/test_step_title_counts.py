"""The step title counts in English: one word, two words; tokens likewise, then thousands as "1.2k"."""

from __future__ import annotations

from k2nb.core.step_title import title_values
from k2nb.core.transcript import StepRecord
from k2nb.core.turn import Usage


def _step(reasoning: str, reasoning_tokens: int = 0) -> StepRecord:
    step = StepRecord(step=1)
    step.reasoning_parts.append(reasoning)
    if reasoning_tokens:
        step.usage = Usage(10, 10, reasoning_tokens=reasoning_tokens)
    return step


def test_one_word_is_singular_and_thousands_of_tokens_are_short() -> None:
    assert title_values(_step("think"))["tokens"] == "1 word"
    assert title_values(_step("think twice"))["tokens"] == "2 words"
    assert title_values(_step("x", reasoning_tokens=1))["tokens"] == "1 token"
    assert title_values(_step("x", reasoning_tokens=1234))["tokens"] == "1.2k tokens"
