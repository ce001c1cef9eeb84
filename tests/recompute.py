"""An independent recomputation of every sustainability indicator, in plain pandas.

This module deliberately shares nothing with the product: it reads the CSV files
directly (no DuckDB, no ``queries/*.sql``, no ``mutuals.services`` and no
``mutuals/config/indicators.toml``) and follows the written definitions
literally, one indicator at a time. ``tests/test_recompute.py`` compares its
answers with the output of ``python -m mutuals indicators``.

Definitions implemented (D is the as-of date):

* D defaults to the latest recorded event: max of financials.year_end,
  engagement.survey_date, strategy_sessions.session_date,
  innovations.innovation_date, relationship_reviews.review_date and
  contracts.start_date.
* A mutual appears once its options_appraisal_date (else spin_out_date) <= D.
* Months are days / 30.4375; any division by zero gives null.
* Every status is green / amber / red / no_data, testing the value rounded to
  9 decimals against the thresholds hard-coded in :data:`THRESHOLDS`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 30.4375
WINDOW_DAYS = 365
MIN_RESPONDENTS = 11
EARLY_PHASES = ("options_appraisal", "transition")

# column: (direction, green, amber). "higher": green if v >= green, amber if v >= amber.
# "lower": green if v <= green, amber if v <= amber. Otherwise red; null is no_data.
THRESHOLDS: dict[str, tuple[str, float, float]] = {
    "plan_delivery": ("higher", 0.95, 0.85),
    "non_parent_share_vs_plan": ("higher", -0.02, -0.10),
    "months_since_strategy_session": ("lower", 6, 12),
    "engagement_score": ("higher", 7.0, 6.5),
    "engagement_change_from_peak": ("higher", -0.2, -0.5),
    "response_rate": ("higher", 0.5, 0.3),
    "innovations_per_100_staff": ("higher", 2, 0.5),
    "member_share": ("higher", 0.5, 0.25),
    "parent_income_share": ("lower", 0.6, 0.8),
    "largest_commissioner_share": ("lower", 0.6, 0.8),
    "months_to_main_contract_end": ("higher", 24, 12),
    "value_ending_12m_share": ("lower", 0.25, 0.5),
    "months_since_relationship_review": ("lower", 6, 12),
    "relationship_rating": ("higher", 4, 3),
    "reserves_months": ("higher", 3, 1),
    "surplus_margin": ("higher", 0.01, 0.0),
    "income_growth": ("higher", 0.0, -0.05),
}
INDICATORS = list(THRESHOLDS)

DATE_COLUMNS = {
    "mutuals": ["options_appraisal_date", "spin_out_date", "ceased_date"],
    "contracts": ["start_date", "end_date", "max_end_date"],
    "financials": ["year_end"],
    "plan_targets": ["year_end"],
    "engagement": ["survey_date"],
    "strategy_sessions": ["session_date"],
    "innovations": ["innovation_date"],
    "relationship_reviews": ["review_date"],
}
NUMBER_COLUMNS = {
    "mutuals": ["staff_count", "member_share"],
    "contracts": ["annual_value"],
    "financials": ["income_parent", "income_other_public", "income_non_public", "expenditure",
                   "staff_costs", "unrestricted_reserves", "current_assets", "current_liabilities"],
    "plan_targets": ["planned_income", "planned_non_parent_income"],
    "engagement": ["eligible_staff", "respondents", "motivation", "involvement", "advocacy"],
    "innovations": ["annual_saving"],
    "relationship_reviews": ["rating"],
}
TABLES = ["mutuals", "contracts", "financials", "plan_targets", "engagement",
          "strategy_sessions", "innovations", "relationship_reviews"]


# --------------------------------------------------------------------------- loading

def load_tables(data_dir: Path | str) -> dict[str, pd.DataFrame]:
    """Read each CSV as text; blank cells are null; dates and numbers are parsed."""
    data_dir = Path(data_dir)
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        frame = pd.read_csv(data_dir / f"{name}.csv", dtype=str, keep_default_na=False)
        frame.columns = [c.strip() for c in frame.columns]
        frame = frame.apply(lambda col: col.str.strip()).replace("", np.nan)
        for col in DATE_COLUMNS.get(name, []):
            frame[col] = pd.to_datetime(frame[col], format="%Y-%m-%d")
        for col in NUMBER_COLUMNS.get(name, []):
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
        tables[name] = frame
    return tables


def data_date(t: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """The latest recorded event."""
    candidates = [
        t["financials"]["year_end"].max(),
        t["engagement"]["survey_date"].max(),
        t["strategy_sessions"]["session_date"].max(),
        t["innovations"]["innovation_date"].max(),
        t["relationship_reviews"]["review_date"].max(),
        t["contracts"]["start_date"].max(),
    ]
    return max(c for c in candidates if not pd.isna(c))


# --------------------------------------------------------------------------- helpers

def div(a, b) -> float:
    """a / b, or NaN when either is null or b is zero."""
    if a is None or b is None or pd.isna(a) or pd.isna(b) or b == 0:
        return math.nan
    return float(a) / float(b)


def months(start: pd.Timestamp, end: pd.Timestamp) -> float:
    if pd.isna(start) or pd.isna(end):
        return math.nan
    return (end - start).days / DAYS_PER_MONTH


def rate(column: str, value) -> str:
    if value is None or pd.isna(value):
        return "no_data"
    direction, green, amber = THRESHOLDS[column]
    v = round(float(value), 9)
    if direction == "higher":
        return "green" if v >= green else "amber" if v >= amber else "red"
    return "green" if v <= green else "amber" if v <= amber else "red"


def overall(stage: str, statuses: dict[str, str]) -> str:
    if stage in ("ceased", "pre_spin_out"):
        return stage
    reds = sum(s == "red" for s in statuses.values())
    ambers = sum(s == "amber" for s in statuses.values())
    cliff = (statuses["months_to_main_contract_end"] == "red"
             and statuses["parent_income_share"] == "red")
    if reds >= 4 or cliff:
        return "at_risk"
    if reds >= 2:
        return "concern"
    if reds >= 1 or ambers >= 3:
        return "watch"
    return "sustainable"


def _by_mutual(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {key: group for key, group in frame.groupby("mutual_id", sort=False)}


# --------------------------------------------------------------------------- per-topic pieces

def _finance(fin: pd.DataFrame, plans: pd.DataFrame) -> dict[str, float]:
    """fin: this mutual's financial rows with year_end <= D; plans: its plan_targets rows."""
    out = dict.fromkeys(["plan_delivery", "non_parent_share_vs_plan", "parent_income_share",
                         "reserves_months", "surplus_margin", "income_growth"], math.nan)
    if fin.empty:
        return out
    fin = fin.sort_values("year_end", ascending=False).copy()
    fin["income_total"] = fin["income_parent"] + fin["income_other_public"] + fin["income_non_public"]
    latest = fin.iloc[0]
    out["parent_income_share"] = div(latest["income_parent"], latest["income_total"])
    out["reserves_months"] = div(latest["unrestricted_reserves"], div(latest["expenditure"], 12))
    out["surplus_margin"] = div(latest["income_total"] - latest["expenditure"], latest["income_total"])
    if len(fin) > 1:
        ratio = div(latest["income_total"], fin.iloc[1]["income_total"])
        out["income_growth"] = ratio - 1 if not math.isnan(ratio) else math.nan

    # Plan: the latest year (<= D) with both an actual and a target.
    both = fin.merge(plans[["year_end", "planned_income", "planned_non_parent_income"]], on="year_end")
    if not both.empty:
        row = both.sort_values("year_end", ascending=False).iloc[0]
        out["plan_delivery"] = div(row["income_total"], row["planned_income"])
        actual_np = div(row["income_parent"], row["income_total"])
        planned_np = div(row["planned_non_parent_income"], row["planned_income"])
        out["non_parent_share_vs_plan"] = (1 - actual_np) - planned_np  # NaN propagates
    return out


def _engagement(rows: pd.DataFrame, min_resp: int) -> dict:
    """rows: this mutual's engagement rows with survey_date <= D."""
    out = {"engagement_score": math.nan, "engagement_change_from_peak": math.nan,
           "response_rate": math.nan, "early_peak": False, "_phase_conflict": None}
    if rows.empty:
        return out
    waves = []
    for survey_date, wave in rows.groupby("survey_date", sort=True):
        phases = sorted(wave["phase"].unique())
        if len(phases) > 1:
            out["_phase_conflict"] = (survey_date, phases)
        group_score = (wave["motivation"] + wave["involvement"] + wave["advocacy"]) / 3
        scored = group_score.notna()
        weight = wave.loc[scored, "respondents"].sum()
        raw = div((wave.loc[scored, "respondents"] * group_score[scored]).sum(), weight)
        respondents = wave["respondents"].sum()
        waves.append({
            "survey_date": survey_date,
            "phase": phases[0],
            "score": raw if respondents >= min_resp else math.nan,
            "respondents": respondents,
            "eligible": wave["eligible_staff"].sum(),
        })
    latest = waves[-1]
    out["engagement_score"] = latest["score"]
    out["response_rate"] = div(latest["respondents"], latest["eligible"])
    scored_waves = [w for w in waves if not math.isnan(w["score"])]
    if scored_waves and not math.isnan(latest["score"]):
        peak = max(w["score"] for w in scored_waves)
        peak_wave = next(w for w in scored_waves if w["score"] == peak)  # earliest reaching max
        change = latest["score"] - peak
        out["engagement_change_from_peak"] = change
        out["early_peak"] = bool(peak_wave["phase"] in EARLY_PHASES and round(change, 9) <= -0.5)
    return out


def _contracts(rows: pd.DataFrame, d: pd.Timestamp) -> dict[str, float]:
    """rows: this mutual's contracts (all dates)."""
    out = dict.fromkeys(["largest_commissioner_share", "months_to_main_contract_end",
                         "value_ending_12m_share"], math.nan)
    active = rows[(rows["start_date"] <= d) & (d <= rows["end_date"])]
    if active.empty:
        return out
    total = active["annual_value"].sum()
    out["largest_commissioner_share"] = div(active.groupby("commissioner_id")["annual_value"].sum().max(), total)
    main = active.sort_values(["annual_value", "end_date"], ascending=[False, True]).iloc[0]
    out["months_to_main_contract_end"] = months(d, main["end_date"])
    ending = active.loc[active["end_date"] <= d + pd.Timedelta(days=WINDOW_DAYS), "annual_value"].sum()
    out["value_ending_12m_share"] = div(ending, total)
    return out


def _reviews(rows: pd.DataFrame, d: pd.Timestamp) -> dict[str, float]:
    """rows: this mutual's reviews with review_date <= D."""
    if rows.empty:
        return {"months_since_relationship_review": math.nan, "relationship_rating": math.nan}
    last = rows["review_date"].max()
    return {"months_since_relationship_review": months(last, d),
            "relationship_rating": float(rows.loc[rows["review_date"] == last, "rating"].mean())}


# --------------------------------------------------------------------------- the whole table

def recompute(tables: dict[str, pd.DataFrame], as_of=None, min_respondents: int = MIN_RESPONDENTS) -> pd.DataFrame:
    """One row per mutual visible on D (index mutual_id): stage, values, statuses, early_peak, overall."""
    t = tables
    d = pd.Timestamp(as_of) if as_of is not None else data_date(t)
    mu = t["mutuals"]
    visible = mu[mu["options_appraisal_date"].fillna(mu["spin_out_date"]) <= d]

    fin = _by_mutual(t["financials"][t["financials"]["year_end"] <= d])
    plans = _by_mutual(t["plan_targets"])
    sessions = _by_mutual(t["strategy_sessions"][t["strategy_sessions"]["session_date"] <= d])
    eng = _by_mutual(t["engagement"][t["engagement"]["survey_date"] <= d])
    inn = t["innovations"]
    inn = inn[(inn["origin"] == "staff") & (inn["status"] == "embedded")
              & (inn["innovation_date"] > d - pd.Timedelta(days=WINDOW_DAYS)) & (inn["innovation_date"] <= d)]
    innovation_counts = inn.groupby("mutual_id").size().to_dict()
    contracts = _by_mutual(t["contracts"])
    reviews = _by_mutual(t["relationship_reviews"][t["relationship_reviews"]["review_date"] <= d])

    empty = {name: frame.iloc[0:0] for name, frame in t.items()}
    records = []
    for m in visible.to_dict("records"):
        mid = m["mutual_id"]
        if m["status"] == "ceased" and not pd.isna(m["ceased_date"]) and m["ceased_date"] <= d:
            stage = "ceased"
        elif m["spin_out_date"] > d:
            stage = "pre_spin_out"
        else:
            stage = "trading"
        rec = {"mutual_id": mid, "stage": stage}
        rec.update(_finance(fin.get(mid, empty["financials"]), plans.get(mid, empty["plan_targets"])))
        s = sessions.get(mid)
        rec["months_since_strategy_session"] = (
            months(s["session_date"].max(), d) if s is not None else math.nan)
        rec.update(_engagement(eng.get(mid, empty["engagement"]), min_respondents))
        rec["innovations_per_100_staff"] = div(innovation_counts.get(mid, 0) * 100, m["staff_count"])
        rec["member_share"] = m["member_share"]
        rec.update(_contracts(contracts.get(mid, empty["contracts"]), d))
        rec.update(_reviews(reviews.get(mid, empty["relationship_reviews"]), d))
        statuses = {c: rate(c, rec[c]) for c in INDICATORS}
        rec.update({f"{c}_status": s for c, s in statuses.items()})
        rec["overall_status"] = overall(stage, statuses)
        records.append(rec)
    columns = (["mutual_id", "stage"] + [x for c in INDICATORS for x in (c, f"{c}_status")]
               + ["early_peak", "overall_status", "_phase_conflict"])
    return pd.DataFrame.from_records(records, columns=columns).set_index("mutual_id").sort_index()
