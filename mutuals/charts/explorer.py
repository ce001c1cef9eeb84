"""The researcher explorer's charts and their takeaway captions (pure functions of disclosed frames).

Every builder reads a :class:`~mutuals.services.disclosure.Disclosed` result only: charts draw its visible
rows (nothing suppressed), captions name a suppressed group as suppressed and never give its numbers, and
no mark or tooltip carries a mutual's name. Group views show no single mutual's value: no points per
mutual, no whiskers (a minimum or maximum is one mutual's figure).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from mutuals import formatting as fmt
from mutuals.charts import explorer_tables as tb
from mutuals.charts.explorer_tables import at_risk_table, medians_table, status_mix_table
from mutuals.charts.theme import INK, MUTED_INK
from mutuals.rules import Rules, load_rules
from mutuals.services.disclosure import TOTAL, Disclosed

__all__ = ["PALETTE", "Y_TITLES", "at_risk_table", "distribution_caption", "distribution_chart",
           "early_peak_caption", "early_peak_chart", "journey_caption", "journey_chart", "medians_table",
           "status_mix_caption", "status_mix_chart", "status_mix_table", "survival_caption", "survival_chart"]

# Okabe-Ito for lines and bands; black replaces the yellow (too faint for a line on white), grey is eighth.
SUPPRESSED_FILL = "#BBBBBB"  # the suppressed part of a status-mix bar (labelled in the legend)
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999"]
Y_TITLES = {"ceasing": "Still trading", "parent_contract_loss": "Not yet lost a parent contract"}
RULE_INK = "#555555"
YEARS_TITLE = "Years since spin-out"

_AXIS = {"percent": {"format": ".0%"}, "points": {"labelExpr": "format(datum.value * 100, '+.0f') + ' pts'"},
         "months": {"format": ",.1f"}, "score10": {"format": ".1f"}, "score_change": {"format": "+.1f"},
         "per100": {"format": ".1f"}, "rating5": {"format": ".1f"},
         "money": {"labelExpr": "'£' + format(datum.value, '.2~s')"}, "count": {"format": ",d"}}
_UNITS = {"months": " (months)", "score10": " (out of 10)", "rating5": " (out of 5)", "per100": " (per 100 staff)",
          "points": " (percentage points)", "score_change": " (points)"}


def _value_axis(kind: str) -> alt.Axis:
    return alt.Axis(**_AXIS.get(kind, {"format": ",.1f"}))


def _title(ind) -> str:
    return f"{ind.label}{_UNITS.get(ind.format, '')}"


def _group_y(title: str | None, groups: list[str]) -> alt.Y:
    return alt.Y("group:N", sort=groups, title=title, axis=alt.Axis(labelLimit=220))


def _colour(groups: list[str], title: str | None = None) -> alt.Color:
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(groups))]
    return alt.Color("group:N", sort=groups, title=title, scale=alt.Scale(domain=groups, range=colours),
                     legend=alt.Legend(orient="bottom", columns=4, labelLimit=220, symbolOpacity=1))


def _years_x() -> alt.X:
    return alt.X("years:Q", title=YEARS_TITLE, axis=alt.Axis(format="d", tickMinStep=1))


def _k(disclosed: Disclosed) -> int:
    return disclosed.rule.k


def _ranges(low: pd.Series, high: pd.Series, show) -> list[str]:
    """'6.1/10 to 7.4/10' per row."""
    return [f"{show(a)} to {show(b)}" for a, b in zip(low, high)]


def _year(y) -> str:
    y = int(y)
    return f"year {fmt.MINUS}{abs(y)}" if y < 0 else f"year {y}"


# --------------------------------------------------------------------------- distributions


def _for(disclosed: Disclosed, column: str) -> tuple[pd.DataFrame, pd.Series]:
    """One indicator's rows of the frame, and which of them are suppressed."""
    rows = disclosed.frame["indicator"] == column
    return disclosed.frame[rows], disclosed.suppressed[rows].any(axis=1)


def distribution_chart(dist: Disclosed, indicator: str, dimension_label: str) -> alt.LayerChart | None:
    """Per group: the interquartile range as a bar, the median as a tick and 'n = 12' beside it."""
    ind = tb.indicator(indicator)
    rows = dist.visible()
    rows = rows[rows["indicator"] == indicator]
    if rows.empty:
        return None
    data = tb.labelled(rows)[["group", "n", "median", "q1", "q3"]]
    show = lambda v: tb.value(v, ind.format)  # noqa: E731
    data = data.assign(n_text=data["n"].map(tb.n_text), median_text=data["median"].map(show),
                       iqr_text=_ranges(data["q1"], data["q3"], show))
    tips = [alt.Tooltip("group:N", title=dimension_label), alt.Tooltip("median_text:N", title="Median"),
            alt.Tooltip("iqr_text:N", title="Middle half"), alt.Tooltip("n_text:N", title="Mutuals")]
    base = alt.Chart(data).encode(y=_group_y(dimension_label, tb.order(data)), tooltip=tips)
    x = alt.X("q1:Q", title=f"{_title(ind)}: median (tick) and middle half (bar)", axis=_value_axis(ind.format),
              scale=alt.Scale(zero=False))
    bar = base.mark_bar(color=PALETTE[0], opacity=0.45, size=18).encode(x=x, x2="q3:Q")
    tick = base.mark_tick(color=INK, thickness=3, size=26).encode(x="median:Q")
    label = base.mark_text(align="left", dx=6, color=INK).encode(x="q3:Q", text="n_text:N")
    return alt.layer(bar, tick, label).properties(width="container", height=alt.Step(34))


def distribution_caption(dist: Disclosed, indicator: str, dimension_label: str) -> str:
    """'By sector, median engagement score is highest for A (7.2/10, n = 40) and lowest for B (…); …'."""
    ind = tb.indicator(indicator)
    rows, hidden = _for(dist, indicator)
    shown = rows[~hidden]
    suppressed = list(rows.loc[hidden, "group"])
    lead = f"By {dimension_label.lower()}, median {ind.label.lower()}"
    k = _k(dist)
    if shown.empty:
        return (f"No group has {k} or more mutuals with a {ind.label.lower()}: "
                f"{'the group is' if len(rows) == 1 else f'all {len(rows)} groups are'} suppressed.")

    def stat(r) -> str:
        return f"{tb.value(r['median'], ind.format)}, {tb.n_text(r['n'])}"

    ranked = shown.sort_values("median", kind="stable")
    high, low = ranked.iloc[-1], ranked.iloc[0]
    if len(shown) == 1:
        text = (f"{lead} is {tb.value(high['median'], ind.format)} for {tb.names([high['group']])} "
                f"({tb.n_text(high['n'])}).")
    elif high["median"] == low["median"]:
        text = f"{lead} is {tb.value(high['median'], ind.format)} in each of the {len(shown)} groups shown."
    else:
        text = (f"{lead} is highest for {tb.names([high['group']])} ({stat(high)}) and lowest for "
                f"{tb.names([low['group']])} ({stat(low)}).")
    if suppressed:
        text += (f" {tb.groups_word(len(suppressed))} suppressed (fewer than {k} mutuals): {tb.names(suppressed)}.")
    return text


# --------------------------------------------------------------------------- journeys


def journey_chart(journeys: Disclosed, indicator: str,
                  dimension_label: str | None = None) -> alt.LayerChart | None:
    """Per group, the median by year since spin-out (line and points) with its interquartile band; a line
    breaks where a year is suppressed."""
    ind = tb.indicator(indicator)
    rows = journeys.visible()
    rows = rows[rows["indicator"] == indicator]
    if rows.empty:
        return None
    data = tb.labelled(rows)[["group", "years", "n", "median", "q1", "q3"]].copy()
    data["years"] = data["years"].astype(int)
    data = data.sort_values(["group", "years"], kind="stable")
    data["segment"] = data.groupby("group", sort=False)["years"].transform(lambda y: (y.diff() != 1).cumsum())
    data["segment"] = data["group"] + " " + data["segment"].astype(str)
    data = data.assign(year_text=data["years"].map(_year), n_text=data["n"].map(tb.n_text),
                       median_text=data["median"].map(lambda v: tb.value(v, ind.format)),
                       iqr_text=_ranges(data["q1"], data["q3"], lambda v: tb.value(v, ind.format)))
    groups = tb.order(tb.labelled(rows))
    colour = _colour(groups, dimension_label)
    y = alt.Y("median:Q", title=f"{_title(ind)}: median and middle half", axis=_value_axis(ind.format),
              scale=alt.Scale(zero=False))
    tips = [alt.Tooltip("group:N", title=dimension_label or "Group"),
            alt.Tooltip("year_text:N", title="Since spin-out"), alt.Tooltip("median_text:N", title="Median"),
            alt.Tooltip("iqr_text:N", title="Middle half"), alt.Tooltip("n_text:N", title="Mutuals")]
    base = alt.Chart(data).encode(x=_years_x(), color=colour, detail="segment:N")
    band = base.mark_area(opacity=0.2).encode(y=alt.Y("q1:Q"), y2="q3:Q")
    line = base.mark_line(point=True).encode(y=y, tooltip=tips)
    marker = pd.DataFrame({"years": [0], "label": ["spin-out"]})
    rule = alt.Chart(marker).mark_rule(strokeDash=[4, 4], color=RULE_INK).encode(x="years:Q")
    label = alt.Chart(marker).mark_text(align="left", baseline="top", dx=4, dy=2, color=MUTED_INK).encode(
        x="years:Q", y=alt.value(0), text="label:N")
    return alt.layer(band, line, rule, label).properties(width="container", height=360)


def journey_caption(journeys: Disclosed, indicator: str) -> str:
    """Each group's median from spin-out (or its first year shown) to its last year shown, the highest and
    lowest at year 5, and where lines stop or break because of suppression."""
    ind = tb.indicator(indicator)
    rows, hidden = _for(journeys, indicator)
    k = _k(journeys)
    shown = rows[~hidden]
    if shown.empty:
        return (f"No group has {k} or more mutuals with a {ind.label.lower()} in any year since spin-out: "
                "every group is suppressed.")
    parts, stopped, gaps, suppressed = [], [], [], []
    for g in dict.fromkeys(rows["group"]):
        mine = shown[shown["group"] == g].sort_values("years")
        if mine.empty:
            suppressed.append(g)
            continue
        after = mine[mine["years"] >= 0]
        start, end = (after if len(after) else mine).iloc[0], mine.iloc[-1]
        if start["years"] == end["years"]:
            parts.append(f"{tb.names([g])} {tb.value(end['median'], ind.format)} in {_year(end['years'])}")
        else:
            parts.append(f"{tb.names([g])} from {tb.value(start['median'], ind.format)} in {_year(start['years'])} to "
                         f"{tb.value(end['median'], ind.format)} in {_year(end['years'])}")
        lost = rows.loc[hidden & (rows["group"] == g), "years"]
        if (lost > end["years"]).any():
            stopped.append(f"{tb.names([g])} after {_year(end['years'])}")
        if ((lost > mine["years"].min()) & (lost < end["years"])).any():
            gaps.append(g)
    text = f"Median {ind.label.lower()} by years since spin-out: {'; '.join(parts)}."
    at5 = shown[shown["years"] == 5].sort_values("median", kind="stable")
    if len(at5) >= 2 and at5["median"].iloc[-1] != at5["median"].iloc[0]:
        high, low = at5.iloc[-1], at5.iloc[0]
        text += (f" At year 5 it is highest for {tb.names([high['group']])} ({tb.value(high['median'], ind.format)}) "
                 f"and lowest for {tb.names([low['group']])} ({tb.value(low['median'], ind.format)}).")
    if stopped:
        text += f" Lines stop where fewer than {k} mutuals remain: {', '.join(stopped)}."
    if gaps:
        text += f" Breaks in {tb.names(gaps)} mark years with fewer than {k} mutuals."
    if suppressed:
        text += (f" {tb.groups_word(len(suppressed))} suppressed (fewer than {k} mutuals in every year): "
                 f"{tb.names(suppressed)}.")
    return text


# --------------------------------------------------------------------------- survival


def survival_chart(result, y_title: str | None = None, dimension_label: str | None = None) -> alt.LayerChart | None:
    """Kaplan–Meier step curves per group with their confidence bands and a "+" where mutuals are censored."""
    rows = result.curves.visible()
    if rows.empty:
        return None
    y_title = y_title or Y_TITLES.get(result.event, "Event-free")
    data = tb.labelled(rows)[["group", "years", "at_risk", "survival", "ci_lower", "ci_upper", "censored"]].copy()
    data["censored"] = data["censored"].fillna(False).astype(bool)
    data = data.assign(year_text=data["years"].map(_year), survival_text=data["survival"].map(fmt.percent),
                       ci_text=_ranges(data["ci_lower"], data["ci_upper"], fmt.percent),
                       at_risk_text=data["at_risk"].map(lambda v: "–" if fmt.is_missing(v) else f"{int(v):,}"))
    groups = tb.order(data)
    colour = _colour(groups, dimension_label)
    y = alt.Y("survival:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%"))
    tips = [alt.Tooltip("group:N", title=dimension_label or "Group"),
            alt.Tooltip("year_text:N", title="Since spin-out"), alt.Tooltip("survival_text:N", title=y_title),
            alt.Tooltip("ci_text:N", title="Confidence interval"),
            alt.Tooltip("at_risk_text:N", title="At risk (rounded)")]
    base = alt.Chart(data).encode(x=_years_x(), color=colour)
    band = base.mark_area(interpolate="step-after", opacity=0.15).encode(y=alt.Y("ci_lower:Q"), y2="ci_upper:Q")
    line = base.mark_line(interpolate="step-after").encode(y=y, tooltip=tips)
    # A "+" where mutuals are censored (as lifelines draws them): years are whole, so a censoring falls on a
    # step's corner, where a vertical tick would vanish into the step.
    ticks = alt.Chart(data[data["censored"]]).mark_point(shape="cross", filled=True, size=110, opacity=1).encode(
        x=_years_x(), y=alt.Y("survival:Q"), color=colour, tooltip=tips)
    return alt.layer(band, line, ticks).properties(width="container", height=360)


def _step(curve: pd.DataFrame, t: float) -> float | None:
    """The curve's value at ``t`` (last row with years <= t), when the curve reaches that far."""
    if curve.empty or curve["years"].max() < t:
        return None
    return float(curve.loc[curve["years"] <= t, "survival"].iloc[-1])


def survival_caption(result, confidence: float | None = None) -> str:
    """The estimates at 5 and 10 years per group, the log-rank p-value and the suppressed groups."""
    rows = result.curves.visible()
    k = _k(result.curves)
    share = Y_TITLES.get(result.event, "Event-free").lower()
    groups = list(dict.fromkeys(rows["group"]))
    text = []
    for t in (5, 10):
        found = [(g, _step(rows[rows["group"] == g], t)) for g in groups]
        reached = [f"{tb.names([g])} {fmt.percent(v)}" for g, v in found if v is not None]
        if reached:
            short = [g for g, v in found if v is None]
            tail = (f" ({tb.names(short)}: the curve ends earlier, where fewer than {k} mutuals are at risk)"
                    if short else "")
            text.append(f"{share.capitalize()} after {t} years: {', '.join(reached)}{tail}.")
    if not text:
        text.append(f"No curve reaches 5 years with {k} or more mutuals at risk." if groups else
                    f"No group has {k} or more mutuals: no curve can be shown.")
    p = tb.p_text(result.logrank_p)
    level = confidence if confidence is not None else load_rules().explorer.confidence
    if p is None:
        text.append(f"No log-rank test was possible (it needs two groups of at least {k} mutuals and at least one "
                    "event).")
    else:
        word = "is" if result.logrank_p < 1 - level else "is not"
        text.append(f"The difference between the groups {word} statistically significant (log-rank test, {p}).")
    dropped = list(getattr(result, "groups_dropped", ()) or ())
    if dropped:
        text.append(f"{tb.groups_word(len(dropped))} suppressed (fewer than {k} mutuals): {tb.names(dropped)}.")
    text.append("A + marks mutuals still being followed when observation ended (censored).")
    return " ".join(text)


# --------------------------------------------------------------------------- early peak


def early_peak_chart(peak: Disclosed, dimension_label: str | None = None) -> alt.LayerChart | None:
    """Per group, the share of mutuals with the early engagement peak and its Wilson interval."""
    rows = peak.visible()
    if rows.empty:
        return None
    data = tb.labelled(rows)[["group", "n", "peaks", "share", "ci_low", "ci_high"]].copy()
    data = data.assign(share_text=data["share"].map(fmt.percent),
                       ci_text=_ranges(data["ci_low"], data["ci_high"], fmt.percent),
                       count_text=[f"{int(p)} of {int(n)}" for p, n in zip(data["peaks"], data["n"])])
    tips = [alt.Tooltip("group:N", title=dimension_label or "Group"), alt.Tooltip("share_text:N", title="Share"),
            alt.Tooltip("ci_text:N", title="Confidence interval"), alt.Tooltip("count_text:N", title="Mutuals")]
    base = alt.Chart(data).encode(y=_group_y(dimension_label, tb.order(data)), tooltip=tips)
    x = alt.X("ci_low:Q", title="Share with the early engagement peak (with its confidence interval)",
              scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%"))
    interval = base.mark_rule(color=PALETTE[0], strokeWidth=2).encode(x=x, x2="ci_high:Q")
    point = base.mark_point(filled=True, size=90, color=PALETTE[0], opacity=1).encode(x="share:Q")
    label = base.mark_text(align="left", dx=6, color=INK).encode(x="ci_high:Q", text="count_text:N")
    return alt.layer(interval, point, label).properties(width="container", height=alt.Step(34))


def early_peak_caption(peak: Disclosed) -> str:
    """Where the early peak is most and least common, and whether their intervals overlap."""
    frame, hidden = peak.frame, peak.suppressed.any(axis=1)
    shown, suppressed = frame[~hidden], list(frame.loc[hidden, "group"])
    k = _k(peak)
    if shown.empty:
        return f"No group has {k} or more trading mutuals with an engagement history: every group is suppressed."

    def stat(r) -> str:
        return f"{fmt.percent(r['share'])}, {int(r['peaks'])} of {int(r['n'])}"

    ranked = shown.sort_values("share", kind="stable")
    high, low = ranked.iloc[-1], ranked.iloc[0]
    if len(shown) == 1 or high["share"] == low["share"]:
        text = (f"The early engagement peak shows in {fmt.percent(high['share'])} of mutuals in "
                f"{tb.names([high['group']]) if len(shown) == 1 else f'each of the {len(shown)} groups shown'}"
                f"{f' ({stat(high)})' if len(shown) == 1 else ''}.")
    else:
        overlap = ("their confidence intervals do not overlap" if high["ci_low"] > low["ci_high"] else
                   "their confidence intervals overlap, so the difference may be chance")
        text = (f"The early engagement peak is most common in {tb.names([high['group']])} ({stat(high)}) and least "
                f"common in {tb.names([low['group']])} ({stat(low)}); {overlap}.")
    if suppressed:
        text += f" {tb.groups_word(len(suppressed))} suppressed (fewer than {k} mutuals): {tb.names(suppressed)}."
    return text


# --------------------------------------------------------------------------- status mix


def _drawn(mix: Disclosed) -> tuple[list, list]:
    """The groups drawn (their total is shown) and those left out, in the table's order (Total excluded)."""
    groups = [g for g in mix.frame.index if g != TOTAL]
    hidden = [g for g in groups if bool(mix.suppressed.at[g, TOTAL])]
    return [g for g in groups if g not in hidden], hidden


def status_mix_chart(mix: Disclosed, shares: Disclosed, rules: Rules | None = None,
                     dimension_label: str | None = None) -> alt.Chart | None:
    """Per group whose total is shown, a 100% bar of its overall statuses. Its suppressed cells make one grey
    "suppressed" segment together: their sum is the group's total less its shown counts, which the table's
    totals give anyway, so the segment discloses nothing new."""
    rules = rules or load_rules()
    drawn, _ = _drawn(mix)
    statuses = [c for c in mix.frame.columns if c != TOTAL]
    records = []
    for g in drawn:
        for rank, s in enumerate(statuses):
            n = mix.frame.at[g, s]
            if not fmt.is_missing(n) and n > 0:
                share = shares.frame.at[g, s]
                records.append({"group": g, "status": tb.status_label(s, rules), "rank": rank,
                                "count_text": f"{int(n):,}", "share": float(share), "share_text": fmt.percent(share)})
        rest = 1 - sum(float(shares.frame.at[g, s]) for s in statuses if not bool(mix.suppressed.at[g, s]))
        if bool(mix.suppressed.loc[g, statuses].any()) and rest > 1e-9:
            records.append({"group": g, "status": mix.rule.text, "rank": len(statuses), "count_text": mix.rule.text,
                            "share": rest, "share_text": mix.rule.text})
    if not records:
        return None
    data = tb.labelled(pd.DataFrame(records))
    styles = [rules.overall_statuses[s] for s in statuses if s in rules.overall_statuses]
    domain, colours = [s.label for s in styles], [s.colour for s in styles]
    if (data["status"] == mix.rule.text).any():
        domain, colours = domain + [mix.rule.text], colours + [SUPPRESSED_FILL]
    colour = alt.Color("status:N", title="Overall status", sort=domain,
                       scale=alt.Scale(domain=domain, range=colours), legend=alt.Legend(orient="bottom", columns=3))
    tips = [alt.Tooltip("group:N", title=dimension_label or "Group"), alt.Tooltip("status:N", title="Overall status"),
            alt.Tooltip("count_text:N", title="Mutuals"), alt.Tooltip("share_text:N", title="Share")]
    bars = alt.Chart(data).mark_bar(stroke="#FFFFFF", strokeWidth=1, size=20).encode(
        y=_group_y(dimension_label, tb.order(data)),
        x=alt.X("share:Q", title="Share of the group's mutuals", stack="zero", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%")),
        color=colour, order=alt.Order("rank:Q"), tooltip=tips)
    return bars.properties(width="container", height=alt.Step(34))


def status_mix_caption(mix: Disclosed, shares: Disclosed) -> str:
    """The most severe status's count overall, the groups where its share is highest and lowest, and the
    groups left out of the chart because a cell is suppressed."""
    rules = load_rules()
    k = _k(mix)
    statuses = [c for c in mix.frame.columns if c != TOTAL]
    drawn, hidden = _drawn(mix)
    if TOTAL not in mix.frame.index or not statuses:
        return "No mutual is in the selection."
    text = []
    total = mix.frame.at[TOTAL, TOTAL]
    lead = statuses[0]
    word = rules.overall_statuses[lead].word.lower() if lead in rules.overall_statuses else str(lead)
    if bool(mix.suppressed.at[TOTAL, TOTAL]):
        return f"Fewer than {k} mutuals are in the selection: the whole table is suppressed."
    if bool(mix.suppressed.at[TOTAL, lead]):
        text.append(f"Of the {int(total):,} mutuals, the number {word} is suppressed (fewer than {k}).")
    else:
        text.append(f"Of the {int(total):,} mutuals, {int(mix.frame.at[TOTAL, lead]):,} "
                    f"({fmt.percent(shares.frame.at[TOTAL, lead])}) are {word}.")
    groups = [g for g in mix.frame.index if g != TOTAL and not bool(shares.suppressed.at[g, lead])]
    if len(groups) >= 2:
        ranked = sorted(groups, key=lambda g: shares.frame.at[g, lead])
        high, low = ranked[-1], ranked[0]
        if shares.frame.at[high, lead] != shares.frame.at[low, lead]:
            text.append(f"The {word.replace(' ', '-')} share is highest in {tb.names([high])} "
                        f"({fmt.percent(shares.frame.at[high, lead])}) and lowest in {tb.names([low])} "
                        f"({fmt.percent(shares.frame.at[low, lead])}).")
    if hidden:
        text.append(f"{tb.groups_word(len(hidden))} not drawn because their totals are suppressed (fewer "
                    f"than {k} mutuals, or hidden so a small count cannot be worked out from the totals): "
                    f"{tb.names(hidden)}.")
    if mix.suppressed.drop(index=TOTAL, columns=TOTAL, errors="ignore").to_numpy().any():
        text.append("Suppressed counts are drawn together as one grey segment.")
    return " ".join(text)
