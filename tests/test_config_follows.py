"""The config is the single source: change it and the ratings, captions and page text follow.

A modified copy of ``mutuals/config/indicators.toml`` is put in force with ``MUTUALS_RULES``;
every expectation is worked by hand on the hand-made fixture (D = 2026-06-30).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from mutuals.charts import mutual as mutual_charts
from mutuals.charts import portfolio as portfolio_charts
from mutuals.services.indicators import compute_indicators
from mutuals.services.mutual import commentary, load_mutual
from mutuals.services.portfolio import build_portfolio
from mutuals.services.warnings import early_warnings
from tests.conftest import override_rules

D = date(2026, 6, 30)
CHANGES = [
    # M1's reserves cover 1,815,000 / (10,890,000 / 12) = 2.0 months: amber at green 3, green at green 2.
    ('column = "reserves_months"\nlabel = "Reserves cover"\ndirection = "higher"\ngreen = 3\namber = 1',
     'column = "reserves_months"\nlabel = "Reserves cover"\ndirection = "higher"\ngreen = 2\namber = 1'),
    # M2's only wave has 10 respondents: suppressed under 11, shown under 5.
    ("min_respondents = 11 ", "min_respondents = 5 "),
    # The expiry timeline: 36 months -> 24.
    ("expiry_timeline_months = 36", "expiry_timeline_months = 24"),
    # M1's plan year ends 2026-03-31: 3 months before D; stale when the maximum age is 2 months.
    ('evidence = "latest plan year"\nmax_evidence_months = 24', 'evidence = "latest plan year"\nmax_evidence_months = 2'),
    # Engagement amber line 6.5 -> 6.8 (the warnings' wording follows).
    ('green = 7.0\namber = 6.5', 'green = 7.0\namber = 6.8'),
]


@pytest.fixture()
def changed_rules(tmp_path, monkeypatch):
    return override_rules(tmp_path, monkeypatch, CHANGES)


def _row(frame, mutual_id):
    return frame.set_index("mutual_id").loc[mutual_id]


def test_bundled_rules_first(handmade_db):
    """The baseline the changed config departs from (so the next test can fail)."""
    frame = compute_indicators(handmade_db, D)
    m1, m2 = _row(frame, "M1"), _row(frame, "M2")
    assert m1["reserves_months_status"] == "amber"
    assert m1["plan_delivery_status"] != "no_data" and not m1["plan_delivery_stale"]
    assert m2["engagement_score"] != m2["engagement_score"]  # NaN: suppressed


def test_ratings_follow_the_config(handmade_db, changed_rules):
    frame = compute_indicators(handmade_db, D)
    m1, m2 = _row(frame, "M1"), _row(frame, "M2")
    assert m1["reserves_months"] == pytest.approx(2.0) and m1["reserves_months_status"] == "green"
    # Plan evidence 3 months old > 2: still computed and shown, rated no data, and said so.
    assert m1["plan_delivery"] == pytest.approx(11e6 / 12e6)
    assert m1["plan_delivery_stale"] and m1["plan_delivery_status"] == "no_data"
    assert m1["non_parent_share_vs_plan_status"] == "no_data"
    assert "latest plan year 31 Mar 2026 is over 2 months old" in "; ".join(m1["overall_reasons"])
    # (6 × 6.0 + 4 × 7.5) / 10 = 6.6 is now shown, and 6.6 < the new amber line 6.8: red.
    assert m2["engagement_score"] == pytest.approx(6.6) and m2["engagement_score_status"] == "red"


def test_captions_and_sentences_follow_the_config(handmade_db, changed_rules):
    view = build_portfolio(handmade_db, D)
    frame = portfolio_charts.expiry_frame(view.contracts, view.indicators, D)
    # K4 ends 2028-12-31, 30 months after D: inside 36 months, outside 24.
    assert sorted(frame["contract_id"]) == ["K2", "K3", "K5"]
    caption = portfolio_charts.expiry_caption(frame)
    assert "within 24." in caption and "within 36" not in caption
    assert portfolio_charts.expiry_window_text() == "the next 24 months"
    m2 = load_mutual(handmade_db, "M2", D)
    specs = {s.key: s for specs in mutual_charts.mutual_charts(m2).values() for s in specs}
    assert "suppressed" not in specs["engagement-journey"].caption
    warnings = early_warnings(view.indicators)
    text = " ".join(warnings["warning"])
    assert "below the 6.8/10 amber line" in text
    m1 = load_mutual(handmade_db, "M1", D)
    assert any("under 2 is thin" in s for s in commentary(m1)["finance"])
    chart = json.dumps(specs["engagement-journey"].chart.to_dict(), ensure_ascii=False)
    assert "fewer than 5 respondents" in chart
