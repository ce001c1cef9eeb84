"""Seeded, deterministic synthetic data for the public service mutuals dashboard.

``generate(n, seed)`` returns one DataFrame per table of the data contract, plus a
small ``dataset_info`` frame. ``write_csvs`` writes them as CSV files. The same
``n`` and ``seed`` always give byte-identical files. Nothing depends on today's
date. Every event is dated on or before ``DATA_DATE``, and at least one event
falls exactly on it.

All names are invented from place syllables. The proportions follow the domain
brief (``shared/domain.md``): about 48% health and social care, mostly CICs,
spin-outs clustered in 2011-2016, long-tailed sizes, thin reserves and
re-tender risk.

Randomness comes from ``numpy.random.default_rng(seed)``, split with ``spawn``
into one independent stream per table. Mutual-level attributes and most child
rows are drawn with vectorised numpy calls. The few inherently sequential parts
(contract chains, survey waves, review calendars) run in light Python loops fed
by buffered draws.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from mutuals.infra.build import TABLES  # the data contract's tables, in load order

DATA_DATE = datetime.date(2026, 9, 30)
DEFAULT_MUTUALS = 130
DEFAULT_SEED = 2026
INFO_TABLE = "dataset_info"
GENERATOR = "mutuals.sample.generate"
OCID_PREFIX = "ocds-synth01"

# --------------------------------------------------------------------------- #
# Column contract: name and CSV format of every column, in file order.        #
# Formats: str, int, date, money (2 dp), score (2 dp), share (3 dp), bool.    #
# --------------------------------------------------------------------------- #
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "commissioners": [
        ("commissioner_id", "str"), ("name", "str"), ("kind", "str"), ("region", "str"),
    ],
    "mutuals": [
        ("mutual_id", "str"), ("name", "str"), ("sector", "str"), ("legal_form", "str"),
        ("ownership_model", "str"), ("region", "str"), ("parent_commissioner_id", "str"),
        ("options_appraisal_date", "date"), ("spin_out_date", "date"), ("staff_count", "int"),
        ("member_share", "share"), ("company_number", "str"), ("charity_number", "str"),
        ("status", "str"), ("ceased_date", "date"),
        ("society_number", "str"),  # extra: FCA mutuals register number (GB-MPR) for societies
    ],
    "contracts": [
        ("contract_id", "str"), ("mutual_id", "str"), ("commissioner_id", "str"), ("title", "str"),
        ("service_area", "str"), ("start_date", "date"), ("end_date", "date"),
        ("max_end_date", "date"), ("annual_value", "money"), ("is_spin_out_contract", "bool"),
        ("outcome", "str"),
    ],
    "financials": [
        ("mutual_id", "str"), ("year_end", "date"), ("income_parent", "money"),
        ("income_other_public", "money"), ("income_non_public", "money"), ("expenditure", "money"),
        ("staff_costs", "money"), ("unrestricted_reserves", "money"), ("current_assets", "money"),
        ("current_liabilities", "money"),
    ],
    "plan_targets": [
        ("mutual_id", "str"), ("year_end", "date"), ("planned_income", "money"),
        ("planned_non_parent_income", "money"),
    ],
    "engagement": [
        ("mutual_id", "str"), ("survey_date", "date"), ("phase", "str"), ("staff_group", "str"),
        ("eligible_staff", "int"), ("respondents", "int"), ("motivation", "score"),
        ("involvement", "score"), ("advocacy", "score"),
    ],
    "strategy_sessions": [("mutual_id", "str"), ("session_date", "date"), ("kind", "str")],
    "innovations": [
        ("mutual_id", "str"), ("innovation_date", "date"), ("title", "str"), ("origin", "str"),
        ("status", "str"), ("annual_saving", "money"),
    ],
    "relationship_reviews": [
        ("mutual_id", "str"), ("commissioner_id", "str"), ("review_date", "date"),
        ("kind", "str"), ("rating", "int"),
    ],
    INFO_TABLE: [("key", "str"), ("value", "str")],
}

# --------------------------------------------------------------------------- #
# Sector, geography and organisation constants                                #
# --------------------------------------------------------------------------- #
HSC = "Health & Social Care"
EYC = "Education, Youth & Children's Services"
CML = "Culture, Media & Libraries"
EMP = "Employment & Skills"
HOU = "Housing"
SPL = "Sports & Leisure"
SECTORS = [HSC, EYC, CML, EMP, HOU, SPL]
SECTOR_SHARES = [0.48, 0.13, 0.12, 0.07, 0.05, 0.15]
# Median staff and income per head (GBP) by sector; leisure employs many part-timers.
STAFF_MEDIAN = {HSC: 150, EYC: 70, CML: 60, EMP: 60, HOU: 45, SPL: 120}
STAFF_SIGMA = 1.35
INCOME_PER_HEAD = {HSC: (35e3, 55e3), EYC: (30e3, 50e3), CML: (30e3, 45e3),
                   EMP: (32e3, 52e3), HOU: (35e3, 55e3), SPL: (18e3, 30e3)}
MIN_INCOME = (0.15e6, 0.30e6)
MAX_INCOME = (0.26e9, 0.33e9)  # the largest mutual turns over about £300m

SERVICE_AREAS = {
    HSC: ["Community Nursing", "Adult Social Care", "Therapies", "Mental Health",
          "Sexual Health", "Health Visiting", "Reablement", "Learning Disability Support"],
    EYC: ["Youth Services", "Children's Centres", "School Improvement", "Early Help",
          "Special Educational Needs Support"],
    CML: ["Libraries", "Museums & Heritage", "Arts Development", "Archives"],
    EMP: ["Employment Support", "Adult Learning", "Careers Guidance", "Apprenticeships"],
    HOU: ["Housing Management", "Homelessness Support", "Repairs & Maintenance", "Tenancy Support"],
    SPL: ["Leisure Centres", "Sports Development", "Parks & Open Spaces", "Swimming Pools"],
}
NAME_SUFFIXES = {
    HSC: ["Community Health", "Care Co-operative", "Health & Care", "Community Healthcare",
          "Care Partnership", "Wellbeing Services", "Therapies", "Social Care Mutual",
          "Nursing Collective", "Health Partnership"],
    EYC: ["Youth Mutual", "Children's Services", "Youth Services", "Education Partnership",
          "Family Services", "Learning Trust", "Young People's Co-operative", "Schools Support"],
    CML: ["Libraries & Culture", "Libraries", "Culture Trust", "Arts & Heritage",
          "Museums Trust", "Cultural Services", "Heritage Mutual"],
    EMP: ["Skills Partnership", "Employment Services", "Careers Mutual", "Work & Skills",
          "Adult Learning", "Training Co-operative"],
    HOU: ["Homes", "Housing Mutual", "Housing Services", "Homes Co-operative",
          "Community Housing", "Tenant Services"],
    SPL: ["Leisure Trust", "Leisure", "Sport & Leisure", "Active Communities",
          "Leisure Mutual", "Sports Trust", "Active Living"],
}
# Staff groups in order of inclusion (small mutuals survey the first few), with
# their usual share of the workforce and offset from the organisation's score.
STAFF_GROUPS = {
    HSC: [("Nursing & Therapies", .40, 0.0), ("Admin & Support", .15, .10),
          ("Management", .06, .50), ("Clinical Support", .22, -.10),
          ("Allied Health Professionals", .12, .05), ("Bank & Sessional Staff", .05, -.40)],
    EYC: [("Youth & Play Workers", .40, 0.0), ("Admin & Support", .15, .10),
          ("Management", .07, .50), ("Family Support", .20, -.05),
          ("Teaching & Learning Support", .12, .05), ("Sessional Workers", .06, -.40)],
    CML: [("Frontline Staff", .45, 0.0), ("Admin & Support", .15, .10), ("Management", .07, .50),
          ("Learning & Outreach", .15, .05), ("Collections & Specialists", .12, .10),
          ("Sessional Workers", .06, -.40)],
    EMP: [("Advisers & Coaches", .45, 0.0), ("Admin & Support", .15, .10),
          ("Management", .08, .50), ("Tutors & Trainers", .20, .05),
          ("Employer Engagement", .07, -.05), ("Sessional Workers", .05, -.40)],
    HOU: [("Housing Officers", .35, 0.0), ("Admin & Support", .15, .10), ("Management", .07, .50),
          ("Repairs & Maintenance", .25, -.20), ("Tenancy Support", .12, .05),
          ("Customer Services", .06, -.10)],
    SPL: [("Frontline Staff", .40, 0.0), ("Admin & Support", .10, .10), ("Management", .05, .50),
          ("Fitness & Coaching", .20, .05), ("Facilities & Maintenance", .12, -.20),
          ("Sessional Workers", .13, -.40)],
}
GROUPS_BY_STAFF = ([8, 40, 200, 1000], [2, 3, 4, 5, 6])  # staff thresholds -> number of groups
SUBSCORE_OFFSETS = (0.15, -0.45, 0.30)  # motivation, involvement, advocacy; they sum to zero

ENGLISH_REGIONS = ["North East", "North West", "Yorkshire and the Humber", "East Midlands",
                   "West Midlands", "East of England", "London", "South East", "South West"]
REGIONS = ENGLISH_REGIONS + ["Wales", "Scotland", "Northern Ireland"]
REGION_WEIGHTS = [2.6, 7.4, 5.5, 4.9, 6.0, 6.3, 8.9, 9.3, 5.7, 2.0, 2.0, 1.0]
NHS_SHARE, OTHER_SHARE = 0.30, 0.05  # of commissioners; the rest are local authorities
MUTUALS_PER_COMMISSIONER = 5.2

LEGAL_FORMS = [  # (name, share, kind)
    ("Community Interest Company (limited by guarantee)", .38, "cic"),
    ("Community Interest Company (limited by shares)", .17, "cic"),
    ("Community Benefit Society", .14, "society"),
    ("Co-operative Society", .05, "society"),
    ("Company Limited by Guarantee", .14, "company"),
    ("Company Limited by Shares", .05, "company"),
    ("Charitable Incorporated Organisation", .07, "cio"),
]
OWNERSHIP_MODELS = [("employee-owned", .35), ("employee-led", .40), ("multi-stakeholder", .25)]
# Beta(a, b) for the share of staff who are members, by ownership model.
MEMBER_SHARE_BETA = {"employee-owned": (8, 2), "employee-led": (3, 5), "multi-stakeholder": (4, 4)}

# Invented place-name syllables, chosen so that they do not form real UK place names.
PLACE_ONSETS = ["Wend", "Brel", "Corv", "Dask", "Elv", "Fenn", "Gorv", "Hask", "Jorn", "Kelv",
                "Lorn", "Morv", "Nesk", "Orv", "Pell", "Quen", "Rask", "Sorr", "Tarv", "Ulv",
                "Vell", "Wyv", "Yarr", "Zenn", "Criv", "Drel", "Emb", "Gann", "Hesk", "Ivel",
                "Kest", "Lunn", "Perr", "Thel", "Vorn", "Dorv"]
PLACE_CODAS = ["mere", "low", "hollow", "wick", "stead", "combe", "thorne", "dale", "brook",
               "haven", "gate", "moor", "wold", "holme", "ridge", "bourne", "worth", "hurst",
               "cliffe", "fold", "marsh", "well", "shaw", "cote", "garth", "stow"]

# --------------------------------------------------------------------------- #
# Spin-out timing, contracts and behaviour                                    #
# --------------------------------------------------------------------------- #
SPIN_YEARS = list(range(2008, 2026))
SPIN_YEAR_WEIGHTS = [1, 1.5, 2, 5, 7, 8, 8, 7, 5, 3, 2.5, 2, 1.2, 1.2, 1, 1, .8, .6]
RTR_YEARS, RTR_WEIGHTS = [2008, 2009, 2010, 2011], [.1, .25, .3, .35]  # NHS Right to Request
RTR_SHARE_OF_HEALTH = 0.45
SPIN_MONTH_WEIGHTS = [.05, 0, 0, .60, .02, .03, .10, .02, .02, .13, .02, .01]
PRE_SPIN_OUT_PER_MUTUAL = 1 / 50  # still at options appraisal or in transition
GIANTS_PER_MUTUAL = 1 / 80        # very large organisations (5,000-14,000 staff)
# Exact shares of mutuals (so every sample shows them in proportion).
NO_PLAN_SHARE = 0.08
DIVERSIFIER_SHARE = 0.55          # parent share of income falls to 0.4-0.6
EARLY_PEAK_SHARE = 0.32           # engagement peaks before spin-out, then declines
CEASED_SHARE = 0.09               # stopped trading after losing or handing back the main contract


def _choices(values: list, weights: list[float]) -> tuple[list, list[float]]:
    """Values with normalised cumulative weights, for ``_Draws.weighted``."""
    total = float(sum(weights))
    return list(values), [w / total for w in itertools.accumulate(weights)]


FIRST_TERM_HEALTH = _choices([3, 4, 5], [.4, .2, .4])      # Right to Request: 3-5 years
FIRST_TERM_OTHER = _choices([2, 3, 5], [.45, .45, .10])    # elsewhere mostly 2-3 years
EXTENSION_YEARS = _choices([0, 1, 2], [.40, .35, .25])
RENEWAL_TERM = _choices([3, 4, 5], [.40, .30, .30])
RETENDER_TERM = _choices([3, 4, 5, 7, 10], [.20, .15, .35, .20, .10])
RETENDER_TERM_LIBRARIES = _choices([3, 5, 7, 10, 15], [.15, .30, .20, .15, .20])
P_TAKE_EXTENSION = 0.30
P_RENEW_WITHOUT_TENDER = 0.33
P_LOSE_RETENDER = 0.13
P_HAND_BACK = 0.012  # per contract term
CEASE_WEIGHT_HAND_BACK = 3.0  # a hand-back is likelier than a lost re-tender to end the mutual
CEASE_LAG_DAYS = {True: 365, False: 548}  # up to 12 / 18 months after the loss
OTHER_TERM = _choices([1, 2, 3, 4, 5], [.15, .30, .30, .15, .10])
OTHER_EXTENSION = _choices([0, 1], [.6, .4])
OTHER_OUTCOMES = _choices(["expired", "renewed", "won_at_retender", "lost_at_retender"],
                          [.20, .40, .28, .12])
CONTRACT_TITLES = {
    "spin_out": "{a} services - transfer on spin-out",
    "extension": "{a} services - contract extension",
    "renewal": "{a} services - renewal",
    "retender": "{a} services - re-procured contract",
    "other": "{a} services",
    "other_renewal": "{a} services - follow-on contract",
}
MAIN_KINDS = ("spin_out", "extension", "renewal", "retender")

SESSION_STYLES = (["none", "lapsed", "regular"], [.03, .08, .89])  # exact shares
SESSION_KINDS = ["away_day", "plan_review", "board_strategy_day", "leadership_retreat"]
SESSION_KIND_WEIGHTS = [.30, .30, .25, .15]

INNOVATION_ORIGINS = np.array(["staff", "management", "commissioner", "other"], dtype=object)
INNOVATION_STATUSES = np.array(["idea", "piloted", "embedded"], dtype=object)
# Status mix by age of the innovation: under 9 months, under 2 years, older.
INNOVATION_STATUS_BY_AGE = ([0.75, 2.0], [[.30, .30, .40], [.25, .30, .45], [.20, .25, .55]])
INNOVATION_TITLES = [
    "Digital rota scheduling", "Staff-led referral triage", "Community volunteer network",
    "Shared back-office services", "Energy efficiency retrofit", "Online booking system",
    "Mobile working for frontline staff", "Social prescribing link", "Peer support groups",
    "Apprenticeship pathway", "Paperless case records", "Outreach in rural areas",
    "Joint procurement with partners", "Wellbeing champions", "Skills exchange scheme",
    "Service user co-design panel", "Remote follow-up appointments", "Falls prevention classes",
    "Pop-up services in community venues", "Room hire income", "Cafe and retail income",
    "Green travel plan", "Performance dashboard for managers", "Lean process review",
    "Multi-skilled roles", "Early intervention pilot", "Corporate sponsorship programme",
    "Community membership scheme", "Open-access drop-in", "Text message reminders",
    "Self-service kiosks", "Partnership with local schools", "Carbon reduction programme",
    "Staff suggestion scheme", "Self-managed team rostering", "Single point of access",
    "Evening and weekend opening", "Accessibility and translation service",
    "Volunteer befriending", "Community asset transfer",
]

REVIEW_ANNUAL = "annual_contract_review"
REVIEW_QUARTERLY = "quarterly_monitoring"
REVIEW_STRATEGIC = "strategic_partnership_meeting"
REVIEW_STYLES = _choices(["quarterly", "annual", "light"], [.35, .45, .20])
P_REVIEWS_LAPSED = 0.08

STREAMS = ["commissioners", "names", "mutuals", "contracts", "financials", "plans",
           "engagement", "engagement_groups", "sessions", "innovations", "reviews"]

# --------------------------------------------------------------------------- #
# Calendar helpers: dates are day ordinals while generating                   #
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


def _march_31(years: np.ndarray) -> np.ndarray:
    return np.array([_ord(int(y), 3, 31) for y in years], dtype=np.int64)


def _to_dates(ordinals) -> pd.Series:
    """Day ordinals (<= 0 meaning missing) to a datetime64 Series."""
    arr = np.asarray(ordinals, dtype=np.int64)
    out = (arr - _EPOCH_ORD).astype("datetime64[D]")
    out[arr <= 0] = np.datetime64("NaT")
    return pd.Series(out.astype("datetime64[s]"))


# --------------------------------------------------------------------------- #
# Random helpers                                                              #
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# Names                                                                       #
# --------------------------------------------------------------------------- #
class _NameBook:
    """Unique invented names built from place syllables."""

    def __init__(self, draws: _Draws):
        self.d = draws
        places = [o + c for o in PLACE_ONSETS for c in PLACE_CODAS]
        keys = [draws.u() for _ in places]
        self.places = [places[k] for k in sorted(range(len(places)), key=keys.__getitem__)]
        self.used: set[str] = set()
        self.last_place = ""

    def unique(self, template: str, place: str | None = None) -> str:
        """Fill ``{p}`` and ``{q}`` with places until the name is new; remember ``{p}``."""
        for attempt in range(40):
            p = place if (place and attempt == 0) else self.d.pick(self.places)
            q = self.d.pick(self.places)
            name = template.format(p=p, q=q)
            if p != q and name not in self.used:
                self.used.add(name)
                self.last_place = p
                return name
        while True:  # crowded: use two-place names
            p = f"{self.d.pick(self.places)} and {self.d.pick(self.places)}"
            name = template.format(p=p, q=self.d.pick(self.places))
            if name not in self.used:
                self.used.add(name)
                self.last_place = ""
                return name


def _commissioner_template(kind: str, region: str, d: _Draws) -> str:
    if kind == "nhs":
        if region == "Wales":
            return "{p} Health Board"
        if region == "Scotland":
            return "NHS {p}"
        if region == "Northern Ireland":
            return "{p} Health and Social Care Trust"
        return d.pick(["{p} and {q} ICB", "{p} and {q} ICB", "NHS {p} ICB", "{p} Primary Care Trust"])
    if kind == "other":
        return d.pick(["{p} Combined Authority", "{p} Police and Crime Commissioner",
                       "{p} Schools Partnership", "{p} Housing Partnership Board"])
    if region == "Wales":
        return "{p} County Borough Council"
    if region == "Scotland":
        return "{p} Council"
    if region == "Northern Ireland":
        return "{p} and {q} District Council"
    if region == "London":
        return "London Borough of {p}"
    return d.pick(["{p} Borough Council", "{p} County Council", "{p} City Council",
                   "{p} District Council", "{p} Metropolitan Borough Council"])


# --------------------------------------------------------------------------- #
# Commissioners                                                               #
# --------------------------------------------------------------------------- #
def _commissioners(n_comm: int, rng: np.random.Generator, names: _NameBook) -> pd.DataFrame:
    """Councils, NHS bodies and a few others; the frame's attrs keep each one's home place."""
    regions = np.array(REGIONS)[_shuffled_labels(rng, n_comm, REGION_WEIGHTS)]
    kinds = np.array(["local_authority", "nhs", "other"])[
        _shuffled_labels(rng, n_comm, [1 - NHS_SHARE - OTHER_SHARE, NHS_SHARE, OTHER_SHARE], 1)]
    width = max(3, len(str(n_comm)))
    rows, homes = [], []
    for k in range(n_comm):
        kind, region = str(kinds[k]), str(regions[k])
        name = names.unique(_commissioner_template(kind, region, names.d))
        rows.append((f"C{k + 1:0{width}d}", name, kind, region))
        homes.append(names.last_place)
    frame = pd.DataFrame(rows, columns=[c for c, _ in COLUMNS["commissioners"]])
    frame.attrs["home_place"] = homes
    return frame


# --------------------------------------------------------------------------- #
# Mutual-level attributes (vectorised)                                        #
# --------------------------------------------------------------------------- #
class _Mutuals:
    """Per-mutual attributes, public and hidden, as parallel arrays (index = mutual)."""


def _spin_out_dates(rng: np.random.Generator, M: _Mutuals) -> None:
    """Spin-out and options-appraisal dates; Right to Request timing for many health mutuals."""
    n = M.n
    M.rtr = (M.sector_idx == 0) & (rng.random(n) < RTR_SHARE_OF_HEALTH) & ~M.pre
    years = np.array(SPIN_YEARS)[_categorical(rng, n, SPIN_YEAR_WEIGHTS)]
    years = np.where(M.rtr, np.array(RTR_YEARS)[_categorical(rng, n, RTR_WEIGHTS)], years)
    months = _categorical(rng, n, SPIN_MONTH_WEIGHTS) + 1
    spin = np.array([_ord(int(y), int(m), 1) for y, m in zip(years, months)], dtype=np.int64)
    # Pre-spin-out mutuals go live on the first of a month within the next year.
    ahead = rng.integers(1, 13, n)
    next_month = _add_months(_ord(DATA_DATE.year, DATA_DATE.month, 1), 1)
    planned = np.array([_add_months(next_month, int(a) - 1) for a in ahead], dtype=np.int64)
    M.spin = np.where(M.pre, planned, spin)
    oa = M.spin - rng.integers(183, 731, n)  # 6-24 months before spin-out
    M.oa = np.where(M.pre, np.minimum(oa, DATA_ORD - 60 - rng.integers(0, 120, n)), oa)


def _unique_codes(numbers: np.ndarray, mask: np.ndarray, fmt: str) -> np.ndarray:
    """Format numbers where mask holds, bumping duplicates so every code is unique."""
    out = np.full(len(numbers), "", dtype=object)
    used: set[int] = set()
    for i in np.flatnonzero(mask):
        x = int(numbers[i])
        while x in used:
            x += 1
        used.add(x)
        out[i] = fmt.format(x)
    return out


def _registration_numbers(rng: np.random.Generator, M: _Mutuals) -> None:
    """Company, charity and society numbers that fit each legal form."""
    n = M.n
    company = np.isin(M.form_kind, ["cic", "company"])
    # Company numbers rise with the incorporation date, a few months before spin-out.
    inc_year = 1970 + (M.spin - rng.integers(30, 200, n) - _EPOCH_ORD) / YEAR
    base = np.interp(inc_year, [2006, 2008, 2013, 2018, 2022, 2027],
                     [5.7e6, 6.5e6, 8.3e6, 11.2e6, 14.0e6, 16.8e6])
    M.company_number = _unique_codes((base + rng.integers(0, 60_000, n)).astype(np.int64),
                                     company, "{:08d}")
    charity = (M.form_kind == "cio") | ((M.legal_form == "Company Limited by Guarantee")
                                        & (rng.random(n) < 0.5))
    M.charity_number = np.full(n, "", dtype=object)
    where = np.flatnonzero(charity)
    for i, x in zip(where, rng.choice(100_000, len(where), replace=False)):
        region = M.region[i]
        M.charity_number[i] = (f"SC0{x:05d}" if region == "Scotland" else
                               f"NIC{100_000 + x}" if region == "Northern Ireland" else
                               str(1_100_000 + x))
    M.society_number = _unique_codes(rng.integers(28_000, 33_000, n), M.form_kind == "society",
                                     "{:05d}R")


def _mutual_attributes(n: int, comm: pd.DataFrame, rng: np.random.Generator) -> _Mutuals:
    M = _Mutuals()
    M.n = n
    M.ids = np.array([f"M{k + 1:0{max(4, len(str(n)))}d}" for k in range(n)], dtype=object)
    M.sector_idx = _shuffled_labels(rng, n, SECTOR_SHARES, 1)
    M.sector = np.array(SECTORS, dtype=object)[M.sector_idx]
    M.pre = np.zeros(n, dtype=bool)
    M.pre[rng.choice(n, max(1, round(n * PRE_SPIN_OUT_PER_MUTUAL)), replace=False)] = True
    _spin_out_dates(rng, M)

    # Parent: health mostly NHS (always under Right to Request), the rest mostly councils.
    kinds = comm["kind"].to_numpy()
    pools = {k: np.flatnonzero(kinds == k) for k in ("local_authority", "nhs", "other")}
    u = rng.random(n)
    p_other = np.where(M.sector == EMP, 0.30, 0.06)
    want = np.where(M.sector_idx == 0, np.where(M.rtr | (u < 0.6), "nhs", "local_authority"),
                    np.where(u < p_other, "other", "local_authority"))
    pick = rng.random(n)
    M.parent = np.array([pools[w][int(p * len(pools[w]))] for w, p in zip(want, pick)])
    M.region = comm["region"].to_numpy()[M.parent]

    forms = _shuffled_labels(rng, n, [s for _, s, _ in LEGAL_FORMS])
    M.legal_form = np.array([f for f, _, _ in LEGAL_FORMS], dtype=object)[forms]
    M.form_kind = np.array([k for _, _, k in LEGAL_FORMS], dtype=object)[forms]
    M.ownership = np.array([m for m, _ in OWNERSHIP_MODELS], dtype=object)[
        _categorical(rng, n, [w for _, w in OWNERSHIP_MODELS])]
    beta = np.array([MEMBER_SHARE_BETA[m] for m in M.ownership], dtype=float)
    M.member_share = rng.beta(beta[:, 0], beta[:, 1])
    _registration_numbers(rng, M)

    # Size: lognormal staff plus a few giants; income per head by sector.
    median = np.array([STAFF_MEDIAN[s] for s in M.sector], dtype=float)
    staff = np.exp(np.log(median) + STAFF_SIGMA * rng.standard_normal(n))
    candidates = np.flatnonzero(np.isin(M.sector_idx, [0, 5]) & ~M.pre)
    giants = rng.choice(candidates, min(round(n * GIANTS_PER_MUTUAL), len(candidates)), replace=False)
    staff[giants] = rng.uniform(5000, 14000, len(giants))
    M.staff = np.clip(np.round(staff), 2, 14000).astype(np.int64)
    per_head = np.array([INCOME_PER_HEAD[s] for s in M.sector])
    M.income_ref = np.clip(M.staff * rng.uniform(per_head[:, 0], per_head[:, 1]),
                           rng.uniform(*MIN_INCOME, n), rng.uniform(*MAX_INCOME, n))

    # Hidden behaviour.
    M.growth = np.clip(rng.normal(0.045, 0.03, n), -0.03, 0.12)
    M.share0 = rng.uniform(0.80, 1.0, n)
    M.diversifier = _shuffled_labels(rng, n, [1 - DIVERSIFIER_SHARE, DIVERSIFIER_SHARE]) == 1
    M.share_target = np.where(M.diversifier, rng.uniform(0.40, 0.60, n),
                              np.maximum(0.80, M.share0 - rng.uniform(0.0, 0.10, n)))
    M.share_tau = rng.uniform(2.0, 5.0, n)
    M.public_other_frac = rng.uniform(0.35, 0.80, n)
    M.residual = rng.uniform(0.0, 0.10, n)  # parent income kept after losing the main contract
    M.early_peak = _shuffled_labels(rng, n, [1 - EARLY_PEAK_SHARE, EARLY_PEAK_SHARE]) == 1
    M.has_plan = _shuffled_labels(rng, n, [NO_PLAN_SHARE, 1 - NO_PLAN_SHARE]) == 1
    M.area = np.array([SERVICE_AREAS[s][int(x * len(SERVICE_AREAS[s]))]
                       for s, x in zip(M.sector, rng.random(n))], dtype=object)
    # Set by the contract chains.
    M.loss = np.zeros(n, dtype=np.int64)       # date the main contract was lost or handed back
    M.handed_back = np.zeros(n, dtype=bool)
    M.ceased = np.zeros(n, dtype=np.int64)
    M.end = np.full(n, DATA_ORD, dtype=np.int64)  # last day with data
    M.t_ref = np.zeros(n)                          # years from spin-out to M.end
    M.loss_share = np.zeros(n)                     # share of income that went with the loss
    return M


def _parent_share(t, s0, target, tau):
    """Share of income from the former parent, t years after spin-out."""
    return target + (s0 - target) * np.exp(-np.maximum(t, 0.0) / tau)


# --------------------------------------------------------------------------- #
# Contracts                                                                   #
# --------------------------------------------------------------------------- #
def _main_chain(d: _Draws, first_term, libraries: bool, spin: int) -> tuple[list, int, bool]:
    """Contracts with the former parent from spin-out until now or until lost.

    Returns rows ``(start, end, max_end, outcome, kind)``, the loss date (0 if
    none) and whether the loss was a hand-back.
    """
    rows = []
    start, kind = spin, "spin_out"
    term, ext = d.weighted(first_term), d.weighted(EXTENSION_YEARS)
    while True:
        end = _add_months(start, 12 * term) - 1
        max_end = _add_months(start, 12 * (term + ext)) - 1
        if d.chance(P_HAND_BACK):
            stop = _add_months(start, int(12 * term * d.uniform(0.35, 0.85)) + 1) - 1
            if stop <= DATA_ORD:
                rows.append((start, stop, max_end, "handed_back", kind))
                return rows, stop, True
        if end >= DATA_ORD:
            rows.append((start, end, max_end, "active", kind))
            return rows, 0, False
        if ext > 0 and d.chance(P_TAKE_EXTENSION):
            taken = d.integer(1, ext)
            rows.append((start, end, max_end, "extended", kind))
            start, term, ext, kind = end + 1, taken, ext - taken, "extension"
            continue
        if d.chance(P_RENEW_WITHOUT_TENDER):
            rows.append((start, end, max_end, "renewed", kind))
            start, term, kind = end + 1, d.weighted(RENEWAL_TERM), "renewal"
        elif d.chance(P_LOSE_RETENDER):
            rows.append((start, end, max_end, "lost_at_retender", kind))
            return rows, end, False
        else:
            rows.append((start, end, max_end, "won_at_retender", kind))
            term = d.weighted(RETENDER_TERM_LIBRARIES if libraries else RETENDER_TERM)
            start, kind = end + 1, "retender"
        ext = d.weighted(EXTENSION_YEARS)


def _other_chain(d: _Draws, start: int, stop: int, ceased: bool) -> list:
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
        outcome = d.weighted(OTHER_OUTCOMES)
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


def _choose_ceased(M: _Mutuals, d: _Draws) -> None:
    """Pick which mutuals that lost their main contract stopped trading, and when."""
    lag = np.array([d.integer(0, CEASE_LAG_DAYS[bool(h)]) for h in M.handed_back])
    candidates = np.flatnonzero((M.loss > 0) & (M.loss + lag <= DATA_ORD))
    weights = np.where(M.handed_back[candidates], CEASE_WEIGHT_HAND_BACK, 1.0)
    keys = [d.u() ** (1.0 / w) for w in weights]  # weighted sampling without replacement
    k = min(len(candidates), round(M.n * CEASED_SHARE))
    chosen = candidates[np.argsort(keys, kind="stable")[::-1][:k]]
    M.ceased[chosen] = M.loss[chosen] + lag[chosen]
    M.end = np.where(M.ceased > 0, M.ceased, DATA_ORD)
    M.t_ref = np.where(M.pre, 0.0, (M.end - M.spin) / YEAR)


def _contracts(M: _Mutuals, comm: pd.DataFrame, d: _Draws) -> dict[str, list]:
    """Contract rows for every spun-out mutual; records losses and ceasing on M.

    First the main chains with the former parent (which decide losses and so
    ceasing), then smaller contracts with other commissioners.
    """
    n_comm = len(comm)
    by_region: dict[str, list[int]] = {}
    position = {}
    for k, region in enumerate(comm["region"]):
        position[k] = len(by_region.setdefault(region, []))
        by_region[region].append(k)
    comm_ids = comm["commissioner_id"].tolist()
    sector, area, spin_all = M.sector.tolist(), M.area.tolist(), M.spin.tolist()
    parents, regions = M.parent.tolist(), M.region.tolist()
    chains = {}
    for i in range(M.n):
        if not M.pre[i]:
            first_term = FIRST_TERM_HEALTH if sector[i] == HSC else FIRST_TERM_OTHER
            chains[i], M.loss[i], M.handed_back[i] = _main_chain(
                d, first_term, area[i] == "Libraries", spin_all[i])
    _choose_ceased(M, d)

    cols: dict[str, list] = {c: [] for c, _ in COLUMNS["contracts"]}
    for i, main in chains.items():
        spin, parent, loss, ceased = spin_all[i], parents[i], int(M.loss[i]), int(M.ceased[i])
        stop = ceased or DATA_ORD
        # Diversification: smaller contracts with other commissioners.
        n_other = d.integer(2, 5) if M.diversifier[i] else int(d.chance(0.5))
        survivor = bool(loss) and not ceased
        if survivor:
            n_other = max(n_other, 1)
        first_month = _month_index(spin) + 6
        last_month = _month_index(min(stop, loss + 180) if survivor else stop)
        others = []
        for _ in range(n_other if first_month <= last_month else 0):
            start = _MONTH_START[d.integer(first_month, last_month)]
            commissioner = _other_commissioner(d, by_region[regions[i]], position[parent], parent,
                                               n_comm)
            service = d.pick(SERVICE_AREAS[sector[i]])
            others += [r + (commissioner, service) for r in _other_chain(d, start, stop, bool(ceased))]

        rows = [r + (parent, area[i]) for r in main] + others
        rows.sort(key=lambda r: (r[0], r[4] not in MAIN_KINDS, r[5]))
        width = max(2, len(str(len(rows))))
        for k, (start, end, max_end, outcome, kind, commissioner, service) in enumerate(rows):
            cols["contract_id"].append(f"{OCID_PREFIX}-{M.ids[i]}-C{k + 1:0{width}d}")
            cols["mutual_id"].append(M.ids[i])
            cols["commissioner_id"].append(comm_ids[commissioner])
            cols["title"].append(CONTRACT_TITLES[kind].format(a=service))
            cols["service_area"].append(service)
            cols["start_date"].append(start)
            cols["end_date"].append(end)
            cols["max_end_date"].append(max_end)
            cols["annual_value"].append(_contract_value(M, i, start, kind in MAIN_KINDS, d))
            cols["is_spin_out_contract"].append(kind == "spin_out")
            cols["outcome"].append(outcome)
    return cols


def _contract_value(M: _Mutuals, i: int, start: int, main: bool, d: _Draws) -> float:
    """Annual value: the parent's income run-rate for main contracts, else a slice of other public income."""
    t = (start - M.spin[i]) / YEAR
    rate = M.income_ref[i] * (1.0 + M.growth[i]) ** (t - M.t_ref[i])
    share = M.share_target[i] + (M.share0[i] - M.share_target[i]) * math.exp(-t / M.share_tau[i])
    if main:
        return round(float(rate * share) * d.uniform(0.97, 1.03), -3)
    value = float(rate * (1 - share) * M.public_other_frac[i]) * d.uniform(0.4, 0.9)
    return max(20_000.0, round(value, -3))


# --------------------------------------------------------------------------- #
# Financials and plans (vectorised over mutual-years)                         #
# --------------------------------------------------------------------------- #
def _first_year_end(spin: np.ndarray) -> np.ndarray:
    """Year of the 31 March ending the first full financial year that starts on/after spin-out."""
    years = _years_of(spin)
    april = np.array([_ord(int(y), 4, 1) for y in years])
    return np.where(spin <= april, years + 1, years + 2)


def _last_year_end(end: np.ndarray) -> np.ndarray:
    """Year of the latest 31 March on or before ``end``."""
    years = _years_of(end)
    return np.where(end >= _march_31(years), years, years - 1)


def _financials(M: _Mutuals, rng: np.random.Generator) -> dict:
    """One row per mutual per financial year, from the first full year to the last before M.end."""
    first_year = _first_year_end(M.spin)
    count = np.where(M.pre, 0, np.maximum(_last_year_end(M.end) - first_year + 1, 0))
    idx, k = _within_group_index(count)
    year_end = _march_31(first_year[idx] + k)
    rows, n = len(idx), M.n
    t = (year_end - 182 - M.spin[idx]) / YEAR  # mid-year, in years since spin-out
    income = (M.income_ref[idx] * (1 + M.growth[idx]) ** (t - M.t_ref[idx])
              * np.exp(rng.normal(0, 0.04, rows)))
    share = np.clip(_parent_share(t, M.share0[idx], M.share_target[idx], M.share_tau[idx])
                    + rng.normal(0, 0.015, rows), 0.0, 1.0)
    parent = income * share
    # After losing the main contract the parent's income falls to a small residual.
    loss = M.loss[idx]
    after = np.where(loss > 0, np.clip((year_end - loss) / 365.0, 0.0, 1.0), 0.0)
    parent_kept = parent * (1 - after * (1 - M.residual[idx]))
    rest = income - parent
    other_public = rest * np.clip(M.public_other_frac[idx] + rng.normal(0, 0.05, rows), 0.05, 0.95)
    non_public = rest - other_public
    total = parent_kept + other_public + non_public

    # Margins: mostly small surpluses; deficits around a loss or before a hand-back.
    margin = rng.uniform(0.008, 0.035, n)[idx] + rng.normal(0, 0.011, rows)
    shock = (after > 0) & (year_end - loss < 730)
    margin -= np.where(shock, rng.uniform(0.02, 0.08, rows), 0.0)
    strain = M.handed_back[idx] & (year_end <= loss) & (loss - year_end < 730)
    margin -= np.where(strain, rng.uniform(0.01, 0.05, rows), 0.0)
    expenditure = total * (1 - np.clip(margin, -0.15, 0.12))
    staff_costs = expenditure * np.clip(rng.uniform(0.55, 0.75, n)[idx]
                                        + rng.normal(0, 0.01, rows), 0.5, 0.8)

    # Reserves: a working-capital dowry at spin-out plus retained surpluses.
    dowry = np.where(k == 0, expenditure / 12 * rng.uniform(0.2, 2.5, n)[idx], 0.0)
    retained = (total - expenditure) * rng.uniform(0.4, 1.0, n)[idx]
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


def _plan_targets(M: _Mutuals, rng: np.random.Generator) -> dict:
    """Five-year business plans: optimistic growth and a rising non-parent share."""
    first_year = _first_year_end(M.spin)
    n = M.n
    start_t = (_march_31(first_year) - 182 - M.spin) / YEAR
    opening = (M.income_ref * (1 + M.growth) ** (start_t - M.t_ref)
               * rng.uniform(0.95, 1.06, n))
    growth = rng.uniform(0.01, 0.06, n)
    lift = rng.uniform(0.02, 0.20, n)
    idx, k = _within_group_index(np.where(M.has_plan, 5, 0))
    planned = opening[idx] * (1 + growth[idx]) ** k
    non_parent_share = np.clip(1 - M.share0[idx] + lift[idx] * k / 4, 0.0, 0.95)
    return {"mutual_id": M.ids[idx], "year_end": _march_31(first_year[idx] + k),
            "planned_income": planned, "planned_non_parent_income": planned * non_parent_share}


# --------------------------------------------------------------------------- #
# Engagement surveys                                                          #
# --------------------------------------------------------------------------- #
def _wave_dates(spin: int, oa: int, end: int, d: _Draws) -> list[tuple[int, str]]:
    """Waves at options appraisal and in transition, then roughly annual each autumn."""
    waves = [(oa + d.integer(14, 60), "options_appraisal"),
             (spin - d.integer(30, 120), "transition")]
    offset = d.integer(0, 60)  # the mutual's usual survey day after 1 October
    year = datetime.date.fromordinal(spin + 150).year
    if _ord(year, 10, 1) + offset < spin + 150:
        year += 1
    first = True
    while True:
        when = _ord(year, 10, 1) + offset + d.integer(-7, 7)
        if when > end:
            break
        if first or not d.chance(0.12):
            waves.append((when, "spun_out"))
        first, year = False, year + 1
    return [(w, p) for w, p in waves if w <= end]


def _wave_levels(M: _Mutuals, d: _Draws) -> dict[str, list]:
    """One record per survey wave: date, phase, organisation-level score and headcount."""
    waves: dict[str, list] = {"mutual": [], "date": [], "phase": [], "level": [], "staff": []}
    spin, oa, end = M.spin.tolist(), M.oa.tolist(), M.end.tolist()
    for i in range(M.n):
        base = min(8.2, max(6.3, d.normal(7.25, 0.3)))
        peak_phase = "transition" if d.chance(0.6) else "options_appraisal"
        lift, drop = d.uniform(0.2, 0.6), d.uniform(0.6, 1.5)
        improve, ramp = d.uniform(-0.05, 0.45), d.integer(2, 4)
        early = bool(M.early_peak[i])
        k_spun = 0
        for when, phase in _wave_dates(spin[i], oa[i], end[i], d):
            if phase == "spun_out":
                k_spun += 1
                progress = min(1.0, k_spun / ramp)
                level = base + lift - drop * progress if early else base + improve * progress
            elif early:
                level = base + (lift if phase == peak_phase else 0.4 * lift)
            elif phase == "options_appraisal":
                level = base - d.uniform(0.0, 0.2)
            else:
                level = base + d.normal(0, 0.08)
            waves["mutual"].append(i)
            waves["date"].append(when)
            waves["phase"].append(phase)
            waves["level"].append(level + d.normal(0, 0.08))
            waves["staff"].append(_staff_at(M, i, max(when, spin[i])))
    return waves


def _staff_at(M: _Mutuals, i: int, when: int) -> int:
    """Headcount at a date: grows with income, shrinks after losing the main contract."""
    t = min((when - M.spin[i]) / YEAR, M.t_ref[i])
    size = M.staff[i] * (1 + M.growth[i]) ** (t - M.t_ref[i])
    if M.loss[i] and when > M.loss[i]:
        size *= 1 - M.loss_share[i]
    return max(2, int(round(size)))


def _engagement(M: _Mutuals, d: _Draws, rng: np.random.Generator) -> dict:
    """Staff survey results by wave and staff group (groups vectorised with numpy)."""
    waves = _wave_levels(M, d)
    mutual = np.asarray(waves["mutual"], dtype=np.int64)
    staff = np.asarray(waves["staff"], dtype=np.int64)
    n_waves = len(mutual)
    n_groups = np.asarray(GROUPS_BY_STAFF[1])[np.searchsorted(GROUPS_BY_STAFF[0], staff, side="right")]
    # Each mutual's group mix: the sector's shares, perturbed once per mutual.
    shares = np.array([[w for _, w, _ in STAFF_GROUPS[s]] for s in SECTORS])
    offsets = np.array([[o for _, _, o in STAFF_GROUPS[s]] for s in SECTORS])
    names = np.array([[g for g, _, _ in STAFF_GROUPS[s]] for s in SECTORS], dtype=object)
    mix = shares[M.sector_idx] * rng.uniform(0.7, 1.3, (M.n, 6))
    cum_mix = np.cumsum(mix, axis=1)

    wave, j = _within_group_index(n_groups)
    m = mutual[wave]
    sizes = np.maximum(1, np.floor(staff[wave] * mix[m, j] / cum_mix[m, n_groups[wave] - 1]))
    others = np.bincount(wave, weights=np.where(j > 0, sizes, 0), minlength=n_waves)
    sizes = np.where(j == 0, np.maximum(1, staff[wave] - others[wave]), sizes).astype(np.int64)
    rate = rng.uniform(0.25, 0.75, n_waves)[wave] + rng.normal(0, 0.06, len(wave))
    respondents = np.clip(np.rint(sizes * np.clip(rate, 0.10, 0.95)), 1, sizes).astype(np.int64)

    level = np.asarray(waves["level"])[wave] + offsets[M.sector_idx[m], j]
    sd = 0.12 + 0.5 / np.sqrt(respondents)
    scores = {col: np.clip(level + off + sd * rng.standard_normal(len(wave)), 0.0, 10.0)
              for col, off in zip(("motivation", "involvement", "advocacy"), SUBSCORE_OFFSETS)}
    return {"mutual_id": M.ids[m], "survey_date": np.asarray(waves["date"])[wave],
            "phase": np.asarray(waves["phase"], dtype=object)[wave],
            "staff_group": names[M.sector_idx[m], j], "eligible_staff": sizes,
            "respondents": respondents, **scores}


# --------------------------------------------------------------------------- #
# Strategy sessions and innovations (vectorised Poisson events)               #
# --------------------------------------------------------------------------- #
def _poisson_events(rng: np.random.Generator, start: np.ndarray, stop: np.ndarray,
                    per_year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Random event dates in [start, stop] per mutual; returns (mutual index, date), sorted."""
    span = np.maximum(stop - start, 0)
    count = np.where(span > 0, rng.poisson(per_year * span / YEAR), 0)
    owner = np.repeat(np.arange(len(start)), count)
    dates = start[owner] + np.floor(rng.random(len(owner)) * (span[owner] + 1)).astype(np.int64)
    order = np.lexsort((dates, owner))
    return owner[order], dates[order]


def _strategy_sessions(M: _Mutuals, rng: np.random.Generator) -> dict:
    """0-3 sessions a year; some mutuals lapse (long gaps before DATA_DATE), a few never meet."""
    n = M.n
    style = np.array(SESSION_STYLES[0])[_shuffled_labels(rng, n, SESSION_STYLES[1])]
    start = M.oa + rng.integers(30, 200, n)
    lapsed_stop = DATA_ORD - rng.integers(395, 900, n)
    stop = np.where(style == "lapsed", np.minimum(M.end, lapsed_stop), M.end)
    stop = np.where(style == "none", start, stop)
    owner, dates = _poisson_events(rng, start, stop, rng.uniform(2.0, 4.0, n))
    keep = np.ones(len(owner), dtype=bool)
    keep[1:] = (owner[1:] != owner[:-1]) | (dates[1:] != dates[:-1])
    owner, dates = owner[keep], dates[keep]
    kind = np.array(SESSION_KINDS, dtype=object)[_categorical(rng, len(owner), SESSION_KIND_WEIGHTS)]
    return {"mutual_id": M.ids[owner], "session_date": dates, "kind": kind}


def _innovations(M: _Mutuals, rng: np.random.Generator) -> dict:
    """Ideas, pilots and embedded changes since spin-out, more in bigger mutuals."""
    n = M.n
    per_year = np.clip(M.staff * rng.uniform(0.05, 0.18, n), 0.5, 80.0)  # 5-18 per 100 staff a year
    start = np.where(M.pre, M.end, M.spin + 1)
    owner, dates = _poisson_events(rng, start, M.end, per_year)
    rows = len(owner)
    age = (M.end[owner] - dates) / YEAR
    band = np.searchsorted(INNOVATION_STATUS_BY_AGE[0], age, side="right")
    cum_status = np.cumsum(np.array(INNOVATION_STATUS_BY_AGE[1]), axis=1)[band]
    status = INNOVATION_STATUSES[(rng.random(rows)[:, None] > cum_status[:, :2]).sum(axis=1)]
    staff_first = np.where(M.ownership[owner] == "employee-owned", 0.55, 0.42)
    cum_origin = np.column_stack([staff_first, np.full(rows, 0.80), np.full(rows, 0.93)])
    origin = INNOVATION_ORIGINS[(rng.random(rows)[:, None] > cum_origin).sum(axis=1)]
    scale = (M.staff[owner] / 100) ** 0.3
    raw = np.exp(np.log(8000 * scale) + rng.standard_normal(rows))
    has_saving = (status != "idea") | (rng.random(rows) < 0.15)
    saving = np.where(has_saving, np.clip(np.round(raw, -2), 1_000, 500_000), np.nan)
    titles = np.array(INNOVATION_TITLES, dtype=object)[rng.integers(0, len(INNOVATION_TITLES), rows)]
    return {"mutual_id": M.ids[owner], "innovation_date": dates, "title": titles,
            "origin": origin, "status": status, "annual_saving": saving}


# --------------------------------------------------------------------------- #
# Relationship reviews                                                        #
# --------------------------------------------------------------------------- #
def _reviews(M: _Mutuals, contracts: dict, comm: pd.DataFrame, d: _Draws,
             on_data_date: set[int]) -> dict:
    """Reviews with the parent (1-4 a year while the main contract runs) and other buyers.

    Ratings centre on each relationship's quality and slide in the two years
    before a contract is lost. Some relationships lapse more than a year before
    DATA_DATE.
    """
    out: dict[str, list] = {c: [] for c, _ in COLUMNS["relationship_reviews"]}
    comm_ids = comm["commissioner_id"].tolist()
    held: dict[str, list] = {}
    for m, c, s, e in zip(contracts["mutual_id"], contracts["commissioner_id"],
                          contracts["start_date"], contracts["end_date"]):
        held.setdefault(m, []).append((c, s, e))

    def add(i, commissioner, when, kind, quality):
        out["mutual_id"].append(M.ids[i])
        out["commissioner_id"].append(commissioner)
        out["review_date"].append(when)
        out["kind"].append(kind)
        out["rating"].append(min(5, max(1, int(round(quality + 0.6 * d.z())))))

    for i in range(M.n):
        parent, quality, end = comm_ids[M.parent[i]], d.normal(3.5, 0.45), int(M.end[i])
        if d.chance(P_REVIEWS_LAPSED) and i not in on_data_date:
            end = min(end, DATA_ORD - d.integer(400, 900))
        if M.pre[i]:  # partnership meetings while the spin-out is planned
            when = int(M.oa[i]) + d.integer(30, 120)
            while when <= end:
                add(i, parent, when, REVIEW_STRATEGIC, quality)
                when += d.integer(150, 400)
            continue
        loss, spin = int(M.loss[i]), int(M.spin[i])
        stop = min(end, loss) if loss else end

        def quality_at(when):
            slide = 1.2 * min(1.0, max(0.0, 1 - (loss - when) / 730)) if loss else 0.0
            return quality - slide

        style = d.weighted(REVIEW_STYLES)
        year = 1
        while spin + int(round((year - 1) * YEAR)) <= stop:
            anniversary = spin + int(round(year * YEAR)) + d.integer(-30, 30)
            year_start = anniversary - 365
            if style == "quarterly":
                for quarter in (1, 2, 3):
                    when = year_start + 91 * quarter + d.integer(-15, 15)
                    if when <= stop:
                        add(i, parent, when, REVIEW_QUARTERLY, quality_at(when))
            if anniversary <= stop and not (style == "light" and d.chance(0.15)):
                add(i, parent, anniversary, REVIEW_ANNUAL, quality_at(anniversary))
            if style == "annual":
                for _ in range(d.integer(0, 2)):
                    when = anniversary - d.integer(30, 330)
                    if when <= stop:
                        add(i, parent, when, REVIEW_STRATEGIC, quality_at(when))
            year += 1
        for commissioner, start, contract_end in held.get(M.ids[i], []):
            if commissioner == parent:
                continue
            when, last = start + d.integer(300, 400), min(contract_end + 30, end)
            while when <= last:
                add(i, commissioner, when, REVIEW_ANNUAL, quality + d.normal(0.1, 0.3))
                when += d.integer(330, 400)
        if i in on_data_date:
            add(i, parent, DATA_ORD, REVIEW_QUARTERLY, quality)
    return out


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


def generate(n_mutuals: int = DEFAULT_MUTUALS, seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Generate every table for ``n_mutuals`` mutuals; the same arguments give the same data.

    Returns one DataFrame per name in ``TABLES`` plus ``dataset_info`` (key/value
    rows: synthetic flag, generator, seed, number of mutuals, data date).
    """
    if n_mutuals < 1:
        raise ValueError("n_mutuals must be at least 1")
    rngs = dict(zip(STREAMS, np.random.default_rng(seed).spawn(len(STREAMS))))
    names = _NameBook(_Draws(rngs["names"]))
    comm = _commissioners(max(5, round(n_mutuals / MUTUALS_PER_COMMISSIONER)),
                          rngs["commissioners"], names)
    M = _mutual_attributes(n_mutuals, comm, rngs["mutuals"])
    contracts = _contracts(M, comm, _Draws(rngs["contracts"]))
    t_loss = (M.loss - M.spin) / YEAR
    M.loss_share = np.where(M.loss > 0, (1 - M.residual) * _parent_share(
        t_loss, M.share0, M.share_target, M.share_tau), 0.0)

    # Pin the latest event to DATA_DATE: a monitoring review at ~1% of live mutuals
    # (in a tiny sample with none live, a plan review at a pre-spin-out mutual).
    live = np.flatnonzero(~M.pre & (M.ceased == 0) & (M.loss == 0))
    on_date = set(rngs["reviews"].choice(live, min(len(live), max(1, round(n_mutuals / 100))),
                                         replace=False).tolist())
    sessions = _strategy_sessions(M, rngs["sessions"])
    if not on_date:
        sessions = {k: np.append(v, x) for (k, v), x in zip(
            sessions.items(), (M.ids[np.flatnonzero(M.pre)[0]], DATA_ORD, "plan_review"))}

    tables = {
        "commissioners": comm,
        "mutuals": _mutuals_frame(M, comm, names),
        "contracts": _frame("contracts", contracts),
        "financials": _frame("financials", _financials(M, rngs["financials"])),
        "plan_targets": _frame("plan_targets", _plan_targets(M, rngs["plans"])),
        "engagement": _frame("engagement", _engagement(
            M, _Draws(rngs["engagement"]), rngs["engagement_groups"])),
        "strategy_sessions": _frame("strategy_sessions", sessions, ["mutual_id", "session_date"]),
        "innovations": _frame("innovations", _innovations(M, rngs["innovations"])),
        "relationship_reviews": _frame(
            "relationship_reviews", _reviews(M, contracts, comm, _Draws(rngs["reviews"]), on_date),
            ["mutual_id", "review_date", "commissioner_id", "kind"]),
        INFO_TABLE: pd.DataFrame(
            [("synthetic", "true"), ("generator", GENERATOR), ("seed", str(seed)),
             ("mutuals", str(n_mutuals)), ("data_date", DATA_DATE.isoformat())],
            columns=["key", "value"]),
    }
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
