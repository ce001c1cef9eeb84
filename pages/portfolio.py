"""Portfolio: which mutuals are at risk and why, which contracts end soon, where dependency is high."""

from __future__ import annotations

import streamlit as st

from mutuals import formatting as fmt
from mutuals.charts import portfolio as charts
from mutuals.ui import components, data, filters

f = filters.current()
st.title(f"Portfolio · {f.commissioner_name}" if f.commissioner_name else "Portfolio")
st.caption(f.describe())

view = data.portfolio(f.as_of, **f.query_kwargs())
if view.is_empty:
    components.empty_state("No mutuals match these filters.")
    st.stop()

# Headline figures, each against the same date a year earlier.
st.subheader("Headline figures")
st.caption(f"Change against {fmt.day(view.previous_as_of)}.")
main, statuses = view.headlines[:5], view.headlines[5:]
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
long = charts.matrix_frame(view.indicators)
event = st.altair_chart(charts.status_matrix(long), theme=None, on_select="rerun", key="matrix",
                        selection_mode="pick")
st.caption(charts.matrix_caption(view.indicators))
components.csv_download(view.indicators, "indicators", "portfolio-indicators")

names = dict(zip(long["mutual_id"], long["mutual"]))
clicked = components.selected_values(event, "pick", "mutual_id")
chosen = st.selectbox("Mutual detail", list(names), index=None, format_func=names.get, key="portfolio_pick",
                      placeholder="Click a row in the matrix, or search for a mutual…")
picked = clicked[0] if clicked else chosen
if picked:
    row = view.indicators.set_index("mutual_id").loc[picked]
    with st.container(border=True):
        st.markdown(f"#### {row['name']}  " + components.overall_badge(row["overall_status"]),
                    unsafe_allow_html=True)
        st.markdown("  \n".join(f"- {reason}" for reason in row["overall_reasons"].split("; ")))
        if any(path.endswith("mutual.py") for path in st.session_state.get("_page_files", [])):
            st.page_link("pages/mutual.py", label=f"Open {row['name']}", icon=":material/arrow_forward:",
                         query_params={"mutual": picked})

left, right = st.columns(2)
with left:
    st.subheader("Contracts ending in the next 36 months")
    expiring = charts.expiry_frame(view.contracts, view.indicators, f.as_of)
    if expiring.empty:
        components.empty_state("No active contract ends in the next 36 months.", "")
    else:
        components.chart(charts.expiry_timeline(expiring, f.as_of), charts.expiry_caption(expiring), "expiry",
                         exports=False)
        components.csv_download(expiring.drop(columns=["value_text", "dependency_text", "months_text"]),
                                "contracts", "portfolio-contracts")
with right:
    st.subheader("Dependency against engagement")
    scatter = charts.dependency_frame(view.indicators)
    if scatter.empty:
        components.empty_state("No mutual has both a parent income share and an engagement trend.", "")
    else:
        components.chart(charts.dependency_scatter(scatter), charts.dependency_caption(scatter), "dependency",
                         exports=False)

st.subheader("Early warnings")
if view.warnings.empty:
    st.success("No early warnings: no trading mutual has a red indicator.", icon=":material/check_circle:")
else:
    shown = view.warnings.head(25)
    for w in shown.to_dict("records"):
        st.markdown(f"{components.overall_badge(w['overall_status'], '0.75rem')} **{w['name']}**: {w['warning']}",
                    unsafe_allow_html=True)
    if len(view.warnings) > len(shown):
        st.caption(f"Showing the 25 most severe of {len(view.warnings)} warnings; download all below.")
    components.csv_download(view.warnings, "warnings", "portfolio-warnings")
