"""Versioned databases for the app: the one place where database versions are switched.

``publish`` builds the CSVs into ``<stem>-<content hash><suffix>`` beside the configured path and names it
in a small pointer file (``<name>.current``, JSON) replaced atomically with ``os.replace``. A version file is
never rewritten once published, so no file an open connection reads is ever replaced. One build runs at a
time across threads and processes (``fcntl.flock`` on ``<name>.lock``); the others wait, then reuse its result.
A failed build is remembered in the pointer with the CSV signature that failed: the last good version keeps
being served (with the error as ``Published.problem``) and the build is retried only when the CSVs change.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mutuals.infra.build import BuildError, build, build_inputs
from mutuals.infra.db import DATA_DIR, DEFAULT_DB_PATH

KEEP_VERSIONS = 3  # version files kept beside the configured path (the one in force and the latest others)


@dataclass(frozen=True)
class Published:
    path: Path              # the database file to open: the version in force (the last good build)
    version: str            # its content hash
    problem: str | None     # why the current CSVs did not build, when they did not (the last good one is served)
    notes: tuple[str, ...] = ()  # what the build reported but loaded anyway (e.g. a column not in the contract)
    built: bool = False     # True when this call built the version (False: it was already published)


def public_message(exc: BuildError) -> str:
    """The build error as users see it: the file's name, not its server path."""
    return str(BuildError.from_fields(exc.fields(), exc.file.name))


def pointer_path(db_path: Path | str) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".current")


def lock_path(db_path: Path | str) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".lock")


def _inputs(data_dir: Path | str) -> list[Path]:
    """What a version is built from: every CSV, the build's queries, the contract, the rules and the build code
    (a new validator or indicator definition rebuilds)."""
    return sorted(Path(data_dir).glob("*.csv")) + build_inputs()


def csv_signature(data_dir: Path | str) -> list:
    """A cheap signature of the inputs (name, size, mtime of every CSV and of the schema), checked on every rerun."""
    files = _inputs(data_dir)
    return [[p.name, st.st_size, st.st_mtime_ns] for p in files for st in [p.stat()]]


def content_hash(data_dir: Path | str) -> str:
    """The hash of every CSV's bytes and of the schema: names the version file."""
    digest = hashlib.sha256()
    for path in _inputs(data_dir):
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def read_pointer(db_path: Path | str) -> dict | None:
    try:
        return json.loads(pointer_path(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_pointer(db_path: Path, state: dict) -> None:
    target = pointer_path(db_path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, target)


def _from_pointer(db_path: Path, state: dict | None, signature: list) -> Published | None:
    """What the pointer says for these inputs, or None when they still have to be built (or tried)."""
    if not state:
        return None
    good = db_path.with_name(state["file"]) if state.get("file") else None
    if good is not None and not good.is_file():
        good = None
    if good is not None and state.get("signature") == signature:
        return Published(good, state["version"], None, tuple(state.get("notes") or ()))
    failed = state.get("failed")
    if failed and failed.get("signature") == signature:
        if good is None:
            raise BuildError.from_fields(failed)
        return Published(good, state["version"], failed["message"])
    return None


def peek(data_dir: Path | str = DATA_DIR, db_path: Path | str = DEFAULT_DB_PATH) -> Published | None:
    """The published version for the CSVs as they are now, without building; None when a build is due."""
    db_path = Path(db_path)
    return _from_pointer(db_path, read_pointer(db_path), csv_signature(data_dir))


@contextmanager
def build_lock(db_path: Path | str):
    """Hold the build lock of ``db_path`` (exclusive across threads and processes)."""
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def publish(data_dir: Path | str = DATA_DIR, db_path: Path | str = DEFAULT_DB_PATH, *,
            force: bool = False, checked: bool = False) -> Published:
    """The database version to serve for the CSVs in ``data_dir``, building and switching to it when needed.

    ``force`` tries again a build that failed on these same CSVs (the command line's ``build``); ``checked``
    says the CSVs are the import validator's output (see :func:`mutuals.infra.build.build`).
    Raises BuildError only when the CSVs do not build and no good version exists.
    """
    data_dir, db_path = Path(data_dir), Path(db_path)
    ready = None if force else peek(data_dir, db_path)
    if ready is not None:
        return ready
    with build_lock(db_path):
        signature = csv_signature(data_dir)
        state = read_pointer(db_path) or {}
        if force and state.get("failed"):
            state["failed"] = None
        ready = _from_pointer(db_path, state, signature)  # another thread or process may have built it
        if ready is not None:
            return ready
        try:
            version = content_hash(data_dir)
            target = db_path.with_name(f"{db_path.stem}-{version}{db_path.suffix}")
            notes: tuple[str, ...] = ()
            built_now = not target.is_file()
            if built_now:
                notes = build(data_dir, target, checked=checked).notes
        except BuildError as exc:
            state["failed"] = {"signature": signature, "message": public_message(exc), **exc.fields()}
            _write_pointer(db_path, state)
            good = _from_pointer(db_path, state, signature)
            return good  # the last good version with the problem (or _from_pointer raised)
        state = {"file": target.name, "version": version, "signature": signature, "failed": None,
                 "notes": list(notes)}
        _write_pointer(db_path, state)
        _prune(db_path, keep=target)
        return Published(target, version, None, notes, built=built_now)


def _prune(db_path: Path, keep: Path) -> None:
    """Delete all but the newest version files (an open connection keeps reading an unlinked file)."""
    versions = sorted(db_path.parent.glob(f"{db_path.stem}-*{db_path.suffix}"),
                      key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in [p for p in versions if p != keep][KEEP_VERSIONS - 1:]:
        old.unlink(missing_ok=True)


def resolve(db_path: Path | str) -> Path:
    """The database file in force for ``db_path``: the version its pointer names, else ``db_path`` itself."""
    db_path = Path(db_path)
    state = read_pointer(db_path)
    if state and state.get("file") and db_path.with_name(state["file"]).is_file():
        return db_path.with_name(state["file"])
    return db_path


def current_database(data_dir: Path | str = DATA_DIR, db_path: Path | str = DEFAULT_DB_PATH) -> Path:
    """The file to read for the CSVs as they are now; raises BuildError when they do not build.

    For the command line and scripts: unlike the app, they do not fall back to the last good version.
    """
    published = publish(data_dir, db_path)
    if published.problem:
        state = read_pointer(db_path) or {}
        failed = state.get("failed") or {}
        raise BuildError.from_fields({"file": data_dir, "detail": published.problem, **failed})
    return published.path
