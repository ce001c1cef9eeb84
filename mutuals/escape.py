"""Escaping for every data or URL value shown by the app (issue 8, part 4).

- :func:`html_text` for holes in HTML templates (``st.html``, ``unsafe_allow_html`` markdown).
- :func:`md_text` for markdown (``st.markdown``, ``st.title``, captions, notices, labels): every
  markdown, Streamlit directive and LaTeX special is backslash-escaped, so no link, image, raw HTML,
  colour directive or formula can come from data.
- :func:`cap` for plain text with a length limit (chart titles and tooltips: Vega text is not HTML).

All three drop the bidirectional override and isolate characters (U+202A–U+202E, U+2066–U+2069),
which could reorder the text around a value.
"""

from __future__ import annotations

import html
import re

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&\"'])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def plain(value: object) -> str:
    """``value`` as text with the bidi controls removed."""
    return BIDI_CONTROLS.sub("", "" if value is None else str(value))


def html_text(value: object) -> str:
    """``value`` escaped for HTML text or a quoted attribute."""
    return html.escape(plain(value), quote=True)


def md_text(value: object) -> str:
    """``value`` escaped for markdown, on one line (a line break could start a new block)."""
    return _MD_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", plain(value)))


def cap(value: object, limit: int = 120) -> str:
    """``value`` as plain text of at most ``limit`` characters (an ellipsis marks a cut)."""
    text = plain(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
