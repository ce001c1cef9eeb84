"""Imports as previews and versions (issue 12): whole datasets, tables into the active one, OCDS contracts."""

from __future__ import annotations

import copy
import hashlib
import threading
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from mutuals import settings
from mutuals.infra import versions, workspace
from mutuals.infra.db import Database
from mutuals.services import importer
from mutuals.services.indicators import compute_indicators
from tests.fixtures import handmade

SHARED = Path(__file__).resolve().parent / "fixtures" / "ocds"  # a copy of ../shared/ocds
CF25 = SHARED / "real" / "cf-2025" / "releases"
APPELLO = "ocds-b5fd17-baf18c1f-2745-4874-a86a-525ec2625841"  # APPELLO CARELINE LIMITED, GB-COH 03229746
YMCA = "ocds-b5fd17-070f4662-2e9c-40b0-8fa4-4b435f3ccae4"     # One YMCA (no identifier)


def write(folder: Path, **changes: list[dict]) -> Path:
    return handmade.write_csvs(folder, {**copy.deepcopy(handmade.TABLES), **changes})


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def counts(preview: importer.Preview) -> dict[str, tuple[int, int, int, int]]:
    return {r.table: (r.added, r.changed, r.removed, r.unchanged) for r in preview.diff.itertuples()}


@pytest.fixture(scope="module")
def active(tmp_path_factory, handmade_dir):
    """A workspace whose active version is the hand-made set imported as a folder (built once)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MUTUALS_HOME", str(home))
        mp.delenv("MUTUALS_DATA_DIR", raising=False)
        mp.delenv("MUTUALS_DB", raising=False)
        preview = importer.preview_dataset(handmade_dir)
        manifest = importer.confirm(preview, message="first")
    return home, preview, manifest


@pytest.fixture
def home(active, monkeypatch):
    monkeypatch.setenv("MUTUALS_HOME", str(active[0]))
    monkeypatch.delenv("MUTUALS_DATA_DIR", raising=False)
    monkeypatch.delenv("MUTUALS_DB", raising=False)
    return active[0]


def test_dataset_round_trip_folder_and_zip(active, home, handmade_dir, handmade_db, tmp_path):
    _, preview, manifest = active
    assert preview.ok and preview.kind == "dataset" and preview.sources == (handmade_dir,)
    assert workspace.active().version == manifest.version and manifest.rows["mutuals"] == 6
    assert settings.dataset_source() == f"workspace:{manifest.version}"
    with Database(versions.resolve(settings.db_path())) as db:
        imported = compute_indicators(db)
    pd.testing.assert_frame_equal(imported, compute_indicators(handmade_db))
    # The same tables as a ZIP give the same normalised dataset: nothing changes against the active version.
    archive = tmp_path / "handmade.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for csv in sorted(handmade_dir.glob("*.csv")):
            z.write(csv, csv.name)
    zipped = importer.preview_dataset(archive)
    assert zipped.ok and zipped.changes == 0 and zipped.mutuals_affected.empty
    for table, frame in preview.frames.items():
        pd.testing.assert_frame_equal(zipped.frames[table], frame)
    assert counts(zipped)["engagement"] == (0, 0, 0, 9)


def test_tables_append_a_survey_wave(home, tmp_path):
    wave = [{"mutual_id": m, "survey_date": "01/07/2026", "phase": "spun_out", "staff_group": "All staff",
             "eligible_staff": "40", "respondents": "20", "motivation": "7", "involvement": "7", "advocacy": "7"}
            for m in ("M1", "M2")]
    handmade.write_csvs(tmp_path, {"engagement": wave})
    preview = importer.preview_tables(tmp_path / "engagement.csv", mode="append")
    assert preview.ok, preview.report.text()
    assert counts(preview)["engagement"] == (2, 0, 0, 9) and preview.changes == 2
    assert any("DD/MM/YYYY" in n for n in preview.normalisations)
    assert len(preview.frames["engagement"]) == 11 and "2026-07-01" in set(preview.frames["engagement"]["survey_date"])
    assert preview.mutuals_affected.to_dict("records") == [
        {"mutual_id": "M1", "name": "Alpha Community Health CIC", "tables": "engagement"},
        {"mutual_id": "M2", "name": "Beta Leisure Trust", "tables": "engagement"}]


def test_tables_replace_a_mutuals_financials(home, tmp_path):
    # M1's accounts restated: 2025 changed, 2026 unchanged, a new 2024 year; M1 had 2 rows of 4.
    rows = copy.deepcopy([r for r in handmade.TABLES["financials"] if r["mutual_id"] == "M1"])
    rows[0]["expenditure"] = "£9,900,000"
    rows.append({**rows[1], "year_end": "2024-03-31"})
    handmade.write_csvs(tmp_path, {"financials": rows})
    preview = importer.preview_tables(tmp_path / "financials.csv", mode="replace", tables=["financials"])
    assert preview.ok, preview.report.text()
    assert counts(preview)["financials"] == (1, 1, 0, 3)  # M2 and M3 kept; M1: one added, one changed, one same
    assert counts(preview)["mutuals"] == (0, 0, 0, 6)
    assert list(preview.mutuals_affected["mutual_id"]) == ["M1"]
    assert preview.mutuals_affected["tables"].tolist() == ["financials"]
    m1 = preview.frames["financials"].query("mutual_id == 'M1' and year_end == '2025-03-31'")
    assert m1["expenditure"].tolist() == ["9900000"]  # money normalised
    # Appending the same rows instead repeats M1's keys: reported in the file, pointing at the active row.
    again = importer.preview_tables(tmp_path / "financials.csv", mode="append")
    assert not again.ok
    assert [(p.file, p.row, p.column) for p in again.report.problems] == [
        ("financials.csv", 2, "mutual_id"), ("financials.csv", 3, "mutual_id")]
    assert "already used in the active dataset › financials.csv row 2" in again.report.problems[0].expected


def test_a_failing_import_reports_every_problem_and_changes_nothing(home, tmp_path):
    before = tree(home)
    bad = copy.deepcopy(handmade.TABLES)
    bad["contracts"].append({**bad["contracts"][0]})                              # duplicate key K1 (line 8)
    bad["financials"][0]["year_end"] = "03/04/24"                                 # ambiguous date (line 2)
    bad["relationship_reviews"][0]["commissioner_id"] = "C99"                     # unknown foreign key (line 2)
    handmade.write_csvs(tmp_path / "bad", bad)
    preview = importer.preview_dataset(tmp_path / "bad")
    assert not preview.ok
    found = {(p.file, p.row, p.column) for p in preview.report.problems}
    assert found == {("contracts.csv", 8, "contract_id"), ("financials.csv", 2, "year_end"),
                     ("relationship_reviews.csv", 2, "commissioner_id")}, preview.report.text()
    assert "duplicate key, already used on row 2" in preview.report.text()
    with pytest.raises(ValueError, match="3 problem"):
        importer.confirm(preview)
    # Tables into the active set: an unknown mutual in a new wave is a foreign-key problem of the upload.
    handmade.write_csvs(tmp_path / "wave", {"engagement": [{**handmade.TABLES["engagement"][0], "mutual_id": "M9",
                                                            "survey_date": "2026-07-01"}]})
    wave = importer.preview_tables(tmp_path / "wave" / "engagement.csv")
    assert [(p.file, p.row, p.column, p.value) for p in wave.report.problems] == [
        ("engagement.csv", 2, "mutual_id", "M9")]
    with pytest.raises(ValueError):
        importer.confirm(wave)
    assert tree(home) == before


def test_ocds_preview_links_by_identifier_and_waits_for_acceptance(tmp_path, monkeypatch):
    tables = copy.deepcopy(handmade.TABLES)
    tables["mutuals"][0].update(company_number="3229746")                     # APPELLO's number, other name
    tables["mutuals"][1].update(name="ONE YMCA LIMITED")                      # name only: proposed
    tables["commissioners"][0].update(name="Richmond Housing Partnership")    # APPELLO's buyer, by name
    monkeypatch.setenv("MUTUALS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MUTUALS_DATA_DIR", str(handmade.write_csvs(tmp_path / "data", tables)))
    files = [CF25 / f"{APPELLO}.json", CF25 / f"{YMCA}.json"]
    preview = importer.preview_ocds(files, as_of=date(2025, 1, 24))
    assert preview.kind == "ocds" and preview.ok and preview.sources == tuple(files)
    review = preview.review.set_index(["role", "name"])
    assert tuple(review.loc[("supplier", "APPELLO CARELINE LIMITED"), ["status", "candidate_id"]]) == ("linked", "M1")
    assert tuple(review.loc[("supplier", "One YMCA"), ["status", "candidate_id"]]) == ("proposed", "M2")
    assert len(preview.extracted) == 2 and len(preview.excluded) == 2  # both buyers still await acceptance
    assert preview.changes == 0 and len(preview.frames["contracts"]) == 6
    buyer = review.loc[("buyer", "RICHMOND HOUSING PARTNERSHIP LIMITED"), "match_key"]
    accepted = importer.preview_ocds(files, accepted={buyer}, as_of=date(2025, 1, 24))
    assert accepted.ok, accepted.report.text()
    contracts = accepted.frames["contracts"].set_index("contract_id")
    row = contracts.loc[f"{APPELLO}/{APPELLO}-1/1"]
    assert (row["mutual_id"], row["commissioner_id"], row["start_date"], row["end_date"], row["outcome"]) == (
        "M1", "C1", "2024-09-01", "2026-08-31", "active")
    assert counts(accepted)["contracts"] == (1, 0, 0, 6)
    assert accepted.mutuals_affected["mutual_id"].tolist() == ["M1"]
    assert (contracts["mutual_id"] == "M2").sum() == 1  # One YMCA: a name match, never linked unaccepted


def test_readers_keep_the_old_version_while_an_import_runs(home, monkeypatch, tmp_path):
    old_path = versions.resolve(settings.db_path())
    old = Database(old_path)
    started, release = threading.Event(), threading.Event()
    publish = versions.publish

    def slow_publish(*args, **kwargs):  # the import pauses inside its build until the readers have queried
        started.set()
        release.wait(30)
        return publish(*args, **kwargs)

    monkeypatch.setattr(versions, "publish", slow_publish)
    tables = copy.deepcopy(handmade.TABLES)
    tables["dataset_info"] = [*tables["dataset_info"], {"key": "name", "value": "Second"}]
    preview = importer.preview_dataset(handmade.write_csvs(tmp_path, tables))
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(manifest=importer.confirm(preview)))
    thread.start()
    try:
        assert started.wait(30)
        answers = [old.query("dataset_info") for _ in range(5)]
        assert settings.db_path() == old_path.with_name("mutuals.duckdb")  # still the old version
    finally:
        release.set()
        thread.join(60)
    new = result["manifest"]
    assert all(len(a) == 2 for a in answers) and len(old.query("dataset_info")) == 2  # the old file still answers
    old.close()
    assert new.version in str(settings.db_path()) and settings.dataset_source() == f"workspace:{new.version}"
    with Database(versions.resolve(settings.db_path())) as db:
        assert "Second" in set(db.query("dataset_info")["value"])
    workspace.activate(new.parent)  # leave the module's workspace as it was
