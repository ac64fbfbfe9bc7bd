"""In-output approvals (the waiting side) and the kernel-state diff after each tool call."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from k2nb.errors import RunStopped
from k2nb.kernel.state_diff import diff, snapshot
from k2nb.tools.approval import ApprovalRequest, ButtonApprover, RoutingApprover, Verdict
from tests.conftest import cell_text, run_notebook


def test_state_diff_names_added_changed_and_removed() -> None:
    import types

    ns: dict[str, Any] = {"keep": 1, "grow": [1, 2], "gone": "x", "_private": 1, "mod": types}
    before = snapshot(ns)
    ns["grow"].append(3)
    ns["new"] = {"a": 1}
    ns["keep"] = 1.5
    del ns["gone"]
    ns["_hidden"] = 2
    changes = diff(before, snapshot(ns))
    assert changes.added == (("new", "dict len 1"),)
    assert {n: (a, b) for n, a, b in changes.changed} == {
        "grow": ("list len 2", "list len 3"),
        "keep": ("int", "float"),
    }
    assert changes.removed == ("gone",)
    assert "mod" not in changes.text() and "_hidden" not in changes.text()
    assert not diff(snapshot(ns), snapshot(ns))


def _request(call_id: str = "code_interpreter:0") -> ApprovalRequest:
    return ApprovalRequest(call_id, "code_interpreter", "print(1)", 1)


def test_a_click_relayed_from_another_thread_answers_the_waiting_call() -> None:
    approver = ButtonApprover(threading.Event())

    def click() -> None:
        time.sleep(0.1)
        approver.deliver({"call_id": "other", "decision": "run"})  # stale: another call
        approver.deliver({"call_id": "code_interpreter:0", "decision": "approve-everything"})  # not a decision
        approver.deliver({"call_id": "code_interpreter:0", "decision": "edit", "code": "print(2)"})

    threading.Thread(target=click).start()
    verdict = approver(_request())
    assert verdict == Verdict("edit", "print(2)", "")


def test_skip_carries_the_users_reason_and_stop_ends_the_wait() -> None:
    stop = threading.Event()
    approver = ButtonApprover(stop)
    skip = {"call_id": "c:1", "decision": "skip", "reason": "too slow"}
    threading.Timer(0.05, approver.deliver, args=(skip,)).start()
    assert approver(_request("c:1")) == Verdict("skip", "print(1)", "too slow")
    threading.Timer(0.05, stop.set).start()
    with pytest.raises(RunStopped):
        approver(_request("c:2"))


def test_routing_uses_stdin_when_no_frontend_is_connected() -> None:
    connected = [False]
    buttons = ButtonApprover(threading.Event())
    router = RoutingApprover(lambda: connected[0], buttons, lambda request: Verdict("run", request.code))
    assert router.channel == "stdin"
    assert router(_request()).decision == "run"
    connected[0] = True
    assert router.channel == "buttons"


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
