"""The CLI's indicators agree with an independent plain-pandas recomputation.

``tests/recompute.py`` recomputes every indicator, evidence date, staleness flag,
status, area status and the overall status straight from the CSV files (no DuckDB,
no SQL, no ``mutuals.services``; only the numbers of the rules file, read with
tomllib) following the written definitions literally. Here we run
``python -m mutuals indicators`` in a subprocess on the same CSVs and compare,
mutual by mutual and column by column, every column of
:func:`mutuals.services.indicators.output_columns` except ``overall_reasons``:

* the set of mutual_ids must be identical;
* name, sector, region, stage, every ``<indicator>_status`` (staleness applied),
  every ``<indicator>_stale``, every ``<area>_status``, early_peak and
  overall_status must match exactly;
* every ``<indicator>_evidence_date`` must be the same day (or both null);
* numbers must agree within 1e-6 (relative or absolute); both formats carry ten
  significant digits, well inside that.

``overall_reasons`` is text, so it is only checked for what it must say: it is
non-empty; it mentions the re-tender cliff when the cliff holds; it names every
red area (and for ``watch`` every amber area) by its short label; and it gives
the date of every stale piece of evidence with "is over N months old".

Data sets: the bundled sample in ``data/`` (at its data date and two earlier
as-of dates), the hand-made fixture (at its data date, at boundary dates and
with a different survey suppression threshold) and ``EDGE_TABLES``: the fixture
plus mutuals built to hit ties, boundaries and divisions by zero that neither
of the others contains.
"""

from __future__ import annotations

import ast
import io
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests import recompute as rc
from tests.fixtures import handmade

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "data"
TOLERANCE = 1e-6
NUMBER_COLUMNS = list(rc.INDICATORS)
DATE_COLUMNS = [f"{c}_evidence_date" for c in rc.AGED]
STALE_COLUMNS = [f"{c}_stale" for c in rc.AGED]
EXACT_COLUMNS = (["name", "sector", "region", "stage"] + [f"{c}_status" for c in rc.INDICATORS] + STALE_COLUMNS
                 + [f"{a}_status" for a in rc.AREAS] + ["early_peak", "overall_status"])
NOT_COMPARED = {"mutual_id", "overall_reasons"}  # the index; text checked by check_reasons


def _mutual(mid: str, **kw) -> dict:
    row = {"mutual_id": mid, "name": f"Edge {mid}", "sector": "Housing", "legal_form": "Community Benefit Society",
           "ownership_model": "employee-led", "region": "North West", "parent_commissioner_id": "C1",
           "options_appraisal_date": "", "spin_out_date": "2016-04-01", "staff_count": "40", "member_share": "0.5",
           "company_number": "", "charity_number": "", "status": "trading", "ceased_date": ""}
    return {**row, **kw}


def _contract(cid, mid, comm, start, end, value) -> dict:
    return {"contract_id": cid, "mutual_id": mid, "commissioner_id": comm, "title": "Edge", "service_area": "",
            "start_date": start, "end_date": end, "max_end_date": "", "annual_value": value,
            "is_spin_out_contract": "false", "outcome": "active"}


def _wave(mid, day, phase, group, eligible, respondents, m, i, a) -> dict:
    return {"mutual_id": mid, "survey_date": day, "phase": phase, "staff_group": group, "eligible_staff": eligible,
            "respondents": respondents, "motivation": m, "involvement": i, "advocacy": a}


def _fin(mid, year_end, parent, other, non_public, expenditure, reserves) -> dict:
    return {"mutual_id": mid, "year_end": year_end, "income_parent": parent, "income_other_public": other,
            "income_non_public": non_public, "expenditure": expenditure, "staff_costs": "",
            "unrestricted_reserves": reserves, "current_assets": "", "current_liabilities": ""}


# The fixture's D stays 2026-06-30 (no new event after it). D + 365 days = 2027-06-30.
_EDGE_ROWS: dict[str, list[dict]] = {
    "mutuals": [
        _mutual("M7", options_appraisal_date="2015-01-01"),
        # Status ceased but ceased_date after D: still trading on D. No staff: innovations null.
        _mutual("M8", staff_count="0", status="ceased", ceased_date="2026-12-31"),
        # Spins out exactly on D, no options appraisal date: visible and trading.
        _mutual("M9", spin_out_date="2026-06-30", staff_count="5", member_share=""),
        # Spins out the day after D with no appraisal date: not visible.
        _mutual("M10", spin_out_date="2026-07-01"),
        # Evidence ages on D = 2026-06-30 (24 calendar months before D is 2024-06-30):
        # M11: finance and plan exactly 24 months old (current); survey and review one day older (stale).
        _mutual("M11"),
        # M12: finance and plan one day over 24 months (stale); survey and review exactly 24 months (current).
        _mutual("M12"),
        # M13: a financial year ending on a leap day, 2024-02-29: + 24 months = 2026-02-28 (current on
        # 2026-02-28, stale on D); a review on 2024-02-27 (stale on 2026-02-28 too).
        _mutual("M13"),
    ],
    "contracts": [
        # M7: K7A and K7B tie on value (C1, C2 500k each): the main contract is the earlier end, K7A,
        # which ends exactly on D + 365 (inside the window); K7C ends on D + 366 (outside); K7B starts on D;
        # K7D ended the day before D (not active).
        _contract("K7A", "M7", "C1", "2020-01-01", "2027-06-30", "500000"),
        _contract("K7B", "M7", "C2", "2026-06-30", "2029-03-31", "500000"),
        _contract("K7C", "M7", "C3", "2019-01-01", "2027-07-01", "250000"),
        _contract("K7D", "M7", "C1", "2020-01-01", "2026-06-29", "900000"),
        # M9: the only active contract is worth nothing: shares null, months still defined.
        _contract("K9A", "M9", "C1", "2026-01-01", "2028-01-01", "0"),
        # M11, M12: one contract ending 184 days after D: months 6.0 (red), shares 1.0 (red).
        _contract("K11A", "M11", "C1", "2020-01-01", "2026-12-31", "1000000"),
        _contract("K12A", "M12", "C1", "2020-01-01", "2026-12-31", "1000000"),
    ],
    "financials": [
        # M7: a zero-income year, then income 1m (parent 0.6 exactly), surplus 0.01, reserves 3.0 months.
        _fin("M7", "2025-03-31", "0", "0", "0", "100000", "300000"),
        _fin("M7", "2026-03-31", "600000", "200000", "200000", "990000", "247500"),
        # M8: no parent income, zero expenditure, no reserves figure.
        _fin("M8", "2026-03-31", "0", "500000", "500000", "0", ""),
        # M11, M12: parent share 0.9 (red), reserves 100k / (1.1m / 12) = 1.09 months (amber),
        # surplus -0.1 (red), growth 0 (green).
        _fin("M11", "2023-06-30", "900000", "50000", "50000", "1000000", "100000"),
        _fin("M11", "2024-06-30", "900000", "50000", "50000", "1100000", "100000"),
        _fin("M12", "2023-06-29", "900000", "50000", "50000", "1000000", "100000"),
        _fin("M12", "2024-06-29", "900000", "50000", "50000", "1100000", "100000"),
        # M13: parent 0.5, reserves 300k / 75k = 4 months, surplus 0.1: all green; one year, so no growth.
        _fin("M13", "2024-02-29", "500000", "250000", "250000", "900000", "300000"),
    ],
    "plan_targets": [
        # M7: the latest year with both rows has a zero plan: plan indicators null (not the 2025 plan).
        {"mutual_id": "M7", "year_end": "2025-03-31", "planned_income": "1000000", "planned_non_parent_income": "0"},
        {"mutual_id": "M7", "year_end": "2026-03-31", "planned_income": "0", "planned_non_parent_income": "0"},
        # M11, M12: plan 1m with 0.1 non-parent: delivery 1.0, non-parent vs plan 0 (both green).
        {"mutual_id": "M11", "year_end": "2024-06-30", "planned_income": "1000000", "planned_non_parent_income": "100000"},
        {"mutual_id": "M12", "year_end": "2024-06-29", "planned_income": "1000000", "planned_non_parent_income": "100000"},
    ],
    "engagement": [
        # M7: two waves tie on the peak (8.0); the earliest is options_appraisal. The latest wave's scored
        # groups have exactly 11 respondents (not suppressed); 1 more gave no advocacy score and does not
        # count towards the minimum: score 7.5, change -0.5 exactly.
        _wave("M7", "2015-06-01", "options_appraisal", "All", "20", "12", "8", "8", "8"),
        _wave("M7", "2018-06-01", "spun_out", "All", "20", "12", "8", "8", "8"),
        _wave("M7", "2026-06-01", "spun_out", "Front line", "20", "11", "7.5", "7.5", "7.5"),
        _wave("M7", "2026-06-01", "spun_out", "Office", "5", "1", "1", "1", ""),
        # M8: transition peak 8.2, latest 7.7: change is -0.4999999999999991 in floating point.
        _wave("M8", "2016-01-01", "transition", "All", "30", "20", "8.2", "8.2", "8.2"),
        _wave("M8", "2026-01-01", "spun_out", "All", "30", "20", "7.7", "7.7", "7.7"),
        # M9: a wave with no eligible staff: response rate and score null.
        _wave("M9", "2026-05-01", "transition", "All", "0", "0", "7", "7", "7"),
        # M11: 20 of 40 at 6.0 one day over 24 months (score red, change 0, response 0.5: all stale).
        _wave("M11", "2024-06-29", "spun_out", "All", "40", "20", "6", "6", "6"),
        # M12: 20 of 40 at 8.0 exactly 24 months before D (all green and current).
        _wave("M12", "2024-06-30", "spun_out", "All", "40", "20", "8", "8", "8"),
    ],
    "strategy_sessions": [
        {"mutual_id": "M7", "session_date": "2025-06-30", "kind": "away_day"},
        {"mutual_id": "M7", "session_date": "2024-01-01", "kind": "away_day"},
    ],
    "innovations": [
        # M7: on D and on D - 364 count; on D - 365 does not; piloted and management ones never count.
        {"mutual_id": "M7", "innovation_date": "2026-06-30", "title": "a", "origin": "staff", "status": "embedded", "annual_saving": ""},
        {"mutual_id": "M7", "innovation_date": "2025-07-01", "title": "b", "origin": "staff", "status": "embedded", "annual_saving": ""},
        {"mutual_id": "M7", "innovation_date": "2025-06-30", "title": "c", "origin": "staff", "status": "embedded", "annual_saving": ""},
        {"mutual_id": "M7", "innovation_date": "2026-01-01", "title": "d", "origin": "staff", "status": "piloted", "annual_saving": ""},
        {"mutual_id": "M7", "innovation_date": "2026-01-01", "title": "e", "origin": "management", "status": "embedded", "annual_saving": ""},
        {"mutual_id": "M8", "innovation_date": "2026-01-01", "title": "f", "origin": "staff", "status": "embedded", "annual_saving": ""},
        # M12: 1 per 40 staff = 2.5 per 100 (green).
        {"mutual_id": "M12", "innovation_date": "2026-01-01", "title": "g", "origin": "staff", "status": "embedded", "annual_saving": ""},
    ],
    "relationship_reviews": [
        {"mutual_id": "M7", "commissioner_id": "C1", "review_date": "2026-01-01", "kind": "k", "rating": "5"},
        {"mutual_id": "M7", "commissioner_id": "C2", "review_date": "2026-01-01", "kind": "k", "rating": "4"},
        {"mutual_id": "M7", "commissioner_id": "C3", "review_date": "2026-03-01", "kind": "k", "rating": "3"},
        {"mutual_id": "M7", "commissioner_id": "C2", "review_date": "2026-03-01", "kind": "k", "rating": "2"},
        # M11: rating 2 one day over 24 months (stale); 731 days since the review (24.02 months: red).
        {"mutual_id": "M11", "commissioner_id": "C1", "review_date": "2024-06-29", "kind": "k", "rating": "2"},
        # M12: rating 2 exactly 24 months old (red, current); 730 days since the review (23.98 months: red).
        {"mutual_id": "M12", "commissioner_id": "C1", "review_date": "2024-06-30", "kind": "k", "rating": "2"},
        # M13: rating 4 on 2024-02-27.
        {"mutual_id": "M13", "commissioner_id": "C1", "review_date": "2024-02-27", "kind": "k", "rating": "4"},
    ],
}
EDGE_TABLES = {name: rows + _EDGE_ROWS.get(name, []) for name, rows in handmade.TABLES.items()}


@dataclass(frozen=True)
class Scenario:
    dataset: str  # "sample" | "handmade" | "edge"
    as_of: str | None = None
    min_respondents: int | None = None

    @property
    def id(self) -> str:
        text = f"{self.dataset}-{self.as_of or 'default'}"
        return text + (f"-min{self.min_respondents}" if self.min_respondents is not None else "")


SCENARIOS = [
    Scenario("sample"),
    Scenario("sample", "2022-03-31"),
    Scenario("sample", "2019-09-30"),
    Scenario("handmade"),
    Scenario("handmade", "2020-06-30"),  # M3 ceases on exactly D
    Scenario("handmade", "2017-03-31"),  # K1 ends on D, K2 starts the next day; M2 not yet surveyed
    Scenario("edge"),
    Scenario("edge", min_respondents=12),  # M7's 11-respondent latest wave becomes suppressed
    Scenario("edge", "2026-02-28"),  # M13's leap-day year end is exactly 24 months old
]
# CSV (what users read) for every scenario; JSON (full precision, so the 1e-6 test is exact) for the
# sample and the edge cases. Each run costs about a second of start-up, so the list is kept short.
RUNS = [(s, "csv") for s in SCENARIOS] + [(s, "json") for s in SCENARIOS
                                          if s.dataset == "sample" or s == Scenario("edge")]


# --------------------------------------------------------------------------- running the CLI

def _cli(data_dir: Path, db_path: Path, scenario: Scenario, fmt: str) -> list[str]:
    cmd = [sys.executable, "-m", "mutuals", "indicators", "--format", fmt,
           "--db", str(db_path), "--data", str(data_dir)]
    if scenario.as_of:
        cmd += ["--as-of", scenario.as_of]
    if scenario.min_respondents is not None:
        cmd += ["--min-respondents", str(scenario.min_respondents)]
    return cmd


def _run(cmd: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, env=env)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\nstderr:\n{proc.stderr}")
    return proc.stdout


def _parse(text: str, fmt: str) -> pd.DataFrame:
    if fmt == "json":
        frame = pd.DataFrame(json.loads(text))
    else:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        frame = frame.replace("", None)
        words = {"True": True, "False": False, "true": True, "false": False}
        for col in ["early_peak"] + [c for c in STALE_COLUMNS if c in frame]:
            frame[col] = frame[col].map(lambda v: words.get(v, v))  # anything else stays and fails loudly
    for col in NUMBER_COLUMNS:
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    for col in DATE_COLUMNS:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col]).dt.normalize()
    frame["mutual_id"] = frame["mutual_id"].astype(str)
    return frame.set_index("mutual_id")


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory) -> dict[str, Path]:
    csvs = sorted(SAMPLE_DIR.glob("*.csv"))
    assert csvs, (f"no sample CSVs in {SAMPLE_DIR}: the bundled sample data set must be committed "
                  f"(python -m mutuals generate writes it)")
    return {"sample": SAMPLE_DIR,
            "handmade": handmade.write_csvs(tmp_path_factory.mktemp("handmade_csv")),
            "edge": handmade.write_csvs(tmp_path_factory.mktemp("edge_csv"), EDGE_TABLES)}


@pytest.fixture(scope="module")
def cli_outputs(data_dirs, tmp_path_factory) -> dict[tuple[str, str], pd.DataFrame]:
    """Every (scenario, format) run of the CLI, started in parallel once each database is built."""
    db_dir = tmp_path_factory.mktemp("cli_db")
    dbs = {name: db_dir / f"{name}.duckdb" for name in data_dirs}
    jobs = {(s.id, f): _cli(data_dirs[s.dataset], dbs[s.dataset], s, f) for s, f in RUNS}
    first = [(s.id, "csv") for s in SCENARIOS if s.as_of is None and s.min_respondents is None]
    workers = max(2, min(8, os.cpu_count() or 2))
    texts: dict[tuple[str, str], str] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # The default-date runs build the databases; the rest then only read them.
        texts.update(zip(first, pool.map(_run, [jobs[k] for k in first])))
        rest = [k for k in jobs if k not in first]
        texts.update(zip(rest, pool.map(_run, [jobs[k] for k in rest])))
    return {key: _parse(text, key[1]) for key, text in texts.items()}


@pytest.fixture(scope="module")
def loaded_tables(data_dirs) -> dict[str, dict[str, pd.DataFrame]]:
    return {name: rc.load_tables(path) for name, path in data_dirs.items()}


@pytest.fixture(scope="module")
def recomputed(loaded_tables):
    """recomputed(scenario) -> the independent answer, computed once per scenario."""
    cache: dict[str, pd.DataFrame] = {}

    def get(scenario: Scenario) -> pd.DataFrame:
        if scenario.id not in cache:
            kwargs = {} if scenario.min_respondents is None else {"min_respondents": scenario.min_respondents}
            cache[scenario.id] = rc.recompute(loaded_tables[scenario.dataset], scenario.as_of, **kwargs)
        return cache[scenario.id]

    return get


# --------------------------------------------------------------------------- comparing

def _numbers_agree(cli: float, mine: float) -> bool:
    if math.isnan(cli) or math.isnan(mine):
        return math.isnan(cli) and math.isnan(mine)
    return abs(cli - mine) <= TOLERANCE * max(1.0, abs(mine))


def _same_day(a, b) -> bool:
    if pd.isna(a) or pd.isna(b):
        return pd.isna(a) and pd.isna(b)
    return pd.Timestamp(a).normalize() == pd.Timestamp(b).normalize()


def _show(value) -> str:
    return repr(value.item() if hasattr(value, "item") else value)


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == b


def compare(cli: pd.DataFrame, mine: pd.DataFrame) -> list[str]:
    """Every disagreement as 'mutual, column: cli=…, recompute=…'; also any CLI column left uncompared."""
    problems: list[str] = []
    compared = set(NUMBER_COLUMNS) | set(DATE_COLUMNS) | set(EXACT_COLUMNS)
    uncompared = [c for c in cli.columns if c not in compared | NOT_COMPARED]
    if uncompared:
        problems.append(f"CLI columns the comparison does not cover: {uncompared}")
    missing = sorted(compared - set(cli.columns))
    if missing:
        problems.append(f"columns missing from the CLI output: {missing}")
        return problems
    only_cli = sorted(set(cli.index) - set(mine.index))
    only_mine = sorted(set(mine.index) - set(cli.index))
    if only_cli:
        problems.append(f"mutual_ids only in the CLI output: {only_cli}")
    if only_mine:
        problems.append(f"mutual_ids only in the recomputation: {only_mine}")
    if cli.index.duplicated().any():
        problems.append(f"duplicate mutual_ids in the CLI output: {sorted(cli.index[cli.index.duplicated()])}")
    for mid in sorted(set(cli.index) & set(mine.index)):
        c, m = cli.loc[mid], mine.loc[mid]
        for col in NUMBER_COLUMNS:
            if not _numbers_agree(float(c[col]), float(m[col])):
                problems.append(f"{mid}, {col}: cli={_show(c[col])}, recompute={_show(m[col])}")
        for col in DATE_COLUMNS:
            if not _same_day(c[col], m[col]):
                problems.append(f"{mid}, {col}: cli={_show(c[col])}, recompute={_show(m[col])}")
        for col in EXACT_COLUMNS:
            if not _same(c[col], m[col]):
                problems.append(f"{mid}, {col}: cli={_show(c[col])}, recompute={_show(m[col])}")
    return problems


def _day(value) -> str:
    """30 Jun 2020: the date style of the reasons (written here, not taken from mutuals.formatting)."""
    ts = pd.Timestamp(value)
    return f"{ts.day} {ts:%b %Y}"


def check_reasons(cli: pd.DataFrame, mine: pd.DataFrame) -> list[str]:
    """What each ``overall_reasons`` must say, given the recomputed statuses."""
    problems: list[str] = []
    config = rc.CONFIG
    for mid in sorted(set(cli.index) & set(mine.index)):
        text, m = cli.loc[mid, "overall_reasons"], mine.loc[mid]
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{mid}: empty overall_reasons ({m['overall_status']})")
            continue
        if m["stage"] != "trading":
            continue
        if m["_cliff"] and "re-tender cliff" not in text.lower():
            problems.append(f"{mid}: the re-tender cliff holds but the reasons do not say so: {text!r}")
        named = ["red"] + (["amber"] if m["overall_status"] == "watch" else [])
        for area in rc.AREAS:
            if m[f"{area}_status"] in named and config.area_short[area] not in text:
                problems.append(f"{mid}: {area} is {m[f'{area}_status']} but {config.area_short[area]!r} "
                                f"is not in the reasons: {text!r}")
        for c in rc.AGED:
            if m[f"{c}_stale"]:
                sentence = f"{_day(m[f'{c}_evidence_date'])} is over {config.max_evidence_months[c]} months old"
                if sentence not in text:
                    problems.append(f"{mid}: {c} is stale but {sentence!r} is not in the reasons: {text!r}")
    return problems


@pytest.mark.parametrize(("scenario", "fmt"), RUNS, ids=[f"{s.id}-{f}" for s, f in RUNS])
def test_cli_matches_independent_recomputation(scenario, fmt, cli_outputs, recomputed):
    cli = cli_outputs[(scenario.id, fmt)]
    mine = recomputed(scenario)

    conflicts = mine["_phase_conflict"].dropna()
    assert conflicts.empty, f"waves whose rows disagree on phase (definition ambiguous): {conflicts.to_dict()}"
    assert len(mine) > 0, "no mutual is visible: the comparison would be vacuous"

    problems = compare(cli, mine) + check_reasons(cli, mine)
    if problems:
        shown = "\n".join(problems[:60])
        more = f"\n… and {len(problems) - 60} more" if len(problems) > 60 else ""
        pytest.fail(f"{scenario.id} ({fmt}): {len(problems)} disagreement(s) between the CLI and the "
                    f"recomputation:\n{shown}{more}")


def test_sample_comparison_is_not_vacuous(recomputed):
    """At the sample's data date every indicator has values, evidence is dated and the verdicts vary."""
    mine = recomputed(Scenario("sample"))
    assert len(mine) >= 10
    empty = [c for c in rc.INDICATORS if mine[c].notna().sum() == 0]
    assert not empty, f"indicators with no value for any mutual: {empty}"
    undated = [c for c in DATE_COLUMNS if mine[c].notna().sum() == 0]
    assert not undated, f"evidence dates missing for every mutual: {undated}"
    assert mine["overall_status"].nunique() >= 3


def test_edge_comparison_covers_staleness_both_ways(recomputed):
    """Across the edge scenarios, every evidence-aged indicator is seen both stale and current."""
    frames = [recomputed(s) for s in SCENARIOS if s.dataset == "edge"]
    for c in rc.AGED:
        flags = pd.concat([f.loc[f[c].notna(), f"{c}_stale"] for f in frames])
        assert flags.any() and not flags.all(), c


def test_comparison_covers_every_output_column():
    """Every column the CLI prints is compared, except the reasons (checked by check_reasons)."""
    from mutuals.services.indicators import output_columns

    compared = set(NUMBER_COLUMNS) | set(DATE_COLUMNS) | set(EXACT_COLUMNS)
    assert set(output_columns()) - NOT_COMPARED == compared
    assert set(compared) <= set(rc.output_order()), "the recomputation must produce every compared column"


def test_recomputation_is_independent_of_the_product():
    """tests/recompute.py must not import the product, DuckDB or the tests, nor read the SQL.

    It may read the numbers of the rules file itself, with tomllib (not through mutuals.rules)."""
    source = Path(rc.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    code = source.replace(ast.get_docstring(tree, clean=False) or "", "")
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert not imported & {"mutuals", "duckdb", "tests"}, imported
    assert ".sql" not in code and "queries" not in code


def test_handmade_recomputation_matches_the_worked_example(recomputed):
    """Anchor the recomputation itself on a few hand-worked values of the fixture (D = 2026-06-30)."""
    mine = recomputed(Scenario("handmade"))
    assert list(mine.index) == ["M1", "M2", "M3", "M4", "M5"]  # M6's appraisal is after D
    m1 = mine.loc["M1"]
    # FY 2026: income 11m vs plan 12m; non-parent 4/11 vs 0.4.
    assert m1["plan_delivery"] == pytest.approx(11 / 12)
    assert m1["non_parent_share_vs_plan"] == pytest.approx(4 / 11 - 0.4)
    # 2025-10-01 wave: (48 * 7.2 + 32 * 7.5) / 80 = 7.32; peak 2012-01-15 (transition) = 8.1.
    assert m1["engagement_score"] == pytest.approx(7.32)
    assert m1["engagement_change_from_peak"] == pytest.approx(-0.78)
    assert bool(m1["early_peak"]) is True
    # Innovations: 2025-09-01 and 2026-05-01 count (2025-06-30 is exactly D - 365): 2 per 200 staff.
    assert m1["innovations_per_100_staff"] == pytest.approx(1.0)
    # Active on D: K2 7m (C2, ends 2027-03-31), K3 1m (C1, ends on D), K4 2m (C3).
    assert m1["largest_commissioner_share"] == pytest.approx(0.7)
    assert m1["months_to_main_contract_end"] == pytest.approx(274 / 30.4375)
    assert m1["value_ending_12m_share"] == pytest.approx(0.8)
    assert m1["relationship_rating"] == pytest.approx(3.5)
    assert m1["reserves_months"] == pytest.approx(2.0)
    assert m1["income_growth"] == pytest.approx(0.1)
    # Evidence: plan and finance FY ending 2026-03-31, latest wave 2025-10-01, latest review 2026-02-15.
    assert m1["plan_delivery_evidence_date"] == pd.Timestamp("2026-03-31")
    assert m1["response_rate_evidence_date"] == pd.Timestamp("2025-10-01")
    assert m1["income_growth_evidence_date"] == pd.Timestamp("2026-03-31")
    assert m1["relationship_rating_evidence_date"] == pd.Timestamp("2026-02-15")
    assert not any(m1[f"{c}_stale"] for c in rc.AGED)
    # Signals: plan amber (two ambers count once), reflection green -> leadership green. Engagement:
    # engagement red (change from peak), voice amber, innovation amber, ownership green -> amber (1 red).
    # Relationship: dependency amber, contract horizon red, relationship care amber -> amber (1 red).
    # Finance: reserves amber, margin green, growth green -> green (1 amber). No cliff (parent share amber).
    assert [m1[f"{a}_status"] for a in ("leadership", "engagement", "relationship", "finance")] == [
        "green", "amber", "amber", "green"]
    assert m1["overall_status"] == "watch"  # 2 amber areas
    m2 = mine.loc["M2"]
    assert math.isnan(m2["engagement_score"]) and m2["response_rate"] == pytest.approx(0.2)
    assert m2["engagement_score_evidence_date"] == pd.Timestamp("2025-11-01")  # dated though suppressed
    assert not m2["engagement_score_stale"]  # a null value is never stale
    assert math.isnan(m2["reserves_months"])  # zero expenditure
    # Cliff: months to main contract end 7.1 (red) and parent share 0.9 (red).
    assert bool(m2["_cliff"]) and m2["overall_status"] == "at_risk"
    m3 = mine.loc["M3"]
    assert m3["stage"] == "ceased" and mine.loc["M4", "stage"] == "pre_spin_out"
    # M3's only financial year ends 2020-03-31: + 24 months = 2022-03-31 < D, so stale.
    assert m3["parent_income_share"] == pytest.approx(1.0)
    assert bool(m3["parent_income_share_stale"]) and m3["parent_income_share_status"] == "no_data"
    assert not m3["income_growth_stale"]  # no previous year: null, so not stale
    # M5 has no data: only innovations (0, red) is rated -> engagement amber, the rest no_data.
    assert mine.loc["M5", "overall_status"] == "sustainable"


def test_edge_recomputation_matches_hand_working(recomputed):
    """Anchor the recomputation on the edge cases (D = 2026-06-30), so agreement is not shared error."""
    mine = recomputed(Scenario("edge"))
    assert list(mine.index) == ["M1", "M11", "M12", "M13", "M2", "M3", "M4", "M5", "M7", "M8", "M9"]  # not M6, M10
    m7 = mine.loc["M7"]
    assert m7["largest_commissioner_share"] == pytest.approx(0.4)  # 500k of 1.25m active
    assert m7["months_to_main_contract_end"] == pytest.approx(365 / 30.4375)  # K7A: tie, earlier end
    assert m7["value_ending_12m_share"] == pytest.approx(0.4)  # K7A ends on D + 365; K7C on D + 366
    assert m7["engagement_score"] == pytest.approx(7.5) and m7["response_rate"] == pytest.approx(12 / 25)
    assert m7["engagement_change_from_peak"] == pytest.approx(-0.5)
    assert bool(m7["early_peak"]) is True  # earliest of the tied peaks is options_appraisal
    assert math.isnan(m7["plan_delivery"]) and math.isnan(m7["non_parent_share_vs_plan"])
    assert m7["innovations_per_100_staff"] == pytest.approx(5.0)
    assert m7["relationship_rating"] == pytest.approx(2.5)
    assert m7["months_since_strategy_session"] == pytest.approx(365 / 30.4375)
    assert math.isnan(m7["income_growth"])  # previous year's income is zero
    for col, status in [("parent_income_share", "green"), ("surplus_margin", "green"), ("reserves_months", "green"),
                        ("months_to_main_contract_end", "red"), ("engagement_change_from_peak", "amber")]:
        assert m7[f"{col}_status"] == status, col
    m8 = mine.loc["M8"]
    assert m8["stage"] == "trading" and math.isnan(m8["innovations_per_100_staff"])
    assert m8["engagement_change_from_peak"] == pytest.approx(-0.5)
    assert bool(m8["early_peak"]) is True  # -0.4999999999999991 rounds to -0.5
    assert math.isnan(m8["reserves_months"]) and m8["surplus_margin"] == pytest.approx(1.0)
    m9 = mine.loc["M9"]
    assert m9["stage"] == "trading"
    assert math.isnan(m9["response_rate"]) and math.isnan(m9["engagement_score"])
    assert math.isnan(m9["largest_commissioner_share"]) and math.isnan(m9["value_ending_12m_share"])
    assert m9["months_to_main_contract_end"] == pytest.approx(550 / 30.4375)
    suppressed = recomputed(Scenario("edge", min_respondents=12)).loc["M7"]
    assert math.isnan(suppressed["engagement_score"]) and not suppressed["early_peak"]


def test_edge_staleness_matches_hand_working(recomputed):
    """Evidence exactly 24 calendar months old is current; one day older is stale (D = 2026-06-30)."""
    mine = recomputed(Scenario("edge"))
    finance = ["parent_income_share", "reserves_months", "surplus_margin", "income_growth"]
    survey = ["engagement_score", "engagement_change_from_peak", "response_rate"]
    m11 = mine.loc["M11"]  # finance/plan 2024-06-30 (exactly 24 months), survey/review 2024-06-29
    assert m11["parent_income_share_evidence_date"] == pd.Timestamp("2024-06-30")
    assert m11["engagement_score_evidence_date"] == pd.Timestamp("2024-06-29")
    assert not any(m11[f"{c}_stale"] for c in finance + ["plan_delivery", "non_parent_share_vs_plan"])
    assert all(m11[f"{c}_stale"] for c in survey + ["relationship_rating"])
    assert [m11[f"{c}_status"] for c in finance] == ["red", "amber", "red", "green"]
    assert {m11[f"{c}_status"] for c in survey + ["relationship_rating"]} == {"no_data"}
    assert m11["engagement_score"] == pytest.approx(6.0)  # the stale value is still shown
    assert m11["months_since_relationship_review_status"] == "red"  # 731 days: not evidence-aged
    # Areas: leadership green (plan green, reflection no_data); engagement amber (only innovation, red,
    # and ownership, green, are rated); relationship red (dependency, horizon, care all red); finance
    # amber (margin red). One red area, but the cliff holds (months 6.0 red, parent share 0.9 red).
    assert [m11[f"{a}_status"] for a in ("leadership", "engagement", "relationship", "finance")] == [
        "green", "amber", "red", "amber"]
    assert bool(m11["_cliff"]) and m11["overall_status"] == "at_risk"

    m12 = mine.loc["M12"]  # finance/plan 2024-06-29 (one day over), survey/review 2024-06-30
    assert all(m12[f"{c}_stale"] for c in finance + ["plan_delivery", "non_parent_share_vs_plan"])
    assert not any(m12[f"{c}_stale"] for c in survey + ["relationship_rating"])
    assert m12["parent_income_share"] == pytest.approx(0.9)
    assert m12["parent_income_share_status"] == "no_data"
    assert m12["relationship_rating_status"] == "red" and m12["engagement_score_status"] == "green"
    # Stale parent share: no cliff. Relationship red (largest share, horizon, care), engagement green,
    # leadership and finance no_data: one red area -> concern (it would be at_risk were the year current).
    assert [m12[f"{a}_status"] for a in ("leadership", "engagement", "relationship", "finance")] == [
        "no_data", "green", "red", "no_data"]
    assert not m12["_cliff"] and m12["overall_status"] == "concern"

    m13 = mine.loc["M13"]  # year end 2024-02-29: stale on D
    assert bool(m13["parent_income_share_stale"]) and m13["finance_status"] == "no_data"
    leap = recomputed(Scenario("edge", "2026-02-28")).loc["M13"]
    # 2024-02-29 + 24 months = 2026-02-28 (no 29 Feb in 2026) = D: current. Review 2024-02-27: stale.
    assert not leap["parent_income_share_stale"]
    assert [leap[f"{c}_status"] for c in finance] == ["green", "green", "green", "no_data"]
    assert bool(leap["relationship_rating_stale"]) and leap["relationship_rating_status"] == "no_data"
    # Relationship care: rating no_data, 732 days since review (24.05 months, red) -> relationship amber;
    # engagement amber (innovation red, ownership green); finance green -> 2 amber areas: watch.
    assert [leap[f"{a}_status"] for a in ("leadership", "engagement", "relationship", "finance")] == [
        "no_data", "amber", "amber", "green"]
    assert leap["overall_status"] == "watch"


@pytest.mark.parametrize(("day", "months", "expected"), [
    ("2024-06-30", 24, "2026-06-30"), ("2024-02-29", 24, "2026-02-28"), ("2024-08-31", 24, "2026-08-31"),
    ("2023-12-31", 24, "2025-12-31"), ("2024-01-31", 1, "2024-02-29"), ("2024-11-30", 3, "2025-02-28"),
])
def test_recompute_calendar_months(day, months, expected):
    assert rc.add_months(pd.Timestamp(day), months) == pd.Timestamp(expected)
