"""Leadership and strategy charts: income against the five-year plan, the non-parent share, strategy sessions."""

from __future__ import annotations

from datetime import date

import altair as alt
import numpy as np
import pandas as pd

from mutuals import formatting as fmt
from mutuals.charts.mutual.common import (
    BLACK,
    BLUE,
    GREY,
    LIGHT_GREY,
    MONEY_AXIS,
    VERMILION,
    _by_year,
    _columns,
    _date_domain,
    _finish,
    _fy_x,
    _kind_word,
    _time_axis,
    fy_label,
    no_data_chart,
)
from mutuals.rules import load_rules


def plan_income_frame(financials: pd.DataFrame) -> pd.DataFrame:
    """Plan years, long form: one row per year and series (Plan, Actual) with labels."""
    long = _by_year(financials, {"planned_income": "Plan", "income_total": "Actual"}, "series", "value", fmt.money,
                    keep=("plan_delivery",), required="planned_income")
    long["label"] = np.where(long["series"] == "Actual",
                             long["plan_delivery"].map(lambda p: f"{fmt.percent(p)} of plan"), "")
    return _columns(long, ["fy", "year_end", "series", "value", "value_text", "label"])


def plan_income_chart(financials: pd.DataFrame) -> alt.TopLevelMixin:
    """Actual against planned income for each year of the five-year plan (grouped bars)."""
    title = "Income against the five-year plan"
    frame = plan_income_frame(financials)
    if frame.empty:
        return no_data_chart(title, "No five-year plan targets on record")
    base = alt.Chart(frame).encode(
        x=_fy_x(frame),
        xOffset=alt.XOffset("series:N", sort=["Plan", "Actual"]),
        y=alt.Y("value:Q", title="Income", axis=alt.Axis(labelExpr=MONEY_AXIS)),
        tooltip=[alt.Tooltip("fy:N", title="Year"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("value_text:N", title="Income"), alt.Tooltip("label:N", title="Delivery")],
    )
    bars = base.mark_bar(stroke="#555555", strokeWidth=0.6).encode(
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=["Plan", "Actual"], range=[LIGHT_GREY, BLUE])))
    labels = base.mark_text(baseline="bottom", dy=-3, fontWeight="bold").encode(text=alt.Text("label:N"))
    return _finish([bars, labels], title, "Grey: planned income · blue: actual income, labelled with % of plan")


def plan_income_caption(financials: pd.DataFrame) -> str:
    plan = financials.dropna(subset=["planned_income"])
    both = plan.dropna(subset=["income_total"]).sort_values("year_end")
    to_come = len(plan) - len(both)
    if both.empty:
        return (f"No year of the five-year plan can be compared with actual income yet "
                f"({len(plan)} plan year(s) on record, 0 with actual income).")
    last = both.iloc[-1]
    green = load_rules().by_column("plan_delivery").green
    met = int((both["plan_delivery"].round(9) >= green).sum())
    text = (f"In {fy_label(last['year_end'])} income was {fmt.money(last['income_total'])} against a plan of "
            f"{fmt.money(last['planned_income'])} ({fmt.percent(last['plan_delivery'])} of plan). "
            f"{met} of {len(both)} plan year(s) so far reached {fmt.percent(green)} of plan")
    return text + (f"; {to_come} plan year(s) still to come." if to_come else ".")


def non_parent_share_frame(financials: pd.DataFrame) -> pd.DataFrame:
    """Long form: one row per year and series (Plan, Actual) of the share of income not from the parent."""
    long = _by_year(financials, {"planned_non_parent_share": "Plan", "non_parent_share": "Actual"}, "series",
                    "share", fmt.percent)
    return _columns(long, ["fy", "year_end", "series", "share", "share_text"])


def non_parent_share_chart(financials: pd.DataFrame) -> alt.TopLevelMixin:
    """Share of income from outside the parent commissioner: actual against the plan."""
    title = "Income from outside the parent: actual against plan"
    frame = non_parent_share_frame(financials)
    if frame.empty or not (frame["series"] == "Plan").any():
        return no_data_chart(title, "No planned non-parent share on record" if not frame.empty
                             else "No financial year on record")
    top = max(0.1, float(frame["share"].max()) * 1.2)
    base = alt.Chart(frame).encode(
        x=_fy_x(frame),
        y=alt.Y("share:Q", title="Share of income not from the parent", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, min(1.0, top)])),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=["Plan", "Actual"], range=[GREY, BLUE])),
        tooltip=[alt.Tooltip("fy:N", title="Year"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("share_text:N", title="Non-parent share")],
    )
    lines = base.mark_line(strokeWidth=2.2).encode(
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=["Plan", "Actual"], range=[[6, 4], [1, 0]]),
                                  title=None))
    points = base.mark_point(filled=True, size=60).encode(
        shape=alt.Shape("series:N", scale=alt.Scale(domain=["Plan", "Actual"], range=["square", "circle"]),
                        title=None))
    labels = base.transform_filter(alt.datum.series == "Actual").mark_text(dy=-10).encode(text=alt.Text("share_text:N"))
    return _finish([lines, points, labels], title, "Dashed grey squares: plan · solid blue circles: actual")


def non_parent_share_caption(financials: pd.DataFrame) -> str:
    both = financials.dropna(subset=["planned_non_parent_share", "non_parent_share"]).sort_values("year_end")
    if both.empty:
        latest = financials.dropna(subset=["non_parent_share"]).sort_values("year_end")
        if latest.empty:
            return "No financial year is on record, so the non-parent share (0 years) cannot be compared with a plan."
        r = latest.iloc[-1]
        return (f"{fmt.percent(r['non_parent_share'])} of income in {fy_label(r['year_end'])} came from outside "
                f"the parent commissioner; no plan year has both a target and actual income.")
    r = both.iloc[-1]
    gap = float(r["non_parent_share"] - r["planned_non_parent_share"])
    return (f"In {fy_label(r['year_end'])}, {fmt.percent(r['non_parent_share'])} of income came from outside the "
            f"parent commissioner against a planned {fmt.percent(r['planned_non_parent_share'])} "
            f"({fmt.points(gap)}, {'ahead of' if gap >= 0 else 'behind'} plan).")


def session_gaps(sessions: pd.DataFrame, as_of: date, threshold: float | None = None,
                 days_per_month: float | None = None) -> pd.DataFrame:
    """Gaps of more than ``threshold`` months between sessions, and from the last one to ``as_of``."""
    rules = load_rules()
    threshold = rules.by_column("months_since_strategy_session").amber if threshold is None else threshold
    dpm = days_per_month or rules.days_per_month
    columns = ["start", "end", "months", "label", "open"]
    if sessions.empty:
        return pd.DataFrame(columns=columns)
    s = sessions.sort_values("session_date").reset_index(drop=True)
    rows = []
    for i in range(1, len(s)):
        months = s.loc[i, "months_since_previous"]
        if not fmt.is_missing(months) and float(months) > threshold:
            rows.append({"start": s.loc[i - 1, "session_date"], "end": s.loc[i, "session_date"],
                         "months": float(months), "label": f"{fmt.month_count(months)} gap", "open": False})
    last = pd.Timestamp(s["session_date"].iloc[-1])
    open_months = (pd.Timestamp(as_of) - last).days / dpm
    if open_months > threshold:
        rows.append({"start": last, "end": pd.Timestamp(as_of), "months": open_months,
                     "label": f"{fmt.month_count(open_months)} since the last", "open": True})
    return pd.DataFrame(rows, columns=columns)


def sessions_chart(sessions: pd.DataFrame, as_of: date, until: date | None = None) -> alt.TopLevelMixin:
    """Timeline of leadership strategy sessions with gaps beyond the indicator's amber line highlighted
    (with ``until``, a ceased date, the time axis ends there)."""
    title = "Leadership strategy sessions"
    if sessions.empty:
        return no_data_chart(title, "No leadership strategy session on record")

    def gap_text(months) -> str:
        return "first on record" if fmt.is_missing(months) else f"{fmt.month_count(months)} after the previous"

    points = sessions.assign(kind_label=sessions["kind"].map(_kind_word), when=sessions["session_date"].map(fmt.day),
                             gap_text=sessions["months_since_previous"].map(gap_text))
    gaps = session_gaps(sessions, as_of)
    start, end = pd.Timestamp(points["session_date"].min()), pd.Timestamp(as_of)
    x_scale = alt.Scale(domain=_date_domain(start, end, until=until))
    kinds = sorted(points["kind_label"].unique())
    height = max(120, 40 * len(kinds) + 40)
    layers: list[alt.Chart] = []
    if not gaps.empty:
        gaps = gaps.assign(mid=gaps["start"] + (gaps["end"] - gaps["start"]) / 2)
        layers.append(alt.Chart(gaps).mark_rect(color=VERMILION, opacity=0.14).encode(
            x=alt.X("start:T", scale=x_scale), x2=alt.X2("end:T"),
            tooltip=[alt.Tooltip("label:N", title="Gap")]))
        layers.append(alt.Chart(gaps).mark_text(baseline="top", dy=4, color="#A04000", fontWeight="bold").encode(
            x=alt.X("mid:T", scale=x_scale), y=alt.YValue(0), text=alt.Text("label:N")))
    layers.append(alt.Chart(points).mark_point(filled=True, size=110, opacity=0.95, stroke="black",
                                               strokeWidth=0.5).encode(
        x=alt.X("session_date:T", title=None, scale=x_scale, axis=_time_axis(start, end)),
        y=alt.Y("kind_label:N", title=None, sort=kinds, axis=alt.Axis(labelLimit=200),
                scale=alt.Scale(paddingOuter=0.6)),
        color=alt.Color("kind_label:N", title="Session", sort=kinds, legend=None),
        shape=alt.Shape("kind_label:N", sort=kinds, legend=None),
        tooltip=[alt.Tooltip("when:N", title="Date"), alt.Tooltip("kind_label:N", title="Kind"),
                 alt.Tooltip("gap_text:N", title="Gap")],
    ))
    asof = pd.DataFrame({"date": [pd.Timestamp(as_of)], "label": [f"As of {fmt.day(as_of)}"]})
    layers.append(alt.Chart(asof).mark_rule(color=BLACK, strokeDash=[2, 2]).encode(x=alt.X("date:T", scale=x_scale)))
    threshold = load_rules().by_column("months_since_strategy_session").amber
    return _finish(layers, title, f"Shaded: gaps of more than {threshold:g} months without a session · "
                                  f"dotted line: the as-of date", height=height)


def sessions_caption(sessions: pd.DataFrame, as_of: date) -> str:
    if sessions.empty:
        return f"No leadership strategy session is on record up to {fmt.day(as_of)}."
    gaps = session_gaps(sessions, as_of)
    first, last = sessions["session_date"].min(), sessions["session_date"].max()
    since = (pd.Timestamp(as_of) - pd.Timestamp(last)).days / load_rules().days_per_month
    text = f"{len(sessions)} strategy session(s) between {fmt.day(first)} and {fmt.day(last)}; "
    limit = f"{load_rules().by_column('months_since_strategy_session').amber:g} months"
    if gaps.empty:
        text += f"no gap of more than {limit}. "
    else:
        longest = gaps.sort_values("months").iloc[-1]
        text += (f"{len(gaps)} gap(s) of more than {limit}, the longest {fmt.month_count(longest['months'])} "
                 f"(from {fmt.day(longest['start'])}). ")
    when = "in the same month as" if round(since) == 0 else f"{fmt.month_count(since)} before"
    return text + f"The latest was {when} {fmt.day(as_of)}."

