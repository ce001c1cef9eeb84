"""Import templates (issue 12): the XLSX and CSV templates, and the round trip of a filled template."""

from __future__ import annotations

import csv
import io
import re
import tomllib
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from python_calamine import CalamineWorkbook

from mutuals.infra.build import ALL_TABLES, build, contract_columns
from mutuals.infra.db import DATA_DIR, Database, connect
from mutuals.reports import templates
from mutuals.services.indicators import compute_indicators
from tests.fixtures import handmade

AS_OF = date(2026, 6, 30)
# The schema's CHECK (column IN (...)) columns, written out here so the test does not trust the parser.
DROPDOWNS = {
    ("commissioners", "kind"): ("local_authority", "nhs", "other"),
    ("mutuals", "sector"): ("Health & Social Care", "Education, Youth & Children's Services",
                            "Culture, Media & Libraries", "Employment & Skills", "Housing", "Sports & Leisure"),
    ("mutuals", "status"): ("trading", "ceased"),
    ("contracts", "outcome"): ("active", "extended", "renewed", "won_at_retender", "lost_at_retender",
                               "handed_back", "expired"),
    ("engagement", "phase"): ("options_appraisal", "transition", "spun_out"),
    ("innovations", "origin"): ("staff", "management", "commissioner", "other"),
    ("innovations", "status"): ("idea", "piloted", "embedded"),
}


def handmade_rows() -> dict[str, pd.DataFrame]:
    return {table: pd.DataFrame(rows, dtype=str) for table, rows in handmade.TABLES.items()}


@pytest.fixture(scope="module")
def blank_xlsx() -> bytes:
    return templates.xlsx_template()


@pytest.fixture(scope="module")
def filled_xlsx() -> bytes:
    return templates.xlsx_template(handmade_rows())


def cell_text(value: object) -> str:
    """A calamine cell as the build wants it written (see the templates module docstring)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        assert value.time() == datetime.min.time(), value
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def read_back(xlsx: bytes, out: Path) -> Path:
    """Every table sheet of ``xlsx`` as ``<table>.csv`` in ``out``, every cell as text."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx))
    out.mkdir(parents=True, exist_ok=True)
    for table in ALL_TABLES:
        rows = book.get_sheet_by_name(table).to_python()
        with open(out / f"{table}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(rows[0])
            writer.writerows([cell_text(v) for v in row] for row in rows[1:])
    return out


def sheet_xml(xlsx: bytes) -> dict[str, tuple[str, str]]:
    """Per sheet name: (its worksheet XML, its comments XML or "")."""
    archive = zipfile.ZipFile(io.BytesIO(xlsx))
    workbook = archive.read("xl/workbook.xml").decode()
    rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'<Relationship Id="(rId\d+)" Type="[^"]+" Target="([^"]+)"', rels))
    out = {}
    for name, rid in re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', workbook):
        path = "xl/" + targets[rid]
        sheet_rels = path.replace("worksheets/", "worksheets/_rels/") + ".rels"
        comments = ""
        if sheet_rels in archive.namelist():
            found = re.search(r'Target="\.\./(comments\d+\.xml)"', archive.read(sheet_rels).decode())
            comments = archive.read("xl/" + found.group(1)).decode() if found else ""
        out[name] = (archive.read(path).decode(), comments)
    return out


def test_columns_toml_describes_every_column_and_nothing_else():
    texts = tomllib.loads(templates.COLUMNS_PATH.read_text(encoding="utf-8"))
    assert list(texts) == ALL_TABLES
    for table, cols in contract_columns().items():
        assert list(texts[table]) == [name for name, _ in cols], table
        assert all(text.strip() and len(text) <= 200 for text in texts[table].values())


def test_columns_come_from_the_schema():
    cols = templates.columns()
    assert {(t, c.name): c.allowed for t in ALL_TABLES for c in cols[t] if c.allowed} == DROPDOWNS
    mutuals = {c.name: c for c in cols["mutuals"]}
    assert mutuals["spin_out_date"].required and not mutuals["ceased_date"].required
    assert mutuals["mutual_id"].key and mutuals["parent_commissioner_id"].references == "commissioners.commissioner_id"
    # NOT NULL with a default: an empty cell is allowed (the build fills false)
    assert not {c.name: c for c in cols["contracts"]}["is_spin_out_contract"].required
    assert re.fullmatch(r"[0-9a-f]{12}", templates.contract_version())


def test_xlsx_has_a_sheet_per_table_then_about_with_headers_in_schema_order(blank_xlsx):
    book = CalamineWorkbook.from_filelike(io.BytesIO(blank_xlsx))
    assert book.sheet_names == [*ALL_TABLES, "About"]
    for table, cols in contract_columns().items():
        assert book.get_sheet_by_name(table).to_python() == [[name for name, _ in cols]]
    sheets = sheet_xml(blank_xlsx)
    for table in ALL_TABLES:
        xml = sheets[table][0]
        assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in xml
        assert "<f>" not in xml


def test_every_header_cell_has_a_note_with_description_type_and_required(blank_xlsx):
    described = tomllib.loads(templates.COLUMNS_PATH.read_text(encoding="utf-8"))
    for table, (_, comments) in sheet_xml(blank_xlsx).items():
        if table == "About":
            continue
        notes = {ref: re.sub(r"<[^>]+>", "", body) for ref, body in
                 re.findall(r'<comment ref="([A-Z]+1)" authorId="\d+">(.*?)</comment>', comments, re.S)}
        cols = contract_columns()[table]
        assert len(notes) == len(cols), table
        for i, (name, dtype) in enumerate(cols):
            note = notes[chr(ord("A") + i) + "1"].replace("&amp;", "&").replace("&apos;", "'")
            assert described[table][name] in note
            assert ("Required" in note) != ("Optional" in note)
            assert ("YYYY-MM-DD or 31/03/2024" in note) == (dtype == "DATE"), (table, name)
    mutual_notes = sheet_xml(blank_xlsx)["mutuals"][1]
    assert "Required: every row needs a value." in mutual_notes and "Must match a commissioners.commissioner_id" in \
        mutual_notes


def test_dropdowns_list_the_allowed_values_of_each_check_in_column(blank_xlsx):
    book = CalamineWorkbook.from_filelike(io.BytesIO(blank_xlsx))
    about = book.get_sheet_by_name("About").to_python(skip_empty_area=False)
    found = {}
    for table, (xml, _) in sheet_xml(blank_xlsx).items():
        header = book.get_sheet_by_name(table).to_python()[0] if table != "About" else []
        for attrs, formula in re.findall(r"<dataValidation ([^>]*)><formula1>(.*?)</formula1>", xml):
            assert 'type="list"' in attrs
            first, last = re.search(r'sqref="([A-Z]+)2:([A-Z]+)10000"', attrs).groups()
            assert first == last
            formula = formula.replace("&amp;", "&").replace("&quot;", '"')
            if formula.startswith('"'):
                values = tuple(formula.strip('"').split(","))
            else:  # a range of the About sheet: About!$B$n:$B$m
                top, bottom = map(int, re.fullmatch(r"About!\$B\$(\d+):\$B\$(\d+)", formula).groups())
                values = tuple(row[1] for row in about[top - 1:bottom])
            found[(table, header[ord(first) - ord("A")])] = values
    assert found == DROPDOWNS


def test_about_sheet_says_what_and_how_with_product_and_contract_version(blank_xlsx):
    book = CalamineWorkbook.from_filelike(io.BytesIO(blank_xlsx))
    text = "\n".join(" | ".join(map(str, row)) for row in book.get_sheet_by_name("About").to_python())
    for words in ("Mutuals Sustainability", templates.contract_version(), "One row per record", "Keep the headers",
                  "YYYY-MM-DD or 31/03/2024", "Money", "true or false", "One sheet per table"):
        assert words in text
    for table in ALL_TABLES:
        assert f"{table} | " in text


def test_csv_zip_has_every_table_with_its_header_and_a_readme():
    archive = zipfile.ZipFile(io.BytesIO(templates.csv_template_zip()))
    assert sorted(archive.namelist()) == sorted([f"{t}.csv" for t in ALL_TABLES] + ["README.txt"])
    for table, cols in contract_columns().items():
        assert archive.read(f"{table}.csv").decode() == ",".join(name for name, _ in cols) + "\n"
    readme = archive.read("README.txt").decode()
    assert templates.contract_version() in readme and "won_at_retender" in readme


def test_csv_zip_with_rows_keeps_formula_like_text(tmp_path):
    rows = handmade_rows()
    rows["innovations"].loc[0, "title"] = "=HYPERLINK(\"x\")"
    archive = zipfile.ZipFile(io.BytesIO(templates.csv_template_zip(rows)))
    archive.extractall(tmp_path)
    back = pd.read_csv(tmp_path / "innovations.csv", dtype=str, keep_default_na=False)
    assert back.loc[0, "title"] == "=HYPERLINK(\"x\")"
    for table in ALL_TABLES:  # the rows as given, no ' guard (that is for exports, not for data to re-import)
        back = pd.read_csv(tmp_path / f"{table}.csv", dtype=str, keep_default_na=False)
        assert_frame_equal(back, rows[table], obj=table)


def test_typed_values_go_in_as_typed_cells_and_text_stays_text():
    rows = handmade_rows()
    rows["mutuals"].loc[0, "name"] = "=1+1"
    rows["mutuals"]["staff_count"] = rows["mutuals"]["staff_count"].astype(int)  # numpy integers
    rows["contracts"]["start_date"] = pd.to_datetime(rows["contracts"]["start_date"])  # Timestamps
    rows["contracts"]["is_spin_out_contract"] = rows["contracts"]["is_spin_out_contract"] == "true"
    book = CalamineWorkbook.from_filelike(io.BytesIO(templates.xlsx_template(rows)))
    mutual = book.get_sheet_by_name("mutuals").to_python()[1]
    assert mutual[1] == "=1+1" and mutual[9] == 200.0 and mutual[11] == "01234567"
    assert mutual[8] == date(2012, 4, 1)
    contract = book.get_sheet_by_name("contracts").to_python()[1]
    assert contract[5] == date(2012, 4, 1) and contract[8] == 9000000.0 and contract[9] is True


@pytest.mark.parametrize(("column", "given", "cell"), [
    ("start_date", "2024-02-30", "2024-02-30"),      # not a calendar date: kept as text for the import to report
    ("start_date", "31/03/2024", "31/03/2024"),      # a UK date: kept as text, the import normalises it
    ("start_date", " 2024-03-31 ", date(2024, 3, 31)),
    ("annual_value", "£1,234.50", "£1,234.50"),
    ("annual_value", "9" * 400, "9" * 400),          # too big for a double: text, never inf
    ("annual_value", "-0.25", -0.25),
    ("is_spin_out_contract", "TRUE", True),
    ("is_spin_out_contract", "yes", "yes"),
    ("title", "+cmd|' /C calc'!A0", "+cmd|' /C calc'!A0"),
    ("title", "  ", ""),
])
def test_each_value_is_typed_only_when_written_as_its_type(column, given, cell):
    rows = handmade_rows()
    rows["contracts"].loc[0, column] = given
    book = CalamineWorkbook.from_filelike(io.BytesIO(templates.xlsx_template({"contracts": rows["contracts"]})))
    header, first = book.get_sheet_by_name("contracts").to_python()[:2]
    assert first[header.index(column)] == cell


def test_unknown_table_is_refused_and_extra_columns_are_kept():
    with pytest.raises(ValueError, match="not tables of the data contract: nope"):
        templates.xlsx_template({"nope": pd.DataFrame()})
    rows = {"commissioners": pd.DataFrame(handmade.TABLES["commissioners"], dtype=str).assign(note="x")}
    book = CalamineWorkbook.from_filelike(io.BytesIO(templates.xlsx_template(rows)))
    assert book.get_sheet_by_name("commissioners").to_python()[0][-1] == "note"


def test_round_trip_of_the_handmade_set_gives_the_same_indicators(filled_xlsx, tmp_path, handmade_db):
    folder = read_back(filled_xlsx, tmp_path / "csv")
    with Database(build(folder, tmp_path / "m.duckdb").db_path) as db:
        assert_frame_equal(compute_indicators(db, AS_OF), compute_indicators(handmade_db, AS_OF))
    assert_same_tables(tmp_path / "m.duckdb", handmade_db.path)


def assert_same_tables(db_path: Path, reference_path: Path) -> None:
    """Every table of the data contract holds the same rows in both databases."""
    con, ref = connect(db_path), connect(reference_path)
    try:
        for table in ALL_TABLES:
            sql = f'SELECT * FROM "{table}" ORDER BY ALL'
            assert_frame_equal(con.execute(sql).df(), ref.execute(sql).df(), obj=table)
    finally:
        con.close(), ref.close()


def test_sample_rows_reads_the_bundled_csvs_as_text():
    rows = templates.sample_rows(DATA_DIR)
    assert list(rows) == ALL_TABLES and len(rows["mutuals"]) == 130
    assert all(isinstance(v, str) for frame in rows.values() for v in frame.to_numpy().ravel())
    assert rows["mutuals"].loc[0, "company_number"] == "07559102" and rows["mutuals"].loc[0, "ceased_date"] == ""
