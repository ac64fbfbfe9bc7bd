"""A question's words read against a frame's columns: column marks, filters, and words that fit no column."""

from __future__ import annotations

import re

from ..names import FUNCTION_WORDS, NOUNS
from .knowledge import Variable
from .request import Condition, Unclear

C = r"⟨(\d+)⟩"  # a column mention, once marked
COLS = rf"{C}(?:\s*(?:,|\band\b|&)\s*(?:the\s+)?{C})*"
NUM = r"-?\d+(?:\.\d+)?"

# Column names that are also words of a question ("count", "group"): a column only where one is expected.
_WORDLIKE = frozenset(
    [
        "count",
        "sum",
        "mean",
        "total",
        "max",
        "min",
        "median",
        "average",
        "group",
        "order",
        "rank",
        "size",
        "top",
        "first",
        "last",
        "share",
        "percent",
        "rows",
        "row",
        "values",
        "value",
        "difference",
        "ratio",
        "unique",
        "index",
        "type",
        "name",
        "std",
        "var",
        "plot",
        "line",
        "bar",
        "all",
    ]
)
_COLUMN_PLACE = re.compile(
    r"(?:\bof|\bin|\bby|\bper|\beach|\bevery|\bacross|\bagainst|\bvs\.?|\bversus|\bbetween|\band|\bwhere|"
    r"\bcolumns?|[`'\"])\s*$",
    re.I,
)

OPS = (
    ("mean", r"mean|average|avg"),
    ("median", r"median"),
    ("std", r"std|stdev|standard\s+deviation"),
    ("var", r"variance"),
    ("min", r"min|minimum"),
    ("max", r"max|maximum"),
    ("sum", r"sum|total"),
)
OP = "|".join(f"(?:{p})" for _, p in OPS)
OP_RUN = rf"(?:{OP})(?:\s*(?:,|\band\b|&)\s*(?:the\s+)?(?:{OP}))*"
FILLER = r"(?:\s+(?:of|the|for|in|column|columns|values?|each|all))*"

REMOVE = re.compile(
    r"\b(?:remov\w*|drop\w*|exclud\w*|without|filter(?:ing)?\s+out|discard\w*|delet\w*|ignor\w*|except|not\s+counting)\b",
    re.I,
)
_CMP = (
    (r"!=|<>|\bis\s+not(?:\s+equal\s+to)?|\bisn'?t|\bnot\s+equal\s+to|\bdoes\s+not\s+equal|\bdiffers?\s+from", "!="),
    (r">=|≥|\bis\s+at\s+least|\bat\s+least|\b(?:is\s+)?greater\s+than\s+or\s+equal\s+to|\bor\s+more", ">="),
    (r"<=|≤|\bis\s+at\s+most|\bat\s+most|\b(?:is\s+)?less\s+than\s+or\s+equal\s+to|\bor\s+less", "<="),
    (r">|\b(?:is\s+)?(?:greater|more|bigger|larger|higher)\s+than|\b(?:is\s+)?(?:above|over)|\bexceeds?", ">"),
    (r"<|\b(?:is\s+)?(?:less|smaller|lower|fewer)\s+than|\b(?:is\s+)?(?:below|under)", "<"),
    (r"==|=|\bis\s+equal\s+to|\bequals?(?:\s+to)?|\bis|\bof|\bwas|:", "=="),
)


def mark_columns(text: str, columns: tuple[str, ...], frame: str) -> str:
    """``text`` with each column mention replaced by ``⟨i⟩`` (longest names first) and the frame by ``⟨frame⟩``."""
    text = re.sub(r"`([^`\n]+)`", r"\1", text)
    for i, column in enumerate(columns):  # a quoted column name is the column
        text = re.sub(rf"(['\"]){re.escape(str(column))}\1", f"⟨{i}⟩", text)
    variants: list[tuple[str, int]] = []
    for i, column in enumerate(columns):
        name = str(column)
        spaced = name.replace("_", " ")
        forms = {name, spaced, name + "s", spaced + "s", name + "es"}
        if name.endswith("s") and len(name) > 3:
            forms.add(name[:-1])
        variants += [(form, i) for form in forms if form.strip()]
    for form, i in sorted(variants, key=lambda v: -len(v[0])):
        pattern = re.compile(rf"(?<![\w⟨'\"]){re.escape(form)}(?![\w⟩])", re.I)

        def swap(m: re.Match[str], i: int = i, form: str = form) -> str:
            if form.lower() in _WORDLIKE and not _COLUMN_PLACE.search(m.string[: m.start()]):
                return m[0]
            return f"⟨{i}⟩"

        text = pattern.sub(swap, text)
    if frame:
        text = re.sub(rf"(?<![\w⟨]){re.escape(frame)}(?![\w⟩])", "⟨frame⟩", text)
    return text


def unknown_columns(marked: str) -> list[str]:
    """Words where a column is expected that are not columns: ``mean of height`` when there is no height."""
    places = (
        rf"\b(?:{OP}|histogram|distribution)\s+(?:of\s+)?(?:the\s+)?(?:column\s+)?([A-Za-z_]\w*)",
        r"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?|group(?:ed)?)\s+(?:them\s+|it\s+)?by\s+(?:the\s+)?([A-Za-z_]\w*)",
        r"\b(?:by|per|for\s+each)\s+(?:the\s+)?([A-Za-z_]\w*)",
        r"\b([A-Za-z_]\w*)\s+(?:against|vs\.?|versus)\s+(?:the\s+)?([A-Za-z_]\w*)",
        r"\bwhere\s+(?:the\s+)?([A-Za-z_]\w*)\s+(?:is|==|=|>|<|!=|equals)",
        r"\bcorrelation\s+(?:between|of)\s+([A-Za-z_]\w*)\s+and\s+([A-Za-z_]\w*)",
    )
    found: list[str] = []
    for pattern in places:
        for m in re.finditer(pattern, marked, re.I):
            found += [w for w in m.groups() if w and _wordish(w)]
    return list(dict.fromkeys(found))


_IGNORE = frozenset(["hand", "way", "cent", "default", "far", "now", "me", "it", "them", "default", "name"])


def _wordish(word: str) -> bool:
    low = word.lower()
    return not (low in FUNCTION_WORDS or low in NOUNS or low in _IGNORE or re.fullmatch(OP, low))


def columns_in(marked: str, columns: tuple[str, ...], m: re.Match[str] | None, start: int = 0) -> list[str]:
    if m is None:
        return []
    return [columns[int(i)] for i in re.findall(C, m.group(0)[start:])]


def blank_out(text: str, spans: list[int]) -> str:
    """``text`` with each condition (start, end pairs in ``spans``) blanked out."""
    out = text
    for a, b in zip(spans[::2], spans[1::2], strict=True):
        out = out[:a] + " " * (b - a) + out[b:]
    return out


def conditions(marked: str, columns: tuple[str, ...], var: Variable) -> tuple[list[Condition] | Unclear, list[int]]:
    """Filters written in the question: ``where dose is 0``, ``dose > 5``, ``with group 'control'``."""
    ops = "|".join(f"(?:{p})" for p, _ in _CMP)
    value = r"(-?\d+(?:\.\d+)?|'[^']*'|\"[^\"]*\"|[A-Za-z_][\w.-]*)"
    pattern = re.compile(rf"{C}\s*({ops})\s*{value}", re.I)
    found: list[Condition] = []
    spans: list[int] = []
    for m in pattern.finditer(marked):
        column = columns[int(m[1])]
        before = marked[: m.start()]
        trigger = re.search(
            r"\b(?:where|with|whose|for\s+which|if|when|having|have|has|that\s+have|which\s+have|in\s+which|and|rows|only|"
            r"without|excluding|except|remove\w*|drop\w*|keep\w*|filter\w*)\s+(?:the\s+)?(?:rows?\s+)?(?:where\s+)?"
            r"(?:the\s+)?(?:column\s+)?$",
            before,
            re.I,
        )
        if trigger is None:
            continue
        op = next(o for p, o in _CMP if re.fullmatch(p, m[2].strip(), re.I))
        raw = m[3]
        if raw.lower() in FUNCTION_WORDS and not raw.startswith(("'", '"')):
            continue
        if var.numeric(column):
            if not re.fullmatch(NUM, raw):
                return Unclear(f"`{column}` holds numbers, so I can't compare it with {raw}; give a number."), []
            number: int | float = float(raw) if "." in raw else int(raw)
            found.append(Condition(column, op, number))
        else:
            found.append(Condition(column, op, raw.strip("'\"")))
        spans += [m.start(), m.end()]
    return found, spans


def example(columns: tuple[str, ...], var: Variable) -> str:
    numeric = [c for c in columns if var.numeric(c)]
    text = [c for c in columns if not var.numeric(c)]
    if numeric and text:
        return f"{numeric[0]} by {text[0]} in {var.name}"
    return f"{(numeric or list(columns) or ['x'])[0]} in {var.name}"
