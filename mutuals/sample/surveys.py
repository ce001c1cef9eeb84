"""Staff surveys, strategy sessions, innovations and commissioner reviews: noisy readings of health.

Calendars (survey waves, review schedules) come from light Python loops; which
events happen and what they score is then drawn, vectorised, from the mutual's
latent health on the day: weak mutuals skip survey waves, get fewer responses
and lower scores, embed fewer staff ideas, hold fewer strategy sessions, and
see commissioner reviews lapse and ratings fall.
"""

from __future__ import annotations

import datetime

import numpy as np

from mutuals.sample.common import (
    COLUMNS,
    DATA_ORD,
    YEAR,
    _categorical,
    _choices,
    _Draws,
    _Mutuals,
    _ord,
    _poisson_events,
    _shuffled_labels,
    _sigmoid,
    _within_group_index,
)
from mutuals.sample.health import Health
from mutuals.sample.org import GROUPS_BY_STAFF, SECTORS, STAFF_GROUPS, SUBSCORE_OFFSETS

# Engagement: organisation score = base + per_health x health (+ noise), 0-10 scale.
ENGAGEMENT_BASE = (7.15, 0.20, 6.4, 8.0)   # mean, sd, clip
ENGAGEMENT_PER_HEALTH = 0.40
APPRAISAL_DIP = 0.2                         # staff unsettled at the options appraisal (up to)
WAVE_NOISE = 0.05
P_SKIP_WAVE = (-2.4, 0.9)                   # logit of skipping a year's survey: a - b h
RESPONSE = (0.58, 0.18, 0.08, 0.06)         # mean, per health, mutual sd, group sd
STRAIN = (-0.5, 0.10, 0.30)                 # below this health, response rate and rating fall faster

SESSION_RATE = (2.5, 4.5)                   # sessions a year that a healthy team would plan
P_SESSION = (2.0, 2.8)                      # logit that a planned session happens: a + b h
SESSION_NEVER_SHARE = 0.03                  # exact share that never holds one
SESSION_KINDS = ["away_day", "plan_review", "board_strategy_day", "leadership_retreat"]
SESSION_KIND_WEIGHTS = [.30, .30, .25, .15]

INNOVATION_RATE = (0.10, 0.28)              # ideas a year per staff member, before health
INNOVATION_MIN = 8.0                        # a year, however small the mutual
INNOVATION_MAX = 800.0                      # a year, however large
P_INNOVATION = (0.3, 1.2)                   # logit that an idea is raised: a + b h
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
REVIEW_STYLES = _choices(["quarterly", "annual", "light"], [.50, .35, .15])
REVIEW_QUALITY = (3.7, 0.35)               # each relationship's usual rating
RATING_PER_HEALTH = 0.70
RATING_NOISE = 0.5
P_REVIEW_HELD = (2.6, 2.6)                  # logit that a scheduled review is held: a + b h


# --------------------------------------------------------------------------- #
# Engagement surveys                                                          #
# --------------------------------------------------------------------------- #
def _wave_dates(spin: int, oa: int, end: int, d: _Draws) -> list[tuple[int, str]]:
    """Waves at options appraisal and in transition, then each autumn (some are skipped later)."""
    waves = [(oa + d.integer(14, 60), "options_appraisal"),
             (spin - d.integer(30, 120), "transition")]
    offset = d.integer(0, 60)  # the mutual's usual survey day after 1 October
    year = datetime.date.fromordinal(spin + 150).year
    if _ord(year, 10, 1) + offset < spin + 150:
        year += 1
    while True:
        when = _ord(year, 10, 1) + offset + d.integer(-7, 7)
        if when > end:
            break
        waves.append((when, "spun_out"))
        year += 1
    return [(w, p) for w, p in waves if w <= end]


def _engagement(M: _Mutuals, health: Health, income, d: _Draws, rng: np.random.Generator) -> dict:
    """Staff survey results by wave and staff group (groups vectorised with numpy)."""
    mutual, dates, phases = [], [], []
    for i, (spin, oa, end) in enumerate(zip(M.spin.tolist(), M.oa.tolist(), M.end.tolist())):
        for when, phase in _wave_dates(spin, oa, end, d):
            mutual.append(i)
            dates.append(when)
            phases.append(phase)
    mutual = np.asarray(mutual, dtype=np.int64)
    dates = np.asarray(dates, dtype=np.int64)
    phase = np.asarray(phases, dtype=object)
    h = health.at(mutual, dates)
    # Weak mutuals skip some years' surveys (never the first after spin-out).
    spun = phase == "spun_out"
    first_spun = spun & np.concatenate([[True], (mutual[1:] != mutual[:-1]) | ~spun[:-1]])
    skip = spun & ~first_spun & (rng.random(len(mutual)) < _sigmoid(P_SKIP_WAVE[0] - P_SKIP_WAVE[1] * h))
    mutual, dates, phase, h = mutual[~skip], dates[~skip], phase[~skip], h[~skip]
    n_waves = len(mutual)

    base = np.clip(rng.normal(ENGAGEMENT_BASE[0], ENGAGEMENT_BASE[1], M.n), *ENGAGEMENT_BASE[2:])
    dip = np.where((phase == "options_appraisal") & ~M.early_peak[mutual],
                   rng.uniform(0, APPRAISAL_DIP, n_waves), 0.0)
    wave_level = (base[mutual] + ENGAGEMENT_PER_HEALTH * h - dip
                  + rng.normal(0, WAVE_NOISE, n_waves))
    # Headcount at the wave: follows income, smaller after losing the main contract.
    when = np.minimum(np.maximum(dates, M.spin[mutual]), M.end[mutual])
    size = M.staff[mutual] * income.size_factor(mutual, when)
    lost = (M.loss[mutual] > 0) & (dates > M.loss[mutual])
    size = np.where(lost, size * (1 - M.loss_share[mutual]), size)
    staff = np.maximum(2, np.round(size)).astype(np.int64)

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
    mean_rate, per_health, mutual_sd, group_sd = RESPONSE
    wave_rate = (mean_rate + per_health * h - STRAIN[1] * np.maximum(STRAIN[0] - h, 0.0)
                 + rng.normal(0, mutual_sd, M.n)[mutual]
                 + rng.normal(0, 0.04, n_waves))
    rate = wave_rate[wave] + rng.normal(0, group_sd, len(wave))
    respondents = np.clip(np.rint(sizes * np.clip(rate, 0.10, 0.95)), 1, sizes).astype(np.int64)

    level = wave_level[wave] + offsets[M.sector_idx[m], j]
    sd = 0.08 + 0.5 / np.sqrt(respondents)
    scores = {col: np.clip(level + off + sd * rng.standard_normal(len(wave)), 0.0, 10.0)
              for col, off in zip(("motivation", "involvement", "advocacy"), SUBSCORE_OFFSETS)}
    return {"mutual_id": M.ids[m], "survey_date": dates[wave], "phase": phase[wave],
            "staff_group": names[M.sector_idx[m], j], "eligible_staff": sizes,
            "respondents": respondents, **scores}


# --------------------------------------------------------------------------- #
# Strategy sessions and innovations (vectorised Poisson events, thinned by health)
# --------------------------------------------------------------------------- #
def _strategy_sessions(M: _Mutuals, health: Health, rng: np.random.Generator) -> dict:
    """2-4 planned sessions a year; a weak leadership team lets them slip; a few never meet."""
    n = M.n
    never = _shuffled_labels(rng, n, [1 - SESSION_NEVER_SHARE, SESSION_NEVER_SHARE]) == 1
    start = M.oa + rng.integers(30, 200, n)
    stop = np.where(never, start, M.end)
    owner, dates = _poisson_events(rng, start, stop, rng.uniform(*SESSION_RATE, n))
    held = rng.random(len(owner)) < _sigmoid(P_SESSION[0] + P_SESSION[1] * health.at(owner, dates))
    owner, dates = owner[held], dates[held]
    keep = np.ones(len(owner), dtype=bool)
    keep[1:] = (owner[1:] != owner[:-1]) | (dates[1:] != dates[:-1])
    owner, dates = owner[keep], dates[keep]
    kind = np.array(SESSION_KINDS, dtype=object)[_categorical(rng, len(owner), SESSION_KIND_WEIGHTS)]
    return {"mutual_id": M.ids[owner], "session_date": dates, "kind": kind}


def _innovations(M: _Mutuals, health: Health, rng: np.random.Generator) -> dict:
    """Ideas, pilots and embedded changes since spin-out, more in bigger and healthier mutuals."""
    n = M.n
    per_year = np.clip(M.staff * rng.uniform(*INNOVATION_RATE, n), INNOVATION_MIN, INNOVATION_MAX)
    start = np.where(M.pre, M.end, M.spin + 1)
    owner, dates = _poisson_events(rng, start, M.end, per_year)
    raised = rng.random(len(owner)) < _sigmoid(P_INNOVATION[0]
                                               + P_INNOVATION[1] * health.at(owner, dates))
    owner, dates = owner[raised], dates[raised]
    rows = len(owner)
    age = (M.end[owner] - dates) / YEAR
    band = np.searchsorted(INNOVATION_STATUS_BY_AGE[0], age, side="right")
    cum_status = np.cumsum(np.array(INNOVATION_STATUS_BY_AGE[1]), axis=1)[band]
    status = INNOVATION_STATUSES[(rng.random(rows)[:, None] > cum_status[:, :2]).sum(axis=1)]
    # Staff originate most ideas, the more so where staff own the mutual or where the
    # mutual is so small that its managers are front-line staff too.
    staff_first = (np.where(M.ownership[owner] == "employee-owned", 0.55, 0.42)
                   + 0.3 * np.exp(-M.staff[owner] / 30))
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
def _reviews(M: _Mutuals, contracts: dict, comm_ids: list[str], health: Health, d: _Draws,
             rng: np.random.Generator, on_data_date: set[int]) -> dict:
    """Reviews with the parent (1-4 a year while the main contract runs) and other buyers.

    The schedule comes from the relationship's style; whether a review is held and
    its rating follow the mutual's health on the day, so weak mutuals see reviews
    lapse and ratings slide.
    """
    owner, who, when_all, kinds, quality_all, pinned = [], [], [], [], [], []
    held: dict[str, list] = {}
    for m, c, s, e in zip(contracts["mutual_id"], contracts["commissioner_id"],
                          contracts["start_date"], contracts["end_date"]):
        held.setdefault(m, []).append((c, s, e))

    def add(i, commissioner, when, kind, quality, pin=False):
        owner.append(i)
        who.append(commissioner)
        when_all.append(when)
        kinds.append(kind)
        quality_all.append(quality)
        pinned.append(pin)

    for i in range(M.n):
        parent, quality, end = comm_ids[M.parent[i]], d.normal(*REVIEW_QUALITY), int(M.end[i])
        if M.pre[i]:  # partnership meetings while the spin-out is planned
            when = int(M.oa[i]) + d.integer(30, 120)
            while when <= end:
                add(i, parent, when, REVIEW_STRATEGIC, quality)
                when += d.integer(150, 400)
            continue
        loss, spin = int(M.loss[i]), int(M.spin[i])
        stop = min(end, loss) if loss else end
        style = d.weighted(REVIEW_STYLES)
        year = 1
        while spin + int(round((year - 1) * YEAR)) <= stop:
            anniversary = spin + int(round(year * YEAR)) + d.integer(-30, 30)
            year_start = anniversary - 365
            if style == "quarterly":
                for quarter in (1, 2, 3):
                    when = year_start + 91 * quarter + d.integer(-15, 15)
                    if when <= stop:
                        add(i, parent, when, REVIEW_QUARTERLY, quality)
            if anniversary <= stop and not (style == "light" and d.chance(0.15)):
                add(i, parent, anniversary, REVIEW_ANNUAL, quality)
            if style == "annual":
                for _ in range(d.integer(0, 2)):
                    when = anniversary - d.integer(30, 330)
                    if when <= stop:
                        add(i, parent, when, REVIEW_STRATEGIC, quality)
            year += 1
        for commissioner, start, contract_end in held.get(M.ids[i], []):
            if commissioner == parent:
                continue
            when, last = start + d.integer(300, 400), min(contract_end + 30, end)
            other_quality = quality + d.normal(0.1, 0.3)
            while when <= last:
                add(i, commissioner, when, REVIEW_ANNUAL, other_quality)
                when += d.integer(330, 400)
        if i in on_data_date:
            add(i, parent, DATA_ORD, REVIEW_QUARTERLY, quality, True)

    owner = np.asarray(owner, dtype=np.int64)
    dates = np.asarray(when_all, dtype=np.int64)
    h = health.at(owner, dates)
    kept = np.asarray(pinned, dtype=bool) | (
        rng.random(len(owner)) < _sigmoid(P_REVIEW_HELD[0] + P_REVIEW_HELD[1] * h))
    rating = np.clip(np.round(np.asarray(quality_all) + RATING_PER_HEALTH * h
                              - STRAIN[2] * np.maximum(STRAIN[0] - h, 0.0)
                              + RATING_NOISE * rng.standard_normal(len(owner))), 1, 5)
    cols = {"mutual_id": M.ids[owner], "commissioner_id": np.asarray(who, dtype=object),
            "review_date": dates, "kind": np.asarray(kinds, dtype=object), "rating": rating}
    return {c: cols[c][kept] for c, _ in COLUMNS["relationship_reviews"]}
