"""Streamlit rendering of the methodology content (``mutuals.reports.methodology``).

Every string is escaped: markdown specials for ``st.markdown``, HTML for the tables (``st.html``).
Level-2 sections are ``st.header``s and indicators ``st.subheader``s, each with ``anchor=`` its
section anchor (an indicator's column), so ``/methodology#plan_delivery`` jumps there.
"""

from __future__ import annotations

import html
from typing import Callable
from urllib.parse import quote

import streamlit as st

from mutuals import formatting as fmt
from mutuals.escape import md_text
from mutuals.reports.methodology import Section, Table


def md(text: str) -> str:
    """``text`` with every markdown (and Streamlit directive/LaTeX) special character escaped
    (:func:`mutuals.escape.md_text`, uncut: the methodology is config text)."""
    return md_text(text, None)


TABLE_CSS = """
.method-table{border-collapse:collapse;font-size:0.9rem;margin:0.2rem 0 1rem 0;width:100%}
.method-table th,.method-table td{border-bottom:1px solid #d9d9d9;padding:0.3rem 0.5rem;text-align:left;
vertical-align:top}
.method-table thead th{background:#EEF1F4;border-bottom:2px solid #555;font-weight:600}
.method-table .status-cell{font-weight:700;white-space:nowrap}
"""


def _status_attrs(status: str | None) -> str:
    if not status:
        return ""
    style = fmt.status_style(status)
    return f' class="status-cell" style="background:{style.colour};color:{style.ink}"'


def table_html(table: Table) -> str:
    """An accessible HTML table; status header cells and row heads are coloured (colour + symbol + word)."""
    esc = html.escape
    head = "".join(f'<th scope="col"{_status_attrs(table.header_status[i] if table.header_status else None)}>'
                   f"{esc(h)}</th>" for i, h in enumerate(table.header))
    body = []
    for r, row in enumerate(table.rows):
        status = table.row_status[r] if table.row_status else None
        cells = [f'<th scope="row"{_status_attrs(status)}>{esc(row[0])}</th>']
        cells += [f"<td>{esc(cell)}</td>" for cell in row[1:]]
        body.append(f"<tr>{''.join(cells)}</tr>")
    cols = ""
    if len(table.widths) == len(table.header):
        total = sum(table.widths)
        cols = "<colgroup>" + "".join(f'<col style="width:{100 * w / total:.1f}%">' for w in table.widths) + "</colgroup>"
    return (f"<style>{TABLE_CSS}</style><table class='method-table'>{cols}<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def contents_markdown(sections: list[Section]) -> str:
    """A list of links to every section, indicators nested under 'Indicators'."""
    lines = []
    for s in sections:
        indent = "    " if s.level > 2 else ""
        lines.append(f"{indent}- [{md(s.title)}](#{quote(s.anchor)})")
    return "\n".join(lines)


def render_section(section: Section, chart: Callable[[Section], None] | None = None,
                   after: Callable[[Section], None] | None = None) -> None:
    """One section: heading (with its anchor), paragraphs, labelled facts, then ``chart`` (which shows the
    takeaway as its caption), the takeaway otherwise, the tables and ``after`` (e.g. downloads)."""
    heading = st.header if section.level <= 2 else st.subheader
    heading(md(section.title), anchor=section.anchor)
    for paragraph in section.paragraphs:
        st.markdown(md(paragraph))
    if section.facts:
        st.markdown("  \n".join(f"**{md(label)}:** {md(text)}" for label, text in section.facts))
    if chart is not None:
        chart(section)
    elif section.takeaway:
        st.markdown(f"**{md(section.takeaway)}**")
    for table in section.tables:
        st.html(table_html(table))
    if after is not None:
        after(section)


# Streamlit scrolls a heading whose anchor is the URL's #hash into view once, when it mounts; the tables above
# it finish their layout later and push it down again. Until the reader scrolls or clicks, keep the target in
# view while the page settles (at most a few seconds). No data goes into this script.
KEEP_ANCHOR_JS = """<script>
(() => {
  const id = decodeURIComponent(window.location.hash.slice(1));
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  if (!id || !main) return;
  let done = false;
  const stop = () => { done = true; observer.disconnect(); };
  const observer = new ResizeObserver(() => { if (!done) document.getElementById(id)?.scrollIntoView(true); });
  observer.observe(main);
  document.getElementById(id)?.scrollIntoView(true);
  for (const kind of ["wheel", "touchstart", "keydown", "mousedown"]) {
    window.addEventListener(kind, stop, {once: true, passive: true});
  }
  setTimeout(stop, 5000);
})();
</script>"""


def keep_anchor_in_view() -> None:
    st.html(KEEP_ANCHOR_JS, unsafe_allow_javascript=True)


def render(sections: list[Section], charts: dict[str, Callable[[Section], None]] | None = None,
           after: dict[str, Callable[[Section], None]] | None = None) -> None:
    """Every section in order; ``charts`` / ``after`` add page-only parts to the sections with those anchors."""
    charts, after = charts or {}, after or {}
    for section in sections:
        render_section(section, charts.get(section.anchor), after.get(section.anchor))
    keep_anchor_in_view()


def backtest_parts(bundle, context=None) -> tuple[Callable[[Section], None], Callable[[Section], None]]:
    """The backtest section's chart (caption: the takeaway) and its CSV downloads, from the page's bundle;
    ``context`` (a :class:`mutuals.charts.export.ExportContext`) is what their exports say they are about."""
    from mutuals.services import backtest_tables as bt_text
    from mutuals.ui import components

    result = bundle.backtest

    def chart(section: Section) -> None:
        if bundle.event_rate is None:
            st.info(md(section.takeaway), icon=":material/info:")
            return
        components.chart(bundle.event_rate, section.takeaway, "backtest-event-rate", context=context,
                         title="Backtest: adverse-event rate by overall status")

    def downloads(section: Section) -> None:
        if result.is_empty:
            return
        components.csv_download(lambda: bt_text.backtest_tables(result), "backtest tables", "backtest-tables",
                                context=context)
        components.csv_download(lambda: result.rows, "backtest rows (one per mutual and date)", "backtest-rows",
                                context=context)

    return chart, downloads
