"""Helpers for AppTests of dashboard.py."""

from __future__ import annotations

import os
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from mutuals.escape import md_unescape

ROOT = Path(__file__).resolve().parents[1]
_original_init = PagesManager.__init__


def _v2_pages_manager(self, *args, **kwargs):
    """Run the app as a st.navigation (v2) app from the first run.

    A live server switches to v2 for good once dashboard.py calls
    st.navigation; AppTest resets that flag before every run and, because
    pages/ exists, would otherwise run a page file directly as a v1 page on
    reruns, skipping the shell. Forcing v2 mirrors the live server.
    """
    _original_init(self, *args, **kwargs)
    PagesManager.uses_pages_directory = False


PagesManager.__init__ = _v2_pages_manager


def open_app(data_dir: Path, params: dict | None = None, page: str | None = None, timeout: float = 60) -> AppTest:
    """Run dashboard.py on ``data_dir`` with URL ``params``; switch to ``page`` if given."""
    os.environ["MUTUALS_DATA_DIR"] = str(data_dir)
    os.environ.pop("MUTUALS_DB", None)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=timeout)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(at: AppTest) -> str:
    """All visible text of markdown, captions, info and headings, for assertions."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [h.value for h in at.title] + [h.value for h in at.subheader] + [w.value for w in at.warning]
    parts += [s.value for s in at.success]
    return md_unescape("\n".join(parts))  # data values are markdown-escaped (issue 8): compare what a reader sees


def title(at: AppTest) -> str:
    """The page title as a reader sees it ('' when there is none)."""
    return md_unescape(at.title[0].value) if at.title else ""


def captions(at: AppTest) -> list[str]:
    """Every caption as a reader sees it (captions are markdown-escaped: issue 8)."""
    return [md_unescape(c.value) for c in at.caption]


def elements(at, kind: str) -> list:
    """Every element of a type (e.g. 'vega_lite_chart') in the rendered tree, however deeply nested."""
    found, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        if getattr(node, "type", None) == kind:
            found.append(node)
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
    return found


class DownloadRecorder:
    """Keeps the data callables of deferred download buttons, so a test can read a button's bytes.

    AppTest's media file manager is thrown away after each run; this records every
    ``add_deferred`` call by the placeholder id the button carries (``proto.deferred_file_id``).
    """

    def __init__(self, monkeypatch):
        from streamlit.runtime.media_file_manager import MediaFileManager

        self.callables: dict[str, object] = {}
        original = MediaFileManager.add_deferred
        recorder = self

        def add_deferred(self, data_callable, *args, **kwargs):
            file_id = original(self, data_callable, *args, **kwargs)
            recorder.callables[file_id] = data_callable
            return file_id

        monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)

    def read(self, button) -> bytes:
        """The bytes a download button would send."""
        proto = button.proto
        if proto.deferred_file_id:
            data = self.callables[proto.deferred_file_id]()
        else:
            raise AssertionError(f"download {button.label!r} is not deferred")
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
