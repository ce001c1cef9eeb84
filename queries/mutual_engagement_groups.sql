-- A mutual's survey results by staff group up to $as_of, with small-number suppression:
-- a group with fewer than $min_respondents respondents is suppressed (primary); when exactly one
-- group of a wave is suppressed, the next smallest group is suppressed too (secondary), so no
-- one can get it back by subtracting from the wave's total.
-- $mutual_id, $as_of, $min_respondents
WITH g AS (
    SELECT survey_date, phase, staff_group, eligible_staff, respondents, motivation, involvement, advocacy,
           respondents < CAST($min_respondents AS INTEGER) AS primary_suppressed
    FROM engagement
    WHERE mutual_id = $mutual_id AND survey_date <= CAST($as_of AS DATE)
),
ranked AS (
    SELECT *,
           sum(primary_suppressed::INTEGER) OVER (PARTITION BY survey_date) AS suppressed_in_wave,
           row_number() OVER (PARTITION BY survey_date, primary_suppressed
                              ORDER BY respondents, staff_group) AS size_rank
    FROM g
),
flagged AS (
    SELECT *,
           primary_suppressed
           OR (suppressed_in_wave = 1 AND NOT primary_suppressed AND size_rank = 1) AS suppressed
    FROM ranked
)
SELECT survey_date, phase, staff_group, eligible_staff,
       CASE WHEN suppressed THEN NULL ELSE respondents END AS respondents,
       suppressed,
       CASE WHEN suppressed THEN CASE WHEN primary_suppressed THEN 'primary' ELSE 'secondary' END END
           AS suppression,
       CASE WHEN NOT suppressed THEN motivation END AS motivation,
       CASE WHEN NOT suppressed THEN involvement END AS involvement,
       CASE WHEN NOT suppressed THEN advocacy END AS advocacy,
       CASE WHEN NOT suppressed THEN (motivation + involvement + advocacy) / 3 END AS engagement_score
FROM flagged
ORDER BY survey_date, staff_group
