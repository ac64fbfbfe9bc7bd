"""Which words of a prompt may name a kernel variable: never builtins, keywords or ordinary English words."""

from __future__ import annotations

import builtins
import keyword
import re

# Grammar and verbs ("how many rows does df have", "the previous cell"): never a variable unless backticked.
_FUNCTION_WORDS = """a an the this that these those my your our their its it them they there here me you i we us
of in on for by and or to from with within inside using into onto over under above below after before
what which who whom whose how why when where is are was were be been being am do does did done have has
had having can could should would will shall may might must let make made get got give gave show shown
tell told find found use used call called named please thanks want wanted need needed like also just
only then than so if else not no yes all any each every some many much more most less least few other
another same such both either neither one two three four five six seven eight nine ten first second third
last next previous earlier later top bottom left right up down out off again
compute calculate explain describe summarize look see sort sorted order ordered group grouped filter
filtered remove removed drop dropped keep kept remaining remain between against versus vs per across
along among without except including include high higher highest low lower lowest large larger largest
small smaller smallest big bigger biggest often times way ways thing things something anything
everything nothing common general particular detail fact short practice place case turn advance future
past mind total order english python pandas numpy loop line words ascending descending increasing decreasing
reverse reversed alphabetical alphabetically numerical
"""
# Nouns a prompt uses for data ("count the rows in data"): a variable only when one of that name exists
# and the prompt puts the word where data is named ("in data", "the data DataFrame"), or in backticks.
_NOUNS = """row rows column columns col cols value values data dataset datasets frame frames dataframe
dataframes table tables list lists array arrays series variable variables var vars item items element
elements entry entries record records field fields number numbers count counts total sum mean average
median result results answer answers cell cells notebook kernel code error errors bug output outputs
python pandas numpy plot plots chart graph figure histogram scatter line lines bar bars max min maximum
minimum std variance correlation difference ratio percent percentage share time
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
NOUNS = frozenset(_NOUNS.split())
_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))
_KEYWORDS = frozenset(keyword.kwlist) | frozenset(getattr(keyword, "softkwlist", []))


def never_a_name(word: str) -> bool:
    """A Python builtin or keyword, or an ordinary English word: not a variable unless backticked."""
    return word in _BUILTINS or word in _KEYWORDS or word.lower() in FUNCTION_WORDS or word.lower() in NOUNS


def may_name(word: str, text: str) -> bool:
    """May ``word``, a variable that exists, be what ``text`` refers to? Backticked, or an ordinary word
    that is no builtin, keyword or grammar word (a noun such as ``data`` only where prompts name data)."""
    if word in backticked(text):
        return True
    if word in _BUILTINS or word in _KEYWORDS or word.lower() in FUNCTION_WORDS or not mentioned(text, word):
        return False
    return word.lower() not in NOUNS or word in in_place(text)


def backticked(text: str) -> list[str]:
    """Identifiers written in backticks, in order (``df``, ``my_list``; not ``sorted()`` calls)."""
    return list(dict.fromkeys(re.findall(r"`([A-Za-z_]\w*)`", text)))


# Where a prompt names its data: "in df", "of my_list", "df's rows", "the DataFrame sales", "sales DataFrame".
_KIND = r"(?:data\s*frame|dataframe|df|list|series|array|table|dataset|frame|dict(?:ionary)?|tuple|variable)"
_PLACES = (
    r"\b(?:in|from|of|on|within|inside|using|for|over|with)\s+(?:my\s+|the\s+|our\s+)?([A-Za-z_]\w*)",
    rf"\b{_KIND}\s+(?:called\s+|named\s+)?([A-Za-z_]\w*)",
    rf"\b([A-Za-z_]\w*)\s+{_KIND}s?\b",
    r"\b([A-Za-z_]\w*)'s\b",
)


def in_place(text: str) -> list[str]:
    """Words in a place where prompts name their data, in order."""
    found: list[tuple[int, str]] = []
    for pattern in _PLACES:
        found += [(m.start(1), m[1]) for m in re.finditer(pattern, text, re.I | re.M)]
    return list(dict.fromkeys(w for _, w in sorted(found)))


# Where a prompt names its data beyond doubt: "in df", "from sales", "the DataFrame sales", "df2".
_STRONG = (
    r"\b(?:in|from|within|inside|using)\s+(?:my\s+|the\s+|our\s+)?([A-Za-z_]\w*)",
    rf"\b{_KIND}\s+(?:called\s+|named\s+)?([A-Za-z_]\w*)",
    rf"\b([A-Za-z_]\w*)\s+{_KIND}s?\b",
    r"\b([A-Za-z_]\w*)'s\b",
    r"\b(df\w*)\b",
    r"\btell\s+me\s+about\s+(?:my\s+|the\s+)?([A-Za-z_]\w*)",
)


def guesses(text: str) -> list[str]:
    """Names worth looking up before anything is known: backticked, or where prompts name data (not
    builtins or English words). ``of x`` is left out: it is as often a column as a variable."""
    found: list[tuple[int, str]] = []
    for pattern in _STRONG:
        found += [(m.start(1), m[1]) for m in re.finditer(pattern, text, re.I)]
    strong = [w for _, w in sorted(found) if not never_a_name(w)]
    return list(dict.fromkeys(backticked(text) + strong))


def mentioned(text: str, name: str) -> bool:
    """``name`` appears in ``text`` as a whole word (or in backticks)."""
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text) is not None
