"""Number families: digit sums, primes, gcd/lcm, Fibonacci, factorials, range sums, arithmetic."""

from __future__ import annotations

import re

from .core import Answer, Observation, OneShot, Skill, Task, counted, gist, lines, literal, need
from .declines import Decline
from .parsing import (
    _BIG_GUARD,
    _NUM,
    Span,
    _math_imports,
    _may_be_huge,
    find_expression,
    find_span,
    integers,
    listed_text,
    shorten,
    to_int,
)

_DIGIT_SUM = re.compile(r"digit[\s-]*sums?|sums? of (?:the |its |their )?digits|digits? sum")

_IS_PRIME_FN = (
    "def is_prime(n: int) -> bool:",
    "    if n < 2:",
    "        return False",
    "    return all(n % p for p in range(2, int(n**0.5) + 1))",
)


def digit_sum_skill(task: Task) -> Skill | None:
    m = _DIGIT_SUM.search(task.low)
    if not m:
        return None
    span = find_span(task.low)
    if span is None:
        return _digit_sum_of_value(task)
    test, label, helper = (
        _digit_condition(task.low[m.end() :])
        or _digit_condition(task.low[: m.start()])
        or ("is_prime(digit_sum(n))", "is prime", _IS_PRIME_FN)
    )
    code = lines(
        "def digit_sum(n: int) -> int:",
        "    return sum(int(d) for d in str(abs(n)))",
        "",
        "",
        *((*helper, "", "") if helper else ()),
        f"numbers = list(range({span.lo}, {span.hi + 1}))",
        f"matches = [n for n in numbers if {test}]",
        'print(f"RESULT count={len(matches)}")',
        'print(f"RESULT first={matches[:10]}")',
        'print(f"RESULT last={matches[-3:]}")',
    )
    thought = (
        f"The task: among the integers from {span.lo} to {span.hi}, find those whose digit sum "
        f"{label}, and report how many there are. Digit sums stay small (at most 9 per digit), so "
        "a direct scan is cheap: a helper for the digit sum"
        f"{', another for primality by trial division,' if helper else ','} and a list "
        "comprehension that keeps the matches so I can show a few examples as well as the count. "
        "I'll print the values on RESULT lines so I can read them back exactly."
    )

    def answer(obs: Observation) -> Answer:
        count, first, last = need(obs, "count"), need(obs, "first"), need(obs, "last")
        examples, tail = listed_text(first), listed_text(last)
        return Answer(
            f"The code printed count={count}, first={first} and last={last}. So {count} numbers "
            f"in {span.lo}..{span.hi} have a digit sum that {label}. I'll state the count and "
            "list the first few as a sanity check.",
            f"**{count}** of the integers from {span.lo} to {span.hi} have a digit sum that "
            f"{label}.\n\nThe first ones are {examples}; the last ones are {tail}.\n\n"
            "I computed each number's digit sum and tested it directly in Python.",
        )

    return OneShot(thought, code, answer, keeps=("matches",))


def _digit_condition(text: str) -> tuple[str, str, tuple[str, ...]] | None:
    if re.search(r"\bprime", text):
        return "is_prime(digit_sum(n))", "is prime", _IS_PRIME_FN
    m = re.search(r"divisible by\s+(\d+)", text)
    if m:
        return f"digit_sum(n) % {m[1]} == 0", f"is divisible by {m[1]}", ()
    m = re.search(r"(?:greater than|more than|above|over|>)\s+(\d+)", text)
    if m:
        return f"digit_sum(n) > {m[1]}", f"is greater than {m[1]}", ()
    m = re.search(r"(?:less than|smaller than|below|under|<)\s+(\d+)", text)
    if m:
        return f"digit_sum(n) < {m[1]}", f"is less than {m[1]}", ()
    m = re.search(r"(?:equal to|equals|==|is|of)\s+(\d+)\b", text)
    if m:
        return f"digit_sum(n) == {m[1]}", f"equals {m[1]}", ()
    if re.search(r"perfect square|\bsquare\b", text):
        return ("int(digit_sum(n) ** 0.5) ** 2 == digit_sum(n)", "is a perfect square", ())
    if re.search(r"\bodd\b", text):
        return "digit_sum(n) % 2 == 1", "is odd", ()
    if re.search(r"\beven\b", text):
        return "digit_sum(n) % 2 == 0", "is even", ()
    return None


def _digit_sum_of_value(task: Task) -> Skill | None:
    expr = find_expression(task.text) or next((m for m in re.findall(r"\d+", task.text.replace(",", ""))), None)
    if expr is None:
        return None
    code = lines(
        *(_BIG_GUARD if _may_be_huge(expr) else ()),
        *_math_imports(expr),
        f"value = {expr}",
        "digits = str(abs(value))",
        "total = sum(int(d) for d in digits)",
        'print(f"RESULT digit_sum={total}")',
        'print(f"RESULT digits={len(digits)}")',
    )

    def answer(obs: Observation) -> Answer:
        total, digits = need(obs, "digit_sum"), need(obs, "digits")
        return Answer(
            f"Printed: digit_sum={total}, digits={digits}. Report both.",
            f"The digit sum of `{expr}` is **{total}** (it has {digits} digits).",
        )

    return OneShot(
        f"I need the sum of the decimal digits of {expr}. Python integers are exact, "
        "so I'll compute the value, turn it into a string and add up the digits.",
        code,
        answer,
    )


_PRIME_WORDS = re.compile(r"\bprimes?\b|\bprimality\b|prime factor|factori[sz](?:e|ation)")
_SIEVE = (
    "sieve = bytearray([1]) * (limit + 1)",
    'sieve[0:2] = b"\\x00\\x00"',
    "for p in range(2, int(max(limit, 0) ** 0.5) + 1):",
    "    if sieve[p]:",
    "        sieve[p * p :: p] = bytearray(len(sieve[p * p :: p]))",
)


def prime_skill(task: Task) -> Skill | None:
    low = task.low
    if not _PRIME_WORDS.search(low):
        return None
    nums = integers(low)
    if re.search(r"prime factor|factori[sz]", low) and nums:
        return _factorize(max(nums))
    nth = re.search(r"(\d+)(?:st|nd|rd|th)\s+prime", low)
    if nth:
        return _nth_prime(int(nth[1]))
    first = re.search(rf"first\s+({_NUM})\s+primes", low)
    if first:
        return _first_primes(to_int(first[1]))
    single = re.search(rf"\bis\s+({_NUM})\s+(?:a\s+)?prime", low)
    span = find_span(low, default_lo=2)
    if single or (span is None and len(nums) == 1 and not re.search(r"how many|count|list", low)):
        return _is_prime(to_int(single[1]) if single else nums[0])
    if span is None:
        if not nums:
            return None
        span = Span(2, nums[-1])
    return _primes_in(span, low)


def _primes_in(span: Span, low: str) -> Skill:
    want_list = re.search(r"\blist\b|\bwhich\b|\bshow\b|\bprint\b|what are|all primes", low)
    want_sum = re.search(r"\bsum\b|\btotal\b", low)
    code = lines(
        f"limit = {span.hi}",
        *_SIEVE,
        f"primes = [n for n in range({max(span.lo, 0)}, limit + 1) if sieve[n]]",
        'print(f"RESULT count={len(primes)}")',
        'print(f"RESULT sum={sum(primes)}")',
        'print(f"RESULT primes={primes if len(primes) <= 60 else primes[:10]}")',
        'print(f"RESULT last={primes[-5:]}")',
    )
    thought = (
        f"I need the primes between {span.lo} and {span.hi}"
        f"{' and their sum' if want_sum else ''}. A sieve of Eratosthenes up to "
        f"{span.hi} is the standard way: mark composites from p*p in steps of p. Then I'll "
        "print the count, the sum and the primes themselves (or the first ten if there "
        "are many)."
    )

    def answer(obs: Observation) -> Answer:
        count, total = need(obs, "count"), need(obs, "sum")
        shown, last = need(obs, "primes"), need(obs, "last")
        values = literal(shown)
        many = isinstance(values, list) and str(len(values)) != count
        listing = f"The first ten are {shown}, and the last ones {last}." if many else f"They are: {shown}."
        lead = (
            (f"The sum of the primes from {span.lo} to {span.hi} is **{total}** ({count} primes).")
            if want_sum
            else f"There are **{count}** primes from {span.lo} to {span.hi}."
        )
        if want_list and not want_sum:
            lead = f"Here are the primes from {span.lo} to {span.hi} ({count} in total)."
        return Answer(
            f"The sieve printed count={count}, sum={total}. {listing} That answers "
            "the question; I'll lead with the requested figure.",
            f"{lead}\n\n{listing}",
        )

    return OneShot(thought, code, answer, keeps=("primes",))


def _is_prime(n: int) -> Skill:
    code = lines(
        "import math",
        "",
        f"n = {n}",
        "divisor = next((d for d in range(2, math.isqrt(max(n, 0)) + 1) if n % d == 0), None)",
        "is_prime = n >= 2 and divisor is None",
        'print(f"RESULT is_prime={is_prime}")',
        'print(f"RESULT divisor={divisor}")',
    )

    def answer(obs: Observation) -> Answer:
        verdict, divisor = need(obs, "is_prime"), need(obs, "divisor")
        text = (
            f"Yes — **{n} is prime** (no divisor up to its square root)."
            if verdict == "True"
            else f"No — **{n} is not prime**"
            + (f": it is divisible by {divisor}." if divisor != "None" else " (it is below 2).")
        )
        return Answer(f"The check printed is_prime={verdict}, divisor={divisor}.", text)

    return OneShot(
        f"Is {n} prime? Trial division up to the integer square root is enough: if no "
        "d in 2..isqrt(n) divides it, it's prime. I'll also keep the smallest divisor "
        "to explain a 'no'.",
        code,
        answer,
    )


def _first_n_primes_code(n: int) -> tuple[str, ...]:
    """Code that leaves the first ``n`` primes in ``primes`` (trial division by smaller primes)."""
    return (
        f"target = {n}",
        "primes: list[int] = []",
        "candidate = 2",
        "",
        "while len(primes) < target:",
        "    if all(candidate % p for p in primes if p * p <= candidate):",
        "        primes.append(candidate)",
        "    candidate += 1",
    )


def _nth_prime(n: int) -> Skill:
    code = lines(
        *_first_n_primes_code(n),
        'print(f"RESULT nth={primes[-1]}")',
    )

    def answer(obs: Observation) -> Answer:
        value = need(obs, "nth")
        return Answer(f"Printed nth={value}.", f"The {_ordinal(n)} prime is **{value}**.")

    return OneShot(
        f"The {_ordinal(n)} prime: I'll generate primes in order, testing each "
        "candidate against the primes found so far, until I have enough.",
        code,
        answer,
    )


def _first_primes(n: int) -> Skill:
    code = lines(
        *_first_n_primes_code(n),
        'print(f"RESULT primes={primes}")',
        'print(f"RESULT sum={sum(primes)}")',
    )

    def answer(obs: Observation) -> Answer:
        primes, total = need(obs, "primes"), need(obs, "sum")
        text = f"The first {n} primes are {shorten(primes)} (their sum is {total})."
        return Answer(f"Printed primes={gist(primes)}.", text)

    return OneShot(
        f"The first {n} primes: build them one by one with trial division by the smaller primes.",
        code,
        answer,
        keeps=("primes",),
    )


def _factorize(n: int) -> Skill:
    code = lines(
        f"n = {n}",
        "factors = []",
        "rest = n",
        "d = 2",
        "while d * d <= rest:",
        "    while rest % d == 0:",
        "        factors.append(d)",
        "        rest //= d",
        "    d += 1",
        "if rest > 1:",
        "    factors.append(rest)",
        'print(f"RESULT factors={factors}")',
    )

    def answer(obs: Observation) -> Answer:
        factors = need(obs, "factors")
        values = literal(factors)
        product = " × ".join(map(str, values)) if isinstance(values, list) else factors
        return Answer(f"Printed factors={factors}.", f"The prime factorization of {n} is **{product}**.")

    return OneShot(
        f"Factorize {n}: divide out each d from 2 upward while d*d <= what's left; "
        "whatever remains above 1 is a prime factor too.",
        code,
        answer,
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def gcd_skill(task: Task) -> Skill | None:
    low = task.low
    want_gcd = re.search(
        r"\bgcd\b|greatest common (?:divisor|factor)|highest common factor|"
        r"\bhcf\b",
        low,
    )
    want_lcm = re.search(r"\blcm\b|(?:least|lowest) common multiple", low)
    nums = [n for n in integers(low) if n != 0]
    if not (want_gcd or want_lcm) or len(nums) < 2:
        return None
    which = [name for name, wanted in (("gcd", want_gcd), ("lcm", want_lcm)) if wanted]
    code = lines(
        "import math",
        "",
        f"numbers = {nums}",
        *(f"{name} = math.{name}(*numbers)" for name in which),
        *(f'print(f"RESULT {name}={{{name}}}")' for name in which),
    )

    def answer(obs: Observation) -> Answer:
        values = {name: need(obs, name) for name in which}
        listed = ", ".join(map(str, nums))
        body = "\n".join(f"- {name.upper()}({listed}) = **{v}**" for name, v in values.items())
        return Answer(f"Printed {values}.", body)

    return OneShot(
        f"{' and '.join(w.upper() for w in which)} of {nums}: math.gcd and math.lcm "
        "accept several arguments, so this is one line each.",
        code,
        answer,
    )


def fibonacci_skill(task: Task) -> Skill | None:
    low = task.low
    if not re.search(r"fibonacci|\bfib\b", low):
        return None
    first = re.search(rf"first\s+({_NUM})", low)
    below = re.search(rf"(?:below|under|less than|up to|not exceeding)\s+({_NUM})", low)
    nth = re.search(r"(\d+)(?:st|nd|rd|th)\b|f(?:ib)?\((\d+)\)|number\s+(\d+)|\bn\s*=\s*(\d+)", low)
    nums = integers(low)
    if below and not first:
        limit = to_int(below[1])
        code = lines(
            "fibs = []",
            "a, b = 0, 1",
            f"while a < {limit}:",
            "    fibs.append(a)",
            "    a, b = b, a + b",
            'print(f"RESULT count={len(fibs)}")',
            'print(f"RESULT fibs={fibs if len(fibs) <= 40 else fibs[-5:]}")',
        )

        def below_answer(obs: Observation) -> Answer:
            count, fibs = need(obs, "count"), need(obs, "fibs")
            return Answer(
                f"Printed count={count}, fibs={gist(fibs)}.",
                f"There are **{count}** Fibonacci numbers below {limit} (starting from 0): {fibs}.",
            )

        return OneShot(
            f"List Fibonacci numbers below {limit}, iterating a, b = b, a + b.", code, below_answer, keeps=("fibs",)
        )
    if first or not (nth or nums):
        n = to_int(first[1]) if first else 10
        code = lines(
            "fibs = [0, 1]",
            f"while len(fibs) < {n}:",
            "    fibs.append(fibs[-1] + fibs[-2])",
            f"fibs = fibs[:{n}]",
            'print(f"RESULT fibs={fibs}")',
        )

        def first_answer(obs: Observation) -> Answer:
            fibs = need(obs, "fibs")
            return Answer(
                f"Printed fibs={gist(fibs)}.", f"The first {n} Fibonacci numbers (F(0) = 0) are: {shorten(fibs, 2000)}"
            )

        return OneShot(
            f"The first {n} Fibonacci numbers: start from [0, 1] and keep adding the last two.",
            code,
            first_answer,
            keeps=("fibs",),
        )
    n = int(next(g for g in nth.groups() if g)) if nth else nums[0]
    code = lines(
        *(_BIG_GUARD if n > 15000 else ()),
        f"n = {n}",
        "a, b = 0, 1",
        "for _ in range(n):",
        "    a, b = b, a + b",
        "text = str(a)",
        "print(f\"RESULT fib={text if len(text) <= 200 else text[:30] + '...' + text[-30:]}\")",
        'print(f"RESULT digits={len(text)}")',
    )

    def answer(obs: Observation) -> Answer:
        value, digits = need(obs, "fib"), need(obs, "digits")
        return Answer(
            f"Printed fib={value} with {digits} digits.",
            f"F({n}) = **{value}** ({digits} digits; with F(0) = 0 and F(1) = 1).",
        )

    return OneShot(
        f"The Fibonacci number F({n}), using F(0) = 0, F(1) = 1. Iterating with "
        "exact integers is fast even for large n.",
        code,
        answer,
    )


def factorial_skill(task: Task) -> Skill | None:
    low = task.low
    m = (
        re.search(r"(\d+)\s*!(?!=)", low)
        or re.search(r"factorial of\s+(\d+)", low)
        or (re.search(r"(\d+)", low) if "factorial" in low else None)
    )
    if not m:
        return None
    n = int(m[1])
    expr = find_expression(task.text)
    if expr is not None and expr.replace(" ", "") != f"factorial({n})":
        return None  # a larger expression: arithmetic handles it
    code = lines(
        *(_BIG_GUARD if n > 1000 else ()),
        "import math",
        "",
        f"value = math.factorial({n})",
        "text = str(value)",
        'zeros = len(text) - len(text.rstrip("0"))',
        'shown = text if len(text) <= 200 else text[:30] + "..." + text[-30:]',
        'print(f"RESULT value={shown}")',
        'print(f"RESULT digits={len(text)}")',
        'print(f"RESULT trailing_zeros={zeros}")',
    )

    def answer(obs: Observation) -> Answer:
        value, digits, zeros = need(obs, "value"), need(obs, "digits"), need(obs, "trailing_zeros")
        if re.search(r"trailing", low):
            lead = f"{n}! ends in {counted(zeros, 'zero', strong=True)}."
        elif re.search(r"digits", low):
            lead = f"{n}! has {counted(digits, 'digit', strong=True)}."
        else:
            lead = f"{n}! = **{value}**"
        return Answer(
            f"Printed value={value}, digits={digits}, trailing_zeros={zeros}.",
            f"{lead}\n\n(It has {counted(digits, 'digit')} and {counted(zeros, 'trailing zero')}.)",
        )

    return OneShot(
        f"{n}! with math.factorial (exact big integers). I'll also print the number "
        "of digits and trailing zeros since those are the usual follow-up questions.",
        code,
        answer,
    )


def range_sum_skill(task: Task) -> Skill | None:
    low = task.low
    op = (
        "product"
        if re.search(r"\bproduct\b|\bmultiply\b", low)
        else "sum"
        if re.search(r"\bsum\b|\btotal\b|add (?:up|together)|\badd\b", low)
        else None
    )
    first = re.search(rf"first\s+({_NUM})", low)
    span = find_span(low)
    if op is None or (span is None and not first):
        return None
    kind, term, cond, label = _range_terms(low)
    if first and span is None:
        k = to_int(first[1])
        source = f"range(1, {k + 1})"
        term = {"odd": "2 * n - 1", "even": "2 * n"}.get(kind, term)
        cond, label = "", f"the first {k} {label}"
    else:
        assert span is not None
        source = f"range({span.lo}, {span.hi + 1})"
        label = f"{label} from {span.lo} to {span.hi}"
    fn = "math.prod" if op == "product" else "sum"
    code = lines(
        *(("import math", "") if op == "product" else ()),
        f"terms = [{term} for n in {source}{cond}]",
        f"total = {fn}(terms)",
        "count = len(terms)",
        "text = str(total)",
        "print(f\"RESULT total={text if len(text) <= 200 else text[:30] + '...' + text[-30:]}\")",
        'print(f"RESULT terms={count}")',
    )

    def answer(obs: Observation) -> Answer:
        total, count = need(obs, "total"), need(obs, "terms")
        return Answer(
            f"Printed total={total} over {count} terms.", f"The {op} of {label} is **{total}** ({count} terms)."
        )

    return OneShot(
        f"The {op} of {label}. I'll build the list of terms explicitly so I can also "
        f"report how many there were, then take the {op}.",
        code,
        answer,
    )


def _range_terms(low: str) -> tuple[str, str, str, str]:
    mult = re.search(r"multiples of\s+(\d+)(?:\s+(or|and)\s+(\d+))?", low)
    if mult:
        a, joiner, b = mult[1], mult[2], mult[3]
        cond = f" if n % {a} == 0" + (f" {joiner} n % {b} == 0" if b else "")
        return "mult", "n", cond, f"the multiples of {a}" + (f" {joiner} {b}" if b else "")
    for word, term in (("squares", "n**2"), ("cubes", "n**3")):
        if word in low:
            return word, term, "", f"the {word}"
    if re.search(r"\bodd\b", low):
        return "odd", "n", " if n % 2 == 1", "the odd numbers"
    if re.search(r"\beven\b", low):
        return "even", "n", " if n % 2 == 0", "the even numbers"
    return "all", "n", "", "the integers"


_MATH_ASK = re.compile(
    r"\b(?:what(?:'s| is| are)|compute|calculate|evaluate|solve|how much|"
    r"result of|value of|work out|how many digits|multiply|divide|add|subtract|raise|"
    r"what do (?:you|u|i|we) get)\b|^\s*[-\d(]|=\s*\??\s*$"
)


def arithmetic_skill(task: Task) -> Skill | None:
    expr = find_expression(task.text)
    if expr is None:
        return None
    if not _MATH_ASK.search(task.low) and len(expr) < len(task.text.strip()) / 2:
        return None  # numbers in passing ("the 1990-1995 season") are not a calculation
    huge = _may_be_huge(expr)
    # Powers and factorials can be long: print the digit count and a shortened value.
    big = huge or re.search(r"\*\*|factorial", expr) is not None
    code = lines(
        *(_BIG_GUARD if huge else ()),
        *_math_imports(expr),
        f"result = {expr}",
        *(
            (
                "text = str(result)",
                "print(f\"RESULT value={text if len(text) <= 200 else text[:30] + '...' + text[-30:]}\")",
                "print(f\"RESULT digits={len(text.lstrip('-'))}\")",
            )
            if big
            else ('print(f"RESULT value={result}")',)
        ),
    )

    def answer(obs: Observation) -> Answer:
        value, digits = need(obs, "value"), obs.results.get("digits", "")
        thought = f"The code printed value={value}{f' and digits={digits}' if digits else ''}. That's `{expr}`."
        if digits.isdigit() and re.search(r"\bdigits\b", task.low):
            return Answer(thought, f"`{expr}` has **{digits}** digits: {value}")
        extra = f" — a {digits}-digit integer" if digits.isdigit() and int(digits) > 15 else ""
        return Answer(thought, f"`{expr}` = **{value}**{extra}")

    size = "Python integers are arbitrary precision, so big powers are exact. " if huge or "**" in expr else ""
    return OneShot(
        f"This is plain arithmetic: {expr}. {size}Rather than doing it in my head I'll "
        "let Python evaluate it and print the value.",
        code,
        answer,
    )


_ROOT = re.compile(
    r"\b(square|cube|fourth|fifth|(\d+)(?:st|nd|rd|th))\s+root\s+of\s+(-?\d+)\b(?!\.\d)|√\s*(\d+)\b(?!\.\d)", re.I
)
_ROOT_DEGREE = {"square": 2, "cube": 3, "fourth": 4, "fifth": 5}


def root_skill(task: Task) -> Skill | None:
    """*The square root of 144*, *cube root of 27*: exact in integers when the root is whole, else a float."""
    m = _ROOT.search(task.text)
    if m is None or re.search(r"\d", task.text[: m.start()] + task.text[m.end() :]):
        return None  # a root inside a longer calculation is arithmetic
    k = int(m[2]) if m[2] else _ROOT_DEGREE.get((m[1] or "square").lower(), 2)
    n = int(m[3] if m[3] is not None else m[4])
    name = {2: "square root", 3: "cube root"}.get(k, f"{_ordinal(k)} root")
    if k < 2 or (n < 0 and k % 2 == 0):
        why = "a root needs a degree of 2 or more" if k < 2 else f"a negative number has no real {name}"
        return Decline(
            f"The {name} of {n}: {why}, so there is nothing to compute; I'll say so.",
            f"I didn't compute the {name} of {n}: {why}.",
        )
    code = lines(
        *(["from math import isqrt", ""] if k == 2 else []),
        f"n = {n}",
        f"k = {k}",
        # an integer root checked with integers: exact even where a float would round (10**40)
        "guess = isqrt(n)" if k == 2 else "guess = round(abs(n) ** (1 / k)) * (-1 if n < 0 else 1)",
        "root = next((r for r in (guess - 1, guess, guess + 1) if r**k == n), None)",
        'print(f"RESULT exact={root is not None}")',
        'print(f"RESULT value={root if root is not None else (abs(n) ** (1 / k)) * (-1 if n < 0 else 1)}")',
    )

    def answer(obs: Observation) -> Answer:
        value, exact = need(obs, "value"), need(obs, "exact")
        power = {2: "²", 3: "³"}.get(k, f"^{k}")
        if exact == "True":
            return Answer(
                f"The code printed value={value}, exact={exact}: {value}{power} = {n} in integers.",
                f"The {name} of {n} is **{value}** exactly: {value}{power} = {n} (checked with Python integers).",
            )
        return Answer(
            f"The code printed value={value}, exact={exact}: no whole number works, so it is a float.",
            f"The {name} of {n} is about **{value}**. {n} is not a perfect {'square' if k == 2 else 'power'}, so the "
            "root is not a whole number; this is a floating-point value (about 16 significant digits).",
        )

    return OneShot(
        f"The {name} of {n}. I'll find the whole-number candidate and check it with integer arithmetic, so a "
        "perfect power comes out exact (a float root can be off in the last digit); otherwise I'll print the float.",
        code,
        answer,
    )
