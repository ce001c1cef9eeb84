"""Exports with context (issue 10, item 7): every PNG, SVG and CSV says what it shows, for whom, as of when,
from which data, and whether the data are synthetic; the CLI's CSV stays plain; the pages pass the context."""

from __future__ import annotations

import ast
import csv
import io
import re
import struct
from datetime import date
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from mutuals.charts import export
from mutuals.charts.export import ExportContext
from mutuals.reports.csv_export import to_csv_bytes, to_csv_text
from tests.apptest import open_app

ROOT = Path(__file__).resolve().parents[1]
D = date(2026, 6, 30)
CONTEXT = ExportContext("Crivworth Health Partnership CIC", date(2026, 9, 30), "mutuals.sample.generate, seed 2026",
                        True)


def _chart() -> alt.Chart:
    return alt.Chart(pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})).mark_line().encode(x="x:Q", y="y:Q")


def svg_texts(svg: str) -> list[str]:
    import html

    lines = []  # a text element's lines are tspans
    for inner in re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S):
        lines += [html.unescape(part) for part in re.split(r"<[^>]+>", inner) if part.strip()]
    return lines


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


# --------------------------------------------------------------------------- the context itself


def test_context_facts_line_and_file_name():
    assert CONTEXT.line() == ("Crivworth Health Partnership CIC · as of 30 Sep 2026 · "
                              "source: mutuals.sample.generate, seed 2026 · Synthetic data")
    assert CONTEXT.file_name("contract-expiry", "png") == \
        "contract-expiry_crivworth-health-partnership-cic_2026-09-30_synthetic.png"
    real = ExportContext("", D, "county returns", False)
    assert real.line() == "All commissioners · as of 30 Jun 2026 · source: county returns"
    assert real.file_name("x", "csv") == "x_all-commissioners_2026-06-30.csv"
    assert "Synthetic" not in real.line()


def test_source_text_from_dataset_info():
    assert export.source_text({"generator": "mutuals.sample.generate", "seed": "2026"}) == \
        "mutuals.sample.generate, seed 2026"
    assert export.source_text({"source": "ONS\nreturns"}) == "ONS returns"
    assert export.source_text({}) == "mutuals sustainability data set"


# --------------------------------------------------------------------------- PNG and SVG


def test_svg_carries_the_title_block():
    texts = svg_texts(export.to_svg(_chart(), title="Contracts ending", context=CONTEXT))
    joined = "\n".join(texts)
    for fact in ("Contracts ending", "Crivworth Health Partnership CIC", "as of 30 Sep 2026",
                 "source: mutuals.sample.generate, seed 2026", "Synthetic data"):
        assert fact in joined, (fact, texts)
    plain = "\n".join(svg_texts(export.to_svg(_chart())))
    assert "Synthetic data" not in plain and "Crivworth" not in plain


def test_chart_own_title_is_kept_and_the_screen_spec_untouched():
    spec = _chart().properties(title=alt.Title("Engagement over time", subtitle=["Waves of 11 or more"])).to_dict()
    before = repr(spec)
    block = export.with_context(spec, "ignored", CONTEXT)["title"]
    assert block["text"] == "Engagement over time"
    assert block["subtitle"] == [*CONTEXT.lines(), "Waves of 11 or more"]
    assert repr(spec) == before  # the on-screen chart is not changed


def test_png_carries_the_title_block():
    bare = png_size(export.to_png(_chart(), scale=1.0))
    titled = png_size(export.to_png(_chart(), scale=1.0, title="Contracts ending", context=CONTEXT))
    assert titled[1] >= bare[1] + 40, (bare, titled)  # a title and three context lines above the chart


def test_not_synthetic_says_nothing_of_it():
    real = ExportContext("Kelvstow County Council", D, "county returns", False)
    texts = "\n".join(svg_texts(export.to_svg(_chart(), title="T", context=real)))
    assert "Kelvstow County Council" in texts and "Synthetic" not in texts


# --------------------------------------------------------------------------- CSV


def test_csv_first_row_is_the_context():
    rows = list(csv.reader(io.StringIO(to_csv_bytes(pd.DataFrame({"a": [1]}), comment=CONTEXT.line()).decode())))
    assert rows[0] == ["# " + CONTEXT.line()] and rows[1:] == [["a"], ["1"]]


def test_csv_comment_row_is_guarded_and_one_line():
    hostile = ExportContext('=HYPERLINK("http://evil.example","x"),\n+cmd|calc', D, "@src", True)
    text = to_csv_text(pd.DataFrame({"a": [1]}), comment=hostile.line())
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 3 and len(rows[0]) == 1
    assert rows[0][0].startswith("# =HYPERLINK(")  # begins with '#': a spreadsheet never evaluates it
    assert "\n" not in rows[0][0] and "+cmd|calc" in rows[0][0]


def test_cli_csv_has_no_comment_row():
    assert to_csv_text(pd.DataFrame({"a": [1]})) == "a\n1\n"


# --------------------------------------------------------------------------- the pages


def _calls(source: str, names: set[str]) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in names]


def test_every_export_call_passes_a_context():
    """Every components.chart(...) with exports and every csv_download(...) in the pages passes context=."""
    sources = [*sorted((ROOT / "pages").glob("*.py")), ROOT / "mutuals" / "ui" / "methodology.py"]
    seen = 0
    for path in sources:
        for call in _calls(path.read_text(encoding="utf-8"), {"chart", "csv_download"}):
            if getattr(call.func, "value", None) is None or getattr(call.func.value, "id", "") != "components":
                continue
            seen += 1
            keywords = {k.arg for k in call.keywords}
            assert "context" in keywords, f"{path.relative_to(ROOT)}:{call.lineno} exports without context="
    assert seen >= 8


class Recorder:
    """Every deferred download: its file name and the callable that makes its bytes."""

    def __init__(self, monkeypatch):
        from streamlit.runtime.media_file_manager import MediaFileManager

        self.files: dict[str, tuple[str | None, object]] = {}
        original = MediaFileManager.add_deferred
        recorder = self

        def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
            file_id = original(self, data_callable, mimetype, coordinates, file_name, **kwargs)
            recorder.files[file_id] = (file_name, data_callable)
            return file_id

        monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)

    def read(self, button) -> tuple[str, bytes]:
        name, make = self.files[button.proto.deferred_file_id]
        data = make()
        return name, data.encode("utf-8") if isinstance(data, str) else bytes(data)


def test_portfolio_downloads_carry_the_context(handmade_dir, monkeypatch):
    recorder = Recorder(monkeypatch)
    at = open_app(handmade_dir, {"commissioner": "C1"})
    assert not at.exception, at.exception
    buttons = at.get("download_button")
    labels = [b.label for b in buttons]
    assert "PNG" in labels and "SVG" in labels  # text labels, not icons alone
    commissioner = at.sidebar.selectbox(key="f_commissioner").value
    files = dict(recorder.read(b) for b in buttons)
    csvs = {n: d for n, d in files.items() if n.endswith(".csv")}
    assert csvs
    for name, data in csvs.items():
        assert name.endswith(f"_{D.isoformat()}_synthetic.csv"), name
        first = next(csv.reader(io.StringIO(data.decode("utf-8"))))
        assert first[0].startswith("# ") and "as of 30 Jun 2026" in first[0] and first[0].endswith("Synthetic data")
        assert "source: tests/fixtures/handmade.py" in first[0]
    svg = next(d for n, d in files.items() if n.endswith(".svg")).decode("utf-8")
    texts = "\n".join(svg_texts(svg))
    assert "as of 30 Jun 2026" in texts and "Synthetic data" in texts and "Contracts ending" in texts
    assert commissioner == "C1"


def test_mutual_downloads_name_the_mutual(handmade_dir, monkeypatch):
    recorder = Recorder(monkeypatch)
    at = open_app(handmade_dir, {"mutual": "M1"}, page="pages/mutual.py")
    assert not at.exception, at.exception
    button = next(b for b in at.get("download_button") if b.label == "Download indicator table (CSV)")
    name, data = recorder.read(button)
    assert name.startswith("m1-indicators_alpha-community-health-cic_"), name
    first = next(csv.reader(io.StringIO(data.decode("utf-8"))))[0]
    assert first.startswith("# Alpha Community Health CIC · as of ") and first.endswith("· Synthetic data")
    png_button = next(b for b in at.get("download_button") if b.label == "SVG")
    svg_name, svg = recorder.read(png_button)
    assert "alpha-community-health-cic" in svg_name and svg_name.endswith("_synthetic.svg")
    assert "Alpha Community Health CIC" in "\n".join(svg_texts(svg.decode("utf-8")))


@pytest.mark.parametrize("option", ["disableDataExport"])
def test_streamlit_table_download_is_off(option):
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"][option] is True
