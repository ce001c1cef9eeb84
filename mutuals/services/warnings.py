"""Early warnings: plain-language sentences from red (and some amber) indicators.

Each warning is tied to an indicator status from the config rules, so a warning
never disagrees with the status matrix. Sentences follow the CQC market
oversight idea: say what is happening, in numbers, most severe first.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import load_rules


def _contract(r: dict) -> str:
    text = (f"Largest contract ({fmt.money(r['main_contract_value'])} a year) ends "
            f"{fmt.month_count(r['months_to_main_contract_end'], 'in')}")
    if fmt.is_missing(r.get("months_since_relationship_review")):
        return text + "; no commissioner review on record."
    return text + f"; last commissioner review {fmt.month_count(r['months_since_relationship_review'], 'ago')}."


def _early_peak(r: dict) -> str:
    phase = fmt.PHASE_WORDS.get(r.get("peak_phase"), "an earlier phase")
    return (f"Engagement peaked during {phase} and has fallen "
            f"{abs(float(r['engagement_change_from_peak'])):.1f} points since.")


# (indicator column, weight: lower is more severe, sentence builder). Applies when the status is red.
RED_WARNINGS: list[tuple[str, int, Callable[[dict], str]]] = [
    ("months_to_main_contract_end", 0, _contract),
    ("reserves_months", 1, lambda r: f"Reserves cover {float(r['reserves_months']):.1f} months of spending."),
    ("parent_income_share", 2, lambda r: f"{fmt.percent(r['parent_income_share'])} of income comes from the "
                                         "parent commissioner."),
    ("value_ending_12m_share", 3, lambda r: f"{fmt.percent(r['value_ending_12m_share'])} of contract value "
                                            "ends within 12 months."),
    ("surplus_margin", 4, lambda r: f"Running a deficit of {fmt.percent(-float(r['surplus_margin']))} of income."),
    ("engagement_change_from_peak", 5, None),  # worded as early peak when it applies
    ("income_growth", 6, lambda r: f"Income fell {fmt.percent(-float(r['income_growth']))} on the previous year."),
    ("plan_delivery", 7, lambda r: f"Income is {fmt.percent(r['plan_delivery'])} of the business-plan target."),
    ("non_parent_share_vs_plan", 8, lambda r: "Non-parent income share is "
                                              f"{fmt.points(-float(r['non_parent_share_vs_plan'])).lstrip('+')} "
                                              "behind the plan."),
    ("engagement_score", 9, lambda r: f"Staff engagement is {fmt.score10(r['engagement_score'])}, below the "
                                      f"{fmt.score10(load_rules().by_column('engagement_score').amber)} amber line."),
    ("response_rate", 10, lambda r: f"Only {fmt.percent(r['response_rate'])} of staff answered the latest survey."),
    ("months_since_strategy_session", 11, lambda r: "No leadership strategy session for "
                                                    f"{fmt.month_count(r['months_since_strategy_session'])}."),
    ("months_since_relationship_review", 12, lambda r: "No commissioner relationship review for "
                                                       f"{fmt.month_count(r['months_since_relationship_review'])}."),
    ("relationship_rating", 13, lambda r: f"Latest commissioner rating is {fmt.rating5(r['relationship_rating'])}."),
    ("largest_commissioner_share", 14, lambda r: f"One commissioner holds "
                                                 f"{fmt.percent(r['largest_commissioner_share'])} of contract value."),
    ("member_share", 15, lambda r: f"Only {fmt.percent(r['member_share'])} of staff are members or owners."),
    ("innovations_per_100_staff", 16, lambda r: "No staff innovation embedded in the last year."
                                                if float(r["innovations_per_100_staff"]) == 0 else
                                                f"Staff innovations embedded: {fmt.per100(r['innovations_per_100_staff'])}."),
]

COLUMNS = ["mutual_id", "name", "overall_status", "severity", "area", "indicator", "warning"]
CONTEXT = ["peak_phase", "engagement_change_from_peak", "main_contract_value", "months_to_main_contract_end",
           "months_since_relationship_review"]


def warnings_for(row: dict) -> list[tuple[int, str, str]]:
    """(weight, indicator, sentence) for one rated mutual."""
    if row.get("stage") != "trading":
        return []
    out: list[tuple[int, str, str]] = []
    if bool(row.get("early_peak")):
        out.append((5, "engagement_change_from_peak", _early_peak(row)))
    for column, weight, sentence in RED_WARNINGS:
        if row.get(f"{column}_status") != "red" or sentence is None:
            continue
        out.append((weight, column, sentence(row)))
    return out


def early_warnings(indicators: pd.DataFrame) -> pd.DataFrame:
    """All warnings for the mutuals in ``indicators``, most severe first.

    Only trading mutuals with a red indicator or an early peak are visited, and
    only the columns the sentences need are read, so 13,000 mutuals stay fast.
    """
    statuses = [f"{c}_status" for c, _, _ in RED_WARNINGS]
    trading = indicators["stage"] == "trading"
    flagged = indicators.loc[trading & ((indicators[statuses] == "red").any(axis=1)
                                        | indicators["early_peak"].fillna(False).astype(bool))]
    if flagged.empty:
        return pd.DataFrame(columns=COLUMNS)
    wanted = list(dict.fromkeys(["mutual_id", "name", "overall_status", "stage", "reds", "early_peak"]
                                + [c for c, _, _ in RED_WARNINGS] + statuses + CONTEXT))
    rows = []
    rules = load_rules()
    ranks = rules.overall_rank
    for r in flagged[wanted].to_dict("records"):
        rank = ranks.get(r["overall_status"], 9)
        for weight, column, text in warnings_for(r):
            rows.append((r["mutual_id"], r["name"], r["overall_status"], rank * 100 + weight,
                         rules.by_column(column).area, column, text, -int(r.get("reds", 0))))
    frame = pd.DataFrame(rows, columns=COLUMNS + ["_reds"]).sort_values(["severity", "_reds", "name"], kind="stable")
    return frame[COLUMNS].reset_index(drop=True)


def count_warnings(indicators: pd.DataFrame) -> int:
    """How many warnings early_warnings would give, counted without wording them."""
    if indicators.empty:
        return 0
    trading = (indicators["stage"] == "trading").to_numpy()
    total = int((trading & indicators["early_peak"].fillna(False).astype(bool).to_numpy()).sum())
    for column, _, sentence in RED_WARNINGS:
        if sentence is not None:
            total += int((trading & (indicators[f"{column}_status"] == "red").to_numpy()).sum())
    return total


# --------------------------------------------------------------------------- one block per mutual

BLOCK_COLUMNS = ["mutual_id", "name", "overall_status", "shown", "further"]


def mutuals_with_warnings(warnings: pd.DataFrame, area: str | None = None) -> list[str]:
    """The ids of the mutuals with a warning (in ``area``, an area key, if given), most severe first.

    ``warnings`` is :func:`early_warnings`' table, already in severity order, so a mutual's place is
    that of its most severe warning.
    """
    frame = warnings if area is None else warnings[warnings["area"] == area]
    return list(dict.fromkeys(frame["mutual_id"]))


def _about(reason: str, area_short: str) -> bool:
    """True when a roll-up reason names the area before its colon ('Finance red: …', 'Relationship: …')."""
    head = reason.split(":", 1)[0]
    return area_short in head


def warning_blocks(warnings: pd.DataFrame, reasons: dict[str, tuple[str, ...]], area: str | None = None,
                   shown: int = 3) -> pd.DataFrame:
    """One block per mutual in ``reasons`` (ids, in the order given), with its status and deciding reasons.

    ``shown``: the first (at most ``shown``) deciding reasons, in the words of the area roll-up
    (:func:`mutuals.services.rollup.overall_reasons`); with an ``area``, only the reasons about that area
    (or, when none is, that area's warnings). ``further``: everything else the block can list (the other
    reasons, then each warning in scope), so the page can say "+2 more".
    """
    rules = load_rules()
    short = rules.area(area).short if area else None
    by_mutual = {m: g for m, g in warnings.groupby("mutual_id", sort=False)}
    rows = []
    for mutual_id, all_reasons in reasons.items():
        found = by_mutual.get(mutual_id)
        if found is None:
            continue
        if area:
            found = found[found["area"] == area]
            if found.empty:
                continue
        sentences = list(found["warning"])
        deciding = [r for r in all_reasons if short is None or _about(r, short)]
        if not deciding:
            deciding, sentences = sentences, []
        first = found.iloc[0]
        rows.append((mutual_id, first["name"], first["overall_status"], tuple(deciding[:shown]),
                     tuple(deciding[shown:]) + tuple(sentences)))
    return pd.DataFrame(rows, columns=BLOCK_COLUMNS)
