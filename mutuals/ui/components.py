"""Reusable page pieces: status badges, charts with captions and exports, tables with CSV."""

from __future__ import annotations

import html
import re

import altair as alt
import pandas as pd
import streamlit as st

from mutuals import formatting as fmt
from mutuals.charts import export


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "export"


def badge_html(style: fmt.StatusStyle, size: str = "0.9rem") -> str:
    """A pill with colour, symbol and word (never colour alone)."""
    dark_text = style.colour in ("#E69F00", "#F0E442", "#56B4E9", "#999999")
    return (
        f'<span class="status-badge" style="background:{style.colour};color:{"#000" if dark_text else "#fff"};'
        f'padding:0.1rem 0.55rem;border-radius:0.8rem;font-size:{size};font-weight:600;white-space:nowrap">'
        f"{html.escape(style.label)}</span>"
    )


def status_badge(status: str) -> str:
    return badge_html(fmt.STATUS_STYLES.get(status, fmt.STATUS_STYLES["no_data"]))


def overall_badge(status: str, size: str = "0.9rem") -> str:
    return badge_html(fmt.OVERALL_STYLES.get(status, fmt.STATUS_STYLES["no_data"]), size)


def chart(chart_obj: alt.TopLevelMixin, caption: str, key: str, *, exports: bool = True) -> None:
    """Show a chart, its takeaway caption, and PNG/SVG downloads rendered on the server."""
    st.altair_chart(chart_obj, theme=None, width="stretch")
    st.caption(caption)
    if exports:
        left, right, _ = st.columns([1, 1, 6])
        left.download_button("PNG", data=lambda: export.to_png(chart_obj, scale=2.0), file_name=f"{slug(key)}.png",
                             mime="image/png", key=f"png-{key}", icon=":material/image:", on_click="ignore")
        right.download_button("SVG", data=lambda: export.to_svg(chart_obj), file_name=f"{slug(key)}.svg",
                              mime="image/svg+xml", key=f"svg-{key}", icon=":material/polyline:", on_click="ignore")


def selected_values(event, selection: str, field: str) -> list:
    """Values of ``field`` in a chart selection event (empty when nothing is selected)."""
    state = getattr(event, "selection", None) if event is not None else None
    if state is None and isinstance(event, dict):
        state = event.get("selection")
    points = (state or {}).get(selection) or []
    if isinstance(points, dict):
        points = [points]
    return [p[field] for p in points if isinstance(p, dict) and field in p]


def csv_download(frame: pd.DataFrame, label: str, key: str) -> None:
    """A CSV download of exactly the table shown."""
    st.download_button(f"Download {label} (CSV)", data=lambda: frame.to_csv(index=False).encode("utf-8"),
                       file_name=f"{slug(key)}.csv", mime="text/csv", key=f"csv-{key}",
                       icon=":material/download:", on_click="ignore")


def empty_state(message: str, hint: str = "Widen the filters in the sidebar or choose an earlier as-of date.") -> None:
    """A friendly message in place of an empty chart or table."""
    st.info(f"**{message}**  \n{hint}", icon=":material/filter_alt_off:")


def synthetic_badge() -> str:
    return ('<span class="synthetic-badge" style="background:#CC79A7;color:#fff;padding:0.15rem 0.6rem;'
            'border-radius:0.3rem;font-size:0.8rem;font-weight:700">SYNTHETIC SAMPLE DATA</span>')
