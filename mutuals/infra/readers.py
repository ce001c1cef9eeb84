"""Read an import source as raw text tables: a folder of CSVs, a ZIP of CSVs or one XLSX workbook.

Every cell comes back as text, untouched apart from decoding (Excel numbers as plain decimals, Excel dates
as ``YYYY-MM-DD``, formulas as their cached values). Row numbers are as the user sees them: the line in a
text editor for a CSV (the header is line 1), the Excel row number for a sheet. Problems of the files
themselves (empty, truncated, the wrong type, too big, not text) are collected, all of them, and raised
together as :class:`SourceError`; checking values is :mod:`mutuals.infra.validate`'s job. A large UTF-8 CSV
whose records are one line each is read by DuckDB's parser (in parallel); a small plain CSV (no quotes, no
blank lines) by pandas' C parser; any other by the csv module, line by line, which places every problem.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import python_calamine

import mutuals.infra.csvread  # noqa: F401  (raises the csv module's field size limit, once per process)
from mutuals.infra.contract import load_limits
from mutuals.infra.db import connect

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
# What a file's first bytes say it is, for a file that claims to be a CSV.
MAGIC = [
    (b"PK\x03\x04", "a ZIP archive (or an Excel workbook)"), (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file"), (b"\x1f\x8b", "a gzip archive"),
    (b"\xff\xfe", "UTF-16 text"), (b"\xfe\xff", "UTF-16 text"),
]
FAST_MIN_BYTES = 1 << 20  # a CSV at least this big is tried with DuckDB's parser first
BOM = b"\xef\xbb\xbf"
BLANK_LINE = re.compile(r"(?:^|\n)[ \t,]*\r?\n")
SAVE_AS = "save it as CSV UTF-8 (in Excel: Save As › CSV UTF-8)"


def shown(value: object) -> str:
    """A value as quoted in the report: at most 60 characters."""
    text = "" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Problem:
    """One problem, placed as the user sees it: file, sheet (None for a CSV), row (editor line or Excel row)."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str
    expected: str

    def __post_init__(self):
        object.__setattr__(self, "value", shown(self.value))

    def __str__(self) -> str:
        place = [self.file] + [f"sheet '{self.sheet}'"] * bool(self.sheet)
        place += [f"row {self.row}"] * (self.row is not None) + [f"column '{self.column}'"] * bool(self.column)
        got = f", got {self.value!r}" if self.value else ""
        return f"{', '.join(place)}: expected {self.expected}{got}"


@dataclass(frozen=True)
class RawTable:
    """One table as read: header and rows as text, each row with the number the user sees."""

    file: str                          # the name the user knows (contracts.csv, data.zip › contracts.csv, book.xlsx)
    sheet: str | None                  # the sheet name for a workbook, else None
    header: tuple[str, ...]
    data: pd.DataFrame                 # column i under header[i], all text (short rows padded, long rows reported)
    numbers: list[int]                 # the line (CSV) or Excel row of each row
    header_number: int = 1
    notes: tuple[str, ...] = ()        # normalisations made while reading (encoding)
    problems: tuple[Problem, ...] = ()  # found while reading (rows with too many values)

    def frame(self) -> pd.DataFrame:
        """The rows as a text DataFrame under the header as written, with ``_n`` (the row number seen)."""
        frame = self.data.set_axis(list(self.header), axis=1)
        frame.insert(0, "_n", pd.Series(self.numbers, dtype="int64"))
        return frame


class SourceError(ValueError):
    """The source could not be read as tables; ``problems`` lists every file that failed, ``tables`` those read."""

    def __init__(self, problems: list, tables: dict[str, RawTable] | None = None, unread: frozenset = frozenset()):
        self.problems, self.tables, self.unread = problems, tables or {}, unread
        super().__init__("; ".join(f"{p.file}: {p.expected}" for p in problems[:5]))


def max_upload_bytes() -> int:
    """The upload size limit: ``Limits.upload_max_bytes`` once the contract has it, else 200 MB."""
    return int(getattr(load_limits(), "upload_max_bytes", DEFAULT_MAX_BYTES))


def _problem(file: str, expected: str, sheet: str | None = None, row: int | None = None,
             column: str | None = None, value: str = "") -> Problem:
    return Problem(file, sheet, row, column, value, expected)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def _over(limit: int, size: int, words: str = "an upload of at most {limit}") -> str:
    """What was expected of a source over the limit, with both sizes (in bytes when MB would round alike)."""
    shown = _megabytes if _megabytes(limit) != _megabytes(size) else (lambda n: f"{n:,} bytes")
    return f"{words.format(limit=shown(limit))}, got {shown(size)}"


def read_source(path: Path | str, *, max_bytes: int | None = None) -> dict[str, RawTable]:
    """The tables of ``path`` by table name (file stem or sheet name); raises SourceError on any file problem.

    ``max_bytes`` caps the size read (default: the upload limit of the config).
    """
    path = Path(path)
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        total = sum(p.stat().st_size for p in files)
        if total > limit:
            raise SourceError([_problem(path.name, _over(limit, total))])
        return _collect([(p.name, p.stem, p.read_bytes(), p) for p in files if p.suffix.lower() == ".csv"])
    if not path.is_file():
        raise SourceError([_problem(path.name, "a folder of CSVs, a ZIP of CSVs or an XLSX workbook; nothing is there")])
    size = path.stat().st_size
    if size > limit:
        raise SourceError([_problem(path.name, _over(limit, size))])
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if not data:
        raise SourceError([_problem(path.name, "a file with content; this one is empty (0 bytes)")])
    if suffix == ".csv":
        return _collect([(path.name, path.stem, data, path)])
    if not data.startswith(b"PK\x03\x04"):
        raise SourceError([_problem(path.name, f"a {suffix or 'ZIP or XLSX'} file; its content is "
                                               f"{_kind(data) or 'not a ZIP or XLSX'}")])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "[Content_Types].xml" in names and suffix != ".zip":
                return read_workbook(path.name, data)
            members = [i for i in archive.infolist() if not i.is_dir() and not Path(i.filename).name.startswith(".")
                       and "__MACOSX" not in i.filename]
            unpacked = sum(i.file_size for i in members)
            if unpacked > limit:
                raise SourceError([_problem(path.name, _over(limit, unpacked, "at most {limit} once unpacked"))])
            found = [(f"{path.name} › {i.filename}", Path(i.filename).stem, archive.read(i), None) for i in members
                     if i.filename.lower().endswith(".csv")]
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        kind = "ZIP archive" if suffix == ".zip" else "XLSX workbook"
        raise SourceError([_problem(path.name, f"a complete {kind}; this one is damaged or cut short ({exc})")]) \
            from None
    return _collect(found)


def _kind(data: bytes) -> str | None:
    return next((kind for magic, kind in MAGIC if data.startswith(magic)), None)


def _collect(files: list[tuple[str, str, bytes, Path | None]]) -> dict[str, RawTable]:
    tables, problems, unread = {}, [], set()
    for shown, table, data, path in files:
        if table in tables:
            problems.append(_problem(shown, f"one file per table; {table} is also in {tables[table].file}"))
            continue
        try:
            tables[table] = read_csv_bytes(shown, data, path)
        except SourceError as exc:
            problems += exc.problems
            unread.add(table)
    if problems:
        raise SourceError(problems, tables, frozenset(unread))
    return tables


def _decode(shown: str, data: bytes) -> tuple[str, tuple[str, ...]]:
    """The text of a CSV, with the encoding note (BOM, Windows-1252) if it was not plain UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        data, notes = data[3:], (f"{shown}: a UTF-8 byte-order mark (BOM) removed",)
    else:
        notes = ()
    kind = _kind(data)
    if kind is not None or b"\x00" in data:
        raise SourceError([_problem(shown, f"a CSV file (text); its content is {kind or 'binary (it holds NUL bytes)'}"
                                           f"; {SAVE_AS}")])
    try:
        return data.decode("utf-8"), notes
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), (*notes, f"{shown}: not UTF-8, read as Windows-1252")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError([_problem(shown, f"UTF-8 or Windows-1252 text; byte 0x{data[exc.start]:02X} is neither; "
                                           f"{SAVE_AS}", row=line)]) from None


def read_csv_bytes(shown: str, data: bytes, path: Path | None = None) -> RawTable:
    """One CSV's records as text, each with its physical line number (1 = the header).

    ``path``, when given, holds ``data`` (so a large file need not be written out again for DuckDB).
    """
    if not data:
        raise SourceError([_problem(shown, "a header row and rows; the file is empty (0 bytes)")])
    fast = _duckdb_csv(shown, data, path) if len(data) >= FAST_MIN_BYTES else None
    if fast is not None:
        return fast
    text, notes = _decode(shown, data)
    if not text.strip():
        raise SourceError([_problem(shown, "a header row and rows; the file holds only blank space")])
    fast = _plain_csv(shown, text, notes)
    if fast is not None:
        return fast
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, previous = [], 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise SourceError([_problem(shown, f"CSV quoting that closes ({exc}); wrap a value holding a comma, "
                                               "quote or line break in double quotes", row=previous + 1)]) from None
        start, previous = previous + 1, reader.line_num
        if any(f.strip() for f in fields):
            records.append((start, fields))
    (header_line, header), body = records[0], records[1:]
    width, problems, rows = len(header), [], []
    for line, fields in body:
        if (len(fields) > width and any(f.strip() for f in fields[width:])) or len(fields) < width:
            problems.append(_problem(shown, f"{width} values (one per header column); this row has {len(fields)}"
                                     + " (cut short?)" * (len(fields) < width), row=line,
                                     value=fields[width] if len(fields) > width else fields[-1]))
        rows.append(tuple(fields[:width]) + ("",) * (width - len(fields)))
    return RawTable(shown, None, tuple(header), _grid(rows, width), [line for line, _ in body], header_line, notes,
                    tuple(problems))


def _duckdb_csv(shown: str, data: bytes, path: Path | None) -> RawTable | None:
    """A UTF-8 CSV whose records are one line each, with as many values as the header, read by DuckDB
    (row n is line n + 1); None for anything else (blank lines, lone CRs, line breaks inside quotes, rows too
    short or long or blank, another encoding), which the careful reader places problem by problem."""
    body = data[3:] if data.startswith(BOM) else data
    if _kind(body) is not None or b"\x00" in body or b"\n\n" in body or b"\n\r\n" in body \
            or (b"\r" in body and body.count(b"\r") != body.count(b"\r\n")):
        return None
    end = body.find(b"\n")
    try:
        header = next(csv.reader([body[:end if end >= 0 else len(body)].decode("utf-8").rstrip("\r")], strict=True))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    lines = body.count(b"\n") + (not body.endswith(b"\n"))
    names = {f"c{i}": "VARCHAR" for i in range(len(header))}
    text = ", ".join(f"coalesce(c{i}, '') AS c{i}" for i in range(len(header)))
    blank = " AND ".join(f"trim(c{i}) = ''" for i in range(len(header)))
    with tempfile.TemporaryDirectory(prefix="mutuals-csv-") as tmp:
        if path is None:
            path = Path(tmp) / "upload.csv"
            path.write_bytes(data)
        con = connect(":memory:", read_only=False)
        try:  # rows come back in file order (DuckDB preserves insertion order)
            table = con.sql(f"SELECT {text} FROM read_csv($path, header = false, auto_detect = false, "  # identifiers only
                            "columns = $names, delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
                            "null_padding = false, encoding = 'utf-8')",
                            params={"path": str(path), "names": names}).to_arrow_table()
            con.register("read", table)
            blanks = con.execute(f"SELECT count(*) FILTER (WHERE {blank}) FROM read").fetchall()[0][0]  # identifiers only
        except duckdb.Error:  # any parse problem: the careful reader says what and where
            return None
        finally:
            con.close()
    if table.num_rows != lines or blanks:
        return None
    frame = table.slice(1).to_pandas()
    frame.columns = range(len(header))
    head = tuple(table.slice(0, 1).to_pylist()[0].values())
    notes = (f"{shown}: a UTF-8 byte-order mark (BOM) removed",) if data.startswith(BOM) else ()
    return RawTable(shown, None, head, frame, list(range(2, len(frame) + 2)), 1, notes)


def _grid(rows: list[tuple[str, ...]], width: int) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=range(width), dtype=object) if rows else \
        pd.DataFrame({i: pd.Series([], dtype=object) for i in range(width)})


def _plain_csv(shown: str, text: str, notes: tuple[str, ...]) -> RawTable | None:
    """A CSV with no quotes, blank lines or lone CRs, read by pandas' C parser (line = row + 1); else None."""
    if '"' in text or BLANK_LINE.search(text) or not text.rsplit("\n", 1)[-1].strip(" \t\r,") == "" \
            or text.count("\r") != text.count("\r\n") or len({line.count(",") for line in text.splitlines()}) > 1:
        return None  # the careful reader places each problem
    try:
        frame = pd.read_csv(io.StringIO(text), header=None, dtype=str, na_filter=False, engine="c",
                            skip_blank_lines=False)
    except (ValueError, pd.errors.ParserError):
        return None
    header, body = tuple(frame.iloc[0]), frame.iloc[1:].reset_index(drop=True)
    body.columns = range(len(header))
    return RawTable(shown, None, header, body.astype(object), list(range(2, len(body) + 2)), 1, notes)


def cell_text(value) -> str:
    """An Excel cell's value as the text a CSV would hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return "" if value is None else str(value)


def read_workbook(shown: str, data: bytes) -> dict[str, RawTable]:
    """Each sheet of an XLSX as a table named by the sheet (formulas read as their cached values)."""
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        tables = {}
        for name in book.sheet_names:
            cells = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            numbered = [(i + 1, [cell_text(v) for v in row]) for i, row in enumerate(cells)]
            numbered = [(n, row) for n, row in numbered if any(c.strip() for c in row)]
            if not numbered:
                tables[name] = RawTable(shown, name, (), _grid([], 0), [], 1)
                continue
            (header_number, header), body = numbered[0], numbered[1:]
            while header and not header[-1].strip():
                header = header[:-1]
            width = len(header)
            problems = tuple(_problem(shown, f"values only under the {width} named header columns", name, n,
                                      None, next(c for c in row[width:] if c.strip()))
                             for n, row in body if any(c.strip() for c in row[width:]))
            rows = [tuple(row[:width]) + ("",) * (width - len(row)) for _, row in body]
            tables[name] = RawTable(shown, name, tuple(header), _grid(rows, width), [n for n, _ in body], header_number,
                                    (), problems)
        return tables
    except (python_calamine.CalamineError, ValueError) as exc:
        raise SourceError([_problem(shown, f"a complete XLSX workbook; this one is damaged or cut short ({exc})")]) \
            from None
