"""The command line, as analysts script against it, and the README that documents it."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mutuals.cli import main
from mutuals.services.indicators import output_columns

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mutuals", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_indicators_csv_has_every_column(handmade_dir, tmp_path, capsys):
    assert main(["indicators", "--data", str(handmade_dir), "--db", str(tmp_path / "m.duckdb")]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(frame.columns) == output_columns()
    assert frame["mutual_id"].tolist() == ["M1", "M2", "M3", "M4", "M5"]
    assert frame.set_index("mutual_id").loc["M2", "overall_status"] == "at_risk"


def test_indicators_json_and_as_of(handmade_dir, tmp_path, capsys):
    db = str(tmp_path / "m.duckdb")
    assert main(["indicators", "--data", str(handmade_dir), "--db", db, "--format", "json",
                 "--as-of", "2019-01-01"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["mutual_id"] for r in rows] == ["M1", "M2", "M3"]
    assert rows[0]["engagement_score"] == pytest.approx(8.1)
    assert rows[1]["engagement_score"] is None  # no wave yet


def test_bad_as_of_is_rejected():
    result = run_cli("indicators", "--as-of", "31/12/2025")
    assert result.returncode == 2
    assert "expected a date as YYYY-MM-DD" in result.stderr


def test_build_failure_exit_code_and_message(handmade_dir, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in handmade_dir.glob("*.csv"):
        (bad / f.name).write_text(f.read_text())
    text = (bad / "mutuals.csv").read_text().replace("2014-04-01", "April 2014", 1)
    (bad / "mutuals.csv").write_text(text)
    result = run_cli("build", "--data", str(bad), "--db", str(tmp_path / "x.duckdb"))
    assert result.returncode == 1
    assert "mutuals.csv, row 2 (line 3), column 'spin_out_date': expected a date (YYYY-MM-DD), got 'April 2014'" \
        in result.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_generate_is_deterministic_through_the_cli(tmp_path):
    for out in ("a", "b"):
        assert run_cli("generate", "--mutuals", "12", "--seed", "5", "--out", str(tmp_path / out)).returncode == 0
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "mutuals.csv" in files and "dataset_info.csv" in files
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)


def test_readme_quick_start_and_commands():
    """The README's two set-up commands and every CLI subcommand are documented as they are."""
    readme = (ROOT / "README.md").read_text()
    assert "python -m pip install -r requirements.txt && streamlit run dashboard.py" in readme
    test_lines = [line for line in readme.splitlines() if line.startswith("python -m pip install") and "pytest" in line]
    assert len(test_lines) == 1  # .ci/run runs exactly this line
    assert test_lines[0] in (ROOT / ".ci" / "run").read_text() or "grep -m1" in (ROOT / ".ci" / "run").read_text()
    from mutuals.cli import parser

    commands = parser()._subparsers._group_actions[0].choices
    for name in commands:
        assert re.search(rf"python -m mutuals {name}\b", readme), name


def test_requirements_are_pinned():
    lines = [row.strip() for row in (ROOT / "requirements.txt").read_text().splitlines()
             if row.strip() and not row.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][A-Za-z0-9.]*", row) for row in lines), lines
