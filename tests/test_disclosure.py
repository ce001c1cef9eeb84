"""Suppression counts the people whose answers are shown (issue 8, part 2).

The leak: M1's 2025-10-01 wave has Clinical (48 respondents) and Support (32). Blank Clinical's
scores and cut Support to 10 respondents: the wave still has 58 respondents, but its score would be
Support's own, from 10 people. It must be suppressed everywhere: the page and its card, the CSV,
the board pack, the sector bands and the indicators CLI. D = 2026-06-30.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd
import pytest

from mutuals.cli import main
from mutuals.services.indicators import compute_indicators
from mutuals.services.mutual import load_mutual
from tests.apptest import DownloadRecorder, open_app
from tests.conftest import build_tables
from tests.fixtures import handmade

D = date(2026, 6, 30)
WAVE = "2025-10-01"
SHOWN_FROM_TEN = 7.5  # Support's score: what the leak would publish


def leaky_engagement() -> list[dict]:
    rows = []
    for row in handmade.TABLES["engagement"]:
        row = dict(row)
        if row["mutual_id"] == "M1" and row["survey_date"] == WAVE:
            if row["staff_group"] == "Clinical":
                row.update(motivation="", involvement="", advocacy="")
            else:
                row.update(respondents="10", motivation="7.5", involvement="7.5", advocacy="7.5")
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def leak(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("leak")
    db = build_tables(tmp, {"engagement": leaky_engagement()})
    yield tmp / "csv", db
    db.close()


def test_mutual_waves_suppresses_the_wave(leak):
    _, db = leak
    waves = db.query("mutual_waves", mutual_id="M1", as_of=D, min_respondents=11)
    wave = waves[waves["survey_date"].astype(str).str.startswith(WAVE)].iloc[0]
    assert bool(wave["suppressed"])
    assert int(wave["respondents"]) == 58  # counts stay, so the suppression can be explained
    for col in ("engagement_score", "motivation", "involvement", "advocacy"):
        assert pd.isna(wave[col]), col


def test_indicators_and_cli_suppress_the_wave(leak, tmp_path, capsys):
    folder, db = leak
    row = compute_indicators(db, D).set_index("mutual_id").loc["M1"]
    assert pd.isna(row["engagement_score"])
    assert main(["indicators", "--data", str(folder), "--db", str(tmp_path / "m.duckdb"), "--format", "json"]) == 0
    rows = {r["mutual_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["M1"]["engagement_score"] is None
    assert rows["M1"]["engagement_change_from_peak"] is None


def test_sector_bands_leave_the_wave_out(leak):
    _, db = leak
    bands = db.query("sector_engagement_bands", sector="Health & Social Care", as_of=D, min_respondents=11,
                     scope=None)
    assert 2025 not in set(bands["survey_year"])  # M1's wave was the sector's only 2025 wave
    assert SHOWN_FROM_TEN not in set(bands["median"].round(6))


def test_the_three_queries_agree_on_every_wave(leak, handmade_db):
    """One rule for 'a wave's shown score': mutual_waves, indicators and the sector bands agree."""
    for _, db in ((None, leak[1]), (None, handmade_db)):
        for mutual_id in ("M1", "M2", "M4"):
            for as_of in (date(2011, 12, 31), date(2012, 6, 30), D):
                waves = db.query("mutual_waves", mutual_id=mutual_id, as_of=as_of, min_respondents=11)
                row = compute_indicators(db, as_of, reasons=False).set_index("mutual_id")
                if waves.empty or mutual_id not in row.index:
                    continue
                latest = waves.iloc[-1]["engagement_score"]
                got = row.loc[mutual_id, "engagement_score"]
                assert (pd.isna(latest) and pd.isna(got)) or latest == pytest.approx(got), (mutual_id, as_of)
                profile = db.query("mutual_profile", mutual_id=mutual_id, scope=None).iloc[0]
                bands = db.query("sector_engagement_bands", sector=profile["sector"], as_of=as_of,
                                 min_respondents=11, scope=[mutual_id])
                shown = waves.dropna(subset=["engagement_score"])
                assert int(bands["waves"].sum()) == len(shown), (mutual_id, as_of)


def test_board_pack_never_prints_the_score(leak):
    from mutuals.reports.boardpack import board_pack_bytes
    from tests.test_boardpack import Pack

    _, db = leak
    view = load_mutual(db, "M1", D)
    wave = view.waves[view.waves["survey_date"].astype(str).str.startswith(WAVE)].iloc[0]
    assert bool(wave["suppressed"])
    text = Pack.read(board_pack_bytes(view)).text
    assert "suppressed (n < 11)" in text
    assert "7.5/10" not in text


def test_page_card_and_csv_show_the_wave_as_suppressed(leak, monkeypatch):
    folder, _ = leak
    downloads = DownloadRecorder(monkeypatch)
    at = open_app(folder, {"mutual": "M1"}, page="pages/mutual.py")
    assert not at.exception
    cards = "\n".join(h.proto.body for h in at.get("html"))
    assert "7.5/10" not in cards
    button = next(b for b in at.get("download_button") if b.label == "Download survey waves (CSV)")
    waves = pd.read_csv(io.BytesIO(downloads.read(button)), skiprows=1)  # after the context row
    wave = waves[waves["survey_date"].astype(str).str.startswith(WAVE)].iloc[0]
    assert str(SHOWN_FROM_TEN) not in wave.astype(str).tolist()
    assert "suppressed" in " ".join(wave.astype(str).tolist()).lower() or pd.isna(wave["engagement_score"])


def _group(date_: str, group: str, eligible: int, respondents: int, scores: tuple | None) -> dict:
    m, i, a = ("", "", "") if scores is None else tuple(str(s) for s in scores)
    return {"mutual_id": "M1", "survey_date": date_, "phase": "spun_out", "staff_group": group,
            "eligible_staff": str(eligible), "respondents": str(respondents),
            "motivation": m, "involvement": i, "advocacy": a}


def test_shown_waves_macro_hand_computed(tmp_path):
    """Rows in, hand-computed rows out: the one SQL definition of a wave's shown score (schema.sql)."""
    rows = [
        _group("2024-01-10", "A", 30, 20, (6, 7, 8)),    # scored: 20 respondents, mean 7
        _group("2024-01-10", "B", 10, 5, (9, 9, 9)),     # scored: 5 respondents, mean 9
        _group("2024-01-10", "C", 50, 40, None),         # not scored: counts only
        _group("2025-01-10", "A", 30, 10, (5, 5, 5)),    # the only scored group: 10 respondents
        _group("2025-01-10", "C", 50, 45, None),
    ]
    db = build_tables(tmp_path, {"engagement": rows})
    try:
        waves = db.query("mutual_waves", mutual_id="M1", as_of=D, min_respondents=11).set_index("survey_date")
        shown, hidden = waves.iloc[0], waves.iloc[1]
        # 2024: 65 respondents of 90; scores from A and B only: (20*7 + 5*9) / 25 = 7.4; motivation (120+45)/25.
        assert (int(shown["respondents"]), int(shown["eligible_staff"]), int(shown["staff_groups"])) == (65, 90, 3)
        assert not shown["suppressed"]
        assert shown["engagement_score"] == pytest.approx(7.4)
        assert (shown["motivation"], shown["involvement"], shown["advocacy"]) == pytest.approx((6.6, 7.4, 8.2))
        # 2025: 55 respondents, but only 10 whose answers would be shown: suppressed, counts kept.
        assert bool(hidden["suppressed"]) and int(hidden["respondents"]) == 55
        assert hidden[["engagement_score", "motivation", "involvement", "advocacy"]].isna().all()
        # With a threshold of 26 the 2024 wave (25 scored respondents) is suppressed too.
        strict = db.query("mutual_waves", mutual_id="M1", as_of=D, min_respondents=26)
        assert strict["suppressed"].tolist() == [True, True]
        bands = db.query("sector_engagement_bands", sector="Health & Social Care", as_of=D, min_respondents=11,
                         scope=["M1"])
        assert bands[["survey_year", "median", "waves"]].values.tolist() == [[2024, pytest.approx(7.4), 1]]
        latest = compute_indicators(db, D, reasons=False).set_index("mutual_id").loc["M1", "engagement_score"]
        assert pd.isna(latest)  # the latest wave is suppressed
    finally:
        db.close()


def test_every_wave_score_comes_from_the_one_definition():
    """No query aggregates survey scores itself: scores reach queries only through shown_waves (schema.sql)."""
    from mutuals.infra.db import QUERIES_DIR

    readers = {p.stem for p in QUERIES_DIR.glob("*.sql") if "shown_waves(" in p.read_text(encoding="utf-8")}
    assert {"indicators", "mutual_waves", "sector_engagement_bands"} <= readers
    for path in QUERIES_DIR.glob("*.sql"):
        text = path.read_text(encoding="utf-8")
        if path.stem in ("schema", "mutual_engagement_groups"):  # the definition; per-group rows, suppressed per group
            continue
        assert "motivation + " not in text and "sum(e.respondents *" not in text, path.name
