"""The offline toy engine: Kimi K2 Thinking in miniature.

Stateless: every request is decided from its messages alone. The latest user message is the task;
the tool results after it are what the code printed. The engine thinks out loud, writes real
Python for ``code_interpreter``, reads the printed ``RESULT key=value`` lines back and answers with
those values. It never computes an answer itself: every number it reports was printed by code.

Layout: reading the conversation, reading tool output, prompt parsing, one builder per skill
family (each returns a ``Skill`` or None), then the policy (decline, errors, retries, the
deliberate self-correction demo) and ``toy_help``.
"""

from __future__ import annotations

import ast
import difflib
import json
import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .server import message_text
from .wire import ToolCallSpec, Turn

TOOL_NAME = "code_interpreter"

# ---------------------------------------------------------------------------------------------
# Actions and observations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeStep:
    """Think, then ask ``code_interpreter`` to run ``code``."""

    thought: str
    code: str


@dataclass(frozen=True)
class Answer:
    """Think, then reply to the user in Markdown."""

    thought: str
    text: str


Action = CodeStep | Answer


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ERROR_LINE = re.compile(
    r"^\s*((?:[A-Za-z_][\w.]*)?(?:Error|Exception|Interrupt|Exit|Iteration))(?::\s?(.*))?\s*$", re.M
)
_RESULT = re.compile(r"^RESULT (\w+)(?:\[(.+?)\])?=(.*)$", re.M)
_BLOCK = re.compile(r"^BEGIN (\w+)\n(.*?)\n?^END \1$", re.M | re.S)


@dataclass(frozen=True)
class ErrorInfo:
    kind: str  # e.g. "NameError"
    message: str  # text after the colon

    @property
    def line(self) -> str:
        return f"{self.kind}: {self.message}" if self.message else self.kind


@dataclass(frozen=True)
class Observation:
    """One code call after the task and what came back."""

    code: str
    output: str
    results: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    error: ErrorInfo | None = None
    declined: bool = False


def observe(code: str, output: str) -> Observation:
    text = _ANSI.sub("", output).replace("\r\n", "\n")
    results = {(f"{m[1]}[{m[2]}]" if m[2] is not None else m[1]): m[3].rstrip() for m in _RESULT.finditer(text)}
    tables = {m[1]: m[2] for m in _BLOCK.finditer(text)}
    error = None
    errors = list(_ERROR_LINE.finditer(text))
    last_result = max((m.start() for m in _RESULT.finditer(text)), default=-1)
    # An error line counts if there is a traceback, or if the code died after its last RESULT.
    if errors and ("Traceback" in text or errors[-1].start() > last_result):
        kind, message = errors[-1][1], (errors[-1][2] or "").strip()
        nested = re.match(r"([A-Za-z_][\w.]*(?:Error|Exception)):\s?(.*)", message)
        while nested:  # "Error: NameError: ..." wrappers: keep the innermost exception
            kind, message = nested[1], nested[2].strip()
            nested = re.match(r"([A-Za-z_][\w.]*(?:Error|Exception)):\s?(.*)", message)
        error = ErrorInfo(kind.split(".")[-1], message)
    declined = not results and error is None and re.search(r"\bdeclined\b", text, re.I) is not None
    return Observation(code, text, results, tables, error, declined)


@dataclass(frozen=True)
class Task:
    text: str

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def self_correct(self) -> bool:
        return _SELF_CORRECT.search(self.low) is not None

    @property
    def wants_type_error(self) -> bool:
        return re.search(r"type\s*error", self.low) is not None


_SELF_CORRECT = re.compile(
    r"self[\s-]*correct|make (?:a|an|one) (?:\w+ )?(?:mistake|error|bug)|(?:deliberate|intentional)"
    r"(?:ly)? (?:\w+ )?(?:mistake|error|bug)|on purpose|introduce (?:a|an) (?:bug|error)"
    r"|demonstrate (?:a |an |your )?(?:mistake|error|recovery|debugging|fixing)"
    r"|show (?:me )?how you (?:fix|recover|debug)"
)


def read_conversation(messages: Sequence[dict[str, Any]]) -> tuple[Task | None, list[Observation]]:
    """The latest user message and the code results that follow it."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=None)
    if last_user is None:
        return None, []
    task = Task(message_text(messages[last_user].get("content")).strip())
    pending: dict[str, str] = {}
    observations = []
    for message in messages[last_user + 1 :]:
        if message.get("role") == "assistant":
            for call in message.get("tool_calls") or []:
                pending[str(call.get("id"))] = _code_of(call)
        elif message.get("role") == "tool":
            code = pending.get(str(message.get("tool_call_id")), "")
            observations.append(observe(code, message_text(message.get("content"))))
    return task, observations


def _code_of(call: dict[str, Any]) -> str:
    try:
        args = json.loads((call.get("function") or {}).get("arguments") or "{}", strict=False)
    except ValueError:
        return ""
    return str(args.get("code", "")) if isinstance(args, dict) else ""


class Unreadable(Exception):
    """The code ran but did not print what the engine needs."""


def need(obs: Observation, key: str) -> str:
    if key not in obs.results:
        raise Unreadable(key)
    return obs.results[key]


def literal(value: str) -> Any:
    """A printed Python literal (list, tuple, quoted string); the raw text if it is not one."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value


# ---------------------------------------------------------------------------------------------
# Skills
# ---------------------------------------------------------------------------------------------


class Skill:
    """One family of tasks. ``next`` sees the successful observations so far."""

    kernel_var: str | None = None  # a user variable the code reads (NameError means it is missing)

    def next(self, done: Sequence[Observation]) -> Action:
        raise NotImplementedError

    def repair(self, failed: Observation, done: Sequence[Observation]) -> CodeStep | None:
        return None


@dataclass
class OneShot(Skill):
    """Run one piece of code, then answer from what it printed."""

    thought: str
    code: str
    answer: Callable[[Observation], Answer]

    def next(self, done: Sequence[Observation]) -> Action:
        return self.answer(done[-1]) if done else CodeStep(self.thought, self.code)


def lines(*parts: str) -> str:
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Prompt parsing
# ---------------------------------------------------------------------------------------------

_INT = r"-?\d{1,3}(?:,\d{3})+(?!\d)|-?\d+(?:_\d{3})*"
_NUM = (
    rf"(?:{_INT})(?:\s*(?:\^|\*\*)\s*\d+|e\d+)?"
    r"(?:\s*(?:thousand|million|billion)\b|k\b)?"
)
_SCALES = (("thousand", 10**3), ("million", 10**6), ("billion", 10**9), ("k", 10**3))


def to_int(token: str) -> int:
    """Read a number as written in a prompt: 1,000 / 10^6 / 10**6 / 1e6 / 2 million / 5k."""
    text = token.replace(",", "").replace("_", "").strip().lower()
    scale = 1
    for word, factor in _SCALES:
        if text.endswith(word):
            text, scale = text[: -len(word)].strip(), factor
            break
    if "**" in text or "^" in text:
        base, exp = re.split(r"\*\*|\^", text)
        return int(int(base) ** int(exp)) * scale
    if "e" in text:
        base, exp = text.split("e")
        return int(base) * int(10 ** int(exp)) * scale
    return int(text) * scale


def integers(text: str) -> list[int]:
    return [to_int(m) for m in re.findall(_NUM, text)]


@dataclass(frozen=True)
class Span:
    lo: int
    hi: int  # inclusive


_RANGE_PATTERNS = (
    (rf"from\s+({_NUM})\s+(?:to|through|thru|until|up to)\s+({_NUM})", 0),
    (rf"between\s+({_NUM})\s+and\s+({_NUM})", 0),
    (rf"range\s*\(\s*({_NUM})\s*,\s*({_NUM})\s*\)", -1),
    (rf"({_NUM})\s*(?:\.\.\.?|–|—)\s*({_NUM})", 0),
    (rf"({_NUM})\s+(?:to|through)\s+({_NUM})", 0),
    (rf"(?<![\w.])({_INT})-({_INT})(?![\w.])", 0),
)


def find_span(low: str, default_lo: int = 1) -> Span | None:
    for pattern, adjust in _RANGE_PATTERNS:
        m = re.search(pattern, low)
        if m:
            return Span(to_int(m[1]), to_int(m[2]) + adjust)
    m = re.search(rf"(?:below|under|less than|smaller than|lower than|<)\s+({_NUM})", low)
    if m:
        return Span(default_lo, to_int(m[1]) - 1)
    m = re.search(rf"(?:up to|upto|at most|not exceeding|no more than|<=|≤)\s+({_NUM})", low)
    if m:
        return Span(default_lo, to_int(m[1]))
    return None


def quoted(text: str) -> list[str]:
    """Quoted pieces of the prompt, in order (```fences```, "double", “curly”, 'single')."""
    found: list[tuple[int, str]] = []
    patterns = (r"```(?:[a-z]*\n)?(.*?)```", r'"([^"\n]+)"', r"“([^”]+)”", r"‘([^’]+)’", r"(?<!\w)'([^'\n]+)'(?!\w)")
    taken: list[tuple[int, int]] = []
    for pattern in patterns:
        for m in re.finditer(pattern, text, re.S):
            if any(a <= m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append((m.start(), m[1]))
    return [s for _, s in sorted(found)]


def text_subject(text: str) -> list[str]:
    pieces = quoted(text)
    if pieces:
        return pieces
    m = re.search(r":\s*(.+)$", text.strip(), re.S)
    return [m[1].strip()] if m and len(m[1].split()) >= 1 else []


# Words that look like identifiers in prompts but never name a user variable.
_STOP_WORDS = """a an the this that these those my your our their its it them they there here
of in on for by and or to from with within inside using what which who how is are was were be
numbers number values value data set list table column columns row rows dataframe frame series
array variable dataset python pandas numpy kernel notebook memory general each all every total
average mean median sum order range words text string sentence letters me you i we us please
result results something anything everything first last top bottom some any between"""
_STOP = frozenset(_STOP_WORDS.split())
_KEYWORDS = {
    "and",
    "or",
    "not",
    "in",
    "is",
    "for",
    "from",
    "if",
    "else",
    "None",
    "True",
    "False",
    "lambda",
    "def",
    "class",
    "return",
    "with",
    "as",
    "import",
    "print",
    "list",
    "dict",
}
_TYPE_WORDS = (
    r"(?:dataframe|data\s+frame|df|list|series|array|variable|table|dataset|frame|"
    r"dict(?:ionary)?|tuple)"
)


def kernel_candidates(text: str) -> list[str]:
    """Names of user variables the prompt refers to, most likely first."""
    # (pattern, explicit): a name in backticks is taken even if it is also an English word.
    patterns = (
        (rf"\b{_TYPE_WORDS}\s+(?:called\s+|named\s+)?`([A-Za-z_]\w*)`", True),
        (rf"\b{_TYPE_WORDS}\s+(?:called\s+|named\s+)?([A-Za-z_]\w*)", False),
        (rf"`([A-Za-z_]\w*)`\s+{_TYPE_WORDS}\b", True),
        (rf"\b([A-Za-z_]\w*)\s+{_TYPE_WORDS}\b", False),
        (r"\b(?:in|from|within|inside|using)\s+`([A-Za-z_]\w*)`", True),
        (r"\b(?:in|from|within|inside|using)\s+(?:my\s+|the\s+)?([A-Za-z_]\w*)\b", False),
        (r"\b(?:of|on|over)\s+`([A-Za-z_]\w*)`", True),
        (r"\b(?:of|on|over)\s+((?=[A-Za-z_]\w*[_\d])[A-Za-z_]\w*)\b", False),  # code-like names
        (r"`([A-Za-z_]\w*)`", True),
        (r"\b(df\w*)\b", False),
    )
    names: list[str] = []
    for pattern, explicit in patterns:
        for m in re.finditer(pattern, text, re.I):
            name = m[1]
            if name in _KEYWORDS or name in names or (not explicit and name.lower() in _STOP):
                continue
            if not explicit and re.fullmatch(r"(?:dataframe|list|series|array|table|dict|tuple)", name, re.I):
                continue
            names.append(name)
    return names


_MATH_NAMES = {
    "sqrt",
    "exp",
    "log",
    "log10",
    "log2",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "factorial",
    "comb",
    "perm",
    "gcd",
    "lcm",
    "isqrt",
    "floor",
    "ceil",
    "pi",
    "e",
    "tau",
}
_BUILTIN_NAMES = {"abs", "round", "pow", "min", "max"}


def _normalize_math(text: str) -> str:
    out = text.replace("×", "*").replace("÷", "/").replace("−", "-").replace("·", "*")
    out = re.sub(r"(\d)\s*x\s*(\d)", r"\1*\2", out)  # 3 x 4
    out = re.sub(r"\d{1,3}(?:,\d{3})+(?!\d)", lambda m: m[0].replace(",", ""), out)
    out = re.sub(r"(\d+(?:\.\d+)?)\s*%\s*of\s+(\d+(?:\.\d+)?)", r"(\1 / 100 * \2)", out)
    words = (
        (r"\bsum of\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)", r"(\1 + \2)"),
        (r"\bproduct of\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)", r"(\1 * \2)"),
        (r"\bto the power of\b", "**"),
        (r"\bplus\b", "+"),
        (r"\bminus\b", "-"),
        (r"\btimes\b", "*"),
        (r"\bmultiplied by\b", "*"),
        (r"\bdivided by\b", "/"),
        (r"\bmod(?:ulo)?\b", "%"),
        (r"\bsquared\b", "**2"),
        (r"\bcubed\b", "**3"),
        (r"\bsquare root of\s+(\d+(?:\.\d+)?)", r"sqrt(\1)"),
    )
    for pattern, repl in words:
        out = re.sub(pattern, repl, out, flags=re.I)
    out = out.replace("^", "**")
    return re.sub(r"(\d+|\))\s*!(?!=)", lambda m: f"factorial({m[1]})" if m[1] != ")" else m[0], out)


_TOKEN = re.compile(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?|\*\*|//|[-+*/%(),]|[A-Za-z_]\w*|\S")


def find_expression(text: str) -> str | None:
    """The longest arithmetic expression in the prompt (validated, never evaluated)."""
    norm = _normalize_math(text)
    allowed = _MATH_NAMES | _BUILTIN_NAMES
    runs: list[tuple[int, int]] = []
    start = end = -1
    for m in _TOKEN.finditer(norm):
        tok = m[0]
        ok = tok[0].isdigit() or tok in "+-*/%(),**//" or tok in allowed
        if ok:
            start = m.start() if start < 0 else start
            end = m.end()
        elif start >= 0:
            runs.append((start, end))
            start = -1
    if start >= 0:
        runs.append((start, end))
    best: str | None = None
    for a, b in runs:
        candidate = norm[a:b].strip().strip(",").rstrip("+-*/%(").strip()
        candidate = re.sub(r"^[*/%),]+", "", candidate).strip()
        if _valid_expression(candidate) and (best is None or len(candidate) > len(best)):
            best = candidate
    return best


_CONSTANTS = {"pi", "e", "tau"}


def _valid_expression(expr: str) -> bool:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return False
    has_op = False
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.Call)):
            has_op = True
        if isinstance(node, ast.Name) and node.id not in _MATH_NAMES | _BUILTIN_NAMES:
            return False
        if isinstance(node, ast.Name) and (node.id in _CONSTANTS) == (id(node) in called):
            return False  # functions must be called, constants must not be
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            return False
        if not isinstance(
            node,
            (
                ast.Expression,
                ast.BinOp,
                ast.UnaryOp,
                ast.Call,
                ast.Name,
                ast.Constant,
                ast.Load,
                ast.operator,
                ast.unaryop,
            ),
        ):
            return False
    return has_op


def _math_imports(expr: str) -> list[str]:
    used = sorted({n for n in re.findall(r"[A-Za-z_]\w*", expr) if n in _MATH_NAMES})
    return [f"from math import {', '.join(used)}", ""] if used else []


def _may_be_huge(expr: str) -> bool:
    """Could str() of the value pass Python's 4300-digit limit? (cheap syntactic guess)"""
    exps = [int(n) for n in re.findall(r"\*\*\s*\(?\s*(\d+)", expr)]
    facts = [int(n) for n in re.findall(r"factorial\(\s*(\d+)", expr)]
    return any(n >= 1000 for n in exps) or any(n >= 1000 for n in facts)


_BIG_GUARD = (
    "import sys",
    "",
    'if hasattr(sys, "set_int_max_str_digits"):',
    "    sys.set_int_max_str_digits(0)  # allow printing very large integers",
    "",
)


def _listed(printed: str) -> str:
    """A printed Python list as plain comma-separated text (unchanged if it is not a list)."""
    value = literal(printed)
    return ", ".join(map(str, value)) if isinstance(value, list) else printed


def _shown(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else f"{text[:40]}…{text[-40:]} ({len(text)} characters)"


# ---------------------------------------------------------------------------------------------
# Number families
# ---------------------------------------------------------------------------------------------

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
        examples, tail = _listed(first), _listed(last)
        return Answer(
            f"The code printed count={count}, first={first} and last={last}. So {count} numbers "
            f"in {span.lo}..{span.hi} have a digit sum that {label}. I'll state the count and "
            "list the first few as a sanity check.",
            f"**{count}** of the integers from {span.lo} to {span.hi} have a digit sum that "
            f"{label}.\n\nThe first ones are {examples}; the last ones are {tail}.\n\n"
            "I computed each number's digit sum and tested it directly in Python.",
        )

    return OneShot(thought, code, answer)


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

    return OneShot(thought, code, answer)


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


def _nth_prime(n: int) -> Skill:
    code = lines(
        f"target = {n}",
        "primes: list[int] = []",
        "candidate = 2",
        "",
        "while len(primes) < target:",
        "    if all(candidate % p for p in primes if p * p <= candidate):",
        "        primes.append(candidate)",
        "    candidate += 1",
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
        f"target = {n}",
        "primes: list[int] = []",
        "candidate = 2",
        "",
        "while len(primes) < target:",
        "    if all(candidate % p for p in primes if p * p <= candidate):",
        "        primes.append(candidate)",
        "    candidate += 1",
        'print(f"RESULT primes={primes}")',
        'print(f"RESULT sum={sum(primes)}")',
    )

    def answer(obs: Observation) -> Answer:
        primes, total = need(obs, "primes"), need(obs, "sum")
        return Answer(f"Printed primes={primes}.", f"The first {n} primes are {_shown(primes)} (their sum is {total}).")

    return OneShot(
        f"The first {n} primes: build them one by one with trial division by the smaller primes.", code, answer
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
                f"Printed count={count}, fibs={fibs}.",
                f"There are **{count}** Fibonacci numbers below {limit} (starting from 0): {fibs}.",
            )

        return OneShot(f"List Fibonacci numbers below {limit}, iterating a, b = b, a + b.", code, below_answer)
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
                f"Printed fibs={fibs}.", f"The first {n} Fibonacci numbers (F(0) = 0) are: {_shown(fibs, 2000)}"
            )

        return OneShot(
            f"The first {n} Fibonacci numbers: start from [0, 1] and keep adding the last two.", code, first_answer
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
            lead = f"{n}! ends in **{zeros}** zeros."
        elif re.search(r"digits", low):
            lead = f"{n}! has **{digits}** digits."
        else:
            lead = f"{n}! = **{value}**"
        return Answer(
            f"Printed value={value}, digits={digits}, trailing_zeros={zeros}.",
            f"{lead}\n\n(It has {digits} digits and {zeros} trailing zeros.)",
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
    r"result of|value of|work out|how many digits)\b|^\s*[-\d(]|=\s*\??\s*$"
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


# ---------------------------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------------------------


def monte_carlo_skill(task: Task) -> Skill | None:
    low = task.low
    if not (
        re.search(r"monte\s*-?\s*carlo", low)
        or re.search(r"(?:estimate|approximate|simulat\w*)\s+(?:the value of\s+)?(?:pi|π)\b", low)
    ):
        return None
    seed_m = re.search(r"seed\s*(?:=|of|:)?\s*(\d+)", low)
    seed = int(seed_m[1]) if seed_m else 42
    n_m = re.search(
        rf"({_NUM})\s*(?:random\s+)?(?:samples|points|darts|throws|draws|iterations|"
        r"trials|simulations|runs)",
        low,
    ) or re.search(rf"\bn\s*=\s*({_NUM})", low)
    n = to_int(n_m[1]) if n_m else 100_000
    code = lines(
        "import math",
        "import random",
        "",
        f"rng = random.Random({seed})",
        f"n = {n}",
        "inside = 0",
        "for _ in range(n):",
        "    x, y = rng.random(), rng.random()",
        "    if x * x + y * y <= 1.0:",
        "        inside += 1",
        "estimate = 4 * inside / n",
        'print(f"RESULT inside={inside}")',
        'print(f"RESULT estimate={estimate}")',
        'print(f"RESULT error={abs(estimate - math.pi):.6f}")',
    )
    thought = (
        f"Monte Carlo estimate of pi: throw {n} random points in the unit square and "
        "count how many land inside the quarter circle x² + y² <= 1. The fraction inside "
        f"approximates pi/4, so pi ≈ 4 · inside / n. Seed {seed}"
        f"{' as requested' if seed_m else ' (none given, so I pick one for reproducibility)'}"
        "; a dedicated random.Random keeps the global generator untouched. I'll print the "
        "hit count, the estimate and the error against math.pi."
    )

    def answer(obs: Observation) -> Answer:
        inside, estimate, error = need(obs, "inside"), need(obs, "estimate"), need(obs, "error")
        return Answer(
            f"Printed inside={inside}, estimate={estimate}, error={error}. The error is in line "
            "with the 1/sqrt(n) convergence of Monte Carlo.",
            f"With {n} random points (seed {seed}), **{inside}** fell inside the quarter circle, "
            f"giving **π ≈ {estimate}** (off by {error} from math.pi).\n\nThe error shrinks "
            "roughly like 1/√n, so 100× more points buys about one more correct digit.",
        )

    return OneShot(thought, code, answer)


# ---------------------------------------------------------------------------------------------
# Plotting a function
# ---------------------------------------------------------------------------------------------

_PLOT = re.compile(r"\b(?:plot|graph|draw|sketch|visuali[sz]e|chart)\b")
_NP_NAMES = {
    "sin",
    "cos",
    "tan",
    "exp",
    "log",
    "log10",
    "log2",
    "sqrt",
    "abs",
    "sinh",
    "cosh",
    "tanh",
    "arcsin",
    "arccos",
    "arctan",
    "pi",
    "e",
}
_BOUND = r"-?\s*(?:\d+(?:\.\d+)?\s*\*?\s*)?(?:pi|π)|-?\d+(?:\.\d+)?"


def _to_numpy(expr: str) -> str | None:
    out = expr.strip().replace("π", "pi").replace("^", "**").replace("ln(", "log(")
    out = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?=[a-z(])", r"\1*", out)
    out = re.sub(r"\)\s*(?=[a-z(\d])", ")*", out)
    out = re.sub(r"\bx\s*(?=\()", "x*", out)
    try:
        tree = ast.parse(out, mode="eval")
    except SyntaxError:
        return None
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if "x" not in names or not names <= _NP_NAMES | {"x"}:
        return None
    return re.sub(r"\b(?!x\b)([a-z][a-z0-9]*)\b", r"np.\1", out)


def _bound_code(text: str) -> str:
    text = text.replace(" ", "").replace("π", "pi")
    m = re.fullmatch(r"(-?)(\d+(?:\.\d+)?)?\*?pi", text)
    if m:
        return f"{m[1]}{m[2] + ' * ' if m[2] else ''}np.pi"
    return text


def plot_function_skill(task: Task) -> Skill | None:
    low = task.low
    m = _PLOT.search(low)
    if not m:
        return None
    body = low[m.end() :]
    body = re.sub(r"^\s*(?:the\s+)?(?:function|graph|curve|functions)?\s*(?:of\s+)?", "", body)
    body = re.sub(r"^\s*(?:y|f\(x\))\s*=\s*", "", body)
    expr_part = re.split(r"\s+(?:from|between|for|on|over|in|where|with)\b|\s*[\[;]|[?.](?:\s|$)", body)[0]
    pieces = [p.strip(" ,") for p in re.split(r"\s+and\s+|,\s*(?=[a-z0-9(-])", expr_part) if p.strip(" ,")]
    pieces = [re.sub(r"^(?:y|f\(x\)|g\(x\))\s*=\s*", "", p) for p in pieces]
    curves = [(p, _to_numpy(p)) for p in pieces]
    good = [(label, code) for label, code in curves if code]
    if not good:
        return None
    bounds = (
        re.search(rf"from\s+({_BOUND})\s+to\s+({_BOUND})", low)
        or re.search(rf"between\s+({_BOUND})\s+and\s+({_BOUND})", low)
        or re.search(rf"\[\s*({_BOUND})\s*,\s*({_BOUND})\s*\]", low)
        or re.search(rf"({_BOUND})\s*<=?\s*x\s*<=?\s*({_BOUND})", low)
    )
    lo, hi = (bounds[1].strip(), bounds[2].strip()) if bounds else ("-10", "10")
    title = " and ".join(label for label, _ in good)
    code = lines(
        "import matplotlib.pyplot as plt",
        "import numpy as np",
        "",
        f"x = np.linspace({_bound_code(lo)}, {_bound_code(hi)}, 500)",
        "curves = {",
        *(f"    {label!r}: {expr}," for label, expr in good),
        "}",
        "",
        "fig, ax = plt.subplots(figsize=(7, 4))",
        "for label, y in curves.items():",
        "    ax.plot(x, np.broadcast_to(y, x.shape), label=label)",
        'ax.axhline(0, color="gray", linewidth=0.5)',
        'ax.set_xlabel("x")',
        'ax.set_ylabel("y")',
        f"ax.set_title({title!r})",
        "ax.grid(True, alpha=0.3)",
        "ax.legend()",
        "plt.show()",
        "",
        "for i, y in enumerate(curves.values()):",
        "    finite = np.broadcast_to(y, x.shape)[np.isfinite(np.broadcast_to(y, x.shape))]",
        '    print(f"RESULT min_{i}={finite.min():.4f}")',
        '    print(f"RESULT max_{i}={finite.max():.4f}")',
        'print(f"RESULT points={len(x)}")',
    )
    thought = (
        f"Plot {title} for x from {lo} to {hi}. NumPy evaluates the expression on a grid "
        "(500 points is smooth enough), matplotlib draws it; plt.show() makes the figure "
        "appear in the notebook. I'll also print each curve's min and max over the range "
        "so I can describe the plot in words."
    )

    def answer(obs: Observation) -> Answer:
        points = need(obs, "points")
        rows = [
            f"- `{label}`: from {need(obs, f'min_{i}')} to {need(obs, f'max_{i}')}" for i, (label, _) in enumerate(good)
        ]
        return Answer(
            f"The figure was shown; the code printed points={points} and the ranges. I'll describe them.",
            f"Here is the plot of {title} on [{lo}, {hi}] ({points} points); the "
            "figure is shown above.\n\nOver that interval the values range:\n" + "\n".join(rows),
        )

    return OneShot(thought, code, answer)


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------


def text_skill(task: Task) -> Skill | None:
    low = task.low
    subjects = text_subject(task.text)
    if not subjects:
        return None
    text = max(subjects, key=len)
    if re.search(r"palindrom", low):
        if len(subjects) == 1 and re.search(r"\bwords\b|which|find", low) and " " in text:
            return _palindrome_words(text)
        if len(subjects) == 1 and "," in text and " " not in text.replace(", ", ""):
            subjects = [s.strip() for s in text.split(",")]
        return _palindromes(subjects)
    if re.search(r"\brevers|\bbackwards?\b", low):
        return _reverse(text, by_words=re.search(r"\bwords?\b|word order", low) is not None)
    if re.search(r"frequen|most common|how often|occurrences|tally|count (?:each|every)", low):
        letters = re.search(r"\b(?:letters?|characters?|chars?)\b", low) is not None
        k = re.search(r"top\s+(\d+)", low)
        return _frequency(text, letters, int(k[1]) if k else 10)
    if re.search(r"\bvowels?\b", low):
        return _count_text(text)
    if re.search(r"\bwords?\b|\bcharacters?\b|\bletters?\b|\bchars\b", low) and re.search(
        r"\bcount|how many|number of|length", low
    ):
        return _count_text(text)
    return None


def _palindromes(candidates: list[str]) -> Skill:
    code = lines(
        "def is_palindrome(s: str) -> bool:",
        "    cleaned = [c.lower() for c in s if c.isalnum()]",
        "    return bool(cleaned) and cleaned == cleaned[::-1]",
        "",
        "",
        f"candidates = {candidates!r}",
        "for i, s in enumerate(candidates):",
        '    print(f"RESULT palindrome_{i}={is_palindrome(s)}")',
    )

    def answer(obs: Observation) -> Answer:
        verdicts = [need(obs, f"palindrome_{i}") for i in range(len(candidates))]
        rows = "\n".join(
            f"| {c} | {'yes' if v == 'True' else 'no'} |" for c, v in zip(candidates, verdicts, strict=True)
        )
        return Answer(
            f"Printed verdicts {verdicts}.",
            f"| text | palindrome? |\n|---|---|\n{rows}\n\n(Ignoring case, spaces and punctuation.)",
        )

    return OneShot(
        "Palindrome check: normalise each string (lowercase, keep letters and digits) "
        "and compare it with its reverse. That treats 'A man, a plan…' fairly.",
        code,
        answer,
    )


def _palindrome_words(text: str) -> Skill:
    code = lines(
        "import re",
        "",
        f"text = {text!r}",
        'words = re.findall(r"\\w+", text)',
        "found = []",
        "for w in words:",
        "    if len(w) > 1 and w.lower() == w.lower()[::-1] and w.lower() not in found:",
        "        found.append(w.lower())",
        'print(f"RESULT palindromes={found}")',
        'print(f"RESULT count={len(found)}")',
    )

    def answer(obs: Observation) -> Answer:
        found, count = literal(need(obs, "palindromes")), need(obs, "count")
        listing = ", ".join(f"*{w}*" for w in found) if isinstance(found, list) else str(found)
        return Answer(f"Printed palindromes={found}.", f"I found **{count}** palindromic words: {listing or 'none'}.")

    return OneShot(
        "Find the words in the text that read the same backwards (case-insensitive, longer than one letter).",
        code,
        answer,
    )


def _reverse(text: str, *, by_words: bool) -> Skill:
    expr = '" ".join(reversed(text.split()))' if by_words else "text[::-1]"
    code = lines(f"text = {text!r}", f"reversed_text = {expr}", 'print(f"RESULT reversed={reversed_text!r}")')

    def answer(obs: Observation) -> Answer:
        value = literal(need(obs, "reversed"))
        return Answer(f"Printed reversed={value!r}.", f"Reversed{' word by word' if by_words else ''}:\n\n> {value}")

    what = "the order of the words" if by_words else "the characters (slice with step -1)"
    return OneShot(f"Reverse {what}.", code, answer)


def _frequency(text: str, letters: bool, k: int) -> Skill:
    source = (
        "(c for c in text.lower() if c.isalpha())"
        if letters
        else '(w.lower() for w in re.findall(r"\\w+(?:\'\\w+)?", text))'
    )
    code = lines(
        *(() if letters else ("import re",)),
        "from collections import Counter",
        "",
        f"text = {text!r}",
        f"counts = Counter{source}",
        f'print(f"RESULT top={{counts.most_common({k})}}")',
        'print(f"RESULT distinct={len(counts)}")',
        'print(f"RESULT total={sum(counts.values())}")',
    )
    unit = "letter" if letters else "word"

    def answer(obs: Observation) -> Answer:
        top, distinct, total = literal(need(obs, "top")), need(obs, "distinct"), need(obs, "total")
        if not isinstance(top, list):
            raise Unreadable("top")
        rows = "\n".join(f"| {item} | {n} |" for item, n in top)
        return Answer(
            f"Printed the top {unit}s {top}; {distinct} distinct out of {total}.",
            f"{unit.title()} frequencies ({total} {unit}s, {distinct} distinct):\n\n"
            f"| {unit} | count |\n|---|---|\n{rows}",
        )

    return OneShot(
        f"Count {unit} frequencies with collections.Counter"
        f"{' (letters only, lowercased)' if letters else ' (lowercased words)'} and "
        f"show the {k} most common.",
        code,
        answer,
    )


def _count_text(text: str) -> Skill:
    code = lines(
        "import re",
        "",
        f"text = {text!r}",
        'words = re.findall(r"\\w+(?:\'\\w+)?", text)',
        'print(f"RESULT words={len(words)}")',
        'print(f"RESULT characters={len(text)}")',
        'print(f"RESULT letters={sum(c.isalpha() for c in text)}")',
        "print(f\"RESULT vowels={sum(c in 'aeiou' for c in text.lower())}\")",
    )

    def answer(obs: Observation) -> Answer:
        words, chars = need(obs, "words"), need(obs, "characters")
        letters, vowels = need(obs, "letters"), need(obs, "vowels")
        return Answer(
            f"Printed words={words}, characters={chars}, letters={letters}, vowels={vowels}.",
            f"- words: **{words}**\n- characters (with spaces): **{chars}**\n"
            f"- letters: **{letters}**\n- vowels: **{vowels}**",
        )

    return OneShot(
        "Count words (runs of word characters, keeping contractions together), "
        "characters, letters and vowels of the quoted text.",
        code,
        answer,
    )


# ---------------------------------------------------------------------------------------------
# Statistics on a kernel variable (inspect first, then compute)
# ---------------------------------------------------------------------------------------------

_STAT_OPS = (
    ("mean", r"\bmean\b|\baverage|\bavg\b"),
    ("median", r"\bmedian"),
    ("std", r"\bstd\b|standard deviation|\bstdev"),
    ("var", r"\bvariance"),
    ("min", r"\bmin(?:imum)?\b|\bsmallest value|\blowest value"),
    ("max", r"\bmax(?:imum)?\b|\blargest value|\bhighest value"),
    ("sum", r"\bsum\b|\btotal\b"),
)
_STAT_WORDS = re.compile(
    r"\bmean\b|\baverage|\bavg\b|\bmedian|\bstd\b|standard deviation|\bvariance|\bmin(?:imum)?\b|"
    r"\bmax(?:imum)?\b|\bsum\b|\btotal\b|correlat|\bcorr\b|describe|summar|statistic|\bstats\b|"
    r"group|\bper\b|\btop\s+\d+|\bbottom\s+\d+|largest|smallest|highest|lowest|\bcount\b|"
    r"how many|\bunique\b|\bdistinct\b|histogram|scatter|\bplot|\bchart|\bgraph|analy[sz]|"
    r"\binspect|\bexplore|\blook at\b|\bshape\b|\bcolumns\b"
)
_NUMBER_LIST = re.compile(r"-?\d+(?:\.\d+)?(?:\s*(?:,\s*and|,|\band\b)\s*-?\d+(?:\.\d+)?){2,}")


@dataclass(frozen=True)
class StatPlan:
    ops: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    group: Any = None
    topk: tuple[int, bool] | None = None  # (k, largest first)
    corr: bool = False
    describe: bool = False
    count: bool = False
    unique: Any = None
    plot: str | None = None  # line | hist | scatter | bar


def stats_skill(task: Task) -> Skill | None:
    low = task.low
    if not _STAT_WORDS.search(low):
        return None
    names = kernel_candidates(task.text)
    if names:
        return StatsSkill(task, names[0])
    m = _NUMBER_LIST.search(task.text)
    if m and (any(re.search(p, low) for _, p in _STAT_OPS) or re.search(r"\btop\b", low)):
        values = [float(v) if "." in v else int(v) for v in re.findall(r"-?\d+(?:\.\d+)?", m[0])]
        return StatsSkill(task, None, inline=values)
    return None


def _wants(low: str) -> dict[str, Any]:
    top = re.search(r"\b(top|largest|highest|biggest|bottom|smallest|lowest)\s+(\d+)\b", low)
    plot = None
    if re.search(r"histogram|\bhist\b|distribution", low) and re.search(
        r"plot|chart|hist|graph|"
        r"draw|show",
        low,
    ):
        plot = "hist"
    elif "scatter" in low:
        plot = "scatter"
    elif re.search(r"\bplot|\bchart|\bgraph|\bvisuali[sz]e|\bdraw", low):
        plot = "bar" if re.search(r"\bbar\b", low) else "line"
    return {
        "ops": tuple(op for op, p in _STAT_OPS if re.search(p, low)),
        "topk": (int(top[2]), top[1] in ("top", "largest", "highest", "biggest")) if top else None,
        "corr": re.search(r"correlat|\bcorr\b", low) is not None,
        "describe": re.search(r"describe|summar|statistic|\bstats\b|overview", low) is not None,
        "count": re.search(r"\bcount\b|how many", low) is not None,
        "unique": re.search(r"\bunique\b|\bdistinct\b", low) is not None,
        "plot": plot,
    }


def _mentions(low: str, columns: Sequence[Any]) -> list[tuple[int, Any]]:
    """Columns named in the prompt with their positions (plural and spaced forms count)."""
    found = []
    for col in columns:
        name = str(col).lower()
        variants = {name, name.replace("_", " "), name + "s", name.replace("_", " ") + "s"}
        positions = [m.start() for v in variants for m in re.finditer(rf"(?<![\w]){re.escape(v)}(?![\w])", low)]
        if positions:
            found.append((min(positions), col))
    return sorted(found, key=lambda pc: pc[0])


def plan_frame(low: str, columns: Sequence[Any], numeric: Sequence[Any], var: str) -> StatPlan:
    wants = _wants(low)
    mentioned = [(p, c) for p, c in _mentions(low, columns) if str(c).lower() != var.lower()]
    group = None
    for pos, col in mentioned:
        before = low[max(0, pos - 24) : pos]
        if re.search(
            r"(?:group(?:ed)?\s+by|\bper|for each|\bby|across|\beach)\s+(?:the\s+)?"
            r"(?:column\s+)?[`'\"]?$",
            before,
        ) and (col not in numeric or "group" in low):
            group = col
            break
    values = tuple(c for _, c in mentioned if c in numeric and c != group)
    if not values and wants["ops"]:
        # A named column that is not numeric: try it anyway (a failure gets repaired by
        # converting); with no column named, every numeric column.
        values = tuple(c for _, c in mentioned if c != group) or tuple(numeric)
    if not values and numeric and (group is not None or wants["topk"] or wants["plot"]):
        values = (numeric[0],)
    unique = None
    if wants["unique"]:
        unique = next((c for _, c in mentioned), columns[0] if columns else True)  # True: a plain sequence
    ops = wants["ops"]
    if wants["topk"] and not wants["describe"]:
        ops = tuple(o for o in ops if o not in ("min", "max", "sum"))
    plain = not (
        ops
        or wants["topk"]
        or wants["corr"]
        or wants["count"]
        or unique is not None
        or wants["plot"]
        or group is not None
    )
    return StatPlan(
        ops=ops,
        values=values,
        group=group,
        topk=wants["topk"],
        corr=wants["corr"],
        describe=wants["describe"] or plain,
        count=wants["count"],
        unique=unique,
        plot=wants["plot"],
    )


def _key(col: Any) -> str:
    """A column name as it may appear inside an f-string's literal part."""
    return str(col).replace("\\", "\\\\").replace("{", "{{").replace("}", "}}").replace('"', '\\"').replace("\n", " ")


def _table(name: str, expr: str) -> tuple[str, ...]:
    return (f'print("BEGIN {name}")', f"print({expr})", f'print("END {name}")')


def frame_code(var: str, plan: StatPlan, *, coerce: bool) -> str:
    out: list[str] = ["import pandas as pd", ""] if coerce else []
    if plan.plot:
        out += ["import matplotlib.pyplot as plt", ""]

    def column(col: Any) -> str:
        return f'pd.to_numeric({var}[{col!r}], errors="coerce")' if coerce else f"{var}[{col!r}]"

    if plan.count and plan.group is None:
        out += [f"rows = len({var})", 'print(f"RESULT rows={rows}")']
    for col in plan.values if plan.group is None else ():
        if plan.ops:
            out.append(f"col = {column(col)}")
        for op in plan.ops:
            out += [f"value = round(col.{op}(), 4)", f'print(f"RESULT {op}[{_key(col)}]={{value}}")']
    if plan.group is not None:
        agg = next((o for o in plan.ops if o in ("mean", "median", "sum", "min", "max", "std")), None)
        if agg is None and plan.count:
            out.append(f"table = {var}[{plan.group!r}].value_counts()")
        else:
            agg = agg or "mean"
            source = (
                f"{var}.assign(**{{{str(plan.values[0])!r}: {column(plan.values[0])}}})"
                if coerce and plan.values
                else var
            )
            target = f"[{plan.values[0]!r}]" if plan.values else ""
            out.append(
                f"table = {source}.groupby({plan.group!r}){target}.{agg}().round(4).sort_values(ascending=False)"
            )
        out += [
            *_table("table", "table.to_string()"),
            'print(f"RESULT groups={len(table)}")',
            "top_group, top_value = table.index[0], table.iloc[0]",
            'print(f"RESULT top_group={top_group}")',
            'print(f"RESULT top_value={top_value}")',
        ]
    if plan.topk and plan.values:
        k, largest = plan.topk
        col = plan.values[0]
        out += [
            f"top = {var}.{'nlargest' if largest else 'nsmallest'}({k}, {col!r})",
            *_table("top", "top.to_string()"),
            f"best = top[{col!r}].iloc[0]",
            'print(f"RESULT best={best}")',
            'print(f"RESULT top_rows={len(top)}")',
        ]
    if plan.corr:
        if len(plan.values) >= 2:
            a, b = plan.values[:2]
            out += [f"r = {column(a)}.corr({column(b)})", 'print(f"RESULT corr={round(r, 4)}")']
        else:
            out += [f"matrix = {var}.corr(numeric_only=True).round(3)", *_table("corr", "matrix.to_string()")]
    if plan.unique is not None:
        out += [
            f"distinct = {var}[{plan.unique!r}].nunique()",
            'print(f"RESULT unique={distinct}")',
            *_table("counts", f"{var}[{plan.unique!r}].value_counts().head(10).to_string()"),
        ]
    if plan.describe:
        out += [f"summary = {var}.describe()", *_table("describe", "summary.round(3).to_string()")]
    if plan.plot:
        out += _frame_plot(var, plan)
    return lines(*out)


def _frame_plot(var: str, plan: StatPlan) -> list[str]:
    out = ["fig, ax = plt.subplots(figsize=(7, 4))"]
    cols = list(plan.values)
    if plan.group is not None:
        out += ["table.plot.bar(ax=ax)", f"ax.set_title({'By ' + str(plan.group)!r})"]
    elif plan.plot == "scatter" and len(cols) >= 2:
        out += [f"{var}.plot.scatter(x={cols[0]!r}, y={cols[1]!r}, ax=ax)"]
    elif plan.plot == "hist" and cols:
        out += [f"{var}[{cols[0]!r}].plot.hist(bins=20, ax=ax)", f"ax.set_title({'Distribution of ' + str(cols[0])!r})"]
    else:
        out += [f"{var}[{cols!r}].plot(ax=ax)" if cols else f"{var}.plot(ax=ax)"]
    return [*out, "plt.show()", f'print(f"RESULT plotted={{len({var})}}")']


def sequence_code(source: str, plan: StatPlan, *, coerce: bool) -> str:
    out = ["import statistics", ""]
    if plan.plot:
        out += ["import matplotlib.pyplot as plt", ""]
    if coerce:
        out += [
            "values = []",
            f"for v in {source}:",
            "    try:",
            "        values.append(float(v))",
            "    except (TypeError, ValueError):",
            "        pass",
            f'print(f"RESULT skipped={{len({source}) - len(values)}}")',
        ]
    else:
        out += [f"values = {source}"]
    out.append('print(f"RESULT n={len(values)}")')
    names = {
        "mean": "statistics.mean",
        "median": "statistics.median",
        "std": "statistics.stdev",
        "var": "statistics.variance",
        "min": "min",
        "max": "max",
        "sum": "sum",
    }
    ops = list(plan.ops)
    asked = plan.ops or plan.topk or plan.unique is not None or plan.plot or plan.count
    if plan.describe or not asked:  # e.g. a correlation of one list: summarize it instead
        ops = [o for o in ("mean", "median", "std", "min", "max") if o not in ops] + ops
    for op in ops:
        out += [f"value = {names[op]}(values)", f'print(f"RESULT {op}={{round(value, 4)}}")']
    if plan.topk:
        k, largest = plan.topk
        out += [f"top = sorted(values, reverse={largest})[:{k}]", 'print(f"RESULT top={top}")']
    if plan.unique is not None:
        out += ['print(f"RESULT unique={len(set(values))}")']
    if plan.plot:
        draw = "plt.hist(values, bins=20)" if plan.plot == "hist" else "plt.plot(values)"
        out += ["plt.figure(figsize=(7, 4))", draw, "plt.show()", 'print(f"RESULT plotted={len(values)}")']
    return lines(*out)


_COERCE_NOTE = "Some values are not numeric, so I convert with pd.to_numeric first. "


_PLACEHOLDER = "__k2nb_data__"


def _spare(var: str, code: str) -> str:
    """Put the user's variable into ``code``, renaming a temporary that would overwrite it."""
    if var in _assigned_names(code):  # e.g. their DataFrame is called `table`
        # Not right after "RESULT "/"BEGIN "/"END ": those are output keys the engine reads back.
        code = re.sub(rf"(?<!RESULT )(?<!BEGIN )(?<!END )\b{re.escape(var)}\b", f"{var}_", code)
    return code.replace(_PLACEHOLDER, var)


class StatsSkill(Skill):
    """Inspect the variable, then compute what was asked from what the inspection showed."""

    def __init__(
        self,
        task: Task,
        var: str | None,
        inline: list[int | float] | None = None,
    ) -> None:
        self.task = task
        self.kernel_var = var
        self.inline = inline

    def inspect_code(self) -> str:
        v = self.kernel_var
        return lines(
            f'print(f"RESULT type={{type({v}).__name__}}")',
            f'if hasattr({v}, "columns"):',
            f'    print(f"RESULT shape={{{v}.shape}}")',
            f'    print(f"RESULT columns={{list({v}.columns)!r}}")',
            f"    print(f\"RESULT numeric={{list({v}.select_dtypes('number').columns)!r}}\")",
            f"    print({v}.dtypes.to_string())",
            f"    print({v}.head().to_string())",
            f'elif hasattr({v}, "__len__"):',
            f'    print(f"RESULT len={{len({v})}}")',
            f'    print(f"RESULT sample={{list({v})[:5]!r}}")',
        )

    def next(self, done: Sequence[Observation]) -> Action:
        if self.inline is not None:
            return self._inline_step(done)
        var = self.kernel_var
        assert var is not None
        if not done:
            return CodeStep(
                f"The user wants statistics on `{var}`, a variable in their kernel. I shouldn't "
                "assume its structure: first I'll check what it is — its type, its shape or "
                "length, and for a DataFrame the columns and dtypes and a few rows — and then "
                "decide which columns the question refers to.",
                self.inspect_code(),
            )
        if len(done) == 1:
            return self.compute(done[0], coerce=False)
        return self.summarize(done[0], done[-1])

    def _inline_step(self, done: Sequence[Observation]) -> Action:
        plan = plan_frame(self.task.low, [], [], "")
        if not done:
            return CodeStep(
                f"The numbers are given in the prompt: {self.inline}. I'll put them "
                "in a list and use the statistics module.",
                sequence_code(repr(self.inline), plan, coerce=False),
            )
        return self.summarize(None, done[-1])

    def _plan(self, inspected: Observation) -> tuple[StatPlan, bool]:
        kind = need(inspected, "type")
        if "columns" in inspected.results:
            columns = literal(inspected.results["columns"])
            numeric = literal(inspected.results.get("numeric", "[]"))
            if not isinstance(columns, list) or not isinstance(numeric, list):
                raise Unreadable("columns")
            return plan_frame(self.task.low, columns, numeric, self.kernel_var or ""), True
        if "len" not in inspected.results:
            raise Unreadable(f"len (it is a {kind})")
        return plan_frame(self.task.low, [], [], ""), False

    def compute(self, inspected: Observation, *, coerce: bool) -> CodeStep:
        var = self.kernel_var or ""
        kind = need(inspected, "type")
        plan, is_frame = self._plan(inspected)
        if is_frame:
            shape = need(inspected, "shape")
            cols = ", ".join(f"`{c}`" for c in literal(inspected.results["columns"]))
            focus = ", ".join(f"`{c}`" for c in plan.values) or "all numeric columns"
            group = f", grouped by `{plan.group}`" if plan.group is not None else ""
            thought = (
                f"`{var}` is a {kind} with shape {shape} and columns {cols}. The question "
                f"is about {focus}{group}. "
                f"{_COERCE_NOTE if coerce else ''}"
                "I'll compute it with pandas and print each figure on a RESULT line "
                "(tables between BEGIN/END markers)."
            )
            return CodeStep(thought, _spare(var, frame_code(_PLACEHOLDER, plan, coerce=coerce)))
        length = need(inspected, "len")
        source = f"list({_PLACEHOLDER}.values())" if kind == "dict" else f"list({_PLACEHOLDER})"
        thought = (
            f"`{var}` is a {kind} with {length} items (first ones: "
            f"{inspected.results.get('sample', '?')}). The statistics module handles plain "
            "sequences; I'll compute what was asked"
            f"{', skipping values that are not numbers' if coerce else ''}."
        )
        return CodeStep(thought, _spare(var, sequence_code(source, plan, coerce=coerce)))

    def repair(self, failed: Observation, done: Sequence[Observation]) -> CodeStep | None:
        assert failed.error is not None
        if self.inline is None and len(done) == 1 and failed.error.kind in ("TypeError", "ValueError"):
            step = self.compute(done[0], coerce=True)
            return CodeStep(
                f"The computation failed with `{failed.error.line}`: some values are "
                "not numbers (probably strings). I'll convert them to numbers and "
                "drop what cannot be converted, then retry. " + step.thought,
                step.code,
            )
        return None

    def summarize(self, inspected: Observation | None, result: Observation) -> Answer:
        plan = self._plan(inspected)[0] if inspected is not None else plan_frame(self.task.low, [], [], "")
        r, tables = result.results, result.tables
        parts: list[str] = []
        if inspected is not None:
            size = f"shape {r0}" if (r0 := inspected.results.get("shape")) else f"{inspected.results.get('len')} items"
            parts.append(f"`{self.kernel_var}` is a `{need(inspected, 'type')}` with {size}.")
        if "skipped" in r:
            parts.append(f"{r['skipped']} values were not numeric and were skipped.")
        if "rows" in r:
            parts.append(f"- **rows:** {r['rows']}")
        if "n" in r and plan.count:
            parts.append(f"- **items:** {r['n']}")
        for key, value in r.items():
            op, _, col = key.partition("[")
            if op in _OP_LABELS:
                where = f" of `{col[:-1]}`" if col else ""
                parts.append(f"- **{_OP_LABELS[op]}{where}:** {value}")
        if "table" in tables and plan.group is not None:
            what = (
                f"{_agg_label(plan)} `{plan.values[0]}`"
                if plan.values and not (plan.count and not plan.ops)
                else "rows"
            )
            parts.append(
                f"{what[0].upper()}{what[1:]} by `{plan.group}` ({need(result, 'groups')} "
                f"groups) — highest: **{need(result, 'top_group')}** "
                f"({need(result, 'top_value')}).\n```text\n{tables['table']}\n```"
            )
        if "top" in tables and plan.topk and plan.values:
            largest = plan.topk[1]
            parts.append(
                f"The {need(result, 'top_rows')} rows with the "
                f"{'largest' if largest else 'smallest'} `{plan.values[0]}` "
                f"(first: **{need(result, 'best')}**):\n```text\n{tables['top']}\n```"
            )
        if "top" in r:
            parts.append(
                f"- **{'largest' if not plan.topk or plan.topk[1] else 'smallest'} values:** {_listed(r['top'])}"
            )
        if "corr" in r and len(plan.values) >= 2:
            parts.append(
                f"The correlation between `{plan.values[0]}` and `{plan.values[1]}` is **{r['corr']}** (Pearson)."
            )
        if "corr" in tables:
            parts.append(f"Correlation matrix (Pearson):\n```text\n{tables['corr']}\n```")
        if "unique" in r:
            name = (
                f"`{plan.unique}` has"
                if plan.unique is not None and inspected is not None and "columns" in inspected.results
                else "There are"
            )
            parts.append(f"{name} **{r['unique']}** distinct values.")
            if "counts" in tables:
                parts.append(f"```text\n{tables['counts']}\n```")
        if "describe" in tables:
            parts.append(f"Summary statistics:\n```text\n{tables['describe']}\n```")
        if "plotted" in r:
            parts.append(f"The chart ({r['plotted']} points) is shown above.")
        if len(parts) <= (1 if inspected is not None else 0):
            raise Unreadable("a statistic")
        printed = "; ".join(f"{k}={v}" for k, v in r.items())
        return Answer(
            f"The computation printed: {printed}"
            f"{' and tables ' + ', '.join(tables) if tables else ''}. I'll report the "
            "values exactly as printed.",
            "\n".join(parts),
        )


_OP_LABELS = {
    "mean": "mean",
    "median": "median",
    "std": "standard deviation",
    "var": "variance",
    "min": "minimum",
    "max": "maximum",
    "sum": "sum",
}


def _agg_label(plan: StatPlan) -> str:
    agg = next((o for o in plan.ops if o in ("mean", "median", "sum", "min", "max", "std")), "mean")
    return _OP_LABELS[agg]


# ---------------------------------------------------------------------------------------------
# Routing and policy
# ---------------------------------------------------------------------------------------------

_BUILDERS: tuple[Callable[[Task], Skill | None], ...] = (
    monte_carlo_skill,
    plot_function_skill,
    gcd_skill,
    digit_sum_skill,
    text_skill,
    stats_skill,
    prime_skill,
    fibonacci_skill,
    factorial_skill,
    range_sum_skill,
    arithmetic_skill,
)


def route(task: Task) -> Skill | None:
    for build in _BUILDERS:
        skill = build(task)
        if skill is not None:
            return skill
    return None


def _assigned_names(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    return list(dict.fromkeys(names))


def _typo(name: str) -> str:
    if name.endswith("es"):
        return name[:-2] + "s"
    return name[:-1] if name.endswith("s") and len(name) > 2 else name + "s"


def inject_bug(step: CodeStep, task: Task) -> CodeStep | None:
    """The self-correction demo: the same code with one realistic mistake in a RESULT line."""
    assigned = set(_assigned_names(step.code))
    out = step.code.splitlines()
    found = _concat_bug(out, assigned) if task.wants_type_error else None
    found = found or _typo_bug(out, assigned)
    if found is None:
        return None
    index, line, why = found
    out[index] = line
    return CodeStep(
        step.thought + "\n\nYou asked me to demonstrate a mistake and its fix, so this "
        f"first version contains a deliberate bug ({why}). I'll read the traceback "
        "and correct it.",
        lines(*out),
    )


def _concat_bug(out: list[str], assigned: set[str]) -> tuple[int, str, str] | None:
    for i, line in enumerate(out):
        simple = re.search(r"print\(f\"(RESULT [^\"{]*)\{([A-Za-z_]\w*)\}\"\)", line)
        if simple and simple[2] in assigned:
            return (
                i,
                line.replace(simple[0], f'print("{simple[1]}" + {simple[2]})'),
                (
                    "concatenating the label and the value with + instead of formatting, which "
                    "Python refuses for a str and a number"
                ),
            )
    return None


def _typo_bug(out: list[str], assigned: set[str]) -> tuple[int, str, str] | None:
    for i, line in enumerate(out):
        if "RESULT" not in line:
            continue
        for inner in re.findall(r"\{([^{}]*)\}", line):
            for name in re.findall(r"\b[A-Za-z_]\w*\b", inner):
                wrong = _typo(name)
                if name in assigned and len(name) >= 3 and wrong not in assigned and not keyword.iskeyword(wrong):
                    fixed = "{" + re.sub(rf"\b{name}\b", wrong, inner, count=1) + "}"
                    return (
                        i,
                        line.replace("{" + inner + "}", fixed, 1),
                        (f"writing `{wrong}` where the variable is called `{name}`"),
                    )
    return None


def fix_name_error(failed: Observation, skill: Skill) -> CodeStep | None:
    err = failed.error
    assert err is not None
    m = re.search(r"name '(\w+)' is not defined", err.message)
    if err.kind != "NameError" or not m or m[1] == skill.kernel_var:
        return None
    wrong = m[1]
    close = difflib.get_close_matches(wrong, _assigned_names(failed.code), n=1, cutoff=0.6)
    if not close:
        return None
    fixed = re.sub(rf"\b{re.escape(wrong)}\b", close[0], failed.code)
    return CodeStep(
        f"The traceback ends with `{err.line}`. Looking at my code, the variable I "
        f"assigned is `{close[0]}`, but I referred to it as `{wrong}` — a typo. "
        f"Renaming `{wrong}` to `{close[0]}` fixes it; everything else was fine, so "
        "I'll rerun the corrected code.",
        fixed,
    )


def fix_concatenation(failed: Observation) -> CodeStep | None:
    err = failed.error
    assert err is not None
    if err.kind != "TypeError" or "concatenate" not in err.message:
        return None
    pattern = re.compile(r"print\(\"(RESULT [^\"]*)\" \+ ([A-Za-z_]\w*)\)")
    if not pattern.search(failed.code):
        return None
    fixed = pattern.sub(lambda m: f'print(f"{m[1]}{{{m[2]}}}")', failed.code)
    return CodeStep(
        f"The traceback says `{err.line}`: I joined a string and a number with `+`. "
        "An f-string formats the number instead; I'll switch to that and rerun.",
        fixed,
    )


def list_variables_step(name: str, err: ErrorInfo) -> CodeStep:
    code = lines(
        "candidates = {",
        "    name: type(value).__name__",
        "    for name, value in globals().items()",
        '    if not name.startswith("_") and name not in ("In", "Out")',
        '    and (hasattr(value, "shape") or isinstance(value, (list, tuple, dict, set)))',
        "}",
        f'print(f"RESULT missing={name!r}")',
        'print(f"RESULT kernel_variables={sorted(candidates.items())[:30]}")',
    )
    return CodeStep(
        f"`{err.line}`: there is no `{name}` in the kernel. Before answering I'll look "
        "for data-like variables that do exist, so I can suggest the right name.",
        code,
    )


def missing_variable_answer(obs: Observation) -> Answer:
    name = literal(need(obs, "missing"))
    found = literal(need(obs, "kernel_variables"))
    if isinstance(found, list) and found:
        listing = ", ".join(f"`{n}` ({t})" for n, t in found)
        hint = f"Data-like variables in the kernel: {listing}. Did you mean one of those?"
    else:
        hint = "I found no DataFrames or lists in the kernel; create or load the data first."
    return Answer(
        f"The listing printed {found}. `{name}` does not exist; I'll say so and offer the alternatives.",
        f"There is no variable named `{name}` in your kernel (`NameError`).\n\n{hint}",
    )


def explain_error(failed: Observation, gave_up: bool) -> Answer:
    err = failed.error
    assert err is not None
    advice = {
        "ModuleNotFoundError": "The package is not installed in this kernel; install it with "
        "`%pip install <package>` and ask again.",
        "KeyError": "A column or key I used does not exist; check the names and ask again with the exact column name.",
        "ZeroDivisionError": "The inputs lead to a division by zero, so there is no value to report.",
        "MemoryError": "The computation needs more memory than the kernel has; try a smaller range.",
        "KeyboardInterrupt": "The code was interrupted (it ran too long or was stopped); try a smaller "
        "input or a longer timeout.",
    }.get(err.kind, "Rephrase the request or adjust the inputs and ask again.")
    tried = (
        "My corrected attempt failed too, so I'm stopping here rather than guessing."
        if gave_up
        else "I don't see a safe automatic fix for this one."
    )
    return Answer(
        f"The code failed with `{err.line}`. {tried}", f"I couldn't finish: the code raised `{err.line}`.\n\n{advice}"
    )


def decline_answer(failed: Observation) -> Answer:
    return Answer(
        "The code_interpreter call was declined, so nothing ran and I have no result. "
        "I must not make up numbers; I'll explain how to let it run.",
        "I didn't run anything — the `code_interpreter` call was **declined**, so I have "
        "no result to report, and I won't guess one.\n\nTo let me compute it, ask again and "
        "choose **run** (or **always**) when k2nb asks, or run the cell with `%%k2 --approve auto`. "
        "This is the code I wanted to run:\n\n```python\n" + failed.code + "\n```",
    )


def unreadable_answer(obs: Observation, key: str) -> Answer:
    return Answer(
        f"The code ran but I can't find `{key}` in its output; I won't invent a value.",
        f"The code ran, but its output did not contain the value I needed (`{key}`), "
        "so I can't give a reliable answer. This is what it printed:\n\n```text\n"
        + _shown(obs.output.strip(), 1500)
        + "\n```",
    )


def fallback_answer(task: Task) -> Answer:
    return Answer(
        "This request doesn't match anything the toy engine can do with code (it routes by "
        "keywords: numbers, statistics on a kernel variable, plots, quoted text, Monte Carlo). "
        "Better to say so plainly and show what works than to call a tool pointlessly.",
        "I'm the k2nb **toy engine**, a small offline stand-in for Kimi K2 Thinking, and I "
        "couldn't match that request to one of my skills.\n\n"
        + _EXAMPLES
        + "\n\nConnect a real K2 endpoint for open-ended questions.",
    )


_EXAMPLES = """Things I can do (each runs real Python in your kernel):
- *How many numbers from 1 to 1000 have a prime digit sum?*
- *How many primes are there below 10000?* · *Factorize 360* · *gcd of 84 and 126*
- *What is the 100th Fibonacci number?* · *What is 2**200 - 1?* · *sum of squares from 1 to 100*
- *Mean price by region in `sales`* · *describe the DataFrame df* · *top 5 rows of df by price*
- *Plot sin(x) and cos(x) from 0 to 10*
- *Count the words in "the quick brown fox"* · *Is "racecar" a palindrome?*
- *Estimate pi with Monte Carlo, 100000 points, seed 7*
- Add *"make a mistake and self-correct"* to see a bug fixed from its traceback."""


_GREETING = re.compile(
    r"\s*(?:hi|hello|hey|hallo|good (?:morning|afternoon|evening)|yo|"
    r"greetings|help|what can you do)\b[\s!?.,\w]{0,20}"
)


def decide(task: Task | None, observations: list[Observation], *, tools_ok: bool) -> Action:
    """The next action for this conversation: the whole policy of the engine."""
    if task is None or not task.text or _GREETING.fullmatch(task.low):
        return Answer(
            "A greeting, no task yet: introduce myself and show what I can do.",
            "Hi! I'm the k2nb toy engine, an offline stand-in for Kimi K2 Thinking. " + _EXAMPLES,
        )
    skill = route(task)
    if skill is None and task.self_correct:
        skill = range_sum_skill(Task("sum of the squares from 1 to 100"))
    if skill is None:
        return fallback_answer(task)
    if not tools_ok:
        return Answer(
            "I would need to run code for this, but no code_interpreter tool is available in this request.",
            "I need the `code_interpreter` tool to answer this, and it isn't enabled for this request.",
        )
    if observations:
        last = observations[-1]
        if last.declined:
            return decline_answer(last)
        if last.error is not None:
            return _recover(skill, observations)
    done = [o for o in observations if o.error is None and not o.declined]
    if done and "kernel_variables" in done[-1].results:
        try:
            return missing_variable_answer(done[-1])
        except Unreadable as exc:
            return unreadable_answer(done[-1], str(exc))
    try:
        action = skill.next(done)
    except Unreadable as exc:
        return unreadable_answer(done[-1], str(exc))
    errors = [o.error for o in observations if o.error is not None]
    if isinstance(action, CodeStep) and task.self_correct and not errors:
        action = inject_bug(action, task) or action
    if isinstance(action, Answer) and errors:
        note = (
            f"As you asked, my first attempt contained a deliberate bug: it failed with "
            f"`{errors[0].line}`, and I fixed it from the traceback and reran it."
            if task.self_correct
            else f"My first attempt failed with `{errors[0].line}`; I fixed the code and reran it."
        )
        action = Answer(action.thought, f"{action.text}\n\n*({note})*")
    return action


def _recover(skill: Skill, observations: list[Observation]) -> Action:
    failed = observations[-1]
    err = failed.error
    assert err is not None
    if len(observations) >= 2 and observations[-2].error is not None:
        return explain_error(failed, gave_up=True)
    if err.kind == "NameError" and skill.kernel_var and f"'{skill.kernel_var}'" in err.message:
        return list_variables_step(skill.kernel_var, err)
    done = [o for o in observations if o.error is None and not o.declined]
    step = fix_name_error(failed, skill) or fix_concatenation(failed) or skill.repair(failed, done)
    return step or explain_error(failed, gave_up=False)


def tools_available(request: dict[str, Any]) -> bool:
    if request.get("tool_choice") == "none":
        return False
    names = {(t.get("function") or {}).get("name") for t in request.get("tools") or [] if isinstance(t, dict)}
    return TOOL_NAME in names


def to_turn(action: Action) -> Turn:
    if isinstance(action, Answer):
        return Turn(reasoning=action.thought, content=action.text)
    arguments = json.dumps({"code": action.code}, ensure_ascii=False)
    return Turn(reasoning=action.thought, tool_calls=(ToolCallSpec(TOOL_NAME, arguments),))


class ToyEngine:
    """A responder: decides the next turn from the request's messages alone."""

    def __call__(self, request: dict[str, Any]) -> Turn:
        task, observations = read_conversation(request.get("messages") or [])
        return to_turn(decide(task, observations, tools_ok=tools_available(request)))


def toy_help() -> str:
    """What the toy engine can do, in Markdown."""
    return _HELP


_HELP = """\
## The k2nb toy engine

An offline stand-in for Kimi K2 Thinking (`k2nb serve --engine toy`). It behaves like K2 in
miniature: it thinks out loud, writes real Python, calls `code_interpreter` with
`{"code": "..."}`, reads what the code printed and answers with those values. It never computes
an answer itself: every number in its reply was printed by the code.

It routes by keywords, so phrasing is flexible; numbers, variable names and column names are
taken from your prompt.

- **Digit sums** (*digit sum*, *sum of digits* + a range or a value): *How many numbers from
  1 to 1000 have a prime digit sum?* · *numbers 1..500 whose digit sum is divisible by 7* ·
  *digit sum of 2**100*
- **Primes** (*prime(s)*, *factorize*, *prime factors*): *How many primes below 10000?* ·
  *list primes between 50 and 100* · *the 100th prime* · *is 97 prime?* · *prime factors of 360*
- **GCD / LCM**: *gcd and lcm of 84, 126 and 210*
- **Fibonacci**: *the 90th Fibonacci number* · *first 15 Fibonacci numbers* ·
  *Fibonacci numbers below 1000*
- **Factorials**: *100!* · *how many digits does 500! have* · *trailing zeros of 1000!*
- **Sums and products of ranges** (*sum* / *product* + a range or *first N*): *sum of squares
  from 1 to 100* · *sum of multiples of 3 or 5 below 1000* · *product of 1..20*
- **Arithmetic and big integers** (an expression): *What is 2**200 - 1?* · *compute 17 * 23 + 5*
  · *what is sqrt(2) * pi* · *what is 15% of 80*
- **Statistics on your data**: a kernel variable (*`df`*, *the sales DataFrame*, *in prices*,
  *of my_list*) plus *mean, median, std, min, max, sum, describe, group by / per, top N,
  correlation, count, unique*: *mean price by region in `sales`* · *describe df* ·
  *top 5 rows of df by revenue* · *correlation between price and qty in df* ·
  *median of my_list* · *average of 3, 5, 8 and 13*
- **Plots** (*plot*, *graph*, *draw* + a function of x, or a column): *plot sin(x) and cos(x)
  from 0 to 2pi* · *plot y = x^2 - 3x + 2 between -5 and 5* · *histogram of price in df*
- **Text** (quoted text + *words, characters, palindrome, reverse, frequency, vowels*):
  *count the words in "to be or not to be"* · *is "Never odd or even" a palindrome?* ·
  *letter frequency of 'mississippi'* · *reverse the words in "one two three"*
- **Simulation** (*Monte Carlo*, *estimate pi*): *estimate pi with Monte Carlo using 200000
  points and seed 7*

**Statistics** take two calls: the first inspects the variable (type, shape or length, columns
and dtypes), the second computes what you asked about the columns it found.

**Self-correction.** Add *make a mistake and self-correct* (or *TypeError*) to any task: the first
code has a real bug (a misspelt variable, or `str + int`), the engine reads the traceback from the
tool result, explains the fix in its reasoning and reruns. Whenever code fails unexpectedly it
reads the error and retries once with a fix (missing variable → lists what exists; non-numeric
column → converts; typo → renames) or explains what went wrong.

**Declined calls.** If you decline the code, it says that nothing ran and how to allow it.

**Output conventions.** The code prints its results as `RESULT key=value` lines (tables between
`BEGIN name` and `END name`); the engine reads the tool result text for those lines, for a
traceback's final `SomeError: message` line, and for the word *declined*.

Anything else gets a short explanation of these abilities instead of a tool call.
"""
