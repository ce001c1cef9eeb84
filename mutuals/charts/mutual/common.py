"""What the mutual charts share: the spec type, sizes, colours, axes, titles, threshold lines and the no-data chart.

The area modules (leadership, engagement, relationship, finance) import from here; nothing here imports them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from mutuals import formatting as fmt
from mutuals.charts.theme import OKABE_ITO, theme_config
from mutuals.rules import load_rules
from mutuals.services.mutual_tables import OUTCOMES, fy_label, outcome_word

__all__ = [
    "AUTOSIZE", "BLACK", "BLUE", "FINANCE_METRICS", "GREEN", "GREY", "HEIGHT", "INCOME_SOURCES", "INNOVATION_STAGES",
    "LIGHT_GREY", "MONEY_AXIS", "MONTH_AXIS", "OKABE_ITO", "ORANGE", "ORIGINS", "OUTCOMES", "PHASES", "PINK", "SKY",
    "SUBSCORES", "VERMILION", "WIDTH", "YEAR_AXIS", "YELLOW", "ChartSpec", "fy_label", "for_presentation",
    "no_data_chart", "outcome_word",
]

WIDTH = 700
HEIGHT = 260
# The width (700 px, or the page column on screen) includes the axes and legend; the height is the plot's own,
# so a chart stretched to the page keeps its height (Streamlit would otherwise squeeze everything into it).
AUTOSIZE = alt.AutoSizeParams(type="fit-x", contains="padding")
BLUE, ORANGE, GREEN, PINK, SKY, VERMILION, YELLOW, BLACK = OKABE_ITO
GREY = "#666666"
LIGHT_GREY = "#BBBBBB"
YEAR_AXIS = alt.Axis(format="%Y", tickCount="year", labelOverlap=True)
MONTH_AXIS = alt.Axis(format="%b %Y", tickCount="month", labelOverlap=True)
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


def _time_axis(start, end) -> alt.Axis:
    """Whole years on long spans; months and years on spans under three years."""
    return YEAR_AXIS if (pd.Timestamp(end) - pd.Timestamp(start)).days > 3 * 365 else MONTH_AXIS


def _ts(value: Any) -> pd.Timestamp | None:
    return None if fmt.is_missing(value) else pd.Timestamp(value)


def _iso(value: Any) -> str:
    return pd.Timestamp(value).isoformat()


def _kind_word(kind: str) -> str:
    return str(kind).replace("_", " ").capitalize()


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
                 pad_right: float = 0.02, until: Any = None) -> list[str]:
    """A padded date domain; with ``until`` (a ceased date) it ends there, never after."""
    span = max(end - start, pd.Timedelta(days=60))
    right = end + span * pad_right
    if until is not None:
        right = min(right, pd.Timestamp(until))
    return [_iso(start - span * pad_left), _iso(right)]


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


def _fy_x(frame: pd.DataFrame, tilt_over: int | None = None, **kwargs) -> alt.X:
    """Financial years (``fy``) along x, oldest first; labels tilted when there are more than ``tilt_over``."""
    order = list(dict.fromkeys(frame.sort_values("year_end")["fy"]))
    angle = -30 if tilt_over is not None and len(order) > tilt_over else 0
    return alt.X("fy:N", sort=order, title="Financial year", axis=alt.Axis(labelAngle=angle), **kwargs)


def _long(wide: pd.DataFrame, id_vars: list[str], value_vars: dict[str, str], var_name: str, value_name: str,
          dropna: bool = True) -> pd.DataFrame:
    """``wide`` in long form (``DataFrame.melt``): row by row, one row per column of ``value_vars`` in its order.

    ``value_vars`` maps each wide column to the name its rows get in ``var_name``; with ``dropna``, rows with
    no value are left out.
    """
    long = (wide.reset_index(drop=True).rename(columns=value_vars)
            .melt(id_vars=id_vars, value_vars=list(value_vars.values()), var_name=var_name, value_name=value_name,
                  ignore_index=False)
            .sort_index(kind="stable"))
    return (long.dropna(subset=[value_name]) if dropna else long).reset_index(drop=True)


def _by_year(financials: pd.DataFrame, series: dict[str, str], var_name: str, value_name: str,
             text: Callable[[Any], str], *, keep: tuple[str, ...] = (), required: str | None = None,
             dropna: bool = True) -> pd.DataFrame:
    """Financial years in long form: for each year (oldest first; only those with ``required``), one row per
    column of ``series`` (see :func:`_long`), with ``fy``, ``year_end``, the ``keep`` columns, the value and
    ``<value_name>_text``, the value through ``text``.
    """
    years = (financials.dropna(subset=[required]) if required else financials).sort_values("year_end")
    long = _long(years.assign(fy=years["year_end"].map(fy_label)), ["fy", "year_end", *keep], series, var_name,
                 value_name, dropna)
    return long.assign(**{f"{value_name}_text": long[value_name].map(text)})


def _columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame``'s ``columns`` in order; an empty frame has untyped (object) columns, as one built from no rows."""
    return frame[columns] if len(frame) else pd.DataFrame([], columns=columns)


def _finish(layers: list[alt.Chart], title: str, subtitle: str | list[str] | None = None,
            height: int = HEIGHT) -> alt.LayerChart:
    # One LayerChart construction (alt.layer(...).properties(...) would copy and re-validate it).
    return alt.LayerChart(layer=list(layers), width=WIDTH, height=height, title=_title(title, subtitle),
                          autosize=AUTOSIZE, config=_config())


def for_presentation(chart: alt.TopLevelMixin, scale: float = 1.4, height: int | None = None) -> alt.TopLevelMixin:
    """The chart with the theme's type enlarged by ``scale`` and a taller plot, for a projector.

    ``height`` (px) sets the plot's height outright, so the chart with its title, axes and legend fits a slide.
    """
    scaled = chart.copy(deep=True)
    config = theme_config(scale)["config"]
    config["title"] = {**config["title"], **_config(scale).title.to_dict()}
    scaled.config = alt.Config.from_dict(config)
    current = getattr(scaled, "height", alt.Undefined)
    if height is not None and isinstance(current, (int, float)):
        scaled.height = int(height)
    elif isinstance(current, (int, float)):
        scaled.height = int(current * min(scale, 1.3))
    return scaled
