"""The live trace view in real JupyterLab in Chromium: approvals, Stop, safe rendering.

JupyterLab and Notebook 7 are started by the shared fixtures in conftest.py (kernels inherit
K2NB_BASE_URL pointing at a loopback K2-shaped server); clicks in the widget travel through the
labextension's comm to the kernel while the %%k2 cell is still running.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import JupyterServer, open_notebook, screenshot
from tests.browser.harness import (
    Switchboard,
    _tool,
    approval_box,
    output_text,
    run_cell,
    wait_for_link,
    wait_idle,
    wait_output,
    wait_saved_notebook,
)

pytestmark = [pytest.mark.browser]


_LIVE_THINKING = "(document.querySelector('.k2nb-live .k2nb-kind-thinking .k2nb-body')?.textContent || '')"


def test_run_edit_skip_always_from_the_output(page: Any, jupyter_server: JupyterServer, board: Switchboard) -> None:
    board.script(
        "\n---\n".join(
            [
                "think: first\n" + _tool("ran_a = 1"),
                "think: second\n" + _tool("ran_b = 2"),
                "think: third\n" + _tool("ran_c = 3"),
                "think: fourth\n" + _tool("ran_d = 4"),
                "think: fifth, no question now\n" + _tool("ran_e = 5"),
                "think: done\ntext: All five calls handled.",
            ]
        )
    )
    open_notebook(
        page,
        jupyter_server,
        "approvals.ipynb",
        [
            "%load_ext k2nb",
            "%%k2\nDo five things",
            "print(ran_a, ran_b, 'ran_c' in globals(), ran_d, ran_e)",
        ],
    )
    wait_for_link(page)
    run_cell(page, 1)
    box = approval_box(page, 0)
    # nothing ran before the answer
    assert board.server.requests and len(board.server.requests) == 1
    box.locator("button", has_text="Run").click()
    box = approval_box(page, 0)  # the previous box is removed once answered
    box.locator("button", has_text="Edit").click()
    box.locator("textarea").fill("ran_b = 20")
    box.locator("button", has_text="Run edited").click()
    box = approval_box(page, 0)
    box.locator("button", has_text="Skip").click()
    box.locator("input").fill("not needed")
    box.locator("button", has_text="Skip (send)").click()
    box = approval_box(page, 0)
    screenshot(page, f"approval-buttons-{jupyter_server.ui}")
    box.locator("button", has_text="Always").click()
    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    run_cell(page, 2)
    wait_output(page, 2, "1 20 False 4 5")
    assert output_text(page, 2).strip() == "1 20 False 4 5"
    tools = [m["content"] for m in board.server.requests[-1]["messages"] if m["role"] == "tool"]
    assert "user edited the code" in tools[1] and "ran_b = 20" in tools[1]
    assert "declined" in tools[2] and "not needed" in tools[2]
    screenshot(page, f"approvals-done-{jupyter_server.ui}")
    # Reopening the saved notebook shows the finished trace, not an empty box.
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    time.sleep(1)
    page.reload()
    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
    assert "All five calls handled." in output_text(page, 1)


def test_stop_mid_thinking_keeps_the_trace_and_the_next_cell_works(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    long_thought = " ".join(f"idea{i}" for i in range(3000))
    board.script(
        f"think: {long_thought}\ntext: never reached\n---\nthink: fresh start\ntext: Second run answered.", speed=150
    )
    open_notebook(page, jupyter_server, "stop.ipynb", ["%load_ext k2nb", "%%k2\nThink long", "%%k2\nAgain"])
    wait_for_link(page)
    run_cell(page, 1)
    page.locator(".k2nb-kind-thinking").first.wait_for(timeout=30_000)
    # The thinking streams in (inflated from the compressed batches, revealed as they arrive) ...
    page.wait_for_function(f"() => {_LIVE_THINKING}.includes('idea40 ')", timeout=30_000)
    shown = page.evaluate(f"() => {_LIVE_THINKING}")
    time.sleep(2.5)  # batches come up to 2 s apart at this pace
    later = page.evaluate(f"() => {_LIVE_THINKING}")
    assert later.startswith(shown) and len(later) > len(shown)  # ... append-only, still growing
    assert long_thought.startswith(later.strip())
    page.locator(".k2nb-live button", has_text="Stop").click()
    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=30_000)
    wait_idle(page)
    first = output_text(page, 1, folded=True)
    assert "stopped by the user" in first and "idea1" in first  # partial trace kept (folded), marked
    board.server.tokens_per_second = None
    run_cell(page, 2)
    wait_output(page, 2, "Second run answered.")


def test_model_html_executes_nothing(page: Any, jupyter_server: JupyterServer, board: Switchboard) -> None:
    board.script(
        "think: be naughty\n"
        'text: Hi <img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> '
        '[click me](javascript:window.__xss=3) <a href="javascript:window.__xss=4">raw</a> done'
    )
    open_notebook(page, jupyter_server, "xss.ipynb", ["%load_ext k2nb", "%%k2 --approve auto\nsay hi"])
    wait_for_link(page)
    run_cell(page, 1)
    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=30_000)
    for link in page.locator(".k2nb-static a").all():
        link.click(no_wait_after=True)
    time.sleep(0.5)
    assert page.evaluate("() => window.__xss") is None
    assert "done" in output_text(page, 1)
    screenshot(page, f"xss-{jupyter_server.ui}")


class ReceivedBytes:
    """Bytes of the kernel websocket's frames the page receives while ``on``."""

    def __init__(self, page: Any) -> None:
        self.on = False
        self.total = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._received))

    def _received(self, payload: Any) -> None:
        if self.on:
            self.total += len(payload.encode() if isinstance(payload, str) else payload)


def test_the_tab_writes_the_saved_trace_and_the_text_crosses_the_wire_once(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    thinking = " ".join(f"step{i} weighs option {i % 7} against the data" for i in range(600))
    answer = " ".join(f"Finding {i}: the effect holds." for i in range(120)) + " The end of the answer."
    board.script(f"think: {thinking}\ntext: {answer}")
    board.server.tokens_per_second = None
    received = ReceivedBytes(page)
    name = f"saved-{jupyter_server.ui}.ipynb"
    open_notebook(page, jupyter_server, name, ["%load_ext k2nb", "%%k2 --approve auto\nanalyse"])
    wait_for_link(page)
    received.on = True
    run_cell(page, 1)
    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    received.on = False
    assert "The end of the answer." in output_text(page, 1)

    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")

    def shown(nb: Any) -> list[Any]:
        return [o for o in nb.cells[1].outputs if o.get("output_type") == "display_data"]

    saved_nb = wait_saved_notebook(
        jupyter_server.root_dir / name, lambda nb: bool(shown(nb)) and "text/html" in shown(nb)[0]["data"], 10
    )
    saved = shown(saved_nb)
    # The saved output is the static trace the tab inflated: full thinking and answer, no widget.
    assert len(saved) == 1, saved
    data = saved[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" not in data
    html = " ".join("".join(data["text/html"]).split())
    assert thinking in html and answer in html
    text_bytes = len(thinking.encode()) + len(answer.encode())
    # Live batches (deflated) + the saved copy (deflated) + envelopes and the widget's code.
    assert received.total <= 2 * text_bytes, (received.total, text_bytes)
