"""A run goes on while its page reloads, a second tab opens, or the kernel restarts: nothing is lost silently.

Real JupyterLab and Notebook 7 in Chromium, a real kernel, the loopback K2 server. The page is
reloaded (or a second page opened) while the kernel is still running the %%k2 cell: the
labextension finds the run, shows it live in its cell (everything so far, then the stream),
answers its approval and Stop from there, and writes the finished trace into the cell. A restart
mid-run says the run was lost, and the next %%k2 says how to load k2nb again.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import JupyterServer, open_notebook, screenshot
from tests.browser.harness import (
    Switchboard,
    _tool,
    output_text,
    run_cell,
    wait_for_link,
    wait_idle,
    wait_kernel_answers,
    wait_saved_notebook,
)

pytestmark = [pytest.mark.browser]

# The last thinking lane of the page's first live view (by class: `:last-of-type` would match only
# while the lane happens to be its parent's last <div>).
LIVE_THINKING = (
    "([...(document.querySelectorAll('.k2nb-live')[0]?.querySelectorAll('.k2nb-kind-thinking .k2nb-body') ?? [])]"
    ".pop()?.textContent || '')"
)
FIRST_THOUGHT = " ".join(f"plan{i}" for i in range(60))
SECOND_THOUGHT = " ".join(f"check{i}" for i in range(500))
ANSWER = "Finished after the reload: x_after is 42."


def _script(board: Switchboard) -> None:
    board.script(
        "\n---\n".join(
            [
                f"think: {FIRST_THOUGHT}\n" + _tool("x_after = 41 + 1"),
                f"think: {SECOND_THOUGHT}\ntext: {ANSWER}",
            ]
        ),
        speed=120,
    )


def _live_approval(page: Any) -> Any:
    button = page.locator(".k2nb-live .k2nb-approval button", has_text="Run").first
    button.wait_for(timeout=60_000)
    return button


def _save(page: Any) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    time.sleep(1.0)


@pytest.mark.parametrize("saved", [False, True], ids=["unsaved", "saved"])
def test_a_reload_mid_run_shows_the_run_live_and_keeps_its_trace(
    page: Any, jupyter_server: JupyterServer, board: Switchboard, saved: bool
) -> None:
    _script(board)
    name = f"reload-{'saved' if saved else 'unsaved'}.ipynb"
    open_notebook(page, jupyter_server, name, ["%load_ext k2nb", "%%k2\nCompute x_after", "print(x_after)"])
    wait_for_link(page)
    run_cell(page, 1)
    _live_approval(page)  # the kernel now waits for an answer
    if saved:
        _save(page)
    page.reload()
    # The reloaded page has the notebook as last saved; the run comes back live in its cell.
    run_button = _live_approval(page)
    text = output_text(page, 1, folded=True)
    assert "plan59" in text, text  # everything so far arrived as one snapshot
    assert "needs a widget frontend" not in output_text(page, 1)
    screenshot(page, f"reattach-approval-{jupyter_server.ui}-{name[:-6]}")
    run_button.click()  # the approval is answered from the reloaded tab
    # ... then the stream: the second thought grows in place.
    page.wait_for_function(f"() => {LIVE_THINKING}.includes('check40 ')", timeout=60_000)
    shown = page.evaluate(f"() => {LIVE_THINKING}")
    time.sleep(2.5)
    later = page.evaluate(f"() => {LIVE_THINKING}")
    assert later.startswith(shown) and len(later) > len(shown)
    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
    assert ANSWER in output_text(page, 1)
    screenshot(page, f"reattach-done-{jupyter_server.ui}-{name[:-6]}")
    wait_idle(page)
    # The finished trace is in the cell, so the saved file keeps it.
    _save(page)
    saved_nb = wait_saved_notebook(
        jupyter_server.root_dir / name,
        lambda nb: any(ANSWER in str(o.get("data", {}).get("text/html", "")) for o in nb.cells[1].outputs),
    )
    outputs = saved_nb.cells[1].outputs
    data = [o["data"] for o in outputs if o.get("output_type") == "display_data"]
    assert len(data) == 1, outputs
    assert ANSWER in "".join(data[0]["text/html"])
    assert "application/vnd.jupyter.widget-view+json" not in data[0]
    assert "application/vnd.k2nb.live+json" not in data[0]
    run_cell(page, 2)
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets[2].outputArea.node.textContent.includes('42')",
        timeout=30_000,
    )


def test_a_second_tab_mid_run_streams_too_and_can_stop_it(
    page: Any, chromium: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    board.script(f"think: {SECOND_THOUGHT} {SECOND_THOUGHT}\ntext: never reached", speed=80)
    name = "second-tab.ipynb"
    open_notebook(page, jupyter_server, name, ["%load_ext k2nb", "%%k2\nThink a while"])
    wait_for_link(page)
    run_cell(page, 1)
    page.locator(".k2nb-live .k2nb-kind-thinking").first.wait_for(timeout=30_000)
    other = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    try:
        other.goto(jupyter_server.url(name))
        other.wait_for_function(f"() => {LIVE_THINKING}.includes('check20 ')", timeout=60_000)
        first = other.evaluate(f"() => {LIVE_THINKING}")
        time.sleep(2.5)
        assert len(other.evaluate(f"() => {LIVE_THINKING}")) > len(first)  # it streams in the second tab
        screenshot(other, f"reattach-second-tab-{jupyter_server.ui}")
        other.locator(".k2nb-live button", has_text="Stop").click()
        # Both tabs end with the stopped, finished trace.
        for tab in (other, page):
            tab.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
            assert "stopped by the user" in output_text(tab, 1, folded=True)
    finally:
        other.context.close()
    wait_idle(page)


def test_a_restart_mid_run_says_the_run_was_lost_and_how_to_load_k2nb(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    board.script(f"think: {SECOND_THOUGHT}\ntext: never reached", speed=60)
    open_notebook(page, jupyter_server, "restart.ipynb", ["%load_ext k2nb", "%%k2\nThink", "%%k2\nAgain"])
    wait_for_link(page)
    run_cell(page, 1)
    page.wait_for_function(f"() => {LIVE_THINKING}.includes('check10 ')", timeout=60_000)
    page.evaluate("() => { void window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart(); }")
    page.locator(".k2nb-lost").first.wait_for(state="attached", timeout=60_000)
    text = output_text(page, 1)
    assert "kernel restarted" in text.lower() and "check10" in text, text
    assert page.locator(".k2nb-live button:enabled", has_text="Stop").count() == 0  # no dead buttons
    screenshot(page, f"restart-lost-{jupyter_server.ui}")
    wait_kernel_answers(page)  # not wait_idle: after a restart the indicator may read "Unknown" (upstream)
    run_cell(page, 2)
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets[2].outputArea.node.textContent"
        ".includes('%load_ext k2nb')",
        timeout=30_000,
    )
    screenshot(page, f"restart-magic-{jupyter_server.ui}")
    assert "Cell magic `%%k2` not found" not in output_text(page, 2)
