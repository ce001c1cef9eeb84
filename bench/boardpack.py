"""Benchmark: board pack generation time, pages and size; optionally a pack for every sample mutual.

    python bench/boardpack.py                    # a few mutuals (one of each overall status), 2 runs each
    python bench/boardpack.py --ids M0001 M0002 --runs 3
    python bench/boardpack.py --cli              # also time `python -m mutuals boardpack` end to end
    python bench/boardpack.py --all [--via-cli] [--workers 2]
                                                 # every sample mutual, each PDF checked with pypdf

Prints figures; asserts nothing (``--all`` exits non-zero if any pack is invalid). Times are wall
clock and process CPU (CPU is steadier when other work shares the machine); the load average is
printed alongside. Generation covers load_mutual + charts + chart SVGs + Typst, as ``write_board_pack``
does; one pack is also timed step by step, to show where the time goes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mutuals.infra.build import build  # noqa: E402
from mutuals.infra.db import DATA_DIR, Database  # noqa: E402

OUT = ROOT / "bench" / "out"
DB_PATH = OUT / "bench-boardpack.duckdb"
PACKS = OUT / "packs"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def check_pdf(data: bytes, name: str) -> tuple[int, str | None]:
    """(pages, problem or None): parses, 'Page N of M' on every page, the name on the cover."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(BytesIO(data))
        pages = [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]
    except Exception as exc:  # noqa: BLE001 - report any parse failure
        return 0, f"unreadable: {exc}"
    n = len(pages)
    for i, text in enumerate(pages, start=1):
        if f"Page {i} of {n}" not in text:
            return n, f"page {i} lacks 'Page {i} of {n}'"
    if re.sub(r"\s+", " ", name) not in pages[0]:
        return n, "name missing from the cover"
    return n, None


def pick_ids(db) -> list[str]:
    from mutuals.services.indicators import compute_indicators

    frame = compute_indicators(db).sort_values("mutual_id")
    return frame.groupby("overall_status", sort=False).head(1)["mutual_id"].tolist()


def breakdown(db, mutual_id: str) -> None:
    """Where one pack's time goes, step by step as ``write_board_pack`` takes them."""
    from mutuals.charts.mutual import mutual_charts
    from mutuals.reports.boardpack import compile_pack, render_chart
    from mutuals.reports.boardpack.content import pack_data
    from mutuals.rules import load_rules
    from mutuals.services.mutual import indicator_table, load_mutual

    steps: list[tuple[str, float]] = []

    def timed(label: str, step):
        started = time.perf_counter()
        result = step()
        steps.append((label, time.perf_counter() - started))
        return result

    view = timed("load_mutual", lambda: load_mutual(db, mutual_id))
    charts = timed("mutual_charts", lambda: mutual_charts(view))
    table = timed("indicator_table", lambda: indicator_table(view))
    count = sum(len(specs) for specs in charts.values())
    rendered = timed(f"{count} chart SVGs (vl-convert)",
                     lambda: {f: [render_chart(spec) for spec in specs] for f, specs in charts.items()})
    data = timed("pack data", lambda: pack_data(view, table, rendered, load_rules()))
    timed("Typst", lambda: compile_pack(data))
    print(f"one pack ({mutual_id}) step by step: " + " · ".join(f"{label} {secs:.2f} s" for label, secs in steps))


def time_in_process(db, ids: list[str], runs: int) -> None:
    from mutuals.reports.boardpack import font_paths, has_dejavu, write_board_pack
    from mutuals.services.mutual import load_mutual

    PACKS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write_board_pack(db, ids[0], PACKS / "warm-up.pdf")  # imports, vl-convert start-up
    print(f"first pack in this process (start-up included): {time.perf_counter() - started:.2f} s")
    print(f"fonts: {'DejaVu Sans' if has_dejavu() else 'Typst embedded fonts (DejaVu Sans not found)'}; "
          f"folders handed to Typst: {', '.join(font_paths()) or 'none'}, and the installed fonts")
    breakdown(db, ids[0])
    walls, cpus = [], []
    print(f"{'mutual':8} {'status':13} {'wall s':>7} {'cpu s':>6} {'pages':>5} {'KB':>6}")
    for mutual_id in ids:
        for _ in range(runs):
            out = PACKS / f"{mutual_id}.pdf"
            cpu, wall = time.process_time(), time.perf_counter()
            write_board_pack(db, mutual_id, out)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            walls.append(wall)
            cpus.append(cpu)
        view = load_mutual(db, mutual_id)
        data = out.read_bytes()
        pages, problem = check_pdf(data, view.name)
        print(f"{mutual_id:8} {view.overall_status:13} {wall:7.2f} {cpu:6.2f} {pages:5d} {len(data) / 1024:6.0f}"
              + (f"  INVALID: {problem}" if problem else ""))
    print(f"generation over {len(walls)} packs: wall median {statistics.median(walls):.2f} s, "
          f"max {max(walls):.2f} s; cpu median {statistics.median(cpus):.2f} s, max {max(cpus):.2f} s "
          f"(load average {load_average()})")


def time_cli(mutual_id: str) -> None:
    out = PACKS / f"cli-{mutual_id}.pdf"
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "mutuals", "boardpack", mutual_id, "--db", str(DB_PATH),
                             "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    state = "ok" if result.returncode == 0 else f"exit {result.returncode}: {result.stderr.strip()[-200:]}"
    print(f"CLI `python -m mutuals boardpack {mutual_id}` end to end (Python start-up, imports, "
          f"vl-convert start-up included): {seconds:.2f} s, {state} (load average {load_average()})")


_worker_db = None


def _one(args: tuple[str, bool]) -> tuple[str, float, int, int, str | None]:
    """Generate and check one pack (in a worker process)."""
    global _worker_db
    mutual_id, via_cli = args
    from mutuals.services.mutual import load_mutual

    if _worker_db is None:
        _worker_db = Database(DB_PATH)
    out = PACKS / "all" / f"{mutual_id}.pdf"
    started = time.perf_counter()
    if via_cli:
        result = subprocess.run([sys.executable, "-m", "mutuals", "boardpack", mutual_id, "--db", str(DB_PATH),
                                 "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
        if result.returncode != 0:
            return mutual_id, time.perf_counter() - started, 0, 0, f"exit {result.returncode}: {result.stderr[-200:]}"
    else:
        from mutuals.reports.boardpack import write_board_pack
        write_board_pack(_worker_db, mutual_id, out)
    seconds = time.perf_counter() - started
    data = out.read_bytes()
    pages, problem = check_pdf(data, load_mutual(_worker_db, mutual_id).name)
    return mutual_id, seconds, pages, len(data), problem


def every_mutual(db, workers: int, via_cli: bool) -> int:
    from mutuals.services.indicators import compute_indicators

    ids = compute_indicators(db)["mutual_id"].tolist()
    (PACKS / "all").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_one, [(i, via_cli) for i in ids]))
    total = time.perf_counter() - started
    bad = [(i, p) for i, _, _, _, p in results if p]
    secs = [s for _, s, _, _, _ in results]
    pages = [n for _, _, n, _, _ in results]
    sizes = [b for _, _, _, b, _ in results]
    how = "`python -m mutuals boardpack` (one process each)" if via_cli else "write_board_pack in-process"
    print(f"every sample mutual via {how}, {workers} worker(s): {len(results)} packs in {total:.0f} s; "
          f"{len(results) - len(bad)} valid, {len(bad)} invalid")
    print(f"  per pack: median {statistics.median(secs):.2f} s, max {max(secs):.2f} s; pages {min(pages)}–"
          f"{max(pages)}; size {min(sizes) / 1024:.0f}–{max(sizes) / 1024:.0f} KB (load average {load_average()})")
    for mutual_id, problem in bad[:10]:
        print(f"  INVALID {mutual_id}: {problem}")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ids", nargs="*", help="mutual ids (default: the first of each overall status)")
    parser.add_argument("--runs", type=int, default=2, help="packs per mutual (default 2)")
    parser.add_argument("--cli", action="store_true", help="also time the command line end to end")
    parser.add_argument("--all", action="store_true", help="a pack for every sample mutual, each checked")
    parser.add_argument("--via-cli", action="store_true", help="with --all: run the real CLI for each mutual")
    parser.add_argument("--workers", type=int, default=2, help="processes for --all (default 2)")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    report = build(DATA_DIR, DB_PATH)
    print(f"built {report.db_path.name} from data/ in {report.seconds:.2f} s; {os.cpu_count()} CPU(s); "
          f"load average {load_average()}")
    with Database(DB_PATH) as db:
        if args.all:
            return every_mutual(db, args.workers, args.via_cli)
        ids = args.ids or pick_ids(db)
        time_in_process(db, ids, args.runs)
    if args.cli:
        time_cli(ids[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
