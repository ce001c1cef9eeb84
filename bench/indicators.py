"""Benchmark: database build time and indicator query time, at 1× and 100× the sector.

    python bench/indicators.py [--runs 5] [--skip-100]

Prints figures; asserts nothing. The 100× data set (13,000 mutuals, seed 2026)
is generated once into bench/out/x100 and reused.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mutuals.infra.build import build  # noqa: E402
from mutuals.infra.db import DATA_DIR, Database  # noqa: E402
from mutuals.sample.generate import generate, write_csvs  # noqa: E402
from mutuals.services.indicators import compute_indicators, data_date, indicator_params  # noqa: E402

OUT = ROOT / "bench" / "out"


def dataset(scale: int) -> Path:
    if scale == 1:
        return DATA_DIR
    folder = OUT / f"x{scale}"
    if not (folder / "dataset_info.csv").is_file():
        started = time.perf_counter()
        write_csvs(generate(130 * scale, 2026), folder)
        print(f"  generated {130 * scale:,} mutuals in {time.perf_counter() - started:.1f} s")
    return folder


def measure(scale: int, runs: int) -> dict[str, float]:
    folder = dataset(scale)
    db_path = OUT / f"bench-x{scale}.duckdb"
    OUT.mkdir(parents=True, exist_ok=True)
    report = build(folder, db_path)
    rows = sum(report.rows.values())
    with Database(db_path) as db:
        d = data_date(db)
        sql_times, full_times = [], []
        for _ in range(runs):
            started = time.perf_counter()
            frame = db.query("indicators", **indicator_params(d))
            sql_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            rated = compute_indicators(db, d)
            full_times.append(time.perf_counter() - started)
    return {"scale": scale, "mutuals": len(rated), "rows": rows, "build_s": report.seconds,
            "sql_s": statistics.median(sql_times), "rated_s": statistics.median(full_times), "cols": frame.shape[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-100", action="store_true")
    args = parser.parse_args()
    results = [measure(1, args.runs)] + ([] if args.skip_100 else [measure(100, args.runs)])
    print(f"{'scale':>6} {'mutuals':>8} {'rows':>10} {'build s':>8} {'SQL s':>8} {'SQL+rating s':>13}")
    for r in results:
        print(f"{r['scale']:>5}× {r['mutuals']:>8,} {r['rows']:>10,} {r['build_s']:>8.2f} {r['sql_s']:>8.3f} "
              f"{r['rated_s']:>13.3f}")
    print(f"(median of {args.runs} runs; SQL = queries/indicators.sql alone; "
          "SQL+rating = compute_indicators incl. statuses, overall status and reasons)")


if __name__ == "__main__":
    main()
