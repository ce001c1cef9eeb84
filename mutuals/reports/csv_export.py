"""The one CSV writer of the app (issue 8, part 5): every CSV download and the CLI's CSV output.

A spreadsheet treats a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula (and a leading tab
or carriage return can hide one), so ``=HYPERLINK(…)`` or ``+cmd|…`` in a mutual's name would run when a
commissioner opens the export. Every *text* cell, and every column header, that begins with one of those
characters is prefixed with ``'``, which spreadsheets show as text and do not evaluate.

- Numbers stay numbers: only text cells (``str`` values in object, string and category columns) are
  guarded, so a numeric ``-5`` is written ``-5`` and reads back as a number.
- UTF-8 with no byte-order mark: the CLI's output is piped into other tools (a BOM would be a stray
  character in the first header), tests and scripts read the files with ``csv``/pandas/DuckDB, and
  the app's own text never needs one to round-trip.
- A cell holding a tuple or list (a mutual's reasons) is written as its items joined by ``; ``.
- A stable float format (``%.15g`` by default: every value is printed the same way on every platform,
  with no ``0.30000000000000004`` noise) and ``\\n`` line endings; a field holding a line break or a
  carriage return is always quoted.

- An app download starts with one comment row (``comment=``): ``# <mutual or commissioner> · as of … ·
  source … · Synthetic data``, one quoted cell that begins with ``#`` (never a formula; control characters
  become spaces). Read such a file with ``skiprows=1``. The CLI writes no comment row (its output stays
  plain machine-readable CSV) unless asked.

No Streamlit here: pages call :func:`to_csv_bytes`, the CLI :func:`write_csv`.
"""

from __future__ import annotations

import csv
import io
import re
from typing import TextIO

import pandas as pd

from mutuals.formatting import reasons_text

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
FLOAT_FORMAT = "%.15g"


def guard_text(value: object) -> object:
    """``value`` with ``'`` in front when it is text that a spreadsheet would read as a formula.

    Anything that is not a ``str`` (numbers, dates, missing values) is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return GUARD + value
    return value


def _is_text_column(series: pd.Series) -> bool:
    dtype = series.dtype
    return (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype))


def guard_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every formula-like text cell and column header guarded (see module doc)."""
    out = frame.copy()
    for position in range(out.shape[1]):
        series = out.iloc[:, position]
        if not _is_text_column(series):
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        # a cell holding several values (a mutual's reasons) is written as one line of text
        series = series.map(lambda v: reasons_text(v) if isinstance(v, (tuple, list)) else v)
        # object dtype keeps the non-text values (numbers, dates, None) exactly as they were
        out.isetitem(position, series.map(guard_text, na_action="ignore").astype(object))
    out.columns = [guard_text(str(name)) if isinstance(name, str) else name for name in out.columns]
    return out


def _unix_line_ends(text: str) -> str:
    """CSV written with ``\r\n`` row ends, with the row ends (outside quotes) made ``\n``.

    Python's csv writer quotes a field only for the characters of its own line terminator, so with
    ``\n`` a field holding a bare ``\r`` would go out unquoted and split the row in a reader. Writing
    with ``\r\n`` quotes every field holding either; the quotes then tell row ends from text.
    """
    parts = text.split('"')  # even parts lie outside quotes (a doubled quote toggles twice)
    parts[::2] = [part.replace("\r\n", "\n") for part in parts[::2]]
    return '"'.join(parts)


COMMENT = "# "


def comment_row(text: str) -> str:
    """``text`` as the first row of a CSV: one cell beginning with ``# ``, on one line, quoted when needed."""
    flat = " ".join(re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", str(text)).split())
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([guard_text(COMMENT + flat)])
    return buffer.getvalue()


def to_csv_text(frame: pd.DataFrame, *, float_format: str = FLOAT_FORMAT, comment: str | None = None) -> str:
    """``frame`` (no index) as guarded CSV text, ``\n`` between rows; ``comment`` (if any) as a first row."""
    buffer = io.StringIO()
    if comment is not None:
        buffer.write(comment_row(comment))
    body = io.StringIO()
    guard_frame(frame).to_csv(body, index=False, float_format=float_format, lineterminator="\r\n")
    return buffer.getvalue() + _unix_line_ends(body.getvalue())


def write_csv(frame: pd.DataFrame, target: TextIO, *, float_format: str = FLOAT_FORMAT,
              comment: str | None = None) -> None:
    """Write ``frame`` as guarded CSV text to ``target`` (a text stream, e.g. ``sys.stdout``); no comment
    row unless ``comment`` is given."""
    target.write(to_csv_text(frame, float_format=float_format, comment=comment))


def to_csv_bytes(frame: pd.DataFrame, *, float_format: str = FLOAT_FORMAT, comment: str | None = None) -> bytes:
    """``frame`` as guarded CSV, UTF-8 encoded with no BOM (what a download button sends), with the
    ``comment`` row first when given."""
    return to_csv_text(frame, float_format=float_format, comment=comment).encode("utf-8")
