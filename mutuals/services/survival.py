"""Survival of mutuals since spin-out: Kaplan–Meier curves, an at-risk table and a log-rank test per group.

Every number leaves through :func:`mutuals.services.disclosure.disclose`: durations are whole years
(:func:`binned_years`, before anything is estimated), a group of fewer than k mutuals gets no curve, no
at-risk row and no part in the log-rank test, a curve ends where fewer than k are at risk, and at-risk counts
are rounded. A censored mutual (still trading, or no contract lost, when followed up) is never an event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from mutuals.rules import load_rules
from mutuals.services.disclosure import Disclosed, Rule, binned_years, disclose

__all__ = ["CURVE_COLUMNS", "EVENTS", "KM_COLUMNS", "SurvivalResult", "kaplan_meier", "survival"]

EVENTS = {"ceasing": "Ceasing to trade", "parent_contract_loss": "First losing a contract with the former parent"}
KM_COLUMNS = ["years", "at_risk", "events", "censored_count", "survival", "ci_lower", "ci_upper"]
CURVE_COLUMNS = ["group", "years", "at_risk", "survival", "ci_lower", "ci_upper", "censored"]
AT_RISK_COLUMNS = ["group", "years", "at_risk"]


@dataclass(frozen=True)
class SurvivalResult:
    """One event's survival analysis, after disclosure control."""

    event: str
    event_label: str
    curves: Disclosed                  # "survival": CURVE_COLUMNS, each curve cut where fewer than k are at risk
    at_risk: Disclosed                 # "at_risk": group, years, at_risk (NaN below k, else rounded)
    logrank_p: float | None            # over the tested groups; None with fewer than two or no event at all
    groups_tested: tuple[str, ...]     # groups of at least k mutuals, in display order
    groups_dropped: tuple[str, ...]    # groups of fewer than k mutuals: shown nowhere


def kaplan_meier(years: pd.Series, observed: pd.Series, confidence: float) -> pd.DataFrame:
    """The product-limit estimate with lifelines' exponential Greenwood interval, one row per time of the
    fitted timeline (t = 0 included). ``at_risk`` is the number with a duration of at least t."""
    durations = pd.Series(np.asarray(years, dtype=float))
    events = pd.Series(np.asarray(observed, dtype=bool))
    if not len(durations):
        return pd.DataFrame({c: pd.Series(dtype=float) for c in KM_COLUMNS})
    fitter = KaplanMeierFitter().fit(durations, event_observed=events, alpha=1.0 - confidence)
    timeline = np.asarray(fitter.timeline, dtype=float)
    table = fitter.event_table.reindex(timeline)
    ci = fitter.confidence_interval_.reindex(timeline)
    return pd.DataFrame({
        "years": timeline,
        "at_risk": table["at_risk"].to_numpy(dtype=int),
        "events": table["observed"].to_numpy(dtype=int),
        "censored_count": table["censored"].to_numpy(dtype=int),
        "survival": fitter.survival_function_.reindex(timeline).iloc[:, 0].to_numpy(dtype=float),
        "ci_lower": ci.iloc[:, 0].to_numpy(dtype=float),
        "ci_upper": ci.iloc[:, 1].to_numpy(dtype=float),
    })


def _prepared(frame: pd.DataFrame, event: str) -> pd.DataFrame:
    """One row per mutual and group for this event: binned ``years`` and a strict boolean ``observed``."""
    rows = frame[frame["event"] == event]
    rows = rows.drop_duplicates(subset=["mutual_id", "group"])
    days = (pd.to_datetime(rows["stop"]) - pd.to_datetime(rows["start"])).dt.days
    observed = rows["observed"].fillna(False).astype(bool)  # anything not known to be an event is censored
    out = pd.DataFrame({
        "mutual_id": rows["mutual_id"].to_numpy(),
        "group": rows["group"].astype(str).to_numpy(),
        "years": binned_years(days, observed).to_numpy(dtype=float),
        "observed": observed.to_numpy(dtype=bool),
    })
    return out[out["years"].notna()].reset_index(drop=True)


def _group_order(present: list[str], order: list[str] | None) -> list[str]:
    if order is None:
        return sorted(present)
    listed = [str(g) for g in dict.fromkeys(order)]
    return listed + sorted(g for g in present if g not in listed)


def _logrank(data: pd.DataFrame) -> float | None:
    if data["group"].nunique() < 2 or not data["observed"].any():
        return None
    result = multivariate_logrank_test(data["years"], data["group"], data["observed"])
    p = float(result.p_value)
    return None if np.isnan(p) else p


def survival(frame: pd.DataFrame, event: str, rule: Rule, confidence: float,
             order: list[str] | None = None) -> SurvivalResult:
    """Curves, at-risk table and log-rank test for one event, per ``group``.

    ``frame`` has ``mutual_id, event, start, stop, observed, group``; rows of other events are ignored.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown survival event {event!r}")
    data = _prepared(frame, event)
    sizes = data.groupby("group")["mutual_id"].nunique()
    groups = _group_order(list(sizes.index), order)
    tested = tuple(g for g in groups if int(sizes.get(g, 0)) >= rule.k)
    dropped = tuple(g for g in groups if g not in tested)
    # From here on only the tested groups' rows exist: nothing of a dropped group can reach the result.
    data = data[data["group"].isin(tested)].reset_index(drop=True)

    curves = []
    for g in tested:
        rows = data[data["group"] == g]
        km = kaplan_meier(rows["years"], rows["observed"], confidence)
        curves.append(pd.DataFrame({
            "group": g,
            "years": km["years"].astype(int),
            "at_risk": km["at_risk"],
            "survival": km["survival"],
            "ci_lower": km["ci_lower"],
            "ci_upper": km["ci_upper"],
            "censored": km["censored_count"] > 0,
        }))
    curve_frame = pd.concat(curves, ignore_index=True) if curves else _empty(CURVE_COLUMNS)
    disclosed_curves = disclose("survival", curve_frame, rule, group="group", at_risk="at_risk", time="years")
    disclosed_curves = _in_order(disclosed_curves, tested)

    years = load_rules().explorer.at_risk_years
    table = pd.DataFrame(
        [{"group": g, "years": int(y), "at_risk": int((data.loc[data["group"] == g, "years"] >= y).sum())}
         for g in tested for y in years],
        columns=AT_RISK_COLUMNS,
    )
    disclosed_at_risk = disclose("at_risk", table, rule, at_risk="at_risk")

    return SurvivalResult(
        event=event,
        event_label=EVENTS[event],
        curves=disclosed_curves,
        at_risk=disclosed_at_risk,
        logrank_p=_logrank(data),
        groups_tested=tested,
        groups_dropped=dropped,
    )


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object if c == "group" else float) for c in columns})


def _in_order(result: Disclosed, groups: tuple[str, ...]) -> Disclosed:
    """The curves in display order (disclose sorts them by group name), same cells, same mask."""
    frame = result.frame
    if not len(frame):
        return result
    rank = {g: i for i, g in enumerate(groups)}
    positions = sorted(range(len(frame)), key=lambda i: (rank[frame["group"].iat[i]], frame["years"].iat[i]))
    frame = frame.iloc[positions].reset_index(drop=True)
    mask = result.suppressed.iloc[positions].reset_index(drop=True)
    return Disclosed(result.kind, frame, mask, result.rule, result.notes)
