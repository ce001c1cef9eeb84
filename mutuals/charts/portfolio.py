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
    return alt.Scale(domain=[s.label for s in styles], range=[s.colour for s in styles])


def matrix_rows(indicators: pd.DataFrame, limit: int = MAX_MATRIX_ROWS) -> pd.DataFrame:
    """The mutuals the matrix shows: the ``limit`` most severe (status, then reds), in status-then-name order."""
    rank = indicators["overall_status"].map(load_rules().overall_rank)
    severe = indicators.assign(_rank=rank, _reds=-indicators["reds"]).sort_values(["_rank", "_reds", "name"],
                                                                                  kind="stable").head(limit)
    return severe.sort_values(["_rank", "name"], kind="stable").drop(columns=["_rank", "_reds"])


def status_matrix_html(rows: pd.DataFrame, link_query: str = "", rules: Rules | None = None) -> str:
    """The status matrix as an accessible HTML table (fast to draw, readable by screen readers).

    One row per mutual (``rows`` in display order, with ``overall_reasons``), one column per
    indicator grouped under its area, after one column per area. Each cell shows the status as colour plus symbol, with the
    value and status word on hover (``title``) and for assistive technology (``aria-label``). A
    mutual's name links to its page (``mutual?mutual=ID`` plus ``link_query``, e.g. the filters).
    """
    rules = rules or load_rules()

    def esc(value) -> str:  # config text and links: escaped, never cut (data values: html_label / _cell)
        return html_text(value, None)

    groups = [(area, rules.for_area(area.key)) for area in rules.areas]
    head1 = ['<th rowspan="2" scope="col" class="sm-name">Mutual</th>',
             '<th rowspan="2" scope="col" class="sm-vert"><span>Overall</span></th>',
             f'<th colspan="{len(rules.areas)}" scope="colgroup" class="sm-group">Areas</th>']
    head1 += [f'<th colspan="{len(inds)}" scope="colgroup" class="sm-group">{esc(a.short)}</th>'
              for a, inds in groups if inds]
    head2 = [f'<th scope="col" class="sm-vert sm-area"><span>{esc(a.short)}</span></th>' for a in rules.areas]
    method = f"methodology?{link_query}" if link_query else "methodology"  # keep the filters for the way back
    head2 += [f'<th scope="col" class="sm-vert"><span><a href="{esc(f"{method}#{i.column}")}" target="_self" '
              f'title="How {esc(i.label.lower())} is worked out">{esc(i.label)}</a></span></th>'
              for _, inds in groups for i in inds]
    body = []
    suffix = f"&{link_query}" if link_query else ""
    for r in rows.to_dict("records"):
        overall = fmt.status_style(r["overall_status"])
        cells = [f'<th scope="row" class="sm-name"><a href="mutual?mutual={esc(quote(str(r["mutual_id"]), safe=""))}'
                 f'{esc(suffix)}" target="_self">{html_label(r["name"])}</a></th>',
                 _cell(overall, f'{overall.word}: {fmt.reasons_text(r.get("overall_reasons"))}')]
        for area in rules.areas:
            style = fmt.status_style(r[area.status_column])
            cells.append(_cell(style, f"{area.label} area: {style.word}", css="sm-area"))
        for _, inds in groups:
            for ind in inds:
                style = fmt.status_style(r[ind.status_column])
                cells.append(_cell(style, _hover(r, ind, style.word)))
        body.append(f"<tr>{''.join(cells)}</tr>")
    legend = " ".join(f'<span class="sm-key" style="background:{st.colour};color:{st.ink}">'
                      f"{esc(st.label)}</span>" for st in [*rules.statuses.values(), *rules.overall_statuses.values()])
    return (f"<style>{MATRIX_CSS}</style><div class='sm-wrap'><table class='status-matrix'>"
            f"<thead><tr>{''.join(head1)}</tr><tr>{''.join(head2)}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div><p class='sm-legend'>{legend}</p>")


MATRIX_CSS = """
.sm-wrap{overflow-x:auto;max-height:70vh;overflow-y:auto}
.status-matrix{border-collapse:separate;border-spacing:2px;font-size:0.8rem}
.status-matrix th{font-weight:600;background:#fff;position:sticky;top:0}
.status-matrix th.sm-name{text-align:right;white-space:nowrap;padding-right:6px;position:sticky;left:0;z-index:1}
.status-matrix tbody th.sm-name{font-weight:400}
.status-matrix th.sm-group{text-align:left;border-bottom:2px solid #555;padding:0 2px}
.status-matrix th.sm-vert{vertical-align:bottom;height:11rem;padding:0}
.status-matrix th.sm-vert span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
.status-matrix th.sm-vert a{color:inherit;text-decoration:underline dotted}
.status-matrix td{width:1.7rem;height:1.35rem;text-align:center;font-weight:700;border-radius:3px;cursor:default}
.status-matrix td.sm-area,.status-matrix th.sm-area{outline:2px solid #333;outline-offset:-1px}
.sm-legend{font-size:0.8rem;line-height:2}
.sm-key{padding:0.1rem 0.45rem;border-radius:0.7rem;margin-right:0.2rem;white-space:nowrap}
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
    label = html_text(text)  # bounded: a cell's hover text never carries a huge value
    klass = f' class="{css}"' if css else ""
    return (f'<td{klass} style="background:{style.colour};color:{style.ink}" title="{label}" '
            f'aria-label="{label}">{html_text(style.symbol)}</td>')


def matrix_caption(indicators: pd.DataFrame, shown: int | None = None) -> str:
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
    return f"{n} mutuals: {', '.join(parts)}.{worst}{shown_text} Hover a cell for its value; click a name to open that mutual."


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
                      legend=alt.Legend(orient="bottom", labelExpr="'£' + format(datum.value, '.2~s')",
                                        symbolFillColor="#999999", tickCount=3)),
        color=alt.Color("parent_income_share:Q", title="Parent income share",
                        scale=alt.Scale(scheme="viridis", domain=[0, 1], reverse=True),
                        legend=alt.Legend(format="%", orient="bottom", gradientLength=160)),
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
    return alt.layer(points, rules, labels).properties(height=alt.Step(24))


def expiry_window_text(months: int | None = None) -> str:
    """'the next 36 months' (the config's expiry timeline)."""
    return f"the next {months if months is not None else load_rules().settings.expiry_timeline_months} months"


def expiry_caption(frame: pd.DataFrame, shown_mutuals: int | None = None, months: int | None = None) -> str:
    months = months if months is not None else load_rules().settings.expiry_timeline_months
    if frame.empty:
        return f"No active contract ends in {expiry_window_text(months)}."
    red_line = int(load_rules().by_column("months_to_main_contract_end").amber)
    soon = frame[frame["months_to_end"] <= red_line]
    largest = frame.sort_values("annual_value", ascending=False).iloc[0]
    mutuals = frame["mutual_id"].nunique()
    shown = (f" Showing the {shown_mutuals} of {mutuals} mutuals with the most value ending."
             if shown_mutuals is not None and shown_mutuals < mutuals else "")
    return (f"{fmt.money(soon['annual_value'].sum())} a year across {len(soon)} contract(s) ends within {red_line} months, "
            f"{fmt.money(frame['annual_value'].sum())} within {months}. Largest: {cap(largest['mutual_name'])}'s "
            f"{fmt.money(largest['annual_value'])} contract with {cap(largest['commissioner_name'])}, ending in "
            f"{fmt.month_count(largest['months_to_end'])}.{shown}")


def dependency_frame(indicators: pd.DataFrame) -> pd.DataFrame:
    """The mutuals with both a parent income share and an engagement trend, with display text."""
    columns = ["mutual_id", "name", "overall_status", "parent_income_share", "engagement_change_from_peak"]
    frame = indicators[columns].dropna(subset=["parent_income_share", "engagement_change_from_peak"]).copy()
    frame["status_label"] = frame["overall_status"].map(fmt.overall_label)
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
                        scale=alt.Scale(domain=[fmt.overall_label(s) for s in order],
                                        range=["cross", "triangle-up", "diamond", "circle", "square", "square"])),
        tooltip=[alt.Tooltip("name:N", title="Mutual"), alt.Tooltip("dependency_text:N", title="Parent share"),
                 alt.Tooltip("change_text:N", title="Change from peak"),
                 alt.Tooltip("status_label:N", title="Overall")],
    )
    return alt.layer(shade, shade_label, guides, hguide, points).properties(height=380)


def dependency_caption(frame: pd.DataFrame, rules: Rules | None = None) -> str:
    rules = rules or load_rules()
    if frame.empty:
        return "No mutual has both a parent income share and an engagement trend to plot."
    x_cut = rules.by_column("parent_income_share").amber
    y_cut = rules.by_column("engagement_change_from_peak").amber
    risky = frame[(frame["parent_income_share"] > x_cut) & (frame["engagement_change_from_peak"] < y_cut)]
    names = ", ".join(risky.sort_values("engagement_change_from_peak")["name"].head(3).map(cap))
    more = f" (e.g. {names})" if names else ""
    return (f"{len(risky)} of {len(frame)} mutuals sit in the risky quadrant: over {fmt.percent(x_cut)} of income "
            f"from the parent and engagement down more than {abs(y_cut):.1f} points from its peak{more}.")
