"""Imported data sets: immutable versions in a workspace folder, one of them active.

Layout under :func:`home` (``MUTUALS_HOME``, default ``<repo>/workspace/``)::

    versions/<id>/csv/<table>.csv    one per table of the data contract
    versions/<id>/mutuals.duckdb...  the built database (``versions.publish``: the app finds it ready)
    versions/<id>/manifest.json      what the version is (:class:`Manifest`)
    activated/<id>                   an empty marker: the version was confirmed (written before its first swap)
    active.json                      ``{"version": id}``: the pointer, replaced atomically (``os.replace``)
    import.lock                      flock held for a whole import (and by cleanup and activation)
    .tmp-*                           an import being made, or left by a crash (removed by :func:`cleanup`)

An import is made in a ``.tmp-*`` folder, fsynced, renamed into ``versions/`` and only then activated, so a
crash at any point leaves the previous version active. A version folder is never written after its rename.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from mutuals.infra.csvread import BuildError
from mutuals.infra.db import REPO_ROOT

__all__ = ["BuildError", "Manifest", "Source", "WorkspaceError", "activate", "active", "active_paths",
           "cleanup", "create_version", "home", "list_versions", "pointer_path", "rollback", "version_dir"]

HOME_ENV = "MUTUALS_HOME"
CRASH_ENV = "MUTUALS_IMPORT_CRASH_AT"  # fault injection for tests: validate | build | manifest | swap
TMP_PREFIX = ".tmp-"
CSV_DIR, DB_NAME, MANIFEST_NAME = "csv", "mutuals.duckdb", "manifest.json"
_ID_RE = re.compile(r"^v(\d+)-\d{8}T\d{6}Z$")


class WorkspaceError(RuntimeError):
    """A workspace operation cannot be done (an unknown version, nothing to roll back to)."""


@dataclass(frozen=True)
class Source:
    """A file the version was imported from."""

    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """What a version is; stored as ``manifest.json`` in its folder and never changed."""

    version: str
    parent: str | None                  # the version active when this one was made
    created_at: str                     # UTC, ISO 8601
    sources: tuple[Source, ...]
    rows: dict[str, int] = field(hash=False)  # per table of the data contract
    normalisations: tuple[str, ...]
    synthetic: bool
    name: str | None                    # dataset_info's ``name``, when given
    data_date: str | None               # the latest recorded event (ISO date)
    notes: tuple[str, ...] = ()         # what the build reported but loaded anyway
    message: str = ""
    active: bool = field(default=False, compare=False)  # filled in when listed; not stored

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("active")
        return json.dumps({"format": 1, **data}, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        return cls(version=data["version"], parent=data.get("parent"), created_at=data["created_at"],
                   sources=tuple(Source(**s) for s in data.get("sources") or ()),
                   rows={str(k): int(v) for k, v in (data.get("rows") or {}).items()},
                   normalisations=tuple(data.get("normalisations") or ()), synthetic=bool(data.get("synthetic")),
                   name=data.get("name"), data_date=data.get("data_date"), notes=tuple(data.get("notes") or ()),
                   message=data.get("message") or "")

    @property
    def folder(self) -> Path:
        return version_dir(self.version)


# --- paths -----------------------------------------------------------------------------------------------

def home() -> Path:
    """The workspace folder: ``MUTUALS_HOME``, default ``<repo>/workspace/``."""
    return Path(os.environ.get(HOME_ENV) or REPO_ROOT / "workspace")


def pointer_path() -> Path:
    return home() / "active.json"


def _versions_root() -> Path:
    return home() / "versions"


def version_dir(version: str) -> Path:
    if not _ID_RE.match(version):
        raise WorkspaceError(f"not a version id: {version!r}")
    return _versions_root() / version


def _markers_root() -> Path:
    return home() / "activated"


# --- durable file operations ------------------------------------------------------------------------------

def _fsync_dir(path: Path | str) -> None:
    """Flush a file or folder to disk (opened read-only: nothing is modified)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in [*files, "."]:
            _fsync_dir(os.path.join(folder, name))


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a ``.tmp-`` file, fsync, ``os.replace``)."""
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{secrets.token_hex(6)}")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _lock(*, wait: bool = True):
    """Hold ``import.lock``; yields False at once when ``wait`` is off and someone else holds it."""
    root = home()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "import.lock", "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _crash_point(name: str) -> None:
    """Fault injection: the process kills itself here when ``MUTUALS_IMPORT_CRASH_AT`` names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _crash_mid_build(build_module):
    """With ``MUTUALS_IMPORT_CRASH_AT=build``: die once every table is loaded into the temporary DuckDB file,
    before the derived tables are written and the file is moved into place. Otherwise nothing is patched."""
    if os.environ.get(CRASH_ENV) != "build":
        return nullcontext()
    from unittest import mock

    return mock.patch.object(build_module, "write_derived", lambda *args, **kwargs: _crash_point("build"))


# --- reading state ----------------------------------------------------------------------------------------

def _read_pointer() -> str | None:
    try:
        version = json.loads(pointer_path().read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None
    return version if isinstance(version, str) and _ID_RE.match(version) else None


def _read_manifest(version: str) -> Manifest | None:
    try:
        return Manifest.from_json((version_dir(version) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, WorkspaceError):
        return None


def _confirmed() -> set[str]:
    root = _markers_root()
    return {p.name for p in root.iterdir()} if root.is_dir() else set()


def _on_disk() -> list[str]:
    root = _versions_root()
    return sorted((p.name for p in root.iterdir() if _ID_RE.match(p.name)), reverse=True) if root.is_dir() else []


def _strays() -> tuple[list[Path], list[str]]:
    """Leftovers of crashed imports: ``.tmp-*`` entries, and version folders never confirmed."""
    root = home()
    if not root.is_dir():
        return [], []
    tmp = [p for p in root.iterdir() if p.name.startswith(TMP_PREFIX)]
    # Only folders newer than every confirmed version and the active one (an import cleans up before it makes
    # a version, so a crash's folder is always the newest): a lost marker never costs a real version.
    keep = {*_confirmed(), _read_pointer()} - {None}
    newest = max(keep, key=_counter, default=None)
    orphans = [v for v in _on_disk() if v not in keep and (newest is None or _counter(v) > _counter(newest))]
    return tmp, orphans


def cleanup() -> list[str]:
    """Remove what crashed imports left (``.tmp-*``, unconfirmed version folders); returns their names.

    Does nothing while an import runs (it holds ``import.lock``), so a running import is never touched.
    """
    if not any(_strays()):
        return []
    with _lock(wait=False) as held:
        return _cleanup_locked() if held else []


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True) if path.is_dir() and not path.is_symlink() else path.unlink(True)


def _cleanup_locked() -> list[str]:
    tmp, orphans = _strays()
    for path in tmp:
        _remove(path)
    removed = [path.name for path in tmp]
    for version in orphans:  # moved out of versions/ in one step, then deleted (a crash leaves a .tmp-)
        trash = home() / f"{TMP_PREFIX}orphan-{version}"
        os.rename(version_dir(version), trash)
        _remove(trash)
        removed.append(version)
    return removed


def active() -> Manifest | None:
    """The active version's manifest, or None when no imported version is active (the sample is served)."""
    cleanup()
    version = _read_pointer()
    manifest = _read_manifest(version) if version else None
    return replace(manifest, active=True) if manifest else None


def active_paths() -> tuple[Path, Path] | None:
    """(csv folder, database path) of the active version, for :mod:`mutuals.settings`; None when none is."""
    version = _read_pointer()
    folder = version_dir(version) if version else None
    return (folder / CSV_DIR, folder / DB_NAME) if folder and (folder / MANIFEST_NAME).is_file() else None


def list_versions() -> list[Manifest]:
    """Every confirmed version, newest first; the active one has ``active=True``."""
    cleanup()
    current, confirmed = _read_pointer(), _confirmed()
    found = [_read_manifest(v) for v in _on_disk() if v in confirmed or v == current]
    return [replace(m, active=m.version == current) for m in found if m is not None]


# --- switching --------------------------------------------------------------------------------------------

def _activate_locked(version: str) -> Manifest:
    manifest = _read_manifest(version)
    if manifest is None:
        raise WorkspaceError(f"no version {version!r} in {_versions_root()}")
    markers = _markers_root()
    if not (markers / version).exists():
        markers.mkdir(parents=True, exist_ok=True)
        (markers / version).touch()
        _fsync_dir(markers)
    _write_atomic(pointer_path(), json.dumps({"version": version}).encode())
    return replace(manifest, active=True)


def activate(version: str) -> Manifest:
    """Make ``version`` the active one (use, or roll back to, any version): only the pointer changes."""
    cleanup()
    with _lock():
        return _activate_locked(version)


def rollback() -> Manifest:
    """Activate the parent of the active version."""
    current = active()
    if current is None:
        raise WorkspaceError("no imported version is active")
    if current.parent is None:
        raise WorkspaceError(f"version {current.version} has no earlier version to roll back to")
    return activate(current.parent)


# --- importing --------------------------------------------------------------------------------------------

def _counter(version: str) -> int:
    found = _ID_RE.match(version)
    return int(found.group(1)) if found else 0


def _next_id(now: datetime) -> str:
    used = max(map(_counter, {*_on_disk(), *_confirmed()}), default=0)
    return f"v{used + 1:04d}-{now:%Y%m%dT%H%M%SZ}"


def _sources(paths: list[Path]) -> tuple[Source, ...]:
    found: list[Source] = []
    for path in map(Path, paths):
        files = [(p, f"{path.name}/{p.relative_to(path)}") for p in sorted(path.rglob("*")) if p.is_file()] \
            if path.is_dir() else [(path, path.name)]
        found += [Source(name, _sha256(p), p.stat().st_size) for p, name in files]
    return tuple(found)


def _describe(db_file: Path) -> tuple[dict[str, int], dict[str, str], str | None]:
    """Row counts per table, dataset_info and the data date of a built database (opened read-only)."""
    import pandas as pd

    from mutuals.infra.build import ALL_TABLES, q
    from mutuals.infra.db import Database, connect

    with Database(db_file) as db:
        frame = db.query("dataset_info")
        day = db.query("data_date")["data_date"].iloc[0]
    con = connect(db_file, read_only=True)
    try:
        rows = {t: int(con.execute(f"SELECT count(*) FROM {q(t)}").fetchall()[0][0]) for t in ALL_TABLES}  # identifiers only
    finally:
        con.close()
    info = {str(k): str(v) for k, v in zip(frame["key"], frame["value"])}
    return rows, info, None if pd.isna(day) else pd.Timestamp(day).date().isoformat()


def create_version(csv_dir: Path | None = None, *, sources: list[Path], normalisations: list[str],
                   message: str = "", checked: bool = False, write: Callable[[Path], object] | None = None) -> Manifest:
    """Import the contract CSVs in ``csv_dir`` as a new version and activate it; all or nothing.

    ``write``, instead of ``csv_dir``, writes the CSVs straight into the version being made (inside the
    workspace's ``.tmp-*`` folder, so a killed import leaves nothing outside it). Raises BuildError when the
    CSVs do not build (nothing changes). ``sources`` are the files the user gave (hashed into the manifest);
    ``normalisations`` what was changed on the way in, in words; ``checked`` that the CSVs are the import
    validator's output (see :func:`mutuals.infra.build.build`).
    """
    from mutuals.infra import build as build_module
    from mutuals.infra import versions

    if (csv_dir is None) == (write is None):
        raise ValueError("give the folder of CSVs or a writer of them, not both")
    csv_dir = Path(csv_dir) if csv_dir is not None else Path("the import")
    with _lock():
        _cleanup_locked()
        now = datetime.now(timezone.utc).replace(microsecond=0)
        version, parent = _next_id(now), _read_pointer()
        work = home() / f"{TMP_PREFIX}{secrets.token_hex(8)}"
        try:
            (work / CSV_DIR).mkdir(parents=True)
            if write is not None:
                write(work / CSV_DIR)
            for table in build_module.ALL_TABLES if write is None else ():  # a missing one is the build's to report
                if (csv_dir / f"{table}.csv").is_file():
                    shutil.copyfile(csv_dir / f"{table}.csv", work / CSV_DIR / f"{table}.csv")
            _crash_point("validate")
            with _crash_mid_build(build_module):
                published = versions.publish(work / CSV_DIR, work / DB_NAME, checked=checked)
            if published.problem:  # cannot happen in a fresh folder, but never activate a failed build
                raise BuildError(csv_dir, published.problem)
            _crash_point("manifest")
            rows, info, data_date = _describe(published.path)
            manifest = Manifest(
                version=version, parent=parent, created_at=now.isoformat().replace("+00:00", "Z"),
                sources=_sources(sources), rows=rows, normalisations=tuple(normalisations),
                synthetic=info.get("synthetic", "").strip().lower() == "true", name=info.get("name"),
                data_date=data_date, notes=tuple(published.notes), message=message)
            (work / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
            _fsync_tree(work)
            _versions_root().mkdir(parents=True, exist_ok=True)
            os.rename(work, version_dir(version))
        except BuildError as exc:  # named as the caller's file, not the temporary copy
            _remove(work)
            raise BuildError.from_fields(exc.fields(), csv_dir / exc.file.name) from None
        except BaseException:
            _remove(work)
            raise
        _fsync_dir(_versions_root())
        _fsync_dir(home())
        _crash_point("swap")
        return _activate_locked(version)
