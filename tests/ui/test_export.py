"""k2nb/ui/export.py: Markdown/HTML/JSON/cells exports and %k2 export."""

from __future__ import annotations

import json
from typing import Any

import pytest

from k2nb.core.events import (
    ModelTurnDone,
    ReasoningDelta,
    RunFinished,
    RunStarted,
    StepStarted,
    ToolFinished,
    ToolStarted,
)
from k2nb.core.transcript import Transcript
from k2nb.core.turn import AssistantTurn, Usage
from k2nb.errors import ConfigError
from k2nb.ui.export import to_markdown, transcript_from_dict


def test_export_round_trips_through_the_transcript_dict() -> None:
    t = Transcript()
    turn = AssistantTurn(reasoning="think <b>hard</b>", tool_calls=(), content="")
    for event in (
        RunStarted("r1", "kimi-k2-thinking", "toy", 5, "Count things", 0.0),
        StepStarted(1),
        ReasoningDelta(1, "think <b>hard</b>"),
        ModelTurnDone(1, turn, 1.0, 0.5),
        ToolStarted(1, "c1", "code_interpreter", {"code": "print(3)"}, "print(3)"),
        ToolFinished(
            1, "c1", "code_interpreter", "ok", "3", ({"output_type": "stream", "name": "stdout", "text": "3\n"},)
        ),
        RunFinished("done", "There are **3**.", Usage(10, 5, 4), 1.2, 1),
    ):
        t.apply(event)
    md = to_markdown([t])
    assert "<details><summary>💭 Thought for 0 s · 2 words</summary>" in md  # the one step title
    assert "think &lt;b&gt;hard&lt;/b&gt;" in md  # reasoning is text, not HTML
    assert "```python\nprint(3)\n```" in md and "There are **3**." in md and "(4 cached)" in md
    assert to_markdown([transcript_from_dict(json.loads(json.dumps(t.to_dict())))]) == md


def test_export_cells_is_delegated_to_k2nb_cells(tmp_path: Any) -> None:
    """`%k2 export FILE.ipynb` / `--cells` hand the transcripts to k2nb.cells (nbformat is imported here
    already: in a fresh kernel that import alone can take seconds)."""
    import nbformat

    from k2nb.ui.export import export_command

    t = Transcript()
    t.apply(RunStarted("r1", "kimi-k2-thinking", "toy", 5, "Now summarize.", 0.0))
    t.apply(RunFinished("done", "Summarized.", Usage(), 0.1, 1))
    message = export_command([str(tmp_path / "a.out"), "--cells"], [t])
    assert message.endswith(f"as cells to {tmp_path / 'a.out'}")
    assert "exported 1 run(s) as cells" in export_command([str(tmp_path / "b.ipynb")], [t])
    cells = nbformat.read(tmp_path / "b.ipynb", as_version=4).cells
    assert [c.source for c in cells if c.source.startswith("%%k2")] == ["%%k2\nNow summarize."]
    with pytest.raises(ConfigError, match="nothing to export yet"):
        export_command([str(tmp_path / "c.md")], [])
