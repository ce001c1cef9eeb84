"""The portfolio page in a real Chromium against a live server on the hand-made fixture.

Expected figures are those of tests/test_portfolio_page.py (data date 2026-06-30).
Every test saves a full-page screenshot to artifacts/screenshots/<test>.png.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import (
    assert_no_errors,
    full_page_screenshot,
    metric_values,
    wait_for_app,
    wait_for_metrics,
)

pytestmark = pytest.mark.browser

HSC = "Health & Social Care"


def metric_value(page, label: str):
    """Locator of the value of the metric labelled exactly ``label``."""
    label_loc = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    return page.get_by_test_id("stMetric").filter(has=label_loc).get_by_test_id("stMetricValue")


def sidebar_widget(page, testid: str, label: str):
    sidebar = page.get_by_test_id("stSidebar")
    return sidebar.get_by_test_id(testid).filter(has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_landing_page_shows_headlines(page):
    from playwright.sync_api import expect

    page.goto("/")
    wait_for_metrics(page)
    assert_no_errors(page)
    expect(page.locator("h1").first).to_have_text("Portfolio")
    expect(metric_value(page, "Mutuals (trading)")).to_have_text("3")
    m = metric_values(page)
    assert m["Mutuals (trading)"] == "3" and m["Staff"] == "260"
    assert m["Contract value"] == "£10.9m"
    # the labels are short enough to show in full (no ellipsis): the definition is in the help
    labels = page.get_by_test_id("stMetricLabel")
    assert labels.count() == 10
    for i in range(labels.count()):  # e.g. "Ending ≤ 12 months", "Mutuals (trading)", the status words
        fits = labels.nth(i).evaluate("e => [e, ...e.querySelectorAll('*')].every(x => x.scrollWidth <= x.clientWidth + 1)")
        assert fits, labels.nth(i).inner_text()
    expect(page.get_by_test_id("stSidebar").get_by_text("SYNTHETIC SAMPLE DATA", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    full_page_screenshot(page, "test_landing_page_shows_headlines")


def test_sector_filter_through_the_sidebar(page):
    from playwright.sync_api import expect

    page.goto("/")
    wait_for_metrics(page)
    expect(metric_value(page, "Mutuals (trading)")).to_have_text("3")

    sector = sidebar_widget(page, "stMultiSelect", "Sector")
    sector.get_by_role("combobox").click()
    page.get_by_role("option", name=HSC, exact=True).click()
    page.keyboard.press("Escape")  # close the dropdown (a multiselect keeps it open)

    page.wait_for_url(lambda url: "sector=" in url)
    expect(metric_value(page, "Mutuals (trading)")).to_have_text("1")
    wait_for_metrics(page)
    assert_no_errors(page)
    m = metric_values(page)
    assert (m["Mutuals (trading)"], m["Staff"], m["Contract value"]) == ("1", "200", "£10.0m")
    assert query(page)["sector"] == [HSC]
    expect(sector.get_by_test_id("stMultiSelectTagsContainer")).to_contain_text(HSC)
    full_page_screenshot(page, "test_sector_filter_through_the_sidebar")


def test_shared_link_restores_the_view(page):
    from playwright.sync_api import expect

    page.goto("/?commissioner=C1&sector=Health+%26+Social+Care")
    wait_for_metrics(page)
    assert_no_errors(page)
    commissioner = sidebar_widget(page, "stSelectbox", "Commissioner")
    expect(commissioner.get_by_role("combobox")).to_have_value("Northvale Borough Council")
    expect(page.locator("h1").first).to_have_text("Portfolio · Northvale Borough Council")
    expect(metric_value(page, "Mutuals (trading)")).to_have_text("1")
    expect(sidebar_widget(page, "stMultiSelect", "Sector")).to_contain_text(HSC)
    params = query(page)
    assert params["commissioner"] == ["C1"] and params["sector"] == [HSC]  # the link survives the run
    full_page_screenshot(page, "test_shared_link_restores_the_view")


def test_bad_link_renders_with_a_notice(page):
    from playwright.sync_api import expect

    page.goto("/?commissioner=NOPE&as_of=garbage")
    wait_for_app(page)
    notices = page.get_by_test_id("stSidebar").get_by_test_id("stAlertContentInfo")
    expect(notices.filter(has_text="Unknown commissioner “NOPE”")).to_be_visible()
    expect(notices.filter(has_text="“garbage”")).to_be_visible()
    wait_for_metrics(page)
    assert_no_errors(page)
    expect(metric_value(page, "Mutuals (trading)")).to_have_text("3")  # falls back to everything
    expect(page.locator("h1").first).to_have_text("Portfolio")
    assert "commissioner" not in query(page) and "as_of" not in query(page)
    full_page_screenshot(page, "test_bad_link_renders_with_a_notice")


def test_commissioner_own_contracts_and_the_toggle_in_the_link(page):
    """C3 buys K4 (M1, 2m) and K5 (M2, 0.9m); all contracts of M1 and M2 come to 10.9m."""
    from playwright.sync_api import expect

    page.goto("/?commissioner=C3")
    wait_for_metrics(page)
    assert_no_errors(page)
    expect(metric_value(page, "Own contract value")).to_have_text("£2.9m")
    expect(metric_value(page, "All contract value")).to_have_text("£10.9m")
    expect(page.get_by_text("All contracts of these mutuals", exact=False).first).to_be_visible()
    captions = page.get_by_test_id("stCaptionContainer")
    expect(captions.filter(has_text="Eastfold District Council's own contracts: ")).to_be_visible()
    page.get_by_test_id("stCheckbox").filter(has_text="Include the mutuals' contracts").locator("label").click()
    page.wait_for_url(lambda url: "all_contracts=true" in url)
    expect(captions.filter(has_text="All contracts of these mutuals: ")).to_be_visible()
    assert_no_errors(page)
    full_page_screenshot(page, "test_commissioner_own_contracts_and_the_toggle_in_the_link")
