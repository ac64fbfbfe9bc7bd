"""Two people on one notebook with real-time collaboration (jupyter-collaboration), in JupyterLab and Notebook 7.

Two browser contexts are two users of one collaborative notebook and its one kernel. Client A runs
`%%k2` and accepts its proposals with the keyboard; client B sees each change arrive live (the
cell, its provenance, the run's outputs), the trace written once, and can revert from its copy of
the trace. The servers here do not save on their own, so the file on disk changes only when a
client saves it: what B saves holds A's change, what A saves holds B's revert, and every time
the cells are the same, in the same order, in A, in B and in the file — none lost, none twice.
Also: an insert beside B's typing, a proposal for a cell B changed meanwhile (refused, B's text
kept), B opening the notebook mid-run (the run shown live there, A's view intact), `--cells`
runs and re-runs, and a run lost to a dead or restarted kernel, marked once.
"""

from __future__ import annotations

import time
from typing import Any

import psutil
import pytest

from tests.browser.conftest import JupyterServer, open_notebook, screenshot
from tests.browser.harness import run_cell, wait_for_link, wait_idle, wait_output, wait_saved_notebook
from tests.browser.test_cells_browser import kernel_print
from tests.browser.test_notebook_workspace import cell_shot, change_box, finished, run_and_wait, sources
from tests.browser.test_trace_look import save, set_theme

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def collaborative() -> bool:
    return True


@pytest.fixture(scope="module")
def jupyter_env() -> dict[str, str]:
    """No provider: every %%k2 runs on the toy engine (unpaced), asking before each change."""
    return {"K2NB_APPROVE": "ask", "K2NB_TOY_SPEED": "0"}


_NB = "window.jupyterapp?.shell?.currentWidget?.content"


def second_client(chromium: Any, server: JupyterServer, name: str, *, mid_run: bool = False) -> Any:
    """Client B: another browser context (its own cookie, so another user) on the same notebook.
    Returned once its kernel is idle, or ``mid_run`` (A's cell keeps the kernel busy), once it
    shows the notebook's cells."""
    page = chromium.new_context(viewport={"width": 1280, "height": 1400}).new_page()
    if not mid_run:
        return open_notebook(page, server, name)
    page.goto(server.url(name))
    page.wait_for_function(f"() => {_NB}?.model?.sharedModel?.cells.length > 0", timeout=90_000)
    return page


def open_in_both(page: Any, chromium: Any, server: JupyterServer, name: str, cells: list[str]) -> Any:
    """Write the notebook, open it in client A (``page``) and in client B; return B."""
    open_notebook(page, server, name, cells)
    return second_client(chromium, server, name)


# A notebook whose third cell fails with a NameError, and `%k2 fix` to mend it.
FIX_CELLS = ["%load_ext k2nb", "total = 6 * 7", "print(totl)", "%k2 fix"]


def linked_clients(page: Any) -> int:
    """How many tabs the kernel's k2nb link has heard from (asked from ``page``'s kernel)."""
    return int(kernel_print(page, "print(len(get_ipython()._k2nb_magics.frontend.client_ids()))"))


def wait_both_linked(page: Any) -> None:
    """Both clients' tabs are linked to the kernel (their buttons reach it)."""
    deadline = time.monotonic() + 30
    while linked_clients(page) < 2:
        assert time.monotonic() < deadline, "a client's tab never linked to the kernel"
        time.sleep(0.5)


def cell_model(page: Any, index: int) -> dict[str, Any]:
    """One cell of the tab's shared model, as nbformat has it."""
    return dict(page.evaluate(f"(i) => {_NB}.model.sharedModel.cells[i].toJSON()", index))


def run_outputs(cell: dict[str, Any]) -> list[tuple[str, str]]:
    """The cell's k2nb run outputs, in order: ("live" | "lost" | "trace", their text)."""
    shown = []
    for output in cell["outputs"]:
        data = output.get("data", {})
        html = str(data.get("text/html", ""))
        if any(mime in data for mime in ("application/vnd.jupyter.widget-view+json", "application/vnd.k2nb.live+json")):
            shown.append(("live", ""))
        elif "k2nb-static" in html:
            shown.append(("lost" if "k2nb-lost" in html else "trace", str(data.get("text/plain", ""))))
    return shown


def traces(cell: dict[str, Any]) -> int:
    """How many finished k2nb traces a cell's outputs hold."""
    return sum("k2nb-static" in str(o.get("data", {}).get("text/html", "")) for o in cell["outputs"])


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
    saved = wait_saved_notebook(server.root_dir / name, lambda nb: check(list(nb.cells)), timeout)
    return list(saved.cells)


def test_a_fix_accepted_in_one_client_is_seen_saved_and_reverted_in_the_other(
    page: Any, chromium: Any, jupyter_server: JupyterServer
) -> None:
    ui = jupyter_server.ui
    name = f"rtc-fix-{ui}.ipynb"
    cells = FIX_CELLS
    other = open_in_both(page, chromium, jupyter_server, name, cells)
    try:
        wait_for_link(page)
        wait_both_linked(page)  # both could apply, only A's may
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
        cell_shot(page, 3, f"rtc-fix-a-{ui}")
        cell_shot(other, 3, f"rtc-fix-b-{ui}")
        set_theme(other, "JupyterLab Dark")
        cell_shot(other, 3, f"rtc-fix-b-dark-{ui}")
        set_theme(other, "JupyterLab Light")

        # Nothing on disk yet; B saves: the file holds the fix and its provenance, every cell once.
        assert [c["source"] for c in wait_saved(jupyter_server, name, lambda cs: True)] == cells
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
        cell_shot(other, 3, f"rtc-reverted-b-{ui}")
        save(page)
        saved = wait_saved(jupyter_server, name, lambda cs: cs[2]["source"] == "print(totl)")
        assert [c["source"] for c in saved] == cells
        assert "reverted" in saved[2]["metadata"]["k2nb"]["changes"][0]
        screenshot(other, f"rtc-client-b-{ui}")
    finally:
        other.context.close()


def test_an_insert_lands_once_beside_a_collaborators_typing_and_reverts_for_both(
    page: Any, chromium: Any, jupyter_server: JupyterServer
) -> None:
    ui = jupyter_server.ui
    name = f"rtc-insert-{ui}.ipynb"
    cells = [
        "%load_ext k2nb",
        "squares = sum(i * i for i in range(1, 11))\nprint(squares)",
        "%%k2\nAdd a markdown cell that explains the result of the previous cell",
        "# notes",
    ]
    other = open_in_both(page, chromium, jupyter_server, name, cells)
    try:
        wait_for_link(page)
        run_and_wait(page, 1)
        run_cell(page, 2)
        box = change_box(page, "insert a markdown cell")
        # While A decides, B types in a cell of its own (not saved).
        other.locator(".jp-Notebook .jp-Cell").nth(3).locator(".cm-content").click()
        other.keyboard.press("Control+End")
        other.keyboard.type("\nB was here: 385 checked")
        notes = "# notes\nB was here: 385 checked"
        wait_source(page, 3, notes)
        accept_with_keyboard(page, box)
        answer = finished(page, 3)  # the %%k2 cell moved down by one: the note went above it
        assert "I added a markdown cell" in answer
        wait_source(other, 2, sources(page)[2])
        note = sources(page)[2]
        assert note.startswith("### About cell 2") and "> 385" in note
        expected = [cells[0], cells[1], note, cells[2], notes]
        assert sources(page) == sources(other) == expected
        inserted = cell_model(other, 2)
        assert inserted["cell_type"] == "markdown"
        assert [c["kind"] for c in inserted["metadata"]["k2nb"]["changes"]] == ["insert"]
        cell_shot(other, 2, f"rtc-inserted-b-{ui}")

        # B saves with its keys: the file holds the note once and B's typing.
        other.locator(".jp-Notebook .jp-Cell").nth(4).locator(".cm-content").click()
        other.keyboard.press("Control+s")
        saved = wait_saved(jupyter_server, name, lambda cs: len(cs) == 5)
        assert [c["source"] for c in saved] == expected
        assert saved[2]["metadata"]["k2nb"]["changes"][0]["kind"] == "insert"

        # A reverts the insert: the note goes for both; A saves; nothing else moved.
        trace = page.locator(".jp-Notebook .jp-Cell").nth(3).locator(".k2nb-static")
        trace.locator("a.k2nb-revert").first.click()
        other.wait_for_function(f"() => {_NB}.model.sharedModel.cells.length === 4", timeout=30_000)
        back = [cells[0], cells[1], cells[2], notes]
        assert sources(page) == sources(other) == back
        save(page)
        saved = wait_saved(jupyter_server, name, lambda cs: len(cs) == 4)
        assert [c["source"] for c in saved] == back
    finally:
        other.context.close()


def test_a_collaborators_edit_wins_over_a_stale_proposal(
    page: Any, chromium: Any, jupyter_server: JupyterServer
) -> None:
    """B opens the notebook while A's fix waits for approval (B attaches to the run mid-run) and
    changes the same cell; A's Accept then changes nothing: the tab refuses an edit of a cell that
    is no longer what the model read, and says so in the trace."""
    ui = jupyter_server.ui
    name = f"rtc-stale-{ui}.ipynb"
    cells = FIX_CELLS
    open_notebook(page, jupyter_server, name, cells)
    wait_for_link(page)
    run_and_wait(page, 1)
    run_and_wait(page, 2)
    run_cell(page, 3)
    box = change_box(page, "edit cell 3")
    other = second_client(chromium, jupyter_server, name, mid_run=True)
    try:
        # B sees the run live, with its question (laid over its own view of the shared output).
        change_box(other, "edit cell 3")
        assert page.locator(".k2nb-live .k2nb-approval button", has_text="Accept").first.is_visible()
        cell_shot(other, 3, f"rtc-joined-mid-run-b-{ui}")
        other.locator(".jp-Notebook .jp-Cell").nth(2).locator(".cm-content").click()
        other.keyboard.press("Control+a")
        other.keyboard.type("print(total)  # fixed by B")
        wait_source(page, 2, "print(total)  # fixed by B")
        accept_with_keyboard(page, box)
        answer = finished(page, 3)
        assert "could not be applied" in answer and "changed since it was read" in answer
        mine = [*cells[:2], "print(total)  # fixed by B", cells[3]]
        assert sources(page) == sources(other) == mine
        assert "k2nb" not in cell_model(page, 2)["metadata"]  # no change recorded: none was made
        assert traces(cell_model(other, 3)) == 1
        save(other)
        saved = wait_saved(jupyter_server, name, lambda cs: cs[2]["source"] == mine[2])
        assert [c["source"] for c in saved] == mine
    finally:
        other.context.close()


def test_cells_runs_are_written_once_for_both_clients(page: Any, chromium: Any, jupyter_server: JupyterServer) -> None:
    """`--cells` writes the steps as cells from the tab that ran it; B sees each once, a re-run
    replaces them once, and the file B saves has them once."""
    ui = jupyter_server.ui
    name = f"rtc-cells-{ui}.ipynb"
    cells = ["%load_ext k2nb", "%%k2 --cells --approve auto\nHow many primes are below 100?", "print('a cell I wrote')"]
    other = open_in_both(page, chromium, jupyter_server, name, cells)
    try:
        wait_for_link(page)
        shapes = []
        for _ in range(2):  # a run, then a re-run that replaces its cells
            before = page.evaluate(f"() => {_NB}.widgets[1].model.executionCount")
            run_cell(page, 1)
            page.wait_for_function(
                f"(b) => ![null, b].includes({_NB}.widgets[1].model.executionCount)", arg=before, timeout=90_000
            )
            wait_idle(page)
            mine = same_cells_settled(page, other)
            assert [c[1] for c in mine] == ["code", "code", "markdown", "code", "markdown", "markdown", "code"]
            assert mine[6][2] == cells[2]
            shapes.append(mine)
        assert {c[0] for c in shapes[0][2:6]}.isdisjoint(c[0] for c in shapes[1][2:6])  # replaced, not added
        save(other)
        saved = wait_saved(jupyter_server, name, lambda cs: len(cs) == 7)
        assert [(c["id"], c["cell_type"], c["source"]) for c in saved] == [tuple(c) for c in shapes[1]]
    finally:
        other.context.close()


def cell_shapes(page: Any) -> list[list[str]]:
    """Each cell's id, type and source, in order."""
    return list(page.evaluate(f"() => {_NB}.model.sharedModel.cells.map(c => [c.getId(), c.cell_type, c.getSource()])"))


def same_cells_settled(page: Any, other: Any, timeout: float = 30.0) -> list[list[str]]:
    """A's cells once the last writes have landed (unchanged over half a second) and B holds the same:
    edits reach the other client a moment later, so B is compared when it has caught up, not before."""
    deadline = time.monotonic() + timeout
    last: list[list[str]] = []
    while True:
        mine, theirs = cell_shapes(page), cell_shapes(other)
        if mine == theirs == last:
            return mine
        assert time.monotonic() < deadline, f"the clients' cells never agreed:\nA: {mine}\nB: {theirs}"
        last = mine if mine == theirs else []
        time.sleep(0.5)


def test_a_run_lost_to_a_restart_is_marked_once(page: Any, chromium: Any, jupyter_server: JupyterServer) -> None:
    """A's run waits for approval when a client restarts the kernel (only that client hears
    "restarting"; it is the one the others would not let write), and again when the kernel dies
    (killed, as by the out-of-memory killer: the server restarts it, every client hears it). Each
    time the run's output becomes one note with what had arrived — "kernel restarted", or, when
    the kernel ended the run before it restarted, the stopped trace — not one per client, and
    not none."""
    ui = jupyter_server.ui
    name = f"rtc-restart-{ui}.ipynb"
    cells = FIX_CELLS
    other = open_in_both(page, chromium, jupyter_server, name, cells)
    try:
        for restart in ("the other client restarts", "kernel dies"):
            wait_for_link(page)
            # Both tabs link to the new kernel too, also the one that did not restart it.
            wait_both_linked(page)
            run_and_wait(page, 1)
            run_and_wait(page, 2)
            run_cell(page, 3)
            change_box(page, "edit cell 3")
            change_box(other, "edit cell 3")
            restarter = page
            if restart == "kernel dies":
                kill_kernel(page.evaluate(f"() => {_SESSION}.kernel.id"))
            else:
                restarter = other if leads(page) else page
                restarter.evaluate(f"() => {{ void {_SESSION}.kernel.restart(); }}")
            for client in (page, other):
                client.locator(".jp-Notebook .jp-Cell").nth(3).locator(".k2nb-static").first.wait_for(
                    state="attached", timeout=60_000
                )
            time.sleep(1)  # the other client's write, if there were one, has arrived
            for client in (page, other):
                shown = run_outputs(cell_model(client, 3))
                # A restart asks the kernel to shut down: it may end the run first (stopped, its trace
                # handed over); a killed kernel cannot. Either way one output, never the live view.
                assert [kind for kind, _ in shown] in (
                    [["lost"]] if restart == "kernel dies" else [["lost"], ["trace"]]
                )
                text = shown[0][1]
                assert "edit_cell" in text  # what had arrived is kept
                assert "this run was lost" in text if shown[0][0] == "lost" else "stopped" in text
            assert sources(page) == sources(other) == cells
            dialogs = [c.locator(".jp-Dialog button", has_text="Ok") for c in (page, other)]
            for ok in dialogs:  # the kernel's death is announced in a dialog: OK
                if restart == "kernel dies":
                    ok.click()
            cell_shot(other, 3, f"rtc-restart-lost-b-{ui}")
            # The restarted kernel answers (a server stopped mid-restart hangs). Asked from a client
            # that heard the restart: JupyterLab in the other loses its first request to the new
            # kernel (the server tells it nothing of a restart it did not ask for). Not "idle":
            # after a kernel death one client's indicator can stay "busy" or "unknown".
            assert kernel_print(restarter, "print(6 * 7)").strip() == "42"
    finally:
        other.context.close()


_SESSION = "window.jupyterapp.shell.currentWidget.sessionContext.session"


def kill_kernel(kernel_id: str) -> None:
    """Kill the kernel's process (the server notices and restarts it)."""
    processes = [
        p for p in psutil.process_iter(["cmdline"]) if f"kernel-{kernel_id}.json" in " ".join(p.info["cmdline"] or [])
    ]
    assert len(processes) == 1, processes
    processes[0].kill()


def leads(page: Any) -> bool:
    """Whether ``page``'s client is the one the k2nb tabs of the shared notebook let write (collab.ts)."""
    return bool(
        page.evaluate(
            f"""() => {{ const aw = {_NB}.model.sharedModel.awareness;
  return [...aw.getStates()].every(([id, state]) => id >= aw.clientID || state.k2nb === undefined); }}"""
        )
    )
