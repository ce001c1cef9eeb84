"""Every bad file of the corpus, imported into a workspace with an active version: the report names the file,
row, column and expectation, nothing can be confirmed, and the active version's files are byte-identical."""

from __future__ import annotations

import hashlib

import pytest

from mutuals.infra import workspace
from mutuals.services import importer
from tests.test_validate import BAD, source


def tree(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def home(tmp_path_factory, handmade_dir):
    """A workspace whose active version is the hand-made set (imported once)."""
    folder = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MUTUALS_HOME", str(folder))
        mp.delenv("MUTUALS_DATA_DIR", raising=False)
        mp.delenv("MUTUALS_DB", raising=False)
        importer.confirm(importer.preview_dataset(handmade_dir), message="before the corpus")
    return folder


@pytest.fixture(scope="module")
def good_csvs(handmade_dir):
    return {p.name: p.read_bytes() for p in handmade_dir.glob("*.csv")}


@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_a_bad_file_changes_nothing(case, home, good_csvs, tmp_path, monkeypatch):
    monkeypatch.setenv("MUTUALS_HOME", str(home))
    monkeypatch.delenv("MUTUALS_DATA_DIR", raising=False)
    monkeypatch.delenv("MUTUALS_DB", raising=False)
    active = workspace.active()
    before = tree(active.folder)
    preview = importer.preview_dataset(source(case, tmp_path, good_csvs))
    assert not preview.ok
    found = [p for p in preview.report.problems if case.fragment in p.expected]
    assert found and found[0].file, preview.report.text()
    if case.where is not None:  # the file, sheet, row and column checked by hand (tests/corpus/README.md)
        assert (found[0].file, found[0].sheet, found[0].row, found[0].column) == case.where
    with pytest.raises(ValueError):
        importer.confirm(preview)
    assert workspace.active().version == active.version
    assert tree(active.folder) == before
    assert not list(home.glob(".tmp-*"))
