"""k2nb/engines/toy/lessons: each lesson runs real code on inputs drawn here and explains what it printed.

Driven over the loopback server (code run with exec); every printed value is checked against an
independent computation, and the answer must quote it. The same families run in a real kernel in
tests/integration/test_classroom.py.
"""

from __future__ import annotations

import bisect
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k2nb.engines import ChatServer
from tests.harness.toy import Run, drive

scipy_stats = pytest.importorskip("scipy.stats")
np = pytest.importorskip("numpy")

EXAMPLES = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
small_lists = st.lists(st.integers(-50, 50), min_size=2, max_size=9)


def bubble_counts(values: list[int]) -> tuple[int, int, int]:
    items, passes, comparisons, swaps = list(values), 0, 0, 0
    for end in range(len(items) - 1, 0, -1):
        passes += 1
        swapped = False
        for i in range(end):
            comparisons += 1
            if items[i] > items[i + 1]:
                items[i], items[i + 1] = items[i + 1], items[i]
                swaps, swapped = swaps + 1, True
        if not swapped:
            break
    return passes, comparisons, swaps


def inversions(values: list[int]) -> int:
    return sum(values[i] > values[j] for i in range(len(values)) for j in range(i + 1, len(values)))


@EXAMPLES
@given(values=small_lists, algorithm=st.sampled_from(["bubble", "insertion", "selection", "merge", "quick"]))
def test_sorting_pass_by_pass(server: ChatServer, values: list[int], algorithm: str) -> None:
    run = drive(server, f"explain step by step how {algorithm} sort works on {values}")
    assert run.printed("sorted") == str(sorted(values)) and run.printed("correct") == "True"
    assert f"**Result:** {sorted(values)}" in run.answer
    if algorithm == "bubble":
        passes, comparisons, swaps = bubble_counts(values)
        assert (run.printed("passes"), run.printed("comparisons"), run.printed("swaps")) == tuple(
            map(str, (passes, comparisons, swaps))
        )
        assert swaps == inversions(values)  # each swap removes exactly one inversion
    if algorithm == "insertion":
        assert run.printed("swaps") == str(inversions(values))  # one shift per inversion
    if algorithm == "selection":
        assert run.printed("comparisons") == str(len(values) * (len(values) - 1) // 2)
    # every list the answer walks through was printed by the code
    for shown in re.findall(r"→ (\[[^\]]*\])", run.answer):
        assert shown in run.outputs[0]


@EXAMPLES
@given(values=st.sets(st.integers(0, 99), min_size=2, max_size=15), present=st.booleans())
def test_binary_and_linear_search(server: ChatServer, values: set[int], present: bool) -> None:
    ordered = sorted(values)
    target = ordered[len(ordered) // 3] if present else 100
    run = drive(server, f"compare linear and binary search for {target} in {ordered}")
    expected = ordered.index(target) if present else -1
    assert run.printed("linear_found") == run.printed("binary_found") == str(expected)
    assert run.printed("linear_steps") == str(expected + 1 if present else len(ordered))
    low, high, steps = 0, len(ordered) - 1, 0
    while low <= high:  # the binary search, independently
        steps += 1
        mid = (low + high) // 2
        if ordered[mid] == target:
            break
        low, high = (mid + 1, high) if ordered[mid] < target else (low, mid - 1)
    assert run.printed("binary_steps") == str(steps)
    assert steps <= math.floor(math.log2(len(ordered))) + 1
    assert (f"position **{expected}**" in run.answer) == present and bisect.bisect_left(ordered, target) >= 0


@EXAMPLES
@given(n=st.integers(1, 12), a=st.integers(1, 10**6), b=st.integers(1, 10**6))
def test_recursion_with_its_call_trace(server: ChatServer, n: int, a: int, b: int) -> None:
    run = drive(server, f"explain recursion with the factorial of {n}")
    assert run.printed("value") == str(math.factorial(n)) and run.printed("calls") == str(n)
    assert f"factorial({n})` returns" in run.answer or n == 1

    k = min(n, 10)
    run = drive(server, f"show the recursive call tree of fibonacci {k}")
    fibs = [0, 1]
    while len(fibs) <= k + 1:
        fibs.append(fibs[-1] + fibs[-2])
    assert run.printed("value") == str(fibs[k]) and run.printed("calls") == str(2 * fibs[k + 1] - 1)
    assert f"**{2 * fibs[k + 1] - 1} calls**" in run.answer

    run = drive(server, f"how does euclid's algorithm find the gcd of {a} and {b}? step by step")
    x, y, calls = a, b, 1
    while y:
        x, y, calls = y, x % y, calls + 1
    assert run.printed("value") == str(math.gcd(a, b)) and run.printed("calls") == str(calls)
    assert f"= **{math.gcd(a, b)}**" in run.answer


@EXAMPLES
@given(values=st.lists(st.integers(-20, 20), min_size=1, max_size=12))
def test_loops_and_accumulators(server: ChatServer, values: list[int]) -> None:
    run = drive(server, f"use a loop to add up {values}, step by step")
    assert run.printed("result") == str(sum(values)) and f"**{sum(values)}**" in run.answer
    run = drive(server, f"count the even numbers in {values} with a loop")
    evens = sum(v % 2 == 0 for v in values)
    assert run.printed("result") == str(evens) and f"**{evens}**" in run.answer
    run = drive(server, f"find the largest value in {values} with a loop")
    assert run.printed("result") == str(max(values))


@EXAMPLES
@given(start=st.integers(-5, 40), length=st.integers(0, 30), use_for=st.booleans())
def test_a_counter_counts_down_and_up_and_the_loop_ends(
    server: ChatServer, start: int, length: int, use_for: bool
) -> None:
    end = start - length
    kind = "for" if use_for else "while"
    run = drive(server, f"use a {kind} loop to count down from {start} to {end}")
    shown = re.findall(r"^step \d+: n = (-?\d+)$", run.outputs[-1], re.M)
    assert shown == [str(n) for n in range(start, end - 1, -1)][:25]
    assert run.printed("steps") == str(length + 1)
    if not use_for:  # the value that failed the test is the one past the end
        assert run.printed("after") == str(end - 1) and f"then n = {end - 1}" in run.answer
    run = drive(server, f"count up from {end} to {start} with a {kind} loop")
    assert run.printed("steps") == str(length + 1)
    assert re.findall(r"^step \d+: n = (-?\d+)$", run.outputs[-1], re.M)[-1] == str(min(start, end + 24))


def test_a_counter_that_never_reaches_its_end_is_declined(server: ChatServer) -> None:
    run = drive(server, "count up from 9 to 3 with a while loop")
    assert not run.codes and "never reaches 3" in run.answer and "count down from 9 to 3" in run.answer


@EXAMPLES
@given(number=st.integers(2, 19), last=st.integers(1, 20))
def test_a_times_table(server: ChatServer, number: int, last: int) -> None:
    run = drive(server, f"print the multiplication table of {number} up to {last} with a loop")
    assert run.printed("rows") == str(last)
    assert f"{number} × {last} = **{number * last}**" in run.answer
    rows = re.findall(rf"^\d+\. {number} × (\d+) = \*\*(\d+)\*\*$", run.answer, re.M)
    assert rows == [(str(i), str(number * i)) for i in range(1, last + 1)]


@EXAMPLES
@given(word=st.text(alphabet="abcde", min_size=1, max_size=8), mirror=st.booleans())
def test_string_algorithms(server: ChatServer, word: str, mirror: bool) -> None:
    text = word + word[::-1] if mirror else word + "xy"
    run = drive(server, f"explain step by step whether '{text}' is a palindrome")
    assert run.printed("palindrome") == str(text == text[::-1])
    assert ("**Result:** yes" in run.answer) == (text == text[::-1])

    shuffled = "".join(sorted(text, reverse=True))
    other = shuffled if mirror else shuffled + "z"
    run = drive(server, f"are '{text}' and '{other}' anagrams?")
    assert run.printed("anagram") == str(sorted(text) == sorted(other))

    run = drive(server, f"count the vowels in '{text} banana' step by step")
    assert run.printed("count") == str(sum(c in "aeiou" for c in f"{text} banana"))


@EXAMPLES
@given(miles=st.floats(0.1, 500), fahrenheit=st.integers(-40, 220), part=st.integers(1, 500), whole=st.integers(1, 500))
def test_units_and_percentages(server: ChatServer, miles: float, fahrenheit: int, part: int, whole: int) -> None:
    miles = round(miles, 2)
    run = drive(server, f"convert {miles} miles to km")
    assert run.printed("result") == f"{miles * 1609.344 / 1000:.6g}" and f"**{run.printed('result')} km**" in run.answer
    run = drive(server, f"what is {fahrenheit} fahrenheit in celsius")
    assert run.printed("result") == f"{(fahrenheit - 32) * 5 / 9:.6g}"
    run = drive(server, f"what percent of {whole} is {part}")
    assert run.printed("result") == f"{part / whole * 100:.6g}" and f"**{run.printed('result')}%**" in run.answer
    run = drive(server, f"percentage change from {whole} to {part}")
    assert run.printed("result") == f"{(part - whole) / whole * 100:.6g}"


samples = st.lists(st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1)), min_size=3, max_size=10)


@EXAMPLES
@given(a=samples, b=samples)
def test_t_test_and_least_squares(server: ChatServer, a: list[float], b: list[float]) -> None:
    if np.var(a) == 0 or np.var(b) == 0:
        return  # a constant sample has no t statistic
    run = drive(server, f"t-test between {a} and {b}")
    welch = scipy_stats.ttest_ind(a, b, equal_var=False)
    assert run.printed("t") == f"{welch.statistic:.4f}" and run.printed("p") == f"{welch.pvalue:.4g}"
    assert f"**t = {run.printed('t')}**" in run.answer and f"**p = {run.printed('p')}**" in run.answer

    xs = list(range(1, len(b) + 1))
    run = drive(server, f"linear regression with x = {xs} and y = {b}")
    slope, intercept = np.polyfit(xs, b, 1)
    r2 = 1 - np.sum((np.array(b) - (intercept + slope * np.array(xs))) ** 2) / np.sum((np.array(b) - np.mean(b)) ** 2)

    # A flat line's slope is 0 up to rounding error, whose sign may differ: -0.0000 is 0.0000.
    def four(value: float | str) -> str:
        return f"{float(value):.4f}".replace("-0.0000", "0.0000")

    assert tuple(four(run.printed(k)) for k in ("slope", "intercept", "r2")) == (four(slope), four(intercept), four(r2))
    assert f"**r² = {run.printed('r2')}**" in run.answer


def test_a_lesson_without_a_list_says_it_uses_an_example(server: ChatServer) -> None:
    run: Run = drive(server, "how does insertion sort work?")
    assert "the prompt gave no list" in run.answer and run.printed("sorted") == "[1, 2, 5, 7, 9]"


def test_counts_agree_with_their_nouns(server: ChatServer) -> None:
    """A sorted list takes one pass and no swap; a one-probe search one comparison: "1 pass", not "1 passes"."""
    run = drive(server, "explain step by step how bubble sort works on [1, 2]")
    assert "after 1 pass, with 1 comparison and 0 swaps." in run.answer
    run = drive(server, "explain selection sort on [2, 1] step by step")
    assert "with 1 comparison and 1 swap." in run.answer
    run = drive(server, "binary search for 5 in [1, 5, 9] step by step")
    assert "after 1 comparison." in run.answer
