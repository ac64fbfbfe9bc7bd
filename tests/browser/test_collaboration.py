"""Two people on one notebook with real-time collaboration (jupyter-collaboration), in JupyterLab and Notebook 7.

Two browser contexts are two users of one collaborative notebook and its one kernel. Client A runs
`%%k2` and accepts its proposals with the keyboard; client B sees each change arrive live (the
cell, its provenance, the run's outputs), the trace written once, and can revert from its copy of
the trace. The servers here do not save on their own, so the file on disk changes only when a
client saves it: what B saves holds A's change, what A saves holds B's revert, and every time
the cells are the same, in the same order, in A, in B and in the file — none lost, none twice.
"""

from __future__ import annotations

import time
from typing import Any

import nbformat
import pytest

from tests.browser.conftest import ARTIFACTS, JupyterServer, open_notebook, screenshot
from tests.browser.harness import run_cell, wait_for_link, wait_idle, wait_output
from tests.browser.test_notebook_workspace import change_box, finished, run_and_wait, sources
from tests.browser.test_trace_look import save

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def collaborative() -> bool:
    return True


@pytest.fixture(scope="module")
def jupyter_env() -> dict[str, str]:
    """No provider: every %%k2 runs on the toy engine (unpaced), asking before each change."""
    return {"K2NB_APPROVE": "ask", "K2NB_TOY_SPEED": "0"}


_NB = "window.jupyterapp.shell.currentWidget.content"


def second_client(chromium: Any, server: JupyterServer, name: str) -> Any:
    """Client B: another browser context (its own cookie, so another user) on the same notebook."""
    page = chromium.new_context(viewport={"width": 1280, "height": 1400}).new_page()
    lines: list[str] = []
    page.on("console", lambda message: lines.append(f"{message.type}: {message.text}"))
    page.k2nb_console = lines
    return open_notebook(page, server, name)


def linked_clients(page: Any) -> int:
    """How many tabs the kernel's k2nb link has heard from (asked from ``page``'s kernel)."""
    return int(
        page.evaluate(
            """async () => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code: "print(len(get_ipython()._k2nb_magics.frontend.client_ids()))",
                                         silent: false, store_history: false });
  let out = "";
  future.onIOPub = (msg) => { if (msg.header.msg_type === "stream") out += msg.content.text; };
  await future.done;
  return out.trim();
}"""
        )
    )


def cell_model(page: Any, index: int) -> dict[str, Any]:
    """One cell of the tab's shared model, as nbformat has it."""
    return dict(page.evaluate(f"(i) => {_NB}.model.sharedModel.cells[i].toJSON()", index))


def traces(cell: dict[str, Any]) -> int:
    """How many finished k2nb traces a cell's outputs hold."""
    return sum("k2nb-static" in str(o.get("data", {}).get("text/html", "")) for o in cell["outputs"])


def saved_cells(server: JupyterServer, name: str) -> list[dict[str, Any]]:
    """The cells of the notebook file on disk (sources joined, as nbformat reads them)."""
    return list(nbformat.read(server.root_dir / name, as_version=4).cells)


def accept_with_keyboard(page: Any, box: Any) -> None:
    """Tab to Accept as a person would (from the box's first button) and press Enter."""
    box.locator("button").first.focus()
    for _ in range(8):
        if page.evaluate("() => document.activeElement?.textContent") == "Accept":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement?.textContent") == "Accept"
    page.keyboard.press("Enter")


def wait_source(page: Any, index: int, text: str, timeout: float = 30_000) -> None:
    page.wait_for_function(
        f"([i, text]) => {_NB}.model.sharedModel.cells[i]?.getSource() === text", arg=[index, text], timeout=timeout
    )


def wait_saved(server: JupyterServer, name: str, check: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        cells = saved_cells(server, name)
        if check(cells):
            return cells
        assert time.monotonic() < deadline, f"the saved file never held it: {[c['source'] for c in cells]}"
        time.sleep(0.2)


def shot(page: Any, index: int, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    cell.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_a_fix_accepted_in_one_client_is_seen_saved_and_reverted_in_the_other(
    page: Any, chromium: Any, jupyter_server: JupyterServer
) -> None:
    ui = jupyter_server.ui
    name = f"rtc-fix-{ui}.ipynb"
    cells = ["%load_ext k2nb", "total = 6 * 7", "print(totl)", "%k2 fix"]
    open_notebook(page, jupyter_server, name, cells)
    other = second_client(chromium, jupyter_server, name)
    try:
        wait_for_link(page)
        deadline = time.monotonic() + 30
        while linked_clients(page) < 2:  # B's tab links too: both could apply, only A's may
            assert time.monotonic() < deadline, "client B's tab never linked to the kernel"
            time.sleep(0.5)
        run_and_wait(page, 1)
        run_and_wait(page, 2)
        wait_output(other, 2, "NameError")  # B sees A's run
        run_cell(page, 3)
        box = change_box(page, "edit cell 3")
        assert sources(other)[2] == "print(totl)"  # nothing changes before the click, for anyone
        accept_with_keyboard(page, box)
        wait_source(other, 2, "print(total)")  # B sees the edit live
        accept_with_keyboard(page, change_box(page, "run cell 3"))
        answer = finished(page, 3)
        assert "Fixed cell 3" in answer and "42" in answer
        wait_output(other, 2, "42")

        # One apply: the same cells in both clients, the change recorded once, one trace output.
        fixed = [*cells[:2], "print(total)", cells[3]]
        assert sources(page) == sources(other) == fixed
        for client in (page, other):
            changes = cell_model(client, 2)["metadata"]["k2nb"]["changes"]
            assert [(c["kind"], c["approval"]) for c in changes] == [("edit", "approved"), ("run", "approved")]
            assert len(cell_model(client, 2)["outputs"]) == 1
        other.locator(".jp-Notebook .jp-Cell").nth(3).locator(".k2nb-static").wait_for(timeout=30_000)
        wait_idle(other)
        assert traces(cell_model(page, 3)) == traces(cell_model(other, 3)) == 1  # written once, not by each client
        shot(page, 3, f"rtc-fix-a-{ui}")
        shot(other, 3, f"rtc-fix-b-{ui}")

        # Nothing on disk yet; B saves: the file holds the fix and its provenance, every cell once.
        assert [c["source"] for c in saved_cells(jupyter_server, name)] == cells
        save(other)
        saved = wait_saved(jupyter_server, name, lambda cs: cs[2]["source"] == "print(total)")
        assert [c["source"] for c in saved] == fixed
        assert [c["kind"] for c in saved[2]["metadata"]["k2nb"]["changes"]] == ["edit", "run"]
        assert traces(saved[3]) == 1

        # B reverts from its copy of the trace; A sees it; A saves it.
        trace = other.locator(".jp-Notebook .jp-Cell").nth(3).locator(".k2nb-static")
        trace.locator("a.k2nb-revert").first.click()
        wait_source(page, 2, "print(totl)")
        assert sources(page) == sources(other) == cells
        shot(other, 3, f"rtc-reverted-b-{ui}")
        save(page)
        saved = wait_saved(jupyter_server, name, lambda cs: cs[2]["source"] == "print(totl)")
        assert [c["source"] for c in saved] == cells
        assert "reverted" in saved[2]["metadata"]["k2nb"]["changes"][0]
        screenshot(other, f"rtc-client-b-{ui}")
    finally:
        other.context.close()
