"""The answer to a data request: the question it answers, then every figure exactly as the code printed it."""

from __future__ import annotations

from dataclasses import replace

from ..core import Answer, Observation, Unreadable, gist, literal, need
from .request import OP_WORDS, Condition, Request


def answer(req: Request, obs: Observation, inspected: str = "") -> Answer:
    """``inspected``: what the variable is (e.g. "`df` is a DataFrame with 200 rows and 3 columns.")."""
    r, tables = obs.results, obs.tables
    req = _where_as_run(req, r)
    parts: list[str] = [f"You asked for {req.question()}."]
    if inspected:
        parts.append(inspected)
    for column in req.coerce:
        bad = r.get(f"not_numeric[{column}]", "0")
        parts.append(
            f"`{column}` is stored as text, so I converted it to numbers first"
            + (f"; {bad} value(s) could not be converted and were left out." if bad != "0" else ".")
        )
    total = need(obs, "total_rows")
    if req.where:
        kept = need(obs, "rows")
        clash = _one_column_twice((*req.within, *req.where))
        if clash:  # labels the code found in the same column: "in the north … in the south"
            parts.append(clash)
        for i, c in enumerate((*req.within, *req.where)):
            seen = r.get(f"values[{i}]")
            if seen is not None:
                listed = ", ".join(f"'{v}'" for v in (literal(seen) or []))
                absent = literal(r.get(f"absent[{i}]", "[]"))
                missing = " or ".join(f"'{v}'" for v in absent) if isinstance(absent, list) and absent else c.value
                parts.append(f"No row has `{c.column}` equal to {missing}. Its values are: {listed}.")
        if req.removing:
            parts.append(f"- **rows left:** {kept} of {total} ({_minus(total, kept)} removed)")
            mask = " & ".join(_kept(req.frame, c) for c in req.where)
            parts.append(
                f"`{req.frame}` itself is unchanged: I counted on a filtered view. To keep the result, run "
                f"`{req.frame} = {req.frame}[{mask}]`."
            )
        elif req.within and req.group is None:
            whole = " and ".join(c.text() for c in req.within)
            parts.append(f"- **matching rows:** {kept} of the {need(obs, 'base_rows')} where {whole} ({total} in all)")
        elif (req.count or req.share) and req.group is None:
            parts.append(f"- **matching rows:** {kept} of {total}")
    elif req.count:
        parts.append(f"- **rows:** {total}")
    if req.share and req.where and req.group is None:
        parts.append(f"- **share:** {need(obs, 'share')}% of the rows" + (" counted" if req.within else ""))
    for op, column in req.measures if req.group is None else ():
        parts.append(f"- **{OP_WORDS[op]} of `{column}`:** {need(obs, f'{op}[{column}]')}")
    if req.quantile:
        q, column = req.quantile
        parts.append(f"- **{q * 100:g}th percentile of `{column}`:** {need(obs, f'quantile[{column}]')}")
    if req.group is not None:
        parts.append(_group_text(req, obs))
    if "top" in tables:
        if req.order is not None:
            column, largest = req.order
            shown = need(obs, "top_rows")
            parts.append(
                f"The {shown} row(s) with the {'largest' if largest else 'smallest'} `{column}` "
                f"(first: **{need(obs, 'best')}**):\n```text\n{tables['top']}\n```"
            )
        else:
            parts.append(
                f"The {'last' if req.tail else 'first'} {need(obs, 'top_rows')} row(s):\n```text\n{tables['top']}\n```"
            )
    if "corr" in r and req.corr:
        parts.append(
            f"The correlation between `{req.corr[0]}` and `{req.corr[1]}` is **{r['corr']}** (Pearson, "
            f"{need(obs, 'pairs')} rows with both values)."
        )
    if "corr" in tables:
        parts.append(f"Correlation matrix (Pearson):\n```text\n{tables['corr']}\n```")
    if "dtypes" in tables:
        parts.append(
            f"- **size:** {total} rows × {need(obs, 'columns')} columns\n\nIts columns and their types:\n"
            f"```text\n{tables['dtypes']}\n```"
        )
    if "describe" in tables:
        parts.append(f"Summary statistics:\n```text\n{tables['describe']}\n```")
    if "unique" in r and req.unique:
        parts.append(f"`{req.unique}` has **{r['unique']}** distinct values.")
        if "counts" in tables:
            parts.append(f"```text\n{tables['counts']}\n```")
    if "missing" in tables:
        parts.append(
            f"Missing values per column ({need(obs, 'missing_total')} in all):\n```text\n{tables['missing']}\n```"
        )
    if "duplicates" in r:
        parts.append(f"- **duplicated rows:** {r['duplicates']}")
    if req.paired_difference:
        a, b = req.paired_difference
        parts.append(f"- **mean of `{a}` − `{b}`:** {need(obs, 'mean_difference')} (over {need(obs, 'n')} rows)")
    if req.ratio:
        a, b = req.ratio
        parts.append(
            f"- **`{a}` per `{b}`:** {need(obs, 'ratio')} (total `{a}` {need(obs, 'total_a')} ÷ total `{b}` "
            f"{need(obs, 'total_b')})"
        )
    if req.fit:
        parts.append(fit_text(obs, *req.fit))
    if req.ttest:
        parts.append(_ttest_text(req, obs))
    if req.difference:
        parts.append(_difference_text(req, obs))
    if req.plot:
        parts.append(_plot_text(req, obs))
    return Answer(
        f"The code printed {_printed(obs)}. I'll report them exactly as printed, after the question I answered.",
        "\n\n".join(parts),
    )


def _where_as_run(req: Request, results: dict[str, str]) -> Request:
    """The request with each label condition on the column the code found holding the label."""
    found = [
        replace(c, column=results.get(f"where[{i}]", c.column), elsewhere=())
        for i, c in enumerate((*req.within, *req.where))
    ]
    return replace(req, within=tuple(found[: len(req.within)]), where=tuple(found[len(req.within) :]))


def _one_column_twice(conditions: tuple[Condition, ...]) -> str:
    """The sentence for two labels the code found in one column: no row has both, so none matched."""
    for i, a in enumerate(conditions):
        for b in conditions[i + 1 :]:
            if a.op == b.op == "==" and a.column == b.column and a.value != b.value:
                return (
                    f"'{a.value}' and '{b.value}' are both values of `{a.column}`, and no row has both: ask for them "
                    f"together (*… {a.value} or {b.value}*) or each apart (*… by {a.column}*)."
                )
    return ""


def _kept(frame: str, c: Condition) -> str:
    """The condition as the user would write it to keep the rows: ``(df['dose'] != 0)``."""
    if c.op in ("in", "not in"):
        return f"({'~' if c.op == 'not in' else ''}{frame}[{c.column!r}].isin({list(c.labels())!r}))"
    return f"({frame}[{c.column!r}] {c.op} {c.value!r})"


def _minus(a: str, b: str) -> str:
    return str(int(a) - int(b)) if a.isdigit() and b.isdigit() else "?"


def _printed(obs: Observation) -> str:
    """The printed values for the thinking: each one short, the tables by name and size only."""
    values = "; ".join(f"{k}={gist(v, 60)}" for k, v in obs.results.items())
    tables = ", ".join(f"{name} ({len(text.splitlines())} lines)" for name, text in obs.tables.items())
    return gist(values, 600) + (f", and the tables {tables}" if tables else "")


def _group_text(req: Request, obs: Observation) -> str:
    tables = obs.tables
    if "table" not in tables:
        raise Unreadable("table")
    if req.share and req.where:
        what = f"Share of the rows where {' and '.join(c.text() for c in req.where)} (%)"
    elif req.share:
        what = "Share of the rows (%)"
    elif req.measures:
        ops = list(dict.fromkeys(OP_WORDS[op] for op, _ in req.measures))
        what = f"{' and '.join(ops).capitalize()} of `{req.measures[0][1]}`"
    else:
        what = "Rows"
    if need(obs, "groups") == "0":
        return f"{what} by `{req.group}`: no row matched, so there are no groups to show."
    return (
        f"{what} by `{req.group}` ({need(obs, 'groups')} groups) — {'highest' if req.group_largest else 'lowest'}: "
        f"**{need(obs, 'top_group')}** "
        f"({need(obs, 'top_value')}).\n```text\n{tables['table']}\n```"
    )


def fit_text(obs: Observation, y: str, x: str) -> str:
    """The least-squares line, step by step, from the printed sums."""
    n, mx, my = need(obs, "n"), need(obs, "mean_x"), need(obs, "mean_y")
    sxy, sxx = need(obs, "sxy"), need(obs, "sxx")
    slope, intercept, r2 = need(obs, "slope"), need(obs, "intercept"), need(obs, "r2")
    return (
        f"Least-squares line of `{y}` on `{x}` over {n} points: **{y} ≈ {intercept} + {slope} · {x}**, "
        f"**r² = {r2}**.\n\n"
        f"1. The means: mean `{x}` = {mx}, mean `{y}` = {my}.\n"
        f"2. Sxy = Σ(x − mean x)(y − mean y) = {sxy}; Sxx = Σ(x − mean x)² = {sxx}.\n"
        f"3. slope = Sxy / Sxx = {slope}; intercept = mean y − slope · mean x = {intercept}.\n"
        f"4. r² = 1 − SSres / SStot = {r2}: the share of the variation in `{y}` the line explains."
    )


def ttest_steps(obs: Observation, a: str, b: str) -> str:
    """Welch's t-test, step by step, from the printed values; ``a`` and ``b`` name the two samples."""
    p = need(obs, "p")
    verdict = (
        "The p-value needs scipy's t distribution, which is not installed in this kernel "
        "(`%pip install scipy` and ask again for it)."
        if p == "needs scipy"
        else f"**p = {p}** (two-sided)"
        + (
            ": below 0.05, so the difference is unlikely to be chance alone."
            if _below(p, 0.05)
            else ": not below 0.05, so chance alone could explain the difference."
        )
    )
    return (
        f"Welch's t-test of {a} against {b}: **t = {need(obs, 't')}** with {need(obs, 'dof')} degrees of freedom. "
        f"{verdict}\n\n"
        f"1. The two samples: {a} has {need(obs, 'n_a')} values with mean {need(obs, 'mean_a')} and variance "
        f"{need(obs, 'var_a')}; {b} has {need(obs, 'n_b')} values with mean {need(obs, 'mean_b')} and variance "
        f"{need(obs, 'var_b')}.\n"
        f"2. The standard error of the difference, √(var_a/n_a + var_b/n_b) = {need(obs, 'se')}.\n"
        f"3. t = (mean_a − mean_b) / standard error = {need(obs, 't')}.\n"
        f"4. Welch–Satterthwaite degrees of freedom: {need(obs, 'dof')}."
    )


def _below(p: str, level: float) -> bool:
    try:
        return float(p) < level
    except ValueError:
        return False


def _located(obs: Observation, a: str, b: str) -> str | None:
    """The sentence to say instead when the code found no single column holding both groups."""
    found = obs.results.get("group_columns")
    if found is None:
        return None
    holding = literal(found)
    if isinstance(holding, list) and len(holding) == 1:
        return None
    if not holding:
        return f"No column holds both '{a}' and '{b}', so there are no two groups to compare. Check the spelling."
    listed = ", ".join(f"`{c}`" for c in holding)
    return f"Several columns hold both '{a}' and '{b}' ({listed}); say which one, e.g. *… of {holding[0]}*."


def _ttest_text(req: Request, obs: Observation) -> str:
    t = req.ttest
    assert t is not None
    if t.other is not None:
        return ttest_steps(obs, f"`{t.value}`", f"`{t.other}`")
    if t.a is not None and t.b is not None and (problem := _located(obs, t.a, t.b)):
        return problem
    labels = literal(obs.results.get("labels", "[]"))
    if t.a is None and isinstance(labels, list) and len(labels) != 2:
        listed = ", ".join(f"'{v}'" for v in labels[:12])
        return (
            f"`{t.group}` has {len(labels)} groups ({listed}); a t-test compares two. Name them, e.g. "
            f"*t-test of {t.value} between {labels[0] if labels else 'A'} and {labels[1] if len(labels) > 1 else 'B'}*."
        )
    names = (t.a, t.b) if t.a is not None else tuple(labels[:2])
    if int(need(obs, "n_a")) < 2 or int(need(obs, "n_b")) < 2:
        return (
            f"'{names[0]}' has {need(obs, 'n_a')} value(s) and '{names[1]}' has {need(obs, 'n_b')}: a t-test needs at "
            "least two in each group."
        )
    return ttest_steps(obs, f"`{t.value}` for '{names[0]}'", f"'{names[1]}'")


def _difference_text(req: Request, obs: Observation) -> str:
    d = req.difference
    assert d is not None
    problem = _located(obs, d.a, d.b)
    if problem:
        return problem
    op = OP_WORDS[d.op]
    return (
        f"The {op} of `{d.value}` is {need(obs, 'value_a')} for '{d.a}' and {need(obs, 'value_b')} for '{d.b}' "
        f"(groups of `{need(obs, 'group')}`): the difference '{d.a}' − '{d.b}' is **{need(obs, 'difference')}**."
    )


def _plot_text(req: Request, obs: Observation) -> str:
    plot = req.plot
    assert plot is not None
    n = need(obs, "plotted")
    if plot.kind == "hist":
        bars = [
            f"`{y}` spans {obs.results[f'range[{y}]']}; its tallest bar is {obs.results[f'peak[{y}]']}"
            for y in plot.ys
            if f"range[{y}]" in obs.results and f"peak[{y}]" in obs.results
        ]
        return f"The histogram ({n} rows, {plot.bins} bins) is shown above." + (f" {'; '.join(bars)}." if bars else "")
    if plot.kind == "bar":
        return f"The bar chart ({n} groups) is shown above."
    if plot.kind == "lines":
        return f"The line plot of {', '.join(f'`{y}`' for y in plot.ys)} in row order ({n} rows) is shown above."
    ranges = "; ".join(f"`{y}` from {need(obs, f'y_range[{y}]')}" for y in plot.ys)
    kind = "scatter" if plot.kind == "scatter" else "line"
    return (
        f"The {kind} plot is shown above: `{plot.x}` on the horizontal axis (from {need(obs, 'x_range')}), "
        f"{', '.join(f'`{y}`' for y in plot.ys)} on the vertical ({ranges}); {n} rows."
    )
