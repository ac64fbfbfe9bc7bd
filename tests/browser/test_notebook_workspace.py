"""The notebook as K2's workspace in real JupyterLab and Notebook 7 (issue #13), on the offline toy engine.

Driven as a person does: keys typed into cells and into the approval box, clicks on Accept /
Reject, on the trace's links and reverts. What must hold: the model reads the live notebook
(an unsaved edit counts); an edit shows a diff and nothing changes before Accept; Accept changes
exactly that cell; Reject changes nothing and the model is told why; run_cell fills that cell's
outputs and number; an insert lands below the running cell; `%k2 fix` repairs a KeyError and a
NameError and the re-run's output is right; one click reverts; the saved file carries the
provenance; a second open tab does not apply a change again.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, JupyterServer, open_notebook, screenshot
from tests.browser.harness import output_text, run_cell, wait_for_link, wait_idle, wait_output, wait_saved_notebook
from tests.browser.test_trace_look import set_theme

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def jupyter_env() -> dict[str, str]:
    """No provider: every %%k2 runs on the toy engine (unpaced), asking before each change."""
    return {"K2NB_APPROVE": "ask", "K2NB_TOY_SPEED": "0"}


_NB = "window.jupyterapp.shell.currentWidget.content"


def source(page: Any, index: int) -> str:
    """A cell's source in the tab's live model."""
    return str(page.evaluate(f"(i) => {_NB}.widgets[i].model.sharedModel.getSource()", index))


def sources(page: Any) -> list[str]:
    return list(page.evaluate(f"() => {_NB}.widgets.map(w => w.model.sharedModel.getSource())"))


def count(page: Any, index: int) -> Any:
    return page.evaluate(f"(i) => {_NB}.widgets[i].model.executionCount", index)


def change_box(page: Any, preview: str = "") -> Any:
    """The open approval of a notebook change (Accept / Edit / Reject / Always) whose preview says ``preview``."""
    box = page.locator(".k2nb-kind-tool", has=page.locator(".k2nb-change-preview", has_text=preview))
    box = box.locator(".k2nb-approval").first
    try:
        box.locator("button", has_text="Accept").first.wait_for(timeout=60_000)
    except Exception:
        screenshot(page, "change-approval-timeout")
        raise
    return box


def type_into_cell(page: Any, index: int, text: str) -> None:
    """Click into a cell's editor, select all and type ``text`` (not run, not saved)."""
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def cell_shot(page: Any, index: int, name: str) -> None:
    """A screenshot of one cell (its output included) under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    cell.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def run_and_wait(page: Any, index: int) -> None:
    """Run a cell and wait for its execute reply (its number): a cell run right after one that
    raised is aborted by the kernel while the error's reply is still on its way."""
    run_cell(page, index)
    page.wait_for_function(f"(i) => {_NB}.widgets[i].model.executionCount !== null", arg=index, timeout=60_000)
    wait_idle(page)


def finished(page: Any, index: int) -> str:
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".k2nb-static").wait_for(timeout=90_000)
    wait_idle(page)
    return output_text(page, index)


def test_read_cell_sees_an_unsaved_edit(page: Any, jupyter_server: JupyterServer) -> None:
    path = f"unsaved-{jupyter_server.ui}.ipynb"
    open_notebook(
        page,
        jupyter_server,
        path,
        ["%load_ext k2nb", "saved_name = 1", "%%k2 --approve auto\nWhat does the previous cell do?"],
    )
    wait_for_link(page)
    type_into_cell(page, 1, "unsaved_total = 2 + 3\nprint(unsaved_total)")
    run_cell(page, 2)
    answer = finished(page, 2)
    assert "unsaved_total" in answer and "saved_name" not in answer
    assert "saved_name = 1" in (jupyter_server.root_dir / path).read_text()  # it read the live model, not the file


def test_k2_fix_keyerror_diff_accept_rerun_revert_and_provenance(page: Any, jupyter_server: JupyterServer) -> None:
    path = f"fix-key-{jupyter_server.ui}.ipynb"
    open_notebook(
        page,
        jupyter_server,
        path,
        [
            "%load_ext k2nb",
            "import pandas as pd\nsales = pd.DataFrame({'price': [1.0, 2.0], 'region': ['n', 's']})",
            "sales['prise'].mean()",
            "%k2 fix",
        ],
    )
    wait_for_link(page)
    run_and_wait(page, 1)
    run_and_wait(page, 2)
    wait_output(page, 2, "KeyError")
    run_cell(page, 3)
    box = change_box(page, "edit cell 3")
    preview = page.locator(".k2nb-change-preview .k2nb-diff").first
    # Read it where a person reads it: off screen the live view's blocks skip layout (innerText is "").
    preview.scroll_into_view_if_needed()
    page.wait_for_function("(el) => el.innerText.trim() !== ''", arg=preview.element_handle(), timeout=10_000)
    diff = preview.inner_text()
    assert "-sales['prise'].mean()" in diff and "+sales['price'].mean()" in diff
    assert source(page, 2) == "sales['prise'].mean()"  # nothing changes before the click
    box.locator("button", has_text="Accept").click()
    box = change_box(page, "run cell 3")  # then: run the fixed cell?
    box.locator("button", has_text="Accept").click()
    answer = finished(page, 3)
    assert sources(page)[:3] == [
        "%load_ext k2nb",
        "import pandas as pd\nsales = pd.DataFrame({'price': [1.0, 2.0], 'region': ['n', 's']})",
        "sales['price'].mean()",
    ]
    wait_output(page, 2, "1.5")
    assert isinstance(count(page, 2), int) and count(page, 2) > 3
    # It ran as it now reads: no "changed since it ran" mark on the fixed cell.
    assert page.evaluate(f"() => {_NB}.widgets[2].model.isDirty") is False
    assert "Fixed cell 3" in answer and "1.5" in answer
    cell_shot(page, 3, f"workspace-fixed-{jupyter_server.ui}")

    # The saved file carries the provenance of both changes.
    page.keyboard.press("Control+s")
    saved = wait_saved_notebook(jupyter_server.root_dir / path, lambda nb: "k2nb" in nb.cells[2].metadata)
    changes = saved.cells[2].metadata["k2nb"]["changes"]
    assert [(c["kind"], c["approval"]) for c in changes] == [("edit", "approved"), ("run", "approved")]
    assert changes[0]["replaced"] == "sales['prise'].mean()" and changes[0]["run_id"] and changes[0]["call_id"]

    # The trace links to the cell, and one click reverts the edit.
    trace = page.locator(".jp-Notebook .jp-Cell").nth(3).locator(".k2nb-static")
    trace.locator("a.k2nb-cell-link").first.click()
    assert page.evaluate(f"() => {_NB}.activeCellIndex") == 2
    trace.locator("a.k2nb-revert").first.click()
    page.wait_for_function(f"() => {_NB}.widgets[2].model.sharedModel.getSource() === \"sales['prise'].mean()\"")
    assert trace.locator("a.k2nb-revert").first.inner_text() == "↶ reverted"
    cell_shot(page, 3, f"workspace-reverted-{jupyter_server.ui}")


def test_k2_fix_nameerror_reject_tells_the_model_then_auto_applies(page: Any, jupyter_server: JupyterServer) -> None:
    open_notebook(
        page,
        jupyter_server,
        f"fix-name-{jupyter_server.ui}.ipynb",
        ["%load_ext k2nb", "total = 6 * 7", "print(totl)", "%k2 fix", "%k2 fix --approve auto"],
    )
    wait_for_link(page)
    run_and_wait(page, 1)
    run_and_wait(page, 2)
    run_cell(page, 3)
    box = change_box(page, "edit cell 3")
    cell_shot(page, 3, f"workspace-edit-diff-light-{jupyter_server.ui}")
    set_theme(page, "JupyterLab Dark")
    cell_shot(page, 3, f"workspace-edit-diff-dark-{jupyter_server.ui}")
    set_theme(page, "JupyterLab Light")
    box.locator("button", has_text="Reject").click()
    page.keyboard.type("I will rename it myself")
    page.keyboard.press("Enter")
    answer = finished(page, 3)
    assert source(page, 2) == "print(totl)"
    assert "you rejected the fix (I will rename it myself)" in answer
    run_cell(page, 4)
    answer = finished(page, 4)
    assert source(page, 2) == "print(total)"
    wait_output(page, 2, "42")
    assert "Fixed cell 3" in answer and "42" in answer


def test_an_edited_proposal_and_a_new_cell_that_runs(page: Any, jupyter_server: JupyterServer) -> None:
    open_notebook(
        page,
        jupyter_server,
        f"insert-{jupyter_server.ui}.ipynb",
        ["%load_ext k2nb", "%%k2\nAdd a new cell that computes the sum of squares from 1 to 10 and run it", "# last"],
    )
    wait_for_link(page)
    run_cell(page, 1)
    box = change_box(page, "insert a code cell")
    assert len(sources(page)) == 3  # not inserted before Accept
    box.locator("button", has_text="Edit").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("print('edited by me')")
    page.keyboard.press("Control+Enter")
    box = change_box(page, "run cell 3")  # run the new cell?
    box.locator("button", has_text="Accept").click()
    answer = finished(page, 1)
    cells = sources(page)
    assert len(cells) == 4 and cells[3] == "# last"
    assert "range" in cells[2] and cells[2].endswith("print('edited by me')")
    wait_output(page, 2, "edited by me")
    assert "385" in output_text(page, 2) and isinstance(count(page, 2), int)
    assert "385" in answer
    cell_shot(page, 1, f"workspace-inserted-trace-{jupyter_server.ui}")
    cell_shot(page, 2, f"workspace-inserted-cell-{jupyter_server.ui}")


def test_a_second_open_tab_does_not_apply_a_change_again(
    page: Any, chromium: Any, jupyter_server: JupyterServer
) -> None:
    path = f"two-tabs-{jupyter_server.ui}.ipynb"
    open_notebook(
        page, jupyter_server, path, ["%load_ext k2nb", "total = 6 * 7", "print(totl)", "%k2 fix --approve auto"]
    )
    wait_for_link(page)
    other = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    try:
        open_notebook(other, jupyter_server, path)  # the same notebook, open in a second tab
        run_and_wait(page, 1)
        run_and_wait(page, 2)
        run_cell(page, 3)
        finished(page, 3)
        assert sources(page)[2] == "print(total)" and len(sources(page)) == 4
        time.sleep(1)  # the other tab heard every operation (they carry the first tab's id): it applied none
        assert sources(other) == ["%load_ext k2nb", "total = 6 * 7", "print(totl)", "%k2 fix --approve auto"]
    finally:
        other.context.close()
