"""Linear and binary search, step by step, for the student's target in the student's list."""

from __future__ import annotations

import re
from typing import Any

from ..core import Answer, Observation, Skill, Task, counted, lines, need
from .common import MAX_ITEMS, Lesson, bracket_lists, numbered, step_lines
from .kernel import KernelList, KernelListLesson, list_names, load_lines, source_words

_SEARCH = re.compile(
    r"\b(linear|sequential|binary)\s+search|\bsearch(?:es|ing)?\s+(?:for\b|through\b)|\b(?:find|locate|look\s+for)\s+"
    r"(?:the\s+)?(?:number\s+|value\s+|position\s+of\s+|index\s+of\s+)?-?\d",
    re.I,
)


def search_skill(task: Task) -> Skill | None:
    text = task.text
    if not _SEARCH.search(text):
        return None
    lists = bracket_lists(text)
    names = [] if lists else list_names(text)
    if not lists and not names:
        return None
    outside = text
    for m in re.finditer(r"\[[^\[\]\n]*\]", text):
        outside = outside.replace(m[0], " ")
    target_m = re.search(
        r"(?:for|find|locate|look\s+for|where\s+is|position\s+of|index\s+of|is)\s+(-?\d+(?:\.\d+)?)", outside, re.I
    )
    target_m = target_m or re.search(r"(-?\d+(?:\.\d+)?)", outside)
    if target_m is None:
        return None
    target: Any = float(target_m[1]) if "." in target_m[1] else int(target_m[1])
    kinds = [k for k in ("linear", "binary") if re.search(rf"\b{k}\b", text, re.I)] or ["linear"]
    if names:  # "binary search for 81 in scores": the kernel's list, looked up first
        which = " and ".join(f"{k} search" for k in kinds)
        return KernelListLesson(task, names, lambda source: SearchLesson(source, target, kinds), which)
    return SearchLesson(lists[0][: MAX_ITEMS * 2], target, kinds)


_LINEAR = (
    "steps = 0",
    "found = -1",
    "for i, value in enumerate(items):",
    "    steps += 1",
    "    if value == target:",
    '        print(f"linear step {steps}: position {i} holds {value!r}: that is the target")',
    "        found = i",
    "        break",
    '    print(f"linear step {steps}: position {i} holds {value!r}: not the target, move on")',
    'print(f"RESULT linear_found={found}")',
    'print(f"RESULT linear_steps={steps}")',
)

_AT = "binary step {steps}: low={low} high={high} mid={mid} holds {value!r}"
_BINARY = (
    "ordered = sorted(items)",
    "if ordered != items:",
    '    print(f"binary search needs a sorted list; sorted: {ordered}")',
    "low, high = 0, len(ordered) - 1",
    "steps = 0",
    "found = -1",
    "while low <= high:",
    "    steps += 1",
    "    mid = (low + high) // 2",
    "    value = ordered[mid]",
    "    if value == target:",
    f'        print(f"{_AT}: that is the target")',
    "        found = mid",
    "        break",
    "    if value < target:",
    f'        print(f"{_AT} < {{target!r}}: keep the right half")',
    "        low = mid + 1",
    "    else:",
    f'        print(f"{_AT} > {{target!r}}: keep the left half")',
    "        high = mid - 1",
    'print(f"RESULT binary_found={found}")',
    'print(f"RESULT binary_steps={steps}")',
    'print(f"RESULT sorted_first={ordered != items}")',
)


class SearchLesson(Lesson):
    def __init__(self, items: list[Any] | KernelList, target: Any, kinds: list[str]) -> None:
        self.items, self.target, self.kinds = items, target, kinds
        loaded = load_lines(items, "items") if isinstance(items, KernelList) else (f"items = {items!r}",)
        code = lines(
            *loaded,
            f"target = {target!r}",
            *(('print(f"items: {items}")',) if isinstance(items, KernelList) else ()),
            *(_LINEAR if "linear" in kinds else ()),
            *(_BINARY if "binary" in kinds else ()),
        )
        which = " and ".join(f"{k} search" for k in kinds)
        searched = source_words(items) if isinstance(items, KernelList) else str(items)
        thought = (
            f"You want {which} for {target} in {searched}. Linear search checks the positions one by one; binary "
            "search needs a sorted list and halves the part that can still hold the target at every step. I'll "
            "print every step and explain the trace."
        )
        super().__init__("show_search", thought, code)

    def explain(self, obs: Observation) -> Answer:
        searched = str(self.items)
        if isinstance(self.items, KernelList):
            searched = f"{source_words(self.items)}, whose values are {self._values(obs)}"
        parts = [f"You asked for {' and '.join(f'{k} search' for k in self.kinds)} of {self.target} in {searched}."]
        printed = []
        if "linear" in self.kinds:
            found, steps = need(obs, "linear_found"), need(obs, "linear_steps")
            trace = [
                f"position {m[1]} holds {m[2]}: "
                + ("the target — stop" if m[3] == "that is the target" else "not the target, move on")
                for m in step_lines(
                    obs, r"linear step \d+: position (\d+) holds (.+?): (that is the target|not the target, move on)"
                )
            ]
            where = f"found at position **{found}**" if found != "-1" else "**not in the list**"
            parts.append(
                "**Linear search** looks at each position in turn until it meets the target.\n\n"
                f"{numbered(trace)}\n\nThe target is {where} after {counted(steps, 'comparison')}."
            )
            printed.append(f"linear_found={found}, linear_steps={steps}")
        if "binary" in self.kinds:
            found, steps = need(obs, "binary_found"), need(obs, "binary_steps")
            trace = [
                f"low = {m[1]}, high = {m[2]}, middle position {m[3]} holds {m[4]}"
                + (": that is the target — stop" if m[5] == "that is the target" else f": {m[5]}")
                for m in step_lines(
                    obs, r"binary step \d+: low=(\d+) high=(\d+) mid=(\d+) holds (.+?)(?: [<>] .+?)?: (.+)"
                )
            ]
            sorted_note = step_lines(obs, r"binary search needs a sorted list; sorted: (\[.*\])")
            first = f"The list was not sorted, so it was sorted first: {sorted_note[0][1]}.\n\n" if sorted_note else ""
            where = f"found at position **{found}** of the sorted list" if found != "-1" else "**not in the list**"
            parts.append(
                "**Binary search** compares the target with the middle of the part that can still hold it and "
                f"throws away the half that cannot.\n\n{first}{numbered(trace)}\n\nThe target is {where} after "
                f"{counted(steps, 'comparison')}."
            )
            printed.append(f"binary_found={found}, binary_steps={steps}")
        if len(self.kinds) == 2:
            parts.append(
                f"Linear search took {counted(need(obs, 'linear_steps'), 'comparison')} and binary search "
                f"{need(obs, 'binary_steps')}: on long sorted lists binary search wins by far (about log₂ n steps)."
            )
        return Answer(f"The code printed {'; '.join(printed)}. I'll explain each step.", "\n\n".join(parts))

    @staticmethod
    def _values(obs: Observation) -> str:
        """The values the lesson read from the kernel, as its code printed them."""
        shown = step_lines(obs, r"items: (\[.*\])")
        return shown[0][1] if shown else "(not printed)"
