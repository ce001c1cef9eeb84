"""The import commands (issue 12): template, import, versions — run in-process through ``mutuals.cli.main``."""

from __future__ import annotations

import copy
import hashlib
import zipfile
from pathlib import Path

import pytest

from mutuals.cli import main
from mutuals.infra import workspace
from tests.fixtures import handmade


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("MUTUALS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MUTUALS_DATA_DIR", raising=False)
    monkeypatch.delenv("MUTUALS_DB", raising=False)
    return tmp_path / "home"


def test_templates_are_written(tmp_path, capsys):
    assert main(["template", "--format", "xlsx", "--out", str(tmp_path / "t.xlsx")]) == 0
    assert main(["template", "--format", "csv", "--out", str(tmp_path / "t.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "t.xlsx") as book:
        assert "xl/workbook.xml" in book.namelist()
    with zipfile.ZipFile(tmp_path / "t.zip") as archive:
        assert {"mutuals.csv", "contracts.csv", "dataset_info.csv", "README.txt"} <= set(archive.namelist())
    assert "wrote" in capsys.readouterr().err


def test_dry_run_prints_the_diff_and_makes_no_version(home, handmade_dir, capsys):
    assert main(["import", str(handmade_dir), "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "changes against the active dataset:" in out.out and "mutuals affected:" in out.out
    assert "dry run: no version made" in out.err
    assert "engagement" in out.out and "added" in out.out
    assert workspace.list_versions() == [] and not (home / "versions").exists()


def test_a_bad_set_exits_2_with_file_row_and_column(home, tmp_path, capsys):
    bad = copy.deepcopy(handmade.TABLES)
    bad["mutuals"][1]["staff_count"] = "fifty"
    bad["contracts"][2]["commissioner_id"] = "C42"
    handmade.write_csvs(tmp_path / "bad", bad)
    assert main(["import", str(tmp_path / "bad")]) == 2
    out = capsys.readouterr()
    assert "mutuals.csv, row 3, column 'staff_count': expected a whole number, got 'fifty'" in out.out
    assert "contracts.csv, row 4, column 'commissioner_id': expected a commissioner_id that is in " \
           "commissioners.csv" in out.out
    assert "2 problem(s)" in out.out and "import refused" in out.err
    assert workspace.list_versions() == []


def test_import_then_versions_list_use_and_rollback(home, handmade_dir, tmp_path, capsys):
    assert main(["import", str(handmade_dir), "--message", "first"]) == 0
    first = workspace.active().version
    assert f"version {first} is active" in capsys.readouterr().out
    # A new year of plan targets for M1 into the active dataset, as an XLSX sheet? A CSV is enough here.
    handmade.write_csvs(tmp_path / "plan", {"plan_targets": [
        {"mutual_id": "M1", "year_end": "2028-03-31", "planned_income": "14000000",
         "planned_non_parent_income": "5600000"}]})
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (home / "versions").rglob("*") if p.is_file()}
    assert main(["import", str(tmp_path / "plan" / "plan_targets.csv"), "--tables", "plan_targets",
                 "--mode", "append"]) == 0
    second = workspace.active().version
    out = capsys.readouterr().out
    assert second != first and f"version {second} is active" in out
    assert "plan_targets      1        0        0          3" in out
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() == h for p, h in before.items())  # never rewritten

    assert main(["versions", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith(f"* {second}  parent {first}") and listed[1].startswith(f"  {first}  parent -")
    assert "first" in listed[1]
    assert main(["versions", "rollback"]) == 0
    assert workspace.active().version == first and first in capsys.readouterr().out
    assert main(["versions", "use", second]) == 0
    assert workspace.active().version == second
    assert main(["versions", "use", "v9999-20000101T000000Z"]) == 1
    assert main(["versions", "rollback"]) == 0 and main(["versions", "rollback"]) == 1  # the first has no parent
    assert "no earlier version" in capsys.readouterr().err


def test_max_mb_caps_what_an_import_reads(home, handmade_dir, tmp_path, capsys):
    big = tmp_path / "big"
    big.mkdir()
    for csv in handmade_dir.glob("*.csv"):
        (big / csv.name).write_bytes(csv.read_bytes())
    (big / "notes.csv").write_bytes(b"note\n" + b"x" * (1024 * 1024 + 1) + b"\n")  # not a table: only its size counts
    assert main(["import", str(big), "--max-mb", "1", "--dry-run"]) == 2
    assert f"an upload of at most 1,048,576 bytes, got {sum(p.stat().st_size for p in big.iterdir()):,} bytes" \
        in capsys.readouterr().out  # in bytes, where megabytes would round alike
    assert main(["import", str(big), "--max-mb", "2", "--dry-run"]) == 0
    with pytest.raises(SystemExit):
        main(["import", str(big), "--max-mb", "0"])
    assert "expected a whole number of megabytes above 0" in capsys.readouterr().err
