"""Benchmark: the backtest (rules replayed at every past as-of date), at 1× and 100× the sector.

    python bench/backtest.py [--runs 3] [--skip-100]

Prints timings and the pooled table; asserts nothing. Reuses bench/indicators.py's data sets
(the 100× set is generated once into bench/out/x100).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.indicators import OUT, dataset  # noqa: E402
from mutuals.infra.build import build  # noqa: E402
from mutuals.infra.db import Database  # noqa: E402
from mutuals.services.backtest import run_backtest  # noqa: E402
from mutuals.services.backtest_tables import headline, pooled_table  # noqa: E402


def measure(scale: int, runs: int) -> None:
    folder = dataset(scale)
    OUT.mkdir(parents=True, exist_ok=True)
    db_path = build(folder, OUT / f"bench-x{scale}.duckdb").db_path
    with Database(db_path) as db:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            result = run_backtest(db)
            times.append(time.perf_counter() - started)
    print(f"{scale}×: {len(result.dates)} as-of dates, {result.trading:,} mutual-dates, {result.events:,} events; "
          f"median {statistics.median(times):.2f} s, min {min(times):.2f} s over {runs} run(s)")
    print(pooled_table(result).to_string(index=False))
    print(headline(result), "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-100", action="store_true")
    args = parser.parse_args()
    measure(1, args.runs)
    if not args.skip_100:
        measure(100, max(1, args.runs // 2))


if __name__ == "__main__":
    main()
