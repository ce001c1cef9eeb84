"""Benchmark of the researcher explorer page: server-side script time, in-process work, database build.

Usage::

    python bench/explorer.py [--scale 1|100 ...] [--runs N] [--profile] [--no-build-timing]

For each scale (default: both) it prints

* the build of the database (``versions.publish``, as the app does) with its derived tables
  (``indicator_panel``, ``survival_events``): total and derived-table seconds, and their row counts. When the
  database is already published, a build of the same CSVs into a scratch file is timed instead (skip it
  with ``--no-build-timing``);
* server-side time of a run of dashboard.py on the explorer page through AppTest, as the script time
  (ScriptRunner's SCRIPT_STARTED → SCRIPT_STOPPED events) and as the wall time of ``AppTest.run()``: first
  run in a fresh process, cold cache (``st.cache_data`` and ``st.cache_resource`` cleared, a new session
  each time), warm rerun with the same controls, warm rerun after a compare-by change (two values, both
  seen once, alternated), a control change to a combination never seen (a new legal form: the bundle
  misses), and per tab a warm switch to it (and its first visit, when its view misses);
* the page's work done in-process without Streamlit or caching: ``load_base``, the prepared indicator
  panel, the survival rows, the bundle (selection, groups, facet counts, mutual list) and
  ``charts.explorer_view.build`` of every view.

Data and databases as in bench/portfolio.py (bench/common.py): scale 1 is data/, scale 100 is
``python -m mutuals generate --mutuals 13000 --seed 2026`` in bench/out/x100; databases under bench/out/
via MUTUALS_DB. Figures are printed next to the acceptance targets; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    OUT,
    SCALES,
    ScriptTimer,
    clear_caches,
    count_rows,
    dataset,
    ensure_db,
    load_average,
    median,
    ms,
    print_table,
    target,
    worker_figures,
)

PAGE = "pages/explorer.py"
COMPARE = ("region", "sector")  # the compare-by change timed (sector is the page's default)
# The chart title each tab draws first: a switch is checked to have opened the tab.
TAB_MARK = {"distributions": "Distribution by group", "journeys": "Journey since spin-out",
            "survival": "Survival after spin-out", "early_peak": "Early engagement peak by group",
            "status_mix": "Overall status mix by group"}
TARGETS = {  # (scale, figure key) → (limit in seconds, text); "≤": the limit itself meets it
    (100, "cold"): (2.0, "≤ 2 s"),
    **{(100, f"compare:{c}"): (0.3, "≤ 300 ms") for c in COMPARE},
    **{(100, f"tab:{key}"): (0.3, "≤ 300 ms") for key in TAB_MARK},
}
DERIVED = ("indicator_panel", "survival_events")


# --------------------------------------------------------------------------- database build


def build_figures(data_dir: Path, db_path: Path, time_build: bool) -> dict:
    """Build (or time a scratch build of) the database; seconds in total and in the derived tables, row counts."""
    from mutuals.infra import build as build_module
    from mutuals.infra import versions
    from mutuals.infra.db import connect

    derived: list[float] = []
    original = build_module.write_derived

    def timed_derived(con, rules):
        started = time.perf_counter()
        try:
            return original(con, rules)
        finally:
            derived.append(time.perf_counter() - started)

    build_module.write_derived = timed_derived  # build() calls it by its module-level name
    try:
        seconds, how = ensure_db(data_dir, db_path), "built now by versions.publish"
        if seconds is None and time_build:
            scratch = OUT / f".explorer-scratch-{os.getpid()}.duckdb"
            started = time.perf_counter()
            try:
                build_module.build(data_dir, scratch)
                seconds = time.perf_counter() - started
            finally:
                scratch.unlink(missing_ok=True)
            how = "already published; timed a build of the same CSVs into a scratch file"
        elif seconds is None:
            how = "already published (build not timed: --no-build-timing)"
    finally:
        build_module.write_derived = original
    con = connect(versions.resolve(db_path), read_only=True)
    try:  # fixed table names only
        rows = {table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # identifiers only
                for table in ("mutuals", *DERIVED)}
    finally:
        con.close()
    return {"seconds": seconds, "derived": derived[-1] if derived else None, "how": how, "rows": rows}


# --------------------------------------------------------------------------- server side (worker process)


def _rendered(at) -> None:
    if not at.title or at.title[0].value != "Explorer" or not at.tabs:
        raise RuntimeError("the explorer page did not render (no Explorer title or no tabs)")


def _on_tab(at, key: str) -> None:
    from tests.apptest import texts

    if TAB_MARK[key] not in texts(at):
        raise RuntimeError(f"the switch did not open the {key} tab (no “{TAB_MARK[key]}”)")


def _new_combinations(options: list[str], runs: int) -> list[tuple[str, ...]]:
    """``runs`` legal-form filters, each a combination not chosen before: single values, then pairs."""
    found = [(o,) for o in options] + list(combinations(options, 2))
    return found[:runs]


def worker(scale: int, runs: int, profile: bool) -> dict:
    """Server-side figures for one scale, in this (fresh) process."""
    from streamlit.testing.v1 import AppTest

    import tests.apptest  # noqa: F401  (PagesManager shim: run dashboard.py as a st.navigation app)
    from mutuals.ui.explorer_data import VIEWS

    data_dir, db_path, _ = dataset(scale)
    os.environ["MUTUALS_DATA_DIR"] = str(data_dir)
    os.environ["MUTUALS_DB"] = str(db_path)
    timer = ScriptTimer(check=_rendered)
    results: dict[str, list[tuple[float, float]]] = {}

    def new_app():  # a new session opened on the explorer (url_path "explorer" matches the file name)
        return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600).switch_page(PAGE)

    # (a) First run in this process: imports, caches and the DuckDB connection all cold.
    results["first"] = [timer.run(new_app())]

    # (b) Cold cache: caches cleared before each run (process and modules warm), a new session each time.
    results["cold"] = []
    for _ in range(runs):
        clear_caches()
        results["cold"].append(timer.run(new_app()))

    # (c) Warm cache: the same session rerun with the same controls.
    at = new_app()
    timer.run(at)
    results["warm"] = [timer.run(at) for _ in range(runs)]

    # (d) Compare-by change, warm: each value run once, then alternated and timed per direction.
    for value in COMPARE:
        at.session_state["compare"] = value
        timer.run(at)
    for _ in range(runs):
        for value in COMPARE:
            at.session_state["compare"] = value
            results.setdefault(f"compare:{value}", []).append(timer.run(at))

    # (e) A legal-form filter never chosen before: the bundle misses (and the open tab's view with it).
    forms = at.multiselect(key="legal_form").options
    chosen = _new_combinations(forms, runs)
    results["new"] = []
    for combination in chosen:
        at.session_state["legal_form"] = list(combination)
        results["new"].append(timer.run(at))
    at.session_state["legal_form"] = []
    timer.run(at)

    # (f) Tabs: the first visit of each (its view misses), then warm switches, each tab timed coming from the last.
    for key, label in VIEWS.items():
        already_open = at.session_state["tab"] == label  # its view is cached already
        at.session_state["tab"] = label
        first = timer.run(at)
        if not already_open:
            results[f"tab_first:{key}"] = [first]
        _on_tab(at, key)
    for _ in range(runs):
        for key, label in VIEWS.items():
            at.session_state["tab"] = label
            results.setdefault(f"tab:{key}", []).append(timer.run(at))
    _on_tab(at, list(VIEWS)[-1])

    out = {"scale": scale, "server": {k: [list(p) for p in v] for k, v in results.items()},
           "direct": _direct(db_path, runs), "views": VIEWS, "new": [", ".join(c) for c in chosen],
           "mutuals_shown": _selected_text(at)}

    if profile:  # warm first (a cleared cache would turn them into misses), the cold run last
        out["profile"] = {}
        at.session_state["tab"] = VIEWS["distributions"]
        at.session_state["compare"] = COMPARE[1]
        timer.run(at)
        out["profile"]["warm rerun, same controls"] = timer.profile(at, lines=60)
        at.session_state["compare"] = COMPARE[0]  # seen in (d): bundle and view cached
        out["profile"][f"warm rerun after compare-by change → {COMPARE[0]}"] = timer.profile(at, lines=60)
        ownership = at.multiselect(key="ownership").options[0]
        at.session_state["ownership"] = [ownership]
        out["profile"][f"new combination (ownership “{ownership}”: bundle miss)"] = timer.profile(at, lines=60)
        clear_caches()
        out["profile"]["cold-cache run"] = timer.profile(new_app(), lines=60)
    return out


def _selected_text(at) -> str:
    """The facet panel's "N of M mutuals selected" of the last run."""
    from tests.apptest import texts

    return next((line for line in texts(at).splitlines() if "mutuals selected" in line), "").strip("*")


def _direct(db_path: Path, runs: int) -> dict[str, list[float]]:
    """The page's work without Streamlit or caching, compare-by sector, no explorer filter."""
    parts: dict[str, list[float]] = {}
    for _ in range(runs):
        begin = time.perf_counter()
        _direct_once(db_path, parts)
        parts.setdefault("total", []).append(time.perf_counter() - begin)
    return parts


def _direct_once(db_path: Path, parts: dict[str, list[float]]) -> None:
    import pandas as pd

    from mutuals.charts.explorer_view import build
    from mutuals.infra import versions
    from mutuals.infra.db import Database
    from mutuals.rules import load_rules
    from mutuals.services import explorer as ex
    from mutuals.services import explorer_views
    from mutuals.services.disclosure import Rule
    from mutuals.services.indicators import resolve_as_of
    from mutuals.ui.explorer_data import VIEWS

    rules = load_rules()
    rule = Rule.from_rules(rules)
    selection, compare = ex.Selection(), "sector"

    def timed(name, fn, *args, **kwargs):
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        parts.setdefault(name, []).append(time.perf_counter() - started)
        return result

    def bundle(base):
        selected = ex.apply(base, selection)
        group, order = ex.groups(selected, compare, rules)
        ex.facet_counts(base, selection, rule, rules)
        ex.mutual_rows(selected, selection, rule)
        return selected, group, order

    db = timed("open database", Database, versions.resolve(db_path))
    try:
        as_of = resolve_as_of(db, None)
        base = timed("load_base (explorer_mutuals + indicators SQL, bands)", ex.load_base, db, as_of)
        panel = timed("prepare_panel(db.query('explorer_panel'))",
                      lambda: explorer_views.prepare_panel(db.query("explorer_panel", scope=None)))
        survival_rows = timed("db.query('explorer_survival')", db.query, "explorer_survival", as_of=as_of, scope=None)
        selected, group, order = timed("bundle: apply, groups, facet counts, mutual list", bundle, base)
        common = dict(selected=selected, group=group, order=order, rule=rule, label=ex.DIMENSIONS[compare], pick="")
        followed = ex.apply(base, selection, ignore=frozenset({"stage", "overall_status"}))
        followed_group, followed_order = ex.groups(followed, compare)
        extra = {"journeys": {"panel": panel}, "early_peak": {"panel": panel},
                 "survival": {"survival_rows": survival_rows, "survival_order": followed_order,
                              "survival_group": pd.Series(followed_group.to_numpy(),
                                                          index=followed["mutual_id"].to_numpy())}}
        for key in VIEWS:
            timed(f"explorer_view.build('{key}') (statistics, disclosure, chart spec)", build, key,
                  **common, **extra.get(key, {}))
    finally:
        db.close()


# --------------------------------------------------------------------------- report


def print_report(scale: int, description: str, n_mutuals: int, built: dict, server: dict) -> None:
    print()
    print(f"== scale {scale}×: {n_mutuals:,} mutuals — {description}{load_average()}")
    rows = built["rows"]
    seconds = f"in {built['seconds']:.1f} s" if built["seconds"] is not None else "(not timed)"
    derived = f", of which derived tables {built['derived']:.1f} s" if built["derived"] is not None else ""
    print(f"   database {seconds}{derived} — {built['how']}")
    print("   rows: " + ", ".join(f"{table} {count:,}" for table, count in rows.items()))
    s, views = server["server"], server["views"]
    labels = [
        ("first", "first run in a fresh process (imports, caches cold)"),
        ("cold", "cold cache (caches cleared, DB built, new session)"),
        ("warm", "warm rerun, same controls"),
        *[(f"compare:{c}", f"warm rerun after compare-by change → {c}") for c in COMPARE],
        ("new", "control change to a new combination (new legal form: bundle miss)"),
        *[(f"tab:{key}", f"warm switch to tab “{label}”") for key, label in views.items()],
        *[(f"tab_first:{key}", f"first switch to tab “{label}” (its view misses)") for key, label in views.items()],
    ]
    table = []
    for key, label in labels:
        pairs = s.get(key) or []
        if not pairs and key.startswith("tab_first:"):
            continue  # the tab open before the switches: its view was already cached
        script = median([p[0] for p in pairs])
        wall = median([p[1] for p in pairs])
        table.append((f"server · {label}", f"n={len(pairs)}", ms(script), ms(wall),
                      target(TARGETS, scale, key, script)))
    print_table(("figure (median)", "runs", "script", "AppTest.run wall", "target"), table)
    print(f"   tabs timed with compare-by sector and no explorer filter ({server['mutuals_shown']}); "
          f"new legal forms: {'; '.join(server['new'])}")
    print()
    print(f"   in-process, no Streamlit, no caching (median of {len(server['direct']['total'])}):")
    for part, values in server["direct"].items():
        print(f"     {part:<72} {ms(median(values)):>10}")
    for title, text in (server.get("profile") or {}).items():
        print()
        print(f"   cProfile of one {title} (AppTest, script thread, sorted by cumulative time):")
        print("\n".join("     " + line for line in text.splitlines() if line.strip()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, choices=sorted(SCALES), action="append",
                        help="data scale: 1 (sample, ~130 mutuals) or 100 (13,000); repeatable; default both")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median reported; default 5)")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of warm reruns, a new combination and a cold run")
    parser.add_argument("--no-build-timing", action="store_true",
                        help="when the database is already published, do not time a scratch build")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    scales = args.scale or sorted(SCALES)
    runs = max(1, args.runs)

    if args.worker:
        print(json.dumps(worker(scales[0], runs, args.profile)))
        return 0

    print(f"explorer benchmark · {runs} run(s) per figure · python {sys.version.split()[0]} · "
          f"{os.cpu_count()} CPU(s){load_average()}")
    print("script = ScriptRunner start→stop of one run of dashboard.py on the explorer (shell + page, open tab "
          "only); AppTest.run wall adds AppTest's element-tree parsing.")
    for scale in scales:
        data_dir, db_path, description = dataset(scale)
        built = build_figures(data_dir, db_path, not args.no_build_timing)
        server = worker_figures(Path(__file__).resolve(), scale, runs, *(["--profile"] if args.profile else []))
        print_report(scale, description, count_rows(data_dir), built, server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
