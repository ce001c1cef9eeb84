-- Schema of the mutuals database: one table per CSV in data/.
-- Loaded by mutuals.infra.build in this order (parents before children).

CREATE TABLE commissioners (
    commissioner_id VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL CHECK (kind IN ('local_authority', 'nhs', 'other')),
    region          VARCHAR NOT NULL
);

CREATE TABLE mutuals (
    mutual_id              VARCHAR PRIMARY KEY,
    name                   VARCHAR NOT NULL,
    sector                 VARCHAR NOT NULL CHECK (sector IN (
                               'Health & Social Care',
                               'Education, Youth & Children''s Services',
                               'Culture, Media & Libraries',
                               'Employment & Skills',
                               'Housing',
                               'Sports & Leisure')),
    legal_form             VARCHAR NOT NULL,
    ownership_model        VARCHAR NOT NULL,
    region                 VARCHAR NOT NULL,
    parent_commissioner_id VARCHAR REFERENCES commissioners (commissioner_id),
    options_appraisal_date DATE,
    spin_out_date          DATE NOT NULL,
    staff_count            INTEGER NOT NULL CHECK (staff_count >= 0),
    member_share           DOUBLE CHECK (member_share BETWEEN 0 AND 1),
    company_number         VARCHAR,
    charity_number         VARCHAR,
    status                 VARCHAR NOT NULL CHECK (status IN ('trading', 'ceased')),
    ceased_date            DATE,
    CHECK (options_appraisal_date IS NULL OR options_appraisal_date <= spin_out_date),
    CHECK (status = 'trading' OR ceased_date IS NOT NULL),
    CHECK (ceased_date IS NULL OR ceased_date >= spin_out_date)
);

CREATE TABLE contracts (
    contract_id          VARCHAR PRIMARY KEY,
    mutual_id            VARCHAR NOT NULL REFERENCES mutuals (mutual_id),
    commissioner_id      VARCHAR NOT NULL REFERENCES commissioners (commissioner_id),
    title                VARCHAR NOT NULL,
    service_area         VARCHAR,
    start_date           DATE NOT NULL,
    end_date             DATE NOT NULL,
    max_end_date         DATE,
    annual_value         DOUBLE NOT NULL CHECK (annual_value >= 0),
    is_spin_out_contract BOOLEAN NOT NULL DEFAULT false,
    outcome              VARCHAR NOT NULL CHECK (outcome IN (
                             'active', 'extended', 'renewed', 'won_at_retender',
                             'lost_at_retender', 'handed_back', 'expired')),
    CHECK (end_date >= start_date),
    CHECK (max_end_date IS NULL OR max_end_date >= end_date)
);

CREATE TABLE financials (
    mutual_id             VARCHAR NOT NULL REFERENCES mutuals (mutual_id),
    year_end              DATE NOT NULL,
    income_parent         DOUBLE NOT NULL CHECK (income_parent >= 0),
    income_other_public   DOUBLE NOT NULL CHECK (income_other_public >= 0),
    income_non_public     DOUBLE NOT NULL CHECK (income_non_public >= 0),
    expenditure           DOUBLE NOT NULL CHECK (expenditure >= 0),
    staff_costs           DOUBLE CHECK (staff_costs >= 0),
    unrestricted_reserves DOUBLE,
    current_assets        DOUBLE CHECK (current_assets >= 0),
    current_liabilities   DOUBLE CHECK (current_liabilities >= 0),
    PRIMARY KEY (mutual_id, year_end)
);

CREATE TABLE plan_targets (
    mutual_id                 VARCHAR NOT NULL REFERENCES mutuals (mutual_id),
    year_end                  DATE NOT NULL,
    planned_income            DOUBLE NOT NULL CHECK (planned_income >= 0),
    planned_non_parent_income DOUBLE NOT NULL CHECK (planned_non_parent_income >= 0),
    PRIMARY KEY (mutual_id, year_end),
    CHECK (planned_non_parent_income <= planned_income)
);

CREATE TABLE engagement (
    mutual_id      VARCHAR NOT NULL REFERENCES mutuals (mutual_id),
    survey_date    DATE NOT NULL,
    phase          VARCHAR NOT NULL CHECK (phase IN ('options_appraisal', 'transition', 'spun_out')),
    staff_group    VARCHAR NOT NULL,
    eligible_staff INTEGER NOT NULL CHECK (eligible_staff >= 0),
    respondents    INTEGER NOT NULL CHECK (respondents >= 0),
    motivation     DOUBLE CHECK (motivation BETWEEN 0 AND 10),
    involvement    DOUBLE CHECK (involvement BETWEEN 0 AND 10),
    advocacy       DOUBLE CHECK (advocacy BETWEEN 0 AND 10),
    PRIMARY KEY (mutual_id, survey_date, staff_group),
    CHECK (respondents <= eligible_staff)
);

CREATE TABLE strategy_sessions (
    mutual_id    VARCHAR NOT NULL REFERENCES mutuals (mutual_id),
    session_date DATE NOT NULL,
    kind         VARCHAR NOT NULL
);

CREATE TABLE innovations (
    mutual_id       VARCHAR NOT NULL REFERENCES mutuals (mutual_id),
    innovation_date DATE NOT NULL,
    title           VARCHAR NOT NULL,
    origin          VARCHAR NOT NULL CHECK (origin IN ('staff', 'management', 'commissioner', 'other')),
    status          VARCHAR NOT NULL CHECK (status IN ('idea', 'piloted', 'embedded')),
    annual_saving   DOUBLE CHECK (annual_saving >= 0)
);

CREATE TABLE relationship_reviews (
    mutual_id       VARCHAR NOT NULL REFERENCES mutuals (mutual_id),
    commissioner_id VARCHAR NOT NULL REFERENCES commissioners (commissioner_id),
    review_date     DATE NOT NULL,
    kind            VARCHAR NOT NULL,
    rating          INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5)
);

CREATE TABLE dataset_info (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

-- A wave's shown score: the one definition every query uses (issue 8) ------------------------
-- A survey wave is one mutual's survey on one date, over its staff groups. A group contributes
-- to the scores when it gives motivation, involvement and advocacy; scored_respondents counts the
-- respondents of those groups, and the scores average those groups only, weighted by respondents.
CREATE VIEW survey_waves AS
SELECT mutual_id, survey_date,
       min(phase) AS phase,
       sum(respondents) AS respondents,
       sum(eligible_staff) AS eligible_staff,
       count(*) AS staff_groups,
       coalesce(sum(respondents) FILTER (WHERE scored), 0) AS scored_respondents,
       sum(respondents * motivation) FILTER (WHERE scored) / NULLIF(sum(respondents) FILTER (WHERE scored), 0)
           AS motivation,
       sum(respondents * involvement) FILTER (WHERE scored) / NULLIF(sum(respondents) FILTER (WHERE scored), 0)
           AS involvement,
       sum(respondents * advocacy) FILTER (WHERE scored) / NULLIF(sum(respondents) FILTER (WHERE scored), 0)
           AS advocacy,
       sum(respondents * (motivation + involvement + advocacy) / 3) FILTER (WHERE scored)
           / NULLIF(sum(respondents) FILTER (WHERE scored), 0) AS engagement_score
FROM (SELECT *, motivation IS NOT NULL AND involvement IS NOT NULL AND advocacy IS NOT NULL AS scored
      FROM engagement)
GROUP BY mutual_id, survey_date;

-- The waves as shown: a wave whose scored groups have fewer than min_respondents respondents
-- between them is suppressed (its scores are NULL; its counts stay, so the suppression can be
-- explained). Every query reads waves through this macro with $min_respondents from the config.
CREATE MACRO shown_waves(min_respondents) AS TABLE
SELECT mutual_id, survey_date, phase, respondents, eligible_staff, staff_groups, scored_respondents,
       scored_respondents < min_respondents AS suppressed,
       CASE WHEN scored_respondents >= min_respondents THEN engagement_score END AS engagement_score,
       CASE WHEN scored_respondents >= min_respondents THEN motivation END AS motivation,
       CASE WHEN scored_respondents >= min_respondents THEN involvement END AS involvement,
       CASE WHEN scored_respondents >= min_respondents THEN advocacy END AS advocacy
FROM survey_waves;
