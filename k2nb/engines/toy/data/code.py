"""The pandas code for a data request: it computes exactly what was asked and prints it on RESULT lines."""

from __future__ import annotations

from ..core import as_function, lines
from .request import Plot, Request

FUNCTION = "_k2nb_compute"


def in_function(imports: list[str], body: list[str], argument: str) -> str:
    """``body`` as the one function called with ``argument`` (see :func:`as_function`)."""
    return as_function(FUNCTION, lines(*imports, *body), argument)


def table(name: str, expr: str) -> tuple[str, ...]:
    return (f'print("BEGIN {name}")', f"print({expr})", f'print("END {name}")')


def key(column: object) -> str:
    """A column name as it may appear inside an f-string's literal part (a RESULT key)."""
    text = str(column).replace("\\", "\\\\").replace("{", "{{").replace("}", "}}").replace('"', '\\"')
    return text.replace("\n", " ")


def request_code(req: Request) -> str:
    """Code over the user's frame ``req.frame`` that prints every figure the answer will quote."""
    imports = [f"# You asked for {req.question()}.".replace("`", "")]
    if req.coerce:
        imports.append("import pandas as pd")
    if req.fit or req.ttest:
        imports.append("import numpy as np")
    if req.plot:
        imports.append("import matplotlib.pyplot as plt")
    out: list[str] = []
    for column in req.coerce:
        out += [
            f'converted = pd.to_numeric(data[{column!r}], errors="coerce")',
            f"lost = int(converted.isna().sum() - data[{column!r}].isna().sum())",
            f'print(f"RESULT not_numeric[{key(column)}]={{lost}}")',
            f"data = data.assign(**{{{column!r}: converted}})",
        ]
    out.append('print(f"RESULT total_rows={len(data)}")')
    conditions = (*req.within, *req.where)
    if conditions:
        masks = []
        for i, c in enumerate(conditions):
            labels = list(c.labels())
            if c.elsewhere:  # the label may belong to another text column: use the one that holds it
                out += [
                    f"column_{i} = {c.column!r}",
                    f"if not data[column_{i}].astype(str).isin({labels!r}).any():",
                    f"    holding = [c for c in {list(c.elsewhere)!r} if data[c].astype(str).isin({labels!r}).any()]",
                    f"    column_{i} = holding[0] if holding else column_{i}",
                    f'print(f"RESULT where[{i}]={{column_{i}}}")',
                ]
            column = f"column_{i}" if c.elsewhere else repr(c.column)
            if c.op in ("in", "not in"):  # "in the east or the south"
                masks.append(f"({'~' if c.op == 'not in' else ''}data[{column}].astype(str).isin({labels!r}))")
            elif c.elsewhere:
                masks.append(f"(data[{column}].astype(str) {c.op} {c.value!r})")
            else:
                masks.append(f"(data[{column}] {c.op} {c.value!r})")
        if req.within:  # "what share of the north sales were returned": the north sales are the whole
            out += [f"base = data[{' & '.join(masks[: len(req.within)])}]", 'print(f"RESULT base_rows={len(base)}")']
        out += [f"rows = data[{' & '.join(masks)}]", 'print(f"RESULT rows={len(rows)}")']
        for i, c in enumerate(conditions):
            if isinstance(c.value, (str, tuple)) and c.op in ("==", "in"):  # a label no row has: say which
                column = f"column_{i}" if c.elsewhere else repr(c.column)
                out += [
                    f"absent = [v for v in {list(c.labels())!r} if not (data[{column}].astype(str) == v).any()]",
                    "if absent:",
                    f"    seen = sorted(data[{column}].dropna().astype(str).unique())",
                    f'    print(f"RESULT absent[{i}]={{absent}}")',
                    f'    print(f"RESULT values[{i}]={{seen[:12]}}")',
                ]
        if req.share and req.group is not None and req.where:  # each group's share of rows that match
            scope = "base" if req.within else "data"
            out += [
                f"matches = {' & '.join(masks[len(req.within) :])}",
                f"table = (matches[{scope}.index].groupby({scope}[{req.group!r}]).mean() * 100).round(2)"
                f".sort_values(ascending={not req.group_largest}){f'.head({req.limit})' if req.limit else ''}",
            ]
    else:
        out.append("rows = data")
    if req.share and req.where and req.group is None:
        whole = "base" if req.within else "data"
        out.append(f'print(f"RESULT share={{round(100 * len(rows) / max(len({whole}), 1), 2)}}")')
    out += _measures(req)
    out += _group(req)
    out += _rows(req)
    out += _pairs(req)
    out += _tests(req)
    if req.plot:
        out += _plot(req.plot, req)
    return in_function(imports, out, req.frame)


def _measures(req: Request) -> list[str]:
    if req.group is not None:
        return []
    out = []
    for op, column in req.measures:
        out += [
            f"value = round(rows[{column!r}].{op}(), 4)",
            f'print(f"RESULT {op}[{key(column)}]={{value}}")',
        ]
    if req.quantile:
        q, column = req.quantile
        out += [
            f"value = round(rows[{column!r}].quantile({q}), 4)",
            f'print(f"RESULT quantile[{key(column)}]={{value}}")',
        ]
    return out


def _group(req: Request) -> list[str]:
    g = req.group
    if g is None:
        return []
    head = f".head({req.limit})" if req.limit else ""
    if req.share and req.where:
        make = ""  # the table of each group's share was made with the filter
    elif req.share:
        make = f"table = (rows[{g!r}].value_counts(normalize=True) * 100).round(2){head}"
    elif req.measures:
        ops = list(dict.fromkeys(op for op, _ in req.measures))
        value = req.measures[0][1]
        ascending = not req.group_largest
        if len(ops) == 1:
            make = (
                f"table = rows.groupby({g!r})[{value!r}].{ops[0]}().round(4).sort_values(ascending={ascending}){head}"
            )
        else:
            make = (
                f"table = rows.groupby({g!r})[{value!r}].agg({ops!r}).round(4)"
                f".sort_values({ops[0]!r}, ascending={ascending}){head}"
            )
    else:
        make = f"table = rows[{g!r}].value_counts(ascending={not req.group_largest}){head}"
    first = "table.iloc[0]" if not (req.measures and len({op for op, _ in req.measures}) > 1) else "table.iloc[0, 0]"
    return [
        *([make] if make else []),
        *table("table", "table.to_string()"),
        'print(f"RESULT groups={len(table)}")',
        f"top_group, top_value = (table.index[0], {first}) if len(table) else (None, None)",
        'print(f"RESULT top_group={top_group}")',
        'print(f"RESULT top_value={top_value}")',
    ]


def _rows(req: Request) -> list[str]:
    out = []
    if req.order is not None:
        column, largest = req.order
        n = req.limit or 10
        out += [
            f"top = rows.sort_values({column!r}, ascending={not largest}).head({n})",
            *table("top", "top.to_string()"),
            f"best = top[{column!r}].iloc[0] if len(top) else None",
            "best = round(best, 4) if isinstance(best, float) else best",
            'print(f"RESULT best={best}")',
            'print(f"RESULT top_rows={len(top)}")',
        ]
    elif req.group is None and (req.limit or req.show):
        out += [
            f"top = rows.{'tail' if req.tail else 'head'}({req.limit or 10})",
            *table("top", "top.to_string()"),
            'print(f"RESULT top_rows={len(top)}")',
        ]
    if req.describe is not None:
        cols = f"[{list(req.describe)!r}]" if req.describe else ""
        out += [f"summary = rows{cols}.describe()", *table("describe", "summary.round(3).to_string()")]
    if req.unique:
        u = req.unique
        out += [
            f"distinct = rows[{u!r}].nunique()",
            'print(f"RESULT unique={distinct}")',
            *table("counts", f"rows[{u!r}].value_counts().head(10).to_string()"),
        ]
    if req.structure:
        out += ['print(f"RESULT columns={rows.shape[1]}")', *table("dtypes", "rows.dtypes.to_string()")]
    if req.missing_values:
        out += [
            "missing = rows.isna().sum()",
            *table("missing", "missing.to_string()"),
            'print(f"RESULT missing_total={int(missing.sum())}")',
        ]
    if req.duplicates:
        out.append('print(f"RESULT duplicates={int(rows.duplicated().sum())}")')
    return out


def _pairs(req: Request) -> list[str]:
    out = []
    if req.corr:
        a, b = req.corr
        out += [
            f"pairs = rows[[{a!r}, {b!r}]].dropna()",
            f"r = pairs[{a!r}].corr(pairs[{b!r}])",
            'print(f"RESULT corr={round(r, 4)}")',
            'print(f"RESULT pairs={len(pairs)}")',
        ]
    if req.corr_matrix is not None:
        cols = f"[{list(req.corr_matrix)!r}]" if len(req.corr_matrix) > 1 else ""
        out += [f"matrix = rows{cols}.corr(numeric_only=True).round(3)", *table("corr", "matrix.to_string()")]
    if req.paired_difference:
        a, b = req.paired_difference
        out += [
            f"diff = (rows[{a!r}] - rows[{b!r}]).dropna()",
            'print(f"RESULT mean_difference={round(diff.mean(), 4)}")',
            'print(f"RESULT n={len(diff)}")',
        ]
    if req.ratio:
        a, b = req.ratio
        out += [
            f"total_a, total_b = rows[{a!r}].sum(), rows[{b!r}].sum()",
            'print(f"RESULT total_a={round(total_a, 4)}")',
            'print(f"RESULT total_b={round(total_b, 4)}")',
            'print(f"RESULT ratio={round(total_a / total_b, 4) if total_b else None}")',
        ]
    if req.fit:
        y, x = req.fit
        out += [
            f"pairs = rows[[{x!r}, {y!r}]].dropna()",
            f"x, y = pairs[{x!r}].to_numpy(float), pairs[{y!r}].to_numpy(float)",
            *FIT_STEPS,
        ]
    return out


FIT_STEPS = (
    "# least squares: slope = Sxy / Sxx, intercept = mean(y) - slope * mean(x), r² = 1 - SSres / SStot",
    "mean_x, mean_y = x.mean(), y.mean()",
    "sxy = ((x - mean_x) * (y - mean_y)).sum()",
    "sxx = ((x - mean_x) ** 2).sum()",
    "slope = sxy / sxx",
    "intercept = mean_y - slope * mean_x",
    "ss_res = ((y - (intercept + slope * x)) ** 2).sum()",
    "ss_tot = ((y - mean_y) ** 2).sum()",
    "r2 = 1 - ss_res / ss_tot",
    'print(f"RESULT n={len(x)}")',
    'print(f"RESULT mean_x={mean_x:.4f}")',
    'print(f"RESULT mean_y={mean_y:.4f}")',
    'print(f"RESULT sxy={sxy:.4f}")',
    'print(f"RESULT sxx={sxx:.4f}")',
    'print(f"RESULT slope={slope:.4f}")',
    'print(f"RESULT intercept={intercept:.4f}")',
    'print(f"RESULT r2={r2:.4f}")',
)

TTEST_STEPS = (
    "# Welch's t-test: t = (mean_a - mean_b) / sqrt(var_a/n_a + var_b/n_b)",
    "a, b = np.asarray(a, float), np.asarray(b, float)",
    "a, b = a[~np.isnan(a)], b[~np.isnan(b)]",
    "n_a, n_b = len(a), len(b)",
    "mean_a, mean_b = a.mean(), b.mean()",
    "var_a, var_b = a.var(ddof=1), b.var(ddof=1)",
    "se = np.sqrt(var_a / n_a + var_b / n_b)",
    "t = (mean_a - mean_b) / se",
    "dof = (var_a / n_a + var_b / n_b) ** 2 / ((var_a / n_a) ** 2 / (n_a - 1) + (var_b / n_b) ** 2 / (n_b - 1))",
    "try:",
    "    from scipy import stats",
    "except ImportError:  # the p-value needs the t distribution, which scipy provides",
    "    p = None",
    "else:",
    "    p = 2 * stats.t.sf(abs(t), dof)",
    'print(f"RESULT n_a={n_a}")',
    'print(f"RESULT n_b={n_b}")',
    'print(f"RESULT mean_a={mean_a:.4f}")',
    'print(f"RESULT mean_b={mean_b:.4f}")',
    'print(f"RESULT var_a={var_a:.4f}")',
    'print(f"RESULT var_b={var_b:.4f}")',
    'print(f"RESULT se={se:.4f}")',
    'print(f"RESULT t={t:.4f}")',
    'print(f"RESULT dof={dof:.2f}")',
    "print(f\"RESULT p={'needs scipy' if p is None else format(p, '.4g')}\")",
)


def _find_group(candidates: tuple[str, ...], a: str, b: str) -> list[str]:
    """Code that finds the column holding both group labels (or prints that none or several do)."""
    return [
        f"labels = [{a!r}, {b!r}]",
        f"holding = [c for c in {list(candidates)!r} if all((rows[c].astype(str) == v).any() for v in labels)]",
        'print(f"RESULT group_columns={holding}")',
        "group = holding[0] if len(holding) == 1 else None",
    ]


def _tests(req: Request) -> list[str]:
    out: list[str] = []
    t = req.ttest
    if t is not None:
        if t.other is not None:
            out += [f"a, b = rows[{t.value!r}], rows[{t.other!r}]", *TTEST_STEPS]
        else:
            if t.group is None:
                assert t.a is not None and t.b is not None
                out += _find_group(t.candidates, t.a, t.b)
            else:
                out.append(f"group = {t.group!r}")
                out.append(
                    f"labels = [{t.a!r}, {t.b!r}]"
                    if t.a is not None
                    else "labels = sorted(rows[group].dropna().astype(str).unique())"
                )
                out.append('print(f"RESULT labels={labels}")')
            out += [
                "if group is not None and len(labels) == 2:",
                f"    a = rows.loc[rows[group].astype(str) == labels[0], {t.value!r}]",
                f"    b = rows.loc[rows[group].astype(str) == labels[1], {t.value!r}]",
                *("    " + line for line in TTEST_STEPS),
            ]
    d = req.difference
    if d is not None:
        if d.group is None:
            out += _find_group(d.candidates, d.a, d.b)
        else:
            out.append(f"group = {d.group!r}")
        out += [
            "if group is not None:",
            f"    value_a = rows.loc[rows[group].astype(str) == {d.a!r}, {d.value!r}].{d.op}()",
            f"    value_b = rows.loc[rows[group].astype(str) == {d.b!r}, {d.value!r}].{d.op}()",
            '    print(f"RESULT group={group}")',
            '    print(f"RESULT value_a={round(value_a, 4)}")',
            '    print(f"RESULT value_b={round(value_b, 4)}")',
            '    print(f"RESULT difference={round(value_a - value_b, 4)}")',
        ]
    return out


def _plot(plot: Plot, req: Request) -> list[str]:
    out = ["fig, ax = plt.subplots(figsize=(7, 4))"]
    if plot.kind == "hist":
        if req.group is not None:
            y = plot.ys[0]
            out += [
                f"for name, part in rows.groupby({req.group!r})[{y!r}]:",
                f"    ax.hist(part.dropna(), bins={plot.bins}, alpha=0.5, label=str(name))",
                "ax.legend()",
                f"ax.set_xlabel({str(y)!r})",
            ]
        else:
            for y in plot.ys:
                out += [
                    f"counts, edges, _ = ax.hist(rows[{y!r}].dropna(), bins={plot.bins}, alpha=0.7, label={str(y)!r})",
                    "peak = counts.argmax()",
                    f'print(f"RESULT range[{key(y)}]={{edges[0]:.4g}} to {{edges[-1]:.4g}}")',
                    "tallest = f'{edges[peak]:.4g} to {edges[peak + 1]:.4g} ({int(counts[peak])} rows)'",
                    f'print(f"RESULT peak[{key(y)}]={{tallest}}")',
                ]
            out += ["ax.legend()" if len(plot.ys) > 1 else f"ax.set_xlabel({str(plot.ys[0])!r})"]
        out += ['ax.set_ylabel("rows")', f"ax.set_title({'Distribution of ' + ', '.join(map(str, plot.ys))!r})"]
    elif plot.kind == "bar":
        out += ["table.plot.bar(ax=ax)", f"ax.set_title({'By ' + str(req.group)!r})"]
    elif plot.kind == "lines":
        out += [f"rows[{list(plot.ys)!r}].plot(ax=ax)", 'ax.set_xlabel("row")']
    else:
        x = plot.x
        if plot.kind == "line":
            out.append(f"ordered = rows.sort_values({x!r})")
            out += [f"ax.plot(ordered[{x!r}], ordered[{y!r}], label={str(y)!r})" for y in plot.ys]
        else:
            out += [f"ax.scatter(rows[{x!r}], rows[{y!r}], s=14, label={str(y)!r})" for y in plot.ys]
        if req.fit:
            out += [
                "line_x = np.linspace(x.min(), x.max(), 100)",
                'ax.plot(line_x, intercept + slope * line_x, color="C3", label="least-squares line")',
            ]
        out += [f"ax.set_xlabel({str(x)!r})", f"ax.set_ylabel({', '.join(map(str, plot.ys))!r})"]
        if len(plot.ys) > 1 or req.fit:
            out.append("ax.legend()")
        out.append(f"ax.set_title({', '.join(map(str, plot.ys)) + ' against ' + str(x)!r})")
        out += [
            f'print(f"RESULT x_range={{rows[{x!r}].min():.4g}} to {{rows[{x!r}].max():.4g}}")',
            *(
                f'print(f"RESULT y_range[{key(y)}]={{rows[{y!r}].min():.4g}} to {{rows[{y!r}].max():.4g}}")'
                for y in plot.ys
            ),
        ]
    points = "len(table)" if plot.kind == "bar" else "len(rows)"
    return [*out, "plt.show()", f'print(f"RESULT plotted={{{points}}}")']
