"""The board pack PDF: structure, numbers, suppression, the CLI, and packs for every stage and status.

PDFs are read back with pypdf, so these tests check what a reader would see, not what we meant
to draw. Packs for all 130 sample mutuals take a few minutes, so that sweep lives in
``python bench/boardpack.py --all`` rather than here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from mutuals import formatting as fmt
from mutuals.escape import plain
from mutuals.infra.build import build
from mutuals.infra.db import Database
from mutuals.reports import boardpack
from mutuals.reports.boardpack import SYNTHETIC_NOTICE, board_pack_bytes, write_board_pack
from mutuals.rules import load_rules
from mutuals.services.indicators import compute_indicators
from mutuals.services.mutual import FACTORS, indicator_table, load_mutual
from tests.conftest import build_tables

ROOT = Path(__file__).resolve().parents[1]
# Sample mutuals to generate packs for: two of each status a trading mutual can have, one of each stage
# status (ceased, pre-spin-out): ten packs covering every stage and every overall status.
PACKS_PER_STATUS = {"at_risk": 2, "concern": 2, "watch": 2, "sustainable": 2, "pre_spin_out": 1, "ceased": 1}


def norm(text: str) -> str:
    """Collapse whitespace, so a phrase that wraps across lines still matches."""
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Pack:
    """A generated pack read back: the text of each page, and where each section starts."""

    pdf: bytes
    reader: PdfReader
    pages: list[str]

    @classmethod
    def read(cls, pdf: bytes) -> "Pack":
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
        reader = PdfReader(BytesIO(pdf))
        return cls(pdf, reader, [norm(p.extract_text() or "") for p in reader.pages])

    @property
    def text(self) -> str:
        return " ".join(self.pages)

    def section(self, heading: str, next_heading: str | None) -> str:
        """The text from a section heading to the next one (headings open a page, body pages onwards)."""
        start = next(i for i, t in enumerate(self.pages) if i > 0 and t.startswith(heading))
        end = len(self.pages) if next_heading is None else next(
            i for i, t in enumerate(self.pages) if i > start and t.startswith(next_heading))
        return " ".join(self.pages[start:end])


def section_headings() -> list[str]:
    rules = load_rules()
    return [f"{n}  {rules.area(f).label}" for n, f in enumerate(FACTORS, start=1)] + ["Appendix: methodology"]


def heading_text(h: str) -> str:
    return shown(h)


# Symbols the template draws rather than sets as text, so a PDF reader does not see them: ✖ when
# DejaVu Sans is missing (Typst's own fonts lack it; see test_pack_without_dejavu_*). ⌛ is always drawn.
DRAWN: frozenset[str] = frozenset()


def shown(text: str) -> str:
    """``text`` as the pack's text layer reads: without bidi and control characters or drawn symbols, whitespace
    collapsed."""
    return norm("".join(ch for ch in plain(text) if ch not in DRAWN))


def embedded_fonts(pack: Pack) -> set[str]:
    """The base names of the fonts the PDF embeds (subset prefix dropped), e.g. 'DejaVuSans-Bold'."""
    names = set()
    for page in pack.reader.pages:
        fonts = page["/Resources"].get("/Font") or {}
        names |= {str(fonts[n].get_object().get("/BaseFont")).lstrip("/").split("+")[-1] for n in fonts}
    return names


def check_pack(pack: Pack, view) -> None:
    """Everything every pack must show, whatever the mutual."""
    rules = load_rules()
    n = len(pack.pages)
    assert n >= 6, "cover, four sections and the appendix, each from a new page"
    for i, text in enumerate(pack.pages, start=1):
        assert f"Page {i} of {n}" in text, f"page {i} has no 'Page {i} of {n}'"
        if view.synthetic:
            assert SYNTHETIC_NOTICE in text, f"page {i} lacks the synthetic-data notice"
    cover = pack.pages[0]
    assert shown(view.name) in cover
    assert shown(view.profile["sector"]) in cover
    assert fmt.day(view.as_of) in cover
    assert shown(fmt.overall_label(view.overall_status)) in cover
    for reason in view.reasons:
        assert shown(reason) in cover, reason

    headings = [heading_text(h) for h in section_headings()]
    starts = [next(i for i, t in enumerate(pack.pages) if i > 0 and t.startswith(h)) for h in headings]
    assert starts == sorted(starts), "sections are in order"

    table = indicator_table(view)
    for k, factor in enumerate(FACTORS):
        body = pack.section(headings[k], headings[k + 1])
        for sentence in view.commentary.get(factor, []):
            assert shown(sentence) in body, sentence
        for row in table[table["area_key"] == factor].to_dict("records"):
            assert shown(row["label"]) in body
            assert shown(row["value_text"]) in body, (row["label"], row["value_text"])
            assert shown(row["status_text"]) in body, (row["label"], row["status_text"])
            assert shown(row["change_text"]) in body, (row["label"], row["change_text"])
            if row["evidence_date"] is not None:
                assert shown(fmt.day(row["evidence_date"])) in body, (row["label"], "evidence date")
            if row["sector_n"]:
                assert shown(f"{row['sector_median_text']} (n = {row['sector_n']})") in body

    appendix = pack.section(headings[-1], None)
    for ind in rules.indicators:
        assert shown(ind.label) in appendix
        for test in ind.threshold_text():
            assert shown(test) in appendix, (ind.column, test)
    assert f"fewer than {view.min_respondents} respondents" in appendix
    assert f"{rules.overall.at_risk_min_red_areas} or more areas red" in appendix
    # the cover shows each area's status; each section repeats its own
    for factor in FACTORS:
        assert shown(rules.area(factor).label) in cover
    for k, factor in enumerate(FACTORS):
        body = pack.section(headings[k], headings[k + 1])
        assert "Area status" in body and shown(fmt.status_label(view.area_statuses[factor])) in body

    assert "Chart unavailable" not in pack.text
    for page in pack.reader.pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        subtypes = {xobjects[name].get_object().get("/Subtype") for name in xobjects}
        assert "/Image" not in subtypes, "charts are vector drawings, not embedded images"


# ---------------------------------------------------------------------------------------------
# Fixtures: the bundled sample, built once per test process, and the mutuals to make packs for.

@pytest.fixture(scope="session")
def sample_db_path(tmp_path_factory) -> Path:
    return build(ROOT / "data", tmp_path_factory.mktemp("sample") / "m.duckdb").db_path


@pytest.fixture(scope="session")
def sample_db(sample_db_path):
    with Database(sample_db_path) as db:
        yield db


@pytest.fixture(scope="session")
def chosen(sample_db) -> list[str]:
    """The first sample mutuals (by id) of each overall status: every stage and every status."""
    frame = compute_indicators(sample_db).sort_values("mutual_id")
    picked = pd.concat([frame[frame["overall_status"] == status].head(n) for status, n in PACKS_PER_STATUS.items()])
    assert set(picked["overall_status"]) == set(load_rules().overall_statuses), "the sample lacks an overall status"
    assert set(picked["stage"]) == {"trading", "pre_spin_out", "ceased"}
    assert len(picked) == sum(PACKS_PER_STATUS.values()) >= 10
    return picked["mutual_id"].tolist()


# ---------------------------------------------------------------------------------------------
# Sample packs: every stage and every overall status

def check_captions(pack: Pack, charts: dict) -> int:
    """Each chart's caption is printed in its own factor's section; returns how many."""
    headings = [heading_text(h) for h in section_headings()]
    count = 0
    for k, factor in enumerate(FACTORS):
        body = pack.section(headings[k], headings[k + 1])
        for spec in charts.get(factor, []):
            assert shown(spec.caption) in body, (factor, spec.key)
            count += 1
    return count


def test_sample_packs_for_every_stage_and_status(sample_db, chosen):
    """Ten sample mutuals covering every stage and status: each pack complete, captioned, fast enough.

    One test rather than one per mutual, so that under pytest-xdist a single worker makes the packs.
    """
    from mutuals.charts.mutual import mutual_charts

    failures, views = [], []
    for mutual_id in chosen:
        view = load_mutual(sample_db, mutual_id)
        charts = mutual_charts(view)
        pdf = board_pack_bytes(view, charts)
        views.append(view)
        try:
            pack = Pack.read(pdf)
            check_pack(pack, view)
            assert check_captions(pack, charts) >= 10, "every pack has its charts"
        except AssertionError as exc:
            failures.append(f"{mutual_id} ({view.overall_status}): {exc!r}")
    assert not failures, "\n".join(failures)
    assert {v.stage for v in views} == {"trading", "pre_spin_out", "ceased"}
    assert {v.overall_status for v in views} == set(load_rules().overall_statuses)
    # Timing is measured by bench/boardpack.py, not asserted here.


# ---------------------------------------------------------------------------------------------
# Hand-made data: suppression and the edge cases

M2_SUPPRESSED_SCORE = "6.6"  # (6 × 6.0 + 4 × 7.5) / 10 respondents, worked by hand from the fixture
TOKEN_66 = re.compile(r"(?<![\d.])6\.6(?![\d])")  # 6.6 as a number of its own, not inside 16.6 or 6.65


def engagement_text(pack: Pack) -> str:
    headings = [heading_text(h) for h in section_headings()]
    return pack.section(headings[1], headings[2])


def test_suppressed_wave_score_is_never_printed(handmade_db):
    view = load_mutual(handmade_db, "M2")
    assert view.waves["suppressed"].tolist() == [True]
    assert view.waves["respondents"].tolist() == [10]
    pack = Pack.read(board_pack_bytes(view))
    check_pack(pack, view)
    engagement = engagement_text(pack)
    assert "suppressed (n < 11)" in engagement
    assert not TOKEN_66.search(engagement)
    assert not TOKEN_66.search(pack.text), "the suppressed score leaks elsewhere in the pack"


def test_suppression_check_would_catch_the_score(handmade_db):
    """Control: with the threshold at 10 the wave is shown, and the same search finds 6.6."""
    view = load_mutual(handmade_db, "M2", min_respondents=10)
    assert view.waves["engagement_score"].round(6).tolist() == [6.6]
    pack = Pack.read(board_pack_bytes(view))
    engagement = engagement_text(pack)
    assert f"{M2_SUPPRESSED_SCORE}/10" in engagement
    assert TOKEN_66.search(engagement)
    assert "suppressed (n < 10)" not in engagement


@pytest.mark.parametrize("mutual_id, status", [("M1", "watch"), ("M3", "ceased"), ("M4", "pre_spin_out"),
                                               ("M5", "sustainable")])
def test_handmade_packs(handmade_db, mutual_id, status):
    view = load_mutual(handmade_db, mutual_id)
    assert view.overall_status == status
    check_pack(Pack.read(board_pack_bytes(view)), view)


def test_pack_for_a_date_before_the_mutual_appears(handmade_db):
    """M4's options appraisal starts in 2026: as of 2025 it has no indicators at all, and still gets a pack."""
    view = load_mutual(handmade_db, "M4", as_of=fmt.as_date("2025-06-30"))
    assert view.indicators == {}
    pack = Pack.read(board_pack_bytes(view))
    check_pack(pack, view)
    assert "does not appear in the data as of 30 Jun 2025" in pack.text


def test_real_data_has_no_synthetic_notice(tmp_path):
    db = build_tables(tmp_path, {"dataset_info": [{"key": "synthetic", "value": "false"}]})
    with db:
        view = load_mutual(db, "M5")
        assert not view.synthetic
        pack = Pack.read(board_pack_bytes(view))
    check_pack(pack, view)
    assert SYNTHETIC_NOTICE not in pack.text and "invented" not in pack.text
    assert "Synthetic no" in pack.text  # the appendix's provenance table says so plainly


# ---------------------------------------------------------------------------------------------
# Writing the file, and the command line

def test_write_is_atomic_and_replaces(handmade_db, tmp_path):
    out = tmp_path / "packs" / "m2.pdf"
    out.parent.mkdir()
    out.write_bytes(b"an older pack")
    assert write_board_pack(handmade_db, "M2", out) == out
    assert "Beta Leisure Trust" in Pack.read(out.read_bytes()).pages[0]
    assert [p.name for p in out.parent.iterdir()] == ["m2.pdf"], "no temp files left behind"
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert out.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777, "usual permissions, not owner-only"


def test_write_creates_the_folder(handmade_db, tmp_path, monkeypatch):
    monkeypatch.setattr(boardpack, "board_pack_bytes", lambda view, charts=None: b"%PDF-1.4 stub")
    out = tmp_path / "new" / "folder" / "p.pdf"
    assert write_board_pack(handmade_db, "M5", out) == out
    assert out.read_bytes() == b"%PDF-1.4 stub"


def test_failed_write_leaves_the_old_file(handmade_db, tmp_path, monkeypatch):
    out = tmp_path / "m.pdf"
    out.write_bytes(b"old")
    with pytest.raises(LookupError, match="No mutual with id 'NOPE'"):
        write_board_pack(handmade_db, "NOPE", out)

    def broken(view, charts=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(boardpack, "board_pack_bytes", broken)
    with pytest.raises(RuntimeError):
        write_board_pack(handmade_db, "M1", out)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.pdf"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mutuals", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_cli_writes_a_valid_pack(sample_db_path, sample_db, chosen, tmp_path):
    mutual_id = chosen[0]
    out = tmp_path / "pack.pdf"
    result = run_cli("boardpack", mutual_id, "--db", str(sample_db_path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stderr
    view = load_mutual(sample_db, mutual_id)
    check_pack(Pack.read(out.read_bytes()), view)


def test_as_of_date(sample_db, chosen):
    view = load_mutual(sample_db, chosen[0], as_of=fmt.as_date("2024-03-31"))
    pack = Pack.read(board_pack_bytes(view))
    assert "Figures as of 31 Mar 2024" in pack.pages[0]
    check_pack(pack, view)


def test_cli_unknown_mutual(sample_db_path, tmp_path):
    out = tmp_path / "pack.pdf"
    result = run_cli("boardpack", "NO-SUCH-MUTUAL", "--db", str(sample_db_path), "--out", str(out))
    assert result.returncode != 0
    assert "No mutual with id 'NO-SUCH-MUTUAL'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Fonts

def test_status_symbols_are_set_in_dejavu_sans(handmade_db):
    """With DejaVu Sans installed, the pack is set in it, and the status symbols come out as text."""
    if not boardpack.has_dejavu():
        pytest.skip("DejaVu Sans is not installed (apt-get install fonts-dejavu-core): Typst's own fonts stand in")
    view = load_mutual(handmade_db, "M1")
    pack = Pack.read(board_pack_bytes(view))
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= embedded_fonts(pack), embedded_fonts(pack)
    for status in load_rules().statuses:
        assert shown(fmt.status_label(status)) in pack.text, status  # symbol and word, e.g. '✓ Green'


@pytest.fixture
def without_dejavu(monkeypatch):
    """The pack as on a machine without DejaVu Sans: Typst gets no font folder and no installed font, and
    draws the ✖ its own fonts lack (so that symbol is not in the text layer)."""
    monkeypatch.setattr(boardpack, "FONT_DIRS", ())
    monkeypatch.setattr(boardpack, "SYSTEM_FONTS", False)
    monkeypatch.setattr(sys.modules[__name__], "DRAWN", frozenset("✖"))


def test_pack_without_dejavu_falls_back_to_typst_fonts(handmade_db, without_dejavu, caplog):
    view = load_mutual(handmade_db, "M1")
    with caplog.at_level("WARNING", logger="mutuals.reports.boardpack"):
        pack = Pack.read(board_pack_bytes(view))
    check_pack(pack, view)
    assert "DejaVu Sans not found" in caplog.text
    assert not any(name.startswith("DejaVuSans") for name in embedded_fonts(pack)), embedded_fonts(pack)
    assert "✓ Green" in pack.text and "▲ Amber" in pack.text and "Watch" in pack.pages[0]
    assert "\x00" not in pack.text, "no character without a glyph"


def test_hostile_names_are_printed_as_text(tmp_path):
    """The hostile corpus as names (issue 8): the pack builds and prints each as the text it is, no markup run."""
    from mutuals.escape import plain
    from tests.hostile import HOSTILE, hostile_tables

    tables = hostile_tables()
    with build_tables(tmp_path, tables) as db:
        for mutual_id, index in (("M1", 0), ("M2", 1), ("M3", 2), ("M4", 3)):
            view = load_mutual(db, mutual_id)
            pack = Pack.read(board_pack_bytes(view))
            check_pack(pack, view)
            assert norm(plain(HOSTILE[index]))[:40] in pack.text, (mutual_id, pack.text[:300])
            assert not set(pack.text) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
        assert pack.reader.get_fields() is None  # no form field from the <form> name


TYPST_MARKUP = '#eval("1+1") *bold* _x_ $x^2$ <lab> @ref `raw` \\ ] #set page(width: 1cm) // not a comment'
LONG_NAME = ("North-East Community Health/Social Care Partnership CIC – staff-owned spin-out of the "
             "Borough's adult-care service/trust")


def test_typst_markup_and_long_names_print_as_text(tmp_path):
    """Names reach the template as data: Typst markup prints as the text it is, and a 120-character name
    (hyphens, slashes, no break inside a word) still leaves the whole cover on page 1."""
    import copy

    from tests.fixtures import handmade

    tables = copy.deepcopy(handmade.TABLES)
    tables["mutuals"][0]["name"] = TYPST_MARKUP
    tables["mutuals"][1]["name"] = LONG_NAME
    assert len(LONG_NAME) == 120
    with build_tables(tmp_path, tables) as db:
        for mutual_id, name in (("M1", TYPST_MARKUP), ("M2", LONG_NAME)):
            view = load_mutual(db, mutual_id)
            assert view.name == name
            pack = Pack.read(board_pack_bytes(view))
            check_pack(pack, view)
            assert norm(name) in pack.pages[0]
            assert pack.pages[0].rstrip().endswith(f"Page 1 of {len(pack.pages)}"), "the cover is one page"
            assert "Contents" in pack.pages[0] and pack.pages[1].startswith(heading_text(section_headings()[0]))
            assert pack.reader.metadata.title == f"Board pack: {name}"


def test_pdf_bookmarks_follow_the_sections(handmade_db):
    view = load_mutual(handmade_db, "M1")
    pack = Pack.read(board_pack_bytes(view))
    top = [item for item in pack.reader.outline if not isinstance(item, list)]
    assert [norm(item.title) for item in top] == [heading_text(h) for h in section_headings()]
    pages = [pack.reader.get_destination_page_number(item) for item in top]
    assert pages == [next(i for i, t in enumerate(pack.pages) if i > 0 and t.startswith(heading_text(h)))
                     for h in section_headings()]


def test_a_broken_chart_does_not_lose_the_pack(handmade_db, caplog):
    from mutuals.charts.mutual import mutual_charts

    class Broken:
        def to_dict(self, validate=True):
            raise ValueError("no data for this chart")

    view = load_mutual(handmade_db, "M1")
    charts = mutual_charts(view)
    first = charts["finance"][0]
    charts["finance"][0] = type(first)(first.key, first.title, Broken(), first.caption)
    with caplog.at_level("ERROR", logger="mutuals.reports.boardpack"):
        pack = Pack.read(board_pack_bytes(view, charts))
    finance = pack.section(heading_text(section_headings()[3]), heading_text(section_headings()[4]))
    assert "Chart unavailable (ValueError: no data for this chart)." in finance
    assert shown(first.title) in finance and shown(first.caption) in finance
    assert f"chart {first.key} could not be drawn" in caplog.text
    assert check_captions(pack, charts) >= 10, "the other charts are all there"
