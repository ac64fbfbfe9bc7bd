"""The notebook tools in a real kernel, talking to a stand-in tab that holds the notebook (issue #13).

The tab (tests/harness/tab.py) links like the labextension and carries out the notebook operations on
its nbformat notebook as the extension does on its live model; the model is a scripted loopback
server. What a user would notice: the model reads the cells (the running one marked), an accepted
edit changes exactly that cell, a rejected one changes nothing and the model is told why, a run
fills that cell's outputs with a number of its own, an insert lands below the running cell, and
only the tab that ran the cell acts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import nbformat
import pytest

from k2nb.core.notebook_view import NOTE_PREFIX
from tests.harness.kernel import Execution, Kernel, WireMessage
from tests.harness.server import SECRET_KEY, provider_env, start_scripted
from tests.harness.tab import Tab

pytestmark = pytest.mark.kernel

RUNNING = "k2-cell"


def notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Sales", id="title"),
        nbformat.v4.new_code_cell("total = 6 * 7\nprint(total)", id="setup", execution_count=1),
        nbformat.v4.new_code_cell("print(totl)", id="broken", execution_count=2),
        nbformat.v4.new_code_cell("%%k2\nfix it", id=RUNNING),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    nb.cells[2].outputs = [
        nbformat.v4.new_output("error", ename="NameError", evalue="name 'totl' is not defined", traceback=["NameError"])
    ]
    return nb


def tool(name: str, **arguments: Any) -> str:
    return f"tool: {name} {json.dumps(arguments)}"


class Scripted:
    """A kernel whose %%k2 cells talk to a server playing the script each test sets."""

    def __init__(self) -> None:
        self.server = start_scripted("text: idle", api_key=SECRET_KEY)
        self.kernel = Kernel(provider_env(self.server))
        self.kernel.run("%load_ext k2nb")

    def script(self, *steps: str) -> None:
        from k2nb.engines.script import ScriptedEngine

        self.server.responder = ScriptedEngine.from_text("\n---\n".join(steps))
        self.server.requests.clear()

    def tool_results(self) -> list[str]:
        last = self.server.requests[-1]["messages"]
        return [m["content"] for m in last if m["role"] == "tool"]

    def close(self) -> None:
        self.kernel.close()
        self.server.stop()


@pytest.fixture(scope="module")
def k() -> Iterator[Scripted]:
    scripted = Scripted()
    yield scripted
    scripted.close()


def link(kernel: Kernel, tab: Tab) -> None:
    tab.hello()
    deadline = time.monotonic() + 10
    while tab.client_id not in kernel.run("print(get_ipython()._k2nb_magics.frontend.client_ids())"):
        assert time.monotonic() < deadline, "the stand-in tab never linked"
        time.sleep(0.1)


Decide = Callable[[dict[str, Any]], dict[str, Any] | None]


def run_k2(kernel: Kernel, tabs: list[Tab], code: str, *, decide: Decide | None = None) -> Execution:
    """Run ``code`` as the notebook cell RUNNING from the first tab; every tab gets the kernel's
    messages; ``decide(approval_op)`` answers approvals (the user's click) from the first tab."""
    answered: set[str] = set()

    def on_message(message: WireMessage) -> None:
        if message.msg_type == "comm_msg":
            for tab in tabs:
                tab.answer(message.content.get("data"), message.buffers)

    def while_running(run: Execution) -> None:
        for batch in run.batches:
            for op in batch:
                if op.get("op") == "approval" and op["call_id"] not in answered and decide is not None:
                    answered.add(op["call_id"])
                    reply = decide(op)
                    if reply is not None:
                        tabs[0].send({"kind": "approval", "call_id": op["call_id"], **reply})

    return kernel.execute(code, metadata={"cellId": RUNNING}, on_message=on_message, while_running=while_running)


def test_the_model_reads_edits_runs_and_inserts_through_the_tab(k: Scripted) -> None:
    nb = notebook()
    tab = Tab(k.kernel.client, notebook=nb, path="sales.ipynb")
    link(k.kernel, tab)
    k.kernel.run(nb.cells[1].source)  # the setup cell ran earlier
    k.script(
        tool("read_notebook"),
        tool("read_cell", cell="previous"),
        tool("edit_cell", cell="previous", source="print(total + 1)"),
        tool("run_cell", cell="broken"),
        tool("insert_cell", source="## Result\nThe fixed cell prints 43.", cell_type="markdown"),
        "text: done",
    )
    run = run_k2(k.kernel, [tab], "%%k2 --new --approve auto\nfix the previous cell")
    assert run.status == "ok", run.text[-3000:]
    outline, cell, edited, ran, inserted = k.tool_results()

    # What the model read: the outline marks the running cell; the cell comes whole, its error too.
    assert "Notebook sales.ipynb (live, unsaved edits included) · 4 cells" in outline
    assert "▶  4 code · id k2-cell" in outline and "✗ NameError: name 'totl' is not defined" in outline
    assert cell.startswith("cell 3 of 4 · id broken · code · In [2] · ✗ NameError")
    assert "--- source ---\nprint(totl)\n--- outputs ---" in cell
    user = next(m["content"] for m in k.server.requests[0]["messages"] if m["role"] == "user")
    assert user.startswith("fix the previous cell\n\n" + NOTE_PREFIX) and "cell with id k2-cell" in user

    # The edit changed exactly that cell, recorded as k2nb's, with what it replaced.
    assert [c.source for c in nb.cells] == [
        "# Sales",
        "total = 6 * 7\nprint(total)",
        "print(total + 1)",
        "%%k2\nfix it",
        "## Result\nThe fixed cell prints 43.",
    ]
    assert edited.startswith("Applied: cell 3 · In [2] (id broken) now reads:\nprint(total + 1)")
    edit, run_change = nb.cells[2].metadata["k2nb"]["changes"]
    assert edit["kind"] == "edit" and edit["replaced"] == "print(totl)" and edit["approval"] == "auto"
    assert edit["run_id"] and edit["call_id"] and edit["step"] == 3

    # The run: the cell's outputs and a number of its own; In/Out agree; the %%k2 cell ends after it.
    count = nb.cells[2].execution_count
    assert isinstance(count, int) and run_change["kind"] == "run" and run_change["execution_count"] == count
    assert [dict(o) for o in nb.cells[2].outputs] == [{"output_type": "stream", "name": "stdout", "text": "43\n"}]
    assert ran.startswith(f"Ran cell 3 · In [2] (id broken) as In [{count}]") and "43" in ran
    assert k.kernel.run(f"print(repr(In[{count}]))").strip() == repr("print(total + 1)")
    reply_count = k.kernel.run("print(get_ipython().execution_count)")
    assert int(reply_count) > count + 1  # the %%k2 cell took the number after the run's: no number twice

    # The insert went right below the running cell, as a markdown cell with its provenance.
    new = nb.cells[4]
    assert new.cell_type == "markdown" and new.metadata["k2nb"]["changes"][0]["kind"] == "insert"
    assert inserted.startswith(f"Inserted a markdown cell as cell 5 (id {new.id}), after cell 4")
    assert {op["clientId"] for op in tab.notebook_ops} == {tab.client_id}


def test_nothing_changes_before_the_user_accepts_and_a_rejection_reaches_the_model(k: Scripted) -> None:
    nb = notebook()
    tab = Tab(k.kernel.client, notebook=nb)
    other_nb = notebook()
    other = Tab(k.kernel.new_client(), notebook=other_nb)  # a second open tab of the same notebook
    link(k.kernel, tab)
    link(k.kernel, other)
    seen: list[dict[str, Any]] = []

    def reject(op: dict[str, Any]) -> dict[str, Any]:
        seen.append(op)
        assert nb.cells[2].source == "print(totl)"  # asked, not yet changed
        return {"decision": "skip", "reason": "I will fix it myself"}

    k.script(tool("edit_cell", cell="broken", source="print(total)"), "text: left it")
    run = run_k2(k.kernel, [tab, other], "%%k2 --new --approve ask\nfix cell 3", decide=reject)
    assert run.status == "ok", run.text[-3000:]
    assert seen and seen[0]["kind"] == "edit" and seen[0]["code"] == "print(total)"
    assert nb.cells[2].source == "print(totl)" and "k2nb" not in nb.cells[2].metadata
    (result,) = k.tool_results()
    assert result == (
        "The user rejected this change (edit of cell 3 · In [2]); the notebook is unchanged. "
        "Their reason: I will fix it myself"
    )

    # Accepted (with the user's own edit of the proposal) from the tab that ran the cell: applied once.
    k.script(tool("edit_cell", cell="broken", source="print(total)"), "text: fixed")
    run = run_k2(
        k.kernel,
        [tab, other],
        "%%k2 --approve ask\nfix cell 3",
        decide=lambda op: {"decision": "edit", "code": "print(total * 2)"},
    )
    assert run.status == "ok", run.text[-3000:]
    assert nb.cells[2].source == "print(total * 2)"
    assert nb.cells[2].metadata["k2nb"]["changes"][0]["approval"] == "edited"
    assert other_nb.cells[2].source == "print(totl)" and other.ignored_ops and not other.notebook_ops
    assert k.tool_results()[-1].startswith("Applied (the user edited your proposal first)")
    other.kc.stop_channels()
