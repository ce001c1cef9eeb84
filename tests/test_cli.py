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
    text = capsys.readouterr().out
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).set_index("mutual_id")
    assert ["mutual_id"] + list(frame.columns) == output_columns()
    assert list(frame.index) == ["M1", "M2", "M3", "M4", "M5"]
    # New columns: evidence dates and staleness for the ten dated indicators, the four area statuses.
    for c in ("plan_delivery", "engagement_score", "parent_income_share", "relationship_rating", "income_growth"):
        assert f"{c}_evidence_date" in frame and f"{c}_stale" in frame, c
    assert "months_since_strategy_session_evidence_date" not in frame
    assert {f"{a}_status" for a in ("leadership", "engagement", "relationship", "finance")} <= set(frame.columns)
    m1, m2, m3 = frame.loc["M1"], frame.loc["M2"], frame.loc["M3"]
    assert m1["plan_delivery_evidence_date"] == "2026-03-31" and m1["response_rate_evidence_date"] == "2025-10-01"
    assert m1["relationship_rating_evidence_date"] == "2026-02-15" and m1["plan_delivery_stale"] == "False"
    assert m2["plan_delivery_evidence_date"] == ""  # no plan: no date
    # M3's financial year ending 2020-03-31 is over 24 months before D = 2026-06-30: stale, value kept.
    assert m3["parent_income_share_evidence_date"] == "2020-03-31"
    assert float(m3["parent_income_share"]) == pytest.approx(1.0)
    assert (m3["parent_income_share_stale"], m3["parent_income_share_status"]) == ("True", "no_data")
    assert m3["income_growth_stale"] == "False"  # null (one year only): never stale
    assert [m1[f"{a}_status"] for a in ("leadership", "engagement", "relationship", "finance")] == [
        "green", "amber", "amber", "green"]
    assert (m1["overall_status"], m2["overall_status"], frame.loc["M5", "overall_status"]) == (
        "watch", "at_risk", "sustainable")
    assert "re-tender cliff" in m2["overall_reasons"].lower()


def test_indicators_json_and_as_of(handmade_dir, tmp_path, capsys):
    db = str(tmp_path / "m.duckdb")
    assert main(["indicators", "--data", str(handmade_dir), "--db", db, "--format", "json",
                 "--as-of", "2019-01-01"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["mutual_id"] for r in rows] == ["M1", "M2", "M3"]
    assert list(rows[0]) == output_columns()
    assert rows[0]["engagement_score"] == pytest.approx(8.1)
    # The 2012-01-15 wave is over 24 months before 2019-01-01 (2014-01-15 < D): stale, so no_data
    # (it was green before staleness); the value and its date are still given.
    assert rows[0]["engagement_score_evidence_date"][:10] == "2012-01-15"
    assert rows[0]["engagement_score_stale"] is True and rows[0]["engagement_score_status"] == "no_data"
    assert rows[0]["parent_income_share_evidence_date"] is None  # no financial year by then
    assert rows[0]["parent_income_share_stale"] is False
    assert rows[1]["engagement_score"] is None  # no wave yet
    assert rows[1]["engagement_score_evidence_date"] is None and rows[1]["engagement_score_stale"] is False


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
    venv = "python3 -m venv .venv && .venv/bin/python -m pip install -r requirements.txt && .venv/bin/python -m "
    assert venv + "streamlit run dashboard.py" in readme
    test_lines = [line for line in readme.splitlines() if line.startswith("python3 -m venv") and "pytest" in line]
    assert test_lines == [venv + "pytest -n 2"]
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
