"""Helpers shared by the page benchmarks (bench/portfolio.py, bench/explorer.py).

Data sets per scale (generated once into bench/out/), the database built the app's way, a timer of
AppTest script runs by the ScriptRunner's own events (optionally profiled in the script thread), the
worker process that takes the server figures, and the report's formatting.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCALES = {1: 130, 100: 13000}
SEED = 2026


# --------------------------------------------------------------------------- data


def _has_csvs(folder: Path) -> bool:
    return (folder / "mutuals.csv").is_file() and (folder / "dataset_info.csv").is_file()


def _generate(n_mutuals: int, out: Path) -> None:
    """Generate into a temporary sibling folder and move it into place, so a crash leaves no half set."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=out.parent))
    print(f"  generating {n_mutuals:,} mutuals into {out.relative_to(ROOT)} …", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "mutuals", "generate", "--mutuals", str(n_mutuals), "--seed", str(SEED),
                    "--out", str(tmp)], cwd=ROOT, check=True)
    tmp.rename(out)


def dataset(scale: int) -> tuple[Path, Path, str]:
    """(CSV folder, database path, description) for a scale, generating the CSVs if needed."""
    if scale == 1:
        if _has_csvs(ROOT / "data"):
            return ROOT / "data", OUT / "x1" / "mutuals.duckdb", "data/ (bundled sample)"
        folder = OUT / "x1-standin"
        if not _has_csvs(folder):
            _generate(SCALES[1], folder)
        return folder, OUT / "x1-standin" / "mutuals.duckdb", "stand-in: generate --mutuals 130 (data/ is empty)"
    folder = OUT / f"x{scale}"
    if not _has_csvs(folder):
        _generate(SCALES[scale], folder)
    return folder, folder / "mutuals.duckdb", f"generate --mutuals {SCALES[scale]:,} --seed {SEED} (cached)"


def ensure_db(data_dir: Path, db_path: Path) -> float | None:
    """Build the database the way the app does when it is missing or stale; return build seconds or None."""
    from mutuals.infra import versions

    db_path.parent.mkdir(parents=True, exist_ok=True)
    if versions.peek(data_dir, db_path) is not None:
        return None
    started = time.perf_counter()
    versions.current_database(data_dir, db_path)
    return time.perf_counter() - started


def count_rows(data_dir: Path) -> int:
    with open(data_dir / "mutuals.csv", encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1


# --------------------------------------------------------------------------- server side (worker process)


class ScriptTimer:
    """Times each script run by the ScriptRunner's own start/stop events (no AppTest overhead).

    ``check(at)`` raises when a run did not render what the benchmark expects (it runs after each run)."""

    def __init__(self, check: Callable | None = None):
        from streamlit.runtime.scriptrunner import ScriptRunnerEvent
        from streamlit.testing.v1 import local_script_runner

        self.started: float | None = None
        self.last: float | None = None
        self.profiler = None  # a cProfile.Profile to run in the script thread (events fire there)
        self.check = check
        events = ScriptRunnerEvent
        original = local_script_runner.LocalScriptRunner.__init__
        timer = self

        def on_event(sender, event, **kwargs):
            if event == events.SCRIPT_STARTED:
                timer.started = time.perf_counter()
                if timer.profiler is not None:
                    timer.profiler.enable()
            elif event in (events.SCRIPT_STOPPED_WITH_SUCCESS, events.SCRIPT_STOPPED_WITH_COMPILE_ERROR,
                           events.SCRIPT_STOPPED_FOR_RERUN, events.FRAGMENT_STOPPED_WITH_SUCCESS):
                if timer.started is not None:
                    timer.last = time.perf_counter() - timer.started
                if timer.profiler is not None:
                    timer.profiler.disable()

        def patched(runner, *args, **kwargs):
            original(runner, *args, **kwargs)
            runner.on_event.connect(on_event, weak=False)

        local_script_runner.LocalScriptRunner.__init__ = patched

    def run(self, at) -> tuple[float, float]:
        """Run ``at``; return (script seconds, AppTest.run wall seconds)."""
        self.started = self.last = None
        started = time.perf_counter()
        at.run()
        wall = time.perf_counter() - started
        if at.exception:
            raise RuntimeError(f"the app raised: {[e.value for e in at.exception]}")
        if self.check is not None:
            self.check(at)
        return (self.last if self.last is not None else float("nan")), wall

    def profile(self, at, lines: int = 45) -> str:
        """Run ``at`` under cProfile (inside the script thread); the stats sorted by cumulative time."""
        import cProfile
        import io
        import pstats

        self.profiler = cProfile.Profile()
        try:
            self.run(at)
            text = io.StringIO()
            pstats.Stats(self.profiler, stream=text).sort_stats("cumulative").print_stats(lines)
        finally:
            self.profiler = None
        return text.getvalue()


def clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def worker_figures(script: Path, scale: int, runs: int, *flags: str) -> dict:
    """Run ``script --worker`` in a fresh Python process (so 'first run' really is first); its last line is JSON."""
    cmd = [sys.executable, str(script), "--worker", "--scale", str(scale), "--runs", str(runs), *flags]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"server worker failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report


def median(values):
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def ms(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "—"
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def target(targets: dict, scale: int, key: str, value: float | None) -> str:
    """The target of ``(scale, key)`` in ``targets`` ((limit in seconds, text)) and whether ``value`` meets it.

    A text starting with "≤" admits the limit itself; otherwise the value must be below it."""
    if (scale, key) not in targets:
        return ""
    limit, text = targets[(scale, key)]
    if value is None or value != value:
        verdict = "—"
    else:
        verdict = "meets" if (value <= limit if text.startswith("≤") else value < limit) else "MISSES"
    return f"{text}  {verdict}"


def load_average() -> str:
    """The header's " · load average 1 5 15" (empty where the platform has none)."""
    return " · load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""


def print_table(header: tuple, rows: list[tuple]) -> None:
    """Rows as left-aligned columns under ``header`` and a rule."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("{:<%d}" % w for w in widths)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
