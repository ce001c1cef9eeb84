"""One mutual's story: profile, rated indicators against a year earlier and the sector, histories,
and plain-language commentary for each factor. Used by the mutual page and the board pack."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from mutuals import formatting as fmt
from mutuals.rules import load_rules
from mutuals.services.commentary import commentary
from mutuals.services.indicators import QueryRunner, compute_indicators, resolve_as_of
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
    requested_as_of: date | None = None  # the date asked for; ``as_of`` is earlier when the mutual had ceased
    ceased_on: date | None = None        # the ceased date when it falls on or before the date asked for

    @property
    def is_ceased(self) -> bool:
        """Whether the view is cut at the mutual's ceased date (figures, cards and charts end there)."""
        return self.ceased_on is not None

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
    def reasons(self) -> tuple[str, ...]:
        """The deciding reasons for the overall status, in order (empty when the mutual does not appear yet)."""
        return tuple(self.indicators.get("overall_reasons") or ())

    @property
    def area_statuses(self) -> dict[str, str]:
        """Each area's status as of the date ('no_data' when the mutual does not appear yet)."""
        return {a.key: self.indicators.get(a.status_column) or "no_data" for a in load_rules().areas}

    @property
    def years_since_spin_out(self) -> float:
        return (pd.Timestamp(self.as_of) - pd.Timestamp(self.profile["spin_out_date"])).days / 365.25


def ceased_banner(view: MutualView) -> str | None:
    """'Ceased on 18 Jun 2015: figures are as of that date.' for a view cut at the ceased date, else None."""
    return f"Ceased on {fmt.day(view.ceased_on)}: figures are as of that date." if view.is_ceased else None


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
    requested = resolve_as_of(db, as_of)
    ceased = profile.get("ceased_date") if profile.get("status") == "ceased" else None
    ceased_on = ceased if ceased is not None and not fmt.is_missing(ceased) and ceased <= requested else None
    as_of = ceased_on or requested  # a ceased mutual's story ends on its ceased date
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
    financials = db.query("mutual_financials", **by_mutual)
    if ceased_on is not None:  # no plan year after the mutual stopped trading
        financials = financials[pd.to_datetime(financials["year_end"]) <= pd.Timestamp(as_of)].reset_index(drop=True)
    view = MutualView(
        mutual_id=mutual_id, as_of=as_of, previous_as_of=previous_as_of, synthetic=synthetic,
        profile=profile, indicators=now, previous=before,
        sector_medians=sector_medians(sector_frame),
        financials=financials,
        waves=db.query("mutual_waves", **by_mutual, min_respondents=min_resp),
        groups=db.query("mutual_engagement_groups", **by_mutual, min_respondents=min_resp),
        sector_engagement=db.query("sector_engagement_bands", sector=sector, as_of=as_of,
                                   min_respondents=min_resp, scope=scope),
        sector_finance=db.query("sector_finance_medians", sector=sector, as_of=as_of, scope=scope),
        sessions=db.query("mutual_sessions", **by_mutual, days_per_month=rules.days_per_month),
        innovations=db.query("mutual_innovations", **by_mutual),
        contracts=db.query("mutual_contracts", **by_mutual),
        reviews=db.query("mutual_reviews", **by_mutual),
        min_respondents=min_resp, requested_as_of=requested, ceased_on=ceased_on,
    )
    return MutualView(**{**view.__dict__, "commentary": commentary(view)})
