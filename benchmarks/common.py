"""What every benchmark shares: the trace, the loopback server, and a kernel whose iopub wire bytes we count.

The kernel is a real one (jupyter_client). Its iopub socket is read raw, so the byte counts are
the frames the kernel actually sent for the cell: header, parent header, metadata, content, buffers.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from k2nb.engines.server import ChatServer, Responder
from k2nb.engines.wire import Turn

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "sk-k2nb-bench-0123456789"
MODEL = "kimi-k2-thinking"
PROMPT = "Think it through at length, then answer."
FRAGMENT_CHARS = 4  # about one token per SSE chunk, as the real K2 hosts stream

_VOCABULARY = (
    "the model weighs each option before it answers so the trace grows long and the view must keep up "
    "kernel notebook cell output widget stream token delta batch render append reasoning answer tool "
    "prime number digit sum list loop value result error check again maybe consider instead however "
    "therefore first second third finally because although while whereas since unless until"
)
_WORDS = _VOCABULARY.split()


@dataclass(frozen=True)
class Trace:
    reasoning: str
    content: str

    @property
    def text_bytes(self) -> int:
        return len(self.reasoning.encode()) + len(self.content.encode())

    @property
    def words(self) -> int:
        return len(self.reasoning.split()) + len(self.content.split())


def prose(words: int, seed: int) -> str:
    """Deterministic sentences and paragraphs of ``words`` words (plain text, Markdown-neutral)."""
    rng = random.Random(seed)
    out: list[str] = []
    sentence = 0
    for i in range(words):
        word = rng.choice(_WORDS)
        if sentence == 0:
            word = word.capitalize()
        sentence += 1
        end = i == words - 1 or (sentence > 6 and rng.random() < 0.15)
        out.append(word + ("." if end else ""))
        if end:
            sentence = 0
            out.append("\n\n" if rng.random() < 0.2 else " ")
        else:
            out.append(" ")
    return "".join(out).strip()


def make_trace(reasoning_words: int, answer_words: int) -> Trace:
    return Trace(prose(reasoning_words, 1), prose(answer_words, 2))


@contextmanager
def chat_server(
    trace: Trace, *, tokens_per_second: float | None = None, responder: Responder | None = None
) -> Iterator[ChatServer]:
    """The loopback K2-shaped server, streaming ``trace`` as one turn to every request (or ``responder``'s)."""
    turn = Turn(reasoning=trace.reasoning, content=trace.content)
    server = ChatServer(
        responder or (lambda body: turn),
        api_key=API_KEY,
        models=(MODEL,),
        tokens_per_second=tokens_per_second,
        fragment_chars=FRAGMENT_CHARS,
    )
    with server:
        yield server


def provider_env(server: ChatServer) -> dict[str, str]:
    return {"K2NB_BASE_URL": server.base_url, "K2NB_API_KEY": API_KEY, "K2NB_MODEL": MODEL}


# The baseline: the openai SDK's own streaming loop, nothing rendered. Same code in every kernel.
BARE_SDK_SETUP = """
import openai as _bench_openai

def _bench_bare(base_url, api_key, model, prompt):
    client = _bench_openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}], stream=True,
        stream_options={"include_usage": True}, max_tokens=32768, temperature=1.0,
    )
    reasoning, content = [], []
    for chunk in stream:
        if chunk.choices:
            delta = chunk.choices[0].delta
            piece = getattr(delta, "reasoning_content", None)
            if piece:
                reasoning.append(piece)
            if delta.content:
                content.append(delta.content)
    return len("".join(reasoning)), len("".join(content))
"""


def bare_sdk_code(server: ChatServer) -> str:
    return f"print(_bench_bare({server.base_url!r}, {API_KEY!r}, {MODEL!r}, {PROMPT!r}))"


@dataclass
class WireMessage:
    msg_type: str
    nbytes: int
    at: float  # seconds since the execute request was sent, on the client
    sent: float  # the kernel's send time (header date), POSIX seconds
    content: dict[str, Any]
    buffers: list[bytes] = field(default_factory=list)


@dataclass
class Execution:
    seconds: float  # execute request sent -> status idle received, on the client
    messages: list[WireMessage] = field(default_factory=list)
    reply_status: str = ""

    @property
    def nbytes(self) -> int:
        return sum(m.nbytes for m in self.messages)

    def of_type(self, msg_type: str) -> list[WireMessage]:
        return [m for m in self.messages if m.msg_type == msg_type]

    def text(self) -> str:
        """Streams and errors, for diagnostics."""
        parts = []
        for m in self.messages:
            if m.msg_type == "stream":
                parts.append(m.content.get("text", ""))
            elif m.msg_type == "error":
                parts.append(f"{m.content.get('ename')}: {m.content.get('evalue')}")
        return "".join(parts)


class Kernel:
    """A real kernel; ``execute`` returns every iopub message of the cell with its wire size."""

    def __init__(self, python: str = sys.executable, env: dict[str, str] | None = None) -> None:
        self._specs = tempfile.TemporaryDirectory(prefix="k2nb-bench-kernels-")
        spec_dir = Path(self._specs.name) / "bench"
        spec_dir.mkdir()
        spec = {
            "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "bench",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        specs = KernelSpecManager(kernel_dirs=[self._specs.name])
        self.km = KernelManager(kernel_name="bench", kernel_spec_manager=specs)
        full_env = {**os.environ, **(env or {})}
        self.km.start_kernel(env=full_env, cwd=str(ROOT))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self._socket = self.kc.iopub_channel.socket

    def execute(
        self, code: str, *, timeout: float = 600, on_message: Callable[[WireMessage], None] | None = None
    ) -> Execution:
        self._drain()
        session = self.kc.session
        start = time.perf_counter()
        msg_id = self.kc.execute(code)
        result = Execution(seconds=0.0)
        deadline = start + timeout
        while True:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"cell did not finish in {timeout:g} s:\n{code[:200]}")
            if not self._socket.poll(1000):
                continue
            frames = self._socket.recv_multipart(copy=True)
            now = time.perf_counter() - start
            _, parts = session.feed_identities(frames, copy=True)
            parent = json.loads(parts[2])
            if parent.get("msg_id") != msg_id:
                continue
            header = json.loads(parts[1])
            content = json.loads(parts[4])
            sent = datetime.fromisoformat(header["date"].replace("Z", "+00:00")).timestamp()
            size = sum(len(p) for p in parts[1:])
            message = WireMessage(header["msg_type"], size, now, sent, content, list(parts[5:]))
            result.messages.append(message)
            if on_message is not None:
                on_message(message)
            if header["msg_type"] == "status" and content.get("execution_state") == "idle":
                result.seconds = now
                break
        reply = self.kc.get_shell_msg(timeout=30)
        result.reply_status = reply["content"].get("status", "")
        if result.reply_status != "ok":
            raise RuntimeError(f"cell failed: {reply['content'].get('evalue')}\n{result.text()}")
        return result

    def _drain(self) -> None:
        while self._socket.poll(0):
            self._socket.recv_multipart()

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
        self._specs.cleanup()

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def text_from_bundle(execution: Execution) -> str:
    """The text a reader sees in the final static HTML the kernel sent (tags stripped, entities decoded)."""
    updates = [m for m in execution.messages if m.msg_type in ("update_display_data", "display_data")]
    for m in reversed(updates):
        data = m.content.get("data", {})
        if "text/html" in data:
            return html_text(str(data["text/html"]))
    return ""


def html_text(markup: str) -> str:
    """Tags stripped, entities decoded, spaces folded."""
    import html
    import re

    return fold_spaces(html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def fold_spaces(text: str) -> str:
    return " ".join(text.split())
