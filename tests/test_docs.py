"""Docs that cannot drift: every rule in the config appears on the methodology page, in the board-pack
appendix and (the ladder) in the README, and a changed config changes all of them.

The expected phrases are built here from the config values, not from the content builder, so a page
or appendix that stopped printing a rule (or printed a stale number) fails.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from mutuals.escape import plain
from mutuals.reports import boardpack
from mutuals.rules import Rules, load_rules
from mutuals.services.mutual import load_mutual
from tests.apptest import open_app
from tests.conftest import override_rules
from tests.test_methodology_page import page_text

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/methodology.py"
APPENDIX = "Appendix: methodology"


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def shown(text: str) -> str:
    """As the pack prints it (without bidi and control characters)."""
    return norm(plain(text))


def documented(rules: Rules) -> list[str]:
    """Every indicator's label, definition, threshold tests and evidence age; every area and signal label;
    every count of the roll-up and the ladder; the suppression minimum; every status label."""
    phrases = []
    for ind in rules.indicators:
        phrases += [ind.label, rules.text(ind.definition), *ind.threshold_text()]
        if ind.max_evidence_months is not None:
            phrases += [f"{ind.evidence}, at most {ind.max_evidence_months} months old",
                        f"Maximum evidence age: {ind.max_evidence_months} months"]
    for area in rules.areas:
        phrases += [area.label, area.short, *(s.label for s in area.signals)]
    r, o = rules.rollup, rules.overall
    phrases += [
        f"{r.area_red_min_red_signals} or more signals are red",
        f"{r.area_amber_min_red_signals} or more signals red (fewer than {r.area_red_min_red_signals})",
        f"{r.area_amber_min_amber_signals} or more signals amber",
        f"or {o.at_risk_min_red_areas} or more areas red",
        f"{o.concern_min_red_areas} or more areas red (fewer than {o.at_risk_min_red_areas})",
        f"{o.watch_min_amber_areas} or more areas amber",
        f"fewer than {rules.min_respondents} respondents",
        f"over fewer than {rules.explorer.min_group} mutuals is suppressed and reads ‘{rules.explorer.suppressed}’",
        f"rounded to the nearest {rules.explorer.at_risk_round}",
        *(b.label for b in (*rules.explorer.cohorts, *rules.explorer.size_bands)),
    ]
    phrases += [s.label for s in [*rules.statuses.values(), *rules.overall_statuses.values()]]
    return [norm(p) for p in phrases]


def missing(phrases: list[str], text: str, transform=norm) -> list[str]:
    return [p for p in phrases if transform(p) not in text]


def pdf_pages(pdf: bytes) -> list[str]:
    return [norm(p.extract_text() or "") for p in PdfReader(BytesIO(pdf)).pages]


def appendix_of(pdf: bytes) -> str:
    pages = pdf_pages(pdf)
    start = next(i for i, t in enumerate(pages) if i > 0 and t.startswith(shown(APPENDIX)))
    return " ".join(pages[start:])


def appendix_alone(view) -> str:
    """Only the appendix, from a pack printed with the pack's own code but no charts (quick), as PDF text."""
    return appendix_of(boardpack.board_pack_bytes(view, charts={}))


@pytest.fixture(scope="module")
def page(handmade_dir):
    at = open_app(handmade_dir, page=PAGE)
    assert not at.exception, at.exception
    return page_text(at)


@pytest.fixture(scope="module")
def appendix(handmade_db_path):
    """The appendix of one real board pack (M1 on the hand-made fixture)."""
    from mutuals.infra.db import Database

    with Database(handmade_db_path) as db:
        view = load_mutual(db, "M1")
    return appendix_of(boardpack.board_pack_bytes(view))


def test_every_rule_is_on_the_page(page):
    assert not missing(documented(load_rules()), page)


def test_every_rule_is_in_the_board_pack_appendix(appendix):
    assert not missing(documented(load_rules()), appendix, shown)


def test_page_and_appendix_say_the_same(page, appendix):
    """The same sections, and each indicator's texts, word for word."""
    from mutuals.reports.methodology import methodology, prose

    rules = load_rules()
    for section in methodology(rules):
        assert norm(section.title) in page and shown(section.title) in appendix, section.title
    for ind in rules.indicators:
        for text in (prose(rules, ind, ind.why), prose(rules, ind, ind.source)):
            assert norm(text) in page and shown(text) in appendix, ind.column


# ---------------------------------------------------------------------------------------------
# A changed config: another threshold, area count, ladder counts, evidence age and suppression minimum.

CHANGES = [
    ('column = "plan_delivery"\nlabel = "Plan delivery"\ndirection = "higher"\ngreen = 0.95',
     'column = "plan_delivery"\nlabel = "Plan delivery"\ndirection = "higher"\ngreen = 0.9'),
    ("area_red_min_red_signals = 2", "area_red_min_red_signals = 3"),
    ("at_risk_min_red_areas = 2", "at_risk_min_red_areas = 3"),
    ("watch_min_amber_areas = 2", "watch_min_amber_areas = 3"),
    ('evidence = "latest survey wave"\nmax_evidence_months = 24', 'evidence = "latest survey wave"\nmax_evidence_months = 18'),
    ("min_respondents = 11 ", "min_respondents = 7 "),
    ("min_group = 5 ", "min_group = 7 "),
    ('label = "2021+"', 'label = "2021 onwards"'),
]
NEW = ["≥ 0.9", "≥ 0.85 and < 0.9", "≥ 90%", "3 or more signals are red", "1 or more signals red (fewer than 3)",
       "or 3 or more areas red", "1 or more areas red (fewer than 3)", "3 or more areas amber",
       "latest survey wave, at most 18 months old", "fewer than 7 respondents",
       "over fewer than 7 mutuals is suppressed and reads ‘suppressed (n < 7)’", "2021 onwards"]
GONE = ["≥ 0.95", "2 or more signals are red", "2 or more areas amber", "latest survey wave, at most 24 months old",
        "fewer than 11 respondents", "(fewer than 2)", "fewer than 5 mutuals", "suppressed (n < 5)", "2021+"]


@pytest.fixture()
def changed_rules(tmp_path, monkeypatch):
    rules = override_rules(tmp_path, monkeypatch, CHANGES)
    assert rules.min_respondents == 7
    return rules


def test_page_follows_a_changed_config(handmade_dir, changed_rules):
    at = open_app(handmade_dir, page=PAGE)
    assert not at.exception, at.exception
    text = page_text(at)
    assert not missing(documented(changed_rules), text)
    assert not missing(NEW, text)
    assert [g for g in GONE if g in text] == []


def test_appendix_follows_a_changed_config(handmade_db, changed_rules):
    view = load_mutual(handmade_db, "M1")
    assert view.min_respondents == 7
    text = appendix_alone(view)
    assert not missing(documented(changed_rules), text, shown)
    assert not missing(NEW, text, shown)
    assert [g for g in GONE if shown(g) in text] == []


# ---------------------------------------------------------------------------------------------
# The README


def test_readme_ladder_names_the_config_counts():
    """The README's account of the roll-up and the overall ladder states the counts in the config."""
    text = norm((ROOT / "README.md").read_text(encoding="utf-8"))
    start = text.index("A mutual's overall status is the first that applies")
    ladder = text[start:start + 1500]
    o, r = load_rules().overall, load_rules().rollup
    for phrase in (f"or {o.at_risk_min_red_areas} or more areas red",
                   f"{o.concern_min_red_areas} or more areas red (fewer than {o.at_risk_min_red_areas})",
                   f"{o.watch_min_amber_areas} or more areas amber"):
        assert phrase in ladder, phrase
    for phrase in (f"{r.area_red_min_red_signals} or more signals are red",
                   f"{r.area_amber_min_amber_signals} or more signals amber"):
        assert phrase in text[:start], phrase
    cliff = " and ".join(load_rules().by_column(c).label.lower() for c in o.cliff)
    assert cliff in ladder
