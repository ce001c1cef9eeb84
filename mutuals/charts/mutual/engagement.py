"""Staff engagement and ownership charts: the engagement journey, sub-scores, response rate, innovations.

Survey waves with fewer respondents than the minimum carry no score (the SQL returns NULL);
they are drawn as a marker on the baseline labelled "suppressed (n < 11)", never as a value.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import numpy as np
import pandas as pd

from mutuals import formatting as fmt
from mutuals.charts.mutual.common import (
    BLACK,
    BLUE,
    GREY,
    INNOVATION_STAGES,
    LIGHT_GREY,
    ORIGINS,
    PHASES,
    SUBSCORES,
    WIDTH,
    _date_domain,
    _finish,
    _score_domain,
    _threshold_rules,
    _time_axis,
    _ts,
    no_data_chart,
)
from mutuals.rules import load_rules


def _min_respondents(value: int | None) -> int:
    """The suppression minimum given, else the config's."""
    return int(value) if value is not None else load_rules().min_respondents


def _suppressed_layers(frame: pd.DataFrame, x: alt.X, height: int, min_respondents: int) -> list[alt.Chart]:
    """Suppressed waves: a hollow marker on the baseline and a 'suppressed (n < 11)' label; no y value.

    ``frame`` needs the column ``x`` encodes; no score is ever passed to the chart.
    """
    if frame.empty:
        return []
    label = f"suppressed (n < {min_respondents})"
    field = x.shorthand.split(":")[0] if isinstance(x.shorthand, str) else x.field
    marks = pd.DataFrame({field: frame[field].to_numpy(), "label": label, "when": frame[field].map(fmt.day).to_numpy()})
    tooltip = [alt.Tooltip("when:N", title="Survey"), alt.Tooltip("label:N", title="Score")]
    marker = alt.Chart(marks).mark_point(shape="triangle-up", filled=False, size=90, color=GREY, strokeWidth=1.5
                                         ).encode(x=x, y=alt.YValue(height - 6), tooltip=tooltip)
    text = alt.Chart(marks).mark_text(angle=270, align="left", baseline="middle", color=GREY, fontSize=11).encode(
        x=x, y=alt.YValue(height - 16), text=alt.Text("label:N"), tooltip=tooltip)
    return [marker, text]


def phase_spans(waves: pd.DataFrame, profile: dict, as_of: date) -> pd.DataFrame:
    """Date spans of the journey's phases: options appraisal, transition, spun out.

    Options appraisal starts on the profile's options-appraisal date (else the first
    pre-spin-out wave); transition starts midway between the last options-appraisal
    wave and the first transition wave (an approximation: the data has no transition
    date); spun out runs from the spin-out date to the as-of (or ceased) date.
    """
    end = pd.Timestamp(as_of)
    ceased = _ts(profile.get("ceased_date"))
    if ceased is not None and ceased < end:
        end = ceased
    spin = _ts(profile.get("spin_out_date"))
    dates = {p: pd.to_datetime(waves.loc[waves["phase"] == p, "survey_date"]) for p, *_ in PHASES}
    oa = _ts(profile.get("options_appraisal_date"))
    if oa is None:
        pre = pd.concat([dates["options_appraisal"], dates["transition"]])
        oa = pre.min() if len(pre) else None
    tr = None
    if len(dates["transition"]):
        first_tr = dates["transition"].min()
        before = dates["options_appraisal"][dates["options_appraisal"] < first_tr]
        anchor = before.max() if len(before) else oa
        tr = first_tr if anchor is None or anchor >= first_tr else anchor + (first_tr - anchor) / 2
    rows = []
    bounds = [("options_appraisal", oa, tr or spin), ("transition", tr, spin), ("spun_out", spin, end)]
    for phase, start, stop in bounds:
        if start is None or stop is None:
            continue
        stop = min(stop, end)
        if start < stop:
            rows.append({"phase": phase, "start": start, "end": stop})
    frame = pd.DataFrame(rows, columns=["phase", "start", "end"])
    labels = {p: label for p, label, _ in PHASES}
    frame["label"] = frame["phase"].map(labels)
    frame["from_text"] = frame["start"].map(fmt.day)
    frame["to_text"] = frame["end"].map(fmt.day)
    return frame


def _peak(scored: pd.DataFrame) -> dict | None:
    if scored.empty:
        return None
    return scored.loc[scored["engagement_score"].idxmax()].to_dict()


def engagement_journey_chart(waves: pd.DataFrame, sector: pd.DataFrame, profile: dict, as_of: date,
                             min_respondents: int | None = None, until: date | None = None) -> alt.TopLevelMixin:
    """The engagement score over the journey, phases shaded, peak marked, the sector's band behind
    (with ``until``, a ceased date, the time axis and the sector band end there)."""
    min_respondents = _min_respondents(min_respondents)
    title = "Staff engagement through the spin-out journey"
    spans = phase_spans(waves, profile, as_of)
    scored = waves.dropna(subset=["engagement_score"]).sort_values("survey_date")
    suppressed = waves[waves["engagement_score"].isna()]
    if waves.empty:
        return no_data_chart(title, "No staff survey on record")
    start = min([pd.Timestamp(waves["survey_date"].min())] + list(spans["start"]))
    end = max([pd.Timestamp(waves["survey_date"].max())] + list(spans["end"]))
    domain = _date_domain(start, end, until=until)
    x_scale = alt.Scale(domain=domain)
    band = sector.assign(date=pd.to_datetime(sector["survey_year"].astype(int).astype(str) + "-07-01")) \
        if not sector.empty else pd.DataFrame(columns=["date", "median", "q1", "q3", "waves", "survey_year"])
    band = band[(band["date"] >= start - pd.Timedelta(days=183)) & (band["date"] <= end + pd.Timedelta(days=183))]
    if until is not None:
        band = band[band["date"] <= pd.Timestamp(until)]
    y_domain = _score_domain(list(scored["engagement_score"]) + list(band["q1"]) + list(band["q3"]))
    y_scale = alt.Scale(domain=y_domain, nice=False, zero=False, clamp=True)
    height = 300
    layers: list[alt.Chart] = []
    if not spans.empty:
        phase_scale = alt.Scale(domain=[label for _, label, _ in PHASES], range=[c for *_, c in PHASES])
        layers.append(alt.Chart(spans).mark_rect(opacity=0.16).encode(
            x=alt.X("start:T", scale=x_scale, title=None, axis=_time_axis(start, end)), x2=alt.X2("end:T"),
            color=alt.Color("label:N", title="Phase", scale=phase_scale),
            tooltip=[alt.Tooltip("label:N", title="Phase"), alt.Tooltip("from_text:N", title="From"),
                     alt.Tooltip("to_text:N", title="To")]))
        total = (pd.Timestamp(domain[1]) - pd.Timestamp(domain[0])).days
        wide = spans[(spans["end"] - spans["start"]).dt.days / total > 0.16]
        if not wide.empty:
            wide = wide.assign(mid=wide["start"] + (wide["end"] - wide["start"]) / 2)
            layers.append(alt.Chart(wide).mark_text(baseline="top", dy=4, color="#333333", fontStyle="italic").encode(
                x=alt.X("mid:T", scale=x_scale), y=alt.YValue(0), text=alt.Text("label:N")))
    if not band.empty:
        band = band.assign(median_text=band["median"].map(fmt.score10),
                           iqr_text=band["q1"].map(fmt.score10) + " – " + band["q3"].map(fmt.score10))
        bx = alt.X("date:T", scale=x_scale, title=None, axis=_time_axis(start, end))
        tooltip = [alt.Tooltip("survey_year:O", title="Sector, year"), alt.Tooltip("median_text:N", title="Median"),
                   alt.Tooltip("iqr_text:N", title="Middle half"), alt.Tooltip("waves:Q", title="Waves")]
        layers.append(alt.Chart(band).mark_area(color=LIGHT_GREY, opacity=0.45, clip=True).encode(
            x=bx, y=alt.Y("q1:Q", scale=y_scale), y2=alt.Y2("q3:Q"), tooltip=tooltip))
        layers.append(alt.Chart(band).mark_line(color=GREY, strokeDash=[5, 4], strokeWidth=1.5, clip=True,
                                                point=alt.OverlayMarkDef(color=GREY, size=18, clip=True)).encode(
            x=bx, y=alt.Y("median:Q", scale=y_scale), tooltip=tooltip))
    if not scored.empty:
        pts = scored.assign(when=scored["survey_date"].map(fmt.day),
                            score_text=scored["engagement_score"].map(fmt.score10),
                            phase_text=scored["phase"].map(fmt.PHASE_WORDS),
                            rate_text=scored["response_rate"].map(fmt.percent),
                            resp_text=scored["respondents"].map(fmt.count))
        sx = alt.X("survey_date:T", scale=x_scale, title=None, axis=_time_axis(start, end))
        sy = alt.Y("engagement_score:Q", scale=y_scale, title="Engagement score (0–10)")
        tooltip = [alt.Tooltip("when:N", title="Survey"), alt.Tooltip("phase_text:N", title="Phase"),
                   alt.Tooltip("score_text:N", title="Score"), alt.Tooltip("resp_text:N", title="Respondents"),
                   alt.Tooltip("rate_text:N", title="Response rate")]
        layers.append(alt.Chart(pts).mark_line(
            color=BLUE, strokeWidth=2.5, point=alt.OverlayMarkDef(filled=True, color=BLUE, size=55, opacity=1)
        ).encode(x=sx, y=sy, tooltip=tooltip))
        peak = _peak(scored)
        latest = scored.iloc[-1].to_dict()
        same = pd.Timestamp(peak["survey_date"]) == pd.Timestamp(latest["survey_date"])
        marks = [{"survey_date": peak["survey_date"], "engagement_score": peak["engagement_score"],
                  "text": f"{'Peak and latest' if same else 'Peak'} {fmt.score10(peak['engagement_score'])}",
                  "dy": -14}]
        if not same:
            marks.append({"survey_date": latest["survey_date"], "engagement_score": latest["engagement_score"],
                          "text": f"Latest {fmt.score10(latest['engagement_score'])}", "dy": 16})
        marks = pd.DataFrame(marks)
        span_days = (pd.Timestamp(domain[1]) - pd.Timestamp(domain[0])).days or 1
        marks["align"] = marks["survey_date"].map(
            lambda d: "right" if (pd.Timestamp(d) - pd.Timestamp(domain[0])).days / span_days > 0.8 else
            "left" if (pd.Timestamp(d) - pd.Timestamp(domain[0])).days / span_days < 0.2 else "center")
        layers.append(alt.Chart(marks.iloc[:1]).mark_point(shape="circle", filled=False, size=320, strokeWidth=2,
                                                           color=BLACK).encode(x=sx, y=sy))
        for align in ("left", "center", "right"):
            for dy in (-14, 16):
                part = marks[(marks["align"] == align) & (marks["dy"] == dy)]
                if not part.empty:
                    layers.append(alt.Chart(part).mark_text(fontWeight="bold", align=align, dy=dy, color=BLACK).encode(
                        x=sx, y=sy, text=alt.Text("text:N")))
    layers += _suppressed_layers(suppressed, alt.X("survey_date:T", scale=x_scale, title=None,
                                                  axis=_time_axis(start, end)), height, min_respondents)
    if scored.empty and band.empty:  # every wave suppressed: still draw the score axis
        anchor = pd.DataFrame({"y": y_domain})
        layers.append(alt.Chart(anchor).mark_point(opacity=0).encode(
            y=alt.Y("y:Q", scale=y_scale, title="Engagement score (0–10)")))
    subtitle = ["Blue: this mutual's score · dashed line and grey band: sector median and middle half",
                f"Waves with fewer than {min_respondents} respondents are suppressed, shown on the baseline"]
    return _finish(layers, title, subtitle, height=height)


def engagement_journey_caption(waves: pd.DataFrame, sector: pd.DataFrame, min_respondents: int | None = None,
                               as_of: date | None = None) -> str:
    min_respondents = _min_respondents(min_respondents)
    when = f" up to {fmt.day(as_of)}" if as_of else ""
    if waves.empty:
        return f"No staff survey is on record{when}."
    scored = waves.dropna(subset=["engagement_score"]).sort_values("survey_date")
    n_supp = int(waves["engagement_score"].isna().sum())
    supp = (f" {n_supp} of {len(waves)} wave(s) had fewer than {min_respondents} respondents and are shown as "
            f"suppressed (n < {min_respondents})." if n_supp else "")
    if scored.empty:
        return (f"No engagement score can be shown: all {len(waves)} survey wave(s) had fewer than {min_respondents} "
                f"respondents, so they appear as suppressed (n < {min_respondents}).")
    peak, latest = _peak(scored), scored.iloc[-1]
    text = (f"Engagement peaked at {fmt.score10(peak['engagement_score'])} "
            f"({fmt.PHASE_WORDS.get(peak['phase'], peak['phase'])} phase, {fmt.day(peak['survey_date'])})")
    drop = float(latest["engagement_score"] - peak["engagement_score"])
    if pd.Timestamp(latest["survey_date"]) == pd.Timestamp(peak["survey_date"]):
        text += " in the latest wave."
    else:
        text += (f" and is now {fmt.score10(latest['engagement_score'])} ({fmt.day(latest['survey_date'])}), "
                 f"{abs(drop):.1f} points {'lower' if drop < 0 else 'higher'}.")
    if not sector.empty:
        same_year = sector[sector["survey_year"] == pd.Timestamp(latest["survey_date"]).year]
        s = (same_year if len(same_year) else sector.sort_values("survey_year")).iloc[-1]
        text += (f" The sector median in {int(s['survey_year'])} was {fmt.score10(s['median'])} "
                 f"({int(s['waves'])} wave(s)).")
    return text + supp


def subscores_chart(waves: pd.DataFrame, min_respondents: int | None = None,
                    until: date | None = None) -> alt.TopLevelMixin:
    """Motivation, involvement and advocacy over the survey waves (colour, shape and dash per sub-score);
    with ``until`` (a ceased date) the time axis ends there."""
    min_respondents = _min_respondents(min_respondents)
    title = "Engagement sub-scores"
    if waves.empty:
        return no_data_chart(title, "No staff survey on record")
    scored = waves.dropna(subset=["engagement_score"]).sort_values("survey_date")
    suppressed = waves[waves["engagement_score"].isna()]
    long = scored.melt(id_vars=["survey_date"], value_vars=[c for c, *_ in SUBSCORES], var_name="sub",
                       value_name="score").dropna(subset=["score"])
    labels = {c: label for c, label, *_ in SUBSCORES}
    long = long.assign(label=long["sub"].map(labels), when=long["survey_date"].map(fmt.day),
                       score_text=long["score"].map(fmt.score10))
    order = [label for _, label, *_ in SUBSCORES]
    y_domain = _score_domain(list(long["score"]))
    y_scale = alt.Scale(domain=y_domain, nice=False, zero=False, clamp=True)
    start, end = pd.Timestamp(waves["survey_date"].min()), pd.Timestamp(waves["survey_date"].max())
    x_scale = alt.Scale(domain=_date_domain(start, end, 0.04, 0.04, until=until))
    height = 260
    x = alt.X("survey_date:T", title=None, scale=x_scale, axis=_time_axis(start, end))
    y = alt.Y("score:Q", title="Sub-score (0–10)", scale=y_scale)
    colour = alt.Color("label:N", title="Sub-score", sort=order,
                       scale=alt.Scale(domain=order, range=[c for *_, c, _, _ in SUBSCORES]))
    layers: list[alt.Chart] = []
    if not long.empty:
        base = alt.Chart(long).encode(x=x, y=y, color=colour)
        layers.append(base.mark_line(strokeWidth=2).encode(
            strokeDash=alt.StrokeDash("label:N", sort=order, title="Sub-score",
                                      scale=alt.Scale(domain=order, range=[d or [1, 0] for *_, d in SUBSCORES]))))
        layers.append(base.mark_point(filled=True, size=60).encode(
            shape=alt.Shape("label:N", sort=order, title="Sub-score",
                            scale=alt.Scale(domain=order, range=[s for *_, s, _ in SUBSCORES])),
            tooltip=[alt.Tooltip("when:N", title="Survey"), alt.Tooltip("label:N", title="Sub-score"),
                     alt.Tooltip("score_text:N", title="Score")]))
    layers += _suppressed_layers(suppressed, x, height, min_respondents)
    anchor = pd.DataFrame({"score": y_domain})
    layers.append(alt.Chart(anchor).mark_point(opacity=0).encode(y=y))
    return _finish(layers, title, "Each 0–10: the mean of three survey items, weighted by respondents", height=height)


def subscores_caption(waves: pd.DataFrame, min_respondents: int | None = None) -> str:
    min_respondents = _min_respondents(min_respondents)
    scored = waves.dropna(subset=["engagement_score"]).sort_values("survey_date")
    if scored.empty:
        n = len(waves)
        return (f"No sub-scores can be shown: {n} wave(s) on record, all with fewer than {min_respondents} "
                f"respondents (suppressed)." if n else "No staff survey is on record, so there are 0 sub-scores.")
    latest, first = scored.iloc[-1], scored.iloc[0]
    parts = [f"{label.lower()} {fmt.score10(latest[c])}" for c, label, *_ in SUBSCORES]
    values = {label: latest[c] for c, label, *_ in SUBSCORES if not fmt.is_missing(latest[c])}
    lowest = min(values, key=values.get) if values else None
    text = f"Latest wave ({fmt.day(latest['survey_date'])}): {', '.join(parts)}"
    text += f"; {lowest.lower()} is the lowest." if lowest else "."
    if len(scored) > 1:
        changes = {label: float(latest[c] - first[c]) for c, label, *_ in SUBSCORES
                   if not (fmt.is_missing(latest[c]) or fmt.is_missing(first[c]))}
        if changes:
            worst = min(changes, key=changes.get)
            text += (f" Since {fmt.day(first['survey_date'])}, {worst.lower()} moved the most downward "
                     f"({fmt.score_change(changes[worst])})." if changes[worst] < 0 else
                     f" All three are at or above their {fmt.day(first['survey_date'])} level.")
    return text


def _wave_label(dates: pd.Series) -> pd.Series:
    labels = dates.map(lambda d: pd.Timestamp(d).strftime("%b %Y"))
    if labels.duplicated().any():
        labels = dates.map(fmt.day)
    return labels


def response_rate_chart(waves: pd.DataFrame, min_respondents: int | None = None) -> alt.TopLevelMixin:
    """Survey response rate per wave, with the green and amber thresholds."""
    min_respondents = _min_respondents(min_respondents)
    title = "Survey response rate"
    frame = waves.dropna(subset=["response_rate"]).sort_values("survey_date")
    if frame.empty:
        return no_data_chart(title, "No staff survey on record")
    frame = frame.assign(
        wave=_wave_label(frame["survey_date"]), rate_text=frame["response_rate"].map(fmt.percent),
        score_text=np.where(frame["engagement_score"].isna(), f"suppressed (n < {min_respondents})", "reported"),
        label=[f"{r} · score suppressed" if s else r for r, s in zip(frame["response_rate"].map(fmt.percent),
                                                                  frame["engagement_score"].isna())],
        kind=np.where(frame["engagement_score"].isna(), "Score suppressed", "Score reported"),
    )
    order = list(frame["wave"])
    top = max(0.6, float(frame["response_rate"].max()) + 0.12)
    y_domain = [0, min(1.0, top) if top <= 1 else top]
    base = alt.Chart(frame).encode(
        x=alt.X("wave:N", sort=order, title="Survey wave", axis=alt.Axis(labelAngle=-30 if len(order) > 8 else 0)),
        y=alt.Y("response_rate:Q", title="Staff who answered", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=y_domain, nice=False)),
        tooltip=[alt.Tooltip("wave:N", title="Wave"), alt.Tooltip("rate_text:N", title="Response rate"),
                 alt.Tooltip("score_text:N", title="Score")],
    )
    bars = base.mark_bar(size=min(40, int(WIDTH / max(1, len(order)) * 0.6)), stroke=BLUE).encode(
        fillOpacity=alt.FillOpacity("kind:N", title=None,
                                    scale=alt.Scale(domain=["Score reported", "Score suppressed"], range=[0.9, 0.25])),
        color=alt.ColorValue(BLUE))
    labels = base.mark_text(baseline="bottom", dy=-3).encode(text=alt.Text("label:N"))
    guides, words = _threshold_rules("response_rate", y_domain)
    return _finish(guides + [bars, labels], title,
                   f"Pale bars: waves whose score is suppressed (fewer than {min_respondents} respondents) · {words}")


def response_rate_caption(waves: pd.DataFrame) -> str:
    frame = waves.dropna(subset=["response_rate"]).sort_values("survey_date")
    if frame.empty:
        return "No staff survey is on record, so there are 0 response rates to show."
    latest = frame.iloc[-1]
    green = load_rules().by_column("response_rate").green
    met = int((frame["response_rate"].round(9) >= green).sum())
    return (f"{fmt.percent(latest['response_rate'])} of staff answered the latest survey "
            f"({fmt.day(latest['survey_date'])}); {met} of {len(frame)} wave(s) reached the "
            f"{fmt.percent(green)} green mark, and the average was {fmt.percent(frame['response_rate'].mean())}.")


def innovation_frame(innovations: pd.DataFrame) -> pd.DataFrame:
    stages = {s: label for s, label in INNOVATION_STAGES}
    origins = {o: label for o, label, _ in ORIGINS}
    frame = innovations.assign(stage=innovations["status"].map(stages),
                               origin_label=innovations["origin"].map(lambda o: origins.get(o, str(o).capitalize())))
    grouped = (frame.groupby(["stage", "origin_label"], as_index=False)
               .agg(count=("title", "size"), saving=("annual_saving", "sum")))
    return grouped


def innovation_chart(innovations: pd.DataFrame) -> alt.TopLevelMixin:
    """The innovation pipeline: ideas, pilots and embedded changes by origin, with annual savings."""
    title = "Innovation pipeline"
    if innovations.empty:
        return no_data_chart(title, "No innovation on record")
    grouped = innovation_frame(innovations)
    order = [label for _, label in INNOVATION_STAGES]
    totals = grouped.groupby("stage", as_index=False).agg(count=("count", "sum"), saving=("saving", "sum"))
    totals["label"] = [f"{c} · {fmt.money(s)} a year" if s > 0 else f"{c}" for c, s in
                       zip(totals["count"], totals["saving"])]
    origin_order = [label for _, label, _ in ORIGINS]
    grouped = grouped.assign(saving_text=grouped["saving"].map(fmt.money))
    y = alt.Y("stage:N", sort=order, title=None, scale=alt.Scale(domain=order))
    bars = alt.Chart(grouped).mark_bar(stroke="white", strokeWidth=1).encode(
        y=y, x=alt.X("count:Q", title="Innovations", stack="zero", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("origin_label:N", title="Came from", sort=origin_order,
                        scale=alt.Scale(domain=origin_order, range=[c for *_, c in ORIGINS])),
        order=alt.Order("origin_label:N", sort="ascending"),
        tooltip=[alt.Tooltip("stage:N", title="Stage"), alt.Tooltip("origin_label:N", title="From"),
                 alt.Tooltip("count:Q", title="Innovations"), alt.Tooltip("saving_text:N", title="Annual saving")])
    max_count = float(totals["count"].max())
    labels = alt.Chart(totals).mark_text(align="left", dx=5, fontWeight="bold").encode(
        y=y, x=alt.X("count:Q", scale=alt.Scale(domain=[0, max_count * 1.35 + 1])), text=alt.Text("label:N"))
    return _finish([bars, labels], title, "Innovations to date by stage, with the annual savings claimed",
                   height=150)


def innovation_caption(innovations: pd.DataFrame) -> str:
    if innovations.empty:
        return "No innovation is on record: 0 ideas, 0 pilots, 0 embedded."
    counts = innovations["status"].value_counts()
    embedded = innovations[innovations["status"] == "embedded"]
    staff = int((innovations["origin"] == "staff").sum())
    return (f"{len(innovations)} innovation(s) on record: {int(counts.get('embedded', 0))} embedded, saving "
            f"{fmt.money(embedded['annual_saving'].sum())} a year, {int(counts.get('piloted', 0))} piloted and "
            f"{int(counts.get('idea', 0))} idea(s); {staff} came from staff.")

