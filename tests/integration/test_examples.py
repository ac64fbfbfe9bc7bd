"""The examples run offline on the toy engine, in a real kernel, as `make demo` runs them."""

from __future__ import annotations

import pathlib
import re

import nbformat
import pytest

from tests.harness.kernel import run_notebook
from tests.harness.outputs import cell_text

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.kernel
def test_quickstart_runs_offline_and_answers_from_the_kernel() -> None:
    nb = nbformat.read(ROOT / "examples" / "quickstart.ipynb", as_version=4)
    run_notebook(nb, timeout=300)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "offline toy engine" in cell_text(code[1])  # says once that it is offline, and why
    trace = cell_text(code[1])
    printed = re.search(r"RESULT count=(\d+)", trace)
    assert printed, trace
    expected = sum(
        1 for n in range(1, 1001) if (s := sum(map(int, str(n)))) > 1 and all(s % d for d in range(2, int(s**0.5) + 1))
    )
    assert int(printed.group(1)) == expected
    assert f"**{expected}**" in trace  # the answer quotes what the code printed
    assert cell_text(code[2]).split()[0] == str(expected)  # the variable is in the kernel
    assert "π ≈" in cell_text(code[3]) or "pi" in cell_text(code[3]).lower()
    assert "2 run(s)" in cell_text(code[4])
