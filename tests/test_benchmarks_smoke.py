"""The bytes benchmark on the issue's workload: a recording of the cell's iopub asserts message counts and bytes.

Speed targets stay out of the suite (they depend on the machine); these assertions are about what
the kernel sends, which does not: ratios of bytes to text, updates per second, exactness.
"""

from __future__ import annotations

import pytest

from benchmarks import bytes as bench
from benchmarks.common import make_trace

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(180)]

MAX_UPDATES_PER_SECOND = 30  # "tens of updates per second at most" (the live view sends at most 4)


@pytest.fixture(scope="module")
def trace() -> bench.Trace:
    return make_trace(20_000, 2_000)  # the workload: 20,000 words of thinking, a 2,000-word answer


@pytest.fixture(scope="module", params=[True, False], ids=["labextension", "no-labextension"])
def unpaced(request: pytest.FixtureRequest, trace: bench.Trace) -> bench.BytesResult:
    return bench.measure(trace, labextension=request.param)


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


def test_frontend_bytes_within_twice_the_text(unpaced: bench.BytesResult) -> None:
    assert unpaced.ratio <= 2.0, bench.report(unpaced)


def test_the_live_text_crosses_the_wire_deflated_and_once(unpaced: bench.BytesResult) -> None:
    # No message re-sends accumulated text: all live batches together are smaller than the text.
    assert unpaced.comm_bytes < 0.6 * unpaced.text_bytes, bench.report(unpaced)
    assert unpaced.comm_msgs <= 4 * (unpaced.stream_seconds + 1) + 5, bench.report(unpaced)


def test_with_the_labextension_the_saved_copy_travels_deflated(unpaced: bench.BytesResult) -> None:
    if "no labextension" in unpaced.label:
        assert unpaced.final_bytes > unpaced.text_bytes, bench.report(unpaced)  # the kernel sends the HTML
    else:
        assert unpaced.final_bytes < 0.5 * unpaced.text_bytes, bench.report(unpaced)


def test_a_pages_later_run_does_not_carry_the_view_code_again() -> None:
    trace = make_trace(3_180, 320)  # 3,500 words: short enough that the code dominated what a run cost
    first, later = bench.measure(trace, labextension=False), bench.measure(trace, labextension=False, warm=True)
    assert later.live_exact and later.final_exact, bench.report(later)
    assert first.other_bytes - later.other_bytes > 20_000, (bench.report(first), bench.report(later))
    assert later.other_bytes < 6_000, bench.report(later)  # envelopes only: status, comm open/close, display
