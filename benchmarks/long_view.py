"""Browser, long horizon: the live view during a 300-tool-call run in JupyterLab in Chromium.

``python -m benchmarks.long_view [--steps 300]``. The scripted run is the long-run benchmark's
(one tool call a step, a final answer); steps fold as they complete. Reports the longest
main-thread task and the main thread's total work, as the single-turn browser benchmark does.
"""

from __future__ import annotations

import argparse

from k2nb.engines.script import ScriptedEngine
from tests.harness.long_run import script
from tests.harness.workload import Trace

from . import browser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.long_view", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--speed", type=float, default=2000.0, help="server pacing in tokens/s")
    args = parser.parse_args(argv)
    engine = ScriptedEngine.from_text(script(args.steps))
    result = browser.measure(
        Trace(reasoning="", content=""),
        tokens_per_second=args.speed,
        timeout=1800,
        responder=engine,
        k2_cell=f"%%k2 --new --approve auto --max-steps {args.steps + 5}\nAdd the numbers up, one call a step.",
        done_text="The running total is complete.",
    )
    print(f"{args.steps} tool calls in JupyterLab + Chromium: {browser.report(result)}")
    print(f"long tasks (seconds into the run, ms): {result.tasks}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
