"""examples/research-notebook.ipynb runs offline on the toy engine and reports what the kernel computed."""

from __future__ import annotations

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import cell_text

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.kernel
def test_research_notebook_runs_offline(tmp_path: pathlib.Path) -> None:
    nb = nbformat.read(ROOT / "examples" / "research-notebook.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = {i: c for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    # the same data, rebuilt here from the notebook's own cell
    import pandas as pd

    namespace: dict[str, object] = {}
    exec(code[3].source.rsplit("\n", 1)[0], namespace)
    frame = namespace["measurements"]
    assert isinstance(frame, pd.DataFrame)
    means = frame.groupby("site")["yield_kg"].mean().round(4)
    corr = round(float(frame["temperature"].corr(frame["yield_kg"])), 4)

    tools = cell_text(code[5])
    assert "outliers" in tools and "list_variables" in tools and "inspect_variable" in tools
    by_site = cell_text(code[7])
    assert "offline toy engine" in by_site
    assert "[Context from the user" in by_site  # --context went with the prompt
    for site, value in means.items():
        assert f"{site}" in by_site and f"{value:g}" in by_site, (site, value)
    assert f"**{means.idxmax()}**" in by_site  # the answer names the site the code found
    correlation = cell_text(code[9])
    assert "I call anything above 0.5 strong." in correlation  # {min_corr} interpolated
    assert f"**{corr}**" in correlation
    view = cell_text(code[11])
    assert "measurements: pandas.DataFrame (120×3)" in view and "model_view" not in view.split(":")[0]
    assert "outliers in yield_kg: [7, 42, 99]" in view  # the three damaged plots
    exported = (tmp_path / "research-session.md").read_text(encoding="utf-8")
    assert exported.count("<details><summary>💭 Thinking") >= 4 and f"**{corr}**" in exported
    assert "2 run(s)" in cell_text(code[14])
