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
from mutuals.services.mutual import MutualView, indicator_table, load_mutual
from mutuals.services.mutual_tables import download_tables
from mutuals.services.portfolio import PortfolioView, build_portfolio

BUILDING = "Building the database from the CSV files…"


def published() -> versions.Published:
    """The version in force for the CSVs now, building it (one build at a time) when they changed.

    Raises BuildError when the CSVs do not build and there is no earlier good version to serve.
    """
    data_dir, db_path = settings.data_dir(), settings.db_path()
    ready = versions.peek(data_dir, db_path)
    rebuild = settings.rebuild_db_path()
    if ready is None and rebuild is not None:  # an imported version built by older code: rebuilt aside
        db_path = rebuild
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
    return CONNECTIONS.get(settings.connection_slot(), path)


Version = tuple[str, tuple[str, int]]  # (database version: its content hash, rules file in force)


def _current() -> tuple[str, Version]:
    """The database file in force and a version key: its content hash and the rules (both change what pages show)."""
    ready = published()
    return str(ready.path), (ready.version, rules_version())


@st.cache_data(show_spinner=False, max_entries=512)
def _query(*, path: str, version: Version, name: str, params: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    return _database(path).query(name, **dict(params))


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, set, frozenset, tuple)):
        return tuple(sorted(value)) if isinstance(value, (set, frozenset)) else tuple(value)
    return value


def _kwargs(filters: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """Frozen filters back as keyword arguments (tuples as lists)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in filters}


def _frozen(filters: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Keyword arguments as a hashable, order-independent cache key."""
    return tuple(sorted((k, _freeze(v)) for k, v in filters.items()))


class CachedDatabase:
    """A QueryRunner whose results are cached across reruns and sessions."""

    def __init__(self, path: str, version: Version):
        self.path, self.version = path, version

    def query(self, name: str, **params: Any) -> pd.DataFrame:
        return _query(path=self.path, version=self.version, name=name, params=_frozen(params))


def db() -> CachedDatabase:
    """The cached query runner for the current data set."""
    return CachedDatabase(*_current())


def data_date() -> date:
    """The latest recorded event (the default as-of date), never the wall clock."""
    return indicator_service.resolve_as_of(db(), None)


def dataset_info() -> dict[str, str]:
    frame = db().query("dataset_info")
    return dict(zip(frame["key"], frame["value"]))


def dataset_label() -> str:
    """What the sidebar calls the data in force: an imported version by its dataset name (or its id), else
    the bundled sample."""
    source = settings.dataset_source()
    if not source.startswith("workspace:"):
        return "Bundled sample" if is_synthetic() else "Dataset"
    name = dataset_info().get("name", "").strip()
    version = source.split(":", 1)[1]
    return f"{name} ({version})" if name else f"Imported data ({version})"


def is_synthetic() -> bool:
    return dataset_info().get("synthetic", "").lower() == "true"


# Views, chart specs and tables are large and never mutated by the pages, so each page's bundle is a
# shared resource (no pickling per rerun) built once per (data version, filters, scope). Every cached
# function takes keyword arguments only, so a call site names what each value is.


@st.cache_resource(show_spinner=False, max_entries=32)
def _portfolio(*, path: str, version: Version, as_of: date, filters: tuple[tuple[str, Any], ...]):
    # The whole view is cached here; its queries run on the shared connection (a cursor each, two threads).
    return build_portfolio(_database(path), as_of, **_kwargs(filters))


@dataclass(frozen=True)
class ExpiryChart:
    """The expiry timeline for one set of contracts: its spec (None when none ends in the window), caption, table."""

    spec: dict | None
    caption: str
    table: pd.DataFrame


@dataclass(frozen=True)
class PortfolioCharts:
    """The portfolio page's charts as ready Vega-Lite specs, with their captions and tables."""

    matrix_html: str
    matrix_caption: str
    matrix_names: dict[str, str]      # mutual_id -> name, in matrix order (trading mutuals only)
    matrix_rows: pd.DataFrame         # the rows shown, with overall_reasons
    expiry: ExpiryChart               # the commissioner's own contracts, or all contracts without a commissioner
    expiry_all: ExpiryChart | None    # with a commissioner: the mutuals' contracts with everyone (the toggle)
    expiry_window: str                # 'the next 36 months'
    dependency: dict | None
    dependency_caption: str
    warnings: pd.DataFrame            # every warning of the trading mutuals, most severe first (the CSV)
    warning_blocks: dict[str | None, tuple[pd.DataFrame, int]]  # area key (None = all) -> (blocks shown, total)
    ceased: pd.DataFrame              # mutual_id, name, ceased_date
    not_yet_spun_out: pd.DataFrame    # mutual_id, name, spin_out_date


@dataclass(frozen=True)
class PortfolioBundle:
    """Everything the portfolio page shows for one filter set: the view and, when it has mutuals, its charts."""

    view: PortfolioView
    charts: PortfolioCharts | None    # None when no mutual matches the filters


WARNING_BLOCKS_SHOWN = 10


def _expiry_chart(contracts: pd.DataFrame, view, as_of: date, whose: str = "") -> ExpiryChart:
    from mutuals.charts import portfolio as charts

    expiring = charts.expiry_frame(contracts, view.indicators, as_of)
    shown = charts.timeline_rows(expiring)
    return ExpiryChart(spec=charts.expiry_timeline(shown, as_of).to_dict(validate=False) if len(shown) else None,
                       caption=charts.expiry_caption(expiring, shown["mutual_id"].nunique(), whose=whose),
                       table=expiring.drop(columns=["value_text", "dependency_text", "months_text"]))


def _portfolio_charts(view, as_of: date, link_query: str, commissioner_name: str = "") -> PortfolioCharts:
    from mutuals.charts import portfolio as charts
    from mutuals.rules import load_rules

    rows = view.with_reasons(charts.matrix_rows(view.indicators))
    scatter = charts.dependency_frame(view.indicators)
    warnings = view.all_warnings()
    blocks = {area: view.warning_blocks(area, WARNING_BLOCKS_SHOWN, warnings)
              for area in [None, *(a.key for a in load_rules().areas)]}
    own = view.own_contracts is not None
    whose = f"{commissioner_name or 'The commissioner'}'s own contracts" if own else ""
    # Specs skip Altair's schema check here (tests/test_portfolio_charts.py validates every builder).
    return PortfolioCharts(
        matrix_html=charts.status_matrix_html(rows, link_query),
        matrix_caption=charts.matrix_caption(view.indicators, shown=len(rows)),
        matrix_names=dict(zip(rows["mutual_id"], rows["name"])),
        matrix_rows=rows,
        expiry=_expiry_chart(view.own_contracts if own else view.contracts, view, as_of, whose),
        expiry_all=_expiry_chart(view.contracts, view, as_of, "All contracts of these mutuals") if own else None,
        expiry_window=charts.expiry_window_text(),
        dependency=charts.dependency_scatter(scatter).to_dict(validate=False) if len(scatter) else None,
        dependency_caption=charts.dependency_caption(scatter, trading=len(view.selection)),
        warnings=warnings,
        warning_blocks=blocks,
        ceased=view.ceased(),
        not_yet_spun_out=view.not_yet_spun_out(),
    )


@st.cache_resource(show_spinner=False, max_entries=32)
def _portfolio_bundle(*, path: str, version: Version, as_of: date, filters: tuple[tuple[str, Any], ...],
                      link_query: str, commissioner_name: str) -> PortfolioBundle:
    view = _portfolio(path=path, version=version, as_of=as_of, filters=filters)
    return PortfolioBundle(view=view, charts=None if view.is_empty else _portfolio_charts(
        view, as_of, link_query, commissioner_name))


def portfolio_bundle(*, as_of: date, link_query: str = "", commissioner_name: str = "",
                     **filters: Any) -> PortfolioBundle:
    """The portfolio page's cached bundle for these filters (``Filters.query_kwargs()``: the scope included).

    ``link_query`` is appended to the matrix's links to mutual pages (the current filters);
    ``commissioner_name`` names the commissioner's own contracts in the expiry caption.
    """
    path, version = _current()
    return _portfolio_bundle(path=path, version=version, as_of=as_of, filters=_frozen(filters),
                             link_query=link_query, commissioner_name=commissioner_name)


def portfolio(*, as_of: date, **filters: Any):
    """The cached PortfolioView for these filters (shared with :func:`portfolio_bundle`)."""
    path, version = _current()
    return _portfolio(path=path, version=version, as_of=as_of, filters=_frozen(filters))


@st.cache_data(show_spinner=False, max_entries=64)
def _mutual(*, path: str, version: Version, mutual_id: str, as_of: date, scope: tuple[str, ...] | None):
    # Through the query cache: the sector-wide queries (medians, bands) are shared by every mutual of a sector.
    return load_mutual(CachedDatabase(path, version), mutual_id, as_of, scope=list(scope) if scope else None)


def mutual_list() -> pd.DataFrame:
    """All mutuals for the picker."""
    return db().query("mutual_list", scope=None)


@dataclass(frozen=True)
class MutualBundle:
    """Everything the mutual page shows for one (mutual, as-of, scope), built once and shared.

    The board pack is built from the same pieces (``view``, ``charts``, ``table``), so it prints the
    page's own cached chart specs and indicator table.
    """

    view: MutualView
    table: pd.DataFrame                   # indicator_table(view): cards, the overview CSV and the board pack
    charts: dict[str, list]               # area key -> [ChartSpec], in page order
    tables: dict[str, pd.DataFrame]       # download tables by name (indicators, waves, contracts, financials)


@st.cache_resource(show_spinner=False, max_entries=32)
def _mutual_bundle(*, path: str, version: Version, mutual_id: str, as_of: date,
                   scope: tuple[str, ...] | None) -> MutualBundle:
    from mutuals.charts.mutual import mutual_charts  # charts import Altair: loaded when a page needs them

    view = _mutual(path=path, version=version, mutual_id=mutual_id, as_of=as_of, scope=scope)
    table = indicator_table(view)
    # A shared resource, not a copy: nothing here is mutated (presentation mode copies the charts it scales).
    return MutualBundle(view=view, table=table, charts=mutual_charts(view),
                        tables=download_tables(view, table=table))


def mutual_bundle(*, mutual_id: str, as_of: date, scope: tuple[str, ...] | None = None) -> MutualBundle:
    """The mutual page's cached bundle; raises LookupError for an unknown (or out-of-scope) id."""
    path, version = _current()
    return _mutual_bundle(path=path, version=version, mutual_id=mutual_id, as_of=as_of,
                          scope=_freeze(scope) if scope is not None else None)


@st.cache_data(show_spinner=False, max_entries=16)
def _board_pack(*, path: str, version: Version, mutual_id: str, as_of: date, scope: tuple[str, ...] | None) -> bytes:
    from mutuals.reports.boardpack import board_pack_bytes  # imported lazily: heavy, and only on request

    bundle = _mutual_bundle(path=path, version=version, mutual_id=mutual_id, as_of=as_of, scope=scope)
    return board_pack_bytes(bundle.view, charts=bundle.charts, table=bundle.table)


def board_pack(*, mutual_id: str, as_of: date, scope: tuple[str, ...] | None = None) -> bytes:
    """The mutual's board pack (PDF bytes), from its page bundle; cached, so a second download is instant."""
    path, version = _current()
    return _board_pack(path=path, version=version, mutual_id=mutual_id, as_of=as_of,
                       scope=_freeze(scope) if scope is not None else None)


@dataclass(frozen=True)
class MethodologyBundle:
    """The methodology page: its sections (from the rules in force) and the backtest on the loaded data."""

    backtest: Any                     # mutuals.services.backtest.BacktestResult
    sections: list                    # mutuals.reports.methodology.Section, in page order
    event_rate: dict | None           # the backtest chart's spec; None when the backtest is empty


@st.cache_resource(show_spinner="Backtesting the rules on the loaded data…", max_entries=8)
def _methodology_bundle(*, path: str, version: Version, data_day: date) -> MethodologyBundle:
    from mutuals.charts.backtest import event_rate_chart
    from mutuals.reports.methodology import methodology
    from mutuals.services.backtest import run_backtest

    # The whole loaded data set (no filters); the result is shared, never mutated. The version key holds the
    # database file's content hash and the rules in force, so an edited config re-runs it.
    result = run_backtest(_database(path), None, data_day=data_day)
    info = CachedDatabase(path, version).query("dataset_info")
    sections = methodology(backtest=result, dataset=dict(zip(info["key"], info["value"])), data_date=data_day)
    chart = None if result.is_empty else event_rate_chart(result).to_dict(validate=False)
    return MethodologyBundle(backtest=result, sections=sections, event_rate=chart)


def methodology_bundle(*, data_day: date) -> MethodologyBundle:
    """The methodology page's cached bundle for the data version in force."""
    path, version = _current()
    return _methodology_bundle(path=path, version=version, data_day=data_day)
