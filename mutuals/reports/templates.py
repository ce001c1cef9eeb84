"""Import templates (issue 12): an XLSX workbook or a ZIP of CSVs, one sheet or file per contract table.

Nothing is written twice: columns, types and which are required come from ``queries/schema.sql`` through
DuckDB's catalog (as :mod:`mutuals.infra.build` reads them), allowed values from its ``CHECK (column IN
(...))`` constraints, descriptions from ``mutuals/config/columns.toml``.

Values given as ``rows`` go into the XLSX typed, and python-calamine reads them back as shown after the arrow
(then written as the build wants them): DATE a real Excel date shown ``yyyy-mm-dd`` -> ``datetime.date``
(``isoformat()``); INTEGER/DOUBLE a number -> ``float`` (whole: no ``.0``; else ``repr``: xlsxwriter keeps 16
significant digits, so a decimal of up to 15 comes back as the same double); BOOLEAN TRUE/FALSE -> ``bool``
(``true``/``false``); text always a text cell in a text-formatted (``@``) column -> ``str`` (``01234567``
keeps its zero; ``=1+1`` never becomes a formula). A value not written as its type requires (``£1,234.50``,
``31/03/2024``) stays the text given, for the importer to normalise or report; empty values, empty cells.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import tomllib
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from mutuals.infra.build import ALL_TABLES, WRITTEN, contract_columns
from mutuals.infra.contract import CONTRACT_PATH, load_limits
from mutuals.infra.db import QUERIES_DIR, connect, load_sql
from mutuals.reports.csv_export import to_csv_bytes

__all__ = ["Column", "columns", "contract_version", "csv_template_zip", "sample_rows", "xlsx_template"]

PRODUCT = "Mutuals Sustainability"
COLUMNS_PATH = Path(__file__).resolve().parents[1] / "config" / "columns.toml"
TEMPLATE_ROWS = 10_000  # data validations cover rows 2..10,000
DATE_HINT = "YYYY-MM-DD or 31/03/2024"
TYPE_WORDS = {"DATE": f"a date ({DATE_HINT})", "INTEGER": "a whole number", "BIGINT": "a whole number",
              "DOUBLE": "a number such as 1234.5", "BOOLEAN": "true or false", "VARCHAR": "text"}
_IN_RE = re.compile(r"""^\(*"?(\w+)"?\s+IN\s*\(((?:\s*'(?:[^']|'')*'\s*,?)+)\)\)*$""", re.IGNORECASE)
_LITERAL_RE = re.compile(r"'((?:[^']|'')*)'")
_NUMBERS = ("INTEGER", "BIGINT", "DOUBLE")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str                   # DuckDB type, as contract_columns() gives it
    required: bool               # NOT NULL without a default: the cell may not be empty
    description: str             # from columns.toml
    allowed: tuple[str, ...] = ()  # from CHECK (column IN (...))
    key: bool = False
    references: str | None = None  # "table.column" of a foreign key

    def comment(self) -> str:
        """The header cell's note: description, type, required, key, reference and allowed values."""
        lines = [self.description, f"Type: {TYPE_WORDS.get(self.dtype, self.dtype.lower())}.",
                 "Required: every row needs a value." if self.required else "Optional: may be left empty."]
        lines += ["Part of the sheet's key: no two rows may share it."] if self.key else []
        lines += [f"Must match a {self.references} value."] if self.references else []
        lines += ["Allowed values (pick from the list): " + "; ".join(self.allowed) + "."] if self.allowed else []
        return "\n".join(lines)


def _in_list(expression: str) -> tuple[str, tuple[str, ...]] | None:
    """(column, values) when ``expression`` is ``column IN ('a', 'b', ...)``, else None."""
    match = _IN_RE.match(expression.strip())
    if not match:
        return None
    return match.group(1), tuple(v.replace("''", "'") for v in _LITERAL_RE.findall(match.group(2)))


@lru_cache(maxsize=1)
def columns() -> dict[str, tuple[Column, ...]]:
    """Every table's columns in schema order, with what the template tells about each."""
    con = connect(":memory:", read_only=False)
    try:
        con.execute(load_sql("schema"))
        found: dict[str, list[tuple]] = {}
        for table, *constraint in con.execute(
                "SELECT table_name, constraint_type, expression, constraint_column_names, referenced_table, "
                "referenced_column_names FROM duckdb_constraints() ORDER BY constraint_index").fetchall():
            found.setdefault(table, []).append(tuple(constraint))
        defaults = {tuple(r) for r in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE column_default IS NOT NULL")
            .fetchall()}
    finally:
        con.close()
    texts, out = tomllib.loads(COLUMNS_PATH.read_text(encoding="utf-8")), {}
    for table, cols in contract_columns().items():
        info = {name: {"required": False, "key": False, "references": None, "allowed": ()} for name, _ in cols}
        for kind, expression, names, ref_table, ref_cols in found.get(table, []):
            if kind == "NOT NULL":
                info[names[0]]["required"] = (table, names[0]) not in defaults
            elif kind in ("PRIMARY KEY", "UNIQUE"):
                info.update({n: {**info[n], "key": True} for n in names})
            elif kind == "FOREIGN KEY":
                info[names[0]]["references"] = f"{ref_table}.{ref_cols[0]}"
            elif kind == "CHECK" and (listed := _in_list(expression)) and listed[0] in info:
                info[listed[0]]["allowed"] = listed[1]
        missing = [name for name, _ in cols if not texts.get(table, {}).get(name)]
        if missing:
            raise ValueError(f"{COLUMNS_PATH.name}: no description for {table}.{', '.join(missing)}")
        out[table] = tuple(Column(name, dtype, description=texts[table][name], **info[name]) for name, dtype in cols)
    return out


def contract_version() -> str:
    """The data contract's version: sha256 of schema.sql and contract.toml, first 12 hex digits."""
    digest = hashlib.sha256()
    for path in (QUERIES_DIR / "schema.sql", CONTRACT_PATH):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _frames(rows: dict[str, pd.DataFrame] | None) -> list[tuple[str, list[str], pd.DataFrame | None]]:
    """(table, header, rows or None) per table: the contract's columns, then any extra columns of the rows
    (kept, never silently dropped: the import reports them)."""
    rows = rows or {}
    if unknown := sorted(set(rows) - set(ALL_TABLES)):
        raise ValueError(f"not tables of the data contract: {', '.join(unknown)}")
    out = []
    for table in ALL_TABLES:
        header, frame = [c.name for c in columns()[table]], rows.get(table)
        if frame is not None:
            header += [str(c) for c in frame.columns if str(c) not in header]
            frame = frame.rename(columns=str).reindex(columns=header)
        out.append((table, header, frame))
    return out


def _plain(value: object) -> object:
    """A numpy scalar as its Python value; a datetime (pd.Timestamp too) at midnight as a date, else ISO text."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, datetime):
        return value.date() if value.time() == time() else value.isoformat()
    return value


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _typed(value: object, dtype: str) -> object:
    """``value`` as the cell should hold it (see the module docstring): None for an empty cell."""
    if _missing(value):
        return None
    value = _plain(value)
    if isinstance(value, bool):
        return value if dtype == "BOOLEAN" else _text(value)
    if isinstance(value, (int, float)):
        return value if dtype in _NUMBERS and math.isfinite(value) else _text(value)
    if isinstance(value, date):
        return value if dtype == "DATE" else value.isoformat()
    if not isinstance(value, str):
        return str(value)
    text, pattern = value.strip(), WRITTEN.get(dtype, (None,))[0]  # written as the build wants it: typed
    if not text or not pattern or not re.fullmatch(pattern, text):
        return value if text else None
    try:
        typed = {"DATE": date.fromisoformat, "BOOLEAN": lambda t: t.lower() == "true", "DOUBLE": float}.get(dtype, int)(text)
    except ValueError:  # 2024-02-30
        return value
    return typed if not isinstance(typed, float) or math.isfinite(typed) else value


GUIDE = (  # the About sheet and the CSV README both say this
    ("How to fill it", "One row per record under the header row. Keep the headers and the sheet (file) names. "
                       "Each column's note says what it holds, its type and whether it is required."),
    ("Dates", f"{DATE_HINT}; an ambiguous form such as 03/04/24 is rejected."),
    ("Money", "Plain numbers in pounds, e.g. 1234.50 (£1,234.50 is accepted too)."),
    ("Booleans", "true or false (TRUE, yes and 1 are accepted too)."),
    ("Allowed values", "Columns with a fixed list (a dropdown in the workbook) accept only its values."),
    ("Identifiers", "Every mutual_id must be in mutuals, every commissioner_id in commissioners."),
    ("Import", "On the Data page, or `python -m mutuals import PATH`. Every problem is reported at once."),
)


def _about(book: xlsxwriter.Workbook, bold, lists: list[tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    """The About sheet; returns the range holding each list that cannot be inlined in its validation."""
    sheet = book.add_worksheet("About")
    sheet.set_column(0, 0, 34), sheet.set_column(1, 1, 110)
    empty = load_limits().may_be_empty
    lines = [(f"{PRODUCT}: data import template", "One sheet per table of the data contract."),
             ("Product", PRODUCT), ("Data contract version", contract_version()), *GUIDE, ("", ""),
             ("Sheet", "Rows"), *((t, "may be empty" if t in empty else "needs at least one row") for t in ALL_TABLES),
             ("", ""), ("Dropdown lists", "the allowed values of the dropdowns too long to hold in their rule")]
    headings = {0, len(GUIDE) + 4, len(lines) - 1}
    for row, (label, text) in enumerate(lines):
        sheet.write_row(row, 0, [label, text], bold if row in headings else None)
    ranges, row = {}, len(lines)
    for name, values in lists:
        sheet.write_column(row, 1, values)
        sheet.write_string(row, 0, name)
        ranges[name] = f"=About!$B${row + 1}:$B${row + len(values)}"
        row += len(values)
    return ranges


def xlsx_template(rows: dict[str, pd.DataFrame] | None = None) -> bytes:
    """The XLSX template: a sheet per table (header notes, dropdowns, ``rows`` if given) and an About sheet."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    formats = {"DATE": date_format, "VARCHAR": book.add_format({"num_format": "@"})}  # typed-in text stays text
    validations: list[tuple] = []
    for table, header, frame in _frames(rows):
        sheet = book.add_worksheet(table)
        spec = {c.name: c for c in columns()[table]}
        for col, name in enumerate(header):
            column = spec.get(name)
            sheet.set_column(col, col, max(12, min(40, len(name) + 4)), formats.get(column.dtype if column else "VARCHAR"))
            sheet.write_string(0, col, name, bold)
            note = column.comment() if column else "Not in the data contract: the import will report it."
            sheet.write_comment(0, col, note, {"x_scale": 2.2, "y_scale": 2.0})
            if column and column.allowed:  # Excel holds a list in the rule when no value has a comma (≤ 255 chars)
                inline = all("," not in v for v in column.allowed) and len(",".join(column.allowed)) <= 255
                validations.append((sheet, col, f"{table}.{name}", column.allowed, inline))
        sheet.freeze_panes(1, 0)
        if frame is not None:
            dtypes = [spec[n].dtype if n in spec else "VARCHAR" for n in header]
            for r, values in enumerate(frame.itertuples(index=False, name=None), start=1):
                for col, value in enumerate(values):
                    value = _typed(value, dtypes[col])  # str, bool, date, int or float: one cell type each
                    if value is not None:
                        sheet.write(r, col, value, date_format if isinstance(value, date) else None)
    ranges = _about(book, bold, [(name, values) for *_, name, values, inline in validations if not inline])
    for sheet, col, name, values, inline in validations:
        source = list(values) if inline else ranges[name]
        sheet.data_validation(1, col, TEMPLATE_ROWS - 1, col, {
            "validate": "list", "source": source, "ignore_blank": True,
            "error_title": "Not an allowed value", "error_message": "Pick a value from the list."})
    book.close()
    return buffer.getvalue()


def _csv_bytes(header: list[str], frame: pd.DataFrame | None) -> bytes:
    """A table's CSV. The header alone goes through the app's one CSV writer; rows are written with the plain
    csv module instead, because that writer guards formula-like text with a leading ``'``, which would change
    the data when the file is imported again (the importer stores such text as text itself)."""
    if frame is None or frame.empty:
        return to_csv_bytes(pd.DataFrame(columns=header))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for values in frame.itertuples(index=False, name=None):
        writer.writerow(["" if _missing(v) else _text(v) for v in values])
    return out.getvalue().encode("utf-8")


def _text(value: object) -> str:
    """A value as CSV text: ISO dates, true/false, whole floats without ``.0``, other floats exactly."""
    value = _plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)


def _readme() -> str:
    lines = [f"{PRODUCT}: data import template (CSV files, UTF-8)", f"Data contract version: {contract_version()}",
             "", *(f"{label}: {text}" for label, text in GUIDE)]
    for table in ALL_TABLES:
        lines += ["", f"{table}.csv"]
        lines += [f"  {c.name} ({TYPE_WORDS.get(c.dtype, c.dtype)}; {'required' if c.required else 'optional'}): "
                  f"{c.description}" + (f" One of: {'; '.join(c.allowed)}." if c.allowed else "")
                  for c in columns()[table]]
    return "\n".join(lines) + "\n"


def csv_template_zip(rows: dict[str, pd.DataFrame] | None = None) -> bytes:
    """A ZIP of ``<table>.csv`` (header, and ``rows`` when given) for every table, and a README.txt."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table, header, frame in _frames(rows):
            archive.writestr(f"{table}.csv", _csv_bytes(header, frame))
        archive.writestr("README.txt", _readme())
    return buffer.getvalue()


def sample_rows(data_dir: Path | str) -> dict[str, pd.DataFrame]:
    """Every table's CSV in ``data_dir`` as text, exactly as written (no type guessing, empty cells as "")."""
    return {table: pd.read_csv(Path(data_dir) / f"{table}.csv", dtype=str, keep_default_na=False)
            for table in ALL_TABLES}
