"""The explorer's downloads (issue 11): CSV, XLSX and Parquet, built only from :class:`Disclosed` tables.

Every file shows what the page shows: a suppressed cell reads the rule's text ("suppressed (n < 5)"), never
its number. Each file says what it holds (:class:`About`): the view, the filters, the dates, the data set,
the SQL files with their parameters and the disclosure rule — the CSV in its comment row, the XLSX on a
final "About" sheet, the Parquet file in its key-value metadata (``mutuals.about``).

Text never becomes a formula: the CSV goes through :mod:`mutuals.reports.csv_export`, the XLSX writes every
text cell as a string (guarded the same way), and the Parquet file holds the plain text (no spreadsheet
reads it). A cross-tab's group labels (its index) become a first column named ``group``.
"""

from __future__ import annotations

import io
import json
import numbers
import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from xlsxwriter.worksheet import Worksheet

from mutuals.reports import csv_export
from mutuals.services.disclosure import Disclosed

__all__ = ["ABOUT_SHEET", "METADATA_KEY", "About", "csv_bytes", "export_frame", "parquet_bytes", "xlsx_bytes"]

ABOUT_SHEET = "About"
METADATA_KEY = b"mutuals.about"
GROUP = "group"
SHEET_CHARS = 31
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
MIN_WIDTH, MAX_WIDTH, ABOUT_WIDTH = 8, 60, 100
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}

Table = Disclosed | pd.DataFrame


@dataclass(frozen=True)
class About:
    """What an explorer export holds: its view, filters, dates, data set, queries and disclosure rule."""

    view: str                               # "Distributions"
    filters: tuple[tuple[str, str], ...]    # (label, value text)
    data_date: date
    as_of: date
    dataset: tuple[tuple[str, str], ...]    # dataset_info facts (key, value)
    queries: tuple[tuple[str, str], ...]    # (SQL file, its bound parameters as text)
    rule: str                               # Rule.describe()
    compare: str                            # the compare-by dimension's label

    def rows(self) -> list[tuple[str, str]]:
        """The About sheet's rows (Item, Value)."""
        return [("View", self.view), ("Compare by", self.compare),
                *((f"Filter: {label}", value) for label, value in self.filters),
                ("As of", self.as_of.isoformat()), ("Data date", self.data_date.isoformat()),
                *((f"Data set: {key}", value) for key, value in self.dataset),
                *((f"SQL file: {name}", params or "no parameters") for name, params in self.queries),
                ("Disclosure rule", self.rule)]

    def line(self) -> str:
        """One line for a CSV's comment row: view, compare-by, dates and whether the data are synthetic."""
        synthetic = dict(self.dataset).get("synthetic", "").strip().lower() in {"true", "1", "yes"}
        parts = [f"Explorer: {self.view}", f"compared by {self.compare}", f"as of {self.as_of.isoformat()}",
                 f"data date {self.data_date.isoformat()}"]
        return " · ".join([*parts, "Synthetic data"] if synthetic else parts)


def _labelled(index: pd.Index) -> bool:
    """Whether an index holds labels worth exporting (a cross-tab's groups), not row numbers."""
    if isinstance(index, pd.MultiIndex):
        return True
    return index.name is not None or not pd.api.types.is_numeric_dtype(index.dtype)


def _parts(table: Table) -> tuple[pd.DataFrame, list[str]]:
    """The table as exported (suppressed columns from ``shown()``, the others with their own type) and
    the columns holding a suppressed cell; a labelled index becomes the first column, ``group``."""
    if isinstance(table, Disclosed):
        frame, shown = table.frame.copy(), table.shown()
        mask = table.suppressed.reindex(index=frame.index, columns=frame.columns, fill_value=False)
        mask = mask.fillna(False).astype(bool)
        hidden = [position for position in range(frame.shape[1]) if mask.iloc[:, position].any()]
        for position in hidden:
            frame.isetitem(position, shown.iloc[:, position])
        names = [frame.columns[position] for position in hidden]
    else:
        frame, names = table.copy(), []
    if not _labelled(frame.index):
        frame = frame.reset_index(drop=True)
    elif isinstance(frame.index, pd.MultiIndex):
        frame = frame.reset_index()
    else:
        name = next(n for n in (GROUP, frame.index.name, "index", "index_") if n and n not in frame.columns)
        frame = frame.rename_axis(name).reset_index()
    return frame, names


def export_frame(table: Table) -> pd.DataFrame:
    """The table as every export writes it: suppressed cells read the rule's text, group labels a column."""
    return _parts(table)[0]


def csv_bytes(table: Table, about: About, comment: str | None = None) -> bytes:
    """The table as guarded CSV (csv_export), its first row ``comment`` (by default :meth:`About.line`)."""
    return csv_export.to_csv_bytes(export_frame(table), comment=about.line() if comment is None else comment)


def _sheet_names(names: list[str]) -> list[str]:
    """Excel-safe, unique (case-insensitively, and never "About") sheet names of at most 31 characters."""
    taken, out = {ABOUT_SHEET.lower()}, []
    for raw in names:
        base = SHEET_FORBIDDEN.sub(" ", " ".join(str(raw).split())).strip("' ")[:SHEET_CHARS].strip() or "Table"
        name, number = base, 1
        while name.lower() in taken:
            number += 1
            suffix = f" ({number})"
            name = base[:SHEET_CHARS - len(suffix)].rstrip() + suffix
        taken.add(name.lower())
        out.append(name)
    return out


def _width(series: pd.Series, header: object) -> int:
    longest = max([len(str(header)), *(len(str(v)) for v in series.head(500) if not _missing(v))], default=0)
    return max(MIN_WIDTH, min(MAX_WIDTH, longest + 2))


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _layout(sheet: Worksheet, frame: pd.DataFrame) -> None:
    """Reasonable column widths and a frozen header row."""
    for position, header in enumerate(frame.columns):
        sheet.set_column(position, position, _width(frame.iloc[:, position], header))
    sheet.freeze_panes(1, 0)


def xlsx_bytes(tables: dict[str, Table], about: About) -> bytes:
    """The view's main table, then the "About" sheet (Item, Value) as the second sheet, then any other tables;
    every text cell a string, never a formula."""
    buffer = io.BytesIO()
    names = _sheet_names(list(tables))
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as writer:
        book = writer.book
        book.set_properties({"title": f"Explorer: {about.view}", "comments": about.rule})
        for i, (name, table) in enumerate(zip(names, tables.values())):
            frame = csv_export.guard_frame(export_frame(table))
            frame.to_excel(writer, sheet_name=name, index=False)
            _layout(writer.sheets[name], frame)
            if i == 0:
                _about_sheet(writer, about)
        if not tables:
            _about_sheet(writer, about)
    return buffer.getvalue()


def _about_sheet(writer: pd.ExcelWriter, about: About) -> None:
    rows = csv_export.guard_frame(pd.DataFrame(about.rows(), columns=["Item", "Value"]))
    rows.to_excel(writer, sheet_name=ABOUT_SHEET, index=False)
    sheet = writer.sheets[ABOUT_SHEET]
    sheet.set_column(0, 0, _width(rows["Item"], "Item"))
    sheet.set_column(1, 1, ABOUT_WIDTH, writer.book.add_format({"text_wrap": True, "valign": "top"}))
    sheet.freeze_panes(1, 0)


def _text(value: object) -> str | None:
    """A cell of a suppressed column as text: numbers at full (repr) precision, missing values null."""
    if isinstance(value, str):
        return value
    if _missing(value):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return str(value)


def parquet_bytes(table: Table, about: About) -> bytes:
    """The table as Parquet: a column with a suppressed cell is text (the rule's text there), the others
    keep their type; the About rows are the file's ``mutuals.about`` metadata (JSON [[item, value], …])."""
    frame, hidden = _parts(table)
    for name in hidden:
        frame[name] = frame[name].map(_text).astype(object)
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    about_json = json.dumps([list(row) for row in about.rows()], ensure_ascii=False).encode("utf-8")
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), METADATA_KEY: about_json})
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer)
    return buffer.getvalue()
