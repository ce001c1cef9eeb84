"""The backtest: its dates, its adverse-event definition and its pooling, on hand-counted fixtures."""

from __future__ import annotations

import json
import math
from datetime import date

import pandas as pd
import pytest

from mutuals.services import backtest as bt
from mutuals.services.backtest import run_backtest, wilson_interval
from tests.conftest import build_tables, override_rules

NO_ROWS: list[dict] = []


def mutual(mid: str, spin: str, status: str = "trading", ceased: str = "") -> dict:
    return {"mutual_id": mid, "name": f"Mutual {mid}", "sector": "Housing", "legal_form": "Community Benefit Society",
            "ownership_model": "employee-led", "region": "North West", "parent_commissioner_id": "C1",
            "options_appraisal_date": "", "spin_out_date": spin, "staff_count": "50", "member_share": "",
            "company_number": "", "charity_number": "", "status": status, "ceased_date": ceased}


def contract(cid: str, mid: str, start: str, end: str, value: float, outcome: str) -> dict:
    return {"contract_id": cid, "mutual_id": mid, "commissioner_id": "C1", "title": "Services",
            "service_area": "Housing", "start_date": start, "end_date": end, "max_end_date": "",
            "annual_value": str(value), "is_spin_out_contract": "false", "outcome": outcome}


# Five mutuals spun out on 2019-04-01; the data date is 2026-06-30 (B's review).
# A: main contract lost at re-tender on 2024-03-31, then ceased 2024-09-30.
# B: main contract active to 2029: never an event.
# C: main contract handed back on 2022-03-31; a smaller contract runs on to 2027.
# D: main contract renewed on 2021-03-31 (not adverse), then a new one to 2031.
# E: main contract expired 2021-12-31 (not adverse) and the mutual ceased that day.
EVENT_TABLES = {
    "mutuals": [mutual("A", "2019-04-01", "ceased", "2024-09-30"), mutual("B", "2019-04-01"),
                mutual("C", "2019-04-01"), mutual("D", "2019-04-01"),
                mutual("E", "2019-04-01", "ceased", "2021-12-31")],
    "contracts": [
        contract("A1", "A", "2019-04-01", "2024-03-31", 5e6, "lost_at_retender"),
        contract("B1", "B", "2019-04-01", "2029-03-31", 5e6, "active"),
        contract("C1", "C", "2019-04-01", "2022-03-31", 5e6, "handed_back"),
        contract("C2", "C", "2019-04-01", "2027-03-31", 1e6, "active"),
        contract("D1", "D", "2019-04-01", "2021-03-31", 5e6, "renewed"),
        contract("D2", "D", "2021-04-01", "2031-03-31", 5e6, "active"),
        contract("E1", "E", "2019-04-01", "2021-12-31", 5e6, "expired"),
    ],
    "financials": NO_ROWS, "plan_targets": NO_ROWS, "engagement": NO_ROWS, "strategy_sessions": NO_ROWS,
    "innovations": NO_ROWS,
    "relationship_reviews": [{"mutual_id": "B", "commissioner_id": "C1", "review_date": "2026-06-30",
                              "kind": "annual_contract_review", "rating": "4"}],
}

# Hand-counted: (as-of date, mutual) -> event kind ('' = no event). A mutual not listed is not trading.
EXPECTED = {
    ("2019-06-30", "A"): "", ("2019-06-30", "B"): "", ("2019-06-30", "C"): "handed_back",
    ("2019-06-30", "D"): "", ("2019-06-30", "E"): "ceased",
    ("2020-06-30", "A"): "", ("2020-06-30", "B"): "", ("2020-06-30", "C"): "handed_back",
    ("2020-06-30", "D"): "", ("2020-06-30", "E"): "ceased",
    ("2021-06-30", "A"): "lost_at_retender", ("2021-06-30", "B"): "", ("2021-06-30", "C"): "handed_back",
    ("2021-06-30", "D"): "", ("2021-06-30", "E"): "ceased",
    ("2022-06-30", "A"): "lost_at_retender and ceased", ("2022-06-30", "B"): "", ("2022-06-30", "C"): "",
    ("2022-06-30", "D"): "",
    ("2023-06-30", "A"): "lost_at_retender and ceased", ("2023-06-30", "B"): "", ("2023-06-30", "C"): "",
    ("2023-06-30", "D"): "",
}


@pytest.fixture()
def small_rules(tmp_path, monkeypatch):
    """The bundled rules with min_trading lowered to 3, so five mutuals can be backtested."""
    return override_rules(tmp_path, monkeypatch, [("min_trading = 20", "min_trading = 3")])


@pytest.fixture()
def event_db(tmp_path):
    db = build_tables(tmp_path, EVENT_TABLES)
    yield db
    db.close()


def test_wilson_interval_matches_published_values():
    # 1 of 4 at 95%: 0.046 to 0.699; 0 of 10: 0 to 0.278; 5 of 10: 0.237 to 0.763.
    assert wilson_interval(1, 4) == pytest.approx((0.0456, 0.6994), abs=5e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=5e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=5e-4)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_event_definition_and_dates(event_db, small_rules):
    result = run_backtest(event_db, 3)
    assert result.data_date == date(2026, 6, 30)
    # D0 − 1 and D0 − 2 years are dropped (their horizon ends after the data date); 2018 has no mutual.
    assert [d.isoformat() for d in result.dates] == ["2019-06-30", "2020-06-30", "2021-06-30", "2022-06-30",
                                                     "2023-06-30"]
    got = {(str(r["as_of"]), r["mutual_id"]): r["event_kind"] for r in result.rows.to_dict("records")}
    assert got == EXPECTED
    events = result.rows[result.rows["event"]]
    assert len(events) == 9 and result.events == 9 and result.trading == 23
    assert result.pooled_rate == pytest.approx(9 / 23)
    lost = result.rows[(result.rows["mutual_id"] == "A") & result.rows["event"]]
    assert set(lost["event_date"].dt.date) == {date(2024, 3, 31)}  # the contract end comes before the ceasing
    # Per date: n trading and n with an event, summed over statuses.
    per_date = result.by_date.groupby("as_of")[["trading", "events"]].sum()
    assert per_date["trading"].tolist() == [5, 5, 5, 4, 4]
    assert per_date["events"].tolist() == [2, 2, 3, 1, 1]


def test_a_shorter_horizon_counts_fewer_events(event_db, small_rules):
    result = run_backtest(event_db, 1)
    # Dates 2019…2025; within 1 year: C's hand-back (from 2021-06-30), E's ceasing (from 2021-06-30),
    # A's loss (from 2023-06-30; its ceasing is over a year later), and on 2024-06-30 A has no contract left but ceases within the year.
    got = {(str(r["as_of"]), r["mutual_id"]): r["event_kind"] for r in result.rows.to_dict("records") if r["event"]}
    assert got == {("2021-06-30", "C"): "handed_back", ("2021-06-30", "E"): "ceased",
                   ("2023-06-30", "A"): "lost_at_retender", ("2024-06-30", "A"): "ceased"}


def test_too_few_trading_mutuals_gives_an_empty_backtest(event_db):
    result = run_backtest(event_db)  # the bundled min_trading of 20 > 5 mutuals
    assert result.is_empty and result.trading == 0 and result.recall is None
    assert result.pooled["trading"].sum() == 0


def rated(day: str, rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """A rated frame: (mutual, overall status, main contract end, its outcome)."""
    return pd.DataFrame([{"mutual_id": m, "name": m, "stage": "trading", "overall_status": s, "ceased_date": pd.NaT,
                          "main_contract_end_date": pd.Timestamp(end), "main_contract_outcome": outcome}
                         for m, s, end, outcome in rows]).assign(as_of=pd.Timestamp(day))


def test_pooling_lift_and_recall(monkeypatch):
    """Two dates, hand-made statuses: pooled counts, rates, lift and recall worked by hand."""
    lost, fine = "lost_at_retender", "won_at_retender"
    first = rated("2020-03-31", [("m1", "at_risk", "2021-03-31", lost), ("m2", "at_risk", "2022-03-31", lost),
                                 ("m3", "concern", "2030-03-31", fine), ("m4", "watch", "2021-03-31", lost),
                                 ("m5", "sustainable", "2021-03-31", fine), ("m6", "sustainable", "2030-03-31", fine)])
    second = rated("2021-03-31", [("m1", "at_risk", "2024-03-31", lost), ("m3", "concern", "2022-03-31", lost),
                                  ("m5", "sustainable", "2024-03-31", lost), ("m6", "watch", "2030-03-31", fine)])
    monkeypatch.setattr(bt, "backtest_dates", lambda *a, **k: [(date(2020, 3, 31), first), (date(2021, 3, 31), second)])
    result = run_backtest(None, 3, data_day=date(2025, 3, 31))
    pooled = result.pooled.set_index("overall_status")
    # at_risk: m1 (2021 end, event), m2 (event), m1 again (2024-03-31 within 3 y of 2021-03-31: event) -> 3 of 3.
    # concern: m3 2020 (no), m3 2021 (event) -> 1 of 2.  watch: m4 (event), m6 (no) -> 1 of 2.
    # sustainable: m5 2020 (won: no), m6 (no), m5 2021 (2024-03-31: exactly D+3, included) -> 1 of 3.
    assert pooled.loc[["sustainable", "watch", "concern", "at_risk"], "trading"].tolist() == [3, 2, 2, 3]
    assert pooled.loc[["sustainable", "watch", "concern", "at_risk"], "events"].tolist() == [1, 1, 1, 3]
    assert result.trading == 10 and result.events == 6 and result.pooled_rate == pytest.approx(0.6)
    assert result.lift("at_risk") == pytest.approx(1.0 / 0.6)
    assert result.lift("concern") == pytest.approx(0.5 / 0.6)
    assert result.recall == pytest.approx(4 / 6)  # 3 at_risk + 1 concern of 6 events
    assert list(result.statuses) == ["sustainable", "watch", "concern", "at_risk"]
    assert (pooled.loc["at_risk", "low"], pooled.loc["at_risk", "high"]) == pytest.approx(wilson_interval(3, 3))


def test_cli_backtest_formats(event_db, small_rules, capsys):
    from mutuals.cli import main

    db = str(event_db.path)
    assert main(["backtest", "--db", db, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["events"] == 9 and payload["trading"] == 23 and len(payload["dates"]) == 5
    assert main(["backtest", "--db", db, "--format", "csv"]) == 0
    csv = capsys.readouterr().out.splitlines()
    assert csv[0] == "as_of,overall_status,trading,events,rate,low,high,lift"
    assert sum(1 for line in csv if line.startswith("pooled,")) == 4
    assert main(["backtest", "--db", db]) == 0
    text = capsys.readouterr().out
    assert "Pooled over all dates" in text and "Recall" in text and "9 of 23" in text
    assert main(["backtest", "--db", db, "--horizon-years", "0"]) == 2
