"""The methodology page in a real Chromium: the backtest chart, indicator anchors, and the links to it
from the portfolio's status matrix and the mutual page's indicator cards.

The server runs on the hand-made fixture with the bundled rules except ``min_trading = 1`` (its six
mutuals are too few for the bundled 20), so the backtest has something to draw.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import Iterator

import pytest

from mutuals.rules import CONFIG_PATH
from tests.browser.conftest import (
    CHARTS_DRAWN,
    assert_no_errors,
    fresh_page,
    full_page_screenshot,
    start_server,
    wait_for_app,
    wait_for_metrics,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def method_url(_browser_available, tmp_path_factory) -> Iterator[str]:
    from tests.fixtures import handmade

    folder = tmp_path_factory.mktemp("browser-methodology")
    data_dir = handmade.write_csvs(folder / "data")
    rules = folder / "rules.toml"
    text = CONFIG_PATH.read_text(encoding="utf-8")
    assert "min_trading = 20" in text
    rules.write_text(text.replace("min_trading = 20", "min_trading = 1"), encoding="utf-8")
    with ExitStack() as stack:
        before = os.environ.get("MUTUALS_RULES")
        os.environ["MUTUALS_RULES"] = str(rules)  # only for the server's environment
        try:
            base_url = stack.enter_context(start_server(data_dir, folder / "streamlit.log"))
        finally:
            if before is None:
                os.environ.pop("MUTUALS_RULES", None)
            else:
                os.environ["MUTUALS_RULES"] = before
        yield base_url


@pytest.fixture()
def page(browser, method_url):
    with fresh_page(browser, method_url) as page:
        yield page


def in_view(page, selector: str) -> bool:
    """Whether the element's top is inside the visible part of the main scroll area."""
    return page.evaluate(
        """(sel) => { const el = document.querySelector(sel); if (!el) return false;
            const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }""",
        selector)


def test_methodology_page_shows_the_backtest_chart(page):
    from playwright.sync_api import expect

    page.goto("/methodology")
    wait_for_app(page)
    assert_no_errors(page)
    expect(page.locator("h1").first).to_have_text("Methodology")
    backtest = page.locator("#backtest")
    expect(backtest).to_have_count(1)
    chart = page.get_by_test_id("stVegaLiteChart")
    expect(chart).to_have_count(1)
    chart.scroll_into_view_if_needed()
    page.wait_for_function(CHARTS_DRAWN)
    expect(chart.locator("canvas, svg.marks").first).to_be_visible()
    expect(page.get_by_test_id("stCaptionContainer").filter(has_text="(0.7× the pooled rate)")).to_have_count(1)
    full_page_screenshot(page, "test_methodology_page_shows_the_backtest_chart")


def test_indicator_anchor_jumps_there(page):
    from playwright.sync_api import expect

    page.goto("/methodology#plan_delivery")
    wait_for_app(page)
    assert_no_errors(page)
    heading = page.locator("#plan_delivery")
    expect(heading).to_have_count(1)
    expect(heading).to_contain_text("Plan delivery")
    page.wait_for_function("() => { const r = document.getElementById('plan_delivery').getBoundingClientRect();"
                           " return r.top >= 0 && r.top < window.innerHeight; }", timeout=10_000)
    assert in_view(page, "#plan_delivery")
    assert not in_view(page, "h1"), "the page scrolled down to the indicator"


def test_matrix_header_links_to_the_methodology(page):
    from playwright.sync_api import expect

    page.goto("/")
    wait_for_metrics(page)
    link = page.locator(".status-matrix thead a[href*='methodology#reserves_months']")
    expect(link).to_have_count(1)
    link.click()
    page.wait_for_url("**/methodology#reserves_months")
    wait_for_app(page)
    assert_no_errors(page)
    expect(page.locator("h1").first).to_have_text("Methodology")
    expect(page.locator("#reserves_months")).to_contain_text("Reserves cover")
    page.wait_for_function("() => { const r = document.getElementById('reserves_months').getBoundingClientRect();"
                           " return r.top >= 0 && r.top < window.innerHeight; }", timeout=10_000)


def test_indicator_card_links_to_the_methodology(page):
    from playwright.sync_api import expect

    page.goto("/mutual?mutual=M1")
    wait_for_app(page)
    link = page.locator(".indicator-card a.method-link").filter(has_text="Engagement score")
    expect(link).to_have_count(1)
    assert link.get_attribute("href") == "methodology#engagement_score"
    link.click()
    page.wait_for_url("**/methodology#engagement_score")
    wait_for_app(page)
    assert_no_errors(page)
    expect(page.locator("#engagement_score")).to_contain_text("Engagement score")
