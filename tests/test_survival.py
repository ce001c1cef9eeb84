"""Survival curves for the explorer (issue 11): the estimate by hand, binning, censoring and disclosure."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from mutuals.rules import load_rules
from mutuals.services.disclosure import Rule, binned_years
from mutuals.services.survival import EVENTS, SurvivalResult, kaplan_meier, survival

RULE = Rule(k=5, text="suppressed (n < 5)", round_to=5, min_respondents=11)
START = pd.Timestamp("2010-01-01")


def days_for(years: int, observed: bool) -> int:
    """Days that bin to ``years``: an event just before the year ends, a censoring just after it starts."""
    return round(years * 365.25) - 10 if observed else round(years * 365.25) + 10


def frame(groups: dict[str, list[tuple[int, bool]]], event: str = "ceasing") -> pd.DataFrame:
    """Input rows from (binned years, observed) per group."""
    rows = []
    for group, subjects in groups.items():
        for i, (years, observed) in enumerate(subjects):
            days = days_for(years, observed) if years else (0 if observed else 100)
            rows.append({"mutual_id": f"{group}{i}", "event": event, "start": START,
                         "stop": START + pd.Timedelta(days=days), "observed": observed, "group": group})
    return pd.DataFrame(rows)


def raw(rows: list[tuple[str, int, bool]], event: str = "ceasing") -> pd.DataFrame:
    """Input rows from (group, days, observed)."""
    return pd.DataFrame([{"mutual_id": f"M{i}", "event": event, "start": START,
                          "stop": START + pd.Timedelta(days=d), "observed": o, "group": g}
                         for i, (g, d, o) in enumerate(rows)])


# Eight mutuals (binned years, event?): an event and a censoring tie at year 2.
EIGHT = [(1, True), (2, True), (2, True), (2, False), (3, False), (4, True), (5, False), (6, True)]


def test_kaplan_meier_matches_the_product_limit_by_hand():
    years = pd.Series([y for y, _ in EIGHT])
    observed = pd.Series([o for _, o in EIGHT])
    km = kaplan_meier(years, observed, 0.95)

    s1 = 1 - 1 / 8                 # t=1: 8 at risk, 1 event
    s2 = s1 * (1 - 2 / 7)          # t=2: 7 at risk, 2 events (and 1 censored, still at risk at t=2)
    s3 = s2                        # t=3: 4 at risk, censoring only
    s4 = s3 * (1 - 1 / 3)          # t=4: 3 at risk, 1 event
    s5 = s4                        # t=5: 2 at risk, censoring only
    s6 = s5 * (1 - 1 / 1)          # t=6: 1 at risk, 1 event
    assert km["years"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert km["survival"].to_numpy() == pytest.approx([1.0, s1, s2, s3, s4, s5, s6], abs=1e-9)
    assert (s2, s4) == pytest.approx((5 / 8, 5 / 12), abs=1e-12)
    assert km["at_risk"].tolist() == [8, 8, 7, 4, 3, 2, 1]
    assert km["events"].tolist() == [0, 1, 2, 0, 1, 0, 1]
    assert km["censored_count"].tolist() == [0, 0, 1, 1, 0, 1, 0]

    # Exponential Greenwood at t=4: V = sum d/(n(n-d)) / (log S)^2, bounds S ** exp(±z sqrt(V)).
    z = NormalDist().inv_cdf(0.975)
    greenwood = 1 / (8 * 7) + 2 / (7 * 5) + 1 / (3 * 2)
    v = greenwood / math.log(s4) ** 2
    lower, upper = s4 ** math.exp(z * math.sqrt(v)), s4 ** math.exp(-z * math.sqrt(v))
    row = km[km["years"] == 4].iloc[0]
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((lower, upper), abs=1e-9)
    assert lower == pytest.approx(math.exp(-math.exp(math.log(-math.log(s4)) + z * math.sqrt(v))), abs=1e-12)

    fitter = KaplanMeierFitter().fit(years, observed, alpha=0.05)
    assert km["ci_lower"].to_numpy() == pytest.approx(fitter.confidence_interval_.iloc[:, 0].to_numpy(), abs=1e-12)


def test_survival_carries_the_hand_worked_curve_until_the_cut():
    result = survival(frame({"All": EIGHT}), "ceasing", RULE, 0.95)
    curve = result.curves.frame
    # at risk 8, 8, 7, 4: the curve ends before year 3
    assert curve["years"].tolist() == [0, 1, 2]
    assert curve["survival"].to_numpy() == pytest.approx([1.0, 7 / 8, 5 / 8], abs=1e-9)
    assert curve["at_risk"].tolist() == [10.0, 10.0, 5.0]
    assert curve["censored"].tolist() == [False, False, True]
    assert result.event_label == EVENTS["ceasing"]


def test_censored_mutuals_never_count_as_events():
    km = kaplan_meier(pd.Series([1, 2, 3, 4, 5, 6]), pd.Series([False] * 6), 0.95)
    assert (km["survival"] == 1.0).all()
    assert (km["events"] == 0).all()
    result = survival(frame({"Open": [(y, False) for y in (1, 2, 3, 4, 5, 6, 7, 8)]}), "ceasing", RULE, 0.95)
    assert (result.curves.frame["survival"] == 1.0).all()
    assert result.logrank_p is None


def test_observed_flags_pass_through_as_given():
    rows = raw([("A", 200, v) for v in (True, False, 0, 1, np.nan)] + [("A", 800, False)] * 5)
    rows["observed"] = rows["observed"].astype(object)
    curve = survival(rows, "ceasing", RULE, 0.95).curves.frame
    # False, 0 and a missing flag are censored at year 0; True and 1 are events at year 1
    assert curve["years"].tolist() == [0, 1, 2]
    assert curve["censored"].tolist() == [True, False, True]
    assert curve["survival"].tolist() == pytest.approx([1.0, 1 - 2 / 7, 1 - 2 / 7], abs=1e-9)


def test_binning_before_fitting():
    observed = pd.Series([True, False, False])
    assert binned_years(pd.Series([200, 700, 364]), observed).tolist() == [1.0, 1.0, 0.0]
    ten = raw([("A", 200, True)] * 5 + [("A", 700, False)] * 5)
    curve = survival(ten, "ceasing", RULE, 0.95).curves.frame
    assert curve["years"].tolist() == [0, 1]
    assert curve["survival"].tolist() == pytest.approx([1.0, 0.5])
    assert curve["censored"].tolist() == [False, True]
    early = raw([("B", 364, False)] * 5 + [("B", 200, True)] * 5)
    curve = survival(early, "ceasing", RULE, 0.95).curves.frame
    assert curve["years"].tolist() == [0, 1]           # at risk at year 1 is 5: kept
    assert curve["censored"].tolist() == [True, False]
    assert curve["survival"].tolist() == pytest.approx([1.0, 0.0])


TWELVE = ([(1, True)] * 2 + [(2, True)] + [(2, False)] * 2 + [(3, True)] * 3 + [(4, False)] * 2
          + [(5, True)] * 2)  # at risk: 12, 12, 10, 7, 4, 2


def test_disclosure_cuts_curves_drops_small_groups_and_rounds():
    small = [(1, True), (2, True), (3, False), (9, True)]  # k - 1 mutuals
    result = survival(frame({"Big": TWELVE, "Small": small}), "ceasing", RULE, 0.95)
    assert isinstance(result, SurvivalResult)
    assert result.groups_tested == ("Big",)
    assert result.groups_dropped == ("Small",)
    assert result.logrank_p is None  # one tested group: no test
    curve = result.curves.frame
    assert set(curve["group"]) == {"Big"}
    assert curve["years"].tolist() == [0, 1, 2, 3]    # year 3 had 7 at risk; year 4 only 4
    assert curve["at_risk"].tolist() == [10.0, 10.0, 10.0, 5.0]
    assert (curve["at_risk"] % 5 == 0).all()
    s = [1.0, 1 - 2 / 12, (1 - 2 / 12) * (1 - 1 / 10), (1 - 2 / 12) * (1 - 1 / 10) * (1 - 3 / 7)]
    assert curve["survival"].to_numpy() == pytest.approx(s, abs=1e-9)
    full = kaplan_meier(pd.Series([y for y, _ in TWELVE]), pd.Series([o for _, o in TWELVE]), 0.95)
    assert full["at_risk"].tolist() == [12, 12, 10, 7, 4, 2]
    assert full.loc[full["years"] == 3, "at_risk"].item() >= RULE.k

    table = result.at_risk
    assert set(table.frame["group"]) == {"Big"}
    years = list(load_rules().explorer.at_risk_years)
    assert table.frame["years"].tolist() == years
    expected = {0: 12, 2: 10, 4: 4, 6: 0, 8: 0, 10: 0}
    for _, row in table.frame.iterrows():
        n = expected.get(row["years"], 0)
        if n < RULE.k:
            assert np.isnan(row["at_risk"])
        else:
            assert row["at_risk"] == 5 * math.floor(n / 5 + 0.5)
    shown = table.shown().set_index("years")["at_risk"]
    assert shown[4] == "suppressed (n < 5)"
    assert shown[0] == 10.0
    assert table.suppressed["at_risk"].tolist() == [expected.get(y, 0) < 5 for y in years]


def test_dropped_group_values_reach_nothing():
    small = [(1, True), (1, True), (1, True), (1, True)]
    both = survival(frame({"Big": TWELVE, "Other": TWELVE, "Small": small}), "ceasing", RULE, 0.95)
    without = survival(frame({"Big": TWELVE, "Other": TWELVE}), "ceasing", RULE, 0.95)
    assert both.groups_dropped == ("Small",)
    assert both.logrank_p == pytest.approx(without.logrank_p, abs=1e-12)
    pd.testing.assert_frame_equal(both.curves.frame, without.curves.frame)
    pd.testing.assert_frame_equal(both.at_risk.frame, without.at_risk.frame)


def test_group_order_and_other_events_ignored():
    data = pd.concat([frame({"B": TWELVE, "A": TWELVE}),
                      frame({"A": [(1, True)] * 9}, event="parent_contract_loss")], ignore_index=True)
    result = survival(data, "ceasing", RULE, 0.95, order=["B", "A", "Z"])
    assert result.groups_tested == ("B", "A")
    assert result.groups_dropped == ("Z",)
    assert list(dict.fromkeys(result.curves.frame["group"])) == ["B", "A"]
    assert list(dict.fromkeys(result.at_risk.frame["group"])) == ["B", "A"]
    assert survival(data, "ceasing", RULE, 0.95).groups_tested == ("A", "B")
    loss = survival(data, "parent_contract_loss", RULE, 0.95)
    assert loss.groups_tested == ("A",) and loss.event_label == EVENTS["parent_contract_loss"]
    assert loss.curves.frame["survival"].tolist() == pytest.approx([1.0, 0.0])


def test_logrank_separates_different_groups_and_matches_lifelines():
    early = [(1, True)] * 8 + [(2, True)] * 2
    late = [(8, True)] * 3 + [(9, False)] * 3 + [(10, False)] * 4
    result = survival(frame({"Early": early, "Late": late}), "ceasing", RULE, 0.95)
    assert result.logrank_p is not None and result.logrank_p < 0.05
    durations = [y for y, _ in early + late]
    groups = ["Early"] * len(early) + ["Late"] * len(late)
    events = [o for _, o in early + late]
    direct = multivariate_logrank_test(durations, groups, events).p_value
    assert result.logrank_p == pytest.approx(direct, abs=1e-12)

    same = survival(frame({"X": TWELVE, "Y": TWELVE}), "ceasing", RULE, 0.95)
    assert same.logrank_p == pytest.approx(1.0, abs=1e-9)


def test_no_groups_at_all():
    result = survival(frame({"Tiny": [(1, True)] * 3}), "ceasing", RULE, 0.95)
    assert result.groups_tested == () and result.groups_dropped == ("Tiny",)
    assert result.curves.frame.empty and result.at_risk.frame.empty
    assert result.logrank_p is None
    with pytest.raises(ValueError):
        survival(frame({"A": TWELVE}), "nope", RULE, 0.95)
