"""One cell plan: the cells ``--cells`` writes live, op by op, are the cells the nbformat export writes."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from k2nb.api import Agent
from k2nb.core.events import Event, ReasoningDelta
from k2nb.core.transcript import Transcript
from k2nb.notebook.cells import CellMaterializer
from k2nb.tools.approval import ApprovalRequest, Verdict
from k2nb.ui.cells_export import transcript_cells

ANCHOR = "the-k2-cell"
CODE = "answer = 6 * 7\nprint('the answer is', answer)"
EDITED = "answer = 41 + 1\nprint('edited:', answer)"
TWO_STEPS = "\n".join(
    [
        "think: I'll compute it in the kernel.",
        "text: Let me check with code.",
        "tool: code_interpreter " + json.dumps({"code": CODE}),
        "---",
        "think: It printed 42.",
        "text: The answer is **42**.",
    ]
)
# Step 2 thinks long enough (the server streams 12 characters a chunk) to be stopped half-way.
STOPPED = TWO_STEPS.replace("think: It printed 42.", "think: " + "and so on " * 200)


def apply_ops(ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A stand-in notebook that applies the cell operations as labextension/src/cells.ts does."""
    cells: list[dict[str, Any]] = [{"id": ANCHOR, "cell_type": "code", "source": "%%k2", "metadata": {}}]
    for op in ops:
        by_id = {cell["id"]: cell for cell in cells}
        if op["op"] == "cell-insert":
            index = next(i for i, c in enumerate(cells) if c["id"] == op["after"]) + 1
            cells.insert(index, copy.deepcopy(op["cell"]))
        elif op["op"] == "cell-append":
            by_id[op["id"]]["source"] += op["text"]
        elif op["op"] == "cell-update":
            cell = by_id[op["id"]]
            for key in ("source", "outputs", "execution_count"):
                if key in op:
                    cell[key] = copy.deepcopy(op[key])
            cell["metadata"]["k2nb"].update(op.get("k2nb", {}))
            if "jupyter" in op:
                cell["metadata"]["jupyter"] = op["jupyter"]
    return cells[1:]


def comparable(cell: dict[str, Any]) -> dict[str, Any]:
    """A cell without what only says when it was written (timestamps; the digest the tab adds)."""
    cell = json.loads(json.dumps(cell))
    for key in ("started_at", "finished_at", "digest"):
        cell["metadata"]["k2nb"].pop(key, None)
    cell.pop("attachments", None)
    return cell


def run(
    server: Any, *, approver: Any = None, stop_in_step: int | None = None, **cell_options: Any
) -> tuple[Transcript, list[dict[str, Any]], list[dict[str, Any]]]:
    """One real run (loopback server, the live IPython shell) with the materializer as a view."""
    ops: list[dict[str, Any]] = []
    agent = Agent(base_url=server.base_url, api_key="sk-test", approve="ask" if approver else "auto", approver=approver)
    seen = [0]

    def stopper(event: Event, _run: Transcript) -> None:  # the user presses Stop while step N thinks
        if isinstance(event, ReasoningDelta) and event.step == stop_in_step:
            seen[0] += 1
            if seen[0] == 3:
                agent.stop()

    try:
        transcript = agent.run("What is 6 * 7?", views=[CellMaterializer(ops.append, ANCHOR, **cell_options), stopper])
    finally:
        agent.close()
    live = [comparable(c) for c in apply_ops(ops)]
    exported = [comparable(dict(c)) for c in transcript_cells(transcript, ANCHOR, **cell_options)]
    return transcript, live, exported


def test_a_run_with_code_materializes_the_cells_it_exports(scripted_server: Any) -> None:
    transcript, live, exported = run(scripted_server(TWO_STEPS))
    assert live == exported
    assert [c["metadata"]["k2nb"]["role"] for c in live] == ["thinking", "message", "code", "thinking", "answer"]
    code = live[2]
    assert code["source"] == CODE
    assert code["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "the answer is 42\n"}]
    assert code["metadata"]["k2nb"]["approval"] == "auto" and code["metadata"]["k2nb"]["status"] == "ok"
    assert live[0]["metadata"]["jupyter"] == {"source_hidden": True}
    assert live[0]["source"].startswith("Thought for ") and transcript.status == "done"


def test_an_edited_call_materializes_what_ran_and_the_original(scripted_server: Any) -> None:
    def edit(request: ApprovalRequest) -> Verdict:
        return Verdict("edit", EDITED)

    _, live, exported = run(scripted_server(TWO_STEPS), approver=edit)
    assert live == exported
    code = next(c for c in live if c["cell_type"] == "code")
    assert code["source"] == EDITED and code["metadata"]["k2nb"]["original_code"] == CODE
    assert code["metadata"]["k2nb"]["approval"] == "edited"


def test_a_stopped_run_heads_its_unfinished_thinking_alike(scripted_server: Any) -> None:
    transcript, live, exported = run(scripted_server(STOPPED), stop_in_step=2)
    assert transcript.status == "stopped"
    assert live == exported
    unfinished = live[-1]
    assert unfinished["source"].startswith("Thinking (stopped)\n\nand so on")
    assert unfinished["metadata"]["k2nb"]["status"] == "stopped"
    assert "jupyter" not in unfinished["metadata"]  # not folded: the step never finished


@pytest.mark.parametrize(("heading_format", "collapse"), [("{tokens} in {seconds}", False), ("bad {nope}", True)])
def test_the_tab_settings_apply_to_both(scripted_server: Any, heading_format: str, collapse: bool) -> None:
    _, live, exported = run(scripted_server(TWO_STEPS), heading_format=heading_format, collapse_thinking=collapse)
    assert live == exported
    first = live[0]["source"].split("\n")[0]
    expected = r"\d+ words in \d+ s" if heading_format.startswith("{tokens}") else r"Thought for \d+ s · \d+ words"
    assert re.fullmatch(expected, first), first  # a format that does not work falls back to the default
    assert ("jupyter" in live[0]["metadata"]) is collapse
