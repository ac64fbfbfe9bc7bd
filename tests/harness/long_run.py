"""A scripted 300-tool-call ``%%k2`` run in a real kernel: wall time, kernel memory, per-step cost.

tests/integration/test_long_run.py asserts on it; ``python -m benchmarks.long_run`` prints it.

Each step is one model call (a loopback server streaming a scripted turn) and one
``code_interpreter`` call in the kernel. The server's prompt-cache simulation, which compares
each request with every earlier one, is switched off here: it is the fake provider's cost, not
k2nb's. Per-step time is the gap between consecutive requests reaching the server, so it covers
everything k2nb does per step (streaming, accumulating, the live view, running the code,
rebuilding and sending the request); it grows only with the size of the request the protocol
makes every client resend.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from k2nb.engines.script import ScriptedEngine
from k2nb.engines.server import ChatServer
from tests.harness.kernel import Kernel


class FastChatServer(ChatServer):
    def cached_tokens(self, body: dict[str, Any], earlier: list[dict[str, Any]]) -> int:
        return 0  # the fake prompt cache is O(requests × messages) per request


def time_the_server(durations: list[float]) -> Callable[[], None]:
    """Record how long the loopback server spends on each request (parse, validate, stream)."""
    from k2nb.engines import server as module

    original = module._Handler.do_POST

    def timed(handler: Any) -> None:
        started = time.perf_counter()
        original(handler)
        durations.append(time.perf_counter() - started)

    module._Handler.do_POST = timed  # type: ignore[method-assign,assignment]  # patched for the measurement

    def restore() -> None:
        module._Handler.do_POST = original  # type: ignore[method-assign]

    return restore


def script(steps: int) -> str:
    blocks = [
        f"think: step {i}: I add {i} to the running total.\ntool: code_interpreter "
        + json.dumps({"code": f"total_k2nb = globals().get('total_k2nb', 0) + {i}\nprint('total', total_k2nb)"})
        for i in range(steps)
    ]
    blocks.append("think: all steps are done\ntext: The running total is complete.")
    return "\n---\n".join(blocks)


@dataclass
class LongRun:
    steps: int
    status: str
    wall_seconds: float
    rss_before_mb: float
    rss_after_mb: float
    first_steps_ms: float  # median per-step time of the first 50 steps
    last_steps_ms: float  # … and of the last 50
    first_client_ms: float  # the same without the time the loopback server spent on the request
    last_client_ms: float
    live_view_kb: float  # widget traffic of the whole run
    total: int  # what the kernel computed
    history_messages: int  # messages in the last request (the server rejects invalid histories)
    text: str  # what the user saw at the end

    def report(self) -> str:
        return (
            f"{self.steps} tool calls · {self.status} · {self.wall_seconds:.1f} s wall "
            f"({1000 * self.wall_seconds / (self.steps + 1):.1f} ms per step)\n"
            f"kernel RSS {self.rss_before_mb:.1f} MB → {self.rss_after_mb:.1f} MB "
            f"(+{self.rss_after_mb - self.rss_before_mb:.1f} MB)\n"
            f"per step, median: first 50 steps {self.first_steps_ms:.1f} ms, "
            f"last 50 steps {self.last_steps_ms:.1f} ms\n"
            f"  of which k2nb's side (minus the server's handling): first 50 {self.first_client_ms:.1f} ms, "
            f"last 50 {self.last_client_ms:.1f} ms\n"
            f"live view traffic {self.live_view_kb:.0f} kB; last request {self.history_messages} messages"
        )


def measure(steps: int = 300) -> LongRun:
    import psutil

    arrivals: list[float] = []
    engine = ScriptedEngine.from_text(script(steps))

    def respond(body: dict[str, Any]) -> Any:
        arrivals.append(time.perf_counter())
        return engine(body)

    handling: list[float] = []
    restore = time_the_server(handling)
    server = FastChatServer(respond, dialect="moonshot", strict_reasoning=True).start()
    kernel = Kernel({"K2NB_BASE_URL": server.base_url}, fd_watcher=True)  # a kernel as users have it
    try:
        kernel.execute("%load_ext k2nb\n%config K2Magics.approve = 'auto'\nimport k2nb.api, k2nb.ui.widget")
        process = psutil.Process(kernel.pid())
        before = process.memory_info().rss
        started = time.perf_counter()
        run = kernel.execute(f"%%k2 --max-steps {steps + 1}\nAdd the numbers step by step.", timeout=900)
        wall = time.perf_counter() - started
        after = process.memory_info().rss
        total = kernel.execute("print(total_k2nb)").text.strip()
        gaps = [b - a for a, b in itertools.pairwise(arrivals)]
        client = [gap - spent for gap, spent in zip(gaps, handling[len(handling) - len(arrivals) :], strict=False)]
        status = "done" if "The running total is complete." in run.text else "incomplete"
        return LongRun(
            steps=steps,
            status=status,
            wall_seconds=wall,
            rss_before_mb=before / 1e6,
            rss_after_mb=after / 1e6,
            first_steps_ms=1000 * statistics.median(gaps[:50]),
            last_steps_ms=1000 * statistics.median(gaps[-50:]),
            first_client_ms=1000 * statistics.median(client[:50]),
            last_client_ms=1000 * statistics.median(client[-50:]),
            live_view_kb=run.comm_bytes / 1000,
            total=int(total) if total.isdigit() else -1,
            history_messages=len(server.requests[-1]["messages"]),
            text=run.text,
        )
    finally:
        kernel.close()
        server.stop()
        restore()
