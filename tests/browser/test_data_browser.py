"""The Data page in a real Chromium: upload a ZIP, see the diff, confirm, see the new version active.

The server serves a workspace (``MUTUALS_HOME``) seeded with the hand-made fixture, with MUTUALS_DATA_DIR and
MUTUALS_DB unset (``start_server`` always sets MUTUALS_DATA_DIR, which would hide the workspace, so the server
is started here with the same helpers). The upload goes through the real file input (``set_input_files``).
"""

from __future__ import annotations

import copy
import csv
import io
import os
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager

import pytest

from tests.browser.conftest import (
    ROOT,
    _healthy,
    assert_no_errors,
    free_port,
    fresh_page,
    stop_process_group,
    wait_for_app,
)
from tests.fixtures import handmade

pytestmark = pytest.mark.browser


@contextmanager
def serve_workspace(home, log_path, *, meanwhile=lambda: None, timeout: float = 60):
    """``streamlit run dashboard.py`` on the workspace ``home`` (no data folder override); yields its URL.

    ``meanwhile`` runs while the server starts (it reads the workspace only when a page is opened)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MUTUALS_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("MUTUALS_DATA_DIR", None)
    env.pop("MUTUALS_DB", None)
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        meanwhile()
        deadline = time.monotonic() + timeout
        while not _healthy(base_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        stop_process_group(proc)


def zipped(tables: dict[str, list[dict]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for table, rows in tables.items():
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            archive.writestr(f"{table}.csv", out.getvalue())
    return buffer.getvalue()


def test_upload_a_zip_see_the_diff_confirm_and_the_new_version_is_active(browser, tmp_path, monkeypatch):
    from playwright.sync_api import expect

    from mutuals.infra import workspace

    home = tmp_path / "home"
    monkeypatch.setenv("MUTUALS_HOME", str(home))
    folder = handmade.write_csvs(tmp_path / "csv")
    tables = copy.deepcopy(handmade.TABLES)
    tables["mutuals"][0]["staff_count"] = "210"  # one changed value
    upload = tmp_path / "changed dataset.zip"
    upload.write_bytes(zipped(tables))

    def seed_workspace() -> None:  # one version, made while the server starts
        workspace.create_version(folder, sources=sorted(folder.glob("*.csv")), normalisations=[])

    with serve_workspace(home, tmp_path / "streamlit.log", meanwhile=seed_workspace) as base_url, \
            fresh_page(browser, base_url) as page:
        seed = workspace.active().version
        page.goto("/data")
        wait_for_app(page)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_text(seed, exact=False).first).to_be_visible()
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(upload))
        expect(main.get_by_text("Changes against the active version")).to_be_visible(timeout=30_000)
        wait_for_app(page)
        expect(main.get_by_text("Mutuals affected (1)")).to_be_visible()
        assert_no_errors(page)

        page.get_by_role("button", name="Confirm the import").click()
        expect(main.get_by_text("is now active")).to_be_visible(timeout=30_000)
        wait_for_app(page)
        new = workspace.active()
        assert new.version != seed and new.parent == seed
        assert [s.name for s in new.sources] == ["changed dataset.zip"]
        expect(main.get_by_text(f"Version: {new.version}")).to_be_visible()
        history = main.locator("[class*='st-key-version-']")
        expect(history).to_have_count(1)  # the seed, now an earlier version, with "Use this version"
        expect(history.get_by_role("button", name="Use this version")).to_be_visible()
        expect(main.get_by_role("button", name=f"Roll back to {seed}")).to_be_visible()
        assert_no_errors(page)
