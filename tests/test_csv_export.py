"""The CSV guard (issue 8, part 5): one CSV writer for the app, and every CSV download uses it.

The writer (mutuals/reports/csv_export.py) is tested directly; then every CSV download button of every page
is pressed on a copy of the hand-made data whose mutual, commissioner, contract, staff-group and
innovation names are the formula-like values of the hostile corpus, and each download's bytes are parsed:
a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return must begin with ``'``,
and numeric cells must read back as numbers. The CLI's CSV output is checked the same way.
"""

from __future__ import annotations

import copy
import csv
import io
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mutuals.infra.build import build
from mutuals.reports import csv_export
from mutuals.reports.csv_export import FORMULA_PREFIXES, guard_frame, guard_text, to_csv_bytes, to_csv_text, write_csv
from tests.apptest import DownloadRecorder, open_app
from tests.conftest import override_rules
from tests.fixtures import handmade
from tests.hostile import HOSTILE

ROOT = Path(__file__).resolve().parents[1]
FORMULAS = [v for v in HOSTILE if v.startswith(FORMULA_PREFIXES)]
EXTRA = ["\t=1+1 Tab Mutual", "\r=1+1 Return Mutual", "-5"]  # a leading tab or CR; a number-looking text
HOSTILE_TEXT = FORMULAS + EXTRA


def _hostile(i: int) -> str:
    return HOSTILE_TEXT[i % len(HOSTILE_TEXT)]


# --------------------------------------------------------------------------- the writer


def test_formula_like_text_is_prefixed():
    for value in HOSTILE_TEXT + ["=", "+", "-", "@"]:
        assert guard_text(value) == "'" + value
    for value in ("Alpha CIC", "", " =not first", "'=already quoted", "–2 (en dash)", "2026-06-30", "£1,000"):
        assert guard_text(value) == value
    for value in (-5, -1.5, 0, None, float("nan"), pd.Timestamp("2026-06-30"), True):
        assert guard_text(value) is value


def test_numbers_stay_numbers_and_text_is_guarded():
    frame = pd.DataFrame({
        "name": ["=HYPERLINK(\"http://evil.example\",\"x\")", "ok", None, "-2+3+cmd|' /C calc'!A0"],
        "count": [-5, 1, 2, 3],
        "money": [-100000.5, 0.1 + 0.2, float("nan"), 12345678.91],
        "mixed": [-3, "@SUM(1+1)", None, "+cmd"],
        "status": pd.Categorical(["@red", "green", "@red", "amber"]),
        "text": pd.array(["\tx", None, "\ry", "plain"], dtype="string"),
        "=header": ["a", "b", "c", "d"],
    })
    before = frame.copy()
    text = to_csv_text(frame)
    assert frame.equals(before)  # the caller's frame is not changed
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "count", "money", "mixed", "status", "text", "'=header"]
    assert rows[1] == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "-5", "-100000.5", "-3", "'@red", "'\tx", "a"]
    assert rows[2] == ["ok", "1", "0.3", "'@SUM(1+1)", "green", "", "b"]  # %.15g: no 0.30000000000000004
    assert rows[3] == ["", "2", "", "", "'@red", "'\ry", "c"]
    assert rows[4] == ["'-2+3+cmd|' /C calc'!A0", "3", "12345678.91", "'+cmd", "amber", "plain", "d"]
    back = pd.read_csv(io.StringIO(text))
    assert back["count"].tolist() == [-5, 1, 2, 3] and pd.api.types.is_integer_dtype(back["count"])
    assert back["money"].iloc[0] == -100000.5 and math.isnan(back["money"].iloc[2])
    assert "\n-5," not in text.replace("\r", "")  # a negative number is never quoted or prefixed
    assert ",-5," in text


def test_utf8_without_bom_and_unix_line_ends():
    frame = pd.DataFrame({"name": ["Café £1 – ✓", "=x"], "value": [1.0, 2.5]})
    data = to_csv_bytes(frame)
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8") == "name,value\nCafé £1 – ✓,1\n'=x,2.5\n"
    buffer = io.StringIO()
    write_csv(frame, buffer, float_format="%.3f")
    assert buffer.getvalue() == "name,value\nCafé £1 – ✓,1.000\n'=x,2.500\n"


def test_guard_frame_keeps_dates_and_empty_frames():
    frame = pd.DataFrame({"day": pd.to_datetime(["2026-06-30"]), "d": [pd.Timestamp("2026-06-30").date()],
                          "flag": [True]})
    assert guard_frame(frame).equals(frame)
    empty = pd.DataFrame(columns=["=a", "b"])
    assert to_csv_text(empty) == "'=a,b\n"


def test_reasons_tuples_are_written_as_one_guarded_cell():
    frame = pd.DataFrame({"mutual_id": ["M1", "M2", "M3"],
                          "overall_reasons": pd.Series([("Finance red", "=cmd|x"), (), None], dtype=object)})
    rows = list(csv.reader(io.StringIO(to_csv_text(frame))))
    assert rows == [["mutual_id", "overall_reasons"], ["M1", "Finance red; =cmd|x"], ["M2", ""], ["M3", ""]]
    one = pd.DataFrame({"overall_reasons": pd.Series([("=HYPERLINK(1)",)], dtype=object)})
    assert to_csv_text(one).splitlines()[1] == "'=HYPERLINK(1)"


def test_one_csv_writer_in_the_code():
    """No CSV is written anywhere in the app but by csv_export; every CSV download goes through csv_download."""
    sources = [ROOT / "dashboard.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "mutuals").rglob("*.py"))]
    writer = ROOT / "mutuals" / "reports" / "csv_export.py"
    # The import writes the normalised tables the build reads: data files, not downloads (a guard would change them).
    data_files = ROOT / "mutuals" / "infra" / "validate.py"
    for path in sources:
        text = path.read_text(encoding="utf-8")
        if path not in (writer, data_files):
            assert ".to_csv(" not in text, f"{path.relative_to(ROOT)} writes CSV itself"
        for call in re.finditer(r"download_button\((.*?)\)\s*$", text, flags=re.M | re.S):
            snippet = call.group(0)[:300].lower()
            if "csv" in snippet:
                explorer = path.name == "explorer.py" and "out.csv_bytes" in snippet  # explorer_export, below
                assert explorer or (path.name == "components.py" and "csv_export.to_csv_bytes" in snippet), path
    explorer_export = (ROOT / "mutuals" / "reports" / "explorer_export.py").read_text(encoding="utf-8")
    assert "csv_export.to_csv_bytes(" in explorer_export and "guard_frame(" in explorer_export


# --------------------------------------------------------------------------- every download button


def hostile_tables() -> dict[str, list[dict]]:
    """The hand-made tables with every name a formula-like value; one negative balance per mutual page."""
    tables = copy.deepcopy(handmade.TABLES)
    for i, row in enumerate(tables["mutuals"]):
        row["name"] = _hostile(i)
    for i, row in enumerate(tables["commissioners"]):
        row["name"] = _hostile(i + 2)
    for i, row in enumerate(tables["contracts"]):
        row["title"], row["service_area"] = _hostile(i + 1), _hostile(i + 3)
    for i, row in enumerate(tables["engagement"]):
        row["staff_group"] = f"{_hostile(i)} {row['staff_group']}"
    for i, row in enumerate(tables["innovations"]):
        row["title"] = _hostile(i + 4)
    tables["financials"][0]["unrestricted_reserves"] = "-250000"  # M1 2024/25: negative reserves cover
    return tables


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    folder = handmade.write_csvs(tmp_path_factory.mktemp("hostile_csv"), hostile_tables())
    build(folder, folder / "mutuals.duckdb")
    return folder


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def check_csv(label: str, data: bytes) -> list[list[str]]:
    """Parse a download: no formula-like text cell unguarded; return its rows."""
    assert not data.startswith(b"\xef\xbb\xbf"), label
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows, label
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell.startswith(FORMULA_PREFIXES):
                assert _is_number(cell), f"{label}: row {r}, column {rows[0][c]!r}: unguarded {cell!r}"
    return rows


def download_all(at, downloads) -> dict[str, bytes]:
    buttons = [b for b in at.get("download_button") if b.label.endswith("(CSV)")]
    assert buttons
    return {b.label: downloads.read(b) for b in buttons}


def guarded_cells(rows: list[list[str]]) -> set[str]:
    return {cell for row in rows for cell in row if cell.startswith("'")}


PAGES = {
    "portfolio": (None, {}, {"Download indicators (CSV)", "Download contracts (CSV)", "Download warnings (CSV)"}),
    "mutual": ("pages/mutual.py", {"mutual": "M1"},
               {"Download indicator table (CSV)", "Download survey waves (CSV)", "Download contracts (CSV)",
                "Download financial years (CSV)"}),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_every_csv_download_is_guarded(page, hostile_dir, monkeypatch):
    path, params, expected = PAGES[page]
    downloads = DownloadRecorder(monkeypatch)
    at = open_app(hostile_dir, params, page=path)
    assert not at.exception, at.exception
    files = download_all(at, downloads)
    assert expected <= set(files), set(files)
    names_seen = set()
    for label, data in files.items():
        rows = check_csv(label, data)
        names_seen |= guarded_cells(rows)
    # the hostile names really reached the downloads, guarded
    assert {"'" + v for v in FORMULAS} & names_seen
    if page == "mutual":
        contracts = check_csv("contracts", files["Download contracts (CSV)"])
        assert {"'" + _hostile(i + 1) for i in range(4)} <= guarded_cells(contracts)  # M1's contract titles
    else:  # the portfolio's indicator table holds raw numbers, negative ones included
        indicators = pd.read_csv(io.BytesIO(files["Download indicators (CSV)"]), skiprows=1)  # after the context row
        for column in ("engagement_change_from_peak", "reserves_months", "staff_count"):
            assert pd.api.types.is_numeric_dtype(indicators[column]), column
        assert indicators["engagement_change_from_peak"].min() < 0 and indicators["reserves_months"].min() < 0
        assert set(indicators["name"]) == {"'" + _hostile(i) if _hostile(i)[0] in "=+-@\t\r" else _hostile(i)
                                           for i in range(5)}  # M6 appears only after D


def test_methodology_backtest_downloads_are_guarded(hostile_dir, tmp_path, monkeypatch):
    override_rules(tmp_path, monkeypatch, [("min_trading = 20", "min_trading = 1")])
    downloads = DownloadRecorder(monkeypatch)
    at = open_app(hostile_dir, page="pages/methodology.py")
    assert not at.exception, at.exception
    files = download_all(at, downloads)
    assert {"Download backtest tables (CSV)", "Download backtest rows (one per mutual and date) (CSV)"} <= set(files)
    for label, data in files.items():
        check_csv(label, data)
    rows = pd.read_csv(io.BytesIO(files["Download backtest rows (one per mutual and date) (CSV)"]), skiprows=1)
    assert set(rows["name"]) & {"'" + v for v in HOSTILE_TEXT}
    tables = pd.read_csv(io.BytesIO(files["Download backtest tables (CSV)"]), skiprows=1)
    assert pd.api.types.is_numeric_dtype(tables["trading"]) and pd.api.types.is_numeric_dtype(tables["rate"])


@pytest.mark.parametrize("command", [["indicators"], ["backtest", "--format", "csv"]])
def test_cli_csv_uses_the_writer(command, hostile_dir):
    result = subprocess.run([sys.executable, "-m", "mutuals", *command, "--db", str(hostile_dir / "mutuals.duckdb")],
                            capture_output=True, text=True, cwd=ROOT, env=_env(hostile_dir))
    assert result.returncode == 0, result.stderr
    rows = check_csv(" ".join(command), result.stdout.encode("utf-8"))
    if command == ["indicators"]:
        assert "'" + _hostile(0) in guarded_cells(rows)


def _env(hostile_dir: Path) -> dict:
    import os

    env = {**os.environ, "MUTUALS_DATA_DIR": str(hostile_dir)}
    env.pop("MUTUALS_DB", None)
    return env


def test_writer_module_has_no_streamlit():
    assert "streamlit" not in Path(csv_export.__file__).read_text(encoding="utf-8").split('"""', 2)[2]


def test_explorer_downloads_are_guarded(monkeypatch, tmp_path):
    """A mutual named =HYPERLINK("x") leaves the explorer's mutual list as text: guarded in the CSV, a string
    cell (never a formula) in the XLSX, the plain string in Parquet."""
    import zipfile

    import pyarrow.parquet as pq

    tables = copy.deepcopy(handmade.TABLES)
    tables["mutuals"][0]["name"] = '=HYPERLINK("x")'
    folder = handmade.write_csvs(tmp_path / "csv", tables)
    downloads = DownloadRecorder(monkeypatch)
    at = open_app(folder, page="pages/explorer.py")
    assert not at.exception, at.exception
    buttons = {b.proto.id: b for b in at.get("download_button")}
    mutuals = {b.label: b for b in buttons.values() if "mutuals" in b.proto.id}
    assert {"CSV", "XLSX", "Parquet"} <= set(mutuals)
    rows = check_csv("explorer mutuals", downloads.read(mutuals["CSV"]))
    assert "'=HYPERLINK(\"x\")" in guarded_cells(rows)
    with zipfile.ZipFile(io.BytesIO(downloads.read(mutuals["XLSX"]))) as book:
        sheets = [book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/")]
        strings = book.read("xl/sharedStrings.xml").decode()
    assert not any("<f>" in s or "<f " in s for s in sheets)
    assert "HYPERLINK" in strings
    names = pq.read_table(io.BytesIO(downloads.read(mutuals["Parquet"]))).column("name").to_pylist()
    assert any(n.endswith('=HYPERLINK("x")') for n in names)
    for button in buttons.values():  # every CSV of the page (the open tab's view too)
        if button.label == "CSV":
            check_csv(button.proto.id, downloads.read(button))
