"""Server-side chart export with vl-convert, so a download matches the screen."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import vl_convert as vlc

Spec = dict

# Status symbols (✓ ▲ ✖) need a font that has them: use DejaVu Sans where the system has it.
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu")]
for _folder in FONT_DIRS:
    if _folder.is_dir():
        vlc.register_font_directory(str(_folder))


def as_spec(chart: alt.TopLevelMixin | Spec) -> Spec:
    """A Vega-Lite spec from an Altair chart (or a spec already made)."""
    return chart if isinstance(chart, dict) else chart.to_dict()


def to_svg(chart: alt.TopLevelMixin | Spec) -> str:
    """The chart as an SVG document."""
    return vlc.vegalite_to_svg(as_spec(chart), vl_version=_vl_version())


def to_png(chart: alt.TopLevelMixin | Spec, scale: float = 2.0) -> bytes:
    """The chart as a PNG at ``scale``× (2× by default, for print and retina screens)."""
    return vlc.vegalite_to_png(as_spec(chart), scale=scale, vl_version=_vl_version())


def _vl_version() -> str:
    """The Vega-Lite version Altair writes, in vl-convert's spelling (e.g. '6.1')."""
    major, minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    wanted = f"{major}.{minor}"
    available = vlc.get_vegalite_versions()
    return wanted if wanted in available else available[-1]
