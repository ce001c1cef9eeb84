"""Methodology: every indicator, area, signal and rule, read from the config, and the backtest on the loaded data."""

from __future__ import annotations

import streamlit as st

from mutuals import formatting as fmt
from mutuals.ui import components, data, filters, shell
from mutuals.ui import methodology as content

shell.ensure_shell()
f = filters.current()
st.title("Methodology")
st.caption(f"How every indicator and status is worked out, from the rules in force; data up to {fmt.day(f.data_date)}. "
           "The sidebar filters do not apply here: the backtest runs on the whole loaded data set.")

bundle = data.methodology_bundle(data_day=f.data_date)
with st.expander("Contents", icon=":material/toc:"):
    st.markdown(content.contents_markdown(bundle.sections))
# The backtest runs on the whole loaded data set (every commissioner), up to its latest date.
chart, downloads = content.backtest_parts(bundle, context=components.export_context(None, f.data_date))
content.render(bundle.sections, charts={"backtest": chart}, after={"backtest": downloads})
