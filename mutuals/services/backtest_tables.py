"""The backtest as text, tables and JSON: for the CLI, the methodology page and exports."""

from __future__ import annotations

import json
import math

import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import load_rules
from mutuals.services.backtest import BacktestResult


def _word(status: str) -> str:
    return load_rules().status_style(status).word


def _rate(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}%"


def pooled_table(result: BacktestResult) -> pd.DataFrame:
    """Pooled over all dates, least to most severe: n, events, event rate with its interval, lift."""
    p = result.pooled
    level = f"{result.confidence:.0%}"
    return pd.DataFrame({
        "Overall status on D": [load_rules().status_style(s).label for s in p["overall_status"]],
        "Mutual-dates": p["trading"].astype(int),
        "Adverse events": p["events"].astype(int),
        "Event rate": [_rate(v) for v in p["rate"]],
        f"{level} interval": [f"{_rate(lo)}–{_rate(hi)}" if not math.isnan(lo) else "–"
                              for lo, hi in zip(p["low"], p["high"])],
        "Lift": ["–" if math.isnan(v) else f"{v:.2f}×" for v in p["lift"]],
    })


def date_table(result: BacktestResult) -> pd.DataFrame:
    """One row per as-of date: n trading and n with an event, for each status."""
    wide = result.by_date.pivot(index="as_of", columns="overall_status", values=["trading", "events"])
    out = pd.DataFrame({"As of": [fmt.day(d) for d in wide.index]})
    for status in result.statuses:
        out[f"{_word(status)}: n"] = wide[("trading", status)].to_numpy()
        out[f"{_word(status)}: events"] = wide[("events", status)].to_numpy()
    return out


def headline(result: BacktestResult) -> str:
    """The takeaway in one sentence: the flagged statuses' event rates, lift and recall."""
    if result.is_empty:
        return (f"No as-of date has a {result.horizon_years}-year horizon inside the data with at least "
                f"{load_rules().backtest.min_trading} trading mutuals, so the rules cannot be backtested here.")
    parts = []
    for status in result.flagged:
        rate, lift = result.rate(status), result.lift(status)
        if rate is not None:
            parts.append(f"{_word(status).lower()} {_rate(rate)} ({lift:.1f}× the pooled rate)")
    flagged = " or ".join(_word(s).lower() for s in result.flagged)
    recall = "" if result.recall is None else (f" {_rate(result.recall)} of all {result.events} events had been "
                                                f"flagged {flagged} on the as-of date.")
    return (f"Over {len(result.dates)} as-of dates ({fmt.day(result.dates[0])} to {fmt.day(result.dates[-1])}), "
            f"{_rate(result.pooled_rate)} of {result.trading:,} trading mutual-dates met an adverse event within "
            f"{result.horizon_years} years; event rate " + ", ".join(parts) + "." + recall)


def backtest_tables(result: BacktestResult) -> pd.DataFrame:
    """A tidy frame for CSV: one row per date and status, then the pooled rows (``as_of`` = 'pooled')."""
    rows = result.by_date.assign(as_of=result.by_date["as_of"].astype(str), rate=lambda f: f["events"] / f["trading"])
    pooled = result.pooled.assign(as_of="pooled")
    cols = ["as_of", "overall_status", "trading", "events", "rate", "low", "high", "lift"]
    return pd.concat([rows, pooled], ignore_index=True).reindex(columns=cols)


def backtest_json(result: BacktestResult) -> str:
    def clean(value):
        return None if isinstance(value, float) and math.isnan(value) else value

    payload = {
        "horizon_years": result.horizon_years, "data_date": result.data_date.isoformat(),
        "dates": [d.isoformat() for d in result.dates],
        "trading": result.trading, "events": result.events, "pooled_rate": result.pooled_rate,
        "recall": result.recall, "flagged": list(result.flagged), "confidence": result.confidence,
        "pooled": [{k: clean(v) for k, v in row.items()} for row in result.pooled.to_dict("records")],
        "by_date": [{**row, "as_of": str(row["as_of"])} for row in result.by_date.to_dict("records")],
    }
    return json.dumps(payload, indent=1, ensure_ascii=False, default=int)


def backtest_table(result: BacktestResult) -> str:
    """The CLI's plain-text report."""
    lines = [f"Backtest: adverse events within {result.horizon_years} years of each as-of date "
             f"(data date {fmt.day(result.data_date)})", ""]
    if result.is_empty:
        return "\n".join(lines + [headline(result), ""])
    lines += [date_table(result).to_string(index=False), "", "Pooled over all dates:",
              pooled_table(result).to_string(index=False), "",
              f"Pooled rate, all trading mutuals: {_rate(result.pooled_rate)} ({result.events} of {result.trading:,})"]
    for status in result.flagged:
        lift = result.lift(status)
        lines.append(f"Lift of {_word(status).lower()}: " + ("–" if lift is None else f"{lift:.2f}×"))
    lines += [f"Recall (events flagged {' or '.join(_word(s).lower() for s in result.flagged)} on D): "
              f"{_rate(result.recall)}", "", headline(result), ""]
    return "\n".join(lines)
