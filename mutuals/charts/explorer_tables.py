"""The explorer's display tables and the text helpers its charts and captions share (pure functions).

Every table is built from a :class:`~mutuals.services.disclosure.Disclosed` result: a suppressed cell reads
the rule's text, never a number.
"""

from __future__ import annotations

import pandas as pd

from mutuals import formatting as fmt
from mutuals.escape import cap
from mutuals.rules import Indicator, Rules, load_rules
from mutuals.services.disclosure import TOTAL, Disclosed

__all__ = ["at_risk_table", "medians_table", "status_mix_table"]

MISSING = "–"


# --------------------------------------------------------------------------- shared helpers


def indicator(column: str) -> Indicator:
    """The indicator's config (label, format) by its column key."""
    return load_rules().by_column(column)


def order(frame: pd.DataFrame, column: str = "group") -> list[str]:
    """The group labels (capped for display) in the frame's order."""
    return list(dict.fromkeys(cap(g) for g in frame[column])) if len(frame) else []


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with the group labels capped for display."""
    return frame.assign(group=frame["group"].map(cap))


def value(v, kind: str) -> str:
    """A value in the indicator's own format ('7.2/10', '34%')."""
    return fmt.format_value(v, kind)


def n_text(n) -> str:
    return f"n = {int(n):,}"


def count_text(v) -> str:
    return MISSING if fmt.is_missing(v) else f"{int(round(float(v))):,}"


def p_text(p: float | None) -> str | None:
    """'p = 0.031', 'p < 0.001' (None when no test was possible)."""
    if p is None or fmt.is_missing(p):
        return None
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def names(labels: list[str], limit: int = 3) -> str:
    """'A, B and C' (and 'and 2 more' past ``limit``)."""
    shown = [cap(x) for x in labels[:limit]]
    if len(labels) > limit:
        return f"{', '.join(shown)} and {len(labels) - limit} more"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def groups_word(n: int) -> str:
    return f"{n} group{'' if n == 1 else 's'}"


def status_label(key: str, rules: Rules | None = None) -> str:
    """'● At risk' (the overall ladder's symbol and word)."""
    rules = rules or load_rules()
    style = rules.overall_statuses.get(key)
    return style.label if style else str(key)


# --------------------------------------------------------------------------- tables


def medians_table(dist: Disclosed) -> pd.DataFrame:
    """Groups × indicator labels: '7.2/10 (n = 40)', or the rule's suppressed text."""
    frame, hidden = dist.frame, dist.suppressed
    rows: dict[str, dict[str, str]] = {}
    columns: list[str] = []
    for i in range(len(frame)):
        row = frame.iloc[i]
        label = str(row["indicator_label"])
        if label not in columns:
            columns.append(label)
        if bool(hidden["median"].iat[i]) or bool(hidden["n"].iat[i]):
            cell = dist.rule.text
        elif fmt.is_missing(row["median"]):
            cell = MISSING
        else:
            cell = f"{value(row['median'], indicator(row['indicator']).format)} ({n_text(row['n'])})"
        rows.setdefault(cap(row["group"]), {})[label] = cell
    table = pd.DataFrame.from_dict(rows, orient="index", dtype=object).reindex(columns=columns)
    return table.where(table.notna(), MISSING)


def at_risk_table(result) -> pd.DataFrame:
    """Groups × 'Year 0', 'Year 2', …: the rounded number at risk, or the rule's suppressed text."""
    shown = result.at_risk.shown()
    columns = [f"Year {y}" for y in sorted({int(y) for y in shown["years"]})]
    rows: dict[str, dict[str, object]] = {}
    for _, row in shown.iterrows():
        cell = row["at_risk"]
        cell = cell if isinstance(cell, str) else (MISSING if fmt.is_missing(cell) else int(round(float(cell))))
        rows.setdefault(cap(row["group"]), dict.fromkeys(columns, MISSING))[f"Year {int(row['years'])}"] = cell
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns, dtype=object)


def status_mix_table(mix: Disclosed, shares: Disclosed) -> pd.DataFrame:
    """Groups (and Total) × overall status: '12 (34%)', the Total column a count; suppressed cells read the
    rule's text."""
    rules = load_rules()
    statuses = [c for c in mix.frame.columns if c != TOTAL]
    out = {}
    for g in mix.frame.index:
        row = {}
        for c in [*statuses, TOTAL]:
            if bool(mix.suppressed.at[g, c]):
                row[c] = mix.rule.text
            elif c == TOTAL:
                row[c] = count_text(mix.frame.at[g, c])
            else:
                share = shares.frame.at[g, c] if g in shares.frame.index and c in shares.frame.columns else None
                row[c] = f"{count_text(mix.frame.at[g, c])} ({fmt.percent(share)})"
        out[cap(g)] = row
    table = pd.DataFrame.from_dict(out, orient="index", columns=[*statuses, TOTAL], dtype=object)
    return table.rename(columns={c: status_label(c, rules) for c in statuses})


# Column headers as shown (exports keep the column names).
HEADERS = {"group": "Group", "name": "Name", "sector": "Sector", "region": "Region", "legal_form": "Legal form",
           "ownership_model": "Ownership model", "spin_out_date": "Spin-out date", "stage": "Stage",
           "staff_count": "Staff", "indicator": "Indicator key", "indicator_label": "Indicator", "years": "Years",
           "median": "Median", "q1": "Lower quartile", "q3": "Upper quartile", "peaks": "Early peaks",
           "share": "Share", "ci_low": "CI low", "ci_high": "CI high"}  # the interval's level: the page says


def _cell(value: object) -> str:
    """A table cell as text: whole numbers without decimals, others to three decimals, missing as a dash."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, (int, float)) and float(value).is_integer():
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return str(value)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as shown on the page: group labels (an index of text) as a column, readable headers, every cell
    text (suppressed cells keep the rule's words; the exports keep full precision)."""
    shown = frame.reset_index(drop=frame.index.dtype != object)
    shown = shown.rename(columns={"index": "Group", **HEADERS})
    return shown.map(_cell) if len(shown) else shown
