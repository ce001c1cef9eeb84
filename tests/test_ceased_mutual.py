"""A ceased mutual is shown as of its ceased date (issue 10, item 2: the mutual page and the board pack).

On the bundled sample M0053 (Ulvbourne Social Care Mutual) ceased on 18 Jun 2015 and M0019 on 30 Jul 2019.
Viewed at a later date, the view is cut at the ceased date: its cards are rated then and say so, a banner says
so, every chart's time axis and every date in its data end there, and the board pack is dated then. Before the
ceased date the mutual is shown trading, as before.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from mutuals import formatting as fmt
from mutuals.infra.build import build
from mutuals.infra.db import Database
from mutuals.services.indicators import resolve_as_of
from mutuals.services.mutual import load_mutual
from tests.apptest import elements, open_app, texts
from tests.test_boardpack import Pack, check_pack

ROOT = Path(__file__).resolve().parents[1]
CEASED = {"M0053": date(2015, 6, 18), "M0019": date(2019, 7, 30)}
ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})")


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ceased") / "data"
    shutil.copytree(ROOT / "data", folder, ignore=shutil.ignore_patterns("*.duckdb*", "versions"))
    return folder


@pytest.fixture(scope="module")
def sample_db(sample_dir):
    with Database(build(sample_dir, sample_dir.parent / "m.duckdb").db_path) as db:
        yield db


def dates_in(value) -> list[date]:
    """Every ISO date (or timestamp) string anywhere in a chart spec or its data."""
    found = []
    if isinstance(value, dict):
        for item in value.values():
            found += dates_in(item)
    elif isinstance(value, list):
        for item in value:
            found += dates_in(item)
    elif isinstance(value, str) and ISO.match(value):
        found.append(date.fromisoformat(ISO.match(value).group(1)))
    return found


def x_domains(spec: dict) -> list[list]:
    """The explicit domains of every x scale in a (layered) Vega-Lite spec."""
    out = []
    for layer in [spec, *spec.get("layer", [])]:
        domain = ((layer.get("encoding") or {}).get("x") or {}).get("scale", {}).get("domain")
        if domain:
            out.append(domain)
    return out


@pytest.mark.parametrize("mutual_id", list(CEASED))
def test_the_view_is_cut_at_the_ceased_date(sample_db, mutual_id):
    ceased = CEASED[mutual_id]
    view = load_mutual(sample_db, mutual_id)
    assert view.requested_as_of == resolve_as_of(sample_db, None) > ceased
    assert view.as_of == view.ceased_on == ceased and view.is_ceased
    assert view.previous_as_of == date(ceased.year - 1, ceased.month, ceased.day)
    assert view.overall_status == "ceased"
    assert max(view.financials["year_end"]).date() <= ceased  # no plan year after it stopped trading
    for frame, column in ((view.sessions, "session_date"), (view.waves, "survey_date"),
                          (view.reviews, "review_date"), (view.contracts, "start_date")):
        assert frame.empty or max(frame[column]).date() <= ceased, column
    before = load_mutual(sample_db, mutual_id, as_of=date(ceased.year - 1, 1, 1))
    assert before.as_of == before.requested_as_of and before.ceased_on is None and not before.is_ceased
    assert before.stage == "trading"


@pytest.mark.parametrize("mutual_id", list(CEASED))
def test_every_chart_ends_at_the_ceased_date(sample_db, mutual_id):
    from mutuals.charts.mutual import mutual_charts

    ceased = CEASED[mutual_id]
    view = load_mutual(sample_db, mutual_id)
    checked = 0
    for specs in mutual_charts(view).values():
        for spec in specs:
            chart = spec.chart.to_dict()
            for domain in x_domains(chart):
                if dates_in(domain):
                    assert max(dates_in(domain)) <= ceased, (spec.key, domain)
                    checked += 1
            late = [d for d in dates_in(chart.get("datasets", {})) if d > ceased]
            assert not late, (spec.key, late[:3])
    assert checked >= 4  # sessions, engagement journey, sub-scores, contracts, reviews: time axes that end there


def test_contract_bars_are_cut_at_the_ceased_date(sample_db):
    from mutuals.charts.mutual import contract_gantt

    view = load_mutual(sample_db, "M0053")
    assert (view.contracts["max_end_date"] > view.contracts["start_date"]).all()
    spec = contract_gantt(view.contracts, view.as_of, None, until=view.ceased_on).to_dict()
    assert "Ceased 18 Jun 2015" in json.dumps(spec)
    assert max(dates_in(x_domains(spec))) == view.ceased_on


def payload_dates(at) -> list[date]:
    found = []
    for chart in elements(at, "vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        for domain in x_domains(spec):
            found += dates_in(domain)
        for dataset in chart.proto.datasets:
            rows = pa.ipc.open_stream(io.BytesIO(dataset.data.data)).read_all().to_pylist()
            found += dates_in(json.loads(json.dumps(rows, default=str)))
    return found


def test_the_page_shows_the_banner_and_ends_there(sample_dir):
    at = open_app(sample_dir, {"mutual": "M0053"}, page="pages/mutual.py")
    assert not at.exception
    assert [w.value for w in at.warning] == ["Ceased on 18 Jun 2015: figures are as of that date."]
    text = texts(at)
    assert "as of 18 Jun 2015" in text
    assert "Rated as of the ceased date, 18 Jun 2015; each against 18 Jun 2014" in text
    cards = [m.value for m in at.markdown if "indicator-card" in m.value]
    assert cards and all("As of the ceased date, 18 Jun 2015" in card for card in cards)
    assert len(elements(at, "vega_lite_chart")) == 13
    dates = payload_dates(at)
    assert dates and max(dates) == date(2015, 6, 18)
    # before the ceased date: trading, as now, with no banner
    earlier = open_app(sample_dir, {"mutual": "M0053", "as_of": "2014-06-30"}, page="pages/mutual.py")
    assert not earlier.exception and not earlier.warning
    assert "Stage: **Trading**" in texts(earlier)
    assert not [m.value for m in earlier.markdown if "As of the ceased date" in m.value]


def test_the_board_pack_is_dated_at_the_ceased_date(sample_db):
    from mutuals.reports.boardpack import board_pack_bytes

    view = load_mutual(sample_db, "M0053")
    pack = Pack.read(board_pack_bytes(view))
    check_pack(pack, view)
    cover = pack.pages[0]
    assert "Figures as of 18 Jun 2015, compared with 18 Jun 2014" in cover
    assert "Ceased on 18 Jun 2015: figures are as of that date." in cover
    assert "The figures in this pack are as of 18 Jun 2015" in pack.text  # the appendix
    assert fmt.day(view.requested_as_of) not in pack.text
