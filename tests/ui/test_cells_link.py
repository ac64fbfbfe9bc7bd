"""k2nb/ui/cells_link.py: a --cells run's output is its status line and a link to the cells."""

from __future__ import annotations

from typing import Any

from k2nb.core.events import (
    ApprovalDecided,
    ApprovalNeeded,
    Event,
    ReasoningDelta,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from k2nb.core.turn import Usage
from k2nb.ui.cells_link import cells_bundle
from k2nb.ui.static import render_html
from tests.harness.runs import CALL, live_ops, transcript_of


def _thinking_run() -> list[Event]:
    return [
        RunStarted("run-42", "kimi-k2-thinking", "toy", 5, "p", 0.0),
        StepStarted(1),
        ReasoningDelta(1, "SECRET-THOUGHT " * 50),
        ToolStarted(1, CALL, "code_interpreter", {"code": "x = 1"}, code="x = 1"),
        ApprovalNeeded(1, CALL, "x = 1", channel="buttons"),
        ApprovalDecided(1, CALL, "run", "x = 1", waited=1.0),
        ToolFinished(1, CALL, "code_interpreter", "ok", "", seconds=1.2, code="x = 1"),
        RunFinished("done", "the answer", Usage(), 3.0, 1),
    ]


def test_a_cells_run_keeps_the_output_to_its_status_link_and_approvals() -> None:
    ops, _ = live_ops(_thinking_run(), cells=True)
    assert not any("SECRET-THOUGHT" in str(op) for op in ops)  # the thinking is in the cells
    statuses = [op for op in ops if op["op"] == "status"]
    assert all(
        op["cells"] == {"href": "#k2nb-run-run-42", "text": "↓ the steps are in the cells below"} for op in statuses
    )
    # the call that waits for the user still shows its code and buttons here
    assert [op["op"] for op in ops if op.get("id") == f"tool-{CALL}-1"][:3] == ["block", "html", "approval"]
    full, _ = live_ops(_thinking_run())
    assert any("SECRET-THOUGHT" in str(op) for op in full) and not any("cells" in op for op in full)
    bundle: dict[str, Any] = cells_bundle(transcript_of(_thinking_run()))
    assert 'class="k2nb-cells-link" href="#k2nb-run-run-42"' in bundle["text/html"]
    assert "SECRET-THOUGHT" not in bundle["text/html"] and "the answer" not in bundle["text/html"]
    assert "SECRET-THOUGHT" in render_html(transcript_of(_thinking_run()))
    assert bundle["text/plain"].splitlines()[-1] == "(the steps are in the notebook cells below this one)"
