"""Indicator rules, read from the one config file ``mutuals/config/indicators.toml``.

The code that rates indicators, the methodology page and the board-pack
appendix all read the rules through :func:`load_rules`.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CONFIG_PATH = Path(__file__).resolve().parent / "config" / "indicators.toml"

STATUSES = ("green", "amber", "red", "no_data")
OVERALL_STATUSES = ("at_risk", "concern", "watch", "sustainable", "pre_spin_out", "ceased")


@dataclass(frozen=True)
class Indicator:
    """One indicator: its column, factor, direction and green/amber thresholds."""

    column: str
    label: str
    factor: str
    direction: str  # "higher" or "lower" is better
    green: float
    amber: float
    format: str
    definition: str

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

    def threshold_text(self) -> tuple[str, str, str]:
        """Plain-language tests for green, amber and red, e.g. ('≥ 0.95', '≥ 0.85', '< 0.85')."""
        if self.direction == "higher":
            return f"≥ {self.green:g}", f"≥ {self.amber:g} and < {self.green:g}", f"< {self.amber:g}"
        return f"≤ {self.green:g}", f"> {self.green:g} and ≤ {self.amber:g}", f"> {self.amber:g}"


@dataclass(frozen=True)
class Rules:
    indicators: tuple[Indicator, ...]
    factors: dict[str, str]
    min_respondents: int
    days_per_month: float
    expiry_window_days: int
    at_risk_min_reds: int
    at_risk_cliff: tuple[str, ...]
    concern_min_reds: int
    watch_min_reds: int
    watch_min_ambers: int

    def by_column(self, column: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.column == column:
                return indicator
        raise KeyError(column)

    def for_factor(self, factor: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.factor == factor)

    @property
    def columns(self) -> list[str]:
        return [i.column for i in self.indicators]


@lru_cache(maxsize=None)
def load_rules(path: Path = CONFIG_PATH) -> Rules:
    """Parse and check the indicator config."""
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    factors = dict(raw["factors"])
    indicators = tuple(Indicator(**{k: v for k, v in item.items()}) for item in raw["indicator"])
    for ind in indicators:
        if ind.factor not in factors:
            raise ValueError(f"{path}: indicator {ind.column} names unknown factor {ind.factor!r}")
        if ind.direction not in ("higher", "lower"):
            raise ValueError(f"{path}: indicator {ind.column} direction must be 'higher' or 'lower'")
        if (ind.direction == "higher") != (ind.green >= ind.amber):
            raise ValueError(f"{path}: indicator {ind.column} thresholds are in the wrong order")
    settings, overall = raw["settings"], raw["overall"]
    return Rules(
        indicators=indicators,
        factors=factors,
        min_respondents=int(settings["min_respondents"]),
        days_per_month=float(settings["days_per_month"]),
        expiry_window_days=int(settings["expiry_window_days"]),
        at_risk_min_reds=int(overall["at_risk_min_reds"]),
        at_risk_cliff=tuple(overall["at_risk_cliff"]),
        concern_min_reds=int(overall["concern_min_reds"]),
        watch_min_reds=int(overall["watch_min_reds"]),
        watch_min_ambers=int(overall["watch_min_ambers"]),
    )
