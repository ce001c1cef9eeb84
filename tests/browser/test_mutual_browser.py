"""The mutual page in a real Chromium against a live server on the hand-made fixture (D = 2026-06-30).

From the portfolio (picker + page link, and a click in the status matrix) to the mutual page; presentation
mode stepped through every section; the board pack downloaded as a PDF. Every test saves full-page
screenshots to artifacts/screenshots/.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import (
    CHARTS_DRAWN,
    assert_no_errors,
    full_page_screenshot,
    wait_for_app,
    wait_for_metrics,
)

pytestmark = pytest.mark.browser

M1 = "Alpha Community Health CIC"
SECTIONS = [("Overview", None), ("Leadership", "Leadership and strategy"),
            ("Engagement", "Staff engagement and ownership"), ("Relationship", "Commissioner relationship"),
            ("Finance", "Finance")]
CHARTS_PER_AREA = {"leadership": 3, "engagement": 4, "relationship": 3, "finance": 3}


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def wait_for_charts(page, timeout: float = 30_000) -> None:
    wait_for_app(page, timeout=timeout)
    page.wait_for_function(CHARTS_DRAWN, timeout=timeout)


def check_m1_page(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("h1").first).to_have_text(M1)
    main = page.get_by_test_id("stMain")
    expect(main.locator(".status-badge").first).to_have_text("◔ Watch")
    expect(main.locator(".mutual-facts")).to_contain_text("Southmere ICB")
    engagement = main.locator(".indicator-card").filter(has_text="Engagement score")
    expect(engagement.locator(".indicator-value")).to_have_text("7.3/10")
    expect(engagement).to_contain_text("✓ Green")
    expect(main.get_by_text("Relationship amber: contract horizon red (months to main contract end 9.0 months",
                            exact=False)).to_be_visible()
    expect(main.locator(".area-strip")).to_contain_text("Engagement")
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(13)
    assert query(page)["mutual"] == ["M1"]
    assert_no_errors(page)


def test_open_a_mutual_from_the_portfolio_picker(page):
    from playwright.sync_api import expect

    page.goto("/")
    wait_for_metrics(page)
    picker = page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text("Mutual detail", exact=True))
    picker.get_by_role("combobox").click()
    page.keyboard.type("Alpha")
    page.get_by_role("option", name=M1).click()
    link = page.get_by_role("link", name=f"Open {M1}")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(re.compile(r"/mutual\?.*mutual=M1"))
    wait_for_charts(page)
    check_m1_page(page)
    full_page_screenshot(page, "test_open_a_mutual_from_the_portfolio_picker")


def test_a_click_in_the_status_matrix_opens_the_mutual_page(page):
    page.goto("/")
    wait_for_metrics(page)
    page.locator("table.status-matrix").get_by_role("link", name="Alpha Community Health CIC").click()
    page.wait_for_url(re.compile(r"/mutual\?.*mutual=M1"))
    wait_for_charts(page)
    check_m1_page(page)
    full_page_screenshot(page, "test_a_click_in_the_status_matrix_opens_the_mutual_page")


def test_a_link_opens_the_mutual_page_and_the_picker_changes_it(page):
    from playwright.sync_api import expect

    page.goto("/mutual?mutual=M1")
    wait_for_charts(page)
    check_m1_page(page)
    full_page_screenshot(page, "test_mutual_page_m1")
    picker = page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text("Mutual", exact=True))
    picker.get_by_role("combobox").click()
    page.keyboard.type("Beta")
    page.get_by_role("option", name="Beta Leisure Trust").click()
    page.wait_for_url(re.compile(r"mutual=M2"))
    expect(page.locator("h1").first).to_have_text("Beta Leisure Trust")
    wait_for_charts(page)
    assert_no_errors(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("suppressed (n < 11)").first).to_be_attached()
    assert "6.6/10" not in main.inner_text()  # the suppressed wave's score
    full_page_screenshot(page, "test_mutual_page_m2_suppressed")


def test_unknown_mutual_gets_a_friendly_message(page):
    from playwright.sync_api import expect

    page.goto("/mutual?mutual=NOPE")
    wait_for_app(page)
    expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text("No mutual with id “NOPE”")
    assert_no_errors(page)


def test_presentation_mode_steps_through_the_sections(page):
    """Issue 10: each section is split into slides that fit a screen (its cards, then one chart a slide)."""
    from playwright.sync_api import expect

    page.goto("/mutual?mutual=M1")
    wait_for_charts(page)
    page.get_by_test_id("stMain").get_by_text("Presentation mode", exact=True).click()
    page.wait_for_url(re.compile(r"present=1"))
    wait_for_app(page)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.get_by_test_id("stHeader")).to_be_hidden()
    slides = ["overview"] + [name for area, n in CHARTS_PER_AREA.items()
                             for name in [area] + [f"{area}-{i}" for i in range(2, n + 2)]]
    for step, slide in enumerate(slides + slides[:1]):
        if step:
            page.get_by_role("button", name="Next").click()
            page.wait_for_url(re.compile(rf"section={slide}(&|$)"))
        wait_for_charts(page)
        area = slide.split("-")[0]
        name, heading = next((n, h) for n, h in SECTIONS if n.lower() == area)
        expect(page.get_by_text(f"(slide {slides.index(slide) + 1} of {len(slides)})")).to_be_visible()
        expect(page.get_by_text(f"{M1} · {name}", exact=False)).to_be_visible()
        if heading:
            expect(page.locator("h2").first).to_have_text(heading)
            charts = page.get_by_test_id("stVegaLiteChart").count()
            assert charts == (1 if "-" in slide else 0), (slide, charts)
        else:
            expect(page.locator("h1").first).to_have_text(M1)
        assert_no_errors(page)
        if step < len(slides) and "-" not in slide:
            full_page_screenshot(page, f"test_presentation_mode_{step + 1}_{slide}")
    page.get_by_role("button", name="Previous").click()
    page.wait_for_url(re.compile(r"section=finance-4"))
    wait_for_charts(page)
    expect(page.locator("h2").first).to_have_text("Finance")
    page.get_by_role("button", name="Exit presentation").click()
    page.wait_for_url(lambda url: "present=" not in url)
    wait_for_charts(page)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(13)
    assert_no_errors(page)


def test_board_pack_downloads_as_pdf(page, tmp_path):
    page.goto("/mutual?mutual=M1")
    wait_for_charts(page)
    button = page.get_by_role("button", name="Board pack (PDF)")
    if button.is_disabled():
        pytest.fail("The board pack button is disabled: mutuals.reports.boardpack is not importable")
    with page.expect_download(timeout=180_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = target.read_bytes()
    assert data[:5] == b"%PDF-" and len(data) > 10_000
    assert_no_errors(page)
    full_page_screenshot(page, "test_board_pack_downloads_as_pdf")
