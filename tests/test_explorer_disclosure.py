"""The explorer's disclosure control end to end (issue 11), on tests/fixtures/explorer_set.py.

Housing has k − 1 = 4 mutuals with distinctive values (engagement median 9.13579, reserves median 47.2468
months): no table, chart, caption, display table or export of any view may carry one of their numbers.
Cross-tabs get secondary suppression, survival curves stop where fewer than k are at risk, the survey rule
keeps a 10-respondent wave out of every n, the mutual list holds public columns only, and the overall
status facet is disclosure-controlled while public facets are exact.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from mutuals.charts.explorer_view import build as build_view
from mutuals.infra.build import build
from mutuals.infra.db import Database
from mutuals.reports.explorer_export import About, csv_bytes, parquet_bytes, xlsx_bytes
from mutuals.services import explorer as ex
from mutuals.services import explorer_views as views
from mutuals.services.disclosure import PUBLIC_COLUMNS, TOTAL, Disclosed, Rule, binned_years, disclose
from mutuals.services.explorer import Selection
from tests.fixtures import explorer_set as es

D = date.fromisoformat(es.DATA_DATE)
RULE = Rule.from_rules()
TEXT = RULE.text
VIEWS = {  # view -> the picks each is built with
    "distributions": ("engagement_score", "reserves_months"),
    "journeys": ("engagement_score", "reserves_months"),
    "survival": ("ceasing", "parent_contract_loss"),
    "early_peak": ("",),
    "status_mix": ("",),
}
KEYS = {"group", "indicator", "indicator_label", "years"}  # columns that identify a row, never suppressed
NUMBER = re.compile(r"\d+(?:\.\d+)?")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explorer_set")
    report = build(es.write(folder / "csv"), folder / "explorer.duckdb")
    with Database(report.db_path) as database:
        yield database


@pytest.fixture(scope="module")
def base(db) -> pd.DataFrame:
    return ex.load_base(db, D)


@pytest.fixture(scope="module")
def built(db, base) -> dict[tuple[str, str], object]:
    """Every view with every pick, the sector as the compare-by dimension and no filter."""
    selected = ex.apply(base, Selection())
    group, order = ex.groups(selected, "sector")
    followed = ex.apply(base, Selection(), ignore=frozenset({"stage", "overall_status"}))
    followed_group, followed_order = ex.groups(followed, "sector")
    panel = views.prepare_panel(db.query("explorer_panel", scope=None))
    survival_rows = db.query("explorer_survival", as_of=D, scope=None)
    out = {}
    for view, picks in VIEWS.items():
        for pick in picks:
            out[view, pick] = build_view(
                view, selected=selected, group=group, order=order, rule=RULE, label="Sector", pick=pick,
                queries=(), panel=panel, survival_rows=survival_rows,
                survival_group=pd.Series(followed_group.to_numpy(), index=followed["mutual_id"].to_numpy()),
                survival_order=followed_order)
    return out


@pytest.fixture(scope="module")
def forbidden(base) -> set[str]:
    """The Housing group's numbers as any output could print them (whole numeric tokens)."""
    housing = base[(base["sector"] == es.HOUSING) & (base["stage"] == "trading")]
    assert len(housing) == RULE.k - 1
    engagement = housing["engagement_score"].astype(float)
    reserves = housing["reserves_months"].astype(float)
    assert sorted(engagement) == pytest.approx(sorted(es.HOUSING_ENGAGEMENT))
    assert sorted(reserves) == pytest.approx(sorted(es.HOUSING_RESERVES_MONTHS))
    assert engagement.median() == pytest.approx(es.HOUSING_ENGAGEMENT_MEDIAN)
    assert reserves.median() == pytest.approx(es.HOUSING_RESERVES_MEDIAN)
    stats = [es.HOUSING_ENGAGEMENT_MEDIAN, es.HOUSING_RESERVES_MEDIAN]
    for values in (engagement, reserves):
        stats += [values.median(), values.quantile(0.25), values.quantile(0.75), values.mean()]
    tokens = set()
    for v in stats:
        tokens |= {repr(float(v)), f"{v:.1f}", f"{v:.2f}", f"{v:.3f}", f"{v:.6g}", f"{v:.10g}"}
    for v in [*engagement, *reserves]:  # each mutual's own value
        tokens |= {repr(float(v)), f"{v:.2f}", f"{v:.3f}"}
    return tokens


def leaks(text: str, forbidden: set[str]) -> set[str]:
    """The forbidden numbers that occur in ``text`` as whole numeric tokens."""
    return set(NUMBER.findall(text)) & forbidden


def about() -> About:
    return About(view="Test", filters=(), data_date=D, as_of=D, dataset=(("synthetic", "true"),), queries=(),
                 rule=RULE.describe(), compare="Sector")


def housing_rows(table: Disclosed) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The Housing rows of a table (by its group column, or its index for a cross-tab), their mask and the
    statistic columns."""
    if "group" in table.frame.columns:
        keep = (table.frame["group"] == es.HOUSING).to_numpy()
        stats = [c for c in table.frame.columns if c not in KEYS]
        return table.frame[keep], table.suppressed[keep], stats
    keep = (table.frame.index == es.HOUSING)
    return table.frame[keep], table.suppressed[keep], list(table.frame.columns)


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist()
                         if name.endswith((".xml", ".rels")))


def parquet_text(data: bytes) -> str:
    table = pq.read_table(io.BytesIO(data))
    cells = table.to_pandas().astype(str).to_numpy().ravel().tolist()
    metadata = [f"{k.decode()}={v.decode()}" for k, v in (table.schema.metadata or {}).items()]
    return "\n".join([*map(str, table.column_names), *cells, *metadata])


def line_counts(mask: pd.DataFrame) -> list[int]:
    """How many cells are suppressed in each row and each column (totals included)."""
    values = mask.to_numpy()
    return [int(n) for n in values.sum(axis=1)] + [int(n) for n in values.sum(axis=0)]


# --------------------------------------------------------------------------- a group of k − 1 shows nothing


def test_fixture_shape(base):
    trading = base[base["stage"] == "trading"]
    assert trading["sector"].value_counts().to_dict() == {es.HEALTH: 8, es.SPORTS: 6, es.HOUSING: 4}
    assert set(base.loc[base["stage"] == "ceased", "mutual_id"]) == {"HS9", "HS10", "HS11"}
    assert base["cohort"].nunique() >= 4 and base["size_band"].nunique() == 4


@pytest.mark.parametrize("view", VIEWS)
def test_housing_statistics_are_suppressed_in_every_table(built, view):
    for pick in VIEWS[view]:
        result = built[view, pick]
        for name, table in result.tables.items():
            frame, mask, stats = housing_rows(table)
            if view == "survival":
                assert frame.empty, f"{name}: a group of {RULE.k - 1} has a survival row"
                continue
            assert len(frame), f"{name}: no Housing row"
            assert frame[stats].isna().all().all(), f"{name}: a Housing statistic survived"
            assert mask[stats].all().all()
            shown = table.shown()
            shown = shown[(shown["group"] == es.HOUSING).to_numpy()] if "group" in shown else shown.loc[[es.HOUSING]]
            assert (shown[stats] == TEXT).all().all()


@pytest.mark.parametrize("view", VIEWS)
def test_housing_numbers_appear_in_no_chart_caption_or_display(built, view, forbidden):
    for pick in VIEWS[view]:
        result = built[view, pick]
        assert any(spec is not None for spec in result.charts.values())
        for name, spec in result.charts.items():
            text = json.dumps(spec, default=str)
            assert not leaks(text, forbidden), f"chart {name} ({pick})"
            assert es.HOUSING not in text, f"chart {name} ({pick}) draws the Housing group"
        for name, caption in result.captions.items():
            assert not leaks(caption, forbidden), f"caption {name} ({pick}): {caption}"
        for name, frame in result.display.items():
            text = frame.to_csv()
            assert not leaks(text, forbidden), f"display {name} ({pick})"
            if es.HOUSING in frame.index:
                assert (frame.loc[es.HOUSING] == TEXT).all(), f"display {name} ({pick})"


def test_the_leak_detector_finds_housing_numbers_under_a_laxer_rule(db, base, forbidden):
    """Control: with k = 4 the Housing group is shown, and every check above would catch its numbers."""
    lax = Rule(k=4, text=RULE.text, round_to=RULE.round_to, min_respondents=RULE.min_respondents)
    selected = ex.apply(base, Selection())
    group, order = ex.groups(selected, "sector")
    result = build_view("distributions", selected=selected, group=group, order=order, rule=lax, label="Sector",
                        pick="engagement_score")
    table = result.tables["distributions"]
    assert leaks(json.dumps(result.charts["distribution"], default=str), forbidden)
    assert leaks(result.captions["distribution"], forbidden)
    assert leaks(result.display["medians"].to_csv(), forbidden)
    assert leaks(csv_bytes(table, about()).decode("utf-8"), forbidden)
    assert leaks(parquet_text(parquet_bytes(table, about())), forbidden)
    assert leaks(xlsx_text(xlsx_bytes({"t": table}, about())), forbidden)
    survival = build_view("survival", selected=selected, group=group, order=order, rule=lax, label="Sector",
                          pick="ceasing", survival_rows=db.query("explorer_survival", as_of=D, scope=None),
                          survival_group=pd.Series(group.to_numpy(), index=selected["mutual_id"].to_numpy()),
                          survival_order=order)
    assert es.HOUSING in json.dumps(survival.charts["survival"], default=str)


def test_suppressed_groups_are_named_in_captions(built):
    caption = built["distributions", "engagement_score"].captions["distribution"]
    assert es.HOUSING in caption and "suppressed" in caption
    assert es.HOUSING in built["survival", "ceasing"].captions["survival"]


@pytest.mark.parametrize("view", VIEWS)
def test_no_export_carries_a_suppressed_number(built, view, forbidden):
    for pick in VIEWS[view]:
        tables = built[view, pick].tables
        for name, table in tables.items():
            for kind, text in (("csv", csv_bytes(table, about()).decode("utf-8")),
                               ("parquet", parquet_text(parquet_bytes(table, about())))):
                assert not leaks(text, forbidden), f"{kind} of {name} ({pick})"
                if table.count:
                    assert TEXT in text, f"{kind} of {name} ({pick}) does not say what is suppressed"
        text = xlsx_text(xlsx_bytes(tables, about()))
        assert not leaks(text, forbidden), f"xlsx of {view} ({pick})"
        sheets = pd.read_excel(io.BytesIO(xlsx_bytes(tables, about())), sheet_name=None, engine="calamine")
        if any(t.count for t in tables.values()):
            assert any((frame == TEXT).any().any() for name, frame in sheets.items() if name != "About")


def test_exports_of_the_distributions_show_the_rule_text_in_the_housing_rows(built):
    table = built["distributions", "engagement_score"].tables["distributions"]
    frame = pd.read_csv(io.BytesIO(csv_bytes(table, about())), skiprows=1)
    housing = frame[frame["group"] == es.HOUSING]
    assert len(housing) == len(table.frame["indicator"].unique())
    assert (housing[["n", "median", "q1", "q3"]] == TEXT).all().all()
    parquet = pq.read_table(io.BytesIO(parquet_bytes(table, about()))).to_pandas()
    assert (parquet.loc[parquet["group"] == es.HOUSING, ["n", "median", "q1", "q3"]] == TEXT).all().all()


# --------------------------------------------------------------------------- cross-tabs


def test_one_small_cell_gets_a_second_in_its_row_and_column():
    counts = pd.DataFrame([[10, 12, 8], [3, 9, 11], [7, 6, 10]], index=["A", "B", "C"], columns=["x", "y", "z"])
    table = disclose("crosstab", counts, RULE)
    mask = table.suppressed
    assert mask.at["B", "x"] and np.isnan(table.frame.at["B", "x"])
    assert mask.loc["B"].drop("x").any(), "no second suppressed cell in the small cell's row"
    assert mask["x"].drop("B").any(), "no second suppressed cell in the small cell's column"
    assert all(n == 0 or n >= 2 for n in line_counts(mask))
    full = counts.astype(float)
    full[TOTAL] = full.sum(axis=1)
    full.loc[TOTAL] = full.sum(axis=0)
    open_cells = ~mask.to_numpy()
    assert np.array_equal(table.frame.to_numpy()[open_cells], full.to_numpy()[open_cells])
    assert table.frame.isna().to_numpy().sum() == mask.to_numpy().sum()


def test_status_mix_has_secondary_suppression(built, base):
    result = built["status_mix", ""]
    mix, shares = result.tables["status_mix"], result.tables["status_shares"]
    mask = mix.suppressed
    assert mask.loc[es.HOUSING].all()
    assert all(n == 0 or n >= 2 for n in line_counts(mask))
    for column in mask.columns:  # Housing's hidden cell has a partner in its column
        assert mask[column].drop(es.HOUSING).any()
    counts = pd.crosstab(base["sector"], base["overall_status"])
    for group in counts.index:  # every count of 1 .. k-1 is hidden
        for status in counts.columns:
            if 0 < counts.at[group, status] < RULE.k:
                assert mask.at[group, status], (group, status)
            elif not mask.at[group, status]:
                assert mix.frame.at[group, status] == counts.at[group, status]
    assert shares.suppressed.loc[mask.index, mask.columns].to_numpy()[mask.to_numpy()].all()


# --------------------------------------------------------------------------- survival


def health_years(db, event: str) -> pd.Series:
    rows = db.query("explorer_survival", as_of=D, scope=None)
    rows = rows[(rows["event"] == event) & rows["mutual_id"].str.startswith("HS")]
    days = (pd.to_datetime(rows["stop"]) - pd.to_datetime(rows["start"])).dt.days
    return binned_years(days, rows["observed"])


@pytest.mark.parametrize("event", ["ceasing", "parent_contract_loss"])
def test_survival_curve_stops_where_fewer_than_k_are_at_risk(built, db, event):
    years = health_years(db, event)
    assert len(years) == 11
    result = built["survival", event]
    curves = result.tables["survival"].frame
    health = curves[curves["group"] == es.HEALTH].sort_values("years")
    assert len(health)
    raw = {int(t): int((years >= t).sum()) for t in health["years"]}
    assert all(n >= RULE.k for n in raw.values())
    last = int(health["years"].max())
    later = sorted(t for t in set(years.astype(int)) if t > last)
    assert later, "the curve should be cut before the last duration"
    assert int((years >= later[0]).sum()) < RULE.k
    for t, at_risk in zip(health["years"], health["at_risk"]):
        assert at_risk % RULE.round_to == 0
        assert abs(at_risk - raw[int(t)]) <= RULE.round_to / 2
    assert (curves["at_risk"] % RULE.round_to == 0).all()
    assert es.HOUSING not in set(curves["group"]) and es.HOUSING not in result.display["at_risk"].index


def test_ceasing_curve_for_health_by_hand(built):
    health = built["survival", "ceasing"].tables["survival"].frame
    health = health[health["group"] == es.HEALTH]
    # durations 4, 4*, 6*, 7, 7*, 9, 12, 14, 15, 15, 17 (* ceased): at risk 11, 9, 8, 6, 5, then 4 at 14
    assert int(health["years"].max()) == 12
    assert health.set_index("years").loc[12, "at_risk"] == 5


def test_at_risk_table_is_rounded_or_suppressed(built):
    table = built["survival", "ceasing"].tables["at_risk"]
    values = table.frame["at_risk"]
    assert (values.dropna() % RULE.round_to == 0).all()
    assert (values.dropna() >= RULE.k).all()
    assert table.suppressed["at_risk"].any()
    assert (table.shown().loc[table.suppressed["at_risk"], "at_risk"] == TEXT).all()


# --------------------------------------------------------------------------- the survey rule


def test_a_ten_respondent_wave_enters_no_n(built, base, db):
    waves = pd.DataFrame(es.TABLES["engagement"])
    sizes = waves.assign(respondents=waves["respondents"].astype(int)).groupby(["mutual_id", "survey_date"])[
        "respondents"].sum()
    shown = set(sizes[sizes >= RULE.min_respondents].index.get_level_values(0))
    assert es.SMALL_WAVE_MUTUAL not in shown
    health = base[(base["sector"] == es.HEALTH) & (base["stage"] == "trading")]
    assert es.SMALL_WAVE_MUTUAL in set(health["mutual_id"])
    expected = int(health["mutual_id"].isin(shown).sum())
    assert expected == 7
    dist = built["distributions", "engagement_score"].tables["distributions"].frame
    row = dist[(dist["group"] == es.HEALTH) & (dist["indicator"] == "engagement_score")]
    assert int(row["n"].iloc[0]) == expected
    assert base.loc[base["mutual_id"] == es.SMALL_WAVE_MUTUAL, "engagement_score"].isna().all()
    panel = views.prepare_panel(db.query("explorer_panel", scope=None))
    mine = panel[panel["mutual_id"] == es.SMALL_WAVE_MUTUAL]
    assert len(mine) and mine["engagement_score"].isna().all()


# --------------------------------------------------------------------------- the mutual list


def test_mutual_list_holds_public_columns_only(base):
    selected = ex.apply(base, Selection())
    rows = ex.mutual_rows(selected, Selection(), RULE)
    assert list(rows.frame.columns) == [c for c in PUBLIC_COLUMNS if c in selected.columns]
    assert set(rows.frame.columns) <= set(PUBLIC_COLUMNS)
    assert len(rows.frame) == len(selected) and not rows.notes


def test_mutual_list_is_empty_while_filtered_on_status(base):
    selection = Selection(overall_status=("watch",))
    rows = ex.mutual_rows(ex.apply(base, selection), selection, RULE)
    assert rows.frame.empty and rows.notes and "status" in rows.notes[0]
    assert set(rows.frame.columns) <= set(PUBLIC_COLUMNS)


# --------------------------------------------------------------------------- facet counts


def test_status_facet_suppresses_small_counts_on_the_fixture(base):
    facet = ex.facet_counts(base, Selection(), RULE)["overall_status"]
    truth = base["overall_status"].value_counts()
    for value, count, hidden in zip(facet.frame["value"], facet.frame["count"], facet.suppressed["count"]):
        n = int(truth.get(value, 0))
        if 0 < n < RULE.k:
            assert hidden and np.isnan(count), value
        elif not hidden:
            assert count == n, value
    assert facet.count == 0 or facet.count >= 2
    assert (facet.shown().loc[facet.suppressed["count"], "count"] == TEXT).all()


def hand_base(statuses: dict[str, int]) -> pd.DataFrame:
    rows = [s for s, n in statuses.items() for _ in range(n)]
    return pd.DataFrame({"sector": "Housing", "region": "North West", "legal_form": "Co-operative Society",
                         "ownership_model": "employee-led", "parent_kind": "nhs", "cohort": "2021+",
                         "size_band": "< 50 staff", "stage": "trading", "overall_status": rows,
                         "spin_out_year": 2022}, index=range(len(rows)))


def test_status_facet_hides_a_second_count_when_one_is_small():
    frame = hand_base({"at_risk": 2, "concern": 7, "watch": 9, "sustainable": 12})
    facet = ex.facet_counts(frame, Selection(), RULE)["overall_status"].frame.set_index("value")["count"]
    assert np.isnan(facet["at_risk"]) and np.isnan(facet["concern"])  # the small one, and the next smallest
    assert facet["watch"] == 9 and facet["sustainable"] == 12


def test_public_facets_show_exact_counts(base):
    facets = ex.facet_counts(base, Selection(), RULE)
    for column in ("sector", "region", "cohort", "size_band", "stage", "parent_kind"):
        facet = facets[column]
        assert not facet.suppressed.to_numpy().any(), column
        truth = base[column].astype(str).value_counts()
        assert dict(zip(facet.frame["value"], facet.frame["count"])) == {k: float(v) for k, v in truth.items()}
    sector = facets["sector"].frame.set_index("value")["count"]
    assert sector[es.HOUSING] == 4  # a public count below k is shown as it is
