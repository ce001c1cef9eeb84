"""Every bad file of the corpus, imported into a workspace with an active version: the report names the file,
row, column and expectation, nothing can be confirmed, and the active version's files are byte-identical."""

from __future__ import annotations

import pytest

from mutuals.infra import workspace
from mutuals.services import importer
from tests.test_importer import active, home, tree  # noqa: F401 (fixtures: a workspace with the hand-made set)
from tests.test_validate import BAD, source


@pytest.fixture(scope="module")
def good_csvs(handmade_dir):
    return {p.name: p.read_bytes() for p in handmade_dir.glob("*.csv")}


@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_a_bad_file_changes_nothing(case, home, good_csvs, tmp_path):  # noqa: F811 (the imported fixture)
    version = workspace.active()
    before = tree(version.folder)
    preview = importer.preview_dataset(source(case, tmp_path, good_csvs))
    assert not preview.ok
    found = [p for p in preview.report.problems if case.fragment in p.expected]
    assert found and found[0].file, preview.report.text()
    if case.where is not None:  # the file, sheet, row and column checked by hand (tests/corpus/README.md)
        assert (found[0].file, found[0].sheet, found[0].row, found[0].column) == case.where
    with pytest.raises(ValueError):
        importer.confirm(preview)
    assert workspace.active().version == version.version
    assert tree(version.folder) == before
    assert not list(home.glob(".tmp-*"))
