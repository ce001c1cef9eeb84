"""The methodology as structured content, built from the rules: one source for the methodology page
and the board-pack appendix, so the two cannot say different things.

``methodology(rules, backtest=..., dataset=..., data_date=...)`` returns a list of
:class:`Section`, each with a title, an anchor, paragraphs, labelled facts and tables whose cells
are plain strings (the renderers escape them). Status cells carry the status key, so a renderer can
show colour plus symbol plus word. Nothing here imports Streamlit or reportlab.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Mapping

import pandas as pd

from mutuals import formatting as fmt
from mutuals.reports import rules_text
from mutuals.rules import Indicator, Rules, load_rules

CONFIG_NAME = "mutuals/config/indicators.toml"


@dataclass(frozen=True)
class Table:
    """A table of plain strings. ``header_status`` / ``row_status``: the status key (or None) of each
    header cell / of each row's first cell, for renderers to colour; ``widths``: relative widths."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    header_status: tuple[str | None, ...] = ()
    row_status: tuple[str | None, ...] = ()
    widths: tuple[float, ...] = ()
    key: str = ""  # a name for exports, e.g. 'backtest-pooled'


@dataclass(frozen=True)
class Section:
    """One section: ``level`` 2 is a section, 3 an indicator under 'Indicators' (anchor = its column)."""

    title: str
    anchor: str
    paragraphs: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()   # (label, text), shown as 'label: text'
    tables: tuple[Table, ...] = ()
    level: int = 2
    indicator: str | None = None
    takeaway: str = ""   # the section's finding in numbers (the page shows it as its chart's caption)


# ---------------------------------------------------------------------------------------------
# Indicator texts


def prose(rules: Rules, ind: Indicator, template: str) -> str:
    """Config prose with its placeholders filled: the settings, and ``{green}`` / ``{amber}`` in the
    indicator's display unit."""
    return rules.text(template, green=fmt.format_value(ind.green, ind.format),
                      amber=fmt.format_value(ind.amber, ind.format))


def max_age_text(ind: Indicator) -> str:
    return "–" if ind.max_evidence_months is None else f"{ind.max_evidence_months} months"


def evidence_sentence(ind: Indicator) -> str:
    if ind.max_evidence_months is None:
        return "Measured on the as-of date itself, so it cannot go stale (no maximum evidence age)."
    return (f"Rests on the {ind.evidence}. Maximum evidence age: {ind.max_evidence_months} months; older evidence "
            "on the as-of date is stale: the value is still shown with its date, but it is rated no data.")


def _where(rules: Rules, ind: Indicator) -> str:
    area = rules.area(ind.area)
    signal = next(s for s in area.signals if s.key == ind.signal)
    return f"{area.label} area, {signal.label} signal"


def indicator_section(rules: Rules, ind: Indicator) -> Section:
    rule, units = ind.threshold_text(), rules_text.thresholds_in_units(ind)
    words = tuple(rules.status_style(s).label for s in ("green", "amber", "red"))
    better = "higher" if ind.direction == "higher" else "lower"
    table = Table((f"Test ({better} is better)", *words), (("As configured", *rule), ("In display units", *units)),
                  header_status=(None, "green", "amber", "red"), widths=(0.2, 0.2, 0.4, 0.2))
    facts = (
        ("Where", f"{_where(rules, ind)}; column {ind.column} (and {ind.status_column} in exports)"),
        ("What it measures and why", prose(rules, ind, ind.why)),
        ("How it is calculated", rules.text(ind.definition)),
        ("Evidence", evidence_sentence(ind)),
        ("Source", prose(rules, ind, ind.source)),
    )
    return Section(ind.label, ind.column, facts=facts, tables=(table,), level=3, indicator=ind.column)


def ordered_indicators(rules: Rules) -> list[Indicator]:
    """Indicators by area, then signal (the order of the config's areas)."""
    return [rules.by_column(c) for a in rules.areas for s in a.signals for c in s.indicators]


# ---------------------------------------------------------------------------------------------
# Sections


def _overview(rules: Rules) -> Section:
    areas = [a.label for a in rules.areas]
    area_list = ", ".join(areas[:-1]) + f" and {areas[-1]}" if len(areas) > 1 else areas[0]
    return Section("How a status is worked out", "how-it-works", paragraphs=(
        f"{len(rules.indicators)} indicators are computed from the data as of a date (the as-of date: by default "
        "the latest recorded event, never today's date). Each is rated green, amber or red against the thresholds "
        "below; a missing value, or one whose evidence is too old, is rated no data.",
        f"Correlated indicators form one signal inside an area, and a signal counts once. Each of the "
        f"{len(areas)} areas ({area_list}) is rated from its signals, and a mutual's overall status from its "
        "stage and its areas, with plain-language reasons that name the rule that decided it. The escalation "
        "follows the idea of the Care Quality Commission's market oversight ladder (regular monitoring, "
        "potential concerns, sustainability concerns, significant risk, formal notice of likely failure), "
        "which observes that quality and finance decline together.",
        f"Every definition, threshold, evidence age and rule here is read from the rules configuration "
        f"({CONFIG_NAME}), the same file the dashboard, the board pack and the command line rate with.",
    ))


def _areas(rules: Rules) -> Section:
    rows = tuple((a.label, s.label, "; ".join(rules.by_column(c).label for c in s.indicators))
                 for a in rules.areas for s in a.signals)
    return Section("Areas and signals", "areas", paragraphs=(
        "The areas are the three factors that decide whether a mutual lasts after spin-out (leadership and "
        "strategy, staff engagement and ownership, the commissioner relationship) and its finances. Inside an "
        "area, indicators that measure the same thing form one signal.",
    ), tables=(Table(("Area", "Signal", "Indicators"), rows, widths=(0.25, 0.2, 0.55)),))


def _area_status(rules: Rules) -> Section:
    rows = rules_text.area_rules(rules)
    table = Table(("Area status", "Rule"), tuple((rules.status_style(s).label, text) for s, text in rows),
                  row_status=tuple(s for s, _ in rows), widths=(0.18, 0.82))
    return Section("Area status", "area-status", paragraphs=(
        rules_text.signal_rule(rules), "An area's status is the first of these that applies, checked in this order:",
    ), tables=(table,))


def _overall(rules: Rules) -> Section:
    rows = rules_text.ladder_rules(rules)
    table = Table(("Overall status", "Rule"), tuple((rules.status_style(s).label, text) for s, text in rows),
                  row_status=tuple(s for s, _ in rows), widths=(0.18, 0.82))
    cliff = rules_text.cliff_text(rules)
    return Section("Overall status", "overall-status", paragraphs=(
        "A mutual's overall status is the first of these that applies, checked in this order: the stage first "
        "(a pre-spin-out mutual's indicators are rated, but its overall status follows its stage), then the "
        "ratings of its areas.",
        f"The re-tender cliff is {cliff} {'both' if len(rules.overall.cliff) == 2 else 'all'} red at once: most losses come at re-tender, and a mutual that "
        "depends on its parent as the main contract nears its end has the least room to recover.",
    ), tables=(table,))


def _indicators(rules: Rules) -> list[Section]:
    rows = []
    for ind in ordered_indicators(rules):
        g, a, r = rules_text.thresholds_in_units(ind)
        rows.append((rules.area(ind.area).short, _where(rules, ind).split(", ")[1].removesuffix(" signal"),
                     ind.label, g, a, r, rules_text.evidence_text(ind)))
    words = tuple(rules.status_style(s).label for s in ("green", "amber", "red"))
    summary = Table(("Area", "Signal", "Indicator", *words, "Evidence"), tuple(rows),
                    header_status=(None, None, None, "green", "amber", "red", None),
                    widths=(0.1, 0.11, 0.2, 0.1, 0.16, 0.1, 0.23))
    head = Section("Indicators", "indicators", paragraphs=(
        "For each indicator: what it measures and why it matters, how it is calculated, its thresholds (as "
        "configured and in the unit the dashboard shows), how old its evidence may be, and its source. "
        "Where higher is better, a value at or above the green line is green and one at or above the amber "
        "line is amber; where lower is better, the reverse. Anything else is red.",
    ), tables=(summary,))
    return [head] + [indicator_section(rules, ind) for ind in ordered_indicators(rules)]


def _evidence(rules: Rules) -> Section:
    rows = tuple((ind.label, ind.evidence or "measured on the as-of date", max_age_text(ind))
                 for ind in ordered_indicators(rules))
    return Section("Evidence age and stale evidence", "evidence-age", paragraphs=(
        "Indicators that rest on a dated row (a financial year, a plan year, a survey wave, a review) carry the "
        "date of that evidence. Evidence older than its maximum age on the as-of date is stale: the value is "
        "still shown with its date, but it is rated no data, and the reasons say so. Indicators measured on the "
        "as-of date itself (months since a session, contract horizons, shares of active contracts) cannot go "
        "stale.",
    ), tables=(Table(("Indicator", "Evidence", "Maximum age"), rows, widths=(0.35, 0.45, 0.2)),))


def _suppression(rules: Rules) -> Section:
    n = rules.min_respondents
    return Section("Small numbers: survey suppression", "suppression", paragraphs=(
        f"Staff-survey results from fewer than {n} respondents are suppressed: the score is never shown, only "
        f"‘suppressed (n < {n})’, on screen, in exports and in the board pack. The minimum is min_respondents in "
        "the rules configuration, following NHS Staff Survey practice (the GP Patient Survey's threshold is 10).",
        "Secondary suppression: in a breakdown by staff group, when exactly one group of a wave is suppressed, "
        "the next smallest group is suppressed too, so that no one can get the hidden figure back by "
        "subtracting from the wave's total.",
        "Engagement change from peak compares unsuppressed waves only; when the latest wave is suppressed, the "
        "engagement score has no data.",
    ))


def _explorer(rules: Rules) -> Section:
    e = rules.explorer

    def bands(items) -> str:
        return ", ".join(b.label for b in items)

    return Section("The explorer: groups and disclosure control", "explorer", paragraphs=(
        "The researcher explorer (/explorer) compares groups of mutuals and never shows one mutual's "
        "confidential figures: its mutual list holds public attributes only (name, sector, region, legal form, "
        "ownership model, spin-out date, stage and staff count), and every table, chart, caption and export "
        "passes one disclosure function.",
        f"Group minimum: a group statistic (median, quartiles, share, survival estimate) over fewer than "
        f"{e.min_group} mutuals is suppressed and reads ‘{e.suppressed}’. Survey waves with fewer than "
        f"{rules.min_respondents} respondents enter no statistic.",
        f"Cross-tabs: a count from 1 to {e.min_group - 1} is suppressed; then, wherever a row or column (its total "
        "included) would keep exactly one suppressed cell, the next smallest is suppressed too, so no hidden count "
        "can be recovered by subtracting from a total.",
        f"Survival after spin-out (Kaplan–Meier, {e.confidence:.0%} confidence bands, log-rank test): event times "
        f"are whole years, a curve ends where fewer than {e.min_group} mutuals are at risk, and at-risk counts are "
        f"rounded to the nearest {e.at_risk_round} (shown at years {', '.join(map(str, e.at_risk_years))}).",
        f"Journeys follow each mutual's indicators on {date(2000, *e.panel_day):%-d %B} of each year, computed once "
        "when the data are loaded by the same SQL as every other indicator.",
        f"Spin-out cohorts: {bands(e.cohorts)}. Size bands: {bands(e.size_bands)}.",
    ))


def _symbols(rules: Rules) -> Section:
    rows, keys = [], []
    for kind, styles in (("indicator, signal and area", rules.statuses), ("overall", rules.overall_statuses)):
        for key, style in styles.items():
            rows.append((style.label, style.symbol, style.word, kind, style.colour))
            keys.append(key)
    return Section("Status symbols", "status-symbols", paragraphs=(
        "Status is never shown by colour alone: always colour, symbol and word. The colours are from the "
        "Okabe-Ito palette, which people with colour-vision deficiency can tell apart; the text colour on each "
        "fill is chosen for contrast.",
    ), tables=(Table(("Status", "Symbol", "Word", "Used for", "Colour"), tuple(rows), row_status=tuple(keys),
                     widths=(0.2, 0.12, 0.2, 0.3, 0.18)),))


def _words(items) -> str:
    return " or ".join(str(i).replace("_", " ") for i in items)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return str(value)


def _frame_table(frame: pd.DataFrame, key: str, row_status: tuple[str | None, ...] = ()) -> Table:
    rows = tuple(tuple(_cell(v) for v in row) for row in frame.itertuples(index=False))
    return Table(tuple(str(c) for c in frame.columns), rows, row_status=row_status, key=key)


def is_synthetic(dataset: Mapping[str, str] | None) -> bool:
    return bool(dataset) and str(dataset.get("synthetic", "")).lower() == "true"


def backtest_note(dataset: Mapping[str, str] | None) -> str:
    """What the backtest can and cannot show on this data."""
    if is_synthetic(dataset):
        return ("These are synthetic data: the generator draws the adverse events (lost re-tenders, hand-backs, "
                "ceasing) from a hidden health that the recorded figures only read noisily, so the backtest shows "
                "whether the rules detect the generator's causal story, not whether they predict real failures. "
                "On real data it is a real test.")
    return ("These data are not marked synthetic: the backtest is a real test of how the rules would have warned "
            "on them, within the limits of the small numbers of events in any real sample.")


def _backtest(rules: Rules, result, dataset: Mapping[str, str] | None) -> Section:
    from mutuals.services import backtest_tables as bt_text

    bt = rules.backtest
    horizon = result.horizon_years if result is not None else bt.horizon_years
    method = (f"The rules are replayed on the whole loaded data set (all mutuals, whatever filters are set) at "
              f"as-of dates one, two, three… years before the data date whose {horizon}-year horizon ends inside "
              f"the data, keeping dates on which at least {bt.min_trading} mutuals trade. For each mutual trading "
              f"on such a date, an adverse event is that it ceased within {horizon} years, or that its main "
              f"contract on that date ended within {horizon} years with the outcome "
              f"{_words(bt.adverse_outcomes)}. Event rates per overall "
              f"status are pooled over the dates, with {bt.confidence:.0%} Wilson intervals; the lift of a status "
              f"is its event rate over the pooled rate of all trading mutuals, and recall is the share of all "
              f"events flagged {_words(bt.flagged)} on the date.")
    if result is None:
        return Section("Backtest", "backtest", paragraphs=(method, (
            "The backtest of these rules on the loaded data is on the dashboard's methodology page "
            "(/methodology#backtest), and python -m mutuals backtest prints it.")))
    tables: tuple[Table, ...] = ()
    if not result.is_empty:
        pooled = bt_text.pooled_table(result)
        tables = (_frame_table(pooled, "backtest-pooled", tuple(result.pooled["overall_status"])),
                  _frame_table(bt_text.date_table(result), "backtest-by-date"))
    return Section("Backtest", "backtest", paragraphs=(method, backtest_note(dataset)), tables=tables,
                   takeaway=bt_text.headline(result))


DATASET_KEYS = {"synthetic": "Synthetic", "generator": "Generator", "seed": "Seed", "mutuals": "Mutuals",
                "data_date": "Data date", "source": "Source", "imported": "Imported"}


def _data(dataset: Mapping[str, str] | None, data_date: date | None) -> Section:
    paragraphs = []
    if data_date is not None:
        paragraphs.append(f"Data date: {fmt.day(data_date)} (the latest recorded event; the default as-of date).")
    if dataset is not None:
        if is_synthetic(dataset):
            how = ", ".join(f"{k} {dataset[k]}" for k in ("generator", "seed") if dataset.get(k))
            paragraphs.append("Provenance: synthetic sample data, seeded and generated" + (f" ({how})" if how else "")
                              + "; no real organisation's figures are shown.")
        else:
            paragraphs.append("Provenance: imported data (not marked synthetic).")
    paragraphs.append("Command line (see the README): python -m mutuals indicators [--as-of YYYY-MM-DD] "
                      "[--format csv|json] prints every indicator with its status, evidence date and the reasons "
                      "for each overall status; python -m mutuals backtest [--horizon-years N] "
                      "[--format table|csv|json] prints the backtest.")
    tables = ()
    if dataset:
        def shown(key: str, value) -> str:
            if key == "synthetic":
                return "yes" if str(value).lower() == "true" else "no"
            return str(value)

        rows = tuple((DATASET_KEYS.get(k, k), shown(k, v)) for k, v in sorted(dataset.items()))
        tables = (Table(("Dataset fact", "Value"), rows, widths=(0.3, 0.7), key="dataset-info"),)
    return Section("Data and command line", "data", paragraphs=tuple(paragraphs), tables=tables)


def methodology(rules: Rules | None = None, *, backtest=None, dataset: Mapping[str, str] | None = None,
                data_date: date | None = None) -> list[Section]:
    """The methodology, in the order shown: how it works, areas and signals, the area and overall rules, every
    indicator, evidence age, suppression, status symbols, the backtest (``backtest``: a BacktestResult, or None
    for a pointer to the page) and the data (``dataset``: the dataset_info facts)."""
    rules = rules or load_rules()
    return [_overview(rules), _areas(rules), _area_status(rules), _overall(rules), *_indicators(rules),
            _evidence(rules), _suppression(rules), _explorer(rules), _symbols(rules), _backtest(rules, backtest, dataset),
            _data(dataset, data_date)]


def section_text(section: Section) -> str:
    """All the text of a section as plain lines (for tests and plain-text exports)."""
    lines = [section.title, *section.paragraphs, *(f"{label}: {text}" for label, text in section.facts)]
    lines += [section.takeaway] if section.takeaway else []
    for table in section.tables:
        lines += [" | ".join(table.header)] + [" | ".join(row) for row in table.rows]
    return "\n".join(lines)
