"""examples/research-notebook.ipynb runs offline on the toy engine and reports what the kernel computed."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import nbformat
import pytest

from tests.harness.kernel import run_notebook
from tests.harness.outputs import cell_text

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _plain(cell: Any) -> str:
    """The trace as text (the text/plain of the cell's displays and its streams)."""
    return "\n".join(
        str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", "")) for o in cell.get("outputs", [])
    )


def _answer(cell: Any) -> str:
    """The answer: what the trace shows between its two rules (after the steps, before the status)."""
    parts = re.split(r"^─{20,}$", _plain(cell), flags=re.M)
    assert len(parts) >= 3, _plain(cell)
    return parts[-2]


def _tools_called(cell: Any) -> list[str]:
    return re.findall(r"^🔧 (\w+)", _plain(cell), flags=re.M)


@pytest.mark.kernel
def test_research_notebook_runs_offline(tmp_path: pathlib.Path) -> None:
    source = ROOT / "examples" / "research-notebook.ipynb"
    nb = nbformat.read(source, as_version=4)
    # The kernel knows its notebook's file, as under Jupyter's server (and `make demo`): read as last saved.
    run_notebook(nb, {"JPY_SESSION_NAME": str(source)}, cwd=tmp_path, timeout=300)
    code = [c for c in nb.cells if c.cell_type == "code"]

    def cell(*needles: str) -> Any:
        found = [c for c in code if all(n in c.source for n in needles)]
        assert len(found) == 1, needles
        return found[0]

    # the same data, rebuilt here from the notebook's own cell
    import pandas as pd

    namespace: dict[str, object] = {}
    exec(cell("measurements = pd.DataFrame").source.rsplit("\n", 1)[0], namespace)
    frame = namespace["measurements"]
    assert isinstance(frame, pd.DataFrame)
    means = frame.groupby("site")["yield_kg"].mean().round(4)
    corr = round(float(frame["temperature"].corr(frame["yield_kg"])), 4)
    scores = (frame["yield_kg"] - frame["yield_kg"].mean()) / frame["yield_kg"].std()
    outlier_rows = frame.index[scores.abs() > 2.5].tolist()  # what `outliers("yield_kg")` must return
    assert outlier_rows  # the dataset has damaged plots
    rows, cols = frame.shape

    tools = cell_text(cell("@k2nb.tool"))
    assert "outliers" in tools and "list_variables" in tools and "inspect_variable" in tools
    by_site = cell_text(cell("--context measurements"))
    assert "offline toy engine" in by_site
    assert "[Context from the user" in by_site  # --context went with the prompt
    for site, value in means.items():
        assert f"{site}" in by_site and f"{value:g}" in by_site, (site, value)
    assert f"**{means.idxmax()}**" in by_site  # the answer names the site the code found

    correlation_cell = cell("correlation between temperature")
    correlation = cell_text(correlation_cell)
    assert "I call anything above 0.5 strong." in correlation  # {min_corr} interpolated
    # the model looked at the frame with inspect_variable (no code), then computed with code
    assert _tools_called(correlation_cell) == ["inspect_variable", "code_interpreter"]
    inspected = _plain(correlation_cell).split("🔧 inspect_variable", 1)[1].split("🔧 code_interpreter", 1)[0]
    assert f"shape {rows}×{cols}" in inspected
    for column, dtype in frame.dtypes.items():
        assert re.search(rf"^\s*{column}\s+{dtype}$", inspected, re.M), (column, dtype)
    assert f"**{corr}**" in _answer(correlation_cell)

    user_tool = cell("Use `outliers`")
    assert _tools_called(user_tool) == ["outliers"]  # read-only: ran without an approval or any code
    shown = _plain(user_tool).split("🔧 outliers", 1)[1]
    assert "outliers(column='yield_kg')" in shown  # the argument came from the prompt
    result = json.dumps(outlier_rows)
    assert result in shown.split("─" * 20)[0]  # the tool's result in the trace
    assert result in _answer(user_tool)  # and quoted by the answer

    listing = cell("What variables do I have?")
    assert _tools_called(listing) == ["list_variables"]
    listed = _answer(listing)
    assert f"`measurements`: pandas.DataFrame ({rows}×{cols})" in listed
    assert "`min_corr`: float = 0.5" in listed and "`outliers`: function" in listed

    # %k2 fix, headless: the right column found with inspect_variable, the fixed cell given as code to paste
    fixed = cell_text(cell("%k2 fix"))
    assert _tools_called(cell("%k2 fix")) == ["inspect_variable"]
    assert 'measurements.groupby("site")["yield_kg"].mean()' in fixed and "doesn't let me change cells" in fixed
    explained = _answer(cell("What does cell 4 do?"))  # read from the notebook as saved
    assert "imports `numpy` as `np`, `pandas` as `pd`" in explained and "`measurements`" in explained

    view = cell_text(cell("import k2nb.kernel.summaries as model_view"))
    assert f"measurements: pandas.DataFrame ({rows}×{cols})" in view and "model_view" not in view.split(":")[0]
    assert f"outliers in yield_kg: {outlier_rows}" in view  # the damaged plots
    exported = (tmp_path / "research-session.md").read_text(encoding="utf-8")
    assert exported.count("<details><summary>💭 Thought for") >= 4 and f"**{corr}**" in exported
    runs = sum(c.source.startswith(("%%k2", "%k2 fix")) for c in code)
    assert f"{runs} run(s)" in cell_text(cell("%k2 usage"))
