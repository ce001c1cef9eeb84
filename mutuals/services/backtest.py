"""Backtest: how well would the rules have warned, on the data that is loaded?

The rules are replayed at as-of dates one, two, three… years before the data date.
For every mutual trading on such a date D, an **adverse event** within the horizon H
is: it ceased in (D, D+H], or its main contract on D (the one
``months_to_main_contract_end`` uses) ended in (D, D+H] with an outcome the config
counts as adverse (``lost_at_retender``, ``handed_back``). Event rates per overall
status are pooled over the dates, with Wilson intervals; the lift of a flagged
status is its event rate over the pooled rate of all trading mutuals, and recall is
the share of all events that had been flagged on D.

Nothing here reads the wall clock, and the same function feeds the CLI and the
methodology page, so anyone who loads their own data sees how the rules would
have performed on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from statistics import NormalDist

import pandas as pd

from mutuals.rules import STAGES, Rules, load_rules
from mutuals.services.indicators import QueryRunner, compute_indicators, resolve_as_of

EVENT_COLUMNS = ["as_of", "mutual_id", "name", "overall_status", "event", "event_kind", "event_date"]


@dataclass(frozen=True)
class BacktestResult:
    """The backtest's tables and headline figures."""

    horizon_years: int
    data_date: date
    dates: tuple[date, ...]       # the as-of dates kept, oldest first
    statuses: tuple[str, ...]     # trading statuses, least to most severe
    by_date: pd.DataFrame         # as_of, overall_status, trading, events
    pooled: pd.DataFrame          # overall_status, trading, events, rate, low, high, lift
    rows: pd.DataFrame            # one row per mutual and date (EVENT_COLUMNS)
    trading: int                  # mutual-dates pooled
    events: int
    pooled_rate: float | None
    recall: float | None          # share of events flagged on D
    flagged: tuple[str, ...]
    confidence: float

    @property
    def is_empty(self) -> bool:
        return not self.dates

    def lift(self, status: str) -> float | None:
        row = self.pooled[self.pooled["overall_status"] == status]
        return None if row.empty or pd.isna(row["lift"].iloc[0]) else float(row["lift"].iloc[0])

    def rate(self, status: str) -> float | None:
        row = self.pooled[self.pooled["overall_status"] == status]
        return None if row.empty or pd.isna(row["rate"].iloc[0]) else float(row["rate"].iloc[0])


def wilson_interval(events: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a proportion events / n (NaNs when n is 0)."""
    if n <= 0:
        return math.nan, math.nan
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def backtest_dates(db: QueryRunner, data_day: date, horizon_years: int, **filters) -> list[tuple[date, pd.DataFrame]]:
    """(D, rated frame) for D = data date − 1, 2, 3… years whose horizon ends by the data date.

    Dates with fewer than ``min_trading`` trading mutuals are dropped; the walk back stops
    once no mutual appears any more.
    """
    rules = load_rules()
    out = []
    for years in range(1, 200):
        day = (pd.Timestamp(data_day) - pd.DateOffset(years=years)).date()
        if (pd.Timestamp(day) + pd.DateOffset(years=horizon_years)).date() > data_day:
            continue
        rated = compute_indicators(db, day, reasons=False, **filters)
        if rated.empty:
            break
        if int((rated["stage"] == "trading").sum()) >= rules.backtest.min_trading:
            out.append((day, rated))
    return sorted(out, key=lambda pair: pair[0])


def adverse_events(rated: pd.DataFrame, day: date, horizon_years: int, rules: Rules | None = None) -> pd.DataFrame:
    """One row per mutual trading on ``day``: its status then, and whether an adverse event followed."""
    rules = rules or load_rules()
    trading = rated[rated["stage"] == "trading"]
    start = pd.Timestamp(day)
    end = start + pd.DateOffset(years=horizon_years)
    ceased = pd.to_datetime(trading["ceased_date"])
    ceased_in = ceased.notna() & (ceased > start) & (ceased <= end)
    contract_end = pd.to_datetime(trading["main_contract_end_date"])
    lost_in = (trading["main_contract_outcome"].isin(rules.backtest.adverse_outcomes)
               & contract_end.notna() & (contract_end > start) & (contract_end <= end))
    kind = pd.Series("", index=trading.index, dtype=object)
    kind = kind.mask(ceased_in, "ceased")
    kind = kind.mask(lost_in & ~ceased_in, trading["main_contract_outcome"])
    kind = kind.mask(lost_in & ceased_in, trading["main_contract_outcome"] + " and ceased")
    when = contract_end.where(lost_in, ceased.where(ceased_in))
    return pd.DataFrame({
        "as_of": day, "mutual_id": trading["mutual_id"], "name": trading["name"],
        "overall_status": trading["overall_status"], "event": (ceased_in | lost_in).astype(bool),
        "event_kind": kind, "event_date": when,
    })[EVENT_COLUMNS].reset_index(drop=True)


def run_backtest(db: QueryRunner, horizon_years: int | None = None, *, data_day: date | None = None,
                 **filters) -> BacktestResult:
    """Replay the rules on the loaded data; ``filters`` are those of ``compute_indicators``."""
    rules = load_rules()
    bt = rules.backtest
    horizon = int(horizon_years if horizon_years is not None else bt.horizon_years)
    if horizon < 1:
        raise ValueError("the horizon must be at least 1 year")
    data_day = resolve_as_of(db, data_day)
    replay = backtest_dates(db, data_day, horizon, **filters)
    frames = [adverse_events(rated, day, horizon, rules) for day, rated in replay]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=EVENT_COLUMNS)
    rows["event"] = rows["event"].astype(bool)
    statuses = tuple(s for s in reversed(rules.overall_order) if s not in STAGES)

    grid = pd.MultiIndex.from_product([[d for d, _ in replay], statuses], names=["as_of", "overall_status"])
    by_date = (rows.groupby(["as_of", "overall_status"]).agg(trading=("event", "size"), events=("event", "sum"))
               .reindex(grid, fill_value=0).astype(int).reset_index())
    trading, events = len(rows), int(rows["event"].sum()) if len(rows) else 0
    pooled_rate = events / trading if trading else None
    pooled_rows = []
    for status in statuses:
        mine = rows[rows["overall_status"] == status]
        n, k = len(mine), int(mine["event"].sum())
        low, high = wilson_interval(k, n, bt.confidence)
        rate = k / n if n else math.nan
        lift = rate / pooled_rate if n and pooled_rate else math.nan
        pooled_rows.append({"overall_status": status, "trading": n, "events": k, "rate": rate,
                            "low": low, "high": high, "lift": lift})
    flagged_events = int(rows.loc[rows["overall_status"].isin(bt.flagged), "event"].sum()) if len(rows) else 0
    return BacktestResult(
        horizon_years=horizon, data_date=data_day, dates=tuple(d for d, _ in replay), statuses=statuses,
        by_date=by_date, pooled=pd.DataFrame(pooled_rows), rows=rows, trading=trading, events=events,
        pooled_rate=pooled_rate, recall=flagged_events / events if events else None,
        flagged=bt.flagged, confidence=bt.confidence,
    )
