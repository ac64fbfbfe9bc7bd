"""Browser, long horizon: the live view during a 300-tool-call run in JupyterLab in Chromium.

``python -m benchmarks.long_view [--steps 300] [--repeat 5]``. The scripted run is the long-run
benchmark's (one tool call a step, a final answer); steps fold as they complete. Reports, per run,
the longest main-thread task while the run streamed, the task that swapped the live view for the
saved trace, and the longest one after it (JupyterLab's own work on a new HTML output); then the
median and the worst of each over the runs, with the machine's load (task times are wall time, so
other work on the machine lengthens them). ``--trace`` also records a Chromium trace of each run
(under build/bench/) and reports those tasks' CPU time, which that other work does not lengthen.
"""

from __future__ import annotations

import argparse
import os
import statistics

from k2nb.engines.script import ScriptedEngine
from tests.harness.long_run import script
from tests.harness.workload import Trace

from . import browser
from .common import ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.long_view", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--speed", type=float, default=2000.0, help="server pacing in tokens/s")
    parser.add_argument("--repeat", type=int, default=1, help="runs (each in a fresh JupyterLab and page)")
    parser.add_argument("--trace", action="store_true", help="also the tasks' CPU time, from a Chromium trace")
    args = parser.parse_args(argv)
    results = []
    for n in range(args.repeat):
        if args.trace:
            (ROOT / "build" / "bench").mkdir(parents=True, exist_ok=True)
            os.environ["K2NB_BENCH_TRACE"] = str(ROOT / "build" / "bench" / f"long_view-{n + 1}.trace.json")
        engine = ScriptedEngine.from_text(script(args.steps))
        result = browser.measure(
            Trace(reasoning="", content=""),
            tokens_per_second=args.speed,
            timeout=1800,
            responder=engine,
            k2_cell=f"%%k2 --new --approve auto --max-steps {args.steps + 5}\nAdd the numbers up, one call a step.",
            done_text="The running total is complete.",
        )
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{args.steps} tool calls in JupyterLab + Chromium: {browser.report(result)}; load average {load}")
        print(f"long tasks (seconds into the run, ms): {result.tasks}", flush=True)
        results.append(result)
    if len(results) > 1:
        for name, label in (
            ("streaming_task_ms", "longest task while streaming"),
            ("swap_task_ms", "the swap's task"),
            ("after_swap_task_ms", "longest task after the swap"),
            ("streaming_task_cpu_ms", "longest task while streaming, CPU time"),
            ("swap_task_cpu_ms", "the swap's task, CPU time"),
        ):
            if getattr(results[0], name) is None:
                continue
            values = [float(getattr(r, name) or 0.0) for r in results]
            print(
                f"{label}: median {statistics.median(values):.0f} ms, worst {max(values):.0f} ms "
                f"over {len(values)} runs (0: under 50 ms)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
