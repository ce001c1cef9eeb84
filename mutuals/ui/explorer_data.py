"""The explorer's cached data: one bundle per selection, one cached view per open tab.

The base frame (attributes and indicators on the as-of date), the prepared indicator panel and the
survival rows are cached per data version and never recomputed when a control changes; the bundle
(selection, groups, facet counts, the mutual list) is cached per selection and compare-by dimension;
each tab's view per (selection, compare-by, view, pick). Every cached function is keyword-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from mutuals.rules import load_rules
from mutuals.services import explorer as ex
from mutuals.services import explorer_views as views
from mutuals.services.disclosure import Disclosed, Rule
from mutuals.services.indicators import indicator_params
from mutuals.ui.data import Version, _current, _database, _freeze

if TYPE_CHECKING:
    from mutuals.charts.explorer_view import ExplorerView

VIEWS = {"distributions": "Distributions", "journeys": "Journeys", "survival": "Survival",
         "early_peak": "Early peak", "status_mix": "Status mix"}


@dataclass(frozen=True)
class ExplorerBundle:
    """The selection on one as-of date: its rows, groups, facet counts and the (public) mutual list."""

    base: pd.DataFrame               # every visible mutual (shell filters applied): the options come from it
    selected: pd.DataFrame           # the explorer's filters applied
    group: pd.Series                 # each selected row's group label
    order: list[str]                 # group labels in display order
    facets: dict[str, Disclosed]     # facet column -> value, label, count (disclosure-controlled)
    rows: Disclosed                  # the mutual list: public attributes only
    rows_text: pd.DataFrame          # the mutual list as shown
    rule: Rule
    queries: tuple[tuple[str, dict], ...]  # the SQL files behind the base frame, with their parameters


def _base_queries(as_of: date, commissioner: str | None, scope: tuple[str, ...] | None) -> tuple:
    params = indicator_params(as_of, commissioner=commissioner, scope=scope)
    return (("explorer_mutuals", {"scope": params["scope"]}), ("indicators", params))


@st.cache_resource(show_spinner=False, max_entries=16)
def _base(*, path: str, version: Version, as_of: date, commissioner: str | None,
          scope: tuple[str, ...] | None) -> pd.DataFrame:
    return ex.load_base(_database(path), as_of, commissioner=commissioner, scope=list(scope) if scope else None)


def base(*, as_of: date, commissioner: str | None, scope: tuple[str, ...] | None) -> pd.DataFrame:
    """Every visible mutual on ``as_of`` (the controls' options come from it), cached per data version."""
    path, version = _current()
    return _base(path=path, version=version, as_of=as_of, commissioner=commissioner,
                 scope=_freeze(scope) if scope is not None else None)


@st.cache_resource(show_spinner=False, max_entries=4)
def _panel(*, path: str, version: Version) -> pd.DataFrame:
    """The indicator panel with stale values removed: read once per data version (all mutuals)."""
    return views.prepare_panel(_database(path).query("explorer_panel", scope=None))


@st.cache_resource(show_spinner=False, max_entries=16)
def _survival_rows(*, path: str, version: Version, as_of: date) -> pd.DataFrame:
    return _database(path).query("explorer_survival", as_of=as_of, scope=None)


@st.cache_resource(show_spinner=False, max_entries=64)
def _bundle(*, path: str, version: Version, as_of: date, commissioner: str | None, scope: tuple[str, ...] | None,
            selection: ex.Selection, compare: str) -> ExplorerBundle:
    rules = load_rules()
    rule = Rule.from_rules(rules)
    base = _base(path=path, version=version, as_of=as_of, commissioner=commissioner, scope=scope)
    selected = ex.apply(base, selection)
    from mutuals.charts.explorer_tables import as_text

    group, order = ex.groups(selected, compare, rules)
    rows = ex.mutual_rows(selected, selection, rule)
    return ExplorerBundle(base=base, selected=selected, group=group, order=order,
                          facets=ex.facet_counts(base, selection, rule, rules), rows=rows,
                          rows_text=as_text(rows.shown()), rule=rule, queries=_base_queries(as_of, commissioner, scope))


def bundle(*, as_of: date, commissioner: str | None, scope: tuple[str, ...] | None, selection: ex.Selection,
           compare: str) -> ExplorerBundle:
    """The explorer's cached bundle for this selection."""
    path, version = _current()
    return _bundle(path=path, version=version, as_of=as_of, commissioner=commissioner,
                   scope=_freeze(scope) if scope is not None else None, selection=selection, compare=compare)


@st.cache_resource(show_spinner=False, max_entries=128)
def _view(*, path: str, version: Version, as_of: date, commissioner: str | None, scope: tuple[str, ...] | None,
          selection: ex.Selection, compare: str, view: str, pick: str) -> ExplorerView:
    from mutuals.charts.explorer_view import build  # charts import Altair: loaded when a view is drawn

    b = _bundle(path=path, version=version, as_of=as_of, commissioner=commissioner, scope=scope,
                selection=selection, compare=compare)
    common = dict(selected=b.selected, group=b.group, order=b.order, rule=b.rule, label=ex.DIMENSIONS[compare],
                  pick=pick)
    scoped = {"scope": list(scope) if scope else None}
    if view in ("journeys", "early_peak"):
        return build(view, **common, panel=_panel(path=path, version=version),
                     queries=b.queries + (("explorer_panel", scoped),))
    if view == "survival":
        # Ceasing is the event, so the stage and status filters do not decide who is followed.
        followed = ex.apply(b.base, selection, ignore=frozenset({"stage", "overall_status"}))
        group, order = ex.groups(followed, compare)
        return build(view, **common, survival_rows=_survival_rows(path=path, version=version, as_of=as_of),
                     survival_group=pd.Series(group.to_numpy(), index=followed["mutual_id"].to_numpy()),
                     survival_order=order,
                     queries=b.queries + (("explorer_survival", {"as_of": as_of, **scoped}),))
    return build(view, **common, queries=b.queries)


def view(*, as_of: date, commissioner: str | None, scope: tuple[str, ...] | None, selection: ex.Selection,
         compare: str, view: str, pick: str = "") -> ExplorerView:
    """One tab's cached output (``pick``: the tab's indicator or event)."""
    path, version = _current()
    return _view(path=path, version=version, as_of=as_of, commissioner=commissioner,
                 scope=_freeze(scope) if scope is not None else None, selection=selection, compare=compare,
                 view=view, pick=pick)


def frozen_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as shown under "Show SQL" (lists as lists, dates as ISO text)."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items()}
