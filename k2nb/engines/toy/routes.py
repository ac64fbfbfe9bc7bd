"""Which skill answers a request: the ordered routes, the one place to add toy behaviour.

Each route is a builder, ``build(task) -> Skill | None``: it looks at the task (the prompt and the
declared tools) and returns a skill, or None to pass. The first route that returns a skill wins, so
specific routes come before general ones:

0. ``notebook`` — questions about the notebook's cells, when k2nb declared the notebook tools
   (read a cell, fix a failing one, add a markdown or a code cell).
1. ``tools`` — requests about the declared tools themselves: *what variables do I have*, a tool
   named in backticks (``@k2nb.tool`` functions, MCP tools).
2. ``declines`` — what the toy cannot do here, said plainly instead of answering a different
   question (questions about notebook cells when the notebook tools are not declared).
3. ``lessons`` — the teaching families that explain a printed trace step by step.
4. families keyed on words that are never about kernel data: Monte Carlo, plots of a function of
   x, number theory, quoted text, unit conversions and percentages.
5. statistics of numbers written in the prompt, and arithmetic (an expression).
6. questions about the kernel's data, resolved against what the inspection tools say exists.

To add behaviour, write a module with a builder and add one line to ``ROUTES`` at the place where
its trigger words are specific enough. A request no route takes gets an honest "I can't do that".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .core import OneShot, Skill, Task, as_function
from .data import data_skill, inline_skill
from .declines import cells_decline
from .lessons import lesson_skill, units_skill
from .notebook import notebook_route
from .numbers import (
    arithmetic_skill,
    digit_sum_skill,
    factorial_skill,
    fibonacci_skill,
    gcd_skill,
    prime_skill,
    range_sum_skill,
    root_skill,
)
from .plots import plot_function_skill
from .school import leap_year_skill, rounding_skill
from .simulation import monte_carlo_skill
from .text import text_skill
from .tools import tool_route

Route = Callable[[Task], Skill | None]


def notebook(task: Task) -> Skill | None:
    """The notebook skills; a new code cell holds the code the other routes would run."""
    return notebook_route(task, route)


def contained(build: Route, name: str) -> Route:
    """A family's one piece of code, run as one function named ``name``: its temporaries (``text``,
    ``result``, ``x``…) never overwrite the class's own variables; what it computed (the skill's
    ``keeps``: ``matches``, ``primes``) is returned into the kernel. Lessons and data questions shape
    their functions themselves (a lesson's name, the frame passed in)."""

    def wrapped(task: Task) -> Skill | None:
        skill = build(task)
        if type(skill) is OneShot:
            return replace(skill, code=as_function(name, skill.code, keeps=skill.keeps))
        return skill

    return wrapped


ROUTES: tuple[Route, ...] = (
    notebook,
    tool_route,
    cells_decline,
    lesson_skill,
    contained(monte_carlo_skill, "show_monte_carlo"),
    contained(plot_function_skill, "show_plot"),
    contained(gcd_skill, "show_gcd"),
    contained(digit_sum_skill, "show_digit_sums"),
    contained(text_skill, "show_text"),
    units_skill,
    contained(prime_skill, "show_primes"),
    contained(fibonacci_skill, "show_fibonacci"),
    contained(factorial_skill, "show_factorial"),
    contained(range_sum_skill, "show_range_sum"),
    contained(rounding_skill, "show_rounding"),
    contained(leap_year_skill, "show_leap_years"),
    inline_skill,
    contained(root_skill, "show_root"),
    contained(arithmetic_skill, "show_arithmetic"),
    data_skill,
)


def route(task: Task) -> Skill | None:
    """The first route's skill for ``task``, or None: then the engine says what it can do instead."""
    for build in ROUTES:
        skill = build(task)
        if skill is not None:
            return skill
    return None
