"""Reading prompts: numbers, ranges, quoted text, kernel variable names, arithmetic expressions."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from .core import literal

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


_QUOTES = (
    r"```(?:[a-z]*\n)?(.*?)```",
    r'"([^"\n]+)"',
    r"“([^”]+)”",
    r"‘([^’]+)’",
    r"(?<!\w)'([^'\n]+)'(?!\w)",
    r"`([^`\n]+)`",
)


def _quotes(text: str, *, backticks: bool) -> list[re.Match[str]]:
    """The quoted pieces' matches, in order; a piece inside an earlier-listed kind of quote is not another."""
    found: list[re.Match[str]] = []
    for pattern in _QUOTES if backticks else _QUOTES[:-1]:
        for m in re.finditer(pattern, text, re.S):
            if not any(q.start() <= m.start() < q.end() for q in found):
                found.append(m)
    return sorted(found, key=lambda m: m.start())


def quoted(text: str) -> list[str]:
    """Quoted pieces of the prompt, in order (```fences```, "double", “curly”, 'single')."""
    return [m[1] for m in _quotes(text, backticks=False)]


def outside_quotes(text: str, change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to every part outside quotes and backticks (those are the user's
    own strings and names, kept exactly as typed)."""
    out, at = [], 0
    for m in _quotes(text, backticks=True):
        if m.start() < at:
            continue
        out += [change(text[at : m.start()]), m[0]]
        at = m.end()
    return "".join([*out, change(text[at:])])


def text_subject(text: str) -> list[str]:
    pieces = quoted(text)
    if pieces:
        return pieces
    m = re.search(r":\s*(.+)$", text.strip(), re.S)
    return [m[1].strip()] if m and len(m[1].split()) >= 1 else []


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
    num = r"(-?\d+(?:\.\d+)?)"
    words = (
        (rf"\bmultiply\s+{num}\s+(?:by|and|with)\s+{num}", r"(\1 * \2)"),
        (rf"\bdivide\s+{num}\s+by\s+{num}", r"(\1 / \2)"),
        (rf"\badd\s+{num}\s+(?:and|to|plus)\s+{num}", r"(\1 + \2)"),
        (rf"\bsubtract\s+{num}\s+from\s+{num}", r"(\2 - \1)"),
        (rf"\braise\s+{num}\s+to the (?:power of\s+)?{num}(?:st|nd|rd|th)?(?: power)?", r"(\1 ** \2)"),
        # "2 to the power 10", "2 raised to the 10th power", "2 to the 10th": a power written in words
        (
            rf"{num}\s+(?:raised\s+to\s+(?:the\s+)?|to\s+the\s+)(?:power\s+(?:of\s+)?)?{num}(?:st|nd|rd|th)?(?:\s+power)?"
            r"(?!\.?\d)",
            r"\1 ** \2",
        ),
        (r"\bsum of\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)", r"(\1 + \2)"),
        (r"\bproduct of\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)", r"(\1 * \2)"),
        (r"\bto the power of\b", "**"),
        (r"\bplus\b", "+"),
        (r"\bminus\b", "-"),
        (r"\btimes\b", "*"),
        (r"\bmultiplied by\b", "*"),
        (r"\bdivided by\b", "/"),
        (r"\bmod(?:ulo)?\b", "%"),
        (r"\s*\bsquared\b", "**2"),
        (r"\s*\bcubed\b", "**3"),
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


def listed_text(printed: str) -> str:
    """A printed Python list as plain comma-separated text (unchanged if it is not a list)."""
    value = literal(printed)
    return ", ".join(map(str, value)) if isinstance(value, list) else printed


def shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else f"{text[:40]}…{text[-40:]} ({len(text)} characters)"
