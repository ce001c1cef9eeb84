-- The data date: the latest recorded event in the database (never the wall
-- clock, never a future contract end). Default as-of date for every view.
SELECT max(d) AS data_date
FROM (
    SELECT max(year_end) AS d FROM financials
    UNION ALL SELECT max(survey_date) FROM engagement
    UNION ALL SELECT max(session_date) FROM strategy_sessions
    UNION ALL SELECT max(innovation_date) FROM innovations
    UNION ALL SELECT max(review_date) FROM relationship_reviews
    UNION ALL SELECT max(start_date) FROM contracts
)
