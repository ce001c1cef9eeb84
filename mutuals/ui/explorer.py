"""The explorer's controls, facet panel and tab rendering (pages/explorer.py stays layout only).

Every control is bound to the URL (``bind="query-params"``, its key is the parameter's name), so a
copied link brings back the same filters, compare-by dimension, tab and picks. Streamlit drops a URL
value that is not one of a control's options; :func:`url_notices` says so, once per link, with the
value quoted and escaped.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from mutuals.escape import html_text, md_text
from mutuals.infra.db import load_sql
from mutuals.rules import load_rules
from mutuals.services import explorer as ex
from mutuals.services.disclosure import Disclosed
from mutuals.services.survival import EVENTS
from mutuals.ui import components
from mutuals.ui.explorer_data import VIEWS, ExplorerBundle, frozen_params
from mutuals.ui.filters import Filters, quoted

# URL parameter (widget key) of each explorer filter -> the column it filters.
FILTER_KEYS = {"legal_form": "legal_form", "ownership": "ownership_model", "parent_kind": "parent_kind",
               "size": "size_band", "stage": "stage", "status": "overall_status"}
FILTER_LABELS = {"legal_form": "Legal form", "ownership": "Ownership model", "parent_kind": "Parent kind",
                 "size": "Size band", "stage": "Stage", "status": "Overall status"}


def _formatter(column: str):
    labels = ex.value_labels(column)
    return lambda value: labels.get(value, value)


def url_notices(choices: dict[str, tuple[list[str], object]]) -> list[str]:
    """Notices for URL values that are not options of their control (Streamlit drops them silently).

    ``choices``: URL key -> (options, format function: an option as the URL holds it). A notice is kept for
    the session once given, so it survives the rerun on which Streamlit removes the value from the URL."""
    notices = st.session_state.setdefault("_explorer_notices", {})
    for key, (options, formatter) in choices.items():
        allowed = {str(formatter(o)) for o in options}
        bad = [v for v in dict.fromkeys(st.query_params.get_all(key)) if v and v not in allowed]
        if bad:
            shown = ", ".join(quoted(v) for v in bad[:5]) + (f" and {len(bad) - 5:,} more" if len(bad) > 5 else "")
            notices[key] = f"The {key} value(s) {shown} in the link are not among the choices and were ignored."
    return list(notices.values())


def _pick_choices() -> dict[str, tuple[list[str], object]]:
    """The tab and each tab's pick: options as the URL holds them."""
    rules = load_rules()
    labels = {i.column: i.label for i in rules.indicators}
    return {"tab": (list(VIEWS.values()), str), "indicator": (list(labels), labels.get),
            "journey": (list(rules.explorer.journey_indicators), labels.get), "event": (list(EVENTS), EVENTS.get)}


def controls(base: pd.DataFrame, f: Filters) -> tuple[ex.Selection, str]:
    """The explorer's filters (sidebar) and compare-by picker; returns the selection and the dimension."""
    rules = load_rules()
    options = {key: ex.options(base, column, rules) for key, column in FILTER_KEYS.items()}
    years = pd.to_numeric(base["spin_out_year"], errors="coerce").dropna()
    first, last = (int(years.min()), int(years.max())) if len(years) else (2000, 2000)
    dims = list(ex.DIMENSIONS)
    notices = url_notices({**{k: (v, _formatter(FILTER_KEYS[k])) for k, v in options.items()},
                           "compare": (dims, ex.DIMENSIONS.get), **_pick_choices()})
    cohort_raw = st.query_params.get_all("cohort")
    if cohort_raw and not all(v.isascii() and v.isdigit() and len(v) == 4 and first <= int(v) <= last
                              for v in cohort_raw):
        st.session_state["_explorer_notices"]["cohort"] = (
            f"The cohort {', '.join(quoted(v) for v in cohort_raw[:2])} in the link is not a pair of spin-out "
            f"years between {first} and {last}; showing every cohort.")
        notices = list(st.session_state["_explorer_notices"].values())

    side = st.sidebar
    side.markdown("**Explorer filters**")
    chosen = {}
    for key, column in FILTER_KEYS.items():
        chosen[column] = tuple(side.multiselect(
            FILTER_LABELS[key], options[key], key=key, bind="query-params", format_func=_formatter(column),
            placeholder="All"))
    span = side.slider("Spin-out cohort (years)", min_value=first, max_value=max(last, first + 1),
                       value=(first, max(last, first + 1)), step=1, key="cohort", bind="query-params",
                       help="Mutuals spun out in these years. Cohort bands: "
                            + ", ".join(b.label for b in rules.explorer.cohorts))
    for notice in notices:
        side.info(notice, icon=":material/info:")
    cohort = None if tuple(span) == (first, max(last, first + 1)) else (int(span[0]), int(span[1]))
    compare = st.selectbox("Compare by", dims, format_func=ex.DIMENSIONS.get, key="compare", bind="query-params",
                           help="The groups every view compares.")
    selection = ex.Selection(sector=f.sectors, region=f.regions, cohort_years=cohort, **chosen)
    return selection, compare or "sector"


FACET_CSS = ("<style>.facets{list-style:none;margin:0;padding:0;font-size:0.85rem}"
             ".facets li{display:flex;justify-content:space-between;gap:0.5rem;padding:0.1rem 0}"
             ".facet-n{font-variant-numeric:tabular-nums;color:#333}</style>")


def facet_panel(bundle: ExplorerBundle, selection: ex.Selection) -> None:
    """Counts per filter value in the selection (each facet counted with the other filters applied)."""
    chosen = {**selection.chosen()}
    st.markdown(f"**{len(bundle.selected):,} of {len(bundle.base):,} mutuals selected**")
    st.caption("Each count is the number of mutuals with that value given the other filters.")
    for column, title in ex.FACETS.items():
        table = bundle.facets[column]
        shown = table.shown()
        items = []
        for (_, row), value in zip(shown.iterrows(), table.frame["value"]):
            count = row["count"] if isinstance(row["count"], str) else f"{int(row['count']):,}"
            mark = "✓ " if value in chosen.get(column, ()) else ""
            items.append(f"<li>{html_text(mark + str(row['label']))} <span class='facet-n'>{html_text(count)}</span>"
                         "</li>")
        with st.expander(title, expanded=True):
            st.html(f"{FACET_CSS}<ul class='facets' aria-label='{html_text(title)}'>{''.join(items)}</ul>")


def show_table(frame: pd.DataFrame, key: str) -> None:
    """A table already as text (:func:`mutuals.charts.explorer_tables.as_text`, built once in the cached bundle).
    Streamlit's own table download is off (``client.disableDataExport``): the view's downloads are the app's."""
    st.dataframe(frame, hide_index=True, key=f"table-{key}", width="stretch")


def about_rows(view_label: str, compare: str, f: Filters, selection: ex.Selection, bundle: ExplorerBundle,
               queries: tuple[tuple[str, dict], ...], dataset: dict[str, str]):
    """The About sheet of a download (filters, dates, dataset, SQL with parameters, disclosure rule)."""
    from mutuals.reports.explorer_export import About

    filters = [("Commissioner", f.commissioner_name or "All commissioners")]
    filters += [(FILTER_LABELS.get(k, k.replace("_", " ").capitalize()), ", ".join(map(str, v)))
                for k, v in selection.chosen().items()]
    if selection.cohort_years:
        filters.append(("Spin-out years", f"{selection.cohort_years[0]}–{selection.cohort_years[1]}"))
    return About(view=view_label, filters=tuple(filters), data_date=f.data_date, as_of=f.as_of,
                 dataset=tuple(sorted(dataset.items())), compare=ex.DIMENSIONS[compare],
                 queries=tuple((f"queries/{name}.sql", json.dumps(frozen_params(p), default=str))
                               for name, p in queries),
                 rule=bundle.rule.describe())


def downloads(name: str, table: Disclosed, tables: dict[str, Disclosed], about, context, key: str) -> None:
    """CSV, XLSX (with its About sheet) and Parquet of a view: every cell as disclosed."""
    from mutuals.reports import explorer_export as out

    with st.container(horizontal=True, gap="small", key=f"downloads-{key}"):
        st.download_button("CSV", data=lambda: out.csv_bytes(table, about, context.line()),
                           file_name=context.file_name(f"explorer-{key}", "csv"), mime="text/csv",
                           key=f"csv-{key}", icon=":material/download:", on_click="ignore", width="content",
                           help=f"The {name} table as CSV")
        st.download_button("XLSX", data=lambda: out.xlsx_bytes(tables, about),
                           file_name=context.file_name(f"explorer-{key}", "xlsx"),
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key=f"xlsx-{key}", icon=":material/table:", on_click="ignore", width="content",
                           help="Every table of this view, with an About sheet: filters, dates, dataset, SQL "
                                "and the disclosure rule")
        st.download_button("Parquet", data=lambda: out.parquet_bytes(table, about),
                           file_name=context.file_name(f"explorer-{key}", "parquet"),
                           mime="application/vnd.apache.parquet", key=f"parquet-{key}",
                           icon=":material/database:", on_click="ignore", width="content",
                           help=f"The {name} table as Parquet (the About facts in its metadata)")


def show_sql(queries: tuple[tuple[str, dict], ...], key: str) -> None:
    """The SQL files a view ran and their bound parameters, read-only."""
    with st.expander("Show SQL", icon=":material/code:"):
        for name, params in queries:
            st.markdown(f"`queries/{md_text(name)}.sql`")
            st.code(load_sql(name), language="sql")
            st.code(json.dumps(frozen_params(params), indent=1, default=str), language="json")


def pickers() -> dict[str, str]:
    """Each view's own pick (the distribution's indicator, the journey's indicator, the survival event), bound to
    the URL. All are drawn whatever the open tab, so a link made on any tab carries every pick."""
    rules = load_rules()
    labels = {i.column: i.label for i in rules.indicators}
    left, middle, right = st.columns(3)
    return {
        "distributions": left.selectbox("Distribution of", list(labels), format_func=labels.get, key="indicator",
                                        bind="query-params", help="The indicator of the Distributions view."),
        "journeys": middle.selectbox("Journey of", list(rules.explorer.journey_indicators), format_func=labels.get,
                                     key="journey", bind="query-params", help="The indicator of the Journeys view."),
        "survival": right.selectbox("Survival until", list(EVENTS), format_func=EVENTS.get, key="event",
                                    bind="query-params", help="The event of the Survival view."),
    }


def export_context(f: Filters):
    return components.export_context(f.commissioner_name, f.as_of)


CHART_TITLES = {"distribution": "Distribution by group", "journey": "Journey since spin-out",
                "survival": "Survival after spin-out", "early_peak": "Early engagement peak by group",
                "status_mix": "Overall status mix by group"}
TABLE_TITLES = {"medians": "Medians by group and indicator", "at_risk": "Mutuals at risk",
                "status_mix": "Counts and row shares", "early_peak": "Early peak by group",
                "journeys": "Journey statistics"}


def render_view(key: str, label: str, view, context) -> None:
    """A tab: each chart with its takeaway caption (or why there is none), then its tables as disclosed."""
    st.caption(md_text(view.note))
    for name, spec in view.charts.items():
        caption = view.captions.get(name, "")
        st.markdown(f"**{md_text(CHART_TITLES.get(name, name))}**")
        if spec is None:
            components.empty_state(caption, "Widen the filters, or compare by a dimension with larger groups.")
        else:
            components.chart(spec, caption, f"explorer-{name}", context=context, title=CHART_TITLES.get(name))
    for name, table in view.display.items():
        st.markdown(f"**{md_text(TABLE_TITLES.get(name, name.replace('_', ' ').capitalize()))}**")
        show_table(table, f"{key}-{name}")
