"""One number format and one status vocabulary for every screen, export and PDF.

Money reads £1.2m, shares 34%, scores 7.1/10. Status is always colour plus
symbol plus word, so it never depends on colour alone; the styles live in the rules config.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd

from mutuals.rules import StatusStyle, load_rules

__all__ = ["StatusStyle"]

MINUS = "−"


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def _signed(text: str, value: float) -> str:
    return ("+" if value > 0 else MINUS if value < 0 else "") + text


def money(value: Any) -> str:
    """£1.2m, £850k, £4.2bn, £900."""
    if is_missing(value):
        return "–"
    v = float(value)
    sign = MINUS if v < 0 else ""
    v = abs(v)
    if v >= 1e9:
        return f"{sign}£{v / 1e9:.1f}bn"
    if v >= 1e6:
        return f"{sign}£{v / 1e6:.1f}m"
    if v >= 1e3:
        return f"{sign}£{v / 1e3:.0f}k"
    return f"{sign}£{v:.0f}"


def percent(value: Any, signed: bool = False) -> str:
    """34%, 1.2% (one decimal below 10%)."""
    if is_missing(value):
        return "–"
    v = float(value) * 100
    text = f"{abs(v):.1f}%" if abs(v) < 10 else f"{abs(v):.0f}%"
    if text in ("0.0%", "0%"):
        return "0%"
    return _signed(text, v) if signed else (MINUS + text if v < 0 else text)


def points(value: Any) -> str:
    """A difference of shares in percentage points: +3.2 pts."""
    if is_missing(value):
        return "–"
    v = float(value) * 100
    return _signed(f"{abs(v):.1f} pts", round(v, 1))


def months(value: Any) -> str:
    if is_missing(value):
        return "–"
    v = float(value)
    return f"{MINUS if v < 0 else ''}{abs(v):.1f} months"


def month_count(value: Any, relative: str | None = None) -> str:
    """A whole number of months in words: '1 month', '7 months'.

    ``relative="ago"`` reads '7 months ago', ``relative="in"`` reads 'in 7 months'; in both, an interval
    that rounds to zero months reads 'this month' (never '0 months ago' or 'in 0 months').
    """
    if is_missing(value):
        return "–"
    n = round(float(value))
    if relative is not None and n == 0:
        return "this month"
    text = f"{n} month" if abs(n) == 1 else f"{n} months"
    return {"ago": f"{text} ago", "in": f"in {text}"}.get(relative or "", text)


def score10(value: Any) -> str:
    return "–" if is_missing(value) else f"{float(value):.1f}/10"


def score_change(value: Any) -> str:
    return "–" if is_missing(value) else _signed(f"{abs(float(value)):.1f}", round(float(value), 1))


def per100(value: Any) -> str:
    return "–" if is_missing(value) else f"{float(value):.1f} per 100 staff"


def rating5(value: Any) -> str:
    return "–" if is_missing(value) else f"{float(value):.1f}/5"


def count(value: Any) -> str:
    return "–" if is_missing(value) else f"{int(value):,}"


def day(value: Any) -> str:
    """A date as 30 Sep 2026."""
    if is_missing(value):
        return "–"
    return pd.Timestamp(value).strftime("%-d %b %Y")


FORMATTERS = {
    "percent": percent,
    "points": points,
    "months": months,
    "score10": score10,
    "score_change": score_change,
    "per100": per100,
    "rating5": rating5,
    "money": money,
    "count": count,
}


def format_value(value: Any, kind: str) -> str:
    """Format ``value`` by an indicator's ``format`` name."""
    return FORMATTERS[kind](value)


def change(value: Any, kind: str) -> str:
    """A change between two dates in the indicator's own unit: +4 pts, −1.2 months."""
    if is_missing(value):
        return "–"
    v = float(value)
    if kind in ("percent", "points"):
        return points(v)
    if kind == "months":
        return _signed(f"{abs(v):.1f} months", round(v, 1))
    if kind == "money":
        return _signed(money(abs(v)), v)
    return _signed(f"{abs(v):.1f}", round(v, 1))


def status_style(status: str) -> StatusStyle:
    """The style of an indicator, area or overall status, from the rules config."""
    return load_rules().status_style(status)


STAGE_WORDS = {"trading": "Trading", "pre_spin_out": "Pre-spin-out", "ceased": "Ceased"}
PHASE_WORDS = {"options_appraisal": "options appraisal", "transition": "transition", "spun_out": "spun out"}


def status_label(status: str) -> str:
    """'✓ Green', '✖ Red', '– No data'."""
    return status_style(status).label


def overall_label(status: str) -> str:
    """'● At risk', '○ Sustainable' (the overall ladder has its own shapes, never an indicator's ✓ ▲ ✖ –)."""
    return status_style(status).label


def is_overall_status(status: str) -> bool:
    """Whether ``status`` is on the overall ladder (at_risk … ceased) rather than an indicator/area status."""
    return status in load_rules().overall_statuses


REASON_SEPARATOR = "; "


def reasons_text(reasons: Any) -> str:
    """A mutual's reasons (a tuple of sentences) as one line of text, for exports that hold one value a cell."""
    if isinstance(reasons, str):
        return reasons
    return "" if reasons is None or (not isinstance(reasons, (tuple, list)) and is_missing(reasons)) \
        else REASON_SEPARATOR.join(str(r) for r in reasons)


def as_date(value: Any) -> date | None:
    return None if is_missing(value) else pd.Timestamp(value).date()
