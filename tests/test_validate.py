"""Issue 12, part 3: validation reports every problem at once, and friendly forms are normalised and reported.

The corpus (tests/corpus, written by tests/corpus/make_corpus.py) holds one fault per case on the hand-made
data set. Every bad case is reported with its file, row, column and expectation; every good case (a
normalisation) imports, its normalisation listed, and the normalised tables build with the real build.
Rows are as the user sees them: the line in a text editor (header = line 1) or the Excel row.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

import mutuals.infra.build as build_module
from mutuals.infra import readers
from mutuals.infra.readers import read_csv_bytes
from mutuals.infra.validate import MAX_PROBLEMS, Problem, validate, validate_source, write_csvs
from tests.corpus import make_corpus
from tests.corpus.make_corpus import CASES, HERE, csv_text, rows
from tests.fixtures import handmade

BAD = [c for c in CASES if not c.good]
GOOD = [c for c in CASES if c.good]


@pytest.fixture(scope="module")
def good_csvs(tmp_path_factory):
    return {p.name: p.read_bytes() for p in handmade.write_csvs(tmp_path_factory.mktemp("good")).iterdir()}


def source(case, tmp_path, good_csvs):
    """The case as an upload: its folder's files over the good set, or the whole ZIP/XLSX."""
    path = HERE / case.name
    if not path.is_dir():
        return path
    folder = tmp_path / "upload"
    folder.mkdir()
    for name, data in good_csvs.items():
        (folder / name).write_bytes(data)
    for replacement in path.iterdir():
        shutil.copyfile(replacement, folder / replacement.name)
    return folder


def test_the_corpus_has_at_least_20_bad_files_and_every_normalisation():
    assert len(BAD) >= 20
    faults = " ".join(c.name for c in CASES)
    for needed in ("missing_column", "extra_column", "duplicate_key", "unknown_foreign_key", "out_of_range",
                   "date_before_start", "empty_table", "bad_type", "truncated.zip", "truncated.xlsx", "zero_byte",
                   "wrong_type", "huge_cell", "ambiguous_date", "formula.xlsx", "windows_1252", "bom", "uk_dates",
                   "money", "yes_no", "whitespace"):
        assert needed in faults


@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_a_bad_file_is_reported_with_file_row_column_and_expectation(case, tmp_path, good_csvs):
    report, _ = validate_source(source(case, tmp_path, good_csvs))
    assert not report.ok
    found = [p for p in report.problems if case.fragment in p.expected]
    assert found, report.text()
    if case.where is not None:  # checked by hand: see tests/corpus/README.md
        assert (found[0].file, found[0].sheet, found[0].row, found[0].column) == case.where
    if case.problems is not None:
        assert report.total == case.problems, report.text()
    assert all(p.file and p.expected for p in report.problems)
    frame = report.to_frame()
    assert list(frame.columns) == ["file", "sheet", "row", "column", "value", "expected"]
    assert case.fragment in " ".join(frame["expected"])


@pytest.fixture(scope="module")
def friendly(tmp_path_factory, good_csvs):
    """Each good case validated once: name -> (report, normalised frames)."""
    found = {}

    def get(name):
        if name not in found:
            found[name] = validate_source(source(make_corpus_case(name), tmp_path_factory.mktemp("case"), good_csvs))
            assert found[name][0].ok, found[name][0].text()
        return found[name]
    return get


@pytest.mark.parametrize("case", GOOD, ids=[c.name for c in GOOD])
def test_a_friendly_file_imports_with_its_normalisation_reported_and_builds(case, tmp_path, friendly, monkeypatch):
    report, frames = friendly(case.name)
    assert case.fragment in "\n".join(report.normalisations + report.notes)
    # The real build, less the derived indicator panel (computed from the tables once loaded; 1-2 s a build).
    monkeypatch.setattr(build_module, "write_derived", lambda con, rules: {})
    built = build_module.build(write_csvs(frames, tmp_path / "normalised"), tmp_path / "m.duckdb")
    assert {t: built.rows[t] for t in report.rows} == report.rows
    if case.name == "formula_injection":  # text beginning = - @ + is stored as text, verbatim
        with duckdb.connect(str(built.db_path), read_only=True) as con:
            titles = [t for (t,) in con.execute("SELECT title FROM innovations ORDER BY innovation_date").fetchall()]
        assert titles[:4] == ['=HYPERLINK("http://example.com","Digital rota")', "-5% sickness clinic",
                              "@therapy group", "+1 shared office"]


def test_three_faults_in_one_file_are_three_problems(tmp_path, good_csvs):
    report, _ = validate_source(source(make_corpus_case("three_faults"), tmp_path, good_csvs))
    assert [(p.file, p.row, p.column) for p in report.problems] == [
        ("mutuals.csv", 2, "staff_count"), ("mutuals.csv", 4, "spin_out_date"), ("mutuals.csv", 6, "sector")]
    assert report.problems[1].expected == "a calendar date between 1900-01-01 and 2100-12-31"
    assert report.problems[1].value == "2013-13-45"


def make_corpus_case(name):
    return next(c for c in CASES if c.name == name)


def test_faults_in_several_files_are_all_reported_in_table_order(tmp_path, good_csvs):
    folder = source(make_corpus_case("three_faults"), tmp_path, good_csvs)
    (folder / "contracts.csv").write_bytes(csv_text(rows("contracts", 1, mutual_id="M9", end_date="2001-01-01"))
                                           .encode())
    (folder / "engagement.csv").write_bytes(b"")
    report, _ = validate_source(folder)
    assert [(p.file, p.row, p.column) for p in report.problems] == [  # the unreadable file, then the rest
        ("engagement.csv", None, None), ("mutuals.csv", 2, "staff_count"), ("mutuals.csv", 4, "spin_out_date"),
        ("mutuals.csv", 6, "sector"), ("contracts.csv", 3, "mutual_id"), ("contracts.csv", 3, "end_date")]
    (folder / "engagement.csv").write_bytes(csv_text(rows("engagement", 7, respondents="21")).encode())
    report, _ = validate_source(folder)
    assert [(p.file, p.row, p.column) for p in report.problems] == [
        ("mutuals.csv", 2, "staff_count"), ("mutuals.csv", 4, "spin_out_date"), ("mutuals.csv", 6, "sector"),
        ("contracts.csv", 3, "mutual_id"), ("contracts.csv", 3, "end_date"), ("engagement.csv", 9, "respondents")]
    assert report.problems[5].expected == "respondents <= eligible_staff"
    assert report.problems[5].value == "respondents=21, eligible_staff=20"


def test_the_report_is_capped_at_1000_and_counts_the_rest():
    records = [{**rows("engagement")[0], "staff_group": f"G{i}", "motivation": "x", "advocacy": "99"}
               for i in range(1500)]
    tables = {"engagement": read_csv_bytes("engagement.csv", csv_text(records).encode()),
              "mutuals": read_csv_bytes("mutuals.csv", csv_text(rows("mutuals")).encode())}
    report, _ = validate(tables, required=["engagement"])
    assert len(report.problems) == MAX_PROBLEMS and report.more == 2000 and report.total == 3000
    assert report.problems[0] == Problem("engagement.csv", None, 2, "motivation", "x",
                                         "a number written with digits and an optional decimal point")
    frame = report.to_frame()
    assert len(frame) == MAX_PROBLEMS + 1 and frame["expected"].iloc[-1] == "2,000 more problems not listed"


def test_normalised_values_are_strict(friendly):
    normalised = friendly
    report, frames = normalised("uk_dates")
    assert list(frames["engagement"]["survey_date"]) == [r["survey_date"] for r in handmade.TABLES["engagement"]]
    assert report.normalisations == ["engagement.csv: 9 survey_date dates written DD/MM/YYYY read day-first "
                                     "(e.g. '01/06/2011' read as '2011-06-01')"]
    _, frames = normalised("money")
    assert list(frames["financials"].loc[0, ["income_parent", "expenditure"]]) == ["8000000", "9800000.00"]
    assert frames["financials"].loc[1, "staff_costs"] == "7200000"
    _, frames = normalised("yes_no")
    assert list(frames["contracts"]["is_spin_out_contract"]) == [r["is_spin_out_contract"]
                                                                 for r in handmade.TABLES["contracts"]]
    report, frames = normalised("windows_1252")
    assert frames["contracts"].loc[0, "title"] == "Community health services £9m"
    assert report.normalisations == ["contracts.csv: not UTF-8, read as Windows-1252"]
    _, frames = normalised("whitespace")
    assert frames["commissioners"].loc[0, "name"] == "Northvale Borough Council"
    _, frames = normalised("formula_injection")
    assert frames["innovations"].loc[0, "title"].startswith("=HYPERLINK(")  # text stays text, nothing evaluates it
    assert list(frames["innovations"]["title"].str[0])[:4] == ["=", "-", "@", "+"]


def test_an_excel_formula_is_read_as_its_value_and_the_workbook_equals_the_csvs():
    report, frames = validate_source(HERE / "formula.xlsx")
    assert report.ok and report.notes == ["formula.xlsx › About: 'About' is not a table of the data contract: ignored"]
    assert frames["contracts"].loc[0, "annual_value"] == "9000000"  # the cached value of =9000*1000
    for table, records in handmade.TABLES.items():
        assert frames[table].to_dict("records") == records, table


def test_excel_rows_are_excel_row_numbers(tmp_path):
    report, _ = validate_source(HERE / "xlsx_bad_type.xlsx")
    assert [str(p) for p in report.problems] == [
        "xlsx_bad_type.xlsx, sheet 'mutuals', row 4, column 'staff_count': expected a whole number, got 'ten'"]


def test_rows_are_editor_lines_past_quoted_line_breaks(tmp_path, good_csvs):
    folder = source(make_corpus_case("bad_type"), tmp_path, good_csvs)
    records = rows("contracts", 3, annual_value="lots")
    records[0]["title"] = "Community\nhealth\nservices"
    (folder / "contracts.csv").write_bytes(("\n" + csv_text(records)).encode())  # a blank first line, too
    report, _ = validate_source(folder)
    assert [(p.file, p.row, p.column, p.value) for p in report.problems] == [
        ("contracts.csv", 8, "annual_value", "lots"), ("financials.csv", 3, "expenditure", "lots")]


def test_an_upload_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "max_upload_bytes", lambda: 1000)
    report, _ = validate_source(HERE / "missing_table.zip")
    assert [p.expected for p in report.problems] == ["an upload of at most 1,000 bytes, got 4,235 bytes"]
    empty = tmp_path / "data.zip"
    empty.write_bytes(b"")
    monkeypatch.undo()
    report, _ = validate_source(empty)
    assert report.problems[0].expected == "a file with content; this one is empty (0 bytes)"


def test_a_raw_table_reads_as_a_text_frame():
    frame = read_csv_bytes("c.csv", b"a,b\n1,=SUM(A1)\n\n2, x \n").frame()
    assert frame.to_dict("list") == {"_n": [2, 4], "a": ["1", "2"], "b": ["=SUM(A1)", " x "]}


def test_values_in_the_report_are_capped_at_60_characters():
    problem = Problem("f.csv", None, 2, "name", "N" * 500, "x")
    assert problem.value == "N" * 57 + "..."


def test_a_partial_upload_checks_foreign_keys_against_the_tables_given():
    tables = {"engagement": read_csv_bytes("engagement.csv", csv_text(rows("engagement", 0, mutual_id="M7")).encode()),
              "mutuals": read_csv_bytes("mutuals.csv", csv_text(rows("mutuals")).encode())}
    report, frames = validate(tables, required=["engagement"])
    assert [str(p) for p in report.problems] == [
        "engagement.csv, row 2, column 'mutual_id': expected a mutual_id that is in mutuals.csv; unknown mutual_id, "
        "got 'M7'"]
    assert sorted(frames) == ["engagement", "mutuals"] and report.rows == {"mutuals": 6, "engagement": 9}


def test_the_corpus_is_reproducible_and_listed(tmp_path, monkeypatch):
    monkeypatch.setattr(make_corpus, "HERE", tmp_path)
    make_corpus.main()
    for case in CASES:
        made, kept = tmp_path / case.name, HERE / case.name
        pairs = [(made / p.name, p) for p in kept.iterdir()] if kept.is_dir() else [(made, kept)]
        for new, old in pairs:
            assert new.read_bytes() == old.read_bytes(), f"run python -m tests.corpus.make_corpus ({old})"
    assert (tmp_path / "README.md").read_text() == (HERE / "README.md").read_text()
    readme = (HERE / "README.md").read_text()
    assert all(f"`{case.name}`" in readme for case in CASES)


def column_after(table: str, column: str, values: list[str]) -> list[str]:
    """``column`` of ``table`` as validation writes it, one hand-made row per value."""
    records = [{**rows(table)[0], column: v, **({"contract_id": f"K{i}"} if table == "contracts" else {}),
                **({"year_end": f"20{10 + i}-03-31"} if table == "financials" else {})} for i, v in enumerate(values)]
    _, frames = validate({table: read_csv_bytes(f"{table}.csv", csv_text(records).encode())}, required=[])
    return list(frames[table][column])


def test_friendly_forms_and_what_stays_rejected():
    assert column_after("strategy_sessions", "session_date", [
        "31/03/2024", "1/2/2024", "01/02/2024", "31/02/2024", "03/04/24", "2024-03-31"]) == [
        "2024-03-31", "2024-02-01", "2024-02-01", "31/02/2024", "03/04/24", "2024-03-31"]  # day first, always
    assert column_after("financials", "unrestricted_reserves", [
        "£1,234.50", "1,234", "-£5", "£-5", "£12", "1,23", "£1,2345", "12", "-£-5"]) == [
        "1234.50", "1234", "-5", "-5", "12", "1,23", "£1,2345", "12", "-£-5"]
    assert column_after("contracts", "is_spin_out_contract", [
        "TRUE", "Yes", "1", "no", "0", "False", "Y", "maybe", ""]) == [
        "true", "true", "true", "false", "false", "false", "Y", "maybe", "false"]  # empty: the schema's default


def test_header_names_match_whatever_their_case_and_it_is_reported():
    text = csv_text(rows("commissioners")).replace("commissioner_id,name", "Commissioner_ID ,Name")
    report, frames = validate({"commissioners": read_csv_bytes("c.csv", text.encode())}, required=[])
    assert report.ok and report.normalisations == ["c.csv: header 'Commissioner_ID ' read as 'commissioner_id'",
                                                   "c.csv: header 'Name' read as 'name'"]
    assert list(frames["commissioners"].columns) == ["commissioner_id", "name", "kind", "region"]
