"""Where the data lives. Environment variables let tests and benchmarks point the app elsewhere.

In this order:

1. ``MUTUALS_DATA_DIR`` (folder of CSVs) / ``MUTUALS_DB`` (DuckDB file, default ``<data dir>/mutuals.duckdb``,
   built on first use): when either is set, the workspace is not consulted.
2. The workspace's active imported version (:mod:`mutuals.infra.workspace`, ``MUTUALS_HOME``), when
   ``<home>/active.json`` exists.
3. The bundled sample in data/.
"""

from __future__ import annotations

import os
from pathlib import Path

from mutuals.infra.db import DATA_DIR

# The pointer file's identity (path, inode, mtime, size) and what it named; replaced whole (thread-safe reads).
_active: tuple = (None, None)


def _overridden() -> bool:
    return bool(os.environ.get("MUTUALS_DATA_DIR") or os.environ.get("MUTUALS_DB"))


def _workspace() -> tuple[str, Path, Path] | None:
    """(version id, csv folder, database path) of the active workspace version; one stat when unchanged."""
    from mutuals.infra import workspace  # imported here: workspace depends on the infra modules

    pointer = workspace.pointer_path()
    try:
        st = pointer.stat()
    except OSError:
        return None
    global _active
    key = (str(pointer), st.st_ino, st.st_mtime_ns, st.st_size)
    cached_key, value = _active
    if cached_key != key:
        paths = workspace.active_paths()
        value = (paths[0].parent.name, *paths) if paths else None
        _active = (key, value)
    return value


def data_dir() -> Path:
    if _overridden():
        return Path(os.environ.get("MUTUALS_DATA_DIR") or DATA_DIR)
    found = _workspace()
    return found[1] if found else DATA_DIR


def db_path() -> Path:
    if _overridden():
        return Path(os.environ.get("MUTUALS_DB") or data_dir() / "mutuals.duckdb")
    found = _workspace()
    return found[2] if found else DATA_DIR / "mutuals.duckdb"


def dataset_source() -> str:
    """``"workspace:<version id>"`` when an imported version is served, else ``"sample"`` (the bundled
    sample, or the folder named by ``MUTUALS_DATA_DIR`` / ``MUTUALS_DB``)."""
    found = None if _overridden() else _workspace()
    return f"workspace:{found[0]}" if found else "sample"


def rebuild_db_path() -> Path | None:
    """Where an imported version's database is rebuilt when the build's code or rules changed since it was
    imported (``<home>/cache/<version id>/mutuals.duckdb``): a version's own folder is never written after
    its import. None when the served data is not a workspace version."""
    found = None if _overridden() else _workspace()
    if not found:
        return None
    from mutuals.infra import workspace

    return workspace.home() / "cache" / found[0] / "mutuals.duckdb"


def connection_slot() -> Path:
    """The slot of the shared connection (:data:`mutuals.infra.db.CONNECTIONS`): one for every workspace
    version, so a newly activated version retires the one it replaces."""
    if not _overridden() and _workspace():
        from mutuals.infra import workspace

        return workspace.home()
    return db_path()
