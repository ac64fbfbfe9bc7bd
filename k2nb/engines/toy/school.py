"""Everyday school arithmetic: rounding the way it is taught (halves up), and leap years."""

from __future__ import annotations

import re

from .core import Answer, Observation, OneShot, Skill, Task, lines, literal, need
from .parsing import find_span

_PLACES = re.compile(
    r"\bround(?:ed|ing)?\s+(-?\d+(?:\.\d+)?)\s+(?:off\s+)?to\s+(?:the\s+nearest\s+)?"
    r"(?:(\d+)\s+(?:decimal\s+places?|decimals?|dp|digits?\s+after\s+the\s+(?:decimal\s+)?point)|"
    r"(whole\s+number|integer|unit|one|ten|hundred|thousand|tenth|hundredth|thousandth))\b",
    re.I,
)
# the nearest …: its place as a power of ten (tenth = 10⁻¹ → 1 decimal place; ten = 10¹ → -1)
_NEAREST = {
    "whole number": 0,
    "integer": 0,
    "unit": 0,
    "one": 0,
    "ten": -1,
    "hundred": -2,
    "thousand": -3,
    "tenth": 1,
    "hundredth": 2,
    "thousandth": 3,
}


def rounding_skill(task: Task) -> Skill | None:
    m = _PLACES.search(task.text)
    if m is None:
        return None
    places = int(m[2]) if m[2] else _NEAREST[re.sub(r"\s+", " ", m[3].lower())]
    if places > 30:
        return None
    return _rounded(m[1], places)


def _rounded(number: str, places: int) -> Skill:
    where = (
        f"{places} decimal place{'' if places == 1 else 's'}"
        if places > 0
        else "the nearest whole number"
        if places == 0
        else f"the nearest {10**-places:,}"
    )
    code = lines(
        "import decimal",
        "",
        f"x = decimal.Decimal({number!r})  # from the text as typed: no binary float in between",
        f"step = decimal.Decimal(10) ** {-places}  # the place to round to",
        "rounded = (x / step).quantize(1, rounding=decimal.ROUND_HALF_UP) * step",
        "print(f\"RESULT rounded={format(rounded, 'f')}\")",
        f'print(f"RESULT python_round={{round(float(x), {places})}}")',
    )

    def answer(obs: Observation) -> Answer:
        rounded, builtin = need(obs, "rounded"), need(obs, "python_round")
        note = ""
        if literal(builtin) != literal(rounded):
            note = (
                f"\n\n(Python's built-in `round({number}, {places})` gives {builtin}: it rounds an exact half to the "
                "even neighbour and works on the binary float, which for many decimals is a hair off. The school "
                "rule — halves away from zero — is done here with `decimal` on the number as you typed it.)"
            )
        return Answer(
            f"The code printed rounded={rounded} and Python's round() gave {builtin}.",
            f"{number} rounded to {where} is **{rounded}**.{note}",
        )

    return OneShot(
        f"Round {number} to {where}, halves away from zero as taught in school. I'll use `decimal` on the number "
        "as written (a float can sit just below a half), and also print Python's `round()` for comparison.",
        code,
        answer,
    )


_LEAP = re.compile(r"\bleap[\s-]+years?\b", re.I)
_YEAR = re.compile(r"(?<![\w.])(\d{1,5})(?![\w.])")
_MOST_YEARS = 400


def leap_year_skill(task: Task) -> Skill | None:
    if _LEAP.search(task.text) is None:
        return None
    span = find_span(task.low)
    if span is not None and span.hi - span.lo < _MOST_YEARS and span.lo >= 1:
        return _leap_years(f"range({span.lo}, {span.hi + 1})", f"the years {span.lo} to {span.hi}")
    years = [int(y) for y in _YEAR.findall(task.text) if int(y) >= 1]
    if not years or len(years) > 20:
        return None
    return _leap_years(repr(years), ", ".join(map(str, years)), years)


def _leap_years(source: str, label: str, named: list[int] | None = None) -> Skill:
    """Leap years among ``source`` (the code's expression); ``named``: the years the prompt wrote, each
    answered yes or no (None: a span, whose leap years are listed)."""
    code = lines(
        "def is_leap(year: int) -> bool:",
        "    # every 4th year, except whole centuries, except every 4th century",
        "    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)",
        "",
        "",
        f"years = {source}",
        "leap = [y for y in years if is_leap(y)]",
        'print(f"RESULT leap={leap}")',
        'print(f"RESULT checked={len(years)}")',
    )

    def answer(obs: Observation) -> Answer:
        leap, checked = literal(need(obs, "leap")), int(need(obs, "checked"))
        if not isinstance(leap, list):
            leap = []
        rule = (
            "**The rule.** A year is a leap year when it divides by 4 — except a whole century (divides by 100), "
            "which is one only when it also divides by 400. So 2024 and 2000 are, 1900 and 2023 are not."
        )
        if named is None:
            found = ", ".join(map(str, leap)) or "none"
            return Answer(
                f"The code printed leap={leap} of {checked} years.",
                f"{rule}\n\nThe leap years among {label}: **{len(leap)}** — {found}.",
            )
        rows = "\n".join(f"| {y} | {'yes' if y in leap else 'no'} |" for y in named)
        if len(named) == 1:
            verdict = "is" if leap else "is not"
            return Answer(
                f"The code printed leap={leap}.",
                f"**{named[0]} {verdict} a leap year.**\n\n{rule}",
            )
        return Answer(f"The code printed leap={leap}.", f"{rule}\n\n| year | leap year? |\n|---|---|\n{rows}")

    return OneShot(
        f"Leap years among {label}: the Gregorian rule (by 4, not by 100 unless by 400), checked by code.",
        code,
        answer,
    )
