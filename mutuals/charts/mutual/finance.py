"""Finance charts: reserves cover, surplus margin and income growth against the sector median."""

from __future__ import annotations

import altair as alt
import pandas as pd

from mutuals import formatting as fmt
from mutuals.charts.mutual.common import (
    BLUE,
    FINANCE_METRICS,
    GREY,
    _by_year,
    _finish,
    _fy_x,
    _threshold_rules,
    fy_label,
    no_data_chart,
)
from mutuals.rules import load_rules


def finance_frame(financials: pd.DataFrame, sector: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Long form: this mutual and the sector median of ``metric`` for the mutual's own financial years."""
    ind = load_rules().by_column(metric)
    own = financials.dropna(subset=[metric])[["year_end", metric]]
    series = {metric: "This mutual"}
    if not own.empty and not sector.empty:
        median = sector.dropna(subset=[metric])[["year_end", metric]].rename(columns={metric: "sector_median"})
        own = own.merge(median, on="year_end", how="left")
        series["sector_median"] = "Sector median"
    frame = _by_year(own, series, "series", "value", lambda v: fmt.format_value(v, ind.format))
    return (frame[["year_end", "value", "series", "fy", "value_text"]].sort_values(["year_end", "series"])
            .reset_index(drop=True))


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
    x = _fy_x(frame, tilt_over=8, scale=alt.Scale(paddingOuter=0.3))
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

