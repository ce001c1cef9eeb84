"""Portfolio charts and their takeaway captions (pure functions of DataFrames)."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import Rules, load_rules

STATUS_ORDER = ["red", "amber", "green", "no_data"]
OVERALL_ORDER = ["at_risk", "concern", "watch", "sustainable", "pre_spin_out", "ceased"]
MAX_MATRIX_ROWS = 150
SHORT_FACTORS = {"leadership": "Leadership", "engagement": "Engagement", "relationship": "Commissioner",
                 "finance": "Finance"}


def _status_scale(styles: dict[str, fmt.StatusStyle], order: list[str]) -> alt.Scale:
    return alt.Scale(domain=[styles[s].label for s in order], range=[styles[s].colour for s in order])


def matrix_rows(indicators: pd.DataFrame, limit: int = MAX_MATRIX_ROWS) -> pd.DataFrame:
    """The mutuals the matrix shows: the ``limit`` most severe (status, then reds), in status-then-name order."""
    rank = indicators["overall_status"].map({s: i for i, s in enumerate(OVERALL_ORDER)})
    severe = indicators.assign(_rank=rank, _reds=-indicators["reds"]).sort_values(["_rank", "_reds", "name"],
                                                                                  kind="stable").head(limit)
    return severe.sort_values(["_rank", "name"], kind="stable").drop(columns=["_rank", "_reds"])


def matrix_frame(rows: pd.DataFrame, rules: Rules | None = None) -> pd.DataFrame:
    """Long form for the heat-map: one row per mutual × indicator, plus an 'Overall' column.

    ``rows`` are the mutuals to show, in display order, with ``overall_reasons``.
    """
    rules = rules or load_rules()
    out = []
    for r in rows.to_dict("records"):
        style = fmt.OVERALL_STYLES[r["overall_status"]]
        out.append({"mutual_id": r["mutual_id"], "mutual": r["name"], "factor_short": " ",
                    "indicator": "Overall", "status": r["overall_status"], "label": style.label,
                    "symbol": style.symbol, "value": r.get("overall_reasons", "")})
        for ind in rules.indicators:
            status = r[ind.status_column]
            st_style = fmt.STATUS_STYLES[status]
            out.append({"mutual_id": r["mutual_id"], "mutual": r["name"],
                        "factor_short": SHORT_FACTORS.get(ind.factor, rules.factors[ind.factor]),
                        "indicator": ind.label, "status": status, "label": st_style.label,
                        "symbol": st_style.symbol, "value": fmt.format_value(r[ind.column], ind.format)})
    return pd.DataFrame(out)


def status_matrix(long: pd.DataFrame, selectable: bool = True) -> alt.Chart:
    """Heat-map of statuses: colour plus symbol in each cell, value on hover, click to select a mutual."""
    styles = {**fmt.STATUS_STYLES, **fmt.OVERALL_STYLES}
    order = OVERALL_ORDER + STATUS_ORDER
    mutual_order = list(dict.fromkeys(long["mutual"]))
    indicator_order = list(dict.fromkeys(long["indicator"]))
    factor_order = list(dict.fromkeys(long["factor_short"]))
    height = max(60, 20 * len(mutual_order))
    base = alt.Chart(long).encode(
        x=alt.X("indicator:N", sort=indicator_order, title=None,
                axis=alt.Axis(orient="top", labelAngle=-90, labelLimit=190, labelAlign="left")),
        y=alt.Y("mutual:N", sort=mutual_order, title=None, axis=alt.Axis(labelLimit=220)),
        tooltip=[alt.Tooltip("mutual:N", title="Mutual"), alt.Tooltip("indicator:N", title="Indicator"),
                 alt.Tooltip("value:N", title="Value"), alt.Tooltip("label:N", title="Status")],
    )
    selection = alt.selection_point(name="pick", fields=["mutual_id"], on="click", clear="dblclick")
    cells = base.mark_rect(stroke="white", strokeWidth=1.5).encode(
        color=alt.Color("label:N", title="Status", scale=_status_scale(styles, order),
                        legend=alt.Legend(orient="bottom", columns=5)),
    )
    if selectable:
        cells = cells.add_params(selection).encode(
            opacity=alt.condition(selection, alt.value(1.0), alt.value(0.45)))
    text = base.mark_text(fontSize=12, fontWeight="bold").encode(
        text="symbol:N",
        color=alt.condition(alt.FieldOneOfPredicate("status", ["amber", "no_data", "watch", "concern"]),
                            alt.value("black"), alt.value("white")),
    )
    layered = alt.layer(cells, text).properties(height=height, width=alt.Step(30))
    return layered.facet(
        column=alt.Column("factor_short:N", sort=factor_order, title=None,
                          header=alt.Header(labelFontWeight="bold", labelAnchor="start", labelAngle=0,
                                            labelLimit=160)),
        spacing=10,
    ).resolve_scale(x="independent")


def matrix_caption(indicators: pd.DataFrame, shown: int | None = None) -> str:
    counts = indicators["overall_status"].value_counts()
    n = len(indicators)
    parts = [f"{int(counts.get(s, 0))} {fmt.OVERALL_STYLES[s].word.lower()}" for s in OVERALL_ORDER if counts.get(s)]
    reds = indicators.filter(like="_status").drop(columns=["overall_status"], errors="ignore").eq("red").sum()
    top = reds.sort_values(ascending=False)
    worst = ""
    if len(top) and top.iloc[0] > 0:
        label = load_rules().by_column(top.index[0].removesuffix("_status")).label.lower()
        worst = f" The most common red is {label} ({int(top.iloc[0])} of {n})."
    shown_text = (f" Showing the {shown} most severe; download the table for all {n}."
                  if shown is not None and shown < n else "")
    return f"{n} mutuals: {', '.join(parts)}.{worst}{shown_text} Click a row to open that mutual."


MAX_TIMELINE_MUTUALS = 30


def expiry_frame(contracts: pd.DataFrame, indicators: pd.DataFrame, as_of: date, months: int = 36) -> pd.DataFrame:
    """Active contracts ending within ``months`` of ``as_of``, with the mutual's parent dependency."""
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


def expiry_timeline(frame: pd.DataFrame, as_of: date) -> alt.Chart:
    """Contracts by end date, sized by annual value, coloured by the mutual's parent dependency."""
    d = pd.Timestamp(as_of)
    marks = pd.DataFrame({"date": [d + pd.DateOffset(months=m) for m in (12, 24)],
                          "label": ["12 months", "24 months"]})
    frame = frame.assign(first_end=frame.groupby("mutual_id")["end_date"].transform("min"))
    order = alt.EncodingSortField(field="first_end", op="min", order="ascending")
    points = alt.Chart(frame).mark_circle(opacity=0.85, stroke="black", strokeWidth=0.5).encode(
        x=alt.X("end_date:T", title="Contract end date",
                scale=alt.Scale(domain=[d.isoformat(), (d + pd.DateOffset(months=36)).isoformat()]),
                axis=alt.Axis(format="%b %Y", tickCount=6)),
        y=alt.Y("mutual_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
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


def expiry_caption(frame: pd.DataFrame, shown_mutuals: int | None = None) -> str:
    if frame.empty:
        return "No active contract ends in the next 36 months."
    soon = frame[frame["months_to_end"] <= 12]
    largest = frame.sort_values("annual_value", ascending=False).iloc[0]
    mutuals = frame["mutual_id"].nunique()
    shown = (f" Showing the {shown_mutuals} of {mutuals} mutuals with the most value ending."
             if shown_mutuals is not None and shown_mutuals < mutuals else "")
    return (f"{fmt.money(soon['annual_value'].sum())} a year across {len(soon)} contract(s) ends within 12 months, "
            f"{fmt.money(frame['annual_value'].sum())} within 36. Largest: {largest['mutual_name']}'s "
            f"{fmt.money(largest['annual_value'])} contract with {largest['commissioner_name']}, ending in "
            f"{fmt.month_count(largest['months_to_end'])}.{shown}")


def dependency_frame(indicators: pd.DataFrame) -> pd.DataFrame:
    """The mutuals with both a parent income share and an engagement trend, with display text."""
    columns = ["mutual_id", "name", "overall_status", "parent_income_share", "engagement_change_from_peak"]
    frame = indicators[columns].dropna(subset=["parent_income_share", "engagement_change_from_peak"]).copy()
    styles = fmt.OVERALL_STYLES
    frame["status_label"] = frame["overall_status"].map(lambda s: styles[s].label)
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
    styles = fmt.OVERALL_STYLES
    order = [s for s in OVERALL_ORDER]
    points = alt.Chart(frame).mark_point(filled=True, size=90, opacity=0.9, stroke="black", strokeWidth=0.5).encode(
        x=alt.X("parent_income_share:Q", title="Parent income share", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        y=alt.Y("engagement_change_from_peak:Q", title="Engagement change from peak (points)",
                scale=alt.Scale(domain=[y_min, 0.2])),
        color=alt.Color("status_label:N", title="Overall status", scale=_status_scale(styles, order),
                        legend=alt.Legend(orient="bottom", columns=3)),
        shape=alt.Shape("status_label:N", title="Overall status", legend=alt.Legend(orient="bottom", columns=3),
                        scale=alt.Scale(domain=[styles[s].label for s in order],
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
    names = ", ".join(risky.sort_values("engagement_change_from_peak")["name"].head(3))
    more = f" (e.g. {names})" if names else ""
    return (f"{len(risky)} of {len(frame)} mutuals sit in the risky quadrant: over {fmt.percent(x_cut)} of income "
            f"from the parent and engagement down more than {abs(y_cut):.1f} points from its peak{more}.")
