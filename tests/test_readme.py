"""The README's rule tables are generated from the config by cog: they cannot drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_tables_match_the_config():
    result = subprocess.run([sys.executable, "-m", "cogapp", "--check", str(README)],
                            capture_output=True, text=True, cwd=README.parent)
    assert result.returncode == 0, f"README.md is out of date: run `cog -r README.md`\n{result.stdout}{result.stderr}"


def test_readme_names_every_indicator_and_rule_count():
    from mutuals.rules import load_rules

    text = README.read_text(encoding="utf-8")
    rules = load_rules()
    for ind in rules.indicators:
        assert f"`{ind.column}` {ind.label}" in text
    o = rules.overall
    assert f"{o.at_risk_min_red_areas} or more areas red" in text
    assert f"{o.watch_min_amber_areas} or more areas amber" in text
    assert f"{rules.rollup.area_red_min_red_signals} or more signals are red" in text
