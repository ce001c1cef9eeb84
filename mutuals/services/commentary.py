"""Plain-language commentary: two or three sentences per area, generated from a mutual's rated row."""

from __future__ import annotations

from typing import Callable

import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import Rules, load_rules

Row = dict


def _has(r: Row, col: str) -> bool:
    return not fmt.is_missing(r.get(col))


def _either(r: Row, col: str, sentence: Callable[[], str], otherwise: str) -> str:
    """``sentence()`` when the row has ``col``, else the fallback wording."""
    return sentence() if _has(r, col) else otherwise


def leadership(r: Row) -> list[str]:
    out = []
    if _has(r, "plan_delivery"):
        out.append(f"Income in the latest plan year was {fmt.percent(r['plan_delivery'])} of the five-year "
                   f"plan's target ({fmt.day(r.get('plan_year_end'))}).")
        if _has(r, "non_parent_share_vs_plan"):
            gap = float(r["non_parent_share_vs_plan"])
            out.append(f"The share of income from outside the parent commissioner is "
                       f"{fmt.points(abs(gap)).lstrip('+')} {'ahead of' if gap >= 0 else 'behind'} the plan.")
    else:
        out.append("No year of the five-year plan can be compared with actual income yet.")
    out.append(_either(r, "months_since_strategy_session",
                       lambda: f"The leadership team last took time out "
                               f"{fmt.month_count(r['months_since_strategy_session'], 'ago')} "
                               f"({fmt.day(r.get('last_session_date'))}).",
                       "No leadership strategy session is on record."))
    return out


def _engagement_level(r: Row, rules: Rules, min_respondents: int) -> str:
    if _has(r, "engagement_score"):
        change = r.get("engagement_change_from_peak")
        peak_phase = fmt.PHASE_WORDS.get(r.get("peak_phase"), "an earlier phase")
        if _has(r, "engagement_change_from_peak") and float(change) < -rules.settings.at_peak_tolerance:
            return (f"Engagement is {abs(float(change)):.1f} points below its {peak_phase}-phase peak "
                    f"({fmt.score10(r['peak_score'])}), at {fmt.score10(r['engagement_score'])}.")
        return f"Engagement is at its peak so far: {fmt.score10(r['engagement_score'])}."
    return _either(r, "latest_wave_respondents",
                   lambda: f"The latest survey had fewer than {min_respondents} respondents, so its score is "
                           f"suppressed (n < {min_respondents}).",
                   "No staff survey is on record.")


def engagement(r: Row, innovations: pd.DataFrame, rules: Rules, min_respondents: int) -> list[str]:
    out = [_engagement_level(r, rules, min_respondents)]
    if _has(r, "response_rate"):
        out.append(f"{fmt.percent(r['response_rate'])} of staff answered the latest survey; "
                   f"{fmt.percent(r['member_share']) if _has(r, 'member_share') else 'an unknown share'} "
                   "of staff are members or owners.")
    embedded = innovations[(innovations["origin"] == "staff") & (innovations["status"] == "embedded")]
    if len(embedded):
        out.append(f"{len(embedded)} staff innovations have been embedded since spin-out, saving "
                   f"{fmt.money(embedded['annual_saving'].sum())} a year.")
    return out


def relationship(r: Row) -> list[str]:
    out = [_either(r, "months_to_main_contract_end",
                   lambda: f"The main contract ({fmt.money(r['main_contract_value'])} a year) ends "
                           f"{fmt.month_count(r['months_to_main_contract_end'], 'in')}, "
                           f"on {fmt.day(r['main_contract_end_date'])}.",
                   "No contract is active on this date.")]
    if _has(r, "parent_income_share"):
        ending = (f"; {fmt.percent(r['value_ending_12m_share'])} of contract value ends within 12 months."
                  if _has(r, "value_ending_12m_share") else ".")
        out.append(f"{fmt.percent(r['parent_income_share'])} of income comes from the parent commissioner{ending}")
    if _has(r, "months_since_relationship_review"):
        out.append(f"The last commissioner review was {fmt.month_count(r['months_since_relationship_review'], 'ago')}"
                   f", rated {fmt.rating5(r['relationship_rating'])}.")
    return out


def finance(r: Row, rules: Rules) -> list[str]:
    out = []
    if _has(r, "reserves_months"):
        low, high = rules.settings.reserves_typical_months
        thin = rules.by_column("reserves_months").green
        out.append(f"Reserves cover {fmt.months(r['reserves_months'])} of spending "
                   f"(typical charities hold {low:g}–{high:g}; under {thin:g} is thin).")
    if _has(r, "surplus_margin"):
        margin = float(r["surplus_margin"])
        growth = (f", and income {'grew' if r['income_growth'] >= 0 else 'fell'} "
                  f"{fmt.percent(abs(float(r['income_growth'])))} on the year before."
                  if _has(r, "income_growth") else ".")
        out.append(f"The latest year ended with a {'surplus' if margin >= 0 else 'deficit'} of "
                   f"{fmt.percent(abs(margin))} of income{growth}")
    return out or ["No financial year is on record up to this date."]


def commentary(view) -> dict[str, list[str]]:
    """Two or three plain-language sentences per area (``view``: a MutualView), from the data."""
    rules = load_rules()
    areas = [a.key for a in rules.areas]
    r = view.indicators
    if not r:
        return {a: [f"{view.name} does not appear in the data as of {fmt.day(view.as_of)}."] for a in areas}
    out = {"leadership": leadership(r), "engagement": engagement(r, view.innovations, rules, view.min_respondents),
           "relationship": relationship(r), "finance": finance(r, rules)}
    return {a: out.get(a, [])[:3] for a in areas}
