"""A data question as a typed request: what it asks of one DataFrame, or what cannot be done and why."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from ..order import BOTH_WAYS, directions
from .knowledge import Variable
from .pairs import plot_of, two_column_parts
from .request import NEEDS_NUMBERS, Plot, Request, Unclear
from .words import (
    ADJECTIVE_ORDER,
    BINS,
    COLS,
    EST_ADJECTIVES,
    FILLER,
    OP,
    OP_RUN,
    OPS,
    REMOVE,
    SUPERLATIVES,
    C,
    _common,
    blank_out,
    columns_in,
    conditions,
    contradiction,
    example,
    leftovers,
    mark_columns,
    unknown_columns,
    unmark,
)

_UNSUPPORTED = re.compile(
    r"\b(merg\w*|join(?:ed|ing)?|concat\w*|pivot\w*|melt|reshap\w*|renam\w*|imput\w*|fill\s+(?:in\s+)?(?:the\s+)?"
    r"missing|fillna|interpolat\w*|normali[sz]\w*|standardi[sz]\w*|rescal\w*|forecast\w*|predict\w*(?!\s+⟨\d+⟩\s+(?:from|using|with|by)\s+⟨\d+⟩)|train\w*|"
    r"cluster\w*|classif\w*|anova|chi[- ]?squared?|mann[- ]whitney|wilcoxon|kruskal|rolling|moving\s+average|"
    r"resampl\w*|cumulative|cumsum|pca|outliers?|z[- ]?scores?|log[- ]?transform\w*|one[- ]hot|encod\w*|"
    r"dedup\w*|save|export\w*|to_csv|read_csv|load\w*|append\w*|insert\w*|add\s+a\s+column|new\s+column|"
    r"convert\w*|cast\w*|replace\w*|update\w*|set\s+\w+\s+to)\b",
    re.I,
)


def parse(question: str, var: Variable) -> Request | Unclear:
    """The request ``question`` makes of the DataFrame ``var`` (its columns and dtypes known)."""
    columns = var.columns or ()
    marked = about_the_data(mark_columns(question, columns, var.name))
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
    filters, spans = conditions(marked, columns, var)
    if isinstance(filters, Unclear):
        return filters
    removing = bool(filters) and REMOVE.search(marked[: spans[0]]) is not None
    if removing:
        filters = [c.negated() for c in filters]
    req = replace(req, where=tuple(filters), removing=removing)
    use(*(c.column for c in filters))
    rest = blank_out(marked, spans)  # the question without its conditions
    low = rest.lower()

    # Order: "sorted by price", "sort sales by price from highest to lowest".
    wanted = directions(low)
    if len(wanted) > 1:
        return Unclear(BOTH_WAYS)
    order_m = re.search(
        rf"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?|arrange[sd]?)\s+(?:them\s+|it\s+|the\s+rows\s+|⟨frame⟩\s+)?"
        rf"(?:by|on)\s+(?:the\s+)?(?:column\s+)?{C}",
        rest,
        re.I,
    )
    # Group by.
    group_m = re.search(
        rf"(?:\bgroup(?:ed)?\s+(?:them\s+|it\s+)?by|\bby|\bbetween(?=\s+(?:the\s+)?(?:different\s+)?{C}(?!\s*(?:and|,)))|"
        rf"\bper|\bfor\s+(?:each|every)|\bin\s+each|\bacross(?:\s+the)?|\beach)\s+(?:the\s+)?(?:different\s+)?"
        rf"(?:column\s+)?{C}",
        blank_out(rest, [order_m.start(), order_m.end()]) if order_m else rest,
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
        r"\b(\d+)\s+(largest|highest|biggest|greatest|smallest|lowest|least|top|bottom)\b",
        low,
    )
    # "the 5 sales with the highest price": n rows, ordered by a column.
    rows_with = re.search(
        rf"\b(\d+)\s+(?:⟨frame⟩|rows?|entries|records|items|ones|observations)\s+(?:with|having|that\s+have|of)\s+"
        rf"(?:the\s+)?(highest|largest|biggest|greatest|most|lowest|smallest|least|fewest)\s+(?:the\s+)?{C}",
        rest,
        re.I,
    )
    superlative = _superlative(rest)
    if superlative is not None:
        found = _superlative_order(superlative, rest, columns, var)
        if isinstance(found, Unclear):
            return found
        column, largest, n = found
        req = replace(req, order=(column, largest), limit=n, show=True)
        use(column)
        top_m, order_m, group_m = None, None, None
        rest = blank_out(rest, [superlative.start(), superlative.end()])
        low = rest.lower()
    if rows_with:
        column, n = columns[int(rows_with[3])], int(rows_with[1])
        largest = rows_with[2].lower() in _LARGE
        req = replace(req, order=(column, largest), limit=n, show=True)
        use(column)
        top_m, order_m, group_m = None, None, None
        rest = blank_out(rest, [rows_with.start(), rows_with.end()])
        low = rest.lower()
    if group_m and not (top_m and not _has_op(low) and not order_m and "group" not in low):
        group = columns[int(group_m.group(group_m.lastindex or 1))]
        req = replace(req, group=group)
        use(group)
    elif group_m and top_m:  # "top 5 rows by price": the order, not a group
        order_m = order_m or group_m

    # "Which group has the most rows", "the most common site": rows counted per value of a text column.
    counted_m = re.search(
        r"\b(most|fewest|least)\s+(?:rows|entries|records|often|⟨frame⟩)(?!\w)|\b(most|least)\s+(?:common|frequent|popular)\b|"
        r"\b(commonest|rarest)\b|\b(?:the\s+)?(largest|smallest|highest|lowest|biggest|greatest)\s+(?:number|count)\s+of\s+"
        r"(?:rows|entries|records|⟨frame⟩)(?!\w)",
        low,
    )
    if req.group is None and counted_m:
        labels = [c for c in mentioned if not var.numeric(c)]
        if labels:
            word = next(w for w in counted_m.groups() if w)
            largest = word in ("most", "commonest", "largest", "highest", "biggest", "greatest")
            req = replace(req, group=labels[0], group_largest=largest)
            use(labels[0])

    # "Which class has the highest average score": a grouped table, its first row the answer.
    # "The 3 regions with the lowest total qty": the same table, its first 3 rows.
    best = re.search(
        rf"(?:\b(?:which|what)|\b(\d+))\s+{C}\s+(?:\w+\s+){{0,2}}?(?:the\s+)?(highest|largest|biggest|greatest|best|"
        rf"most|top|lowest|smallest|least|worst|fewest|bottom)\s+(?:({OP_RUN})\s+)?(?:of\s+)?(?:the\s+)?{C}",
        rest,
        re.I,
    )
    measures: list[tuple[str, str]] = []
    if best and req.group is None and not var.numeric(columns[int(best[2])]) and var.numeric(columns[int(best[5])]):
        group, value = columns[int(best[2])], columns[int(best[5])]
        largest = best[3].lower() in ("highest", "largest", "biggest", "greatest", "best", "most", "top")
        if wanted and wanted != {largest}:
            return Unclear(
                f"You asked for the {best[3].lower()} and for the other order too, so I can't tell which "
                f"`{group}` you mean: ask for one, e.g. *which {group} has the {best[3].lower()} … *."
            )
        if best[1]:
            req = replace(req, limit=int(best[1]))
        rest = rest[: best.start()] + " " * (best.end() - best.start()) + rest[best.end() :]
        low = rest.lower()
        # "which region sold the most qty in total": the statistic may come after the column
        ops = (
            _ops_in(best[4] or "")
            or _ops_in(" ".join(re.findall(rf"\b(?:{OP})\b", low)))
            or ["max" if largest else "min"]
        )
        req = replace(req, group=group, group_largest=largest)
        measures = [(op, value) for op in ops]
        use(group, value)

    # Measures: "mean and median of x and y", "x's mean".
    for m in re.finditer(rf"\b({OP_RUN}){FILLER}\s*(?:`)?{COLS}", rest, re.I):
        ops = _ops_in(m[1])
        for column in columns_in(rest, columns, m, len(m[1])):
            measures += [(op, column) for op in ops]
    for m in re.finditer(rf"{C}(?:'s)?\s+({OP_RUN})\b", rest, re.I):
        column = columns[int(m[1])]
        measures += [(op, column) for op in _ops_in(m[2]) if (op, column) not in measures]
    bare_ops = [
        op for m in re.finditer(rf"\b({OP_RUN})\b", low) for op in _ops_in(m[1]) if op not in {o for o, _ in measures}
    ]
    wants_row = re.search(
        r"\b(?:which|what)\s+(?:row|rows|one|entry|record|⟨frame⟩)(?!\w)|\bwho\b|\bthe\s+(?:rows?|⟨frame⟩)\s+with\b",
        low,
    )
    extreme = re.search(
        rf"\b(highest|largest|biggest|greatest|most|lowest|smallest|least)\s+(?:the\s+)?{C}", rest, re.I
    )
    if extreme and not top_m and not best:
        column = columns[int(extreme[2])]
        largest = extreme[1].lower() in ("highest", "largest", "biggest", "greatest", "most")
        if wants_row:
            req = replace(req, order=(column, largest), limit=1, show=True)
        else:
            measures.append(("max" if largest else "min", column))
        use(column)

    numbers_needed = [c for op, c in measures if not var.numeric(c) and op in NEEDS_NUMBERS]
    if numbers_needed:
        req = replace(req, coerce=tuple(dict.fromkeys(numbers_needed)))
    measures = list(dict.fromkeys(measures))
    if bare_ops and measures:  # "the mean of price, and the median": the same columns
        measured = list(dict.fromkeys(c for _, c in measures))
        measures += [(op, c) for op in bare_ops for c in measured if (op, c) not in measures]
    elif bare_ops:
        quantities = var.quantities()
        targets = [c for c in mentioned if var.numeric(c) and c not in used]
        if not targets:  # no column named for it: every numeric one, or for a grouped table the only one
            targets = quantities if req.group is None or len(quantities) == 1 else []
        if not targets:
            listed = ", ".join(f"`{c}`" for c in quantities)
            return Unclear(
                f"You asked for the {_words(bare_ops)}, but I can't tell of which column"
                + (
                    f": name one of {listed}, e.g. *{_words(bare_ops[:1])} {quantities[0]} by {req.group}*."
                    if quantities
                    else f": `{var.name}` has no numeric column."
                )
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
        largest = word in _LARGE or word in ("top", "last")  # the last rows of a sort are its largest
        if wanted:
            if word in _LARGE + _SMALL and wanted != {largest}:
                return Unclear(
                    f"You asked for the {word} {n} and for the other order too, so I can't tell which rows you "
                    f"want: ask for e.g. *the {n} rows with the {'highest' if largest else 'lowest'} …*."
                )
            largest = next(iter(wanted)) != (word in ("last", "bottom"))
        by = _order_column(rest, columns, order_m, top_m, measures, var)
        if req.group is not None:
            req = replace(req, limit=n, group_largest=largest if (word or wanted) else req.group_largest)
        elif by is None and word in ("first", "last"):
            req = replace(req, limit=n, show=True, tail=word == "last")
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
    elif wanted and req.group is not None:  # "mean price per region, lowest first"
        req = replace(req, group_largest=next(iter(wanted)))
    elif wanted and req.order is not None and req.order[1] != next(iter(wanted)):
        return Unclear(
            f"You asked for the {'largest' if req.order[1] else 'smallest'} `{req.order[0]}` and for the other "
            "order too, so I can't tell which rows you want."
        )

    # Counting and shares.
    if re.search(
        r"\bhow\s+many\b(?!\s+(?:missing|duplicat\w*|distinct|unique|different|columns)\b)|\bcount\b|"
        r"\bnumber\s+of\s+(?:rows|records|entries|observations|samples|items)\b|"
        r"\brow\s+count\b|\bare\s+left\b|\bremain",
        low,
    ):
        distinct = re.search(rf"\bhow\s+many\s+(?:different\s+|distinct\s+|unique\s+)?{C}", rest, re.I)
        counted = columns[int(distinct[1])] if distinct else None
        if counted and req.group and counted != req.group and not var.numeric(counted) and not measures:
            measures = [("nunique", counted)]  # "how many students in each class": distinct students per class
            req = replace(req, measures=tuple(measures))
            use(counted)
        elif counted and not var.numeric(counted) and counted != req.group and not req.where:
            req = replace(req, unique=counted)
            use(req.unique)
        elif (not measures or req.where) and not (req.group and not req.where):
            req = replace(req, count=True)
    share_m = re.search(r"\bpercent(?:age)?s?\b|\bproportion\b|\bfraction\b|\bshare\b|%", low)
    if share_m:
        if req.where or req.group:
            req = replace(req, share=True, count=False if req.group else req.count)
            # "what share of the north sales were returned": the conditions in "of …" are the whole
            verb = re.compile(r"\b(?:were|was|are|is|have|has|had|that|which|who|with|where|got|get)\b", re.I)
            stop = verb.search(marked, share_m.end())
            end = stop.start() if stop else len(marked)
            inside = [share_m.end() <= spans[2 * i] < end for i in range(len(req.where))]
            if any(inside) and not all(inside):
                within = tuple(c for c, i in zip(req.where, inside, strict=True) if i)
                where = tuple(c for c, i in zip(req.where, inside, strict=True) if not i)
                req = replace(req, within=within, where=where)
        else:
            return Unclear(
                "You asked for a percentage, but not of which rows: add a condition, e.g. *the "
                f"percentage of rows where `{columns[0] if columns else 'x'}` is …*, or *by* a column."
            )

    # "How does x relate to dose": their correlation, and a scatter plot of one against the other.
    relate = re.search(
        rf"{C}\s+(?:\w+\s+)?(?:relate[sd]?|associated|linked|connected)\s+(?:to|with)\s+(?:the\s+)?{C}|"
        rf"\b(?:relationship|relation|association|link|connection)\s+between\s+{C}\s+and\s+{C}",
        rest,
        re.I,
    )
    if relate and not re.search(r"correlat|\bcorr\b|regress|best[- ]fit|fit\s+a", low):
        ids = [int(i) for i in relate.groups() if i is not None]
        y, x = columns[ids[0]], columns[ids[1]]
        if var.numeric(y) and var.numeric(x):
            req = replace(req, corr=(y, x), plot=Plot("scatter", x, (y,)))
            use(y, x)

    # Correlation, summaries, distinct values, missing values, duplicates, percentiles.
    if re.search(r"correlat|\bcorr\b", low) and req.corr is None:
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
    # "what are the columns of sales", "what columns does df have", "describe sales": its columns, types and size
    structure_m = _STRUCTURE.search(rest)
    if structure_m or (req.describe == () and re.search(r"\bdescribe\b", low)):
        req = replace(req, structure=True)
        if structure_m:  # its words are read: "names", "shape", "how big"
            rest = blank_out(rest, [structure_m.start(), structure_m.end()])
            low = rest.lower()
    unique_m = re.search(
        rf"\b(?:unique|distinct|different)\s+(?:values\s+(?:of|in)\s+)?(?:the\s+)?{C}|"
        rf"{C}\s+(?:unique|distinct)|^\s*(?:list|name|what\s+are)\s+(?:all\s+)?(?:the\s+)?{C}s?\s*[?.!]?\s*$",
        rest,
        re.I,
    )
    if unique_m:
        req = replace(req, unique=columns[int(next(g for g in unique_m.groups() if g))], count=False)
        use(req.unique)
    if re.search(r"\bmissing\b|\bnan\b|\bnulls?\b|\bempty\s+values\b|\bna\s+values\b", low):
        req = replace(req, missing_values=True)
    if re.search(r"\bduplicat", low):
        req = replace(req, duplicates=True)
    pct = re.search(rf"\b(\d+(?:\.\d+)?)(?:st|nd|rd|th)?\s+percentile\s+(?:of\s+)?(?:the\s+)?{C}", rest, re.I)
    if pct:
        req = replace(req, quantile=(float(pct[1]) / 100, columns[int(pct[2])]))
        use(columns[int(pct[2])])

    # "compare the price of returned and kept sales": a True/False column's two sides, like "compare price
    # between regions" (the mean for True and for False), not the rows of one side.
    sides = _both_sides(rest, req, spans, var) if not removing else None
    if sides is not None:
        req = replace(req, where=(), group=sides[0], count=False, show=False)
        use(sides[0])
        rest = blank_out(rest, list(sides[1:]))
        low = rest.lower()

    # Two columns at once: a fitted line, a t-test, a difference.
    req_or = two_column_parts(req, rest, columns, var, mentioned, used)
    if isinstance(req_or, Unclear):
        return req_or
    req = req_or

    # Plots. "Plot score by class": the mean score of each class, as bars.
    plot = None if req.plot else plot_of(rest, columns, var, req, mentioned, used)
    if isinstance(plot, Plot) and plot.kind == "bar" and not req.measures:
        averaged = next((c for c in mentioned if var.numeric(c) and c not in used), None)
        if averaged is not None:
            req = replace(req, measures=(("mean", averaged),))
            use(averaged)
    if isinstance(plot, Unclear):
        return plot
    bins_m = BINS.search(rest)
    if isinstance(plot, Plot) and plot.kind == "hist" and bins_m:
        plot = replace(plot, bins=max(1, min(int(bins_m[1]), 500)))
    if plot is not None:
        req = replace(req, plot=plot)
        use(plot.x, *plot.ys)

    if re.search(
        r"\bshow\b|\bdisplay\b|\blist\b|\bprint\b|\bwhich\s+rows\b|\bgive\s+me\s+the\s+rows\b|\bhead\b", low
    ) and (req.where or req.order or req.limit):
        req = replace(req, show=True)
    if req.where and not _asks_anything(req):
        req = replace(req, count=True, show=True)
    if req.count or req.share or req.show or req.order:  # "show me the students with …": the rows themselves
        subject = (
            r"\b(?:show(?:\s+me)?|list|which|who|how\s+many|(?:fraction|percentage|share|proportion|number)\s+of|"
            rf"all)\s+(?:the\s+)?{C}"
        )
        use(*(columns[int(i)] for i in re.findall(subject, rest, re.I)))
    if not _asks_anything(req):
        if re.search(
            r"\bshow\b|\bdisplay\b|\bprint\b|\bhead\b|\bwhat(?:'s|\s+is)\s+in\b|\btell\s+me\s+about\b", low
        ) or (marked.strip(" ?.!") in ("⟨frame⟩", "")):
            req = replace(req, describe=(), show=True)  # what is in it: its first rows and a summary
        else:
            return Unclear(
                "I couldn't tell what to compute from that. I can filter rows, sort them, group by a column, count, "
                "take means, medians, sums and other statistics, percentages, correlations, fit a line, run a "
                f"t-test and plot one column against another — e.g. *mean {example(columns, var)}*."
            )
    pairs = [(req.ttest.a, req.ttest.b)] if req.ttest else []
    pairs += [(req.difference.a, req.difference.b)] if req.difference else []
    labels_read = {str(v) for pair in pairs for v in pair if v}
    read = (top_m, pct, bins_m if req.plot and req.plot.kind == "hist" else None)
    read_spans = [span for m in read if m is not None for span in (m.start(), m.end())]
    numbers = re.findall(r"(?<![⟨\w.])-?\d+(?:\.\d+)?(?![\w⟩])", blank_out(rest, read_spans))
    unread = [n for n in numbers if n not in labels_read] + leftovers(rest, labels_read) + unexplained(rest, req)
    clash = contradiction(filters, spans, marked) if not req.removing else None
    if clash is not None:
        also = ", ".join(f"“{w}”" for w in dict.fromkeys(unread))
        return Unclear(clash.reason + (f" (Nor did I understand {also}.)" if unread else ""))
    if unread:
        words = ", ".join(f"“{w}”" for w in dict.fromkeys(unread))
        labels = [c for c in columns if not var.numeric(c)]
        row_label = next((w for w in unread if re.fullmatch(r"[A-Za-z][\w.-]*", w) and not _common(w)), None)
        hint = (
            f" If “{row_label}” names rows, say which column holds it, e.g. *where {labels[0]} is {row_label}*."
            if labels and row_label
            else ""
        )
        return Unclear(f"I understood {req.question()}, but not {words}, so I didn't compute it.{hint}")
    left = [c for c in dict.fromkeys(mentioned) if c not in used]
    if left:
        names = ", ".join(f"`{c}`" for c in left)
        return Unclear(
            f"I understood part of it — {req.question()} — but not what to do with {names}. Rephrase it, e.g. "
            f"*mean {left[0]} by …* or *plot {left[0]} against …*."
        )
    return req


# Words that change a question, and the parts of a request that read them: a word whose part is missing was
# not understood (the question would be answered without it), so the toy says so instead.
_MEANING_PARTS: tuple[tuple[str, Callable[[Request], object]], ...] = (
    (
        r"\b(?:top|bottom|first|last|highest|lowest|largest|smallest|biggest|greatest|fewest|best|worst)\b|"
        r"(?<!\bat )\b(?:most|least)\b",
        lambda r: r.order or r.limit or r.group or r.unique or any(op in ("max", "min") for op, _ in r.measures),
    ),
    (
        r"\b(?:not|never|without|except|excluding|non)\b|n't\b",
        lambda r: r.removing or any(c.op == "!=" or c.value is False for c in r.where) or r.ttest or r.difference,
    ),
    (
        r"\b(?:above|below|over|under|fewer|greater|higher|lower|larger|smaller|bigger|exceed\w*|than)\b|"
        r"\b(?:more|less)\s+than\b|\bat\s+(?:least|most)\b",
        lambda r: any(c.op in ("<", ">", "<=", ">=") for c in r.where) or r.plot,
    ),
    (r"\bonly\b", lambda r: r.where),
    (
        r"\b(?:second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|nth|\d+(?:st|nd|rd|th))\b",
        lambda r: r.quantile,
    ),
    (
        r"\b(?:per|each|every)\b",
        lambda r: r.group or r.ratio or r.corr_matrix is not None or r.describe is not None or r.missing_values,
    ),
)


def unexplained(rest: str, req: Request) -> list[str]:
    """The words of ``rest`` that change a question and that no part of ``req`` reads."""
    found = []
    for pattern, reads in _MEANING_PARTS:
        if not reads(req):
            found += [m[0] for m in re.finditer(pattern, rest, re.I)]
    return found


_LARGE = ("largest", "highest", "biggest", "greatest", "most")
_SMALL = ("smallest", "lowest", "least", "fewest")
_HINTS = {
    "expensive": ("price", "cost", "amount", "value"),
    "costly": ("price", "cost"),
    "pricey": ("price", "cost"),
    "cheap": ("price", "cost", "amount", "value"),
    "inexpensive": ("price", "cost"),
    "oldest": ("age", "year", "date"),
    "youngest": ("age", "year", "date"),
    "newest": ("date", "year", "time"),
    "latest": ("date", "year", "time"),
    "earliest": ("date", "year", "time"),
    "longest": ("length", "duration", "time", "distance"),
    "shortest": ("length", "duration", "time", "height"),
    "tallest": ("height",),
    "heaviest": ("weight", "mass"),
    "lightest": ("weight", "mass"),
    "fastest": ("speed", "time"),
    "slowest": ("speed", "time"),
    "items": ("qty", "quantity", "items", "units", "count", "number"),
    "units": ("qty", "quantity", "units", "count"),
}
_ROWS = """rows row entries records often common frequent frequently times observations popular"""
_ROWS_WORDS = frozenset(_ROWS.split())


def _superlative(rest: str) -> re.Match[str] | None:
    """A superlative whose column is not written before it: *the 3 most expensive sales*, *the cheapest*,
    *the most items* (a column-like word that is no column)."""
    est = "|".join(SUPERLATIVES)
    for m in re.finditer(
        rf"(?:\b(\d+)\s+)?\b(?:(most|least)\s+([A-Za-z][\w-]*)|({est}))\b"
        rf"(?:\s+(?:⟨frame⟩|rows?|ones?|entries|records|items))?(?:\s+(?:by|in\s+terms\s+of|based\s+on)\s+"
        rf"(?:the\s+)?{C})?",
        rest,
        re.I,
    ):
        word = (m[3] or m[4]).lower()
        if word in _ROWS_WORDS or (m[3] and _common(word) and word not in ("items", "units", "things", "stuff")):
            continue  # "the most rows", "most common": counted rows, read below; "most of" is no superlative
        return m
    return None


def _superlative_order(
    m: re.Match[str], rest: str, columns: tuple[str, ...], var: Variable
) -> tuple[str, bool, int | None] | Unclear:
    """The order a superlative asks for, (column, largest first, how many), or why it can't tell."""
    word = (m[3] or m[4]).lower()
    if re.match(r"\s+first\b", rest[m.end() :], re.I):  # "sorted by opened, oldest first": which way is that?
        return Unclear(
            f"I can't tell which way “{word} first” sorts (is a larger value {word} or the opposite?), so I didn't "
            "sort. Say *ascending* (smallest first) or *descending* (largest first)."
        )
    adjective, largest = EST_ADJECTIVES.get(word, (word, None))
    if m[2] is not None:
        largest = (m[2].lower() == "most") == ADJECTIVE_ORDER.get(word, True)
    numeric = var.quantities()
    known = largest is not None and word in (*ADJECTIVE_ORDER, *EST_ADJECTIVES)
    if m[5] is not None and known:
        return columns[int(m[5])], bool(largest), int(m[1]) if m[1] else 1
    before = re.search(rf"{C}\s+of\s+(?:the\s+)?$", rest[: m.start()], re.I)  # "the price of the cheapest sale"
    if before is not None and known and var.numeric(columns[int(before[1])]):
        return columns[int(before[1])], bool(largest), int(m[1]) if m[1] else 1
    hinted = [c for c in numeric if any(h in str(c).lower() for h in _HINTS.get(adjective, ()))]
    listed = ", ".join(f"`{c}`" for c in numeric)
    guess = " or ".join(f"`{c}`" for c in hinted)
    shown = f"{guess}? Its numeric columns are {listed}" if hinted else f"its numeric columns are {listed}"
    phrase = unmark(m[0], columns, var.name).split(" by ")[0].strip()
    example_column = (hinted or numeric or ["x"])[0]
    n = f"{m[1]} " if m[1] else ""
    extreme = "lowest" if largest is False else "highest"
    which = re.search(rf"\b(?:which|what)\s+{C}", rest, re.I)  # "which region sold the most items in total"
    if which and not var.numeric(columns[int(which[1])]):
        total = " total" if re.search(r"\b(?:total|in\s+all|altogether|overall)\b", rest, re.I) else ""
        example_ask = f"which {columns[int(which[1])]} has the {extreme}{total} {example_column}"
    else:
        example_ask = f"the {n}rows with the {extreme} {example_column}"
    return Unclear(
        f"I can't tell which column “{word}” refers to ({shown}), so I didn't compute “{phrase}”. Ask with the "
        f"column, e.g. *{example_ask}*."
    )


# A question about the frame's make-up: its columns, their types, its size.
_STRUCTURE = re.compile(
    r"(?i)\b(?:what|which|list|show|name|give|tell|print|display|how\s+many)\b(?:\s+(?!⟨)[\w']+){0,3}?\s+columns\b|"
    r"\bcolumn\s+names\b|\bnames\s+of\s+(?:the\s+|its\s+)?columns\b|\bd\s?types?\b|\bdata\s*types?\b|"
    r"\bshape\b|\bdimensions?\b|\bhow\s+(?:big|large)\s+is\b"
)


_OTHER_SIDE = re.compile(
    r"\s*(?:⟨frame⟩\s+|ones\s+|rows\s+)?(?:and|vs\.?|versus|against|with|to|or)\s+(?:the\s+|all\s+(?:the\s+)?)?"
    r"(?:kept|others?|rest|remaining|remainder|everything\s+else|other\s+(?:ones|rows|⟨frame⟩))\b"
    r"(?:\s+(?:ones|rows|⟨frame⟩))?",
    re.I,
)


def _both_sides(rest: str, req: Request, spans: list[int], var: Variable) -> tuple[str, int, int] | None:
    """A True/False column whose other side *compare … of returned and kept sales* names (*kept*, *the
    others*, *the rest*): (the column, where the other side is written), or None."""
    if req.group is not None or len(req.where) > 1 or not re.search(r"\bcompar", rest, re.I):
        return None
    if req.where:  # "returned" read as a condition: its other side follows it
        condition = req.where[0]
        ends = [(condition.column, spans[1])] if isinstance(condition.value, bool) else []
    else:  # "compare price for returned vs the others": no condition, the column is named
        columns = var.columns or ()
        ends = [(columns[int(m[1])], m.end()) for m in re.finditer(C, rest)]
    for column, end in ends:
        other = _OTHER_SIDE.match(rest, end) if var.boolean(column) else None
        if other:
            return column, end, other.end()
    return None


def about_the_data(marked: str) -> str:
    """The sentences that name a column or the frame; the others are the user's remarks ("I call anything
    above 0.5 strong.", "Look at it with `inspect_variable` first.") — unless no sentence names any."""
    sentences = re.split(r"(?<=[.!?;])\s+", marked.strip())
    naming = [s for s in sentences if "⟨" in s]
    return " ".join(naming) if naming and len(naming) < len(sentences) else marked


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
            req.structure,
            req.duplicates,
        )
    )


def _has_op(low: str) -> bool:
    return re.search(rf"\b{OP_RUN}\b", low) is not None


def _ops_in(run: str) -> list[str]:
    found = []
    for word in re.findall(rf"{OP}", run, re.I):
        found += [op for op, p in OPS if re.fullmatch(p, word, re.I)]
    return list(dict.fromkeys(found))


def _words(ops: list[str]) -> str:
    from .request import OP_WORDS

    return " and ".join(OP_WORDS[o] for o in ops)


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
