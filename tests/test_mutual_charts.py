"""The mutual page's charts (mutuals/charts/mutual/): every chart builds, exports and says something in numbers.

Hand-made fixture (D = 2026-06-30): M1 full data, M2 a suppressed 10-respondent wave, M5 no data.
Sample data: 20 mutuals spread over the bundled sample, half of them at an earlier as-of date.
"""

from __future__ import annotations

import json
import re
import struct
from datetime import date

import altair as alt
import pandas as pd
import pytest

from mutuals.charts import export
from mutuals.charts import mutual as charts
from mutuals.infra.db import DATA_DIR, Database
from mutuals.infra.versions import current_database
from mutuals.services import mutual_tables
from mutuals.services.mutual import FACTORS, load_mutual

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SAMPLE_SIZE = 20
EARLIER = date(2019, 6, 30)


@pytest.fixture(scope="module")
def sample_db():
    path = current_database(DATA_DIR, DATA_DIR / "mutuals.duckdb")
    with Database(path) as db:
        yield db


def _sample_cases() -> list[tuple[str, date | None]]:
    """20 mutual ids spread evenly over the sample (sorted by id); every other one at an earlier date."""
    ids = sorted(pd.read_csv(DATA_DIR / "mutuals.csv", usecols=["mutual_id"])["mutual_id"])
    step = max(1, len(ids) // SAMPLE_SIZE)
    chosen = ids[::step][:SAMPLE_SIZE]
    return [(mid, EARLIER if i % 2 else None) for i, mid in enumerate(chosen)]


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def svg_width(svg: str) -> float:
    return float(re.search(r'<svg[^>]*\swidth="([\d.]+)', svg).group(1))


def assert_specs_export(view) -> None:
    specs = charts.mutual_charts(view)
    assert list(specs) == list(FACTORS)
    keys = [s.key for ss in specs.values() for s in ss]
    assert len(keys) == len(set(keys)) == 13
    for factor, items in specs.items():
        for spec in items:
            where = f"{view.mutual_id} {factor}/{spec.key}"
            assert isinstance(spec, charts.ChartSpec)
            assert isinstance(spec.chart, alt.TopLevelMixin), where
            assert spec.title and spec.caption, where
            assert re.search(r"\d", spec.caption), f"{where}: caption has no number: {spec.caption}"
            assert spec.chart.to_dict()["width"] == charts.WIDTH, where  # explicit, never "container"
            svg = export.to_svg(spec.chart)
            assert svg.lstrip().startswith("<svg") and svg.rstrip().endswith("</svg>"), where
            assert len(svg) > 1000 and "<text" in svg, where
            png = export.to_png(spec.chart)
            assert png[:8] == PNG_SIGNATURE, where
            width, height = png_size(png)
            assert width >= 2 * svg_width(svg) - 1 and width >= 2 * charts.WIDTH and height > 100, where


# --------------------------------------------------------------------------- every chart exports


@pytest.mark.parametrize("mutual_id", ["M1", "M2", "M5"])
def test_handmade_charts_build_and_export(handmade_db, mutual_id):
    assert_specs_export(load_mutual(handmade_db, mutual_id))


@pytest.mark.slow
@pytest.mark.parametrize("mutual_id, as_of", _sample_cases(), ids=lambda v: str(v))
def test_sample_charts_build_and_export(sample_db, mutual_id, as_of):
    assert_specs_export(load_mutual(sample_db, mutual_id, as_of))


# --------------------------------------------------------------------------- what the charts say


@pytest.fixture(scope="module")
def m1(handmade_db):
    return load_mutual(handmade_db, "M1")


def _by_key(view) -> dict[str, charts.ChartSpec]:
    return {s.key: s for ss in charts.mutual_charts(view).values() for s in ss}


def test_m1_captions_state_the_takeaway(m1):
    c = {k: s.caption for k, s in _by_key(m1).items()}
    assert c["plan-income"] == ("In 2025/26 income was £11.0m against a plan of £12.0m (92% of plan). 1 of 2 plan "
                                "year(s) so far reached 95% of plan; 1 plan year(s) still to come.")
    assert c["non-parent-share"].startswith("In 2025/26, 36% of income came from outside the parent commissioner "
                                            "against a planned 40% (−3.6 pts, behind plan)")
    assert c["engagement-journey"].startswith("Engagement peaked at 8.1/10 (transition phase, 15 Jan 2012) and is "
                                              "now 7.3/10 (1 Oct 2025), 0.8 points lower.")
    assert c["innovation-pipeline"].startswith("6 innovation(s) on record: 4 embedded, saving £165k a year")
    assert c["contracts"].startswith("3 active contract(s) worth £10.0m a year. The largest, Community health "
                                     "services (renewal) (£7.0m a year with Southmere ICB), ends on 31 Mar 2027, "
                                     "in 9 months, extendable to 31 Mar 2029.")
    assert c["income-sources"].startswith("In 2025/26, 64% of £11.0m income came from the parent commissioner, "
                                          "down from 80% in 2024/25")
    assert c["reserves-months"].startswith("Reserves covered 2.0 months of spending at the end of 2025/26, down "
                                           "from 3.0 months")


def test_phase_spans_follow_the_journey(m1):
    spans = charts.phase_spans(m1.waves, m1.profile, m1.as_of).set_index("phase")
    assert spans.loc["options_appraisal", "start"] == pd.Timestamp("2011-01-01")
    # transition starts midway between the last options-appraisal wave and the first transition wave
    midway = pd.Timestamp("2011-06-01") + (pd.Timestamp("2012-01-15") - pd.Timestamp("2011-06-01")) / 2
    assert spans.loc["options_appraisal", "end"] == spans.loc["transition", "start"] == midway
    assert spans.loc["transition", "end"] == spans.loc["spun_out", "start"] == pd.Timestamp("2012-04-01")
    assert spans.loc["spun_out", "end"] == pd.Timestamp("2026-06-30")


def test_phase_spans_before_spin_out_and_after_ceasing(handmade_db):
    m4 = load_mutual(handmade_db, "M4")  # options appraisal from 1 Jan 2026, spin-out planned 1 Oct 2026
    spans = charts.phase_spans(m4.waves, m4.profile, m4.as_of)
    assert list(spans["phase"]) == ["options_appraisal"]
    assert spans["end"].iloc[0] == pd.Timestamp("2026-06-30")
    m3 = load_mutual(handmade_db, "M3")  # ceased 30 Jun 2020
    assert charts.phase_spans(m3.waves, m3.profile, m3.as_of)["end"].max() == pd.Timestamp("2020-06-30")


def test_session_gaps_over_twelve_months():
    sessions = pd.DataFrame({
        "session_date": pd.to_datetime(["2020-01-01", "2021-06-01", "2021-09-01"]),
        "kind": ["away_day", "plan_review", "away_day"],
        "months_since_previous": [float("nan"), 16.95, 3.02],
    })
    gaps = charts.session_gaps(sessions, date(2023, 1, 1))
    assert list(gaps["open"]) == [False, True]
    assert gaps["label"].tolist() == ["17 months gap", "16 months since the last"]
    assert charts.session_gaps(sessions, date(2022, 1, 1)).shape[0] == 1
    caption = charts.sessions_caption(sessions, date(2023, 1, 1))
    assert caption.startswith("3 strategy session(s) between 1 Jan 2020 and 1 Sep 2021; 2 gap(s) of more than "
                              "12 months, the longest 17 months")


def test_contract_gantt_marks_extensions_outcomes_and_today(m1):
    spec = _by_key(m1)["contracts"].chart.to_dict()
    text = json.dumps(spec, ensure_ascii=False)
    assert "As of 30 Jun 2026" in text
    for label in ("£7.0m a year · active", "£9.0m a year · renewed", "£2.0m a year · active"):
        assert label in text
    layers = spec["layer"]
    dashed = [layer for layer in layers if isinstance(layer["mark"], dict) and layer["mark"].get("strokeDash")
              and layer["mark"]["type"] == "bar"]
    assert len(dashed) == 1  # the extension options, pale and dashed
    ext_rows = spec["datasets"][dashed[0]["data"]["name"]]
    assert sorted(r["contract_id"] for r in ext_rows) == ["K2", "K4"]  # the two with extension options


def test_suppressed_waves_are_labelled_never_valued(handmade_db):
    m2 = load_mutual(handmade_db, "M2")
    specs = _by_key(m2)
    for key in ("engagement-journey", "engagement-subscores", "response-rate"):
        text = json.dumps(specs[key].chart.to_dict(), ensure_ascii=False)
        assert "suppressed" in text, key
        # (6 × 6.0 + 4 × 7.5) / 10 = 6.6 is the hidden score; no score of the wave reaches the chart
        assert not re.search(r"\b6\.6\b|\b6\.0\b|\b7\.5\b", text), key
    assert "suppressed (n < 11)" in json.dumps(specs["engagement-journey"].chart.to_dict(), ensure_ascii=False)
    assert specs["engagement-journey"].caption == ("No engagement score can be shown: all 1 survey wave(s) had fewer "
                                                   "than 11 respondents, so they appear as suppressed (n < 11).")
    table = mutual_tables.waves_table(m2.waves, m2.min_respondents)
    assert table["engagement_score"].tolist() == ["suppressed (n < 11)"]
    assert table[["motivation", "involvement", "advocacy"]].eq("suppressed (n < 11)").all().all()


def test_min_respondents_is_respected(handmade_db):
    m2 = load_mutual(handmade_db, "M2", min_respondents=5)  # the 10-respondent wave is now reported
    assert "suppressed" not in _by_key(m2)["engagement-journey"].caption
    m1 = load_mutual(handmade_db, "M1", min_respondents=100)  # every wave suppressed
    journey = _by_key(m1)["engagement-journey"].chart.to_dict()
    assert "suppressed (n < 100)" in json.dumps(journey, ensure_ascii=False)


def test_empty_frames_give_a_no_data_chart():
    empty = pd.DataFrame(columns=["year_end", "planned_income", "income_total", "plan_delivery"])
    chart = charts.plan_income_chart(empty)
    assert "No five-year plan targets on record" in json.dumps(chart.to_dict(), ensure_ascii=False)
    assert export.to_svg(chart).lstrip().startswith("<svg")


def test_presentation_scaling_enlarges_type(m1):
    chart = _by_key(m1)["engagement-journey"].chart
    big = charts.for_presentation(chart, 1.4)
    config = big.to_dict()["config"]
    assert config["axis"]["labelFontSize"] == 17 and config["title"]["fontSize"] == 21
    assert big.to_dict()["height"] > chart.to_dict()["height"]
    assert "config" not in chart.to_dict() or chart.to_dict()["config"]["axis"]["labelFontSize"] == 12
    assert export.to_png(big)[:8] == PNG_SIGNATURE


def test_download_tables_are_formatted(m1):
    tables = mutual_tables.download_tables(m1)
    assert set(tables) == {"indicators", "contracts", "waves", "financials"}
    assert len(tables["indicators"]) == 17
    row = tables["indicators"].set_index("indicator").loc["Engagement score"]
    assert (row["value"], row["status"]) == ("7.3/10", "✓ Green")
    assert tables["contracts"]["annual_value"].tolist() == ["£9.0m", "£7.0m", "£1.0m", "£2.0m"]
    assert tables["financials"]["financial_year"].tolist() == ["2024/25", "2025/26"]  # the plan-only year is not a row


def test_zero_intervals_read_this_month_in_captions():
    """Issue 10: a session or a contract end in the as-of month never reads '0 months'."""
    from datetime import date

    import pandas as pd

    from mutuals.charts.mutual import contract_caption, sessions_caption

    as_of = date(2026, 6, 30)
    sessions = pd.DataFrame({"session_date": pd.to_datetime(["2025-06-20", "2026-06-25"]),
                             "months_since_previous": [None, 12.2], "kind": ["away_day", "away_day"]})
    text = sessions_caption(sessions, as_of)
    assert text.endswith("The latest was in the same month as 30 Jun 2026.") and "0 months" not in text
    older = sessions.assign(session_date=pd.to_datetime(["2025-06-20", "2026-03-30"]))
    assert sessions_caption(older, as_of).endswith("The latest was 3 months before 30 Jun 2026.")
    contracts = pd.DataFrame({"title": ["Care"], "commissioner_name": ["Council"], "annual_value": [1e6],
                              "start_date": pd.to_datetime(["2021-07-01"]), "end_date": pd.to_datetime(["2026-07-05"]),
                              "max_end_date": pd.to_datetime(["2026-07-05"]), "active": [True], "outcome": [None]})
    text = contract_caption(contracts, as_of)
    assert "ends on 5 Jul 2026, this month, with no extension option" in text and "0 months" not in text
