"""Headless (nbclient), where no labextension runs: the notebook is read as last saved, when the kernel
knows its file (Jupyter's server sets JPY_SESSION_NAME; nbclient does not), and cannot be changed.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.harness.kernel import new_notebook, run_notebook

pytestmark = pytest.mark.kernel


def saved(tmp_path: Path) -> Path:
    """A notebook as the user saved it: a cell that raised, with its error output."""
    nb = new_notebook(
        [
            "%load_ext k2nb",
            "total = 6 * 7",
            "print(totl)",
            "%%k2 --approve auto\nWhat does cell 2 do?",
            "%%k2 --approve auto\nFix the error in cell 3",
        ]
    )
    nb.cells[2].outputs = [
        nbformat.v4.new_output(
            "error",
            ename="NameError",
            evalue="name 'totl' is not defined",
            traceback=["NameError: name 'totl' is not defined"],
        )
    ]
    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, path)
    return path


def answer_of(cell: nbformat.NotebookNode) -> str:
    """The saved trace's HTML (it holds the whole answer) and anything printed."""
    return "\n".join(str(o.get("data", {}).get("text/html", "")) + str(o.get("text", "")) for o in cell.outputs)


def test_headless_reads_the_saved_file_and_cannot_change_it(tmp_path: Path) -> None:
    path = saved(tmp_path)
    ran = run_notebook(
        nbformat.read(path, as_version=4), {"JPY_SESSION_NAME": str(path)}, cwd=tmp_path, allow_errors=True
    )
    explained = answer_of(ran.cells[3])
    assert "assigns `total`" in explained and "Cell 2" in explained  # read from the saved file
    fixed = answer_of(ran.cells[4])
    assert "doesn't let me change cells" in fixed and "print(total)" in fixed  # the fix as code to paste
    assert nbformat.read(path, as_version=4).cells[2].source == "print(totl)"  # the file is untouched


def test_without_a_known_file_the_read_tools_say_so_in_one_line(tmp_path: Path) -> None:
    path = saved(tmp_path)
    ran = run_notebook(nbformat.read(path, as_version=4), cwd=tmp_path, allow_errors=True)
    explained = answer_of(ran.cells[3])
    assert "I couldn't read that cell: the notebook cannot be read here" in explained
