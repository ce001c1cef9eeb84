"""A commissioner's (or any filtered) portfolio: headline figures, matrix, contracts, warnings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import load_rules
from mutuals.services.indicators import QueryRunner, compute_indicators
from mutuals.services.rollup import overall_reasons
from mutuals.services.warnings import count_warnings, early_warnings


def year_earlier(day: date) -> date:
    """The comparison date: the same date ``comparison_years`` (config) before (29 Feb falls back to 28 Feb)."""
    return (pd.Timestamp(day) - pd.DateOffset(years=load_rules().settings.comparison_years)).date()


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: float
    previous: float | None
    kind: str  # count | money
    help: str

    @property
    def delta(self) -> float | None:
        return None if self.previous is None else self.value - self.previous


@dataclass(frozen=True)
class PortfolioView:
    as_of: date
    previous_as_of: date
    indicators: pd.DataFrame          # one row per mutual, rated
    previous_indicators: pd.DataFrame
    contracts: pd.DataFrame           # contracts active on as_of
    headlines: tuple[Headline, ...]
    warning_count: int

    @property
    def is_empty(self) -> bool:
        return self.indicators.empty

    def ranked(self) -> pd.DataFrame:
        """Mutuals most severe first: overall status, then number of reds, then name."""
        frame = self.indicators.assign(_rank=self.indicators["overall_status"].map(load_rules().overall_rank),
                                       _reds=-self.indicators["reds"])
        return frame.sort_values(["_rank", "_reds", "name"], kind="stable").drop(columns=["_rank", "_reds"])

    def with_reasons(self, frame: pd.DataFrame | None = None) -> pd.DataFrame:
        """``frame`` (default: all mutuals) with ``overall_reasons``, computed only for those rows."""
        frame = self.indicators if frame is None else frame
        return frame.assign(overall_reasons=pd.Series(overall_reasons(frame), index=frame.index, dtype=object))

    def top_warnings(self, limit: int) -> pd.DataFrame:
        """The ``limit`` most severe warnings, visiting only as many mutuals as needed."""
        ranked = self.ranked()
        step = max(limit, 10)
        for end in range(step, len(ranked) + step, step):
            found = early_warnings(ranked.head(end))
            if len(found) >= limit or end >= len(ranked):
                return found.head(limit)
        return early_warnings(ranked).head(limit)

    def all_warnings(self) -> pd.DataFrame:
        return early_warnings(self.indicators)


def active_contracts(db: QueryRunner, as_of: date, mutual_ids: list[str]) -> pd.DataFrame:
    rules = load_rules()
    return db.query("active_contracts", as_of=as_of, scope=mutual_ids, days_per_month=rules.days_per_month)


def _figures(indicators: pd.DataFrame, contracts: pd.DataFrame, as_of: date) -> dict[str, float]:
    live = indicators[indicators["stage"] != "ceased"]
    ends = pd.to_datetime(contracts["end_date"])
    d = pd.Timestamp(as_of)
    rules = load_rules()
    out = {
        "mutuals": float(len(live)),
        "staff": float(live["staff_count"].fillna(0).sum()),
        "contract_value": float(contracts["annual_value"].sum()),
    }
    for days in rules.settings.headline_windows_days:
        out[f"ending_{days}d"] = float(contracts.loc[ends <= d + pd.Timedelta(days=days), "annual_value"].sum())
    counts = indicators["overall_status"].value_counts()
    for status in rules.overall_order:
        out[f"status_{status}"] = float(counts.get(status, 0))
    return out


def headline_labels() -> list[tuple[str, str, str, str]]:
    """(key, label, kind, help) of the headline figures; the 'value ending' windows come from the config."""
    labels = [
        ("mutuals", "Mutuals", "count", "Mutuals in the portfolio that have not ceased trading."),
        ("staff", "Staff", "count", "Total staff of those mutuals."),
        ("contract_value", "Annual contract value", "money", "Annual value of all contracts active on the as-of date."),
    ]
    for days in load_rules().settings.headline_windows_days:
        labels.append((f"ending_{days}d", f"Value ending ≤ {round(days / load_rules().days_per_month)} months", "money",
                       f"Annual value of active contracts ending within {days} days."))
    return labels


def build_portfolio(db: QueryRunner, as_of: date, **filters) -> PortfolioView:
    """Everything the portfolio page shows, for ``as_of`` and the same date a year earlier."""
    previous_as_of = year_earlier(as_of)

    def at(day: date) -> tuple[pd.DataFrame, pd.DataFrame]:
        # Reasons are worded later, only for the rows a page shows (see PortfolioView.with_reasons).
        rated = compute_indicators(db, day, reasons=False, **filters)
        return rated, active_contracts(db, day, rated["mutual_id"].tolist())

    # The two dates are independent: run them side by side (DuckDB releases the GIL).
    with ThreadPoolExecutor(max_workers=2) as pool:
        previous_job = pool.submit(at, previous_as_of)
        now, contracts = at(as_of)
        before, contracts_before = previous_job.result()
    current, previous = _figures(now, contracts, as_of), _figures(before, contracts_before, previous_as_of)
    headlines = [Headline(k, label, current[k], previous[k], kind, help) for k, label, kind, help in headline_labels()]
    for status in load_rules().overall_order:
        style = fmt.status_style(status)
        headlines.append(Headline(f"status_{status}", style.label, current[f"status_{status}"],
                                  previous[f"status_{status}"], "count",
                                  f"Mutuals whose overall status is {style.word.lower()}."))
    return PortfolioView(as_of, previous_as_of, now, before, contracts, tuple(headlines), count_warnings(now))
