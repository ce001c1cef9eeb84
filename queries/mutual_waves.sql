-- A mutual's staff-survey waves up to $as_of. Scores are NULL (suppressed) when the groups that
-- contribute a score (motivation, involvement and advocacy all given) have fewer than
-- $min_respondents respondents between them; counts stay, so the suppression can be explained.
-- The same "wave's shown score" rule is in indicators.sql and sector_engagement_bands.sql
-- (tests/test_disclosure.py checks that the three agree).
-- $mutual_id, $as_of, $min_respondents
WITH waves AS (
    SELECT survey_date, min(phase) AS phase,
           sum(respondents) AS respondents, sum(eligible_staff) AS eligible_staff,
           count(*) AS staff_groups,
           sum(respondents * motivation) / NULLIF(sum(CASE WHEN motivation IS NOT NULL THEN respondents END), 0) AS m,
           sum(respondents * involvement) / NULLIF(sum(CASE WHEN involvement IS NOT NULL THEN respondents END), 0) AS i,
           sum(respondents * advocacy) / NULLIF(sum(CASE WHEN advocacy IS NOT NULL THEN respondents END), 0) AS a,
           sum(respondents * (motivation + involvement + advocacy) / 3)
               / NULLIF(sum(CASE WHEN motivation + involvement + advocacy IS NOT NULL THEN respondents END), 0) AS s,
           coalesce(sum(CASE WHEN motivation + involvement + advocacy IS NOT NULL THEN respondents END), 0)
               AS scored_respondents
    FROM engagement
    WHERE mutual_id = $mutual_id AND survey_date <= CAST($as_of AS DATE)
    GROUP BY survey_date
)
SELECT survey_date, phase, respondents, eligible_staff, staff_groups,
       respondents / NULLIF(eligible_staff, 0) AS response_rate,
       scored_respondents < CAST($min_respondents AS INTEGER) AS suppressed,
       CASE WHEN scored_respondents >= CAST($min_respondents AS INTEGER) THEN s END AS engagement_score,
       CASE WHEN scored_respondents >= CAST($min_respondents AS INTEGER) THEN m END AS motivation,
       CASE WHEN scored_respondents >= CAST($min_respondents AS INTEGER) THEN i END AS involvement,
       CASE WHEN scored_respondents >= CAST($min_respondents AS INTEGER) THEN a END AS advocacy
FROM waves
ORDER BY survey_date
