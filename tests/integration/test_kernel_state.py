"""The kernel-state diff after each tool call, in a real kernel: the model reads it and the user sees it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.harness.kernel import run_notebook
from tests.harness.outputs import cell_text

pytestmark = pytest.mark.kernel


def test_state_diff_reaches_the_model_and_the_trace(scripted_server: Any) -> None:
    code = json.dumps({"code": "del precious\nresults = [1, 2, 3]\ncounter = 'now a string'"})
    server = scripted_server(f"think: tidy up\ntool: code_interpreter {code}\n---\ntext: Tidied.", dialect="moonshot")
    nb = run_notebook(
        ["%load_ext k2nb", "precious = 42\ncounter = 0", "%%k2 --approve auto\ntidy"],
        env={"K2NB_BASE_URL": server.base_url},
    )
    tool = next(m for m in server.requests[1]["messages"] if m["role"] == "tool")["content"]
    assert "[kernel state]" in tool
    assert "added: results (list len 3)" in tool
    assert "counter (int → str len 12)" in tool
    assert "removed: precious" in tool
    assert "removed: precious" in cell_text(nb.cells[2])  # shown to the user in the step block
