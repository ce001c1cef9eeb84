-- A mutual's staff-survey waves up to $as_of, as shown: the shown_waves macro of schema.sql (the one
-- definition of a wave's shown score) suppresses a wave whose scored groups have fewer than
-- $min_respondents respondents between them; counts stay, so the suppression can be explained.
-- $mutual_id, $as_of, $min_respondents
SELECT survey_date, phase, respondents, eligible_staff, staff_groups,
       respondents / NULLIF(eligible_staff, 0) AS response_rate,
       suppressed, engagement_score, motivation, involvement, advocacy
FROM shown_waves(CAST($min_respondents AS INTEGER))
WHERE mutual_id = $mutual_id AND survey_date <= CAST($as_of AS DATE)
ORDER BY survey_date
