"""The one way into DuckDB: read-only connections, a cursor per query, SQL from queries/.

Every question the product asks lives in ``queries/<name>.sql`` with named
``$parameters``. :func:`Database.query` binds only the parameters a file uses,
so callers may pass a common set (``as_of``, ``scope`` …) to every query.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[2]
QUERIES_DIR = REPO_ROOT / "queries"
DATA_DIR = REPO_ROOT / "data"
DEFAULT_DB_PATH = DATA_DIR / "mutuals.duckdb"

# No extension is ever downloaded or loaded implicitly.
CONNECTION_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT_RE = re.compile(r"--[^\n]*")


class QueryError(RuntimeError):
    """A query could not run: unknown file or a missing parameter."""


@lru_cache(maxsize=None)
def load_sql(name: str) -> str:
    """Return the text of ``queries/<name>.sql``."""
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise QueryError(f"No query file {path.relative_to(REPO_ROOT)}")
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def sql_parameters(name: str) -> frozenset[str]:
    """The named ``$parameters`` that ``queries/<name>.sql`` uses."""
    text = _COMMENT_RE.sub("", load_sql(name))
    return frozenset(_PARAM_RE.findall(text))


def bind(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Pick the parameters a query needs from ``params``; fail clearly if one is missing."""
    needed = sql_parameters(name)
    missing = sorted(needed - params.keys())
    if missing:
        raise QueryError(f"queries/{name}.sql needs parameter(s) {', '.join('$' + m for m in missing)}")
    return {key: _to_duckdb(params[key]) for key in needed}


def _to_duckdb(value: Any) -> Any:
    """Lists, tuples and sets bind as DuckDB lists (sorted sets keep cache keys stable)."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def connect(path: Path | str = DEFAULT_DB_PATH, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection with extension downloads and autoload switched off."""
    return duckdb.connect(str(path), read_only=read_only, config=dict(CONNECTION_CONFIG))


class Database:
    """A read-only DuckDB file shared across threads; each query gets its own cursor.

    A database retired by :class:`Connections` (a newer version is in force) closes its connection
    as soon as no query is using it; a late query on it reopens the file for as long as it runs.
    """

    def __init__(self, path: Path | str = DEFAULT_DB_PATH):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = connect(self.path, read_only=True)
        self._active = 0
        self._retired = False

    def query(self, name: str, **params: Any) -> pd.DataFrame:
        """Run ``queries/<name>.sql`` with named parameters and return a DataFrame."""
        sql = load_sql(name)
        bound = bind(name, params)
        with self._lock:  # cursor() itself touches shared connection state
            if self._conn is None:
                self._conn = connect(self.path, read_only=True)
            self._active += 1
            cursor = self._conn.cursor()
        try:
            return cursor.execute(sql, bound).df()
        finally:
            cursor.close()
            with self._lock:
                self._active -= 1
                if self._retired and self._active == 0:
                    self._close_locked()

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def retire(self) -> None:
        """Close once idle: a newer version of the data is in force."""
        with self._lock:
            self._retired = True
            if self._active == 0:
                self._close_locked()

    def _close_locked(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Connections:
    """The process's open databases: one per slot (a configured database path), the version in force.

    Asking for a slot with a new version file opens it and retires the one it replaces, which closes
    when its last query finishes. This is the only place the app opens database files.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_slot: dict[Path, Database] = {}

    def get(self, slot: Path | str, path: Path | str) -> Database:
        slot, path = Path(slot), Path(path)
        with self._lock:
            current = self._by_slot.get(slot)
            if current is not None and current.path == path:
                return current
            self._by_slot[slot] = fresh = Database(path)
        if current is not None:
            current.retire()
        return fresh

    def open_count(self) -> int:
        with self._lock:
            return sum(db.is_open for db in self._by_slot.values())


CONNECTIONS = Connections()
