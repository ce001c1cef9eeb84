"""The tables behind the mutual page, shaped for reading and CSV download (formatted text, no hidden numbers).

Also the vocabulary the tables share with the mutual charts (:mod:`mutuals.charts.mutual`): financial
years by their end (:func:`fy_label`) and contract outcomes in words (:data:`OUTCOMES`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import load_rules
from mutuals.services.mutual import MutualView, indicator_table

# A contract outcome: (symbol, words). Charts show the words (chart fonts for PDF/PNG export lack the symbols).
OUTCOMES = {
    "active": ("●", "Active"), "extended": ("↻", "Extended"), "renewed": ("✓", "Renewed"),
    "won_at_retender": ("✓", "Won at re-tender"), "lost_at_retender": ("✖", "Lost at re-tender"),
    "handed_back": ("↩", "Handed back"), "expired": ("■", "Expired"),
}


def fy_label(year_end: Any) -> str:
    """A financial year by its end: year to 31 Mar 2026 → '2025/26'; year to 31 Dec 2025 → '2025'."""
    ts = pd.Timestamp(year_end)
    return str(ts.year) if ts.month == 12 else f"{ts.year - 1}/{ts.year % 100:02d}"


def outcome_word(outcome: Any) -> str:
    """A contract outcome in words ('lost_at_retender' → 'Lost at re-tender'); an unknown code as it is."""
    return OUTCOMES.get(outcome, ("", str(outcome)))[1]


def waves_table(waves: pd.DataFrame, min_respondents: int | None = None) -> pd.DataFrame:
    """Survey waves as shown: a suppressed wave's scores read 'suppressed (n < 11)', never a number."""
    min_respondents = int(min_respondents) if min_respondents is not None else load_rules().min_respondents
    label = f"suppressed (n < {min_respondents})"
    out = pd.DataFrame({
        "survey_date": waves["survey_date"].map(lambda d: pd.Timestamp(d).date()),
        "phase": waves["phase"].map(lambda p: fmt.PHASE_WORDS.get(p, p)),
        "respondents": waves["respondents"].map(fmt.count),
        "eligible_staff": waves["eligible_staff"].map(fmt.count),
        "response_rate": waves["response_rate"].map(fmt.percent),
    })
    for col in ("engagement_score", "motivation", "involvement", "advocacy"):
        out[col] = [label if s else fmt.score10(v) for v, s in zip(waves[col], waves["engagement_score"].isna())]
    return out


def download_tables(view: MutualView, table: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The tables behind the page, shaped for reading and CSV download (formatted text, no hidden numbers).

    ``table`` is the view's :func:`~mutuals.services.mutual.indicator_table` when the caller has it already
    (it is computed here otherwise).
    """
    table = indicator_table(view) if table is None else table
    indicators = table[["area", "label", "value_text", "status_text", "change_text", "sector_median_text",
                        "sector_n"]].rename(columns={
                            "label": "indicator", "value_text": "value", "status_text": "status",
                            "change_text": "change_on_a_year", "sector_median_text": "sector_median"})
    c = view.contracts
    contracts = pd.DataFrame({
        "contract_id": c["contract_id"], "title": c["title"], "commissioner": c["commissioner_name"],
        "start_date": c["start_date"].map(fmt.as_date), "end_date": c["end_date"].map(fmt.as_date),
        "max_end_date": c["max_end_date"].map(fmt.as_date), "annual_value": c["annual_value"].map(fmt.money),
        "outcome": c["outcome"].map(outcome_word),
        "active": c["active"].map(lambda a: "yes" if a else "no"),
    })
    f = view.financials.dropna(subset=["income_total"])
    financials = pd.DataFrame({
        "financial_year": f["year_end"].map(fy_label), "year_end": f["year_end"].map(fmt.as_date),
        "income_total": f["income_total"].map(fmt.money), "income_parent": f["income_parent"].map(fmt.money),
        "income_other_public": f["income_other_public"].map(fmt.money),
        "income_non_public": f["income_non_public"].map(fmt.money), "expenditure": f["expenditure"].map(fmt.money),
        "reserves_months": f["reserves_months"].map(fmt.months), "surplus_margin": f["surplus_margin"].map(fmt.percent),
        "income_growth": f["income_growth"].map(fmt.percent),
        "planned_income": f["planned_income"].map(fmt.money), "plan_delivery": f["plan_delivery"].map(fmt.percent),
    })
    return {"indicators": indicators, "contracts": contracts,
            "waves": waves_table(view.waves, view.min_respondents), "financials": financials}
