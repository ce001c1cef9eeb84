"""Shared pieces of the sample generator: the column contract, calendar and random helpers.

Dates are day ordinals (``datetime.date.toordinal``) while generating; ``0`` means
missing. Nothing here reads the clock.
"""

from __future__ import annotations

import bisect
import datetime
import itertools

import numpy as np
import pandas as pd

from mutuals.infra.build import INFO_TABLE, TABLES, contract_columns  # noqa: F401  (the data contract's tables, in load order)

DATA_DATE = datetime.date(2026, 9, 30)

# --------------------------------------------------------------------------- #
# Column contract: name and CSV format of every column, in file order, derived #
# from queries/schema.sql (the catalog), so the generator cannot restate it.   #
# Formats: str, int, date, money (2 dp), score (2 dp), share (3 dp), bool.    #
# --------------------------------------------------------------------------- #
FORMAT_OF_TYPE = {"VARCHAR": "str", "INTEGER": "int", "BIGINT": "int", "DATE": "date", "DOUBLE": "money",
                  "BOOLEAN": "bool"}
FORMAT_OF_COLUMN = {"member_share": "share", "motivation": "score", "involvement": "score", "advocacy": "score"}


def _columns() -> dict[str, list[tuple[str, str]]]:
    return {table: [(name, FORMAT_OF_COLUMN.get(name, FORMAT_OF_TYPE[dtype])) for name, dtype in columns]
            for table, columns in contract_columns().items()}


COLUMNS: dict[str, list[tuple[str, str]]] = _columns()

# --------------------------------------------------------------------------- #
# Calendar helpers                                                            #
# --------------------------------------------------------------------------- #
DATA_ORD = DATA_DATE.toordinal()
YEAR = 365.25
_EPOCH_ORD = datetime.date(1970, 1, 1).toordinal()
_MONTH_BASE = 1990
_MONTH_START = [datetime.date(_MONTH_BASE + k // 12, k % 12 + 1, 1).toordinal()
                for k in range(12 * 80)]


def _ord(y: int, m: int, d: int) -> int:
    return datetime.date(y, m, d).toordinal()


def _month_index(ordinal: int) -> int:
    d = datetime.date.fromordinal(ordinal)
    return (d.year - _MONTH_BASE) * 12 + d.month - 1


def _add_months(first_of_month: int, months: int) -> int:
    """Ordinal of the first day ``months`` after a first-of-month ordinal."""
    return _MONTH_START[_month_index(first_of_month) + months]


def _years_of(ordinals: np.ndarray) -> np.ndarray:
    return np.array([datetime.date.fromordinal(int(o)).year for o in ordinals], dtype=np.int64)


_MARCH_31 = {y: datetime.date(y, 3, 31).toordinal() for y in range(1990, 2070)}


def _march_31(years: np.ndarray) -> np.ndarray:
    return np.array([_MARCH_31[int(y)] for y in years], dtype=np.int64)


def _to_dates(ordinals) -> pd.Series:
    """Day ordinals (<= 0 meaning missing) to a datetime64 Series."""
    arr = np.asarray(ordinals, dtype=np.int64)
    out = (arr - _EPOCH_ORD).astype("datetime64[D]")
    out[arr <= 0] = np.datetime64("NaT")
    return pd.Series(out.astype("datetime64[s]"))


def _first_year_end(spin: np.ndarray) -> np.ndarray:
    """Year of the 31 March ending the first full financial year that starts on/after spin-out."""
    years = _years_of(spin)
    april = np.array([_ord(int(y), 4, 1) for y in years])
    return np.where(spin <= april, years + 1, years + 2)


def _last_year_end(end: np.ndarray) -> np.ndarray:
    """Year of the latest 31 March on or before ``end``."""
    years = _years_of(end)
    return np.where(end >= _march_31(years), years, years - 1)


# --------------------------------------------------------------------------- #
# Random helpers                                                              #
# --------------------------------------------------------------------------- #
def _choices(values: list, weights: list[float]) -> tuple[list, list[float]]:
    """Values with normalised cumulative weights, for ``_Draws.weighted``."""
    total = float(sum(weights))
    return list(values), [w / total for w in itertools.accumulate(weights)]


class _Draws:
    """Fast scalar draws for Python loops, buffered from a numpy Generator."""

    _BLOCK = 1 << 14

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._u: list[float] = []
        self._i = 0
        self._z: list[float] = []
        self._j = 0

    def u(self) -> float:
        if self._i >= len(self._u):
            self._u, self._i = self._rng.random(self._BLOCK).tolist(), 0
        self._i += 1
        return self._u[self._i - 1]

    def z(self) -> float:
        if self._j >= len(self._z):
            self._z, self._j = self._rng.standard_normal(self._BLOCK).tolist(), 0
        self._j += 1
        return self._z[self._j - 1]

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.u()

    def integer(self, a: int, b: int) -> int:
        """Uniform integer in [a, b], both included."""
        return a + int(self.u() * (b - a + 1))

    def normal(self, mu: float, sd: float) -> float:
        return mu + sd * self.z()

    def chance(self, p: float) -> bool:
        return self.u() < p

    def pick(self, seq):
        return seq[int(self.u() * len(seq))]

    def weighted(self, choices: tuple[list, list[float]]):
        """One value from a ``_choices`` table."""
        values, cum = choices
        return values[min(bisect.bisect_right(cum, self.u()), len(values) - 1)]


def _exact_counts(n: int, shares, min_each: int = 0) -> np.ndarray:
    """Split n into integer counts by largest remainder, at least min_each each (if n allows)."""
    shares = np.asarray(shares, dtype=float) / np.sum(shares)
    floor = min_each if n >= min_each * len(shares) else 0
    raw = shares * (n - floor * len(shares))
    counts = floor + np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - np.floor(raw)), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def _shuffled_labels(rng: np.random.Generator, n: int, shares, min_each: int = 0) -> np.ndarray:
    """Category indices in exact proportions, in random order."""
    return rng.permutation(np.repeat(np.arange(len(shares)), _exact_counts(n, shares, min_each)))


def _categorical(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    """n independent category indices drawn with the given weights."""
    cum = np.cumsum(weights) / np.sum(weights)
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1)


def _within_group_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows exploded from ``counts``: each row's owner and its index within the owner."""
    owner = np.repeat(np.arange(len(counts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.arange(len(owner)) - first


def _group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum that restarts for each consecutive group of ``counts`` rows."""
    if len(values) == 0:
        return np.zeros(0)
    cs = np.cumsum(values)
    starts = np.cumsum(counts) - counts
    offset = np.where(starts > 0, cs[np.maximum(starts - 1, 0)], 0.0)
    return cs - np.repeat(offset, counts)


def _sigmoid(x):
    """Logistic function, for numpy arrays or floats."""
    return 1.0 / (1.0 + np.exp(-x))


def _poisson_events(rng: np.random.Generator, start: np.ndarray, stop: np.ndarray,
                    per_year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Random event dates in [start, stop] per mutual; returns (mutual index, date), sorted."""
    span = np.maximum(stop - start, 0)
    count = np.where(span > 0, rng.poisson(per_year * span / YEAR), 0)
    owner = np.repeat(np.arange(len(start)), count)
    dates = start[owner] + np.floor(rng.random(len(owner)) * (span[owner] + 1)).astype(np.int64)
    order = np.lexsort((dates, owner))
    return owner[order], dates[order]


class _Mutuals:
    """Per-mutual attributes, public and hidden, as parallel arrays (index = mutual)."""
