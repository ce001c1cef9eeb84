"""Tests for the synthetic data generator and the bundled sample in data/."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mutuals.sample import generate as gen
from mutuals.sample.generate import (
    COLUMNS,
    DATA_DATE,
    DEFAULT_MUTUALS,
    DEFAULT_SEED,
    TABLES,
    generate,
    write_csvs,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DATA_TS = pd.Timestamp(DATA_DATE)
FILES = TABLES + ["dataset_info"]
DATE_COLUMNS = {t: [c for c, f in cols if f == "date"] for t, cols in COLUMNS.items()}
NUMBER_COLUMNS = {t: [c for c, f in cols if f in ("money", "score", "share", "int")]
                  for t, cols in COLUMNS.items()}
EVENT_DATES = {  # every dated event; none may fall after DATA_DATE
    "financials": "year_end", "engagement": "survey_date", "strategy_sessions": "session_date",
    "innovations": "innovation_date", "relationship_reviews": "review_date",
    "contracts": "start_date",
}
SECTORS = ["Health & Social Care", "Education, Youth & Children's Services",
           "Culture, Media & Libraries", "Employment & Skills", "Housing", "Sports & Leisure"]


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Read the CSVs as text, then type dates, numbers and booleans."""
    tables = {}
    for table in FILES:
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        for col in DATE_COLUMNS[table]:
            frame[col] = pd.to_datetime(frame[col].replace("", None), format="%Y-%m-%d")
        for col in NUMBER_COLUMNS[table]:
            frame[col] = pd.to_numeric(frame[col].replace("", None))
        if table == "contracts":
            frame["is_spin_out_contract"] = frame["is_spin_out_contract"].map(
                {"true": True, "false": False}).astype(bool)
        tables[table] = frame
    return tables


def frames_as_text(tables: dict[str, pd.DataFrame], tmp: Path) -> dict[str, pd.DataFrame]:
    write_csvs(tables, tmp)
    return read_tables(tmp)


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return read_tables(DATA_DIR)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> dict[str, pd.DataFrame]:
    return frames_as_text(generate(40, 7), tmp_path_factory.mktemp("small"))


def income_total(fin: pd.DataFrame) -> pd.Series:
    return fin.income_parent + fin.income_other_public + fin.income_non_public


def latest_event(t: dict[str, pd.DataFrame]) -> pd.Timestamp:
    return pd.Series([t[table][col].max() for table, col in EVENT_DATES.items()]).max()


def parent_of(t: dict[str, pd.DataFrame]) -> pd.Series:
    return t["mutuals"].set_index("mutual_id")["parent_commissioner_id"]


# --------------------------------------------------------------------------- #
# Determinism and file format                                                 #
# --------------------------------------------------------------------------- #
def test_same_seed_gives_byte_identical_files(tmp_path):
    a = write_csvs(generate(40, 7), tmp_path / "a")
    b = write_csvs(generate(40, 7), tmp_path / "b")
    assert [p.name for p in a] == [f"{t}.csv" for t in FILES]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa.name


def test_different_seed_gives_different_data(tmp_path):
    write_csvs(generate(40, 7), tmp_path / "a")
    write_csvs(generate(40, 8), tmp_path / "b")
    differing = [t for t in TABLES if (tmp_path / "a" / f"{t}.csv").read_bytes()
                 != (tmp_path / "b" / f"{t}.csv").read_bytes()]
    assert len(differing) >= len(TABLES) - 1


def test_bundled_sample_is_current(tmp_path):
    """data/ holds exactly what generate() writes with the defaults."""
    write_csvs(generate(), tmp_path)
    for table in FILES:
        assert (DATA_DIR / f"{table}.csv").read_bytes() == (tmp_path / f"{table}.csv").read_bytes(), table


def test_dataset_info(sample):
    info = dict(zip(sample["dataset_info"].key, sample["dataset_info"].value))
    assert info == {"synthetic": "true", "generator": "mutuals.sample.generate",
                    "seed": str(DEFAULT_SEED), "mutuals": str(DEFAULT_MUTUALS),
                    "data_date": "2026-09-30"}


def test_columns_follow_contract():
    for table in FILES:
        header = (DATA_DIR / f"{table}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header == ",".join(c for c, _ in COLUMNS[table]), table


def test_text_formats():
    """ISO dates, 2 dp money/scores, 3 dp shares, true/false, empty for missing."""
    patterns = {"date": r"\d{4}-\d{2}-\d{2}", "money": r"\d+\.\d{2}", "score": r"\d+\.\d{2}",
                "share": r"[01]\.\d{3}", "int": r"\d+", "bool": r"true|false"}
    for table in TABLES:
        text = pd.read_csv(DATA_DIR / f"{table}.csv", dtype=str, keep_default_na=False)
        for col, fmt in COLUMNS[table]:
            if fmt in patterns:
                values = text[col][text[col] != ""]
                assert values.str.fullmatch(patterns[fmt]).all(), (table, col)
        assert not text.isin(["nan", "NaN", "NaT", "None", "<NA>"]).any().any(), table
        assert b"\r\n" not in (DATA_DIR / f"{table}.csv").read_bytes(), table


def test_generate_returns_typed_frames():
    tables = generate(20, 3)
    assert set(tables) == set(FILES)
    for table in TABLES:
        assert list(tables[table].columns) == [c for c, _ in COLUMNS[table]], table
    assert pd.api.types.is_datetime64_any_dtype(tables["mutuals"]["spin_out_date"])
    assert tables["contracts"]["is_spin_out_contract"].dtype == bool


SAMPLE_MODULES = sorted(Path(gen.__file__).parent.glob("*.py"))


def test_module_never_reads_the_clock():
    assert len(SAMPLE_MODULES) >= 6
    for path in SAMPLE_MODULES:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(today|now|utcnow)\(", source), path.name
        assert "time.time" not in source, path.name


def test_generator_never_reads_the_rules():
    """Outcomes come from the latent state only: no rules, services or indicator config."""
    for path in SAMPLE_MODULES:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"mutuals\.(rules|services)|\bload_rules\b|indicators\.toml", source), \
            path.name
        assert len(source.splitlines()) <= 500, path.name


# --------------------------------------------------------------------------- #
# Integrity: keys, foreign keys, ranges, dates                                #
# --------------------------------------------------------------------------- #
def check_integrity(t: dict[str, pd.DataFrame]) -> None:
    m, comm, c = t["mutuals"], t["commissioners"], t["contracts"]
    keys = {"mutuals": ["mutual_id"], "commissioners": ["commissioner_id"],
            "contracts": ["contract_id"], "financials": ["mutual_id", "year_end"],
            "plan_targets": ["mutual_id", "year_end"],
            "engagement": ["mutual_id", "survey_date", "staff_group"]}
    for table, key in keys.items():
        assert not t[table].duplicated(key).any(), table
    assert not m.name.duplicated().any() and not comm.name.duplicated().any()

    mutual_ids, comm_ids = set(m.mutual_id), set(comm.commissioner_id)
    for table in TABLES[2:]:
        assert set(t[table].mutual_id) <= mutual_ids, table
    assert set(m.parent_commissioner_id) <= comm_ids
    assert set(c.commissioner_id) <= comm_ids
    assert set(t["relationship_reviews"].commissioner_id) <= comm_ids
    region = comm.set_index("commissioner_id").region
    assert (m.region.values == region.loc[m.parent_commissioner_id].values).all()

    assert set(comm.kind) <= {"local_authority", "nhs", "other"}
    assert set(m.sector) <= set(SECTORS)
    assert set(m.status) <= {"trading", "ceased"}
    assert set(c.outcome) <= {"active", "extended", "renewed", "won_at_retender",
                              "lost_at_retender", "handed_back", "expired"}
    assert set(t["engagement"].phase) <= {"options_appraisal", "transition", "spun_out"}
    assert set(t["innovations"].origin) <= {"staff", "management", "commissioner", "other"}
    assert set(t["innovations"].status) <= {"idea", "piloted", "embedded"}
    for table, cols in COLUMNS.items():
        for col, fmt in cols:
            if fmt == "money":
                assert (t[table][col].dropna() >= 0).all(), (table, col)

    assert m.member_share.between(0, 1).all()
    assert (m.staff_count >= 2).all()
    assert (m.options_appraisal_date <= m.spin_out_date).all()
    ceased = m[m.status == "ceased"]
    assert ceased.ceased_date.notna().all() and m[m.status == "trading"].ceased_date.isna().all()
    assert (ceased.ceased_date >= ceased.spin_out_date).all()
    assert (ceased.ceased_date <= DATA_TS).all()
    companies = m[m.legal_form.str.startswith(("Community Interest", "Company Limited"))]
    assert companies.company_number.str.fullmatch(r"\d{8}").all()
    societies = m[m.legal_form.isin(["Community Benefit Society", "Co-operative Society"])]
    assert (societies.company_number == "").all()

    assert (c.end_date >= c.start_date).all() and (c.max_end_date >= c.end_date).all()
    assert c.contract_id.str.fullmatch(r"ocds-synth01-M\d{4,5}-C\d{2,}").all()
    assert (c.contract_id.str.split("-").str[2] == c.mutual_id).all()
    spin = m.set_index("mutual_id").spin_out_date
    spin_out = c[c.is_spin_out_contract]
    assert not spin_out.mutual_id.duplicated().any()
    assert (spin_out.start_date.values == spin.loc[spin_out.mutual_id].values).all()
    assert (spin_out.commissioner_id.values == parent_of(t).loc[spin_out.mutual_id].values).all()

    e = t["engagement"]
    assert (e.eligible_staff >= 0).all() and (e.respondents <= e.eligible_staff).all()
    for col in ("motivation", "involvement", "advocacy"):
        assert e[col].between(0, 10).all(), col
    assert t["relationship_reviews"].rating.between(1, 5).all()
    assert (t["plan_targets"].planned_non_parent_income <= t["plan_targets"].planned_income).all()
    assert (t["financials"].year_end.dt.strftime("%m-%d") == "03-31").all()
    assert (t["plan_targets"].year_end.dt.strftime("%m-%d") == "03-31").all()

    # No event after DATA_DATE, and at least one exactly on it.
    assert latest_event(t) == DATA_TS


def check_ceased_and_pre_spin_out(t: dict[str, pd.DataFrame]) -> None:
    m = t["mutuals"].set_index("mutual_id")
    ceased = m[m.status == "ceased"].ceased_date
    for table, col in EVENT_DATES.items():
        rows = t[table][t[table].mutual_id.isin(ceased.index)]
        assert (rows[col].values <= ceased.loc[rows.mutual_id].values).all(), table
    c = t["contracts"][t["contracts"].mutual_id.isin(ceased.index)]
    assert (c.end_date.values <= ceased.loc[c.mutual_id].values).all()
    assert (c.outcome != "active").all()
    last = c.sort_values("end_date").groupby("mutual_id").tail(1)
    assert last.outcome.isin(["lost_at_retender", "handed_back", "expired"]).all()

    pre = m[m.spin_out_date > DATA_TS]
    assert len(pre) >= 1
    assert (pre.options_appraisal_date <= DATA_TS).all()
    assert not t["contracts"].mutual_id.isin(pre.index).any()
    assert not t["financials"].mutual_id.isin(pre.index).any()
    waves = t["engagement"][t["engagement"].mutual_id.isin(pre.index)]
    assert set(waves.phase) <= {"options_appraisal", "transition"} and len(waves) > 0


def test_sample_integrity(sample):
    check_integrity(sample)
    check_ceased_and_pre_spin_out(sample)


def test_small_sample_integrity(small):
    check_integrity(small)
    check_ceased_and_pre_spin_out(small)


@pytest.mark.parametrize("n, seed", [(1, 0), (5, 1), (12, 99)])
def test_tiny_samples_still_valid(tmp_path, n, seed):
    t = frames_as_text(generate(n, seed), tmp_path)
    assert len(t["mutuals"]) == n and len(t["commissioners"]) == 5
    check_integrity(t)


def test_scale_13000():
    """100x the sector: generates quickly with 5-digit ids and valid keys."""
    t = generate(13000, 1)
    m = t["mutuals"]
    assert len(m) == 13000 and m.mutual_id.iloc[0] == "M00001" and m.mutual_id.is_unique
    assert m.mutual_id.is_monotonic_increasing and m.name.is_unique
    assert len(t["commissioners"]) == 2500 and t["commissioners"].commissioner_id.iloc[-1] == "C2500"
    assert t["contracts"].contract_id.is_unique
    assert not t["engagement"].duplicated(["mutual_id", "survey_date", "staff_group"]).any()
    assert latest_event(t) == DATA_TS
    # Ceasing is drawn from health after a lost or handed-back main contract, not fixed:
    # about 85-95% of mutuals still trade ten years after spin-out, so 6-14% have ceased.
    assert 0.06 <= (m.status == "ceased").mean() <= 0.14


# --------------------------------------------------------------------------- #
# Realism of the bundled sample                                               #
# --------------------------------------------------------------------------- #
def test_sector_mix(sample):
    share = sample["mutuals"].sector.value_counts(normalize=True)
    assert set(share.index) == set(SECTORS)
    assert 0.40 <= share["Health & Social Care"] <= 0.56


def test_counts_and_kinds(sample):
    m, comm = sample["mutuals"], sample["commissioners"]
    assert len(m) == 130 and 22 <= len(comm) <= 28
    kinds = comm.kind.value_counts(normalize=True)
    assert 0.5 <= kinds["local_authority"] <= 0.75 and 0.2 <= kinds["nhs"] <= 0.4
    assert comm.region.isin(["Wales", "Scotland", "Northern Ireland"]).any()
    assert m.legal_form.str.startswith("Community Interest Company").mean() > 0.5
    assert set(m.ownership_model) == {"employee-owned", "employee-led", "multi-stakeholder"}
    health = m[m.sector == "Health & Social Care"]
    nhs = set(comm[comm.kind == "nhs"].commissioner_id)
    assert health.parent_commissioner_id.isin(nhs).mean() > 0.6
    assert m[m.sector != "Health & Social Care"].parent_commissioner_id.isin(nhs).mean() == 0


def test_sizes_long_tail(sample):
    m, fin = sample["mutuals"], sample["financials"].copy()
    assert m.staff_count.min() <= 10 and m.staff_count.max() >= 3000
    fin["total"] = income_total(fin)
    latest = fin.sort_values("year_end").groupby("mutual_id").tail(1).total
    assert latest.min() < 0.5e6 and latest.max() > 100e6
    assert 8e6 <= latest.mean() <= 25e6


def test_spin_out_timing(sample):
    m = sample["mutuals"]
    spun = m[m.spin_out_date <= DATA_TS]
    years = spun.spin_out_date.dt.year
    assert years.between(2008, 2025).all()
    assert years.between(2011, 2016).mean() > 0.5
    gap = (m.spin_out_date - m.options_appraisal_date).dt.days
    assert gap.between(150, 760).all()
    assert 2 <= (m.spin_out_date > DATA_TS).sum() <= 4


def test_spin_out_contracts(sample):
    c = sample["contracts"]
    first = c[c.is_spin_out_contract & (c.outcome != "handed_back")]
    years = ((first.end_date - first.start_date).dt.days + 1) / 365.25
    assert years.round().between(2, 5).all()
    assert (first.max_end_date - first.end_date).dt.days.max() <= 2 * 366


def test_contract_outcomes(sample):
    c, m = sample["contracts"], sample["mutuals"]
    counts = c.outcome.value_counts()
    for outcome in ("active", "extended", "renewed", "won_at_retender", "lost_at_retender",
                    "handed_back", "expired"):
        assert counts.get(outcome, 0) > 0, outcome
    assert 0.05 <= (m.status == "ceased").mean() <= 0.12
    # Re-tender cliff: a decent share of live main contracts end within 6-24 months.
    main = c[(c.outcome == "active") & (c.commissioner_id.values
                                        == parent_of(sample).loc[c.mutual_id].values)]
    months = (main.end_date - DATA_TS).dt.days / 30.44
    assert months.between(6, 24).mean() >= 0.15
    # Diversification: many mutuals hold contracts with other commissioners.
    other = c[c.commissioner_id.values != parent_of(sample).loc[c.mutual_id].values]
    assert other.mutual_id.nunique() >= 0.4 * len(m)


def test_financial_shape(sample):
    fin = sample["financials"].copy()
    fin["total"] = income_total(fin)
    assert 0.90 <= (fin.total > fin.expenditure).mean() <= 0.97
    months = fin.unrestricted_reserves / (fin.expenditure / 12)
    assert months.median() < 3.5 and (months < 1).any() and (months > 4).any()
    staff_share = fin.staff_costs / fin.expenditure
    assert staff_share.between(0.5, 0.8).all()
    assert (fin.current_assets > 0).all() and (fin.current_liabilities > 0).all()
    # Sudden drops after a lost contract.
    fin = fin.sort_values(["mutual_id", "year_end"])
    change = fin.groupby("mutual_id").total.pct_change()
    assert (change < -0.3).sum() >= 3


def test_parent_share_falls_for_some(sample):
    fin = sample["financials"].copy()
    fin["share"] = fin.income_parent / income_total(fin)
    fin = fin.sort_values("year_end")
    lost = set(sample["contracts"].query("outcome in ['lost_at_retender', 'handed_back']").mutual_id)
    by = fin[~fin.mutual_id.isin(lost)].groupby("mutual_id").share
    first, last, years = by.first(), by.last(), by.size()
    first, last = first[years >= 5], last[years >= 5]
    assert first.between(0.75, 1.0).mean() > 0.9
    fell = (last <= 0.65) & (first - last >= 0.2)
    stayed = last >= 0.8
    # A minority stays dependent on the parent for good (a quarter of mutuals plateau
    # at 80%+, and those lose re-tenders more often, so fewer of them remain here).
    assert 0.2 <= fell.mean() <= 0.6 and 0.10 <= stayed.mean() <= 0.45


def test_plans(sample):
    """Five-year plans, most renewed as they end, so plan evidence stays current."""
    plans, m = sample["plan_targets"], sample["mutuals"]
    per = plans.groupby("mutual_id").size()
    assert (per % 5 == 0).all()                        # whole five-year plans only
    assert 0.85 <= len(per) / len(m) <= 0.97
    assert (per >= 10).mean() > 0.5                    # most have written a second plan
    plans = plans.sort_values(["mutual_id", "year_end"]).copy()
    plans["plan"] = plans.groupby("mutual_id").cumcount() // 5
    growth = plans.groupby(["mutual_id", "plan"]).planned_income.pct_change().dropna()
    assert growth.between(0.009, 0.061).all()  # plans grow 1-6% a year
    # Each plan's years are consecutive; a later plan starts after the earlier one ends.
    span = plans.groupby(["mutual_id", "plan"]).year_end.agg(["min", "max"])
    assert ((span["max"] - span["min"]).dt.days.between(4 * 365, 4 * 366)).all()
    # Plans are written by the data date: no plan starts more than a year after it.
    assert (span["min"] <= DATA_TS + pd.DateOffset(years=1)).all()
    # At the data date most established trading mutuals have a plan year within 24 months.
    live = m[(m.status == "trading") & (m.spin_out_date <= DATA_TS - pd.DateOffset(years=7))]
    latest = plans[plans.year_end <= DATA_TS].groupby("mutual_id").year_end.max().reindex(live.mutual_id)
    assert ((DATA_TS - latest).dt.days <= 730).mean() >= 0.6


def wave_scores(e: pd.DataFrame) -> pd.DataFrame:
    e = e.assign(score=(e.motivation + e.involvement + e.advocacy) / 3)
    e["weighted"] = e.score * e.respondents
    waves = e.groupby(["mutual_id", "survey_date", "phase"], as_index=False).agg(
        weighted=("weighted", "sum"), respondents=("respondents", "sum"))
    waves["score"] = waves.weighted / waves.respondents
    return waves.sort_values(["mutual_id", "survey_date"])


def test_engagement_shape(sample):
    e = sample["engagement"]
    groups = e.groupby(["mutual_id", "survey_date"]).staff_group.nunique()
    assert groups.between(2, 6).all()
    rate = e.respondents.sum() / e.eligible_staff.sum()
    assert 0.3 <= rate <= 0.7
    assert (e.respondents < 11).any()
    waves = wave_scores(e)
    assert (waves.respondents < 11).sum() >= 3
    assert waves.score.between(4.0, 10.0).all() and 6.8 <= waves.score.median() <= 7.8
    assert 5.5 <= waves.score.quantile(0.02) and waves.score.quantile(0.98) <= 8.8
    first = waves.groupby("mutual_id").phase.first()
    assert (first == "options_appraisal").all()
    # Waves never follow the data date, nor a mutual's ceasing.
    assert e.survey_date.max() <= DATA_TS


def test_early_peak_decline_for_a_minority(sample):
    waves = wave_scores(sample["engagement"])
    early = []
    for _, w in waves.groupby("mutual_id"):
        pre, post = w[w.phase != "spun_out"], w[w.phase == "spun_out"]
        if pre.empty or len(post) < 2:
            continue
        peak = w.score.max()
        early.append(bool(w.score.idxmax() in pre.index and post.score.iloc[-1] <= peak - 0.5))
    assert len(early) >= 100
    assert 0.20 <= np.mean(early) <= 0.50


def test_strategy_session_gaps(sample):
    s, m = sample["strategy_sessions"], sample["mutuals"]
    live = m[(m.status == "trading") & (m.spin_out_date <= DATA_TS)].mutual_id
    last = s.groupby("mutual_id").session_date.max().reindex(live)
    gap_days = (DATA_TS - last).dt.days
    assert last.isna().sum() >= 1                     # a few never hold one
    assert (gap_days > 365).sum() >= 5                # some long gaps
    assert 1 <= (gap_days > 730).sum() <= 15          # a few very long ones
    per_year = s.groupby([s.mutual_id, s.session_date.dt.year]).size()
    assert per_year.median() <= 3


def test_innovations(sample):
    inv = sample["innovations"]
    assert set(inv.status) == {"idea", "piloted", "embedded"}
    assert inv.origin.isin(["staff", "management"]).mean() > 0.7
    done = inv[inv.status != "idea"]
    assert done.annual_saving.notna().all()
    assert done.annual_saving.between(1_000, 500_000).all()
    assert inv[inv.status == "idea"].annual_saving.isna().mean() > 0.7


def test_relationship_reviews(sample):
    r, m = sample["relationship_reviews"], sample["mutuals"]
    assert r.rating.isin([3, 4]).mean() > 0.6
    assert set(r.kind) == {"annual_contract_review", "quarterly_monitoring",
                           "strategic_partnership_meeting"}
    live = m[(m.status == "trading") & (m.spin_out_date <= DATA_TS)].mutual_id
    last = r.groupby("mutual_id").review_date.max().reindex(live)
    assert ((DATA_TS - last).dt.days > 365).sum() >= 3
    parent = r.commissioner_id.values == parent_of(sample).loc[r.mutual_id].values
    assert 0 < (~parent).sum() < parent.sum()


def test_names_are_invented(sample):
    m, comm = sample["mutuals"], sample["commissioners"]
    real = ["London", "Manchester", "Birmingham", "Leeds", "Bristol", "Surrey", "Kent",
            "Yorkshire", "Devon", "Essex", "Cardiff", "Glasgow", "Belfast", "GLL"]
    text = " ".join(m.name.tolist() + comm.name.tolist()).replace("London Borough of", "")
    assert not any(re.search(rf"\b{word}\b", text) for word in real)
    assert comm.name.str.contains("ICB|Council|Borough|Health Board|NHS|Trust|Authority|"
                                  "Commissioner|Partnership").all()


# --------------------------------------------------------------------------- #
# The causal story: latent health drives signals and outcomes                 #
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def big() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    return generate(3000, 3, with_latent=True)


def test_latent_is_optional_and_never_written(big, tmp_path):
    tables, latent = big
    assert set(latent) == {"mutuals", "decisions", "health"}
    assert set(tables) == set(FILES)
    plain = generate(40, 7)
    with_latent, _ = generate(40, 7, with_latent=True)
    for table in FILES:
        pd.testing.assert_frame_equal(plain[table], with_latent[table])
    write_csvs(with_latent, tmp_path)
    written = " ".join((tmp_path / f"{t}.csv").read_text(encoding="utf-8").splitlines()[0]
                       for t in FILES)
    for hidden in ("health", "level", "latent", "dependency_group", "early_peak"):
        assert hidden not in written


def test_low_health_at_retender_raises_losses(big):
    """The chance of losing a re-tender falls with health at the decision, and rises with dependency."""
    decisions = big[1]["decisions"]
    retender = decisions[decisions.kind == "retender"]
    assert len(retender) > 2000
    band = pd.qcut(retender.health, 4, labels=["low", "mid_low", "mid_high", "high"])
    rate = retender.groupby(band, observed=True).outcome.mean()
    assert rate["low"] > 2.5 * rate["high"]
    assert rate["low"] > rate["mid_low"] > rate["mid_high"] > rate["high"]
    assert 0.0 < rate["high"] < 0.08 and rate["low"] < 0.6  # noise on both sides
    # Among mutuals of similar health, more dependent ones lose more often.
    middling = retender[retender.health.between(-0.5, 0.5)]
    dependent = middling.dependency >= middling.dependency.median()
    assert middling[dependent].outcome.mean() > middling[~dependent].outcome.mean()


def test_hand_backs_and_ceasing_follow_low_health(big):
    tables, latent = big
    decisions = latent["decisions"]
    typical = decisions[decisions.kind == "retender"].health.median()
    assert decisions[decisions.kind == "hand_back"].health.median() < typical - 1.5
    cease = decisions[decisions.kind == "cease_after_loss"]
    weak = cease.health < cease.health.median()
    assert cease[weak].outcome.mean() > cease[~weak].outcome.mean() + 0.1
    # Every ceased mutual ceased after losing or handing back its main contract.
    ceased = tables["mutuals"].query("status == 'ceased'").mutual_id
    assert set(ceased) <= set(cease[cease.outcome].mutual_id)


def test_signals_lead_lost_retenders(big):
    """Public evidence 1-3 years before a main-contract re-tender differs for those later lost."""
    tables, latent = big
    t = tables
    parent = parent_of(t)
    c = t["contracts"]
    main = c[c.commissioner_id.values == parent.loc[c.mutual_id].values]
    decided = main[main.outcome.isin(["lost_at_retender", "won_at_retender"])].copy()
    decided["lost"] = decided.outcome == "lost_at_retender"
    decided["mutual_id"] = decided.mutual_id.astype(str)
    fin = t["financials"].assign(total=lambda f: income_total(f))
    fin["margin"] = (fin.total - fin.expenditure) / fin.total
    fin["mutual_id"] = fin.mutual_id.astype(str)
    # The latest financial year ending 1-3 years before the contract end.
    fin = fin.sort_values("year_end")
    rows = pd.merge_asof(decided.assign(cut=decided.end_date - pd.DateOffset(years=1)).sort_values("cut"),
                         fin[["mutual_id", "year_end", "margin"]], left_on="cut", right_on="year_end",
                         by="mutual_id", direction="backward")
    rows = rows[(rows.end_date - rows.year_end).dt.days <= 3 * 366]
    by = rows.groupby("lost").margin.mean()
    assert by[True] < by[False] - 0.01
    waves = wave_scores(t["engagement"])
    waves = waves[waves.respondents >= 11].sort_values("survey_date")
    waves["mutual_id"] = waves.mutual_id.astype(str)
    rows = pd.merge_asof(decided.assign(cut=decided.end_date - pd.DateOffset(years=1)).sort_values("cut"),
                         waves[["mutual_id", "survey_date", "score"]], left_on="cut",
                         right_on="survey_date", by="mutual_id", direction="backward").dropna()
    by = rows.groupby("lost").score.mean()
    assert by[True] < by[False] - 0.15


def test_weak_leadership_renews_plans_less(big):
    tables, latent = big
    decisions = latent["decisions"]
    renewal = decisions[decisions.kind == "plan_renewal"]
    assert len(renewal) > 1000
    band = pd.qcut(renewal.health, 4, labels=False)
    rate = renewal.groupby(band).outcome.mean()
    assert rate[0] < rate[3] - 0.25 and rate[3] > 0.85
    assert 0.7 <= renewal.outcome.mean() <= 0.9               # most renew on time
    late = decisions[decisions.kind == "plan_late"]
    assert 0 < late.outcome.mean() < renewal.outcome.mean()   # some catch up later
    # In the public table: mutuals whose plans lapsed were in worse health on average.
    per = tables["plan_targets"].groupby("mutual_id").size()
    m = latent["mutuals"].set_index("mutual_id")
    old = tables["mutuals"].query("spin_out_date <= '2013-01-01' and status == 'trading'").mutual_id
    plans = per.reindex(old).fillna(0)
    assert m.mean_health[plans[plans >= 15].index].mean() > m.mean_health[plans[plans <= 5].index].mean()


def test_base_rates(big):
    """Domain brief: 85-95% still trading ten years after spin-out; most years in surplus."""
    tables, _ = big
    m = tables["mutuals"]
    old = m[m.spin_out_date <= DATA_TS - pd.DateOffset(years=10)]
    assert len(old) > 1500
    ceased_by_ten = (old.status == "ceased") & (old.ceased_date <= old.spin_out_date + pd.DateOffset(years=10))
    assert 0.85 <= 1 - ceased_by_ten.mean() <= 0.95
    fin = tables["financials"]
    assert 0.90 <= (income_total(fin) > fin.expenditure).mean() <= 0.96
    # Failures concentrate at re-tender: more lost re-tenders than hand-backs of main contracts.
    c = tables["contracts"]
    main = c[c.commissioner_id.values == parent_of(tables).loc[c.mutual_id].values]
    assert (main.outcome == "lost_at_retender").sum() > 2 * (main.outcome == "handed_back").sum()


def test_health_evolves(big):
    """Health is a path, not a constant: it moves year to year but persists."""
    health = big[1]["health"]
    wide = health.pivot(index="mutual_id", columns="date", values="health")

    def near(year: int) -> pd.Series:
        return wide.iloc[:, wide.columns.get_indexer([pd.Timestamp(year, 1, 1)], method="nearest")[0]]

    a, b, c = near(2018), near(2019), near(2024)
    assert 0.6 < np.corrcoef(a, b)[0, 1] < 0.99               # persistent over a year ...
    assert np.corrcoef(a, c)[0, 1] < np.corrcoef(a, b)[0, 1]  # ... less so over six
    assert (b - a).abs().mean() > 0.05


def test_the_generator_writes_exactly_the_schema_columns(tmp_path):
    """The columns come from the catalog of queries/schema.sql; every format override names a real column."""
    from mutuals.infra.build import contract_columns
    from mutuals.sample.common import FORMAT_OF_COLUMN

    schema = contract_columns()
    written = write_csvs(generate(3, seed=1), tmp_path)
    for path in written:
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == [name for name, _ in schema[path.stem]], path.name
    assert set(FORMAT_OF_COLUMN) <= {name for columns in schema.values() for name, _ in columns}
