"""WCAG AA contrast of every text/background pair the app and the board pack draw (issue 10, item 8).

The colours are read from where they are declared: the Streamlit theme (.streamlit/config.toml), the status
styles (mutuals/config/indicators.toml), the Altair theme and the charts' text marks, the HTML pieces'
inline styles and CSS, and the board-pack template's ``#let`` colours. Putting a colour back that fails
(white on the Okabe-Ito green #009E73 was 3.42:1, the synthetic badge 3.06:1, the 14 px captions 3.88:1)
fails a test here. The ratio is computed in this file (WCAG 2 relative luminance), not by the app's code.
"""

from __future__ import annotations

import ast
import importlib
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AA = 4.5          # normal text
AA_LARGE = 3.0    # large text (18 pt, or 14 pt bold), and the minimum anywhere
WHITE = "#FFFFFF"
# Streamlit 1.67 draws captions, placeholders and help text in its theme's "fadedText60": the body text
# colour at 60 % opacity (the default #2f2d2b gave #828180 on white: 3.88:1, found by axe-core).
CAPTION_OPACITY = 0.6


def _rgb(colour: str) -> tuple[float, float, float]:
    c = colour.strip().lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    assert re.fullmatch(r"[0-9a-fA-F]{6}", c), colour
    return tuple(int(c[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _luminance(colour: str) -> float:
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in _rgb(colour)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def ratio(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def blend(fg: str, bg: str, alpha: float) -> str:
    f, b = _rgb(fg), _rgb(bg)
    return "#" + "".join(f"{round((alpha * x + (1 - alpha) * y) * 255):02x}" for x, y in zip(f, b))


def test_ratio_matches_the_known_failures():
    """The function measures what the issue measured (so the test below can fail)."""
    assert ratio("#FFFFFF", "#009E73") == pytest.approx(3.42, abs=0.01)
    assert ratio("#FFFFFF", "#D55E00") == pytest.approx(3.87, abs=0.01)
    assert ratio("#FFFFFF", "#CC79A7") == pytest.approx(3.06, abs=0.01)
    assert ratio(blend("#2f2d2b", WHITE, CAPTION_OPACITY), WHITE) == pytest.approx(3.88, abs=0.02)
    assert ratio("#000000", "#FFFFFF") == pytest.approx(21.0)


# --------------------------------------------------------------------------- the Streamlit theme


def theme() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]


def theme_pairs() -> list[tuple[str, str, str, float]]:
    t = theme()
    text, page, side = t["textColor"], t["backgroundColor"], t["secondaryBackgroundColor"]
    caption = lambda bg: blend(text, bg, CAPTION_OPACITY)  # noqa: E731
    return [
        ("body text on the page", text, page, AA),
        ("body text on the sidebar and inputs", text, side, AA),
        ("captions (14 px) on the page", caption(page), page, AA),
        ("captions and placeholders on the sidebar and inputs", caption(side), side, AA),
        ("links (primary colour) on the page", t["primaryColor"], page, AA),
        ("primary button text (white) on the primary colour", WHITE, t["primaryColor"], AA),
    ]


@pytest.mark.parametrize("name, fg, bg, minimum", theme_pairs(), ids=[p[0] for p in theme_pairs()])
def test_theme_pairs(name, fg, bg, minimum):
    assert ratio(fg, bg) >= minimum, f"{name}: {fg} on {bg} is {ratio(fg, bg):.2f}:1"


# --------------------------------------------------------------------------- status styles


def status_styles() -> list[tuple[str, str]]:
    raw = tomllib.loads((ROOT / "mutuals" / "config" / "indicators.toml").read_text(encoding="utf-8"))
    return [(f"{group}.{key}", v["colour"]) for group in ("status", "overall_status")
            for key, v in raw[group].items()]


@pytest.mark.parametrize("key, fill", status_styles(), ids=[k for k, _ in status_styles()])
def test_status_fill_with_its_ink(key, fill):
    """Each status fill with the ink the app computes for it (black or white, whichever is higher): 4.5:1."""
    from mutuals.formatting import status_style

    style = status_style(key.split(".", 1)[1])
    assert style.colour == fill
    assert ratio(style.ink, fill) >= AA, f"{key}: {style.ink} on {fill} is {ratio(style.ink, fill):.2f}:1"


def test_overall_statuses_have_their_own_shapes():
    """Item 5: the overall ladder never borrows an indicator status's mark (✓ ▲ ✖ –)."""
    raw = tomllib.loads((ROOT / "mutuals" / "config" / "indicators.toml").read_text(encoding="utf-8"))
    marks = {v["symbol"] for v in raw["status"].values()}
    overall = [v["symbol"] for v in raw["overall_status"].values()]
    assert len(set(overall)) == len(overall)
    assert not marks & set(overall), f"overall statuses reuse indicator marks: {marks & set(overall)}"


# --------------------------------------------------------------------------- the HTML pieces


HTML_SOURCES = ["mutuals/ui/components.py", "mutuals/charts/portfolio.py", "mutuals/ui/methodology.py"]
HEX = r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b"


def _resolve(module, source: str, text: str) -> str:
    """``text`` with ``{NAME}`` replaced by the module constant's value (e.g. the synthetic badge's colours)."""
    return re.sub(r"\{([A-Z_]+)\}", lambda m: str(getattr(module, m.group(1))), text)


def html_pairs() -> list[tuple[str, str, str]]:
    """(where, text colour, background) for every declaration block with a literal text colour: its own
    background when it has one, else the page's white."""
    out = []
    for rel in HTML_SOURCES:
        module = importlib.import_module(rel.removesuffix(".py").replace("/", "."))
        source = (ROOT / rel).read_text(encoding="utf-8")
        # inline style="…" attributes and CSS blocks {…}; strings split over lines are joined first
        joined = re.sub(r"'\s*\n\s*f?'|\"\s*\n\s*f?\"", "", source)
        for block in re.findall(r'style="([^"]*)"|\{([^{}]*color:[^{}]*)\}', joined):
            decl = _resolve(module, source, block[0] or block[1])
            colour = re.search(rf"(?<![-\w])color:\s*({HEX})", decl)
            if not colour:
                continue
            background = re.search(rf"background(?:-color)?:\s*({HEX})", decl)
            out.append((f"{rel}: {decl[:60]}", colour.group(1), background.group(1) if background else WHITE))
    return out


def test_html_pairs_are_found():
    pairs = html_pairs()
    where = " ".join(p[0] for p in pairs)
    colours = {fg for _, fg, _ in pairs}
    assert {"#6E2A52", "#444", "#555"} <= colours, where  # synthetic badge, card footer, fact label


@pytest.mark.parametrize("where, fg, bg", html_pairs(), ids=[p[0][:70] for p in html_pairs()])
def test_html_pairs(where, fg, bg):
    assert ratio(fg, bg) >= AA, f"{where}: {fg} on {bg} is {ratio(fg, bg):.2f}:1"


def test_synthetic_badge():
    from mutuals.ui import components

    html = components.synthetic_badge()
    fg = re.search(rf";color:({HEX})", html).group(1)
    bg = re.search(rf"background:({HEX})", html).group(1)
    assert ratio(fg, bg) >= AA, f"synthetic badge {fg} on {bg}: {ratio(fg, bg):.2f}:1"


# --------------------------------------------------------------------------- charts


def chart_text_colours() -> list[tuple[str, str]]:
    """The Altair theme's text colours, the export title block's, and every ``mark_text(color=…)`` in the charts
    (a literal or a module constant)."""
    from mutuals.charts import export, theme

    config = theme.theme_config()["config"]
    out = [(f"theme {part}.{key}", value) for part, section in config.items() if isinstance(section, dict)
           for key, value in section.items() if key.lower().endswith("color") and key not in
           ("gridColor", "domainColor", "tickColor", "symbolFillColor")]
    out.append(("export subtitle", export.SUBTITLE_INK))
    for path in sorted((ROOT / "mutuals" / "charts").rglob("*.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "mark_text":
                for kw in node.keywords:
                    if kw.arg == "color":
                        value = kw.value.value if isinstance(kw.value, ast.Constant) else getattr(module, kw.value.id)
                        out.append((f"{path.name}:{node.lineno} mark_text", value))
    return out


def test_chart_text_colours_are_found():
    found = chart_text_colours()
    assert any(w.startswith("theme axis.labelColor") for w, _ in found)
    assert sum("mark_text" in w for w, _ in found) >= 5


@pytest.mark.parametrize("where, colour", chart_text_colours(), ids=[w for w, _ in chart_text_colours()])
def test_chart_text_on_white(where, colour):
    assert ratio(colour, WHITE) >= AA, f"{where}: {colour} on white is {ratio(colour, WHITE):.2f}:1"


def test_risky_quadrant_label_on_its_shade():
    """The scatter's label sits on the red shade (#D55E00 at 10 % over white)."""
    shade = blend("#D55E00", WHITE, 0.10)
    assert ratio("#A04000", shade) >= AA


# --------------------------------------------------------------------------- the board pack


def pack_colours() -> dict[str, str]:
    text = (ROOT / "mutuals" / "reports" / "boardpack" / "boardpack.typ").read_text(encoding="utf-8")
    return {name: value for name, value in re.findall(r'#let ([\w-]+) = rgb\("(#[0-9A-Fa-f]{6})"\)', text)}


# Which text colour the template sets on which fill (none: the white page).
PACK_PAIRS = [("ink", None), ("muted", None), ("accent", None), ("notice-ink", None),
              ("ink", "head-fill"), ("muted", "head-fill"), ("ink", "notice-fill"), ("notice-ink", "notice-fill")]


@pytest.mark.parametrize("fg, bg", PACK_PAIRS, ids=[f"{fg} on {bg or 'page'}" for fg, bg in PACK_PAIRS])
def test_board_pack_pairs(fg, bg):
    colours = pack_colours()
    assert {"ink", "muted", "accent", "head-fill", "notice-fill", "notice-ink"} <= set(colours)
    fg_c, bg_c = colours[fg], colours[bg] if bg else WHITE
    assert ratio(fg_c, bg_c) >= AA, f"board pack {fg} {fg_c} on {bg} {bg_c}: {ratio(fg_c, bg_c):.2f}:1"


def test_board_pack_status_cells_use_the_computed_ink():
    """The pack's status cells and pills take fill and ink from the status styles (checked above)."""
    from mutuals.formatting import status_style
    from mutuals.reports.boardpack import content

    source = Path(content.__file__).read_text(encoding="utf-8")
    assert '"fill": st.colour, "ink": st.ink' in source
    for key in ("green", "red", "at_risk", "sustainable"):
        style = status_style(key)
        assert ratio(style.ink, style.colour) >= AA
