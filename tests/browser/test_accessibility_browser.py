"""Accessibility in a real Chromium (issue 10, item 8): axe-core on the portfolio, mutual and methodology pages,
keyboard navigation of the status matrix, a text alternative for every chart, one export per chart.

axe-core runs through ``axe-playwright-python`` (it bundles ``axe.min.js``: no network). A serious or critical
violation fails the test, with the rule, the elements and axe's summary. Nothing is excluded: the app's own
elements and Streamlit's are checked alike. The full reports are saved to artifacts/axe/<page>.json.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import CHARTS_DRAWN, ROOT, assert_no_errors, full_page_screenshot, wait_for_app

pytestmark = pytest.mark.browser

PAGES = {
    "portfolio": "/",
    "mutual": "/mutual?mutual=M1",
    "methodology": "/methodology",
    "explorer": "/explorer",
}
BLOCKING = ("serious", "critical")
REPORTS = ROOT / "artifacts" / "axe"


def open_page(page, path: str) -> None:
    page.goto(path)
    wait_for_app(page)
    page.wait_for_function(CHARTS_DRAWN, timeout=30_000)
    assert_no_errors(page)


def blocking(response: dict) -> list[str]:
    found = []
    for violation in response["violations"]:
        if violation.get("impact") in BLOCKING:
            nodes = "; ".join(f"{n['target']}: {(n.get('failureSummary') or '').splitlines()[-1:]}"
                              for n in violation["nodes"][:5])
            found.append(f"{violation['impact']} {violation['id']} ({len(violation['nodes'])}): "
                         f"{violation['help']} -> {nodes}")
    return found


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_serious_or_critical_violation(page, name):
    from axe_playwright_python.sync_playwright import Axe

    open_page(page, PAGES[name])
    page.wait_for_timeout(500)  # let the charts' SVG/canvas settle
    results = Axe().run(page)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name}.json").write_text(json.dumps(results.response["violations"], indent=1), encoding="utf-8")
    full_page_screenshot(page, f"test_axe_{name}")
    assert results.response["testEngine"]["name"] == "axe-core"
    assert results.response["passes"], "axe ran no rule"
    problems = blocking(results.response)
    assert not problems, "\n".join(problems)


def test_axe_would_catch_a_low_contrast_badge(page):
    """The check can fail: the old synthetic badge (white on #CC79A7, 3.06:1) put back on the page is reported."""
    from axe_playwright_python.sync_playwright import Axe

    open_page(page, "/methodology")
    page.evaluate("""() => { const b = document.querySelector('.synthetic-badge');
        b.style.background = '#CC79A7'; b.style.color = '#fff'; }""")
    problems = blocking(Axe().run(page).response)
    assert any("color-contrast" in p and "synthetic-badge" in p for p in problems), problems


def test_status_matrix_by_keyboard(page):
    """Tab reaches the grid's one tab stop; the arrow keys move cell to cell; each cell reads its value."""
    from playwright.sync_api import expect

    open_page(page, "/")
    matrix = page.locator("table.status-matrix")
    stops = matrix.locator('tbody [tabindex="0"]')
    expect(stops).to_have_count(1)
    first = stops.first
    expect(first).to_have_class("sm-overall")
    first.focus()
    focused = lambda: page.evaluate(  # noqa: E731
        "() => [document.activeElement.closest('tr').rowIndex, document.activeElement.cellIndex,"
        " document.activeElement.innerText]")
    row, column, _ = focused()
    page.keyboard.press("ArrowRight")
    assert focused()[:2] == [row, column + 1]
    page.keyboard.press("ArrowDown")
    assert focused()[:2] == [row + 1, column + 1]
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowUp")
    assert focused()[:2] == [row, column]
    page.keyboard.press("End")
    text = focused()[2]
    assert "(" in text and ")" in text  # the last indicator cell: its value and status word as text
    expect(matrix.locator('tbody [tabindex="0"]')).to_have_count(1)  # the tab stop moved with the focus
    # screen-reader text for a cell: value and status, not just a symbol
    cell = matrix.locator("tbody td:not(.sm-overall)").first
    assert len(cell.locator(".sm-sr").inner_text()) > 5 or cell.locator(".sm-sr").text_content()
    # one legend, for the overall ladder and the cells, tied to the table
    expect(page.locator("#sm-legend")).to_have_count(1)
    assert matrix.get_attribute("aria-describedby") == "sm-legend"


def test_every_chart_has_a_text_alternative_and_one_export(page):
    open_page(page, "/mutual?mutual=M1")
    charts = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(c => {
        const named = c.querySelector('[aria-label], [aria-describedby], [role="img"], [role="graphics-document"]');
        const label = named ? (named.getAttribute('aria-label') || '') : '';
        return label; })""")
    assert len(charts) == 13
    assert all(len(label) > 20 for label in charts), charts  # the takeaway caption, not a generic name
    # Streamlit's own "Download as PNG" is hidden: the app's PNG/SVG buttons (text labels) are the export
    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.hover()
    page.wait_for_timeout(300)
    builtin = page.locator('[data-testid="stElementToolbar"] button[aria-label^="Download as PNG"]')
    assert builtin.count() >= 1  # Streamlit draws it (aria-label "Download as PNG: <the chart's alt>") …
    assert not any(button.is_visible() for button in builtin.all())  # … and the app's CSS hides it
    png = page.get_by_test_id("stDownloadButton").filter(has_text="PNG")
    assert png.count() == 13 and png.first.is_visible()
    assert png.first.inner_text().strip().endswith("PNG")
