"""Each page gets its data through one cached bundle, built once per (data version, filters, scope).

The builders are wrapped with counters; a page that recomputed a table, a chart set or a view on a rerun
(outside the cache) would raise the count. The board pack is built from the mutual page's own bundle: the
same chart specs and indicator table objects, never rebuilt.
"""

from __future__ import annotations

import inspect
from collections import Counter

import pytest
import streamlit as st

from mutuals.ui import data
from tests.apptest import DownloadRecorder, open_app

D = "2026-06-30"


@pytest.fixture
def counted(monkeypatch):
    """Count calls of the bundle builders (the caches are emptied first, so the first run builds)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    calls: Counter[str] = Counter()
    built: dict[str, object] = {}

    def wrap(name, *modules):
        """Count calls of ``name`` through every module that holds it (so a page's own call counts too)."""
        original = getattr(modules[0], name)

        def counting(*args, **kwargs):
            calls[name] += 1
            built[name] = original(*args, **kwargs)
            return built[name]

        for module in modules:
            monkeypatch.setattr(module, name, counting)

    import mutuals.charts.mutual as mutual_charts
    import mutuals.services.backtest as backtest
    import mutuals.services.mutual as mutual
    import mutuals.services.mutual_tables as mutual_tables
    import mutuals.services.portfolio as portfolio

    wrap("indicator_table", data, mutual)
    wrap("download_tables", data, mutual_tables)
    wrap("load_mutual", data, mutual)
    wrap("build_portfolio", data, portfolio)
    wrap("mutual_charts", mutual_charts)
    wrap("run_backtest", backtest)
    import mutuals.charts.explorer_view as explorer_view
    import mutuals.services.explorer as explorer
    import mutuals.services.explorer_views as explorer_views

    wrap("load_base", explorer)
    wrap("prepare_panel", explorer_views)
    wrap("build", explorer_view)
    yield calls, built
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_mutual_page_builds_its_bundle_once(handmade_dir, counted, monkeypatch):
    calls, built = counted
    recorder = DownloadRecorder(monkeypatch)
    at = open_app(handmade_dir, {"mutual": "M1", "as_of": D}, page="pages/mutual.py")
    assert not at.exception
    at.run()
    at.toggle(key="present_toggle").set_value(True).run()  # presentation mode: the same bundle
    at.button(key="present_next").click().run()
    assert {k: calls[k] for k in ("load_mutual", "indicator_table", "download_tables", "mutual_charts")} == {
        "load_mutual": 1, "indicator_table": 1, "download_tables": 1, "mutual_charts": 1}

    # The board pack gets the bundle's own chart specs and indicator table (the same objects).
    at.button(key="present_exit").click().run()
    received = {}
    import mutuals.reports.boardpack as boardpack

    def fake_pack(view, charts=None, table=None):
        received.update(view=view, charts=charts, table=table)
        return b"%PDF-1.7 recorded"

    monkeypatch.setattr(boardpack, "board_pack_bytes", fake_pack)
    button = next(b for b in at.get("download_button") if b.label == "Board pack (PDF)")
    assert recorder.read(button) == b"%PDF-1.7 recorded"
    assert received["charts"] is built["mutual_charts"] and received["table"] is built["indicator_table"]
    assert calls["mutual_charts"] == 1 and calls["indicator_table"] == 1

    # Another as-of date is another bundle.
    at.date_input(key="f_as_of").set_value(__import__("datetime").date(2025, 6, 30)).run()
    assert calls["indicator_table"] == 2 and calls["mutual_charts"] == 2


def test_the_portfolio_and_methodology_pages_build_once(handmade_dir, counted):
    calls, _ = counted
    at = open_app(handmade_dir, {"as_of": D})
    assert not at.exception
    at.run()
    assert calls["build_portfolio"] == 1
    at.switch_page("pages/methodology.py").run()
    at.run()
    assert calls["run_backtest"] == 1


def test_the_explorer_builds_each_view_once(handmade_dir, counted):
    """The base frame and the panel once per data version; a tab's view once per selection; reruns, tab
    switches back and a control change that only picks another tab's view never rebuild what is cached."""
    calls, _ = counted
    at = open_app(handmade_dir, {"as_of": D}, page="pages/explorer.py")
    assert not at.exception
    at.run()
    assert calls["load_base"] == 1 and calls["build"] == 1  # Distributions: the open tab only
    for tab in ("Journeys", "Early peak", "Distributions", "Journeys"):
        at.session_state["tab"] = tab
        at.run()
    assert calls["build"] == 3 and calls["prepare_panel"] == 1 and calls["load_base"] == 1
    at.session_state["compare"] = "region"
    at.run()
    assert calls["build"] == 4 and calls["load_base"] == 1  # a new grouping: the open tab's view only


def test_cached_functions_take_keyword_arguments_only():
    """A cached builder's call site names every value (no ``_portfolio(*_current(), as_of, frozen)``)."""
    from mutuals.ui import explorer_data

    cached = [v for module in (data, explorer_data) for k, v in vars(module).items()
              if k.startswith("_") and hasattr(v, "clear") and callable(v)]
    assert len(cached) >= 11
    for function in cached:
        parameters = inspect.signature(function).parameters.values()
        assert all(p.kind is p.KEYWORD_ONLY for p in parameters), function
