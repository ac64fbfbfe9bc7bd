"""What the model reads of a notebook: cell references, the outline within its budget, one cell, a diff."""

from __future__ import annotations

from typing import Any

import pytest

from k2nb.core.notebook_view import CellNotFound, cell_text, outline, resolve, snapshot_from_json, source_diff
from k2nb.core.tokens import CHARS_PER_TOKEN

PNG_640x480 = "iVBORw0KGgoAAAANSUhEUgAAAoAAAAHgCAYAAAA10dzkAAAAOXRFWHRTb2Z0"


def cells() -> list[dict[str, Any]]:
    error = {"output_type": "error", "ename": "KeyError", "evalue": "'colum'", "traceback": ["KeyError: 'colum'"]}
    return [
        {"id": "title", "cell_type": "markdown", "source": "# Sales\nA study."},
        {
            "id": "load",
            "cell_type": "code",
            "source": ["import pandas as pd\n", "df = pd.read_csv('s.csv')"],
            "execution_count": 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["rows: 120\n"]}],
        },
        {
            "id": "plot",
            "cell_type": "code",
            "source": "df.plot()",
            "execution_count": 2,
            "outputs": [{"output_type": "display_data", "data": {"image/png": PNG_640x480, "text/plain": "<Figure>"}}],
        },
        {"id": "bad", "cell_type": "code", "source": "df['colum']", "execution_count": 3, "outputs": [error]},
        {"id": "k2", "cell_type": "code", "source": "%%k2\nfix it", "execution_count": 4},
        {
            "id": "t1",
            "cell_type": "markdown",
            "source": "Thought",
            "metadata": {"k2nb": {"role": "thinking", "anchor": "k2"}},
        },
        {"id": "after", "cell_type": "code", "source": "x = 1"},
    ]


@pytest.mark.parametrize(
    ("ref", "cell_id"),
    [
        ("previous", "bad"),
        ("the cell above", "bad"),
        ("2 cells above", "plot"),
        ("next", "after"),  # the run's own trace cells are skipped
        ("this", "k2"),
        ("In [2]", "plot"),
        ("[1]", "load"),
        ("cell 1", "title"),
        ("#7", "after"),
        ("first markdown cell", "title"),
        ("last code cell", "after"),
        ("the last error", "bad"),
        ("load", "load"),
    ],
)
def test_a_reference_names_the_cell_a_person_means(ref: str, cell_id: str) -> None:
    snapshot = snapshot_from_json(cells(), running_id="k2")
    assert resolve(snapshot, ref).id == cell_id


def test_an_unknown_reference_says_what_works() -> None:
    with pytest.raises(CellNotFound, match=r"no cell matches 'cell 99': use an id from read_notebook"):
        resolve(snapshot_from_json(cells(), running_id="k2"), "cell 99")


def test_the_outline_marks_the_running_cell_and_summarizes_outputs() -> None:
    text = outline(snapshot_from_json(cells(), running_id="k2", path="sales.ipynb"), budget_tokens=3000)
    lines = text.splitlines()
    assert lines[0] == (
        "Notebook sales.ipynb (live, unsaved edits included) · 7 cells"
        " · ▶ marks the running %%k2 cell (cell 5 · In [4])"
    )
    assert lines[2] == "   2 code In [1] · id load · import pandas as pd ⏎ df = pd.read_csv('s.csv') → rows: 120"
    assert lines[3].endswith("→ [figure 640×480]")
    assert lines[4].endswith("→ ✗ KeyError: 'colum'")
    assert lines[5].startswith("▶  5 code In [4] · id k2")
    assert "(k2nb trace)" in lines[6]


def test_a_long_outline_fits_its_budget_and_says_what_it_left_out() -> None:
    many = [{"id": f"c{i}", "cell_type": "code", "source": f"value_{i} = {i} * 2  # " + "x" * 80} for i in range(200)]
    many[150]["id"] = "k2"
    text = outline(snapshot_from_json(many, running_id="k2"), budget_tokens=400)
    assert len(text) <= 400 * CHARS_PER_TOKEN
    assert "id c0 ·" in text and "▶151" in text and "id c149" in text and "id c152" in text
    assert "… cells 2–" in text and "read_notebook with start=2" in text


def test_read_cell_shows_source_and_outputs_as_text() -> None:
    snapshot = snapshot_from_json(cells(), running_id="k2", live=False)
    bad = cell_text(snapshot, resolve(snapshot, "previous"))
    expected = "cell 4 of 7 · id bad · code · In [3] · ✗ KeyError · as last saved\n--- source ---\ndf['colum']"
    assert bad == expected + "\n--- outputs ---\nKeyError: 'colum'"
    plot = cell_text(snapshot, resolve(snapshot, "plot"))
    assert plot.endswith("--- outputs ---\n[figure 640×480 shown to the user]")


def test_a_diff_has_only_the_hunks() -> None:
    assert source_diff("a\nb\nc", "a\nB\nc") == "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c"
