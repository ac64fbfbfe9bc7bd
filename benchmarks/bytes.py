"""Frontend bytes: everything the kernel publishes on iopub for one ``%%k2`` cell, against the text's size.

The measurement is the test harness's (tests/harness/traffic.py: the suite asserts on the same
figures); this module names it for ``python -m benchmarks``.
"""

from __future__ import annotations

from tests.harness.traffic import BytesResult, max_in_window, measure

__all__ = ["BytesResult", "max_in_window", "measure", "report"]


def report(result: BytesResult) -> str:
    return result.report()
