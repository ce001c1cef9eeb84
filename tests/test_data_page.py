"""AppTests of the Data page (pages/data.py, issue 12 section 4) on a workspace seeded from the hand-made fixture.

The app runs with MUTUALS_DATA_DIR and MUTUALS_DB unset, so it serves the workspace's active version
(``MUTUALS_HOME``: a copy of a seed made once per module). Uploads go through AppTest's ``file_uploader``
test inputs: a bad CSV set (the complete error report, on screen and as CSV), a ZIP with one changed value
(diff, confirm, rollback, "Use this version"), a real Contracts Finder release (the review: a name-only match
imports nothing until it is accepted).
"""

from __future__ import annotations

import copy
import csv
import io
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mutuals.escape import md_unescape
from mutuals.infra import workspace
from mutuals.ui import data_page
from tests.apptest import ROOT, DownloadRecorder, texts
from tests.fixtures import handmade

PAGE = "pages/data.py"
OCDS_FILE = (Path(__file__).resolve().parent / "fixtures" / "ocds" / "real" / "cf-2025" / "releases"
             / "ocds-b5fd17-96f40dcd-871e-47f5-8764-525bd1bdb5a0.json")


def seed_tables() -> dict[str, list[dict]]:
    """The hand-made set, with M2 and C1 named as the real release's supplier and buyer (name-only matches)."""
    tables = copy.deepcopy(handmade.TABLES)
    tables["mutuals"][1]["name"] = "Caring for Care Ltd"      # "Caring For Care Limited" in the release
    tables["commissioners"][0]["name"] = "Durham County Council"
    return tables


def csv_bytes(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    """A workspace with one version (the seed tables), made once."""
    root = tmp_path_factory.mktemp("data-page-seed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MUTUALS_HOME", str(root / "home"))
        folder = handmade.write_csvs(root / "csv", seed_tables())
        workspace.create_version(folder, sources=sorted(folder.glob("*.csv")), normalisations=[], message="seed")
    return root / "home"


@pytest.fixture()
def home(seed, tmp_path, monkeypatch) -> Path:
    """A copy of the seeded workspace as MUTUALS_HOME (times kept: its database stays ready); no data overrides."""
    copy_home = tmp_path / "home"
    shutil.copytree(seed, copy_home, copy_function=shutil.copy2)
    monkeypatch.setenv("MUTUALS_HOME", str(copy_home))
    monkeypatch.delenv("MUTUALS_DATA_DIR", raising=False)
    monkeypatch.delenv("MUTUALS_DB", raising=False)
    return copy_home


def open_data() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.switch_page(PAGE).run()  # straight to /data (the portfolio page never runs)
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if md_unescape(b.label) == label)


def frame_with(at: AppTest, column: str):
    """The first table on the page with ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def upload(at: AppTest, files: list[tuple[str, bytes, str]], kind: str = "dataset") -> AppTest:
    if kind != "dataset":
        at.radio(key="import_kind").set_value(kind).run()
    at.file_uploader[0].set_value(files).run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> str:
    """The page's text as a reader sees it (no bold markers)."""
    errors = md_unescape("\n".join(e.value for e in at.error))
    return (texts(at) + "\n" + errors).replace("**", "")


def active() -> str:
    return workspace.active().version


def test_the_page_shows_the_dataset_in_force_templates_and_history(home, monkeypatch):
    recorder = DownloadRecorder(monkeypatch)
    at = open_data()
    seed_version = active()
    text = shown(at)
    assert at.title[0].value == "Data"
    assert f"Version: {seed_version}" in text and "Synthetic: yes" in text and "Data date: 30 Jun 2026" in text
    downloads = {b.label: recorder.read(b) for b in at.get("download_button")}
    assert downloads["Template (XLSX)"][:2] == b"PK" and downloads["Template (ZIP of CSVs)"][:2] == b"PK"
    with zipfile.ZipFile(io.BytesIO(downloads["Template (ZIP of CSVs)"])) as archive:
        assert "mutuals.csv" in archive.namelist()
    history = frame_with(at, "normalisations")
    assert list(history["version"]) == [seed_version] and bool(history["active"].iloc[0])
    assert not [b for b in at.button if b.label.startswith("Roll back")]  # the seed has no parent
    assert at.file_uploader[0].accept_multiple_files


def test_a_bad_upload_shows_the_complete_report_and_cannot_be_confirmed(home, monkeypatch):
    recorder = DownloadRecorder(monkeypatch)
    tables = seed_tables()
    tables["mutuals"].append(dict(tables["mutuals"][0]))  # M1 twice: a duplicate key
    tables["contracts"][0]["start_date"] = "03/04/24"      # an ambiguous date, reported in the same pass
    files = [(f"{t}.csv", csv_bytes(rows), "text/csv") for t, rows in tables.items()]
    at = upload(open_data(), files)
    assert "2 problems" in shown(at)
    report = frame_with(at, "expected")
    assert set(report["file"]) == {"mutuals.csv", "contracts.csv"}, report
    dup = report[report["file"] == "mutuals.csv"].iloc[0]
    assert dup["column"] == "mutual_id" and dup["value"] == "M1" and int(dup["row"]) == len(tables["mutuals"]) + 1
    assert "03/04/24" in set(report["value"])
    body = recorder.read(next(b for b in at.get("download_button") if b.label == "Download the error report (CSV)"))
    lines = body.decode().splitlines()
    assert lines[0].startswith("# Import error report · as of 30 Jun 2026") and "Synthetic" in lines[0]
    assert lines[1] == "file,sheet,row,column,value,expected" and len(lines) == 4
    assert button(at, "Confirm the import").disabled
    assert len(workspace.list_versions()) == 1


def test_confirm_makes_a_new_version_and_rollback_and_use_switch_back(home):
    seed_version = active()
    tables = seed_tables()
    tables["mutuals"][0]["staff_count"] = "210"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for table, rows in tables.items():
            archive.writestr(f"{table}.csv", csv_bytes(rows))
    at = upload(open_data(), [("../../my dataset.zip", buffer.getvalue(), "application/zip")])
    diff = frame_with(at, "changed").set_index("table")
    assert diff.loc["mutuals", "changed"] == 1 and diff[["added", "removed"]].to_numpy().sum() == 0
    assert list(frame_with(at, "tables")["mutual_id"]) == ["M1"]
    at.text_input(key="import_note").input("staff count corrected")
    button(at, "Confirm the import").click().run()
    assert not at.exception, at.exception
    new = workspace.active()
    assert new.version != seed_version and new.parent == seed_version and new.message == "staff count corrected"
    assert [s.name for s in new.sources] == ["my dataset.zip"]  # the name cut to its base name
    assert f"version {new.version} is now active" in shown(at) and f"Version: {new.version}" in shown(at)
    assert any(new.version in md_unescape(c.value) for c in at.sidebar.caption)  # the sidebar names it too
    assert list(frame_with(at, "normalisations")["version"]) == [new.version, seed_version]
    assert not at.file_uploader[0].value  # a fresh uploader after the import

    button(at, f"Roll back to {seed_version}").click().run()
    assert active() == seed_version and f"Version: {seed_version}" in shown(at)
    button(at, "Use this version").click().run()
    assert active() == new.version and f"Version: {new.version}" in shown(at)


def test_ocds_review_imports_a_name_match_only_when_accepted(home):
    assert OCDS_FILE.is_file()
    seed_version = active()
    at = upload(open_data(), [(OCDS_FILE.name, OCDS_FILE.read_bytes(), "application/json")], kind="ocds")
    editor = at.data_editor(key=data_page.REVIEW_KEY)
    proposals = editor.value
    assert list(proposals["name"]) == ["Caring For Care Limited", "Durham County Council"]
    assert list(proposals["candidate_id"]) == ["M2", "C1"] and not proposals["accept"].any()
    assert "Nothing to import" in shown(at) and button(at, "Confirm the import").disabled

    at.session_state[data_page.REVIEW_KEY] = {"edited_rows": {0: {"accept": True}, 1: {"accept": True}},
                                              "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    diff = frame_with(at, "changed").set_index("table")
    assert diff.loc["contracts", "added"] == 1 and list(frame_with(at, "tables")["mutual_id"]) == ["M2"]
    button(at, "Confirm the import").click().run()
    assert not at.exception, at.exception
    new = workspace.active()
    assert new.parent == seed_version and new.rows["contracts"] == len(handmade.TABLES["contracts"]) + 1


def test_importing_can_be_switched_off_in_the_config(home, monkeypatch):
    limits = data_page.load_limits()
    monkeypatch.setattr(data_page, "load_limits", lambda: replace(limits, import_ui_enabled=False))
    at = open_data()
    assert "Importing is switched off in the config" in shown(at)
    assert not at.file_uploader and len(at.get("download_button")) == 2


def test_uploaded_names_are_cut_to_a_safe_base_name(tmp_path):
    assert data_page.safe_name("../../etc/passwd") == "passwd"
    assert data_page.safe_name("C:\\Users\\me\\mutuals.csv") == "mutuals.csv"
    assert data_page.safe_name("..") == "upload" and data_page.safe_name(".hidden.csv") == "hidden.csv"
    assert data_page.safe_name("a<b>|c.csv") == "a_b_c.csv"
    assert len(data_page.safe_name("x" * 500 + ".json")) == 120
    folder, paths = data_page.write_uploads([("a/m.csv", b"1"), ("b/m.csv", b"2")], tmp_path)
    assert [p.name for p in paths] == ["m.csv", "m-2.csv"] and all(p.parent == tmp_path for p in paths)
    assert [p.read_bytes() for p in paths] == [b"1", b"2"]


def test_a_session_started_after_an_import_sees_it_named_dated_and_without_the_synthetic_badge(home, tmp_path):
    def sidebar(at: AppTest) -> tuple[bool, list[str]]:
        badge = any("synthetic-badge" in h.value for h in at.sidebar.get("html"))
        return badge, [md_unescape(c.value) for c in at.sidebar.caption]

    seed_version = active()
    badge, captions = sidebar(open_data())
    assert badge and f"Imported data ({seed_version}) · data up to 30 Jun 2026" in captions  # the seed: synthetic

    tables = seed_tables()
    tables["dataset_info"] = [{"key": "synthetic", "value": "false"}, {"key": "name", "value": "Our mutuals"}] + [
        row for row in tables["dataset_info"] if row["key"] not in ("synthetic", "name")]
    folder = handmade.write_csvs(tmp_path / "ours", tables)
    ours = workspace.create_version(folder, sources=[], normalisations=[], message="ours")
    badge, captions = sidebar(open_data())  # a new session, after the swap
    assert not badge and f"Our mutuals ({ours.version}) · data up to 30 Jun 2026" in captions
