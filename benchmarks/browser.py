"""Browser: the live view in real JupyterLab in Chromium while the server streams at 200 tokens/s.

JupyterLab runs on a free port with a token; Playwright drives Debian's Chromium. A
PerformanceObserver('longtask') is installed before the page loads, and the Chrome DevTools
Protocol's Performance metrics give the scripting time (ScriptDuration) spent during the run.
The kernel websocket's received frames are counted too: what the page actually had to handle.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from k2nb.engines.server import Responder
from tests.harness.collaboration import collaboration_flags
from tests.harness.workload import API_KEY, K2_CELL, MODEL, PROMPT, Trace, chat_server, workload_env

from . import chatlab

CHROMIUM = "/usr/bin/chromium"
TOKEN = "k2nb-bench-token"

_OBSERVER = """
window.__k2nbLongTasks = [];
window.__k2nbObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__k2nbLongTasks.push({start: e.startTime, duration: e.duration});
});
window.__k2nbObserver.observe({type: "longtask", buffered: true});
// When the saved trace replaces the live view: a mutation callback runs at the end of the task
// that made the change, so this time falls inside the swap's task.
window.__k2nbSwapAt = null;
new MutationObserver((records, observer) => {
  for (const r of records) for (const n of r.addedNodes) {
    if (n.nodeType === 1 && (n.matches(".k2nb-static") || n.querySelector(".k2nb-static"))) {
      window.__k2nbSwapAt = performance.now();
      console.timeStamp("k2nb-swap");  // marks the task in a Chromium trace (K2NB_BENCH_TRACE)
      observer.disconnect();
      return;
    }
  }
}).observe(document, {childList: true, subtree: true});
"""
# An observer's callback comes some time after a task ends: the run's last tasks (the swap to the
# static trace) are still queued when the run is seen done. takeRecords() hands them over at once.
_LONG_TASKS = """(t0) => {
  for (const e of window.__k2nbObserver.takeRecords())
    window.__k2nbLongTasks.push({start: e.startTime, duration: e.duration});
  return {tasks: window.__k2nbLongTasks.filter(t => t.start >= t0), swapAt: window.__k2nbSwapAt};
}"""


@dataclass
class BrowserResult:
    peer: str  # "k2nb" or "chatlab"
    words: int
    tokens_per_second: float
    seconds: float  # run started -> final static output visible
    longest_task_ms: float
    long_tasks: int  # tasks over 50 ms during the run
    scripting_ms: float  # CDP ScriptDuration during the run
    task_ms: float  # CDP TaskDuration during the run (all main-thread work)
    layout_ms: float  # CDP LayoutDuration during the run
    style_ms: float  # CDP RecalcStyleDuration during the run
    ws_frames: int
    ws_bytes: int
    exact: bool
    tasks: list[tuple[float, float]]  # long tasks: (seconds after the run started, milliseconds)
    # k2nb only: the longest task while the run streamed (before the swap), the task that swapped the
    # live view for the saved trace (0: under 50 ms, so not a long task), the longest one after it
    # (JupyterLab's own work on a new HTML output: its first MathJax load, the headings scan).
    streaming_task_ms: float = 0.0
    swap_task_ms: float | None = None
    after_swap_task_ms: float = 0.0
    # With K2NB_BENCH_TRACE: the same tasks' CPU time on the main thread (from a Chromium trace),
    # which other work on the machine does not stretch as it stretches their wall time.
    streaming_task_cpu_ms: float | None = None
    swap_task_cpu_ms: float | None = None
    thread_ms: float = 0.0  # CDP ThreadTime during the run: the main thread's CPU time

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _notebook(path: Path, cells: list[str], kernel: str) -> None:
    nb = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [], "source": s}
            for i, s in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": kernel, "display_name": kernel, "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"JupyterLab did not answer at {url}")


def _metrics(cdp: Any) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def _cells(peer: str, base_url: str) -> tuple[list[str], str]:
    """The notebook's two cells (setup, then the streamed run) and its kernel name."""
    if peer == "chatlab":
        run = f"_ = await _bench_chatlab_run({base_url!r}, {API_KEY!r}, {MODEL!r}, {PROMPT!r})"
        return [chatlab.CHATLAB_SETUP.strip(), run], "chatlab-bench"
    return ["%load_ext k2nb", K2_CELL], "python3"


def _chatlab_kernelspec(data_dir: Path) -> None:
    spec = data_dir / "kernels" / "chatlab-bench"
    spec.mkdir(parents=True)
    argv = [str(chatlab.python()), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "chatlab-bench", "language": "python"}))


def measure(
    trace: Trace,
    *,
    peer: str = "k2nb",
    tokens_per_second: float = 200.0,
    timeout: float = 600,
    responder: Responder | None = None,
    k2_cell: str | None = None,
    done_text: str | None = None,
) -> BrowserResult:
    """One streamed run in JupyterLab. ``responder``/``k2_cell``/``done_text`` replace the single-turn
    trace with another scenario (e.g. a long tool-call run), ending when ``done_text`` shows."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: make chromium (Debian's package; never a download)")
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    with (
        tempfile.TemporaryDirectory(prefix="k2nb-bench-lab-") as tmp,
        chat_server(trace, tokens_per_second=tokens_per_second, responder=responder) as server,
    ):
        root = Path(tmp)
        cells, kernel = _cells(peer, server.base_url)
        if k2_cell is not None:
            cells = [cells[0], k2_cell]
        _notebook(root / "bench.ipynb", cells, kernel)
        port = _free_port()
        env = {**os.environ, **workload_env(server), "JUPYTER_CONFIG_DIR": str(root / "config")}
        (root / "state").mkdir()  # jupyter-collaboration's databases, out of the working directory
        if peer == "chatlab":
            _chatlab_kernelspec(root / "data")
            env.update(JUPYTER_PATH=str(root / "data"), OPENAI_API_KEY=API_KEY)
        lab = subprocess.Popen(
            [
                jupyter,
                "lab",
                "--allow-root",
                "--no-browser",
                f"--port={port}",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={TOKEN}",
                f"--ServerApp.root_dir={root}",
                "--LabApp.expose_app_in_browser=True",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                # A plain notebook, as the figures before jupyter-collaboration joined the test extra.
                *collaboration_flags(root / "state", collaborative=False),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(root / "lab.log", "w"),  # noqa: SIM115
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_http(f"{base}/api/status?token={TOKEN}")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                try:
                    return _drive(browser, base, trace, peer, tokens_per_second, timeout, done_text)
                finally:
                    browser.close()
        finally:
            lab.terminate()
            try:
                lab.wait(timeout=20)
            except subprocess.TimeoutExpired:
                lab.kill()


def _drive(
    browser: Any,
    base: str,
    trace: Trace,
    peer: str,
    tokens_per_second: float,
    timeout: float,
    done_text: str | None = None,
) -> BrowserResult:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(_OBSERVER)
    frames = {"count": 0, "bytes": 0, "on": False}

    def on_ws(ws: Any) -> None:
        def received(payload: Any) -> None:
            if frames["on"]:
                frames["count"] += 1
                frames["bytes"] += len(payload)

        ws.on("framereceived", received)

    page.on("websocket", on_ws)
    page.goto(f"{base}/lab/tree/bench.ipynb?token={TOKEN}")
    page.wait_for_function(
        "() => window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell')"
        " && window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
        timeout=120_000,
    )
    run_cell = "() => { window.jupyterapp.commands.execute('notebook:run-cell-and-select-next'); }"
    page.evaluate(run_cell)  # the setup cell; fire and forget (the promise settles at cell end)
    page.wait_for_function(
        "() => { const c = document.querySelectorAll('.jp-Notebook .jp-Cell')[0];"
        " return c && c.querySelector('.jp-InputPrompt')?.textContent.includes('[1]'); }",
        timeout=60_000,
    )
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    profile = os.environ.get("K2NB_BENCH_CPUPROFILE")  # a path: save a CPU profile of the run (DevTools format)
    if profile:
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        cdp.send("Profiler.start")
    # A path: record a Chromium trace of the run, and read the tasks' CPU time from it.
    trace_file = os.environ.get("K2NB_BENCH_TRACE")
    if trace_file:
        browser.start_tracing(page=page, path=trace_file, categories=["devtools.timeline", "toplevel"])
    before = _metrics(cdp)
    start_ms = page.evaluate("() => performance.now()")
    frames["on"] = True
    t0 = time.perf_counter()
    # Run the cell in place: run-and-advance would also insert a new cell below (JupyterLab's own
    # 50-70 ms task: a new editor), which is not the live view's work.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-cell'); }")
    last_sentence = done_text or trace.content.strip().split("\n")[-1][-60:]
    page.wait_for_function(
        "(tail) => { const c = document.querySelectorAll('.jp-Notebook .jp-Cell')[1];"
        " const done = /\\[\\d+\\]/.test(c?.querySelector('.jp-InputPrompt')?.textContent || '');"
        " return done && c.querySelector('.jp-OutputArea').textContent.includes(tail); }",
        arg=last_sentence,
        timeout=timeout * 1000,
        polling=500,
    )
    seconds = time.perf_counter() - t0
    frames["on"] = False
    after = _metrics(cdp)
    if profile:
        Path(profile).write_text(json.dumps(cdp.send("Profiler.stop")["profile"]), encoding="utf-8")
    cpu: dict[str, float] = {}
    if trace_file:
        browser.stop_tracing()
        cpu = task_cpu(Path(trace_file))
    seen = page.evaluate(_LONG_TASKS, start_ms)
    tasks = seen["tasks"]
    text = page.evaluate(
        "() => document.querySelectorAll('.jp-Notebook .jp-Cell')[1].querySelector('.jp-OutputArea').textContent"
    )
    shown = (trace.content,) if peer == "chatlab" else (trace.reasoning, trace.content)  # ChatLab drops reasoning
    exact = all(" ".join(p.split()) in " ".join(text.split()) for p in shown) if done_text is None else True
    return BrowserResult(
        peer=peer,
        words=trace.words,
        tokens_per_second=tokens_per_second,
        seconds=seconds,
        longest_task_ms=max((t["duration"] for t in tasks), default=0.0),
        long_tasks=len(tasks),
        scripting_ms=1000 * (after["ScriptDuration"] - before["ScriptDuration"]),
        task_ms=1000 * (after["TaskDuration"] - before["TaskDuration"]),
        layout_ms=1000 * (after["LayoutDuration"] - before["LayoutDuration"]),
        style_ms=1000 * (after["RecalcStyleDuration"] - before["RecalcStyleDuration"]),
        thread_ms=1000 * (after["ThreadTime"] - before["ThreadTime"]),
        ws_frames=frames["count"],
        ws_bytes=frames["bytes"],
        exact=exact,
        tasks=[(round((t["start"] - start_ms) / 1000, 2), round(t["duration"])) for t in tasks],
        **_split_at_swap(tasks, seen["swapAt"]),
        **cpu,
    )


def task_cpu(path: Path) -> dict[str, float]:
    """The swap's task and the longest task before it (while the run streamed), as CPU time of the
    page's main thread, from a Chromium trace whose swap is marked (``console.timeStamp``)."""
    loaded = json.loads(path.read_text(encoding="utf-8"))
    events: list[dict[str, Any]] = loaded["traceEvents"] if isinstance(loaded, dict) else loaded
    marks = [e for e in events if e.get("name") == "TimeStamp" and "k2nb-swap" in json.dumps(e.get("args", {}))]
    if not marks:
        return {}
    mark = marks[0]
    # The scheduler's top-level slices: a task (RunTask), or the microtask checkpoint after it.
    thread = (mark["pid"], mark["tid"])
    tasks = [e for e in events if e.get("ph") == "X" and e.get("cat") == "toplevel" and (e["pid"], e["tid"]) == thread]
    swap = sorted((t for t in tasks if t["ts"] <= mark["ts"] <= t["ts"] + t["dur"]), key=lambda t: -t["dur"])
    earlier = [t.get("tdur", 0) for t in tasks if t["ts"] + t["dur"] < mark["ts"]]
    return {
        "swap_task_cpu_ms": swap[0].get("tdur", 0) / 1000 if swap else 0.0,
        "streaming_task_cpu_ms": max(earlier, default=0) / 1000,
    }


def _split_at_swap(tasks: list[dict[str, float]], swap_at: float | None) -> dict[str, Any]:
    """The long tasks before, of and after the swap to the saved trace (none for a run without one)."""
    if swap_at is None:
        return {}
    during = [t for t in tasks if t["start"] <= swap_at <= t["start"] + t["duration"]]
    return {
        "streaming_task_ms": max((t["duration"] for t in tasks if t["start"] + t["duration"] < swap_at), default=0.0),
        "swap_task_ms": during[0]["duration"] if during else 0.0,
        "after_swap_task_ms": max((t["duration"] for t in tasks if t["start"] > swap_at), default=0.0),
    }


def report(result: BrowserResult) -> str:
    return (
        f"browser [{result.peer}]: {result.words:,} words at {result.tokens_per_second:g} tok/s "
        f"in {result.seconds:.1f} s: "
        f"longest main-thread task {result.longest_task_ms:.0f} ms ({result.long_tasks} over 50 ms{_split(result)}), "
        f"scripting {result.scripting_ms / 1000:.2f} s, layout {result.layout_ms / 1000:.2f} s, "
        f"style {result.style_ms / 1000:.2f} s, all main-thread tasks {result.task_ms / 1000:.2f} s "
        f"(CPU {result.thread_ms / 1000:.2f} s); "
        f"kernel websocket {result.ws_frames} frames, {result.ws_bytes:,} B; final text exact: {result.exact}"
    )


def _split(result: BrowserResult) -> str:
    if result.swap_task_ms is None:
        return ""
    swap = f"{result.swap_task_ms:.0f} ms" if result.swap_task_ms else "< 50 ms"
    after = result.after_swap_task_ms
    text = f"; streaming {result.streaming_task_ms:.0f} ms, the swap {swap}, after it {after:.0f} ms"
    if result.swap_task_cpu_ms is not None:
        text += (
            f"; CPU time: the swap {result.swap_task_cpu_ms:.0f} ms, "
            f"the longest task while streaming {result.streaming_task_cpu_ms or 0:.0f} ms"
        )
    return text
