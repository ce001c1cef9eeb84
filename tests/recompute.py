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


def _by_mutual(rows: list[dict], keep=lambda row: True) -> dict[str, list[dict]]:
    """The rows that pass ``keep``, grouped by mutual_id."""
    out: dict[str, list[dict]] = {}
    for row in rows:
        if keep(row):
            out.setdefault(row["mutual_id"], []).append(row)
    return out


# --------------------------------------------------------------------------- per-topic pieces

def _finance(fin: list[dict], plans: list[dict]) -> dict[str, float]:
    """fin: this mutual's financial rows with year_end <= D; plans: its plan_targets rows."""
    out = dict.fromkeys(["plan_delivery", "non_parent_share_vs_plan", "parent_income_share",
                         "reserves_months", "surplus_margin", "income_growth"], math.nan)
    if not fin:
        return out
    fin = sorted(fin, key=lambda r: r["year_end"], reverse=True)
    total = {id(r): r["income_parent"] + r["income_other_public"] + r["income_non_public"] for r in fin}
    latest = fin[0]
    income = total[id(latest)]
    out["parent_income_share"] = div(latest["income_parent"], income)
    out["reserves_months"] = div(latest["unrestricted_reserves"], div(latest["expenditure"], 12))
    out["surplus_margin"] = div(income - latest["expenditure"], income)
    if len(fin) > 1:  # the previous financial year: the next-latest year_end row
        ratio = div(income, total[id(fin[1])])
        out["income_growth"] = ratio - 1  # NaN stays NaN

    # Plan: the latest year (<= D) with both an actual and a target.
    targets = {p["year_end"]: p for p in plans}
    for row in fin:  # newest first
        if row["year_end"] in targets:
            plan = targets[row["year_end"]]
            out["plan_delivery"] = div(total[id(row)], plan["planned_income"])
            actual_non_parent = 1 - div(row["income_parent"], total[id(row)])
            planned_non_parent = div(plan["planned_non_parent_income"], plan["planned_income"])
            out["non_parent_share_vs_plan"] = actual_non_parent - planned_non_parent  # NaN propagates
            break
    return out


def _waves(rows: list[dict], min_resp: int) -> list[dict]:
    """rows: this mutual's engagement rows with survey_date <= D -> its waves, oldest first."""
    by_date: dict = {}
    for r in rows:
        by_date.setdefault(r["survey_date"], []).append(r)
    waves = []
    for survey_date in sorted(by_date):
        groups = by_date[survey_date]
        phases = sorted({g["phase"] for g in groups})
        weighted, weight = 0.0, 0.0
        for g in groups:
            score = (g["motivation"] + g["involvement"] + g["advocacy"]) / 3
            if not math.isnan(score):
                weighted += g["respondents"] * score
                weight += g["respondents"]
        respondents = sum(g["respondents"] for g in groups)
        raw = div(weighted, weight)
        waves.append({
            "survey_date": survey_date,
            "phases": phases,
            "phase": phases[0],
            "score": raw if respondents >= min_resp else math.nan,  # suppressed below the minimum
            "respondents": respondents,
            "eligible": sum(g["eligible_staff"] for g in groups),
        })
    return waves


def _engagement(rows: list[dict], min_resp: int) -> dict:
    out = {"engagement_score": math.nan, "engagement_change_from_peak": math.nan,
           "response_rate": math.nan, "early_peak": False, "_phase_conflict": None}
    waves = _waves(rows, min_resp)
    if not waves:
        return out
    conflicts = [(w["survey_date"], w["phases"]) for w in waves if len(w["phases"]) > 1]
    out["_phase_conflict"] = conflicts or None
    latest = waves[-1]
    out["engagement_score"] = latest["score"]
    out["response_rate"] = div(latest["respondents"], latest["eligible"])
    scored = [w for w in waves if not math.isnan(w["score"])]
    if scored and not math.isnan(latest["score"]):
        peak = max(w["score"] for w in scored)
        peak_wave = next(w for w in scored if w["score"] == peak)  # the earliest reaching the max
        change = latest["score"] - peak
        out["engagement_change_from_peak"] = change
        out["early_peak"] = bool(peak_wave["phase"] in EARLY_PHASES and round(change, 9) <= -0.5)
    return out


def _contracts(rows: list[dict], d: pd.Timestamp) -> dict[str, float]:
    """rows: this mutual's contracts (all dates)."""
    out = dict.fromkeys(["largest_commissioner_share", "months_to_main_contract_end",
                         "value_ending_12m_share"], math.nan)
    active = [c for c in rows if c["start_date"] <= d <= c["end_date"]]
    if not active:
        return out
    total = sum(c["annual_value"] for c in active)
    per_commissioner: dict[str, float] = {}
    for c in active:
        per_commissioner[c["commissioner_id"]] = per_commissioner.get(c["commissioner_id"], 0.0) + c["annual_value"]
    out["largest_commissioner_share"] = div(max(per_commissioner.values()), total)
    main = min(active, key=lambda c: (-c["annual_value"], c["end_date"]))  # largest value, then earliest end
    out["months_to_main_contract_end"] = months(d, main["end_date"])
    horizon = d + pd.Timedelta(days=WINDOW_DAYS)
    out["value_ending_12m_share"] = div(sum(c["annual_value"] for c in active if c["end_date"] <= horizon), total)
    return out


def _reviews(rows: list[dict], d: pd.Timestamp) -> dict[str, float]:
    """rows: this mutual's reviews with review_date <= D."""
    if not rows:
        return {"months_since_relationship_review": math.nan, "relationship_rating": math.nan}
    last = max(r["review_date"] for r in rows)
    ratings = [r["rating"] for r in rows if r["review_date"] == last]
    return {"months_since_relationship_review": months(last, d),
            "relationship_rating": sum(ratings) / len(ratings)}


# --------------------------------------------------------------------------- the whole table

def recompute(tables: dict[str, pd.DataFrame], as_of=None, min_respondents: int = MIN_RESPONDENTS) -> pd.DataFrame:
    """One row per mutual visible on D (index mutual_id): stage, values, statuses, early_peak, overall."""
    d = pd.Timestamp(as_of) if as_of is not None else data_date(tables)
    t = {name: frame.to_dict("records") for name, frame in tables.items()}  # plain Python from here on
    window_start = d - pd.Timedelta(days=WINDOW_DAYS)

    fin = _by_mutual(t["financials"], lambda r: r["year_end"] <= d)
    plans = _by_mutual(t["plan_targets"])
    sessions = _by_mutual(t["strategy_sessions"], lambda r: r["session_date"] <= d)
    eng = _by_mutual(t["engagement"], lambda r: r["survey_date"] <= d)
    innovations = _by_mutual(t["innovations"], lambda r: r["origin"] == "staff" and r["status"] == "embedded"
                             and window_start < r["innovation_date"] <= d)
    contracts = _by_mutual(t["contracts"])
    reviews = _by_mutual(t["relationship_reviews"], lambda r: r["review_date"] <= d)

    records = []
    for m in t["mutuals"]:
        appears = m["options_appraisal_date"] if not pd.isna(m["options_appraisal_date"]) else m["spin_out_date"]
        if not appears <= d:
            continue
        mid = m["mutual_id"]
        if m["status"] == "ceased" and not pd.isna(m["ceased_date"]) and m["ceased_date"] <= d:
            stage = "ceased"
        elif m["spin_out_date"] > d:
            stage = "pre_spin_out"
        else:
            stage = "trading"
        rec = {"mutual_id": mid, "stage": stage}
        rec.update(_finance(fin.get(mid, []), plans.get(mid, [])))
        s = sessions.get(mid)
        rec["months_since_strategy_session"] = (
            months(max(r["session_date"] for r in s), d) if s else math.nan)
        rec.update(_engagement(eng.get(mid, []), min_respondents))
        rec["innovations_per_100_staff"] = div(len(innovations.get(mid, [])) * 100, m["staff_count"])
        rec["member_share"] = m["member_share"]
        rec.update(_contracts(contracts.get(mid, []), d))
        rec.update(_reviews(reviews.get(mid, []), d))
        statuses = {c: rate(c, rec[c]) for c in INDICATORS}
        rec.update({f"{c}_status": s for c, s in statuses.items()})
        rec["overall_status"] = overall(stage, statuses)
        records.append(rec)
    columns = (["mutual_id", "stage"] + [x for c in INDICATORS for x in (c, f"{c}_status")]
               + ["early_peak", "overall_status", "_phase_conflict"])
    return pd.DataFrame.from_records(records, columns=columns).set_index("mutual_id").sort_index()
