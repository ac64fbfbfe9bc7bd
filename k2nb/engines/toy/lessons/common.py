"""What the lessons share: the student's input from the prompt, teaching words, and the printed trace."""

from __future__ import annotations

import ast
import re
from typing import Any

from ..core import Answer, Observation, OneShot, as_function
from ..parsing import quoted

TEACH = re.compile(
    r"step[- ]by[- ]step|\bexplain|\bhow\s+(?:does|do|would|can|is)\b|\bshow\s+(?:me\s+)?how|"
    r"\bwalk\s+(?:me\s+)?through|pass\s+by\s+pass|\btrace\b|\bteach|\billustrate|\bdemonstrate|\bvisuali[sz]e|\blesson|\beach\s+step|\bwhat\s+happens",
    re.I,
)


def depth_mark(depth: int) -> str:
    """How deep a step of a recursive trace is, shown in its text (Markdown strips leading spaces):
    nothing at the top, then ``↳``, ``· ↳``, ``· · ↳``…"""
    return "· " * (depth - 1) + "↳ " if depth > 0 else ""


MAX_ITEMS = 16  # a lesson's input: more than this is no longer readable step by step


def teaching(text: str) -> bool:
    return TEACH.search(text) is not None


def bracket_lists(text: str) -> list[list[Any]]:
    """``[5, 3, 1]`` / ``['pear', 'fig']`` written in the prompt, in order (numbers or strings only)."""
    found = []
    for m in re.finditer(r"\[[^\[\]\n]*\]", text):
        try:
            value = ast.literal_eval(m[0])
        except (ValueError, SyntaxError):
            continue
        if (
            isinstance(value, list)
            and value
            and all(_plain(v) for v in value)
            and len({type(v) for v in value} - {int, float}) <= 1
        ):
            found.append(value)
    return found


def _plain(value: Any) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


_RUN = re.compile(r"-?\d+(?:\.\d+)?(?:\s*(?:,\s*(?:and\s+)?|\band\b|\s)\s*-?\d+(?:\.\d+)?)+")


def number_run(text: str) -> list[int | float] | None:
    """Numbers written one after another (``5, 3, 1`` or ``5 3 1``), at least two."""
    for m in _RUN.finditer(text):
        values = re.findall(r"-?\d+(?:\.\d+)?", m[0])
        if len(values) >= 2:
            return [float(v) if "." in v else int(v) for v in values]
    return None


def input_list(text: str) -> list[Any] | None:
    """The list a lesson works on: a bracketed list, else a run of numbers, else quoted words."""
    lists = bracket_lists(text)
    if lists:
        return lists[0]
    run = number_run(text)
    if run:
        return run
    words = [w for q in quoted(text) for w in re.split(r"[,\s]+", q) if w]
    return words if len(words) >= 2 else None


def step_lines(obs: Observation, pattern: str) -> list[re.Match[str]]:
    """The printed lines of the trace that match ``pattern`` (the lesson's own format), in order."""
    compiled = re.compile(pattern)
    return [m for line in obs.output.splitlines() if (m := compiled.fullmatch(line.rstrip()))]


def numbered(items: list[str], limit: int = 40) -> str:
    shown = [f"{i}. {item}" for i, item in enumerate(items[:limit], 1)]
    if len(items) > limit:
        shown.append(f"… and {len(items) - limit} more steps (all of them are in the printed trace above).")
    return "\n".join(shown)


class Lesson(OneShot):
    """A lesson: its code runs as one function named ``name`` (``as_function``); ``explain`` reads the trace."""

    def __init__(self, name: str, thought: str, code: str) -> None:
        super().__init__(thought, as_function(name, code), self.explain)

    def explain(self, obs: Observation) -> Answer:
        raise NotImplementedError
