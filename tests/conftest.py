"""Shared fixtures: the hand-made data set built into a throwaway DuckDB file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# No test reads a developer's own workspace (imported data): each test process gets an empty one.
os.environ["MUTUALS_HOME"] = tempfile.mkdtemp(prefix="mutuals-home-")

from mutuals.infra.build import build
from mutuals.infra.db import Database
from tests.fixtures import handmade


@pytest.fixture(scope="session")
def handmade_dir(tmp_path_factory) -> Path:
    return handmade.write_csvs(tmp_path_factory.mktemp("handmade"))


@pytest.fixture(scope="session")
def handmade_db_path(handmade_dir) -> Path:
    return build(handmade_dir, handmade_dir / "mutuals.duckdb").db_path


@pytest.fixture(scope="session")
def handmade_db(handmade_db_path):
    with Database(handmade_db_path) as db:
        yield db


def build_tables(tmp_path: Path, tables: dict[str, list[dict]]) -> Database:
    """Build a database from table rows (missing tables come from the hand-made set)."""
    merged = {**handmade.TABLES, **tables}
    folder = handmade.write_csvs(tmp_path / "csv", merged)
    return Database(build(folder, tmp_path / "m.duckdb").db_path)


def override_rules(tmp_path: Path, monkeypatch, changes: list[tuple[str, str]]):
    """Put in force (``MUTUALS_RULES``) a copy of the bundled rules with each ``old`` text replaced by ``new``.

    Each ``old`` must occur in the bundled config, so a test cannot silently change nothing.
    monkeypatch restores the environment after the test.
    """
    from mutuals.rules import CONFIG_PATH, load_rules

    text = CONFIG_PATH.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, f"not in the bundled config: {old!r}"
        text = text.replace(old, new)
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("MUTUALS_RULES", str(path))
    rules = load_rules()
    assert rules.path == path
    return rules
