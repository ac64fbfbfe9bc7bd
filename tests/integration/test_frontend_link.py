"""The kernel side of the k2nb comm link (k2nb/notebook/link.py), driven by a real kernel through jupyter_client.

The stand-in tab (tests/harness/tab.py) does on the wire what the labextension does: a subshell
created on the control channel, and the `k2nb` comm's messages carrying its id in their header.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness.kernel import Kernel
from tests.harness.tab import Tab

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    with Kernel() as k:
        yield k


def test_load_opens_the_frontend_comm_and_a_tab_message_arrives_mid_cell(
    kernel: Kernel,
) -> None:
    kc = kernel.client
    kernel.drain(0.2)
    load = kc.execute("%load_ext k2nb")
    # Until the load cell is idle (importing openai takes seconds on a busy machine).
    loaded: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        loaded += kernel.drain(0.2)
        if any(
            m["msg_type"] == "status"
            and m["content"]["execution_state"] == "idle"
            and m["parent_header"].get("msg_id") == load
            for m in loaded
        ):
            break
    opened = [m for m in loaded if m["msg_type"] == "comm_open"]
    assert [m["content"]["target_name"] for m in opened] == ["k2nb.frontend"]
    # k2nb just loaded: a tab still holding a k2nb comm (a restart it did not hear) opens a new one
    assert opened[0]["content"]["data"] == {"loaded": True}
    frontend_comm = opened[0]["content"]["comm_id"]

    kernel.run(
        "import threading, time\n"
        "link = get_ipython()._k2nb_magics.frontend\n"
        "got = threading.Event(); seen = []\n"
        "link.on('approval', lambda m: (seen.append((m, threading.current_thread().name)), got.set()))\n"
        "print(link.available, link.connected)",
    )
    tab = Tab(kc)
    tab.hello()
    deadline = time.monotonic() + 10
    while "True" not in kernel.run("print(link.connected)") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert kernel.run("print(link.client_ids())").strip() == repr([tab.client_id])

    # A cell blocks on the answer; the tab answers while it runs.
    msg_id = kc.execute("t0 = time.monotonic(); ok = got.wait(20); waited = time.monotonic() - t0")
    time.sleep(0.5)  # the cell is running now
    sent = time.monotonic()
    tab.send({"kind": "approval", "call_id": "c1", "decision": "run"})
    reply = kc.get_shell_msg(timeout=30)
    elapsed = time.monotonic() - sent
    assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok"
    assert elapsed < 3, f"the answer took {elapsed:.1f} s to reach the waiting cell"
    out = kernel.run("print(ok, seen[0][0], seen[0][1].startswith('subshell'))")
    # the handler got the message (tagged with the tab's clientId) on the subshell's thread
    expected = {"kind": "approval", "call_id": "c1", "decision": "run", "clientId": tab.client_id}
    assert out.strip() == f"True {expected} True"

    # kernel -> tab: operations go out on k2nb.frontend, addressed to one tab when asked
    code = f"link.send({{'op': 'ping', 'id': 1}}, client_id={tab.client_id!r}); link.send({{'op': 'ping', 'id': 2}})"
    sent_ops = [m.content for m in kernel.execute(code, check=True).of_type("comm_msg")]
    assert [(c["comm_id"], c["data"]) for c in sent_ops] == [
        (frontend_comm, {"op": "ping", "id": 1, "clientId": tab.client_id}),
        (frontend_comm, {"op": "ping", "id": 2}),
    ]

    # the tab closes its comm (closed tab, restart): no longer connected
    tab.close()
    time.sleep(0.5)
    assert kernel.run("print(link.connected, link.client_ids())").strip() == "False []"


def test_without_a_subshell_the_message_waits_for_the_cell(kernel: Kernel) -> None:
    """Why the labextension opens its comm on a subshell: on the main shell it is too late."""
    kc = kernel.client
    kernel.run("%load_ext k2nb")  # no-op when already loaded
    kernel.run("got.clear(); seen.clear()")
    tab = Tab(kc, subshell=False)
    tab.hello()
    time.sleep(0.3)
    kc.execute("ok = got.wait(1.5)")
    time.sleep(0.3)
    tab.send({"kind": "approval", "call_id": "c2", "decision": "skip"})
    kc.get_shell_msg(timeout=30)
    assert kernel.run("print(ok, len(seen))").strip() == "False 1"  # arrived, but only after the cell
    tab.close()


def test_unload_unregisters_the_target_and_closes_the_frontend_comm(kernel: Kernel) -> None:
    closed = kernel.execute("%unload_ext k2nb", check=True).of_type("comm_close")
    assert closed, "unloading k2nb did not close k2nb.frontend"
    assert kernel.run("from comm import get_comm_manager; print('k2nb' in get_comm_manager().targets)") == "False\n"
    assert kernel.run("print(link.available)").strip() == "False"
