-- The sector's engagement by survey year: median and inter-quartile range of the shown wave scores
-- (the shown_waves macro of schema.sql: suppressed waves are left out), up to $as_of, with the
-- number of waves.
-- $sector, $as_of, $min_respondents, $scope (visible mutual ids or NULL)
SELECT year(w.survey_date) AS survey_year,
       median(w.engagement_score) AS median,
       quantile_cont(w.engagement_score, 0.25) AS q1,
       quantile_cont(w.engagement_score, 0.75) AS q3,
       count(*) AS waves
FROM shown_waves(CAST($min_respondents AS INTEGER)) w JOIN mutuals m USING (mutual_id)
WHERE m.sector = $sector AND w.survey_date <= CAST($as_of AS DATE)
  AND ($scope IS NULL OR list_contains($scope, w.mutual_id))
  AND NOT w.suppressed
GROUP BY 1
ORDER BY 1
