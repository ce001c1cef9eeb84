"""Benchmark of the portfolio page: server-side script time and browser render time.

Usage::

    python bench/portfolio.py [--scale 1|100 ...] [--runs N] [--no-browser] [--profile]

For each scale (default: both) it prints

* server-side time of a run of dashboard.py on the portfolio page through
  AppTest, as the script time (ScriptRunner's SCRIPT_STARTED → SCRIPT_STOPPED
  events) and as the wall time of ``AppTest.run()`` (adds element-tree parsing):
  first run in a fresh process, cold cache (``st.cache_data`` and
  ``st.cache_resource`` cleared, database already built), warm cache (rerun
  with the same filters), warm cache after a filter change (two filter values,
  both seen once, alternated) and a filter change to a combination never seen
  (cache miss);
* the page's work done directly in-process without Streamlit (queries,
  indicators, charts serialised to Vega-Lite), split into its parts;
* browser time to a complete render on a warm server: ``page.goto`` until the
  script has finished and the metrics are visible, in a new browser context
  (so a new Streamlit session) each time.

Data: scale 1 is the bundled sample in data/ (or, while data/ is empty, a
130-mutual stand-in generated into bench/out/x1-standin); scale 100 is
``python -m mutuals generate --mutuals 13000 --seed 2026`` cached in
bench/out/x100. The databases are written under bench/out/ (git-ignored) via
MUTUALS_DB, so data/ is never touched. Figures are printed next to the
acceptance targets; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
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

TARGETS = {  # (scale, figure key) → (limit in seconds, text)
    (1, "browser_warm"): (3.0, "< 3 s"),
    (1, "filter_warm_narrow"): (0.3, "< 300 ms"),
    (1, "filter_warm_wide"): (0.3, "< 300 ms"),
    (100, "cold"): (2.0, "< 2 s"),
}


# --------------------------------------------------------------------------- server side (worker process)


def _rendered(at) -> None:
    if not at.metric:
        raise RuntimeError("the portfolio page rendered no metrics")


def _direct(data_dir: Path, db_path: Path, runs: int) -> dict[str, list[float]]:
    """The page's work without Streamlit: shell queries, build_portfolio, charts serialised. No caching."""

    from mutuals.charts import portfolio as charts
    from mutuals.infra import versions
    from mutuals.infra.db import Database
    from mutuals.services import indicators as indicator_service
    from mutuals.services.portfolio import build_portfolio

    try:  # the spec exactly as st.altair_chart builds it (data set aside for Arrow, no row limit)
        from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec as to_spec
    except ImportError:  # a later Streamlit: fall back to Altair with the row limit lifted
        import altair as alt

        def to_spec(chart):
            with alt.data_transformers.disable_max_rows():
                return chart.to_dict()

    parts: dict[str, list[float]] = {}

    def timed(name, fn):
        started = time.perf_counter()
        result = fn()
        parts.setdefault(name, []).append(time.perf_counter() - started)
        return result

    for _ in range(runs):
        begin = time.perf_counter()
        db = timed("open database", lambda: Database(versions.resolve(db_path)))
        try:
            def shell():
                db.query("commissioners", scope=None)
                db.query("filter_options", scope=None)
                db.query("dataset_info")
                return indicator_service.resolve_as_of(db, None)

            as_of = timed("shell queries (filters, data date)", shell)
            view = timed("build_portfolio (indicators now + year ago, contracts)",
                         lambda: build_portfolio(db, as_of))

            def matrix():
                rows = view.with_reasons(charts.matrix_rows(view.indicators))
                return charts.status_matrix_html(rows)

            def others():
                expiring = charts.timeline_rows(charts.expiry_frame(view.contracts, view.indicators, as_of))
                if not expiring.empty:
                    to_spec(charts.expiry_timeline(expiring, as_of))
                view.top_warnings(25)
                scatter = charts.dependency_frame(view.indicators)
                if not scatter.empty:
                    to_spec(charts.dependency_scatter(scatter))

            timed("status matrix (HTML table)", matrix)
            timed("expiry + dependency charts, top warnings", others)
        finally:
            db.close()
        parts.setdefault("total", []).append(time.perf_counter() - begin)
    return parts


def worker(scale: int, runs: int, profile: bool) -> dict:
    """Server-side figures for one scale, in this (fresh) process."""
    from streamlit.testing.v1 import AppTest

    import tests.apptest  # noqa: F401  (PagesManager shim: run dashboard.py as a st.navigation app)

    data_dir, db_path, _ = dataset(scale)
    os.environ["MUTUALS_DATA_DIR"] = str(data_dir)
    os.environ["MUTUALS_DB"] = str(db_path)
    timer = ScriptTimer(check=_rendered)
    results: dict[str, list[tuple[float, float]]] = {}

    def new_app():
        return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)

    # First run in this process: imports, caches and the DuckDB connection all cold.
    at = new_app()
    results["first"] = [timer.run(at)]

    # Cold cache: caches cleared before each run (process and modules warm), a new session each time.
    results["cold"] = []
    for _ in range(runs):
        clear_caches()
        results["cold"].append(timer.run(new_app()))

    # Warm cache: the same session rerun with the same filters.
    at = new_app()
    timer.run(at)
    results["warm"] = [timer.run(at) for _ in range(runs)]

    # Filter change, warm: all sectors <-> one sector, each run once to warm, then alternated.
    # Timed separately by direction: narrowing shows fewer mutuals than widening back.
    sector = at.multiselect(key="f_sector").options[0]
    for choice in ([sector], []):
        at.multiselect(key="f_sector").set_value(choice)
        timer.run(at)
    results["filter_warm_narrow"], results["filter_warm_wide"] = [], []
    for _ in range(runs):
        at.multiselect(key="f_sector").set_value([sector])
        results["filter_warm_narrow"].append(timer.run(at))
        at.multiselect(key="f_sector").set_value([])
        results["filter_warm_wide"].append(timer.run(at))

    # Filter change to a combination not seen before (portfolio cache miss; shell queries still cached).
    commissioners = [c for c in at.selectbox(key="f_commissioner").options if c != "__all__"]
    at.multiselect(key="f_sector").set_value([])
    timer.run(at)
    results["filter_new"] = []
    for commissioner in commissioners[:runs]:
        at.selectbox(key="f_commissioner").set_value(commissioner)
        results["filter_new"].append(timer.run(at))

    out = {"scale": scale, "server": {k: [list(p) for p in v] for k, v in results.items()},
           "direct": _direct(data_dir, db_path, runs), "sector": sector}

    if profile:
        clear_caches()
        at = new_app()
        out["profile"] = {"cold-cache run": timer.profile(at), "warm-cache rerun, same filters": timer.profile(at)}
    return out


def server_figures(scale: int, runs: int, profile: bool) -> dict:
    """Run the worker in a fresh Python process (so 'first run' really is first)."""
    return worker_figures(Path(__file__).resolve(), scale, runs, *(["--profile"] if profile else []))


# --------------------------------------------------------------------------- browser


def _load(browser, url: str, chart_timeout_ms: float) -> dict:
    """One page load in a new context (a new Streamlit session): stage times, completeness, errors."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from tests.browser.conftest import APP_CONNECTED, CHARTS_DRAWN, VIEWPORT, error_texts, wait_for_app

    long = 300_000
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sent, received, page_errors = [], [], []  # websocket frames are seen at the network level (CDP)

    def on_websocket(ws):
        ws.on("framesent", lambda payload: sent.append(time.perf_counter()))
        ws.on("framereceived", lambda payload: received.append((time.perf_counter(), len(payload))))

    page.on("websocket", on_websocket)
    page.on("pageerror", lambda exc: page_errors.append(str(exc)[:200]))
    try:
        started = time.perf_counter()
        marks = {}
        page.goto(url, timeout=long)  # resolves on the load event
        marks["page loaded (HTML + JS bundle)"] = time.perf_counter() - started
        page.wait_for_selector(APP_CONNECTED, state="attached", timeout=long)
        wait_for_app(page, timeout=long, settle_ms=0)
        idle = time.perf_counter() - started
        page.get_by_test_id("stMetric").first.wait_for(state="visible", timeout=long)
        metrics = time.perf_counter() - started
        try:
            page.wait_for_function(CHARTS_DRAWN, timeout=chart_timeout_ms)
            complete = True
        except PlaywrightTimeout:
            complete = False
        elapsed = time.perf_counter() - started
        drawn, total = page.evaluate("""() => { const c = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
            return [c.filter(e => e.querySelector('canvas, svg.marks')).length, c.length]; }""")
        if sent:
            marks["run requested (first websocket message sent)"] = sent[0] - started
        if received:
            marks["server done (last websocket message received)"] = received[-1][0] - started
        marks["browser processed the run (script state notRunning)"] = idle
        marks["metrics visible"] = metrics
        if complete:
            marks["all drawn: metrics visible, charts rendered"] = elapsed
        marks["(kB received over the websocket)"] = sum(n for _, n in received) / 1000
        return {"elapsed": elapsed if complete else None, "metrics": metrics, "marks": marks, "complete": complete,
                "charts": f"{drawn}/{total}", "errors": error_texts(page), "page_errors": page_errors}
    finally:
        context.close()


def browser_figures(scale: int, runs: int) -> dict:
    """Time to a complete render in Chromium on a warm server, one new session per load."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import chromium_problem, launch_chromium, start_server

    problem = chromium_problem()
    if problem:
        return {"skipped": problem}
    data_dir, db_path, _ = dataset(scale)
    log = OUT / f"streamlit-x{scale}.log"
    loads = []
    with start_server(data_dir, log, db_path=db_path, timeout=120) as base_url, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            first = _load(browser, base_url + "/", chart_timeout_ms=120_000)  # cold server: caches empty
            # If the charts never drew on the first load, do not wait two minutes on every run.
            chart_timeout = 60_000 if first["complete"] else 10_000
            loads = [_load(browser, base_url + "/", chart_timeout_ms=chart_timeout) for _ in range(runs)]
        finally:
            browser.close()
    stages: dict[str, list[float]] = {}
    for load in loads:
        for stage, value in load["marks"].items():
            stages.setdefault(stage, []).append(value)
    problems = sorted({e for load in [first, *loads] for e in load["errors"] + load["page_errors"]})
    incomplete = [load["charts"] for load in [first, *loads] if not load["complete"]]
    return {"first": first["elapsed"], "first_metrics": first["metrics"],
            "warm": [load["elapsed"] for load in loads if load["complete"]],
            "warm_metrics": [load["metrics"] for load in loads], "stages": stages,
            "incomplete": incomplete, "problems": problems, "loads": 1 + len(loads)}


# --------------------------------------------------------------------------- report


def _target(scale: int, key: str, value: float | None) -> str:
    return target(TARGETS, scale, key, value)


def print_report(scale: int, description: str, n_mutuals: int, build_seconds: float | None, runs: int,
                 server: dict | None, browser: dict | None) -> None:
    print()
    print(f"== scale {scale}×: {n_mutuals:,} mutuals — {description}")
    if build_seconds is not None:
        print(f"   database built in {build_seconds:.1f} s (not included below)")
    rows = []
    if server:
        s = server["server"]
        labels = [
            ("first", "first run in a fresh process (imports, caches cold)"),
            ("cold", "cold cache (caches cleared, DB built)"),
            ("warm", "warm cache, same filters"),
            ("filter_warm_narrow", f"warm cache after filter change → sector “{server.get('sector')}”"),
            ("filter_warm_wide", "warm cache after filter change → all sectors"),
            ("filter_new", "filter change to a new combination (cache miss)"),
        ]
        for key, label in labels:
            pairs = s.get(key) or []
            script = median([p[0] for p in pairs])
            wall = median([p[1] for p in pairs])
            rows.append((f"server · {label}", f"n={len(pairs)}", ms(script), ms(wall), _target(scale, key, script)))
    if browser:
        if "skipped" in browser:
            rows.append(("browser · skipped", "", browser["skipped"], "", ""))
        elif "error" in browser:
            rows.append(("browser · failed", "", browser["error"][:80], "", ""))
        else:
            first = browser["first"]
            rows.append(("browser · first load on a fresh server, complete render", "n=1",
                         ms(first) if first is not None else "never complete", "", ""))
            value = median(browser["warm"]) if browser["warm"] else None
            rows.append(("browser · complete render, warm server", f"n={len(browser['warm'])}",
                         ms(value) if value is not None else "never complete", "",
                         _target(scale, "browser_warm", value) if value is not None else
                         (f"{TARGETS[(scale, 'browser_warm')][1]}  MISSES" if (scale, "browser_warm") in TARGETS
                          else "")))
            rows.append(("browser · metrics visible, warm server", f"n={len(browser['warm_metrics'])}",
                         ms(median(browser["warm_metrics"])), "", ""))
    print_table(("figure (median)", "runs", "script / time", "AppTest.run wall", "target"), rows)
    if browser and browser.get("stages"):
        print()
        print("   browser, warm server: median time since page.goto started, by stage:")
        for stage, values in browser["stages"].items():
            value = f"{median(values):,.0f}" if stage.startswith("(kB") else ms(median(values))
            print(f"     {stage:<68} {value:>10}")
        if browser["incomplete"]:
            print(f"   !! charts not all drawn in {len(browser['incomplete'])} of {browser['loads']} loads "
                  f"(drawn/total: {', '.join(browser['incomplete'])})")
        for problem in browser["problems"]:
            print(f"   !! browser: {problem}")
    if server:
        print()
        print("   in-process, no Streamlit, no caching (median of "
              f"{len(server['direct']['total'])}):")
        for part, values in server["direct"].items():
            print(f"     {part:<68} {ms(median(values)):>10}")
        for title, text in (server.get("profile") or {}).items():
            print()
            print(f"   cProfile of one {title} (AppTest, sorted by cumulative time):")
            print("\n".join("     " + line for line in text.splitlines() if line.strip()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, choices=sorted(SCALES), action="append",
                        help="data scale: 1 (sample, ~130 mutuals) or 100 (13,000); repeatable; default both")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median reported; default 5)")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser figures")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of a cold-cache run")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    scales = args.scale or sorted(SCALES)
    runs = max(1, args.runs)

    if args.worker:
        result = worker(scales[0], runs, args.profile)
        print(json.dumps(result))
        return 0

    print(f"portfolio benchmark · {runs} run(s) per figure · python {sys.version.split()[0]} · "
          f"{os.cpu_count()} CPU(s){load_average()}")
    print("script = ScriptRunner start→stop of one run of dashboard.py (shell + portfolio page); "
          "AppTest.run wall adds AppTest's element-tree parsing.")
    for scale in scales:
        data_dir, db_path, description = dataset(scale)
        build_seconds = ensure_db(data_dir, db_path)
        server = server_figures(scale, runs, args.profile)
        browser = None
        if not args.no_browser:
            try:
                browser = browser_figures(scale, runs)
            except Exception as exc:  # report what we have rather than lose the server figures
                browser = {"error": f"{type(exc).__name__}: {exc}"}
        print_report(scale, description, count_rows(data_dir), build_seconds, runs, server, browser)
    return 0


if __name__ == "__main__":
    sys.exit(main())
