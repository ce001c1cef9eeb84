"""Cached access to the database for the pages.

Every rerun asks :mod:`mutuals.infra.versions` which database version is in force for the CSVs as
they are now (a few ``stat`` calls); when the CSVs changed it builds the new version under a file
lock (other sessions wait, with a spinner) and switches to it. One read-only connection per version
file is shared by every session (:data:`mutuals.infra.db.CONNECTIONS`); the version it replaces is
closed once its last query finishes. Query results are cached by version, query name and parameters
(``st.cache_data``), so a filter change re-runs only the queries whose parameters changed, and a new
version is never served from an old version's cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from mutuals import settings
from mutuals.infra import versions
from mutuals.infra.db import CONNECTIONS, Database
from mutuals.rules import rules_version
from mutuals.services import indicators as indicator_service

BUILDING = "Building the database from the CSV files…"


def published() -> versions.Published:
    """The version in force for the CSVs now, building it (one build at a time) when they changed.

    Raises BuildError when the CSVs do not build and there is no earlier good version to serve.
    """
    data_dir, db_path = settings.data_dir(), settings.db_path()
    ready = versions.peek(data_dir, db_path)
    if ready is None:
        with st.spinner(BUILDING):
            ready = versions.publish(data_dir, db_path)
    return ready


def build_problem() -> str | None:
    """Why the CSVs as they are now did not build, when the last good version is served instead."""
    return published().problem


def _database(path: str) -> Database:
    """The shared connection to one version file."""
    return CONNECTIONS.get(settings.db_path(), path)


Version = tuple[str, tuple[str, int]]  # (database version: its content hash, rules file in force)


def _current() -> tuple[str, Version]:
    """The database file in force and a version key: its content hash and the rules (both change what pages show)."""
    ready = published()
    return str(ready.path), (ready.version, rules_version())


@st.cache_data(show_spinner=False, max_entries=512)
def _query(path: str, version: Version, name: str, params: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    return _database(path).query(name, **dict(params))


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, set, frozenset, tuple)):
        return tuple(sorted(value)) if isinstance(value, (set, frozenset)) else tuple(value)
    return value


class CachedDatabase:
    """A QueryRunner whose results are cached across reruns and sessions."""

    def __init__(self, path: str, version: Version):
        self.path, self.version = path, version

    def query(self, name: str, **params: Any) -> pd.DataFrame:
        frozen = tuple(sorted((k, _freeze(v)) for k, v in params.items()))
        return _query(self.path, self.version, name, frozen)


def db() -> CachedDatabase:
    """The cached query runner for the current data set."""
    return CachedDatabase(*_current())


def data_date() -> date:
    """The latest recorded event (the default as-of date), never the wall clock."""
    return indicator_service.resolve_as_of(db(), None)


def dataset_info() -> dict[str, str]:
    frame = db().query("dataset_info")
    return dict(zip(frame["key"], frame["value"]))


def is_synthetic() -> bool:
    return dataset_info().get("synthetic", "").lower() == "true"


# Portfolio views and their chart specs are large and never mutated by the pages, so they are shared
# resources (no pickling per rerun) rather than copied cache_data results.
@st.cache_resource(show_spinner=False, max_entries=32)
def _portfolio(path: str, version: Version, as_of: date, filters: tuple[tuple[str, Any], ...]):
    from mutuals.services.portfolio import build_portfolio

    kwargs = {k: (list(v) if isinstance(v, tuple) else v) for k, v in filters}
    # The whole view is cached here; its queries run on the shared connection (a cursor each, two threads).
    return build_portfolio(_database(path), as_of, **kwargs)


def portfolio(as_of: date, **filters: Any):
    """The cached PortfolioView for these filters."""
    frozen = tuple(sorted((k, _freeze(v)) for k, v in filters.items()))
    return _portfolio(*_current(), as_of, frozen)


@st.cache_data(show_spinner=False, max_entries=64)
def _mutual(path: str, version: Version, mutual_id: str, as_of: date | None, scope: tuple[str, ...] | None):
    from mutuals.services.mutual import load_mutual

    # Through the query cache: the sector-wide queries (medians, bands) are shared by every mutual of a sector.
    return load_mutual(CachedDatabase(path, version), mutual_id, as_of, scope=list(scope) if scope else None)


def mutual(mutual_id: str, as_of: date | None = None, scope=None):
    """The cached MutualView; raises LookupError for an unknown (or out-of-scope) id."""
    return _mutual(*_current(), mutual_id, as_of, _freeze(scope) if scope is not None else None)


def mutual_list() -> pd.DataFrame:
    """All mutuals for the picker."""
    return db().query("mutual_list", scope=None)


@st.cache_resource(show_spinner=False, max_entries=32)
def _mutual_charts(path: str, version: Version, mutual_id: str, as_of: date | None, scope: tuple[str, ...] | None):
    from mutuals.charts.mutual import mutual_charts as build

    # A shared resource, not a copy: the chart objects are never mutated (presentation mode copies them).
    return build(_mutual(path, version, mutual_id, as_of, scope))


def mutual_charts(mutual_id: str, as_of: date | None = None, scope=None):
    """The cached charts of a mutual (``mutuals.charts.mutual.mutual_charts`` of its MutualView)."""
    return _mutual_charts(*_current(), mutual_id, as_of, _freeze(scope) if scope is not None else None)


@dataclass(frozen=True)
class PortfolioCharts:
    """The portfolio page's charts as ready Vega-Lite specs, with their captions and tables."""

    matrix_html: str
    matrix_caption: str
    matrix_names: dict[str, str]      # mutual_id -> name, in matrix order
    matrix_rows: pd.DataFrame         # the rows shown, with overall_reasons
    expiry: dict | None
    expiry_caption: str
    expiry_window: str                # 'the next 36 months'
    expiry_table: pd.DataFrame
    dependency: dict | None
    dependency_caption: str
    warnings: pd.DataFrame            # the most severe warnings, for display


WARNINGS_SHOWN = 25


@st.cache_resource(show_spinner=False, max_entries=32)
def _portfolio_charts(path: str, version: Version, as_of: date, filters: tuple[tuple[str, Any], ...],
                      link_query: str) -> PortfolioCharts:
    from mutuals.charts import portfolio as charts

    view = _portfolio(path, version, as_of, filters)
    rows = view.with_reasons(charts.matrix_rows(view.indicators))
    expiring = charts.expiry_frame(view.contracts, view.indicators, as_of)
    shown = charts.timeline_rows(expiring)
    scatter = charts.dependency_frame(view.indicators)
    # Specs skip Altair's schema check here (tests/test_portfolio_charts.py validates every builder).
    return PortfolioCharts(
        matrix_html=charts.status_matrix_html(rows, link_query),
        matrix_caption=charts.matrix_caption(view.indicators, shown=len(rows)),
        matrix_names=dict(zip(rows["mutual_id"], rows["name"])),
        matrix_rows=rows,
        expiry=charts.expiry_timeline(shown, as_of).to_dict(validate=False) if len(shown) else None,
        expiry_caption=charts.expiry_caption(expiring, shown["mutual_id"].nunique()),
        expiry_window=charts.expiry_window_text(),
        expiry_table=expiring.drop(columns=["value_text", "dependency_text", "months_text"]),
        dependency=charts.dependency_scatter(scatter).to_dict(validate=False) if len(scatter) else None,
        dependency_caption=charts.dependency_caption(scatter),
        warnings=view.top_warnings(WARNINGS_SHOWN),
    )


def portfolio_charts(as_of: date, link_query: str = "", **filters: Any) -> PortfolioCharts:
    """Cached chart specs for the portfolio page: built (and schema-checked) once per filter set.

    ``link_query`` is appended to the matrix's links to mutual pages (the current filters).
    """
    frozen = tuple(sorted((k, _freeze(v)) for k, v in filters.items()))
    return _portfolio_charts(*_current(), as_of, frozen, link_query)


@st.cache_resource(show_spinner="Backtesting the rules on the loaded data…", max_entries=8)
def _backtest(path: str, version: Version, horizon_years: int | None, data_day: date | None):
    from mutuals.services.backtest import run_backtest

    # The whole loaded data set (no filters); the result is shared, never mutated. The version key holds the
    # database file's mtime and the rules in force, so an edited config re-runs it.
    return run_backtest(_database(path), horizon_years, data_day=data_day)


def backtest(horizon_years: int | None = None, data_day: date | None = None):
    """The cached BacktestResult on the whole loaded data set (``mutuals.services.backtest.run_backtest``)."""
    return _backtest(*_current(), horizon_years, data_day)
