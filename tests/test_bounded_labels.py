"""Big values stay bounded (issue 8, part 7).

The build caps names and titles at 1,000 characters (tests/test_build_rejects.py rejects a 10 MB name).
With every name at that cap, the pages cut names in headings, the status matrix and the charts to the
config's ``label_max_chars`` (the full text in a tooltip), so what a page sends stays close to what it
sends for short names.
"""

from __future__ import annotations

import copy
import re

import pytest

from mutuals.escape import md_unescape
from mutuals.infra.contract import load_limits
from mutuals.rules import load_rules
from tests.apptest import open_app, title
from tests.fixtures import handmade


def long_tables(length: int) -> dict:
    tables = copy.deepcopy(handmade.TABLES)
    for i, row in enumerate(tables["mutuals"]):
        row["name"] = (f"M{i + 1} " + "Long Name Community Interest Company " * 40)[:length]
    for i, row in enumerate(tables["commissioners"]):
        row["name"] = (f"C{i + 1} " + "Metropolitan Borough Council " * 50)[:length]
    for i, row in enumerate(tables["contracts"]):
        row["title"] = (f"K{i + 1} " + "Community services " * 80)[:length]
    return tables


def page_bytes(at) -> int:
    """The size of every element the page run sent (serialised protos), walking the element tree."""
    total, stack = 0, [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ByteSize"):
            total += proto.ByteSize()
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
    return total


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    limit = load_limits().name_max_chars
    return {"short": handmade.write_csvs(tmp_path_factory.mktemp("short"), long_tables(30)),
            "long": handmade.write_csvs(tmp_path_factory.mktemp("long"), long_tables(limit))}


PAGES = [("portfolio", None, {}), ("portfolio C1", None, {"commissioner": "C1"}),
         ("mutual", "pages/mutual.py", {"mutual": "M1"})]


@pytest.mark.parametrize("label, page, params", PAGES, ids=[p[0] for p in PAGES])
def test_longest_names_keep_the_page_small(dirs, label, page, params):
    short = open_app(dirs["short"], params, page=page)
    long = open_app(dirs["long"], params, page=page)
    assert not short.exception and not long.exception
    grown = page_bytes(long) - page_bytes(short)
    # 6 mutuals, 3 commissioners and 6 contracts at 1,000 characters: bounded growth, not names × uses
    assert grown < 150_000, (label, page_bytes(short), page_bytes(long))


def test_headings_and_matrix_labels_are_cut_with_the_full_text_on_hover(dirs):
    limit = load_rules().settings.label_max_chars
    at = open_app(dirs["long"], {"commissioner": "C1"})
    heading = title(at)
    assert heading.startswith("Portfolio · C1 Metropolitan") and heading.endswith("…")
    assert len(heading) <= len("Portfolio · ") + limit
    [matrix] = [h.proto.body for h in at.get("html") if "status-matrix" in h.proto.body or "sm-name" in h.proto.body]
    labels = re.findall(r'<span title="([^"]*)">([^<]*)</span>', matrix)
    assert labels, "the long names are cut in the matrix"
    for full, shown in labels:
        assert len(shown) == limit and shown.endswith("…") and len(full) == load_limits().name_max_chars
        assert full.startswith(shown[:-1])

    m1 = open_app(dirs["long"], {"mutual": "M1"}, page="pages/mutual.py")
    assert len(title(m1)) == limit and md_unescape(m1.title[0].proto.help).startswith(title(m1)[:-1])
