"""Which way a sort goes, read from a prompt: largest first (descending, highest to lowest…) or smallest first."""

from __future__ import annotations

import re

_BIG = r"(?:high(?:est|er)?|large(?:st|r)?|big(?:gest|ger)?|great(?:est|er)?|most|max(?:imum)?|top|best)"
_SMALL = r"(?:low(?:est|er)?|small(?:est|er)?|least|fewest|min(?:imum)?|bottom|worst)"
_TO = r"(?:[\s-]+(?:to|down\s+to|up\s+to|through)[\s-]+|\s*(?:-+>|→|-)\s*)(?:the\s+)?"
_FIRST = r"(?:\s+(?:values?|numbers?|ones?|rows?|items?|entries|scores?))?\s+first\b"

LARGEST_FIRST = re.compile(
    rf"\bdesc(?:ending(?:ly)?)?\b|\bdecreasing\b|\b(?:{_BIG}){_FIRST}|\b{_BIG}{_TO}{_SMALL}\b|"
    r"\brevers(?:e|ed)(?:\s+(?:numerical|alphabetical|sorted))?\s+order\b|\bin\s+reverse\b|\bsorted\s+in\s+reverse\b|"
    r"\breverse[ds]?\s+sort(?:ed)?\b|\bsort(?:ed)?\s+(?:it\s+|them\s+)?(?:in\s+)?reverse\b|\bfrom\s+the\s+top\b|"
    r"\btop[\s-]+down\b|\breverse[\s-]+alphabetical|\bz\s*(?:to|-+>?|→)\s*a\b|"
    r"\bsort\w*\b[^.?!]*?\b(?:and\s+)?then\s+reverse\w*",  # "sort [3, 1, 2] and then reverse it"
    re.I,
)
SMALLEST_FIRST = re.compile(
    rf"\basc(?:ending(?:ly)?)?\b|\bincreasing\b|\b(?:{_SMALL}){_FIRST}|\b{_SMALL}{_TO}{_BIG}\b|"
    r"\bfrom\s+the\s+bottom\b|\bbottom[\s-]+up\b|(?<!reverse )(?<!reverse-)\balphabetical(?:ly)?\b|"
    r"\ba\s*(?:to|-+>?|→)\s*z\b",
    re.I,
)


def directions(text: str) -> set[bool]:
    """The orders ``text`` asks for: ``True`` largest first, ``False`` smallest first; empty when it names
    none, both when it names two (then the sort is not clear and the toy says so)."""
    found = set()
    if LARGEST_FIRST.search(text):
        found.add(True)
    if SMALLEST_FIRST.search(_without(LARGEST_FIRST, text)):
        found.add(False)
    return found


def _without(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda m: " " * len(m[0]), text)


BOTH_WAYS = (
    "You asked for two orders at once (largest first and smallest first), so I can't tell how to sort. "
    "Say one: *highest to lowest* or *lowest to highest*."
)
