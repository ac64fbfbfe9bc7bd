"""The workload the traffic tests and the benchmarks stream: deterministic prose as one thinking + answer
turn, from the loopback server (about one token per SSE chunk, as the real K2 hosts stream)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from k2nb.engines.server import ChatServer, Responder
from k2nb.engines.wire import Turn

API_KEY = "sk-k2nb-bench-0123456789"
MODEL = "kimi-k2-thinking"
PROMPT = "Think it through at length, then answer."
# The trace (22,000 words) is about 35k tokens: at k2nb's default budget (32,768) the server would end
# it with finish_reason "length", as a real host does, so the workload's requests ask for room.
MAX_TOKENS = 65_536
K2_CELL = f"%%k2 --new --max-tokens {MAX_TOKENS}\n{PROMPT}"  # the one %%k2 cell of the traffic tests and benchmarks
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


def workload_env(server: ChatServer) -> dict[str, str]:
    """What a kernel needs for its %%k2 cells to stream the workload from ``server``."""
    return {"K2NB_BASE_URL": server.base_url, "K2NB_API_KEY": API_KEY, "K2NB_MODEL": MODEL}
