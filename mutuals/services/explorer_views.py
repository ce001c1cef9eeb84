"""The explorer's group statistics, each returned through :func:`mutuals.services.disclosure.disclose`.

Every function takes the selected rows, their group labels (:func:`mutuals.services.explorer.groups`) and
the group order, and returns a :class:`~mutuals.services.disclosure.Disclosed` table: nothing here is
shown before disclosure control has run on it.
"""

from __future__ import annotations

import pandas as pd

from mutuals.rules import Rules, load_rules
from mutuals.services.backtest import wilson_interval
from mutuals.services.disclosure import Disclosed, Rule, disclose
from mutuals.services.indicators import stale

STATS = ("median", "q1", "q3")


def _ordered(frame: pd.DataFrame, column: str, order: list[str]) -> pd.DataFrame:
    rank = {g: i for i, g in enumerate(order)}
    return frame.assign(_rank=frame[column].map(rank).fillna(len(rank))).sort_values(
        ["_rank", *[c for c in ("_ind", "years") if c in frame]], kind="stable").drop(columns=["_rank"])


def _quartiles(long: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """n, median and quartiles of ``value`` per ``keys`` (missing values never counted)."""
    grouped = long.dropna(subset=["value"]).groupby(keys, sort=False, observed=True)["value"]
    return pd.concat({"n": grouped.count(), "median": grouped.median(), "q1": grouped.quantile(0.25),
                      "q3": grouped.quantile(0.75)}, axis=1).reset_index()


def distributions(frame: pd.DataFrame, group: pd.Series, order: list[str], rule: Rule,
                  rules: Rules | None = None) -> Disclosed:
    """Per group and indicator, over the trading mutuals: n, median and quartiles."""
    rules = rules or load_rules()
    trading = frame["stage"] == "trading"
    columns = rules.columns
    long = frame.loc[trading, columns].assign(group=group[trading]).melt(
        id_vars="group", value_vars=columns, var_name="indicator", value_name="value")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    stats = _quartiles(long, ["group", "indicator"])
    grid = pd.MultiIndex.from_product([order, columns], names=["group", "indicator"]).to_frame(index=False)
    stats = grid.merge(stats, on=["group", "indicator"], how="left").fillna({"n": 0})
    labels = {i.column: i.label for i in rules.indicators}
    stats.insert(2, "indicator_label", stats["indicator"].map(labels))
    stats["_ind"] = stats["indicator"].map({c: i for i, c in enumerate(columns)})
    stats = _ordered(stats, "group", order).drop(columns=["_ind"]).reset_index(drop=True)
    return disclose("groups", stats, rule, n="n", stats=STATS)


def prepare_panel(panel: pd.DataFrame, rules: Rules | None = None) -> pd.DataFrame:
    """The panel's journey indicators with stale values removed (evidence older than the indicator allows,
    as on the pages): mutual_id, years, then one column per journey indicator. Built once per data version."""
    rules = rules or load_rules()
    out = panel[["mutual_id", "years_since_spin_out"]].rename(columns={"years_since_spin_out": "years"})
    for column in rules.explorer.journey_indicators:
        ind = rules.by_column(column)
        values = pd.to_numeric(panel[column], errors="coerce")
        if ind.evidence_column and ind.evidence_column in panel:
            values = values.mask(stale(panel[ind.evidence_column], panel["panel_date"], ind.max_evidence_months))
        out[column] = values
    return out.reset_index(drop=True)


def journeys(panel: pd.DataFrame, group_of: pd.Series, order: list[str], rule: Rule,
             rules: Rules | None = None) -> Disclosed:
    """Per group, journey indicator and whole year since spin-out: n, median and quartiles.

    ``panel`` is :func:`prepare_panel`'s frame; ``group_of`` maps mutual_id to its group label (the
    selected mutuals only: the others' rows are left out)."""
    rules = rules or load_rules()
    columns = list(rules.explorer.journey_indicators)
    rows = panel[panel["mutual_id"].isin(group_of.index)]
    long = rows.assign(group=rows["mutual_id"].map(group_of)).melt(
        id_vars=["group", "years"], value_vars=columns, var_name="indicator", value_name="value")
    stats = _quartiles(long, ["group", "indicator", "years"])
    labels = {c: rules.by_column(c).label for c in columns}
    stats.insert(2, "indicator_label", stats["indicator"].map(labels))
    stats["years"] = stats["years"].astype(int)
    stats["_ind"] = stats["indicator"].map({c: i for i, c in enumerate(columns)})
    stats = _ordered(stats, "group", order).drop(columns=["_ind"]).reset_index(drop=True)
    stats = stats[["group", "indicator", "indicator_label", "years", "n", *STATS]]
    return disclose("groups", stats, rule, n="n", stats=STATS)


def early_peak(frame: pd.DataFrame, group: pd.Series, order: list[str], rule: Rule,
               rules: Rules | None = None) -> Disclosed:
    """Per group, of the trading mutuals with an engagement history: how many show the early peak, the share
    and its Wilson interval."""
    rules = rules or load_rules()
    known = (frame["stage"] == "trading") & frame["engagement_change_from_peak"].notna()
    peaks = frame.loc[known, "early_peak"].fillna(False).astype(bool)
    counts = pd.DataFrame({"group": group[known], "peak": peaks}).groupby("group", sort=False)["peak"].agg(
        ["count", "sum"]).reindex(order, fill_value=0)
    rows = []
    for name, (n, k) in counts.iterrows():
        low, high = wilson_interval(int(k), int(n), rules.explorer.confidence)
        rows.append({"group": name, "n": int(n), "peaks": int(k), "share": k / n if n else float("nan"),
                     "ci_low": low, "ci_high": high})
    table = pd.DataFrame(rows, columns=["group", "n", "peaks", "share", "ci_low", "ci_high"])
    return disclose("groups", table, rule, n="n", stats=("peaks", "share", "ci_low", "ci_high"))


def status_mix(frame: pd.DataFrame, group: pd.Series, order: list[str], rule: Rule,
               rules: Rules | None = None) -> tuple[Disclosed, Disclosed]:
    """Groups × overall status: counts with totals (primary and secondary suppression), and row shares."""
    rules = rules or load_rules()
    statuses = [s for s in rules.overall_statuses if s in set(frame["overall_status"])]
    counts = pd.crosstab(group, frame["overall_status"]).reindex(index=order, columns=statuses, fill_value=0)
    counts.index.name, counts.columns.name = None, None
    mix = disclose("crosstab", counts, rule)
    mask = mix.suppressed.copy()
    mask.loc[mask["Total"]] = True  # a row whose total is hidden has no shares either
    shares = mix.frame.div(mix.frame["Total"], axis=0)
    return mix, Disclosed("crosstab", shares.mask(mask), mask, rule, mix.notes)
