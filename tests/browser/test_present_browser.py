"""Presenter mode in JupyterLab and Notebook 7, driven as a teacher does: a click on Next ▶, then the keys.

Real Chromium, a real kernel, the loopback K2 server counting requests. Before each step the live view
pauses with Next ▶; one press (click, → or Space) lets exactly one request go and one step stream; the
keys stay in the output (a letter never inserts, deletes or retypes a cell); the layout is large, follows
JupyterLab's font size and reads at WCAG AA in both themes; a reload mid-pause shows Next again; ■ Stop
while paused sends nothing; and a replay (`%k2 present`) pauses the same way.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, JupyterServer, open_notebook, screenshot
from tests.browser.harness import Switchboard, output_text, run_cell, wait_for_link, wait_idle, wait_output
from tests.browser.test_trace_look import command, contrast, set_theme, style

pytestmark = [pytest.mark.browser]

LIVE = ".k2nb-live"
PAUSE = f"{LIVE} .k2nb-pause"
NEXT = f"{PAUSE} button.k2nb-next"
THINKING_LANES = f"{LIVE} .k2nb-kind-thinking"
FIRST_THOUGHT = " ".join(["First I make the list the user gave me."] * 6)
SCRIPT = "\n---\n".join(
    [
        f"think: {FIRST_THOUGHT}\ntool: code_interpreter "
        + json.dumps({"code": "numbers = [3, 1, 2]\nprint(numbers)"}),
        "think: It printed [3, 1, 2]. Now I sort it.\ntool: code_interpreter "
        + json.dumps({"code": "ordered = sorted(numbers)\nprint(ordered)"}),
        "think: It printed [1, 2, 3].\ntext: Sorted: **[1, 2, 3]**.",
    ]
)
# What a notebook looks like to the user: its cells' types, the active cell and mode, an open dialog.
_SHAPE = """() => { const nb = window.jupyterapp.shell.currentWidget.content;
  return { types: Array.from(nb.model.cells, (c) => c.type), active: nb.activeCellIndex, mode: nb.mode,
           dialogs: document.querySelectorAll('.jp-Dialog').length }; }"""
_FOCUS_IN_VIEW = "() => !!document.activeElement?.closest('.k2nb-live')"
PRESENTER_TEXT = {  # what must read at 4.5:1 on a projector
    "pause text": f"{PAUSE} .k2nb-pause-text",
    "Next button": NEXT,
    "key hint": f"{PAUSE} .k2nb-pause-hint",
    "thinking text": f"{THINKING_LANES} > .k2nb-body",
    "status line": f"{LIVE} .k2nb-status span",
}


@pytest.fixture(scope="module")
def approve_mode() -> str:
    return "auto"


def wait_pause(page: Any, step: int) -> None:
    words = "the first step" if step == 1 else f"step {step}:"
    page.locator(PAUSE, has_text=words).wait_for(timeout=60_000)


def content_font_size(page: Any) -> float:
    """JupyterLab's content font size now (Settings → Theme → … Font Size), in px."""
    return float(
        page.evaluate("() => parseFloat(getComputedStyle(document.body).getPropertyValue('--jp-content-font-size1'))")
    )


def requests(board: Switchboard) -> int:
    return len(board.server.requests)


def held(board: Switchboard, count: int, seconds: float = 1.0) -> None:
    """The pause holds: no request beyond ``count`` goes while it waits."""
    time.sleep(seconds)
    assert requests(board) == count


def close_up(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(LIVE).first.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def presenter_contrast(page: Any) -> dict[str, float]:
    return {name: round(contrast(page, selector), 2) for name, selector in PRESENTER_TEXT.items()}


def test_next_advances_one_step_by_click_arrow_and_space_and_keys_stay_in_the_view(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    ui = jupyter_server.ui
    board.script(SCRIPT, speed=150)
    open_notebook(
        page,
        jupyter_server,
        f"present-{ui}.ipynb",
        ["%load_ext k2nb", "%%k2 --present\nSort 3, 1, 2", "print(ordered)"],
    )
    wait_for_link(page)
    run_cell(page, 1)

    # Paused before step 1: nothing asked of the model, a large layout that follows JupyterLab's size.
    wait_pause(page, 1)
    held(board, 0)
    assert style(page, LIVE)["fontSize"] == pytest.approx(1.5 * content_font_size(page), abs=0.6)

    # A click on Next: exactly one request, one thinking lane that streams, then the next pause.
    page.locator(NEXT).click()
    page.wait_for_function(
        "(sel) => (document.querySelector(sel)?.textContent || '').length > 20", arg=f"{THINKING_LANES} .k2nb-body"
    )
    assert page.locator(PAUSE).count() == 0  # the pause went with the press
    wait_pause(page, 2)
    held(board, 1)
    assert page.locator(THINKING_LANES).count() == 1
    assert page.evaluate(_FOCUS_IN_VIEW), "focus left the view after the click"

    # Keys typed while the view has focus stay there: no new, deleted or retyped cell, no edit mode.
    before = page.evaluate(_SHAPE)
    for key in ("a", "b", "m", "d", "d", "Enter", "Shift+Enter", "z"):
        page.keyboard.press(key)
    time.sleep(0.5)
    assert page.evaluate(_SHAPE) == before
    held(board, 1, seconds=0.2)  # and none of them said next

    light = presenter_contrast(page)
    assert min(light.values()) >= 4.5, light
    screenshot(page, f"present-paused-light-{ui}")
    close_up(page, f"present-paused-light-{ui}-close")
    if ui == "lab":
        set_theme(page, "JupyterLab Dark")
        try:
            dark = presenter_contrast(page)
            assert min(dark.values()) >= 4.5, dark
            screenshot(page, f"present-paused-dark-{ui}")
            close_up(page, f"present-paused-dark-{ui}-close")
        finally:
            set_theme(page, "JupyterLab Light")
        print(f"presenter contrast, {ui}: light {light}, dark {dark}")  # shown with pytest -s
        # Settings → a larger content font: presenter mode grows with it.
        grown = style(page, LIVE)["fontSize"]
        command(page, "apputils:incr-font-size", {"key": "content-font-size1"})
        page.wait_for_function(
            "([sel, size]) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize) > size",
            arg=[LIVE, grown],
            timeout=10_000,
        )
        command(page, "apputils:decr-font-size", {"key": "content-font-size1"})
        page.locator(PAUSE).first.click()  # the theme switch may have moved focus; a click gives it back

    # → : the next step, and only it.
    page.locator(PAUSE).first.click()
    page.keyboard.press("ArrowRight")
    wait_pause(page, 3)
    held(board, 2)
    assert page.locator(THINKING_LANES).count() == 2

    # Space: the last step (the answer); the saved trace keeps the large layout.
    page.keyboard.press(" ")
    page.locator(".k2nb-static.k2nb-present").first.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    assert requests(board) == 3
    assert "Sorted: [1, 2, 3]." in output_text(page, 1)
    assert page.evaluate(_SHAPE)["types"] == before["types"]
    screenshot(page, f"present-done-light-{ui}")
    run_cell(page, 2)
    wait_output(page, 2, "[1, 2, 3]")


def test_a_reload_while_paused_shows_next_again(page: Any, jupyter_server: JupyterServer, board: Switchboard) -> None:
    if jupyter_server.ui != "lab":
        pytest.skip("the reattach path is the same in Notebook 7 (tests/browser/test_reattach.py); once is enough")
    board.script(SCRIPT, speed=300)
    name = "present-reload.ipynb"
    open_notebook(page, jupyter_server, name, ["%load_ext k2nb", "%%k2 --present\nSort 3, 1, 2"])
    wait_for_link(page)
    run_cell(page, 1)
    wait_pause(page, 1)
    page.locator(NEXT).click()
    wait_pause(page, 2)
    page.reload()
    # The reloaded page finds the run in its kernel: the trace so far, the pause, and its Next.
    wait_pause(page, 2)
    assert page.locator(f"{LIVE}.k2nb-present").count() == 1
    assert "First I make the list" in output_text(page, 1, folded=True)
    screenshot(page, "present-reloaded-lab")
    held(board, 1)
    page.locator(NEXT).click()
    wait_pause(page, 3)
    held(board, 2)
    page.keyboard.press("ArrowRight")
    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
    assert requests(board) == 3 and "Sorted: [1, 2, 3]." in output_text(page, 1)


def test_a_replay_pauses_the_same_way(page: Any, jupyter_server: JupyterServer, board: Switchboard) -> None:
    ui = jupyter_server.ui
    board.script(SCRIPT)
    open_notebook(
        page,
        jupyter_server,
        f"present-replay-{ui}.ipynb",
        ["%load_ext k2nb", f"%%k2 --record lesson-{ui}.jsonl\nSort 3, 1, 2", "%k2 present"],
    )
    wait_for_link(page)
    run_cell(page, 1)
    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    recorded = requests(board)
    assert recorded == 3

    run_cell(page, 2)
    base = content_font_size(page)
    for step in (1, 2, 3):
        wait_pause(page, step)
        # Large, with a saved trace's stylesheet (its own copy of trace.css) earlier on the page.
        assert style(page, LIVE)["fontSize"] == pytest.approx(1.5 * base, abs=0.6)
        time.sleep(0.5)
        assert page.locator(THINKING_LANES).count() == step - 1  # nothing of the step before its press
        if step == 1:
            page.locator(PAUSE).first.click()  # gives the view the keys
        page.keyboard.press(" " if step % 2 else "ArrowRight")
    page.locator(".k2nb-static.k2nb-present").first.wait_for(state="attached", timeout=60_000)
    assert style(page, ".k2nb-static.k2nb-present")["fontSize"] == pytest.approx(1.5 * base, abs=0.6)
    assert style(page, ".k2nb-static")["fontSize"] == pytest.approx(base, abs=0.6)  # the recorded run: as it was
    assert requests(board) == recorded  # replayed offline
    shown = output_text(page, 2)
    assert "Sorted: [1, 2, 3]." in shown and f"lesson-{ui}.jsonl" in shown
    screenshot(page, f"present-replay-done-{ui}")


def test_stop_while_paused_ends_the_run_without_a_request(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    ui = jupyter_server.ui
    board.script(SCRIPT)
    open_notebook(
        page,
        jupyter_server,
        f"present-stop-{ui}.ipynb",
        ["%load_ext k2nb", "%%k2 --present\nSort 3, 1, 2", "%%k2\nSort 3, 1, 2"],
    )
    wait_for_link(page)
    run_cell(page, 1)
    wait_pause(page, 1)
    page.locator(f"{LIVE} button", has_text="Stop").click()
    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    assert requests(board) == 0 and "stopped by the user" in output_text(page, 1)
    run_cell(page, 2)  # the conversation goes on: the next cell is sent, unpaused
    wait_output(page, 2, "Sorted: [1, 2, 3].")
    assert requests(board) == 3
