"""Statistics of a plain sequence: a list in the kernel, or numbers written in the prompt."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core import Answer, Observation, Unreadable, gist
from ..parsing import listed_text
from .code import in_function
from .request import OP_WORDS

_OPS = (
    ("mean", r"\bmean\b|\baverage|\bavg\b"),
    ("median", r"\bmedian"),
    ("std", r"\bstd\b|standard deviation|\bstdev"),
    ("var", r"\bvariance"),
    ("min", r"\bmin(?:imum)?\b|\bsmallest value|\blowest value"),
    ("max", r"\bmax(?:imum)?\b|\blargest value|\bhighest value"),
    ("sum", r"\bsum\b|\btotal\b"),
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


@dataclass(frozen=True)
class SequenceRequest:
    ops: tuple[str, ...] = ()
    top: tuple[int, bool] | None = None  # (k, largest first)
    unique: bool = False
    count: bool = False
    plot: str | None = None  # hist | line
    sort: bool | None = None  # sorted, largest first (True) or smallest first (False)
    summary: bool = False  # no specific statistic asked: the usual five

    def question(self, source: str) -> str:
        asks = [f"the {OP_WORDS[op]}" for op in self.ops]
        if self.summary:
            asks.append("a summary (mean, median, standard deviation, minimum, maximum)")
        if self.top:
            asks.append(f"the {self.top[0]} {'largest' if self.top[1] else 'smallest'} values")
        if self.unique:
            asks.append("the number of distinct values")
        if self.count:
            asks.append("how many values there are")
        if self.plot:
            asks.append("a histogram" if self.plot == "hist" else "a line plot")
        if self.sort is not None:
            asks.append(f"the values sorted, {'largest' if self.sort else 'smallest'} first")
        if self.sort is not None and len(asks) == 1:
            return f"the values of {source} sorted, {'largest' if self.sort else 'smallest'} first"
        text = ", ".join(asks[:-1]) + (" and " if len(asks) > 1 else "") + asks[-1]
        return f"{text} of {source}"


def read_sequence_request(low: str) -> SequenceRequest:
    top = re.search(r"\b(top|largest|highest|biggest|bottom|smallest|lowest)\s+(\d+)\b", low)
    plot = "hist" if re.search(r"histogram|\bhist\b|distribution", low) else None
    if plot is None and re.search(r"\bplot|\bchart|\bgraph|\bdraw", low):
        plot = "line"
    ops = tuple(op for op, p in _OPS if re.search(p, low))
    if top:
        ops = tuple(o for o in ops if o not in ("min", "max", "sum"))
    found = SequenceRequest(
        ops=ops,
        top=(int(top[2]), top[1] in ("top", "largest", "highest", "biggest")) if top else None,
        unique=re.search(r"\bunique\b|\bdistinct\b", low) is not None,
        count=re.search(r"\bcount\b|how many|\blength\b", low) is not None,
        plot=plot,
        sort=(re.search(r"\bdesc\w*|\blargest\s+first|\breverse|\bdecreasing", low) is not None)
        if re.search(r"\bsort|\border\b", low)
        else None,
    )
    asked = found.ops or found.top or found.unique or found.count or found.plot or found.sort is not None
    return found if asked else SequenceRequest(summary=True)


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
    ops = list(req.ops)
    if req.summary:
        ops = ["mean", "median", "std", "min", "max"]
    for op in ops:
        guard = "len(values) > 1" if op in ("std", "var") else "values"
        out += [
            f"value = {_FUNCTIONS[op]}(values) if {guard} else None",
            f'print(f"RESULT {op}={{round(value, 4) if value is not None else None}}")',
        ]
    if req.top:
        k, largest = req.top
        out += [f"top = sorted(values, reverse={largest})[:{k}]", 'print(f"RESULT top={top}")']
    if req.unique:
        out += ['print(f"RESULT unique={len(set(values))}")']
    if req.sort is not None:
        out += [f"ordered = sorted(values, reverse={req.sort})", 'print(f"RESULT sorted={ordered}")']
    if req.plot:
        draw = "plt.hist(values, bins=20)" if req.plot == "hist" else "plt.plot(values)"
        out += ["plt.figure(figsize=(7, 4))", draw, "plt.show()", 'print(f"RESULT plotted={len(values)}")']
    return in_function(imports, out, source)


def sequence_answer(req: SequenceRequest, source: str, obs: Observation, described: str = "") -> Answer:
    r = obs.results
    parts = [f"You asked for {req.question(source)}."]
    if described:
        parts.append(described)
    if r.get("skipped", "0") != "0":
        parts.append(f"{r['skipped']} values were not numbers and were skipped.")
    if req.count or req.summary:
        parts.append(f"- **values:** {r.get('n', '?')}")
    for op in ("mean", "median", "std", "var", "min", "max", "sum"):
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


_NUMBER_LIST = re.compile(r"-?\d+(?:\.\d+)?(?:\s*(?:,\s*and|,|\band\b)\s*-?\d+(?:\.\d+)?)+")


def inline_numbers(text: str) -> list[int | float] | None:
    """Numbers the prompt gives to compute on (``average of 3, 5, 8 and 13``), with a statistic asked."""
    low = text.lower()
    m = _NUMBER_LIST.search(text)
    if m is None or not (any(re.search(p, low) for _, p in _OPS) or re.search(r"\btop\b", low)):
        return None
    return [float(v) if "." in v else int(v) for v in re.findall(r"-?\d+(?:\.\d+)?", m[0])]
