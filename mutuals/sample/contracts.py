"""Contract chains: the main contract with the former parent, smaller ones with other buyers.

Every decision is drawn from the mutual's latent health at the moment of decision
(about six months before a contract ends): whether an extension is taken, whether
the parent renews without a tender, and whether a re-tender is won or lost, the
last also rising with dependency on the parent. Very weak mutuals may hand the
service back mid-term, and after a loss the weaker and more dependent mutuals
are likelier to stop trading. Failures therefore concentrate at re-tender.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mutuals.sample.common import (
    _MONTH_START,
    COLUMNS,
    DATA_ORD,
    YEAR,
    _add_months,
    _choices,
    _Draws,
    _month_index,
    _Mutuals,
)
from mutuals.sample.health import (
    DECISION_LEAD_DAYS,
    Health,
    p_cease,
    p_extend,
    p_long_term,
    p_lose,
    p_new_work,
    p_other_lost,
    p_renew,
    parent_share,
    parent_share1,
)
from mutuals.sample.org import HSC, SERVICE_AREAS

OCID_PREFIX = "ocds-synth01"
FIRST_TERM_HEALTH = _choices([3, 4, 5], [.4, .2, .4])      # Right to Request: 3-5 years
FIRST_TERM_OTHER = _choices([2, 3, 5], [.45, .45, .10])    # elsewhere mostly 2-3 years
EXTENSION_YEARS = _choices([0, 1, 2], [.40, .35, .25])
RENEWAL_TERM = _choices([3, 4, 5], [.40, .30, .30])
RETENDER_TERM = _choices([3, 4, 5, 7, 10], [.20, .15, .35, .20, .10])
RETENDER_TERM_LIBRARIES = _choices([3, 5, 7, 10, 15], [.15, .30, .20, .15, .20])
CEASE_LAG_DAYS = {True: 365, False: 548}  # up to 12 / 18 months after the loss
OTHER_TERM = _choices([1, 2, 3, 4, 5], [.15, .30, .30, .15, .10])
OTHER_EXTENSION = _choices([0, 1], [.6, .4])
OTHER_KEPT = _choices(["expired", "renewed", "won_at_retender"], [.20, .45, .35])
CONTRACT_TITLES = {
    "spin_out": "{a} services - transfer on spin-out",
    "extension": "{a} services - contract extension",
    "renewal": "{a} services - renewal",
    "retender": "{a} services - re-procured contract",
    "other": "{a} services",
    "other_renewal": "{a} services - follow-on contract",
}
MAIN_KINDS = ("spin_out", "extension", "renewal", "retender")


def _dependency_at(M: _Mutuals, i: int, when: int, h: float) -> float:
    t = (when - M.spin[i]) / YEAR
    return parent_share1(t, M.share0[i], M.share_target[i], M.share_tau[i], h)


def _term(d: _Draws, choices, h: float) -> int:
    """A new term: the longer of two draws for a mutual the commissioner trusts, else the shorter."""
    a, b = d.weighted(choices), d.weighted(choices)
    return max(a, b) if d.chance(p_long_term(h)) else min(a, b)


def _main_chain(M: _Mutuals, i: int, health: Health, d: _Draws, log: list) -> tuple[list, int, bool]:
    """Contracts with the former parent from spin-out until now or until lost.

    Returns rows ``(start, end, max_end, outcome, kind)``, the loss date (0 if
    none) and whether the loss was a hand-back. Appends each decision to ``log``.
    """
    rows = []
    start, kind = int(M.spin[i]), "spin_out"
    first_term = FIRST_TERM_HEALTH if M.sector[i] == HSC else FIRST_TERM_OTHER
    libraries = M.area[i] == "Libraries"
    hand_back = int(M.hand_back_at[i])
    term, ext = d.weighted(first_term), d.weighted(EXTENSION_YEARS)
    while True:
        end = _add_months(start, 12 * term) - 1
        max_end = _add_months(start, 12 * (term + ext)) - 1
        if hand_back and start < hand_back <= min(end, DATA_ORD):
            h = health.at1(i, hand_back)
            log.append((i, hand_back, "hand_back", h, _dependency_at(M, i, hand_back, h), True))
            rows.append((start, hand_back, max_end, "handed_back", kind))
            return rows, hand_back, True
        if end >= DATA_ORD:
            rows.append((start, end, max_end, "active", kind))
            return rows, 0, False
        when = end - DECISION_LEAD_DAYS
        h = health.at1(i, when)
        if ext > 0 and d.chance(p_extend(h)):
            taken = d.integer(1, ext)
            rows.append((start, end, max_end, "extended", kind))
            start, term, ext, kind = end + 1, taken, ext - taken, "extension"
            continue
        if d.chance(p_renew(h)):
            rows.append((start, end, max_end, "renewed", kind))
            start, term, kind = end + 1, _term(d, RENEWAL_TERM, h), "renewal"
        else:
            lost = d.chance(p_lose(h, _dependency_at(M, i, when, h)))
            log.append((i, when, "retender", h, _dependency_at(M, i, when, h), lost))
            if lost:
                rows.append((start, end, max_end, "lost_at_retender", kind))
                return rows, end, False
            rows.append((start, end, max_end, "won_at_retender", kind))
            term = _term(d, RETENDER_TERM_LIBRARIES if libraries else RETENDER_TERM, h)
            start, kind = end + 1, "retender"
        ext = d.weighted(EXTENSION_YEARS)


def _other_chain(M: _Mutuals, i: int, health: Health, d: _Draws, start: int, stop: int,
                 ceased: bool) -> list:
    """A smaller contract with another commissioner and any follow-ons, up to ``stop``."""
    rows = []
    kind = "other"
    while True:
        term, ext = d.weighted(OTHER_TERM), d.weighted(OTHER_EXTENSION)
        end = _add_months(start, 12 * term) - 1
        max_end = _add_months(start, 12 * (term + ext)) - 1
        if end >= stop:
            if ceased:  # the mutual stopped trading: the contract ends with it
                rows.append((start, stop, max(max_end, stop), "handed_back", kind))
            else:
                rows.append((start, end, max_end, "active", kind))
            return rows
        h = health.at1(i, end - DECISION_LEAD_DAYS)
        outcome = "lost_at_retender" if d.chance(p_other_lost(h)) else d.weighted(OTHER_KEPT)
        rows.append((start, end, max_end, outcome, kind))
        if outcome in ("expired", "lost_at_retender"):
            return rows
        start, kind = end + 1, "other_renewal"


def _other_commissioner(d: _Draws, pool: list[int], parent_at: int, parent: int,
                        n_comm: int) -> int:
    """Another commissioner: from the parent's region (pool, parent at parent_at) if it has one."""
    if len(pool) > 1:
        k = d.integer(0, len(pool) - 2)
        return pool[k + 1 if k >= parent_at else k]
    k = d.integer(0, n_comm - 2)
    return k + 1 if k >= parent else k


def _choose_ceased(M: _Mutuals, health: Health, d: _Draws, log: list) -> None:
    """After losing or handing back the main contract, weaker and more dependent mutuals cease."""
    for i in np.flatnonzero(M.loss > 0).tolist():
        loss, handed_back = int(M.loss[i]), bool(M.handed_back[i])
        h = health.at1(i, loss)
        lag = d.integer(0, CEASE_LAG_DAYS[handed_back])
        ceases = d.chance(p_cease(h, handed_back, M.loss_share[i])) and loss + lag <= DATA_ORD
        log.append((i, loss, "cease_after_loss", h, M.loss_share[i], ceases))
        if ceases:
            M.ceased[i] = loss + lag
    M.end = np.where(M.ceased > 0, M.ceased, DATA_ORD)
    M.t_ref = np.where(M.pre, 0.0, (M.end - M.spin) / YEAR)


def _contract_chains(M: _Mutuals, comm: pd.DataFrame, health: Health, d: _Draws,
                     log: list) -> dict[str, list]:
    """Contract rows (values still to come) for every spun-out mutual; sets losses and ceasing on M.

    First the main chains with the former parent (which decide losses and so
    ceasing), then smaller contracts with other commissioners.
    """
    n_comm = len(comm)
    by_region: dict[str, list[int]] = {}
    position = {}
    for k, region in enumerate(comm["region"]):
        position[k] = len(by_region.setdefault(region, []))
        by_region[region].append(k)
    sector, area, spin_all = M.sector.tolist(), M.area.tolist(), M.spin.tolist()
    parents, regions = M.parent.tolist(), M.region.tolist()
    chains = {}
    for i in range(M.n):
        if not M.pre[i]:
            chains[i], M.loss[i], M.handed_back[i] = _main_chain(M, i, health, d, log)
    lost = np.flatnonzero(M.loss > 0)
    h_loss = health.at(lost, M.loss[lost])
    t_loss = (M.loss[lost] - M.spin[lost]) / YEAR
    M.loss_share[lost] = (1 - M.residual[lost]) * parent_share(
        t_loss, M.share0[lost], M.share_target[lost], M.share_tau[lost], h_loss)
    _choose_ceased(M, health, d, log)

    cols: dict[str, list] = {c: [] for c, _ in COLUMNS["contracts"]}
    cols["_owner"], cols["_main"] = [], []
    for i, main in chains.items():
        spin, parent, loss, ceased = spin_all[i], parents[i], int(M.loss[i]), int(M.ceased[i])
        stop = ceased or DATA_ORD
        # Diversification: smaller contracts with other commissioners, more for diversifiers.
        group = int(M.dependency_group[i])
        n_other = (d.integer(2, 5) if group == 0 else d.integer(1, 4) if group == 1
                   else int(d.chance(0.5)))
        survivor = bool(loss) and not ceased
        if survivor:
            n_other = max(n_other, 1)
        first_month = _month_index(spin) + 6
        last_month = _month_index(min(stop, loss + 180) if survivor else stop)
        others = []
        for _ in range(n_other if first_month <= last_month else 0):
            start = _MONTH_START[d.integer(first_month, last_month)]
            while True:  # a line of work; when it ends, a healthy mutual often wins new work
                commissioner = _other_commissioner(d, by_region[regions[i]], position[parent],
                                                   parent, n_comm)
                service = d.pick(SERVICE_AREAS[sector[i]])
                chain = _other_chain(M, i, health, d, start, stop, bool(ceased))
                others += [r + (commissioner, service) for r in chain]
                end, outcome = chain[-1][1], chain[-1][3]
                if outcome in ("active", "handed_back") or not d.chance(
                        p_new_work(health.at1(i, end))):
                    break
                start = _MONTH_START[_month_index(end) + d.integer(1, 9)]
                if start >= stop:
                    break

        rows = [r + (parent, area[i]) for r in main] + others
        rows.sort(key=lambda r: (r[0], r[4] not in MAIN_KINDS, r[5]))
        width = max(2, len(str(len(rows))))
        for k, (start, end, max_end, outcome, kind, commissioner, service) in enumerate(rows):
            cols["contract_id"].append(f"{OCID_PREFIX}-{M.ids[i]}-C{k + 1:0{width}d}")
            cols["mutual_id"].append(M.ids[i])
            cols["commissioner_id"].append(commissioner)
            cols["title"].append(CONTRACT_TITLES[kind].format(a=service))
            cols["service_area"].append(service)
            cols["start_date"].append(start)
            cols["end_date"].append(end)
            cols["max_end_date"].append(max_end)
            cols["is_spin_out_contract"].append(kind == "spin_out")
            cols["outcome"].append(outcome)
            cols["_owner"].append(i)
            cols["_main"].append(kind in MAIN_KINDS)
    return cols


def _contract_values(M: _Mutuals, cols: dict, health: Health, income, comm: pd.DataFrame,
                     rng: np.random.Generator) -> dict[str, list]:
    """Annual values: the parent's share of the income run-rate for main contracts, else a
    slice of the other public income. Finishes ``cols`` as the contracts table's columns."""
    owner = np.asarray(cols.pop("_owner"), dtype=np.int64)
    main = np.asarray(cols.pop("_main"), dtype=bool)
    start = np.asarray(cols["start_date"], dtype=np.int64)
    rate = income.rate(owner, start)
    t = (start - M.spin[owner]) / YEAR
    share = parent_share(t, M.share0[owner], M.share_target[owner], M.share_tau[owner],
                         health.at(owner, start))
    main_value = np.round(rate * share * rng.uniform(0.97, 1.03, len(owner)), -3)
    other = rate * (1 - share) * M.public_other_frac[owner] * rng.uniform(0.5, 1.0, len(owner))
    cols["annual_value"] = np.where(main, main_value, np.maximum(20_000.0, np.round(other, -3)))
    cols["commissioner_id"] = comm["commissioner_id"].to_numpy()[
        np.asarray(cols["commissioner_id"], dtype=np.int64)]
    return cols
