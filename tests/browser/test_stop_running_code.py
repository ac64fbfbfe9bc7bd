"""■ Stop clicked while the model's code runs, in JupyterLab and Notebook 7 (issue #11).

The click travels as a comm message to the kernel's subshell while the model's code keeps the main
thread busy; it must interrupt that code within seconds, mark the call "⊘ stopped" without any
internal exception text, keep the user's variables, and leave the next %%k2 working.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.browser.conftest import JupyterServer, open_notebook, screenshot
from tests.browser.harness import (
    Switchboard,
    output_text,
    wait_for_link,
    wait_idle,
    wait_output,
)

pytestmark = [pytest.mark.browser]

# Runs for as long as nobody stops it (the toy engine's Monte Carlo, without an end).
LOOP = (
    "import random\nrng = random.Random(7)\ninside = n = 0\nprint('throwing points')\nwhile True:\n"
    "    x, y = rng.random(), rng.random()\n    inside += x * x + y * y <= 1.0\n    n += 1"
)
LEAKS = ("AttributeError", "set_parent", "Traceback", "KeyboardInterrupt", "CapturingDisplayPublisher")


@pytest.fixture(scope="module")
def approve_mode() -> str:
    return "auto"


def shift_enter(page: Any, index: int) -> None:
    """Click into cell ``index``'s editor and run it with Shift+Enter, as a person does."""
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")


def test_stop_while_the_models_code_runs(page: Any, jupyter_server: JupyterServer, board: Switchboard) -> None:
    board.script(
        "think: estimate pi by throwing points until told otherwise\ntool: code_interpreter "
        + json.dumps({"code": LOOP})
        + "\n---\nthink: fresh start\ntext: Second run answered."
    )
    open_notebook(
        page,
        jupyter_server,
        "stop-code.ipynb",
        [
            "%load_ext k2nb\nuser_value = 41",
            "%%k2\nEstimate pi with Monte Carlo, forever",
            "%%k2\nAgain",
            "print('user_value', user_value, 'points', n > 1000)",
        ],
    )
    wait_for_link(page)  # runs cell 0 and waits for the labextension's comm

    shift_enter(page, 1)
    status = page.locator(".k2nb-live .k2nb-status").first
    status.filter(has_text="running code").wait_for(timeout=30_000)
    time.sleep(1.5)  # the loop is well under way
    assert board.server.requests and len(board.server.requests) == 1
    screenshot(page, f"stop-code-running-{jupyter_server.ui}")
    clicked = time.monotonic()
    page.locator(".k2nb-live button", has_text="Stop").click()
    cell = page.locator(".jp-Notebook .jp-Cell").nth(1)
    cell.locator(".k2nb-static").wait_for(state="attached", timeout=30_000)
    stopped_in = time.monotonic() - clicked
    wait_idle(page)
    cell.locator("summary", has_text="code_interpreter").first.scroll_into_view_if_needed()
    screenshot(page, f"stop-code-stopped-{jupyter_server.ui}")
    shown = output_text(page, 1, folded=True)
    assert "⊘ stopped" in shown, shown
    assert "stopped by the user" in shown
    assert "throwing points" in shown  # what the code printed before the stop stays in its block
    for leak in LEAKS:
        assert leak not in shown, f"{leak!r} is shown:\n{shown}"
    assert stopped_in < 15, f"the trace took {stopped_in:.1f} s to settle after Stop"

    shift_enter(page, 2)
    wait_output(page, 2, "Second run answered.")
    wait_idle(page)
    shift_enter(page, 3)
    wait_output(page, 3, "user_value 41 points True")
    page_text = page.locator(".jp-Notebook").inner_text()
    for leak in LEAKS:
        assert leak not in page_text, f"{leak!r} is on the page"
    tools = [m["content"] for m in board.server.requests[-1]["messages"] if m["role"] == "tool"]
    assert len(tools) == 1 and "stopped" in tools[0]  # the model's history: a "stopped" tool result
    screenshot(page, f"stop-code-after-{jupyter_server.ui}")


def test_stop_while_an_approval_waits_and_while_the_answer_streams(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    answer = " ".join(f"sentence{i} of a long answer." for i in range(600))
    board.script(
        "\n---\n".join(
            [
                "think: I need to run something\ntool: code_interpreter " + json.dumps({"code": "never_ran = 1"}),
                f"think: answering now\ntext: {answer}",
                "text: Third run answered.",
            ]
        ),
        speed=120,
    )
    open_notebook(
        page,
        jupyter_server,
        "stop-phases.ipynb",
        [
            "%load_ext k2nb",
            "%%k2 --approve ask\nAsk me first",
            "%%k2\nAnswer at length",
            "%%k2\nAgain",
            "print('never_ran' in globals())",
        ],
    )
    wait_for_link(page)
    # Waiting for approval: Stop ends the wait; nothing ran, and no button is left to press.
    shift_enter(page, 1)
    page.locator(".k2nb-live .k2nb-approval button", has_text="Run").first.wait_for(timeout=30_000)
    page.locator(".k2nb-live button", has_text="Stop").click()
    first = page.locator(".jp-Notebook .jp-Cell").nth(1)
    first.locator(".k2nb-static").wait_for(state="attached", timeout=30_000)
    wait_idle(page)
    assert "stopped by the user" in output_text(page, 1, folded=True)
    assert first.locator(".jp-OutputArea button").count() == 0
    assert len(board.server.requests) == 1  # the stop ended the run: no further model call
    # Answering: the text so far stays, marked stopped.
    shift_enter(page, 2)
    wait_output(page, 2, "sentence30 ", timeout=30_000)
    page.locator(".k2nb-live button", has_text="Stop").click()
    second = page.locator(".jp-Notebook .jp-Cell").nth(2)
    second.locator(".k2nb-static").wait_for(state="attached", timeout=30_000)
    wait_idle(page)
    shown = output_text(page, 2, folded=True)
    assert "stopped by the user" in shown and "sentence30 " in shown and "sentence599" not in shown
    screenshot(page, f"stop-phases-{jupyter_server.ui}")
    board.server.tokens_per_second = None
    shift_enter(page, 3)
    wait_output(page, 3, "Third run answered.")
    wait_idle(page)
    shift_enter(page, 4)
    wait_output(page, 4, "False")
