"""The bytes benchmark in quick form: a recording of the cell's iopub asserts message counts and bytes.

Speed targets stay out of the suite (they depend on the machine); these assertions are about what
the kernel sends, which does not: ratios of bytes to text, updates per second, exactness.
"""

from __future__ import annotations

import pytest

from benchmarks import bytes as bench
from benchmarks.common import make_trace

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(120)]

MAX_UPDATES_PER_SECOND = 30  # "tens of updates per second at most" (the live view batches every 0.1 s)


@pytest.fixture(scope="module")
def unpaced() -> bench.BytesResult:
    return bench.measure(make_trace(2_000, 200))


@pytest.fixture(scope="module")
def paced() -> bench.BytesResult:
    return bench.measure(make_trace(500, 50), tokens_per_second=400)


def test_final_state_is_exact(unpaced: bench.BytesResult, paced: bench.BytesResult) -> None:
    for result in (unpaced, paced):
        assert result.live_exact, bench.report(result)  # append ops reassemble the streamed text
        assert result.final_exact, bench.report(result)  # the saved static output holds all of it


def test_live_updates_are_batched(paced: bench.BytesResult) -> None:
    assert paced.stream_seconds > 1.5, bench.report(paced)  # long enough to measure a rate
    assert paced.max_per_second <= MAX_UPDATES_PER_SECOND, bench.report(paced)
    assert paced.comm_msgs <= MAX_UPDATES_PER_SECOND * (paced.stream_seconds + 1), bench.report(paced)


@pytest.mark.xfail(
    strict=True,
    reason="issue #3: the text necessarily goes twice — once live, once in the saved static HTML (2.0x) — "
    "plus message envelopes and the widget's code; 2.33x at 22,000 words; see README.md, Performance",
)
def test_frontend_bytes_within_twice_the_text(unpaced: bench.BytesResult) -> None:
    assert unpaced.ratio <= 2.0, bench.report(unpaced)


def test_frontend_bytes_stay_near_the_two_copy_floor(unpaced: bench.BytesResult) -> None:
    # Live deltas once + the saved HTML once + bounded overhead: nothing re-sends accumulated text.
    fixed = 20_000  # the widget's comm_open (its JS and CSS) and the final status/summary lines
    assert unpaced.total_bytes <= 2.3 * unpaced.text_bytes + fixed, bench.report(unpaced)
