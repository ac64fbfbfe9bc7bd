"""A prompt's wording made plain: numbers written in words as digits, misspelt request words corrected."""

from __future__ import annotations

import difflib
import re

from .names import FUNCTION_WORDS, NOUNS
from .parsing import outside_quotes

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"thousand": 1000, "million": 10**6}
_UNIT = "|".join(sorted(_UNITS, key=len, reverse=True))
_TEN = "|".join(_TENS)
_SMALL = rf"(?:(?:{_TEN})(?:[\s-]+(?:{_UNIT}))?|(?:{_UNIT}))"  # 0..99: "seven", "forty-two"
_GROUP = rf"(?:(?:a|{_SMALL})\s+hundred(?:\s+(?:and\s+)?{_SMALL})?|{_SMALL})"  # 0..999
# One number in words: "six", "one hundred and twenty-five", "two thousand five hundred", "a million".
_NUMBER = re.compile(
    rf"\b(?:(?:a|{_GROUP})\s+(?:thousand|million)(?:,?\s+(?:and\s+)?{_GROUP})?|{_GROUP})\b(?![-'’]\w)", re.I
)
# "one" alone is as often a pronoun ("which one", "one at a time"): a number only beside other numbers.
_ONE_BEFORE = re.compile(rf"\b(?:from|between)\s+$|(?:\d|\b(?:{_TEN}|{_UNIT}))\s*,\s*(?:and\s+)?$", re.I)
_ONE_AFTER = re.compile(rf"^(?:\s+(?:to|through|and)\s+|\s*,\s*)(?:\d|(?:{_TEN}|{_UNIT}|a\s+hundred)\b)", re.I)


def _value(text: str) -> int:
    """The number a match of ``_NUMBER`` names."""
    total, current = 0, 0
    for word in re.split(r"[\s,-]+", text.lower()):
        if word in _UNITS or word in _TENS:
            current += _UNITS.get(word, _TENS.get(word, 0))
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALES:
            total += (current or 1) * _SCALES[word]
            current = 0
    return total + current


def _numbers(part: str) -> str:
    out, at = [], 0
    for m in _NUMBER.finditer(part):
        word = m[0].lower()
        if word == "a" or (
            word == "one" and not (_ONE_BEFORE.search(part[: m.start()]) or _ONE_AFTER.search(part[m.end() :]))
        ):
            continue
        out += [part[at : m.start()], str(_value(m[0]))]
        at = m.end()
    return "".join([*out, part[at:]])


def digits_for_words(text: str) -> str:
    """``text`` with numbers written in words as digits (*the top five rows* → *the top 5 rows*, *from one to
    one hundred* → *from 1 to 100*); quoted text and backticked names stay as typed."""
    return outside_quotes(text, _numbers)


# Words the toy's families are keyed on: a close misspelling of one is read as the word ("avreage").
_REQUEST_WORDS = """average median deviation variance maximum minimum correlation correlate regression histogram
percentage percent distribution descending ascending decreasing increasing scatter summary describe
distinct unique missing duplicated duplicates percentile quantile fibonacci factorial palindrome
anagram recursion recursive recursively insertion selection bubble binary linear search sorted
sorting convert fahrenheit celsius kilometers kilograms centimeters standard statistics column
columns highest lowest largest smallest biggest greatest between against versus grouped regress"""
REQUEST_WORDS = frozenset(_REQUEST_WORDS.split())
_MIN_LENGTH = 6  # shorter words are too often other words a letter away ("mean"/"meat")
# Real words a letter or two from a request word: never "corrected" ("greater" is not "greatest").
_ENGLISH = FUNCTION_WORDS | NOUNS | frozenset(["greater", "lesser", "better", "longer", "shorter", "median", "medium"])


def corrected(text: str, keep: frozenset[str] = frozenset()) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``text`` with misspelt request words corrected, and the corrections made (typed, read as). Words in
    ``keep`` (names the kernel has, column names) are never corrected, nor anything quoted."""
    fixes: list[tuple[str, str]] = []

    def fix(part: str) -> str:
        def swap(m: re.Match[str]) -> str:
            word = m[0]
            low = word.lower()
            if len(low) < _MIN_LENGTH or low in REQUEST_WORDS or low in _ENGLISH or word in keep or low in keep:
                return word
            close = difflib.get_close_matches(low, REQUEST_WORDS, n=1, cutoff=0.8)
            if not close:
                return word
            fixes.append((word, close[0]))
            return close[0]

        return re.sub(r"(?<![\w`])[A-Za-z]+(?![\w`])", swap, part)

    fixed = outside_quotes(text, fix)
    return fixed, tuple(dict.fromkeys(fixes))


def read_as_note(fixes: tuple[tuple[str, str], ...]) -> str:
    """How the answer says which words it read differently: *(I read “avreage” as “average”.)*"""
    return "*(I read " + ", ".join(f"“{typed}” as “{meant}”" for typed, meant in fixes) + ".)*"
