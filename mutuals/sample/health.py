"""The latent health of each mutual: the hidden state that every signal reads and every outcome is drawn from.

Health is a number on a rough z-scale (0 is an ordinary mutual, -2 a mutual in
trouble) that evolves quarterly from the options appraisal on. Each quarter it
moves part of the way back towards the mutual's own level (which drifts slowly),
plus noise, plus occasional shocks (a chief executive leaves, a funding cut, a
failed inspection; now and then a good break). Mutuals whose engagement peaks
before spin-out start with a honeymoon above a lower level and slide towards it.

The public tables are noisy readings of health (engagement, response rates,
innovation, strategy sessions, plans, commissioner reviews, margins, growth and
diversification), and the contract decisions (extend, renew, re-tender won or
lost, hand back) and ceasing are drawn from health at the moment of decision,
never from anything computed from the public tables.
"""

from __future__ import annotations

import math

import numpy as np

from mutuals.sample.common import DATA_ORD, YEAR, _Mutuals, _ord, _shuffled_labels, _sigmoid

GRID_START = _ord(2005, 1, 1)
STEP = YEAR / 4                          # one quarter, in days
GRID_STEPS = int((DATA_ORD + 800 - GRID_START) / STEP) + 2

# The mutual's own level, and where health starts at the options appraisal.
LEVEL_MEAN, LEVEL_SD = 0.50, 0.50
WEAK_TAIL = (0.15, 0.6, 1.5)             # chance a mutual is structurally weak, and by how much
LEVEL_PER_MEMBER_SHARE = 0.40            # staff ownership goes with health (level +-0.2)
START_SD = 0.15
EARLY_PEAK_SHARE = 0.30                  # exact share: engagement peaks early, then declines
EARLY_PEAK_LIFT = (0.9, 1.8)             # their health at the options appraisal, above the level
EARLY_PEAK_LEVEL_DROP = 0.80             # ... and the lower level they slide towards
# Quarterly dynamics: mean reversion (half-life about 3 years), noise, drift and shocks.
REVERSION = 0.06
NOISE = 0.08
DRIFT_SD = 0.035                         # a year: some improve steadily, some decline
SHOCK_DOWN = (0.015, 0.8, 1.8)           # chance a quarter, size range
SHOCK_UP = (0.006, 0.3, 0.9)

# Dependency on the former parent: exact shares of mutuals by plateau of the parent's
# share of income. Healthier mutuals are likelier to diversify.
DEPENDENCY_GROUPS = [(0.42, 0.40, 0.60), (0.33, 0.60, 0.78), (0.25, None, None)]  # share, range
DEPENDENCY_NOISE = 0.8                   # how loosely the group follows the health level
DIVERSIFY_PER_HEALTH = 0.12              # non-parent income x exp(this x health)

# Decisions, as logits of health h (and dependency d, the parent's share of income).
P_EXTEND = (-0.85, 0.5)                  # take an available extension: a + b h
P_RENEW = (-0.70, 0.7)                   # renew without a tender: a + b h
P_LONG_TERM = (0.0, 1.5)                 # a renewed or re-won term is the longer of two draws: a + b h
P_LOSE = (-2.6, 1.4, 3.0, 0.7)           # lose the re-tender: a - b h + c (d - d0)
P_OTHER_LOST = (-2.4, 0.8)               # a smaller contract is lost at its re-tender: a - b h
P_NEW_WORK = (0.3, 0.9)                  # when a line of other work ends, new work is won: a + b h
HAND_BACK = (0.06, 3.5, -2.2)            # chance a quarter: top x sigmoid(k (h0 - h))
P_CEASE = (-1.3, 0.9, 1.3, 2.0)          # after a loss: a - b h + c [handed back] + e (share - 0.5)
P_PLAN_RENEW = (1.4, 1.6)                # write the next five-year plan on time: a + b h
P_PLAN_LATE = (-1.8, 1.2)                # each later year without a plan: a + b h
DECISION_LEAD_DAYS = 180                 # commissioners decide about six months before an end


class Health:
    """Quarterly latent health for every mutual, with vectorised and scalar look-ups."""

    def __init__(self, grid: np.ndarray):
        self.grid = grid                  # (mutuals, GRID_STEPS)
        self._rows: list[list[float]] | None = None

    def at(self, idx: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Health of mutuals ``idx`` on day ordinals ``when`` (linear between quarters)."""
        pos = np.clip((np.asarray(when, dtype=float) - GRID_START) / STEP, 0, GRID_STEPS - 1.001)
        q = pos.astype(np.int64)
        frac = pos - q
        idx = np.asarray(idx, dtype=np.int64)
        return self.grid[idx, q] * (1 - frac) + self.grid[idx, q + 1] * frac

    def at1(self, i: int, when: int) -> float:
        """Scalar ``at`` for Python loops."""
        if self._rows is None:
            self._rows = self.grid.tolist()
        pos = min(max((when - GRID_START) / STEP, 0.0), GRID_STEPS - 1.001)
        q = int(pos)
        row = self._rows[i]
        return row[q] + (row[q + 1] - row[q]) * (pos - q)

    def mean_between(self, idx: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """Average health over [start, stop] (three-point rule; enough for a financial year)."""
        mid = (start + stop) / 2
        return (self.at(idx, start) + 2 * self.at(idx, mid) + self.at(idx, stop)) / 4


def simulate_health(M: _Mutuals, rng: np.random.Generator) -> Health:
    """Draw each mutual's level and path; sets M.level, M.early_peak, M.hand_back_at and dependency."""
    n = M.n
    M.early_peak = _shuffled_labels(rng, n, [1 - EARLY_PEAK_SHARE, EARLY_PEAK_SHARE]) == 1
    level = (LEVEL_MEAN + LEVEL_SD * rng.standard_normal(n)
             + LEVEL_PER_MEMBER_SHARE * (M.member_share - 0.5))
    weak = rng.random(n) < WEAK_TAIL[0]
    level -= np.where(weak, rng.uniform(WEAK_TAIL[1], WEAK_TAIL[2], n), 0.0)
    level = np.where(M.early_peak, level - EARLY_PEAK_LEVEL_DROP, level)
    lift = np.where(M.early_peak, rng.uniform(*EARLY_PEAK_LIFT, n), 0.0)
    start = level + lift + START_SD * rng.standard_normal(n)
    drift = DRIFT_SD * rng.standard_normal(n)
    M.level = level

    times = GRID_START + STEP * np.arange(GRID_STEPS)
    first = np.floor((M.oa - GRID_START) / STEP).astype(np.int64)
    grid = np.empty((n, GRID_STEPS))
    cur = start.copy()
    eps = rng.standard_normal((GRID_STEPS, n))
    u = rng.random((GRID_STEPS, n))
    size = rng.random((GRID_STEPS, n))
    p_down, down_lo, down_hi = SHOCK_DOWN
    p_up, up_lo, up_hi = SHOCK_UP
    for q in range(GRID_STEPS):
        live = q > first
        years = np.maximum(times[q] - M.spin, 0.0) / YEAR
        target = level + drift * years
        shock = np.where(u[q] < p_down, -(down_lo + (down_hi - down_lo) * size[q]),
                         np.where(u[q] > 1 - p_up, up_lo + (up_hi - up_lo) * size[q], 0.0))
        step = REVERSION * (target - cur) + NOISE * eps[q] + shock
        cur = np.where(live, cur + step, cur)
        grid[:, q] = cur
    health = Health(grid)

    # Hand-back: the first quarter, from a year after spin-out, in which a very weak
    # mutual gives the service back as unsustainable (0 = never by the data date).
    top, k, h0 = HAND_BACK
    p = top * _sigmoid(k * (h0 - grid))
    trigger = (rng.random((n, GRID_STEPS)) < p) & (times[None, :] >= (M.spin + YEAR)[:, None])
    trigger &= times[None, :] <= DATA_ORD
    has = trigger.any(axis=1)
    # The hand-back takes effect at the start of that quarter.
    M.hand_back_at = np.where(has, np.round(times[np.argmax(trigger, axis=1)]).astype(np.int64), 0)

    _dependency(M, rng)
    return health


def _dependency(M: _Mutuals, rng: np.random.Generator) -> None:
    """Where the parent's share of income settles: healthier mutuals tend to diversify further."""
    n = M.n
    order = np.argsort(-(M.level + DEPENDENCY_NOISE * rng.standard_normal(n)), kind="stable")
    counts = np.round(np.cumsum([g[0] for g in DEPENDENCY_GROUPS]) * n).astype(np.int64)
    group = np.empty(n, dtype=np.int64)
    group[order] = np.searchsorted(counts, np.arange(n), side="right")
    group = np.minimum(group, len(DEPENDENCY_GROUPS) - 1)
    lo = np.array([g[1] if g[1] is not None else 0.0 for g in DEPENDENCY_GROUPS])[group]
    hi = np.array([g[2] if g[2] is not None else 0.0 for g in DEPENDENCY_GROUPS])[group]
    plateau = lo + (hi - lo) * rng.random(n)
    dependent = group == len(DEPENDENCY_GROUPS) - 1
    M.dependency_group = group
    M.share_target = np.where(dependent, np.maximum(0.80, M.share0 - rng.uniform(0.0, 0.10, n)),
                              plateau)


def parent_share(t, s0, target, tau, h):
    """The former parent's share of income t years after spin-out, at health h (numpy).

    It falls from s0 towards the plateau with time constant tau; health speeds or
    slows the winning of other income as diversification proceeds.
    """
    decay = np.exp(-np.maximum(t, 0.0) / tau)
    curve = target + (s0 - target) * decay
    return np.clip(1.0 - (1.0 - curve) * np.exp(DIVERSIFY_PER_HEALTH * h * (1 - decay)), 0.0, 1.0)


def parent_share1(t: float, s0: float, target: float, tau: float, h: float) -> float:
    """Scalar ``parent_share``."""
    decay = math.exp(-max(t, 0.0) / tau)
    curve = target + (s0 - target) * decay
    return min(1.0, max(0.0, 1.0 - (1.0 - curve) * math.exp(DIVERSIFY_PER_HEALTH * h * (1 - decay))))


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def p_extend(h: float) -> float:
    return _logistic(P_EXTEND[0] + P_EXTEND[1] * h)


def p_renew(h: float) -> float:
    return _logistic(P_RENEW[0] + P_RENEW[1] * h)


def p_long_term(h: float) -> float:
    return _logistic(P_LONG_TERM[0] + P_LONG_TERM[1] * h)


def p_lose(h: float, dependency: float) -> float:
    a, b, c, d0 = P_LOSE
    return _logistic(a - b * h + c * (dependency - d0))


def p_other_lost(h: float) -> float:
    return _logistic(P_OTHER_LOST[0] - P_OTHER_LOST[1] * h)


def p_new_work(h: float) -> float:
    return _logistic(P_NEW_WORK[0] + P_NEW_WORK[1] * h)


def p_cease(h: float, handed_back: bool, loss_share: float) -> float:
    a, b, c, e = P_CEASE
    return _logistic(a - b * h + c * handed_back + e * (loss_share - 0.5))


def p_plan_renew(h: float, late: bool) -> float:
    a, b = P_PLAN_LATE if late else P_PLAN_RENEW
    return _logistic(a + b * h)
