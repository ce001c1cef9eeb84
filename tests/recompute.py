"""An independent recomputation of every sustainability indicator, in plain pandas.

This module deliberately shares no code with the product: it reads the CSV files
directly (no DuckDB, no ``queries/*.sql``, no ``mutuals.services``, no
``mutuals.rules``) and follows the written definitions literally, one indicator
at a time. The only thing it takes from the product is the *numbers* in the rules
file ``mutuals/config/indicators.toml`` (read here with :mod:`tomllib`): the
thresholds, the evidence ages, the area/signal lists, the roll-up and ladder
counts and the windows. ``tests/test_recompute.py`` compares its answers with the
output of ``python -m mutuals indicators``.

Definitions implemented (D is the as-of date):

* D defaults to the latest recorded event: max of financials.year_end,
  engagement.survey_date, strategy_sessions.session_date,
  innovations.innovation_date, relationship_reviews.review_date and
  contracts.start_date.
* A mutual appears once its options_appraisal_date (else spin_out_date) <= D.
* Months are days / days_per_month; any division by zero gives null.
* Every status is green / amber / red / no_data, testing the value rounded to
  9 decimals against the config thresholds.
* Evidence dates (hard-coded here from the written definitions): plan_year_end
  (the latest year <= D with both an actual and a target) for plan_delivery and
  non_parent_share_vs_plan; the latest survey_date <= D for engagement_score,
  engagement_change_from_peak and response_rate; the latest financial
  year_end <= D for parent_income_share, reserves_months, surplus_margin and
  income_growth; the latest review_date <= D for relationship_rating. The date is
  given even when the value is null.
* Stale: the value is not null and evidence + max_evidence_months calendar
  months (day clamped to the month's length) < D. Exactly that old is current.
  A stale value keeps its value but its status is no_data.
* Signal: the worst of its indicators' statuses (red > amber > green > no_data).
  Area: no_data if no signal is rated; red with >= area_red_min_red_signals red
  signals; amber with >= area_amber_min_red_signals red or
  >= area_amber_min_amber_signals amber signals; green otherwise.
* Overall: the stage if ceased / pre_spin_out; at_risk if every cliff
  indicator is red or >= at_risk_min_red_areas red areas; concern with
  >= concern_min_red_areas red areas; watch with >= watch_min_amber_areas amber
  areas; sustainable otherwise.
"""

from __future__ import annotations

import calendar
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

RULES_FILE = Path(__file__).resolve().parents[1] / "mutuals" / "config" / "indicators.toml"

# Which dated row each evidence-aged indicator rests on (from the written definitions, not the config).
EVIDENCE_OF: dict[str, str] = {
    "plan_delivery": "plan_year_end",
    "non_parent_share_vs_plan": "plan_year_end",
    "engagement_score": "survey_date",
    "engagement_change_from_peak": "survey_date",
    "response_rate": "survey_date",
    "parent_income_share": "financial_year_end",
    "reserves_months": "financial_year_end",
    "surplus_margin": "financial_year_end",
    "income_growth": "financial_year_end",
    "relationship_rating": "review_date",
}
SEVERITY = ("red", "amber", "green", "no_data")  # worst first
STAGES = ("ceased", "pre_spin_out")


@dataclass(frozen=True)
class Config:
    """The numbers of the rules file, as plain Python values."""

    thresholds: dict[str, tuple[str, float, float]]  # column: (direction, green, amber)
    max_evidence_months: dict[str, int]              # evidence-aged columns only
    areas: dict[str, dict[str, tuple[str, ...]]]     # area: {signal: indicator columns}
    area_short: dict[str, str]
    min_respondents: int
    days_per_month: float
    window_days: int
    innovation_days: int
    early_peak_max_change: float
    early_peak_phases: tuple[str, ...]
    area_red_min_red_signals: int
    area_amber_min_red_signals: int
    area_amber_min_amber_signals: int
    cliff: tuple[str, ...]
    at_risk_min_red_areas: int
    concern_min_red_areas: int
    watch_min_amber_areas: int

    @property
    def indicators(self) -> list[str]:
        return list(self.thresholds)


def rules_file() -> Path:
    """The rules file the CLI uses: ``MUTUALS_RULES`` if set, else the bundled one."""
    return Path(os.environ.get("MUTUALS_RULES") or RULES_FILE)


def load_config(path: Path | str | None = None) -> Config:
    raw = tomllib.loads(Path(path or rules_file()).read_text(encoding="utf-8"))
    s, r, o = raw["settings"], raw["rollup"], raw["overall"]
    thresholds = {i["column"]: (i["direction"], float(i["green"]), float(i["amber"])) for i in raw["indicator"]}
    aged = {i["column"]: int(i["max_evidence_months"]) for i in raw["indicator"] if "max_evidence_months" in i}
    if set(aged) != set(EVIDENCE_OF):
        raise ValueError(f"the config ages {sorted(aged)} but the written definitions date {sorted(EVIDENCE_OF)}")
    areas = {key: {sk: tuple(sv["indicators"]) for sk, sv in spec["signals"].items()}
             for key, spec in raw["area"].items()}
    return Config(
        thresholds=thresholds, max_evidence_months=aged, areas=areas,
        area_short={key: spec.get("short", spec["label"]) for key, spec in raw["area"].items()},
        min_respondents=int(s["min_respondents"]), days_per_month=float(s["days_per_month"]),
        window_days=int(s["expiry_window_days"]), innovation_days=int(s["innovation_window_days"]),
        early_peak_max_change=float(s["early_peak_max_change"]),
        early_peak_phases=tuple(s["early_peak_phases"]),
        area_red_min_red_signals=int(r["area_red_min_red_signals"]),
        area_amber_min_red_signals=int(r["area_amber_min_red_signals"]),
        area_amber_min_amber_signals=int(r["area_amber_min_amber_signals"]),
        cliff=tuple(o["cliff"]), at_risk_min_red_areas=int(o["at_risk_min_red_areas"]),
        concern_min_red_areas=int(o["concern_min_red_areas"]), watch_min_amber_areas=int(o["watch_min_amber_areas"]),
    )


CONFIG = load_config()
INDICATORS = CONFIG.indicators
AGED = [c for c in INDICATORS if c in CONFIG.max_evidence_months]  # evidence-aged columns, in order
AREAS = list(CONFIG.areas)

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


def months(start: pd.Timestamp, end: pd.Timestamp, days_per_month: float) -> float:
    if pd.isna(start) or pd.isna(end):
        return math.nan
    return (end - start).days / days_per_month


def rate(column: str, value, config: Config = CONFIG) -> str:
    if value is None or pd.isna(value):
        return "no_data"
    direction, green, amber = config.thresholds[column]
    v = round(float(value), 9)
    if direction == "higher":
        return "green" if v >= green else "amber" if v >= amber else "red"
    return "green" if v <= green else "amber" if v <= amber else "red"


def add_months(day: pd.Timestamp, n: int) -> pd.Timestamp:
    """``day`` plus ``n`` calendar months; a day past the month's end becomes its last day."""
    index = day.year * 12 + (day.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    return pd.Timestamp(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_stale(value, evidence, d: pd.Timestamp, max_months: int) -> bool:
    """A known value whose evidence is more than ``max_months`` calendar months before D."""
    if value is None or pd.isna(value) or evidence is None or pd.isna(evidence):
        return False
    return add_months(pd.Timestamp(evidence), max_months) < d


def worst(statuses) -> str:
    """A signal's status: the worst of its indicators' (red > amber > green > no_data)."""
    statuses = list(statuses)
    return next(s for s in SEVERITY if s in statuses)


def area_status(signal_statuses: list[str], config: Config = CONFIG) -> str:
    reds = sum(s == "red" for s in signal_statuses)
    ambers = sum(s == "amber" for s in signal_statuses)
    if all(s == "no_data" for s in signal_statuses):
        return "no_data"
    if reds >= config.area_red_min_red_signals:
        return "red"
    if reds >= config.area_amber_min_red_signals or ambers >= config.area_amber_min_amber_signals:
        return "amber"
    return "green"


def cliff_holds(statuses: dict[str, str], config: Config = CONFIG) -> bool:
    return all(statuses[c] == "red" for c in config.cliff)


def overall(stage: str, statuses: dict[str, str], areas: dict[str, str], config: Config = CONFIG) -> str:
    """The overall ladder from the stage, the (staleness-applied) indicator statuses and the area statuses."""
    if stage in STAGES:
        return stage
    red_areas = sum(a == "red" for a in areas.values())
    amber_areas = sum(a == "amber" for a in areas.values())
    if cliff_holds(statuses, config) or red_areas >= config.at_risk_min_red_areas:
        return "at_risk"
    if red_areas >= config.concern_min_red_areas:
        return "concern"
    if amber_areas >= config.watch_min_amber_areas:
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

def _finance(fin: list[dict], plans: list[dict]) -> dict:
    """fin: this mutual's financial rows with year_end <= D; plans: its plan_targets rows."""
    out = dict.fromkeys(["plan_delivery", "non_parent_share_vs_plan", "parent_income_share",
                         "reserves_months", "surplus_margin", "income_growth"], math.nan)
    out.update(plan_year_end=pd.NaT, financial_year_end=pd.NaT)
    if not fin:
        return out
    fin = sorted(fin, key=lambda r: r["year_end"], reverse=True)
    total = {id(r): r["income_parent"] + r["income_other_public"] + r["income_non_public"] for r in fin}
    latest = fin[0]
    out["financial_year_end"] = latest["year_end"]
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
            out["plan_year_end"] = row["year_end"]  # the evidence date even if the values are null
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
            # Suppressed when the people whose answers are shown (the scored groups) are too few.
            "score": raw if weight >= min_resp else math.nan,
            "respondents": respondents,
            "eligible": sum(g["eligible_staff"] for g in groups),
        })
    return waves


def _engagement(rows: list[dict], min_resp: int, config: Config) -> dict:
    out = {"engagement_score": math.nan, "engagement_change_from_peak": math.nan,
           "response_rate": math.nan, "early_peak": False, "survey_date": pd.NaT, "_phase_conflict": None}
    waves = _waves(rows, min_resp)
    if not waves:
        return out
    conflicts = [(w["survey_date"], w["phases"]) for w in waves if len(w["phases"]) > 1]
    out["_phase_conflict"] = conflicts or None
    latest = waves[-1]
    out["survey_date"] = latest["survey_date"]  # the latest wave, suppressed or not
    out["engagement_score"] = latest["score"]
    out["response_rate"] = div(latest["respondents"], latest["eligible"])
    scored = [w for w in waves if not math.isnan(w["score"])]
    if scored and not math.isnan(latest["score"]):
        peak = max(w["score"] for w in scored)
        peak_wave = next(w for w in scored if w["score"] == peak)  # the earliest reaching the max
        change = latest["score"] - peak
        out["engagement_change_from_peak"] = change
        out["early_peak"] = bool(peak_wave["phase"] in config.early_peak_phases
                                 and round(change, 9) <= config.early_peak_max_change)
    return out


def _contracts(rows: list[dict], d: pd.Timestamp, config: Config) -> dict[str, float]:
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
    out["months_to_main_contract_end"] = months(d, main["end_date"], config.days_per_month)
    horizon = d + pd.Timedelta(days=config.window_days)
    out["value_ending_12m_share"] = div(sum(c["annual_value"] for c in active if c["end_date"] <= horizon), total)
    return out


def _reviews(rows: list[dict], d: pd.Timestamp, config: Config) -> dict:
    """rows: this mutual's reviews with review_date <= D."""
    if not rows:
        return {"months_since_relationship_review": math.nan, "relationship_rating": math.nan,
                "review_date": pd.NaT}
    last = max(r["review_date"] for r in rows)
    ratings = [r["rating"] for r in rows if r["review_date"] == last]
    return {"months_since_relationship_review": months(last, d, config.days_per_month),
            "relationship_rating": sum(ratings) / len(ratings), "review_date": last}


# --------------------------------------------------------------------------- the whole table

def output_order(config: Config = CONFIG) -> list[str]:
    """The recomputation's columns (index mutual_id excluded)."""
    cols = ["name", "sector", "region", "stage"]
    for c in config.indicators:
        cols += [c, f"{c}_status"]
        if c in config.max_evidence_months:
            cols += [f"{c}_evidence_date", f"{c}_stale"]
    cols += [f"{s}_signal_status" for signals in config.areas.values() for s in signals]
    cols += [f"{a}_status" for a in config.areas]
    return cols + ["early_peak", "overall_status", "_cliff", "_phase_conflict"]


def recompute(tables: dict[str, pd.DataFrame], as_of=None, min_respondents: int | None = None,
              config: Config | None = None) -> pd.DataFrame:
    """One row per mutual visible on D (index mutual_id): stage, values, evidence dates, staleness,
    statuses, signal and area statuses, early_peak, overall (and ``_cliff``: the re-tender cliff holds)."""
    config = config or CONFIG
    min_resp = config.min_respondents if min_respondents is None else min_respondents
    d = pd.Timestamp(as_of) if as_of is not None else data_date(tables)
    t = {name: frame.to_dict("records") for name, frame in tables.items()}  # plain Python from here on
    window_start = d - pd.Timedelta(days=config.innovation_days)

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
        rec = {"mutual_id": mid, "name": m["name"], "sector": m["sector"], "region": m["region"], "stage": stage}
        rec.update(_finance(fin.get(mid, []), plans.get(mid, [])))
        s = sessions.get(mid)
        rec["months_since_strategy_session"] = (
            months(max(r["session_date"] for r in s), d, config.days_per_month) if s else math.nan)
        rec.update(_engagement(eng.get(mid, []), min_resp, config))
        rec["innovations_per_100_staff"] = div(len(innovations.get(mid, [])) * 100, m["staff_count"])
        rec["member_share"] = m["member_share"]
        rec.update(_contracts(contracts.get(mid, []), d, config))
        rec.update(_reviews(reviews.get(mid, []), d, config))

        statuses = {}
        for c in config.indicators:
            status = rate(c, rec[c], config)
            if c in config.max_evidence_months:
                evidence = rec[EVIDENCE_OF[c]]
                rec[f"{c}_evidence_date"] = evidence
                old = is_stale(rec[c], evidence, d, config.max_evidence_months[c])
                rec[f"{c}_stale"] = old
                if old:
                    status = "no_data"  # the value is still shown, but not rated
            statuses[c] = rec[f"{c}_status"] = status
        areas = {}
        for area, signals in config.areas.items():
            per_signal = []
            for signal, columns in signals.items():
                rec[f"{signal}_signal_status"] = worst(statuses[c] for c in columns)
                per_signal.append(rec[f"{signal}_signal_status"])
            areas[area] = rec[f"{area}_status"] = area_status(per_signal, config)
        rec["_cliff"] = stage not in STAGES and cliff_holds(statuses, config)
        rec["overall_status"] = overall(stage, statuses, areas, config)
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=["mutual_id"] + output_order(config))
    for c in config.max_evidence_months:
        frame[f"{c}_evidence_date"] = pd.to_datetime(frame[f"{c}_evidence_date"])
    return frame.set_index("mutual_id").sort_index()
