"""Simulation: Monte Carlo estimates with a seed."""

from __future__ import annotations

import re

from .core import Answer, Observation, OneShot, Skill, Task, lines, need
from .parsing import _NUM, to_int


def monte_carlo_skill(task: Task) -> Skill | None:
    low = task.low
    if not (
        re.search(r"monte\s*-?\s*carlo", low)
        or re.search(r"(?:estimate|approximate|simulat\w*)\s+(?:the value of\s+)?(?:pi|π)\b", low)
    ):
        return None
    seed_m = re.search(r"seed\s*(?:=|of|:)?\s*(\d+)", low)
    seed = int(seed_m[1]) if seed_m else 42
    n_m = re.search(
        rf"({_NUM})\s*(?:random\s+)?(?:samples|points|darts|throws|draws|iterations|"
        r"trials|simulations|runs)",
        low,
    ) or re.search(rf"\bn\s*=\s*({_NUM})", low)
    n = to_int(n_m[1]) if n_m else 100_000
    code = lines(
        "import math",
        "import random",
        "",
        f"rng = random.Random({seed})",
        f"n = {n}",
        "inside = 0",
        "for _ in range(n):",
        "    x, y = rng.random(), rng.random()",
        "    if x * x + y * y <= 1.0:",
        "        inside += 1",
        "estimate = 4 * inside / n",
        'print(f"RESULT inside={inside}")',
        'print(f"RESULT estimate={estimate}")',
        'print(f"RESULT error={abs(estimate - math.pi):.6f}")',
    )
    thought = (
        f"Monte Carlo estimate of pi: throw {n} random points in the unit square and "
        "count how many land inside the quarter circle x² + y² <= 1. The fraction inside "
        f"approximates pi/4, so pi ≈ 4 · inside / n. Seed {seed}"
        f"{' as requested' if seed_m else ' (none given, so I pick one for reproducibility)'}"
        "; a dedicated random.Random keeps the global generator untouched. I'll print the "
        "hit count, the estimate and the error against math.pi."
    )

    def answer(obs: Observation) -> Answer:
        inside, estimate, error = need(obs, "inside"), need(obs, "estimate"), need(obs, "error")
        return Answer(
            f"Printed inside={inside}, estimate={estimate}, error={error}. The error is in line "
            "with the 1/sqrt(n) convergence of Monte Carlo.",
            f"With {n} random points (seed {seed}), **{inside}** fell inside the quarter circle, "
            f"giving **π ≈ {estimate}** (off by {error} from math.pi).\n\nThe error shrinks "
            "roughly like 1/√n, so 100× more points buys about one more correct digit.",
        )

    return OneShot(thought, code, answer)
