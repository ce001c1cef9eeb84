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


def green_test(indicator: Indicator) -> str:
    """The green threshold in the indicator's own unit: '≥ 95%', '≤ 6.0 months', '≥ −0.2'."""
    sign = "≥" if indicator.direction == "higher" else "≤"
    return f"{sign} {fmt.format_value(indicator.green, indicator.format)}"


def describe(indicator: Indicator, value, status: str) -> str:
    """'Reserves cover 0.6 months (red, green needs ≥ 3.0 months)'."""
    return f"{indicator.label} {fmt.format_value(value, indicator.format)} ({status}, green needs {green_test(indicator)})"


def overall(frame: pd.DataFrame, rules: Rules | None = None, *, reasons: bool = True) -> pd.DataFrame:
    """Add ``reds``, ``ambers``, ``overall_status`` and (optionally) ``overall_reasons`` to a rated frame."""
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
    if reasons:
        out["overall_reasons"] = overall_reasons(out, rules)
    return out


def overall_reasons(rated: pd.DataFrame, rules: Rules | None = None) -> list[str]:
    """Plain-language reasons that drove each mutual's overall status ('; '-separated).

    The re-tender cliff comes first, then each red indicator in config order; a
    'watch' with no red lists its ambers. Built column by column, so 13,000
    mutuals take a fraction of a second.
    """
    rules = rules or load_rules()
    n = len(rated)
    parts: list[list[str]] = [[] for _ in range(n)]
    status = rated["overall_status"].to_numpy()
    rated_rows = ~np.isin(status, ["ceased", "pre_spin_out"])
    for i in np.flatnonzero(status == "ceased"):
        parts[i].append(f"Ceased trading on {fmt.day(rated['ceased_date'].iloc[i])}")
    for i in np.flatnonzero(status == "pre_spin_out"):
        parts[i].append(f"Not yet spun out: spin-out planned for {fmt.day(rated['spin_out_date'].iloc[i])}")

    cliff_inds = [rules.by_column(c) for c in rules.at_risk_cliff]
    cliff = rated_rows & np.logical_and.reduce([rated[i.status_column].to_numpy() == "red" for i in cliff_inds])
    cliff_values = [rated[i.column].to_numpy() for i in cliff_inds]
    for i in np.flatnonzero(cliff):
        shown = [f"{ind.label.lower()} {fmt.format_value(v[i], ind.format)}" for ind, v in zip(cliff_inds, cliff_values)]
        parts[i].append("Re-tender cliff: " + " with ".join(shown))

    listed_reds = np.zeros(n, dtype=int)
    for ind in rules.indicators:
        is_red = rated_rows & (rated[ind.status_column].to_numpy() == "red")
        if ind in cliff_inds:
            is_red &= ~cliff
        values = rated[ind.column].to_numpy()
        for i in np.flatnonzero(is_red):
            parts[i].append(describe(ind, values[i], "red"))
        listed_reds += is_red
    for ind in rules.indicators:
        is_amber = (status == "watch") & (listed_reds == 0) & ~cliff & (rated[ind.status_column].to_numpy() == "amber")
        values = rated[ind.column].to_numpy()
        for i in np.flatnonzero(is_amber):
            parts[i].append(describe(ind, values[i], "amber"))
    ambers = rated["ambers"].to_numpy()
    for i in np.flatnonzero(status == "sustainable"):
        parts[i].append(f"No red indicators and {ambers[i]} amber (watch starts at {rules.watch_min_ambers})")
    return ["; ".join(p) for p in parts]


def compute_indicators(db: QueryRunner, as_of: date | None = None, *, reasons: bool = True,
                       **filters) -> pd.DataFrame:
    """Every indicator, its status and the overall status for each mutual visible as of ``as_of``.

    ``filters`` are the keyword arguments of :func:`indicator_params`
    (``scope``, ``sectors``, ``regions``, ``commissioner``, ``min_respondents``).
    ``reasons=False`` skips the plain-language reasons (e.g. for comparison dates).
    """
    rules = load_rules()
    as_of = as_of or data_date(db)
    frame = db.query("indicators", **indicator_params(as_of, rules=rules, **filters))
    return overall(rate_all(frame, rules), rules, reasons=reasons)


def output_columns(rules: Rules | None = None) -> list[str]:
    """The CLI's column order: identity, every indicator with its status, then the verdict."""
    rules = rules or load_rules()
    cols = ["mutual_id", "name", "sector", "region", "stage"]
    for ind in rules.indicators:
        cols += [ind.column, ind.status_column]
    return cols + ["early_peak", "overall_status", "overall_reasons"]
