"""Reusable page pieces: status badges, charts with captions and exports, tables with CSV."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Callable

import altair as alt
import pandas as pd
import streamlit as st

from mutuals import formatting as fmt
from mutuals.charts import export
from mutuals.charts.export import ExportContext
from mutuals.escape import cap, html_label, html_text, md_text
from mutuals.reports import csv_export
from mutuals.ui import data


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "export"


def badge_html(style: fmt.StatusStyle, size: str = "0.9rem") -> str:
    """A badge with colour, symbol and word (never colour alone): a round pill for an indicator or area status,
    a labelled tag with a dark rim for an overall status (its own shapes too: ● ◑ ◔ ○ ◇ ■), so the two never
    look alike."""
    if fmt.is_overall_status(style.key):
        return (
            f'<span class="status-badge overall-badge" style="background:{style.colour};color:{style.ink};'
            f'border:2px solid #1A1A1A;padding:0.05rem 0.5rem;border-radius:0.3rem;font-size:{size};'
            f'font-weight:700;white-space:nowrap">{html.escape(style.label)}</span>'
        )
    return (
        f'<span class="status-badge" style="background:{style.colour};color:{style.ink};'
        f'padding:0.1rem 0.55rem;border-radius:0.8rem;font-size:{size};font-weight:600;white-space:nowrap">'
        f"{html.escape(style.label)}</span>"
    )


def overall_badge(status: str, size: str = "0.9rem") -> str:
    """A status badge: the overall ladder as a labelled tag, an area or indicator status as a pill."""
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


def export_context(subject: str | None, as_of: date) -> ExportContext:
    """What the page's exports are about: ``subject`` (a mutual's or commissioner's name; None: "All
    commissioners"), the as-of date, and the data set's source and synthetic flag (``dataset_info``)."""
    info = data.dataset_info()
    return ExportContext(subject=subject or export.ALL_COMMISSIONERS, as_of=as_of, source=export.source_text(info),
                         synthetic=str(info.get("synthetic", "")).lower() == "true")


def chart(chart_obj: alt.TopLevelMixin | dict, caption: str, key: str, *, exports: bool = True,
          title: str | None = None, context: ExportContext | None = None) -> None:
    """Show a chart (Altair object or a cached Vega-Lite spec), its takeaway caption, and PNG/SVG
    downloads rendered on the server.

    The caption is also the chart's text alternative (``alt``: its accessible name). Each export carries a
    title block (``title``, else the chart's own title; then ``context``: whom, as of, source, synthetic)
    and a file name with the same facts; the chart on screen is unchanged. Streamlit's own "Download as
    PNG" is hidden (:data:`APP_CSS`): the app's export is the one with its context.
    """
    text_alternative = cap(f"{title}. {caption}" if title else caption, 2000)  # an attribute: plain text
    if isinstance(chart_obj, dict):
        st.vega_lite_chart(chart_obj, theme=None, width="stretch", alt=text_alternative)
    else:
        st.altair_chart(chart_obj, theme=None, width="stretch", alt=text_alternative)
    st.caption(md_text(caption))  # captions are plain text that may hold names
    if exports:
        context = context or _fallback_context()
        name = title or key.replace("-", " ")
        with st.container(horizontal=True, gap="small", key=f"exports-{key}"):
            st.download_button("PNG", data=lambda: export.to_png(chart_obj, scale=2.0, title=name, context=context),
                               file_name=context.file_name(key, "png"), mime="image/png", key=f"png-{key}",
                               icon=":material/image:", on_click="ignore", width="content",
                               help="The chart as a PNG image, with its title, subject, date and source")
            st.download_button("SVG", data=lambda: export.to_svg(chart_obj, title=name, context=context),
                               file_name=context.file_name(key, "svg"), mime="image/svg+xml", key=f"svg-{key}",
                               icon=":material/polyline:", on_click="ignore", width="content",
                               help="The chart as an SVG drawing, with its title, subject, date and source")


def csv_download(frame: pd.DataFrame | Callable[[], pd.DataFrame], label: str, key: str, *,
                 context: ExportContext | None = None) -> None:
    """A CSV download of a table (or of a table made only when the button is clicked), written by the app's
    one CSV writer (:mod:`mutuals.reports.csv_export`: formula-like text cells are guarded). Its first row is a
    comment with ``context`` (whom, as of, source, synthetic), and its file name carries the same facts."""
    make = frame if callable(frame) else (lambda: frame)
    context = context or _fallback_context()
    st.download_button(f"Download {label} (CSV)",
                       data=lambda: csv_export.to_csv_bytes(make(), comment=context.line()),
                       file_name=context.file_name(key, "csv"), mime="text/csv", key=f"csv-{key}",
                       icon=":material/download:", on_click="ignore")


def _fallback_context() -> ExportContext:
    """For a call site that passes no ``context=`` (tests/test_exports.py requires every page to pass one):
    the sidebar's commissioner and as-of date."""
    from mutuals.ui import filters

    current = filters.current()
    return export_context(current.commissioner_name, current.as_of)


# Page-wide accessibility and export rules, drawn once per run by the shell (dashboard.py):
# - Streamlit's own "Download as PNG" in a chart's toolbar is hidden: the app's PNG/SVG buttons export the
#   same chart with its title block (subject, as-of date, source, synthetic label). Table downloads are off
#   by ``client.disableDataExport`` in .streamlit/config.toml (every table has the app's CSV button).
# - ``.sm-sr`` is visually hidden text, read by screen readers.
APP_CSS = """<style>
[data-testid="stElementToolbar"] button[aria-label^="Download as PNG"] { display: none !important; }
.sm-sr { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
</style>"""

# Keyboard navigation of the status matrix (a roving tab stop: Tab enters the grid at one cell; the arrow keys,
# Home and End move; the cell moved to becomes the tab stop). One listener on the document, added once; it
# reads only the DOM (no data goes into this script).
MATRIX_KEYS_JS = """<script>
(() => {
  if (window.__mutualsMatrixKeys) return;
  window.__mutualsMatrixKeys = true;
  const moves = {ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0]};
  document.addEventListener("keydown", (event) => {
    const cell = event.target.closest && event.target.closest("[data-keygrid] tbody td, [data-keygrid] tbody th");
    if (!cell || !(event.key in moves || event.key === "Home" || event.key === "End")) return;
    const row = cell.parentElement, rows = [...row.parentElement.children];
    const r = rows.indexOf(row), c = [...row.children].indexOf(cell);
    let target;
    if (event.key === "Home") target = row.children[0];
    else if (event.key === "End") target = row.children[row.children.length - 1];
    else {
      const [dr, dc] = moves[event.key];
      const next = rows[r + dr];
      target = next && next.children[Math.min(c + dc, next.children.length - 1)];
      if (dc && !(c + dc >= 0 && c + dc < row.children.length)) target = null;
    }
    if (!target) return;
    event.preventDefault();
    const grid = row.closest("table");
    grid.querySelectorAll('tbody [tabindex="0"]').forEach((e) => e.setAttribute("tabindex", "-1"));
    target.setAttribute("tabindex", "0");
    (target.querySelector("a") || target).focus();  // a row's name: its link, so Enter opens the mutual
  });
})();
</script>"""


def app_assets() -> None:
    """The page-wide CSS and the matrix's keyboard script (see :data:`APP_CSS`, :data:`MATRIX_KEYS_JS`)."""
    st.html(APP_CSS)
    st.html(MATRIX_KEYS_JS, unsafe_allow_javascript=True)


def empty_state(message: str, hint: str = "Widen the filters in the sidebar or choose an earlier as-of date.") -> None:
    """A friendly message in place of an empty chart or table."""
    st.info(f"**{md_text(message)}**  \n{md_text(hint)}", icon=":material/filter_alt_off:")


SYNTHETIC_INK, SYNTHETIC_FILL, SYNTHETIC_EDGE = "#6E2A52", "#F7E4EF", "#CC79A7"  # 8.2:1 (was white on #CC79A7, 3.06:1)


def synthetic_badge() -> str:
    """The synthetic-data label: dark reddish purple on a light tint of Okabe-Ito's, with a rim of it."""
    return (f'<span class="synthetic-badge" style="background:{SYNTHETIC_FILL};color:{SYNTHETIC_INK};'
            f'border:2px solid {SYNTHETIC_EDGE};padding:0.1rem 0.6rem;border-radius:0.3rem;font-size:0.8rem;'
            'font-weight:700">SYNTHETIC SAMPLE DATA</span>')


def indicator_card(row: dict, as_of_note: str | None = None) -> str:
    """An indicator card (HTML): label, value, status as colour + symbol + word, change on a year, sector median.

    ``row`` is one row of :func:`mutuals.services.mutual.indicator_table`; ``as_of_note`` (plain text, escaped
    here) says which date the card is rated at when it is not the one asked for ('As of the ceased date …').
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
        f'<div class="card-footer" style="font-size:0.78rem;color:#444;margin-top:0.3rem">'
        + (f'<span class="card-as-of" style="font-weight:600">{html.escape(as_of_note)}</span><br>'
           if as_of_note else "")
        + f"{_evidence_line(row)}"
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


# Presentation mode's type grows with the screen: the root font size (which every rem in the app and in the
# cards and badges follows) and the charts' zoom step up together with the viewport's height. Slides are laid
# out for 1280×720; each step keeps the same proportions (720 × the factor ≤ the step's smallest height). A
# zoomed chart's box is narrowed by the same factor, so the chart (drawn to its box's width) fills the page.
PRESENT_STEPS = ((860, 1.18), (1000, 1.38), (1300, 1.75))


def presentation_css(scale: float = 1.35) -> str:
    """CSS for a projector: no sidebar, header, toolbar or collapsed control; larger type, every piece of text
    (cards, badges and card footers included) by the same factor, and the whole slide scaled with the screen."""
    steps = "\n".join(
        f"@media (min-height: {height}px) {{ html {{ font-size: {16 * factor:.1f}px !important; }} "
        f'[data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"]) '
        f"{{ zoom: {factor}; width: calc(100% / {factor}) !important; }} }}"
        for height, factor in PRESENT_STEPS)
    return f"""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stSidebarCollapseButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stExpandSidebarButton"],
[data-testid="stStatusWidget"], header {{ display: none !important; }}
html {{ font-size: 16px !important; }}
{steps}
[data-testid="stMainBlockContainer"], .block-container {{ max-width: 100% !important; padding: 0.6rem 2.5rem 0.4rem 2.5rem !important; }}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {{ gap: 0.55rem !important; }}
[data-testid="stElementContainer"]:has(script), [data-testid="stElementContainer"]:has(style) {{ display: none !important; }}
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stCaptionContainer"] {{ font-size: {scale:.2f}rem !important; }}
[data-testid="stMain"] h1 {{ font-size: {2.0 * scale:.2f}rem !important; padding: 0.1rem 0 0.2rem 0 !important; }}
[data-testid="stMain"] h2 {{ font-size: {1.6 * scale:.2f}rem !important; padding: 0.2rem 0 0.3rem 0 !important; }}
[data-testid="stMain"] h3 {{ font-size: {1.3 * scale:.2f}rem !important; }}
.indicator-card .indicator-value {{ font-size: {1.3 * scale:.2f}rem !important; }}
.indicator-card .indicator-label {{ font-size: {0.85 * scale:.2f}rem !important; }}
.indicator-card .card-footer, .indicator-card .stale-mark {{ font-size: {0.78 * scale:.2f}rem !important; }}
.indicator-card {{ min-height: 0 !important; }}
[data-testid="stMain"] .status-badge {{ font-size: {0.85 * scale:.2f}rem !important; }}
.area-status, .area-strip {{ font-size: {scale:.2f}rem !important; }}
.mutual-facts {{ grid-template-columns: repeat(4, 1fr) !important; margin: 0.2rem 0 0.3rem 0 !important; }}
.mutual-facts .fact-label {{ font-size: {0.75 * scale:.2f}rem !important; }}
.mutual-facts .fact-value {{ font-size: {0.9 * scale:.2f}rem !important; line-height: 1.35; }}
</style>"""
