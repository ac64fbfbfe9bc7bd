"""The offline toy engine works on the notebook (issue #13 §3–4), in a real kernel with a stand-in tab.

Every answer is built from what the notebook tools returned: a cell explained from its source, a
typo corrected from the traceback and the kernel's own names, a fix checked by re-running it, a
markdown note quoting the result it read, a new cell written, run and reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import nbformat
import pytest

from tests.harness.kernel import Execution, Kernel, WireMessage
from tests.harness.tab import Tab

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    with Kernel() as k:  # no provider settings: the toy engine, unpaced
        k.run("%load_ext k2nb")
        yield k


def code_cell(cell_id: str, source: str) -> Any:
    return nbformat.v4.new_code_cell(source, id=cell_id)


class Notebook:
    """A notebook open in a stand-in tab; cells run in the kernel as the tab would run them."""

    def __init__(self, kernel: Kernel, cells: list[Any]) -> None:
        self.kernel = kernel
        self.nb = nbformat.v4.new_notebook()
        self.nb.cells = cells
        self.tab = Tab(kernel.client, notebook=self.nb, path="work.ipynb")
        self.tab.hello()
        deadline = time.monotonic() + 10
        while self.tab.client_id not in kernel.run("print(get_ipython()._k2nb_magics.frontend.client_ids())"):
            assert time.monotonic() < deadline, "the stand-in tab never linked"
            time.sleep(0.1)

    def cell(self, cell_id: str) -> Any:
        return next(c for c in self.nb.cells if c.id == cell_id)

    def run(self, cell_id: str) -> Execution:
        """Run a cell as its tab would: its outputs and count go into the notebook."""
        cell = self.cell(cell_id)

        def on_message(message: WireMessage) -> None:
            if message.msg_type == "comm_msg":
                self.tab.answer(message.content.get("data"), message.buffers)

        run = self.kernel.execute(cell.source, metadata={"cellId": cell_id}, on_message=on_message, timeout=120)
        outputs = []
        for m in run.messages:
            if m.msg_type == "stream":
                outputs.append(nbformat.v4.new_output("stream", name=m.content["name"], text=m.content["text"]))
            elif m.msg_type == "error":
                outputs.append(
                    nbformat.v4.new_output("error", **{k: m.content[k] for k in ("ename", "evalue", "traceback")})
                )
            elif m.msg_type == "execute_result":
                outputs.append(nbformat.v4.new_output("execute_result", data=m.content["data"]))
        if not cell.source.startswith("%"):
            cell.outputs = outputs
        return run

    def ask(self, cell_id: str, prompt: str) -> str:
        """Add a %%k2 cell with ``prompt`` and run it; the answer the trace shows."""
        self.nb.cells.append(code_cell(cell_id, prompt))
        run = self.run(cell_id)
        assert run.status == "ok", run.text[-3000:]
        return self.kernel.run("print(get_ipython()._k2nb_magics.session.transcripts[-1].answer)")


def test_it_explains_the_previous_cell_from_its_source(kernel: Kernel) -> None:
    work = Notebook(
        kernel, [code_cell("load", "import math\nradius = 3\narea = math.pi * radius ** 2\nprint(round(area, 2))")]
    )
    work.run("load")
    answer = work.ask("ask", "%%k2 --new --approve auto\nWhat does the previous cell do?")
    assert "imports `math`" in answer and "assigns `radius`, `area`" in answer
    assert "calls `math.pi" not in answer and "`round()`" in answer and "28.27" in answer  # its output


@pytest.mark.parametrize(
    ("setup", "broken", "fixed", "printed"),
    [
        ("total = 6 * 7", "print(totl)", "print(total)", "42"),
        (
            "import pandas as pd\ndf = pd.DataFrame({'price': [1.0, 2.0]})",
            "print(df['prise'].mean())",
            "print(df['price'].mean())",
            "1.5",
        ),
        ("import numpy as np", "print(np.arrange(3))", "print(np.arange(3))", "[0 1 2]"),
    ],
    ids=["NameError", "KeyError", "AttributeError"],
)
def test_k2_fix_repairs_the_failing_cell_and_checks_the_rerun(
    kernel: Kernel, setup: str, broken: str, fixed: str, printed: str
) -> None:
    work = Notebook(kernel, [code_cell("setup", setup), code_cell("broken", broken)])
    work.run("setup")
    assert work.run("broken").status == "error"
    answer = work.ask("fix", "%k2 fix --new --approve auto")
    cell = work.cell("broken")
    assert cell.source == fixed
    assert [o.get("text", "").strip() for o in cell.outputs] == [printed] and isinstance(cell.execution_count, int)
    assert answer.startswith("Fixed cell 2") and printed in answer
    kinds = [c["kind"] for c in cell.metadata["k2nb"]["changes"]]
    assert kinds == ["edit", "run"]


def test_with_no_error_k2_fix_says_so_in_one_line(kernel: Kernel) -> None:
    kernel.run("%k2 new")
    fresh = Kernel()
    try:
        fresh.run("%load_ext k2nb")
        run = fresh.execute("%k2 fix")
        assert run.status == "ok" and run.text.strip().startswith("k2nb: no error to fix in this session")
        assert len(run.text.strip().splitlines()) == 1
    finally:
        fresh.close()


def test_it_adds_a_markdown_cell_that_explains_a_result(kernel: Kernel) -> None:
    work = Notebook(kernel, [code_cell("mean", "scores = [70, 80, 90]\nprint('mean', sum(scores) / len(scores))")])
    work.run("mean")
    answer = work.ask(
        "ask", "%%k2 --new --approve auto\nAdd a markdown cell below that explains the result of the previous cell"
    )
    note = work.nb.cells[1]
    assert note.cell_type == "markdown" and note.metadata["k2nb"]["changes"][0]["kind"] == "insert"
    assert "> mean 80.0" in note.source and "assigns `scores`" in note.source
    assert "added a markdown cell (cell 2)" in answer


def test_it_writes_a_new_cell_runs_it_and_answers_from_its_output(kernel: Kernel) -> None:
    work = Notebook(kernel, [])
    answer = work.ask(
        "ask", "%%k2 --new --approve auto\nAdd a new cell that computes the sum of squares from 1 to 10 and run it"
    )
    new = work.nb.cells[1]
    assert new.cell_type == "code" and "range" in new.source and isinstance(new.execution_count, int)
    assert "385" in "".join(o.get("text", "") for o in new.outputs)
    assert "385" in answer and "ran it" in answer
