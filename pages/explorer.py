"""Explorer: compare groups of mutuals, follow cohorts, survival after spin-out, with disclosure control."""

from __future__ import annotations

import streamlit as st

from mutuals.escape import md_text
from mutuals.ui import components, data, explorer, explorer_data, filters, shell

shell.ensure_shell()
f = filters.current()
st.title("Explorer", anchor=False)
st.caption(md_text(f.describe()) + " · for researchers: group statistics only, under disclosure control")

base = explorer_data.base(as_of=f.as_of, commissioner=f.commissioner, scope=f.scope)
selection, compare = explorer.controls(base, f)
bundle = explorer_data.bundle(as_of=f.as_of, commissioner=f.commissioner, scope=f.scope, selection=selection,
                              compare=compare)
context = explorer.export_context(f)
dataset = data.dataset_info()

facets, main = st.columns([1, 3], gap="medium")
with facets:
    explorer.facet_panel(bundle, selection)
with main:
    if bundle.selected.empty:
        components.empty_state("No mutuals match these filters.", "Widen the explorer filters in the sidebar.")
        st.stop()
    picks = explorer.pickers()
    tabs = st.tabs(list(explorer_data.VIEWS.values()), key="tab", bind="query-params")
    for (key, label), tab in zip(explorer_data.VIEWS.items(), tabs):
        if not tab.open:
            continue
        with tab:
            view = explorer_data.view(as_of=f.as_of, commissioner=f.commissioner, scope=f.scope,
                                      selection=selection, compare=compare, view=key, pick=picks.get(key, ""))
            explorer.render_view(key, label, view, context)
            about = explorer.about_rows(label, compare, f, selection, bundle, view.queries, dataset)
            name, table = next(iter(view.tables.items()))
            explorer.downloads(name.replace("_", " "), table, view.tables, about, context, key)
            explorer.show_sql(view.queries, key)

st.header("Mutuals in the selection", anchor=False)
rows = bundle.rows
if rows.notes:
    st.info(md_text(rows.notes[0]), icon=":material/visibility_off:")
else:
    st.caption(f"{len(rows.frame):,} mutuals: public attributes only (name, sector, region, legal form, ownership "
               "model, spin-out date, stage and staff count).")
    explorer.show_table(bundle.rows_text, "mutuals")
    about = explorer.about_rows("Mutuals", compare, f, selection, bundle, bundle.queries, dataset)
    explorer.downloads("mutuals", rows, {"mutuals": rows}, about, context, "mutuals")
st.caption(md_text(bundle.rule.describe()))
