"""Fixtures for browser tests: a live ``streamlit run dashboard.py`` and the system Chromium.

The server runs on a free localhost port against a throwaway copy of the
hand-made fixture (tests/fixtures/handmade.py); the app builds its DuckDB file
on first use. The tests are skipped when Chromium is missing, unless
``MUTUALS_REQUIRE_BROWSER=1`` (CI), in which case they fail loudly.

The helpers here (``start_server``, ``launch_chromium``, ``wait_for_app``…)
are also used by bench/portfolio.py.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("MUTUALS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}

# Streamlit 1.67 DOM: the app root carries the script and connection state.
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
APP_CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
STATUS_WIDGET = "[data-testid='stStatusWidget']"  # the "Running…" indicator, top right
# Anything that means the app failed: an uncaught exception, st.error, or the "connection lost" box.
ERROR_SELECTORS = ("[data-testid='stException']", "[data-testid='stAlertContentError']",
                   "[data-testid='stConnectionStatus']")


def browser_required() -> bool:
    return os.environ.get("MUTUALS_REQUIRE_BROWSER", "") == "1"


def chromium_problem() -> str | None:
    """Why a browser test cannot run here, or None."""
    if not Path(CHROMIUM).is_file():
        return f"Chromium not found at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"Playwright is not installed ({exc})"
    return None


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def stop_process_group(proc: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM the process group started for ``proc``, then SIGKILL if it lingers."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # start_new_session: pgid == pid
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)


@contextmanager
def start_server(data_dir: Path, log_path: Path, *, db_path: Path | None = None,
                 timeout: float = 60) -> Iterator[str]:
    """Run ``streamlit run dashboard.py`` on ``data_dir``; yield its base URL; stop it on exit."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MUTUALS_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("MUTUALS_DB", None)
    if db_path is not None:
        env["MUTUALS_DB"] = str(db_path)
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(base_url):
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {proc.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit not healthy after {timeout:.0f} s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        stop_process_group(proc)


# --------------------------------------------------------------------------- browser


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def wait_for_app(page, *, timeout: float = 30_000, settle_ms: int = 100) -> None:
    """Wait until the app has connected, finished its script run and drawn its elements.

    ``data-test-script-state`` on stApp goes initial → running → notRunning;
    the "Running…" status widget must be gone and no element skeleton or stale
    (greyed-out, from the previous run) element may remain.
    """
    from playwright.sync_api import expect

    page.wait_for_selector("[data-testid='stAppViewContainer']", state="attached", timeout=timeout)
    page.wait_for_selector(APP_CONNECTED, state="attached", timeout=timeout)
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout)
    expect(page.locator(STATUS_WIDGET)).to_be_hidden(timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)
    expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=timeout)
    if settle_ms:
        page.wait_for_timeout(settle_ms)
    # The run may have been a rerun queued by the last one: make sure we are still idle.
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout)


CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .every(c => c.querySelector('canvas, svg.marks'))"""


def wait_for_metrics(page, *, timeout: float = 30_000, settle_ms: int = 100) -> None:
    """wait_for_app, plus the portfolio's headline metrics on screen and every chart drawn."""
    wait_for_app(page, timeout=timeout, settle_ms=settle_ms)
    page.get_by_test_id("stMetric").first.wait_for(state="visible", timeout=timeout)
    page.wait_for_function(CHARTS_DRAWN, timeout=timeout)


def error_texts(page) -> list[str]:
    """Text of every error element on the page (empty when the app is healthy)."""
    found = []
    for selector in ERROR_SELECTORS:
        elements = page.locator(selector)
        for i in range(elements.count()):
            text = (elements.nth(i).text_content() or "").strip()
            found.append(f"{selector}: {text[:500]}")
    return found


def assert_no_errors(page) -> None:
    __tracebackhide__ = True
    errors = error_texts(page)
    assert not errors, "error element(s) on the page:\n" + "\n".join(errors)


def metric_values(page) -> dict[str, str]:
    """{label: value} of every st.metric on the page."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
            (m.querySelector('[data-testid="stMetricLabel"]')?.innerText || '').trim(),
            (m.querySelector('[data-testid="stMetricValue"]')?.innerText || '').trim()]))"""
    )


def full_page_screenshot(page, name: str) -> Path:
    """Save the whole app, not just the viewport, to artifacts/screenshots/<name>.png.

    Streamlit scrolls inside stMain rather than the document, so a plain
    full_page screenshot stops at the viewport: grow the viewport to the
    content height first, then put it back.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    original = page.viewport_size or VIEWPORT
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
            ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebarContent"]')]
                .map(e => e.scrollHeight))"""
    )
    height = int(min(max(height, original["height"]), 12_000))
    try:
        if height > original["height"]:
            page.set_viewport_size({"width": original["width"], "height": height})
            page.wait_for_timeout(300)  # let charts re-layout
        page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(original)
    return path


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def _browser_available() -> None:
    problem = chromium_problem()
    if problem:
        if browser_required():
            pytest.fail(f"MUTUALS_REQUIRE_BROWSER=1 but the browser tests cannot run: {problem}", pytrace=False)
        pytest.skip(problem)


@pytest.fixture(scope="session")
def app_url(_browser_available, tmp_path_factory) -> Iterator[str]:
    """Base URL of a live app serving the hand-made fixture."""
    from tests.fixtures import handmade

    folder = tmp_path_factory.mktemp("browser-app")
    data_dir = handmade.write_csvs(folder / "data")
    with start_server(data_dir, folder / "streamlit.log") as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser(_browser_available):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def fresh_page(browser, base_url: str):
    """A page in a fresh browser context (so a fresh Streamlit session) on ``base_url``."""
    context = browser.new_context(viewport=VIEWPORT, base_url=base_url)
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture()
def page(browser, app_url):
    """A fresh browser context (so a fresh Streamlit session) per test."""
    with fresh_page(browser, app_url) as page:
        yield page
