"""Presentation mode that fits a projector (issue 10, item 6), in a real Chromium on the bundled sample.

At 1280×720 and at 1920×1080, every slide of a mutual with data everywhere is stepped through with the arrow
keys: each slide's content (the main block container) is no taller than the window, so nothing scrolls, and
ArrowRight / ArrowLeft / Page Down / Page Up change the slide (the URL's ``section=`` and what the slide says).
"""

from __future__ import annotations

import re
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import CHARTS_DRAWN, ROOT, assert_no_errors, fresh_page, start_server, wait_for_app

pytestmark = pytest.mark.browser

VIEWPORTS = [(1280, 720), (1920, 1080)]
# A trading sample mutual with data everywhere; the one with the most contracts (23) and a ceased one (banner).
MUTUAL = "M0001"
MORE = ["M0038", "M0053"]
MEASURE = """() => {
    const block = document.querySelector('[data-testid="stMainBlockContainer"]');
    const main = document.querySelector('[data-testid="stMain"]');
    const heading = document.querySelector('[data-testid="stMain"] h1, [data-testid="stMain"] h2');
    return {block: block.scrollHeight, main: main.scrollHeight, window: window.innerHeight,
            heading: heading ? heading.innerText.trim() : '',
            position: (document.body.innerText.match(/slide \\d+ of \\d+/) || [''])[0]};
}"""
HEIGHTS: dict[tuple[int, int], dict[str, int]] = {}


@pytest.fixture(scope="module")
def sample_url(_browser_available, tmp_path_factory):
    folder = tmp_path_factory.mktemp("present-app")
    data_dir = folder / "data"
    shutil.copytree(ROOT / "data", data_dir, ignore=shutil.ignore_patterns("*.duckdb*", "versions"))
    with start_server(data_dir, folder / "streamlit.log") as base_url:
        yield base_url


def section(page) -> str:
    return parse_qs(urlsplit(page.url).query).get("section", [""])[0]


def settle(page) -> None:
    wait_for_app(page)
    page.wait_for_function(CHARTS_DRAWN)
    page.wait_for_timeout(150)  # charts lay out once drawn


def step(page, key: str, before: str) -> None:
    page.keyboard.press(key)
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("section", [""])[0] != before)
    settle(page)


@pytest.mark.parametrize("mutual, width, height", [(MUTUAL, w, h) for w, h in VIEWPORTS]
                         + [(m, *VIEWPORTS[0]) for m in MORE], ids=lambda v: str(v))
def test_every_slide_fits_the_screen_and_the_keys_step(browser, sample_url, mutual, width, height):
    with fresh_page(browser, sample_url) as page:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/mutual?mutual={mutual}&present=1&section=overview")
        settle(page)
        first = page.evaluate(MEASURE)
        total = int(re.search(r"of (\d+)", first["position"]).group(1))
        assert total >= 15, first  # the overview, then per area its cards and one slide per chart
        seen, measured = [section(page)], {}
        for _ in range(total):
            now = page.evaluate(MEASURE)
            measured[section(page)] = now["block"]
            assert now["block"] <= now["window"], f"{section(page)} is {now['block']} px tall at {width}×{height}"
            assert now["main"] <= now["window"], f"{section(page)} scrolls at {width}×{height}"
            assert_no_errors(page)
            before = section(page)
            step(page, "ArrowRight", before)
            after = page.evaluate(MEASURE)
            assert section(page) != before and after["position"] != now["position"], (before, now, after)
            seen.append(section(page))
        assert seen[-1] == "overview" and len(set(seen)) == total  # every slide once, then round again
        HEIGHTS[(width, height)] = measured
        print(f"\n{mutual} {width}×{height}: tallest slide {max(measured.values())} px of {height}: {measured}")
        # Left goes back, and the heading changes with it (the overview's title, then an area's heading).
        step(page, "ArrowLeft", "overview")
        assert section(page) == seen[-2]
        heading = page.evaluate(MEASURE)["heading"]
        step(page, "PageDown", section(page))
        assert section(page) == "overview" and page.evaluate(MEASURE)["heading"] != heading
        step(page, "PageUp", "overview")
        assert section(page) == seen[-2] and page.evaluate(MEASURE)["heading"] == heading


def test_a_key_typed_outside_presentation_mode_does_nothing(browser, sample_url):
    with fresh_page(browser, sample_url) as page:
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(f"/mutual?mutual={MUTUAL}&present=1&section=finance-3")
        settle(page)
        assert "Finance 3/4" in page.evaluate("() => document.body.innerText")
        page.get_by_role("button", name="Exit presentation").click()
        page.wait_for_url(lambda url: "present=" not in url)
        settle(page)
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(500)
        assert "present=" not in page.url and "section=" not in page.url
        assert_no_errors(page)


FONT_SIZES = """() => Object.fromEntries([
    ['heading', '[data-testid="stMain"] h2'], ['text', '[data-testid="stMain"] li p, [data-testid="stMain"] li'],
    ['card label', '.indicator-card .indicator-label'], ['card value', '.indicator-card .indicator-value'],
    ['badge', '.indicator-card .status-badge'], ['card footer', '.indicator-card .card-footer'],
    ['area status', '.area-status'], ['button', '.st-key-present_next button p'],
].map(([name, selector]) => {
    const element = document.querySelector(selector);
    return [name, element ? parseFloat(getComputedStyle(element).fontSize) : null];
}))"""


def test_every_text_on_a_slide_grows_together(browser, sample_url):
    """On a bigger screen every piece of text, the cards' badges and footers included, grows by the same factor."""
    sizes = {}
    for width, height in VIEWPORTS:
        with fresh_page(browser, sample_url) as page:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"/mutual?mutual={MUTUAL}&present=1&section=leadership")
            settle(page)
            sizes[height] = page.evaluate(FONT_SIZES)
    small, large = sizes[720], sizes[1080]
    assert None not in small.values() and None not in large.values(), small
    ratios = {name: large[name] / small[name] for name in small}
    assert min(ratios.values()) > 1.3 and max(ratios.values()) - min(ratios.values()) < 0.03, ratios
    assert small["card footer"] >= 0.75 * small["text"] and small["badge"] >= 0.75 * small["text"], small
