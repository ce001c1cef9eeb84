"""Read one data-contract CSV strictly: bytes to text records, each with its physical line number.

Problems of the file itself (encoding, NUL bytes, quoting, a header naming a column twice, rows with too
few or too many values, a file cut off mid-row) raise :class:`BuildError` naming the file, line and, where
one is involved, the column. Values are returned as text, untouched; checking them against the schema's
types and constraints is :mod:`mutuals.infra.build`'s job.

Line numbers are physical lines of the file (1 = the header), so they stay right after blank lines and
quoted fields that hold line breaks; a record spanning several lines is reported at its first line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# The length of a value is the contract's to judge (with its column named), not the csv module's
# 128 KiB default, which would stop a long value with no column. Set once, for this process.
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))

UTF8_HINT = "save the file as UTF-8 (in Excel: Save As › CSV UTF-8)"


class BuildError(ValueError):
    """A CSV did not meet the data contract; the message names file, row, line and column."""

    def __init__(self, file: Path | str, message: str, row: int | None = None, column: str | None = None,
                 line: int | None = None):
        self.file, self.row, self.column, self.line, self.detail = Path(file), row, column, line, message
        super().__init__(f"{', '.join(self.where())}: {message}")

    def where(self) -> list[str]:
        place = [str(self.file)]
        if self.row is not None:
            place.append(f"row {self.row}" + (f" (line {self.line})" if self.line else ""))
        elif self.line is not None:
            place.append(f"line {self.line}")
        if self.column is not None:
            place.append(f"column '{self.column}'")
        return place

    def fields(self) -> dict:
        """What is needed to raise this error again (stored with a failed build)."""
        return {"file": str(self.file), "detail": self.detail, "row": self.row, "column": self.column,
                "line": self.line}

    @classmethod
    def from_fields(cls, fields: dict, file: Path | str | None = None) -> BuildError:
        return cls(file if file is not None else fields["file"], fields["detail"], fields.get("row"),
                   fields.get("column"), fields.get("line"))


@dataclass(frozen=True)
class CsvTable:
    frame: pd.DataFrame        # _row (1 = first data row), _line (physical line), then the contract's columns as text
    extra: tuple[str, ...]     # header columns not in the contract (reported, not loaded)


def _column_at(data: bytes, position: int, header: list[str] | None) -> tuple[int, str | None, int]:
    """(line, column name or None, character in the line) of byte ``position``."""
    line = data.count(b"\n", 0, position) + 1
    start = data.rfind(b"\n", 0, position) + 1
    prefix = data[start:position].decode("utf-8", errors="replace")
    column = None
    if header is not None and line > 1:
        try:
            index = len(next(csv.reader([prefix + "x"]))) - 1
        except (csv.Error, StopIteration):
            index = -1
        column = header[index] if 0 <= index < len(header) else None
    return line, column, len(prefix) + 1


def _header_guess(data: bytes) -> list[str] | None:
    first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    try:
        return [name.strip() for name in next(csv.reader([first]))]
    except (csv.Error, StopIteration):
        return None


def _decode(path: Path, data: bytes) -> str:
    """The file's text; a NUL byte or a byte that is not UTF-8 is reported with its line and column."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column, char = _column_at(data, nul, _header_guess(data))
        raise BuildError(path, f"a NUL byte (0x00) at character {char} of the line: the file is binary or saved "
                               f"as UTF-16; {UTF8_HINT}", column=column, line=line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column, char = _column_at(data, exc.start, _header_guess(data))
        raise BuildError(path, f"byte 0x{data[exc.start]:02X} at character {char} of the line is not UTF-8 "
                               f"(perhaps Windows-1252 or Latin-1); {UTF8_HINT}", column=column, line=line) from None


def _records(path: Path, text: str):
    """(line, fields) of every non-blank record; a quoting error is reported with its line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BuildError(path, f"the CSV quoting is broken ({exc}); a value holding a comma, quote or line "
                                   "break must be wrapped in double quotes, with quotes inside doubled",
                             line=previous + 1) from None
        start, previous = previous + 1, reader.line_num
        if fields:  # a blank line is no record (but counts as a line)
            yield start, fields


def read_csv(path: Path, columns: list[str]) -> CsvTable:
    """Read ``path`` as text records; check its header names every contract column once."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte-order mark (Excel's "CSV UTF-8") is not part of the header
    if not data.strip():
        raise BuildError(path, "the file is empty; expected a header row naming " + ", ".join(columns))
    text = _decode(path, data)
    records = _records(path, text)
    header_line, header = next(records)
    header = [name.strip() for name in header]
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        if not name:
            raise BuildError(path, f"header column {index + 1} has no name; the header must name "
                                   f"{', '.join(columns)}", line=header_line)
        if name in seen:
            raise BuildError(path, f"the header names this column twice (columns {seen[name] + 1} and {index + 1})",
                             column=name, line=header_line)
        seen[name] = index
    missing = [c for c in columns if c not in seen]
    if missing:
        raise BuildError(path, f"missing column(s) {', '.join(missing)}; the header must name {', '.join(columns)}",
                         column=missing[0], line=header_line)
    wanted = [seen[c] for c in columns]
    values: list[list[str]] = [[] for _ in columns]
    lines: list[int] = []
    last = None
    for line, fields in records:
        if len(fields) != len(header):
            short = len(fields) < len(header)
            raise BuildError(path, f"expected {len(header)} values (one per header column), got {len(fields)}",
                             len(lines) + 1, header[len(fields)] if short else None, line)
        for slot, index in zip(values, wanted):
            slot.append(fields[index])
        lines.append(line)
        last = fields
    if last is not None and not text.endswith(("\n", "\r")):
        raise BuildError(path, f"the last line has no line break at its end, so the file may have been cut short "
                               f"(its last value reads {last[-1][-40:]!r}); check the row is complete and end it "
                               "with a line break", len(lines), header[-1], lines[-1])
    frame = pd.DataFrame(dict(zip(columns, values)), columns=columns, dtype=object)
    frame.insert(0, "_line", pd.Series(lines, dtype="int64"))
    frame.insert(0, "_row", pd.Series(range(1, len(lines) + 1), dtype="int64"))
    extra = tuple(name for name in header if name not in columns)
    return CsvTable(frame, extra)
