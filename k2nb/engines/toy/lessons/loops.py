"""Loops and accumulators: a running total, product, count, maximum or average, one iteration per line."""

from __future__ import annotations

import re

from ..core import Answer, Observation, Skill, Task, counted, lines, need
from ..declines import Decline
from ..parsing import find_span
from .common import Lesson, bracket_lists, number_run, numbered, step_lines
from .kernel import KernelList, KernelListLesson, list_names, load_lines, source_words

_LOOP = re.compile(
    r"\bloops?\b|\baccumulat|\brunning\s+(?:total|sum|count|product)|\biterat|\bone\s+(?:by|at\s+a)\s+(?:one|time)",
    re.I,
)
_PRINTED = 25  # iterations printed; the rest are counted

_KINDS = (
    ("average", r"\baverage|\bmean\b"),
    ("product", r"\bproduct|\bmultipl"),
    ("count", r"\bcount|\bhow\s+many"),
    ("max", r"\blargest|\bbiggest|\bmax(?:imum)?\b|\bhighest"),
    ("min", r"\bsmallest|\bmin(?:imum)?\b|\blowest"),
    ("sum", r"\bsum|\btotal|\badd"),
)
_CONDITIONS = (
    (r"\beven\b", "n % 2 == 0", "even"),
    (r"\bodd\b", "n % 2 == 1", "odd"),
    (r"\bpositive\b", "n > 0", "positive"),
    (r"\bnegative\b", "n < 0", "negative"),
)


def loop_skill(task: Task) -> Skill | None:
    text, low = task.text, task.low
    if not _LOOP.search(text):
        return None
    kind = next((k for k, p in _KINDS if re.search(p, low)), None)
    if kind is None:
        return None
    lists = bracket_lists(text)
    span = find_span(low)
    if lists and all(isinstance(v, (int, float)) for v in lists[0]):
        source, label = repr(lists[0]), str(lists[0])
    elif span is not None:
        source, label = f"range({span.lo}, {span.hi + 1})", f"the numbers from {span.lo} to {span.hi}"
    elif (run := number_run(text)) is not None:
        source, label = repr(run), str(run)
    else:
        source, label = "", ""
    condition = next(((code, word) for p, code, word in _CONDITIONS if re.search(p, low)), None)
    greater = re.search(r"(?:greater|more|bigger|larger)\s+than\s+(-?\d+)|above\s+(-?\d+)", low)
    if greater:
        bound = greater[1] or greater[2]
        condition = (f"n > {bound}", f"greater than {bound}")
    if source:
        return LoopLesson(kind, source, label, condition)
    names = list_names(text)  # "explain a for loop by summing scores": the kernel's list, looked up first
    if not names:
        return None
    return KernelListLesson(
        task, names, lambda kept: LoopLesson(kind, kept, source_words(kept, None), condition), "loop lesson"
    )


_UPDATE = {
    "sum": ("total = 0", "old = total", "total = total + n", "total = {old} + {n} = {total}", "total"),
    "product": ("total = 1", "old = total", "total = total * n", "total = {old} × {n} = {total}", "total"),
    "count": ("total = 0", "old = total", "total = total + 1", "count = {old} + 1 = {total}", "total"),
    "max": (
        "total = None",
        "old = total",
        "total = n if total is None or n > total else total",
        "largest so far = {total}",
        "total",
    ),
    "min": (
        "total = None",
        "old = total",
        "total = n if total is None or n < total else total",
        "smallest so far = {total}",
        "total",
    ),
    "average": (
        "total = 0\ncount = 0",
        "old = total",
        "total = total + n\ncount = count + 1",
        "total = {old} + {n} = {total}, count = {count}",
        "total",
    ),
}


class LoopLesson(Lesson):
    def __init__(self, kind: str, source: str | KernelList, label: str, condition: tuple[str, str] | None) -> None:
        self.kind, self.label, self.condition = kind, label, condition
        start, keep, update, shown, _ = _UPDATE[kind]
        test = condition[0] if condition else "True"
        loaded = load_lines(source, "numbers", None) if isinstance(source, KernelList) else (f"numbers = {source}",)
        body = [
            *loaded,
            *start.split("\n"),
            "step = 0",
            "for n in numbers:",
            "    step += 1",
            f"    if not ({test}):" if condition else None,
            f"        if step <= {_PRINTED}:" if condition else None,
            '            print(f"step {step}: n = {n!r}: skipped")' if condition else None,
            "        continue" if condition else None,
            f"    {keep}",
            *(f"    {line}" for line in update.split("\n")),
            f"    if step <= {_PRINTED}:",
            f'        print(f"step {{step}}: n = {{n!r}}: {shown}")',
            'print(f"RESULT steps={step}")',
            f'print(f"RESULT printed={{min(step, {_PRINTED})}}")',
        ]
        if kind == "average":
            body += [
                "average = total / count if count else None",
                'print(f"RESULT count={count}")',
                'print(f"RESULT result={average}")',
            ]
        else:
            body.append('print(f"RESULT result={total}")')
        code = lines(*(line for line in body if line is not None))
        what = {
            "sum": "running total",
            "product": "running product",
            "count": "counter",
            "max": "largest value so far",
            "min": "smallest value so far",
            "average": "running total and a counter",
        }[kind]
        filt = f", counting only the {condition[1]} ones" if condition else ""
        super().__init__(
            "show_loop",
            f"A loop with an accumulator: a variable that starts at a neutral value and is updated once per "
            f"iteration. Here the accumulator is the {what}, over {label}{filt}. I'll print every iteration "
            f"(the first {_PRINTED}) so the class can follow how the value grows.",
            code,
        )

    def question(self) -> str:
        if self.kind == "count":
            return (
                f"how many of {self.label} are {self.condition[1]}"
                if self.condition
                else f"how many {self.label} there are"
            )
        what = {"sum": "sum", "product": "product", "max": "largest", "min": "smallest", "average": "average"}[
            self.kind
        ]
        return f"the {what} of {self.label}" + (f" that are {self.condition[1]}" if self.condition else "")

    def explain(self, obs: Observation) -> Answer:
        steps = []
        for m in step_lines(obs, r"step (\d+): n = (.+?): (.+)"):
            test = f"not {self.condition[1]}" if self.condition else ""
            steps.append(f"n = {m[2]}: {f'skipped ({test})' if m[3] == 'skipped' else m[3]}")
        result, total_steps = need(obs, "result"), need(obs, "steps")
        what = {
            "sum": "sum",
            "product": "product",
            "count": "count",
            "max": "largest value",
            "min": "smallest value",
            "average": "average",
        }[self.kind]
        filt = f" of the {self.condition[1]} numbers" if self.condition else ""
        extra = f" (= total / count, with count = {need(obs, 'count')})" if self.kind == "average" else ""
        start = {"sum": "0", "product": "1", "count": "0", "max": "nothing yet", "min": "nothing yet", "average": "0"}[
            self.kind
        ]
        return Answer(
            f"The loop ran {total_steps} times and printed result={result}. I'll walk through the iterations.",
            f"You asked for {self.question()}, computed with a loop.\n\n"
            f"**The idea.** The accumulator starts at {start}; each time round the loop it is updated with the "
            f"current number{', if the number passes the test' if self.condition else ''}; after the last "
            "iteration it holds the answer.\n\n"
            f"**What the code printed, iteration by iteration:**\n\n{numbered(steps)}\n\n"
            f"**Result:** the {what}{filt} is **{result}**{extra}, after {total_steps} iterations.",
        )


# -- a counter: "use a while loop to count down from 5", "count up from 3 to 9 with a for loop" ----------

_COUNTER = re.compile(r"\bcount(?:ing|s)?\s*-?\s*(down|up)\b|\b(countdown)\b", re.I)
_MOST_STEPS = 10_000  # a counter that would print for ever is not a lesson


def counter_skill(task: Task) -> Skill | None:
    low = task.low
    m = _COUNTER.search(low)
    if m is None:
        return None
    down = m[1] != "up"
    start_m = re.search(r"\bfrom\s+(-?\d+)\b", low)
    end_m = re.search(r"\b(?:to|until|till|down\s+to|up\s+to)\s+(-?\d+)\b", low)
    numbers = [int(n) for n in re.findall(r"(?<![\w.])-?\d+(?![\w.])", low)]
    lone = numbers[0] if len(numbers) == 1 and not (start_m and end_m) else None  # "count down 10"
    start: int | None
    end: int | None
    if down:
        start, end = (int(start_m[1]) if start_m else lone), (int(end_m[1]) if end_m else 1)
    else:
        start, end = (int(start_m[1]) if start_m else 1), (int(end_m[1]) if end_m else lone)
    if start is None or end is None or abs(start - end) >= _MOST_STEPS:
        return None
    if start < end if down else start > end:
        way, other = ("down", "up") if down else ("up", "down")
        return Decline(
            f"Counting {way} from {start} never reaches {end}; I'll say so rather than pick a direction.",
            f"Counting {way} from {start} never reaches {end}, so I didn't write the loop. Ask to count {other} "
            f"from {start} to {end}, or {way} from {end} to {start}.",
        )
    return CounterLesson(start, end, down, use_for=re.search(r"\bfor\s+loop\b|\bfor\s*-\s*loop\b", low) is not None)


class CounterLesson(Lesson):
    """A counter that a loop moves one step at a time, and the test that ends the loop."""

    def __init__(self, start: int, end: int, down: bool, *, use_for: bool) -> None:
        self.start, self.end, self.down, self.use_for = start, end, down, use_for
        sign, move = (">=", "n - 1") if down else ("<=", "n + 1")
        self.test = f"n {sign} {end}"
        if use_for:
            stop = end - 1 if down else end + 1
            loop = [f"for n in range({start}, {stop}, {-1 if down else 1}):"]
            after: list[str] = []
        else:
            loop = [f"n = {start}", f"while {self.test}:"]
            after = [f"    n = {move}"]
        code = lines(
            "step = 0",
            *loop,
            "    step += 1",
            f"    if step <= {_PRINTED}:",
            '        print(f"step {step}: n = {n}")',
            *after,
            'print(f"RESULT steps={step}")',
            *(() if use_for else ('print(f"RESULT after={n}")',)),
        )
        kind = "for loop over a range" if use_for else "while loop"
        super().__init__(
            "show_counter",
            f"A {kind} that counts {'down' if down else 'up'} from {start} to {end}. I'll print n on every "
            f"iteration (the first {_PRINTED}) and, for a while loop, the value that made the test fail.",
            code,
        )

    def explain(self, obs: Observation) -> Answer:
        values = [m[2] for m in step_lines(obs, r"step (\d+): n = (-?\d+)")]
        steps, way = need(obs, "steps"), "down" if self.down else "up"
        if self.use_for:
            stop = self.end - 1 if self.down else self.end + 1
            idea = (
                f"`range({self.start}, {stop}, {-1 if self.down else 1})` gives the numbers from {self.start} "
                f"to {self.end} (a range stops *before* its second number, so it is {stop}, one past the end); "
                "the for loop hands them to `n` one at a time and stops by itself when the range is used up."
            )
            ending = f"the range was used up after {self.end}"
        else:
            after = need(obs, "after")
            idea = (
                f"A while loop checks its test (`{self.test}`) *before* every iteration. The body prints `n` and "
                f"then moves it one step {way} (`n = n {'-' if self.down else '+'} 1`), so the test eventually "
                "fails and the loop stops. Without that last line `n` would never change and the loop would "
                "run for ever."
            )
            ending = f"then n = {after}, and `{self.test}` is False, so the loop stopped"
        return Answer(
            f"The loop printed {len(values)} values and steps={steps}. I'll walk through it.",
            f"You asked to count {way} from {self.start} to {self.end} with a "
            f"{'for' if self.use_for else 'while'} loop.\n\n**The idea.** {idea}\n\n"
            f"**What the code printed, iteration by iteration:**\n\n{numbered([f'n = {v}' for v in values])}\n\n"
            f"**Result:** the loop ran {counted(steps, 'time', strong=True)} ({ending}).",
        )


# -- a times table: "the multiplication table of 7", "the 12 times table up to 12" --------------------

_TABLE = re.compile(
    r"\b(?:multiplication|times)\s+tables?\s+(?:of|for)\s+(-?\d+)\b|\b(-?\d+)\s*(?:×|x)?\s*times\s+tables?\b", re.I
)


def times_table_skill(task: Task) -> Skill | None:
    m = _TABLE.search(task.low)
    if m is None:
        return None
    rest = task.low[: m.start()] + " " + task.low[m.end() :]
    upto = re.search(r"\b(?:up\s+to|to|until|through)\s+(\d+)\b", rest)
    last = int(upto[1]) if upto else 10
    if not 1 <= last <= 100:
        return None
    return TimesTableLesson(int(m[1] or m[2]), last)


class TimesTableLesson(Lesson):
    def __init__(self, number: int, last: int) -> None:
        self.number, self.last = number, last
        code = lines(
            f"number = {number}",
            f"for i in range(1, {last + 1}):",
            '    print(f"step {i}: {number} × {i} = {number * i}")',
            f'print(f"RESULT rows={last}")',
        )
        super().__init__(
            "show_times_table",
            f"A for loop over i = 1 … {last}: each iteration prints one line of the {number} times table, "
            f"{number} × i.",
            code,
        )

    def explain(self, obs: Observation) -> Answer:
        rows = [f"{m[2]} × {m[3]} = **{m[4]}**" for m in step_lines(obs, r"step (\d+): (-?\d+) × (\d+) = (-?\d+)")]
        return Answer(
            f"The loop printed {len(rows)} lines, rows={need(obs, 'rows')}.",
            f"You asked for the {self.number} times table, from × 1 to × {self.last}.\n\n"
            f"**The idea.** `range(1, {self.last + 1})` gives i from 1 to {self.last} (a range stops before its "
            f"second number); the loop body runs once for each i and prints {self.number} × i.\n\n"
            f"{numbered(rows)}",
        )
