"""Mutual: one mutual's sustainability story, factor by factor, with a presentation mode and a board pack.

URL parameters: ``mutual`` (the mutual id), ``present=1`` (presentation mode) and ``section``
(the slide shown in presentation mode: ``overview``; each area's first slide, ``leadership``, ``engagement``,
``relationship`` or ``finance``, with its cards and commentary; then one slide per chart, ``leadership-2``,
``leadership-3``…; or a slide number). Each slide fits one 16:9 screen (1280×720 up to 1920×1080): its text
grows with the screen and the arrow keys and Page Up/Down step through the slides.

A ceased mutual viewed after its ceased date is shown as of that date (the service cuts the view there):
a banner says so, and its cards and charts end there.
"""

from __future__ import annotations

import html

import streamlit as st

from mutuals import formatting as fmt
from mutuals.charts import mutual as charts
from mutuals.escape import cap, md_label, md_text
from mutuals.rules import load_rules
from mutuals.services.mutual import FACTORS, ceased_banner
from mutuals.ui import components, data, filters, shell

SECTION_TITLES = {"overview": "Overview", "leadership": "Leadership", "engagement": "Engagement",
                  "relationship": "Relationship", "finance": "Finance"}
PRESENT_SCALE = 1.4       # chart type on a slide, for a 1280×720 screen (the CSS zooms it on taller ones)
PRESENT_CHART_HEIGHT = 285  # px: a chart's plot on a slide, so that it, its title, axes and caption fit 720 px
PRESENT_CONTRACTS = 9  # contracts in a slide's contract chart (rows of about 30 px in its plot)

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


def slides(specs) -> list[tuple[str, str, int | None]]:
    """Every slide as (name, area key or 'overview', chart index or None): the overview, then per area a slide
    of its cards and commentary (named after the area, as the old one-slide sections were) and one per chart."""
    out = [("overview", "overview", None)]
    for factor in FACTORS:
        out.append((factor, factor, None))
        out += [(f"{factor}-{i + 2}", factor, i) for i in range(len(specs.get(factor, [])))]
    return out


def _go_to(names: list[str], index: int) -> None:
    state["mutual_section"] = index % len(names)
    params["section"] = names[state["mutual_section"]]


def _start_presenting() -> None:
    if state.get("present_toggle"):
        params["present"] = "1"
        params["section"] = "overview"
        state["mutual_section"] = 0


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


# --------------------------------------------------------------------------- pieces


def header(view) -> None:
    p = view.profile
    st.title(md_label(view.name), anchor=False, help=None if cap(view.name) == view.name else md_text(view.name))
    if view.is_ceased:  # plain text made from a date
        st.warning(ceased_banner(view), icon=":material/event_busy:")
    stage = fmt.STAGE_WORDS.get(view.stage, view.stage)
    st.markdown(f"{components.overall_badge(view.overall_status, '1.05rem')} &nbsp; Stage: **{md_text(stage)}** "
                f"&nbsp;·&nbsp; as of {md_text(fmt.day(view.as_of))}", unsafe_allow_html=True)
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


def cards(view, table, factor: str, columns: int = 6) -> None:
    rows = table[table["area_key"] == factor].to_dict("records")
    note = f"As of the ceased date, {fmt.day(view.as_of)}" if view.is_ceased else None
    for start in range(0, len(rows), columns):
        for column, row in zip(st.columns(columns), rows[start:start + columns]):
            column.markdown(components.indicator_card(row, note), unsafe_allow_html=True)


def overview(view, table, tables) -> None:
    header(view)
    st.subheader("Indicators")
    rated = f"Rated as of the ceased date, {fmt.day(view.as_of)}; each" if view.is_ceased else "Each"
    st.caption(f"{rated} against {fmt.day(view.previous_as_of)} and the median of trading mutuals in the same "
               "sector.")
    for factor in FACTORS:
        st.markdown(f"**{html.escape(rules.area(factor).label)}** &nbsp; "
                    + components.overall_badge(view.area_statuses[factor], "0.8rem"), unsafe_allow_html=True)
        cards(view, table, factor)
    components.csv_download(tables["indicators"], "indicator table", f"{view.mutual_id}-indicators",
                            context=components.export_context(view.name, view.as_of))


def commentary(view, factor: str) -> None:
    st.markdown("\n".join(f"- {md_text(sentence)}" for sentence in view.commentary.get(factor, [])))


def factor_section(view, table, tables, factor: str, specs) -> None:
    st.header(rules.area(factor).label, anchor=factor)
    st.html(components.area_status_line(rules.area(factor).short, view.area_statuses[factor]))
    commentary(view, factor)
    for spec in specs:
        components.chart(spec.chart, spec.caption, f"{view.mutual_id}-{spec.key}", title=spec.title,
                         context=components.export_context(view.name, view.as_of))
    extra = {"engagement": [("waves", "survey waves")], "relationship": [("contracts", "contracts")],
             "finance": [("financials", "financial years")]}.get(factor, [])
    for name, label in extra:
        frame = tables[name]
        if frame.empty:
            continue
        with st.expander(f"Table: {label}"):
            st.dataframe(frame, hide_index=True, width="stretch")
            components.csv_download(frame, label, f"{view.mutual_id}-{name}",
                                    context=components.export_context(view.name, view.as_of))


def slide(view, table, specs, area: str, chart_index: int | None) -> None:
    """One presentation slide: the overview, an area's cards and commentary, or one of its charts."""
    if area == "overview":
        header(view)
        return
    st.header(rules.area(area).label, anchor=False)
    if chart_index is None:
        st.html(components.area_status_line(rules.area(area).short, view.area_statuses[area]))
        cards(view, table, area)
        commentary(view, area)
        return
    spec = specs[area][chart_index]
    chart, caption = spec.chart, spec.caption
    contracts = view.contracts
    if spec.key == "contracts" and len(contracts) > PRESENT_CONTRACTS:  # rows that stay readable on a slide
        latest = contracts.sort_values(["start_date", "contract_id"]).tail(PRESENT_CONTRACTS)
        chart = charts.contract_gantt(latest, view.as_of, view.profile.get("parent_commissioner_id"), view.ceased_on)
        caption += (f" The slide shows the {PRESENT_CONTRACTS} most recent of the {len(contracts)} contracts; "
                    "the page and the board pack show them all.")
    chart = charts.for_presentation(chart, PRESENT_SCALE, height=PRESENT_CHART_HEIGHT)
    components.chart(chart, caption, f"{view.mutual_id}-{spec.key}", exports=False, title=spec.title,
                     context=components.export_context(view.name, view.as_of))


# Left/Right arrows and Page Up/Down click the Previous/Next buttons (found by their keys' classes); keys typed
# into a field are left alone. A fixed script (no data in it), added to the page once per browser tab.
SLIDE_KEYS = """<script>
(function () {
  if (window.__mutualSlideKeys) { return; }
  window.__mutualSlideKeys = true;
  const steps = {ArrowRight: "next", PageDown: "next", ArrowLeft: "prev", PageUp: "prev"};
  document.addEventListener("keydown", function (event) {
    const step = steps[event.key];
    const target = event.target;
    if (!step || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    const button = document.querySelector(".st-key-present_" + step + " button");
    if (!button) { return; }
    event.preventDefault();
    button.click();
  });
})();
</script>"""


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
    deck = slides(specs)
    slide_names = [name for name, _, _ in deck]
    index = filters.section_index(slide_names)  # the validated URL layer: a bad value gets a notice, never a crash
    name, area, chart_index = deck[index]
    st.html(components.presentation_css(1.3))
    st.html(SLIDE_KEYS, unsafe_allow_javascript=True)
    in_area = [n for n, a, _ in deck if a == area]
    nav = st.columns([1.2, 1.2, 5, 1.6], vertical_alignment="center")
    nav[0].button("Previous", on_click=_go_to, args=(slide_names, index - 1), icon=":material/arrow_back:",
                  key="present_prev", width="stretch", help="Previous slide (← or Page Up)")
    nav[1].button("Next", on_click=_go_to, args=(slide_names, index + 1), icon=":material/arrow_forward:",
                  key="present_next", width="stretch", help="Next slide (→ or Page Down)")
    part = f" {in_area.index(name) + 1}/{len(in_area)}" if len(in_area) > 1 else ""
    nav[2].markdown(f"**{md_label(view.name)}** · {SECTION_TITLES[area]}{part} "
                    f"(slide {index + 1} of {len(deck)})")
    nav[3].button("Exit presentation", on_click=_stop_presenting, icon=":material/close:", key="present_exit",
                  width="stretch")
    slide(view, table, specs, area, chart_index)
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
