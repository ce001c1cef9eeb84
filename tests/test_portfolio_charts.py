"""Portfolio chart builders: valid Vega-Lite, renderable on the server, captions with numbers."""

from __future__ import annotations

from datetime import date

import pytest

from mutuals.charts import export
from mutuals.charts import portfolio as charts
from mutuals.services.portfolio import build_portfolio

D = date(2026, 6, 30)


@pytest.fixture(scope="module")
def view(handmade_db):
    return build_portfolio(handmade_db, D)


def test_matrix_is_an_accessible_sorted_table(view):
    rows = view.with_reasons(charts.matrix_rows(view.indicators))
    # rows sort by overall status, then by name
    assert rows["mutual_id"].tolist() == ["M2", "M1", "M5", "M4", "M3"]
    page = charts.status_matrix_html(rows, "sector=Health+%26+Social+Care")
    body = page[page.index("<tbody>"):]
    assert body.count("<tr>") == 5 and body.count("<td ") == 5 * 22  # Overall + 4 areas + 17 indicators
    assert body.index(">Beta Leisure Trust<") < body.index(">Alpha Community Health CIC<")
    # colour plus symbol in the cell; value and status word on hover and for screen readers
    hover = "Engagement score: 7.3/10 (Green), latest survey wave 1 Oct 2025"  # with its evidence date
    assert f'title="{hover}" aria-label="{hover}">✓</td>' in body
    assert 'background:#D55E00;color:#000" title="At risk: Relationship: dependency and contract horizon both red ' \
           '(re-tender cliff' in body
    # one column per area before the indicators: M2's engagement area is red, its finance green
    assert 'title="Staff engagement and ownership area: Red" aria-label' in body
    assert '<th colspan="4" scope="colgroup" class="sm-group">Areas</th>' in page
    assert 'href="mutual?mutual=M1&amp;sector=Health+%26+Social+Care" target="_self"' in body
    assert '<th colspan="3" scope="colgroup" class="sm-group">Leadership</th>' in page
    assert "✖ Red" in page and "◇ Pre-spin-out" in page  # the legend: symbol and word for every status


def test_matrix_row_cap_keeps_the_most_severe(view):
    rows = charts.matrix_rows(view.indicators, limit=2)
    assert rows["mutual_id"].tolist() == ["M2", "M1"]  # at risk, then watch


def test_expiry_timeline_and_caption(view):
    frame = charts.expiry_frame(view.contracts, view.indicators, D)
    assert sorted(frame["contract_id"]) == ["K2", "K3", "K4", "K5"]  # all end within 36 months
    assert charts.timeline_rows(frame, limit=1)["mutual_id"].unique().tolist() == ["M1"]
    spec = charts.expiry_timeline(frame, D).to_dict()
    assert export.to_png(spec)[:8] == b"\x89PNG\r\n\x1a\n"
    caption = charts.expiry_caption(frame, shown_mutuals=1)
    assert caption.startswith("£8.9m a year across 3 contract(s) ends within 12 months, £10.9m within 36.")
    assert "Showing the 1 of 2 mutuals with the most value ending." in caption


def test_dependency_scatter_and_caption(view):
    frame = charts.dependency_frame(view.indicators)
    assert frame["mutual_id"].tolist() == ["M1"]  # the only one with both values (M4 has no finance)
    charts.dependency_scatter(frame).to_dict()
    assert charts.dependency_caption(frame).startswith("0 of 1 mutuals sit in the risky quadrant")
    assert charts.dependency_caption(frame.iloc[0:0]).startswith("No mutual has both")


def test_warnings_top_and_count(view):
    assert view.warning_count == len(view.all_warnings())
    top = view.top_warnings(3)
    assert len(top) == 3 and set(top["mutual_id"]) == {"M2"}  # the at-risk mutual's warnings come first
