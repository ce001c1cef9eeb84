-- The sector's engagement by survey year: median and inter-quartile range of unsuppressed
-- wave scores, up to $as_of, with the number of waves. A wave's score is shown when the groups
-- that contribute a score have $min_respondents or more respondents between them (the rule of
-- mutual_waves.sql and indicators.sql).
-- $sector, $as_of, $min_respondents, $scope (visible mutual ids or NULL)
WITH waves AS (
    SELECT e.mutual_id, e.survey_date,
           sum(e.respondents * (e.motivation + e.involvement + e.advocacy) / 3)
               / NULLIF(sum(CASE WHEN e.motivation + e.involvement + e.advocacy IS NOT NULL
                                 THEN e.respondents END), 0) AS score,
           coalesce(sum(CASE WHEN e.motivation + e.involvement + e.advocacy IS NOT NULL
                             THEN e.respondents END), 0) AS scored_respondents
    FROM engagement e JOIN mutuals m USING (mutual_id)
    WHERE m.sector = $sector AND e.survey_date <= CAST($as_of AS DATE)
      AND ($scope IS NULL OR list_contains($scope, e.mutual_id))
    GROUP BY e.mutual_id, e.survey_date
)
SELECT year(survey_date) AS survey_year,
       median(score) AS median, quantile_cont(score, 0.25) AS q1, quantile_cont(score, 0.75) AS q3,
       count(*) AS waves
FROM waves
WHERE scored_respondents >= CAST($min_respondents AS INTEGER)
GROUP BY 1
ORDER BY 1
