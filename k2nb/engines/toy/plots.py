"""Plotting a function of x with matplotlib."""

from __future__ import annotations

import ast
import re

from .core import Answer, Observation, OneShot, Skill, Task, lines, need
from .names import guesses

_PLOT = re.compile(r"\b(?:plot|graph|draw|sketch|visuali[sz]e|chart)\b")
_NP_NAMES = {
    "sin",
    "cos",
    "tan",
    "exp",
    "log",
    "log10",
    "log2",
    "sqrt",
    "abs",
    "sinh",
    "cosh",
    "tanh",
    "arcsin",
    "arccos",
    "arctan",
    "pi",
    "e",
}
_BOUND = r"-?\s*(?:\d+(?:\.\d+)?\s*\*?\s*)?(?:pi|π)|-?\d+(?:\.\d+)?"


def _to_numpy(expr: str) -> str | None:
    out = expr.strip().replace("π", "pi").replace("^", "**").replace("ln(", "log(")
    out = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?=[a-z(])", r"\1*", out)
    out = re.sub(r"\)\s*(?=[a-z(\d])", ")*", out)
    out = re.sub(r"\bx\s*(?=\()", "x*", out)
    try:
        tree = ast.parse(out, mode="eval")
    except SyntaxError:
        return None
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if "x" not in names or not names <= _NP_NAMES | {"x"}:
        return None
    return re.sub(r"\b(?!x\b)([a-z][a-z0-9]*)\b", r"np.\1", out)


def _bound_code(text: str) -> str:
    text = text.replace(" ", "").replace("π", "pi")
    m = re.fullmatch(r"(-?)(\d+(?:\.\d+)?)?\*?pi", text)
    if m:
        return f"{m[1]}{m[2] + ' * ' if m[2] else ''}np.pi"
    return text


def plot_function_skill(task: Task) -> Skill | None:
    low = task.low
    m = _PLOT.search(low)
    if not m or guesses(task.text):
        return None  # "plot x in df" is a column of the user's data, not the function y = x
    body = low[m.end() :]
    body = re.sub(r"^\s*(?:the\s+)?(?:function|graph|curve|functions)?\s*(?:of\s+)?", "", body)
    body = re.sub(r"^\s*(?:y|f\(x\))\s*=\s*", "", body)
    expr_part = re.split(r"\s+(?:from|between|for|on|over|in|where|with)\b|\s*[\[;]|[?.](?:\s|$)", body)[0]
    pieces = [p.strip(" ,") for p in re.split(r"\s+and\s+|,\s*(?=[a-z0-9(-])", expr_part) if p.strip(" ,")]
    pieces = [re.sub(r"^(?:y|f\(x\)|g\(x\))\s*=\s*", "", p) for p in pieces]
    curves = [(p, _to_numpy(p)) for p in pieces]
    good = [(label, code) for label, code in curves if code]
    if not good:
        return None
    bounds = (
        re.search(rf"from\s+({_BOUND})\s+to\s+({_BOUND})", low)
        or re.search(rf"between\s+({_BOUND})\s+and\s+({_BOUND})", low)
        or re.search(rf"\[\s*({_BOUND})\s*,\s*({_BOUND})\s*\]", low)
        or re.search(rf"({_BOUND})\s*<=?\s*x\s*<=?\s*({_BOUND})", low)
    )
    lo, hi = (bounds[1].strip(), bounds[2].strip()) if bounds else ("-10", "10")
    title = " and ".join(label for label, _ in good)
    code = lines(
        "import matplotlib.pyplot as plt",
        "import numpy as np",
        "",
        f"x = np.linspace({_bound_code(lo)}, {_bound_code(hi)}, 500)",
        "curves = {",
        *(f"    {label!r}: {expr}," for label, expr in good),
        "}",
        "",
        "fig, ax = plt.subplots(figsize=(7, 4))",
        "for label, y in curves.items():",
        "    ax.plot(x, np.broadcast_to(y, x.shape), label=label)",
        'ax.axhline(0, color="gray", linewidth=0.5)',
        'ax.set_xlabel("x")',
        'ax.set_ylabel("y")',
        f"ax.set_title({title!r})",
        "ax.grid(True, alpha=0.3)",
        "ax.legend()",
        "plt.show()",
        "",
        "for i, y in enumerate(curves.values()):",
        "    finite = np.broadcast_to(y, x.shape)[np.isfinite(np.broadcast_to(y, x.shape))]",
        '    print(f"RESULT min_{i}={finite.min():.4f}")',
        '    print(f"RESULT max_{i}={finite.max():.4f}")',
        'print(f"RESULT points={len(x)}")',
    )
    thought = (
        f"Plot {title} for x from {lo} to {hi}. NumPy evaluates the expression on a grid "
        "(500 points is smooth enough), matplotlib draws it; plt.show() makes the figure "
        "appear in the notebook. I'll also print each curve's min and max over the range "
        "so I can describe the plot in words."
    )

    def answer(obs: Observation) -> Answer:
        points = need(obs, "points")
        rows = [
            f"- `{label}`: from {need(obs, f'min_{i}')} to {need(obs, f'max_{i}')}" for i, (label, _) in enumerate(good)
        ]
        return Answer(
            f"The figure was shown; the code printed points={points} and the ranges. I'll describe them.",
            f"Here is the plot of {title} on [{lo}, {hi}] ({points} points); the "
            "figure is shown above.\n\nOver that interval the values range:\n" + "\n".join(rows),
        )

    return OneShot(thought, code, answer)
