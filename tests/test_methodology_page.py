"""AppTests of the methodology page (pages/methodology.py) on the hand-made fixture (D = 2026-06-30).

The hand-made set has too few trading mutuals for the bundled backtest (min_trading = 20), so the
backtest is shown both ways: the honest "cannot be backtested here" with the bundled rules, and the
chart, tables and downloads with min_trading lowered to 1 (a copy of the config in ``MUTUALS_RULES``).
"""

from __future__ import annotations

import html
import io
import json
import re

import pyarrow as pa
import pytest

from mutuals.infra.db import Database
from mutuals.reports import methodology as method
from mutuals.reports import rules_text
from mutuals.rules import CONFIG_PATH, load_rules
from mutuals.services.backtest import run_backtest
from mutuals.services.backtest_tables import headline, pooled_table
from tests.apptest import captions as apptest_captions
from tests.apptest import elements, open_app, texts
from tests.conftest import override_rules

PAGE = "pages/methodology.py"


def unmd(text: str) -> str:
    """Undo markdown backslash escapes."""
    return re.sub(r"\\(.)", r"\1", text)


def html_text(body: str) -> str:
    return html.unescape(re.sub(r"<style>.*?</style>|<script>.*?</script>|<[^>]+>", " ", body, flags=re.S))


def page_text(at) -> str:
    """Everything a reader sees as text: markdown, captions, alerts, headings and the HTML tables,
    whitespace collapsed."""
    markdown = [texts(at)] + [h.value for h in at.header]
    tables = [html_text(h.proto.body) for h in at.get("html")]
    return re.sub(r"\s+", " ", " ".join([unmd(m) for m in markdown] + tables))


def open_methodology(data_dir):
    return open_app(data_dir, page=PAGE)


@pytest.fixture(scope="module")
def app(handmade_dir):
    at = open_methodology(handmade_dir)
    assert not at.exception, at.exception
    return at


@pytest.fixture()
def small_rules(tmp_path, monkeypatch):
    """The bundled rules with min_trading 1, so the six hand-made mutuals can be backtested."""
    return override_rules(tmp_path, monkeypatch, [("min_trading = 20", "min_trading = 1")])


def test_sections_and_anchors(app):
    rules = load_rules()
    sections = method.methodology(rules)
    assert app.title[0].value == "Methodology"
    assert [unmd(h.value) for h in app.header] == [s.title for s in sections if s.level == 2]
    assert [h.proto.anchor for h in app.header] == [s.anchor for s in sections if s.level == 2]
    # one heading per indicator, by area and signal, anchored at its column (/methodology#plan_delivery)
    order = [c for a in rules.areas for s in a.signals for c in s.indicators]
    assert [h.proto.anchor for h in app.subheader] == order
    assert [unmd(h.value) for h in app.subheader] == [rules.by_column(c).label for c in order]
    contents = unmd(app.expander[0].markdown[0].value)
    assert "(#plan_delivery)" in contents and "(#backtest)" in contents


def test_every_indicator_explained(app):
    rules = load_rules()
    text = page_text(app)
    for ind in rules.indicators:
        for phrase in (method.prose(rules, ind, ind.why), method.prose(rules, ind, ind.source),
                       rules.text(ind.definition), *ind.threshold_text(), *rules_text.thresholds_in_units(ind),
                       method.evidence_sentence(ind)):
            assert re.sub(r"\s+", " ", phrase) in text, (ind.column, phrase)
        assert "{" not in method.prose(rules, ind, ind.why) + method.prose(rules, ind, ind.source)
    assert "fewer than 11 respondents" in text and "the next smallest group is suppressed too" in text
    assert "Okabe-Ito" in text


def test_provenance_data_date_and_command_line(app):
    text = page_text(app)
    assert "Data date: 30 Jun 2026" in text
    assert "synthetic sample data, seeded and generated (generator tests/fixtures/handmade.py)" in text
    assert "python -m mutuals backtest" in text and "python -m mutuals indicators" in text
    assert "The sidebar filters do not apply here" in text


def test_backtest_too_small_says_so(app):
    """Six mutuals < min_trading 20: no chart, and the page says why."""
    info = " ".join(unmd(i.value) for i in app.info)
    assert "cannot be backtested here" in info and "at least 20 trading mutuals" in info
    assert not elements(app, "arrow_vega_lite_chart") and not elements(app, "vega_lite_chart")
    assert "the backtest shows whether the rules detect the generator's causal story" in page_text(app)


def test_backtest_chart_tables_and_downloads(handmade_dir, handmade_db_path, small_rules):
    at = open_methodology(handmade_dir)
    assert not at.exception, at.exception
    with Database(handmade_db_path) as db:
        result = run_backtest(db)
    assert len(result.dates) == 12 and result.events == 4  # 30 Jun 2012 … 30 Jun 2023
    charts = elements(at, "arrow_vega_lite_chart") + elements(at, "vega_lite_chart")
    assert len(charts) == 1
    proto = charts[0].proto
    data = [pa.ipc.open_stream(io.BytesIO(d.data.data)).read_all().to_pylist() for d in proto.datasets]
    assert '"errorbar"' in proto.spec and "Pooled rate 12.1%" in json.dumps(data, ensure_ascii=False)
    captions = apptest_captions(at)
    assert headline(result) in captions  # the chart's takeaway: rates, lift and recall
    assert "(0.7× the pooled rate)" in headline(result)
    text = page_text(at)
    pooled = pooled_table(result)
    for column in pooled.columns:
        assert column in text
    assert "○ Sustainable 5 1 20.0% 3.6%–62.4% 1.65×" in text  # a pooled row, worked by run_backtest
    assert "30 Jun 2012" in text and "30 Jun 2023" in text  # the per-date table
    labels = {b.label for b in at.get("download_button")}
    assert {"Download backtest tables (CSV)", "Download backtest rows (one per mutual and date) (CSV)",
            "PNG", "SVG"} <= labels


def test_page_follows_another_data_set(tmp_path):
    """A data set not marked synthetic is called imported, and the backtest note says it is a real test."""
    from tests.fixtures import handmade

    tables = {**handmade.TABLES, "dataset_info": [{"key": "synthetic", "value": "false"},
                                                  {"key": "source", "value": "Contracts Finder *export*"}]}
    folder = handmade.write_csvs(tmp_path / "csv", tables)
    at = open_methodology(folder)
    assert not at.exception, at.exception
    text = page_text(at)
    assert "Provenance: imported data" in text
    assert "the backtest is a real test" in text
    assert "Contracts Finder *export*" in text  # data shown literally, never as markdown


def test_backtest_chart_builder(handmade_db, small_rules):
    """The pure builder: statuses least to most severe, Wilson error bars, the pooled rule; caption = headline."""
    from mutuals.charts import backtest as charts

    result = run_backtest(handmade_db)
    frame = charts.rate_frame(result)
    assert list(frame["overall_status"]) == ["sustainable", "watch", "concern", "at_risk"]
    assert frame["rate_text"].tolist() == ["20.0%", "12.5%", "8.3%", "no cases"]  # at risk: no mutual-dates
    spec = charts.event_rate_chart(result).to_dict()  # validates against the Vega-Lite schema
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["bar", "errorbar", "text", "rule", "text"]
    assert charts.event_rate_caption(result) == headline(result)


def test_rules_require_why_and_source(tmp_path):
    import tomllib

    from mutuals.rules import ConfigError, parse_rules

    raw = tomllib.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    raw["indicator"][0]["why"] = "  "
    with pytest.raises(ConfigError, match="plan_delivery needs a non-empty 'why'"):
        parse_rules(raw)
    raw = tomllib.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    del raw["indicator"][2]["source"]
    with pytest.raises(ConfigError, match="months_since_strategy_session needs a non-empty 'source'"):
        parse_rules(raw)
    raw = tomllib.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    raw["indicator"][3]["source"] = "under {min_respondent} respondents"
    with pytest.raises(ConfigError, match=r"engagement_score source has unknown placeholder\(s\) \['min_respondent'\]"):
        parse_rules(raw)
