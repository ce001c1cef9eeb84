"""The researcher explorer's selection: which mutuals, in which groups, with facet counts.

The explorer starts from one frame per (as-of date, commissioner, scope): every visible mutual's public
attributes (``queries/explorer_mutuals.sql``) joined to its indicators on the as-of date
(``queries/indicators.sql`` through :func:`mutuals.services.indicators.compute_indicators`), with its
spin-out cohort, size band and parent kind. Filters and the compare-by dimension are then applied in
memory, so a control change never re-runs SQL. Counts of public attributes are shown as they are (the
mutual list shows them anyway); the overall status is derived from confidential figures, so its facet
counts go through :func:`mutuals.services.disclosure.disclose` like every other statistic.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import pandas as pd

from mutuals.rules import Rules, load_rules
from mutuals.services.disclosure import Disclosed, Rule, disclose
from mutuals.services.indicators import QueryRunner, compute_indicators

# Compare-by dimensions: column -> label (the order of the picker).
DIMENSIONS = {
    "sector": "Sector",
    "region": "Region",
    "legal_form": "Legal form",
    "ownership_model": "Ownership model",
    "cohort": "Spin-out cohort",
    "parent_kind": "Parent kind",
    "size_band": "Size band",
    "overall_status": "Overall status",
}
PARENT_KINDS = {"local_authority": "Local authority", "nhs": "NHS", "other": "Other", "none": "No former parent"}
STAGES = {"pre_spin_out": "Not yet spun out", "trading": "Trading", "ceased": "Ceased"}
NOT_RECORDED = "Not recorded"
CONFIDENTIAL_FACETS = frozenset({"overall_status"})


@dataclass(frozen=True)
class Selection:
    """The explorer's filters beyond the shell's commissioner and as-of date (empty: no filter)."""

    sector: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    legal_form: tuple[str, ...] = ()
    ownership_model: tuple[str, ...] = ()
    parent_kind: tuple[str, ...] = ()
    size_band: tuple[str, ...] = ()
    stage: tuple[str, ...] = ()
    overall_status: tuple[str, ...] = ()
    cohort_years: tuple[int, int] | None = None  # spin-out years, inclusive

    def chosen(self) -> dict[str, tuple[str, ...]]:
        """Column -> chosen values, for the set filters."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "cohort_years" and getattr(self, f.name)}

    @property
    def reveals_status(self) -> bool:
        """A filter on the overall status: listing the selected mutuals would reveal each one's status."""
        return bool(self.overall_status)


FACETS = {"sector": "Sector", "region": "Region", "legal_form": "Legal form", "ownership_model": "Ownership model",
          "parent_kind": "Parent kind", "cohort": "Spin-out cohort", "size_band": "Size band", "stage": "Stage",
          "overall_status": "Overall status"}


def load_base(db: QueryRunner, as_of: date, *, commissioner: str | None = None,
              scope: list[str] | None = None, rules: Rules | None = None) -> pd.DataFrame:
    """One row per mutual visible on ``as_of`` (the shell's commissioner and the user's scope applied):
    public attributes, bands, stage, overall status and every indicator value."""
    rules = rules or load_rules()
    mutuals = db.query("explorer_mutuals", scope=scope)
    indicators = compute_indicators(db, as_of, reasons=False, commissioner=commissioner, scope=scope)
    for ind in rules.indicators:  # stale evidence is no evidence, as on the pages (its status is "no data")
        if ind.stale_column and ind.stale_column in indicators:
            indicators[ind.column] = indicators[ind.column].mask(indicators[ind.stale_column].astype(bool))
    keep = ["mutual_id", "stage", "overall_status", "early_peak", "engagement_change_from_peak",
            *rules.columns]
    base = mutuals.merge(indicators[[c for c in dict.fromkeys(keep) if c in indicators.columns]],
                         on="mutual_id", how="inner")
    return with_bands(base, rules)


def with_bands(frame: pd.DataFrame, rules: Rules | None = None) -> pd.DataFrame:
    """Add ``cohort`` and ``size_band`` labels from the config's bands (``Not recorded`` when none holds)."""
    e = (rules or load_rules()).explorer

    def banded(values: pd.Series, bands) -> pd.Series:  # one lookup per distinct value, not per mutual
        numbers = pd.to_numeric(values, errors="coerce")
        labels = {v: e.band(bands, int(v)) or NOT_RECORDED for v in numbers.dropna().unique()}
        return numbers.map(labels).fillna(NOT_RECORDED)

    return frame.assign(cohort=banded(frame["spin_out_year"], e.cohorts),
                        size_band=banded(frame["staff_count"], e.size_bands))


def apply(base: pd.DataFrame, selection: Selection, *, skip: str | None = None,
          ignore: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The rows of ``base`` the selection keeps (``skip``: one facet left out, for its own counts;
    ``ignore``: filters a view does not apply, e.g. survival ignores the stage)."""
    keep = pd.Series(True, index=base.index)
    for column, values in selection.chosen().items():
        if column != skip and column not in ignore:
            keep &= base[column].isin(values)
    if selection.cohort_years is not None and "cohort" != skip:
        first, last = selection.cohort_years
        keep &= base["spin_out_year"].between(first, last)
    return base[keep]


def value_labels(column: str, rules: Rules | None = None) -> dict[str, str]:
    """Display labels of a dimension's coded values (statuses, stages, parent kinds); others show as they are."""
    rules = rules or load_rules()
    if column == "overall_status":
        return {k: s.label for k, s in rules.overall_statuses.items()}
    if column == "stage":
        return dict(STAGES)
    if column == "parent_kind":
        return dict(PARENT_KINDS)
    return {}


def options(base: pd.DataFrame, column: str, rules: Rules | None = None) -> list[str]:
    """The values a filter or group can take, in a meaningful order (bands and statuses as configured)."""
    rules = rules or load_rules()
    e = rules.explorer
    ordered = {"cohort": [b.label for b in e.cohorts], "size_band": [b.label for b in e.size_bands],
               "overall_status": list(rules.overall_statuses), "stage": list(STAGES),
               "parent_kind": list(PARENT_KINDS)}.get(column)
    present = set(base[column].dropna().astype(str)) if column in base else set()
    if ordered is not None:
        return [v for v in ordered if v in present] + sorted(present - set(ordered))
    return sorted(present)


def groups(frame: pd.DataFrame, compare: str, rules: Rules | None = None) -> tuple[pd.Series, list[str]]:
    """Each row's group label under ``compare`` and the labels in display order."""
    rules = rules or load_rules()
    labels = value_labels(compare, rules)
    order = [labels.get(v, v) for v in options(frame, compare, rules)]
    raw = frame[compare].astype(object)
    return raw.map(lambda v: NOT_RECORDED if pd.isna(v) else labels.get(str(v), str(v))), order


def facet_counts(base: pd.DataFrame, selection: Selection, rule: Rule, rules: Rules | None = None
                 ) -> dict[str, Disclosed]:
    """For each facet, the number of mutuals per value given every other filter (disjunctive facets, so a
    count says what ticking that value would add). The overall status facet is disclosure-controlled."""
    rules = rules or load_rules()
    out = {}
    for column in FACETS:
        rows = apply(base, selection, skip=column)
        values = options(base, column, rules)
        counts = rows[column].astype(str).value_counts().reindex(values, fill_value=0)
        labels = value_labels(column, rules)
        if column in CONFIDENTIAL_FACETS:
            table = disclose("crosstab", pd.DataFrame([counts.to_numpy()], index=["mutuals"], columns=values), rule)
            frame = pd.DataFrame({"value": values, "label": [labels.get(v, v) for v in values],
                                  "count": table.frame.loc["mutuals", values].to_numpy()})
            mask = pd.DataFrame({"value": False, "label": False,
                                 "count": table.suppressed.loc["mutuals", values].to_numpy()})
            out[column] = Disclosed("facet", frame, mask, rule, table.notes)
        else:
            frame = pd.DataFrame({"value": values, "label": [labels.get(v, v) for v in values],
                                  "count": counts.to_numpy().astype(float)})
            out[column] = Disclosed("facet", frame, pd.DataFrame(False, index=frame.index, columns=frame.columns),
                                    rule)
    return out


def mutual_rows(selected: pd.DataFrame, selection: Selection, rule: Rule) -> Disclosed:
    """The selected mutuals' public attributes (none while the overall status is filtered on)."""
    why = ("The list of mutuals is hidden while the selection is filtered on overall status: it would reveal "
           "each listed mutual's status.") if selection.reveals_status else None
    ordered = selected.sort_values("name", kind="stable").assign(
        stage=selected["stage"].map(lambda s: STAGES.get(s, s)),
        spin_out_date=pd.to_datetime(selected["spin_out_date"]).dt.date).reset_index(drop=True)
    return disclose("rows", ordered, rule, hidden_because=why)
