"""Kernel-side overhead: a ``%%k2`` run against a bare openai SDK loop on the identical stream.

Both run in one kernel against one loopback server (unpaced, so the client is the bottleneck),
interleaved, after a warm-up of each. Wall time is measured on the client: execute request sent
to the kernel's idle status, so everything the kernel does for the cell counts (publishing the
live view and the final static output included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.harness.kernel import Kernel
from tests.harness.workload import K2_CELL, Trace, chat_server, workload_env

from .common import BARE_SDK_SETUP, ROOT, bare_sdk_code, median


@dataclass
class OverheadResult:
    label: str
    bare: list[float] = field(default_factory=list)
    other: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [o / b for o, b in zip(self.other, self.bare, strict=True)]

    @property
    def ratio(self) -> float:
        return median(self.ratios)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "bare_seconds": self.bare,
            "seconds": self.other,
            "ratios": self.ratios,
            "median_ratio": self.ratio,
        }


def measure(trace: Trace, *, repeats: int = 5) -> OverheadResult:
    result = OverheadResult("k2nb")
    with chat_server(trace) as server, Kernel(workload_env(server), cwd=ROOT) as kernel:
        kernel.execute("%load_ext k2nb", timeout=600, check=True)
        kernel.execute(BARE_SDK_SETUP, timeout=600, check=True)
        bare, k2 = bare_sdk_code(server), K2_CELL
        kernel.execute(bare, timeout=600, check=True)  # warm-up: imports, first connection, caches
        kernel.execute(k2, timeout=600, check=True)
        for _ in range(repeats):
            result.bare.append(kernel.execute(bare, timeout=600, check=True).seconds)
            result.other.append(kernel.execute(k2, timeout=600, check=True).seconds)
    return result


def report(result: OverheadResult) -> str:
    return (
        f"overhead [{result.label}]: median {median(result.other):.2f} s vs bare SDK {median(result.bare):.2f} s; "
        f"ratio median {result.ratio:.2f}x (runs: {', '.join(f'{r:.2f}' for r in result.ratios)})"
    )
