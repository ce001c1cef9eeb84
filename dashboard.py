"""Entry point: ``streamlit run dashboard.py``.

The shell: page navigation, product header, synthetic-data badge and the global
filters (kept in the URL). Pages live in pages/ and stay thin.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mutuals.charts import theme
from mutuals.escape import md_text
from mutuals.infra import versions
from mutuals.infra.build import BuildError
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


def data_loaded() -> bool:
    """Show why the data did not load, or the small banner when the last good version is served."""
    try:
        problem = data.build_problem()
    except BuildError as exc:
        st.error(f"**The data could not be loaded.** {md_text(versions.public_message(exc))}"
                 "  \nFix the file and reload the page.", icon=":material/error:")
        return False
    if problem:
        st.warning(f"**The data files changed but could not be loaded**, so the last good version is shown. "
                   f"{md_text(problem)}", icon=":material/warning:")
    return True


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
    if not data_loaded():
        return
    st.sidebar.markdown(f"### {PRODUCT}")
    st.sidebar.caption("Sustainability indicators for public service mutuals")
    if data.is_synthetic():
        st.sidebar.html(components.synthetic_badge())
    st.session_state["_filters"] = filters.render_filters()
    st.sidebar.caption(md_text(f"{data.dataset_label()} · data up to {filters.current().data_date:%-d %b %Y}"))
    components.app_assets()  # page-wide accessibility CSS and the status matrix's keyboard navigation
    page.run()


main()
