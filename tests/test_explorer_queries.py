"""The explorer's SQL on the hand-made fixture: given its rows, hand-worked rows out.

Also the build queries that make the derived tables (``panel_span``, ``panel_store``, ``survival_store``),
checked through what they store.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from mutuals.infra.build import BUILD_QUERIES
from mutuals.infra.db import connect, load_sql

D = date(2026, 6, 30)


def test_explorer_mutuals(handmade_db):
    frame = handmade_db.query("explorer_mutuals", scope=None)
    assert frame["mutual_id"].tolist() == ["M1", "M2", "M3", "M4", "M5", "M6"]
    # parents: M1 ← C2 (an ICB: nhs); M2, M4, M6 ← C3 and M3, M5 ← C1 (councils)
    assert frame["parent_kind"].tolist() == ["nhs", "local_authority", "local_authority", "local_authority",
                                             "local_authority", "local_authority"]
    assert frame["spin_out_year"].tolist() == [2012, 2014, 2013, 2026, 2020, 2027]
    assert "engagement_score" not in frame and "income_parent" not in frame  # public attributes only
    assert handmade_db.query("explorer_mutuals", scope=["M2"])["mutual_id"].tolist() == ["M2"]


def test_panel_span(handmade_db_path):
    con = connect(handmade_db_path)
    try:
        # the first day any mutual is visible: M1's options appraisal
        assert con.execute(load_sql("panel_span")).fetchall() == [(date(2011, 1, 1),)]
    finally:
        con.close()


def test_explorer_panel_rows_per_mutual(handmade_db):
    """``panel_store`` keeps each 31 March from the first one a mutual is visible to the last before it ceased.

    M1 visible from 2011-01-01: 31 March 2011…2026, 16 rows. M2 from its spin-out 2014-04-01: 2015…2026, 12.
    M3 from 2012-06-01 to its ceasing on 2020-06-30: 2013…2020, 8. M4 from 2026-01-01: 2026, 1. M5 from its
    spin-out 2020-04-01: 2021…2026, 6. M6 is not visible by the data date: none.
    """
    assert "panel_store" in BUILD_QUERIES and "panel_span" in BUILD_QUERIES
    panel = handmade_db.query("explorer_panel", scope=None)
    assert panel.groupby("mutual_id").size().to_dict() == {"M1": 16, "M2": 12, "M3": 8, "M4": 1, "M5": 6}
    assert set(pd.to_datetime(panel["panel_date"]).dt.strftime("%m-%d")) == {"03-31"}
    m3 = panel[panel["mutual_id"] == "M3"]
    assert pd.to_datetime(m3["panel_date"]).max() == pd.Timestamp("2020-03-31")
    assert m3["years_since_spin_out"].tolist() == [-1, 0, 1, 2, 3, 4, 5, 6]  # spun out 1 Apr 2013
    assert len(handmade_db.query("explorer_panel", scope=["M2"])) == 12


def test_survival_rows(handmade_db):
    """``survival_store`` then ``explorer_survival`` on D: M4 and M6 are not spun out by D; M3 ceased on 2020-06-30
    and lost its parent's contract (K6, lost at re-tender) on 2019-03-31; the others are censored at D."""
    assert "survival_store" in BUILD_QUERIES
    frame = handmade_db.query("explorer_survival", as_of=D, scope=None)
    rows = {(r.event, r.mutual_id): (r.start.date(), r.stop.date(), bool(r.observed))
            for r in frame.itertuples()}
    assert rows == {
        ("ceasing", "M1"): (date(2012, 4, 1), D, False),
        ("ceasing", "M2"): (date(2014, 4, 1), D, False),
        ("ceasing", "M3"): (date(2013, 4, 1), date(2020, 6, 30), True),
        ("ceasing", "M5"): (date(2020, 4, 1), D, False),
        ("parent_contract_loss", "M1"): (date(2012, 4, 1), D, False),
        ("parent_contract_loss", "M2"): (date(2014, 4, 1), D, False),
        ("parent_contract_loss", "M3"): (date(2013, 4, 1), date(2019, 3, 31), True),
        ("parent_contract_loss", "M5"): (date(2020, 4, 1), D, False),
    }
    # Before M3's loss, on 2018-12-31, nothing has happened yet: everyone is censored then.
    early = handmade_db.query("explorer_survival", as_of=date(2018, 12, 31), scope=None)
    assert not early["observed"].any() and set(early["mutual_id"]) == {"M1", "M2", "M3"}
    assert handmade_db.query("explorer_survival", as_of=D, scope=["M3"])["mutual_id"].tolist() == ["M3", "M3"]
