"""Reusable page pieces: status badges, charts with captions and exports, tables with CSV."""

from __future__ import annotations

import html
import re
from typing import Callable

import altair as alt
import pandas as pd
import streamlit as st

from mutuals import formatting as fmt
from mutuals.charts import export
from mutuals.escape import html_label, html_text, md_text
from mutuals.reports import csv_export


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "export"


def badge_html(style: fmt.StatusStyle, size: str = "0.9rem") -> str:
    """A pill with colour, symbol and word (never colour alone)."""
    return (
        f'<span class="status-badge" style="background:{style.colour};color:{style.ink};'
        f'padding:0.1rem 0.55rem;border-radius:0.8rem;font-size:{size};font-weight:600;white-space:nowrap">'
        f"{html.escape(style.label)}</span>"
    )


def overall_badge(status: str, size: str = "0.9rem") -> str:
    return badge_html(fmt.status_style(status), size)


def area_status_line(area_short: str, status: str) -> str:
    """'Relationship area: ✖ Red' as a labelled badge (colour, symbol and word)."""
    return (f'<div class="area-status">{html.escape(area_short)} area: '
            f"{badge_html(fmt.status_style(status), '0.85rem')}</div>")


def area_strip(areas: list[tuple[str, str]]) -> str:
    """The four area statuses in a row: 'Leadership ✓ Green · Engagement ▲ Amber …'."""
    cells = " &nbsp;·&nbsp; ".join(f"{html.escape(name)} {badge_html(fmt.status_style(status), '0.8rem')}"
                                   for name, status in areas)
    return f'<div class="area-strip" style="margin:0.3rem 0">Areas: {cells}</div>'


def chart(chart_obj: alt.TopLevelMixin | dict, caption: str, key: str, *, exports: bool = True) -> None:
    """Show a chart (Altair object or a cached Vega-Lite spec), its takeaway caption, and PNG/SVG
    downloads rendered on the server."""
    if isinstance(chart_obj, dict):
        st.vega_lite_chart(chart_obj, theme=None, width="stretch")
    else:
        st.altair_chart(chart_obj, theme=None, width="stretch")
    st.caption(md_text(caption))  # captions are plain text that may hold names
    if exports:
        left, right, _ = st.columns([1, 1, 6])
        left.download_button("PNG", data=lambda: export.to_png(chart_obj, scale=2.0), file_name=f"{slug(key)}.png",
                             mime="image/png", key=f"png-{key}", icon=":material/image:", on_click="ignore")
        right.download_button("SVG", data=lambda: export.to_svg(chart_obj), file_name=f"{slug(key)}.svg",
                              mime="image/svg+xml", key=f"svg-{key}", icon=":material/polyline:", on_click="ignore")


def csv_download(frame: pd.DataFrame | Callable[[], pd.DataFrame], label: str, key: str) -> None:
    """A CSV download of a table (or of a table made only when the button is clicked), written by the app's
    one CSV writer (:mod:`mutuals.reports.csv_export`: formula-like text cells are guarded)."""
    make = frame if callable(frame) else (lambda: frame)
    st.download_button(f"Download {label} (CSV)", data=lambda: csv_export.to_csv_bytes(make()),
                       file_name=f"{slug(key)}.csv", mime="text/csv", key=f"csv-{key}",
                       icon=":material/download:", on_click="ignore")


def empty_state(message: str, hint: str = "Widen the filters in the sidebar or choose an earlier as-of date.") -> None:
    """A friendly message in place of an empty chart or table."""
    st.info(f"**{md_text(message)}**  \n{md_text(hint)}", icon=":material/filter_alt_off:")


def synthetic_badge() -> str:
    return ('<span class="synthetic-badge" style="background:#CC79A7;color:#fff;padding:0.15rem 0.6rem;'
            'border-radius:0.3rem;font-size:0.8rem;font-weight:700">SYNTHETIC SAMPLE DATA</span>')


def indicator_card(row: dict) -> str:
    """An indicator card (HTML): label, value, status as colour + symbol + word, change on a year, sector median.

    ``row`` is one row of :func:`mutuals.services.mutual.indicator_table`.
    """
    style = fmt.status_style(row.get("status") or "no_data")
    median = (f"Sector median {html.escape(str(row['sector_median_text']))} (n = {int(row['sector_n'])})"
              if row.get("sector_n") else "No sector median")
    return (
        f'<div class="indicator-card" style="border:1px solid #d9d9d9;border-left:6px solid {style.colour};'
        f'border-radius:0.5rem;padding:0.5rem 0.7rem;margin-bottom:0.6rem;min-height:8.2rem">'
        f'<div class="indicator-label" style="font-size:0.85rem;color:#333;font-weight:600">'
        f"{_method_link(row)}</div>"
        f'<div class="indicator-value" style="font-size:1.3rem;font-weight:700;line-height:1.3">'
        f"{html.escape(str(row['value_text']))}</div>"
        f"<div>{badge_html(style, '0.8rem')}{_stale_mark(row)}</div>"
        f'<div style="font-size:0.78rem;color:#444;margin-top:0.3rem">'
        f"{_evidence_line(row)}"
        f"Change on a year: {html.escape(str(row['change_text']))}<br>{median}</div></div>"
    )


def _method_link(row: dict) -> str:
    """The card's label, linked to its section of the methodology page (``methodology#<column>``)."""
    label = html.escape(str(row["label"]))
    if not row.get("indicator"):
        return label
    href = html.escape(f"methodology#{row['indicator']}", quote=True)
    return (f'<a class="method-link" href="{href}" target="_self" title="How this indicator is worked out" '
            f'style="color:inherit;text-decoration:underline dotted">{label}</a>')


def _stale_mark(row: dict) -> str:
    if not row.get("stale"):
        return ""
    return (' <span class="stale-mark" style="border:1px solid #555;color:#222;padding:0 0.4rem;'
            'border-radius:0.6rem;font-size:0.75rem;white-space:nowrap">⌛ Stale</span>')


def _evidence_line(row: dict) -> str:
    """'Evidence: latest plan year 31 Mar 2016 (over 24 months old: not rated)<br>'."""
    if not row.get("evidence_text"):
        return ""
    return f'<span class="evidence">{html.escape(str(row["evidence_text"]))}</span><br>'


def facts_html(facts: list[tuple[str, str]]) -> str:
    """A grid of small labelled facts (label above value)."""
    cells = "".join(
        f'<div><div class="fact-label" style="font-size:0.75rem;color:#555;text-transform:uppercase;'
        f'letter-spacing:0.03em">{html_text(label)}</div>'
        f'<div class="fact-value" style="font-size:1rem;font-weight:600">{html_label(value)}</div></div>'
        for label, value in facts
    )
    return ('<div class="mutual-facts" style="display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));'
            f'gap:0.6rem 1.2rem;margin:0.4rem 0 0.8rem 0">{cells}</div>')


def presentation_css(scale: float = 1.35) -> str:
    """CSS for a projector: no sidebar, header, toolbar or collapsed control; larger type."""
    return f"""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stSidebarCollapseButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stExpandSidebarButton"],
[data-testid="stStatusWidget"], header {{ display: none !important; }}
[data-testid="stMainBlockContainer"], .block-container {{ max-width: 100% !important; padding: 1.2rem 3rem 2rem 3rem !important; }}
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stCaptionContainer"] {{ font-size: {scale:.2f}rem !important; }}
[data-testid="stMain"] h1 {{ font-size: {2.6 * scale:.2f}rem !important; }}
[data-testid="stMain"] h2 {{ font-size: {1.9 * scale:.2f}rem !important; }}
[data-testid="stMain"] h3 {{ font-size: {1.5 * scale:.2f}rem !important; }}
.indicator-card .indicator-value {{ font-size: {1.3 * scale:.2f}rem !important; }}
.indicator-card .indicator-label {{ font-size: {0.85 * scale:.2f}rem !important; }}
.mutual-facts .fact-label {{ font-size: {0.75 * scale:.2f}rem !important; }}
.mutual-facts .fact-value {{ font-size: {scale:.2f}rem !important; }}
</style>"""
