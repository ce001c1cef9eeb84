"""Seeded, deterministic synthetic data for the public service mutuals dashboard.

``generate(n, seed)`` returns one DataFrame per table of the data contract (plus a
small ``dataset_info`` frame); ``write_csvs`` writes them as CSV files. The same
``n`` and ``seed`` always give byte-identical files. Nothing depends on today's
date: every event is dated on or before ``DATA_DATE``, and at least one event
falls exactly on it.

All names are invented (syllable-built places); proportions follow the domain
brief (``shared/domain.md``): ~48% health and social care, mostly CICs,
spin-outs clustered 2011-2016, long-tailed sizes, thin reserves, re-tender risk.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DATE = datetime.date(2026, 9, 30)
DEFAULT_MUTUALS = 130
DEFAULT_SEED = 2026
TABLES = [
    "commissioners",
    "mutuals",
    "contracts",
    "financials",
    "plan_targets",
    "engagement",
    "strategy_sessions",
    "innovations",
    "relationship_reviews",
]
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
        ("status", "str"), ("ceased_date", "date"), ("society_number", "str"),
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
# Median staff and income per head (GBP range) by sector; leisure has many part-timers.
STAFF_MEDIAN = {HSC: 150, EYC: 70, CML: 60, EMP: 60, HOU: 45, SPL: 120}
STAFF_SIGMA = 1.35
INCOME_PER_HEAD = {HSC: (35e3, 55e3), EYC: (30e3, 50e3), CML: (30e3, 45e3),
                   EMP: (32e3, 52e3), HOU: (35e3, 55e3), SPL: (18e3, 30e3)}
MIN_INCOME = (0.15e6, 0.3e6)

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
# Staff groups in order of inclusion, with their usual share of the workforce
# and a typical offset of their engagement score from the organisation's.
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
SUBSCORE_OFFSETS = (0.15, -0.45, 0.30)  # motivation, involvement, advocacy (sum to zero)

ENGLISH_REGIONS = ["North East", "North West", "Yorkshire and the Humber", "East Midlands",
                   "West Midlands", "East of England", "London", "South East", "South West"]
REGIONS = ENGLISH_REGIONS + ["Wales", "Scotland", "Northern Ireland"]
REGION_WEIGHTS = [2.6, 7.4, 5.5, 4.9, 6.0, 6.3, 8.9, 9.3, 5.7, 2.0, 2.0, 1.0]
COMMISSIONER_KINDS = {"nhs": 0.30, "other": 0.05}  # the rest are local authorities
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

# Invented place-name syllables (chosen not to form real UK place names).
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
PRE_SPIN_OUT_PER_MUTUAL = 1 / 50  # still at options appraisal / transition
GIANTS_PER_MUTUAL = 1 / 80        # GLL-sized organisations (5,000-14,000 staff)
NO_PLAN_SHARE = 0.08
DIVERSIFIER_SHARE = 0.40
EARLY_PEAK_SHARE = 0.35

FIRST_TERM = {HSC: ([3, 4, 5], [.4, .2, .4])}
FIRST_TERM_OTHER = ([2, 3, 5], [.45, .45, .10])
EXTENSION_YEARS = ([0, 1, 2], [.40, .35, .25])
RENEWAL_TERM = ([3, 4, 5], [.40, .30, .30])
RETENDER_TERM = ([3, 4, 5, 7, 10], [.20, .15, .35, .20, .10])
RETENDER_TERM_LIBRARIES = ([3, 5, 7, 10, 15], [.15, .30, .20, .15, .20])
P_TAKE_EXTENSION = 0.50
P_RENEW_WITHOUT_TENDER = 0.33
P_LOSE_RETENDER = 0.13
P_HAND_BACK = 0.012            # per contract term
P_CEASE_AFTER_LOSS = 0.50
P_CEASE_AFTER_HAND_BACK = 0.75
OTHER_CONTRACT_TERM = ([1, 2, 3, 4, 5], [.15, .30, .30, .15, .10])
OTHER_OUTCOMES = (["expired", "renewed", "won_at_retender", "lost_at_retender"], [.50, .25, .15, .10])

SESSION_KINDS = (["away_day", "plan_review", "board_strategy_day", "leadership_retreat"],
                 [.30, .30, .25, .15])
INNOVATION_ORIGINS = ["staff", "management", "commissioner", "other"]
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
REVIEW_PARENT = "annual_contract_review"
REVIEW_QUARTERLY = "quarterly_monitoring"
REVIEW_STRATEGIC = "strategic_partnership_meeting"

STREAMS = ["commissioners", "names", "mutuals", "contracts", "financials", "plans",
           "engagement", "sessions", "innovations", "reviews"]

# --------------------------------------------------------------------------- #
# Calendar helpers (dates are handled as proleptic ordinals while generating) #
# --------------------------------------------------------------------------- #
DATA_ORD = DATA_DATE.toordinal()
_EPOCH_ORD = datetime.date(1970, 1, 1).toordinal()
_MONTH_BASE = 1990
_MONTH_START = [datetime.date(_MONTH_BASE + k // 12, k % 12 + 1, 1).toordinal()
                for k in range(12 * 80)]
YEAR = 365.25


def _month_index(ordinal: int) -> int:
    d = datetime.date.fromordinal(ordinal)
    return (d.year - _MONTH_BASE) * 12 + d.month - 1


def _add_months(first_of_month: int, months: int) -> int:
    """Ordinal of the first day ``months`` after a first-of-month ordinal."""
    return _MONTH_START[_month_index(first_of_month) + months]


def _ord(y: int, m: int, d: int) -> int:
    return datetime.date(y, m, d).toordinal()


def _to_dates(ordinals) -> pd.Series:
    """Ordinals (<= 0 meaning missing) to a datetime64 Series."""
    arr = np.asarray(ordinals, dtype=np.int64)
    out = (arr - _EPOCH_ORD).astype("datetime64[D]")
    out[arr <= 0] = np.datetime64("NaT")
    return pd.Series(out.astype("datetime64[s]"))


# --------------------------------------------------------------------------- #
# Random helpers                                                              #
# --------------------------------------------------------------------------- #
class _Draws:
    """Fast scalar draws for Python loops, buffered from a numpy Generator."""

    _BLOCK = 1 << 15

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
        """Uniform integer in [a, b] inclusive."""
        return a + int(self.u() * (b - a + 1))

    def normal(self, mu: float, sd: float) -> float:
        return mu + sd * self.z()

    def chance(self, p: float) -> bool:
        return self.u() < p

    def pick(self, seq):
        return seq[int(self.u() * len(seq))]

    def weighted(self, choices: tuple[list, list[float]]):
        values, weights = choices
        cum = list(itertools.accumulate(weights))
        return values[min(bisect.bisect_right(cum, self.u() * cum[-1]), len(values) - 1)]

    def expo_days(self, per_year: float) -> int:
        return max(1, int(-math.log(1.0 - self.u()) * YEAR / per_year))


def _exact_counts(n: int, shares: list[float], min_each: int = 0) -> np.ndarray:
    """Split n into integer counts by largest remainder, giving each at least min_each."""
    shares = np.asarray(shares, dtype=float) / sum(shares)
    base = np.full(len(shares), min_each if n >= min_each * len(shares) else 0)
    raw = shares * (n - base.sum())
    counts = base + np.floor(raw).astype(int)
    order = np.argsort(-(raw - np.floor(raw)), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def _shuffled_labels(rng: np.random.Generator, n: int, shares, min_each: int = 0) -> np.ndarray:
    """Category indices with exact proportions, in random order."""
    labels = np.repeat(np.arange(len(shares)), _exact_counts(n, shares, min_each))
    return rng.permutation(labels)


def _categorical(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    cum = np.cumsum(weights) / np.sum(weights)
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1)


# --------------------------------------------------------------------------- #
# Names                                                                       #
# --------------------------------------------------------------------------- #
class _NameBook:
    """Unique invented names built from place syllables."""

    def __init__(self, draws: _Draws):
        self.d = draws
        places = [o + c for o in PLACE_ONSETS for c in PLACE_CODAS]
        self.places = [places[k] for k in np.argsort([draws.u() for _ in places])]
        self.used: set[str] = set()
        self.last_place = ""

    def place(self) -> str:
        return self.d.pick(self.places)

    def unique(self, template: str, place: str | None = None) -> str:
        """Fill ``{p}`` (and ``{q}``) in template with places until the name is new."""
        for attempt in range(40):
            p = place if (place and attempt == 0) else self.place()
            q = self.place()
            name = template.format(p=p, q=q)
            if name not in self.used and p != q:
                self.used.add(name)
                self.last_place = p
                return name
        for attempt in range(1000):  # fall back to two-place names
            name = template.format(p=f"{self.place()} and {self.place()}", q=self.place())
            if name not in self.used:
                self.used.add(name)
                self.last_place = ""
                return name
        raise RuntimeError("ran out of invented names")


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
    d = names.d
    regions = np.array(REGIONS)[_shuffled_labels(rng, n_comm, REGION_WEIGHTS)]
    other_share = COMMISSIONER_KINDS["other"]
    nhs_share = COMMISSIONER_KINDS["nhs"]
    kinds = np.array(["local_authority", "nhs", "other"])[
        _shuffled_labels(rng, n_comm, [1 - nhs_share - other_share, nhs_share, other_share], 1)]
    width = max(3, len(str(n_comm)))
    rows, homes = [], []
    for k in range(n_comm):
        kind, region = str(kinds[k]), str(regions[k])
        rows.append((f"C{k + 1:0{width}d}", names.unique(_commissioner_template(kind, region, d)),
                     kind, region))
        homes.append(names.last_place)
    frame = pd.DataFrame(rows, columns=[c for c, _ in COLUMNS["commissioners"]])
    frame.attrs["home_place"] = homes
    return frame


# --------------------------------------------------------------------------- #
# Mutual-level attributes (vectorised)                                        #
# --------------------------------------------------------------------------- #
class _Mutuals:
    """Per-mutual attributes, public and hidden, as parallel numpy arrays."""


def _spin_out_dates(rng, sector_idx: np.ndarray, pre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(sector_idx)
    health = sector_idx == 0
    rtr = health & (rng.random(n) < RTR_SHARE_OF_HEALTH) & ~pre
    years = np.array(SPIN_YEARS)[_categorical(rng, n, SPIN_YEAR_WEIGHTS)]
    years = np.where(rtr, np.array(RTR_YEARS)[_categorical(rng, n, RTR_WEIGHTS)], years)
    months = _categorical(rng, n, SPIN_MONTH_WEIGHTS) + 1
    spin = np.array([_ord(int(y), int(m), 1) for y, m in zip(years, months)], dtype=np.int64)
    # Pre-spin-out mutuals go live on the first of a month within the next year.
    ahead = rng.integers(1, 13, n)
    next_month = _add_months(_ord(DATA_DATE.year, DATA_DATE.month, 1), 1)
    pre_spin = np.array([_add_months(next_month, int(a) - 1) for a in ahead], dtype=np.int64)
    spin = np.where(pre, pre_spin, spin)
    lead = rng.integers(183, 731, n)  # options appraisal 6-24 months before spin-out
    oa = spin - lead
    oa = np.where(pre, np.minimum(oa, DATA_ORD - 60 - rng.integers(0, 120, n)), oa)
    return spin, oa, rtr


def _registration_numbers(rng, M: _Mutuals, form_kind: np.ndarray) -> None:
    n = M.n
    company = np.isin(form_kind, ["cic", "company"])
    # Company numbers rise with incorporation date (a few months before spin-out).
    inc_year = 1970 + (M.spin - rng.integers(30, 200, n) - _EPOCH_ORD) / YEAR
    base = np.interp(inc_year, [2006, 2008, 2013, 2018, 2022, 2027],
                     [5.7e6, 6.5e6, 8.3e6, 11.2e6, 14.0e6, 16.8e6])
    numbers = (base + rng.integers(0, 60_000, n)).astype(np.int64)
    M.company_number = _unique_codes(numbers, company, "{:08d}")
    charity = (form_kind == "cio") | ((M.legal_form == "Company Limited by Guarantee")
                                      & (rng.random(n) < 0.5))
    M.charity_number = np.full(n, "", dtype=object)
    where = np.flatnonzero(charity)
    serial = rng.choice(100_000, len(where), replace=False)
    for i, x in zip(where, serial):
        region = M.region[i]
        M.charity_number[i] = (f"SC0{x:05d}" if region == "Scotland" else
                               f"NIC{100_000 + x}" if region == "Northern Ireland" else
                               str(1_100_000 + x))
    society = form_kind == "society"
    M.society_number = _unique_codes(rng.integers(28_000, 33_000, n), society, "{:05d}R")


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


def _mutual_attributes(n: int, comm: pd.DataFrame, rng: np.random.Generator) -> _Mutuals:
    M = _Mutuals()
    M.n = n
    M.width = max(4, len(str(n)))
    M.ids = np.array([f"M{k + 1:0{M.width}d}" for k in range(n)], dtype=object)
    M.sector_idx = _shuffled_labels(rng, n, SECTOR_SHARES, 1)
    M.sector = np.array(SECTORS, dtype=object)[M.sector_idx]
    n_pre = max(1, round(n * PRE_SPIN_OUT_PER_MUTUAL))
    M.pre = np.zeros(n, dtype=bool)
    M.pre[rng.choice(n, n_pre, replace=False)] = True
    M.spin, M.oa, M.rtr = _spin_out_dates(rng, M.sector_idx, M.pre)

    # Parent commissioner: health mostly NHS (always under Right to Request), others councils.
    kinds = comm["kind"].to_numpy()
    pools = {k: np.flatnonzero(kinds == k) for k in ("local_authority", "nhs", "other")}
    u = rng.random(n)
    want = np.where(M.sector_idx == 0, np.where(M.rtr | (u < 0.6), "nhs", "local_authority"),
                    np.where(u < (np.where(M.sector == EMP, 0.3, 0.06)), "other", "local_authority"))
    pick = rng.random(n)
    M.parent = np.array([pools[w][int(p * len(pools[w]))] for w, p in zip(want, pick)])
    M.region = comm["region"].to_numpy()[M.parent]

    # Legal form, ownership, membership.
    forms = _shuffled_labels(rng, n, [s for _, s, _ in LEGAL_FORMS])
    M.legal_form = np.array([f for f, _, _ in LEGAL_FORMS], dtype=object)[forms]
    M.form_kind = np.array([k for _, _, k in LEGAL_FORMS], dtype=object)[forms]
    owner = _categorical(rng, n, [w for _, w in OWNERSHIP_MODELS])
    M.ownership = np.array([m for m, _ in OWNERSHIP_MODELS], dtype=object)[owner]
    a = np.array([MEMBER_SHARE_BETA[m][0] for m in M.ownership], dtype=float)
    b = np.array([MEMBER_SHARE_BETA[m][1] for m in M.ownership], dtype=float)
    M.member_share = np.round(rng.beta(a, b), 3)
    _registration_numbers(rng, M, M.form_kind)

    # Size: lognormal staff with a few giants; income per head by sector.
    median = np.array([STAFF_MEDIAN[s] for s in M.sector], dtype=float)
    staff = np.exp(np.log(median) + STAFF_SIGMA * rng.standard_normal(n))
    n_giants = round(n * GIANTS_PER_MUTUAL)
    if n_giants:
        eligible = np.flatnonzero(np.isin(M.sector_idx, [0, 5]) & ~M.pre)
        giants = rng.choice(eligible, min(n_giants, len(eligible)), replace=False)
        staff[giants] = rng.uniform(5000, 14000, len(giants))
    M.staff = np.clip(np.round(staff), 2, 14000).astype(np.int64)
    lo = np.array([INCOME_PER_HEAD[s][0] for s in M.sector])
    hi = np.array([INCOME_PER_HEAD[s][1] for s in M.sector])
    M.income_ref = np.maximum(M.staff * rng.uniform(lo, hi), rng.uniform(*MIN_INCOME, n))

    # Hidden behaviour parameters.
    M.growth = np.clip(rng.normal(0.045, 0.03, n), -0.03, 0.12)
    M.share0 = rng.uniform(0.80, 1.0, n)
    M.diversifier = rng.random(n) < DIVERSIFIER_SHARE
    M.share_target = np.where(M.diversifier, rng.uniform(0.40, 0.60, n),
                              np.maximum(0.80, M.share0 - rng.uniform(0.0, 0.10, n)))
    M.share_tau = rng.uniform(2.0, 5.0, n)
    M.public_other_frac = rng.uniform(0.35, 0.80, n)
    M.early_peak = rng.random(n) < EARLY_PEAK_SHARE
    M.area = np.array([SERVICE_AREAS[s][int(x * len(SERVICE_AREAS[s]))]
                       for s, x in zip(M.sector, rng.random(n))], dtype=object)
    M.has_plan = rng.random(n) >= NO_PLAN_SHARE
    # Filled in by the contract chains.
    M.ceased = np.zeros(n, dtype=np.int64)
    M.loss = np.zeros(n, dtype=np.int64)
    M.loss_share = np.zeros(n)
    M.residual = rng.uniform(0.0, 0.10, n)
    M.handed_back = np.zeros(n, dtype=bool)
    M.end = np.full(n, DATA_ORD, dtype=np.int64)  # last day with data: ceased date or now
    M.t_ref = np.zeros(n)                          # years from spin-out to M.end
    return M


def _parent_share(t, s0, target, tau):
    """Share of income from the former parent, t years after spin-out."""
    return target + (s0 - target) * np.exp(-np.maximum(t, 0.0) / tau)


def _run_rate(M: _Mutuals, i: int, when: int) -> float:
    """Counterfactual annual income of mutual i at an ordinal date."""
    t = (when - M.spin[i]) / YEAR
    return float(M.income_ref[i] * (1.0 + M.growth[i]) ** (t - M.t_ref[i]))


# --------------------------------------------------------------------------- #
# Contracts                                                                   #
# --------------------------------------------------------------------------- #
def _main_chain(d: _Draws, sector: str, area: str, spin: int) -> tuple[list, int, str]:
    """Contracts with the former parent, from spin-out to now or to loss.

    Returns rows (start, end, max_end, outcome, kind), the loss date (0 if none)
    and how it was lost ('lost_at_retender' or 'handed_back').
    """
    rows = []
    start, kind = spin, "spin_out"
    term = d.weighted(FIRST_TERM.get(sector, FIRST_TERM_OTHER))
    ext = d.weighted(EXTENSION_YEARS)
    while True:
        end = _add_months(start, 12 * term) - 1
        max_end = _add_months(start, 12 * (term + ext)) - 1
        if d.chance(P_HAND_BACK):
            stop = _add_months(start, int(12 * term * d.uniform(0.35, 0.85)) + 1) - 1
            if stop <= DATA_ORD:
                rows.append((start, stop, max_end, "handed_back", kind))
                return rows, stop, "handed_back"
        if end >= DATA_ORD:
            rows.append((start, end, max_end, "active", kind))
            return rows, 0, ""
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
            return rows, end, "lost_at_retender"
        else:
            rows.append((start, end, max_end, "won_at_retender", kind))
            terms = RETENDER_TERM_LIBRARIES if area == "Libraries" else RETENDER_TERM
            start, term, kind = end + 1, d.weighted(terms), "retender"
        ext = d.weighted(EXTENSION_YEARS)


def _other_chain(d: _Draws, start: int, stop: int, ceased: bool) -> list:
    """A smaller contract with another commissioner and its follow-ons, up to ``stop``."""
    rows = []
    kind = "other"
    while True:
        term = d.weighted(OTHER_CONTRACT_TERM)
        ext = d.weighted(([0, 1], [.6, .4]))
        end = _add_months(start, 12 * term) - 1
        max_end = _add_months(start, 12 * (term + ext)) - 1
        if end >= stop:
            if ceased:
                rows.append((start, stop, max(max_end, stop), "handed_back", kind))
            else:
                rows.append((start, end, max_end, "active", kind))
            return rows
        outcome = d.weighted(OTHER_OUTCOMES)
        rows.append((start, end, max_end, outcome, kind))
        if outcome in ("expired", "lost_at_retender"):
            return rows
        start, kind = end + 1, "other_renewal"


CONTRACT_TITLES = {
    "spin_out": "{a} services - transfer on spin-out",
    "extension": "{a} services - contract extension",
    "renewal": "{a} services - renewal",
    "retender": "{a} services - re-procured contract",
    "other": "{a} services",
    "other_renewal": "{a} services - follow-on contract",
}


def _contracts(M: _Mutuals, comm: pd.DataFrame, d: _Draws) -> dict[str, list]:
    """Contract rows for every mutual; records losses and ceasing on M."""
    n_comm = len(comm)
    by_region: dict[str, list[int]] = {}
    for k, r in enumerate(comm["region"]):
        by_region.setdefault(r, []).append(k)
    comm_ids = comm["commissioner_id"].tolist()
    cols: dict[str, list] = {c: [] for c, _ in COLUMNS["contracts"]}
    for i in range(M.n):
        if M.pre[i]:
            continue
        sector, area, spin = M.sector[i], M.area[i], int(M.spin[i])
        main, loss, how = _main_chain(d, sector, area, spin)
        ceased = 0
        if loss:
            M.loss[i] = loss
            M.handed_back[i] = how == "handed_back"
            p_cease = P_CEASE_AFTER_HAND_BACK if M.handed_back[i] else P_CEASE_AFTER_LOSS
            if d.chance(p_cease):
                c = loss + d.integer(0, 365 if M.handed_back[i] else 548)
                ceased = c if c <= DATA_ORD else 0
        M.ceased[i] = ceased
        stop = ceased or DATA_ORD
        # Diversification: smaller contracts with other commissioners.
        n_other = d.integer(1, 4) if M.diversifier[i] else int(d.chance(0.35))
        if loss and not ceased:
            n_other = max(n_other, 1)
        window_start = _add_months(_ord(*_ym(spin), 1), 6)
        others = []
        latest_start = min(stop, loss + 180) if (loss and not ceased) else stop
        for _ in range(n_other):
            if window_start > latest_start:
                break
            m0, m1 = _month_index(window_start), _month_index(latest_start)
            start = _MONTH_START[d.integer(m0, m1)]
            if start > latest_start:
                continue
            pool = [k for k in by_region[M.region[i]] if k != M.parent[i]] or \
                   [k for k in range(n_comm) if k != M.parent[i]]
            commissioner = d.pick(pool) if pool else int(M.parent[i])
            svc = d.pick(SERVICE_AREAS[sector])
            for row in _other_chain(d, start, stop, bool(ceased)):
                others.append(row + (commissioner, svc))
        M.end[i] = stop
        M.t_ref[i] = (stop - spin) / YEAR
        rows = [r + (int(M.parent[i]), area) for r in main] + others
        rows.sort(key=lambda r: (r[0], r[4] not in ("spin_out", "extension", "renewal", "retender"), r[5]))
        width = max(2, len(str(len(rows))))
        for k, (start, end, max_end, outcome, kind, commissioner, svc) in enumerate(rows):
            value = _contract_value(M, i, start, kind, d)
            cols["contract_id"].append(f"{OCID_PREFIX}-{M.ids[i]}-C{k + 1:0{width}d}")
            cols["mutual_id"].append(M.ids[i])
            cols["commissioner_id"].append(comm_ids[commissioner])
            cols["title"].append(CONTRACT_TITLES[kind].format(a=svc))
            cols["service_area"].append(svc)
            cols["start_date"].append(start)
            cols["end_date"].append(end)
            cols["max_end_date"].append(max_end)
            cols["annual_value"].append(value)
            cols["is_spin_out_contract"].append(kind == "spin_out")
            cols["outcome"].append(outcome)
    return cols


def _ym(ordinal: int) -> tuple[int, int]:
    d = datetime.date.fromordinal(ordinal)
    return d.year, d.month


def _contract_value(M: _Mutuals, i: int, start: int, kind: str, d: _Draws) -> float:
    """Annual value: the parent's income run-rate for main contracts, a slice of other public income otherwise."""
    t = (start - M.spin[i]) / YEAR
    rate = M.income_ref[i] * (1.0 + M.growth[i]) ** (t - M.t_ref[i])
    share = float(_parent_share(t, M.share0[i], M.share_target[i], M.share_tau[i]))
    if kind.startswith("other"):
        value = rate * (1 - share) * M.public_other_frac[i] * d.uniform(0.15, 0.5)
        return max(20_000.0, round(value, -3))
    return round(rate * share * d.uniform(0.97, 1.03), -3)


# --------------------------------------------------------------------------- #
# Financials and plans (vectorised over mutual-years)                         #
# --------------------------------------------------------------------------- #
def _first_year_end(spin: np.ndarray) -> np.ndarray:
    """Year (YYYY of 31 March) of the first full financial year starting on/after spin-out."""
    years = np.array([datetime.date.fromordinal(int(s)).year for s in spin])
    april = np.array([_ord(int(y), 4, 1) for y in years])
    return np.where(spin <= april, years + 1, years + 2)


def _last_year_end(end: np.ndarray) -> np.ndarray:
    years = np.array([datetime.date.fromordinal(int(e)).year for e in end])
    march = np.array([_ord(int(y), 3, 31) for y in years])
    return np.where(end >= march, years, years - 1)


def _group_cumsum(values: np.ndarray, group_first: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each group; group_first is each row's group start index."""
    cs = np.cumsum(values)
    before = np.where(group_first > 0, cs[np.maximum(group_first - 1, 0)], 0.0)
    return cs - before


def _financials(M: _Mutuals, rng: np.random.Generator) -> dict:
    y1 = _first_year_end(M.spin)
    yn = _last_year_end(M.end)
    count = np.where(M.pre, 0, np.maximum(yn - y1 + 1, 0))
    idx = np.repeat(np.arange(M.n), count)
    first_row = np.repeat(np.cumsum(count) - count, count)
    k = np.arange(len(idx)) - first_row
    year = y1[idx] + k
    ye = np.array([_ord(int(y), 3, 31) for y in year], dtype=np.int64)
    rows = len(idx)
    t = (ye - 182 - M.spin[idx]) / YEAR
    income = (M.income_ref[idx] * (1 + M.growth[idx]) ** (t - M.t_ref[idx])
              * np.exp(rng.normal(0, 0.04, rows)))
    share = np.clip(_parent_share(t, M.share0[idx], M.share_target[idx], M.share_tau[idx])
                    + rng.normal(0, 0.015, rows), 0.0, 1.0)
    parent = income * share
    # Loss of the main contract: the parent income falls to a small residual.
    loss = M.loss[idx]
    after = np.where(loss > 0, np.clip((ye - loss) / 365.0, 0.0, 1.0), 0.0)
    parent_after = parent * (1 - after * (1 - M.residual[idx]))
    rest = income - parent
    other_public = rest * np.clip(M.public_other_frac[idx] + rng.normal(0, 0.05, rows), 0.05, 0.95)
    non_public = rest - other_public
    total = parent_after + other_public + non_public

    # Margins: mostly small surpluses; deficits around a loss or before a hand-back.
    mu = rng.uniform(0.008, 0.035, M.n)
    margin = mu[idx] + rng.normal(0, 0.011, rows)
    shock = (after > 0) & (after < 1) | ((after >= 1) & (ye - loss < 730))
    margin -= np.where(shock, rng.uniform(0.02, 0.08, rows), 0.0)
    stress = M.handed_back[idx] & (loss > 0) & (loss - ye < 730) & (ye <= loss)
    margin -= np.where(stress, rng.uniform(0.01, 0.05, rows), 0.0)
    margin = np.clip(margin, -0.15, 0.12)
    expenditure = total * (1 - margin)
    staff_share = np.clip(rng.uniform(0.55, 0.75, M.n)[idx] + rng.normal(0, 0.01, rows), 0.5, 0.8)
    staff_costs = expenditure * staff_share

    # Reserves: a dowry at spin-out plus retained surpluses.
    first = k == 0
    dowry = np.where(first, expenditure / 12 * rng.uniform(0.2, 2.5, M.n)[idx], 0.0)
    retain = rng.uniform(0.4, 1.0, M.n)[idx]
    reserves = _group_cumsum(dowry + (total - expenditure) * retain, first_row)
    reserves = np.maximum(reserves, expenditure / 12 * 0.05)
    liabilities = expenditure * rng.uniform(0.06, 0.18, M.n)[idx] * np.exp(rng.normal(0, 0.05, rows))
    assets = liabilities + reserves * rng.uniform(0.6, 1.0, M.n)[idx]
    return {
        "mutual_id": M.ids[idx], "year_end": ye,
        "income_parent": parent_after, "income_other_public": other_public,
        "income_non_public": non_public, "expenditure": expenditure, "staff_costs": staff_costs,
        "unrestricted_reserves": reserves, "current_assets": assets,
        "current_liabilities": liabilities,
    }


def _plan_targets(M: _Mutuals, rng: np.random.Generator) -> dict:
    """Five-year business plans: optimistic growth and a rising non-parent share."""
    y1 = _first_year_end(M.spin)
    has = np.flatnonzero(M.has_plan)
    idx = np.repeat(has, 5)
    k = np.tile(np.arange(5), len(has))
    year = y1[idx] + k
    ye = np.array([_ord(int(y), 3, 31) for y in year], dtype=np.int64)
    t0 = (np.array([_ord(int(y) - 1, 10, 1) for y in y1[has]]) - M.spin[has]) / YEAR
    start = M.income_ref[has] * (1 + M.growth[has]) ** (t0 - M.t_ref[has]) * rng.uniform(0.97, 1.12, len(has))
    growth = rng.uniform(0.03, 0.08, len(has))
    planned = start[np.searchsorted(has, idx)] * (1 + growth[np.searchsorted(has, idx)]) ** k
    lift = rng.uniform(0.05, 0.30, len(has))[np.searchsorted(has, idx)]
    np_share = np.clip(1 - M.share0[idx] + lift * k / 4, 0.0, 0.95)
    return {"mutual_id": M.ids[idx], "year_end": ye, "planned_income": planned,
            "planned_non_parent_income": planned * np_share}


# --------------------------------------------------------------------------- #
# Engagement surveys                                                          #
# --------------------------------------------------------------------------- #
def _staff_at(M: _Mutuals, i: int, when: int) -> int:
    t = (when - M.spin[i]) / YEAR
    size = M.staff[i] * (1 + M.growth[i]) ** (min(t, M.t_ref[i]) - M.t_ref[i])
    if M.loss[i] and when > M.loss[i]:
        size *= 1 - M.loss_share[i]
    return max(2, int(round(size)))


def _wave_dates(M: _Mutuals, i: int, d: _Draws) -> list[tuple[int, str]]:
    """Survey waves: options appraisal, transition, then roughly annual each autumn."""
    end = int(M.end[i])
    spin, oa = int(M.spin[i]), int(M.oa[i])
    waves = [(oa + d.integer(14, 60), "options_appraisal"),
             (spin - d.integer(30, 120), "transition")]
    day = d.integer(0, 60)
    year = datetime.date.fromordinal(spin + 150).year
    if datetime.date.fromordinal(spin + 150) > datetime.date(year, 10, 1) + datetime.timedelta(days=day):
        year += 1
    first = True
    while True:
        when = _ord(year, 10, 1) + day + d.integer(-7, 7)
        if when > end:
            break
        if first or not d.chance(0.12):
            waves.append((when, "spun_out"))
        first = False
        year += 1
    return [(w, p) for w, p in waves if w <= end]


def _engagement(M: _Mutuals, d: _Draws) -> dict:
    cols: dict[str, list] = {c: [] for c, _ in COLUMNS["engagement"]}
    for i in range(M.n):
        groups = STAFF_GROUPS[M.sector[i]]
        base = min(8.2, max(6.3, d.normal(7.25, 0.3)))
        early = bool(M.early_peak[i])
        peak_phase = "transition" if d.chance(0.6) else "options_appraisal"
        lift = d.uniform(0.2, 0.6)
        drop = d.uniform(0.6, 1.5)
        improve = d.uniform(-0.05, 0.45)
        ramp = d.integer(2, 4)
        weights = [w * d.uniform(0.7, 1.3) for _, w, _ in groups]
        k_spun = 0
        for when, phase in _wave_dates(M, i, d):
            if phase == "spun_out":
                k_spun += 1
                progress = min(1.0, k_spun / ramp)
                level = (base + lift - drop * progress) if early else (base + improve * progress)
            elif early:
                level = base + (lift if phase == peak_phase else lift * 0.4)
            else:
                level = base - (d.uniform(0.0, 0.2) if phase == "options_appraisal" else d.normal(0, 0.08))
            level += d.normal(0, 0.08)
            staff = _staff_at(M, i, when if phase == "spun_out" else int(M.spin[i]))
            n_groups = 2 if staff < 8 else 3 if staff < 40 else 4 if staff < 200 else 5 if staff < 1000 else 6
            w = weights[:n_groups]
            total_w = sum(w)
            sizes = [max(1, int(staff * x / total_w)) for x in w]
            sizes[0] = max(1, sizes[0] + staff - sum(sizes))
            rate = d.uniform(0.25, 0.75)
            for (name, _, offset), eligible in zip(groups[:n_groups], sizes):
                rr = min(0.95, max(0.10, rate + d.normal(0, 0.06)))
                resp = min(eligible, max(1, int(round(eligible * rr))))
                sd = 0.25 + 1.0 / math.sqrt(resp)
                s = level + offset
                cols["mutual_id"].append(M.ids[i])
                cols["survey_date"].append(when)
                cols["phase"].append(phase)
                cols["staff_group"].append(name)
                cols["eligible_staff"].append(eligible)
                cols["respondents"].append(resp)
                cols["motivation"].append(_score(s + SUBSCORE_OFFSETS[0] + sd * d.z()))
                cols["involvement"].append(_score(s + SUBSCORE_OFFSETS[1] + sd * d.z()))
                cols["advocacy"].append(_score(s + SUBSCORE_OFFSETS[2] + sd * d.z()))
    return cols


def _score(x: float) -> float:
    return min(10.0, max(0.0, x))


# --------------------------------------------------------------------------- #
# Strategy sessions, innovations, relationship reviews                        #
# --------------------------------------------------------------------------- #
def _strategy_sessions(M: _Mutuals, d: _Draws) -> dict:
    cols: dict[str, list] = {c: [] for c, _ in COLUMNS["strategy_sessions"]}
    for i in range(M.n):
        style = d.weighted((["none", "lapsed", "regular"], [.04, .14, .82]))
        if style == "none":
            continue
        stop = int(M.end[i])
        if style == "lapsed":
            stop = min(stop, DATA_ORD - d.integer(400, 1200))
        per_year = d.uniform(0.6, 2.5)
        when = int(M.oa[i]) + d.integer(30, 200)
        while when <= stop:
            cols["mutual_id"].append(M.ids[i])
            cols["session_date"].append(when)
            cols["kind"].append(d.weighted(SESSION_KINDS))
            when += max(60, d.expo_days(per_year))
    return cols


def _innovations(M: _Mutuals, d: _Draws) -> dict:
    cols: dict[str, list] = {c: [] for c, _ in COLUMNS["innovations"]}
    for i in range(M.n):
        if M.pre[i]:
            continue
        per_year = min(8.0, d.uniform(0.5, 1.5) * (0.4 + 1.3 * math.log10(M.staff[i] + 1)))
        staff_first = 0.55 if M.ownership[i] == "employee-owned" else 0.42
        origin_w = [staff_first, 0.78 - staff_first + 0.1, 0.14, 0.08]
        scale = (M.staff[i] / 100) ** 0.3
        end = int(M.end[i])
        when = int(M.spin[i]) + d.expo_days(per_year)
        while when <= end:
            age = (end - when) / YEAR
            status_w = [.6, .3, .1] if age < 0.75 else [.35, .35, .3] if age < 2 else [.2, .25, .55]
            status = d.weighted((["idea", "piloted", "embedded"], status_w))
            saving = math.nan
            if status != "idea" or d.chance(0.15):
                raw = math.exp(math.log(8000 * scale) + 1.0 * d.z())
                saving = float(min(500_000, max(1_000, round(raw, -2))))
            cols["mutual_id"].append(M.ids[i])
            cols["innovation_date"].append(when)
            cols["title"].append(d.pick(INNOVATION_TITLES))
            cols["origin"].append(d.weighted((INNOVATION_ORIGINS, origin_w)))
            cols["status"].append(status)
            cols["annual_saving"].append(saving)
            when += d.expo_days(per_year)
    return cols


def _reviews(M: _Mutuals, contracts: dict, comm: pd.DataFrame, d: _Draws,
             on_data_date: set[int]) -> dict:
    cols: dict[str, list] = {c: [] for c, _ in COLUMNS["relationship_reviews"]}
    comm_ids = comm["commissioner_id"].tolist()
    other_contracts: dict[str, list] = {}
    for m, c, s, e, kind_spin, outcome in zip(
            contracts["mutual_id"], contracts["commissioner_id"], contracts["start_date"],
            contracts["end_date"], contracts["is_spin_out_contract"], contracts["outcome"]):
        other_contracts.setdefault(m, []).append((c, s, e))

    def add(i, commissioner, when, kind, quality):
        rating = int(round(quality + 0.6 * d.z()))
        cols["mutual_id"].append(M.ids[i])
        cols["commissioner_id"].append(commissioner)
        cols["review_date"].append(when)
        cols["kind"].append(kind)
        cols["rating"].append(min(5, max(1, rating)))

    for i in range(M.n):
        parent = comm_ids[M.parent[i]]
        quality = d.normal(3.5, 0.45)
        end = int(M.end[i])
        if d.chance(0.15) and i not in on_data_date:  # reviews have lapsed
            end = min(end, DATA_ORD - d.integer(400, 900))
        loss = int(M.loss[i])

        def q_at(when):
            if loss and when <= loss:
                return quality - 1.2 * min(1.0, max(0.0, 1 - (loss - when) / 730))
            return quality

        if M.pre[i]:
            when = int(M.oa[i]) + d.integer(30, 120)
            while when <= end:
                add(i, parent, when, REVIEW_STRATEGIC, quality)
                when += d.integer(150, 400)
            continue
        stop = min(end, loss) if loss else end
        style = d.weighted((["quarterly", "annual", "light"], [.35, .45, .20]))
        spin = int(M.spin[i])
        year = 1
        while True:
            anniversary = spin + int(round(year * YEAR)) + d.integer(-30, 30)
            if anniversary - int(YEAR) > stop:
                break
            if style == "quarterly":
                for quarter in (1, 2, 3):
                    when = anniversary - int(YEAR) + quarter * 91 + d.integer(-15, 15)
                    if when <= stop:
                        add(i, parent, when, REVIEW_QUARTERLY, q_at(when))
            if anniversary <= stop and not (style == "light" and d.chance(0.3)):
                add(i, parent, anniversary, REVIEW_PARENT, q_at(anniversary))
            if style == "annual":
                for _ in range(d.integer(0, 2)):
                    when = anniversary - d.integer(30, 330)
                    if when <= stop:
                        add(i, parent, when, REVIEW_STRATEGIC, q_at(when))
            year += 1
        for commissioner, start, cend in other_contracts.get(M.ids[i], []):
            if commissioner == parent:
                continue
            when = start + d.integer(300, 400)
            while when <= min(cend + 30, end):
                add(i, commissioner, when, REVIEW_PARENT, quality + d.normal(0.1, 0.3))
                when += d.integer(330, 400)
        if i in on_data_date:
            add(i, parent, DATA_ORD, REVIEW_QUARTERLY, quality)
    return cols


# --------------------------------------------------------------------------- #
# Assembly                                                                    #
# --------------------------------------------------------------------------- #
def _frame(table: str, cols: dict, sort: list[str] | None = None) -> pd.DataFrame:
    """Build a typed DataFrame in contract column order, with rounding applied."""
    data = {}
    for name, fmt in COLUMNS[table]:
        values = cols[name]
        if fmt == "date":
            data[name] = _to_dates(values)
        elif fmt in ("money", "score"):
            data[name] = np.round(np.asarray(values, dtype=float), 2) + 0.0
        elif fmt == "share":
            data[name] = np.round(np.asarray(values, dtype=float), 3) + 0.0
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
    homes = comm.attrs["home_place"]
    mutual_names = []
    for i in range(M.n):
        suffix = names.d.pick(NAME_SUFFIXES[M.sector[i]])
        kind = M.form_kind[i]
        if kind == "cic" and names.d.chance(0.7):
            suffix += " CIC"
        elif kind == "company" and names.d.chance(0.3):
            suffix += " Ltd"
        place = homes[M.parent[i]] if names.d.chance(0.5) else None
        mutual_names.append(names.unique("{p} " + suffix, place))
    staff = M.staff.copy()
    survivors = (M.loss > 0) & (M.ceased == 0)
    staff[survivors] = np.maximum(2, np.round(staff[survivors] * (1 - M.loss_share[survivors]))).astype(np.int64)
    cols = {
        "mutual_id": M.ids, "name": mutual_names, "sector": M.sector, "legal_form": M.legal_form,
        "ownership_model": M.ownership, "region": M.region,
        "parent_commissioner_id": comm["commissioner_id"].to_numpy()[M.parent],
        "options_appraisal_date": M.oa, "spin_out_date": M.spin, "staff_count": staff,
        "member_share": M.member_share, "company_number": M.company_number,
        "charity_number": M.charity_number,
        "status": np.where(M.ceased > 0, "ceased", "trading"), "ceased_date": M.ceased,
        "society_number": M.society_number,
    }
    return _frame("mutuals", cols)


def generate(n_mutuals: int = DEFAULT_MUTUALS, seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Generate every table for ``n_mutuals`` mutuals; same arguments, same data.

    Returns a dict with one DataFrame per name in ``TABLES`` plus ``dataset_info``
    (key/value rows: synthetic flag, generator, seed, mutuals, data date).
    """
    if n_mutuals < 1:
        raise ValueError("n_mutuals must be at least 1")
    rngs = dict(zip(STREAMS, np.random.default_rng(seed).spawn(len(STREAMS))))
    draws = {k: _Draws(r) for k, r in rngs.items()}
    names = _NameBook(draws["names"])

    n_comm = max(5, round(n_mutuals / MUTUALS_PER_COMMISSIONER))
    comm = _commissioners(n_comm, rngs["commissioners"], names)
    M = _mutual_attributes(n_mutuals, comm, rngs["mutuals"])
    contracts = _contracts(M, comm, draws["contracts"])
    # Survivors of a lost main contract shrink: the parent's share of staff transfers out.
    t_loss = (M.loss - M.spin) / YEAR
    M.loss_share = np.where(M.loss > 0, _parent_share(t_loss, M.share0, M.share_target, M.share_tau)
                            * (1 - M.residual), 0.0)

    # Pin the data's latest event to DATA_DATE: a monitoring review for ~1% of live
    # mutuals (or, in a tiny sample without one, a plan review at a pre-spin-out mutual).
    live = np.flatnonzero(~M.pre & (M.ceased == 0) & (M.loss == 0))
    on_date = set(rngs["reviews"].choice(live, min(max(1, round(n_mutuals / 100)), len(live)),
                                         replace=False).tolist()) if len(live) else set()
    sessions = _strategy_sessions(M, draws["sessions"])
    if not on_date:
        sessions["mutual_id"].append(M.ids[np.flatnonzero(M.pre)[0]])
        sessions["session_date"].append(DATA_ORD)
        sessions["kind"].append("plan_review")

    tables = {
        "commissioners": comm,
        "mutuals": _mutuals_frame(M, comm, names),
        "contracts": _frame("contracts", contracts),
        "financials": _frame("financials", _financials(M, rngs["financials"])),
        "plan_targets": _frame("plan_targets", _plan_targets(M, rngs["plans"])),
        "engagement": _frame("engagement", _engagement(M, draws["engagement"])),
        "strategy_sessions": _frame("strategy_sessions", sessions, ["mutual_id", "session_date"]),
        "innovations": _frame("innovations", _innovations(M, draws["innovations"])),
        "relationship_reviews": _frame(
            "relationship_reviews", _reviews(M, contracts, comm, draws["reviews"], on_date),
            ["mutual_id", "review_date", "commissioner_id", "kind"]),
    }
    tables[INFO_TABLE] = pd.DataFrame(
        [("synthetic", "true"), ("generator", GENERATOR), ("seed", str(seed)),
         ("mutuals", str(n_mutuals)), ("data_date", DATA_DATE.isoformat())],
        columns=["key", "value"])
    return tables


# --------------------------------------------------------------------------- #
# CSV output                                                                  #
# --------------------------------------------------------------------------- #
def _format_column(values: pd.Series, fmt: str) -> pd.Series:
    """Render one column as text exactly as the CSV contract wants it."""
    if fmt == "date":
        arr = values.to_numpy(dtype="datetime64[D]")
        text = np.datetime_as_string(arr, unit="D").astype(object)
        text[np.isnat(arr)] = ""
        return pd.Series(text, index=values.index, dtype=object)
    if fmt in ("money", "score", "share"):
        pattern = "{:.3f}" if fmt == "share" else "{:.2f}"
        return pd.Series([("" if x != x else pattern.format(x + 0.0)) for x in values.tolist()],
                         index=values.index, dtype=object)
    if fmt == "bool":
        return values.map({True: "true", False: "false"}).astype(object)
    if fmt == "int":
        return values.astype(np.int64).astype(str).astype(object)
    return values.fillna("").astype(str).astype(object)


def write_csvs(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write <table>.csv for every table in TABLES plus dataset_info.csv; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    info = tables.get(INFO_TABLE)
    if info is None:
        info = pd.DataFrame(
            [("synthetic", "true"), ("generator", GENERATOR), ("seed", ""),
             ("mutuals", str(len(tables["mutuals"]))), ("data_date", DATA_DATE.isoformat())],
            columns=["key", "value"])
    written = []
    for table in TABLES + [INFO_TABLE]:
        frame = info if table == INFO_TABLE else tables[table]
        text = pd.DataFrame({name: _format_column(frame[name], fmt)
                             for name, fmt in COLUMNS[table] if name in frame.columns})
        path = out_dir / f"{table}.csv"
        text.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        written.append(path)
    return written
