"""The peer: ChatLab 2.1.1 on the same machine, loopback server and stream.

ChatLab needs openai<2, which conflicts with k2nb's openai 3, so it runs in its own venv
(``build/bench-venv``, created here with ``pip install chatlab==2.1.1 ipykernel`` when missing)
and its own kernel. The bare SDK baseline is measured in that same kernel with that venv's SDK,
interleaved with ChatLab, so each ratio compares like with like. ChatLab reads only
``delta.content``: it shows the answer and drops the reasoning (the stream still carries it).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness.kernel import Kernel
from tests.harness.traffic import max_in_window
from tests.harness.workload import API_KEY, MODEL, PROMPT, Trace, chat_server

from .common import BARE_SDK_SETUP, ROOT, bare_sdk_code, median

VERSION = "2.1.1"
VENV = ROOT / "build" / "bench-venv"

CHATLAB_SETUP = """
import chatlab as _bench_chatlab

async def _bench_chatlab_run(base_url, api_key, model, prompt):
    chat = _bench_chatlab.Chat(base_url=base_url, api_key=api_key, model=model)
    await chat.submit(prompt)
    return chat
"""


def python() -> Path:
    """The venv's interpreter with ChatLab installed; creates the venv the first time (PyPI)."""
    exe = VENV / "bin" / "python"
    probe = [str(exe), "-c", f"import chatlab, ipykernel; assert chatlab.__version__ == {VERSION!r}"]
    if exe.exists() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return exe
    print(f"chatlab: creating {VENV} with chatlab=={VERSION} (one time)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(exe), "-m", "pip", "install", "-q", f"chatlab=={VERSION}", "ipykernel"], check=True)
    subprocess.run(probe, check=True)
    return exe


@dataclass
class ChatLabResult:
    words: int
    text_bytes: int
    answer_bytes: int
    total_bytes: int = 0
    display_msgs: int = 0
    per_second: float = 0.0  # display messages per second while streaming
    max_per_second: int = 0  # most display messages in any one-second window
    answer_shown: bool = False
    bare: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.total_bytes / self.text_bytes

    @property
    def answer_ratio(self) -> float:
        return self.total_bytes / self.answer_bytes

    @property
    def time_ratio(self) -> float:
        return median([s / b for s, b in zip(self.seconds, self.bare, strict=True)])

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "ratio": self.ratio,
            "answer_ratio": self.answer_ratio,
            "time_ratio": self.time_ratio,
        }


def measure(trace: Trace, *, repeats: int = 3) -> ChatLabResult:
    exe = python()
    result = ChatLabResult(trace.words, trace.text_bytes, len(trace.content.encode()))
    with chat_server(trace) as server, Kernel({"OPENAI_API_KEY": API_KEY}, python=str(exe), cwd=ROOT) as kernel:
        kernel.execute(BARE_SDK_SETUP, timeout=600, check=True)
        kernel.execute(CHATLAB_SETUP, timeout=600, check=True)
        bare = bare_sdk_code(server)
        peer = f"_ = await _bench_chatlab_run({server.base_url!r}, {API_KEY!r}, {MODEL!r}, {PROMPT!r})"
        kernel.execute(bare, timeout=600, check=True)  # warm-up
        for i in range(repeats):
            result.bare.append(kernel.execute(bare, timeout=600, check=True).seconds)
            execution = kernel.execute(peer, timeout=600, check=True)
            result.seconds.append(execution.seconds)
            if i == 0:
                result.total_bytes = execution.nbytes
                displays = [m for m in execution.messages if m.msg_type in ("display_data", "update_display_data")]
                result.display_msgs = len(displays)
                times = [m.sent for m in displays]
                span = times[-1] - times[0] if len(times) > 1 else 0.0
                result.per_second = len(times) / span if span > 0 else float(len(times))
                result.max_per_second = max_in_window(times)
                last = str(displays[-1].content.get("data", {}).get("text/markdown", "")) if displays else ""
                result.answer_shown = trace.content.strip() in last
    return result


def report(result: ChatLabResult) -> str:
    return (
        f"chatlab {VERSION}: iopub {result.total_bytes:,} B = {result.ratio:.1f}x the trace's text "
        f"({result.answer_ratio:.0f}x the answer, the only text it shows) in {result.display_msgs} display messages "
        f"({result.per_second:.0f}/s, max {result.max_per_second} in 1 s); "
        f"median {median(result.seconds):.2f} s vs bare SDK {median(result.bare):.2f} s = {result.time_ratio:.2f}x; "
        f"answer shown in full: {result.answer_shown}"
    )
