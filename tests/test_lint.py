"""Lint and the layering contract run with the tests, so neither can drift.

``ruff check`` uses the configuration in pyproject.toml; ``lint-imports`` checks its import-linter contracts:
the layers (cli, ui -> charts/reports -> services -> infra/rules), Streamlit only in the UI glue, and no
import cycles between sibling modules or packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_ruff_is_clean():
    result = run(sys.executable, "-m", "ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def lint_imports_command() -> str:
    """The lint-imports installed beside this Python (the README's virtual environment), else the one on PATH."""
    beside = Path(sys.executable).parent / "lint-imports"
    return str(beside) if beside.is_file() else (shutil.which("lint-imports") or str(beside))


def test_the_layers_and_the_streamlit_boundary_hold():
    lint_imports = lint_imports_command()
    result = run(lint_imports)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_the_contract_would_catch_streamlit_in_a_service(tmp_path):
    """Not vacuous: in a copy of the package, a services module importing streamlit breaks the contract."""
    shutil.copytree(ROOT / "mutuals", tmp_path / "mutuals", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "mutuals" / "services" / "lint_probe.py").write_text("import streamlit  # noqa: F401\n",
                                                                     encoding="utf-8")
    lint_imports = lint_imports_command()
    result = subprocess.run([lint_imports, "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, check=False, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert result.returncode != 0 and "mutuals.services.lint_probe" in result.stdout, result.stdout


def test_no_view_reads_the_wall_clock():
    """The as-of date defaults to the data date, never today's date (issue 9)."""
    import re

    # Where the clock is the fact itself, never an as-of date: the moment an imported version was made.
    allowed = {"mutuals/infra/workspace.py"}
    sources = [ROOT / "dashboard.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "mutuals").rglob("*.py")]
    offenders = [str(p.relative_to(ROOT)) for p in sources
                 if re.search(r"\b(date\.today|datetime\.now|datetime\.today)\(", p.read_text(encoding="utf-8"))]
    assert set(offenders) <= allowed, offenders
    stamp = (ROOT / "mutuals" / "infra" / "workspace.py").read_text(encoding="utf-8")
    assert len(re.findall(r"\bdatetime\.now\(", stamp)) == 1  # the created_at stamp only
