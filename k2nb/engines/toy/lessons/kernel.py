"""A lesson on a list the prompt names in the kernel (``scores``, the ``score`` column of ``grades``): looked up first.

The toy sees only the conversation, so a name in the prompt is checked against what exists (the read-only
``list_variables`` tool, or a listing with code) before a lesson runs on it. The lesson's code then reads the
variable itself, so every value the answer shows was printed by the kernel; a name that is missing, or that
holds no list of numbers, is declined plainly, naming what was found — never replaced by an example list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core import TOOL_NAME, Action, Answer, CodeStep, Observation, Skill, Task, ToolStep
from ..data.knowledge import Knowledge, Variable, learn
from ..data.skill import LISTING_CODE
from ..names import backticked, never_a_name
from ..tools import INSPECT_TOOL, LIST_TOOL
from .common import MAX_ITEMS

# Words of the lessons themselves: never the name of the student's list.
_LESSON_TEXT = """bubble insertion selection merge quick sort sorts sorted sorting algorithm algorithms search searching
    binary linear sequential loop loops recursion recursive recursively example examples step steps pass passes
    trace lesson class students works work happens printed iteration iterations accumulator running"""
_LESSON_WORDS = frozenset(_LESSON_TEXT.split())
_KIND = r"(?:list|array|series|sequence|tuple|variable)"
_DET = r"(?:my\s+|the\s+|our\s+|your\s+)?"
# Where a lesson's prompt names its list: "the list scores", "the scores list", "on scores", "summing scores",
# "sort scores with merge sort", "the price column of sales".
_SLOTS = (
    rf"\b{_KIND}\s+(?:called\s+|named\s+)?([A-Za-z_]\w*)",
    rf"(?<!\ba\s)(?<!\ban\s)\b([A-Za-z_]\w*)\s+{_KIND}\b",  # "the scores list", never "a random list"
    rf"\b(?:on|in|of|over|through|across|from|using|with)\s+{_DET}([A-Za-z_]\w*)",
    rf"\b(?:sort|sorts|sorting|order|ordering|sum|sums|summing|add\s+up|adding\s+up|total|totalling|totaling|"
    rf"average|averaging|count|counting|multiply|multiplying|search|searching|iterate\s+(?:over|through)|"
    rf"loop\s+(?:over|through))\s+{_DET}([A-Za-z_]\w*)",
    r"\b([A-Za-z_]\w*)\s*\[\s*['\"]",  # grades['score']
    r"\b([A-Za-z_]\w*)'s\b",
)


def list_names(text: str) -> list[str]:
    """Names the prompt gives its list in (backticked, or where lessons name one), in order; not English words."""
    found: list[tuple[int, str]] = []
    for pattern in _SLOTS:
        found += [(m.start(1), m[1]) for m in re.finditer(pattern, text, re.I)]
    plain = [w for _, w in sorted(found) if not never_a_name(w) and w.lower() not in _LESSON_WORDS]
    return list(dict.fromkeys(backticked(text) + plain))


@dataclass(frozen=True)
class KernelList:
    """A kernel variable holding the lesson's values: a list, tuple, array or Series, or one column of a DataFrame."""

    name: str
    column: str | None = None
    size: int | None = None  # how many values the listing reported (a column: the frame's rows)

    def expression(self) -> str:
        return f"{self.name}[{self.column!r}]" if self.column else self.name

    def label(self) -> str:
        return f"the `{self.column}` column of `{self.name}`" if self.column else f"`{self.name}`"

    @property
    def shown(self) -> int:
        """How many values the lesson walks through."""
        return min(self.size, MAX_ITEMS) if self.size is not None else MAX_ITEMS


def load_lines(source: KernelList, target: str = "data", limit: int | None = MAX_ITEMS) -> tuple[str, ...]:
    """Lesson code that reads ``source`` from the kernel into ``target``: numbers only (a column's missing values
    left out), at most ``limit`` of them; anything else prints ``not_numbers`` and stops the lesson."""
    return (
        f"raw = {source.expression()}",
        'raw = raw.dropna() if hasattr(raw, "dropna") else raw  # a missing value is no value to sort',
        'values = raw.tolist() if hasattr(raw, "tolist") else list(raw)',
        'values = [v.item() if hasattr(v, "item") else v for v in values]  # numpy numbers as Python ones',
        "odd = [v for v in values if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v]",
        "if odd:",
        '    print(f"RESULT not_numbers={odd[:3]!r}")',
        '    print(f"RESULT size={len(values)}")',
        "    return",
        'print(f"RESULT size={len(values)}")',
        f"{target} = values[:{limit}]" if limit else f"{target} = values",
    )


def source_words(source: KernelList, limit: int | None = MAX_ITEMS) -> str:
    """How a thought or an answer names the list it used: *your list `scores`*, and what part of it."""
    cut = limit is not None and source.size is not None and source.size > limit
    part = f" (the first {limit} of its {source.size} values: more is unreadable step by step)" * cut
    return f"your list {source.label()}{part}" if not source.column else f"{source.label()}{part}"


class KernelListLesson(Skill):
    """Look the named list up, then run ``build``'s lesson on it, or say plainly why not."""

    learns = True  # what the listing said, failures included, is knowledge

    def __init__(self, task: Task, names: list[str], build: Callable[[KernelList], Skill], lesson: str) -> None:
        self.task, self.names, self.build, self.lesson = task, names, build, lesson

    def next(self, done: Sequence[Observation]) -> Action:
        known = learn(self.task, done)
        if not known.listed:
            why = (
                f"The prompt names {' or '.join(f'`{n}`' for n in self.names[:2])} for the {self.lesson} and writes no "
                "list of its own, so the values must come from your kernel. I'll check what exists first"
            )
            if self.task.has_tool(LIST_TOOL):
                return ToolStep(f"{why} with the read-only `list_variables` tool.", LIST_TOOL, {})
            return CodeStep(f"{why}, listing the kernel's lists and DataFrames with code.", LISTING_CODE)
        chosen = self.choose(known)
        if isinstance(chosen, Variable):  # a DataFrame without one named column: its types pick the example
            return ToolStep(
                f"`{chosen.name}` is a DataFrame, and the prompt names none (or several) of its columns; I'll look at "
                "its column types with the read-only `inspect_variable` tool before saying which would do.",
                INSPECT_TOOL,
                {"name": chosen.name},
            )
        if isinstance(chosen, Answer):
            return chosen
        self.kernel_var = chosen.name
        ran = [o for o in done if o.tool == TOOL_NAME and "listing" not in o.results]
        if ran and "not_numbers" in ran[-1].results:
            odd = ran[-1].results["not_numbers"]
            return Answer(
                f"{chosen.label()} holds values that are not numbers ({odd}), so the lesson stopped before sorting "
                "anything; I'll say so rather than use another list.",
                f"I didn't run the {self.lesson} on {chosen.label()}: it holds values that are not numbers (e.g. "
                f"{odd}, of {ran[-1].results.get('size', '?')} values). Name a list of numbers, or write one in the "
                "prompt, e.g. *[5, 3, 1]*.",
            )
        return self.build(chosen).next(ran)

    def choose(self, known: Knowledge) -> KernelList | Answer | Variable:
        """The list to use, or why there is none (a Variable: a DataFrame to inspect first)."""
        text = self.task.text
        found = [known.variables[n] for n in self.names if n in known.variables]
        for var in found:
            if var.sequence:
                return KernelList(var.name, None, _count(var.rows()))
            if var.frame:
                return self._column(var, text, known)
        if found:  # named, but neither a list nor a DataFrame
            var = found[0]
            return _decline(
                f"`{var.name}` is a {var.kind}" + (f" ({var.size})" if var.size else "") + ", not a list of numbers",
                self.lesson,
                known,
            )
        # "bubble sort the price column": no frame named, but exactly one has that column
        owners = [
            (v, c) for v in known.frames() for c in v.columns or () if c in self.names and re.search(rf"\b{c}\b", text)
        ]
        if len(owners) == 1:
            frame, column = owners[0]
            return KernelList(frame.name, column, _count(frame.rows()))
        missing = ", ".join(f"`{n}`" for n in self.names if n not in known.variables)
        return _decline(f"there is no variable named {missing} in your kernel", self.lesson, known)

    def _column(self, frame: Variable, text: str, known: Knowledge) -> KernelList | Answer | Variable:
        columns = [c for c in frame.columns or () if re.search(rf"(?<![\w`]){re.escape(c)}(?!\w)", text)]
        listed = ", ".join(f"`{c}`" for c in frame.columns or ())
        if len(columns) == 1:
            return KernelList(frame.name, columns[0], _count(frame.rows()))
        if frame.dtypes is None and self.task.has_tool(INSPECT_TOOL) and frame.name not in known.looked_up:
            return frame
        which = "several of its columns" if columns else "none of its columns"
        numeric = [c for c in frame.columns or () if frame.numeric(c) and not frame.boolean(c)]
        example = (numeric or columns or list(frame.columns or ()) or ["x"])[0]
        return Answer(
            f"`{frame.name}` is a DataFrame and the prompt names {which}, so I can't tell which list of values the "
            f"{self.lesson} should use; I'll ask rather than pick one.",
            f"`{frame.name}` is a DataFrame ({frame.size}, columns {listed}), not one list: a {self.lesson} needs "
            f"one column of numbers. Name it, e.g. *the {example} column of {frame.name}*.",
        )


def _count(rows: str) -> int | None:
    return int(rows) if rows.isdigit() else None


def _decline(found: str, lesson: str, known: Knowledge) -> Answer:
    lists = [f"`{v.name}` ({v.kind}, {v.size})" for v in known.sequences()]
    frames = [f"`{v.name}` (DataFrame {v.size})" for v in known.frames()]
    have = "; ".join(p for p in (", ".join(lists), ", ".join(frames)) if p)
    there = f" Lists and DataFrames there: {have}." if have else " I found no list or DataFrame there."
    return Answer(
        f"{found[0].upper()}{found[1:]}. Running the {lesson} on an example list instead would answer a different "
        "question; I'll say so.",
        f"I didn't run the {lesson}: {found}.{there} Name one of those (a DataFrame by one of its columns), write "
        "the list in the prompt (e.g. *[5, 3, 1]*), or leave the list out to see it on an example.",
    )
