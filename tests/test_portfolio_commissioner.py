"""Issue 10 on the portfolio: a commissioner's own money, portfolio churn, ceased mutuals, one warning block per mutual.

The commissioner figures are checked on the bundled sample (data/) for C006 against sums worked in pandas
straight from the CSV files, never through the app's SQL.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.proto.Metric_pb2 import Metric

from mutuals import formatting as fmt
from mutuals.charts import portfolio as charts
from mutuals.infra.build import build
from mutuals.infra.db import Database
from mutuals.rules import load_rules
from mutuals.services.indicators import resolve_as_of
from mutuals.services.portfolio import build_portfolio
from mutuals.services.warnings import warnings_for
from tests.apptest import captions, metrics, open_app, texts

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data"
D = date(2026, 9, 30)  # the sample's data date (checked below)
C = "C006"


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    """A copy of the bundled CSVs (the app builds its database beside them, never in data/)."""
    folder = tmp_path_factory.mktemp("sample")
    for csv in SAMPLE.glob("*.csv"):
        shutil.copy(csv, folder / csv.name)
    return folder


@pytest.fixture(scope="module")
def sample_db(sample_dir):
    with Database(build(sample_dir, sample_dir / "check.duckdb").db_path) as db:
        yield db


def independent(day: date) -> dict[str, float]:
    """C006's own active contracts and all contracts of its trading portfolio, summed in pandas from the CSVs."""
    contracts = pd.read_csv(SAMPLE / "contracts.csv", parse_dates=["start_date", "end_date"])
    mutuals = pd.read_csv(SAMPLE / "mutuals.csv", parse_dates=["spin_out_date", "ceased_date"], dtype={"status": str})
    d = pd.Timestamp(day)
    trading = mutuals[(mutuals["spin_out_date"] <= d) & ~((mutuals["status"] == "ceased") & (mutuals["ceased_date"] <= d))]
    active = contracts[(contracts["start_date"] <= d) & (d <= contracts["end_date"])
                       & contracts["mutual_id"].isin(trading["mutual_id"])]
    own = active[active["commissioner_id"] == C]
    portfolio = set(trading.loc[trading["parent_commissioner_id"] == C, "mutual_id"]) | set(own["mutual_id"])
    every = active[active["mutual_id"].isin(portfolio)]
    out = {"mutuals": len(portfolio), "own_value": own["annual_value"].sum(), "all_value": every["annual_value"].sum()}
    for days in (365, 730):
        horizon = d + pd.Timedelta(days=days)
        out[f"own_ending_{days}d"] = own.loc[own["end_date"] <= horizon, "annual_value"].sum()
        out[f"all_ending_{days}d"] = every.loc[every["end_date"] <= horizon, "annual_value"].sum()
    return out


def test_c006_headlines_are_its_own_contracts(sample_db):
    assert resolve_as_of(sample_db, None) == D
    view = build_portfolio(sample_db, D, commissioner=C)
    h = {x.key: x for x in view.headlines}
    expected = independent(D)
    for key in ("own_value", "own_ending_365d", "own_ending_730d", "all_value", "all_ending_365d", "all_ending_730d"):
        assert h[key].value == pytest.approx(expected[key]), key
    assert h["mutuals"].value == expected["mutuals"]
    # the commissioner's own money is a part of all the portfolio's contracts, and the two are labelled apart
    assert 0 < h["own_value"].value < h["all_value"].value
    assert h["own_value"].group == "own" and h["all_value"].group == "all"
    assert h["own_value"].label == "Own contract value" and h["all_value"].label == "All contract value"
    assert "buyer" in h["own_value"].help and "every commissioner" in h["all_value"].help
    # a year earlier, from the same independent sum
    before = independent(view.previous_as_of)
    assert h["own_value"].previous == pytest.approx(before["own_value"])


def test_c006_page_shows_own_and_all_contracts_labelled(sample_dir):
    app = open_app(sample_dir, {"commissioner": C})
    assert not app.exception
    m, expected = metrics(app), independent(D)
    assert m["Own contract value"] == fmt.money(expected["own_value"])
    assert m["Own, ending ≤ 12 months"] == fmt.money(expected["own_ending_365d"])
    assert m["Own, ending ≤ 24 months"] == fmt.money(expected["own_ending_730d"])
    assert m["All contract value"] == fmt.money(expected["all_value"])
    text = texts(app)
    assert "**All contracts of these mutuals**, with every commissioner" in text
    assert "own contracts** (the commissioner is the buyer)" in text
    # the expiry timeline shows the commissioner's own contracts by default; the toggle adds the others
    assert any(c.startswith("Daskmarsh County Council's own contracts: ") for c in captions(app))
    assert app.toggle(key="all_contracts").value is False
    app.toggle(key="all_contracts").set_value(True).run()
    assert not app.exception
    assert any(c.startswith("All contracts of these mutuals: ") for c in captions(app))


def test_the_toggle_is_in_the_link(sample_dir):
    app = open_app(sample_dir, {"commissioner": C, "all_contracts": "true"})
    assert not app.exception
    assert app.toggle(key="all_contracts").value is True
    assert any(c.startswith("All contracts of these mutuals: ") for c in captions(app))


def test_churn_is_split_out_and_neutral(handmade_dir):
    """C3 a year before 30 Jun 2025 had only M2 (K5); M1 joined through K4 (from 1 Jan 2025, 200 staff)."""
    app = open_app(handmade_dir, {"commissioner": "C3", "as_of": "2025-06-30"})
    assert not app.exception
    by_label = {x.label: x for x in app.metric}
    staff = by_label["Staff"]
    assert (staff.value, staff.delta) == ("250", "+200")
    shown = captions(app)
    assert any("Staff +200, of which +200 from 1 mutual joining the portfolio" in c for c in shown)
    assert staff.help.endswith("Change on a year: +200, of which +200 from 1 mutual joining the portfolio.")
    assert any(c.startswith("Since 30 Jun 2024, 1 mutual joined the portfolio (Alpha Community Health CIC)")
               for c in captions(app))
    assert staff.proto.color == Metric.MetricColor.GRAY  # all of it churn: not shown as growth
    own = by_label["Own contract value"]
    assert (own.value, own.delta) == ("£2.9m", "+£2.0m")  # K4 2m + K5 0.9m, against K5 alone
    assert any("Own contract value +£2.0m, of which +£2.0m from 1 mutual joining the portfolio" in c for c in shown)
    # own contracts ending within 24 months: K5 (31 Jan 2027) only, new, with no churn in it: shown as a change
    ending = by_label["Own, ending ≤ 24 months"]
    assert (ending.value, ending.delta) == ("£900k", "+£900k")
    assert not any("Own, ending ≤ 24 months +£900k" in c for c in shown)
    assert ending.proto.color == Metric.MetricColor.RED  # more value ending is worse


def test_ceased_mutuals_leave_the_figures_and_are_listed(sample_db, sample_dir):
    mutuals = pd.read_csv(SAMPLE / "mutuals.csv", parse_dates=["ceased_date"])
    ceased = mutuals[(mutuals["status"] == "ceased") & (mutuals["ceased_date"] <= pd.Timestamp(D))]
    assert len(ceased) > 0
    view = build_portfolio(sample_db, D)
    ids = set(ceased["mutual_id"])
    assert not ids & set(charts.matrix_rows(view.indicators)["mutual_id"])
    assert not ids & set(charts.dependency_frame(view.indicators)["mutual_id"])
    assert not ids & set(view.all_warnings()["mutual_id"])
    assert set(view.ceased()["mutual_id"]) == ids
    m = {x.key: x.value for x in view.headlines}
    statuses = sum(v for k, v in m.items() if k.startswith("status_"))
    assert m["mutuals"] == statuses == len(charts.matrix_rows(view.indicators))  # one selection everywhere
    app = open_app(sample_dir)
    assert not app.exception
    listed = "".join(h.proto.body for h in app.get("html") if "apart-list" in h.proto.body)
    first = ceased.sort_values(["ceased_date", "name"], ascending=[False, True]).iloc[0]
    assert f'href="mutual?mutual={first["mutual_id"]}" target="_self"' in listed
    assert f"ceased {fmt.day(first['ceased_date'])}" in listed
    assert f"<strong>Ceased</strong> ({len(ceased)}," in listed


def test_one_warning_block_per_mutual_with_an_area_filter(sample_db, handmade_db):
    view = build_portfolio(sample_db, D)
    blocks, total = view.warning_blocks()
    assert blocks["mutual_id"].is_unique and total == view.all_warnings()["mutual_id"].nunique()
    ranks = blocks["overall_status"].map(load_rules().overall_rank)
    assert ranks.is_monotonic_increasing  # most severe first
    assert blocks["shown"].map(len).between(1, 3).all()
    handmade = build_portfolio(handmade_db, date(2026, 6, 30))
    relationship, n = handmade.warning_blocks("relationship")
    assert relationship["mutual_id"].tolist() == ["M2", "M1"] and n == 2
    assert all(r.startswith("Relationship") for reasons in relationship["shown"] for r in reasons)
    assert handmade.warning_blocks("finance")[0].empty  # no finance warning in the hand-made set
    engagement, _ = handmade.warning_blocks("engagement")
    assert engagement["mutual_id"].tolist() == ["M2", "M1", "M5"]


def test_app_filters_warnings_by_area(handmade_dir):
    app = open_app(handmade_dir)
    app.pills(key="warning_area").set_value("relationship").run()
    assert not app.exception
    heads = [m.value for m in app.markdown if "status-badge" in m.value]
    assert len(heads) == 2 and "in relationship" in " ".join(c.value for c in app.caption)


@pytest.mark.parametrize("value, relative, expected", [
    (0.0, "ago", "this month"), (0.4, "ago", "this month"), (0.4, "in", "this month"), (4.2, "ago", "4 months ago"),
    (1.0, "in", "in 1 month"), (7.4, "in", "in 7 months"), (7.4, None, "7 months"), (0.2, None, "0 months"),
])
def test_month_count_says_this_month(value, relative, expected):
    assert fmt.month_count(value, relative) == expected


def test_a_review_this_month_is_worded_so():
    row = {"stage": "trading", "months_to_main_contract_end_status": "red", "main_contract_value": 1e6,
           "months_to_main_contract_end": 0.3, "months_since_relationship_review": 0.2}
    (_, _, sentence), = warnings_for(row)
    assert sentence == "Largest contract (£1.0m a year) ends this month; last commissioner review this month."


def test_commissioner_contracts_query(handmade_db):
    """C3 buys K4 (M1, 2m) and K5 (M2, 0.9m); with the scope M2 only, K5; C2's K1 ended in 2017."""
    frame = handmade_db.query("active_contracts", as_of=date(2026, 6, 30), buyer="C3", scope=None,
                              days_per_month=30.4375)
    assert frame["contract_id"].tolist() == ["K5", "K4"]  # soonest end first
    scoped = handmade_db.query("active_contracts", as_of=date(2026, 6, 30), buyer="C3", scope=["M2"],
                               days_per_month=30.4375)
    assert scoped["contract_id"].tolist() == ["K5"]
    assert handmade_db.query("active_contracts", as_of=date(2026, 6, 30), buyer="C2",
                             scope=None, days_per_month=30.4375)["contract_id"].tolist() == ["K2"]


def test_churn_wording_both_ways():
    from mutuals.services.portfolio import Headline

    staff = Headline("staff", "Staff", 7267, 3415, "count", "Total staff.", churn=3790, joined=1)
    assert (staff.delta_text(), staff.churn_text()) == ("+3,852", "of which +3,790 from 1 mutual joining the portfolio")
    money = Headline("own_value", "Own contract value", 5e6, 6.2e6, "money", "h", churn=-1.5e6, joined=2, left=3)
    assert money.delta_text() == "−£1.2m"
    assert money.churn_text() == "of which −£1.5m from 2 mutuals joining and 3 mutuals leaving the portfolio"
    assert money.churn_text(short=True) == "of which −£1.5m from 2 joining and 3 leaving"
    still = Headline("mutuals", "Mutuals (trading)", 4, 4, "count", "h", churn=0, joined=1, left=1)
    assert (still.delta_text(), still.churn_text()) == ("no change", "")  # one in, one out: nothing to split
