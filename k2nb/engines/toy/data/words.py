"""A question's words read against a frame's columns: column marks, filters, and words that fit no column."""

from __future__ import annotations

import re
from itertools import pairwise

from ..names import FUNCTION_WORDS, NOUNS
from .knowledge import Variable
from .request import Condition, Unclear

C = r"⟨(\d+)⟩"  # a column mention, once marked
COLS = rf"{C}(?:\s*(?:,|\band\b|&)\s*(?:the\s+)?{C})*"
NUM = r"-?\d+(?:\.\d+)?"
BINS = re.compile(r"\b(\d+)\s+(?:bins?|buckets?|bars)\b", re.I)  # a histogram's bars: "with 10 bins"

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
    r"\bcolumns?|[`'\"]|\b(?:the|a)\s+[A-Za-z0-9_][\w.-]*)\s*$",  # "for the treated group"
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
    (r">|\b(?:is\s+)?(?:greater|more|bigger|larger|higher)\s+than|\b(?:is\s+)?(?:above|over|after)|\bexceeds?", ">"),
    (r"<|\b(?:is\s+)?(?:less|smaller|lower|fewer)\s+than|\b(?:is\s+)?(?:below|under|before)", "<"),
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
        if name.lower() not in _WORDLIKE and len(name) > 3:  # "students scored below 50"
            forms |= {name + "d", name + "ed"}
        variants += [(form, i) for form in forms if form.strip()]
    for form, i in sorted(variants, key=lambda v: -len(v[0])):
        pattern = re.compile(rf"(?<![\w⟨'\"]){re.escape(form)}(?![\w⟩])", re.I)

        def swap(m: re.Match[str], i: int = i, form: str = form) -> str:
            if form.lower() in _WORDLIKE and not _COLUMN_PLACE.search(m.string[: m.start()]):
                return m[0]
            return f"⟨{i}⟩"

        text = pattern.sub(swap, text)
    if frame:  # "sales", and "which sale": a row of it
        forms = {frame, frame[:-1]} if frame.endswith("s") and len(frame) > 3 else {frame, frame + "s"}
        for form in sorted(forms, key=len, reverse=True):
            text = re.sub(rf"(?<![\w⟨]){re.escape(form)}(?![\w⟩])", "⟨frame⟩", text)
    return text


def unmark(marked: str, columns: tuple[str, ...], frame: str) -> str:
    """Marked text as the user wrote it, for quoting it back: ``⟨i⟩`` is the column, ``⟨frame⟩`` the frame."""
    return re.sub(r"⟨(\d+|frame)⟩", lambda m: frame if m[1] == "frame" else str(columns[int(m[1])]), marked)


def unknown_columns(marked: str) -> list[str]:
    """Words where a column is expected that are not columns: ``mean of height`` when there is no height."""
    places: tuple[str, ...] = (
        rf"\b(?:{OP}|histogram|distribution)\s+(?:of\s+)?(?:the\s+)?(?:column\s+)?([A-Za-z_]\w*)",
        r"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?|group(?:ed)?)\s+(?:them\s+|it\s+)?by\s+(?:the\s+)?([A-Za-z_]\w*)",
        r"\b(?:by|per|for\s+each)\s+(?:the\s+)?([A-Za-z_]\w*)",
        r"\b([A-Za-z_]\w*)\s+(?:against|vs\.?|versus)\s+(?:the\s+)?([A-Za-z_]\w*)",
        r"\bwhere\s+(?:the\s+)?([A-Za-z_]\w*)\s+(?:is|==|=|>|<|!=|equals)",
        r"\bcorrelation\s+(?:between|of)\s+([A-Za-z_]\w*)\s+and\s+([A-Za-z_]\w*)",
    )
    if re.search(r"\bt[- ]?test|\bsignifican|\bcompar|\bdifferen", marked, re.I):
        places = tuple(p for p in places if "versus" not in p)  # "north vs south" names two groups' rows
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


# Words of data questions the parser reads (or may safely pass over); any other word left in a question
# is a part it did not understand, and the answer says so instead of computing something else.
_VOCABULARY = """mean means average averages avg median medians std stdev standard deviation deviations variance
    min minimum
    max maximum sum sums total totals count counts counted counting how many number numbers distinct unique different
    describe description summary summaries summarize summarise overview statistics statistic stats explore look
    plot plots plotted chart charts graph graphs draw visualize visualise visualization histogram histograms hist
    distribution distributions spread scatter line lines bar bars correlation correlations correlate correlated
    corr relate relates related relation relationship association associated regression regress linear fit
    fitted best trend least squares slope intercept r2 r² squared t-test ttest test student's welch welch's
    significant significantly significance difference differences differ differs compare comparison gap ratio
    per unit units percent percentage percentages proportion fraction share missing nan null nulls empty duplicate
    duplicates duplicated percentile quantile sort sorted order ordered rank ranked arrange ascending descending
    increasing decreasing largest smallest highest lowest biggest greatest most least top bottom first last
    show display list print give tell find get compute calculate remove removed drop dropped exclude excluding
    filter filtered keep only each every group grouped grouping against versus vs between across left remain
    remaining are is was there value values row rows column columns data dataset table frame dataframe df
    in on of for by with where which who whom whose what when and or than above below over under equal equals
    greater less more fewer at not no yes all any please me us i you it its they them their this that these those
    the a an to do does did have has had be been being can could would should will let's lets want like know see
    scored score got get gets getting appear appears appearing times often common frequent frequently type types
    kind kinds category categories item items entry entries record records observation observations sample samples
    case cases overall whole entire typical contain contains belong belongs fall falls occur occurs happen happens
    now here there then also just really actually roughly approximately exactly again so too very much many
    inspect inspecting check checking tool using use matrix matrices heatmap whats hows kindly hey hi hello
    thank thx pls plz quick quickly ok okay great cool fewest had as but ones plese pleae plase pleas teh hte
    bins bin buckets bucket predict predicting predicts exactly precisely comparing compared non"""
VOCABULARY = frozenset(_VOCABULARY.split())

_TRIGGER = re.compile(
    r"(?:\b(?:where|with|whose|for\s+which|if|when|having|have|has|had|got|get|gets|that\s+have|which\s+have|"
    r"in\s+which|and|or|rows|only|"
    r"without|excluding|except|remove\w*|drop\w*|keep\w*|filter\w*|who|that|which)|⟨\d+⟩)\s+(?:the\s+|a\s+|an\s+)?"
    r"(?:rows?\s+)?(?:where\s+)?(?:the\s+)?(?:column\s+)?$",
    re.I,
)
# A label that names rows of a text column: "for the treated group", "in class 7A", "with group control".
_LABEL = r"(?!⟨)('[^']*'|\"[^\"]*\"|[A-Za-z0-9_][\w.-]*)"
_EXCEPT = r"excluding|except(?:\s+for)?|without|besides|other\s+than"
_LABEL_PLACES = (
    re.compile(rf"\b(?:for|in|among|with|within|of|where|{_EXCEPT})\s+(?:the\s+)?{C}\s+{_LABEL}", re.I),  # in class 7A
    re.compile(
        rf"\b(?:for|in|among|with|within|of|{_EXCEPT})\s+(?:the\s+)?{_LABEL}\s+{C}", re.I
    ),  # for the treated group
)


_BARE_OPS = {
    "more": ">", "greater": ">", "higher": ">", "larger": ">", "bigger": ">", "above": ">", "over": ">",
    "exceed": ">", "exceeds": ">", "exceeding": ">", "less": "<", "fewer": "<", "lower": "<", "smaller": "<",
    "below": "<", "under": "<", "least": ">=", "most": "<=",
}  # fmt: skip
_BARE = re.compile(
    rf"(?:\b(not|never)\s+)?\b(more|less|greater|fewer|higher|lower|larger|bigger|smaller|above|below|over|under|"
    rf"exceed(?:s|ing)?|at\s+least|at\s+most)(?:\s+than)?(\s+or\s+equal(?:\s+to)?)?\s+({NUM})(?![\w.])|"
    rf"(?<![\w.])({NUM})\s+or\s+(more|above|higher|greater|over|less|fewer|below|lower|under)\b|"
    rf"\bbetween\s+({NUM})\s+and\s+({NUM})(?![\w.])",
    re.I,
)


def _within(at: int, spans: list[int]) -> bool:
    return any(a <= at < b for a, b in zip(spans[::2], spans[1::2], strict=True))


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def comparisons(text: str) -> list[tuple[re.Match[str], str, int | float]]:
    """Comparisons with a number that name no column: *more than 80*, *at least 3*, *80 or more*, *between 10
    and 20* (two: at least the first, at most the second). Each with the match, its operator and number."""
    found: list[tuple[re.Match[str], str, int | float]] = []
    for m in _BARE.finditer(text):
        if m[7] is not None:
            found += [(m, ">=", _number(m[7])), (m, "<=", _number(m[8]))]
        elif m[5] is not None:
            op = ">=" if _BARE_OPS.get(m[6].lower()) == ">" or m[6].lower() == "more" else "<="
            found.append((m, op, _number(m[5])))
        else:
            op = _BARE_OPS[m[2].lower().split()[-1]]
            op = op + "=" if m[3] and op in "<>" else op
            found.append((m, _NEGATED_OP[op] if m[1] else op, _number(m[4])))  # "not above 90" is at most 90
    return found


_NEGATED_OP = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}


def conditions(marked: str, columns: tuple[str, ...], var: Variable) -> tuple[list[Condition] | Unclear, list[int]]:
    """Filters written in the question: ``where dose is 0``, ``dose > 5``, ``for the treated group``."""
    ops = "|".join(f"(?:{p})" for p, _ in _CMP)
    value = r"(-?\d+(?:\.\d+)?|'[^']*'|\"[^\"]*\"|[A-Za-z_][\w.-]*)"
    pattern = re.compile(rf"{C}\s*({ops})\s*(?:exactly\s+|precisely\s+)?{value}", re.I)
    found: list[Condition] = []
    spans: list[int] = []
    for condition, start, end in _true_or_false(marked, columns, var):
        found.append(condition)
        spans += [start, end]
    for label_place in _LABEL_PLACES:
        for m in label_place.finditer(marked):
            index, label = (m[1], m[2]) if m.re is _LABEL_PLACES[0] else (m[2], m[1])
            column = columns[int(index)]
            bare = label.strip("'\"")
            before_column = m.re is _LABEL_PLACES[1]
            if var.numeric(column) or (label == bare and (_common(bare) or (before_column and bare.isdigit()))):
                continue  # "the 3 groups" counts groups, it names none
            others = tuple(c for c in columns if c != column and not var.numeric(c))
            excepted = re.match(rf"(?:{_EXCEPT})\b", m[0], re.I) is not None  # "excluding the north region"
            found.append(Condition(column, "!=" if excepted else "==", bare, others))
            spans += [m.start(), m.end()]
    # "qty between 5 and 10": at least the first, at most the second.
    for m in re.finditer(
        rf"{C}\s+(?:is\s+|are\s+|was\s+|were\s+|of\s+)?between\s+({NUM})\s+and\s+({NUM})\b", marked, re.I
    ):
        column = columns[int(m[1])]
        if var.numeric(column) and not var.boolean(column) and not _within(m.start(), spans):
            found += [Condition(column, ">=", _number(m[2])), Condition(column, "<=", _number(m[3]))]
            spans += [m.start(), m.end(), m.start(), m.end()]
    # "students who got more than 80": the comparison names no column; the only numeric one is meant.
    for m, op, bound in comparisons(marked):
        if (spans[-2:] != [m.start(), m.end()] and _within(m.start(), spans)) or re.search(
            r"⟨\d+⟩\s*(?:is\s+|was\s+|are\s+|were\s+)?$", marked[: m.start()]
        ):
            continue  # "dose above 2": a column's own condition, read below
        numeric = var.quantities()
        if len(numeric) != 1:
            listed = ", ".join(f"`{c}`" for c in numeric)
            return Unclear(
                f"“{m[0].strip()}” — of which column? Say it, e.g. *where {numeric[0] if numeric else 'x'} "
                f"is {m[0].strip()}* (numeric columns: {listed})."
            ), []
        found.append(Condition(numeric[0], op, bound))
        spans += [m.start(), m.end()]
    for m in pattern.finditer(marked):
        column = columns[int(m[1])]
        if _TRIGGER.search(marked[: m.start()]) is None or _within(m.start(), spans) or var.boolean(column):
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
    labels = [c for c in columns if not var.numeric(c)]
    testing = re.search(r"\bt[- ]?test|\bsignifican|\bcompar|\bdifferen", marked, re.I)
    for m in _UNNAMED_LABEL.finditer(marked):
        words = [w for w in (m[1], m[3], m[4]) if w]
        start = m.start(1) if m[1] else m.start(4)
        superlative = any(w.lower() in SUPERLATIVES for w in words) or re.search(
            r"\b(?:most|least)\s+$", marked[:start], re.I
        )
        # "in north vs south", "t-test … in north and south": two groups to compare, not rows to keep
        paired = re.match(r"\s*(?:vs\.?|versus)\s", marked[m.end() :], re.I) or (testing and len(words) > 1)
        if m[3] and _common(m[3].strip("'\"")):
            words = words[:1]  # "in the north and the returned ones": one label
        if not labels or _within(start, spans) or any(_common(w.strip("'\"")) for w in words) or superlative or paired:
            continue
        negation = re.search(r"(?:\bnot|n't|\boutside(?:\s+of)?)\s+$", marked[: m.start()], re.I) or re.match(
            rf"(?:{_EXCEPT})\b", m[0], re.I
        )
        bare = tuple(w.strip("'\"") for w in words)
        start = negation.start() if negation and negation.start() < m.start() else m.start()
        if len(bare) > 1 and m[2].lower() == "and" and not negation:  # "for north and south": checked later
            found += [Condition(labels[0], "==", v, tuple(labels[1:])) for v in bare]
            spans += [start, m.start(3), m.start(3), m.end()]
            continue
        op = ("not in" if negation else "in") if len(bare) > 1 else ("!=" if negation else "==")
        named: str | tuple[str, ...] = bare if len(bare) > 1 else bare[0]
        found.append(Condition(labels[0], op, named, tuple(labels[1:])))  # "the sales not in the north"
        spans += [start, m.end()]
    return found, spans


def _both_labels(column: str, values: tuple[str, ...]) -> str:
    a, b = values[0], values[1]
    return (
        f"You named '{a}' and '{b}' for the same rows, but `{column}` holds one value per row, so no row is both. "
        f"Ask for them together (*… in {a} or {b}*), for each apart (*… by {column}*), or for their difference "
        f"(*the difference … between {a} and {b}*)."
    )


def contradiction(found: list[Condition], spans: list[int], marked: str) -> Unclear | None:
    """Why the conditions cannot be meant together, or None: two values asked of one column (no row is both:
    *in the north … than in the south*), or two conditions joined by *or* (the rows kept meet every one)."""
    order = sorted(range(len(found)), key=lambda i: spans[2 * i])
    for i, j in pairwise(order):
        between = marked[spans[2 * i + 1] : spans[2 * j]]
        a, b = found[i], found[j]
        if spans[2 * i] == spans[2 * j]:
            continue  # the two ends of one range ("between 5 and 10")
        if re.search(r"\bor\b", between, re.I):
            return Unclear(
                f"You joined {a.text()} and {b.text()} with “or”; I keep only rows that meet every condition, so "
                "I didn't compute it. Ask for one at a time, or for the values together (*… in north or south*)."
            )
        one_column = a.column == b.column and not (a.elsewhere or b.elsewhere)  # else the code finds each one's
        if a.op == b.op == "==" and one_column and a.value != b.value:
            return Unclear(_both_labels(a.column, (str(a.value), str(b.value))))
    return None


# Superlatives that name no column ("the 5 most expensive sales", "the cheapest one"): the toy reads one only with
# a column ("… by price") and a known direction; else it asks which column is meant.
ADJECTIVE_ORDER = {"expensive": True, "costly": True, "pricey": True, "cheap": False, "inexpensive": False}
EST_ADJECTIVES = {"cheapest": ("cheap", False), "priciest": ("pricey", True), "dearest": ("expensive", True)}
_OTHER_EST_WORDS = """oldest youngest newest latest earliest longest shortest tallest heaviest lightest fastest slowest
busiest richest poorest hottest coldest warmest coolest strongest weakest loudest quietest nearest
farthest furthest"""
_OTHER_EST = _OTHER_EST_WORDS.split()
SUPERLATIVES = (*EST_ADJECTIVES, *_OTHER_EST)


# A label with no column named: "in the north", "for the treated", "the north sales" (the code finds the text
# column that holds it, and says so if none does).
_WORD_LABEL = r"('[^'\n]+'|\"[^\"\n]+\"|[A-Za-z][\w.-]*)"
_UNNAMED_LABEL = re.compile(
    rf"\b(?:in|for|from|among|within|at|{_EXCEPT})\s+(?:the\s+)?{_WORD_LABEL}(?![\w⟨])"
    rf"(?:\s*,?\s+(or|and|nor)\s+(?:in\s+|from\s+|for\s+|at\s+)?(?:the\s+)?{_WORD_LABEL}(?![\w⟨]))?"  # "or the south"
    rf"|(?<![⟩\w']){_WORD_LABEL}\s+⟨frame⟩",
    re.I,
)
_TRUE_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_NEGATION = re.compile(r"(?:\bnot|n't|\bnon|\bnever|\bno)[\s-]*$", re.I)
# Where a True/False column is something else than a condition: grouped, measured, plotted, or two groups.
_NOT_A_CONDITION_BEFORE = re.compile(
    rf"(?:\bby|\bper|\beach|\bevery|\bacross|\bagainst|\bvs\.?|\bversus|\bbetween|(?:{OP}|histogram|distribution|"
    r"plot|chart|correlation)(?:\s+of)?)\s+(?:the\s+)?$",
    re.I,
)


def both_values(marked: str, i: int) -> re.Match[str] | None:
    """*returned and not returned*, *returned vs non-returned*: both values of the True/False column ``⟨i⟩``."""
    neg = r"(?:not\s+|non[\s-]*|un)"
    return re.search(
        rf"(?:\bbetween\s+)?(?:the\s+)?({neg})?⟨{i}⟩(?:\s+⟨frame⟩|\s+ones|\s+rows)?\s+(?:and|vs\.?|versus|or)\s+"
        rf"(?:the\s+)?({neg})?⟨{i}⟩",
        marked,
        re.I,
    )


def _true_or_false(marked: str, columns: tuple[str, ...], var: Variable) -> list[tuple[Condition, int, int]]:
    """Conditions on True/False columns: *returned is False*, *where returned*, *returned sales*, *sales that
    weren't returned*, *non-returned* — each with where it is written."""
    found = []
    for i, column in enumerate(columns):
        if not var.boolean(column) or both_values(marked, i):
            continue  # "between returned and not returned": two groups, not a filter
        for m in re.finditer(rf"⟨{i}⟩", marked):
            before, after = marked[: m.start()], marked[m.end() :]
            said = re.match(r"\s*(?:is|==|=|equals?|was|were|are)\s*(not\s+)?(true|false|yes|no|1|0)\b", after, re.I)
            if said:
                value = _TRUE_WORDS[said[2].lower()] != bool(said[1])
                found.append((Condition(column, "==", value), m.start(), m.end() + said.end()))
                continue
            if _NOT_A_CONDITION_BEFORE.search(before) or re.match(
                r"\s*(?:against|vs\.?|versus|and\s+not)\b", after, re.I
            ):
                continue
            negation = _NEGATION.search(before)
            start = negation.start() if negation else m.start()
            found.append((Condition(column, "==", negation is None), start, m.end()))
    return found


# Words that change what a question asks (an order, a limit, a filter, a negation): a parser that did not read
# one must say so, never pass over it as it passes over "the" or "please".
_MEANING = """first last top bottom next previous only not no never without except excluding non above below over
under more less fewer greater higher lower larger smaller bigger between per each every most least
highest lowest largest smallest biggest greatest fewest best worst before after reverse reversed
cheapest unique distinct second third fourth fifth nth"""
MEANING = frozenset(_MEANING.split())


def leftovers(rest: str, read: set[str], *, meaning: bool = False) -> list[str]:
    """Words of ``rest`` (the marked question, filters blanked) that the parser did not read; ``read``: labels
    the request uses (a t-test's groups). ``meaning``: the words that change a question count too (the caller
    blanked the ones it read)."""
    words = re.findall(r"(?<![⟨\w'])[A-Za-z][A-Za-z'-]*", rest.replace("⟨frame⟩", " "))
    bases = [re.sub(r"'(?:s|re|ll|ve|d)$", "", w).rstrip("-") for w in words]
    return list(
        dict.fromkeys(
            w for w in bases if len(w) > 1 and w not in read and (not _common(w) or (meaning and _changes_meaning(w)))
        )
    )


def _changes_meaning(word: str) -> bool:
    low = word.lower()
    return low in MEANING or low.endswith("n't")


def _common(word: str) -> bool:
    """An English or request word, not a label someone gave their rows."""
    low = word.lower()
    return low in FUNCTION_WORDS or low in NOUNS or low in VOCABULARY or re.fullmatch(OP, low) is not None


def example(columns: tuple[str, ...], var: Variable) -> str:
    numeric = [c for c in columns if var.numeric(c)]
    text = [c for c in columns if not var.numeric(c)]
    if numeric and text:
        return f"{numeric[0]} by {text[0]} in {var.name}"
    return f"{(numeric or list(columns) or ['x'])[0]} in {var.name}"
