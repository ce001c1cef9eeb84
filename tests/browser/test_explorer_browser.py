"""The explorer's shared link in a real Chromium, on the bundled sample: one researcher's journey.

A link with a compare-by dimension, a tab, a survival event, an explorer filter and a shell filter opens on
that same view (the tab selected, the controls showing the link's values, the chart drawn) and the URL keeps
the parameters after the run. Picking another tab writes it to the URL, and a reload comes back to it.
No dataframe offers Streamlit's own CSV download (``client.disableDataExport``): the app's buttons are the export.
"""

from __future__ import annotations

import shutil
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.conftest import ROOT, assert_no_errors, fresh_page, start_server, wait_for_app

pytestmark = pytest.mark.browser

EVENT = "First losing a contract with the former parent"
LINK = {"compare": "Legal form", "tab": "Survival", "event": EVENT, "size": "250–999 staff",
        "sector": "Health & Social Care"}
DRAWN = "canvas, svg.marks"


@pytest.fixture(scope="module")
def sample_url(_browser_available, tmp_path_factory):
    """A live app on a copy of the bundled sample (the hand-made fixture has no group of 5 to chart).

    The database is published before the server starts: the version file already built for these exact inputs
    (its name is their content hash) is reused when data/ has it, else it is built here, not in the page run.
    """
    from mutuals.infra import versions

    folder = tmp_path_factory.mktemp("explorer-app")
    data_dir = folder / "data"
    shutil.copytree(ROOT / "data", data_dir, ignore=shutil.ignore_patterns("*.duckdb*", "versions"))
    db_path = data_dir / "mutuals.duckdb"
    built = ROOT / "data" / f"{db_path.stem}-{versions.content_hash(data_dir)}{db_path.suffix}"
    if built.is_file():
        shutil.copy2(built, data_dir / built.name)
    assert versions.publish(data_dir, db_path).problem is None
    with start_server(data_dir, folder / "streamlit.log") as base_url:
        yield base_url


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def widget(page, scope, testid: str, label: str):
    """The ``testid`` widget labelled ``label`` inside ``scope``."""
    return scope.get_by_test_id(testid).filter(has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))


def assert_view(page, tab: str) -> None:
    """The link's view is on screen: ``tab`` selected, every control showing the link's value."""
    from playwright.sync_api import expect

    assert_no_errors(page)
    expect(page.get_by_role("tab", selected=True)).to_have_text(tab)
    sidebar = page.get_by_test_id("stSidebar")
    expect(widget(page, sidebar, "stMultiSelect", "Size band").locator("[data-tag]")).to_have_text([LINK["size"]])
    expect(widget(page, sidebar, "stMultiSelect", "Sector").locator("[data-tag]")).to_have_text([LINK["sector"]])
    expect(widget(page, page, "stSelectbox", "Compare by").locator("input")).to_have_value(LINK["compare"])
    expect(page.get_by_test_id("stAlert").filter(has_text="in the link")).to_have_count(0)  # no value was dropped
    query = params(page)
    for key in ("compare", "size", "sector"):
        assert query.get(key) == [LINK[key]], (key, page.url)
    assert query.get("tab") == [tab], page.url


def test_a_shared_explorer_link_brings_back_the_view_and_the_url_follows_the_controls(browser, sample_url):
    from playwright.sync_api import expect

    with fresh_page(browser, sample_url) as page:
        page.goto("/explorer?" + urlencode(LINK))
        wait_for_app(page, settle_ms=300)
        assert_view(page, "Survival")
        expect(widget(page, page, "stSelectbox", "Survival until").locator("input")).to_have_value(EVENT)
        assert params(page).get("event") == [EVENT]
        panel = page.get_by_role("tabpanel").filter(visible=True)
        expect(panel).to_have_count(1)
        chart = panel.get_by_test_id("stVegaLiteChart")
        expect(chart.first.locator(DRAWN).first).to_be_attached()

        # No built-in table download: each dataframe's toolbar (shown on hover) has no Download button.
        frames = page.get_by_test_id("stDataFrame")
        assert frames.count() >= 2  # the tab's table and the list of mutuals
        for frame in frames.all():
            frame.hover()
            toolbar = frame.locator("xpath=ancestor::*[@data-testid='stElementContainer'][1]").get_by_test_id(
                "stElementToolbar")
            expect(toolbar.get_by_role("button", name="Search")).to_be_attached()  # the toolbar is there…
            expect(toolbar.locator("button[aria-label*='Download' i]")).to_have_count(0)  # … without a download

        # Another tab: the URL follows, and a reload comes back to it with the same filters.
        page.get_by_role("tab", name="Status mix").click()
        page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("tab") == ["Status mix"])
        wait_for_app(page, settle_ms=300)
        assert_view(page, "Status mix")
        assert params(page).get("event") == [EVENT], page.url  # every pick stays in a link made on any tab
        page.reload()
        wait_for_app(page, settle_ms=300)
        assert_view(page, "Status mix")
        panel = page.get_by_role("tabpanel").filter(visible=True)
        expect(panel.get_by_test_id("stVegaLiteChart").first.locator(DRAWN).first).to_be_attached()
