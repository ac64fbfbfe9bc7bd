"""Frontend bytes: everything the kernel publishes on iopub for one ``%%k2`` cell, against the text's size.

Also checks the live view's contract: deltas are batched (the comm message rate stays bounded),
the text reassembled from the append ops equals the streamed text exactly, and the final static
output (what the notebook keeps) holds the full text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from k2nb.ui.live_codec import Op, OpsDecoder

from .common import (
    Execution,
    Kernel,
    Trace,
    WireMessage,
    chat_server,
    fold_spaces,
    html_text,
    provider_env,
    text_from_bundle,
)
from .tab import Tab


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

    @property
    def ratio(self) -> float:
        return self.total_bytes / self.text_bytes

    @property
    def per_second(self) -> float:
        return self.comm_msgs / self.stream_seconds if self.stream_seconds > 0 else float(self.comm_msgs)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ratio": self.ratio, "per_second": self.per_second}


def live_batches(execution: Execution) -> list[list[Op]]:
    """The widget's batches of ops, in arrival order, inflated as the browser does."""
    batches: list[list[Op]] = []
    decoder = OpsDecoder()
    for m in execution.of_type("comm_msg"):
        data = m.content.get("data", {})
        if data.get("method") != "custom":
            continue
        content = data.get("content") or {}
        if content.get("z"):
            for buffer in m.buffers:
                batches.extend(decoder.decode(buffer))
        elif "ops" in content:
            batches.append(content["ops"])
    return batches


def live_text(execution: Execution) -> dict[str, str]:
    """Reassemble each block's text from the widget's append ops, in arrival order."""
    blocks: dict[str, str] = {}
    for batch in live_batches(execution):
        for op in batch:
            if op.get("op") == "append":
                blocks[op["id"]] = blocks.get(op["id"], "") + op["text"]
    return blocks


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def is_handoff(message: WireMessage) -> bool:
    return message.msg_type == "comm_msg" and (message.content.get("data") or {}).get("op") == "trace-static"


def analyse(label: str, trace: Trace, execution: Execution, saved_html: str | None = None) -> BytesResult:
    """``saved_html``: the saved trace as the tab received it (else the kernel's update_display)."""
    comms = [m for m in execution.of_type("comm_msg") if not is_handoff(m)]
    finals = [m for m in execution.messages if m.msg_type == "update_display_data" or is_handoff(m)]
    times = [m.sent for m in comms]  # kernel-side send times
    blocks = live_text(execution)
    think = "".join(v for k, v in blocks.items() if k.endswith("-think"))
    answer = "".join(v for k, v in blocks.items() if k.endswith("-text"))
    # the saved HTML holds the full trace; text/plain only a digest
    shown = text_from_bundle(execution) if saved_html is None else html_text(saved_html)
    comm_bytes = sum(m.nbytes for m in comms)
    final_bytes = sum(m.nbytes for m in finals)
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
        live_exact=think == trace.reasoning and answer == trace.content,
        final_exact=fold_spaces(trace.reasoning) in shown and fold_spaces(trace.content) in shown,
    )


def run_k2_cell(kernel: Kernel, tab: Tab | None = None) -> Execution:
    from .common import PROMPT

    def answer(message: WireMessage) -> None:
        if tab is not None and message.msg_type == "comm_msg":
            tab.answer_handoff(message.content.get("data"), message.buffers)

    return kernel.execute(f"%%k2 --new\n{PROMPT}", on_message=answer)


def measure(
    trace: Trace,
    *,
    tokens_per_second: float | None = None,
    label: str = "",
    labextension: bool = True,
    warm: bool = False,
) -> BytesResult:
    """One %%k2 cell's iopub bytes. With ``labextension``, a stand-in tab (benchmarks/tab.py) is
    linked as in JupyterLab/Notebook 7 and takes the saved trace deflated; without it (VS Code,
    Colab, nbclient) the kernel sends the saved trace itself. With ``warm``, the measured cell is the
    page's second run: the view's code already crossed with the first (view_code.py)."""
    pace = "unpaced" if tokens_per_second is None else f"{tokens_per_second:g} tok/s"
    where = ("labextension" if labextension else "no labextension") + (", a page's later run" if warm else "")
    with chat_server(trace, tokens_per_second=tokens_per_second) as server, Kernel(env=provider_env(server)) as kernel:
        kernel.execute("%load_ext k2nb")
        tab = None
        if labextension:
            tab = Tab(kernel.kc)
            tab.hello(capabilities=["trace-static"])
            kernel.execute("import time\nwhile not get_ipython()._k2nb_magics.frontend.connected: time.sleep(0.05)")
        if warm:
            run_k2_cell(kernel, tab)
            if tab is not None:
                tab.handoffs.clear()
        execution = run_k2_cell(kernel, tab)
        saved = None
        if tab is not None:
            saved = str(tab.handoffs[-1].get("text/html", "")) if len(tab.handoffs) == 1 else ""
        return analyse(label or f"{pace}, {where}", trace, execution, saved)


def report(result: BytesResult) -> str:
    return (
        f"bytes [{result.label}]: {result.words:,} words, text {result.text_bytes:,} B -> iopub "
        f"{result.total_bytes:,} B = {result.ratio:.2f}x text (live comm {result.comm_bytes:,} B in "
        f"{result.comm_msgs} msgs, final static {result.final_bytes:,} B, other {result.other_bytes:,} B); "
        f"{result.per_second:.1f} updates/s (max {result.max_per_second} in 1 s) over {result.stream_seconds:.1f} s; "
        f"live text exact: {result.live_exact}; final text exact: {result.final_exact}"
    )
