"""Build the DuckDB file from one CSV per table, validating every row first.

Validation is derived from ``queries/schema.sql`` itself (column types, NOT NULL,
CHECK, primary and foreign keys), so the schema is the single statement of what
a valid file is. The first problem found stops the build with a message that
names the file, row and column and what was expected. The database is written
to a temporary file and moved into place only when every table has loaded, so a
failed build leaves any existing database untouched.

The SQL in this module is generated from schema metadata: identifiers (table
and column names) come from the schema and are quoted; values are never
interpolated.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from mutuals.infra.db import DATA_DIR, DEFAULT_DB_PATH, connect, load_sql

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
OPTIONAL_TABLES = ["dataset_info"]

TYPE_WORDS = {
    "DATE": "a date (YYYY-MM-DD)",
    "INTEGER": "a whole number",
    "BIGINT": "a whole number",
    "DOUBLE": "a number",
    "BOOLEAN": "true or false",
    "VARCHAR": "text",
}


class BuildError(ValueError):
    """A CSV did not meet the data contract; the message names file, row and column."""

    def __init__(self, file: Path, message: str, row: int | None = None, column: str | None = None):
        self.file, self.row, self.column, self.detail = Path(file), row, column, message
        where = [str(file)]
        if row is not None:
            where.append(f"row {row} (line {row + 1})")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}")


@dataclass(frozen=True)
class BuildReport:
    db_path: Path
    rows: dict[str, int]
    seconds: float


def q(identifier: str) -> str:
    """Quote a schema identifier for DuckDB."""
    return '"' + identifier.replace('"', '""') + '"'


def _read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read a CSV as text; check its header names every contract column."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=False)
    except pd.errors.EmptyDataError:
        raise BuildError(path, "the file is empty; expected a header row naming " + ", ".join(columns))
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise BuildError(path, f"not a readable UTF-8 CSV file ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BuildError(path, f"missing column(s) {', '.join(missing)}; the header must name {', '.join(columns)}",
                         column=missing[0])
    frame = frame[columns].copy()
    frame.insert(0, "_row", range(1, len(frame) + 1))
    return frame


def _schema_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, bool]]:
    """(name, type, has_default) for each column of ``table`` in schema order."""
    rows = con.execute(
        "SELECT column_name, data_type, column_default IS NOT NULL FROM information_schema.columns "
        "WHERE table_name = $t ORDER BY ordinal_position",
        {"t": table},
    ).fetchall()
    return [(name, dtype, has_default) for name, dtype, has_default in rows]


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


def _load_table(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> int:
    """Validate one CSV against the schema and insert it; raise BuildError on the first problem."""
    columns = _schema_columns(con, table)
    names = [c[0] for c in columns]
    frame = _read_csv(path, names)
    con.register("staging", frame)
    try:
        # 1. Types: every non-empty value must cast.
        for name, dtype, _ in columns:
            if dtype == "VARCHAR":
                continue
            bad = _first(con, f"SELECT _row, {q(name)} FROM staging WHERE NULLIF(trim({q(name)}), '') IS NOT NULL "
                              f"AND TRY_CAST(trim({q(name)}) AS {dtype}) IS NULL ORDER BY _row LIMIT 1")
            if bad:
                raise BuildError(path, f"expected {TYPE_WORDS.get(dtype, dtype)}, got {bad[1]!r}", bad[0], name)
        typed = ", ".join(f"TRY_CAST(NULLIF(trim({q(n)}), '') AS {t}) AS {q(n)}" for n, t, _ in columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE typed AS SELECT _row, {typed} FROM staging")
    finally:
        con.unregister("staging")

    # 2. Constraints, in schema order.
    for kind, expression, cols, ref_table, ref_cols in _constraints(con, table):
        if kind == "NOT NULL":
            name = cols[0]
            has_default = any(n == name and d for n, _, d in columns)
            if has_default:
                continue
            bad = _first(con, f"SELECT _row FROM typed WHERE {q(name)} IS NULL ORDER BY _row LIMIT 1")
            if bad:
                raise BuildError(path, "expected a value, got an empty cell", bad[0], name)
        elif kind == "CHECK":
            involved = list(dict.fromkeys(cols))
            shown = ", ".join(f"CAST({q(c)} AS VARCHAR)" for c in involved)
            bad = _first(con, f"SELECT _row, {shown} FROM typed WHERE ({expression}) = false ORDER BY _row LIMIT 1")
            if bad:
                values = ", ".join(f"{c}={v!r}" for c, v in zip(involved, bad[1:]))
                raise BuildError(path, f"expected {expression}, got {values}", bad[0], involved[0])
        elif kind in ("PRIMARY KEY", "UNIQUE"):
            key = ", ".join(q(c) for c in cols)
            bad = _first(con, f"SELECT max(_row), min(_row) FROM typed GROUP BY {key} HAVING count(*) > 1 "
                              f"ORDER BY 1 LIMIT 1")
            if bad:
                raise BuildError(path, f"duplicate key ({', '.join(cols)}) already used on row {bad[1]}",
                                 bad[0], cols[0])
        elif kind == "FOREIGN KEY":
            col, ref_col = cols[0], ref_cols[0]
            bad = _first(con, f"SELECT _row, {q(col)} FROM typed WHERE {q(col)} IS NOT NULL AND {q(col)} NOT IN "
                              f"(SELECT {q(ref_col)} FROM {q(ref_table)}) ORDER BY _row LIMIT 1")
            if bad:
                raise BuildError(path, f"{bad[1]!r} is not a {ref_col} in {ref_table}.csv", bad[0], col)

    names_sql = ", ".join(q(n) for n in names)
    con.execute(f"INSERT INTO {q(table)} ({names_sql}) SELECT {names_sql} FROM typed ORDER BY _row")
    count = con.execute(f"SELECT count(*) FROM {q(table)}").fetchall()[0][0]
    con.execute("DROP TABLE typed")
    return count


def build(data_dir: Path | str = DATA_DIR, db_path: Path | str = DEFAULT_DB_PATH) -> BuildReport:
    """Create ``db_path`` from the CSVs in ``data_dir``; all or nothing."""
    data_dir, db_path = Path(data_dir), Path(db_path)
    started = time.perf_counter()
    for table in TABLES:
        if not (data_dir / f"{table}.csv").is_file():
            raise BuildError(data_dir / f"{table}.csv", "file not found; every table of the data contract needs a CSV")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = db_path.with_name(f".{db_path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    rows: dict[str, int] = {}
    try:
        con = connect(tmp_path, read_only=False)
        try:
            con.execute(load_sql("schema"))
            for table in TABLES + OPTIONAL_TABLES:
                path = data_dir / f"{table}.csv"
                if path.is_file():
                    rows[table] = _load_table(con, table, path)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp_path, db_path)
    finally:
        for leftover in (tmp_path, tmp_path.with_name(tmp_path.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return BuildReport(db_path, rows, time.perf_counter() - started)


def is_stale(data_dir: Path | str = DATA_DIR, db_path: Path | str = DEFAULT_DB_PATH) -> bool:
    """True when the database is missing or older than any CSV it is built from."""
    data_dir, db_path = Path(data_dir), Path(db_path)
    if not db_path.is_file():
        return True
    built = db_path.stat().st_mtime
    return any(p.stat().st_mtime > built for p in data_dir.glob("*.csv"))


def ensure_database(data_dir: Path | str = DATA_DIR, db_path: Path | str = DEFAULT_DB_PATH) -> Path:
    """Build the database when it is missing or older than its CSVs; return its path."""
    if is_stale(data_dir, db_path):
        build(data_dir, db_path)
    return Path(db_path)

