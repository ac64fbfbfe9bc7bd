"""The live view's code crosses once per page, in a real kernel: a page's later runs open widgets
with a stub of a few hundred bytes; a new client (a reloaded page) gets the full code again."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from k2nb.ui.view_code import REGISTRY
from tests.harness.kernel import Kernel
from tests.harness.server import SECRET_KEY, provider_env, scripted

pytestmark = pytest.mark.kernel


def _run(kernel: Kernel) -> dict[str, Any]:
    """One %%k2 cell; the widget's comm_open message (its state and its size as JSON)."""
    run = kernel.execute("%%k2 --approve auto\nThink", check=True)
    opens = [m for m in run.of_type("comm_open") if m.content["data"]["state"].get("_model_name") == "AnyModel"]
    assert len(opens) == 1, [m.msg_type for m in run.messages]
    finals = run.of_type("update_display_data")
    assert finals and 'k2nb-status">done · ' in finals[-1].content["data"]["text/html"]  # each run ends as before
    state = opens[0].content["data"]["state"]
    return {"esm": state["_esm"], "css": state["_css"], "bytes": len(json.dumps(opens[0].content))}


def test_second_run_in_a_page_sends_no_view_code_and_a_new_page_gets_it() -> None:
    with (
        scripted("think: a short thought\ntext: Done.", api_key=SECRET_KEY) as server,
        Kernel(provider_env(server)) as kernel,
    ):
        kernel.execute("%load_ext k2nb", check=True)
        first, second = _run(kernel), _run(kernel)
        kernel.client.session.session = uuid.uuid4().hex  # another client: what a reloaded page is to the kernel
        reloaded = _run(kernel)

    assert len(first["esm"]) > 10_000 and len(first["css"]) > 3_000  # the whole view
    assert first["bytes"] > 12_000
    key = re.search(rf'globalThis\.{REGISTRY} \|\|= {{}}\)\["(\w+)"\] = ', first["esm"])
    assert key, "the full module registers itself on globalThis"

    assert second["css"] == "" and len(second["esm"]) < 300  # the stub
    assert (
        f'k="{key.group(1)}"' in second["esm"] and "export default R[k]" in second["esm"]
    )  # what the first registered
    assert second["bytes"] < 1_300

    assert reloaded["esm"] == first["esm"] and reloaded["css"] == first["css"]
