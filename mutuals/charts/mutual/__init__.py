"""One mutual's charts and their takeaway captions, for the mutual page and the board pack.

Every builder is a pure function of DataFrames (from :class:`~mutuals.services.mutual.MutualView`)
and a few scalars, returning a top-level Altair chart with an explicit width, so that it renders
the same on screen and through vl-convert (SVG/PNG/PDF). An empty frame gives a chart with a
"no data" text mark, never an exception. Each caption states the chart's takeaway in numbers.

The builders live by area: :mod:`.leadership`, :mod:`.engagement`, :mod:`.relationship` and
:mod:`.finance`, on the shared pieces of :mod:`.common`. :func:`mutual_charts` assembles every chart
of a view as ``{factor: [ChartSpec, ...]}``. The tables behind the charts, shaped for CSV download,
are :func:`mutuals.services.mutual_tables.download_tables`.
"""

from __future__ import annotations

import altair as alt

from mutuals.charts.mutual.common import (
    FINANCE_METRICS,
    HEIGHT,
    INCOME_SOURCES,
    INNOVATION_STAGES,
    MONEY_AXIS,
    ORIGINS,
    OUTCOMES,
    PHASES,
    SUBSCORES,
    WIDTH,
    ChartSpec,
    for_presentation,
    fy_label,
    no_data_chart,
)
from mutuals.charts.mutual.engagement import (
    engagement_journey_caption,
    engagement_journey_chart,
    innovation_caption,
    innovation_chart,
    innovation_frame,
    phase_spans,
    response_rate_caption,
    response_rate_chart,
    subscores_caption,
    subscores_chart,
)
from mutuals.charts.mutual.finance import finance_caption, finance_chart, finance_frame
from mutuals.charts.mutual.leadership import (
    non_parent_share_caption,
    non_parent_share_chart,
    non_parent_share_frame,
    plan_income_caption,
    plan_income_chart,
    plan_income_frame,
    session_gaps,
    sessions_caption,
    sessions_chart,
)
from mutuals.charts.mutual.relationship import (
    contract_caption,
    contract_frame,
    contract_gantt,
    income_sources_caption,
    income_sources_chart,
    income_sources_frame,
    reviews_caption,
    reviews_chart,
)

__all__ = [
    "FINANCE_METRICS", "HEIGHT", "INCOME_SOURCES", "INNOVATION_STAGES", "MONEY_AXIS", "ORIGINS", "OUTCOMES",
    "PHASES", "SUBSCORES", "WIDTH", "ChartSpec", "contract_caption", "contract_frame", "contract_gantt",
    "engagement_journey_caption", "engagement_journey_chart", "finance_caption", "finance_chart", "finance_frame",
    "for_presentation", "fy_label", "income_sources_caption", "income_sources_chart", "income_sources_frame",
    "innovation_caption", "innovation_chart", "innovation_frame", "mutual_charts", "no_data_chart",
    "non_parent_share_caption", "non_parent_share_chart", "non_parent_share_frame", "phase_spans",
    "plan_income_caption", "plan_income_chart", "plan_income_frame", "response_rate_caption", "response_rate_chart",
    "reviews_caption", "reviews_chart", "session_gaps", "sessions_caption", "sessions_chart", "subscores_caption",
    "subscores_chart",
]


def mutual_charts(view) -> dict[str, list[ChartSpec]]:
    """Every chart for a MutualView, by factor; a chart with no data says so (never raises)."""
    fin, as_of = view.financials, view.as_of
    waves, n = view.waves, view.min_respondents
    parent = view.profile.get("parent_commissioner_id")
    until = getattr(view, "ceased_on", None)  # a ceased mutual's charts end on its ceased date

    def spec(key: str, chart: alt.TopLevelMixin, caption: str) -> ChartSpec:
        title = chart.title.text if isinstance(chart.title, alt.TitleParams) else str(chart.title)
        return ChartSpec(key=key, title=title, chart=chart, caption=caption)

    return {
        "leadership": [
            spec("plan-income", plan_income_chart(fin), plan_income_caption(fin)),
            spec("non-parent-share", non_parent_share_chart(fin), non_parent_share_caption(fin)),
            spec("strategy-sessions", sessions_chart(view.sessions, as_of, until), sessions_caption(view.sessions, as_of)),
        ],
        "engagement": [
            spec("engagement-journey",
                 engagement_journey_chart(waves, view.sector_engagement, view.profile, as_of, n, until),
                 engagement_journey_caption(waves, view.sector_engagement, n, as_of)),
            spec("engagement-subscores", subscores_chart(waves, n, until), subscores_caption(waves, n)),
            spec("response-rate", response_rate_chart(waves, n), response_rate_caption(waves)),
            spec("innovation-pipeline", innovation_chart(view.innovations), innovation_caption(view.innovations)),
        ],
        "relationship": [
            spec("contracts", contract_gantt(view.contracts, as_of, parent, until), contract_caption(view.contracts, as_of)),
            spec("income-sources", income_sources_chart(fin), income_sources_caption(fin)),
            spec("relationship-reviews", reviews_chart(view.reviews, until), reviews_caption(view.reviews)),
        ],
        "finance": [
            spec(metric.replace("_", "-"), finance_chart(fin, view.sector_finance, metric),
                 finance_caption(fin, view.sector_finance, metric))
            for metric in FINANCE_METRICS
        ],
    }
