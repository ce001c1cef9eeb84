"""The rules in words, rendered from the config: one wording for the methodology page, the
board-pack appendix and the README (whose tables ``cog`` regenerates from these functions)."""

from __future__ import annotations

from mutuals import formatting as fmt
from mutuals.rules import Indicator, Rules, load_rules


def signal_rule(rules: Rules | None = None) -> str:
    rules = rules or load_rules()
    order = " > ".join(rules.status_style(s).word.lower() for s in rules.rollup.signal_severity)
    return (f"A signal's status is the worst status of its indicators ({order}), so correlated indicators "
            "count once.")


def area_rules(rules: Rules | None = None) -> list[tuple[str, str]]:
    """(area status, rule) in the order applied."""
    rules = rules or load_rules()
    r = rules.rollup
    return [
        ("no_data", "No signal of the area is rated."),
        ("red", f"{r.area_red_min_red_signals} or more signals are red."),
        ("amber", f"{r.area_amber_min_red_signals} or more signals red (fewer than {r.area_red_min_red_signals}), "
                  f"or {r.area_amber_min_amber_signals} or more signals amber."),
        ("green", "Otherwise."),
    ]


def cliff_text(rules: Rules | None = None) -> str:
    rules = rules or load_rules()
    return " and ".join(rules.by_column(c).label.lower() for c in rules.overall.cliff)


def ladder_rules(rules: Rules | None = None) -> list[tuple[str, str]]:
    """(overall status, rule) in the order the code applies them; the first that holds wins."""
    rules = rules or load_rules()
    o = rules.overall
    return [
        ("ceased", "The mutual has stopped trading (its stage)."),
        ("pre_spin_out", "The mutual has not spun out yet (its stage)."),
        ("at_risk", f"The re-tender cliff ({cliff_text(rules)} both red), or {o.at_risk_min_red_areas} or "
                    "more areas red."),
        ("concern", f"{o.concern_min_red_areas} or more areas red (fewer than {o.at_risk_min_red_areas})."),
        ("watch", f"{o.watch_min_amber_areas} or more areas amber."),
        ("sustainable", "None of the above."),
    ]


def evidence_text(ind: Indicator) -> str:
    """'latest plan year, at most 24 months old' or 'measured on the as-of date'."""
    if ind.max_evidence_months is None:
        return "measured on the as-of date"
    return f"{ind.evidence}, at most {ind.max_evidence_months} months old"


def thresholds_in_units(ind: Indicator) -> tuple[str, str, str]:
    """Green, amber and red in the display unit, amber with both bounds: ('≥ 95%', '≥ 85% and < 95%', '< 85%')."""
    g, a = fmt.format_value(ind.green, ind.format), fmt.format_value(ind.amber, ind.format)
    if ind.direction == "higher":
        return f"≥ {g}", f"≥ {a} and < {g}", f"< {a}"
    return f"≤ {g}", f"> {g} and ≤ {a}", f"> {a}"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def readme_indicator_table(rules: Rules | None = None) -> str:
    """The README's indicator table (markdown), from the config."""
    rules = rules or load_rules()
    lines = ["| area | signal | indicator | green | amber | red | evidence |", "|---|---|---|---|---|---|---|"]
    for area in rules.areas:
        for signal in area.signals:
            for column in signal.indicators:
                ind = rules.by_column(column)
                g, a, r = thresholds_in_units(ind)
                lines.append(f"| {_md(area.short)} | {_md(signal.label)} | `{ind.column}` {_md(ind.label)} | "
                             f"{g} | {a} | {r} | {_md(evidence_text(ind))} |")
    return "\n".join(lines)


def readme_rules(rules: Rules | None = None) -> str:
    """The README's roll-up and ladder (markdown), from the config."""
    rules = rules or load_rules()
    lines = [signal_rule(rules), "", "An area's status is the first that applies:", ""]
    lines += [f"- **{rules.status_style(s).word}**: {text}" for s, text in area_rules(rules)]
    lines += ["", "A mutual's overall status is the first that applies:", ""]
    lines += [f"- **{rules.status_style(s).label}**: {text}" for s, text in ladder_rules(rules)]
    return "\n".join(lines)
