"""AppTests of the shell and the portfolio page on the hand-made fixture (D = 2026-06-30)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from streamlit.proto.Metric_pb2 import Metric

from mutuals.escape import md_unescape
from mutuals.formatting import overall_label
from tests.apptest import captions as apptest_captions
from tests.apptest import metrics, open_app, texts

HSC = "Health & Social Care"


@pytest.fixture()
def app(handmade_dir):
    return open_app(handmade_dir)


def test_renders_headlines_against_a_year_earlier(app):
    assert not app.exception
    m = metrics(app)
    assert m["Mutuals (trading)"] == "3"  # M1, M2, M5 (M3 ceased, M4 not yet spun out: listed apart)
    assert m["Staff"] == "260"
    assert m["Contract value"] == "£10.9m"  # K2 7m + K3 1m + K4 2m + K5 0.9m
    assert m["Ending ≤ 12 months"] == "£8.9m"  # K2, K3 (ends on D), K5
    assert m["Ending ≤ 24 months"] == "£8.9m"  # K4 ends after D + 730 days
    assert m["Total income"] == "£12.0m"  # M1 7m + 2m + 2m (FY to 31 Mar 2026), M2 0.9m + 0.1m; M5 no accounts
    # M2 on the re-tender cliff; M1 amber in engagement and relationship; M5 one amber area
    status = {s: m.get(overall_label(s)) for s in ("at_risk", "concern", "watch", "sustainable", "pre_spin_out", "ceased")}
    assert status == {"at_risk": "1", "concern": "0", "watch": "1", "sustainable": "1",
                      "pre_spin_out": None, "ceased": None}  # the status counts add up to the trading mutuals
    by_label = {x.label: x for x in app.metric}
    # a year earlier: the same three trading mutuals and contracts, so no change, shown neutral (no arrow, grey)
    for label in ("Mutuals (trading)", "Staff", "Contract value", "Ending ≤ 24 months"):
        assert by_label[label].delta == "no change", label
        assert by_label[label].proto.color == Metric.MetricColor.GRAY, label  # neutral, never red
        assert by_label[label].proto.direction == Metric.MetricDirection.NONE, label  # no arrow
    assert by_label["Total income"].delta == "+£2.0m"  # M1's FY 2024/25 income was 10m; M2 had no accounts
    assert by_label["Total income"].proto.color == Metric.MetricColor.GREEN
    # a year earlier M2 was of concern and M1 sustainable: a fall (typographic minus) points down, and is
    # good for concern, bad for sustainable
    concern, sustainable = by_label[overall_label("concern")], by_label[overall_label("sustainable")]
    assert concern.delta == sustainable.delta == "−1"
    assert concern.proto.direction == sustainable.proto.direction == Metric.MetricDirection.DOWN
    assert (concern.proto.color, sustainable.proto.color) == (Metric.MetricColor.GREEN, Metric.MetricColor.RED)
    assert by_label["Ending ≤ 12 months"].proto.color == Metric.MetricColor.RED  # more value ending: worse
    helps = {x.label: x.help for x in app.metric}
    assert "within 365 days" in helps["Ending ≤ 12 months"] and "within 730 days" in helps["Ending ≤ 24 months"]
    assert all(helps.values())  # every headline states its definition
    assert "SYNTHETIC SAMPLE DATA" in "".join(h.proto.body for h in app.get("html"))


def test_early_warnings_in_plain_language(app):
    text = texts(app)
    assert "Largest contract (£900k a year) ends in 7 months; no commissioner review on record." in text
    assert "Engagement peaked during transition and has fallen 0.8 points since." in text
    assert "Largest contract (£7.0m a year) ends in 9 months; last commissioner review 4 months ago." in text
    # one block per mutual, most severe first: the at-risk mutual's block comes before the watch one's
    heads = [md_unescape(m.value) for m in app.markdown if "status-badge" in m.value]  # block headers, in order
    names = [h.split("**")[1] for h in heads]
    # at risk, watch, sustainable (M5: no innovation embedded); never the same mutual twice
    assert names == ["Beta Leisure Trust", "Alpha Community Health CIC", "Epsilon Libraries"]
    assert heads[0].endswith("· +7 more")  # M2: 2 deciding reasons shown; its 7 warnings in the block's expander
    assert heads[2].endswith("· +1 more")
    assert ("Relationship: dependency and contract horizon both red (re-tender cliff: months to main contract end "
            "7.1 months, parent income share 90%)") in text  # the roll-up's own words
    assert " 0 months ago" not in text and "in 0 months" not in text


def test_charts_have_takeaway_captions(app):
    captions = apptest_captions(app)
    # the matrix, the scatter and the headlines count the same selection: the 3 trading mutuals
    assert any(c.startswith("3 trading mutuals: 1 at risk, 1 watch, 1 sustainable.") for c in captions)
    assert any(c.startswith("£8.9m a year across 3 contract(s) ends within 12 months") for c in captions)
    assert any(c.startswith("0 of the 1 trading mutuals with a parent income share and an engagement trend "
                            "(of 3 trading) sit in the risky quadrant") for c in captions)
    assert any("Every figure is of the 3 trading mutuals of the filters" in c for c in captions)
    assert {b.label for b in app.get("download_button")} >= {
        "Download indicators (CSV)", "Download contracts (CSV)", "Download warnings (CSV)"}


@pytest.mark.parametrize("widget, value, expected", [
    ("f_sector", [HSC], {"Mutuals (trading)": "1", "Staff": "200", "Contract value": "£10.0m"}),
    ("f_region", ["South East"], {"Mutuals (trading)": "1", "Staff": "50", "Contract value": "£900k"}),  # M4 apart
    # C1's own contract K3 (1m, ends on D) next to all of M1's and M5's contracts (K2 7m + K3 + K4 2m)
    ("f_commissioner", "C1", {"Mutuals (trading)": "2", "Staff": "210", "Own contract value": "£1.0m",
                              "Own, ending ≤ 12 months": "£1.0m", "All contract value": "£10.0m"}),
    ("f_as_of", date(2020, 1, 1), {"Mutuals (trading)": "3", "Staff": "371", "Contract value": "£7.9m"}),
])
def test_each_filter_changes_the_figures(app, widget, value, expected):
    kind = {"f_sector": "multiselect", "f_region": "multiselect", "f_commissioner": "selectbox",
            "f_as_of": "date_input"}[widget]
    getattr(app, kind)(key=widget).set_value(value).run()
    assert not app.exception
    m = metrics(app)
    assert {k: m[k] for k in expected} == expected
    url_name = widget.removeprefix("f_")
    assert url_name in app.query_params  # the filter is now in the URL


def test_url_parameters_restore_filters(handmade_dir):
    app = open_app(handmade_dir, {"commissioner": "C1", "sector": HSC, "as_of": "2026-06-30"})
    assert not app.exception
    assert app.selectbox(key="f_commissioner").value == "C1"
    assert app.multiselect(key="f_sector").value == [HSC]
    assert metrics(app)["Mutuals (trading)"] == "1"  # M1 (C1 holds K3); M3 has ceased
    assert app.title[0].value == "Portfolio · Northvale Borough Council"
    assert app.query_params["commissioner"] == "C1"


def test_bad_url_values_are_survived_with_a_notice(handmade_dir):
    app = open_app(handmade_dir, {"commissioner": "C999", "sector": ["Space", HSC], "region": "Atlantis",
                                  "as_of": "yesterday"})
    assert not app.exception
    notices = " ".join(i.value for i in app.info)
    assert "Unknown commissioner “C999”" in notices
    assert "“Space”" in notices and "“Atlantis”" in notices
    assert "“yesterday”" in notices
    assert app.multiselect(key="f_sector").value == [HSC]  # the valid part is kept
    assert app.date_input(key="f_as_of").value == date(2026, 6, 30)
    assert "commissioner" not in app.query_params


def test_date_outside_the_data_is_ignored(handmade_dir):
    app = open_app(handmade_dir, {"as_of": "2031-01-01"})
    assert not app.exception
    assert "outside the data" in " ".join(i.value for i in app.info)
    assert app.date_input(key="f_as_of").value == date(2026, 6, 30)


def test_empty_state(handmade_dir):
    app = open_app(handmade_dir, {"sector": "Housing"})  # M6 appears only in 2027
    assert not app.exception
    assert "No mutuals match these filters." in texts(app)
    assert not app.metric


def test_selecting_a_mutual_shows_its_detail(app):
    app.selectbox(key="portfolio_pick").set_value("M2").run()
    assert not app.exception
    text = texts(app)
    assert "#### Beta Leisure Trust" in text
    assert ("Relationship: dependency and contract horizon both red (re-tender cliff: months to main contract end "
            "7.1 months, parent income share 90%)") in text


@pytest.mark.slow
def test_every_filter_combination_renders(handmade_dir):
    app = open_app(handmade_dir)
    commissioners = ["__all__", "C1", "C2", "C3"]
    sectors = [[], [HSC], ["Sports & Leisure"], ["Culture, Media & Libraries"], ["Housing"],
               ["Education, Youth & Children's Services"], [HSC, "Housing"]]
    regions = [[], ["North West"], ["South East"]]
    dates = [date(2026, 6, 30), date(2011, 3, 1)]
    for c, s, r, d in itertools.product(commissioners, sectors, regions, dates):
        app.selectbox(key="f_commissioner").set_value(c)
        app.multiselect(key="f_sector").set_value(s)
        app.multiselect(key="f_region").set_value(r)
        app.date_input(key="f_as_of").set_value(d)
        app.run()
        assert not app.exception, (c, s, r, d, app.exception)
        assert app.metric or "No mutuals match these filters." in texts(app), (c, s, r, d)
