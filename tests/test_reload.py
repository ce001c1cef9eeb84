"""Reload what was built (issue 8, part 1): the app serves the database on disk now.

- A rebuild with a changed mutual name is shown on the next page run, with no restart, and the
  connection to the version it replaced is closed.
- A broken CSV keeps the last good version in service, with a banner naming the file, row and
  column; the failed build is not retried until the CSVs change again.
- One build at a time: 20 simultaneous sessions (threads, as in one server) and 8 processes run
  exactly one build.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mutuals.cli import main
from mutuals.infra import versions
from mutuals.infra.db import CONNECTIONS, Database
from tests.apptest import open_app
from tests.fixtures import handmade

OLD_NAME = "Alpha Community Health CIC"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def folder(tmp_path) -> Path:
    return handmade.write_csvs(tmp_path / "csv", handmade.TABLES)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def title(at) -> str:
    return " ".join(t.value for t in at.title)


def shown(markdown: str) -> str:
    """Markdown source as it reads on screen (backslash escapes removed)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def banners(at) -> str:
    return shown(" ".join(w.value for w in at.warning))


class BuildCounter:
    """Counts (and optionally slows) the builds that publish runs, in this process."""

    def __init__(self, monkeypatch, delay: float = 0.0):
        self.calls: list[Path] = []
        self._lock = threading.Lock()
        real = versions.build

        def counted(data_dir, db_path, **options):
            with self._lock:
                self.calls.append(Path(db_path))
            time.sleep(delay)
            return real(data_dir, db_path, **options)

        monkeypatch.setattr(versions, "build", counted)


def test_a_rebuilt_name_is_served_on_the_next_run(folder):
    at = open_app(folder, {"mutual": "M1"}, page="pages/mutual.py")
    assert not at.exception and OLD_NAME in title(at)
    slot = folder / "mutuals.duckdb"
    first = CONNECTIONS.get(slot, versions.resolve(slot))
    assert first.is_open

    # A data owner renames M1 and rebuilds from the command line while the app is running.
    replace_in(folder / "mutuals.csv", OLD_NAME, "Alpha Renamed Health CIC")
    assert main(["build", "--data", str(folder), "--db", str(slot)]) == 0
    at.run()
    assert not at.exception
    assert "Alpha Renamed Health CIC" in title(at) and OLD_NAME not in title(at)
    assert not first.is_open  # the replaced version's connection is closed (no query was using it)
    assert versions.resolve(slot) != first.path and first.path.is_file()  # never overwritten in place

    # The app also picks up an edit on its own (no command): the next run builds and serves it.
    replace_in(folder / "mutuals.csv", "Alpha Renamed Health CIC", "Alpha Third Name CIC")
    at.run()
    assert "Alpha Third Name CIC" in title(at)
    assert banners(at) == ""


def test_a_broken_csv_keeps_the_last_good_data_with_a_banner(folder, monkeypatch):
    counter = BuildCounter(monkeypatch)
    at = open_app(folder, {"mutual": "M1"}, page="pages/mutual.py")
    assert OLD_NAME in title(at) and len(counter.calls) == 1

    replace_in(folder / "mutuals.csv", "2012-04-01", "April 2012")  # M1's spin_out_date
    at.run()
    assert not at.exception
    assert OLD_NAME in title(at)  # still the last good version
    banner = banners(at)
    assert "could not be loaded" in banner and "last good version" in banner
    assert "mutuals.csv, row 1 (line 2), column 'spin_out_date': expected a date" in banner
    assert str(folder) not in banner  # the file's name, not a server path
    assert len(counter.calls) == 2

    for _ in range(3):  # reruns do not retry the same failure
        at.run()
    assert len(counter.calls) == 2 and "could not be loaded" in banners(at)

    replace_in(folder / "mutuals.csv", "April 2012", "2012-04-01")  # fixed: same content as the good version
    at.run()
    assert banners(at) == "" and OLD_NAME in title(at)


def test_no_good_version_gives_a_short_error_not_a_traceback(folder):
    replace_in(folder / "contracts.csv", "2014-04-01", "1 April")
    at = open_app(folder)
    assert not at.exception
    errors = shown(" ".join(e.value for e in at.error))
    assert "The data could not be loaded" in errors and "contracts.csv, row 5 (line 6), column 'start_date'" in errors
    assert "Traceback" not in errors and str(folder) not in errors


def test_twenty_sessions_at_a_cold_start_run_one_build(folder, monkeypatch):
    """Twenty sessions of one server (threads) ask for the data at once: one builds, the others wait."""
    from mutuals.ui import data

    monkeypatch.setenv("MUTUALS_DATA_DIR", str(folder))
    monkeypatch.delenv("MUTUALS_DB", raising=False)
    counter = BuildCounter(monkeypatch, delay=0.5)
    start = threading.Barrier(20)
    results: list[versions.Published] = []
    errors: list[BaseException] = []

    def session():
        try:
            start.wait()
            results.append(data.published())  # what every page run asks first
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=session) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert len(counter.calls) == 1
    assert len(results) == 20 and len({r.path for r in results}) == 1
    assert sum(r.built for r in results) == 1


PUBLISH = """
import sys
from mutuals.infra import versions
p = versions.publish(sys.argv[1], sys.argv[2])
print(int(p.built), p.path.name)
"""


def test_processes_share_the_build_lock(folder):
    """Eight processes (servers, the command line) at once: exactly one builds; all serve that version."""
    procs = [subprocess.Popen([sys.executable, "-c", PUBLISH, str(folder), str(folder / "mutuals.duckdb")],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(8)]
    outputs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(int(built) for built, _ in outputs) == 1
    assert len({name for _, name in outputs}) == 1


def test_a_retired_connection_closes_when_its_last_query_ends(folder, monkeypatch):
    """A query running on the old version finishes; the connection closes then, not before."""
    first = versions.publish(folder, folder / "mutuals.duckdb")
    slot = folder / "mutuals.duckdb"
    old = CONNECTIONS.get(slot, first.path)
    entered, release = threading.Event(), threading.Event()

    class SlowCursor:
        def __init__(self, cursor):
            self._cursor = cursor

        def execute(self, sql, params):
            entered.set()
            release.wait(10)
            return self._cursor.execute(sql, params)

        def close(self):
            self._cursor.close()

    conn = old._conn
    monkeypatch.setattr(old, "_conn", type("Conn", (), {
        "cursor": lambda self: SlowCursor(conn.cursor()), "close": lambda self: conn.close()})())
    result: list = []
    worker = threading.Thread(target=lambda: result.append(old.query("mutual_list", scope=None)))
    worker.start()
    assert entered.wait(10)
    replace_in(folder / "mutuals.csv", OLD_NAME, "Alpha New CIC")
    second = versions.publish(folder, slot)
    fresh = CONNECTIONS.get(slot, second.path)
    assert fresh is not old and old.is_open  # retired, but a query is still running on it
    release.set()
    worker.join(10)
    assert not old.is_open and OLD_NAME in set(result[0]["name"])  # the old version, to the end
    assert "Alpha New CIC" in set(fresh.query("mutual_list", scope=None)["name"])


def test_versions_are_pruned_and_never_rewritten(folder):
    slot = folder / "mutuals.duckdb"
    paths = []
    for n in range(5):
        (folder / "dataset_info.csv").write_text(f"key,value\nsynthetic,true\nbuild,{n}\n", encoding="utf-8")
        paths.append(versions.publish(folder, slot).path)
    assert len(set(paths)) == 5
    kept = sorted(p.name for p in folder.glob("mutuals-*.duckdb"))
    assert len(kept) == versions.KEEP_VERSIONS and paths[-1].name in kept
    with Database(paths[-1]) as db:
        assert db.query("dataset_info").set_index("key").loc["build", "value"] == "4"
