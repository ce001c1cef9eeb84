"""The derived tables built with the database for the explorer (issue 11): ``indicator_panel`` and
``survival_events``, on the hand-made data set (tests/fixtures/handmade.py).

The panel at a 31 March must equal ``python -m mutuals indicators --as-of`` on that date: it is the same SQL
with the same settings, so every indicator value agrees (the CLI prints floats with ``%.10g``).
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from mutuals.infra.db import connect
from mutuals.rules import load_rules
from tests.fixtures import handmade

ROOT = Path(__file__).resolve().parents[1]
D = date.fromisoformat(handmade.DATA_DATE)


@pytest.fixture(scope="module")
def panel(handmade_db) -> pd.DataFrame:
    frame = handmade_db.query("explorer_panel", scope=None)
    return frame.assign(panel_date=pd.to_datetime(frame["panel_date"]).dt.date)


@pytest.fixture(scope="module")
def cli_paths(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("panel_cli")
    return handmade.write_csvs(folder / "csv"), folder / "cli.duckdb"


def run_cli(cli_paths: tuple[Path, Path], as_of: str) -> pd.DataFrame:
    data, db = cli_paths
    done = subprocess.run([sys.executable, "-m", "mutuals", "indicators", "--as-of", as_of, "--data", str(data),
                           "--db", str(db)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return pd.read_csv(io.StringIO(done.stdout))


def same(panel_value, cli_value) -> bool:
    """Equal at the CLI's precision (``%.10g``), or both missing."""
    missing_p = panel_value is None or (isinstance(panel_value, float) and math.isnan(panel_value))
    missing_c = pd.isna(cli_value)
    if missing_p or missing_c:
        return missing_p and missing_c
    printed = float(f"{float(panel_value):.10g}")
    return math.isclose(printed, float(cli_value), rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("as_of", ["2025-03-31", "2020-03-31"])
def test_panel_equals_the_indicators_cli(panel, cli_paths, as_of):
    cli = run_cli(cli_paths, as_of).set_index("mutual_id")
    day = date.fromisoformat(as_of)
    rows = panel[panel["panel_date"] == day].set_index("mutual_id")
    assert len(rows)
    # the panel holds the mutuals in transition or trading on that day, the CLI every visible one
    assert set(rows.index) == set(cli.index[cli["stage"] != "ceased"])
    columns = load_rules().columns
    assert set(columns) <= set(rows.columns) and set(columns) <= set(cli.columns)
    compared = 0
    for mutual_id, row in rows.iterrows():
        assert row["stage"] == cli.at[mutual_id, "stage"]
        assert bool(row["early_peak"]) == (str(cli.at[mutual_id, "early_peak"]).lower() == "true")
        for column in columns:
            value = row[column]
            value = None if pd.isna(value) else float(value)
            assert same(value, cli.at[mutual_id, column]), (mutual_id, column, value, cli.at[mutual_id, column])
            compared += value is not None
    assert compared >= 10  # real values were compared, not only blanks


def test_panel_dates_are_31_march(panel):
    assert {(d.month, d.day) for d in panel["panel_date"]} == {(3, 31)}
    assert max(panel["panel_date"]) == date(2026, 3, 31)  # the last on or before the data date


def test_ceased_mutuals_leave_the_panel_when_they_cease(panel):
    ceased = {r["mutual_id"]: date.fromisoformat(r["ceased_date"]) for r in handmade.TABLES["mutuals"]
              if r["status"] == "ceased"}
    assert ceased == {"M3": date(2020, 6, 30)}
    for mutual_id, day in ceased.items():
        dates = panel.loc[panel["mutual_id"] == mutual_id, "panel_date"]
        assert len(dates) and max(dates) < day
        assert max(dates) == date(2020, 3, 31)  # still trading on the last 31 March before it ceased
    assert set(panel["stage"]) <= {"trading", "pre_spin_out"}


def test_mutuals_not_yet_visible_are_not_in_the_panel(panel):
    # M4's options appraisal starts 2026-01-01 (first 31 March: 2026-03-31); M6 is not visible before 2027
    assert "M6" not in set(panel["mutual_id"])
    m4 = panel[panel["mutual_id"] == "M4"]
    assert list(m4["panel_date"]) == [date(2026, 3, 31)]
    assert list(m4["stage"]) == ["pre_spin_out"] and list(m4["years_since_spin_out"]) == [-1]


@pytest.mark.parametrize(("mutual_id", "day", "years"), [
    ("M1", "2011-03-31", -2),   # spin-out 2012-04-01, options appraisal 2011-01-01
    ("M1", "2012-03-31", -1),   # the day before spin-out: the year before
    ("M1", "2013-03-31", 0),    # a day short of a whole year
    ("M1", "2025-03-31", 12),
    ("M2", "2015-03-31", 0),    # spin-out 2014-04-01
    ("M2", "2026-03-31", 11),
    ("M3", "2013-03-31", -1),   # spin-out 2013-04-01
    ("M3", "2020-03-31", 6),
    ("M5", "2021-03-31", 0),    # spin-out 2020-04-01
])
def test_years_since_spin_out(panel, mutual_id, day, years):
    row = panel[(panel["mutual_id"] == mutual_id) & (panel["panel_date"] == date.fromisoformat(day))]
    assert len(row) == 1
    assert int(row["years_since_spin_out"].iloc[0]) == years


def test_survival_events_hold_first_parent_loss_and_ceased_date(handmade_db_path):
    con = connect(handmade_db_path)
    try:
        events = con.execute("SELECT * FROM survival_events ORDER BY mutual_id").df().set_index("mutual_id")
    finally:
        con.close()
    assert set(events.index) == {r["mutual_id"] for r in handmade.TABLES["mutuals"]}
    m3 = events.loc["M3"]
    assert pd.Timestamp(m3["spin_out_date"]).date() == date(2013, 4, 1)
    assert pd.Timestamp(m3["ceased_date"]).date() == date(2020, 6, 30)
    assert pd.Timestamp(m3["parent_loss_date"]).date() == date(2019, 3, 31)  # K6, lost at re-tender
    assert bool(m3["has_parent"])
    # M1's contracts with its parent (C2) were renewed or are active: no loss; nobody else ceased
    assert pd.isna(events.at["M1", "parent_loss_date"]) and pd.isna(events.at["M1", "ceased_date"])
    assert events["ceased_date"].notna().sum() == 1


def test_survival_query_for_the_ceased_mutual(handmade_db):
    rows = handmade_db.query("explorer_survival", as_of=D, scope=None)
    m3 = rows[rows["mutual_id"] == "M3"].set_index("event")
    assert pd.Timestamp(m3.at["ceasing", "stop"]).date() == date(2020, 6, 30)
    assert bool(m3.at["ceasing", "observed"])
    assert pd.Timestamp(m3.at["parent_contract_loss", "stop"]).date() == date(2019, 3, 31)
    assert bool(m3.at["parent_contract_loss", "observed"])
    # not yet spun out on D (M4) or not visible (M6): not followed
    assert not {"M4", "M6"} & set(rows["mutual_id"])
    # a still-trading mutual is censored at D
    m1 = rows[(rows["mutual_id"] == "M1") & (rows["event"] == "ceasing")]
    assert pd.Timestamp(m1["stop"].iloc[0]).date() == D and not bool(m1["observed"].iloc[0])
