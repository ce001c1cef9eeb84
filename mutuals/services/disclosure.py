"""Disclosure control: :func:`disclose` is the one function every explorer output passes through.

Every table, chart, caption, export and facet count of the explorer is built from a :class:`Disclosed`
result, never from the raw statistics, so what one shows, all show. The rules (``[explorer]`` in the
config, k = ``min_group``):

- **Group minimum** (``groups``): a statistic (and its n) over fewer than k mutuals is suppressed.
- **Survey rule**: survey waves with fewer than ``min_respondents`` respondents never reach the explorer
  (``queries/indicators.sql`` reads waves through the ``shown_waves`` macro), so they enter no statistic.
- **Cross-tabs** (``crosstab``): a count of 1 to k−1 is suppressed (a whole row when its total is below
  k); then no row or column of the table with its totals may keep exactly one suppressed entry, so the
  smallest other count in that line is suppressed too, until none does (secondary suppression).
- **Survival** (``survival``, ``at_risk``): a curve ends where fewer than k are at risk; at-risk counts
  are rounded to the nearest ``at_risk_round``; event times are whole years (:func:`binned_years`, applied
  before the curve is estimated).
- **Identity** (``rows``): the row-level table keeps only public attributes (:data:`PUBLIC_COLUMNS`).

A suppressed cell is missing (NaN) in :attr:`Disclosed.frame`, so no number survives in it, and reads
:attr:`Rule.text` ("suppressed (n < 5)") in :meth:`Disclosed.shown`, which every table and export uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from mutuals.rules import Rules, load_rules

__all__ = ["PUBLIC_COLUMNS", "TOTAL", "Disclosed", "Rule", "binned_years", "disclose"]

# The only columns the explorer's row-level table (and its export) may hold.
PUBLIC_COLUMNS = ("name", "sector", "region", "legal_form", "ownership_model", "spin_out_date", "stage",
                  "staff_count")
TOTAL = "Total"
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Rule:
    """The disclosure rule in force."""

    k: int                # group minimum
    text: str             # what a suppressed cell reads
    round_to: int         # survival at-risk counts are rounded to a multiple of this
    min_respondents: int  # the survey rule

    @classmethod
    def from_rules(cls, rules: Rules | None = None) -> "Rule":
        rules = rules or load_rules()
        e = rules.explorer
        return cls(e.min_group, e.suppressed, e.at_risk_round, rules.min_respondents)

    def describe(self) -> str:
        """The rule in one paragraph (the exports' About sheet, the page's footnote)."""
        return (f"Disclosure control: a group statistic over fewer than {self.k} mutuals is suppressed and reads "
                f"“{self.text}”; survey waves with fewer than {self.min_respondents} respondents enter no statistic; "
                f"in cross-tabs a count below {self.k} is suppressed, with a second cell in its row and column so it "
                f"cannot be recovered from the totals; survival curves end where fewer than {self.k} mutuals are at "
                f"risk, at-risk counts are rounded to the nearest {self.round_to} and event times are whole years; "
                "the mutual list holds public attributes only.")


@dataclass(frozen=True)
class Disclosed:
    """An output after disclosure control: numbers with suppressed cells missing, and where they were."""

    kind: str
    frame: pd.DataFrame          # suppressed cells are NaN: the number is gone
    suppressed: pd.DataFrame     # True where a cell was suppressed (same index and columns)
    rule: Rule
    notes: tuple[str, ...] = field(default=())

    @property
    def count(self) -> int:
        """How many cells are suppressed."""
        return int(self.suppressed.to_numpy().sum()) if self.suppressed.size else 0

    def shown(self) -> pd.DataFrame:
        """The table as shown and exported: every suppressed cell reads the rule's text."""
        out = self.frame.astype(object).copy()
        if self.suppressed.size:
            out = out.mask(self.suppressed.reindex_like(out).fillna(False).astype(bool), self.rule.text)
        return out

    def visible(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The rows with nothing suppressed in ``columns`` (default: any column): what a chart may draw."""
        if not len(self.frame):
            return self.frame
        mask = self.suppressed if columns is None else self.suppressed[list(columns)]
        return self.frame[~mask.any(axis=1)]

    def derive(self, frame: pd.DataFrame) -> "Disclosed":
        """Another table of the same shape (shares of a cross-tab's counts) with the same cells suppressed."""
        mask = self.suppressed.reindex(index=frame.index, columns=frame.columns, fill_value=False).astype(bool)
        return Disclosed(self.kind, frame.mask(mask), mask, self.rule, self.notes)


def binned_years(days: pd.Series, observed: pd.Series) -> pd.Series:
    """Durations in whole years: an event counts at the end of the year it falls in (ceiling), a censored
    mutual is followed to the last whole year it completed (floor), so no step reveals a date."""
    years = pd.to_numeric(days, errors="coerce").astype(float) / DAYS_PER_YEAR
    return pd.Series(np.where(observed.astype(bool), np.ceil(years), np.floor(years)), index=days.index).clip(lower=0)


def _mask(frame: pd.DataFrame, value: bool = False) -> pd.DataFrame:
    return pd.DataFrame(value, index=frame.index, columns=frame.columns)


def _groups(frame: pd.DataFrame, rule: Rule, n: str, stats: Iterable[str]) -> Disclosed:
    """Suppress each row's statistics, and its n, where n < k."""
    columns = [n, *stats]
    small = pd.to_numeric(frame[n], errors="coerce").fillna(0) < rule.k
    mask = _mask(frame)
    mask.loc[small, columns] = True
    notes = (f"{int(small.sum())} row(s) over fewer than {rule.k} mutuals suppressed",) if small.any() else ()
    return Disclosed("groups", frame.mask(mask), mask, rule, notes)


def _secondary(values: np.ndarray, hidden: np.ndarray) -> None:
    """Suppress more cells of the extended table (counts with a total column and a total row) until no line
    holds exactly one suppressed entry. Works in place; prefers the smallest non-zero count, then a zero,
    then the line's total."""
    rows, cols = values.shape
    lines = [[(i, j) for j in range(cols)] for i in range(rows)] + [[(i, j) for i in range(rows)] for j in range(cols)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(hidden[c] for c in line) != 1:
                continue
            *cells, total = line
            open_cells = [c for c in cells if not hidden[c]]
            candidates = ([c for c in open_cells if values[c] > 0] or open_cells or [total])
            pick = min(candidates, key=lambda c: (values[c], c))
            if not hidden[pick]:
                hidden[pick] = True
                changed = True


def _crosstab(counts: pd.DataFrame, rule: Rule) -> Disclosed:
    """Counts (groups × categories) with totals, primary and secondary suppression."""
    table = counts.astype(float).copy()
    table[TOTAL] = table.sum(axis=1)
    table.loc[TOTAL] = table.sum(axis=0)
    values = table.to_numpy()
    hidden = (values > 0) & (values < rule.k)
    hidden[:-1][values[:-1, -1] < rule.k] = True  # a group below k: its whole row
    if values[-1, -1] < rule.k:
        hidden[:] = True
    _secondary(values, hidden)
    mask = pd.DataFrame(hidden, index=table.index, columns=table.columns)
    notes = (f"{int(hidden.sum())} cell(s) suppressed",) if hidden.any() else ()
    return Disclosed("crosstab", table.mask(mask), mask, rule, notes)


def _survival(curves: pd.DataFrame, rule: Rule, group: str, at_risk: str, time: str) -> Disclosed:
    """Cut each curve where fewer than k are at risk (and what follows); round the at-risk counts."""
    curves = curves.sort_values([group, time])
    below = pd.to_numeric(curves[at_risk], errors="coerce").fillna(0) < rule.k
    ended = below.groupby(curves[group]).cummax()
    kept = curves[~ended].copy()
    kept[at_risk] = _rounded(kept[at_risk], rule.round_to)
    notes = (f"curves end where fewer than {rule.k} mutuals are at risk",) if ended.any() else ()
    return Disclosed("survival", kept.reset_index(drop=True), _mask(kept.reset_index(drop=True)), rule, notes)


def _rounded(values: pd.Series, step: int) -> pd.Series:
    return values.map(lambda v: float(step * math.floor(float(v) / step + 0.5)) if pd.notna(v) else np.nan)


def _at_risk(table: pd.DataFrame, rule: Rule, at_risk: str) -> Disclosed:
    """At-risk counts below k suppressed; the others rounded to the nearest ``round_to``."""
    mask = _mask(table)
    mask[at_risk] = pd.to_numeric(table[at_risk], errors="coerce").fillna(0) < rule.k
    frame = table.copy()
    frame[at_risk] = _rounded(frame[at_risk], rule.round_to)
    return Disclosed("at_risk", frame.mask(mask), mask, rule)


def _rows(frame: pd.DataFrame, rule: Rule, hidden_because: str | None) -> Disclosed:
    """Public attributes only; no rows at all when the selection would reveal a confidential status."""
    kept = frame[[c for c in PUBLIC_COLUMNS if c in frame.columns]]
    if hidden_because:
        kept = kept.iloc[0:0]
    return Disclosed("rows", kept, _mask(kept), rule, (hidden_because,) if hidden_because else ())


def disclose(kind: str, frame: pd.DataFrame, rule: Rule | None = None, *, n: str = "n",
             stats: Iterable[str] = (), group: str = "group", at_risk: str = "at_risk", time: str = "years",
             hidden_because: str | None = None) -> Disclosed:
    """Apply the disclosure rule for one kind of output.

    - ``groups``: one row per group (or group × indicator × year) with ``n`` and the ``stats`` columns;
    - ``crosstab``: counts, groups as the index and categories as columns (totals are added);
    - ``survival``: curve points (``group``, ``time``, ``at_risk``, estimates);
    - ``at_risk``: the at-risk table (``group``, ``time``, ``at_risk``);
    - ``rows``: the mutual list (``hidden_because``: why no row may be listed, e.g. a status filter).
    """
    rule = rule or Rule.from_rules()
    if kind == "groups":
        return _groups(frame, rule, n, stats)
    if kind == "crosstab":
        return _crosstab(frame, rule)
    if kind == "survival":
        return _survival(frame, rule, group, at_risk, time)
    if kind == "at_risk":
        return _at_risk(frame, rule, at_risk)
    if kind == "rows":
        return _rows(frame, rule, hidden_because)
    raise ValueError(f"unknown disclosure kind {kind!r}")
