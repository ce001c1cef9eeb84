"""The global filters: sidebar widgets whose state lives in the URL.

URL parameters: ``commissioner`` (an id), ``sector`` and ``region`` (repeatable)
and ``as_of`` (YYYY-MM-DD). On a session's first run the URL seeds the widgets;
unknown or malformed values are dropped with a gentle notice. After that the
widgets are the truth and every run writes them back to the URL, so a copied
link reproduces the view on any page.

This module is the one validated layer for URL parameters (issue 8, part 6): every value read from
the link is checked here, never parsed ad hoc by a page, and anything unknown, malformed, empty or
oversized is dropped with a gentle notice whose quoted value is capped and markdown-escaped
(:func:`mutuals.escape.md_text`), so a link can neither crash a page nor put markup in a notice.
The mutual page's ``section`` is read through :func:`section_index`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Sequence
from urllib.parse import urlencode

import streamlit as st

from mutuals import formatting as fmt
from mutuals.escape import cap, md_text
from mutuals.ui import data

ALL = "__all__"
KEYS = {"commissioner": "f_commissioner", "sector": "f_sector", "region": "f_region", "as_of": "f_as_of"}
EARLIEST = date(2000, 1, 1)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only; date.fromisoformat alone takes more
SHOWN_CHARS = 60  # a quoted URL value in a notice is cut to this many characters
SHOWN_VALUES = 5  # at most this many ignored values of one parameter are quoted
SECTION_DIGITS = 3  # ``section`` may also be a slide number (0 = overview, wrapping round): at most 3 digits


_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def quoted(value: object) -> str:
    """A URL value as it appears in a notice: control characters shown as �, capped, markdown-escaped,
    in curly quotes."""
    return f"“{md_text(cap(_CONTROLS.sub('�', str(value)), SHOWN_CHARS))}”"


def _quoted_list(values: list[str]) -> str:
    shown = ", ".join(quoted(v) for v in values[:SHOWN_VALUES])
    more = len(values) - SHOWN_VALUES
    return shown + (f" and {more:,} more" if more > 0 else "")


def _last(name: str) -> str:
    """The last non-empty value of a (possibly repeated) URL parameter, or ''."""
    values = [v for v in st.query_params.get_all(name) if v]
    return values[-1] if values else ""


def parse_date(value: str) -> date | None:
    """A ``YYYY-MM-DD`` date (ASCII digits), or None for anything else."""
    if not ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_section(value: str, sections: Sequence[str]) -> int | None:
    """The index of a ``section`` value: a section name (``finance-1`` is the same slide as ``finance``), or a
    slide number of at most three ASCII digits (wrapping round); None when it is neither. Never raises
    (``²`` and 5,000 nines are just invalid)."""
    if value in sections:
        return list(sections).index(value)
    if value.endswith("-1") and value[:-2] in sections:
        return list(sections).index(value[:-2])
    if value.isascii() and value.isdigit() and len(value) <= SECTION_DIGITS:
        return int(value) % len(sections)
    return None


def section_index(sections: Sequence[str]) -> int:
    """The presentation slide chosen by the URL's ``section`` (default: the first); a bad value shows a notice."""
    value = _last("section")
    if not value:
        return 0
    index = parse_section(value, sections)
    if index is None:
        names = [name for name in sections if not re.search(r"-[0-9]+$", name)]  # 'finance', not 'finance-2'
        numbered = " (or a numbered slide of one, such as “finance-2”)" if len(names) < len(sections) else ""
        st.info(f"The section {quoted(value)} in the link is not one of {md_text(', '.join(names))}{numbered} "
                f"or a slide number; showing {md_text(sections[0])}.", icon=":material/info:")
        return 0
    return index


@dataclass(frozen=True)
class Filters:
    """What the user is looking at; every page query takes these."""

    as_of: date
    data_date: date
    commissioner: str | None = None
    commissioner_name: str | None = None
    sectors: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    scope: tuple[str, ...] | None = None  # visible mutual ids; None = all (roles arrive later)
    notices: tuple[str, ...] = field(default=(), compare=False)

    def query_kwargs(self) -> dict:
        """Keyword arguments for compute_indicators and the portfolio services."""
        return {
            "commissioner": self.commissioner,
            "sectors": list(self.sectors) or None,
            "regions": list(self.regions) or None,
            "scope": list(self.scope) if self.scope is not None else None,
        }

    def url_query(self) -> str:
        """The filters as URL parameters ('commissioner=C1&sector=Housing&as_of=…'), for links."""
        pairs = [("commissioner", self.commissioner)] if self.commissioner else []
        pairs += [("sector", v) for v in self.sectors] + [("region", v) for v in self.regions]
        if self.as_of != self.data_date:
            pairs.append(("as_of", self.as_of.isoformat()))
        return urlencode(pairs)

    def describe(self) -> str:
        """'Wendlow ICB · Health & Social Care · as of 30 Sep 2026'."""
        parts = [self.commissioner_name or "All commissioners"]
        parts.append(", ".join(self.sectors) if self.sectors else "all sectors")
        parts.append(", ".join(self.regions) if self.regions else "all regions")
        parts.append(f"as of {fmt.day(self.as_of)}")
        return " · ".join(parts)


def _seed_from_url(commissioners: dict[str, str], sectors: list[str], regions: list[str],
                   latest: date) -> list[str]:
    """Copy valid URL values into widget state; return notices (values escaped) for the rest."""
    state, notices = st.session_state, []
    value = _last("commissioner")
    if value:
        if value in commissioners:
            state[KEYS["commissioner"]] = value
        else:
            notices.append(f"Unknown commissioner {quoted(value)} in the link was ignored; "
                           "showing all commissioners.")
    for name, allowed in (("sector", sectors), ("region", regions)):
        values = [v for v in st.query_params.get_all(name) if v]
        good = [v for v in dict.fromkeys(values) if v in allowed]
        bad = list(dict.fromkeys(v for v in values if v not in allowed))
        if good:
            state[KEYS[name]] = good
        if bad:
            notices.append(f"Unknown {name} value(s) {_quoted_list(bad)} in the link were ignored.")
    value = _last("as_of")
    if value:
        parsed = parse_date(value)
        if parsed is None:
            notices.append(f"The date {quoted(value)} in the link is not a YYYY-MM-DD date; "
                           "showing the latest data date.")
        elif EARLIEST <= parsed <= latest:
            state[KEYS["as_of"]] = parsed
        else:
            notices.append(f"The date {quoted(value)} in the link is outside the data ({fmt.day(EARLIEST)} – "
                           f"{fmt.day(latest)}); showing the latest data date.")
    return notices


def _write_url(values: dict[str, object], defaults: dict[str, object]) -> None:
    """Mirror filter values into the URL, leaving other parameters (mutual, present…) alone."""
    params = st.query_params
    for name, value in values.items():
        if value == defaults[name] or value in (None, [], ()):
            if name in params:
                del params[name]
            continue
        wanted = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)
        current = params.get_all(name) if isinstance(wanted, list) else params.get(name)
        if current != wanted:
            params[name] = wanted


def render_filters() -> Filters:
    """Draw the sidebar filters and return what they select."""
    db = data.db()
    latest = data.data_date()  # never None: the contract requires contracts rows, each with a start date
    commissioner_rows = db.query("commissioners", scope=None)
    commissioners = dict(zip(commissioner_rows["commissioner_id"], commissioner_rows["name"]))
    options = db.query("filter_options", scope=None)
    sectors = options.loc[options["filter"] == "sector", "value"].tolist()
    regions = options.loc[options["filter"] == "region", "value"].tolist()

    state = st.session_state
    if not state.get("_filters_seeded"):
        state["_filters_seeded"] = True
        state["_filter_notices"] = _seed_from_url(commissioners, sectors, regions, latest)
    notices = tuple(state.get("_filter_notices", ()))
    state.setdefault(KEYS["commissioner"], ALL)
    state.setdefault(KEYS["as_of"], latest)
    if state[KEYS["commissioner"]] not in (ALL, *commissioners):
        state[KEYS["commissioner"]] = ALL
    for key, allowed in ((KEYS["sector"], sectors), (KEYS["region"], regions)):
        state[key] = [v for v in state.get(key, []) if v in allowed]
    if not (EARLIEST <= state[KEYS["as_of"]] <= latest):
        state[KEYS["as_of"]] = latest

    sidebar = st.sidebar
    sidebar.markdown("**Filters**")
    commissioner = sidebar.selectbox(
        "Commissioner", [ALL, *commissioners], key=KEYS["commissioner"],
        format_func=lambda cid: "All commissioners" if cid == ALL else commissioners.get(cid, cid),
        help="A commissioner's portfolio: the mutuals it spun out plus those holding a contract from it "
             "that is active on the as-of date.",
    )
    chosen_sectors = sidebar.multiselect("Sector", sectors, key=KEYS["sector"], placeholder="All sectors")
    chosen_regions = sidebar.multiselect("Region", regions, key=KEYS["region"], placeholder="All regions")
    as_of = sidebar.date_input(
        "As of", min_value=EARLIEST, max_value=latest, key=KEYS["as_of"], format="YYYY-MM-DD",
        help="Indicators are computed as of this date. The default is the latest recorded event in the data.",
    )
    for notice in notices:
        sidebar.info(notice, icon=":material/info:")

    commissioner = None if commissioner in (None, ALL) else commissioner
    as_of = as_of or latest
    _write_url(
        {"commissioner": commissioner, "sector": chosen_sectors, "region": chosen_regions, "as_of": as_of.isoformat()},
        {"commissioner": None, "sector": [], "region": [], "as_of": latest.isoformat()},
    )
    return Filters(
        as_of=as_of, data_date=latest, commissioner=commissioner,
        commissioner_name=commissioners.get(commissioner) if commissioner else None,
        sectors=tuple(chosen_sectors), regions=tuple(chosen_regions), notices=notices,
    )


def current() -> Filters:
    """The filters drawn by the shell for this run (pages call this)."""
    return st.session_state["_filters"]
