"""The parts of a request that take two columns: a fitted line, a t-test, a difference; and the plot."""

from __future__ import annotations

import re
from dataclasses import replace

from ..names import FUNCTION_WORDS
from .knowledge import Variable
from .request import GroupDifference, Plot, Request, TTest, Unclear
from .words import COLS, C, both_values, example


def two_column_parts(
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
    two_values = _true_and_false(rest, columns, var)
    if re.search(r"\bt[- ]?test|\bstudent'?s\s+t\b|\bwelch\b|\bsignifican\w*", low):
        numeric = [c for c in mentioned if var.numeric(c) and not var.boolean(c)]
        if two_values and numeric:  # "t-test of price between returned and not returned sales"
            column, first, second = two_values
            used.update((numeric[0], column))
            return replace(req, ttest=TTest(numeric[0], column, first, second), measures=(), group=None)
        labels = [c for c in mentioned if not var.numeric(c)]
        value_words = r"(?:'[^']*'|\"[^\"]*\"|[A-Za-z0-9_][\w.-]*)"
        two = _two_labels(rest) or re.search(rf"\b({value_words})\s+(?:vs\.?|versus)\s+({value_words})", rest, re.I)
        groups = (
            (two[1].strip("'\""), two[2].strip("'\""))
            if two and "⟨" not in two[1] + two[2] and not any(w.lower() in FUNCTION_WORDS for w in two.groups())
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
                f"{example(columns, var).replace(' by ', ' between two groups of ')}*."
            )
        used.update(c for c in (value, group) if c)
        a, b = groups if groups else (None, None)
        found = TTest(value, group, a, b, candidates=() if group else text_columns)
        return replace(req, ttest=found, measures=(), group=None)
    if re.search(r"\bdifferen(?:ce|t)\b|\bgap\b|\bcompar", low):
        numeric = [c for c in mentioned if var.numeric(c) and not var.boolean(c)]
        value = numeric[0] if numeric else (req.measures[0][1] if req.measures else None)
        if two_values and value is not None:  # "compare the mean price of returned and not returned sales"
            column, first, second = two_values
            used.update((value, column))
            op = req.measures[0][0] if req.measures else "mean"
            gap = GroupDifference(op, value, column, first, second)
            return replace(req, difference=gap, measures=(), group=None)
        labels = [c for c in mentioned if not var.numeric(c)]
        two = _two_labels(rest)
        if two and "⟨" not in two[1] + two[2]:
            text_columns = tuple(c for c in columns if not var.numeric(c))
            group = req.group or (labels[0] if labels else None)
            group = group or (text_columns[0] if len(text_columns) == 1 else None)
            value = numeric[0] if numeric else (req.measures[0][1] if req.measures else None)
            if value is None or (group is None and not text_columns):
                return Unclear(
                    "For a difference between two groups, name the numeric column, e.g. *difference in "
                    f"mean {example(columns, var).split(' by ')[0]} between A and B*."
                )
            op = req.measures[0][0] if req.measures else "mean"
            used.update(c for c in (value, group) if c)
            a, b = two[1].strip("'\""), two[2].strip("'\"")
            gap = GroupDifference(op, value, group, a, b, candidates=() if group else text_columns)
            return replace(req, difference=gap, measures=(), group=None)
        if len(numeric) >= 2 and not req.measures:
            used.update(numeric[:2])
            return replace(req, paired_difference=(numeric[0], numeric[1]))
        if req.group is not None and numeric and not req.measures:  # "compare price between regions"
            used.add(numeric[0])
            return replace(req, measures=(("mean", numeric[0]),))
    return req


_VALUE = r"(?:'[^']*'|\"[^\"]*\"|[A-Za-z0-9_][\w.-]*)"
_STAT = r"(?:mean|average|median|total|sum|max(?:imum)?|min(?:imum)?)"


def _two_labels(rest: str) -> re.Match[str] | None:
    """Two groups' labels: *between control and treated*, *between the mean price of north and east*."""
    return re.search(
        rf"\bbetween\s+(?:the\s+)?(?:(?:{_STAT})\s+(?:of\s+)?)?(?:(?:the\s+)?⟨\d+⟩\s+)?(?:(?:of|for|in)\s+)?"
        rf"(?:group\s+)?(?!⟨)({_VALUE})\s+and\s+(?:the\s+)?(?:group\s+)?({_VALUE})",
        rest,
        re.I,
    )


def _true_and_false(rest: str, columns: tuple[str, ...], var: Variable) -> tuple[str, str, str] | None:
    """A True/False column named with both its values (*returned and not returned*): (column, first, second)."""
    for i, column in enumerate(columns):
        m = both_values(rest, i) if var.boolean(column) else None
        if m:
            return column, str(m[1] is None), str(m[2] is None)
    return None


def plot_of(
    rest: str, columns: tuple[str, ...], var: Variable, req: Request, mentioned: list[str], used: set[str]
) -> Plot | Unclear | None:
    low = rest.lower()
    if not re.search(r"\bplot|\bchart|\bgraph|\bdraw|\bvisuali[sz]|\bhistogram|\bhist\b|\bscatter|\bdistribution", low):
        return None
    if re.search(r"histogram|\bhist\b|distribution", low):
        after = re.search(rf"(?:histogram|\bhist|distribution)\w*\s+(?:of\s+)?(?:the\s+)?{COLS}", rest, re.I)
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
        rf"{COLS}\s+(?:against|vs\.?|versus|over|as\s+a\s+function\s+of|by)\s+(?:the\s+)?{C}", rest, re.I
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
