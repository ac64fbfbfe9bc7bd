"""What the browser tests share besides conftest's fixtures: the loopback K2 server whose script
each test swaps (conftest's ``board``), and the page helpers every k2nb browser test uses (run a
cell, wait, read an output, link, approve)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat

from k2nb.engines.script import ScriptedEngine
from k2nb.engines.server import ChatServer
from tests.browser.conftest import screenshot


def _tool(code: str) -> str:
    return "tool: code_interpreter " + json.dumps({"code": code})


class Switchboard:
    """One loopback server whose script the tests swap (the kernels' K2NB_BASE_URL stays fixed)."""

    def __init__(self) -> None:
        self.engine = ScriptedEngine.from_text("text: idle")
        self.server = ChatServer(lambda request: self.engine(request), dialect="moonshot").start()  # noqa: PLW0108 - engine is swapped per test

    def script(self, text: str, *, speed: float | None = None) -> None:
        self.engine = ScriptedEngine.from_text(text)
        self.server.tokens_per_second = speed
        self.server.requests.clear()


def run_cell(page: Any, index: int) -> None:
    # Fire and forget: the command's promise settles only when the cell finishes.
    page.evaluate(
        """(i) => { const nb = window.jupyterapp.shell.currentWidget; nb.content.activeCellIndex = i;
                    void window.jupyterapp.commands.execute('notebook:run-cell'); }""",
        index,
    )


def wait_idle(page: Any, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
        timeout=timeout,
    )


def wait_kernel_answers(page: Any, timeout: float = 60.0) -> None:
    """Until the page's kernel answers a kernel_info request: after a restart, not its indicator. JupyterLab
    ignores the status of kernel_info (jupyter_server's untracked types), so when the new kernel's startup
    statuses go out before the page reconnects, the indicator reads "Unknown" until the next execution."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answered = page.evaluate(
            """async () => {
                const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel;
                if (!kernel || kernel.connectionStatus !== 'connected') return false;
                const late = new Promise(resolve => setTimeout(() => resolve(false), 5000));
                return Promise.race([kernel.requestKernelInfo().then(() => true, () => false), late]);
            }"""
        )
        if answered:
            return
        time.sleep(0.5)
    raise AssertionError(f"the kernel did not answer within {timeout:.0f} s")


def output_text(page: Any, index: int, *, folded: bool = False) -> str:
    """What the output shows; with ``folded``, also the text inside closed <details> (one click away)."""
    prop = "textContent" if folded else "innerText"
    return str(
        page.evaluate(f"(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].outputArea.node.{prop}", index)
    )


_LINKED = """async () => {
  const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
  if (!kernel) return "";
  const future = kernel.requestExecute({
    code: "print(get_ipython()._k2nb_magics.frontend.connected)", silent: false, store_history: false });
  let out = "";
  future.onIOPub = (msg) => { if (msg.header.msg_type === "stream") out += msg.content.text; };
  await future.done;
  return out.trim();
}"""


def wait_output(page: Any, index: int, text: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        """([i, text]) => window.jupyterapp.shell.currentWidget.content.widgets[i]
             .outputArea.node.textContent.includes(text)""",
        arg=[index, text],
        timeout=timeout,
    )


def wait_for_link(page: Any) -> None:
    """The labextension opens its comm at the next idle after `%load_ext k2nb`; wait until it has."""
    run_cell(page, 0)
    wait_idle(page)
    for _ in range(60):
        if page.evaluate(_LINKED) == "True":
            return
        time.sleep(0.5)
    raise AssertionError("the k2nb labextension never connected to the kernel")


def change_theme(page: Any, name: str, light: bool) -> None:
    """JupyterLab's theme, as Settings → Theme sets it; returns once its stylesheet applies."""
    page.evaluate("(t) => { void window.jupyterapp.commands.execute('apputils:change-theme', {theme: t}); }", name)
    page.wait_for_function("(light) => document.body.dataset.jpThemeLight === String(light)", arg=light, timeout=30_000)
    time.sleep(0.5)  # the theme's stylesheet applies a moment after the flag


def approval_box(page: Any, nth: int) -> Any:
    box = page.locator(".k2nb-approval").nth(nth)
    try:
        box.locator("button", has_text="Run").first.wait_for(timeout=30_000)
    except Exception:
        screenshot(page, "approval-timeout")
        raise AssertionError("no approval buttons; the output shows:\n" + output_text(page, 1)) from None
    return box


def wait_saved_notebook(path: Path, check: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    """Poll a notebook file until `check(notebook)` holds; return the notebook.

    jupyter_server saves in place (its "atomic" writing keeps a backup copy, not a rename), so a
    read can land between the truncate and the write and see an empty or partial file: that read
    counts as "not saved yet", not as a failure.
    """
    deadline = time.monotonic() + timeout
    last = "nothing readable"
    while True:
        try:
            saved = nbformat.read(path, as_version=4)
        except (OSError, nbformat.reader.NotJSONError, json.JSONDecodeError) as unreadable:
            last = f"unreadable mid-write: {unreadable}"
        else:
            if check(saved):
                return saved
            last = repr([c.source for c in saved.cells])
        assert time.monotonic() < deadline, f"the saved file never held it; last read: {last}"
        time.sleep(0.2)
