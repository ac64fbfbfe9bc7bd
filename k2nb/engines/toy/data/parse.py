"""Reading a data question against the columns that exist: a typed request, or what cannot be done and why."""

from __future__ import annotations

import re
from dataclasses import replace

from ..names import FUNCTION_WORDS, NOUNS
from .knowledge import Variable
from .request import Condition, GroupDifference, Plot, Request, TTest, Unclear

C = r"⟨(\d+)⟩"  # a column mention, once marked
_COLS = rf"{C}(?:\s*(?:,|\band\b|&)\s*(?:the\s+)?{C})*"
_NUM = r"-?\d+(?:\.\d+)?"

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

_OPS = (
    ("mean", r"mean|average|avg"),
    ("median", r"median"),
    ("std", r"std|stdev|standard\s+deviation"),
    ("var", r"variance"),
    ("min", r"min|minimum"),
    ("max", r"max|maximum"),
    ("sum", r"sum|total"),
)
_OP = "|".join(f"(?:{p})" for _, p in _OPS)
_OP_RUN = rf"(?:{_OP})(?:\s*(?:,|\band\b|&)\s*(?:the\s+)?(?:{_OP}))*"
_FILLER = r"(?:\s+(?:of|the|for|in|column|columns|values?|each|all))*"

_UNSUPPORTED = re.compile(
    r"\b(merg\w*|join(?:ed|ing)?|concat\w*|pivot\w*|melt|reshap\w*|renam\w*|imput\w*|fill\s+(?:in\s+)?(?:the\s+)?"
    r"missing|fillna|interpolat\w*|normali[sz]\w*|standardi[sz]\w*|rescal\w*|forecast\w*|predict\w*|train\w*|"
    r"cluster\w*|classif\w*|anova|chi[- ]?squared?|mann[- ]whitney|wilcoxon|kruskal|rolling|moving\s+average|"
    r"resampl\w*|cumulative|cumsum|pca|outliers?|z[- ]?scores?|log[- ]?transform\w*|one[- ]hot|encod\w*|"
    r"dedup\w*|save|export\w*|to_csv|read_csv|load\w*|append\w*|insert\w*|add\s+a\s+column|new\s+column|"
    r"convert\w*|cast\w*|replace\w*|update\w*|set\s+\w+\s+to)\b",
    re.I,
)
_REMOVE = re.compile(
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
        rf"\b(?:{_OP}|histogram|distribution)\s+(?:of\s+)?(?:the\s+)?(?:column\s+)?([A-Za-z_]\w*)",
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
    return not (low in FUNCTION_WORDS or low in NOUNS or low in _IGNORE or re.fullmatch(_OP, low))


def _cols(marked: str, columns: tuple[str, ...], m: re.Match[str] | None, start: int = 0) -> list[str]:
    if m is None:
        return []
    return [columns[int(i)] for i in re.findall(C, m.group(0)[start:])]


def parse(question: str, var: Variable) -> Request | Unclear:
    """The request ``question`` makes of the DataFrame ``var`` (its columns and dtypes known)."""
    columns = var.columns or ()
    marked = mark_columns(question, columns, var.name)
    low = marked.lower()
    unsupported = _UNSUPPORTED.search(low)
    if unsupported:
        return Unclear(
            f"I can't **{unsupported[0]}** yet: the toy engine filters, sorts, groups, counts, summarizes, "
            "correlates, fits lines, runs t-tests and plots, but does no more than that with a DataFrame."
        )
    unknown = unknown_columns(marked)
    if unknown:
        listing = ", ".join(f"`{c}`" for c in columns)
        names = " or ".join(f"`{w}`" for w in unknown)
        return Unclear(f"`{var.name}` has no column named {names}. Its columns are {listing}.")
    mentioned = [columns[int(i)] for i in re.findall(C, marked)]
    req = Request(var.name)
    used: set[str] = set()

    def use(*names: str | None) -> None:
        used.update(n for n in names if n)

    # Rows: which ones (a filter), and whether the question removes them.
    conditions, spans = _conditions(marked, columns, var)
    if isinstance(conditions, Unclear):
        return conditions
    removing = bool(conditions) and _REMOVE.search(marked[: spans[0]]) is not None
    if removing:
        conditions = [c.negated() for c in conditions]
    req = replace(req, where=tuple(conditions), removing=removing)
    use(*(c.column for c in conditions))
    rest = _blank(marked, spans)  # the question without its conditions
    low = rest.lower()

    # Group by.
    group_m = re.search(
        rf"(?:\bgroup(?:ed)?\s+(?:them\s+|it\s+)?by|(?<!sorted )(?<!sort )(?<!ordered )(?<!order )(?<!ranked )\bby|"
        rf"\bper|\bfor\s+(?:each|every)|\bin\s+each|\bacross(?:\s+the)?|\beach)\s+(?:the\s+)?(?:column\s+)?{C}",
        rest,
        re.I,
    )
    ratio_m = re.search(rf"{C}\s+per\s+(?:unit\s+of\s+)?{C}", rest, re.I)
    if ratio_m and all(var.numeric(columns[int(i)]) for i in ratio_m.groups()):
        a, b = (columns[int(i)] for i in ratio_m.groups())
        req = replace(req, ratio=(a, b))
        use(a, b)
        group_m = None
    top_m = re.search(
        r"\b(top|first|largest|highest|biggest|greatest|most|bottom|last|smallest|lowest|least)\s+(\d+)\b|"
        r"\b(\d+)\s+(largest|highest|biggest|greatest|smallest|lowest|least)\b",
        low,
    )
    order_m = re.search(
        rf"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?|arrange[sd]?)\s+(?:them\s+|it\s+|the\s+rows\s+)?(?:by|on)\s+"
        rf"(?:the\s+)?(?:column\s+)?{C}",
        rest,
        re.I,
    )
    if group_m and not (top_m and not _has_op(low) and not order_m and "group" not in low):
        group = columns[int(group_m.group(group_m.lastindex or 1))]
        req = replace(req, group=group)
        use(group)
    elif group_m and top_m:  # "top 5 rows by price": the order, not a group
        order_m = order_m or group_m

    # "Which group has the most rows", "the most common site": rows counted per value of a text column.
    if req.group is None and re.search(
        r"\b(?:most|fewest|least)\s+(?:rows|entries|records|often)\b|most\s+common|\bcommonest|"
        r"\bmost\s+frequent",
        low,
    ):
        labels = [c for c in mentioned if not var.numeric(c)]
        if labels:
            req = replace(req, group=labels[0])
            use(labels[0])

    # Measures: "mean and median of x and y", "x's mean".
    measures: list[tuple[str, str]] = []
    for m in re.finditer(rf"\b({_OP_RUN}){_FILLER}\s*(?:`)?{_COLS}", rest, re.I):
        ops = _ops_in(m[1])
        for column in _cols(rest, columns, m, len(m[1])):
            measures += [(op, column) for op in ops]
    for m in re.finditer(rf"{C}(?:'s)?\s+({_OP_RUN})\b", rest, re.I):
        column = columns[int(m[1])]
        measures += [(op, column) for op in _ops_in(m[2]) if (op, column) not in measures]
    bare_ops = [
        op for m in re.finditer(rf"\b({_OP_RUN})\b", low) for op in _ops_in(m[1]) if op not in {o for o, _ in measures}
    ]
    wants_row = re.search(r"\b(?:which|what)\s+(?:row|rows|one|entry|record)\b|\bwho\b|\bthe\s+rows?\s+with\b", low)
    extreme = re.search(
        rf"\b(highest|largest|biggest|greatest|most|lowest|smallest|least)\s+(?:the\s+)?{C}", rest, re.I
    )
    if extreme and not top_m:
        column = columns[int(extreme[2])]
        largest = extreme[1].lower() in ("highest", "largest", "biggest", "greatest", "most")
        if wants_row:
            req = replace(req, order=(column, largest), limit=1, show=True)
        else:
            measures.append(("max" if largest else "min", column))
        use(column)

    numbers_needed = [c for _, c in measures if not var.numeric(c)]
    if numbers_needed:
        req = replace(req, coerce=tuple(dict.fromkeys(numbers_needed)))
    measures = list(dict.fromkeys(measures))
    if bare_ops and not measures:
        unused_numeric = [c for c in mentioned if var.numeric(c) and c not in used]
        targets = unused_numeric or ([] if mentioned and req.group is None else [c for c in columns if var.numeric(c)])
        if not targets:
            return Unclear(
                f"You asked for the {_words(bare_ops)}, but I can't tell of which column: `{var.name}` has no numeric "
                f"column{' besides those you named' if mentioned else ''}."
            )
        if req.group is not None:
            targets = targets[:1]
        measures = [(op, c) for c in targets for op in bare_ops]
    req = replace(req, measures=tuple(measures))
    use(*(c for _, c in measures))

    # Order and limit.
    if top_m or order_m:
        word = (top_m[1] or top_m[4]).lower() if top_m else ""
        n = int(top_m[2] or top_m[3]) if top_m else None
        largest = word not in ("first", "bottom", "last", "smallest", "lowest", "least") if top_m else False
        if re.search(
            r"\b(?:desc\w*|decreasing|largest\s+first|highest\s+first|high\s+to\s+low|biggest\s+first)\b", low
        ):
            largest = True
        elif re.search(r"\b(?:asc\w*|increasing|smallest\s+first|lowest\s+first|low\s+to\s+high)\b", low):
            largest = False
        by = _order_column(rest, columns, order_m, top_m, measures, var)
        if req.group is not None:
            req = replace(req, limit=n)
        elif by is None and word == "first":
            req = replace(req, limit=n, show=True)
        elif by is None:
            return Unclear(
                f"You asked for the {word} {n}, but not by which column: say *sorted by* one of "
                + ", ".join(f"`{c}`" for c in columns)
                + "."
            )
        else:
            req = replace(req, order=(by, largest), limit=n or (None if order_m else 1), show=True)
            use(by)
            if not measures:
                req = replace(req, measures=())

    # Counting and shares.
    if re.search(
        r"\bhow\s+many\b|\bcount\b|\bnumber\s+of\s+(?:rows|records|entries|observations|samples|items)\b|"
        r"\brow\s+count\b|\bare\s+left\b|\bremain",
        low,
    ):
        distinct = re.search(rf"\bhow\s+many\s+(?:different\s+|distinct\s+|unique\s+)?{C}", rest, re.I)
        if distinct and not var.numeric(columns[int(distinct[1])]) and columns[int(distinct[1])] != req.group:
            req = replace(req, unique=columns[int(distinct[1])])
            use(req.unique)
        elif (not measures or req.where) and not (req.group and not req.where):
            req = replace(req, count=True)
    if re.search(r"\bpercent(?:age)?s?\b|\bproportion\b|\bfraction\b|\bshare\b|%", low):
        if req.where or req.group:
            req = replace(req, share=True, count=False if req.group and not req.where else req.count)
        else:
            return Unclear(
                "You asked for a percentage, but not of which rows: add a condition, e.g. *the "
                f"percentage of rows where `{columns[0] if columns else 'x'}` is …*, or *by* a column."
            )

    # Correlation, summaries, distinct values, missing values, duplicates, percentiles.
    if re.search(r"correlat|\bcorr\b", low):
        pair = [c for c in mentioned if c not in used] or mentioned
        if len(pair) >= 2:
            a, b = pair[0], pair[1]
            text = [c for c in (a, b) if not var.numeric(c)]
            if text:
                label, other = text[0], a if text[0] == b else b
                dtype = (var.dtypes or {}).get(label)
                return Unclear(
                    f"A correlation needs two numeric columns, and `{label}` is not numeric ({dtype}: its values "
                    f"are labels, not numbers). To compare `{other}` across the values of `{label}`, ask for "
                    f"*the mean {other} by {label}*."
                )
            req = replace(req, corr=(a, b))
            use(a, b)
        else:
            numeric = tuple(c for c in pair if var.numeric(c))
            if pair and not numeric:
                return Unclear(f"`{pair[0]}` is not numeric, so it has no correlation to compute.")
            req = replace(req, corr_matrix=numeric)
            use(*numeric)
    if re.search(r"\bdescribe\b|\bsummar\w*|\boverview\b|\bstatistics\b|\bstats\b|\bexplore\b|\blook\s+at\b", low):
        req = replace(req, describe=tuple(c for c in mentioned if c not in used))
        use(*mentioned)
    unique_m = re.search(
        rf"\b(?:unique|distinct|different)\s+(?:values\s+(?:of|in)\s+)?(?:the\s+)?{C}|"
        rf"{C}\s+(?:unique|distinct)",
        rest,
        re.I,
    )
    if unique_m:
        req = replace(req, unique=columns[int(unique_m[1] or unique_m[2])], count=False)
        use(req.unique)
    if re.search(r"\bmissing\b|\bnan\b|\bnulls?\b|\bempty\s+values\b|\bna\s+values\b", low):
        req = replace(req, missing_values=True)
    if re.search(r"\bduplicat", low):
        req = replace(req, duplicates=True)
    pct = re.search(rf"\b(\d+(?:\.\d+)?)(?:st|nd|rd|th)?\s+percentile\s+(?:of\s+)?(?:the\s+)?{C}", rest, re.I)
    if pct:
        req = replace(req, quantile=(float(pct[1]) / 100, columns[int(pct[2])]))
        use(columns[int(pct[2])])

    # Two columns at once: a fitted line, a t-test, a difference.
    req_or = _two_column_parts(req, rest, columns, var, mentioned, used)
    if isinstance(req_or, Unclear):
        return req_or
    req = req_or

    # Plots.
    plot = _plot(rest, columns, var, req, mentioned, used)
    if isinstance(plot, Unclear):
        return plot
    if plot is not None:
        req = replace(req, plot=plot)
        use(plot.x, *plot.ys)

    if re.search(
        r"\bshow\b|\bdisplay\b|\blist\b|\bprint\b|\bwhich\s+rows\b|\bgive\s+me\s+the\s+rows\b|\bhead\b", low
    ) and (req.where or req.order or req.limit):
        req = replace(req, show=True)
    if req.where and not _asks_anything(req):
        req = replace(req, count=True, show=True)
    if not _asks_anything(req):
        if re.search(
            r"\bshow\b|\bdisplay\b|\bprint\b|\bhead\b|\bwhat(?:'s|\s+is)\s+in\b|\btell\s+me\s+about\b", low
        ) or (marked.strip(" ?.!") in ("⟨frame⟩", "")):
            return replace(req, describe=(), show=True)
        return Unclear(
            "I couldn't tell what to compute from that. I can filter rows, sort them, group by a column, count, "
            "take means, medians, sums and other statistics, percentages, correlations, fit a line, run a "
            f"t-test and plot one column against another — e.g. *mean {_example(columns, var)}*."
        )
    left = [c for c in dict.fromkeys(mentioned) if c not in used]
    if left:
        names = ", ".join(f"`{c}`" for c in left)
        return Unclear(
            f"I understood part of it — {req.question()} — but not what to do with {names}. Rephrase it, e.g. "
            f"*mean {left[0]} by …* or *plot {left[0]} against …*."
        )
    return req


def _asks_anything(req: Request) -> bool:
    return any(
        (
            req.measures,
            req.group,
            req.order,
            req.limit,
            req.count,
            req.share,
            req.corr,
            req.corr_matrix is not None,
            req.describe is not None,
            req.unique,
            req.plot,
            req.fit,
            req.ttest,
            req.difference,
            req.paired_difference,
            req.ratio,
            req.quantile,
            req.missing_values,
            req.duplicates,
        )
    )


def _example(columns: tuple[str, ...], var: Variable) -> str:
    numeric = [c for c in columns if var.numeric(c)]
    text = [c for c in columns if not var.numeric(c)]
    if numeric and text:
        return f"{numeric[0]} by {text[0]} in {var.name}"
    return f"{(numeric or list(columns) or ['x'])[0]} in {var.name}"


def _has_op(low: str) -> bool:
    return re.search(rf"\b{_OP_RUN}\b", low) is not None


def _ops_in(run: str) -> list[str]:
    found = []
    for word in re.findall(rf"{_OP}", run, re.I):
        found += [op for op, p in _OPS if re.fullmatch(p, word, re.I)]
    return list(dict.fromkeys(found))


def _words(ops: list[str]) -> str:
    from .request import OP_WORDS

    return " and ".join(OP_WORDS[o] for o in ops)


def _blank(text: str, spans: list[int]) -> str:
    """``text`` with each condition (start, end pairs in ``spans``) blanked out."""
    out = text
    for a, b in zip(spans[::2], spans[1::2], strict=True):
        out = out[:a] + " " * (b - a) + out[b:]
    return out


def _conditions(marked: str, columns: tuple[str, ...], var: Variable) -> tuple[list[Condition] | Unclear, list[int]]:
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
            if not re.fullmatch(_NUM, raw):
                return Unclear(f"`{column}` holds numbers, so I can't compare it with {raw}; give a number."), []
            number: int | float = float(raw) if "." in raw else int(raw)
            found.append(Condition(column, op, number))
        else:
            found.append(Condition(column, op, raw.strip("'\"")))
        spans += [m.start(), m.end()]
    return found, spans


def _order_column(
    rest: str,
    columns: tuple[str, ...],
    order_m: re.Match[str] | None,
    top_m: re.Match[str] | None,
    measures: list[tuple[str, str]],
    var: Variable,
) -> str | None:
    if order_m is not None:
        return columns[int(order_m.group(order_m.lastindex or 1))]
    if top_m is not None:
        after = re.match(
            rf"\s*(?:rows?\s+)?(?:of\s+)?(?:⟨frame⟩\s+)?(?:by\s+)?(?:the\s+)?{C}", rest[top_m.end() :], re.I
        )
        if after:
            return columns[int(after[1])]
    numeric = [c for _, c in measures if var.numeric(c)]
    return numeric[0] if numeric else None


def _two_column_parts(
    req: Request, rest: str, columns: tuple[str, ...], var: Variable, mentioned: list[str], used: set[str]
) -> Request | Unclear:
    low = rest.lower()

    def col(i: str) -> str:
        return columns[int(i)]

    if re.search(
        r"regress|linear\s+(?:regression|fit|model|relationship|trend)|line\s+of\s+best\s+fit|best[- ]fit|"
        r"fit\s+a\s+(?:straight\s+)?line|trend\s*line|least\s+squares|\bslope\b|\bintercept\b|\br2\b|r²|r-squared|r\s+squared",
        low,
    ):
        y_x = re.search(
            rf"{C}\s+(?:on|against|vs\.?|versus|from|by|as\s+a\s+function\s+of)\s+(?:the\s+)?{C}", rest, re.I
        ) or re.search(rf"predict\w*\s+{C}\s+(?:from|using|with|by)\s+{C}", rest, re.I)
        if y_x:
            y, x = col(y_x[1]), col(y_x[2])
        else:
            pair = re.search(rf"(?:between|of|for|through)\s+{C}\s+and\s+{C}", rest, re.I)
            if pair is None:
                return Unclear(
                    "A fitted line needs two columns: say which, e.g. *linear regression of y on x* "
                    f"(with two of {', '.join(f'`{c}`' for c in columns)})."
                )
            x, y = col(pair[1]), col(pair[2])
        text = [c for c in (y, x) if not var.numeric(c)]
        if text:
            return Unclear(f"A least-squares line needs numeric columns, and `{text[0]}` is not numeric.")
        used.update((y, x))
        return replace(req, fit=(y, x), measures=())
    if re.search(r"\bt[- ]?test|\bstudent'?s\s+t\b|\bwelch\b|\bsignifican\w*", low):
        numeric = [c for c in mentioned if var.numeric(c)]
        labels = [c for c in mentioned if not var.numeric(c)]
        value_words = r"(?:'[^']*'|\"[^\"]*\"|[A-Za-z0-9_][\w.-]*)"
        two = re.search(
            rf"\bbetween\s+(?:group\s+)?({value_words})\s+and\s+(?:group\s+)?({value_words})", rest, re.I
        ) or re.search(rf"\b({value_words})\s+(?:vs\.?|versus)\s+({value_words})", rest, re.I)
        groups = (
            (two[1].strip("'\""), two[2].strip("'\""))
            if two and "⟨" not in two[0] and not any(w.lower() in FUNCTION_WORDS for w in two.groups())
            else None
        )
        if len(numeric) >= 2 and not labels and groups is None:
            used.update(numeric[:2])
            return replace(req, ttest=TTest(numeric[0], other=numeric[1]), measures=(), group=None)
        text_columns = tuple(c for c in columns if not var.numeric(c))
        group = req.group or (labels[0] if labels else None) or (text_columns[0] if len(text_columns) == 1 else None)
        value = numeric[0] if numeric else None
        if value is None or (group is None and (groups is None or not text_columns)):
            return Unclear(
                "A t-test compares one numeric column between two groups: say which, e.g. *t-test of "
                f"{_example(columns, var).replace(' by ', ' between two groups of ')}*."
            )
        used.update(c for c in (value, group) if c)
        a, b = groups if groups else (None, None)
        found = TTest(value, group, a, b, candidates=() if group else text_columns)
        return replace(req, ttest=found, measures=(), group=None)
    if re.search(r"\bdifferen(?:ce|t)\b|\bgap\b", low):
        numeric = [c for c in mentioned if var.numeric(c)]
        labels = [c for c in mentioned if not var.numeric(c)]
        two = re.search(
            r"\bbetween\s+('[^']*'|\"[^\"]*\"|[A-Za-z0-9_][\w.-]*)\s+and\s+('[^']*'|\"[^\"]*\"|[A-Za-z0-9_][\w.-]*)",
            rest,
            re.I,
        )
        if two and "⟨" not in two[0]:
            text_columns = tuple(c for c in columns if not var.numeric(c))
            group = req.group or (labels[0] if labels else None)
            group = group or (text_columns[0] if len(text_columns) == 1 else None)
            value = numeric[0] if numeric else (req.measures[0][1] if req.measures else None)
            if value is None or (group is None and not text_columns):
                return Unclear(
                    "For a difference between two groups, name the numeric column, e.g. *difference in "
                    f"mean {_example(columns, var).split(' by ')[0]} between A and B*."
                )
            op = req.measures[0][0] if req.measures else "mean"
            used.update(c for c in (value, group) if c)
            a, b = two[1].strip("'\""), two[2].strip("'\"")
            gap = GroupDifference(op, value, group, a, b, candidates=() if group else text_columns)
            return replace(req, difference=gap, measures=(), group=None)
        if len(numeric) >= 2 and not req.measures:
            used.update(numeric[:2])
            return replace(req, paired_difference=(numeric[0], numeric[1]))
    return req


def _plot(
    rest: str, columns: tuple[str, ...], var: Variable, req: Request, mentioned: list[str], used: set[str]
) -> Plot | Unclear | None:
    low = rest.lower()
    if not re.search(r"\bplot|\bchart|\bgraph|\bdraw|\bvisuali[sz]|\bhistogram|\bhist\b|\bscatter|\bdistribution", low):
        return None
    if re.search(r"histogram|\bhist\b|distribution", low):
        after = re.search(rf"(?:histogram|\bhist|distribution)\w*\s+(?:of\s+)?(?:the\s+)?{_COLS}", rest, re.I)
        shown = [columns[int(i)] for i in re.findall(C, after[0])] if after else []
        shown = shown or [c for c in mentioned if var.numeric(c) and c not in used] or [c for _, c in req.measures]
        if not shown:
            return Unclear(
                "A histogram of which column? Name one of "
                + ", ".join(f"`{c}`" for c in columns if var.numeric(c))
                + "."
            )
        return Plot("hist", None, tuple(dict.fromkeys(shown)))
    if req.group is not None:
        return Plot("bar", req.group, ())
    if req.fit is not None:
        return Plot("scatter", req.fit[1], (req.fit[0],))
    against = re.search(
        rf"{_COLS}\s+(?:against|vs\.?|versus|over|as\s+a\s+function\s+of|by)\s+(?:the\s+)?{C}", rest, re.I
    )
    kind = "line" if re.search(r"\bline\b", low) else "scatter"
    if against:
        ids = re.findall(C, against[0])
        ys, x = tuple(columns[int(i)] for i in ids[:-1]), columns[int(ids[-1])]
    else:
        pair = re.search(rf"scatter\w*\s+(?:plot\s+)?(?:of\s+)?{C}\s+(?:and|,|with)\s+{C}", rest, re.I)
        if pair:
            x, ys = columns[int(pair[1])], (columns[int(pair[2])],)
        else:
            ys = tuple(c for c in mentioned if c not in used) or tuple(c for _, c in req.measures)
            if not ys:
                return Unclear(
                    "A plot of which columns? Say *plot y against x* with two of "
                    + ", ".join(f"`{c}`" for c in columns)
                    + "."
                )
            if kind == "scatter" and len(ys) == 2 and "scatter" in low:
                return Plot("scatter", ys[0], (ys[1],))
            return Plot("lines", None, ys)
    text = [c for c in (*ys, x) if not var.numeric(c)]
    if text and kind == "scatter" and len(text) == len(ys) + 1:
        return Unclear(f"`{text[0]}` is not numeric, so there is nothing to plot on that axis.")
    return Plot(kind, x, ys)
