"""Portfolio: which mutuals are at risk and why, which contracts end soon, where dependency is high."""

from __future__ import annotations

import streamlit as st

from mutuals import formatting as fmt
from mutuals.escape import cap, md_label, md_text
from mutuals.ui import components, data, filters, shell

shell.ensure_shell()
f = filters.current()
st.title(f"Portfolio · {md_label(f.commissioner_name)}" if f.commissioner_name else "Portfolio", anchor=False)
st.caption(md_text(f.describe()))

bundle = data.portfolio_bundle(as_of=f.as_of, link_query=f.url_query(), **f.query_kwargs())
view, charts = bundle.view, bundle.charts
if charts is None:
    components.empty_state("No mutuals match these filters.")
    st.stop()

# Headline figures, each against the same date a year earlier.
st.subheader("Headline figures")
st.caption(f"Change against {fmt.day(view.previous_as_of)}.")
main = [h for h in view.headlines if not h.key.startswith("status_")]
statuses = [h for h in view.headlines if h.key.startswith("status_")]
for column, h in zip(st.columns(len(main)), main):
    value = fmt.money(h.value) if h.kind == "money" else fmt.count(h.value)
    delta = None if h.delta is None else (fmt.change(h.delta, "money") if h.kind == "money" else f"{h.delta:+,.0f}")
    inverse = h.key.startswith("ending")
    column.metric(h.label, value, delta, delta_color="inverse" if inverse else "normal", help=h.help, border=True)
for column, h in zip(st.columns(len(statuses)), statuses):
    worse = h.key in ("status_at_risk", "status_concern", "status_watch", "status_ceased")
    column.metric(h.label, fmt.count(h.value), f"{h.delta:+,.0f}", delta_color="inverse" if worse else "normal",
                  help=h.help, border=True)

# Status matrix
st.subheader("Status matrix")
has_mutual_page = any(path.endswith("mutual.py") for path in st.session_state.get("_page_files", []))
st.html(charts.matrix_html)
st.caption(md_text(charts.matrix_caption))
components.csv_download(lambda: view.with_reasons(), "indicators", "portfolio-indicators")

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
    if charts.expiry is None:
        components.empty_state(f"No active contract ends in {charts.expiry_window}.", "")
    else:
        components.chart(charts.expiry, charts.expiry_caption, "contract-expiry")
        components.csv_download(charts.expiry_table, "contracts", "portfolio-contracts")
with right:
    st.subheader("Dependency against engagement")
    if charts.dependency is None:
        components.empty_state("No mutual has both a parent income share and an engagement trend.", "")
    else:
        components.chart(charts.dependency, charts.dependency_caption, "dependency-engagement")

st.subheader("Early warnings")
if charts.warnings.empty:
    st.success("No early warnings: no trading mutual has a red indicator.", icon=":material/check_circle:")
else:
    st.markdown("  \n".join(f"{components.overall_badge(w['overall_status'], '0.75rem')} **{md_label(w['name'])}**: "
                            f"{md_text(w['warning'])}" for w in charts.warnings.to_dict("records")), unsafe_allow_html=True)
    if view.warning_count > len(charts.warnings):
        st.caption(f"Showing the {len(charts.warnings)} most severe of {view.warning_count:,} warnings; "
                   "download all below.")
    components.csv_download(view.all_warnings, "warnings", "portfolio-warnings")
