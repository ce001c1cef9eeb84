"""Imported data sets as versions in a workspace (issue 12, part 1).

- An import becomes a new, immutable version with a manifest (sources' sha256, row counts, parent, synthetic,
  data date) and is activated by an atomic pointer swap; any version can be activated again, or rolled back.
- A CSV set that does not build changes nothing and leaves nothing behind.
- An import killed (SIGKILL) during validation, during the DuckDB build, before the manifest or just before
  the pointer swap leaves the previous version active and byte-identical; the next import cleans up.
- settings serves the active version unless MUTUALS_DATA_DIR / MUTUALS_DB say otherwise.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mutuals import settings
from mutuals.infra import versions, workspace
from mutuals.infra.csvread import BuildError
from mutuals.infra.db import DATA_DIR
from tests.fixtures import handmade

ROOT = Path(__file__).resolve().parents[1]
DATE_COLUMNS = {"financials": "year_end", "engagement": "survey_date", "strategy_sessions": "session_date",
                "innovations": "innovation_date", "relationship_reviews": "review_date", "contracts": "start_date"}


def write(folder: Path, **changes: list[dict]) -> Path:
    return handmade.write_csvs(folder, {**copy.deepcopy(handmade.TABLES), **changes})


def tree(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def strays(home: Path) -> list[str]:
    return sorted(p.name for p in home.iterdir() if p.name.startswith(".tmp-"))


def pointer(home: Path) -> str:
    return json.loads((home / "active.json").read_text())["version"]


class Seed:
    """A workspace with two imported versions (v1, then v2 with a name and not synthetic), built once."""

    def __init__(self, root: Path):
        self.home, self.inputs = root / "home", root / "in"
        upload = root / "upload.zip"
        upload.write_bytes(b"PK pretend zip")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(workspace.HOME_ENV, str(self.home))
            self.v1 = workspace.create_version(write(self.inputs / "v1"), sources=[upload],
                                               normalisations=["trimmed whitespace"], message="first")
            self.v1_active = workspace.active()
            self.v1_tree = tree(self.home / "versions" / self.v1.version)
            info = [{"key": "synthetic", "value": "false"}, {"key": "name", "value": "Our mutuals"}]
            self.v2 = workspace.create_version(write(self.inputs / "v2", dataset_info=info), sources=[],
                                               normalisations=[])


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Seed:
    return Seed(tmp_path_factory.mktemp("seed"))


@pytest.fixture
def home(seed, tmp_path, monkeypatch) -> Path:
    """A copy of the seeded workspace (modification times kept, so the databases stay ready) as MUTUALS_HOME."""
    for name in ("MUTUALS_DATA_DIR", "MUTUALS_DB", workspace.CRASH_ENV):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(seed.home, tmp_path / "home", symlinks=True)
    monkeypatch.setenv(workspace.HOME_ENV, str(tmp_path / "home"))
    return tmp_path / "home"


def test_versions_are_made_listed_switched_and_never_changed(seed, home):
    v1, v2 = seed.v1, seed.v2
    assert seed.v1_active == v1 and v1.active  # create_version returns the activated manifest
    assert v1.version.startswith("v0001-") and v1.parent is None and v1.message == "first"
    assert [(s.name, s.sha256, s.size) for s in v1.sources] == [
        ("upload.zip", hashlib.sha256(b"PK pretend zip").hexdigest(), 14)]
    assert v1.rows == {t: len(handmade.TABLES[t]) for t in handmade.TABLES}
    assert v1.normalisations == ("trimmed whitespace",) and v1.synthetic is True and v1.name is None
    assert v1.data_date == max(row[col] for t, col in DATE_COLUMNS.items() for row in handmade.TABLES[t])
    assert workspace.Manifest.from_json(v1.to_json()) == v1
    stored = json.loads((home / "versions" / v1.version / "manifest.json").read_text())
    assert stored["sources"][0]["sha256"] == v1.sources[0].sha256 and "active" not in stored

    assert v2.parent == v1.version and v2.version.startswith("v0002-") and v2.version > v1.version
    assert v2.synthetic is False and v2.name == "Our mutuals" and v2.sources == ()
    assert tree(home / "versions" / v1.version) == seed.v1_tree  # byte-identical after a later import
    assert workspace.active() == v2 and pointer(home) == v2.version
    csv_dir, db = workspace.active_paths()
    assert csv_dir == home / "versions" / v2.version / "csv" and db == csv_dir.parent / "mutuals.duckdb"
    assert sorted(p.stem for p in csv_dir.iterdir()) == sorted(handmade.TABLES)
    assert versions.peek(csv_dir, db) is not None  # the app finds the database ready: no rebuild
    listed = workspace.list_versions()
    assert [(m.version, m.active) for m in listed] == [(v2.version, True), (v1.version, False)]

    before = tree(home)
    assert workspace.activate(v1.version).version == v1.version and pointer(home) == v1.version
    assert workspace.active().version == v1.version
    workspace.activate(v2.version)
    assert workspace.rollback().version == v1.version and workspace.active().version == v1.version
    with pytest.raises(workspace.WorkspaceError, match="no earlier version"):
        workspace.rollback()
    with pytest.raises(workspace.WorkspaceError):
        workspace.activate("v0099-20260101T000000Z")
    changed = {k for k in {*before, *tree(home)} if before.get(k) != tree(home).get(k)}
    assert changed == {"active.json"} and strays(home) == []  # switching only ever replaces the pointer


def test_csvs_that_do_not_build_change_nothing(seed, home, tmp_path):
    before = tree(home)
    mutuals = copy.deepcopy(handmade.TABLES["mutuals"])
    bad = write(tmp_path / "bad", mutuals=[*mutuals, mutuals[0]])  # a duplicate key
    with pytest.raises(BuildError, match="duplicate key") as raised:
        workspace.create_version(bad, sources=[], normalisations=[])
    assert raised.value.file == bad / "mutuals.csv" and raised.value.row == len(mutuals) + 1  # the user's file
    assert workspace.active().version == seed.v2.version and strays(home) == []
    assert tree(home) == before and len(workspace.list_versions()) == 2


CRASH = """
import sys
from pathlib import Path
from mutuals.services import importer
importer.confirm(importer.preview_dataset(Path(sys.argv[1])))
"""  # the real import: read, validate and diff, write the CSVs, then the version's checked build
# What each killed import leaves: a .tmp- folder with (a finished database file, a half-written one), or for
# "swap" a complete version folder never confirmed.
LEFT = {"validate": (False, False), "build": (False, True), "manifest": (True, False), "swap": None}


def test_an_import_killed_at_any_point_leaves_the_previous_version(seed, home, tmp_path):
    """Each killed import also checks that it cleaned what the one before it left."""
    previous = seed.v2
    before = tree(home / "versions" / previous.version)
    renamed = copy.deepcopy(handmade.TABLES["mutuals"])
    renamed[0]["name"] = "Renamed CIC"
    new = write(tmp_path / "new", mutuals=renamed)
    left_before: list[str] = []
    for point, expected in LEFT.items():
        env = {**os.environ, workspace.CRASH_ENV: point, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", CRASH, str(new)], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == -signal.SIGKILL, (point, done.stderr)
        # Looked at without the workspace functions (they clean up).
        assert pointer(home) == previous.version, point
        assert tree(home / "versions" / previous.version) == before, point
        on_disk = sorted(p.name for p in (home / "versions").iterdir())
        assert not set(left_before) & set(strays(home)), point  # the earlier crash's folder is gone
        if expected is None:
            assert strays(home) == [] and len(on_disk) == 3 and max(on_disk) > previous.version
            continue
        [tmp] = left_before = strays(home)
        assert on_disk == [seed.v1.version, previous.version], point
        left = sorted(str(p.relative_to(home / tmp)) for p in (home / tmp).rglob("*") if p.is_file())
        assert "csv/mutuals.csv" in left and "manifest.json" not in left, (point, left)
        built = any(n.startswith("mutuals-") and n.endswith(".duckdb") for n in left)
        half = any(n.startswith(".mutuals-") and ".tmp" in n for n in left)
        assert (built, half) == expected, (point, left)

    assert workspace.active().version == previous.version
    assert [m.version for m in workspace.list_versions()] == [previous.version, seed.v1.version]
    assert sorted(p.name for p in (home / "versions").iterdir()) == [seed.v1.version, previous.version]
    third = workspace.create_version(new, sources=[], normalisations=[])
    assert third.parent == previous.version and workspace.active().version == third.version
    assert tree(home / "versions" / previous.version) == before and strays(home) == []


def test_cleanup_never_touches_a_running_import(seed, home):
    running = home / ".tmp-running"
    running.mkdir()
    orphan = home / "versions" / "v0007-20260101T000000Z"  # renamed into place, never confirmed
    shutil.copytree(home / "versions" / seed.v1.version, orphan)
    with workspace._lock():  # as an import holds it
        assert workspace.cleanup() == [] and running.is_dir() and orphan.is_dir()
        assert [m.version for m in workspace.list_versions()] == [seed.v2.version, seed.v1.version]
    assert workspace.active().version == seed.v2.version  # any workspace call cleans up
    assert not running.exists() and not orphan.exists() and strays(home) == []


def test_settings_serve_the_active_version_unless_told_otherwise(seed, home, tmp_path, monkeypatch):
    v1, v2 = seed.v1, seed.v2
    assert settings.data_dir() == home / "versions" / v2.version / "csv"
    assert settings.db_path() == home / "versions" / v2.version / "mutuals.duckdb"
    assert settings.dataset_source() == f"workspace:{v2.version}"
    workspace.rollback()
    assert settings.data_dir() == home / "versions" / v1.version / "csv"  # the new pointer is seen at once
    assert settings.dataset_source() == f"workspace:{v1.version}"

    monkeypatch.setenv("MUTUALS_DATA_DIR", str(tmp_path / "mine"))
    assert settings.data_dir() == tmp_path / "mine" and settings.db_path() == tmp_path / "mine" / "mutuals.duckdb"
    assert settings.dataset_source() == "sample"
    monkeypatch.delenv("MUTUALS_DATA_DIR")
    monkeypatch.setenv("MUTUALS_DB", str(tmp_path / "x.duckdb"))
    assert settings.data_dir() == DATA_DIR and settings.db_path() == tmp_path / "x.duckdb"
    monkeypatch.delenv("MUTUALS_DB")
    monkeypatch.setenv(workspace.HOME_ENV, str(tmp_path / "empty"))  # no workspace: the bundled sample
    assert settings.data_dir() == DATA_DIR and settings.db_path() == DATA_DIR / "mutuals.duckdb"
    assert settings.dataset_source() == "sample"
