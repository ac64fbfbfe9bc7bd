"""Issue #11 (items 8, 9) in real JupyterLab and Notebook 7 (Chromium).

Asserted as a user would see it: a call's title tells the wait for approval apart from the run;
the status clock advances while a slow stream sends nothing new; after Always every run says
approvals are off, "ask again" turns them back on and the next run asks; `%k2 help` renders as
headings and lists; a `--cells` run's output is a status line and a link that reaches its cells.
"""

from __future__ import annotations

import re
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
)

pytestmark = [pytest.mark.browser]

OFF = "approve: auto (Always)"
STATUS = "document.querySelector('.k2nb-live .k2nb-status span')?.textContent || ''"
CLOCK = re.compile(r"^(.* · step \d+/\d+ · )(\d+\.\d) s( · .*)$")


def slow_thought(n: int) -> str:
    return " ".join(f"pondering{i}" for i in range(n))


def test_the_wait_is_apart_from_the_run_and_the_clock_ticks(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    ui = jupyter_server.ui
    board.script(
        "think: quick\n" + _tool("fast = 1") + f"\n---\nthink: {slow_thought(150)}\ntext: Slow one done.", speed=25
    )
    open_notebook(page, jupyter_server, f"durations-{ui}.ipynb", ["%load_ext k2nb", "%%k2\nrun something fast"])
    wait_for_link(page)
    run_cell(page, 1)
    box = approval_box(page, 0)
    time.sleep(3)  # the user reads the code for a while
    box.locator("button", has_text="Run").click()
    summary = page.locator(".k2nb-live .k2nb-kind-tool summary").first
    page.wait_for_function(
        "() => /ran \\d/.test(document.querySelector('.k2nb-live .k2nb-kind-tool summary')?.textContent || '')",
        timeout=30_000,
    )
    title = summary.inner_text()
    found = re.search(r"waited (\d+\.\d) s · ran (\d+\.\d) s", title)
    assert found, title
    assert float(found[1]) >= 3.0 and float(found[2]) < 1.0, title  # not "✓ 3.0 s" for code that ran instantly

    # The second step thinks slowly: the status gets no new op, yet its clock advances.
    page.wait_for_function(f"() => ({STATUS}).startsWith('thinking · step 2/')", timeout=30_000)
    first = CLOCK.match(page.evaluate(f"() => {STATUS}"))
    time.sleep(1.6)
    second = CLOCK.match(page.evaluate(f"() => {STATUS}"))
    screenshot(page, f"status-clock-{ui}")
    assert first and second, (first, second)
    assert (first[1], first[3]) == (second[1], second[3])  # same phase, step and tokens: no new status op
    assert float(second[2]) - float(first[2]) >= 1.0, (first[0], second[0])

    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    saved = output_text(page, 1, folded=True)
    assert re.search(r"waited [3-9]\.\d s · ran 0\.\d s", saved), saved
    screenshot(page, f"durations-done-{ui}")


def test_always_stays_visible_and_ask_again_turns_approvals_back_on(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    ui = jupyter_server.ui
    board.script(
        "\n---\n".join(
            [
                "think: first\n" + _tool("ran_a = 1"),
                "text: A done.",
                f"think: {slow_thought(150)}\ntext: B done.",
                "think: third\n" + _tool("ran_c = 3"),
                "text: C done.",
            ]
        ),
        speed=40,
    )
    open_notebook(
        page, jupyter_server, f"modes-{ui}.ipynb", ["%load_ext k2nb", "%%k2\nrun A", "%%k2\nrun B", "%%k2\nrun C"]
    )
    wait_for_link(page)
    run_cell(page, 1)
    approval_box(page, 0).locator("button", has_text="Always").click()
    wait_output(page, 1, "A done.")
    wait_idle(page)
    assert OFF in output_text(page, 1)

    run_cell(page, 2)
    ask = page.locator(".k2nb-live .k2nb-status button", has_text="ask again")
    ask.wait_for(state="visible", timeout=30_000)
    assert OFF in page.evaluate(f"() => {STATUS}")
    screenshot(page, f"approvals-off-{ui}")
    ask.click()
    page.locator(".k2nb-live .k2nb-status button", has_text="the next call asks").wait_for(timeout=10_000)
    wait_output(page, 2, "B done.")
    wait_idle(page)
    assert OFF not in output_text(page, 2)  # the run ends saying what the session is left with

    run_cell(page, 3)
    box = approval_box(page, 0)  # the third run asks again
    assert OFF not in page.evaluate(f"() => {STATUS}")
    screenshot(page, f"approvals-back-on-{ui}")
    box.locator("button", has_text="Run").click()
    wait_output(page, 3, "C done.")
    wait_idle(page)


def _type_in_cell(page: Any, index: int, text: str) -> None:
    """Click into a cell's editor, type like a person, run it with Shift+Enter."""
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content").click()
    page.keyboard.type(text, delay=20)
    page.keyboard.press("Shift+Enter")


def test_help_renders_as_headings_and_lists(page: Any, jupyter_server: JupyterServer) -> None:
    ui = jupyter_server.ui
    open_notebook(page, jupyter_server, f"help-{ui}.ipynb", ["%load_ext k2nb", "", ""])
    run_cell(page, 0)
    wait_idle(page)
    _type_in_cell(page, 1, "%k2 help")
    out = page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-OutputArea")
    out.locator(".jp-RenderedMarkdown h4", has_text="Flags").wait_for(timeout=30_000)
    assert out.locator("h3").count() == 1 and out.locator("h4").count() == 2
    assert out.locator("li").count() >= 20 and out.locator("li code", has_text="--cells").count() == 1
    shown = out.inner_text()
    for raw in ("::", "`", "- %k2", "#### ", "\\$"):
        assert raw not in shown, raw
    assert "$web_search" in shown
    screenshot(page, f"help-{ui}")
    _type_in_cell(page, 2, "%k2 help toy")
    toy = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-OutputArea")
    toy.locator("h2", has_text="toy engine").wait_for(timeout=30_000)
    assert toy.locator("li strong", has_text="Digit sums").count() == 1
    assert "**" not in toy.inner_text().replace("2**", "")


CELLS_OF_RUN = """() => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  return nb.widgets.map(c => (c.model.getMetadata('k2nb') || {}).run_id || null);
}"""


def test_a_cells_run_output_is_a_status_line_and_a_link_to_its_cells(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    ui = jupyter_server.ui
    board.script(
        "think: THINK-MARK "
        + slow_thought(60)
        + "\n"
        + _tool("x = 41 + 1\nprint('x is', x)")
        + "\n---\nthink: it printed 42\ntext: The answer is 42.",
        speed=60,
    )
    open_notebook(
        page,
        jupyter_server,
        f"cells-link-{ui}.ipynb",
        ["%load_ext k2nb", "%%k2 --cells --approve auto\nsolve it", "print('mine')"],
    )
    wait_for_link(page)
    run_cell(page, 1)
    live = page.locator(".k2nb-live a.k2nb-cells-link")
    live.wait_for(state="visible", timeout=30_000)
    assert page.locator(".k2nb-live .k2nb-kind-thinking").count() == 0  # the thinking is in the cells
    screenshot(page, f"cells-live-{ui}")
    page.locator(".k2nb-static a.k2nb-cells-link").wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    shown = output_text(page, 1, folded=True)
    assert "done" in shown and "↓ the steps are in the cells below" in shown
    assert "THINK-MARK" not in shown and "The answer is 42." not in shown  # not the trace a second time
    runs = page.evaluate(CELLS_OF_RUN)
    run_id = runs[2]
    assert run_id and runs[:2] == [None, None] and runs[-1] is None and runs.count(run_id) >= 3, runs
    page.evaluate(
        "() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = "
        "window.jupyterapp.shell.currentWidget.content.widgets.length - 1; }"
    )
    url = page.url
    page.locator(".k2nb-static a.k2nb-cells-link").click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex === 2", timeout=10_000)
    assert page.url == url  # handled in place: no navigation to the anchor
    top = page.evaluate(
        "() => { const nb = window.jupyterapp.shell.currentWidget.content; "
        "const r = nb.widgets[2].node.getBoundingClientRect(); "
        "const v = nb.node.getBoundingClientRect(); return [r.top - v.top, v.height]; }"
    )
    assert 0 <= top[0] < top[1], top  # the first cell of the run is in view
    screenshot(page, f"cells-link-{ui}")
