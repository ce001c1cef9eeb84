"""Guard for pages run without the shell.

Because the pages live in ``pages/``, a fresh server treats the app as a
classic multipage app until dashboard.py first calls ``st.navigation``. A deep
link (``/mutual?mutual=M0001``) as the very first request therefore runs the
page file on its own, without the sidebar filters. Each page calls
:func:`ensure_shell` first: in that case it runs dashboard.py instead, which
draws the shell and runs the requested page through ``st.navigation``.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard.py"


def ensure_shell() -> None:
    """Run the shell (and stop this run) when the page was started without it."""
    if "_filters" not in st.session_state:
        runpy.run_path(str(DASHBOARD), run_name="__main__")
        st.stop()
