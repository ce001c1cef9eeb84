"""Validate an import completely: every problem of every table in one report, with friendly forms normalised.

Checks come from ``queries/schema.sql`` through DuckDB's catalog as in :mod:`mutuals.infra.build` (types, NOT
NULL, CHECK, keys, foreign keys across the submitted tables) and ``mutuals/config/contract.toml``; each is one
query over a whole table, so every failing row is reported (up to :data:`MAX_PROBLEMS`, then counted). First,
the forms people type are normalised and counted: spaces around values, UK dates ``31/03/2024`` (always day
first; ``03/04/24`` is rejected as ambiguous), money ``£1,234.50``, booleans TRUE/yes/1 and FALSE/no/0, an
empty cell of a column with a default. Text beginning ``= + - @`` stays text. The normalised tables, written
by :func:`write_csvs`, are CSVs that :func:`mutuals.infra.build.build` accepts unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from mutuals.infra.build import ALL_TABLES, INFO_TABLE, WRITTEN, _constraints, _schema_columns, _value_problem, q
from mutuals.infra.contract import Limits, load_limits
from mutuals.infra.db import connect, load_sql
from mutuals.infra.readers import Problem, RawTable, SourceError, read_source, shown

__all__ = ["MAX_PROBLEMS", "Problem", "Report", "read_source", "shown", "validate", "validate_source", "write_csvs"]

MAX_PROBLEMS = 1000
UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
SHORT_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}")
MONEY = re.compile(r"([+-]?)£?(-?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d*)?")
DATE_WORDS = "a date written YYYY-MM-DD or DD/MM/YYYY (day first)"


@dataclass
class Report:
    """Every problem (capped at :data:`MAX_PROBLEMS`; ``more`` counts the rest), normalisations and row counts."""

    problems: list[Problem] = field(default_factory=list)
    more: int = 0
    normalisations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # kept or ignored, not a problem (an extra column)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.more

    @property
    def total(self) -> int:
        return len(self.problems) + self.more

    @property
    def room(self) -> int:
        return MAX_PROBLEMS - len(self.problems)

    def add(self, *problems: Problem) -> None:
        for problem in problems:
            if self.room > 0:
                self.problems.append(problem)
            else:
                self.more += 1

    def to_frame(self) -> pd.DataFrame:
        """The problems as a table (for a CSV of the report), with a last line counting those not listed."""
        rows = [(p.file, p.sheet or "", p.row, p.column or "", p.value, p.expected) for p in self.problems]
        if self.more:
            rows.append(("", "", None, "", "", f"{self.more:,} more problems not listed"))
        frame = pd.DataFrame(rows, columns=["file", "sheet", "row", "column", "value", "expected"])
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def text(self) -> str:
        """The report as lines of text (for the command line)."""
        lines = [str(p) for p in self.problems] + [f"... and {self.more:,} more problems"] * bool(self.more)
        return "\n".join(lines + [f"note: {n}" for n in self.normalisations + self.notes])


@dataclass
class _Table:
    raw: RawTable
    staging: pd.DataFrame        # _n (the row number the user sees), then the contract's columns present, as read
    missing: set[str]
    where: dict                  # file and sheet of its problems


# How each type's friendly forms are rewritten strictly, in SQL over a value {v} (patterns are parameters).
FRIENDLY = {
    "DATE": ("CASE WHEN regexp_full_match({v}, $uk_date) AND try_strptime({v}, '%d/%m/%Y') IS NOT NULL "
             "THEN strftime(try_strptime({v}, '%d/%m/%Y'), '%Y-%m-%d') ELSE {v} END",
             "{name} dates written DD/MM/YYYY read day-first"),
    "DOUBLE": ("CASE WHEN regexp_full_match({v}, $money) AND regexp_matches({v}, '[£,]') AND NOT "
               "starts_with(replace({v}, '£', ''), '--') THEN replace(replace(replace({v}, '£', ''), ',', ''), '+', '') "
               "ELSE {v} END", "{name} amounts written with £ or thousands separators read as plain numbers"),
    "BOOLEAN": ("CASE WHEN lower({v}) IN ('true', 'yes', '1') THEN 'true' WHEN lower({v}) IN ('false', 'no', '0') "
                "THEN 'false' ELSE {v} END", "{name} values written TRUE/yes/1 or FALSE/no/0 read as true/false"),
}
WHITESPACE = " \t\r\n\xa0"
# Trimming copies every value; only a value that starts or ends with a space is trimmed.
TRIM = ("CASE WHEN list_contains($ws_codes, ord({v})) OR list_contains($ws_codes, ord(reverse({v}))) "
        "THEN trim({v}, $ws) ELSE {v} END")


def _normalised(table: str, t: _Table, limits: Limits) -> tuple[str, list[tuple[str, str, str]], str, dict]:
    """SQL over ``s_<table>`` with the friendly forms rewritten, in layers (trim, default, type, dataset_info value).

    Returns the final select list (each column under its name, over the layered SELECT), the steps to count
    (words, column before, column after, in the layered SELECT), the layered SELECT and its parameters.
    """
    columns, _, defaults = catalog()[table]
    present = [(n, d) for n, d, _ in columns if n not in t.missing]
    sql = f"SELECT _n, {', '.join(f'{q(n)} AS {q(n + chr(35) + chr(48))}' for n, _ in present)} FROM {q('s_' + table)}"
    current = {n: n + "#0" for n, _ in present}
    steps: list[tuple[str, str, str]] = []
    params = {"ws": WHITESPACE, "ws_codes": [ord(c) for c in WHITESPACE]}

    def layer(k: int, rewrites: dict[str, tuple[str, str]]) -> None:
        nonlocal sql
        added = []
        for name, (template, words) in rewrites.items():
            new = f"{name}#{k}"
            added.append(f"{template.format(v=q(current[name]))} AS {q(new)}")
            steps.append((words.format(name=name), current[name], new))
            current[name] = new
        if added:
            sql = f"SELECT *, {', '.join(added)} FROM ({sql})"

    layer(1, {n: (TRIM, "values in {name} with spaces around them trimmed") for n, _ in present})
    for i, (name, _) in enumerate(present):
        if name in defaults:
            params[f"default_{table}_{i}"] = defaults[name]
            layer(2, {name: (f"CASE WHEN {{v}} = '' THEN $default_{table}_{i} ELSE {{v}} END",
                             f"empty {{name}} values filled with the default {defaults[name]!r}")})
    layer(3, {n: FRIENDLY[d] for n, d in present if d in FRIENDLY})
    if table == INFO_TABLE and not t.missing:
        for j, (key, kind) in enumerate(k for k in limits.required_info.items() if k[1] in FRIENDLY):
            params[f"info_{j}"] = key
            layer(4 + j, {"value": (f"CASE WHEN {q(current['key'])} = $info_{j} THEN {FRIENDLY[kind][0]} ELSE {{v}} END",
                                    FRIENDLY[kind][1].replace("{name}", f"value of {key!r}"))})
    used = {k for k in ("uk_date", "money") if f"${k}" in sql}
    params.update({k: v for k, v in (("uk_date", UK_DATE.pattern), ("money", MONEY.pattern)) if k in used})
    final = f"_n, {', '.join(f'{q(current[n])} AS {q(n)}' for n, _ in present)}"
    return final, steps, sql, params


def _count(report: Report, con, jobs: list[tuple[str, list[tuple[str, str, str]], str, dict]]) -> None:
    """Count each table's normalisation steps' changes (with the first as an example), in one query."""
    jobs = [job for job in jobs if job[1]]
    if not jobs:
        return
    tables, params = [], {}
    for j, (_, steps, layered, friendly) in enumerate(jobs):
        parts = [f"count(*) FILTER (WHERE {q(a)} <> {q(b)}) AS c{j}_{k}_n, arg_min({q(a)}, _n) FILTER (WHERE "
                 f"{q(a)} <> {q(b)}) AS c{j}_{k}_a, arg_min({q(b)}, _n) FILTER (WHERE {q(a)} <> {q(b)}) AS c{j}_{k}_b"
                 for k, (_, a, b) in enumerate(steps)]
        tables.append(f"(SELECT {', '.join(parts)} FROM ({layered}))")
        params.update(friendly)
    found = iter(con.execute(f"SELECT * FROM {', '.join(tables)}", params).fetchall()[0])  # identifiers only
    for file, steps, _, _ in jobs:
        for words, _, _ in steps:
            n, before, after = next(found), next(found), next(found)
            if n:
                report.normalisations.append(f"{file}: {n:,} {words} (e.g. {before!r} read as {after!r})")


def _may_change(table: str, frame: pd.DataFrame, limits: Limits) -> bool:
    """Whether any value of a small table could be normalised (if not, counting the changes is skipped)."""
    columns, _, defaults = catalog()[table]
    for name, dtype, _ in columns:
        for v in frame[name] if name in frame else ():
            if v != v.strip() or (name in defaults and not v) or (dtype == "DATE" and "/" in v) or \
                    (dtype == "DOUBLE" and ("£" in v or "," in v)) or (dtype == "BOOLEAN" and v not in ("true", "false")):
                return True
    return table == INFO_TABLE and "key" in frame and "value" in frame and any(
        v not in ("true", "false") for k, v in zip(frame["key"], frame["value"]) if k in limits.required_info)


def _header(report: Report, raw: RawTable, table: str, names: list[str], where: dict) -> tuple[dict, set[str]]:
    """Position of each contract column in the header; header problems and extra columns reported."""
    seen: dict[str, int] = {}
    for index, written in enumerate(raw.header):
        name = written.strip()
        if name not in names and name.lower() in names:  # Mutual_ID for mutual_id
            report.normalisations.append(f"{raw.file}{_sheet(raw)}: header {written!r} read as {name.lower()!r}")
            name = name.lower()
        if not name:
            if raw.data[index].str.strip().ne("").any():
                report.add(Problem(**where, row=raw.header_number, column=None, value="",
                                   expected=f"a name for header column {index + 1}, which holds values"))
        elif name in seen:
            report.add(Problem(**where, row=raw.header_number, column=name, value=name,
                               expected=f"each column named once (columns {seen[name] + 1} and {index + 1})"))
        else:
            seen[name] = index
    missing = {c for c in names if c not in seen}
    for column in (c for c in names if c in missing):
        report.add(Problem(**where, row=raw.header_number, column=column, value="",
                           expected=f"a column named {column!r}; the header of {table} must name {', '.join(names)}"))
    extra = [c for c in seen if c not in names]
    if extra:
        report.notes.append(f"{raw.file}{_sheet(raw)}: column(s) {', '.join(map(repr, extra))} are not in the data "
                            f"contract: kept in the source file, not loaded")
    return seen, missing


def _sheet(raw: RawTable) -> str:
    return f" › {raw.sheet}" if raw.sheet else ""


def _prepare(report: Report, table: str, raw: RawTable, limits: Limits) -> _Table | None:
    where = {"file": raw.file, "sheet": raw.sheet}
    columns, _, defaults = catalog()[table]
    names = [c[0] for c in columns]
    if not raw.header:
        report.add(Problem(**where, row=None, column=None, value="",
                           expected=f"a header row naming {', '.join(names)}; the {'sheet' if raw.sheet else 'file'} "
                                    "is empty"))
        return None
    seen, missing = _header(report, raw, table, names, where)
    report.add(*raw.problems)
    report.normalisations += raw.notes
    for name, index in seen.items():  # an over-long value in a column the contract does not load
        if name not in names:
            long = raw.data[index].str.len() > limits.text_max_chars
            report.add(*(Problem(**where, row=n, column=name, value=value[:40], expected=(
                f"at most {limits.text_max_chars:,} characters in a value (this one has {len(value):,})"))
                for n, value in zip(pd.Series(raw.numbers)[long.values], raw.data[index][long])))
    staging = pd.DataFrame({"_n": pd.Series(raw.numbers, dtype="int64"),
                            **{name: raw.data[seen[name]].reset_index(drop=True) for name in names if name in seen}})
    if staging.empty and table not in limits.may_be_empty:
        report.add(Problem(**where, row=None, column=None, value="",
                           expected=f"at least one row in {table}; the {'sheet' if raw.sheet else 'file'} has a header "
                                    "but no rows"))
    report.rows[table] = len(staging)
    return _Table(raw, staging, missing, where)


@lru_cache(maxsize=1)
def catalog() -> dict[str, tuple[list[tuple[str, str, bool]], list[tuple], dict[str, str]]]:
    """Per table of ``queries/schema.sql``: (name, type, has_default) columns, constraints, defaults as text."""
    con = connect(":memory:", read_only=False)
    try:
        con.execute(load_sql("schema"))
        found = {}
        for table in ALL_TABLES:
            defaults = {name: con.execute(f"SELECT CAST({expr} AS VARCHAR)").fetchall()[0][0]  # identifiers only
                        for name, expr in con.execute(
                            "SELECT column_name, column_default FROM information_schema.columns "
                            "WHERE table_name = $t AND column_default IS NOT NULL", {"t": table}).fetchall()}
            found[table] = (_schema_columns(con, table), _constraints(con, table), defaults)
        return found
    finally:
        con.close()


def _run(report: Report, con, checks: list[tuple[str, Callable]], params: dict) -> None:
    """Run ``checks`` (SQL selecting _n and three values, and a maker of a Problem from them) as one query.

    Every failing row becomes a Problem, in row order, until the cap; the rest are counted in ``report.more``.
    """
    if not checks:
        return
    union = " UNION ALL ".join(f"SELECT {k} AS _k, * FROM ({sql})" for k, (sql, _) in enumerate(checks))
    room = max(report.room, 0)
    rows = con.execute(f"SELECT *, count(*) OVER () FROM ({union}) ORDER BY 2, 1 LIMIT $_room",  # identifiers only
                       {**params, "_room": max(room, 1)}).fetchall()
    if rows:
        report.problems += [checks[k][1](*values) for k, *values, _ in rows[:room]]
        report.more += rows[0][-1] - len(rows[:room])


def _value_words(name: str, dtype: str, code: int, value: str, limits: Limits) -> str:
    if code == 0:
        return "a value; the cell is empty"
    if code == 1:
        kind = "a name or title" if name in limits.name_columns else "a value"
        return f"at most {limits.max_chars(name):,} characters in {kind} (this one has {len(value):,})"
    if code == 2 and dtype == "DATE" and SHORT_YEAR.fullmatch(value.strip()):
        return f"{DATE_WORDS}; ambiguous: day/month/2-digit year (write the year in full, e.g. 2024)"
    if code == 2:
        return DATE_WORDS if dtype == "DATE" else WRITTEN[dtype][1]
    if dtype == "DATE":
        return f"a calendar date between {limits.earliest_date} and {limits.latest_date}"
    if dtype == "DOUBLE":
        return "a number of at most 308 digits"
    return f"a whole number that fits a {dtype} column"


def _check_values(con, table: str, t: _Table, limits: Limits, jobs: list) -> list[tuple[str, Callable]]:
    """Every value's length, written form and presence (NOT NULL) in one scan, kept with the typed values in
    ``v_<table>``; then the problems found, in row order."""
    columns, constraints, _ = catalog()[table]
    required = {cols[0] for kind, _, cols, _, _ in constraints if kind == "NOT NULL"}
    codes, typed, params, checks = [], [], {}, []
    for i, (name, dtype, has_default) in enumerate(columns):
        if name in t.missing:
            typed.append(f"CAST(NULL AS {dtype}) AS {q(name)}")
            continue
        case = _value_problem(i, name, dtype, limits, params, trimmed=True)
        if name in required and not has_default:
            case = case.replace("CASE ", f"CASE WHEN NULLIF({q(name)}, '') IS NULL THEN 0 ", 1)
        codes.append(f"{case} AS _p{i}")
        typed.append(f"CASE WHEN _p{i} IS NULL THEN TRY_CAST(NULLIF({q(name)}, '') AS {dtype}) END AS {q(name)}")
        checks.append((f"SELECT _n, {q('_r' + name)}, CAST(_p{i} AS VARCHAR), NULL FROM {q('v_' + table)} "
                       f"WHERE _p{i} IS NOT NULL",
                       lambda n, value, code, _, name=name, dtype=dtype: Problem(
                           **t.where, row=n, column=name, value=value if code != "1" else value[:40],
                           expected=_value_words(name, dtype, int(code), value, limits))))
    kept = [f"_p{i}" for i, (n, _, _) in enumerate(columns) if n not in t.missing]
    kept += [f"{q(n)} AS {q('_r' + n)}" for n, _, _ in columns if n not in t.missing]
    final, steps, layered, friendly = _normalised(table, t, limits)
    big = len(t.staging) > 20_000
    if big:  # one scan of the Python strings; the queries after read DuckDB's own copy
        con.register(f"f_{table}", t.staging)
        con.execute(f"CREATE TEMP TABLE {q('s_' + table)} AS SELECT * FROM {q('f_' + table)}")  # identifiers only
        con.unregister(f"f_{table}")
    else:
        con.register(f"s_{table}", t.staging)
    if big or _may_change(table, t.staging, limits):  # the layers are kept, to count each one's changes
        con.execute(f"CREATE TEMP TABLE {q('n_' + table)} AS {layered}", friendly)  # identifiers only
        jobs.append((t.raw.file + _sheet(t.raw), steps, f"SELECT * FROM {q('n_' + table)}", {}))
        source, friendly = q("n_" + table), {}
    else:
        source = f"({layered})"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {q('v_' + table)} AS SELECT _n, {', '.join(typed + kept)} "  # identifiers only
                f"FROM (SELECT {', '.join(['*'] + codes)} FROM (SELECT {final} FROM {source}))", {**params, **friendly})
    return checks


def _friendly(expression: str) -> str:
    """A CHECK expression in words where it is a common form, else as written in the schema."""
    text = re.sub(r"^\((.*)\)$", r"\1", expression)
    if m := re.fullmatch(r"(\w+) IN \((.*)\)", text):
        return f"one of {m[2]}"
    if m := re.fullmatch(r"(\w+) BETWEEN (\S+) AND (\S+)", text):
        return f"{m[1]} between {m[2]} and {m[3]}"
    if m := re.fullmatch(r"(?:\(\w+ IS NULL\) OR \()?(\w+) (>=|<=) (\w+)\)?", text):
        return f"{m[1]} {'on or after' if m[2] == '>=' else 'on or before'} {m[3]}" if m[3].endswith("_date") \
            else f"{m[1]} {m[2]} {m[3]}"
    return text


def _check_constraints(table: str, t: _Table, files: dict[str, str]) -> list[tuple[str, Callable]]:
    """CHECK, PRIMARY KEY/UNIQUE and FOREIGN KEY constraints of ``table`` over every row of ``v_<table>``."""
    typed, checks = q("v_" + table), []
    for kind, expression, cols, ref_table, ref_cols in catalog()[table][1]:
        if set(cols) & t.missing:
            continue
        involved = list(dict.fromkeys(cols))
        if kind == "CHECK":
            values = " || ', ' || ".join("'" + c.replace("'", "''") + f"=' || {q('_r' + c)}" for c in involved) \
                if len(involved) > 1 else q("_r" + cols[0])  # as written (after normalising), not as typed
            words = _friendly(expression)
            checks.append((f"SELECT _n, {values}, NULL, NULL FROM {typed} WHERE ({expression}) = false",
                           lambda n, value, _a, _b, words=words, column=involved[0]: Problem(
                               **t.where, row=n, column=column, value=value, expected=words)))
        elif kind in ("PRIMARY KEY", "UNIQUE"):
            key = ", ".join(q(c) for c in cols)
            present = " AND ".join(f"{q(c)} IS NOT NULL" for c in cols)
            checks.append((f"SELECT _n, concat_ws(', ', {key}), CAST(first AS VARCHAR), NULL FROM (SELECT _n, {key}, "
                           f"min(_n) OVER (PARTITION BY {key}) AS first FROM {typed} WHERE {present}) WHERE _n > first",
                           lambda n, value, first, _, cols=cols: Problem(
                               **t.where, row=n, column=cols[0], value=value,
                               expected=f"a unique ({', '.join(cols)}); duplicate key, already used on row {first}")))
        elif kind == "FOREIGN KEY" and ref_table in files:
            col, ref_col, parent = cols[0], ref_cols[0], files[ref_table]
            checks.append((f"SELECT _n, {q(col)}, NULL, NULL FROM {typed} WHERE {q(col)} IS NOT NULL AND {q(col)} "
                           f"NOT IN (SELECT {q(ref_col)} FROM {q('v_' + ref_table)} WHERE {q(ref_col)} IS NOT NULL)",
                           lambda n, value, _a, _b, col=col, ref_col=ref_col, parent=parent: Problem(
                               **t.where, row=n, column=col, value=value,
                               expected=f"a {ref_col} that is in {parent}; unknown {ref_col}")))
    return checks


def _check_info(report: Report, con, t: _Table, limits: Limits) -> None:
    """dataset_info holds each key the contract requires, with a value of the required type."""
    for key, dtype in limits.required_info.items() if not t.missing else ():
        rows = con.execute(f"SELECT _n, {q('_rvalue')} FROM {q('v_' + INFO_TABLE)} WHERE {q('_rkey')} = $key "  # identifiers only
                           "ORDER BY _n LIMIT 1", {"key": key}).fetchall()
        pattern, words = WRITTEN.get(dtype, (".*", "a value"))
        if not rows:
            report.add(Problem(**t.where, row=None, column="key", value="",
                               expected=f"a row with key {key!r} and {words} as its value"))
        elif not re.fullmatch(pattern, rows[0][1]):
            report.add(Problem(**t.where, row=rows[0][0], column="value", value=rows[0][1],
                               expected=f"{words} as the value of {key!r}"))


def _output(con, table: str, t: _Table) -> pd.DataFrame:
    """The normalised table: the contract's columns in order, as text ("" for a missing column)."""
    names = [n for n, _, _ in catalog()[table][0]]
    shown = ", ".join(f"{q('_r' + n)} AS {q(n)}" if n not in t.missing else f"'' AS {q(n)}" for n in names)
    return con.sql(f"SELECT {shown} FROM {q('v_' + table)} ORDER BY _n").to_arrow_table().to_pandas()  # identifiers only


def validate(tables: dict[str, RawTable], *, required: Iterable[str] | None = None,
             limits: Limits | None = None) -> tuple[Report, dict[str, pd.DataFrame]]:
    """Check ``tables`` completely; return the report and the normalised tables (contract columns, as text).

    ``required`` names the tables that must be present (default: every table of the contract); foreign
    keys are checked against the submitted tables only.
    """
    limits = limits or load_limits()
    required = list(ALL_TABLES if required is None else required)
    report = Report()
    for name, raw in tables.items():
        if name not in ALL_TABLES:
            report.notes.append(f"{raw.file}{_sheet(raw)}: {name!r} is not a table of the data contract: ignored")
    for table in required:
        if table not in tables:
            report.add(Problem(f"{table}.csv", None, None, None, "", "a CSV file (or a sheet) for every table of "
                               f"the data contract; {table} is missing"))
    con = connect(":memory:", read_only=False)
    try:
        prepared = {table: t for table in ALL_TABLES if table in tables
                    for t in [_prepare(report, table, tables[table], limits)] if t is not None}
        jobs: list = []
        _run(report, con, [c for table, t in prepared.items() for c in _check_values(con, table, t, limits, jobs)], {})
        _count(report, con, jobs)
        files = {table: t.raw.file + _sheet(t.raw) for table, t in prepared.items()}
        _run(report, con, [c for table, t in prepared.items() for c in _check_constraints(table, t, files)], {})
        if INFO_TABLE in prepared:
            _check_info(report, con, prepared[INFO_TABLE], limits)
        frames = {table: _output(con, table, t) for table, t in prepared.items()}
    except duckdb.Error as exc:  # a bug, not the user's data: say so rather than pass it off as a data problem
        raise RuntimeError(f"validation query failed: {exc}") from exc
    finally:
        con.close()
    order = {place: i for i, place in enumerate(files.values())}  # tables in load order, then rows
    report.problems.sort(key=lambda p: (order.get(p.file + (f" › {p.sheet}" if p.sheet else ""), -1), p.row or 0))
    return report, frames


def validate_source(path: Path | str, max_bytes: int | None = None, **kwargs) -> tuple[Report, dict[str, pd.DataFrame]]:
    """Read (:func:`read_source`) and validate ``path``; problems reading the files are in the report too."""
    try:
        return validate(read_source(path, max_bytes=max_bytes), **kwargs)
    except SourceError as exc:  # the files that could be read are checked too, so the report is complete
        required = [t for t in kwargs.pop("required", None) or ALL_TABLES if t not in exc.unread]
        report, frames = validate(exc.tables, required=required, **kwargs) if exc.tables else (Report(), {})
        report.problems[:0] = exc.problems[:MAX_PROBLEMS]
        report.more += max(len(exc.problems) - MAX_PROBLEMS, 0)
        if len(report.problems) > MAX_PROBLEMS:
            report.more += len(report.problems) - MAX_PROBLEMS
            del report.problems[MAX_PROBLEMS:]
        return report, frames


def write_csvs(frames: dict[str, pd.DataFrame], folder: Path | str) -> Path:
    """Write normalised tables as UTF-8 CSVs that :func:`mutuals.infra.build.build` reads unchanged (DuckDB
    writes them, in row order; a value holding a comma, quote or line break is quoted)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    con = connect(":memory:", read_only=False)
    try:
        for table, frame in frames.items():
            con.register("frame", frame.astype(object))
            empty_as_blank = ", ".join(f"NULLIF({q(c)}, '') AS {q(c)}" for c in frame.columns)
            con.execute(f"COPY (SELECT {empty_as_blank} FROM frame) TO $path "  # identifiers only
                        "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', ESCAPE '\"')",
                        {"path": str(folder / f"{table}.csv")})
            con.unregister("frame")
    finally:
        con.close()
    return folder
