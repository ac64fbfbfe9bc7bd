"""An MCP tool call's approval in the output, in JupyterLab and Notebook 7, typed like a person.

The kernel starts a real MCP server (tests/harness/mcp_server.py over stdio) with `%k2 mcp add`; the
model (the loopback K2 server's script) calls two of its tools. The block shows which server, the
server's hint and the call before the buttons; Edit changes the arguments with the keyboard, Skip
sends a reason, and the model reads exactly that.
"""

from __future__ import annotations

import json
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
from tests.harness.mcp_processes import TOKEN, add_words

pytestmark = [pytest.mark.browser]

HINT = "# MCP server 'demo' · the server marks this tool read-only (its hint; your approval decides)"


@pytest.fixture(scope="module")
def jupyter_env(board: Switchboard) -> dict[str, str]:
    """The kernels have the server's token in their environment: `--env DEMO_TOKEN` passes it on unwritten."""
    return {
        "K2NB_BASE_URL": board.server.base_url,
        "K2NB_API_KEY": "sk-browser-test",
        "K2NB_APPROVE": "ask",
        "DEMO_TOKEN": TOKEN,
    }


def _call(name: str, arguments: dict[str, Any]) -> str:
    return f"tool: {name} {json.dumps(arguments)}"


def test_an_mcp_call_shows_its_server_and_is_edited_then_another_skipped_by_keyboard(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    board.script(
        "\n---\n".join(
            [
                "think: I'll add them with the MCP tool.\n" + _call("add", {"a": 2, "b": 3}),
                "think: Now shout it.\n" + _call("shout", {"text": "forty-two"}),
                "think: done\ntext: The sum is **42**.",
            ]
        )
    )
    ui = jupyter_server.ui
    open_notebook(
        page,
        jupyter_server,
        f"mcp-{ui}.ipynb",
        ["%load_ext k2nb", add_words("demo", only="add,shout", token=None), "%%k2\nAdd 2 and 3, then shout the sum."],
    )
    wait_for_link(page)
    run_cell(page, 1)
    wait_output(page, 1, "k2nb: MCP server 'demo' started (stdio). 2 tool(s)")
    wait_idle(page)

    run_cell(page, 2)
    box = approval_box(page, 0)
    shown = page.locator(".k2nb-live pre.k2nb-code").last
    assert shown.is_visible()  # the call is on screen above the buttons: server, hint, tool, arguments
    assert shown.inner_text().splitlines() == [HINT, "add(a=2, b=3)"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".k2nb-live").last.screenshot(path=str(ARTIFACTS / f"mcp-approval-light-{ui}.png"))
    screenshot(page, f"mcp-approval-light-{ui}-page")
    if ui == "lab":
        change_theme(page, "JupyterLab Dark", light=False)
        page.locator(".k2nb-live").last.screenshot(path=str(ARTIFACTS / f"mcp-approval-dark-{ui}.png"))
        change_theme(page, "JupyterLab Light", light=True)

    # Edit: the editor holds the call; change the arguments with the keyboard and run it (Ctrl+Enter).
    box.locator("button", has_text="Edit").click()
    editor = box.locator("textarea.k2nb-editor")
    editor.wait_for(state="visible")
    assert editor.evaluate("(el) => el.value") == f"{HINT}\nadd(a=2, b=3)"
    page.keyboard.press("Control+End")
    for _ in range(len("2, b=3)")):
        page.keyboard.press("Backspace")
    page.keyboard.type("40, b=2)")
    page.keyboard.press("Control+Enter")

    # The next call asks: Skip with a reason, Enter sends it.
    box = approval_box(page, 0)
    assert page.locator(".k2nb-live pre.k2nb-code").last.inner_text().strip().endswith("shout(text='forty-two')")
    box.locator("button", has_text="Skip").click()
    page.keyboard.type("no shouting in the library")
    page.keyboard.press("Enter")

    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    tools = [m["content"] for m in board.server.requests[-1]["messages"] if m["role"] == "tool"]
    assert tools[0] == "42"  # the edited arguments ran on the server
    assert "declined" in tools[1] and "no shouting in the library" in tools[1]
    text = output_text(page, 2, folded=True)
    assert "add(a=40, b=2)" in text and "add · ✓ · edit" in text and "shout · ⊘ not run · skip" in text
    screenshot(page, f"mcp-finished-{ui}")
    assert TOKEN not in page.evaluate("() => document.body.innerText")  # not in a cell, not in an output
