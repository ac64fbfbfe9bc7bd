"""The live view's code crosses once per page, deflated, in a real kernel: a page's first run opens a
widget whose module inflates the view's code; later runs carry a stub of a few hundred bytes; a new
client (a reloaded page) gets the code again; with ``K2NB_LIVE_COMPRESSION=0`` the code goes plain."""

from __future__ import annotations

import base64
import json
import re
import uuid
import zlib
from typing import Any

import pytest

from k2nb.ui.view_code import REGISTRY
from k2nb.ui.widget import PAGES
from tests.harness.kernel import Kernel
from tests.harness.server import SECRET_KEY, provider_env, scripted

pytestmark = pytest.mark.kernel

# What a page's first run may cost in its widget's comm_open (the view's code, 33 KB plain, deflated
# and in base64; the widget's other state), and a later run's.
FIRST_RUN_BUDGET = 17_000
LATER_RUN_BUDGET = 1_300


def _run(kernel: Kernel) -> dict[str, Any]:
    """One %%k2 cell; the widget's comm_open message (its state and its size as JSON)."""
    run = kernel.execute("%%k2 --approve auto\nThink", check=True)
    opens = [m for m in run.of_type("comm_open") if m.content["data"]["state"].get("_model_name") == "AnyModel"]
    assert len(opens) == 1, [m.msg_type for m in run.messages]
    finals = run.of_type("update_display_data")
    assert finals and 'k2nb-status">done · ' in finals[-1].content["data"]["text/html"]  # each run ends as before
    state = opens[0].content["data"]["state"]
    return {"esm": state["_esm"], "css": state["_css"], "bytes": len(json.dumps(opens[0].content))}


def _inflated(bootstrap: str) -> tuple[str, str]:
    """The (module, CSS) a bootstrap carries, read as the browser reads it."""
    payload = re.search(r'atob\("([A-Za-z0-9+/=]+)"\)', bootstrap)
    assert payload, bootstrap[:300]
    esm, css = zlib.decompress(base64.b64decode(payload.group(1))).decode().split("\0")
    return esm, css


def _runs(env: dict[str, str] | None = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A page's first and second run, then a reloaded page's first."""
    with (
        scripted("think: a short thought\ntext: Done.", api_key=SECRET_KEY) as server,
        Kernel({**provider_env(server), **(env or {})}) as kernel,
    ):
        kernel.execute("%load_ext k2nb", check=True)
        first, second = _run(kernel), _run(kernel)
        kernel.client.session.session = uuid.uuid4().hex  # another client: what a reloaded page is to the kernel
        return first, second, _run(kernel)


def _registered_key(esm: str) -> str:
    key = re.search(rf'globalThis\.{REGISTRY} \|\|= {{}}\)\["(\w+)"\] = ', esm)
    assert key, "the full module registers itself on globalThis"
    return key.group(1)


def _is_stub_of(run: dict[str, Any], key: str) -> bool:
    esm = run["esm"]
    return run["css"] == "" and len(esm) < 300 and f'k="{key}"' in esm and "export default R[k]" in esm


def test_a_pages_first_run_carries_the_view_code_deflated_and_its_second_a_stub() -> None:
    first, second, reloaded = _runs()

    assert first["css"] == ""  # the CSS travels inside the module, and the module inflates both
    esm, css = _inflated(first["esm"])
    assert (esm, css) == (PAGES.esm, PAGES.css)  # exactly the view's code and style
    assert 'new DecompressionStream("deflate")' in first["esm"] and "import(u)" in first["esm"]
    key = _registered_key(esm)
    plain = len(json.dumps(esm)) + len(json.dumps(css))  # what the code costs in the state, plain
    assert first["bytes"] < FIRST_RUN_BUDGET and first["bytes"] < 0.5 * plain, (first["bytes"], plain)

    assert _is_stub_of(second, key)  # what the first registered
    assert second["bytes"] < LATER_RUN_BUDGET

    assert reloaded["esm"] == first["esm"] and reloaded["css"] == ""


def test_without_compression_the_first_run_carries_the_view_code_plain() -> None:
    first, second, reloaded = _runs({"K2NB_LIVE_COMPRESSION": "0"})  # for a browser without DecompressionStream

    assert (first["esm"], first["css"]) == (PAGES.esm, PAGES.css)
    assert first["bytes"] > 30_000  # the whole view, plain
    assert _is_stub_of(second, _registered_key(first["esm"])) and second["bytes"] < LATER_RUN_BUDGET
    assert reloaded["esm"] == first["esm"] and reloaded["css"] == first["css"]
