"""The rules, read from the one config file ``mutuals/config/indicators.toml``.

Indicator thresholds and evidence ages, the area roll-up, the overall ladder, the
status vocabulary, the backtest settings and the windows the pages use. The code
that rates indicators, the methodology page, the board-pack appendix and the README
all read them through :func:`load_rules`.
"""

from __future__ import annotations

import math
import os
import string
import tomllib
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

CONFIG_PATH = Path(__file__).resolve().parent / "config" / "indicators.toml"

STAGES = ("ceased", "pre_spin_out")  # stages that decide the overall status before any rating
# Indicator prose (why, source) may also name the indicator's own lines, in its display unit.
LINE_FIELDS = frozenset({"green", "amber"})


@dataclass(frozen=True)
class StatusStyle:
    """How a status is shown: always colour plus symbol plus word."""

    key: str
    word: str
    symbol: str
    colour: str  # Okabe-Ito fill

    @property
    def label(self) -> str:
        return f"{self.symbol} {self.word}"

    @property
    def ink(self) -> str:
        """The text colour (black or white) with the higher WCAG contrast on this fill."""
        return "#000" if contrast(self.colour, "#000000") >= contrast(self.colour, "#ffffff") else "#fff"


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i:i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass(frozen=True)
class Indicator:
    """One indicator: its column, area and signal, direction, thresholds and evidence age."""

    column: str
    label: str
    area: str
    signal: str
    direction: str  # "higher" or "lower" is better
    green: float
    amber: float
    format: str
    definition: str
    why: str = ""
    source: str = ""
    evidence: str | None = None              # what the dated evidence is, e.g. "latest plan year"
    max_evidence_months: int | None = None   # older evidence is stale: status no_data

    def rate(self, value: float | None) -> str:
        """green | amber | red | no_data for one value."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "no_data"
        value = round(float(value), 9)  # thresholds are exact decimals; ignore float noise
        if self.direction == "higher":
            return "green" if value >= self.green else "amber" if value >= self.amber else "red"
        return "green" if value <= self.green else "amber" if value <= self.amber else "red"

    @property
    def status_column(self) -> str:
        return f"{self.column}_status"

    @property
    def evidence_column(self) -> str | None:
        """``<column>_evidence_date`` for indicators that rest on a dated row, else None."""
        return f"{self.column}_evidence_date" if self.max_evidence_months is not None else None

    @property
    def stale_column(self) -> str | None:
        return f"{self.column}_stale" if self.max_evidence_months is not None else None

    def threshold_text(self) -> tuple[str, str, str]:
        """Plain-language tests for green, amber and red, e.g. ('≥ 0.95', '≥ 0.85 and < 0.95', '< 0.85')."""
        if self.direction == "higher":
            return f"≥ {self.green:g}", f"≥ {self.amber:g} and < {self.green:g}", f"< {self.amber:g}"
        return f"≤ {self.green:g}", f"> {self.green:g} and ≤ {self.amber:g}", f"> {self.amber:g}"


@dataclass(frozen=True)
class _RolledUp:
    """A rolled-up status (a signal's or an area's), kept in the column ``<key><STATUS_SUFFIX>``."""

    STATUS_SUFFIX: ClassVar[str] = "_status"
    key: str
    label: str

    @property
    def status_column(self) -> str:
        return f"{self.key}{self.STATUS_SUFFIX}"


@dataclass(frozen=True)
class Signal(_RolledUp):
    """Correlated indicators inside an area; a signal counts once."""

    STATUS_SUFFIX: ClassVar[str] = "_signal_status"
    area: str
    indicators: tuple[str, ...]


@dataclass(frozen=True)
class Area(_RolledUp):
    """One of the seed's three factors, or finance."""

    short: str
    signals: tuple[Signal, ...]


@dataclass(frozen=True)
class Settings:
    min_respondents: int
    days_per_month: float
    expiry_window_days: int
    innovation_window_days: int
    comparison_years: int
    headline_windows_days: tuple[int, ...]
    expiry_timeline_months: int
    early_peak_max_change: float
    early_peak_phases: tuple[str, ...]
    at_peak_tolerance: float
    reserves_typical_months: tuple[float, float]
    label_max_chars: int = 120  # names in headings, the matrix and charts are cut to this (issue 8)


@dataclass(frozen=True)
class Rollup:
    signal_severity: tuple[str, ...]      # worst first
    area_red_min_red_signals: int
    area_amber_min_red_signals: int
    area_amber_min_amber_signals: int


@dataclass(frozen=True)
class Ladder:
    cliff: tuple[str, ...]
    at_risk_min_red_areas: int
    concern_min_red_areas: int
    watch_min_amber_areas: int


@dataclass(frozen=True)
class Backtest:
    horizon_years: int
    min_trading: int
    adverse_outcomes: tuple[str, ...]
    flagged: tuple[str, ...]
    confidence: float


@dataclass(frozen=True)
class Band:
    """A labelled inclusive range of whole numbers (a spin-out cohort's years, a size band's staff)."""

    label: str
    first: int | None = None  # None: open below
    last: int | None = None   # None: open above

    def holds(self, value: int) -> bool:
        return (self.first is None or value >= self.first) and (self.last is None or value <= self.last)


@dataclass(frozen=True)
class Explorer:
    """The researcher explorer's bands and its disclosure rule."""

    min_group: int                       # k
    suppressed_text: str                 # with {k}
    at_risk_years: tuple[int, ...]
    at_risk_round: int
    panel_day: tuple[int, int]           # (month, day) of the indicator panel's yearly date
    confidence: float
    journey_indicators: tuple[str, ...]
    parent_loss_outcomes: tuple[str, ...]
    cohorts: tuple[Band, ...]
    size_bands: tuple[Band, ...]

    @property
    def suppressed(self) -> str:
        """What a suppressed cell reads: 'suppressed (n < 5)'."""
        return self.suppressed_text.format(k=self.min_group)

    def band(self, bands: tuple[Band, ...], value: int | None) -> str | None:
        """The label of the first band holding ``value`` (None when none does or the value is missing)."""
        if value is None:
            return None
        return next((b.label for b in bands if b.holds(int(value))), None)


@dataclass(frozen=True)
class Rules:
    indicators: tuple[Indicator, ...]
    areas: tuple[Area, ...]
    statuses: dict[str, StatusStyle]          # indicator, signal and area statuses
    overall_statuses: dict[str, StatusStyle]  # most severe first
    settings: Settings
    rollup: Rollup
    overall: Ladder
    backtest: Backtest
    explorer: Explorer
    path: Path = CONFIG_PATH

    # Shorthands used throughout the code.
    @property
    def min_respondents(self) -> int:
        return self.settings.min_respondents

    @property
    def days_per_month(self) -> float:
        return self.settings.days_per_month

    @property
    def area_labels(self) -> dict[str, str]:
        return {a.key: a.label for a in self.areas}

    @property
    def signals(self) -> tuple[Signal, ...]:
        return tuple(s for a in self.areas for s in a.signals)

    @property
    def overall_order(self) -> tuple[str, ...]:
        return tuple(self.overall_statuses)

    @property
    def overall_rank(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.overall_statuses)}

    def by_column(self, column: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.column == column:
                return indicator
        raise KeyError(column)

    def area(self, key: str) -> Area:
        for area in self.areas:
            if area.key == key:
                return area
        raise KeyError(key)

    def for_area(self, area: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.area == area)

    @property
    def columns(self) -> list[str]:
        return [i.column for i in self.indicators]

    def status_style(self, status: str) -> StatusStyle:
        """The style of an indicator/area status or an overall status (unknown: a grey '?')."""
        return (self.statuses.get(status) or self.overall_statuses.get(status)
                or StatusStyle(str(status), str(status), "?", "#999999"))

    def sql_settings(self) -> dict[str, Any]:
        """The indicator SQL's parameters that come from the settings (the same for every caller)."""
        s = self.settings
        return {
            "min_respondents": int(s.min_respondents),
            "days_per_month": s.days_per_month,
            "window_days": s.expiry_window_days,
            "innovation_days": s.innovation_window_days,
            "early_peak_max_change": s.early_peak_max_change,
            "early_peak_phases": list(s.early_peak_phases),
        }

    def text(self, template: str, **extra: str) -> str:
        """Fill ``{setting}`` placeholders in config prose from the settings (and ``extra``, e.g. an
        indicator's ``{green}`` and ``{amber}`` lines in its display unit)."""
        return template.format(**{k: _show(v) for k, v in vars(self.settings).items()}, **extra)


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    if isinstance(value, tuple):
        return "–".join(_show(v) for v in value)
    return str(value)


class ConfigError(ValueError):
    """The rules config is inconsistent; the message names the file and the entry."""


def _styles(raw: dict) -> dict[str, StatusStyle]:
    return {key: StatusStyle(key, v["word"], v["symbol"], v["colour"]) for key, v in raw.items()}


def _areas(raw: dict, path: Path) -> tuple[Area, ...]:
    areas = []
    for key, spec in raw.items():
        signals = tuple(Signal(skey, s["label"], key, tuple(s["indicators"]))
                        for skey, s in spec["signals"].items())
        if not signals:
            raise ConfigError(f"{path}: area {key!r} has no signals")
        areas.append(Area(key, spec["label"], spec.get("short", spec["label"]), signals))
    return tuple(areas)


def _bands(raw: list[dict], path: Path, what: str) -> tuple[Band, ...]:
    """Bands in order, each inclusive, contiguous and not overlapping (checked)."""
    bands = tuple(Band(b["label"], b.get("first"), b.get("last")) for b in raw)
    if not bands:
        raise ConfigError(f"{path}: explorer.{what} needs at least one band")
    for band in bands:
        if band.first is not None and band.last is not None and band.first > band.last:
            raise ConfigError(f"{path}: explorer.{what} {band.label!r} has first after last")
    for before, after in zip(bands, bands[1:]):
        if before.last is None or after.first != before.last + 1:
            raise ConfigError(f"{path}: explorer.{what} {after.label!r} must start the year/number after "
                              f"{before.label!r} ends")
    return bands


def _explorer(raw: dict, path: Path, home: dict) -> Explorer:
    month, day = (int(x) for x in raw["panel_day"].split("-"))
    explorer = Explorer(
        min_group=int(raw["min_group"]), suppressed_text=str(raw["suppressed_text"]),
        at_risk_years=tuple(int(y) for y in raw["at_risk_years"]), at_risk_round=int(raw["at_risk_round"]),
        panel_day=(month, day), confidence=float(raw["confidence"]),
        journey_indicators=tuple(raw["journey_indicators"]),
        parent_loss_outcomes=tuple(raw["parent_loss_outcomes"]),
        cohorts=_bands(raw["cohort"], path, "cohort"), size_bands=_bands(raw["size_band"], path, "size_band"),
    )
    if explorer.min_group < 2 or explorer.at_risk_round < 1:
        raise ConfigError(f"{path}: explorer.min_group must be at least 2 and at_risk_round at least 1")
    unknown = set(explorer.journey_indicators) - set(home)
    if unknown:
        raise ConfigError(f"{path}: explorer.journey_indicators names unknown indicator(s) {sorted(unknown)}")
    return explorer


def parse_rules(raw: dict, path: Path = CONFIG_PATH) -> Rules:
    """Build and check :class:`Rules` from the parsed TOML."""
    areas = _areas(raw["area"], path)
    home: dict[str, tuple[str, str]] = {}
    for area in areas:
        for signal in area.signals:
            for column in signal.indicators:
                if column in home:
                    raise ConfigError(f"{path}: indicator {column!r} is in two signals")
                home[column] = (area.key, signal.key)
    indicators = []
    for item in raw["indicator"]:
        column = item["column"]
        if column not in home:
            raise ConfigError(f"{path}: indicator {column!r} is in no signal of any area")
        ind = Indicator(area=home[column][0], signal=home[column][1], **item)
        if ind.direction not in ("higher", "lower"):
            raise ConfigError(f"{path}: indicator {column} direction must be 'higher' or 'lower'")
        if (ind.direction == "higher") != (ind.green >= ind.amber):
            raise ConfigError(f"{path}: indicator {column} thresholds are in the wrong order")
        if (ind.evidence is None) != (ind.max_evidence_months is None):
            raise ConfigError(f"{path}: indicator {column} needs both 'evidence' and 'max_evidence_months'")
        for name in ("definition", "why", "source"):
            prose = getattr(ind, name)
            if not prose.strip():
                raise ConfigError(f"{path}: indicator {column} needs a non-empty {name!r}")
            allowed = {f.name for f in fields(Settings)} | (LINE_FIELDS if name != "definition" else set())
            unknown = {f for _, f, _, _ in string.Formatter().parse(prose) if f} - allowed
            if unknown:
                raise ConfigError(f"{path}: indicator {column} {name} has unknown placeholder(s) {sorted(unknown)}")
        indicators.append(ind)
    unknown = set(home) - {i.column for i in indicators}
    if unknown:
        raise ConfigError(f"{path}: signals name unknown indicator(s) {sorted(unknown)}")
    s = raw["settings"]
    settings = Settings(
        min_respondents=int(s["min_respondents"]), days_per_month=float(s["days_per_month"]),
        expiry_window_days=int(s["expiry_window_days"]), innovation_window_days=int(s["innovation_window_days"]),
        comparison_years=int(s["comparison_years"]),
        headline_windows_days=tuple(int(d) for d in s["headline_windows_days"]),
        expiry_timeline_months=int(s["expiry_timeline_months"]),
        early_peak_max_change=float(s["early_peak_max_change"]),
        early_peak_phases=tuple(s["early_peak_phases"]), at_peak_tolerance=float(s["at_peak_tolerance"]),
        reserves_typical_months=tuple(float(x) for x in s["reserves_typical_months"]),
        label_max_chars=int(s.get("label_max_chars", 120)),
    )
    r, o, b = raw["rollup"], raw["overall"], raw["backtest"]
    statuses = _styles(raw["status"])
    rollup = Rollup(tuple(r["signal_severity"]), int(r["area_red_min_red_signals"]),
                    int(r["area_amber_min_red_signals"]), int(r["area_amber_min_amber_signals"]))
    if set(rollup.signal_severity) != set(statuses):
        raise ConfigError(f"{path}: rollup.signal_severity must rank exactly the statuses {sorted(statuses)}")
    ladder = Ladder(tuple(o["cliff"]), int(o["at_risk_min_red_areas"]), int(o["concern_min_red_areas"]),
                    int(o["watch_min_amber_areas"]))
    for column in ladder.cliff:
        if column not in home:
            raise ConfigError(f"{path}: overall.cliff names unknown indicator {column!r}")
    overall_statuses = _styles(raw["overall_status"])
    backtest = Backtest(int(b["horizon_years"]), int(b["min_trading"]), tuple(b["adverse_outcomes"]),
                        tuple(b["flagged"]), float(b["confidence"]))
    if not set(backtest.flagged) <= set(overall_statuses):
        raise ConfigError(f"{path}: backtest.flagged names an unknown overall status")
    explorer = _explorer(raw["explorer"], path, home)
    return Rules(tuple(indicators), areas, statuses, overall_statuses, settings, rollup, ladder, backtest, explorer,
                 Path(path))


def config_path() -> Path:
    """The rules file in force: ``MUTUALS_RULES`` if set (tests, other deployments), else the bundled one."""
    return Path(os.environ.get("MUTUALS_RULES") or CONFIG_PATH)


def load_rules(path: Path | str | None = None) -> Rules:
    """Parse and check the rules config in force (cached per file and modification time)."""
    path = Path(path) if path is not None else config_path()
    return _load(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load(path: Path, version: int) -> Rules:
    return parse_rules(tomllib.loads(path.read_text(encoding="utf-8")), path)


def rules_version() -> tuple[str, int]:
    """A cache key for the rules in force: changes when another file is used or the file is edited."""
    path = config_path()
    return str(path), path.stat().st_mtime_ns
