"""A long run in the browser: its live blocks and its saved trace lay out only what is on screen
(content-visibility), and still show every step to a reader who scrolls and opens them.

The speed this buys is measured by ``python -m benchmarks.long_view`` (the README's figures); here,
that nothing is lost: every step is in the output, a part scrolled to renders its blocks, a click
opens one.
"""

from __future__ import annotations

from typing import Any

import pytest

from k2nb.ui.static import PART_BLOCKS
from tests.browser.conftest import JupyterServer, open_notebook, screenshot
from tests.browser.harness import Switchboard, _tool, output_text, run_cell, wait_for_link, wait_idle

pytestmark = [pytest.mark.browser]

STEPS = 45  # 90 blocks (a thought and a call a step): five parts of PART_BLOCKS in the saved trace


def test_a_long_runs_saved_trace_shows_every_step_part_by_part(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    steps = [f"think: step {i}: add {i}\n" + _tool(f"total_long = {i}\nprint('sum', {i})") for i in range(STEPS)]
    board.script("\n---\n".join([*steps, "think: all added\ntext: The long run is complete."]))
    open_notebook(
        page,
        jupyter_server,
        f"long-{jupyter_server.ui}.ipynb",
        ["%load_ext k2nb", f"%%k2 --approve auto --max-steps {STEPS + 5}\nAdd them up"],
    )
    wait_for_link(page)
    run_cell(page, 1)
    # While it streams, the live view's blocks pile up: each is laid out only while on screen.
    # Read in the same check that sees them: the run may end, and the live view give way, right after.
    styles = page.wait_for_function(
        "(n) => { const blocks = [...document.querySelectorAll('.k2nb-live .k2nb-blocks > details')];"
        " return blocks.length >= n ? blocks.map((d) => getComputedStyle(d).contentVisibility) : null; }",
        arg=STEPS,
        timeout=120_000,
    ).json_value()
    assert set(styles) == {"auto"}, styles
    page.locator(".k2nb-static").first.wait_for(state="attached", timeout=120_000)
    wait_idle(page)

    # Every step is there (the folded ones one click away), in parts that render once on screen.
    text = output_text(page, 1, folded=True)
    assert all(f"step {i}: add {i}" in text for i in range(STEPS)), text[-500:]
    assert "The long run is complete." in output_text(page, 1)
    parts = page.locator(".k2nb-static .k2nb-part")
    assert parts.count() == -(-2 * STEPS // PART_BLOCKS)
    assert page.evaluate("() => getComputedStyle(document.querySelector('.k2nb-part')).contentVisibility") == "auto"

    # A reader scrolls to the last part with the wheel and opens its last call with a click.
    last = parts.last.locator("details.k2nb-tool").last
    box = page.locator(".k2nb-static").first.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 40, min(box["y"] + 40, 800))
    for _ in range(80):
        if last.evaluate("(el) => el.getBoundingClientRect().top") < 700:
            break
        page.mouse.wheel(0, 400)
    summary = last.locator("summary")
    summary.click()
    code = last.locator("pre.k2nb-code")
    code.wait_for(state="visible", timeout=10_000)
    assert f"total_long = {STEPS - 1}" in code.inner_text()
    assert (code.bounding_box() or {"height": 0})["height"] > 0
    screenshot(page, f"long-trace-opened-{jupyter_server.ui}")
