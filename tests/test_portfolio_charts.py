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
    # trading mutuals only (M3 ceased and M4 before spin-out are listed apart), by overall status, then by name
    assert rows["mutual_id"].tolist() == ["M2", "M1", "M5"]
    page = charts.status_matrix_html(rows, "sector=Health+%26+Social+Care")
    body = page[page.index("<tbody>"):]
    assert body.count("<tr>") == 3 and body.count("<td ") == 3 * 22  # Overall + 4 areas + 17 indicators
    assert body.index(">Beta Leisure Trust<") < body.index(">Alpha Community Health CIC<")
    # colour plus symbol in the cell; value and status word on hover (title) and as visually hidden text
    hover = "Engagement score: 7.3/10 (Green), latest survey wave 1 Oct 2025"  # with its evidence date
    assert (f'tabindex="-1" style="background:#009E73;color:#000" title="{hover}"><span aria-hidden="true">✓</span>'
            f'<span class="sm-sr">{hover}</span></td>') in body
    # the overall status: a labelled pill (its own shape, ● not ✖) in its own column; reasons on hover and as text
    assert ('<td class="sm-overall" tabindex="0" title="At risk: Relationship: dependency and contract horizon both '
            'red (re-tender cliff') in body
    assert ('<span class="sm-pill" style="background:#D55E00;color:#000"><span aria-hidden="true">●</span> At risk'
            '</span>') in body
    assert body.count('tabindex="0"') == 1  # one tab stop: the arrow keys move inside the grid
    # one column per area before the indicators, set apart by a gap: M2's engagement area is red
    assert 'title="Staff engagement and ownership area: Red"><span aria-hidden="true">✖</span>' in body
    assert body.count('class="sm-area sm-start"') == 3 and body.count('<td class="sm-start"') == 3
    assert '<th colspan="4" scope="colgroup" class="sm-group sm-start">Areas</th>' in page
    assert 'href="mutual?mutual=M1&amp;sector=Health+%26+Social+Care" target="_self"' in body
    assert '<th colspan="3" scope="colgroup" class="sm-group sm-start">Leadership</th>' in page
    # one legend for both: the overall ladder as pills, then the area/indicator cells, symbol and word for each
    legend = page[page.index("id='sm-legend'"):]
    assert page.count("id='sm-legend'") == 1 and "aria-describedby='sm-legend'" in page
    assert legend.index("Overall status") < legend.index("●</span> At risk") < legend.index("◇</span> Pre-spin-out") \
        < legend.index("Area and indicator status") < legend.index("✖</span> Red")


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
    # the caption names which mutuals it counts: the trading mutuals with both values, out of all trading
    assert charts.dependency_caption(frame, trading=3).startswith(
        "0 of the 1 trading mutuals with a parent income share and an engagement trend (of 3 trading) sit in the "
        "risky quadrant")
    assert charts.dependency_caption(frame.iloc[0:0]).startswith("No trading mutual has both")


def test_ceased_and_pre_spin_out_mutuals_leave_the_matrix_and_the_scatter(view):
    """M3 ceased on 30 Jun 2020 and would otherwise plot (it has both values as of its ceasing); M4 is in appraisal."""
    ceased = view.indicators[view.indicators["mutual_id"] == "M3"].assign(
        parent_income_share=0.95, engagement_change_from_peak=-2.0, overall_status="ceased")
    both = __import__("pandas").concat([view.indicators, ceased])
    assert "M3" not in set(charts.dependency_frame(both)["mutual_id"])
    assert "M3" not in set(charts.matrix_rows(both)["mutual_id"])
    assert charts.matrix_caption(view.indicators).startswith("3 trading mutuals: 1 at risk, 1 watch, 1 sustainable.")
    assert view.ceased()[["mutual_id", "ceased_date"]].astype(str).values.tolist() == [["M3", "2020-06-30"]]
    assert view.not_yet_spun_out()["mutual_id"].tolist() == ["M4"]
    assert "M3" not in set(view.all_warnings()["mutual_id"])


def test_expiry_caption_names_whose_contracts_and_the_legends_have_room(view):
    frame = charts.expiry_frame(view.contracts, view.indicators, D)
    caption = charts.expiry_caption(frame, whose="Eastfold District Council's own contracts")
    assert caption.startswith("Eastfold District Council's own contracts: £8.9m a year across 3 contract(s)")
    assert charts.expiry_caption(frame.iloc[0:0], whose="X's own contracts") == \
        "X's own contracts: no active contract ends in the next 36 months."
    spec = charts.expiry_timeline(frame, D).to_dict()
    size = spec["layer"][0]["encoding"]["size"]["legend"]
    assert size["direction"] == "vertical" and size["offset"] > 0  # circles stacked: narrow enough, not clipped
    assert spec["padding"]["bottom"] >= 20


def test_warnings_top_and_count(view):
    assert view.warning_count == len(view.all_warnings())
    top = view.top_warnings(3)
    assert len(top) == 3 and set(top["mutual_id"]) == {"M2"}  # the at-risk mutual's warnings come first
