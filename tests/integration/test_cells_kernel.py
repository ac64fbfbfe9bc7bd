"""The comm messages a real kernel emits for `%%k2 --cells` (issue #5), seen from a stand-in tab."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness.kernel import Kernel
from tests.harness.server import SECRET_KEY, SIX_TIMES_SEVEN, provider_env, scripted
from tests.harness.tab import Tab

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    with (
        scripted("\n---\n".join([SIX_TIMES_SEVEN] * 8), api_key=SECRET_KEY) as server,
        Kernel(provider_env(server)) as k,
    ):
        yield k


def frontend_comm(kernel: Kernel) -> str:
    return kernel.run("print(get_ipython()._k2nb_magics.frontend._downlink.comm_id)").strip()


def execute_cell(kernel: Kernel, code: str, cell_id: str, timeout: float = 60) -> tuple[list[dict[str, Any]], str]:
    """Run code as a notebook cell with id `cell_id` (the execute request's `cellId` metadata, as
    JupyterLab sends it); return the messages on `k2nb.frontend` and the stderr text it caused."""
    downlink = frontend_comm(kernel)
    run = kernel.execute(code, metadata={"cellId": cell_id}, timeout=timeout)
    comms = [m.content["data"] for m in run.of_type("comm_msg") if m.content["comm_id"] == downlink]
    stderr = [m.content["text"] for m in run.of_type("stream") if m.content["name"] == "stderr"]
    return comms, "".join(stderr)


def test_a_cells_run_sends_the_executing_tab_its_cell_operations(kernel: Kernel) -> None:
    kernel.run("%load_ext k2nb")
    tab = Tab(kernel.client)
    tab.hello(collapseThinking=True, headingFormat="💭 {seconds}, {tokens}")
    time.sleep(0.5)

    ops, stderr = execute_cell(kernel, "%%k2 --cells --approve auto\nWhat is 6 * 7?", "cell-A")
    assert stderr == ""
    assert ops, "no cell operations were sent"
    assert all(op.get("clientId") == tab.client_id for op in ops)  # only the tab that ran the cell acts
    begin = ops[0]
    assert begin["op"] == "cells-begin" and begin["anchor"] == "cell-A"
    inserts = [op for op in ops if op["op"] == "cell-insert"]
    assert [(op["cell"]["cell_type"], op["cell"]["metadata"]["k2nb"]["role"]) for op in inserts] == [
        ("markdown", "thinking"),
        ("code", "code"),
        ("markdown", "thinking"),
        ("markdown", "answer"),
    ]
    assert inserts[0]["after"] == "cell-A"
    assert [op["after"] for op in inserts[1:]] == [op["cell"]["id"] for op in inserts[:-1]]  # in order
    assert {op["run_id"] for op in inserts} == {begin["run_id"]}

    by_cell: dict[str, list[dict[str, Any]]] = {}
    for op in ops[1:]:
        by_cell.setdefault(op.get("id") or op["cell"]["id"], []).append(op)
    thinking, code, _, answer = (op["cell"]["id"] for op in inserts)
    final = [op for op in by_cell[thinking] if op["op"] == "cell-update"][-1]
    assert final["jupyter"] == {"source_hidden": True}
    assert final["source"].startswith("💭 ") and final["source"].endswith("I'll compute it in the kernel.")
    code_ops = by_cell[code]
    assert code_ops[0]["cell"]["source"] == "answer = 6 * 7\nprint('the answer is', answer)"
    finished = code_ops[-1]
    assert finished["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "the answer is 42\n"}]
    meta = {key: value for op in code_ops for key, value in op.get("k2nb", {}).items()}  # as the tab merges it
    assert meta["approval"] == "auto" and finished["k2nb"]["status"] == "ok"
    answer_ops = [op for op in by_cell[answer] if op["op"] in ("cell-insert", "cell-append")]
    streamed = [op["cell"]["source"] if op["op"] == "cell-insert" else op["text"] for op in answer_ops]
    assert "".join(streamed) == "The answer is **42**."  # the cell comes with the text so far, then appends
    assert kernel.run("print(answer)").strip() == "42"  # the code ran once, in the kernel

    # the same cell again: a new run id; the tab replaces the old run's cells (cells-begin)
    again, _ = execute_cell(kernel, "%%k2 --cells --approve auto\nWhat is 6 * 7?", "cell-A")
    assert again[0]["op"] == "cells-begin" and again[0]["run_id"] != begin["run_id"]

    # without --cells (and the tab's setting off) nothing is sent
    plain, stderr = execute_cell(kernel, "%%k2 --approve auto\nWhat is 6 * 7?", "cell-B")
    assert plain == [] and stderr == ""

    # the tab turns on "materialize cells" in its settings: now every run writes cells
    tab.send(
        {
            "kind": "settings",
            "materializeCells": True,
            "collapseThinking": False,
            "headingFormat": "Thinking ({seconds})",
        }
    )
    time.sleep(0.3)
    by_default, _ = execute_cell(kernel, "%%k2 --approve auto\nWhat is 6 * 7?", "cell-B")
    assert by_default[0] == {
        "op": "cells-begin",
        "run_id": by_default[0]["run_id"],
        "anchor": "cell-B",
        "clientId": tab.client_id,
    }
    thinking_done = next(op for op in by_default if op["op"] == "cell-update" and "source" in op)
    assert thinking_done["source"].startswith("Thinking (") and "jupyter" not in thinking_done
    tab.close()
    deadline = time.monotonic() + 10
    while kernel.run("print(get_ipython()._k2nb_magics.frontend.connected)").strip() != "False":
        assert time.monotonic() < deadline, "the closed tab is still linked"
        time.sleep(0.1)


def test_without_the_extension_cells_degrade_with_a_clear_message(kernel: Kernel) -> None:
    kernel.run("%load_ext k2nb")
    assert kernel.run("print(get_ipython()._k2nb_magics.frontend.connected)").strip() == "False"  # no tab linked
    ops, stderr = execute_cell(kernel, "%%k2 --cells --approve auto --max-steps 1\nWhat is 6 * 7?", "cell-C")
    assert ops == []
    assert "--cells needs the k2nb extension" in stderr and "%k2 export FILE.ipynb" in stderr
