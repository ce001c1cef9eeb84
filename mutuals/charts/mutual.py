"""One mutual's charts and their takeaway captions, for the mutual page and the board pack.

Every builder is a pure function of DataFrames (from :class:`~mutuals.services.mutual.MutualView`)
and a few scalars, returning a top-level Altair chart with an explicit width, so that it renders
the same on screen and through vl-convert (SVG/PNG/PDF). An empty frame gives a chart with a
"no data" text mark, never an exception. Each caption states the chart's takeaway in numbers.

Survey waves with fewer respondents than the minimum carry no score (the SQL returns NULL);
they are drawn as a marker on the baseline labelled "suppressed (n < 11)", never as a value.

:func:`mutual_charts` assembles every chart of a view as ``{factor: [ChartSpec, ...]}``;
:func:`download_tables` gives the tables behind them, shaped for CSV download.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from mutuals import formatting as fmt
from mutuals.charts.theme import OKABE_ITO, theme_config
from mutuals.escape import cap, cap_columns
from mutuals.rules import load_rules

WIDTH = 700
HEIGHT = 260
# The width (700 px, or the page column on screen) includes the axes and legend; the height is the plot's own,
# so a chart stretched to the page keeps its height (Streamlit would otherwise squeeze everything into it).
AUTOSIZE = alt.AutoSizeParams(type="fit-x", contains="padding")
BLUE, ORANGE, GREEN, PINK, SKY, VERMILION, YELLOW, BLACK = OKABE_ITO
GREY = "#666666"
YEAR_AXIS = alt.Axis(format="%Y", tickCount="year", labelOverlap=True)
MONTH_AXIS = alt.Axis(format="%b %Y", tickCount="month", labelOverlap=True)


def _time_axis(start, end) -> alt.Axis:
    """Whole years on long spans; months and years on spans under three years."""
    return YEAR_AXIS if (pd.Timestamp(end) - pd.Timestamp(start)).days > 3 * 365 else MONTH_AXIS
LIGHT_GREY = "#BBBBBB"

PHASES = (("options_appraisal", "Options appraisal", SKY),
          ("transition", "Transition", ORANGE),
          ("spun_out", "Spun out", GREEN))
SUBSCORES = (("motivation", "Motivation", BLUE, "circle", []),
             ("involvement", "Involvement", ORANGE, "square", [6, 3]),
             ("advocacy", "Advocacy", GREEN, "triangle-up", [2, 2]))
INCOME_SOURCES = (("income_parent", "Parent commissioner", BLUE),
                  ("income_other_public", "Other public bodies", SKY),
                  ("income_non_public", "Non-public income", GREEN))
INNOVATION_STAGES = (("idea", "Idea"), ("piloted", "Piloted"), ("embedded", "Embedded"))
ORIGINS = (("staff", "Staff", BLUE), ("management", "Management", ORANGE),
           ("commissioner", "Commissioner", GREEN), ("other", "Other", "#999999"))
OUTCOMES = {
    "active": ("●", "Active"), "extended": ("↻", "Extended"), "renewed": ("✓", "Renewed"),
    "won_at_retender": ("✓", "Won at re-tender"), "lost_at_retender": ("✖", "Lost at re-tender"),
    "handed_back": ("↩", "Handed back"), "expired": ("■", "Expired"),
}
FINANCE_METRICS = {
    "reserves_months": ("Reserves cover", "Months of spending", ".1f"),
    "surplus_margin": ("Surplus margin", "Surplus ÷ income", ".0%"),
    "income_growth": ("Income growth", "Change on the year before", ".0%"),
}
# Money on an axis in the house style: £500k, £2.5m, £1.2bn.
MONEY_AXIS = ("datum.value >= 1e9 ? '£' + format(datum.value / 1e9, '.1~f') + 'bn' : "
              "datum.value >= 1e6 ? '£' + format(datum.value / 1e6, '.1~f') + 'm' : "
              "datum.value >= 1e3 ? '£' + format(datum.value / 1e3, '.0f') + 'k' : '£' + format(datum.value, '.0f')")


@dataclass(frozen=True)
class ChartSpec:
    """One chart for a factor: a stable key, a title, the chart and its takeaway caption."""

    key: str
    title: str
    chart: alt.TopLevelMixin
    caption: str


# --------------------------------------------------------------------------- helpers


def _ts(value: Any) -> pd.Timestamp | None:
    return None if fmt.is_missing(value) else pd.Timestamp(value)


def _iso(value: Any) -> str:
    return pd.Timestamp(value).isoformat()


def fy_label(year_end: Any) -> str:
    """A financial year by its end: year to 31 Mar 2026 → '2025/26'; year to 31 Dec 2025 → '2025'."""
    ts = pd.Timestamp(year_end)
    return str(ts.year) if ts.month == 12 else f"{ts.year - 1}/{ts.year % 100:02d}"


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    return alt.TitleParams(text, subtitle=subtitle) if subtitle else alt.TitleParams(text)


def _config(scale: float = 1.0) -> alt.Config:
    """Chart-level config merged over the product theme: a readable subtitle (the theme leaves it at 10 px)."""
    return alt.Config(title=alt.TitleConfig(subtitleFontSize=round(12 * scale), subtitleColor="#444444",
                                            subtitlePadding=4))


def no_data_chart(title: str, message: str, height: int = 90) -> alt.Chart:
    """A chart-sized box that says why there is nothing to draw."""
    frame = pd.DataFrame({"message": [message]})
    return (alt.Chart(frame).mark_text(fontSize=14, color=GREY)
            .encode(text=alt.Text("message:N"), x=alt.XValue(WIDTH / 2), y=alt.YValue(height / 2))
            .properties(width=WIDTH, height=height, title=_title(title), autosize=AUTOSIZE, config=_config()))


def _date_domain(start: pd.Timestamp, end: pd.Timestamp, pad_left: float = 0.02,
                 pad_right: float = 0.02) -> list[str]:
    span = max(end - start, pd.Timedelta(days=60))
    return [_iso(start - span * pad_left), _iso(end + span * pad_right)]


def _score_domain(values: list[float], floor: float = 5.0) -> list[float]:
    """A 0–10 score axis zoomed to the data, at least two points tall."""
    vals = [v for v in values if not fmt.is_missing(v)]
    if not vals:
        return [floor, 10.0]
    lo = max(0.0, math.floor(min(vals) - 0.3))
    hi = min(10.0, math.ceil(max(vals) + 0.3))
    if hi - lo < 2:
        lo = max(0.0, hi - 2)
    return [lo, hi]


def _threshold_rules(column: str, y_domain: list[float] | None = None, *, zero: bool = False
                     ) -> tuple[list[alt.Chart], str]:
    """Dashed green and amber threshold lines of an indicator (one layer), and the words naming them.

    The lines are coloured through the ``stroke`` channel with no scale, so they never share the
    colour scale (or legend) of the data layers. ``zero`` adds a solid grey line at 0.
    """
    ind = load_rules().by_column(column)
    rows, words = [], []
    for status, value in (("green", ind.green), ("amber", ind.amber)):
        if y_domain and not (y_domain[0] <= value <= y_domain[1]):
            continue
        style = fmt.status_style(status)
        shown = f"{value:g}/5" if ind.format == "rating5" else fmt.format_value(value, ind.format)
        words.append(f"{style.word.lower()} {'≥' if ind.direction == 'higher' else '≤'} {shown}")
        rows.append({"y": value, "colour": style.colour})
    layers = []
    if zero and y_domain and y_domain[0] < 0 < y_domain[1] and 0 not in [r["y"] for r in rows]:
        layers.append(alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#999999").encode(y=alt.Y("y:Q")))
    if rows:
        layers.append(alt.Chart(pd.DataFrame(rows)).mark_rule(strokeWidth=1.3, strokeDash=[5, 4]).encode(
            y=alt.Y("y:Q"), stroke=alt.Stroke("colour:N", scale=None, legend=None)))
    return layers, (f"dashed lines: {' and '.join(words)}" if words else "")


def _min_respondents(value: int | None) -> int:
    """The suppression minimum given, else the config's."""
    return int(value) if value is not None else load_rules().min_respondents


def _suppressed_layers(frame: pd.DataFrame, x: alt.X, height: int, min_respondents: int) -> list[alt.Chart]:
    """Suppressed waves: a hollow marker on the baseline and a 'suppressed (n < 11)' label; no y value.

    ``frame`` needs the column ``x`` encodes; no score is ever passed to the chart.
    """
    if frame.empty:
        return []
    label = f"suppressed (n < {min_respondents})"
    field = x.shorthand.split(":")[0] if isinstance(x.shorthand, str) else x.field
    marks = pd.DataFrame({field: frame[field].to_numpy(), "label": label, "when": frame[field].map(fmt.day).to_numpy()})
    tooltip = [alt.Tooltip("when:N", title="Survey"), alt.Tooltip("label:N", title="Score")]
    marker = alt.Chart(marks).mark_point(shape="triangle-up", filled=False, size=90, color=GREY, strokeWidth=1.5
                                         ).encode(x=x, y=alt.YValue(height - 6), tooltip=tooltip)
    text = alt.Chart(marks).mark_text(angle=270, align="left", baseline="middle", color=GREY, fontSize=11).encode(
        x=x, y=alt.YValue(height - 16), text=alt.Text("label:N"), tooltip=tooltip)
    return [marker, text]


def _finish(layers: list[alt.Chart], title: str, subtitle: str | list[str] | None = None,
            height: int = HEIGHT) -> alt.LayerChart:
    # One LayerChart construction (alt.layer(...).properties(...) would copy and re-validate it).
    return alt.LayerChart(layer=list(layers), width=WIDTH, height=height, title=_title(title, subtitle),
                          autosize=AUTOSIZE, config=_config())


def for_presentation(chart: alt.TopLevelMixin, scale: float = 1.4) -> alt.TopLevelMixin:
    """The chart with the theme's type enlarged by ``scale`` and a taller plot, for a projector."""
    scaled = chart.copy(deep=True)
    config = theme_config(scale)["config"]
    config["title"] = {**config["title"], **_config(scale).title.to_dict()}
    scaled.config = alt.Config.from_dict(config)
    height = getattr(scaled, "height", alt.Undefined)
    if isinstance(height, (int, float)):
        scaled.height = int(height * min(scale, 1.3))
    return scaled


# --------------------------------------------------------------------------- leadership


def plan_income_frame(financials: pd.DataFrame) -> pd.DataFrame:
    """Plan years, long form: one row per year and series (Plan, Actual) with labels."""
    plan = financials.dropna(subset=["planned_income"]).sort_values("year_end")
    rows = []
    for r in plan.to_dict("records"):
        fy = fy_label(r["year_end"])
        rows.append({"fy": fy, "year_end": r["year_end"], "series": "Plan", "value": r["planned_income"],
                     "value_text": fmt.money(r["planned_income"]), "label": ""})
        if not fmt.is_missing(r["income_total"]):
            rows.append({"fy": fy, "year_end": r["year_end"], "series": "Actual", "value": r["income_total"],
                         "value_text": fmt.money(r["income_total"]),
                         "label": f"{fmt.percent(r['plan_delivery'])} of plan"})
    return pd.DataFrame(rows, columns=["fy", "year_end", "series", "value", "value_text", "label"])


def plan_income_chart(financials: pd.DataFrame) -> alt.TopLevelMixin:
    """Actual against planned income for each year of the five-year plan (grouped bars)."""
    title = "Income against the five-year plan"
    frame = plan_income_frame(financials)
    if frame.empty:
        return no_data_chart(title, "No five-year plan targets on record")
    order = list(dict.fromkeys(frame["fy"]))
    base = alt.Chart(frame).encode(
        x=alt.X("fy:N", sort=order, title="Financial year", axis=alt.Axis(labelAngle=0)),
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
    rows = []
    for r in financials.sort_values("year_end").to_dict("records"):
        fy = fy_label(r["year_end"])
        for series, col in (("Plan", "planned_non_parent_share"), ("Actual", "non_parent_share")):
            if not fmt.is_missing(r[col]):
                rows.append({"fy": fy, "year_end": r["year_end"], "series": series, "share": r[col],
                             "share_text": fmt.percent(r[col])})
    return pd.DataFrame(rows, columns=["fy", "year_end", "series", "share", "share_text"])


def non_parent_share_chart(financials: pd.DataFrame) -> alt.TopLevelMixin:
    """Share of income from outside the parent commissioner: actual against the plan."""
    title = "Income from outside the parent: actual against plan"
    frame = non_parent_share_frame(financials)
    if frame.empty or not (frame["series"] == "Plan").any():
        return no_data_chart(title, "No planned non-parent share on record" if not frame.empty
                             else "No financial year on record")
    order = list(dict.fromkeys(frame.sort_values("year_end")["fy"]))
    top = max(0.1, float(frame["share"].max()) * 1.2)
    base = alt.Chart(frame).encode(
        x=alt.X("fy:N", sort=order, title="Financial year", axis=alt.Axis(labelAngle=0)),
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


def _kind_word(kind: str) -> str:
    return str(kind).replace("_", " ").capitalize()


def sessions_chart(sessions: pd.DataFrame, as_of: date) -> alt.TopLevelMixin:
    """Timeline of leadership strategy sessions with gaps beyond the indicator's amber line highlighted."""
    title = "Leadership strategy sessions"
    if sessions.empty:
        return no_data_chart(title, "No leadership strategy session on record")
    def gap_text(months) -> str:
        return "first on record" if fmt.is_missing(months) else f"{fmt.month_count(months)} after the previous"

    points = sessions.assign(kind_label=sessions["kind"].map(_kind_word), when=sessions["session_date"].map(fmt.day),
                             gap_text=sessions["months_since_previous"].map(gap_text))
    gaps = session_gaps(sessions, as_of)
    start, end = pd.Timestamp(points["session_date"].min()), pd.Timestamp(as_of)
    x_scale = alt.Scale(domain=_date_domain(start, end))
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
    return text + f"The latest was {fmt.month_count(since)} before {fmt.day(as_of)}."


# --------------------------------------------------------------------------- engagement


def phase_spans(waves: pd.DataFrame, profile: dict, as_of: date) -> pd.DataFrame:
    """Date spans of the journey's phases: options appraisal, transition, spun out.

    Options appraisal starts on the profile's options-appraisal date (else the first
    pre-spin-out wave); transition starts midway between the last options-appraisal
    wave and the first transition wave (an approximation: the data has no transition
    date); spun out runs from the spin-out date to the as-of (or ceased) date.
    """
    end = pd.Timestamp(as_of)
    ceased = _ts(profile.get("ceased_date"))
    if ceased is not None and ceased < end:
        end = ceased
    spin = _ts(profile.get("spin_out_date"))
    dates = {p: pd.to_datetime(waves.loc[waves["phase"] == p, "survey_date"]) for p, *_ in PHASES}
    oa = _ts(profile.get("options_appraisal_date"))
    if oa is None:
        pre = pd.concat([dates["options_appraisal"], dates["transition"]])
        oa = pre.min() if len(pre) else None
    tr = None
    if len(dates["transition"]):
        first_tr = dates["transition"].min()
        before = dates["options_appraisal"][dates["options_appraisal"] < first_tr]
        anchor = before.max() if len(before) else oa
        tr = first_tr if anchor is None or anchor >= first_tr else anchor + (first_tr - anchor) / 2
    rows = []
    bounds = [("options_appraisal", oa, tr or spin), ("transition", tr, spin), ("spun_out", spin, end)]
    for phase, start, stop in bounds:
        if start is None or stop is None:
            continue
        stop = min(stop, end)
        if start < stop:
            rows.append({"phase": phase, "start": start, "end": stop})
    frame = pd.DataFrame(rows, columns=["phase", "start", "end"])
    labels = {p: label for p, label, _ in PHASES}
    frame["label"] = frame["phase"].map(labels)
    frame["from_text"] = frame["start"].map(fmt.day)
    frame["to_text"] = frame["end"].map(fmt.day)
    return frame


def _peak(scored: pd.DataFrame) -> dict | None:
    if scored.empty:
        return None
    return scored.loc[scored["engagement_score"].idxmax()].to_dict()


def engagement_journey_chart(waves: pd.DataFrame, sector: pd.DataFrame, profile: dict, as_of: date,
                             min_respondents: int | None = None) -> alt.TopLevelMixin:
    """The engagement score over the journey, phases shaded, peak marked, the sector's band behind."""
    min_respondents = _min_respondents(min_respondents)
    title = "Staff engagement through the spin-out journey"
    spans = phase_spans(waves, profile, as_of)
    scored = waves.dropna(subset=["engagement_score"]).sort_values("survey_date")
    suppressed = waves[waves["engagement_score"].isna()]
    if waves.empty:
        return no_data_chart(title, "No staff survey on record")
    start = min([pd.Timestamp(waves["survey_date"].min())] + list(spans["start"]))
    end = max([pd.Timestamp(waves["survey_date"].max())] + list(spans["end"]))
    domain = _date_domain(start, end)
    x_scale = alt.Scale(domain=domain)
    band = sector.assign(date=pd.to_datetime(sector["survey_year"].astype(int).astype(str) + "-07-01")) \
        if not sector.empty else pd.DataFrame(columns=["date", "median", "q1", "q3", "waves", "survey_year"])
    band = band[(band["date"] >= start - pd.Timedelta(days=183)) & (band["date"] <= end + pd.Timedelta(days=183))]
    y_domain = _score_domain(list(scored["engagement_score"]) + list(band["q1"]) + list(band["q3"]))
    y_scale = alt.Scale(domain=y_domain, nice=False, zero=False, clamp=True)
    height = 300
    layers: list[alt.Chart] = []
    if not spans.empty:
        phase_scale = alt.Scale(domain=[label for _, label, _ in PHASES], range=[c for *_, c in PHASES])
        layers.append(alt.Chart(spans).mark_rect(opacity=0.16).encode(
            x=alt.X("start:T", scale=x_scale, title=None, axis=_time_axis(start, end)), x2=alt.X2("end:T"),
            color=alt.Color("label:N", title="Phase", scale=phase_scale),
            tooltip=[alt.Tooltip("label:N", title="Phase"), alt.Tooltip("from_text:N", title="From"),
                     alt.Tooltip("to_text:N", title="To")]))
        total = (pd.Timestamp(domain[1]) - pd.Timestamp(domain[0])).days
        wide = spans[(spans["end"] - spans["start"]).dt.days / total > 0.16]
        if not wide.empty:
            wide = wide.assign(mid=wide["start"] + (wide["end"] - wide["start"]) / 2)
            layers.append(alt.Chart(wide).mark_text(baseline="top", dy=4, color="#333333", fontStyle="italic").encode(
                x=alt.X("mid:T", scale=x_scale), y=alt.YValue(0), text=alt.Text("label:N")))
    if not band.empty:
        band = band.assign(median_text=band["median"].map(fmt.score10),
                           iqr_text=band["q1"].map(fmt.score10) + " – " + band["q3"].map(fmt.score10))
        bx = alt.X("date:T", scale=x_scale, title=None, axis=_time_axis(start, end))
        tooltip = [alt.Tooltip("survey_year:O", title="Sector, year"), alt.Tooltip("median_text:N", title="Median"),
                   alt.Tooltip("iqr_text:N", title="Middle half"), alt.Tooltip("waves:Q", title="Waves")]
        layers.append(alt.Chart(band).mark_area(color=LIGHT_GREY, opacity=0.45, clip=True).encode(
            x=bx, y=alt.Y("q1:Q", scale=y_scale), y2=alt.Y2("q3:Q"), tooltip=tooltip))
        layers.append(alt.Chart(band).mark_line(color=GREY, strokeDash=[5, 4], strokeWidth=1.5, clip=True,
                                                point=alt.OverlayMarkDef(color=GREY, size=18, clip=True)).encode(
            x=bx, y=alt.Y("median:Q", scale=y_scale), tooltip=tooltip))
    if not scored.empty:
        pts = scored.assign(when=scored["survey_date"].map(fmt.day),
                            score_text=scored["engagement_score"].map(fmt.score10),
                            phase_text=scored["phase"].map(fmt.PHASE_WORDS),
                            rate_text=scored["response_rate"].map(fmt.percent),
                            resp_text=scored["respondents"].map(fmt.count))
        sx = alt.X("survey_date:T", scale=x_scale, title=None, axis=_time_axis(start, end))
        sy = alt.Y("engagement_score:Q", scale=y_scale, title="Engagement score (0–10)")
        tooltip = [alt.Tooltip("when:N", title="Survey"), alt.Tooltip("phase_text:N", title="Phase"),
                   alt.Tooltip("score_text:N", title="Score"), alt.Tooltip("resp_text:N", title="Respondents"),
                   alt.Tooltip("rate_text:N", title="Response rate")]
        layers.append(alt.Chart(pts).mark_line(
            color=BLUE, strokeWidth=2.5, point=alt.OverlayMarkDef(filled=True, color=BLUE, size=55, opacity=1)
        ).encode(x=sx, y=sy, tooltip=tooltip))
        peak = _peak(scored)
        latest = scored.iloc[-1].to_dict()
        same = pd.Timestamp(peak["survey_date"]) == pd.Timestamp(latest["survey_date"])
        marks = [{"survey_date": peak["survey_date"], "engagement_score": peak["engagement_score"],
                  "text": f"{'Peak and latest' if same else 'Peak'} {fmt.score10(peak['engagement_score'])}",
                  "dy": -14}]
        if not same:
            marks.append({"survey_date": latest["survey_date"], "engagement_score": latest["engagement_score"],
                          "text": f"Latest {fmt.score10(latest['engagement_score'])}", "dy": 16})
        marks = pd.DataFrame(marks)
        span_days = (pd.Timestamp(domain[1]) - pd.Timestamp(domain[0])).days or 1
        marks["align"] = marks["survey_date"].map(
            lambda d: "right" if (pd.Timestamp(d) - pd.Timestamp(domain[0])).days / span_days > 0.8 else
            "left" if (pd.Timestamp(d) - pd.Timestamp(domain[0])).days / span_days < 0.2 else "center")
        layers.append(alt.Chart(marks.iloc[:1]).mark_point(shape="circle", filled=False, size=320, strokeWidth=2,
                                                           color=BLACK).encode(x=sx, y=sy))
        for align in ("left", "center", "right"):
            for dy in (-14, 16):
                part = marks[(marks["align"] == align) & (marks["dy"] == dy)]
                if not part.empty:
                    layers.append(alt.Chart(part).mark_text(fontWeight="bold", align=align, dy=dy, color=BLACK).encode(
                        x=sx, y=sy, text=alt.Text("text:N")))
    layers += _suppressed_layers(suppressed, alt.X("survey_date:T", scale=x_scale, title=None,
                                                  axis=_time_axis(start, end)), height, min_respondents)
    if scored.empty and band.empty:  # every wave suppressed: still draw the score axis
        anchor = pd.DataFrame({"y": y_domain})
        layers.append(alt.Chart(anchor).mark_point(opacity=0).encode(
            y=alt.Y("y:Q", scale=y_scale, title="Engagement score (0–10)")))
    subtitle = ["Blue: this mutual's score · dashed line and grey band: sector median and middle half",
                f"Waves with fewer than {min_respondents} respondents are suppressed, shown on the baseline"]
    return _finish(layers, title, subtitle, height=height)


def engagement_journey_caption(waves: pd.DataFrame, sector: pd.DataFrame, min_respondents: int | None = None,
                               as_of: date | None = None) -> str:
    min_respondents = _min_respondents(min_respondents)
    when = f" up to {fmt.day(as_of)}" if as_of else ""
    if waves.empty:
        return f"No staff survey is on record{when}."
    scored = waves.dropna(subset=["engagement_score"]).sort_values("survey_date")
    n_supp = int(waves["engagement_score"].isna().sum())
    supp = (f" {n_supp} of {len(waves)} wave(s) had fewer than {min_respondents} respondents and are shown as "
            f"suppressed (n < {min_respondents})." if n_supp else "")
    if scored.empty:
        return (f"No engagement score can be shown: all {len(waves)} survey wave(s) had fewer than {min_respondents} "
                f"respondents, so they appear as suppressed (n < {min_respondents}).")
    peak, latest = _peak(scored), scored.iloc[-1]
    text = (f"Engagement peaked at {fmt.score10(peak['engagement_score'])} "
            f"({fmt.PHASE_WORDS.get(peak['phase'], peak['phase'])} phase, {fmt.day(peak['survey_date'])})")
    drop = float(latest["engagement_score"] - peak["engagement_score"])
    if pd.Timestamp(latest["survey_date"]) == pd.Timestamp(peak["survey_date"]):
        text += " in the latest wave."
    else:
        text += (f" and is now {fmt.score10(latest['engagement_score'])} ({fmt.day(latest['survey_date'])}), "
                 f"{abs(drop):.1f} points {'lower' if drop < 0 else 'higher'}.")
    if not sector.empty:
        same_year = sector[sector["survey_year"] == pd.Timestamp(latest["survey_date"]).year]
        s = (same_year if len(same_year) else sector.sort_values("survey_year")).iloc[-1]
        text += (f" The sector median in {int(s['survey_year'])} was {fmt.score10(s['median'])} "
                 f"({int(s['waves'])} wave(s)).")
    return text + supp


def subscores_chart(waves: pd.DataFrame, min_respondents: int | None = None) -> alt.TopLevelMixin:
    """Motivation, involvement and advocacy over the survey waves (colour, shape and dash per sub-score)."""
    min_respondents = _min_respondents(min_respondents)
    title = "Engagement sub-scores"
    if waves.empty:
        return no_data_chart(title, "No staff survey on record")
    scored = waves.dropna(subset=["engagement_score"]).sort_values("survey_date")
    suppressed = waves[waves["engagement_score"].isna()]
    long = scored.melt(id_vars=["survey_date"], value_vars=[c for c, *_ in SUBSCORES], var_name="sub",
                       value_name="score").dropna(subset=["score"])
    labels = {c: label for c, label, *_ in SUBSCORES}
    long = long.assign(label=long["sub"].map(labels), when=long["survey_date"].map(fmt.day),
                       score_text=long["score"].map(fmt.score10))
    order = [label for _, label, *_ in SUBSCORES]
    y_domain = _score_domain(list(long["score"]))
    y_scale = alt.Scale(domain=y_domain, nice=False, zero=False, clamp=True)
    start, end = pd.Timestamp(waves["survey_date"].min()), pd.Timestamp(waves["survey_date"].max())
    x_scale = alt.Scale(domain=_date_domain(start, end, 0.04, 0.04))
    height = 260
    x = alt.X("survey_date:T", title=None, scale=x_scale, axis=_time_axis(start, end))
    y = alt.Y("score:Q", title="Sub-score (0–10)", scale=y_scale)
    colour = alt.Color("label:N", title="Sub-score", sort=order,
                       scale=alt.Scale(domain=order, range=[c for *_, c, _, _ in SUBSCORES]))
    layers: list[alt.Chart] = []
    if not long.empty:
        base = alt.Chart(long).encode(x=x, y=y, color=colour)
        layers.append(base.mark_line(strokeWidth=2).encode(
            strokeDash=alt.StrokeDash("label:N", sort=order, title="Sub-score",
                                      scale=alt.Scale(domain=order, range=[d or [1, 0] for *_, d in SUBSCORES]))))
        layers.append(base.mark_point(filled=True, size=60).encode(
            shape=alt.Shape("label:N", sort=order, title="Sub-score",
                            scale=alt.Scale(domain=order, range=[s for *_, s, _ in SUBSCORES])),
            tooltip=[alt.Tooltip("when:N", title="Survey"), alt.Tooltip("label:N", title="Sub-score"),
                     alt.Tooltip("score_text:N", title="Score")]))
    layers += _suppressed_layers(suppressed, x, height, min_respondents)
    anchor = pd.DataFrame({"score": y_domain})
    layers.append(alt.Chart(anchor).mark_point(opacity=0).encode(y=y))
    return _finish(layers, title, "Each 0–10: the mean of three survey items, weighted by respondents", height=height)


def subscores_caption(waves: pd.DataFrame, min_respondents: int | None = None) -> str:
    min_respondents = _min_respondents(min_respondents)
    scored = waves.dropna(subset=["engagement_score"]).sort_values("survey_date")
    if scored.empty:
        n = len(waves)
        return (f"No sub-scores can be shown: {n} wave(s) on record, all with fewer than {min_respondents} "
                f"respondents (suppressed)." if n else "No staff survey is on record, so there are 0 sub-scores.")
    latest, first = scored.iloc[-1], scored.iloc[0]
    parts = [f"{label.lower()} {fmt.score10(latest[c])}" for c, label, *_ in SUBSCORES]
    values = {label: latest[c] for c, label, *_ in SUBSCORES if not fmt.is_missing(latest[c])}
    lowest = min(values, key=values.get) if values else None
    text = f"Latest wave ({fmt.day(latest['survey_date'])}): {', '.join(parts)}"
    text += f"; {lowest.lower()} is the lowest." if lowest else "."
    if len(scored) > 1:
        changes = {label: float(latest[c] - first[c]) for c, label, *_ in SUBSCORES
                   if not (fmt.is_missing(latest[c]) or fmt.is_missing(first[c]))}
        if changes:
            worst = min(changes, key=changes.get)
            text += (f" Since {fmt.day(first['survey_date'])}, {worst.lower()} moved the most downward "
                     f"({fmt.score_change(changes[worst])})." if changes[worst] < 0 else
                     f" All three are at or above their {fmt.day(first['survey_date'])} level.")
    return text


def _wave_label(dates: pd.Series) -> pd.Series:
    labels = dates.map(lambda d: pd.Timestamp(d).strftime("%b %Y"))
    if labels.duplicated().any():
        labels = dates.map(fmt.day)
    return labels


def response_rate_chart(waves: pd.DataFrame, min_respondents: int | None = None) -> alt.TopLevelMixin:
    """Survey response rate per wave, with the green and amber thresholds."""
    min_respondents = _min_respondents(min_respondents)
    title = "Survey response rate"
    frame = waves.dropna(subset=["response_rate"]).sort_values("survey_date")
    if frame.empty:
        return no_data_chart(title, "No staff survey on record")
    frame = frame.assign(
        wave=_wave_label(frame["survey_date"]), rate_text=frame["response_rate"].map(fmt.percent),
        score_text=np.where(frame["engagement_score"].isna(), f"suppressed (n < {min_respondents})", "reported"),
        label=[f"{r} · score suppressed" if s else r for r, s in zip(frame["response_rate"].map(fmt.percent),
                                                                  frame["engagement_score"].isna())],
        kind=np.where(frame["engagement_score"].isna(), "Score suppressed", "Score reported"),
    )
    order = list(frame["wave"])
    top = max(0.6, float(frame["response_rate"].max()) + 0.12)
    y_domain = [0, min(1.0, top) if top <= 1 else top]
    base = alt.Chart(frame).encode(
        x=alt.X("wave:N", sort=order, title="Survey wave", axis=alt.Axis(labelAngle=-30 if len(order) > 8 else 0)),
        y=alt.Y("response_rate:Q", title="Staff who answered", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=y_domain, nice=False)),
        tooltip=[alt.Tooltip("wave:N", title="Wave"), alt.Tooltip("rate_text:N", title="Response rate"),
                 alt.Tooltip("score_text:N", title="Score")],
    )
    bars = base.mark_bar(size=min(40, int(WIDTH / max(1, len(order)) * 0.6)), stroke=BLUE).encode(
        fillOpacity=alt.FillOpacity("kind:N", title=None,
                                    scale=alt.Scale(domain=["Score reported", "Score suppressed"], range=[0.9, 0.25])),
        color=alt.ColorValue(BLUE))
    labels = base.mark_text(baseline="bottom", dy=-3).encode(text=alt.Text("label:N"))
    guides, words = _threshold_rules("response_rate", y_domain)
    return _finish(guides + [bars, labels], title,
                   f"Pale bars: waves whose score is suppressed (fewer than {min_respondents} respondents) · {words}")


def response_rate_caption(waves: pd.DataFrame) -> str:
    frame = waves.dropna(subset=["response_rate"]).sort_values("survey_date")
    if frame.empty:
        return "No staff survey is on record, so there are 0 response rates to show."
    latest = frame.iloc[-1]
    green = load_rules().by_column("response_rate").green
    met = int((frame["response_rate"].round(9) >= green).sum())
    return (f"{fmt.percent(latest['response_rate'])} of staff answered the latest survey "
            f"({fmt.day(latest['survey_date'])}); {met} of {len(frame)} wave(s) reached the "
            f"{fmt.percent(green)} green mark, and the average was {fmt.percent(frame['response_rate'].mean())}.")


def innovation_frame(innovations: pd.DataFrame) -> pd.DataFrame:
    stages = {s: label for s, label in INNOVATION_STAGES}
    origins = {o: label for o, label, _ in ORIGINS}
    frame = innovations.assign(stage=innovations["status"].map(stages),
                               origin_label=innovations["origin"].map(lambda o: origins.get(o, str(o).capitalize())))
    grouped = (frame.groupby(["stage", "origin_label"], as_index=False)
               .agg(count=("title", "size"), saving=("annual_saving", "sum")))
    return grouped


def innovation_chart(innovations: pd.DataFrame) -> alt.TopLevelMixin:
    """The innovation pipeline: ideas, pilots and embedded changes by origin, with annual savings."""
    title = "Innovation pipeline"
    if innovations.empty:
        return no_data_chart(title, "No innovation on record")
    grouped = innovation_frame(innovations)
    order = [label for _, label in INNOVATION_STAGES]
    totals = grouped.groupby("stage", as_index=False).agg(count=("count", "sum"), saving=("saving", "sum"))
    totals["label"] = [f"{c} · {fmt.money(s)} a year" if s > 0 else f"{c}" for c, s in
                       zip(totals["count"], totals["saving"])]
    origin_order = [label for _, label, _ in ORIGINS]
    grouped = grouped.assign(saving_text=grouped["saving"].map(fmt.money))
    y = alt.Y("stage:N", sort=order, title=None, scale=alt.Scale(domain=order))
    bars = alt.Chart(grouped).mark_bar(stroke="white", strokeWidth=1).encode(
        y=y, x=alt.X("count:Q", title="Innovations", stack="zero", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("origin_label:N", title="Came from", sort=origin_order,
                        scale=alt.Scale(domain=origin_order, range=[c for *_, c in ORIGINS])),
        order=alt.Order("origin_label:N", sort="ascending"),
        tooltip=[alt.Tooltip("stage:N", title="Stage"), alt.Tooltip("origin_label:N", title="From"),
                 alt.Tooltip("count:Q", title="Innovations"), alt.Tooltip("saving_text:N", title="Annual saving")])
    max_count = float(totals["count"].max())
    labels = alt.Chart(totals).mark_text(align="left", dx=5, fontWeight="bold").encode(
        y=y, x=alt.X("count:Q", scale=alt.Scale(domain=[0, max_count * 1.35 + 1])), text=alt.Text("label:N"))
    return _finish([bars, labels], title, "Innovations to date by stage, with the annual savings claimed",
                   height=150)


def innovation_caption(innovations: pd.DataFrame) -> str:
    if innovations.empty:
        return "No innovation is on record: 0 ideas, 0 pilots, 0 embedded."
    counts = innovations["status"].value_counts()
    embedded = innovations[innovations["status"] == "embedded"]
    staff = int((innovations["origin"] == "staff").sum())
    return (f"{len(innovations)} innovation(s) on record: {int(counts.get('embedded', 0))} embedded, saving "
            f"{fmt.money(embedded['annual_saving'].sum())} a year, {int(counts.get('piloted', 0))} piloted and "
            f"{int(counts.get('idea', 0))} idea(s); {staff} came from staff.")


# --------------------------------------------------------------------------- relationship


def contract_frame(contracts: pd.DataFrame, parent_commissioner_id: str | None = None) -> pd.DataFrame:
    frame = cap_columns(contracts.sort_values(["start_date", "contract_id"]).reset_index(drop=True))
    titles = frame["title"].map(lambda t: cap(t, 42))
    frame["row"] = [f"{t} ({i + 1})" if titles.duplicated(keep=False).iloc[i] else t for i, t in enumerate(titles)]
    is_parent = frame["commissioner_id"] == parent_commissioner_id
    frame["commissioner"] = np.where(is_parent, frame["commissioner_name"] + " (parent)", frame["commissioner_name"])
    # Outcomes in words (chart fonts for PDF/PNG export lack the symbol glyphs).
    frame["outcome_text"] = frame["outcome"].map(lambda o: OUTCOMES.get(o, ("", str(o)))[1])
    frame["value_text"] = frame["annual_value"].map(fmt.money)
    frame["label"] = frame["value_text"] + " a year · " + frame["outcome_text"].str.lower()
    frame["start_text"] = frame["start_date"].map(fmt.day)
    frame["end_text"] = frame["end_date"].map(fmt.day)
    frame["max_end_text"] = frame["max_end_date"].map(fmt.day)
    frame["label_at"] = frame[["end_date", "max_end_date"]].max(axis=1)
    return frame


def contract_gantt(contracts: pd.DataFrame, as_of: date, parent_commissioner_id: str | None = None
                   ) -> alt.TopLevelMixin:
    """Each contract's term (solid) and extension options (pale, dashed), the value and outcome, and today."""
    title = "Contracts: terms, extension options and outcomes"
    if contracts.empty:
        return no_data_chart(title, "No contract on record")
    frame = contract_frame(contracts, parent_commissioner_id)
    rows = list(frame["row"])
    start = pd.Timestamp(frame["start_date"].min())
    last = max(pd.Timestamp(frame["label_at"].max()), pd.Timestamp(as_of), start + pd.Timedelta(days=365))
    # Room on the right of each bar for its label (about 5.8 px a character at 12 px type).
    origin = start - (last - start) * 0.02
    plot_width = WIDTH - min(260, 6.2 * frame["row"].str.len().max()) - 24  # less the y-axis labels
    needed = [(pd.Timestamp(at) - origin) / (1 - min(0.6, (5.8 * len(text) + 12) / plot_width))
              for at, text in zip(frame["label_at"], frame["label"])]
    end = max(needed + [(last - origin) * 1.03])
    x_scale = alt.Scale(domain=[_iso(origin), _iso(origin + end)])
    commissioners = list(dict.fromkeys(frame.sort_values("commissioner", key=lambda s: ~s.str.endswith("(parent)"))
                                       ["commissioner"]))
    palette = alt.Scale(domain=commissioners, range=[OKABE_ITO[i % 7] for i in range(len(commissioners))])
    colour = alt.Color("commissioner:N", title="Commissioner", sort=commissioners, scale=palette,
                       legend=alt.Legend(columns=2, labelLimit=260))
    y = alt.Y("row:N", sort=rows, title=None, axis=alt.Axis(labelLimit=260))
    tooltip = [alt.Tooltip("title:N", title="Contract"), alt.Tooltip("commissioner:N", title="Commissioner"),
               alt.Tooltip("start_text:N", title="Start"), alt.Tooltip("end_text:N", title="End"),
               alt.Tooltip("max_end_text:N", title="Latest end with extensions"),
               alt.Tooltip("value_text:N", title="Annual value"), alt.Tooltip("outcome_text:N", title="Outcome")]
    x = alt.X("start_date:T", scale=x_scale, title=None, axis=_time_axis(start, last))
    terms = alt.Chart(frame).mark_bar(height=14, cornerRadius=2).encode(
        x=x, x2=alt.X2("end_date:T"), y=y, color=colour, tooltip=tooltip)
    ext = frame[frame["max_end_date"] > frame["end_date"]]
    layers = [terms]
    if not ext.empty:
        layers.append(alt.Chart(ext).mark_bar(height=14, fillOpacity=0.22, strokeDash=[4, 2], strokeWidth=1.3,
                                              cornerRadius=2).encode(
            x=alt.X("end_date:T", scale=x_scale), x2=alt.X2("max_end_date:T"), y=y, color=colour,
            stroke=alt.Stroke("commissioner:N", sort=commissioners, legend=None, scale=palette),
            tooltip=tooltip))
    layers.append(alt.Chart(frame).mark_text(align="left", dx=5, color="#222222").encode(
        x=alt.X("label_at:T", scale=x_scale), y=y, text=alt.Text("label:N"), tooltip=tooltip))
    today = pd.DataFrame({"date": [pd.Timestamp(as_of)], "label": [f"As of {fmt.day(as_of)}"]})
    layers.append(alt.Chart(today).mark_rule(color=BLACK, strokeDash=[3, 3], strokeWidth=1.5).encode(
        x=alt.X("date:T", scale=x_scale)))
    layers.append(alt.Chart(today).mark_text(align="left", baseline="top", dx=4, dy=2, color=BLACK,
                                             fontWeight="bold").encode(
        x=alt.X("date:T", scale=x_scale), y=alt.YValue(0), text=alt.Text("label:N")))
    height = max(100, 30 * len(rows) + 24)
    return _finish(layers, title, "Solid bar: contract term · pale dashed bar: extension options up to the "
                                  "latest possible end · dashed line: the as-of date", height=height)


def contract_caption(contracts: pd.DataFrame, as_of: date) -> str:
    if contracts.empty:
        return f"No contract is on record up to {fmt.day(as_of)}."
    active = contracts[contracts["active"].astype(bool)]
    lost = int((contracts["outcome"] == "lost_at_retender").sum())
    lost_text = f" {lost} contract(s) were lost at re-tender." if lost else ""
    if active.empty:
        return (f"None of the {len(contracts)} contract(s) on record is active on {fmt.day(as_of)}." + lost_text)
    main = active.sort_values("annual_value", ascending=False).iloc[0]
    months = (pd.Timestamp(main["end_date"]) - pd.Timestamp(as_of)).days / load_rules().days_per_month
    ext = (f", extendable to {fmt.day(main['max_end_date'])}"
           if pd.Timestamp(main["max_end_date"]) > pd.Timestamp(main["end_date"]) else ", with no extension option")
    return (f"{len(active)} active contract(s) worth {fmt.money(active['annual_value'].sum())} a year. The largest, "
            f"{cap(main['title'])} ({fmt.money(main['annual_value'])} a year with {cap(main['commissioner_name'])}), ends on "
            f"{fmt.day(main['end_date'])}, in {fmt.month_count(max(months, 0))}{ext}." + lost_text)


def income_sources_frame(financials: pd.DataFrame) -> pd.DataFrame:
    years = financials.dropna(subset=["income_total"]).sort_values("year_end")
    rows = []
    for r in years.to_dict("records"):
        for col, label, _ in INCOME_SOURCES:
            share = r[col] / r["income_total"] if r["income_total"] else np.nan
            rows.append({"fy": fy_label(r["year_end"]), "year_end": r["year_end"], "source": label,
                         "amount": r[col], "amount_text": fmt.money(r[col]), "share_text": fmt.percent(share)})
    return pd.DataFrame(rows, columns=["fy", "year_end", "source", "amount", "amount_text", "share_text"])


def income_sources_chart(financials: pd.DataFrame) -> alt.TopLevelMixin:
    """Income by source each financial year: parent commissioner, other public bodies, non-public."""
    title = "Income by source"
    frame = income_sources_frame(financials)
    if frame.empty:
        return no_data_chart(title, "No financial year on record")
    order = list(dict.fromkeys(frame["fy"]))
    sources = [label for _, label, _ in INCOME_SOURCES]
    frame["stack"] = frame["source"].map({s: i for i, s in enumerate(sources)})
    x = alt.X("fy:N", sort=order, title="Financial year", axis=alt.Axis(labelAngle=-30 if len(order) > 8 else 0))
    few = {"size": 70} if len(order) <= 4 else {}  # no wall-to-wall bars for a young mutual
    bars = alt.Chart(frame).mark_bar(stroke="white", strokeWidth=0.8, **few).encode(
        x=x, y=alt.Y("amount:Q", title="Income", stack="zero", axis=alt.Axis(labelExpr=MONEY_AXIS)),
        color=alt.Color("source:N", title="Source", sort=sources,
                        scale=alt.Scale(domain=sources, range=[c for *_, c in INCOME_SOURCES])),
        order=alt.Order("stack:Q", sort="ascending"),
        tooltip=[alt.Tooltip("fy:N", title="Year"), alt.Tooltip("source:N", title="Source"),
                 alt.Tooltip("amount_text:N", title="Income"), alt.Tooltip("share_text:N", title="Share")])
    totals = financials.dropna(subset=["income_total"]).sort_values("year_end")
    totals = pd.DataFrame({"fy": totals["year_end"].map(fy_label), "total": totals["income_total"],
                           "label": [f"{fmt.percent(p / t) if t else '–'} parent" for p, t in
                                     zip(totals["income_parent"], totals["income_total"])]})
    labels = alt.Chart(totals).mark_text(baseline="bottom", dy=-3, fontSize=11).encode(
        x=x, y=alt.Y("total:Q"), text=alt.Text("label:N"))
    return _finish([bars, labels], title, "Stacked by source; the label is the parent commissioner's share")


def income_sources_caption(financials: pd.DataFrame) -> str:
    years = financials.dropna(subset=["income_total"]).sort_values("year_end")
    years = years[years["income_total"] > 0]
    if years.empty:
        return "No financial year is on record, so 0 years of income by source can be shown."
    last, first = years.iloc[-1], years.iloc[0]
    share = last["income_parent"] / last["income_total"]
    text = (f"In {fy_label(last['year_end'])}, {fmt.percent(share)} of {fmt.money(last['income_total'])} income "
            f"came from the parent commissioner")
    if len(years) > 1:
        before = first["income_parent"] / first["income_total"]
        text += (f", {'down' if share < before else 'up' if share > before else 'unchanged'} from "
                 f"{fmt.percent(before)} in {fy_label(first['year_end'])}")
    return text + f"; {fmt.percent(last['income_non_public'] / last['income_total'])} was non-public income."


def reviews_chart(reviews: pd.DataFrame) -> alt.TopLevelMixin:
    """Commissioner relationship review ratings (1–5) over time, one series per commissioner."""
    title = "Commissioner relationship reviews"
    if reviews.empty:
        return no_data_chart(title, "No commissioner review on record")
    frame = cap_columns(reviews).assign(when=reviews["review_date"].map(fmt.day), kind_text=reviews["kind"].map(_kind_word),
                           rating_text=reviews["rating"].map(lambda r: f"{int(r)}/5"))
    names = list(dict.fromkeys(frame["commissioner_name"]))
    shapes = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "wedge"]
    colour = alt.Color("commissioner_name:N", title="Commissioner", sort=names,
                       scale=alt.Scale(domain=names, range=[OKABE_ITO[i % 7] for i in range(len(names))]),
                       legend=alt.Legend(columns=2, labelLimit=260))
    start, end = pd.Timestamp(frame["review_date"].min()), pd.Timestamp(frame["review_date"].max())
    x = alt.X("review_date:T", title=None, scale=alt.Scale(domain=_date_domain(start, end, 0.04, 0.04)),
              axis=_time_axis(start, end))
    y = alt.Y("rating:Q", title="Rating (1–5)", scale=alt.Scale(domain=[0.8, 5.2], nice=False),
              axis=alt.Axis(values=[1, 2, 3, 4, 5], format="d"))
    base = alt.Chart(frame).encode(x=x, y=y, color=colour)
    lines = base.mark_line(strokeWidth=1.5, opacity=0.7)
    points = base.mark_point(filled=True, size=80, opacity=0.95).encode(
        shape=alt.Shape("commissioner_name:N", sort=names, title="Commissioner",
                        scale=alt.Scale(domain=names, range=[shapes[i % len(shapes)] for i in range(len(names))])),
        tooltip=[alt.Tooltip("when:N", title="Review"), alt.Tooltip("commissioner_name:N", title="Commissioner"),
                 alt.Tooltip("kind_text:N", title="Kind"), alt.Tooltip("rating_text:N", title="Rating")])
    guides, words = _threshold_rules("relationship_rating", [0.8, 5.2])
    return _finish(guides + [lines, points], title, f"Each review's rating from 1 (poor) to 5 (excellent) · {words}",
                   height=220)


def reviews_caption(reviews: pd.DataFrame) -> str:
    if reviews.empty:
        return "No commissioner review is on record (0 reviews)."
    last_date = reviews["review_date"].max()
    latest = reviews[reviews["review_date"] == last_date]
    parts = ", ".join(f"{cap(r['commissioner_name'])} {int(r['rating'])}/5" for r in latest.to_dict("records"))
    return (f"{len(reviews)} review(s) by {reviews['commissioner_name'].nunique()} commissioner(s) since "
            f"{fmt.day(reviews['review_date'].min())}, averaging {fmt.rating5(reviews['rating'].mean())}. "
            f"Latest ({fmt.day(last_date)}): {parts}.")


# --------------------------------------------------------------------------- finance


def finance_frame(financials: pd.DataFrame, sector: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Long form: this mutual and the sector median of ``metric`` for the mutual's own financial years."""
    ind = load_rules().by_column(metric)
    own = financials.dropna(subset=[metric])[["year_end", metric]].assign(series="This mutual")
    rows = [own]
    if not own.empty and not sector.empty:
        sec = sector.dropna(subset=[metric])
        sec = sec[sec["year_end"].isin(set(own["year_end"]))]
        rows.append(sec[["year_end", metric]].assign(series="Sector median"))
    frame = pd.concat(rows, ignore_index=True).rename(columns={metric: "value"})
    frame["fy"] = frame["year_end"].map(fy_label)
    frame["value_text"] = frame["value"].map(lambda v: fmt.format_value(v, ind.format))
    return frame.sort_values(["year_end", "series"]).reset_index(drop=True)


def finance_chart(financials: pd.DataFrame, sector: pd.DataFrame, metric: str) -> alt.TopLevelMixin:
    """One finance ratio over the financial years against the sector median, with the thresholds."""
    label, axis_title, axis_format = FINANCE_METRICS[metric]
    title = f"{label} against the sector median"
    frame = finance_frame(financials, sector, metric)
    if frame.empty or not (frame["series"] == "This mutual").any():
        return no_data_chart(title, f"No financial year with a {label.lower()} figure on record")
    ind = load_rules().by_column(metric)
    values = list(frame["value"]) + [ind.green, ind.amber]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.15 or abs(hi) * 0.2 or 1
    y_domain = [lo - pad, hi + pad]
    if metric == "reserves_months" and lo >= 0:
        y_domain[0] = 0
    order = list(dict.fromkeys(frame["fy"]))
    x = alt.X("fy:N", sort=order, title="Financial year",
              axis=alt.Axis(labelAngle=-30 if len(order) > 8 else 0), scale=alt.Scale(paddingOuter=0.3))
    y = alt.Y("value:Q", title=axis_title, axis=alt.Axis(format=axis_format),
              scale=alt.Scale(domain=y_domain, nice=False, zero=False))
    series = ["This mutual", "Sector median"]
    base = alt.Chart(frame).encode(
        x=x, y=y,
        color=alt.Color("series:N", title=None, sort=series, scale=alt.Scale(domain=series, range=[BLUE, GREY]),
                        legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=2.5, symbolSize=300)),
        tooltip=[alt.Tooltip("fy:N", title="Year"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("value_text:N", title=label)])
    lines = base.mark_line(strokeWidth=2.2, point=alt.OverlayMarkDef(filled=True, size=50)).encode(
        strokeDash=alt.StrokeDash("series:N", sort=series, title=None,
                                  scale=alt.Scale(domain=series, range=[[1, 0], [5, 4]])))
    own = frame[frame["series"] == "This mutual"]
    latest = own.iloc[[-1]]
    label_layer = alt.Chart(latest).mark_text(dy=-12, fontWeight="bold", color=BLUE).encode(
        x=x, y=y, text=alt.Text("value_text:N"))
    guides, words = _threshold_rules(metric, y_domain, zero=True)
    layers = guides + [lines, label_layer]
    return _finish(layers, title, f"Blue: this mutual · grey: median of its sector in the same year · {words}",
                   height=220)


def finance_caption(financials: pd.DataFrame, sector: pd.DataFrame, metric: str) -> str:
    label = FINANCE_METRICS[metric][0]
    ind = load_rules().by_column(metric)
    f = lambda v: fmt.format_value(v, ind.format)  # noqa: E731
    own = financials.dropna(subset=[metric]).sort_values("year_end")
    if own.empty:
        return f"No financial year with a {label.lower()} figure is on record (0 years)."
    last = own.iloc[-1]
    year = fy_label(last["year_end"])
    value = float(last[metric])
    sec = sector[sector["year_end"] == last["year_end"]].dropna(subset=[metric]) if not sector.empty else sector
    median = (f" against a sector median of {f(sec[metric].iloc[0])} ({int(sec['mutuals'].iloc[0])} mutual(s))"
              if len(sec) else "; no sector median for that year")
    if metric == "reserves_months":
        before = (f", {'up' if value > own.iloc[-2][metric] else 'down'} from {f(own.iloc[-2][metric])} a year "
                  "earlier" if len(own) > 1 and value != own.iloc[-2][metric] else "")
        return (f"Reserves covered {f(value)} of spending at the end of {year}{before}{median}. "
                f"Under {ind.green:g} months is thin.")
    if metric == "surplus_margin":
        deficits = int((own[metric] < 0).sum())
        return (f"The surplus margin was {fmt.percent(value)} in {year}{median}; "
                f"{deficits} of {len(own)} year(s) ended in deficit.")
    falls = int((own[metric] < 0).sum())
    return (f"Income {'grew' if value >= 0 else 'fell'} {fmt.percent(abs(value))} in {year}{median}; "
            f"income fell in {falls} of {len(own)} year(s) with a year-before comparison.")


# --------------------------------------------------------------------------- assembly


def mutual_charts(view) -> dict[str, list[ChartSpec]]:
    """Every chart for a MutualView, by factor; a chart with no data says so (never raises)."""
    fin, as_of = view.financials, view.as_of
    waves, n = view.waves, view.min_respondents
    parent = view.profile.get("parent_commissioner_id")

    def spec(key: str, chart: alt.TopLevelMixin, caption: str) -> ChartSpec:
        title = chart.title.text if isinstance(chart.title, alt.TitleParams) else str(chart.title)
        return ChartSpec(key=key, title=title, chart=chart, caption=caption)

    return {
        "leadership": [
            spec("plan-income", plan_income_chart(fin), plan_income_caption(fin)),
            spec("non-parent-share", non_parent_share_chart(fin), non_parent_share_caption(fin)),
            spec("strategy-sessions", sessions_chart(view.sessions, as_of), sessions_caption(view.sessions, as_of)),
        ],
        "engagement": [
            spec("engagement-journey",
                 engagement_journey_chart(waves, view.sector_engagement, view.profile, as_of, n),
                 engagement_journey_caption(waves, view.sector_engagement, n, as_of)),
            spec("engagement-subscores", subscores_chart(waves, n), subscores_caption(waves, n)),
            spec("response-rate", response_rate_chart(waves, n), response_rate_caption(waves)),
            spec("innovation-pipeline", innovation_chart(view.innovations), innovation_caption(view.innovations)),
        ],
        "relationship": [
            spec("contracts", contract_gantt(view.contracts, as_of, parent), contract_caption(view.contracts, as_of)),
            spec("income-sources", income_sources_chart(fin), income_sources_caption(fin)),
            spec("relationship-reviews", reviews_chart(view.reviews), reviews_caption(view.reviews)),
        ],
        "finance": [
            spec(metric.replace("_", "-"), finance_chart(fin, view.sector_finance, metric),
                 finance_caption(fin, view.sector_finance, metric))
            for metric in FINANCE_METRICS
        ],
    }


# --------------------------------------------------------------------------- tables for download


def waves_table(waves: pd.DataFrame, min_respondents: int | None = None) -> pd.DataFrame:
    """Survey waves as shown: a suppressed wave's scores read 'suppressed (n < 11)', never a number."""
    min_respondents = _min_respondents(min_respondents)
    label = f"suppressed (n < {min_respondents})"
    out = pd.DataFrame({
        "survey_date": waves["survey_date"].map(lambda d: pd.Timestamp(d).date()),
        "phase": waves["phase"].map(lambda p: fmt.PHASE_WORDS.get(p, p)),
        "respondents": waves["respondents"].map(fmt.count),
        "eligible_staff": waves["eligible_staff"].map(fmt.count),
        "response_rate": waves["response_rate"].map(fmt.percent),
    })
    for col in ("engagement_score", "motivation", "involvement", "advocacy"):
        out[col] = [label if s else fmt.score10(v) for v, s in zip(waves[col], waves["engagement_score"].isna())]
    return out


def download_tables(view) -> dict[str, pd.DataFrame]:
    """The tables behind the page, shaped for reading and CSV download (formatted text, no hidden numbers)."""
    from mutuals.services.mutual import indicator_table

    table = indicator_table(view)
    indicators = table[["area", "label", "value_text", "status_text", "change_text", "sector_median_text",
                        "sector_n"]].rename(columns={
                            "label": "indicator", "value_text": "value", "status_text": "status",
                            "change_text": "change_on_a_year", "sector_median_text": "sector_median"})
    c = view.contracts
    contracts = pd.DataFrame({
        "contract_id": c["contract_id"], "title": c["title"], "commissioner": c["commissioner_name"],
        "start_date": c["start_date"].map(fmt.as_date), "end_date": c["end_date"].map(fmt.as_date),
        "max_end_date": c["max_end_date"].map(fmt.as_date), "annual_value": c["annual_value"].map(fmt.money),
        "outcome": c["outcome"].map(lambda o: OUTCOMES.get(o, ("", str(o)))[1]),
        "active": c["active"].map(lambda a: "yes" if a else "no"),
    })
    f = view.financials.dropna(subset=["income_total"])
    financials = pd.DataFrame({
        "financial_year": f["year_end"].map(fy_label), "year_end": f["year_end"].map(fmt.as_date),
        "income_total": f["income_total"].map(fmt.money), "income_parent": f["income_parent"].map(fmt.money),
        "income_other_public": f["income_other_public"].map(fmt.money),
        "income_non_public": f["income_non_public"].map(fmt.money), "expenditure": f["expenditure"].map(fmt.money),
        "reserves_months": f["reserves_months"].map(fmt.months), "surplus_margin": f["surplus_margin"].map(fmt.percent),
        "income_growth": f["income_growth"].map(fmt.percent),
        "planned_income": f["planned_income"].map(fmt.money), "plan_delivery": f["plan_delivery"].map(fmt.percent),
    })
    return {"indicators": indicators, "contracts": contracts,
            "waves": waves_table(view.waves, view.min_respondents), "financials": financials}
