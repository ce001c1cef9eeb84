"""Shared fixtures: the hand-made data set built into a throwaway DuckDB file."""

from __future__ import annotations

from pathlib import Path

import pytest

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
