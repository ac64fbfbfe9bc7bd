"""A t-test of two samples and a least-squares line through points, both written in the prompt."""

from __future__ import annotations

import re
from typing import Any

from ..core import Answer, Observation, OneShot, Skill, Task
from ..data.answer import fit_text, ttest_steps
from ..data.code import FIT_STEPS, TTEST_STEPS, in_function
from .common import bracket_lists

_TTEST = re.compile(r"\bt[- ]?test|\bstudent'?s\s+t\b|\bwelch\b|\bsignifican", re.I)
_FIT = re.compile(
    r"regress|linear\s+(?:regression|fit|model|trend)|line\s+of\s+best\s+fit|best[- ]fit|"
    r"fit\s+a\s+(?:straight\s+)?line|trend\s*line|least\s+squares|\bslope\b",
    re.I,
)


def fits_skill(task: Task) -> Skill | None:
    text = task.text
    numeric = [v for v in bracket_lists(text) if all(isinstance(x, (int, float)) for x in v)]
    if _TTEST.search(text) and len(numeric) >= 2 and min(len(numeric[0]), len(numeric[1])) >= 2:
        return TTestLesson(numeric[0], numeric[1])
    if not _FIT.search(text):
        return None
    points = re.findall(r"\(\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)", text)
    if len(points) >= 2:
        xs = [float(a) for a, _ in points]
        ys = [float(b) for _, b in points]
        return FitLesson(xs, ys)
    if len(numeric) >= 2 and len(numeric[0]) == len(numeric[1]) >= 2:
        x_at, y_at = re.search(r"\bx\s*[=:]?\s*\[", text), re.search(r"\by\s*[=:]?\s*\[", text)
        y_first = x_at is not None and y_at is not None and y_at.start() < x_at.start()
        xs, ys = (numeric[1], numeric[0]) if y_first else (numeric[0], numeric[1])
        return FitLesson(xs, ys)
    return None


class TTestLesson(OneShot):
    def __init__(self, a: list[Any], b: list[Any]) -> None:
        self.a, self.b = a, b
        super().__init__(
            f"A two-sample t-test of {a} against {b}. I'll use Welch's version (it does not assume equal "
            "variances): t = (mean_a − mean_b) / √(var_a/n_a + var_b/n_b). NumPy gives the means and variances; the "
            "p-value needs the t distribution from scipy, if it is installed. Every intermediate value is printed.",
            in_function(["import numpy as np"], ["a, b = data", *TTEST_STEPS], repr((a, b))),
            self.explain,
        )

    def explain(self, obs: Observation) -> Answer:
        return Answer(
            f"The code printed t={obs.results.get('t')}, p={obs.results.get('p')}. I'll walk through the steps.",
            f"You asked for a t-test of {self.a} against {self.b}.\n\n"
            + ttest_steps(obs, "the first sample", "the second"),
        )


class FitLesson(OneShot):
    def __init__(self, xs: list[Any], ys: list[Any]) -> None:
        self.xs, self.ys = xs, ys
        super().__init__(
            f"A least-squares line through the points with x = {xs} and y = {ys}: slope = Sxy / Sxx, intercept = "
            "mean y − slope · mean x, and r² = 1 − SSres / SStot says how much of the variation the line explains. "
            "NumPy computes each sum; I'll print them all.",
            in_function(
                ["import numpy as np"],
                ["x, y = np.array(data[0], dtype=float), np.array(data[1], dtype=float)", *FIT_STEPS],
                repr((xs, ys)),
            ),
            self.explain,
        )

    def explain(self, obs: Observation) -> Answer:
        return Answer(
            f"The code printed slope={obs.results.get('slope')}, intercept={obs.results.get('intercept')}, "
            f"r2={obs.results.get('r2')}.",
            f"You asked for a linear regression of y = {self.ys} on x = {self.xs}.\n\n" + fit_text(obs, "y", "x"),
        )
