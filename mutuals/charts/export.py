"""Server-side chart export with vl-convert, so a download matches the screen, with its context.

Every exported PNG and SVG carries a title block (:func:`with_context`): the chart's title, then the
mutual or commissioner, the as-of date, the data source and, for the bundled sample, "Synthetic data".
The on-screen chart is left as it is: the block is added to a copy of the spec at export time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Mapping

import altair as alt
import vl_convert as vlc

from mutuals import formatting as fmt

Spec = dict

# Status symbols (✓ ▲ ✖) need a font that has them: use DejaVu Sans where the system has it.
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu")]
for _folder in FONT_DIRS:
    if _folder.is_dir():
        vlc.register_font_directory(str(_folder))

SYNTHETIC_TEXT = "Synthetic data"
ALL_COMMISSIONERS = "All commissioners"
MAX_SUBJECT_CHARS = 120
SUBTITLE_INK = "#333333"  # the title block's context lines: 12.6:1 on the white chart background


def _one_line(text: object, limit: int | None = MAX_SUBJECT_CHARS) -> str:
    """``text`` on one line (control characters and line breaks become spaces), cut to ``limit``."""
    flat = " ".join(re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", str(text)).split())
    return flat if limit is None or len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def source_text(info: Mapping[str, str] | None) -> str:
    """The data source, from the data set's ``dataset_info`` facts: 'mutuals.sample.generate, seed 2026'."""
    info = info or {}
    if info.get("source"):
        return _one_line(info["source"])
    if info.get("generator"):
        seed = f", seed {info['seed']}" if info.get("seed") else ""
        return _one_line(f"{info['generator']}{seed}")
    return "mutuals sustainability data set"


@dataclass(frozen=True)
class ExportContext:
    """What an exported file is about: built by the ui layer, printed on every PNG, SVG and CSV.

    ``subject`` is the mutual's name, the commissioner's name or "All commissioners"; ``source`` the
    data source (:func:`source_text`); ``synthetic`` whether the bundled sample is loaded.
    """

    subject: str
    as_of: date
    source: str
    synthetic: bool

    def facts(self) -> list[str]:
        """['Crivworth Health Partnership CIC', 'as of 30 Sep 2026', 'source: …', 'Synthetic data']."""
        out = [_one_line(self.subject) or ALL_COMMISSIONERS, f"as of {fmt.day(self.as_of)}",
               f"source: {_one_line(self.source)}"]
        return [*out, SYNTHETIC_TEXT] if self.synthetic else out

    def lines(self) -> list[str]:
        """The facts on short lines for a chart's subtitle: whom, when and whence, then the sample flag."""
        subject, when, source, *rest = self.facts()
        return [subject, f"{when} · {source}", *rest]

    def line(self) -> str:
        """The facts on one line, joined by ' · '."""
        return " · ".join(self.facts())

    def file_name(self, key: str, extension: str) -> str:
        """'contract-expiry_all-commissioners_2026-09-30_synthetic.png': what, whom, when, and the sample flag."""
        parts = [_slug(key), _slug(_one_line(self.subject, 60)) or _slug(ALL_COMMISSIONERS), self.as_of.isoformat()]
        if self.synthetic:
            parts.append("synthetic")
        return "_".join(p for p in parts if p) + f".{extension}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def as_spec(chart: alt.TopLevelMixin | Spec) -> Spec:
    """A Vega-Lite spec from an Altair chart (or a spec already made)."""
    return chart if isinstance(chart, dict) else chart.to_dict()


def with_context(chart: alt.TopLevelMixin | Spec, title: str | None, context: ExportContext | None) -> Spec:
    """A copy of the chart's spec with a title block: its title, then the context lines.

    The chart's own title wins over ``title``; its own subtitle lines are kept after the context line.
    """
    spec = dict(as_spec(chart))
    if context is None and not title:
        return spec
    own = spec.get("title")
    own = own if isinstance(own, dict) else ({"text": own} if own else {})
    subtitle = own.get("subtitle") or []
    subtitle = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    block = {**own, "text": own.get("text") or _one_line(title or "", None), "anchor": "start",
             "subtitle": (context.lines() if context else []) + subtitle,
             "subtitleColor": SUBTITLE_INK, "subtitleFontSize": 11, "subtitlePadding": 4, "offset": 10}
    spec["title"] = block
    return spec


def to_svg(chart: alt.TopLevelMixin | Spec, *, title: str | None = None, context: ExportContext | None = None) -> str:
    """The chart as an SVG document (with its title block when ``title`` or ``context`` is given)."""
    return vlc.vegalite_to_svg(with_context(chart, title, context), vl_version=_vl_version())


def to_png(chart: alt.TopLevelMixin | Spec, scale: float = 2.0, *, title: str | None = None,
           context: ExportContext | None = None) -> bytes:
    """The chart as a PNG at ``scale``× (2× by default, for print and retina screens), with its title block."""
    return vlc.vegalite_to_png(with_context(chart, title, context), scale=scale, vl_version=_vl_version())


def _vl_version() -> str:
    """The Vega-Lite version Altair writes, in vl-convert's spelling (e.g. '6.1')."""
    major, minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    wanted = f"{major}.{minor}"
    available = vlc.get_vegalite_versions()
    return wanted if wanted in available else available[-1]
