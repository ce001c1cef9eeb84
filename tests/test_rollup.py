"""The roll-up (signals, areas, the overall ladder), staleness and the reasons, on hand-made rows.

Every row below is built by hand: each indicator is set to a value picked by hand
to be green, amber or red under the thresholds in ``mutuals/config/indicators.toml``
(the table ``VALUES``; ``test_hand_values_rate_as_labelled`` checks them), the rest
are null. The expected signal, area and overall statuses are worked out by hand in
the comments from the rules of issue 7:

- signal: the worst of its indicators (red > amber > green > no_data);
- area: no_data if no signal is rated; red with >= 2 red signals; amber with 1 red
  signal or >= 2 amber signals; green otherwise;
- overall: the stage (ceased, pre_spin_out); at_risk on the re-tender cliff
  (months_to_main_contract_end and parent_income_share both red) or >= 2 red areas;
  concern with 1 red area; watch with >= 2 amber areas; sustainable otherwise;
- stale: evidence + 24 calendar months < D; the value stays, the status is no_data.

The areas and their signals (from the issue):
  leadership:   plan (plan_delivery, non_parent_share_vs_plan), reflection (months_since_strategy_session)
  engagement:   engagement (engagement_score, engagement_change_from_peak), voice (response_rate),
                innovation (innovations_per_100_staff), ownership (member_share)
  relationship: dependency (parent_income_share, largest_commissioner_share),
                contract_horizon (months_to_main_contract_end, value_ending_12m_share),
                relationship_care (months_since_relationship_review, relationship_rating)
  finance:      reserves (reserves_months), margin (surplus_margin), growth (income_growth)
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from mutuals.services.indicators import compute_indicators, rate_all
from mutuals.services.rollup import overall
from tests.conftest import build_tables

D = "2026-06-30"
FRESH = "2026-03-31"  # an evidence date well inside 24 months of D

# Hand-picked values, one per status, for every indicator.
VALUES: dict[str, dict[str, float]] = {
    "plan_delivery":                    {"green": 1.00, "amber": 0.90, "red": 0.50},    # >= 0.95 / 0.85
    "non_parent_share_vs_plan":         {"green": 0.00, "amber": -0.05, "red": -0.20},  # >= -0.02 / -0.10
    "months_since_strategy_session":    {"green": 3.0, "amber": 9.0, "red": 18.0},      # <= 6 / 12
    "engagement_score":                 {"green": 7.5, "amber": 6.8, "red": 6.0},       # >= 7.0 / 6.5
    "engagement_change_from_peak":      {"green": 0.0, "amber": -0.3, "red": -0.9},     # >= -0.2 / -0.5
    "response_rate":                    {"green": 0.6, "amber": 0.4, "red": 0.1},       # >= 0.5 / 0.3
    "innovations_per_100_staff":        {"green": 3.0, "amber": 1.0, "red": 0.0},       # >= 2 / 0.5
    "member_share":                     {"green": 0.8, "amber": 0.3, "red": 0.1},       # >= 0.5 / 0.25
    "parent_income_share":              {"green": 0.5, "amber": 0.7, "red": 0.95},      # <= 0.6 / 0.8
    "largest_commissioner_share":       {"green": 0.5, "amber": 0.7, "red": 0.95},      # <= 0.6 / 0.8
    "months_to_main_contract_end":      {"green": 36.0, "amber": 18.0, "red": 6.0},     # >= 24 / 12
    "value_ending_12m_share":           {"green": 0.1, "amber": 0.4, "red": 0.9},       # <= 0.25 / 0.5
    "months_since_relationship_review": {"green": 3.0, "amber": 9.0, "red": 18.0},      # <= 6 / 12
    "relationship_rating":              {"green": 4.5, "amber": 3.5, "red": 2.0},       # >= 4 / 3
    "reserves_months":                  {"green": 4.0, "amber": 2.0, "red": 0.5},       # >= 3 / 1
    "surplus_margin":                   {"green": 0.05, "amber": 0.005, "red": -0.05},  # >= 0.01 / 0.0
    "income_growth":                    {"green": 0.05, "amber": -0.02, "red": -0.2},   # >= 0.0 / -0.05
}
# The ten indicators that rest on a dated row (issue 7), each with a 24-month limit.
AGED = ["plan_delivery", "non_parent_share_vs_plan", "engagement_score", "engagement_change_from_peak",
        "response_rate", "parent_income_share", "relationship_rating", "reserves_months", "surplus_margin",
        "income_growth"]
AREAS = ["leadership", "engagement", "relationship", "finance"]
ALL_GREEN = {c: "green" for c in VALUES}


def mutual(statuses: dict[str, str] | None = None, *, stage: str = "trading", as_of: str = D,
           evidence: dict[str, str | None] | None = None, values: dict[str, float | None] | None = None,
           mutual_id: str = "X") -> dict:
    """One row: the listed indicators at a value of that status, the rest null; fresh evidence dates."""
    row = {"mutual_id": mutual_id, "name": f"Mutual {mutual_id}", "stage": stage, "as_of": pd.Timestamp(as_of),
           "ceased_date": pd.Timestamp("2020-06-30") if stage == "ceased" else pd.NaT,
           "spin_out_date": pd.Timestamp("2026-10-01") if stage == "pre_spin_out" else pd.Timestamp("2015-04-01")}
    for column in VALUES:
        row[column] = VALUES[column][statuses[column]] if statuses and column in statuses else None
    row.update(values or {})
    for column in AGED:
        row[f"{column}_evidence_date"] = pd.Timestamp(FRESH)
    for column, day in (evidence or {}).items():
        row[f"{column}_evidence_date"] = pd.Timestamp(day) if day else pd.NaT
    return row


def frame(*rows: dict) -> pd.DataFrame:
    out = pd.DataFrame(list(rows))
    for column in VALUES:
        out[column] = out[column].astype("float64")
    return out


def rolled(*rows: dict) -> pd.DataFrame:
    """rate_all then overall (with reasons), as compute_indicators does after the SQL."""
    return overall(rate_all(frame(*rows)))


def one(row: dict) -> dict:
    return rolled(row).iloc[0].to_dict()


def areas_of(result: dict) -> list[str]:
    return [result[f"{a}_status"] for a in AREAS]


# --------------------------------------------------------------------------- the hand values


def test_hand_values_rate_as_labelled():
    rows = [mutual({c: s for c in VALUES}, mutual_id=s) for s in ("green", "amber", "red")]
    rated = rate_all(frame(*rows)).set_index("mutual_id")
    wrong = [(s, c, rated.loc[s, f"{c}_status"]) for s in rated.index for c in VALUES
             if rated.loc[s, f"{c}_status"] != s]
    assert not wrong
    nothing = rate_all(frame(mutual())).iloc[0]
    assert {nothing[f"{c}_status"] for c in VALUES} == {"no_data"}


def test_only_the_ten_dated_indicators_get_a_stale_column():
    rated = rate_all(frame(mutual(ALL_GREEN)))
    assert sorted(c[:-len("_stale")] for c in rated.columns if c.endswith("_stale")) == sorted(AGED)


# --------------------------------------------------------------------------- signals


@pytest.mark.parametrize(("score", "change", "expected"), [
    ("green", "amber", "amber"),
    ("amber", "red", "red"),
    ("red", "green", "red"),
    ("red", None, "red"),        # no_data is the least severe
    (None, "green", "green"),
    ("green", "green", "green"),
    (None, None, "no_data"),
])
def test_signal_is_the_worst_of_its_indicators(score, change, expected):
    statuses = {k: v for k, v in (("engagement_score", score), ("engagement_change_from_peak", change)) if v}
    assert one(mutual(statuses))["engagement_signal_status"] == expected


# --------------------------------------------------------------------------- areas

AREA_CASES = [
    # (id, statuses, area, expected area status)
    ("finance-no-signal-rated", {}, "finance", "no_data"),
    ("finance-2-red-signals", {"reserves_months": "red", "surplus_margin": "red", "income_growth": "green"},
     "finance", "red"),
    ("finance-3-red-signals", {"reserves_months": "red", "surplus_margin": "red", "income_growth": "red"},
     "finance", "red"),
    ("finance-1-red-signal", {"reserves_months": "red", "surplus_margin": "green", "income_growth": "green"},
     "finance", "amber"),
    ("finance-1-red-signal-only-rated", {"surplus_margin": "red"}, "finance", "amber"),
    ("finance-1-red-1-amber", {"reserves_months": "red", "surplus_margin": "amber", "income_growth": "green"},
     "finance", "amber"),
    ("finance-2-amber-signals", {"reserves_months": "amber", "surplus_margin": "amber", "income_growth": "green"},
     "finance", "amber"),
    ("finance-1-amber-signal", {"reserves_months": "amber", "surplus_margin": "green", "income_growth": "green"},
     "finance", "green"),
    ("finance-all-green", {"reserves_months": "green", "surplus_margin": "green", "income_growth": "green"},
     "finance", "green"),
    ("finance-one-green-rated", {"income_growth": "green"}, "finance", "green"),
    # Leadership: two amber indicators in the plan signal are one amber signal -> green ...
    ("leadership-2-ambers-one-signal", {"plan_delivery": "amber", "non_parent_share_vs_plan": "amber",
                                        "months_since_strategy_session": "green"}, "leadership", "green"),
    # ... but one amber in each of its two signals is two amber signals -> amber.
    ("leadership-2-amber-signals", {"plan_delivery": "amber", "months_since_strategy_session": "amber"},
     "leadership", "amber"),
    # Relationship: two red indicators in the dependency signal are one red signal -> amber ...
    ("relationship-2-reds-one-signal", {"parent_income_share": "red", "largest_commissioner_share": "red",
                                        "months_to_main_contract_end": "green", "value_ending_12m_share": "green",
                                        "months_since_relationship_review": "green", "relationship_rating": "green"},
     "relationship", "amber"),
    # ... while red dependency and red relationship care are two red signals -> red.
    ("relationship-2-red-signals", {"largest_commissioner_share": "red", "relationship_rating": "red"},
     "relationship", "red"),
    # Engagement: red engagement signal (both indicators) and red voice -> 2 red signals -> red.
    ("engagement-2-red-signals", {"engagement_score": "red", "engagement_change_from_peak": "red",
                                  "response_rate": "red"}, "engagement", "red"),
    ("engagement-2-reds-one-signal", {"engagement_score": "red", "engagement_change_from_peak": "red",
                                      "response_rate": "green", "innovations_per_100_staff": "green",
                                      "member_share": "green"}, "engagement", "amber"),
    ("engagement-3-amber-signals", {"response_rate": "amber", "innovations_per_100_staff": "amber",
                                    "member_share": "amber"}, "engagement", "amber"),
]


@pytest.mark.parametrize(("statuses", "area", "expected"), [c[1:] for c in AREA_CASES], ids=[c[0] for c in AREA_CASES])
def test_area_rules(statuses, area, expected):
    assert one(mutual(statuses))[f"{area}_status"] == expected


def test_signal_statuses_behind_the_count_once_rule():
    r = one(mutual({"parent_income_share": "red", "largest_commissioner_share": "red",
                    "months_to_main_contract_end": "green", "value_ending_12m_share": "amber"}))
    assert (r["dependency_signal_status"], r["contract_horizon_signal_status"],
            r["relationship_care_signal_status"]) == ("red", "amber", "no_data")
    assert r["relationship_status"] == "amber"  # one red signal (dependency), one amber signal


# --------------------------------------------------------------------------- the overall ladder

CLIFF = {"months_to_main_contract_end": "red", "parent_income_share": "red"}
TWO_RED_AREAS = {"reserves_months": "red", "surplus_margin": "red",  # finance red
                 "response_rate": "red", "innovations_per_100_staff": "red"}  # engagement red

OVERALL_CASES = [
    # (id, row, expected overall, expected [leadership, engagement, relationship, finance])
    # The stage decides before any rating, even with the cliff and two red areas.
    ("ceased", mutual({**CLIFF, **TWO_RED_AREAS}, stage="ceased"), "ceased", ["no_data", "red", "red", "red"]),
    ("pre-spin-out", mutual({**CLIFF, **TWO_RED_AREAS}, stage="pre_spin_out"), "pre_spin_out",
     ["no_data", "red", "red", "red"]),
    # Cliff: dependency red + contract horizon red -> relationship red (1 red area, alone only concern);
    # the cliff makes it at_risk.
    ("at-risk-by-cliff", mutual(CLIFF), "at_risk", ["no_data", "no_data", "red", "no_data"]),
    ("at-risk-by-cliff-rest-green", mutual({**ALL_GREEN, **CLIFF}), "at_risk", ["green", "green", "red", "green"]),
    # Not the cliff: parent share only amber -> relationship amber (1 red signal), 1 amber area.
    ("no-cliff-parent-amber", mutual({"months_to_main_contract_end": "red", "parent_income_share": "amber"}),
     "sustainable", ["no_data", "no_data", "amber", "no_data"]),
    # Not the cliff: months red, largest commissioner red (not parent) -> relationship red, 1 red area.
    ("no-cliff-largest-not-parent", mutual({"months_to_main_contract_end": "red",
                                            "largest_commissioner_share": "red"}),
     "concern", ["no_data", "no_data", "red", "no_data"]),
    ("at-risk-by-2-red-areas", mutual({**ALL_GREEN, **TWO_RED_AREAS}), "at_risk", ["green", "red", "green", "red"]),
    ("at-risk-by-3-red-areas", mutual({**TWO_RED_AREAS, "plan_delivery": "red",
                                       "months_since_strategy_session": "red"}),
     "at_risk", ["red", "red", "no_data", "red"]),
    ("concern-1-red-area", mutual({**ALL_GREEN, "reserves_months": "red", "surplus_margin": "red"}),
     "concern", ["green", "green", "green", "red"]),
    # A red area outranks any number of amber areas.
    ("concern-1-red-3-amber", mutual({"reserves_months": "red", "surplus_margin": "red",
                                      "plan_delivery": "amber", "months_since_strategy_session": "amber",
                                      "response_rate": "amber", "member_share": "amber",
                                      "largest_commissioner_share": "amber", "relationship_rating": "amber"}),
     "concern", ["amber", "amber", "amber", "red"]),
    # Finance amber (1 red signal) + leadership amber (2 amber signals): watch.
    ("watch-2-amber-areas", mutual({**ALL_GREEN, "reserves_months": "red", "plan_delivery": "amber",
                                    "months_since_strategy_session": "amber"}),
     "watch", ["amber", "green", "green", "amber"]),
    # Signals count once: dependency red (2 reds, 1 signal) -> relationship only amber; with finance amber
    # that is 2 amber areas: watch, not concern.
    ("watch-count-once", mutual({**ALL_GREEN, "parent_income_share": "red", "largest_commissioner_share": "red",
                                 "reserves_months": "red"}),
     "watch", ["green", "green", "amber", "amber"]),
    ("sustainable-1-amber-area", mutual({**ALL_GREEN, "reserves_months": "red"}), "sustainable",
     ["green", "green", "green", "amber"]),
    ("sustainable-all-green", mutual(ALL_GREEN), "sustainable", ["green", "green", "green", "green"]),
    ("sustainable-no-data", mutual(), "sustainable", ["no_data", "no_data", "no_data", "no_data"]),
]


@pytest.mark.parametrize(("row", "expected", "areas"), [c[1:] for c in OVERALL_CASES],
                         ids=[c[0] for c in OVERALL_CASES])
def test_overall_ladder(row, expected, areas):
    r = one(row)
    assert areas_of(r) == areas
    assert r["overall_status"] == expected


def test_overall_on_many_rows_at_once():
    """The ladder is applied row by row: the rows do not leak into one another."""
    result = rolled(*[dict(c[1], mutual_id=c[0]) for c in OVERALL_CASES]).set_index("mutual_id")
    assert result["overall_status"].to_dict() == {c[0]: c[2] for c in OVERALL_CASES}


# --------------------------------------------------------------------------- staleness through rate_all


@pytest.mark.parametrize("column", AGED)
@pytest.mark.parametrize(("evidence", "stale"), [
    ("2024-06-30", False),  # + 24 months = 2026-06-30 = D: exactly 24 months old, still current
    ("2024-06-29", True),   # one day older
    ("2024-07-01", False),
    ("2016-03-31", True),
])
def test_staleness_at_exactly_24_months_and_one_day_over(column, evidence, stale):
    rated = rate_all(frame(mutual({column: "red"}, evidence={column: evidence}))).iloc[0]
    assert bool(rated[f"{column}_stale"]) is stale
    assert rated[f"{column}_status"] == ("no_data" if stale else "red")
    assert rated[column] == VALUES[column]["red"]  # the value is kept either way
    assert rated[f"{column}_evidence_date"] == pd.Timestamp(evidence)


@pytest.mark.parametrize(("evidence", "as_of", "stale"), [
    ("2024-02-29", "2026-02-28", False),  # no 29 Feb 2026: + 24 months = 2026-02-28 = D
    ("2024-02-29", "2026-03-01", True),
    ("2024-08-31", "2026-08-31", False),
    ("2024-08-31", "2026-09-01", True),
    ("2024-03-31", "2026-03-31", False),
    ("2024-03-31", "2026-04-01", True),
    # Across a 29 February, 24 calendar months are 731 days (not 730, nor 24 x 30.4375 = 730.5).
    ("2023-06-30", "2025-06-30", False),
    ("2023-06-30", "2025-07-01", True),
    ("2022-03-01", "2024-03-01", False),
])
def test_staleness_counts_calendar_months(evidence, as_of, stale):
    rated = rate_all(frame(mutual({"reserves_months": "green"}, as_of=as_of,
                                  evidence={"reserves_months": evidence}))).iloc[0]
    assert bool(rated["reserves_months_stale"]) is stale
    assert rated["reserves_months_status"] == ("no_data" if stale else "green")


def test_a_null_value_is_never_stale():
    rated = rate_all(frame(mutual(evidence={"surplus_margin": "2010-03-31"}))).iloc[0]
    assert rated["surplus_margin_status"] == "no_data"
    assert bool(rated["surplus_margin_stale"]) is False


def test_staleness_is_per_indicator():
    """One evidence-aged indicator going stale leaves the others rated."""
    rated = rate_all(frame(mutual({"reserves_months": "red", "surplus_margin": "red"},
                                  evidence={"reserves_months": "2024-06-29", "surplus_margin": "2024-06-30"}))).iloc[0]
    assert (rated["reserves_months_status"], rated["surplus_margin_status"]) == ("no_data", "red")
    assert (bool(rated["reserves_months_stale"]), bool(rated["surplus_margin_stale"])) == (True, False)


def test_stale_parent_share_breaks_the_cliff():
    # Fresh: cliff -> at_risk. Stale parent share (one day over): dependency falls back to the largest
    # commissioner share (red), contract horizon red -> relationship still red, but no cliff: concern.
    statuses = {**CLIFF, "largest_commissioner_share": "red"}
    current = one(mutual(statuses, evidence={"parent_income_share": "2024-06-30"}))
    stale = one(mutual(statuses, evidence={"parent_income_share": "2024-06-29"}))
    assert current["overall_status"] == "at_risk"
    assert stale["parent_income_share_status"] == "no_data" and stale["relationship_status"] == "red"
    assert stale["overall_status"] == "concern"


def test_stale_evidence_can_empty_an_area():
    # Finance red on two red signals; both rest on a year one day over 24 months -> finance no_data.
    statuses = {**ALL_GREEN, "reserves_months": "red", "surplus_margin": "red"}
    old = {c: "2024-06-29" for c in ("reserves_months", "surplus_margin", "income_growth")}
    assert one(mutual(statuses))["overall_status"] == "concern"
    r = one(mutual(statuses, evidence=old))
    assert r["finance_status"] == "no_data" and r["overall_status"] == "sustainable"


# --------------------------------------------------------------------------- reasons


def reasons(row: dict) -> str:
    reasons = one(row)["overall_reasons"]
    assert isinstance(reasons, tuple) and all(isinstance(r, str) and r.strip() for r in reasons) and reasons
    return "; ".join(reasons)


def test_reasons_for_the_stages():
    ceased = reasons(mutual(CLIFF, stage="ceased"))
    assert "Ceased" in ceased and "30 Jun 2020" in ceased and "cliff" not in ceased.lower()
    pre = reasons(mutual(CLIFF, stage="pre_spin_out"))
    assert "1 Oct 2026" in pre and "cliff" not in pre.lower()


def test_reasons_name_the_cliff():
    text = reasons(mutual(CLIFF))
    assert "re-tender cliff" in text.lower()
    assert "Relationship" in text
    assert "contract horizon" in text and "dependency" in text


def test_reasons_name_the_red_area_and_its_red_signals():
    text = reasons(mutual({**ALL_GREEN, "reserves_months": "red", "surplus_margin": "red"}))
    assert "Finance" in text and "reserves" in text and "margin" in text
    assert "cliff" not in text.lower()
    assert "Leadership" not in text and "Engagement" not in text  # green areas are not reasons


def test_reasons_name_both_red_areas():
    text = reasons(mutual({**ALL_GREEN, **TWO_RED_AREAS}))
    for word in ("Finance", "reserves", "margin", "Engagement", "voice", "innovation"):
        assert word in text, word
    assert "cliff" not in text.lower()


def test_reasons_for_watch_name_the_amber_areas():
    text = reasons(mutual({**ALL_GREEN, "reserves_months": "red", "plan_delivery": "amber",
                           "months_since_strategy_session": "amber"}))
    assert "Finance" in text and "reserves" in text
    assert "Leadership" in text and "plan" in text and "reflection" in text


def test_reasons_for_sustainable():
    text = reasons(mutual({**ALL_GREEN, "reserves_months": "red"}))
    assert "cliff" not in text.lower() and "months old" not in text


def test_reasons_give_the_stale_evidence_date():
    row = mutual({**ALL_GREEN, "plan_delivery": "red"},
                 evidence={"plan_delivery": "2016-03-31", "non_parent_share_vs_plan": "2016-03-31"})
    text = reasons(row)
    assert "31 Mar 2016 is over 24 months old" in text
    assert "plan year" in text


def test_reasons_give_each_stale_date():
    row = mutual(ALL_GREEN, evidence={"reserves_months": "2024-06-29", "relationship_rating": "2023-01-15"})
    text = reasons(row)
    assert "29 Jun 2024 is over 24 months old" in text
    assert "15 Jan 2023 is over 24 months old" in text
    assert "31 Mar 2026" not in text  # current evidence is not a reason


def test_reasons_say_nothing_of_evidence_exactly_24_months_old():
    text = reasons(mutual(ALL_GREEN, evidence={c: "2024-06-30" for c in AGED}))
    assert "months old" not in text and "30 Jun 2024" not in text


def test_reasons_say_nothing_of_old_evidence_for_a_null_value():
    text = reasons(mutual({c: "green" for c in VALUES if c != "income_growth"},
                          evidence={"income_growth": "2016-03-31"}))
    assert "months old" not in text and "2016" not in text


# --------------------------------------------------------------------------- end to end through the SQL


def _tiny_tables() -> dict[str, list[dict]]:
    """S1: finance and plan year ending 2024-06-30; S2: the same, a day earlier (2024-06-29).

    Both: one 1m contract from C1 ending 2026-12-31; parent share 0.9 (red); reserves
    400k / (950k / 12) = 5.05 months, surplus 0.05 (green); one year, so no growth; plan 1m
    with 100k non-parent (delivery 1.0, non-parent vs plan 0: green); a 2025-06-30 wave of
    20/40 at 8.0 (green); a strategy session and a rating-4 review on 2026-03-31 (green);
    one staff innovation embedded 2026-01-01 (2.5 per 100 staff: green); member share 0.5.
    """
    def mutual_row(mid):
        return {"mutual_id": mid, "name": f"Tiny {mid}", "sector": "Housing", "legal_form": "Community Benefit Society",
                "ownership_model": "employee-led", "region": "North West", "parent_commissioner_id": "C1",
                "options_appraisal_date": "", "spin_out_date": "2016-04-01", "staff_count": "40",
                "member_share": "0.5", "company_number": "", "charity_number": "", "status": "trading",
                "ceased_date": ""}

    year = {"S1": "2024-06-30", "S2": "2024-06-29"}
    ids = list(year)
    return {
        "mutuals": [mutual_row(m) for m in ids],
        "contracts": [{"contract_id": f"K{m}", "mutual_id": m, "commissioner_id": "C1", "title": "Main",
                       "service_area": "x", "start_date": "2020-01-01", "end_date": "2026-12-31",
                       "max_end_date": "", "annual_value": "1000000", "is_spin_out_contract": "true",
                       "outcome": "active"} for m in ids],
        "financials": [{"mutual_id": m, "year_end": year[m], "income_parent": "900000",
                        "income_other_public": "50000", "income_non_public": "50000", "expenditure": "950000",
                        "staff_costs": "", "unrestricted_reserves": "400000", "current_assets": "",
                        "current_liabilities": ""} for m in ids],
        "plan_targets": [{"mutual_id": m, "year_end": year[m], "planned_income": "1000000",
                          "planned_non_parent_income": "100000"} for m in ids],
        "engagement": [{"mutual_id": m, "survey_date": "2025-06-30", "phase": "spun_out", "staff_group": "All",
                        "eligible_staff": "40", "respondents": "20", "motivation": "8", "involvement": "8",
                        "advocacy": "8"} for m in ids],
        "strategy_sessions": [{"mutual_id": m, "session_date": "2026-03-31", "kind": "away_day"} for m in ids],
        "innovations": [{"mutual_id": m, "innovation_date": "2026-01-01", "title": "t", "origin": "staff",
                         "status": "embedded", "annual_saving": ""} for m in ids],
        "relationship_reviews": [{"mutual_id": m, "commissioner_id": "C1", "review_date": "2026-03-31",
                                  "kind": "k", "rating": "4"} for m in ids],
    }


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    with build_tables(tmp_path_factory.mktemp("tiny"), _tiny_tables()) as db:
        yield db


def test_end_to_end_exactly_24_months_is_current(tiny_db):
    s1 = compute_indicators(tiny_db, date(2026, 6, 30)).set_index("mutual_id").loc["S1"]
    for column in ("plan_delivery", "non_parent_share_vs_plan", "parent_income_share", "reserves_months",
                   "surplus_margin", "income_growth"):
        assert s1[f"{column}_evidence_date"] == pd.Timestamp("2024-06-30"), column
        assert not s1[f"{column}_stale"], column
    assert s1["engagement_score_evidence_date"] == pd.Timestamp("2025-06-30")
    assert s1["relationship_rating_evidence_date"] == pd.Timestamp("2026-03-31")
    assert s1["parent_income_share"] == pytest.approx(0.9)
    assert s1["parent_income_share_status"] == "red"
    # Relationship: dependency red (0.9; largest commissioner 1.0), contract horizon red (184 days = 6.0
    # months; all value ends within 12 months), care green -> red. Leadership, engagement, finance green.
    assert areas_of(s1) == ["green", "green", "red", "green"]
    assert s1["overall_status"] == "at_risk"  # the cliff (one red area alone would be concern)
    assert "re-tender cliff" in "; ".join(s1["overall_reasons"]).lower()
    assert "months old" not in "; ".join(s1["overall_reasons"])


def test_end_to_end_one_day_over_is_stale(tiny_db):
    s2 = compute_indicators(tiny_db, date(2026, 6, 30)).set_index("mutual_id").loc["S2"]
    for column in ("plan_delivery", "non_parent_share_vs_plan", "parent_income_share", "reserves_months",
                   "surplus_margin"):
        assert s2[f"{column}_evidence_date"] == pd.Timestamp("2024-06-29"), column
        assert s2[f"{column}_stale"] and s2[f"{column}_status"] == "no_data", column
    assert not s2["income_growth_stale"]  # no previous year: null, so not stale
    assert s2["parent_income_share"] == pytest.approx(0.9)  # still shown
    # Leadership: plan no_data, reflection green -> green. Relationship: dependency red on the largest
    # commissioner share alone, contract horizon red -> red. Finance: nothing current -> no_data.
    assert areas_of(s2) == ["green", "green", "red", "no_data"]
    assert s2["overall_status"] == "concern"  # one red area, no cliff
    assert "29 Jun 2024 is over 24 months old" in "; ".join(s2["overall_reasons"])
    assert "re-tender cliff" not in "; ".join(s2["overall_reasons"]).lower()


def test_end_to_end_the_day_after_24_months(tiny_db):
    # On 2026-07-01 S1's year (2024-06-30) is one day over 24 months: like S2 on 2026-06-30.
    s1 = compute_indicators(tiny_db, date(2026, 7, 1)).set_index("mutual_id").loc["S1"]
    assert s1["parent_income_share_stale"] and s1["parent_income_share_status"] == "no_data"
    assert areas_of(s1) == ["green", "green", "red", "no_data"]
    assert s1["overall_status"] == "concern"
    assert "30 Jun 2024 is over 24 months old" in "; ".join(s1["overall_reasons"])
