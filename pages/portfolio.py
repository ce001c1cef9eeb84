"""Portfolio: which mutuals are at risk and why, which contracts end soon, where dependency is high."""

from __future__ import annotations

from urllib.parse import quote

import streamlit as st

from mutuals import formatting as fmt
from mutuals.escape import cap, html_label, html_text, md_label, md_text
from mutuals.rules import load_rules
from mutuals.ui import components, data, filters, shell

shell.ensure_shell()
f = filters.current()
st.title(f"Portfolio · {md_label(f.commissioner_name)}" if f.commissioner_name else "Portfolio", anchor=False)
st.caption(md_text(f.describe()))

bundle = data.portfolio_bundle(as_of=f.as_of, link_query=f.url_query(), commissioner_name=f.commissioner_name or "",
                               **f.query_kwargs())
view, charts = bundle.view, bundle.charts
export_to = components.export_context(f.commissioner_name, f.as_of)  # what every export here is about
if charts is None:
    components.empty_state("No mutuals match these filters.")
    st.stop()

WORSE_WHEN_UP = {"status_at_risk", "status_concern", "status_watch"}


def metric(column, h) -> None:
    """One headline: value, change on a year, churn split out.

    The arrow and colour are set here, not guessed by Streamlit from the text (a typographic minus reads as a
    rise to it): no change has no arrow and is grey; a change made wholly by mutuals joining or leaving is grey.
    """
    value = fmt.money(h.value) if h.kind == "money" else fmt.count(h.value)
    change = 0.0 if h.delta is None else round(h.delta, 6)
    better = (change < 0) if (h.key in WORSE_WHEN_UP or "ending" in h.key) else (change > 0)
    neutral = change == 0 or round(h.delta - h.churn, 6) == 0
    column.metric(h.label, value, h.delta_text(), delta_color="gray" if neutral else ("green" if better else "red"),
                  delta_arrow="off" if change == 0 else ("up" if change > 0 else "down"),
                  help=h.change_help(), border=True)


def metric_row(*groups: str) -> None:
    shown = [h for h in view.headlines if h.group in groups]
    # each label in full: in the mixed row of counts a column is as wide as its label needs
    widths = [max(len(h.label), 11) for h in shown] if "status" in groups else [1] * len(shown)
    for column, h in zip(st.columns(widths), shown):
        metric(column, h)
    split = [f"{h.label} {h.delta_text()}, {h.churn_text()}" for h in shown if h.churn_text()]
    if split:  # in full under the row (a metric's own delta line is too narrow for it)
        st.caption(md_text(" · ".join(split)))


# Headline figures, each against the same date a year earlier.
st.subheader("Headline figures")
st.caption(f"Change against {fmt.day(view.previous_as_of)}. Every figure is of the "
           f"{len(view.selection):,} trading mutuals of the filters; ceased mutuals and those not yet spun out are "
           "listed under the status matrix. A change from mutuals joining or leaving the portfolio is shown apart.")
joined, left = view.moves()
if joined or left:
    named = [f"{len(names)} mutual{'s' if len(names) != 1 else ''} {verb} the portfolio ({', '.join(map(cap, names))})"
             for names, verb in ((joined, "joined"), (left, "left")) if names]
    st.caption(md_text(f"Since {fmt.day(view.previous_as_of)}, {' and '.join(named)}: the part of each change they "
                       "make is shown as “of which” under each row."))
metric_row("portfolio", "status")
if view.commissioner:
    st.markdown(f"**{md_label(f.commissioner_name or view.commissioner)}'s own contracts** "
                "(the commissioner is the buyer)")
    metric_row("own")
    st.markdown("**All contracts of these mutuals**, with every commissioner, and their total income")
else:
    st.markdown("**Contracts and income of these mutuals**")
metric_row("all")

# Status matrix
st.subheader("Status matrix")
has_mutual_page = any(path.endswith("mutual.py") for path in st.session_state.get("_page_files", []))
st.html(charts.matrix_html)
st.caption(md_text(charts.matrix_caption))
components.csv_download(lambda: view.with_reasons(), "indicators", "portfolio-indicators", context=export_to)


def mutual_href(mutual_id: str) -> str:
    query = f.url_query()
    return f"mutual?mutual={quote(str(mutual_id), safe='')}" + (f"&{query}" if query else "")


def apart_list(title: str, frame, date_column: str, verb: str) -> None:
    """A short list of mutuals kept out of the figures: name (linked to its page) and a date."""
    if frame.empty:
        return
    items = "".join(
        f'<li><a href="{html_text(mutual_href(r["mutual_id"]), None)}" target="_self">{html_label(r["name"])}</a>'
        f" · {html_text(verb)} {html_text(fmt.day(r[date_column]))}</li>" for r in frame.to_dict("records"))
    st.html(f'<div class="apart-list"><strong>{html_text(title)}</strong> ({len(frame)}, not in the figures, '
            f"matrix, scatter or warnings)<ul style='margin:0.2rem 0 0.6rem 0'>{items}</ul></div>")


apart_list("Ceased", charts.ceased, "ceased_date", "ceased")
apart_list("Not yet spun out", charts.not_yet_spun_out, "spin_out_date", "spin-out")

names = dict(zip(view.indicators["mutual_id"], view.indicators["name"]))
chosen = st.selectbox("Mutual detail", list(charts.matrix_names) + [m for m in names if m not in charts.matrix_names],
                      index=None, format_func=lambda m: cap(names.get(m, m)), key="portfolio_pick",
                      placeholder="Search for a mutual to see why it has its status…")
picked = chosen
if picked:
    row = view.with_reasons(view.indicators[view.indicators["mutual_id"] == picked]).iloc[0]
    with st.container(border=True):
        st.markdown(f"#### {md_label(row['name'])}  " + components.overall_badge(row["overall_status"]),
                    unsafe_allow_html=True)
        st.markdown("  \n".join(f"- {md_text(reason)}" for reason in row["overall_reasons"]))
        if has_mutual_page:
            st.page_link("pages/mutual.py", label=f"Open {md_label(row['name'])}", icon=":material/arrow_forward:",
                          query_params={"mutual": picked})

left, right = st.columns(2)
with left:
    st.subheader(f"Contracts ending in {charts.expiry_window}")
    expiry = charts.expiry
    if charts.expiry_all is not None:
        include = st.toggle("Include the mutuals' contracts with other commissioners", key="all_contracts",
                            bind="query-params",
                            help="Off: only the commissioner's own contracts (it is the buyer). On: every active "
                                 "contract of the portfolio's trading mutuals, with any commissioner.")
        expiry = charts.expiry_all if include else charts.expiry
    if expiry.spec is None:
        components.empty_state(expiry.caption, "")
    else:
        components.chart(expiry.spec, expiry.caption, "contract-expiry", context=export_to,
                         title=f"Contracts ending in {charts.expiry_window}")
    components.csv_download(expiry.table, "contracts", "portfolio-contracts", context=export_to)
with right:
    st.subheader("Dependency against engagement")
    if charts.dependency is None:
        components.empty_state(charts.dependency_caption, "")
    else:
        components.chart(charts.dependency, charts.dependency_caption, "dependency-engagement", context=export_to,
                         title="Dependency against engagement")

st.subheader("Early warnings")
areas = {a.key: a.short for a in load_rules().areas}
area = st.pills("Area", list(areas), format_func=lambda key: areas[key], key="warning_area",
                help="Show only the mutuals with a warning in this area, and their reasons about it.")
blocks, total = charts.warning_blocks[area]
if charts.warnings.empty:
    st.success("No early warnings: no trading mutual has a red indicator.", icon=":material/check_circle:")
elif blocks.empty:
    st.info(f"No trading mutual has a warning in {md_text(areas[area].lower())}.", icon=":material/check_circle:")
else:
    where = f" in {areas[area].lower()}" if area else ""
    st.caption(f"One block per mutual, most severe first: its overall status and deciding reasons{where}. "
               f"Showing {len(blocks)} of the {total:,} trading mutuals with a warning{where}"
               f" ({len(charts.warnings):,} warnings in all: download them below).")
    for b in blocks.to_dict("records"):
        with st.container(border=True):
            more = f" · +{len(b['further'])} more" if b["further"] else ""
            st.markdown(f"{components.overall_badge(b['overall_status'], '0.8rem')} **{md_label(b['name'])}**{more}",
                        unsafe_allow_html=True)
            st.markdown("  \n".join(f"- {md_text(reason)}" for reason in b["shown"]))
            if b["further"]:
                with st.expander(f"+{len(b['further'])} more"):
                    st.markdown("  \n".join(f"- {md_text(item)}" for item in b["further"]))
components.csv_download(charts.warnings, "warnings", "portfolio-warnings", context=export_to)
