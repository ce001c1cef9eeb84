"""queries/indicators.sql and queries/data_date.sql on the hand-made fixture.

Every expected value below is worked out by hand from tests/fixtures/handmade.py
(D = 2026-06-30, months = days / 30.4375). Evidence is stale when its date plus 24
calendar months is before D (so anything dated before 2024-06-30 on D).
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from mutuals.services.indicators import compute_indicators, data_date, indicator_params
from tests.conftest import build_tables

D = date(2026, 6, 30)


def approx(value):
    return pytest.approx(value, rel=1e-9, abs=1e-9)


def row(frame: pd.DataFrame, mutual_id: str) -> dict:
    return frame.set_index("mutual_id").loc[mutual_id].to_dict()


def isnull(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


@pytest.fixture(scope="module")
def at_d(handmade_db):
    return compute_indicators(handmade_db)


def test_data_date_is_latest_event(handmade_db):
    # The latest event is M1's innovation idea on 2026-06-30; contract ends (2028) never count.
    assert data_date(handmade_db) == D


def test_mutuals_that_appear(at_d):
    # M6's options appraisal is 2027-01-01, after D.
    assert list(at_d["mutual_id"]) == ["M1", "M2", "M3", "M4", "M5"]
    assert dict(zip(at_d["mutual_id"], at_d["stage"])) == {
        "M1": "trading", "M2": "trading", "M3": "ceased", "M4": "pre_spin_out", "M5": "trading"}


def test_leadership_m1(at_d):
    r = row(at_d, "M1")
    assert r["plan_delivery"] == approx(11_000_000 / 12_000_000)  # FY2026: 11m actual vs 12m plan
    assert r["non_parent_share_vs_plan"] == approx((1 - 7 / 11) - 0.4)  # −0.0364
    assert r["months_since_strategy_session"] == approx(171 / 30.4375)  # 2026-01-10 → 2026-06-30
    assert (r["plan_delivery_status"], r["non_parent_share_vs_plan_status"],
            r["months_since_strategy_session_status"]) == ("amber", "amber", "green")


def test_engagement_m1(at_d):
    r = row(at_d, "M1")
    # 2025-10-01: (48 × 7.2 + 32 × 7.5) / 80 = 7.32
    assert r["engagement_score"] == approx(7.32)
    # peak: 2012-01-15 transition (50 × 8.2 + 10 × 7.6) / 60 = 8.1
    assert r["peak_score"] == approx(8.1)
    assert r["peak_phase"] == "transition"
    assert r["engagement_change_from_peak"] == approx(7.32 - 8.1)
    assert bool(r["early_peak"]) is True
    assert r["response_rate"] == approx(80 / 200)
    # staff + embedded in (2025-06-30, 2026-06-30]: 2025-09-01 and 2026-05-01 → 2 × 100 / 200
    assert r["innovations_per_100_staff"] == approx(1.0)
    assert r["member_share"] == approx(0.6)
    assert [r[c + "_status"] for c in ("engagement_score", "engagement_change_from_peak", "response_rate",
                                       "innovations_per_100_staff", "member_share")] == [
        "green", "red", "amber", "amber", "green"]


def test_relationship_m1(at_d):
    r = row(at_d, "M1")
    assert r["parent_income_share"] == approx(7 / 11)
    # active on D: K2 7m (C2), K3 1m (C1, ends exactly on D), K4 2m (C3)
    assert r["active_contract_value"] == approx(10_000_000)
    assert r["largest_commissioner_share"] == approx(0.7)
    assert r["main_contract_id"] == "K2"
    assert r["months_to_main_contract_end"] == approx(274 / 30.4375)  # 2026-06-30 → 2027-03-31
    assert r["value_ending_12m_share"] == approx(0.8)  # K2 + K3 end by 2027-06-30
    assert r["months_since_relationship_review"] == approx(135 / 30.4375)  # 2026-02-15 → 2026-06-30
    assert r["relationship_rating"] == approx(3.5)  # mean of 4 and 3 on 2026-02-15
    assert [r[c + "_status"] for c in ("parent_income_share", "largest_commissioner_share",
                                       "months_to_main_contract_end", "value_ending_12m_share",
                                       "months_since_relationship_review", "relationship_rating")] == [
        "amber", "amber", "red", "red", "green", "amber"]


def test_finance_m1(at_d):
    r = row(at_d, "M1")
    assert r["reserves_months"] == approx(1_815_000 / (10_890_000 / 12))  # 2.0
    assert r["surplus_margin"] == approx(0.01)  # boundary: green
    assert r["income_growth"] == approx(0.1)
    assert (r["reserves_months_status"], r["surplus_margin_status"], r["income_growth_status"]) == (
        "amber", "green", "green")


def test_evidence_dates_m1(at_d):
    r = row(at_d, "M1")
    # plan year and latest financial year: FY ending 2026-03-31 (FY2027 has a plan but no actuals)
    for c in ("plan_delivery", "non_parent_share_vs_plan", "parent_income_share", "reserves_months",
              "surplus_margin", "income_growth"):
        assert r[f"{c}_evidence_date"] == pd.Timestamp("2026-03-31"), c
    # latest survey wave 2025-10-01; latest review date 2026-02-15
    for c in ("engagement_score", "engagement_change_from_peak", "response_rate"):
        assert r[f"{c}_evidence_date"] == pd.Timestamp("2025-10-01"), c
    assert r["relationship_rating_evidence_date"] == pd.Timestamp("2026-02-15")
    # all well inside 24 months of D
    stale = [c for c in at_d.columns if c.endswith("_stale")]
    assert len(stale) == 10 and not any(r[c] for c in stale)


def test_overall_m1_watch(at_d):
    r = row(at_d, "M1")
    # ambers: plan, non-parent, response, innovations, parent, largest, rating, reserves
    assert (r["reds"], r["ambers"]) == (3, 8)
    # Signals: plan amber (plan delivery and non-parent, both amber, count once), reflection green
    # -> leadership green. Engagement signal red (change from peak), voice amber, innovation amber,
    # ownership green -> engagement amber (1 red signal). Dependency amber, contract horizon red,
    # relationship care amber -> relationship amber (1 red signal). Reserves amber, margin and growth
    # green -> finance green (1 amber signal).
    assert (r["plan_signal_status"], r["engagement_signal_status"], r["contract_horizon_signal_status"],
            r["dependency_signal_status"]) == ("amber", "red", "red", "amber")
    assert [r[f"{a}_status"] for a in ("leadership", "engagement", "relationship", "finance")] == [
        "green", "amber", "amber", "green"]
    # No red area, no cliff (parent share amber), 2 amber areas -> watch. (It was "concern" under
    # the old count-the-reds ladder; the change is the new roll-up, not staleness.)
    assert r["overall_status"] == "watch"
    assert isinstance(r["overall_reasons"], tuple)
    reasons = "; ".join(r["overall_reasons"])
    assert "Engagement" in reasons and "Relationship" in reasons
    assert "contract horizon" in reasons and "cliff" not in reasons.lower()


def test_zero_expenditure_no_plan_small_wave_m2(at_d):
    r = row(at_d, "M2")
    assert isnull(r["reserves_months"]) and r["reserves_months_status"] == "no_data"  # expenditure 0
    assert r["surplus_margin"] == approx(1.0)
    assert isnull(r["income_growth"])  # only one financial year
    assert isnull(r["plan_delivery"]) and r["plan_delivery_status"] == "no_data"  # no plan
    assert isnull(r["months_since_strategy_session"])
    # a wave of 10 respondents (< 11): suppressed, but the response rate is still known
    assert isnull(r["engagement_score"]) and isnull(r["engagement_change_from_peak"])
    assert r["engagement_score_status"] == "no_data"
    assert r["response_rate"] == approx(10 / 50)
    assert bool(r["early_peak"]) is False
    assert r["months_to_main_contract_end"] == approx(215 / 30.4375)
    assert r["parent_income_share"] == approx(0.9)
    # Evidence: the suppressed wave still dates the survey indicators; no plan and no review: no date.
    assert r["engagement_score_evidence_date"] == pd.Timestamp("2025-11-01")
    assert r["response_rate_evidence_date"] == pd.Timestamp("2025-11-01")
    assert r["reserves_months_evidence_date"] == pd.Timestamp("2026-03-31")  # value null, year still dated
    assert isnull(r["plan_delivery_evidence_date"]) and isnull(r["relationship_rating_evidence_date"])
    assert not r["engagement_score_stale"] and not r["reserves_months_stale"]  # null values are never stale
    # Engagement: voice (response 20%), innovation (0) and ownership (20%) red -> red. Relationship:
    # dependency red (0.9, 1.0) and contract horizon red (7.1 months, 100%) -> red. Leadership no_data;
    # finance green (only the margin, 100%, is rated).
    assert [r[f"{a}_status"] for a in ("leadership", "engagement", "relationship", "finance")] == [
        "no_data", "red", "red", "green"]
    assert r["overall_status"] == "at_risk"  # the re-tender cliff, and 2 red areas
    assert "re-tender cliff" in "; ".join(r["overall_reasons"]).lower()
    assert any("Engagement" in reason for reason in r["overall_reasons"])


def test_min_respondents_is_a_parameter(handmade_db):
    frame = compute_indicators(handmade_db, min_respondents=10)
    # (6 × 6.0 + 4 × 7.5) / 10 = 6.6
    assert row(frame, "M2")["engagement_score"] == approx(6.6)


def test_ceased_pre_spin_out_and_empty(at_d):
    m3 = row(at_d, "M3")
    assert m3["overall_status"] == "ceased"
    assert "30 Jun 2020" in "; ".join(m3["overall_reasons"])
    # M3's only financial year ends 2020-03-31: + 24 months = 2022-03-31 < D, so its finance is
    # stale: the values are kept, the statuses are no_data (parent share 1.0 was red, reserves
    # -100k / (3.3m / 12) = -0.36 months red, surplus -0.1 red before staleness).
    assert m3["parent_income_share"] == approx(1.0)
    assert m3["reserves_months"] == approx(-100_000 / (3_300_000 / 12))
    assert m3["surplus_margin"] == approx(-0.1)
    for c in ("parent_income_share", "reserves_months", "surplus_margin"):
        assert m3[f"{c}_evidence_date"] == pd.Timestamp("2020-03-31"), c
        assert m3[f"{c}_stale"] and m3[f"{c}_status"] == "no_data", c
    assert isnull(m3["income_growth"]) and not m3["income_growth_stale"]  # one year only: null, not stale
    assert m3["finance_status"] == "no_data"
    m4 = row(at_d, "M4")
    assert m4["overall_status"] == "pre_spin_out"
    assert m4["engagement_score"] == approx(8.0) and bool(m4["early_peak"]) is False
    assert m4["engagement_score_evidence_date"] == pd.Timestamp("2026-03-01")
    m5 = row(at_d, "M5")  # no data at all
    statuses = {c: v for c, v in m5.items() if c.endswith("_status") and c != "overall_status"}
    assert statuses.pop("innovations_per_100_staff_status") == "red"  # 0 staff innovations recorded
    assert statuses.pop("innovation_signal_status") == "red"
    assert statuses.pop("engagement_status") == "amber"  # one red signal
    assert set(statuses.values()) == {"no_data"}
    assert not any(v for c, v in m5.items() if c.endswith("_stale"))
    # No red area and one amber area -> sustainable (it was "watch" under the old ladder, where a
    # single red indicator made a watch; the change is the new roll-up, not staleness).
    assert m5["overall_status"] == "sustainable"


def test_contract_ending_exactly_on_d_then_the_day_after(handmade_db):
    on_d = row(compute_indicators(handmade_db, D), "M1")
    after = row(compute_indicators(handmade_db, date(2026, 7, 1)), "M1")
    assert on_d["active_contracts"] == 3
    assert after["active_contracts"] == 2  # K3 ended on 2026-06-30
    assert after["largest_commissioner_share"] == approx(7 / 9)


def test_earlier_as_of_date(handmade_db):
    frame = compute_indicators(handmade_db, date(2019, 1, 1))
    assert list(frame["mutual_id"]) == ["M1", "M2", "M3"]
    m3 = row(frame, "M3")
    assert m3["stage"] == "trading"  # ceased only on 2020-06-30
    m1 = row(frame, "M1")
    assert m1["engagement_score"] == approx(8.1)  # the 2012 wave is the latest by then
    assert m1["engagement_change_from_peak"] == approx(0.0)
    assert m1["response_rate"] == approx(60 / 150)
    # Stale: the 2012-01-15 wave + 24 months = 2014-01-15 < 2019-01-01, so the survey indicators keep
    # their values but are no_data (they were green, green and amber before staleness).
    for c in ("engagement_score", "engagement_change_from_peak", "response_rate"):
        assert m1[f"{c}_evidence_date"] == pd.Timestamp("2012-01-15"), c
        assert m1[f"{c}_stale"] and m1[f"{c}_status"] == "no_data", c
    assert m1["engagement_signal_status"] == "no_data" and m1["voice_signal_status"] == "no_data"
    assert isnull(m1["parent_income_share"])  # no financial year ≤ 2019-01-01
    assert isnull(m1["parent_income_share_evidence_date"]) and not m1["parent_income_share_stale"]


@pytest.mark.parametrize("field, values", [
    ("scope", ["M2", "M5"]),
    ("sectors", ["Health & Social Care"]),
    ("regions", ["South East"]),
])
def test_filters_and_scope(handmade_db, field, values):
    frame = compute_indicators(handmade_db, **{field: values})
    expected = {"scope": ["M2", "M5"], "sectors": ["M1", "M3"], "regions": ["M2", "M4"]}[field]
    assert list(frame["mutual_id"]) == expected


def test_commissioner_portfolio(handmade_db):
    # C1 spun out M3 and M5, and holds K3 with M1 (active on D)
    assert list(compute_indicators(handmade_db, commissioner="C1")["mutual_id"]) == ["M1", "M3", "M5"]
    later = compute_indicators(handmade_db, date(2026, 7, 1), commissioner="C1")
    assert list(later["mutual_id"]) == ["M3", "M5"]


def test_main_contract_ties_go_to_earliest_end(tmp_path):
    contracts = [
        {"contract_id": "T1", "mutual_id": "M1", "commissioner_id": "C2", "title": "A", "service_area": "x",
         "start_date": "2020-01-01", "end_date": "2028-06-30", "max_end_date": "", "annual_value": "500",
         "is_spin_out_contract": "false", "outcome": "active"},
        {"contract_id": "T2", "mutual_id": "M1", "commissioner_id": "C1", "title": "B", "service_area": "x",
         "start_date": "2020-01-01", "end_date": "2027-06-30", "max_end_date": "", "annual_value": "500",
         "is_spin_out_contract": "false", "outcome": "active"},
    ]
    with build_tables(tmp_path, {"contracts": contracts}) as db:
        r = row(compute_indicators(db, D), "M1")
    assert r["main_contract_id"] == "T2"
    assert r["months_to_main_contract_end"] == approx(365 / 30.4375)
    assert r["largest_commissioner_share"] == approx(0.5)


def test_staleness_boundary_on_the_fixture(handmade_db):
    # M1's latest financial year ends 2026-03-31: exactly 24 months old on 2028-03-31, stale the day after.
    # (Its 2025-10-01 wave is then stale too: 2027-10-01 < 2028-03-31.)
    on = row(compute_indicators(handmade_db, date(2028, 3, 31)), "M1")
    after = row(compute_indicators(handmade_db, date(2028, 4, 1)), "M1")
    assert on["income_growth_evidence_date"] == pd.Timestamp("2026-03-31")
    assert not on["income_growth_stale"] and on["income_growth_status"] == "green"  # 0.1
    assert not on["plan_delivery_stale"] and on["plan_delivery_status"] == "amber"
    assert after["income_growth_stale"] and after["income_growth_status"] == "no_data"
    assert after["plan_delivery_stale"] and after["reserves_months_stale"]
    assert on["engagement_score_stale"] and on["engagement_score_status"] == "no_data"


def test_indicator_params_defaults():
    params = indicator_params(D)
    assert params["min_respondents"] == 11 and params["days_per_month"] == 30.4375
    assert params["window_days"] == 365 and params["innovation_days"] == 365
    assert params["early_peak_max_change"] == -0.5
    assert params["early_peak_phases"] == ["options_appraisal", "transition"]
    assert params["scope"] is None and params["commissioner"] is None
    assert indicator_params(D, scope={"b", "a"})["scope"] == ["a", "b"]
