"""AppTests of the mutual page (pages/mutual.py) on the hand-made fixture (D = 2026-06-30) and the sample.

M1: a trading health mutual with data everywhere; M2: at risk, one 10-respondent (suppressed) wave;
M3: ceased; M4: pre-spin-out; M5: no data at all; M6: appears only after D.
"""

from __future__ import annotations

import io
import json
import re
import time

import pyarrow as pa
import pytest

from mutuals.infra.db import DATA_DIR, Database
from mutuals.infra.versions import current_database
from tests.apptest import captions as apptest_captions
from tests.apptest import elements, open_app, texts
from tests.apptest import title as apptest_title

PAGE = "pages/mutual.py"
SECTIONS = ["overview", "leadership", "engagement", "relationship", "finance"]
SECTION_HEADERS = {"leadership": "Leadership and strategy", "engagement": "Staff engagement and ownership",
                   "relationship": "Commissioner relationship", "finance": "Finance"}


def open_mutual(data_dir, mutual_id: str | None, **params):
    query = {"mutual": mutual_id, **params} if mutual_id else params
    return open_app(data_dir, query, page=PAGE)


def chart_payloads(at) -> list[str]:
    """Every chart's Vega-Lite spec and data (decoded from Arrow) as text."""
    out = []
    for chart in elements(at, "vega_lite_chart"):
        proto = chart.proto
        out.append(proto.spec)
        for dataset in proto.datasets:
            table = pa.ipc.open_stream(io.BytesIO(dataset.data.data)).read_all()
            out.append(json.dumps(table.to_pylist(), default=str))
    return out


def everything(at) -> str:
    """All text on the page: markdown, captions, alerts, headings, HTML, tables, labels and chart payloads."""
    parts = [texts(at)]
    parts += [h.value for h in at.header]
    parts += [h.proto.body for h in at.get("html")]
    parts += [d.value.to_csv(index=False) for d in at.dataframe]
    parts += [b.label for b in at.get("download_button")]
    parts += chart_payloads(at)
    return "\n".join(parts)


def html_text(at) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


# --------------------------------------------------------------------------- M1: the full story


@pytest.fixture(scope="module")
def m1(handmade_dir):
    return open_mutual(handmade_dir, "M1")


def test_renders_a_mutual_from_the_url(m1):
    assert not m1.exception
    assert apptest_title(m1) == "Alpha Community Health CIC"
    assert m1.selectbox(key="mutual_pick").value == "M1"
    assert m1.query_params["mutual"] == ["M1"] or m1.query_params["mutual"] == "M1"
    facts = html_text(m1)
    for fact in ("Health &amp; Social Care", "Community Interest Company (limited by guarantee)", "Employee-owned",
                 "1 Apr 2012 (14.2 years ago)", "200", "60%", "Southmere ICB", "North West"):
        assert fact in facts, fact
    text = texts(m1)
    assert "◔ Watch" in text and "Stage: **Trading**" in text
    # the reasons, in words
    assert "Engagement amber: engagement red (engagement change from peak −0.8)" in text
    assert ("Relationship amber: contract horizon red (months to main contract end 9.0 months, "
            "contract value ending in 12 months 80%)") in text


def test_indicator_cards_show_value_status_change_and_sector(m1):
    cards = [m.value for m in m1.markdown if 'class="indicator-card"' in m.value]
    assert len(cards) == 17  # every indicator once
    engagement = next(c for c in cards if ">Engagement score<" in c)
    assert ">7.3/10<" in engagement and "✓ Green" in engagement
    assert "Change on a year:" in engagement and "Sector median 7.3/10 (n = 1)" in engagement
    plan = next(c for c in cards if ">Plan delivery<" in c)
    assert ">92%<" in plan and "▲ Amber" in plan
    contract = next(c for c in cards if ">Months to main contract end<" in c)
    assert ">9.0 months<" in contract and "✖ Red" in contract
    for factor in ("Leadership and strategy", "Staff engagement and ownership", "Commissioner relationship",
                   "Finance"):
        assert f"**{factor}**" in texts(m1)


def test_factor_sections_have_charts_commentary_and_downloads(m1):
    assert [h.value for h in m1.header] == list(SECTION_HEADERS.values())
    text = texts(m1)
    assert "Engagement is 0.8 points below its transition-phase peak (8.1/10), at 7.3/10." in text
    assert "The main contract (£7.0m a year) ends in 9 months, on 31 Mar 2027." in text
    captions = apptest_captions(m1)
    assert any(c.startswith("Engagement peaked at 8.1/10 (transition phase, 15 Jan 2012)") for c in captions)
    assert any(c.startswith("In 2025/26 income was £11.0m against a plan of £12.0m (92% of plan)") for c in captions)
    assert any(c.startswith("3 active contract(s) worth £10.0m a year") for c in captions)
    assert len(elements(m1, "vega_lite_chart")) == 13
    labels = [b.label for b in m1.get("download_button")]
    assert {"Board pack (PDF)", "Download indicator table (CSV)", "Download survey waves (CSV)",
            "Download contracts (CSV)", "Download financial years (CSV)"} <= set(labels)
    assert labels.count("PNG") == 13 and labels.count("SVG") == 13
    assert "SYNTHETIC" in text.upper() or "Synthetic sample data" in text


def test_picker_changes_the_mutual_and_the_url(handmade_dir):
    at = open_mutual(handmade_dir, "M1")
    at.selectbox(key="mutual_pick").set_value("M3").run()
    assert not at.exception
    assert apptest_title(at) == "Gamma Care Co-operative"
    assert at.query_params["mutual"] in ("M3", ["M3"])
    assert "Ceased trading on 30 Jun 2020" in texts(at)


def test_no_mutual_in_the_url_asks_for_one(handmade_dir):
    at = open_mutual(handmade_dir, None)
    assert not at.exception
    assert at.selectbox(key="mutual_pick").value is None
    assert any("Choose a mutual" in i.value for i in at.info)


def test_unknown_id_gets_a_friendly_message(handmade_dir):
    at = open_mutual(handmade_dir, "NOPE")
    assert not at.exception
    assert any("No mutual with id “NOPE”" in w.value for w in at.warning)
    assert at.selectbox(key="mutual_pick").value is None
    at.selectbox(key="mutual_pick").set_value("M2").run()  # and the picker still works
    assert not at.exception and apptest_title(at) == "Beta Leisure Trust"


# --------------------------------------------------------------------------- presentation mode


def _section_shown(at) -> str:
    headers = [h.value for h in at.header]
    assert len(headers) <= 1, headers
    if not headers:
        return "overview"
    return next(k for k, v in SECTION_HEADERS.items() if v == headers[0])


# Issue 10: a section is split into slides that fit one screen: its cards and commentary, then one slide per chart.
CHARTS_PER_AREA = {"leadership": 3, "engagement": 4, "relationship": 3, "finance": 3}
SLIDES = ["overview"] + [name for area, n in CHARTS_PER_AREA.items()
                         for name in [area] + [f"{area}-{i}" for i in range(2, n + 2)]]


def test_presentation_mode_steps_through_every_slide(handmade_dir):
    at = open_mutual(handmade_dir, "M1", present="1")
    assert not at.exception
    assert "stSidebar" in html_text(at)  # the sidebar and chrome are hidden by CSS
    assert not [s for s in at.selectbox if s.key == "mutual_pick"]  # no picker on the projector
    assert _section_shown(at) == "overview"
    assert apptest_title(at) == "Alpha Community Health CIC"
    assert f"(slide 1 of {len(SLIDES)})" in texts(at)
    seen = ["overview"]
    for _ in range(len(SLIDES)):
        at.button(key="present_next").click().run()
        assert not at.exception
        name = at.query_params["section"]
        seen.append(name[0] if isinstance(name, list) else name)
        area = seen[-1].split("-")[0]
        assert _section_shown(at) == area
        assert f"(slide {SLIDES.index(seen[-1]) + 1} of {len(SLIDES)})" in texts(at)
        charts_shown = len(elements(at, "vega_lite_chart"))
        if area == "overview":
            assert charts_shown == 0
        elif "-" in seen[-1]:  # one chart per slide, at the slide's size, with its caption and no export buttons
            assert charts_shown == 1 and not at.get("download_button")
        else:  # the area's first slide: its cards and commentary
            assert charts_shown == 0 and any("indicator-card" in m.value for m in at.markdown)
    assert seen == SLIDES + ["overview"]  # wraps round
    at.button(key="present_prev").click().run()
    assert not at.exception and _section_shown(at) == "finance"
    assert at.query_params["section"] in ("finance-4", ["finance-4"])
    at.button(key="present_exit").click().run()
    assert not at.exception
    assert "present" not in at.query_params and "section" not in at.query_params
    assert [h.value for h in at.header] == list(SECTION_HEADERS.values())


def test_presentation_toggle_and_section_link(handmade_dir):
    at = open_mutual(handmade_dir, "M1")
    at.toggle(key="present_toggle").set_value(True).run()
    assert not at.exception
    assert at.query_params["present"] in ("1", ["1"])
    assert _section_shown(at) == "overview"
    linked = open_mutual(handmade_dir, "M1", present="1", section="engagement")  # an old link: the area's first slide
    assert not linked.exception and _section_shown(linked) == "engagement"
    assert any("indicator-card" in m.value for m in linked.markdown) and not elements(linked, "vega_lite_chart")
    third = open_mutual(handmade_dir, "M1", present="1", section="engagement-3")
    assert not third.exception and _section_shown(third) == "engagement"
    assert len(elements(third, "vega_lite_chart")) == 1
    assert "Engagement 3/5" in texts(third)
    for alias, area in (("finance-1", "finance"), (str(SLIDES.index("relationship")), "relationship")):
        other = open_mutual(handmade_dir, "M1", present="1", section=alias)
        assert not other.exception and _section_shown(other) == area, alias
    bad = open_mutual(handmade_dir, "M1", present="1", section="nonsense")
    assert not bad.exception and _section_shown(bad) == "overview"
    assert any("nonsense" in i.value for i in bad.info)


def test_slide_keys_script_only_clicks_the_slide_buttons(handmade_dir):
    """The key listener is a fixed script (no data in it) that clicks Previous/Next by their keys."""
    at = open_mutual(handmade_dir, "M1", present="1", section="leadership-2")
    scripts = [h.proto.body for h in at.get("html") if "__mutualSlideKeys" in h.proto.body]
    assert len(scripts) == 1
    script = scripts[0]
    for key in ("ArrowRight", "ArrowLeft", "PageDown", "PageUp", ".st-key-present_"):
        assert key in script
    assert "Alpha" not in script and "M1" not in script
    plain = open_mutual(handmade_dir, "M1")
    assert not [h for h in plain.get("html") if "__mutualSlideKeys" in h.proto.body]  # only in presentation mode


# --------------------------------------------------------------------------- thin data and suppression


def test_a_mutual_with_no_data_renders(handmade_dir):
    at = open_mutual(handmade_dir, "M5")
    assert not at.exception
    assert apptest_title(at) == "Epsilon Libraries"
    text = texts(at)
    assert "No staff survey is on record." in text  # commentary
    assert "No staff survey is on record up to 30 Jun 2026." in text  # chart caption
    assert "No contract is on record up to 30 Jun 2026." in text
    assert len(elements(at, "vega_lite_chart")) == 13  # each chart says "no data"
    assert not at.dataframe  # no empty tables


def test_suppressed_wave_never_shows_a_number(handmade_dir):
    at = open_mutual(handmade_dir, "M2")
    assert not at.exception
    assert apptest_title(at) == "Beta Leisure Trust"
    page = everything(at)
    assert "suppressed (n < 11)" in page
    # The 10-respondent wave's score is (6 × 6.0 + 4 × 7.5) / 10 = 6.6; its groups scored 6.0 and 7.5.
    for hidden in ("6.6/10", "6.0/10", "7.5/10", "6.6", "6.59", "6.60"):
        assert hidden not in page, hidden
    for payload in chart_payloads(at):
        numbers = [float(x) for x in re.findall(r"(?<![\w.])\d+\.\d+", payload)]
        assert not [x for x in numbers if abs(x - 6.6) < 1e-6 or x in (6.0, 7.5)], payload[:300]
    waves = next(d.value for d in at.dataframe if "engagement_score" in d.value.columns)
    assert set(waves["engagement_score"]) == {"suppressed (n < 11)"}


@pytest.mark.parametrize("mutual_id, name", [("M3", "Gamma Care Co-operative"), ("M4", "Delta Youth Mutual"),
                                             ("M6", "Zeta Homes")])
def test_ceased_pre_spin_out_and_future_mutuals_render(handmade_dir, mutual_id, name):
    at = open_mutual(handmade_dir, mutual_id)
    assert not at.exception
    assert apptest_title(at) == name
    if mutual_id == "M6":
        assert any("does not appear in the data" in i.value for i in at.info)


def test_an_earlier_as_of_date_changes_the_story(handmade_dir):
    at = open_mutual(handmade_dir, "M1", as_of="2020-01-01")
    assert not at.exception
    assert "as of 1 Jan 2020" in texts(at)
    assert "7.3/10" not in "".join(m.value for m in at.markdown if "indicator-card" in m.value)


# --------------------------------------------------------------------------- acceptance: the whole sample


CHUNKS = 6  # the sample in six parts, so the test workers share the work evenly


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_every_sample_mutual_renders(chunk):
    """For every mutual in the sample (one sixth per chunk), the mutual page renders with no exception."""
    with Database(current_database(DATA_DIR, DATA_DIR / "mutuals.duckdb")) as db:
        mutuals = db.query("mutual_list", scope=None)
    everyone = list(mutuals["mutual_id"])
    assert len(everyone) >= 100
    ids, names = everyone[chunk::CHUNKS], dict(zip(mutuals["mutual_id"], mutuals["name"]))
    started = time.monotonic()
    at = open_mutual(DATA_DIR, ids[0])
    failures = []
    for mutual_id in ids:
        at.selectbox(key="mutual_pick").set_value(mutual_id).run()
        if at.exception or apptest_title(at) != names[mutual_id]:
            failures.append((mutual_id, [e.message for e in at.exception][:1]))
            at = open_mutual(DATA_DIR, ids[0])  # a fresh session for the rest
            continue
        assert len(elements(at, "vega_lite_chart")) == 13, mutual_id
    assert not failures, failures
    elapsed = time.monotonic() - started
    print(f"{len(ids)} mutual pages in {elapsed:.0f} s ({elapsed / len(ids):.2f} s each)")
