"""A mutual's board pack as a PDF: cover, one section per factor, finance, methodology appendix.

Built with reportlab platypus on A4 landscape. Charts are the same Altair charts the mutual page
shows, exported once each to SVG with vl-convert and embedded as vector drawings (svglib), so they
stay sharp in print. Status is always colour plus symbol plus word; suppressed survey values are
never printed. The appendix prints the rules from ``load_rules()``, the config the code rates with.

    board_pack_bytes(view)                       -> the PDF as bytes
    write_board_pack(db, mutual_id, out_path)    -> writes it atomically, returns the path
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable
from xml.sax.saxutils import escape

import pandas as pd
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    FrameBreak,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from mutuals import formatting as fmt
from mutuals.escape import cap, plain
from mutuals.rules import Rules, load_rules
from mutuals.services.mutual import FACTORS, MutualView, indicator_table, load_mutual

log = logging.getLogger(__name__)

SYNTHETIC_NOTICE = "Synthetic data: figures are invented for demonstration"
PAGE_SIZE = landscape(A4)
MARGIN_X = 16 * mm
MARGIN_TOP = 17 * mm
MARGIN_BOTTOM = 15 * mm
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN_X
FRAME_HEIGHT = PAGE_SIZE[1] - MARGIN_TOP - MARGIN_BOTTOM
CHART_SCALE = 0.85          # of svglib's size (1 px = 0.75 pt): 12 px chart text prints at about 7.7 pt
CHART_MIN_SCALE = 0.68      # shrink a chart this far to finish a page rather than leave it half empty

INK = colors.HexColor("#1A1A1A")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#C8C8C8")
HEADER_FILL = colors.HexColor("#EEF1F4")
ACCENT = colors.HexColor("#0072B2")  # Okabe-Ito blue
NOTICE_FILL = colors.HexColor("#FFF3D6")
NOTICE_EDGE = colors.HexColor("#E69F00")



# ---------------------------------------------------------------------------------------------
# Fonts: DejaVu Sans carries ✓ ▲ ✖ ◔ ◇ ■ – − £ ≥ ≤; fall back gracefully if it is missing.

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu"),   # Debian/Ubuntu fonts-dejavu-core
    Path("/usr/share/fonts/dejavu"),            # Fedora, Arch
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
)
FONT_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf",
              "italic": "DejaVuSans-Oblique.ttf", "bolditalic": "DejaVuSans-BoldOblique.ttf"}
# reportlab ships Bitstream Vera (DejaVu's parent): fine for text, but without the status symbols.
VERA_FILES = {"regular": "Vera.ttf", "bold": "VeraBd.ttf", "italic": "VeraIt.ttf", "bolditalic": "VeraBI.ttf"}
# What to print instead of a character the font cannot draw (status words are always printed too).
ASCII_FALLBACK = {"✓": "", "▲": "", "✖": "", "◔": "", "◇": "", "■": "", "−": "-", "–": "-", "—": "-",
                  "≥": ">=", "≤": "<=", "÷": "/", "×": "x", "·": "-", "…": "...", "’": "'", "£": "GBP "}


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    italic: str
    source: str                      # where the fonts came from, for the report and the bench
    missing: frozenset[str]          # characters the font cannot draw

    def text(self, value: Any) -> str:
        """``value`` as a string the font can draw (symbols dropped or spelt out when missing), with no
        bidirectional override or control character (a value must not reorder the text round it)."""
        text = plain(value)
        if self.missing:
            for ch in self.missing & set(text):
                text = text.replace(ch, ASCII_FALLBACK.get(ch, "?"))
            text = re.sub(r"^ +| +(?= )", "", text)
        return text


def _font_dirs() -> list[Path]:
    dirs = list(FONT_CANDIDATES)
    try:  # matplotlib bundles DejaVu Sans; use its copy if the package is present (never import it)
        import importlib.util
        spec = importlib.util.find_spec("matplotlib")
        if spec and spec.origin:
            dirs.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    except (ImportError, ValueError):
        pass
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True,
                                 timeout=5).stdout.strip()
            if out.endswith("DejaVuSans.ttf"):
                dirs.append(Path(out).parent)
        except (OSError, subprocess.SubprocessError):
            pass
    return dirs


_REGISTERED: dict[str, str] = {}  # regular font file -> the prefix it is registered under


def _register(prefix: str, folder: Path | None, files: dict[str, str]) -> bool:
    """Register ``prefix``-regular/-bold/-italic/-bolditalic (missing styles borrow regular or bold)."""
    paths = {k: (folder / f if folder else Path(f)) for k, f in files.items()}
    if not (paths["regular"].is_file() and paths["bold"].is_file()):
        return False
    try:
        for kind, path in paths.items():
            src = path if path.is_file() else paths["bold" if "bold" in kind else "regular"]
            pdfmetrics.registerFont(TTFont(f"{prefix}-{kind}", str(src)))
    except TTFError as exc:  # e.g. a CFF-flavoured .otf, which reportlab cannot embed
        log.warning("board pack: cannot load fonts %s: %s", paths["regular"], exc)
        return False
    pdfmetrics.registerFontFamily(prefix, normal=f"{prefix}-regular", bold=f"{prefix}-bold",
                                  italic=f"{prefix}-italic", boldItalic=f"{prefix}-bolditalic")
    _REGISTERED.setdefault(str(paths["regular"].resolve()), prefix)
    return True


@lru_cache(maxsize=1)
def fonts() -> Fonts:
    """Register the pack's fonts once: DejaVu Sans, else reportlab's Vera, else Helvetica."""
    needed = set("".join(ASCII_FALLBACK))
    for folder in _font_dirs():
        if _register("PackSans", folder, FONT_FILES):
            return _fonts("PackSans", str(folder), needed)
    import reportlab
    vera = Path(reportlab.__file__).parent / "fonts"
    if _register("PackVera", vera, VERA_FILES):
        log.warning("board pack: DejaVu Sans not found (apt-get install fonts-dejavu-core); "
                    "using Vera, status symbols are left out (the words remain)")
        return _fonts("PackVera", str(vera), needed)
    log.warning("board pack: no TrueType font found; using Helvetica without status symbols")
    return Fonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "reportlab standard fonts",
                 frozenset(needed))


def _fonts(prefix: str, source: str, needed: set[str]) -> Fonts:
    face = pdfmetrics.getFont(f"{prefix}-regular").face
    missing = frozenset(ch for ch in needed if ord(ch) not in face.charToGlyph)
    return Fonts(f"{prefix}-regular", f"{prefix}-bold", f"{prefix}-italic", source, missing)


# Chart text must be set in the font vl-convert measured it with, or labels collide or float. Which
# font that is depends on the chart's font-family list and on what is installed (and registered
# with vl-convert), so ask vl-convert: measure a probe string in that family and pick the
# installed font whose metrics match.
GENERIC_FAMILIES = {"sans-serif": "DejaVu Sans", "serif": "DejaVu Serif", "monospace": "DejaVu Sans Mono"}
PROBE_TEXT = "Hamburgevons 0123456789"
PROBE_SIZE = 100
FALLBACK_CHART_FONTS = (("Liberation Sans", (Path("/usr/share/fonts/truetype/liberation"),
                                             ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf",
                                              "LiberationSans-Italic.ttf", "LiberationSans-BoldItalic.ttf"))),
                        ("DejaVu Sans", (Path("/usr/share/fonts/truetype/dejavu"),
                                         ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
                                          "DejaVuSans-BoldOblique.ttf"))))


@dataclass(frozen=True)
class ChartFonts:
    family: str                     # the name chart text is given for svglib
    regular: str
    bold: str
    italic: str
    bolditalic: str
    covers: frozenset[int] | None = field(repr=False)  # code points it can draw (None: the pack font)
    source: str = ""


def _fc_match(pattern: str) -> tuple[str, str] | None:
    """(family, file) that fontconfig picks for ``pattern``, or None."""
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(["fc-match", "-f", "%{family[0]}\t%{file}", pattern], capture_output=True,
                             text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    family, _, file = out.partition("\t")
    return (family, file) if file.lower().endswith((".ttf", ".otf")) else None


def _css_families(css: str) -> list[str]:
    return [name.strip().strip("'\"") for name in css.split(",") if name.strip().strip("'\"")]


def _font_candidates(css: str) -> list[tuple[str, dict[str, str]]]:
    """Installed fonts the CSS family list could mean: each name as fontconfig resolves it, then defaults."""
    out: list[tuple[str, dict[str, str]]] = []
    seen: set[str] = set()
    for name in _css_families(css) + [GENERIC_FAMILIES["sans-serif"]]:
        found = _fc_match(GENERIC_FAMILIES.get(name, name))
        if not found or found[1] in seen:
            continue
        seen.add(found[1])
        files = {"regular": found[1]}
        for kind, style in (("bold", "bold"), ("italic", "italic"), ("bolditalic", "bold:italic")):
            styled = _fc_match(f"{found[0]}:{style}")
            if styled and styled[0] == found[0]:
                files[kind] = styled[1]
        out.append((found[0], files))
    for family, (folder, names) in FALLBACK_CHART_FONTS:
        paths = dict(zip(("regular", "bold", "italic", "bolditalic"), (str(folder / n) for n in names)))
        if paths["regular"] not in seen and Path(paths["regular"]).is_file():
            seen.add(paths["regular"])
            out.append((family, paths))
    return out


def _measured_width(css: str) -> float | None:
    """The probe string's width at 100 px as vl-convert lays it out in ``css``, or None."""
    try:
        import vl_convert as vlc

        from mutuals.charts.export import _vl_version  # importing export registers its font folders
        spec = {"data": {"values": [{"t": PROBE_TEXT}]}, "width": 1, "height": 1, "padding": 0,
                "autosize": {"type": "pad"}, "config": {"view": {"stroke": None}},
                "mark": {"type": "text", "font": css, "fontSize": PROBE_SIZE, "align": "left", "baseline": "top",
                         "x": 0, "y": 0},
                "encoding": {"text": {"field": "t"}}}
        return float(vlc.vegalite_to_scenegraph(spec, vl_version=_vl_version())["width"])
    except Exception:  # an older vl-convert without scenegraphs: fall back to the first candidate
        log.debug("board pack: could not measure chart text with vl-convert", exc_info=True)
        return None


_chart_font_lock = threading.Lock()


@lru_cache(maxsize=16)
def chart_fonts(css: str) -> ChartFonts:
    """The font to set chart text of CSS family ``css`` in: the installed font whose width for a probe
    string matches vl-convert's layout (within 2%), else the first candidate, else the pack font."""
    with _chart_font_lock:
        target = _measured_width(css)
        best: tuple[float, str, dict[str, str]] | None = None
        for family, files in _font_candidates(css):
            known = _REGISTERED.get(str(Path(files["regular"]).resolve()))
            try:
                font = pdfmetrics.getFont(f"{known}-regular") if known else TTFont("probe", files["regular"])
                width = font.stringWidth(PROBE_TEXT, PROBE_SIZE)
            except (TTFError, OSError):
                continue
            error = abs(width - target) / target if target else 0.0
            if best is None or error < best[0]:
                best = (error, family, files)
            if target is None or error <= 0.005:
                break
        if best is not None and best[0] <= 0.02:
            _, family, files = best
            known = _REGISTERED.get(str(Path(files["regular"]).resolve()))
            prefix = known or "PackChart-" + re.sub(r"\W", "", family)
            if known or _register(prefix, None, {"bold": files["regular"], **files}):
                face = pdfmetrics.getFont(f"{prefix}-regular").face
                return ChartFonts(prefix, f"{prefix}-regular", f"{prefix}-bold", f"{prefix}-italic",
                                  f"{prefix}-bolditalic", frozenset(face.charToGlyph),
                                  f"{family} ({files['regular']})")
        f = fonts()
        log.warning("board pack: no installed font matches vl-convert's chart text in %r; using %s", css, f.regular)
        return ChartFonts("PackChartFallback", f.regular, f.bold, f.italic, f.bold, None, f.source)


# ---------------------------------------------------------------------------------------------
# Styles

@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    f = fonts()
    base = ParagraphStyle("body", fontName=f.regular, fontSize=10.5, leading=14.5, textColor=INK,
                          alignment=TA_LEFT)

    def s(name: str, **kw) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **kw)

    return {
        "body": base,
        "lead": s("lead", fontSize=11.5, leading=16.5, spaceAfter=8),
        "small": s("small", fontSize=8.5, leading=11, textColor=MUTED),
        "caption": s("caption", fontName=f.italic, fontSize=8.5, leading=11, textColor=MUTED),
        "kicker": s("kicker", fontName=f.bold, fontSize=9, leading=12, textColor=ACCENT),
        "title": s("title", fontName=f.bold, fontSize=26, leading=31, spaceBefore=2, spaceAfter=6),
        "title_long": s("title_long", fontName=f.bold, fontSize=17, leading=21, spaceBefore=2, spaceAfter=6),
        "meta": s("meta", fontSize=10.5, leading=15, textColor=MUTED),
        "h1": s("h1", fontName=f.bold, fontSize=17, leading=21, spaceAfter=6, textColor=INK),
        "h2": s("h2", fontName=f.bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=5),
        "h2_keep": s("h2_keep", fontName=f.bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=5,
                     keepWithNext=1),  # for a heading over something short: they move together
        "h3": s("h3", fontName=f.bold, fontSize=10, leading=13, spaceAfter=2),
        "cell": s("cell", fontSize=9, leading=11.5),
        "cell_bold": s("cell_bold", fontName=f.bold, fontSize=9, leading=11.5),
        "cell_status_head": s("cell_status_head", fontName=f.bold, fontSize=8.5, leading=10.5, alignment=1),
        "cell_centre": s("cell_centre", fontSize=9, leading=11.5, alignment=1),
        "cell_head": s("cell_head", fontName=f.bold, fontSize=8.5, leading=11, textColor=MUTED),
        "bullet": s("bullet", fontSize=10.5, leading=14.5, leftIndent=12, bulletIndent=0, spaceAfter=3),
    }


LONG_TITLE = 40  # a longer name (cut to the label limit) is set smaller, so the cover still fits one page


def para(text: Any, style: str = "body", markup: bool = False) -> Paragraph:
    """A paragraph of plain text (escaped) or of trusted reportlab markup."""
    t = fonts().text(text)
    return Paragraph(t if markup else escape(t), styles()[style])


def _hex(colour: str) -> colors.Color:
    return colors.HexColor(colour)


def _status_style(status: str, overall: bool = False) -> fmt.StatusStyle:
    """The status's style from the rules config (``overall`` is kept for call sites' readability)."""
    return fmt.status_style(status)


# ---------------------------------------------------------------------------------------------
# Flowables

class StatusPill(Flowable):
    """A rounded, coloured label: symbol + word (never colour alone)."""

    def __init__(self, style: fmt.StatusStyle, font_size: float = 16, pad_x: float = 12, pad_y: float = 7):
        super().__init__()
        self.style, self.font_size, self.pad_x, self.pad_y = style, font_size, pad_x, pad_y
        self.text = fonts().text(style.label).strip()
        self.pill_width = pdfmetrics.stringWidth(self.text, fonts().bold, font_size) + 2 * pad_x
        self.pill_height = font_size + 2 * pad_y

    def wrap(self, avail_width, avail_height):
        return self.pill_width, self.pill_height

    def draw(self):
        c = self.canv
        c.setFillColor(_hex(self.style.colour))
        c.setStrokeColor(_hex(self.style.colour))
        c.roundRect(0, 0, self.pill_width, self.pill_height, self.pill_height / 2, stroke=0, fill=1)
        c.setFillColor(_hex(self.style.ink))
        c.setFont(fonts().bold, self.font_size)
        c.drawString(self.pad_x, self.pad_y + 0.22 * self.font_size, self.text)


class SectionHeading(Paragraph):
    """A section heading that registers itself in the contents and the PDF outline."""

    def __init__(self, text: str, key: str):
        super().__init__(escape(fonts().text(text)), styles()["h1"])
        self.toc_text, self.key = text, key


@dataclass
class Layout:
    """What one build learns as it goes: the page each section starts on, and where the contents
    list wants those page numbers drawn. The canvas stamps them at the end, so one pass suffices."""

    section_pages: dict[str, int] = field(default_factory=dict)
    contents_slots: list[tuple[str, int, float, float, float]] = field(default_factory=list)  # key, page, x0, x1, y


class ContentsList(Flowable):
    """Section titles with dot leaders; the page numbers are stamped later by the canvas."""

    row_height = 17.0

    def __init__(self, entries: list[tuple[str, str]], layout: Layout, width: float):
        super().__init__()
        self.entries, self.layout, self.width = entries, layout, width

    def wrap(self, avail_width, avail_height):
        self.width = min(self.width, avail_width)
        return self.width, self.row_height * len(self.entries)

    def draw(self):
        f = fonts()
        c = self.canv
        number_room = 22
        for i, (key, title) in enumerate(self.entries):
            y = self.row_height * (len(self.entries) - i - 1) + 4
            text = f.text(title)
            c.setFont(f.regular, 10.5)
            c.setFillColor(INK)
            c.drawString(0, y, text)
            start = pdfmetrics.stringWidth(text, f.regular, 10.5) + 6
            c.setFillColor(RULE)
            dot = pdfmetrics.stringWidth(". ", f.regular, 10.5)
            x = start
            while x + dot < self.width - number_room:
                c.drawString(x, y, ".")
                x += dot
            x0, _ = c.absolutePosition(0, y)
            x1, y1 = c.absolutePosition(self.width, y)
            self.layout.contents_slots.append((key, c.getPageNumber(), x0, x1, y1))


class Rule(Flowable):
    def __init__(self, width: float, colour=ACCENT, thickness: float = 1.5, space: float = 8):
        super().__init__()
        self.width, self.colour, self.thickness, self.space = width, colour, thickness, space

    def wrap(self, *_):
        return self.width, self.thickness + self.space

    def draw(self):
        self.canv.setStrokeColor(self.colour)
        self.canv.setLineWidth(self.thickness)
        self.canv.line(0, self.space, self.width, self.space)


# ---------------------------------------------------------------------------------------------
# Charts: Altair -> SVG (vl-convert) -> reportlab Drawing (svglib), once each, side by side.

@dataclass
class RenderedChart:
    key: str
    title: str
    caption: str
    drawing: Drawing | None
    error: str | None = None
    titled: bool = False  # the chart draws its own title


_FONT_FAMILY_CSS = re.compile(r"font-family:\s*([^;\"]*)")
SVG_SYMBOL_FAMILY = "PackChartSymbols"
_font_map_lock = threading.Lock()


@lru_cache(maxsize=1)
def _svg_font_map():
    """A private svglib font map (no fc-match guessing); chart fonts are added as they are met."""
    from svglib.fonts import FontMap
    f = fonts()
    font_map = FontMap()
    _map_family(font_map, SVG_SYMBOL_FAMILY, (f.regular, f.bold, f.italic, f.bold))
    return font_map


def _map_family(font_map, family: str, names: tuple[str, str, str, str]) -> None:
    """Map every weight and style of ``family`` to registered fonts (regular, bold, italic, bold italic)."""
    if family.lower() in font_map._family_index:
        return
    regular, bold, italic, bolditalic = names
    with _font_map_lock:
        for weight in ("normal", "bold", "bolder", "lighter", *(str(w) for w in range(100, 1000, 100))):
            heavy = weight in ("bold", "bolder") or (weight.isdigit() and int(weight) >= 600)
            for style in ("normal", "italic", "oblique"):
                slanted = style != "normal"
                name = (bolditalic if slanted else bold) if heavy else (italic if slanted else regular)
                font_map._map[font_map.build_internal_name(family, weight, style)] = {
                    "svg_family": family, "svg_weight": weight, "svg_style": style, "rlgFont": name,
                    "exact": True}
        font_map._family_index[family.lower()] = family


def _chart_family(css: str) -> ChartFonts:
    c = chart_fonts(css)
    _map_family(_svg_font_map(), c.family, (c.regular, c.bold, c.italic, c.bolditalic))
    return c


SVG_NS = "{http://www.w3.org/2000/svg}"
# Attributes that only serve screen readers and CSS hooks in the browser; svglib never reads them.
SVG_INERT_ATTRS = ("class", "role", "aria-roledescription", "aria-label", "aria-hidden", "aria-describedby",
                   "pointer-events")


def _number(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


def _flatten_text_opacity(el) -> None:
    """svglib drops a text's fill-opacity: mix a translucent text colour with the white page instead."""
    alpha = _number(el.attrib.get("fill-opacity"))
    fill = el.attrib.get("fill", "")
    if alpha is None or alpha >= 1 or not re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", fill):
        return
    c = colors.HexColor(fill if len(fill) == 7 else "#" + "".join(ch * 2 for ch in fill[1:]))
    mixed = [round(255 * (alpha * v + 1 - alpha)) for v in (c.red, c.green, c.blue)]
    el.attrib["fill"] = "#" + "".join(f"{v:02x}" for v in mixed)
    del el.attrib["fill-opacity"]


def _prepare_svg(root) -> None:
    """Make a Vega SVG tree render faithfully (and quickly) through svglib, in place.

    * svglib ignores the ``opacity`` attribute, which Vega uses for translucent bands, for
      invisible anchor marks and to hide axis labels that would overlap. Drop what is fully
      transparent; fold the rest into ``fill-opacity`` and ``stroke-opacity``, which svglib honours
      for shapes (and children inherit); for text, mix the colour with the white page.
    * Set text in the font vl-convert laid it out with (see :func:`chart_fonts`); a string with a
      character that font lacks (✓, ✖ …) goes in the pack font instead.
    * Drop what draws nothing: accessibility attributes, empty background paths, and the bare
      ``<g>`` wrappers Vega nests ten deep. svglib looks inherited attributes up the tree for
      every shape, so a shallower tree converts faster; the picture is unchanged.
    """
    f = fonts()
    hidden = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in SVG_INERT_ATTRS:
            el.attrib.pop(attr, None)
        opacity = _number(el.attrib.pop("opacity", None))
        if opacity is not None and opacity < 1:
            if opacity <= 0:  # e.g. axis labels Vega hid to avoid overlaps, invisible anchor marks
                hidden.append(el)
                continue
            for attr in ("fill-opacity", "stroke-opacity"):
                el.attrib[attr] = f"{(_number(el.attrib.get(attr)) or 1.0) * opacity:g}"
        style = el.attrib.get("style") or ""
        css_in_style = _FONT_FAMILY_CSS.search(style)
        is_text = el.tag.endswith("text")
        css = el.attrib.get("font-family") or (css_in_style.group(1) if css_in_style else None)
        if css is None and not is_text:
            continue  # e.g. a <tspan>: it inherits its <text>'s font
        chart = _chart_family(css or "sans-serif")  # Vega measures unstyled text in sans-serif
        family = chart.family
        text = "".join(el.itertext()) if is_text else ""
        if text and chart.covers is not None and any(ord(ch) not in chart.covers for ch in text):
            family = SVG_SYMBOL_FAMILY  # e.g. ✓ or ✖: the whole string in the pack font
        if css_in_style:
            el.attrib["style"] = _FONT_FAMILY_CSS.sub(f"font-family:{family}", style)
        else:
            el.attrib["font-family"] = family
        if f.missing and el.text:
            el.text = f.text(el.text)
        if is_text:
            _flatten_text_opacity(el)
    for el in hidden:
        if el.getparent() is not None:
            el.getparent().remove(el)
    for path in list(root.iter(f"{SVG_NS}path")):
        if path.get("d") in ("M0,0h0v0h0Z", "") and path.getparent() is not None:
            path.getparent().remove(path)
    # Innermost first, so emptied parents are caught too.
    for g in reversed(list(root.iter(f"{SVG_NS}g"))):
        parent = g.getparent()
        if parent is None:
            continue
        if len(g) == 0:
            parent.remove(g)
        elif not g.attrib:
            at = parent.index(g)
            for offset, child in enumerate(list(g)):
                parent.insert(at + offset, child)
            parent.remove(g)


def svg_to_drawing(svg: str) -> Drawing:
    """An SVG document (as vl-convert writes it) as a reportlab Drawing of vector shapes.

    This is svglib's ``svg2rlg`` with one step added between parsing and rendering
    (:func:`_prepare_svg`), so it calls svglib's parser options and renderer directly.
    """
    from lxml import etree
    from svglib.svglib import SvgRenderer
    parser = etree.XMLParser(remove_comments=True, recover=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(svg.encode("utf-8"), parser=parser)
    if root is None:
        raise ValueError("the chart's SVG could not be parsed")
    _prepare_svg(root)
    drawing = SvgRenderer("chart.svg", font_map=_svg_font_map()).render(root)
    if drawing is None:
        raise ValueError("svglib could not read the chart's SVG")
    return drawing


def _render_one(spec) -> RenderedChart:
    from mutuals.charts.export import to_svg
    try:
        # The spec without Altair's schema check (a fifth of the conversion time): these are the
        # mutual page's charts, which are validated there and in tests/test_mutual_charts.py.
        chart = spec.chart.to_dict(validate=False) if hasattr(spec.chart, "to_dict") else spec.chart
        drawing = svg_to_drawing(to_svg(chart))
        title = chart.get("title") if isinstance(chart, dict) else None  # the chart draws its own title
        titled = bool(title)
        return RenderedChart(spec.key, spec.title, spec.caption, drawing, titled=titled)
    except Exception as exc:  # one broken chart must not lose the whole pack; it is logged and shown
        log.exception("board pack: chart %s could not be drawn", getattr(spec, "key", "?"))
        return RenderedChart(getattr(spec, "key", "?"), getattr(spec, "title", ""), getattr(spec, "caption", ""),
                             None, f"{type(exc).__name__}: {exc}")


def render_charts(charts: dict[str, list]) -> dict[str, list[RenderedChart]]:
    """Convert every chart exactly once, keeping each factor's order.

    One after another on purpose: vl-convert holds the GIL while it converts, and svglib is pure
    Python, so a thread pool measured no faster (slower with 4 threads on 2 cores).
    """
    return {factor: [_render_one(spec) for spec in charts.get(factor, [])] for factor in FACTORS}


_warm_lock = threading.Lock()
_warmed = False


def warm_up() -> None:
    """Start vl-convert's JavaScript engine (about a second, once per process) in the background."""
    global _warmed
    with _warm_lock:
        if _warmed:
            return
        _warmed = True

    def run() -> None:
        try:
            import vl_convert as vlc

            from mutuals.charts.export import _vl_version
            vlc.vegalite_to_svg({"data": {"values": [{"a": 1}]}, "mark": "point",
                                 "encoding": {"x": {"field": "a", "type": "quantitative"}}},
                                vl_version=_vl_version())
        except Exception:  # only a head start; the real conversions report their own errors
            log.debug("board pack: vl-convert warm-up failed", exc_info=True)

    threading.Thread(target=run, name="vl-convert-warm-up", daemon=True).start()


class ChartBlock(Flowable):
    """A chart (vector drawing) with its caption underneath, kept together.

    Drawn at ``CHART_SCALE`` when there is room; shrunk down to ``CHART_MIN_SCALE`` to finish a
    page rather than leave it half empty; otherwise it moves to the next page whole.
    """

    def __init__(self, chart: RenderedChart):
        super().__init__()
        self.chart = chart
        self.title = para(chart.title, "h3") if chart.title and not chart.titled else None
        self.caption = para(chart.caption, "caption") if chart.caption else None
        self.missing = None if chart.drawing is not None else para(f"Chart unavailable ({chart.error}).", "small")
        self.scale = CHART_SCALE
        self.text_width = 0.0

    def _text_height(self, part: Flowable | None, width: float) -> float:
        return 0.0 if part is None else part.wrap(width, 10_000)[1]

    def wrap(self, avail_width, avail_height):
        d = self.chart.drawing
        if d is None:
            self.width = avail_width
            self.height = sum(self._text_height(p, avail_width) + 4 for p in (self.title, self.missing, self.caption)
                              if p is not None)
            return self.width, self.height
        top = min(CHART_SCALE, avail_width / d.width)
        text_width = max(d.width * top, min(avail_width, 420))
        fixed = (self._text_height(self.title, text_width) + 3 if self.title else 0) + \
                (self._text_height(self.caption, text_width) + 4 if self.caption else 0)
        top = min(top, (FRAME_HEIGHT - fixed - 2) / d.height)  # never taller than a page
        fit = (avail_height - fixed - 1) / d.height
        self.scale = top if fit >= top else fit if fit >= CHART_MIN_SCALE * top / CHART_SCALE else top
        self.text_width = text_width
        self.width = max(d.width * self.scale, text_width)
        self.height = d.height * self.scale + fixed
        return self.width, self.height

    def draw(self):
        c = self.canv
        y = self.height
        if self.title is not None:
            h = self.title.wrap(self.text_width if self.chart.drawing is not None else self.width, 10_000)[1]
            y -= h
            self.title.drawOn(c, 0, y)
            y -= 3
        d = self.chart.drawing
        if d is None:
            h = self.missing.wrap(self.width, 10_000)[1]
            y -= h + 4
            self.missing.drawOn(c, 0, y)
        else:
            y -= d.height * self.scale
            c.saveState()
            c.translate(0, y)
            c.scale(self.scale, self.scale)
            d.drawOn(c, 0, 0)
            c.restoreState()
        if self.caption is not None:
            width = self.text_width if d is not None else self.width
            h = self.caption.wrap(width, 10_000)[1]
            y -= h + 4
            self.caption.drawOn(c, 0, y)


def chart_blocks(charts: list[RenderedChart]) -> list[Flowable]:
    out: list[Flowable] = []
    for chart in charts:
        out += [ChartBlock(chart), Spacer(1, 14)]
    return out


# ---------------------------------------------------------------------------------------------
# Tables

def _grid_style(n_rows: int, header_rows: int = 1) -> list[tuple]:
    style = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ("TOPPADDING", (0, 0), (-1, -1), 3.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, MUTED),
        ("LINEBELOW", (0, header_rows), (-1, -1), 0.4, RULE),
    ]
    return style


def _status_cell(status: str, overall: bool = False, style: str = "cell_bold") -> tuple[Paragraph, tuple[str, str]]:
    """A status as bold symbol + word, and the background colour for its cell."""
    st = _status_style(status, overall)
    p = Paragraph(f'<font color="{st.ink}">{escape(fonts().text(st.label).strip())}</font>', styles()[style])
    return p, (st.colour, status)


def _evidence_cell(r: dict) -> Paragraph:
    """The evidence date, and 'stale: not rated' when it is too old to rate."""
    if fmt.is_missing(r.get("evidence_date")):
        return para("–", "cell")
    text = escape(fmt.day(r["evidence_date"]))
    if r.get("stale"):
        text += '<br/><font size="7.5"><b>⌛ stale: not rated</b></font>'
    return Paragraph(fonts().text(text), styles()["cell"])


def indicator_section_table(rows: pd.DataFrame, view: MutualView) -> Table:
    """Indicator | Value | Status | Evidence date | Change on a year earlier | Sector median (n)."""
    prev = fmt.day(view.previous_as_of)
    head = [para("Indicator", "cell_head"), para("Value", "cell_head"), para("Status", "cell_head"),
            para("Evidence", "cell_head"), para(f"Change since {prev}", "cell_head"),
            para("Sector median (n)", "cell_head")]
    data, style = [head], _grid_style(len(rows) + 1)
    for i, r in enumerate(rows.to_dict("records"), start=1):
        status_p, (colour, _) = _status_cell(r["status"])
        median = "–" if not r["sector_n"] else f"{r['sector_median_text']} (n = {r['sector_n']})"
        data.append([para(r["label"], "cell_bold"), para(r["value_text"], "cell"), status_p, _evidence_cell(r),
                     para(r["change_text"], "cell"), para(median, "cell")])
        style.append(("BACKGROUND", (2, i), (2, i), _hex(colour)))
    widths = [0.27, 0.14, 0.13, 0.13, 0.15, 0.18]
    table = Table(data, colWidths=[w * FRAME_WIDTH for w in widths], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def simple_table(header: list[str], rows: list[list[Any]], widths: list[float],
                 extra_style: Iterable[tuple] = ()) -> Table:
    data = [[para(h, "cell_head") for h in header]]
    for row in rows:
        data.append([cell if isinstance(cell, Flowable) else para(cell, "cell") for cell in row])
    table = Table(data, colWidths=[w * FRAME_WIDTH for w in widths], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(_grid_style(len(data)) + list(extra_style)))
    return table


def waves_table(view: MutualView, limit: int = 6) -> Table | None:
    """The latest survey waves; a suppressed wave's scores are never printed."""
    waves = view.waves
    if waves is None or not len(waves):
        return None
    recent = waves.sort_values("survey_date").tail(limit).iloc[::-1]
    rows = []
    for w in recent.to_dict("records"):
        if bool(w.get("suppressed")):
            hidden = f"suppressed (n < {view.min_respondents})"
            scores = [hidden, "", "", ""]
        else:
            scores = [fmt.score10(w.get("engagement_score")), fmt.score10(w.get("motivation")),
                      fmt.score10(w.get("involvement")), fmt.score10(w.get("advocacy"))]
        rows.append([fmt.day(w["survey_date"]), fmt.PHASE_WORDS.get(w.get("phase"), str(w.get("phase") or "–")),
                     fmt.count(w.get("respondents")), fmt.percent(w.get("response_rate")), *scores])
    extra = []
    for i, w in enumerate(recent.to_dict("records"), start=1):
        if bool(w.get("suppressed")):
            extra.append(("SPAN", (4, i), (7, i)))
            extra.append(("TEXTCOLOR", (4, i), (7, i), MUTED))
    return simple_table(["Survey", "Phase", "Respondents", "Response rate", "Engagement", "Motivation",
                         "Involvement", "Advocacy"], rows,
                        [0.13, 0.15, 0.11, 0.12, 0.13, 0.12, 0.12, 0.12], extra)


def contracts_table(view: MutualView) -> Table | None:
    contracts = view.contracts
    if contracts is None or not len(contracts):
        return None
    active = contracts[contracts["active"].astype(bool)].sort_values("annual_value", ascending=False)
    if not len(active):
        return None
    rows = [[c["title"], c["commissioner_name"], fmt.money(c["annual_value"]), fmt.day(c["start_date"]),
             fmt.day(c["end_date"]), fmt.day(c["max_end_date"]),
             "yes" if bool(c["is_spin_out_contract"]) else "no"] for c in active.head(8).to_dict("records")]
    return simple_table(["Active contract", "Commissioner", "Annual value", "Start", "Ends", "Latest possible end",
                         "Spin-out contract"], rows, [0.27, 0.22, 0.1, 0.1, 0.1, 0.12, 0.09])


def financials_table(view: MutualView, limit: int = 5) -> Table | None:
    fin = view.financials
    if fin is None or not len(fin) or "income_total" not in fin:
        return None
    actual = fin[fin["income_total"].notna()].sort_values("year_end").tail(limit)
    if not len(actual):
        return None
    rows = [[fmt.day(y["year_end"]), fmt.money(y["income_total"]), fmt.money(y["expenditure"]),
             fmt.percent(y["surplus_margin"]), fmt.percent(y["income_growth"]), fmt.money(y["unrestricted_reserves"]),
             fmt.months(y["reserves_months"]),
             fmt.percent(1 - y["non_parent_share"]) if not fmt.is_missing(y["non_parent_share"]) else "–"]
            for y in actual.to_dict("records")]
    return simple_table(["Year end", "Income", "Expenditure", "Surplus margin", "Income growth",
                         "Unrestricted reserves", "Reserves cover", "From parent"], rows,
                        [0.13, 0.11, 0.12, 0.12, 0.12, 0.15, 0.13, 0.12])


# ---------------------------------------------------------------------------------------------
# Document: page templates, header/footer, "Page N of M"

def _canvas_class(view: MutualView, layout: Layout) -> type:
    """A canvas that holds its pages until the end, then stamps header, footer and 'Page N of M'."""
    f = fonts()
    name = f.text(view.name)
    running_head = f.text(f"Board pack · As of {fmt.day(view.as_of)}")
    note = f.text(SYNTHETIC_NOTICE + "." if view.synthetic else "Source: the mutuals sustainability data set.")

    class PackCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held: list[dict] = []

        def showPage(self):
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                self._decorate(total)
                rl_canvas.Canvas.showPage(self)
            rl_canvas.Canvas.save(self)

        def _decorate(self, total: int) -> None:
            width, height = PAGE_SIZE
            self.saveState()
            page = self._pageNumber
            if page > 1:
                self.setFont(f.bold, 8.5)
                self.setFillColor(INK)
                self.drawString(MARGIN_X, height - 10 * mm, name)
                self.setFont(f.regular, 8.5)
                self.setFillColor(MUTED)
                self.drawRightString(width - MARGIN_X, height - 10 * mm, running_head)
                self.setStrokeColor(RULE)
                self.setLineWidth(0.5)
                self.line(MARGIN_X, height - 11.8 * mm, width - MARGIN_X, height - 11.8 * mm)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN_X, 11 * mm, width - MARGIN_X, 11 * mm)
            self.setFont(f.bold if view.synthetic else f.regular, 8)
            self.setFillColor(colors.HexColor("#8A5A00") if view.synthetic else MUTED)
            self.drawString(MARGIN_X, 7 * mm, note)
            self.setFont(f.regular, 8.5)
            self.setFillColor(INK)
            self.drawRightString(width - MARGIN_X, 7 * mm, f"Page {page} of {total}")
            for key, slot_page, x0, x1, y in layout.contents_slots:
                if slot_page == page and key in layout.section_pages:
                    self.setFont(f.regular, 10.5)
                    self.drawRightString(x1, y, str(layout.section_pages[key]))
                    self.linkRect("", key, (x0, y - 4, x1, y + 12), relative=0, thickness=0)
            self.restoreState()

    return PackCanvas


class PackDocument(BaseDocTemplate):
    """Cover template (title band over two columns) and body template; headings feed the contents."""

    def __init__(self, buffer, view: MutualView, layout: Layout):
        self.layout = layout
        super().__init__(buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                         topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
                         title=f"Board pack: {view.name}", author="Mutuals Sustainability",
                         subject=f"Sustainability board pack as of {view.as_of.isoformat()}"
                                 + (f" ({SYNTHETIC_NOTICE})" if view.synthetic else ""),
                         creator="mutuals.reports.boardpack (reportlab)")
        top_h = 62 * mm
        gap = 10 * mm
        left_w = 0.52 * FRAME_WIDTH - gap / 2
        right_w = FRAME_WIDTH - left_w - gap
        low_h = FRAME_HEIGHT - top_h
        cover = [Frame(MARGIN_X, MARGIN_BOTTOM + low_h, FRAME_WIDTH, top_h, id="cover_top", leftPadding=0,
                       rightPadding=0, topPadding=0, bottomPadding=0),
                 Frame(MARGIN_X, MARGIN_BOTTOM, left_w, low_h, id="cover_left", leftPadding=0, rightPadding=0,
                       topPadding=0, bottomPadding=0),
                 Frame(MARGIN_X + left_w + gap, MARGIN_BOTTOM, right_w, low_h, id="cover_right", leftPadding=0,
                       rightPadding=0, topPadding=0, bottomPadding=0)]
        body = [Frame(MARGIN_X, MARGIN_BOTTOM, FRAME_WIDTH, FRAME_HEIGHT, id="body", leftPadding=0,
                      rightPadding=0, topPadding=0, bottomPadding=0)]
        self.addPageTemplates([PageTemplate("cover", cover, autoNextPageTemplate="body"),
                               PageTemplate("body", body)])
        self.right_column_width = right_w
        self.left_column_width = left_w

    def afterFlowable(self, flowable):
        if isinstance(flowable, SectionHeading):
            self.layout.section_pages[flowable.key] = self.page
            self.canv.bookmarkPage(flowable.key)
            self.canv.addOutlineEntry(fonts().text(flowable.toc_text), flowable.key, level=0, closed=False)


# ---------------------------------------------------------------------------------------------
# Content

def _profile_lines(view: MutualView) -> list[str]:
    p = view.profile
    first = [p.get("sector"), p.get("region"), p.get("legal_form"),
             f"{p['ownership_model']} ownership" if not fmt.is_missing(p.get("ownership_model")) else None]
    second = []
    if not fmt.is_missing(p.get("spin_out_date")):
        verb = "Spun out" if p["spin_out_date"] <= view.as_of else "Spin-out planned for"
        second.append(f"{verb} {fmt.day(p['spin_out_date'])}")
    if not fmt.is_missing(p.get("staff_count")):
        second.append(f"{fmt.count(p['staff_count'])} staff")
    if not fmt.is_missing(p.get("parent_commissioner_name")):
        second.append(f"parent commissioner: {p['parent_commissioner_name']}")
    if not fmt.is_missing(p.get("ceased_date")) and fmt.as_date(p["ceased_date"]) <= view.as_of:
        second.append(f"ceased trading {fmt.day(p['ceased_date'])}")
    sep = " · "
    return [sep.join(str(x) for x in first if x and not fmt.is_missing(x)), sep.join(second)]


def _reasons(view: MutualView) -> list[str]:
    if view.reasons:
        return view.reasons
    if not view.indicators:
        return [f"{view.name} does not appear in the data as of {fmt.day(view.as_of)}; "
                f"the status follows its stage ({fmt.STAGE_WORDS.get(view.stage, view.stage)})."]
    return ["No reasons were recorded for this status."]


def _glance_table(view: MutualView, table: pd.DataFrame, rules: Rules, width: float) -> Table:
    """Per area: its status, then how many indicators are green, amber, red or without data."""
    order = list(rules.statuses)
    head = [para("Area", "cell_head"), para("Area status", "cell_head")]
    style = _grid_style(len(FACTORS) + 1)
    for j, status in enumerate(order, start=2):
        p, (colour, _) = _status_cell(status, style="cell_status_head")
        head.append(p)
        style.append(("BACKGROUND", (j, 0), (j, 0), _hex(colour)))
    data = [head]
    for i, factor in enumerate(FACTORS, start=1):
        counts = table.loc[table["area_key"] == factor, "status"].value_counts()
        area_p, (colour, _) = _status_cell(view.area_statuses[factor])
        style.append(("BACKGROUND", (1, i), (1, i), _hex(colour)))
        data.append([para(rules.area(factor).label, "cell"), area_p] +
                    [para(str(int(counts.get(s, 0))), "cell_centre") for s in order])
    style += [("ALIGN", (2, 0), (-1, -1), "CENTER"), ("LEFTPADDING", (2, 0), (-1, 0), 2),
              ("RIGHTPADDING", (2, 0), (-1, 0), 2)]
    first, second = 0.30 * width, 0.18 * width
    rest = (width - first - second) / len(order)
    t = Table(data, colWidths=[first, second] + [rest] * len(order), hAlign="LEFT")
    t.setStyle(TableStyle(style))
    return t


def _cover(view: MutualView, table: pd.DataFrame, rules: Rules, doc: PackDocument,
           contents: list[tuple[str, str]]) -> list[Flowable]:
    st = _status_style(view.overall_status, overall=True)
    line1, line2 = _profile_lines(view)
    story: list[Flowable] = [
        para("BOARD PACK · SUSTAINABILITY OF A PUBLIC SERVICE MUTUAL", "kicker"),
        Spacer(1, 4),
        para(cap(view.name), "title" if len(cap(view.name)) <= LONG_TITLE else "title_long"),
        para(line1, "meta"),
    ]
    if line2:
        story.append(para(line2, "meta"))
    story.append(para(f"Figures as of <b>{escape(fmt.day(view.as_of))}</b>, compared with "
                      f"{escape(fmt.day(view.previous_as_of))} and with the mutual's sector.", "meta", markup=True))
    if view.synthetic:
        notice = Table([[para(f"<b>{escape(SYNTHETIC_NOTICE)}.</b> The organisation, its people and its numbers "
                              "are generated by a seeded program; no real mutual is described.", "body",
                              markup=True)]], colWidths=[FRAME_WIDTH], hAlign="LEFT")
        notice.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), NOTICE_FILL),
                                    ("LINEBEFORE", (0, 0), (0, -1), 3, NOTICE_EDGE),
                                    ("LEFTPADDING", (0, 0), (-1, -1), 9), ("TOPPADDING", (0, 0), (-1, -1), 6),
                                    ("BOTTOMPADDING", (0, 0), (-1, -1), 7)]))
        story += [Spacer(1, 6), notice]
    story.append(FrameBreak())

    # Left column: the verdict and why.
    story += [para("Overall status", "h2"), StatusPill(st), Spacer(1, 4),
              para(f"Stage: {fmt.STAGE_WORDS.get(view.stage, view.stage)}", "small"),
              para("Why", "h2")]
    for reason in _reasons(view):
        story.append(Paragraph(escape(fonts().text(reason)), styles()["bullet"], bulletText="•"))
    story.append(FrameBreak())

    # Right column: indicators at a glance and the contents.
    story += [para("Indicators at a glance", "h2"), _glance_table(view, table, rules, doc.right_column_width),
              Spacer(1, 4),
              para("Each area's status, and the number of its indicators in each status. A status is shown as "
                   "colour, symbol and word; stale evidence (too old to rate) counts as no data.", "small"),
              para("Contents", "h2")]
    story.append(ContentsList(contents, doc.layout, doc.right_column_width))
    return story


def _section(view: MutualView, number: int, factor: str, title: str, rows: pd.DataFrame,
             charts: list[RenderedChart]) -> list[Flowable]:
    story: list[Flowable] = [NextPageTemplate("body"), PageBreak(),
                             SectionHeading(f"{number}  {title}", key=f"section-{factor}"),
                             Rule(FRAME_WIDTH)]
    area_p, (colour, _) = _status_cell(view.area_statuses[factor])
    badge = Table([[para("Area status", "cell_bold"), area_p]], colWidths=[28 * mm, 32 * mm], hAlign="LEFT")
    badge.setStyle(TableStyle(_grid_style(1, header_rows=0) + [("BACKGROUND", (1, 0), (1, 0), _hex(colour))]))
    story += [badge, Spacer(1, 4)]
    sentences = view.commentary.get(factor) or []
    if sentences:
        story.append(para(" ".join(sentences), "lead"))
    story += [para("Indicators", "h2_keep"), indicator_section_table(rows, view)]
    extra: tuple[str, Table | None] | None = None
    if factor == "engagement":
        extra = ("Latest staff surveys", waves_table(view))
    elif factor == "relationship":
        extra = ("Active contracts", contracts_table(view))
    elif factor == "finance":
        extra = ("Financial years", financials_table(view))
    if extra and extra[1] is not None:
        story += [CondPageBreak(45 * mm), para(extra[0], "h2"), extra[1]]
        if factor == "engagement":
            story.append(para(f"Waves with fewer than {view.min_respondents} respondents are suppressed: "
                              "their scores are not shown.", "small"))
    if charts:
        story += [CondPageBreak(0.3 * FRAME_HEIGHT), para("Charts", "h2_keep")]
        story += chart_blocks(charts)
    return story


def _method_table(table) -> Table:
    """A methodology table (``mutuals.reports.methodology.Table``): status header cells and row heads are
    filled with their status colour and show symbol plus word."""
    n = len(table.header)
    weights = list(table.widths) if len(table.widths) == n else [1.0] * n
    widths = [w / sum(weights) * FRAME_WIDTH for w in weights]
    style = _grid_style(len(table.rows) + 1) + [("VALIGN", (0, 1), (-1, -1), "TOP")]

    def cell(text: str, status: str | None, name: str, row: int, col: int) -> Paragraph:
        if not status:
            return para(text, name)
        st = _status_style(status)
        style.append(("BACKGROUND", (col, row), (col, row), _hex(st.colour)))
        return Paragraph(f'<font color="{st.ink}">{escape(fonts().text(text))}</font>', styles()["cell_bold"])

    header_status = table.header_status or (None,) * n
    data = [[cell(h, header_status[j], "cell_head", 0, j) for j, h in enumerate(table.header)]]
    for i, row in enumerate(table.rows, start=1):
        status = table.row_status[i - 1] if table.row_status else None
        data.append([cell(row[0], status, "cell", i, 0)] + [para(c, "cell") for c in row[1:]])
    out = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    out.setStyle(TableStyle(style))
    return out


def _method_section(section) -> list[Flowable]:
    """One methodology section as printed: heading, paragraphs, labelled facts, the takeaway, tables."""
    body: list[Flowable] = [para(section.title, "h2_keep" if section.level <= 2 else "h3")]
    body += [para(p, "body") for p in section.paragraphs]
    body += [Paragraph(f"<b>{escape(fonts().text(label))}:</b> {escape(fonts().text(text))}", styles()["cell"])
             for label, text in section.facts]
    if section.takeaway:
        body.append(para(f"<b>{escape(fonts().text(section.takeaway))}</b>", "body", markup=True))
    tables: list[Flowable] = []
    for table in section.tables:
        tables += [Spacer(1, 3), _method_table(table)]
    if section.level > 2:  # an indicator: heading, facts and thresholds stay on one page
        return [CondPageBreak(30 * mm), KeepTogether(body + tables), Spacer(1, 6)]
    return [CondPageBreak(40 * mm), *body, *tables, Spacer(1, 4)]


def _appendix(view: MutualView, rules: Rules) -> list[Flowable]:
    """The dashboard's methodology page, printed from the same content builder
    (``mutuals.reports.methodology``): the same sections, indicator texts, thresholds and ladder."""
    from mutuals.reports.methodology import methodology

    story: list[Flowable] = [PageBreak(), SectionHeading("Appendix: methodology", key="appendix"),
                             Rule(FRAME_WIDTH)]
    intro = (f"This appendix prints the dashboard's methodology page (/methodology) from the same rules. The "
             f"figures in this pack are as of {fmt.day(view.as_of)}; ‘change’ compares each value with "
             f"{fmt.day(view.previous_as_of)}, and the sector median is taken over the trading mutuals of the same "
             f"sector ({view.profile.get('sector')}), with n the number that have a value.")
    if view.min_respondents != rules.min_respondents:
        intro += (f" This pack suppresses survey results from fewer than {view.min_respondents} respondents "
                  f"(the configured minimum is {rules.min_respondents}).")
    story += [para(intro, "body"), Spacer(1, 4)]
    for section in methodology(rules, dataset={"synthetic": "true" if view.synthetic else "false"}):
        story += _method_section(section)
    return story


def _charts_for(view: MutualView) -> dict[str, list]:
    from mutuals.charts.mutual import mutual_charts
    return mutual_charts(view)


def board_pack_bytes(view: MutualView, charts: dict[str, list] | None = None) -> bytes:
    """The board pack for ``view`` as PDF bytes. ``charts`` defaults to ``mutual_charts(view)``."""
    warm_up()
    rules = load_rules()
    table = indicator_table(view)
    rendered = render_charts(_charts_for(view) if charts is None else charts)

    titles = {f: rules.area(f).label for f in FACTORS}
    contents = [(f"section-{f}", f"{n}  {titles[f]}") for n, f in enumerate(FACTORS, start=1)]
    contents.append(("appendix", "Appendix: methodology"))

    buffer = io.BytesIO()
    layout = Layout()
    doc = PackDocument(buffer, view, layout)
    story = _cover(view, table, rules, doc, contents)
    for number, factor in enumerate(FACTORS, start=1):
        story += _section(view, number, factor, titles[factor], table[table["area_key"] == factor],
                          rendered[factor])
    story += _appendix(view, rules)
    doc.build(story, canvasmaker=_canvas_class(view, layout))
    return buffer.getvalue()


def write_board_pack(db, mutual_id: str, out_path: Path | str, as_of: date | None = None) -> Path:
    """Write ``mutual_id``'s board pack to ``out_path`` (temp file, then rename). LookupError if unknown."""
    warm_up()  # overlaps vl-convert's start-up with the database work
    view = load_mutual(db, mutual_id, as_of=as_of)
    data = board_pack_bytes(view)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    # A unique name beside the target (same file system, so the rename is atomic), created like any
    # other file so the PDF gets the usual permissions (mkstemp would make it owner-only).
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
