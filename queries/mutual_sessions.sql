-- A mutual's leadership strategy sessions up to $as_of, with the months since the previous one.
-- $mutual_id, $as_of, $days_per_month
SELECT session_date, kind,
       date_diff('day', lag(session_date) OVER (ORDER BY session_date), session_date)
           / CAST($days_per_month AS DOUBLE) AS months_since_previous
FROM strategy_sessions
WHERE mutual_id = $mutual_id AND session_date <= CAST($as_of AS DATE)
ORDER BY session_date
