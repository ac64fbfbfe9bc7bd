"""Presenter mode in a real kernel: the pause before each step holds the model's request until the user says next.

A strict loopback server (it answers 400 to any invalid history) counts the requests. With a stand-in tab
linked (tests/harness/tab.py: the labextension's wire) "next" is the live view's Next ▶ relayed on the
`k2nb` comm; without one it is Enter at a stdin prompt; in a headless run nobody can press and the run
says so. Stop while paused, a tab that reloads mid-pause, and `%k2 present` of the last recording.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from k2nb.core.pause import NOBODY_TO_PRESS
from k2nb.engines.server import ChatServer
from tests.harness.kernel import Execution, Kernel, run_notebook
from tests.harness.live import LiveReader
from tests.harness.outputs import cell_text, html_text
from tests.harness.server import SECRET_KEY, provider_env, start_scripted
from tests.harness.tab import Tab

pytestmark = pytest.mark.kernel

# Three steps: two calls of model code, then the answer.
SCRIPT = "\n---\n".join(
    [
        "think: First the list.\ntool: code_interpreter " + json.dumps({"code": "numbers = [3, 1, 2]\nprint(numbers)"}),
        "think: Now sort it.\ntool: code_interpreter "
        + json.dumps({"code": "ordered = sorted(numbers + extra)\nprint(ordered)"}),
        "think: It printed [1, 2, 3].\ntext: Sorted: **[1, 2, 3]**.",
    ]
)
HOLD = 0.8  # how long each pause is watched for a request that must not come


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[tuple[Kernel, ChatServer]]:
    server = start_scripted(SCRIPT, api_key=SECRET_KEY, strict_reasoning=True)
    try:
        with Kernel(provider_env(server), cwd=tmp_path) as k:  # recordings go to tmp_path
            k.run("%load_ext k2nb\nextra = []  # the user's data, which step 2 reads")
            yield k, server
    finally:
        server.stop()


def link_tab(k: Kernel) -> Tab:
    tab = Tab(k.client)
    tab.hello()
    for _ in range(50):
        if k.execute("print(get_ipython()._k2nb_magics.frontend.connected)").text.strip() == "True":
            return tab
        time.sleep(0.1)
    raise AssertionError("the stand-in tab never linked")


def pauses(run: Execution) -> list[dict[str, Any]]:
    return [op for batch in run.batches for op in batch if op.get("op") == "pause"]


class Presenter:
    """Presses Next (the tab's relayed click) at each pause, after checking that nothing was sent meanwhile."""

    def __init__(self, tab: Tab, server: ChatServer, *, stop_at: int | None = None, double: bool = False) -> None:
        self.tab, self.server, self.stop_at, self.double = tab, server, stop_at, double
        self.sent_at_pause: dict[int, tuple[int, int]] = {}  # step -> (requests when it paused, after HOLD)
        self.stop_sent = False

    def __call__(self, run: Execution) -> None:
        for op in pauses(run):
            if op["step"] in self.sent_at_pause:
                continue
            before = len(self.server.requests)
            time.sleep(HOLD)  # the class guesses; the model gets nothing
            self.sent_at_pause[op["step"]] = (before, len(self.server.requests))
            if op["step"] == self.stop_at:
                self.tab.send({"kind": "stop"})
                self.stop_sent = True
                return
            self.tab.send({"kind": "next", "pause_id": op["pause_id"]})
            if self.double:  # a double click, or a key held down: one step all the same
                self.tab.send({"kind": "next", "pause_id": op["pause_id"]})


def test_next_in_the_view_releases_exactly_one_request_each_time(kernel: tuple[Kernel, ChatServer]) -> None:
    k, server = kernel
    tab = link_tab(k)
    presenter = Presenter(tab, server, double=True)
    run = k.execute("%%k2 --present --approve auto\nSort 3, 1, 2", while_running=presenter, timeout=90)

    assert run.status == "ok"
    assert presenter.sent_at_pause == {1: (0, 0), 2: (1, 1), 3: (2, 2)}  # held until Next, one request each
    assert len(server.requests) == 3
    ops = [op for batch in run.batches for op in batch]
    assert ops[0] == {"op": "present"}
    assert [op["channel"] for op in pauses(run)] == ["buttons"] * 3
    resumed = [op["id"] for op in ops if op["op"] == "resume"]
    assert resumed == [op["id"] for op in pauses(run)]
    saved = run.of_type("update_display_data")[-1].content["data"]["text/html"]
    assert 'class="k2nb-static k2nb-trace k2nb-present"' in saved  # the finished trace keeps the large layout
    assert "Sorted: <strong>[1, 2, 3]</strong>" in saved
    assert k.run("print(ordered)").strip() == "[1, 2, 3]"


def test_stop_while_paused_sends_nothing_more_and_the_next_cell_works(kernel: tuple[Kernel, ChatServer]) -> None:
    k, server = kernel
    tab = link_tab(k)
    presenter = Presenter(tab, server, stop_at=2)
    run = k.execute("%%k2 --present --approve auto\nSort 3, 1, 2", while_running=presenter, timeout=90)

    assert presenter.stop_sent and run.status == "ok"
    assert len(server.requests) == 1  # step 2 was never asked for
    saved = html_text(run.of_type("update_display_data")[-1].content["data"]["text/html"])
    assert "stopped by the user" in saved and "[3, 1, 2]" in saved  # the partial trace stays
    # The strict server checks the history the stopped run left (user, assistant + call, tool result).
    follow = k.execute("%%k2 --approve auto\nGo on")
    assert "Now sort it" in follow.text and follow.status == "ok"
    history = server.requests[1]["messages"]
    assert [m["role"] for m in history if m["role"] != "system"] == ["user", "assistant", "tool", "user"]
    assert k.run("print(numbers)").strip() == "[3, 1, 2]"  # what step 1 did stays in the kernel


def test_without_the_labextension_enter_on_stdin_is_next(kernel: tuple[Kernel, ChatServer]) -> None:
    k, server = kernel
    seen: list[tuple[str, int, int]] = []

    def press_enter(prompt: str, _run: Execution) -> str:
        before = len(server.requests)
        time.sleep(HOLD)
        seen.append((prompt, before, len(server.requests)))
        return ""

    run = k.execute("%%k2 --present --approve auto\nSort 3, 1, 2", answer=press_enter, timeout=90)
    assert run.status == "ok" and len(server.requests) == 3
    assert seen == [(f"k2nb presenter mode: press Enter for step {n + 1} ", n, n) for n in range(3)]
    assert [op["channel"] for op in pauses(run)] == ["stdin"] * 3
    assert "Sorted: **[1, 2, 3]**" in run.text or "Sorted: <strong>[1, 2, 3]</strong>" in run.text


def test_a_tab_that_opens_mid_pause_shows_next_and_its_press_goes_on(kernel: tuple[Kernel, ChatServer]) -> None:
    k, server = kernel
    link_tab(k)  # the tab that runs the cell (it never presses here)
    late = k.new_client()  # a reload, or a second tab
    late_tab: Tab | None = None
    reader = LiveReader()
    seen: list[list[dict[str, Any]]] = []
    pressed: list[str] = []

    def reload_and_press(run: Execution) -> None:
        nonlocal late_tab
        if not pauses(run):
            return
        if late_tab is None:
            late_tab = Tab(late)
            late_tab.hello(capabilities=["trace-static", "run-attach"], downlink=None)
        while True:
            try:
                msg = late.get_iopub_msg(timeout=0.05)
            except Exception:
                break
            data = msg["content"].get("data") if msg["msg_type"] == "comm_msg" else None
            if isinstance(data, dict) and data.get("clientId") == late_tab.client_id:
                late_tab.answer_handoff(data, msg.get("buffers") or [])
                seen.extend(reader.read(msg["msg_type"], msg["content"], msg["buffers"]))
        open_pauses = {op["id"]: op for batch in seen for op in batch if op.get("op") == "pause"}
        for batch in seen:
            for op in batch:
                if op.get("op") == "resume":
                    open_pauses.pop(op["id"], None)
        for op in open_pauses.values():
            if op["pause_id"] not in pressed:
                pressed.append(op["pause_id"])
                late_tab.send({"kind": "next", "pause_id": op["pause_id"]})

    try:
        run = k.execute("%%k2 --present --approve auto\nSort 3, 1, 2", while_running=reload_and_press, timeout=90)
    finally:
        late.stop_channels()
    assert run.status == "ok" and len(server.requests) == 3
    assert len(pressed) == 3  # the late tab saw each pause (the first in its snapshot) and its Next went on
    ops = [op for batch in seen for op in batch]
    assert {"op": "present"} in ops  # its view takes the large layout too


def test_a_headless_run_says_nobody_can_press_and_runs_to_the_end(tmp_path: Path) -> None:
    server = start_scripted(SCRIPT, api_key=SECRET_KEY)
    try:
        nb = run_notebook(["%load_ext k2nb", "%%k2 --present --approve auto\nSort 3, 1, 2"], provider_env(server))
    finally:
        server.stop()
    text = cell_text(nb.cells[1])
    assert NOBODY_TO_PRESS in html_text(text) or NOBODY_TO_PRESS in text
    assert "Sorted: <strong>[1, 2, 3]</strong>" in text and len(server.requests) == 3


def test_k2_present_replays_the_last_recording_with_the_same_pauses(kernel: tuple[Kernel, ChatServer]) -> None:
    k, server = kernel
    nothing = k.execute("%k2 present")
    assert "no recording in this session yet" in nothing.text and "%%k2 --record" in nothing.text
    k.execute("%%k2 --approve auto --record lesson.jsonl\nSort 3, 1, 2", check=True)
    recorded = len(server.requests)
    k.run("%k2 approve auto")
    steps: list[str] = []

    def press_enter(prompt: str, _run: Execution) -> str:
        steps.append(prompt)
        return ""

    replay = k.execute("%k2 present", answer=press_enter, timeout=90)
    assert len(steps) == 3 and len(server.requests) == recorded  # replayed offline, paused the same way
    saved = replay.of_type("update_display_data")[-1].content["data"]["text/html"]
    assert "k2nb-present" in saved and "lesson.jsonl" in saved and "differs" not in saved

    # The kernel changed since the recording: the drift note stands above the answer it concerns.
    k.run("extra = [0]")
    steps.clear()
    changed = k.execute("%k2 present lesson.jsonl", answer=press_enter, timeout=90)
    assert len(steps) == 3
    saved = html_text(changed.of_type("update_display_data")[-1].content["data"]["text/html"])
    assert saved.index("step 2's output differs from the recording") < saved.index("Sorted: [1, 2, 3]")
