"""Explorer chart builders: valid Vega-Lite, and no suppressed number in a chart spec, caption or table.

The frames are hand-made and pass through :func:`disclose` as the services' do. A suppressed group's raw
statistics are distinctive numbers (0.123456, 12.3456, …), so finding one anywhere would be a leak.
"""

from __future__ import annotations

import json
import re
import types

import altair as alt
import pandas as pd
import pytest

from mutuals.charts import explorer as ex
from mutuals.services.disclosure import TOTAL, Rule, disclose

RULE = Rule(k=5, text="suppressed (n < 5)", round_to=5, min_respondents=11)
STATS = ("median", "q1", "q3")
LEAKS = ("0.123456", "12.3456", "0.654321", "0.987654", "65.4321", "98.7654", "123456", "654321", "987654")


def spec(chart) -> str:
    assert chart is not None
    return json.dumps(chart.to_dict(validate=True), ensure_ascii=False)


def no_leak(*texts: str) -> None:
    for text in texts:
        for leak in LEAKS:
            assert leak not in text, f"{leak} in {text[:200]}"


def table_text(table: pd.DataFrame) -> str:
    return table.to_csv()


# --------------------------------------------------------------------------- distributions


@pytest.fixture
def dist():
    rows = []
    for ind, values in {
        "engagement_score": [("Health & Social Care", 40, 7.2, 6.8, 7.6), ("Housing", 8, 6.1, 5.5, 6.4),
                             ("Leisure", 3, 1.23456, 0.654321, 0.987654), ("Education", 12, 6.6, 6.0, 7.0)],
        "parent_income_share": [("Health & Social Care", 30, 0.55, 0.4, 0.7), ("Housing", 4, 0.123456, 0.654321,
                                                                                 0.987654),
                                ("Leisure", 2, 0.123456, 0.654321, 0.987654), ("Education", 9, 0.31, 0.2, 0.45)],
    }.items():
        for g, n, med, q1, q3 in values:
            label = {"engagement_score": "Engagement score", "parent_income_share": "Parent income share"}[ind]
            rows.append({"group": g, "indicator": ind, "indicator_label": label, "n": n, "median": med, "q1": q1,
                         "q3": q3})
    return disclose("groups", pd.DataFrame(rows), RULE, n="n", stats=STATS)


def test_distribution_chart_draws_only_disclosed_groups(dist):
    chart = ex.distribution_chart(dist, "engagement_score", "Sector")
    text = spec(chart)
    no_leak(text)
    assert "1.2/10" not in text
    assert "Leisure" not in text and "Housing" in text and "n = 40" in text
    assert '"format": ".1f"' in text
    y = chart.to_dict()["layer"][0]["encoding"]["y"]
    assert y["type"] == "nominal" and y["sort"] == ["Health & Social Care", "Housing", "Education"]
    assert chart.to_dict()["width"] == "container"
    percent = spec(ex.distribution_chart(dist, "parent_income_share", "Sector"))
    assert '"format": ".0%"' in percent and "Housing" not in percent
    no_leak(percent)


def test_distribution_chart_none_when_all_suppressed():
    frame = pd.DataFrame([{"group": "A", "indicator": "engagement_score", "indicator_label": "Engagement score",
                           "n": 2, "median": 0.123456, "q1": 0.1, "q3": 0.2}])
    assert ex.distribution_chart(disclose("groups", frame, RULE, stats=STATS), "engagement_score", "Sector") is None


def test_distribution_caption_names_highest_lowest_and_suppressed(dist):
    caption = ex.distribution_caption(dist, "engagement_score", "Sector")
    assert caption.startswith("By sector, median engagement score is highest for Health & Social Care (7.2/10, "
                              "n = 40) and lowest for Housing (6.1/10, n = 8)")
    assert "1 group suppressed (fewer than 5 mutuals): Leisure." in caption
    no_leak(caption)
    assert "1.2/10" not in caption
    percent = ex.distribution_caption(dist, "parent_income_share", "Sector")
    assert "highest for Health & Social Care (55%, n = 30) and lowest for Education (31%, n = 9)" in percent
    assert "2 groups suppressed" in percent and "Housing and Leisure" in percent and "12%" not in percent


def test_medians_table(dist):
    table = ex.medians_table(dist)
    assert list(table.columns) == ["Engagement score", "Parent income share"]
    assert list(table.index) == ["Health & Social Care", "Housing", "Leisure", "Education"]
    assert table.at["Health & Social Care", "Engagement score"] == "7.2/10 (n = 40)"
    assert table.at["Education", "Parent income share"] == "31% (n = 9)"
    assert table.at["Leisure", "Engagement score"] == "suppressed (n < 5)"
    assert table.at["Housing", "Parent income share"] == "suppressed (n < 5)"
    no_leak(table_text(table))


# --------------------------------------------------------------------------- journeys


@pytest.fixture
def journeys():
    rows = []

    def add(group, years, n, med):
        rows.append({"group": group, "indicator": "engagement_score", "indicator_label": "Engagement score",
                     "years": years, "n": n, "median": med, "q1": med - 0.5, "q3": med + 0.5})

    for y in range(-1, 9):
        add("Health", y, 4 if y == 3 else 20, 12.3456 if y == 3 else 6.0 + 0.1 * y)
    for y in range(0, 9):
        add("Housing", y, 3 if y >= 7 else 10, 12.3456 if y >= 7 else 7.0 - 0.2 * y)
    for y in range(0, 4):
        add("Leisure", y, 2, 12.3456)
    return disclose("groups", pd.DataFrame(rows), RULE, n="n", stats=STATS)


def test_journey_chart(journeys):
    chart = ex.journey_chart(journeys, "engagement_score", "Sector")
    text = spec(chart)
    no_leak(text)
    assert "Leisure" not in text and "spin-out" in text and "Years since spin-out" in text
    assert '"opacity": 0.2' in text and '"interpolate"' not in text
    data = next(v for v in chart.to_dict()["datasets"].values() if v and "segment" in v[0])
    health = {r["segment"] for r in data if r["group"] == "Health"}
    assert len(health) == 2  # the suppressed year 3 breaks the line
    assert ex.journey_chart(journeys, "reserves_months") is None


def test_journey_caption(journeys):
    caption = ex.journey_caption(journeys, "engagement_score")
    assert "Health from 6.0/10 in year 0 to 6.8/10 in year 8" in caption
    assert "Housing from 7.0/10 in year 0 to 5.8/10 in year 6" in caption
    assert "At year 5 it is highest for Health (6.5/10) and lowest for Housing (6.0/10)." in caption
    assert "Lines stop where fewer than 5 mutuals remain: Housing after year 6." in caption
    assert "Breaks in Health" in caption
    assert "1 group suppressed (fewer than 5 mutuals in every year): Leisure." in caption
    no_leak(caption)


# --------------------------------------------------------------------------- survival


def survival_result(p=0.031):
    raw = pd.DataFrame([
        *({"group": "Health", "years": y, "at_risk": r, "survival": s, "ci_lower": s - 0.1,
           "ci_upper": min(s + 0.05, 1), "censored": c}
          for y, r, s, c in [(0, 40, 1.0, False), (1, 38, 0.95, True), (3, 30, 0.9, False), (6, 20, 0.8, True),
                             (11, 9, 0.7, False), (12, 3, 0.123456, True)]),
        *({"group": "Housing", "years": y, "at_risk": r, "survival": s, "ci_lower": s - 0.2, "ci_upper": 1.0,
           "censored": c} for y, r, s, c in [(0, 12, 1.0, False), (2, 11, 0.85, False), (4, 7, 0.7, True),
                                              (6, 6, 0.6, False), (7, 4, 0.654321, False), (9, 2, 0.987654, False)]),
    ])
    curves = disclose("survival", raw, RULE)
    table = pd.DataFrame([{"group": g, "years": y, "at_risk": r} for g, counts in
                          {"Health": [40, 33, 27, 21, 12, 9], "Housing": [12, 11, 7, 4, 2, 1]}.items()
                          for y, r in zip((0, 2, 4, 6, 8, 10), counts)])
    return types.SimpleNamespace(curves=curves, at_risk=disclose("at_risk", table, RULE), logrank_p=p,
                                 groups_tested=("Health", "Housing"), groups_dropped=("Leisure",), event="ceasing",
                                 event_label="Ceasing to trade")


def test_survival_chart():
    result = survival_result()
    chart = ex.survival_chart(result)
    text = spec(chart)
    no_leak(text)
    assert '"step-after"' in text and "Still trading" in text and "Leisure" not in text
    assert '"domain": [0, 1]' in text
    ticks = chart.to_dict()["layer"][2]
    assert ticks["mark"]["type"] == "point" and ticks["mark"]["shape"] == "cross"
    assert {r["years"] for r in chart.to_dict()["datasets"][ticks["data"]["name"]]} == {1, 4, 6}
    assert "Not yet lost a parent contract" in spec(ex.survival_chart(result, "Not yet lost a parent contract"))


def test_survival_caption():
    caption = ex.survival_caption(survival_result())
    assert "Still trading after 5 years: Health 90%, Housing 70%." in caption
    assert "Still trading after 10 years: Health 80% (Housing: the curve ends earlier" in caption
    assert "(log-rank test, p = 0.031)" in caption and "is statistically significant" in caption
    assert "1 group suppressed (fewer than 5 mutuals): Leisure." in caption
    no_leak(caption)
    assert "p < 0.001" in ex.survival_caption(survival_result(0.0004))
    assert "is not statistically significant (log-rank test, p = 0.420)" in ex.survival_caption(survival_result(0.42))
    assert "No log-rank test was possible" in ex.survival_caption(survival_result(None))


def test_at_risk_table():
    table = ex.at_risk_table(survival_result())
    assert list(table.columns) == ["Year 0", "Year 2", "Year 4", "Year 6", "Year 8", "Year 10"]
    assert table.loc["Health"].tolist() == [40, 35, 25, 20, 10, 10]
    assert table.loc["Housing"].tolist() == [10, 10, 5, "suppressed (n < 5)", "suppressed (n < 5)",
                                             "suppressed (n < 5)"]


# --------------------------------------------------------------------------- early peak


@pytest.fixture
def peak():
    frame = pd.DataFrame([
        {"group": "Health", "n": 20, "peaks": 8, "share": 0.4, "ci_low": 0.22, "ci_high": 0.61},
        {"group": "Leisure", "n": 4, "peaks": 1, "share": 0.123456, "ci_low": 0.654321, "ci_high": 0.987654},
        {"group": "Housing", "n": 10, "peaks": 1, "share": 0.1, "ci_low": 0.02, "ci_high": 0.40},
    ])
    return disclose("groups", frame, RULE, n="n", stats=("peaks", "share", "ci_low", "ci_high"))


def test_early_peak(peak):
    chart = ex.early_peak_chart(peak, "Sector")
    text = spec(chart)
    no_leak(text)
    assert "Leisure" not in text and "8 of 20" in text and '"format": ".0%"' in text
    caption = ex.early_peak_caption(peak)
    assert caption.startswith("The early engagement peak is most common in Health (40%, 8 of 20) and least common "
                              "in Housing (10%, 1 of 10); their confidence intervals overlap")
    assert "1 group suppressed (fewer than 5 mutuals): Leisure." in caption
    no_leak(caption)


# --------------------------------------------------------------------------- status mix


@pytest.fixture
def mix():
    counts = pd.DataFrame({"at_risk": [10, 2, 5, 9], "concern": [6, 6, 5, 8], "watch": [8, 7, 9, 5],
                           "sustainable": [17, 10, 12, 11]}, index=["Health", "Housing", "Leisure", "Education"])
    disclosed = disclose("crosstab", counts, RULE)
    return disclosed, disclosed.derive(disclosed.frame.div(disclosed.frame[TOTAL], axis=0))


def test_status_mix_table_shows_suppressed_cells(mix):
    counts, shares = mix
    table = ex.status_mix_table(counts, shares)
    assert list(table.columns) == ["● At risk", "◑ Concern", "◔ Watch", "○ Sustainable", "Total"]
    assert list(table.index) == ["Health", "Housing", "Leisure", "Education", "Total"]
    keys = ["at_risk", "concern", "watch", "sustainable", "Total"]
    for g in table.index:
        for label, key in zip(table.columns, keys):
            assert (table.at[g, label] == "suppressed (n < 5)") == bool(counts.suppressed.at[g, key]), (g, key)
    assert table.at["Housing", "● At risk"] == "suppressed (n < 5)"
    assert table.at["Leisure", "◑ Concern"] == "suppressed (n < 5)"  # secondary suppression
    assert table.at["Health", "○ Sustainable"] == "17 (41%)"
    assert table.at["Health", "Total"] == "41" and table.at["Total", "● At risk"] == "26 (20%)"
    assert not re.search(r"(?<!\d)2 \(", table_text(table))


def test_status_mix_chart_draws_suppressed_cells_as_one_grey_segment(mix):
    counts, shares = mix
    chart = ex.status_mix_chart(counts, shares)
    text = spec(chart)
    assert "Total" not in text
    assert all(g in text for g in ("Health", "Housing", "Leisure", "Education"))
    assert "● At risk" in text and "#D55E00" in text and "#BBBBBB" in text
    rows = [r for r in chart.to_dict()["datasets"].values()][0]
    housing = [r for r in rows if r["group"] == "Housing"]
    # Housing's at-risk count (2) is suppressed: no segment carries it; the grey one is its share with the
    # other suppressed cells of the row, which the shown total and counts give anyway.
    assert all(r["count_text"] != "2" for r in housing)
    grey = [r for r in housing if r["status"] == "suppressed (n < 5)"]
    shown = sum(r["share"] for r in housing if r["status"] != "suppressed (n < 5)")
    assert len(grey) == 1 and abs(grey[0]["share"] + shown - 1) < 1e-9
    y = chart.to_dict()["encoding"]["y"] if "encoding" in chart.to_dict() else chart.to_dict()["layer"][0]["encoding"]["y"]
    assert y["type"] == "nominal"
    caption = ex.status_mix_caption(counts, shares)
    assert caption.startswith("Of the 130 mutuals, 26 (20%) are at risk. The at-risk share is highest in Education "
                              "(27%) and lowest in Health (24%).")
    assert "one grey segment" in caption
    assert not re.search(r"(?<!\d)2 \(", caption)


def test_status_mix_chart_leaves_out_a_group_whose_total_is_suppressed():
    counts = pd.DataFrame({"at_risk": [10, 1, 9], "concern": [6, 1, 8], "watch": [8, 1, 5],
                           "sustainable": [17, 1, 11]}, index=["Health", "Tiny", "Education"])
    disclosed = disclose("crosstab", counts, RULE)
    shares = disclosed.derive(disclosed.frame.div(disclosed.frame[TOTAL], axis=0))
    assert "Tiny" not in spec(ex.status_mix_chart(disclosed, shares))
    caption = ex.status_mix_caption(disclosed, shares)
    # Tiny's total (4) is below k; a second total is hidden too, so Tiny's cannot be worked out from the grand total
    assert "not drawn because their totals are suppressed" in caption and "Tiny" in caption


def test_every_chart_is_container_wide(dist, journeys, peak, mix):
    charts = [ex.distribution_chart(dist, "engagement_score", "Sector"), ex.journey_chart(journeys, "engagement_score"),
              ex.survival_chart(survival_result()), ex.early_peak_chart(peak), ex.status_mix_chart(*mix)]
    for chart in charts:
        assert isinstance(chart, (alt.Chart, alt.LayerChart))
        d = chart.to_dict()
        assert d["width"] == "container" and "title" not in d
