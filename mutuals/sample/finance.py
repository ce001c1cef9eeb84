"""Income, accounts and five-year plans, as noisy readings of latent health.

Income grows at the mutual's trend rate plus a health term, so weak spells put
income behind plan; the former parent's share falls towards its plateau, faster
for healthy mutuals; margins move with health, so deficits and thinning reserves
come before the outcomes that low health makes likely. Most mutuals write a new
five-year plan as the old one ends; weak ones often do not.
"""

from __future__ import annotations

import numpy as np

from mutuals.sample.common import (
    _MARCH_31,
    DATA_ORD,
    YEAR,
    _Draws,
    _first_year_end,
    _group_cumsum,
    _last_year_end,
    _march_31,
    _Mutuals,
    _within_group_index,
)
from mutuals.sample.health import GRID_START, GRID_STEPS, STEP, Health, p_plan_renew, parent_share

GROWTH_PER_HEALTH = 0.035      # income growth a year per unit of health
INCOME_NOISE = 0.035           # year-to-year noise in total income (log scale)
MARGIN_BASE = (0.015, 0.040)   # each mutual's usual surplus margin ...
MARGIN_PER_HEALTH = 0.015      # ... plus this per unit of health ...
MARGIN_NOISE = 0.010           # ... plus yearly noise
STRESS = (-0.8, 0.020, 0.030)  # below this health, margins and income growth fall by these per unit
LOSS_SHOCK = (0.02, 0.08)      # margin hit in the two years after losing the main contract
PLAN_GROWTH = (0.01, 0.06)     # plans grow 1-6% a year: the trend plus some optimism
PLAN_OPTIMISM = (-0.005, 0.02)
PLAN_LIFT = (0.02, 0.20)       # planned rise in the non-parent share over the first five years
RENEWED_LIFT = (0.0, 0.08)     # ... and over a later plan's, from the share already reached


class IncomePath:
    """Each mutual's underlying income run-rate (before any loss), quarter by quarter."""

    def __init__(self, M: _Mutuals, health: Health):
        times = GRID_START + STEP * np.arange(GRID_STEPS)
        started = times[None, :] > M.spin[:, None]
        stress = STRESS[2] * np.maximum(STRESS[0] - health.grid, 0.0)
        step = np.where(started, (M.growth[:, None] + GROWTH_PER_HEALTH * health.grid - stress) / 4,
                        0.0)
        self.log = np.cumsum(step, axis=1)
        self._end = M.end.copy()
        anchor = np.log(M.income_ref) - self._interp(np.arange(M.n), M.end)
        self.log += anchor[:, None]  # the run-rate at M.end is income_ref

    def _interp(self, idx: np.ndarray, when: np.ndarray) -> np.ndarray:
        pos = np.clip((np.asarray(when, dtype=float) - GRID_START) / STEP, 0, GRID_STEPS - 1.001)
        q = pos.astype(np.int64)
        frac = pos - q
        return self.log[idx, q] * (1 - frac) + self.log[idx, q + 1] * frac

    def rate(self, idx: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Annual income run-rate of mutuals ``idx`` on days ``when``."""
        return np.exp(self._interp(np.asarray(idx, dtype=np.int64), when))

    def size_factor(self, idx: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Run-rate on ``when`` relative to M.end (headcounts scale with it)."""
        idx = np.asarray(idx, dtype=np.int64)
        return np.exp(self._interp(idx, when) - self._interp(idx, self._end[idx]))


def _financials(M: _Mutuals, health: Health, income: IncomePath,
                rng: np.random.Generator) -> dict:
    """One row per mutual per financial year, from the first full year to the last before M.end."""
    first_year = _first_year_end(M.spin)
    count = np.where(M.pre, 0, np.maximum(_last_year_end(M.end) - first_year + 1, 0))
    idx, k = _within_group_index(count)
    year_end = _march_31(first_year[idx] + k)
    rows, n = len(idx), M.n
    year_start = year_end - 364
    t = (year_end - 182 - M.spin[idx]) / YEAR  # mid-year, in years since spin-out
    h = health.mean_between(idx, year_start, year_end)
    total_rate = income.rate(idx, year_end - 182) * np.exp(rng.normal(0, INCOME_NOISE, rows))
    share = np.clip(parent_share(t, M.share0[idx], M.share_target[idx], M.share_tau[idx], h)
                    + rng.normal(0, 0.015, rows), 0.0, 1.0)
    parent = total_rate * share
    # After losing the main contract the parent's income falls to a small residual.
    loss = M.loss[idx]
    after = np.where(loss > 0, np.clip((year_end - loss) / 365.0, 0.0, 1.0), 0.0)
    parent_kept = parent * (1 - after * (1 - M.residual[idx]))
    rest = total_rate - parent
    other_public = rest * np.clip(M.public_other_frac[idx] + rng.normal(0, 0.05, rows), 0.05, 0.95)
    non_public = rest - other_public
    total = parent_kept + other_public + non_public

    # Margins: mostly small surpluses, thinner (or deficits) when health is low, and a
    # restructuring hit in the two years after losing the main contract.
    margin = (rng.uniform(*MARGIN_BASE, n)[idx] + MARGIN_PER_HEALTH * h
              + rng.normal(0, MARGIN_NOISE, rows) - STRESS[1] * np.maximum(STRESS[0] - h, 0.0))
    shock = (after > 0) & (year_end - loss < 730)
    margin -= np.where(shock, rng.uniform(*LOSS_SHOCK, rows), 0.0)
    expenditure = total * (1 - np.clip(margin, -0.15, 0.12))
    staff_costs = expenditure * np.clip(rng.uniform(0.55, 0.75, n)[idx]
                                        + rng.normal(0, 0.01, rows), 0.5, 0.8)

    # Reserves: a working-capital dowry at spin-out plus retained surpluses (deficits eat them).
    dowry = np.where(k == 0, expenditure / 12 * rng.uniform(0.3, 2.8, n)[idx], 0.0)
    surplus = total - expenditure
    retained = np.where(surplus > 0, surplus * rng.uniform(0.6, 1.0, n)[idx], surplus)
    reserves = np.maximum(_group_cumsum(dowry + retained, count), expenditure / 12 * 0.05)
    liabilities = (expenditure * rng.uniform(0.06, 0.18, n)[idx]
                   * np.exp(rng.normal(0, 0.05, rows)))
    assets = liabilities + reserves * rng.uniform(0.6, 1.0, n)[idx]
    return {
        "mutual_id": M.ids[idx], "year_end": year_end,
        "income_parent": parent_kept, "income_other_public": other_public,
        "income_non_public": non_public, "expenditure": expenditure, "staff_costs": staff_costs,
        "unrestricted_reserves": reserves, "current_assets": assets,
        "current_liabilities": liabilities,
    }


def _plan_targets(M: _Mutuals, health: Health, income: IncomePath, fin: dict,
                  d: _Draws, log: list) -> dict:
    """Five-year business plans: the first from spin-out, then (mostly) a new one as each ends.

    Each plan grows income at the mutual's trend plus some optimism (1-6% a year)
    from the then-current income, and plans a rising non-parent share. Whether a
    new plan is written is drawn from health at the old plan's last year-end; a
    mutual that skips may still write one in a later year.
    """
    owner = np.searchsorted(M.ids, fin["mutual_id"]) if len(fin["mutual_id"]) else np.zeros(0, int)
    total = np.asarray(fin["income_parent"]) + np.asarray(fin["income_other_public"]) \
        + np.asarray(fin["income_non_public"])
    actual: dict[tuple[int, int], tuple[float, float]] = {}
    years = (np.asarray(fin["year_end"], dtype=np.int64) if len(owner) else np.zeros(0, int))
    for i, y, tot, par in zip(owner.tolist(), years.tolist(), total.tolist(),
                              np.asarray(fin["income_parent"]).tolist()):
        actual[(i, y)] = (tot, 1 - par / tot if tot > 0 else 0.0)

    first_year = _first_year_end(M.spin)
    start_rate = income.rate(np.arange(M.n), _march_31(first_year) - 182)
    out = {"mutual_id": [], "year_end": [], "planned_income": [], "planned_non_parent_income": []}

    def write(i, first, opening, np_share, lift_range):
        growth = min(max(M.growth[i] + d.uniform(*PLAN_OPTIMISM), PLAN_GROWTH[0]), PLAN_GROWTH[1])
        lift = d.uniform(*lift_range)
        for k in range(5):
            planned = opening * (1 + growth) ** k
            out["mutual_id"].append(M.ids[i])
            out["year_end"].append(_MARCH_31[first + k])
            out["planned_income"].append(planned)
            out["planned_non_parent_income"].append(planned * min(0.95, np_share + lift * k / 4))

    for i in np.flatnonzero(M.has_plan & ~M.pre).tolist():
        y0 = int(first_year[i])
        write(i, y0, start_rate[i] * d.uniform(0.95, 1.06), 1 - M.share0[i], PLAN_LIFT)
        last, year = y0 + 4, y0 + 4
        while _MARCH_31[year] <= min(DATA_ORD, int(M.end[i])):
            decided = _MARCH_31[year]
            late = year > last
            h = health.at1(i, decided)
            renew = d.chance(p_plan_renew(h, late))
            log.append((i, decided, "plan_late" if late else "plan_renewal", h, 0.0, renew))
            if not renew:
                year += 1
                continue
            # The new plan starts from the year just closed: its income and non-parent share.
            now, np_share = actual.get((i, decided), (
                float(income.rate(np.array([i]), np.array([decided - 182]))[0]), 1 - M.share0[i]))
            opening = now * (1 + max(M.growth[i], 0.0)) * d.uniform(0.98, 1.04)
            write(i, year + 1, opening, np_share, RENEWED_LIFT)
            last = year = year + 5
    return out
