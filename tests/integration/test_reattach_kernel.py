"""A tab that links mid-run gets the run: snapshot, stream and the saved trace (k2nb/ui/reattach.py), in a real kernel.

The cell runs from one client; a second client, acting as a reloaded page with the labextension
(tests/harness/tab.py), says hello while the run streams. It must receive a fresh `k2nb.frontend`
comm (it never saw the first), then the run's ops so far as one deflated snapshot and every later
batch on the same stream — together the whole thinking, in order — and the finished trace, which
it writes in place of the original tab (so the kernel sends no update_display).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from k2nb.engines.server import ChatServer
from k2nb.ui.widget import PAGES
from tests.harness.kernel import Execution, Kernel
from tests.harness.live import LiveReader, lane_text
from tests.harness.server import SECRET_KEY, provider_env, start_scripted
from tests.harness.tab import Tab

pytestmark = pytest.mark.kernel

THINKING = " ".join(f"consider{i}" for i in range(400))
ANSWER = "All considered."


@pytest.fixture
def kernel() -> Iterator[tuple[Kernel, ChatServer]]:
    server = start_scripted(f"think: {THINKING}\ntext: {ANSWER}", api_key=SECRET_KEY)
    server.tokens_per_second = 150  # a few seconds of streaming
    try:
        with Kernel(provider_env(server)) as k:
            yield k, server
    finally:
        server.stop()


def test_a_tab_that_links_mid_run_gets_everything_and_writes_the_saved_trace(
    kernel: tuple[Kernel, ChatServer],
) -> None:
    k, _ = kernel
    k.run("%load_ext k2nb")
    cell: list[Execution] = []
    runner = threading.Thread(target=lambda: cell.append(k.execute("%%k2 --approve auto\nThink it over", timeout=120)))
    runner.start()
    time.sleep(1.5)  # the run is streaming now

    late = k.new_client()  # its own session id, as each page has its own kernel clientId
    try:
        tab = Tab(late)
        tab.hello(capabilities=["trace-static", "run-attach"], downlink=None)
        reader = LiveReader()
        frontend_opens, kinds, batches = 0, [], []
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
                assert "loaded" not in content["data"]  # a reopen: the tabs already linked keep their comms
            data = content.get("data") if msg["msg_type"] == "comm_msg" else None
            if not isinstance(data, dict) or data.get("clientId") not in (None, tab.client_id):
                continue
            if data.get("op") in ("run-attach", "run-ops"):
                kinds.append(data["op"])
                if data["op"] == "run-attach":
                    # the view's code deflated, its CSS inside (view_code.py), as a page's first run has it
                    assert (data["esm"], data["css"]) == (PAGES.deflated, "")
                batches.extend(reader.read(msg["msg_type"], content, msg["buffers"]))
            elif tab.answer_handoff(data, msg.get("buffers") or []):
                break
        runner.join(60)
    finally:
        late.stop_channels()

    assert frontend_opens >= 1  # a page that loaded later gets its own k2nb.frontend
    assert kinds[0] == "run-attach" and kinds.count("run-attach") == 1 and "run-ops" in kinds
    assert lane_text(batches, "think") == THINKING  # snapshot + stream: all of it, in order, once
    ops = [op for batch in batches for op in batch]
    first_append = next(i for i, op in enumerate(ops) if op["op"] == "append")
    assert len(ops[first_append]["text"]) > 20  # the snapshot carried what had streamed before the hello
    assert len(tab.handoffs) == 1 and ANSWER in tab.handoffs[0]["text/html"]
    # The late tab wrote the saved trace, so the kernel did not send it again uncompressed.
    assert cell and cell[0].of_type("update_display_data") == []


def test_a_tab_that_holds_the_current_link_gets_no_new_one(kernel: tuple[Kernel, ChatServer]) -> None:
    k, _ = kernel
    k.run("%load_ext k2nb")
    downlink = k.run("print(get_ipython()._k2nb_magics.frontend._downlink.comm_id)").strip()
    tab = Tab(k.client)
    tab.hello(capabilities=["run-attach"], downlink=downlink)
    time.sleep(1.0)
    k.execute("pass")
    assert k.run("print(get_ipython()._k2nb_magics.frontend._downlink.comm_id)").strip() == downlink
    tab.hello(capabilities=["run-attach"], downlink=None)
    time.sleep(1.0)
    assert k.run("print(get_ipython()._k2nb_magics.frontend._downlink.comm_id)").strip() != downlink
