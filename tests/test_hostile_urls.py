"""Hostile URLs (issue 8, part 6): no URL crashes a page, shows a traceback or puts markup in a notice.

Every page parameter (commissioner, sector, region, as_of, mutual, present, section and an unknown one) is
set, all at once, to each value of the hostile corpus (tests/hostile.py) and of a few malformed ones, on
each page; ``section`` is fuzzed on a mutual in presentation mode, where it is read. Also: the
``section=²`` and ``section=`` + 5,000 nines crashes of the issue, repeated and empty parameters, the
validated parsers themselves, and the server settings (errors redacted for users, local address).
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from mutuals.ui import filters
from tests.apptest import open_app
from tests.hostile import HOSTILE, RAW_MARKUP, markdown_sources

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ("commissioner", "sector", "region", "as_of", "mutual", "present", "section", "utm_campaign")
NINES = "9" * 5000
VALUES = HOSTILE + ["", NINES, "²", "-1", "1e9", "NaN", "\x00", "99999-01-01", "0001-01-01", "2026-02-30",
                    "20260630", "2026-W26-2", " 2026-06-30"]
PAGES = {"portfolio": None, "mutual": "pages/mutual.py", "methodology": "pages/methodology.py"}
SECTIONS = ("overview", "leadership", "engagement", "relationship", "finance")
TRACEBACK_MARKS = ("Traceback (most recent call last)", 'File "/', ".py\", line", "ValueError", "Exceeds the limit")


def _id(value: str) -> str:
    return repr(value[:24]) + (f"+{len(value) - 24}" if len(value) > 24 else "")


def check_page(at, label: str) -> None:
    assert not at.exception, (label, [e.value for e in at.exception])
    sources = markdown_sources(at)
    html = [h.proto.body for h in at.get("html")]
    for text in sources + html:
        for mark in TRACEBACK_MARKS:
            assert mark not in text, (label, mark, text[:300])
    for text in sources:
        unescaped = re.sub(r"\\.", "", text, flags=re.S)  # what is left once every backslash escape is dropped
        for mark in RAW_MARKUP:
            assert mark not in unescaped, (label, mark, text[:300])
    for body in html:  # no HTML element from the URL (the hand-made data holds none)
        assert "pwned" not in body, (label, body[:300])
    assert sum(len(text) for text in sources) < 200_000, label  # a 5,000-character value is not echoed whole


def notices(at) -> str:
    return "\n".join(i.value for i in at.info)


@pytest.mark.parametrize("value", VALUES, ids=_id)
@pytest.mark.parametrize("page", list(PAGES))
def test_every_parameter_fuzzed(page, value, handmade_dir):
    at = open_app(handmade_dir, {name: value for name in PARAMS}, page=PAGES[page])
    check_page(at, f"{page} {value[:40]!r}")
    text = notices(at)
    if value:  # every filter value is ignored, with a notice quoting it (escaped and capped)
        assert "Unknown commissioner" in text and "Unknown sector" in text and "Unknown region" in text
        assert "The date" in text
    else:  # an empty value is no value: nothing to say
        assert "in the link" not in text
    assert at.selectbox(key="f_commissioner").value == filters.ALL
    assert at.date_input(key="f_as_of").value == date(2026, 6, 30)


@pytest.mark.parametrize("value", VALUES, ids=_id)
def test_filters_fuzzed_on_a_shown_mutual(value, handmade_dir):
    """The mutual page with a real mutual, every other parameter hostile (``present`` off: the full page)."""
    params = {name: value for name in PARAMS if name not in ("mutual", "present")}
    at = open_app(handmade_dir, {"mutual": "M1", **params}, page=PAGES["mutual"])
    check_page(at, f"M1 {value[:40]!r}")
    assert at.title[0].value == "Alpha Community Health CIC"


def test_section_fuzzed_in_presentation_mode(handmade_dir):
    """``section`` is read on every run in presentation mode: one session, one run per value."""
    at = open_app(handmade_dir, {"mutual": "M1", "present": "1", "section": "engagement"}, page=PAGES["mutual"])
    check_page(at, "engagement")
    assert [h.value for h in at.header] == ["Staff engagement and ownership"]
    for value in VALUES:
        at.query_params["section"] = value
        at.run()
        check_page(at, f"section {value[:40]!r}")
        assert not at.header, value  # a bad section shows the overview
        assert at.title[0].value == "Alpha Community Health CIC"
        if value:
            assert "The section “" in notices(at), value


@pytest.mark.parametrize("value", ["²", NINES, "٣", "1" * 4300, "-1", "+1", "1.0", " 2"], ids=_id)
def test_section_crashes_of_the_issue(value, handmade_dir):
    """``section=²`` raised ValueError (int() of a Unicode digit), 5,000 nines 'Exceeds the limit (4300 digits)'."""
    at = open_app(handmade_dir, {"mutual": "M1", "present": "1", "section": value}, page=PAGES["mutual"])
    check_page(at, repr(value[:20]))
    assert not at.header and "(slide 1 of 18)" in "\n".join(m.value for m in at.markdown)  # issue 10: 18 slides
    text = notices(at)
    assert "The section “" in text and "showing overview" in text
    assert len(text) < 400


def test_section_names_and_numbers_still_work(handmade_dir):
    # issue 10: sections are split into slides (overview, leadership, leadership-2…4, engagement…): slide 10 is the
    # relationship's first, and a numbered slide name works too
    at = open_app(handmade_dir, {"mutual": "M1", "present": "1", "section": "10"}, page=PAGES["mutual"])
    check_page(at, "10")
    assert [h.value for h in at.header] == ["Commissioner relationship"] and "The section" not in notices(at)
    at.query_params["section"] = "finance-3"
    at.run()
    assert [h.value for h in at.header] == ["Finance"] and "Finance 3/4" in "\n".join(m.value for m in at.markdown)
    at.query_params["section"] = ["finance", "leadership"]  # repeated: the last one counts
    at.run()
    assert [h.value for h in at.header] == ["Leadership and strategy"]


def test_repeated_and_empty_parameters(handmade_dir):
    hsc = "Health & Social Care"
    link = HOSTILE[4]
    at = open_app(handmade_dir, {"commissioner": [link, "C1"], "sector": [hsc, link, "", hsc, link],
                                 "region": ["", ""], "as_of": [link, "2026-06-30"], "mutual": ["", ""]})
    check_page(at, "repeated")
    assert at.selectbox(key="f_commissioner").value == "C1"  # the last value of a repeated parameter
    assert at.multiselect(key="f_sector").value == [hsc]
    assert at.date_input(key="f_as_of").value == date(2026, 6, 30)
    text = notices(at)
    assert text.count("\\[Sign in\\]") == 1  # the bad sector, once though given twice
    assert "Unknown commissioner" not in text and "Unknown region" not in text and "The date" not in text


def test_many_bad_values_are_summarised(handmade_dir):
    at = open_app(handmade_dir, {"sector": [f"{HOSTILE[5]} {i}" for i in range(200)]})
    check_page(at, "200 sectors")
    text = notices(at)
    assert "and 195 more" in text and len(text) < 2000


def test_dates_outside_the_data_or_malformed(handmade_dir):
    for value, words in (("0001-01-01", "outside the data"), ("1999-12-31", "outside the data"),
                         ("99999-01-01", "not a YYYY-MM-DD date"), ("2026-02-30", "not a YYYY-MM-DD date"),
                         ("2026-06-01", None)):
        at = open_app(handmade_dir, {"as_of": value})
        check_page(at, value)
        if words:
            assert words in notices(at), value
            assert at.date_input(key="f_as_of").value == date(2026, 6, 30)
        else:
            assert at.date_input(key="f_as_of").value == date(2026, 6, 1)


# --------------------------------------------------------------------------- the validated parsers


def test_parse_section():
    assert [filters.parse_section(s, SECTIONS) for s in SECTIONS] == [0, 1, 2, 3, 4]
    assert filters.parse_section("7", SECTIONS) == 2 and filters.parse_section("000", SECTIONS) == 0
    for bad in ("²", "٣", NINES, "1234", "-1", "+1", "1e9", "NaN", "\x00", "", " 1", "Finance"):
        assert filters.parse_section(bad, SECTIONS) is None, bad


def test_parse_date():
    assert filters.parse_date("2026-06-30") == date(2026, 6, 30)
    for bad in ("99999-01-01", "2026-02-30", "20260630", "2026-W26-2", "２０２６-06-30", "2026-06-30T00:00",
                " 2026-06-30", NINES, "", "\x00", "NaN"):
        assert filters.parse_date(bad) is None, bad
    assert filters.parse_date("0001-01-01") == date(1, 1, 1)  # a date; render_filters says it is outside the data


def test_quoted_values_are_escaped_and_capped():
    assert filters.quoted(HOSTILE[4]) == "“\\[Sign in\\]\\(http\u2060\\://evil\\.example/pwned\\) Link Mutual”"
    assert len(filters.quoted(NINES)) < 70 and filters.quoted(NINES).endswith("…”")
    assert filters.quoted("a\x00b\nc\u202ed") == "“a�b�cd”"


# --------------------------------------------------------------------------- server settings


def test_config_redacts_errors_and_binds_locally():
    from streamlit import config

    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["server"]["address"] == "127.0.0.1"
    value = settings["client"]["showErrorDetails"]
    assert value == config.ShowErrorDetailsConfigOptions.NONE  # accepted by the installed Streamlit


def test_a_crash_shows_users_a_short_message_and_logs_the_detail(caplog, capfd):
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    previous = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", settings["client"]["showErrorDetails"])
    try:
        at = AppTest.from_string("raise ValueError('secret detail at /srv/mutuals/app.py')").run()
    finally:
        config.set_option("client.showErrorDetails", previous)
    [shown] = at.exception
    assert "secret detail" not in shown.message and "/srv/" not in shown.message
    assert not list(shown.stack_trace) and not shown.proto.type
    assert "error" in shown.message.lower()
    logged = [r for r in caplog.records if r.exc_info and "secret detail at /srv/mutuals/app.py" in str(r.exc_info[1])]
    printed = capfd.readouterr()  # Streamlit prints it with rich (ANSI colours) when rich is installed
    console = re.sub(r"\x1b\[[0-9;]*m", "", printed.out + printed.err)
    assert logged or "secret detail at /srv/mutuals/app.py" in console  # logged on the server
