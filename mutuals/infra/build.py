"""Build the DuckDB file from one CSV per table, validating every row first.

Validation is derived from ``queries/schema.sql`` itself (column types, NOT NULL,
CHECK, primary and foreign keys) and the contract's limits in
``mutuals/config/contract.toml`` (date range, text lengths, which tables may be
empty), so together they state what a valid file is. :mod:`mutuals.infra.csvread`
reads each file strictly; here every value is checked against its column's type,
written strictly (dates ``YYYY-MM-DD``, plain finite decimals, whole numbers,
``true``/``false``), then against the constraints. The first problem found stops
the build with a message that names the file, row, line and column and what was
expected. The database is written to a temporary file and moved into place only
when every table has loaded, so a failed build leaves any existing database
untouched.

The SQL in this module is generated from schema metadata: identifiers (table
and column names) come from the schema and are quoted; values (patterns, limits)
are parameters, never interpolated.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb

from mutuals.infra.contract import CONTRACT_PATH, Limits, load_limits
from mutuals.infra.csvread import BuildError, read_csv
from mutuals.infra.db import DATA_DIR, DEFAULT_DB_PATH, QUERIES_DIR, connect, load_sql
from mutuals.infra.panel import write_derived
from mutuals.rules import config_path, load_rules

__all__ = ["ALL_TABLES", "build_inputs", "INFO_TABLE", "TABLES", "BuildError", "BuildReport", "build"]

# Parents before children, so foreign keys can be checked as tables load.
TABLES = [
    "commissioners",
    "mutuals",
    "contracts",
    "financials",
    "plan_targets",
    "engagement",
    "strategy_sessions",
    "innovations",
    "relationship_reviews",
]
# The queries a build runs (the tables, then the derived indicator panel and survival events): a change to
# any of them, or to the rules config, makes a new database version.
BUILD_QUERIES = ("schema", "indicators", "data_date", "panel_span", "panel_store", "survival_store")
INFO_TABLE = "dataset_info"  # key/value facts about the data set (the synthetic flag), loaded last
ALL_TABLES = [*TABLES, INFO_TABLE]

# How a value of each type must be written (matched after trimming spaces), and what to call it.
WRITTEN = {
    "DATE": (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "a date (YYYY-MM-DD)"),
    "INTEGER": (r"[+-]?[0-9]{1,10}", "a whole number"),
    "BIGINT": (r"[+-]?[0-9]{1,19}", "a whole number"),
    "DOUBLE": (r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", "a number written with digits and an optional decimal point"),
    "BOOLEAN": (r"(?i)true|false", "true or false"),
}


@dataclass(frozen=True)
class BuildReport:
    db_path: Path
    rows: dict[str, int]    # per CSV table, then the derived tables (indicator_panel, survival_events)
    seconds: float
    notes: tuple[str, ...] = ()  # what was not loaded but did not stop the build (a column not in the contract)


@lru_cache(maxsize=1)
def contract_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """(column, type) of every table of ``queries/schema.sql``, in file order, read from DuckDB's catalog."""
    con = connect(":memory:", read_only=False)
    try:
        con.execute(load_sql("schema"))
        return {table: tuple((name, dtype) for name, dtype, _ in _schema_columns(con, table)) for table in ALL_TABLES}
    finally:
        con.close()


def q(identifier: str) -> str:
    """Quote a schema identifier for DuckDB."""
    return '"' + identifier.replace('"', '""') + '"'


def _shown(value: str) -> str:
    """A bad value as quoted in a message: at most 60 characters."""
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _schema_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, bool]]:
    """(name, type, has_default) for each column of ``table`` in schema order."""
    rows = con.execute(
        "SELECT column_name, data_type, column_default IS NOT NULL FROM information_schema.columns "
        "WHERE table_name = $t ORDER BY ordinal_position",
        {"t": table},
    ).fetchall()
    return [(name, dtype, has_default) for name, dtype, has_default in rows]


def _defaults(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """The schema's default expression of each column of ``table`` that has one."""
    return dict(con.execute("SELECT column_name, column_default FROM information_schema.columns "
                            "WHERE table_name = $t AND column_default IS NOT NULL", {"t": table}).fetchall())


def _constraints(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(
        "SELECT constraint_type, expression, constraint_column_names, referenced_table, referenced_column_names "
        "FROM duckdb_constraints() WHERE table_name = $t ORDER BY constraint_index",
        {"t": table},
    ).fetchall()


def _first(con: duckdb.DuckDBPyConnection, sql: str) -> tuple | None:
    """The first row of ``sql`` (which ends in LIMIT 1), or None; the result is fully consumed."""
    rows = con.execute(sql).fetchall()
    return rows[0] if rows else None


def _value_problem(i: int, name: str, dtype: str, limits: Limits, params: dict, *, trimmed: bool = False) -> str:
    """SQL naming the first problem of column ``name``'s value (1 too long, 2 badly written, 3 out of range).

    ``trimmed``: the values have no spaces around them already (the import validator trimmed them).
    """
    v = q(name)
    value = v if trimmed else f"trim({v})"
    present = f"NULLIF({value}, '') IS NOT NULL"
    params[f"max_{i}"] = limits.max_chars(name)
    cases = [f"WHEN length({v}) > $max_{i} THEN 1"]
    if dtype in WRITTEN:
        params[f"pattern_{i}"] = WRITTEN[dtype][0]
        cases.append(f"WHEN {present} AND NOT regexp_full_match({value}, $pattern_{i}) THEN 2")
        if dtype == "DATE":
            params.update(earliest=limits.earliest_date, latest=limits.latest_date)
            cases.append(f"WHEN {present} AND coalesce(TRY_CAST({value} AS DATE) NOT BETWEEN $earliest AND $latest, "
                         "true) THEN 3")
        elif dtype == "DOUBLE":
            cases.append(f"WHEN {present} AND NOT coalesce(isfinite(TRY_CAST({value} AS DOUBLE)), false) THEN 3")
        else:
            cases.append(f"WHEN {present} AND TRY_CAST({value} AS {dtype}) IS NULL THEN 3")
    return f"CASE {' '.join(cases)} END"


def _check_values(con: duckdb.DuckDBPyConnection, path: Path, columns: list[tuple[str, str, bool]],
                  limits: Limits) -> None:
    """Every value of ``staging`` is short enough and written as its column's type requires.

    One scan of the table: the first row with a problem, then its first column with one.
    """
    params: dict = {}
    problems = [_value_problem(i, name, dtype, limits, params) for i, (name, dtype, _) in enumerate(columns)]
    codes = ", ".join(f"{p} AS p{i}" for i, p in enumerate(problems))
    rows = con.execute(f"SELECT * FROM (SELECT _row, _line, {codes} FROM staging) "  # identifiers only
                       f"WHERE coalesce({', '.join(f'p{i}' for i in range(len(columns)))}) IS NOT NULL "
                       "ORDER BY _row LIMIT 1", params).fetchall()
    if not rows:
        return
    row, line, *found = rows[0]
    index = next(i for i, code in enumerate(found) if code is not None)
    (name, dtype, _), code = columns[index], found[index]
    sql = f"SELECT {q(name)} FROM staging WHERE _row = $row"  # identifiers only
    value = con.execute(sql, {"row": row}).fetchall()[0][0]
    if code == 1:
        kind = "a name or title" if name in limits.name_columns else "a value"
        words = f"at most {limits.max_chars(name):,} characters in {kind}, got {len(value):,} (starting {_shown(value[:40])})"
    elif code == 2:
        words = f"{WRITTEN[dtype][1]}, got {_shown(value)}"
    elif dtype == "DATE":
        words = f"a calendar date between {limits.earliest_date} and {limits.latest_date}, got {_shown(value)}"
    elif dtype == "DOUBLE":
        words = f"a number of at most 308 digits, got {_shown(value)}"
    else:
        words = f"a whole number that fits a {dtype} column, got {_shown(value)}"
    raise BuildError(path, f"expected {words}", row, name, line)


def _check_constraints(con: duckdb.DuckDBPyConnection, path: Path, table: str,
                       columns: list[tuple[str, str, bool]]) -> None:
    """The schema's constraints on ``typed``, in schema order."""
    for kind, expression, cols, ref_table, ref_cols in _constraints(con, table):
        if kind == "NOT NULL":
            name = cols[0]
            has_default = any(n == name and d for n, _, d in columns)
            if has_default:
                continue
            bad = _first(con, f"SELECT _row, _line FROM typed WHERE {q(name)} IS NULL ORDER BY _row LIMIT 1")
            if bad:
                raise BuildError(path, "expected a value, got an empty cell", bad[0], name, bad[1])
        elif kind == "CHECK":
            involved = list(dict.fromkeys(cols))
            shown = ", ".join(f"CAST({q(c)} AS VARCHAR)" for c in involved)
            bad = _first(con, f"SELECT _row, _line, {shown} FROM typed WHERE ({expression}) = false "
                              "ORDER BY _row LIMIT 1")
            if bad:
                values = ", ".join(f"{c}={v!r}" for c, v in zip(involved, bad[2:]))
                raise BuildError(path, f"expected {expression}, got {values}", bad[0], involved[0], bad[1])
        elif kind in ("PRIMARY KEY", "UNIQUE"):
            key = ", ".join(q(c) for c in cols)
            bad = _first(con, f"SELECT max(_row), min(_row), arg_max(_line, _row) FROM typed GROUP BY {key} "
                              "HAVING count(*) > 1 ORDER BY 1 LIMIT 1")
            if bad:
                raise BuildError(path, f"duplicate key ({', '.join(cols)}) already used on row {bad[1]}",
                                 bad[0], cols[0], bad[2])
        elif kind == "FOREIGN KEY":
            col, ref_col = cols[0], ref_cols[0]
            bad = _first(con, f"SELECT _row, _line, {q(col)} FROM typed WHERE {q(col)} IS NOT NULL AND {q(col)} "
                              f"NOT IN (SELECT {q(ref_col)} FROM {q(ref_table)}) ORDER BY _row LIMIT 1")
            if bad:
                raise BuildError(path, f"{bad[2]!r} is not a {ref_col} in {ref_table}.csv", bad[0], col, bad[1])


def _check_dataset_info(con: duckdb.DuckDBPyConnection, path: Path, limits: Limits) -> None:
    """dataset_info holds every key the contract requires, with a value of the required type."""
    for key, dtype in limits.required_info.items():
        rows = con.execute("SELECT _row, _line, value FROM typed WHERE key = $key", {"key": key}).fetchall()
        pattern, words = WRITTEN.get(dtype, (".*", "a value"))
        if not rows:
            raise BuildError(path, f"expected a row with key {key!r} and {words} as its value", column="key")
        row, line, value = rows[0]
        if value is None or not con.execute("SELECT regexp_full_match($v, $p)", {"v": value, "p": pattern}).fetchall()[0][0]:
            raise BuildError(path, f"expected {words} as the value of {key!r}, got {_shown(value or '')}",
                             row, "value", line)


def _load_table(con: duckdb.DuckDBPyConnection, table: str, path: Path, limits: Limits) -> tuple[int, tuple[str, ...]]:
    """Validate one CSV against the contract and insert it; return (rows, columns not loaded).

    Raises BuildError on the first problem.
    """
    columns = _schema_columns(con, table)
    names = [c[0] for c in columns]
    read = read_csv(path, names)
    if read.frame.empty and table not in limits.may_be_empty:
        raise BuildError(path, f"the file has a header but no rows; the data contract needs at least one row in "
                               f"{table}", line=2)
    con.register("staging", read.frame)
    try:
        _check_values(con, path, columns, limits)
        defaults = _defaults(con, table)
        # an empty cell of a column with a default takes the default (the schema's own expression)
        typed = ", ".join(f"coalesce(TRY_CAST(NULLIF(trim({q(n)}), '') AS {t}), {defaults[n]}) AS {q(n)}"
                          if n in defaults else f"TRY_CAST(NULLIF(trim({q(n)}), '') AS {t}) AS {q(n)}"
                          for n, t, _ in columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE typed AS SELECT _row, _line, {typed} FROM staging")  # identifiers only
    finally:
        con.unregister("staging")
    _check_constraints(con, path, table, columns)
    if table == INFO_TABLE:
        _check_dataset_info(con, path, limits)
    names_sql = ", ".join(q(n) for n in names)
    con.execute(f"INSERT INTO {q(table)} ({names_sql}) SELECT {names_sql} FROM typed ORDER BY _row")  # identifiers only
    count = con.execute(f"SELECT count(*) FROM {q(table)}").fetchall()[0][0]  # identifiers only
    con.execute("DROP TABLE typed")
    return count, read.extra


def _load_checked(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> tuple[int, tuple[str, ...]]:
    """Insert a CSV written by the import validator (every value and constraint checked already, the contract's
    columns in order): DuckDB parses it in parallel, strict casts and the schema's constraints guard the
    insert, and any surprise stops the build. Returns (rows, ()). A header not the contract's: BuildError."""
    columns = _schema_columns(con, table)
    with open(path, encoding="utf-8", newline="") as handle:
        header = handle.readline().rstrip("\r\n").split(",")
    if header != [name for name, _, _ in columns]:
        raise BuildError(path, f"expected the header {','.join(n for n, _, _ in columns)} written by the import, "
                               f"got {_shown(','.join(header))}", line=1)
    defaults = _defaults(con, table)
    typed = ", ".join(f"coalesce(CAST(NULLIF(c{i}, '') AS {t}), {defaults[n]})" if n in defaults
                      else f"CAST(NULLIF(c{i}, '') AS {t})" for i, (n, t, _) in enumerate(columns))
    names = {f"c{i}": "VARCHAR" for i in range(len(columns))}
    try:
        con.execute(f"INSERT INTO {q(table)} SELECT {typed} FROM read_csv($path, header = true, "  # identifiers only
                    "auto_detect = false, columns = $names, delim = ',', quote = '\"', escape = '\"', "
                    "strict_mode = true, null_padding = false, encoding = 'utf-8')", {"path": str(path), "names": names})
    except duckdb.Error as exc:
        raise BuildError(path, f"expected a file the import validator wrote and checked: {exc}") from None
    return con.execute(f"SELECT count(*) FROM {q(table)}").fetchall()[0][0], ()  # identifiers only


def build_inputs() -> list[Path]:
    """Besides the CSVs, what a database version is built from: the build's queries, the contract, the rules
    in force and the build code."""
    code = sorted(Path(__file__).parent.glob("*.py"))
    return [QUERIES_DIR / f"{name}.sql" for name in BUILD_QUERIES] + [CONTRACT_PATH, config_path()] + code


def build(data_dir: Path | str = DATA_DIR, db_path: Path | str = DEFAULT_DB_PATH, *,
          checked: bool = False) -> BuildReport:
    """Create ``db_path`` from the CSVs in ``data_dir``; all or nothing.

    ``checked``: the CSVs are the import validator's output (:func:`mutuals.infra.validate.write_csvs`), so
    they are loaded by DuckDB directly rather than re-checked row by row for the first problem.
    """
    data_dir, db_path = Path(data_dir), Path(db_path)
    started = time.perf_counter()
    limits = load_limits()
    for table in ALL_TABLES:
        if not (data_dir / f"{table}.csv").is_file():
            raise BuildError(data_dir / f"{table}.csv", "file not found; every table of the data contract needs a CSV")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = db_path.with_name(f".{db_path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    rows: dict[str, int] = {}
    notes: list[str] = []
    try:
        con = connect(tmp_path, read_only=False)
        try:
            con.execute(load_sql("schema"))
            for table in ALL_TABLES:
                path = data_dir / f"{table}.csv"
                rows[table], extra = _load_checked(con, table, path) if checked else \
                    _load_table(con, table, path, limits)
                notes += [f"{table}.csv: column '{name}' is not in the data contract and was not loaded"
                          for name in extra]
            rows.update(write_derived(con, load_rules()))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp_path, db_path)
    finally:
        for leftover in (tmp_path, tmp_path.with_name(tmp_path.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return BuildReport(db_path, rows, time.perf_counter() - started, tuple(notes))
