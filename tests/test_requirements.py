"""requirements.txt matches the code: every third-party import is pinned, and every pin is used."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "dashboard.py", *(p for folder in ("mutuals", "pages", "tests", "bench")
                                    for p in sorted((ROOT / folder).rglob("*.py")))]
# Pinned but run as a tool or plugin, never imported: where each is used.
TOOLS = {
    "cogapp": "tests/test_readme.py runs `python -m cogapp --check README.md`",
    "pytest-xdist": "the README test command runs `pytest -n 2`",
    "ruff": "tests/test_lint.py runs `python -m ruff check .`",
    "import-linter": "tests/test_lint.py runs `lint-imports`",
    "python-calamine": "pandas.read_excel(engine='calamine') reads XLSX (tests read the explorer's exports back)",
}


def pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not pinned with =="
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> files importing it, for every module that is neither stdlib nor ours."""
    ours = {"mutuals", "tests", "bench", "pages", "dashboard"}
    found: dict[str, set[str]] = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ours and top != "__future__":
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_pinned_and_every_pin_is_used():
    pins = pinned()
    distributions = packages_distributions()
    used = set()
    for module, files in third_party_imports().items():
        names = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(module, [module])}
        assert names & set(pins), f"{module} (imported by {sorted(files)[:3]}) is not pinned in requirements.txt"
        used |= names & set(pins)
    unused = set(pins) - used - set(TOOLS)
    assert not unused, f"pinned in requirements.txt but never imported or run: {sorted(unused)}"


def test_pins_match_what_is_installed():
    from importlib.metadata import version

    for name, pin in pinned().items():
        assert version(name) == pin, f"{name}: requirements.txt pins {pin}, {version(name)} is installed"
