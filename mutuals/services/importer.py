"""Imports (issue 12): ``preview_dataset|tables|ocds`` read and check everything and diff it against the active
dataset, writing nothing; :func:`confirm` makes the preview's complete normalised dataset a new workspace
version, activated atomically. Problems are placed in the user's file (or as rows of the active dataset)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from mutuals import settings
from mutuals.infra import workspace
from mutuals.infra.build import ALL_TABLES, q
from mutuals.infra.db import connect, load_sql
from mutuals.infra.readers import RawTable, SourceError, read_source
from mutuals.infra.validate import MAX_PROBLEMS, Problem, Report, catalog, validate, write_csvs
from mutuals.infra.workspace import Manifest

__all__ = ["Preview", "confirm", "current_frames", "data_date", "diff_frames", "preview_dataset", "preview_ocds",
           "preview_tables", "preview_text", "read_accepted"]

DIFF_COLUMNS = ["table", "added", "changed", "removed", "unchanged"]
MODES = ("append", "replace")
REVIEW_SHOWN = ["role", "name", "identifiers", "rows", "method", "candidate_id", "candidate_name", "score", "status",
                "match_key"]
ACTIVE = "the active dataset › {table}.csv"
# A merged table's rows by where they came from: (file, sheet, row numbers as the user sees them) per segment.
Segments = list[tuple[str, str | None, np.ndarray]]
_NONE = type("NoVersion", (), {"version": None})


@dataclass(frozen=True)
class Preview:
    """What an import would make, checked completely, before anything is written."""

    kind: str                         # "dataset" | "tables" | "ocds"
    report: Report                    # validation report (report.ok: can be confirmed)
    frames: dict[str, pd.DataFrame]   # the complete normalised dataset that would become the version (text)
    diff: pd.DataFrame                # table, added, changed, removed, unchanged (vs the active dataset)
    mutuals_affected: pd.DataFrame    # mutual_id, name, tables
    normalisations: tuple[str, ...]
    sources: tuple[Path, ...]
    review: pd.DataFrame | None = None     # OCDS: the matching review table (services.ocds.review)
    extracted: pd.DataFrame | None = None  # OCDS: extracted rows
    skipped: pd.DataFrame | None = None    # OCDS: releases and awards giving no row, with the reason
    excluded: pd.DataFrame | None = None   # OCDS: extracted rows not imported (contract_id, reason)
    base: str | None = None                # the version active when previewed (None: the bundled sample)
    seconds: dict[str, float] = field(default_factory=dict, compare=False)  # time per step

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def changes(self) -> int:  # rows added, changed or removed over all tables
        return int(self.diff[["added", "changed", "removed"]].to_numpy().sum()) if len(self.diff) else 0


# --- the contract ------------------------------------------------------------------------------------------

def columns(table: str) -> list[str]:  # the contract's, in order
    return [name for name, _, _ in catalog()[table][0]]


@lru_cache(maxsize=None)
def primary_key(table: str) -> tuple[str, ...] | None:
    return next((tuple(cols) for kind, _, cols, _, _ in catalog()[table][1] if kind == "PRIMARY KEY"), None)


def replace_column(table: str) -> str:
    """The column whose values an upload replaces: mutual_id, else the table's key (commissioner_id, key)."""
    return "mutual_id" if "mutual_id" in columns(table) else primary_key(table)[0]


def _empty(table: str) -> pd.DataFrame:  # a table with no rows
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns(table)})


def _complete(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every table, under the contract's columns in order, as text ("" for empty)."""
    return {t: _empty(t) if t not in frames else frames[t] if list(frames[t].columns) == columns(t) else
            frames[t].reindex(columns=columns(t), fill_value="").fillna("").astype(object) for t in ALL_TABLES}


# --- the active dataset ------------------------------------------------------------------------------------

def current_frames() -> dict[str, pd.DataFrame]:
    """The active dataset (the CSVs of ``settings.data_dir()``) as text frames, every table."""
    folder = settings.data_dir()
    frames = {t: pd.read_csv(folder / f"{t}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
              for t in ALL_TABLES if (folder / f"{t}.csv").is_file()}
    return _complete(frames)


def _active_version() -> str | None:
    return (workspace.active() or _NONE).version


def data_date(frames: dict[str, pd.DataFrame]) -> date | None:
    """The data date of text frames, by ``queries/data_date.sql`` (the latest recorded event)."""
    con = connect(":memory:", read_only=False)
    try:
        for table, frame in _complete(frames).items():
            con.register(table, frame.replace("", None).astype("string"))
        value = con.execute(load_sql("data_date")).fetchall()[0][0]
    finally:
        con.close()
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


# --- the diff ----------------------------------------------------------------------------------------------

def _stage_rows(con, name: str, frame: pd.DataFrame, cols: list[str], key) -> None:
    """``name``: each row of ``frame`` as its hash h, its key's hash k and its mutual_id m (DuckDB, in parallel)."""
    con.register(f"{name}_frame", frame)
    keyed = ", ".join(q(c) for c in key or cols)
    mutual = q("mutual_id") if "mutual_id" in cols else "CAST(NULL AS VARCHAR)"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT hash({', '.join(q(c) for c in cols)}) AS h, "  # identifiers only
                f"hash({keyed}) AS k, {mutual} AS m FROM {name}_frame")
    con.unregister(f"{name}_frame")


def diff_frames(old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows added/changed/removed/unchanged per table, the mutuals whose rows changed and in which tables).

    Rows are matched by primary key where the table has one (a changed row keeps its key), else as whole rows
    (``queries/import_diff_keyed.sql``, ``queries/import_diff_rows.sql``).
    """
    old, new = _complete(old), _complete(new)
    counts, touched = [], []
    con = connect(":memory:", read_only=False)
    try:
        for table in ALL_TABLES:
            cols, key = columns(table), primary_key(table)
            _stage_rows(con, "old_rows", old[table], cols, key)
            _stage_rows(con, "new_rows", new[table], cols, key)
            per = con.execute(load_sql("import_diff_keyed" if key else "import_diff_rows")).df()
            counts.append((table, *(int(per[c].sum()) for c in DIFF_COLUMNS[1:])))
            hit = per[per[["added", "changed", "removed", "replaced"]].sum(axis=1) > 0]["mutual_id"].dropna()
            touched.append(pd.DataFrame({"mutual_id": hit.to_numpy(dtype=object), "table": table}))
    finally:
        con.close()
    diff = pd.DataFrame(counts, columns=DIFF_COLUMNS)
    names = {m: n for f in (old["mutuals"], new["mutuals"]) for m, n in zip(f["mutual_id"], f["name"])}
    touched.append(pd.DataFrame({"mutual_id": pd.Series([], dtype=object), "table": ""}))
    affected = pd.concat(touched, ignore_index=True).groupby("mutual_id", sort=True)["table"].agg(", ".join)
    affected = affected.reset_index().rename(columns={"table": "tables"})
    affected.insert(1, "name", affected["mutual_id"].map(names).fillna(""))
    return diff, affected


# --- validation of the whole result ------------------------------------------------------------------------

def _locate(segments: Segments, row: int) -> tuple[str, str | None, int | None]:
    """Where the merged table's row ``row`` (2 = the first) came from."""
    i = row - 2
    for file, sheet, numbers in segments:
        if i < len(numbers):
            return file, sheet, (int(numbers[i]) if numbers[i] > 0 else None)
        i -= len(numbers)
    return "the resulting dataset", None, None


def _check_whole(frames: dict[str, pd.DataFrame], origins: dict[str, Segments]) -> Report:
    """Validate the complete merged dataset; each problem placed where its row came from."""
    raw = {}
    for table, frame in frames.items():
        data = frame.set_axis(range(frame.shape[1]), axis=1)
        raw[table] = RawTable("the resulting dataset", table, tuple(columns(table)), data,
                              list(range(2, len(frame) + 2)))
    report, _ = validate(raw)
    placed = Report(more=report.more, rows=report.rows)
    for p in report.problems:
        table = p.sheet or ""
        if p.row is None or table not in origins:
            placed.add(Problem(f"the resulting {table} table", None, None, p.column, p.value, p.expected))
            continue
        file, sheet, row = _locate(origins[table], p.row)
        first = re.search(r"already used on row (\d+)", p.expected)
        if first:
            at, at_sheet, at_row = _locate(origins[table], int(first[1]))
            where = at + (f" › {at_sheet}" if at_sheet else "") + (f" row {at_row}" if at_row else "")
            p = Problem(p.file, p.sheet, p.row, p.column, p.value, p.expected.replace(first[0], f"already used in {where}"))
        placed.add(Problem(file, sheet, row, p.column, p.value, p.expected))
    return placed


def _merge_problems(report: Report, extra: Report) -> None:
    """Add ``extra``'s problems not already reported at the same place."""
    seen = {(p.file, p.sheet, p.row, p.column) for p in report.problems}
    report.add(*(p for p in extra.problems if (p.file, p.sheet, p.row, p.column) not in seen))
    report.more += extra.more


def _prepend(report: Report, problems: list[Problem]) -> None:
    report.problems[:0] = problems
    report.more += max(len(report.problems) - MAX_PROBLEMS, 0)
    del report.problems[MAX_PROBLEMS:]


def _read(path: Path, max_bytes: int | None) -> tuple[dict[str, RawTable], list[Problem], frozenset]:
    """(tables, problems, tables not read) of ``path``, at most ``max_bytes`` (None: the upload limit)."""
    try:
        return read_source(path, max_bytes=max_bytes), [], frozenset()
    except SourceError as exc:
        return exc.tables, list(exc.problems), exc.unread


def _make(kind: str, report: Report, frames: dict[str, pd.DataFrame], current: dict[str, pd.DataFrame],
          sources, seconds: dict[str, float], base: str | None, **extra) -> Preview:
    started = time.perf_counter()
    frames = _complete(frames)
    diff, affected = diff_frames(current, frames)
    seconds["diff"] = time.perf_counter() - started
    return Preview(kind, report, frames, diff, affected, tuple(dict.fromkeys(report.normalisations)),
                   tuple(Path(s) for s in sources), base=base, seconds=seconds, **extra)


# --- the three kinds of import -----------------------------------------------------------------------------

def preview_dataset(path: Path, *, max_bytes: int | None = None) -> Preview:
    """A whole dataset (a folder or ZIP of CSVs, or an XLSX with a sheet per table), checked completely.

    ``max_bytes`` caps the files' size (default: the config's upload limit).
    """
    path, seconds = Path(path), {}
    started = time.perf_counter()
    base = _active_version()
    raw, problems, unread = _read(path, max_bytes)
    seconds["read"] = time.perf_counter() - started
    started = time.perf_counter()
    if problems and not raw:
        report, frames = Report(), {}
    else:
        report, frames = validate(raw, required=[t for t in ALL_TABLES if t not in unread])
    _prepend(report, problems)
    seconds["validate"] = time.perf_counter() - started
    return _make("dataset", report, frames, current_frames(), (path,), seconds, base)


def preview_tables(path: Path, *, mode: str = "append", tables: list[str] | None = None,
                   max_bytes: int | None = None) -> Preview:
    """Some tables into the active dataset: ``append`` adds rows; ``replace`` replaces the rows of the mutuals
    the new rows mention (by commissioner_id for commissioners, key for dataset_info). The result is validated
    as a complete dataset, foreign keys included."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    path, seconds = Path(path), {}
    started = time.perf_counter()
    base = _active_version()
    raw, problems, unread = _read(path, max_bytes)
    chosen = list(dict.fromkeys(tables)) if tables else [t for t in raw if t in ALL_TABLES]
    unknown = [t for t in chosen if t not in ALL_TABLES]
    chosen = [t for t in chosen if t in ALL_TABLES and t not in unread]
    seconds["read"] = time.perf_counter() - started
    started = time.perf_counter()
    report, new = validate({t: raw[t] for t in chosen if t in raw}, required=chosen)
    _prepend(report, problems + [Problem(path.name, None, None, None, t, f"a table of the data contract "
                                         f"({', '.join(ALL_TABLES)}); {t!r} is not one") for t in unknown])
    if not chosen and not report.problems:
        report.add(Problem(path.name, None, None, None, "", "a file or sheet named after a table of the data "
                           f"contract ({', '.join(ALL_TABLES)}); none found"))
    report.notes += [f"{raw[t].file}: {t} not chosen: ignored" for t in raw if t in ALL_TABLES and t not in chosen]
    current = current_frames()
    merged, origins = {}, {}
    for table in ALL_TABLES:
        base_rows = current[table]
        numbers = np.arange(2, len(base_rows) + 2)
        if table not in new:
            merged[table], origins[table] = base_rows, [(ACTIVE.format(table=table), None, numbers)]
            continue
        rows = new[table]
        if mode == "replace":
            column = replace_column(table)
            keep = ~base_rows[column].isin(set(rows[column])).to_numpy()
            base_rows, numbers = base_rows[keep], numbers[keep]
        merged[table] = pd.concat([base_rows, rows], ignore_index=True)
        origins[table] = [(ACTIVE.format(table=table), None, numbers),
                          (raw[table].file, raw[table].sheet, np.sort(np.asarray(raw[table].numbers, dtype=int)))]
    _merge_problems(report, _check_whole(merged, origins))
    seconds["validate"] = time.perf_counter() - started
    return _make("tables", report, merged, current, (path,), seconds, base)


def _text(value) -> str:
    """A contract-row value as CSV text (ISO dates, true/false, whole floats without .0)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (bool, np.bool_, date)):
        return value.isoformat() if isinstance(value, date) else str(bool(value)).lower()
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def preview_ocds(paths: list[Path], *, accepted: set[str] = frozenset(), as_of: date | None = None) -> Preview:
    """OCDS contracts appended (or updated, by contract_id) for identifier-linked or accepted matches only.

    ``as_of`` (active or expired) defaults to the active dataset's data date.
    """
    from mutuals.services import ocds

    paths, seconds = [Path(p) for p in paths], {}
    started = time.perf_counter()
    base = _active_version()
    loaded = ocds.load(paths)
    rows, skipped = ocds.extract(loaded.compiled)
    seconds["read"] = time.perf_counter() - started
    started = time.perf_counter()
    current = current_frames()
    matches = ocds.review(rows, current["mutuals"], current["commissioners"])
    kept, excluded = ocds.contract_rows_report(rows, matches, set(accepted), as_of=as_of or data_date(current))
    report = Report()
    for f in loaded.files:
        if f.kind == "not OCDS":
            report.add(Problem(f.file, None, None, None, "", "an OCDS release package, record package or release; "
                               + ("; ".join(f.problems) or "not OCDS")))
        else:
            report.notes += [f"{f.file}: {p}" for p in f.problems]
    if not loaded.files:
        report.add(Problem(", ".join(p.name for p in paths) or "(no file)", None, None, None, "",
                           "OCDS JSON files, folders of them or ZIPs; none found"))
    report.notes += list(loaded.problems)
    report.notes.append(f"{len(loaded.compiled)} compiled releases: {len(rows)} contract rows extracted, "
                        f"{len(skipped)} skipped; {len(kept)} to import, {len(excluded)} waiting for a match")
    text = kept.map(_text) if len(kept) else _empty("contracts")
    contracts = current["contracts"]
    keep = ~contracts["contract_id"].isin(set(text["contract_id"])).to_numpy()
    merged = {**current, "contracts": pd.concat([contracts[keep], text], ignore_index=True)}
    origins = {t: [(ACTIVE.format(table=t), None, np.arange(2, len(f) + 2))] for t, f in current.items()}
    origins["contracts"] = [(ACTIVE.format(table="contracts"), None, np.arange(2, len(contracts) + 2)[keep])]
    origins["contracts"] += [(f"OCDS contract {cid}", None, np.zeros(1, dtype=int)) for cid in text["contract_id"]]
    _merge_problems(report, _check_whole(merged, origins))
    seconds["validate"] = time.perf_counter() - started
    return _make("ocds", report, merged, current, paths, seconds, base, review=matches, extracted=rows,
                 skipped=skipped, excluded=excluded)


# --- confirming --------------------------------------------------------------------------------------------

def confirm(preview: Preview, *, message: str = "") -> Manifest:
    """Write the preview's dataset as a new version and activate it (all or nothing).

    ValueError when the preview has problems, or (for tables and OCDS, which build on the active dataset)
    when another version became active since the preview.
    """
    if not preview.ok:
        raise ValueError(f"the import has {preview.report.total:,} problem(s): nothing was changed")
    if preview.kind != "dataset" and _active_version() != preview.base:
        raise ValueError("the active dataset changed since this preview: preview the import again")
    return workspace.create_version(write=lambda folder: write_csvs(preview.frames, folder), checked=True,
                                    sources=list(preview.sources), normalisations=list(preview.normalisations),
                                    message=message)


# --- for the command line ----------------------------------------------------------------------------------

def read_accepted(path: Path) -> set[str]:
    """Accepted match keys, one per line (``role|party_key|candidate_id``); blank and ``#`` lines skipped."""
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")}


def _table(frame: pd.DataFrame) -> str:
    with pd.option_context("display.width", 250, "display.max_columns", None, "display.max_colwidth", 70,
                           "display.max_rows", None):
        return frame.to_string(index=False)



def preview_text(preview: Preview, *, listed: int = 20) -> str:
    """The preview for a terminal: problems (all of them), normalisations, notes, the diff, the mutuals affected."""
    report, lines = preview.report, []
    if report.problems:  # every problem: the report is capped at MAX_PROBLEMS already
        lines += [f"{report.total:,} problem(s); nothing can be imported until they are fixed:"]
        lines += [f"  {p}" for p in report.problems] + [f"  ... and {report.more:,} more"] * bool(report.more)
    lines += ["normalisations:"] + [f"  - {n}" for n in preview.normalisations] if preview.normalisations else []
    lines += ["notes:"] + [f"  - {n}" for n in report.notes] if report.notes else []
    if preview.review is not None and len(preview.review):
        lines += ["matches to review (put accepted match_key values in a file, one a line, for --accept):",
                  _table(preview.review[REVIEW_SHOWN].fillna(""))]
    lines += ["changes against the active dataset:", _table(preview.diff)]
    affected = preview.mutuals_affected
    lines.append(f"mutuals affected: {len(affected):,}")
    if len(affected):
        lines.append(_table(affected.head(listed)))
        lines += [f"  ... and {len(affected) - listed:,} more"] * (len(affected) > listed)
    return "\n".join(lines)
