"""Statistics on a kernel variable: inspect first, then compute."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .core import (
    Action,
    Answer,
    CodeStep,
    Observation,
    Skill,
    Task,
    ToolStep,
    Unreadable,
    assigned_names,
    lines,
    literal,
    need,
)
from .parsing import kernel_candidates, listed_text
from .tools import INSPECT_TOOL, inspected_results

_STAT_OPS = (
    ("mean", r"\bmean\b|\baverage|\bavg\b"),
    ("median", r"\bmedian"),
    ("std", r"\bstd\b|standard deviation|\bstdev"),
    ("var", r"\bvariance"),
    ("min", r"\bmin(?:imum)?\b|\bsmallest value|\blowest value"),
    ("max", r"\bmax(?:imum)?\b|\blargest value|\bhighest value"),
    ("sum", r"\bsum\b|\btotal\b"),
)
_STAT_WORDS = re.compile(
    r"\bmean\b|\baverage|\bavg\b|\bmedian|\bstd\b|standard deviation|\bvariance|\bmin(?:imum)?\b|"
    r"\bmax(?:imum)?\b|\bsum\b|\btotal\b|correlat|\bcorr\b|describe|summar|statistic|\bstats\b|"
    r"group|\bper\b|\btop\s+\d+|\bbottom\s+\d+|largest|smallest|highest|lowest|\bcount\b|"
    r"how many|\bunique\b|\bdistinct\b|histogram|scatter|\bplot|\bchart|\bgraph|analy[sz]|"
    r"\binspect|\bexplore|\blook at\b|\bshape\b|\bcolumns\b"
)
_NUMBER_LIST = re.compile(r"-?\d+(?:\.\d+)?(?:\s*(?:,\s*and|,|\band\b)\s*-?\d+(?:\.\d+)?){2,}")


@dataclass(frozen=True)
class StatPlan:
    ops: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    group: Any = None
    topk: tuple[int, bool] | None = None  # (k, largest first)
    corr: bool = False
    describe: bool = False
    count: bool = False
    unique: Any = None
    plot: str | None = None  # line | hist | scatter | bar


def stats_skill(task: Task) -> Skill | None:
    low = task.low
    if not _STAT_WORDS.search(low):
        return None
    names = [n for n in kernel_candidates(task.text) if n not in task.tools]
    if names:
        return StatsSkill(task, names[0])
    m = _NUMBER_LIST.search(task.text)
    if m and (any(re.search(p, low) for _, p in _STAT_OPS) or re.search(r"\btop\b", low)):
        values = [float(v) if "." in v else int(v) for v in re.findall(r"-?\d+(?:\.\d+)?", m[0])]
        return StatsSkill(task, None, inline=values)
    return None


def _wants(low: str) -> dict[str, Any]:
    top = re.search(r"\b(top|largest|highest|biggest|bottom|smallest|lowest)\s+(\d+)\b", low)
    plot = None
    if re.search(r"histogram|\bhist\b|distribution", low) and re.search(
        r"plot|chart|hist|graph|"
        r"draw|show",
        low,
    ):
        plot = "hist"
    elif "scatter" in low:
        plot = "scatter"
    elif re.search(r"\bplot|\bchart|\bgraph|\bvisuali[sz]e|\bdraw", low):
        plot = "bar" if re.search(r"\bbar\b", low) else "line"
    return {
        "ops": tuple(op for op, p in _STAT_OPS if re.search(p, low)),
        "topk": (int(top[2]), top[1] in ("top", "largest", "highest", "biggest")) if top else None,
        "corr": re.search(r"correlat|\bcorr\b", low) is not None,
        "describe": re.search(r"describe|summar|statistic|\bstats\b|overview", low) is not None,
        "count": re.search(r"\bcount\b|how many", low) is not None,
        "unique": re.search(r"\bunique\b|\bdistinct\b", low) is not None,
        "plot": plot,
    }


def _mentions(low: str, columns: Sequence[Any]) -> list[tuple[int, Any]]:
    """Columns named in the prompt with their positions (plural and spaced forms count)."""
    found = []
    for col in columns:
        name = str(col).lower()
        variants = {name, name.replace("_", " "), name + "s", name.replace("_", " ") + "s"}
        positions = [m.start() for v in variants for m in re.finditer(rf"(?<![\w]){re.escape(v)}(?![\w])", low)]
        if positions:
            found.append((min(positions), col))
    return sorted(found, key=lambda pc: pc[0])


def plan_frame(low: str, columns: Sequence[Any], numeric: Sequence[Any], var: str) -> StatPlan:
    wants = _wants(low)
    mentioned = [(p, c) for p, c in _mentions(low, columns) if str(c).lower() != var.lower()]
    group = None
    for pos, col in mentioned:
        before = low[max(0, pos - 24) : pos]
        if re.search(
            r"(?:group(?:ed)?\s+by|\bper|for each|\bby|across|\beach)\s+(?:the\s+)?"
            r"(?:column\s+)?[`'\"]?$",
            before,
        ) and (col not in numeric or "group" in low):
            group = col
            break
    values = tuple(c for _, c in mentioned if c in numeric and c != group)
    if not values and wants["ops"]:
        # A named column that is not numeric: try it anyway (a failure gets repaired by
        # converting); with no column named, every numeric column.
        values = tuple(c for _, c in mentioned if c != group) or tuple(numeric)
    if not values and numeric and (group is not None or wants["topk"] or wants["plot"]):
        values = (numeric[0],)
    unique = None
    if wants["unique"]:
        unique = next((c for _, c in mentioned), columns[0] if columns else True)  # True: a plain sequence
    ops = wants["ops"]
    if wants["topk"] and not wants["describe"]:
        ops = tuple(o for o in ops if o not in ("min", "max", "sum"))
    plain = not (
        ops
        or wants["topk"]
        or wants["corr"]
        or wants["count"]
        or unique is not None
        or wants["plot"]
        or group is not None
    )
    return StatPlan(
        ops=ops,
        values=values,
        group=group,
        topk=wants["topk"],
        corr=wants["corr"],
        describe=wants["describe"] or plain,
        count=wants["count"],
        unique=unique,
        plot=wants["plot"],
    )


def _key(col: Any) -> str:
    """A column name as it may appear inside an f-string's literal part."""
    return str(col).replace("\\", "\\\\").replace("{", "{{").replace("}", "}}").replace('"', '\\"').replace("\n", " ")


def _table(name: str, expr: str) -> tuple[str, ...]:
    return (f'print("BEGIN {name}")', f"print({expr})", f'print("END {name}")')


def frame_code(var: str, plan: StatPlan, *, coerce: bool) -> str:
    out: list[str] = ["import pandas as pd", ""] if coerce else []
    if plan.plot:
        out += ["import matplotlib.pyplot as plt", ""]

    def column(col: Any) -> str:
        return f'pd.to_numeric({var}[{col!r}], errors="coerce")' if coerce else f"{var}[{col!r}]"

    if plan.count and plan.group is None:
        out += [f"rows = len({var})", 'print(f"RESULT rows={rows}")']
    for col in plan.values if plan.group is None else ():
        if plan.ops:
            out.append(f"col = {column(col)}")
        for op in plan.ops:
            out += [f"value = round(col.{op}(), 4)", f'print(f"RESULT {op}[{_key(col)}]={{value}}")']
    if plan.group is not None:
        agg = next((o for o in plan.ops if o in ("mean", "median", "sum", "min", "max", "std")), None)
        if agg is None and plan.count:
            out.append(f"table = {var}[{plan.group!r}].value_counts()")
        else:
            agg = agg or "mean"
            source = (
                f"{var}.assign(**{{{str(plan.values[0])!r}: {column(plan.values[0])}}})"
                if coerce and plan.values
                else var
            )
            target = f"[{plan.values[0]!r}]" if plan.values else ""
            out.append(
                f"table = {source}.groupby({plan.group!r}){target}.{agg}().round(4).sort_values(ascending=False)"
            )
        out += [
            *_table("table", "table.to_string()"),
            'print(f"RESULT groups={len(table)}")',
            "top_group, top_value = table.index[0], table.iloc[0]",
            'print(f"RESULT top_group={top_group}")',
            'print(f"RESULT top_value={top_value}")',
        ]
    if plan.topk and plan.values:
        k, largest = plan.topk
        col = plan.values[0]
        out += [
            f"top = {var}.{'nlargest' if largest else 'nsmallest'}({k}, {col!r})",
            *_table("top", "top.to_string()"),
            f"best = top[{col!r}].iloc[0]",
            'print(f"RESULT best={best}")',
            'print(f"RESULT top_rows={len(top)}")',
        ]
    if plan.corr:
        if len(plan.values) >= 2:
            a, b = plan.values[:2]
            out += [f"r = {column(a)}.corr({column(b)})", 'print(f"RESULT corr={round(r, 4)}")']
        else:
            out += [f"matrix = {var}.corr(numeric_only=True).round(3)", *_table("corr", "matrix.to_string()")]
    if plan.unique is not None:
        out += [
            f"distinct = {var}[{plan.unique!r}].nunique()",
            'print(f"RESULT unique={distinct}")',
            *_table("counts", f"{var}[{plan.unique!r}].value_counts().head(10).to_string()"),
        ]
    if plan.describe:
        out += [f"summary = {var}.describe()", *_table("describe", "summary.round(3).to_string()")]
    if plan.plot:
        out += _frame_plot(var, plan)
    return lines(*out)


def _frame_plot(var: str, plan: StatPlan) -> list[str]:
    out = ["fig, ax = plt.subplots(figsize=(7, 4))"]
    cols = list(plan.values)
    if plan.group is not None:
        out += ["table.plot.bar(ax=ax)", f"ax.set_title({'By ' + str(plan.group)!r})"]
    elif plan.plot == "scatter" and len(cols) >= 2:
        out += [f"{var}.plot.scatter(x={cols[0]!r}, y={cols[1]!r}, ax=ax)"]
    elif plan.plot == "hist" and cols:
        out += [f"{var}[{cols[0]!r}].plot.hist(bins=20, ax=ax)", f"ax.set_title({'Distribution of ' + str(cols[0])!r})"]
    else:
        out += [f"{var}[{cols!r}].plot(ax=ax)" if cols else f"{var}.plot(ax=ax)"]
    return [*out, "plt.show()", f'print(f"RESULT plotted={{len({var})}}")']


def sequence_code(source: str, plan: StatPlan, *, coerce: bool) -> str:
    out = ["import statistics", ""]
    if plan.plot:
        out += ["import matplotlib.pyplot as plt", ""]
    if coerce:
        out += [
            "values = []",
            f"for v in {source}:",
            "    try:",
            "        values.append(float(v))",
            "    except (TypeError, ValueError):",
            "        pass",
            f'print(f"RESULT skipped={{len({source}) - len(values)}}")',
        ]
    else:
        out += [f"values = {source}"]
    out.append('print(f"RESULT n={len(values)}")')
    names = {
        "mean": "statistics.mean",
        "median": "statistics.median",
        "std": "statistics.stdev",
        "var": "statistics.variance",
        "min": "min",
        "max": "max",
        "sum": "sum",
    }
    ops = list(plan.ops)
    asked = plan.ops or plan.topk or plan.unique is not None or plan.plot or plan.count
    if plan.describe or not asked:  # e.g. a correlation of one list: summarize it instead
        ops = [o for o in ("mean", "median", "std", "min", "max") if o not in ops] + ops
    for op in ops:
        out += [f"value = {names[op]}(values)", f'print(f"RESULT {op}={{round(value, 4)}}")']
    if plan.topk:
        k, largest = plan.topk
        out += [f"top = sorted(values, reverse={largest})[:{k}]", 'print(f"RESULT top={top}")']
    if plan.unique is not None:
        out += ['print(f"RESULT unique={len(set(values))}")']
    if plan.plot:
        draw = "plt.hist(values, bins=20)" if plan.plot == "hist" else "plt.plot(values)"
        out += ["plt.figure(figsize=(7, 4))", draw, "plt.show()", 'print(f"RESULT plotted={len(values)}")']
    return lines(*out)


_COERCE_NOTE = "Some values are not numeric, so I convert with pd.to_numeric first. "


_PLACEHOLDER = "__k2nb_data__"


def _spare(var: str, code: str) -> str:
    """Put the user's variable into ``code``, renaming a temporary that would overwrite it."""
    if var in assigned_names(code):  # e.g. their DataFrame is called `table`
        # Not right after "RESULT "/"BEGIN "/"END ": those are output keys the engine reads back.
        code = re.sub(rf"(?<!RESULT )(?<!BEGIN )(?<!END )\b{re.escape(var)}\b", f"{var}_", code)
    return code.replace(_PLACEHOLDER, var)


def use_inspect_tool(task: Task) -> bool:
    """Inspect with the read-only ``inspect_variable`` tool instead of code.

    Only when it is declared and the prompt asks for it by name (```inspect_variable```): the
    default inspection stays code, whose RESULT lines the kernel tests and notebooks rely on.
    """
    return task.has_tool(INSPECT_TOOL) and INSPECT_TOOL in task.named_tools()


class StatsSkill(Skill):
    """Inspect the variable, then compute what was asked from what the inspection showed."""

    def __init__(
        self,
        task: Task,
        var: str | None,
        inline: list[int | float] | None = None,
    ) -> None:
        self.task = task
        self.kernel_var = var
        self.inline = inline

    def inspect_code(self) -> str:
        v = self.kernel_var
        return lines(
            f'print(f"RESULT type={{type({v}).__name__}}")',
            f'if hasattr({v}, "columns"):',
            f'    print(f"RESULT shape={{{v}.shape}}")',
            f'    print(f"RESULT columns={{list({v}.columns)!r}}")',
            f"    print(f\"RESULT numeric={{list({v}.select_dtypes('number').columns)!r}}\")",
            f"    print({v}.dtypes.to_string())",
            f"    print({v}.head().to_string())",
            f'elif hasattr({v}, "__len__"):',
            f'    print(f"RESULT len={{len({v})}}")',
            f'    print(f"RESULT sample={{list({v})[:5]!r}}")',
        )

    def next(self, done: Sequence[Observation]) -> Action:
        if self.inline is not None:
            return self._inline_step(done)
        var = self.kernel_var
        assert var is not None
        if not done:
            if use_inspect_tool(self.task):
                return ToolStep(
                    f"The user wants statistics on `{var}`, a variable in their kernel. I shouldn't "
                    "assume its structure: first I'll look at it with the read-only `inspect_variable` "
                    "tool — type, shape, columns and dtypes, a few rows, without running code — and then "
                    "decide which columns the question refers to.",
                    INSPECT_TOOL,
                    {"name": var},
                )
            return CodeStep(
                f"The user wants statistics on `{var}`, a variable in their kernel. I shouldn't "
                "assume its structure: first I'll check what it is — its type, its shape or "
                "length, and for a DataFrame the columns and dtypes and a few rows — and then "
                "decide which columns the question refers to.",
                self.inspect_code(),
            )
        inspected, rest = self.inspection(done)
        if inspected is None:
            return CodeStep(
                f"The `inspect_variable` summary of `{var}` doesn't show columns and dtypes I can rely "
                "on, so I'll inspect it with code instead.",
                self.inspect_code(),
            )
        if not rest:
            return self.compute(inspected, coerce=False)
        return self.summarize(inspected, rest[-1])

    def inspection(self, done: Sequence[Observation]) -> tuple[Observation | None, Sequence[Observation]]:
        """The inspection (``inspect_variable``'s summary read into RESULT keys, or the inspection code's
        output) and the calls after it; None while an unusable summary awaits a code inspection."""
        first = done[0]
        if first.tool != INSPECT_TOOL:
            return first, done[1:]
        results = inspected_results(first.output)
        if results is not None:
            return replace(first, results=results), done[1:]
        return (done[1], done[2:]) if len(done) > 1 else (None, ())

    def _inline_step(self, done: Sequence[Observation]) -> Action:
        plan = plan_frame(self.task.low, [], [], "")
        if not done:
            return CodeStep(
                f"The numbers are given in the prompt: {self.inline}. I'll put them "
                "in a list and use the statistics module.",
                sequence_code(repr(self.inline), plan, coerce=False),
            )
        return self.summarize(None, done[-1])

    def _plan(self, inspected: Observation) -> tuple[StatPlan, bool]:
        kind = need(inspected, "type")
        if "columns" in inspected.results:
            columns = literal(inspected.results["columns"])
            numeric = literal(inspected.results.get("numeric", "[]"))
            if not isinstance(columns, list) or not isinstance(numeric, list):
                raise Unreadable("columns")
            return plan_frame(self.task.low, columns, numeric, self.kernel_var or ""), True
        if "len" not in inspected.results:
            raise Unreadable(f"len (it is a {kind})")
        return plan_frame(self.task.low, [], [], ""), False

    def compute(self, inspected: Observation, *, coerce: bool) -> CodeStep:
        var = self.kernel_var or ""
        kind = need(inspected, "type")
        plan, is_frame = self._plan(inspected)
        if is_frame:
            shape = need(inspected, "shape")
            cols = ", ".join(f"`{c}`" for c in literal(inspected.results["columns"]))
            focus = ", ".join(f"`{c}`" for c in plan.values) or "all numeric columns"
            group = f", grouped by `{plan.group}`" if plan.group is not None else ""
            thought = (
                f"`{var}` is a {kind} with shape {shape} and columns {cols}. The question "
                f"is about {focus}{group}. "
                f"{_COERCE_NOTE if coerce else ''}"
                "I'll compute it with pandas and print each figure on a RESULT line "
                "(tables between BEGIN/END markers)."
            )
            return CodeStep(thought, _spare(var, frame_code(_PLACEHOLDER, plan, coerce=coerce)))
        length = need(inspected, "len")
        source = f"list({_PLACEHOLDER}.values())" if kind == "dict" else f"list({_PLACEHOLDER})"
        thought = (
            f"`{var}` is a {kind} with {length} items (first ones: "
            f"{inspected.results.get('sample', '?')}). The statistics module handles plain "
            "sequences; I'll compute what was asked"
            f"{', skipping values that are not numbers' if coerce else ''}."
        )
        return CodeStep(thought, _spare(var, sequence_code(source, plan, coerce=coerce)))

    def repair(self, failed: Observation, done: Sequence[Observation]) -> CodeStep | None:
        assert failed.error is not None
        inspected, rest = self.inspection(done) if done else (None, ())
        retry = failed.error.kind in ("TypeError", "ValueError")
        if self.inline is None and inspected is not None and not rest and retry:
            step = self.compute(inspected, coerce=True)
            return CodeStep(
                f"The computation failed with `{failed.error.line}`: some values are "
                "not numbers (probably strings). I'll convert them to numbers and "
                "drop what cannot be converted, then retry. " + step.thought,
                step.code,
            )
        return None

    def summarize(self, inspected: Observation | None, result: Observation) -> Answer:
        plan = self._plan(inspected)[0] if inspected is not None else plan_frame(self.task.low, [], [], "")
        r, tables = result.results, result.tables
        parts: list[str] = []
        if inspected is not None:
            size = f"shape {r0}" if (r0 := inspected.results.get("shape")) else f"{inspected.results.get('len')} items"
            parts.append(f"`{self.kernel_var}` is a `{need(inspected, 'type')}` with {size}.")
        if "skipped" in r:
            parts.append(f"{r['skipped']} values were not numeric and were skipped.")
        if "rows" in r:
            parts.append(f"- **rows:** {r['rows']}")
        if "n" in r and plan.count:
            parts.append(f"- **items:** {r['n']}")
        for key, value in r.items():
            op, _, col = key.partition("[")
            if op in _OP_LABELS:
                where = f" of `{col[:-1]}`" if col else ""
                parts.append(f"- **{_OP_LABELS[op]}{where}:** {value}")
        if "table" in tables and plan.group is not None:
            what = (
                f"{_agg_label(plan)} `{plan.values[0]}`"
                if plan.values and not (plan.count and not plan.ops)
                else "rows"
            )
            parts.append(
                f"{what[0].upper()}{what[1:]} by `{plan.group}` ({need(result, 'groups')} "
                f"groups) — highest: **{need(result, 'top_group')}** "
                f"({need(result, 'top_value')}).\n```text\n{tables['table']}\n```"
            )
        if "top" in tables and plan.topk and plan.values:
            largest = plan.topk[1]
            parts.append(
                f"The {need(result, 'top_rows')} rows with the "
                f"{'largest' if largest else 'smallest'} `{plan.values[0]}` "
                f"(first: **{need(result, 'best')}**):\n```text\n{tables['top']}\n```"
            )
        if "top" in r:
            parts.append(
                f"- **{'largest' if not plan.topk or plan.topk[1] else 'smallest'} values:** {listed_text(r['top'])}"
            )
        if "corr" in r and len(plan.values) >= 2:
            parts.append(
                f"The correlation between `{plan.values[0]}` and `{plan.values[1]}` is **{r['corr']}** (Pearson)."
            )
        if "corr" in tables:
            parts.append(f"Correlation matrix (Pearson):\n```text\n{tables['corr']}\n```")
        if "unique" in r:
            name = (
                f"`{plan.unique}` has"
                if plan.unique is not None and inspected is not None and "columns" in inspected.results
                else "There are"
            )
            parts.append(f"{name} **{r['unique']}** distinct values.")
            if "counts" in tables:
                parts.append(f"```text\n{tables['counts']}\n```")
        if "describe" in tables:
            parts.append(f"Summary statistics:\n```text\n{tables['describe']}\n```")
        if "plotted" in r:
            parts.append(f"The chart ({r['plotted']} points) is shown above.")
        if len(parts) <= (1 if inspected is not None else 0):
            raise Unreadable("a statistic")
        printed = "; ".join(f"{k}={v}" for k, v in r.items())
        return Answer(
            f"The computation printed: {printed}"
            f"{' and tables ' + ', '.join(tables) if tables else ''}. I'll report the "
            "values exactly as printed.",
            "\n".join(parts),
        )


_OP_LABELS = {
    "mean": "mean",
    "median": "median",
    "std": "standard deviation",
    "var": "variance",
    "min": "minimum",
    "max": "maximum",
    "sum": "sum",
}


def _agg_label(plan: StatPlan) -> str:
    agg = next((o for o in plan.ops if o in ("mean", "median", "sum", "min", "max", "std")), "mean")
    return _OP_LABELS[agg]
