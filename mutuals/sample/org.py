"""Who the mutuals are: sectors, places, names, commissioners and mutual-level attributes.

Proportions follow the domain brief (``shared/domain.md``): about 48% health and
social care, mostly CICs, spin-outs clustered in 2011-2016, long-tailed sizes.
All names are invented from place syllables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mutuals.sample.common import (
    _EPOCH_ORD,
    COLUMNS,
    DATA_DATE,
    DATA_ORD,
    YEAR,
    _add_months,
    _categorical,
    _Draws,
    _Mutuals,
    _ord,
    _shuffled_labels,
)

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
MEMBER_SHARE_BETA = {"employee-owned": (8, 2), "employee-led": (3.5, 4), "multi-stakeholder": (4.5, 4)}

# Invented place-name syllables, chosen so that they do not form real UK place names.
PLACE_ONSETS = ["Wend", "Brel", "Corv", "Dask", "Elv", "Fenn", "Gorv", "Hask", "Jorn", "Kelv",
                "Lorn", "Morv", "Nesk", "Orv", "Pell", "Quen", "Rask", "Sorr", "Tarv", "Ulv",
                "Vell", "Wyv", "Yarr", "Zenn", "Criv", "Drel", "Emb", "Gann", "Hesk", "Ivel",
                "Kest", "Lunn", "Perr", "Thel", "Vorn", "Dorv"]
PLACE_CODAS = ["mere", "low", "hollow", "wick", "stead", "combe", "thorne", "dale", "brook",
               "haven", "gate", "moor", "wold", "holme", "ridge", "bourne", "worth", "hurst",
               "cliffe", "fold", "marsh", "well", "shaw", "cote", "garth", "stow"]


# --------------------------------------------------------------------------- #
# Spin-out timing                                                             #
# --------------------------------------------------------------------------- #
SPIN_YEARS = list(range(2008, 2026))
SPIN_YEAR_WEIGHTS = [1, 1.5, 2, 5, 7, 8, 8, 7, 5, 3, 2.5, 2, 1.2, 1.2, 1, 1, .8, .6]
RTR_YEARS, RTR_WEIGHTS = [2008, 2009, 2010, 2011], [.1, .25, .3, .35]  # NHS Right to Request
RTR_SHARE_OF_HEALTH = 0.45
SPIN_MONTH_WEIGHTS = [.05, 0, 0, .60, .02, .03, .10, .02, .02, .13, .02, .01]
PRE_SPIN_OUT_PER_MUTUAL = 1 / 50  # still at options appraisal or in transition
GIANTS_PER_MUTUAL = 1 / 80        # very large organisations (5,000-14,000 staff)
NO_PLAN_SHARE = 0.08              # exact share of mutuals that never wrote a business plan


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


# A commissioner's name pattern: fixed for a kind in some regions, else drawn from the kind's usual patterns.
COMMISSIONER_REGIONAL = {
    "nhs": {"Wales": "{p} Health Board", "Scotland": "NHS {p}",
            "Northern Ireland": "{p} Health and Social Care Trust"},
    "local_authority": {"Wales": "{p} County Borough Council", "Scotland": "{p} Council",
                        "Northern Ireland": "{p} and {q} District Council", "London": "London Borough of {p}"},
}
COMMISSIONER_PATTERNS = {
    "nhs": ["{p} and {q} ICB", "{p} and {q} ICB", "NHS {p} ICB", "{p} Primary Care Trust"],
    "other": ["{p} Combined Authority", "{p} Police and Crime Commissioner", "{p} Schools Partnership",
              "{p} Housing Partnership Board"],
    "local_authority": ["{p} Borough Council", "{p} County Council", "{p} City Council", "{p} District Council",
                        "{p} Metropolitan Borough Council"],
}


def _commissioner_template(kind: str, region: str, d: _Draws) -> str:
    family = kind if kind in ("nhs", "other") else "local_authority"
    fixed = COMMISSIONER_REGIONAL.get(family, {}).get(region)
    return fixed if fixed is not None else d.pick(COMMISSIONER_PATTERNS[family])


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
# Mutual-level attributes (vectorised)                                        #
# --------------------------------------------------------------------------- #
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

    # Hidden structure (the latent health and the dependency path come from mutuals.sample.health).
    M.growth = np.clip(rng.normal(0.04, 0.03, n), -0.03, 0.11)  # trend income growth a year
    M.share0 = rng.uniform(0.80, 1.0, n)  # the parent "usually accounts for most" of early income
    M.share_tau = rng.uniform(2.0, 5.0, n)
    M.public_other_frac = rng.uniform(0.35, 0.80, n)
    M.residual = rng.uniform(0.0, 0.10, n)  # parent income kept after losing the main contract
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

