"""One Altair theme: Okabe-Ito categories, viridis for sequences, readable type in dark ink.

Every text colour is declared here (no renderer default), so tests/test_contrast.py can check each
against the white background: WCAG AA, 4.5:1 or more.
"""

from __future__ import annotations

import altair as alt

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
FONT = "Source Sans Pro, Helvetica, Arial, DejaVu Sans, sans-serif"
THEME_NAME = "mutuals"
BACKGROUND = "#FFFFFF"
INK = "#222222"        # titles, axis and legend text: 15.9:1 on white
MUTED_INK = "#444444"  # subtitles: 9.7:1 on white


def theme_config(scale: float = 1.0) -> alt.theme.ThemeConfig:
    """The theme; ``scale`` enlarges type for presentation mode."""
    size = lambda n: round(n * scale)  # noqa: E731
    return {
        "config": {
            "font": FONT,
            "background": BACKGROUND,
            "view": {"stroke": None},
            "range": {"category": OKABE_ITO, "ordinal": {"scheme": "viridis"}, "ramp": {"scheme": "viridis"}},
            "axis": {"labelFontSize": size(12), "titleFontSize": size(13), "gridColor": "#e6e6e6",
                     "domainColor": "#888888", "tickColor": "#888888", "labelColor": INK, "titleColor": INK},
            "legend": {"labelFontSize": size(12), "titleFontSize": size(13), "orient": "bottom",
                       "labelColor": INK, "titleColor": INK},
            "title": {"fontSize": size(15), "anchor": "start", "fontWeight": 600, "color": INK,
                      "subtitleColor": MUTED_INK},
            "header": {"labelFontSize": size(12), "titleFontSize": size(13), "labelColor": INK, "titleColor": INK},
            "text": {"fontSize": size(12), "color": INK},
        }
    }


@alt.theme.register(THEME_NAME, enable=True)
def mutuals_theme() -> alt.theme.ThemeConfig:
    return theme_config()


def enable() -> None:
    """Make the product theme the active Altair theme (idempotent)."""
    alt.theme.enable(THEME_NAME)
