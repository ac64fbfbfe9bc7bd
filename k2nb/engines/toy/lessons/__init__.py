"""The lessons teachers give: real code on the student's input, and its printed trace explained step by step.

Sorting pass by pass, linear and binary search, recursion with its call trace, loops and accumulators,
string algorithms, unit conversions and percentages, and a t-test or a fitted line on numbers written
in the prompt (on a DataFrame those are data questions, see ``data``). A list the prompt names in the
kernel (``scores``, a DataFrame's column) is looked up first and read by the lesson's code (``kernel``).
"""

from __future__ import annotations

from ..core import Skill, Task
from .fits import fits_skill
from .loops import counter_skill, loop_skill, times_table_skill
from .recursion import recursion_skill
from .searching import search_skill
from .sorting import sorting_skill
from .strings import string_skill
from .units import units_skill

_LESSONS = (
    sorting_skill,
    search_skill,
    recursion_skill,
    counter_skill,
    times_table_skill,
    loop_skill,
    string_skill,
    fits_skill,
)


def lesson_skill(task: Task) -> Skill | None:
    """The lesson the prompt asks for, or None."""
    for build in _LESSONS:
        skill = build(task)
        if skill is not None:
            return skill
    return None


__all__ = ["lesson_skill", "units_skill"]
