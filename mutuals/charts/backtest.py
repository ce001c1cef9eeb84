"""The backtest chart: event rate by overall status, with Wilson intervals and the pooled rate."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from mutuals import formatting as fmt
from mutuals.services import backtest_tables as bt_text
from mutuals.services.backtest import BacktestResult


def _pct(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def rate_frame(result: BacktestResult) -> pd.DataFrame:
    """One row per trading status, least to most severe, with the display text for tooltips."""
    p = result.pooled.set_index("overall_status").reindex(list(result.statuses)).reset_index()
    styles = [fmt.status_style(s) for s in p["overall_status"]]
    return pd.DataFrame({
        "overall_status": p["overall_status"],
        "label": [s.label for s in styles],
        "colour": [s.colour for s in styles],
        "trading": p["trading"].astype(int),
        "events": p["events"].astype(int),
        "rate": p["rate"].astype(float),
        "low": p["low"].astype(float),
        "high": p["high"].astype(float),
        "rate_text": [_pct(v) if n else "no cases" for v, n in zip(p["rate"], p["trading"])],
        "label_y": [0.0 if math.isnan(v) else v for v in p["high"].astype(float)],
        "interval_text": [f"{_pct(lo)}–{_pct(hi)}" for lo, hi in zip(p["low"], p["high"])],
        "lift_text": ["–" if math.isnan(v) else f"{v:.2f}×" for v in p["lift"]],
    })


def event_rate_chart(result: BacktestResult) -> alt.LayerChart:
    """Bars of the event rate per overall status on D (least to most severe), the Wilson interval as error
    bars, and the pooled rate of all trading mutuals as a dashed rule."""
    frame = rate_frame(result)
    order = list(frame["label"])
    x = alt.X("label:N", sort=order, title="Overall status on the as-of date", axis=alt.Axis(labelAngle=0),
              scale=alt.Scale(paddingInner=0.3))
    tooltip = [alt.Tooltip("label:N", title="Status"), alt.Tooltip("rate_text:N", title="Event rate"),
               alt.Tooltip("interval_text:N", title=f"{result.confidence:.0%} interval"),
               alt.Tooltip("events:Q", title="Adverse events"), alt.Tooltip("trading:Q", title="Mutual-dates"),
               alt.Tooltip("lift_text:N", title="Lift")]
    top = max([0.05, *(v for v in frame["high"] if not math.isnan(v))])
    y_scale = alt.Scale(domain=[0, min(1.0, top * 1.15)])
    bars = alt.Chart(frame).mark_bar(stroke="black", strokeWidth=0.5).encode(
        x=x,
        y=alt.Y("rate:Q", title=f"Adverse events within {result.horizon_years} years", axis=alt.Axis(format="%"),
                scale=y_scale),
        color=alt.Color("label:N", scale=alt.Scale(domain=order, range=list(frame["colour"])), legend=None),
        tooltip=tooltip,
    )
    errors = alt.Chart(frame).mark_errorbar(ticks={"width": 14}, color="#222", thickness=1.5).encode(
        x=x, y=alt.Y("low:Q", title=None, scale=y_scale), y2="high:Q", tooltip=tooltip)
    labels = alt.Chart(frame).mark_text(dy=-5, baseline="bottom", color="#222", fontWeight="bold").encode(
        x=x, y=alt.Y("label_y:Q", scale=y_scale), text="rate_text:N")
    layers = [bars, errors, labels]
    if result.pooled_rate is not None:
        pooled = pd.DataFrame({"rate": [result.pooled_rate], "text": [f"Pooled rate {_pct(result.pooled_rate)}"]})
        layers.append(alt.Chart(pooled).mark_rule(strokeDash=[5, 4], color="#555", strokeWidth=1.5).encode(
            y=alt.Y("rate:Q", scale=y_scale)))
        layers.append(alt.Chart(pooled).mark_text(align="left", baseline="middle", dx=6, color="#333").encode(
            y=alt.Y("rate:Q", scale=y_scale), x=alt.value("width"), text="text:N"))
    return alt.layer(*layers).properties(height=320, width=520)


def event_rate_caption(result: BacktestResult) -> str:
    """The takeaway in numbers: the flagged statuses' event rates with their lift, and the recall."""
    return bt_text.headline(result)
