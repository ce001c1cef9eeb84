"""Benchmark: import a 13,000-mutual dataset as CSVs (issue 12: ≤ 60 s).

    python bench/importing.py            # generate --mutuals 13000 --seed 2026 once into bench/out/x100, reused
    python bench/importing.py --scale 1  # the 130-mutual stand-in

Times ``importer.preview_dataset`` (read, validate, diff) and ``importer.confirm`` (write the normalised CSVs,
build the DuckDB file, swap the pointer) into a temporary MUTUALS_HOME, and prints the split. The 13,000-mutual
CSVs are larger than the upload limit (200 MB by default), so the run sets ``max_bytes`` as
``python -m mutuals import --max-mb`` does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.common import dataset, load_average, print_table  # noqa: E402

TARGET = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, choices=[1, 100], default=100)
    args = parser.parse_args()
    folder, _, described = dataset(args.scale)
    size = sum(p.stat().st_size for p in folder.glob("*.csv"))
    home = Path(tempfile.mkdtemp(prefix="bench-import-", dir=ROOT / "bench" / "out"))
    os.environ["MUTUALS_HOME"] = str(home)
    for name in ("MUTUALS_DATA_DIR", "MUTUALS_DB"):
        os.environ.pop(name, None)

    from mutuals.infra import versions, workspace
    from mutuals.services import importer

    timed: dict[str, float] = {"build": 0.0, "swap": 0.0}

    def clocked(name, function):
        def run(*a, **k):
            started = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                timed[name] += time.perf_counter() - started
        return run

    versions.publish = clocked("build", versions.publish)
    workspace._activate_locked = clocked("swap", workspace._activate_locked)

    print(f"import benchmark · {described} · {size / 1e6:,.0f} MB of CSV{load_average()}")
    started, cpu = time.perf_counter(), time.process_time()
    preview = importer.preview_dataset(folder, max_bytes=2 * size)
    previewed = time.perf_counter() - started
    if not preview.ok:
        print(preview.report.text()[:4000])
        return 1
    started = time.perf_counter()
    manifest = importer.confirm(preview, message="bench/importing.py")
    confirmed = time.perf_counter() - started
    total, cpu = previewed + confirmed, time.process_time() - cpu
    s = preview.seconds
    rows = [("read (CSV → text tables)", f"{s['read']:.1f} s"),
            ("validate (every check, normalise)", f"{s['validate']:.1f} s"),
            ("diff against the active dataset", f"{s['diff']:.1f} s"),
            ("write the CSVs into the version", f"{confirmed - timed['build'] - timed['swap']:.1f} s"),
            ("build (DuckDB, derived tables)", f"{timed['build']:.1f} s"),
            ("swap (marker, pointer)", f"{timed['swap'] * 1000:.0f} ms"),
            ("total (wall)", f"{total:.1f} s  (target ≤ {TARGET:.0f} s: {'meets' if total <= TARGET else 'MISSES'})"),
            ("this process's CPU time", f"{cpu:.1f} s (DuckDB's threads included; a loaded machine inflates wall time)")]
    print_table(("step", "time"), rows)
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"peak memory {peak:,.1f} GB · version {manifest.version}: {sum(manifest.rows.values()):,} rows; workspace {home} (delete it freely)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
