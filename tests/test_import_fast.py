"""The import's fast paths (issue 12, ≤ 60 s for 13,000 mutuals) give what the careful paths give.

- A large CSV is read by DuckDB when its records are one line each; anything odd falls back to the csv
  module, which places each problem. Both readers agree on every file DuckDB takes.
- The build of a version loads the validator's own CSVs with DuckDB (``checked=True``); it makes the same
  tables as the row-by-row build, and refuses a file the validator did not write.
- The preview's diff runs in SQL (``queries/import_diff_*.sql``), checked here on hand-computed rows.
- The XLSX template filled with the bundled sample imports to the sample's indicators.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from mutuals.infra import readers
from mutuals.infra.build import ALL_TABLES, BuildError, build
from mutuals.infra.db import DATA_DIR, Database, connect, load_sql
from mutuals.infra.validate import validate, write_csvs
from mutuals.reports import templates
from mutuals.services import importer
from mutuals.services.indicators import compute_indicators
from tests.test_templates import assert_same_tables

BOM = b"\xef\xbb\xbf"
TAKEN = {  # DuckDB reads these; the careful reader must agree
    "plain": b"a,b,c\n1,2,3\n4,5,6\n",
    "bom and CRLF": BOM + b"a,b,c\r\n1,2,3\r\n4,5,6\r\n",
    "quoted comma and quote": b'a,b,c\n1,"x, y","say ""hi"""\n4,,6\n',
    "no final newline": b"a,b,c\n1,2,3\n4,5,6",
    "formula-like text and a pound sign": "a,b,c\n=SUM(A1),+1,£1,234.50\n@x,-2, spaced \n".replace(
        "£1,234.50", '"£1,234.50"').encode(),
    "an empty quoted value": b'a,b,c\n"",2,3\n',
}
REFUSED = {  # DuckDB's reader returns None; the careful reader places what is odd
    "line break in quotes": b'a,b,c\n1,"two\nlines",3\n',
    "blank line": b"a,b,c\n1,2,3\n\n4,5,6\n",
    "row of commas": b"a,b,c\n1,2,3\n,,\n",
    "windows-1252": "a,b,c\n1,£2,3\n".encode("cp1252"),
    "short row": b"a,b,c\n1,2\n4,5,6\n",
    "long row": b"a,b,c\n1,2,3,4\n",
    "lone CR": b"a,b,c\r1,2,3\r",
    "spaces-only row": b"a,b,c\n1,2,3\n   \n",
}


def careful(data: bytes) -> readers.RawTable:
    return readers.read_csv_bytes("t.csv", data)  # small: never DuckDB's


def fast(data: bytes, monkeypatch) -> readers.RawTable:
    monkeypatch.setattr(readers, "FAST_MIN_BYTES", 0)
    return readers.read_csv_bytes("t.csv", data)


def same(a: readers.RawTable, b: readers.RawTable) -> None:
    assert (a.file, a.sheet, a.header, a.numbers, a.header_number, a.notes, a.problems) == \
           (b.file, b.sheet, b.header, b.numbers, b.header_number, b.notes, b.problems)
    pd.testing.assert_frame_equal(a.data.reset_index(drop=True), b.data.reset_index(drop=True))


@pytest.mark.parametrize("name", TAKEN)
def test_duckdb_reads_a_one_line_per_record_csv_as_the_careful_reader_does(name, tmp_path, monkeypatch):
    data = TAKEN[name]
    assert readers._duckdb_csv("t.csv", data, None) is not None  # taken by DuckDB, from bytes
    (tmp_path / "t.csv").write_bytes(data)
    assert readers._duckdb_csv("t.csv", data, tmp_path / "t.csv") is not None  # and from the file itself
    same(fast(data, monkeypatch), careful(data))


@pytest.mark.parametrize("name", REFUSED)
def test_anything_odd_goes_to_the_careful_reader(name, monkeypatch):
    data = REFUSED[name]
    assert readers._duckdb_csv("t.csv", data, None) is None
    try:
        expected = careful(data)
    except readers.SourceError as exc:
        with pytest.raises(readers.SourceError) as caught:
            fast(data, monkeypatch)
        assert caught.value.problems == exc.problems
    else:
        same(fast(data, monkeypatch), expected)


def test_a_large_folder_is_read_by_duckdb_with_editor_line_numbers(tmp_path):
    rows = "".join(f"M{i:05d},2024-03-31,Title {i},staff,idea,{i}.50\n" for i in range(60_000))
    (tmp_path / "innovations.csv").write_text("mutual_id,innovation_date,title,origin,status,annual_saving\n"
                                              + rows, encoding="utf-8")
    assert (tmp_path / "innovations.csv").stat().st_size >= readers.FAST_MIN_BYTES
    raw = readers.read_source(tmp_path)["innovations"]
    assert raw.numbers[:2] == [2, 3] and raw.numbers[-1] == 60_001
    assert raw.data.iloc[-1].tolist() == ["M59999", "2024-03-31", "Title 59999", "staff", "idea", "59999.50"]


# --- the checked build -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def written(handmade_dir, tmp_path_factory):
    """The hand-made set through the validator and its writer, as an import writes a version's CSVs."""
    report, frames = validate(readers.read_source(handmade_dir))
    assert report.ok, report.text()
    return write_csvs(frames, tmp_path_factory.mktemp("written"))


def test_the_checked_build_makes_the_same_database_as_the_row_by_row_build(written, tmp_path):
    checked = build(written, tmp_path / "checked.duckdb", checked=True)
    careful_build = build(written, tmp_path / "careful.duckdb")
    assert checked.rows == careful_build.rows and checked.rows["innovations"] > 0
    assert_same_tables(checked.db_path, careful_build.db_path)
    con, ref = connect(checked.db_path), connect(careful_build.db_path)
    try:
        for table in ("indicator_panel", "survival_events"):
            sql = f"SELECT * FROM {table} ORDER BY ALL"  # identifiers only
            pd.testing.assert_frame_equal(con.execute(sql).df(), ref.execute(sql).df(), obj=table)
    finally:
        con.close(), ref.close()


NOT_WRITTEN = "a file the import validator wrote and checked"


@pytest.mark.parametrize("change, words", [
    (lambda text: text.replace("mutual_id,", "mutual,", 1), "expected the header"),
    (lambda text: text.replace("staff", "everyone", 1), NOT_WRITTEN),                # the schema's CHECK
    (lambda text: text.replace(",2025-06-30,", ",30/06/2025,", 1), NOT_WRITTEN),     # a strict cast
])
def test_the_checked_build_refuses_a_file_the_validator_did_not_write(written, tmp_path, change, words):
    folder = tmp_path / "csv"
    folder.mkdir()
    for table in ALL_TABLES:
        text = (written / f"{table}.csv").read_text(encoding="utf-8")
        (folder / f"{table}.csv").write_text(change(text) if table == "innovations" else text, encoding="utf-8")
    assert (folder / "innovations.csv").read_text() != (written / "innovations.csv").read_text()
    with pytest.raises(BuildError, match=words) as caught:
        build(folder, tmp_path / "m.duckdb", checked=True)
    assert caught.value.file.name == "innovations.csv"
    assert not (tmp_path / "m.duckdb").exists() and list(tmp_path.glob(".m.duckdb*")) == []


# --- the diff in SQL ---------------------------------------------------------------------------------------

def diff_sql(name: str, old: list[tuple], new: list[tuple]) -> list[tuple]:
    con = connect(":memory:", read_only=False)
    try:
        for table, rows in (("old_rows", old), ("new_rows", new)):
            con.execute(f"CREATE TABLE {table} (h UBIGINT, k UBIGINT, m VARCHAR)")  # identifiers only
            if rows:
                con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", rows)  # identifiers only
        return con.execute(load_sql(name)).fetchall()
    finally:
        con.close()


def test_keyed_diff_counts_added_changed_removed_unchanged_and_replaced_per_mutual():
    old = [(1, 10, "A"), (2, 20, "A"), (3, 30, "B"), (4, 40, "C")]
    # key 10 the same; key 20 changed (hash 2 → 5); key 30 changed and now D's; key 40 gone; key 50 new, twice
    new = [(1, 10, "A"), (5, 20, "A"), (6, 30, "D"), (7, 50, "E"), (8, 50, "E")]
    assert diff_sql("import_diff_keyed", old, new) == [
        # mutual, added, changed, removed, unchanged, replaced (old rows a change replaces, by their mutual)
        ("A", 0, 1, 0, 1, 1),
        ("B", 0, 0, 0, 0, 1),
        ("C", 0, 0, 1, 0, 0),
        ("D", 0, 1, 0, 0, 0),
        ("E", 2, 0, 0, 0, 0),  # the repeated key counts as added after its first row
    ]


def test_row_diff_compares_whole_rows_as_a_multiset():
    old = [(1, 0, "A"), (1, 0, "A"), (2, 0, "B"), (3, 0, "C"), (9, 0, None)]
    new = [(1, 0, "A"), (2, 0, "B"), (2, 0, "B"), (4, 0, "D")]
    assert diff_sql("import_diff_rows", old, new) == [
        (None, 0, 0, 1, 0, 0),  # a row of a table without mutual_id, removed
        ("A", 0, 0, 1, 1, 0),   # one of two copies removed
        ("B", 1, 0, 0, 1, 0),   # a second copy added
        ("C", 0, 0, 1, 0, 0),
        ("D", 1, 0, 0, 0, 0),
    ]


def test_diff_frames_sums_the_sql_per_table_and_lists_the_mutuals_affected(handmade_dir):
    old = importer._complete({t: pd.read_csv(handmade_dir / f"{t}.csv", dtype=str, keep_default_na=False)
                              for t in ALL_TABLES})
    new = {t: f.copy() for t, f in old.items()}
    first = new["financials"].index[0]
    new["financials"].loc[first, "expenditure"] = "123456"      # a keyed row changed
    new["innovations"] = new["innovations"].iloc[1:]               # a whole row removed
    diff, affected = importer.diff_frames(old, new)
    by_table = diff.set_index("table")
    assert by_table.loc["financials"].tolist() == [0, 1, 0, len(old["financials"]) - 1]
    assert by_table.loc["innovations"].tolist() == [0, 0, 1, len(old["innovations"]) - 1]
    assert by_table.drop(["financials", "innovations"])[["added", "changed", "removed"]].to_numpy().sum() == 0
    expected = sorted({old["financials"].loc[first, "mutual_id"], old["innovations"]["mutual_id"].iloc[0]})
    assert affected["mutual_id"].tolist() == expected


# --- the acceptance round trip -----------------------------------------------------------------------------

def test_the_xlsx_template_filled_with_the_sample_imports_to_the_samples_indicators(tmp_path, monkeypatch):
    monkeypatch.setenv("MUTUALS_HOME", str(tmp_path / "home"))
    for name in ("MUTUALS_DATA_DIR", "MUTUALS_DB"):
        monkeypatch.delenv(name, raising=False)
    book = tmp_path / "sample.xlsx"
    book.write_bytes(templates.xlsx_template(templates.sample_rows(DATA_DIR)))
    preview = importer.preview_dataset(book)
    assert preview.ok, preview.report.text()
    manifest = importer.confirm(preview, message="round trip")
    assert manifest.rows["mutuals"] == 130 and manifest.synthetic
    sample = build(DATA_DIR, tmp_path / "sample.duckdb").db_path
    imported = manifest.folder / next(p.name for p in manifest.folder.glob("mutuals-*.duckdb"))
    assert_same_tables(imported, sample)
    with Database(imported) as db, Database(sample) as reference:
        for as_of in (None, date(2024, 3, 31)):
            pd.testing.assert_frame_equal(compute_indicators(db, as_of), compute_indicators(reference, as_of))


def test_a_version_is_made_from_a_folder_or_written_in_place_not_both(tmp_path, monkeypatch, handmade_dir):
    from mutuals.infra import workspace

    monkeypatch.setenv("MUTUALS_HOME", str(tmp_path / "home"))
    for given in ({}, {"csv_dir": handmade_dir, "write": lambda folder: None}):
        with pytest.raises(ValueError, match="not both"):
            workspace.create_version(sources=[], normalisations=[], **given)
    written = []
    manifest = workspace.create_version(sources=[], normalisations=[], write=lambda folder: written.append(
        [(folder / p.name).write_bytes(p.read_bytes()) for p in handmade_dir.glob("*.csv")]))
    assert written and manifest.rows["mutuals"] == 6 and workspace.active().version == manifest.version
    assert [p.name for p in (tmp_path / "home").iterdir() if p.name.startswith(".tmp-")] == []
