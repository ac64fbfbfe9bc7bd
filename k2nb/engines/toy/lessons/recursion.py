"""Recursion with its call trace: factorial, Fibonacci and Euclid's gcd on the student's numbers."""

from __future__ import annotations

import re

from ..core import Answer, Observation, Skill, Task, lines, need
from ..parsing import integers
from .common import Lesson, depth_mark, numbered, step_lines, teaching

_RECURSION = re.compile(r"recurs|call\s+(?:trace|stack|tree)|trace\s+the\s+calls|base\s+case", re.I)
_FIB_TRACE_LIMIT = 12  # fib(12) makes 465 calls: the printed trace stops at the first 60 lines
_PRINTED_CALLS = 60


def recursion_skill(task: Task) -> Skill | None:
    text, low = task.text, task.low
    if not (_RECURSION.search(text) or teaching(text)):
        return None
    numbers = [n for n in integers(low) if n >= 0]
    if re.search(r"\bgcd\b|greatest\s+common|\beuclid|\bhcf\b", low) and len(numbers) >= 2:
        return GcdLesson(numbers[0], numbers[1])
    if re.search(r"fibonacci|\bfib\b", low):
        return FibonacciLesson(min(numbers[0] if numbers else 6, 30))
    if re.search(r"factorial|\d\s*!", low):
        return FactorialLesson(min(numbers[0] if numbers else 5, 20))
    return None


class FactorialLesson(Lesson):
    def __init__(self, n: int) -> None:
        self.n = n
        code = lines(
            "calls = 0",
            "",
            "",
            "def factorial(n, depth=0):",
            "    global calls",
            "    calls += 1",
            '    pad = "  " * depth',
            '    print(f"{pad}factorial({n}) is called")',
            "    if n <= 1:",
            '        print(f"{pad}factorial({n}) = 1 (base case)")',
            "        return 1",
            "    result = n * factorial(n - 1, depth + 1)",
            '    print(f"{pad}factorial({n}) = {n} * factorial({n - 1}) = {result}")',
            "    return result",
            "",
            "",
            f"value = factorial({n})",
            'print(f"RESULT value={value}")',
            'print(f"RESULT calls={calls}")',
        )
        super().__init__(
            "show_factorial",
            f"A recursive factorial: factorial(n) = n × factorial(n − 1), and factorial(1) = 1 is the base case "
            f"that stops the recursion. I'll run it for n = {n}, printing every call as it starts and every value "
            "as it returns (indented by depth), then explain the trace.",
            code,
        )

    def explain(self, obs: Observation) -> Answer:
        steps = []
        for m in step_lines(
            obs, r"( *)factorial\((\d+)\) (?:is called|= 1 \(base case\)|= (\d+) \* factorial\((\d+)\) = (\d+))"
        ):
            pad = depth_mark(len(m[1]) // 2)
            line = m[0].strip()
            if "is called" in line:
                steps.append(
                    f"{pad}`factorial({m[2]})` is called — it must wait for `factorial({int(m[2]) - 1})`"
                    if int(m[2]) > 1
                    else f"{pad}`factorial({m[2]})` is called"
                )
            elif "base case" in line:
                steps.append(f"{pad}`factorial({m[2]})` returns 1: the base case, no further call")
            else:
                steps.append(f"{pad}`factorial({m[2]})` returns {m[3]} × {m[4]}! = **{m[5]}**")
        value, calls = need(obs, "value"), need(obs, "calls")
        return Answer(
            f"The trace printed {calls} calls and value={value}. I'll explain the way down and the way back up.",
            f"You asked how recursion computes **factorial({self.n})**.\n\n"
            "**The idea.** A recursive function calls itself on a smaller input until it reaches a base case it "
            "can answer directly; then each waiting call finishes with the value it got back.\n\n"
            f"**The call trace the code printed:**\n\n{numbered(steps)}\n\n"
            f"**Result:** factorial({self.n}) = **{value}**, after {calls} calls. The calls go down to the base "
            "case first; the multiplications happen on the way back up.",
        )


class FibonacciLesson(Lesson):
    def __init__(self, n: int) -> None:
        self.n = n
        code = lines(
            "from collections import Counter",
            "",
            "calls = Counter()",
            "printed = 0",
            "",
            "",
            "def fib(n, depth=0):",
            "    global printed",
            "    calls[n] += 1",
            '    pad = "  " * depth',
            f"    if printed < {_PRINTED_CALLS}:",
            "        printed += 1",
            '        print(f"{pad}fib({n})" + (" = " + str(n) + " (base case)" if n < 2 else ""))',
            "    if n < 2:",
            "        return n",
            "    return fib(n - 1, depth + 1) + fib(n - 2, depth + 1)",
            "",
            "",
            f"value = fib({n})" if n <= _FIB_TRACE_LIMIT else f"value = fib({_FIB_TRACE_LIMIT})",
            'print(f"RESULT value={value}")',
            'print(f"RESULT calls={sum(calls.values())}")',
            'print(f"RESULT repeats={dict(sorted(calls.items(), reverse=True))}")',
        )
        if n > _FIB_TRACE_LIMIT:
            self.n = _FIB_TRACE_LIMIT
        super().__init__(
            "show_fibonacci",
            f"Recursive Fibonacci: fib(n) = fib(n − 1) + fib(n − 2), with fib(0) = 0 and fib(1) = 1 as base cases. "
            f"Each call makes two more, so the calls form a tree. I'll run it for n = {self.n}, print the calls "
            f"(the first {_PRINTED_CALLS}) indented by depth, and count how often each fib(k) is computed.",
            code,
        )

    def explain(self, obs: Observation) -> Answer:
        steps = [
            f"{depth_mark(len(m[1]) // 2)}`fib({m[2]})`"
            + (f" returns {m[3]}: base case" if m[3] else " calls two smaller ones")
            for m in step_lines(obs, r"( *)fib\((\d+)\)(?: = (\d+) \(base case\))?")
        ]
        value, calls = need(obs, "value"), need(obs, "calls")
        repeats = need(obs, "repeats")
        return Answer(
            f"The trace printed value={value} after {calls} calls; repeats={repeats}. I'll explain the call tree.",
            f"You asked how recursion computes **fib({self.n})**.\n\n"
            "**The idea.** `fib(n)` calls `fib(n − 1)` and `fib(n − 2)`; `fib(0)` and `fib(1)` are the base cases. "
            "Every call that is not a base case waits for its two children, so the calls form a tree.\n\n"
            f"**The call trace the code printed:**\n\n{numbered(steps)}\n\n"
            f"**Result:** fib({self.n}) = **{value}**, after **{calls} calls**. How many times each `fib(k)` was "
            f"computed: {repeats} — the same values are computed again and again, which is why remembering them "
            "(memoization, `functools.cache`) makes this fast.",
        )


class GcdLesson(Lesson):
    def __init__(self, a: int, b: int) -> None:
        self.a, self.b = a, b
        code = lines(
            "calls = 0",
            "",
            "",
            "def gcd(a, b):",
            "    global calls",
            "    calls += 1",
            "    if b == 0:",
            '        print(f"gcd({a}, 0) = {a} (base case)")',
            "        return a",
            '    print(f"gcd({a}, {b}): {a} % {b} = {a % b}, so gcd({a}, {b}) = gcd({b}, {a % b})")',
            "    return gcd(b, a % b)",
            "",
            "",
            f"value = gcd({a}, {b})",
            'print(f"RESULT value={value}")',
            'print(f"RESULT calls={calls}")',
            "import math",
            f'print(f"RESULT check={{value == math.gcd({a}, {b})}}")',
        )
        super().__init__(
            "show_gcd",
            f"Euclid's algorithm: gcd(a, b) = gcd(b, a mod b), and gcd(a, 0) = a. Each call replaces the pair by a "
            f"smaller one, so it must end. I'll run it on {a} and {b}, printing every call, and check the result "
            "against math.gcd.",
            code,
        )

    def explain(self, obs: Observation) -> Answer:
        steps = []
        for m in step_lines(
            obs, r"gcd\((\d+), (\d+)\): \d+ % \d+ = (\d+), so .*|gcd\((\d+), 0\) = (\d+) \(base case\)"
        ):
            if m[1]:
                steps.append(
                    f"`gcd({m[1]}, {m[2]})`: the remainder of {m[1]} ÷ {m[2]} is {m[3]}, "
                    f"so it equals `gcd({m[2]}, {m[3]})`"
                )
            else:
                steps.append(f"`gcd({m[4]}, 0)` = **{m[5]}**: the base case")
        value, calls, check = need(obs, "value"), need(obs, "calls"), need(obs, "check")
        return Answer(
            f"The trace printed value={value} after {calls} calls; the check against math.gcd printed {check}.",
            f"You asked how Euclid's algorithm finds **gcd({self.a}, {self.b})**.\n\n"
            "**The idea.** Any number that divides both a and b also divides the remainder a mod b, so "
            "gcd(a, b) = gcd(b, a mod b). The pair shrinks with every call until the remainder is 0.\n\n"
            f"**The calls the code printed:**\n\n{numbered(steps)}\n\n"
            f"**Result:** gcd({self.a}, {self.b}) = **{value}**, after {calls} calls"
            f"{' (the same as math.gcd)' if check == 'True' else ' — but math.gcd disagrees!'}.",
        )
