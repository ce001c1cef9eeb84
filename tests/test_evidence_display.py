"""Evidence dates and stale evidence are shown wherever a status is: card, matrix hover, board-pack table.

M1 of the hand-made fixture, as of 2028-06-30: its latest financial year (31 Mar 2026) and plan year
(31 Mar 2026) are 27 months old, over the 24-month maximum, so they are stale; its latest review
(15 Feb 2026) is 28 months old: stale too.
"""

from __future__ import annotations

from datetime import date

import pytest

from mutuals.charts import portfolio as charts
from mutuals.services.indicators import compute_indicators
from mutuals.services.mutual import indicator_table, load_mutual
from mutuals.ui.components import indicator_card

LATE = date(2028, 6, 30)


@pytest.fixture(scope="module")
def late_table(handmade_db):
    return indicator_table(load_mutual(handmade_db, "M1", LATE)).set_index("indicator")


def test_stale_indicators_keep_value_and_date_but_are_not_rated(late_table):
    reserves = late_table.loc["reserves_months"]
    assert reserves["value_text"] == "2.0 months" and reserves["status"] == "no_data" and reserves["stale"]
    assert reserves["evidence_date"] == date(2026, 3, 31)
    assert reserves["evidence_text"] == "Latest financial year 31 Mar 2026: over 24 months old, not rated"
    rating = late_table.loc["relationship_rating"]
    assert rating["stale"] and rating["evidence_date"] == date(2026, 2, 15)
    # An indicator measured on the as-of date has no evidence date and is never stale.
    session = late_table.loc["months_since_strategy_session"]
    assert not session["stale"] and session["evidence_text"] == "" and session["status"] == "red"


def test_card_shows_evidence_and_stale_mark(late_table, handmade_db):
    card = indicator_card({**late_table.loc["reserves_months"].to_dict(), "indicator": "reserves_months"})
    assert "⌛ Stale" in card and "Latest financial year 31 Mar 2026: over 24 months old, not rated" in card
    assert "– No data" in card
    fresh = indicator_table(load_mutual(handmade_db, "M1", date(2026, 6, 30))).set_index("indicator")
    card = indicator_card({**fresh.loc["reserves_months"].to_dict(), "indicator": "reserves_months"})
    assert "⌛ Stale" not in card and "Latest financial year 31 Mar 2026" in card and "▲ Amber" in card


def test_matrix_hover_marks_stale_evidence(handmade_db):
    rows = compute_indicators(handmade_db, LATE, scope=["M1"])
    page = charts.status_matrix_html(rows)
    assert ("Reserves cover: 2.0 months (No data), latest financial year 31 Mar 2026: stale, over 24 months old"
            in page)


def test_board_pack_table_shows_evidence(late_table, handmade_db):
    from mutuals.reports.boardpack.content import indicator_table as pack_indicator_table

    view = load_mutual(handmade_db, "M1", LATE)
    rows = late_table.reset_index()
    table = pack_indicator_table(rows[rows["area_key"] == "finance"], view)
    assert "Evidence" in table["header"]
    cells = [c for row in table["rows"] for c in row if isinstance(c, dict)]
    assert any(c["text"] == "31 Mar 2026" and "stale: not rated" in c.get("note", "") for c in cells)
