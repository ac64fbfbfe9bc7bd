"""Sorting algorithms pass by pass: bubble, insertion, selection, merge and quick sort on the student's list."""

from __future__ import annotations

import re
from typing import Any

from ..core import Answer, Observation, Skill, Task, counted, lines, literal, need
from ..declines import Decline
from ..order import BOTH_WAYS, directions
from .common import MAX_ITEMS, Lesson, depth_mark, input_list, numbered, step_lines, teaching
from .kernel import KernelList, KernelListLesson, list_names, load_lines, source_words

ALGORITHMS = {
    "bubble": r"bubble",
    "insertion": r"insertion",
    "selection": r"selection",
    "merge": r"merge",
    "quick": r"quick|partition",
}
_SORT = re.compile(r"\b(?:sort(?:s|ed|ing)?)\b(?!\s+(?:by|on)\b)", re.I)  # "sorted by x" is a data question

IDEAS = {
    "bubble": (
        "Bubble sort walks along the list comparing each pair of neighbours and swaps them when they are out "
        "of order. After each pass the {largest} value not yet in place has bubbled to the end, so the next pass "
        "can stop one place earlier; a pass without a swap means the list is sorted."
    ),
    "insertion": (
        "Insertion sort grows a sorted part at the front of the list. It takes the next value, shifts every "
        "{larger} value of the sorted part one place to the right, and drops the value into the gap — the way "
        "you sort playing cards in your hand."
    ),
    "selection": (
        "Selection sort finds the {smallest} value of the unsorted part and swaps it to the front of that part; "
        "then the sorted part is one longer. It makes the same number of comparisons whatever the input."
    ),
    "merge": (
        "Merge sort splits the list in half again and again until each piece has one value (one value is "
        "sorted), then merges pieces back together: merging two sorted lists only needs to compare their "
        "first values each time."
    ),
    "quick": (
        "Quick sort picks a pivot (here the last value), puts the values that are not {larger} than the pivot "
        "on its left and the {larger} ones on its right, and sorts both sides the same way. Each pivot ends up "
        "in its final place."
    ),
}
# The words of a lesson, smallest first or (``True``) largest first: every comparison turned round.
_WORDS = {
    False: {"largest": "largest", "larger": "larger", "smallest": "smallest", "gt": ">", "lt": "<", "le": "<="},
    True: {"largest": "smallest", "larger": "smaller", "smallest": "largest", "gt": "<", "lt": ">", "le": ">="},
}


def idea(algorithm: str, descending: bool) -> str:
    text = IDEAS[algorithm].format(**_WORDS[descending])
    if descending:
        text += " You asked for the largest value first, so every comparison is turned round."
    return text


def sorting_skill(task: Task) -> Skill | None:
    text = task.text
    named = [name for name, p in ALGORITHMS.items() if re.search(rf"\b(?:{p})[\s-]*sort", text, re.I)]
    items = input_list(text)
    if not named and not (_SORT.search(text) and (teaching(text) or re.search(r"algorithm", text, re.I) or items)):
        return None
    wanted = directions(text)
    if len(wanted) > 1:
        return Decline("The prompt asks for both orders at once.", BOTH_WAYS)
    algorithm = named[0] if named else "bubble"
    descending = wanted == {True}
    names = list_names(text) if items is None else []
    if names:  # "bubble sort the list scores": the kernel's list, looked up first, never the example
        return KernelListLesson(
            task, names, lambda source: SortLesson(algorithm, source, descending=descending), f"{algorithm} sort"
        )
    if items is None:
        if not named:
            return None  # "sort" alone with nothing to sort is not this lesson
        return SortLesson(algorithm, [5, 2, 9, 1, 7], given=False, descending=descending)
    return SortLesson(algorithm, items[:MAX_ITEMS], cut=len(items) > MAX_ITEMS, descending=descending)


def _bubble(detail: bool) -> tuple[str, ...]:
    return (
        "passes = comparisons = swaps = 0",
        "for end in range(len(items) - 1, 0, -1):",
        "    passes += 1",
        "    swapped = False",
        "    for i in range(end):",
        "        comparisons += 1",
        "        a, b = items[i], items[i + 1]",
        "        if a «gt» b:",
        "            items[i], items[i + 1] = b, a",
        "            swaps += 1",
        "            swapped = True",
        *(
            ("        print(f\"pass {passes}: compare {a!r} and {b!r}: {'swap' if a «gt» b else 'keep'} -> {items}\")",)
            if detail
            else ()
        ),
        '    print(f"after pass {passes}: {items}" + ("" if swapped else " (no swap: sorted)"))',
        "    if not swapped:",
        "        break",
    )


# The lessons' code, with «gt» «le» «lt» for the comparisons and «larger» «smallest» for the words the trace
# prints: smallest first, or every one turned round for largest first (``_WORDS``).
_INSERTION = (
    "passes = comparisons = swaps = 0",
    "for i in range(1, len(items)):",
    "    passes += 1",
    "    key = items[i]",
    "    j = i - 1",
    "    moved = []",
    "    while j >= 0:",
    "        comparisons += 1",
    "        if items[j] «le» key:",
    "            break",
    "        moved.append(items[j])",
    "        items[j + 1] = items[j]",
    "        swaps += 1",
    "        j -= 1",
    "    items[j + 1] = key",
    '    print(f"step {passes}: insert {key!r}: moved {moved} one place right, put it at position {j + 1} -> {items}")',
)

_SELECTION = (
    "passes = comparisons = swaps = 0",
    "for i in range(len(items) - 1):",
    "    passes += 1",
    "    best = i",
    "    for j in range(i + 1, len(items)):",
    "        comparisons += 1",
    "        if items[j] «lt» items[best]:",
    "            best = j",
    "    rest = items[i:]",
    "    if best != i:",
    "        items[i], items[best] = items[best], items[i]",
    "        swaps += 1",
    '    print(f"step {passes}: «smallest» of {rest} is {items[i]!r}, swapped to position {i} -> {items}")',
)

_MERGE = (
    "passes = comparisons = swaps = 0",
    "",
    "",
    "def merge_sort(part, depth=0):",
    "    global comparisons, passes",
    '    pad = "  " * depth',
    "    if len(part) <= 1:",
    '        print(f"{pad}{part}: one value, already sorted")',
    "        return part",
    "    mid = len(part) // 2",
    '    print(f"{pad}split {part} -> {part[:mid]} | {part[mid:]}")',
    "    left, right = merge_sort(part[:mid], depth + 1), merge_sort(part[mid:], depth + 1)",
    "    merged, a, b = [], 0, 0",
    "    while a < len(left) and b < len(right):",
    "        comparisons += 1",
    "        if left[a] «le» right[b]:",
    "            merged.append(left[a])",
    "            a += 1",
    "        else:",
    "            merged.append(right[b])",
    "            b += 1",
    "    merged += left[a:] + right[b:]",
    "    passes += 1",
    '    print(f"{pad}merge {left} + {right} -> {merged}")',
    "    return merged",
    "",
    "",
    "items = merge_sort(items)",
)

_QUICK = (
    "passes = comparisons = swaps = 0",
    "",
    "",
    "def quick_sort(part, depth=0):",
    "    global comparisons, passes",
    '    pad = "  " * depth',
    "    if len(part) <= 1:",
    '        print(f"{pad}{part}: nothing to sort")',
    "        return part",
    "    pivot = part[-1]",
    "    comparisons += len(part) - 1",
    "    passes += 1",
    "    before = [x for x in part[:-1] if x «le» pivot]",
    "    after = [x for x in part[:-1] if x «gt» pivot]",
    '    print(f"{pad}pivot {pivot!r}: not «larger» {before}, «larger» {after}")',
    "    joined = quick_sort(before, depth + 1) + [pivot] + quick_sort(after, depth + 1)",
    '    print(f"{pad}joined -> {joined}")',
    "    return joined",
    "",
    "",
    "items = quick_sort(items)",
)


def sort_code(algorithm: str, items: list[Any] | KernelList, descending: bool = False) -> str:
    size = items.shown if isinstance(items, KernelList) else len(items)
    body = {
        "bubble": _bubble(size <= 8),
        "insertion": _INSERTION,
        "selection": _SELECTION,
        "merge": _MERGE,
        "quick": _QUICK,
    }[algorithm]
    words = _WORDS[descending]
    return lines(
        *(load_lines(items) if isinstance(items, KernelList) else (f"data = {items!r}",)),
        "items = list(data)",
        'print(f"start: {items}")',
        *(re.sub(r"«(\w+)»", lambda m: words[m[1]], line) for line in body),
        'print(f"RESULT sorted={items}")',
        f'print(f"RESULT correct={{items == sorted(data{", reverse=True" if descending else ""})}}")',
        'print(f"RESULT passes={passes}")',
        'print(f"RESULT comparisons={comparisons}")',
        'print(f"RESULT swaps={swaps}")',
        'print(f"RESULT most={len(data) * (len(data) - 1) // 2}")',
    )


_LIST = r"(\[.*\])"


def narrate(algorithm: str, obs: Observation, descending: bool = False) -> list[str]:
    """Each printed step of the trace as a sentence."""
    w = _WORDS[descending]
    shown = {">": ">", "<": "<", "<=": "≤", ">=": "≥"}
    gt, le = shown[w["gt"]], shown[w["le"]]
    steps: list[str] = []
    if algorithm == "bubble":
        for m in step_lines(
            obs,
            rf"(?:pass (\d+): compare (.+?) and (.+?): (swap|keep) -> {_LIST})"
            rf"|(?:after pass (\d+): {_LIST}( \(no swap: sorted\))?)",
        ):
            if m[1]:
                verb = f"{m[2]} {gt} {m[3]}, so swap them" if m[4] == "swap" else f"{m[2]} {le} {m[3]}, so keep them"
                steps.append(f"Pass {m[1]}: compare {m[2]} and {m[3]}: {verb} → {m[5]}")
            else:
                done = " — no swap in this pass, so the list is sorted and we stop." if m[8] else ""
                steps.append(f"**After pass {m[6]}: {m[7]}**{done}")
    elif algorithm == "insertion":
        for m in step_lines(
            obs, rf"step (\d+): insert (.+?): moved {_LIST} one place right, put it at position (\d+) -> {_LIST}"
        ):
            larger = w["larger"]
            moved = (
                f"the {larger} values {m[3]} move one place right" if m[3] != "[]" else f"nothing before it is {larger}"
            )
            steps.append(f"take {m[2]}: {moved}; it goes to position {m[4]} → {m[5]}")
    elif algorithm == "selection":
        smallest = w["smallest"]
        for m in step_lines(obs, rf"step (\d+): {smallest} of {_LIST} is (.+?), swapped to position (\d+) -> {_LIST}"):
            steps.append(f"the {smallest} of the unsorted part {m[2]} is {m[3]}; it goes to position {m[4]} → {m[5]}")
    elif algorithm == "merge":
        for m in step_lines(
            obs,
            rf"( *)(?:split {_LIST} -> {_LIST} \| {_LIST}|merge {_LIST} \+ {_LIST} -> {_LIST}"
            rf"|{_LIST}: one value, already sorted)",
        ):
            depth = len(m[1]) // 2
            if m[2]:
                steps.append(f"{depth_mark(depth)}split {m[2]} into {m[3]} and {m[4]}")
            elif m[5]:
                steps.append(f"{depth_mark(depth)}merge {m[5]} and {m[6]} into {m[7]}")
            else:
                steps.append(f"{depth_mark(depth)}{m[8]} has one value: already sorted")
    else:
        larger = w["larger"]
        for m in step_lines(
            obs,
            rf"( *)(?:pivot (.+?): not {larger} {_LIST}, {larger} {_LIST}|joined -> {_LIST}|{_LIST}: nothing to sort)",
        ):
            depth = len(m[1]) // 2
            if m[2]:
                steps.append(f"{depth_mark(depth)}pivot {m[2]}: not {larger} {m[3]}, {larger} {m[4]}")
            elif m[5]:
                steps.append(f"{depth_mark(depth)}join the sorted sides around the pivot → {m[5]}")
            else:
                steps.append(f"{depth_mark(depth)}{m[6]} needs no sorting")
    return steps


class SortLesson(Lesson):
    def __init__(
        self,
        algorithm: str,
        items: list[Any] | KernelList,
        *,
        given: bool = True,
        cut: bool = False,
        descending: bool = False,
    ) -> None:
        self.algorithm, self.items, self.given, self.cut = algorithm, items, given, cut
        self.descending = descending
        if isinstance(items, KernelList):
            source = source_words(items)
        elif given:
            source = f"the list {items}" + (f" (the first {MAX_ITEMS} of yours)" if cut else "")
        else:
            source = f"an example list, {items}, since the prompt gave none"
        order = "largest first" if descending else "smallest first"
        thought = (
            f"You want to see {algorithm} sort at work, on {source}, {order}. {idea(algorithm, descending)} I'll "
            "write it out in plain Python that prints every step, run it on that list, and then explain the printed "
            "trace step by step. I'll also count comparisons and swaps and check the result against Python's "
            f"sorted(){' with reverse=True' if descending else ''}."
        )
        super().__init__(f"show_{algorithm}_sort", thought, sort_code(algorithm, items, descending))

    def explain(self, obs: Observation) -> Answer:
        result, correct = need(obs, "sorted"), need(obs, "correct")
        passes, comparisons, swaps, most = (need(obs, k) for k in ("passes", "comparisons", "swaps", "most"))
        steps = narrate(self.algorithm, obs, self.descending)
        unit = {"bubble": ("pass", "passes"), "merge": ("merge", ""), "quick": ("partition", "")}.get(
            self.algorithm, ("step", "")
        )
        moves = (
            ""
            if self.algorithm in ("merge", "quick")
            else f" and {counted(swaps, 'shift' if self.algorithm == 'insertion' else 'swap')}"
        )
        values = self.items
        if isinstance(self.items, KernelList):
            first = step_lines(obs, r"start: (\[.*\])")
            values = literal(first[0][1]) if first else []
        count = len(values) if isinstance(values, list) else "these"
        tail = ""
        if self.algorithm in ("bubble", "insertion", "selection"):
            tail = f" For {count} values these algorithms need at most {most} comparisons."
        if isinstance(self.items, KernelList):
            start = f"{source_words(self.items)}, whose values are {values}"
        else:
            start = f"your list {values}" if self.given else f"the example list {values} (the prompt gave no list)"
        checked = "matches" if correct == "True" else "does NOT match"
        check = "`sorted(..., reverse=True)`" if self.descending else "`sorted()`"
        order = ", largest first" if self.descending else ""
        return Answer(
            f"The code printed {len(steps)} steps and sorted={result}, {comparisons} comparisons; the check against "
            f"sorted() printed {correct}. I'll walk through the trace line by line.",
            f"You asked how **{self.algorithm} sort** works, shown on {start}{order}.\n\n"
            f"**The idea.** {idea(self.algorithm, self.descending)}\n\n"
            f"**What the code printed, step by step:**\n\n{numbered(steps)}\n\n"
            f"**Result:** {result} after {counted(passes, *unit)}, with {counted(comparisons, 'comparison')}"
            f"{moves}.{tail} "
            f"The result {checked} Python's {check}.",
        )
