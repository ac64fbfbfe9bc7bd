"""Every repertoire family of the toy engine as a user meets it: a `%%k2` cell in a real kernel.

One notebook (one kernel start) holds a cell per family; the inputs are drawn at random here, and
each test checks that the value the code printed is right (computed independently below) and that
the answer quotes it.
"""

from __future__ import annotations

import math
import random
import re
from typing import Any

import pytest

from tests.harness.kernel import run_notebook

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.kernel

rng = random.Random()
SITES = rng.sample(["Oslo", "Lima", "Pune", "Kobe", "Graz", "Perth"], 4)
FRAME = {
    "site": [rng.choice(SITES) for _ in range(rng.randint(30, 60))],
}
FRAME["reading"] = [round(rng.uniform(-20, 40), 2) for _ in FRAME["site"]]
WORDS = ["tide", "ember", "kayak", "moss", "level", "quartz", "noon", "fjord"]
INPUTS: dict[str, Any] = {
    "primes": rng.randint(2_000, 40_000),
    "plot": (rng.randint(5, 20), rng.randint(2, 50)),  # x from 0 to hi, y = x^2/d
    "sentence": " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 25))),
    "monte_carlo": (rng.randint(10_000, 40_000), rng.randint(0, 10**6)),  # points, seed
    "squares": rng.randint(20, 400),
    "multiply": (rng.randint(100, 9999), rng.randint(100, 9999)),
    "haiku": rng.choice(["autumn", "the sea", "a lighthouse"]),
}

CELLS = {
    "primes": f"I'm curious: what's the count of prime numbers less than {INPUTS['primes']:,}, please?",
    "stats": "What is the mean reading by site in `measurements`?",
    "plot": f"plot sin(x) and x^2/{INPUTS['plot'][1]} from 0 to {INPUTS['plot'][0]}",
    "text": f'count the words in "{INPUTS["sentence"]}"',
    "monte_carlo": "Estimate pi with a Monte Carlo simulation using {} points and seed {}".format(
        *INPUTS["monte_carlo"]
    ),
    "self_correction": f"sum of the squares from 1 to {INPUTS['squares']}, make a mistake first and self-correct",
    "multiply": "what do you get if you multiply {} by {}".format(*INPUTS["multiply"]),
    "fallback": f"Write me a haiku about {INPUTS['haiku']}",
}


@pytest.fixture(scope="module")
def traces() -> dict[str, dict[str, str]]:
    """Run the notebook once; per family, the trace as plain text and as HTML."""
    setup = f"import pandas as pd\nmeasurements = pd.DataFrame({FRAME!r})"
    cells = ["%load_ext k2nb", setup, *(f"%%k2 --approve auto\n{prompt}" for prompt in CELLS.values()), "%k2 help toy"]
    nb = run_notebook(cells, env={"K2NB_PROVIDER": "toy", "K2NB_TOY_SPEED": "0"}, timeout=180)
    out: dict[str, dict[str, str]] = {}
    for name, cell in zip([*CELLS, "help"], nb.cells[2:], strict=True):
        plain = "\n".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", "")) for o in cell.outputs)
        html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in cell.outputs)
        out[name] = {"plain": plain, "html": html}
    return out


def printed(trace: dict[str, str], key: str) -> str:
    """A value the code printed, as the trace shows it (``RESULT key=value``)."""
    found = re.findall(rf"RESULT {re.escape(key)}=(.*)", trace["plain"])
    assert found, f"{key!r} not printed in the trace:\n{trace['plain']}"
    return str(found[-1]).strip()


def answer(trace: dict[str, str]) -> str:
    """The answer: what the trace shows between its two rules (after the steps, before the status)."""
    parts = re.split(r"^─{20,}$", trace["plain"], flags=re.M)
    assert len(parts) >= 3, trace["plain"]
    return parts[-2]


def tool_calls(trace: dict[str, str]) -> int:
    return len(re.findall(r"^🔧 code_interpreter", trace["plain"], flags=re.M))


def test_number_theory(traces: dict[str, dict[str, str]]) -> None:
    n = INPUTS["primes"]
    sieve = bytearray([1]) * n
    sieve[:2] = b"\0\0"
    for p in range(2, math.isqrt(n) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytearray(len(sieve[p * p :: p]))
    count = printed(traces["primes"], "count")
    assert count == str(sum(sieve))
    assert f"**{count}**" in answer(traces["primes"])


def test_statistics_on_a_kernel_dataframe_inspects_first(traces: dict[str, dict[str, str]]) -> None:
    trace = traces["stats"]
    # inspect with the read-only tool (no approval), then compute with one code call
    assert re.findall(r"^🔧 (\w+)", trace["plain"], flags=re.M) == ["inspect_variable", "code_interpreter"]
    assert "dtypes:" in trace["plain"].split("🔧 inspect_variable")[1].split("🔧 code_interpreter")[0]
    frame = pd.DataFrame(FRAME)
    truth = frame.groupby("site")["reading"].mean().round(4).sort_values(ascending=False)
    assert printed(trace, "top_group") == truth.index[0]
    assert printed(trace, "top_value") == str(truth.iloc[0])
    assert f"**{truth.index[0]}** ({truth.iloc[0]})" in answer(trace)


def test_plotting_shows_the_figure_in_the_trace(traces: dict[str, dict[str, str]]) -> None:
    trace = traces["plot"]
    hi, d = INPUTS["plot"]
    assert '<img src="data:image/png;base64,' in trace["html"]  # the figure is in the trace
    value = printed(trace, "max_1")
    assert value == f"{hi * hi / d:.4f}"
    assert value in answer(trace)


def test_text(traces: dict[str, dict[str, str]]) -> None:
    count = printed(traces["text"], "words")
    assert count == str(len(INPUTS["sentence"].split()))
    assert f"**{count}**" in answer(traces["text"])


def test_monte_carlo_with_the_chosen_seed(traces: dict[str, dict[str, str]]) -> None:
    n, seed = INPUTS["monte_carlo"]
    twin = random.Random(seed)
    inside = sum(twin.random() ** 2 + twin.random() ** 2 <= 1.0 for _ in range(n))
    trace = traces["monte_carlo"]
    assert printed(trace, "inside") == str(inside)
    estimate = printed(trace, "estimate")
    assert estimate == str(4 * inside / n) and estimate in answer(trace)


def test_self_correction_reads_the_traceback_and_succeeds(traces: dict[str, dict[str, str]]) -> None:
    trace = traces["self_correction"]
    assert tool_calls(trace) == 2
    first, second = trace["plain"].split("🔧 code_interpreter")[1:3]
    error = re.search(r"^\s*((?:Name|Type)Error: .+)$", first, re.M)
    assert error, first
    assert error[1].strip() in second  # the next thinking quotes the error before the fix
    total = printed(trace, "total")
    assert total == str(sum(i * i for i in range(1, INPUTS["squares"] + 1)))
    assert total in answer(trace) and "deliberate bug" in answer(trace)


def test_unusual_phrasing_still_routes(traces: dict[str, dict[str, str]]) -> None:
    a, b = INPUTS["multiply"]
    value = printed(traces["multiply"], "value")
    assert value == str(a * b) and f"**{value}**" in answer(traces["multiply"])


def test_anything_else_gets_a_graceful_answer(traces: dict[str, dict[str, str]]) -> None:
    trace = traces["fallback"]
    assert tool_calls(trace) == 0
    text = answer(trace)
    assert "toy engine" in text and "Monte Carlo" in text and "Traceback" not in trace["plain"]


def test_help_toy_lists_the_families(traces: dict[str, dict[str, str]]) -> None:
    for family in ("Primes", "Statistics", "Plots", "Text", "Monte Carlo", "Self-correction"):
        assert family in traces["help"]["plain"]
