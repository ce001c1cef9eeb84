"""Escaping (issue 8, part 4): no data value becomes HTML or markdown.

The helper (mutuals/escape.py) is fed the hostile corpus directly; then every page is rendered with the
corpus as mutual, commissioner, contract and staff-group names, and no element of any page may carry live
markup from the data: markdown sources keep every special character backslash-escaped, and HTML fragments
hold no tag or attribute from the data.
"""

from __future__ import annotations

import re

import pytest

from mutuals.escape import cap, html_label, html_text, md_label, md_text, md_unescape, plain
from mutuals.infra.build import build
from tests.apptest import open_app, title
from tests.fixtures import handmade
from tests.hostile import HOSTILE, hostile_tables, injected_html, markdown_sources, unescaped_markup

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def one_line(text: str) -> str:
    return re.sub(r"[\r\n]+", " ", text)


# --------------------------------------------------------------------------- the helper


@pytest.mark.parametrize("value", HOSTILE)
def test_html_text_leaves_no_tag_or_attribute(value):
    out = html_text(value)
    assert "<" not in out and ">" not in out and '"' not in out
    assert not set(out) & set(BIDI)
    assert html_text(value, None).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"') \
        .replace("&#x27;", "'").replace("&amp;", "&") == plain(value)  # nothing lost but the bidi controls


@pytest.mark.parametrize("value", HOSTILE)
def test_md_text_escapes_every_markdown_special(value):
    out = md_text(value)
    assert not unescaped_markup(out), out
    bare = re.sub(r"\\.", "", out)
    assert not set(bare) & set("\\`*_{}[]()#+-.!|<>~$:=^&\"'"), bare  # every special is escaped
    assert "\n" not in out and not set(out) & set(BIDI)  # one line: no new block can start
    assert md_unescape(out) == one_line(plain(value))  # nothing lost but line breaks and the bidi controls


def test_bidi_overrides_and_controls_are_dropped():
    assert plain("\u202eevil\u202c \u2066x\u2069\x00\x07") == "evil x"
    assert md_text("a\u202eb") == "ab" and html_text("a\u2067b") == "ab"


def test_cap_bounds_any_value():
    assert cap("x" * 10_000_000, 120) == "x" * 119 + "…"
    assert cap("short", 120) == "short" and len(md_label("y" * 5000)) <= 120
    label = html_label("z" * 5000, 50)
    assert label.startswith('<span title="') and "z" * 49 + "…" in label and len(label) < 1200


# --------------------------------------------------------------------------- every page, hostile data


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory):
    folder = handmade.write_csvs(tmp_path_factory.mktemp("hostile_names"), hostile_tables())
    build(folder, tmp_path_factory.mktemp("check") / "check.duckdb")  # the corpus is valid data
    return folder


def check_no_markup(at, label: str) -> None:
    assert not at.exception, (label, [e.value for e in at.exception])
    for text in markdown_sources(at):
        assert not unescaped_markup(text), (label, unescaped_markup(text), text[:300])
    for element in at.get("html"):
        assert not injected_html(element.proto.body), (label, injected_html(element.proto.body))


PAGES = [("portfolio", None, {}), ("methodology", "pages/methodology.py", {})]
PAGES += [(f"mutual {m}", "pages/mutual.py", {"mutual": m}) for m in ("M1", "M2", "M3", "M4", "M5")]
PAGES += [("presenting M1", "pages/mutual.py", {"mutual": "M1", "present": "1", "section": s})
          for s in ("overview", "engagement", "relationship")]


@pytest.mark.parametrize("label, page, params", PAGES, ids=[p[0] for p in PAGES])
def test_every_page_renders_hostile_names_as_text(hostile_dir, label, page, params):
    at = open_app(hostile_dir, params, page=page)
    check_no_markup(at, label)
    if page == "pages/mutual.py" and "present" not in params:
        index = int(params["mutual"][1:]) - 1
        assert title(at) == one_line(cap(plain(HOSTILE[index])))  # the name as text, cut to the label limit


def test_the_portfolio_pick_and_commissioner_filter_escape_names(hostile_dir):
    at = open_app(hostile_dir, {"commissioner": "C1"})
    check_no_markup(at, "commissioner C1")
    assert "Portfolio · " in title(at) and "JS Mutual" in title(at)  # C1 is named HOSTILE[6]
    at.selectbox(key="portfolio_pick").select("M1").run()
    check_no_markup(at, "picked M1")
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert headings and "\\<script\\>" in headings[0]


def test_the_check_would_catch_a_raw_name():
    """The checks are not vacuous: raw markup from the corpus is caught."""
    assert unescaped_markup(HOSTILE[4]) and unescaped_markup(f"**{HOSTILE[1]}**")
    assert injected_html(f"<div>{HOSTILE[3]}</div>") and injected_html(f"<p>{HOSTILE[2]}</p>")
    assert injected_html(f"<style>{HOSTILE[1][7:-20]}</style>")
    assert not injected_html(f'<div title="{html_text(HOSTILE[3])}">{html_text(HOSTILE[2])}</div>')
