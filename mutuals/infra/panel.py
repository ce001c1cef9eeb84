"""Derived tables written at build time, so the explorer never recomputes them per rerun.

- ``indicator_panel``: every mutual's indicators on one day of each year (``explorer.panel_day``,
  31 March by default), computed by ``queries/indicators.sql`` itself, the same SQL and the same
  settings as every other indicator, one run per date. Only the dates a mutual is in transition or
  trading are kept (not after it ceased), with its whole years since spin-out (negative before it).
- ``survival_events``: per mutual, its spin-out date and the dates of the two survival events (ceasing;
  first losing a contract with its former parent). ``queries/explorer_survival.sql`` turns it into
  (start, stop, event) for an as-of date.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

from mutuals.infra.db import load_sql
from mutuals.rules import Rules

__all__ = ["panel_dates", "write_derived"]


def panel_dates(first: date | None, last: date | None, month_day: tuple[int, int]) -> list[date]:
    """The panel's dates: ``month_day`` of each year from the first on or after ``first`` to ``last``."""
    if first is None or last is None:
        return []
    month, day = month_day
    start = first.year if date(first.year, month, day) >= first else first.year + 1
    return [date(year, month, day) for year in range(start, last.year + 1) if date(year, month, day) <= last]


def _panel(con: duckdb.DuckDBPyConnection, rules: Rules) -> pa.Table:
    """The indicators SQL's rows at every panel date (Arrow keeps DuckDB's types), each with its date."""
    first = con.execute(load_sql("panel_span")).fetchall()[0][0]
    last = con.execute(load_sql("data_date")).fetchall()[0][0]
    params = {**rules.sql_settings(), "scope": None, "sectors": None, "regions": None, "commissioner": None}
    days = panel_dates(first, last, rules.explorer.panel_day) or [date(2000, 1, 1)]  # one run gives the columns
    tables = []
    for day in days:
        table = con.sql(load_sql("indicators"), params={**params, "as_of": day}).to_arrow_table()
        tables.append(table.append_column("panel_date", pa.array([day] * table.num_rows, pa.date32())))
    return pa.concat_tables(tables)


def write_derived(con: duckdb.DuckDBPyConnection, rules: Rules) -> dict[str, int]:
    """Create ``indicator_panel`` and ``survival_events`` in the database being built; return their row counts."""
    con.register("panel_rows", _panel(con, rules))
    try:
        con.execute(load_sql("panel_store"))
    finally:
        con.unregister("panel_rows")
    con.execute(load_sql("survival_store"), {"parent_loss_outcomes": list(rules.explorer.parent_loss_outcomes)})
    return {table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # identifiers only
            for table in ("indicator_panel", "survival_events")}
