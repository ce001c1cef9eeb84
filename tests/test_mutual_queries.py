"""The per-mutual and sector queries on the hand-made fixture; expected values worked out by hand.

D = 2026-06-30; minimum respondents 11; months = days / 30.4375.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

D = date(2026, 6, 30)


def approx(v):
    return pytest.approx(v, rel=1e-9, abs=1e-9)


def by(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.assign(_k=frame[column].astype(str).str[:10]).set_index("_k")


def test_mutual_profile_and_scope(handmade_db):
    row = handmade_db.query("mutual_profile", mutual_id="M1", scope=None).iloc[0]
    assert (row["name"], row["parent_commissioner_name"], row["parent_commissioner_kind"]) == (
        "Alpha Community Health CIC", "Southmere ICB", "nhs")
    assert handmade_db.query("mutual_profile", mutual_id="M1", scope=["M2"]).empty
    assert handmade_db.query("mutual_profile", mutual_id="M404", scope=None).empty


def test_mutual_list(handmade_db):
    frame = handmade_db.query("mutual_list", scope=None)
    assert frame["mutual_id"].tolist() == ["M1", "M2", "M4", "M5", "M3", "M6"]  # by name
    assert handmade_db.query("mutual_list", scope=["M3", "M5"])["mutual_id"].tolist() == ["M5", "M3"]


def test_mutual_financials_with_plan(handmade_db):
    frame = by(handmade_db.query("mutual_financials", mutual_id="M1", as_of=D), "year_end")
    assert list(frame.index) == ["2025-03-31", "2026-03-31", "2027-03-31"]  # the last is a plan year only
    fy26 = frame.loc["2026-03-31"]
    assert fy26["income_total"] == approx(11_000_000)
    assert fy26["reserves_months"] == approx(2.0)
    assert fy26["surplus_margin"] == approx(0.01)
    assert fy26["income_growth"] == approx(0.1)
    assert fy26["non_parent_share"] == approx(4 / 11)
    assert fy26["planned_non_parent_share"] == approx(0.4)
    assert fy26["plan_delivery"] == approx(11 / 12)
    fy25 = frame.loc["2025-03-31"]
    assert pd.isna(fy25["income_growth"]) and fy25["reserves_months"] == approx(3.0)
    assert fy25["plan_delivery"] == approx(10 / 10.5)
    fy27 = frame.loc["2027-03-31"]
    assert pd.isna(fy27["income_total"]) and fy27["planned_income"] == approx(13_000_000)
    # zero expenditure: no reserves cover, not an error
    m2 = handmade_db.query("mutual_financials", mutual_id="M2", as_of=D).iloc[0]
    assert pd.isna(m2["reserves_months"]) and m2["surplus_margin"] == approx(1.0)
    # before the first year end there is nothing but the plan
    early = handmade_db.query("mutual_financials", mutual_id="M1", as_of=date(2024, 1, 1))
    assert early["income_total"].isna().all() and len(early) == 3


def test_mutual_waves_and_suppression(handmade_db):
    frame = by(handmade_db.query("mutual_waves", mutual_id="M1", as_of=D, min_respondents=11), "survey_date")
    assert list(frame.index) == ["2011-06-01", "2012-01-15", "2025-10-01"]
    w = frame.loc["2011-06-01"]
    assert w["engagement_score"] == approx(7.75)  # (60 × 8.0 + 20 × 7.0) / 80
    assert w["motivation"] == approx(7.75) and w["involvement"] == approx(7.375) and w["advocacy"] == approx(8.125)
    assert w["response_rate"] == approx(80 / 150) and w["phase"] == "options_appraisal"
    assert frame.loc["2012-01-15", "engagement_score"] == approx(8.1)
    assert frame.loc["2025-10-01", "engagement_score"] == approx(7.32)
    m2 = handmade_db.query("mutual_waves", mutual_id="M2", as_of=D, min_respondents=11).iloc[0]
    assert bool(m2["suppressed"]) and m2["respondents"] == 10
    assert pd.isna(m2["engagement_score"]) and pd.isna(m2["motivation"])
    assert m2["response_rate"] == approx(0.2)
    unsuppressed = handmade_db.query("mutual_waves", mutual_id="M2", as_of=D, min_respondents=10).iloc[0]
    assert unsuppressed["engagement_score"] == approx(6.6)


def test_engagement_groups_primary_and_secondary_suppression(handmade_db):
    frame = handmade_db.query("mutual_engagement_groups", mutual_id="M1", as_of=D, min_respondents=11)
    wave = frame[frame["survey_date"].astype(str).str.startswith("2012-01-15")].set_index("staff_group")
    # Support has 10 respondents (primary); Clinical would then give it away by subtraction (secondary)
    assert wave.loc["Support", "suppression"] == "primary"
    assert wave.loc["Clinical", "suppression"] == "secondary"
    assert wave["engagement_score"].isna().all() and wave["respondents"].isna().all()
    first = frame[frame["survey_date"].astype(str).str.startswith("2011-06-01")].set_index("staff_group")
    assert not first["suppressed"].any()
    assert first.loc["Clinical", "engagement_score"] == approx(8.0)
    assert first.loc["Support", "respondents"] == 20
    m2 = handmade_db.query("mutual_engagement_groups", mutual_id="M2", as_of=D, min_respondents=11)
    assert m2["suppression"].tolist() == ["primary", "primary"] and m2["motivation"].isna().all()


def test_sector_engagement_bands(handmade_db):
    frame = handmade_db.query("sector_engagement_bands", sector="Health & Social Care", as_of=D,
                              min_respondents=11, scope=None).set_index("survey_year")
    assert list(frame.index) == [2011, 2012, 2025]  # M1's waves; M3 has none
    assert frame.loc[2025, "median"] == approx(7.32) and frame.loc[2025, "q1"] == approx(7.32)
    assert frame["waves"].tolist() == [1, 1, 1]
    leisure = handmade_db.query("sector_engagement_bands", sector="Sports & Leisure", as_of=D,
                                min_respondents=11, scope=None)
    assert leisure.empty  # M2's only wave has 10 respondents


def test_sector_finance_medians(handmade_db):
    frame = by(handmade_db.query("sector_finance_medians", sector="Health & Social Care", as_of=D, scope=None),
               "year_end")
    assert list(frame.index) == ["2020-03-31", "2025-03-31", "2026-03-31"]
    assert frame.loc["2020-03-31", "reserves_months"] == approx(-100_000 / (3_300_000 / 12))  # M3
    assert frame.loc["2026-03-31", "income_growth"] == approx(0.1)
    assert frame["mutuals"].tolist() == [1, 1, 1]
    scoped = handmade_db.query("sector_finance_medians", sector="Health & Social Care", as_of=D, scope=["M3"])
    assert len(scoped) == 1


def test_mutual_contracts(handmade_db):
    frame = handmade_db.query("mutual_contracts", mutual_id="M1", as_of=D).set_index("contract_id")
    assert list(frame.index) == ["K1", "K2", "K3", "K4"]
    assert frame["active"].tolist() == [False, True, True, True]  # K3 ends exactly on D
    assert frame.loc["K2", "commissioner_name"] == "Southmere ICB"
    later = handmade_db.query("mutual_contracts", mutual_id="M1", as_of=date(2026, 7, 1))
    assert later["active"].tolist() == [False, True, False, True]


def test_mutual_sessions_innovations_reviews(handmade_db):
    sessions = handmade_db.query("mutual_sessions", mutual_id="M1", as_of=D, days_per_month=30.4375)
    assert pd.isna(sessions["months_since_previous"].iloc[0])
    assert sessions["months_since_previous"].iloc[1] == approx(360 / 30.4375)  # 2025-01-15 → 2026-01-10
    innovations = handmade_db.query("mutual_innovations", mutual_id="M1", as_of=D)
    assert innovations["title"].tolist()[0] == "Van sharing" and len(innovations) == 6
    assert len(handmade_db.query("mutual_innovations", mutual_id="M1", as_of=date(2026, 1, 1))) == 3
    reviews = handmade_db.query("mutual_reviews", mutual_id="M1", as_of=D)
    assert reviews["commissioner_name"].tolist() == ["Southmere ICB", "Northvale Borough Council", "Southmere ICB"]
    assert reviews["rating"].tolist() == [2, 3, 4]
