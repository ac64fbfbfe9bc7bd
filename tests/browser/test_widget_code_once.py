"""The live view's code crosses once per page, deflated, in JupyterLab and Notebook 7 in Chromium.

The first run of a page carries the view's whole module and CSS deflated, in a module that
inflates them, puts the CSS in the page once and imports the view; the second run's widget
carries a stub that reuses them. Both must stream a styled live view; after a reload (a new
client) a run gets the whole code again and streams as well. With ``K2NB_LIVE_COMPRESSION=0`` the
first run carries the plain module and anywidget puts its CSS in the page.
"""

from __future__ import annotations

from typing import Any

import pytest

from k2nb.ui.view_code import MISSING_NOTE, REGISTRY
from k2nb.ui.widget import PAGES, TraceWidget
from tests.browser.conftest import JupyterServer, open_notebook, screenshot
from tests.browser.harness import (
    Switchboard,
    output_text,
    wait_for_link,
    wait_idle,
)
from tests.browser.test_trace_look import set_theme

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def approve_mode() -> str:
    return "auto"


def _turn(name: str) -> str:
    thought = " ".join(f"{name}{i} weighs the next step" for i in range(60))
    return f"think: {thought}\ntext: {name} run answered."


# The widget comm_open frames the page receives: how big each run's widget state (its code) was.
_CODE_SIZES = """() => window.__k2nbCodeSizes"""
_SOCKET_HOOK = """
window.__k2nbCodeSizes = [];
const OrigWS = window.WebSocket;
// Only observes: the size of each frame that opens a k2nb widget (text or the binary v1 protocol).
window.WebSocket = class extends OrigWS {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (e) => {
      const text = typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data);
      const opens = text.includes('"comm_open"') && text.includes("k2nb.ui.widget.TraceWidget");
      if (opens) window.__k2nbCodeSizes.push(text.length);
    });
  }
};
"""


# Where the view's CSS is in the page: the <style> the deflated code put there, and anywidget's (plain
# code; its id is the widget's module and class).
_STYLES = f"""() => [document.querySelectorAll('style#k2nb-css-{PAGES.key}').length,
  document.querySelectorAll('style[id="{TraceWidget.__module__}.{TraceWidget.__name__}"]').length]"""

PLAIN_CODE = 30_000  # a widget's comm_open frame that carries the view's code plain is larger than this
DEFLATED_CODE = (12_000, 18_000)  # one that carries it deflated is within this (a stub: under 3,000)


# The saved output's HTML as the notebook holds it (what the file keeps).
_SAVED_HTML = """(i) => { const outputs = window.jupyterapp.shell.currentWidget.content.widgets[i].model.outputs;
  for (let k = 0; k < outputs.length; k++) { const html = outputs.get(k).data['text/html'];
    if (typeof html === 'string') return html; } return ''; }"""


def _saved_with_style(page: Any, index: int) -> bool:
    """The tab wrote the saved trace whole: its <style> (sent once per link) in front of its markup."""
    html = str(page.evaluate(_SAVED_HTML, index))
    return html.startswith("<style>\n") and "div.k2nb-trace{" in html and '</style><div class="k2nb-static' in html


def _run_by_keyboard(page: Any, index: int) -> None:
    """Click into the cell's editor and press Shift+Enter, as a person runs a cell."""
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


def _live_view_streams(page: Any, index: int, word: str) -> None:
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    live = cell.locator(".k2nb-live")
    live.wait_for(timeout=60_000)
    cell.locator(".k2nb-kind-thinking").first.wait_for(timeout=30_000)
    page.wait_for_function(
        "([i, w]) => document.querySelectorAll('.jp-Notebook .jp-Cell')[i].querySelector('.k2nb-live')"
        "?.textContent.includes(w)",
        arg=[index, word],
        timeout=30_000,
    )
    # widget.css reached the page: the status row is a flex box, the thinking lane scrolls.
    styles = live.evaluate(
        "(el) => [getComputedStyle(el.querySelector('.k2nb-status')).display,"
        " getComputedStyle(el.querySelector('.k2nb-kind-thinking > .k2nb-body')).maxHeight]"
    )
    assert styles[0] == "flex" and styles[1] != "none", styles
    assert MISSING_NOTE not in live.inner_text()


def test_two_runs_stream_with_the_code_sent_once_and_a_reloaded_page_still_streams(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    board.script("\n---\n".join(_turn(n) for n in ("first", "second", "third")), speed=60)
    page.add_init_script(_SOCKET_HOOK)
    name = f"code-once-{jupyter_server.ui}.ipynb"
    open_notebook(page, jupyter_server, name, ["%load_ext k2nb", "%%k2\nOne", "%%k2\nTwo"])
    wait_for_link(page)

    _run_by_keyboard(page, 1)
    _live_view_streams(page, 1, "first5 ")
    screenshot(page, f"code-once-first-run-{jupyter_server.ui}")  # the view from the deflated code
    page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".k2nb-static").wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    assert "first run answered." in output_text(page, 1)

    set_theme(page, "JupyterLab Dark")  # the CSS the first run put in the page follows the theme
    _run_by_keyboard(page, 2)
    _live_view_streams(page, 2, "second5 ")
    screenshot(page, f"code-once-second-run-dark-{jupyter_server.ui}")
    page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".k2nb-static").wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    set_theme(page, "JupyterLab Light")
    assert "second run answered." in output_text(page, 2)
    sizes = page.evaluate(_CODE_SIZES)
    low, high = DEFLATED_CODE
    assert len(sizes) == 2 and low < sizes[0] < high and sizes[1] < 3_000, sizes  # the code deflated, then the stub
    assert page.evaluate(_STYLES) == [1, 0]  # the CSS in the page once, put there by the deflated code
    assert _saved_with_style(page, 1) and _saved_with_style(page, 2)  # the second named its style only
    assert page.evaluate(f"() => Object.keys(globalThis.{REGISTRY} || {{}}).length") == 1

    page.reload()
    page.wait_for_function(
        "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
        timeout=90_000,
    )
    wait_for_link(page)
    _run_by_keyboard(page, 2)
    _live_view_streams(page, 2, "third5 ")
    screenshot(page, f"code-once-after-reload-{jupyter_server.ui}")
    page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".k2nb-static").wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    assert "third run answered." in output_text(page, 2)
    sizes = page.evaluate(_CODE_SIZES)
    assert sizes and low < sizes[0] < high, sizes  # the reloaded page is a new client: the code again
    assert page.evaluate(_STYLES) == [1, 0]
    assert _saved_with_style(page, 2)


def test_without_compression_the_first_run_carries_the_plain_code_and_the_second_the_stub(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    """K2NB_LIVE_COMPRESSION=0, for a browser without DecompressionStream (set here with %env, in the kernel)."""
    board.script("\n---\n".join(_turn(n) for n in ("plain", "later")), speed=60)
    page.add_init_script(_SOCKET_HOOK)
    name = f"code-plain-{jupyter_server.ui}.ipynb"
    cells = ["%load_ext k2nb\n%env K2NB_LIVE_COMPRESSION=0", "%%k2\nOne", "%%k2\nTwo"]
    open_notebook(page, jupyter_server, name, cells)
    wait_for_link(page)
    for index, word in ((1, "plain5 "), (2, "later5 ")):
        _run_by_keyboard(page, index)
        _live_view_streams(page, index, word)
        screenshot(page, f"code-plain-run-{index}-{jupyter_server.ui}")
        page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".k2nb-static").wait_for(
            state="attached", timeout=60_000
        )
        wait_idle(page)
    assert "later run answered." in output_text(page, 2)
    sizes = page.evaluate(_CODE_SIZES)
    assert len(sizes) == 2 and sizes[0] > PLAIN_CODE and sizes[1] < 3_000, sizes
    assert page.evaluate(_STYLES) == [0, 1]  # anywidget's <style>, from the first widget's _css


_IMPORT = """async (code) => {
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  try { return (await import(url)).default; } finally { URL.revokeObjectURL(url); }
}"""


def test_the_stub_reuses_the_registered_view_and_says_so_without_it(page: Any) -> None:
    from k2nb.ui.view_code import stub

    page.set_content("<div id='host'></div>")
    # A page that never ran the full module (a client that kept its session over a reload): one line.
    render = f"async (code) => ({_IMPORT})(code).then((view) => view.render({{ el: document.querySelector('#host') }}))"
    page.evaluate(render, stub(PAGES.key))
    assert page.inner_text("#host") == MISSING_NOTE
    # After the full module ran, the stub's view is the very object it registered.
    same = page.evaluate(
        f"""async ([full, small]) => {{ const imp = {_IMPORT}; const view = await imp(full);
            const again = await imp(small);
            return again === globalThis.{REGISTRY}[{PAGES.key!r}] && again.render === view.render; }}""",
        [PAGES.esm, stub(PAGES.key)],
    )
    assert same


def test_the_deflated_code_registers_the_view_once_and_the_stub_reuses_it(page: Any) -> None:
    from k2nb.ui.view_code import stub

    page.set_content("<div id='host'></div>")
    loaded = page.evaluate(
        f"""async ([first, small]) => {{ const imp = {_IMPORT}; const view = await imp(first);
            const again = await imp(first); const reused = await imp(small);
            const style = document.querySelectorAll('style#k2nb-css-{PAGES.key}');
            return [view === globalThis.{REGISTRY}[{PAGES.key!r}], again === view, reused === view,
                    typeof view.initialize, style.length, style[0].textContent]; }}""",
        [PAGES.deflated, stub(PAGES.key)],
    )
    assert loaded == [True, True, True, "function", 1, PAGES.css]  # a second bootstrap inflates nothing again


def test_a_browser_without_decompression_stream_is_told_how_to_get_the_view(page: Any) -> None:
    page.set_content("<div id='host'></div>")
    page.evaluate("() => { delete globalThis.DecompressionStream; }")  # as in a browser from before 2023
    render = f"async (code) => ({_IMPORT})(code).then((view) => view.render({{ el: document.querySelector('#host') }}))"
    page.evaluate(render, PAGES.deflated)
    note = page.inner_text("#host")
    assert note.startswith("k2nb: this browser could not load the live view (ReferenceError")
    assert "K2NB_LIVE_COMPRESSION=0 for the kernel" in note and "\n" not in note
