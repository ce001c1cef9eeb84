"""Write the import corpus: one fault (or one friendly normalisation) per case, based on tests/fixtures/handmade.py.

A case is either a folder holding the file(s) that replace tables of the otherwise-good hand-made set, or a
whole source (a ZIP or an XLSX). ``CASES`` is also what tests/test_validate.py checks and what README.md
lists. Run ``python -m tests.corpus.make_corpus`` to rewrite the files and the README (byte-reproducible).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from tests.fixtures import handmade

HERE = Path(__file__).resolve().parent
STAMP = (2026, 1, 1, 0, 0, 0)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
DATES = {"options_appraisal_date", "spin_out_date", "ceased_date", "start_date", "end_date", "max_end_date",
         "year_end", "survey_date", "session_date", "innovation_date", "review_date"}
NUMBERS = {"staff_count", "annual_value", "eligible_staff", "respondents", "rating", "income_parent"}


@dataclass(frozen=True)
class Case:
    name: str                  # a folder (files replacing tables of the good set) or a .zip/.xlsx under tests/corpus
    fault: str
    fragment: str              # in a problem's expectation (bad), or in a normalisation/note (good)
    good: bool = False
    where: tuple | None = None  # (file, sheet, row, column) of the problem, checked by hand
    problems: int | None = None  # how many problems exactly, where it is known


def rows(table: str, index: int | None = None, **changes) -> list[dict]:
    """The hand-made rows of ``table``, with row ``index`` changed."""
    found = copy.deepcopy(handmade.TABLES[table])
    if index is not None:
        found[index].update(changes)
    return found


def csv_text(records: list[dict], fields: list[str] | None = None) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=fields or list(records[0]), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def utf8(table: str, index: int | None = None, **changes) -> bytes:
    return csv_text(rows(table, index, **changes)).encode("utf-8")


def good_files() -> dict[str, bytes]:
    return {f"{table}.csv": csv_text(records).encode("utf-8") for table, records in handmade.TABLES.items()}


def zip_bytes(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, STAMP), data)
    return out.getvalue()


def workbook(path: Path, tables: dict[str, list[dict]], formula: bool = False, about: bool = True) -> None:
    """One sheet per table: dates as Excel dates, some numbers as numbers, the rest as text."""
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": dt.datetime(2026, 1, 1)})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    if about:
        book.add_worksheet("About").write_string(0, 0, "Mutuals data template (test corpus)")
    for table, records in tables.items():
        sheet = book.add_worksheet(table)
        for c, name in enumerate(records[0]):
            sheet.write_string(0, c, name)
        for r, record in enumerate(records, start=1):
            for c, (name, value) in enumerate(record.items()):
                if value and name in DATES:
                    sheet.write_datetime(r, c, dt.datetime.fromisoformat(value), day)
                elif value and name in NUMBERS and value.isdigit():
                    if formula and table == "contracts" and name == "annual_value" and r == 1:
                        sheet.write_formula(r, c, f"={int(value) // 1000}*1000", None, int(value))
                    else:
                        sheet.write_number(r, c, float(value))
                else:
                    sheet.write_string(r, c, value)
    book.close()


def uk(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def _mutuals_three_faults() -> bytes:
    found = rows("mutuals", 0, staff_count="-5")
    found[2]["spin_out_date"] = "2013-13-45"
    found[4]["sector"] = "Retail"
    return csv_text(found).encode()


def _missing_column() -> bytes:
    return csv_text(rows("mutuals"), [f for f in handmade.TABLES["mutuals"][0] if f != "status"]).encode()


def _extra_column() -> bytes:
    found = rows("contracts")
    for i, record in enumerate(found):
        record["notes"] = f"note {i}"
    return csv_text(found).encode()


def _duplicate_header() -> bytes:
    return b"mutual_id,session_date,kind,kind\nM1,2025-01-15,away_day,x\nM1,2026-01-10,plan_review,x\n"


def _yes_no() -> bytes:
    found = rows("contracts")
    for record, word in zip(found, ["yes", "no", "No", "0", "TRUE", "1"]):
        record["is_spin_out_contract"] = word
    return csv_text(found).encode()


def _too_many_values() -> bytes:
    lines = utf8("commissioners").decode().split("\n")
    lines[2] += ",surplus"
    return "\n".join(lines).encode()


def _whitespace() -> bytes:
    found = rows("commissioners")
    found[0]["name"] = "  Northvale Borough Council "
    found[1]["region"] = "North West\t"
    return csv_text(found).encode()


def _money() -> bytes:
    found = rows("financials")
    found[0]["income_parent"] = "£8,000,000"
    found[0]["expenditure"] = "£9,800,000.00"
    found[1]["staff_costs"] = "7,200,000"
    return csv_text(found).encode()


def _injection() -> bytes:
    found = rows("innovations")
    found[0]["title"] = "=HYPERLINK(\"http://example.com\",\"Digital rota\")"
    found[1]["title"] = "-5% sickness clinic"
    found[2]["title"] = "@therapy group"
    found[3]["title"] = "+1 shared office"
    return csv_text(found).encode()


def _cp1252() -> bytes:
    return csv_text(rows("contracts", 0, title="Community health services £9m")).encode("cp1252")


# name, fault, fragment, then what writes it: {file in the case folder: bytes} or a writer of a whole source
CASES: list[Case] = [
    Case("missing_column", "mutuals.csv has no status column", "a column named 'status'",
         where=("mutuals.csv", None, 1, "status"), problems=1),
    Case("extra_column", "contracts.csv has a notes column the contract does not know (kept in the source, noted)",
         "'notes' are not in the data contract: kept in the source file, not loaded", good=True),
    Case("duplicate_key", "contracts.csv row K4 reuses contract_id K3", "duplicate key, already used on row 4",
         where=("contracts.csv", None, 5, "contract_id"), problems=1),
    Case("unknown_foreign_key", "contracts.csv K2 names mutual M9, not in mutuals.csv", "unknown mutual_id",
         where=("contracts.csv", None, 3, "mutual_id"), problems=1),
    Case("out_of_range", "engagement.csv motivation 11 on a 0-10 scale", "motivation between 0 and 10",
         where=("engagement.csv", None, 2, "motivation"), problems=1),
    Case("date_before_start", "contracts.csv K3 ends before it starts", "end_date on or after start_date",
         where=("contracts.csv", None, 4, "end_date"), problems=1),
    Case("empty_table", "dataset_info.csv has a header and no rows", "at least one row in dataset_info",
         where=("dataset_info.csv", None, None, None)),
    Case("bad_type", "financials.csv expenditure written 'lots'", "a number written with digits",
         where=("financials.csv", None, 3, "expenditure"), problems=1),
    Case("empty_required", "contracts.csv K1 has no title", "a value; the cell is empty",
         where=("contracts.csv", None, 2, "title"), problems=1),
    Case("three_faults", "mutuals.csv: a negative staff count, 2013-13-45, an unknown sector", "staff_count >= 0",
         where=("mutuals.csv", None, 2, "staff_count"), problems=3),
    Case("bad_boolean", "contracts.csv is_spin_out_contract written 'maybe'", "true or false",
         where=("contracts.csv", None, 4, "is_spin_out_contract"), problems=1),
    Case("bad_info_flag", "dataset_info.csv synthetic = 'perhaps'", "true or false as the value of 'synthetic'",
         where=("dataset_info.csv", None, 2, "value"), problems=1),
    Case("duplicate_header", "strategy_sessions.csv names kind twice", "each column named once",
         where=("strategy_sessions.csv", None, 1, "kind")),
    Case("too_many_values", "commissioners.csv line 3 has a value past the header", "4 values (one per header "
         "column); this row has 5", where=("commissioners.csv", None, 3, None), problems=1),
    Case("broken_quoting", "relationship_reviews.csv opens a quote it never closes", "CSV quoting that closes",
         where=("relationship_reviews.csv", None, 4, None), problems=1),
    Case("truncated_csv", "contracts.csv cut off 40 bytes before its end, mid-row", "this row has 8 (cut short?)",
         where=("contracts.csv", None, 7, None)),
    Case("zero_byte", "contracts.csv is 0 bytes", "the file is empty (0 bytes)",
         where=("contracts.csv", None, None, None), problems=1),
    Case("wrong_type", "contracts.csv holds PNG bytes", "its content is a PNG image",
         where=("contracts.csv", None, None, None), problems=1),
    Case("pdf_as_csv", "engagement.csv holds a PDF", "its content is a PDF document",
         where=("engagement.csv", None, None, None), problems=1),
    Case("huge_cell", "contracts.csv service_area of 10,001 characters", "at most 10,000 characters in a value",
         where=("contracts.csv", None, 2, "service_area"), problems=1),
    Case("ambiguous_date", "strategy_sessions.csv session_date 03/04/24", "ambiguous: day/month/2-digit year",
         where=("strategy_sessions.csv", None, 2, "session_date"), problems=1),
    Case("impossible_uk_date", "innovations.csv innovation_date 31/02/2026", "a date written YYYY-MM-DD or DD/MM/YYYY",
         where=("innovations.csv", None, 3, "innovation_date"), problems=1),
    Case("truncated.zip", "a ZIP of the good set cut off half way", "damaged or cut short",
         where=("truncated.zip", None, None, None), problems=1),
    Case("missing_table.zip", "a ZIP without engagement.csv", "engagement is missing",
         where=("engagement.csv", None, None, None), problems=1),
    Case("truncated.xlsx", "a workbook cut off half way", "damaged or cut short",
         where=("truncated.xlsx", None, None, None), problems=1),
    Case("xlsx_bad_type.xlsx", "workbook: mutuals staff_count 'ten' on Excel row 4", "a whole number",
         where=("xlsx_bad_type.xlsx", "mutuals", 4, "staff_count"), problems=1),
    Case("not_a_zip.zip", "a text file named .zip", "its content is not a ZIP or XLSX",
         where=("not_a_zip.zip", None, None, None), problems=1),
    # good files whose normalisation is reported
    Case("windows_1252", "contracts.csv saved as Windows-1252 with a £", "not UTF-8, read as Windows-1252", good=True),
    Case("bom", "commissioners.csv with a UTF-8 byte-order mark", "byte-order mark (BOM) removed", good=True),
    Case("uk_dates", "engagement.csv survey dates written 01/06/2011", "dates written DD/MM/YYYY read day-first",
         good=True),
    Case("money", "financials.csv amounts written £8,000,000 and 7,200,000", "read as plain numbers", good=True),
    Case("yes_no", "contracts.csv is_spin_out_contract written yes/no/TRUE/0", "read as true/false", good=True),
    Case("whitespace", "commissioners.csv values with spaces and a tab around them", "spaces around them trimmed",
         good=True),
    Case("formula_injection", "innovations.csv titles beginning = - @ + (stay text)", "", good=True),
    Case("formula.xlsx", "the whole set as a workbook (with an About sheet); K1 annual_value is the formula "
         "=9000*1000, read as its cached value 9000000", "'About' is not a table", good=True),
]

FILES = {
    "missing_column": {"mutuals.csv": _missing_column},
    "extra_column": {"contracts.csv": _extra_column},
    "duplicate_key": {"contracts.csv": lambda: utf8("contracts", 3, contract_id="K3")},
    "unknown_foreign_key": {"contracts.csv": lambda: utf8("contracts", 1, mutual_id="M9")},
    "out_of_range": {"engagement.csv": lambda: utf8("engagement", 0, motivation="11")},
    "date_before_start": {"contracts.csv": lambda: utf8("contracts", 2, end_date="2023-12-31")},
    "empty_table": {"dataset_info.csv": lambda: b"key,value\n"},
    "bad_type": {"financials.csv": lambda: utf8("financials", 1, expenditure="lots")},
    "empty_required": {"contracts.csv": lambda: utf8("contracts", 0, title="")},
    "three_faults": {"mutuals.csv": _mutuals_three_faults},
    "bad_boolean": {"contracts.csv": lambda: utf8("contracts", 2, is_spin_out_contract="maybe")},
    "bad_info_flag": {"dataset_info.csv": lambda: utf8("dataset_info", 0, value="perhaps")},
    "duplicate_header": {"strategy_sessions.csv": _duplicate_header},
    "too_many_values": {"commissioners.csv": _too_many_values},
    "broken_quoting": {"relationship_reviews.csv": lambda: utf8("relationship_reviews").replace(b"M1,C1", b'M1,"C1')},
    "truncated_csv": {"contracts.csv": lambda: utf8("contracts")[:-40]},
    "zero_byte": {"contracts.csv": lambda: b""},
    "wrong_type": {"contracts.csv": lambda: PNG},
    "pdf_as_csv": {"engagement.csv": lambda: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"},
    "huge_cell": {"contracts.csv": lambda: utf8("contracts", 0, service_area="S" * 10_001)},
    "ambiguous_date": {"strategy_sessions.csv": lambda: utf8("strategy_sessions", 0, session_date="03/04/24")},
    "impossible_uk_date": {"innovations.csv": lambda: utf8("innovations", 1, innovation_date="31/02/2026")},
    "windows_1252": {"contracts.csv": _cp1252},
    "bom": {"commissioners.csv": lambda: b"\xef\xbb\xbf" + utf8("commissioners")},
    "uk_dates": {"engagement.csv": lambda: csv_text([{**r, "survey_date": uk(r["survey_date"])}
                                                     for r in rows("engagement")]).encode()},
    "money": {"financials.csv": _money},
    "yes_no": {"contracts.csv": _yes_no},
    "whitespace": {"commissioners.csv": _whitespace},
    "formula_injection": {"innovations.csv": _injection},
}


def write_case(case: Case) -> None:
    target = HERE / case.name
    if case.name in FILES:
        target.mkdir(exist_ok=True)
        for name, make in FILES[case.name].items():
            (target / name).write_bytes(make())
    elif case.name == "truncated.zip":
        data = zip_bytes(good_files())
        target.write_bytes(data[: len(data) // 2])
    elif case.name == "missing_table.zip":
        target.write_bytes(zip_bytes({k: v for k, v in good_files().items() if k != "engagement.csv"}))
    elif case.name == "not_a_zip.zip":
        target.write_bytes(b"contract_id,mutual_id\nK1,M1\n")
    elif case.name == "formula.xlsx":
        workbook(target, handmade.TABLES, formula=True)
    elif case.name == "truncated.xlsx":
        workbook(target, handmade.TABLES)
        data = target.read_bytes()
        target.write_bytes(data[: len(data) // 2])
    elif case.name == "xlsx_bad_type.xlsx":
        workbook(target, {**handmade.TABLES, "mutuals": rows("mutuals", 2, staff_count="ten")}, about=False)
    else:
        raise ValueError(case.name)


def readme() -> str:
    lines = ["# Import corpus (issue 12)", "",
             "One fault per case, on the hand-made data set (`tests/fixtures/handmade.py`). A folder holds the "
             "file(s) that replace tables of the otherwise-good set; a `.zip`/`.xlsx` is a whole source. GOOD cases "
             "are friendly forms that import, with the normalisation reported. Generated by `python -m "
             "tests.corpus.make_corpus`; checked by `tests/test_validate.py`. Rows are as the user sees them: the "
             "line in a text editor (header = line 1) or the Excel row.", "",
             "| case | fault | reported at (file › sheet, row, column) | expected message fragment |", "|---|---|---|---|"]
    for case in CASES:
        where = ""
        if case.where:
            file, sheet, row, column = case.where
            where = file + f" › {sheet}" * bool(sheet) + f", row {row}" * (row is not None) + f", `{column}`" * bool(column)
        fragment = case.fragment or "(imports; text stays text)"
        lines.append(f"| `{case.name}` | {'GOOD: ' * case.good}{case.fault} | {where} | {fragment} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    for case in CASES:
        write_case(case)
    (HERE / "README.md").write_text(readme(), encoding="utf-8")


if __name__ == "__main__":
    main()
