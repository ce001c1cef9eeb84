"""The build rejects whatever the app cannot serve (issue 8, part 3).

Every value that the build once accepted silently is in the corpus below. Each is rejected with a message
naming the file, row, physical line and column and what was expected, and the database in force is left
byte-identical. The handmade CSVs are written by ``csv.DictWriter``: line 1 is the header, row N is line N + 1.
"""

from __future__ import annotations

import copy

import duckdb
import pytest

from mutuals.infra import versions
from mutuals.infra.build import BuildError, build
from mutuals.infra.contract import load_limits
from tests.fixtures import handmade

BIG = "A" * 10_000_000


def tables_with(table: str, index: int, **changes) -> dict:
    tables = copy.deepcopy(handmade.TABLES)
    tables[table][index].update(changes)
    return tables


@pytest.fixture()
def good_db(tmp_path):
    """A database built from the good CSVs, and its bytes."""
    path = tmp_path / "m.duckdb"
    build(handmade.write_csvs(tmp_path / "good", handmade.TABLES), path)
    return path, path.read_bytes()


def rejected(tmp_path, good_db, folder) -> BuildError:
    """The error building ``folder`` over the good database, which must be left byte-identical."""
    path, before = good_db
    with pytest.raises(BuildError) as info:
        build(folder, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == []  # no temp file left
    return info.value


# table, row index, changes, column, words expected in the message
VALUES = [
    # numbers: finite plain decimals only
    ("financials", 1, {"expenditure": "NaN"}, "expenditure", "expected a number written with digits"),
    ("financials", 1, {"expenditure": "inf"}, "expenditure", "expected a number written with digits"),
    ("financials", 1, {"expenditure": "-Infinity"}, "expenditure", "expected a number written with digits"),
    ("financials", 1, {"expenditure": "1e400"}, "expenditure", "expected a number written with digits"),
    ("financials", 1, {"expenditure": "9" * 400}, "expenditure", "expected a number of at most 308 digits"),
    ("financials", 1, {"expenditure": "4_338_362"}, "expenditure", "got '4_338_362'"),
    ("financials", 1, {"expenditure": "0xA3"}, "expenditure", "got '0xA3'"),
    ("financials", 1, {"expenditure": "4,338,362"}, "expenditure", "got '4,338,362'"),
    ("contracts", 2, {"annual_value": "£5000"}, "annual_value", "expected a number written with digits"),
    # whole numbers: no fractions, no overflow
    ("engagement", 2, {"respondents": "10.5"}, "respondents", "expected a whole number, got '10.5'"),
    ("engagement", 2, {"eligible_staff": "10.5"}, "eligible_staff", "expected a whole number, got '10.5'"),
    ("engagement", 2, {"respondents": "11.0"}, "respondents", "expected a whole number, got '11.0'"),
    ("mutuals", 1, {"staff_count": "9999999999"}, "staff_count", "fits a INTEGER column"),
    ("mutuals", 1, {"staff_count": "1e3"}, "staff_count", "expected a whole number"),
    # booleans: true/false only (case-insensitive; the friendlier forms come with the import issue)
    ("contracts", 1, {"is_spin_out_contract": "yes"}, "is_spin_out_contract", "expected true or false, got 'yes'"),
    ("contracts", 1, {"is_spin_out_contract": "Y"}, "is_spin_out_contract", "expected true or false, got 'Y'"),
    ("contracts", 1, {"is_spin_out_contract": "1"}, "is_spin_out_contract", "expected true or false"),
    # dates: YYYY-MM-DD between 1900-01-01 and 2100-12-31
    ("mutuals", 2, {"spin_out_date": "2016/03/31"}, "spin_out_date", "expected a date (YYYY-MM-DD)"),
    ("contracts", 3, {"start_date": "2012-02-21 23:59"}, "start_date", "got '2012-02-21 23:59'"),
    ("contracts", 3, {"start_date": "2012-02-21T23:59:00"}, "start_date", "expected a date (YYYY-MM-DD)"),
    ("financials", 2, {"year_end": "99999-03-31"}, "year_end", "expected a date (YYYY-MM-DD)"),
    ("strategy_sessions", 1, {"session_date": "infinity"}, "session_date", "got 'infinity'"),
    ("strategy_sessions", 1, {"session_date": "-infinity"}, "session_date", "expected a date (YYYY-MM-DD)"),
    ("strategy_sessions", 1, {"session_date": "0044-03-15 (BC)"}, "session_date", "YYYY-MM-DD"),
    ("strategy_sessions", 1, {"session_date": "1899-12-31"}, "session_date",
     "expected a calendar date between 1900-01-01 and 2100-12-31, got '1899-12-31'"),
    ("strategy_sessions", 1, {"session_date": "2101-01-01"}, "session_date", "between 1900-01-01 and 2100-12-31"),
    ("strategy_sessions", 1, {"session_date": "2026-02-30"}, "session_date", "expected a calendar date"),
    # text caps: 1,000 characters for names and titles, 10,000 for other text
    ("mutuals", 3, {"name": "N" * 1001}, "name", "expected at most 1,000 characters in a name or title, got 1,001"),
    ("contracts", 0, {"title": "T" * 1001}, "title", "at most 1,000 characters in a name or title"),
    ("contracts", 0, {"service_area": "S" * 10_001}, "service_area", "expected at most 10,000 characters in a value"),
    ("mutuals", 3, {"name": BIG}, "name", "got 10,000,000 (starting 'AAAA"),
]


@pytest.mark.parametrize("table, index, changes, column, words", VALUES,
                         ids=[f"{t}-{c}-{list(ch.values())[0][:16]}" for t, _, ch, c, _ in VALUES])
def test_a_bad_value_is_rejected_with_file_row_line_and_column(tmp_path, good_db, table, index, changes, column, words):
    folder = handmade.write_csvs(tmp_path / "bad", tables_with(table, index, **changes))
    error = rejected(tmp_path, good_db, folder)
    assert (error.file.name, error.row, error.line, error.column) == (f"{table}.csv", index + 1, index + 2, column)
    message = str(error)
    assert f"{table}.csv, row {index + 1} (line {index + 2}), column '{column}': " in message
    assert words in message
    assert len(message) < 600  # a 10 MB value is quoted in part, never whole


def test_the_limits_come_from_the_contract_config():
    limits = load_limits()
    assert (limits.name_max_chars, limits.text_max_chars) == (1000, 10000)
    assert str(limits.earliest_date) == "1900-01-01" and str(limits.latest_date) == "2100-12-31"
    assert limits.max_chars("title") == 1000 and limits.max_chars("service_area") == 10000


def test_true_and_false_are_case_insensitive(tmp_path):
    tables = tables_with("contracts", 0, is_spin_out_contract="TRUE")
    tables["contracts"][1]["is_spin_out_contract"] = "False"
    db = tmp_path / "m.duckdb"
    build(handmade.write_csvs(tmp_path / "csv", tables), db)
    with duckdb.connect(str(db), read_only=True) as con:
        flags = con.execute("SELECT contract_id, is_spin_out_contract FROM contracts ORDER BY contract_id "
                            "LIMIT 2").fetchall()
    assert flags == [("K1", True), ("K2", False)]


def write_bytes(tmp_path, table: str, edit) -> object:
    """The good CSVs with ``table``'s bytes passed through ``edit``."""
    folder = handmade.write_csvs(tmp_path / "bad", handmade.TABLES)
    path = folder / f"{table}.csv"
    path.write_bytes(edit(path.read_bytes()))
    return folder


def test_a_nul_byte_is_rejected(tmp_path, good_db):
    folder = write_bytes(tmp_path, "mutuals", lambda b: b.replace(b"Beta Leisure", b"Beta\x00Leisure"))
    error = rejected(tmp_path, good_db, folder)
    assert (error.line, error.column) == (3, "name")
    assert "mutuals.csv, line 3, column 'name': a NUL byte (0x00)" in str(error) and "save the file as UTF-8" in str(error)


def test_a_windows_1252_pound_sign_names_line_column_and_byte(tmp_path, good_db):
    folder = write_bytes(tmp_path, "contracts", lambda b: b.replace(b"Community health services",
                                                                    "Community health £ services".encode("cp1252")))
    error = rejected(tmp_path, good_db, folder)
    assert (error.file.name, error.line, error.column) == ("contracts.csv", 2, "title")
    assert "byte 0xA3" in str(error) and "is not UTF-8" in str(error) and "save the file as UTF-8" in str(error)


def test_utf16_is_rejected_with_the_hint(tmp_path, good_db):
    folder = write_bytes(tmp_path, "commissioners", lambda b: b.decode("utf-8").encode("utf-16"))
    error = rejected(tmp_path, good_db, folder)
    assert "commissioners.csv, line 1" in str(error) and "UTF-16" in str(error) and "UTF-8" in str(error)


def test_line_numbers_stay_right_after_blank_lines_and_quoted_newlines(tmp_path, good_db):
    """A blank line after the header and a title over three lines: contract K4 (row 4) starts on line 8."""
    tables = tables_with("contracts", 3, annual_value="lots")
    tables["contracts"][1]["title"] = "Leisure\nand\nsport"
    folder = handmade.write_csvs(tmp_path / "bad", tables)
    path = folder / "contracts.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r\n\r\n", 1))
    error = rejected(tmp_path, good_db, folder)
    assert (error.row, error.line, error.column) == (4, 8, "annual_value")
    assert "contracts.csv, row 4 (line 8), column 'annual_value': expected a number" in str(error)


def test_a_duplicated_column_is_rejected(tmp_path, good_db):
    folder = write_bytes(tmp_path, "financials", lambda b: b.replace(b"year_end,", b"year_end,year_end,", 1))
    error = rejected(tmp_path, good_db, folder)
    assert (error.line, error.column) == (1, "year_end")
    assert "the header names this column twice (columns 2 and 3)" in str(error)


def test_an_extra_column_is_reported_and_not_loaded(tmp_path):
    tables = copy.deepcopy(handmade.TABLES)
    for row in tables["mutuals"]:
        row["society_number"] = "RS001234"
    tables["mutuals"][0]["staff_count"] = " 200 "  # spaces round a value are trimmed
    report = build(handmade.write_csvs(tmp_path / "csv", tables), tmp_path / "m.duckdb")
    assert report.notes == ("mutuals.csv: column 'society_number' is not in the data contract and was not loaded",)
    with duckdb.connect(str(report.db_path), read_only=True) as con:
        columns = [r[0] for r in con.execute("DESCRIBE mutuals").fetchall()]
        assert "society_number" not in columns
        assert con.execute("SELECT staff_count FROM mutuals WHERE mutual_id = 'M1'").fetchall() == [(200,)]


def test_the_bundled_sample_has_no_column_outside_the_contract():
    from mutuals.infra.db import DATA_DIR

    assert build(DATA_DIR, DATA_DIR.parent / "artifacts" / "contract-check.duckdb").notes == ()
    (DATA_DIR.parent / "artifacts" / "contract-check.duckdb").unlink()


def test_short_long_and_cut_off_rows(tmp_path, good_db):
    folder = write_bytes(tmp_path, "contracts", lambda b: b.replace(b",renewed\r\n", b"\r\n", 1))
    short = rejected(tmp_path, good_db, folder)
    assert short.line == short.row + 1 and short.column == "outcome"
    assert "expected 11 values (one per header column), got 10" in str(short)

    folder = write_bytes(tmp_path, "contracts", lambda b: b.replace(b",renewed\r\n", b",renewed,extra\r\n", 1))
    assert "expected 11 values (one per header column), got 12" in str(rejected(tmp_path, good_db, folder))

    # the 80528.73 became 8: a file cut off in its last value (no line break at its end)
    folder = write_bytes(tmp_path, "plan_targets", lambda b: b.rstrip(b"\r\n")[:-3])
    cut = rejected(tmp_path, good_db, folder)
    rows = len(handmade.TABLES["plan_targets"])
    assert (cut.row, cut.line, cut.column) == (rows, rows + 1, "planned_non_parent_income")
    assert "may have been cut short" in str(cut)


def test_broken_quoting_names_the_line(tmp_path, good_db):
    folder = write_bytes(tmp_path, "commissioners", lambda b: b.replace(b"Southmere ICB", b'"Southmere" ICB'))
    error = rejected(tmp_path, good_db, folder)
    assert error.line == 3 and "quoting is broken" in str(error)
    folder = write_bytes(tmp_path, "commissioners", lambda b: b.replace(b"Southmere ICB", b'"Southmere ICB'))
    assert "quoting is broken" in str(rejected(tmp_path, good_db, folder))


def test_header_only_and_missing_tables(tmp_path, good_db):
    header = b"contract_id,mutual_id,commissioner_id,title,service_area,start_date,end_date,max_end_date," \
             b"annual_value,is_spin_out_contract,outcome\r\n"
    folder = write_bytes(tmp_path, "contracts", lambda b: header)
    error = rejected(tmp_path, good_db, folder)
    assert "contracts.csv, line 2: the file has a header but no rows" in str(error)

    folder = handmade.write_csvs(tmp_path / "bad", handmade.TABLES)
    (folder / "dataset_info.csv").unlink()
    assert "dataset_info.csv: file not found" in str(rejected(tmp_path, good_db, folder))

    folder = handmade.write_csvs(tmp_path / "bad", {**handmade.TABLES, "dataset_info": [{"key": "seed", "value": "1"}]})
    assert "expected a row with key 'synthetic'" in str(rejected(tmp_path, good_db, folder))
    info = [{"key": "synthetic", "value": "maybe"}]
    folder = handmade.write_csvs(tmp_path / "bad", {**handmade.TABLES, "dataset_info": info})
    error = rejected(tmp_path, good_db, folder)
    assert (error.row, error.line, error.column) == (1, 2, "value") and "expected true or false" in str(error)


def test_a_table_the_contract_allows_empty_may_hold_a_header_only(tmp_path):
    assert "innovations" in load_limits().may_be_empty
    report = build(handmade.write_csvs(tmp_path / "csv", {**handmade.TABLES, "innovations": []}), tmp_path / "m.duckdb")
    assert report.rows["innovations"] == 0


def test_the_version_in_force_is_kept_byte_identical(tmp_path):
    """Through the app's publishing: a rejected CSV leaves the version in force and its bytes as they were."""
    folder = handmade.write_csvs(tmp_path / "csv", handmade.TABLES)
    db_path = tmp_path / "db" / "mutuals.duckdb"
    first = versions.publish(folder, db_path)
    before = first.path.read_bytes()
    handmade.write_csvs(folder, {"financials": tables_with("financials", 0, year_end="99999-03-31")["financials"]})
    again = versions.publish(folder, db_path)
    assert again.path == first.path and again.path.read_bytes() == before
    assert "financials.csv, row 1 (line 2), column 'year_end'" in again.problem
