"""The explorer's downloads (issue 11): CSV, XLSX and Parquet hold only what disclosure control lets through.

Hand-made tables (no database): a group of 4 mutuals whose raw median (0.987654) must not reach any file,
a cross-tab with a row below k, and a group labelled ``=HYPERLINK("x")``, which must stay text everywhere.
The XLSX is read back by unzipping it and parsing its XML (no reader library is pinned).
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mutuals.reports import explorer_export as ex
from mutuals.services.disclosure import Rule, disclose

RULE = Rule(k=5, text="suppressed (n < 5)", round_to=5, min_respondents=11)
SECRET = "0.987654"
HOSTILE = '=HYPERLINK("x")'
STATS = ("n", "median", "q1", "q3")
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

ABOUT = ex.About(
    view="Distributions", filters=(("Sector", "Health"), ("Region", HOSTILE)), data_date=date(2026, 6, 30),
    as_of=date(2026, 9, 30), dataset=(("synthetic", "true"), ("name", "sample")),
    queries=(("queries/indicators.sql", "as_of=2026-09-30, min_respondents=11"),
             ("queries/explorer_groups.sql", "")),
    rule=RULE.describe(), compare="Sector")


def groups():
    frame = pd.DataFrame({
        "group": ["Health", "Small group", HOSTILE],
        "indicator": ["surplus_margin"] * 3, "indicator_label": ["Surplus margin"] * 3,
        "n": [12, 4, 7], "median": [0.1 + 0.2, float(SECRET), 0.55], "q1": [0.2, 0.912345, 0.5],
        "q3": [0.4, 0.993217, 0.6], "share_of_all": [0.5, 0.2, 0.3]})
    return disclose("groups", frame, RULE, stats=("median", "q1", "q3"))


def crosstab():
    counts = pd.DataFrame({"thriving": [10, 3, 8], "at_risk": [6, 1, 7]}, index=["Health", "Small group", HOSTILE])
    return disclose("crosstab", counts, RULE)


def read_csv(data: bytes) -> list[dict]:
    text = data.decode("utf-8")
    assert text.startswith('"# ') or text.startswith("# ")
    return list(csv.DictReader(io.StringIO(text.split("\n", 1)[1])))


def read_xlsx(data: bytes) -> tuple[dict[str, list[list]], dict[str, str]]:
    """Sheet name -> rows of cell values (str or float), and sheet name -> its raw XML."""
    book = zipfile.ZipFile(io.BytesIO(data))
    strings = []
    if "xl/sharedStrings.xml" in book.namelist():
        for si in ET.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", NS):
            strings.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
    rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))}
    sheets, raw = {}, {}
    for sheet in ET.fromstring(book.read("xl/workbook.xml")).find("m:sheets", NS):
        path = "xl/" + rels[sheet.get(REL)].lstrip("/").removeprefix("xl/")
        xml = book.read(path).decode("utf-8")
        rows = []
        for row in ET.fromstring(xml).iter(f"{{{NS['m']}}}row"):
            cells = {}
            for c in row.findall("m:c", NS):
                column = re.match(r"[A-Z]+", c.get("r")).group()
                index = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(column))) - 1
                v = c.find("m:v", NS)
                if c.get("t") == "s":
                    cells[index] = strings[int(v.text)]
                elif c.get("t") == "inlineStr":
                    cells[index] = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
                elif v is not None:
                    cells[index] = v.text if c.get("t") in ("str", "b", "e") else float(v.text)
            rows.append([cells.get(i) for i in range(max(cells, default=-1) + 1)])
        sheets[sheet.get("name")] = rows
        raw[sheet.get("name")] = xml
    return sheets, raw


def records(rows: list[list]) -> list[dict]:
    header, *body = rows
    return [dict(zip(header, row + [None] * (len(header) - len(row)))) for row in body]


def read_parquet(data: bytes) -> pa.Table:
    return pq.read_table(io.BytesIO(data))


@pytest.fixture(scope="module")
def files():
    tables = {"Distributions": groups(), "Status mix": crosstab()}
    return {"csv": ex.csv_bytes(tables["Distributions"], ABOUT, comment=None),
            "xlsx": ex.xlsx_bytes(tables, ABOUT),
            "parquet": ex.parquet_bytes(tables["Distributions"], ABOUT),
            "parquet_mix": ex.parquet_bytes(tables["Status mix"], ABOUT)}


# 1. suppressed cells hold the rule's text, never the number

def test_csv_suppressed_cells_read_the_rule(files):
    assert SECRET not in files["csv"].decode() and "0.912345" not in files["csv"].decode()
    rows = {r["group"]: r for r in read_csv(files["csv"])}
    assert all(rows["Small group"][c] == RULE.text for c in STATS)
    assert float(rows["Health"]["n"]) == 12 and float(rows["Health"]["median"]) == pytest.approx(0.3)
    assert rows["Small group"]["share_of_all"] == "0.2"  # not suppressed: still the number


def test_xlsx_suppressed_cells_read_the_rule(files):
    book = zipfile.ZipFile(io.BytesIO(files["xlsx"]))
    assert not any(SECRET in book.read(name).decode("utf-8", "replace") for name in book.namelist())
    sheets, _ = read_xlsx(files["xlsx"])
    rows = {r["group"]: r for r in records(sheets["Distributions"])}
    assert all(rows["Small group"][c] == RULE.text for c in STATS)
    assert rows["Health"]["n"] == 12.0 and isinstance(rows["Health"]["median"], float)  # numbers stay numbers
    mix = {r["group"]: r for r in records(sheets["Status mix"])}
    assert list(mix) == ["Health", "Small group", "'" + HOSTILE, "Total"]
    assert all(mix["Small group"][c] == RULE.text for c in ("thriving", "at_risk", "Total"))


def test_parquet_suppressed_cells_read_the_rule(files):
    frame = read_parquet(files["parquet"]).to_pandas()
    small = frame[frame["group"] == "Small group"].iloc[0]
    assert all(small[c] == RULE.text for c in STATS)
    assert not frame.astype(str).apply(lambda s: s.str.contains(SECRET, regex=False)).any().any()
    mix = read_parquet(files["parquet_mix"]).to_pandas()
    assert mix.columns[0] == "group" and list(mix["group"]) == ["Health", "Small group", HOSTILE, "Total"]
    assert (mix.loc[mix["group"] == "Small group", ["thriving", "at_risk", "Total"]] == RULE.text).all().all()


# 2. the About sheet says what the file holds

def test_xlsx_about_sheet(files):
    sheets, raw = read_xlsx(files["xlsx"])
    assert list(sheets)[1] == "About"  # the second sheet, after the main table
    rows = sheets["About"]
    assert rows[0] == ["Item", "Value"]
    about = dict((item, value) for item, value in rows[1:])
    assert about["View"] == "Distributions" and about["Compare by"] == "Sector"
    assert about["Filter: Sector"] == "Health" and about["Filter: Region"] == "'" + HOSTILE
    assert about["Data date"] == "2026-06-30" and about["As of"] == "2026-09-30"
    assert about["Data set: synthetic"] == "true"
    assert about["SQL file: queries/indicators.sql"] == "as_of=2026-09-30, min_respondents=11"
    assert about["SQL file: queries/explorer_groups.sql"] == "no parameters"
    assert about["Disclosure rule"] == RULE.describe() and RULE.text in about["Disclosure rule"]
    assert 'ySplit="1"' in raw["Distributions"] and "<cols>" in raw["Distributions"]  # frozen header, widths


def test_sheet_names_are_safe_and_unique():
    frame = pd.DataFrame({"x": [1.0]})
    names = ["about", "a/b:c*?[d]", "A very long table name that goes on and on", "A very long table name that"
             " goes on and on too", "x" * 40]
    sheets, _ = read_xlsx(ex.xlsx_bytes(dict.fromkeys(names, frame), ABOUT))
    got = list(sheets)
    assert got[1] == "About" and len(got) == len(names) + 1
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in got)
    assert len({n.lower() for n in got}) == len(got)


def test_plain_frame_and_csv_comment():
    frame = pd.DataFrame({"group": ["A"], "value": [1.5]}, index=[7])
    assert list(ex.export_frame(frame).columns) == ["group", "value"]  # a row-number index is dropped
    assert ex.csv_bytes(frame, ABOUT, comment="own comment").decode().splitlines()[0] == "# own comment"
    first = ex.csv_bytes(frame, ABOUT, None).decode().splitlines()[0]
    assert "Distributions" in first and "Synthetic data" in first


# 3. formula-like text stays text

def test_formula_text_stays_text(files):
    rows = {r["group"]: r for r in read_csv(files["csv"])}
    assert "'" + HOSTILE in rows
    sheets, raw = read_xlsx(files["xlsx"])
    assert not any(re.search(r"<f[ >]", xml) for xml in raw.values())
    assert "'" + HOSTILE in [r["group"] for r in records(sheets["Distributions"])]
    assert HOSTILE in read_parquet(files["parquet"]).column("group").to_pylist()


# 4. Parquet types and metadata

def test_parquet_types_and_metadata(files):
    table = read_parquet(files["parquet"])
    assert table.schema.field("share_of_all").type == pa.float64()
    for column in STATS:
        assert table.schema.field(column).type == pa.string()
    frame = table.to_pandas()
    assert frame["share_of_all"].dtype == "float64"
    health = frame[frame["group"] == "Health"].iloc[0]
    assert health["median"] == repr(0.1 + 0.2) and health["n"] == "12.0"  # full precision text
    about = json.loads(table.schema.metadata[ex.METADATA_KEY])
    assert about == [list(row) for row in ABOUT.rows()]
    assert b"pandas" in table.schema.metadata  # the pandas metadata is kept alongside
