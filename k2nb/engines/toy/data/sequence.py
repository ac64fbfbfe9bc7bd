"""Statistics of a plain sequence: a list in the kernel, or numbers written in the prompt."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core import Answer, Observation, Unreadable, gist
from ..order import BOTH_WAYS, LARGEST_FIRST, SMALLEST_FIRST, directions
from ..parsing import listed_text
from .code import in_function
from .request import CMP_WORDS, OP_WORDS, Unclear
from .words import BINS, NUM, comparisons, leftovers

_OPS = (
    ("mean", r"\bmean\b|\baverage|\bavg\b"),
    ("median", r"\bmedian"),
    ("std", r"\bstd\b|standard deviation|\bstdev"),
    ("var", r"\bvariance"),
    ("min", r"\bmin(?:imum)?\b|\b(?:smallest|lowest|least)(?:\s+(?:value|number|one|score))?\b"),
    ("max", r"\bmax(?:imum)?\b|\b(?:largest|highest|biggest|greatest)(?:\s+(?:value|number|one|score))?\b"),
    ("sum", r"\bsum\b|\btotal\b|\badd(?:ed)?\s+up\b"),
    # max − min; not "in the range 5 to 9", "range(10)" or "a range of 5 to 9"
    ("range", r"(?<!in\sthe\s)\brange\b(?!\s*(?:\(|of\s+-?[\d.]+\s*(?:to|-|–)\s*-?\d|-?\d|from\b|between\b|to\b))"),
)
_FUNCTIONS = {
    "mean": "statistics.mean",
    "median": "statistics.median",
    "std": "statistics.stdev",
    "var": "statistics.variance",
    "min": "min",
    "max": "max",
    "sum": "sum",
}
_LARGE = ("top", "largest", "highest", "biggest", "greatest", "best")
_SMALL = ("bottom", "smallest", "lowest", "least", "worst")
_TOP = re.compile(
    rf"\b({'|'.join(_LARGE + _SMALL)})\s+(\d+)\b|\b(\d+)\s+({'|'.join(_LARGE + _SMALL)})\b",
    re.I,
)
_ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9}
_RANK_WORDS = "|".join(_LARGE + _SMALL + ("lowest", "least"))
_NTH = re.compile(
    rf"\b({'|'.join(_ORDINALS)}|\d+(?:st|nd|rd|th))[\s-]+({_RANK_WORDS})\b"
    r"(?:\s+(?:value|number|one|score|entry|item)s?\b)?",
    re.I,
)
# "without the lowest one", "excluding the 2 highest scores", "dropping the lowest score"
_DROP = re.compile(
    r"\b(?:without|excluding|except(?:\s+for)?|dropping|drop|ignoring|leaving\s+out|removing|minus)\s+"
    rf"(?:the|its|their)\s+(?:(\d+)\s+)?({_RANK_WORDS})(?:\s+(\d+))?"
    r"(?:\s+(?:value|number|one|score|entry|item|mark|grade)s?\b)?",
    re.I,
)
# "the even scores", "how many are odd": a condition written in the code as ``v % 2 == 0`` (a float
# that is not whole is neither)
PARITY = "% 2 =="
_PARITY_WORDS = {0: "even", 1: "odd"}
_PARITY = re.compile(r"\b(even|odd)\b(?!\s+(?:if|though|when|so|more|less|higher|lower|further|numbered)\b)")
_SORT = re.compile(r"\b(?:sort(?:s|ed|ing)?|order(?:ed)?|arrange[sd]?|rank(?:ed)?|in\s+order)\b", re.I)


@dataclass(frozen=True)
class SequenceRequest:
    ops: tuple[str, ...] = ()
    top: tuple[int, bool] | None = None  # (k, largest first)
    unique: bool = False
    count: bool = False
    plot: str | None = None  # hist | line
    bins: int = 20  # a histogram's bars
    sort: bool | None = None  # sorted, largest first (True) or smallest first (False)
    summary: bool = False  # no specific statistic asked: the usual five
    where: tuple[tuple[str, int | float], ...] = ()  # (op, number): only the values that compare so
    share: bool = False  # what percentage of the values compare so
    of_top: bool = False  # the statistics are of the top values ("the mean of the top 3")
    nth: tuple[int, bool] | None = None  # (k, largest): "the second highest" is the k-th in that order
    drop: tuple[int, bool] | None = None  # (k, largest): the k largest (smallest) values left out first

    def kept(self) -> str:
        """The conditions in words: "above 70 and even"."""
        return " and ".join([*self._compared(), *self.parities()])

    def _compared(self) -> list[str]:
        return [f"{CMP_WORDS[op].removeprefix('is ')} {number}" for op, number in self.where if op != PARITY]

    def parities(self) -> list[str]:
        """The even/odd conditions in words: ["even"], or none."""
        return [_PARITY_WORDS[int(number)] for op, number in self.where if op == PARITY]

    def kept_values(self, source: str = "") -> str:
        """The kept values named: "even values above 70", or with their source "the even values of `scores`"."""
        compared = " and ".join(self._compared())
        values = " ".join([*self.parities(), "values"])
        if source:
            return f"the {values} of {source}" + (f" that are {compared}" if compared else "")
        return values + (f" {compared}" if compared else "")

    def question(self, source: str) -> str:
        values = self.kept_values(source) if self.where else source
        if self.drop:
            k, largest = self.drop
            end = "largest" if largest else "smallest"
            which = f"{end} value" if k == 1 else f"{k} {end} values"
            values = f"{values} without {'their' if self.where else 'its'} {which}"
        if self.of_top and self.top:
            k, largest = self.top
            stats = _join([f"the {OP_WORDS[op]}" for op in self.ops])
            return f"{stats} of the {k} {'largest' if largest else 'smallest'} values of {values}"
        if self.share:
            return f"what percentage of the values of {source} are {self.kept()}"
        asks = [f"the {OP_WORDS[op]}" for op in self.ops]
        if self.summary:
            asks.append("a summary (mean, median, standard deviation, minimum, maximum)")
        if self.top:
            asks.append(f"the {self.top[0]} {'largest' if self.top[1] else 'smallest'} values")
        if self.nth:
            asks.append(f"the {ordinal(self.nth[0])} {'largest' if self.nth[1] else 'smallest'} value")
        if self.unique:
            asks.append("the number of distinct values")
        if self.count:
            asks.append(f"how many values there are{f' that are {self.kept()}' if self.where else ''}")
        if self.plot:
            asks.append(f"a histogram ({self.bins} bins)" if self.plot == "hist" else "a line plot")
        if self.sort is not None:
            asks.append(f"the values sorted, {'largest' if self.sort else 'smallest'} first")
        if self.sort is not None and len(asks) == 1:
            return f"{values} sorted, {'largest' if self.sort else 'smallest'} first"
        if self.count and len(asks) == 1:
            return f"how many values {source} has" + (f" that are {self.kept()}" if self.where else "")
        return f"{_join(asks)} of {values}"


def ordinal(k: int) -> str:
    """2 → "2nd", 11 → "11th", 23 → "23rd"."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _join(parts: list[str]) -> str:
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def read_sequence_request(text: str, read: list[tuple[int, int]], source: str) -> SequenceRequest | Unclear:
    """What ``text`` asks of the sequence ``source``; ``read``: the spans that name it (its variable, or the
    numbers written in the prompt). A word that changes the question and is not read here makes it Unclear."""
    low = text.lower()
    spans = list(read)
    wanted = directions(low)
    if len(wanted) > 1:
        return Unclear(BOTH_WAYS)
    spans += [m.span() for pattern in (LARGEST_FIRST, SMALLEST_FIRST) for m in pattern.finditer(low)]
    where: list[tuple[str, int | float]] = []
    for m, op, number in comparisons(_blank(low, spans)):
        where.append((op, number))
        spans.append(m.span())
    left = _blank(low, spans)  # the lookahead reads the whole prompt: "even higher than 80" is no parity
    parity_m = next((m for m in _PARITY.finditer(low) if left[m.start() : m.end()] == m[0]), None)
    if parity_m:
        where.append((PARITY, 0 if parity_m[1] == "even" else 1))
        spans.append(parity_m.span())
    if where:  # "only the ones over 70": the filter's own words
        spans += [m.span() for m in re.finditer(r"\bonly\b", low)]
    drop = nth = None
    drop_m = _DROP.search(_blank(low, spans))
    if drop_m:
        drop = (int(drop_m[1] or drop_m[3] or 1), drop_m[2].lower() in _LARGE)
        spans.append(drop_m.span())
    nth_m = _NTH.search(_blank(low, spans))
    if nth_m:
        word = nth_m[1].lower()
        nth = (_ORDINALS.get(word) or int(re.sub(r"\D", "", word)), nth_m[2].lower() in _LARGE)
        if wanted and wanted != {nth[1]}:
            return Unclear(BOTH_WAYS)
        spans.append(nth_m.span())
    top_m = _TOP.search(_blank(low, spans))
    top = None
    if top_m:
        word = (top_m[1] or top_m[4]).lower()
        largest = word in _LARGE
        if wanted and wanted != {largest}:
            return Unclear(
                f"You asked for the {word} {top_m[2] or top_m[3]} and for the other order too, so I can't tell which "
                f"values you want: ask for e.g. *the {top_m[2] or top_m[3]} {'largest' if largest else 'smallest'} "
                "values*."
            )
        top = (int(top_m[2] or top_m[3]), largest)
        spans.append(top_m.span())
    rest = _blank(low, spans)
    ops, first_op = [], len(low)
    for op, pattern in _OPS:
        for m in re.finditer(pattern, rest):
            ops.append(op)
            spans.append(m.span())
            first_op = min(first_op, m.start())
    # "the mean of the top 3", "the top 3 scores and their mean"
    their = top_m is not None and re.search(r"\b(?:their|those|these|of\s+them)\b", low[top_m.end() :]) is not None
    of_top = top_m is not None and bool(ops) and (first_op < top_m.start() or their)
    share_m = re.search(r"\bpercent(?:age)?s?\b|\bproportion\b|\bfraction\b|\bshare\b|%", low)
    if share_m and not where:
        return Unclear(
            "You asked for a percentage of the values, but not which ones: say e.g. *what percentage of the "
            "values are above 80*."
        )
    unique = re.search(r"\bunique\b|\bdistinct\b|\bdifferent\b", low) is not None
    count_m = re.search(r"\bcount\b|how many|\blength\b|\bnumber\s+of\s+(?:values|items|numbers|entries)\b", low)
    plot = "hist" if re.search(r"histogram|\bhist\b|distribution", low) else None
    bins_m = BINS.search(_blank(low, spans)) if plot else None
    if bins_m:
        spans.append(bins_m.span())
    if plot is None and re.search(r"\bplot|\bchart|\bgraph|\bdraw", low):
        plot = "line"
    sort_m = _SORT.search(low)
    sort = next(iter(wanted)) if wanted else (False if sort_m else None)
    if top is not None:
        sort = None  # the top k are listed in their order already
    if sort_m:
        spans.append(sort_m.span())
    found = SequenceRequest(
        ops=tuple(dict.fromkeys(ops)),
        top=top,
        unique=unique,
        count=count_m is not None and not unique,
        plot=plot,
        sort=sort,
        where=tuple(where),
        share=share_m is not None,
        of_top=of_top,
        bins=max(1, min(int(bins_m[1]), 500)) if bins_m else 20,
        nth=nth,
        drop=drop,
    )
    asked = found.ops or found.top or found.nth or found.unique or found.count or found.plot or found.sort is not None
    if not asked and not found.share:
        found = SequenceRequest(summary=True, where=found.where, drop=found.drop)
    unread = re.findall(rf"(?<![\w.]){NUM}(?![\w.])", _blank(low, spans)) + leftovers(
        _blank(low, spans), set(), meaning=True
    )
    if unread:
        words = ", ".join(f"“{w}”" for w in unread)
        return Unclear(f"I understood {found.question(source)}, but not {words}, so I didn't compute it.")
    return found


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    out = text
    for a, b in spans:
        out = out[:a] + " " * (b - a) + out[b:]
    return out


def sequence_code(source: str, req: SequenceRequest) -> str:
    """``source``: a Python expression for the values (the user's variable, or a literal list)."""
    imports = ["import statistics"] + (["import matplotlib.pyplot as plt"] if req.plot else [])
    out = [
        "values = []",
        "for v in data:",
        "    try:",
        "        values.append(float(v) if not isinstance(v, int) else v)",
        "    except (TypeError, ValueError):",
        "        pass",
        'print(f"RESULT skipped={len(data) - len(values)}")',
        'print(f"RESULT n={len(values)}")',
    ]
    if req.where:
        test = " and ".join(f"v {op} {number!r}" for op, number in req.where)
        out += [
            "total = len(values)",
            f"values = [v for v in values if {test}]",
            'print(f"RESULT kept={len(values)}")',
        ]
        if req.share:
            out.append('print(f"RESULT share={round(100 * len(values) / max(total, 1), 2)}")')
    if req.drop:
        k, largest = req.drop
        out += [
            f"left_out = sorted(values, reverse={largest})[:{k}]",
            "for v in left_out:  # one at a time, so the rest keep their order",
            "    values.remove(v)",
            'print(f"RESULT left_out={left_out}")',
        ]
    if req.nth:
        k, largest = req.nth
        out += [
            f"ranked = sorted(values, reverse={largest})",
            f'print(f"RESULT nth={{ranked[{k - 1}] if len(ranked) >= {k} else None}}")',
            f"distinct = sorted(set(values), reverse={largest})",
            f'print(f"RESULT nth_distinct={{distinct[{k - 1}] if len(distinct) >= {k} else None}}")',
        ]
    if req.top:
        k, largest = req.top
        out += [f"top = sorted(values, reverse={largest})[:{k}]", 'print(f"RESULT top={top}")']
        if req.of_top:
            out.append("values = top")
    ops = list(req.ops)
    if req.summary:
        ops = ["mean", "median", "std", "min", "max"]
    for op in ops:
        guard = "len(values) > 1" if op in ("std", "var") else "values"
        computed = "max(values) - min(values)" if op == "range" else f"{_FUNCTIONS[op]}(values)"
        out += [
            f"value = {computed}" if op == "sum" else f"value = {computed} if {guard} else None",  # sum([]) is 0
            f'print(f"RESULT {op}={{round(value, 4) if value is not None else None}}")',
        ]
    if req.unique:
        out += ['print(f"RESULT unique={len(set(values))}")']
    if req.sort is not None:
        out += [f"ordered = sorted(values, reverse={req.sort})", 'print(f"RESULT sorted={ordered}")']
    if req.plot:
        draw = f"plt.hist(values, bins={req.bins})" if req.plot == "hist" else "plt.plot(values)"
        out += ["plt.figure(figsize=(7, 4))", draw, "plt.show()", 'print(f"RESULT plotted={len(values)}")']
    return in_function(imports, out, source)


def sequence_answer(req: SequenceRequest, source: str, obs: Observation, described: str = "") -> Answer:
    r = obs.results
    parts = [f"You asked for {req.question(source)}."]
    if described:
        parts.append(described)
    if r.get("skipped", "0") != "0":
        parts.append(f"{r['skipped']} values were not numbers and were skipped.")
    if req.where and "kept" in r:
        parts.append(f"- **{req.kept_values()}:** {r['kept']} of {r.get('n', '?')}")
    elif req.count or req.summary:
        parts.append(f"- **values:** {r.get('n', '?')}")
    if "left_out" in r:
        parts.append(f"- **left out:** {listed_text(r['left_out'])}")
    if "share" in r:
        parts.append(f"- **share:** {r['share']}% of the values")
    if "nth" in r and req.nth:
        k, largest = req.nth
        name = f"{ordinal(k)} {'largest' if largest else 'smallest'}"
        if r["nth"] == "None":
            parts.append(f"- **{name}:** none — there are fewer than {k} values")
        else:
            parts.append(f"- **{name}:** {r['nth']}")
            if r.get("nth_distinct") != r["nth"]:
                other = r.get("nth_distinct")
                parts.append(
                    f"  (a value repeats: counting each distinct value once, the {name} is "
                    f"{other if other != 'None' else 'not there'})"
                )
    for op in ("mean", "median", "std", "var", "min", "max", "sum", "range"):
        if op in r:
            parts.append(f"- **{OP_WORDS[op]}:** {r[op]}")
    if "top" in r and req.top:
        parts.append(f"- **{'largest' if req.top[1] else 'smallest'} values:** {listed_text(r['top'])}")
    if "unique" in r:
        parts.append(f"- **distinct values:** {r['unique']}")
    if "sorted" in r:
        parts.append(f"- **sorted:** {listed_text(r['sorted'])}")
    if "plotted" in r:
        parts.append(f"The chart ({r['plotted']} points) is shown above.")
    if len(parts) <= (2 if described else 1):
        raise Unreadable("a statistic")
    printed = "; ".join(f"{k}={gist(v, 60)}" for k, v in r.items())
    return Answer(
        f"The code printed {gist(printed, 600)}. I'll report those values exactly as printed.", "\n".join(parts)
    )


# Numbers written one after another ("3, 5, 8 and 13"); "between 5 and 10" is a range, not a list.
_NUMBER_LIST = re.compile(r"(?<!between )-?\d+(?:\.\d+)?(?:\s*(?:,\s*and|,|\band\b)\s*-?\d+(?:\.\d+)?)+")


def inline_numbers(text: str) -> tuple[list[int | float], tuple[int, int]] | None:
    """Numbers the prompt gives to compute on (``average of 3, 5, 8 and 13``), with a statistic asked, and
    where they are written."""
    low = text.lower()
    m = _NUMBER_LIST.search(text)
    asked = any(re.search(p, low) for _, p in _OPS) or _TOP.search(low) or re.search(r"\btop\b", low)
    if m is None or not (asked or (re.search(r"\bhow\s+many\b", low) and comparisons(low))):
        return None
    return [float(v) if "." in v else int(v) for v in re.findall(r"-?\d+(?:\.\d+)?", m[0])], m.span()
