"""Commissioner relationship charts: contract terms and outcomes, income by source, relationship reviews."""

from __future__ import annotations

from datetime import date

import altair as alt
import numpy as np
import pandas as pd

from mutuals import formatting as fmt
from mutuals.charts.mutual.common import (
    BLACK,
    INCOME_SOURCES,
    MONEY_AXIS,
    OKABE_ITO,
    WIDTH,
    _by_year,
    _columns,
    _date_domain,
    _finish,
    _fy_x,
    _iso,
    _kind_word,
    _threshold_rules,
    _time_axis,
    fy_label,
    no_data_chart,
    outcome_word,
)
from mutuals.escape import cap, cap_columns
from mutuals.rules import load_rules


def contract_frame(contracts: pd.DataFrame, parent_commissioner_id: str | None = None) -> pd.DataFrame:
    frame = cap_columns(contracts.sort_values(["start_date", "contract_id"]).reset_index(drop=True))
    titles = frame["title"].map(lambda t: cap(t, 42))
    frame["row"] = [f"{t} ({i + 1})" if titles.duplicated(keep=False).iloc[i] else t for i, t in enumerate(titles)]
    is_parent = frame["commissioner_id"] == parent_commissioner_id
    frame["commissioner"] = np.where(is_parent, frame["commissioner_name"] + " (parent)", frame["commissioner_name"])
    # Outcomes in words (chart fonts for PDF/PNG export lack the symbol glyphs).
    frame["outcome_text"] = frame["outcome"].map(outcome_word)
    frame["value_text"] = frame["annual_value"].map(fmt.money)
    frame["label"] = frame["value_text"] + " a year · " + frame["outcome_text"].str.lower()
    frame["start_text"] = frame["start_date"].map(fmt.day)
    frame["end_text"] = frame["end_date"].map(fmt.day)
    frame["max_end_text"] = frame["max_end_date"].map(fmt.day)
    frame["label_at"] = frame[["end_date", "max_end_date"]].max(axis=1)
    return frame


def contract_gantt(contracts: pd.DataFrame, as_of: date, parent_commissioner_id: str | None = None,
                   until: date | None = None) -> alt.TopLevelMixin:
    """Each contract's term (solid) and extension options (pale, dashed), the value and outcome, and today.

    With ``until`` (a ceased date) the chart ends there: terms are cut at it, and each label sits above its bar.
    """
    title = "Contracts: terms, extension options and outcomes"
    if contracts.empty:
        return no_data_chart(title, "No contract on record")
    frame = contract_frame(contracts, parent_commissioner_id)
    rows = list(frame["row"])
    start = pd.Timestamp(frame["start_date"].min())
    if until is not None:
        stop = pd.Timestamp(until)
        for column in ("end_date", "max_end_date"):
            frame[column] = pd.to_datetime(frame[column]).clip(upper=stop)
        frame["label_at"] = pd.to_datetime(frame["start_date"])
        origin = start - (stop - start) * 0.02
        x_scale = alt.Scale(domain=[_iso(origin), _iso(stop)])
        last = stop
    else:
        last = max(pd.Timestamp(frame["label_at"].max()), pd.Timestamp(as_of), start + pd.Timedelta(days=365))
        # Room on the right of each bar for its label (about 5.8 px a character at 12 px type).
        origin = start - (last - start) * 0.02
        plot_width = WIDTH - min(260, 6.2 * frame["row"].str.len().max()) - 24  # less the y-axis labels
        needed = [(pd.Timestamp(at) - origin) / (1 - min(0.6, (5.8 * len(text) + 12) / plot_width))
                  for at, text in zip(frame["label_at"], frame["label"])]
        end = max(needed + [(last - origin) * 1.03])
        x_scale = alt.Scale(domain=[_iso(origin), _iso(origin + end)])
    commissioners = list(dict.fromkeys(frame.sort_values("commissioner", key=lambda s: ~s.str.endswith("(parent)"))
                                       ["commissioner"]))
    palette = alt.Scale(domain=commissioners, range=[OKABE_ITO[i % 7] for i in range(len(commissioners))])
    colour = alt.Color("commissioner:N", title="Commissioner", sort=commissioners, scale=palette,
                       legend=alt.Legend(columns=2, labelLimit=260))
    y = alt.Y("row:N", sort=rows, title=None, axis=alt.Axis(labelLimit=260))
    tooltip = [alt.Tooltip("title:N", title="Contract"), alt.Tooltip("commissioner:N", title="Commissioner"),
               alt.Tooltip("start_text:N", title="Start"), alt.Tooltip("end_text:N", title="End"),
               alt.Tooltip("max_end_text:N", title="Latest end with extensions"),
               alt.Tooltip("value_text:N", title="Annual value"), alt.Tooltip("outcome_text:N", title="Outcome")]
    x = alt.X("start_date:T", scale=x_scale, title=None, axis=_time_axis(start, last))
    terms = alt.Chart(frame).mark_bar(height=14, cornerRadius=2).encode(
        x=x, x2=alt.X2("end_date:T"), y=y, color=colour, tooltip=tooltip)
    ext = frame[frame["max_end_date"] > frame["end_date"]]
    layers = [terms]
    if not ext.empty:
        layers.append(alt.Chart(ext).mark_bar(height=14, fillOpacity=0.22, strokeDash=[4, 2], strokeWidth=1.3,
                                              cornerRadius=2).encode(
            x=alt.X("end_date:T", scale=x_scale), x2=alt.X2("max_end_date:T"), y=y, color=colour,
            stroke=alt.Stroke("commissioner:N", sort=commissioners, legend=None, scale=palette),
            tooltip=tooltip))
    above = {"baseline": "bottom", "dy": -8} if until is not None else {}  # labels above the bars
    layers.append(alt.Chart(frame).mark_text(align="left", dx=5, color="#222222", **above).encode(
        x=alt.X("label_at:T", scale=x_scale), y=y, text=alt.Text("label:N"), tooltip=tooltip))
    marker = f"Ceased {fmt.day(until)}" if until is not None else f"As of {fmt.day(as_of)}"
    today = pd.DataFrame({"date": [pd.Timestamp(until if until is not None else as_of)], "label": [marker]})
    layers.append(alt.Chart(today).mark_rule(color=BLACK, strokeDash=[3, 3], strokeWidth=1.5).encode(
        x=alt.X("date:T", scale=x_scale)))
    side = {"align": "right", "dx": -4} if until is not None else {"align": "left", "dx": 4}
    layers.append(alt.Chart(today).mark_text(baseline="top", dy=2, color=BLACK, fontWeight="bold", **side).encode(
        x=alt.X("date:T", scale=x_scale), y=alt.YValue(0), text=alt.Text("label:N")))
    height = max(100, (40 if until is not None else 30) * len(rows) + 24)
    line = "the ceased date: terms are cut there" if until is not None else "the as-of date"
    return _finish(layers, title, "Solid bar: contract term · pale dashed bar: extension options up to the "
                                  f"latest possible end · dashed line: {line}", height=height)


def contract_caption(contracts: pd.DataFrame, as_of: date) -> str:
    if contracts.empty:
        return f"No contract is on record up to {fmt.day(as_of)}."
    active = contracts[contracts["active"].astype(bool)]
    lost = int((contracts["outcome"] == "lost_at_retender").sum())
    lost_text = f" {lost} contract(s) were lost at re-tender." if lost else ""
    if active.empty:
        return (f"None of the {len(contracts)} contract(s) on record is active on {fmt.day(as_of)}." + lost_text)
    main = active.sort_values("annual_value", ascending=False).iloc[0]
    months = (pd.Timestamp(main["end_date"]) - pd.Timestamp(as_of)).days / load_rules().days_per_month
    ext = (f", extendable to {fmt.day(main['max_end_date'])}"
           if pd.Timestamp(main["max_end_date"]) > pd.Timestamp(main["end_date"]) else ", with no extension option")
    return (f"{len(active)} active contract(s) worth {fmt.money(active['annual_value'].sum())} a year. The largest, "
            f"{cap(main['title'])} ({fmt.money(main['annual_value'])} a year with {cap(main['commissioner_name'])}), ends on "
            f"{fmt.day(main['end_date'])}, {fmt.month_count(max(months, 0), 'in')}{ext}." + lost_text)


def income_sources_frame(financials: pd.DataFrame) -> pd.DataFrame:
    """Long form: one row per financial year and source of income, with its amount and share of the year's total."""
    long = _by_year(financials, {col: label for col, label, _ in INCOME_SOURCES}, "source", "amount", fmt.money,
                    keep=("income_total",), required="income_total", dropna=False)
    share = long["amount"] / long["income_total"].where(long["income_total"] != 0)
    return _columns(long.assign(share_text=share.map(fmt.percent)),
                    ["fy", "year_end", "source", "amount", "amount_text", "share_text"])


def income_sources_chart(financials: pd.DataFrame) -> alt.TopLevelMixin:
    """Income by source each financial year: parent commissioner, other public bodies, non-public."""
    title = "Income by source"
    frame = income_sources_frame(financials)
    if frame.empty:
        return no_data_chart(title, "No financial year on record")
    sources = [label for _, label, _ in INCOME_SOURCES]
    frame["stack"] = frame["source"].map({s: i for i, s in enumerate(sources)})
    x = _fy_x(frame, tilt_over=8)
    few = {"size": 70} if frame["fy"].nunique() <= 4 else {}  # no wall-to-wall bars for a young mutual
    bars = alt.Chart(frame).mark_bar(stroke="white", strokeWidth=0.8, **few).encode(
        x=x, y=alt.Y("amount:Q", title="Income", stack="zero", axis=alt.Axis(labelExpr=MONEY_AXIS)),
        color=alt.Color("source:N", title="Source", sort=sources,
                        scale=alt.Scale(domain=sources, range=[c for *_, c in INCOME_SOURCES])),
        order=alt.Order("stack:Q", sort="ascending"),
        tooltip=[alt.Tooltip("fy:N", title="Year"), alt.Tooltip("source:N", title="Source"),
                 alt.Tooltip("amount_text:N", title="Income"), alt.Tooltip("share_text:N", title="Share")])
    totals = financials.dropna(subset=["income_total"]).sort_values("year_end")
    totals = pd.DataFrame({"fy": totals["year_end"].map(fy_label), "total": totals["income_total"],
                           "label": [f"{fmt.percent(p / t) if t else '–'} parent" for p, t in
                                     zip(totals["income_parent"], totals["income_total"])]})
    labels = alt.Chart(totals).mark_text(baseline="bottom", dy=-3, fontSize=11).encode(
        x=x, y=alt.Y("total:Q"), text=alt.Text("label:N"))
    return _finish([bars, labels], title, "Stacked by source; the label is the parent commissioner's share")


def income_sources_caption(financials: pd.DataFrame) -> str:
    years = financials.dropna(subset=["income_total"]).sort_values("year_end")
    years = years[years["income_total"] > 0]
    if years.empty:
        return "No financial year is on record, so 0 years of income by source can be shown."
    last, first = years.iloc[-1], years.iloc[0]
    share = last["income_parent"] / last["income_total"]
    text = (f"In {fy_label(last['year_end'])}, {fmt.percent(share)} of {fmt.money(last['income_total'])} income "
            f"came from the parent commissioner")
    if len(years) > 1:
        before = first["income_parent"] / first["income_total"]
        text += (f", {'down' if share < before else 'up' if share > before else 'unchanged'} from "
                 f"{fmt.percent(before)} in {fy_label(first['year_end'])}")
    return text + f"; {fmt.percent(last['income_non_public'] / last['income_total'])} was non-public income."


def reviews_chart(reviews: pd.DataFrame, until: date | None = None) -> alt.TopLevelMixin:
    """Commissioner relationship review ratings (1–5) over time, one series per commissioner; with ``until``
    (a ceased date) the time axis ends there."""
    title = "Commissioner relationship reviews"
    if reviews.empty:
        return no_data_chart(title, "No commissioner review on record")
    frame = cap_columns(reviews).assign(when=reviews["review_date"].map(fmt.day), kind_text=reviews["kind"].map(_kind_word),
                           rating_text=reviews["rating"].map(lambda r: f"{int(r)}/5"))
    names = list(dict.fromkeys(frame["commissioner_name"]))
    shapes = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "wedge"]
    colour = alt.Color("commissioner_name:N", title="Commissioner", sort=names,
                       scale=alt.Scale(domain=names, range=[OKABE_ITO[i % 7] for i in range(len(names))]),
                       legend=alt.Legend(columns=2, labelLimit=260))
    start, end = pd.Timestamp(frame["review_date"].min()), pd.Timestamp(frame["review_date"].max())
    x = alt.X("review_date:T", title=None, scale=alt.Scale(domain=_date_domain(start, end, 0.04, 0.04, until=until)),
              axis=_time_axis(start, end))
    y = alt.Y("rating:Q", title="Rating (1–5)", scale=alt.Scale(domain=[0.8, 5.2], nice=False),
              axis=alt.Axis(values=[1, 2, 3, 4, 5], format="d"))
    base = alt.Chart(frame).encode(x=x, y=y, color=colour)
    lines = base.mark_line(strokeWidth=1.5, opacity=0.7)
    points = base.mark_point(filled=True, size=80, opacity=0.95).encode(
        shape=alt.Shape("commissioner_name:N", sort=names, title="Commissioner",
                        scale=alt.Scale(domain=names, range=[shapes[i % len(shapes)] for i in range(len(names))])),
        tooltip=[alt.Tooltip("when:N", title="Review"), alt.Tooltip("commissioner_name:N", title="Commissioner"),
                 alt.Tooltip("kind_text:N", title="Kind"), alt.Tooltip("rating_text:N", title="Rating")])
    guides, words = _threshold_rules("relationship_rating", [0.8, 5.2])
    return _finish(guides + [lines, points], title, f"Each review's rating from 1 (poor) to 5 (excellent) · {words}",
                   height=220)


def reviews_caption(reviews: pd.DataFrame) -> str:
    if reviews.empty:
        return "No commissioner review is on record (0 reviews)."
    last_date = reviews["review_date"].max()
    latest = reviews[reviews["review_date"] == last_date]
    parts = ", ".join(f"{cap(r['commissioner_name'])} {int(r['rating'])}/5" for r in latest.to_dict("records"))
    return (f"{len(reviews)} review(s) by {reviews['commissioner_name'].nunique()} commissioner(s) since "
            f"{fmt.day(reviews['review_date'].min())}, averaging {fmt.rating5(reviews['rating'].mean())}. "
            f"Latest ({fmt.day(last_date)}): {parts}.")

