"""Data: the dataset in force, import templates, importing your own data, and the version history (issue 12)."""

from __future__ import annotations

import streamlit as st

from mutuals.ui import data, data_page, filters, shell

shell.ensure_shell()
f = filters.current()
st.title("Data")
st.caption("Bring your own data: every upload is checked completely and previewed, and imported only when you "
           "confirm, as a new version that can be rolled back. The sidebar filters do not apply here.")
data_page.flash()

st.subheader("Dataset in force")
data_page.dataset_in_force(data.dataset_info(), f.data_date)

st.subheader("Templates")
st.caption("One sheet (or CSV file) per table of the data contract, with the columns, their types and allowed "
           "values. Fill one in and upload it below.")
data_page.template_downloads()

st.subheader("Import")
data_page.import_section(f.data_date)

st.subheader("Version history")
data_page.history()
