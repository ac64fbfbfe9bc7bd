"""K2's long horizon: a scripted 300-tool-call %%k2 run in a real kernel completes, stays valid,
and k2nb's per-step cost does not grow with the step number (figures: python -m benchmarks.long_run)."""

from __future__ import annotations

import pytest

from tests.harness.long_run import measure

pytestmark = pytest.mark.kernel


def test_a_300_tool_call_run_completes_in_a_real_kernel() -> None:
    run = measure(300)  # in a kernel as users have it (fd watcher on)
    print(run.report())  # shown with pytest -s; the README quotes these figures
    assert run.status == "done", run.text[-2000:]
    assert run.total == sum(range(300))  # every one of the 300 calls ran once, in the user's kernel
    # system + user + 300 × (assistant + tool) + final assistant; the strict server checked each request
    assert run.history_messages == 2 + 2 * 300
    assert "300 step" in run.text or "301 step" in run.text
    assert run.rss_after_mb - run.rss_before_mb < 60
    # Resending the growing history costs a little more per step (JSON of ~600 messages); anything
    # quadratic in k2nb (it was: 0.4 s per step at step 100 before the SDK bypass) fails this.
    assert run.last_client_ms < 3 * run.first_client_ms + 30, run.report()
    assert run.wall_seconds < 120
