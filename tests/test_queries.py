"""The smaller queries on the hand-made fixture, and a check that every SQL file is tested."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_sql_file_has_a_test():
    """Each queries/<name>.sql is run by name somewhere in tests/ (schema by load_sql)."""
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    untested = [p.stem for p in sorted((ROOT / "queries").glob("*.sql"))
                if not re.search(rf"""["']{re.escape(p.stem)}["']""", tests)]
    assert untested == []


def test_active_contracts(handmade_db):
    frame = handmade_db.query("active_contracts", as_of=date(2026, 6, 30), scope=None, days_per_month=30.4375, buyer=None)
    # soonest end first; K3 ends exactly on D and is still active
    assert frame["contract_id"].tolist() == ["K3", "K5", "K2", "K4"]
    k3 = frame.set_index("contract_id").loc["K3"]
    assert k3["months_to_end"] == 0 and bool(k3["from_parent"]) is False
    k2 = frame.set_index("contract_id").loc["K2"]
    assert bool(k2["from_parent"]) is True and k2["commissioner_name"] == "Southmere ICB"
    assert k2["months_to_end"] == pytest.approx(274 / 30.4375)
    scoped = handmade_db.query("active_contracts", as_of=date(2026, 7, 1), scope=["M1"], days_per_month=30.4375, buyer=None)
    assert scoped["contract_id"].tolist() == ["K2", "K4"]


def test_commissioners(handmade_db):
    frame = handmade_db.query("commissioners", scope=None)
    assert frame["name"].tolist() == ["Eastfold District Council", "Northvale Borough Council", "Southmere ICB"]
    assert dict(zip(frame["commissioner_id"], frame["mutuals_spun_out"])) == {"C1": 2, "C2": 1, "C3": 3}
    # a user who may see only M2 sees C3 (its parent and its contract's buyer)
    scoped = handmade_db.query("commissioners", scope=["M2"])
    assert scoped["commissioner_id"].tolist() == ["C3"] and scoped["mutuals_spun_out"].tolist() == [1]


def test_filter_options(handmade_db):
    frame = handmade_db.query("filter_options", scope=None)
    sectors = frame[frame["filter"] == "sector"].set_index("value")["mutuals"].to_dict()
    assert sectors == {"Culture, Media & Libraries": 1, "Education, Youth & Children's Services": 1,
                       "Health & Social Care": 2, "Housing": 1, "Sports & Leisure": 1}
    regions = frame[frame["filter"] == "region"].set_index("value")["mutuals"].to_dict()
    assert regions == {"North West": 3, "South East": 3}
    scoped = handmade_db.query("filter_options", scope=["M1"])
    assert scoped["value"].tolist() == ["North West", "Health & Social Care"]


def test_dataset_info_and_data_date(handmade_db):
    assert handmade_db.query("dataset_info")["key"].tolist() == ["generator", "synthetic"]
    assert handmade_db.query("data_date")["data_date"].iloc[0].date() == date(2026, 6, 30)


def test_missing_parameter_is_a_clear_error(handmade_db):
    from mutuals.infra.db import QueryError

    with pytest.raises(QueryError, match=r"queries/active_contracts.sql needs parameter\(s\) \$as_of"):
        handmade_db.query("active_contracts", scope=None, days_per_month=30.4375, buyer=None)
    with pytest.raises(QueryError, match="No query file"):
        handmade_db.query("no_such_question")
