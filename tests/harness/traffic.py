"""Frontend bytes: everything the kernel publishes on iopub for one ``%%k2`` cell, against the text's size.

Also reads the live view's contract off the wire: deltas are batched (the comm message rate stays
bounded), the text reassembled from the append ops equals the streamed text exactly, and the final
static output (what the notebook keeps) holds the full text. tests/integration/test_cell_traffic.py
asserts on these figures; ``python -m benchmarks`` reports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.harness.kernel import Execution, Kernel, WireMessage
from tests.harness.live import lane_text
from tests.harness.outputs import fold_spaces, html_text
from tests.harness.tab import Tab
from tests.harness.workload import K2_CELL, Trace, chat_server, workload_env


@dataclass
class BytesResult:
    label: str
    words: int
    text_bytes: int
    total_bytes: int
    comm_msgs: int
    comm_bytes: int
    final_bytes: int  # the display messages that carry the static trace
    other_bytes: int
    stream_seconds: float  # first to last comm message
    max_per_second: int  # most comm messages in any one-second window
    seconds: float
    live_exact: bool
    final_exact: bool
    # Where the bytes go (they sum to total_bytes): the Jupyter envelopes of every message; the live
    # stream (deflated ops and their comm content); the saved copy, which without the labextension
    # is its HTML's text, markup and <style> plus the plain digest (with it, one deflated bundle);
    # and the rest of the contents (status, execute_input, the widget's comm_open and close, display).
    parts: dict[str, int] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.total_bytes / self.text_bytes

    @property
    def per_second(self) -> float:
        return self.comm_msgs / self.stream_seconds if self.stream_seconds > 0 else float(self.comm_msgs)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ratio": self.ratio, "per_second": self.per_second}

    def report(self) -> str:
        parts = ", ".join(f"{name} {size:,}" for name, size in self.parts.items())
        return (
            f"bytes [{self.label}]: {self.words:,} words, text {self.text_bytes:,} B -> iopub "
            f"{self.total_bytes:,} B = {self.ratio:.2f}x text (live comm {self.comm_bytes:,} B in "
            f"{self.comm_msgs} msgs, final static {self.final_bytes:,} B, other {self.other_bytes:,} B; "
            f"by part: {parts}); "
            f"{self.per_second:.1f} updates/s (max {self.max_per_second} in 1 s) over {self.stream_seconds:.1f} s; "
            f"live text exact: {self.live_exact}; final text exact: {self.final_exact}"
        )


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def is_handoff(message: WireMessage) -> bool:
    return message.msg_type == "comm_msg" and (message.content.get("data") or {}).get("op") == "trace-static"


def text_from_bundle(execution: Execution) -> str:
    """The text a reader sees in the final static HTML the kernel sent (tags stripped, entities decoded)."""
    updates = [m for m in execution.messages if m.msg_type in ("update_display_data", "display_data")]
    for m in reversed(updates):
        data = m.content.get("data", {})
        if "text/html" in data:
            return html_text(str(data["text/html"]))
    return ""


def _payload(message: WireMessage) -> int:
    return message.content_bytes + sum(len(b) for b in message.buffers)


def _saved_parts(execution: Execution, finals: list[WireMessage]) -> dict[str, int]:
    """The saved copy by part: without the labextension the kernel's HTML (text, markup, <style>) and
    plain digest; with it, the deflated bundle the tab took."""
    sent = [m for m in finals if m.msg_type == "update_display_data"]
    if not sent:
        return {"saved copy (deflated)": sum(_payload(m) for m in finals)}
    data = sent[-1].content.get("data", {})
    page = str(data.get("text/html", ""))
    style = page[: page.index("</style>") + len("</style>")] if page.startswith("<style>") else ""
    text = sum(len(chunk.encode()) for chunk in re.split(r"<[^>]+>", page[len(style) :]))  # between tags
    markup = len(page.encode()) - len(style.encode()) - text
    plain = len(str(data.get("text/plain", "")).encode())
    rest = sum(_payload(m) for m in finals) - text - markup - len(style.encode()) - plain
    return {
        "saved HTML text": text,
        "saved HTML markup": markup + rest,  # and the JSON around the bundle (quotes, escapes, keys)
        "saved <style>": len(style.encode()),
        "saved plain digest": plain,
    }


def analyse(label: str, trace: Trace, execution: Execution, saved_html: str | None = None) -> BytesResult:
    """``saved_html``: the saved trace as the tab received it (else the kernel's update_display)."""
    comms = [m for m in execution.of_type("comm_msg") if not is_handoff(m)]
    finals = [m for m in execution.messages if m.msg_type == "update_display_data" or is_handoff(m)]
    times = [m.sent for m in comms]  # kernel-side send times
    # the saved HTML holds the full trace; text/plain only a digest
    shown = text_from_bundle(execution) if saved_html is None else html_text(saved_html)
    comm_bytes = sum(m.nbytes for m in comms)
    final_bytes = sum(m.nbytes for m in finals)
    envelopes = sum(m.envelope_bytes for m in execution.messages)
    live = sum(_payload(m) for m in comms)
    saved = _saved_parts(execution, finals)
    parts = {
        "envelopes": envelopes,
        "live stream": live,
        **saved,
        "other contents": execution.nbytes - envelopes - live - sum(saved.values()),
    }
    return BytesResult(
        label=label,
        words=trace.words,
        text_bytes=trace.text_bytes,
        total_bytes=execution.nbytes,
        comm_msgs=len(comms),
        comm_bytes=comm_bytes,
        final_bytes=final_bytes,
        other_bytes=execution.nbytes - comm_bytes - final_bytes,
        stream_seconds=(times[-1] - times[0]) if len(times) > 1 else 0.0,
        max_per_second=max_in_window(times),
        seconds=execution.seconds,
        live_exact=lane_text(execution.batches, "think") == trace.reasoning
        and lane_text(execution.batches, "text") == trace.content,
        final_exact=fold_spaces(trace.reasoning) in shown and fold_spaces(trace.content) in shown,
        parts=parts,
    )


def run_k2_cell(kernel: Kernel, tab: Tab | None = None) -> Execution:
    def answer(message: WireMessage) -> None:
        if tab is not None and message.msg_type == "comm_msg":
            tab.answer_handoff(message.content.get("data"), message.buffers)

    return kernel.execute(K2_CELL, on_message=answer, timeout=600, check=True)


def measure(
    trace: Trace,
    *,
    tokens_per_second: float | None = None,
    label: str = "",
    labextension: bool = True,
    warm: bool = False,
) -> BytesResult:
    """One %%k2 cell's iopub bytes. With ``labextension``, a stand-in tab (tests/harness/tab.py) is
    linked as in JupyterLab/Notebook 7 and takes the saved trace deflated; without it (VS Code,
    Colab, nbclient) the kernel sends the saved trace itself. With ``warm``, the measured cell is the
    page's second run: the view's code already crossed with the first (view_code.py)."""
    pace = "unpaced" if tokens_per_second is None else f"{tokens_per_second:g} tok/s"
    where = ("labextension" if labextension else "no labextension") + (", a page's later run" if warm else "")
    with chat_server(trace, tokens_per_second=tokens_per_second) as server, Kernel(workload_env(server)) as kernel:
        kernel.execute("%load_ext k2nb", check=True)
        tab = None
        if labextension:
            tab = Tab(kernel.client)
            tab.hello(capabilities=["trace-static", "trace-style"])  # as the labextension (link.ts)
            wait = "import time\nwhile not get_ipython()._k2nb_magics.frontend.connected: time.sleep(0.05)"
            kernel.execute(wait, check=True)
        if warm:
            run_k2_cell(kernel, tab)
            if tab is not None:
                tab.handoffs.clear()
        execution = run_k2_cell(kernel, tab)
        saved = None
        if tab is not None:
            saved = str(tab.handoffs[-1].get("text/html", "")) if len(tab.handoffs) == 1 else ""
        return analyse(label or f"{pace}, {where}", trace, execution, saved)
