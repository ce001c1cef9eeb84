"""Sustainability indicators as of a date: SQL values, rated by the config rules.

``queries/indicators.sql`` computes every value; this module adds each
``<column>_status``, the ``overall_status`` ladder and its plain-language
``overall_reasons``. Nothing here reads the wall clock.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Protocol

import numpy as np
import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import Indicator, Rules, load_rules


class QueryRunner(Protocol):
    def query(self, name: str, **params) -> pd.DataFrame: ...


def data_date(db: QueryRunner) -> date | None:
    """The latest recorded event: the default as-of date."""
    value = db.query("data_date")["data_date"].iloc[0]
    return fmt.as_date(value)


def _as_list(values: Iterable[str] | None) -> list[str] | None:
    return None if values is None else sorted(set(values))


def indicator_params(
    as_of: date,
    *,
    rules: Rules | None = None,
    scope: Iterable[str] | None = None,
    sectors: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    commissioner: str | None = None,
    min_respondents: int | None = None,
) -> dict:
    """The named parameters of the indicator queries."""
    rules = rules or load_rules()
    return {
        "as_of": as_of,
        "min_respondents": int(min_respondents if min_respondents is not None else rules.min_respondents),
        "days_per_month": rules.days_per_month,
        "window_days": rules.expiry_window_days,
        "scope": _as_list(scope),
        "sectors": _as_list(sectors),
        "regions": _as_list(regions),
        "commissioner": commissioner,
    }


def rate(values: pd.Series, indicator: Indicator) -> pd.Series:
    """Vectorised green/amber/red/no_data for one indicator column."""
    v = pd.to_numeric(values, errors="coerce").astype("float64").round(9)
    if indicator.direction == "higher":
        green, amber = v >= indicator.green, v >= indicator.amber
    else:
        green, amber = v <= indicator.green, v <= indicator.amber
    out = np.select([v.isna(), green, amber], ["no_data", "green", "amber"], default="red")
    return pd.Series(out, index=values.index, dtype="object")


def rate_all(frame: pd.DataFrame, rules: Rules | None = None) -> pd.DataFrame:
    """Add ``<column>_status`` for every indicator."""
    rules = rules or load_rules()
    out = frame.copy()
    for ind in rules.indicators:
        out[ind.status_column] = rate(out[ind.column], ind)
    return out


def describe(indicator: Indicator, value, status: str) -> str:
    """'Reserves cover 0.6 months (red; green needs ≥ 3)'."""
    shown = fmt.format_value(value, indicator.format)
    green_test = indicator.threshold_text()[0]
    return f"{indicator.label} {shown} ({status}; green needs {green_test})"


def overall(frame: pd.DataFrame, rules: Rules | None = None) -> pd.DataFrame:
    """Add ``reds``, ``ambers``, ``overall_status`` and ``overall_reasons`` to a rated frame."""
    rules = rules or load_rules()
    out = frame.copy()
    status_cols = [i.status_column for i in rules.indicators]
    statuses = out[status_cols]
    reds = (statuses == "red").sum(axis=1)
    ambers = (statuses == "amber").sum(axis=1)
    cliff = np.logical_and.reduce([out[f"{c}_status"] == "red" for c in rules.at_risk_cliff])
    stage = out["stage"]
    out["reds"], out["ambers"] = reds, ambers
    out["overall_status"] = np.select(
        [stage == "ceased", stage == "pre_spin_out",
         (reds >= rules.at_risk_min_reds) | cliff,
         reds >= rules.concern_min_reds,
         (reds >= rules.watch_min_reds) | (ambers >= rules.watch_min_ambers)],
        ["ceased", "pre_spin_out", "at_risk", "concern", "watch"],
        default="sustainable",
    )
    out["overall_reasons"] = [
        "; ".join(reasons_for(row, rules)) for row in out.to_dict("records")
    ]
    return out


def reasons_for(row: dict, rules: Rules | None = None) -> list[str]:
    """Plain-language reasons that drove one mutual's overall status."""
    rules = rules or load_rules()
    status = row["overall_status"]
    if status == "ceased":
        return [f"Ceased trading on {fmt.day(row.get('ceased_date'))}"]
    if status == "pre_spin_out":
        return [f"Not yet spun out: spin-out planned for {fmt.day(row['spin_out_date'])}"]
    reasons: list[str] = []
    reds = [i for i in rules.indicators if row.get(i.status_column) == "red"]
    ambers = [i for i in rules.indicators if row.get(i.status_column) == "amber"]
    cliff = [rules.by_column(c) for c in rules.at_risk_cliff]
    if all(i in reds for i in cliff):
        parts = [f"{i.label.lower()} {fmt.format_value(row[i.column], i.format)}" for i in cliff]
        reasons.append("Re-tender cliff: " + " with ".join(parts))
        reds = [i for i in reds if i not in cliff]
    reasons += [describe(i, row[i.column], "red") for i in reds]
    if status == "watch" and not reds:
        reasons += [describe(i, row[i.column], "amber") for i in ambers]
    if status == "sustainable":
        reasons.append(f"No red indicators and {len(ambers)} amber (watch starts at {rules.watch_min_ambers})")
    return reasons


def compute_indicators(db: QueryRunner, as_of: date | None = None, **filters) -> pd.DataFrame:
    """Every indicator, its status and the overall status for each mutual visible as of ``as_of``.

    ``filters`` are the keyword arguments of :func:`indicator_params`
    (``scope``, ``sectors``, ``regions``, ``commissioner``, ``min_respondents``).
    """
    rules = load_rules()
    as_of = as_of or data_date(db)
    frame = db.query("indicators", **indicator_params(as_of, rules=rules, **filters))
    return overall(rate_all(frame, rules), rules)


def output_columns(rules: Rules | None = None) -> list[str]:
    """The CLI's column order: identity, every indicator with its status, then the verdict."""
    rules = rules or load_rules()
    cols = ["mutual_id", "name", "sector", "region", "stage"]
    for ind in rules.indicators:
        cols += [ind.column, ind.status_column]
    return cols + ["early_peak", "overall_status", "overall_reasons"]
