"""The deep-link guard (mutuals/ui/shell.py) on a FRESH server.

A fresh Streamlit server treats the app as a classic multipage app until dashboard.py first calls
``st.navigation``, so a deep link as its very first request runs the page file alone. The guard then
runs the shell. Each test here starts its own server, so the deep link really is the first request.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_no_errors, fresh_page, start_server, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture()
def fresh_url(_browser_available, tmp_path):
    from tests.fixtures import handmade

    data_dir = handmade.write_csvs(tmp_path / "data")
    with start_server(data_dir, tmp_path / "streamlit.log") as base_url:
        yield base_url


def test_a_deep_link_as_the_first_request_gets_the_shell_and_the_page(browser, fresh_url):
    from playwright.sync_api import expect

    with fresh_page(browser, fresh_url) as page:
        page.goto("/mutual?mutual=M1&as_of=2026-06-01")
        wait_for_app(page, settle_ms=500)
        assert_no_errors(page)
        expect(page.locator("h1").first).to_have_text("Alpha Community Health CIC")
        sidebar = page.get_by_test_id("stSidebar")
        for label in ("Commissioner", "Sector", "Region", "As of"):
            expect(sidebar.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)).to_be_visible()
        expect(sidebar.get_by_test_id("stDateInput").locator("input")).to_have_value("2026-06-01")
        expect(page.get_by_test_id("stSidebarNav")).to_be_visible()  # the shell's navigation, not the legacy one
        assert "mutual=M1" in page.url and "as_of=2026-06-01" in page.url
