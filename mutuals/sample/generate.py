"""Seeded, deterministic synthetic data for the public service mutuals dashboard.

``generate(n, seed)`` returns one DataFrame per table of the data contract, plus a
small ``dataset_info`` frame. ``write_csvs`` writes them as CSV files. The same
``n`` and ``seed`` always give byte-identical files. Nothing depends on today's
date. Every event is dated on or before ``DATA_DATE``, and at least one event
falls exactly on it.

The data carry a causal story. Each mutual has a latent health
(:mod:`mutuals.sample.health`) that evolves quarterly. Everything the tables
record is a noisy reading of it (engagement, response rates, innovation, strategy
sessions, renewed plans, commissioner reviews, margins, reserves, growth and
diversification), and the contract outcomes that a backtest counts (lost
re-tenders, hand-backs, ceasing) are drawn from health at the moment of
decision, never from indicators or the rules. ``generate(..., with_latent=True)``
also returns the latent state, for tests; the CSVs never contain it.

The proportions follow the domain brief (``shared/domain.md``). Randomness comes
from ``numpy.random.default_rng(seed)``, split with ``spawn`` into one stream
per part. The modules:

- :mod:`mutuals.sample.common`: column contract, calendar and random helpers;
- :mod:`mutuals.sample.org`: sectors, names, commissioners, mutual attributes;
- :mod:`mutuals.sample.health`: the latent health and the decision probabilities;
- :mod:`mutuals.sample.contracts`: contract chains, losses and ceasing;
- :mod:`mutuals.sample.finance`: income, accounts and five-year plans;
- :mod:`mutuals.sample.surveys`: surveys, sessions, innovations and reviews.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from mutuals.sample.common import (  # noqa: F401  (re-exported: the public names of the generator)
    _EPOCH_ORD,
    COLUMNS,
    DATA_DATE,
    DATA_ORD,
    INFO_TABLE,
    TABLES,
    _Draws,
    _Mutuals,
    _to_dates,
)
from mutuals.sample.contracts import _contract_chains, _contract_values
from mutuals.sample.finance import IncomePath, _financials, _plan_targets
from mutuals.sample.health import GRID_START, GRID_STEPS, STEP, simulate_health
from mutuals.sample.org import (
    MUTUALS_PER_COMMISSIONER,
    NAME_SUFFIXES,
    _commissioners,
    _mutual_attributes,
    _NameBook,
)
from mutuals.sample.surveys import _engagement, _innovations, _reviews, _strategy_sessions

DEFAULT_MUTUALS = 130
DEFAULT_SEED = 2026
GENERATOR = "mutuals.sample.generate"
STREAMS = ["commissioners", "names", "mutuals", "health", "contracts", "contract_values",
           "financials", "plans", "engagement", "engagement_groups", "sessions", "innovations",
           "reviews", "review_draws"]
DECISION_COLUMNS = ["mutual_id", "date", "kind", "health", "dependency", "outcome"]


# --------------------------------------------------------------------------- #
# Assembly                                                                    #
# --------------------------------------------------------------------------- #
def _frame(table: str, cols: dict, sort: list[str] | None = None) -> pd.DataFrame:
    """A typed DataFrame in contract column order, rounded as the CSV will be."""
    data = {}
    for name, fmt in COLUMNS[table]:
        values = cols[name]
        if fmt == "date":
            data[name] = _to_dates(values)
        elif fmt in ("money", "score", "share"):
            data[name] = np.round(np.asarray(values, dtype=float), 3 if fmt == "share" else 2) + 0.0
        elif fmt == "int":
            data[name] = np.asarray(values, dtype=np.int64)
        elif fmt == "bool":
            data[name] = np.asarray(values, dtype=bool)
        else:
            data[name] = pd.Series(np.asarray(values, dtype=object), dtype=object)
    frame = pd.DataFrame(data)
    if sort:
        frame = frame.sort_values(sort, kind="stable").reset_index(drop=True)
    return frame


def _mutuals_frame(M: _Mutuals, comm: pd.DataFrame, names: _NameBook) -> pd.DataFrame:
    d, homes = names.d, comm.attrs["home_place"]
    mutual_names = []
    for i in range(M.n):
        suffix = d.pick(NAME_SUFFIXES[M.sector[i]])
        if M.form_kind[i] == "cic" and d.chance(0.7):
            suffix += " CIC"
        elif M.form_kind[i] == "company" and d.chance(0.3):
            suffix += " Ltd"
        place = homes[M.parent[i]] if d.chance(0.5) else None  # often named after its area
        mutual_names.append(names.unique("{p} " + suffix, place))
    # Survivors of a lost main contract are smaller now: the service's staff transferred out.
    survivor = (M.loss > 0) & (M.ceased == 0)
    staff = np.where(survivor, np.maximum(2, np.round(M.staff * (1 - M.loss_share))), M.staff)
    return _frame("mutuals", {
        "mutual_id": M.ids, "name": mutual_names, "sector": M.sector, "legal_form": M.legal_form,
        "ownership_model": M.ownership, "region": M.region,
        "parent_commissioner_id": comm["commissioner_id"].to_numpy()[M.parent],
        "options_appraisal_date": M.oa, "spin_out_date": M.spin, "staff_count": staff,
        "member_share": M.member_share, "company_number": M.company_number,
        "charity_number": M.charity_number,
        "status": np.where(M.ceased > 0, "ceased", "trading").astype(object),
        "ceased_date": M.ceased, "society_number": M.society_number,
    })


def _latent(M: _Mutuals, health, log: list) -> dict[str, pd.DataFrame]:
    """The hidden state, for tests and calibration: never written to the CSVs.

    ``mutuals``: level, early-peak flag, dependency group and mean health since
    spin-out; ``decisions``: every drawn decision (kind ``retender``,
    ``hand_back``, ``cease_after_loss``, ``plan_renewal``, ``plan_late``) with the
    health (and, for contracts, the parent's share of income, or for ceasing the
    share of income lost) it was drawn from and whether it happened;
    ``health``: the quarterly path of every mutual.
    """
    times = GRID_START + STEP * np.arange(GRID_STEPS)
    since = (times[None, :] >= M.spin[:, None]) & (times[None, :] <= M.end[:, None])
    mean = np.where(since.any(axis=1), (health.grid * since).sum(axis=1)
                    / np.maximum(since.sum(axis=1), 1), np.nan)
    mutuals = pd.DataFrame({"mutual_id": M.ids, "level": M.level, "early_peak": M.early_peak,
                            "dependency_group": M.dependency_group, "mean_health": mean})
    rows = sorted(log, key=lambda r: (r[0], r[1], r[2]))
    decisions = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    decisions["mutual_id"] = M.ids[decisions["mutual_id"].to_numpy(dtype=np.int64)]
    decisions["date"] = _to_dates(decisions["date"].to_numpy(dtype=np.int64))
    decisions["outcome"] = decisions["outcome"].astype(bool)
    quarter = _to_dates(np.round(times).astype(np.int64))
    path = pd.DataFrame({"mutual_id": np.repeat(M.ids, GRID_STEPS),
                         "date": np.tile(quarter.to_numpy(), M.n),
                         "health": health.grid.ravel()})
    return {"mutuals": mutuals, "decisions": decisions, "health": path}


def generate(n_mutuals: int = DEFAULT_MUTUALS, seed: int = DEFAULT_SEED, *,
             with_latent: bool = False):
    """Generate every table for ``n_mutuals`` mutuals; the same arguments give the same data.

    Returns one DataFrame per name in ``TABLES`` plus ``dataset_info`` (key/value
    rows: synthetic flag, generator, seed, number of mutuals, data date). With
    ``with_latent=True`` returns ``(tables, latent)``, ``latent`` being the hidden
    state described in :func:`_latent`; the tables are the same either way.
    """
    if n_mutuals < 1:
        raise ValueError("n_mutuals must be at least 1")
    rngs = dict(zip(STREAMS, np.random.default_rng(seed).spawn(len(STREAMS))))
    names = _NameBook(_Draws(rngs["names"]))
    comm = _commissioners(max(5, round(n_mutuals / MUTUALS_PER_COMMISSIONER)),
                          rngs["commissioners"], names)
    M = _mutual_attributes(n_mutuals, comm, rngs["mutuals"])
    health = simulate_health(M, rngs["health"])
    log: list = []
    chains = _contract_chains(M, comm, health, _Draws(rngs["contracts"]), log)
    income = IncomePath(M, health)
    contracts = _contract_values(M, chains, health, income, comm, rngs["contract_values"])
    fin = _financials(M, health, income, rngs["financials"])

    # Pin the latest event to DATA_DATE: a monitoring review at ~1% of live mutuals
    # (in a tiny sample with none live, a plan review at a pre-spin-out mutual).
    live = np.flatnonzero(~M.pre & (M.ceased == 0) & (M.loss == 0))
    on_date = set(rngs["reviews"].choice(live, min(len(live), max(1, round(n_mutuals / 100))),
                                         replace=False).tolist())
    sessions = _strategy_sessions(M, health, rngs["sessions"])
    if not on_date:
        sessions = {k: np.append(v, x) for (k, v), x in zip(
            sessions.items(), (M.ids[np.flatnonzero(M.pre)[0]], DATA_ORD, "plan_review"))}
    reviews = _reviews(M, contracts, comm["commissioner_id"].tolist(), health,
                       _Draws(rngs["reviews"]), rngs["review_draws"], on_date)

    tables = {
        "commissioners": comm,
        "mutuals": _mutuals_frame(M, comm, names),
        "contracts": _frame("contracts", contracts),
        "financials": _frame("financials", fin),
        "plan_targets": _frame("plan_targets", _plan_targets(
            M, health, income, fin, _Draws(rngs["plans"]), log)),
        "engagement": _frame("engagement", _engagement(
            M, health, income, _Draws(rngs["engagement"]), rngs["engagement_groups"])),
        "strategy_sessions": _frame("strategy_sessions", sessions, ["mutual_id", "session_date"]),
        "innovations": _frame("innovations", _innovations(M, health, rngs["innovations"])),
        "relationship_reviews": _frame("relationship_reviews", reviews,
                                       ["mutual_id", "review_date", "commissioner_id", "kind"]),
        INFO_TABLE: pd.DataFrame(
            [("synthetic", "true"), ("generator", GENERATOR), ("seed", str(seed)),
             ("mutuals", str(n_mutuals)), ("data_date", DATA_DATE.isoformat())],
            columns=["key", "value"]),
    }
    if with_latent:
        return tables, _latent(M, health, log)
    return tables


# --------------------------------------------------------------------------- #
# CSV output                                                                  #
# --------------------------------------------------------------------------- #
def _fixed_point(values: np.ndarray, places: int) -> list[str]:
    """Numbers as fixed-point text (``'{:.2f}'``-style); NaN becomes ''."""
    fmt = f"{{:.{places}f}}".format
    return [fmt(v + 0.0) if v == v else "" for v in values.tolist()]


def _via_distinct(values: np.ndarray, render) -> list[str]:
    """Render each distinct value once (fast for dates, scores and counts)."""
    distinct, inverse = np.unique(values, return_inverse=True)
    return np.array(render(distinct), dtype=object)[inverse.ravel()].tolist()


def _iso_dates(days: np.ndarray) -> list[str]:
    return [("" if d == _NAT_DAYS else datetime.date.fromordinal(d + _EPOCH_ORD).isoformat())
            for d in days.tolist()]


_NAT_DAYS = int(np.datetime64("NaT", "D").astype(np.int64))


def _quote(text: str) -> str:
    """Minimal CSV quoting, as the csv module does it."""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _format_column(values: pd.Series, fmt: str) -> list[str]:
    """Render one column as the CSV contract's text."""
    if fmt == "date":
        return _via_distinct(values.to_numpy(dtype="datetime64[D]").astype(np.int64), _iso_dates)
    if fmt == "money":
        return _fixed_point(values.to_numpy(dtype=float), 2)
    if fmt in ("score", "share"):
        places = 3 if fmt == "share" else 2
        return _via_distinct(values.to_numpy(dtype=float), lambda u: _fixed_point(u, places))
    if fmt == "bool":
        return np.where(values.to_numpy(dtype=bool), "true", "false").tolist()
    if fmt == "int":
        return _via_distinct(values.to_numpy(dtype=np.int64), lambda u: list(map(str, u.tolist())))
    text = [v if isinstance(v, str) else "" if v is None or v != v else str(v)
            for v in values.to_numpy(dtype=object).tolist()]
    needs_quotes = {v for v in set(text) if _quote(v) != v}
    return [_quote(v) if v in needs_quotes else v for v in text] if needs_quotes else text


def write_csvs(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write ``<table>.csv`` for each of TABLES plus ``dataset_info.csv``; return the paths.

    Files are UTF-8 with Unix line ends and minimal quoting; dates are
    YYYY-MM-DD, booleans ``true``/``false`` and missing values empty.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    info = tables.get(INFO_TABLE)
    if info is None:  # tables built elsewhere: record what can be known
        info = pd.DataFrame(
            [("synthetic", "true"), ("generator", GENERATOR), ("seed", ""),
             ("mutuals", str(len(tables["mutuals"]))), ("data_date", DATA_DATE.isoformat())],
            columns=["key", "value"])
    written = []
    for table in TABLES + [INFO_TABLE]:
        frame = info if table == INFO_TABLE else tables[table]
        columns = [_format_column(frame[name], fmt) for name, fmt in COLUMNS[table]]
        header = ",".join(_quote(name) for name, _ in COLUMNS[table])
        path = out_dir / f"{table}.csv"
        body = "".join(line + "\n" for line in map(",".join, zip(*columns)))
        path.write_text(header + "\n" + body, encoding="utf-8", newline="\n")
        written.append(path)
    return written
