"""■ Stop while the model's code runs, in a real kernel, with a stand-in tab on a subshell (issue #11).

The labextension's comm lives on a kernel subshell, so its messages (another tab's hello, a
settings change, Stop) reach Python on the subshell's thread while the model's code runs on the
main thread. ipykernel 7 then calls ``shell.set_parent`` (display publisher, display hook,
streams) from that thread: the step's capture must take it, and Stop must interrupt the code.
(``run_code`` alone, in an in-process IPython shell: tests/kernel/test_run_code.py.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from k2nb.core.loop import STOPPED_TOOL_TEXT
from k2nb.engines.script import ScriptedEngine
from k2nb.engines.server import ChatServer
from tests.harness.kernel import Execution, Kernel
from tests.harness.server import SECRET_KEY, provider_env
from tests.harness.tab import Tab

# Each would run for a minute or more; Stop must end it within about a second.
CODES = {
    "a tight Python loop": "n = 0\nwhile True:\n    n += 1",
    "chunked numpy": (
        "import numpy as np\nrng = np.random.default_rng(0)\ninside = 0\n"
        "for _ in range(100_000):\n    xy = rng.random((2, 500_000))\n"
        "    inside += int(((xy ** 2).sum(axis=0) <= 1).sum())"
    ),
    "time.sleep": "import time\ntime.sleep(90)",
}


def step_code(body: str, started: Path, finished: Path) -> str:
    return f"open({str(started)!r}, 'w').write('x')\n{body}\nopen({str(finished)!r}, 'w').write('done')"


@pytest.fixture
def kernel_and_server(tmp_path: Path) -> Iterator[tuple[Kernel, ChatServer]]:
    blocks = []
    for n, body in enumerate(CODES.values()):
        code = step_code(body, tmp_path / f"started{n}", tmp_path / f"finished{n}")
        blocks += [
            f"think: run case {n}\ntool: code_interpreter " + json.dumps({"code": code}),
            f"think: fine again\ntext: answer {n} after the stop",
        ]
    server = ChatServer(
        ScriptedEngine.from_text("\n---\n".join(blocks)),
        dialect="moonshot",
        api_key=SECRET_KEY,
        strict_reasoning=True,
    ).start()
    kernel = Kernel(provider_env(server), fd_watcher=True)  # as users have it
    try:
        yield kernel, server
    finally:
        kernel.close()
        server.stop()


class Chatter:
    """While the code runs: another tab says hello, the first changes a setting, then Stop."""

    def __init__(self, kernel: Kernel, tab: Tab, started: Path, finished: Path) -> None:
        self.kernel, self.tab, self.started, self.finished = kernel, tab, started, finished
        self.stop_sent: float | None = None
        self._chatted: float | None = None
        self.still_running_after_chat = False

    def __call__(self, _result: Execution) -> None:
        if self.stop_sent is not None or not self.started.exists():
            return
        if self._chatted is None:
            Tab(self.kernel.client).hello()  # a second tab: a new subshell, its hello mid-code
            self.tab.send({"kind": "settings", "materializeCells": False})
            self._chatted = time.monotonic()
        elif time.monotonic() - self._chatted > 1.0:
            self.still_running_after_chat = not self.finished.exists()
            self.tab.send({"kind": "stop"})
            self.stop_sent = time.monotonic()


@pytest.mark.kernel
def test_stop_interrupts_the_models_code_while_tab_messages_arrive(
    kernel_and_server: tuple[Kernel, ChatServer], tmp_path: Path
) -> None:
    kernel, server = kernel_and_server
    kernel.execute("%load_ext k2nb\nuser_value = 41")
    tab = Tab(kernel.client)
    tab.hello()
    linked = ""
    for _ in range(50):
        linked = kernel.execute("print(get_ipython()._k2nb_magics.frontend.connected)").text.strip()
        if linked == "True":
            break
        time.sleep(0.1)
    assert linked == "True"

    latencies: dict[str, float] = {}
    for n, kind in enumerate(CODES):
        chatter = Chatter(kernel, tab, tmp_path / f"started{n}", tmp_path / f"finished{n}")
        run = kernel.execute(f"%%k2 --approve auto\ncase {n}", while_running=chatter, timeout=60)
        assert chatter.stop_sent is not None, f"{kind}: the code never started"
        assert chatter.still_running_after_chat, f"{kind}: the code ended before Stop"
        latencies[kind] = time.monotonic() - chatter.stop_sent
        assert latencies[kind] < 5, f"{kind}: the stop took {latencies[kind]:.1f} s"
        assert not (tmp_path / f"finished{n}").exists(), f"{kind}: the code ran to its end"
        for leak in ("AttributeError", "set_parent", "Traceback", "KeyboardInterrupt"):
            assert leak not in run.text, f"{kind}: {leak!r} shown to the user:\n{run.text[-3000:]}"
        assert run.status == "ok"
        assert "⊘ stopped" in run.text and "stopped by the user" in run.text
        follow = kernel.execute(f"%%k2\nfollow-up {n}")
        assert f"answer {n} after the stop" in follow.text, follow.text[-2000:]

    history = server.requests[-1]["messages"]
    stopped = [m for m in history if m.get("role") == "tool"]
    assert [m["content"] for m in stopped] == [STOPPED_TOOL_TEXT] * len(CODES)
    state = kernel.execute("print(user_value, n > 0, inside >= 0)").text.strip()
    assert state == "41 True True"  # the user's variable and what the stopped steps left
    print("stop latencies:", {k: round(v, 2) for k, v in latencies.items()})
