"""The explorer page under AppTest: every tab with every compare-by dimension, on the sample and on the
hand-made fixture; links that bring the view back; hostile URL values ignored with a notice."""

from __future__ import annotations

from pathlib import Path

import pytest

from mutuals.services.explorer import DIMENSIONS
from mutuals.ui.explorer_data import VIEWS
from tests.apptest import elements, open_app, texts
from tests.hostile import HOSTILE
from tests.test_hostile_urls import check_page

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/explorer.py"
TABS = list(VIEWS.values())


def run_tab(at, tab: str):
    at.session_state["tab"] = tab
    at.run()
    assert not at.exception, (tab, [e.value for e in at.exception])
    return at


def check_tab(at, tab: str, label: str) -> None:
    """The tab drew its chart(s) or said why not, each chart with a caption, and a table."""
    check_page(at, label)
    charts = elements(at, "vega_lite_chart")
    empty = [i for i in at.info if "Widen" in i.value or "No mutual" in i.value]
    assert charts or empty or at.markdown, label
    assert at.dataframe, label  # the view's table and the mutual list


@pytest.mark.parametrize("dataset", ["sample", "handmade"])
@pytest.mark.parametrize("compare", list(DIMENSIONS))
def test_every_tab_with_every_compare_by(dataset, compare, handmade_dir):
    folder = ROOT / "data" if dataset == "sample" else handmade_dir
    at = open_app(folder, {"compare": DIMENSIONS[compare]}, page=PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="compare").value == compare
    for tab in TABS:
        run_tab(at, tab)
        check_tab(at, tab, f"{dataset} {compare} {tab}")


def test_a_link_reproduces_the_view():
    params = {"compare": "Legal form", "tab": "Survival", "event": "First losing a contract with the former parent", "size": "250–999 staff",
              "stage": "Trading", "cohort": ["2011", "2018"]}
    at = open_app(ROOT / "data", params, page=PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="compare").value == "legal_form"
    assert at.multiselect(key="size").value == ["250–999 staff"]
    assert at.multiselect(key="stage").value == ["trading"]
    assert at.slider(key="cohort").value == (2011, 2018)
    assert at.selectbox(key="event").value == "parent_contract_loss"
    assert "Not yet lost a parent contract" in str([c.proto.spec for c in elements(at, "vega_lite_chart")])
    shown = texts(at)
    assert "Survival" in shown or "survival" in shown


@pytest.mark.parametrize("value", ["nonsense", "Sector ", HOSTILE[0], "9" * 5000])
def test_hostile_values_are_ignored_with_a_notice(value):
    keys = ["compare", "tab", "legal_form", "ownership", "parent_kind", "size", "stage", "status", "indicator",
            "journey", "event", "cohort"]
    at = open_app(ROOT / "data", {k: value for k in keys}, page=PAGE)
    check_page(at, f"explorer {value[:20]!r}")
    notices = "\n".join(i.value for i in at.info)
    assert "in the link" in notices
    assert at.selectbox(key="compare").value == "sector"
    assert at.multiselect(key="legal_form").value == []


def test_status_filter_hides_the_mutual_list():
    at = open_app(ROOT / "data", {"status": "◔ Watch"}, page=PAGE)
    assert not at.exception
    assert at.multiselect(key="status").value == ["watch"]
    assert any("hidden while the selection is filtered on overall status" in i.value.replace("\\", "")
               for i in at.info)
