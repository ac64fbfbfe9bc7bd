"""A call the user edited before it ran: the trace keeps the model's original code next to what ran."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from k2nb.api import Agent
from k2nb.core.transcript import Transcript
from k2nb.notebook.cells import CellMaterializer
from k2nb.tools.approval import ApprovalRequest, Verdict
from k2nb.ui.cells_export import transcript_cells
from k2nb.ui.export import transcript_markdown
from k2nb.ui.live import LiveOps
from k2nb.ui.static import EDITED_NOTE, render_html, render_plain

ORIGINAL = "model_value = 1\nprint('model says', model_value)"
EDITED = "edited_value = 41 + 1\nprint('you say', edited_value)"
SCRIPT = "\n".join(
    [
        "think: compute it",
        "tool: code_interpreter " + json.dumps({"code": ORIGINAL}),
        "---",
        "text: Done.",
    ]
)


def _run(server: Any, answer: Verdict | None) -> tuple[Transcript, list[dict[str, Any]], list[dict[str, Any]], Any]:
    """One real run (loopback server, the live IPython shell); ``answer`` is the user's verdict."""
    asked: list[ApprovalRequest] = []

    def approver(request: ApprovalRequest) -> Verdict:
        asked.append(request)
        return answer or Verdict("run", request.code)

    transcript = Transcript()
    live: list[dict[str, Any]] = []
    cells: list[dict[str, Any]] = []
    agent = Agent(base_url=server.base_url, api_key="sk-test", approve="ask", approver=approver)
    try:
        agent.run(
            "compute",
            transcript=transcript,
            views=[LiveOps(live.extend), CellMaterializer(cells.append, "the-k2-cell")],
        )
    finally:
        agent.close()
    assert [r.code for r in asked] == [ORIGINAL]
    return transcript, live, cells, agent.shell


@pytest.fixture
def edited(scripted_server: Any) -> tuple[Transcript, list[dict[str, Any]], list[dict[str, Any]], Any]:
    return _run(scripted_server(SCRIPT), Verdict("edit", EDITED))


def _text(html: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


def test_the_edited_code_ran_and_the_record_keeps_both(edited: Any) -> None:
    transcript, _, _, shell = edited
    assert shell.user_ns["edited_value"] == 42 and "model_value" not in shell.user_ns
    tool = transcript.steps[0].tools[0]
    assert (tool.approval, tool.code, tool.original_code) == ("edit", EDITED, ORIGINAL)
    assert transcript.to_dict()["steps"][0]["tools"][0]["original_code"] == ORIGINAL


def test_static_html_shows_what_ran_with_the_original_folded_beneath(edited: Any) -> None:
    html = render_html(edited[0])
    ran = html.index('<pre class="k2nb-code k2nb-edited">')
    folded = html.index('<details class="k2nb-original"><summary>')
    assert ran < folded  # what ran first; the model's code one click away
    assert "edited_value = 41 + 1" in _text(html[ran:folded])
    original = _text(html[folded : html.index("</details>", folded)])
    assert EDITED_NOTE in original and "model_value = 1" in original and "print('model says', model_value)" in original
    assert "you say 42" in _text(html)


def test_plain_text_lists_the_code_that_ran_then_the_original(edited: Any) -> None:
    plain = render_plain(edited[0])
    assert "  ▌ edited_value = 41 + 1" in plain
    assert f"  {EDITED_NOTE}:\n  ┆ model_value = 1\n  ┆ print('model says', model_value)" in plain
    assert plain.index("▌ edited_value") < plain.index("┆ model_value")


def test_the_live_view_swaps_in_the_edited_code_with_the_original(edited: Any) -> None:
    _, live, _, _ = edited
    swaps = [op for op in live if op["op"] == "html" and "k2nb-original" in op.get("html", "")]
    assert len(swaps) == 1
    assert "edited_value" in _text(swaps[0]["html"]) and "model_value" in _text(swaps[0]["html"])


def test_cells_and_markdown_export_keep_the_original(edited: Any) -> None:
    transcript, _, ops, _ = edited
    code = next(c for c in transcript_cells(transcript, "the-k2-cell") if c.cell_type == "code")
    assert code.source == EDITED
    assert code.metadata["k2nb"]["approval"] == "edited"
    assert code.metadata["k2nb"]["original_code"] == ORIGINAL
    live = [op for op in ops if op["op"] == "cell-update" and "original_code" in op.get("k2nb", {})]
    assert live and live[0]["source"] == EDITED and live[0]["k2nb"]["original_code"] == ORIGINAL
    markdown = transcript_markdown(transcript)
    assert markdown.index("edited_value = 41 + 1") < markdown.index(EDITED_NOTE) < markdown.index("model_value = 1")


def test_unedited_calls_show_one_code_block(scripted_server: Any) -> None:
    for verdict in (None, Verdict("edit", ORIGINAL)):  # Run, and an Edit that changed nothing
        transcript, _, _, _ = _run(scripted_server(SCRIPT), verdict)
        tool = transcript.steps[0].tools[0]
        assert tool.original_code is None
        assert 'class="k2nb-original"' not in render_html(transcript)
        assert EDITED_NOTE not in render_plain(transcript)
        code = next(c for c in transcript_cells(transcript, "x") if c.cell_type == "code")
        assert "original_code" not in code.metadata["k2nb"]
