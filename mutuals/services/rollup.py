"""From rated indicators to signals, areas and the overall status, with plain-language reasons.

The rules come from the config (``[area.*]``, ``[rollup]``, ``[overall]``):

- a **signal** is correlated indicators inside an area; its status is the worst of
  theirs (red > amber > green > no_data), so one underlying fact counts once;
- an **area** is ``no_data`` if no signal is rated, ``red`` with enough red signals,
  ``amber`` with one red or enough amber signals, else ``green``;
- the **overall** status is the stage (ceased, pre-spin-out), else ``at_risk`` on the
  re-tender cliff or enough red areas, ``concern`` with a red area, ``watch`` with
  enough amber areas, else ``sustainable``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import Area, Indicator, Rules, Signal, load_rules


def signal_status(rated: pd.DataFrame, signal: Signal, rules: Rules) -> np.ndarray:
    """The worst status of the signal's indicators, row by row."""
    severity = rules.rollup.signal_severity  # worst first
    statuses = np.stack([rated[f"{c}_status"].to_numpy(dtype=object) for c in signal.indicators])
    out = np.full(len(rated), severity[-1], dtype=object)
    for status in reversed(severity):  # the worst status present wins
        out = np.where((statuses == status).any(axis=0), status, out)
    return out


def area_status(signals: list[np.ndarray], rules: Rules) -> np.ndarray:
    """An area's status from its signals' statuses."""
    stack = np.stack(signals)
    reds, ambers = (stack == "red").sum(axis=0), (stack == "amber").sum(axis=0)
    rated = np.isin(stack, ["red", "amber", "green"]).any(axis=0)
    r = rules.rollup
    return np.select(
        [~rated, reds >= r.area_red_min_red_signals,
         (reds >= r.area_amber_min_red_signals) | (ambers >= r.area_amber_min_amber_signals)],
        ["no_data", "red", "amber"], default="green").astype(object)


def cliff_holds(rated: pd.DataFrame, rules: Rules) -> np.ndarray:
    """The re-tender cliff: every cliff indicator red."""
    return np.logical_and.reduce([rated[f"{c}_status"].to_numpy() == "red" for c in rules.overall.cliff])


def overall(frame: pd.DataFrame, rules: Rules | None = None, *, reasons: bool = True) -> pd.DataFrame:
    """Add signal and area statuses, ``reds``, ``ambers``, ``red_areas``, ``amber_areas``,
    ``overall_status`` and (optionally) ``overall_reasons`` to a frame rated by ``rate_all``."""
    rules = rules or load_rules()
    out = frame.copy()
    statuses = out[[i.status_column for i in rules.indicators]]
    out["reds"] = (statuses == "red").sum(axis=1)
    out["ambers"] = (statuses == "amber").sum(axis=1)
    area_cols = []
    for area in rules.areas:
        per_signal = []
        for signal in area.signals:
            out[signal.status_column] = signal_status(out, signal, rules)
            per_signal.append(out[signal.status_column].to_numpy())
        out[area.status_column] = area_status(per_signal, rules)
        area_cols.append(area.status_column)
    areas = out[area_cols]
    red_areas = (areas == "red").sum(axis=1).to_numpy()
    amber_areas = (areas == "amber").sum(axis=1).to_numpy()
    out["red_areas"], out["amber_areas"] = red_areas, amber_areas
    o, stage = rules.overall, out["stage"].to_numpy()
    out["overall_status"] = np.select(
        [stage == "ceased", stage == "pre_spin_out",
         cliff_holds(out, rules) | (red_areas >= o.at_risk_min_red_areas),
         red_areas >= o.concern_min_red_areas,
         amber_areas >= o.watch_min_amber_areas],
        ["ceased", "pre_spin_out", "at_risk", "concern", "watch"],
        default="sustainable",
    ).astype(object)
    if reasons:
        out["overall_reasons"] = pd.Series(overall_reasons(out, rules), index=out.index, dtype=object)
    return out


# --------------------------------------------------------------------------- reasons


def _value_text(ind: Indicator, value) -> str:
    return f"{ind.label.lower()} {fmt.format_value(value, ind.format)}"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _signals_at(row: dict, area: Area, status: str, rules: Rules) -> tuple[list[str], list[str]]:
    """The area's signals with ``status``, and the values of their indicators that have it."""
    names, values = [], []
    for signal in area.signals:
        if row[signal.status_column] != status:
            continue
        names.append(signal.label)
        for column in signal.indicators:
            ind = rules.by_column(column)
            if row[ind.status_column] == status:
                values.append(_value_text(ind, row[column]))
    return names, values


def _area_reason(row: dict, area: Area, rules: Rules) -> str:
    """'Finance red: reserves and margin both red (reserves cover 0.6 months; surplus margin −2.1%)'."""
    status = row[area.status_column]
    names, values = _signals_at(row, area, "red", rules)
    word = "red"
    if status == "amber" and len(names) < rules.rollup.area_amber_min_red_signals:
        names, values = _signals_at(row, area, "amber", rules)
        word = "amber"
    verb = "both " + word if len(names) == 2 else word
    return f"{area.short} {status}: {_and(names)} {verb} ({', '.join(values)})"


def _cliff_reason(row: dict, rules: Rules) -> str:
    inds = [rules.by_column(c) for c in rules.overall.cliff]
    homes = [s for s in rules.signals if set(s.indicators) & set(rules.overall.cliff)]  # config order
    areas = list(dict.fromkeys(rules.area(s.area).short for s in homes))
    signals = [s.label for s in homes]
    both = "both " if len(signals) == 2 else ""
    values = ", ".join(_value_text(i, row[i.column]) for i in inds)
    return f"{' and '.join(areas)}: {_and(signals)} {both}red (re-tender cliff: {values})"


def _stale_reasons(row: dict, inds: list[Indicator]) -> list[str]:
    """'Plan delivery and non-parent income vs plan: latest plan year 31 Mar 2016 is over 24 months old'.

    Indicators resting on the same evidence are named in one sentence.
    """
    groups: dict[tuple, list[str]] = {}
    for ind in inds:
        if row[ind.stale_column]:
            key = (ind.evidence, fmt.day(row[ind.evidence_column]), ind.max_evidence_months)
            groups.setdefault(key, []).append(ind.label)
    out = []
    for (evidence, day, months), labels in groups.items():
        names = _and([labels[0]] + [label[0].lower() + label[1:] for label in labels[1:]])
        out.append(f"{names}: {evidence} {day} is over {months} months old, so not rated")
    return out


def overall_reasons(rated: pd.DataFrame, rules: Rules | None = None) -> list[tuple[str, ...]]:
    """Plain-language reasons for each mutual's overall status: a tuple of sentences per row.

    The deciding areas and signals come first (the re-tender cliff, then red areas;
    for ``watch`` the amber areas), then any evidence too old to rate. Rows that
    already have signal and area statuses are worded as they are; others are rolled
    up first.
    """
    rules = rules or load_rules()
    if len(rated) and rules.areas[0].status_column not in rated:
        rated = overall(rated, rules, reasons=False)
    stale_inds = [i for i in rules.indicators if i.stale_column and i.stale_column in rated]
    columns = list(dict.fromkeys(
        ["overall_status", "ceased_date", "spin_out_date", "amber_areas"] + rules.columns
        + [i.status_column for i in rules.indicators] + [s.status_column for s in rules.signals]
        + [a.status_column for a in rules.areas]
        + [c for i in stale_inds for c in (i.stale_column, i.evidence_column)]))
    cliff = cliff_holds(rated, rules) if len(rated) else np.zeros(0, dtype=bool)
    cliff_areas = {rules.by_column(c).area for c in rules.overall.cliff}
    out = []
    for row, on_cliff in zip(rated[columns].to_dict("records"), cliff):
        status = row["overall_status"]
        if status == "ceased":
            out.append((f"Ceased trading on {fmt.day(row['ceased_date'])}",))
            continue
        if status == "pre_spin_out":
            out.append((f"Not yet spun out: spin-out planned for {fmt.day(row['spin_out_date'])}",))
            continue
        parts = [_cliff_reason(row, rules)] if on_cliff else []
        for area in rules.areas:
            if row[area.status_column] == "red" and not (on_cliff and area.key in cliff_areas
                                                          and _only_cliff_red(row, area, rules)):
                parts.append(_area_reason(row, area, rules))
        if status == "watch":
            parts += [_area_reason(row, a, rules) for a in rules.areas if row[a.status_column] == "amber"]
        if status == "sustainable":
            parts.append(f"No area is red and {int(row['amber_areas'])} amber "
                         f"(watch starts at {rules.overall.watch_min_amber_areas} amber areas)")
            empty = [a.short.lower() for a in rules.areas if row[a.status_column] == "no_data"]
            if empty:
                parts.append(f"No data to rate {_and(empty)}")
        parts += _stale_reasons(row, stale_inds)
        out.append(tuple(parts))
    return out


def _only_cliff_red(row: dict, area: Area, rules: Rules) -> bool:
    """True when the area's red signals are exactly the cliff's (so the cliff reason already says it)."""
    cliff_signals = {s.key for s in area.signals if set(s.indicators) & set(rules.overall.cliff)}
    red = {s.key for s in area.signals if row[s.status_column] == "red"}
    return red <= cliff_signals
