"""What the benchmarks share beyond the test harness (tests/harness/: the kernel with its iopub wire
bytes, the workload, the loopback server): the bare-SDK baseline and a median."""

from __future__ import annotations

import statistics
from pathlib import Path

from k2nb.engines.server import ChatServer
from tests.harness.workload import API_KEY, MAX_TOKENS, MODEL, PROMPT

ROOT = Path(__file__).resolve().parents[1]

# The baseline: the openai SDK's own streaming loop, nothing rendered. Same code in every kernel.
BARE_SDK_SETUP = """
import openai as _bench_openai

def _bench_bare(base_url, api_key, model, prompt):
    client = _bench_openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}], stream=True,
        stream_options={"include_usage": True}, max_tokens=MAX_TOKENS, temperature=1.0,
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
""".replace("MAX_TOKENS", str(MAX_TOKENS))


def bare_sdk_code(server: ChatServer) -> str:
    return f"print(_bench_bare({server.base_url!r}, {API_KEY!r}, {MODEL!r}, {PROMPT!r}))"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
