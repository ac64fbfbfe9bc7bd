"""The approval box keeps its keys: the Edit box is a code editor and the Skip reason a text field.

Typed like a person (Playwright's keyboard) in JupyterLab and Notebook 7: Enter, Tab, Ctrl+Z,
Shift+Enter and Esc act in the box, never on the notebook (no re-queued %%k2 cell, no new cell,
no changed cell type, no dialog), and the kernel receives what was typed.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, JupyterServer, open_notebook, screenshot
from tests.browser.harness import (
    Switchboard,
    approval_box,
    change_theme,
    output_text,
    run_cell,
    wait_for_link,
    wait_idle,
    wait_output,
)

pytestmark = [pytest.mark.browser]

MODEL_CODE = "model_a = 1\nprint('model code ran')"
TYPED = "total = 0\nfor i in range(4):\n    total += i\n    total += 10\nedited = total"

# What a notebook looks like to the user: its cells' types, the active cell, an open dialog.
_SHAPE = """() => { const nb = window.jupyterapp.shell.currentWidget.content;
  return { types: Array.from(nb.model.cells, (c) => c.type), active: nb.activeCellIndex,
           dialogs: document.querySelectorAll('.jp-Dialog').length,
           counts: nb.widgets.map((w) => w.model.executionCount ?? null) }; }"""
_FOCUSED = "() => document.activeElement?.className || document.activeElement?.tagName || ''"


def _tool(code: str) -> str:
    return "tool: code_interpreter " + json.dumps({"code": code})


def _editor(box: Any) -> Any:
    return box.locator("textarea.k2nb-editor")


def _value(box: Any) -> str:
    return str(_editor(box).evaluate("(el) => el.value"))


def _close_up(box: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    box.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_the_edit_box_is_a_code_editor_and_the_skip_reason_submits_with_enter(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    board.script(
        "\n---\n".join(
            [
                "think: first\n" + _tool(MODEL_CODE),
                "think: second\n" + _tool("ran_b = 2"),
                "think: done\ntext: Both calls handled.",
            ]
        )
    )
    ui = jupyter_server.ui
    open_notebook(
        page,
        jupyter_server,
        f"keys-{ui}.ipynb",
        [
            "%load_ext k2nb",
            "%%k2\nDo two things",
            "print(edited, 'model_a' in globals(), 'ran_b' in globals())",
        ],
    )
    wait_for_link(page)
    run_cell(page, 1)
    box = approval_box(page, 0)
    box.locator("button", has_text="Edit").click()
    editor = _editor(box)
    editor.wait_for(state="visible")
    assert page.evaluate(_FOCUSED) == "k2nb-editor"
    assert _value(box) == MODEL_CODE  # the model's code, to change
    before = page.evaluate(_SHAPE)

    # Select all, then type five lines: Enter keeps the indentation, Tab indents, Shift+Tab outdents.
    page.keyboard.press("Control+a")
    for line, key in [
        ("total = 0", "Enter"),
        ("for i in range(4):", "Enter"),
        (None, "Tab"),
        ("total += i", "Enter"),
        ("total += 10", "Enter"),
        (None, "Shift+Tab"),
        ("edited = total", None),
    ]:
        if line:
            page.keyboard.type(line)
        if key:
            page.keyboard.press(key)
        assert page.evaluate(_FOCUSED) == "k2nb-editor", f"focus left the editor after {key}"
    assert _value(box) == TYPED
    # The highlighted layer under the textarea shows the same text, highlighted.
    layer = box.locator("pre.k2nb-editor-highlight")
    assert layer.evaluate("(el) => el.textContent") == TYPED + "\n"
    assert layer.locator(".k2nb-hl-kw", has_text="for").count() == 1
    assert layer.locator(".k2nb-hl-num", has_text="10").count() == 1
    font = editor.evaluate("(el) => getComputedStyle(el).fontFamily")
    code_font = page.evaluate("() => getComputedStyle(document.body).getPropertyValue('--jp-code-font-family').trim()")
    assert code_font and font.replace(" ", "") == code_font.replace(" ", "")

    # Ctrl+Z undoes in the editor (not in the notebook), and redo brings the typing back.
    page.keyboard.press("Control+z")
    undone = _value(box)
    # Chrome undoes the last typed character here (Playwright types key by key); grouped typing
    # would go back further, to the model's code at most.
    assert undone != TYPED and (TYPED.startswith(undone) or undone == MODEL_CODE), undone
    page.keyboard.press("Control+Shift+z")
    assert _value(box) == TYPED
    # Tab over a selection indents each selected line, Shift+Tab outdents them; both undo in the editor.
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("Tab")
    lines = TYPED.split("\n")
    assert _value(box) == "\n".join([*lines[:3], "    " + lines[3], "    " + lines[4]])
    page.keyboard.press("Shift+Tab")
    assert _value(box) == TYPED
    page.keyboard.press("Control+z")
    assert _value(box) != TYPED
    page.keyboard.press("Control+Shift+z")
    assert _value(box) == TYPED
    assert page.evaluate(_SHAPE) == before

    screenshot(page, f"edit-box-light-{ui}")
    _close_up(box, f"edit-box-light-{ui}-close")
    if ui == "lab":
        change_theme(page, "JupyterLab Dark", light=False)
        screenshot(page, f"edit-box-dark-{ui}")
        _close_up(box, f"edit-box-dark-{ui}-close")
        change_theme(page, "JupyterLab Light", light=True)
    editor.click()  # the theme switch may have moved focus; the caret's place does not matter

    # Shift+Enter runs the edited code; the notebook neither re-queues the cell nor moves on.
    page.keyboard.press("Shift+Enter")
    box = approval_box(page, 0)  # the next call asks
    assert page.evaluate(_SHAPE) == before
    assert len(board.server.requests) == 2
    assert page.locator(".k2nb-live").count() == 1  # the live output was not wiped
    assert "edited = total" in output_text(page, 1, folded=True)  # the first block folds as the next starts

    # Esc leaves the editor: back to the four buttons, the question still pending.
    box.locator("button", has_text="Edit").click()
    page.keyboard.press("Control+a")
    page.keyboard.type("never_run = 1")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    assert _editor(box).is_hidden()
    for label in ("Run", "Edit", "Skip", "Always"):
        assert box.locator("button", has_text=label).first.is_visible(), label
    assert box.locator("pre.k2nb-code").count() == 0 and page.locator(".k2nb-live pre.k2nb-code").last.is_visible()
    assert page.evaluate(_FOCUSED) == "k2nb-button"
    time.sleep(1)
    assert len(board.server.requests) == 2  # nothing was answered

    # The buttons are reachable by keyboard: Tab from Edit to Skip, Enter opens the reason field.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip"
    page.keyboard.press("Enter")
    reason = box.locator("input.k2nb-reason")
    reason.wait_for(state="visible")
    assert page.evaluate(_FOCUSED) == "k2nb-reason"
    page.keyboard.type("I have it already; move on")
    page.keyboard.press("Tab")  # Tab leaves the field for its own button, not for ■ Stop
    assert page.evaluate("() => document.activeElement.textContent") == "Skip (send)"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Escape")  # Esc cancels the reason ...
    assert reason.is_hidden() and box.locator("button", has_text="Run").first.is_visible()
    box.locator("button", has_text="Skip").click()  # ... and Skip again, then Enter sends it
    page.keyboard.press("Control+a")
    page.keyboard.type("I have it already; move on")
    _close_up(box, f"skip-reason-{ui}")
    page.keyboard.press("Enter")

    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    time.sleep(1.5)  # a re-queued %%k2 cell would start now and ask the server again
    after = page.evaluate(_SHAPE)
    assert after["types"] == before["types"] and after["dialogs"] == 0
    assert len(board.server.requests) == 3
    tools = [m["content"] for m in board.server.requests[-1]["messages"] if m["role"] == "tool"]
    assert "user edited the code" in tools[0] and TYPED in tools[0]
    assert "declined" in tools[1] and "I have it already; move on" in tools[1]

    # The finished trace shows what ran and, folded beneath, the model's original code.
    static = page.locator(".k2nb-static").first
    assert TYPED.replace("\n", "") in static.locator("pre.k2nb-edited").inner_text().replace("\n", "")
    original = static.locator("details.k2nb-original")
    assert "edited by you" in original.locator("summary").inner_text()
    assert "model_a = 1" in original.evaluate("(el) => el.textContent")
    original.locator("summary").click()
    screenshot(page, f"edit-box-done-{ui}")

    run_cell(page, 2)
    wait_output(page, 2, "46 False False")
    assert output_text(page, 2).strip() == "46 False False"
