"""A mutual's board pack as a PDF: cover, one section per area, methodology appendix.

The layout is one Typst template, ``boardpack.typ`` beside this file; the content is plain data
(:mod:`.content`) handed to it as one JSON document through ``sys.inputs``, so a value from the data
is always printed as text and never read as Typst markup. Typst sets the A4 landscape pages, the
running header and footer with "Page N of M", the contents and the PDF bookmarks.

Charts are the same chart specs the mutual page shows, exported to SVG with vl-convert and embedded as
vector images. Status is always colour plus symbol plus word; suppressed survey values are never printed.

    board_pack_bytes(view, charts=None, table=None)  -> the PDF as bytes
    write_board_pack(db, mutual_id, out_path)        -> writes it atomically, returns the path
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import typst

from mutuals.reports.boardpack.content import SYNTHETIC_NOTICE, pack_data
from mutuals.rules import load_rules
from mutuals.services.mutual import MutualView, indicator_table, load_mutual

if TYPE_CHECKING:
    from mutuals.charts.mutual import ChartSpec

__all__ = ["SYNTHETIC_NOTICE", "board_pack_bytes", "write_board_pack"]

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).with_name("boardpack.typ")
# The pack is set in DejaVu Sans, which has the status symbols (✓ ▲ ✖ ◔ ◇): its usual folders are handed
# to Typst. Without it, Typst's embedded fonts stand in (with a warning in the log) and the template draws
# the ✖ they lack; it always draws ⌛, which no common font has.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/share/fonts/dejavu-sans-fonts"), Path("/usr/share/fonts/TTF"))
# Installed fonts too: chart text is then set in the font vl-convert measured it in (the charts ask for
# "Source Sans Pro, Helvetica, Arial, DejaVu Sans, sans-serif": whichever is installed first).
SYSTEM_FONTS = True
SVG_SIZE = re.compile(r"<svg\b[^>]*?\bwidth=\"([\d.]+)[^\"]*\"[^>]*?\bheight=\"([\d.]+)")


def font_paths() -> list[str]:
    """The DejaVu folders found on this machine, handed to Typst."""
    return [str(d) for d in FONT_DIRS if (d / "DejaVuSans.ttf").is_file()]


@lru_cache(maxsize=8)
def _families(paths: tuple[str, ...], system: bool) -> frozenset[str]:
    return frozenset(typst.Fonts(include_system_fonts=system, font_paths=list(paths)).families())


def has_dejavu() -> bool:
    """Whether Typst finds DejaVu Sans (in :data:`FONT_DIRS` or, with :data:`SYSTEM_FONTS`, installed)."""
    return "DejaVu Sans" in _families(tuple(font_paths()), SYSTEM_FONTS)


# ---------------------------------------------------------------------------------------------
# Charts: each spec to SVG once, with vl-convert.

def render_chart(spec: ChartSpec) -> dict:
    """``spec`` as the template shows it: title, caption and the SVG (None, with the error, if it failed)."""
    from mutuals.charts.export import to_svg

    out = {"key": spec.key, "title": spec.title, "caption": spec.caption, "svg": None, "error": None}
    try:
        # Without Altair's schema check (a fifth of the time): these are the page's charts, validated there.
        chart = spec.chart.to_dict(validate=False)
        svg = to_svg(chart)
        size = SVG_SIZE.search(svg)
        out.update(svg=svg, titled=bool(chart.get("title")),  # the chart draws its own title
                   width=float(size.group(1)) if size else 700.0, height=float(size.group(2)) if size else 400.0)
    except Exception as exc:  # one broken chart must not lose the whole pack: logged, and said in the pack
        log.exception("board pack: chart %s could not be drawn", spec.key)
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


_warm_lock = threading.Lock()
_warmed = False


def warm_up() -> None:
    """Start vl-convert's JavaScript engine (about half a second, once per process) in the background."""
    global _warmed
    with _warm_lock:
        if _warmed:
            return
        _warmed = True

    def run() -> None:
        try:
            from mutuals.charts.export import to_svg
            to_svg({"data": {"values": [{"a": 1}]}, "mark": "point"})
        except Exception:  # only a head start; the real conversions report their own errors
            log.debug("board pack: vl-convert warm-up failed", exc_info=True)

    threading.Thread(target=run, name="vl-convert-warm-up", daemon=True).start()


# ---------------------------------------------------------------------------------------------
# The PDF

def compile_pack(data: dict) -> bytes:
    """The template set with ``data`` (passed as JSON in ``sys.inputs``, never spliced into markup)."""
    dejavu = has_dejavu()
    if not dejavu:
        log.warning("board pack: DejaVu Sans not found (apt-get install fonts-dejavu-core); using Typst's own fonts")
    pdf, warnings = typst.compile_with_warnings(
        str(TEMPLATE), root=str(TEMPLATE.parent), font_paths=font_paths(), ignore_system_fonts=not SYSTEM_FONTS,
        sys_inputs={"pack": json.dumps({**data, "dejavu": dejavu}, ensure_ascii=False)}, format="pdf")
    for warning in warnings:
        log.warning("board pack: typst: %s", warning)
    return pdf


def board_pack_bytes(view: MutualView, charts: dict[str, list[ChartSpec]] | None = None,
                     table: pd.DataFrame | None = None) -> bytes:
    """The board pack for ``view`` as PDF bytes. ``charts`` defaults to ``mutual_charts(view)`` and ``table``
    to ``indicator_table(view)`` (the mutual page passes the ones it has already built)."""
    warm_up()
    if charts is None:
        from mutuals.charts.mutual import mutual_charts
        charts = mutual_charts(view)
    table = indicator_table(view) if table is None else table
    rendered = {factor: [render_chart(spec) for spec in specs] for factor, specs in charts.items()}
    return compile_pack(pack_data(view, table, rendered, load_rules()))


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
