"""Injection in a real browser (issue 8): hostile names in the data and in the URL stay text.

A live server serves the hand-made data with the hostile corpus (tests/hostile.py) as mutual, commissioner,
contract and staff-group names; the URL carries the corpus too. On every page, the DOM may hold no
``<style>``, ``<form>``, ``<input>``, ``<img>``, ``<a>`` or ``<script>`` that came from the data or the
URL, no script from the corpus may have run, and every status badge keeps the colour of its status.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from mutuals.rules import load_rules
from tests.browser.conftest import assert_no_errors, fresh_page, full_page_screenshot, start_server, wait_for_app
from tests.hostile import HOSTILE

pytestmark = pytest.mark.browser

# Everything in the document that would have come from the corpus had it become markup.
INJECTED = r"""() => {
  const bad = [];
  const marked = (text) => /pwned|evil\.example/.test(text || '');
  for (const s of document.querySelectorAll('style'))
    if (marked(s.textContent) || s.textContent.includes('009E73 !important')) bad.push('style: ' + s.textContent.slice(0, 80));
  for (const f of document.querySelectorAll('form:not(.vega-bindings)')) bad.push('form ' + f.outerHTML.slice(0, 300));
  for (const i of document.querySelectorAll('input[name="password"], input:not([data-testid]):not([role]):not([type])'))
    bad.push('input ' + i.outerHTML.slice(0, 80));
  for (const i of document.querySelectorAll('img'))
    if (marked(i.getAttribute('src')) || i.getAttribute('src') === 'x' || i.hasAttribute('onerror')) bad.push('img ' + i.outerHTML.slice(0, 80));
  // (Streamlit's own heading anchors, href="#slug", are in-page fragments, not links from data)
  for (const a of document.querySelectorAll('a:not([aria-label="Link to heading"][href^="#"])'))
    if (marked(a.getAttribute('href')) || /^\s*javascript:/i.test(a.getAttribute('href') || '')) bad.push('a ' + a.outerHTML.slice(0, 300));
  for (const s of document.querySelectorAll('script')) if (marked(s.textContent)) bad.push('script');
  if (window.pwned) bad.push('window.pwned was set');
  return bad;
}"""

BADGES = """() => [...document.querySelectorAll('.status-badge')].map(b => [b.innerText.trim(),
    getComputedStyle(b).backgroundColor])"""

URL_VALUES = {"commissioner": HOSTILE[4] + " " + HOSTILE[5], "as_of": HOSTILE[2], "sector": HOSTILE[1],
              "region": HOSTILE[3]}
PAGES = {
    "portfolio": "/",
    "portfolio-url": "/?" + urlencode(URL_VALUES),
    "mutual-m2": "/mutual?mutual=M2",
    "mutual-m1-url": "/mutual?" + urlencode({"mutual": "M1", **URL_VALUES}),
    "mutual-unknown": "/mutual?" + urlencode({"mutual": HOSTILE[0]}),
    "presenting": "/mutual?mutual=M2&present=1&section=" + HOSTILE[6],
    "methodology": "/methodology?" + urlencode({"as_of": HOSTILE[5]}),
}


def rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))


@pytest.fixture(scope="module")
def hostile_url(_browser_available, tmp_path_factory):
    from tests.fixtures import handmade
    from tests.hostile import hostile_tables

    folder = tmp_path_factory.mktemp("browser-hostile")
    data_dir = handmade.write_csvs(folder / "data", hostile_tables())
    with start_server(data_dir, folder / "streamlit.log") as base_url:
        yield base_url


@pytest.mark.parametrize("name", list(PAGES))
def test_no_injected_element_and_badges_keep_their_colours(browser, hostile_url, name):
    rules = load_rules()
    expected = {s.label: rgb(s.colour) for s in [*rules.overall_statuses.values(), *rules.statuses.values()]}
    with fresh_page(browser, hostile_url) as page:
        page.goto(PAGES[name])
        wait_for_app(page, settle_ms=600)
        assert_no_errors(page)
        assert page.evaluate(INJECTED) == []
        badges = page.evaluate(BADGES)
        for word, colour in badges:
            assert word in expected and colour == expected[word], (word, colour)
        if name == "portfolio":
            assert any(word == rules.overall_statuses["at_risk"].label for word, _ in badges)
            # the names are there, as text: the style name of M2 (at risk) is read out in the early warnings
            assert page.get_by_text("<style>.status-badge", exact=False).count() >= 1
        if name.startswith("portfolio-url") or name == "mutual-m1-url":
            assert page.get_by_text("[Sign in](http", exact=False).count() >= 1
        full_page_screenshot(page, f"test_injection_{name}")
