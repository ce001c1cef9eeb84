"""Building the database: bad CSVs fail clearly, all or nothing; the schema rejects bad rows."""

from __future__ import annotations

import copy
from datetime import date

import duckdb
import pytest

from mutuals.infra.build import BuildError, build
from mutuals.infra.db import Database, connect, load_sql
from mutuals.services.indicators import indicator_params
from tests.fixtures import handmade


def tables_with(table: str, index: int, **changes) -> dict:
    tables = copy.deepcopy(handmade.TABLES)
    tables[table][index].update(changes)
    return tables


def build_error(tmp_path, tables) -> BuildError:
    folder = handmade.write_csvs(tmp_path / "csv", tables)
    with pytest.raises(BuildError) as info:
        build(folder, tmp_path / "m.duckdb")
    return info.value


@pytest.mark.parametrize("table, index, changes, column, expected", [
    ("mutuals", 1, {"spin_out_date": "01/04/2014"}, "spin_out_date", "expected a date (YYYY-MM-DD), got '01/04/2014'"),
    ("mutuals", 2, {"staff_count": "lots"}, "staff_count", "expected a whole number, got 'lots'"),
    ("financials", 3, {"expenditure": "-5"}, "expenditure", "expected (expenditure >= 0)"),
    ("mutuals", 0, {"sector": "Space"}, "sector", "expected (sector IN"),
    ("mutuals", 0, {"name": ""}, "name", "expected a value, got an empty cell"),
    ("contracts", 4, {"end_date": "2013-01-01"}, "end_date", "expected (end_date >= start_date)"),
    ("contracts", 5, {"mutual_id": "M99"}, "mutual_id", "'M99' is not a mutual_id in mutuals.csv"),
    ("contracts", 2, {"contract_id": "K1"}, "contract_id", "duplicate key (contract_id) already used on row 1"),
    ("engagement", 1, {"respondents": "51"}, "respondents", "expected (respondents <= eligible_staff)"),
    ("engagement", 0, {"motivation": "11"}, "motivation", "expected (motivation BETWEEN 0 AND 10), got motivation='11.0'"),
    ("relationship_reviews", 2, {"rating": "6"}, "rating", "expected (rating BETWEEN 1 AND 5), got rating='6'"),
    ("contracts", 0, {"is_spin_out_contract": "maybe"}, "is_spin_out_contract", "expected true or false"),
])
def test_bad_value_names_file_row_and_column(tmp_path, table, index, changes, column, expected):
    error = build_error(tmp_path, tables_with(table, index, **changes))
    assert error.file.name == f"{table}.csv"
    assert error.row == index + 1 and error.column == column
    message = str(error)
    assert f"{table}.csv, row {index + 1} (line {index + 2}), column '{column}'" in message
    assert expected in message


def test_missing_column_and_missing_file(tmp_path):
    tables = copy.deepcopy(handmade.TABLES)
    for r in tables["financials"]:
        del r["expenditure"]
    error = build_error(tmp_path / "a", tables)
    assert error.file.name == "financials.csv" and error.column == "expenditure"
    assert "missing column(s) expenditure" in str(error)

    folder = handmade.write_csvs(tmp_path / "b", handmade.TABLES)
    (folder / "innovations.csv").unlink()
    with pytest.raises(BuildError, match="innovations.csv: file not found"):
        build(folder, tmp_path / "b.duckdb")


def test_empty_and_garbled_files(tmp_path):
    folder = handmade.write_csvs(tmp_path / "csv", handmade.TABLES)
    (folder / "contracts.csv").write_text("")
    with pytest.raises(BuildError, match="contracts.csv: the file is empty"):
        build(folder, tmp_path / "m.duckdb")
    (folder / "contracts.csv").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(BuildError, match="contracts.csv"):
        build(folder, tmp_path / "m.duckdb")


def test_failed_build_leaves_existing_database_untouched(tmp_path):
    good = handmade.write_csvs(tmp_path / "good", handmade.TABLES)
    db_path = tmp_path / "m.duckdb"
    build(good, db_path)
    before = db_path.read_bytes()
    bad = handmade.write_csvs(tmp_path / "bad", tables_with("engagement", 8, survey_date="someday"))
    with pytest.raises(BuildError, match="engagement.csv, row 9"):
        build(bad, db_path)
    assert db_path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "good", "m.duckdb"]  # no temp files left
    with Database(db_path) as db:
        assert len(db.query("indicators", **indicator_params(date(2026, 6, 30)))) == 5


@pytest.mark.parametrize("statement", [
    "INSERT INTO commissioners VALUES ('C9', 'X', 'charity', 'London')",
    "INSERT INTO mutuals (mutual_id, name, sector, legal_form, ownership_model, region, spin_out_date, staff_count, "
    "member_share, status) VALUES ('M9', 'X', 'Housing', 'CIC', 'employee-led', 'London', '2020-01-01', 5, 1.5, 'trading')",
    "INSERT INTO mutuals (mutual_id, name, sector, legal_form, ownership_model, region, spin_out_date, staff_count, "
    "status) VALUES ('M9', 'X', 'Housing', 'CIC', 'employee-led', 'London', '2020-01-01', 5, 'ceased')",
    "INSERT INTO contracts VALUES ('K9', 'M1', 'C1', 't', 's', '2020-01-01', '2019-01-01', NULL, 5, false, 'active')",
    "INSERT INTO contracts VALUES ('K9', 'M1', 'C1', 't', 's', '2020-01-01', '2021-01-01', NULL, -5, false, 'active')",
    "INSERT INTO contracts VALUES ('K9', 'M1', 'C1', 't', 's', '2020-01-01', '2021-01-01', NULL, 5, false, 'won')",
    "INSERT INTO contracts VALUES ('K9', 'M404', 'C1', 't', 's', '2020-01-01', '2021-01-01', NULL, 5, false, 'active')",
    "INSERT INTO engagement VALUES ('M1', '2020-01-01', 'spun_out', 'A', 10, 5, 10.5, 5, 5)",
    "INSERT INTO engagement VALUES ('M1', '2020-01-01', 'spun_out', 'A', 10, 12, 5, 5, 5)",
    "INSERT INTO relationship_reviews VALUES ('M1', 'C1', '2020-01-01', 'annual', 0)",
    "INSERT INTO innovations VALUES ('M1', '2020-01-01', 't', 'staff', 'done', 5)",
    "INSERT INTO financials VALUES ('M1', '2026-03-31', 1, 1, 1, 1, 1, 1, 1, 1)",  # duplicate key
])
def test_schema_constraints_reject_bad_rows(statement):
    con = duckdb.connect()
    con.execute(load_sql("schema"))
    con.execute("INSERT INTO commissioners VALUES ('C1', 'Council', 'local_authority', 'London')")
    con.execute("INSERT INTO mutuals (mutual_id, name, sector, legal_form, ownership_model, region, "
                "parent_commissioner_id, spin_out_date, staff_count, status) VALUES "
                "('M1', 'Mutual', 'Housing', 'CIC', 'employee-led', 'London', 'C1', '2015-01-01', 10, 'trading')")
    con.execute("INSERT INTO financials VALUES ('M1', '2026-03-31', 1, 1, 1, 1, 1, 1, 1, 1)")
    with pytest.raises(duckdb.ConstraintException):
        con.execute(statement)


def test_connections_are_read_only_with_no_extension_autoload(handmade_db_path):
    con = connect(handmade_db_path)
    try:
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE x (a INT)")
        settings = dict(con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name LIKE 'auto%_known_extensions'").fetchall())
        assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    finally:
        con.close()
