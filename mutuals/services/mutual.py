"""One mutual's story: profile, rated indicators against a year earlier and the sector, histories,
and plain-language commentary for each factor. Used by the mutual page and the board pack."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import load_rules
from mutuals.services.indicators import QueryRunner, compute_indicators, data_date
from mutuals.services.portfolio import year_earlier

FACTORS = tuple(area.key for area in load_rules().areas)  # the config's areas, in order


@dataclass(frozen=True)
class MutualView:
    """Everything shown about one mutual as of a date."""

    mutual_id: str
    as_of: date
    previous_as_of: date
    synthetic: bool
    profile: dict
    indicators: dict                 # rated row at as_of ({} if the mutual does not appear yet)
    previous: dict                   # rated row a year earlier ({} if it did not appear then)
    sector_medians: pd.DataFrame     # indicator, median, n (the mutual's sector at as_of)
    financials: pd.DataFrame         # queries/mutual_financials.sql
    waves: pd.DataFrame              # queries/mutual_waves.sql (scores NULL when suppressed)
    groups: pd.DataFrame             # queries/mutual_engagement_groups.sql
    sector_engagement: pd.DataFrame  # queries/sector_engagement_bands.sql
    sector_finance: pd.DataFrame     # queries/sector_finance_medians.sql
    sessions: pd.DataFrame
    innovations: pd.DataFrame
    contracts: pd.DataFrame
    reviews: pd.DataFrame
    min_respondents: int
    commentary: dict[str, list[str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.profile["name"]

    @property
    def stage(self) -> str:
        return self.indicators.get("stage") or ("pre_spin_out" if self.profile["spin_out_date"] > self.as_of
                                                else "trading")

    @property
    def overall_status(self) -> str:
        return self.indicators.get("overall_status") or self.stage

    @property
    def reasons(self) -> list[str]:
        text = self.indicators.get("overall_reasons") or ""
        return [r for r in text.split("; ") if r]

    @property
    def area_statuses(self) -> dict[str, str]:
        """Each area's status as of the date ('no_data' when the mutual does not appear yet)."""
        return {a.key: self.indicators.get(a.status_column) or "no_data" for a in load_rules().areas}

    @property
    def years_since_spin_out(self) -> float:
        return (pd.Timestamp(self.as_of) - pd.Timestamp(self.profile["spin_out_date"])).days / 365.25


def _record(frame: pd.DataFrame) -> dict:
    return frame.iloc[0].to_dict() if len(frame) else {}


def _as_date(value) -> date:
    return pd.Timestamp(value).date()


def sector_medians(sector_frame: pd.DataFrame) -> pd.DataFrame:
    """Median and count of each indicator over the trading mutuals of a sector."""
    rules = load_rules()
    trading = sector_frame[sector_frame["stage"] == "trading"]
    rows = []
    for ind in rules.indicators:
        values = pd.to_numeric(trading[ind.column], errors="coerce").dropna()
        rows.append({"indicator": ind.column, "median": float(values.median()) if len(values) else np.nan,
                     "n": int(len(values))})
    return pd.DataFrame(rows)


def evidence_text(indicator, evidence_date, is_stale: bool) -> str:
    """'Latest plan year 31 Mar 2016: over 24 months old, not rated' or 'Latest survey wave 20 Oct 2025'."""
    if indicator.evidence is None or fmt.is_missing(evidence_date):
        return ""
    text = f"{indicator.evidence.capitalize()} {fmt.day(evidence_date)}"
    return text + (f": over {indicator.max_evidence_months} months old, not rated" if is_stale else "")


def indicator_table(view: MutualView) -> pd.DataFrame:
    """One row per indicator: area, label, value, status, evidence, change on a year earlier, sector median and n."""
    rules = load_rules()
    medians = view.sector_medians.set_index("indicator")
    rows = []
    for ind in rules.indicators:
        value = view.indicators.get(ind.column)
        before = view.previous.get(ind.column)
        status = view.indicators.get(ind.status_column, "no_data")
        evidence = view.indicators.get(ind.evidence_column) if ind.evidence_column else None
        is_stale = bool(view.indicators.get(ind.stale_column)) if ind.stale_column else False
        delta = None if fmt.is_missing(value) or fmt.is_missing(before) else float(value) - float(before)
        median = medians.loc[ind.column, "median"] if ind.column in medians.index else np.nan
        n = int(medians.loc[ind.column, "n"]) if ind.column in medians.index else 0
        rows.append({
            "area": rules.area(ind.area).label, "area_key": ind.area, "indicator": ind.column,
            "label": ind.label, "value": value, "value_text": fmt.format_value(value, ind.format),
            "status": status, "status_text": fmt.status_label(status),
            "evidence_date": fmt.as_date(evidence), "stale": is_stale,
            "evidence_text": evidence_text(ind, evidence, is_stale),
            "change": delta, "change_text": fmt.change(delta, ind.format),
            "sector_median": median, "sector_median_text": fmt.format_value(median, ind.format), "sector_n": n,
            "format": ind.format,
        })
    return pd.DataFrame(rows)


def commentary(view: MutualView) -> dict[str, list[str]]:
    """Two or three plain-language sentences per factor, generated from the data."""
    r = view.indicators
    rules = load_rules()
    settings = rules.settings
    out: dict[str, list[str]] = {f: [] for f in FACTORS}
    if not r:
        for f in FACTORS:
            out[f].append(f"{view.name} does not appear in the data as of {fmt.day(view.as_of)}.")
        return out

    def has(col: str) -> bool:
        return not fmt.is_missing(r.get(col))

    # Leadership and strategy
    lead = out["leadership"]
    if has("plan_delivery"):
        lead.append(f"Income in the latest plan year was {fmt.percent(r['plan_delivery'])} of the five-year "
                    f"plan's target ({fmt.day(r.get('plan_year_end'))}).")
        if has("non_parent_share_vs_plan"):
            gap = float(r["non_parent_share_vs_plan"])
            lead.append(f"The share of income from outside the parent commissioner is "
                        f"{fmt.points(abs(gap)).lstrip('+')} {'ahead of' if gap >= 0 else 'behind'} the plan.")
    else:
        lead.append("No year of the five-year plan can be compared with actual income yet.")
    if has("months_since_strategy_session"):
        lead.append(f"The leadership team last took time out {fmt.month_count(r['months_since_strategy_session'])} "
                    f"ago ({fmt.day(r.get('last_session_date'))}).")
    else:
        lead.append("No leadership strategy session is on record.")

    # Staff engagement and ownership
    eng = out["engagement"]
    if has("engagement_score"):
        change = r.get("engagement_change_from_peak")
        peak_phase = fmt.PHASE_WORDS.get(r.get("peak_phase"), "an earlier phase")
        if has("engagement_change_from_peak") and float(change) < -settings.at_peak_tolerance:
            eng.append(f"Engagement is {abs(float(change)):.1f} points below its {peak_phase}-phase peak "
                       f"({fmt.score10(r['peak_score'])}), at {fmt.score10(r['engagement_score'])}.")
        else:
            eng.append(f"Engagement is at its peak so far: {fmt.score10(r['engagement_score'])}.")
    elif has("latest_wave_respondents"):
        eng.append(f"The latest survey had fewer than {view.min_respondents} respondents, so its score is "
                   f"suppressed (n < {view.min_respondents}).")
    else:
        eng.append("No staff survey is on record.")
    if has("response_rate"):
        eng.append(f"{fmt.percent(r['response_rate'])} of staff answered the latest survey; "
                   f"{fmt.percent(r['member_share']) if has('member_share') else 'an unknown share'} "
                   "of staff are members or owners.")
    embedded = view.innovations[(view.innovations["origin"] == "staff") & (view.innovations["status"] == "embedded")]
    if len(embedded):
        eng.append(f"{len(embedded)} staff innovations have been embedded since spin-out, saving "
                   f"{fmt.money(embedded['annual_saving'].sum())} a year.")

    # Commissioner relationship
    rel = out["relationship"]
    if has("months_to_main_contract_end"):
        rel.append(f"The main contract ({fmt.money(r['main_contract_value'])} a year) ends in "
                   f"{fmt.month_count(r['months_to_main_contract_end'])}, on {fmt.day(r['main_contract_end_date'])}.")
    else:
        rel.append("No contract is active on this date.")
    if has("parent_income_share"):
        rel.append(f"{fmt.percent(r['parent_income_share'])} of income comes from the parent commissioner"
                   + (f"; {fmt.percent(r['value_ending_12m_share'])} of contract value ends within 12 months."
                      if has("value_ending_12m_share") else "."))
    if has("months_since_relationship_review"):
        rel.append(f"The last commissioner review was {fmt.month_count(r['months_since_relationship_review'])} "
                   f"ago, rated {fmt.rating5(r['relationship_rating'])}.")

    # Finance
    fin = out["finance"]
    if has("reserves_months"):
        low, high = settings.reserves_typical_months
        thin = rules.by_column("reserves_months").green
        fin.append(f"Reserves cover {fmt.months(r['reserves_months'])} of spending "
                   f"(typical charities hold {low:g}–{high:g}; under {thin:g} is thin).")
    if has("surplus_margin"):
        margin = float(r["surplus_margin"])
        fin.append(f"The latest year ended with a {'surplus' if margin >= 0 else 'deficit'} of "
                   f"{fmt.percent(abs(margin))} of income" + (f", and income {'grew' if r['income_growth'] >= 0 else 'fell'} "
                                                              f"{fmt.percent(abs(float(r['income_growth'])))} on the year before."
                                                              if has("income_growth") else "."))
    if not fin:
        fin.append("No financial year is on record up to this date.")
    return {k: v[:3] for k, v in out.items()}


def load_mutual(db: QueryRunner, mutual_id: str, as_of: date | None = None, *,
                scope: list[str] | None = None, min_respondents: int | None = None) -> MutualView:
    """Everything about one mutual; LookupError when the id is unknown or out of scope."""
    rules = load_rules()
    min_resp = int(min_respondents if min_respondents is not None else rules.min_respondents)
    profile = _record(db.query("mutual_profile", mutual_id=mutual_id, scope=scope))
    if not profile:
        raise LookupError(f"No mutual with id {mutual_id!r}")
    for key in ("spin_out_date", "options_appraisal_date", "ceased_date"):
        if not fmt.is_missing(profile.get(key)):
            profile[key] = _as_date(profile[key])
    as_of = as_of or data_date(db)
    previous_as_of = year_earlier(as_of)
    common = {"scope": [mutual_id], "min_respondents": min_resp}
    now = _record(compute_indicators(db, as_of, **common))
    before = _record(compute_indicators(db, previous_as_of, reasons=False, **common))
    sector = profile["sector"]
    sector_frame = compute_indicators(db, as_of, reasons=False, sectors=[sector], scope=scope,
                                      min_respondents=min_resp)
    info = db.query("dataset_info")
    synthetic = dict(zip(info["key"], info["value"])).get("synthetic", "").lower() == "true"
    by_mutual = {"mutual_id": mutual_id, "as_of": as_of}
    view = MutualView(
        mutual_id=mutual_id, as_of=as_of, previous_as_of=previous_as_of, synthetic=synthetic,
        profile=profile, indicators=now, previous=before,
        sector_medians=sector_medians(sector_frame),
        financials=db.query("mutual_financials", **by_mutual),
        waves=db.query("mutual_waves", **by_mutual, min_respondents=min_resp),
        groups=db.query("mutual_engagement_groups", **by_mutual, min_respondents=min_resp),
        sector_engagement=db.query("sector_engagement_bands", sector=sector, as_of=as_of,
                                   min_respondents=min_resp, scope=scope),
        sector_finance=db.query("sector_finance_medians", sector=sector, as_of=as_of, scope=scope),
        sessions=db.query("mutual_sessions", **by_mutual, days_per_month=rules.days_per_month),
        innovations=db.query("mutual_innovations", **by_mutual),
        contracts=db.query("mutual_contracts", **by_mutual),
        reviews=db.query("mutual_reviews", **by_mutual),
        min_respondents=min_resp,
    )
    return MutualView(**{**view.__dict__, "commentary": commentary(view)})
