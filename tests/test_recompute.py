"""The CLI's indicators agree with an independent plain-pandas recomputation.

``tests/recompute.py`` recomputes every indicator straight from the CSV files
(no DuckDB, no SQL, no ``mutuals.services``, no config file) following the
written definitions literally. Here we run ``python -m mutuals indicators`` in a
subprocess on the same CSVs and compare, mutual by mutual and column by column:

* the set of mutual_ids must be identical;
* stage, every ``<indicator>_status``, early_peak and overall_status must match exactly;
* numbers must agree within 1e-6 (relative or absolute). ``--format json`` carries
  ~10 decimals so the 1e-6 test applies directly; ``--format csv`` prints
  ``%.6g`` (six significant digits), so there the tolerance also allows half a
  unit in the sixth printed digit.

Data sets: the bundled sample in ``data/`` (at its data date and two earlier
as-of dates) and the hand-made fixture (at its data date, at boundary dates and
with a different survey suppression threshold).
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
EXACT_COLUMNS = ["stage"] + [f"{c}_status" for c in rc.INDICATORS] + ["early_peak", "overall_status"]


@dataclass(frozen=True)
class Scenario:
    dataset: str  # "sample" | "handmade"
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
    Scenario("handmade", "2012-01-15"),  # M1 pre-spin-out, transition wave on D
    Scenario("handmade", min_respondents=5),  # M2's 10-respondent wave is no longer suppressed
]
# CSV (what the brief and users read) for every scenario; JSON (full precision) where it matters most.
RUNS = [(s, "csv") for s in SCENARIOS] + [(s, "json") for s in SCENARIOS
                                          if s.dataset == "sample" or (s.as_of, s.min_respondents) == (None, None)]


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
        frame["early_peak"] = frame["early_peak"].map({"True": True, "False": False, "true": True, "false": False})
    for col in rc.INDICATORS:
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    frame["mutual_id"] = frame["mutual_id"].astype(str)
    return frame.set_index("mutual_id")


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory) -> dict[str, Path]:
    csvs = sorted(SAMPLE_DIR.glob("*.csv"))
    assert csvs, (f"no sample CSVs in {SAMPLE_DIR}: the bundled sample data set must be committed "
                  f"(python -m mutuals generate writes it)")
    return {"sample": SAMPLE_DIR, "handmade": handmade.write_csvs(tmp_path_factory.mktemp("handmade_csv"))}


@pytest.fixture(scope="module")
def cli_outputs(data_dirs, tmp_path_factory) -> dict[tuple[str, str], pd.DataFrame]:
    """Every (scenario, format) run of the CLI, started in parallel once each database is built."""
    db_dir = tmp_path_factory.mktemp("cli_db")
    dbs = {name: db_dir / f"{name}.duckdb" for name in data_dirs}
    jobs = {(s.id, f): _cli(data_dirs[s.dataset], dbs[s.dataset], s, f) for s, f in RUNS}
    first = {(s.id, "csv") for s in SCENARIOS if s.as_of is None and s.min_respondents is None}
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


# --------------------------------------------------------------------------- comparing

def _numbers_agree(cli: float, mine: float, fmt: str) -> bool:
    if math.isnan(cli) or math.isnan(mine):
        return math.isnan(cli) and math.isnan(mine)
    tol = TOLERANCE * max(1.0, abs(mine))
    if fmt == "csv" and cli != 0:
        # %.6g keeps six significant digits: allow half a unit in the last one.
        tol = max(tol, 0.5 * 10 ** (math.floor(math.log10(abs(cli))) - 5) * (1 + 1e-9))
    return abs(cli - mine) <= tol


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == b


def compare(cli: pd.DataFrame, mine: pd.DataFrame, fmt: str) -> list[str]:
    """Every disagreement as 'mutual, column: cli=…, recompute=…'."""
    problems: list[str] = []
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
        for col in rc.INDICATORS:
            if not _numbers_agree(float(c[col]), float(m[col]), fmt):
                problems.append(f"{mid}, {col}: cli={c[col]!r}, recompute={m[col]!r}")
        for col in EXACT_COLUMNS:
            if not _same(c[col], m[col]):
                problems.append(f"{mid}, {col}: cli={c[col]!r}, recompute={m[col]!r}")
    return problems


@pytest.mark.parametrize(("scenario", "fmt"), RUNS, ids=[f"{s.id}-{f}" for s, f in RUNS])
def test_cli_matches_independent_recomputation(scenario, fmt, cli_outputs, loaded_tables):
    cli = cli_outputs[(scenario.id, fmt)]
    kwargs = {} if scenario.min_respondents is None else {"min_respondents": scenario.min_respondents}
    mine = rc.recompute(loaded_tables[scenario.dataset], scenario.as_of, **kwargs)

    conflicts = mine["_phase_conflict"].dropna()
    assert conflicts.empty, f"waves whose rows disagree on phase (definition ambiguous): {conflicts.to_dict()}"
    assert len(mine) > 0, "no mutual is visible: the comparison would be vacuous"

    problems = compare(cli, mine, fmt)
    if problems:
        shown = "\n".join(problems[:60])
        more = f"\n… and {len(problems) - 60} more" if len(problems) > 60 else ""
        pytest.fail(f"{scenario.id} ({fmt}): {len(problems)} disagreement(s) between the CLI and the "
                    f"recomputation:\n{shown}{more}")


def test_sample_comparison_is_not_vacuous(loaded_tables):
    """At the sample's data date every indicator has values and the verdicts vary."""
    mine = rc.recompute(loaded_tables["sample"])
    assert len(mine) >= 10
    empty = [c for c in rc.INDICATORS if mine[c].notna().sum() == 0]
    assert not empty, f"indicators with no value for any mutual: {empty}"
    assert mine["overall_status"].nunique() >= 3


def test_recomputation_is_independent_of_the_product():
    """tests/recompute.py must not import the product, DuckDB or read its SQL/config."""
    source = Path(rc.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    code = source.replace(ast.get_docstring(tree, clean=False) or "", "")
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert not imported & {"mutuals", "duckdb", "tomllib", "tests"}, imported
    assert ".sql" not in code and "indicators.toml" not in code


def test_handmade_recomputation_matches_the_worked_example(loaded_tables):
    """Anchor the recomputation itself on a few hand-worked values of the fixture (D = 2026-06-30)."""
    mine = rc.recompute(loaded_tables["handmade"])
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
    assert m1["overall_status"] == "concern"
    m2 = mine.loc["M2"]
    assert math.isnan(m2["engagement_score"]) and m2["response_rate"] == pytest.approx(0.2)
    assert math.isnan(m2["reserves_months"])  # zero expenditure
    assert mine.loc["M3", "stage"] == "ceased" and mine.loc["M4", "stage"] == "pre_spin_out"
