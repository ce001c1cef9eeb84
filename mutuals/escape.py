"""Escaping and bounding for every data or URL value shown by the app (issue 8, parts 4 and 7).

- :func:`html_text` for holes in HTML templates (``st.html``, ``unsafe_allow_html`` markdown, attributes).
- :func:`md_text` for markdown (``st.markdown``, ``st.title``, captions, notices, widget labels): every
  markdown, Streamlit directive and LaTeX special is backslash-escaped, and so are ``<``, ``>`` and ``&``,
  so no link, image, raw HTML, entity, colour directive or formula can come from data; a bare URL or
  e-mail address gets an invisible word joiner, so it is not turned into a link either. It is also safe
  inside ``st.markdown(..., unsafe_allow_html=True)``: an escaped ``<`` is text, never a tag.
- :func:`cap` for plain text with a length limit (chart labels, titles and tooltips: Vega text is not
  HTML, and vega-tooltip escapes ``<`` and ``&`` itself); by default the config's
  ``[settings] label_max_chars``.
- :func:`html_label`: a capped label in HTML whose ``title`` (the hover tooltip) holds the fuller text,
  itself bounded by :data:`FULL_TEXT_MAX`, so a huge value never makes a page payload huge.

All of them drop the bidirectional override and isolate characters (U+202A–U+202E, U+2066–U+2069),
which could reorder the text around a value, and the C0 control characters but tab (NUL included).
Escape once, at the point of display: the builders of captions and labels return plain text.
"""

from __future__ import annotations

import html
import re

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&\"'])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\u0085]+")
# Streamlit's markdown turns a bare URL or e-mail address in *text* into a link (GFM autolink literals,
# found after escapes are resolved, so a backslash cannot stop it). An invisible word joiner after
# "www"/"http"/"ftp" and before "@" breaks the pattern and leaves the text as it reads.
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?<=https)(?=:)|(?<=http)(?=:)|(?<=ftp)(?=:)|(?=@)")
WORD_JOINER = "\u2060"

DEFAULT_LABEL_MAX = 120
FULL_TEXT_MAX = 1_000  # the longest text shown anywhere, tooltips included (the build's cap for names)


def label_limit() -> int:
    """The config's ``[settings] label_max_chars`` (names in headings, the matrix, charts)."""
    try:
        from mutuals.rules import load_rules

        return int(load_rules().settings.label_max_chars)
    except Exception:  # noqa: BLE001 - a broken config must not stop escaping
        return DEFAULT_LABEL_MAX


def plain(value: object) -> str:
    """``value`` as text with the bidi and control characters removed (None is empty)."""
    return BIDI_CONTROLS.sub("", "" if value is None else str(value))


def cap(value: object, limit: int | None = None) -> str:
    """``value`` as plain text of at most ``limit`` characters (default :func:`label_limit`); an ellipsis
    marks a cut."""
    limit = label_limit() if limit is None else max(int(limit), 1)
    raw = "" if value is None else str(value)
    cut = len(raw) > 4 * limit  # never scan more than needed of a huge value
    text = plain(raw[: 4 * limit] if cut else raw)
    return text[: limit - 1] + "…" if cut or len(text) > limit else text


def html_text(value: object, limit: int | None = FULL_TEXT_MAX) -> str:
    """``value`` escaped for HTML text or a quoted attribute, cut to ``limit`` characters (None: no cut)."""
    return html.escape(plain(value) if limit is None else cap(value, limit), quote=True)


def md_text(value: object, limit: int | None = FULL_TEXT_MAX) -> str:
    """``value`` escaped for markdown, on one line (a line break could start a new block), cut to
    ``limit`` characters first (None: no cut)."""
    text = plain(value) if limit is None else cap(value, limit)
    text = _AUTOLINK.sub(WORD_JOINER, _LINE_BREAKS.sub(" ", text))
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_label(value: object, limit: int | None = None) -> str:
    """``value`` as a label in markdown (headings, bold names, link and widget labels): cut to ``limit``
    (default :func:`label_limit`), then escaped."""
    return md_text(cap(value, limit), None)


def html_label(value: object, limit: int | None = None) -> str:
    """``value`` for an HTML template: cut to ``limit`` (default :func:`label_limit`), and when cut, wrapped in
    a ``<span title>`` holding the text up to :data:`FULL_TEXT_MAX` characters for the hover tooltip."""
    short = cap(value, limit)
    if short == plain(value):
        return html_text(short)
    return f'<span title="{html_text(value)}">{html_text(short)}</span>'


def md_unescape(text: str) -> str:
    """The text a reader sees of escaped markdown: backslash escapes and word joiners removed (for tests)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace(WORD_JOINER, "")


def cap_columns(frame, columns=None, limit: int | None = FULL_TEXT_MAX):
    """A copy of ``frame`` with the text cells of ``columns`` (default: every object column) capped."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    if columns is None:
        columns = [c for c in frame.columns if is_object_dtype(frame[c].dtype) or is_string_dtype(frame[c].dtype)]
    if not columns or frame.empty:
        return frame
    return frame.assign(**{c: frame[c].map(lambda v: cap(v, limit) if isinstance(v, str) else v) for c in columns})
