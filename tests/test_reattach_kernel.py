"""A tab that links mid-run gets the run: snapshot, stream and the saved trace (k2nb/ui/reattach.py), in a real kernel.

The cell runs from one client; a second client, acting as a reloaded page with the labextension
(benchmarks/tab.py), says hello while the run streams. It must receive a fresh `k2nb.frontend`
comm (it never saw the first), then the run's ops so far as one deflated snapshot and every later
batch on the same stream — together the whole thinking, in order — and the finished trace, which
it writes in place of the original tab (so the kernel sends no update_display).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

from benchmarks.tab import Tab
from k2nb.engines.script import ScriptedEngine
from k2nb.engines.server import ChatServer
from k2nb.ui.live_codec import OpsDecoder
from tests.conftest import SECRET_KEY
from tests.test_frontend_link import run

pytestmark = pytest.mark.kernel

THINKING = " ".join(f"consider{i}" for i in range(400))
ANSWER = "All considered."


@pytest.fixture
def kernel() -> Iterator[tuple[Any, Any, ChatServer]]:
    server = ChatServer(ScriptedEngine.from_text(f"think: {THINKING}\ntext: {ANSWER}"), api_key=SECRET_KEY)
    server.tokens_per_second = 150  # a few seconds of streaming
    server.start()
    env = {**os.environ, "K2NB_BASE_URL": server.base_url, "K2NB_API_KEY": SECRET_KEY}
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        yield km, kc, server
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        server.stop()


def test_a_tab_that_links_mid_run_gets_everything_and_writes_the_saved_trace(
    kernel: tuple[Any, Any, ChatServer],
) -> None:
    km, kc, _ = kernel
    run(kc, "%load_ext k2nb")
    cell_messages: list[dict[str, Any]] = []
    runner = threading.Thread(
        target=lambda: kc.execute_interactive(
            "%%k2 --approve auto\nThink it over", timeout=120, output_hook=cell_messages.append
        )
    )
    runner.start()
    time.sleep(1.5)  # the run is streaming now

    # Its own session id, as each page has its own kernel clientId (km.client() would share kc's).
    late = km.client(session=Session(key=km.session.key, signature_scheme=km.session.signature_scheme))
    late.start_channels()
    try:
        tab = Tab(late)
        tab.hello(capabilities=["trace-static", "run-attach"], downlink=None)
        decoder = OpsDecoder()
        frontend_opens, kinds, ops = 0, [], []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                msg = late.get_iopub_msg(timeout=1)
            except Exception:
                if not runner.is_alive():
                    break
                continue
            content = msg["content"]
            if msg["msg_type"] == "comm_open" and content.get("target_name") == "k2nb.frontend":
                frontend_opens += 1
            data = content.get("data") if msg["msg_type"] == "comm_msg" else None
            if not isinstance(data, dict) or data.get("clientId") not in (None, tab.client_id):
                continue
            if data.get("op") in ("run-attach", "run-ops"):
                kinds.append(data["op"])
                if data["op"] == "run-attach":
                    assert data["esm"].startswith("const") and "export default" in data["esm"]
                for batch in decoder.decode(bytes(msg["buffers"][0])):
                    ops.extend(batch)
            elif tab.answer_handoff(data, msg.get("buffers") or []):
                break
        runner.join(60)
    finally:
        late.stop_channels()

    assert frontend_opens >= 1  # a page that loaded later gets its own k2nb.frontend
    assert kinds[0] == "run-attach" and kinds.count("run-attach") == 1 and "run-ops" in kinds
    thinking = "".join(op["text"] for op in ops if op["op"] == "append" and op["id"].endswith("-think"))
    assert thinking == THINKING  # snapshot + stream: all of it, in order, once
    first_append = next(i for i, op in enumerate(ops) if op["op"] == "append")
    assert len(ops[first_append]["text"]) > 20  # the snapshot carried what had streamed before the hello
    assert len(tab.handoffs) == 1 and ANSWER in tab.handoffs[0]["text/html"]
    # The late tab wrote the saved trace, so the kernel did not send it again uncompressed.
    assert [m for m in cell_messages if m["msg_type"] == "update_display_data"] == []


def test_a_tab_that_holds_the_current_link_gets_no_new_one(kernel: tuple[Any, Any, ChatServer]) -> None:
    _, kc, _ = kernel
    opens: list[dict[str, Any]] = []
    run(kc, "%load_ext k2nb")
    downlink = run(kc, "print(get_ipython()._k2nb_magics.frontend._downlink.comm_id)").strip()
    tab = Tab(kc)
    tab.hello(capabilities=["run-attach"], downlink=downlink)
    time.sleep(1.0)
    kc.execute_interactive("pass", timeout=30, output_hook=opens.append)
    assert run(kc, "print(get_ipython()._k2nb_magics.frontend._downlink.comm_id)").strip() == downlink
    tab.hello(capabilities=["run-attach"], downlink=None)
    time.sleep(1.0)
    assert run(kc, "print(get_ipython()._k2nb_magics.frontend._downlink.comm_id)").strip() != downlink
