"""Unit conversions and percentages, each with the formula it used and every intermediate value printed."""

from __future__ import annotations

import re

from ..core import Answer, Observation, Skill, Task, lines, need
from .common import Lesson, step_lines

# unit → (quantity, factor to the base unit); temperatures are converted by formula.
_UNITS: dict[str, tuple[str, float]] = {
    "km": ("length", 1000.0), "m": ("length", 1.0), "cm": ("length", 0.01), "mm": ("length", 0.001),
    "mi": ("length", 1609.344), "yd": ("length", 0.9144), "ft": ("length", 0.3048), "in": ("length", 0.0254),
    "kg": ("mass", 1.0), "g": ("mass", 0.001), "mg": ("mass", 1e-6), "t": ("mass", 1000.0),
    "lb": ("mass", 0.45359237), "oz": ("mass", 0.028349523125), "st": ("mass", 6.35029318),
    "l": ("volume", 1.0), "ml": ("volume", 0.001), "gal": ("volume", 3.785411784), "cup": ("volume", 0.2365882365),
    "floz": ("volume", 0.0295735295625), "pt": ("volume", 0.473176473),
    "s": ("time", 1.0), "min": ("time", 60.0), "h": ("time", 3600.0), "day": ("time", 86400.0),
    "week": ("time", 604800.0),
    "m/s": ("speed", 1.0), "km/h": ("speed", 1 / 3.6), "mph": ("speed", 0.44704), "knot": ("speed", 1852 / 3600),
    "C": ("temperature", 1.0), "F": ("temperature", 1.0), "K": ("temperature", 1.0),
}  # fmt: skip
_NAMES = {
    "km": r"km|kilomet(?:er|re)s?", "m": r"m|met(?:er|re)s?", "cm": r"cm|centimet(?:er|re)s?",
    "mm": r"mm|millimet(?:er|re)s?", "mi": r"mi|miles?", "yd": r"yd|yards?", "ft": r"ft|feet|foot",
    "in": r"in|inch(?:es)?", "kg": r"kg|kilo(?:gram)?s?", "g": r"g|grams?", "mg": r"mg|milligrams?",
    "t": r"t|tonnes?|metric\s+tons?", "lb": r"lbs?|pounds?", "oz": r"oz|ounces?", "st": r"st|stones?",
    "l": r"l|lit(?:er|re)s?", "ml": r"ml|millilit(?:er|re)s?", "gal": r"gal|gallons?", "cup": r"cups?",
    "floz": r"fl\.?\s*oz|fluid\s+ounces?", "pt": r"pt|pints?",
    "s": r"s|secs?|seconds?", "min": r"mins?|minutes?", "h": r"h|hrs?|hours?", "day": r"days?", "week": r"weeks?",
    "m/s": r"m/s|met(?:er|re)s\s+per\s+second", "km/h": r"km/h|kph|kilomet(?:er|re)s\s+per\s+hour",
    "mph": r"mph|miles\s+per\s+hour", "knot": r"knots?",
    "C": r"°?\s*c|celsius|centigrade|degrees?\s+c(?:elsius)?", "F": r"°?\s*f|fahrenheit|degrees?\s+f(?:ahrenheit)?",
    "K": r"k|kelvin",
}  # fmt: skip
_SHOWN = {
    "mi": "miles", "yd": "yards", "ft": "feet", "in": "inches", "lb": "pounds", "oz": "ounces", "st": "stone",
    "t": "tonnes", "l": "litres", "gal": "US gallons", "cup": "US cups", "floz": "US fluid ounces",
    "pt": "US pints", "s": "seconds", "min": "minutes", "h": "hours", "day": "days", "week": "weeks",
    "knot": "knots", "C": "°C", "F": "°F", "K": "K",
}  # fmt: skip
_UNIT = "|".join(f"(?:{p})" for p in sorted(_NAMES.values(), key=len, reverse=True))
_NUMBER = r"-?\d+(?:,\d{3})*(?:\.\d+)?"


def _lines(*parts: str | None) -> str:
    return lines(*(p for p in parts if p is not None))


def _unit(word: str) -> str | None:
    word = word.strip().rstrip(".")
    for unit, pattern in _NAMES.items():
        if re.fullmatch(pattern, word, re.I):
            return unit
    return None


def units_skill(task: Task) -> Skill | None:
    """A conversion (*5 miles in km*) or a percentage question (*what percent of 80 is 20*)."""
    return _conversion(task.text) or _percentage(task.low)


def _conversion(text: str) -> Skill | None:
    m = re.search(
        rf"({_NUMBER})\s*({_UNIT})\s+(?:to|in|into|as|in\s+terms\s+of)\s+({_UNIT})\b", text, re.I
    ) or re.search(
        rf"how\s+many\s+({_UNIT})\s+(?:(?:are|is|make|makes)\s+(?:there\s+)?(?:in\s+|up\s+)?|(?:there\s+)?in\s+)"
        rf"({_NUMBER})\s*({_UNIT})\b",
        text,
        re.I,
    )
    if m is None:
        return None
    if m.re.pattern.startswith("how"):
        target, value, source = m[1], m[2], m[3]
    else:
        value, source, target = m[1], m[2], m[3]
    a, b = _unit(source), _unit(target)
    if a is None or b is None or a == b:
        return None
    if _UNITS[a][0] != _UNITS[b][0]:
        return None  # miles to kg: not a conversion
    if not re.search(r"convert|\bin\b|\bto\b|how\s+many|what\s+is|equals?|\bas\b", text, re.I):
        return None
    return ConversionLesson(float(value.replace(",", "")), a, b)


class ConversionLesson(Lesson):
    def __init__(self, value: float, source: str, target: str) -> None:
        self.value, self.source, self.target = value, source, target
        kind = _UNITS[source][0]
        shown = f"{value:g}"
        self.names = _SHOWN.get(source, source), _SHOWN.get(target, target)
        if kind == "temperature":
            to_c = {"C": "c = value", "F": "c = (value - 32) * 5 / 9", "K": "c = value - 273.15"}[source]
            from_c = {"C": "result = c", "F": "result = c * 9 / 5 + 32", "K": "result = c + 273.15"}[target]
            code = _lines(
                f"value = {value!r}",
                f"{to_c}  # to Celsius",
                f'print(f"step 1: {shown} {self.names[0]} in Celsius: {{c:.6g}} °C")' if source != "C" else None,
                f"{from_c}  # from Celsius",
                f'print(f"step 2: {{c:.6g}} °C in {self.names[1]}: {{result:.6g}} {self.names[1]}")'
                if target != "C"
                else None,
                'print(f"RESULT result={result:.6g}")',
            )
            to_rule = {"F": "°C = (°F − 32) × 5/9", "K": "°C = K − 273.15", "C": ""}[source]
            from_rule = {"F": "°F = °C × 9/5 + 32", "K": "K = °C + 273.15", "C": ""}[target]
            self.idea = (
                "Temperatures convert through Celsius: " + ", then ".join(r for r in (to_rule, from_rule) if r) + "."
            )
        else:
            base = {"length": "m", "mass": "kg", "volume": "l", "time": "s", "speed": "m/s"}[kind]
            code = lines(
                f"value = {value!r}",
                f"to_base = {_UNITS[source][1]!r}  # 1 {source} in {base}",
                f"from_base = {_UNITS[target][1]!r}  # 1 {target} in {base}",
                "in_base = value * to_base",
                f'print(f"step 1: {shown} {self.names[0]} × {{to_base:.10g}} = {{in_base:.6g}} {base}")',
                "result = in_base / from_base",
                f'print(f"step 2: {{in_base:.6g}} {base} ÷ {{from_base:.10g}} = {{result:.6g}} {self.names[1]}")',
                'print(f"RESULT result={result:.6g}")',
            )
            self.idea = (
                f"Convert through a base unit ({base}): multiply by how many {base} one {_one(source)} is, then "
                f"divide by how many {base} one {_one(target)} is."
            )
        super().__init__(
            "show_conversion",
            f"A unit conversion: {shown} {self.names[0]} in {self.names[1]}. {self.idea} I'll let Python do the "
            "arithmetic and print each step.",
            code,
        )

    def explain(self, obs: Observation) -> Answer:
        steps = [m[1] for m in step_lines(obs, r"step \d+: (.*)")]
        result = need(obs, "result")
        listing = "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
        return Answer(
            f"The code printed result={result}.",
            f"You asked for {self.value:g} {self.names[0]} in {self.names[1]}.\n\n**The idea.** {self.idea}\n\n"
            f"{listing}\n\n**Result:** {self.value:g} {self.names[0]} = **{result} {self.names[1]}**.",
        )


def _one(unit: str) -> str:
    name = _SHOWN.get(unit, unit)
    return {"feet": "foot", "inches": "inch", "stone": "stone"}.get(
        name, name.removesuffix("s") if name.endswith("s") and len(name) > 3 else name
    )


_PERCENT = r"(?:%|percent(?:age)?|per\s*cent)"
_UP = r"(?:increase[sd]?|rise|rose|risen|grow|grew|grown|go(?:es)?\s+up|went\s+up|gone\s+up|jump(?:ed)?)"
_DOWN = r"(?:decrease[sd]?|fall|fell|fallen|drop(?:ped)?|shrink|shrank|go(?:es)?\s+down|went\s+down|decline[sd]?)"


def _percentage(low: str) -> Skill | None:
    n = _NUMBER
    # (kind, pattern, written the other way round: the second number is the first operand)
    forms = (
        ("of", rf"({n})\s*(?:%|percent|per\s*cent)\s+of\s+({n})", False),
        ("ratio", rf"what\s+{_PERCENT}\s+of\s+({n})\s+is\s+({n})", True),
        ("ratio", rf"what\s+{_PERCENT}\s+(?:is|are)\s+({n})\s+(?:of|out\s+of)\s+({n})", False),
        ("ratio", rf"({n})\s+(?:is\s+)?what\s+{_PERCENT}\s+of\s+({n})", False),
        ("ratio", rf"({n})\s+(?:out\s+of|of)\s+({n})\s+(?:as\s+a\s+|in\s+)?{_PERCENT}", False),
        ("ratio", rf"({n})\s*/\s*({n})\s+(?:as\s+a\s+|in\s+)?{_PERCENT}", False),
        ("ratio", rf"({n})\s+as\s+a\s+percent(?:age)?\s+of\s+({n})", False),
        ("ratio", rf"{_PERCENT}\s+(?:is|of)\s+({n})\s+(?:out\s+of|of|in)\s+({n})", False),
        ("whole", rf"({n})\s+is\s+({n})\s*{_PERCENT}\s+of\s+what", False),
        (
            "change",
            rf"{_PERCENT}\s+(?:change|increase|decrease|difference|growth|drop|rise|fall)\s+(?:from|between)\s+"
            rf"({n})\s+(?:to|and)\s+({n})",
            False,
        ),
        (
            "change",
            rf"what\s+{_PERCENT}\s+(?:did|does|do|is|has|have|will|would)?\s*(?:it\s+|the\s+\w+\s+)?"
            rf"(?:{_UP}|{_DOWN}|change[sd]?)\s+(?:from\s+)?({n})\s+to\s+({n})",
            False,
        ),
        (
            "change",
            rf"what\s+{_PERCENT}\s+(?:did|does|do|has|have|will|would)\s+({n})\s+(?:{_UP}|{_DOWN}|change[sd]?)\s+"
            rf"(?:by\s+)?(?:to|into)\s+({n})",
            False,
        ),
        (
            "change",
            rf"(?:how\s+much|how\s+many\s+percent)\s+(?:did|does|is)\s+(?:it\s+)?(?:{_UP}|{_DOWN}|change)\s+"
            rf"from\s+({n})\s+to\s+({n})",
            False,
        ),
        (
            "change",
            rf"(?:from\s+)?({n})\s+to\s+({n})\s+is\s+(?:a|an|what)\s+(?:{_PERCENT}\s+)?(?:change|increase|decrease|{_PERCENT})",
            False,
        ),
        ("up", rf"(?:increase|raise)\s+({n})\s+by\s+({n})\s*{_PERCENT}", False),
        ("up", rf"({n})\s+(?:plus|\+|increased\s+by|raised\s+by)\s+({n})\s*{_PERCENT}", False),
        ("up", rf"add\s+({n})\s*{_PERCENT}\s+to\s+({n})", True),
        ("up", rf"({n})\s+(?:after|with)\s+a\s+({n})\s*{_PERCENT}\s+(?:increase|rise|raise|mark-?up)", False),
        ("down", rf"(?:decrease|reduce|lower|discount)\s+({n})\s+by\s+({n})\s*{_PERCENT}", False),
        ("down", rf"({n})\s+(?:minus|less|decreased\s+by|reduced\s+by|discounted\s+by)\s+({n})\s*{_PERCENT}", False),
        ("down", rf"({n})\s*{_PERCENT}\s+off\s+(?:of\s+)?({n})", True),
        ("down", rf"({n})\s+(?:after|with)\s+a\s+({n})\s*{_PERCENT}\s+(?:discount|decrease|reduction|cut)", False),
        ("ratio_of", rf"\bratio\s+(?:of|between)\s+({n})\s+(?:to|and|:)\s+({n})", False),
        ("ratio_of", rf"\b({n})\s*:\s*({n})\s+(?:ratio|as\s+a\s+ratio|in\s+(?:its\s+)?simplest\s+form)", False),
        ("ratio_of", rf"\bsimplify\s+(?:the\s+)?(?:ratio\s+)?({n})\s*:\s*({n})", False),
        ("ratio_of", rf"\bwhat\s+fraction\s+of\s+({n})\s+is\s+({n})", True),
        ("ratio_of", rf"\b({n})\s+(?:is\s+)?what\s+fraction\s+of\s+({n})", False),
    )
    for kind, pattern, swapped in forms:
        m = re.search(pattern, low)
        if m:
            a, b = (float(x.replace(",", "")) for x in (m[1], m[2]))
            if kind == "of" and not re.search(r"what|how\s+much|calculate|compute|find|is\b", low):
                return None
            return PercentLesson(kind, *((b, a) if swapped else (a, b)))
    return None


class PercentLesson(Lesson):
    def __init__(self, kind: str, a: float, b: float) -> None:
        self.kind, self.a, self.b = kind, a, b
        x, y = f"{a:g}", f"{b:g}"
        plan = {
            "of": (f"{x}% of {y}", "a percentage of a number: the number × percent / 100", [
                f"part = {b!r} * {a!r} / 100", f'print(f"step 1: {y} × {x} / 100 = {{part:.6g}}")',
                'print(f"RESULT result={part:.6g}")']),
            "ratio": (f"what percentage {x} is of {y}", "part / whole × 100", [
                f"share = {a!r} / {b!r}", f'print(f"step 1: {x} / {y} = {{share:.6g}}")',
                "percent = share * 100", 'print(f"step 2: {share:.6g} × 100 = {percent:.6g}%")',
                'print(f"RESULT result={percent:.6g}")']),
            "change": (f"the percentage change from {x} to {y}", "(new − old) / old × 100", [
                f"change = {b!r} - {a!r}", f'print(f"step 1: {y} − {x} = {{change:.6g}}")',
                f"relative = change / {a!r}", f'print(f"step 2: {{change:.6g}} / {x} = {{relative:.6g}}")',
                "percent = relative * 100", 'print(f"step 3: {relative:.6g} × 100 = {percent:.6g}%")',
                'print(f"RESULT result={percent:.6g}")']),
            "up": (f"{x} increased by {y}%", "number × (1 + percent / 100)", [
                f"factor = 1 + {b!r} / 100", f'print(f"step 1: 1 + {y} / 100 = {{factor:.6g}}")',
                f"result = {a!r} * factor", f'print(f"step 2: {x} × {{factor:.6g}} = {{result:.6g}}")',
                'print(f"RESULT result={result:.6g}")']),
            "down": (f"{x} decreased by {y}%", "number × (1 − percent / 100)", [
                f"factor = 1 - {b!r} / 100", f'print(f"step 1: 1 − {y} / 100 = {{factor:.6g}}")',
                f"result = {a!r} * factor", f'print(f"step 2: {x} × {{factor:.6g}} = {{result:.6g}}")',
                'print(f"RESULT result={result:.6g}")']),
            "whole": (f"the number {x} is {y}% of", "whole = part / (percent / 100)", [
                f"share = {b!r} / 100", f'print(f"step 1: {y} / 100 = {{share:.6g}}")',
                f"whole = {a!r} / share", f'print(f"step 2: {x} / {{share:.6g}} = {{whole:.6g}}")',
                'print(f"RESULT result={whole:.6g}")']),
            "ratio_of": (f"the ratio of {x} to {y}", "divide both numbers by their greatest common divisor", [
                "from fractions import Fraction", "",
                f"ratio = Fraction({x!r}) / Fraction({y!r})",
                f'print(f"step 1: {x} / {y} = {{ratio.numerator}}/{{ratio.denominator}} in lowest terms")',
                f"decimal = {a!r} / {b!r}", f'print(f"step 2: {x} / {y} = {{decimal:.6g}}")',
                'print(f"RESULT result={ratio.numerator}:{ratio.denominator} (= {decimal:.6g})")']),
        }[kind]  # fmt: skip
        self.question, self.rule = plan[0], plan[1]
        super().__init__(
            "show_percentage",
            f"A percentage question: {self.question}. The rule is {self.rule}. I'll compute it in Python and print "
            "each step, so the arithmetic is visible.",
            lines(*plan[2]),
        )

    def explain(self, obs: Observation) -> Answer:
        steps = [m[1] for m in step_lines(obs, r"step \d+: (.*)")]
        result = need(obs, "result")
        unit = "%" if self.kind in ("ratio", "change") else ""
        listing = "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
        return Answer(
            f"The code printed result={result}.",
            f"You asked for {self.question}.\n\n**The rule:** {self.rule}.\n\n{listing}\n\n"
            f"**Result:** **{result}{unit}**.",
        )
