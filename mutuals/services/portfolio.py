"""A commissioner's (or any filtered) portfolio: headline figures, matrix, contracts, warnings.

Every figure that counts or sums mutuals uses one selection, :attr:`PortfolioView.selection`: the
mutuals of the filters that are trading on the as-of date (spun out, not ceased). Ceased mutuals and
those not yet spun out are listed apart (:meth:`PortfolioView.ceased`, :meth:`PortfolioView.not_yet_spun_out`).
With a commissioner, the money figures come in two groups: the commissioner's own contracts (buyer =
that commissioner) and all contracts and income of the portfolio's mutuals, with everyone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import load_rules
from mutuals.services.indicators import QueryRunner, compute_indicators
from mutuals.services.rollup import overall_reasons
from mutuals.services.warnings import count_warnings, early_warnings, mutuals_with_warnings, warning_blocks

TRADING = "trading"
SELECTION = "trading mutuals"  # how every count names the selection it counts


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
    group: str = "portfolio"  # own | all | portfolio | status
    churn: float = 0.0        # the part of the change from mutuals joining or leaving the selection
    joined: int = 0           # mutuals in the selection now, not a year earlier
    left: int = 0             # mutuals in the selection a year earlier, not now

    @property
    def delta(self) -> float | None:
        return None if self.previous is None else self.value - self.previous

    def amount(self, value: float, signed: bool = False) -> str:
        if self.kind == "money":
            return fmt.change(value, "money") if signed else fmt.money(value)
        return f"{value:+,.0f}".replace("-", fmt.MINUS) if signed else fmt.count(value)

    def delta_text(self) -> str | None:
        """'+339', '−£1.2m', or 'no change' (never '+0')."""
        if self.delta is None:
            return None
        return "no change" if round(self.delta, 6) == 0 else self.amount(self.delta, signed=True)

    def churn_text(self, short: bool = False) -> str:
        """'of which +342 from 1 mutual joining the portfolio' ('' when no mutual joined or left, or it changed
        nothing); ``short``: 'of which +342 from 1 joining' (for the metric, the full text goes in its help)."""
        if (not self.joined and not self.left) or round(self.churn, 6) == 0:
            return ""
        moves = []
        if self.joined:
            moves.append(f"{self.joined}{'' if short else ' mutual' + ('s' if self.joined != 1 else '')} joining")
        if self.left:
            moves.append(f"{self.left}{'' if short else ' mutual' + ('s' if self.left != 1 else '')} leaving")
        tail = "" if short else " the portfolio"
        return f"of which {self.amount(self.churn, signed=True)} from {' and '.join(moves)}{tail}"

    def change_help(self) -> str:
        """The help text with the change spelt out: 'Change on a year: −3, of which −3 from 1 mutual leaving …'."""
        if self.delta_text() is None:
            return self.help
        churn = self.churn_text()
        return f"{self.help}\n\nChange on a year: {self.delta_text()}{', ' + churn if churn else ''}."


@dataclass(frozen=True)
class PortfolioView:
    as_of: date
    previous_as_of: date
    indicators: pd.DataFrame          # one row per mutual of the filters, rated (every stage)
    previous_indicators: pd.DataFrame
    contracts: pd.DataFrame           # contracts of the selection active on as_of, with every commissioner
    headlines: tuple[Headline, ...]
    warning_count: int
    commissioner: str | None = None
    own_contracts: pd.DataFrame | None = None  # the commissioner's own active contracts with the selection

    @property
    def is_empty(self) -> bool:
        return self.indicators.empty

    @property
    def selection(self) -> pd.DataFrame:
        """The mutuals every count and chart uses: those of the filters trading on the as-of date."""
        return self.indicators[self.indicators["stage"] == TRADING]

    def moves(self) -> tuple[list[str], list[str]]:
        """Names of the trading mutuals that joined the selection since a year earlier, and of those that left."""
        now = self.selection.set_index("mutual_id")["name"]
        old = self.previous_indicators[self.previous_indicators["stage"] == TRADING].set_index("mutual_id")["name"]
        return (sorted(now[now.index.difference(old.index)]), sorted(old[old.index.difference(now.index)]))

    def ceased(self) -> pd.DataFrame:
        """Mutuals of the filters that ceased trading on or before the as-of date, latest first."""
        frame = self.indicators[self.indicators["stage"] == "ceased"]
        return frame[["mutual_id", "name", "ceased_date"]].sort_values(["ceased_date", "name"], ascending=[False, True])

    def not_yet_spun_out(self) -> pd.DataFrame:
        """Mutuals of the filters still before spin-out on the as-of date, soonest spin-out first."""
        frame = self.indicators[self.indicators["stage"] == "pre_spin_out"]
        return frame[["mutual_id", "name", "spin_out_date"]].sort_values(["spin_out_date", "name"])

    def ranked(self) -> pd.DataFrame:
        """Trading mutuals most severe first: overall status, then number of reds, then name."""
        frame = self.selection
        frame = frame.assign(_rank=frame["overall_status"].map(load_rules().overall_rank), _reds=-frame["reds"])
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
        """Every warning of the trading mutuals (one row per warning), most severe first: the CSV."""
        return early_warnings(self.selection)

    def warning_blocks(self, area: str | None = None, limit: int | None = None,
                       warnings: pd.DataFrame | None = None) -> tuple[pd.DataFrame, int]:
        """One block per mutual with a warning (in ``area``, if given), most severe first, and how many there are.

        Reasons are worded only for the ``limit`` blocks returned.
        """
        warnings = self.all_warnings() if warnings is None else warnings
        ids = mutuals_with_warnings(warnings, area)
        chosen = ids if limit is None else ids[:limit]
        rows = self.indicators.set_index("mutual_id").loc[chosen].reset_index()
        reasons = dict(zip(rows["mutual_id"], overall_reasons(rows))) if len(rows) else {}
        return warning_blocks(warnings, reasons, area), len(ids)


def active_contracts(db: QueryRunner, as_of: date, mutual_ids: list[str], *, buyer: str | None = None
                     ) -> pd.DataFrame:
    """Contracts of these mutuals active on ``as_of``; with ``buyer``, only that commissioner's own."""
    return db.query("active_contracts", as_of=as_of, scope=mutual_ids, buyer=buyer,
                    days_per_month=load_rules().days_per_month)


def _months(days: int) -> int:
    return round(days / load_rules().days_per_month)


def _contract_figures(prefix: str, contracts: pd.DataFrame, ids: pd.Index, as_of: date) -> dict[str, pd.Series]:
    """Per mutual: annual value of active contracts, and of those ending within each headline window."""
    ends = pd.to_datetime(contracts["end_date"])
    out = {f"{prefix}value": contracts.groupby("mutual_id")["annual_value"].sum().reindex(ids, fill_value=0.0)}
    for days in load_rules().settings.headline_windows_days:
        soon = contracts[ends <= pd.Timestamp(as_of) + pd.Timedelta(days=days)]
        out[f"{prefix}ending_{days}d"] = soon.groupby("mutual_id")["annual_value"].sum().reindex(ids, fill_value=0.0)
    return out


def per_mutual(selection: pd.DataFrame, contracts: pd.DataFrame, own: pd.DataFrame | None,
               as_of: date) -> dict[str, pd.Series]:
    """Each headline figure as a value per mutual of the selection (the headline is its sum)."""
    ids = pd.Index(selection["mutual_id"])
    frame = selection.set_index("mutual_id")
    out = {"mutuals": pd.Series(1.0, index=ids), "staff": frame["staff_count"].fillna(0).astype(float)}
    if own is not None:
        out.update(_contract_figures("own_", own, ids, as_of))
    out.update(_contract_figures("all_", contracts, ids, as_of))
    out["income"] = frame["income_total"].fillna(0).astype(float)
    for status in _trading_statuses():
        out[f"status_{status}"] = (frame["overall_status"] == status).astype(float)
    return out


def _trading_statuses() -> list[str]:
    return [s for s in load_rules().overall_order if s not in ("ceased", "pre_spin_out")]


def headline_labels(commissioner: bool = False) -> list[tuple[str, str, str, str, str]]:
    """(key, label, kind, group, help) of the money and count headlines; windows come from the config."""
    windows = load_rules().settings.headline_windows_days
    labels = [
        ("mutuals", "Mutuals (trading)", "count", "portfolio",
         "Mutuals of the filters trading on the as-of date: spun out and not ceased. Ceased mutuals and those "
         "not yet spun out are listed under the status matrix, not counted."),
        ("staff", "Staff", "count", "portfolio", "Total staff of the trading mutuals."),
    ]
    if commissioner:
        labels.append(("own_value", "Own contract value", "money", "own",
                       "Annual value of the commissioner's own contracts (the commissioner is the buyer) with "
                       "the trading mutuals, active on the as-of date."))
        labels += [(f"own_ending_{d}d", f"Own, ending ≤ {_months(d)} months", "money", "own",
                    f"Annual value of the commissioner's own active contracts whose end date falls within {d} days "
                    "of the as-of date.") for d in windows]
    every = "with every commissioner, " if commissioner else ""
    labels.append(("all_value", "All contract value" if commissioner else "Contract value", "money", "all",
                   f"Annual value of all contracts of the trading mutuals, {every}active on the as-of date."))
    labels += [(f"all_ending_{d}d", f"{'All, ending' if commissioner else 'Ending'} ≤ {_months(d)} months", "money",
                "all", f"Annual value of all active contracts of the trading mutuals, {every}whose end date falls "
                f"within {d} days of the as-of date.") for d in windows]
    labels.append(("income", "Total income", "money", "all",
                   "Total income of the trading mutuals from every source, in each one's latest accounts (the "
                   "financial year ending on or before the as-of date)."))
    return labels


def _headline(key, label, kind, group, help, now: dict[str, pd.Series], before: dict[str, pd.Series]) -> Headline:
    value, previous = now[key], before[key]
    joined = value.index.difference(previous.index)
    left = previous.index.difference(value.index)
    churn = float(value.loc[joined].sum() - previous.loc[left].sum())
    return Headline(key, label, float(value.sum()), float(previous.sum()), kind, help, group, churn,
                    len(joined), len(left))


def build_portfolio(db: QueryRunner, as_of: date, **filters) -> PortfolioView:
    """Everything the portfolio page shows, for ``as_of`` and the same date a year earlier."""
    previous_as_of = year_earlier(as_of)
    commissioner = filters.get("commissioner")

    def at(day: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
        # Reasons are worded later, only for the rows a page shows (see PortfolioView.with_reasons).
        rated = compute_indicators(db, day, reasons=False, **filters)
        ids = rated.loc[rated["stage"] == TRADING, "mutual_id"].tolist()
        own = active_contracts(db, day, ids, buyer=commissioner) if commissioner else None
        return rated, active_contracts(db, day, ids), own

    # The two dates are independent: run them side by side (DuckDB releases the GIL).
    with ThreadPoolExecutor(max_workers=2) as pool:
        previous_job = pool.submit(at, previous_as_of)
        now, contracts, own = at(as_of)
        before, contracts_before, own_before = previous_job.result()
    current = per_mutual(now[now["stage"] == TRADING], contracts, own, as_of)
    previous = per_mutual(before[before["stage"] == TRADING], contracts_before, own_before, previous_as_of)
    headlines = [_headline(*label, current, previous) for label in headline_labels(bool(commissioner))]
    for status in _trading_statuses():
        style = fmt.status_style(status)
        headlines.append(_headline(f"status_{status}", style.label, "count", "status",
                                   f"Trading mutuals whose overall status is {style.word.lower()}.", current, previous))
    return PortfolioView(as_of, previous_as_of, now, before, contracts, tuple(headlines),
                         count_warnings(now), commissioner, own)
