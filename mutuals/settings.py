"""Where the data lives. Environment variables let tests and benchmarks point the app elsewhere.

- ``MUTUALS_DATA_DIR``: folder of CSVs (default: the bundled sample in data/).
- ``MUTUALS_DB``: DuckDB file (default: ``<data dir>/mutuals.duckdb``), built on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

from mutuals.infra.db import DATA_DIR


def data_dir() -> Path:
    return Path(os.environ.get("MUTUALS_DATA_DIR") or DATA_DIR)


def db_path() -> Path:
    return Path(os.environ.get("MUTUALS_DB") or data_dir() / "mutuals.duckdb")
