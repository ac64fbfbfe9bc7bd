"""``python -m benchmarks.long_run [--steps 300]``: a scripted 300-tool-call ``%%k2`` run in a real
kernel (tests/harness/long_run.py): wall time, kernel memory, per-step cost."""

from __future__ import annotations

import argparse

from tests.harness.long_run import measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=300)
    print(measure(parser.parse_args().steps).report())


if __name__ == "__main__":
    main()
