"""A data question as a small typed request, and the question it answers in words."""

from __future__ import annotations

from dataclasses import dataclass, replace

OP_WORDS = {
    "nunique": "number of distinct values",
    "mean": "mean",
    "median": "median",
    "std": "standard deviation",
    "var": "variance",
    "min": "minimum",
    "max": "maximum",
    "sum": "sum",
    "range": "range (maximum − minimum)",  # a list's only: a frame's question does not read "range"
}
NEEDS_NUMBERS = frozenset(OP_WORDS) - {"nunique"}
CMP_WORDS = {"==": "is", "!=": "is not", ">": "is above", ">=": "is at least", "<": "is below", "<=": "is at most"}
_NEGATED = {"==": "!=", "!=": "==", ">": "<=", ">=": "<", "<": ">=", "<=": ">", "in": "not in", "not in": "in"}


@dataclass(frozen=True)
class Condition:
    """Rows whose ``column`` compares with ``value`` (``op`` is a Python comparison)."""

    column: str
    op: str  # a comparison, or "in" / "not in" with several labels
    value: bool | int | float | str | tuple[str, ...]
    # A label read from the phrasing ("mean score of 7A students"): if ``column`` does not hold it, the code
    # uses the first of these text columns that does, and says so.
    elsewhere: tuple[str, ...] = ()

    def text(self) -> str:
        if isinstance(self.value, tuple):
            if self.op == "not in":
                return f"`{self.column}` is none of " + ", ".join(f"'{v}'" for v in self.value)
            return f"`{self.column}` is " + " or ".join(f"'{v}'" for v in self.value)
        value = f"'{self.value}'" if isinstance(self.value, str) else str(self.value)
        return f"`{self.column}` {CMP_WORDS[self.op]} {value}"

    def labels(self) -> tuple[str, ...]:
        """The labels a text condition names (one, or several for *in*)."""
        return self.value if isinstance(self.value, tuple) else (str(self.value),)

    def negated(self) -> Condition:
        if isinstance(self.value, bool):  # "not returned" is returned == False, never returned != True
            return replace(self, value=not self.value)
        return replace(self, op=_NEGATED[self.op])


@dataclass(frozen=True)
class Plot:
    kind: str  # hist | scatter | line | lines (columns over the row index) | bar (a grouped table)
    x: str | None  # the horizontal axis; None: the row index
    ys: tuple[str, ...]
    bins: int = 20  # a histogram's bars


@dataclass(frozen=True)
class TTest:
    """Welch's t-test of ``value`` between two groups of ``group`` (or between two columns, ``group`` None)."""

    value: str
    group: str | None = None  # None with ``a`` and ``b``: the code finds the column among ``candidates``
    a: str | None = None  # the groups; None: the column's two values, whatever they are
    b: str | None = None
    other: str | None = None  # the second column, when comparing two columns
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupDifference:
    """``op`` of ``value`` in group ``a`` minus the same in group ``b`` of column ``group``."""

    op: str
    value: str
    group: str | None  # None: the code finds the column holding ``a`` and ``b`` among ``candidates``
    a: str
    b: str
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    """What to compute on one DataFrame. Empty parts are not asked for."""

    frame: str
    where: tuple[Condition, ...] = ()  # rows kept (a removal is stored as its opposite)
    within: tuple[Condition, ...] = ()  # the rows a share is of ("what share of the north sales were returned")
    removing: bool = False  # the prompt asked to remove rows: ``where`` says which are left
    group: str | None = None
    group_largest: bool = True  # the grouped table's order: largest first (False: smallest first)
    measures: tuple[tuple[str, str], ...] = ()  # (op, column)
    order: tuple[str, bool] | None = None  # (column, largest first)
    limit: int | None = None
    tail: bool = False  # the last ``limit`` rows (not sorted): "the last 3 rows"
    count: bool = False  # how many rows
    share: bool = False  # what percentage of the rows
    show: bool = False  # show the rows themselves
    corr: tuple[str, str] | None = None
    corr_matrix: tuple[str, ...] | None = None  # the columns of a correlation matrix (all numeric: empty)
    describe: tuple[str, ...] | None = None  # summary statistics of these columns (all: empty)
    unique: str | None = None
    plot: Plot | None = None
    fit: tuple[str, str] | None = None  # (y, x): a least-squares line
    ttest: TTest | None = None
    difference: GroupDifference | None = None
    paired_difference: tuple[str, str] | None = None  # the mean of column a minus column b
    ratio: tuple[str, str] | None = None  # total of a per total of b
    quantile: tuple[float, str] | None = None
    structure: bool = False  # its columns with their types, and its size (rows × columns)
    missing_values: bool = False
    duplicates: bool = False
    coerce: tuple[str, ...] = ()  # text columns to convert to numbers first

    def question(self) -> str:
        """The question this request answers, in words (every answer starts with it)."""
        df = f"`{self.frame}`"
        rows = f"the rows of {df}"
        if self.where:
            kept = " and ".join(c.text() for c in self.where)
            rows = f"the rows of {df} where {kept}"
            if self.removing:
                removed = " and ".join(c.negated().text() for c in self.where)
                rows = f"{df} without the rows where {removed}"
        asks: list[str] = []
        if self.count:
            kept = " and ".join(c.text() for c in self.where)
            if self.removing:
                asks.append(f"how many rows are left in {rows}")
            elif self.where:
                asks.append(f"how many rows of {df} there are where {kept}")
            else:
                asks.append(f"how many rows {df} has")
        if self.share:
            whole = f"the rows of {df}" + (
                f" where {' and '.join(c.text() for c in self.within)}" if self.within else ""
            )
            matching = " and ".join(c.text() for c in self.where)
            if self.where and self.group is not None:
                asks.append(f"what percentage of {whole} are those where {matching}, for each `{self.group}`")
            elif self.where:
                asks.append(f"what percentage of {whole} are those where {matching}")
            else:
                asks.append(f"each `{self.group}`'s share of {whole}")
        if self.group is None:
            by_column: dict[str, list[str]] = {}
            for op, column in self.measures:
                by_column.setdefault(column, []).append(OP_WORDS[op])
            asks += [f"the {_join(ops)} of `{column}`" for column, ops in by_column.items()]
        if self.group is not None and not self.share and not self.difference:
            ops = _join(list(dict.fromkeys(OP_WORDS[op] for op, _ in self.measures)))
            what = f"the {ops} of `{self.measures[0][1]}`" if self.measures else "the number of rows"
            top = f" (the {'top' if self.group_largest else 'bottom'} {self.limit})" if self.limit else ""
            which = "" if self.group_largest else ", lowest first"
            asks.append(f"{what} for each `{self.group}`{top}{which}")
        if self.order is not None or (self.limit and self.group is None):
            n = f"{self.limit} " if self.limit else ""
            if self.order is not None and self.limit == 1:
                column, largest = self.order
                asks.append(f"the row with the {'largest' if largest else 'smallest'} `{column}`")
            elif self.order is not None:
                column, largest = self.order
                side = "top" if largest else "bottom"
                asks.append(f"the {side} {n}rows sorted by `{column}` ({'largest' if largest else 'smallest'} first)")
            else:
                asks.append(f"the {'last' if self.tail else 'first'} {n}rows")
        elif self.show:
            asks.append("the rows themselves")
        if self.corr:
            asks.append(f"the correlation between `{self.corr[0]}` and `{self.corr[1]}`")
        if self.corr_matrix is not None:
            cols = ", ".join(f"`{c}`" for c in self.corr_matrix) or "all numeric columns"
            asks.append(f"the correlations between {cols}")
        if self.describe is not None:
            cols = ", ".join(f"`{c}`" for c in self.describe) or "every column"
            asks.append(f"summary statistics of {cols}")
        if self.unique:
            asks.append(f"the distinct values of `{self.unique}`")
        if self.fit:
            asks.append(f"a least-squares line of `{self.fit[0]}` against `{self.fit[1]}` (slope, intercept, r²)")
        if self.ttest:
            t = self.ttest
            if t.other is not None:
                asks.append(f"a t-test of `{t.value}` against `{t.other}`")
            else:
                which = f"'{t.a}' and '{t.b}'" if t.a is not None else "the two groups"
                of = f" of `{t.group}`" if t.group else ""
                asks.append(f"a t-test of `{t.value}` between {which}{of}")
        if self.difference:
            d = self.difference
            of = f" of `{d.group}`" if d.group else ""
            asks.append(f"the difference in the {OP_WORDS[d.op]} of `{d.value}` between '{d.a}' and '{d.b}'{of}")
        if self.paired_difference:
            a, b = self.paired_difference
            asks.append(f"the difference `{a}` − `{b}` (its mean over the rows)")
        if self.ratio:
            asks.append(f"`{self.ratio[0]}` per `{self.ratio[1]}` (total over total)")
        if self.quantile:
            asks.append(f"the {self.quantile[0] * 100:g}th percentile of `{self.quantile[1]}`")
        if self.structure:
            asks.append("the columns with their types, and the size (rows × columns)")
        if self.missing_values:
            asks.append("the missing values in each column")
        if self.duplicates:
            asks.append("the duplicated rows")
        if self.plot:
            asks.append(_plot_words(self.plot, self.group))
        scope = f" in {rows}" if self.where and not (self.count or self.share) else ""
        if not self.where:
            scope = f" in {df}" if not ((self.count or self.share) and len(asks) == 1) else ""
        return _join(asks) + scope


def _plot_words(plot: Plot, group: str | None) -> str:
    ys = " and ".join(f"`{y}`" for y in plot.ys)
    if plot.kind == "hist":
        return f"a histogram of {ys}" + (f" for each `{group}`" if group else "") + f" ({plot.bins} bins)"
    if plot.kind == "bar":
        return "a bar chart of that table"
    if plot.kind == "lines":
        return f"a line plot of {ys} over the row order"
    return f"a {'scatter' if plot.kind == 'scatter' else 'line'} plot of {ys} against `{plot.x}`"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass(frozen=True)
class Unclear:
    """A data question the toy will not compute, and why, in words the user can act on."""

    reason: str
