"""What the board pack says, as plain data for the Typst template (``boardpack.typ``).

Every value here is a string, number, bool, list or dict; the template prints strings as text, never
as markup. A table is ``{"header": [...], "rows": [[cell, ...], ...], "widths": [...]}`` where a cell
is a string or ``{"text": ..., "fill"/"ink": status colours, "bold", "muted", "note", "colspan", "align"}``.
A status is always shown as its colour plus symbol plus word (:func:`status_cell`). Suppressed survey
scores never get here: a suppressed wave's row says so instead of showing them.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from mutuals import formatting as fmt
from mutuals.escape import cap, plain
from mutuals.rules import Rules
from mutuals.services.mutual import FACTORS, MutualView, ceased_banner

SYNTHETIC_NOTICE = "Synthetic data: figures are invented for demonstration"
KICKER = "BOARD PACK · SUSTAINABILITY OF A PUBLIC SERVICE MUTUAL"
HEADER_NAME_MAX = 80  # the running header's name, cut so it stays on one line
# Invisible characters that Typst folds into the next glyph's text in the PDF: one word joiner before an
# "8" anywhere would make every "8" in the pack's text layer read as word joiner plus 8. Dropped.
INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff]")


def status_cell(status: str, **extra: Any) -> dict:
    """A status as a cell: its fill, its ink and its label (symbol + word), bold."""
    st = fmt.status_style(status)
    return {"text": st.label, "fill": st.colour, "ink": st.ink, "bold": True, **extra}


def _table(header: list[str], rows: list[list[Any]], widths: list[float], **extra: Any) -> dict:
    return {"header": header, "rows": rows, "widths": widths, **extra}


# ---------------------------------------------------------------------------------------------
# Cover

def profile_lines(view: MutualView) -> list[str]:
    p = view.profile
    first = [p.get("sector"), p.get("region"), p.get("legal_form"),
             f"{p['ownership_model']} ownership" if not fmt.is_missing(p.get("ownership_model")) else None]
    second = []
    if not fmt.is_missing(p.get("spin_out_date")):
        verb = "Spun out" if p["spin_out_date"] <= view.as_of else "Spin-out planned for"
        second.append(f"{verb} {fmt.day(p['spin_out_date'])}")
    if not fmt.is_missing(p.get("staff_count")):
        second.append(f"{fmt.count(p['staff_count'])} staff")
    if not fmt.is_missing(p.get("parent_commissioner_name")):
        second.append(f"parent commissioner: {p['parent_commissioner_name']}")
    if not fmt.is_missing(p.get("ceased_date")) and fmt.as_date(p["ceased_date"]) <= view.as_of:
        second.append(f"ceased trading {fmt.day(p['ceased_date'])}")
    lines = [" · ".join(str(x) for x in first if x and not fmt.is_missing(x)), " · ".join(second)]
    return [line for line in lines if line]


def reasons(view: MutualView) -> list[str]:
    if view.reasons:
        return list(view.reasons)
    if not view.indicators:
        return [f"{view.name} does not appear in the data as of {fmt.day(view.as_of)}; "
                f"the status follows its stage ({fmt.STAGE_WORDS.get(view.stage, view.stage)})."]
    return ["No reasons were recorded for this status."]


def glance_table(view: MutualView, table: pd.DataFrame, rules: Rules) -> dict:
    """Per area: its status, then how many of its indicators are in each status."""
    order = list(rules.statuses)
    rows = []
    for factor in FACTORS:
        counts = table.loc[table["area_key"] == factor, "status"].value_counts()
        rows.append([rules.area(factor).label, status_cell(view.area_statuses[factor])]
                    + [{"text": str(int(counts.get(s, 0))), "align": "center"} for s in order])
    header = ["Area", "Area status"] + [status_cell(s, align="center") for s in order]
    rest = 0.56 / len(order)
    return _table(header, rows, [0.26, 0.18] + [rest] * len(order))


# ---------------------------------------------------------------------------------------------
# Sections

def _evidence(row: dict) -> Any:
    """The evidence date, with 'stale: not rated' under it when it is too old to rate."""
    if fmt.is_missing(row.get("evidence_date")):
        return "–"
    text = fmt.day(row["evidence_date"])
    return {"text": text, "note": "⌛ stale: not rated"} if row.get("stale") else text


def indicator_table(rows: pd.DataFrame, view: MutualView) -> dict:
    """Indicator | Value | Status | Evidence | Change since a year earlier | Sector median (n)."""
    out = []
    for r in rows.to_dict("records"):
        median = "–" if not r["sector_n"] else f"{r['sector_median_text']} (n = {r['sector_n']})"
        out.append([{"text": r["label"], "bold": True}, r["value_text"], status_cell(r["status"]), _evidence(r),
                    r["change_text"], median])
    return _table(["Indicator", "Value", "Status", "Evidence", f"Change since {fmt.day(view.previous_as_of)}",
                   "Sector median (n)"], out, [0.27, 0.14, 0.13, 0.13, 0.15, 0.18])


def waves_table(view: MutualView, limit: int = 6) -> dict | None:
    """The latest survey waves; a suppressed wave's scores are never printed."""
    waves = view.waves
    if waves is None or not len(waves):
        return None
    rows = []
    for w in waves.sort_values("survey_date").tail(limit).iloc[::-1].to_dict("records"):
        if bool(w.get("suppressed")):
            scores = [{"text": f"suppressed (n < {view.min_respondents})", "colspan": 4, "muted": True}]
        else:
            scores = [fmt.score10(w.get(c)) for c in ("engagement_score", "motivation", "involvement", "advocacy")]
        rows.append([fmt.day(w["survey_date"]), fmt.PHASE_WORDS.get(w.get("phase"), str(w.get("phase") or "–")),
                     fmt.count(w.get("respondents")), fmt.percent(w.get("response_rate")), *scores])
    return _table(["Survey", "Phase", "Respondents", "Response rate", "Engagement", "Motivation", "Involvement",
                   "Advocacy"], rows, [0.13, 0.15, 0.11, 0.12, 0.13, 0.12, 0.12, 0.12],
                  title="Latest staff surveys",
                  note=f"Waves with fewer than {view.min_respondents} respondents are suppressed: "
                       "their scores are not shown.")


def contracts_table(view: MutualView, limit: int = 8) -> dict | None:
    contracts = view.contracts
    if contracts is None or not len(contracts):
        return None
    active = contracts[contracts["active"].astype(bool)].sort_values("annual_value", ascending=False)
    if not len(active):
        return None
    rows = [[c["title"], c["commissioner_name"], fmt.money(c["annual_value"]), fmt.day(c["start_date"]),
             fmt.day(c["end_date"]), fmt.day(c["max_end_date"]), "yes" if bool(c["is_spin_out_contract"]) else "no"]
            for c in active.head(limit).to_dict("records")]
    return _table(["Active contract", "Commissioner", "Annual value", "Start", "Ends", "Latest possible end",
                   "Spin-out contract"], rows, [0.27, 0.22, 0.1, 0.1, 0.1, 0.12, 0.09], title="Active contracts")


def financials_table(view: MutualView, limit: int = 5) -> dict | None:
    fin = view.financials
    if fin is None or not len(fin) or "income_total" not in fin:
        return None
    actual = fin[fin["income_total"].notna()].sort_values("year_end").tail(limit)
    if not len(actual):
        return None
    rows = [[fmt.day(y["year_end"]), fmt.money(y["income_total"]), fmt.money(y["expenditure"]),
             fmt.percent(y["surplus_margin"]), fmt.percent(y["income_growth"]), fmt.money(y["unrestricted_reserves"]),
             fmt.months(y["reserves_months"]),
             "–" if fmt.is_missing(y["non_parent_share"]) else fmt.percent(1 - y["non_parent_share"])]
            for y in actual.to_dict("records")]
    return _table(["Year end", "Income", "Expenditure", "Surplus margin", "Income growth", "Unrestricted reserves",
                   "Reserves cover", "From parent"], rows, [0.13, 0.11, 0.12, 0.12, 0.12, 0.15, 0.13, 0.12],
                  title="Financial years")


EXTRA_TABLES = {"engagement": waves_table, "relationship": contracts_table, "finance": financials_table}


def section(view: MutualView, number: int, factor: str, rules: Rules, rows: pd.DataFrame,
            charts: list[dict]) -> dict:
    extra = EXTRA_TABLES.get(factor)
    return {
        "title": f"{number}  {rules.area(factor).label}",
        "status": status_cell(view.area_statuses[factor]),
        "commentary": " ".join(view.commentary.get(factor) or []),
        "indicators": indicator_table(rows, view),
        "extra": extra(view) if extra else None,
        "charts": charts,
    }


# ---------------------------------------------------------------------------------------------
# Appendix: the methodology page, from the same content builder

def _method_table(table) -> dict:
    """A methodology table; status header cells and row heads show their status's colour, symbol and word."""
    n = len(table.header)
    header_status = table.header_status or (None,) * n
    header = [status_cell(s, text=h) if s else h for h, s in zip(table.header, header_status)]
    rows = []
    for i, row in enumerate(table.rows):
        status = table.row_status[i] if table.row_status else None
        rows.append([status_cell(status, text=row[0]) if status else row[0], *row[1:]])
    return _table(header, rows, list(table.widths) if len(table.widths) == n else [1.0] * n)


def appendix(view: MutualView, rules: Rules) -> dict:
    from mutuals.reports.methodology import methodology

    intro = (f"This appendix prints the dashboard's methodology page (/methodology) from the same rules. The "
             f"figures in this pack are as of {fmt.day(view.as_of)}; ‘change’ compares each value with "
             f"{fmt.day(view.previous_as_of)}, and the sector median is taken over the trading mutuals of the same "
             f"sector ({view.profile.get('sector')}), with n the number that have a value.")
    if view.min_respondents != rules.min_respondents:
        intro += (f" This pack suppresses survey results from fewer than {view.min_respondents} respondents "
                  f"(the configured minimum is {rules.min_respondents}).")
    sections = [{"title": s.title, "level": s.level, "paragraphs": list(s.paragraphs),
                 "facts": [list(f) for f in s.facts], "takeaway": s.takeaway,
                 "tables": [_method_table(t) for t in s.tables]}
                for s in methodology(rules, dataset={"synthetic": "true" if view.synthetic else "false"})]
    return {"title": "Appendix: methodology", "intro": intro, "sections": sections}


# ---------------------------------------------------------------------------------------------
# The whole pack

def pack_data(view: MutualView, table: pd.DataFrame, charts: dict[str, list[dict]], rules: Rules) -> dict:
    """Everything the template prints, as plain data with every string cleaned of bidi and control characters
    (chart SVGs, under the key ``svg``, are images and pass through as they are)."""
    as_of = fmt.day(view.as_of)
    data = {
        "document": {"title": f"Board pack: {cap(view.name)}", "author": "Mutuals Sustainability",
                     "description": f"Sustainability board pack as of {view.as_of.isoformat()}"
                                    + (f" ({SYNTHETIC_NOTICE})" if view.synthetic else "")},
        "name": cap(view.name),
        "header_name": cap(view.name, HEADER_NAME_MAX),
        "running_head": f"Board pack · As of {as_of}",
        "synthetic": bool(view.synthetic),
        "footer_note": f"{SYNTHETIC_NOTICE}." if view.synthetic else "Source: the mutuals sustainability data set.",
        "notice": [f"{SYNTHETIC_NOTICE}.", "The organisation, its people and its numbers are generated by a "
                   "seeded program; no real mutual is described."] if view.synthetic else None,
        "kicker": KICKER,
        "profile": profile_lines(view),
        "as_of": as_of,
        "previous_as_of": fmt.day(view.previous_as_of),
        "overall": status_cell(view.overall_status),
        "stage": f"Stage: {fmt.STAGE_WORDS.get(view.stage, view.stage)}"
                 + (f" · {ceased_banner(view)}" if view.is_ceased else ""),
        "reasons": reasons(view),
        "glance": glance_table(view, table, rules),
        "sections": [section(view, n, f, rules, table[table["area_key"] == f], charts.get(f, []))
                     for n, f in enumerate(FACTORS, start=1)],
        "appendix": appendix(view, rules),
    }
    return clean(data)


def clean(value: Any, key: str = "") -> Any:
    """``value`` with every string passed through :func:`plain` and without :data:`INVISIBLE` characters (any
    other scalar made a string, too)."""
    if key == "svg" or value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dict):
        return {k: clean(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return INVISIBLE.sub("", plain(value))
