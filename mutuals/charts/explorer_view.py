"""One explorer tab as data: its disclosed tables, chart specs, captions and display tables.

:func:`build` computes the tab's statistics (:mod:`mutuals.services.explorer_views`,
:mod:`mutuals.services.survival`), each already through disclosure control, then draws the charts and
writes the captions from those disclosed tables only (:mod:`mutuals.charts.explorer`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from mutuals.charts import explorer as charts
from mutuals.charts.explorer_tables import as_text
from mutuals.rules import load_rules
from mutuals.services import explorer_views as stats
from mutuals.services import survival as surv
from mutuals.services.disclosure import Disclosed, Rule


@dataclass(frozen=True)
class ExplorerView:
    """One tab's output: disclosed tables, chart specs and captions, display tables and the SQL it ran."""

    tables: dict[str, Disclosed]                                    # name -> table; the first is the main one
    charts: dict[str, dict | None] = field(default_factory=dict)    # name -> Vega-Lite spec (None: nothing)
    captions: dict[str, str] = field(default_factory=dict)
    display: dict[str, pd.DataFrame] = field(default_factory=dict)  # name -> the table as shown (text cells)
    queries: tuple[tuple[str, dict], ...] = ()
    note: str = ""                                                  # what the view covers


def _texts(view: ExplorerView) -> ExplorerView:
    """The view with its display tables as text, built once here (the main table's when it has none)."""
    shown = view.display or {name: table.shown() for name, table in list(view.tables.items())[:1]}
    return replace(view, display={name: as_text(frame) for name, frame in shown.items()})


def _spec(chart) -> dict | None:
    return None if chart is None else chart.to_dict(validate=False)


def _journey_group_of(selected: pd.DataFrame, group: pd.Series) -> pd.Series:
    return pd.Series(group.to_numpy(), index=selected["mutual_id"].to_numpy())


def build(view: str, **parts) -> ExplorerView:
    """The tab ``view`` (see :func:`_build`), with its tables as shown built once."""
    return _texts(_build(view, **parts))


def _build(view: str, *, selected: pd.DataFrame, group: pd.Series, order: list[str], rule: Rule, label: str,
          pick: str, queries: tuple = (), panel: pd.DataFrame | None = None,
          survival_rows: pd.DataFrame | None = None, survival_group: pd.Series | None = None,
          survival_order: list[str] | None = None) -> ExplorerView:
    """The tab ``view`` for the selected rows grouped by ``group`` (``label``: the compare-by dimension;
    ``pick``: the tab's indicator or event)."""
    rules = load_rules()
    if view == "distributions":
        dist = stats.distributions(selected, group, order, rule, rules)
        indicator = pick or rules.indicators[0].column
        return ExplorerView(
            tables={"distributions": dist},
            charts={"distribution": _spec(charts.distribution_chart(dist, indicator, label))},
            captions={"distribution": charts.distribution_caption(dist, indicator, label)},
            display={"medians": charts.medians_table(dist)}, queries=queries,
            note="Trading mutuals on the as-of date; stale evidence counts as no value.")
    if view in ("journeys", "early_peak"):
        trajectories = stats.journeys(panel, _journey_group_of(selected, group), order, rule, rules)
        indicator = (pick or rules.explorer.journey_indicators[0]) if view == "journeys" else "engagement_score"
        journey = {"journey": _spec(charts.journey_chart(trajectories, indicator))}
        caption = {"journey": charts.journey_caption(trajectories, indicator)}
        if view == "journeys":
            return ExplorerView(tables={"journeys": trajectories}, charts=journey, captions=caption,
                                display={"journeys": _only(trajectories, indicator).shown()}, queries=queries,
                                note="Each mutual's indicators on 31 March of each year while in transition or "
                                     "trading, by whole years since spin-out.")
        peak = stats.early_peak(selected, group, order, rule, rules)
        return ExplorerView(
            tables={"early_peak": peak, "engagement_journey": _only(trajectories, "engagement_score")},
            charts={"early_peak": _spec(charts.early_peak_chart(peak)), **journey},
            captions={"early_peak": charts.early_peak_caption(peak), **caption}, queries=queries,
            note="Trading mutuals with an engagement history on the as-of date.")
    if view == "survival":
        event = pick or next(iter(surv.EVENTS))
        frame = survival_rows.assign(group=survival_rows["mutual_id"].map(survival_group))
        result = surv.survival(frame[frame["group"].notna()], event, rule, rules.explorer.confidence,
                               order=survival_order)
        return ExplorerView(
            tables={"survival": result.curves, "at_risk": result.at_risk},
            charts={"survival": _spec(charts.survival_chart(result))},
            captions={"survival": charts.survival_caption(result)},
            display={"at_risk": charts.at_risk_table(result)}, queries=queries,
            note="Every mutual of the selection spun out by the as-of date, whatever its stage or status now "
                 "(ceasing is the event); those still trading are censored at the as-of date.")
    if view == "status_mix":
        mix, shares = stats.status_mix(selected, group, order, rule, rules)
        return ExplorerView(
            tables={"status_mix": mix, "status_shares": shares},
            charts={"status_mix": _spec(charts.status_mix_chart(mix, shares))},
            captions={"status_mix": charts.status_mix_caption(mix, shares)},
            display={"status_mix": charts.status_mix_table(mix, shares)}, queries=queries,
            note="Every mutual of the selection, with its overall status on the as-of date.")
    raise ValueError(f"unknown explorer view {view!r}")


def _only(table: Disclosed, indicator: str) -> Disclosed:
    """The rows of one indicator of a long disclosed table (its mask kept)."""
    keep = (table.frame["indicator"] == indicator).to_numpy()
    return Disclosed(table.kind, table.frame[keep].reset_index(drop=True),
                     table.suppressed[keep].reset_index(drop=True), table.rule, table.notes)
