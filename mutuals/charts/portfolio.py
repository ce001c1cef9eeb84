"""Portfolio charts and their takeaway captions (pure functions of DataFrames)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import altair as alt
import pandas as pd

from mutuals import formatting as fmt
from mutuals.escape import cap, cap_columns, html_label, html_text
from mutuals.rules import Rules, load_rules

MAX_MATRIX_ROWS = 150


def _status_scale(order: list[str]) -> alt.Scale:
    styles = [fmt.status_style(s) for s in order]
    return alt.Scale(domain=[s.word for s in styles], range=[s.colour for s in styles])


def matrix_rows(indicators: pd.DataFrame, limit: int = MAX_MATRIX_ROWS) -> pd.DataFrame:
    """The mutuals the matrix shows: the ``limit`` most severe (status, then reds) of those trading (ceased and
    not-yet-spun-out mutuals are listed apart), in status-then-name order."""
    indicators = indicators[indicators["stage"] == "trading"]
    rank = indicators["overall_status"].map(load_rules().overall_rank)
    severe = indicators.assign(_rank=rank, _reds=-indicators["reds"]).sort_values(["_rank", "_reds", "name"],
                                                                                  kind="stable").head(limit)
    return severe.sort_values(["_rank", "name"], kind="stable").drop(columns=["_rank", "_reds"])


def status_matrix_html(rows: pd.DataFrame, link_query: str = "", rules: Rules | None = None) -> str:
    """The status matrix as an accessible HTML table (fast to draw, readable by screen readers, keyboard-navigable).

    One row per mutual (``rows`` in display order, with ``overall_reasons``): the overall status as a labelled
    pill in its own column, then one column per area, then one column per indicator grouped under its area;
    the three groups are set apart by a gap. Indicator and area cells show the status as colour plus symbol;
    each cell's value and status word are in its ``title`` (hover) and in visually hidden text (screen
    readers). Cells take focus (roving ``tabindex``: Tab enters the grid, the arrow keys move, see
    ``mutuals.ui.components``). A mutual's name links to its page (``mutual?mutual=ID`` plus ``link_query``).
    """
    rules = rules or load_rules()

    def esc(value) -> str:  # config text and links: escaped, never cut (data values: html_label / _cell)
        return html_text(value, None)

    groups = [(area, rules.for_area(area.key)) for area in rules.areas]
    head1 = ['<th rowspan="2" scope="col" class="sm-name">Mutual</th>',
             '<th rowspan="2" scope="col" class="sm-overall-head">Overall status</th>',
             f'<th colspan="{len(rules.areas)}" scope="colgroup" class="sm-group sm-start">Areas</th>']
    head1 += [f'<th colspan="{len(inds)}" scope="colgroup" class="sm-group{" sm-start" if n == 0 else ""}">'
              f"{esc(a.short)}</th>" for n, (a, inds) in enumerate((g for g in groups if g[1]))]
    head2 = [f'<th scope="col" class="sm-vert sm-area{" sm-start" if n == 0 else ""}"><span>{esc(a.short)}</span></th>'
             for n, a in enumerate(rules.areas)]
    method = f"methodology?{link_query}" if link_query else "methodology"  # keep the filters for the way back
    head2 += [f'<th scope="col" class="sm-vert{" sm-start" if n == 0 else ""}"><span><a href="'
              f'{esc(f"{method}#{i.column}")}" target="_self" title="How {esc(i.label.lower())} is worked out">'
              f"{esc(i.label)}</a></span></th>"
              for n, i in enumerate(i for _, inds in groups for i in inds)]
    body = []
    suffix = f"&{link_query}" if link_query else ""
    for r in rows.to_dict("records"):
        overall = fmt.status_style(r["overall_status"])
        cells = [f'<th scope="row" class="sm-name" tabindex="-1"><a href="mutual?mutual={esc(quote(str(r["mutual_id"]), safe=""))}'
                 f'{esc(suffix)}" target="_self">{html_label(r["name"])}</a></th>',
                 _overall_cell(overall, fmt.reasons_text(r.get("overall_reasons")), first=not body)]
        for n, area in enumerate(rules.areas):
            style = fmt.status_style(r[area.status_column])
            cells.append(_cell(style, f"{area.label} area: {style.word}", css="sm-area" + (" sm-start" if n == 0 else "")))
        for n, ind in enumerate(i for _, inds in groups for i in inds):
            style = fmt.status_style(r[ind.status_column])
            cells.append(_cell(style, _hover(r, ind, style.word), css="sm-start" if n == 0 else ""))
        body.append(f"<tr>{''.join(cells)}</tr>")
    caption = ("Status matrix: each mutual's overall status, its four area statuses and its indicator statuses. "
               "In the table, the arrow keys move from cell to cell; Home and End go to the row's ends.")
    return (f"<style>{MATRIX_CSS}</style><div class='sm-wrap'><table class='status-matrix' data-keygrid='1' "
            f"aria-describedby='sm-legend'><caption class='sm-sr'>{esc(caption)}</caption>"
            f"<thead><tr>{''.join(head1)}</tr><tr>{''.join(head2)}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>{matrix_legend_html(rules)}")


def matrix_legend_html(rules: Rules | None = None) -> str:
    """The one legend of the matrix (and of every status on the page): the overall ladder as labelled pills,
    then the area and indicator statuses as cells, each with its symbol and word."""
    rules = rules or load_rules()
    esc = lambda value: html_text(value, None)  # noqa: E731  (config text, uncut)
    overall = " ".join(_pill(st) for st in rules.overall_statuses.values())
    cells = " ".join(f'<span class="sm-key"><span class="sm-swatch" style="background:{st.colour};color:{st.ink}" '
                     f'aria-hidden="true">{esc(st.symbol)}</span> {esc(st.word)}</span>'
                     for st in rules.statuses.values())
    return (f"<div class='sm-legend' id='sm-legend'>"
            f"<div><span class='sm-legend-title'>Overall status</span> (a labelled pill, its own shapes: the "
            f"fuller the circle, the higher the risk): {overall}</div>"
            f"<div><span class='sm-legend-title'>Area and indicator status</span> (a cell with a symbol; areas are "
            f"outlined): {cells}</div></div>")


def _pill(style: fmt.StatusStyle) -> str:
    """An overall status as a labelled pill: symbol and word on its colour, with a dark rim."""
    return (f'<span class="sm-pill" style="background:{style.colour};color:{style.ink}">'
            f'<span aria-hidden="true">{html_text(style.symbol)}</span> {html_text(style.word)}</span>')


MATRIX_CSS = """
.sm-wrap{overflow-x:auto;max-height:70vh;overflow-y:auto}
.status-matrix{border-collapse:separate;border-spacing:2px;font-size:0.8rem}
.status-matrix th{font-weight:600;background:#fff;position:sticky;top:0}
.status-matrix th.sm-name{text-align:right;white-space:nowrap;padding-right:6px;position:sticky;left:0;z-index:1}
.status-matrix tbody th.sm-name{font-weight:400}
.status-matrix th.sm-group{text-align:left;border-bottom:2px solid #555;padding:0 2px}
.status-matrix th.sm-overall-head{vertical-align:bottom;text-align:left;padding:0 4px 2px 4px}
.status-matrix th.sm-vert{vertical-align:bottom;height:11rem;padding:0}
.status-matrix th.sm-vert span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
.status-matrix th.sm-vert a{color:inherit;text-decoration:underline dotted}
.status-matrix td{width:1.7rem;height:1.35rem;text-align:center;font-weight:700;border-radius:3px;cursor:default}
.status-matrix td.sm-overall{width:auto;background:#fff;text-align:left;padding:0 2px;white-space:nowrap}
.status-matrix td.sm-area,.status-matrix th.sm-area{outline:2px solid #333;outline-offset:-1px}
.status-matrix .sm-start{border-left:0.9rem solid transparent;background-clip:padding-box}
.status-matrix th.sm-start.sm-group{border-left:0.9rem solid #fff}
.status-matrix td:focus,.status-matrix th:focus{outline:3px solid #0072B2;outline-offset:1px}
.sm-pill{display:inline-block;padding:0.05rem 0.5rem;border:2px solid #1A1A1A;border-radius:0.3rem;
font-weight:700;white-space:nowrap;line-height:1.25}
.sm-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);
white-space:nowrap;border:0}
.sm-legend{font-size:0.8rem;line-height:2;margin:0.3rem 0}
.sm-legend-title{font-weight:700}
.sm-key{margin-right:0.5rem;white-space:nowrap}
.sm-swatch{display:inline-block;width:1.4rem;text-align:center;border-radius:3px;font-weight:700}
"""


def _hover(row: dict, ind, word: str) -> str:
    """'Reserves cover: 2.1 months (Amber), latest financial year 31 Mar 2026' (stale evidence says so)."""
    text = f"{ind.label}: {fmt.format_value(row[ind.column], ind.format)} ({word})"
    if ind.evidence_column and not fmt.is_missing(row.get(ind.evidence_column)):
        text += f", {ind.evidence} {fmt.day(row[ind.evidence_column])}"
        if row.get(ind.stale_column):
            text += f": stale, over {ind.max_evidence_months} months old"
    return text


def _cell(style: fmt.StatusStyle, text: str, css: str = "") -> str:
    """An area or indicator cell: colour plus symbol on screen, the value and status word on hover (``title``)
    and as visually hidden text for screen readers; focusable by the matrix's arrow keys."""
    label = html_text(text)  # bounded: a cell's hover text never carries a huge value
    klass = f' class="{css}"' if css else ""
    return (f'<td{klass} tabindex="-1" style="background:{style.colour};color:{style.ink}" title="{label}">'
            f'<span aria-hidden="true">{html_text(style.symbol)}</span><span class="sm-sr">{label}</span></td>')


def _overall_cell(style: fmt.StatusStyle, reasons: str, first: bool = False) -> str:
    """The overall status as a labelled pill; its reasons on hover and for screen readers. The first row's
    overall cell is the grid's one Tab stop (``tabindex="0"``)."""
    label = html_text(f"{style.word}: {reasons}" if reasons else style.word)
    return (f'<td class="sm-overall" tabindex="{0 if first else -1}" title="{label}">{_pill(style)}'
            f'<span class="sm-sr">{html_text(reasons) if reasons else ""}</span></td>')


def matrix_caption(indicators: pd.DataFrame, shown: int | None = None) -> str:
    """'16 trading mutuals: 3 at risk, …' (ceased and not-yet-spun-out mutuals are not counted)."""
    indicators = indicators[indicators["stage"] == "trading"]
    counts = indicators["overall_status"].value_counts()
    n = len(indicators)
    parts = [f"{int(counts.get(s, 0))} {fmt.status_style(s).word.lower()}" for s in load_rules().overall_order
             if counts.get(s)]
    rules = load_rules()
    reds = indicators[[i.status_column for i in rules.indicators]].eq("red").sum()
    top = reds.sort_values(ascending=False)
    worst = ""
    if len(top) and top.iloc[0] > 0:
        label = rules.by_column(top.index[0].removesuffix("_status")).label.lower()
        worst = f" The most common red is {label} ({int(top.iloc[0])} of {n})."
    shown_text = (f" Showing the {shown} most severe; download the table for all {n}."
                  if shown is not None and shown < n else "")
    summary = f"{n} trading mutual{'' if n == 1 else 's'}" + (f": {', '.join(parts)}" if parts else "")
    return f"{summary}.{worst}{shown_text} Hover a cell for its value; click a name to open that mutual."


MAX_TIMELINE_MUTUALS = 30


def expiry_frame(contracts: pd.DataFrame, indicators: pd.DataFrame, as_of: date,
                 months: int | None = None) -> pd.DataFrame:
    """Active contracts ending within ``months`` (default: the config's timeline) of ``as_of``, with the
    mutual's parent dependency."""
    months = months if months is not None else load_rules().settings.expiry_timeline_months
    horizon = pd.Timestamp(as_of) + pd.DateOffset(months=months)
    frame = contracts[pd.to_datetime(contracts["end_date"]) <= horizon].copy()
    frame = frame.drop(columns=[c for c in ("sector", "region", "service_area", "outcome", "is_spin_out_contract",
                                            "start_date", "max_end_date") if c in frame])
    dependency = indicators.set_index("mutual_id")["parent_income_share"]
    frame["parent_income_share"] = frame["mutual_id"].map(dependency)
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    frame["value_text"] = frame["annual_value"].map(fmt.money)
    frame["dependency_text"] = frame["parent_income_share"].map(fmt.percent)
    frame["months_text"] = frame["months_to_end"].map(lambda m: f"{m:.0f} months")
    return frame


def timeline_rows(frame: pd.DataFrame, limit: int = MAX_TIMELINE_MUTUALS) -> pd.DataFrame:
    """The contracts of the ``limit`` mutuals with the most annual value ending in the window."""
    value = frame.groupby("mutual_id")["annual_value"].sum().sort_values(ascending=False)
    return frame[frame["mutual_id"].isin(value.head(limit).index)]


def expiry_timeline(frame: pd.DataFrame, as_of: date, months: int | None = None) -> alt.Chart:
    """Contracts by end date, sized by annual value, coloured by the mutual's parent dependency."""
    months = months if months is not None else load_rules().settings.expiry_timeline_months
    d = pd.Timestamp(as_of)
    horizon = load_rules().by_column("months_to_main_contract_end")  # its amber and green lines
    steps = sorted({int(horizon.amber), int(horizon.green)})
    marks = pd.DataFrame({"date": [d + pd.DateOffset(months=m) for m in steps],
                          "label": [f"{m} months" for m in steps]})
    frame = cap_columns(frame).assign(first_end=frame.groupby("mutual_id")["end_date"].transform("min"),
                                      mutual_label=frame["mutual_name"].map(cap))
    order = alt.EncodingSortField(field="first_end", op="min", order="ascending")
    points = alt.Chart(frame).mark_circle(opacity=0.85, stroke="black", strokeWidth=0.5).encode(
        x=alt.X("end_date:T", title="Contract end date",
                scale=alt.Scale(domain=[d.isoformat(), (d + pd.DateOffset(months=months)).isoformat()]),
                axis=alt.Axis(format="%b %Y", tickCount=6)),
        y=alt.Y("mutual_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        size=alt.Size("annual_value:Q", title="Annual value", scale=alt.Scale(range=[40, 900]),
                      legend=alt.Legend(orient="bottom", direction="vertical", titleOrient="top",
                                        labelExpr="'£' + format(datum.value, '.2~s')", symbolFillColor="#999999",
                                        tickCount=3, offset=12, padding=8, labelOverlap=False)),
        color=alt.Color("parent_income_share:Q", title="Parent income share",
                        scale=alt.Scale(scheme="viridis", domain=[0, 1], reverse=True),
                        legend=alt.Legend(format="%", orient="bottom", direction="horizontal", titleOrient="top",
                                          gradientLength=140, offset=12, padding=8)),
        tooltip=[alt.Tooltip("mutual_name:N", title="Mutual"), alt.Tooltip("title:N", title="Contract"),
                 alt.Tooltip("commissioner_name:N", title="Commissioner"),
                 alt.Tooltip("end_date:T", title="Ends", format="%d %b %Y"),
                 alt.Tooltip("months_text:N", title="Time left"),
                 alt.Tooltip("value_text:N", title="Annual value"),
                 alt.Tooltip("dependency_text:N", title="Parent income share")],
    )
    rules = alt.Chart(marks).mark_rule(strokeDash=[4, 4], color="#555").encode(x="date:T")
    labels = alt.Chart(marks).mark_text(align="left", dx=4, dy=-6, color="#555", baseline="bottom").encode(
        x="date:T", y=alt.value(0), text="label:N")
    # Both legends sit at the foot, titles on top and narrow enough for a half-width column (the size legend's
    # circles stack), with room below so the largest circle is never clipped.
    return alt.layer(points, rules, labels).properties(height=alt.Step(24), padding={"bottom": 24, "left": 5,
                                                                                     "right": 5, "top": 5})


def expiry_window_text(months: int | None = None) -> str:
    """'the next 36 months' (the config's expiry timeline)."""
    return f"the next {months if months is not None else load_rules().settings.expiry_timeline_months} months"


def expiry_caption(frame: pd.DataFrame, shown_mutuals: int | None = None, months: int | None = None,
                   whose: str = "") -> str:
    """The timeline's takeaway; ``whose`` names the contracts shown ('Kelvstow County Council's own contracts')."""
    months = months if months is not None else load_rules().settings.expiry_timeline_months
    lead = f"{whose}: " if whose else ""
    if frame.empty:
        return f"{lead}no active contract ends in {expiry_window_text(months)}." if whose else \
            f"No active contract ends in {expiry_window_text(months)}."
    red_line = int(load_rules().by_column("months_to_main_contract_end").amber)
    soon = frame[frame["months_to_end"] <= red_line]
    largest = frame.sort_values("annual_value", ascending=False).iloc[0]
    mutuals = frame["mutual_id"].nunique()
    shown = (f" Showing the {shown_mutuals} of {mutuals} mutuals with the most value ending."
             if shown_mutuals is not None and shown_mutuals < mutuals else "")
    return (f"{lead}{fmt.money(soon['annual_value'].sum())} a year across {len(soon)} contract(s) ends within "
            f"{red_line} months, "
            f"{fmt.money(frame['annual_value'].sum())} within {months}. Largest: {cap(largest['mutual_name'])}'s "
            f"{fmt.money(largest['annual_value'])} contract with {cap(largest['commissioner_name'])}, ending "
            f"{fmt.month_count(largest['months_to_end'], 'in')}.{shown}")


def dependency_frame(indicators: pd.DataFrame) -> pd.DataFrame:
    """The trading mutuals with both a parent income share and an engagement trend, with display text."""
    columns = ["mutual_id", "name", "overall_status", "parent_income_share", "engagement_change_from_peak"]
    frame = indicators.loc[indicators["stage"] == "trading", columns].dropna(subset=["parent_income_share", "engagement_change_from_peak"]).copy()
    # The word only: the scatter's own marker (colour and shape, in its legend) stands for the status, so a
    # ladder symbol (● ◑ …) beside a different marker would mislead.
    frame["status_label"] = frame["overall_status"].map(lambda s: fmt.status_style(s).word)
    frame["dependency_text"] = frame["parent_income_share"].map(fmt.percent)
    frame["change_text"] = frame["engagement_change_from_peak"].map(fmt.score_change)
    return frame


def dependency_scatter(frame: pd.DataFrame, rules: Rules | None = None) -> alt.Chart:
    """Parent income share against engagement change from peak, with the risky quadrant marked."""
    rules = rules or load_rules()
    x_cut = rules.by_column("parent_income_share").amber
    y_cut = rules.by_column("engagement_change_from_peak").amber
    y_min = min(-2.0, float(frame["engagement_change_from_peak"].min()) - 0.1) if len(frame) else -2.0
    quadrant = pd.DataFrame([{"x": x_cut, "x2": 1.0, "y": y_min, "y2": y_cut,
                              "label": "Risky: high dependency, falling engagement"}])
    shade = alt.Chart(quadrant).mark_rect(color="#D55E00", opacity=0.10).encode(
        x=alt.X("x:Q"), x2="x2:Q", y=alt.Y("y:Q"), y2="y2:Q")
    shade_label = alt.Chart(quadrant).mark_text(align="right", baseline="bottom", dx=-4, dy=-4, color="#A04000",
                                                fontWeight="bold").encode(x="x2:Q", y="y:Q", text="label:N")
    guides = alt.Chart(pd.DataFrame({"x": [x_cut]})).mark_rule(strokeDash=[4, 4], color="#555").encode(x="x:Q")
    hguide = alt.Chart(pd.DataFrame({"y": [y_cut]})).mark_rule(strokeDash=[4, 4], color="#555").encode(y="y:Q")
    order = list(rules.overall_order)
    points = alt.Chart(cap_columns(frame)).mark_point(filled=True, size=90, opacity=0.9, stroke="black", strokeWidth=0.5).encode(
        x=alt.X("parent_income_share:Q", title="Parent income share", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        y=alt.Y("engagement_change_from_peak:Q", title="Engagement change from peak (points)",
                scale=alt.Scale(domain=[y_min, 0.2])),
        color=alt.Color("status_label:N", title="Overall status", scale=_status_scale(order),
                        legend=alt.Legend(orient="bottom", columns=3)),
        shape=alt.Shape("status_label:N", title="Overall status", legend=alt.Legend(orient="bottom", columns=3),
                        scale=alt.Scale(domain=[fmt.status_style(s).word for s in order],
                                        range=["cross", "triangle-up", "diamond", "circle", "square", "square"])),
        tooltip=[alt.Tooltip("name:N", title="Mutual"), alt.Tooltip("dependency_text:N", title="Parent share"),
                 alt.Tooltip("change_text:N", title="Change from peak"),
                 alt.Tooltip("status_label:N", title="Overall")],
    )
    return alt.layer(shade, shade_label, guides, hguide, points).properties(height=380)


def dependency_caption(frame: pd.DataFrame, rules: Rules | None = None, trading: int | None = None) -> str:
    """'2 of the 9 trading mutuals with both values (of 16 trading) sit in the risky quadrant …'."""
    rules = rules or load_rules()
    if frame.empty:
        return "No trading mutual has both a parent income share and an engagement trend to plot."
    x_cut = rules.by_column("parent_income_share").amber
    y_cut = rules.by_column("engagement_change_from_peak").amber
    risky = frame[(frame["parent_income_share"] > x_cut) & (frame["engagement_change_from_peak"] < y_cut)]
    names = ", ".join(risky.sort_values("engagement_change_from_peak")["name"].head(3).map(cap))
    more = f" (e.g. {names})" if names else ""
    of = f" (of {trading} trading)" if trading is not None and trading != len(frame) else ""
    return (f"{len(risky)} of the {len(frame)} trading mutuals with a parent income share and an engagement trend"
            f"{of} sit in the risky quadrant: over {fmt.percent(x_cut)} of income "
            f"from the parent and engagement down more than {abs(y_cut):.1f} points from its peak{more}.")
