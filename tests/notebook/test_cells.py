"""k2nb/notebook/cells.py: a run's events become cell operations, and the same cells as an nbformat export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from k2nb.api import Agent
from k2nb.core.events import ModelTurnDone, ReasoningDelta, RunFinished, RunStarted, StepStarted
from k2nb.core.step_title import thinking_title
from k2nb.core.transcript import StepRecord, Transcript
from k2nb.core.turn import AssistantTurn, Usage
from k2nb.notebook.cell_plan import digest
from k2nb.notebook.cells import DEFAULT_HEADING, CellMaterializer, usable_heading
from k2nb.ui.cells_export import export_cells, transcript_cells
from tests.harness.server import SIX_TIMES_SEVEN

SCRIPT = SIX_TIMES_SEVEN


def apply_ops(ops: list[dict[str, Any]], anchor: str) -> list[dict[str, Any]]:
    """A minimal notebook that follows the operations (the labextension's cells.ts, simplified)."""
    cells: list[dict[str, Any]] = [{"id": anchor, "cell_type": "code", "source": "%%k2", "metadata": {}}]
    by_id = lambda cid: next(c for c in cells if c["id"] == cid)  # noqa: E731
    for op in ops:
        if op["op"] == "cell-insert":
            index = next(i for i, c in enumerate(cells) if c["id"] == op["after"]) + 1
            cells.insert(index, json.loads(json.dumps(op["cell"])))
        elif op["op"] == "cell-append":
            by_id(op["id"])["source"] += op["text"]
        elif op["op"] == "cell-update":
            cell = by_id(op["id"])
            cell["source"] = op.get("source", cell["source"])
            if "outputs" in op:
                cell["outputs"] = op["outputs"]
            cell["metadata"]["k2nb"].update(op.get("k2nb", {}))
            if "jupyter" in op:
                cell["metadata"]["jupyter"] = op["jupyter"]
    return cells[1:]


@pytest.fixture
def toy_run(scripted_server: Any) -> tuple[Transcript, list[dict[str, Any]]]:
    server = scripted_server(SCRIPT)
    ops: list[dict[str, Any]] = []
    transcript = Transcript()
    agent = Agent(base_url=server.base_url, api_key="sk-test", approve="auto")
    try:
        agent.run("What is 6 * 7?", views=[CellMaterializer(ops.append, "the-k2-cell")], transcript=transcript)
    finally:
        agent.close()
    return transcript, ops


def test_live_operations_build_the_same_cells_as_the_export(toy_run: tuple[Transcript, list[dict[str, Any]]]) -> None:
    transcript, ops = toy_run
    assert ops[0] == {"op": "cells-begin", "run_id": transcript.run_id, "anchor": "the-k2-cell"}
    live = apply_ops(ops, "the-k2-cell")
    exported = transcript_cells(transcript, "the-k2-cell")
    assert [(c["id"], c["cell_type"], c["metadata"]["k2nb"]["role"]) for c in live] == [
        (c.id, c.cell_type, c.metadata["k2nb"]["role"]) for c in exported
    ]
    assert [c["metadata"]["k2nb"]["role"] for c in live] == ["thinking", "code", "thinking", "answer"]
    assert [c["source"] for c in live] == [c.source for c in exported]
    thinking, code, _, answer = live
    assert thinking["source"].startswith("Thought for ")
    assert "I'll compute it in the kernel." in thinking["source"]
    assert thinking["metadata"]["jupyter"] == {"source_hidden": True}
    assert code["source"] == "answer = 6 * 7\nprint('the answer is', answer)"
    assert code["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "the answer is 42\n"}]
    meta = code["metadata"]["k2nb"]
    assert (meta["call_id"], meta["approval"], meta["status"], meta["executed_by"]) == (
        transcript.steps[0].tools[0].call_id,
        "auto",
        "ok",
        "k2nb",
    )
    assert {meta["run_id"], meta["step"], meta["model"]} == {transcript.run_id, 1, transcript.model}
    assert meta["started_at"].endswith("Z") and meta["finished_at"] >= meta["started_at"]
    assert answer["source"] == "The answer is **42**."


def test_export_writes_a_valid_notebook_with_provenance(
    toy_run: tuple[Transcript, list[dict[str, Any]]], tmp_path: Path
) -> None:
    transcript, _ = toy_run
    path = export_cells([transcript, transcript], tmp_path / "run.ipynb")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert [c.cell_type for c in nb.cells] == ["code"] + ["code", "markdown", "code", "markdown", "markdown"] * 2
    assert nb.cells[1].source == "%%k2\nWhat is 6 * 7?"
    roles = [c.metadata.get("k2nb", {}).get("role") for c in nb.cells]
    assert roles[:6] == [None, None, "thinking", "code", "thinking", "answer"]
    assert nb.cells[2].metadata.jupyter.source_hidden is True
    assert nb.cells[3].outputs[0].text == "the answer is 42\n"
    assert nb.cells[3].metadata.k2nb.anchor == nb.cells[1].id
    for cell in nb.cells[2:6]:
        assert cell.metadata.k2nb.digest == digest(cell.source)


def test_digest_matches_the_labextension() -> None:
    # values from labextension/test/cells.spec.ts (FNV-1a over UTF-16 code units)
    assert digest("") == "811c9dc5"
    assert digest("a") == "e40c292c"
    assert digest("💭 x") != digest("💭 y")


def test_heading_formats() -> None:
    step = StepRecord(
        1, reasoning_parts=["a b c"], reasoning_seconds=12.4, usage=Usage(reasoning_tokens=1234), done=True
    )
    assert thinking_title(step, DEFAULT_HEADING) == "Thought for 12 s · 1.2k tokens"
    assert thinking_title(step, usable_heading("{tokens} in {seconds}")) == "1.2k tokens in 12 s"
    assert thinking_title(step, usable_heading("bad {nope}")) == "Thought for 12 s · 1.2k tokens"
    words = StepRecord(1, reasoning_parts=["one two three"], reasoning_seconds=2, done=True)
    assert thinking_title(words, DEFAULT_HEADING) == "Thought for 2 s · 3 words"


def test_streamed_text_is_merged_between_flushes() -> None:
    now = [0.0]
    ops: list[dict[str, Any]] = []
    transcript = Transcript()
    cells = CellMaterializer(ops.append, "a", clock=lambda: now[0])
    events: list[Any] = [RunStarted("r1", "m", "toy", 5, "p", 0.0), StepStarted(1)]
    events += [ReasoningDelta(1, "x") for _ in range(500)]
    for event in events:
        transcript.apply(event)
        cells(event, transcript)
        now[0] += 0.001  # 500 deltas over half a second
    turn = AssistantTurn(reasoning="x" * 500)
    done = ModelTurnDone(1, turn, seconds=0.5, reasoning_seconds=0.5)
    transcript.apply(done)
    cells(done, transcript)
    appends = [op for op in ops if op["op"] == "cell-append"]
    assert 3 <= len(appends) <= 7, len(appends)  # ~every 100 ms, not once per token
    inserted = next(op["cell"]["source"] for op in ops if op["op"] == "cell-insert")
    assert inserted == "Thinking…\n\nx"  # the cell comes with the text so far, then every character once
    assert "".join(op["text"] for op in appends) == "x" * 499
    assert ops[-1]["source"].endswith("x" * 500)


def test_a_stopped_run_heads_its_unfinished_thinking() -> None:
    ops: list[dict[str, Any]] = []
    transcript = Transcript()
    cells = CellMaterializer(ops.append, "a")
    for event in [
        RunStarted("r1", "m", "toy", 5, "p", 0.0),
        StepStarted(1),
        ReasoningDelta(1, "half a thou"),
        RunFinished("stopped", "", Usage(), 1.0, 1),
    ]:
        transcript.apply(event)
        cells(event, transcript)
    assert ops[-1]["op"] == "cell-update" and ops[-1]["source"] == "Thinking (stopped)\n\nhalf a thou"
    assert ops[-1]["k2nb"]["status"] == "stopped"
