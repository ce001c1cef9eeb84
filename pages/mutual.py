"""Mutual: one mutual's sustainability story, factor by factor, with a presentation mode and a board pack.

URL parameters: ``mutual`` (the mutual id), ``present=1`` (presentation mode) and ``section``
(the slide shown in presentation mode: overview, leadership, engagement, relationship, finance).
"""

from __future__ import annotations

import html

import streamlit as st

from mutuals import formatting as fmt
from mutuals.charts import mutual as charts
from mutuals.escape import cap, md_label, md_text
from mutuals.rules import load_rules
from mutuals.services.mutual import FACTORS
from mutuals.ui import components, data, filters, shell

SECTIONS = ("overview", *FACTORS)
SECTION_TITLES = {"overview": "Overview", "leadership": "Leadership", "engagement": "Engagement",
                  "relationship": "Relationship", "finance": "Finance"}
PRESENT_SCALE = 1.4

shell.ensure_shell()
f = filters.current()
state, params = st.session_state, st.query_params
rules = load_rules()
listing = data.mutual_list()
names = dict(zip(listing["mutual_id"], listing["name"]))


# --------------------------------------------------------------------------- URL state


def _pick_changed() -> None:
    """Mirror the picker into the URL (?mutual=ID)."""
    if state.get("mutual_pick"):
        params["mutual"] = state["mutual_pick"]
    elif "mutual" in params:
        del params["mutual"]


def _section_index() -> int:
    return filters.section_index(SECTIONS)  # the validated URL layer: a bad value gets a notice, never a crash


def _go_to(index: int) -> None:
    state["mutual_section"] = index % len(SECTIONS)
    params["section"] = SECTIONS[state["mutual_section"]]


def _start_presenting() -> None:
    if state.get("present_toggle"):
        params["present"] = "1"
        _go_to(0)


def _stop_presenting() -> None:
    for name in ("present", "section"):
        if name in params:
            del params[name]
    state["mutual_section"] = 0


url_id = params.get("mutual")
unknown = None
if url_id and url_id != state.get("mutual_pick"):
    if url_id in names:
        state["mutual_pick"] = url_id  # a link (or the portfolio) chose this mutual
    else:
        unknown = url_id
presenting = params.get("present") == "1"
state["mutual_section"] = _section_index() if presenting else 0


# --------------------------------------------------------------------------- pieces


def header(view) -> None:
    p = view.profile
    st.title(md_label(view.name), anchor=False, help=None if cap(view.name) == view.name else md_text(view.name))
    stage = fmt.STAGE_WORDS.get(view.stage, view.stage)
    st.markdown(f"{components.overall_badge(view.overall_status, '1.05rem')} &nbsp; Stage: **{md_text(stage)}** "
                f"&nbsp;·&nbsp; as of {fmt.day(view.as_of)}", unsafe_allow_html=True)
    if view.indicators:
        st.html(components.area_strip([(rules.area(k).short, s) for k, s in view.area_statuses.items()]))
    spin = p.get("spin_out_date")
    years = view.years_since_spin_out
    spun = (f"{fmt.day(spin)} ({years:.1f} years ago)" if years >= 0 else f"planned for {fmt.day(spin)}")
    facts = [
        ("Sector", p.get("sector") or "–"), ("Legal form", p.get("legal_form") or "–"),
        ("Ownership model", (p.get("ownership_model") or "–").capitalize()), ("Spun out", spun),
        ("Staff", fmt.count(p.get("staff_count"))), ("Staff who are members", fmt.percent(p.get("member_share"))),
        ("Parent commissioner", p.get("parent_commissioner_name") or "–"), ("Region", p.get("region") or "–"),
    ]
    st.html(components.facts_html(facts))
    if view.reasons:
        st.markdown(f"**Why {fmt.overall_label(view.overall_status).split(' ', 1)[1].lower()}:**  \n"
                    + "\n".join(f"- {md_text(reason)}" for reason in view.reasons))
    elif not view.indicators:
        st.info(md_text(view.commentary["leadership"][0]), icon=":material/event_busy:")
    if view.synthetic:
        st.caption(":material/science: Synthetic sample data: the organisations and figures are invented "
                   "for demonstration and describe no real mutual.")


def cards(table, factor: str, columns: int = 6) -> None:
    rows = table[table["area_key"] == factor].to_dict("records")
    for start in range(0, len(rows), columns):
        for column, row in zip(st.columns(columns), rows[start:start + columns]):
            column.markdown(components.indicator_card(row), unsafe_allow_html=True)


def overview(view, table, tables, *, present: bool = False) -> None:
    header(view)
    st.subheader("Indicators")
    st.caption(f"Each against {fmt.day(view.previous_as_of)} and the median of trading mutuals in the same sector.")
    for factor in FACTORS:
        st.markdown(f"**{html.escape(rules.area(factor).label)}** &nbsp; "
                    + components.overall_badge(view.area_statuses[factor], "0.8rem"), unsafe_allow_html=True)
        cards(table, factor)
    if not present:
        components.csv_download(tables["indicators"], "indicator table", f"{view.mutual_id}-indicators")


def factor_section(view, table, tables, factor: str, specs, *, present: bool = False) -> None:
    st.header(rules.area(factor).label, anchor=factor)
    st.html(components.area_status_line(rules.area(factor).short, view.area_statuses[factor]))
    if present:
        cards(table, factor)
    st.markdown("\n".join(f"- {md_text(sentence)}" for sentence in view.commentary.get(factor, [])))
    for spec in specs:
        chart = charts.for_presentation(spec.chart, PRESENT_SCALE) if present else spec.chart
        components.chart(chart, spec.caption, f"{view.mutual_id}-{spec.key}", exports=not present)
    if present:
        return
    extra = {"engagement": [("waves", "survey waves")], "relationship": [("contracts", "contracts")],
             "finance": [("financials", "financial years")]}.get(factor, [])
    for name, label in extra:
        frame = tables[name]
        if frame.empty:
            continue
        with st.expander(f"Table: {label}"):
            st.dataframe(frame, hide_index=True, width="stretch")
            components.csv_download(frame, label, f"{view.mutual_id}-{name}")


def board_pack_button(view) -> None:
    """The one-click board pack: built on request from the page's bundle (its own cached charts and table)."""
    st.download_button("Board pack (PDF)",
                       data=lambda: data.board_pack(mutual_id=view.mutual_id, as_of=f.as_of, scope=f.scope),
                       file_name=f"{components.slug(view.name)}-board-pack.pdf", mime="application/pdf",
                       key="boardpack", icon=":material/picture_as_pdf:", on_click="ignore",
                       help="A printable PDF of this page for the board, built on request.")


# --------------------------------------------------------------------------- page

if not presenting:
    st.selectbox("Mutual", list(names), format_func=lambda mid: cap(names.get(mid, mid)), index=None,
                 key="mutual_pick", on_change=_pick_changed, placeholder="Search for a mutual by name…")
if unknown:
    st.warning(f"No mutual with id “{md_label(unknown)}” is in the data. Choose one from the list above.",
               icon=":material/search_off:")
chosen = state.get("mutual_pick")
if not chosen:
    if presenting:
        st.button("Exit presentation", on_click=_stop_presenting, icon=":material/close:")
    if not unknown:
        st.info("Choose a mutual to see whether its leadership, staff engagement, commissioner relationship "
                "and finances are holding.", icon=":material/domain:")
    st.stop()

try:
    bundle = data.mutual_bundle(mutual_id=chosen, as_of=f.as_of, scope=f.scope)
except LookupError:
    st.warning(f"“{md_label(names.get(chosen, chosen))}” is not visible to you.", icon=":material/lock:")
    st.stop()

view, table, specs, tables = bundle.view, bundle.table, bundle.charts, bundle.tables

if presenting:
    st.html(components.presentation_css(1.3))
    index = state["mutual_section"]
    section = SECTIONS[index]
    nav = st.columns([1.2, 1.2, 5, 1.6], vertical_alignment="center")
    nav[0].button("Previous", on_click=_go_to, args=(index - 1,), icon=":material/arrow_back:", key="present_prev",
                  width="stretch")
    nav[1].button("Next", on_click=_go_to, args=(index + 1,), icon=":material/arrow_forward:", key="present_next",
                  width="stretch")
    nav[2].markdown(f"**{md_label(view.name)}** · {SECTION_TITLES[section]} ({index + 1} of {len(SECTIONS)})")
    nav[3].button("Exit presentation", on_click=_stop_presenting, icon=":material/close:", key="present_exit",
                  width="stretch")
    if section == "overview":
        overview(view, table, tables, present=True)
    else:
        factor_section(view, table, tables, section, specs[section], present=True)
    st.stop()

tools = st.columns([2, 2, 6], vertical_alignment="center")
with tools[0]:
    st.toggle("Presentation mode", key="present_toggle", on_change=_start_presenting,
              help="Full screen for a projector: larger type, one section at a time.")
with tools[1]:
    board_pack_button(view)
overview(view, table, tables)
for factor in FACTORS:
    factor_section(view, table, tables, factor, specs[factor])
