"""Sustainability indicators as of a date: SQL values, rated by the config rules.

``queries/indicators.sql`` computes every value and the date of the evidence it
rests on; this module adds each ``<column>_status`` (with stale evidence rated
``no_data``), then :mod:`mutuals.services.rollup` adds the signal and area
statuses, the ``overall_status`` ladder and its plain-language reasons. Nothing
here reads the wall clock.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Protocol

import numpy as np
import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import Indicator, Rules, load_rules
from mutuals.services.rollup import overall


class QueryRunner(Protocol):
    def query(self, name: str, **params) -> pd.DataFrame: ...


def data_date(db: QueryRunner) -> date | None:
    """The latest recorded event: the default as-of date."""
    value = db.query("data_date")["data_date"].iloc[0]
    return fmt.as_date(value)


def resolve_as_of(db: QueryRunner, as_of: date | None) -> date:
    """The as-of date to use: the one given, else the data date (never the wall clock)."""
    if as_of is not None:
        return as_of
    found = data_date(db)
    if found is None:
        raise LookupError("The database holds no dated event, so there is no data date to default to.")
    return found


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
    params = rules.sql_settings()
    if min_respondents is not None:
        params["min_respondents"] = int(min_respondents)
    return {
        "as_of": as_of,
        **params,
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


def stale(evidence: pd.Series, as_of: pd.Series, max_months: int) -> pd.Series:
    """True where the evidence date is more than ``max_months`` calendar months before the as-of date.

    Evidence exactly ``max_months`` old is still current; one day older is stale.
    """
    evidence = pd.to_datetime(evidence)
    limit = evidence + pd.DateOffset(months=max_months)
    return (evidence.notna() & (limit < pd.to_datetime(as_of))).astype(bool)


def rate_all(frame: pd.DataFrame, rules: Rules | None = None) -> pd.DataFrame:
    """Add ``<column>_status`` for every indicator, and ``<column>_stale`` where evidence has an age.

    A stale value keeps its value and evidence date, but its status is ``no_data``.
    """
    rules = rules or load_rules()
    out = frame.copy()
    for ind in rules.indicators:
        status = rate(out[ind.column], ind)
        if ind.evidence_column:
            old = stale(out[ind.evidence_column], out["as_of"], ind.max_evidence_months) & out[ind.column].notna()
            out[ind.stale_column] = old
            status = status.where(~old, "no_data")
        out[ind.status_column] = status
    return out


def compute_indicators(db: QueryRunner, as_of: date | None = None, *, reasons: bool = True,
                       **filters) -> pd.DataFrame:
    """Every indicator, its status, the area statuses and the overall status for each mutual visible on ``as_of``.

    ``filters`` are the keyword arguments of :func:`indicator_params`
    (``scope``, ``sectors``, ``regions``, ``commissioner``, ``min_respondents``).
    ``reasons=False`` skips the plain-language reasons (e.g. for comparison dates).
    """
    rules = load_rules()
    as_of = resolve_as_of(db, as_of)
    frame = db.query("indicators", **indicator_params(as_of, rules=rules, **filters))
    return overall(rate_all(frame, rules), rules, reasons=reasons)


def output_columns(rules: Rules | None = None) -> list[str]:
    """The CLI's column order: identity, every indicator with its status and evidence, the areas, the verdict."""
    rules = rules or load_rules()
    cols = ["mutual_id", "name", "sector", "region", "stage"]
    for ind in rules.indicators:
        cols += [ind.column, ind.status_column]
        if ind.evidence_column:
            cols += [ind.evidence_column, ind.stale_column]
    cols += [area.status_column for area in rules.areas]
    return cols + ["early_peak", "overall_status", "overall_reasons"]
