"""The kernel reads Busy for the whole of a %%k2 run — in JupyterLab's and Notebook 7's indicators and on /api/kernels.

Mid-run the tab talks to the kernel over comms on subshells (the link's hello, each approval click, the
live view's widget); without k2nb.notebook.serverext each of those flipped the indicator to Idle while the cell
still showed [*].
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from datetime import datetime
from typing import Any

import pytest

from tests.browser.conftest import JupyterServer, open_notebook, screenshot
from tests.browser.harness import Switchboard

pytestmark = [pytest.mark.browser]

CALLS = 3
# Four steps of 26 words of thinking at 30 tokens/s and three approval clicks: the run lasted 9-12 s here.
_THOUGHT = " ".join(f"weighing option {i} against the counts" for i in range(4))
SCRIPT = "\n---\n".join(
    [
        f"think: step {n}: {_THOUGHT}\ntool: code_interpreter " + json.dumps({"code": f"status_step_{n} = {n}"})
        for n in range(1, CALLS + 1)
    ]
    + [f"think: all done: {_THOUGHT}\ntext: Three steps ran and the kernel stayed busy."]
)
SPEED = 30.0
GRACE = 0.5  # seconds after Shift+Enter (and the kernel's busy) before every sample must read busy

# Every 0.25 s, what the tab shows: the session's display status (what JupyterLab's status bar prints and
# Notebook 7's favicon follows), the toolbar's execution indicator, the status bar's text (JupyterLab), the
# favicon, and the running cell's prompt. Also every status message the tab receives (the kernel's own
# timestamp and the type of the message it answers).
_START_SAMPLING = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  window.__k2nbSamples = [];
  window.__k2nbStatus = [];
  window.__k2nbOnIOPub = (_kernel, msg) => {
    if (msg.header.msg_type === 'status') {
      window.__k2nbStatus.push({state: msg.content.execution_state, date: msg.header.date,
                                parent: msg.parent_header?.msg_type ?? null});
    }
  };
  panel.sessionContext.session.kernel.iopubMessage.connect(window.__k2nbOnIOPub);
  window.__k2nbSampler = setInterval(() => {
    const cell = panel.content.widgets[1];
    const bar = document.querySelector('#jp-main-statusbar');
    window.__k2nbSamples.push({
      t: Date.now() / 1000,
      display: panel.sessionContext.kernelDisplayStatus,
      indicator: panel.node.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status')
        ?? document.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status') ?? null,
      bar: bar ? bar.innerText.replace(/\\s+/g, ' ') : null,
      favicon: document.querySelector("link[rel*='icon']")?.getAttribute('href') ?? '',
      prompt: cell.node.querySelector('.jp-InputPrompt')?.textContent?.trim() ?? '',
    });
  }, 250);
}"""
_STOP_SAMPLING = """() => {
  clearInterval(window.__k2nbSampler);
  window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.iopubMessage.disconnect(window.__k2nbOnIOPub);
  return [window.__k2nbSamples, window.__k2nbStatus];
}"""


class ServerStates:
    """Polls /api/kernels every 0.25 s on a thread and records the kernel's execution_state."""

    def __init__(self, server: JupyterServer, kernel_id: str) -> None:
        self.samples: list[tuple[float, str]] = []
        self._url = f"{server.base_url}/api/kernels/{kernel_id}?token={server.token}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ServerStates:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self._url, timeout=5) as response:
                    state = json.loads(response.read())["execution_state"]
            except OSError:  # no answer in 5 s on a loaded machine: no sample (their number is checked)
                continue
            self.samples.append((time.time(), state))
            self._stop.wait(0.25)


def press_shift_enter_in(page: Any, index: int) -> float:
    """Click into cell ``index``'s editor and run it with Shift+Enter, as a person does; the time of the key."""
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content").click()
    pressed = time.time()
    page.keyboard.press("Shift+Enter")
    return pressed


def wait_until_linked(page: Any) -> None:
    linked = """async () => {
      const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
      const future = kernel.requestExecute({code: "print(get_ipython()._k2nb_magics.frontend.connected)",
                                            store_history: false});
      let out = "";
      future.onIOPub = (msg) => { if (msg.header.msg_type === "stream") out += msg.content.text; };
      await future.done;
      return out.trim();
    }"""
    for _ in range(60):
        if page.evaluate(linked) == "True":
            return
        time.sleep(0.5)
    raise AssertionError("the k2nb labextension never connected to the kernel")


def _page_config_untracked(page: Any) -> list[str]:
    raw = page.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).untracked_message_types ?? null"
    )
    return list(raw or [])


def test_the_kernel_reads_busy_for_the_whole_run_and_idle_after(
    page: Any, jupyter_server: JupyterServer, board: Switchboard
) -> None:
    ui = jupyter_server.ui
    board.script(SCRIPT, speed=SPEED)
    open_notebook(page, jupyter_server, f"status-{ui}.ipynb", ["%load_ext k2nb", "%%k2\nCount in three steps"])
    untracked = _page_config_untracked(page)
    assert "comm_msg" in untracked and "create_subshell_request" in untracked, (
        "the server did not load k2nb.notebook.serverext (its page config lacks the comm/subshell types); "
        f"reinstall k2nb (`pip install -e .`) so etc/jupyter/jupyter_server_config.d/k2nb.json exists: {untracked}"
    )
    press_shift_enter_in(page, 0)
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'", timeout=60_000
    )
    wait_until_linked(page)
    kernel_id = page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id")

    with ServerStates(jupyter_server, kernel_id) as server_states:
        page.evaluate(_START_SAMPLING)
        pressed = press_shift_enter_in(page, 1)
        for n in range(CALLS):
            run = page.locator(".k2nb-approval button", has_text="Run").first
            run.wait_for(timeout=60_000)
            if n == 1:
                screenshot(page, f"kernel-status-mid-run-{ui}")
            time.sleep(0.4)  # a person reads the code before clicking
            run.click()  # a comm message to the kernel's subshell, mid-run
        page.locator(".k2nb-static").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_function(
            "() => !window.jupyterapp.shell.currentWidget.content.widgets[1]"
            ".node.querySelector('.jp-InputPrompt').textContent.includes('*')",
            timeout=60_000,
        )
        time.sleep(2.0)  # samples after the end
        samples, statuses = page.evaluate(_STOP_SAMPLING)
    screenshot(page, f"kernel-status-after-run-{ui}")

    output = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets[1].outputArea.node.innerText")
    assert "Three steps ran and the kernel stayed busy." in output

    # The kernel's own clock for the cell: its busy and idle status messages for the execute request.
    def kernel_time(state: str) -> float:
        return max(
            datetime.fromisoformat(s["date"].replace("Z", "+00:00")).timestamp()
            for s in statuses
            if s["parent"] == "execute_request" and s["state"] == state
        )

    busy_at, ended_at = kernel_time("busy"), kernel_time("idle")
    running = [s for s in samples if "*" in s["prompt"]]
    assert running, f"no sample saw the cell running: {samples[:5]}"
    last_running = running[-1]["t"]
    duration = last_running - pressed
    assert duration >= 5, f"the run lasted {duration:.1f} s; too short to show anything"
    assert pressed - 1.0 <= busy_at < ended_at <= last_running + 3.0, (pressed, busy_at, ended_at, last_running)
    from_start = max(pressed, busy_at) + GRACE
    checked = [s for s in running if s["t"] >= from_start]
    assert len(checked) >= 15, len(checked)
    # What a person sees while the cell shows [*]: Busy, in every sample (JupyterLab's status bar, Notebook 7's
    # favicon, the toolbar's indicator).
    not_busy = [
        s
        for s in checked
        if s["display"] != "busy"
        or s["indicator"] not in (None, "busy")
        or (ui == "lab" and "| Busy" not in s["bar"])
        or (ui == "notebook" and "busy" not in s["favicon"])
    ]
    assert not not_busy, (
        f"{len(not_busy)} of {len(checked)} samples over {duration:.1f} s did not read busy while the cell ran; "
        f"first: {[(round(s['t'] - pressed, 2), s['display'], s['indicator'], s['bar']) for s in not_busy[:5]]}"
    )
    after = [s for s in samples if s["t"] >= last_running + 1.0]
    assert after and all(s["display"] == "idle" for s in after), after
    if ui == "lab":
        assert all("| Idle" in s["bar"] for s in after), after[-1]["bar"]
    else:
        assert all("busy" not in s["favicon"] for s in after), after[-1]["favicon"]

    # The tab's messages did reach the kernel mid-run (each approval click is a comm message the kernel
    # answers with busy/idle; those statuses no longer count).
    from_tab = [
        s["parent"]
        for s in statuses
        if busy_at <= datetime.fromisoformat(s["date"].replace("Z", "+00:00")).timestamp() <= ended_at
        and s["parent"] == "comm_msg"
    ]
    assert len(from_tab) >= 2 * CALLS, statuses

    # /api/kernels reads busy until the kernel itself said idle for the cell (the page may show the end a
    # moment after the server learns of it), then idle.
    during = [state for t, state in server_states.samples if from_start <= t < ended_at]
    assert len(during) >= 15, len(during)
    assert all(state == "busy" for state in during), (
        f"/api/kernels read {sorted(set(during))} while the cell ran: {during.count('idle')} idle of {len(during)}"
    )
    ended = [state for t, state in server_states.samples if t >= max(ended_at, last_running) + 1.0]
    assert ended and all(state == "idle" for state in ended), ended
    print(f"{ui}: run {duration:.1f} s; {len(checked)} page and {len(during)} server samples read busy")
