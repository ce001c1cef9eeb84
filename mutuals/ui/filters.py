"""The global filters: sidebar widgets whose state lives in the URL.

URL parameters: ``commissioner`` (an id), ``sector`` and ``region`` (repeatable)
and ``as_of`` (YYYY-MM-DD). On a session's first run the URL seeds the widgets;
unknown or malformed values are dropped with a gentle notice. After that the
widgets are the truth and every run writes them back to the URL, so a copied
link reproduces the view on any page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

import streamlit as st

from mutuals import formatting as fmt
from mutuals.ui import data

ALL = "__all__"
KEYS = {"commissioner": "f_commissioner", "sector": "f_sector", "region": "f_region", "as_of": "f_as_of"}
EARLIEST = date(2000, 1, 1)


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
    """Copy valid URL values into widget state; return notices for the rest."""
    params, state, notices = st.query_params, st.session_state, []
    value = params.get("commissioner")
    if value:
        if value in commissioners:
            state[KEYS["commissioner"]] = value
        else:
            notices.append(f"Unknown commissioner “{value}” in the link was ignored; showing all commissioners.")
    for name, allowed in (("sector", sectors), ("region", regions)):
        values = params.get_all(name)
        good = [v for v in dict.fromkeys(values) if v in allowed]
        bad = [v for v in values if v not in allowed]
        if good:
            state[KEYS[name]] = good
        if bad:
            notices.append(f"Unknown {name} value(s) {', '.join('“' + b + '”' for b in bad)} in the link were ignored.")
    value = params.get("as_of")
    if value:
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            notices.append(f"The date “{value}” in the link is not a YYYY-MM-DD date; showing the latest data date.")
        else:
            if EARLIEST <= parsed <= latest:
                state[KEYS["as_of"]] = parsed
            else:
                notices.append(f"The date {value} in the link is outside the data ({fmt.day(EARLIEST)} – "
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
    latest = data.data_date() or date.today()
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
