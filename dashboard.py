"""Entry point: ``streamlit run dashboard.py``.

The shell: page navigation, product header, synthetic-data badge and the global
filters (kept in the URL). Pages live in pages/ and stay thin.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mutuals.charts import theme
from mutuals.ui import components, data, filters

ROOT = Path(__file__).resolve().parent
PRODUCT = "Mutuals Sustainability"

# (file, title, icon, url path); only pages whose file exists are registered.
# The default page is served at "/"; it still gets an explicit url path (AppTest needs one).
DEFAULT_PAGE = "portfolio"
PAGES = [
    ("pages/portfolio.py", "Portfolio", ":material/dashboard:", "portfolio"),
    ("pages/mutual.py", "Mutual", ":material/domain:", "mutual"),
    ("pages/explorer.py", "Explorer", ":material/query_stats:", "explorer"),
    ("pages/data.py", "Data", ":material/database:", "data"),
    ("pages/methodology.py", "Methodology", ":material/menu_book:", "methodology"),
]


def main() -> None:
    st.set_page_config(page_title=PRODUCT, page_icon="🤝", layout="wide",
                       initial_sidebar_state="expanded")
    theme.enable()
    pages = [
        st.Page(path, title=title, icon=icon, url_path=url, default=(url == DEFAULT_PAGE))
        for path, title, icon, url in PAGES
        if (ROOT / path).is_file()
    ]
    page = st.navigation(pages)
    st.session_state["_page_files"] = [path for path, *_ in PAGES if (ROOT / path).is_file()]

    st.logo(str(ROOT / "assets" / "logo.svg"), size="large")
    st.sidebar.markdown(f"### {PRODUCT}")
    st.sidebar.caption("Sustainability indicators for public service mutuals")
    if data.is_synthetic():
        st.sidebar.html(components.synthetic_badge())
    st.session_state["_filters"] = filters.render_filters()
    st.sidebar.caption(f"Data up to {filters.current().data_date:%-d %b %Y}")
    page.run()


main()
