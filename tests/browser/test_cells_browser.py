"""Issue #5 in real JupyterLab 4.6 and Notebook 7 (Chromium): `%%k2 --cells` writes the run as cells.

The toy engine answers offline. Asserted: the inserted cells, their order and types, collapsed
thinking, provenance metadata, code outputs equal to what the kernel recorded, a re-run that replaces
only its own cells (an edited one is kept and detached), the thinking toggle command, and the
saved .ipynb read back with nbformat. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import time
from typing import Any

import nbformat
import pytest

from tests.browser.conftest import JupyterServer, open_notebook, screenshot
from tests.browser.harness import wait_saved_notebook

pytestmark = pytest.mark.browser

PROMPT = "%%k2 --cells --approve auto\nHow many primes are below 100?"
PANEL = "window.jupyterapp.shell.currentWidget"
CELLS_JS = f"""() => {{
  const panel = {PANEL};
  return panel.content.model.sharedModel.cells.map((c, i) => ({{
    id: c.getId(), cell_type: c.cell_type, source: c.getSource(), metadata: c.getMetadata(),
    outputs: c.cell_type === 'code' ? c.getOutputs() : null,
    inputHidden: panel.content.widgets[i].inputHidden,
    rendered: panel.content.widgets[i].rendered ?? null
  }}));
}}"""
LINKED_JS = f"() => [...{PANEL}.sessionContext.session.kernel._comms.values()].some(c => c.targetName === 'k2nb')"
KERNEL_PRINT_JS = f"""async code => {{
  const future = {PANEL}.sessionContext.session.kernel.requestExecute({{code, store_history: false}});
  let out = '';
  future.onIOPub = msg => {{ if (msg.header.msg_type === 'stream') out += msg.content.text; }};
  await future.done;
  return out;
}}"""
RELAY_JS = f"""async code => {{
  const panel = {PANEL};
  const kernel = panel.sessionContext.session.kernel;
  const future = kernel.requestExecute({{code, store_history: false}});
  let out = '';
  future.onIOPub = msg => {{ if (msg.header.msg_type === 'stream') out += msg.content.text; }};
  await new Promise(resolve => setTimeout(resolve, 1000));  // the cell is now waiting
  const sent = performance.now();
  const detail = {{kind: 'probe', call_id: 'c7', decision: 'run'}};
  panel.content.widgets[0].node.dispatchEvent(
    new CustomEvent('k2nb-answer', {{detail, bubbles: true, composed: true}}));
  await future.done;
  return {{out, ms: performance.now() - sent, clientId: kernel.clientId}};
}}"""
WAIT_FOR_PROBE = """import threading, time
_probe, _got = threading.Event(), []
get_ipython()._k2nb_magics.frontend.on('probe', lambda m: (_got.append(m), _probe.set()))
_t0 = time.monotonic(); _ok = _probe.wait(20)
print(_ok, round(time.monotonic() - _t0, 2), _got)"""


@pytest.fixture(scope="module")
def jupyter_env() -> dict[str, str]:
    return {"K2NB_PROVIDER": "toy", "K2NB_TOY_SPEED": "400"}


def cells(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(CELLS_JS))


def run_cell(page: Any, index: int, timeout: float = 90) -> None:
    """Run one cell (without awaiting the command's promise) and wait until it has finished."""
    before = page.evaluate(f"i => {PANEL}.content.widgets[i].model.executionCount ?? 0", index)
    page.evaluate(
        f"i => {{ const p = {PANEL}; p.content.activeCellIndex = i; "
        "void window.jupyterapp.commands.execute('notebook:run-cell'); }",
        index,
    )
    page.wait_for_function(
        f"([i, n]) => ({PANEL}.content.widgets[i].model.executionCount ?? 0) > n && "
        f"{PANEL}.sessionContext.session.kernel.status === 'idle'",
        arg=[index, before],
        timeout=timeout * 1000,
    )


def kernel_print(page: Any, code: str) -> str:
    return str(page.evaluate(KERNEL_PRINT_JS, code))


def k2(cell: dict[str, Any]) -> dict[str, Any]:
    return dict(cell["metadata"].get("k2nb") or {})


def test_cells_run_rerun_and_save(page: Any, chromium: Any, jupyter_server: JupyterServer) -> None:
    ui = jupyter_server.ui
    name = f"cells-{ui}.ipynb"
    open_notebook(page, jupyter_server, name, ["%load_ext k2nb", PROMPT, "print('a cell I wrote')"])
    run_cell(page, 0)
    page.wait_for_function(LINKED_JS, timeout=30_000)
    # the relay: a k2nb-answer DOM event from inside the notebook reaches a cell that is waiting for it
    relay = page.evaluate(RELAY_JS, WAIT_FOR_PROBE)
    expected = {"kind": "probe", "call_id": "c7", "decision": "run", "clientId": relay["clientId"]}
    assert relay["out"].startswith("True ") and relay["out"].strip().endswith(str([expected])), relay
    assert relay["ms"] < 3000, relay
    print(f"[{ui}] DOM event -> waiting cell in {relay['ms']:.0f} ms")
    other_tab = chromium.new_context().new_page()  # a second tab on the same notebook and kernel
    open_notebook(other_tab, jupyter_server, name)
    other_tab.wait_for_function(LINKED_JS, timeout=30_000)
    anchor = cells(page)[1]["id"]

    started = time.monotonic()
    run_cell(page, 1)
    seconds = time.monotonic() - started
    now = cells(page)
    if len(now) != 7:
        print("\n".join(line[:300] for line in page.k2nb_console if "cell-append" not in line))
    assert [c["cell_type"] for c in now] == ["code", "code", "markdown", "code", "markdown", "markdown", "code"]
    thinking1, code, thinking2, answer = now[2:6]
    assert [k2(c)["role"] for c in now[2:6]] == ["thinking", "code", "thinking", "answer"]
    assert now[6]["source"] == "print('a cell I wrote')" and not k2(now[6])
    assert [c["rendered"] for c in now[2:6]] == [True, None, True, True]  # Markdown shown rendered
    assert len(cells(other_tab)) == 3  # only the tab that ran the cell inserted
    other_tab.context.close()

    # provenance
    run_id = k2(code)["run_id"]
    transcript = json.loads(
        kernel_print(
            page,
            "import json; t = get_ipython()._k2nb_magics.session.transcripts[-1]; "
            "print(json.dumps({'run_id': t.run_id, 'model': t.model, "
            "'tool': [dict(call_id=x.call_id, code=x.code, outputs=x.outputs) for x in t.steps[0].tools]}))",
        )
    )
    assert run_id == transcript["run_id"]
    for cell in now[2:6]:
        meta = k2(cell)
        assert (meta["run_id"], meta["anchor"], meta["model"]) == (run_id, anchor, transcript["model"])
        assert meta["started_at"].endswith("Z")
    assert (k2(code)["call_id"], k2(code)["approval"], k2(code)["executed_by"]) == (
        transcript["tool"][0]["call_id"],
        "auto",
        "k2nb",
    )
    assert [k2(c)["step"] for c in now[2:6]] == [1, 1, 2, 2]

    # thinking: a heading, the text, collapsed; code: exactly what ran, with the kernel's outputs
    assert thinking1["source"].startswith("Thought for ") and "sieve" in thinking1["source"].lower()
    assert thinking1["metadata"]["jupyter"]["source_hidden"] is True and thinking1["inputHidden"] is True
    assert thinking2["inputHidden"] is True and code["inputHidden"] is False
    assert code["source"] == transcript["tool"][0]["code"]
    assert code["outputs"] == transcript["tool"][0]["outputs"]
    assert "RESULT count=25" in code["outputs"][0]["text"]
    assert "**25**" in answer["source"]
    assert kernel_print(page, "print(len(primes))").strip() == "25"  # the code ran in the kernel, once
    print(f"[{ui}] a 2-step --cells run took {seconds:.1f} s in the browser")
    screenshot(page, f"cells-{ui}-run")

    # the toolbar toggle expands every thinking cell; the palette command collapses them again
    page.locator(".k2nb-toggle-thinking button").first.click()
    assert [c["inputHidden"] for c in cells(page)[2:6]] == [False, False, False, False]
    page.evaluate("() => window.jupyterapp.commands.execute('k2nb:toggle-thinking')")
    assert [c["inputHidden"] for c in cells(page)[2:6]] == [True, False, True, False]

    # the user edits the code cell; the re-run replaces the rest and keeps the edit, detached
    page.evaluate(f"() => {PANEL}.content.model.sharedModel.cells[3].setSource('print(\"my version\")')")
    run_cell(page, 1)
    after = cells(page)
    roles = [(k2(c).get("role"), k2(c).get("run_id") == run_id, bool(k2(c).get("detached"))) for c in after]
    assert roles == [
        (None, False, False),
        (None, False, False),
        ("thinking", False, False),
        ("code", False, False),
        ("thinking", False, False),
        ("answer", False, False),
        ("code", True, True),
        (None, False, False),
    ], roles
    assert after[6]["source"] == 'print("my version")'
    assert after[7]["source"] == "print('a cell I wrote')"
    new_run = k2(after[2])["run_id"]
    assert new_run != run_id and all(k2(c)["run_id"] == new_run for c in after[2:6])
    screenshot(page, f"cells-{ui}-rerun")

    # saved to disk: everything is in the .ipynb
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    path = jupyter_server.root_dir / name
    saved = wait_saved_notebook(path, lambda nb: len(nb.cells) == len(after), timeout=15)
    nbformat.validate(saved)
    assert [c.id for c in saved.cells] == [c["id"] for c in after]
    assert [c.cell_type for c in saved.cells] == [c["cell_type"] for c in after]
    assert saved.cells[2].metadata.jupyter.source_hidden is True
    assert saved.cells[2].metadata.k2nb.role == "thinking" and saved.cells[2].metadata.k2nb.run_id == new_run
    assert saved.cells[3].outputs[0]["text"] == after[3]["outputs"][0]["text"]
    assert saved.cells[6].metadata.k2nb.detached is True
